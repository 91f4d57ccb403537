/* mbmsec: Milenage (3GPP TS 35.206), the example AKA algorithm set f1, f1*, f2..f5, f5*.
 *
 * Every f shares TEMP = E_K(RAND xor OPc); the context keeps it so that a caller who needs
 * f5 before f1 (the USIM recovers SQN with AK first) pays for it once. mbmsec_milenage()
 * computes everything with two AES calls: TEMP, then OUT1..OUT5 as one 5-block batch.
 * All values are big-endian octet strings as printed in TS 35.208.
 */
#ifndef MBMSEC_MILENAGE_H
#define MBMSEC_MILENAGE_H
#include <stdint.h>
#include "mbmsec/error.h"

#define MBMSEC_MILENAGE_K_LEN    16
#define MBMSEC_MILENAGE_RAND_LEN 16
#define MBMSEC_MILENAGE_SQN_LEN  6
#define MBMSEC_MILENAGE_AMF_LEN  2
#define MBMSEC_MILENAGE_MAC_LEN  8
#define MBMSEC_MILENAGE_RES_LEN  8
#define MBMSEC_MILENAGE_AK_LEN   6

/* Every output of one Milenage run. All secret except mac_a/mac_s once sent. */
typedef struct {
  uint8_t mac_a[8];   /* f1 */
  uint8_t mac_s[8];   /* f1* */
  uint8_t res[8];     /* f2 */
  uint8_t ck[16];     /* f3 */
  uint8_t ik[16];     /* f4 */
  uint8_t ak[6];      /* f5 */
  uint8_t ak_star[6]; /* f5* */
} mbmsec_milenage_out;

/* K, OPc and TEMP for one RAND. Secret: release with mbmsec_milenage_ctx_cleanse. */
typedef struct {
  uint8_t k[16];
  uint8_t opc[16];
  uint8_t temp[16];
} mbmsec_milenage_ctx;

/* opc = OP xor E_K(OP) (one AES call).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (a NULL pointer), MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_milenage_opc(const uint8_t k[16], const uint8_t op[16], uint8_t opc[16]);

/* Fills ctx with K, OPc and TEMP = E_K(RAND xor OPc) (one AES call).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (a NULL pointer), MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_milenage_ctx_init(mbmsec_milenage_ctx *ctx, const uint8_t k[16],
                                    const uint8_t opc[16], const uint8_t rand[16]);

/* f1 and f1* (one AES call); mac_a or mac_s may be NULL when not wanted.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (ctx, sqn or amf NULL), MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_milenage_ctx_f1(const mbmsec_milenage_ctx *ctx, const uint8_t sqn[6],
                                  const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8]);

/* f2, f3, f4, f5, f5* (one AES call on 4 blocks); any output may be NULL.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (ctx NULL), MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_milenage_ctx_f2345(const mbmsec_milenage_ctx *ctx, uint8_t res[8], uint8_t ck[16],
                                     uint8_t ik[16], uint8_t ak[6], uint8_t ak_star[6]);

/* Zeroises the context. Safe on NULL. */
void mbmsec_milenage_ctx_cleanse(mbmsec_milenage_ctx *ctx);

/* All seven functions for one (K, OPc, RAND, SQN, AMF) with two AES calls. On error *out is
 * zeroised. @return MBMSEC_OK, MBMSEC_ERR_ARG (a NULL pointer), MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_milenage(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
                           const uint8_t sqn[6], const uint8_t amf[2], mbmsec_milenage_out *out);

#endif
