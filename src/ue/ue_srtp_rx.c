/* The UE's SRTP receiver (ue_srtp_rx.h). */
#include <string.h>

#include "ue_srtp_rx.h"

mbmsec_err ue_srtp_rx_init(ue_srtp_rx *rx, FILE *out)
{
  if (!rx) return MBMSEC_ERR_ARG;
  memset(rx, 0, sizeof *rx);
  rx->out = out;
  return mbmsec_srtp_new(1, 0, &rx->ctx);
}

void ue_srtp_rx_free(ue_srtp_rx *rx)
{
  if (!rx) return;
  mbmsec_srtp_free(rx->ctx);
  rx->ctx = NULL;
}

static void add_stats(mbmsec_srtp_stats *a, const mbmsec_srtp_stats *b)
{
  a->ok += b->ok;
  a->no_key += b->no_key;
  a->auth += b->auth;
  a->replay += b->replay;
  a->malformed += b->malformed;
}

mbmsec_err ue_srtp_rx_set_keys(ue_srtp_rx *rx, const mbmsec_srtp_key *keys, size_t n)
{
  if (!rx || !rx->ctx || (!keys && n)) return MBMSEC_ERR_ARG;
  if (n) return mbmsec_srtp_set_keys(rx->ctx, keys, n);
  /* No key left: libsrtp wants at least one, so a fresh context without keys replaces it. */
  mbmsec_srtp *fresh = NULL;
  mbmsec_err rc = mbmsec_srtp_new(1, 0, &fresh);
  if (rc != MBMSEC_OK) return rc;
  mbmsec_srtp_stats s;
  mbmsec_srtp_get_stats(rx->ctx, &s);
  add_stats(&rx->before, &s);
  mbmsec_srtp_free(rx->ctx);
  rx->ctx = fresh;
  return MBMSEC_OK;
}

/* RTP header length (RFC 3550 5.1, 5.3.1) and padding; 0 when the packet is inconsistent. */
static size_t payload_span(const uint8_t *p, size_t len, size_t *pay_len)
{
  if (len < 12) return 0;
  size_t h = 12 + 4u * (p[0] & 0x0f);
  if (h > len) return 0;
  if (p[0] & 0x10) {
    if (h + 4 > len) return 0;
    h += 4 + 4u * (size_t)(p[h + 2] << 8 | p[h + 3]);
    if (h > len) return 0;
  }
  size_t pad = 0;
  if (p[0] & 0x20) {
    if (len == h) return 0;
    pad = p[len - 1];
    if (pad == 0 || pad > len - h) return 0;
  }
  *pay_len = len - h - pad;
  return h;
}

mbmsec_err ue_srtp_rx_packet(ue_srtp_rx *rx, uint8_t *pkt, size_t len,
                             uint8_t mki[MBMSEC_SRTP_MKI_LEN])
{
  if (!rx || !rx->ctx || !pkt) return MBMSEC_ERR_ARG;
  size_t n = len;
  mbmsec_err rc = mbmsec_srtp_unprotect(rx->ctx, pkt, &n, mki);
  if (rc != MBMSEC_OK) return rc;
  size_t pay = 0;
  const size_t h = payload_span(pkt, n, &pay);
  if (!h) return MBMSEC_OK; /* authentic but odd: counted as decrypted, nothing written */
  if (rx->out && pay) {
    if (fwrite(pkt + h, 1, pay, rx->out) != pay || fflush(rx->out) != 0)
      rx->write_errors++;
    else
      rx->payload_octets += pay;
  }
  return MBMSEC_OK;
}

void ue_srtp_rx_stats(const ue_srtp_rx *rx, mbmsec_srtp_stats *out)
{
  memset(out, 0, sizeof *out);
  if (!rx) return;
  *out = rx->before;
  if (rx->ctx) {
    mbmsec_srtp_stats s;
    mbmsec_srtp_get_stats(rx->ctx, &s);
    add_stats(out, &s);
  }
}
