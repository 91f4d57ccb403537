/* The table of outstanding challenges: nonce -> IMPI, RAND, XRES, CK, IK, expiry.
 * Bounded (cap entries) so that a flood of first requests cannot grow memory. One IMPI holds
 * at most per_impi entries and one client address per_source: beyond that a new challenge
 * replaces that IMPI's (or address's) own oldest, so a flood from one identity or one address
 * churns only its own entries. When the table is full all the same, expired entries go first,
 * then the one closest to expiry. An entry leaves the table the
 * first time its nonce is presented (single use, RFC 3310 3.1: RES is used once). A linear
 * scan is enough: the table is small and every scan is a few microseconds next to the AES
 * and SQLite work of the same request. */
#include <string.h>

#include "bsf_internal.h"
#include "mbmsec/crypto.h"

static void drop(bsf_pending *p) { mbmsec_cleanse(p, sizeof *p); }

/* The older of a and e (e when a is NULL). */
static bsf_pending *older(bsf_pending *a, bsf_pending *e)
{
  return !a || e->expires < a->expires ? e : a;
}

void bsf_pending_put(mbmsec_bsf *bsf, const bsf_pending *p, bool keep)
{
  const int64_t now = bsf_now(bsf);
  pthread_mutex_lock(&bsf->lock);
  bsf_pending *slot = NULL, *oldest = NULL, *impi_oldest = NULL, *src_oldest = NULL;
  size_t impi_n = 0, src_n = 0;
  for (size_t i = 0; i < bsf->cap; i++) {
    bsf_pending *e = &bsf->table[i];
    if (e->used && e->expires <= now) drop(e);
    if (!e->used) {
      if (!slot) slot = e;
      continue;
    }
    oldest = older(oldest, e);
    if (strcmp(e->impi, p->impi) == 0) {
      impi_n++;
      impi_oldest = older(impi_oldest, e);
    }
    if (p->source[0] && strcmp(e->source, p->source) == 0) {
      src_n++;
      src_oldest = older(src_oldest, e);
    }
  }
  if (!keep) {
    pthread_mutex_unlock(&bsf->lock);
    return;
  }
  if (impi_n >= bsf->per_impi) {
    slot = impi_oldest;
    bsf->stats.replaced_per_impi++;
  } else if (src_n >= bsf->per_source) {
    slot = src_oldest;
    bsf->stats.replaced_per_source++;
  } else if (!slot) {
    slot = oldest; /* cap >= 1, so a full table has an oldest entry */
    bsf->stats.evicted_full++;
  }
  drop(slot);
  bsf->stats.challenges++;
  *slot = *p;
  slot->used = true;
  pthread_mutex_unlock(&bsf->lock);
}

bool bsf_pending_take(mbmsec_bsf *bsf, const char *nonce, size_t nonce_len, bsf_pending *out)
{
  const int64_t now = bsf_now(bsf);
  bool found = false;
  if (nonce_len == 0 || nonce_len >= BSF_NONCE_SIZE) return false;
  pthread_mutex_lock(&bsf->lock);
  for (size_t i = 0; i < bsf->cap; i++) {
    bsf_pending *e = &bsf->table[i];
    if (!e->used || strlen(e->nonce) != nonce_len || memcmp(e->nonce, nonce, nonce_len) != 0)
      continue;
    if (e->expires > now) {
      *out = *e;
      found = true;
    }
    drop(e);
    break;
  }
  pthread_mutex_unlock(&bsf->lock);
  return found;
}

void mbmsec_bsf_stats_get(mbmsec_bsf *bsf, mbmsec_bsf_stats *out)
{
  if (!bsf || !out) return;
  pthread_mutex_lock(&bsf->lock);
  *out = bsf->stats;
  pthread_mutex_unlock(&bsf->lock);
}

size_t mbmsec_bsf_pending_count(mbmsec_bsf *bsf)
{
  size_t n = 0;
  if (!bsf) return 0;
  pthread_mutex_lock(&bsf->lock);
  for (size_t i = 0; i < bsf->cap; i++) n += bsf->table[i].used;
  pthread_mutex_unlock(&bsf->lock);
  return n;
}

bool bsf_pending_max_sqn(mbmsec_bsf *bsf, const char *impi, uint64_t *sqn)
{
  const int64_t now = bsf_now(bsf);
  bool found = false;
  pthread_mutex_lock(&bsf->lock);
  for (size_t i = 0; i < bsf->cap; i++) {
    const bsf_pending *e = &bsf->table[i];
    if (!e->used || e->expires <= now || strcmp(e->impi, impi) != 0) continue;
    if (!found || e->sqn > *sqn) *sqn = e->sqn;
    found = true;
  }
  pthread_mutex_unlock(&bsf->lock);
  return found;
}
