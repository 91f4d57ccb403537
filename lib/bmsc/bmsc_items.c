/* Per-item decisions of the BM-SC key request function: include/mbmsec/bmsc_items.h. */
#include "mbmsec/bmsc_items.h"

#include <string.h>

static const mbmsec_bmsc_service_ref *service_of(const mbmsec_bmsc_view *v, const char *id)
{
  for (size_t i = 0; i < v->n_services; i++)
    if (!strcmp(v->services[i].service_id, id)) return &v->services[i];
  return NULL;
}

unsigned mbmsec_bmsc_service_item(const mbmsec_bmsc_view *v, const char *service_id,
                                  bool malformed)
{
  if (malformed || !service_id || !*service_id) return 400;
  if (!service_of(v, service_id)) return 404;
  return v->subscribed(v->user, service_id) ? 200 : 401;
}

/* The group's current MSK (valid now, highest key number) and next one (valid later, lowest
 * key number above the current); NULL when absent. */
static void current_next(const mbmsec_bmsc_view *v, uint16_t group, const mbmsec_bmsc_msk_ref **cur,
                         const mbmsec_bmsc_msk_ref **next)
{
  *cur = *next = NULL;
  for (size_t i = 0; i < v->n_msks; i++) {
    const mbmsec_bmsc_msk_ref *m = &v->msks[i];
    if (m->key_group != group || m->key_number == MSK_KEYNUM_RESERVED) continue;
    if (m->valid_from <= v->now && v->now < m->valid_to && (!*cur || m->key_number > (*cur)->key_number))
      *cur = m;
  }
  for (size_t i = 0; i < v->n_msks; i++) {
    const mbmsec_bmsc_msk_ref *m = &v->msks[i];
    if (m->key_group != group || m->key_number == MSK_KEYNUM_RESERVED || m->valid_from <= v->now)
      continue;
    if (*cur && m->key_number <= (*cur)->key_number) continue;
    if (!*next || m->key_number < (*next)->key_number) *next = m;
  }
}

unsigned mbmsec_bmsc_msk_item(const mbmsec_bmsc_view *v, const uint8_t kdid[KDID_LEN],
                              const uint8_t msk_id[MSK_ID_LEN], bool malformed,
                              mbmsec_bmsc_push push[2], size_t *n_push)
{
  *n_push = 0;
  if (malformed || !kdid || !msk_id) return 400;
  if (memcmp(kdid, v->kdid, KDID_LEN)) return 404;
  const uint16_t group = (uint16_t)((msk_id[0] << 8) | msk_id[1]);
  const uint16_t number = (uint16_t)((msk_id[2] << 8) | msk_id[3]);
  bool used = false, allowed = false;
  for (size_t i = 0; i < v->n_services; i++) {
    if (v->services[i].key_group != group) continue;
    used = true;
    allowed = allowed || v->subscribed(v->user, v->services[i].service_id);
  }
  if (!used) return 404;
  if (!allowed) return 401;
  const mbmsec_bmsc_msk_ref *cur, *next;
  current_next(v, group, &cur, &next);
  const mbmsec_bmsc_msk_ref *cand[2] = {cur, next};
  for (int i = 0; i < 2; i++)
    if (cand[i] && (number == MSK_KEYNUM_CURRENT || cand[i]->key_number > number))
      push[(*n_push)++] = (mbmsec_bmsc_push){group, cand[i]->key_number};
  if (*n_push) return 200;
  return number == MSK_KEYNUM_CURRENT ? 480 : MBMS_STATUS_NO_UPDATE;
}
