/* /metrics: Prometheus text format 0.0.4. HTTP and item counters are this daemon's atomics;
 * the Digest and MIKEY counters are read from the engines (lib/ua, lib/bmsc) at scrape time. */
#include <stdio.h>
#include <stdlib.h>

#include "bmsc.h"
#include "text.h"

const char *const bmsc_stage_names[BMSC_STAGE_N] = {"digest", "xml", "store", "mikey", "send"};

const unsigned bmsc_http_codes[BMSC_HTTP_CODES] = {200, 400, 401, 403, 404, 405,
                                                   413, 415, 500, 503, 431, 411};

void bmsc_metrics_http(bmsc_metrics *m, unsigned status)
{
  size_t i = 0;
  while (i < BMSC_HTTP_CODES && bmsc_http_codes[i] != status) i++;
  atomic_fetch_add(&m->http[i], 1);
}

static void put_line(void *arg, const char *line) { bmsc_text_put(arg, "%s", line); }

static void family(bmsc_text *o, const char *name, const char *type, const char *help)
{
  bmsc_text_put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *bmsc_metrics_render(bmsc_app *app, size_t *len)
{
  bmsc_text o;
  bmsc_text_init(&o, 8192);
  if (o.fail) return NULL;
  const bmsc_metrics *m = &app->m;
  family(&o, "mbmsec_bmsc_http_requests_total", "counter",
         "Key requests answered, by HTTP status.");
  for (size_t i = 0; i <= BMSC_HTTP_CODES; i++) {
    unsigned long long v = atomic_load(&m->http[i]);
    if (i < BMSC_HTTP_CODES)
      bmsc_text_put(&o, "mbmsec_bmsc_http_requests_total{status=\"%u\"} %llu\n", bmsc_http_codes[i],
                    v);
    else
      bmsc_text_put(&o, "mbmsec_bmsc_http_requests_total{status=\"other\"} %llu\n", v);
  }
  mbmsec_ua_stats us;
  mbmsec_ua_stats_get(app->ua, &us);
  family(&o, "mbmsec_bmsc_digest_failures_total", "counter",
         "Ua Digest checks refused, by reason.");
  for (int r = 1; r < MBMSEC_UA_R_COUNT; r++)
    bmsc_text_put(&o, "mbmsec_bmsc_digest_failures_total{reason=\"%s\"} %llu\n",
                  mbmsec_ua_reason_name((mbmsec_ua_reason)r), (unsigned long long)us.failures[r]);
  family(&o, "mbmsec_bmsc_digest_successes_total", "counter", "Ua requests authenticated.");
  bmsc_text_put(&o, "mbmsec_bmsc_digest_successes_total %llu\n", (unsigned long long)us.successes);
  family(&o, "mbmsec_bmsc_digest_challenges_total", "counter",
         "401 challenges sent (stale ones included).");
  bmsc_text_put(&o, "mbmsec_bmsc_digest_challenges_total %llu\n",
                (unsigned long long)us.challenges);
  family(&o, "mbmsec_bmsc_zn_requests_total", "counter", "Zn Bootstrapping-Info requests sent.");
  bmsc_text_put(&o, "mbmsec_bmsc_zn_requests_total %llu\n",
                (unsigned long long)atomic_load(&m->zn_birs));
  family(&o, "mbmsec_bmsc_zn_errors_total", "counter", "Zn requests that failed locally.");
  bmsc_text_put(&o, "mbmsec_bmsc_zn_errors_total %llu\n",
                (unsigned long long)atomic_load(&m->zn_errors));
  family(&o, "mbmsec_bmsc_zn_up", "gauge",
         "1 while the Diameter connection to the BSF is open, else 0.");
  bmsc_text_put(&o, "mbmsec_bmsc_zn_up %d\n", app->zn ? mbmsec_zn_client_connected(app->zn) : 0);
  family(&o, "mbmsec_bmsc_items_ok_total", "counter",
         "Request items answered 200, by request type.");
  static const char *const T[] = {"register", "deregister", "msk-request"};
  for (int t = 0; t < 3; t++)
    bmsc_text_put(&o, "mbmsec_bmsc_items_ok_total{requesttype=\"%s\"} %llu\n", T[t],
                  (unsigned long long)atomic_load(&m->items[t]));
  family(&o, "mbmsec_bmsc_registrations_total", "counter",
         "Service registrations accepted (register items 200).");
  bmsc_text_put(&o, "mbmsec_bmsc_registrations_total %llu\n",
                (unsigned long long)atomic_load(&m->items[0]));

  mbmsec_bmsc_dl_stats ds;
  mbmsec_bmsc_dl_counts dc;
  bmsc_mikey_stats(app, &ds, &dc);
  family(&o, "mbmsec_bmsc_mikey_sent_total", "counter", "MIKEY MSK messages sent (first tries).");
  bmsc_text_put(&o, "mbmsec_bmsc_mikey_sent_total %llu\n", (unsigned long long)ds.sent);
  family(&o, "mbmsec_bmsc_mikey_acked_total", "counter",
         "Deliveries completed by a verification message.");
  bmsc_text_put(&o, "mbmsec_bmsc_mikey_acked_total %llu\n", (unsigned long long)ds.acked);
  family(&o, "mbmsec_bmsc_mikey_retransmitted_total", "counter", "MIKEY retransmissions (P13).");
  bmsc_text_put(&o, "mbmsec_bmsc_mikey_retransmitted_total %llu\n",
                (unsigned long long)ds.retransmitted);
  family(&o, "mbmsec_bmsc_mikey_failed_total", "counter", "Deliveries failed after every try.");
  bmsc_text_put(&o, "mbmsec_bmsc_mikey_failed_total %llu\n", (unsigned long long)ds.failed);
  family(&o, "mbmsec_bmsc_mikey_send_errors_total", "counter",
         "Datagrams the socket refused, plus pushes that could not start.");
  bmsc_text_put(&o, "mbmsec_bmsc_mikey_send_errors_total %llu\n",
                (unsigned long long)(ds.send_errors + atomic_load(&m->push_errors)));
  family(&o, "mbmsec_bmsc_mikey_refused_total", "counter",
         "Datagrams received that changed nothing, by reason.");
  bmsc_text_put(&o, "mbmsec_bmsc_mikey_refused_total{reason=\"malformed\"} %llu\n",
                (unsigned long long)ds.refused_malformed);
  bmsc_text_put(&o, "mbmsec_bmsc_mikey_refused_total{reason=\"unknown-ue\"} %llu\n",
                (unsigned long long)ds.refused_unknown_ue);
  bmsc_text_put(&o, "mbmsec_bmsc_mikey_refused_total{reason=\"source\"} %llu\n",
                (unsigned long long)ds.refused_source);
  bmsc_text_put(&o, "mbmsec_bmsc_mikey_refused_total{reason=\"csb-id\"} %llu\n",
                (unsigned long long)ds.refused_csb_id);
  bmsc_text_put(&o, "mbmsec_bmsc_mikey_refused_total{reason=\"mac\"} %llu\n",
                (unsigned long long)ds.refused_mac);
  family(&o, "mbmsec_bmsc_ues", "gauge", "UEs registered for MIKEY delivery.");
  bmsc_text_put(&o, "mbmsec_bmsc_ues %llu\n", (unsigned long long)dc.ues);
  family(&o, "mbmsec_bmsc_deliveries", "gauge", "MSK deliveries now, by state.");
  bmsc_text_put(&o, "mbmsec_bmsc_deliveries{state=\"pending\"} %llu\n",
                (unsigned long long)dc.pending);
  bmsc_text_put(&o, "mbmsec_bmsc_deliveries{state=\"delivered\"} %llu\n",
                (unsigned long long)dc.delivered);
  bmsc_text_put(&o, "mbmsec_bmsc_deliveries{state=\"failed\"} %llu\n",
                (unsigned long long)dc.failed);
  bmsc_text_put(&o, "mbmsec_bmsc_deliveries{state=\"sent\"} %llu\n", (unsigned long long)dc.sent);
  family(
      &o, "mbmsec_bmsc_stage_seconds_total", "counter",
      "CPU time spent in each stage of the key requests (the cost split of docs/BENCHMARKS.md).");
  for (int i = 0; i < BMSC_STAGE_N; i++)
    bmsc_text_put(&o, "mbmsec_bmsc_stage_seconds_total{stage=\"%s\"} %.6f\n", bmsc_stage_names[i],
                  (double)atomic_load(&m->stage_ns[i]) / 1e9);
  family(&o, "mbmsec_bmsc_mtk_messages_sent_total", "counter",
         "MIKEY MTK messages sent (new MTKs and repetitions).");
  bmsc_text_put(&o, "mbmsec_bmsc_mtk_messages_sent_total %llu\n",
                (unsigned long long)atomic_load(&m->mtk_sent));
  family(&o, "mbmsec_bmsc_mtk_current_id", "gauge", "MTK ID of the last MTK message sent.");
  bmsc_text_put(&o, "mbmsec_bmsc_mtk_current_id %llu\n",
                (unsigned long long)atomic_load(&m->mtk_current_id));
  family(&o, "mbmsec_bmsc_srtp_packets_sent_total", "counter", "SRTP packets sent.");
  bmsc_text_put(&o, "mbmsec_bmsc_srtp_packets_sent_total %llu\n",
                (unsigned long long)atomic_load(&m->srtp_sent));
  family(&o, "mbmsec_bmsc_srtp_packets_skipped_total", "counter",
         "SRTP packets not sent: no MSK of the Key Group valid.");
  bmsc_text_put(&o, "mbmsec_bmsc_srtp_packets_skipped_total %llu\n",
                (unsigned long long)atomic_load(&m->srtp_no_msk));
  family(&o, "mbmsec_bmsc_stream_send_errors_total", "counter",
         "MTK or SRTP datagrams the socket refused.");
  bmsc_text_put(&o, "mbmsec_bmsc_stream_send_errors_total %llu\n",
                (unsigned long long)atomic_load(&m->stream_send_errors));
  bmsc_rotate_metrics(app, put_line, &o); /* per MSK push progress, docs/bmsc-rotation.md */
  return bmsc_text_take(&o, len);
}
