/* mbmsec: the BM-SC's transmission side without I/O (docs/bmsc-rotation.md "Stream").
 *
 * Which MTK is in force at a given time, the MIKEY MTK messages under the current MSK (P7) and
 * the SRTP packets protected with that MTK (MKI = MSK ID || MTK ID, P9). The daemon
 * (src/bmsc/stream.c) owns the clock, the sockets and the durable MTK message counters.
 *
 * Time rule: the MSK in force at t is the one with the highest key number among those with
 * valid_from <= t < valid_to; its MTK in force is MTK ID = vf + (t - valid_from) / interval,
 * at most vt. So MTK IDs rise by one per interval inside the MSK's KV interval and restart at
 * the next MSK's vf at the change-over; a restarted BM-SC lands on the same MTK.
 *
 * MTK messages: the first one is the MTK in force; then the message of the MTK in force at
 * t + lead goes out as soon as that MTK changes (so a UE holds each MTK `lead` before the first
 * packet under it, also across the MSK change-over), and again every period for late joiners
 * (a UE that joins inside the lead reads packets from the next MTK on).
 *
 * MTK bytes: MTK || salt = the first 30 octets of HMAC-SHA-256(MSK, "mbmsec MTK" || Key Domain
 * ID || MSK ID || MTK ID). Deriving rather than drawing them keeps a repeated message and a
 * restarted BM-SC on the same bytes for the same MTK ID (UEs take an MTK ID once, P11) without
 * writing MTKs to disk; it gives nothing to anyone: whoever holds the MSK reads every MTK
 * message anyway, and HMAC keeps one MTK from telling the MSK or another MTK.
 * Not thread-safe: one stream per thread. Key material is cleansed on free.
 */
#ifndef MBMSEC_BMSC_STREAM_H
#define MBMSEC_BMSC_STREAM_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"
#include "mbmsec/profile.h"

#define MBMSEC_BMSC_STREAM_MSKS        4   /* MSKs of the Key Group kept at once */
#define MBMSEC_BMSC_STREAM_RTP_HDR     12  /* RTP header without CSRCs or extension */
#define MBMSEC_BMSC_STREAM_PT          96  /* RTP payload type of the stream */
#define MBMSEC_BMSC_STREAM_TS_STEP     160 /* RTP timestamp increment per packet */
#define MBMSEC_BMSC_STREAM_PAYLOAD_MAX 1200

typedef struct mbmsec_bmsc_stream mbmsec_bmsc_stream;

typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint32_t mtk_interval_ms; /* a new MTK this often, >= 1 */
  uint32_t mtk_lead_ms;     /* the next MTK's message this long before its first packet */
  uint32_t mtk_period_ms;   /* the current MTK message again this often, >= 1 */
  uint32_t ssrc;
  uint16_t first_seq;
  uint32_t first_ts;
} mbmsec_bmsc_stream_conf;

/* An MSK of the Key Group (times in Unix milliseconds). */
typedef struct {
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  uint8_t msk[MBMSEC_MBMS_MSK_LEN];
  int64_t valid_from_ms, valid_to_ms;
  uint16_t vf, vt;
} mbmsec_bmsc_stream_msk;

/* One MTK: the MKI's two parts. */
typedef struct {
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  uint16_t mtk_id;
} mbmsec_bmsc_stream_mtk;

/* @return MBMSEC_OK, MBMSEC_ERR_ARG (interval or period 0), MBMSEC_ERR_NOMEM,
 * MBMSEC_ERR_SRTP. */
mbmsec_err mbmsec_bmsc_stream_new(const mbmsec_bmsc_stream_conf *c, mbmsec_bmsc_stream **out);
/* Cleanses every key and frees; NULL is fine. */
void mbmsec_bmsc_stream_free(mbmsec_bmsc_stream *s);

/* Replaces the MSKs known (0..MBMSEC_BMSC_STREAM_MSKS; more: the highest key numbers kept).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL, an MSK with valid_to <= valid_from or vf > vt). */
mbmsec_err mbmsec_bmsc_stream_set_msks(mbmsec_bmsc_stream *s, const mbmsec_bmsc_stream_msk *m,
                                       size_t n);

/* The MTK in force at now_ms (time rule above).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_STREAM_NO_MSK (no MSK valid at now_ms). */
mbmsec_err mbmsec_bmsc_stream_mtk_at(const mbmsec_bmsc_stream *s, int64_t now_ms,
                                     mbmsec_bmsc_stream_mtk *out);

/* 1 and *out when an MTK message is due at now_ms: none sent yet (then the MTK in force), the
 * MTK in force at now_ms + lead differs from the last one sent, or period has passed since;
 * else 0. *next_ms (may be NULL) gets the
 * time of the next check worth making. */
int mbmsec_bmsc_stream_mtk_due(const mbmsec_bmsc_stream *s, int64_t now_ms,
                               mbmsec_bmsc_stream_mtk *out, int64_t *next_ms);

/* Builds the MTK message of *m (its MSK must be known) with the given per-MSK counter (from a
 * durable source: never repeat one) into out[0..cap), and records it as sent at now_ms.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_STREAM_NO_MSK, MBMSEC_ERR_SPACE,
 * MBMSEC_ERR_CRYPTO, the codes of mbmsec_mikey_mtk_build. */
mbmsec_err mbmsec_bmsc_stream_mtk_message(mbmsec_bmsc_stream *s, const mbmsec_bmsc_stream_mtk *m,
                                          uint32_t counter, int64_t now_ms, uint8_t *out,
                                          size_t cap, size_t *len);

/* The next RTP packet (version 2, payload type MBMSEC_BMSC_STREAM_PT, the stream's SSRC,
 * sequence number and timestamp running on) with payload[0..plen) (payload NULL: the
 * generated test payload of plen >= 6 octets, mbmsec_bmsc_stream_gen_payload), protected with the MTK in
 * force at now_ms, into out[0..cap) (cap >= 12 + plen + MBMSEC_SRTP_TRAILER_MAX). *used (may
 * be NULL) gets that MTK. Nothing advances on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (plen 0 or above MBMSEC_BMSC_STREAM_PAYLOAD_MAX),
 * MBMSEC_ERR_SPACE, MBMSEC_ERR_BMSC_STREAM_NO_MSK, MBMSEC_ERR_CRYPTO, the codes of
 * mbmsec_srtp_set_keys and mbmsec_srtp_protect. */
mbmsec_err mbmsec_bmsc_stream_packet(mbmsec_bmsc_stream *s, int64_t now_ms, const uint8_t *payload,
                                     size_t plen, uint8_t *out, size_t cap, size_t *len,
                                     mbmsec_bmsc_stream_mtk *used);

/* Packets made so far (the generated payload's packet counter). */
uint32_t mbmsec_bmsc_stream_packets(const mbmsec_bmsc_stream *s);

/* The derived MTK and salt of (MSK, MTK ID) (rule above); cleanse them after use.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_bmsc_mtk_derive(const uint8_t msk[MBMSEC_MBMS_MSK_LEN],
                                  const uint8_t kdid[MBMSEC_KDID_LEN],
                                  const uint8_t msk_id[MBMSEC_MSK_ID_LEN], uint16_t mtk_id,
                                  uint8_t mtk[MBMSEC_MBMS_MTK_LEN],
                                  uint8_t salt[MBMSEC_MBMS_MTK_SALT_LEN]);

/* The generated test payload of packet number n (from 0) with RTP sequence number seq: seq
 * (2 octets, big-endian), n (4 octets, big-endian), then octet i = (n + i) mod 256, len
 * octets in all (len >= 6), so a receiver can check every octet and see any gap. */
void mbmsec_bmsc_stream_gen_payload(uint16_t seq, uint32_t n, uint8_t *out, size_t len);

#endif
