/* HTTP Digest: RFC 2617 / RFC 7616 vectors, the RFC example headers, builder round trips,
 * malformed headers (each with its own error code), verification, AKAv1-MD5 binary RES. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/crypto.h"
#include "mbmsec/digest.h"
#include "mbmsec/digest_parse.h"

#define S(x) mbmsec_digest_s(x)

static void assert_str(mbmsec_digest_str s, const char *want)
{
  char buf[MBMSEC_DIGEST_VALUE_MAX + 1];
  assert_true(s.len <= MBMSEC_DIGEST_VALUE_MAX);
  if (s.len) memcpy(buf, s.p, s.len);
  buf[s.len] = '\0';
  assert_string_equal(buf, want);
}

static mbmsec_digest_input rfc2617_input(void)
{
  mbmsec_digest_input in = {0};
  in.alg = MBMSEC_DIGEST_MD5;
  in.qop = MBMSEC_DIGEST_QOP_AUTH;
  in.username = S("Mufasa");
  in.realm = S("testrealm@host.com");
  in.password = (const uint8_t *)"Circle Of Life";
  in.password_len = strlen("Circle Of Life");
  in.method = S("GET");
  in.uri = S("/dir/index.html");
  in.nonce = S("dcd98b7102dd2f0e8b11d0f600bfb0c093");
  in.nc = S("00000001");
  in.cnonce = S("0a4f113b");
  return in;
}

static mbmsec_digest_input rfc7616_input(mbmsec_digest_alg alg)
{
  mbmsec_digest_input in = {0};
  in.alg = alg;
  in.qop = MBMSEC_DIGEST_QOP_AUTH;
  in.username = S("Mufasa");
  in.realm = S("http-auth@example.org");
  in.password = (const uint8_t *)"Circle of Life";
  in.password_len = strlen("Circle of Life");
  in.method = S("GET");
  in.uri = S("/dir/index.html");
  in.nonce = S("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
  in.nc = S("00000001");
  in.cnonce = S("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
  return in;
}

static void test_rfc2617_vector(void **state)
{
  (void)state;
  mbmsec_digest_input in = rfc2617_input();
  char out[MBMSEC_DIGEST_HEX_MAX + 1];
  assert_int_equal(mbmsec_digest_ha1(&in, out, sizeof out), MBMSEC_OK);
  assert_string_equal(out, "939e7578ed9e3c518a452acee763bce9");
  assert_int_equal(mbmsec_digest_ha2(&in, out, sizeof out), MBMSEC_OK);
  assert_string_equal(out, "39aff3a2bab6126f332b942af96d3366");
  assert_int_equal(mbmsec_digest_response(&in, out, sizeof out), MBMSEC_OK);
  assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
  assert_int_equal(mbmsec_digest_response(&in, out, 32), MBMSEC_ERR_SPACE);
  mbmsec_digest_result r;
  assert_int_equal(mbmsec_digest_compute(&in, NULL, 0, &r), MBMSEC_OK);
  assert_string_equal(r.response, "6629fae49393a05397450978507c4ef1");
  /* rspauth = response with A2 = ":" uri. */
  mbmsec_digest_input ra = in;
  ra.method = S("");
  assert_int_equal(mbmsec_digest_response(&ra, out, sizeof out), MBMSEC_OK);
  assert_string_equal(r.rspauth, out);
  assert_int_equal(mbmsec_digest_rspauth(&in, NULL, 0, out, sizeof out), MBMSEC_OK);
  assert_string_equal(r.rspauth, out);
  /* Stored HA1 instead of the password gives the same. */
  mbmsec_digest_input hs = in;
  hs.password = NULL;
  hs.password_len = 0;
  hs.ha1_hex = "939E7578ED9E3C518A452ACEE763BCE9";
  assert_int_equal(mbmsec_digest_response(&hs, out, sizeof out), MBMSEC_OK);
  assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
  hs.ha1_hex = "939e75";
  assert_int_equal(mbmsec_digest_response(&hs, out, sizeof out), MBMSEC_ERR_ARG);
  mbmsec_digest_result_cleanse(&r);
  assert_int_equal(r.ha1[0], 0);
}

static void test_rfc7616_vectors(void **state)
{
  (void)state;
  mbmsec_digest_result r;
  mbmsec_digest_input in = rfc7616_input(MBMSEC_DIGEST_MD5);
  assert_int_equal(mbmsec_digest_compute(&in, NULL, 0, &r), MBMSEC_OK);
  assert_string_equal(r.ha1, "3d78807defe7de2157e2b0b6573a855f");
  assert_string_equal(r.ha2, "39aff3a2bab6126f332b942af96d3366");
  assert_string_equal(r.response, "8ca523f5e9506fed4657c9700eebdbec");
  in = rfc7616_input(MBMSEC_DIGEST_SHA256);
  assert_int_equal(mbmsec_digest_compute(&in, NULL, 0, &r), MBMSEC_OK);
  assert_string_equal(r.ha1, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
  assert_string_equal(r.ha2, "9a3fdae9a622fe8de177c24fa9c070f2b181ec85e15dcbdc32e10c82ad450b04");
  assert_string_equal(r.response,
                      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  mbmsec_digest_result_cleanse(&r);
}

static void test_auth_int_and_sess(void **state)
{
  (void)state;
  /* auth-int with an empty body: H(entity-body) is H(""); spelled out here by hand. */
  mbmsec_digest_input in = rfc7616_input(MBMSEC_DIGEST_SHA256);
  in.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  mbmsec_digest_input manual = in;
  manual.qop = MBMSEC_DIGEST_QOP_AUTH;
  char a[MBMSEC_DIGEST_HEX_MAX + 1], b[MBMSEC_DIGEST_HEX_MAX + 1];
  assert_int_equal(mbmsec_digest_ha2(&in, a, sizeof a), MBMSEC_OK);
  manual.uri =
      S("/dir/index.html:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert_int_equal(mbmsec_digest_ha2(&manual, b, sizeof b), MBMSEC_OK);
  assert_string_equal(a, b);
  /* A body changes HA2 and the response; the response body changes only rspauth. */
  mbmsec_digest_result r1, r2;
  assert_int_equal(mbmsec_digest_compute(&in, (const uint8_t *)"x", 1, &r1), MBMSEC_OK);
  in.body = (const uint8_t *)"<mskRequest/>";
  in.body_len = 13;
  assert_int_equal(mbmsec_digest_compute(&in, (const uint8_t *)"y", 1, &r2), MBMSEC_OK);
  assert_string_not_equal(r1.ha2, r2.ha2);
  assert_string_not_equal(r1.response, r2.response);
  assert_string_not_equal(r1.rspauth, r2.rspauth);
  /* -sess: HA1 = H(H(user:realm:pw) ":" nonce ":" cnonce) in hex. */
  mbmsec_digest_input s = rfc7616_input(MBMSEC_DIGEST_SHA256_SESS);
  assert_int_equal(mbmsec_digest_ha1(&s, a, sizeof a), MBMSEC_OK);
  mbmsec_iov p[] = {{"7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232:", 65},
                    {"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v:", 45},
                    {"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", 44}};
  uint8_t d[32];
  assert_int_equal(mbmsec_hash(MBMSEC_MD_SHA256, p, 3, d), MBMSEC_OK);
  for (int i = 0; i < 32; i++) snprintf(b + 2 * i, 3, "%02x", d[i]);
  assert_string_equal(a, b);
  /* No qop (RFC 2069): response = H(HA1:nonce:HA2). */
  mbmsec_digest_input n = rfc2617_input();
  n.qop = MBMSEC_DIGEST_QOP_NONE;
  n.nc = S(NULL);
  n.cnonce = S(NULL);
  assert_int_equal(mbmsec_digest_response(&n, a, sizeof a), MBMSEC_OK);
  mbmsec_iov q[] = {{"939e7578ed9e3c518a452acee763bce9:dcd98b7102dd2f0e8b11d0f600bfb0c093:"
                     "39aff3a2bab6126f332b942af96d3366",
                     32 + 1 + 34 + 1 + 32}};
  assert_int_equal(mbmsec_hash(MBMSEC_MD_MD5, q, 1, d), MBMSEC_OK);
  for (int i = 0; i < 16; i++) snprintf(b + 2 * i, 3, "%02x", d[i]);
  assert_string_equal(a, b);
  /* Bad inputs. */
  mbmsec_digest_input bad = rfc2617_input();
  bad.nc = S("0000001");
  assert_int_equal(mbmsec_digest_response(&bad, a, sizeof a), MBMSEC_ERR_ARG);
  bad = rfc2617_input();
  bad.alg = (mbmsec_digest_alg)9;
  assert_int_equal(mbmsec_digest_response(&bad, a, sizeof a), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_digest_compute(NULL, NULL, 0, &r1), MBMSEC_ERR_ARG);
}

static void test_verify(void **state)
{
  (void)state;
  mbmsec_digest_input in = rfc2617_input();
  assert_int_equal(mbmsec_digest_verify(&in, S("6629fae49393a05397450978507c4ef1")), MBMSEC_OK);
  assert_int_equal(mbmsec_digest_verify(&in, S("6629FAE49393A05397450978507C4EF1")), MBMSEC_OK);
  char flip[] = "6629fae49393a05397450978507c4ef1";
  for (size_t i = 0; i < 32; i++) {
    char save = flip[i];
    flip[i] = save == '0' ? '1' : '0';
    assert_int_equal(mbmsec_digest_verify(&in, S(flip)), MBMSEC_ERR_DIGEST_MISMATCH);
    flip[i] = save;
  }
  assert_int_equal(mbmsec_digest_verify(&in, S("6629fae49393a05397450978507c4ef")),
                   MBMSEC_ERR_DIGEST_BAD_RESPONSE);
  assert_int_equal(mbmsec_digest_verify(&in, S("6629fae49393a05397450978507c4efg")),
                   MBMSEC_ERR_DIGEST_BAD_RESPONSE);
  in.password_len--; /* wrong password */
  assert_int_equal(mbmsec_digest_verify(&in, S("6629fae49393a05397450978507c4ef1")),
                   MBMSEC_ERR_DIGEST_MISMATCH);
  mbmsec_digest_input s = rfc7616_input(MBMSEC_DIGEST_SHA256);
  assert_int_equal(mbmsec_digest_verify(
                       &s, S("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_digest_verify(&s, S("753927fa0e85d155564e2e272a28d180")),
                   MBMSEC_ERR_DIGEST_BAD_RESPONSE);
}

static void test_aka_binary_res(void **state)
{
  (void)state;
  /* RES with 00 octets: it is hashed raw, all 8 octets, NULs included. */
  const uint8_t res[8] = {0x00, 0xa5, 0x00, 0x00, 0x3c, 0xff, 0x00, 0x01};
  mbmsec_digest_input in = {0};
  in.alg = MBMSEC_DIGEST_AKAV1_MD5;
  in.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  in.username = S("001010123456789@ims.mnc001.mcc001.3gppnetwork.org");
  in.realm = S("bsf.mnc001.mcc001.pub.3gppnetwork.org");
  in.password = res;
  in.password_len = sizeof res;
  in.method = S("GET");
  in.uri = S("/");
  in.nonce = S("CjPk9mRqNuT25RRkajM09uRqNuT25RRkajM09g==");
  in.nc = S("00000001");
  in.cnonce = S("6629fae49393a0539745");
  char ha1[MBMSEC_DIGEST_HEX_MAX + 1], want[33];
  assert_int_equal(mbmsec_digest_ha1(&in, ha1, sizeof ha1), MBMSEC_OK);
  uint8_t a1[200], d[16];
  size_t ul = in.username.len, rl = in.realm.len;
  memcpy(a1, in.username.p, ul);
  a1[ul] = ':';
  memcpy(a1 + ul + 1, in.realm.p, rl);
  a1[ul + 1 + rl] = ':';
  memcpy(a1 + ul + 2 + rl, res, sizeof res);
  mbmsec_iov p = {a1, ul + rl + 2 + sizeof res};
  assert_int_equal(mbmsec_hash(MBMSEC_MD_MD5, &p, 1, d), MBMSEC_OK);
  for (int i = 0; i < 16; i++) snprintf(want + 2 * i, 3, "%02x", d[i]);
  assert_string_equal(ha1, want);
  assert_int_equal(mbmsec_digest_hex_len(in.alg), 32);
  /* Only the first octet given: different HA1 (no C-string truncation anywhere). */
  mbmsec_digest_input one = in;
  one.password_len = 1;
  char other[MBMSEC_DIGEST_HEX_MAX + 1];
  assert_int_equal(mbmsec_digest_ha1(&one, other, sizeof other), MBMSEC_OK);
  assert_string_not_equal(ha1, other);
  char resp[MBMSEC_DIGEST_HEX_MAX + 1];
  assert_int_equal(mbmsec_digest_response(&in, resp, sizeof resp), MBMSEC_OK);
  assert_int_equal(mbmsec_digest_verify(&in, S(resp)), MBMSEC_OK);
  mbmsec_digest_input x = in;
  const uint8_t res2[8] = {0x00, 0xa5, 0x00, 0x00, 0x3c, 0xff, 0x00, 0x00};
  x.password = res2;
  assert_int_equal(mbmsec_digest_verify(&x, S(resp)), MBMSEC_ERR_DIGEST_MISMATCH);
}

/* ---- parsers ---- */

static const char RFC2617_CHALLENGE[] =
    "Digest                 realm=\"testrealm@host.com\",                 qop=\"auth,auth-int\","
    "                 nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\","
    "                 opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
static const char RFC2617_AUTHORIZATION[] =
    "Digest username=\"Mufasa\",                 realm=\"testrealm@host.com\","
    "                 nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\","
    "                 uri=\"/dir/index.html\",                 qop=auth,"
    "                 nc=00000001,                 cnonce=\"0a4f113b\","
    "                 response=\"6629fae49393a05397450978507c4ef1\","
    "                 opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
#define RFC7616_CHALLENGE(alg)                                                              \
  "Digest    realm=\"http-auth@example.org\",    qop=\"auth, auth-int\",    algorithm=" alg \
  ",    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\","                            \
  "    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
#define RFC7616_AUTHORIZATION(alg, resp)                                                        \
  "Digest username=\"Mufasa\",    realm=\"http-auth@example.org\",    uri=\"/dir/index.html\"," \
  "    algorithm=" alg ",    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\","           \
  "    nc=00000001,    cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",    qop=auth,"   \
  "    response=\"" resp "\",    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""

static mbmsec_digest_header *hdr(void)
{
  mbmsec_digest_header *h = malloc(sizeof *h);
  assert_non_null(h);
  return h;
}

static void test_parse_rfc_headers(void **state)
{
  (void)state;
  mbmsec_digest_header *h = hdr();
  /* RFC 2617 3.5 (the header lines joined as an HTTP parser hands them over). */
  assert_int_equal(mbmsec_digest_parse_challenge(RFC2617_CHALLENGE, strlen(RFC2617_CHALLENGE), h),
                   MBMSEC_OK);
  assert_int_equal(h->present, MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_QOP | MBMSEC_DIGEST_F_NONCE |
                                   MBMSEC_DIGEST_F_OPAQUE);
  assert_str(h->realm, "testrealm@host.com");
  assert_int_equal(h->qop_list, MBMSEC_DIGEST_QOPBIT_AUTH | MBMSEC_DIGEST_QOPBIT_AUTH_INT);
  assert_str(h->nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
  assert_str(h->opaque, "5ccc069c403ebaf9f0171e9517f40e41");
  assert_int_equal(h->ndirectives, 4);

  assert_int_equal(
      mbmsec_digest_parse_authorization(RFC2617_AUTHORIZATION, strlen(RFC2617_AUTHORIZATION), 0, h),
      MBMSEC_OK);
  assert_str(h->username, "Mufasa");
  assert_str(h->realm, "testrealm@host.com");
  assert_str(h->nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
  assert_str(h->uri, "/dir/index.html");
  assert_int_equal(h->qop, MBMSEC_DIGEST_QOP_AUTH);
  assert_string_equal(h->nc, "00000001");
  assert_int_equal(h->nc_value, 1);
  assert_str(h->cnonce, "0a4f113b");
  assert_str(h->response, "6629fae49393a05397450978507c4ef1");
  assert_str(h->opaque, "5ccc069c403ebaf9f0171e9517f40e41");
  assert_false(h->present & MBMSEC_DIGEST_F_ALGORITHM);
  /* Server side: parse, fill, verify. */
  mbmsec_digest_input in;
  const char *pw = "Circle Of Life";
  assert_int_equal(mbmsec_digest_input_from_authorization(h, S("GET"), (const uint8_t *)pw,
                                                          strlen(pw), NULL, 0, &in),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_digest_verify(&in, h->response), MBMSEC_OK);

  /* RFC 7616 3.9.1: both challenges, both Authorizations. */
  static const struct {
    const char *chal, *auth, *resp;
    mbmsec_digest_alg alg;
  } r7616[] = {
      {RFC7616_CHALLENGE("SHA-256"),
       RFC7616_AUTHORIZATION("SHA-256",
                             "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
       "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", MBMSEC_DIGEST_SHA256},
      {RFC7616_CHALLENGE("MD5"), RFC7616_AUTHORIZATION("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
       "8ca523f5e9506fed4657c9700eebdbec", MBMSEC_DIGEST_MD5},
  };
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(mbmsec_digest_parse_challenge(r7616[i].chal, strlen(r7616[i].chal), h),
                     MBMSEC_OK);
    assert_str(h->realm, "http-auth@example.org");
    assert_int_equal(h->qop_list, MBMSEC_DIGEST_QOPBIT_AUTH | MBMSEC_DIGEST_QOPBIT_AUTH_INT);
    assert_true(h->present & MBMSEC_DIGEST_F_ALGORITHM);
    assert_int_equal(h->algorithm, r7616[i].alg);
    assert_str(h->nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
    assert_str(h->opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
    assert_false(h->present & MBMSEC_DIGEST_F_STALE);

    assert_int_equal(mbmsec_digest_parse_authorization(r7616[i].auth, strlen(r7616[i].auth), 0, h),
                     MBMSEC_OK);
    assert_str(h->username, "Mufasa");
    assert_str(h->realm, "http-auth@example.org");
    assert_str(h->uri, "/dir/index.html");
    assert_int_equal(h->algorithm, r7616[i].alg);
    assert_str(h->nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
    assert_string_equal(h->nc, "00000001");
    assert_str(h->cnonce, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
    assert_int_equal(h->qop, MBMSEC_DIGEST_QOP_AUTH);
    assert_str(h->response, r7616[i].resp);
    assert_str(h->opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
    const char *p7 = "Circle of Life";
    assert_int_equal(mbmsec_digest_input_from_authorization(h, S("GET"), (const uint8_t *)p7,
                                                            strlen(p7), NULL, 0, &in),
                     MBMSEC_OK);
    assert_int_equal(mbmsec_digest_verify(&in, h->response), MBMSEC_OK);
  }
  free(h);
}

static void test_parse_details(void **state)
{
  (void)state;
  mbmsec_digest_header *h = hdr();
  /* Escapes, case-insensitive names and scheme, empty list elements, quoted tokens, stale. */
  const char *c =
      "  dIgEsT ,REALM=\"a\\\"b\\\\c\\d\" ,, nonce = \"n\" , algorithm=\"sha-256-SESS\", "
      "stale=TRUE, qop=\"auth-int, x-future\", userhash=true, ";
  assert_int_equal(mbmsec_digest_parse_challenge(c, strlen(c), h), MBMSEC_OK);
  assert_str(h->realm, "a\"b\\cd");
  assert_str(h->nonce, "n");
  assert_int_equal(h->algorithm, MBMSEC_DIGEST_SHA256_SESS);
  assert_true(h->stale);
  assert_int_equal(h->qop_list, MBMSEC_DIGEST_QOPBIT_AUTH_INT);
  /* AKA first request (TS 24.109 A.3): only with the lenient flag. */
  const char *first = "Digest username=\"user@ims.example.com\", realm=\"bsf.example.com\", "
                      "nonce=\"\", uri=\"/\", response=\"\"";
  assert_int_equal(mbmsec_digest_parse_authorization(first, strlen(first), 0, h),
                   MBMSEC_ERR_DIGEST_EMPTY);
  assert_int_equal(
      mbmsec_digest_parse_authorization(first, strlen(first), MBMSEC_DIGEST_LENIENT_EMPTY, h),
      MBMSEC_OK);
  assert_int_equal(h->nonce.len, 0);
  assert_int_equal(h->response.len, 0);
  assert_str(h->username, "user@ims.example.com");
  /* Authentication-Info, nc upper case kept as sent. */
  const char *ai = "qop=auth-int, rspauth=\"6629fae49393a05397450978507c4ef1\", cnonce=\"c\", "
                   "nc=0000000A, nextnonce=\"nn\"";
  assert_int_equal(mbmsec_digest_parse_auth_info(ai, strlen(ai), h), MBMSEC_OK);
  assert_int_equal(h->qop, MBMSEC_DIGEST_QOP_AUTH_INT);
  assert_string_equal(h->nc, "0000000A");
  assert_int_equal(h->nc_value, 10);
  assert_str(h->nextnonce, "nn");
  assert_str(h->rspauth, "6629fae49393a05397450978507c4ef1");
  /* Bad arguments. */
  assert_int_equal(mbmsec_digest_parse(MBMSEC_DIGEST_AUTHORIZATION, NULL, 3, 0, h), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_digest_parse((mbmsec_digest_kind)7, "x", 1, 0, h), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_digest_parse(MBMSEC_DIGEST_AUTHORIZATION, "x", 1, 0, NULL),
                   MBMSEC_ERR_ARG);
  free(h);
}

/* ---- builders ---- */

static void same_fields(const mbmsec_digest_header *a, const mbmsec_digest_header *b)
{
  assert_int_equal(a->present, b->present);
  const size_t offs[] = {
      offsetof(mbmsec_digest_header, realm),     offsetof(mbmsec_digest_header, domain),
      offsetof(mbmsec_digest_header, nonce),     offsetof(mbmsec_digest_header, opaque),
      offsetof(mbmsec_digest_header, username),  offsetof(mbmsec_digest_header, uri),
      offsetof(mbmsec_digest_header, response),  offsetof(mbmsec_digest_header, cnonce),
      offsetof(mbmsec_digest_header, nextnonce), offsetof(mbmsec_digest_header, rspauth)};
  for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
    const mbmsec_digest_str *x = (const void *)((const char *)a + offs[i]);
    const mbmsec_digest_str *y = (const void *)((const char *)b + offs[i]);
    assert_int_equal(x->len, y->len);
    if (x->len) assert_memory_equal(x->p, y->p, x->len);
  }
  if (a->present & MBMSEC_DIGEST_F_ALGORITHM) assert_int_equal(a->algorithm, b->algorithm);
  if (a->present & MBMSEC_DIGEST_F_STALE) assert_int_equal(a->stale, b->stale);
  if (a->present & MBMSEC_DIGEST_F_NC) assert_string_equal(a->nc, b->nc);
}

static void test_build_round_trip(void **state)
{
  (void)state;
  mbmsec_digest_header *b = hdr(), *p = hdr(), *q = hdr();
  char out[MBMSEC_DIGEST_HEADER_MAX + 1];
  size_t n;
  /* Challenge with the profile's fields and awkward characters. */
  memset(b, 0, sizeof *b);
  b->present = MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE | MBMSEC_DIGEST_F_OPAQUE |
               MBMSEC_DIGEST_F_ALGORITHM | MBMSEC_DIGEST_F_QOP | MBMSEC_DIGEST_F_STALE |
               MBMSEC_DIGEST_F_DOMAIN;
  b->realm = S("3GPP-bootstrapping@bmsc.example.org");
  b->domain = S("/keymanagement");
  b->nonce = S("q\"uo\\te,=\t x");
  b->opaque = S("");
  b->algorithm = MBMSEC_DIGEST_SHA256;
  b->qop_list = MBMSEC_DIGEST_QOPBIT_AUTH_INT;
  b->stale = true;
  assert_int_equal(mbmsec_digest_build_challenge(b, out, sizeof out, &n), MBMSEC_OK);
  assert_int_equal(n, strlen(out));
  assert_string_equal(
      out, "Digest realm=\"3GPP-bootstrapping@bmsc.example.org\", domain=\"/keymanagement\", "
           "nonce=\"q\\\"uo\\\\te,=\t x\", opaque=\"\", stale=true, algorithm=SHA-256, "
           "qop=\"auth-int\"");
  assert_int_equal(mbmsec_digest_parse_challenge(out, n, p), MBMSEC_OK);
  same_fields(b, p);
  assert_int_equal(p->qop_list, MBMSEC_DIGEST_QOPBIT_AUTH_INT);
  assert_int_equal(mbmsec_digest_build_challenge(b, out, 20, &n), MBMSEC_ERR_SPACE);
  b->nonce = S("bad\nnonce");
  assert_int_equal(mbmsec_digest_build_challenge(b, out, sizeof out, &n), MBMSEC_ERR_DIGEST_CTL);
  b->present &= ~MBMSEC_DIGEST_F_NONCE;
  assert_int_equal(mbmsec_digest_build_challenge(b, out, sizeof out, &n),
                   MBMSEC_ERR_DIGEST_MISSING);

  /* Authorization, each algorithm, each qop. */
  for (int alg = 0; alg < 5; alg++)
    for (int qop = 0; qop < 3; qop++) {
      memset(b, 0, sizeof *b);
      b->present = MBMSEC_DIGEST_F_USERNAME | MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE |
                   MBMSEC_DIGEST_F_URI | MBMSEC_DIGEST_F_RESPONSE | MBMSEC_DIGEST_F_ALGORITHM |
                   MBMSEC_DIGEST_F_OPAQUE;
      b->username = S("B-TID\"x\"@bsf");
      b->realm = S("3GPP-bootstrapping@bmsc.example.org");
      b->nonce = S("bm9uY2U=");
      b->uri = S("/keymanagement?requesttype=msk-request");
      b->algorithm = (mbmsec_digest_alg)alg;
      b->response = mbmsec_digest_hex_len(b->algorithm) == 64
                        ? S("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
                        : S("6629fae49393a05397450978507c4ef1");
      b->opaque = S("o");
      if (qop) {
        b->present |= MBMSEC_DIGEST_F_QOP | MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE;
        b->qop = (mbmsec_digest_qop)qop;
        memcpy(b->nc, "0000002f", 9);
        b->cnonce = S("c\\n");
      }
      assert_int_equal(mbmsec_digest_build_authorization(b, out, sizeof out, &n), MBMSEC_OK);
      assert_int_equal(mbmsec_digest_parse_authorization(out, n, 0, p), MBMSEC_OK);
      same_fields(b, p);
      assert_int_equal(p->qop, b->qop);
      /* build(parse(build)) is the same text */
      char again[MBMSEC_DIGEST_HEADER_MAX + 1];
      assert_int_equal(mbmsec_digest_build_authorization(p, again, sizeof again, NULL), MBMSEC_OK);
      assert_string_equal(out, again);
    }
  assert_non_null(strstr(out, "algorithm=AKAv1-MD5, qop=auth-int, nc=0000002f, cnonce=\"c\\\\n\""));
  b->response = S("6629");
  assert_int_equal(mbmsec_digest_build_authorization(b, out, sizeof out, &n),
                   MBMSEC_ERR_DIGEST_BAD_RESPONSE);

  /* Authentication-Info. */
  memset(b, 0, sizeof *b);
  b->present = MBMSEC_DIGEST_F_QOP | MBMSEC_DIGEST_F_RSPAUTH | MBMSEC_DIGEST_F_CNONCE |
               MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_NEXTNONCE;
  b->qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  b->rspauth = S("9a3fdae9a622fe8de177c24fa9c070f2b181ec85e15dcbdc32e10c82ad450b04");
  b->cnonce = S("cn");
  memcpy(b->nc, "00000002", 9);
  b->nextnonce = S("next");
  assert_int_equal(mbmsec_digest_build_auth_info(b, out, sizeof out, &n), MBMSEC_OK);
  assert_string_equal(
      out,
      "qop=auth-int, rspauth=\"9a3fdae9a622fe8de177c24fa9c070f2b181ec85e15dcbdc32e10c82ad450b04\", "
      "cnonce=\"cn\", nc=00000002, nextnonce=\"next\"");
  assert_int_equal(mbmsec_digest_parse_auth_info(out, n, q), MBMSEC_OK);
  same_fields(b, q);
  memcpy(b->nc, "00000000", 9);
  assert_int_equal(mbmsec_digest_build_auth_info(b, out, sizeof out, &n), MBMSEC_ERR_DIGEST_BAD_NC);
  b->present &= ~MBMSEC_DIGEST_F_NC;
  assert_int_equal(mbmsec_digest_build_auth_info(b, out, sizeof out, &n),
                   MBMSEC_ERR_DIGEST_MISSING);
  free(b);
  free(p);
  free(q);
}

/* ---- malformed headers ---- */

enum {
  WA = MBMSEC_DIGEST_WWW_AUTHENTICATE,
  AZ = MBMSEC_DIGEST_AUTHORIZATION,
  AI = MBMSEC_DIGEST_AUTHENTICATION_INFO
};
#define OKAZ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", "
#define R32  "6629fae49393a05397450978507c4ef1"

static const struct {
  int kind;
  const char *value;
  mbmsec_err want;
} BAD[] = {
    {AZ, "", MBMSEC_ERR_DIGEST_EMPTY},
    {WA, " \t ", MBMSEC_ERR_DIGEST_EMPTY},
    {AI, ", ,,", MBMSEC_ERR_DIGEST_EMPTY},
    {AZ, OKAZ "response=\"\"", MBMSEC_ERR_DIGEST_EMPTY},
    {AZ, "Digest username=\"\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"" R32 "\"",
     MBMSEC_ERR_DIGEST_EMPTY},
    {AZ, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", MBMSEC_ERR_DIGEST_SCHEME},
    {WA, "Digestrealm=\"r\", nonce=\"n\"", MBMSEC_ERR_DIGEST_SCHEME},
    {WA, "\"Digest\" realm=\"r\", nonce=\"n\"", MBMSEC_ERR_DIGEST_SCHEME},
    {AZ, "Digest username=\"u\" realm=\"r\"", MBMSEC_ERR_DIGEST_SYNTAX},
    {WA, "Digest realm", MBMSEC_ERR_DIGEST_SYNTAX},
    {WA, "Digest realm=, nonce=\"n\"", MBMSEC_ERR_DIGEST_SYNTAX},
    {WA, "Digest realm=\"r\", nonce=\"n\", Basic realm=\"b\"", MBMSEC_ERR_DIGEST_SYNTAX},
    {WA, "Digest\trealm=\"r\", nonce=\"n\"", MBMSEC_ERR_DIGEST_SYNTAX},
    {WA, "Digest realm=\"r", MBMSEC_ERR_DIGEST_UNTERMINATED},
    {WA, "Digest realm=\"r\\", MBMSEC_ERR_DIGEST_UNTERMINATED},
    {WA, "Digest realm=\"r\\\x01\", nonce=\"n\"", MBMSEC_ERR_DIGEST_ESCAPE},
    {WA, "Digest realm=\"r\\\x7f\", nonce=\"n\"", MBMSEC_ERR_DIGEST_ESCAPE},
    {WA, "Digest realm=\"a\", REALM=\"b\", nonce=\"n\"", MBMSEC_ERR_DIGEST_DUPLICATE},
    {AZ, OKAZ "response=\"" R32 "\", nc=00000001, qop=auth, cnonce=\"c\", nc=00000002",
     MBMSEC_ERR_DIGEST_DUPLICATE},
    {WA, "Digest realm=\"r\"", MBMSEC_ERR_DIGEST_MISSING},
    {WA, "Digest", MBMSEC_ERR_DIGEST_MISSING},
    {AZ, OKAZ "qop=auth, nc=00000001, cnonce=\"c\"", MBMSEC_ERR_DIGEST_MISSING},
    {AZ, OKAZ "response=\"" R32 "\", qop=auth, nc=00000001", MBMSEC_ERR_DIGEST_MISSING},
    {AI, "qop=auth, cnonce=\"c\", nc=00000001", MBMSEC_ERR_DIGEST_MISSING},
    {WA, "Digest realm=\"r\", nonce=\"%OVERSIZE%\"", MBMSEC_ERR_DIGEST_OVERSIZE},
    {WA, "Digest realm=\"r\", x=%OVERSIZE%, nonce=\"n\"", MBMSEC_ERR_DIGEST_OVERSIZE},
    {WA, "%TOO_MANY%", MBMSEC_ERR_DIGEST_TOO_MANY},
    {WA, "%TOO_LONG%", MBMSEC_ERR_DIGEST_HEADER_TOO_LONG},
    {AZ, OKAZ "response=\"" R32 "\", qop=auth, nc=0000001, cnonce=\"c\"", MBMSEC_ERR_DIGEST_BAD_NC},
    {AZ, OKAZ "response=\"" R32 "\", qop=auth, nc=00000000, cnonce=\"c\"",
     MBMSEC_ERR_DIGEST_BAD_NC},
    {AZ, OKAZ "response=\"" R32 "\", qop=auth, nc=0000000g, cnonce=\"c\"",
     MBMSEC_ERR_DIGEST_BAD_NC},
    {AI, "qop=auth, rspauth=\"" R32 "\", cnonce=\"c\", nc=000000001", MBMSEC_ERR_DIGEST_BAD_NC},
    {AZ, OKAZ "response=\"" R32 "\", qop=auth-conf, nc=00000001, cnonce=\"c\"",
     MBMSEC_ERR_DIGEST_BAD_QOP},
    {AZ, OKAZ "response=\"" R32 "\", qop=AUTH, nc=00000001, cnonce=\"c\"",
     MBMSEC_ERR_DIGEST_BAD_QOP},
    {WA, "Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf\"", MBMSEC_ERR_DIGEST_BAD_QOP},
    {WA, "Digest realm=\"r\", nonce=\"n\", qop=\"auth/int\"", MBMSEC_ERR_DIGEST_BAD_QOP},
    {AZ, OKAZ "response=\"" R32 "\", nc=00000001, cnonce=\"c\"", MBMSEC_ERR_DIGEST_BAD_QOP},
    {WA, "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256", MBMSEC_ERR_DIGEST_BAD_ALGORITHM},
    {AZ, OKAZ "response=\"" R32 "\", algorithm=AKAv2-MD5", MBMSEC_ERR_DIGEST_BAD_ALGORITHM},
    {WA, "Digest realm=\"r\", n@nce=\"n\"", MBMSEC_ERR_DIGEST_BAD_TOKEN},
    {WA, "Digest realm=\"r\", nonce=\"n\", algorithm=MD5/x", MBMSEC_ERR_DIGEST_BAD_TOKEN},
    {WA, "Digest realm=\"r\", nonce=\"n\", (x)=1", MBMSEC_ERR_DIGEST_BAD_TOKEN},
    {WA, "Digest realm=\"r\x01\", nonce=\"n\"", MBMSEC_ERR_DIGEST_CTL},
    {WA, "Digest realm=\"r\", nonce=\"n\"\r\n", MBMSEC_ERR_DIGEST_CTL},
    {WA, "Digest realm=\"r\", nonce=\x7fn", MBMSEC_ERR_DIGEST_CTL},
    {AZ, OKAZ "response=\"6629fae49393a05397450978507c4ef\"", MBMSEC_ERR_DIGEST_BAD_RESPONSE},
    {AZ, OKAZ "algorithm=SHA-256, response=\"" R32 "\"", MBMSEC_ERR_DIGEST_BAD_RESPONSE},
    {AZ, OKAZ "response=\"6629fae49393a05397450978507c4efz\"", MBMSEC_ERR_DIGEST_BAD_RESPONSE},
    {AI, "rspauth=\"xyz\"", MBMSEC_ERR_DIGEST_BAD_RESPONSE},
    {WA, "Digest realm=\"r\", nonce=\"n\", stale=maybe", MBMSEC_ERR_DIGEST_BAD_STALE},
    {WA, "Digest realm=\"r\", nonce=\"n\", stale=\"\"", MBMSEC_ERR_DIGEST_BAD_STALE},
    {WA, "Digest realm=r, nonce=\"n\"", MBMSEC_ERR_DIGEST_QUOTING},
    {AZ, "Digest username=u, realm=\"r\", nonce=\"n\", uri=\"/\", response=\"" R32 "\"",
     MBMSEC_ERR_DIGEST_QUOTING},
    {WA, "Digest realm=\"r\", nonce=\"n\", qop=auth", MBMSEC_ERR_DIGEST_QUOTING},
    {WA, "Digest realm=\"r\", nonce=\"n\", %LONG_NAME%=1", MBMSEC_ERR_DIGEST_UNKNOWN_DIRECTIVE},
};

/* Expands the %...% placeholders into buf; returns the length. */
static size_t expand(const char *v, char *buf, size_t cap)
{
  const char *m = strchr(v, '%');
  size_t n = 0;
  if (!m) {
    n = strlen(v);
    assert_true(n < cap);
    memcpy(buf, v, n);
    return n;
  }
  const char *e = strchr(m + 1, '%');
  assert_non_null(e);
  memcpy(buf, v, (size_t)(m - v));
  n = (size_t)(m - v);
  if (!strncmp(m, "%OVERSIZE%", 10)) {
    memset(buf + n, 'a', MBMSEC_DIGEST_VALUE_MAX + 1);
    n += MBMSEC_DIGEST_VALUE_MAX + 1;
  } else if (!strncmp(m, "%TOO_MANY%", 10)) {
    n += (size_t)sprintf(buf + n, "Digest realm=\"r\", nonce=\"n\"");
    for (int i = 0; i < MBMSEC_DIGEST_DIRECTIVES_MAX - 1; i++)
      n += (size_t)sprintf(buf + n, ", x%d=1", i);
  } else if (!strncmp(m, "%TOO_LONG%", 10)) {
    n += (size_t)sprintf(buf + n, "Digest realm=\"r\", nonce=\"");
    memset(buf + n, 'a', MBMSEC_DIGEST_HEADER_MAX);
    n += MBMSEC_DIGEST_HEADER_MAX;
    buf[n++] = '"';
  } else if (!strncmp(m, "%LONG_NAME%", 11)) {
    memset(buf + n, 'x', MBMSEC_DIGEST_NAME_MAX + 1);
    n += MBMSEC_DIGEST_NAME_MAX + 1;
  }
  size_t rest = strlen(e + 1);
  assert_true(n + rest < cap);
  memcpy(buf + n, e + 1, rest);
  return n + rest;
}

static void test_malformed(void **state)
{
  (void)state;
  mbmsec_digest_header *h = hdr();
  char *buf = malloc(3 * MBMSEC_DIGEST_HEADER_MAX);
  assert_non_null(buf);
  const size_t count = sizeof BAD / sizeof BAD[0];
  assert_true(count >= 25);
  bool seen[20] = {0};
  for (size_t i = 0; i < count; i++) {
    size_t n = expand(BAD[i].value, buf, 3 * MBMSEC_DIGEST_HEADER_MAX);
    /* An exact-size heap copy, so that ASan sees any read past the end. */
    char *exact = malloc(n ? n : 1);
    assert_non_null(exact);
    memcpy(exact, buf, n);
    mbmsec_err got = mbmsec_digest_parse((mbmsec_digest_kind)BAD[i].kind, exact, n, 0, h);
    if (got != BAD[i].want)
      fail_msg("case %zu '%.80s': got %s, want %s", i, BAD[i].value, mbmsec_errname(got),
               mbmsec_errname(BAD[i].want));
    free(exact);
    if (BAD[i].want >= 300 && BAD[i].want < 320) seen[BAD[i].want - 300] = true;
  }
  /* Every parser code (300..316, 318, 319) is exercised at least once. */
  for (int c = 0; c < 20; c++)
    if (c != 17) assert_true(seen[c]);
  /* The valid neighbour of the TOO_MANY case (32 elements) is accepted. */
  size_t n = (size_t)sprintf(buf, "Digest realm=\"r\", nonce=\"n\"");
  for (int i = 0; i < MBMSEC_DIGEST_DIRECTIVES_MAX - 2; i++)
    n += (size_t)sprintf(buf + n, ", x%d=1", i);
  assert_int_equal(mbmsec_digest_parse_challenge(buf, n, h), MBMSEC_OK);
  /* And a value of exactly the cap. */
  n = (size_t)sprintf(buf, "Digest realm=\"r\", nonce=\"");
  memset(buf + n, 'b', MBMSEC_DIGEST_VALUE_MAX);
  n += MBMSEC_DIGEST_VALUE_MAX;
  buf[n++] = '"';
  assert_int_equal(mbmsec_digest_parse_challenge(buf, n, h), MBMSEC_OK);
  assert_int_equal(h->nonce.len, MBMSEC_DIGEST_VALUE_MAX);
  /* Every prefix of a valid header: an error or OK, never a crash or an over-read. */
  const char *full = RFC2617_AUTHORIZATION;
  for (size_t k = 0; k <= strlen(full); k++) {
    char *exact = malloc(k ? k : 1);
    memcpy(exact, full, k);
    (void)mbmsec_digest_parse_authorization(exact, k, 0, h);
    (void)mbmsec_digest_parse_challenge(exact, k, h);
    (void)mbmsec_digest_parse_auth_info(exact, k, h);
    free(exact);
  }
  free(buf);
  free(h);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc2617_vector),    cmocka_unit_test(test_rfc7616_vectors),
      cmocka_unit_test(test_auth_int_and_sess), cmocka_unit_test(test_verify),
      cmocka_unit_test(test_aka_binary_res),    cmocka_unit_test(test_parse_rfc_headers),
      cmocka_unit_test(test_parse_details),     cmocka_unit_test(test_build_round_trip),
      cmocka_unit_test(test_malformed),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mbmsec_crypto_cleanup();
  return rc;
}
