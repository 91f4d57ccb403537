/* The UE's Ua Digest client against the BM-SC's Digest engine (lib/ua), in process: first
 * contact -> 401 (SHA-256 first) -> Authorization (auth-int) -> 200 whose rspauth the UE
 * checks; a body changed in transit; MD5 when only MD5 is offered; a stale nonce retried with
 * the same credentials; a B-TID the BSF no longer knows -> bootstrap again. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/crypto.h"
#include "mbmsec/gba.h"
#include "mbmsec/ua.h"
#include "mbmsec/ue.h"
#include "mbmsec/ue_km.h"
#include "mbmsec/ue_mikey.h"
#include "mbmsec/ue_ua.h"
#include "mbmsec/zn.h"
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define FQDN   "bmsc.example.org"
#define BTID   "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.example.org"
#define TARGET "/keymanagement?requesttype=msk-request"
static uint8_t g_ks_naf[32];
static int64_t g_now = 1800000000;
static uint32_t g_result = MBMSEC_ZN_SUCCESS;

static int64_t clock_fn(void *u)
{
  (void)u;
  return g_now;
}

static mbmsec_err lookup(const char *btid, size_t btid_len, const uint8_t *naf_id,
                         size_t naf_id_len, void *user, mbmsec_ua_zn_result *out)
{
  (void)naf_id, (void)naf_id_len, (void)user;
  out->result = g_result;
  if (g_result != MBMSEC_ZN_SUCCESS || btid_len != strlen(BTID) || memcmp(btid, BTID, btid_len)) {
    out->result = g_result == MBMSEC_ZN_SUCCESS ? MBMSEC_ZN_TRANSACTION_ID_INVALID : g_result;
    return MBMSEC_OK;
  }
  memcpy(out->impi, "user@ims.example.org", 21);
  out->impi_len = 20;
  memcpy(out->ks_naf, g_ks_naf, 32);
  out->key_expiry = g_now + 3600;
  return MBMSEC_OK;
}

/* One POST through the server engine; returns its decision. */
static mbmsec_ua_decision *post(mbmsec_ua *ua, mbmsec_ue_ua *c, const char *body)
{
  static mbmsec_ua_decision dec;
  char auth[4096];
  size_t alen = 0;
  assert_int_equal(mbmsec_ue_ua_authorize(c, TARGET, (const uint8_t *)body, strlen(body), auth,
                                          sizeof auth, &alen),
                   MBMSEC_OK);
  mbmsec_ua_request req = {.method = "POST",
                           .method_len = 4,
                           .target = TARGET,
                           .target_len = strlen(TARGET),
                           .authorization = alen ? auth : NULL,
                           .authorization_len = alen,
                           .body = (const uint8_t *)body,
                           .body_len = strlen(body)};
  assert_int_equal(mbmsec_ua_check(ua, &req, &dec), MBMSEC_OK);
  return &dec;
}

static mbmsec_ue_ua_action on_401(mbmsec_ue_ua *c, mbmsec_ua_decision *d)
{
  mbmsec_digest_str w[4];
  for (size_t i = 0; i < d->n_challenges; i++) w[i] = mbmsec_digest_s(d->challenge[i]);
  mbmsec_ue_ua_action a;
  assert_int_equal(mbmsec_ue_ua_on_401(c, w, d->n_challenges, &a), MBMSEC_OK);
  return a;
}

static void test_flow(void **state)
{
  (void)state;
  uint8_t mrk[32], muk[32];
  mbmsec_random(g_ks_naf, sizeof g_ks_naf);
  assert_int_equal(mbmsec_gba_mrk_muk(g_ks_naf, MBMSEC_MRK_MUK_KDF, mrk, muk), MBMSEC_OK);
  mbmsec_ua_config cfg = {.fqdn = FQDN, .clock = clock_fn, .lookup = lookup};
  mbmsec_ua *ua;
  assert_int_equal(mbmsec_ua_new(&cfg, &ua), MBMSEC_OK);
  mbmsec_ue_ua c;
  assert_int_equal(mbmsec_ue_ua_init(&c, BTID, mrk), MBMSEC_OK);
  const char *body = "<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\"/>";
  const char *rbody = "<mskResponse/>";

  /* First contact: no Authorization -> 401, SHA-256 first. */
  mbmsec_ua_decision *d = post(ua, &c, body);
  assert_int_equal(d->status, 401);
  assert_int_equal(on_401(&c, d), MBMSEC_UE_UA_RETRY);
  assert_int_equal(c.alg, MBMSEC_DIGEST_SHA256);
  /* With credentials: 200; the server's MUK is the UE's; rspauth verifies. */
  d = post(ua, &c, body);
  assert_int_equal(d->status, 200);
  assert_memory_equal(d->muk, muk, 32);
  char ai[MBMSEC_UA_AUTH_INFO_MAX];
  size_t ail = 0;
  assert_int_equal(
      mbmsec_ua_auth_info(ua, d, (const uint8_t *)rbody, strlen(rbody), false, ai, sizeof ai, &ail),
      MBMSEC_OK);
  assert_int_equal(mbmsec_ue_ua_on_200(&c, ai, ail, (const uint8_t *)rbody, strlen(rbody)),
                   MBMSEC_OK);
  /* The same Authentication-Info over a body changed in transit: refused. */
  assert_int_equal(mbmsec_ue_ua_on_200(&c, ai, ail, (const uint8_t *)"<mskResponse />", 15),
                   MBMSEC_ERR_UE_RSPAUTH);
  assert_int_equal(mbmsec_ue_ua_on_200(&c, NULL, 0, (const uint8_t *)rbody, strlen(rbody)),
                   MBMSEC_ERR_UE_RSPAUTH);
  mbmsec_ua_decision_cleanse(d);

  /* Next request on the same nonce (nc 2): 200 again. */
  d = post(ua, &c, body);
  assert_int_equal(d->status, 200);
  assert_string_equal(c.nc_s, "00000002");
  mbmsec_ua_decision_cleanse(d);

  /* Nonce older than 300 s: 401 stale=true -> same credentials, new nonce -> 200. */
  g_now += 301;
  d = post(ua, &c, body);
  assert_int_equal(d->status, 401);
  assert_true(d->stale);
  assert_int_equal(on_401(&c, d), MBMSEC_UE_UA_RETRY);
  d = post(ua, &c, body);
  assert_int_equal(d->status, 200);
  mbmsec_ua_decision_cleanse(d);

  /* The BSF forgot the B-TID (5403) and the cache is gone: 401 without stale -> bootstrap. */
  mbmsec_ua_free(ua);
  assert_int_equal(mbmsec_ua_new(&cfg, &ua), MBMSEC_OK);
  g_result = MBMSEC_ZN_TRANSACTION_ID_INVALID;
  d = post(ua, &c, body); /* an old nonce of another server instance: 401 */
  assert_int_equal(d->status, 401);
  (void)on_401(&c, d);
  d = post(ua, &c, body);
  assert_int_equal(d->status, 401);
  assert_false(d->stale);
  assert_int_equal(on_401(&c, d), MBMSEC_UE_UA_REBOOTSTRAP);
  g_result = MBMSEC_ZN_SUCCESS;

  /* Only MD5 offered: the client answers with MD5. */
  mbmsec_ua_free(ua);
  cfg.algs[0] = MBMSEC_DIGEST_MD5;
  cfg.n_algs = 1;
  assert_int_equal(mbmsec_ua_new(&cfg, &ua), MBMSEC_OK);
  mbmsec_ue_ua md5;
  assert_int_equal(mbmsec_ue_ua_init(&md5, BTID, mrk), MBMSEC_OK);
  d = post(ua, &md5, body);
  assert_int_equal(on_401(&md5, d), MBMSEC_UE_UA_RETRY);
  assert_int_equal(md5.alg, MBMSEC_DIGEST_MD5);
  d = post(ua, &md5, body);
  assert_int_equal(d->status, 200);
  mbmsec_ua_decision_cleanse(d);
  /* A 401 without any usable challenge. */
  mbmsec_digest_str basic = mbmsec_digest_s("Basic realm=\"x\"");
  mbmsec_ue_ua_action a;
  assert_int_equal(mbmsec_ue_ua_on_401(&md5, &basic, 1, &a), MBMSEC_ERR_UE_NO_CHALLENGE);

  mbmsec_ue_ua_cleanse(&c);
  mbmsec_ue_ua_cleanse(&md5);
  mbmsec_ua_free(ua);
  mbmsec_cleanse(mrk, sizeof mrk);
  mbmsec_cleanse(muk, sizeof muk);
}

/* ================================================================ request engine + driver
 * The whole Ua client (lib/ue/ua_client_req.c) against the BM-SC's Digest engine and a fake
 * per-item BM-SC: bodies built and parsed by lib/xml on both sides. */

#define BTID2 "AAAAAAAAAAAAAAAAAAAAAA==@bsf.example.org"
typedef struct {
  const char *btid;
  uint8_t ks_naf[32];
  uint32_t result;
} zn_entry;
static zn_entry g_zn[2];

static mbmsec_err lookup2(const char *btid, size_t btid_len, const uint8_t *naf_id,
                          size_t naf_id_len, void *user, mbmsec_ua_zn_result *out)
{
  (void)naf_id, (void)naf_id_len, (void)user;
  out->result = MBMSEC_ZN_TRANSACTION_ID_INVALID;
  for (size_t i = 0; i < 2; i++) {
    if (!g_zn[i].btid || strlen(g_zn[i].btid) != btid_len || memcmp(g_zn[i].btid, btid, btid_len))
      continue;
    out->result = g_zn[i].result;
    if (out->result != MBMSEC_ZN_SUCCESS) return MBMSEC_OK;
    memcpy(out->impi, "user@ims.example.org", 21);
    out->impi_len = 20;
    memcpy(out->ks_naf, g_zn[i].ks_naf, 32);
    out->key_expiry = g_now + 3600;
  }
  return MBMSEC_OK;
}

/* The fake BM-SC behind mbmsec_ue_km_post_fn. */
typedef struct {
  mbmsec_ua *ua;
  bool nextnonce, tamper, no_auth_info;
  unsigned statuses[16];
  size_t n;
  char www[MBMSEC_UA_ALGS_MAX][MBMSEC_UA_CHALLENGE_MAX];
  char ai[MBMSEC_UA_AUTH_INFO_MAX];
  char body[MBMSEC_XML_DOC_MAX];
  char last_target[MBMSEC_UE_KM_TARGET_MAX];
  char last_nc[9];
  uint8_t muk[32];
} fake_bmsc;

static unsigned svc_code(const char *id)
{
  return strstr(id, "sport") ? 401u : strstr(id, "unknown") ? 404u : 200u;
}

static unsigned key_code(const uint8_t msk_id[4])
{
  const uint16_t kn = mbmsec_xml_msk_key_number(msk_id);
  return kn == 3 ? 404u : kn == 4 ? 480u : kn == 5 ? (unsigned)MBMSEC_MBMS_STATUS_NO_UPDATE : 200u;
}

static mbmsec_err fake_post(void *ctx, const mbmsec_ue_km_send *s, mbmsec_ue_http_answer *ans)
{
  fake_bmsc *f = ctx;
  memset(ans, 0, sizeof *ans);
  snprintf(f->last_target, sizeof f->last_target, "%s", s->target);
  const bool msk = strstr(s->target, "requesttype=msk-request") != NULL;
  const bool dereg = strstr(s->target, "requesttype=deregister") != NULL;
  assert_string_equal(s->content_type, msk     ? MBMSEC_MT_MSK
                                       : dereg ? MBMSEC_MT_DEREGISTER
                                               : MBMSEC_MT_REGISTER);
  assert_string_equal(s->accept, msk ? MBMSEC_MT_MSK_RESPONSE : MBMSEC_MT_REGISTER_RESPONSE);
  mbmsec_ua_request req = {.method = "POST",
                           .method_len = 4,
                           .target = s->target,
                           .target_len = strlen(s->target),
                           .authorization = s->authorization[0] ? s->authorization : NULL,
                           .authorization_len = strlen(s->authorization),
                           .body = s->body,
                           .body_len = s->body_len};
  mbmsec_ua_decision d;
  assert_int_equal(mbmsec_ua_check(f->ua, &req, &d), MBMSEC_OK);
  f->statuses[f->n++ % 16] = d.status;
  ans->status = d.status;
  if (d.status == 401) {
    for (size_t i = 0; i < d.n_challenges; i++) {
      memcpy(f->www[i], d.challenge[i], sizeof f->www[i]);
      ans->www_auth[i] = mbmsec_digest_s(f->www[i]);
    }
    ans->n_www_auth = d.n_challenges;
    return MBMSEC_OK;
  }
  assert_int_equal(d.status, 200);
  memcpy(f->muk, d.muk, 32);
  memcpy(f->last_nc, d.nc, 9);
  size_t len = 0;
  if (msk) {
    mbmsec_xml_key_list *in = calloc(1, sizeof *in), *out = calloc(1, sizeof *out);
    assert_int_equal(mbmsec_xml_parse_msk_request(s->body, s->body_len, in), MBMSEC_OK);
    for (size_t i = 0; i < in->n; i++)
      assert_int_equal(mbmsec_xml_key_add(out, in->items[i].kdid, in->items[i].msk_id,
                                          key_code(in->items[i].msk_id)),
                       MBMSEC_OK);
    assert_int_equal(mbmsec_xml_build_msk_response(out, f->body, sizeof f->body, &len), MBMSEC_OK);
    free(in), free(out);
  } else {
    mbmsec_xml_service_list *in = calloc(1, sizeof *in), *out = calloc(1, sizeof *out);
    assert_int_equal(mbmsec_xml_parse_register(s->body, s->body_len,
                                               dereg ? MBMSEC_XML_DEREGISTER : MBMSEC_XML_REGISTER,
                                               in),
                     MBMSEC_OK);
    for (size_t i = 0; i < in->n; i++)
      assert_int_equal(mbmsec_xml_service_add(out, in->items[i].text, svc_code(in->items[i].text)),
                       MBMSEC_OK);
    assert_int_equal(mbmsec_xml_build_register_response(out, f->body, sizeof f->body, &len),
                     MBMSEC_OK);
    free(in), free(out);
  }
  size_t ail = 0;
  assert_int_equal(mbmsec_ua_auth_info(f->ua, &d, (const uint8_t *)f->body, len, f->nextnonce,
                                       f->ai, sizeof f->ai, &ail),
                   MBMSEC_OK);
  mbmsec_ua_decision_cleanse(&d);
  if (f->tamper) f->body[len / 2] ^= 0x01; /* one bit changed in transit */
  if (!f->no_auth_info) ans->auth_info = (mbmsec_digest_str){f->ai, ail};
  ans->content_type = msk ? MBMSEC_MT_MSK_RESPONSE "; charset=utf-8" : MBMSEC_MT_REGISTER_RESPONSE;
  ans->body = (const uint8_t *)f->body;
  ans->body_len = len;
  return MBMSEC_OK;
}

/* The "bootstrap again" callback: the BSF now knows BTID2 with a new Ks_NAF. */
static int g_boots;
static mbmsec_err fake_boot(void *ctx, char btid[MBMSEC_UE_ID_MAX + 1], uint8_t mrk[32])
{
  (void)ctx;
  g_boots++;
  uint8_t muk[32];
  strcpy(btid, BTID2);
  assert_int_equal(mbmsec_gba_mrk_muk(g_zn[1].ks_naf, MBMSEC_MRK_MUK_KDF, mrk, muk), MBMSEC_OK);
  mbmsec_cleanse(muk, sizeof muk);
  return MBMSEC_OK;
}

static size_t code_of(const mbmsec_ue_km *k, const char *text)
{
  mbmsec_ue_km_item it;
  for (size_t i = 0; i < mbmsec_ue_km_n_items(k); i++) {
    assert_int_equal(mbmsec_ue_km_item_get(k, i, &it), MBMSEC_OK);
    if (!strcmp(it.text, text)) {
      assert_true(it.requested);
      return it.code;
    }
  }
  return 0;
}

static void test_km_requests(void **state)
{
  (void)state;
  uint8_t mrk[32], muk[32];
  g_zn[0] = (zn_entry){.btid = BTID, .result = MBMSEC_ZN_SUCCESS};
  g_zn[1] = (zn_entry){.btid = NULL, .result = MBMSEC_ZN_SUCCESS};
  mbmsec_random(g_zn[0].ks_naf, 32);
  mbmsec_random(g_zn[1].ks_naf, 32);
  assert_int_equal(mbmsec_gba_mrk_muk(g_zn[0].ks_naf, MBMSEC_MRK_MUK_KDF, mrk, muk), MBMSEC_OK);
  mbmsec_ua_config cfg = {.fqdn = FQDN, .clock = clock_fn, .lookup = lookup2};
  fake_bmsc *f = calloc(1, sizeof *f);
  assert_non_null(f);
  assert_int_equal(mbmsec_ua_new(&cfg, &f->ua), MBMSEC_OK);
  mbmsec_ue_km *k;
  assert_int_equal(mbmsec_ue_km_new("http://" FQDN ":8080/bmsc/", NULL, &k), MBMSEC_OK);
  const char *svcs[] = {"urn:example:mbms:news", "urn:example:mbms:sport",
                        "urn:example:mbms:unknown"};
  /* No credentials yet. */
  assert_int_equal(mbmsec_ue_km_start(k, MBMSEC_UE_KM_REGISTER, svcs, 3), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_ue_km_set_credentials(k, BTID, mrk), MBMSEC_OK);

  /* Register: first contact 401 (SHA-256), then 200 with three codes in three groups. */
  assert_int_equal(mbmsec_ue_km_run(k, MBMSEC_UE_KM_REGISTER, svcs, 3, fake_post, f, NULL, NULL),
                   MBMSEC_OK);
  assert_string_equal(f->last_target, "/bmsc/keymanagement?requesttype=register");
  assert_int_equal(mbmsec_ue_km_exchanges(k), 2);
  assert_int_equal(f->statuses[0], 401);
  assert_int_equal(f->statuses[1], 200);
  assert_memory_equal(f->muk, muk, 32); /* the BM-SC's MUK is the UE's */
  assert_int_equal(mbmsec_ue_km_n_items(k), 3);
  assert_int_equal(code_of(k, svcs[0]), 200);
  assert_int_equal(code_of(k, svcs[1]), 401);
  assert_int_equal(code_of(k, svcs[2]), 404);
  assert_int_equal(mbmsec_ue_km_last_status(k), 200);

  /* MSK request on the kept nonce: pre-emptive, one round trip, nc 2; codes 200 404 480 204. */
  const char *keys[] = {"APEQAAEAAg==", "APEQAAEAAw==", "APEQAAEABA==", "APEQAAEABQ=="};
  assert_int_equal(mbmsec_ue_km_run(k, MBMSEC_UE_KM_MSK, keys, 4, fake_post, f, NULL, NULL),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_exchanges(k), 1);
  assert_string_equal(f->last_nc, "00000002");
  assert_string_equal(f->last_target, "/bmsc/keymanagement?requesttype=msk-request");
  assert_int_equal(mbmsec_ue_km_n_items(k), 4);
  assert_int_equal(code_of(k, keys[0]), 200);
  assert_int_equal(code_of(k, keys[1]), 404);
  assert_int_equal(code_of(k, keys[2]), 480);
  assert_int_equal(code_of(k, keys[3]), 204);
  mbmsec_ue_km_item it;
  assert_int_equal(mbmsec_ue_km_item_get(k, 0, &it), MBMSEC_OK);
  assert_true(it.keyid_ok);
  assert_memory_equal(it.kdid, "\x00\xf1\x10", 3);
  assert_memory_equal(it.msk_id, "\x00\x01\x00\x02", 4);
  assert_int_equal(mbmsec_ue_km_item_get(k, 4, &it), MBMSEC_ERR_ARG);

  /* nextnonce in the Authentication-Info: the next request uses it with nc 1. */
  f->nextnonce = true;
  const char *dereg[] = {"urn:example:mbms:news"};
  assert_int_equal(mbmsec_ue_km_run(k, MBMSEC_UE_KM_DEREGISTER, dereg, 1, fake_post, f, NULL, NULL),
                   MBMSEC_OK);
  f->nextnonce = false;
  assert_int_equal(mbmsec_ue_km_run(k, MBMSEC_UE_KM_MSK, keys, 1, fake_post, f, NULL, NULL),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_exchanges(k), 1);
  assert_string_equal(f->last_nc, "00000001");

  /* Stale nonce: 401 stale=true, same credentials, new nonce, nc 1 -> 200. */
  g_now += 301;
  f->n = 0;
  assert_int_equal(mbmsec_ue_km_run(k, MBMSEC_UE_KM_MSK, keys, 2, fake_post, f, NULL, NULL),
                   MBMSEC_OK);
  assert_int_equal(f->n, 2);
  assert_int_equal(f->statuses[0], 401);
  assert_int_equal(f->statuses[1], 200);
  assert_string_equal(f->last_nc, "00000001");
  assert_int_equal(g_boots, 0);

  /* Tampered response body: rspauth fails, nothing parsed. Missing Authentication-Info too. */
  f->tamper = true;
  assert_int_equal(mbmsec_ue_km_run(k, MBMSEC_UE_KM_MSK, keys, 2, fake_post, f, NULL, NULL),
                   MBMSEC_ERR_UE_RSPAUTH);
  assert_int_equal(mbmsec_ue_km_n_items(k), 0);
  f->tamper = false;
  f->no_auth_info = true;
  assert_int_equal(mbmsec_ue_km_run(k, MBMSEC_UE_KM_MSK, keys, 2, fake_post, f, NULL, NULL),
                   MBMSEC_ERR_UE_RSPAUTH);
  assert_int_equal(mbmsec_ue_km_n_items(k), 0);
  f->no_auth_info = false;

  /* The BSF forgot the B-TID: 401 without stale after credentials -> bootstrap again. */
  g_zn[0].result = MBMSEC_ZN_TRANSACTION_ID_INVALID;
  assert_true(mbmsec_ua_cache_drop(f->ua, BTID, strlen(BTID)));
  /* Without a bootstrap callback: the caller is told. */
  assert_int_equal(mbmsec_ue_km_run(k, MBMSEC_UE_KM_MSK, keys, 1, fake_post, f, NULL, NULL),
                   MBMSEC_ERR_UE_REFUSED);
  assert_true(mbmsec_ue_km_needs_bootstrap(k));
  mbmsec_ue_km_send snd;
  assert_int_equal(mbmsec_ue_km_next(k, &snd), MBMSEC_ERR_UE_SEQUENCE);
  /* With one: new B-TID/MRK, retried once -> 200. */
  g_zn[1].btid = BTID2;
  f->n = 0;
  assert_int_equal(mbmsec_ue_km_run(k, MBMSEC_UE_KM_MSK, keys, 1, fake_post, f, fake_boot, NULL),
                   MBMSEC_OK);
  assert_int_equal(g_boots, 1);
  assert_false(mbmsec_ue_km_needs_bootstrap(k));
  assert_int_equal(code_of(k, keys[0]), 200);
  /* A bootstrap that does not help: refused again, one retry only. */
  g_zn[1].result = MBMSEC_ZN_TRANSACTION_ID_INVALID;
  assert_true(mbmsec_ua_cache_drop(f->ua, BTID2, strlen(BTID2)));
  assert_int_equal(mbmsec_ue_km_run(k, MBMSEC_UE_KM_MSK, keys, 1, fake_post, f, fake_boot, NULL),
                   MBMSEC_ERR_UE_REFUSED);
  assert_int_equal(g_boots, 2);
  g_zn[0].result = g_zn[1].result = MBMSEC_ZN_SUCCESS;

  /* Step by step: SEND_AGAIN on first contact, then DONE. */
  mbmsec_ue_km *k2;
  assert_int_equal(mbmsec_ue_km_new("https://" FQDN, NULL, &k2), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_set_credentials(k2, BTID, mrk), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_start(k2, MBMSEC_UE_KM_REGISTER, svcs, 1), MBMSEC_OK);
  mbmsec_ue_http_answer ans;
  mbmsec_ue_km_step step;
  assert_int_equal(mbmsec_ue_km_next(k2, &snd), MBMSEC_OK);
  assert_string_equal(snd.target, "/keymanagement?requesttype=register");
  assert_string_equal(snd.authorization, "");
  assert_non_null(strstr((const char *)snd.body, "<serviceId>urn:example:mbms:news</serviceId>"));
  assert_int_equal(fake_post(f, &snd, &ans), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_answer(k2, &ans, &step), MBMSEC_OK);
  assert_int_equal(step, MBMSEC_UE_KM_SEND_AGAIN);
  assert_int_equal(mbmsec_ue_km_next(k2, &snd), MBMSEC_OK);
  assert_non_null(strstr(snd.authorization, "algorithm=SHA-256"));
  assert_non_null(strstr(snd.authorization, "qop=auth-int"));
  assert_int_equal(fake_post(f, &snd, &ans), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_answer(k2, &ans, &step), MBMSEC_OK);
  assert_int_equal(step, MBMSEC_UE_KM_DONE);
  /* Wrong content type of a verified 200: refused. */
  assert_int_equal(mbmsec_ue_km_start(k2, MBMSEC_UE_KM_REGISTER, svcs, 1), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_next(k2, &snd), MBMSEC_OK);
  assert_int_equal(fake_post(f, &snd, &ans), MBMSEC_OK);
  ans.content_type = "text/xml";
  assert_int_equal(mbmsec_ue_km_answer(k2, &ans, &step), MBMSEC_ERR_UE_HTTP_STATUS);
  /* Other statuses. */
  assert_int_equal(mbmsec_ue_km_start(k2, MBMSEC_UE_KM_REGISTER, svcs, 1), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_next(k2, &snd), MBMSEC_OK);
  memset(&ans, 0, sizeof ans);
  ans.status = 403;
  assert_int_equal(mbmsec_ue_km_answer(k2, &ans, &step), MBMSEC_ERR_UE_REFUSED);
  assert_int_equal(mbmsec_ue_km_start(k2, MBMSEC_UE_KM_REGISTER, svcs, 1), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_next(k2, &snd), MBMSEC_OK);
  ans.status = 400;
  assert_int_equal(mbmsec_ue_km_answer(k2, &ans, &step), MBMSEC_ERR_UE_HTTP_STATUS);
  assert_int_equal(mbmsec_ue_km_answer(k2, &ans, &step), MBMSEC_ERR_UE_SEQUENCE);
  /* Bad items are refused before anything is sent. */
  const char *bad[] = {"APEQAAEAA"};
  assert_int_equal(mbmsec_ue_km_start(k2, MBMSEC_UE_KM_MSK, bad, 1), MBMSEC_ERR_XML_KEYID);
  const char *badsvc[] = {"has space"};
  assert_int_equal(mbmsec_ue_km_start(k2, MBMSEC_UE_KM_REGISTER, badsvc, 1), MBMSEC_ERR_XML_ITEM);
  mbmsec_ue_km_free(k2);

  /* A challenge for another realm (another NAF): our MRK cannot answer it. */
  mbmsec_ue_km *k3;
  assert_int_equal(mbmsec_ue_km_new("http://127.0.0.1:8080", "other.example.org", &k3), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_set_credentials(k3, BTID, mrk), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_run(k3, MBMSEC_UE_KM_REGISTER, svcs, 1, fake_post, f, NULL, NULL),
                   MBMSEC_ERR_UE_NO_CHALLENGE);
  mbmsec_ue_km_free(k3);
  assert_int_equal(mbmsec_ue_km_new("ftp://x/", NULL, &k3), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_ue_km_new("http://x/a?b=c", NULL, &k3), MBMSEC_ERR_ARG);

  mbmsec_ue_km_free(k);
  mbmsec_ua_free(f->ua);
  mbmsec_cleanse(f, sizeof *f);
  free(f);
  mbmsec_cleanse(mrk, sizeof mrk);
  mbmsec_cleanse(muk, sizeof muk);
}

/* ================================================================ MIKEY receiver */

static const uint8_t KDID[3] = {0x00, 0xf1, 0x10};

static void tmp_path(char *out, size_t cap, const char *name)
{
  const char *base = getenv("MBMSEC_TEST_TMPDIR");
  snprintf(out, cap, "%s/%s.%ld", base ? base : "/tmp", name, (long)getpid());
}

static size_t msk_msg(const uint8_t muk[32], uint32_t counter, const uint8_t msk[16],
                      const uint8_t msk_id[4], uint8_t *out, size_t cap, mbmsec_mikey_sent *sent)
{
  mbmsec_mikey_msk_params p = {.idi = (const uint8_t *)FQDN,
                               .idi_len = strlen(FQDN),
                               .idr = (const uint8_t *)BTID,
                               .idr_len = strlen(BTID),
                               .counter = counter,
                               .v_flag = 1,
                               .msk = msk,
                               .vf = 1,
                               .vt = 100};
  memcpy(p.kdid, KDID, 3);
  memcpy(p.msk_id, msk_id, 4);
  size_t n = 0;
  assert_int_equal(mbmsec_mikey_msk_build(&p, muk, 32, NULL, out, cap, &n, sent), MBMSEC_OK);
  return n;
}

static void test_mikey_receiver(void **state)
{
  (void)state;
  char path[512];
  tmp_path(path, sizeof path, "ue_mikey_state");
  unlink(path);
  uint8_t ks_naf[32], mrk[32], muk[32], msk[16];
  mbmsec_random(ks_naf, sizeof ks_naf);
  mbmsec_random(msk, sizeof msk);
  assert_int_equal(mbmsec_gba_mrk_muk(ks_naf, MBMSEC_MRK_MUK_KDF, mrk, muk), MBMSEC_OK);
  struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = htons(40000)};
  inet_pton(AF_INET, "127.0.0.1", &src.sin_addr);
  const uint8_t msk_id[4] = {0, 1, 0, 2};

  mbmsec_ue_mikey *m;
  assert_int_equal(mbmsec_ue_mikey_open(path, &m), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_mikey_set_muk(m, FQDN, BTID, muk), MBMSEC_OK);
  mbmsec_ue_mikey_result *res = calloc(1, sizeof *res);
  assert_non_null(res);
  uint8_t m1[MBMSEC_MIKEY_MSK_MSG_MAX], m2[MBMSEC_MIKEY_MSK_MSG_MAX];
  mbmsec_mikey_sent s1, s2;
  const size_t l1 = msk_msg(muk, 1, msk, msk_id, m1, sizeof m1, &s1);

  /* New MSK, V=1: verification message to the source, verifiable by the BM-SC. */
  assert_int_equal(mbmsec_ue_mikey_feed(m, m1, l1, (struct sockaddr *)&src, sizeof src, NULL, res),
                   MBMSEC_OK);
  assert_int_equal(res->kind, MBMSEC_UE_MIKEY_GOT_MSK);
  assert_int_equal(res->msk.outcome, MBMSEC_MIKEY_MSK_NEW);
  assert_memory_equal(res->msk.info.msk, msk, 16);
  assert_true(res->msk.ver_len > 0);
  assert_int_equal(res->reply_len, sizeof src);
  assert_memory_equal(&res->reply_to, &src, sizeof src);
  assert_int_equal(mbmsec_mikey_ver_verify(res->msk.ver, res->msk.ver_len, muk, 32, &s1,
                                           (const uint8_t *)FQDN, strlen(FQDN),
                                           (const uint8_t *)BTID, strlen(BTID)),
                   MBMSEC_OK);
  /* The same message again: replay. */
  assert_int_equal(mbmsec_ue_mikey_feed(m, m1, l1, (struct sockaddr *)&src, sizeof src, NULL, res),
                   MBMSEC_ERR_MIKEY_REPLAY);
  assert_int_equal(res->reply_len, 0);
  /* Re-delivery of the same MSK with a new counter (O4): duplicate, acknowledged again. */
  const size_t l2 = msk_msg(muk, 2, msk, msk_id, m2, sizeof m2, &s2);
  assert_int_equal(mbmsec_ue_mikey_feed(m, m2, l2, (struct sockaddr *)&src, sizeof src, NULL, res),
                   MBMSEC_OK);
  assert_int_equal(res->msk.outcome, MBMSEC_MIKEY_MSK_DUPLICATE);
  assert_int_equal(mbmsec_mikey_ver_verify(res->msk.ver, res->msk.ver_len, muk, 32, &s2,
                                           (const uint8_t *)FQDN, strlen(FQDN),
                                           (const uint8_t *)BTID, strlen(BTID)),
                   MBMSEC_OK);
  /* An MTK message under that MSK. */
  uint8_t mtk[16], salt[14], t1[MBMSEC_MIKEY_MTK_MSG_LEN];
  mbmsec_random(mtk, sizeof mtk);
  mbmsec_random(salt, sizeof salt);
  mbmsec_mikey_mtk_params tp = {.mtk_id = 5, .counter = 1, .mtk = mtk, .salt = salt};
  memcpy(tp.kdid, KDID, 3);
  memcpy(tp.msk_id, msk_id, 4);
  size_t tl = 0;
  assert_int_equal(mbmsec_mikey_mtk_build(&tp, msk, 16, NULL, t1, sizeof t1, &tl, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_mikey_feed(m, t1, tl, (struct sockaddr *)&src, sizeof src, NULL, res),
                   MBMSEC_OK);
  assert_int_equal(res->kind, MBMSEC_UE_MIKEY_GOT_MTK);
  assert_int_equal(res->mtk.mtk_id, 5);
  assert_memory_equal(res->mtk.mtk, mtk, 16);
  assert_int_equal(res->reply_len, 0);
  /* An unknown MUK ID (another B-TID): refused. */
  mbmsec_mikey_msk_params p = {.idi = (const uint8_t *)FQDN,
                               .idi_len = strlen(FQDN),
                               .idr = (const uint8_t *)BTID2,
                               .idr_len = strlen(BTID2),
                               .counter = 9,
                               .v_flag = 1,
                               .msk = msk,
                               .vf = 1,
                               .vt = 100};
  memcpy(p.kdid, KDID, 3);
  memcpy(p.msk_id, msk_id, 4);
  uint8_t m3[MBMSEC_MIKEY_MSK_MSG_MAX];
  size_t l3 = 0;
  assert_int_equal(mbmsec_mikey_msk_build(&p, muk, 32, NULL, m3, sizeof m3, &l3, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_mikey_feed(m, m3, l3, (struct sockaddr *)&src, sizeof src, NULL, res),
                   MBMSEC_ERR_MIKEY_UNKNOWN_KEY);
  mbmsec_ue_mikey_free(m);

  /* Restart: the file keeps the counters; the old messages are refused, the MSK is there. */
  assert_int_equal(mbmsec_ue_mikey_open(path, &m), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_mikey_set_muk(m, FQDN, BTID, muk), MBMSEC_OK);
  mbmsec_mikey_msk_entry e;
  assert_int_equal(mbmsec_mikey_state_get_msk(mbmsec_ue_mikey_state(m), KDID, msk_id, &e),
                   MBMSEC_OK);
  assert_memory_equal(e.key, msk, 16);
  mbmsec_cleanse(&e, sizeof e);
  assert_int_equal(mbmsec_ue_mikey_feed(m, m1, l1, (struct sockaddr *)&src, sizeof src, NULL, res),
                   MBMSEC_ERR_MIKEY_REPLAY);
  assert_int_equal(mbmsec_ue_mikey_feed(m, m2, l2, (struct sockaddr *)&src, sizeof src, NULL, res),
                   MBMSEC_ERR_MIKEY_REPLAY);
  assert_int_not_equal(mbmsec_ue_mikey_feed(m, t1, tl, NULL, 0, NULL, res), MBMSEC_OK);
  mbmsec_ue_mikey_free(m);

  /* A state file that cannot be written: the accept is rolled back, nothing to send. */
  char bad[600];
  snprintf(bad, sizeof bad, "%s.nodir/state", path);
  assert_int_equal(mbmsec_ue_mikey_open(bad, &m), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_mikey_set_muk(m, FQDN, BTID, muk), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_mikey_feed(m, m1, l1, (struct sockaddr *)&src, sizeof src, NULL, res),
                   MBMSEC_ERR_UE_FILE_IO);
  assert_int_equal(res->msk.ver_len, 0);
  uint32_t ctr = 7;
  assert_int_equal(mbmsec_mikey_state_muk_counter(mbmsec_ue_mikey_state(m), (const uint8_t *)FQDN,
                                                  strlen(FQDN), (const uint8_t *)BTID, strlen(BTID),
                                                  &ctr),
                   MBMSEC_OK);
  assert_int_equal(ctr, 0);
  mbmsec_ue_mikey_free(m);

  /* Memory only, and a malformed file. */
  assert_int_equal(mbmsec_ue_mikey_open(NULL, &m), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_mikey_save(m), MBMSEC_OK);
  mbmsec_ue_mikey_free(m);
  assert_int_equal(mbmsec_ue_file_write(path, "mbmsec-ue-mikey 1\nstate 00\n", 27, false),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_ue_mikey_open(path, &m), MBMSEC_ERR_MIKEY_STATE_FORMAT);
  assert_int_equal(mbmsec_ue_file_write(path, "junk\n", 5, false), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_mikey_open(path, &m), MBMSEC_ERR_UE_FILE_FORMAT);
  unlink(path);

  mbmsec_ue_mikey_result_cleanse(res);
  free(res);
  mbmsec_cleanse(ks_naf, sizeof ks_naf);
  mbmsec_cleanse(mrk, sizeof mrk);
  mbmsec_cleanse(muk, sizeof muk);
  mbmsec_cleanse(msk, sizeof msk);
  mbmsec_cleanse(mtk, sizeof mtk);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_flow),
                                     cmocka_unit_test(test_km_requests),
                                     cmocka_unit_test(test_mikey_receiver)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mbmsec_crypto_cleanup();
  return rc;
}
