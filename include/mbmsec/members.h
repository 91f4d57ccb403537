/* mbmsec: BM-SC membership decisions (TS 33.246 6.3.2.1A, 6.3.2.1B, 6.3.2.2.1; profile P4, P5,
 * P11, P15): the per-item codes of register, deregister and msk-request, and MSK generation
 * for a Key Group. Pure functions over the store (include/mbmsec/store.h): no I/O besides the
 * store, no global state. Static library mbmsec_members (docs/bmsc-membership.md).
 *
 * The request item lists are those the XML layer parsed (include/mbmsec/xml.h); the
 * answers are copies of them with `code` set, ready for mbmsec_xml_build_register_response /
 * mbmsec_xml_build_msk_response (items keep their order; an item the parser found bad keeps its
 * err and gets 400). Each item is decided on its own: one failed item does not change the
 * others (6.3.2.4), and a store failure on one item gives that item 500.
 *
 * Per-item codes:
 *   register     200 registered (registration row written; its MSKs listed to push)
 *                400 bad item; 404 unknown service; 401 USS without MBMS (GSID 4) or not
 *                subscribed; 500 store error or too many MSKs for the push list (nothing
 *                written for that item).
 *   deregister   200 the UE is not registered to the service any more (whether or not it was);
 *                400 bad item; 404 unknown service; 500 store error. No subscription needed.
 *   msk-request  400 bad item; 404 Key Group used by no service of that Key Domain, or MSK not
 *                stored (or expired) while a newer one exists; 401 no service of the group that
 *                the IMPI is both subscribed and registered to;
 *                key number 0 (P15): 200 push the current MSK and the next one if it exists,
 *                480 when the group has neither (retry later);
 *                key number k: 200 push MSK k (and the next one too when k is the current);
 *                204 (P15 'no update') k is above every key number of the group: the next MSK
 *                is not generated yet; nothing pushed.
 *
 * Identity: ue->impi and ue->btid come from the Ua layer and are only checked for syntax here;
 * authorisation is by IMPI (subscription and registration rows), so a UE that bootstrapped
 * again keeps its registrations (a re-register records the new B-TID).
 *
 * Current and next (P11: at most MBMSEC_MSK_PER_KEY_GROUP per group): the current MSK of a group is
 * the one with the highest key number valid at `now` (valid_from <= now < valid_to); the next
 * is the one with the lowest key number above it (above 0 if there is no current) that
 * becomes valid after now.
 */
#ifndef MBMSEC_MEMBERS_H
#define MBMSEC_MEMBERS_H
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/error.h"
#include "mbmsec/profile.h"
#include "mbmsec/store.h"
#include "mbmsec/xml.h"

#define MBMSEC_MEMBERS_GSID_MBMS          4u /* GBA user security setting of MBMS */
#define MBMSEC_MEMBERS_GROUPS_PER_SERVICE 16 /* Key Groups of one service considered */
#define MBMSEC_MEMBERS_SERVICES_PER_GROUP 64 /* services sharing one Key Group considered */
#define MBMSEC_MEMBERS_MSKS_PER_LIST      32 /* MSKs of one group read, newest first */
/* MSKs one answer can ask to push: two per item of a full request. */
#define MBMSEC_MEMBERS_PUSH_MAX (MBMSEC_XML_MAX_ITEMS * MBMSEC_MSK_PER_KEY_GROUP)

/* The requesting UE as the Ua layer authenticated it. */
typedef struct {
  const char *impi;    /* the IMPI of the B-TID's bootstrap */
  const char *btid;    /* the B-TID of the Digest username */
  const char *ue_addr; /* register: where MIKEY messages go ("host:port"); else may be NULL */
  const char *uss;     /* register: GSID list from Zn/the BSF ("4", "4,1"); NULL = none */
} mbmsec_members_ue;

/* One MSK, by identity only (the delivery layer reads the key with mbmsec_store_msk_get). */
typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
} mbmsec_members_msk_ref;

/* MSKs to push over MIKEY to the requesting UE, each once, in decision order. */
typedef struct {
  mbmsec_members_msk_ref items[MBMSEC_MEMBERS_PUSH_MAX];
  size_t n;
} mbmsec_members_push;

/* A Key Group (Key Domain ID, Key Group ID). */
typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint16_t key_group;
} mbmsec_members_group;

/* Key Groups whose MSK pushes to this UE stop after a deregister. */
typedef struct {
  mbmsec_members_group items[MBMSEC_XML_MAX_ITEMS * MBMSEC_MEMBERS_GROUPS_PER_SERVICE];
  size_t n;
} mbmsec_members_stop;

/* The MSK state of one Key Group at a time. */
typedef struct {
  int has_current, has_next;
  uint16_t current, next; /* key numbers, valid when has_* */
  uint16_t newest;        /* highest key number stored, expired or not; 0 if none */
  size_t stored;          /* MSKs stored for the group */
} mbmsec_members_group_state;

/* Decides a register request and records the 200 items (one registration row per IMPI and
 * service, B-TID and ue_addr replaced on re-registration). resp gets req's items with their
 * codes; push gets the current and next MSK of every Key Group of every 200 item (each MSK
 * once; an item whose MSKs do not fit gets 500 and is not registered).
 * @return MBMSEC_OK (see the per-item codes), MBMSEC_ERR_ARG (a pointer NULL, ue->ue_addr
 * NULL, req->n above MBMSEC_XML_MAX_ITEMS), MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_STORE_BTID,
 * MBMSEC_ERR_STORE_UE_ADDR (malformed ue fields: nothing stored). A malformed USS grants
 * nothing (items 401). */
mbmsec_err mbmsec_members_register(mbmsec_store *st, const mbmsec_members_ue *ue,
                                   const mbmsec_xml_service_list *req, int64_t now,
                                   mbmsec_xml_service_list *resp, mbmsec_members_push *push);

/* Decides a deregister request and deletes the IMPI's registrations of the 200 items. stop
 * gets the Key Groups of the deregistered services that no remaining registration of the
 * IMPI uses (the delivery layer stops their pushes to this UE; each group once).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_STORE_BTID. */
mbmsec_err mbmsec_members_deregister(mbmsec_store *st, const mbmsec_members_ue *ue,
                                     const mbmsec_xml_service_list *req,
                                     mbmsec_xml_service_list *resp, mbmsec_members_stop *stop);

/* Decides an msk-request (nothing is written). resp gets req's items with their codes, push
 * the MSKs to send (each once).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_IMPI, MBMSEC_ERR_STORE_BTID. */
mbmsec_err mbmsec_members_msk_request(mbmsec_store *st, const mbmsec_members_ue *ue,
                                      const mbmsec_xml_key_list *req, int64_t now,
                                      mbmsec_xml_key_list *resp, mbmsec_members_push *push);

/* A cache of what msk-requests read (which services use a Key Group, whether an IMPI may use
 * it, the group's MSK identities and validity; never keys) for a long-running server. It
 * stays correct when the store changes through any handle or process: every request first
 * reads mbmsec_store_data_version and empties the cache when it moved. Thread-safe (one
 * lock around a request's decisions). Bounded: full tables are emptied, not grown. */
typedef struct mbmsec_members_cache mbmsec_members_cache;
/* @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_members_cache_new(mbmsec_members_cache **out);
/* NULL is a no-op. */
void mbmsec_members_cache_free(mbmsec_members_cache *c);

/* mbmsec_members_msk_request through the cache (NULL cache: the same as without). Same
 * answers and codes; the cache only saves the store's reads. */
mbmsec_err mbmsec_members_msk_request_cached(mbmsec_store *st, mbmsec_members_cache *cache,
                                             const mbmsec_members_ue *ue,
                                             const mbmsec_xml_key_list *req, int64_t now,
                                             mbmsec_xml_key_list *resp, mbmsec_members_push *push);

/* The current / next / newest MSK of Key Group (kdid, key_group) at now.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, the store's codes (mbmsec_store_msk_list). */
mbmsec_err mbmsec_members_group_state_get(mbmsec_store *st, const uint8_t kdid[MBMSEC_KDID_LEN],
                                          uint16_t key_group, int64_t now,
                                          mbmsec_members_group_state *out);

/* Generates and stores a new MSK for Key Group (kdid, key_group), used by at least one
 * service of that Key Domain: key number strictly greater than any handed out before for the
 * group (a durable store counter "msk-keynum:KDID:GROUP", and above every stored one), never
 * 0; 16 random octets (mbmsec_random); validity [valid_from, valid_to) and MTK ID range
 * vf..vt. First deletes the group's MSKs that expired at now; refuses when the group still
 * holds MBMSEC_MSK_PER_KEY_GROUP unexpired MSKs (P11: current and next). msk_id gets the new MSK ID.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_STORE_VALIDITY (valid_to <= valid_from or
 * vf > vt), MBMSEC_ERR_MEMBERS_USE (no service uses the group), MBMSEC_ERR_MEMBERS_GROUP_FULL,
 * MBMSEC_ERR_MEMBERS_KEYNUM (key number 65535 used), MBMSEC_ERR_RANDOM, the store's codes. */
mbmsec_err mbmsec_members_msk_generate(mbmsec_store *st, const uint8_t kdid[MBMSEC_KDID_LEN],
                                       uint16_t key_group, int64_t valid_from, int64_t valid_to,
                                       uint16_t vf, uint16_t vt, int64_t now,
                                       uint8_t msk_id[MBMSEC_MSK_ID_LEN]);

/* ---- Listings without a cap (lib/members/members_list.c): every service, every Key Group,
 * the members of a Key Group. Allocated with malloc; the caller frees. */

/* Every stored service, in serviceId order, into a malloc'd array (*out NULL when *n is 0).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, the store's codes (*out NULL, *n 0). */
mbmsec_err mbmsec_members_service_all(mbmsec_store *st, mbmsec_store_service **out, size_t *n);

/* One Key Group in use, with the MSK lifetime of the first service (serviceId order) that
 * uses it: the lifetime its generated MSKs get. */
typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint16_t key_group;
  int64_t msk_lifetime;
} mbmsec_members_group_use;

/* Every Key Group some service uses (each (Key Domain ID, Key Group) once; at most
 * MBMSEC_MEMBERS_GROUPS_PER_SERVICE per service), ordered by Key Domain ID then Key Group,
 * into a malloc'd array (*out NULL when *n is 0).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, the store's codes (*out NULL, *n 0). */
mbmsec_err mbmsec_members_group_all(mbmsec_store *st, mbmsec_members_group_use **out, size_t *n);

/* The members of Key Group (kdid, key_group): the distinct B-TIDs of the registrations to
 * every service using the group, sorted (strcmp), into a malloc'd array of malloc'd strings
 * (*out NULL when *n is 0); free with mbmsec_members_btids_free.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, the store's codes (*out NULL, *n 0). */
mbmsec_err mbmsec_members_group_btids(mbmsec_store *st, const uint8_t kdid[MBMSEC_KDID_LEN],
                                      uint16_t key_group, char ***out, size_t *n);
void mbmsec_members_btids_free(char **btids, size_t n);

/* *member = 1 when a registration made with btid is to a service using Key Group
 * (kdid, key_group), else 0 (0 on error too).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, the store's codes. */
mbmsec_err mbmsec_members_btid_in_group(mbmsec_store *st, const char *btid,
                                        const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t key_group,
                                        int *member);

#endif
