/* Key identifiers of profile P5 (include/mbmsec/keyid.h): the Key Domain ID from MCC/MNC and
 * the MSK ID / key ID packing every module uses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/keyid.h"

static void test_kdid_vectors(void **state)
{
  (void)state;
  uint8_t k[MBMSEC_KDID_LEN];
  /* profile.md P5 / section 3: MCC 001 / MNC 01 -> 00 F1 10; MCC 262 / MNC 01 -> 62 F2 10 */
  assert_int_equal(mbmsec_kdid_from_plmn("001", "01", k), MBMSEC_OK);
  assert_memory_equal(k, ((const uint8_t[]){0x00, 0xF1, 0x10}), MBMSEC_KDID_LEN);
  assert_int_equal(mbmsec_kdid_from_plmn("262", "01", k), MBMSEC_OK);
  assert_memory_equal(k, ((const uint8_t[]){0x62, 0xF2, 0x10}), MBMSEC_KDID_LEN);
  /* a 3-digit MNC: MCC 310 / MNC 260 (TS 24.008 10.5.1.3: MNC digit 3 in octet 2's high
   * nibble) -> 13 00 62 */
  assert_int_equal(mbmsec_kdid_from_plmn("310", "260", k), MBMSEC_OK);
  assert_memory_equal(k, ((const uint8_t[]){0x13, 0x00, 0x62}), MBMSEC_KDID_LEN);
  assert_int_equal(mbmsec_kdid_from_plmn("999", "999", k), MBMSEC_OK);
  assert_memory_equal(k, ((const uint8_t[]){0x99, 0x99, 0x99}), MBMSEC_KDID_LEN);
}

static void test_kdid_refused(void **state)
{
  (void)state;
  uint8_t k[MBMSEC_KDID_LEN] = {0xAA, 0xBB, 0xCC};
  const char *const bad[][2] = {{"01", "01"},    {"0011", "01"}, {"00a", "01"}, {"001", "1"},
                                {"001", "0123"}, {"001", "0x"},  {"", "01"},    {"001", ""},
                                {" 01", "01"},   {"001", "01 "}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(mbmsec_kdid_from_plmn(bad[i][0], bad[i][1], k), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_kdid_from_plmn(NULL, "01", k), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_kdid_from_plmn("001", NULL, k), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_kdid_from_plmn("001", "01", NULL), MBMSEC_ERR_ARG);
  assert_memory_equal(k, ((const uint8_t[]){0xAA, 0xBB, 0xCC}), MBMSEC_KDID_LEN); /* untouched */
}

static void test_msk_id(void **state)
{
  (void)state;
  uint8_t id[MBMSEC_MSK_ID_LEN];
  mbmsec_msk_id_pack(0x0001, 0x0002, id);
  assert_memory_equal(id, ((const uint8_t[]){0x00, 0x01, 0x00, 0x02}), MBMSEC_MSK_ID_LEN);
  mbmsec_msk_id_pack(0xABCD, 0xFE01, id);
  assert_memory_equal(id, ((const uint8_t[]){0xAB, 0xCD, 0xFE, 0x01}), MBMSEC_MSK_ID_LEN);
  assert_int_equal(mbmsec_msk_id_group(id), 0xABCD);
  assert_int_equal(mbmsec_msk_id_keynum(id), 0xFE01);
  for (uint32_t g = 0; g <= 0xffff; g += 0x1111)
    for (uint32_t k = 0; k <= 0xffff; k += 0x0f0f) {
      mbmsec_msk_id_pack((uint16_t)g, (uint16_t)k, id);
      assert_int_equal(mbmsec_msk_id_group(id), g);
      assert_int_equal(mbmsec_msk_id_keynum(id), k);
    }
  uint8_t kg[MBMSEC_KEY_GROUP_LEN];
  mbmsec_key_group_pack(0x1234, kg);
  assert_memory_equal(kg, ((const uint8_t[]){0x12, 0x34}), 2);
  assert_int_equal(mbmsec_msk_id_group(kg), 0x1234);
}

static void test_key_id(void **state)
{
  (void)state;
  /* profile.md section 2: APEQAAEAAg== = 00 F1 10 00 01 00 02 */
  const uint8_t want[MBMSEC_KEY_ID_LEN] = {0x00, 0xF1, 0x10, 0x00, 0x01, 0x00, 0x02};
  uint8_t kdid[MBMSEC_KDID_LEN], id[MBMSEC_MSK_ID_LEN], raw[MBMSEC_KEY_ID_LEN];
  assert_int_equal(mbmsec_kdid_from_plmn("001", "01", kdid), MBMSEC_OK);
  mbmsec_msk_id_pack(1, 2, id);
  mbmsec_key_id_pack(kdid, id, raw);
  assert_memory_equal(raw, want, sizeof want);
  uint8_t k2[MBMSEC_KDID_LEN], i2[MBMSEC_MSK_ID_LEN];
  mbmsec_key_id_unpack(raw, k2, i2);
  assert_memory_equal(k2, kdid, MBMSEC_KDID_LEN);
  assert_memory_equal(i2, id, MBMSEC_MSK_ID_LEN);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_kdid_vectors),
                                     cmocka_unit_test(test_kdid_refused),
                                     cmocka_unit_test(test_msk_id), cmocka_unit_test(test_key_id)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
