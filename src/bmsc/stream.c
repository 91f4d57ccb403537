/* The daemon's transmission side (docs/bmsc-rotation.md "Stream"): one thread with its own
 * store handle drives lib/bmsc's stream engine: MSKs of the Key Group read from the store every
 * second, MTK messages to mtk-dest with durable per-MSK counters, SRTP packets to srtp-dest at
 * srtp-rate. The engine decides what and when; this file owns the clock and the sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bmsc.h"
#include "log.h"
#include "mbmsec/bmsc_stream.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/keyid.h"
#include "mbmsec/srtp.h"

#ifdef MBMSEC_HAVE_STREAM
#define COUNTER_BLOCK  64                  /* MTK message counters reserved per store write */
#define FILE_MAX       (64u * 1024 * 1024) /* srtp-file cap */
#define MSK_REFRESH_MS 1000

struct bmsc_stream {
  bmsc_app *app;
  mbmsec_store *st;
  mbmsec_bmsc_stream *eng;
  pthread_t th;
  atomic_bool stop;
  int fd;
  struct sockaddr_in mtk_to, srtp_to;
  bool mtk_on, srtp_on;
  uint8_t *file;
  size_t file_len, file_off;
  /* the counter block of the MSK whose MTK messages go out now */
  uint8_t ctr_msk[MBMSEC_MSK_ID_LEN];
  mbmsec_store_ctr ctr; /* zeroed when ctr_msk changes */
  /* the store's data version at the last good MSK read (docs/store.md) */
  uint64_t msk_version;
  bool msk_version_ok;
  /* what was logged last */
  mbmsec_bmsc_stream_mtk last_new;
  bool no_msk_logged;
};

static int64_t now_ms(clockid_t c)
{
  struct timespec ts;
  clock_gettime(c, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The Key Group's MSKs from the store into the engine, unless the store's data version says
 * that nothing was committed since the last read (which MTKs are in force follows the clock,
 * not the store). The version is read first: a commit after it moves it again. */
static void refresh_msks(bmsc_stream *s)
{
  mbmsec_store_msk k[MBMSEC_BMSC_STREAM_MSKS];
  mbmsec_bmsc_stream_msk m[MBMSEC_BMSC_STREAM_MSKS];
  size_t n = 0;
  uint64_t v = 0;
  const bool have_v = mbmsec_store_data_version(s->st, &v) == MBMSEC_OK;
  if (have_v && s->msk_version_ok && v == s->msk_version) return;
  s->msk_version_ok = false;
  mbmsec_err e =
      mbmsec_store_msk_list(s->st, s->app->kdid, MBMSEC_KDID_LEN, s->app->s.stream_key_group, k,
                            MBMSEC_BMSC_STREAM_MSKS, &n, NULL);
  if (e != MBMSEC_OK) {
    dlog(DLOG_WARN, "stream: cannot read the MSKs", "code", mbmsec_errname(e), NULL);
    n = 0;
  }
  for (size_t i = 0; i < n; i++) {
    memcpy(m[i].msk_id, k[i].msk_id, MBMSEC_MSK_ID_LEN);
    memcpy(m[i].msk, k[i].key, MBMSEC_MBMS_MSK_LEN);
    m[i].valid_from_ms = k[i].valid_from * 1000;
    m[i].valid_to_ms = k[i].valid_to * 1000;
    m[i].vf = k[i].vf;
    m[i].vt = k[i].vt;
  }
  if (e == MBMSEC_OK && mbmsec_bmsc_stream_set_msks(s->eng, m, n) == MBMSEC_OK && have_v) {
    s->msk_version = v;
    s->msk_version_ok = true;
  }
  mbmsec_cleanse(k, sizeof k);
  mbmsec_cleanse(m, sizeof m);
}

/* The store name of an MSK's MTK message counter: "mtk:" + hex(Key Domain ID || MSK ID). */
static mbmsec_err ctr_name(void *arg, char name[MBMSEC_STORE_COUNTER_NAME_MAX + 1])
{
  const bmsc_stream *s = arg;
  uint8_t key_id[MBMSEC_KEY_ID_LEN];
  mbmsec_key_id_pack(s->app->kdid, s->ctr_msk, key_id);
  memcpy(name, "mtk:", 4);
  return mbmsec_hex_encode(key_id, sizeof key_id, name + 4, MBMSEC_STORE_COUNTER_NAME_MAX + 1 - 4);
}

/* The next MTK message counter of the MSK (P11: never repeated, also across a restart): one
 * durable store counter per MSK (mbmsec_store_ctr). */
static mbmsec_err next_counter(bmsc_stream *s, const uint8_t msk_id[MBMSEC_MSK_ID_LEN],
                               uint32_t *out)
{
  if (memcmp(s->ctr_msk, msk_id, MBMSEC_MSK_ID_LEN)) { /* another MSK: its own counter */
    memcpy(s->ctr_msk, msk_id, MBMSEC_MSK_ID_LEN);
    s->ctr = (mbmsec_store_ctr){0, 0};
  }
  uint64_t v = 0;
  mbmsec_err e = mbmsec_store_ctr_next(s->st, &s->ctr, COUNTER_BLOCK, UINT32_MAX, ctr_name, s, &v);
  if (e == MBMSEC_OK) *out = (uint32_t)v;
  return e;
}

static void send_to(bmsc_stream *s, const uint8_t *b, size_t n, const struct sockaddr_in *to)
{
  if (sendto(s->fd, b, n, 0, (const struct sockaddr *)to, sizeof *to) < 0) {
    atomic_fetch_add(&s->app->m.stream_send_errors, 1);
    dlog(DLOG_DEBUG, "stream: send failed", "errno", strerror(errno), NULL);
  }
}

static void mtk_messages(bmsc_stream *s, int64_t wall, int64_t *next)
{
  mbmsec_bmsc_stream_mtk m;
  uint8_t msg[512];
  while (mbmsec_bmsc_stream_mtk_due(s->eng, wall, &m, next)) {
    uint32_t ctr = 0;
    size_t len = 0;
    mbmsec_err e = next_counter(s, m.msk_id, &ctr);
    if (e == MBMSEC_OK)
      e = mbmsec_bmsc_stream_mtk_message(s->eng, &m, ctr, wall, msg, sizeof msg, &len);
    if (e != MBMSEC_OK) {
      dlog(DLOG_ERROR, "stream: no MTK message", "code", mbmsec_errname(e), NULL);
      *next = wall + 1000;
      return;
    }
    send_to(s, msg, len, &s->mtk_to);
    atomic_fetch_add(&s->app->m.mtk_sent, 1);
    atomic_store(&s->app->m.mtk_current_id, m.mtk_id);
    char id[16], mtk_id[8], c[12];
    (void)mbmsec_hex_encode(m.msk_id, MBMSEC_MSK_ID_LEN, id, sizeof id);
    snprintf(mtk_id, sizeof mtk_id, "%u", (unsigned)m.mtk_id);
    snprintf(c, sizeof c, "%u", (unsigned)ctr);
    const bool fresh =
        m.mtk_id != s->last_new.mtk_id || memcmp(m.msk_id, s->last_new.msk_id, MBMSEC_MSK_ID_LEN);
    dlog(fresh ? DLOG_INFO : DLOG_DEBUG, "stream", "event", fresh ? "mtk_new" : "mtk_repeat",
         "msk_id", id, "mtk_id", mtk_id, "counter", c, NULL);
    s->last_new = m;
  }
}

static void srtp_packet(bmsc_stream *s, int64_t wall)
{
  uint8_t
      pkt[MBMSEC_BMSC_STREAM_RTP_HDR + MBMSEC_BMSC_STREAM_PAYLOAD_MAX + MBMSEC_SRTP_TRAILER_MAX];
  const size_t pl = s->app->s.srtp_payload;
  const uint8_t *payload = NULL;
  uint8_t chunk[MBMSEC_BMSC_STREAM_PAYLOAD_MAX];
  if (s->file) { /* the file in order, looped */
    for (size_t i = 0; i < pl; i++) chunk[i] = s->file[(s->file_off + i) % s->file_len];
    payload = chunk;
  }
  size_t len = 0;
  mbmsec_bmsc_stream_mtk used;
  mbmsec_err e = mbmsec_bmsc_stream_packet(s->eng, wall, payload, pl, pkt, sizeof pkt, &len, &used);
  if (e == MBMSEC_ERR_BMSC_STREAM_NO_MSK) {
    atomic_fetch_add(&s->app->m.srtp_no_msk, 1);
    if (!s->no_msk_logged)
      dlog(DLOG_WARN, "stream: no valid MSK, SRTP paused", "code", mbmsec_errname(e), NULL);
    s->no_msk_logged = true;
    return;
  }
  if (e != MBMSEC_OK) {
    dlog(DLOG_ERROR, "stream: no SRTP packet", "code", mbmsec_errname(e), NULL);
    return;
  }
  s->no_msk_logged = false;
  if (s->file) s->file_off = (s->file_off + pl) % s->file_len;
  send_to(s, pkt, len, &s->srtp_to);
  atomic_fetch_add(&s->app->m.srtp_sent, 1);
}

static void *run(void *arg)
{
  bmsc_stream *s = arg;
  const int64_t step_us = 1000000 / s->app->s.srtp_rate;
  int64_t next_refresh = 0, next_mtk = 0;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int64_t next_pkt_us = (int64_t)t0.tv_sec * 1000000 + t0.tv_nsec / 1000;
  while (!atomic_load(&s->stop)) {
    const int64_t wall = now_ms(CLOCK_REALTIME), mono = now_ms(CLOCK_MONOTONIC);
    if (mono >= next_refresh) {
      refresh_msks(s);
      next_refresh = mono + MSK_REFRESH_MS;
      next_mtk = wall; /* the MSKs may have changed: ask the engine again */
    }
    if (s->mtk_on && wall >= next_mtk) mtk_messages(s, wall, &next_mtk);
    struct timespec tn;
    clock_gettime(CLOCK_MONOTONIC, &tn);
    int64_t now_us = (int64_t)tn.tv_sec * 1000000 + tn.tv_nsec / 1000;
    if (s->srtp_on) {
      /* paced on the monotonic clock; after a stall (a slow store) do not burst: skip ahead */
      if (now_us - next_pkt_us > 1000000) next_pkt_us = now_us;
      while (next_pkt_us <= now_us) {
        srtp_packet(s, now_ms(CLOCK_REALTIME));
        next_pkt_us += step_us;
      }
    }
    int64_t sleep_us = 100000;
    if (s->srtp_on && next_pkt_us - now_us < sleep_us) sleep_us = next_pkt_us - now_us;
    if (s->mtk_on && (next_mtk - wall) * 1000 < sleep_us) sleep_us = (next_mtk - wall) * 1000;
    if (sleep_us < 0) sleep_us = 0;
    struct timespec ts = {(time_t)(sleep_us / 1000000), (long)(sleep_us % 1000000) * 1000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static int resolve(const char *what, const char *addr, uint16_t port, struct sockaddr_in *out)
{
  memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons(port);
  if (inet_pton(AF_INET, addr, &out->sin_addr) == 1) return 0;
  dlog(DLOG_ERROR, "stream: not an IPv4 address", "setting", what, "value", addr, NULL);
  return 1;
}

static int load_file(bmsc_stream *s, const char *path)
{
  FILE *f = fopen(path, "rb");
  struct stat sb;
  if (!f || fstat(fileno(f), &sb) || sb.st_size <= 0 || (uint64_t)sb.st_size > FILE_MAX) {
    dlog(DLOG_ERROR, "stream: srtp-file unreadable, empty or above 64 MiB", "path", path, NULL);
    if (f) fclose(f);
    return 1;
  }
  s->file_len = (size_t)sb.st_size;
  s->file = malloc(s->file_len);
  const bool ok = s->file && fread(s->file, 1, s->file_len, f) == s->file_len;
  fclose(f);
  if (!ok) dlog(DLOG_ERROR, "stream: cannot read srtp-file", "path", path, NULL);
  return ok ? 0 : 1;
}

static void stream_free(bmsc_stream *s)
{
  if (!s) return;
  if (s->fd >= 0) close(s->fd);
  mbmsec_bmsc_stream_free(s->eng);
  mbmsec_store_close(s->st);
  free(s->file);
  free(s);
}

int bmsc_stream_start(bmsc_app *app)
{
  const bmsc_settings *c = &app->s;
  if (!c->mtk_dest[0] && !c->srtp_dest[0]) return 0;
  bmsc_stream *s = calloc(1, sizeof *s);
  if (!s) return 1;
  s->app = app;
  s->fd = -1;
  s->mtk_on = c->mtk_dest[0] != 0;
  s->srtp_on = c->srtp_dest[0] != 0;
  struct sockaddr_in src;
  if ((s->mtk_on && resolve("mtk-dest", c->mtk_dest, c->mtk_dest_port, &s->mtk_to)) ||
      (s->srtp_on && resolve("srtp-dest", c->srtp_dest, c->srtp_dest_port, &s->srtp_to)) ||
      resolve("stream-bind", c->stream_bind, 0, &src) ||
      (s->srtp_on && c->srtp_file[0] && load_file(s, c->srtp_file)))
    goto fail;
  mbmsec_err e = mbmsec_store_open(c->store, &s->st);
  if (e != MBMSEC_OK) {
    dlog(DLOG_ERROR, "stream: cannot open the store", "code", mbmsec_errname(e), NULL);
    goto fail;
  }
  mbmsec_bmsc_stream_conf sc = {.mtk_interval_ms = c->mtk_interval_ms,
                                .mtk_lead_ms = c->mtk_lead_ms,
                                .mtk_period_ms = c->mtk_period_ms};
  memcpy(sc.kdid, app->kdid, MBMSEC_KDID_LEN);
  uint8_t r[8];
  if (mbmsec_random(r, sizeof r) != MBMSEC_OK) goto fail;
  /* a random SSRC, sequence number and timestamp per run (RFC 3550): a restarted BM-SC derives
   * the same MTK for the same MTK ID, and the new SSRC keeps it off the old keystream */
  sc.ssrc = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
  sc.first_seq = (uint16_t)(r[4] << 8 | r[5]) & 0x7fff;
  sc.first_ts = (uint32_t)r[6] << 8 | r[7];
  if ((e = mbmsec_bmsc_stream_new(&sc, &s->eng)) != MBMSEC_OK) {
    dlog(DLOG_ERROR, "stream: engine", "code", mbmsec_errname(e), NULL);
    goto fail;
  }
  s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&src, sizeof src) != 0) {
    dlog(DLOG_ERROR, "stream: cannot bind", "stream_bind", c->stream_bind, "errno", strerror(errno),
         NULL);
    goto fail;
  }
  const unsigned char ttl = (unsigned char)c->stream_ttl;
  if (setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0 ||
      setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_IF, &src.sin_addr, sizeof src.sin_addr) != 0) {
    dlog(DLOG_ERROR, "stream: multicast options", "errno", strerror(errno), NULL);
    goto fail;
  }
  if (pthread_create(&s->th, NULL, run, s) != 0) goto fail;
  app->stream = s;
  char g[8], md[80], sd[80], ssrc[12];
  snprintf(g, sizeof g, "%04x", (unsigned)c->stream_key_group);
  snprintf(md, sizeof md, "%s:%u", c->mtk_dest, (unsigned)c->mtk_dest_port);
  snprintf(sd, sizeof sd, "%s:%u", c->srtp_dest, (unsigned)c->srtp_dest_port);
  snprintf(ssrc, sizeof ssrc, "%08x", (unsigned)sc.ssrc);
  dlog(DLOG_INFO, "stream started", "key_group", g, "mtk_dest", s->mtk_on ? md : "off", "srtp_dest",
       s->srtp_on ? sd : "off", "ssrc", ssrc, "payload",
       c->srtp_file[0] ? c->srtp_file : "generated", NULL);
  return 0;
fail:
  stream_free(s);
  return 1;
}

void bmsc_stream_stop(bmsc_app *app)
{
  bmsc_stream *s = app->stream;
  if (!s) return;
  atomic_store(&s->stop, true);
  pthread_join(s->th, NULL);
  char n[24];
  snprintf(n, sizeof n, "%llu", (unsigned long long)atomic_load(&app->m.srtp_sent));
  dlog(DLOG_INFO, "stream stopped", "srtp_sent", n, NULL);
  stream_free(s);
  app->stream = NULL;
}
#else /* built without libsrtp2: the settings are read, a configured stream refuses to start */
int bmsc_stream_start(bmsc_app *app)
{
  if (!app->s.mtk_dest[0] && !app->s.srtp_dest[0]) return 0;
  dlog(DLOG_ERROR, "stream: mbmsec-bmsc was built without libsrtp2 (libsrtp2-dev)", NULL);
  return 1;
}
void bmsc_stream_stop(bmsc_app *app) { (void)app; }
#endif
