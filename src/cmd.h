/* The subcommands of the `mbmsec` tool (src/mbmsec.c's table), one family per cmd_*.c file.
 * Each takes argv[0] = its name and returns a CLI_* exit code (cli.h). */
#ifndef MBMSEC_CMD_H
#define MBMSEC_CMD_H

int cmd_milenage(int argc, char **argv);   /* cmd_milenage.c */
int cmd_gba_ks_naf(int argc, char **argv); /* cmd_gba.c */
int cmd_digest(int argc, char **argv);     /* cmd_digest.c */
int cmd_mikey_keys(int argc, char **argv); /* cmd_mikey_keys.c */
int cmd_mikey(int argc, char **argv);      /* cmd_mikey.c (decode, build-*: cmd_mikey.h) */

#endif
