/* The UE's MIKEY receiver over mbmsec_mikey_state (profile P6, P9, P11, O4, O5): include/mbmsec/ue.h
 * section "MIKEY receiver". Every accepted message is on disk (atomic replace, 0600) before
 * the caller learns of it, so that a restart keeps the counters and an old message replayed
 * after the restart is refused; a failed write rolls the state back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/ue.h"
#include "mbmsec/ue_mikey.h"

#define FILE_MAGIC "mbmsec-ue-mikey 1\nstate "
#define FILE_MAX   (sizeof FILE_MAGIC + 2 * MBMSEC_MIKEY_STATE_SER_MAX + 2)

typedef struct {
  bool used;
  uint8_t idi[MBMSEC_MIKEY_ID_MAX], idr[MBMSEC_MIKEY_ID_MAX];
  size_t idi_len, idr_len;
  uint8_t muk[MBMSEC_GBA_KEY_LEN];
} muk_entry;

struct mbmsec_ue_mikey {
  mbmsec_mikey_state *st;
  char *path;
  muk_entry muks[MBMSEC_UE_MIKEY_MUKS];
  uint8_t ser[MBMSEC_MIKEY_STATE_SER_MAX]; /* rollback copy (holds MSKs) */
  char text[FILE_MAX];                     /* file image (holds MSKs) */
};

static mbmsec_err load(mbmsec_ue_mikey *m)
{
  size_t len = 0;
  mbmsec_err rc = mbmsec_ue_file_read(m->path, m->text, sizeof m->text, &len);
  if (rc != MBMSEC_OK) return rc;
  const size_t ml = sizeof FILE_MAGIC - 1;
  rc = MBMSEC_ERR_UE_FILE_FORMAT;
  if (len < ml + 2 || memcmp(m->text, FILE_MAGIC, ml) || m->text[len - 1] != '\n') goto out;
  const size_t hl = len - ml - 1;
  if (hl % 2 || hl / 2 > sizeof m->ser) goto out;
  for (size_t i = 0; i < hl; i++) {
    const char c = m->text[ml + i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) goto out;
  }
  size_t n = 0;
  if (mbmsec_hex_decode(m->text + ml, hl, m->ser, sizeof m->ser, &n) != MBMSEC_OK) goto out;
  rc = mbmsec_mikey_state_deserialize(m->st, m->ser, n);
out:
  mbmsec_cleanse(m->text, sizeof m->text);
  mbmsec_cleanse(m->ser, sizeof m->ser);
  return rc;
}

mbmsec_err mbmsec_ue_mikey_open(const char *state_path, mbmsec_ue_mikey **out)
{
  ENSURE(out && (!state_path || *state_path), MBMSEC_ERR_ARG);
  *out = NULL;
  mbmsec_ue_mikey *m = calloc(1, sizeof *m);
  ENSURE(m != NULL, MBMSEC_ERR_NOMEM);
  mbmsec_err rc = MBMSEC_OK;
  m->st = mbmsec_mikey_state_new();
  if (!m->st || (state_path && !(m->path = strdup(state_path)))) rc = MBMSEC_ERR_NOMEM;
  if (rc == MBMSEC_OK && m->path) {
    FILE *f = fopen(m->path, "rb"); /* absent = a fresh receiver */
    if (f) {
      fclose(f);
      rc = load(m);
    }
  }
  if (rc != MBMSEC_OK) {
    mbmsec_ue_mikey_free(m);
    return rc;
  }
  *out = m;
  return MBMSEC_OK;
}

void mbmsec_ue_mikey_free(mbmsec_ue_mikey *m)
{
  if (!m) return;
  mbmsec_mikey_state_free(m->st);
  free(m->path);
  mbmsec_cleanse(m, sizeof *m);
  free(m);
}

mbmsec_err mbmsec_ue_mikey_set_muk(mbmsec_ue_mikey *m, const char *bmsc_fqdn, const char *btid,
                                   const uint8_t muk[MBMSEC_GBA_KEY_LEN])
{
  ENSURE(m && bmsc_fqdn && btid && muk, MBMSEC_ERR_ARG);
  const size_t il = strlen(bmsc_fqdn), rl = strlen(btid);
  ENSURE(il >= 1 && il <= MBMSEC_MIKEY_ID_MAX && rl >= 1 && rl <= MBMSEC_MIKEY_ID_MAX,
         MBMSEC_ERR_LENGTH);
  muk_entry *free_slot = NULL;
  for (size_t i = 0; i < MBMSEC_UE_MIKEY_MUKS; i++) {
    muk_entry *e = &m->muks[i];
    if (!e->used) {
      if (!free_slot) free_slot = e;
      continue;
    }
    if (e->idi_len == il && e->idr_len == rl && !memcmp(e->idi, bmsc_fqdn, il) &&
        !memcmp(e->idr, btid, rl)) {
      memcpy(e->muk, muk, sizeof e->muk);
      return MBMSEC_OK;
    }
  }
  ENSURE(free_slot != NULL, MBMSEC_ERR_MIKEY_STATE_FULL);
  free_slot->used = true;
  memcpy(free_slot->idi, bmsc_fqdn, il);
  memcpy(free_slot->idr, btid, rl);
  free_slot->idi_len = il;
  free_slot->idr_len = rl;
  memcpy(free_slot->muk, muk, sizeof free_slot->muk);
  return MBMSEC_OK;
}

static mbmsec_err muk_cb(void *ctx, const uint8_t *idi, size_t idi_len, const uint8_t *idr,
                         size_t idr_len, uint8_t *muk, size_t muk_cap, size_t *muk_len)
{
  const mbmsec_ue_mikey *m = ctx;
  for (size_t i = 0; i < MBMSEC_UE_MIKEY_MUKS; i++) {
    const muk_entry *e = &m->muks[i];
    if (e->used && e->idi_len == idi_len && e->idr_len == idr_len &&
        !memcmp(e->idi, idi, idi_len) && !memcmp(e->idr, idr, idr_len)) {
      ENSURE(muk_cap >= sizeof e->muk, MBMSEC_ERR_SPACE);
      memcpy(muk, e->muk, sizeof e->muk);
      *muk_len = sizeof e->muk;
      return MBMSEC_OK;
    }
  }
  return MBMSEC_ERR_MIKEY_UNKNOWN_KEY;
}

mbmsec_mikey_state *mbmsec_ue_mikey_state(mbmsec_ue_mikey *m) { return m ? m->st : NULL; }

mbmsec_err mbmsec_ue_mikey_save(mbmsec_ue_mikey *m)
{
  ENSURE(m, MBMSEC_ERR_ARG);
  if (!m->path) return MBMSEC_OK;
  uint8_t *ser = malloc(MBMSEC_MIKEY_STATE_SER_MAX);
  ENSURE(ser != NULL, MBMSEC_ERR_NOMEM);
  size_t n = 0;
  mbmsec_err rc;
  GUARD_OUT(mbmsec_mikey_state_serialize(m->st, ser, MBMSEC_MIKEY_STATE_SER_MAX, &n));
  const size_t ml = sizeof FILE_MAGIC - 1;
  memcpy(m->text, FILE_MAGIC, ml);
  GUARD_OUT(mbmsec_hex_encode(ser, n, m->text + ml, sizeof m->text - ml - 1));
  m->text[ml + 2 * n] = '\n';
  rc = mbmsec_ue_file_write(m->path, m->text, ml + 2 * n + 1, false);
out:
  mbmsec_cleanse(ser, MBMSEC_MIKEY_STATE_SER_MAX);
  free(ser);
  mbmsec_cleanse(m->text, sizeof m->text);
  return rc;
}

void mbmsec_ue_mikey_result_cleanse(mbmsec_ue_mikey_result *res)
{
  if (res) mbmsec_cleanse(res, sizeof *res);
}

mbmsec_err mbmsec_ue_mikey_feed(mbmsec_ue_mikey *m, const uint8_t *dgram, size_t len,
                                const struct sockaddr *src, socklen_t src_len,
                                const mbmsec_mikey_opts *opts, mbmsec_ue_mikey_result *res)
{
  ENSURE(res, MBMSEC_ERR_ARG);
  memset(res, 0, sizeof *res);
  ENSURE(m && (dgram || len == 0) && (src || src_len == 0), MBMSEC_ERR_ARG);
  ENSURE(src_len <= (socklen_t)sizeof res->reply_to, MBMSEC_ERR_ARG);
  /* The state before, to roll back when the file cannot be written. */
  size_t before = 0;
  mbmsec_err rc = MBMSEC_OK;
  if (m->path) GUARD(mbmsec_mikey_state_serialize(m->st, m->ser, sizeof m->ser, &before));
  rc = mbmsec_mikey_state_accept_msk(m->st, dgram, len, muk_cb, m, opts, &res->msk);
  if (rc == MBMSEC_ERR_MIKEY_LAYOUT) {
    /* Not laid out as an MSK message: an MTK message, or nothing we take. */
    mbmsec_err r2 = mbmsec_mikey_state_accept_mtk(m->st, dgram, len, opts, &res->mtk);
    if (r2 != MBMSEC_ERR_MIKEY_LAYOUT) {
      rc = r2;
      res->kind = MBMSEC_UE_MIKEY_GOT_MTK;
    }
  }
  if (rc == MBMSEC_OK) {
    rc = mbmsec_ue_mikey_save(m);
    if (rc != MBMSEC_OK && m->path) {
      (void)mbmsec_mikey_state_deserialize(m->st, m->ser, before);
    }
  }
  if (rc == MBMSEC_OK && res->kind == MBMSEC_UE_MIKEY_GOT_MSK && res->msk.ver_len && src_len) {
    memcpy(&res->reply_to, src, src_len);
    res->reply_len = src_len;
  }
  if (rc != MBMSEC_OK) mbmsec_ue_mikey_result_cleanse(res);
  mbmsec_cleanse(m->ser, sizeof m->ser);
  return rc;
}
