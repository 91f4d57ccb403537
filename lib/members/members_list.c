/* Listings without a cap: every service, every Key Group in use, the members (B-TIDs) of a
 * Key Group (include/mbmsec/members.h). The store's list callbacks may not call the store
 * again, so each listing collects first and reads on afterwards. */
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/members.h"

typedef struct {
  mbmsec_store_service *v;
  size_t n, cap;
} svc_vec;

static mbmsec_err svc_push(const mbmsec_store_service *s, void *arg)
{
  svc_vec *v = arg;
  if (v->n == v->cap) {
    size_t nc = v->cap ? v->cap * 2 : 16;
    mbmsec_store_service *p = realloc(v->v, nc * sizeof *p);
    ENSURE(p, MBMSEC_ERR_NOMEM);
    v->v = p;
    v->cap = nc;
  }
  v->v[v->n++] = *s;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_members_service_all(mbmsec_store *st, mbmsec_store_service **out, size_t *n)
{
  ENSURE(out && n, MBMSEC_ERR_ARG);
  *out = NULL;
  *n = 0;
  ENSURE(st, MBMSEC_ERR_ARG);
  svc_vec v = {0};
  mbmsec_err rc = mbmsec_store_service_list(st, svc_push, &v);
  if (rc != MBMSEC_OK) {
    free(v.v);
    return rc;
  }
  *out = v.v;
  *n = v.n;
  return MBMSEC_OK;
}

typedef struct {
  mbmsec_members_group_use g;
  size_t order; /* service order, then the group's place in it: the first use wins */
} group_ent;

static int group_cmp(const void *a, const void *b)
{
  const group_ent *x = a, *y = b;
  int c = memcmp(x->g.kdid, y->g.kdid, MBMSEC_KDID_LEN);
  if (c) return c;
  if (x->g.key_group != y->g.key_group) return x->g.key_group < y->g.key_group ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

mbmsec_err mbmsec_members_group_all(mbmsec_store *st, mbmsec_members_group_use **out, size_t *n)
{
  ENSURE(out && n, MBMSEC_ERR_ARG);
  *out = NULL;
  *n = 0;
  mbmsec_store_service *svc = NULL;
  size_t ns = 0, k = 0, cap = 0;
  group_ent *e = NULL;
  mbmsec_err rc = mbmsec_members_service_all(st, &svc, &ns);
  for (size_t i = 0; rc == MBMSEC_OK && i < ns; i++) {
    uint16_t groups[MBMSEC_MEMBERS_GROUPS_PER_SERVICE];
    size_t ng = 0;
    /* a service deleted meanwhile, or one with more groups than considered: skipped as the
     * membership decisions skip it */
    if (mbmsec_store_key_group_list(st, svc[i].service_id, groups,
                                    MBMSEC_MEMBERS_GROUPS_PER_SERVICE, &ng) != MBMSEC_OK)
      continue;
    if (k + ng > cap) {
      size_t nc = cap ? cap * 2 : 64;
      while (nc < k + ng) nc *= 2;
      group_ent *p = realloc(e, nc * sizeof *p);
      if (!p) {
        rc = MBMSEC_ERR_NOMEM;
        break;
      }
      e = p;
      cap = nc;
    }
    for (size_t g = 0; g < ng; g++, k++) {
      memcpy(e[k].g.kdid, svc[i].kdid, MBMSEC_KDID_LEN);
      e[k].g.key_group = groups[g];
      e[k].g.msk_lifetime = svc[i].msk_lifetime;
      e[k].order = k;
    }
  }
  free(svc);
  mbmsec_members_group_use *res = NULL;
  size_t m = 0;
  if (rc == MBMSEC_OK && k) {
    qsort(e, k, sizeof *e, group_cmp);
    res = malloc(k * sizeof *res);
    if (!res) rc = MBMSEC_ERR_NOMEM;
    for (size_t i = 0; res && i < k; i++)
      if (i == 0 || group_cmp(&(group_ent){e[i].g, 0}, &(group_ent){e[i - 1].g, 0}))
        res[m++] = e[i].g;
  }
  free(e);
  if (rc != MBMSEC_OK) {
    free(res);
    return rc;
  }
  *out = res;
  *n = m;
  return MBMSEC_OK;
}

typedef struct {
  char **b;
  size_t n, cap;
} btid_vec;

static mbmsec_err btid_push(const mbmsec_store_registration *reg, void *arg)
{
  btid_vec *v = arg;
  if (v->n == v->cap) {
    size_t nc = v->cap ? v->cap * 2 : 64;
    char **p = realloc(v->b, nc * sizeof *p);
    ENSURE(p, MBMSEC_ERR_NOMEM);
    v->b = p;
    v->cap = nc;
  }
  ENSURE((v->b[v->n] = strdup(reg->btid)) != NULL, MBMSEC_ERR_NOMEM);
  v->n++;
  return MBMSEC_OK;
}

static int str_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void mbmsec_members_btids_free(char **btids, size_t n)
{
  for (size_t i = 0; btids && i < n; i++) free(btids[i]);
  free(btids);
}

mbmsec_err mbmsec_members_group_btids(mbmsec_store *st, const uint8_t kdid[MBMSEC_KDID_LEN],
                                      uint16_t key_group, char ***out, size_t *n)
{
  ENSURE(out && n, MBMSEC_ERR_ARG);
  *out = NULL;
  *n = 0;
  ENSURE(st && kdid, MBMSEC_ERR_ARG);
  svc_vec s = {0};
  btid_vec all = {0};
  mbmsec_err rc =
      mbmsec_store_key_group_services(st, kdid, MBMSEC_KDID_LEN, key_group, svc_push, &s);
  for (size_t i = 0; rc == MBMSEC_OK && i < s.n; i++)
    rc = mbmsec_store_registration_list_by_service(st, s.v[i].service_id, btid_push, &all);
  free(s.v);
  if (rc != MBMSEC_OK) {
    mbmsec_members_btids_free(all.b, all.n);
    return rc;
  }
  if (all.n) qsort(all.b, all.n, sizeof *all.b, str_cmp);
  size_t m = 0;
  for (size_t i = 0; i < all.n; i++) {
    if (m && !strcmp(all.b[i], all.b[m - 1]))
      free(all.b[i]); /* one IMPI, two services */
    else
      all.b[m++] = all.b[i];
  }
  *out = all.b;
  *n = m;
  if (!m) {
    free(all.b);
    *out = NULL;
  }
  return MBMSEC_OK;
}

typedef struct {
  char (*ids)[MBMSEC_STORE_SERVICE_ID_MAX + 1];
  size_t n, cap;
} reg_ids;

static mbmsec_err reg_service(const mbmsec_store_registration *reg, void *arg)
{
  reg_ids *v = arg;
  if (v->n == v->cap) {
    size_t nc = v->cap ? v->cap * 2 : 4;
    void *p = realloc(v->ids, nc * sizeof *v->ids);
    ENSURE(p, MBMSEC_ERR_NOMEM);
    v->ids = p;
    v->cap = nc;
  }
  memcpy(v->ids[v->n++], reg->service_id, sizeof v->ids[0]);
  return MBMSEC_OK;
}

typedef struct {
  const reg_ids *regs;
  int found;
} in_group;

static mbmsec_err group_service_match(const mbmsec_store_service *s, void *arg)
{
  in_group *g = arg;
  for (size_t i = 0; i < g->regs->n && !g->found; i++)
    g->found = !strcmp(g->regs->ids[i], s->service_id);
  return MBMSEC_OK;
}

/* Two store reads whatever the number of services: the B-TID's registrations, then the
 * services of the group (rotation pushes ask this once per UE). */
mbmsec_err mbmsec_members_btid_in_group(mbmsec_store *st, const char *btid,
                                        const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t key_group,
                                        int *member)
{
  ENSURE(member, MBMSEC_ERR_ARG);
  *member = 0;
  ENSURE(st && btid && kdid, MBMSEC_ERR_ARG);
  reg_ids r = {0};
  in_group g = {&r, 0};
  mbmsec_err rc = mbmsec_store_registration_list_by_btid(st, btid, reg_service, &r);
  if (rc == MBMSEC_OK && r.n)
    rc = mbmsec_store_key_group_services(st, kdid, MBMSEC_KDID_LEN, key_group, group_service_match,
                                         &g);
  free(r.ids);
  *member = rc == MBMSEC_OK && g.found;
  return rc;
}
