/* MIKEY encoder (RFC 3830 section 6, RFC 4563). Writes only through mbmsec_wr; the result is
 * decoded again before it is returned, so it never produces what the decoder refuses. */
#include "mbmsec/mikey.h"

#include <string.h>

#include "guard.h"
#include "mbmsec/buf.h"

static const uint8_t zero_mac[MBMSEC_MIKEY_MAC_LEN];

static mbmsec_err enc_hdr(mbmsec_wr *wr, const mbmsec_mikey_hdr *h, uint8_t next)
{
  ENSURE(h->v_flag <= 1 && h->prf <= 0x7f, MBMSEC_ERR_ARG);
  GUARD(mbmsec_wr_u8(wr, h->version));
  GUARD(mbmsec_wr_u8(wr, h->data_type));
  GUARD(mbmsec_wr_u8(wr, next));
  GUARD(mbmsec_wr_u8(wr, (uint8_t)((h->v_flag << 7) | h->prf)));
  GUARD(mbmsec_wr_u32(wr, h->csb_id));
  GUARD(mbmsec_wr_u8(wr, h->n_cs));
  GUARD(mbmsec_wr_u8(wr, h->map_type));
  if (h->map_type == MBMSEC_MIKEY_MAP_SRTP) {
    ENSURE(h->n_cs <= MBMSEC_MIKEY_MAX_CS, MBMSEC_ERR_MIKEY_TOO_MANY);
    for (uint8_t i = 0; i < h->n_cs; i++) {
      GUARD(mbmsec_wr_u8(wr, h->cs[i].policy_no));
      GUARD(mbmsec_wr_u32(wr, h->cs[i].ssrc));
      GUARD(mbmsec_wr_u32(wr, h->cs[i].roc));
    }
  }
  return MBMSEC_OK;
}

static mbmsec_err wr_mac(mbmsec_wr *wr, uint8_t alg, const uint8_t *mac)
{
  GUARD(mbmsec_wr_u8(wr, alg));
  if (alg == MBMSEC_MIKEY_MAC_HMAC_SHA1_160)
    return mbmsec_wr_bytes(wr, mac ? mac : zero_mac, MBMSEC_MIKEY_MAC_LEN);
  return MBMSEC_OK;
}

static mbmsec_err enc_payload(mbmsec_wr *wr, const mbmsec_mikey_payload *pl, uint8_t next)
{
  GUARD(mbmsec_wr_u8(wr, next));
  switch (pl->type) {
  case MBMSEC_MIKEY_PT_T:
    GUARD(mbmsec_wr_u8(wr, pl->u.t.ts_type));
    if (pl->u.t.ts_type == MBMSEC_MIKEY_TS_COUNTER) {
      ENSURE(pl->u.t.value <= UINT32_MAX, MBMSEC_ERR_ARG);
      return mbmsec_wr_u32(wr, (uint32_t)pl->u.t.value);
    }
    GUARD(mbmsec_wr_u32(wr, (uint32_t)(pl->u.t.value >> 32)));
    return mbmsec_wr_u32(wr, (uint32_t)pl->u.t.value);
  case MBMSEC_MIKEY_PT_RAND:
    ENSURE(pl->u.rand.data != NULL || pl->u.rand.len == 0, MBMSEC_ERR_ARG);
    GUARD(mbmsec_wr_u8(wr, pl->u.rand.len));
    return mbmsec_wr_bytes(wr, pl->u.rand.data, pl->u.rand.len);
  case MBMSEC_MIKEY_PT_ID:
    ENSURE(pl->u.id.data != NULL || pl->u.id.len == 0, MBMSEC_ERR_ARG);
    GUARD(mbmsec_wr_u8(wr, pl->u.id.id_type));
    GUARD(mbmsec_wr_u16(wr, pl->u.id.len));
    return mbmsec_wr_bytes(wr, pl->u.id.data, pl->u.id.len);
  case MBMSEC_MIKEY_PT_SP: {
    size_t plen = 0;
    ENSURE(pl->u.sp.n_params <= MBMSEC_MIKEY_MAX_SP_PARAMS, MBMSEC_ERR_MIKEY_TOO_MANY);
    for (uint8_t i = 0; i < pl->u.sp.n_params; i++) plen += 2u + pl->u.sp.params[i].len;
    ENSURE(plen <= UINT16_MAX, MBMSEC_ERR_LENGTH);
    GUARD(mbmsec_wr_u8(wr, pl->u.sp.policy_no));
    GUARD(mbmsec_wr_u8(wr, pl->u.sp.prot_type));
    GUARD(mbmsec_wr_u16(wr, (uint16_t)plen));
    for (uint8_t i = 0; i < pl->u.sp.n_params; i++) {
      const mbmsec_mikey_sp_param *q = &pl->u.sp.params[i];
      ENSURE(q->val != NULL || q->len == 0, MBMSEC_ERR_ARG);
      GUARD(mbmsec_wr_u8(wr, q->type));
      GUARD(mbmsec_wr_u8(wr, q->len));
      GUARD(mbmsec_wr_bytes(wr, q->val, q->len));
    }
    return MBMSEC_OK;
  }
  case MBMSEC_MIKEY_PT_KEMAC:
    ENSURE(pl->u.kemac.encr != NULL || pl->u.kemac.encr_len == 0, MBMSEC_ERR_ARG);
    GUARD(mbmsec_wr_u8(wr, pl->u.kemac.encr_alg));
    GUARD(mbmsec_wr_u16(wr, pl->u.kemac.encr_len));
    GUARD(mbmsec_wr_bytes(wr, pl->u.kemac.encr, pl->u.kemac.encr_len));
    return wr_mac(wr, pl->u.kemac.mac_alg, pl->u.kemac.mac);
  case MBMSEC_MIKEY_PT_V:
    return wr_mac(wr, pl->u.v.auth_alg, pl->u.v.mac);
  case MBMSEC_MIKEY_PT_ERR:
    GUARD(mbmsec_wr_u8(wr, pl->u.err.err_no));
    return mbmsec_wr_u16(wr, pl->u.err.reserved);
  case MBMSEC_MIKEY_PT_EXT:
    GUARD(mbmsec_wr_u8(wr, pl->u.ext.ext_type));
    if (pl->u.ext.ext_type == MBMSEC_MIKEY_EXT_KEYID) {
      /* Written from the decoded Key IDs; ext.len/data are ignored. */
      size_t klen = 0;
      ENSURE(pl->u.ext.n_keyids <= MBMSEC_MIKEY_MAX_KEYIDS, MBMSEC_ERR_MIKEY_TOO_MANY);
      ENSURE(pl->u.ext.n_keyids > 0, MBMSEC_ERR_MIKEY_EMPTY);
      for (uint8_t i = 0; i < pl->u.ext.n_keyids; i++) klen += 2u + pl->u.ext.keyids[i].len;
      GUARD(mbmsec_wr_u16(wr, (uint16_t)klen)); /* at most 8 * 257 */
      for (uint8_t i = 0; i < pl->u.ext.n_keyids; i++) {
        const mbmsec_mikey_keyid *k = &pl->u.ext.keyids[i];
        ENSURE(k->data != NULL || k->len == 0, MBMSEC_ERR_ARG);
        GUARD(mbmsec_wr_u8(wr, k->type));
        GUARD(mbmsec_wr_u8(wr, k->len));
        GUARD(mbmsec_wr_bytes(wr, k->data, k->len));
      }
      return MBMSEC_OK;
    }
    ENSURE(pl->u.ext.data != NULL || pl->u.ext.len == 0, MBMSEC_ERR_ARG);
    GUARD(mbmsec_wr_u16(wr, pl->u.ext.len));
    return mbmsec_wr_bytes(wr, pl->u.ext.data, pl->u.ext.len);
  default:
    return MBMSEC_ERR_MIKEY_PAYLOAD_TYPE;
  }
}

mbmsec_err mbmsec_mikey_encode(const mbmsec_mikey_msg *m, uint8_t *out, size_t cap, size_t *out_len)
{
  mbmsec_wr wr;
  mbmsec_mikey_msg check;
  mbmsec_err rc;
  ENSURE(m != NULL && out != NULL && out_len != NULL, MBMSEC_ERR_ARG);
  ENSURE(m->n_payloads <= MBMSEC_MIKEY_MAX_PAYLOADS, MBMSEC_ERR_MIKEY_TOO_MANY);
  *out_len = 0;
  mbmsec_wr_init(&wr, out, cap);
  GUARD(enc_hdr(&wr, &m->hdr, m->n_payloads ? m->p[0].type : MBMSEC_MIKEY_PT_LAST));
  for (uint8_t i = 0; i < m->n_payloads; i++) {
    uint8_t next = (uint8_t)(i + 1 < m->n_payloads ? m->p[i + 1].type : MBMSEC_MIKEY_PT_LAST);
    GUARD(enc_payload(&wr, &m->p[i], next));
  }
  /* Everything the decoder would refuse (types, algorithms, duplicates, order) is refused here
   * with the decoder's code. */
  rc = mbmsec_mikey_decode(out, wr.len, &check);
  if (rc != MBMSEC_OK) {
    memset(out, 0, wr.len);
    return rc;
  }
  *out_len = wr.len;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_mikey_keydata_encode(const mbmsec_mikey_keydata *kd, size_t n, uint8_t *out,
                                       size_t cap, size_t *out_len)
{
  mbmsec_wr wr;
  ENSURE(kd != NULL && out != NULL && out_len != NULL, MBMSEC_ERR_ARG);
  ENSURE(n > 0, MBMSEC_ERR_MIKEY_EMPTY);
  ENSURE(n <= MBMSEC_MIKEY_MAX_KEYDATA, MBMSEC_ERR_MIKEY_TOO_MANY);
  *out_len = 0;
  mbmsec_wr_init(&wr, out, cap);
  for (size_t i = 0; i < n; i++) {
    const mbmsec_mikey_keydata *k = &kd[i];
    ENSURE(k->type <= MBMSEC_MIKEY_KD_TEK_SALT, MBMSEC_ERR_MIKEY_KD_TYPE);
    ENSURE(k->kv <= MBMSEC_MIKEY_KV_INTERVAL, MBMSEC_ERR_MIKEY_KV_TYPE);
    ENSURE(k->key != NULL || k->key_len == 0, MBMSEC_ERR_ARG);
    GUARD(mbmsec_wr_u8(&wr, (uint8_t)(i + 1 < n ? MBMSEC_MIKEY_PT_KEYDATA : MBMSEC_MIKEY_PT_LAST)));
    GUARD(mbmsec_wr_u8(&wr, (uint8_t)((k->type << 4) | k->kv)));
    GUARD(mbmsec_wr_u16(&wr, k->key_len));
    GUARD(mbmsec_wr_bytes(&wr, k->key, k->key_len));
    if (k->type == MBMSEC_MIKEY_KD_TGK_SALT || k->type == MBMSEC_MIKEY_KD_TEK_SALT) {
      ENSURE(k->salt != NULL || k->salt_len == 0, MBMSEC_ERR_ARG);
      GUARD(mbmsec_wr_u16(&wr, k->salt_len));
      GUARD(mbmsec_wr_bytes(&wr, k->salt, k->salt_len));
    }
    if (k->kv == MBMSEC_MIKEY_KV_SPI) {
      ENSURE(k->spi != NULL || k->spi_len == 0, MBMSEC_ERR_ARG);
      GUARD(mbmsec_wr_u8(&wr, k->spi_len));
      GUARD(mbmsec_wr_bytes(&wr, k->spi, k->spi_len));
    } else if (k->kv == MBMSEC_MIKEY_KV_INTERVAL) {
      ENSURE((k->vf != NULL || k->vf_len == 0) && (k->vt != NULL || k->vt_len == 0),
             MBMSEC_ERR_ARG);
      GUARD(mbmsec_wr_u8(&wr, k->vf_len));
      GUARD(mbmsec_wr_bytes(&wr, k->vf, k->vf_len));
      GUARD(mbmsec_wr_u8(&wr, k->vt_len));
      GUARD(mbmsec_wr_bytes(&wr, k->vt, k->vt_len));
    }
  }
  *out_len = wr.len;
  return MBMSEC_OK;
}
