/* The agent's configuration reader (conf.h). Small on purpose: key = value only. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "agent_run.h"
#include "mbmsec/profile.h"

static mbmsec_err bad(char *err, size_t cap, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static mbmsec_err bad(char *err, size_t cap, unsigned line, const char *fmt, ...)
{
  if (err && cap) {
    int n = snprintf(err, cap, "line %u: ", line);
    if (n < 0 || (size_t)n >= cap) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return MBMSEC_ERR_UE_AGENT_CONFIG;
}

static bool printable(const char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) return false;
  return true;
}

static bool parse_u32(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
  if (!*v || strlen(v) > 10) return false;
  uint64_t x = 0;
  for (const char *p = v; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    x = x * 10 + (uint64_t)(*p - '0');
  }
  if (x < min || x > max) return false;
  *out = (uint32_t)x;
  return true;
}

typedef enum { K_STR, K_U32, K_BOOL, K_MODE, K_ANN } kind_t;
typedef struct {
  const char *name;
  kind_t kind;
  size_t off, cap;
  uint32_t min, max;
} key_t_;

#define S(n, f)                                                                 \
  {                                                                             \
    n, K_STR, offsetof(ue_agent_conf, f), sizeof(((ue_agent_conf *)0)->f), 0, 0 \
  }
#define U(n, f, lo, hi)                             \
  {                                                 \
    n, K_U32, offsetof(ue_agent_conf, f), 0, lo, hi \
  }
static const key_t_ KEYS[] = {
    S("state_dir", state_dir),
    S("usim", usim),
    S("impi", impi),
    S("bsf", bsf),
    S("bsf_realm", bsf_realm),
    S("bind", bind),
    S("naf_fqdn", naf_fqdn),
    S("output", output),
    {"announcement", K_ANN, 0, 0, 0, 0},
    {"mrk_muk_mode", K_MODE, 0, 0, 0, 0},
    {"log_keys", K_BOOL, offsetof(ue_agent_conf, log_keys), 0, 0, 0},
    U("mikey_port", mikey_port, 1, 65535),
    U("http_timeout_ms", http_timeout_ms, 1, 600000),
    U("retry_first_ms", retry_first_ms, 1, 3600000),
    U("retry_max_ms", retry_max_ms, 1, 86400000),
    U("retry_tries", retry_tries, 1, 1000),
    U("mikey_wait_ms", mikey_wait_ms, 1, 600000),
    U("msk_grace_ms", msk_grace_ms, 1, 86400000),
};
#define N_KEYS (sizeof KEYS / sizeof KEYS[0])

mbmsec_err ue_agent_conf_parse(const char *text, size_t len, ue_agent_conf *c, char *err,
                               size_t err_cap)
{
  if (!c || (!text && len)) return MBMSEC_ERR_ARG;
  memset(c, 0, sizeof *c);
  if (err && err_cap) err[0] = 0;
  if (len > UE_CONF_TEXT_MAX)
    return bad(err, err_cap, 0, "file larger than %d octets", UE_CONF_TEXT_MAX);
  bool seen[N_KEYS] = {0};
  char line[1024];
  unsigned lineno = 0;
  size_t pos = 0;
  while (pos < len) {
    lineno++;
    size_t e = pos;
    while (e < len && text[e] != '\n') e++;
    const size_t ll = e - pos;
    if (ll >= sizeof line) return bad(err, err_cap, lineno, "line too long");
    memcpy(line, text + pos, ll);
    line[ll] = 0;
    pos = e + 1;
    if (memchr(line, 0, ll)) return bad(err, err_cap, lineno, "NUL character");
    char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    if (!*s || *s == '#') continue;
    char *eq = strchr(s, '=');
    if (!eq) return bad(err, err_cap, lineno, "expected key = value");
    char *k = s, *v = eq + 1;
    *eq = 0;
    n = strlen(k);
    while (n && (k[n - 1] == ' ' || k[n - 1] == '\t')) k[--n] = 0;
    while (*v == ' ' || *v == '\t') v++;
    if (!printable(v))
      return bad(err, err_cap, lineno, "value has control or non-ASCII characters");
    size_t ki = N_KEYS;
    for (size_t i = 0; i < N_KEYS; i++)
      if (!strcmp(KEYS[i].name, k)) ki = i;
    if (ki == N_KEYS) return bad(err, err_cap, lineno, "unknown setting '%.64s'", k);
    const key_t_ *key = &KEYS[ki];
    if (key->kind != K_ANN && seen[ki]) return bad(err, err_cap, lineno, "%s given twice", k);
    seen[ki] = true;
    switch (key->kind) {
    case K_STR:
      if (!*v) return bad(err, err_cap, lineno, "%s is empty", k);
      if (strlen(v) >= key->cap) return bad(err, err_cap, lineno, "%s too long", k);
      memcpy((char *)c + key->off, v, strlen(v) + 1);
      break;
    case K_ANN:
      if (c->n_announcement == UE_CONF_ANN_MAX)
        return bad(err, err_cap, lineno, "more than %d announcements", UE_CONF_ANN_MAX);
      if (!*v || strlen(v) >= UE_CONF_PATH_MAX)
        return bad(err, err_cap, lineno, "bad announcement path");
      memcpy(c->announcement[c->n_announcement++], v, strlen(v) + 1);
      break;
    case K_U32:
      if (!parse_u32(v, key->min, key->max, (uint32_t *)(void *)((char *)c + key->off)))
        return bad(err, err_cap, lineno, "%s: a number from %u to %u", k, key->min, key->max);
      break;
    case K_BOOL:
      if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
        c->log_keys = true;
      else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
        c->log_keys = false;
      else
        return bad(err, err_cap, lineno, "%s: true or false", k);
      break;
    case K_MODE:
      if (mbmsec_gba_mode_parse(v, &c->mrk_muk_mode) != MBMSEC_OK)
        return bad(err, err_cap, lineno, "mrk_muk_mode: kdf or none");
      break;
    }
  }
  if (!c->state_dir[0]) return bad(err, err_cap, lineno, "state_dir is required");
  if (!c->impi[0]) return bad(err, err_cap, lineno, "impi is required");
  if (!c->bsf[0]) return bad(err, err_cap, lineno, "bsf is required");
  if (!c->n_announcement) return bad(err, err_cap, lineno, "at least one announcement is required");
  if (!c->usim[0]) {
    if (snprintf(c->usim, sizeof c->usim, "%s/usim", c->state_dir) >= (int)sizeof c->usim)
      return bad(err, err_cap, lineno, "state_dir too long");
  }
  if (!c->bind[0]) snprintf(c->bind, sizeof c->bind, "127.0.0.1");
  if (!c->mikey_port) c->mikey_port = MBMSEC_MIKEY_UDP_PORT_DEFAULT; /* P6 */
  if (!c->http_timeout_ms) c->http_timeout_ms = 10000;
  if (!c->retry_first_ms) c->retry_first_ms = 1000;
  if (!c->retry_max_ms) c->retry_max_ms = 60000;
  if (!c->retry_tries) c->retry_tries = 8;
  if (!c->mikey_wait_ms) c->mikey_wait_ms = 5000;
  if (!c->msk_grace_ms) c->msk_grace_ms = 30000;
  return MBMSEC_OK;
}

/* The control datagram of mbmsec-ue leave (agent_run.h). */
mbmsec_err ue_agent_control_parse(const char *msg, size_t len, char sid[MBMSEC_XML_URI_MAX + 1])
{
  static const char P[] = "leave ";
  if (!msg || !sid || len > UE_AGENT_CONTROL_MAX || len <= sizeof P - 1) return MBMSEC_ERR_ARG;
  if (memcmp(msg, P, sizeof P - 1)) return MBMSEC_ERR_ARG;
  size_t n = len - (sizeof P - 1);
  const char *s = msg + sizeof P - 1;
  if (n && s[n - 1] == '\n') n--;
  if (n == 0 || n > MBMSEC_XML_URI_MAX) return MBMSEC_ERR_ARG;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] > 0x7e) return MBMSEC_ERR_ARG;
  memcpy(sid, s, n);
  sid[n] = 0;
  return MBMSEC_OK;
}
