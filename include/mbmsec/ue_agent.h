/* mbmsec: the UE key agent engine (issue 7; docs/ue-agent.md). No I/O: events in, actions out.
 *
 * One engine holds the user services of one UE (each from a P16 announcement: serviceId and the
 * securityDescription's Key Domain, sessions and keyIds), the MIKEY receiver state
 * (mbmsec/mikey_state.h: counters and MSKs, P11), the MTKs taken from MTK messages (the SRTP key
 * set) and per service the state machine of the seed:
 *
 *   bootstrap -> register -> MSK request -> wait for the MIKEY push (timer) -> verify, store,
 *   acknowledge -> take MTKs (active) ... -> left (with a reason)
 *
 * Events: announcement loaded, bootstrap done / failed, HTTP answer with per-item codes or HTTP
 * failure, MIKEY datagram, SRTP result with its MKI, timer, leave command. Actions are queued
 * and taken with mbmsec_ue_agent_next_action in order; PERSIST comes before any action that
 * makes an accepted MIKEY message visible outside (the verification message, new keys), so a
 * crash never loses a counter the BM-SC has seen acknowledged.
 *
 * Rules (docs/ue-agent.md "Rules"):
 *  - one HTTP request at a time; a failed item or request is retried with capped exponential
 *    back-off and jitter (retry_first_ms * 2^n, at most retry_max_ms, delay drawn uniformly from
 *    [d/2, d]); per-item codes 400, 401 and 404 forbid a retry (the BM-SC said the request
 *    itself, the subscription or the service/key is wrong; asking again cannot help);
 *  - an HTTP 401 refusing the B-TID (mbmsec_ue_km's BOOTSTRAP step) -> bootstrap again, then
 *    the same request;
 *  - missed key update: an MTK message or SRTP MKI naming a key number above every MSK held for
 *    its Key Group -> MSK request for that MSK ID after offsetTime + random(randomTimePeriod)
 *    seconds (P16) so that many UEs do not ask at once; a solicited pull (P10) asks at once;
 *  - change-over: when MTKs arrive under the newest MSK held, the next one (key number + 1) is
 *    requested (P15: 200 pushes it, 204 = not generated yet, stay);
 *  - an MSK is valid until it is superseded (a higher key number of its group is in use) and
 *    no MTK message or SRTP packet has used it for msk_grace_ms; a group without a valid MSK
 *    whose request was refused (400/401/404) or ran out of tries makes its service LEAVE with
 *    the reason (seed point 9); 204 (P15) means "no update needed": the UE stays.
 *
 * Not thread-safe: one engine per thread or a lock around it. Keys are cleansed on free.
 */
#ifndef MBMSEC_UE_AGENT_H
#define MBMSEC_UE_AGENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mbmsec/error.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/mikey_state.h"
#include "mbmsec/profile.h"
#include "mbmsec/srtp.h"
#include "mbmsec/ue.h"
#include "mbmsec/ue_km.h"
#include "mbmsec/xml.h"

#define MBMSEC_UE_AGENT_SERVICES 8 /* user services of one agent */
#define MBMSEC_UE_AGENT_GROUPS   4 /* Key Groups of one service */
#define MBMSEC_UE_AGENT_MSKS \
  (MBMSEC_MIKEY_STATE_MAX_GROUPS * MBMSEC_MSK_PER_KEY_GROUP) /* MSKs tracked (P11) */
#define MBMSEC_UE_AGENT_MTKS_PER_MSK 2 /* the MTK in use and the one before (packets in flight) */
#define MBMSEC_UE_AGENT_MTKS         MBMSEC_SRTP_MAX_KEYS
#define MBMSEC_UE_AGENT_TEXT_MAX     200 /* reasons, log lines */
#define MBMSEC_UE_AGENT_IMAGE_MAX    16384
#define MBMSEC_UE_AGENT_QUEUE        64 /* queued actions */

typedef struct mbmsec_ue_agent mbmsec_ue_agent;

/* Returns n random octets into out; MBMSEC_OK or an error. */
typedef mbmsec_err (*mbmsec_ue_agent_rand_fn)(void *ctx, void *out, size_t n);

typedef struct {
  const char *bmsc_fqdn;   /* NAF FQDN of the BM-SC: IDi of its MSK messages (P7) */
  uint32_t retry_first_ms; /* first back-off delay (default 1000) */
  uint32_t retry_max_ms;   /* cap (default 60000) */
  uint32_t retry_tries;    /* tries of one item before it counts as "cannot be had" (8) */
  uint32_t mikey_wait_ms;  /* after a 200 item: wait this long for the MSK message (5000) */
  uint32_t msk_grace_ms;   /* superseded MSK stays valid this long after its last use (30000) */
  mbmsec_ue_agent_rand_fn rand_fn; /* NULL = mbmsec_random (tests give a fixed one) */
  void *rand_ctx;
  const mbmsec_mikey_opts *mikey_opts; /* NULL = defaults (tests only change it) */
} mbmsec_ue_agent_cfg;

/* Per-service phase (status). */
typedef enum {
  MBMSEC_UE_AGENT_BOOTSTRAP = 0,   /* waiting for GBA credentials */
  MBMSEC_UE_AGENT_REGISTER = 1,    /* registration to send / in flight / backing off */
  MBMSEC_UE_AGENT_MSK_REQUEST = 2, /* no MSK yet: request to send / in flight / backing off */
  MBMSEC_UE_AGENT_WAIT_MIKEY = 3,  /* 200 received, waiting for the MSK message */
  MBMSEC_UE_AGENT_ACTIVE = 4,      /* a valid MSK for every Key Group: taking MTKs */
  MBMSEC_UE_AGENT_LEFT = 5,        /* left the user service (reason kept) */
} mbmsec_ue_agent_phase;

typedef enum {
  MBMSEC_UE_AGENT_ACT_PERSIST = 0, /* write mbmsec_ue_agent_image to the state file now */
  MBMSEC_UE_AGENT_ACT_BOOTSTRAP,   /* run GBA bootstrapping; answer with on_bootstrap_* */
  MBMSEC_UE_AGENT_ACT_REQUEST,     /* send req_type with item; answer with on_http_* (req_id) */
  MBMSEC_UE_AGENT_ACT_TIMER,       /* wake me at at_ms (mbmsec_ue_agent_next_deadline too) */
  MBMSEC_UE_AGENT_ACT_SEND_VER,    /* send data[0..len) to reply_to (MIKEY verification, P9) */
  MBMSEC_UE_AGENT_ACT_KEYS,        /* the SRTP key set changed: mbmsec_ue_agent_srtp_keys */
  MBMSEC_UE_AGENT_ACT_LEFT,        /* service left the user service, text = reason */
  MBMSEC_UE_AGENT_ACT_LOG,         /* a timeline line for the operator (text) */
} mbmsec_ue_agent_act_kind;

typedef struct {
  mbmsec_ue_agent_act_kind kind;
  int service; /* index, -1 = none */
  uint64_t req_id;
  mbmsec_ue_km_type req_type;
  char item[MBMSEC_XML_TEXT_MAX + 1]; /* serviceId or keyId */
  int64_t at_ms;
  uint8_t data[MBMSEC_MIKEY_VER_MSG_MAX];
  size_t len;
  struct sockaddr_storage reply_to;
  socklen_t reply_len;
  char text[MBMSEC_UE_AGENT_TEXT_MAX + 1];
} mbmsec_ue_agent_action;

/* Counters (not persisted). MIKEY refusals by reason. */
typedef struct {
  uint64_t mikey_msk, mikey_mtk, mikey_pull, mikey_duplicate;
  uint64_t mikey_malformed, mikey_auth, mikey_replay, mikey_old, mikey_unknown_key, mikey_missed,
      mikey_other;
  uint64_t requests, retries, bootstraps;
} mbmsec_ue_agent_stats;

/* One MSK held (status). */
typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  uint16_t vf, vt;
  int64_t stored_ms, last_used_ms;
  bool valid;
  int has_mtk;
  uint16_t mtk_id; /* newest MTK taken under it */
} mbmsec_ue_agent_msk_info;

typedef struct {
  char service_id[MBMSEC_XML_TEXT_MAX + 1];
  mbmsec_ue_agent_phase phase;
  bool registered;
  size_t n_groups;
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint16_t groups[MBMSEC_UE_AGENT_GROUPS];
  char last_error[MBMSEC_UE_AGENT_TEXT_MAX + 1]; /* "" = none */
  char reason[MBMSEC_UE_AGENT_TEXT_MAX + 1];     /* LEFT: why */
} mbmsec_ue_agent_service_info;

/* @return MBMSEC_OK, MBMSEC_ERR_ARG (no bmsc_fqdn, over MBMSEC_MIKEY_ID_MAX), MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_ue_agent_new(const mbmsec_ue_agent_cfg *cfg, mbmsec_ue_agent **out);
void mbmsec_ue_agent_free(mbmsec_ue_agent *a);

/* Restores a state image (mbmsec_ue_agent_image) into a fresh engine, before any announcement:
 * MIKEY counters and MSKs, MTKs, per-service registration and LEFT state (applied when the
 * service's announcement is added). Bad bytes change nothing.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_AGENT_IMAGE, MBMSEC_ERR_UE_AGENT_SEQUENCE,
 * the codes of mbmsec_mikey_state_deserialize. */
mbmsec_err mbmsec_ue_agent_restore(mbmsec_ue_agent *a, const uint8_t *img, size_t len);
/* The state image (binary, versioned, SHA-256 check value; holds keys: cleanse it).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_ue_agent_image(const mbmsec_ue_agent *a, uint8_t *out, size_t cap, size_t *len);

/* Event: announcement loaded (P16). The service takes the Key Domain and the Key Groups of
 * the sessions' keyIds; requests start from the keyIds' MSK IDs (key number 0 = current).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_AGENT_FULL, MBMSEC_ERR_UE_AGENT_ANNOUNCEMENT
 * (no session, no Key Domain, sessions of another Key Domain, more groups than we hold). */
mbmsec_err mbmsec_ue_agent_add_service(mbmsec_ue_agent *a, const char *service_id,
                                       const mbmsec_xml_secdesc *sd, int64_t now_ms);
/* Event: bootstrap done: B-TID (IDr of MSK messages) and the MUK for bmsc_fqdn (P1).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_LENGTH. */
mbmsec_err mbmsec_ue_agent_on_bootstrap_done(mbmsec_ue_agent *a, const char *btid,
                                             const uint8_t muk[MBMSEC_GBA_KEY_LEN], int64_t now_ms);
/* Event: bootstrap failed (retried with back-off). @return MBMSEC_OK, MBMSEC_ERR_ARG. */
mbmsec_err mbmsec_ue_agent_on_bootstrap_failed(mbmsec_ue_agent *a, mbmsec_err why, int64_t now_ms);
/* Event: the 200 of request req_id with its per-item codes (mbmsec_ue_km items).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_AGENT_SEQUENCE (not the request in flight). */
mbmsec_err mbmsec_ue_agent_on_http_answer(mbmsec_ue_agent *a, uint64_t req_id,
                                          const mbmsec_ue_km_item *items, size_t n, int64_t now_ms);
/* Event: request req_id failed as a whole: need_bootstrap = the BM-SC refused the B-TID
 * (HTTP 401 after credentials); otherwise (transport, HTTP status) it is retried.
 * @return as on_http_answer. */
mbmsec_err mbmsec_ue_agent_on_http_failed(mbmsec_ue_agent *a, uint64_t req_id, mbmsec_err why,
                                          bool need_bootstrap, int64_t now_ms);
/* Event: a MIKEY datagram from src. MSK message (stored, acknowledged), solicited pull, MTK
 * message (taken), or refused: counted by reason, the persistent state unchanged; an MTK message
 * naming an MSK newer than those held starts the missed key update.
 * @return MBMSEC_OK (accepted) or the refusal's code (mbmsec_mikey_state_accept_*). */
mbmsec_err mbmsec_ue_agent_on_mikey(mbmsec_ue_agent *a, const uint8_t *dgram, size_t len,
                                    const struct sockaddr *src, socklen_t src_len, int64_t now_ms);
/* Event: an SRTP packet of a session of Key Domain kdid was decrypted (rc MBMSEC_OK: marks the
 * MSK in use) or refused with MBMSEC_ERR_SRTP_NO_KEY naming mki (a newer MSK: missed key
 * update). Other results are ignored. @return MBMSEC_OK, MBMSEC_ERR_ARG. */
mbmsec_err mbmsec_ue_agent_on_srtp(mbmsec_ue_agent *a, const uint8_t kdid[MBMSEC_KDID_LEN],
                                   const uint8_t mki[MBMSEC_SRTP_MKI_LEN], mbmsec_err rc,
                                   int64_t now_ms);
/* Event: time passed (call at mbmsec_ue_agent_next_deadline or later). @return MBMSEC_OK. */
mbmsec_err mbmsec_ue_agent_on_timer(mbmsec_ue_agent *a, int64_t now_ms);
/* Event: the user leaves service_id (a deregister request follows).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_AGENT_UNKNOWN_SERVICE. */
mbmsec_err mbmsec_ue_agent_leave(mbmsec_ue_agent *a, const char *service_id, int64_t now_ms);

/* The next queued action (false: none). */
bool mbmsec_ue_agent_next_action(mbmsec_ue_agent *a, mbmsec_ue_agent_action *act);
/* Earliest time the engine wants on_timer (INT64_MAX: none). */
int64_t mbmsec_ue_agent_next_deadline(const mbmsec_ue_agent *a);
/* The MTKs to install in the SRTP receiver (valid MSKs only); returns how many (cleanse keys). */
size_t mbmsec_ue_agent_srtp_keys(const mbmsec_ue_agent *a, mbmsec_srtp_key *keys, size_t cap);

size_t mbmsec_ue_agent_n_services(const mbmsec_ue_agent *a);
/* @return MBMSEC_OK, MBMSEC_ERR_ARG (i out of range). */
mbmsec_err mbmsec_ue_agent_service(const mbmsec_ue_agent *a, size_t i,
                                   mbmsec_ue_agent_service_info *out);
/* MSKs held (valid or not), at most cap; validity judged at now_ms. */
size_t mbmsec_ue_agent_msks(const mbmsec_ue_agent *a, int64_t now_ms, mbmsec_ue_agent_msk_info *out,
                            size_t cap);
void mbmsec_ue_agent_get_stats(const mbmsec_ue_agent *a, mbmsec_ue_agent_stats *out);
const char *mbmsec_ue_agent_phase_name(mbmsec_ue_agent_phase p);

#endif
