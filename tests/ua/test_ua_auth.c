/* Ua auth engine (lib/ua): the BM-SC's Digest check from byte arrays. The UE side is computed
 * here with the library's Digest builders and GBA functions; Zn is a fake table whose calls
 * are counted; a settable clock drives nonce and key expiry. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mbmsec/crypto.h"
#include "mbmsec/digest.h"
#include "mbmsec/digest_parse.h"
#include "mbmsec/encode.h"
#include "mbmsec/gba.h"
#include "mbmsec/ua.h"
#include "mbmsec/zn.h"

#define FQDN   "bmsc.mnc001.mcc001.pub.3gppnetwork.org"
#define REALM  "3GPP-bootstrapping@" FQDN
#define TARGET "/keymanagement?requesttype=msk-request"
#define BODY     \
  "<mskRequest " \
  "xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\"><keyId>AAAAAAAAAAAA</keyId></mskRequest>"
#define T0 1900000000

/* ---- clock and fake Zn ---- */

static _Atomic int64_t now_s = T0;
static int64_t test_clock(void *u)
{
  (void)u;
  return atomic_load(&now_s);
}

typedef struct {
  const char *btid;
  uint32_t result;
  const char *impi;
  uint8_t ks_naf[32];
  int64_t expiry;
  int fail; /* callback returns an error */
} zn_row;

#define NROWS 16
static zn_row rows[NROWS];
static size_t nrows;
static atomic_int lookups;
static uint8_t last_naf_id[300];
static size_t last_naf_id_len;

static zn_row *add_row(const char *btid, uint32_t result, int64_t expiry)
{
  zn_row *r = &rows[nrows++];
  memset(r, 0, sizeof *r);
  r->btid = btid;
  r->result = result;
  r->impi = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org";
  for (size_t i = 0; i < 32; i++) r->ks_naf[i] = (uint8_t)(i * 7 + nrows);
  r->expiry = expiry;
  return r;
}

static mbmsec_err fake_lookup(const char *btid, size_t len, const uint8_t *naf_id,
                              size_t naf_id_len, void *user, mbmsec_ua_zn_result *out)
{
  (void)user;
  atomic_fetch_add(&lookups, 1);
  if (naf_id_len <= sizeof last_naf_id) {
    memcpy(last_naf_id, naf_id, naf_id_len);
    last_naf_id_len = naf_id_len;
  }
  for (size_t i = 0; i < nrows; i++) {
    const zn_row *r = &rows[i];
    if (strlen(r->btid) != len || memcmp(r->btid, btid, len) != 0) continue;
    if (r->fail) return MBMSEC_ERR_ZN_TIMEOUT;
    out->result = r->result;
    if (r->result == MBMSEC_ZN_SUCCESS) {
      out->impi_len = strlen(r->impi);
      memcpy(out->impi, r->impi, out->impi_len);
      memcpy(out->ks_naf, r->ks_naf, 32);
      out->key_expiry = r->expiry;
    }
    return MBMSEC_OK;
  }
  out->result = MBMSEC_ZN_TRANSACTION_ID_INVALID;
  return MBMSEC_OK;
}

static mbmsec_ua *new_server(uint32_t max_nonces, uint32_t max_cache)
{
  mbmsec_ua_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.fqdn = FQDN;
  cfg.clock = test_clock;
  cfg.lookup = fake_lookup;
  cfg.max_nonces = max_nonces;
  cfg.max_cache = max_cache;
  mbmsec_ua *ua = NULL;
  assert_int_equal(mbmsec_ua_new(&cfg, &ua), MBMSEC_OK);
  return ua;
}

static int setup(void **state)
{
  (void)state;
  atomic_store(&now_s, T0);
  nrows = 0;
  atomic_store(&lookups, 0);
  return 0;
}

/* ---- the UE side ---- */

typedef struct {
  char btid[256];
  uint8_t ks_naf[32];
  uint8_t mrk[32], muk[32];
  mbmsec_digest_alg alg;
  char realm[300];
  char nonce[128];
  char opaque[64];
  uint32_t nc;
  char cnonce[MBMSEC_DIGEST_VALUE_MAX + 1];
  char response[65];
} ue;

static void ue_init(ue *u, const zn_row *r, mbmsec_mrk_muk_mode mode)
{
  memset(u, 0, sizeof *u);
  assert_true(snprintf(u->btid, sizeof u->btid, "%s", r->btid) < (int)sizeof u->btid);
  memcpy(u->ks_naf, r->ks_naf, 32);
  assert_int_equal(mbmsec_gba_mrk_muk(u->ks_naf, mode, u->mrk, u->muk), MBMSEC_OK);
}

/* Takes challenge value idx of a 401 (checks its shape). */
static void ue_take(ue *u, const mbmsec_ua_decision *d, size_t idx)
{
  static _Thread_local mbmsec_digest_header h; /* test_threads calls this from 4 threads */
  assert_int_equal(d->status, 401);
  assert_true(idx < d->n_challenges);
  const char *v = d->challenge[idx];
  assert_int_equal(mbmsec_digest_parse_challenge(v, strlen(v), &h), MBMSEC_OK);
  assert_int_equal(h.qop_list, MBMSEC_DIGEST_QOPBIT_AUTH_INT);
  assert_int_equal(h.realm.len, strlen(REALM));
  assert_memory_equal(h.realm.p, REALM, h.realm.len);
  assert_true(h.present & MBMSEC_DIGEST_F_OPAQUE);
  assert_int_equal(h.nonce.len, MBMSEC_UA_NONCE_LEN);
  assert_int_equal(!!(h.present & MBMSEC_DIGEST_F_STALE) && h.stale, d->stale);
  u->alg = h.algorithm;
  snprintf(u->realm, sizeof u->realm, "%.*s", (int)h.realm.len, h.realm.p);
  snprintf(u->nonce, sizeof u->nonce, "%.*s", (int)h.nonce.len, h.nonce.p);
  snprintf(u->opaque, sizeof u->opaque, "%.*s", (int)h.opaque.len, h.opaque.p);
  u->nc = 0;
}

static mbmsec_digest_input ue_input(const ue *u, const char *uri, const char *body,
                                    const char *password, char *ncbuf)
{
  mbmsec_digest_input in;
  memset(&in, 0, sizeof in);
  in.alg = u->alg;
  in.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  in.username = mbmsec_digest_s(u->btid);
  in.realm = mbmsec_digest_s(u->realm);
  in.nonce = mbmsec_digest_s(u->nonce);
  in.cnonce = mbmsec_digest_s(u->cnonce);
  snprintf(ncbuf, 9, "%08x", u->nc);
  in.nc = mbmsec_digest_s(ncbuf);
  in.method = mbmsec_digest_s("POST");
  in.uri = mbmsec_digest_s(uri);
  in.password = (const uint8_t *)password;
  in.password_len = strlen(password);
  in.body = (const uint8_t *)body;
  in.body_len = strlen(body);
  return in;
}

static bool cnonce_override; /* ue_auth keeps u->cnonce as set by the test */

/* Next Authorization value (nc + 1) for POST uri with body. */
static void ue_auth(ue *u, const char *uri, const char *body, char *out, size_t cap)
{
  static _Thread_local mbmsec_digest_header h;
  char pw[MBMSEC_GBA_PASSWORD_SIZE], ncbuf[9];
  assert_int_equal(mbmsec_gba_digest_password(u->mrk, pw, sizeof pw), MBMSEC_OK);
  u->nc++;
  if (!cnonce_override) snprintf(u->cnonce, sizeof u->cnonce, "c%u", u->nc * 31u + 7u);
  mbmsec_digest_input in = ue_input(u, uri, body, pw, ncbuf);
  assert_int_equal(mbmsec_digest_response(&in, u->response, sizeof u->response), MBMSEC_OK);
  memset(&h, 0, offsetof(mbmsec_digest_header, arena));
  h.present = MBMSEC_DIGEST_F_USERNAME | MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE |
              MBMSEC_DIGEST_F_URI | MBMSEC_DIGEST_F_ALGORITHM | MBMSEC_DIGEST_F_QOP |
              MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE | MBMSEC_DIGEST_F_RESPONSE |
              MBMSEC_DIGEST_F_OPAQUE;
  h.username = in.username;
  h.realm = in.realm;
  h.nonce = in.nonce;
  h.uri = in.uri;
  h.algorithm = u->alg;
  h.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  memcpy(h.nc, ncbuf, 9);
  h.nc_value = u->nc;
  h.cnonce = in.cnonce;
  h.response = mbmsec_digest_s(u->response);
  h.opaque = mbmsec_digest_s(u->opaque);
  assert_int_equal(mbmsec_digest_build_authorization(&h, out, cap, NULL), MBMSEC_OK);
  mbmsec_cleanse(pw, sizeof pw);
}

/* Checks Authentication-Info as a UE would (rspauth over the response body). */
static void ue_check_info(const ue *u, const char *uri, const char *info, const char *resp_body,
                          char *nextnonce, size_t nn_cap)
{
  static mbmsec_digest_header h;
  char pw[MBMSEC_GBA_PASSWORD_SIZE], ncbuf[9], want[65];
  assert_int_equal(mbmsec_digest_parse_auth_info(info, strlen(info), &h), MBMSEC_OK);
  assert_int_equal(h.qop, MBMSEC_DIGEST_QOP_AUTH_INT);
  assert_int_equal(mbmsec_gba_digest_password(u->mrk, pw, sizeof pw), MBMSEC_OK);
  mbmsec_digest_input in = ue_input(u, uri, "", pw, ncbuf);
  assert_int_equal(h.nc_value, u->nc);
  assert_int_equal(h.cnonce.len, strlen(u->cnonce));
  assert_memory_equal(h.cnonce.p, u->cnonce, h.cnonce.len);
  assert_int_equal(
      mbmsec_digest_rspauth(&in, (const uint8_t *)resp_body, strlen(resp_body), want, sizeof want),
      MBMSEC_OK);
  assert_int_equal(h.rspauth.len, strlen(want));
  assert_memory_equal(h.rspauth.p, want, h.rspauth.len);
  if (nextnonce) {
    assert_true(h.present & MBMSEC_DIGEST_F_NEXTNONCE);
    snprintf(nextnonce, nn_cap, "%.*s", (int)h.nextnonce.len, h.nextnonce.p);
  }
}

static mbmsec_ua_request req_of(const char *auth, const char *target, const char *body)
{
  mbmsec_ua_request r = {
      "POST",      4, target, strlen(target), auth, auth ? strlen(auth) : 0, (const uint8_t *)body,
      strlen(body)};
  return r;
}

static mbmsec_ua_decision dec; /* ~4.5 KB: not on the stack of every test */

static void check(mbmsec_ua *ua, const char *auth, const char *target, const char *body)
{
  const mbmsec_ua_request r = req_of(auth, target, body);
  assert_int_equal(mbmsec_ua_check(ua, &r, &dec), MBMSEC_OK);
}

static void expect(unsigned status, mbmsec_ua_reason reason, bool stale)
{
  if (dec.status != status || dec.reason != reason)
    print_error("decision %u %s, expected %u %s\n", dec.status, mbmsec_ua_reason_name(dec.reason),
                status, mbmsec_ua_reason_name(reason));
  assert_int_equal(dec.status, status);
  assert_int_equal(dec.reason, reason);
  assert_int_equal(dec.stale, stale);
  if (status == 401)
    assert_int_equal(dec.n_challenges, 2);
  else
    assert_int_equal(dec.n_challenges, 0);
}

/* A server, a B-TID with a good key, a UE that holds the first challenge (alg idx). */
static mbmsec_ua *start(ue *u, size_t idx)
{
  mbmsec_ua *ua = new_server(0, 0);
  const zn_row *r =
      add_row("AAECAwQFBgcICQoLDA0ODw==@bsf.example.org", MBMSEC_ZN_SUCCESS, T0 + 3600);
  ue_init(u, r, MBMSEC_MRK_MUK_KDF);
  check(ua, NULL, TARGET, BODY);
  expect(401, MBMSEC_UA_R_NO_AUTH, false);
  ue_take(u, &dec, idx);
  return ua;
}

/* ---- tests ---- */

static void test_challenge_shape(void **state)
{
  (void)state;
  mbmsec_ua *ua = new_server(0, 0);
  assert_int_equal(mbmsec_ua_challenge(ua, false, &dec), MBMSEC_OK);
  assert_int_equal(dec.n_challenges, 2);
  assert_non_null(strstr(dec.challenge[0], "algorithm=SHA-256"));
  assert_non_null(strstr(dec.challenge[1], "algorithm=MD5"));
  assert_non_null(strstr(dec.challenge[0], "qop=\"auth-int\""));
  assert_null(strstr(dec.challenge[0], "stale"));
  ue u;
  memset(&u, 0, sizeof u);
  ue_take(&u, &dec, 0);
  char n1[128];
  snprintf(n1, sizeof n1, "%s", u.nonce);
  ue_take(&u, &dec, 1);
  assert_string_equal(n1, u.nonce); /* one nonce for both algorithms */
  assert_int_equal(mbmsec_ua_challenge(ua, true, &dec), MBMSEC_OK);
  assert_true(dec.stale);
  assert_non_null(strstr(dec.challenge[1], "stale=true"));
  ue_take(&u, &dec, 0);
  assert_string_not_equal(n1, u.nonce); /* fresh */
  mbmsec_ua_stats st;
  mbmsec_ua_stats_get(ua, &st);
  assert_int_equal(st.challenges, 2);
  assert_int_equal(st.stale, 1);
  mbmsec_ua_free(ua);
}

static void ok_with(size_t idx, mbmsec_digest_alg alg)
{
  ue u;
  char auth[2048], info[MBMSEC_UA_AUTH_INFO_MAX], nn[128];
  mbmsec_ua *ua = start(&u, idx);
  assert_int_equal(u.alg, alg);
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  assert_memory_equal(dec.muk, u.muk, 32);
  assert_int_equal(dec.btid_len, strlen(u.btid));
  assert_memory_equal(dec.btid, u.btid, dec.btid_len);
  assert_string_equal(dec.impi, rows[0].impi);
  assert_int_equal(dec.alg, alg);
  assert_int_equal(dec.key_expiry, T0 + 3600);
  assert_int_equal(last_naf_id_len, strlen(FQDN) + 5);
  assert_memory_equal(last_naf_id, FQDN "\x01\x00\x00\x00\x01", last_naf_id_len);
  const char *resp = "<mskResponse/>";
  assert_int_equal(mbmsec_ua_auth_info(ua, &dec, (const uint8_t *)resp, strlen(resp), true, info,
                                       sizeof info, NULL),
                   MBMSEC_OK);
  ue_check_info(&u, TARGET, info, resp, nn, sizeof nn);
  /* a tampered response body does not verify at the UE */
  static mbmsec_digest_header h;
  assert_int_equal(mbmsec_digest_parse_auth_info(info, strlen(info), &h), MBMSEC_OK);
  char pw[MBMSEC_GBA_PASSWORD_SIZE], ncbuf[9], bad[65];
  assert_int_equal(mbmsec_gba_digest_password(u.mrk, pw, sizeof pw), MBMSEC_OK);
  mbmsec_digest_input in = ue_input(&u, TARGET, "", pw, ncbuf);
  assert_int_equal(
      mbmsec_digest_rspauth(&in, (const uint8_t *)"<mskResponse />", 15, bad, sizeof bad),
      MBMSEC_OK);
  assert_memory_not_equal(h.rspauth.p, bad, h.rspauth.len);
  /* the next request with the same nonce, nc 2 */
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  /* nextnonce works with nc 1 */
  snprintf(u.nonce, sizeof u.nonce, "%s", nn);
  u.nc = 0;
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  assert_int_equal(atomic_load(&lookups), 1); /* cache */
  mbmsec_ua_decision_cleanse(&dec);
  mbmsec_ua_free(ua);
}

static void test_ok_sha256(void **state)
{
  (void)state;
  ok_with(0, MBMSEC_DIGEST_SHA256);
}
static void test_ok_md5(void **state)
{
  (void)state;
  ok_with(1, MBMSEC_DIGEST_MD5);
}

static void test_mode_none(void **state)
{
  (void)state;
  mbmsec_ua_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.fqdn = FQDN;
  cfg.clock = test_clock;
  cfg.lookup = fake_lookup;
  cfg.mode = MBMSEC_MRK_MUK_NONE;
  assert_int_equal(mbmsec_ua_algs_parse("SHA-256", &cfg), MBMSEC_OK);
  mbmsec_ua *ua = NULL;
  assert_int_equal(mbmsec_ua_new(&cfg, &ua), MBMSEC_OK);
  const zn_row *r = add_row("btid-none@bsf", MBMSEC_ZN_SUCCESS, T0 + 100);
  ue u;
  ue_init(&u, r, MBMSEC_MRK_MUK_NONE);
  check(ua, NULL, TARGET, BODY);
  assert_int_equal(dec.n_challenges, 1);
  ue_take(&u, &dec, 0);
  char auth[2048];
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  assert_int_equal(dec.status, 200);
  assert_memory_equal(dec.muk, r->ks_naf, 32);
  /* MD5 not configured -> 401 algorithm */
  u.alg = MBMSEC_DIGEST_MD5;
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  assert_int_equal(dec.status, 401);
  assert_int_equal(dec.reason, MBMSEC_UA_R_ALGORITHM);
  mbmsec_ua_free(ua);
}

static void test_step1(void **state)
{
  (void)state;
  ue u;
  char auth[2048];
  mbmsec_ua *ua = start(&u, 0);
  check(ua, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", TARGET, BODY);
  expect(401, MBMSEC_UA_R_NOT_DIGEST, false);
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  char *p = strstr(auth, "algorithm=SHA-256");
  assert_non_null(p);
  char tmp[2048];
  snprintf(tmp, sizeof tmp, "%.*salgorithm=SHA-256-sess%s", (int)(p - auth), auth, p + 17);
  check(ua, tmp, TARGET, BODY);
  expect(401, MBMSEC_UA_R_ALGORITHM, false);
  snprintf(tmp, sizeof tmp, "%.*salgorithm=SHA-1%s", (int)(p - auth), auth, p + 17);
  check(ua, tmp, TARGET, BODY);
  expect(401, MBMSEC_UA_R_ALGORITHM, false);
  p = strstr(auth, "qop=auth-int");
  assert_non_null(p);
  snprintf(tmp, sizeof tmp, "%.*sqop=auth%s", (int)(p - auth), auth, p + 12);
  check(ua, tmp, TARGET, BODY);
  expect(401, MBMSEC_UA_R_QOP, false);
  snprintf(tmp, sizeof tmp, "%.*sqop=auth-conf%s", (int)(p - auth), auth, p + 12);
  check(ua, tmp, TARGET, BODY);
  expect(401, MBMSEC_UA_R_QOP, false);
  /* no qop at all (RFC 2069 form) */
  static mbmsec_digest_header h;
  assert_int_equal(mbmsec_digest_parse_authorization(auth, strlen(auth), 0, &h), MBMSEC_OK);
  h.present &= ~(MBMSEC_DIGEST_F_QOP | MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE);
  h.qop = MBMSEC_DIGEST_QOP_NONE;
  assert_int_equal(mbmsec_digest_build_authorization(&h, tmp, sizeof tmp, NULL), MBMSEC_OK);
  check(ua, tmp, TARGET, BODY);
  expect(401, MBMSEC_UA_R_QOP, false);
  /* realm of another BM-SC */
  snprintf(u.realm, sizeof u.realm, "3GPP-bootstrapping@other.example.org");
  ue_auth(&u, TARGET, BODY, tmp, sizeof tmp);
  check(ua, tmp, TARGET, BODY);
  expect(401, MBMSEC_UA_R_REALM, false);
  /* syntax */
  check(ua, "Digest username=\"x", TARGET, BODY);
  expect(400, MBMSEC_UA_R_MALFORMED, false);
  check(ua, "Digest username=\"x\"", TARGET, BODY);
  expect(400, MBMSEC_UA_R_MALFORMED, false);
  check(ua, "", TARGET, BODY);
  expect(400, MBMSEC_UA_R_MALFORMED, false);
  /* the original still authenticates: none of the above touched the nonce */
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  mbmsec_ua_stats st;
  mbmsec_ua_stats_get(ua, &st);
  assert_int_equal(st.failures[MBMSEC_UA_R_ALGORITHM], 2);
  assert_int_equal(st.failures[MBMSEC_UA_R_QOP], 3);
  assert_int_equal(st.failures[MBMSEC_UA_R_MALFORMED], 3);
  assert_int_equal(st.failures[MBMSEC_UA_R_NO_AUTH], 1);
  assert_int_equal(st.successes, 1);
  assert_int_equal(atomic_load(&lookups), 1); /* nothing before step 4 called Zn */
  mbmsec_ua_free(ua);
}

static void test_uri_mismatch(void **state)
{
  (void)state;
  ue u;
  char auth[2048];
  mbmsec_ua *ua = start(&u, 0);
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, "/keymanagement?requesttype=register", BODY);
  expect(400, MBMSEC_UA_R_URI, false);
  check(ua, auth, "/keymanagement", BODY);
  expect(400, MBMSEC_UA_R_URI, false);
  check(ua, auth, TARGET "&x=1", BODY);
  expect(400, MBMSEC_UA_R_URI, false);
  assert_int_equal(atomic_load(&lookups), 0);
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  mbmsec_ua_free(ua);
}

static void test_nonce_unknown(void **state)
{
  (void)state;
  ue u;
  char auth[2048];
  mbmsec_ua *ua = start(&u, 0);
  mbmsec_ua *other = new_server(0, 0);
  const char saved[128];
  memcpy((char *)saved, u.nonce, sizeof u.nonce);
  /* right shape, wrong tag */
  u.nonce[10] = u.nonce[10] == 'A' ? 'B' : 'A';
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(401, MBMSEC_UA_R_NONCE_UNKNOWN, false);
  /* the issued nonce with only its random part or its tag changed (serial and time kept,
   * so its slot is found): neither the slot's copy nor the tag matches */
  for (size_t pos = 30; pos < 64; pos += 30) {
    memcpy(u.nonce, saved, sizeof u.nonce);
    u.nonce[pos] = u.nonce[pos] == 'A' ? 'B' : 'A';
    ue_auth(&u, TARGET, BODY, auth, sizeof auth);
    check(ua, auth, TARGET, BODY);
    expect(401, MBMSEC_UA_R_NONCE_UNKNOWN, false);
  }
  snprintf(u.nonce, sizeof u.nonce, "abc");
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(401, MBMSEC_UA_R_NONCE_UNKNOWN, false);
  /* issued by another server (another secret) */
  assert_int_equal(mbmsec_ua_challenge(other, false, &dec), MBMSEC_OK);
  ue_take(&u, &dec, 0);
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(401, MBMSEC_UA_R_NONCE_UNKNOWN, false);
  assert_int_equal(atomic_load(&lookups), 0);
  mbmsec_ua_free(other);
  mbmsec_ua_free(ua);
}

/* Step 4 with the Zn row result r: the decision. */
static void zn_case(uint32_t result, int fail, int64_t expiry, unsigned status,
                    mbmsec_ua_reason reason)
{
  setup(NULL);
  mbmsec_ua *ua = new_server(0, 0);
  zn_row *r = add_row("Zm9v@bsf.example.org", result, expiry);
  r->fail = fail;
  ue u;
  char auth[2048];
  ue_init(&u, r, MBMSEC_MRK_MUK_KDF);
  check(ua, NULL, TARGET, BODY);
  ue_take(&u, &dec, 0);
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(status, reason, false);
  assert_int_equal(atomic_load(&lookups), 1);
  mbmsec_ua_stats st;
  mbmsec_ua_stats_get(ua, &st);
  assert_int_equal(st.failures[reason], 1);
  assert_int_equal(st.cache_entries, 0);
  mbmsec_ua_free(ua);
}

static void test_zn_results(void **state)
{
  (void)state;
  zn_case(MBMSEC_ZN_TRANSACTION_ID_INVALID, 0, 0, 401, MBMSEC_UA_R_BTID_UNKNOWN);
  zn_case(MBMSEC_ZN_IDENTITY_UNKNOWN, 0, 0, 401, MBMSEC_UA_R_BTID_UNKNOWN);
  zn_case(MBMSEC_ZN_NOT_AUTHORIZED, 0, 0, 403, MBMSEC_UA_R_NOT_AUTHORIZED);
  zn_case(MBMSEC_ZN_UNABLE_TO_DELIVER, 0, 0, 503, MBMSEC_UA_R_ZN_UNREACHABLE);
  zn_case(MBMSEC_ZN_SUCCESS, 1, T0 + 10, 503, MBMSEC_UA_R_ZN_UNREACHABLE);
  zn_case(MBMSEC_ZN_UNABLE_TO_COMPLY, 0, 0, 503, MBMSEC_UA_R_ZN_ERROR);
  zn_case(MBMSEC_ZN_SUCCESS, 0, T0, 401, MBMSEC_UA_R_KEY_EXPIRED);
  zn_case(MBMSEC_ZN_SUCCESS, 0, T0 - 5, 401, MBMSEC_UA_R_KEY_EXPIRED);
}

/* mbmsec_ua_btid_muk: step 4 without a request (a BM-SC restarted with registered UEs). */
static void test_btid_muk(void **state)
{
  (void)state;
  mbmsec_ua *ua = new_server(0, 0);
  const zn_row *ok = add_row("btid-ok@bsf", MBMSEC_ZN_SUCCESS, T0 + 100);
  add_row("btid-403@bsf", MBMSEC_ZN_NOT_AUTHORIZED, 0);
  add_row("btid-old@bsf", MBMSEC_ZN_SUCCESS, T0 - 1);
  add_row("btid-down@bsf", MBMSEC_ZN_SUCCESS, T0 + 100)->fail = 1; /* Zn unreachable */
  uint8_t muk[32], mrk[32], want[32];
  char impi[MBMSEC_ZN_IMPI_MAX + 1];
  mbmsec_ua_reason why;
  assert_int_equal(mbmsec_gba_mrk_muk(ok->ks_naf, MBMSEC_MRK_MUK_KDF, mrk, want), MBMSEC_OK);
  assert_int_equal(mbmsec_ua_btid_muk(ua, "btid-ok@bsf", 11, muk, impi, &why), MBMSEC_OK);
  assert_int_equal(why, MBMSEC_UA_R_OK);
  assert_memory_equal(muk, want, 32);
  assert_string_equal(impi, ok->impi);
  assert_int_equal(atomic_load(&lookups), 1);
  /* cached: no second lookup */
  memset(muk, 0, sizeof muk);
  assert_int_equal(mbmsec_ua_btid_muk(ua, "btid-ok@bsf", 11, muk, impi, &why), MBMSEC_OK);
  assert_int_equal(why, MBMSEC_UA_R_OK);
  assert_memory_equal(muk, want, 32);
  assert_int_equal(atomic_load(&lookups), 1);
  /* refusals: muk and impi zeroed */
  static const struct {
    const char *btid;
    mbmsec_ua_reason why;
  } bad[] = {{"btid-gone@bsf", MBMSEC_UA_R_BTID_UNKNOWN},
             {"btid-403@bsf", MBMSEC_UA_R_NOT_AUTHORIZED},
             {"btid-old@bsf", MBMSEC_UA_R_KEY_EXPIRED},
             {"btid-down@bsf", MBMSEC_UA_R_ZN_UNREACHABLE}};
  const uint8_t zero[32] = {0};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(muk, 0xaa, sizeof muk);
    memset(impi, 'x', sizeof impi);
    assert_int_equal(mbmsec_ua_btid_muk(ua, bad[i].btid, strlen(bad[i].btid), muk, impi, &why),
                     MBMSEC_OK);
    assert_int_equal(why, bad[i].why);
    assert_memory_equal(muk, zero, 32);
    assert_int_equal(impi[0], 0);
  }
  assert_int_equal(atomic_load(&lookups), 5);
  /* lengths out of range are unknown without asking Zn */
  char longer[257];
  memset(longer, 'a', 256);
  longer[256] = 0;
  assert_int_equal(mbmsec_ua_btid_muk(ua, longer, 256, muk, impi, &why), MBMSEC_OK);
  assert_int_equal(why, MBMSEC_UA_R_BTID_UNKNOWN);
  assert_int_equal(mbmsec_ua_btid_muk(ua, "", 0, muk, impi, &why), MBMSEC_OK);
  assert_int_equal(why, MBMSEC_UA_R_BTID_UNKNOWN);
  assert_int_equal(atomic_load(&lookups), 5);
  assert_int_equal(mbmsec_ua_btid_muk(ua, NULL, 3, muk, impi, &why), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_ua_btid_muk(ua, "a", 1, NULL, impi, &why), MBMSEC_ERR_ARG);
  /* the key expires: asked again, refused */
  atomic_store(&now_s, T0 + 100);
  assert_int_equal(mbmsec_ua_btid_muk(ua, "btid-ok@bsf", 11, muk, impi, &why), MBMSEC_OK);
  assert_int_equal(why, MBMSEC_UA_R_KEY_EXPIRED);
  mbmsec_ua_free(ua);
}

static void test_btid_too_long(void **state)
{
  (void)state;
  ue u;
  char auth[2048];
  mbmsec_ua *ua = start(&u, 0);
  memset(u.btid, 'a', 255);
  u.btid[255] = 0;
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY); /* 255: asked (unknown to the fake) */
  expect(401, MBMSEC_UA_R_BTID_UNKNOWN, false);
  assert_int_equal(atomic_load(&lookups), 1);
  char longer[300];
  memset(longer, 'a', 256);
  longer[256] = 0;
  char *p = strstr(auth, u.btid);
  char tmp[2400];
  snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)(p - auth), auth, longer, p + 255);
  check(ua, tmp, TARGET, BODY);
  expect(401, MBMSEC_UA_R_BTID_UNKNOWN, false);
  assert_int_equal(atomic_load(&lookups), 1); /* not asked */
  mbmsec_ua_free(ua);
}

static void test_mismatch_and_body(void **state)
{
  (void)state;
  ue u;
  char auth[2048];
  mbmsec_ua *ua = start(&u, 0);
  /* body tampered after the UE computed the digest (auth-int) */
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY " ");
  expect(401, MBMSEC_UA_R_MISMATCH, false);
  assert_int_equal(mbmsec_ua_btid_failures(ua, u.btid, strlen(u.btid)), 1);
  /* wrong key */
  ue w = u;
  w.mrk[0] ^= 1;
  ue_auth(&w, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(401, MBMSEC_UA_R_MISMATCH, false);
  assert_int_equal(mbmsec_ua_btid_failures(ua, u.btid, strlen(u.btid)), 2);
  /* method is part of A2 */
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  mbmsec_ua_request r = req_of(auth, TARGET, BODY);
  r.method = "PUT";
  r.method_len = 3;
  assert_int_equal(mbmsec_ua_check(ua, &r, &dec), MBMSEC_OK);
  expect(401, MBMSEC_UA_R_MISMATCH, false);
  /* a failed check does not consume nc: the same nc, right, passes */
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  mbmsec_ua_stats st;
  mbmsec_ua_stats_get(ua, &st);
  assert_int_equal(st.failures[MBMSEC_UA_R_MISMATCH], 3);
  mbmsec_ua_free(ua);
}

static void test_nc_replay(void **state)
{
  (void)state;
  ue u;
  char a1[2048], a2[2048], a3[2048];
  mbmsec_ua *ua = start(&u, 0);
  ue_auth(&u, TARGET, BODY, a1, sizeof a1);
  ue_auth(&u, TARGET, BODY, a2, sizeof a2);
  ue_auth(&u, TARGET, BODY, a3, sizeof a3);
  check(ua, a2, TARGET, BODY); /* nc 2 first: gaps are fine */
  expect(200, MBMSEC_UA_R_OK, false);
  check(ua, a2, TARGET, BODY); /* replay */
  expect(401, MBMSEC_UA_R_NC_REPLAY, true);
  check(ua, a1, TARGET, BODY); /* lower */
  expect(401, MBMSEC_UA_R_NC_REPLAY, true);
  check(ua, a3, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  /* the stale challenge's nonce works from nc 1 */
  check(ua, a3, TARGET, BODY);
  expect(401, MBMSEC_UA_R_NC_REPLAY, true);
  ue_take(&u, &dec, 0);
  ue_auth(&u, TARGET, BODY, a1, sizeof a1);
  check(ua, a1, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  mbmsec_ua_free(ua);
}

static void test_nonce_expiry(void **state)
{
  (void)state;
  ue u;
  char auth[2048];
  mbmsec_ua *ua = start(&u, 0);
  atomic_store(&now_s, T0 + 300); /* still valid at exactly the lifetime */
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  atomic_store(&now_s, T0 + 301);
  /* expired nonce and a wrong digest: not stale */
  ue w = u;
  w.mrk[3] ^= 0x80;
  ue_auth(&w, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(401, MBMSEC_UA_R_MISMATCH, false);
  /* expired nonce, right digest: stale=true with a new nonce */
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(401, MBMSEC_UA_R_STALE, true);
  assert_non_null(strstr(dec.challenge[0], "stale=true"));
  ue_take(&u, &dec, 0);
  assert_int_equal(u.nc, 0);
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  mbmsec_ua_stats st;
  mbmsec_ua_stats_get(ua, &st);
  assert_int_equal(st.stale, 1);
  assert_int_equal(st.failures[MBMSEC_UA_R_STALE], 1);
  mbmsec_ua_free(ua);
}

static void test_cache(void **state)
{
  (void)state;
  ue u;
  char auth[2048];
  mbmsec_ua *ua = new_server(0, 0);
  const zn_row *r = add_row("Y2FjaGU=@bsf.example.org", MBMSEC_ZN_SUCCESS, T0 + 100);
  ue_init(&u, r, MBMSEC_MRK_MUK_KDF);
  check(ua, NULL, TARGET, BODY);
  ue_take(&u, &dec, 0);
  for (int i = 0; i < 5; i++) {
    ue_auth(&u, TARGET, BODY, auth, sizeof auth);
    check(ua, auth, TARGET, BODY);
    expect(200, MBMSEC_UA_R_OK, false);
  }
  assert_int_equal(atomic_load(&lookups), 1);
  mbmsec_ua_stats st;
  mbmsec_ua_stats_get(ua, &st);
  assert_int_equal(st.cache_hits, 4);
  assert_int_equal(st.cache_entries, 1);
  /* dropped on request: asked again */
  assert_true(mbmsec_ua_cache_drop(ua, u.btid, strlen(u.btid)));
  assert_false(mbmsec_ua_cache_drop(ua, u.btid, strlen(u.btid)));
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  assert_int_equal(atomic_load(&lookups), 2);
  /* one second before Key-ExpiryTime: still a hit */
  atomic_store(&now_s, T0 + 99);
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  assert_int_equal(atomic_load(&lookups), 2);
  /* at Key-ExpiryTime the entry is dropped; Zn (same answer) says expired -> 401, no stale */
  atomic_store(&now_s, T0 + 100);
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(401, MBMSEC_UA_R_KEY_EXPIRED, false);
  assert_int_equal(atomic_load(&lookups), 3);
  mbmsec_ua_stats_get(ua, &st);
  assert_int_equal(st.cache_entries, 0);
  mbmsec_ua_free(ua);
}

static void test_bounded(void **state)
{
  (void)state;
  ue u;
  char auth[2048];
  mbmsec_ua *ua = new_server(8, 4);
  /* nonces: the first one's nc state is dropped after 8 more */
  const zn_row *r = add_row("Ym91bmQ=@bsf.example.org", MBMSEC_ZN_SUCCESS, T0 + 1000);
  ue_init(&u, r, MBMSEC_MRK_MUK_KDF);
  assert_int_equal(mbmsec_ua_challenge(ua, false, &dec), MBMSEC_OK);
  ue_take(&u, &dec, 0);
  for (int i = 0; i < 1000; i++) assert_int_equal(mbmsec_ua_challenge(ua, false, &dec), MBMSEC_OK);
  mbmsec_ua_stats st;
  mbmsec_ua_stats_get(ua, &st);
  assert_int_equal(st.nonces_kept, 8);
  assert_int_equal(st.nonces_issued, 1001);
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(401, MBMSEC_UA_R_NONCE_EVICTED, true);
  ue_take(&u, &dec, 0);
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  /* cache: 10 B-TIDs through 4 entries; the least recently used goes */
  static char names[10][32];
  ue us[10];
  for (int i = 0; i < 10; i++) {
    snprintf(names[i], sizeof names[i], "b%d@bsf.example.org", i);
    ue_init(&us[i], add_row(names[i], MBMSEC_ZN_SUCCESS, T0 + 1000), MBMSEC_MRK_MUK_KDF);
    check(ua, NULL, TARGET, BODY);
    ue_take(&us[i], &dec, 0);
    ue_auth(&us[i], TARGET, BODY, auth, sizeof auth);
    check(ua, auth, TARGET, BODY);
    expect(200, MBMSEC_UA_R_OK, false);
    if (i >= 1) { /* keep b0 hot */
      check(ua, NULL, TARGET, BODY);
      ue_take(&us[0], &dec, 0);
      ue_auth(&us[0], TARGET, BODY, auth, sizeof auth);
      check(ua, auth, TARGET, BODY);
      expect(200, MBMSEC_UA_R_OK, false);
    }
    mbmsec_ua_stats_get(ua, &st);
    assert_true(st.cache_entries <= 4);
  }
  const int before = atomic_load(&lookups);
  ue_auth(&us[0], TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  ue_auth(&us[9], TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  assert_int_equal(atomic_load(&lookups), before);  /* both still cached */
  ue_auth(&us[1], TARGET, BODY, auth, sizeof auth); /* its nonce state is gone too */
  check(ua, auth, TARGET, BODY);
  expect(401, MBMSEC_UA_R_NONCE_EVICTED, true);
  assert_int_equal(atomic_load(&lookups), before + 1); /* the B-TID was evicted long ago */
  ue_take(&us[1], &dec, 0);
  ue_auth(&us[1], TARGET, BODY, auth, sizeof auth);
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  assert_int_equal(atomic_load(&lookups), before + 1);
  mbmsec_ua_free(ua);
}

/* ---- threads ---- */

typedef struct {
  mbmsec_ua *ua;
  ue u;
  int ok;
} worker;

#define ROUNDS 200

static void *work(void *arg)
{
  worker *w = arg;
  static _Thread_local mbmsec_ua_decision d;
  char auth[2048];
  for (int i = 0; i < ROUNDS; i++) {
    if (i % 50 == 0) {
      if (mbmsec_ua_challenge(w->ua, false, &d) != MBMSEC_OK) return NULL;
      ue_take(&w->u, &d, (size_t)(i / 50) % 2);
    }
    ue_auth(&w->u, TARGET, BODY, auth, sizeof auth);
    const mbmsec_ua_request r = req_of(auth, TARGET, BODY);
    if (mbmsec_ua_check(w->ua, &r, &d) != MBMSEC_OK) continue;
    if (d.status == 200 && memcmp(d.muk, w->u.muk, 32) == 0) w->ok++;
    if (i % 20 == 0) mbmsec_ua_cache_drop(w->ua, w->u.btid, strlen(w->u.btid));
  }
  mbmsec_ua_decision_cleanse(&d);
  return NULL;
}

static void test_threads(void **state)
{
  (void)state;
  mbmsec_ua *ua = new_server(64, 2); /* small tables: evictions race with lookups */
  static worker ws[4];
  static char names[4][32];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    snprintf(names[i], sizeof names[i], "t%d@bsf.example.org", i);
    ws[i].ua = ua;
    ws[i].ok = 0;
    ue_init(&ws[i].u, add_row(names[i], MBMSEC_ZN_SUCCESS, T0 + 1000), MBMSEC_MRK_MUK_KDF);
  }
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, work, &ws[i]), 0);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  mbmsec_ua_stats st;
  mbmsec_ua_stats_get(ua, &st);
  for (int i = 0; i < 4; i++) assert_int_equal(ws[i].ok, ROUNDS);
  assert_int_equal(st.successes, 4 * ROUNDS);
  assert_true(st.cache_entries <= 2);
  mbmsec_ua_free(ua);
}

/* A cnonce of the parser's maximum, every octet escaped on the wire: the Authentication-Info
 * still fits MBMSEC_UA_AUTH_INFO_MAX and verifies. */
static void test_long_cnonce(void **state)
{
  (void)state;
  ue u;
  static char auth[8192], info[MBMSEC_UA_AUTH_INFO_MAX];
  mbmsec_ua *ua = start(&u, 0);
  for (size_t i = 0; i < MBMSEC_DIGEST_VALUE_MAX; i++) u.cnonce[i] = i % 2 ? '"' : '\\';
  u.cnonce[MBMSEC_DIGEST_VALUE_MAX] = 0;
  cnonce_override = true;
  ue_auth(&u, TARGET, BODY, auth, sizeof auth);
  cnonce_override = false;
  check(ua, auth, TARGET, BODY);
  expect(200, MBMSEC_UA_R_OK, false);
  assert_int_equal(dec.cnonce_len, MBMSEC_DIGEST_VALUE_MAX);
  size_t n = 0;
  assert_int_equal(
      mbmsec_ua_auth_info(ua, &dec, (const uint8_t *)"", 0, true, info, sizeof info, &n),
      MBMSEC_OK);
  assert_true(n > 2 * MBMSEC_DIGEST_VALUE_MAX);
  ue_check_info(&u, TARGET, info, "", NULL, 0);
  assert_int_equal(mbmsec_ua_auth_info(ua, &dec, NULL, 0, false, info, 100, NULL),
                   MBMSEC_ERR_SPACE);
  mbmsec_ua_free(ua);
}

static void test_config(void **state)
{
  (void)state;
  mbmsec_ua_config cfg;
  mbmsec_ua *ua = (mbmsec_ua *)&cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.lookup = fake_lookup;
  assert_int_equal(mbmsec_ua_new(NULL, &ua), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_ua_new(&cfg, &ua), MBMSEC_ERR_UA_CONFIG);
  assert_null(ua);
  cfg.fqdn = "bad host";
  assert_int_equal(mbmsec_ua_new(&cfg, &ua), MBMSEC_ERR_UA_CONFIG);
  cfg.fqdn = FQDN;
  cfg.lookup = NULL;
  assert_int_equal(mbmsec_ua_new(&cfg, &ua), MBMSEC_ERR_UA_CONFIG);
  cfg.lookup = fake_lookup;
  cfg.algs[0] = MBMSEC_DIGEST_AKAV1_MD5;
  cfg.n_algs = 1;
  assert_int_equal(mbmsec_ua_new(&cfg, &ua), MBMSEC_ERR_UA_CONFIG);
  cfg.n_algs = 0;
  cfg.mode = (mbmsec_mrk_muk_mode)7;
  assert_int_equal(mbmsec_ua_new(&cfg, &ua), MBMSEC_ERR_UA_CONFIG);
  cfg.mode = MBMSEC_MRK_MUK_KDF;
  cfg.max_nonces = MBMSEC_UA_NONCES_MAX + 1;
  assert_int_equal(mbmsec_ua_new(&cfg, &ua), MBMSEC_ERR_UA_CONFIG);
  cfg.max_nonces = 0;
  assert_int_equal(mbmsec_ua_algs_parse("sha-256 , md5", &cfg), MBMSEC_OK);
  assert_int_equal(cfg.n_algs, 2);
  assert_int_equal(cfg.algs[0], MBMSEC_DIGEST_SHA256);
  assert_int_equal(cfg.algs[1], MBMSEC_DIGEST_MD5);
  assert_int_equal(mbmsec_ua_algs_parse("MD5", &cfg), MBMSEC_OK);
  assert_int_equal(cfg.n_algs, 1);
  assert_int_equal(mbmsec_ua_algs_parse("", &cfg), MBMSEC_ERR_UA_CONFIG);
  assert_int_equal(mbmsec_ua_algs_parse("MD5,MD5", &cfg), MBMSEC_ERR_UA_CONFIG);
  assert_int_equal(mbmsec_ua_algs_parse("MD5,SHA-256,MD5", &cfg), MBMSEC_ERR_UA_CONFIG);
  assert_int_equal(mbmsec_ua_algs_parse("SHA-256-sess", &cfg), MBMSEC_ERR_UA_CONFIG);
  assert_int_equal(mbmsec_ua_algs_parse("SHA-256,", &cfg), MBMSEC_ERR_UA_CONFIG);
  assert_int_equal(mbmsec_ua_new(&cfg, &ua), MBMSEC_OK);
  assert_int_equal(mbmsec_ua_challenge(ua, false, &dec), MBMSEC_OK);
  assert_int_equal(dec.n_challenges, 1);
  assert_non_null(strstr(dec.challenge[0], "algorithm=MD5"));
  /* Authentication-Info only for a 200 */
  char out[256];
  assert_int_equal(mbmsec_ua_auth_info(ua, &dec, NULL, 0, false, out, sizeof out, NULL),
                   MBMSEC_ERR_UA_DECISION);
  mbmsec_ua_request r = {NULL, 3, TARGET, 5, NULL, 0, NULL, 0};
  assert_int_equal(mbmsec_ua_check(ua, &r, &dec), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_ua_check(NULL, &r, &dec), MBMSEC_ERR_ARG);
  assert_string_equal(mbmsec_ua_reason_name(MBMSEC_UA_R_NC_REPLAY), "nc-replay");
  assert_string_equal(mbmsec_ua_reason_name(MBMSEC_UA_R_COUNT), "?");
  for (int i = 0; i < MBMSEC_UA_R_COUNT; i++)
    assert_non_null(mbmsec_ua_reason_name((mbmsec_ua_reason)i));
  mbmsec_ua_free(ua);
  mbmsec_ua_free(NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_challenge_shape, setup),
      cmocka_unit_test_setup(test_ok_sha256, setup),
      cmocka_unit_test_setup(test_ok_md5, setup),
      cmocka_unit_test_setup(test_mode_none, setup),
      cmocka_unit_test_setup(test_step1, setup),
      cmocka_unit_test_setup(test_uri_mismatch, setup),
      cmocka_unit_test_setup(test_nonce_unknown, setup),
      cmocka_unit_test_setup(test_zn_results, setup),
      cmocka_unit_test_setup(test_btid_too_long, setup),
      cmocka_unit_test_setup(test_btid_muk, setup),
      cmocka_unit_test_setup(test_mismatch_and_body, setup),
      cmocka_unit_test_setup(test_nc_replay, setup),
      cmocka_unit_test_setup(test_nonce_expiry, setup),
      cmocka_unit_test_setup(test_cache, setup),
      cmocka_unit_test_setup(test_bounded, setup),
      cmocka_unit_test_setup(test_threads, setup),
      cmocka_unit_test_setup(test_long_cnonce, setup),
      cmocka_unit_test_setup(test_config, setup),
  };
  const int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mbmsec_crypto_cleanup();
  return rc;
}
