/* mbmsec: the BM-SC's key policy (docs/bmsc-rotation.md): MSK generation ("every Key Group
 * keeps a current and a next MSK", P11), the restore of a UE registered before a restart (its
 * MUK again from Zn), the spread push of an MSK to every member of its Key Group (plans of the
 * pure scheduler bmsc_rotsched.h fed to the delivery engine bmsc_delivery.h), the schedule
 * that starts those pushes before a change-over, and the solicited pull (P10, O5).
 *
 * No I/O of its own and no clock: the store (membership, MSKs), the delivery engine and the
 * Zn lookup are passed in, and every call that needs the time takes it as arguments: now_s
 * (Unix seconds, the clock of MSK validity) and now_ms (milliseconds on the monotonic clock
 * of the delivery engine). What happens is reported through a callback (the daemon logs it).
 *
 * Threads: one engine is shared by a main loop (tick), the delivery engine's thread
 * (on_event) and admin threads (begin, pull, msk_each, plan_each). `mu` guards the plans and
 * is never held while calling the delivery engine, whose event callback (on_event) takes the
 * event queue's own lock with a UE lock held: lock order UE -> queue; mu is taken alone. Only
 * tick pushes and settles. The store handle must be usable from those threads (store.h: each
 * call takes the handle's mutex). */
#ifndef MBMSEC_BMSC_ROTATE_H
#define MBMSEC_BMSC_ROTATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/bmsc_delivery.h"
#include "mbmsec/bmsc_rotsched.h"
#include "mbmsec/error.h"
#include "mbmsec/profile.h"
#include "mbmsec/store.h"

#define MBMSEC_BMSC_ROTATE_MTK_FIRST 1 /* MTK IDs of a generated MSK: VF..VT (P7) */
#define MBMSEC_BMSC_ROTATE_MTK_LAST  0xffff
#define MBMSEC_BMSC_ROTATE_PLANS_MAX 64      /* finished plans kept (running ones: all) */
#define MBMSEC_BMSC_ROTATE_BATCH     4096    /* pushes per tick and plan */
#define MBMSEC_BMSC_ROTATE_AUTO_S    10      /* how often tick runs the schedule */
#define MBMSEC_BMSC_ROTATE_QUEUE_MAX 1000000 /* delivery events waiting for tick */

/* ---- reports (the daemon's log lines) */

typedef enum {
  MBMSEC_BMSC_ROTATE_R_GENERATED = 1,     /* an MSK generated (code OK) or not (kdid, msk_id) */
  MBMSEC_BMSC_ROTATE_R_LIST_FAILED,       /* the services could not be listed (code) */
  MBMSEC_BMSC_ROTATE_R_START,             /* a plan started: msk_id, ues, window_ms */
  MBMSEC_BMSC_ROTATE_R_SKIP_DEREGISTERED, /* btid left the group since the plan started */
  MBMSEC_BMSC_ROTATE_R_SEND_ERROR,        /* btid, msk_id, code */
  MBMSEC_BMSC_ROTATE_R_DONE,              /* a plan finished: msk_id, progress */
  MBMSEC_BMSC_ROTATE_R_RESTORED,          /* btid, impi, ue_addr */
  MBMSEC_BMSC_ROTATE_R_RESTORE_SKIPPED,   /* btid, impi (may be ""), reason */
  MBMSEC_BMSC_ROTATE_R_PULL,              /* btid, msk_id, code */
} mbmsec_bmsc_rotate_what;

typedef struct {
  mbmsec_bmsc_rotate_what what;
  mbmsec_err code;     /* MBMSEC_OK or why not */
  const char *btid;    /* or NULL */
  const char *impi;    /* restore: the IMPI of the stored registration, or "" */
  const char *ue_addr; /* restore */
  const char *reason;  /* restore_skipped: not-registered, bad-ue-addr, impi-mismatch, the
                              * Zn lookup's reason or an error name */
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  size_t ues;                        /* start */
  uint32_t window_ms;                /* start */
  mbmsec_bmsc_rot_progress progress; /* done */
} mbmsec_bmsc_rotate_report;

typedef void (*mbmsec_bmsc_rotate_report_fn)(void *user, const mbmsec_bmsc_rotate_report *r);

/* ---- MSK generation (P11) */

/* Keeps every Key Group in use (mbmsec_members_group_all: every service, no cap) with a
 * current and a next MSK at now_s, generating what is missing: a group without a current MSK
 * gets one valid [now_s, now_s + lifetime) and a next one after it; a group without a next
 * gets one from the end of the current MSK, lifetime = the service's msk_lifetime, MTK IDs
 * MBMSEC_BMSC_ROTATE_MTK_FIRST..LAST. Each MSK generated or refused is reported (report may
 * be NULL). *generated (may be NULL) gets the number of MSKs made.
 * @return MBMSEC_OK (also when a single group failed: reported), MBMSEC_ERR_ARG, the codes of
 * mbmsec_members_group_all (reported as LIST_FAILED). */
mbmsec_err mbmsec_bmsc_rotate_keep_msks(mbmsec_store *st, int64_t now_s,
                                        mbmsec_bmsc_rotate_report_fn report, void *user,
                                        size_t *generated);

/* ---- UE restore after a restart */

/* Zn: Ks_NAF of the B-TID and so its MUK, and the IMPI the BSF names for it (the Ua engine's
 * lookup and cache, mbmsec_ua_btid_muk). Returns MBMSEC_OK with *reason NULL when muk and
 * impi are set; MBMSEC_OK with *reason set (a static text: btid-unknown, key-expired, ...)
 * when the BSF refused; another code on a local error. */
typedef mbmsec_err (*mbmsec_bmsc_zn_muk_fn)(void *user, const char *btid,
                                            uint8_t muk[MBMSEC_BMSC_MUK_LEN],
                                            char impi[MBMSEC_STORE_IMPI_MAX + 1],
                                            const char **reason);

/* Makes the delivery engine know a UE registered before a restart: a security decision. The
 * B-TID's stored registration (the first, in serviceId order) gives the IMPI and the UE
 * address ("a.b.c.d:port"; the MIKEY port is ue_port, P6); Zn gives the MUK and an IMPI,
 * which must be the registered one: a B-TID the BSF now names as someone else's is refused
 * (reason impi-mismatch) and the engine is not told. A UE the engine knows already: OK at
 * once. The MUK is cleansed before return. Reported as RESTORED or RESTORE_SKIPPED (report
 * may be NULL).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_UNKNOWN_UE (not restored; see reason). */
mbmsec_err mbmsec_bmsc_rotate_restore(mbmsec_store *st, mbmsec_bmsc_dl *dl, const char *btid,
                                      uint16_t ue_port, mbmsec_bmsc_zn_muk_fn zn, void *zn_user,
                                      mbmsec_bmsc_rotate_report_fn report, void *user);

/* ---- push plans, schedule, pull */

typedef struct mbmsec_bmsc_rotate mbmsec_bmsc_rotate;

typedef struct {
  mbmsec_store *store;      /* membership and MSKs (required) */
  mbmsec_bmsc_dl *dl;       /* the delivery engine (required) */
  uint16_t ue_mikey_port;   /* P6: where restored UEs get their MIKEY messages */
  mbmsec_bmsc_zn_muk_fn zn; /* restore (NULL: a UE the engine does not know is skipped) */
  void *zn_user;
  uint32_t lead_s;    /* schedule: push the next MSK this long before the change-over */
  uint32_t window_s;  /* schedule: spread of that push (capped at half the time left) */
  uint32_t jitter_ms; /* schedule: extra random delay per UE */
  mbmsec_bmsc_rotate_report_fn report; /* optional */
  void *report_user;
} mbmsec_bmsc_rotate_config;

/* @return MBMSEC_OK, MBMSEC_ERR_ARG (cfg, out, store or dl NULL), MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_bmsc_rotate_new(const mbmsec_bmsc_rotate_config *cfg, mbmsec_bmsc_rotate **out);
/* Frees the plans (their MSKs cleansed) and queued events; NULL is a no-op. */
void mbmsec_bmsc_rotate_free(mbmsec_bmsc_rotate *r);

/* Starts the spread push of the group's next MSK (generated first if absent,
 * mbmsec_bmsc_rotate_keep_msks; the current one when the group has no next) to its members
 * (mbmsec_members_group_btids, taken now) over [now_ms, now_ms + window_ms) with jitter. A
 * group without members gets an empty plan (msk_each still shows it). force: also replace a
 * finished plan of that MSK. msk_id_out (may be NULL) gets the MSK ID.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_ROT_NO_MSK, MBMSEC_ERR_BMSC_ROT_BUSY (a
 * push of that MSK runs, or a finished one exists without force; plans of other MSKs never
 * refuse it: every Key Group may have a running plan at once),
 * MBMSEC_ERR_NOMEM, MBMSEC_ERR_RANDOM, the store's codes. */
mbmsec_err mbmsec_bmsc_rotate_begin(mbmsec_bmsc_rotate *r, const uint8_t kdid[MBMSEC_KDID_LEN],
                                    uint16_t key_group, uint32_t window_ms, uint32_t jitter_ms,
                                    bool force, int64_t now_s, int64_t now_ms,
                                    uint8_t msk_id_out[MBMSEC_MSK_ID_LEN]);

/* The schedule: for every Key Group in use with a current and a next MSK whose current MSK
 * ends within lead_s of now_s and whose next MSK has no plan yet, begin (window_s, at most
 * half of the time left; jitter_ms). Returns the number of plans started. */
size_t mbmsec_bmsc_rotate_schedule(mbmsec_bmsc_rotate *r, int64_t now_s, int64_t now_ms);

/* The main loop's step: the schedule every MBMSEC_BMSC_ROTATE_AUTO_S seconds of now_s (not
 * on the first call), the due pushes of every plan (at most MBMSEC_BMSC_ROTATE_BATCH per plan;
 * each UE checked still a member, restored if the engine does not know it, then
 * mbmsec_bmsc_dl_deliver at now_ms), the delivery events queued by on_event, and a DONE
 * report per finished plan. */
void mbmsec_bmsc_rotate_tick(mbmsec_bmsc_rotate *r, int64_t now_s, int64_t now_ms);

/* The delivery engine's event (call it from mbmsec_bmsc_dl_config.event): queued for tick,
 * which settles the plan of msk_id (DELIVERED -> acked, FAILED -> failed). Pulls and
 * retransmissions are ignored. Never calls the delivery engine or takes mu. */
void mbmsec_bmsc_rotate_on_event(mbmsec_bmsc_rotate *r, mbmsec_bmsc_event ev, const char *btid,
                                 const uint8_t msk_id[MBMSEC_MSK_ID_LEN], int pull);

/* MBMSEC_OK when the delivery engine knows btid, else restores it (mbmsec_bmsc_rotate_restore
 * with the config's Zn lookup; one restore at a time).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_UNKNOWN_UE. */
mbmsec_err mbmsec_bmsc_rotate_known(mbmsec_bmsc_rotate *r, const char *btid);

/* Solicited pull (P10, O5) of the group's current MSK (the next if there is no current) to the
 * UE btid, or with btid NULL to every member of the group; each UE restored if needed, one
 * PULL report per UE. *pulled and *errors count the UEs.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_ROT_NO_MSK, MBMSEC_ERR_BMSC_UNKNOWN_UE
 * (btid given and not restorable), MBMSEC_ERR_NOMEM, the store's codes. */
mbmsec_err mbmsec_bmsc_rotate_pull(mbmsec_bmsc_rotate *r, const uint8_t kdid[MBMSEC_KDID_LEN],
                                   uint16_t key_group, const char *btid, int64_t now_s,
                                   int64_t now_ms, size_t *pulled, size_t *errors);

/* One row of `msk list`: an MSK (current or next) of a Key Group with its latest plan's
 * progress (all 0 without a plan). */
typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint16_t key_group;
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  uint16_t key_number;
  bool next; /* role: false current, true next */
  int64_t valid_from, valid_to;
  uint16_t vf, vt;
  mbmsec_bmsc_rot_progress progress;
} mbmsec_bmsc_rotate_msk_row;

/* Calls cb for the current and the next MSK (in that order) of every Key Group in use
 * (ordered by Key Domain ID, Key Group; every group, no cap) at now_s. r may be NULL (no
 * progress). A nonzero return of cb stops the walk. *rows (may be NULL) gets the rows given.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, the codes of mbmsec_members_group_all. */
mbmsec_err mbmsec_bmsc_rotate_msk_each(mbmsec_bmsc_rotate *r, mbmsec_store *st, int64_t now_s,
                                       int (*cb)(void *arg, const mbmsec_bmsc_rotate_msk_row *row),
                                       void *arg, size_t *rows);

/* Calls cb for every plan kept (oldest first) under mu: cb must not call this engine. */
void mbmsec_bmsc_rotate_plan_each(mbmsec_bmsc_rotate *r,
                                  void (*cb)(void *arg, uint16_t key_group,
                                             const uint8_t msk_id[MBMSEC_MSK_ID_LEN],
                                             const mbmsec_bmsc_rot_progress *pr),
                                  void *arg);

/* Delivery events dropped because the queue was full or memory ran out. */
uint64_t mbmsec_bmsc_rotate_dropped_events(mbmsec_bmsc_rotate *r);

#endif
