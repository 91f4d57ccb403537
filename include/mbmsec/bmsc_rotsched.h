/* mbmsec: the BM-SC's MSK rotation push scheduler (issue 6; profile P11, P13; TS 33.246
 * 6.3.2.2.1 "BM-SC initiated MSK push"). A pure engine: no I/O, no clock, no global state.
 * docs/bmsc-rotation.md.
 *
 * One plan pushes one MSK (the next MSK of a Key Group) to n registered UEs, named by the
 * caller's index 0..n-1 (the caller keeps the index -> B-TID table). Each UE gets one send
 * time in [start, start + window): the window is cut into n equal slots in a shuffled order
 * (so the push order is not the registration order) and each time is moved forward by a
 * jitter in [0, jitter] inside the window, so UEs never answer all at once (issue 6 item 1).
 * due() hands out the UEs whose time has come, earliest first, each exactly once (a binary
 * min-heap of (time, index): O(log n) per UE, 12 octets + 1 state octet per UE; no scan of
 * every UE on a tick). The caller then reports what happened to each push (sent / send error)
 * and later its outcome (acked / failed, from the delivery engine's events): progress() gives
 * planned, pushed, acked, failed, send errors and pending per plan.
 *
 * The jitter and the shuffle come from a 64-bit seed through splitmix64: they spread load,
 * they protect nothing (the seed should still come from mbmsec_random so two BM-SCs differ).
 *
 * Threads: none inside; the caller serialises calls to one plan.
 */
#ifndef MBMSEC_BMSC_ROTSCHED_H
#define MBMSEC_BMSC_ROTSCHED_H
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/error.h"

#define MBMSEC_BMSC_ROT_MAX_UES 10000000u /* UEs one plan can hold */

typedef struct mbmsec_bmsc_rot mbmsec_bmsc_rot;

typedef struct {
  int64_t start_ms;   /* first possible send time (any monotonic ms clock) */
  uint32_t window_ms; /* pushes spread over [start, start + window); 0 = all at start */
  uint32_t jitter_ms; /* each time moved forward by 0..jitter (kept inside the window) */
  uint64_t seed;      /* shuffle and jitter source */
} mbmsec_bmsc_rot_plan;

/* Where one UE of a plan is. */
typedef enum {
  MBMSEC_BMSC_ROT_PLANNED = 0,    /* waiting for its send time */
  MBMSEC_BMSC_ROT_DUE = 1,        /* handed out by due(), no result yet */
  MBMSEC_BMSC_ROT_PUSHED = 2,     /* sent, waiting for the verification (P13) */
  MBMSEC_BMSC_ROT_ACKED = 3,      /* verified (or sent with V clear) */
  MBMSEC_BMSC_ROT_FAILED = 4,     /* no verification after every try */
  MBMSEC_BMSC_ROT_SEND_ERROR = 5, /* the push could not be sent (UE gone, send error) */
} mbmsec_bmsc_rot_state;

typedef struct {
  uint64_t planned;     /* UEs in the plan */
  uint64_t waiting;     /* PLANNED: send time not reached */
  uint64_t pushed;      /* sent at least once (PUSHED + ACKED + FAILED) */
  uint64_t acked;       /* ACKED */
  uint64_t failed;      /* FAILED */
  uint64_t send_errors; /* SEND_ERROR */
  uint64_t pending;     /* DUE + PUSHED: handed out, outcome not known yet */
  int64_t first_ms;     /* earliest planned send time (-1 if none) */
  int64_t last_ms;      /* latest planned send time (-1 if none) */
} mbmsec_bmsc_rot_progress;

/* Plans the push to n UEs (1..MBMSEC_BMSC_ROT_MAX_UES).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (plan or out NULL, n 0 or too large), MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_bmsc_rot_new(const mbmsec_bmsc_rot_plan *plan, size_t n, mbmsec_bmsc_rot **out);
void mbmsec_bmsc_rot_free(mbmsec_bmsc_rot *r);

/* Hands out up to max UEs whose send time is <= now, earliest first; each UE once in the
 * plan's life (state PLANNED -> DUE). Returns how many were written to ids. */
size_t mbmsec_bmsc_rot_due(mbmsec_bmsc_rot *r, int64_t now_ms, uint32_t *ids, size_t max);
/* The earliest send time not handed out yet, or -1 when every UE was handed out. */
int64_t mbmsec_bmsc_rot_next(const mbmsec_bmsc_rot *r);
/* The planned send time of UE id (-1 when id is out of range). */
int64_t mbmsec_bmsc_rot_time(const mbmsec_bmsc_rot *r, uint32_t id);

/* Reports the send of a handed-out UE: sent (DUE -> PUSHED) or not (DUE -> SEND_ERROR).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (id out of range), MBMSEC_ERR_BMSC_ROT_STATE (not DUE). */
mbmsec_err mbmsec_bmsc_rot_sent(mbmsec_bmsc_rot *r, uint32_t id, int ok);
/* Reports the outcome of a pushed UE: acked (PUSHED -> ACKED) or failed (PUSHED -> FAILED).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_ROT_STATE (not PUSHED). */
mbmsec_err mbmsec_bmsc_rot_settle(mbmsec_bmsc_rot *r, uint32_t id, int acked);

mbmsec_bmsc_rot_state mbmsec_bmsc_rot_state_of(const mbmsec_bmsc_rot *r, uint32_t id);
void mbmsec_bmsc_rot_get_progress(const mbmsec_bmsc_rot *r, mbmsec_bmsc_rot_progress *out);
/* Memory the plan keeps per UE (for docs/BENCHMARKS.md). */
size_t mbmsec_bmsc_rot_ue_bytes(void);

#endif
