/* BM-SC membership decisions: include/mbmsec/members.h, docs/bmsc-membership.md. */
#include "mbmsec/members.h"

#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/keyid.h"
#include "members_impl.h"

/* ---- small helpers ---- */

static int printable(const char *s, size_t max)
{
  size_t n = strnlen(s, max + 1);
  if (n == 0 || n > max) return 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7E) return 0;
  return 1;
}

static mbmsec_err check_ue(const mbmsec_members_ue *ue, int need_addr)
{
  ENSURE(ue != NULL && ue->impi != NULL && ue->btid != NULL, MBMSEC_ERR_ARG);
  ENSURE(printable(ue->impi, MBMSEC_STORE_IMPI_MAX), MBMSEC_ERR_STORE_IMPI);
  ENSURE(printable(ue->btid, MBMSEC_STORE_BTID_MAX), MBMSEC_ERR_STORE_BTID);
  if (need_addr) {
    ENSURE(ue->ue_addr != NULL, MBMSEC_ERR_ARG);
    ENSURE(printable(ue->ue_addr, MBMSEC_STORE_UE_ADDR_MAX), MBMSEC_ERR_STORE_UE_ADDR);
  }
  return MBMSEC_OK;
}

#define msk_id_of  mbmsec_msk_id_pack
#define key_number mbmsec_msk_id_keynum

/* Appends an MSK to push unless it is there already. */
static mbmsec_err push_add(mbmsec_members_push *p, const uint8_t kdid[MBMSEC_KDID_LEN],
                           uint16_t group, uint16_t number)
{
  mbmsec_members_msk_ref r;
  memcpy(r.kdid, kdid, MBMSEC_KDID_LEN);
  msk_id_of(group, number, r.msk_id);
  for (size_t i = 0; i < p->n; i++)
    if (memcmp(&p->items[i], &r, sizeof r) == 0) return MBMSEC_OK;
  ENSURE(p->n < MBMSEC_MEMBERS_PUSH_MAX, MBMSEC_ERR_MEMBERS_TOO_MANY);
  p->items[p->n++] = r;
  return MBMSEC_OK;
}

static void state_of(const members_msks *m, int64_t now, mbmsec_members_group_state *out);

/* Pushes the current and next MSK of a group (those that exist) by its MSK list. */
static mbmsec_err push_current_next(const members_msks *m, mbmsec_members_push *p,
                                    const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group,
                                    int64_t now, size_t *pushed)
{
  mbmsec_members_group_state gs;
  state_of(m, now, &gs);
  *pushed = 0;
  if (gs.has_current) {
    GUARD(push_add(p, kdid, group, gs.current));
    (*pushed)++;
  }
  if (gs.has_next) {
    GUARD(push_add(p, kdid, group, gs.next));
    (*pushed)++;
  }
  return MBMSEC_OK;
}

/* ---- group state ---- */

mbmsec_err members_msks_read(mbmsec_store *st, const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group,
                             members_msks *out)
{
  mbmsec_err rc;
  mbmsec_store_msk list[MBMSEC_MEMBERS_MSKS_PER_LIST];
  size_t n = 0, total = 0;
  out->n = out->total = 0;
  GUARD_OUT(mbmsec_store_msk_list(st, kdid, MBMSEC_KDID_LEN, group, list,
                                  MBMSEC_MEMBERS_MSKS_PER_LIST, &n, &total));
  out->n = n;
  out->total = total;
  for (size_t i = 0; i < n; i++) {
    out->msk[i].number = key_number(list[i].msk_id);
    out->msk[i].valid_from = list[i].valid_from;
    out->msk[i].valid_to = list[i].valid_to;
  }
out:
  mbmsec_cleanse(list, sizeof list);
  return rc;
}

/* The group state at now from its MSK list (newest first). */
static void state_of(const members_msks *m, int64_t now, mbmsec_members_group_state *out)
{
  memset(out, 0, sizeof *out);
  out->stored = m->total;
  if (m->n > 0) out->newest = m->msk[0].number;
  /* current: highest key number valid at now */
  for (size_t i = 0; i < m->n; i++) {
    if (m->msk[i].valid_from <= now && now < m->msk[i].valid_to) {
      out->has_current = 1;
      out->current = m->msk[i].number;
      break;
    }
  }
  /* next: lowest key number above the current that becomes valid after now */
  for (size_t i = 0; i < m->n; i++) {
    uint16_t k = m->msk[i].number;
    if (m->msk[i].valid_from <= now || (out->has_current && k <= out->current)) continue;
    if (!out->has_next || k < out->next) {
      out->has_next = 1;
      out->next = k;
    }
  }
}

mbmsec_err mbmsec_members_group_state_get(mbmsec_store *st, const uint8_t kdid[MBMSEC_KDID_LEN],
                                          uint16_t key_group, int64_t now,
                                          mbmsec_members_group_state *out)
{
  members_msks m;
  ENSURE(out != NULL, MBMSEC_ERR_ARG);
  memset(out, 0, sizeof *out);
  ENSURE(st != NULL && kdid != NULL, MBMSEC_ERR_ARG);
  GUARD(members_msks_read(st, kdid, key_group, &m));
  state_of(&m, now, out);
  return MBMSEC_OK;
}

/* ---- register ---- */

static int valid_req_n(size_t n) { return n <= MBMSEC_XML_MAX_ITEMS; }

/* resp = req, copying only the items in use (a whole list is some 74 KiB). */
#define COPY_LIST(resp, req)                                               \
  do {                                                                     \
    (resp)->n = (req)->n;                                                  \
    (resp)->n_bad = (req)->n_bad;                                          \
    memcpy((resp)->items, (req)->items, (req)->n * sizeof(req)->items[0]); \
  } while (0)

static unsigned register_item(mbmsec_store *st, const mbmsec_members_ue *ue, int uss_mbms,
                              const mbmsec_xml_service *it, int64_t now, mbmsec_members_push *push)
{
  mbmsec_store_service svc;
  uint16_t groups[MBMSEC_MEMBERS_GROUPS_PER_SERVICE];
  size_t ng = 0, pushed = 0, undo = push->n;
  int granted = 0;
  if (it->err != MBMSEC_OK) return MBMSEC_MBMS_STATUS_BAD_REQUEST;
  mbmsec_err rc = mbmsec_store_service_get(st, it->text, &svc);
  if (rc == MBMSEC_ERR_STORE_NOT_FOUND || rc == MBMSEC_ERR_STORE_SERVICE_ID)
    return rc == MBMSEC_ERR_STORE_NOT_FOUND ? MBMSEC_MBMS_STATUS_NOT_FOUND
                                            : MBMSEC_MBMS_STATUS_BAD_REQUEST;
  if (rc != MBMSEC_OK) return MBMSEC_MBMS_STATUS_SERVER_ERROR;
  if (!uss_mbms) return MBMSEC_MBMS_STATUS_UNAUTHORIZED;
  if (mbmsec_store_subscription_check(st, ue->impi, it->text, &granted) != MBMSEC_OK)
    return MBMSEC_MBMS_STATUS_SERVER_ERROR;
  if (!granted) return MBMSEC_MBMS_STATUS_UNAUTHORIZED;
  if (mbmsec_store_key_group_list(st, it->text, groups, MBMSEC_MEMBERS_GROUPS_PER_SERVICE, &ng) !=
      MBMSEC_OK)
    return MBMSEC_MBMS_STATUS_SERVER_ERROR;
  for (size_t g = 0; g < ng; g++) {
    members_msks m;
    if (members_msks_read(st, svc.kdid, groups[g], &m) != MBMSEC_OK ||
        push_current_next(&m, push, svc.kdid, groups[g], now, &pushed) != MBMSEC_OK)
      goto fail;
  }
  const mbmsec_store_registration_in reg = {.impi = ue->impi,
                                            .btid = ue->btid,
                                            .service_id = it->text,
                                            .ue_addr = ue->ue_addr,
                                            .created = now};
  if (mbmsec_store_registration_put(st, &reg) != MBMSEC_OK) goto fail;
  return MBMSEC_MBMS_STATUS_OK;
fail:
  push->n = undo; /* push_add only appends: forget this item's additions */
  return MBMSEC_MBMS_STATUS_SERVER_ERROR;
}

mbmsec_err mbmsec_members_register(mbmsec_store *st, const mbmsec_members_ue *ue,
                                   const mbmsec_xml_service_list *req, int64_t now,
                                   mbmsec_xml_service_list *resp, mbmsec_members_push *push)
{
  ENSURE(st != NULL && req != NULL && resp != NULL && push != NULL && resp != req, MBMSEC_ERR_ARG);
  ENSURE(valid_req_n(req->n), MBMSEC_ERR_ARG);
  GUARD(check_ue(ue, 1));
  push->n = 0;
  COPY_LIST(resp, req);
  int uss_mbms = mbmsec_store_uss_has_gsid(ue->uss, MBMSEC_MEMBERS_GSID_MBMS);
  for (size_t i = 0; i < req->n; i++)
    resp->items[i].code = register_item(st, ue, uss_mbms, &req->items[i], now, push);
  return MBMSEC_OK;
}

/* ---- deregister ---- */

typedef struct {
  char ids[MBMSEC_MEMBERS_SERVICES_PER_GROUP][MBMSEC_STORE_SERVICE_ID_MAX + 1];
  size_t n;
} service_ids;

static mbmsec_err collect_service(const mbmsec_store_service *svc, void *arg)
{
  service_ids *ids = arg;
  ENSURE(ids->n < MBMSEC_MEMBERS_SERVICES_PER_GROUP, MBMSEC_ERR_MEMBERS_TOO_MANY);
  memcpy(ids->ids[ids->n++], svc->service_id, sizeof ids->ids[0]);
  return MBMSEC_OK;
}

/* The services that use Key Group (kdid, group). */
static mbmsec_err group_services(mbmsec_store *st, const uint8_t kdid[MBMSEC_KDID_LEN],
                                 uint16_t group, service_ids *ids)
{
  ids->n = 0;
  return mbmsec_store_key_group_services(st, kdid, MBMSEC_KDID_LEN, group, collect_service, ids);
}

/* Whether the IMPI is registered (and, with need_subscription, also subscribed) to some
 * service of the group; *used says whether any service uses the group. */
mbmsec_err members_group_access(mbmsec_store *st, const char *impi,
                                const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group,
                                int need_subscription, int *used, int *allowed)
{
  service_ids ids;
  mbmsec_store_registration reg;
  *used = *allowed = 0;
  GUARD(group_services(st, kdid, group, &ids));
  *used = ids.n > 0;
  for (size_t i = 0; i < ids.n && !*allowed; i++) {
    int granted = 1;
    if (need_subscription) GUARD(mbmsec_store_subscription_check(st, impi, ids.ids[i], &granted));
    if (!granted) continue;
    mbmsec_err rc = mbmsec_store_registration_get(st, impi, ids.ids[i], &reg);
    if (rc == MBMSEC_OK)
      *allowed = 1;
    else if (rc != MBMSEC_ERR_STORE_NOT_FOUND)
      return rc;
  }
  return MBMSEC_OK;
}

static void stop_add(mbmsec_members_stop *stop, const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group)
{
  for (size_t i = 0; i < stop->n; i++)
    if (stop->items[i].key_group == group &&
        memcmp(stop->items[i].kdid, kdid, MBMSEC_KDID_LEN) == 0)
      return;
  if (stop->n < sizeof stop->items / sizeof stop->items[0]) {
    memcpy(stop->items[stop->n].kdid, kdid, MBMSEC_KDID_LEN);
    stop->items[stop->n++].key_group = group;
  }
}

static unsigned deregister_item(mbmsec_store *st, const mbmsec_members_ue *ue,
                                const mbmsec_xml_service *it, mbmsec_members_stop *stop)
{
  mbmsec_store_service svc;
  uint16_t groups[MBMSEC_MEMBERS_GROUPS_PER_SERVICE];
  size_t ng = 0;
  if (it->err != MBMSEC_OK) return MBMSEC_MBMS_STATUS_BAD_REQUEST;
  mbmsec_err rc = mbmsec_store_service_get(st, it->text, &svc);
  if (rc == MBMSEC_ERR_STORE_NOT_FOUND || rc == MBMSEC_ERR_STORE_SERVICE_ID)
    return rc == MBMSEC_ERR_STORE_NOT_FOUND ? MBMSEC_MBMS_STATUS_NOT_FOUND
                                            : MBMSEC_MBMS_STATUS_BAD_REQUEST;
  if (rc != MBMSEC_OK) return MBMSEC_MBMS_STATUS_SERVER_ERROR;
  if (mbmsec_store_key_group_list(st, it->text, groups, MBMSEC_MEMBERS_GROUPS_PER_SERVICE, &ng) !=
      MBMSEC_OK)
    return MBMSEC_MBMS_STATUS_SERVER_ERROR;
  rc = mbmsec_store_registration_delete(st, ue->impi, it->text);
  if (rc == MBMSEC_ERR_STORE_NOT_FOUND)
    return MBMSEC_MBMS_STATUS_OK; /* not registered: the state the UE asks for holds already */
  if (rc != MBMSEC_OK) return MBMSEC_MBMS_STATUS_SERVER_ERROR;
  /* Stop a group unless another registration of this IMPI still uses it. */
  for (size_t g = 0; g < ng; g++) {
    int used = 0, still = 1;
    if (members_group_access(st, ue->impi, svc.kdid, groups[g], 0, &used, &still) != MBMSEC_OK)
      continue; /* unsure: keep pushing rather than cut a UE off */
    if (!still) stop_add(stop, svc.kdid, groups[g]);
  }
  return MBMSEC_MBMS_STATUS_OK;
}

mbmsec_err mbmsec_members_deregister(mbmsec_store *st, const mbmsec_members_ue *ue,
                                     const mbmsec_xml_service_list *req,
                                     mbmsec_xml_service_list *resp, mbmsec_members_stop *stop)
{
  ENSURE(st != NULL && req != NULL && resp != NULL && stop != NULL && resp != req, MBMSEC_ERR_ARG);
  ENSURE(valid_req_n(req->n), MBMSEC_ERR_ARG);
  GUARD(check_ue(ue, 0));
  stop->n = 0;
  COPY_LIST(resp, req);
  for (size_t i = 0; i < req->n; i++)
    resp->items[i].code = deregister_item(st, ue, &req->items[i], stop);
  return MBMSEC_OK;
}

/* ---- msk-request ---- */

/* The decision of one keyId item, reading the store directly (cache NULL) or through the
 * cache, whose lock the caller holds. */
static unsigned msk_item(mbmsec_store *st, mbmsec_members_cache *cache, const mbmsec_members_ue *ue,
                         const mbmsec_xml_key *it, int64_t now, mbmsec_members_push *push)
{
  int used = 0, allowed = 0;
  size_t undo = push->n, pushed = 0;
  mbmsec_members_group_state gs;
  members_msks own;
  const members_msks *m = &own;
  unsigned code = MBMSEC_MBMS_STATUS_SERVER_ERROR;
  if (it->err != MBMSEC_OK) return MBMSEC_MBMS_STATUS_BAD_REQUEST;
  const uint16_t group = mbmsec_msk_id_group(it->msk_id);
  const uint16_t k = key_number(it->msk_id);
  mbmsec_err rc = cache
                      ? members_cache_access(cache, st, ue->impi, it->kdid, group, &used, &allowed)
                      : members_group_access(st, ue->impi, it->kdid, group, 1, &used, &allowed);
  if (rc != MBMSEC_OK) return MBMSEC_MBMS_STATUS_SERVER_ERROR;
  if (!used) return MBMSEC_MBMS_STATUS_NOT_FOUND;
  if (!allowed) return MBMSEC_MBMS_STATUS_UNAUTHORIZED;
  rc = cache ? members_cache_msks(cache, st, it->kdid, group, &m)
             : members_msks_read(st, it->kdid, group, &own);
  if (rc != MBMSEC_OK) goto out;
  if (k == MBMSEC_MSK_KEYNUM_CURRENT) {
    if (push_current_next(m, push, it->kdid, group, now, &pushed) != MBMSEC_OK) goto out;
    code = pushed > 0 ? MBMSEC_MBMS_STATUS_OK : MBMSEC_MBMS_STATUS_UNAVAILABLE;
    goto out;
  }
  state_of(m, now, &gs);
  /* The MSK asked for: from the list when it holds every stored MSK, else from the store. */
  int64_t valid_to = 0;
  if (m->n == m->total) {
    rc = MBMSEC_ERR_STORE_NOT_FOUND;
    for (size_t i = 0; i < m->n; i++)
      if (m->msk[i].number == k) {
        rc = MBMSEC_OK;
        valid_to = m->msk[i].valid_to;
        break;
      }
  } else {
    mbmsec_store_msk msk;
    rc = mbmsec_store_msk_get(st, it->kdid, MBMSEC_KDID_LEN, it->msk_id, MBMSEC_MSK_ID_LEN, &msk);
    valid_to = msk.valid_to;
    mbmsec_cleanse(&msk, sizeof msk);
  }
  if (rc == MBMSEC_ERR_STORE_NOT_FOUND || (rc == MBMSEC_OK && valid_to <= now)) {
    /* P15: above every key number = not generated yet; else unknown or gone. */
    code = k > gs.newest ? MBMSEC_MBMS_STATUS_NO_UPDATE : MBMSEC_MBMS_STATUS_NOT_FOUND;
    goto out;
  }
  if (rc != MBMSEC_OK) goto out;
  if (push_add(push, it->kdid, group, k) != MBMSEC_OK) goto out;
  if (gs.has_current && gs.current == k && gs.has_next &&
      push_add(push, it->kdid, group, gs.next) != MBMSEC_OK)
    goto out;
  code = MBMSEC_MBMS_STATUS_OK;
out:
  if (code != MBMSEC_MBMS_STATUS_OK) push->n = undo;
  return code;
}

mbmsec_err mbmsec_members_msk_request_cached(mbmsec_store *st, mbmsec_members_cache *cache,
                                             const mbmsec_members_ue *ue,
                                             const mbmsec_xml_key_list *req, int64_t now,
                                             mbmsec_xml_key_list *resp, mbmsec_members_push *push)
{
  ENSURE(st != NULL && req != NULL && resp != NULL && push != NULL && resp != req, MBMSEC_ERR_ARG);
  ENSURE(valid_req_n(req->n), MBMSEC_ERR_ARG);
  GUARD(check_ue(ue, 0));
  push->n = 0;
  COPY_LIST(resp, req);
  if (cache && !members_cache_begin(cache, st))
    cache = NULL; /* the store's version is unreadable: decide from the store itself */
  for (size_t i = 0; i < req->n; i++)
    resp->items[i].code = msk_item(st, cache, ue, &req->items[i], now, push);
  if (cache) members_cache_end(cache);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_members_msk_request(mbmsec_store *st, const mbmsec_members_ue *ue,
                                      const mbmsec_xml_key_list *req, int64_t now,
                                      mbmsec_xml_key_list *resp, mbmsec_members_push *push)
{
  return mbmsec_members_msk_request_cached(st, NULL, ue, req, now, resp, push);
}

/* ---- MSK generation ---- */

mbmsec_err mbmsec_members_msk_generate(mbmsec_store *st, const uint8_t kdid[MBMSEC_KDID_LEN],
                                       uint16_t key_group, int64_t valid_from, int64_t valid_to,
                                       uint16_t vf, uint16_t vt, int64_t now,
                                       uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  mbmsec_err rc;
  mbmsec_store_msk list[MBMSEC_MEMBERS_MSKS_PER_LIST];
  uint8_t key[MBMSEC_MBMS_MSK_LEN];
  size_t n = 0, total = 0, live = 0;
  uint64_t first = 0, skip = 0;
  char name[MBMSEC_STORE_COUNTER_NAME_MAX + 1];
  service_ids ids;
  memset(list, 0, sizeof list);
  ENSURE(st != NULL && kdid != NULL && msk_id != NULL, MBMSEC_ERR_ARG);
  memset(msk_id, 0, MBMSEC_MSK_ID_LEN);
  ENSURE(valid_to > valid_from && vf <= vt, MBMSEC_ERR_STORE_VALIDITY);
  GUARD(group_services(st, kdid, key_group, &ids));
  ENSURE(ids.n > 0, MBMSEC_ERR_MEMBERS_USE);

  GUARD_OUT(mbmsec_store_msk_list(st, kdid, MBMSEC_KDID_LEN, key_group, list,
                                  MBMSEC_MEMBERS_MSKS_PER_LIST, &n, &total));
  const uint16_t newest = n > 0 ? key_number(list[0].msk_id) : 0;
  for (size_t i = 0; i < n; i++) {
    if (list[i].valid_to <= now)
      GUARD_OUT(
          mbmsec_store_msk_delete(st, kdid, MBMSEC_KDID_LEN, list[i].msk_id, MBMSEC_MSK_ID_LEN));
    else
      live++;
  }
  ENSURE_OUT(live + (total - n) < MBMSEC_MSK_PER_KEY_GROUP, MBMSEC_ERR_MEMBERS_GROUP_FULL);

  snprintf(name, sizeof name, "msk-keynum:%02x%02x%02x:%04x", kdid[0], kdid[1], kdid[2],
           (unsigned)key_group);
  rc = mbmsec_store_counter_reserve(st, name, 1, UINT16_MAX, &first);
  if (rc == MBMSEC_OK && first <= newest) {
    /* MSKs put by other means passed the counter: skip to newest + 1. */
    if (newest > first)
      rc = mbmsec_store_counter_reserve(st, name, newest - first, UINT16_MAX, &skip);
    if (rc == MBMSEC_OK) rc = mbmsec_store_counter_reserve(st, name, 1, UINT16_MAX, &first);
  }
  ENSURE_OUT(rc != MBMSEC_ERR_STORE_COUNTER_RANGE, MBMSEC_ERR_MEMBERS_KEYNUM);
  GUARD_OUT(rc);
  ENSURE_OUT(first > newest && first >= 1 && first <= UINT16_MAX, MBMSEC_ERR_MEMBERS_KEYNUM);

  GUARD_OUT(mbmsec_random(key, sizeof key));
  uint8_t id[MBMSEC_MSK_ID_LEN];
  msk_id_of(key_group, (uint16_t)first, id);
  const mbmsec_store_msk_in in = {.kdid = kdid,
                                  .kdid_len = MBMSEC_KDID_LEN,
                                  .msk_id = id,
                                  .msk_id_len = MBMSEC_MSK_ID_LEN,
                                  .key = key,
                                  .key_len = sizeof key,
                                  .valid_from = valid_from,
                                  .valid_to = valid_to,
                                  .vf = vf,
                                  .vt = vt,
                                  .created = now};
  GUARD_OUT(mbmsec_store_msk_put(st, &in));
  memcpy(msk_id, id, MBMSEC_MSK_ID_LEN);
out:
  mbmsec_cleanse(key, sizeof key);
  mbmsec_cleanse(list, sizeof list);
  return rc;
}
