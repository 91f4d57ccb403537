/* The Zn answer cache: B-TID -> {IMPI, Ks_NAF, MRK, MUK, Key-ExpiryTime}. A fixed array of
 * cap entries with hash chains (seeded FNV-1a over the B-TID); an entry is dropped the first
 * time it is looked at at or after its Key-ExpiryTime; when the array is full an insert evicts
 * an expired entry, else the least recently used one (a scan: inserts follow a Zn round trip,
 * which costs far more). Every dropped entry is cleansed. Callers hold no lock. */
#include <stdlib.h>
#include <string.h>

#include "mbmsec/crypto.h"
#include "ua_internal.h"

static size_t bucket_of(const mbmsec_ua *ua, const char *btid, size_t len)
{
  uint64_t h = 0xcbf29ce484222325ull ^ ua->hash_seed;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)btid[i];
    h *= 0x100000001b3ull;
  }
  return (size_t)(h % ua->n_buckets);
}

/* Index of btid's entry or UA_NONE; *prev gets its chain predecessor (UA_NONE = head). */
static uint32_t find(const mbmsec_ua *ua, const char *btid, size_t len, uint32_t *prev)
{
  uint32_t p = UA_NONE;
  for (uint32_t i = ua->buckets[bucket_of(ua, btid, len)]; i != UA_NONE; i = ua->cache[i].next) {
    const ua_cache_entry *e = &ua->cache[i];
    if (e->btid_len == len && memcmp(e->btid, btid, len) == 0) {
      if (prev) *prev = p;
      return i;
    }
    p = i;
  }
  return UA_NONE;
}

/* Unlinks and cleanses entry i whose predecessor is prev. */
static void unlink_entry(mbmsec_ua *ua, uint32_t i, uint32_t prev)
{
  ua_cache_entry *e = &ua->cache[i];
  if (prev == UA_NONE)
    ua->buckets[bucket_of(ua, e->btid, e->btid_len)] = e->next;
  else
    ua->cache[prev].next = e->next;
  mbmsec_cleanse(e, sizeof *e);
  e->next = UA_NONE;
  ua->cache_used--;
}

static void remove_entry(mbmsec_ua *ua, uint32_t i)
{
  uint32_t prev = UA_NONE;
  const ua_cache_entry *e = &ua->cache[i];
  if (find(ua, e->btid, e->btid_len, &prev) == i) unlink_entry(ua, i, prev);
}

bool ua_cache_get(mbmsec_ua *ua, const char *btid, size_t len, int64_t now, ua_cache_entry *out)
{
  bool hit = false;
  uint32_t prev = UA_NONE;
  pthread_mutex_lock(&ua->lock);
  const uint32_t i = find(ua, btid, len, &prev);
  if (i != UA_NONE) {
    ua_cache_entry *e = &ua->cache[i];
    if (now >= e->key_expiry) {
      unlink_entry(ua, i, prev);
    } else {
      e->last_use = ++ua->tick;
      *out = *e;
      hit = true;
    }
  }
  pthread_mutex_unlock(&ua->lock);
  return hit;
}

void ua_cache_put(mbmsec_ua *ua, const ua_cache_entry *src)
{
  const int64_t now = ua_now(ua);
  pthread_mutex_lock(&ua->lock);
  uint32_t prev = UA_NONE;
  uint32_t i = find(ua, src->btid, src->btid_len, &prev);
  if (i != UA_NONE) unlink_entry(ua, i, prev);
  if (ua->cache_used == ua->cache_cap) {
    uint32_t victim = UA_NONE;
    for (uint32_t k = 0; k < ua->cache_cap; k++) {
      const ua_cache_entry *e = &ua->cache[k];
      if (now >= e->key_expiry) {
        victim = k;
        break;
      }
      if (victim == UA_NONE || e->last_use < ua->cache[victim].last_use) victim = k;
    }
    remove_entry(ua, victim);
  }
  for (i = 0; ua->cache[i].used; i++) /* a free slot exists: cache_used < cache_cap */
    ;
  ua_cache_entry *e = &ua->cache[i];
  *e = *src;
  e->used = true;
  e->failures = 0;
  e->last_use = ++ua->tick;
  const size_t b = bucket_of(ua, e->btid, e->btid_len);
  e->next = ua->buckets[b];
  ua->buckets[b] = i;
  ua->cache_used++;
  pthread_mutex_unlock(&ua->lock);
}

bool ua_cache_drop(mbmsec_ua *ua, const char *btid, size_t len)
{
  uint32_t prev = UA_NONE;
  pthread_mutex_lock(&ua->lock);
  const uint32_t i = find(ua, btid, len, &prev);
  if (i != UA_NONE) unlink_entry(ua, i, prev);
  pthread_mutex_unlock(&ua->lock);
  return i != UA_NONE;
}

void ua_cache_fail(mbmsec_ua *ua, const char *btid, size_t len)
{
  pthread_mutex_lock(&ua->lock);
  const uint32_t i = find(ua, btid, len, NULL);
  if (i != UA_NONE && ua->cache[i].failures < UINT32_MAX) ua->cache[i].failures++;
  pthread_mutex_unlock(&ua->lock);
}

uint32_t ua_cache_failures(mbmsec_ua *ua, const char *btid, size_t len)
{
  pthread_mutex_lock(&ua->lock);
  const uint32_t i = find(ua, btid, len, NULL);
  const uint32_t n = i == UA_NONE ? 0 : ua->cache[i].failures;
  pthread_mutex_unlock(&ua->lock);
  return n;
}

size_t ua_cache_count(mbmsec_ua *ua)
{
  pthread_mutex_lock(&ua->lock);
  const size_t n = ua->cache_used;
  pthread_mutex_unlock(&ua->lock);
  return n;
}

mbmsec_err ua_cache_init(mbmsec_ua *ua, size_t cap)
{
  ua->cache_cap = cap;
  ua->n_buckets = cap;
  ua->cache = calloc(cap, sizeof *ua->cache);
  ua->buckets = malloc(cap * sizeof *ua->buckets);
  if (!ua->cache || !ua->buckets) return MBMSEC_ERR_NOMEM;
  for (size_t i = 0; i < cap; i++) {
    ua->buckets[i] = UA_NONE;
    ua->cache[i].next = UA_NONE;
  }
  return MBMSEC_OK;
}

void ua_cache_fini(mbmsec_ua *ua)
{
  if (ua->cache) {
    mbmsec_cleanse(ua->cache, ua->cache_cap * sizeof *ua->cache);
    free(ua->cache);
  }
  free(ua->buckets);
  ua->cache = NULL;
  ua->buckets = NULL;
}
