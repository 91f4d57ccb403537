/* MSK push to many registered UEs through the delivery engine, one core: UEs registered per
 * second (each reserves its first durable counter block, here in an in-memory store);
 * deliveries (counter, build, MAC, send callback that copies the datagram) per second;
 * verification messages taken (decode, find the UE and its delivery, MAC) per second; memory
 * per registered UE, from the structs (bmsc_bytes_per_ue, plus per pending delivery) and from
 * the resident set growth. The UE side's verification messages are made outside the timed
 * part. Usage: bench_bmsc_delivery [UEs [store]] (default 100000, ":memory:"; a file store
 * shows the synced counter reservations at registration). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bench.h"
#include "mbmsec/bmsc_delivery.h"
#include "mbmsec/crypto.h"
#include "mbmsec/mikey_msg.h"
#include "bench_bmsc_capture.h"

static long rss_kib(void)
{
  long pages = 0, res = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
    fclose(f);
  }
  return res * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv)
{
  const size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
  g_msgs = malloc(n * MSG_MAX);
  g_lens = calloc(n, sizeof *g_lens);
  uint8_t *vers = malloc(n * MSG_MAX);
  size_t *vlens = calloc(n, sizeof *vlens);
  mbmsec_store *st = NULL;
  mbmsec_bmsc_dl *dl = NULL;
  if (!g_msgs || !g_lens || !vers || !vlens ||
      mbmsec_store_open(argc > 2 ? argv[2] : ":memory:", &st) != MBMSEC_OK)
    return 1;
  mbmsec_bmsc_dl_config c = {
      .fqdn = "bmsc.example.org", .v_flag = 1, .store = st, .send = cap_send, .max_ues = n};
  if (mbmsec_bmsc_dl_new(&c, &dl) != MBMSEC_OK) return 1;
  mbmsec_random(g_muk, sizeof g_muk);
  char btid[64];
  const long rss0 = rss_kib();
  double t0 = bench_now();
  for (size_t i = 0; i < n; i++) {
    snprintf(btid, sizeof btid, "ue%08zu@bsf.example.org", i);
    if (mbmsec_bmsc_dl_ue_set(dl, btid, g_muk, 0x7f000001u, 2269) != MBMSEC_OK) return 1;
  }
  double t1 = bench_now();
  const long rss1 = rss_kib();
  printf("bench bmsc_ue_register_%zu_ues %.0f ops/s\n", n, (double)n / (t1 - t0));
  const uint8_t kdid[3] = {0, 0xf1, 0x10}, msk_id[4] = {0, 1, 0, 2};
  uint8_t msk[16];
  mbmsec_random(msk, sizeof msk);

  t0 = bench_now();
  for (size_t i = 0; i < n; i++) {
    snprintf(btid, sizeof btid, "ue%08zu@bsf.example.org", i);
    if (mbmsec_bmsc_dl_deliver(dl, btid, kdid, msk_id, msk, 1, 1000, 0) != MBMSEC_OK) return 1;
  }
  t1 = bench_now();
  printf("bench bmsc_msk_push_%zu_ues %.0f ops/s\n", n, (double)n / (t1 - t0));

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
  for (size_t i = 0; i < n; i++)
    if (mbmsec_bmsc_dl_on_datagram(dl, 0x7f000001u, 2269, vers + i * MSG_MAX, vlens[i], 1) !=
        MBMSEC_OK)
      return 1;
  t1 = bench_now();
  printf("bench bmsc_verification_taken_%zu_ues %.0f ops/s\n", n, (double)n / (t1 - t0));
  t0 = bench_now(); /* one tick past the (stale) earliest deadline: a scan over every UE */
  (void)mbmsec_bmsc_dl_tick(dl, 1000000);
  t1 = bench_now();
  printf("bench bmsc_tick_full_scan_%zu_ues %.0f ops/s\n", n, 1.0 / (t1 - t0));
  t0 = bench_now(); /* ticks with nothing due: no scan */
  for (int k = 0; k < 1000000; k++) (void)mbmsec_bmsc_dl_tick(dl, 1000000 + k);
  t1 = bench_now();
  printf("bench bmsc_tick_idle_%zu_ues %.0f ops/s\n", n, 1e6 / (t1 - t0));
  printf("bench bmsc_bytes_per_ue %zu bytes\n", mbmsec_bmsc_dl_ue_bytes(strlen(btid)));
  printf("bench bmsc_bytes_per_pending_delivery %zu bytes\n", mbmsec_bmsc_dl_pending_bytes());
  printf("bench bmsc_rss_bytes_per_registered_ue %.0f bytes\n",
         (double)(rss1 - rss0) * 1024.0 / (double)n);
  mbmsec_bmsc_dl_free(dl);
  mbmsec_store_close(st);
  free(g_msgs), free(g_lens), free(vers), free(vlens);
  mbmsec_crypto_cleanup();
  return 0;
}
