/* Refusals of hostile input, counted per reason and logged with a rate limit: the first
 * `burst` lines of each reason in a window of `interval_ms` are written, the rest only counted,
 * and when the window has passed one summary line says how many were not shown. A flood of junk
 * then costs a bounded amount of log per window, whatever its rate, while every refusal is still
 * counted. Thread-safe (one mutex, taken only on refusal paths). */
#ifndef MBMSEC_DAEMON_RATELIM_H
#define MBMSEC_DAEMON_RATELIM_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATELIM_REASONS             16 /* distinct reasons kept; later ones count under "other" */
#define RATELIM_REASON_MAX          39 /* octets of a reason name */
#define RATELIM_BURST_DEFAULT       5
#define RATELIM_INTERVAL_MS_DEFAULT 10000

typedef struct {
  char name[RATELIM_REASON_MAX + 1];
  uint32_t logged;     /* in the current window */
  uint64_t suppressed; /* in the current window */
  uint64_t total;      /* since the start */
} ratelim_reason;

typedef struct {
  pthread_mutex_t lock;
  uint32_t burst, interval_ms;
  int64_t window_end_ms; /* 0 = no window open */
  size_t n;
  ratelim_reason r[RATELIM_REASONS];
} ratelim;

/* burst 0 = RATELIM_BURST_DEFAULT, interval_ms 0 = RATELIM_INTERVAL_MS_DEFAULT. */
void ratelim_init(ratelim *l, uint32_t burst, uint32_t interval_ms);
void ratelim_free(ratelim *l);
/* Counts one refusal of reason at now_ms; true when its line is to be written. A reason name
 * is cut at RATELIM_REASON_MAX octets. */
bool ratelim_take(ratelim *l, const char *reason, int64_t now_ms);
/* When the window has ended by now_ms: writes "reason=N ..." of the refusals not shown in it
 * into out (NUL-terminated, cut to cap) and opens the next window on the next refusal. Returns
 * how many were not shown (0: nothing to say, out is ""). */
uint64_t ratelim_roll(ratelim *l, int64_t now_ms, char *out, size_t cap);
/* Refusals of reason counted since the start (0 when never seen). */
uint64_t ratelim_total(ratelim *l, const char *reason);

/* The daemon's refused requests, one limiter per process shared by its HTTP threads (the
 * defaults: 5 lines per reason and 10 s). true when the line of this refusal (reason e.g.
 * "ub_400") is to be written; else it is only counted. */
bool ratelim_refusal(const char *reason);
/* Once the window is over: one warning "refused requests not logged one by one" with their
 * number by reason. Call it from the main loop. */
void ratelim_refusals_report(void);

#endif
