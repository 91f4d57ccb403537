/* mbmsec: the primitives every module uses, all on OpenSSL 3 EVP.
 *
 * Algorithms are fetched once per process; each thread keeps its own EVP contexts and
 * re-keys them per call, so a hot path allocates nothing. Callers never touch OpenSSL.
 */
#ifndef MBMSEC_CRYPTO_H
#define MBMSEC_CRYPTO_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"

typedef enum {
  MBMSEC_MD_MD5 = 0,
  MBMSEC_MD_SHA1 = 1,
  MBMSEC_MD_SHA256 = 2,
} mbmsec_md;

#define MBMSEC_MD_MAX_SIZE 32

/* One piece of a message given as several parts (hashed as their concatenation). */
typedef struct {
  const void *p;
  size_t len;
} mbmsec_iov;

/* Output size in octets (16, 20, 32). */
size_t mbmsec_md_size(mbmsec_md md);

/* Fetches the algorithms. Optional: every primitive calls it on first use.
 * @return MBMSEC_OK, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_crypto_init(void);
/* Frees the calling thread's contexts and, from the main thread at exit, the fetched
 * algorithms. Threads' contexts are also freed when the thread ends. */
void mbmsec_crypto_cleanup(void);

/* out = H(part0 || part1 || ...). @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_hash(mbmsec_md md, const mbmsec_iov *parts, size_t nparts, uint8_t *out);
/* out = HMAC-H(key, part0 || ...). @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_hmac(mbmsec_md md, const uint8_t *key, size_t keylen, const mbmsec_iov *parts,
                       size_t nparts, uint8_t *out);

/* AES-128 in ECB mode on nblocks 16-octet blocks (in and out may alias).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_aes128_ecb(const uint8_t key[16], const uint8_t *in, uint8_t *out,
                             size_t nblocks);
/* AES-128 counter mode with a 128-bit big-endian counter block starting at iv
 * (RFC 3711 AES-CM). @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_aes128_ctr(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
                             uint8_t *out, size_t len);

/* 1 when equal, 0 otherwise; time depends on n only. */
int mbmsec_ct_equal(const void *a, const void *b, size_t n);
/* Zeroises memory in a way the compiler cannot drop. */
void mbmsec_cleanse(void *p, size_t n);
/* Cryptographically strong random bytes. @return MBMSEC_OK, MBMSEC_ERR_RANDOM. */
mbmsec_err mbmsec_random(void *out, size_t n);

#endif
