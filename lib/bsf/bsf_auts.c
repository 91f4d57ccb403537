/* The RFC 3310 3.4 `auts` directive. The shared Digest parser checks the whole Authorization
 * grammar but skips directives it does not know, auts among them; this walks the same list
 * once more (only after that parser accepted it, so the grammar is known to be right) and
 * picks the one value out. */
#include <string.h>
#include <strings.h>

#include "bsf_internal.h"
#include "guard.h"
#include "mbmsec/crypto.h"

static bool is_tchar(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void skip_ows(const char *s, size_t len, size_t *i)
{
  while (*i < len && (s[*i] == ' ' || s[*i] == '\t')) (*i)++;
}

mbmsec_err mbmsec_bsf_auts_find(const char *s, size_t len, int *found, uint8_t out[14])
{
  ENSURE(s && found && out, MBMSEC_ERR_ARG);
  *found = 0;
  size_t i = 0;
  skip_ows(s, len, &i);
  while (i < len && is_tchar(s[i])) /* auth-scheme */
    i++;
  while (i < len) {
    skip_ows(s, len, &i);
    if (i < len && s[i] == ',') {
      i++;
      continue;
    }
    if (i >= len) break;
    size_t n0 = i;
    while (i < len && is_tchar(s[i])) i++;
    size_t nlen = i - n0;
    ENSURE(nlen > 0, MBMSEC_ERR_DIGEST_SYNTAX);
    skip_ows(s, len, &i);
    ENSURE(i < len && s[i] == '=', MBMSEC_ERR_DIGEST_SYNTAX);
    i++;
    skip_ows(s, len, &i);
    bool is_auts = nlen == 4 && strncasecmp(s + n0, "auts", 4) == 0;
    char val[64];
    size_t vlen = 0;
    bool quoted = i < len && s[i] == '"';
    if (quoted) {
      for (i++; i < len && s[i] != '"'; i++) {
        if (s[i] == '\\') ENSURE(++i < len, MBMSEC_ERR_DIGEST_SYNTAX);
        if (is_auts) {
          ENSURE(vlen < sizeof val, MBMSEC_ERR_LENGTH);
          val[vlen++] = s[i];
        }
      }
      ENSURE(i < len, MBMSEC_ERR_DIGEST_SYNTAX);
      i++;
    } else {
      while (i < len && is_tchar(s[i])) i++;
    }
    if (is_auts) {
      ENSURE(quoted, MBMSEC_ERR_DIGEST_QUOTING);
      ENSURE(!*found, MBMSEC_ERR_DIGEST_DUPLICATE);
      size_t olen = 0;
      uint8_t tmp[16];
      GUARD(mbmsec_b64_decode(val, vlen, tmp, sizeof tmp, &olen));
      ENSURE(olen == MBMSEC_AKA_AUTS_LEN, MBMSEC_ERR_LENGTH);
      memcpy(out, tmp, MBMSEC_AKA_AUTS_LEN);
      *found = 1;
    }
    skip_ows(s, len, &i);
    ENSURE(i >= len || s[i] == ',', MBMSEC_ERR_DIGEST_SYNTAX);
  }
  return MBMSEC_OK;
}
