/* Membership: the per-item answers of register, deregister and msk-request (P3, P4, P15) by
 * the membership engine (lib/members over the store) and the XML in and out (lib/xml). MSK
 * generation is lib/bmsc's key policy (bmsc_rotate.h, daemon side bmsc_rotate.c). */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bmsc.h"
#include "bmsc_text.h"
#include "log.h"
#include "mbmsec/crypto.h"
#include "mbmsec/mbms_xml.h"

#define RESP_MAX (MBMSEC_XML_MAX_ITEMS * (MBMSEC_XML_TEXT_MAX + 64) + 512)

/* Per-thread scratch of the key request path. The lists, the push set and the answer are
 * large (some 400 KiB together, sized for MBMSEC_XML_MAX_ITEMS items) and used whole on every
 * request: allocating them per request cost page faults, brk/madvise trimming and TLB
 * shoot-downs (docs/BENCHMARKS.md). Each HTTP thread keeps one set; a request runs to its end
 * on one thread, so the reply may point into it until the thread's next request. Nothing in
 * it is secret (MSKs are pushed by identity; the keys stay in the store). Each thread also
 * has its own msk-request cache (lib/members) and its own store handle for msk-requests
 * (read-only): the shared handle's mutex, taken for the data-version read of every request,
 * was the daemon's most contended lock. Registrations keep using the shared handle. */
typedef struct {
  mbmsec_members_cache *cache; /* NULL (no memory): the store is read directly */
  mbmsec_store *store;         /* NULL: app->members (in-memory store, or open failed) */
  char resp[RESP_MAX];
  mbmsec_members_push push;
  union {
    struct {
      mbmsec_xml_key_list req, ans;
    } msk;
    struct {
      mbmsec_xml_service_list req, ans;
      mbmsec_members_stop stop;
    } reg;
  } u;
} keyreq_scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static bool scratch_key_ok;

static void scratch_free(void *arg)
{
  keyreq_scratch *s = arg;
  mbmsec_members_cache_free(s->cache);
  mbmsec_store_close(s->store);
  free(s);
}

static void scratch_key_init(void)
{
  scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* The calling thread's scratch, allocated on its first request and freed when it exits. */
static keyreq_scratch *scratch_get(const bmsc_app *app)
{
  pthread_once(&scratch_once, scratch_key_init);
  if (!scratch_key_ok) return NULL;
  keyreq_scratch *s = pthread_getspecific(scratch_key);
  if (s) return s;
  if ((s = malloc(sizeof *s)) == NULL) return NULL;
  if (mbmsec_members_cache_new(&s->cache) != MBMSEC_OK) s->cache = NULL;
  /* a second handle on ":memory:" would be another, empty database */
  s->store = NULL;
  if (!strstr(app->s.store, ":memory:") && mbmsec_store_open(app->s.store, &s->store) != MBMSEC_OK) {
    dlog(DLOG_WARN, "msk-requests of this thread use the shared store handle", NULL);
    s->store = NULL;
  }
  if (pthread_setspecific(scratch_key, s) != 0) {
    scratch_free(s);
    return NULL;
  }
  return s;
}

static const char *const REQ_TYPES[] = {KM_RT_REGISTER, KM_RT_DEREGISTER, KM_RT_MSK};
static const char *const REQ_MEDIA[] = {MT_REGISTER, MT_DEREGISTER, MT_MSK};

int bmsc_keyreq_type(const char *target)
{
  static const char prefix[] = KM_PATH "?requesttype=";
  if (strncmp(target, prefix, sizeof prefix - 1)) return -1;
  for (int i = 0; i < 3; i++)
    if (!strcmp(target + sizeof prefix - 1, REQ_TYPES[i])) return i;
  return -1;
}

/* The media type without parameters, case-insensitive (RFC 9110 8.3.1). */
static bool media_is(const char *ct, const char *want)
{
  if (!ct) return false;
  size_t n = strcspn(ct, ";");
  while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
  return n == strlen(want) && !strncasecmp(ct, want, n);
}

static void count_ok(bmsc_app *app, bmsc_reqtype t, unsigned code, bmsc_reply *out)
{
  if (code != 200) return;
  atomic_fetch_add(&app->m.items[t], 1);
  out->keep_ue |= t != BMSC_RT_DEREGISTER;
}

/* Parse, decide, build. Returns the library code of the first step that failed. */
static mbmsec_err decide(bmsc_app *app, bmsc_reqtype t, const uint8_t *body, size_t len,
                         const mbmsec_members_ue *ue, keyreq_scratch *sc, bmsc_reply *out)
{
  const int64_t now = (int64_t)time(NULL);
  mbmsec_err rc;
  if (t == BMSC_RT_MSK) {
    mbmsec_xml_key_list *req = &sc->u.msk.req, *ans = &sc->u.msk.ans;
    uint64_t t0 = bmsc_stage_now(), t1 = t0, t2 = t0;
    if ((rc = mbmsec_xml_parse_msk_request(body, len, req)) == MBMSEC_OK &&
        (t1 = bmsc_stage_now(),
         rc = mbmsec_members_msk_request_cached(sc->store ? sc->store : app->members, sc->cache,
                                                 ue, req, now,
                                                 ans, out->push)) == MBMSEC_OK) {
      t2 = bmsc_stage_now();
      for (size_t i = 0; i < ans->n; i++) count_ok(app, t, ans->items[i].code, out);
      rc = mbmsec_xml_build_msk_response(ans, sc->resp, RESP_MAX, &out->body_len);
      out->content_type = MT_MSK_RESPONSE;
      const uint64_t t3 = bmsc_stage_now();
      BMSC_STAGE_ADD_SAMPLED(app, BMSC_STAGE_XML, (t1 - t0) + (t3 - t2));
      BMSC_STAGE_ADD_SAMPLED(app, BMSC_STAGE_STORE, t2 - t1);
    }
    return rc;
  }
  mbmsec_xml_service_list *req = &sc->u.reg.req, *ans = &sc->u.reg.ans;
  mbmsec_members_stop *stop = &sc->u.reg.stop;
  uint64_t t0 = bmsc_stage_now();
  rc = mbmsec_xml_parse_register(body, len,
                                 t == BMSC_RT_REGISTER ? MBMSEC_XML_REGISTER : MBMSEC_XML_DEREGISTER,
                                 req);
  if (rc != MBMSEC_OK) return rc;
  uint64_t t1 = bmsc_stage_now();
  if (t == BMSC_RT_REGISTER) {
    rc = mbmsec_members_register(app->members, ue, req, now, ans, out->push);
  } else {
    rc = mbmsec_members_deregister(app->members, ue, req, ans, stop);
    /* The UE left those Key Groups: stop their pending deliveries and pulls to it now
     * rather than retransmitting for up to 62 s (P13). A UE the engine does not know
     * (never pushed to) has nothing pending. */
    mbmsec_bmsc_dl *dl = rc == MBMSEC_OK ? bmsc_mikey_dl(app) : NULL;
    for (size_t i = 0; dl && i < stop->n; i++)
      (void)mbmsec_bmsc_dl_cancel_group(dl, ue->btid, stop->items[i].kdid,
                                        stop->items[i].key_group, NULL);
  }
  if (rc != MBMSEC_OK) return rc;
  uint64_t t2 = bmsc_stage_now();
  for (size_t i = 0; i < ans->n; i++) count_ok(app, t, ans->items[i].code, out);
  rc = mbmsec_xml_build_register_response(ans, sc->resp, RESP_MAX, &out->body_len);
  out->content_type = MT_REGISTER_RESPONSE;
  BMSC_STAGE_ADD_SAMPLED(app, BMSC_STAGE_XML, (t1 - t0) + (bmsc_stage_now() - t2));
  BMSC_STAGE_ADD_SAMPLED(app, BMSC_STAGE_STORE, t2 - t1);
  return rc;
}

void bmsc_keyreq_handle(bmsc_app *app, bmsc_reqtype t, const char *content_type,
                        const uint8_t *body, size_t len, const mbmsec_ua_decision *dec,
                        uint32_t ipv4, bmsc_reply *out)
{
  memset(out, 0, sizeof *out);
  out->status = 400;
  if (!media_is(content_type, REQ_MEDIA[t])) return; /* http-ua.md step 8: HTTP 400 */
  out->status = 500;
  keyreq_scratch *sc = scratch_get(app);
  if (!sc) return;
  out->push = &sc->push;
  out->push->n = 0;
  _Static_assert(MBMSEC_STORE_UE_ADDR_MAX + 1 >= BMSC_IPV4_PORT_TEXT, "UE address text");
  char ue_addr[MBMSEC_STORE_UE_ADDR_MAX + 1];
  bmsc_ipv4_port_text(ipv4, app->s.ue_mikey_port, ue_addr);
  /* The BIR asked for GSID 4 and the BSF answers 5402 (HTTP 403) when the USS lacks MBMS:
   * an authenticated request therefore carries an MBMS-enabled USS. */
  const mbmsec_members_ue ue = {.impi = dec->impi, .btid = dec->btid, .ue_addr = ue_addr,
                                .uss = "4"};
  mbmsec_err rc = decide(app, t, body, len, &ue, sc, out);
  if (rc == MBMSEC_OK) {
    out->status = 200;
    out->body = sc->resp;
    return;
  }
  bmsc_reply_clear(out);
  /* a document the parser refused is the client's fault (P4: HTTP 400) */
  const bool server = rc == MBMSEC_ERR_NOMEM || rc == MBMSEC_ERR_SPACE || rc == MBMSEC_ERR_ARG ||
                      !strncmp(mbmsec_errname(rc), "MBMSEC_ERR_STORE", 16);
  out->status = server ? 500 : 400;
  dlog(server ? DLOG_ERROR : DLOG_WARN, "request refused", "btid", dec->btid, "code",
           mbmsec_errname(rc), NULL);
}

void bmsc_reply_clear(bmsc_reply *r)
{
  r->body = NULL;
  r->push = NULL;
  r->body_len = 0;
  r->keep_ue = false;
}
