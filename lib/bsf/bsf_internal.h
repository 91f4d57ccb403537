/* Internal to lib/bsf: the engine struct and the parts the engine files share. */
#ifndef MBMSEC_BSF_INTERNAL_H
#define MBMSEC_BSF_INTERNAL_H
#include <pthread.h>
#include <stdbool.h>

#include "mbmsec/aka.h"
#include "mbmsec/bsf.h"
#include "mbmsec/encode.h"

/* base64 of RAND || AUTN (32 octets) and its NUL. */
#define BSF_NONCE_SIZE (MBMSEC_B64_LEN(32) + 1)

/* One outstanding challenge: what the second request is checked against. Secret. */
typedef struct {
  bool used;
  char nonce[BSF_NONCE_SIZE];
  char impi[MBMSEC_STORE_IMPI_MAX + 1];
  char source[MBMSEC_BSF_SOURCE_MAX + 1]; /* "" = unknown */
  uint8_t rand[16];
  uint8_t xres[8];
  uint8_t ck[16];
  uint8_t ik[16];
  uint64_t sqn; /* of this challenge; written to the HSS only when its RES verifies */
  int64_t expires;
} bsf_pending;

struct mbmsec_bsf {
  char fqdn[MBMSEC_BSF_FQDN_MAX + 1];
  size_t fqdn_len;
  uint32_t lifetime;
  uint32_t challenge_ttl;
  uint32_t ind_len;
  mbmsec_bsf_clock_fn clock;
  void *clock_user;
  mbmsec_store *store;
  pthread_mutex_t hss_lock; /* one challenge at a time: SQN choice + pending entry are atomic */
  pthread_mutex_t lock;     /* guards the table below */
  bsf_pending *table;
  size_t cap;
  size_t per_impi, per_source;
  mbmsec_bsf_stats stats;
  /* The decoy's AMF: the one most subscribers have, read again every BSF_AMF_REFRESH_S
   * (guarded by hss_lock). */
  uint8_t decoy_amf[2];
  int64_t decoy_amf_at; /* when it was read; 0 = never */
};
#define BSF_AMF_REFRESH_S 60

int64_t bsf_now(const mbmsec_bsf *bsf);

/* Pending table (bsf_pending.c). put: drops expired entries; at the per-IMPI limit replaces
 * the IMPI's oldest, at the per-source limit the source's oldest; when full, the oldest.
 * keep false (a decoy): the same scan, nothing stored or counted, so that it costs the same. */
void bsf_pending_put(mbmsec_bsf *bsf, const bsf_pending *p, bool keep);
/* Removes the entry of nonce (single use) into *out. false if none or expired. */
bool bsf_pending_take(mbmsec_bsf *bsf, const char *nonce, size_t nonce_len, bsf_pending *out);
/* The highest SQN among impi's unexpired pending challenges; false when it has none. */
bool bsf_pending_max_sqn(mbmsec_bsf *bsf, const char *impi, uint64_t *sqn);

/* HSS side (bsf_hss.c). A fresh vector for impi: its SQN follows both the stored SQN and the
 * SQNs of impi's pending challenges; nothing is written (the caller holds hss_lock until the
 * challenge is in the pending table). *sqn gets the vector's SQN. An impi that is not a
 * subscriber gets a decoy vector by the same steps (random K, OPc, SQN; the decoy AMF) and
 * *decoy true.
 * @return MBMSEC_OK, MBMSEC_ERR_SQN_RANGE, MBMSEC_ERR_RANDOM, MBMSEC_ERR_CRYPTO,
 * MBMSEC_ERR_STORE_*. */
mbmsec_err bsf_hss_vector(mbmsec_bsf *bsf, const char *impi, mbmsec_aka_vector *av, uint64_t *sqn,
                          bool *decoy);
/* The RES of the challenge with this SQN verified: the stored SQN becomes sqn unless it is
 * already higher (compare-and-set). @return MBMSEC_OK, MBMSEC_ERR_STORE_NOT_FOUND,
 * MBMSEC_ERR_BSF_SQN_RETRIES, MBMSEC_ERR_STORE_*. */
mbmsec_err bsf_hss_commit(mbmsec_bsf *bsf, const char *impi, uint64_t sqn);
/* AUTS for the challenge of rand: verified with f1*, then SQN_HE resynchronised (TS 33.102
 * 6.3.5) and stored by compare-and-set. @return MBMSEC_OK, MBMSEC_ERR_AUTS_MAC,
 * MBMSEC_ERR_STORE_NOT_FOUND, MBMSEC_ERR_BSF_SQN_RETRIES, MBMSEC_ERR_CRYPTO,
 * MBMSEC_ERR_STORE_*. */
mbmsec_err bsf_hss_resync(mbmsec_bsf *bsf, const char *impi, const uint8_t rand[16],
                          const uint8_t auts[14]);

#endif
