/* Store: subscribers, SQN compare-and-set, bootstrap records, durable counters, schema
 * versioning, restart and crash survival, input checks, concurrent handles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "mbmsec/crypto.h"
#include "mbmsec/store.h"
#define MBMSEC_STORE_SQLITE_INTERNALS /* test_data_version looks at the handle */
#include "store_impl.h"

static char g_dir[512];

static const char *path_of(const char *name)
{
  static char p[1024];
  snprintf(p, sizeof p, "%s/%s", g_dir, name);
  return p;
}

static int group_setup(void **state)
{
  (void)state;
  const char *base = getenv("MBMSEC_TEST_TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/store-test-XXXXXX", base != NULL ? base : "/tmp");
  return mkdtemp(g_dir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
  (void)state;
  DIR *d = opendir(g_dir);
  if (d != NULL) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) unlink(path_of(e->d_name));
    }
    closedir(d);
  }
  rmdir(g_dir);
  return 0;
}

static const uint8_t K1[16] = {0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
                               0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc};
static const uint8_t OPC1[16] = {0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
                                 0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf};
static const uint8_t AMF1[2] = {0xb9, 0xb9};
static const uint8_t KS1[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t RAND1[16] = {0x23, 0x55, 0x3c, 0xbe, 0x96, 0x37, 0xa8, 0x9d,
                                  0x21, 0x8a, 0xe6, 0x4d, 0xae, 0x47, 0xbf, 0x35};

static mbmsec_store_subscriber_in sub_in(const char *impi, uint64_t sqn, const char *uss)
{
  mbmsec_store_subscriber_in in = {
      .impi = impi,
      .k = K1,
      .k_len = 16,
      .opc = OPC1,
      .opc_len = 16,
      .sqn = sqn,
      .amf = AMF1,
      .amf_len = 2,
      .uss = uss,
  };
  return in;
}

static mbmsec_store_bootstrap_in bs_in(const char *btid, const char *impi, int64_t created,
                                       int64_t expires)
{
  mbmsec_store_bootstrap_in in = {
      .btid = btid,
      .impi = impi,
      .ks = KS1,
      .ks_len = 32,
      .rand = RAND1,
      .rand_len = 16,
      .created = created,
      .expires = expires,
  };
  return in;
}

static mbmsec_store *open_ok(const char *name)
{
  mbmsec_store *st = NULL;
  mbmsec_err rc = mbmsec_store_open(path_of(name), &st);
  assert_int_equal(rc, MBMSEC_OK);
  assert_non_null(st);
  return st;
}

typedef struct {
  size_t n;
  char impi[8][MBMSEC_STORE_IMPI_MAX + 1];
  uint64_t sqn[8];
} list_acc;

static mbmsec_err list_cb(const mbmsec_store_subscriber *sub, void *arg)
{
  list_acc *a = arg;
  if (a->n < 8) {
    strcpy(a->impi[a->n], sub->impi);
    a->sqn[a->n] = sub->sqn;
  }
  a->n++;
  return MBMSEC_OK;
}

static size_t count_subscribers(mbmsec_store *st)
{
  list_acc a = {0};
  assert_int_equal(mbmsec_store_subscriber_list(st, list_cb, &a), MBMSEC_OK);
  return a.n;
}

/* URIs: plain path, sqlite:, sqlite://, postgresql:// refused as not built, bad arguments. */
static void test_open_uri(void **state)
{
  (void)state;
  mbmsec_store *st = NULL;
  char uri[1100];
  uint32_t v = 0;

  snprintf(uri, sizeof uri, "sqlite:%s", path_of("uri.db"));
  assert_int_equal(mbmsec_store_open(uri, &st), MBMSEC_OK);
  assert_string_equal(mbmsec_store_backend(st), "sqlite");
  assert_int_equal(mbmsec_store_schema_version(st, &v), MBMSEC_OK);
  assert_int_equal(v, MBMSEC_STORE_SCHEMA_VERSION);
  assert_int_equal(mbmsec_store_subscriber_add(st, &(mbmsec_store_subscriber_in){0}),
                   MBMSEC_ERR_ARG);
  mbmsec_store_subscriber_in in = sub_in("u@x", 1, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_OK);
  mbmsec_store_close(st);

  /* sqlite:// + absolute path is the same file. */
  snprintf(uri, sizeof uri, "sqlite://%s", path_of("uri.db"));
  assert_int_equal(mbmsec_store_open(uri, &st), MBMSEC_OK);
  assert_int_equal(count_subscribers(st), 1);
  mbmsec_store_close(st);

  /* A new file is created owner-only: it holds K and OPc. */
  struct stat sb;
  assert_int_equal(stat(path_of("uri.db"), &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);

  st = (mbmsec_store *)1;
  assert_int_equal(mbmsec_store_open("postgresql://user@localhost/mbmsec", &st),
                   MBMSEC_ERR_STORE_BACKEND);
  assert_null(st);
  assert_int_equal(mbmsec_store_open("postgres://localhost/db", &st), MBMSEC_ERR_STORE_BACKEND);
  assert_int_equal(mbmsec_store_open("mysql://localhost/db", &st), MBMSEC_ERR_STORE_BACKEND);
  assert_int_equal(mbmsec_store_open("", &st), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_open("sqlite:", &st), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_open(NULL, &st), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_open(path_of("x.db"), NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_open("/nonexistent-dir-mbmsec/x.db", &st), MBMSEC_ERR_STORE_OPEN);
  assert_null(st);
  mbmsec_store_close(NULL);
  assert_string_equal(mbmsec_store_backend(NULL), "none");

  /* In-memory database works too (no WAL there). */
  assert_int_equal(mbmsec_store_open(":memory:", &st), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_OK);
  mbmsec_store_close(st);
}

static void test_subscriber_crud(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("crud.db");
  mbmsec_store_subscriber_in a = sub_in("bob@ims.example", 0x20, "4");
  mbmsec_store_subscriber_in b = sub_in("alice@ims.example", MBMSEC_STORE_SQN_MAX, "");
  mbmsec_store_subscriber_in c = sub_in("carol@ims.example", 0, NULL);
  assert_int_equal(mbmsec_store_subscriber_add(st, &a), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_add(st, &b), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_add(st, &c), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_add(st, &a), MBMSEC_ERR_STORE_EXISTS);
  assert_true(strlen(mbmsec_store_errmsg(st)) > 0);

  mbmsec_store_subscriber s;
  assert_int_equal(mbmsec_store_subscriber_get(st, "bob@ims.example", &s), MBMSEC_OK);
  assert_string_equal(s.impi, "bob@ims.example");
  assert_memory_equal(s.k, K1, 16);
  assert_memory_equal(s.opc, OPC1, 16);
  assert_memory_equal(s.amf, AMF1, 2);
  assert_true(s.sqn == 0x20);
  assert_string_equal(s.uss, "4");
  assert_int_equal(mbmsec_store_subscriber_get(st, "alice@ims.example", &s), MBMSEC_OK);
  assert_true(s.sqn == MBMSEC_STORE_SQN_MAX);
  assert_string_equal(s.uss, "");
  assert_int_equal(mbmsec_store_subscriber_get(st, "carol@ims.example", &s), MBMSEC_OK);
  assert_string_equal(s.uss, "");

  list_acc acc = {0};
  assert_int_equal(mbmsec_store_subscriber_list(st, list_cb, &acc), MBMSEC_OK);
  assert_int_equal(acc.n, 3);
  assert_string_equal(acc.impi[0], "alice@ims.example");
  assert_string_equal(acc.impi[1], "bob@ims.example");
  assert_string_equal(acc.impi[2], "carol@ims.example");

  assert_int_equal(mbmsec_store_subscriber_delete(st, "bob@ims.example"), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_get(st, "bob@ims.example", &s),
                   MBMSEC_ERR_STORE_NOT_FOUND);
  /* out is zeroised on error. */
  static const uint8_t zero[16] = {0};
  assert_memory_equal(s.k, zero, 16);
  assert_int_equal(mbmsec_store_subscriber_delete(st, "bob@ims.example"),
                   MBMSEC_ERR_STORE_NOT_FOUND);
  assert_int_equal(count_subscribers(st), 2);
  mbmsec_cleanse(&s, sizeof s);
  mbmsec_store_close(st);
}

static mbmsec_err stop_cb(const mbmsec_store_subscriber *sub, void *arg)
{
  (void)sub;
  (*(int *)arg)++;
  return MBMSEC_ERR_SPACE;
}

typedef struct {
  mbmsec_store *st;
  mbmsec_err inner;
} reent;

static mbmsec_err reentrant_cb(const mbmsec_store_subscriber *sub, void *arg)
{
  reent *r = arg;
  mbmsec_store_subscriber s;
  r->inner = mbmsec_store_subscriber_get(r->st, sub->impi, &s);
  return MBMSEC_OK;
}

/* A callback's error stops the listing; a call back into the handle is refused, not hung. */
static void test_list_callback(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("listcb.db");
  mbmsec_store_subscriber_in a = sub_in("a@x", 1, "4"), b = sub_in("b@x", 1, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &a), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_add(st, &b), MBMSEC_OK);
  int calls = 0;
  assert_int_equal(mbmsec_store_subscriber_list(st, stop_cb, &calls), MBMSEC_ERR_SPACE);
  assert_int_equal(calls, 1);
  reent r = {st, MBMSEC_OK};
  assert_int_equal(mbmsec_store_subscriber_list(st, reentrant_cb, &r), MBMSEC_OK);
  assert_int_equal(r.inner, MBMSEC_ERR_STORE_REENTRANT);
  /* The handle still works afterwards. */
  assert_int_equal(count_subscribers(st), 2);
  assert_int_equal(mbmsec_store_subscriber_list(st, NULL, NULL), MBMSEC_ERR_ARG);
  mbmsec_store_close(st);
}

static void test_sqn_cas(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("cas.db");
  mbmsec_store_subscriber_in a = sub_in("ue@x", 0x40, "4");
  mbmsec_store_subscriber s;
  assert_int_equal(mbmsec_store_subscriber_add(st, &a), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_sqn_cas(st, "ue@x", 0x40, 0x60), MBMSEC_OK);
  /* A second bootstrap that read 0x40 too loses: refused, state unchanged. */
  assert_int_equal(mbmsec_store_subscriber_sqn_cas(st, "ue@x", 0x40, 0x60),
                   MBMSEC_ERR_STORE_SQN_CONFLICT);
  assert_int_equal(mbmsec_store_subscriber_sqn_cas(st, "ue@x", 0x40, 0x99),
                   MBMSEC_ERR_STORE_SQN_CONFLICT);
  assert_int_equal(mbmsec_store_subscriber_get(st, "ue@x", &s), MBMSEC_OK);
  assert_true(s.sqn == 0x60);
  /* Resynchronisation may move SQN back. */
  assert_int_equal(mbmsec_store_subscriber_sqn_cas(st, "ue@x", 0x60, 0x21), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_sqn_cas(st, "ue@x", 0x21, MBMSEC_STORE_SQN_MAX),
                   MBMSEC_OK);
  assert_int_equal(
      mbmsec_store_subscriber_sqn_cas(st, "ue@x", MBMSEC_STORE_SQN_MAX, MBMSEC_STORE_SQN_MAX + 1),
      MBMSEC_ERR_SQN_RANGE);
  assert_int_equal(mbmsec_store_subscriber_sqn_cas(st, "ue@x", MBMSEC_STORE_SQN_MAX + 1, 1),
                   MBMSEC_ERR_SQN_RANGE);
  assert_int_equal(mbmsec_store_subscriber_get(st, "ue@x", &s), MBMSEC_OK);
  assert_true(s.sqn == MBMSEC_STORE_SQN_MAX);
  assert_int_equal(mbmsec_store_subscriber_sqn_cas(st, "nobody@x", 0, 1),
                   MBMSEC_ERR_STORE_NOT_FOUND);
  mbmsec_cleanse(&s, sizeof s);
  mbmsec_store_close(st);
}

static void test_uss(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("uss.db");
  mbmsec_store_subscriber_in a = sub_in("ue@x", 0, "4");
  mbmsec_store_subscriber s;
  assert_int_equal(mbmsec_store_subscriber_add(st, &a), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_set_uss(st, "ue@x", "1,4,4294967295"), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_get(st, "ue@x", &s), MBMSEC_OK);
  assert_string_equal(s.uss, "1,4,4294967295");
  assert_true(mbmsec_store_uss_has_gsid(s.uss, 4));
  assert_true(mbmsec_store_uss_has_gsid(s.uss, 4294967295u));
  assert_false(mbmsec_store_uss_has_gsid(s.uss, 2));
  assert_false(mbmsec_store_uss_has_gsid("", 4));
  assert_false(mbmsec_store_uss_has_gsid("44", 4));
  static const char *const bad[] = {",",  "4,", ",4",         "4,,1", "a",  "4 ",
                                    " 4", "04", "4294967296", "-1",   "4;1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(mbmsec_store_subscriber_set_uss(st, "ue@x", bad[i]), MBMSEC_ERR_STORE_USS);
  char longuss[300];
  memset(longuss, '1', sizeof longuss - 1);
  longuss[sizeof longuss - 1] = '\0';
  for (size_t i = 1; i < sizeof longuss - 1; i += 2) longuss[i] = ',';
  assert_int_equal(mbmsec_store_subscriber_set_uss(st, "ue@x", longuss), MBMSEC_ERR_STORE_USS);
  assert_int_equal(mbmsec_store_subscriber_get(st, "ue@x", &s), MBMSEC_OK);
  assert_string_equal(s.uss, "1,4,4294967295"); /* unchanged */
  assert_int_equal(mbmsec_store_subscriber_set_uss(st, "ue@x", NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_get(st, "ue@x", &s), MBMSEC_OK);
  assert_string_equal(s.uss, "");
  assert_int_equal(mbmsec_store_subscriber_set_uss(st, "other@x", "4"), MBMSEC_ERR_STORE_NOT_FOUND);
  mbmsec_store_subscriber_in b = sub_in("ue2@x", 0, "4,x");
  assert_int_equal(mbmsec_store_subscriber_add(st, &b), MBMSEC_ERR_STORE_USS);
  assert_int_equal(count_subscribers(st), 1);
  mbmsec_cleanse(&s, sizeof s);
  mbmsec_store_close(st);
}

static void test_bootstrap(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("bs.db");
  mbmsec_store_subscriber_in a = sub_in("ue@x", 0, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &a), MBMSEC_OK);

  mbmsec_store_bootstrap_in b1 =
      bs_in("I1U8vpY3qJ0hiuZNrke/NQ==@bsf.example.org", "ue@x", 1000, 2000);
  mbmsec_store_bootstrap_in b2 = bs_in("b2@bsf.example.org", "ue@x", 1000, 3000);
  mbmsec_store_bootstrap_in b3 = bs_in("b3@bsf.example.org", "ue@x", 1500, 2000);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b1), MBMSEC_OK);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b2), MBMSEC_OK);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b3), MBMSEC_OK);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b1), MBMSEC_ERR_STORE_EXISTS);
  mbmsec_store_bootstrap_in orphan = bs_in("b4@bsf.example.org", "nobody@x", 1000, 2000);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &orphan), MBMSEC_ERR_STORE_NOT_FOUND);
  mbmsec_store_bootstrap_in backwards = bs_in("b5@bsf.example.org", "ue@x", 2000, 2000);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &backwards), MBMSEC_ERR_STORE_LIFETIME);

  mbmsec_store_bootstrap r;
  assert_int_equal(mbmsec_store_bootstrap_get(st, b1.btid, &r), MBMSEC_OK);
  assert_string_equal(r.btid, b1.btid);
  assert_string_equal(r.impi, "ue@x");
  assert_memory_equal(r.ks, KS1, 32);
  assert_memory_equal(r.rand, RAND1, 16);
  assert_true(r.created == 1000 && r.expires == 2000);
  assert_int_equal(mbmsec_store_bootstrap_get(st, "b4@bsf.example.org", &r),
                   MBMSEC_ERR_STORE_NOT_FOUND);
  assert_int_equal(mbmsec_store_bootstrap_get(st, "b5@bsf.example.org", &r),
                   MBMSEC_ERR_STORE_NOT_FOUND);

  /* Purge at 1999 keeps all; at 2000 removes the two with expires == 2000. */
  uint64_t n = 99;
  assert_int_equal(mbmsec_store_bootstrap_purge(st, 1999, &n), MBMSEC_OK);
  assert_true(n == 0);
  assert_int_equal(mbmsec_store_bootstrap_purge(st, 2000, &n), MBMSEC_OK);
  assert_true(n == 2);
  assert_int_equal(mbmsec_store_bootstrap_get(st, b1.btid, &r), MBMSEC_ERR_STORE_NOT_FOUND);
  assert_int_equal(mbmsec_store_bootstrap_get(st, b3.btid, &r), MBMSEC_ERR_STORE_NOT_FOUND);
  assert_int_equal(mbmsec_store_bootstrap_get(st, b2.btid, &r), MBMSEC_OK);
  assert_int_equal(mbmsec_store_bootstrap_purge(st, 2000, NULL), MBMSEC_OK);

  assert_int_equal(mbmsec_store_bootstrap_delete(st, b2.btid), MBMSEC_OK);
  assert_int_equal(mbmsec_store_bootstrap_delete(st, b2.btid), MBMSEC_ERR_STORE_NOT_FOUND);

  /* Deleting the subscriber deletes its bootstrap records (foreign key, cascade). */
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b1), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_delete(st, "ue@x"), MBMSEC_OK);
  assert_int_equal(mbmsec_store_bootstrap_get(st, b1.btid, &r), MBMSEC_ERR_STORE_NOT_FOUND);
  mbmsec_cleanse(&r, sizeof r);
  mbmsec_store_close(st);
}

/* Everything written is found again after close and reopen. */
static void test_reopen(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("reopen.db");
  mbmsec_store_subscriber_in a = sub_in("ue@x", 0x41, "4,1");
  assert_int_equal(mbmsec_store_subscriber_add(st, &a), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_sqn_cas(st, "ue@x", 0x41, 0x61), MBMSEC_OK);
  mbmsec_store_bootstrap_in b = bs_in("r1@bsf", "ue@x", 5, 500);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b), MBMSEC_OK);
  uint64_t first = 0;
  assert_int_equal(mbmsec_store_counter_reserve(st, "mikey", 100, UINT32_MAX, &first), MBMSEC_OK);
  assert_true(first == 1);
  mbmsec_store_close(st);

  st = open_ok("reopen.db");
  mbmsec_store_subscriber s;
  assert_int_equal(mbmsec_store_subscriber_get(st, "ue@x", &s), MBMSEC_OK);
  assert_true(s.sqn == 0x61);
  assert_memory_equal(s.k, K1, 16);
  assert_string_equal(s.uss, "4,1");
  mbmsec_store_bootstrap r;
  assert_int_equal(mbmsec_store_bootstrap_get(st, "r1@bsf", &r), MBMSEC_OK);
  assert_memory_equal(r.ks, KS1, 32);
  assert_true(r.created == 5 && r.expires == 500);
  assert_int_equal(mbmsec_store_counter_reserve(st, "mikey", 1, UINT32_MAX, &first), MBMSEC_OK);
  assert_true(first == 101);
  uint32_t v = 0;
  assert_int_equal(mbmsec_store_schema_version(st, &v), MBMSEC_OK);
  assert_int_equal(v, MBMSEC_STORE_SCHEMA_VERSION);
  mbmsec_cleanse(&s, sizeof s);
  mbmsec_cleanse(&r, sizeof r);
  mbmsec_store_close(st);
}

static void raw_exec(const char *file, const char *sql)
{
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path_of(file), &db), SQLITE_OK);
  char *err = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  if (rc != SQLITE_OK) fprintf(stderr, "raw_exec: %s\n", err != NULL ? err : "?");
  sqlite3_free(err);
  assert_int_equal(rc, SQLITE_OK);
  sqlite3_close(db);
}

static int raw_count(const char *file, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *q = NULL;
  assert_int_equal(sqlite3_open(path_of(file), &db), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(q), SQLITE_ROW);
  int n = sqlite3_column_int(q, 0);
  sqlite3_finalize(q);
  sqlite3_close(db);
  return n;
}

/* A file written by a newer build is refused and left as it was. */
static void test_schema_future(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("future.db");
  mbmsec_store_subscriber_in a = sub_in("ue@x", 1, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &a), MBMSEC_OK);
  mbmsec_store_close(st);
  assert_int_equal(raw_count("future.db", "SELECT COUNT(*) FROM schema_version"),
                   MBMSEC_STORE_SCHEMA_VERSION);
  raw_exec("future.db", "INSERT INTO schema_version VALUES (999, 0, 'from the future')");
  st = (mbmsec_store *)1;
  assert_int_equal(mbmsec_store_open(path_of("future.db"), &st), MBMSEC_ERR_STORE_SCHEMA_NEWER);
  assert_null(st);
  assert_int_equal(raw_count("future.db", "SELECT MAX(version) FROM schema_version"), 999);
  assert_int_equal(raw_count("future.db", "SELECT COUNT(*) FROM subscriber"), 1);
}

/* A store at schema version 1 (subscribers only) is migrated in order, its rows kept. */
static void test_schema_migrate(void **state)
{
  (void)state;
  char sql[2048];
  snprintf(sql, sizeof sql,
           "CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL,"
           " applied INTEGER NOT NULL, concern TEXT NOT NULL);"
           "%s"
           "INSERT INTO schema_version VALUES (1, 0, 'v1');"
           "INSERT INTO subscriber VALUES ('old@x', zeroblob(16), zeroblob(16), 7, x'8000', '4');",
           mbmsec_store_sqlite_migrations[0].sql);
  raw_exec("v1.db", sql);
  mbmsec_store *st = open_ok("v1.db");
  uint32_t v = 0;
  assert_int_equal(mbmsec_store_schema_version(st, &v), MBMSEC_OK);
  assert_int_equal(v, MBMSEC_STORE_SCHEMA_VERSION);
  mbmsec_store_subscriber s;
  assert_int_equal(mbmsec_store_subscriber_get(st, "old@x", &s), MBMSEC_OK);
  assert_true(s.sqn == 7);
  mbmsec_store_bootstrap_in b = bs_in("m@bsf", "old@x", 1, 2);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b), MBMSEC_OK);
  mbmsec_store_close(st);
  assert_int_equal(raw_count("v1.db", "SELECT COUNT(*) FROM schema_version"),
                   MBMSEC_STORE_SCHEMA_VERSION);
  assert_int_equal(raw_count("v1.db", "SELECT COUNT(*) FROM schema_version WHERE version = 2"
                                      " AND concern LIKE 'bsf:%'"),
                   1);
}

/* A file that is not a database, and a row of the wrong shape written by another tool. */
static void test_corrupt(void **state)
{
  (void)state;
  FILE *f = fopen(path_of("garbage.db"), "wb");
  assert_non_null(f);
  for (int i = 0; i < 512; i++) fputs("this is not an SQLite database. ", f);
  fclose(f);
  mbmsec_store *st = (mbmsec_store *)1;
  assert_int_equal(mbmsec_store_open(path_of("garbage.db"), &st), MBMSEC_ERR_STORE_CORRUPT);
  assert_null(st);

  st = open_ok("shape.db");
  mbmsec_store_close(st);
  /* The schema's CHECKs stop a short key; bypass them the way a hand edit would. */
  raw_exec("shape.db",
           "PRAGMA ignore_check_constraints=ON;"
           "INSERT INTO subscriber VALUES ('bad@x', x'00', zeroblob(16), 1, x'0000', '');");
  st = open_ok("shape.db");
  mbmsec_store_subscriber s;
  assert_int_equal(mbmsec_store_subscriber_get(st, "bad@x", &s), MBMSEC_ERR_STORE_CORRUPT);
  assert_non_null(strstr(mbmsec_store_errmsg(st), "k"));
  assert_int_equal(mbmsec_store_subscriber_list(st, list_cb, &(list_acc){0}),
                   MBMSEC_ERR_STORE_CORRUPT);
  mbmsec_store_close(st);
}

static void test_counter(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("ctr.db");
  uint64_t f = 0;
  assert_int_equal(mbmsec_store_counter_reserve(st, "a", 10, UINT32_MAX, &f), MBMSEC_OK);
  assert_true(f == 1);
  assert_int_equal(mbmsec_store_counter_reserve(st, "a", 10, UINT32_MAX, &f), MBMSEC_OK);
  assert_true(f == 11);
  assert_int_equal(mbmsec_store_counter_reserve(st, "b", 1, UINT32_MAX, &f), MBMSEC_OK);
  assert_true(f == 1);
  /* Up to max exactly, then refused with nothing reserved. */
  assert_int_equal(mbmsec_store_counter_reserve(st, "small", 5, 10, &f), MBMSEC_OK);
  assert_true(f == 1);
  assert_int_equal(mbmsec_store_counter_reserve(st, "small", 6, 10, &f),
                   MBMSEC_ERR_STORE_COUNTER_RANGE);
  assert_int_equal(mbmsec_store_counter_reserve(st, "small", 5, 10, &f), MBMSEC_OK);
  assert_true(f == 6);
  assert_int_equal(mbmsec_store_counter_reserve(st, "small", 1, 10, &f),
                   MBMSEC_ERR_STORE_COUNTER_RANGE);
  assert_int_equal(mbmsec_store_counter_reserve(st, "big", MBMSEC_STORE_COUNTER_MAX,
                                                MBMSEC_STORE_COUNTER_MAX, &f),
                   MBMSEC_OK);
  assert_true(f == 1);
  assert_int_equal(mbmsec_store_counter_reserve(st, "big", 1, MBMSEC_STORE_COUNTER_MAX, &f),
                   MBMSEC_ERR_STORE_COUNTER_RANGE);
  /* Bad arguments. */
  assert_int_equal(mbmsec_store_counter_reserve(st, "a", 0, UINT32_MAX, &f), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_counter_reserve(st, "a", 1, 0, &f), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_counter_reserve(st, "a", 1, MBMSEC_STORE_COUNTER_MAX + 1, &f),
                   MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_counter_reserve(st, "a", 1, UINT32_MAX, NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_counter_reserve(st, "", 1, UINT32_MAX, &f), MBMSEC_ERR_STORE_NAME);
  assert_int_equal(mbmsec_store_counter_reserve(st, "a b", 1, UINT32_MAX, &f),
                   MBMSEC_ERR_STORE_NAME);
  char longname[MBMSEC_STORE_COUNTER_NAME_MAX + 2];
  memset(longname, 'n', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  assert_int_equal(mbmsec_store_counter_reserve(st, longname, 1, UINT32_MAX, &f),
                   MBMSEC_ERR_STORE_NAME);
  longname[MBMSEC_STORE_COUNTER_NAME_MAX] = '\0';
  assert_int_equal(mbmsec_store_counter_reserve(st, longname, 1, UINT32_MAX, &f), MBMSEC_OK);
  mbmsec_store_close(st);

  st = open_ok("ctr.db");
  assert_int_equal(mbmsec_store_counter_reserve(st, "a", 1, UINT32_MAX, &f), MBMSEC_OK);
  assert_true(f == 21);
  mbmsec_store_close(st);
}

/* A process that reserved a block and died without closing (plain _exit, or SIGKILL while
 * idle) never sees its block handed out again. */
static void test_counter_crash(void **state)
{
  (void)state;
  uint64_t last_end = 0;
  for (int round = 0; round < 4; round++) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      mbmsec_store *cst = NULL;
      uint64_t f = 0;
      if (mbmsec_store_open(path_of("crash.db"), &cst) != MBMSEC_OK ||
          mbmsec_store_counter_reserve(cst, "mikey-msk", 1000, UINT32_MAX, &f) != MBMSEC_OK)
        _exit(2);
      if (write(fds[1], &f, sizeof f) != (ssize_t)sizeof f) _exit(3);
      if (round % 2 == 0) _exit(0); /* no close, no checkpoint */
      for (;;) pause();             /* killed by the parent */
    }
    close(fds[1]);
    uint64_t child_first = 0;
    assert_int_equal(read(fds[0], &child_first, sizeof child_first), (ssize_t)sizeof child_first);
    close(fds[0]);
    if (round % 2 == 1) kill(pid, SIGKILL);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (round % 2 == 0)
      assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    else
      assert_true(WIFSIGNALED(status));
    assert_true(child_first > last_end);

    mbmsec_store *st = open_ok("crash.db");
    uint64_t f = 0;
    assert_int_equal(mbmsec_store_counter_reserve(st, "mikey-msk", 10, UINT32_MAX, &f), MBMSEC_OK);
    assert_true(f == child_first + 1000);
    last_end = f + 9;
    mbmsec_store_close(st); /* closed before the next fork: no handle crosses fork() */
  }
}

/* mbmsec_store_ctr: the one counter rule of the MSK and MTK message counters (P11). */
typedef struct {
  const char *name;
  unsigned calls;
  mbmsec_err fail; /* returned instead of the name when not MBMSEC_OK */
} ctr_name_arg;

static mbmsec_err ctr_name_cb(void *arg, char out[MBMSEC_STORE_COUNTER_NAME_MAX + 1])
{
  ctr_name_arg *a = arg;
  a->calls++;
  if (a->fail != MBMSEC_OK) return a->fail;
  snprintf(out, MBMSEC_STORE_COUNTER_NAME_MAX + 1, "%s", a->name);
  return MBMSEC_OK;
}

static void test_ctr(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("ctr.db");
  ctr_name_arg a = {.name = "mtk:00f11000010002"};
  mbmsec_store_ctr c = {0, 0};
  uint64_t v = 0, prev = 0;
  /* 1..25 in blocks of 10: the store is asked once per block, the name built only then */
  for (uint64_t i = 1; i <= 25; i++) {
    assert_int_equal(mbmsec_store_ctr_next(st, &c, 10, UINT32_MAX, ctr_name_cb, &a, &v), MBMSEC_OK);
    assert_int_equal(v, i);
    prev = v;
  }
  assert_int_equal(a.calls, 3);
  assert_int_equal(c.end, 31);
  /* a second cursor on the same counter (another thread, another process) never overlaps */
  mbmsec_store_ctr c2 = {0, 0};
  assert_int_equal(mbmsec_store_ctr_next(st, &c2, 10, UINT32_MAX, ctr_name_cb, &a, &v), MBMSEC_OK);
  assert_int_equal(v, 31);
  /* a failed reservation hands nothing out and leaves the cursor as it was */
  mbmsec_store_ctr full = {5, 5};
  a.fail = MBMSEC_ERR_CRYPTO;
  v = 77;
  assert_int_equal(mbmsec_store_ctr_next(st, &full, 10, UINT32_MAX, ctr_name_cb, &a, &v),
                   MBMSEC_ERR_CRYPTO);
  assert_int_equal(v, 77);
  assert_int_equal(full.next, 5);
  assert_int_equal(full.end, 5);
  a.fail = MBMSEC_OK;
  ctr_name_arg small = {.name = "small-ctr"};
  mbmsec_store_ctr s = {0, 0};
  assert_int_equal(mbmsec_store_ctr_next(st, &s, 4, 6, ctr_name_cb, &small, &v), MBMSEC_OK);
  for (int i = 0; i < 3; i++)
    assert_int_equal(mbmsec_store_ctr_next(st, &s, 4, 6, ctr_name_cb, &small, &v), MBMSEC_OK);
  assert_int_equal(v, 4);
  assert_int_equal(mbmsec_store_ctr_next(st, &s, 4, 6, ctr_name_cb, &small, &v),
                   MBMSEC_ERR_STORE_COUNTER_RANGE); /* 5..8 would pass max 6 */
  assert_int_equal(v, 4);
  ctr_name_arg bad = {.name = "a b"};
  mbmsec_store_ctr b = {0, 0};
  assert_int_equal(mbmsec_store_ctr_next(st, &b, 1, 9, ctr_name_cb, &bad, &v),
                   MBMSEC_ERR_STORE_NAME);
  assert_int_equal(mbmsec_store_ctr_next(st, NULL, 1, 9, ctr_name_cb, &a, &v), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_ctr_next(st, &b, 1, 9, ctr_name_cb, &a, NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_ctr_next(NULL, &b, 1, 9, ctr_name_cb, &a, &v), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_ctr_next(st, &b, 1, 9, NULL, &a, &v), MBMSEC_ERR_ARG);
  mbmsec_store_close(st);

  /* Reopen after a simulated crash: a child takes some values of its block and dies without
   * closing (_exit, then SIGKILL in the middle of a block); whatever it handed out, the next
   * process continues above the child's committed block, never inside it. */
  for (int round = 0; round < 2; round++) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      mbmsec_store *cst = NULL;
      ctr_name_arg ca = {.name = "mtk:00f11000010002"};
      mbmsec_store_ctr cc = {0, 0};
      uint64_t cv = 0;
      if (mbmsec_store_open(path_of("ctr.db"), &cst) != MBMSEC_OK) _exit(2);
      for (int i = 0; i < 7; i++) /* 7 of a block of 100 handed out */
        if (mbmsec_store_ctr_next(cst, &cc, 100, UINT32_MAX, ctr_name_cb, &ca, &cv) != MBMSEC_OK)
          _exit(3);
      if (write(fds[1], &cv, sizeof cv) != (ssize_t)sizeof cv ||
          write(fds[1], &cc.end, sizeof cc.end) != (ssize_t)sizeof cc.end)
        _exit(4);
      if (round == 0) _exit(0); /* no close */
      for (;;) pause();
    }
    close(fds[1]);
    uint64_t child_last = 0, child_end = 0;
    assert_int_equal(read(fds[0], &child_last, sizeof child_last), (ssize_t)sizeof child_last);
    assert_int_equal(read(fds[0], &child_end, sizeof child_end), (ssize_t)sizeof child_end);
    close(fds[0]);
    if (round == 1) kill(pid, SIGKILL);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(child_last > prev);
    assert_int_equal(child_end, child_last - 6 + 100);
    st = open_ok("ctr.db");
    mbmsec_store_ctr again = {0, 0};
    assert_int_equal(mbmsec_store_ctr_next(st, &again, 10, UINT32_MAX, ctr_name_cb, &a, &v),
                     MBMSEC_OK);
    assert_int_equal(v, child_end); /* the unused 93 of the child's block are skipped */
    prev = v;
    mbmsec_store_close(st);
  }
}

/* mbmsec_store_data_version: the same number while nothing is committed (the read through
 * the WAL-index header skips the PRAGMA), a new one after every commit by this handle, by
 * another handle, by another process, and after the WAL was checkpointed and restarted (the
 * header's salts change, not only its frame count). */
static void child_write(const char *impi, bool checkpoint)
{
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    mbmsec_store *cst = NULL;
    mbmsec_store_subscriber_in in = sub_in(impi, 1, "");
    if (mbmsec_store_open(path_of("version.db"), &cst) != MBMSEC_OK ||
        mbmsec_store_subscriber_add(cst, &in) != MBMSEC_OK)
      _exit(2);
    if (checkpoint &&
        sqlite3_wal_checkpoint_v2(((mbmsec_sqlite_store *)cst)->db, NULL,
                                  SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) != SQLITE_OK)
      _exit(3);
    mbmsec_store_close(cst);
    _exit(0);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_data_version(void **state)
{
  (void)state;
  mbmsec_store *a = open_ok("version.db"), *b = open_ok("version.db");
  assert_non_null(((mbmsec_sqlite_store *)a)->wal_hdr); /* the shortcut is in use */
  uint64_t v0, v1, v2;
  assert_int_equal(mbmsec_store_data_version(a, &v0), MBMSEC_OK);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(mbmsec_store_data_version(a, &v1), MBMSEC_OK);
    assert_true(v1 == v0);
  }
  mbmsec_store_subscriber_in in = sub_in("own@v", 1, "");
  assert_int_equal(mbmsec_store_subscriber_add(a, &in), MBMSEC_OK); /* this handle */
  assert_int_equal(mbmsec_store_data_version(a, &v1), MBMSEC_OK);
  assert_true(v1 != v0);
  in = sub_in("other@v", 1, "");
  assert_int_equal(mbmsec_store_subscriber_add(b, &in), MBMSEC_OK); /* another handle */
  assert_int_equal(mbmsec_store_data_version(a, &v2), MBMSEC_OK);
  assert_true(v2 != v1);
  v0 = v2;
  for (int round = 0; round < 4; round++) { /* another process, with and without a restart */
    char impi[32];
    snprintf(impi, sizeof impi, "child%d@v", round);
    child_write(impi, round % 2 == 1);
    assert_int_equal(mbmsec_store_data_version(a, &v1), MBMSEC_OK);
    assert_true(v1 != v0);
    assert_int_equal(mbmsec_store_data_version(a, &v2), MBMSEC_OK);
    assert_true(v2 == v1);
    mbmsec_store_subscriber out;
    assert_int_equal(mbmsec_store_subscriber_get(a, impi, &out), MBMSEC_OK); /* and it is seen */
    v0 = v1;
  }
  /* an in-memory store has no WAL-index: the PRAGMA every time, still right */
  mbmsec_store *m = NULL;
  assert_int_equal(mbmsec_store_open(":memory:", &m), MBMSEC_OK);
  assert_null(((mbmsec_sqlite_store *)m)->wal_hdr);
  assert_int_equal(mbmsec_store_data_version(m, &v0), MBMSEC_OK);
  in = sub_in("mem@v", 1, "");
  assert_int_equal(mbmsec_store_subscriber_add(m, &in), MBMSEC_OK);
  assert_int_equal(mbmsec_store_data_version(m, &v1), MBMSEC_OK);
  assert_true(v1 != v0);
  mbmsec_store_close(m);
  mbmsec_store_close(b);
  mbmsec_store_close(a);
}

/* Refused inputs: the code says why, and nothing is stored. */
static void test_bad_inputs(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("bad.db");
  char longimpi[MBMSEC_STORE_IMPI_MAX + 2];
  memset(longimpi, 'i', sizeof longimpi - 1);
  longimpi[sizeof longimpi - 1] = '\0';
  uint8_t k15[15] = {0};

  mbmsec_store_subscriber_in in = sub_in(longimpi, 0, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_ERR_STORE_IMPI);
  in = sub_in("", 0, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_ERR_STORE_IMPI);
  in = sub_in("ue @x", 0, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_ERR_STORE_IMPI);
  in = sub_in("ue\n@x", 0, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_ERR_STORE_IMPI);
  in = sub_in("ue\xc3\xa9@x", 0, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_ERR_STORE_IMPI);
  in = sub_in(NULL, 0, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_ERR_ARG);
  in = sub_in("ue@x", 0, "4");
  in.k = k15;
  in.k_len = 15;
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_ERR_LENGTH);
  in = sub_in("ue@x", 0, "4");
  in.opc_len = 17;
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_ERR_LENGTH);
  in = sub_in("ue@x", 0, "4");
  in.amf_len = 1;
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_ERR_LENGTH);
  in = sub_in("ue@x", 0, "4");
  in.k = NULL;
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_ERR_ARG);
  in = sub_in("ue@x", MBMSEC_STORE_SQN_MAX + 1, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_ERR_SQN_RANGE);
  assert_int_equal(mbmsec_store_subscriber_add(NULL, &in), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_subscriber_add(st, NULL), MBMSEC_ERR_ARG);
  assert_int_equal(count_subscribers(st), 0);

  /* The longest IMPI is accepted. */
  longimpi[MBMSEC_STORE_IMPI_MAX] = '\0';
  in = sub_in(longimpi, 0, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_OK);
  mbmsec_store_subscriber s;
  assert_int_equal(mbmsec_store_subscriber_get(st, longimpi, &s), MBMSEC_OK);
  assert_int_equal(strlen(s.impi), MBMSEC_STORE_IMPI_MAX);
  longimpi[MBMSEC_STORE_IMPI_MAX] = 'i';
  assert_int_equal(mbmsec_store_subscriber_get(st, longimpi, &s), MBMSEC_ERR_STORE_IMPI);
  assert_int_equal(mbmsec_store_subscriber_get(st, "ue@x", NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_subscriber_delete(st, longimpi), MBMSEC_ERR_STORE_IMPI);
  assert_int_equal(mbmsec_store_subscriber_sqn_cas(st, longimpi, 0, 1), MBMSEC_ERR_STORE_IMPI);
  assert_int_equal(mbmsec_store_subscriber_set_uss(st, longimpi, "4"), MBMSEC_ERR_STORE_IMPI);
  longimpi[MBMSEC_STORE_IMPI_MAX] = '\0';

  /* Bootstrap records. */
  char longbtid[MBMSEC_STORE_BTID_MAX + 2];
  memset(longbtid, 'b', sizeof longbtid - 1);
  longbtid[sizeof longbtid - 1] = '\0';
  mbmsec_store_bootstrap_in b = bs_in(longbtid, longimpi, 1, 2);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b), MBMSEC_ERR_STORE_BTID);
  b = bs_in("", longimpi, 1, 2);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b), MBMSEC_ERR_STORE_BTID);
  b = bs_in("b@bsf", "bad impi", 1, 2);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b), MBMSEC_ERR_STORE_IMPI);
  b = bs_in("b@bsf", longimpi, 1, 2);
  b.ks_len = 16;
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b), MBMSEC_ERR_LENGTH);
  b = bs_in("b@bsf", longimpi, 1, 2);
  b.rand_len = 15;
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b), MBMSEC_ERR_LENGTH);
  b = bs_in("b@bsf", longimpi, 1, 2);
  b.ks = NULL;
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b), MBMSEC_ERR_ARG);
  b = bs_in("b@bsf", longimpi, 3, 2);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b), MBMSEC_ERR_STORE_LIFETIME);
  mbmsec_store_bootstrap r;
  assert_int_equal(mbmsec_store_bootstrap_get(st, "b@bsf", &r), MBMSEC_ERR_STORE_NOT_FOUND);
  assert_int_equal(mbmsec_store_bootstrap_get(st, longbtid, &r), MBMSEC_ERR_STORE_BTID);
  assert_int_equal(mbmsec_store_bootstrap_delete(st, longbtid), MBMSEC_ERR_STORE_BTID);
  assert_int_equal(mbmsec_store_bootstrap_purge(NULL, 0, NULL), MBMSEC_ERR_ARG);
  uint64_t n = 9;
  assert_int_equal(mbmsec_store_bootstrap_purge(st, INT64_MAX, &n), MBMSEC_OK);
  assert_true(n == 0); /* nothing was stored */
  longbtid[MBMSEC_STORE_BTID_MAX] = '\0';
  b = bs_in(longbtid, longimpi, 1, 2);
  assert_int_equal(mbmsec_store_bootstrap_put(st, &b), MBMSEC_OK);
  assert_int_equal(mbmsec_store_bootstrap_get(st, longbtid, &r), MBMSEC_OK);
  mbmsec_cleanse(&s, sizeof s);
  mbmsec_cleanse(&r, sizeof r);
  mbmsec_store_close(st);
}

/* Several handles on one file, one per thread: SQN compare-and-set never hands out one SQN
 * twice, counter blocks never overlap. */
#define NTHREADS 4
#define NITER    25
static char g_threads_db[1024]; /* path_of's buffer is not for threads */

typedef struct {
  uint64_t sqn[NITER];
  uint64_t ctr[NITER];
  mbmsec_err rc;
} thread_out;

static void *worker(void *arg)
{
  thread_out *o = arg;
  mbmsec_store *st = NULL;
  o->rc = mbmsec_store_open(g_threads_db, &st);
  if (o->rc != MBMSEC_OK) return NULL;
  for (int i = 0; i < NITER && o->rc == MBMSEC_OK; i++) {
    for (;;) {
      mbmsec_store_subscriber s;
      o->rc = mbmsec_store_subscriber_get(st, "ue@x", &s);
      if (o->rc != MBMSEC_OK) break;
      uint64_t next = s.sqn + 32;
      mbmsec_cleanse(&s, sizeof s);
      o->rc = mbmsec_store_subscriber_sqn_cas(st, "ue@x", next - 32, next);
      if (o->rc == MBMSEC_ERR_STORE_SQN_CONFLICT) continue;
      o->sqn[i] = next;
      break;
    }
    if (o->rc == MBMSEC_OK)
      o->rc = mbmsec_store_counter_reserve(st, "shared", 10, UINT32_MAX, &o->ctr[i]);
  }
  mbmsec_store_close(st);
  return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void test_threads(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("threads.db");
  mbmsec_store_subscriber_in a = sub_in("ue@x", 0, "4");
  assert_int_equal(mbmsec_store_subscriber_add(st, &a), MBMSEC_OK);
  mbmsec_store_close(st);

  snprintf(g_threads_db, sizeof g_threads_db, "%s", path_of("threads.db"));
  static thread_out outs[NTHREADS];
  pthread_t th[NTHREADS];
  for (int t = 0; t < NTHREADS; t++)
    assert_int_equal(pthread_create(&th[t], NULL, worker, &outs[t]), 0);
  for (int t = 0; t < NTHREADS; t++) assert_int_equal(pthread_join(th[t], NULL), 0);
  static uint64_t sqns[NTHREADS * NITER], ctrs[NTHREADS * NITER];
  for (int t = 0; t < NTHREADS; t++) {
    assert_int_equal(outs[t].rc, MBMSEC_OK);
    memcpy(&sqns[t * NITER], outs[t].sqn, sizeof outs[t].sqn);
    memcpy(&ctrs[t * NITER], outs[t].ctr, sizeof outs[t].ctr);
  }
  qsort(sqns, NTHREADS * NITER, sizeof sqns[0], cmp_u64);
  qsort(ctrs, NTHREADS * NITER, sizeof ctrs[0], cmp_u64);
  for (size_t i = 0; i < NTHREADS * NITER; i++) {
    assert_true(sqns[i] == 32 * (i + 1)); /* every step handed out exactly once */
    assert_true(ctrs[i] == 1 + 10 * i);   /* blocks adjacent, none twice */
  }
  st = open_ok("threads.db");
  mbmsec_store_subscriber s;
  assert_int_equal(mbmsec_store_subscriber_get(st, "ue@x", &s), MBMSEC_OK);
  assert_true(s.sqn == 32 * NTHREADS * NITER);
  mbmsec_cleanse(&s, sizeof s);
  mbmsec_store_close(st);
}

/* Allocation failures inside SQLite: fail the n-th allocation for n = 1, 2, ... until a run
 * sees none. Every call returns OK or a listed code (never crashes or leaks, under ASan), and
 * whatever a call reported as done is found afterwards. */
static sqlite3_mem_methods g_real_mem;
static long g_fail_at; /* allocation number to fail, 0 = never */
static long g_nalloc;

static int should_fail(void) { return g_fail_at != 0 && ++g_nalloc == g_fail_at; }

static void *fail_malloc(int n) { return should_fail() ? NULL : g_real_mem.xMalloc(n); }
static void *fail_realloc(void *p, int n)
{
  return should_fail() ? NULL : g_real_mem.xRealloc(p, n);
}

static int code_listed(mbmsec_err rc)
{
  return rc == MBMSEC_OK || rc == MBMSEC_ERR_NOMEM || rc == MBMSEC_ERR_STORE_IO ||
         rc == MBMSEC_ERR_STORE_OPEN || rc == MBMSEC_ERR_STORE_SCHEMA ||
         rc == MBMSEC_ERR_STORE_CORRUPT || rc == MBMSEC_ERR_STORE_BUSY;
}

static void test_alloc_failures(void **state)
{
  (void)state;
  assert_int_equal(sqlite3_shutdown(), SQLITE_OK);
  assert_int_equal(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &g_real_mem), SQLITE_OK);
  sqlite3_mem_methods m = g_real_mem;
  m.xMalloc = fail_malloc;
  m.xRealloc = fail_realloc;
  assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
  assert_int_equal(sqlite3_initialize(), SQLITE_OK);

  long n;
  for (n = 1; n < 100000; n++) {
    char name[64];
    snprintf(name, sizeof name, "oom-%ld.db", n);
    g_nalloc = 0;
    g_fail_at = n;
    mbmsec_err rc_add = MBMSEC_ERR_ARG, rc_bs = MBMSEC_ERR_ARG, rc_ctr = MBMSEC_ERR_ARG;
    mbmsec_err rc_cas = MBMSEC_ERR_ARG;
    uint64_t first = 0;
    mbmsec_store *st = NULL;
    mbmsec_err rc = mbmsec_store_open(path_of(name), &st);
    assert_true(code_listed(rc));
    if (rc == MBMSEC_OK) {
      mbmsec_store_subscriber_in a = sub_in("ue@x", 0, "4");
      rc_add = mbmsec_store_subscriber_add(st, &a);
      assert_true(code_listed(rc_add));
      mbmsec_store_subscriber s;
      rc = mbmsec_store_subscriber_get(st, "ue@x", &s);
      assert_true(code_listed(rc) || rc == MBMSEC_ERR_STORE_NOT_FOUND);
      mbmsec_store_bootstrap_in b = bs_in("b@bsf", "ue@x", 1, 2);
      rc_bs = mbmsec_store_bootstrap_put(st, &b);
      assert_true(code_listed(rc_bs) || rc_bs == MBMSEC_ERR_STORE_NOT_FOUND);
      rc_ctr = mbmsec_store_counter_reserve(st, "c", 10, UINT32_MAX, &first);
      assert_true(code_listed(rc_ctr));
      rc_cas = mbmsec_store_subscriber_sqn_cas(st, "ue@x", 0, 32);
      assert_true(code_listed(rc_cas) || rc_cas == MBMSEC_ERR_STORE_NOT_FOUND);
      rc = mbmsec_store_subscriber_list(st, list_cb, &(list_acc){0});
      assert_true(code_listed(rc));
      /* membership (migration 4) */
      static const uint8_t kd[3] = {0, 0xF1, 0x10}, mid[4] = {0, 1, 0, 1}, mk[16] = {7};
      const mbmsec_store_service_in sv = {"urn:s", kd, 3, 60};
      rc = mbmsec_store_service_add(st, &sv);
      assert_true(code_listed(rc));
      rc = mbmsec_store_key_group_add(st, "urn:s", 1);
      assert_true(code_listed(rc) || rc == MBMSEC_ERR_STORE_NOT_FOUND);
      const mbmsec_store_registration_in rg = {"ue@x", "b@bsf", "urn:s", "192.0.2.1:1", 1};
      rc = mbmsec_store_registration_put(st, &rg);
      assert_true(code_listed(rc) || rc == MBMSEC_ERR_STORE_NOT_FOUND);
      const mbmsec_store_msk_in mi = {kd, 3, mid, 4, mk, 16, 0, 10, 0, 1, 0};
      rc = mbmsec_store_msk_put(st, &mi);
      assert_true(code_listed(rc));
      mbmsec_store_msk ml[2];
      size_t mn = 0;
      rc = mbmsec_store_msk_list(st, kd, 3, 1, ml, 2, &mn, NULL);
      assert_true(code_listed(rc));
      mbmsec_cleanse(ml, sizeof ml);
      mbmsec_cleanse(&s, sizeof s);
      mbmsec_store_close(st);
    }
    int failed = g_nalloc >= g_fail_at;
    g_fail_at = 0;

    /* Without failures: what was reported done is there. */
    if (rc_add == MBMSEC_OK || rc_ctr == MBMSEC_OK) {
      st = open_ok(name);
      mbmsec_store_subscriber s;
      if (rc_add == MBMSEC_OK) {
        assert_int_equal(mbmsec_store_subscriber_get(st, "ue@x", &s), MBMSEC_OK);
        assert_true(s.sqn == (rc_cas == MBMSEC_OK ? 32u : 0u));
      }
      if (rc_bs == MBMSEC_OK) {
        mbmsec_store_bootstrap r;
        assert_int_equal(mbmsec_store_bootstrap_get(st, "b@bsf", &r), MBMSEC_OK);
        mbmsec_cleanse(&r, sizeof r);
      }
      if (rc_ctr == MBMSEC_OK) {
        uint64_t again = 0;
        assert_int_equal(mbmsec_store_counter_reserve(st, "c", 1, UINT32_MAX, &again), MBMSEC_OK);
        assert_true(again == first + 10);
      }
      mbmsec_cleanse(&s, sizeof s);
      mbmsec_store_close(st);
    }
    unlink(path_of(name));
    if (!failed) break;
  }
  assert_true(n > 10 && n < 100000); /* the scenario did allocate, and finished */
  print_message("failed each of %ld SQLite allocations in turn\n", n - 1);

  assert_int_equal(sqlite3_shutdown(), SQLITE_OK);
  assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &g_real_mem), SQLITE_OK);
  assert_int_equal(sqlite3_initialize(), SQLITE_OK);
}

/* ---- BM-SC membership (migration 4) ---- */

static const uint8_t KDID_A[3] = {0x00, 0xF1, 0x10};
static const uint8_t KDID_B[3] = {0x62, 0xF2, 0x10};
static const uint8_t MSK_KEY[16] = {0xA0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xAF};

typedef struct {
  size_t n;
  char id[8][MBMSEC_STORE_IMPI_MAX + MBMSEC_STORE_SERVICE_ID_MAX + 2];
  char extra[8][MBMSEC_STORE_BTID_MAX + 1];
} id_acc;

static mbmsec_err svc_cb(const mbmsec_store_service *svc, void *arg)
{
  id_acc *a = arg;
  if (a->n < 8) strcpy(a->id[a->n], svc->service_id);
  a->n++;
  return MBMSEC_OK;
}

static mbmsec_err reg_cb(const mbmsec_store_registration *reg, void *arg)
{
  id_acc *a = arg;
  if (a->n < 8) {
    snprintf(a->id[a->n], sizeof a->id[0], "%s|%s", reg->impi, reg->service_id);
    strcpy(a->extra[a->n], reg->btid);
  }
  a->n++;
  return MBMSEC_OK;
}

static mbmsec_err svc_reentrant_cb(const mbmsec_store_service *svc, void *arg)
{
  mbmsec_store_service again;
  return mbmsec_store_service_get((mbmsec_store *)arg, svc->service_id, &again);
}

static void add_svc(mbmsec_store *st, const char *id, const uint8_t kdid[3])
{
  const mbmsec_store_service_in in = {id, kdid, 3, 600};
  assert_int_equal(mbmsec_store_service_add(st, &in), MBMSEC_OK);
}

static mbmsec_store_msk_in msk_in(const uint8_t kdid[3], const uint8_t id[4], int64_t from,
                                  int64_t to)
{
  return (mbmsec_store_msk_in){kdid, 3, id, 4, MSK_KEY, 16, from, to, 1, 100, 42};
}

/* Services and key groups: add, get, list, delete with cascade, every bad input. */
static void test_bmsc_services(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("bmsc-svc.db");
  add_svc(st, "urn:b", KDID_A);
  add_svc(st, "urn:a", KDID_A);
  add_svc(st, "urn:c", KDID_B);
  const mbmsec_store_service_in dup = {"urn:a", KDID_B, 3, 5};
  assert_int_equal(mbmsec_store_service_add(st, &dup), MBMSEC_ERR_STORE_EXISTS);
  mbmsec_store_service svc;
  assert_int_equal(mbmsec_store_service_get(st, "urn:a", &svc), MBMSEC_OK);
  assert_memory_equal(svc.kdid, KDID_A, 3);
  assert_true(svc.msk_lifetime == 600);
  assert_int_equal(mbmsec_store_service_get(st, "urn:none", &svc), MBMSEC_ERR_STORE_NOT_FOUND);
  id_acc a = {0};
  assert_int_equal(mbmsec_store_service_list(st, svc_cb, &a), MBMSEC_OK);
  assert_int_equal(a.n, 3);
  assert_string_equal(a.id[0], "urn:a");
  assert_string_equal(a.id[2], "urn:c");
  assert_int_equal(mbmsec_store_service_list(st, svc_reentrant_cb, st), MBMSEC_ERR_STORE_REENTRANT);

  assert_int_equal(mbmsec_store_key_group_add(st, "urn:a", 7), MBMSEC_OK);
  assert_int_equal(mbmsec_store_key_group_add(st, "urn:a", 3), MBMSEC_OK);
  assert_int_equal(mbmsec_store_key_group_add(st, "urn:b", 3), MBMSEC_OK);
  assert_int_equal(mbmsec_store_key_group_add(st, "urn:c", 3), MBMSEC_OK);
  assert_int_equal(mbmsec_store_key_group_add(st, "urn:a", 3), MBMSEC_ERR_STORE_EXISTS);
  assert_int_equal(mbmsec_store_key_group_add(st, "urn:none", 3), MBMSEC_ERR_STORE_NOT_FOUND);
  uint16_t g[4] = {0};
  size_t n = 9;
  assert_int_equal(mbmsec_store_key_group_list(st, "urn:a", g, 4, &n), MBMSEC_OK);
  assert_int_equal(n, 2);
  assert_int_equal(g[0], 3);
  assert_int_equal(g[1], 7);
  assert_int_equal(mbmsec_store_key_group_list(st, "urn:a", g, 1, &n), MBMSEC_ERR_SPACE);
  assert_int_equal(n, 0);
  assert_int_equal(mbmsec_store_key_group_list(st, "urn:none", g, 4, &n),
                   MBMSEC_ERR_STORE_NOT_FOUND);
  add_svc(st, "urn:d", KDID_A);
  assert_int_equal(mbmsec_store_key_group_list(st, "urn:d", NULL, 0, &n), MBMSEC_OK);
  assert_int_equal(n, 0);
  /* group 3 of Key Domain A: urn:a and urn:b, not urn:c (Key Domain B) */
  a = (id_acc){0};
  assert_int_equal(mbmsec_store_key_group_services(st, KDID_A, 3, 3, svc_cb, &a), MBMSEC_OK);
  assert_int_equal(a.n, 2);
  assert_string_equal(a.id[0], "urn:a");
  assert_string_equal(a.id[1], "urn:b");

  /* delete cascades to key groups, subscriptions and registrations */
  assert_int_equal(mbmsec_store_subscription_grant(st, "ue@x", "urn:a"), MBMSEC_OK);
  const mbmsec_store_registration_in r = {"ue@x", "b@bsf", "urn:a", "192.0.2.1:2269", 5};
  assert_int_equal(mbmsec_store_registration_put(st, &r), MBMSEC_OK);
  assert_int_equal(mbmsec_store_service_delete(st, "urn:a"), MBMSEC_OK);
  assert_int_equal(mbmsec_store_service_delete(st, "urn:a"), MBMSEC_ERR_STORE_NOT_FOUND);
  int granted = 1;
  assert_int_equal(mbmsec_store_subscription_check(st, "ue@x", "urn:a", &granted), MBMSEC_OK);
  assert_int_equal(granted, 0);
  mbmsec_store_registration rr;
  assert_int_equal(mbmsec_store_registration_get(st, "ue@x", "urn:a", &rr),
                   MBMSEC_ERR_STORE_NOT_FOUND);
  a = (id_acc){0};
  assert_int_equal(mbmsec_store_key_group_services(st, KDID_A, 3, 3, svc_cb, &a), MBMSEC_OK);
  assert_int_equal(a.n, 1);

  /* bad inputs: refused, nothing stored */
  char longid[300];
  memset(longid, 'u', sizeof longid - 1);
  longid[sizeof longid - 1] = '\0';
  mbmsec_store_service_in bad = {"urn:new", KDID_A, 3, 600};
  bad.service_id = "";
  assert_int_equal(mbmsec_store_service_add(st, &bad), MBMSEC_ERR_STORE_SERVICE_ID);
  bad.service_id = "urn:with space";
  assert_int_equal(mbmsec_store_service_add(st, &bad), MBMSEC_ERR_STORE_SERVICE_ID);
  bad.service_id = longid;
  assert_int_equal(mbmsec_store_service_add(st, &bad), MBMSEC_ERR_STORE_SERVICE_ID);
  bad.service_id = "urn:new";
  bad.kdid_len = 4;
  assert_int_equal(mbmsec_store_service_add(st, &bad), MBMSEC_ERR_LENGTH);
  bad.kdid_len = 3;
  bad.msk_lifetime = 0;
  assert_int_equal(mbmsec_store_service_add(st, &bad), MBMSEC_ERR_STORE_VALIDITY);
  bad.msk_lifetime = 1;
  bad.kdid = NULL;
  assert_int_equal(mbmsec_store_service_add(st, &bad), MBMSEC_ERR_ARG);
  bad.service_id = NULL;
  assert_int_equal(mbmsec_store_service_add(st, &bad), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_service_add(NULL, &dup), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_service_get(st, "urn:new", &svc), MBMSEC_ERR_STORE_NOT_FOUND);
  assert_int_equal(mbmsec_store_service_get(st, NULL, &svc), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_service_list(st, NULL, NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_key_group_add(st, "bad id", 1), MBMSEC_ERR_STORE_SERVICE_ID);
  assert_int_equal(mbmsec_store_key_group_list(st, "urn:b", NULL, 2, &n), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_key_group_list(st, "urn:b", g, 2, NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_key_group_services(st, KDID_A, 2, 3, svc_cb, &a),
                   MBMSEC_ERR_LENGTH);
  assert_int_equal(mbmsec_store_key_group_services(st, KDID_A, 3, 3, NULL, &a), MBMSEC_ERR_ARG);
  a = (id_acc){0};
  assert_int_equal(mbmsec_store_service_list(st, svc_cb, &a), MBMSEC_OK);
  assert_int_equal(a.n, 3); /* b, c, d */
  mbmsec_store_close(st);
}

/* MSKs: put, get, list newest first with cap and total, delete, every bad input. */
static void test_bmsc_msks(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("bmsc-msk.db");
  const uint8_t id1[4] = {0, 1, 0, 1}, id2[4] = {0, 1, 0, 2}, id3[4] = {0, 1, 1, 0};
  const uint8_t other[4] = {0, 2, 0, 9};
  mbmsec_store_msk_in in = msk_in(KDID_A, id2, 10, 20);
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_OK);
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_ERR_STORE_EXISTS);
  in = msk_in(KDID_A, id3, 20, 30);
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_OK);
  in = msk_in(KDID_A, id1, 0, 10);
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_OK);
  in = msk_in(KDID_A, other, 0, 10);
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_OK);
  in = msk_in(KDID_B, id1, 0, 10);
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_OK);

  mbmsec_store_msk m;
  assert_int_equal(mbmsec_store_msk_get(st, KDID_A, 3, id2, 4, &m), MBMSEC_OK);
  assert_memory_equal(m.key, MSK_KEY, 16);
  assert_memory_equal(m.msk_id, id2, 4);
  assert_true(m.valid_from == 10 && m.valid_to == 20 && m.vf == 1 && m.vt == 100 &&
              m.created == 42);
  mbmsec_cleanse(&m, sizeof m);

  mbmsec_store_msk l[2];
  size_t n = 0, total = 0;
  assert_int_equal(mbmsec_store_msk_list(st, KDID_A, 3, 1, l, 2, &n, &total), MBMSEC_OK);
  assert_int_equal(n, 2);
  assert_int_equal(total, 3);
  assert_memory_equal(l[0].msk_id, id3, 4); /* 0x0100 above 0x0002: newest first */
  assert_memory_equal(l[1].msk_id, id2, 4);
  assert_int_equal(mbmsec_store_msk_list(st, KDID_A, 3, 1, NULL, 0, &n, &total), MBMSEC_OK);
  assert_int_equal(n, 0);
  assert_int_equal(total, 3);
  assert_int_equal(mbmsec_store_msk_list(st, KDID_B, 3, 1, l, 2, &n, NULL), MBMSEC_OK);
  assert_int_equal(n, 1);
  mbmsec_cleanse(l, sizeof l);

  assert_int_equal(mbmsec_store_msk_delete(st, KDID_A, 3, id2, 4), MBMSEC_OK);
  assert_int_equal(mbmsec_store_msk_delete(st, KDID_A, 3, id2, 4), MBMSEC_ERR_STORE_NOT_FOUND);
  assert_int_equal(mbmsec_store_msk_get(st, KDID_A, 3, id2, 4, &m), MBMSEC_ERR_STORE_NOT_FOUND);
  static const mbmsec_store_msk zero;
  assert_memory_equal(&m, &zero, sizeof m);

  /* bad inputs: refused, nothing stored */
  const uint8_t id0[4] = {0, 1, 0, 0}, id4[4] = {0, 1, 0, 4};
  in = msk_in(KDID_A, id0, 0, 10);
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_ERR_STORE_MSK_ID);
  in = msk_in(KDID_A, id4, 10, 10);
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_ERR_STORE_VALIDITY);
  in = msk_in(KDID_A, id4, 0, 10);
  in.vf = 101;
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_ERR_STORE_VALIDITY);
  in = msk_in(KDID_A, id4, 0, 10);
  in.key_len = 15;
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_ERR_LENGTH);
  in.key_len = 16;
  in.msk_id_len = 3;
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_ERR_LENGTH);
  in.msk_id_len = 4;
  in.kdid_len = 2;
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_ERR_LENGTH);
  in.kdid_len = 3;
  in.key = NULL;
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_msk_put(st, NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_msk_get(st, KDID_A, 3, id0, 4, &m), MBMSEC_ERR_STORE_MSK_ID);
  assert_int_equal(mbmsec_store_msk_delete(st, KDID_A, 3, id0, 4), MBMSEC_ERR_STORE_MSK_ID);
  assert_int_equal(mbmsec_store_msk_list(st, KDID_A, 3, 1, NULL, 2, &n, &total), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_msk_get(st, KDID_A, 3, id4, 4, &m), MBMSEC_ERR_STORE_NOT_FOUND);
  assert_int_equal(mbmsec_store_msk_list(st, KDID_A, 3, 1, NULL, 0, &n, &total), MBMSEC_OK);
  assert_int_equal(total, 2);
  mbmsec_store_close(st);

  /* a row of the wrong shape written by hand is refused on read */
  raw_exec("bmsc-msk.db",
           "PRAGMA ignore_check_constraints=ON;"
           "INSERT INTO msk VALUES (x'00f110', x'00010005', x'00', 0, 10, 0, 1, 0);");
  st = open_ok("bmsc-msk.db");
  const uint8_t id5[4] = {0, 1, 0, 5};
  assert_int_equal(mbmsec_store_msk_get(st, KDID_A, 3, id5, 4, &m), MBMSEC_ERR_STORE_CORRUPT);
  assert_int_equal(mbmsec_store_msk_list(st, KDID_A, 3, 1, l, 2, &n, &total),
                   MBMSEC_ERR_STORE_CORRUPT);
  assert_int_equal(n, 0);
  mbmsec_store_close(st);
}

/* Subscriptions and registrations, and their survival across reopening. */
static void test_bmsc_members(void **state)
{
  (void)state;
  mbmsec_store *st = open_ok("bmsc-members.db");
  add_svc(st, "urn:news", KDID_A);
  add_svc(st, "urn:sport", KDID_A);
  assert_int_equal(mbmsec_store_subscription_grant(st, "alice@x", "urn:sport"), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscription_grant(st, "alice@x", "urn:news"), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscription_grant(st, "alice@x", "urn:news"), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscription_grant(st, "bob@x", "urn:news"), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscription_grant(st, "bob@x", "urn:none"),
                   MBMSEC_ERR_STORE_NOT_FOUND);
  id_acc a = {0};
  assert_int_equal(mbmsec_store_subscription_list(st, "alice@x", svc_cb, &a), MBMSEC_OK);
  assert_int_equal(a.n, 2);
  assert_string_equal(a.id[0], "urn:news");
  int granted = 0;
  assert_int_equal(mbmsec_store_subscription_revoke(st, "alice@x", "urn:sport"), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscription_revoke(st, "alice@x", "urn:sport"),
                   MBMSEC_ERR_STORE_NOT_FOUND);
  assert_int_equal(mbmsec_store_subscription_check(st, "alice@x", "urn:sport", &granted),
                   MBMSEC_OK);
  assert_int_equal(granted, 0);
  assert_int_equal(mbmsec_store_subscription_check(st, "alice@x", "urn:news", &granted), MBMSEC_OK);
  assert_int_equal(granted, 1);

  mbmsec_store_registration_in r = {"alice@x", "b1@bsf", "urn:news", "192.0.2.1:2269", 10};
  assert_int_equal(mbmsec_store_registration_put(st, &r), MBMSEC_OK);
  r.service_id = "urn:sport";
  assert_int_equal(mbmsec_store_registration_put(st, &r), MBMSEC_OK);
  r = (mbmsec_store_registration_in){"bob@x", "b2@bsf", "urn:news", "[2001:db8::1]:2269", 11};
  assert_int_equal(mbmsec_store_registration_put(st, &r), MBMSEC_OK);
  /* re-registration after a new bootstrap replaces B-TID, address and time */
  r = (mbmsec_store_registration_in){"alice@x", "b3@bsf", "urn:news", "192.0.2.9:2269", 12};
  assert_int_equal(mbmsec_store_registration_put(st, &r), MBMSEC_OK);
  r.service_id = "urn:none";
  assert_int_equal(mbmsec_store_registration_put(st, &r), MBMSEC_ERR_STORE_NOT_FOUND);
  mbmsec_store_close(st);

  st = open_ok("bmsc-members.db");
  mbmsec_store_registration g;
  assert_int_equal(mbmsec_store_registration_get(st, "alice@x", "urn:news", &g), MBMSEC_OK);
  assert_string_equal(g.btid, "b3@bsf");
  assert_string_equal(g.ue_addr, "192.0.2.9:2269");
  assert_true(g.created == 12);
  a = (id_acc){0};
  assert_int_equal(mbmsec_store_registration_list_by_service(st, "urn:news", reg_cb, &a),
                   MBMSEC_OK);
  assert_int_equal(a.n, 2);
  assert_string_equal(a.id[0], "alice@x|urn:news");
  assert_string_equal(a.id[1], "bob@x|urn:news");
  a = (id_acc){0};
  assert_int_equal(mbmsec_store_registration_list_by_impi(st, "alice@x", reg_cb, &a), MBMSEC_OK);
  assert_int_equal(a.n, 2);
  assert_string_equal(a.extra[1], "b1@bsf");
  a = (id_acc){0};
  assert_int_equal(mbmsec_store_registration_list_by_btid(st, "b1@bsf", reg_cb, &a), MBMSEC_OK);
  assert_int_equal(a.n, 1);
  assert_string_equal(a.id[0], "alice@x|urn:sport");
  assert_int_equal(mbmsec_store_registration_delete(st, "alice@x", "urn:sport"), MBMSEC_OK);
  assert_int_equal(mbmsec_store_registration_delete(st, "alice@x", "urn:sport"),
                   MBMSEC_ERR_STORE_NOT_FOUND);
  a = (id_acc){0};
  assert_int_equal(mbmsec_store_registration_list_by_btid(st, "b1@bsf", reg_cb, &a), MBMSEC_OK);
  assert_int_equal(a.n, 0);

  /* bad inputs: refused, nothing stored */
  char longaddr[80];
  memset(longaddr, '1', sizeof longaddr - 1);
  longaddr[sizeof longaddr - 1] = '\0';
  r = (mbmsec_store_registration_in){"carol@x", "b4@bsf", "urn:news", "192.0.2.1:1", 1};
  r.ue_addr = "";
  assert_int_equal(mbmsec_store_registration_put(st, &r), MBMSEC_ERR_STORE_UE_ADDR);
  r.ue_addr = longaddr;
  assert_int_equal(mbmsec_store_registration_put(st, &r), MBMSEC_ERR_STORE_UE_ADDR);
  r.ue_addr = NULL;
  assert_int_equal(mbmsec_store_registration_put(st, &r), MBMSEC_ERR_ARG);
  r.ue_addr = "192.0.2.1:1";
  r.btid = "b 4";
  assert_int_equal(mbmsec_store_registration_put(st, &r), MBMSEC_ERR_STORE_BTID);
  r.btid = "b4@bsf";
  r.impi = "";
  assert_int_equal(mbmsec_store_registration_put(st, &r), MBMSEC_ERR_STORE_IMPI);
  r.impi = "carol@x";
  r.service_id = "";
  assert_int_equal(mbmsec_store_registration_put(st, &r), MBMSEC_ERR_STORE_SERVICE_ID);
  assert_int_equal(mbmsec_store_registration_put(st, NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_subscription_grant(st, "", "urn:news"), MBMSEC_ERR_STORE_IMPI);
  assert_int_equal(mbmsec_store_subscription_grant(st, "carol@x", "urn news"),
                   MBMSEC_ERR_STORE_SERVICE_ID);
  assert_int_equal(mbmsec_store_subscription_check(st, "carol@x", "urn:news", NULL),
                   MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_subscription_list(st, "carol@x", NULL, NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_store_registration_list_by_btid(st, "", reg_cb, &a),
                   MBMSEC_ERR_STORE_BTID);
  assert_int_equal(mbmsec_store_registration_list_by_impi(st, "carol@x", NULL, &a), MBMSEC_ERR_ARG);
  a = (id_acc){0};
  assert_int_equal(mbmsec_store_registration_list_by_impi(st, "carol@x", reg_cb, &a), MBMSEC_OK);
  assert_int_equal(a.n, 0);
  a = (id_acc){0};
  assert_int_equal(mbmsec_store_subscription_list(st, "carol@x", svc_cb, &a), MBMSEC_OK);
  assert_int_equal(a.n, 0);
  mbmsec_store_close(st);
}

/* The owner lock: one handle at a time, the holder's pid named to the others; an in-memory
 * store needs none; released by close and by the death of the process (kill -9), after which
 * another process takes it over. */
static void test_owner_lock(void **state)
{
  (void)state;
  char uri[1100];
  snprintf(uri, sizeof uri, "sqlite:%s", path_of("owner.db"));
  mbmsec_store *a = NULL, *b = NULL, *m = NULL;
  long pid = -1;
  assert_int_equal(mbmsec_store_open(uri, &a), MBMSEC_OK);
  assert_int_equal(mbmsec_store_open(uri, &b), MBMSEC_OK);
  assert_int_equal(mbmsec_store_owner_lock(a, &pid), MBMSEC_OK);
  assert_int_equal(mbmsec_store_owner_lock(a, NULL), MBMSEC_OK); /* again: still ours */
  assert_int_equal(mbmsec_store_owner_lock(b, &pid), MBMSEC_ERR_STORE_OWNED);
  assert_int_equal(pid, (long)getpid());
  struct stat st;
  assert_int_equal(stat(path_of("owner.db.owner"), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  /* b still reads and writes: the lock keeps daemons apart, not admin commands */
  mbmsec_store_subscriber_in in = sub_in("owner@x", 0, "");
  assert_int_equal(mbmsec_store_subscriber_add(b, &in), MBMSEC_OK);
  mbmsec_store_close(a);
  assert_int_equal(mbmsec_store_owner_lock(b, &pid), MBMSEC_OK);
  mbmsec_store_close(b);

  assert_int_equal(mbmsec_store_open("sqlite::memory:", &m), MBMSEC_OK);
  assert_int_equal(mbmsec_store_owner_lock(m, &pid), MBMSEC_OK);
  mbmsec_store_close(m);

  /* a child takes the lock and is killed with SIGKILL: the lock is free again */
  int go[2];
  assert_int_equal(pipe(go), 0);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    mbmsec_store *c = NULL;
    char ok =
        mbmsec_store_open(uri, &c) == MBMSEC_OK && mbmsec_store_owner_lock(c, NULL) == MBMSEC_OK;
    if (write(go[1], &ok, 1) != 1) _exit(2);
    for (;;) pause();
  }
  char ok = 0;
  assert_int_equal(read(go[0], &ok, 1), 1);
  assert_int_equal(ok, 1);
  assert_int_equal(mbmsec_store_open(uri, &a), MBMSEC_OK);
  assert_int_equal(mbmsec_store_owner_lock(a, &pid), MBMSEC_ERR_STORE_OWNED);
  assert_int_equal(pid, (long)child);
  kill(child, SIGKILL);
  int ws;
  assert_int_equal(waitpid(child, &ws, 0), child);
  assert_int_equal(mbmsec_store_owner_lock(a, &pid), MBMSEC_OK);
  mbmsec_store_close(a);
  close(go[0]);
  close(go[1]);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_open_uri),
      cmocka_unit_test(test_subscriber_crud),
      cmocka_unit_test(test_list_callback),
      cmocka_unit_test(test_sqn_cas),
      cmocka_unit_test(test_uss),
      cmocka_unit_test(test_bootstrap),
      cmocka_unit_test(test_reopen),
      cmocka_unit_test(test_schema_future),
      cmocka_unit_test(test_schema_migrate),
      cmocka_unit_test(test_corrupt),
      cmocka_unit_test(test_counter),
      cmocka_unit_test(test_counter_crash),
      cmocka_unit_test(test_ctr),
      cmocka_unit_test(test_data_version),
      cmocka_unit_test(test_bad_inputs),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_alloc_failures),
      cmocka_unit_test(test_bmsc_services),
      cmocka_unit_test(test_bmsc_msks),
      cmocka_unit_test(test_bmsc_members),
      cmocka_unit_test(test_owner_lock),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
