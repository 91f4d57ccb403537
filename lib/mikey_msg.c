/* The MBMS profile MIKEY messages: MSK, MTK, verification, solicited pull (mikey.md 6-8). */
#include "mbmsec/mikey_msg.h"

#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/keyid.h"
#include "mbmsec/mikey.h"
#include "mbmsec/mikey_prf.h"

/* Largest plaintext key data chain the profile sends: 36 octets (MTK); anything longer than
 * this is not a profile message. */
#define KD_PLAIN_MAX 64
#define MSK_KD_LEN   26
#define MTK_KD_LEN   36

static const mbmsec_mikey_opts no_opts;

static uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static void put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* KEMAC AES-CM-128 en/decryption (symmetric). */
static mbmsec_err kemac_crypt(const mbmsec_mikey_keys *k, uint32_t csb_id, uint32_t counter,
                              const uint8_t *in, uint8_t *out, size_t n)
{
  uint8_t ts[8], iv[16];
  mbmsec_err rc;
  if (n == 0) return MBMSEC_OK;
  mbmsec_mikey_counter_ts(counter, ts);
  mbmsec_mikey_kemac_iv(k->salt_key, csb_id, ts, iv);
  rc = mbmsec_aes128_ctr(k->encr_key, iv, in, out, n);
  mbmsec_cleanse(iv, sizeof iv);
  return rc;
}

/* ---------------------------------------------------------------- building */

typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN], msk_id[MBMSEC_MSK_ID_LEN], mtk_id[MBMSEC_MTK_ID_LEN];
  int with_mtk_id;
  uint8_t v_flag;
  uint32_t counter;
  const uint8_t *idi, *idr;
  size_t idi_len, idr_len;
  const uint8_t *plain; /* key data chain */
  size_t plain_len;
  int fixed;
  uint32_t csb_id;
  const uint8_t *rand;
} build_in;

static mbmsec_err build(const build_in *b, const uint8_t *psk, size_t psk_len,
                        const mbmsec_mikey_opts *opts, uint8_t *out, size_t cap, size_t *out_len,
                        mbmsec_mikey_sent *sent)
{
  mbmsec_mikey_msg m;
  mbmsec_mikey_keys keys;
  uint8_t encr[KD_PLAIN_MAX];
  uint8_t rnd[MBMSEC_MIKEY_RAND_LEN];
  uint32_t csb_id;
  size_t n;
  mbmsec_mikey_payload *pl;
  mbmsec_err rc;

  memset(&keys, 0, sizeof keys);
  if (b->fixed) {
    csb_id = b->csb_id;
    memcpy(rnd, b->rand, sizeof rnd);
  } else {
    uint8_t c[4];
    GUARD(mbmsec_random(c, sizeof c));
    GUARD(mbmsec_random(rnd, sizeof rnd));
    csb_id = ((uint32_t)c[0] << 24) | ((uint32_t)c[1] << 16) | ((uint32_t)c[2] << 8) | c[3];
  }
  GUARD_OUT(mbmsec_mikey_psk_keys(psk, psk_len, csb_id, rnd, sizeof rnd, &keys));
  if (opts->test_null_encr) {
    if (b->plain_len) memcpy(encr, b->plain, b->plain_len);
  } else {
    GUARD_OUT(kemac_crypt(&keys, csb_id, b->counter, b->plain, encr, b->plain_len));
  }

  memset(&m, 0, sizeof m);
  m.hdr.version = MBMSEC_MIKEY_VERSION;
  m.hdr.data_type = MBMSEC_MIKEY_DT_PSK_INIT;
  m.hdr.v_flag = b->v_flag;
  m.hdr.prf = MBMSEC_MIKEY_PRF_MIKEY1;
  m.hdr.csb_id = csb_id;
  m.hdr.n_cs = 0;
  m.hdr.map_type = MBMSEC_MIKEY_MAP_TYPE;
  pl = &m.p[m.n_payloads++];
  pl->type = MBMSEC_MIKEY_PT_EXT;
  pl->u.ext.ext_type = MBMSEC_MIKEY_EXT_KEYID;
  pl->u.ext.keyids[0] = (mbmsec_mikey_keyid){MBMSEC_MIKEY_KEYID_KDID, MBMSEC_KDID_LEN, b->kdid};
  pl->u.ext.keyids[1] = (mbmsec_mikey_keyid){MBMSEC_MIKEY_KEYID_MSK, MBMSEC_MSK_ID_LEN, b->msk_id};
  pl->u.ext.keyids[2] = (mbmsec_mikey_keyid){MBMSEC_MIKEY_KEYID_MTK, MBMSEC_MTK_ID_LEN, b->mtk_id};
  pl->u.ext.n_keyids = b->with_mtk_id ? 3 : 2;
  pl = &m.p[m.n_payloads++];
  pl->type = MBMSEC_MIKEY_PT_T;
  pl->u.t.ts_type = MBMSEC_MIKEY_TS_COUNTER;
  pl->u.t.value = b->counter;
  pl = &m.p[m.n_payloads++];
  pl->type = MBMSEC_MIKEY_PT_RAND;
  pl->u.rand.len = MBMSEC_MIKEY_RAND_LEN;
  pl->u.rand.data = rnd;
  if (b->idi) {
    pl = &m.p[m.n_payloads++];
    pl->type = MBMSEC_MIKEY_PT_ID;
    pl->u.id.id_type = MBMSEC_MIKEY_ID_NAI;
    pl->u.id.len = (uint16_t)b->idi_len;
    pl->u.id.data = b->idi;
    pl = &m.p[m.n_payloads++];
    pl->type = MBMSEC_MIKEY_PT_ID;
    pl->u.id.id_type = MBMSEC_MIKEY_ID_NAI;
    pl->u.id.len = (uint16_t)b->idr_len;
    pl->u.id.data = b->idr;
  }
  pl = &m.p[m.n_payloads++];
  pl->type = MBMSEC_MIKEY_PT_KEMAC;
  pl->u.kemac.encr_alg =
      opts->test_null_encr ? MBMSEC_MIKEY_ENCR_NULL : MBMSEC_MIKEY_ENCR_AES_CM_128;
  pl->u.kemac.encr_len = (uint16_t)b->plain_len;
  pl->u.kemac.encr = encr;
  pl->u.kemac.mac_alg =
      opts->test_null_mac ? MBMSEC_MIKEY_MAC_NULL : MBMSEC_MIKEY_MAC_HMAC_SHA1_160;
  pl->u.kemac.mac = NULL; /* zeros, filled below */
  GUARD_OUT(mbmsec_mikey_encode(&m, out, cap, &n));
  if (!opts->test_null_mac) {
    mbmsec_iov iov = {out, n - MBMSEC_MIKEY_MAC_LEN};
    GUARD_OUT(mbmsec_hmac(MBMSEC_MD_SHA1, keys.auth_key, sizeof keys.auth_key, &iov, 1,
                          out + n - MBMSEC_MIKEY_MAC_LEN));
  }
  *out_len = n;
  if (sent) {
    sent->csb_id = csb_id;
    memcpy(sent->rand, rnd, sizeof rnd);
    sent->counter = b->counter;
  }
out:
  mbmsec_mikey_keys_cleanse(&keys);
  mbmsec_cleanse(encr, sizeof encr);
  return rc;
}

mbmsec_err mbmsec_mikey_msk_build(const mbmsec_mikey_msk_params *p, const uint8_t *muk,
                                  size_t muk_len, const mbmsec_mikey_opts *opts, uint8_t *out,
                                  size_t cap, size_t *out_len, mbmsec_mikey_sent *sent)
{
  build_in b;
  mbmsec_mikey_keydata kd;
  uint8_t plain[KD_PLAIN_MAX], vf[2], vt[2];
  mbmsec_err rc = MBMSEC_OK;
  ENSURE(p != NULL && muk != NULL && out != NULL && out_len != NULL, MBMSEC_ERR_ARG);
  ENSURE(p->idi != NULL && p->idr != NULL, MBMSEC_ERR_ARG);
  ENSURE(muk_len >= 1 && muk_len <= MBMSEC_MIKEY_PSK_MAX, MBMSEC_ERR_LENGTH);
  ENSURE(p->idi_len >= 1 && p->idi_len <= MBMSEC_MIKEY_ID_MAX, MBMSEC_ERR_LENGTH);
  ENSURE(p->idr_len >= 1 && p->idr_len <= MBMSEC_MIKEY_ID_MAX, MBMSEC_ERR_LENGTH);
  ENSURE(p->msk == NULL || p->vf <= p->vt, MBMSEC_ERR_MIKEY_INTERVAL);
  *out_len = 0;
  memset(&b, 0, sizeof b);
  memcpy(b.kdid, p->kdid, MBMSEC_KDID_LEN);
  memcpy(b.msk_id, p->msk_id, MBMSEC_MSK_ID_LEN);
  b.v_flag = p->v_flag ? 1 : 0;
  b.counter = p->counter;
  b.idi = p->idi;
  b.idi_len = p->idi_len;
  b.idr = p->idr;
  b.idr_len = p->idr_len;
  b.fixed = p->fixed;
  b.csb_id = p->csb_id;
  b.rand = p->rand;
  b.plain = plain;
  b.plain_len = MBMSEC_MIKEY_PULL_ENCR_LEN;
  if (p->msk) {
    memset(&kd, 0, sizeof kd);
    kd.type = MBMSEC_MIKEY_MSK_KD_TYPE;
    kd.kv = MBMSEC_MIKEY_KV_INTERVAL;
    kd.key_len = MBMSEC_MBMS_MSK_LEN;
    kd.key = p->msk;
    put16(vf, p->vf);
    put16(vt, p->vt);
    kd.vf_len = MBMSEC_MTK_ID_LEN;
    kd.vf = vf;
    kd.vt_len = MBMSEC_MTK_ID_LEN;
    kd.vt = vt;
    GUARD_OUT(mbmsec_mikey_keydata_encode(&kd, 1, plain, sizeof plain, &b.plain_len));
  }
  rc = build(&b, muk, muk_len, opts ? opts : &no_opts, out, cap, out_len, sent);
out:
  mbmsec_cleanse(plain, sizeof plain);
  return rc;
}

mbmsec_err mbmsec_mikey_mtk_build(const mbmsec_mikey_mtk_params *p, const uint8_t *msk,
                                  size_t msk_len, const mbmsec_mikey_opts *opts, uint8_t *out,
                                  size_t cap, size_t *out_len, mbmsec_mikey_sent *sent)
{
  build_in b;
  mbmsec_mikey_keydata kd;
  uint8_t plain[KD_PLAIN_MAX];
  mbmsec_err rc = MBMSEC_OK;
  ENSURE(p != NULL && msk != NULL && out != NULL && out_len != NULL, MBMSEC_ERR_ARG);
  ENSURE(p->mtk != NULL && p->salt != NULL, MBMSEC_ERR_ARG);
  ENSURE(msk_len >= 1 && msk_len <= MBMSEC_MIKEY_PSK_MAX, MBMSEC_ERR_LENGTH);
  *out_len = 0;
  memset(&b, 0, sizeof b);
  memcpy(b.kdid, p->kdid, MBMSEC_KDID_LEN);
  memcpy(b.msk_id, p->msk_id, MBMSEC_MSK_ID_LEN);
  put16(b.mtk_id, p->mtk_id);
  b.with_mtk_id = 1;
  b.counter = p->counter;
  b.fixed = p->fixed;
  b.csb_id = p->csb_id;
  b.rand = p->rand;
  b.plain = plain;
  memset(&kd, 0, sizeof kd);
  kd.type = MBMSEC_MIKEY_MTK_KD_TYPE;
  kd.kv = MBMSEC_MIKEY_KV_NULL;
  kd.key_len = MBMSEC_MBMS_MTK_LEN;
  kd.key = p->mtk;
  kd.salt_len = MBMSEC_MBMS_MTK_SALT_LEN;
  kd.salt = p->salt;
  GUARD_OUT(mbmsec_mikey_keydata_encode(&kd, 1, plain, sizeof plain, &b.plain_len));
  rc = build(&b, msk, msk_len, opts ? opts : &no_opts, out, cap, out_len, sent);
out:
  mbmsec_cleanse(plain, sizeof plain);
  return rc;
}

/* ---------------------------------------------------------------- verifying */

typedef struct {
  mbmsec_mikey_msg m;
  const mbmsec_mikey_payload *ext, *t, *rand, *idi, *idr, *kemac;
  const uint8_t *kdid, *msk_id, *mtk_id;
  uint32_t counter;
} parsed;

/* Steps 1 of mikey.md 8: syntax and profile layout. */
static mbmsec_err parse_profile(const uint8_t *msg, size_t len, int is_mtk,
                                const mbmsec_mikey_opts *opts, parsed *ps)
{
  static const uint8_t msk_layout[] = {MBMSEC_MIKEY_PT_EXT,  MBMSEC_MIKEY_PT_T,
                                       MBMSEC_MIKEY_PT_RAND, MBMSEC_MIKEY_PT_ID,
                                       MBMSEC_MIKEY_PT_ID,   MBMSEC_MIKEY_PT_KEMAC};
  static const uint8_t mtk_layout[] = {MBMSEC_MIKEY_PT_EXT, MBMSEC_MIKEY_PT_T, MBMSEC_MIKEY_PT_RAND,
                                       MBMSEC_MIKEY_PT_KEMAC};
  const uint8_t *layout = is_mtk ? mtk_layout : msk_layout;
  size_t nl = is_mtk ? sizeof mtk_layout : sizeof msk_layout;
  const mbmsec_mikey_hdr *h = &ps->m.hdr;
  GUARD(mbmsec_mikey_decode(msg, len, &ps->m));
  ENSURE(h->data_type == MBMSEC_MIKEY_DT_PSK_INIT, MBMSEC_ERR_MIKEY_LAYOUT);
  ENSURE(h->n_cs == 0 && h->map_type == MBMSEC_MIKEY_MAP_TYPE, MBMSEC_ERR_MIKEY_NCS);
  ENSURE(!is_mtk || h->v_flag == 0, MBMSEC_ERR_MIKEY_V_FLAG);
  ENSURE(ps->m.n_payloads == nl, MBMSEC_ERR_MIKEY_LAYOUT);
  for (size_t i = 0; i < nl; i++) ENSURE(ps->m.p[i].type == layout[i], MBMSEC_ERR_MIKEY_LAYOUT);
  ps->ext = &ps->m.p[0];
  ps->t = &ps->m.p[1];
  ps->rand = &ps->m.p[2];
  ps->idi = is_mtk ? NULL : &ps->m.p[3];
  ps->idr = is_mtk ? NULL : &ps->m.p[4];
  ps->kemac = &ps->m.p[nl - 1];

  ENSURE(ps->ext->u.ext.ext_type == MBMSEC_MIKEY_EXT_KEYID, MBMSEC_ERR_MIKEY_KEYID);
  ENSURE(ps->ext->u.ext.n_keyids == (is_mtk ? 3 : 2), MBMSEC_ERR_MIKEY_KEYID);
  ENSURE(ps->ext->u.ext.keyids[0].type == MBMSEC_MIKEY_KEYID_KDID &&
             ps->ext->u.ext.keyids[0].len == MBMSEC_KDID_LEN &&
             ps->ext->u.ext.keyids[1].type == MBMSEC_MIKEY_KEYID_MSK &&
             ps->ext->u.ext.keyids[1].len == MBMSEC_MSK_ID_LEN,
         MBMSEC_ERR_MIKEY_KEYID);
  ps->kdid = ps->ext->u.ext.keyids[0].data;
  ps->msk_id = ps->ext->u.ext.keyids[1].data;
  if (is_mtk) {
    ENSURE(ps->ext->u.ext.keyids[2].type == MBMSEC_MIKEY_KEYID_MTK &&
               ps->ext->u.ext.keyids[2].len == MBMSEC_MTK_ID_LEN,
           MBMSEC_ERR_MIKEY_KEYID);
    ps->mtk_id = ps->ext->u.ext.keyids[2].data;
  }
  ENSURE(ps->t->u.t.ts_type == MBMSEC_MIKEY_TS_COUNTER, MBMSEC_ERR_MIKEY_TS_TYPE);
  ps->counter = (uint32_t)ps->t->u.t.value;
  ENSURE(ps->rand->u.rand.len == MBMSEC_MIKEY_RAND_LEN, MBMSEC_ERR_MIKEY_RAND_LEN);
  if (!is_mtk) {
    ENSURE(ps->idi->u.id.id_type == MBMSEC_MIKEY_ID_NAI &&
               ps->idr->u.id.id_type == MBMSEC_MIKEY_ID_NAI,
           MBMSEC_ERR_MIKEY_ID_TYPE);
    ENSURE(ps->idi->u.id.len >= 1 && ps->idi->u.id.len <= MBMSEC_MIKEY_ID_MAX &&
               ps->idr->u.id.len >= 1 && ps->idr->u.id.len <= MBMSEC_MIKEY_ID_MAX,
           MBMSEC_ERR_MIKEY_ID_LEN);
  }
  if (ps->kemac->u.kemac.encr_alg == MBMSEC_MIKEY_ENCR_NULL ||
      ps->kemac->u.kemac.mac_alg == MBMSEC_MIKEY_MAC_NULL)
    ENSURE(opts->test_allow_null, MBMSEC_ERR_MIKEY_NULL_ALG);
  ENSURE(ps->kemac->u.kemac.encr_alg != MBMSEC_MIKEY_ENCR_AES_KW_128, MBMSEC_ERR_MIKEY_ENCR_ALG);
  return MBMSEC_OK;
}

/* Steps 2-5: key, MAC, counter, decrypt. plain gets the key data chain (*plain_len octets). */
static mbmsec_err auth_decrypt(const uint8_t *msg, size_t len, const parsed *ps,
                               const mbmsec_mikey_key_ref *ref, mbmsec_mikey_key_cb key_cb,
                               void *ctx, mbmsec_mikey_psk *psk, uint8_t plain[KD_PLAIN_MAX],
                               size_t *plain_len)
{
  mbmsec_mikey_keys keys;
  uint32_t csb_id = ps->m.hdr.csb_id;
  size_t n = ps->kemac->u.kemac.encr_len;
  mbmsec_err rc;

  memset(&keys, 0, sizeof keys);
  memset(psk, 0, sizeof *psk);
  GUARD_OUT(key_cb(ctx, ref, psk));
  ENSURE_OUT(psk->key_len >= 1 && psk->key_len <= MBMSEC_MIKEY_PSK_MAX, MBMSEC_ERR_ARG);
  GUARD_OUT(mbmsec_mikey_psk_keys(psk->key, psk->key_len, csb_id, ps->rand->u.rand.data,
                                  ps->rand->u.rand.len, &keys));
  if (ps->kemac->u.kemac.mac_alg == MBMSEC_MIKEY_MAC_HMAC_SHA1_160) {
    uint8_t mac[MBMSEC_MIKEY_MAC_LEN];
    mbmsec_iov iov = {msg,
                      len - MBMSEC_MIKEY_MAC_LEN}; /* KEMAC is last, its MAC ends the message */
    GUARD_OUT(mbmsec_hmac(MBMSEC_MD_SHA1, keys.auth_key, sizeof keys.auth_key, &iov, 1, mac));
    ENSURE_OUT(mbmsec_ct_equal(mac, ps->kemac->u.kemac.mac, sizeof mac), MBMSEC_ERR_MIKEY_MAC);
  }
  ENSURE_OUT(ps->counter > psk->counter, MBMSEC_ERR_MIKEY_REPLAY);
  ENSURE_OUT(n <= KD_PLAIN_MAX, MBMSEC_ERR_MIKEY_KEYDATA);
  if (ps->kemac->u.kemac.encr_alg == MBMSEC_MIKEY_ENCR_NULL) {
    if (n) memcpy(plain, ps->kemac->u.kemac.encr, n);
  } else {
    GUARD_OUT(kemac_crypt(&keys, csb_id, ps->counter, ps->kemac->u.kemac.encr, plain, n));
  }
  *plain_len = n;
out:
  mbmsec_mikey_keys_cleanse(&keys);
  return rc;
}

/* The common front of both verifiers: parse to the profile, name the key that protects the
 * message (the MUK by IDi/IDr for MSK messages, the MSK by KDID/MSK ID for MTK messages), then
 * MAC check, replay check and decryption. */
static mbmsec_err open_msg(const uint8_t *msg, size_t len, int mtk, mbmsec_mikey_key_cb key_cb,
                           void *ctx, const mbmsec_mikey_opts *opts, parsed *ps,
                           mbmsec_mikey_psk *psk, uint8_t plain[KD_PLAIN_MAX], size_t *plain_len)
{
  mbmsec_mikey_key_ref ref;
  GUARD(parse_profile(msg, len, mtk, opts, ps));
  ENSURE(opts->expect_kdid == NULL || memcmp(opts->expect_kdid, ps->kdid, MBMSEC_KDID_LEN) == 0,
         MBMSEC_ERR_MIKEY_KDID);
  memset(&ref, 0, sizeof ref);
  if (mtk) {
    ref.kind = MBMSEC_MIKEY_KEY_MSK;
    ref.kdid = ps->kdid;
    ref.msk_id = ps->msk_id;
  } else {
    ref.kind = MBMSEC_MIKEY_KEY_MUK;
    ref.idi = ps->idi->u.id.data;
    ref.idi_len = ps->idi->u.id.len;
    ref.idr = ps->idr->u.id.data;
    ref.idr_len = ps->idr->u.id.len;
  }
  return auth_decrypt(msg, len, ps, &ref, key_cb, ctx, psk, plain, plain_len);
}

mbmsec_err mbmsec_mikey_msk_verify(const uint8_t *msg, size_t len, mbmsec_mikey_key_cb key_cb,
                                   void *ctx, const mbmsec_mikey_opts *opts,
                                   mbmsec_mikey_msk_info *info)
{
  parsed ps;
  mbmsec_mikey_psk psk;
  mbmsec_mikey_keydata kd;
  uint8_t plain[KD_PLAIN_MAX];
  size_t plain_len = 0, nkd;
  mbmsec_err rc;

  ENSURE(msg != NULL && key_cb != NULL && info != NULL, MBMSEC_ERR_ARG);
  memset(info, 0, sizeof *info);
  memset(&psk, 0, sizeof psk);
  if (!opts) opts = &no_opts;
  GUARD_OUT(open_msg(msg, len, 0, key_cb, ctx, opts, &ps, &psk, plain, &plain_len));
  if (plain_len == MBMSEC_MIKEY_PULL_ENCR_LEN) {
    info->pull = 1;
  } else {
    GUARD_OUT(mbmsec_mikey_keydata_decode(plain, plain_len, &kd, 1, &nkd));
    ENSURE_OUT(kd.type == MBMSEC_MIKEY_MSK_KD_TYPE && kd.kv == MBMSEC_MIKEY_KV_INTERVAL &&
                   kd.key_len == MBMSEC_MBMS_MSK_LEN && kd.vf_len == MBMSEC_MTK_ID_LEN &&
                   kd.vt_len == MBMSEC_MTK_ID_LEN,
               MBMSEC_ERR_MIKEY_KEYDATA);
    info->vf = be16(kd.vf);
    info->vt = be16(kd.vt);
    ENSURE_OUT(info->vf <= info->vt, MBMSEC_ERR_MIKEY_INTERVAL);
    ENSURE_OUT(mbmsec_msk_id_keynum(ps.msk_id) != MBMSEC_MSK_KEYNUM_RESERVED,
               MBMSEC_ERR_MIKEY_KEYNUM);
    memcpy(info->msk, kd.key, MBMSEC_MBMS_MSK_LEN);
  }
  info->csb_id = ps.m.hdr.csb_id;
  info->counter = ps.counter;
  info->v_flag = ps.m.hdr.v_flag;
  memcpy(info->kdid, ps.kdid, MBMSEC_KDID_LEN);
  memcpy(info->msk_id, ps.msk_id, MBMSEC_MSK_ID_LEN);
  memcpy(info->rand, ps.rand->u.rand.data, MBMSEC_MIKEY_RAND_LEN);
  memcpy(info->idi, ps.idi->u.id.data, ps.idi->u.id.len);
  info->idi_len = ps.idi->u.id.len;
  memcpy(info->idr, ps.idr->u.id.data, ps.idr->u.id.len);
  info->idr_len = ps.idr->u.id.len;
out:
  if (rc != MBMSEC_OK) mbmsec_mikey_msk_info_cleanse(info);
  mbmsec_cleanse(plain, sizeof plain);
  mbmsec_cleanse(&psk, sizeof psk);
  return rc;
}

mbmsec_err mbmsec_mikey_mtk_verify(const uint8_t *msg, size_t len, mbmsec_mikey_key_cb key_cb,
                                   void *ctx, const mbmsec_mikey_opts *opts,
                                   mbmsec_mikey_mtk_info *info)
{
  parsed ps;
  mbmsec_mikey_psk psk;
  mbmsec_mikey_keydata kd;
  uint8_t plain[KD_PLAIN_MAX];
  size_t plain_len = 0, nkd;
  uint16_t mtk_id;
  mbmsec_err rc;

  ENSURE(msg != NULL && key_cb != NULL && info != NULL, MBMSEC_ERR_ARG);
  memset(info, 0, sizeof *info);
  memset(&psk, 0, sizeof psk);
  if (!opts) opts = &no_opts;
  GUARD_OUT(open_msg(msg, len, 1, key_cb, ctx, opts, &ps, &psk, plain, &plain_len));
  GUARD_OUT(mbmsec_mikey_keydata_decode(plain, plain_len, &kd, 1, &nkd));
  ENSURE_OUT(kd.type == MBMSEC_MIKEY_MTK_KD_TYPE && kd.kv == MBMSEC_MIKEY_KV_NULL &&
                 kd.key_len == MBMSEC_MBMS_MTK_LEN && kd.salt_len == MBMSEC_MBMS_MTK_SALT_LEN,
             MBMSEC_ERR_MIKEY_KEYDATA);
  mtk_id = be16(ps.mtk_id);
  /* The BM-SC repeats the current MTK message for late joiners: for a UE that holds that MTK
   * the repetition is expected, not an attack, so it gets a code of its own (nothing changes). */
  ENSURE_OUT(!psk.has_last_mtk || mtk_id != psk.last_mtk_id, MBMSEC_ERR_MIKEY_MTK_REPEAT);
  ENSURE_OUT(!psk.has_last_mtk || mtk_id > psk.last_mtk_id, MBMSEC_ERR_MIKEY_MTK_ID_OLD);
  ENSURE_OUT(mtk_id >= psk.vf && mtk_id <= psk.vt, MBMSEC_ERR_MIKEY_MTK_ID_RANGE);
  info->csb_id = ps.m.hdr.csb_id;
  info->counter = ps.counter;
  memcpy(info->kdid, ps.kdid, MBMSEC_KDID_LEN);
  memcpy(info->msk_id, ps.msk_id, MBMSEC_MSK_ID_LEN);
  info->mtk_id = mtk_id;
  memcpy(info->mtk, kd.key, MBMSEC_MBMS_MTK_LEN);
  memcpy(info->salt, kd.salt, MBMSEC_MBMS_MTK_SALT_LEN);
out:
  if (rc != MBMSEC_OK) mbmsec_mikey_mtk_info_cleanse(info);
  mbmsec_cleanse(plain, sizeof plain);
  mbmsec_cleanse(&psk, sizeof psk);
  return rc;
}

/* ---------------------------------------------------------------- verification message */

/* MAC = HMAC-SHA-1(auth_key, msg[0..len-20) || IDi || IDr || TS value (4 octets)). */
static mbmsec_err ver_mac(const uint8_t *muk, size_t muk_len, uint32_t csb_id,
                          const uint8_t rand[MBMSEC_MIKEY_RAND_LEN], const uint8_t *msg, size_t len,
                          const uint8_t *idi, size_t idi_len, const uint8_t *idr, size_t idr_len,
                          uint32_t counter, uint8_t mac[MBMSEC_MIKEY_MAC_LEN])
{
  mbmsec_mikey_keys keys;
  uint8_t ts[4];
  mbmsec_err rc;
  mbmsec_iov iov[4];
  put32(ts, counter);
  iov[0] = (mbmsec_iov){msg, len - MBMSEC_MIKEY_MAC_LEN};
  iov[1] = (mbmsec_iov){idi, idi_len};
  iov[2] = (mbmsec_iov){idr, idr_len};
  iov[3] = (mbmsec_iov){ts, sizeof ts};
  memset(&keys, 0, sizeof keys);
  GUARD_OUT(mbmsec_mikey_psk_keys(muk, muk_len, csb_id, rand, MBMSEC_MIKEY_RAND_LEN, &keys));
  GUARD_OUT(mbmsec_hmac(MBMSEC_MD_SHA1, keys.auth_key, sizeof keys.auth_key, iov, 4, mac));
out:
  mbmsec_mikey_keys_cleanse(&keys);
  return rc;
}

mbmsec_err mbmsec_mikey_ver_build(const mbmsec_mikey_msk_info *a, const uint8_t *muk,
                                  size_t muk_len, uint8_t *out, size_t cap, size_t *out_len)
{
  mbmsec_mikey_msg m;
  mbmsec_mikey_payload *pl;
  size_t n;
  ENSURE(a != NULL && muk != NULL && out != NULL && out_len != NULL, MBMSEC_ERR_ARG);
  ENSURE(muk_len >= 1 && muk_len <= MBMSEC_MIKEY_PSK_MAX, MBMSEC_ERR_LENGTH);
  ENSURE(a->idi_len <= MBMSEC_MIKEY_ID_MAX && a->idr_len <= MBMSEC_MIKEY_ID_MAX, MBMSEC_ERR_LENGTH);
  *out_len = 0;
  memset(&m, 0, sizeof m);
  m.hdr.version = MBMSEC_MIKEY_VERSION;
  m.hdr.data_type = MBMSEC_MIKEY_DT_PSK_VERIFY;
  m.hdr.prf = MBMSEC_MIKEY_PRF_MIKEY1;
  m.hdr.csb_id = a->csb_id;
  m.hdr.n_cs = 0; /* copied from the MSK message (profile: 0) */
  m.hdr.map_type = MBMSEC_MIKEY_MAP_TYPE;
  pl = &m.p[m.n_payloads++];
  pl->type = MBMSEC_MIKEY_PT_T;
  pl->u.t.ts_type = MBMSEC_MIKEY_TS_COUNTER;
  pl->u.t.value = a->counter;
  if (MBMSEC_MIKEY_VER_WITH_IDR) {
    pl = &m.p[m.n_payloads++];
    pl->type = MBMSEC_MIKEY_PT_ID;
    pl->u.id.id_type = MBMSEC_MIKEY_ID_NAI;
    pl->u.id.len = (uint16_t)a->idr_len;
    pl->u.id.data = a->idr;
  }
  pl = &m.p[m.n_payloads++];
  pl->type = MBMSEC_MIKEY_PT_V;
  pl->u.v.auth_alg = MBMSEC_MIKEY_MAC_HMAC_SHA1_160;
  GUARD(mbmsec_mikey_encode(&m, out, cap, &n));
  GUARD(ver_mac(muk, muk_len, a->csb_id, a->rand, out, n, a->idi, a->idi_len, a->idr, a->idr_len,
                a->counter, out + n - MBMSEC_MIKEY_MAC_LEN));
  *out_len = n;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_mikey_ver_verify(const uint8_t *msg, size_t len, const uint8_t *muk,
                                   size_t muk_len, const mbmsec_mikey_sent *sent,
                                   const uint8_t *idi, size_t idi_len, const uint8_t *idr,
                                   size_t idr_len)
{
  mbmsec_mikey_msg m;
  uint8_t mac[MBMSEC_MIKEY_MAC_LEN];
  const mbmsec_mikey_payload *t, *id = NULL, *v;
  size_t want = MBMSEC_MIKEY_VER_WITH_IDR ? 3 : 2;
  ENSURE(msg != NULL && muk != NULL && sent != NULL && idi != NULL && idr != NULL, MBMSEC_ERR_ARG);
  ENSURE(muk_len >= 1 && muk_len <= MBMSEC_MIKEY_PSK_MAX, MBMSEC_ERR_LENGTH);
  GUARD(mbmsec_mikey_decode(msg, len, &m));
  ENSURE(m.hdr.data_type == MBMSEC_MIKEY_DT_PSK_VERIFY, MBMSEC_ERR_MIKEY_LAYOUT);
  ENSURE(m.hdr.n_cs == 0 && m.hdr.map_type == MBMSEC_MIKEY_MAP_TYPE, MBMSEC_ERR_MIKEY_NCS);
  ENSURE(m.hdr.v_flag == 0, MBMSEC_ERR_MIKEY_V_FLAG);
  ENSURE(m.n_payloads == want, MBMSEC_ERR_MIKEY_LAYOUT);
  t = &m.p[0];
  v = &m.p[want - 1];
  ENSURE(t->type == MBMSEC_MIKEY_PT_T && v->type == MBMSEC_MIKEY_PT_V, MBMSEC_ERR_MIKEY_LAYOUT);
  if (MBMSEC_MIKEY_VER_WITH_IDR) {
    id = &m.p[1];
    ENSURE(id->type == MBMSEC_MIKEY_PT_ID, MBMSEC_ERR_MIKEY_LAYOUT);
    ENSURE(id->u.id.id_type == MBMSEC_MIKEY_ID_NAI, MBMSEC_ERR_MIKEY_ID_TYPE);
  }
  ENSURE(t->u.t.ts_type == MBMSEC_MIKEY_TS_COUNTER, MBMSEC_ERR_MIKEY_TS_TYPE);
  ENSURE(v->u.v.auth_alg == MBMSEC_MIKEY_MAC_HMAC_SHA1_160, MBMSEC_ERR_MIKEY_NULL_ALG);
  ENSURE(m.hdr.csb_id == sent->csb_id && t->u.t.value == sent->counter,
         MBMSEC_ERR_MIKEY_VER_MISMATCH);
  if (id)
    ENSURE(id->u.id.len == idr_len && memcmp(id->u.id.data, idr, idr_len) == 0,
           MBMSEC_ERR_MIKEY_VER_MISMATCH);
  GUARD(ver_mac(muk, muk_len, sent->csb_id, sent->rand, msg, len, idi, idi_len, idr, idr_len,
                sent->counter, mac));
  ENSURE(mbmsec_ct_equal(mac, v->u.v.mac, sizeof mac), MBMSEC_ERR_MIKEY_MAC);
  return MBMSEC_OK;
}

void mbmsec_mikey_msk_info_cleanse(mbmsec_mikey_msk_info *info)
{
  if (info) mbmsec_cleanse(info, sizeof *info);
}

void mbmsec_mikey_mtk_info_cleanse(mbmsec_mikey_mtk_info *info)
{
  if (info) mbmsec_cleanse(info, sizeof *info);
}
