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

  mbmsec_err (*subscriber_add)(mbmsec_store *st, const mbmsec_store_subscriber_in *sub);
  mbmsec_err (*subscriber_get)(mbmsec_store *st, const char *impi, mbmsec_store_subscriber *out);
  mbmsec_err (*subscriber_list)(mbmsec_store *st, mbmsec_store_subscriber_cb cb, void *arg);
  mbmsec_err (*subscriber_delete)(mbmsec_store *st, const char *impi);
  mbmsec_err (*subscriber_sqn_cas)(mbmsec_store *st, const char *impi, uint64_t expected,
                                   uint64_t new_sqn);
  mbmsec_err (*subscriber_set_uss)(mbmsec_store *st, const char *impi, const char *uss);

  mbmsec_err (*bootstrap_put)(mbmsec_store *st, const mbmsec_store_bootstrap_in *bs);
  mbmsec_err (*bootstrap_get)(mbmsec_store *st, const char *btid, mbmsec_store_bootstrap *out);
  mbmsec_err (*bootstrap_delete)(mbmsec_store *st, const char *btid);
  mbmsec_err (*bootstrap_purge)(mbmsec_store *st, int64_t now, uint64_t *purged);

  /* block >= 1, max <= MBMSEC_STORE_COUNTER_MAX, checked by the caller. */
  mbmsec_err (*counter_reserve)(mbmsec_store *st, const char *name, uint64_t block,
                                uint64_t max, uint64_t *first);
} mbmsec_store_ops;

struct mbmsec_store {
  const mbmsec_store_ops *ops;
};

/* SQLite backend (store_sqlite.c). path is a file name or ":memory:". */
mbmsec_err mbmsec_store_sqlite_open(const char *path, mbmsec_store **out);

/* SQLite schema (store_sqlite_schema.c): migration i (1-based) brings version i-1 to i. */
typedef struct {
  uint32_t version;
  const char *concern; /* what the migration is for, e.g. "hss: subscribers" */
  const char *sql;     /* one or more statements, run inside the open transaction */
} mbmsec_store_sqlite_migration;

extern const mbmsec_store_sqlite_migration mbmsec_store_sqlite_migrations[];
extern const size_t mbmsec_store_sqlite_nmigrations;

#endif
