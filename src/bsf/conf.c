/* Settings of `mbmsec-bsf run`: defaults, then the INI file of --config ([bsf] and [zn]
 * sections, keys named as the options), then the command line (src/common/ini.c). */
#include <stdio.h>
#include <string.h>

#include "bsf.h"
#include "cli.h"
#include "ini.h"
#include "log.h"

#define CMD "run"

static const char HELP[] =
    "Usage: mbmsec-bsf run [--config FILE] [--listen ADDR:PORT] [--store URI] [--fqdn NAME]\n"
    "                      [--lifetime SECONDS] [--zn-listen ADDR:PORT | --no-zn]\n"
    "                      [--zn-identity NAME] [--zn-realm NAME] [--zn-peer NAME]\n"
    "                      [--zn-peer-addr IPV4[,IPV4...]]\n"
    "                      [--zn-tls-cert PEM --zn-tls-key PEM --zn-tls-ca PEM]\n"
    "                      [--log-level debug|info|warn|error] [--log-keys]\n"
    "\n"
    "Runs the BSF: GBA bootstrapping over Ub (HTTP Digest AKA, TS 33.220 / TS 24.109) with the\n"
    "built-in HSS of the store, and the Zn server (Diameter, TS 29.109) for the BM-SC.\n"
    "\n"
    "  --config FILE        INI file; [bsf] and [zn] sections, keys named as these options\n"
    "                       (command-line options override it)\n"
    "  --listen ADDR:PORT   HTTP (Ub) listen address, IPv4 (default 127.0.0.1:8080)\n"
    "  --store URI          store with subscribers and bootstraps (default sqlite:bsf.db)\n"
    "  --fqdn NAME          BSF host name: Digest realm and B-TID domain\n"
    "                       (default bsf.mnc001.mcc001.pub.3gppnetwork.org)\n"
    "  --lifetime SECONDS   bootstrap (Ks) lifetime, 1..315360000 (default 3600)\n"
    "  --zn-listen ADDR:PORT  Zn Diameter listen address, IPv4 (default 127.0.0.1:3868)\n"
    "  --no-zn              do not start the Zn server\n"
    "  --zn-identity NAME   local Diameter Identity (default bsf.zn.test)\n"
    "  --zn-realm NAME      local Diameter realm (default zn.test)\n"
    "  --zn-peer NAME       Diameter Identity of the BM-SC accepted (default bmsc.zn.test)\n"
    "  --zn-peer-addr LIST  IPv4 addresses the BM-SC connects from (up to 16, comma-separated);\n"
    "                       Zn packets from any other address are dropped (default: any)\n"
    "  --zn-tls-cert PEM    Zn over TLS: this node's certificate (CN = --zn-identity); with\n"
    "  --zn-tls-key PEM     its key and the BM-SC's certificate (or CA) trusted; the Zn port\n"
    "  --zn-tls-ca PEM      then takes TLS only. scripts/zn-certs makes self-signed ones.\n"
    "  --log-level LEVEL    debug, info, warn or error (default info); logfmt on stderr\n"
    "  --log-keys           also log key material (Ks_NAF of Zn answers): testing only\n"
    "  --help               this text\n"
    "\n"
    "Stops cleanly on SIGTERM or SIGINT. Exit status: 0 stopped by a signal, 1 start-up\n"
    "failure, 2 usage error.\n";

/* One setting by its long-option name (without "--"); v NULL for a flag on the command line;
 * line 0 on the command line. Returns 0, 2 (usage error printed) or -1 (unknown name). */
static int set(void *settings, const char *name, const char *v, int line)
{
  bsf_settings *s = settings;
  if (!line && !strcmp(name, "zn-listen")) s->zn_listen_given = true;
  if (!strcmp(name, "no-zn"))
    return v ? ini_value_bool(CMD, name, v, &s->no_zn) : (s->no_zn = true, 0);
  if (!strcmp(name, "log-keys"))
    return v ? ini_value_bool(CMD, name, v, &s->log_keys) : (s->log_keys = true, 0);
  static const char *const valued[] = {
      "listen",  "store",     "fqdn",        "lifetime",   "zn-listen", "zn-identity", "zn-realm",
      "zn-peer", "log-level", "zn-tls-cert", "zn-tls-key", "zn-tls-ca", "zn-peer-addr"};
  size_t i = 0;
  while (i < sizeof valued / sizeof valued[0] && strcmp(name, valued[i])) i++;
  if (i == sizeof valued / sizeof valued[0]) return -1;
  if (!v) return cli_usage_error(CMD, "--%s needs a value", name);
  if (!strcmp(name, "store")) return ini_value_str(CMD, name, v, s->store, sizeof s->store);
  if (!strcmp(name, "fqdn")) return ini_value_str(CMD, name, v, s->fqdn, sizeof s->fqdn);
  if (!strcmp(name, "zn-identity"))
    return ini_value_str(CMD, name, v, s->zn_identity, sizeof s->zn_identity);
  if (!strcmp(name, "zn-realm"))
    return ini_value_str(CMD, name, v, s->zn_realm, sizeof s->zn_realm);
  if (!strcmp(name, "zn-peer")) return ini_value_str(CMD, name, v, s->zn_peer, sizeof s->zn_peer);
  if (!strcmp(name, "zn-peer-addr"))
    return ini_value_str(CMD, name, v, s->zn_peer_addr, sizeof s->zn_peer_addr);
  if (!strcmp(name, "zn-tls-cert"))
    return ini_value_str(CMD, name, v, s->zn_tls_cert, sizeof s->zn_tls_cert);
  if (!strcmp(name, "zn-tls-key"))
    return ini_value_str(CMD, name, v, s->zn_tls_key, sizeof s->zn_tls_key);
  if (!strcmp(name, "zn-tls-ca"))
    return ini_value_str(CMD, name, v, s->zn_tls_ca, sizeof s->zn_tls_ca);
  if (!strcmp(name, "listen"))
    return ini_value_addr(CMD, name, v, s->listen_addr, sizeof s->listen_addr, &s->listen_port, 1);
  if (!strcmp(name, "zn-listen"))
    return ini_value_addr(CMD, name, v, s->zn_addr, sizeof s->zn_addr, &s->zn_port, 1);
  if (!strcmp(name, "log-level")) return ini_value_log_level(CMD, name, v, &s->log_level);
  unsigned long n; /* lifetime */
  if (ini_value_uint(CMD, name, v, 1, MBMSEC_BSF_LIFETIME_MAX, &n)) return 2;
  s->lifetime = (uint32_t)n;
  return 0;
}

int bsf_settings_load(bsf_settings *s, int argc, char **argv)
{
  *s = (bsf_settings){.listen_addr = "127.0.0.1",
                      .listen_port = 8080,
                      .store = "sqlite:bsf.db",
                      .fqdn = "bsf.mnc001.mcc001.pub.3gppnetwork.org",
                      .lifetime = MBMSEC_BSF_LIFETIME_DEFAULT,
                      .zn_addr = "127.0.0.1",
                      .zn_port = 3868,
                      .zn_identity = "bsf.zn.test",
                      .zn_realm = "zn.test",
                      .zn_peer = "bmsc.zn.test",
                      .log_level = DLOG_INFO};
  static const char *const flags[] = {"no-zn", "log-keys", NULL};
  const ini_options o = {
      .cmd = CMD, .help = HELP, .section = "bsf", .flags = flags, .set = set, .settings = s};
  const int rc = ini_options_load(&o, argc, argv);
  if (rc) return rc;
  if (s->no_zn && s->zn_listen_given)
    return cli_usage_error(CMD, "--zn-listen and --no-zn exclude each other");
  const int tls_n = (s->zn_tls_cert[0] != 0) + (s->zn_tls_key[0] != 0) + (s->zn_tls_ca[0] != 0);
  if (tls_n != 0 && tls_n != 3)
    return cli_usage_error(CMD, "--zn-tls-cert, --zn-tls-key and --zn-tls-ca go together");
  return 0;
}
