/* Strict parsers for WWW-Authenticate, Authorization and Authentication-Info values
 * (RFC 7235 2.1, RFC 7230 3.2.6 and 7, RFC 7616 3.3-3.5). What is accepted and every error
 * code: mbmsec/digest_parse.h. */
#include "mbmsec/digest_parse.h"

#include <stddef.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/encode.h"

/* ---- character classes (RFC 7230 3.2.6) ---- */

/* Character classes by table: every Authorization of a key request passes through here
 * (~300 octets), on the BM-SC and, for Authentication-Info, on every UE. */
enum {
  C_TCHAR = 1,
  C_CTL = 2,
  C_QSPECIAL = 4 /* '"', '\\' or CTL: ends a run in a quoted string */
};
static const unsigned char CLASS[256] = {[0 ... 8] = C_CTL | C_QSPECIAL,
                                         ['\t'] = 0,
                                         [10 ... 31] = C_CTL | C_QSPECIAL,
                                         [127] = C_CTL | C_QSPECIAL,
                                         ['"'] = C_QSPECIAL,
                                         ['\\'] = C_QSPECIAL,
                                         ['0' ... '9'] = C_TCHAR,
                                         ['a' ... 'z'] = C_TCHAR,
                                         ['A' ... 'Z'] = C_TCHAR,
                                         ['!'] = C_TCHAR,
                                         ['#'] = C_TCHAR,
                                         ['$'] = C_TCHAR,
                                         ['%'] = C_TCHAR,
                                         ['&'] = C_TCHAR,
                                         ['\''] = C_TCHAR,
                                         ['*'] = C_TCHAR,
                                         ['+'] = C_TCHAR,
                                         ['-'] = C_TCHAR,
                                         ['.'] = C_TCHAR,
                                         ['^'] = C_TCHAR,
                                         ['_'] = C_TCHAR,
                                         ['`'] = C_TCHAR,
                                         ['|'] = C_TCHAR,
                                         ['~'] = C_TCHAR};
static bool is_tchar(unsigned char c) { return (CLASS[c] & C_TCHAR) != 0; }
static bool is_ctl(unsigned char c) { return (CLASS[c] & C_CTL) != 0; }
static bool is_ows(unsigned char c) { return c == ' ' || c == '\t'; }

static bool eq(const char *a, size_t alen, const char *b)
{
  return alen == strlen(b) && memcmp(a, b, alen) == 0;
}

/* ---- cursor ---- */

typedef struct {
  const unsigned char *s;
  size_t len, pos;
} cur;

static bool at_end(const cur *c) { return c->pos >= c->len; }
static unsigned char peek(const cur *c) { return c->s[c->pos]; } /* only when !at_end */
static void skip_ows(cur *c)
{
  while (!at_end(c) && is_ows(peek(c))) c->pos++;
}
static size_t take_token(cur *c)
{
  size_t start = c->pos;
  while (!at_end(c) && is_tchar(peek(c))) c->pos++;
  return c->pos - start;
}
/* The error for an unexpected character at the cursor (or the end). */
static mbmsec_err unexpected(const cur *c, mbmsec_err otherwise)
{
  if (!at_end(c) && is_ctl(peek(c))) return MBMSEC_ERR_DIGEST_CTL;
  return otherwise;
}

/* One directive value as found: raw span, and whether it was quoted or had escapes. */
typedef struct {
  const char *raw;     /* token, or the inside of the quotes */
  size_t rawlen, vlen; /* vlen: length once unescaped */
  bool quoted, escaped;
} value;

static mbmsec_err parse_quoted(cur *c, value *v)
{
  c->pos++; /* opening quote */
  v->raw = (const char *)c->s + c->pos;
  v->quoted = true;
  for (;;) {
    /* A run of plain characters at once, as long as it keeps vlen within the cap; the
     * character that ends it goes the per-character way, so results and error codes are
     * those of a character-by-character scan. */
    const size_t room = MBMSEC_DIGEST_VALUE_MAX - v->vlen;
    const size_t end = c->len - c->pos > room ? c->pos + room : c->len;
    size_t p = c->pos;
    while (p < end && !(CLASS[c->s[p]] & C_QSPECIAL)) p++;
    v->vlen += p - c->pos;
    c->pos = p;
    ENSURE(!at_end(c), MBMSEC_ERR_DIGEST_UNTERMINATED);
    unsigned char ch = peek(c);
    if (ch == '"') break;
    if (ch == '\\') {
      c->pos++;
      ENSURE(!at_end(c), MBMSEC_ERR_DIGEST_UNTERMINATED);
      ENSURE(!is_ctl(peek(c)), MBMSEC_ERR_DIGEST_ESCAPE);
      v->escaped = true;
    } else {
      ENSURE(!is_ctl(ch), MBMSEC_ERR_DIGEST_CTL);
    }
    c->pos++;
    v->vlen++;
    ENSURE(v->vlen <= MBMSEC_DIGEST_VALUE_MAX, MBMSEC_ERR_DIGEST_OVERSIZE);
  }
  v->rawlen = (size_t)((const char *)c->s + c->pos - v->raw);
  c->pos++; /* closing quote */
  return MBMSEC_OK;
}

static mbmsec_err parse_value(cur *c, value *v)
{
  memset(v, 0, sizeof *v);
  ENSURE(!at_end(c), MBMSEC_ERR_DIGEST_SYNTAX);
  if (peek(c) == '"') return parse_quoted(c, v);
  v->raw = (const char *)c->s + c->pos;
  v->rawlen = v->vlen = take_token(c);
  if (v->rawlen == 0) {
    if (peek(c) == ',') return MBMSEC_ERR_DIGEST_SYNTAX;
    return unexpected(c, MBMSEC_ERR_DIGEST_BAD_TOKEN);
  }
  ENSURE(v->rawlen <= MBMSEC_DIGEST_VALUE_MAX, MBMSEC_ERR_DIGEST_OVERSIZE);
  /* A token ends at white space, a comma or the end. */
  if (!at_end(c) && !is_ows(peek(c)) && peek(c) != ',')
    return unexpected(c, peek(c) == '"' ? MBMSEC_ERR_DIGEST_SYNTAX : MBMSEC_ERR_DIGEST_BAD_TOKEN);
  return MBMSEC_OK;
}

/* The unescaped value: the raw span itself, or a copy in the header's arena. */
static mbmsec_digest_str materialize(mbmsec_digest_header *h, size_t *arena_used, const value *v)
{
  if (!v->escaped) return (mbmsec_digest_str){v->raw, v->rawlen};
  char *dst = h->arena + *arena_used; /* fits: every copy is shorter than its raw span */
  size_t n = 0;
  for (size_t i = 0; i < v->rawlen; i++) {
    if (v->raw[i] == '\\') i++;
    dst[n++] = v->raw[i];
  }
  *arena_used += n;
  return (mbmsec_digest_str){dst, n};
}

/* ---- directives ---- */

enum vt { V_QSTR, V_ALG, V_STALE, V_NC, V_QOP, V_QOPLIST };

typedef struct {
  const char *name;
  size_t nlen; /* strlen(name): most names are told apart by their length */
  uint32_t bit;
  enum vt type;
  size_t off; /* of the mbmsec_digest_str for V_QSTR */
} directive;

#define QS(n, b, f)                                                                 \
  {                                                                                 \
    n, sizeof n - 1, MBMSEC_DIGEST_F_##b, V_QSTR, offsetof(mbmsec_digest_header, f) \
  }
#define DV(n, b, t)                            \
  {                                            \
    n, sizeof n - 1, MBMSEC_DIGEST_F_##b, t, 0 \
  }
static const directive CHALLENGE[] = {
    QS("realm", REALM, realm),    QS("domain", DOMAIN, domain), QS("nonce", NONCE, nonce),
    QS("opaque", OPAQUE, opaque), DV("stale", STALE, V_STALE),  DV("algorithm", ALGORITHM, V_ALG),
    DV("qop", QOP, V_QOPLIST),    {NULL, 0, 0, V_QSTR, 0}};
static const directive AUTHORIZATION[] = {QS("username", USERNAME, username),
                                          QS("realm", REALM, realm),
                                          QS("nonce", NONCE, nonce),
                                          QS("uri", URI, uri),
                                          QS("response", RESPONSE, response),
                                          QS("cnonce", CNONCE, cnonce),
                                          QS("opaque", OPAQUE, opaque),
                                          DV("algorithm", ALGORITHM, V_ALG),
                                          DV("qop", QOP, V_QOP),
                                          DV("nc", NC, V_NC),
                                          {NULL, 0, 0, V_QSTR, 0}};
static const directive AUTH_INFO[] = {QS("nextnonce", NEXTNONCE, nextnonce),
                                      QS("rspauth", RSPAUTH, rspauth),
                                      QS("cnonce", CNONCE, cnonce),
                                      DV("qop", QOP, V_QOP),
                                      DV("nc", NC, V_NC),
                                      {NULL, 0, 0, V_QSTR, 0}};
#undef QS
#undef DV

static mbmsec_err parse_qop_list(mbmsec_digest_str v, unsigned *mask)
{
  cur c = {(const unsigned char *)(v.p ? v.p : ""), v.len, 0};
  *mask = 0;
  for (;;) {
    skip_ows(&c);
    if (at_end(&c)) break;
    if (peek(&c) == ',') {
      c.pos++;
      continue;
    }
    const char *t = (const char *)c.s + c.pos;
    size_t n = take_token(&c);
    ENSURE(n > 0, MBMSEC_ERR_DIGEST_BAD_QOP);
    skip_ows(&c);
    ENSURE(at_end(&c) || peek(&c) == ',', MBMSEC_ERR_DIGEST_BAD_QOP);
    if (eq(t, n, "auth"))
      *mask |= MBMSEC_DIGEST_QOPBIT_AUTH;
    else if (eq(t, n, "auth-int"))
      *mask |= MBMSEC_DIGEST_QOPBIT_AUTH_INT;
  }
  ENSURE(*mask != 0, MBMSEC_ERR_DIGEST_BAD_QOP);
  return MBMSEC_OK;
}

static mbmsec_err apply(mbmsec_digest_header *h, size_t *arena_used, const directive *d,
                        const value *v)
{
  ENSURE(!(h->present & d->bit), MBMSEC_ERR_DIGEST_DUPLICATE);
  if ((d->type == V_QSTR || d->type == V_QOPLIST) && !v->quoted) return MBMSEC_ERR_DIGEST_QUOTING;
  mbmsec_digest_str s = materialize(h, arena_used, v);
  switch (d->type) {
  case V_QSTR:
    *(mbmsec_digest_str *)((char *)h + d->off) = s;
    break;
  case V_ALG:
    GUARD(mbmsec_digest_alg_from_name(s.p, s.len, &h->algorithm));
    break;
  case V_STALE:
    if (mbmsec_ascii_ieq(s.p, s.len, "true"))
      h->stale = true;
    else if (mbmsec_ascii_ieq(s.p, s.len, "false"))
      h->stale = false;
    else
      return MBMSEC_ERR_DIGEST_BAD_STALE;
    break;
  case V_NC:
    ENSURE(s.len == 8 && mbmsec_hex_digits(s.p, 8), MBMSEC_ERR_DIGEST_BAD_NC);
    memcpy(h->nc, s.p, 8);
    h->nc[8] = '\0';
    h->nc_value = 0;
    for (size_t i = 0; i < 8; i++) {
      unsigned char ch = (unsigned char)s.p[i];
      unsigned dv = ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
      h->nc_value = (h->nc_value << 4) | dv;
    }
    ENSURE(h->nc_value != 0, MBMSEC_ERR_DIGEST_BAD_NC);
    break;
  case V_QOP:
    if (eq(s.p, s.len, "auth"))
      h->qop = MBMSEC_DIGEST_QOP_AUTH;
    else if (eq(s.p, s.len, "auth-int"))
      h->qop = MBMSEC_DIGEST_QOP_AUTH_INT;
    else
      return MBMSEC_ERR_DIGEST_BAD_QOP;
    break;
  case V_QOPLIST:
    GUARD(parse_qop_list(s, &h->qop_list));
    break;
  }
  h->present |= d->bit;
  return MBMSEC_OK;
}

/* The list after the scheme: #auth-param with empty elements tolerated. */
static mbmsec_err parse_list(cur *c, const directive *table, mbmsec_digest_header *h)
{
  size_t arena_used = 0;
  for (;;) {
    skip_ows(c);
    if (at_end(c)) return MBMSEC_OK;
    ENSURE(h->ndirectives < MBMSEC_DIGEST_DIRECTIVES_MAX, MBMSEC_ERR_DIGEST_TOO_MANY);
    h->ndirectives++;
    if (peek(c) == ',') { /* empty element */
      c->pos++;
      continue;
    }
    const char *name = (const char *)c->s + c->pos;
    size_t nlen = take_token(c);
    if (nlen == 0)
      return unexpected(c, peek(c) == '=' ? MBMSEC_ERR_DIGEST_SYNTAX : MBMSEC_ERR_DIGEST_BAD_TOKEN);
    ENSURE(nlen <= MBMSEC_DIGEST_NAME_MAX, MBMSEC_ERR_DIGEST_UNKNOWN_DIRECTIVE);
    if (!at_end(c) && !is_ows(peek(c)) && peek(c) != '=' && peek(c) != ',')
      return unexpected(c, peek(c) == '"' ? MBMSEC_ERR_DIGEST_SYNTAX : MBMSEC_ERR_DIGEST_BAD_TOKEN);
    skip_ows(c);
    if (at_end(c) || peek(c) != '=') return unexpected(c, MBMSEC_ERR_DIGEST_SYNTAX);
    c->pos++;
    skip_ows(c);
    value v;
    GUARD(parse_value(c, &v));
    skip_ows(c);
    if (!at_end(c)) {
      if (peek(c) != ',') return unexpected(c, MBMSEC_ERR_DIGEST_SYNTAX);
      c->pos++;
    }
    for (const directive *d = table; d->name; d++)
      if (d->nlen == nlen && mbmsec_ascii_ieq(name, nlen, d->name)) {
        GUARD(apply(h, &arena_used, d, &v));
        break;
      }
  }
}

static bool has(const mbmsec_digest_header *h, uint32_t f) { return (h->present & f) == f; }

static mbmsec_err check_hexval(mbmsec_digest_str v, size_t want)
{
  bool len_ok = want ? v.len == want : (v.len == 32 || v.len == 64);
  ENSURE(len_ok && mbmsec_hex_digits(v.p, v.len), MBMSEC_ERR_DIGEST_BAD_RESPONSE);
  return MBMSEC_OK;
}

static mbmsec_err check_required(mbmsec_digest_kind kind, unsigned flags,
                                 const mbmsec_digest_header *h)
{
  switch (kind) {
  case MBMSEC_DIGEST_WWW_AUTHENTICATE:
    ENSURE(has(h, MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE), MBMSEC_ERR_DIGEST_MISSING);
    ENSURE(h->nonce.len > 0, MBMSEC_ERR_DIGEST_EMPTY);
    return MBMSEC_OK;
  case MBMSEC_DIGEST_AUTHORIZATION: {
    ENSURE(has(h, MBMSEC_DIGEST_F_USERNAME | MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE |
                      MBMSEC_DIGEST_F_URI | MBMSEC_DIGEST_F_RESPONSE),
           MBMSEC_ERR_DIGEST_MISSING);
    if (has(h, MBMSEC_DIGEST_F_QOP))
      ENSURE(has(h, MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE), MBMSEC_ERR_DIGEST_MISSING);
    else
      ENSURE(!(h->present & (MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE)),
             MBMSEC_ERR_DIGEST_BAD_QOP);
    const bool lenient = (flags & MBMSEC_DIGEST_LENIENT_EMPTY) != 0;
    ENSURE(h->username.len > 0 && h->uri.len > 0, MBMSEC_ERR_DIGEST_EMPTY);
    ENSURE(!has(h, MBMSEC_DIGEST_F_CNONCE) || h->cnonce.len > 0, MBMSEC_ERR_DIGEST_EMPTY);
    ENSURE(lenient || (h->nonce.len > 0 && h->response.len > 0), MBMSEC_ERR_DIGEST_EMPTY);
    if (h->response.len > 0) {
      mbmsec_digest_alg alg = has(h, MBMSEC_DIGEST_F_ALGORITHM) ? h->algorithm : MBMSEC_DIGEST_MD5;
      GUARD(check_hexval(h->response, mbmsec_digest_hex_len(alg)));
    }
    return MBMSEC_OK;
  }
  case MBMSEC_DIGEST_AUTHENTICATION_INFO:
    if (has(h, MBMSEC_DIGEST_F_QOP))
      ENSURE(has(h, MBMSEC_DIGEST_F_RSPAUTH | MBMSEC_DIGEST_F_CNONCE | MBMSEC_DIGEST_F_NC),
             MBMSEC_ERR_DIGEST_MISSING);
    ENSURE(!has(h, MBMSEC_DIGEST_F_CNONCE) || h->cnonce.len > 0, MBMSEC_ERR_DIGEST_EMPTY);
    if (has(h, MBMSEC_DIGEST_F_RSPAUTH)) GUARD(check_hexval(h->rspauth, 0));
    ENSURE(h->present != 0, MBMSEC_ERR_DIGEST_EMPTY);
    return MBMSEC_OK;
  }
  return MBMSEC_ERR_ARG;
}

mbmsec_err mbmsec_digest_parse(mbmsec_digest_kind kind, const char *s, size_t len, unsigned flags,
                               mbmsec_digest_header *h)
{
  ENSURE(h && (s || len == 0), MBMSEC_ERR_ARG);
  ENSURE((unsigned)kind <= MBMSEC_DIGEST_AUTHENTICATION_INFO, MBMSEC_ERR_ARG);
  memset(h, 0, offsetof(mbmsec_digest_header, arena));
  ENSURE(len <= MBMSEC_DIGEST_HEADER_MAX, MBMSEC_ERR_DIGEST_HEADER_TOO_LONG);
  cur c = {(const unsigned char *)s, len, 0};
  while (c.len > 0 && is_ows(c.s[c.len - 1])) c.len--;
  skip_ows(&c);
  ENSURE(!at_end(&c), MBMSEC_ERR_DIGEST_EMPTY);

  const directive *table = AUTH_INFO;
  if (kind != MBMSEC_DIGEST_AUTHENTICATION_INFO) {
    table = kind == MBMSEC_DIGEST_AUTHORIZATION ? AUTHORIZATION : CHALLENGE;
    const char *scheme = (const char *)c.s + c.pos;
    size_t n = take_token(&c);
    if (n == 0) return unexpected(&c, MBMSEC_ERR_DIGEST_SCHEME);
    ENSURE(mbmsec_ascii_ieq(scheme, n, "Digest"), MBMSEC_ERR_DIGEST_SCHEME);
    if (!at_end(&c)) {
      if (peek(&c) != ' ') return unexpected(&c, MBMSEC_ERR_DIGEST_SYNTAX);
      while (!at_end(&c) && peek(&c) == ' ') c.pos++;
    }
  }
  GUARD(parse_list(&c, table, h));
  return check_required(kind, flags, h);
}

mbmsec_err mbmsec_digest_parse_challenge(const char *s, size_t len, mbmsec_digest_header *h)
{
  return mbmsec_digest_parse(MBMSEC_DIGEST_WWW_AUTHENTICATE, s, len, 0, h);
}

mbmsec_err mbmsec_digest_parse_authorization(const char *s, size_t len, unsigned flags,
                                             mbmsec_digest_header *h)
{
  return mbmsec_digest_parse(MBMSEC_DIGEST_AUTHORIZATION, s, len, flags, h);
}

mbmsec_err mbmsec_digest_parse_auth_info(const char *s, size_t len, mbmsec_digest_header *h)
{
  return mbmsec_digest_parse(MBMSEC_DIGEST_AUTHENTICATION_INFO, s, len, 0, h);
}
