/* The key chain below the MUK at library level, the way a UE meets it on the air: the MSK
 * message under the MUK is accepted into the receiver state, MTK messages under the MSK follow
 * with rising MTK IDs, each accepted MTK is installed for SRTP by its MKI (MSK ID || MTK ID),
 * and media protected by a sender with that MTK decrypts. A UE that missed the MSK refuses the
 * MTK messages (missed key update) and its SRTP receiver refuses the media. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/crypto.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/mikey_state.h"
#include "mbmsec/srtp.h"

static const uint8_t KDID[3] = {0x00, 0xf1, 0x10};
static const uint8_t MSK_ID[4] = {0x00, 0x01, 0x00, 0x02};
static const char IDI[] = "bmsc.example.org";
static const char IDR[] = "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.example.org";
static uint8_t g_muk[32];

static mbmsec_err muk_cb(void *ctx, const uint8_t *idi, size_t idi_len, const uint8_t *idr,
                         size_t idr_len, uint8_t *muk, size_t muk_cap, size_t *muk_len)
{
  (void)ctx;
  if (idi_len != strlen(IDI) || memcmp(idi, IDI, idi_len) || idr_len != strlen(IDR) ||
      memcmp(idr, IDR, idr_len) || muk_cap < sizeof g_muk)
    return MBMSEC_ERR_MIKEY_UNKNOWN_KEY;
  memcpy(muk, g_muk, sizeof g_muk);
  *muk_len = sizeof g_muk;
  return MBMSEC_OK;
}

static size_t rtp(uint8_t *p, uint16_t seq, const char *payload)
{
  const size_t n = strlen(payload);
  memset(p, 0, 12);
  p[0] = 0x80, p[1] = 96, p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq, p[11] = 0x42;
  memcpy(p + 12, payload, n);
  return 12 + n;
}

static void test_chain(void **state)
{
  (void)state;
  uint8_t msk[16], msg[512], pkt[128];
  size_t len;
  assert_int_equal(mbmsec_random(g_muk, sizeof g_muk), MBMSEC_OK);
  assert_int_equal(mbmsec_random(msk, sizeof msk), MBMSEC_OK);

  /* BM-SC: the MSK message to this UE (MTK IDs 1..100). */
  mbmsec_mikey_msk_params mp = {.idi = (const uint8_t *)IDI,
                                .idi_len = strlen(IDI),
                                .idr = (const uint8_t *)IDR,
                                .idr_len = strlen(IDR),
                                .counter = 1,
                                .v_flag = 1,
                                .msk = msk,
                                .vf = 1,
                                .vt = 100};
  memcpy(mp.kdid, KDID, 3);
  memcpy(mp.msk_id, MSK_ID, 4);
  assert_int_equal(
      mbmsec_mikey_msk_build(&mp, g_muk, sizeof g_muk, NULL, msg, sizeof msg, &len, NULL),
      MBMSEC_OK);

  /* UE: accepts the MSK (and has a verification message to send); a second UE missed it. */
  mbmsec_mikey_state *ue = mbmsec_mikey_state_new(), *late = mbmsec_mikey_state_new();
  assert_non_null(ue);
  assert_non_null(late);
  mbmsec_mikey_msk_result mr;
  assert_int_equal(mbmsec_mikey_state_accept_msk(ue, msg, len, muk_cb, NULL, NULL, &mr), MBMSEC_OK);
  assert_int_equal(mr.outcome, MBMSEC_MIKEY_MSK_NEW);
  assert_true(mr.ver_len > 0);
  mbmsec_mikey_msk_info_cleanse(&mr.info);

  mbmsec_srtp *tx, *rx, *rx_late;
  assert_int_equal(mbmsec_srtp_new(0, 0x42, &tx), MBMSEC_OK);
  assert_int_equal(mbmsec_srtp_new(1, 0, &rx), MBMSEC_OK);
  assert_int_equal(mbmsec_srtp_new(1, 0, &rx_late), MBMSEC_OK);

  uint16_t seq = 1;
  for (uint16_t mtk_id = 1; mtk_id <= 3; mtk_id++) {
    /* BM-SC: a new MTK under the MSK (counter per MSK rises with it). */
    mbmsec_srtp_key k;
    memcpy(k.msk_id, MSK_ID, 4);
    k.mtk_id = mtk_id;
    assert_int_equal(mbmsec_random(k.mtk, sizeof k.mtk), MBMSEC_OK);
    assert_int_equal(mbmsec_random(k.salt, sizeof k.salt), MBMSEC_OK);
    mbmsec_mikey_mtk_params tp = {
        .mtk_id = mtk_id, .counter = mtk_id, .mtk = k.mtk, .salt = k.salt};
    memcpy(tp.kdid, KDID, 3);
    memcpy(tp.msk_id, MSK_ID, 4);
    assert_int_equal(
        mbmsec_mikey_mtk_build(&tp, msk, sizeof msk, NULL, msg, sizeof msg, &len, NULL), MBMSEC_OK);

    /* UE: verifies and takes the MTK; installs it for SRTP by its MKI. */
    mbmsec_mikey_mtk_info ti;
    assert_int_equal(mbmsec_mikey_state_accept_mtk(ue, msg, len, NULL, &ti), MBMSEC_OK);
    assert_int_equal(ti.mtk_id, mtk_id);
    assert_memory_equal(ti.mtk, k.mtk, 16);
    mbmsec_srtp_key got;
    memcpy(got.msk_id, ti.msk_id, 4);
    got.mtk_id = ti.mtk_id;
    memcpy(got.mtk, ti.mtk, 16);
    memcpy(got.salt, ti.salt, 14);
    mbmsec_mikey_mtk_info_cleanse(&ti);
    assert_int_equal(mbmsec_srtp_set_keys(rx, &got, 1), MBMSEC_OK);
    /* The same MTK message again (replayed counter) is refused; the late UE has no MSK. */
    assert_int_equal(mbmsec_mikey_state_accept_mtk(ue, msg, len, NULL, &ti),
                     MBMSEC_ERR_MIKEY_REPLAY);
    assert_int_equal(mbmsec_mikey_state_accept_mtk(late, msg, len, NULL, &ti),
                     MBMSEC_ERR_MIKEY_MISSED_MSK);

    /* BM-SC: media under the MTK. */
    assert_int_equal(mbmsec_srtp_set_keys(tx, &k, 1), MBMSEC_OK);
    for (int i = 0; i < 5; i++, seq++) {
      len = rtp(pkt, seq, "frame of the news stream");
      assert_int_equal(mbmsec_srtp_protect(tx, MSK_ID, mtk_id, pkt, &len, sizeof pkt), MBMSEC_OK);
      uint8_t copy[128], mki[6];
      size_t clen = len;
      memcpy(copy, pkt, len);
      assert_int_equal(mbmsec_srtp_unprotect(rx, pkt, &len, mki), MBMSEC_OK);
      assert_memory_equal(pkt + 12, "frame of the news stream", 24);
      assert_int_equal(mbmsec_srtp_unprotect(rx_late, copy, &clen, mki), MBMSEC_ERR_SRTP_NO_KEY);
      assert_memory_equal(mki, ((uint8_t[]){0, 1, 0, 2, 0, (uint8_t)mtk_id}), 6);
    }
    mbmsec_cleanse(&k, sizeof k);
    mbmsec_cleanse(&got, sizeof got);
  }
  /* MTK IDs only rise: an MTK message for MTK ID 2 now (new counter) is refused. */
  uint8_t mtk[16] = {0}, salt[14] = {0};
  mbmsec_mikey_mtk_params old = {.mtk_id = 2, .counter = 10, .mtk = mtk, .salt = salt};
  memcpy(old.kdid, KDID, 3);
  memcpy(old.msk_id, MSK_ID, 4);
  assert_int_equal(mbmsec_mikey_mtk_build(&old, msk, sizeof msk, NULL, msg, sizeof msg, &len, NULL),
                   MBMSEC_OK);
  mbmsec_mikey_mtk_info ti;
  assert_int_equal(mbmsec_mikey_state_accept_mtk(ue, msg, len, NULL, &ti),
                   MBMSEC_ERR_MIKEY_MTK_ID_OLD);

  mbmsec_srtp_free(tx);
  mbmsec_srtp_free(rx);
  mbmsec_srtp_free(rx_late);
  mbmsec_mikey_state_free(ue);
  mbmsec_mikey_state_free(late);
  mbmsec_cleanse(msk, sizeof msk);
  mbmsec_cleanse(g_muk, sizeof g_muk);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_chain)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mbmsec_crypto_cleanup();
  return rc;
}
