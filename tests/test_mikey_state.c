/* UE MIKEY receiver state (mbmsec/mikey_state.h): accept rules P11, O4, O5; a table of
 * malformed or hostile MSK and MTK messages, each refused with its expected code while the
 * serialised state stays byte-for-byte the same; every bit of a valid MSK and MTK message
 * flipped; serialise / deserialise round trip and corrupt-state rejection; failing
 * allocations (the decoder never allocates; the state object does, through a hook). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/crypto.h"
#include "mbmsec/mikey.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/mikey_prf.h"
#include "mbmsec/mikey_state.h"

static const uint8_t MUK[32] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
                                0xcc, 0xdd, 0xee, 0xff, 0x00, 1,    2,    3,    4,    5,    6,
                                7,    8,    9,    10,   11,   12,   13,   14,   15,   16};
static const uint8_t OTHER_KEY[32] = {0x5a, 0x5a, 0x5a};
static const uint8_t MSK_A[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                  0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
static const uint8_t MSK_B[16] = {0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
                                  0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf};
static const uint8_t MTK[16] = {0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
                                0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f};
static const uint8_t SALT[14] = {0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6,
                                 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd};
static const uint8_t KDID[3] = {0x00, 0xf1, 0x10};
static const char IDI[] = "bmsc.example.org";
static const char IDR[] = "dGVzdHJhbmQ=@bsf.example.org";
#define A (sizeof IDI - 1)
#define B (sizeof IDR - 1)
#define K (57 + A + B) /* KEMAC offset in an MSK message */

static mbmsec_mikey_state *st;

static mbmsec_err muk_cb(void *ctx, const uint8_t *idi, size_t idi_len, const uint8_t *idr,
                         size_t idr_len, uint8_t *muk, size_t cap, size_t *muk_len)
{
  (void)ctx;
  if (idi_len != A || memcmp(idi, IDI, A) != 0 || idr_len != B || memcmp(idr, IDR, B) != 0)
    return MBMSEC_ERR_MIKEY_UNKNOWN_KEY;
  assert_true(cap >= 32);
  memcpy(muk, MUK, 32);
  *muk_len = 32;
  return MBMSEC_OK;
}

static size_t build_msk(uint8_t *out, uint32_t counter, uint16_t keynum, const uint8_t *key,
                        uint16_t vf, uint16_t vt, int v, const uint8_t *muk,
                        const mbmsec_mikey_opts *o)
{
  mbmsec_mikey_msk_params p;
  size_t n;
  memset(&p, 0, sizeof p);
  memcpy(p.kdid, KDID, 3);
  p.msk_id[1] = 0x01;
  p.msk_id[2] = (uint8_t)(keynum >> 8);
  p.msk_id[3] = (uint8_t)keynum;
  p.idi = (const uint8_t *)IDI;
  p.idi_len = A;
  p.idr = (const uint8_t *)IDR;
  p.idr_len = B;
  p.counter = counter;
  p.v_flag = v;
  p.msk = key;
  p.vf = vf;
  p.vt = vt;
  p.fixed = 1;
  p.csb_id = 0x10000000u + counter;
  for (int i = 0; i < 16; i++) p.rand[i] = (uint8_t)(i * 7 + counter);
  assert_int_equal(mbmsec_mikey_msk_build(&p, muk, 32, o, out, MBMSEC_MIKEY_MSK_MSG_MAX, &n, NULL),
                   MBMSEC_OK);
  return n;
}

static size_t build_mtk(uint8_t *out, uint32_t counter, uint16_t keynum, uint16_t mtk_id,
                        const uint8_t *msk)
{
  mbmsec_mikey_mtk_params p;
  size_t n;
  memset(&p, 0, sizeof p);
  memcpy(p.kdid, KDID, 3);
  p.msk_id[1] = 0x01;
  p.msk_id[2] = (uint8_t)(keynum >> 8);
  p.msk_id[3] = (uint8_t)keynum;
  p.mtk_id = mtk_id;
  p.counter = counter;
  p.mtk = MTK;
  p.salt = SALT;
  p.fixed = 1;
  p.csb_id = 0x20000000u + counter;
  for (int i = 0; i < 16; i++) p.rand[i] = (uint8_t)(i * 3 + counter);
  assert_int_equal(mbmsec_mikey_mtk_build(&p, msk, 16, NULL, out, 256, &n, NULL), MBMSEC_OK);
  return n;
}

/* Re-encrypts `plain` into m's KEMAC and re-computes the MAC with keys from psk (so that a
 * hostile message passes the MAC and reaches the later checks). */
static size_t seal(mbmsec_mikey_msg *m, const uint8_t *plain, size_t plain_len, const uint8_t *psk,
                   size_t psk_len, uint8_t *out)
{
  static uint8_t encr[512];
  mbmsec_mikey_keys k;
  uint8_t iv[16];
  size_t n;
  int ik = m->n_payloads - 1, ir = mbmsec_mikey_find(m, MBMSEC_MIKEY_PT_RAND, 0),
      it = mbmsec_mikey_find(m, MBMSEC_MIKEY_PT_T, 0);
  uint32_t csb = m->hdr.csb_id, ctr = (uint32_t)m->p[it].u.t.value;
  assert_true(ik >= 0 && ir >= 0 && it >= 0);
  assert_int_equal(m->p[ik].type, MBMSEC_MIKEY_PT_KEMAC);
  /* The PRF takes no RAND shorter than 16 octets: such a message gets zero keys (the
   * receiver refuses it on the RAND length before any key is derived). */
  if (m->p[ir].u.rand.len >= 16)
    assert_int_equal(
        mbmsec_mikey_psk_keys(psk, psk_len, csb, m->p[ir].u.rand.data, m->p[ir].u.rand.len, &k),
        MBMSEC_OK);
  else
    memset(&k, 0, sizeof k);
  memset(iv, 0, sizeof iv);
  iv[2] = (uint8_t)(csb >> 24);
  iv[3] = (uint8_t)(csb >> 16);
  iv[4] = (uint8_t)(csb >> 8);
  iv[5] = (uint8_t)csb;
  iv[10] = (uint8_t)(ctr >> 24);
  iv[11] = (uint8_t)(ctr >> 16);
  iv[12] = (uint8_t)(ctr >> 8);
  iv[13] = (uint8_t)ctr;
  for (int i = 0; i < 14; i++) iv[i] ^= k.salt_key[i];
  if (plain_len)
    assert_int_equal(mbmsec_aes128_ctr(k.encr_key, iv, plain, encr, plain_len), MBMSEC_OK);
  m->p[ik].u.kemac.encr = encr;
  m->p[ik].u.kemac.encr_len = (uint16_t)plain_len;
  m->p[ik].u.kemac.mac = NULL;
  assert_int_equal(mbmsec_mikey_encode(m, out, 1024, &n), MBMSEC_OK);
  if (m->p[ik].u.kemac.mac_alg == MBMSEC_MIKEY_MAC_HMAC_SHA1_160) {
    mbmsec_iov iov = {out, n - 20};
    assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA1, k.auth_key, 20, &iov, 1, out + n - 20), MBMSEC_OK);
  }
  return n;
}

static size_t ser(uint8_t *out)
{
  size_t n;
  assert_int_equal(mbmsec_mikey_state_serialize(st, out, MBMSEC_MIKEY_STATE_SER_MAX, &n),
                   MBMSEC_OK);
  return n;
}

static int n_refused;

/* The message is refused with `want` and the serialised state does not change. */
static void refuse(int mtk, const uint8_t *msg, size_t n, mbmsec_err want,
                   const mbmsec_mikey_opts *o, int line)
{
  static uint8_t before[MBMSEC_MIKEY_STATE_SER_MAX], after[MBMSEC_MIKEY_STATE_SER_MAX];
  mbmsec_mikey_msk_result r;
  mbmsec_mikey_mtk_info mi;
  mbmsec_err rc;
  size_t nb = ser(before), na;
  if (mtk)
    rc = mbmsec_mikey_state_accept_mtk(st, msg, n, o, &mi);
  else
    rc = mbmsec_mikey_state_accept_msk(st, msg, n, muk_cb, NULL, o, &r);
  if (rc != want) {
    print_error("line %d: got %s, want %s\n", line, mbmsec_errname(rc), mbmsec_errname(want));
    fail();
  }
  na = ser(after);
  assert_int_equal(na, nb);
  assert_memory_equal(after, before, nb);
  n_refused++;
}
#define REFUSE_MSK(msg, n, want) refuse(0, msg, n, want, NULL, __LINE__)
#define REFUSE_MTK(msg, n, want) refuse(1, msg, n, want, NULL, __LINE__)

/* State: MUK counter 5, MSK A (00 01 00 02, [1, 100]) with MTK ID 1 at counter 1. */
static int setup(void **state)
{
  (void)state;
  uint8_t msg[MBMSEC_MIKEY_MSK_MSG_MAX];
  mbmsec_mikey_msk_result r;
  mbmsec_mikey_mtk_info mi;
  size_t n;
  st = mbmsec_mikey_state_new();
  assert_non_null(st);
  n = build_msk(msg, 5, 2, MSK_A, 1, 100, 1, MUK, NULL);
  assert_int_equal(mbmsec_mikey_state_accept_msk(st, msg, n, muk_cb, NULL, NULL, &r), MBMSEC_OK);
  assert_int_equal(r.outcome, MBMSEC_MIKEY_MSK_NEW);
  assert_true(r.ver_len > 0);
  n = build_mtk(msg, 1, 2, 1, MSK_A);
  assert_int_equal(mbmsec_mikey_state_accept_mtk(st, msg, n, NULL, &mi), MBMSEC_OK);
  assert_int_equal(mi.mtk_id, 1);
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  mbmsec_mikey_state_free(st);
  st = NULL;
  return 0;
}

static uint8_t
    M[MBMSEC_MIKEY_MSK_MSG_MAX]; /* valid new MSK message: MSK B, key number 3, counter 6 */
static size_t MN;
static uint8_t T[256]; /* valid MTK message under MSK A: MTK ID 2, counter 2 */
static size_t TN;
static uint8_t W[1024];

static size_t mut(const uint8_t *src, size_t n, size_t off, uint8_t val)
{
  memcpy(W, src, n);
  W[off] = val;
  return n;
}

/* W = src with `ins` inserted at off and then W[patch] = pval. */
static size_t insert(const uint8_t *src, size_t n, size_t off, const uint8_t *ins, size_t ni,
                     size_t patch, uint8_t pval)
{
  memcpy(W, src, off);
  memcpy(W + off, ins, ni);
  memcpy(W + off + ni, src + off, n - off);
  W[patch] = pval;
  return n + ni;
}

static void msk_plain(uint8_t p[26], const uint8_t *key, uint16_t vf, uint16_t vt)
{
  p[0] = 0;
  p[1] = 0x02;
  p[2] = 0;
  p[3] = 16;
  memcpy(p + 4, key, 16);
  p[20] = 2;
  p[21] = (uint8_t)(vf >> 8);
  p[22] = (uint8_t)vf;
  p[23] = 2;
  p[24] = (uint8_t)(vt >> 8);
  p[25] = (uint8_t)vt;
}

static void test_hostile_table(void **state)
{
  (void)state;
  static mbmsec_mikey_msg base, m, tbase;
  static uint8_t out[1024];
  uint8_t plain[128];
  size_t n;
  MN = build_msk(M, 6, 3, MSK_B, 1, 100, 1, MUK, NULL);
  TN = build_mtk(T, 2, 2, 2, MSK_A);
  assert_int_equal(mbmsec_mikey_decode(M, MN, &base), MBMSEC_OK);
  assert_int_equal(mbmsec_mikey_decode(T, TN, &tbase), MBMSEC_OK);
  n_refused = 0;

  /* --- header */
  REFUSE_MSK(W, mut(M, MN, 0, 2), MBMSEC_ERR_MIKEY_VERSION);
  REFUSE_MSK(W, mut(M, MN, 1, 7), MBMSEC_ERR_MIKEY_DATA_TYPE);
  REFUSE_MSK(W, mut(M, MN, 1, 1), MBMSEC_ERR_MIKEY_LAYOUT); /* verification data type */
  REFUSE_MSK(W, mut(M, MN, 3, 0x81), MBMSEC_ERR_MIKEY_PRF_FUNC);
  REFUSE_MSK(W, mut(M, MN, 9, 2), MBMSEC_ERR_MIKEY_MAP_TYPE);
  REFUSE_MSK(W, mut(M, MN, 8, 1), MBMSEC_ERR_MIKEY_NCS);
  REFUSE_MSK(W, mut(M, MN, 9, 0), MBMSEC_ERR_MIKEY_NCS);
  REFUSE_MSK(W, mut(M, MN, 2, 2), MBMSEC_ERR_MIKEY_PAYLOAD_TYPE);
  REFUSE_MSK(W, mut(M, MN, 2, 0), MBMSEC_ERR_MIKEY_TRAILING);
  /* --- EXT */
  REFUSE_MSK(W, mut(M, MN, 11, 1), MBMSEC_ERR_MIKEY_KEYID);
  REFUSE_MSK(W, mut(M, MN, 14, 5), MBMSEC_ERR_MIKEY_KEYID_TYPE);
  REFUSE_MSK(W, mut(M, MN, 12, 0xff), MBMSEC_ERR_TRUNCATED);
  /* --- T, RAND, IDs */
  REFUSE_MSK(W, mut(M, MN, 26, 3), MBMSEC_ERR_MIKEY_TS_TYPE);
  REFUSE_MSK(W, mut(M, MN, 32, 0xff), MBMSEC_ERR_TRUNCATED);
  REFUSE_MSK(W, mut(M, MN, 50, 2), MBMSEC_ERR_MIKEY_ID_TYPE);
  REFUSE_MSK(W, mut(M, MN, 50, 1),
             MBMSEC_ERR_MIKEY_ID_TYPE); /* URI: valid MIKEY, not the profile */
  REFUSE_MSK(W, mut(M, MN, 51, 0xff), MBMSEC_ERR_TRUNCATED);
  /* --- KEMAC */
  REFUSE_MSK(W, mut(M, MN, K + 1, 3), MBMSEC_ERR_MIKEY_ENCR_ALG);
  REFUSE_MSK(W, mut(M, MN, K + 1, 2), MBMSEC_ERR_MIKEY_ENCR_ALG); /* AES-KW: not supported */
  REFUSE_MSK(W, mut(M, MN, K + 1, 0), MBMSEC_ERR_MIKEY_NULL_ALG);
  REFUSE_MSK(W, mut(M, MN, K + 30, 2), MBMSEC_ERR_MIKEY_MAC_ALG);
  REFUSE_MSK(W, mut(M, MN, K + 30, 0),
             MBMSEC_ERR_MIKEY_TRAILING); /* NULL MAC: 20 octets left over */
  REFUSE_MSK(W, mut(M, MN, K, 5), MBMSEC_ERR_MIKEY_NOT_LAST);
  REFUSE_MSK(W, mut(M, MN, K + 2, 0x10), MBMSEC_ERR_TRUNCATED);
  /* --- truncation at every payload boundary and inside KEMAC */
  {
    const size_t cuts[] = {0, 4, 10, 25, 31, 49, 53 + A, K, K + 4, K + 30, MN - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
      REFUSE_MSK(M, cuts[i], MBMSEC_ERR_TRUNCATED);
  }
  memcpy(W, M, MN);
  W[MN] = 0;
  REFUSE_MSK(W, MN + 1, MBMSEC_ERR_MIKEY_TRAILING);
  /* --- duplicated payloads, two KEMACs, SP */
  {
    static const uint8_t t2[] = {0x0b, 0x02, 0x00, 0x00, 0x00, 0x07};
    REFUSE_MSK(W, insert(M, MN, 31, t2, sizeof t2, 25, 0x05), MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
    uint8_t r2[18] = {0x06, 0x10};
    REFUSE_MSK(W, insert(M, MN, 49, r2, sizeof r2, 31, 0x0b), MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
    static const uint8_t id3[] = {0x06, 0x00, 0x00, 0x01, 'x'};
    REFUSE_MSK(W, insert(M, MN, 53 + A, id3, sizeof id3, 49, 0x06), MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
    static const uint8_t sp[] = {0x01, 0x01, 0x00, 0x00, 0x00};
    REFUSE_MSK(W, insert(M, MN, K, sp, sizeof sp, 53 + A, 0x0a), MBMSEC_ERR_MIKEY_SP_EMPTY_MAP);
    static const uint8_t ext2[] = {0x15, 0x03, 0x00, 0x03, 0x00, 0x01, 0x00};
    REFUSE_MSK(W, insert(M, MN, 10, ext2, sizeof ext2, 2, 0x15), MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
    /* two KEMACs: the first one names a second KEMAC */
    memcpy(W, M, MN);
    memcpy(W + MN, M + K, MN - K);
    W[K] = 0x01;
    REFUSE_MSK(W, MN + (MN - K), MBMSEC_ERR_MIKEY_NOT_LAST);
  }
  /* --- structurally valid MIKEY with a valid MAC, but not the profile */
  msk_plain(plain, MSK_B, 1, 100);
  m = base; /* ERR payload before KEMAC */
  m.p[6] = m.p[5];
  m.p[5].type = MBMSEC_MIKEY_PT_ERR;
  memset(&m.p[5].u, 0, sizeof m.p[5].u);
  m.n_payloads = 7;
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_LAYOUT);
  m = base; /* no IDs */
  m.p[3] = m.p[5];
  m.n_payloads = 4;
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_LAYOUT);
  m = base; /* RAND 15 octets */
  m.p[2].u.rand.len = 15;
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_RAND_LEN);
  m = base; /* NTP timestamp */
  m.p[1].u.t.ts_type = MBMSEC_MIKEY_TS_NTP;
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_TS_TYPE);
  {
    static const uint8_t mtkid[2] = {0, 1};
    m = base; /* MSK message with an MTK ID */
    m.p[0].u.ext.keyids[2] = (mbmsec_mikey_keyid){MBMSEC_MIKEY_KEYID_MTK, 2, mtkid};
    m.p[0].u.ext.n_keyids = 3;
    REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_KEYID);
  }
  m = base; /* Key Domain ID of 2 octets */
  m.p[0].u.ext.keyids[0].len = 2;
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_KEYID);
  m = base; /* MSK ID then Key Domain ID */
  {
    mbmsec_mikey_keyid t0 = m.p[0].u.ext.keyids[0];
    m.p[0].u.ext.keyids[0] = m.p[0].u.ext.keyids[1];
    m.p[0].u.ext.keyids[1] = t0;
  }
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_KEYID);
  m = base; /* empty IDr */
  m.p[4].u.id.len = 0;
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_ID_LEN);
  m = base; /* unknown B-TID */
  m.p[4].u.id.data = (const uint8_t *)"someone-else@bsf.example.org..";
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_UNKNOWN_KEY);
  /* --- NULL algorithms */
  {
    mbmsec_mikey_opts ne = {.test_null_encr = 1}, nm = {.test_null_mac = 1};
    n = build_msk(out, 6, 3, MSK_B, 1, 100, 1, MUK, &ne);
    REFUSE_MSK(out, n, MBMSEC_ERR_MIKEY_NULL_ALG);
    n = build_msk(out, 6, 3, MSK_B, 1, 100, 1, MUK, &nm);
    REFUSE_MSK(out, n, MBMSEC_ERR_MIKEY_NULL_ALG);
  }
  /* --- wrong key, replay, key numbers */
  n = build_msk(out, 6, 3, MSK_B, 1, 100, 1, OTHER_KEY, NULL);
  REFUSE_MSK(out, n, MBMSEC_ERR_MIKEY_MAC);
  n = build_msk(out, 5, 3, MSK_B, 1, 100, 1, MUK, NULL);
  REFUSE_MSK(out, n, MBMSEC_ERR_MIKEY_REPLAY);
  n = build_msk(out, 4, 3, MSK_B, 1, 100, 1, MUK, NULL);
  REFUSE_MSK(out, n, MBMSEC_ERR_MIKEY_REPLAY);
  n = build_msk(out, 5, 2, MSK_A, 1, 100, 1, MUK, NULL); /* the accepted message itself */
  REFUSE_MSK(out, n, MBMSEC_ERR_MIKEY_REPLAY);
  n = build_msk(out, 6, 1, MSK_B, 1, 100, 1, MUK, NULL);
  REFUSE_MSK(out, n, MBMSEC_ERR_MIKEY_KEYNUM_OLD);
  n = build_msk(out, 6, 0, MSK_B, 1, 100, 1, MUK, NULL);
  REFUSE_MSK(out, n, MBMSEC_ERR_MIKEY_KEYNUM);
  n = build_msk(out, 6, 2, MSK_B, 1, 100, 1, MUK, NULL);
  REFUSE_MSK(out, n, MBMSEC_ERR_MIKEY_MSK_CONFLICT);
  n = build_msk(out, 6, 2, MSK_A, 1, 101, 1, MUK, NULL);
  REFUSE_MSK(out, n, MBMSEC_ERR_MIKEY_MSK_CONFLICT);
  {
    static const uint8_t other_kdid[3] = {0x62, 0xf2, 0x10};
    mbmsec_mikey_opts o = {.expect_kdid = other_kdid};
    refuse(0, M, MN, MBMSEC_ERR_MIKEY_KDID, &o, __LINE__);
  }
  /* --- key data (valid MAC) */
  m = base;
  msk_plain(plain, MSK_B, 10, 5);
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_INTERVAL);
  msk_plain(plain, MSK_B, 1, 100);
  plain[1] = 0x22; /* TEK */
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_KEYDATA);
  plain[1] = 0x01; /* KV SPI: spi len 2, spi 00 01, then 3 octets left over */
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_TRAILING);
  plain[1] = 0x00; /* KV NULL, 6 octets left over */
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_TRAILING);
  plain[1] = 0x52;
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_KD_TYPE);
  plain[1] = 0x03;
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_KV_TYPE);
  msk_plain(plain, MSK_B, 1, 100);
  plain[0] = 5;
  REFUSE_MSK(out, seal(&m, plain, 26, MUK, 32, out), MBMSEC_ERR_MIKEY_KD_NEXT);
  plain[0] = 20; /* a second sub-payload */
  memcpy(plain + 26, plain, 26);
  plain[26] = 0;
  REFUSE_MSK(out, seal(&m, plain, 52, MUK, 32, out), MBMSEC_ERR_MIKEY_TOO_MANY);
  msk_plain(plain, MSK_B, 1, 100);
  plain[3] = 15; /* 15-octet key */
  plain[19] = 2;
  plain[20] = 0;
  plain[21] = 1;
  plain[22] = 2;
  plain[23] = 0;
  plain[24] = 100;
  REFUSE_MSK(out, seal(&m, plain, 25, MUK, 32, out), MBMSEC_ERR_MIKEY_KEYDATA);
  {
    /* VF / VT of 6 octets (the RFC's SRTP index form, profile.md O3) */
    uint8_t q[34];
    memcpy(q, plain, 4);
    q[3] = 16;
    memcpy(q + 4, MSK_B, 16);
    q[20] = 6;
    memset(q + 21, 0, 6);
    q[26] = 1;
    q[27] = 6;
    memset(q + 28, 0, 6);
    q[33] = 100;
    REFUSE_MSK(out, seal(&m, q, 34, MUK, 32, out), MBMSEC_ERR_MIKEY_KEYDATA);
  }
  memset(plain, 0, sizeof plain);
  REFUSE_MSK(out, seal(&m, plain, 100, MUK, 32, out), MBMSEC_ERR_MIKEY_KEYDATA); /* 100 octets */
  REFUSE_MSK(out, seal(&m, plain, 1, MUK, 32, out), MBMSEC_ERR_TRUNCATED);

  /* --- MTK messages */
  REFUSE_MTK(W, mut(T, TN, 3, 0x80), MBMSEC_ERR_MIKEY_V_FLAG);
  REFUSE_MTK(M, MN, MBMSEC_ERR_MIKEY_V_FLAG); /* an MSK message with V = 1 */
  n = build_msk(out, 6, 3, MSK_B, 1, 100, 0, MUK, NULL);
  REFUSE_MTK(out, n, MBMSEC_ERR_MIKEY_LAYOUT); /* an MSK message with V = 0 */
  REFUSE_MTK(W, mut(T, TN, 25, 3), MBMSEC_ERR_MIKEY_KEYID_TYPE);
  n = build_mtk(out, 2, 1, 2, MSK_A);
  REFUSE_MTK(out, n, MBMSEC_ERR_MIKEY_UNKNOWN_MSK); /* older key number, not stored */
  n = build_mtk(out, 2, 9, 2, MSK_A);
  REFUSE_MTK(out, n, MBMSEC_ERR_MIKEY_MISSED_MSK);                  /* newer key number */
  REFUSE_MTK(W, mut(T, TN, 21, 0x02), MBMSEC_ERR_MIKEY_MISSED_MSK); /* unknown Key Group */
  n = build_mtk(out, 2, 2, 1, MSK_A);
  REFUSE_MTK(out, n, MBMSEC_ERR_MIKEY_MTK_REPEAT); /* the last MTK again: a repetition */
  n = build_mtk(out, 2, 2, 200, MSK_A);
  REFUSE_MTK(out, n, MBMSEC_ERR_MIKEY_MTK_ID_RANGE);
  n = build_mtk(out, 1, 2, 2, MSK_A);
  REFUSE_MTK(out, n, MBMSEC_ERR_MIKEY_REPLAY);
  n = build_mtk(out, 2, 2, 2, MSK_B);
  REFUSE_MTK(out, n, MBMSEC_ERR_MIKEY_MAC);
  {
    static const uint8_t tgk[] = {0x00, 0x00, 0x00, 0x10, 1,  2,  3,  4,  5,  6,
                                  7,    8,    9,    10,   11, 12, 13, 14, 15, 16};
    m = tbase;
    REFUSE_MTK(out, seal(&m, tgk, sizeof tgk, MSK_A, 16, out), MBMSEC_ERR_MIKEY_KEYDATA);
    uint8_t salted[34] = {0x00, 0x10, 0x00, 0x10};
    salted[21] = 12; /* salt of 12 octets */
    REFUSE_MTK(out, seal(&m, salted, sizeof salted, MSK_A, 16, out), MBMSEC_ERR_MIKEY_KEYDATA);
    m.p[0].u.ext.n_keyids = 2; /* no MTK ID */
    REFUSE_MTK(out, seal(&m, salted, sizeof salted, MSK_A, 16, out), MBMSEC_ERR_MIKEY_KEYID);
  }
  /* still valid after all that */
  {
    mbmsec_mikey_mtk_info mi;
    mbmsec_mikey_msk_result r;
    assert_int_equal(mbmsec_mikey_state_accept_mtk(st, T, TN, NULL, &mi), MBMSEC_OK);
    assert_int_equal(mbmsec_mikey_state_accept_msk(st, M, MN, muk_cb, NULL, NULL, &r), MBMSEC_OK);
    assert_int_equal(r.outcome, MBMSEC_MIKEY_MSK_NEW);
  }
  print_message("hostile messages refused with state unchanged: %d\n", n_refused);
  assert_true(n_refused >= 40);
}

static void test_bit_flips(void **state)
{
  (void)state;
  uint8_t b[1024];
  MN = build_msk(M, 6, 3, MSK_B, 1, 100, 1, MUK, NULL);
  TN = build_mtk(T, 2, 2, 2, MSK_A);
  n_refused = 0;
  for (size_t i = 0; i < MN * 8; i++) {
    static uint8_t before[MBMSEC_MIKEY_STATE_SER_MAX], after[MBMSEC_MIKEY_STATE_SER_MAX];
    mbmsec_mikey_msk_result r;
    size_t nb = ser(before);
    memcpy(b, M, MN);
    b[i / 8] ^= (uint8_t)(1u << (i % 8));
    assert_int_not_equal(mbmsec_mikey_state_accept_msk(st, b, MN, muk_cb, NULL, NULL, &r),
                         MBMSEC_OK);
    assert_int_equal(ser(after), nb);
    assert_memory_equal(after, before, nb);
  }
  for (size_t i = 0; i < TN * 8; i++) {
    static uint8_t before[MBMSEC_MIKEY_STATE_SER_MAX], after[MBMSEC_MIKEY_STATE_SER_MAX];
    mbmsec_mikey_mtk_info mi;
    size_t nb = ser(before);
    memcpy(b, T, TN);
    b[i / 8] ^= (uint8_t)(1u << (i % 8));
    assert_int_not_equal(mbmsec_mikey_state_accept_mtk(st, b, TN, NULL, &mi), MBMSEC_OK);
    assert_int_equal(ser(after), nb);
    assert_memory_equal(after, before, nb);
  }
}

/* P11 and O4/O5: new, duplicate, pull, two MSKs per Key Group, MTKs. */
static void test_accept_rules(void **state)
{
  (void)state;
  uint8_t msg[MBMSEC_MIKEY_MSK_MSG_MAX], s1[MBMSEC_MIKEY_STATE_SER_MAX];
  mbmsec_mikey_msk_result r;
  mbmsec_mikey_mtk_info mi;
  mbmsec_mikey_msk_entry e, e2;
  uint32_t c;
  size_t n;
  static const uint8_t id_a[4] = {0, 1, 0, 2}, id_b[4] = {0, 1, 0, 3}, id_c[4] = {0, 1, 0, 4};

  assert_int_equal(mbmsec_mikey_state_get_msk(st, KDID, id_a, &e), MBMSEC_OK);
  assert_memory_equal(e.key, MSK_A, 16);
  assert_int_equal(e.counter, 1);
  assert_int_equal(e.has_last_mtk, 1);
  assert_int_equal(e.last_mtk_id, 1);

  /* O4: identical re-delivery with a new counter: duplicate, verification sent, only the
   * per-MUK counter changes. */
  n = build_msk(msg, 9, 2, MSK_A, 1, 100, 1, MUK, NULL);
  assert_int_equal(mbmsec_mikey_state_accept_msk(st, msg, n, muk_cb, NULL, NULL, &r), MBMSEC_OK);
  assert_int_equal(r.outcome, MBMSEC_MIKEY_MSK_DUPLICATE);
  assert_int_equal(r.ver_len, 42 + B);
  {
    mbmsec_mikey_sent sent = {.csb_id = r.info.csb_id, .counter = 9};
    memcpy(sent.rand, r.info.rand, 16);
    assert_int_equal(mbmsec_mikey_ver_verify(r.ver, r.ver_len, MUK, 32, &sent, (const uint8_t *)IDI,
                                             A, (const uint8_t *)IDR, B),
                     MBMSEC_OK);
  }
  assert_int_equal(
      mbmsec_mikey_state_muk_counter(st, (const uint8_t *)IDI, A, (const uint8_t *)IDR, B, &c),
      MBMSEC_OK);
  assert_int_equal(c, 9);
  assert_int_equal(mbmsec_mikey_state_get_msk(st, KDID, id_a, &e2), MBMSEC_OK);
  assert_memory_equal(&e, &e2, sizeof e);
  /* the same message again is a replay */
  REFUSE_MSK(msg, n, MBMSEC_ERR_MIKEY_REPLAY);

  /* O5: a pull updates the counter, is acknowledged with V = 1, and changes nothing else */
  n = build_msk(msg, 10, 5, NULL, 0, 0, 1, MUK, NULL);
  assert_int_equal(mbmsec_mikey_state_accept_msk(st, msg, n, muk_cb, NULL, NULL, &r), MBMSEC_OK);
  assert_int_equal(r.outcome, MBMSEC_MIKEY_MSK_PULL);
  assert_true(r.ver_len > 0);
  assert_memory_equal(r.info.msk_id, ((uint8_t[]){0, 1, 0, 5}), 4);
  n = build_msk(msg, 11, 5, NULL, 0, 0, 0, MUK, NULL);
  assert_int_equal(mbmsec_mikey_state_accept_msk(st, msg, n, muk_cb, NULL, NULL, &r), MBMSEC_OK);
  assert_int_equal(r.outcome, MBMSEC_MIKEY_MSK_PULL);
  assert_int_equal(r.ver_len, 0);
  assert_int_equal(mbmsec_mikey_state_get_msk(st, KDID, (const uint8_t[]){0, 1, 0, 5}, &e2),
                   MBMSEC_ERR_MIKEY_UNKNOWN_MSK);

  /* next MSK (3), then 4: the group keeps 2, dropping key number 2 */
  n = build_msk(msg, 12, 3, MSK_B, 101, 200, 0, MUK, NULL);
  assert_int_equal(mbmsec_mikey_state_accept_msk(st, msg, n, muk_cb, NULL, NULL, &r), MBMSEC_OK);
  assert_int_equal(r.outcome, MBMSEC_MIKEY_MSK_NEW);
  assert_int_equal(r.dropped, 0);
  assert_int_equal(r.ver_len, 0);
  n = build_msk(msg, 13, 4, MSK_A, 201, 300, 0, MUK, NULL);
  assert_int_equal(mbmsec_mikey_state_accept_msk(st, msg, n, muk_cb, NULL, NULL, &r), MBMSEC_OK);
  assert_int_equal(r.dropped, 1);
  assert_memory_equal(r.dropped_msk_id, id_a, 4);
  assert_int_equal(mbmsec_mikey_state_get_msk(st, KDID, id_a, &e2), MBMSEC_ERR_MIKEY_UNKNOWN_MSK);
  assert_int_equal(mbmsec_mikey_state_get_msk(st, KDID, id_b, &e2), MBMSEC_OK);
  assert_int_equal(mbmsec_mikey_state_get_msk(st, KDID, id_c, &e2), MBMSEC_OK);
  /* MTKs under MSK 3: counter and MTK ID rise */
  n = build_mtk(msg, 1, 3, 101, MSK_B);
  assert_int_equal(mbmsec_mikey_state_accept_mtk(st, msg, n, NULL, &mi), MBMSEC_OK);
  assert_memory_equal(mi.mtk, MTK, 16);
  assert_memory_equal(mi.salt, SALT, 14);
  assert_memory_equal(mi.msk_id, id_b, 4);
  n = build_mtk(msg, 2, 3, 150, MSK_B);
  assert_int_equal(mbmsec_mikey_state_accept_mtk(st, msg, n, NULL, &mi), MBMSEC_OK);
  n = build_mtk(msg, 3, 3, 149, MSK_B);
  REFUSE_MTK(msg, n, MBMSEC_ERR_MIKEY_MTK_ID_OLD);
  n = build_mtk(msg, 3, 3, 201, MSK_B);
  REFUSE_MTK(msg, n, MBMSEC_ERR_MIKEY_MTK_ID_RANGE);
  n = build_mtk(msg, 3, 4, 200, MSK_A);
  REFUSE_MTK(msg, n, MBMSEC_ERR_MIKEY_MTK_ID_RANGE); /* below VF of MSK 4 */
  n = build_mtk(msg, 1, 2, 50, MSK_A);
  REFUSE_MTK(msg, n, MBMSEC_ERR_MIKEY_UNKNOWN_MSK); /* dropped MSK */
  assert_int_equal(mbmsec_mikey_state_get_msk(st, KDID, id_b, &e2), MBMSEC_OK);
  assert_int_equal(e2.counter, 2);
  assert_int_equal(e2.last_mtk_id, 150);

  /* forget the MUK: its counter is 0 again */
  ser(s1);
  assert_int_equal(
      mbmsec_mikey_state_forget_muk(st, (const uint8_t *)IDI, A, (const uint8_t *)IDR, B),
      MBMSEC_OK);
  assert_int_equal(
      mbmsec_mikey_state_muk_counter(st, (const uint8_t *)IDI, A, (const uint8_t *)IDR, B, &c),
      MBMSEC_OK);
  assert_int_equal(c, 0);
}

/* A full state: MUK table and Key Group table. */
static void test_full(void **state)
{
  (void)state;
  uint8_t msg[MBMSEC_MIKEY_MSK_MSG_MAX];
  mbmsec_mikey_msk_result r;
  mbmsec_mikey_msk_params p;
  size_t n;
  uint32_t ctr = 100;
  for (int g = 2; g <= MBMSEC_MIKEY_STATE_MAX_GROUPS + 1; g++) {
    memset(&p, 0, sizeof p);
    memcpy(p.kdid, KDID, 3);
    p.msk_id[1] = (uint8_t)g;
    p.msk_id[3] = 1;
    p.idi = (const uint8_t *)IDI;
    p.idi_len = A;
    p.idr = (const uint8_t *)IDR;
    p.idr_len = B;
    p.counter = ctr++;
    p.msk = MSK_B;
    p.vt = 10;
    assert_int_equal(mbmsec_mikey_msk_build(&p, MUK, 32, NULL, msg, sizeof msg, &n, NULL),
                     MBMSEC_OK);
    if (g <= MBMSEC_MIKEY_STATE_MAX_GROUPS)
      assert_int_equal(mbmsec_mikey_state_accept_msk(st, msg, n, muk_cb, NULL, NULL, &r),
                       MBMSEC_OK);
    else
      REFUSE_MSK(msg, n, MBMSEC_ERR_MIKEY_STATE_FULL);
  }
}

static uint8_t *rehash(uint8_t *b, size_t n)
{
  mbmsec_iov iov = {b, n - 32};
  assert_int_equal(mbmsec_hash(MBMSEC_MD_SHA256, &iov, 1, b + n - 32), MBMSEC_OK);
  return b;
}

static void test_serialise(void **state)
{
  (void)state;
  static uint8_t s1[MBMSEC_MIKEY_STATE_SER_MAX], s2[MBMSEC_MIKEY_STATE_SER_MAX],
      bad[MBMSEC_MIKEY_STATE_SER_MAX + 8];
  mbmsec_mikey_state *st2 = mbmsec_mikey_state_new();
  mbmsec_mikey_msk_entry e;
  static const uint8_t id_a[4] = {0, 1, 0, 2};
  size_t n1, n2;
  n1 = ser(s1);
  /* header 8 + MUK (1 + A + 1 + B + 4) + group (6 + 29) + hash 32 */
  assert_int_equal(n1, 8 + 2 + A + B + 4 + 6 + 29 + 32);
  assert_int_equal(mbmsec_mikey_state_serialize(st, s2, n1 - 1, &n2), MBMSEC_ERR_SPACE);
  assert_int_equal(mbmsec_mikey_state_deserialize(st2, s1, n1), MBMSEC_OK);
  assert_int_equal(mbmsec_mikey_state_serialize(st2, s2, sizeof s2, &n2), MBMSEC_OK);
  assert_int_equal(n1, n2);
  assert_memory_equal(s1, s2, n1);
  assert_int_equal(mbmsec_mikey_state_get_msk(st2, KDID, id_a, &e), MBMSEC_OK);
  assert_memory_equal(e.key, MSK_A, 16);
  /* the restored state refuses the replay and accepts the next message */
  {
    mbmsec_mikey_msk_result r;
    uint8_t msg[MBMSEC_MIKEY_MSK_MSG_MAX];
    size_t n = build_msk(msg, 5, 3, MSK_B, 1, 100, 0, MUK, NULL);
    assert_int_equal(mbmsec_mikey_state_accept_msk(st2, msg, n, muk_cb, NULL, NULL, &r),
                     MBMSEC_ERR_MIKEY_REPLAY);
    n = build_msk(msg, 6, 3, MSK_B, 1, 100, 0, MUK, NULL);
    assert_int_equal(mbmsec_mikey_state_accept_msk(st2, msg, n, muk_cb, NULL, NULL, &r), MBMSEC_OK);
  }
  mbmsec_mikey_state_free(st2);

  /* corrupt bytes: the state (st) is untouched; the empty state reads back too */
  for (size_t i = 0; i < n1 * 8; i++) {
    memcpy(bad, s1, n1);
    bad[i / 8] ^= (uint8_t)(1u << (i % 8));
    assert_int_equal(mbmsec_mikey_state_deserialize(st, bad, n1), MBMSEC_ERR_MIKEY_STATE_FORMAT);
  }
  for (size_t cut = 0; cut < n1; cut++)
    assert_int_equal(mbmsec_mikey_state_deserialize(st, s1, cut), MBMSEC_ERR_MIKEY_STATE_FORMAT);
    /* well-hashed but invalid contents */
#define BAD_FIELD(off, val)                                                   \
  do {                                                                        \
    memcpy(bad, s1, n1);                                                      \
    bad[off] = (val);                                                         \
    assert_int_equal(mbmsec_mikey_state_deserialize(st, rehash(bad, n1), n1), \
                     MBMSEC_ERR_MIKEY_STATE_FORMAT);                          \
  } while (0)
  size_t g = 8 + 2 + A + B + 4; /* group record */
  BAD_FIELD(0, 'X');            /* magic */
  BAD_FIELD(4, 2);              /* version */
  BAD_FIELD(5, 5);              /* #MUK > max */
  BAD_FIELD(5, 2);              /* #MUK says 2 */
  BAD_FIELD(6, 0);              /* #groups says 0: trailing */
  BAD_FIELD(7, 1);              /* reserved */
  BAD_FIELD(8, 0);              /* IDi length 0 */
  BAD_FIELD(g + 5, 0);          /* #MSK 0 */
  BAD_FIELD(g + 5, 3);          /* #MSK > 2 */
  BAD_FIELD(g + 7, 0);          /* key number 0 */
  BAD_FIELD(g + 6 + 18, 0xff);  /* VF > VT */
  BAD_FIELD(g + 6 + 26, 2);     /* has_last not 0/1 */
  memcpy(bad, s1, n1 - 32);
  bad[n1 - 32] = 0; /* trailing octet */
  assert_int_equal(mbmsec_mikey_state_deserialize(st, rehash(bad, n1 + 1), n1 + 1),
                   MBMSEC_ERR_MIKEY_STATE_FORMAT);
  {
    /* two identical MUK records */
    size_t mr = 2 + A + B + 4;
    memcpy(bad, s1, 8 + mr);
    memcpy(bad + 8 + mr, s1 + 8, n1 - 8);
    bad[5] = 2;
    assert_int_equal(mbmsec_mikey_state_deserialize(st, rehash(bad, n1 + mr), n1 + mr),
                     MBMSEC_ERR_MIKEY_STATE_FORMAT);
  }
  n2 = ser(s2);
  assert_int_equal(n1, n2);
  assert_memory_equal(s1, s2, n1);
  /* an empty state round trip */
  st2 = mbmsec_mikey_state_new();
  assert_int_equal(mbmsec_mikey_state_serialize(st2, s2, sizeof s2, &n2), MBMSEC_OK);
  assert_int_equal(n2, 8 + 32);
  assert_int_equal(mbmsec_mikey_state_deserialize(st, s2, n2), MBMSEC_OK);
  assert_int_equal(ser(s1), n2);
  mbmsec_mikey_state_free(st2);
}

/* ---- allocation failures */
static int alloc_count, free_count, fail_at;
static void *hook_alloc(size_t n)
{
  if (++alloc_count == fail_at) return NULL;
  return malloc(n);
}
static void hook_free(void *p)
{
  if (p) free_count++;
  free(p);
}

static void test_alloc_failures(void **state)
{
  (void)state;
  static uint8_t s1[MBMSEC_MIKEY_STATE_SER_MAX], s2[MBMSEC_MIKEY_STATE_SER_MAX];
  uint8_t msg[MBMSEC_MIKEY_MSK_MSG_MAX], tmsg[256];
  mbmsec_mikey_msk_result r;
  mbmsec_mikey_mtk_info mi;
  size_t n, tn, n1 = ser(s1), n2;
  mbmsec_err rc;
  n = build_msk(msg, 6, 3, MSK_B, 1, 100, 1, MUK, NULL);
  tn = build_mtk(tmsg, 2, 2, 2, MSK_A);
  mbmsec_mikey_state_set_allocator(hook_alloc, hook_free);

  alloc_count = free_count = 0;
  fail_at = 1;
  assert_null(mbmsec_mikey_state_new());

  for (fail_at = 1;; fail_at++) {
    alloc_count = free_count = 0;
    rc = mbmsec_mikey_state_accept_mtk(st, tmsg, tn, NULL, &mi);
    assert_int_equal(alloc_count - (rc == MBMSEC_OK ? 0 : 1), free_count);
    if (rc == MBMSEC_OK) break;
    assert_int_equal(rc, MBMSEC_ERR_NOMEM);
    n2 = ser(s2);
    assert_int_equal(n1, n2);
    assert_memory_equal(s1, s2, n1);
  }
  n1 = ser(s1);
  for (fail_at = 1;; fail_at++) {
    alloc_count = free_count = 0;
    rc = mbmsec_mikey_state_accept_msk(st, msg, n, muk_cb, NULL, NULL, &r);
    if (rc == MBMSEC_OK) break;
    assert_int_equal(rc, MBMSEC_ERR_NOMEM);
    n2 = ser(s2);
    assert_int_equal(n1, n2);
    assert_memory_equal(s1, s2, n1);
  }
  assert_int_equal(r.outcome, MBMSEC_MIKEY_MSK_NEW);
  /* deserialise: fails whole or succeeds */
  {
    mbmsec_mikey_state *st2;
    fail_at = 0;
    st2 = mbmsec_mikey_state_new();
    assert_non_null(st2);
    n1 = ser(s1);
    for (fail_at = 1;; fail_at++) {
      alloc_count = 0;
      rc = mbmsec_mikey_state_deserialize(st2, s1, n1);
      if (rc == MBMSEC_OK) break;
      assert_int_equal(rc, MBMSEC_ERR_NOMEM);
      assert_int_equal(mbmsec_mikey_state_serialize(st2, s2, sizeof s2, &n2), MBMSEC_OK);
      assert_int_equal(n2, 8 + 32); /* still empty */
    }
    mbmsec_mikey_state_free(st2);
  }
  alloc_count = free_count = 0;
  fail_at = 0;
  {
    mbmsec_mikey_state *st3 = mbmsec_mikey_state_new();
    mbmsec_mikey_state_free(st3);
  }
  assert_int_equal(alloc_count, free_count);
  mbmsec_mikey_state_set_allocator(NULL, NULL);
}

static void test_args(void **state)
{
  (void)state;
  mbmsec_mikey_msk_result r;
  mbmsec_mikey_mtk_info mi;
  uint8_t b[8] = {0};
  size_t n;
  assert_int_equal(mbmsec_mikey_state_accept_msk(NULL, b, 8, muk_cb, NULL, NULL, &r),
                   MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_mikey_state_accept_msk(st, b, 8, NULL, NULL, NULL, &r), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_mikey_state_accept_mtk(st, NULL, 8, NULL, &mi), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_mikey_state_serialize(st, NULL, 8, &n), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_mikey_state_deserialize(st, NULL, 8), MBMSEC_ERR_ARG);
  mbmsec_mikey_state_free(NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_hostile_table, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bit_flips, setup, teardown),
      cmocka_unit_test_setup_teardown(test_accept_rules, setup, teardown),
      cmocka_unit_test_setup_teardown(test_full, setup, teardown),
      cmocka_unit_test_setup_teardown(test_serialise, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_args, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
