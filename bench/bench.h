/* The benchmark harness every bench/ program shares: one thread, batches of 256 operations
 * until at least one second has passed, one `bench NAME N ops/s` line. Header-only because
 * each benchmark is one small program. */
#ifndef MBMSEC_BENCH_H
#define MBMSEC_BENCH_H
#include <stdio.h>
#include <time.h>

static inline double bench_now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Runs op (nonzero = failed) until 1 s has passed; prints ops per second. 0 or 1 (failed). */
static inline int bench_run(const char *name, int (*op)(void))
{
  unsigned long long n = 0;
  double t0 = bench_now(), t;
  do {
    for (int i = 0; i < 256; i++)
      if (op()) {
        fprintf(stderr, "bench %s: operation failed\n", name);
        return 1;
      }
    n += 256;
    t = bench_now();
  } while (t - t0 < 1.0);
  printf("bench %s %.0f ops/s\n", name, (double)n / (t - t0));
  fflush(stdout);
  return 0;
}

#endif
