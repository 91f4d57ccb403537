/* mbmsec-load statistics: counters the progress line reads while workers run (atomics),
 * errors by kind and latencies (under a mutex; workers hand over their latencies in bulk at
 * the end of a phase, so the lock is not on the request path). */
#include <stdlib.h>
#include <string.h>

#include "load.h"

void load_stats_init(load_stats *s)
{
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
}

void load_stats_free(load_stats *s)
{
  free(s->lat_us);
  pthread_mutex_destroy(&s->mu);
}

void load_stats_error(load_stats *s, const char *kind)
{
  pthread_mutex_lock(&s->mu);
  size_t i = 0;
  while (i < s->n_err && strcmp(s->err[i].kind, kind)) i++;
  if (i == s->n_err) {
    if (i == sizeof s->err / sizeof s->err[0])
      i--; /* full: the last slot collects the rest */
    else {
      s->n_err++;
      snprintf(s->err[i].kind, sizeof s->err[i].kind, "%s", kind);
    }
  }
  s->err[i].n++;
  pthread_mutex_unlock(&s->mu);
}

uint64_t load_stats_errors(load_stats *s)
{
  pthread_mutex_lock(&s->mu);
  uint64_t n = 0;
  for (size_t i = 0; i < s->n_err; i++) n += s->err[i].n;
  pthread_mutex_unlock(&s->mu);
  return n;
}

void load_stats_add_latencies(load_stats *s, const uint32_t *v, size_t n)
{
  if (!n) return;
  pthread_mutex_lock(&s->mu);
  if (s->n_lat + n > s->cap_lat) {
    size_t cap = (s->n_lat + n) * 2;
    uint32_t *nv = realloc(s->lat_us, cap * sizeof *nv);
    if (!nv) {
      pthread_mutex_unlock(&s->mu);
      return; /* percentiles then cover fewer requests; counters stay exact */
    }
    s->lat_us = nv;
    s->cap_lat = cap;
  }
  memcpy(s->lat_us + s->n_lat, v, n * sizeof *v);
  s->n_lat += n;
  pthread_mutex_unlock(&s->mu);
}

void load_lat_add(load_lat *l, uint32_t us)
{
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 4096;
    uint32_t *nv = realloc(l->v, cap * sizeof *nv);
    if (!nv) return;
    l->v = nv;
    l->cap = cap;
  }
  l->v[l->n++] = us;
}
