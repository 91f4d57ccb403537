/* The Ua auth server context: configuration, life cycle, counters, reason names. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "ua_internal.h"

static const char *const REASONS[MBMSEC_UA_R_COUNT] = {
    [MBMSEC_UA_R_OK] = "ok",
    [MBMSEC_UA_R_NO_AUTH] = "no-authorization",
    [MBMSEC_UA_R_NOT_DIGEST] = "not-digest",
    [MBMSEC_UA_R_ALGORITHM] = "algorithm",
    [MBMSEC_UA_R_QOP] = "qop",
    [MBMSEC_UA_R_REALM] = "realm",
    [MBMSEC_UA_R_MALFORMED] = "malformed",
    [MBMSEC_UA_R_URI] = "uri-mismatch",
    [MBMSEC_UA_R_NONCE_UNKNOWN] = "nonce-unknown",
    [MBMSEC_UA_R_BTID_UNKNOWN] = "btid-unknown",
    [MBMSEC_UA_R_KEY_EXPIRED] = "key-expired",
    [MBMSEC_UA_R_NOT_AUTHORIZED] = "not-authorized",
    [MBMSEC_UA_R_ZN_UNREACHABLE] = "zn-unreachable",
    [MBMSEC_UA_R_ZN_ERROR] = "zn-error",
    [MBMSEC_UA_R_MISMATCH] = "digest-mismatch",
    [MBMSEC_UA_R_STALE] = "nonce-stale",
    [MBMSEC_UA_R_NC_REPLAY] = "nc-replay",
    [MBMSEC_UA_R_NONCE_EVICTED] = "nonce-evicted",
    [MBMSEC_UA_R_INTERNAL] = "internal",
};

const char *mbmsec_ua_reason_name(mbmsec_ua_reason r)
{
  return (unsigned)r < MBMSEC_UA_R_COUNT ? REASONS[r] : "?";
}

int64_t ua_now(const mbmsec_ua *ua)
{
  return ua->clock ? ua->clock(ua->clock_user) : (int64_t)time(NULL);
}

static bool fqdn_ok(const char *s, size_t n)
{
  if (n == 0 || n > MBMSEC_UA_FQDN_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    const char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.'))
      return false;
  }
  return true;
}

static bool algs_ok(const mbmsec_digest_alg *a, size_t n)
{
  if (n > MBMSEC_UA_ALGS_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    if (a[i] != MBMSEC_DIGEST_SHA256 && a[i] != MBMSEC_DIGEST_MD5) return false;
    for (size_t j = 0; j < i; j++)
      if (a[j] == a[i]) return false;
  }
  return true;
}

mbmsec_err mbmsec_ua_algs_parse(const char *s, mbmsec_ua_config *cfg)
{
  ENSURE(s && cfg, MBMSEC_ERR_ARG);
  mbmsec_digest_alg a[MBMSEC_UA_ALGS_MAX];
  size_t n = 0;
  for (const char *p = s;;) {
    while (*p == ' ' || *p == '\t') p++;
    const char *e = p;
    while (*e && *e != ',') e++;
    const char *t = e;
    while (t > p && (t[-1] == ' ' || t[-1] == '\t')) t--;
    ENSURE(n < MBMSEC_UA_ALGS_MAX, MBMSEC_ERR_UA_CONFIG);
    ENSURE(mbmsec_digest_alg_from_name(p, (size_t)(t - p), &a[n]) == MBMSEC_OK,
           MBMSEC_ERR_UA_CONFIG);
    n++;
    if (!*e) break;
    p = e + 1;
  }
  ENSURE(algs_ok(a, n), MBMSEC_ERR_UA_CONFIG);
  memcpy(cfg->algs, a, n * sizeof a[0]);
  cfg->n_algs = n;
  return MBMSEC_OK;
}

static mbmsec_err configure(mbmsec_ua *ua, const mbmsec_ua_config *cfg)
{
  const size_t fl = cfg->fqdn ? strlen(cfg->fqdn) : 0;
  ENSURE(cfg->fqdn && fqdn_ok(cfg->fqdn, fl) && cfg->lookup, MBMSEC_ERR_UA_CONFIG);
  ENSURE(algs_ok(cfg->algs, cfg->n_algs), MBMSEC_ERR_UA_CONFIG);
  ENSURE(cfg->mode == MBMSEC_MRK_MUK_KDF || cfg->mode == MBMSEC_MRK_MUK_NONE, MBMSEC_ERR_UA_CONFIG);
  ENSURE(cfg->max_nonces <= MBMSEC_UA_NONCES_MAX && cfg->max_cache <= MBMSEC_UA_CACHE_MAX,
         MBMSEC_ERR_UA_CONFIG);
  memcpy(ua->realm, MBMSEC_MBMS_REALM_PREFIX, sizeof MBMSEC_MBMS_REALM_PREFIX - 1);
  memcpy(ua->realm + sizeof MBMSEC_MBMS_REALM_PREFIX - 1, cfg->fqdn, fl);
  ua->realm_len = sizeof MBMSEC_MBMS_REALM_PREFIX - 1 + fl;
  GUARD(mbmsec_gba_naf_id(cfg->fqdn, fl, NULL, ua->naf_id, sizeof ua->naf_id, &ua->naf_id_len));
  if (cfg->n_algs == 0) {
    ua->algs[0] = MBMSEC_DIGEST_SHA256; /* MBMSEC_HTTP_DIGEST_ALGS_DEFAULT */
    ua->algs[1] = MBMSEC_DIGEST_MD5;
    ua->n_algs = 2;
  } else {
    memcpy(ua->algs, cfg->algs, cfg->n_algs * sizeof cfg->algs[0]);
    ua->n_algs = cfg->n_algs;
  }
  ua->lifetime =
      cfg->nonce_lifetime_s ? cfg->nonce_lifetime_s : MBMSEC_HTTP_NONCE_LIFETIME_S_DEFAULT;
  ua->mode = cfg->mode;
  ua->clock = cfg->clock;
  ua->clock_user = cfg->clock_user;
  ua->lookup = cfg->lookup;
  ua->lookup_user = cfg->lookup_user;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_ua_new(const mbmsec_ua_config *cfg, mbmsec_ua **out)
{
  ENSURE(cfg && out, MBMSEC_ERR_ARG);
  *out = NULL;
  mbmsec_err rc = MBMSEC_OK;
  uint8_t opaque[UA_OPAQUE_RAW];
  bool locked = false;
  mbmsec_ua *ua = calloc(1, sizeof *ua);
  ENSURE(ua, MBMSEC_ERR_NOMEM);
  ENSURE_OUT(pthread_mutex_init(&ua->lock, NULL) == 0, MBMSEC_ERR_NOMEM);
  locked = true;
  GUARD_OUT(configure(ua, cfg));
  GUARD_OUT(mbmsec_random(ua->secret, sizeof ua->secret));
  GUARD_OUT(mbmsec_random(opaque, sizeof opaque));
  GUARD_OUT(mbmsec_random(&ua->hash_seed, sizeof ua->hash_seed));
  GUARD_OUT(mbmsec_b64_encode(opaque, sizeof opaque, ua->opaque, sizeof ua->opaque, NULL));
  mbmsec_cleanse(opaque, sizeof opaque);
  ua->nonce_cap = cfg->max_nonces ? cfg->max_nonces : MBMSEC_UA_NONCES_DEFAULT;
  ua->nonces = calloc(ua->nonce_cap, sizeof *ua->nonces);
  ENSURE_OUT(ua->nonces, MBMSEC_ERR_NOMEM);
  GUARD_OUT(ua_cache_init(ua, cfg->max_cache ? cfg->max_cache : MBMSEC_UA_CACHE_DEFAULT));
  *out = ua;
  ua = NULL;
out:
  if (ua) {
    if (locked) pthread_mutex_destroy(&ua->lock);
    ua_cache_fini(ua);
    free(ua->nonces);
    mbmsec_cleanse(ua, sizeof *ua);
    free(ua);
  }
  return rc;
}

void mbmsec_ua_free(mbmsec_ua *ua)
{
  if (!ua) return;
  ua_cache_fini(ua);
  free(ua->nonces);
  pthread_mutex_destroy(&ua->lock);
  mbmsec_cleanse(ua, sizeof *ua);
  free(ua);
}

void mbmsec_ua_stats_get(mbmsec_ua *ua, mbmsec_ua_stats *out)
{
  if (!ua || !out) return;
  memset(out, 0, sizeof *out);
  out->challenges = atomic_load_explicit(&ua->c_challenges, memory_order_relaxed);
  out->stale = atomic_load_explicit(&ua->c_stale, memory_order_relaxed);
  out->successes = atomic_load_explicit(&ua->c_successes, memory_order_relaxed);
  out->lookups = atomic_load_explicit(&ua->c_lookups, memory_order_relaxed);
  out->cache_hits = atomic_load_explicit(&ua->c_hits, memory_order_relaxed);
  out->nonces_issued = atomic_load_explicit(&ua->c_issued, memory_order_relaxed);
  for (size_t i = 0; i < MBMSEC_UA_R_COUNT; i++)
    out->failures[i] = atomic_load_explicit(&ua->c_fail[i], memory_order_relaxed);
  out->cache_entries = ua_cache_count(ua);
  out->nonces_kept = ua_nonce_kept(ua);
}

uint32_t mbmsec_ua_btid_failures(mbmsec_ua *ua, const char *btid, size_t btid_len)
{
  if (!ua || !btid || btid_len > MBMSEC_UA_BTID_MAX) return 0;
  return ua_cache_failures(ua, btid, btid_len);
}

bool mbmsec_ua_cache_drop(mbmsec_ua *ua, const char *btid, size_t btid_len)
{
  if (!ua || !btid || btid_len > MBMSEC_UA_BTID_MAX) return false;
  return ua_cache_drop(ua, btid, btid_len);
}
