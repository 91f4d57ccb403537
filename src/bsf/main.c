/* mbmsec-bsf: the GBA bootstrapping server daemon and its subscriber administration. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../cli.h"
#include "bsf.h"

int bsf_usage(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "mbmsec-bsf %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'mbmsec-bsf %s --help'.\n", cmd);
  return 2;
}

int bsf_fail(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "mbmsec-bsf %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return 1;
}

static const char USAGE[] =
    "Usage: mbmsec-bsf run [options]             the BSF: Ub over HTTP, Zn over Diameter\n"
    "       mbmsec-bsf subscriber add|import|list|show|del [options]   the built-in HSS\n"
    "\n"
    "Each command has --help. Exit status: 0 success, 1 failure, 2 usage error.\n";

int main(int argc, char **argv)
{
  cli_set_program("mbmsec-bsf"); /* for the shared cli.c helpers' messages */
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(USAGE, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "run") == 0)
    return bsf_cmd_run(argc - 1, argv + 1);
  if (strcmp(argv[1], "subscriber") == 0)
    return bsf_cmd_subscriber(argc - 1, argv + 1);
  fprintf(stderr, "mbmsec-bsf: unknown command '%s'\n%s", argv[1], USAGE);
  return 2;
}
