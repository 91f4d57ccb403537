/* mbmsec-bsf subcommands and their shared helpers. Exit codes as src/cli.h: 0, 1, 2. */
#ifndef MBMSEC_BSF_BSF_H
#define MBMSEC_BSF_BSF_H

int bsf_cmd_run(int argc, char **argv);
int bsf_cmd_subscriber(int argc, char **argv);

/* "mbmsec-bsf CMD: message" + a --help hint on stderr; returns 2. */
int bsf_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "mbmsec-bsf CMD: message" on stderr; returns 1. */
int bsf_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
