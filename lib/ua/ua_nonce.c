/* Nonces of the Ua Digest challenge: self-describing (issue time and serial under an HMAC
 * tag keyed with a per-server secret), so recognising a nonce and its age needs no table.
 * The highest accepted nc of each nonce lives in a ring indexed by serial % cap: issuing a
 * nonce takes the slot of the nonce issued cap serials before it (FIFO eviction). */
#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "ua_internal.h"

static void put_be64(uint8_t *p, uint64_t v)
{
  for (int i = 7; i >= 0; i--) {
    p[i] = (uint8_t)v;
    v >>= 8;
  }
}

static uint64_t get_be64(const uint8_t *p)
{
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}

static mbmsec_err nonce_tag(const mbmsec_ua *ua, const uint8_t *head, uint8_t tag[UA_NONCE_TAG])
{
  uint8_t mac[MBMSEC_MD_MAX_SIZE];
  const mbmsec_iov part = {head, UA_NONCE_RAW - UA_NONCE_TAG};
  mbmsec_err rc = mbmsec_hmac(MBMSEC_MD_SHA256, ua->secret, sizeof ua->secret, &part, 1, mac);
  if (rc == MBMSEC_OK) memcpy(tag, mac, UA_NONCE_TAG);
  mbmsec_cleanse(mac, sizeof mac);
  return rc;
}

mbmsec_err ua_nonce_issue(mbmsec_ua *ua, char out[MBMSEC_UA_NONCE_LEN + 1])
{
  uint8_t raw[UA_NONCE_RAW];
  GUARD(mbmsec_random(raw + 16, UA_NONCE_RANDOM));
  const int64_t now = ua_now(ua);
  pthread_mutex_lock(&ua->lock);
  const uint64_t serial = ++ua->serial;
  ua_nonce_slot *s = &ua->nonces[serial % ua->nonce_cap];
  s->serial = serial;
  s->max_nc = 0;
  s->has_raw = false;
  pthread_mutex_unlock(&ua->lock);
  put_be64(raw, (uint64_t)now);
  put_be64(raw + 8, serial);
  GUARD(nonce_tag(ua, raw, raw + UA_NONCE_RAW - UA_NONCE_TAG));
  pthread_mutex_lock(&ua->lock);
  if (s->serial == serial) { /* still this nonce's slot */
    memcpy(s->raw, raw, sizeof raw);
    s->has_raw = true;
  }
  pthread_mutex_unlock(&ua->lock);
  GUARD(mbmsec_b64_encode(raw, sizeof raw, out, MBMSEC_UA_NONCE_LEN + 1, NULL));
  atomic_fetch_add_explicit(&ua->c_issued, 1, memory_order_relaxed);
  return MBMSEC_OK;
}

bool ua_nonce_parse(mbmsec_ua *ua, const char *s, size_t len, int64_t *issued, uint64_t *serial)
{
  uint8_t raw[UA_NONCE_RAW], tag[UA_NONCE_TAG];
  size_t n = 0;
  if (len != MBMSEC_UA_NONCE_LEN || mbmsec_b64_decode(s, len, raw, sizeof raw, &n) != MBMSEC_OK ||
      n != sizeof raw)
    return false;
  *issued = (int64_t)get_be64(raw);
  *serial = get_be64(raw + 8);
  if (*serial == 0) return false;
  /* A nonce whose slot still holds it, all 48 octets equal, is one we issued: no HMAC
   * (~0.8 us of a key request). Any other (evicted, forged, altered) goes through the tag. */
  bool known;
  pthread_mutex_lock(&ua->lock);
  const ua_nonce_slot *sl = &ua->nonces[*serial % ua->nonce_cap];
  known = sl->serial == *serial && sl->has_raw && mbmsec_ct_equal(sl->raw, raw, sizeof raw);
  pthread_mutex_unlock(&ua->lock);
  if (known) return true;
  return nonce_tag(ua, raw, tag) == MBMSEC_OK &&
         mbmsec_ct_equal(tag, raw + UA_NONCE_RAW - UA_NONCE_TAG, UA_NONCE_TAG);
}

ua_nc_result ua_nonce_accept_nc(mbmsec_ua *ua, uint64_t serial, uint32_t nc)
{
  ua_nc_result r;
  pthread_mutex_lock(&ua->lock);
  ua_nonce_slot *s = &ua->nonces[serial % ua->nonce_cap];
  if (s->serial != serial) {
    r = UA_NC_EVICTED;
  } else if (nc <= s->max_nc) {
    r = UA_NC_REPLAY;
  } else {
    s->max_nc = nc;
    r = UA_NC_OK;
  }
  pthread_mutex_unlock(&ua->lock);
  return r;
}

size_t ua_nonce_kept(mbmsec_ua *ua)
{
  pthread_mutex_lock(&ua->lock);
  const size_t n = ua->serial < ua->nonce_cap ? (size_t)ua->serial : ua->nonce_cap;
  pthread_mutex_unlock(&ua->lock);
  return n;
}
