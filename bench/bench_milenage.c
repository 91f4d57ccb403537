/* Milenage throughput on one thread: a full authentication vector (f1..f5*, AUTN) with OPc
 * given and with OP (OPc computed each time), plus the USIM-side check.
 *
 * What dominates: the AES key schedule plus the EVP call overhead per mbmsec_aes128_ecb
 * call; a block more in the same call costs far less (aes_1x1 / aes_1x5 / aes_5x1: five blocks
 * in one call against five one-block calls). lib/crypto.c keeps the key schedule when the key
 * repeats, so a USIM (one K) pays it once; milenage_av_opc_newk shows an AuC with a new K on
 * every call. A vector is 2 calls (TEMP, then OUT1..OUT5 batched); with OP it is 3; the USIM
 * check is 3 (OUT1 needs the SQN that AK from OUT2 reveals).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mbmsec/aka.h"
#include "mbmsec/crypto.h"
#include "mbmsec/milenage.h"

static const uint8_t K[16] = {0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
                              0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc};
static const uint8_t OP[16] = {0xcd, 0xc2, 0x02, 0xd5, 0x12, 0x3e, 0x20, 0xf6,
                               0x2b, 0x6d, 0x67, 0x6a, 0xc7, 0x2c, 0xb3, 0x18};
static const uint8_t AMF[2] = {0xb9, 0xb9};

static uint8_t g_opc[16], g_rand[16], g_sqn[6] = {0, 0, 0, 0, 0, 0x20}, g_blocks[80];
static volatile uint8_t g_sink;
static int g_failed;

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(mbmsec_err e)
{
  if (e != MBMSEC_OK) g_failed = 1;
}

static void av_opc(void)
{
  mbmsec_aka_vector av;
  g_rand[0]++;
  check(mbmsec_aka_vector_make(K, g_opc, g_rand, g_sqn, AMF, &av));
  g_sink ^= av.autn[15];
}

/* An AuC serving many subscribers: a different K every call, so no key schedule is reused. */
static void av_opc_newk(void)
{
  mbmsec_aka_vector av;
  uint8_t k[16];
  memcpy(k, K, 16);
  g_rand[0]++;
  k[15] = g_rand[0];
  k[14] = g_rand[1]++;
  check(mbmsec_aka_vector_make(k, g_opc, g_rand, g_sqn, AMF, &av));
  g_sink ^= av.autn[15];
}

static void av_op(void)
{
  mbmsec_aka_vector av;
  uint8_t opc[16];
  g_rand[0]++;
  check(mbmsec_milenage_opc(K, OP, opc));
  check(mbmsec_aka_vector_make(K, opc, g_rand, g_sqn, AMF, &av));
  g_sink ^= av.autn[15];
}

static void usim_check(void)
{
  /* A fixed AUTN checked against a state that always finds it fresh. */
  static uint8_t autn[16];
  static int ready;
  mbmsec_aka_usim_state us;
  uint8_t res[8], ck[16], ik[16], auts[14];
  if (!ready) {
    check(mbmsec_aka_autn(K, g_opc, g_rand, g_sqn, AMF, autn));
    ready = 1;
  }
  mbmsec_aka_usim_init(&us, 0, 0, 0);
  check(mbmsec_aka_usim_check(&us, K, g_opc, g_rand, autn, res, ck, ik, auts));
  g_sink ^= res[0];
}

static void aes_1x1(void) { check(mbmsec_aes128_ecb(K, g_blocks, g_blocks, 1)); }
static void aes_1x5(void) { check(mbmsec_aes128_ecb(K, g_blocks, g_blocks, 5)); }
static void aes_5x1(void)
{
  for (int i = 0; i < 5; i++) check(mbmsec_aes128_ecb(K, g_blocks + 16 * i, g_blocks + 16 * i, 1));
}

/* Runs fn in batches until at least a second has passed; prints ops per second. */
static void run(const char *name, void (*fn)(void))
{
  long n = 0;
  double t0 = now(), t;
  do {
    for (int i = 0; i < 1000; i++) fn();
    n += 1000;
    t = now() - t0;
  } while (t < 1.0);
  printf("bench %s %.0f ops/s\n", name, (double)n / t);
}

int main(void)
{
  if (mbmsec_milenage_opc(K, OP, g_opc) != MBMSEC_OK) return 1;
  run("milenage_av_opc", av_opc);
  run("milenage_av_opc_newk", av_opc_newk);
  run("milenage_av_op", av_op);
  run("milenage_usim_check", usim_check);
  run("aes_1x1", aes_1x1);
  run("aes_1x5", aes_1x5);
  run("aes_5x1", aes_5x1);
  mbmsec_crypto_cleanup();
  if (g_failed) {
    fprintf(stderr, "bench_milenage: a call failed\n");
    return 1;
  }
  return 0;
}
