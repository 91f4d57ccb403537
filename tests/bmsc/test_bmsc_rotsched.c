/* The MSK rotation push scheduler: every UE handed out exactly once, in time order, inside the
 * window; the spread is even (no slot crowded) and the jitter moves times without leaving the
 * window; the order is shuffled (not the registration order) and the seed decides it; progress
 * counts follow sent / send error / acked / failed; wrong transitions are refused and change
 * nothing; argument checks; 100,000 UEs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/bmsc_rotsched.h"

static mbmsec_bmsc_rot *plan(int64_t start, uint32_t window, uint32_t jitter, uint64_t seed,
                             size_t n)
{
  mbmsec_bmsc_rot_plan p = {
      .start_ms = start, .window_ms = window, .jitter_ms = jitter, .seed = seed};
  mbmsec_bmsc_rot *r = NULL;
  assert_int_equal(mbmsec_bmsc_rot_new(&p, n, &r), MBMSEC_OK);
  assert_non_null(r);
  return r;
}

/* Drains the plan in steps of step_ms from start; checks order, window and once-only. */
static void drain(mbmsec_bmsc_rot *r, size_t n, int64_t start, uint32_t window, int64_t step)
{
  uint8_t *seen = calloc(n, 1);
  uint32_t *ids = malloc(n * sizeof *ids);
  assert_non_null(seen);
  assert_non_null(ids);
  size_t total = 0;
  int64_t last_time = start;
  for (int64_t now = start; total < n; now += step) {
    assert_true(now <= start + (int64_t)window + step); /* everything is out by the window's end */
    int64_t next = mbmsec_bmsc_rot_next(r);
    size_t k = mbmsec_bmsc_rot_due(r, now, ids, n);
    if (next > now) assert_int_equal(k, 0); /* nothing before its time */
    for (size_t i = 0; i < k; i++) {
      assert_true(ids[i] < n);
      assert_int_equal(seen[ids[i]], 0);
      seen[ids[i]] = 1;
      int64_t t = mbmsec_bmsc_rot_time(r, ids[i]);
      assert_true(t <= now);
      assert_true(t >= last_time); /* earliest first */
      assert_true(t >= start);
      if (window)
        assert_true(t < start + (int64_t)window);
      else
        assert_true(t == start);
      last_time = t;
      assert_int_equal(mbmsec_bmsc_rot_state_of(r, ids[i]), MBMSEC_BMSC_ROT_DUE);
    }
    total += k;
  }
  assert_int_equal(total, n);
  assert_int_equal(mbmsec_bmsc_rot_next(r), -1);
  assert_int_equal(mbmsec_bmsc_rot_due(r, INT64_MAX / 2, ids, n), 0); /* never again */
  free(ids);
  free(seen);
}

static void test_once_in_order_in_window(void **st)
{
  (void)st;
  static const size_t ns[] = {1, 2, 7, 1000, 4096};
  for (size_t c = 0; c < sizeof ns / sizeof ns[0]; c++) {
    mbmsec_bmsc_rot *r = plan(5000, 60000, 500, 42 + c, ns[c]);
    drain(r, ns[c], 5000, 60000, 250);
    mbmsec_bmsc_rot_free(r);
  }
  mbmsec_bmsc_rot *r = plan(-100, 0, 1000, 9, 50); /* window 0: everything at start */
  drain(r, 50, -100, 0, 1);
  mbmsec_bmsc_rot_free(r);
}

/* Without jitter the n times sit one per slot: every window/n bucket holds exactly one UE. */
static void test_even_spread(void **st)
{
  (void)st;
  const size_t n = 1000;
  const uint32_t w = 100000;
  mbmsec_bmsc_rot *r = plan(0, w, 0, 7, n);
  size_t *bucket = calloc(n, sizeof *bucket);
  assert_non_null(bucket);
  for (uint32_t i = 0; i < n; i++) {
    int64_t t = mbmsec_bmsc_rot_time(r, i);
    bucket[(size_t)t * n / w]++;
  }
  for (size_t b = 0; b < n; b++) assert_int_equal(bucket[b], 1);
  mbmsec_bmsc_rot_progress p;
  mbmsec_bmsc_rot_get_progress(r, &p);
  assert_int_equal(p.first_ms, 0);
  assert_int_equal(p.last_ms, (int64_t)(n - 1) * w / n);
  free(bucket);
  mbmsec_bmsc_rot_free(r);
}

/* Jitter: times move forward by 0..jitter from their slot, really vary, and stay in the window;
 * at most jitter/slot + 1 UEs share any one slot-sized bucket, so no burst forms. */
static void test_jitter(void **st)
{
  (void)st;
  const size_t n = 2000;
  const uint32_t w = 20000, j = 50; /* slot = 10 ms */
  mbmsec_bmsc_rot *a = plan(1000, w, 0, 3, n), *b = plan(1000, w, j, 3, n);
  size_t moved = 0, *bucket = calloc(n, sizeof *bucket);
  assert_non_null(bucket);
  for (uint32_t i = 0; i < n; i++) {
    int64_t t0 = mbmsec_bmsc_rot_time(a, i), t1 = mbmsec_bmsc_rot_time(b, i);
    assert_true(t1 >= t0 && t1 <= t0 + j); /* same seed: same slot, then the jitter */
    assert_true(t1 < 1000 + (int64_t)w);
    if (t1 != t0) moved++;
    bucket[(size_t)(t1 - 1000) * n / w]++;
  }
  assert_true(moved > n / 2); /* 0 has a 1 in 51 chance per UE */
  for (size_t k = 0; k < n; k++) assert_true(bucket[k] <= j / (w / n) + 2);
  /* A jitter larger than the window is clipped into it. */
  mbmsec_bmsc_rot *c = plan(0, 100, 100000, 5, 100);
  for (uint32_t i = 0; i < 100; i++) assert_true(mbmsec_bmsc_rot_time(c, i) < 100);
  drain(c, 100, 0, 100, 1);
  free(bucket);
  mbmsec_bmsc_rot_free(a);
  mbmsec_bmsc_rot_free(b);
  mbmsec_bmsc_rot_free(c);
}

/* The push order is a shuffle decided by the seed, not the index order. */
static void test_shuffle_by_seed(void **st)
{
  (void)st;
  const size_t n = 500;
  mbmsec_bmsc_rot *a = plan(0, 50000, 0, 11, n), *a2 = plan(0, 50000, 0, 11, n),
                  *b = plan(0, 50000, 0, 12, n);
  size_t same_ab = 0, rising = 0;
  for (uint32_t i = 0; i < n; i++) {
    assert_int_equal(mbmsec_bmsc_rot_time(a, i), mbmsec_bmsc_rot_time(a2, i));
    if (mbmsec_bmsc_rot_time(a, i) == mbmsec_bmsc_rot_time(b, i)) same_ab++;
    if (i && mbmsec_bmsc_rot_time(a, i) > mbmsec_bmsc_rot_time(a, i - 1)) rising++;
  }
  assert_true(same_ab < n / 10);
  assert_true(rising > n / 4 && rising < 3 * n / 4); /* about half for a random order */
  mbmsec_bmsc_rot_free(a);
  mbmsec_bmsc_rot_free(a2);
  mbmsec_bmsc_rot_free(b);
}

static void check_progress(const mbmsec_bmsc_rot *r, uint64_t planned, uint64_t waiting,
                           uint64_t pushed, uint64_t acked, uint64_t failed, uint64_t errs,
                           uint64_t pending)
{
  mbmsec_bmsc_rot_progress p;
  mbmsec_bmsc_rot_get_progress(r, &p);
  assert_int_equal(p.planned, planned);
  assert_int_equal(p.waiting, waiting);
  assert_int_equal(p.pushed, pushed);
  assert_int_equal(p.acked, acked);
  assert_int_equal(p.failed, failed);
  assert_int_equal(p.send_errors, errs);
  assert_int_equal(p.pending, pending);
}

static void test_progress_and_refusals(void **st)
{
  (void)st;
  mbmsec_bmsc_rot *r = plan(0, 1000, 0, 1, 10);
  uint32_t ids[10];
  check_progress(r, 10, 10, 0, 0, 0, 0, 0);
  /* Nothing handed out yet: every report is refused and changes nothing. */
  assert_int_equal(mbmsec_bmsc_rot_sent(r, 0, 1), MBMSEC_ERR_BMSC_ROT_STATE);
  assert_int_equal(mbmsec_bmsc_rot_settle(r, 0, 1), MBMSEC_ERR_BMSC_ROT_STATE);
  assert_int_equal(mbmsec_bmsc_rot_sent(r, 10, 1), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bmsc_rot_due(r, -1, ids, 10), 0); /* before the start */
  check_progress(r, 10, 10, 0, 0, 0, 0, 0);
  size_t k = mbmsec_bmsc_rot_due(r, 999, ids, 4); /* max respected */
  assert_int_equal(k, 4);
  check_progress(r, 10, 6, 0, 0, 0, 0, 4);
  assert_int_equal(mbmsec_bmsc_rot_settle(r, ids[0], 1), MBMSEC_ERR_BMSC_ROT_STATE); /* not sent */
  assert_int_equal(mbmsec_bmsc_rot_sent(r, ids[0], 1), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_rot_sent(r, ids[0], 1), MBMSEC_ERR_BMSC_ROT_STATE); /* twice */
  assert_int_equal(mbmsec_bmsc_rot_sent(r, ids[1], 1), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_rot_sent(r, ids[2], 1), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_rot_sent(r, ids[3], 0), MBMSEC_OK);
  check_progress(r, 10, 6, 3, 0, 0, 1, 3);
  assert_int_equal(mbmsec_bmsc_rot_settle(r, ids[3], 1), MBMSEC_ERR_BMSC_ROT_STATE); /* not sent */
  assert_int_equal(mbmsec_bmsc_rot_settle(r, ids[0], 1), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_rot_settle(r, ids[1], 0), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_rot_settle(r, ids[0], 0), MBMSEC_ERR_BMSC_ROT_STATE); /* settled */
  check_progress(r, 10, 6, 3, 1, 1, 1, 1);
  assert_int_equal(mbmsec_bmsc_rot_state_of(r, ids[0]), MBMSEC_BMSC_ROT_ACKED);
  assert_int_equal(mbmsec_bmsc_rot_state_of(r, ids[1]), MBMSEC_BMSC_ROT_FAILED);
  assert_int_equal(mbmsec_bmsc_rot_state_of(r, ids[2]), MBMSEC_BMSC_ROT_PUSHED);
  assert_int_equal(mbmsec_bmsc_rot_state_of(r, ids[3]), MBMSEC_BMSC_ROT_SEND_ERROR);
  k = mbmsec_bmsc_rot_due(r, 5000, ids, 10);
  assert_int_equal(k, 6);
  for (size_t i = 0; i < k; i++) {
    assert_int_equal(mbmsec_bmsc_rot_sent(r, ids[i], 1), MBMSEC_OK);
    assert_int_equal(mbmsec_bmsc_rot_settle(r, ids[i], 1), MBMSEC_OK);
  }
  check_progress(r, 10, 0, 9, 7, 1, 1, 1);
  mbmsec_bmsc_rot_free(r);
}

static void test_args(void **st)
{
  (void)st;
  mbmsec_bmsc_rot_plan p = {.window_ms = 10};
  mbmsec_bmsc_rot *r = (mbmsec_bmsc_rot *)&p;
  assert_int_equal(mbmsec_bmsc_rot_new(NULL, 1, &r), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bmsc_rot_new(&p, 1, NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bmsc_rot_new(&p, 0, &r), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bmsc_rot_new(&p, (size_t)MBMSEC_BMSC_ROT_MAX_UES + 1, &r),
                   MBMSEC_ERR_ARG);
  uint32_t id;
  assert_int_equal(mbmsec_bmsc_rot_due(NULL, 0, &id, 1), 0);
  assert_int_equal(mbmsec_bmsc_rot_next(NULL), -1);
  assert_int_equal(mbmsec_bmsc_rot_time(NULL, 0), -1);
  assert_int_equal(mbmsec_bmsc_rot_sent(NULL, 0, 1), MBMSEC_ERR_ARG);
  mbmsec_bmsc_rot_progress pr;
  mbmsec_bmsc_rot_get_progress(NULL, &pr);
  assert_int_equal(pr.planned, 0);
  assert_int_equal(pr.first_ms, -1);
  mbmsec_bmsc_rot_free(NULL);
  assert_true(mbmsec_bmsc_rot_ue_bytes() <= 16);
}

/* 100,000 UEs over 10 minutes with 2 s jitter, drained second by second. */
static void test_100k(void **st)
{
  (void)st;
  const size_t n = 100000;
  mbmsec_bmsc_rot *r = plan(1000000, 600000, 2000, 99, n);
  drain(r, n, 1000000, 600000, 1000);
  mbmsec_bmsc_rot_progress p;
  mbmsec_bmsc_rot_get_progress(r, &p);
  assert_int_equal(p.waiting, 0);
  assert_int_equal(p.pending, n);
  assert_true(p.first_ms < 1000000 + 2000);
  assert_true(p.last_ms > 1000000 + 600000 - 2000);
  mbmsec_bmsc_rot_free(r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_once_in_order_in_window),
      cmocka_unit_test(test_even_spread),
      cmocka_unit_test(test_jitter),
      cmocka_unit_test(test_shuffle_by_seed),
      cmocka_unit_test(test_progress_and_refusals),
      cmocka_unit_test(test_args),
      cmocka_unit_test(test_100k),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
