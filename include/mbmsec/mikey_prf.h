/* mbmsec: the MIKEY-1 PRF and the keys derived with it (RFC 3830 section 4.1).
 *
 * PRF(inkey, label) = XOR over the 256-bit pieces s_i of inkey of P(s_i, label, m), with
 * P the HMAC-SHA-1 expansion of section 4.1.2. Keys for a message protected with a
 * pre-shared key (the MBMS MUK or MSK) use label = constant || 0xFF || CSB ID || RAND
 * (section 4.1.4); keys from a TGK use constant || CS ID || CSB ID || RAND (4.1.3).
 * RAND is 16 to MIKEY_RAND_MAX octets (4.1.1: at least 128 bits), else MBMSEC_ERR_ARG.
 * outkey must not overlap inkey (MBMSEC_ERR_ARG).
 */
#ifndef MBMSEC_MIKEY_PRF_H
#define MBMSEC_MIKEY_PRF_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"

/* Label constants, RFC 3830 4.1.3 and 4.1.4. */
#define MIKEY_C_TEK      0x2AD01C64u
#define MIKEY_C_TGK_AUTH 0x1B5C7973u
#define MIKEY_C_TGK_ENCR 0x15798CEFu
#define MIKEY_C_TGK_SALT 0x39A2C14Bu
#define MIKEY_C_ENCR     0x150533E1u
#define MIKEY_C_AUTH     0x2D22AC75u
#define MIKEY_C_SALT     0x29B88916u

#define MIKEY_ENCR_KEY_LEN 16 /* AES-CM-128 */
#define MIKEY_AUTH_KEY_LEN 20 /* HMAC-SHA-1-160 */
#define MIKEY_SALT_KEY_LEN 14 /* 112 bits */
#define MIKEY_MAC_LEN      20
#define MIKEY_RAND_MAX     255
/* Upper bounds the PRF accepts (no protocol use comes near them). */
#define MIKEY_PRF_INKEY_MAX  4096
#define MIKEY_PRF_OUTKEY_MAX 1024
#define MIKEY_PRF_LABEL_MAX  (4 + 1 + 4 + MIKEY_RAND_MAX)

/* The three keys that protect one PSK-method message. Cleanse with
 * mbmsec_mikey_keys_cleanse when done. */
typedef struct {
  uint8_t encr_key[MIKEY_ENCR_KEY_LEN];
  uint8_t auth_key[MIKEY_AUTH_KEY_LEN];
  uint8_t salt_key[MIKEY_SALT_KEY_LEN];
} mbmsec_mikey_keys;

/* outkey = PRF(inkey, label), outkey_len octets.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_MIKEY_PRF_LEN, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_mikey_prf(const uint8_t *inkey, size_t inkey_len, const uint8_t *label,
                            size_t label_len, uint8_t *outkey, size_t outkey_len);

/* encr_key, auth_key, salt_key from a pre-shared key (4.1.4).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_MIKEY_PRF_LEN, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_mikey_psk_keys(const uint8_t *psk, size_t psk_len, uint32_t csb_id,
                                 const uint8_t *rand, size_t rand_len, mbmsec_mikey_keys *out);

/* A key from a TGK (4.1.3): constant is MIKEY_C_TEK, MIKEY_C_TGK_SALT, ...
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_MIKEY_PRF_LEN, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_mikey_tgk_key(const uint8_t *tgk, size_t tgk_len, uint32_t constant,
                                uint8_t cs_id, uint32_t csb_id, const uint8_t *rand,
                                size_t rand_len, uint8_t *out, size_t out_len);

/* KEMAC AES-CM-128 IV (4.2.3): (salt_key XOR (0x0000 || CSB ID || T)) || 0x0000, with T the
 * 64-bit timestamp; a 32-bit COUNTER is right-aligned in T (profile P8), see
 * mbmsec_mikey_counter_ts. */
void mbmsec_mikey_kemac_iv(const uint8_t salt_key[MIKEY_SALT_KEY_LEN], uint32_t csb_id,
                           const uint8_t ts[8], uint8_t iv[16]);
/* The 64-bit T of a COUNTER timestamp: 00 00 00 00 || counter (profile P8). */
void mbmsec_mikey_counter_ts(uint32_t counter, uint8_t ts[8]);

void mbmsec_mikey_keys_cleanse(mbmsec_mikey_keys *k);

#endif
