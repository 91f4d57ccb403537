/* The SQLite backend's BM-SC membership operations (migration 4): user services, key groups,
 * MSKs, subscriptions and registrations. Same rules as store_sqlite.c: the handle's mutex
 * around every call, cached statements in the slots from MBMSEC_SQLITE_BMSC_FIRST, secrets
 * (MSK keys) bound SQLITE_STATIC from the caller's buffers and unbound before returning, the
 * shape of every column checked again when read. Arguments were checked by store.c. */
#include <string.h>

#define MBMSEC_STORE_SQLITE_INTERNALS
#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/keyid.h"
#include "store_impl.h"

enum bmsc_stmt {
  B_SVC_ADD = MBMSEC_SQLITE_BMSC_FIRST,
  B_SVC_GET,
  B_SVC_LIST,
  B_SVC_EXISTS,
  B_SVC_DELETE,
  B_KG_ADD,
  B_KG_LIST,
  B_KG_SERVICES,
  B_MSK_PUT,
  B_MSK_GET,
  B_MSK_LIST,
  B_MSK_DELETE,
  B_SUB_GRANT,
  B_SUB_REVOKE,
  B_SUB_CHECK,
  B_SUB_LIST,
  B_REG_PUT,
  B_REG_GET,
  B_REG_DELETE,
  B_REG_BY_SERVICE,
  B_REG_BY_IMPI,
  B_REG_BY_BTID,
  B_END
};
_Static_assert(B_END <= MBMSEC_SQLITE_NSTMT, "too many statements for the handle's slots");

#define SVC_COLS "s.service_id, s.kdid, s.msk_lifetime"
#define MSK_COLS "kdid, msk_id, key, valid_from, valid_to, vf, vt, created"
#define REG_COLS "impi, service_id, btid, ue_addr, created"

static const char *const bmsc_sql[B_END - MBMSEC_SQLITE_BMSC_FIRST] = {
#define S(id) [(id)-MBMSEC_SQLITE_BMSC_FIRST]
    S(B_SVC_ADD) = "INSERT INTO user_service (service_id, kdid, msk_lifetime) VALUES (?1, ?2, ?3)",
    S(B_SVC_GET) = "SELECT " SVC_COLS " FROM user_service s WHERE s.service_id = ?1",
    S(B_SVC_LIST) = "SELECT " SVC_COLS " FROM user_service s ORDER BY CAST(s.service_id AS BLOB)",
    S(B_SVC_EXISTS) = "SELECT 1 FROM user_service WHERE service_id = ?1",
    S(B_SVC_DELETE) = "DELETE FROM user_service WHERE service_id = ?1",
    S(B_KG_ADD) = "INSERT INTO key_group (service_id, key_group) VALUES (?1, ?2)",
    S(B_KG_LIST) = "SELECT key_group FROM key_group WHERE service_id = ?1 ORDER BY key_group",
    S(B_KG_SERVICES) = "SELECT " SVC_COLS " FROM key_group g JOIN user_service s"
                       " ON s.service_id = g.service_id WHERE s.kdid = ?1 AND g.key_group = ?2"
                       " ORDER BY CAST(s.service_id AS BLOB)",
    S(B_MSK_PUT) = "INSERT INTO msk (" MSK_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    S(B_MSK_GET) = "SELECT " MSK_COLS " FROM msk WHERE kdid = ?1 AND msk_id = ?2",
    S(B_MSK_LIST) = "SELECT " MSK_COLS " FROM msk WHERE kdid = ?1 AND substr(msk_id, 1, 2) = ?2"
                    " ORDER BY msk_id DESC",
    S(B_MSK_DELETE) = "DELETE FROM msk WHERE kdid = ?1 AND msk_id = ?2",
    S(B_SUB_GRANT) = "INSERT INTO subscription (impi, service_id) VALUES (?1, ?2)"
                     " ON CONFLICT (impi, service_id) DO NOTHING",
    S(B_SUB_REVOKE) = "DELETE FROM subscription WHERE impi = ?1 AND service_id = ?2",
    S(B_SUB_CHECK) = "SELECT 1 FROM subscription WHERE impi = ?1 AND service_id = ?2",
    S(B_SUB_LIST) = "SELECT " SVC_COLS " FROM subscription u JOIN user_service s"
                    " ON s.service_id = u.service_id WHERE u.impi = ?1"
                    " ORDER BY CAST(s.service_id AS BLOB)",
    S(B_REG_PUT) = "INSERT INTO registration (" REG_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)"
                   " ON CONFLICT (impi, service_id) DO UPDATE SET btid = excluded.btid,"
                   " ue_addr = excluded.ue_addr, created = excluded.created",
    S(B_REG_GET) = "SELECT " REG_COLS " FROM registration WHERE impi = ?1 AND service_id = ?2",
    S(B_REG_DELETE) = "DELETE FROM registration WHERE impi = ?1 AND service_id = ?2",
    S(B_REG_BY_SERVICE) = "SELECT " REG_COLS " FROM registration WHERE service_id = ?1"
                          " ORDER BY CAST(impi AS BLOB)",
    S(B_REG_BY_IMPI) = "SELECT " REG_COLS " FROM registration WHERE impi = ?1"
                       " ORDER BY CAST(service_id AS BLOB)",
    S(B_REG_BY_BTID) = "SELECT " REG_COLS " FROM registration WHERE btid = ?1"
                       " ORDER BY CAST(service_id AS BLOB), CAST(impi AS BLOB)",
#undef S
};

typedef mbmsec_sqlite_store sq;

static sq *impl(mbmsec_store *st) { return (sq *)st; }

static mbmsec_err prep(sq *s, enum bmsc_stmt id, sqlite3_stmt **q)
{
  return mbmsec_sqlite_stmt(s, (int)id, bmsc_sql[id - MBMSEC_SQLITE_BMSC_FIRST], q);
}

#define B_TEXT(i, t)    GUARD_OUT(mbmsec_sqlite_bind_text(s, q, (i), (t)))
#define B_BLOB(i, b, n) GUARD_OUT(mbmsec_sqlite_bind_blob(s, q, (i), (b), (n)))
#define B_I64(i, v)     GUARD_OUT(mbmsec_sqlite_bind_i64(s, q, (i), (v)))

/* Steps a statement without rows; *changes (may be NULL) gets the rows changed. */
static mbmsec_err step_done(sq *s, sqlite3_stmt *q, sqlite3_int64 *changes)
{
  int r = sqlite3_step(q);
  ENSURE(r == SQLITE_DONE, mbmsec_sqlite_map_rc(s, r));
  if (changes != NULL) *changes = sqlite3_changes64(s->db);
  return MBMSEC_OK;
}

/* Steps a query: 1 in *row for a row, 0 at the end. */
static mbmsec_err step_row(sq *s, sqlite3_stmt *q, int *row)
{
  int r = sqlite3_step(q);
  ENSURE(r == SQLITE_ROW || r == SQLITE_DONE, mbmsec_sqlite_map_rc(s, r));
  *row = r == SQLITE_ROW;
  return MBMSEC_OK;
}

static mbmsec_err read_service(sq *s, sqlite3_stmt *q, mbmsec_store_service *out)
{
  GUARD(mbmsec_sqlite_col_text(s, q, 0, out->service_id, sizeof out->service_id));
  GUARD(mbmsec_sqlite_col_blob(s, q, 1, out->kdid, sizeof out->kdid));
  GUARD(mbmsec_sqlite_col_i64(s, q, 2, 1, INT64_MAX, &out->msk_lifetime));
  return MBMSEC_OK;
}

/* Columns MSK_COLS. out is cleansed on error. */
static mbmsec_err read_msk(sq *s, sqlite3_stmt *q, mbmsec_store_msk *out)
{
  mbmsec_err rc;
  int64_t vf = 0, vt = 0;
  GUARD_OUT(mbmsec_sqlite_col_blob(s, q, 0, out->kdid, sizeof out->kdid));
  GUARD_OUT(mbmsec_sqlite_col_blob(s, q, 1, out->msk_id, sizeof out->msk_id));
  ENSURE_OUT(mbmsec_msk_id_keynum(out->msk_id) != MBMSEC_MSK_KEYNUM_RESERVED,
             MBMSEC_ERR_STORE_CORRUPT);
  GUARD_OUT(mbmsec_sqlite_col_blob(s, q, 2, out->key, sizeof out->key));
  GUARD_OUT(mbmsec_sqlite_col_i64(s, q, 3, INT64_MIN, INT64_MAX, &out->valid_from));
  GUARD_OUT(mbmsec_sqlite_col_i64(s, q, 4, INT64_MIN, INT64_MAX, &out->valid_to));
  GUARD_OUT(mbmsec_sqlite_col_i64(s, q, 5, 0, UINT16_MAX, &vf));
  GUARD_OUT(mbmsec_sqlite_col_i64(s, q, 6, vf, UINT16_MAX, &vt));
  GUARD_OUT(mbmsec_sqlite_col_i64(s, q, 7, INT64_MIN, INT64_MAX, &out->created));
  ENSURE_OUT(out->valid_to > out->valid_from, MBMSEC_ERR_STORE_CORRUPT);
  out->vf = (uint16_t)vf;
  out->vt = (uint16_t)vt;
out:
  if (rc != MBMSEC_OK) mbmsec_cleanse(out, sizeof *out);
  return rc;
}

static mbmsec_err read_registration(sq *s, sqlite3_stmt *q, mbmsec_store_registration *out)
{
  GUARD(mbmsec_sqlite_col_text(s, q, 0, out->impi, sizeof out->impi));
  GUARD(mbmsec_sqlite_col_text(s, q, 1, out->service_id, sizeof out->service_id));
  GUARD(mbmsec_sqlite_col_text(s, q, 2, out->btid, sizeof out->btid));
  GUARD(mbmsec_sqlite_col_text(s, q, 3, out->ue_addr, sizeof out->ue_addr));
  GUARD(mbmsec_sqlite_col_i64(s, q, 4, INT64_MIN, INT64_MAX, &out->created));
  ENSURE(out->impi[0] != '\0' && out->service_id[0] != '\0' && out->btid[0] != '\0' &&
             out->ue_addr[0] != '\0',
         MBMSEC_ERR_STORE_CORRUPT);
  return MBMSEC_OK;
}

/* One write keyed by one or two texts; NOT_FOUND when no row changed and want_one is set. */
static mbmsec_err write_keyed(mbmsec_store *st, enum bmsc_stmt id, const char *k1, const char *k2,
                              int want_one)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  sqlite3_int64 n = 0;
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, id, &q));
  B_TEXT(1, k1);
  if (k2 != NULL) B_TEXT(2, k2);
  GUARD_OUT(step_done(s, q, &n));
  ENSURE_OUT(!want_one || n == 1, MBMSEC_ERR_STORE_NOT_FOUND);
out:
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}

/* A list of services from a query bound with an optional text ?1 or (blob ?1, integer ?2). */
static mbmsec_err list_services(mbmsec_store *st, enum bmsc_stmt id, const char *text,
                                const uint8_t *kdid, uint16_t group, mbmsec_store_service_cb cb,
                                void *arg)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  mbmsec_store_service svc;
  int row = 0;
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, id, &q));
  if (text != NULL) B_TEXT(1, text);
  if (kdid != NULL) {
    B_BLOB(1, kdid, MBMSEC_STORE_KDID_LEN);
    B_I64(2, group);
  }
  for (;;) {
    GUARD_OUT(step_row(s, q, &row));
    if (!row) break;
    memset(&svc, 0, sizeof svc);
    GUARD_OUT(read_service(s, q, &svc));
    GUARD_OUT(cb(&svc, arg));
  }
out:
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}

/* ---- services and key groups ---- */

mbmsec_err mbmsec_sqlite_service_add(mbmsec_store *st, const mbmsec_store_service_in *svc)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, B_SVC_ADD, &q));
  B_TEXT(1, svc->service_id);
  B_BLOB(2, svc->kdid, svc->kdid_len);
  B_I64(3, svc->msk_lifetime);
  GUARD_OUT(step_done(s, q, NULL));
out:
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}

mbmsec_err mbmsec_sqlite_service_get(mbmsec_store *st, const char *service_id,
                                     mbmsec_store_service *out)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  int row = 0;
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, B_SVC_GET, &q));
  B_TEXT(1, service_id);
  GUARD_OUT(step_row(s, q, &row));
  ENSURE_OUT(row, MBMSEC_ERR_STORE_NOT_FOUND);
  GUARD_OUT(read_service(s, q, out));
out:
  if (rc != MBMSEC_OK) memset(out, 0, sizeof *out);
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}

mbmsec_err mbmsec_sqlite_service_list(mbmsec_store *st, mbmsec_store_service_cb cb, void *arg)
{
  return list_services(st, B_SVC_LIST, NULL, NULL, 0, cb, arg);
}

mbmsec_err mbmsec_sqlite_service_delete(mbmsec_store *st, const char *service_id)
{
  return write_keyed(st, B_SVC_DELETE, service_id, NULL, 1);
}

mbmsec_err mbmsec_sqlite_key_group_add(mbmsec_store *st, const char *service_id, uint16_t key_group)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, B_KG_ADD, &q));
  B_TEXT(1, service_id);
  B_I64(2, key_group);
  GUARD_OUT(step_done(s, q, NULL));
out:
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}

mbmsec_err mbmsec_sqlite_key_group_list(mbmsec_store *st, const char *service_id, uint16_t *groups,
                                        size_t cap, size_t *n)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  int row = 0;
  int64_t g = 0;
  *n = 0;
  GUARD(mbmsec_sqlite_lock(s));
  /* NOT_FOUND for a missing service; an existing one without groups lists as empty. */
  GUARD_OUT(prep(s, B_SVC_EXISTS, &q));
  B_TEXT(1, service_id);
  GUARD_OUT(step_row(s, q, &row));
  ENSURE_OUT(row, MBMSEC_ERR_STORE_NOT_FOUND);
  mbmsec_sqlite_done(q);
  GUARD_OUT(prep(s, B_KG_LIST, &q));
  B_TEXT(1, service_id);
  for (;;) {
    GUARD_OUT(step_row(s, q, &row));
    if (!row) break;
    GUARD_OUT(mbmsec_sqlite_col_i64(s, q, 0, 0, UINT16_MAX, &g));
    ENSURE_OUT(*n < cap, MBMSEC_ERR_SPACE);
    groups[(*n)++] = (uint16_t)g;
  }
out:
  if (rc != MBMSEC_OK) *n = 0;
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}

mbmsec_err mbmsec_sqlite_key_group_services(mbmsec_store *st, const uint8_t *kdid,
                                            uint16_t key_group, mbmsec_store_service_cb cb,
                                            void *arg)
{
  return list_services(st, B_KG_SERVICES, NULL, kdid, key_group, cb, arg);
}

/* ---- MSKs ---- */

mbmsec_err mbmsec_sqlite_msk_put(mbmsec_store *st, const mbmsec_store_msk_in *msk)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, B_MSK_PUT, &q));
  B_BLOB(1, msk->kdid, msk->kdid_len);
  B_BLOB(2, msk->msk_id, msk->msk_id_len);
  B_BLOB(3, msk->key, msk->key_len);
  B_I64(4, msk->valid_from);
  B_I64(5, msk->valid_to);
  B_I64(6, msk->vf);
  B_I64(7, msk->vt);
  B_I64(8, msk->created);
  GUARD_OUT(step_done(s, q, NULL));
out:
  mbmsec_sqlite_done(q); /* drops the binding to the caller's key */
  mbmsec_sqlite_unlock(s);
  return rc;
}

mbmsec_err mbmsec_sqlite_msk_get(mbmsec_store *st, const uint8_t *kdid, const uint8_t *msk_id,
                                 mbmsec_store_msk *out)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  int row = 0;
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, B_MSK_GET, &q));
  B_BLOB(1, kdid, MBMSEC_STORE_KDID_LEN);
  B_BLOB(2, msk_id, MBMSEC_STORE_MSK_ID_LEN);
  GUARD_OUT(step_row(s, q, &row));
  ENSURE_OUT(row, MBMSEC_ERR_STORE_NOT_FOUND);
  GUARD_OUT(read_msk(s, q, out));
out:
  if (rc != MBMSEC_OK) mbmsec_cleanse(out, sizeof *out);
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}

mbmsec_err mbmsec_sqlite_msk_list(mbmsec_store *st, const uint8_t *kdid, uint16_t key_group,
                                  mbmsec_store_msk *out, size_t cap, size_t *n, size_t *total)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  int row = 0;
  uint8_t group[MBMSEC_KEY_GROUP_LEN];
  mbmsec_key_group_pack(key_group, group);
  mbmsec_store_msk skip;
  *n = 0;
  *total = 0;
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, B_MSK_LIST, &q));
  B_BLOB(1, kdid, MBMSEC_STORE_KDID_LEN);
  B_BLOB(2, group, sizeof group);
  for (;;) {
    GUARD_OUT(step_row(s, q, &row));
    if (!row) break;
    /* Rows past cap are still read, so that a malformed one is reported as for a get. */
    GUARD_OUT(read_msk(s, q, *n < cap ? &out[*n] : &skip));
    mbmsec_cleanse(&skip, sizeof skip);
    if (*n < cap) (*n)++;
    (*total)++;
  }
out:
  mbmsec_cleanse(&skip, sizeof skip);
  if (rc != MBMSEC_OK) {
    if (cap > 0) mbmsec_cleanse(out, cap * sizeof *out);
    *n = 0;
    *total = 0;
  }
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}

mbmsec_err mbmsec_sqlite_msk_delete(mbmsec_store *st, const uint8_t *kdid, const uint8_t *msk_id)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  sqlite3_int64 changed = 0;
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, B_MSK_DELETE, &q));
  B_BLOB(1, kdid, MBMSEC_STORE_KDID_LEN);
  B_BLOB(2, msk_id, MBMSEC_STORE_MSK_ID_LEN);
  GUARD_OUT(step_done(s, q, &changed));
  ENSURE_OUT(changed == 1, MBMSEC_ERR_STORE_NOT_FOUND);
out:
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}

/* ---- subscriptions ---- */

mbmsec_err mbmsec_sqlite_subscription_grant(mbmsec_store *st, const char *impi,
                                            const char *service_id)
{
  return write_keyed(st, B_SUB_GRANT, impi, service_id, 0);
}

mbmsec_err mbmsec_sqlite_subscription_revoke(mbmsec_store *st, const char *impi,
                                             const char *service_id)
{
  return write_keyed(st, B_SUB_REVOKE, impi, service_id, 1);
}

mbmsec_err mbmsec_sqlite_subscription_check(mbmsec_store *st, const char *impi,
                                            const char *service_id, int *granted)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  int row = 0;
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, B_SUB_CHECK, &q));
  B_TEXT(1, impi);
  B_TEXT(2, service_id);
  GUARD_OUT(step_row(s, q, &row));
  *granted = row;
out:
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}

mbmsec_err mbmsec_sqlite_subscription_list(mbmsec_store *st, const char *impi,
                                           mbmsec_store_service_cb cb, void *arg)
{
  return list_services(st, B_SUB_LIST, impi, NULL, 0, cb, arg);
}

/* ---- registrations ---- */

mbmsec_err mbmsec_sqlite_registration_put(mbmsec_store *st, const mbmsec_store_registration_in *reg)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, B_REG_PUT, &q));
  B_TEXT(1, reg->impi);
  B_TEXT(2, reg->service_id);
  B_TEXT(3, reg->btid);
  B_TEXT(4, reg->ue_addr);
  B_I64(5, reg->created);
  GUARD_OUT(step_done(s, q, NULL));
out:
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}

mbmsec_err mbmsec_sqlite_registration_get(mbmsec_store *st, const char *impi,
                                          const char *service_id, mbmsec_store_registration *out)
{
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  int row = 0;
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, B_REG_GET, &q));
  B_TEXT(1, impi);
  B_TEXT(2, service_id);
  GUARD_OUT(step_row(s, q, &row));
  ENSURE_OUT(row, MBMSEC_ERR_STORE_NOT_FOUND);
  GUARD_OUT(read_registration(s, q, out));
out:
  if (rc != MBMSEC_OK) memset(out, 0, sizeof *out);
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}

mbmsec_err mbmsec_sqlite_registration_delete(mbmsec_store *st, const char *impi,
                                             const char *service_id)
{
  return write_keyed(st, B_REG_DELETE, impi, service_id, 1);
}

mbmsec_err mbmsec_sqlite_registration_list(mbmsec_store *st, int by, const char *key,
                                           mbmsec_store_registration_cb cb, void *arg)
{
  static const enum bmsc_stmt ids[3] = {B_REG_BY_SERVICE, B_REG_BY_IMPI, B_REG_BY_BTID};
  sq *s = impl(st);
  mbmsec_err rc;
  sqlite3_stmt *q = NULL;
  mbmsec_store_registration reg;
  int row = 0;
  ENSURE(by >= 0 && by <= 2, MBMSEC_ERR_ARG);
  GUARD(mbmsec_sqlite_lock(s));
  GUARD_OUT(prep(s, ids[by], &q));
  B_TEXT(1, key);
  for (;;) {
    GUARD_OUT(step_row(s, q, &row));
    if (!row) break;
    memset(&reg, 0, sizeof reg);
    GUARD_OUT(read_registration(s, q, &reg));
    GUARD_OUT(cb(&reg, arg));
  }
out:
  mbmsec_sqlite_done(q);
  mbmsec_sqlite_unlock(s);
  return rc;
}
