/* UMTS AKA around Milenage: AuC vectors, USIM AUTN check, AUTS and resynchronisation.
 *
 * Sequence-number rules after TS 33.102 Annex C (C.1.2, C.2.1, C.2.2, C.3.2) and 6.3.3/6.3.5,
 * checked against the Annex C text where it was at hand; what is [recalled] is marked:
 * - SQN = SEQ || IND, IND the low ind_len bits, a = 2^ind_len slots (default 5 bits).
 * - USIM: accept only if SEQ - SEQ_MS <= delta (SEQ_MS = highest accepted SEQ anywhere),
 *   if L is set SEQ_MS - SEQ < L, and SEQ > SEQ_MS(IND); then SEQ_MS(IND) = SEQ.
 *   Otherwise a synchronisation failure with SQN_MS, the highest accepted SEQ anywhere.
 *   SQN_MS carries the IND of the slot that holds it [recalled: the text says "highest
 *   previously accepted sequence number", and an SQN includes its IND].
 * - AUTS uses AMF = 0000 in f1* [recalled, TS 33.102 6.3.3; osmo-auc-gen agrees].
 * - AuC: each new SQN increments SEQ_HE, IND as configured; on a valid AUTS the counter is
 *   reset to SEQ_MS unless its next SQN would already be accepted (6.3.5 steps b-e).
 */
#include "mbmsec/aka.h"

#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/milenage.h"

static const uint8_t AMF_RESYNC[2] = {0, 0};

static uint64_t load48(const uint8_t b[6])
{
  uint64_t v = 0;
  for (int i = 0; i < 6; i++) v = (v << 8) | b[i];
  return v;
}

static void store48(uint8_t b[6], uint64_t v)
{
  for (int i = 5; i >= 0; i--, v >>= 8) b[i] = (uint8_t)v;
}

mbmsec_err mbmsec_aka_usim_init(mbmsec_aka_usim_state *st, uint32_t ind_len, uint64_t delta,
                                uint64_t limit)
{
  ENSURE(st && ind_len <= MBMSEC_AKA_IND_LEN_MAX, MBMSEC_ERR_ARG);
  memset(st, 0, sizeof *st);
  st->ind_len = ind_len;
  st->delta = delta ? delta : MBMSEC_AKA_DELTA_DEFAULT;
  st->limit = limit;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_aka_auc_init(mbmsec_aka_auc_state *st, uint32_t ind_len, uint32_t ind,
                               uint64_t delta)
{
  ENSURE(st && ind_len <= MBMSEC_AKA_IND_LEN_MAX && ind < (1u << ind_len), MBMSEC_ERR_ARG);
  memset(st, 0, sizeof *st);
  st->ind_len = ind_len;
  st->ind = ind;
  st->delta = delta ? delta : MBMSEC_AKA_DELTA_DEFAULT;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_aka_auc_next_sqn(mbmsec_aka_auc_state *st, uint8_t sqn[6])
{
  ENSURE(st && sqn && st->ind_len <= MBMSEC_AKA_IND_LEN_MAX && st->ind < (1u << st->ind_len),
         MBMSEC_ERR_ARG);
  const uint64_t seq_max = MBMSEC_AKA_SQN_MAX >> st->ind_len;
  ENSURE(st->seq_he < seq_max, MBMSEC_ERR_SQN_RANGE);
  st->seq_he++;
  store48(sqn, (st->seq_he << st->ind_len) | st->ind);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_aka_vector_make(const uint8_t k[16], const uint8_t opc[16],
                                  const uint8_t rand[16], const uint8_t sqn[6],
                                  const uint8_t amf[2], mbmsec_aka_vector *av)
{
  ENSURE(k && opc && rand && sqn && amf && av, MBMSEC_ERR_ARG);
  mbmsec_milenage_out m;
  mbmsec_err rc = mbmsec_milenage(k, opc, rand, sqn, amf, &m);
  if (rc == MBMSEC_OK) {
    memmove(av->rand, rand, 16); /* rand may point into av */
    memcpy(av->xres, m.res, 8);
    memcpy(av->ck, m.ck, 16);
    memcpy(av->ik, m.ik, 16);
    for (int i = 0; i < 6; i++) av->autn[i] = sqn[i] ^ m.ak[i];
    memcpy(av->autn + 6, amf, 2);
    memcpy(av->autn + 8, m.mac_a, 8);
  } else {
    mbmsec_cleanse(av, sizeof *av);
  }
  mbmsec_cleanse(&m, sizeof m);
  return rc;
}

mbmsec_err mbmsec_aka_autn(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
                           const uint8_t sqn[6], const uint8_t amf[2], uint8_t autn[16])
{
  ENSURE(autn, MBMSEC_ERR_ARG);
  mbmsec_aka_vector av;
  mbmsec_err rc = mbmsec_aka_vector_make(k, opc, rand, sqn, amf, &av);
  if (rc == MBMSEC_OK) memcpy(autn, av.autn, 16);
  mbmsec_cleanse(&av, sizeof av);
  return rc;
}

mbmsec_err mbmsec_aka_auc_generate(mbmsec_aka_auc_state *st, const uint8_t k[16],
                                   const uint8_t opc[16], const uint8_t amf[2],
                                   mbmsec_aka_vector *av)
{
  ENSURE(st && av, MBMSEC_ERR_ARG);
  mbmsec_aka_auc_state next = *st; /* commit only once the vector exists */
  uint8_t sqn[6];
  GUARD(mbmsec_aka_auc_next_sqn(&next, sqn));
  GUARD(mbmsec_random(av->rand, sizeof av->rand));
  GUARD(mbmsec_aka_vector_make(k, opc, av->rand, sqn, amf, av));
  *st = next;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_aka_usim_sqn_ms(const mbmsec_aka_usim_state *st, uint8_t sqn_ms[6])
{
  ENSURE(st && sqn_ms && st->ind_len <= MBMSEC_AKA_IND_LEN_MAX, MBMSEC_ERR_ARG);
  uint32_t hi = 0;
  for (uint32_t i = 1; i < (1u << st->ind_len); i++)
    if (st->seq_ms[i] > st->seq_ms[hi]) hi = i;
  store48(sqn_ms, (st->seq_ms[hi] << st->ind_len) | hi);
  return MBMSEC_OK;
}

/* Annex C.2.1/C.2.2 freshness of SEQ in slot ind; highest = SEQ_MS over all slots. */
static int sqn_fresh(const mbmsec_aka_usim_state *st, uint64_t seq, uint32_t ind, uint64_t highest)
{
  if (seq > highest && seq - highest > st->delta) return 0;
  if (st->limit && seq < highest && highest - seq >= st->limit) return 0;
  return seq > st->seq_ms[ind];
}

mbmsec_err mbmsec_aka_usim_check(mbmsec_aka_usim_state *st, const uint8_t k[16],
                                 const uint8_t opc[16], const uint8_t rand[16],
                                 const uint8_t autn[16], uint8_t res[8], uint8_t ck[16],
                                 uint8_t ik[16], uint8_t auts[14])
{
  ENSURE(st && k && opc && rand && autn && res && ck && ik && auts, MBMSEC_ERR_ARG);
  ENSURE(st->ind_len <= MBMSEC_AKA_IND_LEN_MAX, MBMSEC_ERR_ARG);
  mbmsec_milenage_ctx ctx;
  uint8_t ak[6], ak_star[6], sqn[6], mac[8], sqn_ms[6];
  mbmsec_err rc;
  GUARD_OUT(mbmsec_milenage_ctx_init(&ctx, k, opc, rand));
  /* AK first: the MAC covers the plain SQN. Three AES calls in all. */
  GUARD_OUT(mbmsec_milenage_ctx_f2345(&ctx, res, ck, ik, ak, ak_star));
  for (int i = 0; i < 6; i++) sqn[i] = autn[i] ^ ak[i];
  GUARD_OUT(mbmsec_milenage_ctx_f1(&ctx, sqn, autn + 6, mac, NULL));
  /* MAC before SQN: a forged AUTN must never move or reveal the USIM's SQN state. */
  ENSURE_OUT(mbmsec_ct_equal(mac, autn + 8, 8), MBMSEC_ERR_AKA_MAC);

  const uint64_t v = load48(sqn), seq = v >> st->ind_len;
  const uint32_t ind = (uint32_t)(v & ((1u << st->ind_len) - 1));
  GUARD_OUT(mbmsec_aka_usim_sqn_ms(st, sqn_ms));
  if (!sqn_fresh(st, seq, ind, load48(sqn_ms) >> st->ind_len)) {
    GUARD_OUT(mbmsec_milenage_ctx_f1(&ctx, sqn_ms, AMF_RESYNC, NULL, auts + 6));
    for (int i = 0; i < 6; i++) auts[i] = sqn_ms[i] ^ ak_star[i];
    rc = MBMSEC_ERR_AKA_SYNC;
    goto out;
  }
  st->seq_ms[ind] = seq;
out:
  if (rc != MBMSEC_OK) {
    mbmsec_cleanse(res, 8);
    mbmsec_cleanse(ck, 16);
    mbmsec_cleanse(ik, 16);
  }
  mbmsec_milenage_ctx_cleanse(&ctx);
  mbmsec_cleanse(ak, sizeof ak);
  mbmsec_cleanse(ak_star, sizeof ak_star);
  mbmsec_cleanse(sqn, sizeof sqn);
  mbmsec_cleanse(mac, sizeof mac);
  mbmsec_cleanse(sqn_ms, sizeof sqn_ms);
  return rc;
}

mbmsec_err mbmsec_aka_auts_make(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
                                const uint8_t sqn_ms[6], uint8_t auts[14])
{
  ENSURE(auts && sqn_ms, MBMSEC_ERR_ARG);
  mbmsec_milenage_out m; /* SQN_MS is known, so OUT1 and OUT5 come in one batch */
  mbmsec_err rc = mbmsec_milenage(k, opc, rand, sqn_ms, AMF_RESYNC, &m);
  if (rc == MBMSEC_OK) {
    for (int i = 0; i < 6; i++) auts[i] = sqn_ms[i] ^ m.ak_star[i];
    memcpy(auts + 6, m.mac_s, 8);
  }
  mbmsec_cleanse(&m, sizeof m);
  return rc;
}

mbmsec_err mbmsec_aka_auts_check(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
                                 const uint8_t auts[14], uint8_t sqn_ms[6])
{
  ENSURE(k && opc && rand && auts && sqn_ms, MBMSEC_ERR_ARG);
  mbmsec_milenage_ctx ctx;
  uint8_t ak_star[6], mac_s[8];
  mbmsec_err rc;
  GUARD_OUT(mbmsec_milenage_ctx_init(&ctx, k, opc, rand));
  GUARD_OUT(mbmsec_milenage_ctx_f2345(&ctx, NULL, NULL, NULL, NULL, ak_star));
  for (int i = 0; i < 6; i++) sqn_ms[i] = auts[i] ^ ak_star[i];
  GUARD_OUT(mbmsec_milenage_ctx_f1(&ctx, sqn_ms, AMF_RESYNC, NULL, mac_s));
  ENSURE_OUT(mbmsec_ct_equal(mac_s, auts + 6, 8), MBMSEC_ERR_AUTS_MAC);
out:
  if (rc != MBMSEC_OK) mbmsec_cleanse(sqn_ms, 6);
  mbmsec_milenage_ctx_cleanse(&ctx);
  mbmsec_cleanse(ak_star, sizeof ak_star);
  mbmsec_cleanse(mac_s, sizeof mac_s);
  return rc;
}

mbmsec_err mbmsec_aka_auc_resync(mbmsec_aka_auc_state *st, const uint8_t k[16],
                                 const uint8_t opc[16], const uint8_t rand[16],
                                 const uint8_t auts[14], uint8_t sqn_ms[6])
{
  ENSURE(st && st->ind_len <= MBMSEC_AKA_IND_LEN_MAX, MBMSEC_ERR_ARG);
  uint8_t ms[6];
  GUARD(mbmsec_aka_auts_check(k, opc, rand, auts, ms));
  const uint64_t seq_ms = load48(ms) >> st->ind_len;
  /* 6.3.5 b/c: keep SEQ_HE if SEQ_HE + 1 would be accepted; else d/e: reset to SEQ_MS. */
  if (!(st->seq_he >= seq_ms && st->seq_he + 1 - seq_ms <= st->delta)) st->seq_he = seq_ms;
  if (sqn_ms) memcpy(sqn_ms, ms, 6);
  return MBMSEC_OK;
}
