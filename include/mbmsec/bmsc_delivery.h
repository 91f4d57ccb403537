/* mbmsec: the BM-SC's MIKEY key delivery (mikey.md section 8 "BM-SC sender"; profile P6, P7,
 * P9, P10, P11, P13, O4, O5). A protocol engine without I/O: datagrams leave through a send
 * callback, time comes in as arguments (milliseconds on any monotonic clock). docs/bmsc-delivery.md.
 *
 *  - UEs are registered by B-TID with their MUK, IPv4 address and MIKEY port (ue_set) and
 *    removed with ue_del (the MUK and any pending MSK are cleansed).
 *  - Counters (P11): one per MUK (= per B-TID), handed out from durable blocks reserved in the
 *    store under the name "muk:" + the first 30 octets of SHA-256(B-TID) in hex (store.h name
 *    rules: 1..64 printable octets). A block is synced before any of its values is used, so no
 *    value is sent twice, also across a crash (the rest of a block is skipped). The first block
 *    is reserved when the UE is registered, so a push to many UEs does not wait on the disk.
 *  - deliver: the MSK message under the UE's MUK with a fresh counter, a random CSB ID that no
 *    other pending delivery of the UE uses, a random RAND. Taking the counter, building and
 *    sending happen in one step under the UE's lock: a UE's messages leave in counter order.
 *    pull: the solicited pull (P10, empty key data), handled like a delivery (O5).
 *  - With V set the delivery stays pending until a verification message (data type 1) from
 *    the UE's address, naming the UE in IDr and carrying the delivery's CSB ID, verifies
 *    against ANY try sent so far. tick() resends (same MSK and CSB ID; new counter, RAND, IV,
 *    MAC: a new message) at 0, 2, 6, 14, 30 s and marks the delivery failed at 62 s (P13).
 *    Anything else that arrives is counted by reason and changes nothing.
 *
 * Threads: a read-write lock guards the UE table (writers: ue_set inserting, ue_del); each UE
 * has its own mutex, taken while the table lock is held for reading and kept for the whole
 * step (counter, build, send, state). Calls for different UEs run in parallel (HTTP thread
 * pool); on_datagram and tick (one UDP/timer thread) lock one UE at a time. Lock order: table,
 * then one UE. The send and event callbacks run with the UE's lock held (tick also holds the
 * table read lock): they must not call this engine.
 */
#ifndef MBMSEC_BMSC_DELIVERY_H
#define MBMSEC_BMSC_DELIVERY_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"
#include "mbmsec/profile.h"
#include "mbmsec/store.h"

#define MBMSEC_BMSC_MUK_LEN 32
#define MBMSEC_BMSC_PENDING_PER_UE \
  4 /* delivery slots per UE: current and next MSK of two Key Groups */
#define MBMSEC_BMSC_TRIES_MAX             8 /* largest config.tries */
#define MBMSEC_BMSC_BTID_MAX              255
#define MBMSEC_BMSC_COUNTER_PREFIX        "muk:" /* store counter names: prefix + 60 hex digits */
#define MBMSEC_BMSC_COUNTER_BLOCK_DEFAULT 1000

typedef struct mbmsec_bmsc_dl mbmsec_bmsc_dl;

/* Sends one datagram to ipv4 (host order) : port. Returns 0 on success. The bytes are the
 * engine's: copy them to keep them. */
typedef int (*mbmsec_bmsc_send_fn)(void *user, uint32_t ipv4, uint16_t port, const uint8_t *msg,
                                   size_t len);

typedef enum {
  MBMSEC_BMSC_EV_DELIVERED = 1,     /* a verification message completed the delivery */
  MBMSEC_BMSC_EV_FAILED = 2,        /* no verification after the last try (P13) */
  MBMSEC_BMSC_EV_RETRANSMITTED = 3, /* tick sent another try */
} mbmsec_bmsc_event;

/* Metrics and logs. pull: 1 for a solicited pull; tries: messages sent for the delivery. */
typedef void (*mbmsec_bmsc_event_fn)(void *user, mbmsec_bmsc_event ev, const char *btid,
                                     const uint8_t msk_id[MBMSEC_MSK_ID_LEN], int pull,
                                     unsigned tries);

typedef struct {
  const char *fqdn;       /* IDi: the BM-SC FQDN, 1..255 octets (required) */
  int v_flag;             /* ask for verification messages (MBMSEC_MIKEY_MSK_V_FLAG_DEFAULT = 1) */
  uint32_t retx_first_ms; /* first retransmission delay; 0 = MBMSEC_MIKEY_RETX_FIRST_MS_DEFAULT */
  unsigned tries; /* tries in all, 1..MBMSEC_BMSC_TRIES_MAX; 0 = MBMSEC_MIKEY_RETX_TRIES_DEFAULT */
  unsigned backoff;           /* delay factor per try; 0 = MBMSEC_MIKEY_RETX_BACKOFF_FACTOR */
  size_t max_ues;             /* 0 = 100000 */
  uint32_t counter_block;     /* counter values per store reservation; 0 = 1000 */
  mbmsec_store *store;        /* durable counter blocks (required) */
  mbmsec_bmsc_send_fn send;   /* required */
  void *user;                 /* for send */
  mbmsec_bmsc_event_fn event; /* optional */
  void *event_user;
} mbmsec_bmsc_dl_config;

typedef enum {
  MBMSEC_BMSC_DL_NONE = 0,      /* nothing sent for that MSK ID (or the slot was reused) */
  MBMSEC_BMSC_DL_PENDING = 1,   /* V set, awaiting a verification */
  MBMSEC_BMSC_DL_DELIVERED = 2, /* verified */
  MBMSEC_BMSC_DL_FAILED = 3,    /* no verification after every try */
  MBMSEC_BMSC_DL_SENT = 4,      /* V clear: sent once, nothing awaited */
} mbmsec_bmsc_dl_state;

/* Counters since the engine started. refused_* count datagrams that changed nothing. */
typedef struct {
  uint64_t sent, retransmitted, acked, failed;
  uint64_t send_errors; /* send callback failures, and tries not built (counter or build error) */
  uint64_t bad_verification;   /* the sum of the refused_* below */
  uint64_t refused_malformed;  /* not a MIKEY message, or not a verification message with IDr */
  uint64_t refused_unknown_ue; /* IDr names no registered UE */
  uint64_t refused_source;     /* not from the UE's address */
  uint64_t refused_csb_id;     /* no pending delivery of the UE with that CSB ID */
  uint64_t refused_mac;        /* verifies against no try (MAC, counter echo, layout) */
} mbmsec_bmsc_dl_stats;

/* Deliveries and UEs by state (a snapshot). */
typedef struct {
  uint64_t ues, pending, delivered, failed, sent;
} mbmsec_bmsc_dl_counts;

/* One delivery slot of a UE, for `ue list`. */
typedef struct {
  mbmsec_bmsc_dl_state state;
  int pull;
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  unsigned tries;
  int64_t next_ms; /* next retransmission when pending */
} mbmsec_bmsc_dl_entry;

typedef struct {
  uint32_t ipv4;
  uint16_t port;
  uint64_t next_counter; /* next per-MUK counter value */
  size_t n;              /* entries used */
  mbmsec_bmsc_dl_entry e[MBMSEC_BMSC_PENDING_PER_UE];
} mbmsec_bmsc_dl_ue_info;

/* Creates the engine.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (cfg, out, fqdn, store or send NULL; fqdn length; tries
 * above MBMSEC_BMSC_TRIES_MAX; backoff above 16), MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_bmsc_dl_new(const mbmsec_bmsc_dl_config *cfg, mbmsec_bmsc_dl **out);
/* Cleanses every MUK and MSK and frees; NULL is fine. No other call may be running. */
void mbmsec_bmsc_dl_free(mbmsec_bmsc_dl *dl);
/* Registers the UE named by its B-TID (1..255 octets) with its MUK, address and MIKEY port,
 * reserving its first counter block; for a registered UE, replaces MUK, address and port.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_LENGTH (B-TID length), MBMSEC_ERR_BMSC_FULL,
 * MBMSEC_ERR_NOMEM, MBMSEC_ERR_CRYPTO, the codes of mbmsec_store_counter_reserve. */
mbmsec_err mbmsec_bmsc_dl_ue_set(mbmsec_bmsc_dl *dl, const char *btid,
                                 const uint8_t muk[MBMSEC_BMSC_MUK_LEN], uint32_t ipv4,
                                 uint16_t port);
/* Removes the UE; its MUK and pending MSKs are cleansed; verifications for it are refused.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_UNKNOWN_UE. */
mbmsec_err mbmsec_bmsc_dl_ue_del(mbmsec_bmsc_dl *dl, const char *btid);
/* Cancels the UE's pending deliveries and pulls of the Key Group (Key Domain ID, Key Group =
 * MSK ID octets 0-1, P5): after a deregistration its MSKs are no longer this UE's business.
 * Each such slot is freed (its MSK cleansed), retransmissions stop and a late verification
 * for it is refused (no pending delivery); finished slots (delivered, failed, sent) are kept
 * for `ue list`. No event is reported for a cancelled delivery. *cancelled (may be NULL) gets
 * the number of slots cancelled.
 * @return MBMSEC_OK (also when nothing was pending), MBMSEC_ERR_ARG,
 * MBMSEC_ERR_BMSC_UNKNOWN_UE. */
mbmsec_err mbmsec_bmsc_dl_cancel_group(mbmsec_bmsc_dl *dl, const char *btid,
                                       const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t key_group,
                                       size_t *cancelled);
/* Sends the MSK (MBMSEC_MBMS_MSK_LEN octets; MTK IDs vf..vt) to the UE; pending if V is set (a
 * pending delivery of the same MSK ID is restarted: a new CSB ID, the old tries forgotten).
 * On a failed send nothing is kept (the counter value is spent).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_UNKNOWN_UE, MBMSEC_ERR_BMSC_FULL (every
 * slot of the UE pending), MBMSEC_ERR_BMSC_SEND, MBMSEC_ERR_NOMEM, MBMSEC_ERR_RANDOM,
 * MBMSEC_ERR_CRYPTO, the codes of mbmsec_store_counter_reserve and mbmsec_mikey_msk_build. */
mbmsec_err mbmsec_bmsc_dl_deliver(mbmsec_bmsc_dl *dl, const char *btid,
                                  const uint8_t kdid[MBMSEC_KDID_LEN],
                                  const uint8_t msk_id[MBMSEC_MSK_ID_LEN], const uint8_t *msk,
                                  uint16_t vf, uint16_t vt, int64_t now_ms);
/* Sends the solicited pull for msk_id (P10); tracked and retransmitted like a delivery (O5).
 * @return as mbmsec_bmsc_dl_deliver. */
mbmsec_err mbmsec_bmsc_dl_pull(mbmsec_bmsc_dl *dl, const char *btid,
                               const uint8_t kdid[MBMSEC_KDID_LEN],
                               const uint8_t msk_id[MBMSEC_MSK_ID_LEN], int64_t now_ms);
/* A datagram from a UE: a verification message from the UE's registered address (any port:
 * the answer comes from the UE's MIKEY socket), whose IDr names the UE and whose CSB ID is
 * that of a pending delivery, and that verifies against a try of it, completes the delivery.
 * Anything else changes nothing and is counted by reason.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, the codes of mbmsec_mikey_decode,
 * MBMSEC_ERR_BMSC_NOT_VERIFICATION, MBMSEC_ERR_BMSC_UNKNOWN_UE, MBMSEC_ERR_BMSC_SOURCE,
 * MBMSEC_ERR_BMSC_NO_DELIVERY (no pending delivery with that CSB ID),
 * MBMSEC_ERR_BMSC_VERIFY (verifies against no try). */
mbmsec_err mbmsec_bmsc_dl_on_datagram(mbmsec_bmsc_dl *dl, uint32_t src_ipv4, uint16_t src_port,
                                      const uint8_t *msg, size_t len, int64_t now_ms);
/* Retransmits what is due and fails what ran out of tries. Returns the next deadline (ms)
 * or -1 when nothing is pending. Before the earliest pending deadline it returns at once;
 * otherwise it scans every UE (O(UEs)). The value returned early may be a deadline that has
 * since ended (the next call then scans and answers exactly). */
int64_t mbmsec_bmsc_dl_tick(mbmsec_bmsc_dl *dl, int64_t now_ms);
/* The state of the delivery (not the pull) of msk_id to the UE; NONE when unknown. */
mbmsec_bmsc_dl_state mbmsec_bmsc_dl_get(mbmsec_bmsc_dl *dl, const char *btid,
                                        const uint8_t msk_id[MBMSEC_MSK_ID_LEN]);
/* The UE's address, counter and delivery slots.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_UNKNOWN_UE. */
mbmsec_err mbmsec_bmsc_dl_ue_get(mbmsec_bmsc_dl *dl, const char *btid, mbmsec_bmsc_dl_ue_info *out);
/* Calls cb for every registered UE (table read lock and the UE's lock held: cb must not call
 * the engine). A nonzero return from cb stops the walk. Returns the number of UEs visited. */
size_t mbmsec_bmsc_dl_ue_list(mbmsec_bmsc_dl *dl,
                              int (*cb)(void *arg, const char *btid,
                                        const mbmsec_bmsc_dl_ue_info *info),
                              void *arg);
/* Deliveries by state over every UE (scans every UE). */
void mbmsec_bmsc_dl_get_counts(mbmsec_bmsc_dl *dl, mbmsec_bmsc_dl_counts *out);
void mbmsec_bmsc_dl_get_stats(mbmsec_bmsc_dl *dl, mbmsec_bmsc_dl_stats *out);
/* Memory the engine keeps per registered UE with a B-TID of btid_len octets, without pending
 * deliveries (each pending delivery adds mbmsec_bmsc_dl_pending_bytes()). */
size_t mbmsec_bmsc_dl_ue_bytes(size_t btid_len);
size_t mbmsec_bmsc_dl_pending_bytes(void);

#endif
