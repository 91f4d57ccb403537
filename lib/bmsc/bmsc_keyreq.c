/* The BM-SC key request engine (include/mbmsec/bmsc_keyreq.h): http-ua.md section 3 in one
 * call. Routing (404/405/413), the Digest check of lib/ua, the IPv4 source (P6), the media
 * type and document of the requesttype (P3, step 8), the per-item decisions of lib/members
 * (P4, P15) and Authentication-Info; what the MIKEY side must do comes out as lists. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mbmsec/bmsc_keyreq.h"
#include "mbmsec/crypto.h"
#include "mbmsec/profile.h"

#define RESP_MAX     (MBMSEC_XML_MAX_ITEMS * (MBMSEC_XML_TEXT_MAX + 64) + 512)
#define UE_ADDR_TEXT 22 /* "255.255.255.255:65535" */

/* Per-thread scratch of the key request path. The lists, the push set and the answer are
 * large (some 400 KiB together, sized for MBMSEC_XML_MAX_ITEMS items) and used whole on every
 * request: allocating them per request cost page faults, brk/madvise trimming and TLB
 * shoot-downs (docs/BENCHMARKS.md). Each thread keeps one set; a request runs to its end on
 * one thread, so the answer may point into it until the thread's next request. Nothing in it
 * is secret (MSKs are pushed by identity; the keys stay in the store). Each thread also has
 * its own msk-request cache (lib/members) and its own store handle for msk-requests
 * (read-only): the shared handle's mutex, taken for the data-version read of every request,
 * was the daemon's most contended lock. Registrations keep using the shared handle. */
typedef struct kr_scratch {
  mbmsec_bmsc_kr *kr;
  struct kr_scratch *prev, *next; /* the engine's list (freed with the engine) */
  mbmsec_members_cache *cache;    /* NULL (no memory): the store is read directly */
  mbmsec_store *store;            /* NULL: the shared handle */
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
} kr_scratch;

struct mbmsec_bmsc_kr {
  mbmsec_ua *ua;
  mbmsec_store *store;
  char *store_uri; /* NULL: msk-requests use store */
  uint16_t ue_port;
  mbmsec_ua_clock_fn clock;
  void *clock_user;
  mbmsec_bmsc_kr_cpu_fn cpu_ns;
  void *cpu_user;
  unsigned sample;
  mbmsec_bmsc_kr_warn_fn warn;
  void *warn_user;
  pthread_key_t key;
  pthread_mutex_t mu; /* the scratch list */
  kr_scratch *list;
};

static const char *const REQ_TYPES[] = {MBMSEC_KM_RT_REGISTER, MBMSEC_KM_RT_DEREGISTER,
                                        MBMSEC_KM_RT_MSK};
static const char *const REQ_MEDIA[] = {MBMSEC_MT_REGISTER, MBMSEC_MT_DEREGISTER, MBMSEC_MT_MSK};

/* ---- per-thread scratch */

static void scratch_release(kr_scratch *s)
{
  mbmsec_members_cache_free(s->cache);
  mbmsec_store_close(s->store);
  free(s);
}

/* Thread exit: unlink from the engine's list, then free. */
static void scratch_destroy(void *arg)
{
  kr_scratch *s = arg;
  mbmsec_bmsc_kr *kr = s->kr;
  pthread_mutex_lock(&kr->mu);
  if (s->prev)
    s->prev->next = s->next;
  else
    kr->list = s->next;
  if (s->next) s->next->prev = s->prev;
  pthread_mutex_unlock(&kr->mu);
  scratch_release(s);
}

/* The calling thread's scratch, allocated on its first request. */
static kr_scratch *scratch_get(mbmsec_bmsc_kr *kr)
{
  kr_scratch *s = pthread_getspecific(kr->key);
  if (s) return s;
  if ((s = malloc(sizeof *s)) == NULL) return NULL;
  s->kr = kr;
  s->prev = NULL;
  if (mbmsec_members_cache_new(&s->cache) != MBMSEC_OK) s->cache = NULL;
  s->store = NULL;
  if (kr->store_uri) {
    const mbmsec_err rc = mbmsec_store_open(kr->store_uri, &s->store);
    if (rc != MBMSEC_OK) {
      s->store = NULL;
      if (kr->warn)
        kr->warn(kr->warn_user, "msk-requests of this thread use the shared store handle", rc);
    }
  }
  if (pthread_setspecific(kr->key, s) != 0) {
    scratch_release(s);
    return NULL;
  }
  pthread_mutex_lock(&kr->mu);
  s->next = kr->list;
  if (kr->list) kr->list->prev = s;
  kr->list = s;
  pthread_mutex_unlock(&kr->mu);
  return s;
}

/* ---- engine */

mbmsec_err mbmsec_bmsc_kr_new(const mbmsec_bmsc_kr_config *cfg, mbmsec_bmsc_kr **out)
{
  if (!out) return MBMSEC_ERR_ARG;
  *out = NULL;
  if (!cfg || !cfg->store || cfg->stage_sample > 65536) return MBMSEC_ERR_ARG;
  mbmsec_bmsc_kr *kr = calloc(1, sizeof *kr);
  if (!kr) return MBMSEC_ERR_NOMEM;
  if (cfg->store_uri && !strstr(cfg->store_uri, ":memory:") &&
      !(kr->store_uri = strdup(cfg->store_uri))) {
    free(kr);
    return MBMSEC_ERR_NOMEM;
  }
  if (pthread_key_create(&kr->key, scratch_destroy) != 0) {
    free(kr->store_uri);
    free(kr);
    return MBMSEC_ERR_NOMEM;
  }
  pthread_mutex_init(&kr->mu, NULL);
  const mbmsec_err rc = mbmsec_ua_new(&cfg->ua, &kr->ua);
  if (rc != MBMSEC_OK) {
    mbmsec_bmsc_kr_free(kr);
    return rc;
  }
  kr->store = cfg->store;
  kr->ue_port = cfg->ue_mikey_port ? cfg->ue_mikey_port : MBMSEC_MIKEY_UDP_PORT_DEFAULT;
  kr->clock = cfg->ua.clock;
  kr->clock_user = cfg->ua.clock_user;
  kr->cpu_ns = cfg->cpu_ns;
  kr->cpu_user = cfg->cpu_user;
  kr->sample = cfg->stage_sample ? cfg->stage_sample : MBMSEC_BMSC_KR_STAGE_SAMPLE_DEFAULT;
  kr->warn = cfg->warn;
  kr->warn_user = cfg->warn_user;
  *out = kr;
  return MBMSEC_OK;
}

void mbmsec_bmsc_kr_free(mbmsec_bmsc_kr *kr)
{
  if (!kr) return;
  /* After the delete no thread-exit destructor runs for this key: the list frees the rest. */
  pthread_key_delete(kr->key);
  pthread_mutex_lock(&kr->mu);
  for (kr_scratch *s = kr->list, *n; s; s = n) {
    n = s->next;
    scratch_release(s);
  }
  kr->list = NULL;
  pthread_mutex_unlock(&kr->mu);
  pthread_mutex_destroy(&kr->mu);
  mbmsec_ua_free(kr->ua);
  free(kr->store_uri);
  free(kr);
}

mbmsec_ua *mbmsec_bmsc_kr_ua(mbmsec_bmsc_kr *kr) { return kr ? kr->ua : NULL; }

mbmsec_bmsc_kr_type mbmsec_bmsc_kr_type_of(const char *target, size_t len)
{
  static const char prefix[] = MBMSEC_KM_PATH "?requesttype=";
  const size_t pl = sizeof prefix - 1;
  if (!target || len <= pl || memcmp(target, prefix, pl)) return MBMSEC_BMSC_KR_NONE;
  for (int i = 0; i < 3; i++)
    if (len - pl == strlen(REQ_TYPES[i]) && !memcmp(target + pl, REQ_TYPES[i], len - pl))
      return (mbmsec_bmsc_kr_type)i;
  return MBMSEC_BMSC_KR_NONE;
}

/* The media type without parameters, case-insensitive (RFC 9110 8.3.1). */
static bool media_is(const char *ct, size_t len, const char *want)
{
  if (!ct) return false;
  size_t n = 0;
  while (n < len && ct[n] != ';') n++;
  while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
  return n == strlen(want) && !strncasecmp(ct, want, n);
}

static char *put_dec(char *p, unsigned v)
{
  char d[5];
  int k = 0;
  do d[k++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  while (k) *p++ = d[--k];
  return p;
}

/* "a.b.c.d:port" without printf (written on every key request). */
static void ipv4_port_text(uint32_t ipv4, unsigned port, char out[UE_ADDR_TEXT])
{
  char *p = out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    p = put_dec(p, (ipv4 >> shift) & 255u);
    *p++ = shift ? '.' : ':';
  }
  p = put_dec(p, port & 0xffffu);
  *p = '\0';
}

/* HTTP status of a failure after authentication (P4): input the parser refused is the
 * client's (400); the store, memory and everything else are the server's (500). */
static unsigned status_of(mbmsec_err rc)
{
  return mbmsec_err_class(rc) == MBMSEC_ERRCLASS_INPUT ? 400 : 500;
}

typedef struct {
  mbmsec_bmsc_kr *kr;
  bool timed;
  mbmsec_bmsc_kr_response *r;
} kr_ctx;

static uint64_t stage_now(const kr_ctx *c) { return c->timed ? c->kr->cpu_ns(c->kr->cpu_user) : 0; }

static void stage_add(const kr_ctx *c, mbmsec_bmsc_kr_stage st, uint64_t ns)
{
  if (c->timed) c->r->stage_ns[st] += ns * c->kr->sample;
}

static void count_ok(kr_ctx *c, unsigned code)
{
  if (code != 200) return;
  c->r->items_ok++;
  c->r->set_ue |= c->r->type != MBMSEC_BMSC_KR_DEREGISTER;
}

/* Parse, decide, build (steps 8 and 9). Returns the code of the first step that failed. */
static mbmsec_err decide(kr_ctx *c, const uint8_t *body, size_t len, const mbmsec_members_ue *ue,
                         kr_scratch *sc)
{
  mbmsec_bmsc_kr *kr = c->kr;
  mbmsec_bmsc_kr_response *r = c->r;
  const int64_t now = kr->clock ? kr->clock(kr->clock_user) : (int64_t)time(NULL);
  mbmsec_err rc;
  if (r->type == MBMSEC_BMSC_KR_MSK) {
    mbmsec_xml_key_list *req = &sc->u.msk.req, *ans = &sc->u.msk.ans;
    uint64_t t0 = stage_now(c), t1 = t0, t2 = t0;
    if ((rc = mbmsec_xml_parse_msk_request(body, len, req)) == MBMSEC_OK &&
        (t1 = stage_now(c),
         rc = mbmsec_members_msk_request_cached(sc->store ? sc->store : kr->store, sc->cache, ue,
                                                req, now, ans, &sc->push)) == MBMSEC_OK) {
      t2 = stage_now(c);
      for (size_t i = 0; i < ans->n; i++) count_ok(c, ans->items[i].code);
      rc = mbmsec_xml_build_msk_response(ans, sc->resp, RESP_MAX, &r->body_len);
      r->content_type = MBMSEC_MT_MSK_RESPONSE;
      const uint64_t t3 = stage_now(c);
      stage_add(c, MBMSEC_BMSC_KR_STAGE_XML, (t1 - t0) + (t3 - t2));
      stage_add(c, MBMSEC_BMSC_KR_STAGE_STORE, t2 - t1);
    }
    return rc;
  }
  mbmsec_xml_service_list *req = &sc->u.reg.req, *ans = &sc->u.reg.ans;
  uint64_t t0 = stage_now(c);
  rc = mbmsec_xml_parse_register(
      body, len, r->type == MBMSEC_BMSC_KR_REGISTER ? MBMSEC_XML_REGISTER : MBMSEC_XML_DEREGISTER,
      req);
  if (rc != MBMSEC_OK) return rc;
  uint64_t t1 = stage_now(c);
  if (r->type == MBMSEC_BMSC_KR_REGISTER) {
    rc = mbmsec_members_register(kr->store, ue, req, now, ans, &sc->push);
  } else {
    rc = mbmsec_members_deregister(kr->store, ue, req, ans, &sc->u.reg.stop);
    /* The UE left those Key Groups: its pending deliveries and pulls of them stop now rather
     * than being retransmitted for up to 62 s (P13), whatever becomes of the answer. */
    if (rc == MBMSEC_OK) r->cancel = &sc->u.reg.stop;
  }
  if (rc != MBMSEC_OK) return rc;
  uint64_t t2 = stage_now(c);
  for (size_t i = 0; i < ans->n; i++) count_ok(c, ans->items[i].code);
  rc = mbmsec_xml_build_register_response(ans, sc->resp, RESP_MAX, &r->body_len);
  r->content_type = MBMSEC_MT_REGISTER_RESPONSE;
  stage_add(c, MBMSEC_BMSC_KR_STAGE_XML, (t1 - t0) + (stage_now(c) - t2));
  stage_add(c, MBMSEC_BMSC_KR_STAGE_STORE, t2 - t1);
  return rc;
}

/* Steps 8-9 and Authentication-Info for an authenticated request. */
static mbmsec_err items(kr_ctx *c, const mbmsec_bmsc_kr_request *q)
{
  mbmsec_bmsc_kr *kr = c->kr;
  mbmsec_bmsc_kr_response *r = c->r;
  const mbmsec_ua_decision *dec = &r->dec;
  r->status = 400;
  if (!media_is(q->content_type, q->content_type_len, REQ_MEDIA[r->type])) return MBMSEC_OK;
  kr_scratch *sc = scratch_get(kr);
  if (!sc) {
    r->status = 500;
    return r->code = MBMSEC_ERR_NOMEM;
  }
  sc->push.n = 0;
  char ue_addr[UE_ADDR_TEXT];
  ipv4_port_text(q->ipv4, kr->ue_port, ue_addr);
  /* The BIR asked for GSID 4 and the BSF answers 5402 (HTTP 403) when the USS lacks MBMS:
   * an authenticated request therefore carries an MBMS-enabled USS. */
  const mbmsec_members_ue ue = {
      .impi = dec->impi, .btid = dec->btid, .ue_addr = ue_addr, .uss = "4"};
  mbmsec_err rc = decide(c, q->body, q->body_len, &ue, sc);
  if (rc == MBMSEC_OK) {
    const uint64_t t0 = stage_now(c);
    rc = mbmsec_ua_auth_info(kr->ua, dec, (const uint8_t *)sc->resp, r->body_len, false,
                             r->authentication_info, sizeof r->authentication_info, NULL);
    stage_add(c, MBMSEC_BMSC_KR_STAGE_DIGEST, stage_now(c) - t0);
    if (rc == MBMSEC_OK) {
      r->status = 200;
      r->body = sc->resp;
      r->deliver = &sc->push;
      return MBMSEC_OK;
    }
    r->status = 500;
  } else {
    r->status = status_of(rc);
  }
  r->code = rc;
  r->authentication_info[0] = '\0';
  r->content_type = NULL;
  r->body = NULL;
  r->body_len = 0;
  r->set_ue = false;
  return r->status == 500 ? rc : MBMSEC_OK;
}

mbmsec_err mbmsec_bmsc_kr_handle(mbmsec_bmsc_kr *kr, const mbmsec_bmsc_kr_request *q,
                                 mbmsec_bmsc_kr_response *r)
{
  if (!kr || !q || !r) return MBMSEC_ERR_ARG;
  /* field by field: the decision (some 3 KiB) is filled by the Digest check when it runs */
  r->status = 500;
  r->ua_checked = false;
  r->reason = MBMSEC_UA_R_OK;
  r->code = MBMSEC_OK;
  r->n_www_authenticate = 0;
  r->authentication_info[0] = '\0';
  r->content_type = NULL;
  r->body = NULL;
  r->body_len = 0;
  r->items_ok = 0;
  for (int i = 0; i < MBMSEC_BMSC_KR_STAGE_N; i++) r->stage_ns[i] = 0;
  r->set_ue = false;
  r->deliver = NULL;
  r->cancel = NULL;
  r->dec.status = 0;
  r->type = mbmsec_bmsc_kr_type_of(q->target, q->target_len);
  if (r->type == MBMSEC_BMSC_KR_NONE) {
    r->status = 404;
    return MBMSEC_OK;
  }
  if (q->method_len != 4 || !q->method || memcmp(q->method, "POST", 4)) {
    r->status = 405;
    return MBMSEC_OK;
  }
  if (q->body_len > MBMSEC_BMSC_KR_BODY_MAX || q->body_seen > MBMSEC_BMSC_KR_BODY_MAX) {
    r->status = 413;
    return MBMSEC_OK;
  }
  /* Steps 1-7 (lib/ua). Stage times: one authenticated request in `sample` per thread. */
  static _Thread_local unsigned n_req;
  kr_ctx c = {.kr = kr, .timed = kr->cpu_ns && n_req++ % kr->sample == 0, .r = r};
  const mbmsec_ua_request uq = {.method = q->method,
                                .method_len = q->method_len,
                                .target = q->target,
                                .target_len = q->target_len,
                                .authorization = q->authorization,
                                .authorization_len = q->authorization_len,
                                .body = q->body,
                                .body_len = q->body_len};
  const uint64_t t0 = stage_now(&c);
  mbmsec_err rc = mbmsec_ua_check(kr->ua, &uq, &r->dec);
  stage_add(&c, MBMSEC_BMSC_KR_STAGE_DIGEST, stage_now(&c) - t0);
  r->ua_checked = true;
  if (rc == MBMSEC_ERR_ARG) r->dec.status = 500;
  r->reason = r->dec.reason;
  r->status = r->dec.status;
  if (r->status == 401) {
    r->n_www_authenticate = r->dec.n_challenges;
    for (size_t i = 0; i < r->dec.n_challenges && i < MBMSEC_UA_ALGS_MAX; i++)
      r->www_authenticate[i] = r->dec.challenge[i];
  }
  if (r->status == 500) return r->code = rc != MBMSEC_OK ? rc : MBMSEC_ERR_CRYPTO;
  if (r->status != 200) return MBMSEC_OK;
  if (q->ipv4 == 0) { /* P6 needs an IPv4 source for MIKEY */
    r->status = 400;
    return MBMSEC_OK;
  }
  return items(&c, q);
}

mbmsec_err mbmsec_bmsc_kr_cancel(mbmsec_bmsc_dl *dl, const mbmsec_bmsc_kr_response *r,
                                 size_t *cancelled)
{
  if (cancelled) *cancelled = 0;
  if (!dl || !r) return MBMSEC_ERR_ARG;
  for (size_t i = 0; r->cancel && i < r->cancel->n; i++) {
    size_t n = 0;
    /* MBMSEC_ERR_BMSC_UNKNOWN_UE: never pushed to, nothing pending */
    if (mbmsec_bmsc_dl_cancel_group(dl, r->dec.btid, r->cancel->items[i].kdid,
                                    r->cancel->items[i].key_group, &n) == MBMSEC_OK &&
        cancelled)
      *cancelled += n;
  }
  return MBMSEC_OK;
}

void mbmsec_bmsc_kr_response_cleanse(mbmsec_bmsc_kr_response *r)
{
  if (r && r->ua_checked) mbmsec_ua_decision_cleanse(&r->dec);
}
