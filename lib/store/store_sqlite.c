/* The SQLite backend: one database file, WAL, synchronous=FULL, statements prepared once per
 * handle, a per-handle mutex.
 *
 * Durability (docs/store.md): in WAL mode synchronous=FULL fsyncs the WAL at every commit, so
 * a call that returned MBMSEC_OK survives a crash of the process and a power loss. NORMAL would
 * survive a process crash but could lose the last commits on power loss; for a counter block or
 * an SQN that would hand the same value out again, so FULL is set on the whole connection
 * (one fsync per write; the store is not on a per-packet path: counters are reserved in blocks).
 *
 * Secrets: K, OPc and Ks are bound with SQLITE_STATIC straight from the caller's buffers and
 * unbound (sqlite3_clear_bindings) before the call returns; read back, they are copied from
 * SQLite's column memory into the caller's struct. Buffers of this file that held them are
 * cleansed. secure_delete=ON overwrites deleted rows in the file. SQLite's own page cache and
 * temporary buffers are its memory and are not cleansed (docs/store.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <sys/file.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define MBMSEC_STORE_SQLITE_INTERNALS
#include "guard.h"
#include "mbmsec/crypto.h"
#include "store_impl.h"

enum stmt_id {
  Q_BEGIN,
  Q_COMMIT,
  Q_ROLLBACK,
  Q_SCHEMA_VERSION,
  Q_SUB_ADD,
  Q_SUB_GET,
  Q_SUB_LIST,
  Q_SUB_EXISTS,
  Q_SUB_DELETE,
  Q_SUB_CAS,
  Q_SUB_SET_USS,
  Q_SUB_AMF_MODE,
  Q_BS_PUT,
  Q_BS_GET,
  Q_BS_DELETE,
  Q_BS_PURGE,
  Q_CTR_GET,
  Q_CTR_SET,
  Q_DATA_VERSION,
  Q_COUNT
};

static const char *const stmt_sql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SCHEMA_VERSION] = "SELECT COALESCE(MAX(version), 0) FROM schema_version",
    [Q_SUB_ADD] =
        "INSERT INTO subscriber (impi, k, opc, sqn, amf, uss) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_SUB_GET] = "SELECT impi, k, opc, sqn, amf, uss FROM subscriber WHERE impi = ?1",
    [Q_SUB_LIST] = "SELECT impi, k, opc, sqn, amf, uss FROM subscriber ORDER BY CAST(impi AS BLOB)",
    [Q_SUB_EXISTS] = "SELECT 1 FROM subscriber WHERE impi = ?1",
    [Q_SUB_DELETE] = "DELETE FROM subscriber WHERE impi = ?1",
    [Q_SUB_CAS] = "UPDATE subscriber SET sqn = ?3 WHERE impi = ?1 AND sqn = ?2",
    [Q_SUB_SET_USS] = "UPDATE subscriber SET uss = ?2 WHERE impi = ?1",
    [Q_SUB_AMF_MODE] =
        "SELECT amf FROM subscriber GROUP BY amf ORDER BY count(*) DESC, amf LIMIT 1",
    [Q_BS_PUT] = "INSERT INTO bootstrap (btid, impi, ks, rand, created, expires)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_BS_GET] = "SELECT btid, impi, ks, rand, created, expires FROM bootstrap WHERE btid = ?1",
    [Q_BS_DELETE] = "DELETE FROM bootstrap WHERE btid = ?1",
    [Q_BS_PURGE] = "DELETE FROM bootstrap WHERE expires <= ?1",
    [Q_CTR_GET] = "SELECT next FROM counter WHERE name = ?1",
    [Q_CTR_SET] = "INSERT INTO counter (name, next) VALUES (?1, ?2)"
                  " ON CONFLICT (name) DO UPDATE SET next = excluded.next",
    [Q_DATA_VERSION] = "PRAGMA data_version",
};

/* The handle (store_impl.h); statement slots after Q_COUNT belong to store_sqlite_bmsc.c. */
typedef mbmsec_sqlite_store sqlite_store;
_Static_assert(Q_COUNT <= MBMSEC_SQLITE_BMSC_FIRST, "statement slots overlap");

static sqlite_store *impl(mbmsec_store *st) { return (sqlite_store *)st; }

/* ---- errors, locking, statements ---- */

static mbmsec_err map_rc(sqlite_store *s, int rc)
{
  /* sqlite3_errmsg names tables, columns and constraints, never bound values. */
  snprintf(s->errmsg, sizeof s->errmsg, "sqlite: %s (%d)", sqlite3_errmsg(s->db), rc);
  switch (rc) {
  case SQLITE_CONSTRAINT_PRIMARYKEY:
  case SQLITE_CONSTRAINT_UNIQUE:
    return MBMSEC_ERR_STORE_EXISTS;
  case SQLITE_CONSTRAINT_FOREIGNKEY:
    return MBMSEC_ERR_STORE_NOT_FOUND;
  default:
    break;
  }
  switch (rc & 0xff) {
  case SQLITE_NOMEM:
    return MBMSEC_ERR_NOMEM;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return MBMSEC_ERR_STORE_BUSY;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
  case SQLITE_FORMAT:
    return MBMSEC_ERR_STORE_CORRUPT;
  case SQLITE_CANTOPEN:
    return MBMSEC_ERR_STORE_OPEN;
  default:
    return MBMSEC_ERR_STORE_IO;
  }
}

static mbmsec_err lock(sqlite_store *s)
{
  int e = pthread_mutex_lock(&s->mu);
  if (e == EDEADLK) return MBMSEC_ERR_STORE_REENTRANT;
  ENSURE(e == 0, MBMSEC_ERR_STORE_IO);
  s->errmsg[0] = '\0';
  return MBMSEC_OK;
}

static void unlock(sqlite_store *s) { pthread_mutex_unlock(&s->mu); }

/* The cached statement of slot id, prepared on first use from sql. */
static mbmsec_err stmt_slot(sqlite_store *s, int id, const char *sql, sqlite3_stmt **out)
{
  *out = NULL;
  if (s->stmt[id] == NULL) {
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL);
    if (rc != SQLITE_OK) {
      s->stmt[id] = NULL;
      return map_rc(s, rc);
    }
  }
  *out = s->stmt[id];
  return MBMSEC_OK;
}

static mbmsec_err stmt(sqlite_store *s, enum stmt_id id, sqlite3_stmt **out)
{
  return stmt_slot(s, (int)id, stmt_sql[id], out);
}

/* Resets a statement and drops its bindings (the pointers to the caller's secrets). */
static void done(sqlite3_stmt *q)
{
  if (q != NULL) {
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
  }
}

/* Runs a statement without rows or parameters (BEGIN, COMMIT, ROLLBACK). */
static mbmsec_err run(sqlite_store *s, enum stmt_id id)
{
  sqlite3_stmt *q;
  GUARD(stmt(s, id, &q));
  int rc = sqlite3_step(q);
  done(q);
  ENSURE(rc == SQLITE_DONE, map_rc(s, rc));
  return MBMSEC_OK;
}

static void rollback(sqlite_store *s)
{
  if (!sqlite3_get_autocommit(s->db)) {
    char keep[sizeof s->errmsg];
    memcpy(keep, s->errmsg, sizeof keep); /* report the first failure, not the rollback's */
    (void)run(s, Q_ROLLBACK);
    memcpy(s->errmsg, keep, sizeof keep);
  }
}

static mbmsec_err bind_rc(sqlite_store *s, int rc)
{
  return rc == SQLITE_OK ? MBMSEC_OK : map_rc(s, rc);
}

static mbmsec_err bind_text(sqlite_store *s, sqlite3_stmt *q, int i, const char *t)
{
  return bind_rc(s, sqlite3_bind_text(q, i, t, -1, SQLITE_STATIC));
}

static mbmsec_err bind_blob(sqlite_store *s, sqlite3_stmt *q, int i, const uint8_t *b, size_t n)
{
  return bind_rc(s, sqlite3_bind_blob(q, i, b, (int)n, SQLITE_STATIC));
}

static mbmsec_err bind_i64(sqlite_store *s, sqlite3_stmt *q, int i, int64_t v)
{
  return bind_rc(s, sqlite3_bind_int64(q, i, v));
}

/* ---- reading columns into fixed-size fields, checking their shape ---- */

static mbmsec_err col_blob(sqlite_store *s, sqlite3_stmt *q, int i, uint8_t *dst, size_t n)
{
  if (sqlite3_column_type(q, i) != SQLITE_BLOB || (size_t)sqlite3_column_bytes(q, i) != n) {
    snprintf(s->errmsg, sizeof s->errmsg, "sqlite: column %s is not a %zu-octet blob",
             sqlite3_column_name(q, i), n);
    return MBMSEC_ERR_STORE_CORRUPT;
  }
  const void *p = sqlite3_column_blob(q, i);
  ENSURE(p != NULL, MBMSEC_ERR_NOMEM);
  memcpy(dst, p, n);
  return MBMSEC_OK;
}

/* Text of at most cap - 1 octets without NUL inside, copied with its NUL. */
static mbmsec_err col_text(sqlite_store *s, sqlite3_stmt *q, int i, char *dst, size_t cap)
{
  if (sqlite3_column_type(q, i) != SQLITE_TEXT) {
    snprintf(s->errmsg, sizeof s->errmsg, "sqlite: column %s is not text",
             sqlite3_column_name(q, i));
    return MBMSEC_ERR_STORE_CORRUPT;
  }
  const unsigned char *p = sqlite3_column_text(q, i);
  ENSURE(p != NULL, MBMSEC_ERR_NOMEM);
  size_t n = (size_t)sqlite3_column_bytes(q, i);
  if (n >= cap || memchr(p, '\0', n) != NULL) {
    snprintf(s->errmsg, sizeof s->errmsg, "sqlite: column %s is too long",
             sqlite3_column_name(q, i));
    return MBMSEC_ERR_STORE_CORRUPT;
  }
  memcpy(dst, p, n);
  dst[n] = '\0';
  return MBMSEC_OK;
}

static mbmsec_err col_i64(sqlite_store *s, sqlite3_stmt *q, int i, int64_t lo, int64_t hi,
                          int64_t *v)
{
  if (sqlite3_column_type(q, i) != SQLITE_INTEGER) {
    snprintf(s->errmsg, sizeof s->errmsg, "sqlite: column %s is not an integer",
             sqlite3_column_name(q, i));
    return MBMSEC_ERR_STORE_CORRUPT;
  }
  *v = sqlite3_column_int64(q, i);
  if (*v < lo || *v > hi) {
    snprintf(s->errmsg, sizeof s->errmsg, "sqlite: column %s out of range",
             sqlite3_column_name(q, i));
    return MBMSEC_ERR_STORE_CORRUPT;
  }
  return MBMSEC_OK;
}

/* Columns impi, k, opc, sqn, amf, uss. out is cleansed on error. */
static mbmsec_err read_subscriber(sqlite_store *s, sqlite3_stmt *q, mbmsec_store_subscriber *out)
{
  mbmsec_err rc;
  int64_t sqn = 0;
  GUARD_OUT(col_text(s, q, 0, out->impi, sizeof out->impi));
  GUARD_OUT(col_blob(s, q, 1, out->k, sizeof out->k));
  GUARD_OUT(col_blob(s, q, 2, out->opc, sizeof out->opc));
  GUARD_OUT(col_i64(s, q, 3, 0, (int64_t)MBMSEC_STORE_SQN_MAX, &sqn));
  out->sqn = (uint64_t)sqn;
  GUARD_OUT(col_blob(s, q, 4, out->amf, sizeof out->amf));
  GUARD_OUT(col_text(s, q, 5, out->uss, sizeof out->uss));
out:
  if (rc != MBMSEC_OK) mbmsec_cleanse(out, sizeof *out);
  return rc;
}

/* ---- schema ---- */

static mbmsec_err schema_version_locked(sqlite_store *s, uint32_t *version)
{
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  int64_t v = 0;
  GUARD_OUT(stmt(s, Q_SCHEMA_VERSION, &q));
  int r = sqlite3_step(q);
  ENSURE_OUT(r == SQLITE_ROW, map_rc(s, r));
  GUARD_OUT(col_i64(s, q, 0, 0, UINT32_MAX, &v));
  *version = (uint32_t)v;
out:
  done(q);
  return rc;
}

static mbmsec_err exec(sqlite_store *s, const char *sql)
{
  int r = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  return r == SQLITE_OK ? MBMSEC_OK : map_rc(s, r);
}

/* Brings the schema to MBMSEC_STORE_SCHEMA_VERSION in one write transaction, so that two
 * processes opening a new file at once do not both migrate it. */
static mbmsec_err migrate(sqlite_store *s)
{
  mbmsec_err rc;
  uint32_t v = 0;
  sqlite3_stmt *ins = NULL;
  GUARD_OUT(run(s, Q_BEGIN));
  GUARD_OUT(exec(s, "CREATE TABLE IF NOT EXISTS schema_version ("
                    " version INTEGER PRIMARY KEY NOT NULL,"
                    " applied INTEGER NOT NULL,"
                    " concern TEXT NOT NULL)"));
  GUARD_OUT(schema_version_locked(s, &v));
  if (v > MBMSEC_STORE_SCHEMA_VERSION) {
    snprintf(s->errmsg, sizeof s->errmsg, "sqlite: schema version %u is newer than this build's %u",
             v, (unsigned)MBMSEC_STORE_SCHEMA_VERSION);
    rc = MBMSEC_ERR_STORE_SCHEMA_NEWER;
    goto out;
  }
  for (size_t i = 0; i < mbmsec_store_sqlite_nmigrations; i++) {
    const mbmsec_store_sqlite_migration *m = &mbmsec_store_sqlite_migrations[i];
    if (m->version <= v) continue;
    ENSURE_OUT(m->version == v + 1, MBMSEC_ERR_STORE_SCHEMA);
    rc = exec(s, m->sql);
    if (rc != MBMSEC_OK) {
      if (rc != MBMSEC_ERR_NOMEM && rc != MBMSEC_ERR_STORE_BUSY) rc = MBMSEC_ERR_STORE_SCHEMA;
      goto out;
    }
    int r = sqlite3_prepare_v2(s->db,
                               "INSERT INTO schema_version (version, applied, concern)"
                               " VALUES (?1, CAST(strftime('%s', 'now') AS INTEGER), ?2)",
                               -1, &ins, NULL);
    ENSURE_OUT(r == SQLITE_OK, map_rc(s, r));
    GUARD_OUT(bind_i64(s, ins, 1, m->version));
    GUARD_OUT(bind_text(s, ins, 2, m->concern));
    r = sqlite3_step(ins);
    ENSURE_OUT(r == SQLITE_DONE, map_rc(s, r));
    sqlite3_finalize(ins);
    ins = NULL;
    v = m->version;
  }
  ENSURE_OUT(v == MBMSEC_STORE_SCHEMA_VERSION, MBMSEC_ERR_STORE_SCHEMA);
  GUARD_OUT(run(s, Q_COMMIT));
out:
  sqlite3_finalize(ins);
  if (rc != MBMSEC_OK) rollback(s);
  return rc;
}

/* Sets a pragma and checks the value it reports back (journal_mode answers with a row). */
static mbmsec_err pragma_expect(sqlite_store *s, const char *sql, const char *want)
{
  mbmsec_err rc = MBMSEC_OK;
  sqlite3_stmt *q = NULL;
  int r = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
  ENSURE_OUT(r == SQLITE_OK, map_rc(s, r));
  r = sqlite3_step(q);
  ENSURE_OUT(r == SQLITE_ROW, map_rc(s, r));
  const unsigned char *got = sqlite3_column_text(q, 0);
  if (got == NULL || strcmp((const char *)got, want) != 0) {
    snprintf(s->errmsg, sizeof s->errmsg, "sqlite: \"%s\" gave \"%s\", wanted \"%s\"", sql,
             got != NULL ? (const char *)got : "(null)", want);
    rc = MBMSEC_ERR_STORE_OPEN;
  }
out:
  sqlite3_finalize(q);
  return rc;
}

/* ---- ops ---- */

static mbmsec_err sqlite_owner_lock(mbmsec_store *st, long *pid)
{
  sqlite_store *s = impl(st);
  char lp[sizeof s->path + 8];
  if (s->owner_fd >= 0 || strcmp(s->path, ":memory:") == 0) return MBMSEC_OK;
  snprintf(lp, sizeof lp, "%s.owner", s->path);
  /* flock, not fcntl: it belongs to this open file, not to the process, so it neither
   * disturbs nor is dropped by SQLite's own fcntl locks on the database. */
  int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  ENSURE(fd >= 0, MBMSEC_ERR_STORE_OPEN);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const bool held = errno == EWOULDBLOCK;
    char b[24] = {0};
    ssize_t n = pread(fd, b, sizeof b - 1, 0);
    *pid = n > 0 ? strtol(b, NULL, 10) : 0;
    close(fd);
    return held ? MBMSEC_ERR_STORE_OWNED : MBMSEC_ERR_STORE_OPEN;
  }
  char b[24];
  int n = snprintf(b, sizeof b, "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, b, (size_t)n, 0) != n) {
    close(fd);
    return MBMSEC_ERR_STORE_OPEN;
  }
  s->owner_fd = fd;
  return MBMSEC_OK;
}

static void sqlite_close(mbmsec_store *st)
{
  sqlite_store *s = impl(st);
  if (s->owner_fd >= 0)
    close(s->owner_fd); /* the lock goes with it; the file stays (a new owner overwrites it) */
  for (size_t i = 0; i < MBMSEC_SQLITE_NSTMT; i++) sqlite3_finalize(s->stmt[i]);
  sqlite3_close(s->db); /* the last connection checkpoints the WAL into the file */
  pthread_mutex_destroy(&s->mu);
  free(s);
}

static const char *sqlite_errmsg(const mbmsec_store *st)
{
  return ((const sqlite_store *)st)->errmsg;
}

static mbmsec_err sqlite_schema_version(mbmsec_store *st, uint32_t *version)
{
  sqlite_store *s = impl(st);
  GUARD(lock(s));
  mbmsec_err rc = schema_version_locked(s, version);
  unlock(s);
  return rc;
}

/* PRAGMA data_version changes with the commits of other connections only; this connection's
 * own changes show in its count of changed rows. Both go into the number: the count in the
 * low 32 bits (a wrap needs 2^32 changes between two calls), data_version above. */
/* The data version without a read transaction when nothing changed.
 *
 * PRAGMA data_version starts a read transaction: in WAL mode that is a lock on a read mark of
 * the -shm file (fcntl system calls, and a process-wide mutex shared by every handle), ~3 us
 * per key request and the largest part of the "store" stage (docs/BENCHMARKS.md, third
 * round). SQLite decides that the database changed exactly when the WAL-index header (the
 * first 48 octets of the -shm file, two copies of it; https://www.sqlite.org/walformat.html
 * section 2.1) differs from the copy the connection saw last: every commit, by any
 * connection of any process, rewrites it (iChange, mxFrame and the checksums move; a WAL
 * restart changes the salts). So when the header's first copy reads the same as at our
 * last PRAGMA (and this handle changed no rows since), the PRAGMA would answer the same
 * number: it is skipped. The header is read before the PRAGMA, so a commit landing between
 * the two makes the next call differ and ask again; a torn read of a header being written
 * differs too. A writer updates the second copy first, then the first: a commit whose first
 * copy we do not see yet is not visible to any reader yet either.
 *
 * The header is read through SQLite's own mapping of wal-index region 0 (the VFS method
 * xShmMap of the connection's main file, public API; the unix VFS keeps that region mapped
 * until the connection closes), never through a file descriptor of our own: closing one
 * would drop the process's POSIX locks on the -shm file. No mapping (not WAL, :memory:, a VFS
 * without shared memory): the PRAGMA every time, as before. */
static void wal_hdr_attach(sqlite_store *s)
{
  sqlite3_file *f = NULL;
  void *p = NULL;
  if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
      !f->pMethods || f->pMethods->iVersion < 2 || !f->pMethods->xShmMap)
    return;
  /* bExtend 0: only a region that exists; the WAL read of migrate() created it. */
  if (f->pMethods->xShmMap(f, 0, 32768, 0, (void volatile **)&p) == SQLITE_OK && p) s->wal_hdr = p;
}

static void wal_hdr_read(const sqlite_store *s, uint32_t out[12])
{
  for (size_t i = 0; i < 12; i++) out[i] = __atomic_load_n(&s->wal_hdr[i], __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
}

static mbmsec_err sqlite_data_version(mbmsec_store *st, uint64_t *version)
{
  sqlite_store *s = impl(st);
  sqlite3_stmt *q = NULL;
  uint32_t hdr[12];
  GUARD(lock(s));
  const sqlite3_int64 changes = sqlite3_total_changes64(s->db);
  if (s->wal_hdr) {
    wal_hdr_read(s, hdr);
    if (s->have_seen && changes == s->changes_seen && !memcmp(hdr, s->wal_seen, sizeof hdr)) {
      *version = s->version_seen;
      unlock(s);
      return MBMSEC_OK;
    }
  }
  mbmsec_err rc = stmt(s, Q_DATA_VERSION, &q);
  if (rc == MBMSEC_OK) {
    int r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
      *version = ((uint64_t)sqlite3_column_int64(q, 0) << 32) ^ ((uint64_t)changes & 0xffffffffu);
      if (s->wal_hdr) {
        memcpy(s->wal_seen, hdr, sizeof hdr);
        s->changes_seen = changes;
        s->version_seen = *version;
        s->have_seen = 1;
      }
    } else {
      rc = map_rc(s, r);
    }
  }
  done(q);
  unlock(s);
  return rc;
}

/* Bulk import: one transaction around single-statement writes (store.h batch_*). */
static mbmsec_err sqlite_batch(mbmsec_store *st, int what)
{
  sqlite_store *s = impl(st);
  GUARD(lock(s));
  mbmsec_err rc = MBMSEC_OK;
  if (what == 0)
    rc = run(s, Q_BEGIN);
  else if (what == 1)
    rc = run(s, Q_COMMIT);
  else
    rollback(s);
  unlock(s);
  return rc;
}

static mbmsec_err sqlite_subscriber_add(mbmsec_store *st, const mbmsec_store_subscriber_in *sub)
{
  sqlite_store *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  GUARD(lock(s));
  GUARD_OUT(stmt(s, Q_SUB_ADD, &q));
  GUARD_OUT(bind_text(s, q, 1, sub->impi));
  GUARD_OUT(bind_blob(s, q, 2, sub->k, sub->k_len));
  GUARD_OUT(bind_blob(s, q, 3, sub->opc, sub->opc_len));
  GUARD_OUT(bind_i64(s, q, 4, (int64_t)sub->sqn));
  GUARD_OUT(bind_blob(s, q, 5, sub->amf, sub->amf_len));
  GUARD_OUT(bind_text(s, q, 6, sub->uss != NULL ? sub->uss : ""));
  int r = sqlite3_step(q);
  ENSURE_OUT(r == SQLITE_DONE, map_rc(s, r));
out:
  done(q);
  unlock(s);
  return rc;
}

static mbmsec_err sqlite_subscriber_get(mbmsec_store *st, const char *impi,
                                        mbmsec_store_subscriber *out)
{
  sqlite_store *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  GUARD(lock(s));
  GUARD_OUT(stmt(s, Q_SUB_GET, &q));
  GUARD_OUT(bind_text(s, q, 1, impi));
  int r = sqlite3_step(q);
  ENSURE_OUT(r != SQLITE_DONE, MBMSEC_ERR_STORE_NOT_FOUND);
  ENSURE_OUT(r == SQLITE_ROW, map_rc(s, r));
  GUARD_OUT(read_subscriber(s, q, out));
out:
  done(q);
  unlock(s);
  return rc;
}

static mbmsec_err sqlite_subscriber_amf_mode(mbmsec_store *st, uint8_t amf[2], int *found)
{
  sqlite_store *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  GUARD(lock(s));
  GUARD_OUT(stmt(s, Q_SUB_AMF_MODE, &q));
  int r = sqlite3_step(q);
  if (r == SQLITE_DONE) goto out; /* no subscriber */
  ENSURE_OUT(r == SQLITE_ROW, map_rc(s, r));
  GUARD_OUT(col_blob(s, q, 0, amf, 2));
  *found = 1;
out:
  done(q);
  unlock(s);
  return rc;
}

static mbmsec_err sqlite_subscriber_list(mbmsec_store *st, mbmsec_store_subscriber_cb cb, void *arg)
{
  sqlite_store *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  mbmsec_store_subscriber sub;
  memset(&sub, 0, sizeof sub);
  GUARD(lock(s));
  GUARD_OUT(stmt(s, Q_SUB_LIST, &q));
  for (;;) {
    int r = sqlite3_step(q);
    if (r == SQLITE_DONE) break;
    ENSURE_OUT(r == SQLITE_ROW, map_rc(s, r));
    GUARD_OUT(read_subscriber(s, q, &sub));
    rc = cb(&sub, arg);
    mbmsec_cleanse(&sub, sizeof sub);
    if (rc != MBMSEC_OK) goto out;
  }
  rc = MBMSEC_OK;
out:
  mbmsec_cleanse(&sub, sizeof sub);
  done(q);
  unlock(s);
  return rc;
}

/* For a statement that changed no row: the subscriber exists (1) or not (0). */
static mbmsec_err subscriber_exists(sqlite_store *s, const char *impi, int *exists)
{
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  GUARD_OUT(stmt(s, Q_SUB_EXISTS, &q));
  GUARD_OUT(bind_text(s, q, 1, impi));
  int r = sqlite3_step(q);
  ENSURE_OUT(r == SQLITE_ROW || r == SQLITE_DONE, map_rc(s, r));
  *exists = r == SQLITE_ROW;
out:
  done(q);
  return rc;
}

/* One UPDATE/DELETE keyed by a text parameter and optional integer parameters; *changes rows. */
static mbmsec_err write_one(sqlite_store *s, enum stmt_id id, const char *key, const char *text2,
                            const int64_t *i2, const int64_t *i3, sqlite3_int64 *changes)
{
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  GUARD_OUT(stmt(s, id, &q));
  GUARD_OUT(bind_text(s, q, 1, key));
  if (text2 != NULL) GUARD_OUT(bind_text(s, q, 2, text2));
  if (i2 != NULL) GUARD_OUT(bind_i64(s, q, 2, *i2));
  if (i3 != NULL) GUARD_OUT(bind_i64(s, q, 3, *i3));
  int r = sqlite3_step(q);
  ENSURE_OUT(r == SQLITE_DONE, map_rc(s, r));
  *changes = sqlite3_changes64(s->db);
out:
  done(q);
  return rc;
}

static mbmsec_err sqlite_subscriber_delete(mbmsec_store *st, const char *impi)
{
  sqlite_store *s = impl(st);
  mbmsec_err rc;
  sqlite3_int64 n = 0;
  GUARD(lock(s));
  GUARD_OUT(write_one(s, Q_SUB_DELETE, impi, NULL, NULL, NULL, &n));
  ENSURE_OUT(n == 1, MBMSEC_ERR_STORE_NOT_FOUND);
out:
  unlock(s);
  return rc;
}

static mbmsec_err sqlite_subscriber_sqn_cas(mbmsec_store *st, const char *impi, uint64_t expected,
                                            uint64_t new_sqn)
{
  sqlite_store *s = impl(st);
  mbmsec_err rc;
  sqlite3_int64 n = 0;
  int exists = 0;
  int64_t e = (int64_t)expected, v = (int64_t)new_sqn;
  GUARD(lock(s));
  /* One statement: the compare and the set happen under SQLite's write lock together. */
  GUARD_OUT(write_one(s, Q_SUB_CAS, impi, NULL, &e, &v, &n));
  if (n == 0) {
    GUARD_OUT(subscriber_exists(s, impi, &exists));
    rc = exists ? MBMSEC_ERR_STORE_SQN_CONFLICT : MBMSEC_ERR_STORE_NOT_FOUND;
  }
out:
  unlock(s);
  return rc;
}

static mbmsec_err sqlite_subscriber_set_uss(mbmsec_store *st, const char *impi, const char *uss)
{
  sqlite_store *s = impl(st);
  mbmsec_err rc;
  sqlite3_int64 n = 0;
  GUARD(lock(s));
  GUARD_OUT(write_one(s, Q_SUB_SET_USS, impi, uss, NULL, NULL, &n));
  ENSURE_OUT(n == 1, MBMSEC_ERR_STORE_NOT_FOUND);
out:
  unlock(s);
  return rc;
}

static mbmsec_err sqlite_bootstrap_put(mbmsec_store *st, const mbmsec_store_bootstrap_in *bs)
{
  sqlite_store *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  GUARD(lock(s));
  GUARD_OUT(stmt(s, Q_BS_PUT, &q));
  GUARD_OUT(bind_text(s, q, 1, bs->btid));
  GUARD_OUT(bind_text(s, q, 2, bs->impi));
  GUARD_OUT(bind_blob(s, q, 3, bs->ks, bs->ks_len));
  GUARD_OUT(bind_blob(s, q, 4, bs->rand, bs->rand_len));
  GUARD_OUT(bind_i64(s, q, 5, bs->created));
  GUARD_OUT(bind_i64(s, q, 6, bs->expires));
  int r = sqlite3_step(q);
  ENSURE_OUT(r == SQLITE_DONE, map_rc(s, r));
out:
  done(q);
  unlock(s);
  return rc;
}

static mbmsec_err sqlite_bootstrap_get(mbmsec_store *st, const char *btid,
                                       mbmsec_store_bootstrap *out)
{
  sqlite_store *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  GUARD(lock(s));
  GUARD_OUT(stmt(s, Q_BS_GET, &q));
  GUARD_OUT(bind_text(s, q, 1, btid));
  int r = sqlite3_step(q);
  ENSURE_OUT(r != SQLITE_DONE, MBMSEC_ERR_STORE_NOT_FOUND);
  ENSURE_OUT(r == SQLITE_ROW, map_rc(s, r));
  GUARD_OUT(col_text(s, q, 0, out->btid, sizeof out->btid));
  GUARD_OUT(col_text(s, q, 1, out->impi, sizeof out->impi));
  GUARD_OUT(col_blob(s, q, 2, out->ks, sizeof out->ks));
  GUARD_OUT(col_blob(s, q, 3, out->rand, sizeof out->rand));
  GUARD_OUT(col_i64(s, q, 4, INT64_MIN, INT64_MAX, &out->created));
  GUARD_OUT(col_i64(s, q, 5, INT64_MIN, INT64_MAX, &out->expires));
out:
  if (rc != MBMSEC_OK) mbmsec_cleanse(out, sizeof *out);
  done(q);
  unlock(s);
  return rc;
}

static mbmsec_err sqlite_bootstrap_delete(mbmsec_store *st, const char *btid)
{
  sqlite_store *s = impl(st);
  mbmsec_err rc;
  sqlite3_int64 n = 0;
  GUARD(lock(s));
  GUARD_OUT(write_one(s, Q_BS_DELETE, btid, NULL, NULL, NULL, &n));
  ENSURE_OUT(n == 1, MBMSEC_ERR_STORE_NOT_FOUND);
out:
  unlock(s);
  return rc;
}

static mbmsec_err sqlite_bootstrap_purge(mbmsec_store *st, int64_t now, uint64_t *purged)
{
  sqlite_store *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  *purged = 0;
  GUARD(lock(s));
  GUARD_OUT(stmt(s, Q_BS_PURGE, &q));
  GUARD_OUT(bind_i64(s, q, 1, now));
  int r = sqlite3_step(q);
  ENSURE_OUT(r == SQLITE_DONE, map_rc(s, r));
  *purged = (uint64_t)sqlite3_changes64(s->db);
out:
  done(q);
  unlock(s);
  return rc;
}

/* Read next, check the block fits, write next + block and commit (fsynced: synchronous=FULL)
 * in one write transaction. Only then is the block handed out. */
static mbmsec_err sqlite_counter_reserve(mbmsec_store *st, const char *name, uint64_t block,
                                         uint64_t max, uint64_t *first)
{
  sqlite_store *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  int64_t next = 1;
  GUARD(lock(s));
  GUARD_OUT(run(s, Q_BEGIN));
  GUARD_OUT(stmt(s, Q_CTR_GET, &q));
  GUARD_OUT(bind_text(s, q, 1, name));
  int r = sqlite3_step(q);
  if (r == SQLITE_ROW)
    GUARD_OUT(col_i64(s, q, 0, 1, INT64_MAX, &next));
  else
    ENSURE_OUT(r == SQLITE_DONE, map_rc(s, r));
  done(q);
  q = NULL;
  /* next <= max + 1 always holds for blocks this code reserved; block <= max - next + 1. */
  if ((uint64_t)next > max || block > max - (uint64_t)next + 1) {
    snprintf(s->errmsg, sizeof s->errmsg, "counter %s: next %lld, block %llu passes max %llu", name,
             (long long)next, (unsigned long long)block, (unsigned long long)max);
    rc = MBMSEC_ERR_STORE_COUNTER_RANGE;
    goto out;
  }
  GUARD_OUT(stmt(s, Q_CTR_SET, &q));
  GUARD_OUT(bind_text(s, q, 1, name));
  GUARD_OUT(bind_i64(s, q, 2, next + (int64_t)block)); /* <= max + 1 <= INT64_MAX */
  r = sqlite3_step(q);
  ENSURE_OUT(r == SQLITE_DONE, map_rc(s, r));
  done(q);
  q = NULL;
  GUARD_OUT(run(s, Q_COMMIT));
  *first = (uint64_t)next;
out:
  done(q);
  if (rc != MBMSEC_OK) rollback(s);
  unlock(s);
  return rc;
}

static const mbmsec_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .errmsg = sqlite_errmsg,
    .schema_version = sqlite_schema_version,
    .data_version = sqlite_data_version,
    .batch = sqlite_batch,
    .owner_lock = sqlite_owner_lock,
    .subscriber_add = sqlite_subscriber_add,
    .subscriber_get = sqlite_subscriber_get,
    .subscriber_amf_mode = sqlite_subscriber_amf_mode,
    .subscriber_list = sqlite_subscriber_list,
    .subscriber_delete = sqlite_subscriber_delete,
    .subscriber_sqn_cas = sqlite_subscriber_sqn_cas,
    .subscriber_set_uss = sqlite_subscriber_set_uss,
    .bootstrap_put = sqlite_bootstrap_put,
    .bootstrap_get = sqlite_bootstrap_get,
    .bootstrap_delete = sqlite_bootstrap_delete,
    .bootstrap_purge = sqlite_bootstrap_purge,
    .counter_reserve = sqlite_counter_reserve,
    .service_add = mbmsec_sqlite_service_add,
    .service_get = mbmsec_sqlite_service_get,
    .service_list = mbmsec_sqlite_service_list,
    .service_delete = mbmsec_sqlite_service_delete,
    .key_group_add = mbmsec_sqlite_key_group_add,
    .key_group_list = mbmsec_sqlite_key_group_list,
    .key_group_services = mbmsec_sqlite_key_group_services,
    .msk_put = mbmsec_sqlite_msk_put,
    .msk_get = mbmsec_sqlite_msk_get,
    .msk_list = mbmsec_sqlite_msk_list,
    .msk_delete = mbmsec_sqlite_msk_delete,
    .subscription_grant = mbmsec_sqlite_subscription_grant,
    .subscription_revoke = mbmsec_sqlite_subscription_revoke,
    .subscription_check = mbmsec_sqlite_subscription_check,
    .subscription_list = mbmsec_sqlite_subscription_list,
    .registration_put = mbmsec_sqlite_registration_put,
    .registration_get = mbmsec_sqlite_registration_get,
    .registration_delete = mbmsec_sqlite_registration_delete,
    .registration_list = mbmsec_sqlite_registration_list,
};

/* ---- helpers shared with store_sqlite_bmsc.c (store_impl.h) ---- */

mbmsec_err mbmsec_sqlite_map_rc(mbmsec_sqlite_store *s, int rc) { return map_rc(s, rc); }
mbmsec_err mbmsec_sqlite_lock(mbmsec_sqlite_store *s) { return lock(s); }
void mbmsec_sqlite_unlock(mbmsec_sqlite_store *s) { unlock(s); }
mbmsec_err mbmsec_sqlite_stmt(mbmsec_sqlite_store *s, int id, const char *sql, sqlite3_stmt **out)
{
  return stmt_slot(s, id, sql, out);
}
void mbmsec_sqlite_done(sqlite3_stmt *q) { done(q); }
mbmsec_err mbmsec_sqlite_begin(mbmsec_sqlite_store *s) { return run(s, Q_BEGIN); }
mbmsec_err mbmsec_sqlite_commit(mbmsec_sqlite_store *s) { return run(s, Q_COMMIT); }
void mbmsec_sqlite_rollback(mbmsec_sqlite_store *s) { rollback(s); }
mbmsec_err mbmsec_sqlite_bind_text(mbmsec_sqlite_store *s, sqlite3_stmt *q, int i, const char *t)
{
  return bind_text(s, q, i, t);
}
mbmsec_err mbmsec_sqlite_bind_blob(mbmsec_sqlite_store *s, sqlite3_stmt *q, int i, const uint8_t *b,
                                   size_t n)
{
  return bind_blob(s, q, i, b, n);
}
mbmsec_err mbmsec_sqlite_bind_i64(mbmsec_sqlite_store *s, sqlite3_stmt *q, int i, int64_t v)
{
  return bind_i64(s, q, i, v);
}
mbmsec_err mbmsec_sqlite_col_blob(mbmsec_sqlite_store *s, sqlite3_stmt *q, int i, uint8_t *dst,
                                  size_t n)
{
  return col_blob(s, q, i, dst, n);
}
mbmsec_err mbmsec_sqlite_col_text(mbmsec_sqlite_store *s, sqlite3_stmt *q, int i, char *dst,
                                  size_t cap)
{
  return col_text(s, q, i, dst, cap);
}
mbmsec_err mbmsec_sqlite_col_i64(mbmsec_sqlite_store *s, sqlite3_stmt *q, int i, int64_t lo,
                                 int64_t hi, int64_t *v)
{
  return col_i64(s, q, i, lo, hi, v);
}

/* ---- open ---- */

/* Creates a missing database file with mode 0600 (it holds K and OPc); SQLite gives the -wal
 * and -shm files the main file's mode. An existing file is not opened at all (O_EXCL): fcntl
 * locks belong to the process, so closing any descriptor of a database file that this process
 * already has open through SQLite (a daemon's second handle) would drop that connection's
 * locks; another process closing its own connection would then take the exclusive lock and
 * delete the WAL under the live one, which from then on reads a frozen snapshot. */
static mbmsec_err precreate(const char *path)
{
  if (strcmp(path, ":memory:") == 0) return MBMSEC_OK;
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    ENSURE(errno == EEXIST, MBMSEC_ERR_STORE_OPEN);
    return MBMSEC_OK;
  }
  close(fd);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_store_sqlite_open(const char *path, mbmsec_store **out)
{
  mbmsec_err rc;
  pthread_mutexattr_t attr;
  int have_attr = 0, have_mu = 0;
  *out = NULL;
  sqlite_store *s = calloc(1, sizeof *s);
  ENSURE(s != NULL, MBMSEC_ERR_NOMEM);
  s->base.ops = &sqlite_ops;
  s->owner_fd = -1;
  snprintf(s->path, sizeof s->path, "%s", path);
  ENSURE_OUT(pthread_mutexattr_init(&attr) == 0, MBMSEC_ERR_NOMEM);
  have_attr = 1;
  ENSURE_OUT(pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK) == 0, MBMSEC_ERR_STORE_IO);
  ENSURE_OUT(pthread_mutex_init(&s->mu, &attr) == 0, MBMSEC_ERR_NOMEM);
  have_mu = 1;
  pthread_mutexattr_destroy(&attr);
  have_attr = 0;

  GUARD_OUT(precreate(path));
  /* NOMUTEX: the handle's own mutex serialises its use; no URI filenames. */
  int r = sqlite3_open_v2(path, &s->db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (r != SQLITE_OK) {
    rc = s->db != NULL ? map_rc(s, r) : MBMSEC_ERR_NOMEM;
    if (rc == MBMSEC_ERR_STORE_IO) rc = MBMSEC_ERR_STORE_OPEN;
    goto out;
  }
  sqlite3_extended_result_codes(s->db, 1);
  ENSURE_OUT(sqlite3_busy_timeout(s->db, MBMSEC_STORE_BUSY_TIMEOUT_MS) == SQLITE_OK,
             MBMSEC_ERR_STORE_OPEN);
  /* journal_mode is the first statement that reads the file: a non-database fails here. */
  GUARD_OUT(pragma_expect(s, "PRAGMA journal_mode=WAL",
                          strcmp(path, ":memory:") == 0 ? "memory" : "wal"));
  GUARD_OUT(exec(s, "PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA secure_delete=ON;"
                    "PRAGMA trusted_schema=OFF"));
  GUARD_OUT(pragma_expect(s, "PRAGMA foreign_keys", "1"));
  GUARD_OUT(pragma_expect(s, "PRAGMA synchronous", "2"));
  GUARD_OUT(migrate(s));
  if (strcmp(path, ":memory:") != 0) wal_hdr_attach(s); /* WAL (checked above) */
  *out = &s->base;
  return MBMSEC_OK;
out:
  if (s->db != NULL) {
    for (size_t i = 0; i < MBMSEC_SQLITE_NSTMT; i++) sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);
  }
  if (have_mu) pthread_mutex_destroy(&s->mu);
  if (have_attr) pthread_mutexattr_destroy(&attr);
  free(s);
  return rc;
}
