/* Milenage (TS 35.206 section 4.1). Key schedule dominates a one-block AES call, so the OUT
 * blocks are built first and encrypted in one batch; see bench/bench_milenage.c. */
#include "mbmsec/milenage.h"

#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"

/* rk in octets and ck's last octet for OUT2..OUT5 (r1 = 64, c1 = 0 handled in in1_block). */
static const uint8_t ROT[4] = {0, 4, 8, 12};
static const uint8_t CONST[4] = {0x01, 0x02, 0x04, 0x08};

/* TEMP xor rot(IN1 xor OPc, 64) xor c1, with IN1 = SQN || AMF || SQN || AMF. */
static void in1_block(const mbmsec_milenage_ctx *ctx, const uint8_t sqn[6], const uint8_t amf[2],
                      uint8_t blk[16])
{
  uint8_t in1[16];
  memcpy(in1, sqn, 6);
  memcpy(in1 + 6, amf, 2);
  memcpy(in1 + 8, in1, 8);
  /* rot by 64 bits swaps the halves; c1 is all zero. */
  for (int i = 0; i < 16; i++) blk[i] = ctx->temp[i] ^ in1[(i + 8) % 16] ^ ctx->opc[(i + 8) % 16];
  mbmsec_cleanse(in1, sizeof in1);
}

/* rot(TEMP xor OPc, rk) xor ck for OUT2..OUT5 (j = k - 2): 4 blocks, 64 octets. */
static void outk_blocks(const mbmsec_milenage_ctx *ctx, uint8_t *blk)
{
  for (int j = 0; j < 4; j++) {
    for (int i = 0; i < 16; i++)
      blk[16 * j + i] = ctx->temp[(i + ROT[j]) % 16] ^ ctx->opc[(i + ROT[j]) % 16];
    blk[16 * j + 15] ^= CONST[j];
  }
}

static void xor_opc(const mbmsec_milenage_ctx *ctx, uint8_t *blk, int nblocks)
{
  for (int j = 0; j < nblocks; j++)
    for (int i = 0; i < 16; i++) blk[16 * j + i] ^= ctx->opc[i];
}

mbmsec_err mbmsec_milenage_opc(const uint8_t k[16], const uint8_t op[16], uint8_t opc[16])
{
  ENSURE(k && op && opc, MBMSEC_ERR_ARG);
  uint8_t e[16];
  mbmsec_err rc = mbmsec_aes128_ecb(k, op, e, 1);
  for (int i = 0; i < 16; i++) opc[i] = rc == MBMSEC_OK ? (uint8_t)(op[i] ^ e[i]) : 0;
  mbmsec_cleanse(e, sizeof e);
  return rc;
}

mbmsec_err mbmsec_milenage_ctx_init(mbmsec_milenage_ctx *ctx, const uint8_t k[16],
                                    const uint8_t opc[16], const uint8_t rand[16])
{
  ENSURE(ctx && k && opc && rand, MBMSEC_ERR_ARG);
  memcpy(ctx->k, k, 16);
  memcpy(ctx->opc, opc, 16);
  for (int i = 0; i < 16; i++) ctx->temp[i] = rand[i] ^ opc[i];
  mbmsec_err rc = mbmsec_aes128_ecb(ctx->k, ctx->temp, ctx->temp, 1);
  if (rc != MBMSEC_OK) mbmsec_milenage_ctx_cleanse(ctx);
  return rc;
}

mbmsec_err mbmsec_milenage_ctx_f1(const mbmsec_milenage_ctx *ctx, const uint8_t sqn[6],
                                  const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8])
{
  ENSURE(ctx && sqn && amf, MBMSEC_ERR_ARG);
  uint8_t out1[16];
  in1_block(ctx, sqn, amf, out1);
  mbmsec_err rc = mbmsec_aes128_ecb(ctx->k, out1, out1, 1);
  if (rc == MBMSEC_OK) {
    xor_opc(ctx, out1, 1);
    if (mac_a) memcpy(mac_a, out1, 8);
    if (mac_s) memcpy(mac_s, out1 + 8, 8);
  }
  mbmsec_cleanse(out1, sizeof out1);
  return rc;
}

mbmsec_err mbmsec_milenage_ctx_f2345(const mbmsec_milenage_ctx *ctx, uint8_t res[8], uint8_t ck[16],
                                     uint8_t ik[16], uint8_t ak[6], uint8_t ak_star[6])
{
  ENSURE(ctx, MBMSEC_ERR_ARG);
  uint8_t out[64];
  outk_blocks(ctx, out);
  mbmsec_err rc = mbmsec_aes128_ecb(ctx->k, out, out, 4);
  if (rc == MBMSEC_OK) {
    xor_opc(ctx, out, 4);
    if (ak) memcpy(ak, out, 6);                /* f5 = OUT2[0..47] */
    if (res) memcpy(res, out + 8, 8);          /* f2 = OUT2[64..127] */
    if (ck) memcpy(ck, out + 16, 16);          /* f3 = OUT3 */
    if (ik) memcpy(ik, out + 32, 16);          /* f4 = OUT4 */
    if (ak_star) memcpy(ak_star, out + 48, 6); /* f5* = OUT5[0..47] */
  }
  mbmsec_cleanse(out, sizeof out);
  return rc;
}

void mbmsec_milenage_ctx_cleanse(mbmsec_milenage_ctx *ctx)
{
  mbmsec_cleanse(ctx, ctx ? sizeof *ctx : 0);
}

mbmsec_err mbmsec_milenage(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
                           const uint8_t sqn[6], const uint8_t amf[2], mbmsec_milenage_out *out)
{
  ENSURE(k && opc && rand && sqn && amf && out, MBMSEC_ERR_ARG);
  mbmsec_milenage_ctx ctx;
  uint8_t blk[80]; /* OUT1..OUT5 */
  mbmsec_err rc;
  GUARD_OUT(mbmsec_milenage_ctx_init(&ctx, k, opc, rand));
  /* OUT1 does not depend on OUT2..5 here (SQN is given), so all five go in one call. */
  in1_block(&ctx, sqn, amf, blk);
  outk_blocks(&ctx, blk + 16);
  GUARD_OUT(mbmsec_aes128_ecb(ctx.k, blk, blk, 5));
  xor_opc(&ctx, blk, 5);
  memcpy(out->mac_a, blk, 8);
  memcpy(out->mac_s, blk + 8, 8);
  memcpy(out->ak, blk + 16, 6);
  memcpy(out->res, blk + 24, 8);
  memcpy(out->ck, blk + 32, 16);
  memcpy(out->ik, blk + 48, 16);
  memcpy(out->ak_star, blk + 64, 6);
out:
  if (rc != MBMSEC_OK) mbmsec_cleanse(out, sizeof *out);
  mbmsec_milenage_ctx_cleanse(&ctx);
  mbmsec_cleanse(blk, sizeof blk);
  return rc;
}
