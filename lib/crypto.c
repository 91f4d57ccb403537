/* Primitives over OpenSSL 3 EVP. Algorithms are fetched once (pthread_once); EVP contexts
 * live per thread and are re-keyed per call: EVP_*_CTX_new on every call costs more than
 * the cipher itself for the short inputs of this protocol family. */
#include "mbmsec/crypto.h"

#include <pthread.h>
#include <stdlib.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "guard.h"

#define MD_COUNT 3

static struct {
  EVP_MD *md[MD_COUNT];
  EVP_CIPHER *aes_ecb;
  EVP_CIPHER *aes_ctr;
  EVP_MAC *hmac;
  int ok;
} g_alg;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_tls_key;

struct tls_ctx {
  EVP_MD_CTX *md;
  EVP_MAC_CTX *mac;
  EVP_CIPHER_CTX *ecb;
  EVP_CIPHER_CTX *ctr;
};

static _Thread_local struct tls_ctx *t_ctx;

static const char *const MD_NAMES[MD_COUNT] = {"MD5", "SHA1", "SHA256"};

static void tls_free(void *arg)
{
  struct tls_ctx *c = arg;
  if (!c) return;
  EVP_MD_CTX_free(c->md);
  EVP_MAC_CTX_free(c->mac);
  EVP_CIPHER_CTX_free(c->ecb);
  EVP_CIPHER_CTX_free(c->ctr);
  free(c);
}

static void fetch_once(void)
{
  for (int i = 0; i < MD_COUNT; i++) g_alg.md[i] = EVP_MD_fetch(NULL, MD_NAMES[i], NULL);
  g_alg.aes_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
  g_alg.aes_ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
  g_alg.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  g_alg.ok = g_alg.md[0] && g_alg.md[1] && g_alg.md[2] && g_alg.aes_ecb && g_alg.aes_ctr &&
             g_alg.hmac && pthread_key_create(&g_tls_key, tls_free) == 0;
}

mbmsec_err mbmsec_crypto_init(void)
{
  pthread_once(&g_once, fetch_once);
  return g_alg.ok ? MBMSEC_OK : MBMSEC_ERR_CRYPTO;
}

static struct tls_ctx *ctx_get(void)
{
  if (t_ctx) return t_ctx;
  if (mbmsec_crypto_init() != MBMSEC_OK) return NULL;
  struct tls_ctx *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->md = EVP_MD_CTX_new();
  c->mac = EVP_MAC_CTX_new(g_alg.hmac);
  c->ecb = EVP_CIPHER_CTX_new();
  c->ctr = EVP_CIPHER_CTX_new();
  if (!c->md || !c->mac || !c->ecb || !c->ctr ||
      !EVP_EncryptInit_ex2(c->ecb, g_alg.aes_ecb, NULL, NULL, NULL) ||
      !EVP_EncryptInit_ex2(c->ctr, g_alg.aes_ctr, NULL, NULL, NULL) ||
      !EVP_CIPHER_CTX_set_padding(c->ecb, 0) || pthread_setspecific(g_tls_key, c) != 0) {
    tls_free(c);
    return NULL;
  }
  t_ctx = c;
  return c;
}

void mbmsec_crypto_cleanup(void)
{
  if (t_ctx) {
    (void)pthread_setspecific(g_tls_key, NULL);
    tls_free(t_ctx);
    t_ctx = NULL;
  }
}

size_t mbmsec_md_size(mbmsec_md md)
{
  switch (md) {
  case MBMSEC_MD_MD5: return 16;
  case MBMSEC_MD_SHA1: return 20;
  case MBMSEC_MD_SHA256: return 32;
  }
  return 0;
}

static int md_valid(mbmsec_md md) { return (unsigned)md < MD_COUNT; }

mbmsec_err mbmsec_hash(mbmsec_md md, const mbmsec_iov *parts, size_t nparts, uint8_t *out)
{
  ENSURE(md_valid(md) && out && (parts || nparts == 0), MBMSEC_ERR_ARG);
  struct tls_ctx *c = ctx_get();
  ENSURE(c, MBMSEC_ERR_CRYPTO);
  ENSURE(EVP_DigestInit_ex2(c->md, g_alg.md[md], NULL), MBMSEC_ERR_CRYPTO);
  for (size_t i = 0; i < nparts; i++)
    if (parts[i].len) ENSURE(EVP_DigestUpdate(c->md, parts[i].p, parts[i].len), MBMSEC_ERR_CRYPTO);
  unsigned int n = 0;
  ENSURE(EVP_DigestFinal_ex(c->md, out, &n), MBMSEC_ERR_CRYPTO);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_hmac(mbmsec_md md, const uint8_t *key, size_t keylen,
                       const mbmsec_iov *parts, size_t nparts, uint8_t *out)
{
  ENSURE(md_valid(md) && out && (key || keylen == 0) && (parts || nparts == 0), MBMSEC_ERR_ARG);
  struct tls_ctx *c = ctx_get();
  ENSURE(c, MBMSEC_ERR_CRYPTO);
  OSSL_PARAM params[2] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)MD_NAMES[md], 0),
      OSSL_PARAM_construct_end()};
  /* OpenSSL refuses a NULL key pointer even for an empty key. */
  static const uint8_t empty = 0;
  ENSURE(EVP_MAC_init(c->mac, keylen ? key : &empty, keylen, params), MBMSEC_ERR_CRYPTO);
  for (size_t i = 0; i < nparts; i++)
    if (parts[i].len) ENSURE(EVP_MAC_update(c->mac, parts[i].p, parts[i].len), MBMSEC_ERR_CRYPTO);
  size_t n = 0;
  ENSURE(EVP_MAC_final(c->mac, out, &n, mbmsec_md_size(md)), MBMSEC_ERR_CRYPTO);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_aes128_ecb(const uint8_t key[16], const uint8_t *in, uint8_t *out, size_t nblocks)
{
  ENSURE(key && in && out && nblocks <= (size_t)INT32_MAX / 16, MBMSEC_ERR_ARG);
  struct tls_ctx *c = ctx_get();
  ENSURE(c, MBMSEC_ERR_CRYPTO);
  int n = 0;
  ENSURE(EVP_EncryptInit_ex2(c->ecb, NULL, key, NULL, NULL), MBMSEC_ERR_CRYPTO);
  ENSURE(EVP_EncryptUpdate(c->ecb, out, &n, in, (int)(nblocks * 16)), MBMSEC_ERR_CRYPTO);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_aes128_ctr(const uint8_t key[16], const uint8_t iv[16],
                             const uint8_t *in, uint8_t *out, size_t len)
{
  ENSURE(key && iv && (len == 0 || (in && out)) && len <= (size_t)INT32_MAX, MBMSEC_ERR_ARG);
  if (len == 0) return MBMSEC_OK;
  struct tls_ctx *c = ctx_get();
  ENSURE(c, MBMSEC_ERR_CRYPTO);
  int n = 0;
  ENSURE(EVP_EncryptInit_ex2(c->ctr, NULL, key, iv, NULL), MBMSEC_ERR_CRYPTO);
  ENSURE(EVP_EncryptUpdate(c->ctr, out, &n, in, (int)len), MBMSEC_ERR_CRYPTO);
  return MBMSEC_OK;
}

int mbmsec_ct_equal(const void *a, const void *b, size_t n)
{
  return CRYPTO_memcmp(a, b, n) == 0;
}

void mbmsec_cleanse(void *p, size_t n)
{
  if (p && n) OPENSSL_cleanse(p, n);
}

mbmsec_err mbmsec_random(void *out, size_t n)
{
  ENSURE(out || n == 0, MBMSEC_ERR_ARG);
  ENSURE(n <= INT32_MAX, MBMSEC_ERR_ARG);
  ENSURE(n == 0 || RAND_bytes(out, (int)n) == 1, MBMSEC_ERR_RANDOM);
  return MBMSEC_OK;
}
