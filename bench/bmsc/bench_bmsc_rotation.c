/* MSK rotation push to many registered UEs through the rotation scheduler (lib/bmsc
 * bmsc_rotsched.h) and the delivery engine, one core, the way mbmsec-bmsc drives them
 * (src/bmsc/rotate.c): a plan over the UEs (shuffle, slots, jitter, heap); due() in 100 ms
 * steps over the window, each due UE pushed (counter, build, MAC, send callback copying the
 * datagram) and marked sent; then the UEs' verification messages taken by the engine and
 * settled in the plan (B-TID -> plan index by binary search). Prints plan setup time, pushes
 * per second, acknowledgements per second and the scheduler's bytes per UE.
 * Usage: bench_bmsc_rotation [UEs] (default 100000; in-memory store). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench.h"
#include "mbmsec/bmsc_delivery.h"
#include "mbmsec/bmsc_rotsched.h"
#include "mbmsec/crypto.h"
#include "mbmsec/mikey_msg.h"
#include "bench_bmsc_capture.h"

#define BTID_LEN 48

static int cmp_btid(const void *a, const void *b) { return strcmp(a, b); }

int main(int argc, char **argv)
{
  const size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
  g_msgs = malloc(n * MSG_MAX);
  g_lens = calloc(n, sizeof *g_lens);
  uint8_t *vers = malloc(n * MSG_MAX);
  size_t *vlens = calloc(n, sizeof *vlens);
  char *btids = malloc(n * BTID_LEN);
  uint32_t *ids = malloc(n * sizeof *ids), *sent_id = malloc(n * sizeof *sent_id);
  mbmsec_store *st = NULL;
  mbmsec_bmsc_dl *dl = NULL;
  if (!n || !g_msgs || !g_lens || !vers || !vlens || !btids || !ids || !sent_id ||
      mbmsec_store_open(":memory:", &st) != MBMSEC_OK)
    return 1;
  mbmsec_bmsc_dl_config c = {
      .fqdn = "bmsc.example.org", .v_flag = 1, .store = st, .send = cap_send, .max_ues = n};
  if (mbmsec_bmsc_dl_new(&c, &dl) != MBMSEC_OK) return 1;
  mbmsec_random(g_muk, sizeof g_muk);
  for (size_t i = 0; i < n; i++) {
    snprintf(btids + i * BTID_LEN, BTID_LEN, "ue%08zu@bsf.example.org", i % 100000000u);
    if (mbmsec_bmsc_dl_ue_set(dl, btids + i * BTID_LEN, g_muk, 0x7f000001u, 2269) != MBMSEC_OK)
      return 1;
  }
  qsort(btids, n, BTID_LEN, cmp_btid); /* the daemon's plan holds the B-TIDs sorted */
  const uint8_t kdid[3] = {0, 0xf1, 0x10}, msk_id[4] = {0, 1, 0, 3};
  uint8_t msk[16];
  mbmsec_random(msk, sizeof msk);

  const uint32_t window = 600000;
  mbmsec_bmsc_rot_plan pl = {.start_ms = 0, .window_ms = window, .jitter_ms = 2000, .seed = 42};
  mbmsec_bmsc_rot *r = NULL;
  double t0 = bench_now();
  if (mbmsec_bmsc_rot_new(&pl, n, &r) != MBMSEC_OK) return 1;
  double t1 = bench_now();
  printf("bench bmsc_rotation_plan_%zu_ues %.1f ms\n", n, (t1 - t0) * 1e3);

  size_t pushed = 0;
  t0 = bench_now();
  for (int64_t now = 0; pushed < n; now += 100) {
    size_t k = mbmsec_bmsc_rot_due(r, now, ids, n - pushed);
    for (size_t i = 0; i < k; i++) {
      int ok = mbmsec_bmsc_dl_deliver(dl, btids + (size_t)ids[i] * BTID_LEN, kdid, msk_id, msk, 1,
                                      1000, now) == MBMSEC_OK;
      if (!ok || mbmsec_bmsc_rot_sent(r, ids[i], ok) != MBMSEC_OK) return 1;
      sent_id[pushed++] = ids[i];
    }
  }
  t1 = bench_now();
  printf("bench bmsc_rotation_push_%zu_ues %.0f ops/s\n", n, (double)n / (t1 - t0));

  for (size_t i = 0; i < n; i++) { /* the UEs' answers, untimed */
    mbmsec_mikey_msk_info info;
    if (mbmsec_mikey_msk_verify(g_msgs + i * MSG_MAX, g_lens[i], key_cb, NULL, NULL, &info) !=
            MBMSEC_OK ||
        mbmsec_mikey_ver_build(&info, g_muk, 32, vers + i * MSG_MAX, MSG_MAX, &vlens[i]) !=
            MBMSEC_OK)
      return 1;
    mbmsec_mikey_msk_info_cleanse(&info);
  }
  t0 = bench_now();
  for (size_t i = 0; i < n; i++) {
    if (mbmsec_bmsc_dl_on_datagram(dl, 0x7f000001u, 2269, vers + i * MSG_MAX, vlens[i], window) !=
        MBMSEC_OK)
      return 1;
    /* the daemon maps the event's B-TID back to the plan index */
    const char *b = btids + (size_t)sent_id[i] * BTID_LEN;
    const char *hit = bsearch(b, btids, n, BTID_LEN, cmp_btid);
    if (!hit ||
        mbmsec_bmsc_rot_settle(r, (uint32_t)((size_t)(hit - btids) / BTID_LEN), 1) != MBMSEC_OK)
      return 1;
  }
  t1 = bench_now();
  printf("bench bmsc_rotation_acks_%zu_ues %.0f ops/s\n", n, (double)n / (t1 - t0));
  mbmsec_bmsc_rot_progress p;
  mbmsec_bmsc_rot_get_progress(r, &p);
  if (p.acked != n || p.pending != 0) return 1;
  printf("bench bmsc_rotation_bytes_per_ue %zu bytes (scheduler) + %zu (B-TID pointer in the "
         "daemon)\n",
         mbmsec_bmsc_rot_ue_bytes(), sizeof(char *));
  mbmsec_bmsc_rot_free(r);
  mbmsec_bmsc_dl_free(dl);
  mbmsec_store_close(st);
  free(g_msgs), free(g_lens), free(vers), free(vlens), free(btids), free(ids), free(sent_id);
  mbmsec_crypto_cleanup();
  return 0;
}
