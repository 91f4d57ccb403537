/* The UE agent's state image: what must survive a restart (MIKEY counters and MSKs through
 * mbmsec_mikey_state's own serialisation, the MTKs taken, per service registered / left and
 * why). Binary, versioned, every length checked before use, SHA-256 check value over the rest;
 * reading works on copies and commits only when the whole image is good.
 *
 *   "UEAG" | version (1) | u32 len | MIKEY state (len)
 *   | u8 n | n x (u8 id_len | id | u8 flags (1 registered, 2 left) | u8 reason_len | reason)
 *   | u8 m | m x (KDID 3 | MSK ID 4 | u16 VF | u16 VT | u64 stored_ms | u64 last_used_ms
 *                 | u8 k | k x (u16 MTK ID | MTK 16 | salt 14))
 *   | SHA-256 of everything before (32)
 */
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "guard.h"
#include "mbmsec/buf.h"
#include "mbmsec/crypto.h"
#include "mbmsec/keyid.h"

#define IMG_MAGIC       "UEAG"
#define IMG_VERSION     1
#define IMG_CHECK_LEN   32
#define FLAG_REGISTERED 1
#define FLAG_LEFT       2

static mbmsec_err wr_u64(mbmsec_wr *w, int64_t v)
{
  GUARD(mbmsec_wr_u32(w, (uint32_t)((uint64_t)v >> 32)));
  return mbmsec_wr_u32(w, (uint32_t)(uint64_t)v);
}

static mbmsec_err rd_u64(mbmsec_rd *r, int64_t *v)
{
  uint32_t hi = 0, lo = 0;
  GUARD(mbmsec_rd_u32(r, &hi));
  GUARD(mbmsec_rd_u32(r, &lo));
  *v = (int64_t)((uint64_t)hi << 32 | lo);
  return MBMSEC_OK;
}

static mbmsec_err wr_str(mbmsec_wr *w, const char *s)
{
  const size_t n = strlen(s);
  ENSURE(n <= 255, MBMSEC_ERR_SPACE);
  GUARD(mbmsec_wr_u8(w, (uint8_t)n));
  return mbmsec_wr_bytes(w, s, n);
}

static mbmsec_err write_service(mbmsec_wr *w, const char *id, bool registered, bool left,
                                const char *reason)
{
  GUARD(wr_str(w, id));
  GUARD(mbmsec_wr_u8(w, (uint8_t)((registered ? FLAG_REGISTERED : 0) | (left ? FLAG_LEFT : 0))));
  return wr_str(w, reason);
}

mbmsec_err agent_image_write(const mbmsec_ue_agent *a, uint8_t *out, size_t cap, size_t *len)
{
  mbmsec_err rc = MBMSEC_OK;
  uint8_t *ser = malloc(MBMSEC_MIKEY_STATE_SER_MAX);
  ENSURE(ser != NULL, MBMSEC_ERR_NOMEM);
  size_t sl = 0;
  mbmsec_wr w;
  mbmsec_wr_init(&w, out, cap);
  GUARD_OUT(mbmsec_mikey_state_serialize(a->st, ser, MBMSEC_MIKEY_STATE_SER_MAX, &sl));
  GUARD_OUT(mbmsec_wr_bytes(&w, IMG_MAGIC, 4));
  GUARD_OUT(mbmsec_wr_u8(&w, IMG_VERSION));
  GUARD_OUT(mbmsec_wr_u32(&w, (uint32_t)sl));
  GUARD_OUT(mbmsec_wr_bytes(&w, ser, sl));
  /* Services: the live ones, then restored records no announcement has claimed (yet). */
  size_t n = a->n_svc;
  for (size_t i = 0; i < MBMSEC_UE_AGENT_SERVICES; i++) {
    bool live = false;
    for (size_t j = 0; j < a->n_svc; j++) live |= !strcmp(a->svc[j].id, a->saved[i].id);
    n += a->saved[i].used && !live;
  }
  ENSURE_OUT(n <= 255, MBMSEC_ERR_SPACE);
  GUARD_OUT(mbmsec_wr_u8(&w, (uint8_t)n));
  for (size_t i = 0; i < a->n_svc; i++)
    GUARD_OUT(
        write_service(&w, a->svc[i].id, a->svc[i].registered, a->svc[i].left, a->svc[i].reason));
  for (size_t i = 0; i < MBMSEC_UE_AGENT_SERVICES; i++) {
    const agent_saved_service *sv = &a->saved[i];
    bool live = false;
    for (size_t j = 0; j < a->n_svc; j++) live |= !strcmp(a->svc[j].id, sv->id);
    if (sv->used && !live)
      GUARD_OUT(write_service(&w, sv->id, sv->registered, sv->left, sv->reason));
  }
  size_t m = 0;
  for (size_t i = 0; i < AGENT_MSKS; i++) m += a->msk[i].used;
  GUARD_OUT(mbmsec_wr_u8(&w, (uint8_t)m));
  for (size_t i = 0; i < AGENT_MSKS; i++) {
    const agent_msk *k = &a->msk[i];
    if (!k->used) continue;
    GUARD_OUT(mbmsec_wr_bytes(&w, k->kdid, MBMSEC_KDID_LEN));
    GUARD_OUT(mbmsec_wr_bytes(&w, k->msk_id, MBMSEC_MSK_ID_LEN));
    GUARD_OUT(mbmsec_wr_u16(&w, k->vf));
    GUARD_OUT(mbmsec_wr_u16(&w, k->vt));
    GUARD_OUT(wr_u64(&w, k->stored_ms));
    GUARD_OUT(wr_u64(&w, k->last_used_ms));
    uint8_t nk = 0;
    for (size_t j = 0; j < MBMSEC_UE_AGENT_MTKS_PER_MSK; j++) nk += k->mtk[j].used;
    GUARD_OUT(mbmsec_wr_u8(&w, nk));
    for (size_t j = 0; j < MBMSEC_UE_AGENT_MTKS_PER_MSK; j++) {
      if (!k->mtk[j].used) continue;
      GUARD_OUT(mbmsec_wr_u16(&w, k->mtk[j].mtk_id));
      GUARD_OUT(mbmsec_wr_bytes(&w, k->mtk[j].mtk, MBMSEC_MBMS_MTK_LEN));
      GUARD_OUT(mbmsec_wr_bytes(&w, k->mtk[j].salt, MBMSEC_MBMS_MTK_SALT_LEN));
    }
  }
  ENSURE_OUT(cap - w.len >= IMG_CHECK_LEN, MBMSEC_ERR_SPACE);
  {
    const mbmsec_iov part = {out, w.len};
    GUARD_OUT(mbmsec_hash(MBMSEC_MD_SHA256, &part, 1, out + w.len));
  }
  *len = w.len + IMG_CHECK_LEN;
out:
  mbmsec_cleanse(ser, MBMSEC_MIKEY_STATE_SER_MAX);
  free(ser);
  if (rc != MBMSEC_OK) mbmsec_cleanse(out, cap);
  return rc;
}

static mbmsec_err rd_str(mbmsec_rd *r, char *out, size_t cap, bool need_nonempty)
{
  uint8_t n = 0;
  GUARD(mbmsec_rd_u8(r, &n));
  ENSURE((size_t)n < cap && (n || !need_nonempty), MBMSEC_ERR_UE_AGENT_IMAGE);
  GUARD(mbmsec_rd_copy(r, out, n));
  out[n] = 0;
  for (size_t i = 0; i < n; i++)
    ENSURE((unsigned char)out[i] >= 0x20 && (unsigned char)out[i] < 0x7f,
           MBMSEC_ERR_UE_AGENT_IMAGE);
  return MBMSEC_OK;
}

typedef struct {
  agent_saved_service saved[MBMSEC_UE_AGENT_SERVICES];
  agent_msk msk[AGENT_MSKS];
} image_parts;

static mbmsec_err read_parts(mbmsec_rd *r, image_parts *p)
{
  uint8_t n = 0;
  GUARD(mbmsec_rd_u8(r, &n));
  ENSURE(n <= MBMSEC_UE_AGENT_SERVICES, MBMSEC_ERR_UE_AGENT_IMAGE);
  for (size_t i = 0; i < n; i++) {
    agent_saved_service *sv = &p->saved[i];
    uint8_t flags = 0;
    GUARD(rd_str(r, sv->id, sizeof sv->id, true));
    GUARD(mbmsec_rd_u8(r, &flags));
    ENSURE(flags <= (FLAG_REGISTERED | FLAG_LEFT), MBMSEC_ERR_UE_AGENT_IMAGE);
    GUARD(rd_str(r, sv->reason, sizeof sv->reason, false));
    for (size_t j = 0; j < i; j++)
      ENSURE(strcmp(p->saved[j].id, sv->id), MBMSEC_ERR_UE_AGENT_IMAGE);
    sv->used = true;
    sv->registered = flags & FLAG_REGISTERED;
    sv->left = flags & FLAG_LEFT;
  }
  GUARD(mbmsec_rd_u8(r, &n));
  ENSURE(n <= AGENT_MSKS, MBMSEC_ERR_UE_AGENT_IMAGE);
  for (size_t i = 0; i < n; i++) {
    agent_msk *k = &p->msk[i];
    GUARD(mbmsec_rd_copy(r, k->kdid, MBMSEC_KDID_LEN));
    GUARD(mbmsec_rd_copy(r, k->msk_id, MBMSEC_MSK_ID_LEN));
    GUARD(mbmsec_rd_u16(r, &k->vf));
    GUARD(mbmsec_rd_u16(r, &k->vt));
    GUARD(rd_u64(r, &k->stored_ms));
    GUARD(rd_u64(r, &k->last_used_ms));
    ENSURE(k->vf <= k->vt && k->stored_ms >= 0 && k->last_used_ms >= 0, MBMSEC_ERR_UE_AGENT_IMAGE);
    ENSURE(mbmsec_msk_id_keynum(k->msk_id) != MBMSEC_MSK_KEYNUM_RESERVED,
           MBMSEC_ERR_UE_AGENT_IMAGE); /* key number 0 reserved */
    for (size_t j = 0; j < i; j++)
      ENSURE(memcmp(p->msk[j].kdid, k->kdid, MBMSEC_KDID_LEN) ||
                 memcmp(p->msk[j].msk_id, k->msk_id, MBMSEC_MSK_ID_LEN),
             MBMSEC_ERR_UE_AGENT_IMAGE);
    uint8_t nk = 0;
    GUARD(mbmsec_rd_u8(r, &nk));
    ENSURE(nk <= MBMSEC_UE_AGENT_MTKS_PER_MSK, MBMSEC_ERR_UE_AGENT_IMAGE);
    for (size_t j = 0; j < nk; j++) {
      GUARD(mbmsec_rd_u16(r, &k->mtk[j].mtk_id));
      GUARD(mbmsec_rd_copy(r, k->mtk[j].mtk, MBMSEC_MBMS_MTK_LEN));
      GUARD(mbmsec_rd_copy(r, k->mtk[j].salt, MBMSEC_MBMS_MTK_SALT_LEN));
      k->mtk[j].used = true;
    }
    k->used = true;
  }
  ENSURE(mbmsec_rd_left(r) == 0, MBMSEC_ERR_UE_AGENT_IMAGE);
  return MBMSEC_OK;
}

mbmsec_err agent_image_read(mbmsec_ue_agent *a, const uint8_t *img, size_t len)
{
  ENSURE(len >= 4 + 1 + 4 + 2 + IMG_CHECK_LEN && len <= MBMSEC_UE_AGENT_IMAGE_MAX,
         MBMSEC_ERR_UE_AGENT_IMAGE);
  uint8_t check[IMG_CHECK_LEN];
  const mbmsec_iov part = {img, len - IMG_CHECK_LEN};
  GUARD(mbmsec_hash(MBMSEC_MD_SHA256, &part, 1, check));
  ENSURE(mbmsec_ct_equal(check, img + len - IMG_CHECK_LEN, IMG_CHECK_LEN),
         MBMSEC_ERR_UE_AGENT_IMAGE);
  mbmsec_rd r;
  mbmsec_rd_init(&r, img, len - IMG_CHECK_LEN);
  const uint8_t *magic = NULL;
  uint8_t ver = 0;
  uint32_t sl = 0;
  const uint8_t *ser = NULL;
  ENSURE(mbmsec_rd_ptr(&r, 4, &magic) == MBMSEC_OK && !memcmp(magic, IMG_MAGIC, 4),
         MBMSEC_ERR_UE_AGENT_IMAGE);
  ENSURE(mbmsec_rd_u8(&r, &ver) == MBMSEC_OK && ver == IMG_VERSION, MBMSEC_ERR_UE_AGENT_IMAGE);
  ENSURE(mbmsec_rd_u32(&r, &sl) == MBMSEC_OK && mbmsec_rd_ptr(&r, sl, &ser) == MBMSEC_OK,
         MBMSEC_ERR_UE_AGENT_IMAGE);
  image_parts *p = calloc(1, sizeof *p);
  mbmsec_mikey_state *st = mbmsec_mikey_state_new();
  mbmsec_err rc = MBMSEC_ERR_NOMEM;
  if (!p || !st) goto out;
  rc = read_parts(&r, p);
  if (rc == MBMSEC_ERR_TRUNCATED) rc = MBMSEC_ERR_UE_AGENT_IMAGE;
  if (rc == MBMSEC_OK) rc = mbmsec_mikey_state_deserialize(st, ser, sl);
  if (rc != MBMSEC_OK) goto out;
  /* Commit. */
  mbmsec_mikey_state *old = a->st;
  a->st = st;
  st = old;
  memcpy(a->saved, p->saved, sizeof a->saved);
  for (size_t i = 0; i < AGENT_MSKS; i++) mbmsec_cleanse(&a->msk[i], sizeof a->msk[i]);
  memcpy(a->msk, p->msk, sizeof a->msk);
out:
  mbmsec_mikey_state_free(st);
  if (p) mbmsec_cleanse(p, sizeof *p);
  free(p);
  return rc;
}
