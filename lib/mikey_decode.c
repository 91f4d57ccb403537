/* MIKEY decoder (RFC 3830 section 6, RFC 4563). Reads only through mbmsec_rd; never
 * allocates; the decoded structs point into the input. */
#include "mbmsec/mikey.h"

#include <string.h>

#include "guard.h"
#include "mbmsec/buf.h"

static mbmsec_err dec_hdr(mbmsec_rd *rd, mbmsec_mikey_hdr *h, uint8_t *next)
{
  uint8_t vprf;
  GUARD(mbmsec_rd_u8(rd, &h->version));
  ENSURE(h->version == MBMSEC_MIKEY_VERSION, MBMSEC_ERR_MIKEY_VERSION);
  GUARD(mbmsec_rd_u8(rd, &h->data_type));
  ENSURE(h->data_type <= MBMSEC_MIKEY_DT_ERROR, MBMSEC_ERR_MIKEY_DATA_TYPE);
  GUARD(mbmsec_rd_u8(rd, next));
  GUARD(mbmsec_rd_u8(rd, &vprf));
  h->v_flag = (uint8_t)(vprf >> 7);
  h->prf = (uint8_t)(vprf & 0x7f);
  ENSURE(h->prf == MBMSEC_MIKEY_PRF_MIKEY1, MBMSEC_ERR_MIKEY_PRF_FUNC);
  GUARD(mbmsec_rd_u32(rd, &h->csb_id));
  GUARD(mbmsec_rd_u8(rd, &h->n_cs));
  GUARD(mbmsec_rd_u8(rd, &h->map_type));
  if (h->map_type == MBMSEC_MIKEY_MAP_SRTP) {
    ENSURE(h->n_cs <= MBMSEC_MIKEY_MAX_CS, MBMSEC_ERR_MIKEY_TOO_MANY);
    for (uint8_t i = 0; i < h->n_cs; i++) {
      GUARD(mbmsec_rd_u8(rd, &h->cs[i].policy_no));
      GUARD(mbmsec_rd_u32(rd, &h->cs[i].ssrc));
      GUARD(mbmsec_rd_u32(rd, &h->cs[i].roc));
    }
  } else {
    ENSURE(h->map_type == MBMSEC_MIKEY_MAP_EMPTY, MBMSEC_ERR_MIKEY_MAP_TYPE);
  }
  return MBMSEC_OK;
}

static mbmsec_err dec_keyids(const uint8_t *p, size_t len, mbmsec_mikey_payload *pl)
{
  mbmsec_rd rd;
  mbmsec_rd_init(&rd, p, len);
  ENSURE(len > 0, MBMSEC_ERR_MIKEY_EMPTY);
  pl->u.ext.n_keyids = 0;
  while (mbmsec_rd_left(&rd) > 0) {
    mbmsec_mikey_keyid *k;
    ENSURE(pl->u.ext.n_keyids < MBMSEC_MIKEY_MAX_KEYIDS, MBMSEC_ERR_MIKEY_TOO_MANY);
    k = &pl->u.ext.keyids[pl->u.ext.n_keyids];
    GUARD(mbmsec_rd_u8(&rd, &k->type));
    ENSURE(k->type <= MBMSEC_MIKEY_KEYID_MTK || k->type >= 241, MBMSEC_ERR_MIKEY_KEYID_TYPE);
    GUARD(mbmsec_rd_u8(&rd, &k->len));
    GUARD(mbmsec_rd_ptr(&rd, k->len, &k->data));
    pl->u.ext.n_keyids++;
  }
  return MBMSEC_OK;
}

static mbmsec_err dec_sp(mbmsec_rd *rd, mbmsec_mikey_payload *pl)
{
  uint16_t plen;
  const uint8_t *pp;
  mbmsec_rd sub;
  GUARD(mbmsec_rd_u8(rd, &pl->u.sp.policy_no));
  GUARD(mbmsec_rd_u8(rd, &pl->u.sp.prot_type));
  ENSURE(pl->u.sp.prot_type == MBMSEC_MIKEY_SP_PROT_SRTP, MBMSEC_ERR_MIKEY_SP_PROT);
  GUARD(mbmsec_rd_u16(rd, &plen));
  GUARD(mbmsec_rd_ptr(rd, plen, &pp));
  mbmsec_rd_init(&sub, pp, plen);
  pl->u.sp.n_params = 0;
  while (mbmsec_rd_left(&sub) > 0) {
    mbmsec_mikey_sp_param *q;
    ENSURE(pl->u.sp.n_params < MBMSEC_MIKEY_MAX_SP_PARAMS, MBMSEC_ERR_MIKEY_TOO_MANY);
    q = &pl->u.sp.params[pl->u.sp.n_params];
    GUARD(mbmsec_rd_u8(&sub, &q->type));
    GUARD(mbmsec_rd_u8(&sub, &q->len));
    GUARD(mbmsec_rd_ptr(&sub, q->len, &q->val));
    pl->u.sp.n_params++;
  }
  return MBMSEC_OK;
}

/* Reads the body of one payload of type `type` (its next-payload octet already read). */
static mbmsec_err dec_payload(mbmsec_rd *rd, uint8_t type, mbmsec_mikey_payload *pl)
{
  memset(pl, 0, sizeof *pl);
  pl->type = type;
  switch (type) {
  case MBMSEC_MIKEY_PT_T: {
    GUARD(mbmsec_rd_u8(rd, &pl->u.t.ts_type));
    if (pl->u.t.ts_type == MBMSEC_MIKEY_TS_COUNTER) {
      uint32_t c;
      GUARD(mbmsec_rd_u32(rd, &c));
      pl->u.t.value = c;
    } else {
      uint32_t hi, lo;
      ENSURE(pl->u.t.ts_type == MBMSEC_MIKEY_TS_NTP_UTC || pl->u.t.ts_type == MBMSEC_MIKEY_TS_NTP,
             MBMSEC_ERR_MIKEY_TS_TYPE);
      GUARD(mbmsec_rd_u32(rd, &hi));
      GUARD(mbmsec_rd_u32(rd, &lo));
      pl->u.t.value = ((uint64_t)hi << 32) | lo;
    }
    return MBMSEC_OK;
  }
  case MBMSEC_MIKEY_PT_RAND:
    GUARD(mbmsec_rd_u8(rd, &pl->u.rand.len));
    return mbmsec_rd_ptr(rd, pl->u.rand.len, &pl->u.rand.data);
  case MBMSEC_MIKEY_PT_ID:
    GUARD(mbmsec_rd_u8(rd, &pl->u.id.id_type));
    ENSURE(pl->u.id.id_type <= MBMSEC_MIKEY_ID_URI, MBMSEC_ERR_MIKEY_ID_TYPE);
    GUARD(mbmsec_rd_u16(rd, &pl->u.id.len));
    return mbmsec_rd_ptr(rd, pl->u.id.len, &pl->u.id.data);
  case MBMSEC_MIKEY_PT_SP:
    return dec_sp(rd, pl);
  case MBMSEC_MIKEY_PT_KEMAC:
    GUARD(mbmsec_rd_u8(rd, &pl->u.kemac.encr_alg));
    ENSURE(pl->u.kemac.encr_alg <= MBMSEC_MIKEY_ENCR_AES_KW_128, MBMSEC_ERR_MIKEY_ENCR_ALG);
    GUARD(mbmsec_rd_u16(rd, &pl->u.kemac.encr_len));
    GUARD(mbmsec_rd_ptr(rd, pl->u.kemac.encr_len, &pl->u.kemac.encr));
    GUARD(mbmsec_rd_u8(rd, &pl->u.kemac.mac_alg));
    if (pl->u.kemac.mac_alg == MBMSEC_MIKEY_MAC_HMAC_SHA1_160)
      return mbmsec_rd_ptr(rd, MBMSEC_MIKEY_MAC_LEN, &pl->u.kemac.mac);
    ENSURE(pl->u.kemac.mac_alg == MBMSEC_MIKEY_MAC_NULL, MBMSEC_ERR_MIKEY_MAC_ALG);
    return MBMSEC_OK;
  case MBMSEC_MIKEY_PT_V:
    GUARD(mbmsec_rd_u8(rd, &pl->u.v.auth_alg));
    if (pl->u.v.auth_alg == MBMSEC_MIKEY_MAC_HMAC_SHA1_160)
      return mbmsec_rd_ptr(rd, MBMSEC_MIKEY_MAC_LEN, &pl->u.v.mac);
    ENSURE(pl->u.v.auth_alg == MBMSEC_MIKEY_MAC_NULL, MBMSEC_ERR_MIKEY_MAC_ALG);
    return MBMSEC_OK;
  case MBMSEC_MIKEY_PT_ERR:
    GUARD(mbmsec_rd_u8(rd, &pl->u.err.err_no));
    ENSURE(pl->u.err.err_no <= MBMSEC_MIKEY_ERR_NO_MAX || pl->u.err.err_no >= 241,
           MBMSEC_ERR_MIKEY_ERR_NO);
    return mbmsec_rd_u16(rd, &pl->u.err.reserved);
  case MBMSEC_MIKEY_PT_EXT:
    GUARD(mbmsec_rd_u8(rd, &pl->u.ext.ext_type));
    GUARD(mbmsec_rd_u16(rd, &pl->u.ext.len));
    GUARD(mbmsec_rd_ptr(rd, pl->u.ext.len, &pl->u.ext.data));
    if (pl->u.ext.ext_type == MBMSEC_MIKEY_EXT_KEYID)
      return dec_keyids(pl->u.ext.data, pl->u.ext.len, pl);
    return MBMSEC_OK;
  default:
    return MBMSEC_ERR_MIKEY_PAYLOAD_TYPE;
  }
}

mbmsec_err mbmsec_mikey_decode(const uint8_t *buf, size_t len, mbmsec_mikey_msg *m)
{
  mbmsec_rd rd;
  uint8_t next;
  unsigned seen_t = 0, seen_rand = 0, seen_kemac = 0, seen_v = 0, seen_keyid = 0, n_id = 0;
  ENSURE(m != NULL && (buf != NULL || len == 0), MBMSEC_ERR_ARG);
  memset(m, 0, sizeof *m);
  mbmsec_rd_init(&rd, buf, len);
  GUARD(dec_hdr(&rd, &m->hdr, &next));
  while (next != MBMSEC_MIKEY_PT_LAST) {
    uint8_t type = next;
    mbmsec_mikey_payload *pl;
    ENSURE(m->n_payloads < MBMSEC_MIKEY_MAX_PAYLOADS, MBMSEC_ERR_MIKEY_TOO_MANY);
    switch (type) {
    case MBMSEC_MIKEY_PT_T:
      ENSURE(seen_t++ == 0, MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
      break;
    case MBMSEC_MIKEY_PT_RAND:
      ENSURE(seen_rand++ == 0, MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
      break;
    case MBMSEC_MIKEY_PT_KEMAC:
      ENSURE(seen_kemac++ == 0, MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
      break;
    case MBMSEC_MIKEY_PT_V:
      ENSURE(seen_v++ == 0, MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
      break;
    case MBMSEC_MIKEY_PT_ID:
      ENSURE(n_id++ < 2, MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
      break; /* IDi, IDr */
    case MBMSEC_MIKEY_PT_SP:
      ENSURE(m->hdr.map_type != MBMSEC_MIKEY_MAP_EMPTY, MBMSEC_ERR_MIKEY_SP_EMPTY_MAP);
      break;
    case MBMSEC_MIKEY_PT_ERR:
    case MBMSEC_MIKEY_PT_EXT:
      break;
    default:
      return MBMSEC_ERR_MIKEY_PAYLOAD_TYPE;
    }
    pl = &m->p[m->n_payloads];
    GUARD(mbmsec_rd_u8(&rd, &next));
    if (type == MBMSEC_MIKEY_PT_KEMAC || type == MBMSEC_MIKEY_PT_V)
      ENSURE(next == MBMSEC_MIKEY_PT_LAST, MBMSEC_ERR_MIKEY_NOT_LAST);
    GUARD(dec_payload(&rd, type, pl));
    if (type == MBMSEC_MIKEY_PT_EXT && pl->u.ext.ext_type == MBMSEC_MIKEY_EXT_KEYID)
      ENSURE(seen_keyid++ == 0, MBMSEC_ERR_MIKEY_DUP_PAYLOAD);
    m->n_payloads++;
  }
  ENSURE(mbmsec_rd_left(&rd) == 0, MBMSEC_ERR_MIKEY_TRAILING);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_mikey_keydata_decode(const uint8_t *buf, size_t len, mbmsec_mikey_keydata *kd,
                                       size_t max, size_t *n)
{
  mbmsec_rd rd;
  uint8_t next = MBMSEC_MIKEY_PT_KEYDATA;
  size_t i = 0;
  ENSURE(kd != NULL && n != NULL && (buf != NULL || len == 0), MBMSEC_ERR_ARG);
  *n = 0;
  ENSURE(len > 0, MBMSEC_ERR_MIKEY_EMPTY);
  mbmsec_rd_init(&rd, buf, len);
  while (next == MBMSEC_MIKEY_PT_KEYDATA) {
    mbmsec_mikey_keydata *k;
    uint8_t tkv;
    ENSURE(i < max, MBMSEC_ERR_MIKEY_TOO_MANY);
    k = &kd[i];
    memset(k, 0, sizeof *k);
    GUARD(mbmsec_rd_u8(&rd, &next));
    ENSURE(next == MBMSEC_MIKEY_PT_KEYDATA || next == MBMSEC_MIKEY_PT_LAST,
           MBMSEC_ERR_MIKEY_KD_NEXT);
    GUARD(mbmsec_rd_u8(&rd, &tkv));
    k->type = (uint8_t)(tkv >> 4);
    k->kv = (uint8_t)(tkv & 0x0f);
    ENSURE(k->type <= MBMSEC_MIKEY_KD_TEK_SALT, MBMSEC_ERR_MIKEY_KD_TYPE);
    ENSURE(k->kv <= MBMSEC_MIKEY_KV_INTERVAL, MBMSEC_ERR_MIKEY_KV_TYPE);
    GUARD(mbmsec_rd_u16(&rd, &k->key_len));
    GUARD(mbmsec_rd_ptr(&rd, k->key_len, &k->key));
    if (k->type == MBMSEC_MIKEY_KD_TGK_SALT || k->type == MBMSEC_MIKEY_KD_TEK_SALT) {
      GUARD(mbmsec_rd_u16(&rd, &k->salt_len));
      GUARD(mbmsec_rd_ptr(&rd, k->salt_len, &k->salt));
    }
    if (k->kv == MBMSEC_MIKEY_KV_SPI) {
      GUARD(mbmsec_rd_u8(&rd, &k->spi_len));
      GUARD(mbmsec_rd_ptr(&rd, k->spi_len, &k->spi));
    } else if (k->kv == MBMSEC_MIKEY_KV_INTERVAL) {
      GUARD(mbmsec_rd_u8(&rd, &k->vf_len));
      GUARD(mbmsec_rd_ptr(&rd, k->vf_len, &k->vf));
      GUARD(mbmsec_rd_u8(&rd, &k->vt_len));
      GUARD(mbmsec_rd_ptr(&rd, k->vt_len, &k->vt));
    }
    i++;
  }
  ENSURE(mbmsec_rd_left(&rd) == 0, MBMSEC_ERR_MIKEY_TRAILING);
  *n = i;
  return MBMSEC_OK;
}

int mbmsec_mikey_find(const mbmsec_mikey_msg *m, uint8_t type, int from)
{
  if (m == NULL || from < 0) return -1;
  for (int i = from; i < m->n_payloads; i++)
    if (m->p[i].type == type) return i;
  return -1;
}
