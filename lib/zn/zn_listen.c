/* Zn server: the listening socket freeDiameter made, hardened against idle-connection floods
 * (docs/bsf.md, "Zn under a connection flood").
 *
 * freeDiameter 1.2.1 creates and listens on its server socket itself (tcp.c: listen(sock, 5)),
 * hands each accepted connection to a pool of ThreadsPerServer (default 5) workers through a
 * queue of 5, and a worker waits up to INCNX_TIMEOUT = 20 s (compile-time) for the CER. None of
 * the three is reachable through its configuration or API. Ten idle connections therefore
 * stall the accept loop for 20 s, the 5-entry kernel backlog fills, and every further SYN,
 * the BM-SC's too, is dropped. So, after fd_core_start, this file finds that socket in the
 * process (SO_ACCEPTCONN, TCP, the Zn port) and, in the kernel:
 *   - listen() again with a large backlog (Linux changes the backlog of a listening socket);
 *   - TCP_DEFER_ACCEPT: a connection reaches accept() only once it carries data, so a peer
 *     that connects and sends nothing never occupies freeDiameter's queue or workers for the
 *     deferral time (a Diameter peer sends its CER, or its TLS ClientHello, at once);
 *   - with a list of peer addresses: a classic BPF socket filter on the listener that drops
 *     every segment, SYNs included, from any other source address, so a host that is not a
 *     configured peer cannot even complete the handshake;
 *   - a reaper thread standing in for a short CER time-out: a connection freeDiameter has
 *     accepted on the Zn port that has received no octet at all ZN_IDLE_CLOSE_MS after it was
 *     established is shut down (shutdown(2) on a dup of the descriptor: freeDiameter's worker
 *     sees the connection end and closes its descriptor itself). With TCP_DEFER_ACCEPT such a
 *     connection can only be one that stayed idle for the whole deferral (or one admitted with
 *     a SYN cookie that still sent nothing): a Diameter peer's CER arrives with or right after
 *     the handshake. */
#include "zn_internal.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_received (glibc's lacks it) */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"

/* 1 if fd is a listening TCP socket bound to port. */
static int zn_is_listener(int fd, uint16_t port)
{
  int v = 0;
  socklen_t l = sizeof v;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) != 0 || v != 1) return 0;
  l = sizeof v;
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l) != 0 || v != IPPROTO_TCP) return 0;
  struct sockaddr_storage ss;
  l = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &l) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port) == port;
  if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == port;
  return 0;
}

/* The listening sockets of port in this process (at most cap), from /proc/self/fd. */
static size_t zn_find_listeners(uint16_t port, int *fds, size_t cap)
{
  size_t n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) return 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < cap) {
    char *end = NULL;
    long fd = strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd < 0 || fd == dirfd(d)) continue;
    if (zn_is_listener((int)fd, port)) fds[n++] = (int)fd;
  }
  closedir(d);
  return n;
}

/* Drop every segment whose IPv4 source is not in allow (network order). */
static int zn_attach_filter(int fd, const uint32_t *allow, size_t n_allow)
{
  struct sock_filter prog[MBMSEC_ZN_PEER_ADDR_MAX + 3];
  size_t k = 0;
  /* A = IPv4 source address (host order); the filter runs with the TCP header at offset 0. */
  prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 12u);
  for (size_t i = 0; i < n_allow; i++)
    prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(allow[i]),
                                             (uint8_t)(n_allow - i), 0);
  prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);           /* drop */
  prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffffu); /* keep */
  struct sock_fprog fp = {.len = (unsigned short)k, .filter = prog};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
}

mbmsec_err zn_listener_harden(uint16_t port, const uint32_t *allow, size_t n_allow,
                              unsigned wait_ms, size_t *n_done)
{
  ENSURE(n_allow <= MBMSEC_ZN_PEER_ADDR_MAX, MBMSEC_ERR_ARG);
  *n_done = 0;
  /* freeDiameter's server thread calls listen() after fd_core_start returns: wait until the
   * socket listens (SO_ACCEPTCONN), else its listen(5) would undo ours. */
  int fds[8];
  size_t n = 0;
  for (unsigned waited = 0;; waited += 5) {
    n = zn_find_listeners(port, fds, sizeof fds / sizeof fds[0]);
    if (n > 0 || waited >= wait_ms) break;
    struct timespec step = {0, 5 * 1000 * 1000};
    nanosleep(&step, NULL);
  }
  ENSURE(n > 0, MBMSEC_ERR_ZN_STACK);
  for (size_t i = 0; i < n; i++) {
    int defer = MBMSEC_ZN_DEFER_ACCEPT_S;
    ENSURE(listen(fds[i], MBMSEC_ZN_LISTEN_BACKLOG) == 0, MBMSEC_ERR_ZN_STACK);
    ENSURE(setsockopt(fds[i], IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer) == 0,
           MBMSEC_ERR_ZN_STACK);
    if (n_allow > 0) ENSURE(zn_attach_filter(fds[i], allow, n_allow) == 0, MBMSEC_ERR_ZN_STACK);
  }
  *n_done = n;
  return MBMSEC_OK;
}

mbmsec_err zn_parse_addrs(const char *list, uint32_t *out, size_t cap, size_t *n_out)
{
  *n_out = 0;
  if (list == NULL) return MBMSEC_OK;
  const char *p = list;
  size_t n = 0;
  for (;;) {
    const char *c = strchr(p, ',');
    size_t len = c != NULL ? (size_t)(c - p) : strlen(p);
    char one[INET_ADDRSTRLEN];
    struct in_addr a;
    ENSURE(len > 0 && len < sizeof one && n < cap, MBMSEC_ERR_ARG);
    memcpy(one, p, len);
    one[len] = '\0';
    ENSURE(inet_pton(AF_INET, one, &a) == 1, MBMSEC_ERR_ARG);
    out[n++] = a.s_addr;
    if (c == NULL) break;
    p = c + 1;
  }
  *n_out = n;
  return MBMSEC_OK;
}

/* ---- reaper of idle accepted connections ---- */

/* How long an accepted Zn connection may go without its first octet, and how often the
 * reaper looks. */
#define ZN_IDLE_CLOSE_MS 2000u
#define ZN_REAP_EVERY_MS 100

struct zn_reaper {
  pthread_t th;
  uint16_t port;
  atomic_int stop;
  atomic_uint_fast64_t closed;
};

/* Shut fd down if it is an accepted TCP connection on port that has received nothing for
 * ZN_IDLE_CLOSE_MS since it was established. Works on a dup, so that a descriptor number
 * freeDiameter closes and reuses meanwhile cannot make us act on another socket. */
static int zn_reap_one(int fd, uint16_t port)
{
  struct sockaddr_storage ss;
  socklen_t l = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &l) != 0 || ss.ss_family != AF_INET ||
      ntohs(((struct sockaddr_in *)&ss)->sin_port) != port)
    return 0;
  int d = dup(fd);
  if (d < 0) return 0;
  int reaped = 0, v = 0;
  struct tcp_info ti;
  memset(&ti, 0, sizeof ti);
  socklen_t vl = sizeof v, tl = sizeof ti;
  l = sizeof ss;
  if (getsockopt(d, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 0 &&
      getsockname(d, (struct sockaddr *)&ss, &l) == 0 && ss.ss_family == AF_INET &&
      ntohs(((struct sockaddr_in *)&ss)->sin_port) == port &&
      getsockopt(d, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
      tl >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received &&
      ti.tcpi_bytes_received == 0 && ti.tcpi_last_data_recv >= ZN_IDLE_CLOSE_MS)
    reaped = shutdown(d, SHUT_RDWR) == 0;
  close(d);
  return reaped;
}

static void *zn_reaper_main(void *arg)
{
  struct zn_reaper *r = arg;
  while (!atomic_load(&r->stop)) {
    DIR *dir = opendir("/proc/self/fd");
    if (dir != NULL) {
      struct dirent *e;
      while ((e = readdir(dir)) != NULL) {
        char *end = NULL;
        long fd = strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd < 0 || fd == dirfd(dir)) continue;
        if (zn_reap_one((int)fd, r->port)) atomic_fetch_add(&r->closed, 1);
      }
      closedir(dir);
    }
    struct timespec step = {0, ZN_REAP_EVERY_MS * 1000 * 1000};
    nanosleep(&step, NULL);
  }
  return NULL;
}

mbmsec_err zn_reaper_start(uint16_t port, struct zn_reaper **out)
{
  struct zn_reaper *r = calloc(1, sizeof *r);
  ENSURE(r != NULL, MBMSEC_ERR_NOMEM);
  r->port = port;
  atomic_init(&r->stop, 0);
  atomic_init(&r->closed, 0);
  if (pthread_create(&r->th, NULL, zn_reaper_main, r) != 0) {
    free(r);
    return MBMSEC_ERR_NOMEM;
  }
  *out = r;
  return MBMSEC_OK;
}

uint64_t zn_reaper_closed(const struct zn_reaper *r)
{
  return r == NULL ? 0 : (uint64_t)atomic_load(&r->closed);
}

void zn_reaper_stop(struct zn_reaper *r)
{
  if (r == NULL) return;
  atomic_store(&r->stop, 1);
  pthread_join(r->th, NULL);
  free(r);
}
