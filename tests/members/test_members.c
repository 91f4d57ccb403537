/* Unit tests of the BM-SC membership decisions (include/mbmsec/members.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mbmsec/crypto.h"
#include "mbmsec/members.h"

#define NOW    1800000000
#define NEWS   "urn:example:mbms:news"
#define SPORT  "urn:example:mbms:sport"
#define SHARED "urn:example:mbms:shared"
#define EMPTY  "urn:example:mbms:empty"
#define ALICE  "alice@ims.example"
#define BOB    "bob@ims.example"

static const uint8_t KDID[3] = {0x00, 0xF1, 0x10};
static const uint8_t KDID2[3] = {0x62, 0xF2, 0x10};

static char g_dir[512];
static char g_path[1024];
static int g_seq;

static int group_setup(void **state)
{
  (void)state;
  const char *base = getenv("MBMSEC_TEST_TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/members-test-XXXXXX", base != NULL ? base : "/tmp");
  return mkdtemp(g_dir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
  (void)state;
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Large structs: one static set, the tests run one at a time. */
static mbmsec_xml_service_list g_sreq, g_sresp;
static mbmsec_xml_key_list g_kreq, g_kresp;
static mbmsec_members_push g_push;
static mbmsec_members_stop g_stop;

static void add_service(mbmsec_store *st, const char *id, const uint8_t kdid[3], uint16_t group)
{
  const mbmsec_store_service_in in = {id, kdid, 3, 3600};
  assert_int_equal(mbmsec_store_service_add(st, &in), MBMSEC_OK);
  assert_int_equal(mbmsec_store_key_group_add(st, id, group), MBMSEC_OK);
}

/* A fresh store: news (group 1), shared (group 1), sport (group 2), empty (group 5, no
 * MSKs); alice subscribed to news, shared and empty; group 1 has a current MSK (key number
 * *cur) and a next one (*next). */
static mbmsec_store *fixture(uint16_t *cur, uint16_t *next)
{
  snprintf(g_path, sizeof g_path, "%s/m%d.db", g_dir, g_seq++);
  mbmsec_store *st = NULL;
  assert_int_equal(mbmsec_store_open(g_path, &st), MBMSEC_OK);
  add_service(st, NEWS, KDID, 1);
  add_service(st, SHARED, KDID, 1);
  add_service(st, SPORT, KDID, 2);
  add_service(st, EMPTY, KDID, 5);
  assert_int_equal(mbmsec_store_subscription_grant(st, ALICE, NEWS), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscription_grant(st, ALICE, SHARED), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscription_grant(st, ALICE, EMPTY), MBMSEC_OK);
  uint8_t id[4];
  assert_int_equal(
      mbmsec_members_msk_generate(st, KDID, 1, NOW - 10, NOW + 100, 0, 0xFFFF, NOW, id), MBMSEC_OK);
  *cur = (uint16_t)((id[2] << 8) | id[3]);
  assert_int_equal(
      mbmsec_members_msk_generate(st, KDID, 1, NOW + 100, NOW + 200, 0, 0xFFFF, NOW, id),
      MBMSEC_OK);
  *next = (uint16_t)((id[2] << 8) | id[3]);
  assert_true(*next > *cur && *cur > 0);
  return st;
}

static mbmsec_members_ue ue_alice(const char *uss)
{
  return (mbmsec_members_ue){ALICE, "btid-1@bsf.example", "192.0.2.7:2269", uss};
}

static void services(const char *const *ids, size_t n, int bad_last)
{
  memset(&g_sreq, 0, sizeof g_sreq);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(mbmsec_xml_service_add(&g_sreq, ids[i], 0), MBMSEC_OK);
  if (bad_last) { /* as the parser leaves a syntactically bad item */
    mbmsec_xml_service *b = &g_sreq.items[g_sreq.n++];
    memset(b, 0, sizeof *b);
    strcpy(b->text, "bad id");
    b->len = strlen(b->text);
    b->err = MBMSEC_ERR_XML_ITEM;
    g_sreq.n_bad++;
  }
}

static void key(const uint8_t kdid[3], uint16_t group, uint16_t number)
{
  const uint8_t id[4] = {(uint8_t)(group >> 8), (uint8_t)group, (uint8_t)(number >> 8),
                         (uint8_t)number};
  assert_int_equal(mbmsec_xml_key_add(&g_kreq, kdid, id, 0), MBMSEC_OK);
}

static void bad_key(void)
{
  mbmsec_xml_key *b = &g_kreq.items[g_kreq.n++];
  memset(b, 0, sizeof *b);
  strcpy(b->text, "APEQAAEA");
  b->len = strlen(b->text);
  b->err = MBMSEC_ERR_XML_KEYID;
  g_kreq.n_bad++;
}

static int pushed(const uint8_t kdid[3], uint16_t group, uint16_t number)
{
  for (size_t i = 0; i < g_push.n; i++) {
    const mbmsec_members_msk_ref *r = &g_push.items[i];
    if (memcmp(r->kdid, kdid, 3) == 0 && ((r->msk_id[0] << 8) | r->msk_id[1]) == group &&
        ((r->msk_id[2] << 8) | r->msk_id[3]) == number)
      return 1;
  }
  return 0;
}

static void do_register(mbmsec_store *st, const char *uss, const char *const *ids, size_t n)
{
  mbmsec_members_ue ue = ue_alice(uss);
  services(ids, n, 0);
  assert_int_equal(mbmsec_members_register(st, &ue, &g_sreq, NOW, &g_sresp, &g_push), MBMSEC_OK);
}

static int registered(mbmsec_store *st, const char *impi, const char *svc)
{
  mbmsec_store_registration r;
  mbmsec_err rc = mbmsec_store_registration_get(st, impi, svc, &r);
  assert_true(rc == MBMSEC_OK || rc == MBMSEC_ERR_STORE_NOT_FOUND);
  return rc == MBMSEC_OK;
}

/* Every register code in one response (6.3.2.4), the MSKs to push, and the response XML. */
static void test_register_codes(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  const char *ids[] = {NEWS, SPORT, "urn:example:mbms:nothing", SHARED};
  mbmsec_members_ue ue = ue_alice("1,4");
  services(ids, 4, 1);
  assert_int_equal(mbmsec_members_register(st, &ue, &g_sreq, NOW, &g_sresp, &g_push), MBMSEC_OK);
  assert_int_equal(g_sresp.n, 5);
  assert_int_equal(g_sresp.items[0].code, 200);
  assert_int_equal(g_sresp.items[1].code, 401); /* not subscribed */
  assert_int_equal(g_sresp.items[2].code, 404); /* unknown */
  assert_int_equal(g_sresp.items[3].code, 200);
  assert_int_equal(g_sresp.items[4].code, 400); /* bad item */
  assert_string_equal(g_sresp.items[0].text, NEWS);
  /* news and shared share group 1: current and next, each once */
  assert_int_equal(g_push.n, 2);
  assert_true(pushed(KDID, 1, cur) && pushed(KDID, 1, next));
  assert_true(registered(st, ALICE, NEWS) && registered(st, ALICE, SHARED));
  assert_false(registered(st, ALICE, SPORT));

  static char xml[65536];
  size_t len = 0;
  assert_int_equal(mbmsec_xml_build_register_response(&g_sresp, xml, sizeof xml, &len), MBMSEC_OK);
  assert_non_null(strstr(xml, "<status code=\"200\">"));
  assert_non_null(strstr(xml, "<status code=\"401\">"));
  assert_non_null(strstr(xml, "<status code=\"404\">"));
  assert_non_null(strstr(xml, "<status code=\"400\">"));
  mbmsec_store_close(st);
}

/* USS without GSID 4 (or none): 401, nothing registered; unknown services stay 404. */
static void test_register_uss(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  const char *ids[] = {NEWS, "urn:example:mbms:nothing"};
  const char *usss[] = {"1", NULL, "", "4,,1"};
  for (size_t i = 0; i < 4; i++) {
    do_register(st, usss[i], ids, 2);
    assert_int_equal(g_sresp.items[0].code, 401);
    assert_int_equal(g_sresp.items[1].code, 404);
    assert_int_equal(g_push.n, 0);
    assert_false(registered(st, ALICE, NEWS));
  }
  mbmsec_store_close(st);
}

/* Malformed UE fields are refused before anything is decided or stored. */
static void test_register_bad_ue(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  const char *ids[] = {NEWS};
  services(ids, 1, 0);
  mbmsec_members_ue ue = ue_alice("4");
  ue.impi = "";
  assert_int_equal(mbmsec_members_register(st, &ue, &g_sreq, NOW, &g_sresp, &g_push),
                   MBMSEC_ERR_STORE_IMPI);
  ue = ue_alice("4");
  ue.btid = "b tid";
  assert_int_equal(mbmsec_members_register(st, &ue, &g_sreq, NOW, &g_sresp, &g_push),
                   MBMSEC_ERR_STORE_BTID);
  ue = ue_alice("4");
  ue.ue_addr = "192.0.2.7 2269";
  assert_int_equal(mbmsec_members_register(st, &ue, &g_sreq, NOW, &g_sresp, &g_push),
                   MBMSEC_ERR_STORE_UE_ADDR);
  ue.ue_addr = NULL;
  assert_int_equal(mbmsec_members_register(st, &ue, &g_sreq, NOW, &g_sresp, &g_push),
                   MBMSEC_ERR_ARG);
  ue = ue_alice("4");
  assert_int_equal(mbmsec_members_register(NULL, &ue, &g_sreq, NOW, &g_sresp, &g_push),
                   MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_members_register(st, NULL, &g_sreq, NOW, &g_sresp, &g_push),
                   MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_members_register(st, &ue, &g_sreq, NOW, &g_sreq, &g_push),
                   MBMSEC_ERR_ARG);
  g_sreq.n = MBMSEC_XML_MAX_ITEMS + 1;
  assert_int_equal(mbmsec_members_register(st, &ue, &g_sreq, NOW, &g_sresp, &g_push),
                   MBMSEC_ERR_ARG);
  assert_false(registered(st, ALICE, NEWS));
  mbmsec_store_close(st);
}

/* Registrations are in the store: they survive closing and reopening it. */
static void test_registration_survives_reopen(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  const char *ids[] = {NEWS};
  do_register(st, "4", ids, 1);
  assert_int_equal(g_sresp.items[0].code, 200);
  mbmsec_store_close(st);
  st = NULL;
  assert_int_equal(mbmsec_store_open(g_path, &st), MBMSEC_OK);
  mbmsec_store_registration r;
  assert_int_equal(mbmsec_store_registration_get(st, ALICE, NEWS, &r), MBMSEC_OK);
  assert_string_equal(r.btid, "btid-1@bsf.example");
  assert_string_equal(r.ue_addr, "192.0.2.7:2269");
  assert_true(r.created == NOW);
  memset(&g_kreq, 0, sizeof g_kreq);
  key(KDID, 1, 0);
  mbmsec_members_ue ue = ue_alice(NULL);
  assert_int_equal(mbmsec_members_msk_request(st, &ue, &g_kreq, NOW, &g_kresp, &g_push), MBMSEC_OK);
  assert_int_equal(g_kresp.items[0].code, 200);
  mbmsec_store_close(st);
}

/* Deregister: 200 (also when not registered), 404, 400; groups to stop only when no remaining
 * registration uses them. */
static void test_deregister(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  const char *both[] = {NEWS, SHARED};
  do_register(st, "4", both, 2);
  mbmsec_members_ue ue = ue_alice(NULL);
  ue.ue_addr = NULL;

  const char *d1[] = {NEWS, SPORT, "urn:example:mbms:nothing"};
  services(d1, 3, 1);
  assert_int_equal(mbmsec_members_deregister(st, &ue, &g_sreq, &g_sresp, &g_stop), MBMSEC_OK);
  assert_int_equal(g_sresp.items[0].code, 200);
  assert_int_equal(g_sresp.items[1].code, 200); /* not registered: nothing to do */
  assert_int_equal(g_sresp.items[2].code, 404);
  assert_int_equal(g_sresp.items[3].code, 400);
  assert_int_equal(g_stop.n, 0); /* shared still uses group 1 */
  assert_false(registered(st, ALICE, NEWS));
  assert_true(registered(st, ALICE, SHARED));

  const char *d2[] = {SHARED};
  services(d2, 1, 0);
  assert_int_equal(mbmsec_members_deregister(st, &ue, &g_sreq, &g_sresp, &g_stop), MBMSEC_OK);
  assert_int_equal(g_sresp.items[0].code, 200);
  assert_int_equal(g_stop.n, 1);
  assert_memory_equal(g_stop.items[0].kdid, KDID, 3);
  assert_int_equal(g_stop.items[0].key_group, 1);
  assert_false(registered(st, ALICE, SHARED));

  static char xml[65536];
  size_t len = 0;
  services(d1, 3, 1);
  assert_int_equal(mbmsec_members_deregister(st, &ue, &g_sreq, &g_sresp, &g_stop), MBMSEC_OK);
  assert_int_equal(mbmsec_xml_build_register_response(&g_sresp, xml, sizeof xml, &len), MBMSEC_OK);
  ue.btid = "";
  assert_int_equal(mbmsec_members_deregister(st, &ue, &g_sreq, &g_sresp, &g_stop),
                   MBMSEC_ERR_STORE_BTID);
  mbmsec_store_close(st);
}

/* Every msk-request code in one response: 200 (key number 0 and named), 204, 404, 401, 400,
 * 480; pushes; the response document. */
static void test_msk_request_codes(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  const char *ids[] = {NEWS, EMPTY};
  do_register(st, "4", ids, 2);
  assert_int_equal(g_sresp.items[0].code, 200);
  assert_int_equal(g_sresp.items[1].code, 200);
  mbmsec_members_ue ue = ue_alice(NULL);

  memset(&g_kreq, 0, sizeof g_kreq);
  key(KDID, 1, 0);        /* 0: 200, current + next */
  key(KDID, 1, next + 1); /* 1: not generated yet: 204 */
  key(KDID, 2, 0);        /* 2: sport: not subscribed: 401 */
  key(KDID, 9, 0);        /* 3: no service uses group 9: 404 */
  key(KDID2, 1, 0);       /* 4: another Key Domain: 404 */
  key(KDID, 5, 0);        /* 5: empty group: 480 */
  key(KDID, 5, 7);        /* 6: empty group, named: 204 */
  bad_key();              /* 7: 400 */
  assert_int_equal(mbmsec_members_msk_request(st, &ue, &g_kreq, NOW, &g_kresp, &g_push), MBMSEC_OK);
  const unsigned want[] = {200, 204, 401, 404, 404, 480, 204, 400};
  assert_int_equal(g_kresp.n, 8);
  for (size_t i = 0; i < 8; i++) assert_int_equal(g_kresp.items[i].code, want[i]);
  assert_int_equal(g_push.n, 2);
  assert_true(pushed(KDID, 1, cur) && pushed(KDID, 1, next));

  static char xml[65536];
  size_t len = 0;
  assert_int_equal(mbmsec_xml_build_msk_response(&g_kresp, xml, sizeof xml, &len), MBMSEC_OK);
  assert_non_null(strstr(xml, "<status code=\"204\">"));
  assert_non_null(strstr(xml, "<status code=\"480\">"));
  assert_non_null(strstr(xml, "<status code=\"400\">"));

  /* named MSKs: the current one brings the next one; the next one alone */
  memset(&g_kreq, 0, sizeof g_kreq);
  key(KDID, 1, cur);
  assert_int_equal(mbmsec_members_msk_request(st, &ue, &g_kreq, NOW, &g_kresp, &g_push), MBMSEC_OK);
  assert_int_equal(g_kresp.items[0].code, 200);
  assert_int_equal(g_push.n, 2);
  assert_true(pushed(KDID, 1, cur) && pushed(KDID, 1, next));
  memset(&g_kreq, 0, sizeof g_kreq);
  key(KDID, 1, next);
  assert_int_equal(mbmsec_members_msk_request(st, &ue, &g_kreq, NOW, &g_kresp, &g_push), MBMSEC_OK);
  assert_int_equal(g_kresp.items[0].code, 200);
  assert_int_equal(g_push.n, 1);
  assert_true(pushed(KDID, 1, next));

  /* later: the old current expired (404); the old next is now the current and the newest
   * (named: pushed, so that a missed key update gets it); beyond it 204; 0 gives it too */
  memset(&g_kreq, 0, sizeof g_kreq);
  key(KDID, 1, cur);
  key(KDID, 1, next);
  key(KDID, 1, next + 1);
  key(KDID, 1, 0);
  assert_int_equal(mbmsec_members_msk_request(st, &ue, &g_kreq, NOW + 150, &g_kresp, &g_push),
                   MBMSEC_OK);
  assert_int_equal(g_kresp.items[0].code, 404);
  assert_int_equal(g_kresp.items[1].code, 200);
  assert_int_equal(g_kresp.items[2].code, 204);
  assert_int_equal(g_kresp.items[3].code, 200);
  assert_int_equal(g_push.n, 1); /* next, once for two items */
  mbmsec_store_close(st);
}

/* Subscribed but not registered, revoked subscription, another subscriber: 401. */
static void test_msk_request_unauthorised(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  mbmsec_members_ue ue = ue_alice(NULL);
  memset(&g_kreq, 0, sizeof g_kreq);
  key(KDID, 1, 0);
  key(KDID, 1, cur);
  assert_int_equal(mbmsec_members_msk_request(st, &ue, &g_kreq, NOW, &g_kresp, &g_push), MBMSEC_OK);
  assert_int_equal(g_kresp.items[0].code, 401); /* not registered */
  assert_int_equal(g_kresp.items[1].code, 401);
  assert_int_equal(g_push.n, 0);

  const char *ids[] = {NEWS};
  do_register(st, "4", ids, 1);
  assert_int_equal(mbmsec_members_msk_request(st, &ue, &g_kreq, NOW, &g_kresp, &g_push), MBMSEC_OK);
  assert_int_equal(g_kresp.items[0].code, 200);

  assert_int_equal(mbmsec_store_subscription_revoke(st, ALICE, NEWS), MBMSEC_OK);
  assert_int_equal(mbmsec_members_msk_request(st, &ue, &g_kreq, NOW, &g_kresp, &g_push), MBMSEC_OK);
  assert_int_equal(g_kresp.items[0].code, 401);
  assert_int_equal(g_kresp.items[1].code, 401);
  assert_int_equal(g_push.n, 0);

  mbmsec_members_ue bob = {BOB, "btid-2@bsf.example", NULL, NULL};
  assert_int_equal(mbmsec_members_msk_request(st, &bob, &g_kreq, NOW, &g_kresp, &g_push),
                   MBMSEC_OK);
  assert_int_equal(g_kresp.items[0].code, 401);
  bob.impi = NULL;
  assert_int_equal(mbmsec_members_msk_request(st, &bob, &g_kreq, NOW, &g_kresp, &g_push),
                   MBMSEC_ERR_ARG);
  mbmsec_store_close(st);
}

static uint16_t keynum(const uint8_t id[4]) { return (uint16_t)((id[2] << 8) | id[3]); }

/* The cache: its answers are the uncached ones, and a change committed through the same
 * handle or through another handle (another process's connection) shows at the next request:
 * revoke, grant, an MSK put, a deregistration. */
static void cached(mbmsec_store *st, mbmsec_members_cache *c, const mbmsec_members_ue *ue,
                   int64_t now)
{
  assert_int_equal(mbmsec_members_msk_request_cached(st, c, ue, &g_kreq, now, &g_kresp, &g_push),
                   MBMSEC_OK);
}

static void test_msk_request_cache(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next), *other = NULL;
  assert_int_equal(mbmsec_store_open(g_path, &other), MBMSEC_OK);
  mbmsec_members_cache *c = NULL;
  assert_int_equal(mbmsec_members_cache_new(&c), MBMSEC_OK);
  assert_int_equal(mbmsec_members_cache_new(NULL), MBMSEC_ERR_ARG);
  mbmsec_members_ue ue = ue_alice(NULL);
  const char *ids[] = {NEWS};
  do_register(st, "4", ids, 1);
  memset(&g_kreq, 0, sizeof g_kreq);
  key(KDID, 1, 0);
  key(KDID, 1, cur);
  key(KDID, 1, next + 1);
  key(KDID, 2, 0);
  bad_key();
  const unsigned want[] = {200, 200, 204, 401, 400};
  for (int round = 0; round < 2; round++) { /* filled, then from the cache */
    cached(st, c, &ue, NOW);
    for (size_t i = 0; i < 5; i++) assert_int_equal(g_kresp.items[i].code, want[i]);
    assert_int_equal(g_push.n, 2);
    assert_true(pushed(KDID, 1, cur) && pushed(KDID, 1, next));
  }
  /* time moves without a store change: the next MSK becomes the current one */
  cached(st, c, &ue, NOW + 150);
  assert_int_equal(g_kresp.items[0].code, 200);
  assert_int_equal(g_push.n, 1);
  assert_true(pushed(KDID, 1, next));

  /* the same MSKs from the version's point of view: reading changes nothing */
  uint64_t v0, v1;
  assert_int_equal(mbmsec_store_data_version(st, &v0), MBMSEC_OK);
  assert_int_equal(mbmsec_store_data_version(st, &v1), MBMSEC_OK);
  assert_true(v0 == v1);
  assert_int_equal(mbmsec_store_data_version(NULL, &v1), MBMSEC_ERR_ARG);

  /* another handle revokes: 401 at once; grants again: 200 */
  assert_int_equal(mbmsec_store_subscription_revoke(other, ALICE, NEWS), MBMSEC_OK);
  assert_int_equal(mbmsec_store_data_version(st, &v1), MBMSEC_OK);
  assert_true(v0 != v1);
  cached(st, c, &ue, NOW);
  assert_int_equal(g_kresp.items[0].code, 401);
  assert_int_equal(g_kresp.items[2].code, 401);
  assert_int_equal(mbmsec_store_subscription_grant(other, ALICE, NEWS), MBMSEC_OK);
  cached(st, c, &ue, NOW);
  assert_int_equal(g_kresp.items[0].code, 200);

  /* an MSK put through the cache's own handle: the asked-for key number exists now */
  const uint8_t id[4] = {0, 1, (uint8_t)((next + 1) >> 8), (uint8_t)(next + 1)}, k[16] = {1};
  const mbmsec_store_msk_in in = {.kdid = KDID,
                                  .kdid_len = 3,
                                  .msk_id = id,
                                  .msk_id_len = 4,
                                  .key = k,
                                  .key_len = sizeof k,
                                  .valid_from = NOW + 200,
                                  .valid_to = NOW + 300,
                                  .vf = 0,
                                  .vt = 0xFFFF,
                                  .created = NOW};
  assert_int_equal(mbmsec_store_data_version(st, &v0), MBMSEC_OK);
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_OK);
  assert_int_equal(mbmsec_store_data_version(st, &v1), MBMSEC_OK);
  assert_true(v0 != v1);
  cached(st, c, &ue, NOW);
  assert_int_equal(g_kresp.items[2].code, 200);

  /* deregistered through the other handle: 401 */
  services(ids, 1, 0);
  assert_int_equal(mbmsec_members_deregister(other, &ue, &g_sreq, &g_sresp, &g_stop), MBMSEC_OK);
  cached(st, c, &ue, NOW);
  assert_int_equal(g_kresp.items[0].code, 401);
  assert_int_equal(g_push.n, 0);

  /* NULL cache: the direct path */
  cached(st, NULL, &ue, NOW);
  assert_int_equal(g_kresp.items[0].code, 401);
  mbmsec_members_cache_free(c);
  mbmsec_members_cache_free(NULL);
  mbmsec_store_close(other);
  mbmsec_store_close(st);
}

/* Generation: key numbers strictly increase and are never 0, also after deletions; at most a
 * current and a next; random keys; bad input refused with nothing stored. */
static void test_generate(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  uint8_t id[4] = {0};
  mbmsec_members_group_state gs;
  assert_int_equal(mbmsec_members_group_state_get(st, KDID, 1, NOW, &gs), MBMSEC_OK);
  assert_true(gs.has_current && gs.has_next && gs.current == cur && gs.next == next);
  assert_int_equal(gs.newest, next);
  assert_int_equal(gs.stored, 2);

  /* full: current and next exist */
  assert_int_equal(mbmsec_members_msk_generate(st, KDID, 1, NOW + 200, NOW + 300, 0, 9, NOW, id),
                   MBMSEC_ERR_MEMBERS_GROUP_FULL);
  /* later the first expired: pruned, a third one follows */
  uint16_t last = next;
  for (int round = 0; round < 5; round++) {
    int64_t t = NOW + 100 * (round + 1);
    assert_int_equal(mbmsec_members_msk_generate(st, KDID, 1, t + 100, t + 200, 0, 9, t, id),
                     MBMSEC_OK);
    assert_int_equal((id[0] << 8) | id[1], 1);
    assert_true(keynum(id) > last && keynum(id) != 0);
    last = keynum(id);
    assert_int_equal(mbmsec_members_group_state_get(st, KDID, 1, t, &gs), MBMSEC_OK);
    assert_true(gs.stored <= MBMSEC_MSK_PER_KEY_GROUP);
  }
  /* deleting the newest does not make its number come back */
  assert_int_equal(mbmsec_store_msk_delete(st, KDID, 3, id, 4), MBMSEC_OK);
  assert_int_equal(
      mbmsec_members_msk_generate(st, KDID, 1, NOW + 600, NOW + 700, 0, 9, NOW + 550, id),
      MBMSEC_OK);
  assert_true(keynum(id) > last);
  last = keynum(id);

  /* two keys differ and are not zero */
  mbmsec_store_msk a, b;
  assert_int_equal(mbmsec_members_group_state_get(st, KDID, 1, NOW + 550, &gs), MBMSEC_OK);
  uint8_t ida[4] = {0, 1, (uint8_t)(gs.current >> 8), (uint8_t)gs.current};
  uint8_t idb[4] = {0, 1, (uint8_t)(gs.next >> 8), (uint8_t)gs.next};
  assert_true(gs.has_current && gs.has_next);
  assert_int_equal(mbmsec_store_msk_get(st, KDID, 3, ida, 4, &a), MBMSEC_OK);
  assert_int_equal(mbmsec_store_msk_get(st, KDID, 3, idb, 4, &b), MBMSEC_OK);
  static const uint8_t zero[16];
  assert_memory_not_equal(a.key, b.key, 16);
  assert_memory_not_equal(a.key, zero, 16);
  assert_int_equal(b.vt, 9);
  mbmsec_cleanse(&a, sizeof a);
  mbmsec_cleanse(&b, sizeof b);

  /* refused, nothing stored */
  assert_int_equal(mbmsec_members_group_state_get(st, KDID, 1, NOW + 550, &gs), MBMSEC_OK);
  size_t before = gs.stored;
  assert_int_equal(mbmsec_members_msk_generate(st, KDID, 9, NOW, NOW + 1, 0, 9, NOW, id),
                   MBMSEC_ERR_MEMBERS_USE);
  assert_int_equal(mbmsec_members_msk_generate(st, KDID2, 1, NOW, NOW + 1, 0, 9, NOW, id),
                   MBMSEC_ERR_MEMBERS_USE);
  assert_int_equal(mbmsec_members_msk_generate(st, KDID, 2, NOW, NOW, 0, 9, NOW, id),
                   MBMSEC_ERR_STORE_VALIDITY);
  assert_int_equal(mbmsec_members_msk_generate(st, KDID, 2, NOW, NOW + 1, 10, 9, NOW, id),
                   MBMSEC_ERR_STORE_VALIDITY);
  assert_int_equal(mbmsec_members_msk_generate(NULL, KDID, 2, NOW, NOW + 1, 0, 9, NOW, id),
                   MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_members_msk_generate(st, KDID, 2, NOW, NOW + 1, 0, 9, NOW, NULL),
                   MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_members_group_state_get(st, KDID, 1, NOW + 550, &gs), MBMSEC_OK);
  assert_int_equal(gs.stored, before);
  assert_int_equal(mbmsec_members_group_state_get(st, KDID, 2, NOW, &gs), MBMSEC_OK);
  assert_int_equal(gs.stored, 0);
  mbmsec_store_close(st);
}

/* An MSK put by other means with the last key number: no number left. */
static void test_generate_exhausted(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  static const uint8_t k[16] = {1};
  const uint8_t top[4] = {0, 2, 0xFF, 0xFF};
  const mbmsec_store_msk_in in = {KDID, 3, top, 4, k, 16, NOW - 100, NOW - 50, 0, 1, NOW - 100};
  assert_int_equal(mbmsec_store_msk_put(st, &in), MBMSEC_OK);
  uint8_t id[4];
  assert_int_equal(mbmsec_members_msk_generate(st, KDID, 2, NOW, NOW + 10, 0, 9, NOW, id),
                   MBMSEC_ERR_MEMBERS_KEYNUM);
  /* a stored number above the counter is skipped */
  const uint8_t mid[4] = {0, 5, 0x01, 0x00};
  const mbmsec_store_msk_in in2 = {KDID, 3, mid, 4, k, 16, NOW - 100, NOW + 50, 0, 1, NOW - 100};
  assert_int_equal(mbmsec_store_msk_put(st, &in2), MBMSEC_OK);
  assert_int_equal(mbmsec_members_msk_generate(st, KDID, 5, NOW + 50, NOW + 100, 0, 9, NOW, id),
                   MBMSEC_OK);
  assert_int_equal(keynum(id), 0x0101);
  mbmsec_store_close(st);
}

/* Beyond the documented limits an item gets 500 and nothing is written for it. */
static void test_limits(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  const mbmsec_store_service_in many = {"urn:many", KDID, 3, 60};
  assert_int_equal(mbmsec_store_service_add(st, &many), MBMSEC_OK);
  for (uint16_t g = 100; g < 100 + MBMSEC_MEMBERS_GROUPS_PER_SERVICE + 1; g++)
    assert_int_equal(mbmsec_store_key_group_add(st, "urn:many", g), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscription_grant(st, ALICE, "urn:many"), MBMSEC_OK);
  const char *ids[] = {"urn:many", NEWS};
  do_register(st, "4", ids, 2);
  assert_int_equal(g_sresp.items[0].code, 500);
  assert_int_equal(g_sresp.items[1].code, 200);
  assert_false(registered(st, ALICE, "urn:many"));

  /* group 1 shared by more services than are considered */
  for (int i = 0; i < MBMSEC_MEMBERS_SERVICES_PER_GROUP; i++) {
    char id[64];
    snprintf(id, sizeof id, "urn:share:%d", i);
    add_service(st, id, KDID, 1);
  }
  mbmsec_members_ue ue = ue_alice(NULL);
  memset(&g_kreq, 0, sizeof g_kreq);
  key(KDID, 1, 0);
  key(KDID, 5, 0);
  assert_int_equal(mbmsec_members_msk_request(st, &ue, &g_kreq, NOW, &g_kresp, &g_push), MBMSEC_OK);
  assert_int_equal(g_kresp.items[0].code, 500);
  assert_int_equal(g_kresp.items[1].code, 401); /* empty: subscribed, not registered */
  assert_int_equal(g_push.n, 0);
  mbmsec_store_close(st);
}

/* A register request parsed from the profile's example feeds the decision unchanged. */
static void test_parsed_request(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  static const char doc[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                            "<mbmsUserServiceRegistration "
                            "xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceRegistration\">\n"
                            "  <serviceId>urn:example:mbms:news</serviceId>\n"
                            "  <serviceId>urn:example:mbms:sport</serviceId>\n"
                            "</mbmsUserServiceRegistration>\n";
  assert_int_equal(
      mbmsec_xml_parse_register((const uint8_t *)doc, strlen(doc), MBMSEC_XML_REGISTER, &g_sreq),
      MBMSEC_OK);
  mbmsec_members_ue ue = ue_alice("4");
  assert_int_equal(mbmsec_members_register(st, &ue, &g_sreq, NOW, &g_sresp, &g_push), MBMSEC_OK);
  assert_int_equal(g_sresp.items[0].code, 200);
  assert_int_equal(g_sresp.items[1].code, 401);
  static char xml[65536];
  size_t len = 0;
  assert_int_equal(mbmsec_xml_build_register_response(&g_sresp, xml, sizeof xml, &len), MBMSEC_OK);
  assert_int_equal(mbmsec_xml_parse_register_response((const uint8_t *)xml, len, &g_sreq),
                   MBMSEC_OK);
  assert_int_equal(g_sreq.n, 2);
  mbmsec_store_close(st);
}

#ifdef MBMSEC_TEST_RAW_SQLITE
#include <sqlite3.h>

static void raw_exec(const char *sql)
{
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(g_path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
}

/* A store failure on one item gives that item 500, nothing half-done; the others go on. */
static void test_store_failure(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  raw_exec("DROP TABLE registration");
  const char *ids[] = {NEWS, "urn:example:mbms:nothing", SPORT};
  do_register(st, "4", ids, 3);
  assert_int_equal(g_sresp.items[0].code, 500);
  assert_int_equal(g_sresp.items[1].code, 404);
  assert_int_equal(g_sresp.items[2].code, 401);
  assert_int_equal(g_push.n, 0); /* the failed item's MSKs are not pushed */
  mbmsec_members_ue ue = ue_alice(NULL);
  memset(&g_kreq, 0, sizeof g_kreq);
  key(KDID, 1, 0);
  bad_key();
  assert_int_equal(mbmsec_members_msk_request(st, &ue, &g_kreq, NOW, &g_kresp, &g_push), MBMSEC_OK);
  assert_int_equal(g_kresp.items[0].code, 500);
  assert_int_equal(g_kresp.items[1].code, 400);
  const char *d[] = {NEWS};
  services(d, 1, 0);
  assert_int_equal(mbmsec_members_deregister(st, &ue, &g_sreq, &g_sresp, &g_stop), MBMSEC_OK);
  assert_int_equal(g_sresp.items[0].code, 500);
  mbmsec_store_close(st);
}
#endif

/* The listings without a cap (members_list.c): every service, every Key Group once (two Key
 * Domains, a shared group, lifetime of the first service), the members of a group (distinct,
 * sorted, across the services of the group) and one B-TID's membership. */
static void test_listings(void **state)
{
  (void)state;
  uint16_t cur, next;
  mbmsec_store *st = fixture(&cur, &next);
  const mbmsec_store_service_in other = {"urn:other-domain", KDID2, 3, 77};
  assert_int_equal(mbmsec_store_service_add(st, &other), MBMSEC_OK);
  assert_int_equal(mbmsec_store_key_group_add(st, "urn:other-domain", 1), MBMSEC_OK);
  mbmsec_store_service *svc = NULL;
  size_t n = 0;
  assert_int_equal(mbmsec_members_service_all(st, &svc, &n), MBMSEC_OK);
  assert_int_equal(n, 5);
  for (size_t i = 1; i < n; i++) assert_true(strcmp(svc[i - 1].service_id, svc[i].service_id) < 0);
  free(svc);
  mbmsec_members_group_use *g = NULL;
  assert_int_equal(mbmsec_members_group_all(st, &g, &n), MBMSEC_OK);
  assert_int_equal(n, 4); /* 00F110/1 (news, shared), 00F110/2, 00F110/5, 62F210/1 */
  assert_memory_equal(g[0].kdid, KDID, 3);
  assert_int_equal(g[0].key_group, 1);
  assert_int_equal(g[1].key_group, 2);
  assert_int_equal(g[2].key_group, 5);
  assert_memory_equal(g[3].kdid, KDID2, 3);
  assert_int_equal(g[3].key_group, 1);
  assert_int_equal(g[3].msk_lifetime, 77);
  free(g);
  /* members: alice's B-TID in news and shared (once), bob in sport and shared */
  const char *const both[] = {NEWS, SHARED};
  do_register(st, "4", both, 2);
  const mbmsec_store_registration_in bob = {"bob@ims.example", "btid-0@bsf.example", SHARED,
                                            "192.0.2.8:2269", NOW};
  assert_int_equal(mbmsec_store_registration_put(st, &bob), MBMSEC_OK);
  const mbmsec_store_registration_in bob2 = {"bob@ims.example", "btid-0@bsf.example", SPORT,
                                             "192.0.2.8:2269", NOW};
  assert_int_equal(mbmsec_store_registration_put(st, &bob2), MBMSEC_OK);
  char **b = NULL;
  assert_int_equal(mbmsec_members_group_btids(st, KDID, 1, &b, &n), MBMSEC_OK);
  assert_int_equal(n, 2);
  assert_string_equal(b[0], "btid-0@bsf.example");
  assert_string_equal(b[1], "btid-1@bsf.example");
  mbmsec_members_btids_free(b, n);
  assert_int_equal(mbmsec_members_group_btids(st, KDID, 5, &b, &n), MBMSEC_OK);
  assert_int_equal(n, 0);
  assert_null(b);
  assert_int_equal(mbmsec_members_group_btids(st, KDID2, 1, &b, &n), MBMSEC_OK);
  assert_int_equal(n, 0); /* same Key Group number, other Key Domain */
  int m = -1;
  assert_int_equal(mbmsec_members_btid_in_group(st, "btid-1@bsf.example", KDID, 1, &m), MBMSEC_OK);
  assert_int_equal(m, 1);
  assert_int_equal(mbmsec_members_btid_in_group(st, "btid-1@bsf.example", KDID, 2, &m), MBMSEC_OK);
  assert_int_equal(m, 0);
  assert_int_equal(mbmsec_members_btid_in_group(st, "btid-1@bsf.example", KDID2, 1, &m), MBMSEC_OK);
  assert_int_equal(m, 0);
  assert_int_equal(mbmsec_members_btid_in_group(st, "btid-0@bsf.example", KDID, 2, &m), MBMSEC_OK);
  assert_int_equal(m, 1);
  assert_int_equal(mbmsec_members_btid_in_group(st, "nobody", KDID, 1, &m), MBMSEC_OK);
  assert_int_equal(m, 0);
  assert_int_equal(mbmsec_members_service_all(NULL, &svc, &n), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_members_group_btids(st, NULL, 1, &b, &n), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_members_btid_in_group(st, NULL, KDID, 1, &m), MBMSEC_ERR_ARG);
  mbmsec_store_close(st);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_register_codes),
      cmocka_unit_test(test_register_uss),
      cmocka_unit_test(test_register_bad_ue),
      cmocka_unit_test(test_registration_survives_reopen),
      cmocka_unit_test(test_deregister),
      cmocka_unit_test(test_msk_request_codes),
      cmocka_unit_test(test_msk_request_unauthorised),
      cmocka_unit_test(test_msk_request_cache),
      cmocka_unit_test(test_generate),
      cmocka_unit_test(test_generate_exhausted),
      cmocka_unit_test(test_parsed_request),
      cmocka_unit_test(test_limits),
#ifdef MBMSEC_TEST_RAW_SQLITE
      cmocka_unit_test(test_store_failure),
      cmocka_unit_test(test_listings),
#endif
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
