/* Rate-limited refusal logging (ratelim.h): fixed memory, no allocation, so that a flood can
 * neither grow it nor make it fail. */
#include "ratelim.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

void ratelim_init(ratelim *l, uint32_t burst, uint32_t interval_ms)
{
  memset(l, 0, sizeof *l);
  pthread_mutex_init(&l->lock, NULL);
  l->burst = burst ? burst : RATELIM_BURST_DEFAULT;
  l->interval_ms = interval_ms ? interval_ms : RATELIM_INTERVAL_MS_DEFAULT;
}

void ratelim_free(ratelim *l) { pthread_mutex_destroy(&l->lock); }

/* The slot of reason (created when there is room, else "other", the last slot). */
static ratelim_reason *slot(ratelim *l, const char *reason)
{
  for (size_t i = 0; i < l->n; i++)
    if (strncmp(l->r[i].name, reason, RATELIM_REASON_MAX) == 0) return &l->r[i];
  if (l->n < RATELIM_REASONS - 1) {
    ratelim_reason *r = &l->r[l->n++];
    snprintf(r->name, sizeof r->name, "%s", reason);
    return r;
  }
  ratelim_reason *o = &l->r[RATELIM_REASONS - 1];
  if (!o->name[0]) snprintf(o->name, sizeof o->name, "other");
  return o;
}

bool ratelim_take(ratelim *l, const char *reason, int64_t now_ms)
{
  pthread_mutex_lock(&l->lock);
  if (l->window_end_ms == 0) l->window_end_ms = now_ms + l->interval_ms;
  ratelim_reason *r = slot(l, reason);
  r->total++;
  const bool log = r->logged < l->burst;
  if (log)
    r->logged++;
  else
    r->suppressed++;
  pthread_mutex_unlock(&l->lock);
  return log;
}

uint64_t ratelim_roll(ratelim *l, int64_t now_ms, char *out, size_t cap)
{
  uint64_t not_shown = 0;
  size_t n = 0;
  if (cap) out[0] = 0;
  pthread_mutex_lock(&l->lock);
  if (l->window_end_ms == 0 || now_ms < l->window_end_ms) {
    pthread_mutex_unlock(&l->lock);
    return 0;
  }
  for (size_t i = 0; i < RATELIM_REASONS; i++) {
    ratelim_reason *r = &l->r[i];
    if (r->suppressed && cap > n) {
      int w = snprintf(out + n, cap - n, "%s%s=%llu", n ? " " : "", r->name,
                       (unsigned long long)r->suppressed);
      n = w < 0 ? n : (size_t)w >= cap - n ? cap - 1 : n + (size_t)w;
    }
    not_shown += r->suppressed;
    r->suppressed = 0;
    r->logged = 0;
  }
  l->window_end_ms = 0;
  pthread_mutex_unlock(&l->lock);
  return not_shown;
}

uint64_t ratelim_total(ratelim *l, const char *reason)
{
  uint64_t t = 0;
  pthread_mutex_lock(&l->lock);
  for (size_t i = 0; i < RATELIM_REASONS; i++) /* the "other" slot is past n */
    if (l->r[i].name[0] && strncmp(l->r[i].name, reason, RATELIM_REASON_MAX) == 0)
      t = l->r[i].total;
  pthread_mutex_unlock(&l->lock);
  return t;
}

static ratelim refusals;
static pthread_once_t refusals_once = PTHREAD_ONCE_INIT;
static void refusals_init(void) { ratelim_init(&refusals, 0, 0); }

static int64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool ratelim_refusal(const char *reason)
{
  pthread_once(&refusals_once, refusals_init);
  return ratelim_take(&refusals, reason, mono_ms());
}

void ratelim_refusals_report(void)
{
  pthread_once(&refusals_once, refusals_init);
  char shown[256];
  const uint64_t hidden = ratelim_roll(&refusals, mono_ms(), shown, sizeof shown);
  if (hidden) {
    char n[24];
    snprintf(n, sizeof n, "%llu", (unsigned long long)hidden);
    dlog(DLOG_WARN, "refused requests not logged one by one", "count", n, "by_status", shown, NULL);
  }
}
