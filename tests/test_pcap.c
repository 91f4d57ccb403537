/* The classic pcap reader (mbmsec/pcap.h): every link type and both byte orders and
 * timestamp units on valid files, and every file and frame error on malformed ones. Files are
 * assembled here octet by octet so that each test shows what it feeds in. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/pcap.h"

typedef struct {
  uint8_t b[4096];
  size_t n;
  int be; /* write pcap header fields big-endian */
} file;

static void put(file *f, const void *p, size_t n)
{
  assert_true(f->n + n <= sizeof f->b);
  memcpy(f->b + f->n, p, n);
  f->n += n;
}
static void putf32(file *f, uint32_t v)
{
  uint8_t x[4];
  for (int i = 0; i < 4; i++) x[f->be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
  put(f, x, 4);
}
static void putf16(file *f, uint16_t v)
{
  uint8_t x[2];
  x[f->be ? 1 : 0] = (uint8_t)v;
  x[f->be ? 0 : 1] = (uint8_t)(v >> 8);
  put(f, x, 2);
}

static void global(file *f, int be, int nano, uint32_t linktype)
{
  memset(f, 0, sizeof *f);
  f->be = be;
  putf32(f, nano ? 0xA1B23C4Du : 0xA1B2C3D4u);
  putf16(f, 2);
  putf16(f, 4);
  putf32(f, 0);
  putf32(f, 0);
  putf32(f, 65535);
  putf32(f, linktype);
}

/* An IPv4/UDP packet 10.0.0.1:4000 -> 10.0.0.2:2269 with `n` payload octets 0, 1, 2 ... */
static size_t ipv4_udp(uint8_t *p, size_t n, uint8_t proto, uint16_t frag)
{
  size_t tot = 20 + 8 + n;
  const uint8_t h[20] = {0x45,
                         0,
                         (uint8_t)(tot >> 8),
                         (uint8_t)tot,
                         0,
                         0,
                         (uint8_t)(frag >> 8),
                         (uint8_t)frag,
                         64,
                         proto,
                         0,
                         0,
                         10,
                         0,
                         0,
                         1,
                         10,
                         0,
                         0,
                         2};
  memcpy(p, h, 20);
  const uint8_t u[8] = {0x0f, 0xa0, 0x08, 0xdd, (uint8_t)((8 + n) >> 8), (uint8_t)(8 + n), 0, 0};
  memcpy(p + 20, u, 8);
  for (size_t i = 0; i < n; i++) p[28 + i] = (uint8_t)i;
  return tot;
}

static void record(file *f, const uint8_t *pkt, size_t incl, size_t orig)
{
  putf32(f, 1700000000);
  putf32(f, 5);
  putf32(f, (uint32_t)incl);
  putf32(f, (uint32_t)orig);
  put(f, pkt, incl);
}

static void expect_datagram(mbmsec_pcap_reader *r, size_t frame, size_t n)
{
  mbmsec_pcap_udp d;
  int have = 0;
  assert_int_equal(mbmsec_pcap_next(r, &d, &have), MBMSEC_OK);
  assert_int_equal(have, 1);
  assert_int_equal(d.frame, frame);
  const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
  assert_memory_equal(d.src, src, 4);
  assert_memory_equal(d.dst, dst, 4);
  assert_int_equal(d.sport, 4000);
  assert_int_equal(d.dport, 2269);
  assert_int_equal(d.payload_len, n);
  for (size_t i = 0; i < n; i++) assert_int_equal(d.payload[i], (uint8_t)i);
}

static void expect_end(mbmsec_pcap_reader *r)
{
  mbmsec_pcap_udp d;
  int have = 1;
  assert_int_equal(mbmsec_pcap_next(r, &d, &have), MBMSEC_OK);
  assert_int_equal(have, 0);
}

static mbmsec_err next_err(mbmsec_pcap_reader *r)
{
  mbmsec_pcap_udp d;
  int have = 1;
  mbmsec_err e = mbmsec_pcap_next(r, &d, &have);
  assert_int_equal(have, 0);
  return e;
}

/* RAW IPv4 in all four header variants (byte order x micro/nano). */
static void test_raw_variants(void **state)
{
  (void)state;
  for (int be = 0; be < 2; be++)
    for (int nano = 0; nano < 2; nano++) {
      static file f;
      uint8_t pkt[128];
      global(&f, be, nano, MBMSEC_PCAP_LT_RAW);
      record(&f, pkt, ipv4_udp(pkt, 10, 17, 0), ipv4_udp(pkt, 10, 17, 0));
      record(&f, pkt, ipv4_udp(pkt, 0, 17, 0x4000 /* DF only */), 28);
      mbmsec_pcap_reader r;
      assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_OK);
      assert_int_equal(r.nano, nano);
      mbmsec_pcap_udp d;
      int have = 0;
      assert_int_equal(mbmsec_pcap_next(&r, &d, &have), MBMSEC_OK);
      assert_int_equal(d.ts_sec, 1700000000u);
      assert_int_equal(d.ts_nsec, nano ? 5u : 5000u);
      expect_datagram(&r, 2, 0);
      expect_end(&r);
      expect_end(&r);
    }
}

/* Ethernet (plain and one 802.1Q tag, with padding after the IP packet), SLL, NULL, 228. */
static void test_link_types(void **state)
{
  (void)state;
  static file f;
  uint8_t pkt[256], fr[300];
  size_t n = ipv4_udp(pkt, 5, 17, 0);

  global(&f, 0, 0, MBMSEC_PCAP_LT_ETHERNET);
  memset(fr, 0xee, 12);
  fr[12] = 0x08, fr[13] = 0x00;
  memcpy(fr + 14, pkt, n);
  memset(fr + 14 + n, 0, 20); /* Ethernet padding: ignored through the IPv4 total length */
  record(&f, fr, 14 + n + 20, 14 + n + 20);
  fr[12] = 0x81, fr[13] = 0x00, fr[14] = 0, fr[15] = 5, fr[16] = 0x08, fr[17] = 0x00;
  memcpy(fr + 18, pkt, n);
  record(&f, fr, 18 + n, 18 + n);
  mbmsec_pcap_reader r;
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_OK);
  expect_datagram(&r, 1, 5);
  expect_datagram(&r, 2, 5);
  expect_end(&r);

  global(&f, 1, 0, MBMSEC_PCAP_LT_LINUX_SLL);
  memset(fr, 0, 14);
  fr[14] = 0x08, fr[15] = 0x00;
  memcpy(fr + 16, pkt, n);
  record(&f, fr, 16 + n, 16 + n);
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_OK);
  expect_datagram(&r, 1, 5);
  expect_end(&r);

  /* NULL: AF_INET in the capturing host's order, either one. */
  global(&f, 0, 0, MBMSEC_PCAP_LT_NULL);
  const uint8_t le_inet[4] = {2, 0, 0, 0}, be_inet[4] = {0, 0, 0, 2};
  memcpy(fr, le_inet, 4);
  memcpy(fr + 4, pkt, n);
  record(&f, fr, 4 + n, 4 + n);
  memcpy(fr, be_inet, 4);
  record(&f, fr, 4 + n, 4 + n);
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_OK);
  expect_datagram(&r, 1, 5);
  expect_datagram(&r, 2, 5);
  expect_end(&r);

  global(&f, 0, 1, MBMSEC_PCAP_LT_IPV4);
  record(&f, pkt, n, n);
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_OK);
  expect_datagram(&r, 1, 5);
  expect_end(&r);
}

static void test_header_errors(void **state)
{
  (void)state;
  static file f;
  mbmsec_pcap_reader r;
  global(&f, 0, 0, MBMSEC_PCAP_LT_RAW);
  assert_int_equal(mbmsec_pcap_open(NULL, f.b, f.n), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_pcap_open(&r, NULL, 4), MBMSEC_ERR_ARG);
  for (size_t n = 0; n < 24; n++)
    assert_int_equal(mbmsec_pcap_open(&r, f.b, n), MBMSEC_ERR_PCAP_TRUNCATED);
  assert_int_equal(mbmsec_pcap_open(&r, f.b, 24), MBMSEC_OK);
  expect_end(&r); /* a header alone is an empty capture */
  f.b[0] ^= 1;
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_ERR_PCAP_MAGIC);
  const uint8_t ng[4] = {0x0a, 0x0d, 0x0d, 0x0a};
  memcpy(f.b, ng, 4);
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_ERR_PCAP_PCAPNG);
  global(&f, 1, 0, MBMSEC_PCAP_LT_RAW);
  f.b[5] = 3; /* version 3.4 */
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_ERR_PCAP_VERSION);
  global(&f, 0, 0, 229 /* IPv6 raw */);
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_ERR_PCAP_LINKTYPE);
  global(&f, 0, 0, 105 /* 802.11 */);
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_ERR_PCAP_LINKTYPE);
}

/* File errors stop the reader for good; the datagrams before them are delivered. */
static void test_record_errors(void **state)
{
  (void)state;
  static file f;
  uint8_t pkt[128];
  size_t n = ipv4_udp(pkt, 8, 17, 0);
  mbmsec_pcap_reader r;
  global(&f, 0, 0, MBMSEC_PCAP_LT_RAW);
  record(&f, pkt, n, n);
  size_t one = f.n;
  record(&f, pkt, n, n);
  /* Every cut inside the second record (header or data) is a truncated file. */
  for (size_t cut = one + 1; cut < f.n; cut++) {
    assert_int_equal(mbmsec_pcap_open(&r, f.b, cut), MBMSEC_OK);
    expect_datagram(&r, 1, 8);
    assert_int_equal(next_err(&r), MBMSEC_ERR_PCAP_TRUNCATED);
    assert_int_equal(next_err(&r), MBMSEC_ERR_PCAP_TRUNCATED); /* sticky */
  }
  /* incl_len > orig_len, and incl_len above the limit. */
  global(&f, 0, 0, MBMSEC_PCAP_LT_RAW);
  record(&f, pkt, n, n - 1);
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_OK);
  assert_int_equal(next_err(&r), MBMSEC_ERR_PCAP_RECORD_LEN);
  global(&f, 1, 0, MBMSEC_PCAP_LT_RAW);
  putf32(&f, 0);
  putf32(&f, 0);
  putf32(&f, MBMSEC_PCAP_MAX_RECORD + 1);
  putf32(&f, UINT32_MAX);
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_OK);
  assert_int_equal(next_err(&r), MBMSEC_ERR_PCAP_RECORD_LEN);
  assert_false(mbmsec_pcap_frame_error(MBMSEC_ERR_PCAP_RECORD_LEN));
}

/* Frame errors: the reader goes on with the next record. */
static void test_frame_errors(void **state)
{
  (void)state;
  static file f;
  uint8_t pkt[128], fr[200];
  size_t n;
  mbmsec_pcap_reader r;
  global(&f, 0, 0, MBMSEC_PCAP_LT_RAW);
  n = ipv4_udp(pkt, 4, 6 /* TCP */, 0);
  record(&f, pkt, n, n);            /* 1 NOT_UDP */
  n = ipv4_udp(pkt, 4, 17, 0x2000); /* MF */
  record(&f, pkt, n, n);            /* 2 FRAGMENT */
  n = ipv4_udp(pkt, 4, 17, 0x0001); /* offset 8 */
  record(&f, pkt, n, n);            /* 3 FRAGMENT */
  n = ipv4_udp(pkt, 4, 17, 0);
  pkt[0] = 0x60;
  record(&f, pkt, n, n); /* 4 IPV6 */
  pkt[0] = 0x55;
  record(&f, pkt, n, n); /* 5 NOT_IPV4 (version 5) */
  pkt[0] = 0x44;
  record(&f, pkt, n, n); /* 6 IP_HEADER (IHL 4) */
  pkt[0] = 0x4f;
  record(&f, pkt, n, n); /* 7 IP_HEADER (IHL 60 > packet) */
  pkt[0] = 0x45;
  pkt[3] = (uint8_t)(n + 1);
  record(&f, pkt, n, n); /* 8 IP_HEADER (total > captured) */
  pkt[3] = 27;
  record(&f, pkt, n, n); /* 9 UDP_LEN (no room for the UDP header) */
  pkt[3] = (uint8_t)n;
  pkt[25] = 7;
  record(&f, pkt, n, n); /* 10 UDP_LEN (< 8) */
  pkt[25] = (uint8_t)(n - 19);
  record(&f, pkt, n, n); /* 11 UDP_LEN (> IP payload) */
  pkt[25] = 12;
  record(&f, pkt, 19, n);    /* 12 SNAPPED (cut in the IPv4 header) */
  record(&f, pkt, n - 1, n); /* 13 SNAPPED (cut in the payload) */
  record(&f, pkt, 0, 0);     /* 14 NOT_IPV4 (empty frame) */
  record(&f, pkt, n, n);     /* 15 fine */
  const mbmsec_err want[] = {
      MBMSEC_ERR_PCAP_NOT_UDP,   MBMSEC_ERR_PCAP_FRAGMENT,  MBMSEC_ERR_PCAP_FRAGMENT,
      MBMSEC_ERR_PCAP_IPV6,      MBMSEC_ERR_PCAP_NOT_IPV4,  MBMSEC_ERR_PCAP_IP_HEADER,
      MBMSEC_ERR_PCAP_IP_HEADER, MBMSEC_ERR_PCAP_IP_HEADER, MBMSEC_ERR_PCAP_UDP_LEN,
      MBMSEC_ERR_PCAP_UDP_LEN,   MBMSEC_ERR_PCAP_UDP_LEN,   MBMSEC_ERR_PCAP_SNAPPED,
      MBMSEC_ERR_PCAP_SNAPPED,   MBMSEC_ERR_PCAP_NOT_IPV4};
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_OK);
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    mbmsec_pcap_udp d;
    int have = 1;
    mbmsec_err e = mbmsec_pcap_next(&r, &d, &have);
    assert_int_equal(e, want[i]);
    assert_int_equal(have, 0);
    assert_int_equal(d.frame, i + 1);
    assert_null(d.payload);
    assert_true(mbmsec_pcap_frame_error(e));
  }
  expect_datagram(&r, 15, 4);
  expect_end(&r);

  /* Link-layer frame errors. */
  global(&f, 0, 0, MBMSEC_PCAP_LT_ETHERNET);
  n = ipv4_udp(pkt, 4, 17, 0);
  memset(fr, 0, 12);
  fr[12] = 0x86, fr[13] = 0xdd;
  memcpy(fr + 14, pkt, n);
  record(&f, fr, 14 + n, 14 + n); /* IPv6 ethertype */
  fr[12] = 0x08, fr[13] = 0x06;
  record(&f, fr, 14 + n, 14 + n); /* ARP */
  record(&f, fr, 13, 13);         /* shorter than an Ethernet header */
  fr[12] = 0x81, fr[13] = 0x00;
  record(&f, fr, 16, 16); /* VLAN tag cut */
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_OK);
  assert_int_equal(next_err(&r), MBMSEC_ERR_PCAP_IPV6);
  assert_int_equal(next_err(&r), MBMSEC_ERR_PCAP_NOT_IPV4);
  assert_int_equal(next_err(&r), MBMSEC_ERR_PCAP_NOT_IPV4);
  assert_int_equal(next_err(&r), MBMSEC_ERR_PCAP_NOT_IPV4);
  expect_end(&r);

  global(&f, 0, 0, MBMSEC_PCAP_LT_NULL);
  const uint8_t inet6[4] = {10, 0, 0, 0}, other[4] = {7, 0, 0, 0};
  memcpy(fr, inet6, 4);
  record(&f, fr, 4, 4);
  memcpy(fr, other, 4);
  record(&f, fr, 4, 4);
  record(&f, fr, 3, 3);
  assert_int_equal(mbmsec_pcap_open(&r, f.b, f.n), MBMSEC_OK);
  assert_int_equal(next_err(&r), MBMSEC_ERR_PCAP_IPV6);
  assert_int_equal(next_err(&r), MBMSEC_ERR_PCAP_NOT_IPV4);
  assert_int_equal(next_err(&r), MBMSEC_ERR_PCAP_NOT_IPV4);
  expect_end(&r);
}

static void test_args(void **state)
{
  (void)state;
  mbmsec_pcap_reader r;
  mbmsec_pcap_udp d;
  int have;
  memset(&r, 0, sizeof r);
  assert_int_equal(mbmsec_pcap_next(NULL, &d, &have), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_pcap_next(&r, NULL, &have), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_pcap_next(&r, &d, NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_pcap_next(&r, &d, &have), MBMSEC_ERR_ARG); /* never opened */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_raw_variants),  cmocka_unit_test(test_link_types),
      cmocka_unit_test(test_header_errors), cmocka_unit_test(test_record_errors),
      cmocka_unit_test(test_frame_errors),  cmocka_unit_test(test_args),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
