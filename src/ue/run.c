/* mbmsec-ue run --config F: the UE key agent daemon. A thin adapter around the engine
 * (lib/ue/agent.c): it reads the announcements (P16), binds the UDP sockets (MSK messages on
 * bind:mikey_port, P6; per session the MTK messages and the SRTP media), runs GBA bootstrapping
 * and the Ua requests with libcurl when the engine asks, persists the engine's image when asked
 * (before anything that depends on it is sent), feeds datagrams and timers in, and keeps a
 * status file and a control socket for `mbmsec-ue status` and `mbmsec-ue leave`
 * (docs/ue-agent.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "agent_run.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/ue_agent.h"
#include "mbmsec/ue_km.h"
#include "ue_cli.h"
#include "ratelim.h"
#include "ue_srtp_rx.h"

static const char HELP[] =
    "Usage: mbmsec-ue run --config FILE\n\n"
    "Runs the UE key agent: reads the service announcements named in FILE (user service\n"
    "description + securityDescription, profile P16), bootstraps with the BSF (GBA, Ub),\n"
    "registers for each user service at the BM-SC, requests its MSKs, receives and\n"
    "acknowledges the MIKEY MSK messages, takes the MTKs of the MTK messages, decrypts the\n"
    "SRTP media and writes the payload to `output`. Retries with capped exponential back-off,\n"
    "runs the missed key update, leaves a service when no valid MSK can be had (and says why).\n"
    "A timeline goes to stderr. Stops on SIGINT / SIGTERM.\n\n"
    "Files in state_dir: agent.state (keys and counters, 0600), bootstrap (B-TID, Ks),\n"
    "status and status.json (for `mbmsec-ue status`), control (socket for `mbmsec-ue leave`).\n"
    "Every setting: docs/ue-agent.md. Exit: 0 stopped by a signal, 1 failed, 2 usage error.\n";

#define MAX_FDS 40

typedef enum { FD_MIKEY = 0, FD_MTK, FD_SRTP, FD_CONTROL } fd_kind;

typedef struct {
  int fd;
  fd_kind kind;
  uint8_t kdid[MBMSEC_KDID_LEN];
} fd_entry;

typedef struct {
  char service_id[MBMSEC_XML_URI_MAX + 1];
  mbmsec_xml_secdesc sd;
} announced;

typedef struct {
  ue_agent_conf conf;
  char km_uri[MBMSEC_XML_URI_MAX + 1];
  char naf[256];
  char path_state[UE_CONF_PATH_MAX + 32], path_boot[UE_CONF_PATH_MAX + 32],
      path_status[UE_CONF_PATH_MAX + 32], path_status_json[UE_CONF_PATH_MAX + 32],
      path_control[UE_CONF_PATH_MAX + 32];
  announced *ann;
  size_t n_ann;
  mbmsec_ue_agent *agent;
  mbmsec_ue_km *km;
  mbmsec_ue_km_http *km_http;
  mbmsec_ue_http *bsf_http;
  ue_srtp_rx rx;
  FILE *out;
  fd_entry fds[MAX_FDS];
  size_t n_fds;
  int mikey_fd;
  bool fatal;
  bool status_dirty;
  int64_t status_at;
  int64_t t0;
  ratelim refusals; /* timeline lines of refused datagrams: a few per reason and window */
} run_ctx;

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
  (void)sig;
  g_stop = 1;
}

static int64_t wall_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void timeline(run_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void timeline(run_ctx *c, const char *fmt, ...)
{
  const int64_t t = wall_ms() - c->t0;
  fprintf(stderr, "[ue %4" PRId64 ".%03" PRId64 "] ", t / 1000, t % 1000);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* ---------------------------------------------------------------- set-up */

static int load_announcements(run_ctx *c)
{
  mbmsec_xml_usd *usd = calloc(1, sizeof *usd);
  c->ann = calloc(MBMSEC_UE_AGENT_SERVICES, sizeof *c->ann);
  int rc = CLI_FAIL;
  if (!usd || !c->ann) {
    cli_fail("run", "out of memory");
    goto out;
  }
  for (size_t i = 0; i < c->conf.n_announcement; i++) {
    const char *path = c->conf.announcement[i];
    uint8_t *doc = NULL;
    size_t len = 0;
    if (cli_read_file("run", path, MBMSEC_XML_DOC_MAX, &doc, &len)) goto out;
    mbmsec_err e = mbmsec_xml_parse_usd(doc, len, usd);
    free(doc);
    if (e != MBMSEC_OK) {
      cli_fail("run", "announcement %s: %s [%s]", path, mbmsec_strerror(e), mbmsec_errname(e));
      goto out;
    }
    char dir[UE_CONF_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    const char *d = dirname(dir);
    for (size_t s = 0; s < usd->n; s++) {
      const mbmsec_xml_usd_service *us = &usd->services[s];
      const char *prot = NULL;
      for (size_t m = 0; m < us->n_methods && !prot; m++)
        if (us->methods[m].protection_uri[0]) prot = us->methods[m].protection_uri;
      if (!prot) {
        cli_fail("run", "announcement %s: service %s has no protectionDescriptionURI", path,
                 us->service_id);
        goto out;
      }
      if (strstr(prot, "://")) {
        cli_fail("run", "announcement %s: protectionDescriptionURI %s: only local files are read",
                 path, prot);
        goto out;
      }
      if (c->n_ann == MBMSEC_UE_AGENT_SERVICES) {
        cli_fail("run", "more than %d user services", MBMSEC_UE_AGENT_SERVICES);
        goto out;
      }
      char ppath[2 * UE_CONF_PATH_MAX];
      if (prot[0] == '/')
        snprintf(ppath, sizeof ppath, "%s", prot);
      else
        snprintf(ppath, sizeof ppath, "%s/%s", d, prot);
      if (cli_read_file("run", ppath, MBMSEC_XML_DOC_MAX, &doc, &len)) goto out;
      announced *a = &c->ann[c->n_ann];
      e = mbmsec_xml_parse_secdesc(doc, len, &a->sd);
      free(doc);
      if (e != MBMSEC_OK) {
        cli_fail("run", "protection description %s: %s [%s]", ppath, mbmsec_strerror(e),
                 mbmsec_errname(e));
        goto out;
      }
      if (a->sd.n_kms == 0 || a->sd.kms[0].n_server_uri == 0) {
        cli_fail("run", "protection description %s: no serverURI", ppath);
        goto out;
      }
      snprintf(a->service_id, sizeof a->service_id, "%s", us->service_id);
      if (!c->km_uri[0])
        snprintf(c->km_uri, sizeof c->km_uri, "%s", a->sd.kms[0].server_uri[0]);
      else if (strcmp(c->km_uri, a->sd.kms[0].server_uri[0]))
        timeline(c, "warning: %s names BM-SC %s; this agent talks to %s only", a->service_id,
                 a->sd.kms[0].server_uri[0], c->km_uri);
      c->n_ann++;
    }
  }
  rc = CLI_OK;
out:
  free(usd);
  return rc;
}

static int resolve(const char *host, uint16_t port, struct sockaddr_in *sa)
{
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons(port);
  if (inet_pton(AF_INET, host, &sa->sin_addr) == 1) return 0;
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res = NULL;
  if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res) return -1;
  sa->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return 0;
}

static int add_fd(run_ctx *c, int fd, fd_kind kind, const uint8_t *kdid)
{
  if (c->n_fds == MAX_FDS) {
    close(fd);
    return cli_fail("run", "too many sockets");
  }
  fd_entry *e = &c->fds[c->n_fds++];
  e->fd = fd;
  e->kind = kind;
  if (kdid) memcpy(e->kdid, kdid, MBMSEC_KDID_LEN);
  return CLI_OK;
}

/* A UDP socket bound to host:port; a multicast group is joined on the interface of the `bind`
 * address (any interface when that does not resolve), so that a UE on a test host's loopback
 * address hears a BM-SC sending on loopback. */
static int udp_bind(run_ctx *c, const char *what, const char *host, uint16_t port, int *out)
{
  struct sockaddr_in sa;
  if (resolve(host, port, &sa)) return cli_fail("run", "%s: cannot resolve %s", what, host);
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int one = 1;
  if (fd < 0) return cli_fail("run", "socket: %s", strerror(errno));
  const bool mc = IN_MULTICAST(ntohl(sa.sin_addr.s_addr));
  if (mc) (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    const int err = errno;
    close(fd);
    return cli_fail("run", "%s: cannot bind UDP %s:%u: %s", what, host, port, strerror(err));
  }
  if (mc) {
    struct ip_mreq mr = {.imr_multiaddr = sa.sin_addr, .imr_interface = {htonl(INADDR_ANY)}};
    struct sockaddr_in local;
    if (!resolve(c->conf.bind, 0, &local)) mr.imr_interface = local.sin_addr;
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
      const int err = errno;
      close(fd);
      return cli_fail("run", "%s: cannot join %s: %s", what, host, strerror(err));
    }
  }
  *out = fd;
  return CLI_OK;
}

static int open_sockets(run_ctx *c)
{
  int fd = -1;
  if (udp_bind(c, "MIKEY (mikey_port)", c->conf.bind, (uint16_t)c->conf.mikey_port, &fd))
    return CLI_FAIL;
  c->mikey_fd = fd;
  if (add_fd(c, fd, FD_MIKEY, NULL)) return CLI_FAIL;
  for (size_t i = 0; i < c->n_ann; i++) {
    for (size_t s = 0; s < c->ann[i].sd.n_sessions; s++) {
      const mbmsec_xml_session *se = &c->ann[i].sd.sessions[s];
      struct sockaddr_in a, b;
      /* The MTK messages may come to the MIKEY socket itself (unicast to bind:mikey_port). */
      if (!resolve(se->mikey.host, se->mikey.port, &a) &&
          !resolve(c->conf.bind, (uint16_t)c->conf.mikey_port, &b) &&
          a.sin_addr.s_addr == b.sin_addr.s_addr && a.sin_port == b.sin_port)
        ;
      else {
        if (udp_bind(c, "session mikey", se->mikey.host, se->mikey.port, &fd)) return CLI_FAIL;
        if (add_fd(c, fd, FD_MTK, se->kdid)) return CLI_FAIL;
      }
      if (udp_bind(c, "session srtp", se->srtp.host, se->srtp.port, &fd)) return CLI_FAIL;
      if (add_fd(c, fd, FD_SRTP, se->kdid)) return CLI_FAIL;
    }
  }
  /* Control socket: a datagram per command ("leave SERVICE"); only the owner may connect. */
  struct sockaddr_un un = {.sun_family = AF_UNIX};
  if (strlen(c->path_control) >= sizeof un.sun_path)
    return cli_fail("run", "state_dir too long for the control socket path");
  memcpy(un.sun_path, c->path_control, strlen(c->path_control) + 1);
  (void)unlink(c->path_control);
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof un) != 0) {
    if (fd >= 0) close(fd);
    return cli_fail("run", "control socket %s: %s", c->path_control, strerror(errno));
  }
  (void)chmod(c->path_control, 0600);
  return add_fd(c, fd, FD_CONTROL, NULL);
}

/* ---------------------------------------------------------------- actions */

static void persist(run_ctx *c)
{
  uint8_t *img = malloc(MBMSEC_UE_AGENT_IMAGE_MAX);
  size_t n = 0;
  mbmsec_err e =
      img ? mbmsec_ue_agent_image(c->agent, img, MBMSEC_UE_AGENT_IMAGE_MAX, &n) : MBMSEC_ERR_NOMEM;
  if (e == MBMSEC_OK) e = mbmsec_ue_file_write(c->path_state, img, n, false);
  if (img) mbmsec_cleanse(img, MBMSEC_UE_AGENT_IMAGE_MAX);
  free(img);
  if (e != MBMSEC_OK) {
    /* Going on would let a crash roll the counters back (P11): stop instead. */
    cli_fail("run", "cannot save %s: %s; stopping", c->path_state, mbmsec_strerror(e));
    c->fatal = true;
  }
}

static void do_bootstrap(run_ctx *c)
{
  const int64_t now = wall_ms();
  mbmsec_ue_bootstrap b;
  uint8_t ks_naf[32], mrk[32], muk[32];
  memset(&b, 0, sizeof b);
  char realm[256];
  mbmsec_err e = MBMSEC_OK;
  if (c->conf.bsf_realm[0])
    snprintf(realm, sizeof realm, "%s", c->conf.bsf_realm);
  else {
    char path[256];
    e = mbmsec_ue_url_parts(c->conf.bsf, realm, sizeof realm, path, sizeof path);
  }
  if (e == MBMSEC_OK && !c->bsf_http)
    e = mbmsec_ue_http_new(c->conf.bsf, (long)c->conf.http_timeout_ms, &c->bsf_http);
  if (e == MBMSEC_OK) {
    mbmsec_ue_bootstrap_cfg bc = {.impi = c->conf.impi,
                                  .realm = realm,
                                  .usim_path = c->conf.usim,
                                  .state_path = c->path_boot,
                                  .exchange = mbmsec_ue_http_exchange,
                                  .exchange_ctx = c->bsf_http};
    e = mbmsec_ue_bootstrap_run(&bc, &b, NULL);
  }
  if (e == MBMSEC_OK)
    e = mbmsec_ue_naf_keys(&b, c->naf, c->conf.mrk_muk_mode, now / 1000, ks_naf, mrk, muk);
  if (e == MBMSEC_OK) e = mbmsec_ue_km_set_credentials(c->km, b.btid, mrk);
  if (e == MBMSEC_OK) {
    timeline(c, "bootstrap: B-TID %s, lifetime until %" PRId64, b.btid, b.lifetime);
    (void)mbmsec_ue_agent_on_bootstrap_done(c->agent, b.btid, muk, wall_ms());
  } else {
    timeline(c, "bootstrap failed: %s%s%s", mbmsec_strerror(e), c->bsf_http ? " " : "",
             c->bsf_http ? mbmsec_ue_http_error(c->bsf_http) : "");
    (void)mbmsec_ue_agent_on_bootstrap_failed(c->agent, e, wall_ms());
  }
  mbmsec_cleanse(ks_naf, sizeof ks_naf);
  mbmsec_cleanse(mrk, sizeof mrk);
  mbmsec_cleanse(muk, sizeof muk);
  mbmsec_ue_bootstrap_cleanse(&b);
}

/* The bootstrap of an earlier run, when still valid: no Ub exchange at start. */
static void reuse_bootstrap(run_ctx *c)
{
  mbmsec_ue_bootstrap b;
  uint8_t ks_naf[32], mrk[32], muk[32];
  memset(&b, 0, sizeof b);
  const int64_t now = wall_ms();
  if (access(c->path_boot, F_OK) == 0 && mbmsec_ue_state_load(c->path_boot, &b) == MBMSEC_OK &&
      b.lifetime > now / 1000 + 60 &&
      mbmsec_ue_naf_keys(&b, c->naf, c->conf.mrk_muk_mode, now / 1000, ks_naf, mrk, muk) ==
          MBMSEC_OK &&
      mbmsec_ue_km_set_credentials(c->km, b.btid, mrk) == MBMSEC_OK) {
    timeline(c, "bootstrap of an earlier run still valid: B-TID %s", b.btid);
    (void)mbmsec_ue_agent_on_bootstrap_done(c->agent, b.btid, muk, now);
  }
  mbmsec_cleanse(ks_naf, sizeof ks_naf);
  mbmsec_cleanse(mrk, sizeof mrk);
  mbmsec_cleanse(muk, sizeof muk);
  mbmsec_ue_bootstrap_cleanse(&b);
}

static const char *type_name(mbmsec_ue_km_type t)
{
  return t == MBMSEC_UE_KM_REGISTER     ? "register"
         : t == MBMSEC_UE_KM_DEREGISTER ? "deregister"
                                        : "msk-request";
}

static void do_request(run_ctx *c, const mbmsec_ue_agent_action *act)
{
  const char *items[1] = {act->item};
  mbmsec_err e = mbmsec_ue_km_run(c->km, act->req_type, items, 1, mbmsec_ue_km_http_post,
                                  c->km_http, NULL, NULL);
  const int64_t now = wall_ms();
  if (e != MBMSEC_OK) {
    const bool boot = mbmsec_ue_km_needs_bootstrap(c->km);
    timeline(c, "%s %s: %s%s%s (HTTP %ld)", type_name(act->req_type), act->item,
             boot ? "the BM-SC refused our B-TID" : mbmsec_strerror(e),
             e == MBMSEC_ERR_UE_HTTP ? ": " : "",
             e == MBMSEC_ERR_UE_HTTP ? mbmsec_ue_km_http_error(c->km_http) : "",
             mbmsec_ue_km_last_status(c->km));
    (void)mbmsec_ue_agent_on_http_failed(c->agent, act->req_id, e, boot, now);
    return;
  }
  size_t n = mbmsec_ue_km_n_items(c->km);
  if (n > MBMSEC_XML_MAX_ITEMS) n = MBMSEC_XML_MAX_ITEMS;
  mbmsec_ue_km_item *it = calloc(n ? n : 1, sizeof *it);
  size_t got = 0;
  for (size_t i = 0; it && i < n; i++)
    if (mbmsec_ue_km_item_get(c->km, i, &it[got]) == MBMSEC_OK) got++;
  for (size_t i = 0; i < got; i++)
    if (it[i].requested)
      timeline(c, "%s %s: item %u", type_name(act->req_type), it[i].text, it[i].code);
  (void)mbmsec_ue_agent_on_http_answer(c->agent, act->req_id, it, got, now);
  free(it);
}

static void set_keys(run_ctx *c)
{
  mbmsec_srtp_key keys[MBMSEC_UE_AGENT_MTKS];
  const size_t n = mbmsec_ue_agent_srtp_keys(c->agent, keys, MBMSEC_UE_AGENT_MTKS);
  const mbmsec_err e = ue_srtp_rx_set_keys(&c->rx, keys, n);
  if (e != MBMSEC_OK)
    timeline(c, "SRTP keys not installed: %s", mbmsec_strerror(e));
  else
    timeline(c, "SRTP: %zu MTK(s) installed", n);
  for (size_t i = 0; i < n && c->conf.log_keys; i++) {
    char mk[2 * MBMSEC_MBMS_MTK_LEN + 1], sk[2 * MBMSEC_MBMS_MTK_SALT_LEN + 1];
    (void)mbmsec_hex_encode(keys[i].mtk, MBMSEC_MBMS_MTK_LEN, mk, sizeof mk);
    (void)mbmsec_hex_encode(keys[i].salt, MBMSEC_MBMS_MTK_SALT_LEN, sk, sizeof sk);
    timeline(c, "  (log_keys) MKI %02x%02x%02x%02x%04x MTK %s salt %s", keys[i].msk_id[0],
             keys[i].msk_id[1], keys[i].msk_id[2], keys[i].msk_id[3], keys[i].mtk_id, mk, sk);
    mbmsec_cleanse(mk, sizeof mk);
  }
  mbmsec_cleanse(keys, sizeof keys);
}

static void run_actions(run_ctx *c)
{
  mbmsec_ue_agent_action *act = malloc(sizeof *act);
  if (!act) {
    c->fatal = true;
    return;
  }
  while (!c->fatal && mbmsec_ue_agent_next_action(c->agent, act)) {
    if (act->kind != MBMSEC_UE_AGENT_ACT_LOG && act->kind != MBMSEC_UE_AGENT_ACT_TIMER)
      c->status_dirty = true; /* status shows every step at once */
    switch (act->kind) {
    case MBMSEC_UE_AGENT_ACT_PERSIST:
      persist(c);
      c->status_dirty = true;
      break;
    case MBMSEC_UE_AGENT_ACT_BOOTSTRAP:
      do_bootstrap(c);
      break;
    case MBMSEC_UE_AGENT_ACT_REQUEST:
      do_request(c, act);
      break;
    case MBMSEC_UE_AGENT_ACT_TIMER:
      break; /* the loop asks next_deadline */
    case MBMSEC_UE_AGENT_ACT_SEND_VER:
      if (sendto(c->mikey_fd, act->data, act->len, 0, (struct sockaddr *)&act->reply_to,
                 act->reply_len) < 0)
        timeline(c, "verification message not sent: %s", strerror(errno));
      else
        timeline(c, "MIKEY verification message sent (acknowledgement, P9)");
      break;
    case MBMSEC_UE_AGENT_ACT_KEYS:
      set_keys(c);
      break;
    case MBMSEC_UE_AGENT_ACT_LEFT:
      c->status_dirty = true;
      if (act->service >= 0 && (size_t)act->service < c->n_ann)
        timeline(c, "LEFT %s: %s", c->ann[act->service].service_id, act->text);
      break;
    case MBMSEC_UE_AGENT_ACT_LOG:
      timeline(c, "%s", act->text);
      break;
    }
    mbmsec_cleanse(act, sizeof *act);
  }
  free(act);
}

/* ---------------------------------------------------------------- datagrams */

static void on_control(run_ctx *c, const char *msg, size_t len)
{
  char sid[MBMSEC_XML_URI_MAX + 1];
  const mbmsec_err e = ue_agent_control_parse(msg, len, sid);
  if (e != MBMSEC_OK) {
    if (ratelim_take(&c->refusals, "control_malformed", wall_ms()))
      timeline(c, "control: malformed command ignored");
    return;
  }
  const mbmsec_err r = mbmsec_ue_agent_leave(c->agent, sid, wall_ms());
  timeline(c, "control: leave %s: %s", sid, r == MBMSEC_OK ? "ok" : mbmsec_strerror(r));
  c->status_dirty = true;
}

static void on_readable(run_ctx *c, const fd_entry *fe)
{
  for (int burst = 0; burst < 64; burst++) {
    uint8_t buf[4096];
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    const ssize_t got = recvfrom(fe->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    if (got < 0) return;
    const int64_t now = wall_ms();
    if (fe->kind == FD_CONTROL) {
      on_control(c, (const char *)buf, (size_t)got);
    } else if (fe->kind == FD_SRTP) {
      uint8_t mki[MBMSEC_SRTP_MKI_LEN] = {0};
      const mbmsec_err e = ue_srtp_rx_packet(&c->rx, buf, (size_t)got, mki);
      (void)mbmsec_ue_agent_on_srtp(c->agent, fe->kdid, mki, e, now);
    } else {
      const mbmsec_err e =
          mbmsec_ue_agent_on_mikey(c->agent, buf, (size_t)got, (struct sockaddr *)&from, fl, now);
      /* a repetition of the MTK held is expected every mtk-period (counted as a duplicate) */
      if (e != MBMSEC_OK && e != MBMSEC_ERR_MIKEY_MISSED_MSK && e != MBMSEC_ERR_MIKEY_MTK_REPEAT &&
          ratelim_take(&c->refusals, mbmsec_errname(e), now))
        timeline(c, "MIKEY message refused: %s [%s]", mbmsec_strerror(e), mbmsec_errname(e));
    }
    mbmsec_cleanse(buf, sizeof buf);
    run_actions(c);
    if (c->fatal) return;
  }
}

/* ---------------------------------------------------------------- main */

int cmd_run(int argc, char **argv)
{
  static const char *const names[] = {"--config"};
  const char *v[1] = {0};
  bool help = false;
  int rc = cli_parse_values("run", argc, argv, names, v, 1, NULL, &help);
  if (rc != CLI_OK) return rc;
  if (help) {
    fputs(HELP, stdout);
    return CLI_OK;
  }
  if (!v[0]) return cli_usage_error("run", "--config is required");
  run_ctx *c = calloc(1, sizeof *c);
  if (!c) return cli_fail("run", "out of memory");
  c->mikey_fd = -1;
  c->t0 = wall_ms();
  ratelim_init(&c->refusals, 0, 0);
  uint8_t *text = NULL;
  size_t tl = 0;
  char err[160];
  rc = CLI_FAIL;
  if (cli_read_file("run", v[0], UE_CONF_TEXT_MAX, &text, &tl)) goto out;
  mbmsec_err e = ue_agent_conf_parse((const char *)text, tl, &c->conf, err, sizeof err);
  free(text);
  if (e != MBMSEC_OK) {
    rc = cli_usage_error("run", "%s: %s", v[0], err);
    goto out;
  }
  if (ue_agent_paths(c->conf.state_dir, c->path_state, c->path_boot, c->path_status,
                     c->path_status_json, c->path_control, sizeof c->path_state)) {
    rc = cli_usage_error("run", "state_dir too long");
    goto out;
  }
  if (mkdir(c->conf.state_dir, 0700) != 0 && errno != EEXIST) {
    rc = cli_fail("run", "state_dir %s: %s", c->conf.state_dir, strerror(errno));
    goto out;
  }
  if (load_announcements(c)) goto out;
  char path[256];
  if (mbmsec_ue_url_parts(c->km_uri, c->naf, sizeof c->naf, path, sizeof path) != MBMSEC_OK) {
    rc = cli_fail("run", "serverURI %s is not an http(s) URL", c->km_uri);
    goto out;
  }
  if (c->conf.naf_fqdn[0]) snprintf(c->naf, sizeof c->naf, "%s", c->conf.naf_fqdn);
  mbmsec_ue_agent_cfg ac = {.bmsc_fqdn = c->naf,
                            .retry_first_ms = c->conf.retry_first_ms,
                            .retry_max_ms = c->conf.retry_max_ms,
                            .retry_tries = c->conf.retry_tries,
                            .mikey_wait_ms = c->conf.mikey_wait_ms,
                            .msk_grace_ms = c->conf.msk_grace_ms};
  e = mbmsec_ue_agent_new(&ac, &c->agent);
  if (e == MBMSEC_OK) e = mbmsec_ue_km_new(c->km_uri, c->naf, &c->km);
  if (e == MBMSEC_OK)
    e = mbmsec_ue_km_http_new(c->km_uri, (long)c->conf.http_timeout_ms, c->conf.bind, &c->km_http);
  if (e != MBMSEC_OK) {
    rc = cli_fail("run", "agent set-up: %s", mbmsec_strerror(e));
    goto out;
  }
  if (access(c->path_state, F_OK) == 0) {
    uint8_t *img = malloc(MBMSEC_UE_AGENT_IMAGE_MAX + 1);
    size_t n = 0;
    e = img ? mbmsec_ue_file_read(c->path_state, (char *)img, MBMSEC_UE_AGENT_IMAGE_MAX + 1, &n)
            : MBMSEC_ERR_NOMEM;
    if (e == MBMSEC_OK) e = mbmsec_ue_agent_restore(c->agent, img, n);
    if (img) mbmsec_cleanse(img, MBMSEC_UE_AGENT_IMAGE_MAX + 1);
    free(img);
    if (e != MBMSEC_OK) {
      rc = cli_fail("run", "%s: %s (move it away to start afresh)", c->path_state,
                    mbmsec_strerror(e));
      goto out;
    }
    timeline(c, "state restored from %s (keys and MIKEY counters)", c->path_state);
  }
  if (c->conf.output[0]) {
    c->out = strcmp(c->conf.output, "-") ? fopen(c->conf.output, "ab") : stdout;
    if (!c->out) {
      rc = cli_fail("run", "output %s: %s", c->conf.output, strerror(errno));
      goto out;
    }
  }
  if (ue_srtp_rx_init(&c->rx, c->out) != MBMSEC_OK) {
    rc = cli_fail("run", "SRTP receiver: libsrtp failure");
    goto out;
  }
  if (open_sockets(c)) goto out;
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  timeline(c, "agent started: %zu user service(s), BM-SC %s (NAF %s), MIKEY on %s:%u", c->n_ann,
           c->km_uri, c->naf, c->conf.bind, c->conf.mikey_port);
  reuse_bootstrap(c);
  for (size_t i = 0; i < c->n_ann; i++) {
    e = mbmsec_ue_agent_add_service(c->agent, c->ann[i].service_id, &c->ann[i].sd, wall_ms());
    if (e != MBMSEC_OK) {
      rc = cli_fail("run", "user service %s: %s", c->ann[i].service_id, mbmsec_strerror(e));
      goto out;
    }
  }
  set_keys(c);
  run_actions(c);
  c->status_dirty = true;
  while (!g_stop && !c->fatal) {
    int64_t now = wall_ms();
    if (c->status_dirty || now - c->status_at >= 1000) {
      ue_agent_write_status(c->agent, &c->rx, c->path_status, c->path_status_json, now);
      c->status_dirty = false;
      c->status_at = now;
    }
    const int64_t dl = mbmsec_ue_agent_next_deadline(c->agent);
    int64_t wait = 1000;
    if (dl != INT64_MAX) wait = dl - now < 0 ? 0 : (dl - now < 1000 ? dl - now : 1000);
    /* The status file is never more than a second old. */
    if (c->status_at + 1000 - now < wait)
      wait = c->status_at + 1000 - now < 0 ? 0 : c->status_at + 1000 - now;
    struct pollfd pf[MAX_FDS];
    for (size_t i = 0; i < c->n_fds; i++)
      pf[i] = (struct pollfd){.fd = c->fds[i].fd, .events = POLLIN};
    const int n = poll(pf, (nfds_t)c->n_fds, (int)wait);
    if (n < 0 && errno != EINTR) {
      rc = cli_fail("run", "poll: %s", strerror(errno));
      goto out;
    }
    for (size_t i = 0; n > 0 && i < c->n_fds && !c->fatal; i++)
      if (pf[i].revents & POLLIN) on_readable(c, &c->fds[i]);
    now = wall_ms();
    char shown[512];
    const uint64_t hidden = ratelim_roll(&c->refusals, now, shown, sizeof shown);
    if (hidden)
      timeline(c, "refused datagrams not shown: %" PRIu64 " (%s); status counts every one", hidden,
               shown);
    if (mbmsec_ue_agent_next_deadline(c->agent) <= now) {
      (void)mbmsec_ue_agent_on_timer(c->agent, now);
      run_actions(c);
    }
  }
  rc = c->fatal ? CLI_FAIL : CLI_OK;
  if (!c->fatal) {
    persist(c);
    ue_agent_write_status(c->agent, &c->rx, c->path_status, c->path_status_json, wall_ms());
    timeline(c, "agent stopped");
  }
out:
  for (size_t i = 0; i < c->n_fds; i++) close(c->fds[i].fd);
  if (c->path_control[0] && c->n_fds) (void)unlink(c->path_control);
  ue_srtp_rx_free(&c->rx);
  if (c->out && c->out != stdout) fclose(c->out);
  mbmsec_ue_km_http_free(c->km_http);
  mbmsec_ue_km_free(c->km);
  mbmsec_ue_http_free(c->bsf_http);
  mbmsec_ue_agent_free(c->agent);
  free(c->ann);
  ratelim_free(&c->refusals);
  mbmsec_cleanse(c, sizeof *c);
  free(c);
  return rc;
}
