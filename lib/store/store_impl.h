/* Internal: the store's backend interface. Not installed.
 *
 * A backend defines a struct whose first member is `mbmsec_store base`, fills one
 * mbmsec_store_ops table, and adds an open function to the scheme table in store.c. store.c
 * checks every argument (NULLs, lengths, IMPI/B-TID/USS/name syntax, ranges) before calling an
 * op, so ops may trust their inputs. Ops do their own locking (the handle may be shared by
 * threads) and must return only the codes listed in include/mbmsec/store.h. An op that reads
 * secrets copies them into the caller's struct and cleanses every buffer it owns.
 */
#ifndef MBMSEC_STORE_IMPL_H
#define MBMSEC_STORE_IMPL_H
#include "mbmsec/store.h"

typedef struct mbmsec_store_ops {
  const char *name;
  void (*close)(mbmsec_store *st);
  const char *(*errmsg)(const mbmsec_store *st);
  mbmsec_err (*schema_version)(mbmsec_store *st, uint32_t *version);
  mbmsec_err (*data_version)(mbmsec_store *st, uint64_t *version);
  /* what: 0 begin, 1 commit, 2 rollback (mbmsec_store_batch_*). */
  mbmsec_err (*batch)(mbmsec_store *st, int what);
  /* pid: the holder's process id when MBMSEC_ERR_STORE_OWNED, else untouched. */
  mbmsec_err (*owner_lock)(mbmsec_store *st, long *pid);

  mbmsec_err (*subscriber_add)(mbmsec_store *st, const mbmsec_store_subscriber_in *sub);
  mbmsec_err (*subscriber_get)(mbmsec_store *st, const char *impi, mbmsec_store_subscriber *out);
  mbmsec_err (*subscriber_list)(mbmsec_store *st, mbmsec_store_subscriber_cb cb, void *arg);
  mbmsec_err (*subscriber_delete)(mbmsec_store *st, const char *impi);
  mbmsec_err (*subscriber_sqn_cas)(mbmsec_store *st, const char *impi, uint64_t expected,
                                   uint64_t new_sqn);
  mbmsec_err (*subscriber_set_uss)(mbmsec_store *st, const char *impi, const char *uss);
  mbmsec_err (*subscriber_amf_mode)(mbmsec_store *st, uint8_t amf[2], int *found);

  mbmsec_err (*bootstrap_put)(mbmsec_store *st, const mbmsec_store_bootstrap_in *bs);
  mbmsec_err (*bootstrap_get)(mbmsec_store *st, const char *btid, mbmsec_store_bootstrap *out);
  mbmsec_err (*bootstrap_delete)(mbmsec_store *st, const char *btid);
  mbmsec_err (*bootstrap_purge)(mbmsec_store *st, int64_t now, uint64_t *purged);

  /* block >= 1, max <= MBMSEC_STORE_COUNTER_MAX, checked by the caller. */
  mbmsec_err (*counter_reserve)(mbmsec_store *st, const char *name, uint64_t block, uint64_t max,
                                uint64_t *first);

  /* BM-SC membership (migration 4). */
  mbmsec_err (*service_add)(mbmsec_store *st, const mbmsec_store_service_in *svc);
  mbmsec_err (*service_get)(mbmsec_store *st, const char *service_id, mbmsec_store_service *out);
  mbmsec_err (*service_list)(mbmsec_store *st, mbmsec_store_service_cb cb, void *arg);
  mbmsec_err (*service_delete)(mbmsec_store *st, const char *service_id);
  mbmsec_err (*key_group_add)(mbmsec_store *st, const char *service_id, uint16_t key_group);
  /* groups may be NULL only when cap is 0. */
  mbmsec_err (*key_group_list)(mbmsec_store *st, const char *service_id, uint16_t *groups,
                               size_t cap, size_t *n);
  mbmsec_err (*key_group_services)(mbmsec_store *st, const uint8_t *kdid, uint16_t key_group,
                                   mbmsec_store_service_cb cb, void *arg);
  mbmsec_err (*msk_put)(mbmsec_store *st, const mbmsec_store_msk_in *msk);
  mbmsec_err (*msk_get)(mbmsec_store *st, const uint8_t *kdid, const uint8_t *msk_id,
                        mbmsec_store_msk *out);
  /* out zeroised by the caller; total never NULL. */
  mbmsec_err (*msk_list)(mbmsec_store *st, const uint8_t *kdid, uint16_t key_group,
                         mbmsec_store_msk *out, size_t cap, size_t *n, size_t *total);
  mbmsec_err (*msk_delete)(mbmsec_store *st, const uint8_t *kdid, const uint8_t *msk_id);
  mbmsec_err (*subscription_grant)(mbmsec_store *st, const char *impi, const char *service_id);
  mbmsec_err (*subscription_revoke)(mbmsec_store *st, const char *impi, const char *service_id);
  mbmsec_err (*subscription_check)(mbmsec_store *st, const char *impi, const char *service_id,
                                   int *granted);
  mbmsec_err (*subscription_list)(mbmsec_store *st, const char *impi, mbmsec_store_service_cb cb,
                                  void *arg);
  mbmsec_err (*registration_put)(mbmsec_store *st, const mbmsec_store_registration_in *reg);
  mbmsec_err (*registration_get)(mbmsec_store *st, const char *impi, const char *service_id,
                                 mbmsec_store_registration *out);
  mbmsec_err (*registration_delete)(mbmsec_store *st, const char *impi, const char *service_id);
  /* by: 0 service, 1 IMPI, 2 B-TID; key is that value. */
  mbmsec_err (*registration_list)(mbmsec_store *st, int by, const char *key,
                                  mbmsec_store_registration_cb cb, void *arg);
} mbmsec_store_ops;

struct mbmsec_store {
  const mbmsec_store_ops *ops;
};

/* SQLite backend (store_sqlite.c). path is a file name or ":memory:". */
mbmsec_err mbmsec_store_sqlite_open(const char *path, mbmsec_store **out);

#ifdef MBMSEC_STORE_SQLITE_INTERNALS
/* SQLite backend internals shared by store_sqlite.c (subscribers, bootstrap, counters, open)
 * and store_sqlite_bmsc.c (BM-SC membership). Only those two files define the macro (and
 * tests/store/test_store.c, to look inside a handle). */
#include <pthread.h>
#include <sqlite3.h>

/* Prepared-statement slots of a handle: store_sqlite.c uses [0, MBMSEC_SQLITE_BMSC_FIRST),
 * store_sqlite_bmsc.c [MBMSEC_SQLITE_BMSC_FIRST, MBMSEC_SQLITE_NSTMT). */
#define MBMSEC_SQLITE_BMSC_FIRST 32
#define MBMSEC_SQLITE_NSTMT      64

typedef struct {
  mbmsec_store base; /* first: the handle callers hold */
  sqlite3 *db;
  pthread_mutex_t mu; /* error-checking: a re-entrant call fails instead of deadlocking */
  sqlite3_stmt *stmt[MBMSEC_SQLITE_NSTMT];
  char errmsg[256];
  /* mbmsec_store_data_version's shortcut (store_sqlite.c): SQLite's own mapping of the
   * WAL-index header (NULL: none, always ask SQLite) and what it held at the last answer. */
  const volatile uint32_t *wal_hdr;
  uint32_t wal_seen[12];
  sqlite3_int64 changes_seen;
  uint64_t version_seen;
  int have_seen;
  int owner_fd; /* the owner lock's file (<path>.owner), -1 when not taken */
  char path[MBMSEC_STORE_URI_MAX + 1];
} mbmsec_sqlite_store;

mbmsec_err mbmsec_sqlite_map_rc(mbmsec_sqlite_store *s, int rc);
mbmsec_err mbmsec_sqlite_lock(mbmsec_sqlite_store *s);
void mbmsec_sqlite_unlock(mbmsec_sqlite_store *s);
/* The statement of slot id with text sql, prepared on first use. */
mbmsec_err mbmsec_sqlite_stmt(mbmsec_sqlite_store *s, int id, const char *sql, sqlite3_stmt **out);
void mbmsec_sqlite_done(sqlite3_stmt *q);
mbmsec_err mbmsec_sqlite_begin(mbmsec_sqlite_store *s);
mbmsec_err mbmsec_sqlite_commit(mbmsec_sqlite_store *s);
void mbmsec_sqlite_rollback(mbmsec_sqlite_store *s);
mbmsec_err mbmsec_sqlite_bind_text(mbmsec_sqlite_store *s, sqlite3_stmt *q, int i, const char *t);
mbmsec_err mbmsec_sqlite_bind_blob(mbmsec_sqlite_store *s, sqlite3_stmt *q, int i, const uint8_t *b,
                                   size_t n);
mbmsec_err mbmsec_sqlite_bind_i64(mbmsec_sqlite_store *s, sqlite3_stmt *q, int i, int64_t v);
mbmsec_err mbmsec_sqlite_col_blob(mbmsec_sqlite_store *s, sqlite3_stmt *q, int i, uint8_t *dst,
                                  size_t n);
mbmsec_err mbmsec_sqlite_col_text(mbmsec_sqlite_store *s, sqlite3_stmt *q, int i, char *dst,
                                  size_t cap);
mbmsec_err mbmsec_sqlite_col_i64(mbmsec_sqlite_store *s, sqlite3_stmt *q, int i, int64_t lo,
                                 int64_t hi, int64_t *v);

/* The membership ops (store_sqlite_bmsc.c), put in the SQLite ops table by store_sqlite.c. */
mbmsec_err mbmsec_sqlite_service_add(mbmsec_store *st, const mbmsec_store_service_in *svc);
mbmsec_err mbmsec_sqlite_service_get(mbmsec_store *st, const char *service_id,
                                     mbmsec_store_service *out);
mbmsec_err mbmsec_sqlite_service_list(mbmsec_store *st, mbmsec_store_service_cb cb, void *arg);
mbmsec_err mbmsec_sqlite_service_delete(mbmsec_store *st, const char *service_id);
mbmsec_err mbmsec_sqlite_key_group_add(mbmsec_store *st, const char *service_id,
                                       uint16_t key_group);
mbmsec_err mbmsec_sqlite_key_group_list(mbmsec_store *st, const char *service_id, uint16_t *groups,
                                        size_t cap, size_t *n);
mbmsec_err mbmsec_sqlite_key_group_services(mbmsec_store *st, const uint8_t *kdid,
                                            uint16_t key_group, mbmsec_store_service_cb cb,
                                            void *arg);
mbmsec_err mbmsec_sqlite_msk_put(mbmsec_store *st, const mbmsec_store_msk_in *msk);
mbmsec_err mbmsec_sqlite_msk_get(mbmsec_store *st, const uint8_t *kdid, const uint8_t *msk_id,
                                 mbmsec_store_msk *out);
mbmsec_err mbmsec_sqlite_msk_list(mbmsec_store *st, const uint8_t *kdid, uint16_t key_group,
                                  mbmsec_store_msk *out, size_t cap, size_t *n, size_t *total);
mbmsec_err mbmsec_sqlite_msk_delete(mbmsec_store *st, const uint8_t *kdid, const uint8_t *msk_id);
mbmsec_err mbmsec_sqlite_subscription_grant(mbmsec_store *st, const char *impi,
                                            const char *service_id);
mbmsec_err mbmsec_sqlite_subscription_revoke(mbmsec_store *st, const char *impi,
                                             const char *service_id);
mbmsec_err mbmsec_sqlite_subscription_check(mbmsec_store *st, const char *impi,
                                            const char *service_id, int *granted);
mbmsec_err mbmsec_sqlite_subscription_list(mbmsec_store *st, const char *impi,
                                           mbmsec_store_service_cb cb, void *arg);
mbmsec_err mbmsec_sqlite_registration_put(mbmsec_store *st,
                                          const mbmsec_store_registration_in *reg);
mbmsec_err mbmsec_sqlite_registration_get(mbmsec_store *st, const char *impi,
                                          const char *service_id, mbmsec_store_registration *out);
mbmsec_err mbmsec_sqlite_registration_delete(mbmsec_store *st, const char *impi,
                                             const char *service_id);
mbmsec_err mbmsec_sqlite_registration_list(mbmsec_store *st, int by, const char *key,
                                           mbmsec_store_registration_cb cb, void *arg);
#endif

/* SQLite schema (store_sqlite_schema.c): migration i (1-based) brings version i-1 to i. */
typedef struct {
  uint32_t version;
  const char *concern; /* what the migration is for, e.g. "hss: subscribers" */
  const char *sql;     /* one or more statements, run inside the open transaction */
} mbmsec_store_sqlite_migration;

extern const mbmsec_store_sqlite_migration mbmsec_store_sqlite_migrations[];
extern const size_t mbmsec_store_sqlite_nmigrations;

#endif
