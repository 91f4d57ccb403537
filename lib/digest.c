/* HTTP Digest computations (RFC 7616 3.4, RFC 2617 3.2.2, RFC 3310 3.3) and header builders. */
#include "mbmsec/digest.h"

#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"

static const struct {
  const char *name;
  mbmsec_md md;
  bool sess;
} ALGS[] = {
    [MBMSEC_DIGEST_MD5] = {"MD5", MBMSEC_MD_MD5, false},
    [MBMSEC_DIGEST_SHA256] = {"SHA-256", MBMSEC_MD_SHA256, false},
    [MBMSEC_DIGEST_MD5_SESS] = {"MD5-sess", MBMSEC_MD_MD5, true},
    [MBMSEC_DIGEST_SHA256_SESS] = {"SHA-256-sess", MBMSEC_MD_SHA256, true},
    [MBMSEC_DIGEST_AKAV1_MD5] = {"AKAv1-MD5", MBMSEC_MD_MD5, false},
};
#define NALGS (sizeof ALGS / sizeof ALGS[0])

static bool alg_ok(mbmsec_digest_alg a) { return (unsigned)a < NALGS; }
static bool qop_ok(mbmsec_digest_qop q) { return (unsigned)q <= MBMSEC_DIGEST_QOP_AUTH_INT; }

mbmsec_digest_str mbmsec_digest_s(const char *s)
{
  mbmsec_digest_str r = {s, s ? strlen(s) : 0};
  return r;
}

size_t mbmsec_digest_hex_len(mbmsec_digest_alg alg)
{
  return alg_ok(alg) ? 2 * mbmsec_md_size(ALGS[alg].md) : 0;
}

const char *mbmsec_digest_alg_name(mbmsec_digest_alg alg)
{
  return alg_ok(alg) ? ALGS[alg].name : NULL;
}

mbmsec_err mbmsec_digest_alg_from_name(const char *s, size_t len, mbmsec_digest_alg *alg)
{
  ENSURE(s || len == 0, MBMSEC_ERR_DIGEST_BAD_ALGORITHM);
  for (size_t i = 0; i < NALGS; i++)
    if (mbmsec_ascii_ieq(s, len, ALGS[i].name)) {
      if (alg) *alg = (mbmsec_digest_alg)i;
      return MBMSEC_OK;
    }
  return MBMSEC_ERR_DIGEST_BAD_ALGORITHM;
}

const char *mbmsec_digest_qop_name(mbmsec_digest_qop qop)
{
  switch (qop) {
  case MBMSEC_DIGEST_QOP_NONE:
    return "";
  case MBMSEC_DIGEST_QOP_AUTH:
    return "auth";
  case MBMSEC_DIGEST_QOP_AUTH_INT:
    return "auth-int";
  }
  return NULL;
}

/* ---- computations ---- */

static bool str_ok(mbmsec_digest_str s) { return s.p != NULL || s.len == 0; }
static mbmsec_iov iov_s(mbmsec_digest_str s) { return (mbmsec_iov){s.p ? s.p : "", s.len}; }
static mbmsec_iov iov_c(const char *c) { return (mbmsec_iov){c, strlen(c)}; }
static const mbmsec_iov COLON = {":", 1};

static mbmsec_err check_input(const mbmsec_digest_input *in)
{
  ENSURE(in && alg_ok(in->alg) && qop_ok(in->qop), MBMSEC_ERR_ARG);
  ENSURE(str_ok(in->username) && str_ok(in->realm) && str_ok(in->nonce) && str_ok(in->cnonce) &&
             str_ok(in->nc) && str_ok(in->method) && str_ok(in->uri),
         MBMSEC_ERR_ARG);
  ENSURE(in->password || in->password_len == 0, MBMSEC_ERR_ARG);
  ENSURE(in->body || in->body_len == 0, MBMSEC_ERR_ARG);
  if (in->qop != MBMSEC_DIGEST_QOP_NONE)
    ENSURE(in->nc.len == 8 && mbmsec_hex_digits(in->nc.p, 8), MBMSEC_ERR_ARG);
  if (in->ha1_hex) {
    size_t n = strlen(in->ha1_hex);
    ENSURE(n == mbmsec_digest_hex_len(in->alg) && mbmsec_hex_digits(in->ha1_hex, n),
           MBMSEC_ERR_ARG);
  }
  return MBMSEC_OK;
}

/* out (hex, NUL-terminated, 2*size+1) = H(parts). */
static mbmsec_err hash_hex(mbmsec_md md, const mbmsec_iov *parts, size_t n, char *out)
{
  uint8_t d[MBMSEC_MD_MAX_SIZE];
  mbmsec_err rc = mbmsec_hash(md, parts, n, d);
  if (rc == MBMSEC_OK)
    rc = mbmsec_hex_encode(d, mbmsec_md_size(md), out, MBMSEC_DIGEST_HEX_MAX + 1);
  mbmsec_cleanse(d, sizeof d);
  return rc;
}

/* HA1 into out[65]; input already checked. */
static mbmsec_err ha1_raw(const mbmsec_digest_input *in, char *out)
{
  const mbmsec_md md = ALGS[in->alg].md;
  char inner[MBMSEC_DIGEST_HEX_MAX + 1];
  mbmsec_err rc = MBMSEC_OK;
  if (in->ha1_hex) {
    size_t n = strlen(in->ha1_hex);
    for (size_t i = 0; i <= n; i++) {
      char c = in->ha1_hex[i];
      inner[i] = (c >= 'A' && c <= 'F') ? (char)(c + 32) : c;
    }
  } else {
    const mbmsec_iov p[] = {iov_s(in->username),
                            COLON,
                            iov_s(in->realm),
                            COLON,
                            {in->password ? (const void *)in->password : "", in->password_len}};
    GUARD_OUT(hash_hex(md, p, 5, inner));
  }
  if (ALGS[in->alg].sess) {
    const mbmsec_iov p[] = {iov_c(inner), COLON, iov_s(in->nonce), COLON, iov_s(in->cnonce)};
    GUARD_OUT(hash_hex(md, p, 5, out));
  } else {
    memcpy(out, inner, sizeof inner);
  }
out:
  mbmsec_cleanse(inner, sizeof inner);
  return rc;
}

/* H(method ":" uri [":" H(body)]) into out[65]. */
static mbmsec_err ha2_raw(const mbmsec_digest_input *in, mbmsec_digest_str method,
                          const uint8_t *body, size_t body_len, char *out)
{
  const mbmsec_md md = ALGS[in->alg].md;
  if (in->qop == MBMSEC_DIGEST_QOP_AUTH_INT) {
    char hb[MBMSEC_DIGEST_HEX_MAX + 1];
    const mbmsec_iov b = {body ? (const void *)body : "", body_len};
    GUARD(hash_hex(md, &b, 1, hb));
    const mbmsec_iov p[] = {iov_s(method), COLON, iov_s(in->uri), COLON, iov_c(hb)};
    return hash_hex(md, p, 5, out);
  }
  const mbmsec_iov p[] = {iov_s(method), COLON, iov_s(in->uri)};
  return hash_hex(md, p, 3, out);
}

/* KD(HA1, nonce ":" [nc ":" cnonce ":" qop ":"] HA2) into out[65]. */
static mbmsec_err kd_raw(const mbmsec_digest_input *in, const char *ha1, const char *ha2, char *out)
{
  const mbmsec_md md = ALGS[in->alg].md;
  if (in->qop == MBMSEC_DIGEST_QOP_NONE) {
    const mbmsec_iov p[] = {iov_c(ha1), COLON, iov_s(in->nonce), COLON, iov_c(ha2)};
    return hash_hex(md, p, 5, out);
  }
  const mbmsec_iov p[] = {iov_c(ha1),
                          COLON,
                          iov_s(in->nonce),
                          COLON,
                          iov_s(in->nc),
                          COLON,
                          iov_s(in->cnonce),
                          COLON,
                          iov_c(mbmsec_digest_qop_name(in->qop)),
                          COLON,
                          iov_c(ha2)};
  return hash_hex(md, p, 11, out);
}

static mbmsec_err copy_out(const char *v, char *out, size_t cap)
{
  size_t n = strlen(v);
  ENSURE(out, MBMSEC_ERR_ARG);
  ENSURE(cap > n, MBMSEC_ERR_SPACE);
  memcpy(out, v, n + 1);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_digest_compute(const mbmsec_digest_input *in, const uint8_t *resp_body,
                                 size_t resp_body_len, mbmsec_digest_result *res)
{
  ENSURE(res, MBMSEC_ERR_ARG);
  mbmsec_err rc = MBMSEC_OK;
  memset(res, 0, sizeof *res);
  GUARD_OUT(check_input(in));
  ENSURE_OUT(resp_body || resp_body_len == 0, MBMSEC_ERR_ARG);
  GUARD_OUT(ha1_raw(in, res->ha1));
  GUARD_OUT(ha2_raw(in, in->method, in->body, in->body_len, res->ha2));
  GUARD_OUT(kd_raw(in, res->ha1, res->ha2, res->response));
  char ha2r[MBMSEC_DIGEST_HEX_MAX + 1];
  GUARD_OUT(ha2_raw(in, (mbmsec_digest_str){"", 0}, resp_body, resp_body_len, ha2r));
  GUARD_OUT(kd_raw(in, res->ha1, ha2r, res->rspauth));
out:
  if (rc != MBMSEC_OK) mbmsec_digest_result_cleanse(res);
  return rc;
}

void mbmsec_digest_result_cleanse(mbmsec_digest_result *res)
{
  if (res) mbmsec_cleanse(res, sizeof *res);
}

mbmsec_err mbmsec_digest_ha1(const mbmsec_digest_input *in, char *out, size_t cap)
{
  char ha1[MBMSEC_DIGEST_HEX_MAX + 1];
  GUARD(check_input(in));
  mbmsec_err rc = ha1_raw(in, ha1);
  if (rc == MBMSEC_OK) rc = copy_out(ha1, out, cap);
  mbmsec_cleanse(ha1, sizeof ha1);
  return rc;
}

mbmsec_err mbmsec_digest_ha2(const mbmsec_digest_input *in, char *out, size_t cap)
{
  char ha2[MBMSEC_DIGEST_HEX_MAX + 1];
  GUARD(check_input(in));
  GUARD(ha2_raw(in, in->method, in->body, in->body_len, ha2));
  return copy_out(ha2, out, cap);
}

/* Response (method = request method, body = request body) or rspauth (method "", body =
 * response body). */
static mbmsec_err request_digest(const mbmsec_digest_input *in, mbmsec_digest_str method,
                                 const uint8_t *body, size_t body_len, char *out)
{
  char ha1[MBMSEC_DIGEST_HEX_MAX + 1], ha2[MBMSEC_DIGEST_HEX_MAX + 1];
  mbmsec_err rc = MBMSEC_OK;
  GUARD_OUT(ha1_raw(in, ha1));
  GUARD_OUT(ha2_raw(in, method, body, body_len, ha2));
  GUARD_OUT(kd_raw(in, ha1, ha2, out));
out:
  mbmsec_cleanse(ha1, sizeof ha1);
  return rc;
}

mbmsec_err mbmsec_digest_response(const mbmsec_digest_input *in, char *out, size_t cap)
{
  char r[MBMSEC_DIGEST_HEX_MAX + 1];
  GUARD(check_input(in));
  GUARD(request_digest(in, in->method, in->body, in->body_len, r));
  return copy_out(r, out, cap);
}

mbmsec_err mbmsec_digest_rspauth(const mbmsec_digest_input *in, const uint8_t *resp_body,
                                 size_t resp_body_len, char *out, size_t cap)
{
  char r[MBMSEC_DIGEST_HEX_MAX + 1];
  GUARD(check_input(in));
  ENSURE(resp_body || resp_body_len == 0, MBMSEC_ERR_ARG);
  GUARD(request_digest(in, (mbmsec_digest_str){"", 0}, resp_body, resp_body_len, r));
  return copy_out(r, out, cap);
}

mbmsec_err mbmsec_digest_verify(const mbmsec_digest_input *in, mbmsec_digest_str response)
{
  GUARD(check_input(in));
  ENSURE(str_ok(response), MBMSEC_ERR_ARG);
  const size_t n = mbmsec_digest_hex_len(in->alg);
  ENSURE(response.len == n && mbmsec_hex_digits(response.p, n), MBMSEC_ERR_DIGEST_BAD_RESPONSE);
  char got[MBMSEC_DIGEST_HEX_MAX], want[MBMSEC_DIGEST_HEX_MAX + 1];
  for (size_t i = 0; i < n; i++) {
    char c = response.p[i];
    got[i] = (c >= 'A' && c <= 'F') ? (char)(c + 32) : c;
  }
  GUARD(request_digest(in, in->method, in->body, in->body_len, want));
  return mbmsec_ct_equal(got, want, n) ? MBMSEC_OK : MBMSEC_ERR_DIGEST_MISMATCH;
}

mbmsec_err mbmsec_digest_input_from_authorization(const mbmsec_digest_header *h,
                                                  mbmsec_digest_str method, const uint8_t *password,
                                                  size_t password_len, const uint8_t *body,
                                                  size_t body_len, mbmsec_digest_input *in)
{
  ENSURE(h && in, MBMSEC_ERR_ARG);
  const uint32_t need = MBMSEC_DIGEST_F_USERNAME | MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE |
                        MBMSEC_DIGEST_F_URI;
  ENSURE((h->present & need) == need, MBMSEC_ERR_DIGEST_MISSING);
  memset(in, 0, sizeof *in);
  in->alg = (h->present & MBMSEC_DIGEST_F_ALGORITHM) ? h->algorithm : MBMSEC_DIGEST_MD5;
  in->qop = (h->present & MBMSEC_DIGEST_F_QOP) ? h->qop : MBMSEC_DIGEST_QOP_NONE;
  if (in->qop != MBMSEC_DIGEST_QOP_NONE) {
    const uint32_t q = MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE;
    ENSURE((h->present & q) == q, MBMSEC_ERR_DIGEST_MISSING);
    in->nc = (mbmsec_digest_str){h->nc, 8};
    in->cnonce = h->cnonce;
  }
  in->username = h->username;
  in->realm = h->realm;
  in->nonce = h->nonce;
  in->uri = h->uri;
  in->method = method;
  in->password = password;
  in->password_len = password_len;
  in->body = body;
  in->body_len = body_len;
  return MBMSEC_OK;
}

/* ---- builders ---- */

typedef struct {
  char *p;
  size_t cap, len;
  mbmsec_err err;
  bool first;
} wbuf;

static void w_raw(wbuf *w, const char *s, size_t n)
{
  if (w->err != MBMSEC_OK) return;
  if (w->len + n >= w->cap) { /* room for the NUL */
    w->err = MBMSEC_ERR_SPACE;
    return;
  }
  memcpy(w->p + w->len, s, n);
  w->len += n;
}

static void w_name(wbuf *w, const char *name)
{
  if (!w->first) w_raw(w, ", ", 2);
  w->first = false;
  w_raw(w, name, strlen(name));
  w_raw(w, "=", 1);
}

/* What a quoted-string value may hold: 1 = a control character (refused), 2 = '"' or '\\'
 * (escaped). One branch-free pass classifies the whole value; most values need no escape and
 * go out in one copy. */
static const unsigned char QV[256] = {
    [0 ... 8] = 1, [10 ... 31] = 1, [127] = 1, ['"'] = 2, ['\\'] = 2};

static void w_quoted(wbuf *w, const char *name, mbmsec_digest_str v)
{
  if (w->err != MBMSEC_OK) return;
  if (!str_ok(v)) {
    w->err = MBMSEC_ERR_ARG;
    return;
  }
  if (v.len > MBMSEC_DIGEST_VALUE_MAX) {
    w->err = MBMSEC_ERR_DIGEST_OVERSIZE;
    return;
  }
  unsigned any = 0;
  for (size_t i = 0; i < v.len; i++) any |= QV[(unsigned char)v.p[i]];
  if (any & 1) {
    w->err = MBMSEC_ERR_DIGEST_CTL;
    return;
  }
  w_name(w, name);
  w_raw(w, "\"", 1);
  size_t run = 0;
  if (any & 2) { /* the runs between the characters to escape, one copy each */
    for (size_t i = 0; i < v.len; i++) {
      if (QV[(unsigned char)v.p[i]] == 2) {
        w_raw(w, v.p + run, i - run);
        w_raw(w, "\\", 1);
        run = i; /* the escaped character starts the next run */
      }
    }
  }
  if (v.len > run) w_raw(w, v.p + run, v.len - run); /* v.p may be NULL when v.len is 0 */
  w_raw(w, "\"", 1);
}

static void w_token(wbuf *w, const char *name, const char *tok)
{
  w_name(w, name);
  w_raw(w, tok, strlen(tok));
}

static mbmsec_err w_finish(wbuf *w, size_t *outlen)
{
  if (w->err == MBMSEC_OK && w->len > MBMSEC_DIGEST_HEADER_MAX)
    w->err = MBMSEC_ERR_DIGEST_HEADER_TOO_LONG;
  if (w->err != MBMSEC_OK) {
    if (w->cap) w->p[0] = '\0';
    return w->err;
  }
  w->p[w->len] = '\0';
  if (outlen) *outlen = w->len;
  return MBMSEC_OK;
}

static bool has(const mbmsec_digest_header *h, uint32_t f) { return (h->present & f) != 0; }

static mbmsec_err check_nc(const mbmsec_digest_header *h)
{
  ENSURE(strlen(h->nc) == 8 && mbmsec_hex_digits(h->nc, 8) && strcmp(h->nc, "00000000") != 0,
         MBMSEC_ERR_DIGEST_BAD_NC);
  return MBMSEC_OK;
}

static mbmsec_err check_hexval(mbmsec_digest_str v, size_t want)
{
  ENSURE(str_ok(v), MBMSEC_ERR_ARG);
  bool len_ok = want ? v.len == want : (v.len == 32 || v.len == 64);
  ENSURE(len_ok && mbmsec_hex_digits(v.p, v.len), MBMSEC_ERR_DIGEST_BAD_RESPONSE);
  return MBMSEC_OK;
}

static void w_init(wbuf *w, char *out, size_t cap)
{
  w->p = out;
  w->cap = cap;
  w->len = 0;
  w->err = MBMSEC_OK;
  w->first = true;
}

mbmsec_err mbmsec_digest_build_challenge(const mbmsec_digest_header *h, char *out, size_t cap,
                                         size_t *outlen)
{
  ENSURE(h && out, MBMSEC_ERR_ARG);
  const uint32_t need = MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE;
  ENSURE((h->present & need) == need, MBMSEC_ERR_DIGEST_MISSING);
  ENSURE(h->nonce.len > 0, MBMSEC_ERR_DIGEST_EMPTY);
  if (has(h, MBMSEC_DIGEST_F_ALGORITHM)) ENSURE(alg_ok(h->algorithm), MBMSEC_ERR_ARG);
  if (has(h, MBMSEC_DIGEST_F_QOP))
    ENSURE((h->qop_list & (MBMSEC_DIGEST_QOPBIT_AUTH | MBMSEC_DIGEST_QOPBIT_AUTH_INT)) != 0,
           MBMSEC_ERR_DIGEST_BAD_QOP);
  wbuf w;
  w_init(&w, out, cap);
  w_raw(&w, "Digest ", 7);
  w_quoted(&w, "realm", h->realm);
  if (has(h, MBMSEC_DIGEST_F_DOMAIN)) w_quoted(&w, "domain", h->domain);
  w_quoted(&w, "nonce", h->nonce);
  if (has(h, MBMSEC_DIGEST_F_OPAQUE)) w_quoted(&w, "opaque", h->opaque);
  if (has(h, MBMSEC_DIGEST_F_STALE)) w_token(&w, "stale", h->stale ? "true" : "false");
  if (has(h, MBMSEC_DIGEST_F_ALGORITHM)) w_token(&w, "algorithm", ALGS[h->algorithm].name);
  if (has(h, MBMSEC_DIGEST_F_QOP)) {
    const char *l =
        (h->qop_list & MBMSEC_DIGEST_QOPBIT_AUTH)
            ? ((h->qop_list & MBMSEC_DIGEST_QOPBIT_AUTH_INT) ? "auth, auth-int" : "auth")
            : "auth-int";
    w_quoted(&w, "qop", mbmsec_digest_s(l));
  }
  return w_finish(&w, outlen);
}

mbmsec_err mbmsec_digest_build_authorization(const mbmsec_digest_header *h, char *out, size_t cap,
                                             size_t *outlen)
{
  ENSURE(h && out, MBMSEC_ERR_ARG);
  const uint32_t need = MBMSEC_DIGEST_F_USERNAME | MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE |
                        MBMSEC_DIGEST_F_URI | MBMSEC_DIGEST_F_RESPONSE;
  ENSURE((h->present & need) == need, MBMSEC_ERR_DIGEST_MISSING);
  const bool q = has(h, MBMSEC_DIGEST_F_QOP);
  if (q) {
    ENSURE(h->qop == MBMSEC_DIGEST_QOP_AUTH || h->qop == MBMSEC_DIGEST_QOP_AUTH_INT,
           MBMSEC_ERR_DIGEST_BAD_QOP);
    const uint32_t qn = MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE;
    ENSURE((h->present & qn) == qn, MBMSEC_ERR_DIGEST_MISSING);
    ENSURE(h->cnonce.len > 0, MBMSEC_ERR_DIGEST_EMPTY);
    GUARD(check_nc(h));
  } else {
    ENSURE(!has(h, MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE), MBMSEC_ERR_DIGEST_BAD_QOP);
  }
  ENSURE(h->username.len > 0 && h->uri.len > 0 && h->nonce.len > 0 && h->response.len > 0,
         MBMSEC_ERR_DIGEST_EMPTY);
  mbmsec_digest_alg alg = MBMSEC_DIGEST_MD5;
  if (has(h, MBMSEC_DIGEST_F_ALGORITHM)) {
    ENSURE(alg_ok(h->algorithm), MBMSEC_ERR_ARG);
    alg = h->algorithm;
  }
  GUARD(check_hexval(h->response, mbmsec_digest_hex_len(alg)));
  wbuf w;
  w_init(&w, out, cap);
  w_raw(&w, "Digest ", 7);
  w_quoted(&w, "username", h->username);
  w_quoted(&w, "realm", h->realm);
  w_quoted(&w, "nonce", h->nonce);
  w_quoted(&w, "uri", h->uri);
  if (has(h, MBMSEC_DIGEST_F_ALGORITHM)) w_token(&w, "algorithm", ALGS[alg].name);
  if (q) {
    w_token(&w, "qop", mbmsec_digest_qop_name(h->qop));
    w_token(&w, "nc", h->nc);
    w_quoted(&w, "cnonce", h->cnonce);
  }
  w_quoted(&w, "response", h->response);
  if (has(h, MBMSEC_DIGEST_F_OPAQUE)) w_quoted(&w, "opaque", h->opaque);
  return w_finish(&w, outlen);
}

mbmsec_err mbmsec_digest_build_auth_info(const mbmsec_digest_header *h, char *out, size_t cap,
                                         size_t *outlen)
{
  ENSURE(h && out, MBMSEC_ERR_ARG);
  const bool q = has(h, MBMSEC_DIGEST_F_QOP);
  if (q) {
    ENSURE(h->qop == MBMSEC_DIGEST_QOP_AUTH || h->qop == MBMSEC_DIGEST_QOP_AUTH_INT,
           MBMSEC_ERR_DIGEST_BAD_QOP);
    const uint32_t need = MBMSEC_DIGEST_F_RSPAUTH | MBMSEC_DIGEST_F_CNONCE | MBMSEC_DIGEST_F_NC;
    ENSURE((h->present & need) == need, MBMSEC_ERR_DIGEST_MISSING);
    ENSURE(h->cnonce.len > 0, MBMSEC_ERR_DIGEST_EMPTY);
  }
  if (has(h, MBMSEC_DIGEST_F_NC)) GUARD(check_nc(h));
  if (has(h, MBMSEC_DIGEST_F_RSPAUTH)) GUARD(check_hexval(h->rspauth, 0));
  ENSURE(h->present & (MBMSEC_DIGEST_F_QOP | MBMSEC_DIGEST_F_RSPAUTH | MBMSEC_DIGEST_F_CNONCE |
                       MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_NEXTNONCE),
         MBMSEC_ERR_DIGEST_EMPTY);
  wbuf w;
  w_init(&w, out, cap);
  if (q) w_token(&w, "qop", mbmsec_digest_qop_name(h->qop));
  if (has(h, MBMSEC_DIGEST_F_RSPAUTH)) w_quoted(&w, "rspauth", h->rspauth);
  if (has(h, MBMSEC_DIGEST_F_CNONCE)) w_quoted(&w, "cnonce", h->cnonce);
  if (has(h, MBMSEC_DIGEST_F_NC)) w_token(&w, "nc", h->nc);
  if (has(h, MBMSEC_DIGEST_F_NEXTNONCE)) w_quoted(&w, "nextnonce", h->nextnonce);
  return w_finish(&w, outlen);
}
