/* mbmsec-ue run's parts without sockets: the SRTP receiver (src/ue/ue_srtp_rx.c) against a
 * lib/srtp sender, the configuration reader (conf.c) and the control datagram
 * (admin.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf.h"
#include "agent_run.h"
#include "mbmsec/crypto.h"
#include "ue_srtp_rx.h"

static mbmsec_srtp_key key_of(uint16_t kn, uint16_t mtk_id)
{
  mbmsec_srtp_key k;
  memset(&k, 0, sizeof k);
  k.msk_id[1] = 1;
  k.msk_id[3] = (uint8_t)kn;
  k.mtk_id = mtk_id;
  memset(k.mtk, 0x10 + mtk_id, sizeof k.mtk);
  memset(k.salt, 0x20 + kn, sizeof k.salt);
  return k;
}

static size_t rtp(uint8_t *p, uint16_t seq, const char *payload)
{
  const size_t n = strlen(payload);
  memset(p, 0, 12);
  p[0] = 0x80, p[1] = 96, p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq, p[11] = 0x42;
  memcpy(p + 12, payload, n);
  return 12 + n;
}

static size_t protect(mbmsec_srtp *tx, const mbmsec_srtp_key *k, uint16_t seq, const char *pl,
                      uint8_t *pkt)
{
  size_t len = rtp(pkt, seq, pl);
  assert_int_equal(mbmsec_srtp_protect(tx, k->msk_id, k->mtk_id, pkt, &len, 256), MBMSEC_OK);
  return len;
}

/* Decrypted payload written in order; bad tag, replay, unknown MKI and junk refused, counted,
 * nothing written for them; a key change keeps the counts; no key at all refuses everything. */
static void test_receiver(void **state)
{
  (void)state;
  char *buf = NULL;
  size_t blen = 0;
  FILE *out = open_memstream(&buf, &blen);
  assert_non_null(out);
  ue_srtp_rx rx;
  assert_int_equal(ue_srtp_rx_init(&rx, out), MBMSEC_OK);
  mbmsec_srtp *tx = NULL;
  assert_int_equal(mbmsec_srtp_new(0, 0x42, &tx), MBMSEC_OK);
  mbmsec_srtp_key k1 = key_of(1, 1), k2 = key_of(1, 2), k9 = key_of(9, 1);
  const mbmsec_srtp_key both[2] = {k1, k2};
  const mbmsec_srtp_key all[3] = {k1, k2, k9};
  assert_int_equal(mbmsec_srtp_set_keys(tx, all, 3), MBMSEC_OK);
  assert_int_equal(ue_srtp_rx_set_keys(&rx, both, 2), MBMSEC_OK);

  uint8_t pkt[256], copy[256], mki[6];
  size_t len = protect(tx, &k1, 1, "hello ", pkt);
  memcpy(copy, pkt, len);
  const size_t clen = len;
  assert_int_equal(ue_srtp_rx_packet(&rx, pkt, len, mki), MBMSEC_OK);
  len = protect(tx, &k2, 2, "world", pkt);
  assert_int_equal(ue_srtp_rx_packet(&rx, pkt, len, mki), MBMSEC_OK);
  /* Replay of packet 1. */
  memcpy(pkt, copy, clen);
  assert_int_equal(ue_srtp_rx_packet(&rx, pkt, clen, mki), MBMSEC_ERR_SRTP_REPLAY);
  /* Corrupted payload. */
  len = protect(tx, &k2, 3, "evil!", pkt);
  pkt[14] ^= 1;
  assert_int_equal(ue_srtp_rx_packet(&rx, pkt, len, mki), MBMSEC_ERR_SRTP_AUTH);
  /* An MSK the UE does not hold: NO_KEY with the MKI (missed key update). */
  len = protect(tx, &k9, 4, "later", pkt);
  assert_int_equal(ue_srtp_rx_packet(&rx, pkt, len, mki), MBMSEC_ERR_SRTP_NO_KEY);
  assert_int_equal(mki[3], 9);
  /* Junk. */
  memset(pkt, 0xff, 10);
  assert_int_equal(ue_srtp_rx_packet(&rx, pkt, 10, mki), MBMSEC_ERR_SRTP_PACKET);
  /* Key set shrinks to nothing: counts kept, everything refused as "no key". */
  assert_int_equal(ue_srtp_rx_set_keys(&rx, NULL, 0), MBMSEC_OK);
  len = protect(tx, &k1, 5, "gone", pkt);
  assert_int_equal(ue_srtp_rx_packet(&rx, pkt, len, mki), MBMSEC_ERR_SRTP_NO_KEY);
  mbmsec_srtp_stats st;
  ue_srtp_rx_stats(&rx, &st);
  assert_int_equal(st.ok, 2);
  assert_int_equal(st.replay, 1);
  assert_int_equal(st.auth, 1);
  assert_int_equal(st.no_key, 2);
  assert_int_equal(st.malformed, 1);
  fflush(out);
  assert_int_equal(blen, 11);
  assert_memory_equal(buf, "hello world", 11);
  assert_int_equal(rx.payload_octets, 11);
  ue_srtp_rx_free(&rx);
  mbmsec_srtp_free(tx);
  fclose(out);
  free(buf);
}

static mbmsec_err parse(const char *text, ue_agent_conf *c, char *err)
{
  return ue_agent_conf_parse(text, strlen(text), c, err, 160);
}

static void test_config(void **state)
{
  (void)state;
  ue_agent_conf *c = calloc(1, sizeof *c);
  assert_non_null(c);
  char err[160];
  const char *good = "# a UE\n"
                     "state_dir = /tmp/ue1\n"
                     "impi=001010000000001@ims.mnc001.mcc001.3gppnetwork.org\n"
                     "bsf = http://127.0.0.1:8080/\n"
                     "announcement = /etc/mbms/news.usd.xml\n"
                     "announcement = /etc/mbms/sport.usd.xml\n"
                     "  mikey_port = 12269  \r\n"
                     "mrk_muk_mode = none\n"
                     "log_keys = false\n";
  assert_int_equal(parse(good, c, err), MBMSEC_OK);
  assert_string_equal(c->state_dir, "/tmp/ue1");
  assert_string_equal(c->usim, "/tmp/ue1/usim");
  assert_int_equal(c->n_announcement, 2);
  assert_int_equal(c->mikey_port, 12269);
  assert_int_equal(c->mrk_muk_mode, MBMSEC_MRK_MUK_NONE);
  assert_string_equal(c->bind, "127.0.0.1");
  assert_int_equal(c->retry_first_ms, 1000);
  assert_int_equal(c->msk_grace_ms, 30000);
  /* Errors name the line. */
  assert_int_equal(parse("state_dir=/a\nstate_dir=/b\n", c, err), MBMSEC_ERR_UE_AGENT_CONFIG);
  assert_non_null(strstr(err, "line 2"));
  assert_int_equal(parse("colour = blue\n", c, err), MBMSEC_ERR_UE_AGENT_CONFIG);
  assert_non_null(strstr(err, "unknown setting"));
  assert_int_equal(parse("mikey_port = 70000\n", c, err), MBMSEC_ERR_UE_AGENT_CONFIG);
  assert_int_equal(parse("mikey_port = -1\n", c, err), MBMSEC_ERR_UE_AGENT_CONFIG);
  assert_int_equal(parse("just words\n", c, err), MBMSEC_ERR_UE_AGENT_CONFIG);
  assert_int_equal(parse("state_dir = /x\nimpi = a\nbsf = http://b/\n", c, err),
                   MBMSEC_ERR_UE_AGENT_CONFIG);
  assert_non_null(strstr(err, "announcement"));
  assert_int_equal(parse("log_keys = maybe\n", c, err), MBMSEC_ERR_UE_AGENT_CONFIG);
  const char nul[] = "state_dir = /x\0y\n";
  assert_int_equal(ue_agent_conf_parse(nul, sizeof nul - 1, c, err, sizeof err),
                   MBMSEC_ERR_UE_AGENT_CONFIG);
  free(c);
}

static void test_control(void **state)
{
  (void)state;
  char sid[MBMSEC_XML_URI_MAX + 1];
  assert_int_equal(ue_agent_control_parse("leave urn:x:news\n", 17, sid), MBMSEC_OK);
  assert_string_equal(sid, "urn:x:news");
  assert_int_equal(ue_agent_control_parse("leave urn:x", 11, sid), MBMSEC_OK);
  assert_int_equal(ue_agent_control_parse("leave \n", 7, sid), MBMSEC_ERR_ARG);
  assert_int_equal(ue_agent_control_parse("leave a b", 9, sid), MBMSEC_ERR_ARG);
  assert_int_equal(ue_agent_control_parse("join urn:x", 10, sid), MBMSEC_ERR_ARG);
  assert_int_equal(ue_agent_control_parse("leave", 5, sid), MBMSEC_ERR_ARG);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_receiver),
      cmocka_unit_test(test_config),
      cmocka_unit_test(test_control),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
