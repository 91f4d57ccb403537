/* The built-in HSS: authentication vectors from the store's subscribers (K, OPc, AMF, SQN).
 *
 * The stored SQN is the last one used in a successful authentication (SEQ_HE || IND, TS
 * 33.102 C.3). A challenge takes the SQN after the stored one and after those of the IMPI's
 * pending challenges, and writes nothing: a failed authentication (wrong K, no answer, a
 * hostile request) leaves the HSS as it was. When a RES verifies, its SQN is written with the
 * store's compare-and-set (never moving the SQN back). This departs from "the HE increments
 * SEQ_HE per generated vector": should the BSF restart between a challenge and its answer, the
 * same SQN may go out again with a new RAND, and a USIM that had already accepted it answers
 * with AUTS, which resynchronises as usual. Compare-and-set retries are bounded so that a
 * store that keeps changing under us is an error, not a hang. */
#include <string.h>

#include "bsf_internal.h"
#include "guard.h"
#include "mbmsec/crypto.h"

#define BSF_CAS_TRIES 32

static uint64_t load48(const uint8_t in[6])
{
  uint64_t v = 0;
  for (int i = 0; i < 6; i++) v = (v << 8) | in[i];
  return v;
}

static void auc_state(const mbmsec_bsf *bsf, uint64_t sqn, mbmsec_aka_auc_state *st)
{
  memset(st, 0, sizeof *st);
  st->ind_len = bsf->ind_len;
  st->ind = (uint32_t)(sqn & ((1u << bsf->ind_len) - 1));
  st->seq_he = sqn >> bsf->ind_len;
  st->delta = MBMSEC_AKA_DELTA_DEFAULT;
}

mbmsec_err bsf_hss_vector(mbmsec_bsf *bsf, const char *impi, mbmsec_aka_vector *av,
                          uint64_t *sqn_out, bool *decoy)
{
  mbmsec_err rc;
  mbmsec_store_subscriber sub;
  mbmsec_aka_auc_state st;
  uint8_t sqn[6], rand[16];
  uint64_t base, pending;
  memset(&sub, 0, sizeof sub);
  *decoy = false;
  rc = mbmsec_store_subscriber_get(bsf->store, impi, &sub);
  if (rc == MBMSEC_ERR_STORE_NOT_FOUND) {
    /* Not a subscriber: one made up here, with random K, OPc and SQN and the decoy AMF, goes
     * down the same path as a real one, so that the answer's shape and time tell nothing. */
    uint8_t r[16 + 16 + 6];
    *decoy = true;
    rc = mbmsec_random(r, sizeof r);
    memcpy(sub.k, r, 16);
    memcpy(sub.opc, r + 16, 16);
    sub.sqn = load48(r + 32) >> 1; /* below the top half: never out of range */
    memcpy(sub.amf, bsf->decoy_amf, 2);
    mbmsec_cleanse(r, sizeof r);
  }
  GUARD_OUT(rc);
  base = sub.sqn;
  if (bsf_pending_max_sqn(bsf, impi, &pending) && pending > base) base = pending;
  auc_state(bsf, base, &st);
  GUARD_OUT(mbmsec_aka_auc_next_sqn(&st, sqn));
  GUARD_OUT(mbmsec_random(rand, sizeof rand));
  GUARD_OUT(mbmsec_aka_vector_make(sub.k, sub.opc, rand, sqn, sub.amf, av));
  *sqn_out = load48(sqn);
out:
  mbmsec_cleanse(&sub, sizeof sub);
  return rc;
}

mbmsec_err bsf_hss_commit(mbmsec_bsf *bsf, const char *impi, uint64_t sqn)
{
  mbmsec_err rc = MBMSEC_ERR_BSF_SQN_RETRIES;
  mbmsec_store_subscriber sub;
  memset(&sub, 0, sizeof sub);
  for (int i = 0; i < BSF_CAS_TRIES; i++) {
    GUARD_OUT(mbmsec_store_subscriber_get(bsf->store, impi, &sub));
    if (sub.sqn >= sqn) {
      rc = MBMSEC_OK; /* a later challenge already succeeded, or a resync moved ahead */
      break;
    }
    rc = mbmsec_store_subscriber_sqn_cas(bsf->store, impi, sub.sqn, sqn);
    if (rc != MBMSEC_ERR_STORE_SQN_CONFLICT) break;
    rc = MBMSEC_ERR_BSF_SQN_RETRIES;
  }
out:
  mbmsec_cleanse(&sub, sizeof sub);
  return rc;
}

mbmsec_err bsf_hss_resync(mbmsec_bsf *bsf, const char *impi, const uint8_t rand[16],
                          const uint8_t auts[14])
{
  mbmsec_err rc = MBMSEC_ERR_BSF_SQN_RETRIES;
  mbmsec_store_subscriber sub;
  mbmsec_aka_auc_state st;
  memset(&sub, 0, sizeof sub);
  for (int i = 0; i < BSF_CAS_TRIES; i++) {
    GUARD_OUT(mbmsec_store_subscriber_get(bsf->store, impi, &sub));
    auc_state(bsf, sub.sqn, &st);
    GUARD_OUT(mbmsec_aka_auc_resync(&st, sub.k, sub.opc, rand, auts, NULL));
    const uint64_t next = (st.seq_he << bsf->ind_len) | st.ind;
    if (next == sub.sqn) {
      rc = MBMSEC_OK; /* the next SQN is already acceptable to the USIM */
      break;
    }
    rc = mbmsec_store_subscriber_sqn_cas(bsf->store, impi, sub.sqn, next);
    if (rc == MBMSEC_ERR_STORE_SQN_CONFLICT) {
      rc = MBMSEC_ERR_BSF_SQN_RETRIES;
      continue;
    }
    break;
  }
out:
  mbmsec_cleanse(&sub, sizeof sub);
  return rc;
}
