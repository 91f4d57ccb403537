/* mbmsec: the persistent store of the built-in HSS, the BSF and (later) the BM-SC.
 *
 * One opaque handle over a backend chosen by URI: "sqlite:/path/file.db" or a plain path opens
 * SQLite (the default, one file); "postgresql://..." is reserved for a PostgreSQL backend that
 * is not built yet. Callers only see this header; a backend fills the operations table in
 * lib/store/store_impl.h (docs/store.md). Every argument is checked here, before any backend
 * sees it, so all backends refuse the same inputs with the same codes and store nothing.
 *
 * Kept now:
 * - subscribers (HSS): IMPI, K, OPc, SQN = SEQ || IND (48 bits, TS 33.102 Annex C), AMF and
 *   the GBA user security settings as a comma list of GSIDs ("4" is MBMS);
 * - bootstrap records (BSF), one per B-TID: IMPI, Ks, RAND, creation and expiry time;
 * - named counters handed out in durable blocks (MIKEY counters, B-TID serials, ...);
 * - BM-SC membership (migration 4): user services (Key Domain ID, MSK lifetime), the Key Groups
 *   each service uses, MSKs per (Key Domain ID, MSK ID), subscriptions (IMPI -> service) and
 *   registrations (IMPI + service -> B-TID, UE address).
 *
 * Times are seconds since the Unix epoch (UTC). Secrets (K, OPc, Ks) are copied into the
 * caller's structs; cleanse those (mbmsec_cleanse) when done. The store never keeps a copy of a
 * secret in memory it owns beyond the call.
 *
 * Threads: a handle may be shared by threads (each call takes the handle's mutex), but calls on
 * one handle then run one at a time. For parallel work open one handle per thread on the same
 * file; writers from several handles or processes serialise in the backend (SQLite: WAL, busy
 * timeout MBMSEC_STORE_BUSY_TIMEOUT_MS). Do not carry an open handle across fork().
 */
#ifndef MBMSEC_STORE_H
#define MBMSEC_STORE_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"

#define MBMSEC_STORE_IMPI_MAX         255 /* octets, without the NUL */
#define MBMSEC_STORE_BTID_MAX         255 /* octets, without the NUL */
#define MBMSEC_STORE_USS_MAX          255 /* octets of the GSID list, without the NUL */
#define MBMSEC_STORE_COUNTER_NAME_MAX 64  /* octets, without the NUL */
#define MBMSEC_STORE_URI_MAX          4096
#define MBMSEC_STORE_K_LEN            16
#define MBMSEC_STORE_OPC_LEN          16
#define MBMSEC_STORE_AMF_LEN          2
#define MBMSEC_STORE_KS_LEN           32
#define MBMSEC_STORE_RAND_LEN         16
#define MBMSEC_STORE_SERVICE_ID_MAX   255 /* octets of a serviceId, without the NUL */
#define MBMSEC_STORE_UE_ADDR_MAX      63  /* octets of a UE address text, without the NUL */
#define MBMSEC_STORE_KDID_LEN         3   /* Key Domain ID (profile P5) */
#define MBMSEC_STORE_MSK_ID_LEN       4   /* MSK ID = Key Group (2) || key number (2) (P5) */
#define MBMSEC_STORE_MSK_LEN          16
#define MBMSEC_STORE_SQN_MAX          ((((uint64_t)1) << 48) - 1)
/* Largest value a counter can reach in any backend (SQLite integers are signed 64-bit and the
 * store keeps the next free value, so the last value is one below INT64_MAX). */
#define MBMSEC_STORE_COUNTER_MAX ((uint64_t)INT64_MAX - 1)
/* How long a call waits for another writer before MBMSEC_ERR_STORE_BUSY. */
#define MBMSEC_STORE_BUSY_TIMEOUT_MS 5000
/* Schema version this build creates and understands. */
#define MBMSEC_STORE_SCHEMA_VERSION 4

typedef struct mbmsec_store mbmsec_store;

/* A subscriber to add (input: pointers and lengths, all checked). */
typedef struct {
  const char *impi; /* NUL-terminated, 1..255 octets of printable ASCII (0x21..0x7E) */
  const uint8_t *k; /* k_len must be 16 */
  size_t k_len;
  const uint8_t *opc; /* opc_len must be 16; the caller derives OPc from OP first */
  size_t opc_len;
  uint64_t sqn;       /* SEQ || IND, at most MBMSEC_STORE_SQN_MAX */
  const uint8_t *amf; /* amf_len must be 2 */
  size_t amf_len;
  const char *uss; /* GSID list, e.g. "4" or "4,1"; "" or NULL for none */
} mbmsec_store_subscriber_in;

/* A subscriber as read back. k and opc are secrets: cleanse the struct after use. */
typedef struct {
  char impi[MBMSEC_STORE_IMPI_MAX + 1];
  uint8_t k[MBMSEC_STORE_K_LEN];
  uint8_t opc[MBMSEC_STORE_OPC_LEN];
  uint64_t sqn;
  uint8_t amf[MBMSEC_STORE_AMF_LEN];
  char uss[MBMSEC_STORE_USS_MAX + 1];
} mbmsec_store_subscriber;

/* A bootstrap record to put (input). */
typedef struct {
  const char *btid;  /* NUL-terminated, 1..255 octets of printable ASCII */
  const char *impi;  /* an IMPI already stored as a subscriber */
  const uint8_t *ks; /* ks_len must be 32 (CK || IK) */
  size_t ks_len;
  const uint8_t *rand; /* rand_len must be 16 */
  size_t rand_len;
  int64_t created;
  int64_t expires; /* must be greater than created */
} mbmsec_store_bootstrap_in;

/* A bootstrap record as read back. ks is a secret: cleanse the struct after use. */
typedef struct {
  char btid[MBMSEC_STORE_BTID_MAX + 1];
  char impi[MBMSEC_STORE_IMPI_MAX + 1];
  uint8_t ks[MBMSEC_STORE_KS_LEN];
  uint8_t rand[MBMSEC_STORE_RAND_LEN];
  int64_t created;
  int64_t expires;
} mbmsec_store_bootstrap;

/* Called once per subscriber by mbmsec_store_subscriber_list. The struct is the store's and is
 * cleansed when the callback returns. Returning anything but MBMSEC_OK stops the listing and
 * that code is returned. The callback must not call the same handle (MBMSEC_ERR_STORE_REENTRANT);
 * collect IMPIs and act after the listing. */
typedef mbmsec_err (*mbmsec_store_subscriber_cb)(const mbmsec_store_subscriber *sub, void *arg);

/* Opens (creating if needed) the store named by uri and brings its schema to
 * MBMSEC_STORE_SCHEMA_VERSION, applying the numbered migrations in order in one transaction.
 * uri: "sqlite:PATH", "sqlite://PATH" (so "sqlite:///var/x.db" is /var/x.db) or a plain PATH;
 * a new SQLite file is created with mode 0600 (it holds K and OPc).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (uri or out NULL, uri empty or above MBMSEC_STORE_URI_MAX),
 * MBMSEC_ERR_STORE_BACKEND (postgresql:// or another scheme://: not built),
 * MBMSEC_ERR_STORE_OPEN, MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY, MBMSEC_ERR_STORE_CORRUPT
 * (not a database), MBMSEC_ERR_STORE_SCHEMA_NEWER (file written by a newer build; left
 * untouched), MBMSEC_ERR_STORE_SCHEMA, MBMSEC_ERR_NOMEM. *out is NULL on error. */
mbmsec_err mbmsec_store_open(const char *uri, mbmsec_store **out);

/* Makes this handle's process the store's one owner, as a daemon must be before it sends
 * anything: an exclusive lock that the system releases when the process ends, also on kill -9,
 * so that a restart takes it over. SQLite: flock(2) on the file "<path>.owner" beside the
 * database (mode 0600), which holds the owner's pid; admin commands do not take it. An
 * in-memory store needs none. The lock lasts until the handle is closed.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_OWNED (held by another process or handle;
 * *pid its pid when known, else 0; pid may be NULL), MBMSEC_ERR_STORE_OPEN (lock file). */
mbmsec_err mbmsec_store_owner_lock(mbmsec_store *st, long *pid);

/* Closes the handle and frees it; NULL is a no-op. */
void mbmsec_store_close(mbmsec_store *st);

/* The backend's name, "sqlite"; never NULL ("none" for NULL). */
const char *mbmsec_store_backend(const mbmsec_store *st);

/* The backend's message for the last failed call on this handle ("" if none), for logs. Valid
 * until the next call on the handle. Never contains key material. */
const char *mbmsec_store_errmsg(const mbmsec_store *st);

/* The schema version of the open store.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY,
 * MBMSEC_ERR_STORE_CORRUPT, MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_schema_version(mbmsec_store *st, uint32_t *version);

/* A number that differs from the one returned before whenever a change was committed to the
 * store since, by this handle or by any other handle or process (SQLite: PRAGMA data_version
 * for the others, the handle's own count of changed rows for itself). Equal numbers from two
 * calls mean nothing changed in between: a cache of the store's data read after the first
 * call is still good. One cheap read per call.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY,
 * MBMSEC_ERR_STORE_CORRUPT, MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_data_version(mbmsec_store *st, uint64_t *version);

/* Bulk imports (`mbmsec-bsf subscriber import`, `mbmsec-bmsc subscriber grant --file`): the
 * single-statement writes that follow on this handle (subscriber_add, subscription_grant and
 * _revoke) join one transaction, ended by commit (all durable at once) or rollback (none).
 * Other calls that run their own transaction (counter_reserve, msk_put, ...) fail inside a
 * batch. One batch at a time per handle, from one thread.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY,
 * MBMSEC_ERR_STORE_REENTRANT. */
mbmsec_err mbmsec_store_batch_begin(mbmsec_store *st);
mbmsec_err mbmsec_store_batch_commit(mbmsec_store *st);
/* Undoes every write since batch_begin; no-op without an open batch. */
void mbmsec_store_batch_rollback(mbmsec_store *st);

/* --- subscribers (HSS) --- */

/* Adds a subscriber. Nothing is stored on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (st, sub, sub->impi, k, opc or amf NULL),
 * MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_LENGTH (k, opc or amf of the wrong length),
 * MBMSEC_ERR_SQN_RANGE (sqn above 48 bits), MBMSEC_ERR_STORE_USS, MBMSEC_ERR_STORE_EXISTS,
 * MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY, MBMSEC_ERR_STORE_CORRUPT,
 * MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_subscriber_add(mbmsec_store *st, const mbmsec_store_subscriber_in *sub);

/* Reads a subscriber. out is zeroised on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_STORE_NOT_FOUND,
 * MBMSEC_ERR_STORE_CORRUPT (stored row of the wrong shape), MBMSEC_ERR_STORE_IO,
 * MBMSEC_ERR_STORE_BUSY, MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_subscriber_get(mbmsec_store *st, const char *impi,
                                       mbmsec_store_subscriber *out);

/* Calls cb for every subscriber in IMPI order (octet order).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (st or cb NULL), the first non-OK code cb returns,
 * MBMSEC_ERR_STORE_CORRUPT, MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY,
 * MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_subscriber_list(mbmsec_store *st, mbmsec_store_subscriber_cb cb, void *arg);

/* The AMF most subscribers have (ties: the lowest), for the BSF's decoy challenges: the AMF
 * travels in clear in AUTN, so a decoy must carry the common one. *found is 0 (amf untouched)
 * when there is no subscriber.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_CORRUPT, MBMSEC_ERR_STORE_IO,
 * MBMSEC_ERR_STORE_BUSY, MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_subscriber_amf_mode(mbmsec_store *st, uint8_t amf[2], int *found);

/* Deletes a subscriber and, with it, its bootstrap records.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_STORE_NOT_FOUND,
 * MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY, MBMSEC_ERR_STORE_CORRUPT,
 * MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_subscriber_delete(mbmsec_store *st, const char *impi);

/* Compare-and-set of the SQN: writes new_sqn only if the stored SQN equals expected, in one
 * atomic statement, so two bootstraps that read the same SQN cannot both advance from it: the
 * loser gets MBMSEC_ERR_STORE_SQN_CONFLICT, re-reads and retries. Any new_sqn is accepted
 * (resynchronisation may move SQN_HE back, TS 33.102 C.3.4).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_SQN_RANGE (expected or
 * new_sqn above 48 bits), MBMSEC_ERR_STORE_NOT_FOUND, MBMSEC_ERR_STORE_SQN_CONFLICT (nothing
 * written), MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY, MBMSEC_ERR_STORE_CORRUPT,
 * MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_subscriber_sqn_cas(mbmsec_store *st, const char *impi, uint64_t expected,
                                           uint64_t new_sqn);

/* Replaces the GBA user security settings (GSID list; "" or NULL for none).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_STORE_USS,
 * MBMSEC_ERR_STORE_NOT_FOUND, MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY,
 * MBMSEC_ERR_STORE_CORRUPT, MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_subscriber_set_uss(mbmsec_store *st, const char *impi, const char *uss);

/* 1 if the GSID list uss (as stored) names gsid, else 0. A helper for the BSF/NAF check. */
int mbmsec_store_uss_has_gsid(const char *uss, uint32_t gsid);

/* --- bootstrap records (BSF) --- */

/* Stores a bootstrap record. Nothing is stored on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (a pointer NULL), MBMSEC_ERR_STORE_BTID,
 * MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_LENGTH (ks or rand of the wrong length),
 * MBMSEC_ERR_STORE_LIFETIME, MBMSEC_ERR_STORE_EXISTS (B-TID already stored),
 * MBMSEC_ERR_STORE_NOT_FOUND (no subscriber with that IMPI), MBMSEC_ERR_STORE_IO,
 * MBMSEC_ERR_STORE_BUSY, MBMSEC_ERR_STORE_CORRUPT, MBMSEC_ERR_STORE_REENTRANT,
 * MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_bootstrap_put(mbmsec_store *st, const mbmsec_store_bootstrap_in *bs);

/* Reads the record of a B-TID, expired or not: the caller compares out->expires with its
 * clock (and a purge removes expired ones). out is zeroised on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_BTID, MBMSEC_ERR_STORE_NOT_FOUND,
 * MBMSEC_ERR_STORE_CORRUPT, MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY,
 * MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_bootstrap_get(mbmsec_store *st, const char *btid,
                                      mbmsec_store_bootstrap *out);

/* Deletes the record of a B-TID.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_BTID, MBMSEC_ERR_STORE_NOT_FOUND,
 * MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY, MBMSEC_ERR_STORE_CORRUPT,
 * MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_bootstrap_delete(mbmsec_store *st, const char *btid);

/* Deletes every record with expires <= now; *purged (may be NULL) gets how many.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY,
 * MBMSEC_ERR_STORE_CORRUPT, MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_bootstrap_purge(mbmsec_store *st, int64_t now, uint64_t *purged);

/* --- durable counters --- */

/* Reserves the block [*first, *first + block - 1] of the counter name (created on first use;
 * its first block starts at 1) and makes the reservation durable (committed and synced to
 * disk) before returning, so no value is ever handed out twice, even across a crash or power
 * loss: after a crash the unused rest of a block is skipped, never reused.
 * max is the largest value the counter may reach (e.g. UINT32_MAX for a 32-bit counter), at
 * most MBMSEC_STORE_COUNTER_MAX.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (st, name or first NULL, block 0, max 0 or above
 * MBMSEC_STORE_COUNTER_MAX), MBMSEC_ERR_STORE_NAME, MBMSEC_ERR_STORE_COUNTER_RANGE (the
 * block would pass max; nothing reserved), MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY,
 * MBMSEC_ERR_STORE_CORRUPT, MBMSEC_ERR_STORE_REENTRANT, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_store_counter_reserve(mbmsec_store *st, const char *name, uint64_t block,
                                        uint64_t max, uint64_t *first);

/* One durable counter as its users hand it out (profile P11: the per-MUK counter of MSK
 * messages, lib/bmsc/bmsc_delivery.c; the per-MSK counter of MTK messages, the daemon's
 * stream): values come from the block [next, end) reserved with mbmsec_store_counter_reserve,
 * and a new block is reserved, committed and synced, when it is used up, before any of its
 * values is handed out. So a value is never handed out twice, also across a crash: a process
 * that dies skips the rest of its block. Zeroed = no block yet. 16 octets, no lock: the owner
 * serialises its calls (e.g. under the UE's lock). */
typedef struct {
  uint64_t next, end; /* the reserved block in use: [next, end); next >= end: none left */
} mbmsec_store_ctr;

/* The name of a counter (1..MBMSEC_STORE_COUNTER_NAME_MAX printable octets) into out, called
 * only when a block must be reserved (so a name derived by hashing costs nothing per value). */
typedef mbmsec_err (*mbmsec_store_ctr_name_fn)(void *arg,
                                               char out[MBMSEC_STORE_COUNTER_NAME_MAX + 1]);

/* Reserves a new durable block of block values (largest value max, as counter_reserve) into
 * *c, dropping what was left of the old one. *c is unchanged on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (st, c or name NULL), the codes of name and of
 * mbmsec_store_counter_reserve. */
mbmsec_err mbmsec_store_ctr_reserve(mbmsec_store *st, mbmsec_store_ctr *c, uint64_t block,
                                    uint64_t max, mbmsec_store_ctr_name_fn name, void *arg);

/* The next value of *c into *value: from the block in use, or first a new block
 * (mbmsec_store_ctr_reserve) when it is used up. No store access while the block lasts.
 * @return MBMSEC_OK, the codes of mbmsec_store_ctr_reserve (*value untouched, *c unchanged:
 * nothing handed out). */
mbmsec_err mbmsec_store_ctr_next(mbmsec_store *st, mbmsec_store_ctr *c, uint64_t block,
                                 uint64_t max, mbmsec_store_ctr_name_fn name, void *arg,
                                 uint64_t *value);

/* --- BM-SC membership (migration 4) ---
 *
 * serviceId: 1..MBMSEC_STORE_SERVICE_ID_MAX octets of printable ASCII (0x21..0x7E), else
 * MBMSEC_ERR_STORE_SERVICE_ID. Key Domain ID 3 octets and MSK ID 4 octets (MBMSEC_ERR_LENGTH
 * otherwise); an MSK ID with key number 0 (reserved, P5) is MBMSEC_ERR_STORE_MSK_ID. Key
 * Groups are identified by (Key Domain ID, Key Group); a service's groups belong to its Key
 * Domain. Deleting a service deletes its key group links, subscriptions and registrations
 * (MSKs belong to the Key Domain and stay). */

/* A user service to add (input). */
typedef struct {
  const char *service_id;
  const uint8_t *kdid; /* kdid_len must be 3 */
  size_t kdid_len;
  int64_t msk_lifetime; /* seconds an MSK of this service is valid, >= 1 */
} mbmsec_store_service_in;

typedef struct {
  char service_id[MBMSEC_STORE_SERVICE_ID_MAX + 1];
  uint8_t kdid[MBMSEC_STORE_KDID_LEN];
  int64_t msk_lifetime;
} mbmsec_store_service;

/* An MSK to put (input). key is a secret: it is bound straight from the caller's buffer. */
typedef struct {
  const uint8_t *kdid; /* kdid_len must be 3 */
  size_t kdid_len;
  const uint8_t *msk_id; /* msk_id_len must be 4; key number (octets 2-3) not 0 */
  size_t msk_id_len;
  const uint8_t *key; /* key_len must be 16 */
  size_t key_len;
  int64_t valid_from; /* Unix seconds; valid in [valid_from, valid_to) */
  int64_t valid_to;   /* must be greater than valid_from */
  uint16_t vf, vt;    /* MTK ID range of the MSK (key validity VF..VT), vf <= vt */
  int64_t created;
} mbmsec_store_msk_in;

/* An MSK as read back. key is a secret: cleanse the struct after use. */
typedef struct {
  uint8_t kdid[MBMSEC_STORE_KDID_LEN];
  uint8_t msk_id[MBMSEC_STORE_MSK_ID_LEN];
  uint8_t key[MBMSEC_STORE_MSK_LEN];
  int64_t valid_from, valid_to;
  uint16_t vf, vt;
  int64_t created;
} mbmsec_store_msk;

/* A registration to put (input). */
typedef struct {
  const char *impi;
  const char *btid;       /* the B-TID the UE registered with (its MUK comes from it) */
  const char *service_id; /* a stored service */
  const char *ue_addr;    /* where MIKEY messages go, e.g. "192.0.2.7:2269"; 1..63 printable */
  int64_t created;
} mbmsec_store_registration_in;

typedef struct {
  char impi[MBMSEC_STORE_IMPI_MAX + 1];
  char btid[MBMSEC_STORE_BTID_MAX + 1];
  char service_id[MBMSEC_STORE_SERVICE_ID_MAX + 1];
  char ue_addr[MBMSEC_STORE_UE_ADDR_MAX + 1];
  int64_t created;
} mbmsec_store_registration;

/* List callbacks: same rules as mbmsec_store_subscriber_cb (the struct is the store's, a
 * non-OK return stops the listing and is returned, no calls on the same handle). */
typedef mbmsec_err (*mbmsec_store_service_cb)(const mbmsec_store_service *svc, void *arg);
typedef mbmsec_err (*mbmsec_store_registration_cb)(const mbmsec_store_registration *reg, void *arg);

/* Codes every call below can also give: MBMSEC_ERR_STORE_IO, MBMSEC_ERR_STORE_BUSY,
 * MBMSEC_ERR_STORE_CORRUPT (a stored row of the wrong shape), MBMSEC_ERR_STORE_REENTRANT,
 * MBMSEC_ERR_NOMEM. They are written "+ io" below. */

/* Adds a user service. Nothing is stored on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (a pointer NULL), MBMSEC_ERR_STORE_SERVICE_ID,
 * MBMSEC_ERR_LENGTH (kdid), MBMSEC_ERR_STORE_VALIDITY (msk_lifetime < 1),
 * MBMSEC_ERR_STORE_EXISTS, + io. */
mbmsec_err mbmsec_store_service_add(mbmsec_store *st, const mbmsec_store_service_in *svc);

/* Reads a user service; out is zeroised on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_SERVICE_ID, MBMSEC_ERR_STORE_NOT_FOUND,
 * + io. */
mbmsec_err mbmsec_store_service_get(mbmsec_store *st, const char *service_id,
                                    mbmsec_store_service *out);

/* Calls cb for every service in serviceId order (octet order).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, the first non-OK code of cb, + io. */
mbmsec_err mbmsec_store_service_list(mbmsec_store *st, mbmsec_store_service_cb cb, void *arg);

/* Deletes a service with its key group links, subscriptions and registrations.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_SERVICE_ID, MBMSEC_ERR_STORE_NOT_FOUND,
 * + io. */
mbmsec_err mbmsec_store_service_delete(mbmsec_store *st, const char *service_id);

/* Links Key Group key_group (of the service's Key Domain) to the service.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_SERVICE_ID, MBMSEC_ERR_STORE_NOT_FOUND
 * (no such service), MBMSEC_ERR_STORE_EXISTS (already linked), + io. */
mbmsec_err mbmsec_store_key_group_add(mbmsec_store *st, const char *service_id, uint16_t key_group);

/* The Key Groups of a service in ascending order into groups[0..*n). *n is 0 on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (st, service_id, n NULL; groups NULL with cap > 0),
 * MBMSEC_ERR_STORE_SERVICE_ID, MBMSEC_ERR_STORE_NOT_FOUND (no such service), MBMSEC_ERR_SPACE
 * (more than cap groups), + io. */
mbmsec_err mbmsec_store_key_group_list(mbmsec_store *st, const char *service_id, uint16_t *groups,
                                       size_t cap, size_t *n);

/* Calls cb for every service that uses Key Group (kdid, key_group), in serviceId order.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_LENGTH (kdid_len), the first non-OK code of
 * cb, + io. */
mbmsec_err mbmsec_store_key_group_services(mbmsec_store *st, const uint8_t *kdid, size_t kdid_len,
                                           uint16_t key_group, mbmsec_store_service_cb cb,
                                           void *arg);

/* Stores an MSK. Nothing is stored on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (a pointer NULL), MBMSEC_ERR_LENGTH (kdid, msk_id or key),
 * MBMSEC_ERR_STORE_MSK_ID (key number 0), MBMSEC_ERR_STORE_VALIDITY (valid_to <= valid_from
 * or vf > vt), MBMSEC_ERR_STORE_EXISTS (that MSK ID is stored), + io. */
mbmsec_err mbmsec_store_msk_put(mbmsec_store *st, const mbmsec_store_msk_in *msk);

/* Reads an MSK; out is zeroised on error (cleanse it after use on success).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_LENGTH, MBMSEC_ERR_STORE_MSK_ID,
 * MBMSEC_ERR_STORE_NOT_FOUND, + io. */
mbmsec_err mbmsec_store_msk_get(mbmsec_store *st, const uint8_t *kdid, size_t kdid_len,
                                const uint8_t *msk_id, size_t msk_id_len, mbmsec_store_msk *out);

/* The MSKs of Key Group (kdid, key_group), newest (highest key number) first: the first
 * min(cap, stored) of them into out[0..*n). Keys included: cleanse out[0..cap) after use.
 * *total (may be NULL) gets how many are stored. out[*n..cap) is zeroised.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (st, kdid, n NULL; out NULL with cap > 0),
 * MBMSEC_ERR_LENGTH, + io. */
mbmsec_err mbmsec_store_msk_list(mbmsec_store *st, const uint8_t *kdid, size_t kdid_len,
                                 uint16_t key_group, mbmsec_store_msk *out, size_t cap, size_t *n,
                                 size_t *total);

/* Deletes an MSK (secure_delete overwrites its row in the file).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_LENGTH, MBMSEC_ERR_STORE_MSK_ID,
 * MBMSEC_ERR_STORE_NOT_FOUND, + io. */
mbmsec_err mbmsec_store_msk_delete(mbmsec_store *st, const uint8_t *kdid, size_t kdid_len,
                                   const uint8_t *msk_id, size_t msk_id_len);

/* Grants the subscriber impi the service; granting again is MBMSEC_OK. The IMPI need not be a
 * stored subscriber (the HSS may be remote, behind Zn).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_STORE_SERVICE_ID,
 * MBMSEC_ERR_STORE_NOT_FOUND (no such service), + io. */
mbmsec_err mbmsec_store_subscription_grant(mbmsec_store *st, const char *impi,
                                           const char *service_id);

/* Revokes a subscription (registrations are left to the caller).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_STORE_SERVICE_ID,
 * MBMSEC_ERR_STORE_NOT_FOUND (not granted), + io. */
mbmsec_err mbmsec_store_subscription_revoke(mbmsec_store *st, const char *impi,
                                            const char *service_id);

/* *granted = 1 when impi is subscribed to service_id, else 0 (0 on error too).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_STORE_SERVICE_ID, + io. */
mbmsec_err mbmsec_store_subscription_check(mbmsec_store *st, const char *impi,
                                           const char *service_id, int *granted);

/* Calls cb for every service impi is subscribed to, in serviceId order.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, the first non-OK code of cb, + io. */
mbmsec_err mbmsec_store_subscription_list(mbmsec_store *st, const char *impi,
                                          mbmsec_store_service_cb cb, void *arg);

/* Records that impi registered to the service (one row per IMPI and service): a second put
 * replaces B-TID, UE address and created (re-registration after a new bootstrap).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_STORE_BTID,
 * MBMSEC_ERR_STORE_SERVICE_ID, MBMSEC_ERR_STORE_UE_ADDR, MBMSEC_ERR_STORE_NOT_FOUND (no such
 * service), + io. */
mbmsec_err mbmsec_store_registration_put(mbmsec_store *st, const mbmsec_store_registration_in *reg);

/* Reads the registration of (impi, service_id); out is zeroised on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_STORE_SERVICE_ID,
 * MBMSEC_ERR_STORE_NOT_FOUND, + io. */
mbmsec_err mbmsec_store_registration_get(mbmsec_store *st, const char *impi, const char *service_id,
                                         mbmsec_store_registration *out);

/* Deletes the registration of (impi, service_id).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_STORE_SERVICE_ID,
 * MBMSEC_ERR_STORE_NOT_FOUND, + io. */
mbmsec_err mbmsec_store_registration_delete(mbmsec_store *st, const char *impi,
                                            const char *service_id);

/* Calls cb for every registration to service_id, in IMPI order.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_SERVICE_ID, the first non-OK code of cb,
 * + io. */
mbmsec_err mbmsec_store_registration_list_by_service(mbmsec_store *st, const char *service_id,
                                                     mbmsec_store_registration_cb cb, void *arg);

/* Calls cb for every registration of impi, in serviceId order.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, the first non-OK code of cb, + io. */
mbmsec_err mbmsec_store_registration_list_by_impi(mbmsec_store *st, const char *impi,
                                                  mbmsec_store_registration_cb cb, void *arg);

/* Calls cb for every registration made with btid, in serviceId order.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_BTID, the first non-OK code of cb, + io. */
mbmsec_err mbmsec_store_registration_list_by_btid(mbmsec_store *st, const char *btid,
                                                  mbmsec_store_registration_cb cb, void *arg);

#endif
