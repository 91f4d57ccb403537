/* The daemons' settings reader (src/common/ini.c): what a file hands out, every refusal with
 * its line, and the loader's order (file, then command line) and section rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "ini.h"

typedef struct {
  char seen[1024];
  int calls, stop_at;
} keys;

static int on_key(const char *section, const char *key, const char *value, int line, void *user)
{
  keys *k = user;
  size_t n = strlen(k->seen);
  snprintf(k->seen + n, sizeof k->seen - n, "%d[%s]%s=%s;", line, section, key, value);
  return ++k->calls == k->stop_at ? 7 : 0;
}

/* Reads text as a file; returns ini_read_stream's result, keys in *k, a refusal in *err. */
static int read_text(const char *text, size_t len, keys *k, ini_error *err)
{
  memset(k, 0, sizeof *k);
  memset(err, 0, sizeof *err);
  FILE *f = fmemopen((void *)(uintptr_t)text, len, "r");
  assert_non_null(f);
  int rc = ini_read_stream(f, "t.ini", on_key, k, err);
  fclose(f);
  return rc;
}

static void test_accepted(void **state)
{
  (void)state;
  static const char t[] = "# comment\n; also\n\n[bsf]\nlisten = 127.0.0.1:1\n"
                          "  fqdn=a=b  \r\n[ zn ]\n\tzn-peer\t=\tx y\n[bsf]\nempty =\n"
                          "last = no newline";
  keys k;
  ini_error err;
  assert_int_equal(read_text(t, sizeof t - 1, &k, &err), 0);
  assert_string_equal(k.seen, "5[bsf]listen=127.0.0.1:1;6[bsf]fqdn=a=b;8[zn]zn-peer=x y;"
                              "10[bsf]empty=;11[bsf]last=no newline;");
}

static void expect_refusal(const char *text, size_t len, const char *msg)
{
  keys k;
  ini_error err;
  assert_int_equal(read_text(text, len, &k, &err), INI_SYNTAX);
  assert_string_equal(err.msg, msg);
  assert_int_equal(k.calls, 0);
}

static void test_refused(void **state)
{
  (void)state;
  expect_refusal("[bsf\n", 5, "t.ini:1: bad section header");
  expect_refusal("\n[bsf] x\n", 9, "t.ini:2: bad section header");
  expect_refusal("[]\n", 3, "t.ini:1: bad section header");
  expect_refusal("[  ]\n", 5, "t.ini:1: bad section header");
  expect_refusal("a = 1\n", 6, "t.ini:1: key outside a section");
  expect_refusal("[s]\nnothing\n", 12, "t.ini:2: expected key = value");
  expect_refusal("[s]\n = v\n", 9, "t.ini:2: empty key");
  char name[80] = "[";
  memset(name + 1, 'n', INI_SECTION_MAX + 1);
  strcpy(name + INI_SECTION_MAX + 2, "]\n");
  expect_refusal(name, strlen(name), "t.ini:1: bad section header");
}

static void test_too_long(void **state)
{
  (void)state;
  /* a line of INI_LINE_MAX octets with its newline is read; one more is refused */
  char *t = malloc(INI_FILE_MAX + 2);
  assert_non_null(t);
  memcpy(t, "[s]\nk=", 6);
  memset(t + 6, 'v', INI_LINE_MAX - 3);
  t[INI_LINE_MAX + 3] = '\n';
  keys k;
  ini_error err;
  assert_int_equal(read_text(t, INI_LINE_MAX + 4, &k, &err), 0);
  assert_int_equal(k.calls, 1);
  memset(t + 6, 'v', INI_LINE_MAX - 2);
  t[INI_LINE_MAX + 4] = '\n';
  expect_refusal(t, INI_LINE_MAX + 5, "t.ini:2: line or file too long");
  /* a file of comment lines: INI_FILE_MAX octets pass, one more does not */
  memset(t, '#', INI_FILE_MAX + 1);
  for (size_t i = 99; i < INI_FILE_MAX + 1; i += 100) t[i] = '\n';
  t[INI_FILE_MAX - 1] = '\n';
  assert_int_equal(read_text(t, INI_FILE_MAX, &k, &err), 0);
  t[INI_FILE_MAX] = '\n';
  assert_int_equal(read_text(t, INI_FILE_MAX + 1, &k, &err), INI_SYNTAX);
  assert_string_equal(err.msg, "t.ini:657: line or file too long");
  free(t);
}

static void test_callback_stops(void **state)
{
  (void)state;
  static const char t[] = "[s]\na=1\nb=2\nc=3\n";
  keys k = {.stop_at = 2};
  ini_error err;
  FILE *f = fmemopen((void *)(uintptr_t)t, sizeof t - 1, "r");
  assert_non_null(f);
  assert_int_equal(ini_read_stream(f, "t.ini", on_key, &k, &err), 7);
  fclose(f);
  assert_string_equal(k.seen, "2[s]a=1;3[s]b=2;");
}

static void test_unreadable(void **state)
{
  (void)state;
  keys k = {0};
  ini_error err;
  assert_int_equal(ini_read("/nonexistent/x.ini", on_key, &k, &err), INI_SYNTAX);
  assert_string_equal(err.msg, "cannot read config file /nonexistent/x.ini");
}

/* ---- the loader */
typedef struct {
  char name[32], zn[32];
  int verbose, from_file;
} opts;

static int set(void *settings, const char *name, const char *v, int line)
{
  opts *o = settings;
  if (!strcmp(name, "verbose")) return v && strcmp(v, "1") ? 2 : (o->verbose = 1, 0);
  char *dst = !strcmp(name, "name") ? o->name : !strcmp(name, "zn-peer") ? o->zn : NULL;
  if (!dst) return -1;
  if (!v) return cli_usage_error("run", "--%s needs a value", name);
  snprintf(dst, 32, "%s", v);
  o->from_file += line > 0;
  return 0;
}

static int load(const char *file, opts *o, int argc, char **argv)
{
  char path[] = "/tmp/test_ini_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, file, strlen(file)), (ssize_t)strlen(file));
  close(fd);
  static const char *const flags[] = {"verbose", NULL};
  const ini_options io = {
      .cmd = "run", .help = "", .section = "me", .flags = flags, .set = set, .settings = o};
  char *args[8] = {"run", "--config", path};
  for (int i = 0; i < argc; i++) args[3 + i] = argv[i];
  memset(o, 0, sizeof *o);
  int rc = ini_options_load(&io, 3 + argc, args);
  unlink(path);
  return rc;
}

static void test_loader(void **state)
{
  (void)state;
  opts o;
  char *over[] = {"--name=cli", "--verbose"};
  assert_int_equal(load("[me]\nname = file\n[zn]\nzn-peer = p\n", &o, 2, over), 0);
  assert_string_equal(o.name, "cli");
  assert_string_equal(o.zn, "p");
  assert_int_equal(o.verbose, 1);
  assert_int_equal(o.from_file, 2);
  char *none[] = {NULL};
  assert_int_equal(load("[me]\nzn-peer = p\n", &o, 0, none), 2); /* belongs in [zn] */
  assert_int_equal(load("[zn]\nname = x\n", &o, 0, none), 2);    /* belongs in [me] */
  assert_int_equal(load("[other]\nname = x\n", &o, 0, none), 2); /* unknown section */
  assert_int_equal(load("[me]\nnope = x\n", &o, 0, none), 2);    /* unknown key */
  assert_int_equal(load("[me]\nverbose = 2\n", &o, 0, none), 2); /* refused value */
  assert_int_equal(load("[me]\n[other]\n", &o, 0, none), 0);     /* empty sections pass */
  char *bad[] = {"--verbose=1"};
  assert_int_equal(load("", &o, 1, bad), 2); /* a flag takes no value */
  char *stray[] = {"stray"};
  assert_int_equal(load("", &o, 1, stray), 2);
  char *help[] = {"--name", "x", "-h"};
  assert_int_equal(load("[me]\nname = file\n", &o, 3, help), 3);
  assert_string_equal(o.name, ""); /* --help before anything is read */
}

static void test_values(void **state)
{
  (void)state;
  char a[8];
  uint16_t port = 0;
  unsigned long n = 0;
  bool b = false;
  int lvl = -1;
  assert_int_equal(ini_value_str("run", "x", "abcdefg", a, sizeof a), 0);
  assert_string_equal(a, "abcdefg");
  assert_int_equal(ini_value_str("run", "x", "abcdefgh", a, sizeof a), 2);
  assert_int_equal(ini_value_str("run", "x", "", a, sizeof a), 2);
  assert_int_equal(ini_value_uint("run", "n", "42", 1, 42, &n), 0);
  assert_int_equal(n, 42);
  static const char *const bad_n[] = {"0",  "43", "",   "-1",
                                      "+1", " 1", "1x", "99999999999999999999"};
  for (size_t i = 0; i < sizeof bad_n / sizeof bad_n[0]; i++)
    assert_int_equal(ini_value_uint("run", "n", bad_n[i], 1, 42, &n), 2);
  assert_int_equal(ini_value_addr("run", "l", "1.2.3.4:65535", a, sizeof a, &port, 1), 0);
  assert_string_equal(a, "1.2.3.4");
  assert_int_equal(port, 65535);
  assert_int_equal(ini_value_addr("run", "l", "::1:0", a, sizeof a, &port, 0), 0);
  assert_string_equal(a, "::1");
  assert_int_equal(port, 0);
  static const char *const bad_a[] = {"1.2.3.4",       ":80",      "1.2.3.4:0",
                                      "1.2.3.4:65536", "1.2.3.4:", "12345678:80"};
  for (size_t i = 0; i < sizeof bad_a / sizeof bad_a[0]; i++)
    assert_int_equal(ini_value_addr("run", "l", bad_a[i], a, sizeof a, &port, 1), 2);
  static const char *const yes[] = {"true", "yes", "1", "on"}, *const no[] = {"false", "no", "0",
                                                                              "off"};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(ini_value_bool("run", "b", yes[i], &b), 0);
    assert_true(b);
    assert_int_equal(ini_value_bool("run", "b", no[i], &b), 0);
    assert_false(b);
  }
  assert_int_equal(ini_value_bool("run", "b", "True", &b), 2);
  assert_int_equal(ini_value_log_level("run", "log-level", "warn", &lvl), 0);
  assert_int_equal(lvl, 2);
  assert_int_equal(ini_value_log_level("run", "log-level", "loud", &lvl), 2);
}

int main(void)
{
  cli_set_program("test_ini");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepted),   cmocka_unit_test(test_refused),
      cmocka_unit_test(test_too_long),   cmocka_unit_test(test_callback_stops),
      cmocka_unit_test(test_unreadable), cmocka_unit_test(test_loader),
      cmocka_unit_test(test_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
