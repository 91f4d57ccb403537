/* Internal to lib/ua: the server struct and the parts its files share. */
#ifndef MBMSEC_UA_INTERNAL_H
#define MBMSEC_UA_INTERNAL_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "mbmsec/encode.h"
#include "mbmsec/profile.h"
#include "mbmsec/ua.h"

#define UA_REALM_MAX    (sizeof MBMSEC_MBMS_REALM_PREFIX - 1 + MBMSEC_UA_FQDN_MAX)
#define UA_NAF_ID_MAX   (MBMSEC_UA_FQDN_MAX + MBMSEC_MBMS_UA_PROTO_ID_LEN)
#define UA_NONCE_RAW    48 /* issued (8) || serial (8) || random (16) || tag (16) */
#define UA_NONCE_RANDOM 16
#define UA_NONCE_TAG    16
#define UA_SECRET_LEN   32
#define UA_OPAQUE_RAW   12         /* base64: 16 characters */
#define UA_NONE         UINT32_MAX /* end of a cache chain / list */

/* nc state of one issued nonce: slot serial % cap. serial 0 = empty. */
typedef struct {
  uint64_t serial;
  uint32_t max_nc; /* highest nc accepted; 0 = none yet */
  bool has_raw;
  uint8_t raw[UA_NONCE_RAW]; /* the nonce as issued: recognised without its HMAC */
} ua_nonce_slot;

/* One cached Zn answer. Secret. */
typedef struct {
  bool used;
  uint32_t next;     /* hash chain */
  uint64_t last_use; /* LRU tick */
  uint32_t failures; /* digest mismatches of this B-TID */
  char btid[MBMSEC_UA_BTID_MAX + 1];
  size_t btid_len;
  char impi[MBMSEC_ZN_IMPI_MAX + 1];
  size_t impi_len;
  uint8_t ks_naf[MBMSEC_GBA_KEY_LEN];
  uint8_t mrk[MBMSEC_GBA_KEY_LEN];
  uint8_t muk[MBMSEC_GBA_KEY_LEN];
  /* H(B-TID ":" realm ":" base64(MRK)) for each configured algorithm (index as ua->algs):
   * HA1 of every request of this B-TID, computed once when the entry is filled. */
  char ha1[MBMSEC_UA_ALGS_MAX][MBMSEC_DIGEST_HEX_MAX + 1];
  int64_t key_expiry;
} ua_cache_entry;

struct mbmsec_ua {
  /* configuration (read-only after new) */
  char realm[UA_REALM_MAX + 1];
  size_t realm_len;
  uint8_t naf_id[UA_NAF_ID_MAX];
  size_t naf_id_len;
  mbmsec_digest_alg algs[MBMSEC_UA_ALGS_MAX];
  size_t n_algs;
  uint32_t lifetime;
  mbmsec_mrk_muk_mode mode;
  mbmsec_ua_clock_fn clock;
  void *clock_user;
  mbmsec_ua_lookup_fn lookup;
  void *lookup_user;
  uint8_t secret[UA_SECRET_LEN]; /* nonce tag key */
  char opaque[MBMSEC_B64_LEN(UA_OPAQUE_RAW) + 1];
  uint64_t hash_seed;

  pthread_mutex_t lock; /* guards everything below except the atomics */
  uint64_t serial;      /* last nonce serial issued */
  ua_nonce_slot *nonces;
  size_t nonce_cap;
  ua_cache_entry *cache;
  uint32_t *buckets;
  size_t cache_cap, n_buckets, cache_used;
  uint64_t tick;

  atomic_uint_fast64_t c_challenges, c_stale, c_successes, c_lookups, c_hits, c_issued;
  atomic_uint_fast64_t c_fail[MBMSEC_UA_R_COUNT];
};

int64_t ua_now(const mbmsec_ua *ua);

/* Nonces (ua_nonce.c). */
/* New nonce (MBMSEC_UA_NONCE_LEN characters and a NUL) issued now; its slot is reset.
 * @return MBMSEC_OK, MBMSEC_ERR_RANDOM, MBMSEC_ERR_CRYPTO. */
mbmsec_err ua_nonce_issue(mbmsec_ua *ua, char out[MBMSEC_UA_NONCE_LEN + 1]);
/* true when s is a nonce this server issued (tag verified in constant time); *issued and
 * *serial are taken from it. */
bool ua_nonce_parse(mbmsec_ua *ua, const char *s, size_t len, int64_t *issued, uint64_t *serial);
typedef enum { UA_NC_OK, UA_NC_REPLAY, UA_NC_EVICTED } ua_nc_result;
/* Accepts nc for the nonce of serial when it is above the highest accepted one. */
ua_nc_result ua_nonce_accept_nc(mbmsec_ua *ua, uint64_t serial, uint32_t nc);
size_t ua_nonce_kept(mbmsec_ua *ua);

/* Zn cache (ua_cache.c). The lock is taken inside. */
/* Copies the live entry of btid into *out (secret) and bumps its LRU tick; an entry whose
 * Key-ExpiryTime has come is dropped. true on a hit. */
bool ua_cache_get(mbmsec_ua *ua, const char *btid, size_t len, int64_t now, ua_cache_entry *out);
/* Inserts or replaces; evicts expired entries, then the least recently used. */
void ua_cache_put(mbmsec_ua *ua, const ua_cache_entry *e);
bool ua_cache_drop(mbmsec_ua *ua, const char *btid, size_t len);
void ua_cache_fail(mbmsec_ua *ua, const char *btid, size_t len);
uint32_t ua_cache_failures(mbmsec_ua *ua, const char *btid, size_t len);
size_t ua_cache_count(mbmsec_ua *ua);
/* Allocates the tables (cap entries). @return MBMSEC_OK, MBMSEC_ERR_NOMEM. */
mbmsec_err ua_cache_init(mbmsec_ua *ua, size_t cap);
/* Cleanses and frees the tables. */
void ua_cache_fini(mbmsec_ua *ua);

#endif
