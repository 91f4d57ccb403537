/* The msk-request cache (include/mbmsec/members.h): what the decisions read of the store,
 * kept until the store's data version moves. docs/bmsc-membership.md "Cache".
 *
 * Correctness: the version is read before anything is filled from the store, so an entry is
 * never older than the version it is kept under; any commit after that read (by this process
 * or another) changes the version the next request reads, which empties the cache. Entries
 * hold no key material (MSK identities and validity only). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "members_impl.h"

#define CACHE_GROUPS      64   /* Key Groups kept; emptied when full */
#define CACHE_ACCESS      4096 /* (IMPI, Key Group) answers kept: a power of two */
#define CACHE_ACCESS_FILL (CACHE_ACCESS * 3 / 4)

typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint16_t group;
  members_msks msks;
} cache_group;

typedef struct {
  uint32_t hash; /* 0: empty slot */
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint16_t group;
  uint8_t used, allowed;
  char impi[MBMSEC_STORE_IMPI_MAX + 1];
} cache_access;

struct mbmsec_members_cache {
  pthread_mutex_t mu;
  int have_version;
  uint64_t version;
  size_t ngroups, naccess;
  cache_group groups[CACHE_GROUPS];
  cache_access *access; /* CACHE_ACCESS slots, open addressing */
};

mbmsec_err mbmsec_members_cache_new(mbmsec_members_cache **out)
{
  ENSURE(out != NULL, MBMSEC_ERR_ARG);
  *out = NULL;
  mbmsec_members_cache *c = calloc(1, sizeof *c);
  ENSURE(c != NULL, MBMSEC_ERR_NOMEM);
  c->access = calloc(CACHE_ACCESS, sizeof *c->access);
  if (c->access == NULL || pthread_mutex_init(&c->mu, NULL) != 0) {
    free(c->access);
    free(c);
    return MBMSEC_ERR_NOMEM;
  }
  *out = c;
  return MBMSEC_OK;
}

void mbmsec_members_cache_free(mbmsec_members_cache *c)
{
  if (c == NULL) return;
  pthread_mutex_destroy(&c->mu);
  free(c->access);
  free(c);
}

static void empty_access(mbmsec_members_cache *c)
{
  if (c->naccess > 0) memset(c->access, 0, CACHE_ACCESS * sizeof *c->access);
  c->naccess = 0;
}

int members_cache_begin(mbmsec_members_cache *c, mbmsec_store *st)
{
  uint64_t v;
  if (mbmsec_store_data_version(st, &v) != MBMSEC_OK) return 0;
  pthread_mutex_lock(&c->mu);
  if (!c->have_version || v != c->version) {
    c->ngroups = 0;
    empty_access(c);
    c->version = v;
    c->have_version = 1;
  }
  return 1;
}

void members_cache_end(mbmsec_members_cache *c) { pthread_mutex_unlock(&c->mu); }

/* FNV-1a over the IMPI, the Key Domain and the group; never 0 (0 marks an empty slot). */
static uint32_t access_hash(const char *impi, const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group)
{
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)impi; *p; p++) h = (h ^ *p) * 16777619u;
  for (size_t i = 0; i < MBMSEC_KDID_LEN; i++) h = (h ^ kdid[i]) * 16777619u;
  h = (h ^ (group >> 8)) * 16777619u;
  h = (h ^ (group & 0xff)) * 16777619u;
  return h ? h : 1;
}

mbmsec_err members_cache_access(mbmsec_members_cache *c, mbmsec_store *st, const char *impi,
                                const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group, int *used,
                                int *allowed)
{
  const uint32_t h = access_hash(impi, kdid, group);
  size_t i = h & (CACHE_ACCESS - 1);
  for (; c->access[i].hash != 0; i = (i + 1) & (CACHE_ACCESS - 1)) {
    const cache_access *a = &c->access[i];
    if (a->hash == h && a->group == group && !memcmp(a->kdid, kdid, MBMSEC_KDID_LEN) &&
        !strcmp(a->impi, impi)) {
      *used = a->used;
      *allowed = a->allowed;
      return MBMSEC_OK;
    }
  }
  GUARD(members_group_access(st, impi, kdid, group, 1, used, allowed));
  const size_t n = strlen(impi);
  if (n > MBMSEC_STORE_IMPI_MAX) return MBMSEC_OK; /* checked by the caller; not kept otherwise */
  if (c->naccess >= CACHE_ACCESS_FILL) {
    empty_access(c);
    i = h & (CACHE_ACCESS - 1);
  }
  cache_access *a = &c->access[i];
  a->hash = h;
  memcpy(a->kdid, kdid, MBMSEC_KDID_LEN);
  a->group = group;
  a->used = (uint8_t)(*used != 0);
  a->allowed = (uint8_t)(*allowed != 0);
  memcpy(a->impi, impi, n + 1);
  c->naccess++;
  return MBMSEC_OK;
}

mbmsec_err members_cache_msks(mbmsec_members_cache *c, mbmsec_store *st,
                              const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group,
                              const members_msks **out)
{
  for (size_t i = 0; i < c->ngroups; i++)
    if (c->groups[i].group == group && !memcmp(c->groups[i].kdid, kdid, MBMSEC_KDID_LEN)) {
      *out = &c->groups[i].msks;
      return MBMSEC_OK;
    }
  if (c->ngroups == CACHE_GROUPS) c->ngroups = 0;
  cache_group *g = &c->groups[c->ngroups];
  GUARD(members_msks_read(st, kdid, group, &g->msks));
  memcpy(g->kdid, kdid, MBMSEC_KDID_LEN);
  g->group = group;
  c->ngroups++;
  *out = &g->msks;
  return MBMSEC_OK;
}
