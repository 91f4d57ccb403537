/* mbmsec: SRTP with MTKs (RFC 3711 through libsrtp 2; ../shared/spec/srtp.md).
 *
 * The MTK and its salt from a MIKEY MTK message are the SRTP master key and master salt as they
 * are (profile P7); every packet carries the 6-octet MKI = MSK ID || MTK ID, which tells the
 * receiver which MTK protects it. Transform AES_CM_128_HMAC_SHA1_80, key derivation rate 0.
 * One context protects (sender, one SSRC) or unprotects (receiver, any SSRC) RTP packets; it
 * holds up to MBMSEC_SRTP_MAX_KEYS MTKs at once (current and next MSK's). Not thread-safe:
 * one context per thread or a lock around it. Key material is cleansed on free.
 */
#ifndef MBMSEC_SRTP_H
#define MBMSEC_SRTP_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"
#include "mbmsec/profile.h"

#define MBMSEC_SRTP_MKI_LEN     (MBMSEC_MSK_ID_LEN + MBMSEC_MTK_ID_LEN) /* 6 */
#define MBMSEC_SRTP_MAX_KEYS    16 /* libsrtp's SRTP_MAX_NUM_MASTER_KEYS */
#define MBMSEC_SRTP_TRAILER_MAX 16 /* MKI 6 + tag 10: room protect needs */

typedef struct mbmsec_srtp mbmsec_srtp;

/* One installed MTK. */
typedef struct {
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  uint16_t mtk_id;
  uint8_t mtk[MBMSEC_MBMS_MTK_LEN];
  uint8_t salt[MBMSEC_MBMS_MTK_SALT_LEN];
} mbmsec_srtp_key;

/* Packet counts of a context. */
typedef struct {
  uint64_t ok;     /* protected (sender) or decrypted (receiver) */
  uint64_t no_key; /* receiver: MKI of no installed MTK */
  uint64_t auth;   /* receiver: tag did not verify */
  uint64_t replay; /* receiver: replayed or too old */
  uint64_t malformed;
} mbmsec_srtp_stats;

/* A sender for one SSRC (receiver = 0) or a receiver for any SSRC (receiver = 1); no key yet.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, MBMSEC_ERR_SRTP. */
mbmsec_err mbmsec_srtp_new(int receiver, uint32_t ssrc, mbmsec_srtp **out);
/* Replaces the set of MTKs (1..MBMSEC_SRTP_MAX_KEYS, distinct MKIs). The receiver keeps its
 * replay state across the change. @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SRTP_KEYS,
 * MBMSEC_ERR_SRTP. */
mbmsec_err mbmsec_srtp_set_keys(mbmsec_srtp *s, const mbmsec_srtp_key *keys, size_t n);
/* Sender: protects the RTP packet pkt[0..*len) in place with the installed MTK of the given
 * MSK ID and MTK ID; cap must leave MBMSEC_SRTP_TRAILER_MAX octets after *len.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE, MBMSEC_ERR_SRTP_PACKET,
 * MBMSEC_ERR_SRTP_NO_KEY, MBMSEC_ERR_SRTP. */
mbmsec_err mbmsec_srtp_protect(mbmsec_srtp *s, const uint8_t msk_id[MBMSEC_MSK_ID_LEN],
                               uint16_t mtk_id, uint8_t *pkt, size_t *len, size_t cap);
/* Receiver: checks and decrypts pkt[0..*len) in place (then *len is the RTP length). mki (may
 * be NULL) gets the packet's MKI whenever one could be read, also on MBMSEC_ERR_SRTP_NO_KEY, so
 * the UE can tell a missed key update (an MSK it does not hold) from an MTK not yet arrived.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SRTP_PACKET, MBMSEC_ERR_SRTP_NO_KEY,
 * MBMSEC_ERR_SRTP_AUTH, MBMSEC_ERR_SRTP_REPLAY, MBMSEC_ERR_SRTP. */
mbmsec_err mbmsec_srtp_unprotect(mbmsec_srtp *s, uint8_t *pkt, size_t *len,
                                 uint8_t mki[MBMSEC_SRTP_MKI_LEN]);
void mbmsec_srtp_get_stats(const mbmsec_srtp *s, mbmsec_srtp_stats *out);
/* Cleanses the keys and frees; NULL is fine. */
void mbmsec_srtp_free(mbmsec_srtp *s);
/* The MKI of an MTK: MSK ID || MTK ID (big-endian). */
void mbmsec_srtp_mki(const uint8_t msk_id[MBMSEC_MSK_ID_LEN], uint16_t mtk_id,
                     uint8_t mki[MBMSEC_SRTP_MKI_LEN]);

#endif
