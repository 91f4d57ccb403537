/* The Zn lookup (TS 29.109 BIR -> BIA content) from the bootstrap records and subscribers.
 * Runs on freeDiameter threads, several at once: it only reads the store (thread-safe) and
 * the engine's constant configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsf_internal.h"
#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/gba.h"

static const uint8_t MBMS_UA[MBMSEC_GBA_UA_PROTO_LEN] = {0x01, 0x00, 0x00, 0x00, 0x01};

/* Appends s to the buffer with the five XML specials escaped. */
static void xml_text(char *out, size_t cap, size_t *n, const char *s)
{
  for (; *s; s++) {
    const char *e = *s == '&'    ? "&amp;"
                    : *s == '<'  ? "&lt;"
                    : *s == '>'  ? "&gt;"
                    : *s == '"'  ? "&quot;"
                    : *s == '\'' ? "&apos;"
                                 : NULL;
    size_t l = e ? strlen(e) : 1;
    if (*n + l < cap) {
      memcpy(out + *n, e ? e : s, l);
      *n += l;
    }
  }
  out[*n < cap ? *n : cap - 1] = 0;
}

/* GBA-UserSecSettings on Zn: a ussList (TS 29.109 Annex A), one uss per GSID of the stored
 * list, each naming the IMPI; the GSID goes into the type attribute. */
static mbmsec_err uss_xml(const char *impi, const char *uss, uint8_t **out, size_t *out_len)
{
  const size_t cap = 4096 + 6 * MBMSEC_STORE_IMPI_MAX * 8;
  char *x = malloc(cap);
  ENSURE(x, MBMSEC_ERR_NOMEM);
  size_t n = (size_t)snprintf(x, cap,
                              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                              "<ussList xmlns=\"uri:3gpp-gba\">");
  unsigned id = 1;
  for (const char *p = uss; *p;) {
    size_t l = strcspn(p, ",");
    if (l > 0 && l < 16 && n + 512 + 6 * MBMSEC_STORE_IMPI_MAX < cap) {
      n += (size_t)snprintf(x + n, cap - n,
                            "<uss id=\"%u\" type=\"%.*s\" uiccType=\"GBA\" keyChoice=\"ME\">"
                            "<uids><uid>",
                            id++, (int)l, p);
      xml_text(x, cap, &n, impi);
      n += (size_t)snprintf(x + n, cap - n, "</uid></uids></uss>");
    }
    p += l;
    if (*p == ',') p++;
  }
  n += (size_t)snprintf(x + n, cap - n, "</ussList>");
  *out = (uint8_t *)x;
  *out_len = n;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_bsf_zn_lookup(const uint8_t *btid, size_t btid_len, const uint8_t *naf_id,
                                size_t naf_id_len, const mbmsec_zn_gsid *gsids, size_t n_gsids,
                                void *user, mbmsec_zn_lookup_result *out)
{
  (void)gsids;
  (void)n_gsids;
  ENSURE(user && out && (btid || btid_len == 0) && (naf_id || naf_id_len == 0), MBMSEC_ERR_ARG);
  mbmsec_bsf *bsf = user;
  mbmsec_err rc = MBMSEC_OK;
  mbmsec_store_bootstrap b;
  mbmsec_store_subscriber sub;
  char id[MBMSEC_STORE_BTID_MAX + 1];
  memset(&b, 0, sizeof b);
  memset(&sub, 0, sizeof sub);

  out->result = MBMSEC_ZN_TRANSACTION_ID_INVALID;
  /* The store refuses B-TIDs it could not hold; here they are simply unknown. */
  if (btid_len == 0 || btid_len > MBMSEC_STORE_BTID_MAX || memchr(btid, 0, btid_len)) goto out;
  memcpy(id, btid, btid_len);
  id[btid_len] = 0;
  rc = mbmsec_store_bootstrap_get(bsf->store, id, &b);
  if (rc == MBMSEC_ERR_STORE_NOT_FOUND || rc == MBMSEC_ERR_STORE_BTID) {
    rc = MBMSEC_OK;
    goto out;
  }
  GUARD_OUT(rc);
  if (b.expires <= bsf_now(bsf)) goto out;
  rc = mbmsec_store_subscriber_get(bsf->store, b.impi, &sub);
  if (rc == MBMSEC_ERR_STORE_NOT_FOUND) { /* deleted after bootstrapping */
    rc = MBMSEC_OK;
    goto out;
  }
  GUARD_OUT(rc);
  /* An MBMS NAF (Ua protocol id 01 00 00 00 01, TS 33.220 H.3) needs GSID 4 in the USS. */
  if (naf_id_len >= sizeof MBMS_UA &&
      memcmp(naf_id + naf_id_len - sizeof MBMS_UA, MBMS_UA, sizeof MBMS_UA) == 0 &&
      !mbmsec_store_uss_has_gsid(sub.uss, MBMSEC_BSF_GSID_MBMS)) {
    out->result = MBMSEC_ZN_NOT_AUTHORIZED;
    goto out;
  }
  const size_t impi_len = strlen(b.impi);
  GUARD_OUT(mbmsec_gba_ks_naf(b.ks, b.rand, b.impi, impi_len, naf_id, naf_id_len, out->ks_naf));
  GUARD_OUT(uss_xml(b.impi, sub.uss, &out->uss, &out->uss_len));
  memcpy(out->impi, b.impi, impi_len + 1);
  out->impi_len = impi_len;
  out->key_expiry = b.expires;
  out->bootstrap_time = b.created;
  out->result = MBMSEC_ZN_SUCCESS;
out:
  if (rc != MBMSEC_OK) {
    mbmsec_cleanse(out->ks_naf, sizeof out->ks_naf);
    free(out->uss);
    out->uss = NULL;
    out->uss_len = 0;
  }
  mbmsec_cleanse(&b, sizeof b);
  mbmsec_cleanse(&sub, sizeof sub);
  return rc;
}
