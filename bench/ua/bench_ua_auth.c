/* Benchmark of the Ua auth engine (lib/ua): mbmsec_ua_check of an authorised POST with a
 * 300-octet body and qop=auth-int, B-TID in the Zn cache (parse, nonce tag, cache hit, HA1,
 * response, nc update). Authorization values are precomputed in batches (one nonce per batch,
 * nc 1..BATCH) so that only the server side is timed. Output: `bench NAME N ops/s`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mbmsec/crypto.h"
#include "mbmsec/digest.h"
#include "mbmsec/gba.h"
#include "mbmsec/ua.h"

#define FQDN     "bmsc.example.org"
#define BTID     "AAECAwQFBgcICQoLDA0ODw==@bsf.example.org"
#define TARGET   "/keymanagement?requesttype=msk-request"
#define BATCH    5000
#define AUTH_MAX 600

static uint8_t ks_naf[32];

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, mbmsec_err e)
{
  fprintf(stderr, "bench_ua_auth: %s: %s\n", what, mbmsec_errname(e));
  exit(1);
}

static mbmsec_err lookup(const char *btid, size_t len, const uint8_t *naf_id, size_t naf_len,
                         void *user, mbmsec_ua_zn_result *out)
{
  (void)btid;
  (void)len;
  (void)naf_id;
  (void)naf_len;
  (void)user;
  out->result = MBMSEC_ZN_SUCCESS;
  memcpy(out->impi, "impi@ims", 8);
  out->impi_len = 8;
  memcpy(out->ks_naf, ks_naf, 32);
  out->key_expiry = (int64_t)time(NULL) + 86400;
  return MBMSEC_OK;
}

/* BATCH Authorization values for one fresh nonce, nc 1..BATCH. */
static void make_batch(mbmsec_ua *ua, size_t alg_idx, mbmsec_digest_alg alg, const char *pw,
                       const uint8_t *body, size_t body_len, char (*out)[AUTH_MAX])
{
  static mbmsec_ua_decision d;
  static mbmsec_digest_header h;
  mbmsec_err e = mbmsec_ua_challenge(ua, false, &d);
  if (e != MBMSEC_OK) die("challenge", e);
  const char *p = strstr(d.challenge[alg_idx], "nonce=\"") + 7;
  char nonce[MBMSEC_UA_NONCE_LEN + 1], nc[9], resp[65];
  memcpy(nonce, p, MBMSEC_UA_NONCE_LEN);
  nonce[MBMSEC_UA_NONCE_LEN] = 0;
  for (size_t i = 0; i < BATCH; i++) {
    snprintf(nc, sizeof nc, "%08zx", i + 1);
    mbmsec_digest_input in;
    memset(&in, 0, sizeof in);
    in.alg = alg;
    in.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
    in.username = mbmsec_digest_s(BTID);
    in.realm = mbmsec_digest_s("3GPP-bootstrapping@" FQDN);
    in.nonce = mbmsec_digest_s(nonce);
    in.cnonce = mbmsec_digest_s("0a4f113b");
    in.nc = mbmsec_digest_s(nc);
    in.method = mbmsec_digest_s("POST");
    in.uri = mbmsec_digest_s(TARGET);
    in.password = (const uint8_t *)pw;
    in.password_len = strlen(pw);
    in.body = body;
    in.body_len = body_len;
    if ((e = mbmsec_digest_response(&in, resp, sizeof resp)) != MBMSEC_OK) die("response", e);
    memset(&h, 0, offsetof(mbmsec_digest_header, arena));
    h.present = MBMSEC_DIGEST_F_USERNAME | MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE |
                MBMSEC_DIGEST_F_URI | MBMSEC_DIGEST_F_ALGORITHM | MBMSEC_DIGEST_F_QOP |
                MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE | MBMSEC_DIGEST_F_RESPONSE;
    h.username = in.username;
    h.realm = in.realm;
    h.nonce = in.nonce;
    h.uri = in.uri;
    h.algorithm = alg;
    h.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
    memcpy(h.nc, nc, 9);
    h.nc_value = (uint32_t)(i + 1);
    h.cnonce = in.cnonce;
    h.response = mbmsec_digest_s(resp);
    if ((e = mbmsec_digest_build_authorization(&h, out[i], AUTH_MAX, NULL)) != MBMSEC_OK)
      die("authorization", e);
  }
}

static void run(const char *name, size_t alg_idx, mbmsec_digest_alg alg)
{
  static char auth[BATCH][AUTH_MAX];
  static mbmsec_ua_decision d;
  uint8_t body[300], mrk[32], muk[32];
  char pw[MBMSEC_GBA_PASSWORD_SIZE];
  for (size_t i = 0; i < sizeof body; i++) body[i] = (uint8_t)('a' + i % 26);
  mbmsec_ua_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.fqdn = FQDN;
  cfg.lookup = lookup;
  mbmsec_ua *ua = NULL;
  mbmsec_err e = mbmsec_ua_new(&cfg, &ua);
  if (e != MBMSEC_OK) die("new", e);
  if ((e = mbmsec_gba_mrk_muk(ks_naf, MBMSEC_MRK_MUK_KDF, mrk, muk)) != MBMSEC_OK) die("mrk", e);
  if ((e = mbmsec_gba_digest_password(mrk, pw, sizeof pw)) != MBMSEC_OK) die("password", e);
  double t = 0;
  size_t n = 0;
  while (t < 1.0) {
    make_batch(ua, alg_idx, alg, pw, body, sizeof body, auth);
    const double t0 = now();
    for (size_t i = 0; i < BATCH; i++) {
      const mbmsec_ua_request r = {"POST",          4,    TARGET,     strlen(TARGET), auth[i],
                                   strlen(auth[i]), body, sizeof body};
      if ((e = mbmsec_ua_check(ua, &r, &d)) != MBMSEC_OK) die("check", e);
      if (d.status != 200) {
        fprintf(stderr, "bench_ua_auth: status %u (%s)\n", d.status,
                mbmsec_ua_reason_name(d.reason));
        exit(1);
      }
    }
    t += now() - t0;
    n += BATCH;
  }
  mbmsec_ua_decision_cleanse(&d);
  mbmsec_cleanse(mrk, sizeof mrk);
  mbmsec_cleanse(muk, sizeof muk);
  mbmsec_cleanse(pw, sizeof pw);
  mbmsec_ua_free(ua);
  printf("bench %s %.0f ops/s\n", name, (double)n / t);
}

int main(void)
{
  for (size_t i = 0; i < sizeof ks_naf; i++) ks_naf[i] = (uint8_t)(0x40 + i);
  run("ua_verify_sha256_auth_int", 0, MBMSEC_DIGEST_SHA256);
  run("ua_verify_md5_auth_int", 1, MBMSEC_DIGEST_MD5);
  mbmsec_crypto_cleanup();
  return 0;
}
