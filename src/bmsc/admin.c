/* Administration commands. `service` and `subscriber` operate on the store's membership
 * tables (lib/store, lib/members); the daemon reads them per request, so they take effect
 * while it runs. `ue list` asks the running daemon's admin port, because the delivery state
 * (UE address, counters, pending/delivered/failed) lives in its MIKEY engine's memory. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../cli.h"
#include "bmsc.h"
#include "log.h"
#include <openssl/crypto.h>

#include "mbmsec/bulk.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/keyid.h"

#define FETCH_TIMEOUT_MS     5000
#define TOKEN_SUFFIX         ".admin-token"
#define FETCH_MAX            (16u << 20)
#define MSK_LIFETIME_DEFAULT 86400

static mbmsec_store *open_store(const char *cmd, const char *uri)
{
  mbmsec_store *st = NULL;
  mbmsec_err rc = mbmsec_store_open(uri, &st);
  if (rc != MBMSEC_OK) cli_fail(cmd, "cannot open the store %s: %s", uri, mbmsec_errname(rc));
  return st;
}

static const char SERVICE_HELP[] =
    "Usage: mbmsec-bmsc service add --store URI --service-id S --key-group HEX4\n"
    "                               [--msk-lifetime S] [--mcc NNN --mnc NN[N]]\n"
    "       mbmsec-bmsc service list --store URI [--json]\n\n"
    "add: a user service (serviceId of the USD) protected by Key Group HEX4 (2 octets) of the\n"
    "Key Domain MCC||MNC (default 001/01, P5), MSKs valid --msk-lifetime seconds (default\n"
    "86400); generates its current and next MSK (the running daemon keeps generating).\n"
    "list: every service with its Key Domain, lifetime, Key Groups and their current/next key\n"
    "numbers (`service_id=... kdid=... msk_lifetime=... key_group=... current=... next=...`).\n";

static int service_add(int argc, char **argv)
{
  static const char *const names[] = {"--store",        "--service-id", "--key-group",
                                      "--msk-lifetime", "--mcc",        "--mnc"};
  const char *v[6] = {NULL};
  bool help = false;
  if (cli_parse_values("service add", argc, argv, names, v, 6, NULL, &help)) return CLI_USAGE;
  if (help) return fputs(SERVICE_HELP, stdout), CLI_OK;
  if (!v[0] || !v[1] || !v[2])
    return cli_usage_error("service add", "--store, --service-id and --key-group are required");
  uint8_t kg[2];
  uint64_t life = MSK_LIFETIME_DEFAULT;
  const char *mcc = v[4] ? v[4] : "001", *mnc = v[5] ? v[5] : "01";
  if (cli_hex_arg("service add", "--key-group", v[2], kg, 2, 2, NULL)) return CLI_USAGE;
  if (v[3] && (cli_uint_arg("service add", "--msk-lifetime", v[3], 315360000, &life) || life == 0))
    return cli_usage_error("service add", "--msk-lifetime: 1..315360000 seconds");
  if (strlen(mcc) != 3 || strspn(mcc, "0123456789") != 3 || strlen(mnc) < 2 || strlen(mnc) > 3 ||
      strspn(mnc, "0123456789") != strlen(mnc))
    return cli_usage_error("service add", "--mcc: 3 digits, --mnc: 2 or 3 digits");
  uint8_t kdid[MBMSEC_KDID_LEN];
  if (mbmsec_kdid_from_plmn(mcc, mnc, kdid) != MBMSEC_OK)
    return cli_usage_error("service add", "--mcc: 3 digits, --mnc: 2 or 3 digits");
  mbmsec_store *st = open_store("service add", v[0]);
  if (!st) return CLI_FAIL;
  mbmsec_store_service_in in = {
      .service_id = v[1], .kdid = kdid, .kdid_len = MBMSEC_KDID_LEN, .msk_lifetime = (int64_t)life};
  mbmsec_err rc = mbmsec_store_service_add(st, &in);
  if (rc == MBMSEC_OK) rc = mbmsec_store_key_group_add(st, v[1], mbmsec_msk_id_group(kg));
  int ret = CLI_OK;
  if (rc != MBMSEC_OK)
    ret = cli_fail("service add", "%s: %s", v[1], mbmsec_errname(rc));
  else {
    dlog_set_level(DLOG_WARN);  /* quiet: the MSK lines are for the daemon's log */
    bmsc_rotate_keep_store(st); /* lib/bmsc's policy over the store (no daemon context) */
  }
  mbmsec_store_close(st);
  return ret;
}

static int service_list(int argc, char **argv)
{
  static const char *const names[] = {"--store"};
  const char *v[1] = {NULL};
  bool help = false, json = false;
  if (cli_parse_values("service list", argc, argv, names, v, 1, &json, &help)) return CLI_USAGE;
  if (help) return fputs(SERVICE_HELP, stdout), CLI_OK;
  if (!v[0]) return cli_usage_error("service list", "--store is required");
  mbmsec_store *st = open_store("service list", v[0]);
  if (!st) return CLI_FAIL;
  mbmsec_store_service *svc = NULL; /* every service, no cap */
  size_t nsvc = 0;
  mbmsec_err rc = mbmsec_members_service_all(st, &svc, &nsvc);
  const int64_t now = (int64_t)time(NULL);
  if (json) putchar('[');
  for (size_t i = 0; rc == MBMSEC_OK && i < nsvc; i++) {
    const mbmsec_store_service *s = &svc[i];
    uint16_t g[MBMSEC_MEMBERS_GROUPS_PER_SERVICE];
    size_t ng = 0;
    rc = mbmsec_store_key_group_list(st, s->service_id, g, MBMSEC_MEMBERS_GROUPS_PER_SERVICE, &ng);
    if (json) {
      printf("%s{\"service_id\":", i ? "," : "");
      cli_json_string(s->service_id);
      printf(",\"kdid\":\"%02x%02x%02x\",\"msk_lifetime\":%lld,\"key_groups\":[", s->kdid[0],
             s->kdid[1], s->kdid[2], (long long)s->msk_lifetime);
    }
    for (size_t k = 0; rc == MBMSEC_OK && k < ng; k++) {
      mbmsec_members_group_state gs;
      if (mbmsec_members_group_state_get(st, s->kdid, g[k], now, &gs) != MBMSEC_OK)
        memset(&gs, 0, sizeof gs);
      if (json)
        printf("%s{\"key_group\":\"%04x\",\"current\":%d,\"next\":%d}", k ? "," : "", g[k],
               gs.has_current ? gs.current : 0, gs.has_next ? gs.next : 0);
      else
        printf(
            "service_id=%s kdid=%02x%02x%02x msk_lifetime=%lld key_group=%04x current=%u next=%u\n",
            s->service_id, s->kdid[0], s->kdid[1], s->kdid[2], (long long)s->msk_lifetime, g[k],
            gs.has_current ? gs.current : 0u, gs.has_next ? gs.next : 0u);
    }
    if (json) printf("]}");
  }
  if (json) puts("]");
  free(svc);
  mbmsec_store_close(st);
  return rc == MBMSEC_OK ? CLI_OK : cli_fail("service list", "%s", mbmsec_errname(rc));
}

int bmsc_cmd_service(int argc, char **argv)
{
  if (argc >= 2 && !strcmp(argv[1], "add")) return service_add(argc - 1, argv + 1);
  if (argc >= 2 && !strcmp(argv[1], "list")) return service_list(argc - 1, argv + 1);
  if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
    return fputs(SERVICE_HELP, stdout), CLI_OK;
  return cli_usage_error("service", "expected 'service add' or 'service list'");
}

/* IMPI lists are read whole: 10,000 IMPIs are well under a megabyte. */
#define IMPI_FILE_MAX (64u << 20)

typedef struct {
  mbmsec_store *st;
  const char *service_id;
  bool grant;
  unsigned long n;
  char impi[MBMSEC_STORE_IMPI_MAX + 1]; /* the one the store refused, for the message */
} impi_file_ctx;

static mbmsec_err impi_one(const char *impi, unsigned long line, void *arg)
{
  impi_file_ctx *c = arg;
  (void)line;
  mbmsec_err rc = c->grant ? mbmsec_store_subscription_grant(c->st, impi, c->service_id)
                           : mbmsec_store_subscription_revoke(c->st, impi, c->service_id);
  if (rc == MBMSEC_OK)
    c->n++;
  else
    snprintf(c->impi, sizeof c->impi, "%s", impi);
  return rc;
}

/* grant|revoke --file: every IMPI of the file in one store transaction (bulk provisioning,
 * e.g. the load generator's 10,000 subscribers), all or none. */
static int subscriber_file(const char *cmd, bool grant, const char *uri, const char *path,
                           const char *service_id)
{
  uint8_t *text = NULL;
  size_t len = 0;
  if (cli_read_input(cmd, path, IMPI_FILE_MAX, &text, &len)) return CLI_FAIL;
  mbmsec_store *st = open_store(cmd, uri);
  int ret = CLI_FAIL;
  bool began = false;
  impi_file_ctx c = {.st = st, .service_id = service_id, .grant = grant};
  mbmsec_bulk_pos pos;
  if (!st) goto out;
  mbmsec_err rc = mbmsec_store_batch_begin(st);
  if (rc != MBMSEC_OK) {
    cli_fail(cmd, "%s", mbmsec_errname(rc));
    goto out;
  }
  began = true;
  rc = mbmsec_bulk_impis(text, len, impi_one, &c, &pos);
  if (rc != MBMSEC_OK && pos.why) {
    cli_fail(cmd, "%s:%lu: %s; nothing changed", path, pos.line, pos.why);
    goto out;
  }
  if (rc != MBMSEC_OK) {
    cli_fail(cmd, "%s:%lu: %s / %s: %s; nothing changed", path, pos.line, c.impi, service_id,
             mbmsec_errname(rc));
    goto out;
  }
  rc = mbmsec_store_batch_commit(st);
  if (rc != MBMSEC_OK) {
    cli_fail(cmd, "commit: %s; nothing changed", mbmsec_errname(rc));
    goto out;
  }
  began = false;
  printf("%s=%lu\n", grant ? "granted" : "revoked", c.n);
  ret = CLI_OK;
out:
  if (began) mbmsec_store_batch_rollback(st);
  mbmsec_store_close(st);
  free(text);
  return ret;
}

int bmsc_cmd_subscriber(int argc, char **argv)
{
  static const char HELP[] =
      "Usage: mbmsec-bmsc subscriber grant|revoke --store URI (--impi S | --file FILE)\n"
      "                                           --service-id S\n\n"
      "Grants (or revokes) the subscriber IMPI the user service: a register item for it is\n"
      "then answered 200 (or 401, not subscribed). Revoking keeps existing registrations.\n"
      "--file FILE: one IMPI a line ('#' lines and blank lines skipped, LF or CRLF, at most\n"
      "1024 octets a line; '-' = standard input), all in one transaction: every line takes\n"
      "effect or none does (the first bad line is named).\n";
  if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
    return fputs(HELP, stdout), CLI_OK;
  if (argc < 2 || (strcmp(argv[1], "grant") && strcmp(argv[1], "revoke")))
    return cli_usage_error("subscriber", "expected 'subscriber grant' or 'subscriber revoke'");
  const bool grant = !strcmp(argv[1], "grant");
  const char *cmd = grant ? "subscriber grant" : "subscriber revoke";
  static const char *const names[] = {"--store", "--impi", "--service-id", "--file"};
  const char *v[4] = {NULL};
  bool help = false;
  if (cli_parse_values(cmd, argc - 1, argv + 1, names, v, 4, NULL, &help)) return CLI_USAGE;
  if (help) return fputs(HELP, stdout), CLI_OK;
  if (!v[0] || !v[2] || !v[1] == !v[3])
    return cli_usage_error(cmd, "--store, --service-id and one of --impi and --file are required");
  if (v[3]) return subscriber_file(cmd, grant, v[0], v[3], v[2]);
  mbmsec_store *st = open_store(cmd, v[0]);
  if (!st) return CLI_FAIL;
  mbmsec_err rc = grant ? mbmsec_store_subscription_grant(st, v[1], v[2])
                        : mbmsec_store_subscription_revoke(st, v[1], v[2]);
  mbmsec_store_close(st);
  return rc == MBMSEC_OK ? CLI_OK : cli_fail(cmd, "%s / %s: %s", v[1], v[2], mbmsec_errname(rc));
}

/* GET path (token NULL) or POST path with "Authorization: Bearer token" from addr:port over
 * HTTP/1.0; the body (malloc'd) on a 200, else NULL. */
static char *http_get(const char *cmd, const char *addr, uint16_t port, const char *path,
                      const char *token, size_t *len)
{
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
    cli_usage_error(cmd, "--admin '%s': not an IPv4 address", addr);
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char *buf = NULL;
  size_t n = 0, cap = 0;
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    cli_fail(cmd, "cannot connect to %s:%u: %s", addr, (unsigned)port, strerror(errno));
    goto out;
  }
  char req[1536];
  int rl = token ? snprintf(req, sizeof req,
                            "POST %s HTTP/1.0\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                            "Content-Length: 0\r\n\r\n",
                            path, addr, token)
                 : snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, addr);
  const bool sent = rl > 0 && (size_t)rl < sizeof req && write(fd, req, (size_t)rl) == rl;
  mbmsec_cleanse(req, sizeof req);
  if (!sent) goto io;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, FETCH_TIMEOUT_MS) <= 0) goto io;
    if (n + 4096 > cap) {
      char *nb = cap >= FETCH_MAX ? NULL : realloc(buf, cap = cap * 2 + 8192);
      if (!nb) goto io;
      buf = nb;
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0) goto io;
    if (r == 0) break;
    n += (size_t)r;
  }
  if (!buf) goto io;
  buf[n] = 0;
  char *body = strstr(buf, "\r\n\r\n");
  if (strncmp(buf, "HTTP/1.", 7) || strncmp(buf + 8, " 200", 4) || !body) {
    /* the admin actions explain a refusal in the body (`error=NAME text`) */
    cli_fail(cmd, "the daemon answered: %.*s%s%.*s", (int)strcspn(buf, "\r\n"), buf,
             body && body[4] ? ": " : "", body ? (int)strcspn(body + 4, "\n") : 0,
             body ? body + 4 : "");
    goto out;
  }
  body += 4;
  *len = n - (size_t)(body - buf);
  memmove(buf, body, *len + 1);
  close(fd);
  return buf;
io:
  cli_fail(cmd, "no answer from %s:%u", addr, (unsigned)port);
out:
  free(buf);
  if (fd >= 0) close(fd);
  return NULL;
}

/* --admin ADDR:PORT (default 127.0.0.1:9081) into addr / port. */
static int admin_arg(const char *cmd, const char *v, char addr[64], uint16_t *port)
{
  strcpy(addr, "127.0.0.1");
  *port = 9081;
  if (!v) return CLI_OK;
  const char *c = strrchr(v, ':');
  uint64_t p = 0;
  if (!c || c == v || (size_t)(c - v) >= 64)
    return cli_usage_error(cmd, "--admin '%s': expected ADDR:PORT", v);
  memcpy(addr, v, (size_t)(c - v));
  addr[c - v] = 0;
  if (cli_uint_arg(cmd, "--admin", c + 1, 65535, &p) || p == 0) return CLI_USAGE;
  *port = (uint16_t)p;
  return CLI_OK;
}

/* Percent-encodes s for a query value (B-TIDs hold '=', '+', '/', '@'). */
static void url_encode(const char *s, char *out, size_t cap)
{
  size_t k = 0;
  for (; *s && k + 4 < cap; s++) {
    unsigned char ch = (unsigned char)*s;
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        ch == '-' || ch == '.' || ch == '_' || ch == '~')
      out[k++] = (char)ch;
    else
      k += (size_t)snprintf(out + k, cap - k, "%%%02X", ch);
  }
  out[k] = 0;
}

/* The admin token for a state change: from --admin-token-file, else next to --store's
 * SQLite file (where the daemon writes it at start). 0, or a CLI code (printed). */
static int read_token(const char *cmd, const char *store, const char *file, char *tok, size_t cap)
{
  char path[MBMSEC_STORE_URI_MAX + sizeof TOKEN_SUFFIX];
  if (file)
    snprintf(path, sizeof path, "%s", file);
  else if (store && !strncmp(store, "sqlite:", 7) && !strstr(store, ":memory:"))
    snprintf(path, sizeof path, "%s%s", store + 7, TOKEN_SUFFIX);
  else
    return cli_usage_error(cmd, "a state change needs the daemon's admin token: --store URI "
                                "(its SQLite file) or --admin-token-file FILE");
  FILE *f = fopen(path, "r");
  if (!f) return cli_fail(cmd, "cannot read the admin token %s: %s", path, strerror(errno));
  const bool ok = fgets(tok, (int)cap, f) != NULL;
  fclose(f);
  if (ok) tok[strcspn(tok, "\r\n")] = 0;
  if (!ok || strlen(tok) != 2 * MBMSEC_BMSC_ADMIN_TOKEN_LEN ||
      strspn(tok, "0123456789abcdef") != strlen(tok)) {
    mbmsec_cleanse(tok, cap);
    return cli_fail(cmd, "%s is not an admin token file", path);
  }
  return CLI_OK;
}

/* token NULL: a read (GET); else a state change (POST with the token). */
static int admin_print(const char *cmd, const char *admin, const char *path, const char *token)
{
  char addr[64];
  uint16_t port;
  if (admin_arg(cmd, admin, addr, &port)) return CLI_USAGE;
  size_t len = 0;
  char *body = http_get(cmd, addr, port, path, token, &len);
  if (!body) return CLI_FAIL;
  fwrite(body, 1, len, stdout);
  free(body);
  return CLI_OK;
}

static const char UE_PULL_HELP[] =
    "Usage: mbmsec-bmsc ue pull --key-group HEX4 [--btid B] [--admin ADDR:PORT]\n"
    "                           (--store URI | --admin-token-file FILE)\n\n"
    "Solicited pull (profile P10, O5): the running daemon sends the MIKEY pull message for the\n"
    "current MSK of Key Group HEX4 (Key Domain of the daemon's --mcc/--mnc) to the UE with\n"
    "B-TID B, or to every registered UE of the group; the UE answers with an msk-request.\n"
    "Prints `pulled=N errors=N`. Exit 1 when the daemon refuses (error name printed).\n"
    "A state change: sent as POST with the daemon's admin token, read from FILE or from the\n"
    "file the daemon writes next to its SQLite store (URI + .admin-token).\n";

static int ue_pull(int argc, char **argv)
{
  static const char *const names[] = {"--key-group", "--btid", "--admin", "--store",
                                      "--admin-token-file"};
  const char *v[5] = {NULL};
  bool help = false;
  if (cli_parse_values("ue pull", argc, argv, names, v, 5, NULL, &help)) return CLI_USAGE;
  if (help) return fputs(UE_PULL_HELP, stdout), CLI_OK;
  uint8_t kg[2];
  if (!v[0]) return cli_usage_error("ue pull", "--key-group is required");
  if (cli_hex_arg("ue pull", "--key-group", v[0], kg, 2, 2, NULL)) return CLI_USAGE;
  if (v[1] && (!*v[1] || strlen(v[1]) > MBMSEC_BMSC_BTID_MAX))
    return cli_usage_error("ue pull", "--btid: 1..%d characters", MBMSEC_BMSC_BTID_MAX);
  char path[1024], enc[3 * MBMSEC_BMSC_BTID_MAX + 1] = "";
  if (v[1]) url_encode(v[1], enc, sizeof enc);
  snprintf(path, sizeof path, "/ue/pull?key_group=%02X%02X%s%s", kg[0], kg[1], v[1] ? "&btid=" : "",
           enc);
  char tok[2 * MBMSEC_BMSC_ADMIN_TOKEN_LEN + 2];
  int rc = read_token("ue pull", v[3], v[4], tok, sizeof tok);
  if (rc == CLI_OK) rc = admin_print("ue pull", v[2], path, tok);
  mbmsec_cleanse(tok, sizeof tok);
  return rc;
}

static const char MSK_HELP[] =
    "Usage: mbmsec-bmsc msk list [--admin ADDR:PORT] [--json]\n"
    "       mbmsec-bmsc msk rotate --key-group HEX4 [--window-ms N] [--jitter-ms N]\n"
    "                              [--admin ADDR:PORT] (--store URI | --admin-token-file FILE)\n\n"
    "list: the current and next MSK of every Key Group, with the progress of its push, from\n"
    "the running daemon's admin port (default 127.0.0.1:9081). A line per MSK:\n"
    "`kdid=.. key_group=.. msk_id=.. key_number=N role=current|next valid_from=UNIX\n"
    "valid_to=UNIX vf=N vt=N planned=N waiting=N pushed=N acked=N failed=N send_errors=N\n"
    "pending=N` (docs/bmsc-rotation.md).\n"
    "rotate: starts the push of the group's next MSK (generated if absent) to every\n"
    "registered UE of the group now, spread over --window-ms (default: the daemon's\n"
    "--rotate-window) with --jitter-ms per UE (default: --rotate-jitter-ms). Prints\n"
    "`key_group=.. msk_id=.. window_ms=N jitter_ms=N`; exit 1 with MBMSEC_ERR_BMSC_ROT_BUSY\n"
    "while a push of that MSK runs. A state change: sent as POST with the daemon's admin\n"
    "token, read from FILE or from the file next to the daemon's SQLite store.\n";

int bmsc_cmd_msk(int argc, char **argv)
{
  if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
    return fputs(MSK_HELP, stdout), CLI_OK;
  if (argc >= 2 && !strcmp(argv[1], "list")) {
    static const char *const names[] = {"--admin"};
    const char *v[1] = {NULL};
    bool help = false, json = false;
    if (cli_parse_values("msk list", argc - 1, argv + 1, names, v, 1, &json, &help))
      return CLI_USAGE;
    if (help) return fputs(MSK_HELP, stdout), CLI_OK;
    return admin_print("msk list", v[0], json ? "/msk" : "/msk.txt", NULL);
  }
  if (argc >= 2 && !strcmp(argv[1], "rotate")) {
    static const char *const names[] = {"--key-group", "--window-ms", "--jitter-ms",
                                        "--admin",     "--store",     "--admin-token-file"};
    const char *v[6] = {NULL};
    bool help = false;
    if (cli_parse_values("msk rotate", argc - 1, argv + 1, names, v, 6, NULL, &help))
      return CLI_USAGE;
    if (help) return fputs(MSK_HELP, stdout), CLI_OK;
    uint8_t kg[2];
    uint64_t w = 0, j = 0;
    if (!v[0]) return cli_usage_error("msk rotate", "--key-group is required");
    if (cli_hex_arg("msk rotate", "--key-group", v[0], kg, 2, 2, NULL)) return CLI_USAGE;
    if (v[1] && cli_uint_arg("msk rotate", "--window-ms", v[1], UINT32_MAX, &w)) return CLI_USAGE;
    if (v[2] && cli_uint_arg("msk rotate", "--jitter-ms", v[2], UINT32_MAX, &j)) return CLI_USAGE;
    char path[160];
    int n = snprintf(path, sizeof path, "/msk/rotate?key_group=%02X%02X", kg[0], kg[1]);
    if (v[1])
      n += snprintf(path + n, sizeof path - (size_t)n, "&window_ms=%llu", (unsigned long long)w);
    if (v[2]) snprintf(path + n, sizeof path - (size_t)n, "&jitter_ms=%llu", (unsigned long long)j);
    char tok[2 * MBMSEC_BMSC_ADMIN_TOKEN_LEN + 2];
    int rc = read_token("msk rotate", v[4], v[5], tok, sizeof tok);
    if (rc == CLI_OK) rc = admin_print("msk rotate", v[3], path, tok);
    mbmsec_cleanse(tok, sizeof tok);
    return rc;
  }
  return cli_usage_error("msk", "expected 'msk list' or 'msk rotate'");
}

int bmsc_cmd_ue(int argc, char **argv)
{
  if (argc >= 2 && !strcmp(argv[1], "pull")) return ue_pull(argc - 1, argv + 1);
  static const char HELP[] =
      "Usage: mbmsec-bmsc ue list [--admin ADDR:PORT] [--json]\n\n"
      "Delivery state of every UE the running daemon knows (B-TID, MIKEY address and port,\n"
      "next counter, each MSK delivery: pending, delivered, failed or sent), from its admin\n"
      "port (default 127.0.0.1:9081, the daemon's --admin-listen). Text: a line\n"
      "`ue btid=... addr=... port=... next_counter=...` per UE and a line\n"
      "`delivery btid=... msk_id=... state=... pull=... tries=...` per MSK delivery.\n"
      "Also: mbmsec-bmsc ue pull --key-group HEX4 [--btid B] (see ue pull --help).\n";
  if (argc < 2 || strcmp(argv[1], "list")) {
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
      fputs(HELP, stdout);
      return CLI_OK;
    }
    return cli_usage_error("ue", "expected 'ue list' or 'ue pull'");
  }
  static const char *const names[] = {"--admin"};
  const char *vals[1] = {NULL};
  bool json = false, help = false;
  if (cli_parse_values("ue list", argc - 1, argv + 1, names, vals, 1, &json, &help))
    return CLI_USAGE;
  if (help) {
    fputs(HELP, stdout);
    return CLI_OK;
  }
  char addr[64] = "127.0.0.1";
  uint64_t port = 9081;
  if (vals[0]) {
    const char *c = strrchr(vals[0], ':');
    if (!c || (size_t)(c - vals[0]) >= sizeof addr)
      return cli_usage_error("ue list", "--admin '%s': expected ADDR:PORT", vals[0]);
    memcpy(addr, vals[0], (size_t)(c - vals[0]));
    addr[c - vals[0]] = 0;
    if (cli_uint_arg("ue list", "--admin", c + 1, 65535, &port) || port == 0) return CLI_USAGE;
  }
  size_t len = 0;
  char *body = http_get("ue list", addr, (uint16_t)port, json ? "/ue" : "/ue.txt", NULL, &len);
  if (!body) return CLI_FAIL;
  fwrite(body, 1, len, stdout);
  free(body);
  return CLI_OK;
}

/* ---------------------------------------------------------------- server half */

/* The admin token file of a store URI ("sqlite:PATH" -> "PATH.admin-token"); "" for an
 * in-memory store or another scheme. */
static void token_path_of_store(const char *store, char *out, size_t cap)
{
  out[0] = 0;
  if (strncmp(store, "sqlite:", 7) || strstr(store, ":memory:")) return;
  snprintf(out, cap, "%s%s", store + 7, TOKEN_SUFFIX);
}

int bmsc_admin_token_init(bmsc_app *app)
{
  char path[sizeof app->s.store + sizeof TOKEN_SUFFIX];
  if (app->s.admin_token_file[0])
    snprintf(path, sizeof path, "%s", app->s.admin_token_file);
  else
    token_path_of_store(app->s.store, path, sizeof path);
  app->admin_token[0] = 0;
  if (!path[0]) {
    dlog(DLOG_WARN, "no admin token file (in-memory store): admin state changes are refused", NULL);
    return 0;
  }
  uint8_t raw[MBMSEC_BMSC_ADMIN_TOKEN_LEN];
  int ret = 1;
  if (mbmsec_random(raw, sizeof raw) != MBMSEC_OK ||
      mbmsec_hex_encode(raw, sizeof raw, app->admin_token, sizeof app->admin_token) != MBMSEC_OK) {
    dlog(DLOG_ERROR, "cannot make the admin token", NULL);
    goto out;
  }
  /* a fresh file each start: unlink first so that a file of another owner or mode is not
   * reused, O_EXCL|O_NOFOLLOW so that nothing planted in between is written through */
  (void)unlink(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  const size_t n = strlen(app->admin_token);
  if (fd < 0 || write(fd, app->admin_token, n) != (ssize_t)n || write(fd, "\n", 1) != 1) {
    dlog(DLOG_ERROR, "cannot write the admin token file", "path", path, "error", strerror(errno),
         NULL);
    if (fd >= 0) close(fd);
    goto out;
  }
  close(fd);
  dlog(DLOG_INFO, "admin token written", "path", path, NULL);
  ret = 0;
out:
  mbmsec_cleanse(raw, sizeof raw);
  if (ret) mbmsec_cleanse(app->admin_token, sizeof app->admin_token);
  return ret;
}

/* "Bearer TOKEN" against the daemon's token, in constant time. */
static bool token_ok(const bmsc_app *app, const char *authorization)
{
  const size_t n = strlen(app->admin_token);
  if (!n || !authorization || strncmp(authorization, "Bearer ", 7)) return false;
  const char *t = authorization + 7;
  return strlen(t) == n && CRYPTO_memcmp(t, app->admin_token, n) == 0;
}

/* POST /msk/rotate?key_group=HEX4[&window_ms=N][&jitter_ms=N] and
 * POST /ue/pull?key_group=HEX4[&btid=B]: a text line `key=value ...`; 400 on a bad argument,
 * 409 with the error name when refused (docs/bmsc-rotation.md). */
static enum MHD_Result admin_action(struct MHD_Connection *c, bmsc_app *app, bool rotate)
{
  const char *kg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "key_group");
  const char *wv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "window_ms");
  const char *jv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "jitter_ms");
  const char *btid = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "btid");
  char out[256], *end = NULL;
  unsigned long g = kg && strlen(kg) == 4 && strspn(kg, "0123456789abcdefABCDEF") == 4
                        ? strtoul(kg, &end, 16)
                        : 0;
  unsigned long long w = (unsigned long long)app->s.rotate_window_s * 1000,
                     j = app->s.rotate_jitter_ms;
  bool bad = !end;
  if (wv)
    bad |= strspn(wv, "0123456789") != strlen(wv) || !*wv || strlen(wv) > 10 ||
           (w = strtoull(wv, NULL, 10)) > UINT32_MAX;
  if (jv)
    bad |= strspn(jv, "0123456789") != strlen(jv) || !*jv || strlen(jv) > 10 ||
           (j = strtoull(jv, NULL, 10)) > UINT32_MAX;
  if (btid) bad |= !*btid || strlen(btid) > MBMSEC_BMSC_BTID_MAX;
  if (bad) {
    int n = snprintf(
        out, sizeof out,
        "error=bad-argument (key_group=HEX4, window_ms, jitter_ms: 0..4294967295, btid)\n");
    return bmsc_http_answer(c, 400, "text/plain; charset=utf-8", out, (size_t)n);
  }
  mbmsec_err rc;
  int n;
  if (rotate) {
    uint8_t id[MBMSEC_MSK_ID_LEN] = {0};
    rc = bmsc_rotate_begin(app, app->kdid, (uint16_t)g, (uint32_t)w, (uint32_t)j, true, id);
    n = snprintf(out, sizeof out,
                 "key_group=%04lX msk_id=%02X%02X%02X%02X window_ms=%llu jitter_ms=%llu\n", g,
                 id[0], id[1], id[2], id[3], w, j);
  } else {
    size_t pulled = 0, errors = 0;
    rc = bmsc_rotate_pull(app, app->kdid, (uint16_t)g, btid, &pulled, &errors);
    n = snprintf(out, sizeof out, "pulled=%zu errors=%zu\n", pulled, errors);
  }
  if (rc != MBMSEC_OK) {
    n = snprintf(out, sizeof out, "error=%s %s\n", mbmsec_errname(rc), mbmsec_strerror(rc));
    return bmsc_http_answer(c, 409, "text/plain; charset=utf-8", out, (size_t)n);
  }
  return bmsc_http_answer(c, 200, "text/plain; charset=utf-8", out, (size_t)n);
}

enum MHD_Result bmsc_admin_serve(bmsc_app *app, struct MHD_Connection *c, const char *url,
                                 const char *method)
{
  static const char TEXT[] = "text/plain; charset=utf-8";
  const bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
  if (!strcmp(url, "/msk/rotate") || !strcmp(url, "/ue/pull")) {
    /* a state change: POST only (a GET, which a browser or a crawler may send, changes
     * nothing), and only with the daemon's token */
    if (!post) {
      static const char why[] = "error=method state changes take POST\n";
      return bmsc_http_answer(c, 405, TEXT, why, sizeof why - 1);
    }
    if (!token_ok(app,
                  MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION))) {
      static const char why[] =
          "error=credential \"Authorization: Bearer TOKEN\" with the daemon's admin token\n";
      dlog(DLOG_WARN, "admin request refused: no or wrong token", "url", url, NULL);
      return bmsc_http_answer(c, 401, TEXT, why, sizeof why - 1);
    }
    return admin_action(c, app, url[1] == 'm'); /* docs/bmsc-rotation.md */
  }
  if (!get) return bmsc_http_answer(c, 405, NULL, NULL, 0);
  size_t len = 0;
  char *body = NULL;
  const char *ct = NULL;
  if (!strcmp(url, "/ready")) {
    /* readiness: the key request function needs Zn for every new B-TID */
    const bool up = app->zn && mbmsec_zn_client_connected(app->zn);
    static const char ready[] = "ready\n", down[] = "zn down\n";
    return up ? bmsc_http_answer(c, 200, TEXT, ready, sizeof ready - 1)
              : bmsc_http_answer(c, 503, TEXT, down, sizeof down - 1);
  }
  if (!strcmp(url, "/metrics")) {
    body = bmsc_metrics_render(app, &len);
    ct = "text/plain; version=0.0.4; charset=utf-8";
  } else if (!strcmp(url, "/ue") || !strcmp(url, "/ue.txt")) {
    const bool text = url[3] != 0;
    body = bmsc_mikey_ue_list(app, text, &len);
    ct = text ? TEXT : "application/json";
  } else if (!strcmp(url, "/msk") || !strcmp(url, "/msk.txt")) {
    const bool text = url[4] != 0;
    body = bmsc_rotate_msk_list(app, text, &len);
    ct = text ? TEXT : "application/json";
  } else {
    return bmsc_http_answer(c, 404, NULL, NULL, 0);
  }
  if (!body) return bmsc_http_answer(c, 500, NULL, NULL, 0);
  enum MHD_Result r = bmsc_http_answer(c, 200, ct, body, len);
  free(body);
  return r;
}
