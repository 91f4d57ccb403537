/* The UE agent engine's inside, shared by agent.c (events, rules) and agent_image.c (the state
 * image). Not installed: callers use include/mbmsec/ue_agent.h. */
#ifndef MBMSEC_UE_AGENT_INTERNAL_H
#define MBMSEC_UE_AGENT_INTERNAL_H
#include "mbmsec/ue_agent.h"
#include "mbmsec/ue_km.h"

#define AGENT_MSKS   MBMSEC_UE_AGENT_MSKS
#define AGENT_ID_MAX MBMSEC_XML_TEXT_MAX

typedef struct {
  bool used;
  uint16_t mtk_id;
  uint8_t mtk[MBMSEC_MBMS_MTK_LEN];
  uint8_t salt[MBMSEC_MBMS_MTK_SALT_LEN];
} agent_mtk;

/* An MSK held (mirrors the MIKEY state's, plus when it was stored and last used). */
typedef struct {
  bool used;
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  uint16_t vf, vt;
  int64_t stored_ms, last_used_ms;
  agent_mtk mtk[MBMSEC_UE_AGENT_MTKS_PER_MSK]; /* [0] newest */
  bool was_valid;                              /* for "MSK expired" transitions */
} agent_msk;

/* One Key Group of a service. */
typedef struct {
  uint16_t group;
  uint16_t in_use; /* highest key number seen in use (MTK message, SRTP MKI) */
  uint16_t want;   /* key number to ask for (MBMSEC_MSK_KEYNUM_CURRENT = current + next) */
  bool need;       /* a request is due at due_ms */
  int64_t due_ms;
  uint32_t tries; /* failed tries of the present need */
  bool waiting;   /* 200 received: MSK message expected until wait_until */
  int64_t wait_until;
  int64_t req_sent_ms; /* when the last MSK request for this group was sent */
  int64_t got_ms;      /* last MSK message (new or duplicate) of this group */
  uint16_t got_keynum;
  bool refused;        /* the last request got 400/401/404 or ran out of tries */
  uint16_t next_asked; /* change-over: key number already asked as the next MSK */
} agent_group;

typedef struct {
  bool used;
  char id[AGENT_ID_MAX + 1];
  uint8_t kdid[MBMSEC_KDID_LEN];
  agent_group g[MBMSEC_UE_AGENT_GROUPS];
  size_t n_groups;
  uint32_t offset_s, random_s; /* P16 offsetTime, randomTimePeriod */
  bool registered, left;
  bool reg_need, dereg_need;
  int64_t reg_due;
  uint32_t reg_tries;
  char last_error[MBMSEC_UE_AGENT_TEXT_MAX + 1];
  char reason[MBMSEC_UE_AGENT_TEXT_MAX + 1];
} agent_service;

/* A service record from a restored image, applied when its announcement is added. */
typedef struct {
  bool used;
  char id[AGENT_ID_MAX + 1];
  bool registered, left;
  char reason[MBMSEC_UE_AGENT_TEXT_MAX + 1];
} agent_saved_service;

struct mbmsec_ue_agent {
  mbmsec_ue_agent_cfg cfg;
  char bmsc_fqdn[MBMSEC_MIKEY_ID_MAX + 1];
  mbmsec_mikey_opts mikey_opts;
  mbmsec_mikey_state *st;
  bool have_creds;
  char btid[MBMSEC_UE_ID_MAX + 1];
  uint8_t muk[MBMSEC_GBA_KEY_LEN];
  bool boot_inflight;
  int64_t boot_due;
  uint32_t boot_tries;
  bool inflight;
  uint64_t req_id, next_req_id;
  int req_service, req_group;
  mbmsec_ue_km_type req_type;
  bool started; /* an announcement was added: restore is refused */
  agent_service svc[MBMSEC_UE_AGENT_SERVICES];
  size_t n_svc;
  agent_saved_service saved[MBMSEC_UE_AGENT_SERVICES];
  agent_msk msk[AGENT_MSKS];
  mbmsec_ue_agent_action q[MBMSEC_UE_AGENT_QUEUE];
  size_t q_head, q_len;
  int64_t timer_emitted;
  int64_t last_now; /* time of the last event (status read-outs) */
  mbmsec_ue_agent_stats stats;
};

/* agent.c: helpers shared with agent_mikey.c and agent_status.c */
uint16_t agent_keynum(const uint8_t msk_id[MBMSEC_MSK_ID_LEN]);
uint16_t agent_keygroup(const uint8_t msk_id[MBMSEC_MSK_ID_LEN]);
/* Queues an action (NULL when the queue is full even after dropping log lines). */
mbmsec_ue_agent_action *agent_push(mbmsec_ue_agent *a, mbmsec_ue_agent_act_kind kind, int svc);
void agent_log(mbmsec_ue_agent *a, int svc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void agent_persist(mbmsec_ue_agent *a);
int64_t agent_spread_ms(mbmsec_ue_agent *a, const agent_service *s);
agent_msk *agent_msk_find(mbmsec_ue_agent *a, const uint8_t kdid[MBMSEC_KDID_LEN],
                          const uint8_t msk_id[MBMSEC_MSK_ID_LEN]);
bool agent_msk_valid(const mbmsec_ue_agent *a, const agent_msk *m, int64_t now);
bool agent_group_valid(const mbmsec_ue_agent *a, const agent_service *s, const agent_group *g,
                       int64_t now, uint16_t *best);
uint16_t agent_group_highest_held(const mbmsec_ue_agent *a, const uint8_t kdid[MBMSEC_KDID_LEN],
                                  uint16_t grp);
void agent_msk_id_text(const uint8_t kdid[MBMSEC_KDID_LEN], const uint8_t id[MBMSEC_MSK_ID_LEN],
                       char out[16]);
void agent_schedule_group(agent_group *g, uint16_t want, int64_t due);
void agent_missed_key(mbmsec_ue_agent *a, const uint8_t kdid[MBMSEC_KDID_LEN],
                      const uint8_t msk_id[MBMSEC_MSK_ID_LEN], const char *how, int64_t now);
bool agent_group_satisfied(const agent_group *g);
mbmsec_ue_agent_phase agent_phase_of(const mbmsec_ue_agent *a, const agent_service *s, int64_t now);
/* Turns the state into actions: expiries, timeouts, the leave rule, the next request, TIMER. */
void agent_pump(mbmsec_ue_agent *a, int64_t now);

/* agent_image.c */
mbmsec_err agent_image_write(const mbmsec_ue_agent *a, uint8_t *out, size_t cap, size_t *len);
mbmsec_err agent_image_read(mbmsec_ue_agent *a, const uint8_t *img, size_t len);

#endif
