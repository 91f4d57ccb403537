/* Settings of `mbmsec-bmsc run`: defaults, then the INI file of --config, then the command
 * line. Every option is also a key of the file: [bmsc] holds the BM-SC keys, [zn] the zn-*
 * ones. The reader and the loader are src/common/ini.c's, as for mbmsec-bsf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "bmsc.h"
#include "ini.h"
#include "log.h"

#define CMD "run"

static const char HELP[] =
    "Usage: mbmsec-bmsc run [--config FILE] [--listen ADDR:PORT] [--admin-listen ADDR:PORT]\n"
    "         [--fqdn NAME] [--store URI] [--mikey-bind ADDR:PORT] [--ue-mikey-port N]\n"
    "         [--zn-peer-addr ADDR] [--zn-peer-port N] [--zn-identity NAME] [--zn-realm NAME]\n"
    "         [--zn-peer NAME] [--zn-tls-cert PEM --zn-tls-key PEM --zn-tls-ca PEM]\n"
    "         [--mcc NNN --mnc NN[N]] [--digest-algs LIST]\n"
    "         [--nonce-lifetime S] [--msk-v-flag BOOL] [--mikey-retx-first-ms N]\n"
    "         [--mikey-retx-tries N] [--rotate-lead S] [--rotate-window S]\n"
    "         [--rotate-jitter-ms N] [--stream-key-group HEX4] [--stream-bind ADDR]\n"
    "         [--stream-ttl N] [--mtk-dest ADDR:PORT] [--mtk-period-ms N]\n"
    "         [--mtk-interval-ms N] [--mtk-lead-ms N] [--srtp-dest ADDR:PORT]\n"
    "         [--srtp-rate N] [--srtp-payload N] [--srtp-file PATH]\n"
    "         [--http-threads N] [--admin-token-file PATH] [--log-level LEVEL] [--log-keys]\n"
    "\n"
    "Runs the BM-SC key request function (TS 33.246): register, deregister and msk-request\n"
    "over HTTP with Digest on Ua (B-TID, base64(MRK), auth-int), Ks_NAF over Zn from the BSF,\n"
    "MSK delivery in MIKEY over UDP, /metrics and /ue on the admin port.\n"
    "\n"
    "  --config FILE            INI file, [bmsc] and [zn] sections, keys named as the options\n"
    "  --listen ADDR:PORT       key request function (default 127.0.0.1:8081)\n"
    "  --http-threads N         threads of the key request function, 1..64 (default: one\n"
    "                           per online CPU)\n"
    "  --admin-listen ADDR:PORT /metrics, /ue, /msk (GET) and /msk/rotate, /ue/pull (POST with\n"
    "                           the admin token) (default 127.0.0.1:9081)\n"
    "  --admin-token-file PATH  where the daemon writes a fresh admin token at start, mode\n"
    "                           0600 (default: the SQLite store's file + .admin-token)\n"
    "  --fqdn NAME              BM-SC host of the key-management URI: realm\n"
    "                           3GPP-bootstrapping@NAME, NAF_Id (default bmsc.example.org)\n"
    "  --store URI              state: counters, membership (default sqlite:bmsc.db)\n"
    "  --mikey-bind ADDR:PORT   UDP socket MIKEY leaves from; port 0 = any (default\n"
    "                           127.0.0.1:0)\n"
    "  --ue-mikey-port N        UE MIKEY port (P6, default 2269)\n"
    "  --zn-peer-addr ADDR      the BSF's Zn address (default 127.0.0.1)\n"
    "  --zn-peer-port N         the BSF's Zn port (default 3868)\n"
    "  --zn-identity NAME       local Diameter Identity (default bmsc.zn.test)\n"
    "  --zn-realm NAME          local Diameter realm (default zn.test)\n"
    "  --zn-peer NAME           the BSF's Diameter Identity (default bsf.zn.test)\n"
    "  --zn-tls-cert PEM        Zn over TLS: this node's certificate (CN = --zn-identity);\n"
    "  --zn-tls-key PEM         with its key and the BSF's certificate (or CA) trusted; the\n"
    "  --zn-tls-ca PEM          three go together (scripts/zn-certs makes self-signed ones)\n"
    "  --mcc NNN --mnc NN[N]    Key Domain ID (P5; default 001 / 01)\n"
    "  --digest-algs LIST       challenge order (default SHA-256,MD5)\n"
    "  --nonce-lifetime S       Digest nonce lifetime, seconds (default 300)\n"
    "  --msk-v-flag BOOL        ask for MIKEY verification messages (default true)\n"
    "  --mikey-retx-first-ms N  first retransmission delay (default 2000, P13)\n"
    "  --mikey-retx-tries N     tries in all, 1..8 (default 5, P13)\n"
    "  --rotate-lead S          push the next MSK to every registered UE of its Key Group\n"
    "                           S seconds before the current MSK ends (default 3600)\n"
    "  --rotate-window S        spread that push over S seconds (default 600; at most half\n"
    "                           of the time left before the change-over)\n"
    "  --rotate-jitter-ms N     extra random delay per UE, 0..N ms (default 2000)\n"
    "  --stream-key-group HEX4  Key Group whose MSKs protect the stream (default 0001)\n"
    "  --stream-bind ADDR       source address of MTK messages and SRTP; the multicast\n"
    "                           interface (default 127.0.0.1)\n"
    "  --stream-ttl N           multicast TTL, 1..255 (default 1)\n"
    "  --mtk-dest ADDR:PORT     send MIKEY MTK messages there, unicast or multicast\n"
    "                           (default: none)\n"
    "  --mtk-period-ms N        send the current MTK message again this often, for late\n"
    "                           joiners (default 1000)\n"
    "  --mtk-interval-ms N      a new MTK (MTK ID + 1) this often (default 60000)\n"
    "  --mtk-lead-ms N          the next MTK's message goes out this long before its first\n"
    "                           packet (default 1000)\n"
    "  --srtp-dest ADDR:PORT    send the SRTP stream there (default: none)\n"
    "  --srtp-rate N            RTP packets per second, 1..10000 (default 50)\n"
    "  --srtp-payload N         payload octets per packet, 6..1200 (default 160)\n"
    "  --srtp-file PATH         payload source, sent in order and looped (default: the\n"
    "                           generated test payload, docs/bmsc-rotation.md)\n"
    "  --log-level LEVEL        debug, info, warn or error (default info); logfmt on stderr\n"
    "  --log-keys               also log key material (MUK, Ks_NAF): testing only\n"
    "  --help                   this text\n"
    "\n"
    "Stops cleanly on SIGTERM or SIGINT. Exit status: 0 stopped by a signal, 1 start-up\n"
    "failure, 2 usage error.\n";

static int str_set(char *dst, size_t cap, const char *name, const char *v)
{
  return ini_value_str(CMD, name, v, dst, cap);
}

static int num_set(const char *name, const char *v, unsigned long lo, unsigned long hi,
                   unsigned long *out)
{
  return ini_value_uint(CMD, name, v, lo, hi, out);
}

static int addr_set(const char *name, const char *v, char *addr, size_t cap, uint16_t *port,
                    unsigned long min_port)
{
  return ini_value_addr(CMD, name, v, addr, cap, port, min_port);
}

static int bool_set(const char *name, const char *v, bool *out)
{
  return ini_value_bool(CMD, name, v, out);
}

static int digits_set(const char *name, const char *v, size_t lo, size_t hi, char *out)
{
  size_t n = strlen(v);
  if (n < lo || n > hi || strspn(v, "0123456789") != n)
    return cli_usage_error(CMD, "--%s '%s': expected %zu to %zu digits", name, v, lo, hi);
  memcpy(out, v, n + 1);
  return 0;
}

/* One setting by option name (without "--"); v NULL for a bare flag.
 * Returns 0, 2 (usage error printed) or -1 (no such option). */
static int set(void *settings, const char *name, const char *v, int line)
{
  (void)line;
  bmsc_settings *s = settings;
  unsigned long n;
  int rc;
  if (!strcmp(name, "log-keys"))
    return v ? bool_set(name, v, &s->log_keys) : (s->log_keys = true, 0);
  static const char *const valued[] = {"listen",
                                       "admin-listen",
                                       "fqdn",
                                       "store",
                                       "mikey-bind",
                                       "ue-mikey-port",
                                       "zn-peer-addr",
                                       "zn-peer-port",
                                       "zn-identity",
                                       "zn-realm",
                                       "zn-peer",
                                       "zn-tls-cert",
                                       "zn-tls-key",
                                       "zn-tls-ca",
                                       "mcc",
                                       "mnc",
                                       "digest-algs",
                                       "nonce-lifetime",
                                       "msk-v-flag",
                                       "mikey-retx-first-ms",
                                       "mikey-retx-tries",
                                       "http-threads",
                                       "log-level",
                                       "rotate-lead",
                                       "rotate-window",
                                       "rotate-jitter-ms",
                                       "stream-key-group",
                                       "stream-bind",
                                       "stream-ttl",
                                       "mtk-dest",
                                       "mtk-period-ms",
                                       "mtk-interval-ms",
                                       "mtk-lead-ms",
                                       "srtp-dest",
                                       "srtp-rate",
                                       "srtp-payload",
                                       "srtp-file",
                                       "admin-token-file"};
  size_t i = 0;
  while (i < sizeof valued / sizeof valued[0] && strcmp(name, valued[i])) i++;
  if (i == sizeof valued / sizeof valued[0]) return -1;
  if (!v) return cli_usage_error(CMD, "--%s needs a value", name);
  if (!strcmp(name, "listen"))
    return addr_set(name, v, s->listen_addr, sizeof s->listen_addr, &s->listen_port, 1);
  if (!strcmp(name, "admin-listen"))
    return addr_set(name, v, s->admin_addr, sizeof s->admin_addr, &s->admin_port, 1);
  if (!strcmp(name, "mikey-bind"))
    return addr_set(name, v, s->mikey_addr, sizeof s->mikey_addr, &s->mikey_port, 0);
  if (!strcmp(name, "mtk-dest"))
    return addr_set(name, v, s->mtk_dest, sizeof s->mtk_dest, &s->mtk_dest_port, 1);
  if (!strcmp(name, "srtp-dest"))
    return addr_set(name, v, s->srtp_dest, sizeof s->srtp_dest, &s->srtp_dest_port, 1);
  if (!strcmp(name, "stream-bind")) return str_set(s->stream_bind, sizeof s->stream_bind, name, v);
  if (!strcmp(name, "srtp-file")) return str_set(s->srtp_file, sizeof s->srtp_file, name, v);
  if (!strcmp(name, "admin-token-file"))
    return str_set(s->admin_token_file, sizeof s->admin_token_file, name, v);
  if (!strcmp(name, "stream-key-group")) {
    char *end;
    errno = 0;
    const unsigned long g = strtoul(v, &end, 16);
    if (errno || *end || strlen(v) != 4 || strspn(v, "0123456789abcdefABCDEF") != 4)
      return cli_usage_error(CMD, "--%s '%s': expected 4 hex digits", name, v);
    s->stream_key_group = (uint16_t)g;
    return 0;
  }
  if (!strcmp(name, "fqdn")) return str_set(s->fqdn, sizeof s->fqdn, name, v);
  if (!strcmp(name, "store")) return str_set(s->store, sizeof s->store, name, v);
  if (!strcmp(name, "zn-peer-addr"))
    return str_set(s->zn_peer_addr, sizeof s->zn_peer_addr, name, v);
  if (!strcmp(name, "zn-identity")) return str_set(s->zn_identity, sizeof s->zn_identity, name, v);
  if (!strcmp(name, "zn-realm")) return str_set(s->zn_realm, sizeof s->zn_realm, name, v);
  if (!strcmp(name, "zn-peer")) return str_set(s->zn_peer, sizeof s->zn_peer, name, v);
  if (!strcmp(name, "zn-tls-cert")) return str_set(s->zn_tls_cert, sizeof s->zn_tls_cert, name, v);
  if (!strcmp(name, "zn-tls-key")) return str_set(s->zn_tls_key, sizeof s->zn_tls_key, name, v);
  if (!strcmp(name, "zn-tls-ca")) return str_set(s->zn_tls_ca, sizeof s->zn_tls_ca, name, v);
  if (!strcmp(name, "digest-algs")) return str_set(s->digest_algs, sizeof s->digest_algs, name, v);
  if (!strcmp(name, "mcc")) return digits_set(name, v, 3, 3, s->mcc);
  if (!strcmp(name, "mnc")) return digits_set(name, v, 2, 3, s->mnc);
  if (!strcmp(name, "msk-v-flag")) return bool_set(name, v, &s->msk_v_flag);
  if (!strcmp(name, "log-level")) return ini_value_log_level(CMD, name, v, &s->log_level);
  if (!strcmp(name, "ue-mikey-port")) {
    if ((rc = num_set(name, v, 1, 65535, &n))) return rc;
    s->ue_mikey_port = (uint16_t)n;
  } else if (!strcmp(name, "zn-peer-port")) {
    if ((rc = num_set(name, v, 1, 65535, &n))) return rc;
    s->zn_peer_port = (uint16_t)n;
  } else if (!strcmp(name, "nonce-lifetime")) {
    if ((rc = num_set(name, v, 1, 86400, &n))) return rc;
    s->nonce_lifetime_s = (uint32_t)n;
  } else if (!strcmp(name, "mikey-retx-first-ms")) {
    if ((rc = num_set(name, v, 1, 600000, &n))) return rc;
    s->retx_first_ms = (uint32_t)n;
  } else if (!strcmp(name, "rotate-lead")) { /* docs/bmsc-rotation.md */
    if ((rc = num_set(name, v, 1, 31536000, &n))) return rc;
    s->rotate_lead_s = (uint32_t)n;
  } else if (!strcmp(name, "rotate-window")) {
    if ((rc = num_set(name, v, 0, 4000000, &n))) return rc;
    s->rotate_window_s = (uint32_t)n;
  } else if (!strcmp(name, "rotate-jitter-ms")) {
    if ((rc = num_set(name, v, 0, 3600000, &n))) return rc;
    s->rotate_jitter_ms = (uint32_t)n;
  } else if (!strcmp(name, "http-threads")) {
    if ((rc = num_set(name, v, 1, 64, &n))) return rc;
    s->http_threads = (unsigned)n;
  } else if (!strcmp(name, "stream-ttl")) {
    if ((rc = num_set(name, v, 1, 255, &n))) return rc;
    s->stream_ttl = (unsigned)n;
  } else if (!strcmp(name, "mtk-period-ms")) {
    if ((rc = num_set(name, v, 1, 3600000, &n))) return rc;
    s->mtk_period_ms = (uint32_t)n;
  } else if (!strcmp(name, "mtk-interval-ms")) {
    if ((rc = num_set(name, v, 1, 86400000, &n))) return rc;
    s->mtk_interval_ms = (uint32_t)n;
  } else if (!strcmp(name, "mtk-lead-ms")) {
    if ((rc = num_set(name, v, 0, 3600000, &n))) return rc;
    s->mtk_lead_ms = (uint32_t)n;
  } else if (!strcmp(name, "srtp-rate")) {
    if ((rc = num_set(name, v, 1, 10000, &n))) return rc;
    s->srtp_rate = (uint32_t)n;
  } else if (!strcmp(name, "srtp-payload")) {
    if ((rc = num_set(name, v, 6, 1200, &n))) return rc;
    s->srtp_payload = (uint32_t)n;
  } else { /* mikey-retx-tries */
    if ((rc = num_set(name, v, 1, MBMSEC_BMSC_TRIES_MAX, &n))) return rc;
    s->retx_tries = (unsigned)n;
  }
  return 0;
}

int bmsc_settings_load(bmsc_settings *s, int argc, char **argv)
{
  *s = (bmsc_settings){.listen_addr = "127.0.0.1",
                       .listen_port = 8081,
                       .admin_addr = "127.0.0.1",
                       .admin_port = 9081,
                       .fqdn = "bmsc.example.org",
                       .store = "sqlite:bmsc.db",
                       .mikey_addr = "127.0.0.1",
                       .mikey_port = 0,
                       .ue_mikey_port = MBMSEC_MIKEY_UDP_PORT_DEFAULT,
                       .zn_peer_addr = "127.0.0.1",
                       .zn_peer_port = 3868,
                       .zn_identity = "bmsc.zn.test",
                       .zn_realm = "zn.test",
                       .zn_peer = "bsf.zn.test",
                       .mcc = "001",
                       .mnc = "01",
                       .digest_algs = MBMSEC_HTTP_DIGEST_ALGS_DEFAULT,
                       .nonce_lifetime_s = MBMSEC_HTTP_NONCE_LIFETIME_S_DEFAULT,
                       .msk_v_flag = MBMSEC_MIKEY_MSK_V_FLAG_DEFAULT != 0,
                       .retx_first_ms = MBMSEC_MIKEY_RETX_FIRST_MS_DEFAULT,
                       .retx_tries = MBMSEC_MIKEY_RETX_TRIES_DEFAULT,
                       .log_level = DLOG_INFO,
                       .rotate_lead_s = 3600,
                       .rotate_window_s = 600,
                       .rotate_jitter_ms = 2000,
                       .stream_key_group = 1,
                       .stream_bind = "127.0.0.1",
                       .stream_ttl = 1,
                       .mtk_period_ms = 1000,
                       .mtk_interval_ms = 60000,
                       .mtk_lead_ms = 1000,
                       .srtp_rate = 50,
                       .srtp_payload = 160};
  static const char *const flags[] = {"log-keys", NULL};
  const ini_options o = {
      .cmd = CMD, .help = HELP, .section = "bmsc", .flags = flags, .set = set, .settings = s};
  const int rc = ini_options_load(&o, argc, argv);
  if (rc) return rc;
  const int tls = (s->zn_tls_cert[0] != 0) + (s->zn_tls_key[0] != 0) + (s->zn_tls_ca[0] != 0);
  if (tls != 0 && tls != 3)
    return cli_usage_error(CMD, "--zn-tls-cert, --zn-tls-key and --zn-tls-ca go together");
  return 0;
}
