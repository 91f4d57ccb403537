/* Internal to lib/members: what the msk-request decision reads of a Key Group, shared by the
 * direct path (members.c, straight from the store) and the cache (members_cache.c). */
#ifndef MBMSEC_MEMBERS_IMPL_H
#define MBMSEC_MEMBERS_IMPL_H
#include "mbmsec/members.h"

/* The non-secret part of a group's MSK list (newest first): key numbers and validity. */
typedef struct {
  size_t n, total; /* listed, stored (n < total: older MSKs not listed) */
  struct {
    uint16_t number;
    int64_t valid_from, valid_to;
  } msk[MBMSEC_MEMBERS_MSKS_PER_LIST];
} members_msks;

/* Reads the group's MSK list (the keys are cleansed at once). */
mbmsec_err members_msks_read(mbmsec_store *st, const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group,
                             members_msks *out);

/* Whether any service uses the group (*used) and whether the IMPI is registered (and, with
 * need_subscription, also subscribed) to one of them (*allowed). */
mbmsec_err members_group_access(mbmsec_store *st, const char *impi,
                                const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group,
                                int need_subscription, int *used, int *allowed);

/* The cache's view (members_cache.c); the caller holds the cache's lock (cache_begin). */
mbmsec_err members_cache_access(mbmsec_members_cache *c, mbmsec_store *st, const char *impi,
                                const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group, int *used,
                                int *allowed);
mbmsec_err members_cache_msks(mbmsec_members_cache *c, mbmsec_store *st,
                              const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group,
                              const members_msks **out);
/* Locks the cache and empties it when the store changed since its contents were read
 * (mbmsec_store_data_version). Returns 0 when the cache cannot be used for this request (the
 * version could not be read): the caller then reads the store directly, unlocked. */
int members_cache_begin(mbmsec_members_cache *c, mbmsec_store *st);
void members_cache_end(mbmsec_members_cache *c);
#endif
