/* The BM-SC key request engine (include/mbmsec/bmsc_keyreq.h) from byte arrays: a temporary
 * SQLite store, a fake Zn lookup, a settable clock, and a UE whose Authorization values come
 * from the library's Digest builders (lib/digest.c) and GBA functions. Each step of
 * http-ua.md section 3 refuses with its status; the per-item codes of P4/P15; the MIKEY lists
 * (deliveries after a register and an msk-request, the cancel list of a deregister applied
 * to a real delivery engine). */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mbmsec/bmsc_delivery.h"
#include "mbmsec/bmsc_keyreq.h"
#include "mbmsec/crypto.h"
#include "mbmsec/digest.h"
#include "mbmsec/digest_parse.h"
#include "mbmsec/gba.h"
#include "mbmsec/members.h"
#include "mbmsec/xml.h"
#include "../lib/fail_alloc.h"

#define FQDN      "bmsc.example.org"
#define REALM     "3GPP-bootstrapping@" FQDN
#define T_REG     "/keymanagement?requesttype=register"
#define T_DEREG   "/keymanagement?requesttype=deregister"
#define T_MSK     "/keymanagement?requesttype=msk-request"
#define T0        1900000000
#define NEWS      "urn:example:mbms:news"
#define SPORT     "urn:example:mbms:sport"
#define EMPTY     "urn:example:mbms:empty"
#define ALICE     "alice@ims.example"
#define BOB       "bob@ims.example"
#define BT_ALICE  "btid-alice@bsf.example"
#define BT_BOB    "btid-bob@bsf.example"
#define BT_NOMBMS "btid-nombms@bsf.example"
#define BT_DOWN   "btid-down@bsf.example"
#define UE_IP     0x7f000007u /* 127.0.0.7 */

static const uint8_t KDID[3] = {0x00, 0xF1, 0x10};

/* ---- clock, fake Zn, store */

static _Atomic int64_t now_s = T0;
static int64_t test_clock(void *u)
{
  (void)u;
  return atomic_load(&now_s);
}

static void ks_naf_of(const char *btid, uint8_t k[32])
{
  for (size_t i = 0; i < 32; i++) k[i] = (uint8_t)(i * 13 + (uint8_t)btid[5]);
}

static atomic_int lookups;
static mbmsec_err fake_lookup(const char *btid, size_t len, const uint8_t *naf_id,
                              size_t naf_id_len, void *user, mbmsec_ua_zn_result *out)
{
  (void)naf_id;
  (void)naf_id_len;
  (void)user;
  atomic_fetch_add(&lookups, 1);
  char b[256];
  snprintf(b, sizeof b, "%.*s", (int)len, btid);
  const char *impi = !strcmp(b, BT_ALICE) ? ALICE : !strcmp(b, BT_BOB) ? BOB : NULL;
  if (!strcmp(b, BT_DOWN)) return MBMSEC_ERR_ZN_TIMEOUT;
  if (!strcmp(b, BT_NOMBMS)) {
    out->result = MBMSEC_ZN_NOT_AUTHORIZED;
    return MBMSEC_OK;
  }
  if (!impi) {
    out->result = MBMSEC_ZN_TRANSACTION_ID_INVALID;
    return MBMSEC_OK;
  }
  out->result = MBMSEC_ZN_SUCCESS;
  out->impi_len = strlen(impi);
  memcpy(out->impi, impi, out->impi_len + 1);
  ks_naf_of(b, out->ks_naf);
  out->key_expiry = T0 + 3600;
  return MBMSEC_OK;
}

static char g_dir[512], g_path[1024];
static int g_seq;
static mbmsec_store *g_st;
static mbmsec_bmsc_kr *g_kr;
static uint16_t g_cur, g_next; /* key numbers of Key Group 1 */
static uint64_t cpu_fake;
static uint64_t fake_cpu(void *u)
{
  (void)u;
  return cpu_fake += 1000;
}
static int warnings;
static void on_warn(void *u, const char *msg, mbmsec_err code)
{
  (void)u;
  (void)msg;
  (void)code;
  warnings++;
}

static int group_setup(void **state)
{
  (void)state;
  const char *base = getenv("MBMSEC_TEST_TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/keyreq-test-XXXXXX", base ? base : "/tmp");
  return mkdtemp(g_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
  (void)state;
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  mbmsec_crypto_cleanup();
  return system(cmd) == 0 ? 0 : -1;
}

static void add_service(const char *id, uint16_t group)
{
  const mbmsec_store_service_in in = {id, KDID, 3, 3600};
  assert_int_equal(mbmsec_store_service_add(g_st, &in), MBMSEC_OK);
  assert_int_equal(mbmsec_store_key_group_add(g_st, id, group), MBMSEC_OK);
}

/* A fresh store (news: group 1 with a current and a next MSK; sport: group 2 with a current
 * MSK; empty: group 5 without MSKs; alice subscribed to news and empty, bob to nothing) and
 * an engine over it (per-thread handles on the file, a stage sample of 1). */
static mbmsec_bmsc_kr *engine(unsigned sample, bool cpu)
{
  snprintf(g_path, sizeof g_path, "%s/k%d.db", g_dir, g_seq++);
  assert_int_equal(mbmsec_store_open(g_path, &g_st), MBMSEC_OK);
  add_service(NEWS, 1);
  add_service(SPORT, 2);
  add_service(EMPTY, 5);
  assert_int_equal(mbmsec_store_subscription_grant(g_st, ALICE, NEWS), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscription_grant(g_st, ALICE, EMPTY), MBMSEC_OK);
  uint8_t id[4];
  assert_int_equal(mbmsec_members_msk_generate(g_st, KDID, 1, T0 - 10, T0 + 100, 1, 0xFFFF, T0, id),
                   MBMSEC_OK);
  g_cur = (uint16_t)((id[2] << 8) | id[3]);
  assert_int_equal(
      mbmsec_members_msk_generate(g_st, KDID, 1, T0 + 100, T0 + 200, 1, 0xFFFF, T0, id), MBMSEC_OK);
  g_next = (uint16_t)((id[2] << 8) | id[3]);
  assert_int_equal(mbmsec_members_msk_generate(g_st, KDID, 2, T0 - 10, T0 + 100, 1, 0xFFFF, T0, id),
                   MBMSEC_OK);
  mbmsec_bmsc_kr_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.ua.fqdn = FQDN;
  cfg.ua.clock = test_clock;
  cfg.ua.lookup = fake_lookup;
  cfg.store = g_st;
  cfg.store_uri = g_path;
  cfg.stage_sample = sample;
  cfg.cpu_ns = cpu ? fake_cpu : NULL;
  cfg.warn = on_warn;
  mbmsec_bmsc_kr *kr = NULL;
  assert_int_equal(mbmsec_bmsc_kr_new(&cfg, &kr), MBMSEC_OK);
  assert_non_null(mbmsec_bmsc_kr_ua(kr));
  return kr;
}

static int setup(void **state)
{
  (void)state;
  atomic_store(&now_s, T0);
  atomic_store(&lookups, 0);
  g_kr = engine(0, false);
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  mbmsec_bmsc_kr_free(g_kr);
  g_kr = NULL;
  mbmsec_store_close(g_st);
  g_st = NULL;
  return 0;
}

/* ---- requests */

static mbmsec_bmsc_kr_response R; /* ~10 KB: one static answer, the tests run one at a time */

static mbmsec_bmsc_kr_request req(const char *method, const char *target, const char *auth,
                                  const char *ct, const char *body)
{
  mbmsec_bmsc_kr_request q = {.method = method,
                              .method_len = method ? strlen(method) : 0,
                              .target = target,
                              .target_len = target ? strlen(target) : 0,
                              .authorization = auth,
                              .authorization_len = auth ? strlen(auth) : 0,
                              .content_type = ct,
                              .content_type_len = ct ? strlen(ct) : 0,
                              .body = (const uint8_t *)body,
                              .body_len = body ? strlen(body) : 0,
                              .ipv4 = UE_IP};
  return q;
}

static void handle(const mbmsec_bmsc_kr_request *q)
{
  mbmsec_bmsc_kr_response_cleanse(&R);
  const mbmsec_err rc = mbmsec_bmsc_kr_handle(g_kr, q, &R);
  if (R.status != 500) assert_int_equal(rc, MBMSEC_OK);
}

static void expect(unsigned status, bool ua_checked, mbmsec_ua_reason reason)
{
  if (R.status != status || R.ua_checked != ua_checked || (ua_checked && R.reason != reason))
    print_error("answer %u (%s, %s), expected %u (%s)\n", R.status,
                R.ua_checked ? mbmsec_ua_reason_name(R.reason) : "-", mbmsec_errname(R.code),
                status, mbmsec_ua_reason_name(reason));
  assert_int_equal(R.status, status);
  assert_int_equal(R.ua_checked, ua_checked);
  if (ua_checked) assert_int_equal(R.reason, reason);
  if (status != 200) {
    assert_null(R.body);
    assert_null(R.content_type);
    assert_string_equal(R.authentication_info, "");
    assert_false(R.set_ue);
  }
  if (status == 401) {
    assert_int_equal(R.n_www_authenticate, 2);
    assert_non_null(strstr(R.www_authenticate[0], "algorithm=SHA-256"));
    assert_non_null(strstr(R.www_authenticate[1], "algorithm=MD5"));
    assert_non_null(strstr(R.www_authenticate[0], "qop=\"auth-int\""));
  } else {
    assert_int_equal(R.n_www_authenticate, 0);
  }
}

/* ---- the UE side: Digest with the library's builders */

typedef struct {
  char btid[64];
  uint8_t mrk[32], muk[32];
  char nonce[128], opaque[64], cnonce[32];
  uint32_t nc;
  char auth[4096];
} ue;

static ue U; /* one UE at a time */

static void ue_init(ue *u, const char *btid)
{
  memset(u, 0, sizeof *u);
  snprintf(u->btid, sizeof u->btid, "%s", btid);
  uint8_t ks[32];
  ks_naf_of(btid, ks);
  assert_int_equal(mbmsec_gba_mrk_muk(ks, MBMSEC_MRK_MUK_KDF, u->mrk, u->muk), MBMSEC_OK);
}

/* A request without Authorization: 401; take the SHA-256 challenge. */
static void ue_challenge(ue *u, const char *target)
{
  static mbmsec_digest_header h;
  const mbmsec_bmsc_kr_request q = req("POST", target, NULL, NULL, "");
  handle(&q);
  expect(401, true, MBMSEC_UA_R_NO_AUTH);
  const char *v = R.www_authenticate[0];
  assert_int_equal(mbmsec_digest_parse_challenge(v, strlen(v), &h), MBMSEC_OK);
  assert_int_equal(h.algorithm, MBMSEC_DIGEST_SHA256);
  assert_int_equal(h.realm.len, strlen(REALM));
  snprintf(u->nonce, sizeof u->nonce, "%.*s", (int)h.nonce.len, h.nonce.p);
  snprintf(u->opaque, sizeof u->opaque, "%.*s", (int)h.opaque.len, h.opaque.p);
  u->nc = 0;
}

static mbmsec_digest_input ue_input(const ue *u, const char *uri, const char *body, const char *pw,
                                    char *ncbuf)
{
  mbmsec_digest_input in;
  memset(&in, 0, sizeof in);
  in.alg = MBMSEC_DIGEST_SHA256;
  in.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  in.username = mbmsec_digest_s(u->btid);
  in.realm = mbmsec_digest_s(REALM);
  in.nonce = mbmsec_digest_s(u->nonce);
  in.cnonce = mbmsec_digest_s(u->cnonce);
  snprintf(ncbuf, 9, "%08x", u->nc);
  in.nc = mbmsec_digest_s(ncbuf);
  in.method = mbmsec_digest_s("POST");
  in.uri = mbmsec_digest_s(uri);
  in.password = (const uint8_t *)pw;
  in.password_len = strlen(pw);
  in.body = (const uint8_t *)body;
  in.body_len = strlen(body);
  return in;
}

/* The next Authorization (nc + 1) for POST uri with body; wrong_pw: another password. */
static const char *ue_auth(ue *u, const char *uri, const char *body, bool wrong_pw)
{
  static mbmsec_digest_header h;
  char pw[MBMSEC_GBA_PASSWORD_SIZE], ncbuf[9], response[65];
  assert_int_equal(mbmsec_gba_digest_password(u->mrk, pw, sizeof pw), MBMSEC_OK);
  if (wrong_pw) pw[0] = pw[0] == 'A' ? 'B' : 'A';
  u->nc++;
  snprintf(u->cnonce, sizeof u->cnonce, "c%u", u->nc * 31u + 7u);
  mbmsec_digest_input in = ue_input(u, uri, body, pw, ncbuf);
  assert_int_equal(mbmsec_digest_response(&in, response, sizeof response), MBMSEC_OK);
  memset(&h, 0, offsetof(mbmsec_digest_header, arena));
  h.present = MBMSEC_DIGEST_F_USERNAME | MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE |
              MBMSEC_DIGEST_F_URI | MBMSEC_DIGEST_F_ALGORITHM | MBMSEC_DIGEST_F_QOP |
              MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE | MBMSEC_DIGEST_F_RESPONSE |
              MBMSEC_DIGEST_F_OPAQUE;
  h.username = in.username;
  h.realm = in.realm;
  h.nonce = in.nonce;
  h.uri = in.uri;
  h.algorithm = MBMSEC_DIGEST_SHA256;
  h.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  memcpy(h.nc, ncbuf, 9);
  h.nc_value = u->nc;
  h.cnonce = in.cnonce;
  h.response = mbmsec_digest_s(response);
  h.opaque = mbmsec_digest_s(u->opaque);
  assert_int_equal(mbmsec_digest_build_authorization(&h, u->auth, sizeof u->auth, NULL), MBMSEC_OK);
  mbmsec_cleanse(pw, sizeof pw);
  return u->auth;
}

/* rspauth of the 200 as the UE checks it, over the exact body bytes. */
static void ue_check_info(const ue *u, const char *uri)
{
  static mbmsec_digest_header h;
  char pw[MBMSEC_GBA_PASSWORD_SIZE], ncbuf[9], want[65];
  assert_int_equal(R.status, 200);
  assert_int_equal(
      mbmsec_digest_parse_auth_info(R.authentication_info, strlen(R.authentication_info), &h),
      MBMSEC_OK);
  assert_int_equal(mbmsec_gba_digest_password(u->mrk, pw, sizeof pw), MBMSEC_OK);
  mbmsec_digest_input in = ue_input(u, uri, "", pw, ncbuf);
  assert_int_equal(h.nc_value, u->nc);
  assert_int_equal(
      mbmsec_digest_rspauth(&in, (const uint8_t *)R.body, R.body_len, want, sizeof want),
      MBMSEC_OK);
  assert_int_equal(h.rspauth.len, strlen(want));
  assert_memory_equal(h.rspauth.p, want, h.rspauth.len);
  assert_memory_equal(R.dec.muk, u->muk, 32);
  mbmsec_cleanse(pw, sizeof pw);
}

/* One authenticated POST with the UE's next nc. */
static void post(ue *u, const char *target, const char *ct, const char *body)
{
  const mbmsec_bmsc_kr_request q = req("POST", target, ue_auth(u, target, body, false), ct, body);
  handle(&q);
}

static const char *reg_doc(const char *root, const char *ns, const char *const *ids, size_t n)
{
  static char doc[4096];
  int k = snprintf(doc, sizeof doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s xmlns=\"%s\">",
                   root, ns);
  for (size_t i = 0; i < n; i++)
    k += snprintf(doc + k, sizeof doc - (size_t)k, "<serviceId>%s</serviceId>", ids[i]);
  snprintf(doc + k, sizeof doc - (size_t)k, "</%s>", root);
  return doc;
}
#define REGISTER(...)                                                                           \
  reg_doc("mbmsUserServiceRegistration", "urn:3GPP:metadata:2005:MBMS:userServiceRegistration", \
          (const char *const[]){__VA_ARGS__},                                                   \
          sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))
#define DEREGISTER(...)                                            \
  reg_doc("mbmsUserServiceDeregistration",                         \
          "urn:3GPP:metadata:2005:MBMS:userServiceDeregistration", \
          (const char *const[]){__VA_ARGS__},                      \
          sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

/* keyId text of (KDID, group, number). */
static void keyid(uint16_t group, uint16_t number, char out[13])
{
  const uint8_t id[4] = {(uint8_t)(group >> 8), (uint8_t)group, (uint8_t)(number >> 8),
                         (uint8_t)number};
  assert_int_equal(mbmsec_xml_keyid_encode(KDID, id, out), MBMSEC_OK);
  assert_int_equal(strlen(out), 12);
}

static const char *msk_doc(const char *const *keys, size_t n)
{
  static char doc[4096];
  int k = snprintf(doc, sizeof doc,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\">");
  for (size_t i = 0; i < n; i++)
    k += snprintf(doc + k, sizeof doc - (size_t)k, "<keyId>%s</keyId>", keys[i]);
  snprintf(doc + k, sizeof doc - (size_t)k, "</mskRequest>");
  return doc;
}

static bool pushes(uint16_t group, uint16_t number)
{
  for (size_t i = 0; R.deliver && i < R.deliver->n; i++) {
    const mbmsec_members_msk_ref *p = &R.deliver->items[i];
    if (!memcmp(p->kdid, KDID, 3) && p->msk_id[0] == (group >> 8) &&
        p->msk_id[1] == (group & 255) && p->msk_id[2] == (number >> 8) &&
        p->msk_id[3] == (number & 255))
      return true;
  }
  return false;
}

/* The per-item document parsed back: code of each item, in request order. */
static unsigned reg_code(const char *id)
{
  static mbmsec_xml_service_list l;
  assert_int_equal(mbmsec_xml_parse_register_response((const uint8_t *)R.body, R.body_len, &l),
                   MBMSEC_OK);
  for (size_t i = 0; i < l.n; i++)
    if (!strcmp(l.items[i].text, id)) return l.items[i].code;
  return 0;
}

static unsigned msk_code(const char *text)
{
  static mbmsec_xml_key_list l;
  assert_int_equal(mbmsec_xml_parse_msk_response((const uint8_t *)R.body, R.body_len, &l),
                   MBMSEC_OK);
  for (size_t i = 0; i < l.n; i++)
    if (!strcmp(l.items[i].text, text)) return l.items[i].code;
  return 0;
}

static void register_alice(void)
{
  ue_init(&U, BT_ALICE);
  ue_challenge(&U, T_REG);
  post(&U, T_REG, MBMSEC_MT_REGISTER, REGISTER(NEWS));
  expect(200, true, MBMSEC_UA_R_OK);
  assert_int_equal(reg_code(NEWS), 200);
}

/* ---- tests */

/* Step 0: routing before any Digest work (no Zn lookup, no challenge). */
static void test_route(void **state)
{
  (void)state;
  static const char *const bad_targets[] = {"/keymanagement",
                                            "/keymanagement?requesttype=",
                                            "/keymanagement?requesttype=registe",
                                            "/keymanagement?requesttype=register&x=1",
                                            "/other?requesttype=register",
                                            "/",
                                            ""};
  for (size_t i = 0; i < sizeof bad_targets / sizeof *bad_targets; i++) {
    const mbmsec_bmsc_kr_request q = req("POST", bad_targets[i], NULL, MBMSEC_MT_REGISTER, "x");
    handle(&q);
    expect(404, false, MBMSEC_UA_R_OK);
    assert_int_equal(R.type, MBMSEC_BMSC_KR_NONE);
  }
  mbmsec_bmsc_kr_request q = req("POST", NULL, NULL, NULL, NULL);
  handle(&q);
  expect(404, false, MBMSEC_UA_R_OK);
  static const char *const methods[] = {"GET", "PUT", "post", "POSTX", "HEAD"};
  for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
    q = req(methods[i], T_MSK, NULL, MBMSEC_MT_MSK, "");
    handle(&q);
    expect(405, false, MBMSEC_UA_R_OK);
    assert_int_equal(R.type, MBMSEC_BMSC_KR_MSK);
  }
  /* 413: a body over the cap, kept or only counted by the adapter */
  static char big[MBMSEC_BMSC_KR_BODY_MAX + 2];
  memset(big, 'a', sizeof big - 1);
  q = req("POST", T_REG, NULL, MBMSEC_MT_REGISTER, big);
  handle(&q);
  expect(413, false, MBMSEC_UA_R_OK);
  q = req("POST", T_DEREG, NULL, MBMSEC_MT_DEREGISTER, "");
  q.body_seen = (uint64_t)MBMSEC_BMSC_KR_BODY_MAX + 1;
  handle(&q);
  expect(413, false, MBMSEC_UA_R_OK);
  assert_int_equal(R.type, MBMSEC_BMSC_KR_DEREGISTER);
  q.body_seen = MBMSEC_BMSC_KR_BODY_MAX; /* at the cap: on to Digest */
  handle(&q);
  expect(401, true, MBMSEC_UA_R_NO_AUTH);
  assert_int_equal(atomic_load(&lookups), 0);

  assert_int_equal(mbmsec_bmsc_kr_type_of(T_REG, strlen(T_REG)), MBMSEC_BMSC_KR_REGISTER);
  assert_int_equal(mbmsec_bmsc_kr_type_of(T_MSK, strlen(T_MSK) - 1), MBMSEC_BMSC_KR_NONE);
  assert_int_equal(mbmsec_bmsc_kr_handle(NULL, &q, &R), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bmsc_kr_handle(g_kr, NULL, &R), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bmsc_kr_handle(g_kr, &q, NULL), MBMSEC_ERR_ARG);
}

/* Steps 1-7 and the IPv4 source: each refusal with its status, reason and challenges. */
static void test_digest_steps(void **state)
{
  (void)state;
  char body[4096], other_body[4096];
  snprintf(other_body, sizeof other_body, "%s", REGISTER(SPORT));
  snprintf(body, sizeof body, "%s", REGISTER(NEWS)); /* reg_doc's buffer is reused */
  ue_init(&U, BT_ALICE);
  /* 1: no Authorization, another scheme, qop auth, realm not ours -> 401 fresh */
  mbmsec_bmsc_kr_request q = req("POST", T_REG, NULL, MBMSEC_MT_REGISTER, body);
  handle(&q);
  expect(401, true, MBMSEC_UA_R_NO_AUTH);
  assert_false(R.dec.stale);
  q = req("POST", T_REG, "Basic YWxpY2U6c2VjcmV0", MBMSEC_MT_REGISTER, body);
  handle(&q);
  expect(401, true, MBMSEC_UA_R_NOT_DIGEST);
  ue_challenge(&U, T_REG);
  char a[4096];
  snprintf(a, sizeof a, "%s", ue_auth(&U, T_REG, body, false));
  char *qop = strstr(a, "qop=auth-int");
  assert_non_null(qop);
  memmove(qop + 8, qop + 12, strlen(qop + 12) + 1); /* qop=auth */
  q = req("POST", T_REG, a, MBMSEC_MT_REGISTER, body);
  handle(&q);
  expect(401, true, MBMSEC_UA_R_QOP);
  snprintf(a, sizeof a, "%s", ue_auth(&U, T_REG, body, false));
  char *realm = strstr(a, "bmsc.example.org");
  assert_non_null(realm);
  realm[0] = 'x';
  q = req("POST", T_REG, a, MBMSEC_MT_REGISTER, body);
  handle(&q);
  expect(401, true, MBMSEC_UA_R_REALM);
  /* 1: a syntax error of the header -> 400 */
  q = req("POST", T_REG, "Digest username=\"unterminated", MBMSEC_MT_REGISTER, body);
  handle(&q);
  expect(400, true, MBMSEC_UA_R_MALFORMED);
  /* 2: uri != request-target -> 400 */
  q = req("POST", T_REG, ue_auth(&U, T_MSK, body, false), MBMSEC_MT_REGISTER, body);
  handle(&q);
  expect(400, true, MBMSEC_UA_R_URI);
  /* 3: a nonce this server never issued -> 401 */
  ue_auth(&U, T_REG, body, false);
  char *n = strstr(U.auth, "nonce=\"");
  assert_non_null(n);
  n[7] = n[7] == 'A' ? 'B' : 'A';
  q = req("POST", T_REG, U.auth, MBMSEC_MT_REGISTER, body);
  handle(&q);
  expect(401, true, MBMSEC_UA_R_NONCE_UNKNOWN);
  /* 4: Zn: unknown B-TID 401, USS without MBMS 403, BSF unreachable 503 */
  static const struct {
    const char *btid;
    unsigned status;
    mbmsec_ua_reason reason;
  } zn[] = {{"btid-nobody@bsf.example", 401, MBMSEC_UA_R_BTID_UNKNOWN},
            {BT_NOMBMS, 403, MBMSEC_UA_R_NOT_AUTHORIZED},
            {BT_DOWN, 503, MBMSEC_UA_R_ZN_UNREACHABLE}};
  for (size_t i = 0; i < sizeof zn / sizeof *zn; i++) {
    ue other;
    ue_init(&other, zn[i].btid);
    memcpy(other.nonce, U.nonce, sizeof other.nonce);
    memcpy(other.opaque, U.opaque, sizeof other.opaque);
    q = req("POST", T_REG, ue_auth(&other, T_REG, body, false), MBMSEC_MT_REGISTER, body);
    handle(&q);
    expect(zn[i].status, true, zn[i].reason);
  }
  /* 5: wrong password -> 401, no stale */
  q = req("POST", T_REG, ue_auth(&U, T_REG, body, true), MBMSEC_MT_REGISTER, body);
  handle(&q);
  expect(401, true, MBMSEC_UA_R_MISMATCH);
  assert_false(R.dec.stale);
  /* 5: the body is hashed (auth-int): another body -> 401 */
  q = req("POST", T_REG, ue_auth(&U, T_REG, body, false), MBMSEC_MT_REGISTER, other_body);
  handle(&q);
  expect(401, true, MBMSEC_UA_R_MISMATCH);
  /* the right one; then 7: the same nc again -> 401 stale */
  post(&U, T_REG, MBMSEC_MT_REGISTER, body);
  expect(200, true, MBMSEC_UA_R_OK);
  q = req("POST", T_REG, U.auth, MBMSEC_MT_REGISTER, body);
  handle(&q);
  expect(401, true, MBMSEC_UA_R_NC_REPLAY);
  assert_true(R.dec.stale);
  /* 6: the nonce expired (digest right) -> 401 stale */
  atomic_store(&now_s, T0 + 301);
  post(&U, T_REG, MBMSEC_MT_REGISTER, body);
  expect(401, true, MBMSEC_UA_R_STALE);
  assert_true(R.dec.stale);
  atomic_store(&now_s, T0);
  /* authenticated but not from IPv4: 400 (P6), nothing registered or pushed */
  ue_challenge(&U, T_REG);
  q = req("POST", T_REG, ue_auth(&U, T_REG, body, false), MBMSEC_MT_REGISTER, body);
  q.ipv4 = 0;
  handle(&q);
  expect(400, true, MBMSEC_UA_R_OK);
  assert_null(R.deliver);
}

/* Step 8: the requesttype's media type (parameters and case ignored) and document. */
static void test_media_and_document(void **state)
{
  (void)state;
  ue_init(&U, BT_ALICE);
  ue_challenge(&U, T_REG);
  const char *body = REGISTER(NEWS);
  static const char *const wrong_ct[] = {NULL,
                                         "",
                                         "application/xml",
                                         MBMSEC_MT_DEREGISTER,
                                         MBMSEC_MT_MSK,
                                         "application/mbms-register+xml2",
                                         "text/plain; x=application/mbms-register+xml"};
  for (size_t i = 0; i < sizeof wrong_ct / sizeof *wrong_ct; i++) {
    post(&U, T_REG, wrong_ct[i], body);
    expect(400, true, MBMSEC_UA_R_OK);
    assert_int_equal(R.code, MBMSEC_OK);
  }
  post(&U, T_REG, "Application/MBMS-Register+XML ; charset=UTF-8", body);
  expect(200, true, MBMSEC_UA_R_OK);
  /* documents lib/xml refuses: HTTP 400 with the parser's code (class input) */
  static const struct {
    const char *target, *ct, *body;
    mbmsec_err code;
  } bad[] = {
      {T_REG, MBMSEC_MT_REGISTER, "<mbmsUserServiceRegistration", MBMSEC_ERR_XML_SYNTAX},
      {T_REG, MBMSEC_MT_REGISTER, "<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\"/>",
       MBMSEC_ERR_XML_ROOT},
      {T_DEREG, MBMSEC_MT_DEREGISTER,
       "<mbmsUserServiceRegistration xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceRegistration\">"
       "<serviceId>x</serviceId></mbmsUserServiceRegistration>",
       MBMSEC_ERR_XML_ROOT},
      {T_MSK, MBMSEC_MT_MSK,
       "<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\"></mskRequest>",
       MBMSEC_ERR_XML_EMPTY},
      {T_MSK, MBMSEC_MT_MSK, "<!DOCTYPE x [<!ENTITY a \"b\">]><mskRequest/>",
       MBMSEC_ERR_XML_DOCTYPE},
      {T_MSK, MBMSEC_MT_MSK, "", MBMSEC_ERR_XML_SIZE},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ue_challenge(&U, bad[i].target);
    post(&U, bad[i].target, bad[i].ct, bad[i].body);
    expect(400, true, MBMSEC_UA_R_OK);
    if (R.code != bad[i].code) print_error("case %zu: %s\n", i, mbmsec_errname(R.code));
    assert_int_equal(R.code, bad[i].code);
    assert_int_equal(mbmsec_err_class(R.code), MBMSEC_ERRCLASS_INPUT);
    assert_null(R.cancel);
  }
}

/* Register (P4): 200 subscribed, 401 not subscribed, 404 unknown service, 400 bad item; the
 * 200 carries Authentication-Info and the MSKs to push (current and next of group 1). */
static void test_register_items(void **state)
{
  (void)state;
  ue_init(&U, BT_ALICE);
  ue_challenge(&U, T_REG);
  post(&U, T_REG, MBMSEC_MT_REGISTER, REGISTER(NEWS, SPORT, "urn:example:mbms:none", "bad id"));
  expect(200, true, MBMSEC_UA_R_OK);
  assert_string_equal(R.content_type, MBMSEC_MT_REGISTER_RESPONSE);
  assert_string_equal(R.dec.btid, BT_ALICE);
  assert_string_equal(R.dec.impi, ALICE);
  ue_check_info(&U, T_REG);
  assert_int_equal(reg_code(NEWS), 200);
  assert_int_equal(reg_code(SPORT), 401);
  assert_int_equal(reg_code("urn:example:mbms:none"), 404);
  assert_int_equal(reg_code("bad id"), 400);
  assert_int_equal(R.items_ok, 1);
  assert_true(R.set_ue);
  assert_null(R.cancel);
  assert_non_null(R.deliver);
  assert_int_equal(R.deliver->n, 2);
  assert_true(pushes(1, g_cur) && pushes(1, g_next));
  /* the registration is in the store with the UE's address (P6) */
  static mbmsec_store_registration reg;
  assert_int_equal(mbmsec_store_registration_get(g_st, ALICE, NEWS, &reg), MBMSEC_OK);
  assert_string_equal(reg.btid, BT_ALICE);
  assert_string_equal(reg.ue_addr, "127.0.0.7:2269");

  /* bob is subscribed to nothing: 200 with the item 401, nothing to do for MIKEY */
  ue_init(&U, BT_BOB);
  ue_challenge(&U, T_REG);
  post(&U, T_REG, MBMSEC_MT_REGISTER, REGISTER(NEWS));
  expect(200, true, MBMSEC_UA_R_OK);
  assert_int_equal(reg_code(NEWS), 401);
  assert_int_equal(R.items_ok, 0);
  assert_false(R.set_ue);
  assert_int_equal(R.deliver->n, 0);
}

/* msk-request (P4, P15): 200 named MSK, 200 key number 0 (current and next), 204 beyond the
 * newest, 404 unknown group, 401 group of a service not registered, 480 group without MSKs,
 * 400 bad keyId; the delivery list holds exactly the 200 items' MSKs. */
static void test_msk_items(void **state)
{
  (void)state;
  register_alice();
  /* alice registers "empty" (group 5, no MSK) too */
  post(&U, T_REG, MBMSEC_MT_REGISTER, REGISTER(EMPTY));
  expect(200, true, MBMSEC_UA_R_OK);
  char cur[13], zero[13], beyond[13], unknown[13], sport[13], empty[13];
  keyid(1, g_cur, cur);
  keyid(1, 0, zero);
  keyid(1, (uint16_t)(g_next + 1), beyond);
  keyid(9, 1, unknown);
  keyid(2, 1, sport);
  keyid(5, 0, empty);
  const char *doc =
      msk_doc((const char *const[]){cur, beyond, unknown, sport, empty, "APEQAAEA"}, 6);
  post(&U, T_MSK, MBMSEC_MT_MSK, doc);
  expect(200, true, MBMSEC_UA_R_OK);
  assert_string_equal(R.content_type, MBMSEC_MT_MSK_RESPONSE);
  ue_check_info(&U, T_MSK);
  assert_int_equal(msk_code(cur), 200);
  assert_int_equal(msk_code(beyond), MBMSEC_MBMS_STATUS_NO_UPDATE);
  assert_int_equal(msk_code(unknown), 404);
  assert_int_equal(msk_code(sport), 401);
  assert_int_equal(msk_code(empty), 480);
  assert_int_equal(msk_code("APEQAAEA"), 400);
  assert_int_equal(R.items_ok, 1);
  assert_true(R.set_ue);
  assert_true(pushes(1, g_cur));
  assert_false(pushes(2, 1));
  /* key number 0: the current and the next MSK */
  post(&U, T_MSK, MBMSEC_MT_MSK, msk_doc((const char *const[]){zero}, 1));
  expect(200, true, MBMSEC_UA_R_OK);
  assert_int_equal(msk_code(zero), 200);
  assert_int_equal(R.deliver->n, 2);
  assert_true(pushes(1, g_cur) && pushes(1, g_next));
  /* 204 alone: a 200 answer, nothing to push, no UE to set */
  post(&U, T_MSK, MBMSEC_MT_MSK, msk_doc((const char *const[]){beyond}, 1));
  expect(200, true, MBMSEC_UA_R_OK);
  assert_int_equal(msk_code(beyond), 204);
  assert_int_equal(R.items_ok, 0);
  assert_false(R.set_ue);
  assert_int_equal(R.deliver->n, 0);
  /* a content type of another requesttype at the msk-request target */
  post(&U, T_MSK, MBMSEC_MT_REGISTER, msk_doc((const char *const[]){cur}, 1));
  expect(400, true, MBMSEC_UA_R_OK);
}

static int sent;
static int fake_send(void *user, uint32_t ipv4, uint16_t port, const uint8_t *msg, size_t len)
{
  (void)user;
  (void)msg;
  (void)len;
  assert_int_equal(ipv4, UE_IP);
  assert_int_equal(port, MBMSEC_MIKEY_UDP_PORT_DEFAULT);
  sent++;
  return 0;
}

/* Deregister: 200 items, the cancel list names group 1, and applying it to a delivery engine
 * stops the deliveries the register started (no retransmission, slot freed). */
static void test_deregister_cancels(void **state)
{
  (void)state;
  mbmsec_store *dst = NULL;
  assert_int_equal(mbmsec_store_open(g_path, &dst), MBMSEC_OK);
  mbmsec_bmsc_dl_config dc = {.fqdn = FQDN, .v_flag = 1, .store = dst, .send = fake_send};
  mbmsec_bmsc_dl *dl = NULL;
  assert_int_equal(mbmsec_bmsc_dl_new(&dc, &dl), MBMSEC_OK);
  register_alice();
  /* the daemon's part: the UE, then each MSK of the list (keys from the store) */
  assert_true(R.set_ue);
  assert_int_equal(
      mbmsec_bmsc_dl_ue_set(dl, R.dec.btid, R.dec.muk, UE_IP, MBMSEC_MIKEY_UDP_PORT_DEFAULT),
      MBMSEC_OK);
  uint8_t ids[2][4];
  assert_int_equal(R.deliver->n, 2);
  for (size_t i = 0; i < R.deliver->n; i++) {
    mbmsec_store_msk m;
    const mbmsec_members_msk_ref *p = &R.deliver->items[i];
    memcpy(ids[i], p->msk_id, 4);
    assert_int_equal(mbmsec_store_msk_get(g_st, p->kdid, 3, p->msk_id, 4, &m), MBMSEC_OK);
    assert_int_equal(
        mbmsec_bmsc_dl_deliver(dl, R.dec.btid, p->kdid, p->msk_id, m.key, m.vf, m.vt, 0),
        MBMSEC_OK);
    mbmsec_cleanse(&m, sizeof m);
    assert_int_equal(mbmsec_bmsc_dl_get(dl, BT_ALICE, ids[i]), MBMSEC_BMSC_DL_PENDING);
  }
  assert_int_equal(sent, 2);
  /* the cancel list of an answer that has none changes nothing */
  size_t cancelled = 9;
  assert_int_equal(mbmsec_bmsc_kr_cancel(dl, &R, &cancelled), MBMSEC_OK);
  assert_int_equal(cancelled, 0);

  post(&U, T_DEREG, MBMSEC_MT_DEREGISTER, DEREGISTER(NEWS, "urn:example:mbms:none"));
  expect(200, true, MBMSEC_UA_R_OK);
  ue_check_info(&U, T_DEREG);
  assert_string_equal(R.content_type, MBMSEC_MT_REGISTER_RESPONSE);
  assert_int_equal(reg_code(NEWS), 200);
  assert_int_equal(reg_code("urn:example:mbms:none"), 404);
  assert_false(R.set_ue); /* a deregister registers nobody for MIKEY */
  assert_non_null(R.cancel);
  assert_int_equal(R.cancel->n, 1);
  assert_memory_equal(R.cancel->items[0].kdid, KDID, 3);
  assert_int_equal(R.cancel->items[0].key_group, 1);
  assert_int_equal(mbmsec_bmsc_kr_cancel(dl, &R, &cancelled), MBMSEC_OK);
  assert_int_equal(cancelled, 2);
  for (int i = 0; i < 2; i++)
    assert_int_equal(mbmsec_bmsc_dl_get(dl, BT_ALICE, ids[i]), MBMSEC_BMSC_DL_NONE);
  assert_int_equal(mbmsec_bmsc_dl_tick(dl, 100000), -1); /* nothing left to retransmit */
  assert_int_equal(sent, 2);
  /* no longer registered: the msk-request item is 401 */
  char cur[13];
  keyid(1, g_cur, cur);
  post(&U, T_MSK, MBMSEC_MT_MSK, msk_doc((const char *const[]){cur}, 1));
  expect(200, true, MBMSEC_UA_R_OK);
  assert_int_equal(msk_code(cur), 401);
  /* a UE the delivery engine never knew: nothing to cancel, no error */
  post(&U, T_DEREG, MBMSEC_MT_DEREGISTER, DEREGISTER(EMPTY));
  expect(200, true, MBMSEC_UA_R_OK);
  mbmsec_bmsc_dl_ue_del(dl, BT_ALICE);
  assert_int_equal(mbmsec_bmsc_kr_cancel(dl, &R, &cancelled), MBMSEC_OK);
  assert_int_equal(cancelled, 0);
  assert_int_equal(mbmsec_bmsc_kr_cancel(NULL, &R, NULL), MBMSEC_ERR_ARG);
  mbmsec_bmsc_dl_free(dl);
  mbmsec_store_close(dst);
}

/* Out of memory after authentication (the thread's first request allocates its scratch):
 * HTTP 500 by class (nomem), no body, nothing for MIKEY; a thread whose own store handle
 * cannot be opened warns and answers through the shared handle. Every allocation of the
 * engine's path is made to fail in turn. */
static void test_no_memory(void **state)
{
  (void)state;
  int n500 = 0, n200 = 0;
  for (long n = 1; n < 40 && n200 < 3; n++) {
    teardown(NULL);
    g_kr = engine(0, false);
    ue_init(&U, BT_ALICE);
    ue_challenge(&U, T_REG);
    const char *body = REGISTER(NEWS);
    const mbmsec_bmsc_kr_request q =
        req("POST", T_REG, ue_auth(&U, T_REG, body, false), MBMSEC_MT_REGISTER, body);
    g_allocs = 0;
    g_fail_at = n;
    mbmsec_bmsc_kr_response_cleanse(&R);
    const mbmsec_err rc = mbmsec_bmsc_kr_handle(g_kr, &q, &R);
    g_fail_at = 0;
    if (R.status == 500) {
      n500++;
      assert_int_equal(rc, R.code);
      assert_int_equal(mbmsec_err_class(R.code), MBMSEC_ERRCLASS_NOMEM);
      assert_null(R.body);
      assert_false(R.set_ue);
    } else {
      assert_int_equal(rc, MBMSEC_OK);
      if (R.status != 200)
        print_error("allocation %ld: %u %s\n", n, R.status, mbmsec_errname(R.code));
      assert_int_equal(R.status, 200);
      n200++;
    }
  }
  assert_true(n500 >= 1);
  assert_true(n200 >= 1);
  assert_true(warnings >= 1); /* some allocation was the thread's own store handle's */
  warnings = 0;
}

/* No allocation of the project's code per request once the thread is warm (its scratch, store
 * handle and cache exist, the B-TID is in the Zn cache): the 204 and 200 msk-requests and a
 * 401 allocate nothing (SQLite's and libxml2's own allocations are not counted: shared
 * libraries). */
static void test_no_alloc_per_request(void **state)
{
  (void)state;
  register_alice();
  char beyond[13], zero[13];
  keyid(1, (uint16_t)(g_next + 1), beyond);
  keyid(1, 0, zero);
  char d204[4096], d200[4096];
  snprintf(d204, sizeof d204, "%s", msk_doc((const char *const[]){beyond}, 1));
  snprintf(d200, sizeof d200, "%s", msk_doc((const char *const[]){zero}, 1));
  post(&U, T_MSK, MBMSEC_MT_MSK, d204); /* warms the msk-request cache and the thread's handle */
  expect(200, true, MBMSEC_UA_R_OK);
  for (int i = 0; i < 3; i++) {
    const mbmsec_bmsc_kr_request q204 =
        req("POST", T_MSK, ue_auth(&U, T_MSK, d204, false), MBMSEC_MT_MSK, d204);
    g_allocs = 0;
    g_fail_at = -1; /* count, never fail */
    handle(&q204);
    g_fail_at = 0;
    assert_int_equal(g_allocs, 0);
    assert_int_equal(msk_code(beyond), 204);
    const mbmsec_bmsc_kr_request q200 =
        req("POST", T_MSK, ue_auth(&U, T_MSK, d200, false), MBMSEC_MT_MSK, d200);
    g_allocs = 0;
    g_fail_at = -1;
    handle(&q200);
    g_fail_at = 0;
    assert_int_equal(g_allocs, 0);
    assert_int_equal(R.deliver->n, 2);
    const mbmsec_bmsc_kr_request q401 = req("POST", T_MSK, NULL, MBMSEC_MT_MSK, d200);
    g_allocs = 0;
    g_fail_at = -1;
    handle(&q401);
    g_fail_at = 0;
    assert_int_equal(g_allocs, 0);
    assert_int_equal(R.status, 401);
  }
}

/* Stage times: with a sample of 1 every authenticated request reports Digest, XML and store
 * times (x1); without cpu_ns nothing; a 404 never. */
static void test_stage_times(void **state)
{
  (void)state;
  teardown(NULL);
  g_kr = engine(1, true);
  register_alice();
  assert_true(R.stage_ns[MBMSEC_BMSC_KR_STAGE_DIGEST] > 0);
  assert_true(R.stage_ns[MBMSEC_BMSC_KR_STAGE_XML] > 0);
  assert_true(R.stage_ns[MBMSEC_BMSC_KR_STAGE_STORE] > 0);
  const mbmsec_bmsc_kr_request q = req("POST", "/x", NULL, NULL, NULL);
  handle(&q);
  for (int i = 0; i < MBMSEC_BMSC_KR_STAGE_N; i++) assert_int_equal(R.stage_ns[i], 0);
  teardown(NULL);
  g_kr = engine(0, false);
  register_alice();
  for (int i = 0; i < MBMSEC_BMSC_KR_STAGE_N; i++) assert_int_equal(R.stage_ns[i], 0);
}

/* Threads: each its own scratch (answers point into it); scratch of exited threads freed at
 * their exit, of live ones with the engine (ASan/LSan watch). */
typedef struct {
  int ok;
  char cur[13];
} thr_arg;

static void *thr(void *p)
{
  thr_arg *a = p;
  static _Thread_local mbmsec_bmsc_kr_response r;
  const char *doc =
      "<mskRequest "
      "xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\"><keyId>AAAAAAAAAAAA</keyId></mskRequest>";
  mbmsec_bmsc_kr_request q = {.method = "POST",
                              .method_len = 4,
                              .target = T_MSK,
                              .target_len = strlen(T_MSK),
                              .content_type = MBMSEC_MT_MSK,
                              .content_type_len = strlen(MBMSEC_MT_MSK),
                              .body = (const uint8_t *)doc,
                              .body_len = strlen(doc),
                              .ipv4 = UE_IP};
  a->ok = mbmsec_bmsc_kr_handle(g_kr, &q, &r) == MBMSEC_OK && r.status == 401;
  mbmsec_bmsc_kr_response_cleanse(&r);
  return NULL;
}

static void test_threads(void **state)
{
  (void)state;
  register_alice(); /* this thread's scratch: freed by the engine */
  pthread_t t[4];
  thr_arg a[4];
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, thr, &a[i]), 0);
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    assert_true(a[i].ok);
  }
  assert_int_equal(warnings, 0);
}

/* Configuration refusals. */
static void test_config(void **state)
{
  (void)state;
  mbmsec_bmsc_kr_config cfg;
  memset(&cfg, 0, sizeof cfg);
  mbmsec_bmsc_kr *kr = (mbmsec_bmsc_kr *)1;
  assert_int_equal(mbmsec_bmsc_kr_new(&cfg, &kr), MBMSEC_ERR_ARG); /* no store */
  assert_null(kr);
  assert_int_equal(mbmsec_bmsc_kr_new(NULL, &kr), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bmsc_kr_new(&cfg, NULL), MBMSEC_ERR_ARG);
  cfg.store = g_st;
  assert_int_equal(mbmsec_bmsc_kr_new(&cfg, &kr), MBMSEC_ERR_UA_CONFIG); /* no fqdn, lookup */
  cfg.ua.fqdn = FQDN;
  cfg.ua.lookup = fake_lookup;
  cfg.stage_sample = 70000;
  assert_int_equal(mbmsec_bmsc_kr_new(&cfg, &kr), MBMSEC_ERR_ARG);
  cfg.stage_sample = 0;
  cfg.store_uri = ":memory:"; /* shared handle only */
  assert_int_equal(mbmsec_bmsc_kr_new(&cfg, &kr), MBMSEC_OK);
  mbmsec_bmsc_kr_free(kr);
  mbmsec_bmsc_kr_free(NULL);
  assert_null(mbmsec_bmsc_kr_ua(NULL));
  mbmsec_bmsc_kr_response_cleanse(NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_route, setup, teardown),
      cmocka_unit_test_setup_teardown(test_digest_steps, setup, teardown),
      cmocka_unit_test_setup_teardown(test_media_and_document, setup, teardown),
      cmocka_unit_test_setup_teardown(test_register_items, setup, teardown),
      cmocka_unit_test_setup_teardown(test_msk_items, setup, teardown),
      cmocka_unit_test_setup_teardown(test_deregister_cancels, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_alloc_per_request, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stage_times, setup, teardown),
      cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
      cmocka_unit_test_setup_teardown(test_config, setup, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
