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
#include "mbmsec/ua_auth.h"
#include "mbmsec/ue_ua.h"
#include "mbmsec/zn.h"

#define FQDN "bmsc.example.org"
#define BTID "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.example.org"
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
                                          sizeof auth, &alen), MBMSEC_OK);
  mbmsec_ua_request req = {.method = "POST", .method_len = 4, .target = TARGET,
                           .target_len = strlen(TARGET), .authorization = alen ? auth : NULL,
                           .authorization_len = alen, .body = (const uint8_t *)body,
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
  assert_int_equal(mbmsec_ua_auth_info(ua, d, (const uint8_t *)rbody, strlen(rbody), false, ai,
                                       sizeof ai, &ail), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_ua_on_200(&c, ai, ail, (const uint8_t *)rbody, strlen(rbody)), MBMSEC_OK);
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

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_flow)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mbmsec_crypto_cleanup();
  return rc;
}
