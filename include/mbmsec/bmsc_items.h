/* mbmsec: the BM-SC's per-item decisions for register, deregister and msk-request (TS 33.246
 * 6.3.2; profile P4, P5, P15), as pure functions over a view of the membership that the caller
 * reads from its store. No I/O, no allocation.
 *
 * Register / deregister, per serviceId: 400 malformed item, 404 unknown service, 401 the
 * subscriber may not receive it (not subscribed), else 200.
 * MSK request, per keyId (Key Domain ID || Key Group || key number):
 *   400 malformed item; 404 another Key Domain or a Key Group no service uses; 401 not
 *   subscribed to any service of the Key Group;
 *   key number 0 (P15, "the current MSK of the group"): 200 with the current MSK (valid now,
 *   highest key number) and the next one (valid later) when they exist; 480 when the group has
 *   no current or next MSK yet (retry later);
 *   key number k: 200 with the group's current/next MSKs newer than k; 204 when there is none
 *   (k is already the newest, or the next one is not generated yet: P15 "no update").
 */
#ifndef MBMSEC_BMSC_ITEMS_H
#define MBMSEC_BMSC_ITEMS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/profile.h"

typedef struct {
  const char *service_id;
  uint16_t key_group; /* the Key Group whose MSKs protect the service */
} mbmsec_bmsc_service_ref;

typedef struct {
  uint16_t key_group;
  uint16_t key_number; /* never 0 (P5) */
  int64_t valid_from, valid_to; /* Unix seconds, [from, to) */
} mbmsec_bmsc_msk_ref;

/* The membership as the caller sees it for one request (one subscriber). */
typedef struct {
  uint8_t kdid[KDID_LEN];                  /* this BM-SC's Key Domain ID */
  const mbmsec_bmsc_service_ref *services; /* every user service */
  size_t n_services;
  const mbmsec_bmsc_msk_ref *msks;         /* every stored MSK of the Key Domain */
  size_t n_msks;
  bool (*subscribed)(void *user, const char *service_id); /* this subscriber, this service */
  void *user;
  int64_t now;
} mbmsec_bmsc_view;

/* One MSK to push after a 200 item. */
typedef struct {
  uint16_t key_group, key_number;
} mbmsec_bmsc_push;

/* Per-item code of a register or deregister item; malformed = the XML layer refused it. */
unsigned mbmsec_bmsc_service_item(const mbmsec_bmsc_view *v, const char *service_id,
                                  bool malformed);
/* Per-item code of an msk-request item; on 200, push[0..*n_push) (at most 2: current, next)
 * are the MSKs to send over MIKEY. */
unsigned mbmsec_bmsc_msk_item(const mbmsec_bmsc_view *v, const uint8_t kdid[KDID_LEN],
                              const uint8_t msk_id[MSK_ID_LEN], bool malformed,
                              mbmsec_bmsc_push push[2], size_t *n_push);

#endif
