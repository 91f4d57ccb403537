/* mbmsec-ue run: the SRTP receiver. Finds the MTK by the packet's MKI among the keys the agent
 * holds (lib/srtp), writes each decrypted RTP payload to a stream, counts packets decrypted and
 * refused by reason. A key set change keeps the counts (and, while keys remain, the replay
 * state). */
#ifndef MBMSEC_UE_SRTP_RX_H
#define MBMSEC_UE_SRTP_RX_H
#include <stdint.h>
#include <stdio.h>

#include "mbmsec/srtp.h"

typedef struct {
  mbmsec_srtp *ctx;
  FILE *out;                /* NULL: payloads are not written */
  mbmsec_srtp_stats before; /* counts of contexts replaced (no key left) */
  uint64_t payload_octets;
  uint64_t write_errors;
} ue_srtp_rx;

/* @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, MBMSEC_ERR_SRTP. */
mbmsec_err ue_srtp_rx_init(ue_srtp_rx *rx, FILE *out);
void ue_srtp_rx_free(ue_srtp_rx *rx);
/* The MTKs the agent holds (n may be 0: nothing decrypts then).
 * @return MBMSEC_OK, the codes of mbmsec_srtp_set_keys / mbmsec_srtp_new. */
mbmsec_err ue_srtp_rx_set_keys(ue_srtp_rx *rx, const mbmsec_srtp_key *keys, size_t n);
/* One datagram: decrypted in place, payload (after the RTP header, CSRCs, extension and
 * padding) written to out. mki gets the packet's MKI whenever it could be read.
 * @return MBMSEC_OK or the refusal (mbmsec_srtp_unprotect codes). */
mbmsec_err ue_srtp_rx_packet(ue_srtp_rx *rx, uint8_t *pkt, size_t len,
                             uint8_t mki[MBMSEC_SRTP_MKI_LEN]);
/* Counts so far (all contexts). */
void ue_srtp_rx_stats(const ue_srtp_rx *rx, mbmsec_srtp_stats *out);

#endif
