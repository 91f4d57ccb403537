/* MIKEY codec (mbmsec/mikey.h): round trips of every payload type and of key data chains,
 * and refusal of malformed input with the expected code.
 *
 * The decoder never allocates (the decoded structs point into the input), so there is no
 * fail-every-allocation test here; the state object's allocations are tested in
 * test_mikey_state.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/mikey.h"

/* Field-by-field equality, including the octets the pointers name. */
static int bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
  return n == 0 || (a && b && memcmp(a, b, n) == 0);
}

static void assert_msg_equal(const mbmsec_mikey_msg *a, const mbmsec_mikey_msg *b)
{
  assert_int_equal(a->hdr.version, b->hdr.version);
  assert_int_equal(a->hdr.data_type, b->hdr.data_type);
  assert_int_equal(a->hdr.v_flag, b->hdr.v_flag);
  assert_int_equal(a->hdr.prf, b->hdr.prf);
  assert_int_equal(a->hdr.csb_id, b->hdr.csb_id);
  assert_int_equal(a->hdr.n_cs, b->hdr.n_cs);
  assert_int_equal(a->hdr.map_type, b->hdr.map_type);
  if (a->hdr.map_type == MBMSEC_MIKEY_MAP_SRTP)
    for (int i = 0; i < a->hdr.n_cs; i++) {
      assert_int_equal(a->hdr.cs[i].policy_no, b->hdr.cs[i].policy_no);
      assert_int_equal(a->hdr.cs[i].ssrc, b->hdr.cs[i].ssrc);
      assert_int_equal(a->hdr.cs[i].roc, b->hdr.cs[i].roc);
    }
  assert_int_equal(a->n_payloads, b->n_payloads);
  for (int i = 0; i < a->n_payloads; i++) {
    const mbmsec_mikey_payload *p = &a->p[i], *q = &b->p[i];
    assert_int_equal(p->type, q->type);
    switch (p->type) {
    case MBMSEC_MIKEY_PT_T:
      assert_int_equal(p->u.t.ts_type, q->u.t.ts_type);
      assert_true(p->u.t.value == q->u.t.value);
      break;
    case MBMSEC_MIKEY_PT_RAND:
      assert_int_equal(p->u.rand.len, q->u.rand.len);
      assert_true(bytes_eq(p->u.rand.data, q->u.rand.data, p->u.rand.len));
      break;
    case MBMSEC_MIKEY_PT_ID:
      assert_int_equal(p->u.id.id_type, q->u.id.id_type);
      assert_int_equal(p->u.id.len, q->u.id.len);
      assert_true(bytes_eq(p->u.id.data, q->u.id.data, p->u.id.len));
      break;
    case MBMSEC_MIKEY_PT_SP:
      assert_int_equal(p->u.sp.policy_no, q->u.sp.policy_no);
      assert_int_equal(p->u.sp.prot_type, q->u.sp.prot_type);
      assert_int_equal(p->u.sp.n_params, q->u.sp.n_params);
      for (int k = 0; k < p->u.sp.n_params; k++) {
        assert_int_equal(p->u.sp.params[k].type, q->u.sp.params[k].type);
        assert_int_equal(p->u.sp.params[k].len, q->u.sp.params[k].len);
        assert_true(bytes_eq(p->u.sp.params[k].val, q->u.sp.params[k].val, p->u.sp.params[k].len));
      }
      break;
    case MBMSEC_MIKEY_PT_KEMAC:
      assert_int_equal(p->u.kemac.encr_alg, q->u.kemac.encr_alg);
      assert_int_equal(p->u.kemac.encr_len, q->u.kemac.encr_len);
      assert_true(bytes_eq(p->u.kemac.encr, q->u.kemac.encr, p->u.kemac.encr_len));
      assert_int_equal(p->u.kemac.mac_alg, q->u.kemac.mac_alg);
      if (p->u.kemac.mac_alg == MBMSEC_MIKEY_MAC_HMAC_SHA1_160)
        assert_true(bytes_eq(p->u.kemac.mac, q->u.kemac.mac, MBMSEC_MIKEY_MAC_LEN));
      break;
    case MBMSEC_MIKEY_PT_V:
      assert_int_equal(p->u.v.auth_alg, q->u.v.auth_alg);
      if (p->u.v.auth_alg == MBMSEC_MIKEY_MAC_HMAC_SHA1_160)
        assert_true(bytes_eq(p->u.v.mac, q->u.v.mac, MBMSEC_MIKEY_MAC_LEN));
      break;
    case MBMSEC_MIKEY_PT_ERR:
      assert_int_equal(p->u.err.err_no, q->u.err.err_no);
      assert_int_equal(p->u.err.reserved, q->u.err.reserved);
      break;
    case MBMSEC_MIKEY_PT_EXT:
      assert_int_equal(p->u.ext.ext_type, q->u.ext.ext_type);
      if (p->u.ext.ext_type == MBMSEC_MIKEY_EXT_KEYID) {
        assert_int_equal(p->u.ext.n_keyids, q->u.ext.n_keyids);
        for (int k = 0; k < p->u.ext.n_keyids; k++) {
          assert_int_equal(p->u.ext.keyids[k].type, q->u.ext.keyids[k].type);
          assert_int_equal(p->u.ext.keyids[k].len, q->u.ext.keyids[k].len);
          assert_true(
              bytes_eq(p->u.ext.keyids[k].data, q->u.ext.keyids[k].data, p->u.ext.keyids[k].len));
        }
      } else {
        assert_int_equal(p->u.ext.len, q->u.ext.len);
        assert_true(bytes_eq(p->u.ext.data, q->u.ext.data, p->u.ext.len));
      }
      break;
    default:
      fail();
    }
  }
}

/* encode(m) decodes to m, and encode(decode(encode(m))) gives the same bytes. */
static size_t round_trip(const mbmsec_mikey_msg *m, uint8_t *buf, size_t cap)
{
  static mbmsec_mikey_msg d;
  static uint8_t buf2[4096];
  size_t n, n2;
  assert_int_equal(mbmsec_mikey_encode(m, buf, cap, &n), MBMSEC_OK);
  assert_int_equal(mbmsec_mikey_decode(buf, n, &d), MBMSEC_OK);
  assert_msg_equal(m, &d);
  assert_int_equal(mbmsec_mikey_encode(&d, buf2, sizeof buf2, &n2), MBMSEC_OK);
  assert_int_equal(n, n2);
  assert_memory_equal(buf, buf2, n);
  return n;
}

static const uint8_t R16[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t MAC20[20] = {0xaa, 1,  2,  3,  4,  5,  6,  7,  8,  9,
                                  10,   11, 12, 13, 14, 15, 16, 17, 18, 0xbb};
static const uint8_t ENC[26] = {0x55, 0x66};

/* I_MESSAGE with the SRTP-ID map: HDR(2 CS) T(NTP-UTC) RAND ID(NAI) ID(URI) SP SP EXT(vendor)
 * EXT(Key ID) KEMAC. */
static void test_round_trip_init(void **state)
{
  (void)state;
  static mbmsec_mikey_msg m;
  static uint8_t buf[4096];
  static const uint8_t v1[] = {1}, v2[] = {16}, vend[] = {0xde, 0xad, 0xbe, 0xef};
  static const uint8_t kdid[] = {0x00, 0xf1, 0x10}, mskid[] = {0, 1, 0, 2}, mtkid[] = {0, 7};
  static const uint8_t priv[] = {9};
  memset(&m, 0, sizeof m);
  m.hdr = (mbmsec_mikey_hdr){.version = 1,
                             .data_type = 0,
                             .v_flag = 1,
                             .prf = 0,
                             .csb_id = 0xdeadbeef,
                             .n_cs = 2,
                             .map_type = MBMSEC_MIKEY_MAP_SRTP};
  m.hdr.cs[0] = (mbmsec_mikey_cs){1, 0x11223344, 0};
  m.hdr.cs[1] = (mbmsec_mikey_cs){2, 0x55667788, 0xffffffff};
  m.p[0].type = MBMSEC_MIKEY_PT_T;
  m.p[0].u.t.ts_type = MBMSEC_MIKEY_TS_NTP_UTC;
  m.p[0].u.t.value = 0x0102030405060708ull;
  m.p[1].type = MBMSEC_MIKEY_PT_RAND;
  m.p[1].u.rand.len = 16;
  m.p[1].u.rand.data = R16;
  m.p[2].type = MBMSEC_MIKEY_PT_ID;
  m.p[2].u.id.id_type = MBMSEC_MIKEY_ID_NAI;
  m.p[2].u.id.len = 5;
  m.p[2].u.id.data = (const uint8_t *)"alice";
  m.p[3].type = MBMSEC_MIKEY_PT_ID;
  m.p[3].u.id.id_type = MBMSEC_MIKEY_ID_URI;
  m.p[3].u.id.len = 13;
  m.p[3].u.id.data = (const uint8_t *)"sip:b@example";
  m.p[4].type = MBMSEC_MIKEY_PT_SP;
  m.p[4].u.sp.policy_no = 1;
  m.p[4].u.sp.prot_type = MBMSEC_MIKEY_SP_PROT_SRTP;
  m.p[4].u.sp.n_params = 2;
  m.p[4].u.sp.params[0] = (mbmsec_mikey_sp_param){0, 1, v1};
  m.p[4].u.sp.params[1] = (mbmsec_mikey_sp_param){1, 1, v2};
  m.p[5].type = MBMSEC_MIKEY_PT_SP; /* empty parameter list */
  m.p[5].u.sp.policy_no = 2;
  m.p[6].type = MBMSEC_MIKEY_PT_EXT;
  m.p[6].u.ext.ext_type = MBMSEC_MIKEY_EXT_VENDOR;
  m.p[6].u.ext.len = sizeof vend;
  m.p[6].u.ext.data = vend;
  m.p[7].type = MBMSEC_MIKEY_PT_EXT;
  m.p[7].u.ext.ext_type = MBMSEC_MIKEY_EXT_KEYID;
  m.p[7].u.ext.n_keyids = 4;
  m.p[7].u.ext.keyids[0] = (mbmsec_mikey_keyid){MBMSEC_MIKEY_KEYID_KDID, 3, kdid};
  m.p[7].u.ext.keyids[1] = (mbmsec_mikey_keyid){MBMSEC_MIKEY_KEYID_MSK, 4, mskid};
  m.p[7].u.ext.keyids[2] = (mbmsec_mikey_keyid){MBMSEC_MIKEY_KEYID_MTK, 2, mtkid};
  m.p[7].u.ext.keyids[3] = (mbmsec_mikey_keyid){250, 1, priv};
  m.p[8].type = MBMSEC_MIKEY_PT_KEMAC;
  m.p[8].u.kemac.encr_alg = MBMSEC_MIKEY_ENCR_AES_CM_128;
  m.p[8].u.kemac.encr_len = sizeof ENC;
  m.p[8].u.kemac.encr = ENC;
  m.p[8].u.kemac.mac_alg = MBMSEC_MIKEY_MAC_HMAC_SHA1_160;
  m.p[8].u.kemac.mac = MAC20;
  m.n_payloads = 9;
  size_t n = round_trip(&m, buf, sizeof buf);
  assert_int_equal(n, 28 + 10 + 18 + 9 + 17 + 11 + 5 + 8 + 22 + 51);
  /* next-payload chain */
  assert_int_equal(buf[2], MBMSEC_MIKEY_PT_T);
  assert_int_equal(buf[3], 0x80);
  assert_int_equal(buf[9], MBMSEC_MIKEY_MAP_SRTP);
  assert_int_equal(buf[n - 21 - 26 - 4], MBMSEC_MIKEY_PT_LAST); /* KEMAC next */
  assert_int_equal(mbmsec_mikey_find(&m, MBMSEC_MIKEY_PT_ID, 0), 2);
  assert_int_equal(mbmsec_mikey_find(&m, MBMSEC_MIKEY_PT_ID, 3), 3);
  assert_int_equal(mbmsec_mikey_find(&m, MBMSEC_MIKEY_PT_V, 0), -1);

  /* T as NTP and COUNTER; KEMAC NULL MAC and empty encr data; AES-KW algorithm value. */
  m.p[0].u.t.ts_type = MBMSEC_MIKEY_TS_NTP;
  round_trip(&m, buf, sizeof buf);
  m.p[0].u.t.ts_type = MBMSEC_MIKEY_TS_COUNTER;
  m.p[0].u.t.value = 0xfffffffe;
  m.p[8].u.kemac.mac_alg = MBMSEC_MIKEY_MAC_NULL;
  m.p[8].u.kemac.mac = NULL;
  m.p[8].u.kemac.encr_len = 0;
  m.p[8].u.kemac.encr_alg = MBMSEC_MIKEY_ENCR_AES_KW_128;
  n = round_trip(&m, buf, sizeof buf);
  assert_int_equal(buf[n - 1], MBMSEC_MIKEY_MAC_NULL);
}

/* Verification (data type 1: T, ID, V) and error messages (data type 6: T, ERR, ERR, V). */
static void test_round_trip_ver_err(void **state)
{
  (void)state;
  static mbmsec_mikey_msg m;
  static uint8_t buf[512];
  memset(&m, 0, sizeof m);
  m.hdr = (mbmsec_mikey_hdr){.version = 1,
                             .data_type = MBMSEC_MIKEY_DT_PSK_VERIFY,
                             .csb_id = 7,
                             .map_type = MBMSEC_MIKEY_MAP_EMPTY};
  m.p[0].type = MBMSEC_MIKEY_PT_T;
  m.p[0].u.t.ts_type = MBMSEC_MIKEY_TS_COUNTER;
  m.p[0].u.t.value = 42;
  m.p[1].type = MBMSEC_MIKEY_PT_ID;
  m.p[1].u.id.len = 3;
  m.p[1].u.id.data = (const uint8_t *)"bob";
  m.p[2].type = MBMSEC_MIKEY_PT_V;
  m.p[2].u.v.auth_alg = MBMSEC_MIKEY_MAC_HMAC_SHA1_160;
  m.p[2].u.v.mac = MAC20;
  m.n_payloads = 3;
  assert_int_equal(round_trip(&m, buf, sizeof buf), 10 + 6 + 7 + 22);

  m.hdr.data_type = MBMSEC_MIKEY_DT_ERROR;
  m.p[1].type = MBMSEC_MIKEY_PT_ERR;
  m.p[1].u.err.err_no = 12;
  m.p[1].u.err.reserved = 0;
  m.p[2].type = MBMSEC_MIKEY_PT_ERR;
  m.p[2].u.err.err_no = 245; /* private use */
  m.p[2].u.err.reserved = 0x1234;
  m.p[3].type = MBMSEC_MIKEY_PT_V;
  m.p[3].u.v.auth_alg = MBMSEC_MIKEY_MAC_NULL;
  m.n_payloads = 4;
  assert_int_equal(round_trip(&m, buf, sizeof buf), 10 + 6 + 4 + 4 + 2);

  /* HDR only, and an empty message list with the SRTP map of 0 entries */
  m.n_payloads = 0;
  assert_int_equal(round_trip(&m, buf, sizeof buf), 10);
  m.hdr.map_type = MBMSEC_MIKEY_MAP_SRTP;
  assert_int_equal(round_trip(&m, buf, sizeof buf), 10);
}

static void test_keydata(void **state)
{
  (void)state;
  static const uint8_t key[16] = {1, 2, 3}, salt[14] = {9, 8, 7}, spi[] = {0xab, 0xcd},
                       vf[] = {0, 1}, vt[] = {0, 0x64};
  mbmsec_mikey_keydata kd[4], d[4];
  uint8_t buf[256], buf2[256];
  size_t n, n2, cnt;
  memset(kd, 0, sizeof kd);
  kd[0] = (mbmsec_mikey_keydata){
      .type = MBMSEC_MIKEY_KD_TGK, .kv = MBMSEC_MIKEY_KV_NULL, .key_len = 16, .key = key};
  kd[1] = (mbmsec_mikey_keydata){.type = MBMSEC_MIKEY_KD_TGK_SALT,
                                 .kv = MBMSEC_MIKEY_KV_SPI,
                                 .key_len = 16,
                                 .key = key,
                                 .salt_len = 14,
                                 .salt = salt,
                                 .spi_len = 2,
                                 .spi = spi};
  kd[2] = (mbmsec_mikey_keydata){.type = MBMSEC_MIKEY_KD_TEK,
                                 .kv = MBMSEC_MIKEY_KV_INTERVAL,
                                 .key_len = 16,
                                 .key = key,
                                 .vf_len = 2,
                                 .vf = vf,
                                 .vt_len = 2,
                                 .vt = vt};
  kd[3] = (mbmsec_mikey_keydata){.type = MBMSEC_MIKEY_KD_TEK_SALT,
                                 .kv = MBMSEC_MIKEY_KV_NULL,
                                 .key_len = 16,
                                 .key = key,
                                 .salt_len = 14,
                                 .salt = salt};
  assert_int_equal(mbmsec_mikey_keydata_encode(kd, 4, buf, sizeof buf, &n), MBMSEC_OK);
  assert_int_equal(n, 20 + 39 + 26 + 36);
  assert_int_equal(buf[0], MBMSEC_MIKEY_PT_KEYDATA);
  assert_int_equal(buf[1], 0x00);
  assert_int_equal(buf[20 + 1], 0x11);
  assert_int_equal(buf[20 + 39 + 1], 0x22);
  assert_int_equal(buf[20 + 39 + 26], MBMSEC_MIKEY_PT_LAST);
  assert_int_equal(buf[20 + 39 + 26 + 1], 0x30);
  assert_int_equal(mbmsec_mikey_keydata_decode(buf, n, d, 4, &cnt), MBMSEC_OK);
  assert_int_equal(cnt, 4);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(d[i].type, kd[i].type);
    assert_int_equal(d[i].kv, kd[i].kv);
    assert_int_equal(d[i].key_len, 16);
    assert_memory_equal(d[i].key, key, 16);
    assert_int_equal(d[i].salt_len, kd[i].salt_len);
    assert_true(bytes_eq(d[i].salt, kd[i].salt, kd[i].salt_len));
    assert_int_equal(d[i].spi_len, kd[i].spi_len);
    assert_true(bytes_eq(d[i].spi, kd[i].spi, kd[i].spi_len));
    assert_int_equal(d[i].vf_len, kd[i].vf_len);
    assert_true(bytes_eq(d[i].vf, kd[i].vf, kd[i].vf_len));
    assert_true(bytes_eq(d[i].vt, kd[i].vt, kd[i].vt_len));
  }
  assert_int_equal(mbmsec_mikey_keydata_encode(d, 4, buf2, sizeof buf2, &n2), MBMSEC_OK);
  assert_int_equal(n, n2);
  assert_memory_equal(buf, buf2, n);

  /* refusals */
  assert_int_equal(mbmsec_mikey_keydata_decode(buf, n, d, 3, &cnt), MBMSEC_ERR_MIKEY_TOO_MANY);
  assert_int_equal(mbmsec_mikey_keydata_decode(buf, 0, d, 4, &cnt), MBMSEC_ERR_MIKEY_EMPTY);
  for (size_t cut = 1; cut < n; cut++) {
    mbmsec_err rc = mbmsec_mikey_keydata_decode(buf, cut, d, 4, &cnt);
    assert_true(rc == MBMSEC_ERR_TRUNCATED);
  }
  memcpy(buf2, buf, n);
  buf2[n] = 0;
  assert_int_equal(mbmsec_mikey_keydata_decode(buf2, n + 1, d, 4, &cnt), MBMSEC_ERR_MIKEY_TRAILING);
  buf2[0] = 5;
  assert_int_equal(mbmsec_mikey_keydata_decode(buf2, n, d, 4, &cnt), MBMSEC_ERR_MIKEY_KD_NEXT);
  memcpy(buf2, buf, n);
  buf2[1] = 0x40;
  assert_int_equal(mbmsec_mikey_keydata_decode(buf2, n, d, 4, &cnt), MBMSEC_ERR_MIKEY_KD_TYPE);
  buf2[1] = 0x03;
  assert_int_equal(mbmsec_mikey_keydata_decode(buf2, n, d, 4, &cnt), MBMSEC_ERR_MIKEY_KV_TYPE);
  kd[0].type = 4;
  assert_int_equal(mbmsec_mikey_keydata_encode(kd, 1, buf2, sizeof buf2, &n2),
                   MBMSEC_ERR_MIKEY_KD_TYPE);
  kd[0].type = 0;
  kd[0].kv = 3;
  assert_int_equal(mbmsec_mikey_keydata_encode(kd, 1, buf2, sizeof buf2, &n2),
                   MBMSEC_ERR_MIKEY_KV_TYPE);
  kd[0].kv = 0;
  assert_int_equal(mbmsec_mikey_keydata_encode(kd, 0, buf2, sizeof buf2, &n2),
                   MBMSEC_ERR_MIKEY_EMPTY);
  assert_int_equal(mbmsec_mikey_keydata_encode(kd, 1, buf2, 10, &n2), MBMSEC_ERR_SPACE);
}

/* A minimal valid message: HDR(empty map) T(COUNTER) RAND(16) KEMAC. */
static const uint8_t
    BASE[] = {0x01, 0x00, 0x05, 0x00, 0x01, 0x02, 0x03, 0x04, 0x00, 0x01, /* HDR 0..9 */
              0x0b, 0x02, 0x00, 0x00, 0x00, 0x07,                         /* T 10..15 */
              0x01, 0x10, 0,    1,    2,    3,    4,    5,    6,    7,
              8,    9,    10,   11,   12,   13,   14,   15, /* RAND 16..33 */
              0x00, 0x01, 0x00, 0x02, 0xee, 0xff, 0x01,     /* KEMAC 34..40 */
              1,    2,    3,    4,    5,    6,    7,    8,    9,    10,
              11,   12,   13,   14,   15,   16,   17,   18,   19,   20}; /* MAC 41..60 */

static mbmsec_err dec_mut(size_t off, uint8_t val)
{
  static mbmsec_mikey_msg m;
  uint8_t b[sizeof BASE];
  memcpy(b, BASE, sizeof b);
  b[off] = val;
  return mbmsec_mikey_decode(b, sizeof b, &m);
}

static mbmsec_err dec_bytes(const uint8_t *b, size_t n)
{
  static mbmsec_mikey_msg m;
  return mbmsec_mikey_decode(b, n, &m);
}

static void test_decode_refusals(void **state)
{
  (void)state;
  static mbmsec_mikey_msg m;
  uint8_t b[512];
  size_t n;
  assert_int_equal(dec_bytes(BASE, sizeof BASE), MBMSEC_OK);
  assert_int_equal(dec_mut(0, 2), MBMSEC_ERR_MIKEY_VERSION);
  assert_int_equal(dec_mut(0, 0), MBMSEC_ERR_MIKEY_VERSION);
  assert_int_equal(dec_mut(1, 7), MBMSEC_ERR_MIKEY_DATA_TYPE);
  assert_int_equal(dec_mut(3, 0x01), MBMSEC_ERR_MIKEY_PRF_FUNC);
  assert_int_equal(dec_mut(3, 0xff), MBMSEC_ERR_MIKEY_PRF_FUNC);
  assert_int_equal(dec_mut(9, 2), MBMSEC_ERR_MIKEY_MAP_TYPE);
  assert_int_equal(dec_mut(9, 0), MBMSEC_OK); /* SRTP map with #CS 0: no entries */
  assert_int_equal(dec_mut(2, 2), MBMSEC_ERR_MIKEY_PAYLOAD_TYPE);  /* PKE */
  assert_int_equal(dec_mut(2, 4), MBMSEC_ERR_MIKEY_PAYLOAD_TYPE);  /* SIGN */
  assert_int_equal(dec_mut(2, 20), MBMSEC_ERR_MIKEY_PAYLOAD_TYPE); /* key data outside KEMAC */
  assert_int_equal(dec_mut(2, 255), MBMSEC_ERR_MIKEY_PAYLOAD_TYPE);
  assert_int_equal(dec_mut(11, 3), MBMSEC_ERR_MIKEY_TS_TYPE);
  assert_int_equal(dec_mut(35, 3), MBMSEC_ERR_MIKEY_ENCR_ALG);
  assert_int_equal(dec_mut(40, 2), MBMSEC_ERR_MIKEY_MAC_ALG);
  assert_int_equal(dec_mut(34, 5), MBMSEC_ERR_MIKEY_NOT_LAST);
  assert_int_equal(dec_mut(34, 1), MBMSEC_ERR_MIKEY_NOT_LAST); /* a second KEMAC after the first */
  assert_int_equal(dec_mut(17, 0x11),
                   MBMSEC_ERR_MIKEY_NOT_LAST); /* RAND eats the KEMAC next octet */
  assert_int_equal(dec_mut(17, 0xff), MBMSEC_ERR_TRUNCATED);
  assert_int_equal(dec_mut(36, 0xff), MBMSEC_ERR_TRUNCATED); /* encr len past the end */
  /* #CS 1 with the empty map: no entries follow, decodes */
  assert_int_equal(dec_mut(8, 1), MBMSEC_OK);
  /* truncation at every length */
  for (size_t cut = 0; cut < sizeof BASE; cut++)
    assert_int_equal(dec_bytes(BASE, cut), MBMSEC_ERR_TRUNCATED);
  /* trailing octet */
  memcpy(b, BASE, sizeof BASE);
  b[sizeof BASE] = 0;
  assert_int_equal(dec_bytes(b, sizeof BASE + 1), MBMSEC_ERR_MIKEY_TRAILING);

  /* Chains built by hand: HDR then payload list. */
  static const uint8_t hdr[] = {0x01, 0x00, 0x00, 0x00, 0, 0, 0, 1, 0x00, 0x01};
#define MSG(...)                                         \
  do {                                                   \
    static const uint8_t body_[] = {__VA_ARGS__};        \
    memcpy(b, hdr, sizeof hdr);                          \
    b[2] = body_[0];                                     \
    memcpy(b + sizeof hdr, body_ + 1, sizeof body_ - 1); \
    n = sizeof hdr + sizeof body_ - 1;                   \
  } while (0)
  /* first byte of the list = HDR next payload */
  MSG(6, 0, 2, 0, 1, 'x');
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_ID_TYPE);
  MSG(6, 0, 1, 0, 1, 'x');
  assert_int_equal(dec_bytes(b, n), MBMSEC_OK);
  MSG(6, 6, 0, 0, 1, 'x', 6, 1, 0, 1, 'y', 0, 0, 0, 1, 'z'); /* three IDs */
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
  MSG(5, 5, 2, 0, 0, 0, 1, 0, 2, 0, 0, 0, 2); /* two T */
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
  MSG(11, 11, 1, 0xaa, 0, 1, 0xbb); /* two RAND */
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
  MSG(9, 9, 0); /* V not last */
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_NOT_LAST);
  MSG(9, 0, 2);
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_MAC_ALG);
  MSG(10, 0, 1, 0, 0, 0); /* SP with the empty map */
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_SP_EMPTY_MAP);
  MSG(12, 0, 13, 0, 0);
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_ERR_NO);
  MSG(12, 0, 241, 0, 0);
  assert_int_equal(dec_bytes(b, n), MBMSEC_OK);
  MSG(21, 0, 3, 0, 0); /* empty Key ID information */
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_EMPTY);
  MSG(21, 0, 3, 0, 3, 3, 1, 0xaa); /* Key ID type 3 */
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_KEYID_TYPE);
  MSG(21, 0, 3, 0, 3, 0, 2, 0xaa); /* Key ID length past the ext data */
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_TRUNCATED);
  MSG(21, 21, 3, 0, 3, 0, 1, 0xaa, 0, 3, 0, 3, 1, 1, 0xbb); /* two Key ID extensions */
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
  MSG(21, 21, 0, 0, 1, 0xaa, 0, 7, 0, 0); /* vendor ext + unknown ext type 7: kept */
  assert_int_equal(dec_bytes(b, n), MBMSEC_OK);
  MSG(21, 0, 3, 0, 27, 0, 1, 1, 0, 1, 2, 0, 1, 3, 0, 1, 4, 0, 1, 5, 0, 1, 6, 0, 1, 7, 0, 1, 8, 0, 1,
      9);
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_TOO_MANY); /* 9 Key IDs */
  MSG(14, 0, 0, 0, 0); /* IDR payload (RFC 6043): not supported */
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_PAYLOAD_TYPE);
  /* 17 ERR payloads: more than MBMSEC_MIKEY_MAX_PAYLOADS */
  memcpy(b, hdr, sizeof hdr);
  b[2] = 12;
  n = sizeof hdr;
  for (int i = 0; i < 17; i++) {
    b[n++] = i == 16 ? 0 : 12;
    b[n++] = 0;
    b[n++] = 0;
    b[n++] = 0;
  }
  assert_int_equal(dec_bytes(b, n), MBMSEC_ERR_MIKEY_TOO_MANY);
  /* SRTP map: 17 CS */
  memcpy(b, hdr, sizeof hdr);
  b[8] = 17;
  b[9] = 0;
  memset(b + 10, 0, 17 * 9);
  assert_int_equal(dec_bytes(b, 10 + 17 * 9), MBMSEC_ERR_MIKEY_TOO_MANY);
  b[8] = 2;
  assert_int_equal(dec_bytes(b, 10 + 2 * 9), MBMSEC_OK);
  assert_int_equal(dec_bytes(b, 10 + 2 * 9 - 1), MBMSEC_ERR_TRUNCATED);
  /* SP: SRTP map allows it; unknown prot type and param overrun refused */
  static const uint8_t sp_ok[] = {0x01, 0x00, 10, 0x00, 0, 0, 0, 1, 0x00, 0x00, 0,
                                  1,    0,    0,  6,    0, 1, 1, 1, 1,    16};
  assert_int_equal(dec_bytes(sp_ok, sizeof sp_ok), MBMSEC_OK);
  memcpy(b, sp_ok, sizeof sp_ok);
  b[12] = 1;
  assert_int_equal(dec_bytes(b, sizeof sp_ok), MBMSEC_ERR_MIKEY_SP_PROT);
  memcpy(b, sp_ok, sizeof sp_ok);
  b[19] = 2;
  assert_int_equal(dec_bytes(b, sizeof sp_ok), MBMSEC_ERR_TRUNCATED);
  assert_int_equal(mbmsec_mikey_decode(NULL, 5, &m), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_mikey_decode(BASE, sizeof BASE, NULL), MBMSEC_ERR_ARG);
}

static void test_encode_refusals(void **state)
{
  (void)state;
  static mbmsec_mikey_msg m, d;
  uint8_t buf[128];
  size_t n;
  assert_int_equal(mbmsec_mikey_decode(BASE, sizeof BASE, &d), MBMSEC_OK);
  m = d;
  assert_int_equal(mbmsec_mikey_encode(&m, buf, sizeof buf, &n), MBMSEC_OK);
  assert_int_equal(n, sizeof BASE);
  assert_memory_equal(buf, BASE, n);
  assert_int_equal(mbmsec_mikey_encode(&m, buf, sizeof BASE - 1, &n), MBMSEC_ERR_SPACE);
  m.hdr.version = 2;
  assert_int_equal(mbmsec_mikey_encode(&m, buf, sizeof buf, &n), MBMSEC_ERR_MIKEY_VERSION);
  m = d;
  m.p[0].type = 2;
  assert_int_equal(mbmsec_mikey_encode(&m, buf, sizeof buf, &n), MBMSEC_ERR_MIKEY_PAYLOAD_TYPE);
  m = d;
  m.p[0].u.t.ts_type = 9;
  assert_int_equal(mbmsec_mikey_encode(&m, buf, sizeof buf, &n), MBMSEC_ERR_MIKEY_TS_TYPE);
  m = d;
  m.p[3] = m.p[0]; /* payload after KEMAC */
  m.p[3].type = MBMSEC_MIKEY_PT_ERR;
  m.n_payloads = 4;
  assert_int_equal(mbmsec_mikey_encode(&m, buf, sizeof buf, &n), MBMSEC_ERR_MIKEY_NOT_LAST);
  m = d;
  m.p[2].u.kemac.encr_alg = 7;
  assert_int_equal(mbmsec_mikey_encode(&m, buf, sizeof buf, &n), MBMSEC_ERR_MIKEY_ENCR_ALG);
  m = d;
  m.p[0].u.t.value = 1ull << 32;
  assert_int_equal(mbmsec_mikey_encode(&m, buf, sizeof buf, &n), MBMSEC_ERR_ARG);
  m = d;
  m.hdr.v_flag = 2;
  assert_int_equal(mbmsec_mikey_encode(&m, buf, sizeof buf, &n), MBMSEC_ERR_ARG);
  m = d;
  m.n_payloads = MBMSEC_MIKEY_MAX_PAYLOADS + 1;
  assert_int_equal(mbmsec_mikey_encode(&m, buf, sizeof buf, &n), MBMSEC_ERR_MIKEY_TOO_MANY);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_init), cmocka_unit_test(test_round_trip_ver_err),
      cmocka_unit_test(test_keydata),         cmocka_unit_test(test_decode_refusals),
      cmocka_unit_test(test_encode_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
