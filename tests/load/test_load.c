#define _GNU_SOURCE /* memmem */
/* Unit tests of mbmsec-load's parts that need no daemon: the UE address plan (P6), the
 * statistics, the Digest-state binding of the library's request engine (one engine, many UEs),
 * the store's batch transaction behind the bulk provisioning commands, and the answer parser
 * of the HTTP transport (load_http.c) over a socket pair, and its non-blocking use (the
 * multiplexed repeat phase) against a loopback listener. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "load.h"
#include "mbmsec/digest_parse.h"
#include "mbmsec/encode.h"
#include "mbmsec/store.h"
#include "mbmsec/ue_km.h"

static void test_addresses(void **state)
{
  (void)state;
  load_cfg c;
  memset(&c, 0, sizeof c);
  c.addr_net = 1;
  c.ues = 130000; /* crosses a step of the second octet (64,000 per step) */
  uint32_t prev = 0;
  for (uint32_t i = 0; i < c.ues; i++) {
    const uint32_t a = load_ue_ipv4(&c, i);
    assert_int_equal(a >> 24, 127);
    assert_true((a & 0xff) >= 1 && (a & 0xff) <= 250); /* never .0 or .255 */
    assert_true(a > prev);                             /* distinct, increasing */
    prev = a;
    assert_int_equal(load_ue_index(&c, a), (int64_t)i);
  }
  assert_int_equal(load_ue_index(&c, load_ue_ipv4(&c, 0) - 1), -1);         /* 127.1.0.0 */
  assert_int_equal(load_ue_index(&c, (127u << 24) | (1u << 16) | 251), -1); /* .251 */
  assert_int_equal(load_ue_index(&c, (10u << 24) | 1), -1);                 /* not loopback */
  c.ues = 10;
  assert_int_equal(load_ue_index(&c, load_ue_ipv4(&c, 10)), -1); /* beyond --ues */
  c.addr_net = 5;
  assert_int_equal(load_ue_ipv4(&c, 0), (127u << 24) | (5u << 16) | 1);
  assert_int_equal(load_ue_index(&c, (127u << 24) | (4u << 16) | 1), -1); /* below the net */
}

static void test_stats(void **state)
{
  (void)state;
  load_stats s;
  load_stats_init(&s);
  load_stats_error(&s, "timeout");
  load_stats_error(&s, "http:503");
  load_stats_error(&s, "timeout");
  assert_int_equal(s.n_err, 2);
  assert_string_equal(s.err[0].kind, "timeout");
  assert_int_equal(s.err[0].n, 2);
  assert_int_equal(load_stats_errors(&s), 3);
  for (int i = 0; i < 100; i++) {
    char k[16];
    snprintf(k, sizeof k, "k%d", i);
    load_stats_error(&s, k); /* more kinds than slots: the last slot collects the rest */
  }
  assert_int_equal(s.n_err, 64);
  assert_int_equal(load_stats_errors(&s), 103);
  load_lat l = {0};
  for (uint32_t i = 0; i < 10000; i++) load_lat_add(&l, i);
  assert_int_equal(l.n, 10000);
  load_stats_add_latencies(&s, l.v, l.n);
  load_stats_add_latencies(&s, l.v, l.n);
  assert_int_equal(s.n_lat, 20000);
  assert_int_equal(s.lat_us[10000 + 42], 42);
  free(l.v);
  load_stats_free(&s);
}

/* A BM-SC double for the binding test: answers a POST without credentials with a 401 for
 * nonce, and one with credentials with a 200 after checking them as the BM-SC would (user,
 * nonce, nc, response over the body with base64(mrk) as password), its Authentication-Info
 * carrying the right rspauth over a register response. */
typedef struct {
  const char *alg; /* algorithm of the challenge (NULL = SHA-256) */
  char www[256], info[512];
  char body[2048];
  mbmsec_ue_http_answer ans;
  uint32_t nc; /* nc of the checked request */
} bmsc_double;

#define DBL_REALM "3GPP-bootstrapping@bmsc.test"

static void bmsc_serve(bmsc_double *d, const mbmsec_ue_km_send *s, const char *user,
                       const uint8_t mrk[32], const char *nonce)
{
  memset(&d->ans, 0, sizeof d->ans);
  d->nc = 0;
  if (!s->authorization[0]) {
    snprintf(d->www, sizeof d->www,
             "Digest realm=\"" DBL_REALM "\", nonce=\"%s\", algorithm=%s, qop=\"auth-int\"%s",
             nonce, d->alg ? d->alg : "SHA-256", d->alg ? ", stale=true" : "");
    d->ans.status = 401;
    d->ans.n_www_auth = 1;
    d->ans.www_auth[0] = mbmsec_digest_s(d->www);
    return;
  }
  static mbmsec_digest_header h;
  assert_int_equal(
      mbmsec_digest_parse_authorization(s->authorization, strlen(s->authorization), 0, &h),
      MBMSEC_OK);
  assert_int_equal(h.username.len, strlen(user));
  assert_memory_equal(h.username.p, user, h.username.len);
  assert_int_equal(h.nonce.len, strlen(nonce));
  assert_memory_equal(h.nonce.p, nonce, h.nonce.len);
  char pw[48];
  assert_int_equal(mbmsec_b64_encode(mrk, 32, pw, sizeof pw, NULL), MBMSEC_OK);
  char nc_s[9];
  memcpy(nc_s, h.nc, 8);
  nc_s[8] = 0;
  mbmsec_digest_input in = {.alg = h.algorithm,
                            .qop = MBMSEC_DIGEST_QOP_AUTH_INT,
                            .username = h.username,
                            .realm = h.realm,
                            .nonce = h.nonce,
                            .cnonce = h.cnonce,
                            .nc = mbmsec_digest_s(nc_s),
                            .method = mbmsec_digest_s("POST"),
                            .uri = h.uri,
                            .password = (const uint8_t *)pw,
                            .password_len = strlen(pw),
                            .body = s->body,
                            .body_len = s->body_len};
  assert_int_equal(mbmsec_digest_verify(&in, h.response), MBMSEC_OK);
  d->nc = h.nc_value;
  mbmsec_xml_service_list l;
  memset(&l, 0, sizeof l);
  assert_int_equal(mbmsec_xml_service_add(&l, "urn:example:mbms:news", 200), MBMSEC_OK);
  size_t blen = 0;
  assert_int_equal(mbmsec_xml_build_register_response(&l, d->body, sizeof d->body, &blen),
                   MBMSEC_OK);
  char rspauth[MBMSEC_DIGEST_HEX_MAX + 1];
  assert_int_equal(
      mbmsec_digest_rspauth(&in, (const uint8_t *)d->body, blen, rspauth, sizeof rspauth),
      MBMSEC_OK);
  snprintf(d->info, sizeof d->info, "qop=auth-int, rspauth=\"%s\", cnonce=\"%.*s\", nc=%s", rspauth,
           (int)h.cnonce.len, h.cnonce.p, nc_s);
  d->ans.status = 200;
  d->ans.auth_info = mbmsec_digest_s(d->info);
  d->ans.body = (const uint8_t *)d->body;
  d->ans.body_len = blen;
}

/* One register request of the bound UE against the double; returns the nc the double saw. */
static uint32_t register_once(mbmsec_ue_km *k, const char *user, const uint8_t mrk[32],
                              const char *nonce, bool first_contact)
{
  const char *items[] = {"urn:example:mbms:news"};
  static bmsc_double d;
  mbmsec_ue_km_send s;
  mbmsec_ue_km_step step;
  assert_int_equal(mbmsec_ue_km_start(k, MBMSEC_UE_KM_REGISTER, items, 1), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_next(k, &s), MBMSEC_OK);
  assert_int_equal(s.authorization[0] == '\0', first_contact);
  if (first_contact) {
    bmsc_serve(&d, &s, user, mrk, nonce);
    assert_int_equal(mbmsec_ue_km_answer(k, &d.ans, &step), MBMSEC_OK);
    assert_int_equal(step, MBMSEC_UE_KM_SEND_AGAIN);
    assert_int_equal(mbmsec_ue_km_next(k, &s), MBMSEC_OK);
    assert_true(s.authorization[0] != '\0');
  }
  bmsc_serve(&d, &s, user, mrk, nonce);
  assert_int_equal(mbmsec_ue_km_answer(k, &d.ans, &step), MBMSEC_OK);
  assert_int_equal(step, MBMSEC_UE_KM_DONE);
  assert_int_equal(mbmsec_ue_km_n_items(k), 1);
  return d.nc;
}

static void test_bind_digest(void **state)
{
  (void)state;
  mbmsec_ue_km *k = NULL;
  assert_int_equal(mbmsec_ue_km_new("http://127.0.0.1:8081", "bmsc.test", &k), MBMSEC_OK);
  const char *items[] = {"urn:example:mbms:news"};
  /* No credentials yet: a request cannot start. */
  assert_int_equal(mbmsec_ue_km_start(k, MBMSEC_UE_KM_REGISTER, items, 1), MBMSEC_ERR_ARG);
  uint8_t mrk_a[32], mrk_b[32], mrk_o[32];
  memset(mrk_a, 0xa1, sizeof mrk_a);
  memset(mrk_b, 0xb2, sizeof mrk_b);
  memset(mrk_o, 0xc3, sizeof mrk_o);
  mbmsec_ue_ua a, b;
  assert_int_equal(mbmsec_ue_ua_init(&a, "a@bsf", mrk_a), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_ua_init(&b, "b@bsf", mrk_b), MBMSEC_OK);
  const mbmsec_ue_ua b0 = b;

  /* A bound: first contact, 401, then credentials with A's password and nc 1. */
  assert_int_equal(mbmsec_ue_km_bind_digest(k, &a), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_start(k, MBMSEC_UE_KM_REGISTER, items, 1), MBMSEC_OK);
  /* While a request runs the binding may not change; the request goes on with A. */
  assert_int_equal(mbmsec_ue_km_bind_digest(k, &b), MBMSEC_ERR_UE_SEQUENCE);
  assert_int_equal(mbmsec_ue_km_bind_digest(k, NULL), MBMSEC_ERR_UE_SEQUENCE);
  mbmsec_ue_km_abort(k);
  assert_int_equal(register_once(k, "a@bsf", mrk_a, "nonceA", true), 1);
  /* The engine worked on A's storage in place, and B was not touched. */
  assert_true(a.has_challenge);
  assert_string_equal(a.nonce, "nonceA");
  assert_int_equal(a.nc, 1);
  assert_memory_equal(&b, &b0, sizeof b);

  /* B bound: its own first contact (A's nonce is not B's), its own nonce and nc. */
  assert_int_equal(mbmsec_ue_km_bind_digest(k, &b), MBMSEC_OK);
  assert_int_equal(register_once(k, "b@bsf", mrk_b, "nonceB", true), 1);
  assert_int_equal(b.nc, 1);
  assert_int_equal(a.nc, 1);

  /* Back and forth: each UE's nc continues from its own last request, pre-emptively. */
  assert_int_equal(mbmsec_ue_km_bind_digest(k, &a), MBMSEC_OK);
  assert_int_equal(register_once(k, "a@bsf", mrk_a, "nonceA", false), 2);
  assert_int_equal(mbmsec_ue_km_bind_digest(k, &b), MBMSEC_OK);
  assert_int_equal(register_once(k, "b@bsf", mrk_b, "nonceB", false), 2);
  assert_int_equal(mbmsec_ue_km_bind_digest(k, &a), MBMSEC_OK);
  assert_int_equal(register_once(k, "a@bsf", mrk_a, "nonceA", false), 3);
  assert_int_equal(a.nc, 3);
  assert_int_equal(b.nc, 2);

  /* Unbound: the engine's own state, still without credentials. Credentials set now go into
   * it, not into the last bound UE. */
  assert_int_equal(mbmsec_ue_km_bind_digest(k, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_start(k, MBMSEC_UE_KM_REGISTER, items, 1), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_ue_km_set_credentials(k, "o@bsf", mrk_o), MBMSEC_OK);
  assert_int_equal(register_once(k, "o@bsf", mrk_o, "nonceO", true), 1);
  assert_string_equal(a.btid, "a@bsf");
  assert_int_equal(a.nc, 3);

  /* A server that answers 401 stale=true for ever: after MBMSEC_UE_KM_EXCHANGES_MAX round
   * trips the request ends and the binding can change again (else every later UE of the
   * worker would be stuck). */
  assert_int_equal(mbmsec_ue_km_bind_digest(k, &b), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_start(k, MBMSEC_UE_KM_REGISTER, items, 1), MBMSEC_OK);
  const char *chal = "Digest realm=\"" DBL_REALM "\", nonce=\"abc\", "
                     "algorithm=SHA-256, qop=\"auth-int\", stale=true";
  mbmsec_ue_km_send s;
  mbmsec_ue_http_answer ans;
  mbmsec_ue_km_step step;
  unsigned rounds = 0;
  while (mbmsec_ue_km_next(k, &s) == MBMSEC_OK) {
    memset(&ans, 0, sizeof ans);
    ans.status = 401;
    ans.n_www_auth = 1;
    ans.www_auth[0] = mbmsec_digest_s(chal);
    assert_int_equal(mbmsec_ue_km_answer(k, &ans, &step), MBMSEC_OK);
    assert_int_equal(step, MBMSEC_UE_KM_SEND_AGAIN);
    rounds++;
  }
  assert_int_equal(rounds, MBMSEC_UE_KM_EXCHANGES_MAX);
  assert_string_equal(b.nonce, "abc");
  assert_int_equal(mbmsec_ue_km_bind_digest(k, &a), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_bind_digest(NULL, &a), MBMSEC_ERR_ARG);

  /* Freeing the engine leaves the bound state to its owner (who cleanses it). */
  mbmsec_ue_km_free(k);
  assert_string_equal(a.btid, "a@bsf");
  assert_int_equal(a.nc, 3);
  mbmsec_ue_ua_cleanse(&a);
  mbmsec_ue_ua_cleanse(&b);
}

/* An engine for km_uri with the credentials of btid and an MRK of octets fill. */
static mbmsec_ue_km *km_with(const char *km_uri, const char *btid, uint8_t fill, uint8_t mrk[32])
{
  mbmsec_ue_km *k = NULL;
  assert_int_equal(mbmsec_ue_km_new(km_uri, "bmsc.test", &k), MBMSEC_OK);
  memset(mrk, fill, 32);
  assert_int_equal(mbmsec_ue_km_set_credentials(k, btid, mrk), MBMSEC_OK);
  return k;
}

/* A new challenge mid-way (401 stale=true switching to MD5, then back to SHA-256): the
 * credentials follow it, over the same password, with nc from 1 (the double checks the
 * response from the password; a kept HA1 that did not follow would fail here). */
static void test_ha1_new_challenge(void **state)
{
  (void)state;
  uint8_t mrk[32];
  mbmsec_ue_km *k = km_with("http://127.0.0.1:8081", "m@bsf", 0x5a, mrk);
  assert_int_equal(register_once(k, "m@bsf", mrk, "n1", true), 1);
  assert_int_equal(register_once(k, "m@bsf", mrk, "n1", false), 2);
  const char *items[] = {"urn:example:mbms:news"};
  static bmsc_double d;
  mbmsec_ue_km_send s;
  mbmsec_ue_km_step step;
  assert_int_equal(mbmsec_ue_km_start(k, MBMSEC_UE_KM_REGISTER, items, 1), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_next(k, &s), MBMSEC_OK);
  assert_true(s.authorization[0] != '\0'); /* pre-emptive, SHA-256, nc 3 */
  d.alg = "MD5";
  s.authorization = ""; /* the double answers as to first contact: 401 stale=true, MD5 */
  bmsc_serve(&d, &s, "m@bsf", mrk, "n2");
  assert_int_equal(mbmsec_ue_km_answer(k, &d.ans, &step), MBMSEC_OK);
  assert_int_equal(step, MBMSEC_UE_KM_SEND_AGAIN);
  assert_int_equal(mbmsec_ue_km_next(k, &s), MBMSEC_OK);
  static mbmsec_digest_header h;
  assert_int_equal(
      mbmsec_digest_parse_authorization(s.authorization, strlen(s.authorization), 0, &h),
      MBMSEC_OK);
  assert_int_equal(h.algorithm, MBMSEC_DIGEST_MD5);
  bmsc_serve(&d, &s, "m@bsf", mrk, "n2");
  assert_int_equal(d.nc, 1);
  assert_int_equal(mbmsec_ue_km_answer(k, &d.ans, &step), MBMSEC_OK);
  assert_int_equal(step, MBMSEC_UE_KM_DONE);
  /* And back to SHA-256 with the next challenge. */
  d.alg = "SHA-256";
  assert_int_equal(mbmsec_ue_km_start(k, MBMSEC_UE_KM_REGISTER, items, 1), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_km_next(k, &s), MBMSEC_OK);
  s.authorization = "";
  bmsc_serve(&d, &s, "m@bsf", mrk, "n3");
  assert_int_equal(mbmsec_ue_km_answer(k, &d.ans, &step), MBMSEC_OK);
  assert_int_equal(step, MBMSEC_UE_KM_SEND_AGAIN);
  assert_int_equal(mbmsec_ue_km_next(k, &s), MBMSEC_OK);
  bmsc_serve(&d, &s, "m@bsf", mrk, "n3");
  assert_int_equal(mbmsec_ue_km_answer(k, &d.ans, &step), MBMSEC_OK);
  assert_int_equal(step, MBMSEC_UE_KM_DONE);
  mbmsec_ue_km_free(k);
}

/* Whether body_len octets at body contain str. */
static bool body_has(const mbmsec_ue_km_send *s, const char *str)
{
  return memmem(s->body, s->body_len, str, strlen(str)) != NULL;
}

/* A request for the same items as the last one reuses its body; any other items or type gets
 * its own, also after a request whose build failed. */
static void test_start_reuse(void **state)
{
  (void)state;
  uint8_t mrk[32];
  mbmsec_ue_km *k = km_with("http://127.0.0.1:8081/p", "r@bsf", 0x11, mrk);
  const char *x[] = {"APEQAAEAAA=="}, *y[] = {"APEQAAEAAQ=="},
             *xy[] = {"APEQAAEAAA==", "APEQAAEAAQ=="};
  const char *bad[] = {"APEQAAEAAA==", "bad"}, *svc[] = {"APEQAAEAAA=="};
  struct {
    mbmsec_ue_km_type t;
    const char *const *items;
    size_t n;
    const char *has, *hasnt;
    const char *rt;
  } seq[] = {
      {MBMSEC_UE_KM_MSK, x, 1, "APEQAAEAAA==", "APEQAAEAAQ==", "msk-request"},
      {MBMSEC_UE_KM_MSK, x, 1, "APEQAAEAAA==", "APEQAAEAAQ==", "msk-request"},
      {MBMSEC_UE_KM_MSK, y, 1, "APEQAAEAAQ==", "APEQAAEAAA==", "msk-request"},
      {MBMSEC_UE_KM_MSK, xy, 2, "APEQAAEAAQ==", "serviceId", "msk-request"},
      {MBMSEC_UE_KM_MSK, x, 1, "APEQAAEAAA==", "APEQAAEAAQ==", "msk-request"},
      {MBMSEC_UE_KM_REGISTER, svc, 1, "serviceId", "keyId", "=register"},
      {MBMSEC_UE_KM_DEREGISTER, svc, 1, "serviceId", "keyId", "=deregister"},
      {MBMSEC_UE_KM_MSK, x, 1, "APEQAAEAAA==", "serviceId", "msk-request"},
  };
  for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
    mbmsec_ue_km_send s;
    assert_int_equal(mbmsec_ue_km_start(k, seq[i].t, seq[i].items, seq[i].n), MBMSEC_OK);
    assert_int_equal(mbmsec_ue_km_next(k, &s), MBMSEC_OK);
    assert_true(body_has(&s, seq[i].has));
    assert_false(body_has(&s, seq[i].hasnt));
    assert_non_null(strstr(s.target, seq[i].rt));
    assert_true(strncmp(s.target, "/p/", 3) == 0);
    mbmsec_ue_km_abort(k);
    if (i == 4) { /* failed builds around a request for y: each start builds what it is given */
      assert_int_equal(mbmsec_ue_km_start(k, MBMSEC_UE_KM_MSK, bad, 2), MBMSEC_ERR_XML_KEYID);
      assert_int_equal(mbmsec_ue_km_start(k, MBMSEC_UE_KM_MSK, y, 1), MBMSEC_OK);
      assert_int_equal(mbmsec_ue_km_next(k, &s), MBMSEC_OK);
      assert_true(body_has(&s, "APEQAAEAAQ==") && !body_has(&s, "APEQAAEAAA=="));
      mbmsec_ue_km_abort(k);
      assert_int_equal(mbmsec_ue_km_start(k, MBMSEC_UE_KM_MSK, bad, 2), MBMSEC_ERR_XML_KEYID);
    }
  }
  mbmsec_ue_km_free(k);
}

static void test_store_batch(void **state)
{
  (void)state;
  char dir[] = "/tmp/mbmsec-test-load.XXXXXX", uri[128];
  assert_non_null(mkdtemp(dir));
  snprintf(uri, sizeof uri, "sqlite:%s/s.db", dir);
  mbmsec_store *st = NULL;
  assert_int_equal(mbmsec_store_open(uri, &st), MBMSEC_OK);
  uint8_t k[16] = {1}, opc[16] = {2}, amf[2] = {0x80, 0};
  mbmsec_store_subscriber_in in = {.impi = "u0",
                                   .k = k,
                                   .k_len = 16,
                                   .opc = opc,
                                   .opc_len = 16,
                                   .amf = amf,
                                   .amf_len = 2,
                                   .uss = "4"};
  mbmsec_store_subscriber out;
  /* Rolled back: nothing of the batch stays. */
  assert_int_equal(mbmsec_store_batch_begin(st), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_OK);
  in.impi = "u1";
  assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_OK);
  in.impi = "u0";
  assert_int_not_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_OK); /* duplicate */
  mbmsec_store_batch_rollback(st);
  assert_int_equal(mbmsec_store_subscriber_get(st, "u0", &out), MBMSEC_ERR_STORE_NOT_FOUND);
  assert_int_equal(mbmsec_store_subscriber_get(st, "u1", &out), MBMSEC_ERR_STORE_NOT_FOUND);
  mbmsec_store_batch_rollback(st); /* no batch open: harmless */
  /* Committed: all of it, also seen through another handle. */
  assert_int_equal(mbmsec_store_batch_begin(st), MBMSEC_OK);
  assert_int_not_equal(mbmsec_store_batch_begin(st), MBMSEC_OK); /* one batch at a time */
  for (int i = 0; i < 100; i++) {
    char impi[16];
    snprintf(impi, sizeof impi, "v%d", i);
    in.impi = impi;
    assert_int_equal(mbmsec_store_subscriber_add(st, &in), MBMSEC_OK);
  }
  assert_int_equal(mbmsec_store_batch_commit(st), MBMSEC_OK);
  mbmsec_store *st2 = NULL;
  assert_int_equal(mbmsec_store_open(uri, &st2), MBMSEC_OK);
  assert_int_equal(mbmsec_store_subscriber_get(st2, "v99", &out), MBMSEC_OK);
  assert_memory_equal(out.k, k, 16);
  assert_int_not_equal(mbmsec_store_batch_commit(st2), MBMSEC_OK); /* none open on st2 */
  mbmsec_store_close(st2);
  mbmsec_store_close(st);
  char path[160];
  snprintf(path, sizeof path, "%s/s.db", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/s.db-wal", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/s.db-shm", dir);
  unlink(path);
  rmdir(dir);
}

/* Feeds raw octets as the server's answer; returns load_http_read_fd's code. */
static mbmsec_err answer_of(load_http *h, const char *raw, size_t n, mbmsec_ue_http_answer *a)
{
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(write(sv[0], raw, n), (ssize_t)n);
  close(sv[0]); /* EOF after the octets */
  mbmsec_err rc = load_http_read_fd(h, sv[1], a);
  close(sv[1]);
  return rc;
}
#define ANSWER(h, s, a) answer_of((h), (s), sizeof(s) - 1, (a))

static void test_http_answers(void **state)
{
  (void)state;
  load_http *h = NULL;
  mbmsec_ue_http_answer a;
  assert_int_equal(load_http_new(1000, 4, &h), MBMSEC_OK);
  /* Content-Length, two challenges, headers in any case, 100 Continue skipped */
  assert_int_equal(ANSWER(h,
                          "HTTP/1.1 100 Continue\r\n\r\n"
                          "HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Digest a=1\r\n"
                          "WWW-Authenticate:  Digest b=2 \r\nContent-Length: 3\r\n\r\nabc",
                          &a),
                   MBMSEC_OK);
  assert_int_equal(a.status, 401);
  assert_int_equal(a.n_www_auth, 2);
  assert_true(a.www_auth[0].len == 10 && !memcmp(a.www_auth[0].p, "Digest a=1", 10));
  assert_true(a.www_auth[1].len == 10 && !memcmp(a.www_auth[1].p, "Digest b=2", 10));
  assert_true(a.body_len == 3 && !memcmp(a.body, "abc", 3));
  assert_null(a.content_type);
  /* chunked with a trailer, Authentication-Info, Content-Type */
  assert_int_equal(
      ANSWER(h,
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
             "Content-Type: application/x\r\nAuthentication-Info: rspauth=\"x\"\r\n\r\n"
             "4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nT: v\r\n\r\n",
             &a),
      MBMSEC_OK);
  assert_int_equal(a.status, 200);
  assert_string_equal(a.content_type, "application/x");
  assert_true(a.auth_info.len == 11 && !memcmp(a.auth_info.p, "rspauth=\"x\"", 11));
  assert_true(a.body_len == 9 && !memcmp(a.body, "wikipedia", 9));
  /* no length: to the end of the connection */
  assert_int_equal(ANSWER(h, "HTTP/1.0 200 OK\r\n\r\nrest", &a), MBMSEC_OK);
  assert_true(a.body_len == 4 && !memcmp(a.body, "rest", 4));
  /* refused: truncated body, bad status line, two Content-Lengths, a body over the cap,
   * a header block that never ends, nothing at all */
  assert_int_equal(ANSWER(h, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", &a),
                   MBMSEC_ERR_UE_HTTP);
  assert_int_equal(ANSWER(h, "HTTP/1.1 2x0 OK\r\n\r\n", &a), MBMSEC_ERR_UE_HTTP);
  assert_int_equal(
      ANSWER(h, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", &a),
      MBMSEC_ERR_UE_HTTP); /* chunk longer than its size */
  assert_int_equal(
      ANSWER(h, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na", &a),
      MBMSEC_ERR_UE_HTTP);
  assert_int_equal(ANSWER(h, "HTTP/1.1 200 OK\r\nContent-Length: 65537\r\n\r\n", &a),
                   MBMSEC_ERR_UE_HTTP);
  assert_string_equal(load_http_fail_kind(h), "oversize-answer");
  assert_int_equal(ANSWER(h, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n", &a),
                   MBMSEC_ERR_UE_HTTP);
  assert_string_equal(load_http_fail_kind(h), "oversize-answer");
  static char big[40 * 1024];
  memset(big, 'a', sizeof big);
  memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 21);
  assert_int_equal(answer_of(h, big, sizeof big, &a), MBMSEC_ERR_UE_HTTP);
  assert_string_equal(load_http_fail_kind(h), "oversize-answer");
  assert_int_equal(ANSWER(h, "", &a), MBMSEC_ERR_UE_HTTP);
  assert_int_equal(load_http_read_fd(NULL, 0, &a), MBMSEC_ERR_ARG);
  /* base URLs: http only, IPv4 */
  assert_int_equal(load_http_set_base(h, "http://127.0.0.1:8080/x?y"), MBMSEC_OK);
  assert_int_equal(load_http_set_base(h, "https://127.0.0.1/"), MBMSEC_ERR_ARG);
  assert_int_equal(load_http_set_base(h, "http://127.0.0.1:8x/"), MBMSEC_ERR_ARG);
  assert_int_equal(load_http_set_base(h, "http://[::1]/"), MBMSEC_ERR_ARG);
  load_http_free(h);
}

/* The server side of the non-blocking test: accepts one connection, reads one request. */
static int accept_request(int ls, char *req, size_t cap)
{
  int s = accept(ls, NULL, NULL);
  assert_true(s >= 0);
  ssize_t n = recv(s, req, cap - 1, 0);
  assert_true(n > 0);
  req[n] = '\0';
  return s;
}

static void send_raw(int s, const char *p, size_t n)
{
  assert_int_equal(send(s, p, n, MSG_NOSIGNAL), (ssize_t)n);
}
#define send_str(s, p) send_raw((s), (p), strlen(p))

/* Waits for the pending socket to be readable: the event carries the tag and the fd. */
static void wait_event(int ep, load_http *h, uint32_t tag)
{
  struct epoll_event ev;
  assert_int_equal(epoll_wait(ep, &ev, 1, 5000), 1);
  assert_int_equal(ev.data.u64 >> 32, tag);
  assert_int_equal((int)(uint32_t)ev.data.u64, load_http_pending_fd(h));
}

static void test_http_nonblocking(void **state)
{
  (void)state;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof sin;
  assert_int_equal(bind(ls, (struct sockaddr *)&sin, sizeof sin), 0);
  assert_int_equal(listen(ls, 4), 0);
  assert_int_equal(getsockname(ls, (struct sockaddr *)&sin, &sl), 0);
  char url[64], req[4096];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/k", (unsigned)ntohs(sin.sin_port));
  load_http *h = NULL;
  mbmsec_ue_http_answer a;
  bool done = true;
  assert_int_equal(load_http_new(5000, 2, &h), MBMSEC_OK);
  assert_int_equal(load_http_set_base(h, url), MBMSEC_OK);
  assert_int_equal(load_http_get_send(h, ""), MBMSEC_ERR_ARG); /* not watched */
  int ep = epoll_create1(0);
  assert_true(ep >= 0);
  load_http_watch(h, ep, 7);
  assert_int_equal(load_http_recv(h, &a, &done), MBMSEC_ERR_UE_SEQUENCE); /* nothing sent */

  /* an answer in two pieces: not done after the first */
  assert_int_equal(load_http_get_send(h, "Digest x=1"), MBMSEC_OK);
  int s = accept_request(ls, req, sizeof req);
  char want[512];
  snprintf(want, sizeof want,
           "GET /k HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUser-Agent: " MBMSEC_UE_KM_USER_AGENT
           "\r\nAuthorization: Digest x=1\r\n\r\n",
           (unsigned)ntohs(sin.sin_port));
  assert_string_equal(req, want);
  send_str(s, "HTTP/1.1 200 OK\r\nContent-Le");
  wait_event(ep, h, 7);
  assert_int_equal(load_http_recv(h, &a, &done), MBMSEC_OK);
  assert_false(done);
  send_str(s, "ngth: 5\r\n\r\nhello");
  wait_event(ep, h, 7);
  assert_int_equal(load_http_recv(h, &a, &done), MBMSEC_OK);
  assert_true(done);
  assert_int_equal(a.status, 200);
  assert_true(a.body_len == 5 && !memcmp(a.body, "hello", 5));
  assert_int_equal(load_http_pending_fd(h), -1);

  /* an answer larger than the receive buffer: finished blocking, whole */
  static char big[60 * 1024];
  const size_t body = 50 * 1024;
  int hl = snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", body);
  memset(big + hl, 'b', body);
  assert_int_equal(load_http_get_send(h, ""), MBMSEC_OK);
  assert_true(recv(s, req, sizeof req, 0) > 0);
  send_raw(s, big, (size_t)hl + body);
  done = false;
  while (!done) {
    wait_event(ep, h, 7);
    assert_int_equal(load_http_recv(h, &a, &done), MBMSEC_OK);
  }
  assert_int_equal(a.body_len, body);
  assert_true(a.body[0] == 'b' && a.body[body - 1] == 'b');

  /* the server closed the kept-alive connection: the request goes again on a new one */
  close(s);
  const int old_fd = load_http_pending_fd(h);
  assert_int_equal(old_fd, -1);
  assert_int_equal(load_http_get_send(h, ""), MBMSEC_OK);
  done = false;
  s = -1;
  for (int i = 0; i < 10 && !done; i++) {
    struct epoll_event ev;
    if (epoll_wait(ep, &ev, 1, 100) == 1) {
      assert_int_equal(load_http_recv(h, &a, &done), MBMSEC_OK);
      continue;
    }
    if (s < 0) { /* the new connection */
      s = accept_request(ls, req, sizeof req);
      send_str(s, "HTTP/1.1 204 No Content\r\n\r\n");
    }
  }
  assert_true(done);
  assert_int_equal(a.status, 204);

  /* a connection closed in the middle of an answer is an error, not retried */
  assert_int_equal(load_http_get_send(h, ""), MBMSEC_OK);
  assert_true(recv(s, req, sizeof req, 0) > 0);
  send_str(s, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc");
  close(s);
  mbmsec_err rc = MBMSEC_OK;
  done = false;
  while (rc == MBMSEC_OK && !done) {
    wait_event(ep, h, 7);
    rc = load_http_recv(h, &a, &done);
  }
  assert_int_equal(rc, MBMSEC_ERR_UE_HTTP);
  assert_string_equal(load_http_fail_kind(h), "transport");
  assert_int_equal(load_http_pending_fd(h), -1);

  /* a POST: its exact head and body; a GET without credentials */
  mbmsec_ue_km_send ps = {.target = "/km/keymanagement?requesttype=msk-request",
                          .content_type = "application/x",
                          .accept = "application/y",
                          .body = (const uint8_t *)"<b/>",
                          .body_len = 4,
                          .authorization = "Digest z=2"};
  assert_int_equal(load_http_post_send(h, &ps), MBMSEC_OK);
  s = accept_request(ls, req, sizeof req);
  snprintf(want, sizeof want,
           "POST /km/keymanagement?requesttype=msk-request HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
           "User-Agent: " MBMSEC_UE_KM_USER_AGENT "\r\nContent-Type: application/x\r\n"
           "Accept: application/y\r\nAuthorization: Digest z=2\r\nContent-Length: 4\r\n\r\n<b/>",
           (unsigned)ntohs(sin.sin_port));
  assert_string_equal(req, want);
  send_str(s, "HTTP/1.1 204 No Content\r\n\r\n");
  wait_event(ep, h, 7);
  assert_int_equal(load_http_recv(h, &a, &done), MBMSEC_OK);
  assert_true(done);
  ps.accept = NULL;
  ps.authorization = "";
  ps.body_len = 0;
  assert_int_equal(load_http_post_send(h, &ps), MBMSEC_OK);
  assert_true(recv(s, req, sizeof req - 1, 0) > 0);
  snprintf(want, sizeof want,
           "POST /km/keymanagement?requesttype=msk-request HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
           "User-Agent: " MBMSEC_UE_KM_USER_AGENT "\r\nContent-Type: application/x\r\n"
           "Content-Length: 0\r\n\r\n",
           (unsigned)ntohs(sin.sin_port));
  assert_memory_equal(req, want, strlen(want));
  load_http_abort(h, "timeout");
  close(s);
  assert_int_equal(load_http_get_send(h, NULL), MBMSEC_OK);
  s = accept_request(ls, req, sizeof req);
  snprintf(want, sizeof want,
           "GET /k HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUser-Agent: " MBMSEC_UE_KM_USER_AGENT
           "\r\n\r\n",
           (unsigned)ntohs(sin.sin_port));
  assert_string_equal(req, want);
  load_http_abort(h, "timeout");
  close(s);
  /* refused before anything is sent: values that would break the framing, a head over the
   * buffer */
  ps.authorization = "Digest z=2\r\nX-Evil: 1";
  assert_int_equal(load_http_post_send(h, &ps), MBMSEC_ERR_ARG);
  ps.authorization = "";
  ps.accept = "a\nb";
  assert_int_equal(load_http_post_send(h, &ps), MBMSEC_ERR_ARG);
  ps.accept = NULL;
  ps.target = "/a b";
  assert_int_equal(load_http_post_send(h, &ps), MBMSEC_ERR_ARG);
  ps.target = "km";
  assert_int_equal(load_http_post_send(h, &ps), MBMSEC_ERR_ARG);
  ps.target = "/km";
  assert_int_equal(load_http_get_send(h, "x\ry"), MBMSEC_ERR_ARG);
  static char huge[MBMSEC_UE_AUTH_SIZE + 2048];
  memset(huge, 'a', sizeof huge - 1);
  ps.authorization = huge;
  assert_int_equal(load_http_post_send(h, &ps), MBMSEC_ERR_SPACE);
  assert_int_equal(load_http_get_send(h, huge), MBMSEC_ERR_SPACE);
  assert_int_equal(load_http_pending_fd(h), -1);
  load_http_free(h);
  close(ep);
  close(ls);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_addresses),    cmocka_unit_test(test_stats),
      cmocka_unit_test(test_bind_digest),  cmocka_unit_test(test_ha1_new_challenge),
      cmocka_unit_test(test_start_reuse),  cmocka_unit_test(test_store_batch),
      cmocka_unit_test(test_http_answers), cmocka_unit_test(test_http_nonblocking),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
