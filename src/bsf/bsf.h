/* mbmsec-bsf: its commands and settings. Files as in every daemon: main.c (the command
 * table), conf.c (settings), run.c (`run`), http.c (Ub over libmicrohttpd), admin.c
 * (`subscriber`). Exit codes as src/cli.h: 0, 1, 2. */
#ifndef MBMSEC_BSF_BSF_H
#define MBMSEC_BSF_BSF_H
#include <stdbool.h>
#include <stdint.h>

#include "mbmsec/bsf.h"
#include "mbmsec/store.h"
#include "mbmsec/zn.h"

int bsf_cmd_run(int argc, char **argv);
int bsf_cmd_subscriber(int argc, char **argv);

/* Settings of `run` (conf.c): defaults, then the INI file of --config, then the command line. */
typedef struct {
  char listen_addr[64];
  uint16_t listen_port;
  char store[MBMSEC_STORE_URI_MAX + 1];
  char fqdn[MBMSEC_BSF_FQDN_MAX + 1];
  uint32_t lifetime;
  char zn_addr[64];
  uint16_t zn_port;
  bool no_zn;
  bool zn_listen_given; /* --zn-listen on the command line */
  char zn_identity[MBMSEC_ZN_IDENTITY_MAX + 1];
  char zn_realm[MBMSEC_ZN_IDENTITY_MAX + 1];
  char zn_peer[MBMSEC_ZN_IDENTITY_MAX + 1];
  char zn_peer_addr[16 * MBMSEC_ZN_PEER_ADDR_MAX];           /* empty = any source */
  char zn_tls_cert[1024], zn_tls_key[1024], zn_tls_ca[1024]; /* empty = plain TCP */
  int log_level;
  bool log_keys;
} bsf_settings;

/* @return 0, 2 (usage error printed) or 3 (--help printed). */
int bsf_settings_load(bsf_settings *s, int argc, char **argv);

#endif
