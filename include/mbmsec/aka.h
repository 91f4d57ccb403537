/* mbmsec: UMTS AKA around Milenage (TS 33.102 section 6.3 and Annex C).
 *
 * AuC side: authentication vectors (RAND, XRES, CK, IK, AUTN) with
 * AUTN = (SQN xor AK) || AMF || MAC-A, and AUTS checks for resynchronisation.
 * USIM side: AUTN check (MAC-A first, then SQN freshness) and AUTS creation with
 * AUTS = (SQN_MS xor AK*) || MAC-S, MAC-S = f1*(SQN_MS, RAND, AMF = 0000).
 *
 * SQN = SEQ || IND (IND the ind_len low bits; Annex C.1.2 / C.3.2). The USIM keeps the
 * highest accepted SEQ per IND slot; both states are plain structs the caller persists.
 */
#ifndef MBMSEC_AKA_H
#define MBMSEC_AKA_H
#include <stdint.h>
#include "mbmsec/error.h"

#define MBMSEC_AKA_RAND_LEN 16
#define MBMSEC_AKA_AUTN_LEN 16
#define MBMSEC_AKA_AUTS_LEN 14
#define MBMSEC_AKA_SQN_LEN  6
#define MBMSEC_AKA_RES_LEN  8
/* Largest IND length this struct layout holds (256 slots). */
#define MBMSEC_AKA_IND_LEN_MAX     8
#define MBMSEC_AKA_IND_LEN_DEFAULT 5
#define MBMSEC_AKA_DELTA_DEFAULT   ((uint64_t)1 << 28)
#define MBMSEC_AKA_SQN_MAX         (((uint64_t)1 << 48) - 1)

/* An authentication vector as the AuC hands it out. */
typedef struct {
  uint8_t rand[16];
  uint8_t xres[8];
  uint8_t ck[16];
  uint8_t ik[16];
  uint8_t autn[16];
} mbmsec_aka_vector;

/* USIM sequence-number state (Annex C.2). Only seq_ms[0 .. 2^ind_len - 1] is used. */
typedef struct {
  uint32_t ind_len; /* IND bits, 0..MBMSEC_AKA_IND_LEN_MAX */
  uint64_t delta;   /* accept only SEQ - SEQ_MS <= delta (wrap-around protection) */
  uint64_t limit;   /* L: when non-zero, accept only SEQ_MS - SEQ < L */
  uint64_t seq_ms[1u << MBMSEC_AKA_IND_LEN_MAX];
} mbmsec_aka_usim_state;

/* AuC sequence-number state (Annex C.3): seq_he is the SEQ of the last SQN handed out. */
typedef struct {
  uint32_t ind_len;
  uint32_t ind; /* IND put into every new SQN */
  uint64_t seq_he;
  uint64_t delta; /* the USIM's delta, used to decide whether to resynchronise */
} mbmsec_aka_auc_state;

/* Empty USIM state. delta == 0 means MBMSEC_AKA_DELTA_DEFAULT; limit == 0 means no L.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (st NULL or ind_len > MBMSEC_AKA_IND_LEN_MAX). */
mbmsec_err mbmsec_aka_usim_init(mbmsec_aka_usim_state *st, uint32_t ind_len, uint64_t delta,
                                uint64_t limit);

/* Fresh AuC state whose first SQN is SEQ 1 with the given IND. delta as above.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (st NULL, ind_len too large or ind >= 2^ind_len). */
mbmsec_err mbmsec_aka_auc_init(mbmsec_aka_auc_state *st, uint32_t ind_len, uint32_t ind,
                               uint64_t delta);

/* Next SQN: SEQ_HE incremented, IND as configured; st updated.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL or inconsistent state), MBMSEC_ERR_SQN_RANGE
 * (SEQ would not fit in 48 - ind_len bits; st unchanged). */
mbmsec_err mbmsec_aka_auc_next_sqn(mbmsec_aka_auc_state *st, uint8_t sqn[6]);

/* AUTN for a given SQN and AMF (one Milenage run).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_aka_autn(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
                           const uint8_t sqn[6], const uint8_t amf[2], uint8_t autn[16]);

/* Authentication vector for a given RAND and SQN (deterministic; two AES calls).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_CRYPTO (av zeroised on error). */
mbmsec_err mbmsec_aka_vector_make(const uint8_t k[16], const uint8_t opc[16],
                                  const uint8_t rand[16], const uint8_t sqn[6],
                                  const uint8_t amf[2], mbmsec_aka_vector *av);

/* AuC: fresh RAND and the next SQN from st, then the vector. st advances only on success.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SQN_RANGE, MBMSEC_ERR_RANDOM,
 * MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_aka_auc_generate(mbmsec_aka_auc_state *st, const uint8_t k[16],
                                   const uint8_t opc[16], const uint8_t amf[2],
                                   mbmsec_aka_vector *av);

/* USIM: checks AUTN for RAND. MAC-A is checked first: on MBMSEC_ERR_AKA_MAC st is untouched
 * and nothing else is output. Then SQN freshness (delta, optional L, per-IND SEQ): on
 * MBMSEC_ERR_AKA_SYNC st is untouched and auts holds (SQN_MS xor AK*) || MAC-S, SQN_MS being
 * the highest accepted SEQ with the IND of its slot. On MBMSEC_OK st records SEQ in slot IND
 * and res, ck, ik are set; res, ck, ik are zeroised on every error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (a NULL pointer or bad st), MBMSEC_ERR_AKA_MAC,
 * MBMSEC_ERR_AKA_SYNC, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_aka_usim_check(mbmsec_aka_usim_state *st, const uint8_t k[16],
                                 const uint8_t opc[16], const uint8_t rand[16],
                                 const uint8_t autn[16], uint8_t res[8], uint8_t ck[16],
                                 uint8_t ik[16], uint8_t auts[14]);

/* The highest accepted SQN the USIM would report: SEQ_MS || IND of its slot.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG. */
mbmsec_err mbmsec_aka_usim_sqn_ms(const mbmsec_aka_usim_state *st, uint8_t sqn_ms[6]);

/* USIM: AUTS = (SQN_MS xor f5*(RAND)) || f1*(SQN_MS, RAND, AMF = 0000).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_aka_auts_make(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
                                const uint8_t sqn_ms[6], uint8_t auts[14]);

/* AuC: recovers SQN_MS from AUTS and verifies MAC-S (constant time). sqn_ms is zeroised on
 * failure. @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_AUTS_MAC, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_aka_auts_check(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
                                 const uint8_t auts[14], uint8_t sqn_ms[6]);

/* AuC: verifies AUTS, then (TS 33.102 6.3.5) keeps SEQ_HE when the next SQN would already be
 * accepted (SEQ_MS < SEQ_HE + 1 <= SEQ_MS + delta), otherwise sets SEQ_HE = SEQ_MS so that
 * the next SQN has SEQ = SEQ_MS + 1. st is untouched on error; sqn_ms may be NULL.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_AUTS_MAC, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_aka_auc_resync(mbmsec_aka_auc_state *st, const uint8_t k[16],
                                 const uint8_t opc[16], const uint8_t rand[16],
                                 const uint8_t auts[14], uint8_t sqn_ms[6]);

#endif
