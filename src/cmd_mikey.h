/* `mbmsec mikey`: what its subcommand files share (a small option table parser). */
#ifndef MBMSEC_CMD_MIKEY_H
#define MBMSEC_CMD_MIKEY_H
#include <stdbool.h>
#include <stddef.h>

/* One option: flags take no value. `val` is set when the option was given with a value. */
typedef struct {
  const char *name;
  bool flag;
  bool seen;
  const char *val;
} mk_opt;

/* Fills opts from argv[1..argc). 1 = --help seen, 0 = ok, -1 = usage error printed. */
int mk_parse(const char *cmd, int argc, char **argv, mk_opt *opts, size_t n);

int cmd_mikey_decode(int argc, char **argv);
int cmd_mikey_build_msk(int argc, char **argv);
int cmd_mikey_build_mtk(int argc, char **argv);
int cmd_mikey_build_verification(int argc, char **argv);

#endif
