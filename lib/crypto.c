/* Primitives over OpenSSL 3 EVP. Algorithms are fetched once (pthread_once); EVP contexts
 * live per thread and are re-keyed per call: EVP_*_CTX_new on every call costs more than
 * the cipher itself for the short inputs of this protocol family.
 *
 * Re-keying dominates too (bench/bench_gba.c): an HMAC key set-up costs more than hashing a
 * 64-octet message, and naming the digest on every init re-fetches it. So each HMAC context is
 * bound to its digest once, and each context remembers the key it holds: a call with the same
 * key (the MIKEY PRF makes six in a row, Milenage five AES calls under K) reuses the key
 * schedule. The remembered key is no more exposure than the keyed context itself; both are
 * cleansed when the thread ends or calls mbmsec_crypto_cleanup. */
#include "mbmsec/crypto.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
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
/* Bumped in the child of every fork(); the child runs one thread then, so no race. */
static volatile unsigned long g_fork_gen = 1;
static void on_fork_child(void) { g_fork_gen++; }
static pthread_key_t g_tls_key;

/* Keys up to one hash block are remembered; longer HMAC keys are always set afresh. */
#define KEY_CACHE_MAX 64

struct key_cache {
  uint8_t key[KEY_CACHE_MAX];
  size_t len;
  int valid;
};

/* Random bytes are drawn from RAND_bytes a block at a time: each RAND_bytes call costs about
 * 0.7 us whatever its length, and a BM-SC takes 20 octets (CSB ID, RAND) per MIKEY message.
 * Bytes are cleansed as they are handed out; the block is dropped in a forked child (a fork
 * generation bumped by a pthread_atfork handler: getpid() is a system call on every draw),
 * so parent and child never share random values. */
#define RAND_BLOCK      4096
#define RAND_DIRECT_MIN 256 /* larger requests go straight to RAND_bytes */

struct tls_ctx {
  uint8_t rnd[RAND_BLOCK];
  size_t rnd_pos;        /* next unused octet; RAND_BLOCK when empty */
  unsigned long rnd_gen; /* g_fork_gen when the block was drawn */
  EVP_MD_CTX *md;
  EVP_MAC_CTX *mac[MD_COUNT];
  EVP_CIPHER_CTX *ecb;
  EVP_CIPHER_CTX *ctr;
  struct key_cache mac_key[MD_COUNT];
  struct key_cache ecb_key;
  struct key_cache ctr_key;
};

static _Thread_local struct tls_ctx *t_ctx;

static const char *const MD_NAMES[MD_COUNT] = {"MD5", "SHA1", "SHA256"};

static void tls_free(void *arg)
{
  struct tls_ctx *c = arg;
  if (!c) return;
  EVP_MD_CTX_free(c->md);
  for (int i = 0; i < MD_COUNT; i++) EVP_MAC_CTX_free(c->mac[i]);
  EVP_CIPHER_CTX_free(c->ecb);
  EVP_CIPHER_CTX_free(c->ctr);
  OPENSSL_cleanse(c, sizeof *c);
  free(c);
}

static void fetch_once(void)
{
  for (int i = 0; i < MD_COUNT; i++) g_alg.md[i] = EVP_MD_fetch(NULL, MD_NAMES[i], NULL);
  g_alg.aes_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
  g_alg.aes_ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
  g_alg.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  g_alg.ok = g_alg.md[0] && g_alg.md[1] && g_alg.md[2] && g_alg.aes_ecb && g_alg.aes_ctr &&
             g_alg.hmac && pthread_key_create(&g_tls_key, tls_free) == 0 &&
             pthread_atfork(NULL, NULL, on_fork_child) == 0;
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
  c->rnd_pos = RAND_BLOCK;
  c->md = EVP_MD_CTX_new();
  c->ecb = EVP_CIPHER_CTX_new();
  c->ctr = EVP_CIPHER_CTX_new();
  int macs_ok = 1;
  for (int i = 0; i < MD_COUNT; i++) {
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)MD_NAMES[i], 0),
        OSSL_PARAM_construct_end()};
    c->mac[i] = EVP_MAC_CTX_new(g_alg.hmac);
    macs_ok = macs_ok && c->mac[i] && EVP_MAC_CTX_set_params(c->mac[i], params);
  }
  if (!c->md || !macs_ok || !c->ecb || !c->ctr ||
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
  case MBMSEC_MD_MD5:
    return 16;
  case MBMSEC_MD_SHA1:
    return 20;
  case MBMSEC_MD_SHA256:
    return 32;
  }
  return 0;
}

static int key_cached(const struct key_cache *kc, const uint8_t *key, size_t len)
{
  return kc->valid && kc->len == len && len <= KEY_CACHE_MAX &&
         CRYPTO_memcmp(kc->key, key, len) == 0;
}

static void key_remember(struct key_cache *kc, const uint8_t *key, size_t len)
{
  if (len > KEY_CACHE_MAX) return;
  if (len) memcpy(kc->key, key, len);
  kc->len = len;
  kc->valid = 1;
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

mbmsec_err mbmsec_hmac(mbmsec_md md, const uint8_t *key, size_t keylen, const mbmsec_iov *parts,
                       size_t nparts, uint8_t *out)
{
  ENSURE(md_valid(md) && out && (key || keylen == 0) && (parts || nparts == 0), MBMSEC_ERR_ARG);
  struct tls_ctx *c = ctx_get();
  ENSURE(c, MBMSEC_ERR_CRYPTO);
  EVP_MAC_CTX *mac = c->mac[md];
  struct key_cache *kc = &c->mac_key[md];
  if (key_cached(kc, key, keylen)) {
    /* A NULL key re-initialises with the key already set. */
    ENSURE(EVP_MAC_init(mac, NULL, 0, NULL), MBMSEC_ERR_CRYPTO);
  } else {
    /* OpenSSL refuses a NULL key pointer even for an empty key. */
    static const uint8_t empty = 0;
    kc->valid = 0;
    ENSURE(EVP_MAC_init(mac, keylen ? key : &empty, keylen, NULL), MBMSEC_ERR_CRYPTO);
    key_remember(kc, key, keylen);
  }
  for (size_t i = 0; i < nparts; i++)
    if (parts[i].len) ENSURE(EVP_MAC_update(mac, parts[i].p, parts[i].len), MBMSEC_ERR_CRYPTO);
  size_t n = 0;
  ENSURE(EVP_MAC_final(mac, out, &n, mbmsec_md_size(md)), MBMSEC_ERR_CRYPTO);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_aes128_ecb(const uint8_t key[16], const uint8_t *in, uint8_t *out, size_t nblocks)
{
  ENSURE(key && in && out && nblocks <= (size_t)INT32_MAX / 16, MBMSEC_ERR_ARG);
  struct tls_ctx *c = ctx_get();
  ENSURE(c, MBMSEC_ERR_CRYPTO);
  int n = 0;
  if (!key_cached(&c->ecb_key, key, 16)) {
    c->ecb_key.valid = 0;
    ENSURE(EVP_EncryptInit_ex2(c->ecb, NULL, key, NULL, NULL), MBMSEC_ERR_CRYPTO);
    key_remember(&c->ecb_key, key, 16);
  }
  ENSURE(EVP_EncryptUpdate(c->ecb, out, &n, in, (int)(nblocks * 16)), MBMSEC_ERR_CRYPTO);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_aes128_ctr(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
                             uint8_t *out, size_t len)
{
  ENSURE(key && iv && (len == 0 || (in && out)) && len <= (size_t)INT32_MAX, MBMSEC_ERR_ARG);
  if (len == 0) return MBMSEC_OK;
  struct tls_ctx *c = ctx_get();
  ENSURE(c, MBMSEC_ERR_CRYPTO);
  int n = 0;
  /* With the key already set, a NULL key only resets the counter block. */
  int same = key_cached(&c->ctr_key, key, 16);
  c->ctr_key.valid = 0;
  ENSURE(EVP_EncryptInit_ex2(c->ctr, NULL, same ? NULL : key, iv, NULL), MBMSEC_ERR_CRYPTO);
  key_remember(&c->ctr_key, key, 16);
  ENSURE(EVP_EncryptUpdate(c->ctr, out, &n, in, (int)len), MBMSEC_ERR_CRYPTO);
  return MBMSEC_OK;
}

int mbmsec_ct_equal(const void *a, const void *b, size_t n) { return CRYPTO_memcmp(a, b, n) == 0; }

void mbmsec_cleanse(void *p, size_t n)
{
  if (p && n) OPENSSL_cleanse(p, n);
}

mbmsec_err mbmsec_random(void *out, size_t n)
{
  ENSURE(out || n == 0, MBMSEC_ERR_ARG);
  ENSURE(n <= INT32_MAX, MBMSEC_ERR_ARG);
  if (n == 0) return MBMSEC_OK;
  struct tls_ctx *c = n < RAND_DIRECT_MIN ? ctx_get() : NULL;
  if (!c) {
    ENSURE(RAND_bytes(out, (int)n) == 1, MBMSEC_ERR_RANDOM);
    return MBMSEC_OK;
  }
  unsigned long gen = g_fork_gen;
  if (c->rnd_gen != gen || RAND_BLOCK - c->rnd_pos < n) {
    OPENSSL_cleanse(c->rnd, sizeof c->rnd);
    c->rnd_pos = RAND_BLOCK;
    ENSURE(RAND_bytes(c->rnd, RAND_BLOCK) == 1, MBMSEC_ERR_RANDOM);
    c->rnd_pos = 0;
    c->rnd_gen = gen;
  }
  memcpy(out, c->rnd + c->rnd_pos, n);
  OPENSSL_cleanse(c->rnd + c->rnd_pos, n);
  c->rnd_pos += n;
  return MBMSEC_OK;
}
