/* The UE's requests to a BM-SC (register, deregister, msk-request) as an engine without I/O
 * over the Digest client of ua_client.c, and the driver that runs it over a transport:
 * include/mbmsec/ue.h, section "Ua client and MIKEY receiver". */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/ue.h"
#include "mbmsec/ue_km.h"

#define KM_BUILT_MAX 512 /* longer item lists are built every time */

struct mbmsec_ue_km {
  mbmsec_ue_ua own;    /* its own Digest state for this BM-SC (holds base64(MRK)) */
  mbmsec_ue_ua *ua;    /* the state in use: &own, or the caller's (mbmsec_ue_km_bind_digest) */
  bool active;         /* a request is running */
  bool need_bootstrap; /* BOOTSTRAP step given, new credentials not yet set */
  bool rebootstrapped; /* this request already got new credentials */
  bool done;           /* items of the last request available */
  char realm[sizeof MBMSEC_MBMS_REALM_PREFIX + MBMSEC_XML_HOST_MAX];
  char prefix[MBMSEC_UE_KM_TARGET_MAX]; /* km-uri path without the trailing '/' */
  mbmsec_ue_km_type type;
  char target[MBMSEC_UE_KM_TARGET_MAX];
  unsigned exchanges;
  long last_status;
  char auth[MBMSEC_UE_AUTH_SIZE];
  char body[MBMSEC_XML_DOC_MAX + 1];
  size_t body_len;
  mbmsec_xml_service_list req_svc, resp_svc;
  mbmsec_xml_key_list req_key, resp_key;
  /* The items of the request whose body and request list are built (type, then each item
   * with its NUL), so that a request for the same items (mbmsec-load's repeat phase: one
   * per UE, again and again) reuses them; built_len 0 = nothing reusable. */
  char built[KM_BUILT_MAX];
  size_t built_len;
};

static const char *rt_name(mbmsec_ue_km_type t)
{
  return t == MBMSEC_UE_KM_REGISTER     ? MBMSEC_KM_RT_REGISTER
         : t == MBMSEC_UE_KM_DEREGISTER ? MBMSEC_KM_RT_DEREGISTER
                                        : MBMSEC_KM_RT_MSK;
}

static const char *req_type(mbmsec_ue_km_type t)
{
  return t == MBMSEC_UE_KM_REGISTER     ? MBMSEC_MT_REGISTER
         : t == MBMSEC_UE_KM_DEREGISTER ? MBMSEC_MT_DEREGISTER
                                        : MBMSEC_MT_MSK;
}

static const char *resp_type(mbmsec_ue_km_type t)
{
  return t == MBMSEC_UE_KM_MSK ? MBMSEC_MT_MSK_RESPONSE : MBMSEC_MT_REGISTER_RESPONSE;
}

mbmsec_err mbmsec_ue_km_new(const char *km_uri, const char *naf_fqdn, mbmsec_ue_km **out)
{
  ENSURE(km_uri && out, MBMSEC_ERR_ARG);
  *out = NULL;
  char host[MBMSEC_XML_HOST_MAX + 1], path[MBMSEC_UE_KM_TARGET_MAX];
  GUARD(mbmsec_ue_url_parts(km_uri, host, sizeof host, path, sizeof path));
  ENSURE(!strchr(path, '?'), MBMSEC_ERR_ARG); /* P2: the query is ours */
  const char *fqdn = naf_fqdn ? naf_fqdn : host;
  const size_t fl = strlen(fqdn);
  ENSURE(fl >= 1 && fl <= MBMSEC_XML_HOST_MAX, MBMSEC_ERR_ARG);
  size_t pl = strlen(path);
  while (pl && path[pl - 1] == '/') pl--;
  ENSURE(pl + sizeof MBMSEC_KM_PATH + sizeof "?requesttype=" + sizeof MBMSEC_KM_RT_DEREGISTER <
             MBMSEC_UE_KM_TARGET_MAX,
         MBMSEC_ERR_SPACE);
  mbmsec_ue_km *k = calloc(1, sizeof *k);
  ENSURE(k != NULL, MBMSEC_ERR_NOMEM);
  k->ua = &k->own;
  memcpy(k->prefix, path, pl);
  k->prefix[pl] = 0;
  memcpy(k->realm, MBMSEC_MBMS_REALM_PREFIX, sizeof MBMSEC_MBMS_REALM_PREFIX - 1);
  memcpy(k->realm + sizeof MBMSEC_MBMS_REALM_PREFIX - 1, fqdn, fl + 1);
  *out = k;
  return MBMSEC_OK;
}

void mbmsec_ue_km_free(mbmsec_ue_km *k)
{
  if (!k) return;
  /* Its own state and buffers; a bound state is the caller's to cleanse. */
  mbmsec_cleanse(k, sizeof *k);
  free(k);
}

mbmsec_err mbmsec_ue_km_set_credentials(mbmsec_ue_km *k, const char *btid,
                                        const uint8_t mrk[MBMSEC_GBA_KEY_LEN])
{
  ENSURE(k && btid && mrk, MBMSEC_ERR_ARG);
  mbmsec_ue_ua ua;
  mbmsec_err rc = mbmsec_ue_ua_init(&ua, btid, mrk);
  if (rc == MBMSEC_OK) {
    mbmsec_ue_ua_cleanse(k->ua);
    *k->ua = ua;
    if (k->need_bootstrap) {
      k->need_bootstrap = false;
      k->rebootstrapped = true;
    }
  }
  mbmsec_ue_ua_cleanse(&ua);
  return rc;
}

/* The type and items as one string into sig[KM_BUILT_MAX]; its length, 0 when it does not
 * fit or an item is NULL (then nothing is reused). */
static size_t items_sig(mbmsec_ue_km_type type, const char *const *items, size_t n, char *sig)
{
  size_t len = 0;
  sig[len++] = (char)('0' + type);
  for (size_t i = 0; i < n; i++) {
    if (!items[i]) return 0;
    const size_t l = strlen(items[i]) + 1;
    if (l > KM_BUILT_MAX - len) return 0;
    memcpy(sig + len, items[i], l);
    len += l;
  }
  return len;
}

mbmsec_err mbmsec_ue_km_start(mbmsec_ue_km *k, mbmsec_ue_km_type type, const char *const *items,
                              size_t n)
{
  ENSURE(k && items && n > 0, MBMSEC_ERR_ARG);
  ENSURE(k->ua->btid[0] != '\0', MBMSEC_ERR_ARG); /* no credentials (init needs a B-TID) */
  ENSURE(type == MBMSEC_UE_KM_REGISTER || type == MBMSEC_UE_KM_DEREGISTER ||
             type == MBMSEC_UE_KM_MSK,
         MBMSEC_ERR_ARG);
  k->active = k->done = k->need_bootstrap = k->rebootstrapped = false;
  k->exchanges = 0;
  k->last_status = 0;
  k->type = type;
  k->resp_svc.n = k->resp_key.n = 0;
  char sig[KM_BUILT_MAX];
  const size_t sig_len = items_sig(type, items, n, sig);
  if (sig_len && sig_len == k->built_len && !memcmp(sig, k->built, sig_len)) {
    k->active = true; /* the same items as the request built last: body, target, list kept */
    return MBMSEC_OK;
  }
  k->built_len = 0;
  k->req_svc.n = k->req_key.n = 0;
  k->req_svc.n_bad = k->req_key.n_bad = 0;
  size_t len = 0;
  if (type == MBMSEC_UE_KM_MSK) {
    for (size_t i = 0; i < n; i++) {
      ENSURE(items[i], MBMSEC_ERR_ARG);
      uint8_t kdid[MBMSEC_KDID_LEN], msk_id[MBMSEC_MSK_ID_LEN];
      GUARD(mbmsec_xml_keyid_decode(items[i], strlen(items[i]), kdid, msk_id));
      GUARD(mbmsec_xml_key_add(&k->req_key, kdid, msk_id, 0));
    }
    GUARD(mbmsec_xml_build_msk_request(&k->req_key, k->body, sizeof k->body, &len));
  } else {
    for (size_t i = 0; i < n; i++) {
      ENSURE(items[i], MBMSEC_ERR_ARG);
      GUARD(mbmsec_xml_service_add(&k->req_svc, items[i], 0));
    }
    GUARD(mbmsec_xml_build_register(type == MBMSEC_UE_KM_REGISTER ? MBMSEC_XML_REGISTER
                                                                  : MBMSEC_XML_DEREGISTER,
                                    &k->req_svc, k->body, sizeof k->body, &len));
  }
  k->body_len = len;
  /* Fits: checked against the longest request type in mbmsec_ue_km_new. */
  strcpy(k->target, k->prefix);
  strcat(k->target, MBMSEC_KM_PATH "?requesttype=");
  strcat(k->target, rt_name(type));
  if (sig_len) memcpy(k->built, sig, sig_len);
  k->built_len = sig_len;
  k->active = true;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_ue_km_next(mbmsec_ue_km *k, mbmsec_ue_km_send *s)
{
  ENSURE(k && s, MBMSEC_ERR_ARG);
  if (k->active && k->exchanges >= MBMSEC_UE_KM_EXCHANGES_MAX)
    k->active = false; /* too many round trips: the request is over (and the engine free) */
  ENSURE(k->active && !k->need_bootstrap && k->exchanges < MBMSEC_UE_KM_EXCHANGES_MAX,
         MBMSEC_ERR_UE_SEQUENCE);
  size_t alen = 0;
  mbmsec_err rc = mbmsec_ue_ua_authorize(k->ua, k->target, (const uint8_t *)k->body, k->body_len,
                                         k->auth, sizeof k->auth, &alen);
  if (rc != MBMSEC_OK) {
    k->active = false;
    return rc;
  }
  k->exchanges++;
  *s = (mbmsec_ue_km_send){.target = k->target,
                           .content_type = req_type(k->type),
                           .accept = resp_type(k->type),
                           .body = (const uint8_t *)k->body,
                           .body_len = k->body_len,
                           .authorization = k->auth};
  return MBMSEC_OK;
}

/* Content-Type value equals want, parameters after ';' and white space ignored. */
static bool type_is(const char *ct, const char *want)
{
  while (*ct == ' ' || *ct == '\t') ct++;
  size_t n = strcspn(ct, ";");
  while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
  return n == strlen(want) && !strncasecmp(ct, want, n);
}

static mbmsec_err on_200(mbmsec_ue_km *k, const mbmsec_ue_http_answer *ans)
{
  /* rspauth first: an unverified body is never parsed. */
  GUARD(mbmsec_ue_ua_on_200(k->ua, ans->auth_info.len ? ans->auth_info.p : NULL, ans->auth_info.len,
                            ans->body, ans->body_len));
  ENSURE(!ans->content_type || type_is(ans->content_type, resp_type(k->type)),
         MBMSEC_ERR_UE_HTTP_STATUS);
  if (k->type == MBMSEC_UE_KM_MSK)
    GUARD(mbmsec_xml_parse_msk_response(ans->body, ans->body_len, &k->resp_key));
  else
    GUARD(mbmsec_xml_parse_register_response(ans->body, ans->body_len, &k->resp_svc));
  return MBMSEC_OK;
}

mbmsec_err mbmsec_ue_km_answer(mbmsec_ue_km *k, const mbmsec_ue_http_answer *ans,
                               mbmsec_ue_km_step *step)
{
  ENSURE(k && ans && step && (ans->body || ans->body_len == 0), MBMSEC_ERR_ARG);
  ENSURE(k->active && !k->need_bootstrap && k->exchanges > 0, MBMSEC_ERR_UE_SEQUENCE);
  k->last_status = ans->status;
  mbmsec_err rc;
  if (ans->status == 200) {
    rc = on_200(k, ans);
    if (rc == MBMSEC_OK) {
      k->active = false;
      k->done = true;
      *step = MBMSEC_UE_KM_DONE;
      return MBMSEC_OK;
    }
    k->resp_key.n = k->resp_svc.n = 0;
  } else if (ans->status == 401) {
    mbmsec_ue_ua_action act;
    rc = ans->n_www_auth ? mbmsec_ue_ua_on_401(k->ua, ans->www_auth, ans->n_www_auth, &act)
                         : MBMSEC_ERR_UE_HTTP_STATUS;
    /* The realm names the NAF whose MRK we hold: another one cannot verify. */
    if (rc == MBMSEC_OK && strcasecmp(k->ua->realm, k->realm) != 0) rc = MBMSEC_ERR_UE_NO_CHALLENGE;
    if (rc == MBMSEC_OK && act == MBMSEC_UE_UA_RETRY) {
      *step = MBMSEC_UE_KM_SEND_AGAIN;
      return MBMSEC_OK;
    }
    if (rc == MBMSEC_OK && !k->rebootstrapped) {
      k->need_bootstrap = true;
      *step = MBMSEC_UE_KM_BOOTSTRAP;
      return MBMSEC_OK;
    }
    if (rc == MBMSEC_OK) rc = MBMSEC_ERR_UE_REFUSED; /* refused again after a new bootstrap */
  } else {
    rc = ans->status == 403 ? MBMSEC_ERR_UE_REFUSED : MBMSEC_ERR_UE_HTTP_STATUS;
  }
  k->active = false;
  return rc;
}

size_t mbmsec_ue_km_n_items(const mbmsec_ue_km *k)
{
  if (!k || !k->done) return 0;
  return k->type == MBMSEC_UE_KM_MSK ? k->resp_key.n : k->resp_svc.n;
}

mbmsec_err mbmsec_ue_km_item_get(const mbmsec_ue_km *k, size_t i, mbmsec_ue_km_item *out)
{
  ENSURE(k && out && i < mbmsec_ue_km_n_items(k), MBMSEC_ERR_ARG);
  memset(out, 0, sizeof *out);
  if (k->type == MBMSEC_UE_KM_MSK) {
    const mbmsec_xml_key *it = &k->resp_key.items[i];
    out->text = it->text;
    out->code = it->code;
    out->keyid_ok = it->err == MBMSEC_OK;
    if (out->keyid_ok) {
      memcpy(out->kdid, it->kdid, MBMSEC_KDID_LEN);
      memcpy(out->msk_id, it->msk_id, MBMSEC_MSK_ID_LEN);
      for (size_t j = 0; j < k->req_key.n && !out->requested; j++)
        out->requested = !memcmp(it->kdid, k->req_key.items[j].kdid, MBMSEC_KDID_LEN) &&
                         !memcmp(it->msk_id, k->req_key.items[j].msk_id, MBMSEC_MSK_ID_LEN);
    }
  } else {
    const mbmsec_xml_service *it = &k->resp_svc.items[i];
    out->text = it->text;
    out->code = it->code;
    for (size_t j = 0; j < k->req_svc.n && !out->requested; j++)
      out->requested = it->len == k->req_svc.items[j].len &&
                       !memcmp(it->text, k->req_svc.items[j].text, it->len);
  }
  return MBMSEC_OK;
}

long mbmsec_ue_km_last_status(const mbmsec_ue_km *k) { return k ? k->last_status : 0; }

unsigned mbmsec_ue_km_exchanges(const mbmsec_ue_km *k) { return k ? k->exchanges : 0; }

bool mbmsec_ue_km_needs_bootstrap(const mbmsec_ue_km *k) { return k && k->need_bootstrap; }

void mbmsec_ue_km_abort(mbmsec_ue_km *k)
{
  if (k) k->active = false;
}

mbmsec_err mbmsec_ue_km_bind_digest(mbmsec_ue_km *k, mbmsec_ue_ua *ua)
{
  ENSURE(k, MBMSEC_ERR_ARG);
  ENSURE(!k->active, MBMSEC_ERR_UE_SEQUENCE);
  /* A pointer, not a copy: swapping the ~4.5 KiB state in and out twice per request was ~9 %
   * of mbmsec-load's CPU (docs/BENCHMARKS.md, 2026-11-29 third round). */
  k->ua = ua ? ua : &k->own;
  k->need_bootstrap = k->rebootstrapped = false;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_ue_km_run(mbmsec_ue_km *k, mbmsec_ue_km_type type, const char *const *items,
                            size_t n, mbmsec_ue_km_post_fn post, void *post_ctx,
                            mbmsec_ue_km_bootstrap_fn boot, void *boot_ctx)
{
  ENSURE(k && post, MBMSEC_ERR_ARG);
  GUARD(mbmsec_ue_km_start(k, type, items, n));
  for (;;) {
    mbmsec_ue_km_send s;
    mbmsec_ue_http_answer ans;
    mbmsec_ue_km_step step;
    GUARD(mbmsec_ue_km_next(k, &s));
    memset(&ans, 0, sizeof ans);
    mbmsec_err rc = post(post_ctx, &s, &ans);
    if (rc != MBMSEC_OK) {
      mbmsec_ue_km_abort(k);
      return rc;
    }
    GUARD(mbmsec_ue_km_answer(k, &ans, &step));
    if (step == MBMSEC_UE_KM_DONE) return MBMSEC_OK;
    if (step == MBMSEC_UE_KM_BOOTSTRAP) {
      if (!boot) {
        mbmsec_ue_km_abort(k);
        return MBMSEC_ERR_UE_REFUSED; /* needs_bootstrap stays true */
      }
      char btid[MBMSEC_UE_ID_MAX + 1];
      uint8_t mrk[MBMSEC_GBA_KEY_LEN];
      rc = boot(boot_ctx, btid, mrk);
      if (rc == MBMSEC_OK) rc = mbmsec_ue_km_set_credentials(k, btid, mrk);
      mbmsec_cleanse(mrk, sizeof mrk);
      if (rc != MBMSEC_OK) {
        mbmsec_ue_km_abort(k);
        return rc;
      }
    }
  }
}
