/* mbmsec_err_class: every code of the error list has exactly one class (the switch in
 * lib/error.c has no default, so a code without one does not compile); this checks the value
 * of every code's class against the rules of error.h, by module block and by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mbmsec/error.h"

typedef struct {
  mbmsec_err code;
  const char *name;
} code_row;

static const code_row ALL[] = {
#define ROW_(name, value, text) {name, #name},
    MBMSEC_ERROR_LIST(ROW_)
#undef ROW_
};
#define N_ALL (sizeof ALL / sizeof ALL[0])

static int starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static int one_of(const char *name, const char *const *list)
{
  for (; *list; list++)
    if (!strcmp(name, *list)) return 1;
  return 0;
}

/* The class every code must have, from its name (the rules of error.h written out again). */
static mbmsec_errclass expected(const char *n)
{
  static const char *const internal[] = {"MBMSEC_ERR_ARG",
                                         "MBMSEC_ERR_CRYPTO",
                                         "MBMSEC_ERR_SPACE",
                                         "MBMSEC_ERR_RANDOM",
                                         "MBMSEC_ERR_KDF_PARAM_LEN",
                                         "MBMSEC_ERR_KDF_FC",
                                         "MBMSEC_ERR_MIKEY_PRF_LEN",
                                         "MBMSEC_ERR_ZN_STACK",
                                         "MBMSEC_ERR_ZN_STATE",
                                         "MBMSEC_ERR_STORE_REENTRANT",
                                         "MBMSEC_ERR_UA_DECISION",
                                         "MBMSEC_ERR_SRTP",
                                         NULL};
  static const char *const refused[] = {
      "MBMSEC_ERR_AKA_MAC",           "MBMSEC_ERR_AKA_SYNC",
      "MBMSEC_ERR_AUTS_MAC",          "MBMSEC_ERR_DIGEST_MISMATCH",
      "MBMSEC_ERR_MIKEY_NULL_ALG",    "MBMSEC_ERR_MIKEY_UNKNOWN_KEY",
      "MBMSEC_ERR_MIKEY_MAC",         "MBMSEC_ERR_MIKEY_REPLAY",
      "MBMSEC_ERR_MIKEY_KEYNUM_OLD",  "MBMSEC_ERR_MIKEY_MSK_CONFLICT",
      "MBMSEC_ERR_MIKEY_UNKNOWN_MSK", "MBMSEC_ERR_MIKEY_MISSED_MSK",
      "MBMSEC_ERR_MIKEY_MTK_ID_OLD",  "MBMSEC_ERR_MIKEY_MTK_ID_RANGE",
      "MBMSEC_ERR_MIKEY_KDID",        "MBMSEC_ERR_MIKEY_VER_MISMATCH",
      "MBMSEC_ERR_MIKEY_MTK_REPEAT",  "MBMSEC_ERR_UE_RESYNC",
      "MBMSEC_ERR_UE_REFUSED",        "MBMSEC_ERR_UE_RSPAUTH",
      "MBMSEC_ERR_SRTP_NO_KEY",       "MBMSEC_ERR_SRTP_AUTH",
      "MBMSEC_ERR_SRTP_REPLAY",       "MBMSEC_ERR_BMSC_SOURCE",
      "MBMSEC_ERR_BMSC_VERIFY",       NULL};
  static const char *const state[] = {"MBMSEC_ERR_STORE_NOT_FOUND",
                                      "MBMSEC_ERR_STORE_EXISTS",
                                      "MBMSEC_ERR_UE_SEQUENCE",
                                      "MBMSEC_ERR_UE_EXPIRED",
                                      "MBMSEC_ERR_BMSC_UNKNOWN_UE",
                                      "MBMSEC_ERR_BMSC_NO_DELIVERY",
                                      "MBMSEC_ERR_MEMBERS_USE",
                                      "MBMSEC_ERR_UE_AGENT_SEQUENCE",
                                      "MBMSEC_ERR_UE_AGENT_UNKNOWN_SERVICE",
                                      "MBMSEC_ERR_BMSC_ROT_STATE",
                                      "MBMSEC_ERR_BMSC_ROT_BUSY",
                                      "MBMSEC_ERR_BMSC_ROT_NO_MSK",
                                      "MBMSEC_ERR_BMSC_STREAM_NO_MSK",
                                      "MBMSEC_ERR_STORE_OWNED",
                                      NULL};
  static const char *const limit[] = {"MBMSEC_ERR_SQN_RANGE",
                                      "MBMSEC_ERR_MIKEY_STATE_FULL",
                                      "MBMSEC_ERR_STORE_COUNTER_RANGE",
                                      "MBMSEC_ERR_BMSC_FULL",
                                      "MBMSEC_ERR_MEMBERS_KEYNUM",
                                      "MBMSEC_ERR_MEMBERS_GROUP_FULL",
                                      "MBMSEC_ERR_MEMBERS_TOO_MANY",
                                      "MBMSEC_ERR_UE_AGENT_FULL",
                                      NULL};
  static const char *const config[] = {"MBMSEC_ERR_STORE_BACKEND",   "MBMSEC_ERR_UA_CONFIG",
                                       "MBMSEC_ERR_BSF_CONFIG",      "MBMSEC_ERR_BSF_INI",
                                       "MBMSEC_ERR_UE_AGENT_CONFIG", NULL};
  static const char *const io[] = {"MBMSEC_ERR_ZN_CONF",   "MBMSEC_ERR_ZN_TIMEOUT",
                                   "MBMSEC_ERR_ZN_ANSWER", "MBMSEC_ERR_UE_FILE_IO",
                                   "MBMSEC_ERR_UE_HTTP",   "MBMSEC_ERR_UE_HTTP_STATUS",
                                   "MBMSEC_ERR_BMSC_SEND", NULL};
  static const char *const store[] = {
      "MBMSEC_ERR_STORE_OPEN",         "MBMSEC_ERR_STORE_IO",           "MBMSEC_ERR_STORE_BUSY",
      "MBMSEC_ERR_STORE_CORRUPT",      "MBMSEC_ERR_STORE_SCHEMA_NEWER", "MBMSEC_ERR_STORE_SCHEMA",
      "MBMSEC_ERR_STORE_SQN_CONFLICT", "MBMSEC_ERR_BSF_SQN_RETRIES",    NULL};
  if (!strcmp(n, "MBMSEC_OK")) return MBMSEC_ERRCLASS_OK;
  if (!strcmp(n, "MBMSEC_ERR_NOMEM")) return MBMSEC_ERRCLASS_NOMEM;
  if (one_of(n, internal)) return MBMSEC_ERRCLASS_INTERNAL;
  if (one_of(n, refused)) return MBMSEC_ERRCLASS_REFUSED;
  if (one_of(n, state)) return MBMSEC_ERRCLASS_STATE;
  if (one_of(n, limit)) return MBMSEC_ERRCLASS_LIMIT;
  if (one_of(n, config)) return MBMSEC_ERRCLASS_CONFIG;
  if (one_of(n, io)) return MBMSEC_ERRCLASS_IO;
  if (one_of(n, store)) return MBMSEC_ERRCLASS_STORE;
  /* everything else is input a parser or validator refused */
  return MBMSEC_ERRCLASS_INPUT;
}

/* Every code: the class expected from its name, a class name, and only MBMSEC_OK is OK. */
static void test_every_code(void **state)
{
  (void)state;
  size_t per_class[MBMSEC_ERRCLASS_COUNT] = {0};
  for (size_t i = 0; i < N_ALL; i++) {
    const mbmsec_errclass c = mbmsec_err_class(ALL[i].code);
    if (c != expected(ALL[i].name))
      fail_msg("%s: class %s, expected %s", ALL[i].name, mbmsec_errclass_name(c),
               mbmsec_errclass_name(expected(ALL[i].name)));
    assert_true((unsigned)c < MBMSEC_ERRCLASS_COUNT);
    assert_int_equal(c == MBMSEC_ERRCLASS_OK, ALL[i].code == MBMSEC_OK);
    per_class[c]++;
  }
  for (int c = 0; c < MBMSEC_ERRCLASS_COUNT; c++) assert_true(per_class[c] > 0); /* all used */
}

/* The blocks whose every code is input: parsers of Digest headers (but the mismatch), MIKEY
 * wire format, XML, pcap, bulk files; the store's validation codes. */
static void test_blocks(void **state)
{
  (void)state;
  for (size_t i = 0; i < N_ALL; i++) {
    const char *n = ALL[i].name;
    const mbmsec_errclass c = mbmsec_err_class(ALL[i].code);
    if (starts(n, "MBMSEC_ERR_XML_") || starts(n, "MBMSEC_ERR_PCAP_") ||
        starts(n, "MBMSEC_ERR_BULK_") ||
        (starts(n, "MBMSEC_ERR_DIGEST_") && strcmp(n, "MBMSEC_ERR_DIGEST_MISMATCH")) ||
        (ALL[i].code >= 500 && ALL[i].code <= 520))
      assert_int_equal(c, MBMSEC_ERRCLASS_INPUT);
  }
  /* what the BM-SC key request maps (docs/bmsc.md): input 400, the rest 500 */
  assert_int_equal(mbmsec_err_class(MBMSEC_ERR_XML_SYNTAX), MBMSEC_ERRCLASS_INPUT);
  assert_int_equal(mbmsec_err_class(MBMSEC_ERR_XML_KEYID), MBMSEC_ERRCLASS_INPUT);
  assert_int_equal(mbmsec_err_class(MBMSEC_ERR_STORE_IO), MBMSEC_ERRCLASS_STORE);
  assert_int_equal(mbmsec_err_class(MBMSEC_ERR_STORE_BUSY), MBMSEC_ERRCLASS_STORE);
  assert_int_equal(mbmsec_err_class(MBMSEC_ERR_STORE_CORRUPT), MBMSEC_ERRCLASS_STORE);
  assert_int_equal(mbmsec_err_class(MBMSEC_ERR_NOMEM), MBMSEC_ERRCLASS_NOMEM);
  assert_int_equal(mbmsec_err_class(MBMSEC_ERR_SPACE), MBMSEC_ERRCLASS_INTERNAL);
  assert_int_equal(mbmsec_err_class(MBMSEC_ERR_ARG), MBMSEC_ERRCLASS_INTERNAL);
}

/* Outside the list: internal; class names. */
static void test_names(void **state)
{
  (void)state;
  assert_int_equal(mbmsec_err_class((mbmsec_err)99999), MBMSEC_ERRCLASS_INTERNAL);
  assert_int_equal(mbmsec_err_class((mbmsec_err)-1), MBMSEC_ERRCLASS_INTERNAL);
  static const char *const names[] = {"ok",     "input", "refused", "state", "limit",
                                      "config", "io",    "store",   "nomem", "internal"};
  for (int c = 0; c < MBMSEC_ERRCLASS_COUNT; c++)
    assert_string_equal(mbmsec_errclass_name((mbmsec_errclass)c), names[c]);
  assert_string_equal(mbmsec_errclass_name(MBMSEC_ERRCLASS_COUNT), "internal");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_code),
      cmocka_unit_test(test_blocks),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
