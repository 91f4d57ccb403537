/* libFuzzer: the BM-SC key request engine (lib/bmsc/bmsc_keyreq.c) over arbitrary requests.
 * Input: flags (1 octet) then target '\n' content-type '\n' authorization '\n' body.
 * flags bit 0: the client is not IPv4; bit 1: method GET; bit 2: no Content-Type header;
 * bit 3: body counted as over the cap (413).
 * An authorization of "@A@" is replaced by a valid Digest Authorization (SHA-256, auth-int,
 * a fresh nonce, the UE "alice") over the input's target and body, so that inputs reach the
 * media type, XML and membership steps; "@N@" inside any other authorization becomes a fresh
 * nonce. A content-type of "@T@" becomes the media type of the target's requesttype.
 * The engine, its in-memory store (services, subscriptions, MSKs) and a delivery engine that
 * receives the answers' MIKEY lists are set up once per process. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/bmsc_delivery.h"
#include "mbmsec/bmsc_keyreq.h"
#include "mbmsec/crypto.h"
#include "mbmsec/digest.h"
#include "mbmsec/digest_parse.h"
#include "mbmsec/gba.h"
#include "mbmsec/members.h"

#define FQDN  "bmsc.example.org"
#define REALM "3GPP-bootstrapping@" FQDN
#define BTID  "btid-alice@bsf.example"
#define T0    1900000000

static const uint8_t KDID[3] = {0x00, 0xF1, 0x10};

static int64_t fz_clock(void *u)
{
  (void)u;
  return T0;
}

static void ks_naf_of(const char *btid, size_t len, uint8_t k[32])
{
  for (size_t i = 0; i < 32; i++) k[i] = (uint8_t)(i * 13 + (len ? (uint8_t)btid[0] : 0));
}

/* alice and bob are known; "n..." USS without MBMS; "x..." BSF unreachable; else unknown. */
static mbmsec_err fz_lookup(const char *btid, size_t len, const uint8_t *naf_id, size_t naf_len,
                            void *user, mbmsec_ua_zn_result *out)
{
  (void)naf_id;
  (void)naf_len;
  (void)user;
  const char c = len ? btid[0] : '\0';
  if (c == 'x') return MBMSEC_ERR_ZN_TIMEOUT;
  if (c == 'n') {
    out->result = MBMSEC_ZN_NOT_AUTHORIZED;
    return MBMSEC_OK;
  }
  if (c != 'b') {
    out->result = MBMSEC_ZN_TRANSACTION_ID_INVALID;
    return MBMSEC_OK;
  }
  const char *impi = len > 5 && btid[5] == 'a' ? "alice@ims.example" : "bob@ims.example";
  out->result = MBMSEC_ZN_SUCCESS;
  out->impi_len = strlen(impi);
  memcpy(out->impi, impi, out->impi_len + 1);
  ks_naf_of(btid, len, out->ks_naf);
  out->key_expiry = T0 + 3600;
  return MBMSEC_OK;
}

static int fz_send(void *user, uint32_t ipv4, uint16_t port, const uint8_t *msg, size_t len)
{
  (void)user;
  (void)ipv4;
  (void)port;
  (void)msg;
  (void)len;
  return 0;
}

static mbmsec_store *st;
static mbmsec_bmsc_kr *kr;
static mbmsec_bmsc_dl *dl;

static void add_service(const char *id, uint16_t group)
{
  const mbmsec_store_service_in in = {id, KDID, 3, 3600};
  if (mbmsec_store_service_add(st, &in) != MBMSEC_OK ||
      mbmsec_store_key_group_add(st, id, group) != MBMSEC_OK)
    abort();
}

static void setup(void)
{
  if (mbmsec_store_open(":memory:", &st) != MBMSEC_OK) abort();
  add_service("urn:example:mbms:news", 1);
  add_service("urn:example:mbms:sport", 2);
  add_service("urn:example:mbms:empty", 5);
  if (mbmsec_store_subscription_grant(st, "alice@ims.example", "urn:example:mbms:news") ||
      mbmsec_store_subscription_grant(st, "alice@ims.example", "urn:example:mbms:empty"))
    abort();
  uint8_t id[4];
  if (mbmsec_members_msk_generate(st, KDID, 1, T0 - 10, T0 + 1000000, 1, 0xFFFF, T0, id) ||
      mbmsec_members_msk_generate(st, KDID, 1, T0 + 1000000, T0 + 2000000, 1, 0xFFFF, T0, id) ||
      mbmsec_members_msk_generate(st, KDID, 2, T0 - 10, T0 + 1000000, 1, 0xFFFF, T0, id))
    abort();
  mbmsec_bmsc_kr_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.ua.fqdn = FQDN;
  cfg.ua.clock = fz_clock;
  cfg.ua.lookup = fz_lookup;
  cfg.ua.max_nonces = 64;
  cfg.ua.max_cache = 8;
  cfg.store = st;
  if (mbmsec_bmsc_kr_new(&cfg, &kr) != MBMSEC_OK) abort();
  const mbmsec_bmsc_dl_config dc = {.fqdn = FQDN, .v_flag = 1, .store = st, .send = fz_send};
  if (mbmsec_bmsc_dl_new(&dc, &dl) != MBMSEC_OK) abort();
}

/* A fresh nonce of the engine (from a request without Authorization). */
static void fresh_nonce(char out[MBMSEC_UA_NONCE_LEN + 1])
{
  static mbmsec_bmsc_kr_response r;
  static const char t[] = "/keymanagement?requesttype=register";
  const mbmsec_bmsc_kr_request q = {.method = "POST",
                                    .method_len = 4,
                                    .target = t,
                                    .target_len = sizeof t - 1,
                                    .ipv4 = 0x7f000001};
  if (mbmsec_bmsc_kr_handle(kr, &q, &r) != MBMSEC_OK || r.status != 401) abort();
  const char *p = strstr(r.www_authenticate[0], "nonce=\"");
  if (!p) abort();
  memcpy(out, p + 7, MBMSEC_UA_NONCE_LEN);
  out[MBMSEC_UA_NONCE_LEN] = 0;
  mbmsec_bmsc_kr_response_cleanse(&r);
}

/* A valid Authorization for POST target with body, by alice, with a fresh nonce. */
static size_t valid_auth(const char *target, size_t tlen, const uint8_t *body, size_t blen,
                         char *out, size_t cap)
{
  static mbmsec_digest_header h;
  static uint32_t cn;
  char nonce[MBMSEC_UA_NONCE_LEN + 1], pw[MBMSEC_GBA_PASSWORD_SIZE], resp[65], cnonce[16];
  uint8_t ks[32], mrk[32], muk[32];
  fresh_nonce(nonce);
  ks_naf_of(BTID, strlen(BTID), ks);
  if (mbmsec_gba_mrk_muk(ks, MBMSEC_MRK_MUK_KDF, mrk, muk) != MBMSEC_OK ||
      mbmsec_gba_digest_password(mrk, pw, sizeof pw) != MBMSEC_OK)
    abort();
  snprintf(cnonce, sizeof cnonce, "c%u", ++cn);
  mbmsec_digest_input in;
  memset(&in, 0, sizeof in);
  in.alg = MBMSEC_DIGEST_SHA256;
  in.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  in.username = mbmsec_digest_s(BTID);
  in.realm = mbmsec_digest_s(REALM);
  in.nonce = mbmsec_digest_s(nonce);
  in.cnonce = mbmsec_digest_s(cnonce);
  in.nc = mbmsec_digest_s("00000001");
  in.method = mbmsec_digest_s("POST");
  in.uri = (mbmsec_digest_str){target, tlen};
  in.password = (const uint8_t *)pw;
  in.password_len = strlen(pw);
  in.body = body;
  in.body_len = blen;
  /* a target the Digest builder refuses (quote, control octet, over its cap): no header */
  if (mbmsec_digest_response(&in, resp, sizeof resp) != MBMSEC_OK) return 0;
  memset(&h, 0, offsetof(mbmsec_digest_header, arena));
  h.present = MBMSEC_DIGEST_F_USERNAME | MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE |
              MBMSEC_DIGEST_F_URI | MBMSEC_DIGEST_F_ALGORITHM | MBMSEC_DIGEST_F_QOP |
              MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE | MBMSEC_DIGEST_F_RESPONSE;
  h.username = in.username;
  h.realm = in.realm;
  h.nonce = in.nonce;
  h.uri = in.uri;
  h.algorithm = MBMSEC_DIGEST_SHA256;
  h.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  memcpy(h.nc, "00000001", 9);
  h.nc_value = 1;
  h.cnonce = in.cnonce;
  h.response = mbmsec_digest_s(resp);
  size_t n = 0;
  if (mbmsec_digest_build_authorization(&h, out, cap, &n) != MBMSEC_OK) n = 0;
  mbmsec_cleanse(pw, sizeof pw);
  mbmsec_cleanse(mrk, sizeof mrk);
  mbmsec_cleanse(muk, sizeof muk);
  return n;
}

/* The next line of [*p, end): its start and length; *p moves past the '\n'. */
static const char *line(const char **p, const char *end, size_t *len)
{
  const char *s = *p;
  const char *nl = memchr(s, '\n', (size_t)(end - s));
  *len = (size_t)((nl ? nl : end) - s);
  *p = nl ? nl + 1 : end;
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static mbmsec_bmsc_kr_response r;
  static char auth[16384];
  static const char *const media[] = {MBMSEC_MT_REGISTER, MBMSEC_MT_DEREGISTER, MBMSEC_MT_MSK};
  static int64_t dl_now;
  static int verbose = -1; /* MBMSEC_FUZZ_VERBOSE set: one line per answer on stderr */
  if (verbose < 0) verbose = getenv("MBMSEC_FUZZ_VERBOSE") != NULL;
  if (!kr) setup();
  if (size == 0) return 0;
  const unsigned flags = data[0];
  const char *p = (const char *)data + 1, *end = (const char *)data + size;
  size_t tlen, clen, alen;
  const char *target = line(&p, end, &tlen);
  const char *ct = line(&p, end, &clen);
  const char *a = line(&p, end, &alen);
  const uint8_t *body = (const uint8_t *)p;
  const size_t blen = (size_t)(end - p);

  size_t n = 0;
  if (alen == 3 && !memcmp(a, "@A@", 3)) {
    n = valid_auth(target, tlen, body, blen, auth, sizeof auth);
  } else {
    char nonce[MBMSEC_UA_NONCE_LEN + 1];
    for (size_t i = 0; i < alen && n + MBMSEC_UA_NONCE_LEN < sizeof auth;) {
      if (i + 3 <= alen && !memcmp(a + i, "@N@", 3)) {
        fresh_nonce(nonce);
        memcpy(auth + n, nonce, MBMSEC_UA_NONCE_LEN);
        n += MBMSEC_UA_NONCE_LEN;
        i += 3;
      } else {
        auth[n++] = a[i++];
      }
    }
  }
  const mbmsec_bmsc_kr_type t = mbmsec_bmsc_kr_type_of(target, tlen);
  if (clen == 3 && !memcmp(ct, "@T@", 3)) {
    ct = t == MBMSEC_BMSC_KR_NONE ? "" : media[t];
    clen = strlen(ct);
  }
  const mbmsec_bmsc_kr_request q = {.method = flags & 2 ? "GET" : "POST",
                                    .method_len = flags & 2 ? 3 : 4,
                                    .target = target,
                                    .target_len = tlen,
                                    .authorization = alen ? auth : NULL,
                                    .authorization_len = alen ? n : 0,
                                    .content_type = flags & 4 ? NULL : ct,
                                    .content_type_len = flags & 4 ? 0 : clen,
                                    .body = body,
                                    .body_len = blen,
                                    .body_seen =
                                        flags & 8 ? (uint64_t)MBMSEC_BMSC_KR_BODY_MAX + 1 : 0,
                                    .ipv4 = flags & 1 ? 0 : 0x7f000007};
  const mbmsec_err rc = mbmsec_bmsc_kr_handle(kr, &q, &r);
  if (verbose)
    fprintf(stderr, "status=%u type=%d items_ok=%u code=%s\n", r.status, (int)r.type, r.items_ok,
            mbmsec_errname(r.code));
  /* no internal failure is expected; the answer is consistent with its status */
  if (rc != MBMSEC_OK || r.status == 500) abort();
  if (r.type != t) abort();
  if ((r.status == 401) != (r.n_www_authenticate == 2)) abort();
  if (r.status == 200) {
    if (!r.body || !r.content_type || !r.authentication_info[0] || !r.deliver) abort();
    if (r.body_len != strlen(r.body)) abort();
  } else if (r.body || r.content_type || r.authentication_info[0] || r.set_ue) {
    abort();
  }
  if (r.cancel && t != MBMSEC_BMSC_KR_DEREGISTER) abort();
  /* the daemon's part: the MIKEY lists into a delivery engine */
  if (r.cancel && mbmsec_bmsc_kr_cancel(dl, &r, NULL) != MBMSEC_OK) abort();
  if (r.set_ue && mbmsec_bmsc_dl_ue_set(dl, r.dec.btid, r.dec.muk, q.ipv4, 2269) == MBMSEC_OK) {
    for (size_t i = 0; i < r.deliver->n; i++) {
      mbmsec_store_msk m;
      const mbmsec_members_msk_ref *d = &r.deliver->items[i];
      if (mbmsec_store_msk_get(st, d->kdid, 3, d->msk_id, 4, &m) != MBMSEC_OK) abort();
      (void)mbmsec_bmsc_dl_deliver(dl, r.dec.btid, d->kdid, d->msk_id, m.key, m.vf, m.vt, dl_now);
      mbmsec_cleanse(&m, sizeof m);
    }
  }
  dl_now += 20000; /* retransmissions, then failures (P13) */
  (void)mbmsec_bmsc_dl_tick(dl, dl_now);
  mbmsec_bmsc_kr_response_cleanse(&r);
  return 0;
}
