/* Rate-limited refusal lines (src/common/ratelim.c): the first `burst` per reason and window
 * are shown, the rest counted and summarised once the window has passed; reasons beyond the
 * table count under "other"; totals never stop counting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ratelim.h"

static void test_burst_then_summary(void **state)
{
  (void)state;
  ratelim l;
  ratelim_init(&l, 3, 1000);
  char s[256];
  int shown = 0;
  for (int i = 0; i < 100000; i++) /* a flood inside one window */
    shown += ratelim_take(&l, "mikey_auth", 5000 + i / 1000);
  for (int i = 0; i < 10; i++) shown += ratelim_take(&l, "mikey_malformed", 5050);
  assert_int_equal(shown, 3 + 3);
  assert_int_equal(ratelim_roll(&l, 5999, s, sizeof s), 0); /* window not over */
  assert_string_equal(s, "");
  assert_int_equal(ratelim_roll(&l, 6000, s, sizeof s), 99997 + 7);
  assert_string_equal(s, "mikey_auth=99997 mikey_malformed=7");
  assert_int_equal(ratelim_roll(&l, 9000, s, sizeof s), 0); /* nothing new: nothing to say */
  /* the next window shows the first ones again */
  assert_true(ratelim_take(&l, "mikey_auth", 9001));
  assert_int_equal(ratelim_total(&l, "mikey_auth"), 100001);
  assert_int_equal(ratelim_total(&l, "never"), 0);
  ratelim_free(&l);
}

static void test_many_reasons_and_small_summary(void **state)
{
  (void)state;
  ratelim l;
  ratelim_init(&l, 1, 10);
  char name[64], s[32];
  for (int i = 0; i < 40; i++) {
    snprintf(name, sizeof name, "reason-%02d-with-a-long-name-that-is-cut-somewhere", i);
    ratelim_take(&l, name, 0);
    ratelim_take(&l, name, 0);
  }
  /* 15 own slots, the other 25 reasons share "other": 25 x 2 - 1 not shown there */
  assert_int_equal(ratelim_total(&l, "other"), 50);
  memset(s, 0x5a, sizeof s);
  assert_int_equal(ratelim_roll(&l, 10, s, 20), 15 + 49);
  assert_true(strlen(s) < 20); /* cut to the room given, NUL-terminated */
  for (size_t i = 20; i < sizeof s; i++) assert_int_equal((unsigned char)s[i], 0x5a);
  ratelim_free(&l);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_burst_then_summary),
      cmocka_unit_test(test_many_reasons_and_small_summary),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
