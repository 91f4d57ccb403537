/* The MIKEY delivery benches' common harness: a send callback that captures the messages the
 * engine sends (instead of a socket) and a key callback that gives every UE the same MUK, so
 * that the captured messages can be verified and answered in the timed acknowledgement loop.
 * Included once per bench program. */
#ifndef MBMSEC_BENCH_BMSC_CAPTURE_H
#define MBMSEC_BENCH_BMSC_CAPTURE_H
#include <stdint.h>
#include <string.h>

#include "mbmsec/mikey_msg.h"

#define MSG_MAX 200
static uint8_t *g_msgs; /* n messages of MSG_MAX octets each */
static size_t *g_lens, g_n;
static uint8_t g_muk[32];

static int cap_send(void *user, uint32_t ipv4, uint16_t port, const uint8_t *msg, size_t len)
{
  (void)user, (void)ipv4, (void)port;
  if (len > MSG_MAX) return -1;
  memcpy(g_msgs + g_n * MSG_MAX, msg, len);
  g_lens[g_n++] = len;
  return 0;
}

static mbmsec_err key_cb(void *ctx, const mbmsec_mikey_key_ref *ref, mbmsec_mikey_psk *out)
{
  (void)ctx, (void)ref;
  memcpy(out->key, g_muk, 32);
  out->key_len = 32;
  out->counter = 0;
  return MBMSEC_OK;
}

#endif
