/* Server-side HTTP Digest verification cost, one thread: parse an Authorization header,
 * recompute the expected response with qop=auth-int over a 300-octet body, compare in
 * constant time. Also parse alone and hashing alone, to show what dominates.
 * Output: one line per case, `bench <name> <ops_per_second> ops/s`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mbmsec/crypto.h"
#include "mbmsec/digest.h"
#include "mbmsec/digest_parse.h"

#define MIN_SECONDS 1.0

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t body[300];
static const char PASSWORD[] =
    "q3J8d1Lw0xYb2mVv7Ue9kTt4nZsHc6PaRf5gNo1iKjA="; /* base64(MRK) shape */
static mbmsec_digest_header hdr;
static char header[MBMSEC_DIGEST_HEADER_MAX + 1];
static size_t header_len;
static volatile int sink;

static void die(const char *what, mbmsec_err e)
{
  fprintf(stderr, "bench_digest: %s: %s\n", what, mbmsec_errname(e));
  exit(1);
}

/* A client's Authorization for the algorithm, as the BM-SC would receive it. */
static void make_header(mbmsec_digest_alg alg)
{
  mbmsec_digest_input in = {0};
  in.alg = alg;
  in.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  in.username = mbmsec_digest_s("ZGVhZGJlZWZkZWFkYmVlZg==@bsf.mnc001.mcc001.pub.3gppnetwork.org");
  in.realm = mbmsec_digest_s("3GPP-bootstrapping@bmsc.example.org");
  in.nonce = mbmsec_digest_s("MTIzNDU2Nzg5MGFiY2RlZjEyMzQ1Njc4OTBhYmNkZWY=");
  in.nc = mbmsec_digest_s("00000001");
  in.cnonce = mbmsec_digest_s("Y25vbmNlLWNub25jZS0x");
  in.method = mbmsec_digest_s("POST");
  in.uri = mbmsec_digest_s("/keymanagement?requesttype=msk-request");
  in.password = (const uint8_t *)PASSWORD;
  in.password_len = strlen(PASSWORD);
  in.body = body;
  in.body_len = sizeof body;
  char resp[MBMSEC_DIGEST_HEX_MAX + 1];
  mbmsec_err e = mbmsec_digest_response(&in, resp, sizeof resp);
  if (e) die("response", e);
  mbmsec_digest_header b = {0};
  b.present = MBMSEC_DIGEST_F_USERNAME | MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE |
              MBMSEC_DIGEST_F_URI | MBMSEC_DIGEST_F_RESPONSE | MBMSEC_DIGEST_F_ALGORITHM |
              MBMSEC_DIGEST_F_QOP | MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE |
              MBMSEC_DIGEST_F_OPAQUE;
  b.username = in.username;
  b.realm = in.realm;
  b.nonce = in.nonce;
  b.uri = in.uri;
  b.response = mbmsec_digest_s(resp);
  b.algorithm = alg;
  b.qop = in.qop;
  memcpy(b.nc, "00000001", 9);
  b.cnonce = in.cnonce;
  b.opaque = mbmsec_digest_s("b3BhcXVlLXZhbHVl");
  e = mbmsec_digest_build_authorization(&b, header, sizeof header, &header_len);
  if (e) die("build", e);
}

/* Parse + compute + constant-time compare: what the BM-SC does per request. */
static void op_verify(void)
{
  mbmsec_err e = mbmsec_digest_parse_authorization(header, header_len, 0, &hdr);
  if (e) die("parse", e);
  mbmsec_digest_input in;
  e = mbmsec_digest_input_from_authorization(&hdr, mbmsec_digest_s("POST"),
                                             (const uint8_t *)PASSWORD, strlen(PASSWORD), body,
                                             sizeof body, &in);
  if (e) die("input", e);
  e = mbmsec_digest_verify(&in, hdr.response);
  if (e) die("verify", e);
}

static void op_parse(void)
{
  mbmsec_err e = mbmsec_digest_parse_authorization(header, header_len, 0, &hdr);
  if (e) die("parse", e);
  sink += (int)hdr.ndirectives;
}

static mbmsec_digest_input hash_in;
static void op_hash(void)
{
  mbmsec_err e = mbmsec_digest_verify(&hash_in, hdr.response);
  if (e) die("verify", e);
}

static void run(const char *name, void (*op)(void))
{
  unsigned long n = 0;
  unsigned long batch = 256;
  double t0 = now(), t;
  do {
    for (unsigned long i = 0; i < batch; i++) op();
    n += batch;
    t = now() - t0;
  } while (t < MIN_SECONDS);
  printf("bench %s %.0f ops/s\n", name, (double)n / t);
  fflush(stdout);
}

int main(void)
{
  for (size_t i = 0; i < sizeof body; i++)
    body[i] = (uint8_t)("<mskRequest xmlns=\"urn:x\"/>"[i % 27]);
  mbmsec_err e = mbmsec_crypto_init();
  if (e) die("crypto init", e);
  static const struct {
    mbmsec_digest_alg alg;
    const char *tag;
  } algs[] = {{MBMSEC_DIGEST_MD5, "md5"}, {MBMSEC_DIGEST_SHA256, "sha256"}};
  char name[96];
  for (size_t a = 0; a < 2; a++) {
    make_header(algs[a].alg);
    snprintf(name, sizeof name, "digest_verify_auth_int_300B_%s", algs[a].tag);
    run(name, op_verify);
    snprintf(name, sizeof name, "digest_parse_authorization_%s", algs[a].tag);
    run(name, op_parse);
    /* Hashing alone: the same verification on an already parsed header. */
    op_parse();
    e = mbmsec_digest_input_from_authorization(&hdr, mbmsec_digest_s("POST"),
                                               (const uint8_t *)PASSWORD, strlen(PASSWORD), body,
                                               sizeof body, &hash_in);
    if (e) die("input", e);
    snprintf(name, sizeof name, "digest_hash_verify_auth_int_300B_%s", algs[a].tag);
    run(name, op_hash);
  }
  mbmsec_crypto_cleanup();
  return 0;
}
