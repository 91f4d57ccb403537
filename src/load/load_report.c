/* mbmsec-load's final report (docs/load.md "Report"): per phase requests, rate, latency
 * percentiles and the generator's CPU; errors by kind; MIKEY messages, acks and their rates;
 * UEs by MSKs held. Text name=value lines or one JSON object. */
#include <inttypes.h>
#include <sys/resource.h>

#include "load.h"

const char *const load_phase_name[LOAD_PHASES] = {"bootstrap", "register", "msk-request", "repeat"};

uint64_t load_ues_holding(const load_cfg *c, load_ue *ues, unsigned n)
{
  uint64_t k = 0;
  for (uint32_t i = 0; i < c->ues; i++) k += atomic_load(&ues[i].n_msk) >= n;
  return k;
}

/* CPU seconds (user + system) of this process so far: the generator's own cost. */
double load_cpu_seconds(void)
{
  struct rusage u;
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
         (double)u.ru_stime.tv_usec / 1e6;
}

/* Peak resident set of this process in KiB (memory per simulated UE). */
static long max_rss_kib(void)
{
  struct rusage u;
  return getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_maxrss : 0;
}

void load_report(const load_cfg *c, load_ue *ues, load_stats *st, const load_phase_result *res,
                 double total_s, double waited)
{
  const uint64_t msgs = atomic_load(&st->mikey_msgs), acks = atomic_load(&st->mikey_acks),
                 nw = atomic_load(&st->mikey_new), refused = atomic_load(&st->mikey_refused);
  double rx_s = (double)(atomic_load(&st->last_rx_ns) - atomic_load(&st->first_rx_ns)) / 1e9;
  if (rx_s <= 0) rx_s = 0;
  uint64_t held[LOAD_MSK_TRACK + 1] = {0};
  for (uint32_t i = 0; i < c->ues; i++) held[atomic_load(&ues[i].n_msk)]++;
  const uint64_t expect_ok = c->expect_msks ? load_ues_holding(c, ues, c->expect_msks) : 0;
  FILE *o = stdout;
  if (c->json) {
    fprintf(o,
            "{\"mode\":\"%s\",\"ues\":%u,\"threads\":%u,\"seconds\":%.3f,"
            "\"cpu_seconds\":%.3f,\"max_rss_kib\":%ld,\"phases\":[",
            c->mode == LOAD_MODE_BMSC ? "bmsc" : "digest-get", c->ues, c->threads, total_s,
            load_cpu_seconds(), max_rss_kib());
    bool first = true;
    for (int p = 0; p < LOAD_PHASES; p++) {
      const load_phase_result *x = &res[p];
      if (!x->ran) continue;
      fprintf(o,
              "%s{\"phase\":\"%s\",\"ok\":%" PRIu64 ",\"errors\":%" PRIu64
              ",\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"per_second\":%.1f,\"latency_us\":{"
              "\"p50\":%u,\"p90\":%u,\"p99\":%u,\"max\":%u}}",
              first ? "" : ",", load_phase_name[p], x->ok, x->err, x->secs, x->cpu,
              x->secs > 0 ? (double)x->ok / x->secs : 0.0, x->p50, x->p90, x->p99, x->max);
      first = false;
    }
    fprintf(o, "],\"http_exchanges\":%" PRIu64 ",\"errors\":{",
            (uint64_t)atomic_load(&st->exchanges));
    for (size_t i = 0; i < st->n_err; i++)
      fprintf(o, "%s\"%s\":%" PRIu64, i ? "," : "", st->err[i].kind, st->err[i].n);
    fprintf(o,
            "},\"mikey\":{\"messages\":%" PRIu64 ",\"new_msks\":%" PRIu64 ",\"acks\":%" PRIu64
            ",\"refused\":%" PRIu64 ",\"messages_per_second\":%.1f,\"acks_per_second\":%.1f",
            msgs, nw, acks, refused, rx_s > 0 ? (double)msgs / rx_s : 0.0,
            rx_s > 0 ? (double)acks / rx_s : 0.0);
    if (c->expect_msks)
      fprintf(o, ",\"expect_msks\":%u,\"ues_holding\":%" PRIu64 ",\"wait_seconds\":%.3f",
              c->expect_msks, expect_ok, waited);
    fprintf(o, ",\"ues_by_msks_held\":[");
    for (int k = 0; k <= LOAD_MSK_TRACK; k++) fprintf(o, "%s%" PRIu64, k ? "," : "", held[k]);
    fprintf(o, "]}}\n");
    return;
  }
  fprintf(o, "mode=%s ues=%u threads=%u seconds=%.3f cpu_seconds=%.3f max_rss_kib=%ld\n",
          c->mode == LOAD_MODE_BMSC ? "bmsc" : "digest-get", c->ues, c->threads, total_s,
          load_cpu_seconds(), max_rss_kib());
  for (int p = 0; p < LOAD_PHASES; p++) {
    const load_phase_result *x = &res[p];
    if (!x->ran) continue;
    fprintf(o,
            "phase=%s ok=%" PRIu64 " errors=%" PRIu64 " seconds=%.3f cpu_seconds=%.3f"
            " per_second=%.1f p50_us=%u p90_us=%u p99_us=%u max_us=%u\n",
            load_phase_name[p], x->ok, x->err, x->secs, x->cpu,
            x->secs > 0 ? (double)x->ok / x->secs : 0.0, x->p50, x->p90, x->p99, x->max);
  }
  fprintf(o, "http_exchanges=%" PRIu64 "\n", (uint64_t)atomic_load(&st->exchanges));
  for (size_t i = 0; i < st->n_err; i++)
    fprintf(o, "error %s=%" PRIu64 "\n", st->err[i].kind, st->err[i].n);
  if (c->mode == LOAD_MODE_BMSC) {
    fprintf(o,
            "mikey_messages=%" PRIu64 " mikey_new_msks=%" PRIu64 " mikey_acks=%" PRIu64
            " mikey_refused=%" PRIu64 " mikey_per_second=%.1f acks_per_second=%.1f\n",
            msgs, nw, acks, refused, rx_s > 0 ? (double)msgs / rx_s : 0.0,
            rx_s > 0 ? (double)acks / rx_s : 0.0);
    if (c->expect_msks)
      fprintf(o, "expect_msks=%u ues_holding=%" PRIu64 " wait_seconds=%.3f\n", c->expect_msks,
              expect_ok, waited);
    fprintf(o, "ues_by_msks_held=");
    for (int k = 0; k <= LOAD_MSK_TRACK; k++) fprintf(o, "%s%" PRIu64, k ? "," : "", held[k]);
    fputc('\n', o);
  }
}
