/* SRTP with MTKs over libsrtp 2 (its MKI support picks the master key per packet).
 *
 * libsrtp keeps pointers to the key buffers of the policy, so the context owns them: one
 * 30-octet MTK || salt and one MKI per slot, cleansed when replaced or freed.
 *
 * A new MTK set goes in with srtp_update, which keeps each stream's ROC but starts a fresh
 * replay window: a packet from before the update could then be accepted a second time. So the
 * receiver tracks, per SSRC, the highest packet index it accepted, and at each key update makes
 * it a floor: later packets at or below it are refused as replays (a packet reordered across a
 * key change is lost; a replayed one is never accepted). */
#include "mbmsec/srtp.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <srtp2/srtp.h>

#include "guard.h"
#include "mbmsec/crypto.h"

#define TAG_LEN      10 /* HMAC-SHA1-80 */
#define RTP_HDR_MIN  12
#define KEY_SALT_LEN (MBMSEC_MBMS_MTK_LEN + MBMSEC_MBMS_MTK_SALT_LEN)

#define SSRC_SLOTS 16

/* Receiver: per SSRC the highest accepted index (ROC, SEQ) and the floor set at key updates. */
typedef struct {
  int used;
  uint32_t ssrc;
  uint32_t roc;
  uint16_t s_l;
  uint64_t floor; /* 0: none */
  uint64_t last_use;
} ssrc_track;

struct mbmsec_srtp {
  int receiver;
  ssrc_track track[SSRC_SLOTS];
  uint64_t clock;
  uint32_t ssrc;
  srtp_t session;
  size_t n;
  uint8_t key[MBMSEC_SRTP_MAX_KEYS][KEY_SALT_LEN];
  uint8_t mki[MBMSEC_SRTP_MAX_KEYS][MBMSEC_SRTP_MKI_LEN];
  srtp_master_key_t mk[MBMSEC_SRTP_MAX_KEYS];
  srtp_master_key_t *mkp[MBMSEC_SRTP_MAX_KEYS];
  mbmsec_srtp_stats stats;
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t g_init;
static void init_once(void) { g_init = srtp_init(); }

void mbmsec_srtp_mki(const uint8_t msk_id[MBMSEC_MSK_ID_LEN], uint16_t mtk_id,
                     uint8_t mki[MBMSEC_SRTP_MKI_LEN])
{
  memcpy(mki, msk_id, MBMSEC_MSK_ID_LEN);
  mki[MBMSEC_MSK_ID_LEN] = (uint8_t)(mtk_id >> 8);
  mki[MBMSEC_MSK_ID_LEN + 1] = (uint8_t)mtk_id;
}

mbmsec_err mbmsec_srtp_new(int receiver, uint32_t ssrc, mbmsec_srtp **out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  *out = NULL;
  pthread_once(&g_once, init_once);
  ENSURE(g_init == srtp_err_status_ok, MBMSEC_ERR_SRTP);
  mbmsec_srtp *s = calloc(1, sizeof *s);
  ENSURE(s, MBMSEC_ERR_NOMEM);
  s->receiver = receiver != 0;
  s->ssrc = ssrc;
  *out = s;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_srtp_set_keys(mbmsec_srtp *s, const mbmsec_srtp_key *keys, size_t n)
{
  ENSURE(s && keys, MBMSEC_ERR_ARG);
  ENSURE(n >= 1 && n <= MBMSEC_SRTP_MAX_KEYS, MBMSEC_ERR_SRTP_KEYS);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < i; j++)
      ENSURE(keys[i].mtk_id != keys[j].mtk_id ||
                 memcmp(keys[i].msk_id, keys[j].msk_id, MBMSEC_MSK_ID_LEN),
             MBMSEC_ERR_SRTP_KEYS);
  mbmsec_cleanse(s->key, sizeof s->key);
  for (size_t i = 0; i < n; i++) {
    memcpy(s->key[i], keys[i].mtk, MBMSEC_MBMS_MTK_LEN);
    memcpy(s->key[i] + MBMSEC_MBMS_MTK_LEN, keys[i].salt, MBMSEC_MBMS_MTK_SALT_LEN);
    mbmsec_srtp_mki(keys[i].msk_id, keys[i].mtk_id, s->mki[i]);
    s->mk[i] = (srtp_master_key_t){s->key[i], s->mki[i], MBMSEC_SRTP_MKI_LEN};
    s->mkp[i] = &s->mk[i];
  }
  s->n = n;

  srtp_policy_t p;
  memset(&p, 0, sizeof p);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
  if (s->receiver) {
    p.ssrc.type = ssrc_any_inbound;
  } else {
    p.ssrc.type = ssrc_specific;
    p.ssrc.value = s->ssrc;
  }
  p.keys = s->mkp;
  p.num_master_keys = n;
  p.window_size = 128;
  /* A new key set keeps the streams (and the receiver's replay window): srtp_update. */
  srtp_err_status_t e = s->session ? srtp_update(s->session, &p) : srtp_create(&s->session, &p);
  ENSURE(e == srtp_err_status_ok, MBMSEC_ERR_SRTP);
  for (size_t i = 0; i < SSRC_SLOTS; i++)
    if (s->track[i].used) s->track[i].floor = ((uint64_t)s->track[i].roc << 16) | s->track[i].s_l;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_srtp_protect(mbmsec_srtp *s, const uint8_t msk_id[MBMSEC_MSK_ID_LEN],
                               uint16_t mtk_id, uint8_t *pkt, size_t *len, size_t cap)
{
  ENSURE(s && msk_id && pkt && len && !s->receiver, MBMSEC_ERR_ARG);
  ENSURE(s->session, MBMSEC_ERR_SRTP_NO_KEY);
  ENSURE(*len >= RTP_HDR_MIN && (pkt[0] >> 6) == 2 && *len <= INT32_MAX - 64,
         MBMSEC_ERR_SRTP_PACKET);
  ENSURE(cap >= *len + MBMSEC_SRTP_TRAILER_MAX, MBMSEC_ERR_SPACE);
  uint8_t mki[MBMSEC_SRTP_MKI_LEN];
  mbmsec_srtp_mki(msk_id, mtk_id, mki);
  size_t idx = 0;
  while (idx < s->n && memcmp(s->mki[idx], mki, sizeof mki)) idx++;
  ENSURE(idx < s->n, MBMSEC_ERR_SRTP_NO_KEY);
  int l = (int)*len;
  ENSURE(srtp_protect_mki(s->session, pkt, &l, 1, (unsigned)idx) == srtp_err_status_ok,
         MBMSEC_ERR_SRTP);
  *len = (size_t)l;
  s->stats.ok++;
  return MBMSEC_OK;
}

/* The packet index RFC 3711 Appendix A guesses from the highest one seen. */
static uint64_t guess_index(const ssrc_track *t, uint16_t seq)
{
  int64_t v = t->roc;
  if (t->s_l < 32768) {
    if (seq > t->s_l && seq - t->s_l > 32768) v--;
  } else if (seq < t->s_l - 32768) {
    v++;
  }
  if (v < 0) v = 0;
  return ((uint64_t)v << 16) | seq;
}

static ssrc_track *track_find(mbmsec_srtp *s, uint32_t ssrc)
{
  for (size_t i = 0; i < SSRC_SLOTS; i++)
    if (s->track[i].used && s->track[i].ssrc == ssrc) return &s->track[i];
  return NULL;
}

/* After a packet was accepted: raise its SSRC's highest index (a new SSRC takes a free or the
 * least recently used slot). */
static void track_accept(mbmsec_srtp *s, uint32_t ssrc, uint16_t seq)
{
  ssrc_track *t = track_find(s, ssrc);
  if (!t) {
    t = &s->track[0];
    for (size_t i = 0; i < SSRC_SLOTS; i++) {
      if (!s->track[i].used) {
        t = &s->track[i];
        break;
      }
      if (s->track[i].last_use < t->last_use) t = &s->track[i];
    }
    *t = (ssrc_track){.used = 1, .ssrc = ssrc, .roc = 0, .s_l = seq};
  }
  const uint64_t idx = guess_index(t, seq);
  if (idx > (((uint64_t)t->roc << 16) | t->s_l)) {
    t->roc = (uint32_t)(idx >> 16);
    t->s_l = seq;
  }
  t->last_use = ++s->clock;
}

mbmsec_err mbmsec_srtp_unprotect(mbmsec_srtp *s, uint8_t *pkt, size_t *len,
                                 uint8_t mki[MBMSEC_SRTP_MKI_LEN])
{
  ENSURE(s && pkt && len && s->receiver, MBMSEC_ERR_ARG);
  if (*len < RTP_HDR_MIN + MBMSEC_SRTP_MKI_LEN + TAG_LEN || (pkt[0] >> 6) != 2 ||
      *len > INT32_MAX) {
    s->stats.malformed++;
    return MBMSEC_ERR_SRTP_PACKET;
  }
  /* The MKI sits before the tag and is not authenticated: it only selects the key. */
  if (mki) memcpy(mki, pkt + *len - TAG_LEN - MBMSEC_SRTP_MKI_LEN, MBMSEC_SRTP_MKI_LEN);
  if (!s->session) {
    s->stats.no_key++;
    return MBMSEC_ERR_SRTP_NO_KEY;
  }
  const uint16_t seq = (uint16_t)((pkt[2] << 8) | pkt[3]);
  const uint32_t ssrc =
      ((uint32_t)pkt[8] << 24) | ((uint32_t)pkt[9] << 16) | ((uint32_t)pkt[10] << 8) | pkt[11];
  const ssrc_track *t = track_find(s, ssrc);
  if (t && t->floor && guess_index(t, seq) <= t->floor) {
    s->stats.replay++;
    return MBMSEC_ERR_SRTP_REPLAY;
  }
  int l = (int)*len;
  switch (srtp_unprotect_mki(s->session, pkt, &l, 1)) {
  case srtp_err_status_ok:
    *len = (size_t)l;
    track_accept(s, ssrc, seq);
    s->stats.ok++;
    return MBMSEC_OK;
  case srtp_err_status_bad_mki:
    s->stats.no_key++;
    return MBMSEC_ERR_SRTP_NO_KEY;
  case srtp_err_status_auth_fail:
    s->stats.auth++;
    return MBMSEC_ERR_SRTP_AUTH;
  case srtp_err_status_replay_fail:
  case srtp_err_status_replay_old:
    s->stats.replay++;
    return MBMSEC_ERR_SRTP_REPLAY;
  default:
    s->stats.malformed++;
    return MBMSEC_ERR_SRTP_PACKET;
  }
}

void mbmsec_srtp_get_stats(const mbmsec_srtp *s, mbmsec_srtp_stats *out)
{
  if (s && out) *out = s->stats;
}

void mbmsec_srtp_free(mbmsec_srtp *s)
{
  if (!s) return;
  if (s->session) srtp_dealloc(s->session);
  mbmsec_cleanse(s, sizeof *s);
  free(s);
}
