/* mbmsec-load's HTTP transport: a small HTTP/1.1 client of its own on blocking sockets, one
 * kept-alive connection per UE source address (P6: the BM-SC sends MIKEY to the source
 * address of the UE's requests). It replaced libcurl here because the generator shares the
 * machine's two cores with the server it measures: curl's per-request work (URL handling,
 * header lists, poll loops, allocations) was a quarter of the generator's CPU
 * (docs/BENCHMARKS.md). A request is one write and, as a rule, one read.
 *
 * Like the library's transport (lib/ue/ua_client_http.c) it only moves bytes: the
 * Authorization is the Digest engine's, no redirects, http only, header block and body capped
 * while they arrive (oversize-answer), Content-Length or chunked bodies. A kept-alive
 * connection the server closed before answering is reconnected once. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guard.h"
#include "load.h"
#include "mbmsec/crypto.h"
#include "mbmsec/ue_km.h"

#define HDR_MAX      (32 * 1024)                  /* status line and header block */
#define REQ_HEAD_MAX (MBMSEC_UE_AUTH_SIZE + 1024) /* request line and headers */

typedef struct {
  uint32_t ipv4; /* source address (host order); 0 = free slot */
  int fd;
  bool nonblock; /* O_NONBLOCK set (multiplexed use) */
  uint64_t used; /* for closing the least recently used one */
} conn;

struct load_http {
  long timeout_ms;
  struct sockaddr_in dst;
  char host_hdr[300]; /* Host: value */
  char path[1024];    /* the base URL's path and query (GET target) */
  conn *conns;
  size_t n_conns, max_conns;
  uint64_t tick;
  uint32_t bind_ipv4; /* source address of the next requests; 0 = any */
  const char *fail_kind;
  /* multiplexed use (load_http_watch): new connections join epfd, non-blocking */
  int epfd;
  uint32_t tag;
  conn *pend; /* the connection of the request sent, awaiting its answer */
  size_t pend_head;
  const uint8_t *pend_body; /* the caller's, valid until the answer */
  size_t pend_body_len;
  bool pend_reused, pend_retried;
  bool no_fill, incomplete, eof; /* parsing what was received so far; more is needed; EOF seen */
  /* the answer */
  mbmsec_ue_http_fields f;
  uint8_t body[MBMSEC_XML_DOC_MAX];
  size_t body_len;
  /* receive buffer: header block, then whatever of the body came with it */
  char in[HDR_MAX + 4096];
  size_t in_len, in_off;
  char req[REQ_HEAD_MAX];
};

mbmsec_err load_http_new(long timeout_ms, long max_conns, load_http **out)
{
  ENSURE(out && timeout_ms > 0 && max_conns > 0, MBMSEC_ERR_ARG);
  load_http *h = calloc(1, sizeof *h);
  ENSURE(h != NULL, MBMSEC_ERR_NOMEM);
  h->conns = calloc((size_t)max_conns, sizeof *h->conns);
  if (!h->conns) {
    free(h);
    return MBMSEC_ERR_NOMEM;
  }
  h->timeout_ms = timeout_ms;
  h->max_conns = (size_t)max_conns;
  h->epfd = -1;
  *out = h;
  return MBMSEC_OK;
}

void load_http_free(load_http *h)
{
  if (!h) return;
  for (size_t i = 0; i < h->n_conns; i++)
    if (h->conns[i].fd >= 0) close(h->conns[i].fd);
  free(h->conns);
  mbmsec_cleanse(h, sizeof *h); /* the last Authorization and answer */
  free(h);
}

void load_http_bind(load_http *h, uint32_t ipv4) { h->bind_ipv4 = ipv4; }

/* http://HOST[:PORT][/PATH]: HOST an IPv4 literal or a name with an IPv4 address. */
mbmsec_err load_http_set_base(load_http *h, const char *url)
{
  ENSURE(h && url, MBMSEC_ERR_ARG);
  static const char scheme[] = "http://";
  ENSURE(!strncasecmp(url, scheme, sizeof scheme - 1), MBMSEC_ERR_ARG);
  const char *hp = url + sizeof scheme - 1, *slash = strchr(hp, '/');
  const size_t hp_len = slash ? (size_t)(slash - hp) : strlen(hp);
  ENSURE(hp_len > 0 && hp_len < sizeof h->host_hdr, MBMSEC_ERR_ARG);
  char host[sizeof h->host_hdr], port[8] = "80";
  memcpy(host, hp, hp_len);
  host[hp_len] = '\0';
  ENSURE(host[0] != '[' && !strchr(host, '@'), MBMSEC_ERR_ARG); /* no IPv6, no userinfo */
  char *colon = strchr(host, ':');
  if (colon) {
    *colon = '\0';
    const size_t pl = strlen(colon + 1);
    ENSURE(pl >= 1 && pl < sizeof port && strspn(colon + 1, "0123456789") == pl, MBMSEC_ERR_ARG);
    memcpy(port, colon + 1, pl + 1);
  }
  const char *path = slash ? slash : "/";
  ENSURE(strlen(path) < sizeof h->path && !strpbrk(path, " \r\n#"), MBMSEC_ERR_ARG);
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai = NULL;
  ENSURE(host[0] && getaddrinfo(host, port, &hints, &ai) == 0 && ai, MBMSEC_ERR_ARG);
  memcpy(&h->dst, ai->ai_addr, sizeof h->dst);
  freeaddrinfo(ai);
  memcpy(h->host_hdr, hp, hp_len);
  h->host_hdr[hp_len] = '\0';
  snprintf(h->path, sizeof h->path, "%s", path);
  return MBMSEC_OK;
}

const char *load_http_fail_kind(const load_http *h)
{
  return h->fail_kind ? h->fail_kind : "transport";
}

/* ---- connections */

static void conn_close(load_http *h, conn *c)
{
  if (c == h->pend) h->pend = NULL;
  if (c->fd >= 0) close(c->fd); /* which also takes it out of the epoll set */
  c->fd = -1;
}

static bool set_nonblock(conn *c, bool on)
{
  const int fl = fcntl(c->fd, F_GETFL);
  if (fl < 0 || fcntl(c->fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) != 0) return false;
  c->nonblock = on;
  return true;
}

static void set_timeouts(int fd, long ms)
{
  struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* also bounds connect */
}

/* The slot of the current source address, connected; the least recently used connection is
 * closed when all max_conns are taken. */
static conn *conn_get(load_http *h, bool *reused)
{
  conn *c = NULL;
  for (size_t i = 0; i < h->n_conns && !c; i++)
    if (h->conns[i].ipv4 == h->bind_ipv4) c = &h->conns[i];
  if (!c && h->n_conns < h->max_conns) {
    c = &h->conns[h->n_conns++];
    c->fd = -1;
  }
  if (!c) {
    c = &h->conns[0];
    for (size_t i = 1; i < h->n_conns; i++)
      if (h->conns[i].used < c->used) c = &h->conns[i];
    conn_close(h, c);
  }
  c->ipv4 = h->bind_ipv4;
  c->used = ++h->tick;
  *reused = c->fd >= 0;
  if (c->fd >= 0) return c;
  const long ct = h->timeout_ms < 5000 ? h->timeout_ms : 5000;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    h->fail_kind = "connect";
    return NULL;
  }
  const int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  set_timeouts(fd, ct);
  struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(h->bind_ipv4)};
  if ((h->bind_ipv4 && bind(fd, (struct sockaddr *)&src, sizeof src) != 0) ||
      connect(fd, (const struct sockaddr *)&h->dst, sizeof h->dst) != 0) {
    h->fail_kind = errno == EINPROGRESS || errno == EAGAIN ? "timeout" : "connect";
    close(fd);
    return NULL;
  }
  set_timeouts(fd, h->timeout_ms);
  c->fd = fd;
  c->nonblock = false;
  if (h->epfd >= 0) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)h->tag << 32 | (uint32_t)fd};
    if (!set_nonblock(c, true) || epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      h->fail_kind = "connect";
      conn_close(h, c);
      return NULL;
    }
  }
  return c;
}

/* Head and body in one sendmsg: one syscall and, with TCP_NODELAY, one segment, so the
 * server reads the whole request at once. */
static bool send_all(int fd, long timeout_ms, const void *head, size_t head_len, const void *body,
                     size_t body_len)
{
  struct iovec iov[2] = {{(void *)(uintptr_t)head, head_len}, {(void *)(uintptr_t)body, body_len}};
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = body_len ? 2 : 1};
  while (m.msg_iovlen) {
    ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { /* non-blocking, buffer full */
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      if (poll(&p, 1, timeout_ms) == 1) continue;
      return false;
    }
    if (w <= 0) return false;
    size_t k = (size_t)w;
    while (m.msg_iovlen && k >= m.msg_iov[0].iov_len) {
      k -= m.msg_iov[0].iov_len;
      m.msg_iov++;
      m.msg_iovlen--;
    }
    if (m.msg_iovlen) {
      m.msg_iov[0].iov_base = (char *)m.msg_iov[0].iov_base + k;
      m.msg_iov[0].iov_len -= k;
    }
  }
  return true;
}

/* ---- the answer */

static void reset_answer(load_http *h)
{
  mbmsec_ue_http_fields_reset(&h->f);
  h->body_len = 0;
  h->in_len = h->in_off = 0;
  h->eof = h->incomplete = false;
}

/* Reads more into h->in; 0 on EOF, -1 on error (fail_kind set). */
static ssize_t fill(load_http *h, int fd)
{
  if (h->no_fill) { /* parsing the octets received so far: they end here */
    h->incomplete = !h->eof;
    return h->eof ? 0 : -1;
  }
  if (h->in_len == sizeof h->in) {
    h->fail_kind = "oversize-answer";
    return -1;
  }
  for (;;) {
    ssize_t r = recv(fd, h->in + h->in_len, sizeof h->in - h->in_len, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) h->fail_kind = errno == EAGAIN || errno == EWOULDBLOCK ? "timeout" : "transport";
    if (r > 0) h->in_len += (size_t)r;
    return r;
  }
}

/* The buffer was consumed: more from the socket (the buffer restarts, except while parsing
 * the octets received so far, which must stay for the next attempt). */
static bool refill(load_http *h, int fd)
{
  if (!h->no_fill) h->in_off = h->in_len = 0;
  return fill(h, fd) > 0;
}

/* n body octets from the buffer, then the socket, into h->body. */
static bool body_take(load_http *h, int fd, size_t n)
{
  if (n > sizeof h->body - h->body_len) {
    h->fail_kind = "oversize-answer";
    return false;
  }
  while (n) {
    if (h->in_off == h->in_len && !refill(h, fd)) return false;
    size_t k = h->in_len - h->in_off < n ? h->in_len - h->in_off : n;
    memcpy(h->body + h->body_len, h->in + h->in_off, k);
    h->body_len += k;
    h->in_off += k;
    n -= k;
  }
  return true;
}

/* One CRLF-terminated line of the chunked framing (at most 64 octets) into line. */
static bool chunk_line(load_http *h, int fd, char *line, size_t cap)
{
  size_t n = 0;
  for (;;) {
    if (h->in_off == h->in_len && !refill(h, fd)) return false;
    char ch = h->in[h->in_off++];
    if (ch == '\n') break;
    if (n + 1 >= cap) {
      h->fail_kind = "transport";
      return false;
    }
    line[n++] = ch;
  }
  if (n && line[n - 1] == '\r') n--;
  line[n] = '\0';
  return true;
}

static bool body_chunked(load_http *h, int fd)
{
  char line[64];
  for (;;) {
    char *end = NULL;
    if (!chunk_line(h, fd, line, sizeof line)) return false;
    errno = 0;
    unsigned long long size = strtoull(line, &end, 16);
    if (end == line || errno || size > MBMSEC_XML_DOC_MAX) {
      h->fail_kind = size > MBMSEC_XML_DOC_MAX ? "oversize-answer" : "transport";
      return false;
    }
    if (size == 0) break;
    if (!body_take(h, fd, (size_t)size) || !chunk_line(h, fd, line, sizeof line)) return false;
    if (line[0]) { /* the chunk's data must end with CRLF */
      h->fail_kind = "transport";
      return false;
    }
  }
  do { /* trailer fields up to the empty line */
    if (!chunk_line(h, fd, line, sizeof line)) return false;
  } while (line[0]);
  return true;
}

typedef struct {
  long status;
  bool chunked, close, has_length;
  unsigned long long length;
} head_info;

/* Parses the header block h->in[0, end) (end at the blank line's CRLF CRLF). */
static bool parse_head(load_http *h, size_t end, head_info *hi)
{
  memset(hi, 0, sizeof *hi);
  mbmsec_ue_http_fields_reset(&h->f);
  const char *p = h->in, *stop = h->in + end;
  const char *eol = memchr(p, '\n', (size_t)(stop - p));
  if (!eol || stop - p < 12 || strncmp(p, "HTTP/1.", 7) || p[8] != ' ') return false;
  char code[4] = {p[9], p[10], p[11], 0};
  if (strspn(code, "0123456789") != 3) return false;
  hi->status = strtol(code, NULL, 10);
  hi->close = p[7] == '0'; /* HTTP/1.0 closes unless told otherwise (we never ask) */
  for (p = eol + 1; p < stop; p = eol + 1) {
    eol = memchr(p, '\n', (size_t)(stop - p));
    if (!eol) eol = stop;
    size_t n = (size_t)(eol - p);
    if (n && p[n - 1] == '\r') n--;
    const char *v;
    size_t vn;
    char tmp[64];
    const int taken = mbmsec_ue_http_fields_line(&h->f, p, n);
    if (taken < 0) return h->fail_kind = "oversize-answer", false;
    if (taken) continue;
    if (mbmsec_ue_header_is(p, n, "Content-Length", &v, &vn)) {
      char *e = NULL;
      if (hi->has_length || !mbmsec_ue_header_value(v, vn, tmp, sizeof tmp) || !tmp[0] ||
          strspn(tmp, "0123456789") != strlen(tmp))
        return false;
      hi->length = strtoull(tmp, &e, 10);
      hi->has_length = true;
    } else if (mbmsec_ue_header_is(p, n, "Transfer-Encoding", &v, &vn)) {
      if (!mbmsec_ue_header_value(v, vn, tmp, sizeof tmp) || strcasecmp(tmp, "chunked"))
        return false;
      hi->chunked = true;
    } else if (mbmsec_ue_header_is(p, n, "Connection", &v, &vn)) {
      if (mbmsec_ue_header_value(v, vn, tmp, sizeof tmp)) {
        if (!strcasecmp(tmp, "close"))
          hi->close = true;
        else if (!strcasecmp(tmp, "keep-alive"))
          hi->close = false;
      }
    }
  }
  return true;
}

/* The offset just past the first CRLF CRLF of buf[0, n), searched from `from`; 0 if none. */
static size_t head_end(const char *buf, size_t n, size_t from)
{
  for (size_t i = from; i + 4 <= n; i++)
    if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n')
      return i + 4;
  return 0;
}

/* Reads one answer (skipping 1xx) from fd; *got_any says whether any octet arrived. */
static bool read_answer(load_http *h, int fd, head_info *hi, bool *got_any)
{
  for (;;) {
    size_t end = 0, scanned = 0;
    for (;;) {
      if ((end = head_end(h->in, h->in_len, scanned)) != 0) break;
      scanned = h->in_len > 3 ? h->in_len - 3 : 0;
      ssize_t r = fill(h, fd);
      if (r <= 0) {
        if (r == 0) h->fail_kind = "transport";
        return false;
      }
      *got_any = true;
    }
    if (!parse_head(h, end - 2, hi)) {
      if (!h->fail_kind) h->fail_kind = "transport";
      return false;
    }
    h->in_off = end;
    if (hi->status >= 200) break;
    memmove(h->in, h->in + end, h->in_len - end); /* 100 Continue and the like */
    h->in_len -= end;
    h->in_off = 0;
  }
  if (hi->status == 204 || hi->status == 304) return true;
  if (hi->chunked) return body_chunked(h, fd);
  if (hi->has_length) {
    if (hi->length > sizeof h->body) {
      h->fail_kind = "oversize-answer";
      return false;
    }
    return body_take(h, fd, (size_t)hi->length);
  }
  /* no length: the body runs to the end of the connection */
  hi->close = true;
  for (;;) {
    size_t k = h->in_len - h->in_off;
    if (k > sizeof h->body - h->body_len) {
      h->fail_kind = "oversize-answer";
      return false;
    }
    memcpy(h->body + h->body_len, h->in + h->in_off, k);
    h->body_len += k;
    h->in_off = h->in_len;
    if (!h->no_fill) h->in_off = h->in_len = 0;
    ssize_t r = fill(h, fd);
    if (r == 0) return true;
    if (r < 0) return false;
  }
}

static void answer_out(const load_http *h, long status, mbmsec_ue_http_answer *ans)
{
  mbmsec_ue_http_fields_answer(&h->f, status, h->body, h->body_len, ans);
}

mbmsec_err load_http_read_fd(load_http *h, int fd, mbmsec_ue_http_answer *ans)
{
  ENSURE(h && fd >= 0 && ans, MBMSEC_ERR_ARG);
  head_info hi;
  bool got_any = false;
  h->fail_kind = NULL;
  reset_answer(h);
  if (!read_answer(h, fd, &hi, &got_any)) {
    if (!h->fail_kind) h->fail_kind = "transport";
    return MBMSEC_ERR_UE_HTTP;
  }
  answer_out(h, hi.status, ans);
  return MBMSEC_OK;
}

/* Sends head + body on the UE's connection and reads the answer into *ans. */
static mbmsec_err exchange(load_http *h, size_t head_len, const uint8_t *body, size_t body_len,
                           mbmsec_ue_http_answer *ans)
{
  h->fail_kind = NULL;
  for (int attempt = 0; attempt < 2; attempt++) {
    bool reused = false, got_any = false;
    conn *c = conn_get(h, &reused);
    if (!c) return MBMSEC_ERR_UE_HTTP;
    reset_answer(h);
    head_info hi;
    if (c->nonblock && !set_nonblock(c, false)) {
      conn_close(h, c);
      h->fail_kind = "transport";
      return MBMSEC_ERR_UE_HTTP;
    }
    bool ok = send_all(c->fd, h->timeout_ms, h->req, head_len, body, body_len);
    if (ok) ok = read_answer(h, c->fd, &hi, &got_any);
    if (!ok) {
      conn_close(h, c);
      /* a kept-alive connection the server had closed: once more on a new one */
      if (reused && !got_any && (!h->fail_kind || strcmp(h->fail_kind, "timeout"))) {
        h->fail_kind = NULL;
        continue;
      }
      if (!h->fail_kind) h->fail_kind = "transport";
      return MBMSEC_ERR_UE_HTTP;
    }
    if (hi.close || h->in_off != h->in_len) conn_close(h, c); /* closing, or pipelined junk */
    answer_out(h, hi.status, ans);
    return MBMSEC_OK;
  }
  h->fail_kind = "transport";
  return MBMSEC_ERR_UE_HTTP;
}

/* Length of v, or SIZE_MAX when it holds one of bad: a header value must not break the
 * request's framing (one pass for both). */
static size_t clean_len(const char *v, const char *bad)
{
  const size_t n = strcspn(v, bad);
  return v[n] ? SIZE_MAX : n;
}

/* The head being written into h->req: memcpy instead of snprintf, whose format parsing was
 * ~1.5 % of the generator's CPU. p NULL once something did not fit (keeping room for a NUL,
 * as snprintf did). */
typedef struct {
  char *p, *end;
} head_out;

static void put(head_out *o, const char *s, size_t n)
{
  if (!o->p || (size_t)(o->end - o->p) <= n) {
    o->p = NULL;
    return;
  }
  memcpy(o->p, s, n);
  o->p += n;
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static void put_size(head_out *o, size_t v)
{
  char d[24];
  size_t i = sizeof d;
  do d[--i] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  put(o, d + i, sizeof d - i);
}

/* Request line, Host and User-Agent, common to POST and GET. */
static void put_start(head_out *o, const load_http *h, const char *method, size_t method_len,
                      const char *target, size_t target_len)
{
  put(o, method, method_len);
  put(o, target, target_len);
  PUT_LIT(o, " HTTP/1.1\r\nHost: ");
  put(o, h->host_hdr, strlen(h->host_hdr));
  PUT_LIT(o, "\r\nUser-Agent: " MBMSEC_UE_KM_USER_AGENT "\r\n");
}

/* The head of a POST of *s into h->req; its length in *n. */
static mbmsec_err post_head(load_http *h, const mbmsec_ue_km_send *s, size_t *len)
{
  ENSURE(h && h->host_hdr[0] && s && s->target && s->content_type && s->authorization,
         MBMSEC_ERR_ARG);
  const size_t tl = clean_len(s->target, " \r\n#"), cl = clean_len(s->content_type, "\r\n"),
               al = s->accept ? clean_len(s->accept, "\r\n") : 0,
               zl = clean_len(s->authorization, "\r\n");
  ENSURE(s->target[0] == '/' && tl != SIZE_MAX && cl != SIZE_MAX && al != SIZE_MAX &&
             zl != SIZE_MAX,
         MBMSEC_ERR_ARG);
  head_out o = {h->req, h->req + sizeof h->req};
  put_start(&o, h, "POST ", 5, s->target, tl);
  PUT_LIT(&o, "Content-Type: ");
  put(&o, s->content_type, cl);
  if (s->accept) {
    PUT_LIT(&o, "\r\nAccept: ");
    put(&o, s->accept, al);
  }
  if (zl) {
    PUT_LIT(&o, "\r\nAuthorization: ");
    put(&o, s->authorization, zl);
  }
  PUT_LIT(&o, "\r\nContent-Length: ");
  put_size(&o, s->body_len);
  PUT_LIT(&o, "\r\n\r\n");
  ENSURE(o.p != NULL, MBMSEC_ERR_SPACE);
  *o.p = '\0';
  *len = (size_t)(o.p - h->req);
  return MBMSEC_OK;
}

mbmsec_err load_http_post(void *ctx, const mbmsec_ue_km_send *s, mbmsec_ue_http_answer *ans)
{
  load_http *h = ctx;
  size_t n = 0;
  ENSURE(ans, MBMSEC_ERR_ARG);
  GUARD(post_head(h, s, &n));
  return exchange(h, n, s->body, s->body_len, ans);
}

/* The head of a GET of the base URL into h->req; its length in *n. */
static mbmsec_err get_head(load_http *h, const char *authorization, size_t *len)
{
  ENSURE(h && h->host_hdr[0], MBMSEC_ERR_ARG);
  const size_t zl = authorization ? clean_len(authorization, "\r\n") : 0;
  ENSURE(zl != SIZE_MAX, MBMSEC_ERR_ARG);
  head_out o = {h->req, h->req + sizeof h->req};
  put_start(&o, h, "GET ", 4, h->path, strlen(h->path));
  if (zl) {
    PUT_LIT(&o, "Authorization: ");
    put(&o, authorization, zl);
    PUT_LIT(&o, "\r\n");
  }
  PUT_LIT(&o, "\r\n");
  ENSURE(o.p != NULL, MBMSEC_ERR_SPACE);
  *o.p = '\0';
  *len = (size_t)(o.p - h->req);
  return MBMSEC_OK;
}

mbmsec_err load_http_get(load_http *h, const char *authorization, mbmsec_ue_http_answer *ans)
{
  size_t n = 0;
  ENSURE(ans, MBMSEC_ERR_ARG);
  GUARD(get_head(h, authorization, &n));
  return exchange(h, n, NULL, 0, ans);
}

/* ---- multiplexed use: send now, read the answer when epoll says the socket is readable */

void load_http_watch(load_http *h, int epfd, uint32_t tag)
{
  h->epfd = epfd;
  h->tag = tag;
}

/* Sends h->req[0, head) + body on the current source address's connection (connecting it,
 * which joins the epoll set), non-blocking; a kept-alive connection that fails to take it is
 * replaced once. */
static mbmsec_err send_pending(load_http *h, size_t head, const uint8_t *body, size_t body_len)
{
  ENSURE(h->epfd >= 0, MBMSEC_ERR_ARG);
  h->fail_kind = NULL;
  h->pend = NULL;
  for (int attempt = 0; attempt < 2; attempt++) {
    bool reused = false;
    conn *c = conn_get(h, &reused);
    if (!c) return MBMSEC_ERR_UE_HTTP;
    reset_answer(h);
    if ((c->nonblock || set_nonblock(c, true)) &&
        send_all(c->fd, h->timeout_ms, h->req, head, body, body_len)) {
      h->pend = c;
      h->pend_head = head;
      h->pend_body = body;
      h->pend_body_len = body_len;
      h->pend_reused = reused;
      return MBMSEC_OK;
    }
    conn_close(h, c);
    if (!reused) break;
  }
  if (!h->fail_kind) h->fail_kind = "transport";
  return MBMSEC_ERR_UE_HTTP;
}

mbmsec_err load_http_post_send(load_http *h, const mbmsec_ue_km_send *s)
{
  size_t n = 0;
  GUARD(post_head(h, s, &n));
  h->pend_retried = false;
  return send_pending(h, n, s->body, s->body_len);
}

mbmsec_err load_http_get_send(load_http *h, const char *authorization)
{
  size_t n = 0;
  GUARD(get_head(h, authorization, &n));
  h->pend_retried = false;
  return send_pending(h, n, NULL, 0);
}

int load_http_pending_fd(const load_http *h) { return h && h->pend ? h->pend->fd : -1; }

void load_http_drop_fd(load_http *h, int fd)
{
  for (size_t i = 0; fd >= 0 && i < h->n_conns; i++)
    if (h->conns[i].fd == fd) conn_close(h, &h->conns[i]);
}

void load_http_abort(load_http *h, const char *kind)
{
  if (h->pend) conn_close(h, h->pend);
  h->fail_kind = kind;
}

mbmsec_err load_http_recv(load_http *h, mbmsec_ue_http_answer *ans, bool *done)
{
  ENSURE(h && ans && done, MBMSEC_ERR_ARG);
  *done = false;
  ENSURE(h->pend, MBMSEC_ERR_UE_SEQUENCE);
  conn *c = h->pend;
  /* One recv per readiness; then the answer is parsed from the start of what came so far. */
  if (h->in_len < sizeof h->in) {
    ssize_t r;
    do r = recv(c->fd, h->in + h->in_len, sizeof h->in - h->in_len, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return MBMSEC_OK; /* spurious */
    if (r < 0) h->fail_kind = "transport";
    if (r > 0) h->in_len += (size_t)r;
    if (r == 0) h->eof = true;
  }
  head_info hi;
  bool got_any = false, ok = false;
  if (!h->fail_kind) {
    h->in_off = h->body_len = 0;
    h->no_fill = true;
    h->incomplete = false;
    ok = read_answer(h, c->fd, &hi, &got_any);
    h->no_fill = false;
    if (!ok && h->incomplete) {
      if (h->in_len < sizeof h->in) return MBMSEC_OK; /* wait for more */
      /* A large answer: the rest blocking, the parse starting over on the same octets. */
      h->incomplete = false;
      h->in_off = h->body_len = 0;
      ok = set_nonblock(c, false) && read_answer(h, c->fd, &hi, &got_any);
    }
  }
  if (!ok) {
    const bool nothing = h->in_len == 0;
    conn_close(h, c);
    /* a kept-alive connection the server had closed: once more on a new one */
    if (h->pend_reused && nothing && !h->pend_retried &&
        (!h->fail_kind || strcmp(h->fail_kind, "timeout"))) {
      h->pend_retried = true;
      return send_pending(h, h->pend_head, h->pend_body, h->pend_body_len);
    }
    if (!h->fail_kind) h->fail_kind = "transport";
    return MBMSEC_ERR_UE_HTTP;
  }
  h->pend = NULL;
  if (hi.close || h->in_off != h->in_len) conn_close(h, c);
  answer_out(h, hi.status, ans);
  *done = true;
  return MBMSEC_OK;
}
