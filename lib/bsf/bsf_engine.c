/* Engine life cycle: configuration checks, the clock, the pending table allocation. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bsf_internal.h"
#include "guard.h"
#include "mbmsec/crypto.h"

int64_t bsf_now(const mbmsec_bsf *bsf)
{
  return bsf->clock ? bsf->clock(bsf->clock_user) : (int64_t)time(NULL);
}

/* The FQDN goes into the realm, the B-TID and the XML body unescaped: keep it to host-name
 * characters so that none of them needs quoting anywhere. */
static bool fqdn_ok(const char *s, size_t n)
{
  if (n == 0 || n > MBMSEC_BSF_FQDN_MAX || s[0] == '.' || s[0] == '-') return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.'))
      return false;
  }
  return true;
}

mbmsec_err mbmsec_bsf_new(const mbmsec_bsf_config *cfg, mbmsec_store *store, mbmsec_bsf **out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  *out = NULL;
  ENSURE(cfg && store && cfg->fqdn, MBMSEC_ERR_ARG);
  size_t n = strlen(cfg->fqdn);
  ENSURE(fqdn_ok(cfg->fqdn, n), MBMSEC_ERR_BSF_CONFIG);
  ENSURE(cfg->lifetime <= MBMSEC_BSF_LIFETIME_MAX && cfg->max_pending <= MBMSEC_BSF_PENDING_MAX,
         MBMSEC_ERR_BSF_CONFIG);
  const uint32_t cap = cfg->max_pending ? cfg->max_pending : MBMSEC_BSF_PENDING_DEFAULT;
  ENSURE(cfg->max_pending_per_impi <= cap && cfg->max_pending_per_source <= cap,
         MBMSEC_ERR_BSF_CONFIG);
  ENSURE(cfg->ind_len <= MBMSEC_AKA_IND_LEN_MAX || cfg->ind_len == 255, MBMSEC_ERR_BSF_CONFIG);
  mbmsec_bsf *b = calloc(1, sizeof *b);
  ENSURE(b, MBMSEC_ERR_NOMEM);
  memcpy(b->fqdn, cfg->fqdn, n + 1);
  b->fqdn_len = n;
  b->lifetime = cfg->lifetime ? cfg->lifetime : MBMSEC_BSF_LIFETIME_DEFAULT;
  b->challenge_ttl = cfg->challenge_ttl ? cfg->challenge_ttl : MBMSEC_BSF_CHALLENGE_TTL_DEFAULT;
  b->ind_len = cfg->ind_len == 0     ? MBMSEC_AKA_IND_LEN_DEFAULT
               : cfg->ind_len == 255 ? 0
                                     : cfg->ind_len;
  b->clock = cfg->clock;
  b->clock_user = cfg->clock_user;
  b->store = store;
  b->cap = cap;
  b->per_impi = cfg->max_pending_per_impi                   ? cfg->max_pending_per_impi
                : cap < MBMSEC_BSF_PENDING_PER_IMPI_DEFAULT ? cap
                                                            : MBMSEC_BSF_PENDING_PER_IMPI_DEFAULT;
  b->per_source = cfg->max_pending_per_source ? cfg->max_pending_per_source
                  : cap >= 8                  ? cap / 8
                                              : 1;
  b->decoy_amf[0] = 0x80; /* the `subscriber add` default, until the store says otherwise */
  b->table = calloc(b->cap, sizeof *b->table);
  if (!b->table || pthread_mutex_init(&b->lock, NULL) != 0) {
    free(b->table);
    free(b);
    return MBMSEC_ERR_NOMEM;
  }
  if (pthread_mutex_init(&b->hss_lock, NULL) != 0) {
    pthread_mutex_destroy(&b->lock);
    free(b->table);
    free(b);
    return MBMSEC_ERR_NOMEM;
  }
  *out = b;
  return MBMSEC_OK;
}

void mbmsec_bsf_free(mbmsec_bsf *bsf)
{
  if (!bsf) return;
  mbmsec_cleanse(bsf->table, bsf->cap * sizeof *bsf->table);
  free(bsf->table);
  pthread_mutex_destroy(&bsf->lock);
  pthread_mutex_destroy(&bsf->hss_lock);
  free(bsf);
}
