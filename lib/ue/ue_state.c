/* The UE's bootstrap result {IMPI, B-TID, RAND, Ks, lifetime} as a text file, and the NAF
 * keys (Ks_NAF, MRK, MUK) derived from it for an MBMS NAF (BM-SC). */
#include <string.h>

#include "guard.h"
#include "mbmsec/ue.h"
#include "ue_text.h"

#define STATE_MAGIC "mbmsec-ue-state 1"
/* Lifetimes up to year 9999: anything beyond is a corrupt file, not a policy. */
#define LIFETIME_MAX 253402300799ull

mbmsec_err mbmsec_ue_state_format(const mbmsec_ue_bootstrap *b, char *out, size_t cap, size_t *len)
{
  ENSURE(b && out && cap > 0, MBMSEC_ERR_ARG);
  ENSURE(ue_id_ok(b->impi, MBMSEC_UE_ID_MAX) && ue_id_ok(b->btid, MBMSEC_UE_ID_MAX),
         MBMSEC_ERR_ARG);
  ENSURE(b->lifetime >= 0 && (uint64_t)b->lifetime <= LIFETIME_MAX, MBMSEC_ERR_ARG);
  size_t pos = 0;
  mbmsec_err rc;
  GUARD_OUT(
      ue_text_append(out, cap, &pos, "%s\nimpi %s\nbtid %s\n", STATE_MAGIC, b->impi, b->btid));
  GUARD_OUT(ue_text_append_hex(out, cap, &pos, "rand", b->rand, sizeof b->rand));
  GUARD_OUT(ue_text_append_hex(out, cap, &pos, "ks", b->ks, sizeof b->ks));
  GUARD_OUT(ue_text_append(out, cap, &pos, "lifetime %lld\n", (long long)b->lifetime));
  if (len) *len = pos;
out:
  if (rc != MBMSEC_OK) mbmsec_cleanse(out, cap);
  return rc;
}

mbmsec_err mbmsec_ue_state_parse(const char *text, size_t len, mbmsec_ue_bootstrap *b)
{
  ENSURE(text && b, MBMSEC_ERR_ARG);
  memset(b, 0, sizeof *b);
  ue_text t = {text, len, 0};
  const char *v;
  size_t vl;
  uint64_t x;
  mbmsec_err rc = MBMSEC_ERR_UE_FILE_FORMAT;
  if (len <= strlen(STATE_MAGIC) || memcmp(text, STATE_MAGIC "\n", strlen(STATE_MAGIC) + 1))
    goto out;
  t.pos = strlen(STATE_MAGIC) + 1;
  if (!ue_text_field(&t, "impi", &v, &vl) || !ue_text_id(v, vl, b->impi, sizeof b->impi)) goto out;
  if (!ue_text_field(&t, "btid", &v, &vl) || !ue_text_id(v, vl, b->btid, sizeof b->btid)) goto out;
  if (!ue_text_field(&t, "rand", &v, &vl) || !ue_text_hex(v, vl, b->rand, sizeof b->rand)) goto out;
  if (!ue_text_field(&t, "ks", &v, &vl) || !ue_text_hex(v, vl, b->ks, sizeof b->ks)) goto out;
  if (!ue_text_field(&t, "lifetime", &v, &vl) || !ue_text_u64(v, vl, LIFETIME_MAX, &x)) goto out;
  b->lifetime = (int64_t)x;
  if (!ue_text_end(&t)) goto out;
  rc = MBMSEC_OK;
out:
  if (rc != MBMSEC_OK) mbmsec_cleanse(b, sizeof *b);
  return rc;
}

mbmsec_err mbmsec_ue_state_load(const char *path, mbmsec_ue_bootstrap *b)
{
  ENSURE(path && b, MBMSEC_ERR_ARG);
  char buf[MBMSEC_UE_FILE_MAX];
  size_t n = 0;
  mbmsec_err rc = mbmsec_ue_file_read(path, buf, sizeof buf, &n);
  if (rc == MBMSEC_OK) rc = mbmsec_ue_state_parse(buf, n, b);
  mbmsec_cleanse(buf, sizeof buf);
  return rc;
}

mbmsec_err mbmsec_ue_state_save(const char *path, const mbmsec_ue_bootstrap *b)
{
  ENSURE(path && b, MBMSEC_ERR_ARG);
  char buf[2048];
  size_t n = 0;
  mbmsec_err rc;
  GUARD_OUT(mbmsec_ue_state_format(b, buf, sizeof buf, &n));
  GUARD_OUT(mbmsec_ue_file_write(path, buf, n, false));
out:
  mbmsec_cleanse(buf, sizeof buf);
  return rc;
}

void mbmsec_ue_bootstrap_cleanse(mbmsec_ue_bootstrap *b)
{
  if (b) mbmsec_cleanse(b, sizeof *b);
}

mbmsec_err mbmsec_ue_naf_keys(const mbmsec_ue_bootstrap *b, const char *naf_fqdn,
                              mbmsec_mrk_muk_mode mode, int64_t now,
                              uint8_t ks_naf[MBMSEC_GBA_KEY_LEN], uint8_t mrk[MBMSEC_GBA_KEY_LEN],
                              uint8_t muk[MBMSEC_GBA_KEY_LEN])
{
  ENSURE(b && naf_fqdn && *naf_fqdn && ks_naf && mrk && muk, MBMSEC_ERR_ARG);
  mbmsec_err rc;
  /* Ks and everything from it stop being usable at the lifetime (gba.md 1.5). */
  ENSURE_OUT(now < 0 || now < b->lifetime, MBMSEC_ERR_UE_EXPIRED);
  GUARD_OUT(mbmsec_gba_ks_naf_fqdn(b->ks, b->rand, b->impi, strlen(b->impi), naf_fqdn,
                                   strlen(naf_fqdn), NULL, ks_naf));
  GUARD_OUT(mbmsec_gba_mrk_muk(ks_naf, mode, mrk, muk));
out:
  if (rc != MBMSEC_OK) {
    mbmsec_cleanse(ks_naf, MBMSEC_GBA_KEY_LEN);
    mbmsec_cleanse(mrk, MBMSEC_GBA_KEY_LEN);
    mbmsec_cleanse(muk, MBMSEC_GBA_KEY_LEN);
  }
  return rc;
}
