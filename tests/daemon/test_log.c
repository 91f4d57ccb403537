/* The daemons' logger (src/common/log.c): every line is bounded, whatever its fields; quoting
 * and control characters as documented; over-long fields cut with the truncation marker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static const struct timespec T0 = {.tv_sec = 1764892800, .tv_nsec = 123456789}; /* 2025-12-05 */

static size_t fmt(char *out, size_t cap, dlog_level lvl, const char *msg, ...)
{
  va_list ap;
  va_start(ap, msg);
  size_t n = dlog_format(out, cap, lvl, &T0, msg, ap);
  va_end(ap);
  return n;
}

static void test_plain_line(void **state)
{
  (void)state;
  char b[DLOG_LINE_MAX];
  size_t n = fmt(b, sizeof b, DLOG_WARN, "ub", "method", "GET", "target", "/a b", "impi", NULL, "q",
                 "x\"y\\z", NULL);
  assert_string_equal(b, "ts=2025-12-05T00:00:00.123Z level=warn msg=ub method=GET "
                         "target=\"/a b\" impi=\"\" q=\"x\\\"y\\\\z\"\n");
  assert_int_equal(n, strlen(b));
}

static void test_control_characters_dropped(void **state)
{
  (void)state;
  char b[256];
  fmt(b, sizeof b, DLOG_INFO, "m", "btid", "a\nlevel=error\r\x7f", NULL);
  assert_null(strchr(b, '\r'));
  assert_ptr_equal(strchr(b, '\n'), b + strlen(b) - 1); /* one newline, the last octet */
  assert_non_null(strstr(b, "btid=\"alevel=error\""));
}

/* Over-long values, keys and messages, at every capacity from 64 to 600 and at the daemons'
 * size: the line never exceeds cap - 1 octets, is NUL-terminated, and ends in a newline. The
 * guard octets after the buffer stay untouched (the BSF's former logger wrote ~15 past it). */
static void test_overlong_fields_bounded(void **state)
{
  (void)state;
  const size_t big = 10000;
  char *v = malloc(big + 1);
  assert_non_null(v);
  for (size_t i = 0; i < big; i++) v[i] = (char)("ab =\"\\c"[i % 7]);
  v[big] = 0;
  char *b = malloc(DLOG_LINE_MAX + 64);
  assert_non_null(b);
  for (size_t cap = 64; cap <= DLOG_LINE_MAX;
       cap = cap < 600                                         ? cap + 1
             : cap * 2 > DLOG_LINE_MAX && cap != DLOG_LINE_MAX ? DLOG_LINE_MAX
                                                               : cap * 2) {
    memset(b, 0x5a, DLOG_LINE_MAX + 64);
    size_t n = fmt(b, cap, DLOG_ERROR, v, v, v, "k", v, v, "x", NULL);
    assert_true(n <= cap - 1);
    assert_int_equal(b[n], 0);
    assert_int_equal(b[n - 1], '\n');
    assert_int_equal(strlen(b), n);
    for (size_t i = cap; i < cap + 64; i++) assert_int_equal((unsigned char)b[i], 0x5a);
    assert_non_null(strstr(b, " truncated=1\n"));
  }
  free(b);
  free(v);
}

/* Many short pairs: the separators alone overflow (the path of the former bug). */
static void test_many_separators_bounded(void **state)
{
  (void)state;
  char b[128 + 16];
  memset(b, 0x5a, sizeof b);
  size_t n = fmt(b, 96, DLOG_INFO, "m", "a", "", "b", "", "c", "", "d", "", "e", "", "f", "", "g",
                 "", "h", "", "i", "", "j", "", "k", "", "l", "", "m", "", "n", "", NULL);
  assert_true(n <= 95);
  for (size_t i = 96; i < sizeof b; i++) assert_int_equal((unsigned char)b[i], 0x5a);
  assert_non_null(strstr(b, " truncated=1\n"));
}

/* dlog() itself: the level threshold, and a 10,000-octet method written as one bounded line. */
static void test_dlog_writes_bounded_line(void **state)
{
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  dlog_set_fd(fds[1]);
  dlog_set_level(DLOG_WARN);
  dlog(DLOG_INFO, "dropped", NULL);
  char *m = malloc(10001);
  assert_non_null(m);
  memset(m, 'M', 10000);
  m[10000] = 0;
  dlog(DLOG_WARN, "ub", "method", m, "target", m, NULL);
  close(fds[1]);
  char *got = malloc(4 * DLOG_LINE_MAX);
  assert_non_null(got);
  ssize_t r, n = 0;
  while ((r = read(fds[0], got + n, (size_t)(4 * DLOG_LINE_MAX - n))) > 0) n += r;
  close(fds[0]);
  dlog_set_fd(STDERR_FILENO);
  assert_true(n > 0 && n < DLOG_LINE_MAX);
  assert_int_equal(got[n - 1], '\n');
  assert_memory_equal(got + 26, "Z level=warn msg=ub method=MMM", 30); /* not the info line */
  assert_int_equal(dlog_level_parse("error"), DLOG_ERROR);
  assert_int_equal(dlog_level_parse("loud"), -1);
  free(got);
  free(m);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_line),
      cmocka_unit_test(test_control_characters_dropped),
      cmocka_unit_test(test_overlong_fields_bounded),
      cmocka_unit_test(test_many_separators_bounded),
      cmocka_unit_test(test_dlog_writes_bounded_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
