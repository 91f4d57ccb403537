/* mbmsec: the UE's MIKEY receiver state (profile P11, O4, O5; mikey.md section 8).
 *
 * One opaque object holds:
 *  - per MUK (named by its MUK ID = IDi data + IDr data) the last accepted MSK-message counter;
 *  - per Key Group (Key Domain ID + the first two MSK ID octets) at most MBMSEC_MSK_PER_KEY_GROUP
 *    MSKs (current and next), each with its MTK-ID interval [VF, VT], its last accepted
 *    MTK-message counter and its last accepted MTK ID.
 * The accept functions verify a message (mbmsec/mikey_msg.h) and apply the profile rules; the
 * state changes only when a message is accepted whole (they work on a copy and commit at the
 * end), so any error leaves the state exactly as it was. The MUK itself is not kept: the
 * caller supplies it through a callback. The state serialises to bytes (versioned,
 * length-checked, with a SHA-256 check value) so the UE can persist it; deserialising bad
 * bytes fails and leaves the state untouched. Keys are cleansed when the object is freed.
 *
 * Not thread-safe: one object per thread, or a lock around every call.
 */
#ifndef MBMSEC_MIKEY_STATE_H
#define MBMSEC_MIKEY_STATE_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/profile.h"

#define MBMSEC_MIKEY_STATE_MAX_MUKS   4  /* MUK IDs with a stored counter */
#define MBMSEC_MIKEY_STATE_MAX_GROUPS 16 /* Key Groups with stored MSKs */
#define MBMSEC_MIKEY_STATE_VERSION    1
/* An upper bound of mbmsec_mikey_state_serialize's output. */
#define MBMSEC_MIKEY_STATE_SER_MAX                                                             \
  (8 + MBMSEC_MIKEY_STATE_MAX_MUKS * (2 + 2 * MBMSEC_MIKEY_ID_MAX + 4) +                       \
   MBMSEC_MIKEY_STATE_MAX_GROUPS *                                                             \
       (MBMSEC_KDID_LEN + 2 + 1 + MBMSEC_MSK_PER_KEY_GROUP * (2 + MBMSEC_MBMS_MSK_LEN + 11)) + \
   32)

typedef struct mbmsec_mikey_state mbmsec_mikey_state;

/* An empty state, or NULL when out of memory. */
mbmsec_mikey_state *mbmsec_mikey_state_new(void);
/* Cleanses and frees; NULL is fine. */
void mbmsec_mikey_state_free(mbmsec_mikey_state *st);

/* TEST ONLY: the allocator the state object uses (for its own memory and the working copy
 * each accept / deserialise makes). NULL, NULL restores malloc / free. Process-wide; set it
 * only when no state object is in use. */
void mbmsec_mikey_state_set_allocator(void *(*alloc_fn)(size_t), void (*free_fn)(void *));

/* The MUK for (IDi data, IDr data): copy it to muk[0..*muk_len) (at most muk_cap octets) and
 * return MBMSEC_OK, or return an error (MBMSEC_ERR_MIKEY_UNKNOWN_KEY) which is passed on. */
typedef mbmsec_err (*mbmsec_mikey_muk_cb)(void *ctx, const uint8_t *idi, size_t idi_len,
                                          const uint8_t *idr, size_t idr_len, uint8_t *muk,
                                          size_t muk_cap, size_t *muk_len);

typedef enum {
  MBMSEC_MIKEY_MSK_NEW = 0,       /* a new MSK was stored */
  MBMSEC_MIKEY_MSK_DUPLICATE = 1, /* identical re-delivery (O4): only the counter changed */
  MBMSEC_MIKEY_MSK_PULL = 2,      /* solicited pull (P10, O5): run the MSK request for msk_id */
} mbmsec_mikey_msk_outcome;

/* Result of an accepted MSK message. Holds the MSK: cleanse with
 * mbmsec_mikey_msk_info_cleanse(&res->info) when done. */
typedef struct {
  mbmsec_mikey_msk_outcome outcome;
  mbmsec_mikey_msk_info info;
  int dropped; /* NEW: an older MSK of the Key Group was dropped */
  uint8_t dropped_msk_id[MBMSEC_MSK_ID_LEN];
  size_t ver_len; /* > 0: send ver[0..ver_len) to the MSK message's source */
  uint8_t ver[MBMSEC_MIKEY_VER_MSG_MAX];
} mbmsec_mikey_msk_result;

/* Processes an MSK message (mikey.md 8): mbmsec_mikey_msk_verify with the MUK from muk_cb and
 * the stored per-MUK counter; then, for a key delivery, key number > those stored for its
 * Key Group (else MBMSEC_ERR_MIKEY_KEYNUM_OLD), or the same MSK ID with identical key and
 * interval = duplicate (O4; with other bytes MBMSEC_ERR_MIKEY_MSK_CONFLICT); stores the MSK
 * (dropping the lowest key number when the group is full); a pull updates only the counter
 * (O5). Every accepted message stores its counter and, if V = 1, gets a verification message
 * in res->ver. On error the state is unchanged and *res is zeroed.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, every code of mbmsec_mikey_msk_verify,
 *   the callback's codes, MBMSEC_ERR_MIKEY_KEYNUM_OLD, MBMSEC_ERR_MIKEY_MSK_CONFLICT,
 *   MBMSEC_ERR_MIKEY_STATE_FULL, and the codes of mbmsec_mikey_ver_build. */
mbmsec_err mbmsec_mikey_state_accept_msk(mbmsec_mikey_state *st, const uint8_t *msg, size_t len,
                                         mbmsec_mikey_muk_cb muk_cb, void *ctx,
                                         const mbmsec_mikey_opts *opts,
                                         mbmsec_mikey_msk_result *res);

/* Processes an MTK message: the MSK named by its EXT must be stored (else
 * MBMSEC_ERR_MIKEY_MISSED_MSK when its key number is greater than those stored for its Key
 * Group or the group is unknown: run the missed-key-update MSK request; else
 * MBMSEC_ERR_MIKEY_UNKNOWN_MSK); then mbmsec_mikey_mtk_verify with the MSK's counter, interval
 * and last MTK ID; stores the counter and MTK ID. *res (the MTK and salt for SRTP, MKI =
 * msk_id || mtk_id) is zeroed on error; the state is unchanged on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, MBMSEC_ERR_MIKEY_MISSED_MSK,
 *   MBMSEC_ERR_MIKEY_UNKNOWN_MSK, every code of mbmsec_mikey_mtk_verify. */
mbmsec_err mbmsec_mikey_state_accept_mtk(mbmsec_mikey_state *st, const uint8_t *msg, size_t len,
                                         const mbmsec_mikey_opts *opts, mbmsec_mikey_mtk_info *res);

/* Serialises the whole state (canonical: equal states give equal bytes).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_mikey_state_serialize(const mbmsec_mikey_state *st, uint8_t *out, size_t cap,
                                        size_t *out_len);
/* Replaces the state with the one in `in`; on any error the state is untouched.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, MBMSEC_ERR_CRYPTO,
 *   MBMSEC_ERR_MIKEY_STATE_FORMAT (bad magic, version, length, check value or contents). */
mbmsec_err mbmsec_mikey_state_deserialize(mbmsec_mikey_state *st, const uint8_t *in, size_t len);

/* A stored MSK (a copy: cleanse it). */
typedef struct {
  uint8_t key[MBMSEC_MBMS_MSK_LEN];
  uint16_t vf, vt;
  uint32_t counter; /* last MTK-message counter, 0 = none */
  int has_last_mtk;
  uint16_t last_mtk_id;
} mbmsec_mikey_msk_entry;

/* @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_MIKEY_UNKNOWN_MSK. */
mbmsec_err mbmsec_mikey_state_get_msk(const mbmsec_mikey_state *st,
                                      const uint8_t kdid[MBMSEC_KDID_LEN],
                                      const uint8_t msk_id[MBMSEC_MSK_ID_LEN],
                                      mbmsec_mikey_msk_entry *out);
/* The stored counter of a MUK ID (0 when none is stored). @return MBMSEC_OK, MBMSEC_ERR_ARG. */
mbmsec_err mbmsec_mikey_state_muk_counter(const mbmsec_mikey_state *st, const uint8_t *idi,
                                          size_t idi_len, const uint8_t *idr, size_t idr_len,
                                          uint32_t *counter);
/* Forgets a MUK ID's counter (after re-bootstrapping made that MUK useless). Unknown = OK.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG. */
mbmsec_err mbmsec_mikey_state_forget_muk(mbmsec_mikey_state *st, const uint8_t *idi, size_t idi_len,
                                         const uint8_t *idr, size_t idr_len);

#endif
