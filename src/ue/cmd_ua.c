/* mbmsec-ue register | deregister | msk-request: one request to a BM-SC over Ua (HTTP Digest
 * with the B-TID and MRK of the bootstrap in the state file), per-item codes printed; for an
 * MSK request optionally the MIKEY MSK messages that follow, received on UDP, verified with
 * the MUK, acknowledged and stored (lib/ue: ua_client_req.c, ua_client_http.c, ue_mikey.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/ue.h"
#include "mbmsec/ue_km.h"
#include "mbmsec/ue_mikey.h"
#include "ue_cli.h"

int cmd_register(int argc, char **argv);
int cmd_deregister(int argc, char **argv);
int cmd_msk_request(int argc, char **argv);

#define ITEMS_MAX       MBMSEC_XML_MAX_ITEMS
#define MIKEY_LINES_MAX 64

static const char HELP_REG[] =
    "Usage: mbmsec-ue register|deregister --bmsc URL --state FILE (--service-id S)...\n"
    "           [--naf-fqdn FQDN] [--bind ADDR] [--timeout-ms N] [--mrk-muk-mode kdf|none]\n"
    "           [--mikey-listen ADDR:PORT --wait-ms N --mikey-state FILE] [--json]\n\n"
    "POSTs <URL path>/keymanagement?requesttype=register|deregister with the serviceIds\n"
    "(repeat --service-id for each), authenticated with HTTP Digest (username = B-TID of\n"
    "the state file, password = base64(MRK), qop=auth-int); the 200's rspauth is verified\n"
    "before its body is read. Prints http_status, exchanges and one code_NNN line per\n"
    "status group (its items separated by spaces).\n";
static const char HELP_MSK[] =
    "Usage: mbmsec-ue msk-request --bmsc URL --state FILE (--key-id B64)...\n"
    "           [--naf-fqdn FQDN] [--bind ADDR] [--timeout-ms N] [--mrk-muk-mode kdf|none]\n"
    "           [--mikey-listen ADDR:PORT [--wait-ms N] [--mikey-state FILE]] [--json]\n\n"
    "POSTs <URL path>/keymanagement?requesttype=msk-request with the keyIds (base64 of Key\n"
    "Domain ID || MSK ID, 12 characters; repeat --key-id for each). Output as register.\n";
static const char HELP_COMMON[] =
    "  --naf-fqdn FQDN      BM-SC FQDN of the NAF_Id and the realm (default: URL host)\n"
    "  --bind ADDR          local IP address of the HTTP connection; the BM-SC sends MIKEY\n"
    "                       to it (profile P6), e.g. 127.0.0.7 for one of many UEs\n"
    "  --timeout-ms N       bound of each HTTP request (default 10000)\n"
    "  --mikey-listen A:P   IPv4 address:port to receive MIKEY on (bound before the POST);\n"
    "                       messages are verified with the MUK, V=1 answered to the source\n"
    "  --wait-ms N          how long to listen after the 200 (default 5000); msk-request\n"
    "                       stops early once every 200 keyId got its MSK\n"
    "  --mikey-state FILE   MIKEY receiver state (counters, MSKs), saved after each accepted\n"
    "                       message (mode 0600); default: memory only\n"
    "  --drop-first N       TEST AID: discard the first N datagrams received on the MIKEY\n"
    "                       socket unread, as if lost on the way (exercises the BM-SC's\n"
    "                       retransmission, profile P13); default 0\n"
    "Exit: 0 done (per-item codes may still be errors), 1 failed (reason on stderr; a\n"
    "refused B-TID says to bootstrap again), 2 usage error.\n";

/* Removes every "--name V" / "--name=V" from argv into vals; the rest stays for cli_parse. */
static int take_repeated(const char *cmd, const char *name, int *argc, char **argv,
                         const char **vals, size_t *n)
{
  const size_t nl = strlen(name);
  int w = 1;
  for (int i = 1; i < *argc; i++) {
    const char *a = argv[i], *v = NULL;
    if (!strcmp(a, name)) {
      if (i + 1 >= *argc) return cli_usage_error(cmd, "%s needs a value", name);
      v = argv[++i];
    } else if (!strncmp(a, name, nl) && a[nl] == '=') {
      v = a + nl + 1;
    } else {
      argv[w++] = argv[i];
      continue;
    }
    if (*n >= ITEMS_MAX) return cli_usage_error(cmd, "more than %d %s values", ITEMS_MAX, name);
    vals[(*n)++] = v;
  }
  *argc = w;
  return CLI_OK;
}

static int udp_listen(const char *cmd, const char *spec, int *fd)
{
  char host[64];
  const char *colon = strrchr(spec, ':');
  if (!colon || (size_t)(colon - spec) >= sizeof host)
    return cli_usage_error(cmd, "--mikey-listen: expected IPv4:PORT, got '%s'", spec);
  memcpy(host, spec, (size_t)(colon - spec));
  host[colon - spec] = 0;
  uint64_t port = 0;
  struct sockaddr_in sa = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
      cli_uint_arg(cmd, "--mikey-listen", colon + 1, 65535, &port))
    return cli_usage_error(cmd, "--mikey-listen: expected IPv4:PORT, got '%s'", spec);
  sa.sin_port = htons((uint16_t)port);
  *fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (*fd < 0 || bind(*fd, (struct sockaddr *)&sa, sizeof sa) != 0)
    return cli_fail(cmd, "cannot bind UDP %s: %s", spec, strerror(errno));
  return CLI_OK;
}

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* msk-request: does an accepted MSK answer this 200 item (key number 0 = any of the group)? */
typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN], msk_id[MBMSEC_MSK_ID_LEN];
  bool got;
} want_t;

static void mark_got(want_t *w, size_t n, const mbmsec_mikey_msk_info *info)
{
  for (size_t i = 0; i < n; i++) {
    if (memcmp(w[i].kdid, info->kdid, MBMSEC_KDID_LEN)) continue;
    if (mbmsec_xml_msk_is_current(w[i].msk_id)
            ? !memcmp(w[i].msk_id, info->msk_id, 2)
            : !memcmp(w[i].msk_id, info->msk_id, MBMSEC_MSK_ID_LEN))
      w[i].got = true;
  }
}

static const char *outcome_name(mbmsec_mikey_msk_outcome o)
{
  return o == MBMSEC_MIKEY_MSK_NEW ? "new" : o == MBMSEC_MIKEY_MSK_DUPLICATE ? "duplicate" : "pull";
}

static int run(const char *cmd, mbmsec_ue_km_type type, int argc, char **argv)
{
  const char *items[ITEMS_MAX];
  size_t n_items = 0;
  const char *item_opt = type == MBMSEC_UE_KM_MSK ? "--key-id" : "--service-id";
  int rc = take_repeated(cmd, item_opt, &argc, argv, items, &n_items);
  if (rc != CLI_OK) return rc;
  static const char *const names[] = {
      "--bmsc",         "--state",        "--naf-fqdn", "--bind",        "--timeout-ms",
      "--mrk-muk-mode", "--mikey-listen", "--wait-ms",  "--mikey-state", "--drop-first"};
  const char *v[10] = {0};
  bool json = false, help = false;
  rc = cli_parse_values(cmd, argc, argv, names, v, 10, &json, &help);
  if (rc != CLI_OK) return rc;
  if (help) {
    fputs(type == MBMSEC_UE_KM_MSK ? HELP_MSK : HELP_REG, stdout);
    fputs(HELP_COMMON, stdout);
    return CLI_OK;
  }
  const char *url = v[0], *state = v[1], *naf = v[2], *bind_addr = v[3], *listen_s = v[6],
             *mstate = v[8];
  if (!url || !state || n_items == 0)
    return cli_usage_error(cmd, "--bmsc, --state and at least one %s are required", item_opt);
  uint64_t tmo = 10000, wait = 5000, drop_first = 0;
  if (v[4] && cli_uint_arg(cmd, "--timeout-ms", v[4], 600000, &tmo)) return CLI_USAGE;
  if (tmo == 0) return cli_usage_error(cmd, "--timeout-ms must be positive");
  if (v[7] && cli_uint_arg(cmd, "--wait-ms", v[7], 600000, &wait)) return CLI_USAGE;
  if (v[9] && cli_uint_arg(cmd, "--drop-first", v[9], 1000000, &drop_first)) return CLI_USAGE;
  if ((v[7] || mstate || v[9]) && !listen_s)
    return cli_usage_error(cmd, "--wait-ms, --mikey-state and --drop-first need --mikey-listen");
  mbmsec_mrk_muk_mode mode = MBMSEC_MRK_MUK_KDF;
  if (v[5] && mbmsec_gba_mode_parse(v[5], &mode) != MBMSEC_OK)
    return cli_usage_error(cmd, "--mrk-muk-mode: kdf or none, got '%s'", v[5]);
  char host[MBMSEC_UE_ID_MAX + 1], path[MBMSEC_UE_ID_MAX + 1];
  if (mbmsec_ue_url_parts(url, host, sizeof host, path, sizeof path) != MBMSEC_OK)
    return cli_usage_error(cmd, "--bmsc: expected an http:// or https:// URL, got '%s'", url);
  if (!naf) naf = host;

  int fd = -1;
  mbmsec_ue_bootstrap b;
  uint8_t ks_naf[32], mrk[32], muk[32];
  mbmsec_ue_km *k = NULL;
  mbmsec_ue_km_http *http = NULL;
  mbmsec_ue_mikey *rx = NULL;
  mbmsec_ue_mikey_result *res = NULL;
  want_t *want = NULL;
  char(*lines)[160] = NULL;
  size_t n_lines = 0, n_want = 0, refused = 0, dropped = 0;
  memset(&b, 0, sizeof b);
  memset(ks_naf, 0, sizeof ks_naf), memset(mrk, 0, sizeof mrk), memset(muk, 0, sizeof muk);
  mbmsec_err e = mbmsec_ue_state_load(state, &b);
  if (e != MBMSEC_OK) {
    rc = cli_fail(cmd, "state file %s: %s", state, mbmsec_strerror(e));
    goto out;
  }
  e = mbmsec_ue_naf_keys(&b, naf, mode, (int64_t)time(NULL), ks_naf, mrk, muk);
  if (e != MBMSEC_OK) {
    rc = cli_fail(cmd, "NAF keys for %s: %s%s", naf, mbmsec_strerror(e),
                  e == MBMSEC_ERR_UE_EXPIRED ? " (bootstrap again)" : "");
    goto out;
  }
  if (listen_s) {
    if ((rc = udp_listen(cmd, listen_s, &fd)) != CLI_OK) goto out;
    e = mbmsec_ue_mikey_open(mstate, &rx);
    if (e == MBMSEC_OK) e = mbmsec_ue_mikey_set_muk(rx, naf, b.btid, muk);
    if (e != MBMSEC_OK) {
      rc = cli_fail(cmd, "MIKEY receiver: %s", mbmsec_strerror(e));
      goto out;
    }
  }
  e = mbmsec_ue_km_new(url, naf, &k);
  if (e == MBMSEC_OK) e = mbmsec_ue_km_set_credentials(k, b.btid, mrk);
  if (e == MBMSEC_OK) e = mbmsec_ue_km_http_new(url, (long)tmo, bind_addr, &http);
  if (e != MBMSEC_OK) {
    rc = e == MBMSEC_ERR_ARG ? cli_usage_error(cmd, "--bmsc or --bind not usable")
                             : cli_fail(cmd, "%s", mbmsec_strerror(e));
    goto out;
  }
  e = mbmsec_ue_km_run(k, type, items, n_items, mbmsec_ue_km_http_post, http, NULL, NULL);
  if (e != MBMSEC_OK) {
    if (mbmsec_ue_km_needs_bootstrap(k))
      rc = cli_fail(cmd, "BM-SC refused the B-TID %s: bootstrap again (mbmsec-ue bootstrap)",
                    b.btid);
    else if (e == MBMSEC_ERR_UE_HTTP)
      rc = cli_fail(cmd, "HTTP error: %s", mbmsec_ue_km_http_error(http));
    else if (e == MBMSEC_ERR_UE_NO_CHALLENGE)
      rc = cli_fail(cmd,
                    "the 401 has no Digest SHA-256/MD5 challenge with qop auth-int for "
                    "realm " MBMSEC_MBMS_REALM_PREFIX
                    "%s (give the BM-SC's FQDN with --naf-fqdn) [%s]",
                    naf, mbmsec_errname(e));
    else if (e == MBMSEC_ERR_UE_HTTP_STATUS)
      rc = cli_fail(cmd, "unexpected answer (HTTP %ld) [%s]", mbmsec_ue_km_last_status(k),
                    mbmsec_errname(e));
    else
      rc = cli_fail(cmd, "%s [%s]", mbmsec_strerror(e), mbmsec_errname(e));
    goto out;
  }
  const size_t n = mbmsec_ue_km_n_items(k);
  if (rx) {
    res = calloc(1, sizeof *res);
    want = calloc(n + 1, sizeof *want);
    lines = calloc(MIKEY_LINES_MAX, sizeof *lines);
    if (!res || !want || !lines) {
      rc = cli_fail(cmd, "out of memory");
      goto out;
    }
    for (size_t i = 0; i < n && type == MBMSEC_UE_KM_MSK; i++) {
      mbmsec_ue_km_item it;
      if (mbmsec_ue_km_item_get(k, i, &it) == MBMSEC_OK && it.code == 200 && it.keyid_ok) {
        memcpy(want[n_want].kdid, it.kdid, MBMSEC_KDID_LEN);
        memcpy(want[n_want].msk_id, it.msk_id, MBMSEC_MSK_ID_LEN);
        n_want++;
      }
    }
    const int64_t end = now_ms() + (int64_t)wait;
    for (;;) {
      size_t missing = 0;
      for (size_t i = 0; i < n_want; i++) missing += !want[i].got;
      if (type == MBMSEC_UE_KM_MSK && n_want && !missing) break;
      const int64_t left = end - now_ms();
      if (left <= 0) break;
      struct pollfd pfd = {.fd = fd, .events = POLLIN};
      if (poll(&pfd, 1, (int)left) <= 0) continue;
      uint8_t dg[2048];
      struct sockaddr_storage from;
      socklen_t fl = sizeof from;
      ssize_t got = recvfrom(fd, dg, sizeof dg, 0, (struct sockaddr *)&from, &fl);
      if (got < 0) continue;
      if (dropped < drop_first) { /* test aid: lost on the way, never parsed nor answered */
        dropped++;
        continue;
      }
      e = mbmsec_ue_mikey_feed(rx, dg, (size_t)got, (struct sockaddr *)&from, fl, NULL, res);
      if (e != MBMSEC_OK) {
        refused++;
        fprintf(stderr, "%s %s: MIKEY message refused: %s [%s]\n", cli_program(), cmd,
                mbmsec_strerror(e), mbmsec_errname(e));
        continue;
      }
      char line[160];
      if (res->kind == MBMSEC_UE_MIKEY_GOT_MSK) {
        const mbmsec_mikey_msk_info *in = &res->msk.info;
        snprintf(line, sizeof line, "msk %02x%02x%02x:%02x%02x%02x%02x %s counter=%u vf=%u vt=%u",
                 in->kdid[0], in->kdid[1], in->kdid[2], in->msk_id[0], in->msk_id[1], in->msk_id[2],
                 in->msk_id[3], outcome_name(res->msk.outcome), (unsigned)in->counter, in->vf,
                 in->vt);
        if (res->msk.outcome != MBMSEC_MIKEY_MSK_PULL) mark_got(want, n_want, in);
        if (res->reply_len && sendto(fd, res->msk.ver, res->msk.ver_len, 0,
                                     (struct sockaddr *)&res->reply_to, res->reply_len) < 0)
          fprintf(stderr, "%s %s: cannot send the verification message: %s\n", cli_program(), cmd,
                  strerror(errno));
      } else {
        snprintf(line, sizeof line, "mtk %02x%02x%02x:%02x%02x%02x%02x mtk_id=%u", res->mtk.kdid[0],
                 res->mtk.kdid[1], res->mtk.kdid[2], res->mtk.msk_id[0], res->mtk.msk_id[1],
                 res->mtk.msk_id[2], res->mtk.msk_id[3], res->mtk.mtk_id);
      }
      if (n_lines < MIKEY_LINES_MAX) memcpy(lines[n_lines++], line, sizeof line);
      mbmsec_ue_mikey_result_cleanse(res);
    }
  }

  cli_out o;
  cli_out_begin(&o, json);
  char buf[32];
  snprintf(buf, sizeof buf, "%ld", mbmsec_ue_km_last_status(k));
  cli_out_str(&o, "http_status", buf);
  snprintf(buf, sizeof buf, "%u", mbmsec_ue_km_exchanges(k));
  cli_out_str(&o, "exchanges", buf);
  /* One line per status group, in document order of the first item of each code. */
  unsigned done_codes[16];
  size_t n_codes = 0;
  for (size_t i = 0; i < n; i++) {
    mbmsec_ue_km_item it;
    if (mbmsec_ue_km_item_get(k, i, &it) != MBMSEC_OK) continue;
    bool seen = false;
    for (size_t j = 0; j < n_codes; j++) seen |= done_codes[j] == it.code;
    if (seen || n_codes == 16) continue;
    done_codes[n_codes++] = it.code;
    char *list = calloc(n, MBMSEC_XML_TEXT_MAX + 2);
    if (!list) continue;
    for (size_t j = i; j < n; j++) {
      mbmsec_ue_km_item jt;
      if (mbmsec_ue_km_item_get(k, j, &jt) != MBMSEC_OK || jt.code != it.code) continue;
      if (*list) strcat(list, " ");
      strcat(list, jt.text);
    }
    char name[16];
    snprintf(name, sizeof name, "code_%u", it.code);
    cli_out_str(&o, name, list);
    free(list);
  }
  for (size_t i = 0; i < n_lines; i++) {
    char name[32];
    snprintf(name, sizeof name, "mikey_%zu", i + 1);
    cli_out_str(&o, name, lines[i]);
  }
  if (rx) {
    snprintf(buf, sizeof buf, "%zu", refused);
    cli_out_str(&o, "mikey_refused", buf);
    snprintf(buf, sizeof buf, "%zu", dropped);
    cli_out_str(&o, "mikey_dropped", buf);
  }
  cli_out_end(&o);
  rc = CLI_OK;
  size_t missing = 0;
  for (size_t i = 0; i < n_want; i++) missing += !want[i].got;
  if (missing)
    rc = cli_fail(cmd, "%zu keyId(s) answered 200 got no MSK message within %llu ms", missing,
                  (unsigned long long)wait);
out:
  if (fd >= 0) close(fd);
  mbmsec_cleanse(ks_naf, sizeof ks_naf);
  mbmsec_cleanse(mrk, sizeof mrk);
  mbmsec_cleanse(muk, sizeof muk);
  mbmsec_ue_bootstrap_cleanse(&b);
  if (res) {
    mbmsec_ue_mikey_result_cleanse(res);
    free(res);
  }
  free(want);
  free(lines);
  mbmsec_ue_mikey_free(rx);
  mbmsec_ue_km_http_free(http);
  mbmsec_ue_km_free(k);
  return rc;
}

int cmd_register(int argc, char **argv)
{
  return run("register", MBMSEC_UE_KM_REGISTER, argc, argv);
}

int cmd_deregister(int argc, char **argv)
{
  return run("deregister", MBMSEC_UE_KM_DEREGISTER, argc, argv);
}

int cmd_msk_request(int argc, char **argv)
{
  return run("msk-request", MBMSEC_UE_KM_MSK, argc, argv);
}
