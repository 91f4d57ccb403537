/* libFuzzer: the MIKEY codec, the profile message verifiers and the UE receiver state on
 * hostile datagrams, with fixed test keys.
 * Per input: generic decode (and, when it decodes, encode gives the same bytes back); key
 * data chain decode; MSK and MTK accept on a state holding one MSK (refusal = state
 * byte-for-byte unchanged); the same with NULL algorithms allowed (test-only option), so
 * that inputs without a valid MAC reach the decryption and key-ID rules; verification message
 * check; state deserialisation of the raw input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/mikey.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/mikey_state.h"

static const uint8_t MUK[32] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
                                0xcc, 0xdd, 0xee, 0xff, 0x00, 1,    2,    3,    4,    5,    6,
                                7,    8,    9,    10,   11,   12,   13,   14,   15,   16};
static const uint8_t MSK_A[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                  0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
static const uint8_t KDID[3] = {0x00, 0xf1, 0x10};
static const char IDI[] = "bmsc.example.org";
static const char IDR[] = "dGVzdHJhbmQ=@bsf.example.org";

static uint8_t base[MBMSEC_MIKEY_STATE_SER_MAX];
static size_t base_len;

static mbmsec_err muk_cb(void *ctx, const uint8_t *idi, size_t idi_len, const uint8_t *idr,
                         size_t idr_len, uint8_t *muk, size_t cap, size_t *muk_len)
{
  (void)ctx;
  if (idi_len != sizeof IDI - 1 || memcmp(idi, IDI, idi_len) != 0 || idr_len != sizeof IDR - 1 ||
      memcmp(idr, IDR, idr_len) != 0 || cap < 32)
    return MBMSEC_ERR_MIKEY_UNKNOWN_KEY;
  memcpy(muk, MUK, 32);
  *muk_len = 32;
  return MBMSEC_OK;
}

/* Baseline state: MUK counter 5, MSK 00 01 00 02 with MTK IDs [1, 100]. */
static void init(void)
{
  mbmsec_mikey_state *st = mbmsec_mikey_state_new();
  mbmsec_mikey_msk_params p;
  mbmsec_mikey_msk_result r;
  uint8_t msg[MBMSEC_MIKEY_MSK_MSG_MAX];
  size_t n;
  if (!st) abort();
  memset(&p, 0, sizeof p);
  memcpy(p.kdid, KDID, 3);
  p.msk_id[1] = 1;
  p.msk_id[3] = 2;
  p.idi = (const uint8_t *)IDI;
  p.idi_len = sizeof IDI - 1;
  p.idr = (const uint8_t *)IDR;
  p.idr_len = sizeof IDR - 1;
  p.counter = 5;
  p.v_flag = 1;
  p.msk = MSK_A;
  p.vf = 1;
  p.vt = 100;
  if (mbmsec_mikey_msk_build(&p, MUK, 32, NULL, msg, sizeof msg, &n, NULL) != MBMSEC_OK ||
      mbmsec_mikey_state_accept_msk(st, msg, n, muk_cb, NULL, NULL, &r) != MBMSEC_OK ||
      mbmsec_mikey_state_serialize(st, base, sizeof base, &base_len) != MBMSEC_OK)
    abort();
  mbmsec_mikey_state_free(st);
}

static void check_unchanged(const mbmsec_mikey_state *st)
{
  static uint8_t now[MBMSEC_MIKEY_STATE_SER_MAX];
  size_t n;
  if (mbmsec_mikey_state_serialize(st, now, sizeof now, &n) != MBMSEC_OK || n != base_len ||
      memcmp(now, base, n) != 0)
    abort();
}

static void run_state(const uint8_t *data, size_t size, const mbmsec_mikey_opts *o)
{
  mbmsec_mikey_state *st = mbmsec_mikey_state_new();
  mbmsec_mikey_msk_result r;
  mbmsec_mikey_mtk_info mi;
  if (!st || mbmsec_mikey_state_deserialize(st, base, base_len) != MBMSEC_OK) abort();
  if (mbmsec_mikey_state_accept_msk(st, data, size, muk_cb, NULL, o, &r) != MBMSEC_OK)
    check_unchanged(st);
  else if (r.info.v_flag != (r.ver_len > 0))
    abort();
  if (mbmsec_mikey_state_deserialize(st, base, base_len) != MBMSEC_OK) abort();
  if (mbmsec_mikey_state_accept_mtk(st, data, size, o, &mi) != MBMSEC_OK)
    check_unchanged(st);
  else if (mi.mtk_id < 1 || mi.mtk_id > 100)
    abort();
  mbmsec_mikey_state_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int ready;
  static mbmsec_mikey_msg m;
  static uint8_t out[70000];
  mbmsec_mikey_keydata kd[MBMSEC_MIKEY_MAX_KEYDATA];
  size_t n;
  if (!ready) {
    init();
    ready = 1;
  }
  /* codec: decode, and encode(decode(x)) == x */
  if (mbmsec_mikey_decode(data, size, &m) == MBMSEC_OK) {
    if (mbmsec_mikey_encode(&m, out, sizeof out, &n) != MBMSEC_OK || n != size ||
        memcmp(out, data, size) != 0)
      abort();
  }
  if (mbmsec_mikey_keydata_decode(data, size, kd, MBMSEC_MIKEY_MAX_KEYDATA, &n) == MBMSEC_OK) {
    size_t n2;
    if (mbmsec_mikey_keydata_encode(kd, n, out, sizeof out, &n2) != MBMSEC_OK || n2 != size ||
        memcmp(out, data, size) != 0)
      abort();
  }
  /* receiver */
  run_state(data, size, NULL);
  {
    mbmsec_mikey_opts allow = {.test_allow_null = 1, .expect_kdid = KDID};
    run_state(data, size, &allow);
  }
  /* verification message against a fixed sent MSK message */
  {
    mbmsec_mikey_sent sent = {.csb_id = 0x01020304, .counter = 5};
    (void)mbmsec_mikey_ver_verify(data, size, MUK, 32, &sent, (const uint8_t *)IDI, sizeof IDI - 1,
                                  (const uint8_t *)IDR, sizeof IDR - 1);
  }
  /* state bytes */
  {
    mbmsec_mikey_state *st = mbmsec_mikey_state_new();
    if (!st) abort();
    if (mbmsec_mikey_state_deserialize(st, data, size) == MBMSEC_OK) {
      if (mbmsec_mikey_state_serialize(st, out, sizeof out, &n) != MBMSEC_OK || n != size ||
          memcmp(out, data, size) != 0)
        abort();
    }
    mbmsec_mikey_state_free(st);
  }
  return 0;
}
