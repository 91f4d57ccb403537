/* mbmsec-ue: option parsing and messages shared by the subcommands. */
#include "ue_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/encode.h"

int ue_usage(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "mbmsec-ue %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'mbmsec-ue %s --help'.\n", cmd);
  return CLI_USAGE;
}

int ue_fail(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "mbmsec-ue %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return CLI_FAIL;
}

int ue_parse(const char *cmd, int argc, char **argv, const ue_opt *opts, size_t n, bool *help)
{
  *help = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      *help = true;
      return CLI_OK;
    }
    if (strncmp(a, "--", 2) != 0)
      return ue_usage(cmd, "unexpected argument '%s'", a);
    const char *eq = strchr(a, '=');
    size_t nl = eq ? (size_t)(eq - a) : strlen(a);
    const ue_opt *o = NULL;
    for (size_t k = 0; k < n && !o; k++)
      if (strlen(opts[k].name) == nl && !strncmp(opts[k].name, a, nl))
        o = &opts[k];
    if (!o)
      return ue_usage(cmd, "unknown option '%.*s'", (int)nl, a);
    if (o->flag) {
      if (eq)
        return ue_usage(cmd, "%s takes no value", o->name);
      *o->flag = true;
      continue;
    }
    const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
    if (!v)
      return ue_usage(cmd, "%s needs a value", o->name);
    if (*o->val)
      return ue_usage(cmd, "%s given twice", o->name);
    *o->val = v;
  }
  return CLI_OK;
}

int ue_hex(const char *cmd, const char *opt, const char *val, uint8_t *out, size_t want)
{
  size_t n = 0;
  if (mbmsec_hex_decode(val, strlen(val), out, want, &n) != MBMSEC_OK || n != want)
    return ue_usage(cmd, "%s: expected %zu hex digits", opt, 2 * want);
  return CLI_OK;
}

int ue_uint(const char *cmd, const char *opt, const char *val, uint64_t max, uint64_t *out)
{
  char *end = NULL;
  errno = 0;
  unsigned long long v = val[0] >= '0' && val[0] <= '9' ? strtoull(val, &end, 10) : 0;
  if (!end || errno || *end || v > max)
    return ue_usage(cmd, "%s: expected a number from 0 to %llu, got '%s'", opt,
                    (unsigned long long)max, val);
  *out = v;
  return CLI_OK;
}

const char *ue_bootstrap_reason(mbmsec_err rc)
{
  switch (rc) {
  case MBMSEC_ERR_AKA_MAC:
    return "network authentication failure: the BSF's AUTN does not verify with this USIM "
           "(wrong K/OPc on one side); the challenge was not answered";
  case MBMSEC_ERR_UE_REFUSED:
    return "BSF refused the authentication (RES not accepted, or 403)";
  case MBMSEC_ERR_UE_RESYNC:
    return "synchronisation failure again after one AUTS round: the BSF did not resynchronise";
  case MBMSEC_ERR_UE_RSPAUTH:
    return "bad rspauth: the 200 OK is not authenticated by the BSF (Authentication-Info "
           "missing or wrong); nothing from it was used";
  case MBMSEC_ERR_UE_HTTP:
    return "HTTP error: BSF unreachable, timeout, or oversize answer";
  case MBMSEC_ERR_UE_HTTP_STATUS:
    return "HTTP error: unexpected status or content type from the BSF";
  case MBMSEC_ERR_UE_NO_CHALLENGE:
    return "the BSF's 401 has no usable Digest AKAv1-MD5 challenge with qop auth-int";
  case MBMSEC_ERR_UE_NONCE:
    return "the BSF's nonce is not base64 of RAND || AUTN";
  case MBMSEC_ERR_UE_XML:
    return "BootstrappingInfo body malformed or refused";
  default:
    return mbmsec_strerror(rc);
  }
}
