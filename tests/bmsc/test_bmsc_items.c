/* The per-item decisions (P4, P15) on a small membership: two services on two Key Groups, a
 * subscriber of one of them, MSKs current / next / expired. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/bmsc_items.h"

static const mbmsec_bmsc_service_ref SERVICES[] = {
    {"urn:example:mbms:news", 1}, {"urn:example:mbms:sport", 2}, {"urn:example:mbms:extra", 3}};
/* now = 1000. Group 1: key 1 expired, key 2 current, key 3 next. Group 2: key 5 current only.
 * Group 3: no MSK yet. */
static const mbmsec_bmsc_msk_ref MSKS[] = {
    {1, 1, 0, 900}, {1, 2, 900, 2000}, {1, 3, 1900, 3000}, {2, 5, 500, 5000}};

static bool subscribed(void *user, const char *id)
{
  (void)user;
  return strcmp(id, "urn:example:mbms:sport") != 0; /* news and extra, not sport */
}

static mbmsec_bmsc_view view(void)
{
  return (mbmsec_bmsc_view){.kdid = {0x00, 0xf1, 0x10}, .services = SERVICES, .n_services = 3,
                            .msks = MSKS, .n_msks = 4, .subscribed = subscribed, .now = 1000};
}

static void test_service_items(void **state)
{
  (void)state;
  const mbmsec_bmsc_view v = view();
  assert_int_equal(mbmsec_bmsc_service_item(&v, "urn:example:mbms:news", false), 200);
  assert_int_equal(mbmsec_bmsc_service_item(&v, "urn:example:mbms:sport", false), 401);
  assert_int_equal(mbmsec_bmsc_service_item(&v, "urn:example:mbms:weather", false), 404);
  assert_int_equal(mbmsec_bmsc_service_item(&v, "urn:example:mbms:news", true), 400);
  assert_int_equal(mbmsec_bmsc_service_item(&v, "", false), 400);
}

static void test_msk_items(void **state)
{
  (void)state;
  const mbmsec_bmsc_view v = view();
  const uint8_t kd[3] = {0x00, 0xf1, 0x10}, other[3] = {0x62, 0xf2, 0x10};
  const struct {
    const uint8_t *kdid;
    uint8_t msk_id[4];
    bool malformed;
    unsigned code;
    size_t n_push;
    uint16_t push[2];
  } cases[] = {
      {kd, {0, 1, 0, 0}, false, 200, 2, {2, 3}}, /* P15: current and next of group 1 */
      {kd, {0, 1, 0, 1}, false, 200, 2, {2, 3}}, /* holds the expired one: both newer */
      {kd, {0, 1, 0, 2}, false, 200, 1, {3}},    /* holds the current: the next */
      {kd, {0, 1, 0, 3}, false, 204, 0, {0}},    /* holds the newest: no update */
      {kd, {0, 1, 0, 9}, false, 204, 0, {0}},    /* names one not generated yet */
      {kd, {0, 2, 0, 0}, false, 401, 0, {0}},    /* sport: not subscribed */
      {kd, {0, 3, 0, 0}, false, 480, 0, {0}},    /* extra: no MSK yet, retry later */
      {kd, {0, 3, 0, 4}, false, 204, 0, {0}},
      {kd, {0, 9, 0, 0}, false, 404, 0, {0}},    /* no service uses group 9 */
      {other, {0, 1, 0, 0}, false, 404, 0, {0}}, /* another Key Domain */
      {kd, {0, 1, 0, 0}, true, 400, 0, {0}},     /* malformed item */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mbmsec_bmsc_push push[2];
    size_t n = 9;
    print_message("case %zu\n", i);
    assert_int_equal(mbmsec_bmsc_msk_item(&v, cases[i].kdid, cases[i].msk_id, cases[i].malformed,
                                          push, &n), cases[i].code);
    assert_int_equal(n, cases[i].n_push);
    for (size_t j = 0; j < n; j++) {
      assert_int_equal(push[j].key_group, (cases[i].msk_id[0] << 8) | cases[i].msk_id[1]);
      assert_int_equal(push[j].key_number, cases[i].push[j]);
    }
  }
  /* Later, when key 3 has become current: key 0 gives it alone; key 2 gives key 3. */
  mbmsec_bmsc_view later = v;
  later.now = 2500;
  mbmsec_bmsc_push push[2];
  size_t n;
  assert_int_equal(mbmsec_bmsc_msk_item(&later, kd, (uint8_t[]){0, 1, 0, 0}, false, push, &n), 200);
  assert_int_equal(n, 1);
  assert_int_equal(push[0].key_number, 3);
  assert_int_equal(mbmsec_bmsc_msk_item(&later, kd, (uint8_t[]){0, 1, 0, 3}, false, push, &n), 204);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_service_items),
                                     cmocka_unit_test(test_msk_items)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
