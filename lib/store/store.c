/* The store's front: URI dispatch to a backend and every argument check, so that all
 * backends refuse the same inputs with the same codes before anything is written. */
#include <string.h>

#include "guard.h"
#include "store_impl.h"
#include "mbmsec/keyid.h"

/* ---- input checks ---- */

/* 1..max octets of printable ASCII without space (0x21..0x7E), NUL within max + 1. */
static int printable_id(const char *s, size_t max)
{
  size_t n = strnlen(s, max + 1);
  if (n == 0 || n > max) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x21 || c > 0x7E) return 0;
  }
  return 1;
}

static mbmsec_err check_impi(const char *impi)
{
  ENSURE(impi != NULL, MBMSEC_ERR_ARG);
  ENSURE(printable_id(impi, MBMSEC_STORE_IMPI_MAX), MBMSEC_ERR_STORE_IMPI);
  return MBMSEC_OK;
}

static mbmsec_err check_btid(const char *btid)
{
  ENSURE(btid != NULL, MBMSEC_ERR_ARG);
  ENSURE(printable_id(btid, MBMSEC_STORE_BTID_MAX), MBMSEC_ERR_STORE_BTID);
  return MBMSEC_OK;
}

/* "" or GSID ("," GSID)*, GSID a decimal 0..4294967295 without leading zeros, at most
 * MBMSEC_STORE_USS_MAX octets. NULL is taken as "". */
static mbmsec_err check_uss(const char *uss)
{
  if (uss == NULL) return MBMSEC_OK;
  size_t n = strnlen(uss, MBMSEC_STORE_USS_MAX + 1);
  ENSURE(n <= MBMSEC_STORE_USS_MAX, MBMSEC_ERR_STORE_USS);
  size_t i = 0;
  while (i < n) {
    size_t start = i;
    uint64_t v = 0;
    while (i < n && uss[i] >= '0' && uss[i] <= '9') {
      v = v * 10 + (uint64_t)(uss[i] - '0');
      ENSURE(v <= UINT32_MAX, MBMSEC_ERR_STORE_USS);
      i++;
    }
    ENSURE(i > start, MBMSEC_ERR_STORE_USS);                             /* empty element */
    ENSURE(!(uss[start] == '0' && i - start > 1), MBMSEC_ERR_STORE_USS); /* leading zero */
    if (i == n) break;
    ENSURE(uss[i] == ',' && i + 1 < n, MBMSEC_ERR_STORE_USS); /* trailing comma */
    i++;
  }
  return MBMSEC_OK;
}

static mbmsec_err check_name(const char *name)
{
  ENSURE(name != NULL, MBMSEC_ERR_ARG);
  ENSURE(printable_id(name, MBMSEC_STORE_COUNTER_NAME_MAX), MBMSEC_ERR_STORE_NAME);
  return MBMSEC_OK;
}

int mbmsec_store_uss_has_gsid(const char *uss, uint32_t gsid)
{
  if (uss == NULL || check_uss(uss) != MBMSEC_OK) return 0;
  const char *p = uss;
  while (*p != '\0') {
    uint64_t v = 0;
    while (*p >= '0' && *p <= '9') v = v * 10 + (uint64_t)(*p++ - '0');
    if (v == gsid) return 1;
    if (*p == ',') p++;
  }
  return 0;
}

/* ---- open and close ---- */

/* "scheme://" at the start: 1 and the scheme length in *slen. */
static int has_scheme(const char *uri, size_t *slen)
{
  size_t i = 0;
  if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z'))) return 0;
  while ((uri[i] >= 'a' && uri[i] <= 'z') || (uri[i] >= 'A' && uri[i] <= 'Z') ||
         (uri[i] >= '0' && uri[i] <= '9') || uri[i] == '+' || uri[i] == '-' || uri[i] == '.')
    i++;
  if (uri[i] != ':' || uri[i + 1] != '/' || uri[i + 2] != '/') return 0;
  *slen = i;
  return 1;
}

mbmsec_err mbmsec_store_open(const char *uri, mbmsec_store **out)
{
  ENSURE(out != NULL, MBMSEC_ERR_ARG);
  *out = NULL;
  ENSURE(uri != NULL, MBMSEC_ERR_ARG);
  size_t n = strnlen(uri, MBMSEC_STORE_URI_MAX + 1);
  ENSURE(n > 0 && n <= MBMSEC_STORE_URI_MAX, MBMSEC_ERR_ARG);

  static const char sqlite_prefix[] = "sqlite:";
  const char *path = uri;
  size_t slen;
  if (strncmp(uri, sqlite_prefix, sizeof sqlite_prefix - 1) == 0) {
    path = uri + sizeof sqlite_prefix - 1;
    if (path[0] == '/' && path[1] == '/') path += 2; /* sqlite:///abs/file.db */
  } else if (has_scheme(uri, &slen)) {
    /* postgresql://, postgres:// and anything else with an authority: no such backend built. */
    return MBMSEC_ERR_STORE_BACKEND;
  }
  ENSURE(path[0] != '\0', MBMSEC_ERR_ARG);
  return mbmsec_store_sqlite_open(path, out);
}

mbmsec_err mbmsec_store_batch_begin(mbmsec_store *st)
{
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  return st->ops->batch(st, 0);
}

mbmsec_err mbmsec_store_batch_commit(mbmsec_store *st)
{
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  return st->ops->batch(st, 1);
}

void mbmsec_store_batch_rollback(mbmsec_store *st)
{
  if (st != NULL) (void)st->ops->batch(st, 2);
}

mbmsec_err mbmsec_store_owner_lock(mbmsec_store *st, long *pid)
{
  long ignored = 0;
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  return st->ops->owner_lock(st, pid ? pid : &ignored);
}

void mbmsec_store_close(mbmsec_store *st)
{
  if (st != NULL) st->ops->close(st);
}

const char *mbmsec_store_backend(const mbmsec_store *st)
{
  return st != NULL ? st->ops->name : "none";
}

const char *mbmsec_store_errmsg(const mbmsec_store *st)
{
  return st != NULL ? st->ops->errmsg(st) : "";
}

mbmsec_err mbmsec_store_schema_version(mbmsec_store *st, uint32_t *version)
{
  ENSURE(st != NULL && version != NULL, MBMSEC_ERR_ARG);
  return st->ops->schema_version(st, version);
}

mbmsec_err mbmsec_store_data_version(mbmsec_store *st, uint64_t *version)
{
  ENSURE(st != NULL && version != NULL, MBMSEC_ERR_ARG);
  return st->ops->data_version(st, version);
}

/* ---- subscribers ---- */

mbmsec_err mbmsec_store_subscriber_add(mbmsec_store *st, const mbmsec_store_subscriber_in *sub)
{
  ENSURE(st != NULL && sub != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(sub->impi));
  ENSURE(sub->k != NULL && sub->opc != NULL && sub->amf != NULL, MBMSEC_ERR_ARG);
  ENSURE(sub->k_len == MBMSEC_STORE_K_LEN, MBMSEC_ERR_LENGTH);
  ENSURE(sub->opc_len == MBMSEC_STORE_OPC_LEN, MBMSEC_ERR_LENGTH);
  ENSURE(sub->amf_len == MBMSEC_STORE_AMF_LEN, MBMSEC_ERR_LENGTH);
  ENSURE(sub->sqn <= MBMSEC_STORE_SQN_MAX, MBMSEC_ERR_SQN_RANGE);
  GUARD(check_uss(sub->uss));
  return st->ops->subscriber_add(st, sub);
}

mbmsec_err mbmsec_store_subscriber_get(mbmsec_store *st, const char *impi,
                                       mbmsec_store_subscriber *out)
{
  ENSURE(out != NULL, MBMSEC_ERR_ARG);
  memset(out, 0, sizeof *out);
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(impi));
  return st->ops->subscriber_get(st, impi, out);
}

mbmsec_err mbmsec_store_subscriber_amf_mode(mbmsec_store *st, uint8_t amf[2], int *found)
{
  ENSURE(st != NULL && amf != NULL && found != NULL, MBMSEC_ERR_ARG);
  *found = 0;
  return st->ops->subscriber_amf_mode(st, amf, found);
}

mbmsec_err mbmsec_store_subscriber_list(mbmsec_store *st, mbmsec_store_subscriber_cb cb, void *arg)
{
  ENSURE(st != NULL && cb != NULL, MBMSEC_ERR_ARG);
  return st->ops->subscriber_list(st, cb, arg);
}

mbmsec_err mbmsec_store_subscriber_delete(mbmsec_store *st, const char *impi)
{
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(impi));
  return st->ops->subscriber_delete(st, impi);
}

mbmsec_err mbmsec_store_subscriber_sqn_cas(mbmsec_store *st, const char *impi, uint64_t expected,
                                           uint64_t new_sqn)
{
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(impi));
  ENSURE(expected <= MBMSEC_STORE_SQN_MAX && new_sqn <= MBMSEC_STORE_SQN_MAX, MBMSEC_ERR_SQN_RANGE);
  return st->ops->subscriber_sqn_cas(st, impi, expected, new_sqn);
}

mbmsec_err mbmsec_store_subscriber_set_uss(mbmsec_store *st, const char *impi, const char *uss)
{
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(impi));
  GUARD(check_uss(uss));
  return st->ops->subscriber_set_uss(st, impi, uss != NULL ? uss : "");
}

/* ---- bootstrap records ---- */

mbmsec_err mbmsec_store_bootstrap_put(mbmsec_store *st, const mbmsec_store_bootstrap_in *bs)
{
  ENSURE(st != NULL && bs != NULL, MBMSEC_ERR_ARG);
  GUARD(check_btid(bs->btid));
  GUARD(check_impi(bs->impi));
  ENSURE(bs->ks != NULL && bs->rand != NULL, MBMSEC_ERR_ARG);
  ENSURE(bs->ks_len == MBMSEC_STORE_KS_LEN, MBMSEC_ERR_LENGTH);
  ENSURE(bs->rand_len == MBMSEC_STORE_RAND_LEN, MBMSEC_ERR_LENGTH);
  ENSURE(bs->expires > bs->created, MBMSEC_ERR_STORE_LIFETIME);
  return st->ops->bootstrap_put(st, bs);
}

mbmsec_err mbmsec_store_bootstrap_get(mbmsec_store *st, const char *btid,
                                      mbmsec_store_bootstrap *out)
{
  ENSURE(out != NULL, MBMSEC_ERR_ARG);
  memset(out, 0, sizeof *out);
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_btid(btid));
  return st->ops->bootstrap_get(st, btid, out);
}

mbmsec_err mbmsec_store_bootstrap_delete(mbmsec_store *st, const char *btid)
{
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_btid(btid));
  return st->ops->bootstrap_delete(st, btid);
}

mbmsec_err mbmsec_store_bootstrap_purge(mbmsec_store *st, int64_t now, uint64_t *purged)
{
  uint64_t dummy;
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  return st->ops->bootstrap_purge(st, now, purged != NULL ? purged : &dummy);
}

/* ---- counters ---- */

mbmsec_err mbmsec_store_counter_reserve(mbmsec_store *st, const char *name, uint64_t block,
                                        uint64_t max, uint64_t *first)
{
  ENSURE(first != NULL, MBMSEC_ERR_ARG);
  *first = 0;
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_name(name));
  ENSURE(block >= 1 && max >= 1 && max <= MBMSEC_STORE_COUNTER_MAX, MBMSEC_ERR_ARG);
  ENSURE(block <= max, MBMSEC_ERR_STORE_COUNTER_RANGE);
  return st->ops->counter_reserve(st, name, block, max, first);
}

mbmsec_err mbmsec_store_ctr_reserve(mbmsec_store *st, mbmsec_store_ctr *c, uint64_t block,
                                    uint64_t max, mbmsec_store_ctr_name_fn name, void *arg)
{
  ENSURE(st != NULL && c != NULL && name != NULL, MBMSEC_ERR_ARG);
  char n[MBMSEC_STORE_COUNTER_NAME_MAX + 1];
  uint64_t first = 0;
  GUARD(name(arg, n));
  /* durable (committed and synced) before the first value of the block leaves */
  GUARD(mbmsec_store_counter_reserve(st, n, block, max, &first));
  c->next = first;
  c->end = first + block;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_store_ctr_next(mbmsec_store *st, mbmsec_store_ctr *c, uint64_t block,
                                 uint64_t max, mbmsec_store_ctr_name_fn name, void *arg,
                                 uint64_t *value)
{
  ENSURE(c != NULL && value != NULL, MBMSEC_ERR_ARG);
  if (c->next >= c->end) GUARD(mbmsec_store_ctr_reserve(st, c, block, max, name, arg));
  *value = c->next++;
  return MBMSEC_OK;
}

/* ---- BM-SC membership ---- */

static mbmsec_err check_service_id(const char *id)
{
  ENSURE(id != NULL, MBMSEC_ERR_ARG);
  ENSURE(printable_id(id, MBMSEC_STORE_SERVICE_ID_MAX), MBMSEC_ERR_STORE_SERVICE_ID);
  return MBMSEC_OK;
}

static mbmsec_err check_kdid(const uint8_t *kdid, size_t len)
{
  ENSURE(kdid != NULL, MBMSEC_ERR_ARG);
  ENSURE(len == MBMSEC_STORE_KDID_LEN, MBMSEC_ERR_LENGTH);
  return MBMSEC_OK;
}

static mbmsec_err check_msk_id(const uint8_t *msk_id, size_t len)
{
  ENSURE(msk_id != NULL, MBMSEC_ERR_ARG);
  ENSURE(len == MBMSEC_STORE_MSK_ID_LEN, MBMSEC_ERR_LENGTH);
  ENSURE(mbmsec_msk_id_keynum(msk_id) != MBMSEC_MSK_KEYNUM_RESERVED,
         MBMSEC_ERR_STORE_MSK_ID); /* P5 */
  return MBMSEC_OK;
}

mbmsec_err mbmsec_store_service_add(mbmsec_store *st, const mbmsec_store_service_in *svc)
{
  ENSURE(st != NULL && svc != NULL, MBMSEC_ERR_ARG);
  GUARD(check_service_id(svc->service_id));
  GUARD(check_kdid(svc->kdid, svc->kdid_len));
  ENSURE(svc->msk_lifetime >= 1, MBMSEC_ERR_STORE_VALIDITY);
  return st->ops->service_add(st, svc);
}

mbmsec_err mbmsec_store_service_get(mbmsec_store *st, const char *service_id,
                                    mbmsec_store_service *out)
{
  ENSURE(out != NULL, MBMSEC_ERR_ARG);
  memset(out, 0, sizeof *out);
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_service_id(service_id));
  return st->ops->service_get(st, service_id, out);
}

mbmsec_err mbmsec_store_service_list(mbmsec_store *st, mbmsec_store_service_cb cb, void *arg)
{
  ENSURE(st != NULL && cb != NULL, MBMSEC_ERR_ARG);
  return st->ops->service_list(st, cb, arg);
}

mbmsec_err mbmsec_store_service_delete(mbmsec_store *st, const char *service_id)
{
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_service_id(service_id));
  return st->ops->service_delete(st, service_id);
}

mbmsec_err mbmsec_store_key_group_add(mbmsec_store *st, const char *service_id, uint16_t key_group)
{
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_service_id(service_id));
  return st->ops->key_group_add(st, service_id, key_group);
}

mbmsec_err mbmsec_store_key_group_list(mbmsec_store *st, const char *service_id, uint16_t *groups,
                                       size_t cap, size_t *n)
{
  ENSURE(n != NULL, MBMSEC_ERR_ARG);
  *n = 0;
  ENSURE(st != NULL && (groups != NULL || cap == 0), MBMSEC_ERR_ARG);
  GUARD(check_service_id(service_id));
  return st->ops->key_group_list(st, service_id, groups, cap, n);
}

mbmsec_err mbmsec_store_key_group_services(mbmsec_store *st, const uint8_t *kdid, size_t kdid_len,
                                           uint16_t key_group, mbmsec_store_service_cb cb,
                                           void *arg)
{
  ENSURE(st != NULL && cb != NULL, MBMSEC_ERR_ARG);
  GUARD(check_kdid(kdid, kdid_len));
  return st->ops->key_group_services(st, kdid, key_group, cb, arg);
}

mbmsec_err mbmsec_store_msk_put(mbmsec_store *st, const mbmsec_store_msk_in *msk)
{
  ENSURE(st != NULL && msk != NULL, MBMSEC_ERR_ARG);
  GUARD(check_kdid(msk->kdid, msk->kdid_len));
  GUARD(check_msk_id(msk->msk_id, msk->msk_id_len));
  ENSURE(msk->key != NULL, MBMSEC_ERR_ARG);
  ENSURE(msk->key_len == MBMSEC_STORE_MSK_LEN, MBMSEC_ERR_LENGTH);
  ENSURE(msk->valid_to > msk->valid_from && msk->vf <= msk->vt, MBMSEC_ERR_STORE_VALIDITY);
  return st->ops->msk_put(st, msk);
}

mbmsec_err mbmsec_store_msk_get(mbmsec_store *st, const uint8_t *kdid, size_t kdid_len,
                                const uint8_t *msk_id, size_t msk_id_len, mbmsec_store_msk *out)
{
  ENSURE(out != NULL, MBMSEC_ERR_ARG);
  memset(out, 0, sizeof *out);
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_kdid(kdid, kdid_len));
  GUARD(check_msk_id(msk_id, msk_id_len));
  return st->ops->msk_get(st, kdid, msk_id, out);
}

mbmsec_err mbmsec_store_msk_list(mbmsec_store *st, const uint8_t *kdid, size_t kdid_len,
                                 uint16_t key_group, mbmsec_store_msk *out, size_t cap, size_t *n,
                                 size_t *total)
{
  size_t dummy;
  ENSURE(n != NULL, MBMSEC_ERR_ARG);
  *n = 0;
  if (total != NULL) *total = 0;
  ENSURE(out != NULL || cap == 0, MBMSEC_ERR_ARG);
  ENSURE(cap <= SIZE_MAX / sizeof *out, MBMSEC_ERR_ARG);
  if (cap > 0) memset(out, 0, cap * sizeof *out);
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_kdid(kdid, kdid_len));
  return st->ops->msk_list(st, kdid, key_group, out, cap, n, total != NULL ? total : &dummy);
}

mbmsec_err mbmsec_store_msk_delete(mbmsec_store *st, const uint8_t *kdid, size_t kdid_len,
                                   const uint8_t *msk_id, size_t msk_id_len)
{
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_kdid(kdid, kdid_len));
  GUARD(check_msk_id(msk_id, msk_id_len));
  return st->ops->msk_delete(st, kdid, msk_id);
}

mbmsec_err mbmsec_store_subscription_grant(mbmsec_store *st, const char *impi,
                                           const char *service_id)
{
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(impi));
  GUARD(check_service_id(service_id));
  return st->ops->subscription_grant(st, impi, service_id);
}

mbmsec_err mbmsec_store_subscription_revoke(mbmsec_store *st, const char *impi,
                                            const char *service_id)
{
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(impi));
  GUARD(check_service_id(service_id));
  return st->ops->subscription_revoke(st, impi, service_id);
}

mbmsec_err mbmsec_store_subscription_check(mbmsec_store *st, const char *impi,
                                           const char *service_id, int *granted)
{
  ENSURE(granted != NULL, MBMSEC_ERR_ARG);
  *granted = 0;
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(impi));
  GUARD(check_service_id(service_id));
  mbmsec_err rc = st->ops->subscription_check(st, impi, service_id, granted);
  if (rc != MBMSEC_OK) *granted = 0;
  return rc;
}

mbmsec_err mbmsec_store_subscription_list(mbmsec_store *st, const char *impi,
                                          mbmsec_store_service_cb cb, void *arg)
{
  ENSURE(st != NULL && cb != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(impi));
  return st->ops->subscription_list(st, impi, cb, arg);
}

mbmsec_err mbmsec_store_registration_put(mbmsec_store *st, const mbmsec_store_registration_in *reg)
{
  ENSURE(st != NULL && reg != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(reg->impi));
  GUARD(check_btid(reg->btid));
  GUARD(check_service_id(reg->service_id));
  ENSURE(reg->ue_addr != NULL, MBMSEC_ERR_ARG);
  ENSURE(printable_id(reg->ue_addr, MBMSEC_STORE_UE_ADDR_MAX), MBMSEC_ERR_STORE_UE_ADDR);
  return st->ops->registration_put(st, reg);
}

mbmsec_err mbmsec_store_registration_get(mbmsec_store *st, const char *impi, const char *service_id,
                                         mbmsec_store_registration *out)
{
  ENSURE(out != NULL, MBMSEC_ERR_ARG);
  memset(out, 0, sizeof *out);
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(impi));
  GUARD(check_service_id(service_id));
  return st->ops->registration_get(st, impi, service_id, out);
}

mbmsec_err mbmsec_store_registration_delete(mbmsec_store *st, const char *impi,
                                            const char *service_id)
{
  ENSURE(st != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(impi));
  GUARD(check_service_id(service_id));
  return st->ops->registration_delete(st, impi, service_id);
}

mbmsec_err mbmsec_store_registration_list_by_service(mbmsec_store *st, const char *service_id,
                                                     mbmsec_store_registration_cb cb, void *arg)
{
  ENSURE(st != NULL && cb != NULL, MBMSEC_ERR_ARG);
  GUARD(check_service_id(service_id));
  return st->ops->registration_list(st, 0, service_id, cb, arg);
}

mbmsec_err mbmsec_store_registration_list_by_impi(mbmsec_store *st, const char *impi,
                                                  mbmsec_store_registration_cb cb, void *arg)
{
  ENSURE(st != NULL && cb != NULL, MBMSEC_ERR_ARG);
  GUARD(check_impi(impi));
  return st->ops->registration_list(st, 1, impi, cb, arg);
}

mbmsec_err mbmsec_store_registration_list_by_btid(mbmsec_store *st, const char *btid,
                                                  mbmsec_store_registration_cb cb, void *arg)
{
  ENSURE(st != NULL && cb != NULL, MBMSEC_ERR_ARG);
  GUARD(check_btid(btid));
  return st->ops->registration_list(st, 2, btid, cb, arg);
}
