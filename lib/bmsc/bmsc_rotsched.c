/* The MSK rotation push scheduler (include/mbmsec/bmsc_rotsched.h, docs/bmsc-rotation.md):
 * n send times spread over a window with jitter, handed out earliest first from a min-heap. */
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/bmsc_rotsched.h"

/* A heap entry: send time as an offset from the plan's start (the window is a uint32 of ms,
 * so 8 octets an entry instead of 16). */
typedef struct {
  uint32_t off;
  uint32_t id;
} rot_ent;

struct mbmsec_bmsc_rot {
  int64_t start_ms;
  size_t n, heap_n;
  rot_ent *heap;     /* entries not handed out yet */
  uint32_t *off;     /* planned offset per UE, for rot_time and progress */
  uint8_t *state;    /* mbmsec_bmsc_rot_state per UE */
  uint64_t count[6]; /* UEs per state */
  uint32_t off_min, off_max;
};

/* splitmix64 (Steele, Lea, Flood 2014): a load-spreading sequence, not a key source. */
static uint64_t mix_next(uint64_t *s)
{
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Uniform in [0, bound) without modulo bias (bound >= 1). */
static uint64_t mix_below(uint64_t *s, uint64_t bound)
{
  uint64_t lim = UINT64_MAX - UINT64_MAX % bound, v;
  do v = mix_next(s);
  while (v >= lim);
  return v % bound;
}

static int ent_less(rot_ent a, rot_ent b)
{
  return a.off < b.off || (a.off == b.off && a.id < b.id);
}

static void sift_down(rot_ent *h, size_t n, size_t i)
{
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    if (l < n && ent_less(h[l], h[m])) m = l;
    if (l + 1 < n && ent_less(h[l + 1], h[m])) m = l + 1;
    if (m == i) return;
    rot_ent t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
}

mbmsec_err mbmsec_bmsc_rot_new(const mbmsec_bmsc_rot_plan *plan, size_t n, mbmsec_bmsc_rot **out)
{
  ENSURE(plan && out && n > 0 && n <= MBMSEC_BMSC_ROT_MAX_UES, MBMSEC_ERR_ARG);
  *out = NULL;
  mbmsec_err rc = MBMSEC_OK;
  mbmsec_bmsc_rot *r = calloc(1, sizeof *r);
  ENSURE(r, MBMSEC_ERR_NOMEM);
  r->heap = malloc(n * sizeof *r->heap);
  r->off = malloc(n * sizeof *r->off);
  r->state = calloc(n, 1); /* all MBMSEC_BMSC_ROT_PLANNED */
  ENSURE_OUT(r->heap && r->off && r->state, MBMSEC_ERR_NOMEM);
  r->start_ms = plan->start_ms;
  r->n = r->heap_n = n;
  uint64_t seed = plan->seed;
  /* slot[i] = a random permutation of 0..n-1 (Fisher-Yates), kept in off[] for a moment. */
  for (size_t i = 0; i < n; i++) r->off[i] = (uint32_t)i;
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = (size_t)mix_below(&seed, (uint64_t)i + 1);
    uint32_t t = r->off[i];
    r->off[i] = r->off[j];
    r->off[j] = t;
  }
  r->off_min = UINT32_MAX;
  for (size_t i = 0; i < n; i++) {
    uint64_t o = 0;
    if (plan->window_ms > 0) {
      /* slot s starts at s * window / n; jitter pushes it later, never past the window. */
      o = (uint64_t)r->off[i] * plan->window_ms / n;
      if (plan->jitter_ms) o += mix_below(&seed, (uint64_t)plan->jitter_ms + 1);
      if (o >= plan->window_ms) o = plan->window_ms - 1;
    }
    r->off[i] = (uint32_t)o;
    r->heap[i] = (rot_ent){.off = (uint32_t)o, .id = (uint32_t)i};
    if (o < r->off_min) r->off_min = (uint32_t)o;
    if (o > r->off_max) r->off_max = (uint32_t)o;
  }
  for (size_t i = n / 2; i-- > 0;) sift_down(r->heap, n, i);
  r->count[MBMSEC_BMSC_ROT_PLANNED] = n;
  *out = r;
  r = NULL;
out:
  mbmsec_bmsc_rot_free(r);
  return rc;
}

void mbmsec_bmsc_rot_free(mbmsec_bmsc_rot *r)
{
  if (!r) return;
  free(r->heap);
  free(r->off);
  free(r->state);
  free(r);
}

size_t mbmsec_bmsc_rot_due(mbmsec_bmsc_rot *r, int64_t now_ms, uint32_t *ids, size_t max)
{
  if (!r || !ids || now_ms < r->start_ms) return 0;
  /* Offsets are uint32: anything later than start + UINT32_MAX is due already. */
  uint64_t now_off = (uint64_t)(now_ms - r->start_ms);
  size_t k = 0;
  while (k < max && r->heap_n > 0 && r->heap[0].off <= now_off) {
    uint32_t id = r->heap[0].id;
    r->heap[0] = r->heap[--r->heap_n];
    sift_down(r->heap, r->heap_n, 0);
    r->state[id] = MBMSEC_BMSC_ROT_DUE;
    r->count[MBMSEC_BMSC_ROT_PLANNED]--;
    r->count[MBMSEC_BMSC_ROT_DUE]++;
    ids[k++] = id;
  }
  return k;
}

int64_t mbmsec_bmsc_rot_next(const mbmsec_bmsc_rot *r)
{
  if (!r || r->heap_n == 0) return -1;
  return r->start_ms + (int64_t)r->heap[0].off;
}

int64_t mbmsec_bmsc_rot_time(const mbmsec_bmsc_rot *r, uint32_t id)
{
  if (!r || id >= r->n) return -1;
  return r->start_ms + (int64_t)r->off[id];
}

static mbmsec_err move(mbmsec_bmsc_rot *r, uint32_t id, mbmsec_bmsc_rot_state from,
                       mbmsec_bmsc_rot_state to)
{
  ENSURE(r && id < r->n, MBMSEC_ERR_ARG);
  ENSURE(r->state[id] == from, MBMSEC_ERR_BMSC_ROT_STATE);
  r->state[id] = (uint8_t)to;
  r->count[from]--;
  r->count[to]++;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_bmsc_rot_sent(mbmsec_bmsc_rot *r, uint32_t id, int ok)
{
  return move(r, id, MBMSEC_BMSC_ROT_DUE, ok ? MBMSEC_BMSC_ROT_PUSHED : MBMSEC_BMSC_ROT_SEND_ERROR);
}

mbmsec_err mbmsec_bmsc_rot_settle(mbmsec_bmsc_rot *r, uint32_t id, int acked)
{
  return move(r, id, MBMSEC_BMSC_ROT_PUSHED,
              acked ? MBMSEC_BMSC_ROT_ACKED : MBMSEC_BMSC_ROT_FAILED);
}

mbmsec_bmsc_rot_state mbmsec_bmsc_rot_state_of(const mbmsec_bmsc_rot *r, uint32_t id)
{
  if (!r || id >= r->n) return MBMSEC_BMSC_ROT_PLANNED;
  return (mbmsec_bmsc_rot_state)r->state[id];
}

void mbmsec_bmsc_rot_get_progress(const mbmsec_bmsc_rot *r, mbmsec_bmsc_rot_progress *out)
{
  if (!out) return;
  memset(out, 0, sizeof *out);
  out->first_ms = out->last_ms = -1;
  if (!r) return;
  out->planned = r->n;
  out->waiting = r->count[MBMSEC_BMSC_ROT_PLANNED];
  out->acked = r->count[MBMSEC_BMSC_ROT_ACKED];
  out->failed = r->count[MBMSEC_BMSC_ROT_FAILED];
  out->send_errors = r->count[MBMSEC_BMSC_ROT_SEND_ERROR];
  out->pushed = r->count[MBMSEC_BMSC_ROT_PUSHED] + out->acked + out->failed;
  out->pending = r->count[MBMSEC_BMSC_ROT_DUE] + r->count[MBMSEC_BMSC_ROT_PUSHED];
  out->first_ms = r->start_ms + (int64_t)r->off_min;
  out->last_ms = r->start_ms + (int64_t)r->off_max;
}

size_t mbmsec_bmsc_rot_ue_bytes(void)
{
  return sizeof(rot_ent) + sizeof(uint32_t) + sizeof(uint8_t);
}
