/* mbmsec-load's MIKEY receiver for every simulated UE: one UDP socket bound to
 * 0.0.0.0:<UE MIKEY port> (P6) with IP_PKTINFO, so each datagram tells which UE address it
 * was sent to; the UE is found from that address, its message verified and accepted by its
 * own mbmsec_mikey_state (counters, replay, key numbers: P11, O4, O5; memory only), and the
 * verification message (P9) goes back to the message's source with sendmsg and IP_PKTINFO
 * ipi_spec_dst = the UE's address, so that the BM-SC's source-address check holds. One
 * thread owns every UE's MIKEY state, so no lock is needed on it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "load.h"
#include "mbmsec/crypto.h"

#define RX_BUF     4096
#define RX_SOCKBUF (16 << 20)

struct load_rx {
  const load_cfg *cfg;
  load_ue *ues;
  load_stats *st;
  int fd;
  FILE *log;
  atomic_bool stop;
  pthread_t thread;
};

typedef struct {
  const load_cfg *cfg;
  load_ue *ue;
} muk_ctx;

/* The MUK of the UE the datagram was addressed to, for its own B-TID and the BM-SC's FQDN. */
static mbmsec_err muk_cb(void *ctx, const uint8_t *idi, size_t idi_len, const uint8_t *idr,
                         size_t idr_len, uint8_t *muk, size_t muk_cap, size_t *muk_len)
{
  const muk_ctx *m = ctx;
  const char *fqdn = m->cfg->naf_fqdn;
  if (idi_len != strlen(fqdn) || memcmp(idi, fqdn, idi_len) || idr_len != strlen(m->ue->btid) ||
      memcmp(idr, m->ue->btid, idr_len))
    return MBMSEC_ERR_MIKEY_UNKNOWN_KEY;
  ENSURE(muk_cap >= MBMSEC_GBA_KEY_LEN, MBMSEC_ERR_SPACE);
  memcpy(muk, m->ue->muk, MBMSEC_GBA_KEY_LEN);
  *muk_len = MBMSEC_GBA_KEY_LEN;
  return MBMSEC_OK;
}

static void refused(load_rx *r, const char *why)
{
  char kind[48];
  snprintf(kind, sizeof kind, "mikey-refused:%s", why);
  load_stats_error(r->st, kind);
  atomic_fetch_add(&r->st->mikey_refused, 1);
}

static void remember(load_ue *u, const uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  const unsigned n = atomic_load(&u->n_msk);
  for (unsigned i = 0; i < n; i++)
    if (!memcmp(u->msk_ids[i], msk_id, MBMSEC_MSK_ID_LEN)) return;
  if (n < LOAD_MSK_TRACK) {
    memcpy(u->msk_ids[n], msk_id, MBMSEC_MSK_ID_LEN);
    atomic_store(&u->n_msk, n + 1);
  }
}

static int64_t now_ns(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void one(load_rx *r, const uint8_t *buf, size_t len, const struct sockaddr_in *from,
                struct in_addr to)
{
  const int64_t idx = load_ue_index(r->cfg, ntohl(to.s_addr));
  if (idx < 0) return refused(r, "no-such-ue");
  load_ue *u = &r->ues[idx];
  if (!atomic_load_explicit(&u->ready, memory_order_acquire)) return refused(r, "ue-not-ready");
  muk_ctx mc = {r->cfg, u};
  mbmsec_mikey_msk_result res;
  mbmsec_err rc = mbmsec_mikey_state_accept_msk(u->mikey, buf, len, muk_cb, &mc, NULL, &res);
  if (rc != MBMSEC_OK) return refused(r, mbmsec_errname(rc) + (sizeof "MBMSEC_ERR_" - 1));
  u->msgs++;
  atomic_fetch_add(&r->st->mikey_msgs, 1);
  const int64_t t = now_ns();
  int_fast64_t zero = 0;
  atomic_compare_exchange_strong(&r->st->first_rx_ns, &zero, t);
  atomic_store(&r->st->last_rx_ns, t);
  if (res.outcome == MBMSEC_MIKEY_MSK_NEW) {
    remember(u, res.info.msk_id);
    atomic_fetch_add(&r->st->mikey_new, 1);
  }
  if (r->log) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(r->log, "%lld.%03ld ue=%lld addr=%s btid=%s msk_id=%02x%02x%02x%02x outcome=%s\n",
            (long long)ts.tv_sec, ts.tv_nsec / 1000000, (long long)idx, u->addr, u->btid,
            res.info.msk_id[0], res.info.msk_id[1], res.info.msk_id[2], res.info.msk_id[3],
            res.outcome == MBMSEC_MIKEY_MSK_NEW         ? "new"
            : res.outcome == MBMSEC_MIKEY_MSK_DUPLICATE ? "duplicate"
                                                        : "pull");
  }
  if (res.ver_len) {
    /* Reply from the UE's own address (IP_PKTINFO ipi_spec_dst) to the message's source. */
    union {
      char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
      struct cmsghdr align;
    } cm;
    memset(&cm, 0, sizeof cm);
    struct iovec iov = {.iov_base = res.ver, .iov_len = res.ver_len};
    struct msghdr mh = {.msg_name = (void *)from,
                        .msg_namelen = sizeof *from,
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cm.buf,
                        .msg_controllen = sizeof cm.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo pi = {.ipi_ifindex = 0, .ipi_spec_dst = to};
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    if (sendmsg(r->fd, &mh, 0) == (ssize_t)res.ver_len) {
      u->acks++;
      atomic_fetch_add(&r->st->mikey_acks, 1);
    } else {
      atomic_fetch_add(&r->st->ack_errors, 1);
      load_stats_error(r->st, "mikey-ack-send");
    }
  }
  mbmsec_mikey_msk_info_cleanse(&res.info);
  mbmsec_cleanse(&res, sizeof res);
}

static void *rx_main(void *arg)
{
  load_rx *r = arg;
  uint8_t buf[RX_BUF];
  while (!atomic_load(&r->stop)) {
    struct pollfd p = {.fd = r->fd, .events = POLLIN};
    if (poll(&p, 1, 100) <= 0) continue;
    for (;;) {
      struct sockaddr_in from;
      union {
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct cmsghdr align;
      } cm;
      struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
      struct msghdr mh = {.msg_name = &from,
                          .msg_namelen = sizeof from,
                          .msg_iov = &iov,
                          .msg_iovlen = 1,
                          .msg_control = cm.buf,
                          .msg_controllen = sizeof cm.buf};
      ssize_t n = recvmsg(r->fd, &mh, MSG_DONTWAIT);
      if (n < 0) break;
      if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        refused(r, "oversize");
        continue;
      }
      bool have_to = false;
      struct in_addr to = {0};
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          struct in_pktinfo pi;
          memcpy(&pi, CMSG_DATA(c), sizeof pi);
          to = pi.ipi_addr;
          have_to = true;
        }
      if (!have_to) {
        refused(r, "no-pktinfo");
        continue;
      }
      one(r, buf, (size_t)n, &from, to);
    }
  }
  mbmsec_cleanse(buf, sizeof buf);
  mbmsec_crypto_cleanup();
  return NULL;
}

mbmsec_err load_rx_start(const load_cfg *c, load_ue *ues, load_stats *st, load_rx **out)
{
  load_rx *r = calloc(1, sizeof *r);
  ENSURE(r != NULL, MBMSEC_ERR_NOMEM);
  r->cfg = c;
  r->ues = ues;
  r->st = st;
  r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int one_ = 1, sz = RX_SOCKBUF;
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)c->mikey_port),
                           .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (r->fd < 0 || setsockopt(r->fd, IPPROTO_IP, IP_PKTINFO, &one_, sizeof one_) != 0 ||
      bind(r->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    fprintf(stderr, "mbmsec-load: cannot bind UDP 0.0.0.0:%u: %s\n", c->mikey_port,
            strerror(errno));
    if (r->fd >= 0) close(r->fd);
    free(r);
    return MBMSEC_ERR_ARG;
  }
  /* Bursts of 10^4 pushes: a large receive buffer (FORCE needs CAP_NET_ADMIN; else capped). */
  if (setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
    (void)setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  if (c->mikey_log && !(r->log = fopen(c->mikey_log, "w"))) {
    fprintf(stderr, "mbmsec-load: cannot write %s: %s\n", c->mikey_log, strerror(errno));
    close(r->fd);
    free(r);
    return MBMSEC_ERR_ARG;
  }
  if (r->log) setvbuf(r->log, NULL, _IOLBF, 0); /* readable line by line while running */
  if (pthread_create(&r->thread, NULL, rx_main, r) != 0) {
    if (r->log) fclose(r->log);
    close(r->fd);
    free(r);
    return MBMSEC_ERR_NOMEM;
  }
  *out = r;
  return MBMSEC_OK;
}

void load_rx_stop(load_rx *r)
{
  if (!r) return;
  atomic_store(&r->stop, true);
  pthread_join(r->thread, NULL);
  close(r->fd);
  if (r->log) fclose(r->log);
  free(r);
}
