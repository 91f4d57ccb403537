/* mbmsec: the BM-SC's MIKEY key delivery (mikey.md section 8 "BM-SC sender"; profile P6, P7,
 * P9, P11, P13). A protocol engine without I/O: datagrams leave through a send callback, time
 * comes in as arguments (milliseconds on any monotonic clock).
 *
 *  - deliver: the MSK message for one UE under its MUK, with a fresh counter. One counter
 *    serves all UEs (each UE sees strictly rising values, as P11 asks), drawn from durable
 *    blocks reserved in the store (synced before use), so no value is used twice, also across
 *    a crash; the counter is taken and the message sent in one step under the engine lock, so
 *    a UE's messages leave in counter order.
 *  - with V set, the delivery stays pending until a verification message that verifies
 *    against ANY try of it arrives (on_datagram); tick() resends it (same MSK and CSB ID, new
 *    counter, RAND, IV and MAC) at 0, 2, 6, 14, 30 s and marks it failed at 62 s (P13).
 * One mutex serialises every call: safe from an HTTP thread pool and a UDP/timer thread.
 */
#ifndef MBMSEC_BMSC_DELIVERY_H
#define MBMSEC_BMSC_DELIVERY_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"
#include "mbmsec/profile.h"
#include "mbmsec/store.h"

#define MBMSEC_BMSC_MUK_LEN 32
#define MBMSEC_BMSC_PENDING_PER_UE 4 /* current and next MSK of two Key Groups */
#define MBMSEC_BMSC_COUNTER_NAME "mikey-msk-counter" /* the store's durable counter */

typedef struct mbmsec_bmsc_dl mbmsec_bmsc_dl;

/* Sends one datagram to ipv4 (host order) : port. Returns 0 on success. */
typedef int (*mbmsec_bmsc_send_fn)(void *user, uint32_t ipv4, uint16_t port, const uint8_t *msg,
                                   size_t len);

typedef struct {
  const char *fqdn;          /* IDi: the BM-SC FQDN (required) */
  int v_flag;                /* ask for verification messages (profile default 1) */
  uint32_t retx_first_ms;    /* first retransmission delay; 0 = MIKEY_RETX_FIRST_MS_DEFAULT */
  unsigned tries;            /* tries in all; 0 = MIKEY_RETX_TRIES_DEFAULT */
  size_t max_ues;            /* 0 = 100000 */
  uint32_t counter_block;    /* counter values reserved per store write; 0 = 65536 */
  mbmsec_store *store;       /* durable counter blocks (required) */
  mbmsec_bmsc_send_fn send;  /* required */
  void *user;
} mbmsec_bmsc_dl_config;

typedef enum {
  MBMSEC_BMSC_DL_NONE = 0,
  MBMSEC_BMSC_DL_PENDING = 1,
  MBMSEC_BMSC_DL_DELIVERED = 2,
  MBMSEC_BMSC_DL_FAILED = 3,
} mbmsec_bmsc_dl_state;

typedef struct {
  uint64_t sent, retransmitted, acked, failed, bad_verification;
} mbmsec_bmsc_dl_stats;

/* @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_bmsc_dl_new(const mbmsec_bmsc_dl_config *cfg, mbmsec_bmsc_dl **out);
/* Cleanses every MUK and MSK and frees; NULL is fine. */
void mbmsec_bmsc_dl_free(mbmsec_bmsc_dl *dl);
/* Registers (or updates the address of) the UE named by its B-TID with its MUK.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_LENGTH, MBMSEC_ERR_BMSC_FULL. */
mbmsec_err mbmsec_bmsc_dl_ue_set(mbmsec_bmsc_dl *dl, const char *btid,
                                 const uint8_t muk[MBMSEC_BMSC_MUK_LEN], uint32_t ipv4,
                                 uint16_t port);
/* Sends the MSK (MBMS_MSK_LEN octets; MTK IDs vf..vt) to the UE; pending if V is set.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_UNKNOWN_UE, MBMSEC_ERR_BMSC_FULL,
 * MBMSEC_ERR_BMSC_SEND, the store's counter codes, the codes of mbmsec_mikey_msk_build. */
mbmsec_err mbmsec_bmsc_dl_deliver(mbmsec_bmsc_dl *dl, const char *btid,
                                  const uint8_t kdid[KDID_LEN], const uint8_t msk_id[MSK_ID_LEN],
                                  const uint8_t *msk, uint16_t vf, uint16_t vt, int64_t now_ms);
/* A datagram from a UE: a verification message that verifies against a try of a pending
 * delivery of the UE named by its IDr completes it; anything else changes nothing.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_UNKNOWN_UE, MBMSEC_ERR_BMSC_NO_DELIVERY,
 * the codes of mbmsec_mikey_decode and mbmsec_mikey_ver_verify. */
mbmsec_err mbmsec_bmsc_dl_on_datagram(mbmsec_bmsc_dl *dl, uint32_t src_ipv4, uint16_t src_port,
                                      const uint8_t *msg, size_t len, int64_t now_ms);
/* Retransmits what is due and fails what ran out of tries. Returns the next deadline
 * (ms) or -1 when nothing is pending. */
int64_t mbmsec_bmsc_dl_tick(mbmsec_bmsc_dl *dl, int64_t now_ms);
/* The state of the delivery of msk_id to the UE. */
mbmsec_bmsc_dl_state mbmsec_bmsc_dl_get(mbmsec_bmsc_dl *dl, const char *btid,
                                        const uint8_t msk_id[MSK_ID_LEN]);
void mbmsec_bmsc_dl_get_stats(mbmsec_bmsc_dl *dl, mbmsec_bmsc_dl_stats *out);

/* ---- UDP transport (lib/bmsc/bmsc_udp.c): the engine's thin I/O adapter (P6) ---- */

/* Binds a UDP socket to the IPv4 address (dotted quad) and port (0 = any free port); *port
 * gets the bound port. @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_SEND (socket error). */
mbmsec_err mbmsec_bmsc_udp_open(const char *addr, uint16_t *port, int *fd);
/* A send callback for mbmsec_bmsc_dl_config.send: user is a pointer to the socket (int *). */
int mbmsec_bmsc_udp_send(void *user, uint32_t ipv4, uint16_t port, const uint8_t *msg, size_t len);
/* Waits up to timeout_ms for datagrams on fd, feeds each to mbmsec_bmsc_dl_on_datagram, then
 * runs mbmsec_bmsc_dl_tick(now_ms). Returns the number of datagrams taken, or -1 on a socket
 * error. */
int mbmsec_bmsc_udp_poll(mbmsec_bmsc_dl *dl, int fd, int timeout_ms, int64_t now_ms);

#endif
