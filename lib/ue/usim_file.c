/* The simulated USIM: K, OPc and the SQN_MS state of mbmsec/aka.h, as a small text file.
 * The file is the card: it must change only when the card accepted a challenge (a new SEQ in
 * one IND slot), which the Ub driver saves before it answers. */
#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/ue.h"
#include "ue_text.h"

#define USIM_MAGIC "mbmsec-usim 1"

static uint64_t load48(const uint8_t b[6])
{
  uint64_t v = 0;
  for (int i = 0; i < 6; i++) v = v << 8 | b[i];
  return v;
}

mbmsec_err mbmsec_ue_usim_new(mbmsec_ue_usim *u, const uint8_t k[16], const uint8_t opc[16],
                              uint32_t ind_len, const uint8_t sqn_ms[6])
{
  ENSURE(u && k && opc && ind_len <= MBMSEC_AKA_IND_LEN_MAX, MBMSEC_ERR_ARG);
  memset(u, 0, sizeof *u);
  memcpy(u->k, k, 16);
  memcpy(u->opc, opc, 16);
  GUARD(mbmsec_aka_usim_init(&u->sqn, ind_len, 0, 0));
  u->sqn.delta = MBMSEC_AKA_DELTA_DEFAULT; /* explicit in the file, not "0 = default" */
  if (sqn_ms) {
    uint64_t seq = load48(sqn_ms) >> ind_len;
    for (uint32_t i = 0; i < (1u << ind_len); i++) u->sqn.seq_ms[i] = seq;
  }
  return MBMSEC_OK;
}

mbmsec_err mbmsec_ue_usim_format(const mbmsec_ue_usim *u, char *out, size_t cap, size_t *len)
{
  ENSURE(u && out && cap > 0 && u->sqn.ind_len <= MBMSEC_AKA_IND_LEN_MAX, MBMSEC_ERR_ARG);
  size_t pos = 0;
  mbmsec_err rc;
  GUARD_OUT(ue_text_append(out, cap, &pos, "%s\n", USIM_MAGIC));
  GUARD_OUT(ue_text_append_hex(out, cap, &pos, "k", u->k, 16));
  GUARD_OUT(ue_text_append_hex(out, cap, &pos, "opc", u->opc, 16));
  GUARD_OUT(ue_text_append(out, cap, &pos, "ind_len %u\ndelta %llu\nlimit %llu\nseq_ms ",
                           (unsigned)u->sqn.ind_len, (unsigned long long)u->sqn.delta,
                           (unsigned long long)u->sqn.limit));
  for (uint32_t i = 0; i < (1u << u->sqn.ind_len); i++)
    GUARD_OUT(ue_text_append(out, cap, &pos, "%s%llu", i ? "," : "",
                             (unsigned long long)u->sqn.seq_ms[i]));
  GUARD_OUT(ue_text_append(out, cap, &pos, "\n"));
  if (len) *len = pos;
out:
  if (rc != MBMSEC_OK) mbmsec_cleanse(out, cap);
  return rc;
}

mbmsec_err mbmsec_ue_usim_parse(const char *text, size_t len, mbmsec_ue_usim *u)
{
  ENSURE(text && u, MBMSEC_ERR_ARG);
  memset(u, 0, sizeof *u);
  ue_text t = {text, len, 0};
  const char *v;
  size_t vl;
  uint64_t ind_len, x;
  mbmsec_err rc = MBMSEC_ERR_UE_FILE_FORMAT;
  ENSURE_OUT(len > strlen(USIM_MAGIC) && !memcmp(text, USIM_MAGIC "\n", strlen(USIM_MAGIC) + 1),
             MBMSEC_ERR_UE_FILE_FORMAT);
  t.pos = strlen(USIM_MAGIC) + 1;
  if (!ue_text_field(&t, "k", &v, &vl) || !ue_text_hex(v, vl, u->k, 16)) goto out;
  if (!ue_text_field(&t, "opc", &v, &vl) || !ue_text_hex(v, vl, u->opc, 16)) goto out;
  if (!ue_text_field(&t, "ind_len", &v, &vl) ||
      !ue_text_u64(v, vl, MBMSEC_AKA_IND_LEN_MAX, &ind_len))
    goto out;
  u->sqn.ind_len = (uint32_t)ind_len;
  /* delta 0 would silently mean "default" in aka.c: the file always spells it out. */
  if (!ue_text_field(&t, "delta", &v, &vl) || !ue_text_u64(v, vl, MBMSEC_AKA_SQN_MAX, &x) || x == 0)
    goto out;
  u->sqn.delta = x;
  if (!ue_text_field(&t, "limit", &v, &vl) || !ue_text_u64(v, vl, MBMSEC_AKA_SQN_MAX, &x)) goto out;
  u->sqn.limit = x;
  if (!ue_text_field(&t, "seq_ms", &v, &vl)) goto out;
  const uint64_t seq_max = MBMSEC_AKA_SQN_MAX >> ind_len;
  const char *p = v, *end = v + vl;
  for (uint32_t i = 0; i < (1u << ind_len); i++) {
    const char *comma = memchr(p, ',', (size_t)(end - p));
    const char *stop = comma ? comma : end;
    if (!ue_text_u64(p, (size_t)(stop - p), seq_max, &u->sqn.seq_ms[i])) goto out;
    bool last = i + 1 == (1u << ind_len);
    if (last != (comma == NULL)) /* exactly 2^ind_len values */
      goto out;
    p = comma ? comma + 1 : end;
  }
  if (!ue_text_end(&t)) goto out;
  rc = MBMSEC_OK;
out:
  if (rc != MBMSEC_OK) mbmsec_cleanse(u, sizeof *u);
  return rc;
}

mbmsec_err mbmsec_ue_usim_load(const char *path, mbmsec_ue_usim *u)
{
  ENSURE(path && u, MBMSEC_ERR_ARG);
  char buf[MBMSEC_UE_FILE_MAX];
  size_t n = 0;
  mbmsec_err rc = mbmsec_ue_file_read(path, buf, sizeof buf, &n);
  if (rc == MBMSEC_OK) rc = mbmsec_ue_usim_parse(buf, n, u);
  mbmsec_cleanse(buf, sizeof buf);
  return rc;
}

mbmsec_err mbmsec_ue_usim_save(const char *path, const mbmsec_ue_usim *u, bool exclusive)
{
  ENSURE(path && u, MBMSEC_ERR_ARG);
  char buf[MBMSEC_UE_FILE_MAX];
  size_t n = 0;
  mbmsec_err rc;
  GUARD_OUT(mbmsec_ue_usim_format(u, buf, sizeof buf, &n));
  GUARD_OUT(mbmsec_ue_file_write(path, buf, n, exclusive));
out:
  mbmsec_cleanse(buf, sizeof buf);
  return rc;
}

void mbmsec_ue_usim_cleanse(mbmsec_ue_usim *u)
{
  if (u) mbmsec_cleanse(u, sizeof *u);
}
