/* mbmsec-ue status | leave, and the status file and control datagram the daemon (run.c)
 * keeps for them (docs/ue-agent.md "Status and control"). The daemon rewrites
 * <state_dir>/status and status.json atomically at least once a second and on every change;
 * `leave` sends one datagram "leave SERVICE" to the unix socket <state_dir>/control (mode 0600:
 * only the agent's user may send) and waits for the status file to show the service left. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "agent_run.h"
#include "ue_cli.h"

int ue_agent_paths(const char *dir, char *state, char *boot, char *status, char *status_json,
                   char *control, size_t cap)
{
  const char *names[] = {"agent.state", "bootstrap", "status", "status.json", "control"};
  char *outs[] = {state, boot, status, status_json, control};
  for (size_t i = 0; i < 5; i++) {
    const int n = snprintf(outs[i], cap, "%s/%s", dir, names[i]);
    if (n < 0 || (size_t)n >= cap) return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- status file */

typedef struct {
  char *p;
  size_t cap, len;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
  if (b->len >= b->cap) return;
  va_list ap;
  va_start(ap, fmt);
  const int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  if (n > 0) b->len += (size_t)n < b->cap - b->len ? (size_t)n : b->cap - b->len;
}

/* A string for both forms: quotes and backslashes escaped, control characters dropped. */
static void put_q(sbuf *b, const char *s)
{
  put(b, "\"");
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      put(b, "\\%c", *s);
    else if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
      put(b, "%c", *s);
  }
  put(b, "\"");
}

static void msk_text(const mbmsec_ue_agent_msk_info *m, char out[20])
{
  snprintf(out, 20, "%02x%02x%02x:%02x%02x%02x%02x", m->kdid[0], m->kdid[1], m->kdid[2],
           m->msk_id[0], m->msk_id[1], m->msk_id[2], m->msk_id[3]);
}

void ue_agent_write_status(const mbmsec_ue_agent *a, const ue_srtp_rx *rx, const char *path,
                           const char *path_json, int64_t now)
{
  const size_t cap = 65536;
  sbuf t = {malloc(cap), cap, 0}, j = {malloc(cap), cap, 0};
  mbmsec_ue_agent_msk_info *mk = calloc(MBMSEC_UE_AGENT_MSKS, sizeof *mk);
  if (!t.p || !j.p || !mk) goto out;
  t.cap--, j.cap--; /* room for the final NUL */
  const size_t nm = mbmsec_ue_agent_msks(a, now, mk, MBMSEC_UE_AGENT_MSKS);
  put(&t, "agent pid=%ld updated_ms=%" PRId64 "\n", (long)getpid(), now);
  put(&j, "{\"pid\":%ld,\"updated_ms\":%" PRId64 ",\"services\":[", (long)getpid(), now);
  for (size_t i = 0; i < mbmsec_ue_agent_n_services(a); i++) {
    mbmsec_ue_agent_service_info si;
    if (mbmsec_ue_agent_service(a, i, &si) != MBMSEC_OK) continue;
    char groups[5 * MBMSEC_UE_AGENT_GROUPS + 1] = "";
    for (size_t g = 0; g < si.n_groups; g++)
      snprintf(groups + strlen(groups), sizeof groups - strlen(groups), "%s%04x", g ? "," : "",
               si.groups[g]);
    const char *ph = mbmsec_ue_agent_phase_name(si.phase);
    put(&t, "service id=%s phase=%s registered=%s kdid=%02x%02x%02x key_groups=%s last_error=",
        si.service_id, ph, si.registered ? "yes" : "no", si.kdid[0], si.kdid[1], si.kdid[2],
        groups);
    put_q(&t, si.last_error);
    put(&t, " reason=");
    put_q(&t, si.reason);
    put(&t, "\n");
    put(&j, "%s{\"id\":", i ? "," : "");
    put_q(&j, si.service_id);
    put(&j,
        ",\"phase\":\"%s\",\"registered\":%s,\"kdid\":\"%02x%02x%02x\",\"key_groups\":\"%s\","
        "\"last_error\":",
        ph, si.registered ? "true" : "false", si.kdid[0], si.kdid[1], si.kdid[2], groups);
    put_q(&j, si.last_error);
    put(&j, ",\"reason\":");
    put_q(&j, si.reason);
    put(&j, "}");
  }
  put(&j, "],\"msks\":[");
  for (size_t i = 0; i < nm; i++) {
    char id[20];
    msk_text(&mk[i], id);
    put(&t,
        "msk id=%s valid=%s vf=%u vt=%u mtk_id=%s%u stored_ms=%" PRId64 " last_used_ms=%" PRId64
        "\n",
        id, mk[i].valid ? "yes" : "no", mk[i].vf, mk[i].vt, mk[i].has_mtk ? "" : "none-",
        mk[i].has_mtk ? mk[i].mtk_id : 0, mk[i].stored_ms, mk[i].last_used_ms);
    put(&j, "%s{\"id\":\"%s\",\"valid\":%s,\"vf\":%u,\"vt\":%u,\"mtk_id\":", i ? "," : "", id,
        mk[i].valid ? "true" : "false", mk[i].vf, mk[i].vt);
    if (mk[i].has_mtk)
      put(&j, "%u", mk[i].mtk_id);
    else
      put(&j, "null");
    put(&j, ",\"stored_ms\":%" PRId64 ",\"last_used_ms\":%" PRId64 "}", mk[i].stored_ms,
        mk[i].last_used_ms);
  }
  mbmsec_ue_agent_stats st;
  mbmsec_ue_agent_get_stats(a, &st);
  mbmsec_srtp_stats ss;
  ue_srtp_rx_stats(rx, &ss);
  const uint64_t pay = rx ? rx->payload_octets : 0;
  const struct {
    const char *n;
    uint64_t v;
  } cnt[] = {{"mikey_msk", st.mikey_msk},
             {"mikey_mtk", st.mikey_mtk},
             {"mikey_pull", st.mikey_pull},
             {"mikey_duplicate", st.mikey_duplicate},
             {"mikey_refused_malformed", st.mikey_malformed},
             {"mikey_refused_auth", st.mikey_auth},
             {"mikey_refused_replay", st.mikey_replay},
             {"mikey_refused_old", st.mikey_old},
             {"mikey_refused_unknown_key", st.mikey_unknown_key},
             {"mikey_missed_msk", st.mikey_missed},
             {"mikey_refused_other", st.mikey_other},
             {"requests", st.requests},
             {"retries", st.retries},
             {"bootstraps", st.bootstraps},
             {"srtp_decrypted", ss.ok},
             {"srtp_refused_no_key", ss.no_key},
             {"srtp_refused_auth", ss.auth},
             {"srtp_refused_replay", ss.replay},
             {"srtp_refused_malformed", ss.malformed},
             {"payload_octets", pay}};
  put(&t, "counters");
  put(&j, "],\"counters\":{");
  for (size_t i = 0; i < sizeof cnt / sizeof cnt[0]; i++) {
    put(&t, " %s=%" PRIu64, cnt[i].n, cnt[i].v);
    put(&j, "%s\"%s\":%" PRIu64, i ? "," : "", cnt[i].n, cnt[i].v);
  }
  put(&t, "\n");
  put(&j, "}}\n");
  if (t.len < t.cap) (void)mbmsec_ue_file_write(path, t.p, t.len, false);
  if (j.len < j.cap) (void)mbmsec_ue_file_write(path_json, j.p, j.len, false);
out:
  free(t.p);
  free(j.p);
  free(mk);
}

/* ---------------------------------------------------------------- the commands */

/* --state-dir D or --config F (its state_dir). */
static int state_dir_of(const char *cmd, const char *dir, const char *config, char *out, size_t cap)
{
  if (dir) {
    if (strlen(dir) >= cap) return cli_usage_error(cmd, "--state-dir too long");
    snprintf(out, cap, "%s", dir);
    return CLI_OK;
  }
  if (!config) return cli_usage_error(cmd, "--state-dir or --config is required");
  uint8_t *text = NULL;
  size_t len = 0;
  if (cli_read_file(cmd, config, UE_CONF_TEXT_MAX, &text, &len)) return CLI_FAIL;
  ue_agent_conf *c = calloc(1, sizeof *c);
  char err[160];
  mbmsec_err e =
      c ? ue_agent_conf_parse((const char *)text, len, c, err, sizeof err) : MBMSEC_ERR_NOMEM;
  free(text);
  int rc = CLI_OK;
  if (e != MBMSEC_OK)
    rc = cli_usage_error(cmd, "%s: %s", config, c ? err : "out of memory");
  else
    snprintf(out, cap, "%s", c->state_dir);
  free(c);
  return rc;
}

static bool agent_running(const char *status_text)
{
  long pid = 0;
  if (sscanf(status_text, "agent pid=%ld", &pid) != 1 || pid <= 0) return false;
  return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static const char HELP_STATUS[] =
    "Usage: mbmsec-ue status (--state-dir DIR | --config FILE) [--json]\n\n"
    "Shows what the UE agent (mbmsec-ue run) holds, from the status file it keeps in its state\n"
    "directory: one `service` line per user service (phase bootstrap | register | msk-request |\n"
    "wait-mikey | active | left, registered, Key Domain, Key Groups, last error, reason for\n"
    "leaving), one `msk` line per MSK held (ID = Key Domain:MSK ID, valid, MTK-ID interval,\n"
    "newest MTK ID, when stored and last used, Unix ms), the counters, and running=yes|no.\n"
    "--json: one JSON object with the same content. Exit: 0 shown, 1 no status file.\n";

static const char HELP_LEAVE[] =
    "Usage: mbmsec-ue leave SERVICE (--state-dir DIR | --config FILE) [--wait-ms N]\n\n"
    "Tells the running UE agent to leave the user service SERVICE (its serviceId): the agent\n"
    "marks it left (reason \"left on the user's request\"), deregisters it at the BM-SC and keeps\n"
    "it left across restarts. Waits up to N ms (default 5000) for the status file to show it.\n"
    "Exit: 0 left, 1 agent not running / unknown service / no confirmation, 2 usage error.\n";

static int read_status(const char *cmd, const char *path, char **out, bool quiet)
{
  uint8_t *buf = NULL;
  size_t len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (!quiet) cli_fail(cmd, "no status file %s: the agent has not run with this state_dir", path);
    return CLI_FAIL;
  }
  fclose(f);
  if (cli_read_file(cmd, path, 1 << 20, &buf, &len)) return CLI_FAIL;
  char *s = realloc(buf, len + 1);
  if (!s) {
    free(buf);
    return cli_fail(cmd, "out of memory");
  }
  s[len] = 0;
  *out = s;
  return CLI_OK;
}

int cmd_status(int argc, char **argv)
{
  static const char *const names[] = {"--state-dir", "--config"};
  const char *v[2] = {0};
  bool json = false, help = false;
  int rc = cli_parse_values("status", argc, argv, names, v, 2, &json, &help);
  if (rc != CLI_OK) return rc;
  if (help) {
    fputs(HELP_STATUS, stdout);
    return CLI_OK;
  }
  char dir[UE_CONF_PATH_MAX], p[5][UE_CONF_PATH_MAX + 32];
  if ((rc = state_dir_of("status", v[0], v[1], dir, sizeof dir)) != CLI_OK) return rc;
  if (ue_agent_paths(dir, p[0], p[1], p[2], p[3], p[4], sizeof p[0]))
    return cli_usage_error("status", "state directory path too long");
  char *text = NULL, *js = NULL;
  if (read_status("status", p[2], &text, false)) return CLI_FAIL;
  const bool running = agent_running(text);
  if (json) {
    if (read_status("status", p[3], &js, false)) {
      free(text);
      return CLI_FAIL;
    }
    const char *brace = strchr(js, '{');
    printf("{\"running\":%s,%s", running ? "true" : "false", brace ? brace + 1 : "}\n");
  } else {
    fputs(text, stdout);
    printf("running=%s\n", running ? "yes" : "no");
  }
  free(text);
  free(js);
  return CLI_OK;
}

int cmd_leave(int argc, char **argv)
{
  const char *service = NULL;
  /* The one positional argument: the serviceId. */
  int w = 1;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-' && !service &&
        (i == 1 || argv[i - 1][0] != '-' || strchr(argv[i - 1], '=')))
      service = argv[i];
    else
      argv[w++] = argv[i];
  }
  argc = w;
  static const char *const names[] = {"--state-dir", "--config", "--wait-ms"};
  const char *v[3] = {0};
  bool help = false;
  int rc = cli_parse_values("leave", argc, argv, names, v, 3, NULL, &help);
  if (rc != CLI_OK) return rc;
  if (help) {
    fputs(HELP_LEAVE, stdout);
    return CLI_OK;
  }
  if (!service) return cli_usage_error("leave", "SERVICE (a serviceId) is required");
  uint64_t wait = 5000;
  if (v[2] && cli_uint_arg("leave", "--wait-ms", v[2], 600000, &wait)) return CLI_USAGE;
  char dir[UE_CONF_PATH_MAX], p[5][UE_CONF_PATH_MAX + 32];
  if ((rc = state_dir_of("leave", v[0], v[1], dir, sizeof dir)) != CLI_OK) return rc;
  if (ue_agent_paths(dir, p[0], p[1], p[2], p[3], p[4], sizeof p[0]))
    return cli_usage_error("leave", "state directory path too long");
  char msg[UE_AGENT_CONTROL_MAX + 2], sid[MBMSEC_XML_URI_MAX + 1];
  const int ml = snprintf(msg, sizeof msg, "leave %s\n", service);
  if (ml < 0 || (size_t)ml >= sizeof msg ||
      ue_agent_control_parse(msg, (size_t)ml, sid) != MBMSEC_OK)
    return cli_usage_error("leave", "'%s' is not a serviceId (printable, no spaces, at most %d)",
                           service, MBMSEC_XML_URI_MAX);
  struct sockaddr_un un = {.sun_family = AF_UNIX};
  if (strlen(p[4]) >= sizeof un.sun_path) return cli_usage_error("leave", "control path too long");
  memcpy(un.sun_path, p[4], strlen(p[4]) + 1);
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || sendto(fd, msg, (size_t)ml, 0, (struct sockaddr *)&un, sizeof un) < 0) {
    const int err = errno;
    if (fd >= 0) close(fd);
    return cli_fail("leave", "the agent is not running (control socket %s: %s)", p[4],
                    strerror(err));
  }
  close(fd);
  char needle[MBMSEC_XML_URI_MAX + 32];
  snprintf(needle, sizeof needle, "service id=%s phase=", sid);
  for (uint64_t waited = 0;; waited += 100) {
    char *text = NULL;
    if (read_status("leave", p[2], &text, true) == CLI_OK) {
      const char *l = strstr(text, needle);
      if (!l && waited >= 1000) {
        free(text);
        return cli_fail("leave", "the agent has no user service %s", sid);
      }
      if (l && !strncmp(l + strlen(needle), "left ", 5)) {
        const char *r = strstr(l, " reason=");
        const char *e = r ? strchr(r, '\n') : NULL;
        printf("service=%s\nphase=left\nreason=%.*s\n", sid, r && e ? (int)(e - r - 8) : 0,
               r ? r + 8 : "");
        free(text);
        return CLI_OK;
      }
      free(text);
    }
    if (waited >= wait)
      return cli_fail("leave", "sent, but the agent did not confirm within %llu ms",
                      (unsigned long long)wait);
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
  }
}
