/* Benchmark of the key request engine (lib/bmsc/bmsc_keyreq.c) in process, one thread: the
 * 204 path of docs/BENCHMARKS.md (an msk-request naming a key number beyond the newest MSK:
 * Digest SHA-256 auth-int with a Zn cache hit, XML parse, lib/members through the cache and
 * the thread's own store handle, XML build, Authentication-Info), without HTTP or sockets.
 * Authorization values are precomputed in batches (one nonce each, nc 1..BATCH) so that only
 * the engine is timed. Output: `bench NAME N ops/s` and the thread CPU time per request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mbmsec/bmsc_keyreq.h"
#include "mbmsec/crypto.h"
#include "mbmsec/digest.h"
#include "mbmsec/gba.h"

#define FQDN     "bmsc.example.org"
#define REALM    "3GPP-bootstrapping@" FQDN
#define BTID     "AAECAwQFBgcICQoLDA0ODw==@bsf.example.org"
#define IMPI     "alice@ims.example"
#define T_REG    "/keymanagement?requesttype=register"
#define T_MSK    "/keymanagement?requesttype=msk-request"
#define BATCH    4000
#define ROUNDS   5
#define AUTH_MAX 700

static const uint8_t KDID[3] = {0x00, 0xF1, 0x10};
static uint8_t ks_naf[32];
static mbmsec_bmsc_kr *kr;
static mbmsec_bmsc_kr_response R;

static double mono(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, mbmsec_err e)
{
  fprintf(stderr, "bench_bmsc_keyreq: %s: %s\n", what, mbmsec_errname(e));
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
  out->impi_len = strlen(IMPI);
  memcpy(out->impi, IMPI, out->impi_len + 1);
  memcpy(out->ks_naf, ks_naf, 32);
  out->key_expiry = (int64_t)time(NULL) + 86400;
  return MBMSEC_OK;
}

static mbmsec_bmsc_kr_request req(const char *target, const char *auth, const char *ct,
                                  const char *body)
{
  return (mbmsec_bmsc_kr_request){.method = "POST",
                                  .method_len = 4,
                                  .target = target,
                                  .target_len = strlen(target),
                                  .authorization = auth,
                                  .authorization_len = auth ? strlen(auth) : 0,
                                  .content_type = ct,
                                  .content_type_len = ct ? strlen(ct) : 0,
                                  .body = (const uint8_t *)body,
                                  .body_len = strlen(body),
                                  .ipv4 = 0x7f000007};
}

/* BATCH Authorization values for one fresh nonce, nc 1..BATCH. */
static void make_batch(const char *target, const char *pw, const char *body, char (*out)[AUTH_MAX])
{
  static mbmsec_digest_header h;
  const mbmsec_bmsc_kr_request q = req(target, NULL, NULL, body);
  mbmsec_err e = mbmsec_bmsc_kr_handle(kr, &q, &R);
  if (e != MBMSEC_OK || R.status != 401) die("challenge", e);
  const char *p = strstr(R.www_authenticate[0], "nonce=\"") + 7;
  char nonce[MBMSEC_UA_NONCE_LEN + 1], nc[9], resp[65];
  memcpy(nonce, p, MBMSEC_UA_NONCE_LEN);
  nonce[MBMSEC_UA_NONCE_LEN] = 0;
  for (size_t i = 0; i < BATCH; i++) {
    snprintf(nc, sizeof nc, "%08zx", i + 1);
    mbmsec_digest_input in = {.alg = MBMSEC_DIGEST_SHA256,
                              .qop = MBMSEC_DIGEST_QOP_AUTH_INT,
                              .username = mbmsec_digest_s(BTID),
                              .realm = mbmsec_digest_s(REALM),
                              .nonce = mbmsec_digest_s(nonce),
                              .cnonce = mbmsec_digest_s("0a4f113b"),
                              .nc = mbmsec_digest_s(nc),
                              .method = mbmsec_digest_s("POST"),
                              .uri = mbmsec_digest_s(target),
                              .password = (const uint8_t *)pw,
                              .password_len = strlen(pw),
                              .body = (const uint8_t *)body,
                              .body_len = strlen(body)};
    if ((e = mbmsec_digest_response(&in, resp, sizeof resp)) != MBMSEC_OK) die("response", e);
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
    memcpy(h.nc, nc, 9);
    h.nc_value = (uint32_t)(i + 1);
    h.cnonce = in.cnonce;
    h.response = mbmsec_digest_s(resp);
    if ((e = mbmsec_digest_build_authorization(&h, out[i], AUTH_MAX, NULL)) != MBMSEC_OK)
      die("authorization", e);
  }
}

int main(void)
{
  char dir[] = "/tmp/mbmsec-bench-keyreq.XXXXXX", path[128], cmd[160];
  if (!mkdtemp(dir)) return 1;
  snprintf(path, sizeof path, "%s/b.db", dir);
  for (size_t i = 0; i < 32; i++) ks_naf[i] = (uint8_t)(i * 7 + 1);
  mbmsec_store *st = NULL;
  mbmsec_err e = mbmsec_store_open(path, &st);
  const mbmsec_store_service_in svc = {"urn:example:mbms:bench", KDID, 3, 86400};
  if (e == MBMSEC_OK) e = mbmsec_store_service_add(st, &svc);
  if (e == MBMSEC_OK) e = mbmsec_store_key_group_add(st, svc.service_id, 1);
  if (e == MBMSEC_OK) e = mbmsec_store_subscription_grant(st, IMPI, svc.service_id);
  const int64_t now = (int64_t)time(NULL);
  uint8_t id[4];
  if (e == MBMSEC_OK)
    e = mbmsec_members_msk_generate(st, KDID, 1, now - 10, now + 86400, 1, 0xFFFF, now, id);
  if (e == MBMSEC_OK)
    e = mbmsec_members_msk_generate(st, KDID, 1, now + 86400, now + 172800, 1, 0xFFFF, now, id);
  if (e != MBMSEC_OK) die("store", e);
  const mbmsec_bmsc_kr_config cfg = {
      .ua = {.fqdn = FQDN, .lookup = lookup}, .store = st, .store_uri = path};
  if ((e = mbmsec_bmsc_kr_new(&cfg, &kr)) != MBMSEC_OK) die("engine", e);
  uint8_t mrk[32], muk[32];
  char pw[MBMSEC_GBA_PASSWORD_SIZE], key[13], reg[512], msk[512];
  if ((e = mbmsec_gba_mrk_muk(ks_naf, MBMSEC_MRK_MUK_KDF, mrk, muk)) != MBMSEC_OK ||
      (e = mbmsec_gba_digest_password(mrk, pw, sizeof pw)) != MBMSEC_OK)
    die("gba", e);
  const uint8_t beyond[4] = {0, 1, id[2], (uint8_t)(id[3] + 1)}; /* newest + 1: item 204 */
  if ((e = mbmsec_xml_keyid_encode(KDID, beyond, key)) != MBMSEC_OK) die("keyid", e);
  snprintf(reg, sizeof reg,
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mbmsUserServiceRegistration "
           "xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceRegistration\"><serviceId>%s</serviceId>"
           "</mbmsUserServiceRegistration>",
           svc.service_id);
  snprintf(msk, sizeof msk,
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mskRequest "
           "xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\"><keyId>%s</keyId></mskRequest>",
           key);
  static char auth[BATCH][AUTH_MAX];
  make_batch(T_REG, pw, reg, auth);
  mbmsec_bmsc_kr_request q = req(T_REG, auth[0], MBMSEC_MT_REGISTER, reg);
  if ((e = mbmsec_bmsc_kr_handle(kr, &q, &R)) != MBMSEC_OK || R.status != 200 || R.items_ok != 1)
    die("register", e);
  double best = 0, cpu_best = 1e9;
  for (int r = 0; r < ROUNDS; r++) {
    make_batch(T_MSK, pw, msk, auth);
    const double t0 = mono(), c0 = cpu();
    for (size_t i = 0; i < BATCH; i++) {
      q = req(T_MSK, auth[i], MBMSEC_MT_MSK, msk);
      if (mbmsec_bmsc_kr_handle(kr, &q, &R) != MBMSEC_OK || R.status != 200 || R.items_ok)
        die("msk-request 204", R.code);
    }
    const double wall = mono() - t0, c = cpu() - c0;
    if (BATCH / wall > best) best = BATCH / wall;
    if (c / BATCH < cpu_best) cpu_best = c / BATCH;
  }
  printf("bench bmsc_keyreq_msk_204 %.0f ops/s\n", best);
  printf("bench bmsc_keyreq_msk_204_cpu_us %.2f us\n", cpu_best * 1e6);
  mbmsec_bmsc_kr_response_cleanse(&R);
  mbmsec_bmsc_kr_free(kr);
  mbmsec_store_close(st);
  mbmsec_crypto_cleanup();
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : 1;
}
