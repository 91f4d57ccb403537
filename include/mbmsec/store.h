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
 * - named counters handed out in durable blocks (MIKEY counters, B-TID serials, ...).
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

#define MBMSEC_STORE_IMPI_MAX 255         /* octets, without the NUL */
#define MBMSEC_STORE_BTID_MAX 255         /* octets, without the NUL */
#define MBMSEC_STORE_USS_MAX 255          /* octets of the GSID list, without the NUL */
#define MBMSEC_STORE_COUNTER_NAME_MAX 64  /* octets, without the NUL */
#define MBMSEC_STORE_URI_MAX 4096
#define MBMSEC_STORE_K_LEN 16
#define MBMSEC_STORE_OPC_LEN 16
#define MBMSEC_STORE_AMF_LEN 2
#define MBMSEC_STORE_KS_LEN 32
#define MBMSEC_STORE_RAND_LEN 16
#define MBMSEC_STORE_SQN_MAX ((((uint64_t)1) << 48) - 1)
/* Largest value a counter can reach in any backend (SQLite integers are signed 64-bit and the
 * store keeps the next free value, so the last value is one below INT64_MAX). */
#define MBMSEC_STORE_COUNTER_MAX ((uint64_t)INT64_MAX - 1)
/* How long a call waits for another writer before MBMSEC_ERR_STORE_BUSY. */
#define MBMSEC_STORE_BUSY_TIMEOUT_MS 5000
/* Schema version this build creates and understands. */
#define MBMSEC_STORE_SCHEMA_VERSION 3

typedef struct mbmsec_store mbmsec_store;

/* A subscriber to add (input: pointers and lengths, all checked). */
typedef struct {
  const char *impi;    /* NUL-terminated, 1..255 octets of printable ASCII (0x21..0x7E) */
  const uint8_t *k;    /* k_len must be 16 */
  size_t k_len;
  const uint8_t *opc;  /* opc_len must be 16; the caller derives OPc from OP first */
  size_t opc_len;
  uint64_t sqn;        /* SEQ || IND, at most MBMSEC_STORE_SQN_MAX */
  const uint8_t *amf;  /* amf_len must be 2 */
  size_t amf_len;
  const char *uss;     /* GSID list, e.g. "4" or "4,1"; "" or NULL for none */
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
  const char *btid;    /* NUL-terminated, 1..255 octets of printable ASCII */
  const char *impi;    /* an IMPI already stored as a subscriber */
  const uint8_t *ks;   /* ks_len must be 32 (CK || IK) */
  size_t ks_len;
  const uint8_t *rand; /* rand_len must be 16 */
  size_t rand_len;
  int64_t created;
  int64_t expires;     /* must be greater than created */
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

#endif
