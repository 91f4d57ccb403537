/* MSK rotation in the daemon (docs/bmsc-rotation.md): the adapter of lib/bmsc's key policy
 * (include/mbmsec/bmsc_rotate.h). The policy decides; this file gives it the clocks (Unix
 * seconds and the monotonic milliseconds of the delivery engine), the Zn lookup of the Ua
 * engine, and turns its reports into log lines and counters; it also formats `msk list` and
 * the rotation metrics. The main loop calls bmsc_rotate_tick every 100 ms and bmsc_rotate_keep
 * every 2 s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bmsc.h"
#include "log.h"
#include "text.h"
#include "mbmsec/encode.h"

static int64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The policy's reports as the daemon's log lines (unchanged from before the move). */
static void on_report(void *user, const mbmsec_bmsc_rotate_report *r)
{
  bmsc_app *app = user;
  char id[2 * MBMSEC_MSK_ID_LEN + 1] = "", a[24], b[24], c[24];
  if (r->what != MBMSEC_BMSC_ROTATE_R_GENERATED || r->code == MBMSEC_OK)
    mbmsec_hex_encode(r->msk_id, MBMSEC_MSK_ID_LEN, id, sizeof id);
  const char *code = r->code == MBMSEC_OK ? "" : mbmsec_errname(r->code);
  switch (r->what) {
  case MBMSEC_BMSC_ROTATE_R_GENERATED:
    dlog(r->code == MBMSEC_OK ? DLOG_INFO : DLOG_ERROR, "msk generated", "msk_id", id, "code", code,
         NULL);
    break;
  case MBMSEC_BMSC_ROTATE_R_LIST_FAILED:
    dlog(DLOG_ERROR, "cannot list services", "code", code, NULL);
    break;
  case MBMSEC_BMSC_ROTATE_R_START:
    snprintf(a, sizeof a, "%zu", r->ues);
    snprintf(b, sizeof b, "%u", r->window_ms);
    dlog(DLOG_INFO, "rotate", "event", "start", "msk_id", id, "ues", a, "window_ms", b, NULL);
    break;
  case MBMSEC_BMSC_ROTATE_R_SKIP_DEREGISTERED:
    dlog(DLOG_INFO, "rotate", "event", "skip_deregistered", "btid", r->btid, NULL);
    break;
  case MBMSEC_BMSC_ROTATE_R_SEND_ERROR:
    if (app) atomic_fetch_add(&app->m.push_errors, 1);
    dlog(DLOG_WARN, "rotate", "event", "send_error", "btid", r->btid, "msk_id", id, "code", code,
         NULL);
    break;
  case MBMSEC_BMSC_ROTATE_R_DONE:
    snprintf(a, sizeof a, "%llu", (unsigned long long)r->progress.acked);
    snprintf(b, sizeof b, "%llu", (unsigned long long)r->progress.failed);
    snprintf(c, sizeof c, "%llu", (unsigned long long)r->progress.send_errors);
    dlog(r->progress.failed || r->progress.send_errors ? DLOG_WARN : DLOG_INFO, "rotate", "event",
         "done", "msk_id", id, "acked", a, "failed", b, "send_errors", c, NULL);
    break;
  case MBMSEC_BMSC_ROTATE_R_RESTORED:
    dlog(DLOG_INFO, "mikey", "event", "restored", "btid", r->btid, "impi", r->impi, "to",
         r->ue_addr, NULL);
    break;
  case MBMSEC_BMSC_ROTATE_R_RESTORE_SKIPPED:
    dlog(DLOG_WARN, "mikey", "event", "restore_skipped", "btid", r->btid, "impi", r->impi, "reason",
         r->reason ? r->reason : "", NULL);
    break;
  case MBMSEC_BMSC_ROTATE_R_PULL:
    dlog(r->code == MBMSEC_OK ? DLOG_INFO : DLOG_WARN, "mikey", "event", "pull", "btid", r->btid,
         "msk_id", id, "code", code, NULL);
    break;
  }
}

void bmsc_rotate_keep(bmsc_app *app)
{
  (void)mbmsec_bmsc_rotate_keep_msks(app->members, (int64_t)time(NULL), on_report, app, NULL);
}

void bmsc_rotate_keep_store(mbmsec_store *st)
{
  (void)mbmsec_bmsc_rotate_keep_msks(st, (int64_t)time(NULL), on_report, NULL, NULL);
}

/* Zn for the restore of a UE registered before a restart: the Ua engine's lookup and cache,
 * as for a Digest check. */
static mbmsec_err zn_muk(void *user, const char *btid, uint8_t muk[MBMSEC_BMSC_MUK_LEN],
                         char impi[MBMSEC_STORE_IMPI_MAX + 1], const char **reason)
{
  _Static_assert(MBMSEC_GBA_KEY_LEN == MBMSEC_BMSC_MUK_LEN, "MUK length");
  _Static_assert(MBMSEC_ZN_IMPI_MAX <= MBMSEC_STORE_IMPI_MAX, "IMPI length");
  bmsc_app *app = user;
  mbmsec_ua_reason why = MBMSEC_UA_R_OK;
  char zimpi[MBMSEC_ZN_IMPI_MAX + 1] = "";
  *reason = NULL;
  mbmsec_err rc = mbmsec_ua_btid_muk(app->ua, btid, strlen(btid), muk, zimpi, &why);
  if (rc == MBMSEC_OK && why != MBMSEC_UA_R_OK) *reason = mbmsec_ua_reason_name(why);
  memcpy(impi, zimpi, sizeof zimpi);
  return rc;
}

int bmsc_rotate_start_engine(bmsc_app *app)
{
  mbmsec_bmsc_rotate_config cfg = {.store = app->members,
                                   .dl = bmsc_mikey_dl(app),
                                   .ue_mikey_port = app->s.ue_mikey_port,
                                   .zn = zn_muk,
                                   .zn_user = app,
                                   .lead_s = app->s.rotate_lead_s,
                                   .window_s = app->s.rotate_window_s,
                                   .jitter_ms = app->s.rotate_jitter_ms,
                                   .report = on_report,
                                   .report_user = app};
  mbmsec_err rc = mbmsec_bmsc_rotate_new(&cfg, &app->rotate);
  if (rc != MBMSEC_OK) {
    dlog(DLOG_ERROR, "cannot start MSK rotation", "code", mbmsec_errname(rc), NULL);
    return 1;
  }
  return 0;
}

void bmsc_rotate_stop(bmsc_app *app)
{
  mbmsec_bmsc_rotate_free(app->rotate);
  app->rotate = NULL;
}

void bmsc_rotate_on_event(bmsc_app *app, mbmsec_bmsc_event ev, const char *btid,
                          const uint8_t msk_id[MBMSEC_MSK_ID_LEN], int pull)
{
  mbmsec_bmsc_rotate_on_event(app->rotate, ev, btid, msk_id, pull);
}

void bmsc_rotate_tick(bmsc_app *app)
{
  mbmsec_bmsc_rotate_tick(app->rotate, (int64_t)time(NULL), mono_ms());
}

mbmsec_err bmsc_rotate_begin(bmsc_app *app, const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group,
                             uint32_t window_ms, uint32_t jitter_ms, bool force,
                             uint8_t msk_id_out[MBMSEC_MSK_ID_LEN])
{
  return mbmsec_bmsc_rotate_begin(app->rotate, kdid, group, window_ms, jitter_ms, force,
                                  (int64_t)time(NULL), mono_ms(), msk_id_out);
}

mbmsec_err bmsc_rotate_pull(bmsc_app *app, const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group,
                            const char *btid, size_t *pulled, size_t *errors)
{
  return mbmsec_bmsc_rotate_pull(app->rotate, kdid, group, btid, (int64_t)time(NULL), mono_ms(),
                                 pulled, errors);
}

/* ---- reports: `msk list` and /metrics */

typedef struct {
  bmsc_text t;
  bool text;
  size_t n;
} msk_out;

static int msk_row(void *arg, const mbmsec_bmsc_rotate_msk_row *w)
{
  msk_out *o = arg;
  const mbmsec_bmsc_rot_progress *pr = &w->progress;
  const char *rn = w->next ? "next" : "current";
  if (o->text)
    bmsc_text_put(&o->t,
                  "kdid=%02X%02X%02X key_group=%04X msk_id=%02X%02X%02X%02X key_number=%u role=%s "
                  "valid_from=%lld valid_to=%lld vf=%u vt=%u planned=%llu waiting=%llu pushed=%llu "
                  "acked=%llu failed=%llu send_errors=%llu pending=%llu\n",
                  w->kdid[0], w->kdid[1], w->kdid[2], w->key_group, w->msk_id[0], w->msk_id[1],
                  w->msk_id[2], w->msk_id[3], w->key_number, rn, (long long)w->valid_from,
                  (long long)w->valid_to, w->vf, w->vt, (unsigned long long)pr->planned,
                  (unsigned long long)pr->waiting, (unsigned long long)pr->pushed,
                  (unsigned long long)pr->acked, (unsigned long long)pr->failed,
                  (unsigned long long)pr->send_errors, (unsigned long long)pr->pending);
  else
    bmsc_text_put(
        &o->t,
        "%s\n{\"kdid\":\"%02X%02X%02X\",\"key_group\":\"%04X\",\"msk_id\":\"%02X%02X%02X%02X\","
        "\"key_number\":%u,\"role\":\"%s\",\"valid_from\":%lld,\"valid_to\":%lld,\"vf\":%u,"
        "\"vt\":%u,\"planned\":%llu,\"waiting\":%llu,\"pushed\":%llu,\"acked\":%llu,"
        "\"failed\":%llu,\"send_errors\":%llu,\"pending\":%llu}",
        o->n ? "," : "", w->kdid[0], w->kdid[1], w->kdid[2], w->key_group, w->msk_id[0],
        w->msk_id[1], w->msk_id[2], w->msk_id[3], w->key_number, rn, (long long)w->valid_from,
        (long long)w->valid_to, w->vf, w->vt, (unsigned long long)pr->planned,
        (unsigned long long)pr->waiting, (unsigned long long)pr->pushed,
        (unsigned long long)pr->acked, (unsigned long long)pr->failed,
        (unsigned long long)pr->send_errors, (unsigned long long)pr->pending);
  o->n++;
  return o->t.fail;
}

char *bmsc_rotate_msk_list(bmsc_app *app, bool text, size_t *len)
{
  msk_out o = {.text = text};
  bmsc_text_init(&o.t, 1024);
  if (o.t.fail) return NULL;
  if (!text) bmsc_text_put(&o.t, "[");
  mbmsec_err rc = mbmsec_bmsc_rotate_msk_each(app->rotate, app->members, (int64_t)time(NULL),
                                              msk_row, &o, NULL);
  if (!text) bmsc_text_put(&o.t, "\n]\n");
  if (rc != MBMSEC_OK) o.t.fail = true;
  return bmsc_text_take(&o.t, len);
}

typedef struct {
  void (*emit)(void *arg, const char *line);
  void *arg;
  size_t k; /* which metric */
} metric_out;

static const char *const ROT_METRICS[] = {"planned",     "waiting",      "pushed_total",
                                          "acked_total", "failed_total", "send_errors_total",
                                          "pending"};

static void metric_plan(void *arg, uint16_t key_group, const uint8_t msk_id[MBMSEC_MSK_ID_LEN],
                        const mbmsec_bmsc_rot_progress *pr)
{
  metric_out *o = arg;
  const uint64_t v[7] = {pr->planned, pr->waiting,     pr->pushed, pr->acked,
                         pr->failed,  pr->send_errors, pr->pending};
  char line[256];
  snprintf(line, sizeof line,
           "mbmsec_bmsc_rotation_%s{key_group=\"%04X\",msk_id=\"%02X%02X%02X%02X\"} %llu\n",
           ROT_METRICS[o->k], key_group, msk_id[0], msk_id[1], msk_id[2], msk_id[3],
           (unsigned long long)v[o->k]);
  o->emit(o->arg, line);
}

void bmsc_rotate_metrics(bmsc_app *app, void (*emit)(void *arg, const char *line), void *arg)
{
  if (!app->rotate) return;
  for (size_t k = 0; k < sizeof ROT_METRICS / sizeof ROT_METRICS[0]; k++) {
    char line[256];
    snprintf(line, sizeof line, "# TYPE mbmsec_bmsc_rotation_%s %s\n", ROT_METRICS[k],
             strstr(ROT_METRICS[k], "_total") ? "counter" : "gauge");
    emit(arg, line);
    metric_out o = {emit, arg, k};
    mbmsec_bmsc_rotate_plan_each(app->rotate, metric_plan, &o);
  }
}
