/* Zn server (BSF side): answers Bootstrapping-Info-Requests through a lookup callback. */
#include "zn_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "guard.h"
#include "mbmsec/crypto.h"

struct mbmsec_zn_server {
  mbmsec_zn_lookup_fn lookup;
  void *user;
  struct disp_hdl *hdl;
  atomic_uint_fast64_t count;
  struct zn_reaper *reaper;
};

/* The peer validator has no opaque pointer: the accepted identity is process state (one node
 * per process anyway). Written before fd_core_start, read-only afterwards. */
static char g_accept_peer[MBMSEC_ZN_IDENTITY_MAX + 1];
static int g_accept_any;
static int g_tls;

static int zn_validate(struct peer_info *info, int *auth, int (**cb2)(struct peer_info *))
{
  if (cb2 != NULL) *cb2 = NULL;
  size_t len = strlen(g_accept_peer);
  if (g_accept_any ||
      (info->pi_diamidlen == len && strncasecmp(info->pi_diamid, g_accept_peer, len) == 0)) {
    *auth = 1;
    if (!g_tls) /* with TLS the default stays: the peer must complete the TLS handshake */
      info->config.pic_flags.sec = PI_SEC_NONE;
  }
  return 0; /* others: no decision, the stack refuses them (3010) */
}

static int zn_add_time(struct msg *m, struct dict_object *model, int64_t when)
{
  struct avp *a = NULL;
  time_t t = (time_t)when;
  int rc = fd_msg_avp_new(model, 0, &a);
  if (rc != 0) return rc;
  if ((rc = fd_msg_avp_value_encode(&t, a)) != 0 ||
      (rc = fd_msg_avp_add(m, MSG_BRW_LAST_CHILD, a)) != 0) {
    fd_msg_free(a);
    return rc;
  }
  return 0;
}

static int zn_add_i32(struct msg *m, struct dict_object *model, int32_t value)
{
  struct avp *a = NULL;
  union avp_value v = {.i32 = value};
  int rc = fd_msg_avp_new(model, 0, &a);
  if (rc != 0) return rc;
  if ((rc = fd_msg_avp_setvalue(a, &v)) != 0 ||
      (rc = fd_msg_avp_add(m, MSG_BRW_LAST_CHILD, a)) != 0) {
    fd_msg_free(a);
    return rc;
  }
  return 0;
}

/* Experimental-Result {Vendor-Id 10415, Experimental-Result-Code code}. */
static int zn_add_exp_result(struct msg *m, uint32_t code)
{
  return zn_add_vendor_group(m, zn_d.exp_result, zn_d.exp_result_code, code);
}

static int zn_fill_answer(struct msg *ans, uint32_t code, const mbmsec_zn_lookup_result *res)
{
  int rc = zn_add_vsai(ans);
  if (rc != 0) return rc;
  switch (code) {
  case MBMSEC_ZN_SUCCESS:
    if ((rc = fd_msg_rescode_set(ans, "DIAMETER_SUCCESS", NULL, NULL, 1)) != 0 ||
        (res->impi_len > 0 &&
         (rc = zn_add_os(ans, zn_d.user_name, res->impi, res->impi_len)) != 0) ||
        (rc = zn_add_os(ans, zn_d.me_key, res->ks_naf, MBMSEC_ZN_KS_NAF_LEN)) != 0 ||
        (rc = zn_add_time(ans, zn_d.key_expiry, res->key_expiry)) != 0 ||
        (res->bootstrap_time != 0 &&
         (rc = zn_add_time(ans, zn_d.creation, res->bootstrap_time)) != 0) ||
        (res->uss != NULL && (rc = zn_add_os(ans, zn_d.uss, res->uss, res->uss_len)) != 0) ||
        (rc = zn_add_i32(ans, zn_d.gba_type, 0)) != 0) /* 3G GBA */
      return rc;
    return 0;
  case MBMSEC_ZN_IDENTITY_UNKNOWN:
  case MBMSEC_ZN_NOT_AUTHORIZED:
  case MBMSEC_ZN_TRANSACTION_ID_INVALID:
    /* fd_msg_rescode_set knows base Result-Code names only: build it by hand. */
    if ((rc = fd_msg_add_origin(ans, 0)) != 0) return rc;
    return zn_add_exp_result(ans, code);
  case 5005:
    return fd_msg_rescode_set(ans, "DIAMETER_MISSING_AVP", NULL, NULL, 1);
  default:
    return fd_msg_rescode_set(ans, "DIAMETER_UNABLE_TO_COMPLY", NULL, NULL, 1);
  }
}

static int zn_bir_cb(struct msg **msg, struct avp *avp, struct session *sess, void *opaque,
                     enum disp_action *act)
{
  (void)avp;
  (void)sess;
  mbmsec_zn_server *srv = opaque;
  const uint8_t *tid = NULL, *naf = NULL;
  size_t tid_len = 0, naf_len = 0, n_gsids = 0;
  mbmsec_zn_gsid gsids[MBMSEC_ZN_GSID_MAX];

  struct avp *a = NULL;
  if (fd_msg_browse(*msg, MSG_BRW_FIRST_CHILD, &a, NULL) != 0) a = NULL;
  while (a != NULL) {
    struct avp_hdr *h = NULL;
    if (fd_msg_avp_hdr(a, &h) == 0 && (h->avp_flags & AVP_FLAG_VENDOR) &&
        h->avp_vendor == MBMSEC_ZN_VENDOR_3GPP && h->avp_value != NULL) {
      const uint8_t *d = h->avp_value->os.data;
      size_t l = h->avp_value->os.len;
      if (h->avp_code == ZN_AVP_TID && tid == NULL) {
        tid = d;
        tid_len = l;
      } else if (h->avp_code == ZN_AVP_NAF_ID && naf == NULL) {
        naf = d;
        naf_len = l;
      } else if (h->avp_code == ZN_AVP_GSID && n_gsids < MBMSEC_ZN_GSID_MAX) {
        gsids[n_gsids].data = d;
        gsids[n_gsids].len = l;
        n_gsids++;
      }
    }
    if (fd_msg_browse(a, MSG_BRW_NEXT, &a, NULL) != 0) a = NULL;
  }

  mbmsec_zn_lookup_result res;
  memset(&res, 0, sizeof res);
  uint32_t code;
  if (tid == NULL || tid_len == 0 || naf == NULL || naf_len == 0) {
    code = 5005; /* DIAMETER_MISSING_AVP */
  } else if (srv->lookup(tid, tid_len, naf, naf_len, gsids, n_gsids, srv->user, &res) !=
             MBMSEC_OK) {
    code = MBMSEC_ZN_UNABLE_TO_COMPLY;
  } else {
    code = res.result;
    if (code == MBMSEC_ZN_SUCCESS && (res.impi_len > MBMSEC_ZN_IMPI_MAX || res.key_expiry == 0))
      code = MBMSEC_ZN_UNABLE_TO_COMPLY;
  }

  int rc = fd_msg_new_answer_from_req(fd_g_config->cnf_dict, msg, 0);
  if (rc == 0) rc = zn_fill_answer(*msg, code, &res);
  mbmsec_cleanse(res.ks_naf, sizeof res.ks_naf);
  if (res.uss != NULL) {
    mbmsec_cleanse(res.uss, res.uss_len);
    free(res.uss);
  }
  if (rc != 0) return rc; /* the stack discards *msg */
  atomic_fetch_add(&srv->count, 1);
  rc = fd_msg_send(msg, NULL, NULL);
  *act = DISP_ACT_CONT;
  return rc;
}

static mbmsec_err zn_listen_on(const char *addr, uint16_t port)
{
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  ENSURE(inet_pton(AF_INET, addr, &sin.sin_addr) == 1, MBMSEC_ERR_ARG);
  /* ListenOn = "127.0.0.1" in the file is dropped by the loopback filter: add it directly. */
  ENSURE(fd_ep_add_merge(&fd_g_config->cnf_endpoints, (sSA *)&sin, sizeof sin,
                         EP_FL_CONF | EP_ACCEPTALL) == 0,
         MBMSEC_ERR_ZN_STACK);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_zn_server_start(const mbmsec_zn_config *cfg, mbmsec_zn_lookup_fn lookup,
                                  void *user, mbmsec_zn_server **out)
{
  ENSURE(cfg != NULL && lookup != NULL && out != NULL, MBMSEC_ERR_ARG);
  ENSURE(cfg->peer_identity == NULL, MBMSEC_ERR_ARG);
  *out = NULL;
  if (cfg->listen_addr != NULL) {
    struct in_addr tmp;
    ENSURE(inet_pton(AF_INET, cfg->listen_addr, &tmp) == 1, MBMSEC_ERR_ARG);
  }
  mbmsec_zn_server *srv = calloc(1, sizeof *srv);
  ENSURE(srv != NULL, MBMSEC_ERR_NOMEM);
  srv->lookup = lookup;
  srv->user = user;
  atomic_init(&srv->count, 0);

  mbmsec_err rc = zn_node_begin(cfg);
  if (rc != MBMSEC_OK) {
    free(srv);
    return rc;
  }
  g_tls = cfg->tls_cert != NULL;
  if (cfg->accept_peer != NULL) {
    g_accept_any = 0;
    memcpy(g_accept_peer, cfg->accept_peer, strlen(cfg->accept_peer) + 1); /* length checked */
  } else {
    g_accept_any = 1;
  }
  struct disp_when when;
  memset(&when, 0, sizeof when);
  when.app = zn_d.app;
  when.command = zn_d.cmd_req;
  if (fd_peer_validate_register(zn_validate) != 0 ||
      fd_disp_register(zn_bir_cb, DISP_HOW_CC, &when, srv, &srv->hdl) != 0) {
    rc = MBMSEC_ERR_ZN_STACK;
  } else if (cfg->listen_addr != NULL) {
    rc = zn_listen_on(cfg->listen_addr, cfg->port);
  }
  if (rc != MBMSEC_OK) {
    fd_core_shutdown(); /* not started yet */
    free(srv);
    return rc;
  }
  uint32_t allow[MBMSEC_ZN_PEER_ADDR_MAX];
  size_t n_allow = 0, n_socks = 0;
  rc = zn_parse_addrs(cfg->accept_addrs, allow, MBMSEC_ZN_PEER_ADDR_MAX, &n_allow);
  if (rc != MBMSEC_OK) {
    fd_core_shutdown(); /* not started yet */
    free(srv);
    return rc;
  }
  rc = zn_node_run();
  if (rc != MBMSEC_OK) {
    free(srv);
    return rc;
  }
  /* freeDiameter's listener: backlog, deferred accept, source filter (zn_listen.c). A Zn
   * server without them can be starved by idle connections: refuse to run. */
  rc = zn_listener_harden(cfg->port, allow, n_allow, 2000, &n_socks);
  if (rc == MBMSEC_OK) rc = zn_reaper_start(cfg->port, &srv->reaper);
  if (rc != MBMSEC_OK) {
    zn_node_end();
    free(srv);
    return rc;
  }
  *out = srv;
  return MBMSEC_OK;
}

uint64_t mbmsec_zn_server_count(const mbmsec_zn_server *srv)
{
  return srv == NULL ? 0 : (uint64_t)atomic_load(&srv->count);
}

uint64_t mbmsec_zn_server_idle_closed(const mbmsec_zn_server *srv)
{
  return srv == NULL ? 0 : zn_reaper_closed(srv->reaper);
}

mbmsec_err mbmsec_zn_server_stop(mbmsec_zn_server *srv)
{
  if (srv == NULL) return MBMSEC_OK;
  zn_reaper_stop(srv->reaper);
  mbmsec_err rc = zn_node_end();
  free(srv);
  return rc;
}
