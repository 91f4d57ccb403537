/* The BM-SC's transmission engine: MTK in force, MTK messages, SRTP packets; no I/O
 * (include/mbmsec/bmsc_stream.h has the rules). */
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/bmsc_stream.h"
#include "mbmsec/crypto.h"
#include "mbmsec/keyid.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/srtp.h"

static const char DERIVE_LABEL[] = "mbmsec MTK";

struct mbmsec_bmsc_stream {
  mbmsec_bmsc_stream_conf c;
  mbmsec_bmsc_stream_msk msk[MBMSEC_BMSC_STREAM_MSKS];
  size_t n_msk;
  /* the last MTK message sent */
  int sent_any;
  mbmsec_bmsc_stream_mtk sent;
  int64_t sent_ms;
  /* SRTP: the sender and the MTKs installed in it */
  mbmsec_srtp *tx;
  mbmsec_bmsc_stream_mtk keys[2];
  size_t n_keys;
  uint16_t seq;
  uint32_t ts, packets;
};

#define keynum mbmsec_msk_id_keynum

static int same_mtk(const mbmsec_bmsc_stream_mtk *a, const mbmsec_bmsc_stream_mtk *b)
{
  return a->mtk_id == b->mtk_id && !memcmp(a->msk_id, b->msk_id, MBMSEC_MSK_ID_LEN);
}

mbmsec_err mbmsec_bmsc_stream_new(const mbmsec_bmsc_stream_conf *c, mbmsec_bmsc_stream **out)
{
  ENSURE(c && out && c->mtk_interval_ms && c->mtk_period_ms, MBMSEC_ERR_ARG);
  *out = NULL;
  mbmsec_bmsc_stream *s = calloc(1, sizeof *s);
  ENSURE(s, MBMSEC_ERR_NOMEM);
  s->c = *c;
  s->seq = c->first_seq;
  s->ts = c->first_ts;
  mbmsec_err rc = mbmsec_srtp_new(0, c->ssrc, &s->tx);
  if (rc != MBMSEC_OK) {
    free(s);
    return rc;
  }
  *out = s;
  return MBMSEC_OK;
}

void mbmsec_bmsc_stream_free(mbmsec_bmsc_stream *s)
{
  if (!s) return;
  mbmsec_srtp_free(s->tx);
  mbmsec_cleanse(s, sizeof *s);
  free(s);
}

static int by_keynum_desc(const void *a, const void *b)
{
  const uint16_t x = keynum(((const mbmsec_bmsc_stream_msk *)a)->msk_id);
  const uint16_t y = keynum(((const mbmsec_bmsc_stream_msk *)b)->msk_id);
  return (x < y) - (x > y);
}

mbmsec_err mbmsec_bmsc_stream_set_msks(mbmsec_bmsc_stream *s, const mbmsec_bmsc_stream_msk *m,
                                       size_t n)
{
  ENSURE(s && (m || !n), MBMSEC_ERR_ARG);
  for (size_t i = 0; i < n; i++)
    ENSURE(m[i].valid_to_ms > m[i].valid_from_ms && m[i].vf <= m[i].vt, MBMSEC_ERR_ARG);
  mbmsec_bmsc_stream_msk *tmp = calloc(n ? n : 1, sizeof *tmp);
  ENSURE(tmp, MBMSEC_ERR_NOMEM);
  if (n) memcpy(tmp, m, n * sizeof *tmp);
  qsort(tmp, n, sizeof *tmp, by_keynum_desc);
  mbmsec_cleanse(s->msk, sizeof s->msk);
  s->n_msk = n < MBMSEC_BMSC_STREAM_MSKS ? n : MBMSEC_BMSC_STREAM_MSKS;
  memcpy(s->msk, tmp, s->n_msk * sizeof *tmp);
  mbmsec_cleanse(tmp, (n ? n : 1) * sizeof *tmp);
  free(tmp);
  return MBMSEC_OK;
}

/* The MSK in force at t: highest key number valid at t (s->msk is sorted that way). */
static const mbmsec_bmsc_stream_msk *msk_at(const mbmsec_bmsc_stream *s, int64_t t)
{
  for (size_t i = 0; i < s->n_msk; i++)
    if (s->msk[i].valid_from_ms <= t && t < s->msk[i].valid_to_ms) return &s->msk[i];
  return NULL;
}

static const mbmsec_bmsc_stream_msk *msk_by_id(const mbmsec_bmsc_stream *s,
                                               const uint8_t id[MBMSEC_MSK_ID_LEN])
{
  for (size_t i = 0; i < s->n_msk; i++)
    if (!memcmp(s->msk[i].msk_id, id, MBMSEC_MSK_ID_LEN)) return &s->msk[i];
  return NULL;
}

mbmsec_err mbmsec_bmsc_stream_mtk_at(const mbmsec_bmsc_stream *s, int64_t now_ms,
                                     mbmsec_bmsc_stream_mtk *out)
{
  ENSURE(s && out, MBMSEC_ERR_ARG);
  const mbmsec_bmsc_stream_msk *k = msk_at(s, now_ms);
  ENSURE(k, MBMSEC_ERR_BMSC_STREAM_NO_MSK);
  const uint64_t steps = (uint64_t)(now_ms - k->valid_from_ms) / s->c.mtk_interval_ms;
  const uint64_t id = (uint64_t)k->vf + steps;
  memcpy(out->msk_id, k->msk_id, MBMSEC_MSK_ID_LEN);
  out->mtk_id = (uint16_t)(id > k->vt ? k->vt : id);
  return MBMSEC_OK;
}

int mbmsec_bmsc_stream_mtk_due(const mbmsec_bmsc_stream *s, int64_t now_ms,
                               mbmsec_bmsc_stream_mtk *out, int64_t *next_ms)
{
  if (next_ms) *next_ms = now_ms + 100; /* no MSK yet: look again soon */
  if (!s || !out) return 0;
  mbmsec_bmsc_stream_mtk ahead;
  /* The very first message is the MTK in force, so the first packets can be read; the one
   * ahead follows at once. */
  if (!s->sent_any && mbmsec_bmsc_stream_mtk_at(s, now_ms, out) == MBMSEC_OK) {
    if (next_ms) *next_ms = now_ms;
    return 1;
  }
  if (mbmsec_bmsc_stream_mtk_at(s, now_ms + s->c.mtk_lead_ms, &ahead) != MBMSEC_OK) {
    /* Nothing valid at now + lead (the last MSK runs out): keep repeating the one in force. */
    if (mbmsec_bmsc_stream_mtk_at(s, now_ms, &ahead) != MBMSEC_OK) return 0;
  }
  const int64_t next_period = s->sent_any ? s->sent_ms + s->c.mtk_period_ms : now_ms;
  if (!s->sent_any || !same_mtk(&ahead, &s->sent) || now_ms >= next_period) {
    *out = ahead;
    if (next_ms) *next_ms = now_ms;
    return 1;
  }
  if (next_ms) {
    /* the next change of the MTK ahead happens at an interval boundary */
    const mbmsec_bmsc_stream_msk *k = msk_by_id(s, ahead.msk_id);
    int64_t change = next_period;
    if (k) {
      const int64_t t = now_ms + s->c.mtk_lead_ms - k->valid_from_ms;
      const int64_t b = k->valid_from_ms + (t / s->c.mtk_interval_ms + 1) * s->c.mtk_interval_ms;
      const int64_t end = k->valid_to_ms;
      const int64_t c = (b < end ? b : end) - s->c.mtk_lead_ms;
      if (c < change) change = c;
    }
    *next_ms = change > now_ms ? change : now_ms + 1;
  }
  return 0;
}

mbmsec_err mbmsec_bmsc_mtk_derive(const uint8_t msk[MBMSEC_MBMS_MSK_LEN],
                                  const uint8_t kdid[MBMSEC_KDID_LEN],
                                  const uint8_t msk_id[MBMSEC_MSK_ID_LEN], uint16_t mtk_id,
                                  uint8_t mtk[MBMSEC_MBMS_MTK_LEN],
                                  uint8_t salt[MBMSEC_MBMS_MTK_SALT_LEN])
{
  ENSURE(msk && kdid && msk_id && mtk && salt, MBMSEC_ERR_ARG);
  const uint8_t id[2] = {(uint8_t)(mtk_id >> 8), (uint8_t)mtk_id};
  const mbmsec_iov parts[] = {{DERIVE_LABEL, sizeof DERIVE_LABEL - 1},
                              {kdid, MBMSEC_KDID_LEN},
                              {msk_id, MBMSEC_MSK_ID_LEN},
                              {id, sizeof id}};
  uint8_t out[32];
  mbmsec_err rc = mbmsec_hmac(MBMSEC_MD_SHA256, msk, MBMSEC_MBMS_MSK_LEN, parts, 4, out);
  if (rc == MBMSEC_OK) {
    memcpy(mtk, out, MBMSEC_MBMS_MTK_LEN);
    memcpy(salt, out + MBMSEC_MBMS_MTK_LEN, MBMSEC_MBMS_MTK_SALT_LEN);
  }
  mbmsec_cleanse(out, sizeof out);
  return rc;
}

mbmsec_err mbmsec_bmsc_stream_mtk_message(mbmsec_bmsc_stream *s, const mbmsec_bmsc_stream_mtk *m,
                                          uint32_t counter, int64_t now_ms, uint8_t *out,
                                          size_t cap, size_t *len)
{
  ENSURE(s && m && out && len, MBMSEC_ERR_ARG);
  const mbmsec_bmsc_stream_msk *k = msk_by_id(s, m->msk_id);
  ENSURE(k, MBMSEC_ERR_BMSC_STREAM_NO_MSK);
  uint8_t mtk[MBMSEC_MBMS_MTK_LEN], salt[MBMSEC_MBMS_MTK_SALT_LEN];
  mbmsec_err rc = mbmsec_bmsc_mtk_derive(k->msk, s->c.kdid, k->msk_id, m->mtk_id, mtk, salt);
  if (rc == MBMSEC_OK) {
    mbmsec_mikey_mtk_params p;
    memset(&p, 0, sizeof p);
    memcpy(p.kdid, s->c.kdid, MBMSEC_KDID_LEN);
    memcpy(p.msk_id, k->msk_id, MBMSEC_MSK_ID_LEN);
    p.mtk_id = m->mtk_id;
    p.counter = counter;
    p.mtk = mtk;
    p.salt = salt;
    rc = mbmsec_mikey_mtk_build(&p, k->msk, MBMSEC_MBMS_MSK_LEN, NULL, out, cap, len, NULL);
  }
  mbmsec_cleanse(mtk, sizeof mtk);
  mbmsec_cleanse(salt, sizeof salt);
  if (rc == MBMSEC_OK) {
    s->sent_any = 1;
    s->sent = *m;
    s->sent_ms = now_ms;
  }
  return rc;
}

/* Installs the MTK in force and the one announced ahead (if another) in the sender, when the
 * set changed. */
static mbmsec_err install(mbmsec_bmsc_stream *s, const mbmsec_bmsc_stream_mtk *now_mtk)
{
  mbmsec_bmsc_stream_mtk want[2] = {*now_mtk};
  size_t n = 1;
  if (s->sent_any && !same_mtk(&s->sent, now_mtk) && msk_by_id(s, s->sent.msk_id))
    want[n++] = s->sent;
  if (n == s->n_keys && same_mtk(&want[0], &s->keys[0]) &&
      (n == 1 || same_mtk(&want[1], &s->keys[1])))
    return MBMSEC_OK;
  mbmsec_srtp_key k[2];
  mbmsec_err rc = MBMSEC_OK;
  for (size_t i = 0; i < n && rc == MBMSEC_OK; i++) {
    const mbmsec_bmsc_stream_msk *m = msk_by_id(s, want[i].msk_id);
    memcpy(k[i].msk_id, want[i].msk_id, MBMSEC_MSK_ID_LEN);
    k[i].mtk_id = want[i].mtk_id;
    rc = mbmsec_bmsc_mtk_derive(m->msk, s->c.kdid, m->msk_id, want[i].mtk_id, k[i].mtk, k[i].salt);
  }
  if (rc == MBMSEC_OK) rc = mbmsec_srtp_set_keys(s->tx, k, n);
  mbmsec_cleanse(k, sizeof k);
  if (rc == MBMSEC_OK) {
    memcpy(s->keys, want, sizeof want);
    s->n_keys = n;
  }
  return rc;
}

mbmsec_err mbmsec_bmsc_stream_packet(mbmsec_bmsc_stream *s, int64_t now_ms, const uint8_t *payload,
                                     size_t plen, uint8_t *out, size_t cap, size_t *len,
                                     mbmsec_bmsc_stream_mtk *used)
{
  ENSURE(s && out && len, MBMSEC_ERR_ARG);
  ENSURE(plen > 0 && plen <= MBMSEC_BMSC_STREAM_PAYLOAD_MAX && (payload || plen >= 6),
         MBMSEC_ERR_ARG);
  ENSURE(cap >= MBMSEC_BMSC_STREAM_RTP_HDR + plen + MBMSEC_SRTP_TRAILER_MAX, MBMSEC_ERR_SPACE);
  mbmsec_bmsc_stream_mtk m;
  GUARD(mbmsec_bmsc_stream_mtk_at(s, now_ms, &m));
  GUARD(install(s, &m));
  const uint32_t ssrc = s->c.ssrc;
  const uint8_t hdr[MBMSEC_BMSC_STREAM_RTP_HDR] = {0x80,
                                                   MBMSEC_BMSC_STREAM_PT,
                                                   (uint8_t)(s->seq >> 8),
                                                   (uint8_t)s->seq,
                                                   (uint8_t)(s->ts >> 24),
                                                   (uint8_t)(s->ts >> 16),
                                                   (uint8_t)(s->ts >> 8),
                                                   (uint8_t)s->ts,
                                                   (uint8_t)(ssrc >> 24),
                                                   (uint8_t)(ssrc >> 16),
                                                   (uint8_t)(ssrc >> 8),
                                                   (uint8_t)ssrc};
  memcpy(out, hdr, sizeof hdr);
  if (payload)
    memcpy(out + sizeof hdr, payload, plen);
  else
    mbmsec_bmsc_stream_gen_payload(s->seq, s->packets, out + sizeof hdr, plen);
  size_t n = sizeof hdr + plen;
  GUARD(mbmsec_srtp_protect(s->tx, m.msk_id, m.mtk_id, out, &n, cap));
  *len = n;
  if (used) *used = m;
  s->seq++;
  s->ts += MBMSEC_BMSC_STREAM_TS_STEP;
  s->packets++;
  return MBMSEC_OK;
}

uint32_t mbmsec_bmsc_stream_packets(const mbmsec_bmsc_stream *s) { return s ? s->packets : 0; }

void mbmsec_bmsc_stream_gen_payload(uint16_t seq, uint32_t n, uint8_t *out, size_t len)
{
  if (!out || len < 6) return;
  out[0] = (uint8_t)(seq >> 8), out[1] = (uint8_t)seq;
  out[2] = (uint8_t)(n >> 24), out[3] = (uint8_t)(n >> 16), out[4] = (uint8_t)(n >> 8),
  out[5] = (uint8_t)n;
  for (size_t i = 6; i < len; i++) out[i] = (uint8_t)(n + i);
}
