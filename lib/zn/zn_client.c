/* Zn client (BM-SC side): blocking, thread-safe Bootstrapping-Info-Request. */
#include "zn_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "guard.h"
#include "mbmsec/crypto.h"

struct mbmsec_zn_client {
  char peer_id[MBMSEC_ZN_IDENTITY_MAX + 1];
  size_t peer_id_len;
  char dest_realm[MBMSEC_ZN_IDENTITY_MAX + 1];
  size_t dest_realm_len;
  /* Link state, written by the stack's connect hook (zn_link_hook). */
  int tc_base, tc_max;
  atomic_uint_fast64_t connects, failures;
  atomic_uint failed_in_row, retry_s;
};

/* Default cap of the re-dial back-off, seconds. */
#define ZN_TC_MAX_DEFAULT 30

/* Grace period after the send deadline before a caller stops waiting for the stack's
 * expiry callback (the call context is reference-counted, so a late callback is safe). */
#define ZN_WAIT_GRACE_MS 2000u

/* One BIR in flight. Two references: the caller and the stack callback. */
struct zn_call {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int refs;
  int done;
  mbmsec_err rc;
  mbmsec_zn_answer ans;
};

void mbmsec_zn_answer_clear(mbmsec_zn_answer *ans)
{
  if (ans == NULL) return;
  free(ans->uss);
  mbmsec_cleanse(ans, sizeof *ans);
}

static void zn_call_unref(struct zn_call *c)
{
  pthread_mutex_lock(&c->mu);
  int left = --c->refs;
  pthread_mutex_unlock(&c->mu);
  if (left == 0) {
    mbmsec_zn_answer_clear(&c->ans);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
  }
}

static void zn_call_finish(struct zn_call *c, mbmsec_err rc)
{
  pthread_mutex_lock(&c->mu);
  c->rc = rc;
  c->done = 1;
  pthread_cond_signal(&c->cv);
  pthread_mutex_unlock(&c->mu);
  zn_call_unref(c);
}

static uint32_t zn_exp_code(struct avp *group)
{
  struct avp *a = NULL;
  if (fd_msg_browse(group, MSG_BRW_FIRST_CHILD, &a, NULL) != 0) return 0;
  while (a != NULL) {
    struct avp_hdr *h = NULL;
    if (fd_msg_avp_hdr(a, &h) == 0 && h->avp_code == 298 && !(h->avp_flags & AVP_FLAG_VENDOR) &&
        h->avp_value != NULL)
      return h->avp_value->u32;
    if (fd_msg_browse(a, MSG_BRW_NEXT, &a, NULL) != 0) break;
  }
  return 0;
}

static int zn_get_time(struct avp *a, int64_t *out)
{
  time_t t = 0;
  if (fd_msg_avp_value_interpret(a, &t) != 0) return -1;
  *out = (int64_t)t;
  return 0;
}

/* Read the BIA into ans (zeroed by the caller). */
static mbmsec_err zn_parse_answer(struct msg *m, mbmsec_zn_answer *ans)
{
  int have_result = 0, have_expiry = 0, bad = 0;
  struct avp *a = NULL;
  if (fd_msg_browse(m, MSG_BRW_FIRST_CHILD, &a, NULL) != 0) a = NULL;
  for (; a != NULL;) {
    struct avp_hdr *h = NULL;
    if (fd_msg_avp_hdr(a, &h) == 0) {
      uint32_t vendor = (h->avp_flags & AVP_FLAG_VENDOR) ? h->avp_vendor : 0;
      union avp_value *v = h->avp_value;
      if (vendor == 0 && h->avp_code == 268 && v != NULL && !(have_result && ans->experimental)) {
        ans->result = v->u32; /* Result-Code */
        have_result = 1;
      } else if (vendor == 0 && h->avp_code == 297) {
        uint32_t code = zn_exp_code(a); /* Experimental-Result */
        if (code != 0) {
          ans->result = code;
          ans->experimental = 1;
          have_result = 1;
        }
      } else if (vendor == 0 && h->avp_code == 1 && v != NULL) { /* User-Name */
        if (v->os.len > MBMSEC_ZN_IMPI_MAX) {
          bad = 1;
        } else {
          memcpy(ans->impi, v->os.data, v->os.len);
          ans->impi[v->os.len] = '\0';
          ans->impi_len = v->os.len;
        }
      } else if (vendor == MBMSEC_ZN_VENDOR_3GPP && v != NULL) {
        switch (h->avp_code) {
        case ZN_AVP_ME_KEY:
          if (v->os.len != MBMSEC_ZN_KS_NAF_LEN) {
            bad = 1;
          } else {
            memcpy(ans->ks_naf, v->os.data, MBMSEC_ZN_KS_NAF_LEN);
            ans->has_ks_naf = 1;
          }
          mbmsec_cleanse(v->os.data, v->os.len); /* our copy of the stack's buffer */
          break;
        case ZN_AVP_KEY_EXPIRY:
          if (zn_get_time(a, &ans->key_expiry) != 0)
            bad = 1;
          else
            have_expiry = 1;
          break;
        case ZN_AVP_CREATION:
          if (zn_get_time(a, &ans->bootstrap_time) != 0) bad = 1;
          break;
        case ZN_AVP_USS:
          if (ans->uss == NULL) {
            ans->uss = malloc(v->os.len + 1);
            if (ans->uss == NULL) return MBMSEC_ERR_NOMEM;
            memcpy(ans->uss, v->os.data, v->os.len);
            ans->uss[v->os.len] = '\0';
            ans->uss_len = v->os.len;
          }
          break;
        default:
          break;
        }
      }
    }
    if (fd_msg_browse(a, MSG_BRW_NEXT, &a, NULL) != 0) break;
  }
  if (!have_result || bad) return MBMSEC_ERR_ZN_ANSWER;
  if (ans->result == MBMSEC_ZN_SUCCESS && (!ans->has_ks_naf || !have_expiry))
    return MBMSEC_ERR_ZN_ANSWER;
  return MBMSEC_OK;
}

static void zn_ans_cb(void *data, struct msg **msg)
{
  struct zn_call *c = data;
  mbmsec_err rc = zn_parse_answer(*msg, &c->ans);
  fd_msg_free(*msg);
  *msg = NULL;
  zn_call_finish(c, rc);
}

static void zn_exp_cb(void *data, DiamId_t sentto, size_t senttolen, struct msg **req)
{
  (void)sentto;
  (void)senttolen;
  struct zn_call *c = data;
  fd_msg_free(*req);
  *req = NULL;
  c->ans.result = MBMSEC_ZN_UNABLE_TO_DELIVER;
  zn_call_finish(c, MBMSEC_ERR_ZN_TIMEOUT);
}

/* Connection hook: counts opens and failures of the BSF link and sets the peer's TcTimer
 * (read by freeDiameter's peer state machine right after this hook, on the same event) to an
 * exponential back-off: tc_base << failed attempts in a row, at most tc_max. freeDiameter on
 * its own re-dials every TcTimer (+-2 s) for ever. Registering the hook replaces the stack's
 * default log line for these two events, so the failure is logged here. */
static void zn_link_hook(enum fd_hook_type type, struct msg *msg, struct peer_hdr *peer,
                         void *other, struct fd_hook_permsgdata *pmd, void *regdata)
{
  (void)msg;
  (void)pmd;
  mbmsec_zn_client *cl = regdata;
  if (peer == NULL || peer->info.pi_diamidlen != cl->peer_id_len ||
      strncasecmp(peer->info.pi_diamid, cl->peer_id, cl->peer_id_len) != 0)
    return;
  if (type == HOOK_PEER_CONNECT_SUCCESS) {
    atomic_fetch_add(&cl->connects, 1);
    atomic_store(&cl->failed_in_row, 0);
    atomic_store(&cl->retry_s, (unsigned)cl->tc_base);
    peer->info.config.pic_tctimer = cl->tc_base;
    fd_log(FD_LOG_NOTICE, "Zn: connection to '%s' open", cl->peer_id);
  } else if (type == HOOK_PEER_CONNECT_FAILED) {
    atomic_fetch_add(&cl->failures, 1);
    unsigned n = atomic_fetch_add(&cl->failed_in_row, 1) + 1;
    int delay = cl->tc_base;
    for (unsigned i = 1; i < n && delay < cl->tc_max; i++) delay *= 2;
    if (delay > cl->tc_max) delay = cl->tc_max;
    atomic_store(&cl->retry_s, (unsigned)delay);
    peer->info.config.pic_tctimer = delay;
    fd_log(FD_LOG_ERROR,
           "Zn: connection to '%s' failed (%s), %u in a row; next attempt in %d s (+-2)",
           cl->peer_id, other != NULL ? (const char *)other : "?", n, delay);
  }
}

mbmsec_err mbmsec_zn_client_start(const mbmsec_zn_config *cfg, mbmsec_zn_client **out)
{
  ENSURE(cfg != NULL && out != NULL && cfg->peer_identity != NULL, MBMSEC_ERR_ARG);
  *out = NULL;
  mbmsec_zn_client *cl = calloc(1, sizeof *cl);
  ENSURE(cl != NULL, MBMSEC_ERR_NOMEM);
  mbmsec_err rc = zn_node_begin(cfg); /* checks the strings and their lengths */
  if (rc != MBMSEC_OK) {
    free(cl);
    return rc;
  }
  const char *realm = cfg->peer_realm != NULL ? cfg->peer_realm : cfg->realm;
  cl->peer_id_len = strlen(cfg->peer_identity);
  memcpy(cl->peer_id, cfg->peer_identity, cl->peer_id_len + 1);
  cl->dest_realm_len = strlen(realm);
  memcpy(cl->dest_realm, realm, cl->dest_realm_len + 1);
  cl->tc_base = cfg->tc_timer > 0 ? cfg->tc_timer : 2; /* as in mbmsec_zn_conf_write */
  cl->tc_max = cfg->tc_timer_max > 0 ? cfg->tc_timer_max : ZN_TC_MAX_DEFAULT;
  if (cl->tc_max < cl->tc_base) cl->tc_max = cl->tc_base;
  atomic_init(&cl->connects, 0);
  atomic_init(&cl->failures, 0);
  atomic_init(&cl->failed_in_row, 0);
  atomic_init(&cl->retry_s, (unsigned)cl->tc_base);
  struct fd_hook_hdl *hh = NULL;
  if (fd_hook_register(HOOK_MASK(HOOK_PEER_CONNECT_FAILED, HOOK_PEER_CONNECT_SUCCESS), zn_link_hook,
                       cl, NULL, &hh) != 0) {
    fd_core_shutdown(); /* not started yet */
    free(cl);
    return MBMSEC_ERR_ZN_STACK;
  }
  rc = zn_node_run();
  if (rc != MBMSEC_OK) {
    free(cl);
    return rc;
  }
  *out = cl;
  return MBMSEC_OK;
}

int mbmsec_zn_client_connected(const mbmsec_zn_client *cl)
{
  if (cl == NULL) return 0;
  struct peer_hdr *p = NULL;
  return fd_peer_getbyid((DiamId_t)cl->peer_id, cl->peer_id_len, 0, &p) == 0 && p != NULL &&
         fd_peer_get_state(p) == STATE_OPEN;
}

void mbmsec_zn_client_link(const mbmsec_zn_client *cl, mbmsec_zn_link *out)
{
  if (out == NULL) return;
  memset(out, 0, sizeof *out);
  if (cl == NULL) return;
  out->up = mbmsec_zn_client_connected(cl);
  out->connects = (uint64_t)atomic_load(&cl->connects);
  out->failures = (uint64_t)atomic_load(&cl->failures);
  out->failed_in_row = atomic_load(&cl->failed_in_row);
  out->retry_s = atomic_load(&cl->retry_s);
}

static int64_t zn_now_ms(clockid_t clk)
{
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec zn_deadline(clockid_t clk, unsigned ms)
{
  struct timespec ts;
  clock_gettime(clk, &ts);
  ts.tv_sec += (time_t)(ms / 1000);
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

mbmsec_err mbmsec_zn_client_wait_open(mbmsec_zn_client *cl, unsigned timeout_ms)
{
  ENSURE(cl != NULL, MBMSEC_ERR_ARG);
  int64_t end = zn_now_ms(CLOCK_MONOTONIC) + timeout_ms;
  for (;;) {
    struct peer_hdr *p = NULL;
    if (fd_peer_getbyid(cl->peer_id, cl->peer_id_len, 0, &p) == 0 && p != NULL &&
        fd_peer_get_state(p) == STATE_OPEN)
      return MBMSEC_OK;
    if (zn_now_ms(CLOCK_MONOTONIC) >= end) return MBMSEC_ERR_ZN_TIMEOUT;
    struct timespec step = {0, 10 * 1000 * 1000};
    nanosleep(&step, NULL);
  }
}

static mbmsec_err zn_build_bir(mbmsec_zn_client *cl, const uint8_t *btid, size_t btid_len,
                               const uint8_t *naf_id, size_t naf_id_len, const char *gsid,
                               struct msg **out)
{
  struct msg *m = NULL;
  ENSURE(fd_msg_new(zn_d.cmd_req, MSGFL_ALLOC_ETEID, &m) == 0, MBMSEC_ERR_ZN_STACK);
  struct avp *aware = NULL;
  union avp_value v = {.i32 = 0}; /* GBA_U-Awareness-Indicator NO */
  int rc = fd_msg_new_session(m, (os0_t) "zn", 2);
  if (rc == 0) rc = zn_add_vsai(m);
  if (rc == 0) rc = fd_msg_add_origin(m, 0);
  if (rc == 0) rc = zn_add_os(m, zn_d.dest_realm, cl->dest_realm, cl->dest_realm_len);
  if (rc == 0) rc = zn_add_os(m, zn_d.dest_host, cl->peer_id, cl->peer_id_len);
  if (rc == 0 && gsid != NULL) rc = zn_add_os(m, zn_d.gsid, gsid, strlen(gsid));
  if (rc == 0) rc = zn_add_os(m, zn_d.tid, btid, btid_len);
  if (rc == 0) rc = zn_add_os(m, zn_d.naf_id, naf_id, naf_id_len);
  if (rc == 0 && (rc = fd_msg_avp_new(zn_d.gba_u_aware, 0, &aware)) == 0) {
    if ((rc = fd_msg_avp_setvalue(aware, &v)) != 0 ||
        (rc = fd_msg_avp_add(m, MSG_BRW_LAST_CHILD, aware)) != 0)
      fd_msg_free(aware);
  }
  if (rc != 0) {
    fd_msg_free(m);
    return rc == ENOMEM ? MBMSEC_ERR_NOMEM : MBMSEC_ERR_ZN_STACK;
  }
  *out = m;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_zn_bir(mbmsec_zn_client *cl, const uint8_t *btid, size_t btid_len,
                         const uint8_t *naf_id, size_t naf_id_len, const char *gsid,
                         unsigned timeout_ms, mbmsec_zn_answer *ans)
{
  ENSURE(cl != NULL && ans != NULL, MBMSEC_ERR_ARG);
  ENSURE(btid != NULL && btid_len > 0 && naf_id != NULL && naf_id_len > 0, MBMSEC_ERR_ARG);
  ENSURE(gsid == NULL || gsid[0] != '\0', MBMSEC_ERR_ARG);
  memset(ans, 0, sizeof *ans);

  struct msg *m = NULL;
  GUARD(zn_build_bir(cl, btid, btid_len, naf_id, naf_id_len, gsid, &m));

  struct zn_call *c = calloc(1, sizeof *c);
  if (c == NULL) {
    fd_msg_free(m);
    return MBMSEC_ERR_NOMEM;
  }
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, &ca);
  pthread_condattr_destroy(&ca);
  c->refs = 2;

  /* fd_msg_send_timeout takes an absolute CLOCK_REALTIME deadline. */
  struct timespec send_deadline = zn_deadline(CLOCK_REALTIME, timeout_ms);
  if (fd_msg_send_timeout(&m, zn_ans_cb, c, zn_exp_cb, &send_deadline) != 0) {
    if (m != NULL) fd_msg_free(m);
    c->refs = 1; /* no callback will come */
    zn_call_unref(c);
    return MBMSEC_ERR_ZN_STACK;
  }

  struct timespec wait_deadline = zn_deadline(CLOCK_MONOTONIC, timeout_ms + ZN_WAIT_GRACE_MS);
  mbmsec_err rc;
  pthread_mutex_lock(&c->mu);
  while (!c->done) {
    if (pthread_cond_timedwait(&c->cv, &c->mu, &wait_deadline) == ETIMEDOUT) break;
  }
  if (c->done) {
    rc = c->rc;
    *ans = c->ans; /* moves uss */
    c->ans.uss = NULL;
  } else {
    rc = MBMSEC_ERR_ZN_TIMEOUT;
    ans->result = MBMSEC_ZN_UNABLE_TO_DELIVER;
  }
  pthread_mutex_unlock(&c->mu);
  zn_call_unref(c);
  if (rc == MBMSEC_ERR_ZN_TIMEOUT) ans->result = MBMSEC_ZN_UNABLE_TO_DELIVER;
  return rc;
}

mbmsec_err mbmsec_zn_client_stop(mbmsec_zn_client *cl)
{
  if (cl == NULL) return MBMSEC_OK;
  mbmsec_err rc = zn_node_end();
  mbmsec_cleanse(cl, sizeof *cl);
  free(cl);
  return rc;
}
