/* The bulk-provisioning readers (mbmsec/bulk.h): the subscriber CSV of `mbmsec-bsf subscriber
 * import` and the IMPI list of `mbmsec-bmsc subscriber grant|revoke --file`. Good files with
 * every line shape, and every refusal with the line it names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/bulk.h"

#define K1   "000102030405060708090a0b0c0d0e0f"
#define OPC1 "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF"

typedef struct {
  mbmsec_bulk_subscriber rec[8];
  unsigned long line[8];
  size_t n;
  size_t fail_at; /* refuse the record with this index + 1 (0: never) */
} subs;

static mbmsec_err on_sub(const mbmsec_bulk_subscriber *r, unsigned long line, void *arg)
{
  subs *s = arg;
  assert_true(s->n < 8);
  if (s->fail_at && s->n + 1 == s->fail_at) return MBMSEC_ERR_STORE_EXISTS;
  s->rec[s->n] = *r;
  s->line[s->n++] = line;
  return MBMSEC_OK;
}

static mbmsec_err read_subs(const char *text, size_t len, subs *s, mbmsec_bulk_pos *pos)
{
  memset(s, 0, sizeof *s);
  return mbmsec_bulk_subscribers((const uint8_t *)text, len, on_sub, s, pos);
}
#define READ_SUBS(lit, s, pos) read_subs(lit, sizeof(lit) - 1, s, pos)

static void subscribers_good(void **state)
{
  (void)state;
  static const char f[] = "# IMPI,K,OPC,SQN,AMF,USS\r\n"
                          "\n"
                          "alice@ims.example," K1 "," OPC1 "\r\n"
                          "bob," K1 "," OPC1 ",00000000002a,9001,4,1  \n"
                          "   \t\r\n"
                          "carol," K1 "," OPC1 ",,,\n"
                          "dave," K1 "," OPC1; /* last line without its end */
  subs s;
  mbmsec_bulk_pos pos;
  assert_int_equal(READ_SUBS(f, &s, &pos), MBMSEC_OK);
  assert_int_equal(pos.line, 0);
  assert_int_equal(s.n, 4);
  const uint8_t k[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  assert_string_equal(s.rec[0].impi, "alice@ims.example");
  assert_memory_equal(s.rec[0].k, k, 16);
  assert_int_equal(s.rec[0].opc[0], 0xf0);
  assert_int_equal(s.rec[0].opc[15], 0xff);
  assert_int_equal(s.rec[0].sqn, 0);
  assert_int_equal(s.rec[0].amf[0], 0x80);
  assert_int_equal(s.rec[0].amf[1], 0x00);
  assert_string_equal(s.rec[0].uss, "4");
  assert_int_equal(s.line[0], 3);
  assert_string_equal(s.rec[1].impi, "bob");
  assert_int_equal(s.rec[1].sqn, 42);
  assert_int_equal(s.rec[1].amf[0], 0x90);
  assert_int_equal(s.rec[1].amf[1], 0x01);
  assert_string_equal(s.rec[1].uss, "4,1"); /* the rest of the line, trailing blanks dropped */
  assert_int_equal(s.line[1], 4);
  assert_string_equal(s.rec[2].impi, "carol"); /* empty optional fields take their defaults */
  assert_int_equal(s.rec[2].sqn, 0);
  assert_int_equal(s.rec[2].amf[0], 0x80);
  assert_string_equal(s.rec[2].uss, "4");
  assert_int_equal(s.line[2], 6);
  assert_string_equal(s.rec[3].impi, "dave");
  assert_int_equal(s.line[3], 7);
}

static void subscribers_empty(void **state)
{
  (void)state;
  subs s;
  mbmsec_bulk_pos pos;
  assert_int_equal(read_subs(NULL, 0, &s, &pos), MBMSEC_OK);
  assert_int_equal(s.n, 0);
  assert_int_equal(READ_SUBS("\n\r\n# only a comment", &s, &pos), MBMSEC_OK);
  assert_int_equal(s.n, 0);
  assert_int_equal(mbmsec_bulk_subscribers(NULL, 1, on_sub, &s, &pos), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bulk_subscribers((const uint8_t *)"x", 1, NULL, &s, &pos),
                   MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bulk_subscribers((const uint8_t *)"x", 1, on_sub, &s, NULL),
                   MBMSEC_ERR_ARG);
}

/* One refusal: the code, the line it names and a word of the reason. */
static void refused(const char *text, size_t len, mbmsec_err want, unsigned long line,
                    const char *why_has, size_t records_before)
{
  subs s;
  mbmsec_bulk_pos pos;
  assert_int_equal(read_subs(text, len, &s, &pos), want);
  assert_int_equal(pos.line, line);
  assert_non_null(pos.why);
  if (!strstr(pos.why, why_has)) fail_msg("why '%s' lacks '%s'", pos.why, why_has);
  assert_int_equal(s.n, records_before);
}
#define REFUSED(lit, want, line, why, before) refused(lit, sizeof(lit) - 1, want, line, why, before)

static void subscribers_bad_fields(void **state)
{
  (void)state;
  REFUSED("a," K1 "," OPC1 "\nb," K1 "\n", MBMSEC_ERR_BULK_FIELDS, 2, "IMPI,K,OPC", 1);
  REFUSED("b\n", MBMSEC_ERR_BULK_FIELDS, 1, "IMPI,K,OPC", 0);
  REFUSED("," K1 "," OPC1 "\n", MBMSEC_ERR_BULK_FIELDS, 1, "IMPI,K,OPC", 0);
  REFUSED("a,," OPC1 "\n", MBMSEC_ERR_BULK_FIELDS, 1, "IMPI,K,OPC", 0);
  REFUSED("a," K1 ",\n", MBMSEC_ERR_BULK_FIELDS, 1, "IMPI,K,OPC", 0);
}

static void subscribers_bad_hex(void **state)
{
  (void)state;
  REFUSED("#\na,000102030405060708090a0b0c0d0e0g," OPC1 "\n", MBMSEC_ERR_BULK_VALUE, 2, "K:", 0);
  REFUSED("a,000102030405060708090a0b0c0d0e," OPC1 "\n", MBMSEC_ERR_BULK_VALUE, 1, "K:", 0);
  REFUSED("a," K1 "0f," OPC1 "\n", MBMSEC_ERR_BULK_VALUE, 1, "K:", 0);
  REFUSED("a," K1 "," OPC1 "0\n", MBMSEC_ERR_BULK_VALUE, 1, "OPC:", 0);
  REFUSED("a," K1 ", " OPC1 "\n", MBMSEC_ERR_BULK_VALUE, 1, "OPC:", 0);
  REFUSED("a," K1 "," OPC1 ",00000000002\n", MBMSEC_ERR_BULK_VALUE, 1, "SQN:", 0);
  REFUSED("a," K1 "," OPC1 ",00000000002x\n", MBMSEC_ERR_BULK_VALUE, 1, "SQN:", 0);
  REFUSED("a," K1 "," OPC1 ",000000000000,80000\n", MBMSEC_ERR_BULK_VALUE, 1, "AMF:", 0);
  REFUSED("a," K1 "," OPC1 ",000000000000,-800\n", MBMSEC_ERR_BULK_VALUE, 1, "AMF:", 0);
}

/* A line of n octets of c after prefix, then an end. */
static char *long_line(const char *prefix, char c, size_t n, const char *end, size_t *len)
{
  size_t pl = strlen(prefix), el = strlen(end);
  char *t = malloc(pl + n + el + 1);
  assert_non_null(t);
  memcpy(t, prefix, pl);
  memset(t + pl, c, n);
  memcpy(t + pl + n, end, el + 1);
  *len = pl + n + el;
  return t;
}

static void subscribers_long(void **state)
{
  (void)state;
  size_t len;
  /* a 1024-octet comment line is the limit, with either end */
  char *t = long_line("#", 'x', MBMSEC_BULK_LINE_MAX - 1, "\r\n", &len);
  subs s;
  mbmsec_bulk_pos pos;
  assert_int_equal(read_subs(t, len, &s, &pos), MBMSEC_OK);
  free(t);
  t = long_line("a," K1 "," OPC1 "\n#", 'x', MBMSEC_BULK_LINE_MAX, "\n", &len);
  refused(t, len, MBMSEC_ERR_BULK_LINE_LEN, 2, "longer", 1);
  free(t);
  t = long_line("#", 'x', MBMSEC_BULK_LINE_MAX, "", &len); /* no end at all */
  refused(t, len, MBMSEC_ERR_BULK_LINE_LEN, 1, "longer", 0);
  free(t);
  /* an IMPI of 256 octets, a USS of 256 */
  t = long_line("", 'i', 256, "," K1 "," OPC1 "\n", &len);
  refused(t, len, MBMSEC_ERR_BULK_VALUE, 1, "IMPI", 0);
  free(t);
  t = long_line("a," K1 "," OPC1 ",,,", '4', 256, "\n", &len);
  refused(t, len, MBMSEC_ERR_BULK_VALUE, 1, "USS", 0);
  free(t);
  t = long_line("", 'i', 255, "," K1 "," OPC1 ",,,4,1\n", &len); /* 255 is fine */
  assert_int_equal(read_subs(t, len, &s, &pos), MBMSEC_OK);
  assert_int_equal(strlen(s.rec[0].impi), 255);
  free(t);
}

static void subscribers_octets(void **state)
{
  (void)state;
  REFUSED("a," K1 "," OPC1 "\nb\0," K1 "," OPC1 "\n", MBMSEC_ERR_BULK_OCTET, 2, "NUL", 1);
  REFUSED("#\0 comment\n", MBMSEC_ERR_BULK_OCTET, 1, "NUL", 0);
  REFUSED("\n\na," K1 "," OPC1 "\0", MBMSEC_ERR_BULK_OCTET, 3, "NUL", 0);
  REFUSED("a\x01," K1 "," OPC1 "\n", MBMSEC_ERR_BULK_OCTET, 1, "control", 0);
  REFUSED("a\rb," K1 "," OPC1 "\n", MBMSEC_ERR_BULK_OCTET, 1, "control", 0);
  REFUSED("\xc3\xa4," K1 "," OPC1 "\n", MBMSEC_ERR_BULK_OCTET, 1, "non-ASCII", 0);
  /* comments may hold anything but NUL */
  subs s;
  mbmsec_bulk_pos pos;
  assert_int_equal(READ_SUBS("# Z\xc3\xbcrich \x01\na," K1 "," OPC1, &s, &pos), MBMSEC_OK);
  assert_int_equal(s.n, 1);
}

static void subscribers_callback_refuses(void **state)
{
  (void)state;
  static const char f[] = "a," K1 "," OPC1 "\n#\nb," K1 "," OPC1 "\nc," K1 "," OPC1 "\n";
  subs s;
  memset(&s, 0, sizeof s);
  s.fail_at = 2;
  mbmsec_bulk_pos pos;
  assert_int_equal(mbmsec_bulk_subscribers((const uint8_t *)f, sizeof f - 1, on_sub, &s, &pos),
                   MBMSEC_ERR_STORE_EXISTS);
  assert_int_equal(pos.line, 3);
  assert_null(pos.why);
  assert_int_equal(s.n, 1); /* c was never handed out */
}

typedef struct {
  char impi[8][MBMSEC_STORE_IMPI_MAX + 1];
  unsigned long line[8];
  size_t n;
} impis;

static mbmsec_err on_impi(const char *impi, unsigned long line, void *arg)
{
  impis *s = arg;
  assert_true(s->n < 8);
  assert_true(strlen(impi) >= 1 && strlen(impi) <= MBMSEC_STORE_IMPI_MAX);
  if (!strcmp(impi, "refuse")) return MBMSEC_ERR_STORE_IMPI;
  strcpy(s->impi[s->n], impi);
  s->line[s->n++] = line;
  return MBMSEC_OK;
}

static mbmsec_err read_impis(const char *text, size_t len, impis *s, mbmsec_bulk_pos *pos)
{
  memset(s, 0, sizeof *s);
  return mbmsec_bulk_impis((const uint8_t *)text, len, on_impi, s, pos);
}
#define READ_IMPIS(lit, s, pos) read_impis(lit, sizeof(lit) - 1, s, pos)

static void impis_good(void **state)
{
  (void)state;
  impis s;
  mbmsec_bulk_pos pos;
  assert_int_equal(READ_IMPIS("# load test\r\nue1@x\r\n\r\nue2@x  \t\nue3@x", &s, &pos), MBMSEC_OK);
  assert_int_equal(s.n, 3);
  assert_string_equal(s.impi[0], "ue1@x");
  assert_int_equal(s.line[0], 2);
  assert_string_equal(s.impi[1], "ue2@x");
  assert_int_equal(s.line[1], 4);
  assert_string_equal(s.impi[2], "ue3@x");
  assert_int_equal(s.line[2], 5);
  assert_int_equal(read_impis(NULL, 0, &s, &pos), MBMSEC_OK);
  assert_int_equal(s.n, 0);
  assert_int_equal(mbmsec_bulk_impis(NULL, 3, on_impi, &s, &pos), MBMSEC_ERR_ARG);
}

static void impis_bad(void **state)
{
  (void)state;
  impis s;
  mbmsec_bulk_pos pos;
  assert_int_equal(READ_IMPIS("a\nb\0c\n", &s, &pos), MBMSEC_ERR_BULK_OCTET);
  assert_int_equal(pos.line, 2);
  assert_int_equal(s.n, 1);
  assert_int_equal(READ_IMPIS("a\n\x7f\n", &s, &pos), MBMSEC_ERR_BULK_OCTET);
  assert_int_equal(pos.line, 2);
  assert_int_equal(READ_IMPIS("a\n#\nrefuse\nb\n", &s, &pos), MBMSEC_ERR_STORE_IMPI);
  assert_int_equal(pos.line, 3);
  assert_null(pos.why);
  assert_int_equal(s.n, 1);
  size_t len;
  char *t = long_line("a\n", 'i', 256, "\r\n", &len);
  assert_int_equal(read_impis(t, len, &s, &pos), MBMSEC_ERR_BULK_VALUE);
  assert_int_equal(pos.line, 2);
  assert_non_null(strstr(pos.why, "IMPI"));
  free(t);
  t = long_line("", 'i', 255, "", &len);
  assert_int_equal(read_impis(t, len, &s, &pos), MBMSEC_OK);
  assert_int_equal(strlen(s.impi[0]), 255);
  free(t);
  t = long_line("a\nb\n", 'i', MBMSEC_BULK_LINE_MAX + 1, "\n", &len);
  assert_int_equal(read_impis(t, len, &s, &pos), MBMSEC_ERR_BULK_LINE_LEN);
  assert_int_equal(pos.line, 3);
  assert_int_equal(s.n, 2);
  free(t);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(subscribers_good),
      cmocka_unit_test(subscribers_empty),
      cmocka_unit_test(subscribers_bad_fields),
      cmocka_unit_test(subscribers_bad_hex),
      cmocka_unit_test(subscribers_long),
      cmocka_unit_test(subscribers_octets),
      cmocka_unit_test(subscribers_callback_refuses),
      cmocka_unit_test(impis_good),
      cmocka_unit_test(impis_bad),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
