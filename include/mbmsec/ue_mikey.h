/* mbmsec: the UE's MIKEY receiver (lib/ue/ue_mikey.c; docs/ue.md): MSK and MTK messages over
 * mbmsec/mikey_state.h, the MUKs of the BM-SCs the UE has bootstrapped for, and the state file,
 * saved after every accepted message.
 */
#ifndef MBMSEC_UE_MIKEY_H
#define MBMSEC_UE_MIKEY_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mbmsec/error.h"
#include "mbmsec/gba.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/mikey_state.h"

#define MBMSEC_UE_MIKEY_MUKS 4 /* MUKs (one per BM-SC / B-TID) the receiver knows at once */

/* mbmsec_mikey_state + its file + the MUKs by MUK ID (IDi = BM-SC FQDN, IDr = B-TID). */
typedef struct mbmsec_ue_mikey mbmsec_ue_mikey;

typedef enum {
  MBMSEC_UE_MIKEY_GOT_MSK = 0, /* res->msk (outcome NEW / DUPLICATE / PULL) */
  MBMSEC_UE_MIKEY_GOT_MTK = 1, /* res->mtk */
} mbmsec_ue_mikey_kind;

typedef struct {
  mbmsec_ue_mikey_kind kind;
  mbmsec_mikey_msk_result msk;      /* holds the MSK and the verification message (ver_len) */
  mbmsec_mikey_mtk_info mtk;        /* holds the MTK and salt */
  struct sockaddr_storage reply_to; /* MSK with V=1: send msk.ver there (the source) */
  socklen_t reply_len;              /* 0: nothing to send */
} mbmsec_ue_mikey_result;

/* Opens the receiver; state_path (NULL = memory only) is loaded when it exists (a malformed
 * file is refused), else the state starts empty. File: "mbmsec-ue-mikey 1\nstate <hex>\n",
 * mode 0600, written atomically.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, MBMSEC_ERR_UE_FILE_IO,
 * MBMSEC_ERR_UE_FILE_FORMAT, MBMSEC_ERR_MIKEY_STATE_FORMAT. */
mbmsec_err mbmsec_ue_mikey_open(const char *state_path, mbmsec_ue_mikey **out);
/* Cleanses and frees; NULL is fine. */
void mbmsec_ue_mikey_free(mbmsec_ue_mikey *m);
/* Adds or replaces the MUK for (BM-SC FQDN, B-TID). @return MBMSEC_OK, MBMSEC_ERR_ARG,
 * MBMSEC_ERR_LENGTH (an ID empty or over MBMSEC_MIKEY_ID_MAX), MBMSEC_ERR_MIKEY_STATE_FULL. */
mbmsec_err mbmsec_ue_mikey_set_muk(mbmsec_ue_mikey *m, const char *bmsc_fqdn, const char *btid,
                                   const uint8_t muk[MBMSEC_GBA_KEY_LEN]);
/* One datagram from src: MSK message (mbmsec_mikey_state_accept_msk) or, when its layout is not
 * an MSK message's, MTK message (accept_mtk). After an accepted message the state is saved
 * before this returns; if saving fails the state is rolled back, *res zeroed, nothing is to be
 * sent. On error *res is zeroed (the reason is the code).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, the codes of the accept functions, MBMSEC_ERR_UE_FILE_IO,
 * MBMSEC_ERR_SPACE. */
mbmsec_err mbmsec_ue_mikey_feed(mbmsec_ue_mikey *m, const uint8_t *dgram, size_t len,
                                const struct sockaddr *src, socklen_t src_len,
                                const mbmsec_mikey_opts *opts, mbmsec_ue_mikey_result *res);
/* The state (for mbmsec_mikey_state_get_msk and friends); owned by m. */
mbmsec_mikey_state *mbmsec_ue_mikey_state(mbmsec_ue_mikey *m);
/* Writes the state file now (no-op without a path). @return MBMSEC_OK, MBMSEC_ERR_SPACE,
 * MBMSEC_ERR_CRYPTO, MBMSEC_ERR_UE_FILE_IO. */
mbmsec_err mbmsec_ue_mikey_save(mbmsec_ue_mikey *m);
void mbmsec_ue_mikey_result_cleanse(mbmsec_ue_mikey_result *res);

#endif
