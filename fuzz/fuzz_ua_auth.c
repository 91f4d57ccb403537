/* libFuzzer: the Ua auth request check (lib/ua) over arbitrary request-target, Authorization
 * and body. Input: target '\n' authorization '\n' body; a first byte of '!' means "no
 * Authorization header". Every "@N@" in the Authorization is replaced with a nonce the server
 * has just issued, so that inputs get past step 3 (nonces are HMAC-tagged). The fake Zn lookup
 * answers by the B-TID's first character; the clock moves with the input length so that nonce
 * and key expiry paths are reached. Small tables keep eviction in play. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/ua.h"

static int64_t clock_now = 1900000000;
static int64_t fz_clock(void *u)
{
  (void)u;
  return clock_now;
}

static mbmsec_err fz_lookup(const char *btid, size_t len, const uint8_t *naf_id, size_t naf_len,
                            void *user, mbmsec_ua_zn_result *out)
{
  (void)naf_id;
  (void)naf_len;
  (void)user;
  const char c = len ? btid[0] : '\0';
  switch (c) {
  case 'x':
    return MBMSEC_ERR_ZN_TIMEOUT;
  case 'u':
    out->result = MBMSEC_ZN_TRANSACTION_ID_INVALID;
    return MBMSEC_OK;
  case 'n':
    out->result = MBMSEC_ZN_NOT_AUTHORIZED;
    return MBMSEC_OK;
  case 'd':
    out->result = MBMSEC_ZN_UNABLE_TO_DELIVER;
    return MBMSEC_OK;
  case 'e':
    out->result = 5012;
    return MBMSEC_OK;
  default:
    break;
  }
  out->result = MBMSEC_ZN_SUCCESS;
  memcpy(out->impi, "impi@ims", 8);
  out->impi_len = 8;
  for (size_t i = 0; i < sizeof out->ks_naf; i++) out->ks_naf[i] = (uint8_t)(i + len);
  out->key_expiry = fz_clock(NULL) + (c == 'k' ? 0 : 600);
  return MBMSEC_OK;
}

static mbmsec_ua *server(void)
{
  static mbmsec_ua *ua;
  if (!ua) {
    mbmsec_ua_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.fqdn = "bmsc.example.org";
    cfg.clock = fz_clock;
    cfg.lookup = fz_lookup;
    cfg.max_nonces = 64;
    cfg.max_cache = 8;
    if (mbmsec_ua_new(&cfg, &ua) != MBMSEC_OK) abort();
  }
  return ua;
}

/* The nonce of a fresh challenge. */
static void fresh_nonce(mbmsec_ua *ua, char out[MBMSEC_UA_NONCE_LEN + 1])
{
  static mbmsec_ua_decision d;
  if (mbmsec_ua_challenge(ua, false, &d) != MBMSEC_OK) abort();
  const char *p = strstr(d.challenge[0], "nonce=\"");
  if (!p) abort();
  memcpy(out, p + 7, MBMSEC_UA_NONCE_LEN);
  out[MBMSEC_UA_NONCE_LEN] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static mbmsec_ua_decision dec;
  static char auth[16384];
  mbmsec_ua *ua = server();
  const char *s = (const char *)data;
  const char *nl1 = memchr(s, '\n', size);
  const char *end = s + size;
  const char *a = nl1 ? nl1 + 1 : end;
  const char *nl2 = memchr(a, '\n', (size_t)(end - a));
  const char *b = nl2 ? nl2 + 1 : end;
  const size_t tlen = (size_t)((nl1 ? nl1 : end) - s);
  const size_t alen = (size_t)((nl2 ? nl2 : end) - a);
  const int no_auth = size > 0 && s[0] == '!';
  /* expand @N@ into fresh nonces */
  size_t n = 0;
  char nonce[MBMSEC_UA_NONCE_LEN + 1];
  for (size_t i = 0; i < alen && n + MBMSEC_UA_NONCE_LEN < sizeof auth;) {
    if (i + 3 <= alen && memcmp(a + i, "@N@", 3) == 0) {
      fresh_nonce(ua, nonce);
      memcpy(auth + n, nonce, MBMSEC_UA_NONCE_LEN);
      n += MBMSEC_UA_NONCE_LEN;
      i += 3;
    } else {
      auth[n++] = a[i++];
    }
  }
  clock_now += (int64_t)(size % 7) * 60; /* nonces and keys age */
  const mbmsec_ua_request req = {
      "POST",           4, s, tlen, no_auth ? NULL : auth, no_auth ? 0 : n, (const uint8_t *)b,
      (size_t)(end - b)};
  const mbmsec_err rc = mbmsec_ua_check(ua, &req, &dec);
  if (rc != MBMSEC_OK) abort(); /* no internal failure is expected */
  if (dec.status == 200) {
    char info[MBMSEC_UA_AUTH_INFO_MAX];
    if (mbmsec_ua_auth_info(ua, &dec, (const uint8_t *)b, (size_t)(end - b), true, info,
                            sizeof info, NULL) != MBMSEC_OK)
      abort();
  }
  if (dec.status == 401 && dec.n_challenges != 2) abort();
  mbmsec_ua_decision_cleanse(&dec);
  return 0;
}
