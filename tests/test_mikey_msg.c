/* MBMS profile MIKEY messages (mbmsec/mikey_msg.h): exact byte layout of the MSK message
 * (mikey.md 7.1) and the MTK message (7.2) with fixed CSB ID / RAND / keys, checked against an
 * independent KEMAC decryption and MAC computed here from the PRF and crypto primitives;
 * build/verify round trips of MSK, MTK, pull and verification messages; NULL algorithms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/crypto.h"
#include "mbmsec/mikey.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/mikey_prf.h"

static const uint8_t MUK[32] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
                                0xcc, 0xdd, 0xee, 0xff, 0x00, 1,    2,    3,    4,    5,    6,
                                7,    8,    9,    10,   11,   12,   13,   14,   15,   16};
static const uint8_t MSK[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
static const uint8_t MTK[16] = {0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
                                0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf};
static const uint8_t SALT[14] = {0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6,
                                 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd};
static const uint8_t KDID[3] = {0x00, 0xf1, 0x10};
static const char IDI[] = "bmsc.example.org";
static const char IDR[] = "dGVzdHJhbmQ=@bsf.example.org";

static void msk_params(mbmsec_mikey_msk_params *p)
{
  memset(p, 0, sizeof *p);
  memcpy(p->kdid, KDID, 3);
  p->msk_id[0] = 0x00;
  p->msk_id[1] = 0x01;
  p->msk_id[2] = 0x00;
  p->msk_id[3] = 0x02;
  p->idi = (const uint8_t *)IDI;
  p->idi_len = strlen(IDI);
  p->idr = (const uint8_t *)IDR;
  p->idr_len = strlen(IDR);
  p->counter = 0x01020304;
  p->v_flag = 1;
  p->msk = MSK;
  p->vf = 0x0001;
  p->vt = 0x0064;
  p->fixed = 1;
  p->csb_id = 0xcafebabe;
  for (int i = 0; i < 16; i++) p->rand[i] = (uint8_t)(0x10 + i);
}

static void mtk_params(mbmsec_mikey_mtk_params *p)
{
  memset(p, 0, sizeof *p);
  memcpy(p->kdid, KDID, 3);
  p->msk_id[0] = 0x00;
  p->msk_id[1] = 0x01;
  p->msk_id[2] = 0x00;
  p->msk_id[3] = 0x02;
  p->mtk_id = 0x0005;
  p->counter = 7;
  p->mtk = MTK;
  p->salt = SALT;
  p->fixed = 1;
  p->csb_id = 0x0badf00d;
  for (int i = 0; i < 16; i++) p->rand[i] = (uint8_t)(0x80 + i);
}

/* Independent KEMAC check: MAC over everything but the MAC, then decryption. */
static void kemac_open(const uint8_t *msg, size_t len, const uint8_t *psk, size_t psk_len,
                       uint32_t csb_id, const uint8_t *rand, uint32_t counter, size_t encr_off,
                       size_t encr_len, uint8_t *plain)
{
  mbmsec_mikey_keys k;
  uint8_t mac[20], iv[16];
  mbmsec_iov iov = {msg, len - 20};
  assert_int_equal(mbmsec_mikey_psk_keys(psk, psk_len, csb_id, rand, 16, &k), MBMSEC_OK);
  assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA1, k.auth_key, 20, &iov, 1, mac), MBMSEC_OK);
  assert_memory_equal(mac, msg + len - 20, 20);
  /* IV = (salt_key XOR (0x0000 || CSB ID || 00000000 || counter)) || 0x0000, built by hand */
  memset(iv, 0, sizeof iv);
  iv[2] = (uint8_t)(csb_id >> 24);
  iv[3] = (uint8_t)(csb_id >> 16);
  iv[4] = (uint8_t)(csb_id >> 8);
  iv[5] = (uint8_t)csb_id;
  iv[10] = (uint8_t)(counter >> 24);
  iv[11] = (uint8_t)(counter >> 16);
  iv[12] = (uint8_t)(counter >> 8);
  iv[13] = (uint8_t)counter;
  for (int i = 0; i < 14; i++) iv[i] ^= k.salt_key[i];
  if (encr_len)
    assert_int_equal(mbmsec_aes128_ctr(k.encr_key, iv, msg + encr_off, plain, encr_len), MBMSEC_OK);
  mbmsec_mikey_keys_cleanse(&k);
}

typedef struct {
  const uint8_t *muk;
  int calls;
  mbmsec_mikey_psk psk; /* returned as is, key replaced for MUK lookups */
} cb_ctx;

static mbmsec_err key_cb(void *vctx, const mbmsec_mikey_key_ref *ref, mbmsec_mikey_psk *out)
{
  cb_ctx *c = vctx;
  c->calls++;
  *out = c->psk;
  if (ref->kind == MBMSEC_MIKEY_KEY_MUK) {
    if (ref->idi_len != strlen(IDI) || memcmp(ref->idi, IDI, ref->idi_len) != 0 ||
        ref->idr_len != strlen(IDR) || memcmp(ref->idr, IDR, ref->idr_len) != 0)
      return MBMSEC_ERR_MIKEY_UNKNOWN_KEY;
    memcpy(out->key, c->muk, 32);
    out->key_len = 32;
  } else {
    if (memcmp(ref->kdid, KDID, 3) != 0) return MBMSEC_ERR_MIKEY_UNKNOWN_KEY;
    memcpy(out->key, MSK, 16);
    out->key_len = 16;
  }
  return MBMSEC_OK;
}

static void test_msk_layout(void **state)
{
  (void)state;
  mbmsec_mikey_msk_params p;
  mbmsec_mikey_sent sent;
  uint8_t out[MBMSEC_MIKEY_MSK_MSG_MAX], plain[26];
  size_t n, a = strlen(IDI), b = strlen(IDR), k = 57 + a + b;
  msk_params(&p);
  assert_int_equal(mbmsec_mikey_msk_build(&p, MUK, 32, NULL, out, sizeof out, &n, &sent),
                   MBMSEC_OK);
  assert_int_equal(n, 108 + a + b);
  assert_int_equal(sent.csb_id, 0xcafebabe);
  assert_int_equal(sent.counter, 0x01020304);
  assert_memory_equal(sent.rand, p.rand, 16);
  static const uint8_t hdr[] = {0x01, 0x00, 0x15, 0x80, 0xca, 0xfe, 0xba, 0xbe, 0x00, 0x01, 0x05,
                                0x03, 0x00, 0x0b, 0x00, 0x03, 0x00, 0xf1, 0x10, 0x01, 0x04, 0x00,
                                0x01, 0x00, 0x02, 0x0b, 0x02, 0x01, 0x02, 0x03, 0x04, 0x06, 0x10};
  assert_memory_equal(out, hdr, sizeof hdr);
  assert_memory_equal(out + 33, p.rand, 16);
  assert_int_equal(out[49], 0x06);
  assert_int_equal(out[50], 0x00);
  assert_int_equal(out[51], 0x00);
  assert_int_equal(out[52], a);
  assert_memory_equal(out + 53, IDI, a);
  assert_int_equal(out[53 + a], 0x01);
  assert_int_equal(out[54 + a], 0x00);
  assert_int_equal(out[55 + a], 0x00);
  assert_int_equal(out[56 + a], b);
  assert_memory_equal(out + 57 + a, IDR, b);
  assert_int_equal(out[k], 0x00);
  assert_int_equal(out[k + 1], 0x01);
  assert_int_equal(out[k + 2], 0x00);
  assert_int_equal(out[k + 3], 0x1a);
  assert_int_equal(out[k + 30], 0x01);
  kemac_open(out, n, MUK, 32, 0xcafebabe, p.rand, 0x01020304, k + 4, 26, plain);
  static const uint8_t kd_head[] = {0x00, 0x02, 0x00, 0x10};
  static const uint8_t kd_tail[] = {0x02, 0x00, 0x01, 0x02, 0x00, 0x64};
  assert_memory_equal(plain, kd_head, 4);
  assert_memory_equal(plain + 4, MSK, 16);
  assert_memory_equal(plain + 20, kd_tail, 6);

  /* V off: byte 3 = 00 */
  p.v_flag = 0;
  assert_int_equal(mbmsec_mikey_msk_build(&p, MUK, 32, NULL, out, sizeof out, &n, NULL), MBMSEC_OK);
  assert_int_equal(out[3], 0x00);
  /* too small a buffer */
  assert_int_equal(mbmsec_mikey_msk_build(&p, MUK, 32, NULL, out, 100, &n, NULL), MBMSEC_ERR_SPACE);
  /* argument checks */
  p.vf = 200;
  assert_int_equal(mbmsec_mikey_msk_build(&p, MUK, 32, NULL, out, sizeof out, &n, NULL),
                   MBMSEC_ERR_MIKEY_INTERVAL);
  msk_params(&p);
  p.idi_len = 0;
  assert_int_equal(mbmsec_mikey_msk_build(&p, MUK, 32, NULL, out, sizeof out, &n, NULL),
                   MBMSEC_ERR_LENGTH);
  msk_params(&p);
  assert_int_equal(mbmsec_mikey_msk_build(&p, MUK, 33, NULL, out, sizeof out, &n, NULL),
                   MBMSEC_ERR_LENGTH);
}

static void test_mtk_layout(void **state)
{
  (void)state;
  mbmsec_mikey_mtk_params p;
  uint8_t out[256], plain[36];
  size_t n;
  mtk_params(&p);
  assert_int_equal(mbmsec_mikey_mtk_build(&p, MSK, 16, NULL, out, sizeof out, &n, NULL), MBMSEC_OK);
  assert_int_equal(n, 114);
  assert_int_equal(n, MBMSEC_MIKEY_MTK_MSG_LEN);
  static const uint8_t head[] = {0x01, 0x00, 0x15, 0x00, 0x0b, 0xad,
                                 0xf0, 0x0d, 0x00, 0x01,             /* HDR */
                                 0x05, 0x03, 0x00, 0x0f,             /* EXT */
                                 0x00, 0x03, 0x00, 0xf1, 0x10,       /* KDID */
                                 0x01, 0x04, 0x00, 0x01, 0x00, 0x02, /* MSK ID */
                                 0x02, 0x02, 0x00, 0x05,             /* MTK ID */
                                 0x0b, 0x02, 0x00, 0x00, 0x00, 0x07, /* T */
                                 0x01, 0x10};                        /* RAND */
  assert_memory_equal(out, head, sizeof head);
  assert_memory_equal(out + 37, p.rand, 16);
  static const uint8_t kemac[] = {0x00, 0x01, 0x00, 0x24};
  assert_memory_equal(out + 53, kemac, 4);
  assert_int_equal(out[93], 0x01);
  kemac_open(out, n, MSK, 16, 0x0badf00d, p.rand, 7, 57, 36, plain);
  static const uint8_t kd_head[] = {0x00, 0x10, 0x00, 0x10};
  assert_memory_equal(plain, kd_head, 4);
  assert_memory_equal(plain + 4, MTK, 16);
  assert_int_equal(plain[20], 0x00);
  assert_int_equal(plain[21], 0x0e);
  assert_memory_equal(plain + 22, SALT, 14);
}

static void test_msk_round_trip(void **state)
{
  (void)state;
  mbmsec_mikey_msk_params p;
  mbmsec_mikey_msk_info info;
  mbmsec_mikey_sent sent;
  cb_ctx c = {.muk = MUK};
  uint8_t out[MBMSEC_MIKEY_MSK_MSG_MAX], ver[MBMSEC_MIKEY_VER_MSG_MAX];
  size_t n, vn;
  msk_params(&p);
  p.fixed = 0; /* CSB ID and RAND from mbmsec_random */
  assert_int_equal(mbmsec_mikey_msk_build(&p, MUK, 32, NULL, out, sizeof out, &n, &sent),
                   MBMSEC_OK);
  c.psk.counter = 0x01020303;
  assert_int_equal(mbmsec_mikey_msk_verify(out, n, key_cb, &c, NULL, &info), MBMSEC_OK);
  assert_int_equal(info.csb_id, sent.csb_id);
  assert_memory_equal(info.rand, sent.rand, 16);
  assert_int_equal(info.counter, 0x01020304);
  assert_int_equal(info.v_flag, 1);
  assert_int_equal(info.pull, 0);
  assert_memory_equal(info.kdid, KDID, 3);
  assert_memory_equal(info.msk_id, p.msk_id, 4);
  assert_memory_equal(info.msk, MSK, 16);
  assert_int_equal(info.vf, 1);
  assert_int_equal(info.vt, 100);
  assert_int_equal(info.idi_len, strlen(IDI));
  assert_memory_equal(info.idi, IDI, strlen(IDI));
  assert_int_equal(info.idr_len, strlen(IDR));
  assert_memory_equal(info.idr, IDR, strlen(IDR));
  /* replay: same counter as stored */
  c.psk.counter = 0x01020304;
  assert_int_equal(mbmsec_mikey_msk_verify(out, n, key_cb, &c, NULL, &info),
                   MBMSEC_ERR_MIKEY_REPLAY);
  assert_int_equal(info.counter, 0); /* zeroed on failure */
  c.psk.counter = 0;
  /* wrong MUK */
  uint8_t other[32];
  memset(other, 0x5a, sizeof other);
  c.muk = other;
  assert_int_equal(mbmsec_mikey_msk_verify(out, n, key_cb, &c, NULL, &info), MBMSEC_ERR_MIKEY_MAC);
  c.muk = MUK;
  /* expected Key Domain */
  mbmsec_mikey_opts o = {0};
  static const uint8_t other_kdid[3] = {0x62, 0xf2, 0x10};
  o.expect_kdid = other_kdid;
  assert_int_equal(mbmsec_mikey_msk_verify(out, n, key_cb, &c, &o, &info), MBMSEC_ERR_MIKEY_KDID);
  o.expect_kdid = KDID;
  assert_int_equal(mbmsec_mikey_msk_verify(out, n, key_cb, &c, &o, &info), MBMSEC_OK);

  /* The verification message: exact layout (mikey.md 6) and BM-SC check. */
  assert_int_equal(mbmsec_mikey_ver_build(&info, MUK, 32, ver, sizeof ver, &vn), MBMSEC_OK);
  size_t b = strlen(IDR);
  assert_int_equal(vn, 42 + b);
  assert_int_equal(ver[0], 0x01);
  assert_int_equal(ver[1], 0x01);
  assert_int_equal(ver[2], 0x05);
  assert_int_equal(ver[3], 0x00);
  assert_int_equal(ver[4], (uint8_t)(sent.csb_id >> 24));
  assert_int_equal(ver[7], (uint8_t)sent.csb_id);
  assert_int_equal(ver[8], 0x00);
  assert_int_equal(ver[9], 0x01);
  static const uint8_t t[] = {0x06, 0x02, 0x01, 0x02, 0x03, 0x04, 0x09, 0x00, 0x00};
  assert_memory_equal(ver + 10, t, sizeof t);
  assert_int_equal(ver[19], b);
  assert_memory_equal(ver + 20, IDR, b);
  assert_int_equal(ver[20 + b], 0x00);
  assert_int_equal(ver[21 + b], 0x01);
  /* MAC by hand: HMAC(auth_key, ver[0..21+b] || IDi || IDr || 01020304) */
  {
    mbmsec_mikey_keys k;
    uint8_t mac[20];
    static const uint8_t ts[4] = {1, 2, 3, 4};
    mbmsec_iov iov[4] = {{ver, 22 + b}, {IDI, strlen(IDI)}, {IDR, b}, {ts, 4}};
    assert_int_equal(mbmsec_mikey_psk_keys(MUK, 32, sent.csb_id, sent.rand, 16, &k), MBMSEC_OK);
    assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA1, k.auth_key, 20, iov, 4, mac), MBMSEC_OK);
    assert_memory_equal(mac, ver + 22 + b, 20);
  }
  assert_int_equal(mbmsec_mikey_ver_verify(ver, vn, MUK, 32, &sent, (const uint8_t *)IDI,
                                           strlen(IDI), (const uint8_t *)IDR, b),
                   MBMSEC_OK);
  /* a MAC over message || T only (the wrong reading) does not verify */
  {
    mbmsec_mikey_keys k;
    uint8_t bad[MBMSEC_MIKEY_VER_MSG_MAX];
    static const uint8_t ts[4] = {1, 2, 3, 4};
    memcpy(bad, ver, vn);
    mbmsec_iov iov[2] = {{ver, 22 + b}, {ts, 4}};
    assert_int_equal(mbmsec_mikey_psk_keys(MUK, 32, sent.csb_id, sent.rand, 16, &k), MBMSEC_OK);
    assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA1, k.auth_key, 20, iov, 2, bad + 22 + b), MBMSEC_OK);
    assert_int_equal(mbmsec_mikey_ver_verify(bad, vn, MUK, 32, &sent, (const uint8_t *)IDI,
                                             strlen(IDI), (const uint8_t *)IDR, b),
                     MBMSEC_ERR_MIKEY_MAC);
  }
  mbmsec_mikey_sent s2 = sent;
  s2.counter++;
  assert_int_equal(mbmsec_mikey_ver_verify(ver, vn, MUK, 32, &s2, (const uint8_t *)IDI, strlen(IDI),
                                           (const uint8_t *)IDR, b),
                   MBMSEC_ERR_MIKEY_VER_MISMATCH);
  s2 = sent;
  s2.csb_id ^= 1;
  assert_int_equal(mbmsec_mikey_ver_verify(ver, vn, MUK, 32, &s2, (const uint8_t *)IDI, strlen(IDI),
                                           (const uint8_t *)IDR, b),
                   MBMSEC_ERR_MIKEY_VER_MISMATCH);
  assert_int_equal(mbmsec_mikey_ver_verify(ver, vn, MUK, 32, &sent, (const uint8_t *)IDI,
                                           strlen(IDI), (const uint8_t *)"other", 5),
                   MBMSEC_ERR_MIKEY_VER_MISMATCH);
  s2 = sent;
  s2.rand[0] ^= 1;
  assert_int_equal(mbmsec_mikey_ver_verify(ver, vn, MUK, 32, &s2, (const uint8_t *)IDI, strlen(IDI),
                                           (const uint8_t *)IDR, b),
                   MBMSEC_ERR_MIKEY_MAC);
  assert_int_equal(mbmsec_mikey_ver_verify(ver, vn, MUK, 32, &sent, (const uint8_t *)"x", 1,
                                           (const uint8_t *)IDR, b),
                   MBMSEC_ERR_MIKEY_MAC);
  for (size_t i = 0; i < vn * 8; i++) { /* every bit of the verification message matters */
    uint8_t bad[MBMSEC_MIKEY_VER_MSG_MAX];
    memcpy(bad, ver, vn);
    bad[i / 8] ^= (uint8_t)(1u << (i % 8));
    assert_int_not_equal(mbmsec_mikey_ver_verify(bad, vn, MUK, 32, &sent, (const uint8_t *)IDI,
                                                 strlen(IDI), (const uint8_t *)IDR, b),
                         MBMSEC_OK);
  }
  /* an MSK message is not a verification message, and the reverse */
  assert_int_equal(mbmsec_mikey_ver_verify(out, n, MUK, 32, &sent, (const uint8_t *)IDI,
                                           strlen(IDI), (const uint8_t *)IDR, b),
                   MBMSEC_ERR_MIKEY_LAYOUT);
  assert_int_equal(mbmsec_mikey_msk_verify(ver, vn, key_cb, &c, NULL, &info),
                   MBMSEC_ERR_MIKEY_LAYOUT);
  mbmsec_mikey_msk_info_cleanse(&info);
}

static void test_pull(void **state)
{
  (void)state;
  mbmsec_mikey_msk_params p;
  mbmsec_mikey_msk_info info;
  cb_ctx c = {.muk = MUK};
  uint8_t out[MBMSEC_MIKEY_MSK_MSG_MAX];
  size_t n, a = strlen(IDI), b = strlen(IDR), k = 57 + a + b;
  msk_params(&p);
  p.msk = NULL;
  p.msk_id[2] = p.msk_id[3] = 0; /* key number 0 = the current MSK (P15) */
  assert_int_equal(mbmsec_mikey_msk_build(&p, MUK, 32, NULL, out, sizeof out, &n, NULL), MBMSEC_OK);
  assert_int_equal(n, 108 + a + b - 26);
  assert_int_equal(out[k + 2], 0x00);
  assert_int_equal(out[k + 3], 0x00);
  assert_int_equal(out[k + 4], 0x01);
  kemac_open(out, n, MUK, 32, p.csb_id, p.rand, p.counter, k + 4, 0, NULL);
  assert_int_equal(mbmsec_mikey_msk_verify(out, n, key_cb, &c, NULL, &info), MBMSEC_OK);
  assert_int_equal(info.pull, 1);
  assert_int_equal(info.v_flag, 1);
  assert_memory_equal(info.msk_id, p.msk_id, 4);
}

static void test_mtk_round_trip(void **state)
{
  (void)state;
  mbmsec_mikey_mtk_params p;
  mbmsec_mikey_mtk_info info;
  cb_ctx c = {.muk = MUK};
  uint8_t out[256];
  size_t n;
  mtk_params(&p);
  p.fixed = 0;
  assert_int_equal(mbmsec_mikey_mtk_build(&p, MSK, 16, NULL, out, sizeof out, &n, NULL), MBMSEC_OK);
  c.psk.vf = 1;
  c.psk.vt = 100;
  c.psk.counter = 6;
  c.psk.has_last_mtk = 1;
  c.psk.last_mtk_id = 4;
  assert_int_equal(mbmsec_mikey_mtk_verify(out, n, key_cb, &c, NULL, &info), MBMSEC_OK);
  assert_int_equal(info.mtk_id, 5);
  assert_int_equal(info.counter, 7);
  assert_memory_equal(info.mtk, MTK, 16);
  assert_memory_equal(info.salt, SALT, 14);
  assert_memory_equal(info.msk_id, p.msk_id, 4);
  c.psk.last_mtk_id = 5; /* the same MTK sent again (late joiners): a repetition */
  assert_int_equal(mbmsec_mikey_mtk_verify(out, n, key_cb, &c, NULL, &info),
                   MBMSEC_ERR_MIKEY_MTK_REPEAT);
  c.psk.last_mtk_id = 6;
  assert_int_equal(mbmsec_mikey_mtk_verify(out, n, key_cb, &c, NULL, &info),
                   MBMSEC_ERR_MIKEY_MTK_ID_OLD);
  c.psk.has_last_mtk = 0;
  c.psk.vf = 6;
  assert_int_equal(mbmsec_mikey_mtk_verify(out, n, key_cb, &c, NULL, &info),
                   MBMSEC_ERR_MIKEY_MTK_ID_RANGE);
  c.psk.vf = 1;
  c.psk.vt = 4;
  assert_int_equal(mbmsec_mikey_mtk_verify(out, n, key_cb, &c, NULL, &info),
                   MBMSEC_ERR_MIKEY_MTK_ID_RANGE);
  c.psk.vt = 5;
  c.psk.counter = 7;
  assert_int_equal(mbmsec_mikey_mtk_verify(out, n, key_cb, &c, NULL, &info),
                   MBMSEC_ERR_MIKEY_REPLAY);
  c.psk.counter = 0;
  assert_int_equal(mbmsec_mikey_mtk_verify(out, n, key_cb, &c, NULL, &info), MBMSEC_OK);
  /* an MTK message is not an MSK message and the reverse */
  assert_int_equal(mbmsec_mikey_msk_verify(out, n, key_cb, &c, NULL, NULL), MBMSEC_ERR_ARG);
  mbmsec_mikey_msk_info mi;
  assert_int_equal(mbmsec_mikey_msk_verify(out, n, key_cb, &c, NULL, &mi), MBMSEC_ERR_MIKEY_LAYOUT);
  mbmsec_mikey_mtk_info_cleanse(&info);
}

static void test_null_algs(void **state)
{
  (void)state;
  mbmsec_mikey_msk_params p;
  mbmsec_mikey_mtk_params q;
  mbmsec_mikey_msk_info info;
  mbmsec_mikey_mtk_info minfo;
  cb_ctx c = {.muk = MUK};
  mbmsec_mikey_opts build_e = {.test_null_encr = 1}, build_m = {.test_null_mac = 1},
                    allow = {.test_allow_null = 1};
  uint8_t out[MBMSEC_MIKEY_MSK_MSG_MAX];
  size_t n, k = 57 + strlen(IDI) + strlen(IDR);
  msk_params(&p);
  assert_int_equal(mbmsec_mikey_msk_build(&p, MUK, 32, &build_e, out, sizeof out, &n, NULL),
                   MBMSEC_OK);
  assert_int_equal(out[k + 1], 0x00);
  assert_memory_equal(out + k + 8, MSK, 16); /* in clear */
  assert_int_equal(mbmsec_mikey_msk_verify(out, n, key_cb, &c, NULL, &info),
                   MBMSEC_ERR_MIKEY_NULL_ALG);
  assert_int_equal(mbmsec_mikey_msk_verify(out, n, key_cb, &c, &allow, &info), MBMSEC_OK);
  assert_memory_equal(info.msk, MSK, 16);
  assert_int_equal(mbmsec_mikey_msk_build(&p, MUK, 32, &build_m, out, sizeof out, &n, NULL),
                   MBMSEC_OK);
  assert_int_equal(n, 108 + strlen(IDI) + strlen(IDR) - 20);
  assert_int_equal(out[n - 1], 0x00);
  assert_int_equal(mbmsec_mikey_msk_verify(out, n, key_cb, &c, NULL, &info),
                   MBMSEC_ERR_MIKEY_NULL_ALG);
  assert_int_equal(mbmsec_mikey_msk_verify(out, n, key_cb, &c, &allow, &info), MBMSEC_OK);
  mtk_params(&q);
  c.psk.vf = 0;
  c.psk.vt = 10;
  assert_int_equal(mbmsec_mikey_mtk_build(&q, MSK, 16, &build_e, out, sizeof out, &n, NULL),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_mikey_mtk_verify(out, n, key_cb, &c, NULL, &minfo),
                   MBMSEC_ERR_MIKEY_NULL_ALG);
  assert_int_equal(mbmsec_mikey_mtk_verify(out, n, key_cb, &c, &allow, &minfo), MBMSEC_OK);
  mbmsec_mikey_msk_info_cleanse(&info);
  mbmsec_mikey_mtk_info_cleanse(&minfo);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_msk_layout),     cmocka_unit_test(test_mtk_layout),
      cmocka_unit_test(test_msk_round_trip), cmocka_unit_test(test_pull),
      cmocka_unit_test(test_mtk_round_trip), cmocka_unit_test(test_null_algs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
