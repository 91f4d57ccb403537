/* The UE's MIKEY receiver state (profile P11, O4, O5). */
#include "mbmsec/mikey_state.h"

#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/buf.h"
#include "mbmsec/crypto.h"
#include "mbmsec/keyid.h"

typedef struct {
  uint8_t used;
  uint8_t idi_len, idr_len;
  uint8_t idi[MBMSEC_MIKEY_ID_MAX], idr[MBMSEC_MIKEY_ID_MAX];
  uint32_t counter;
} muk_ent;

typedef struct {
  uint8_t used;
  uint16_t keynum;
  uint8_t key[MBMSEC_MBMS_MSK_LEN];
  uint16_t vf, vt;
  uint32_t counter;
  uint8_t has_last;
  uint16_t last_mtk;
} msk_ent;

typedef struct {
  uint8_t used;
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint16_t key_group;
  msk_ent msk[MBMSEC_MSK_PER_KEY_GROUP];
} group_ent;

struct mbmsec_mikey_state {
  muk_ent muk[MBMSEC_MIKEY_STATE_MAX_MUKS];
  group_ent grp[MBMSEC_MIKEY_STATE_MAX_GROUPS];
};

static void *(*g_alloc)(size_t) = malloc;
static void (*g_free)(void *) = free;

void mbmsec_mikey_state_set_allocator(void *(*alloc_fn)(size_t), void (*free_fn)(void *))
{
  g_alloc = alloc_fn ? alloc_fn : malloc;
  g_free = free_fn ? free_fn : free;
}

static mbmsec_mikey_state *st_alloc(void)
{
  mbmsec_mikey_state *st = g_alloc(sizeof *st);
  if (st) memset(st, 0, sizeof *st);
  return st;
}

void mbmsec_mikey_state_free(mbmsec_mikey_state *st)
{
  if (!st) return;
  mbmsec_cleanse(st, sizeof *st);
  g_free(st);
}

mbmsec_mikey_state *mbmsec_mikey_state_new(void) { return st_alloc(); }

static muk_ent *find_muk(const mbmsec_mikey_state *st, const uint8_t *idi, size_t idi_len,
                         const uint8_t *idr, size_t idr_len)
{
  for (size_t i = 0; i < MBMSEC_MIKEY_STATE_MAX_MUKS; i++) {
    const muk_ent *e = &st->muk[i];
    if (e->used && e->idi_len == idi_len && e->idr_len == idr_len &&
        memcmp(e->idi, idi, idi_len) == 0 && memcmp(e->idr, idr, idr_len) == 0)
      return (muk_ent *)e;
  }
  return NULL;
}

static group_ent *find_group(const mbmsec_mikey_state *st, const uint8_t *kdid, uint16_t key_group)
{
  for (size_t i = 0; i < MBMSEC_MIKEY_STATE_MAX_GROUPS; i++) {
    const group_ent *g = &st->grp[i];
    if (g->used && g->key_group == key_group && memcmp(g->kdid, kdid, MBMSEC_KDID_LEN) == 0)
      return (group_ent *)g;
  }
  return NULL;
}

static msk_ent *find_msk(group_ent *g, uint16_t keynum)
{
  for (size_t i = 0; g && i < MBMSEC_MSK_PER_KEY_GROUP; i++)
    if (g->msk[i].used && g->msk[i].keynum == keynum) return &g->msk[i];
  return NULL;
}

/* Largest stored key number of the group, 0 when none. */
static uint16_t max_keynum(const group_ent *g)
{
  uint16_t k = 0;
  for (size_t i = 0; g && i < MBMSEC_MSK_PER_KEY_GROUP; i++)
    if (g->msk[i].used && g->msk[i].keynum > k) k = g->msk[i].keynum;
  return k;
}

/* Working copy of the state, committed with commit(). */
static mbmsec_mikey_state *dup_state(const mbmsec_mikey_state *st)
{
  mbmsec_mikey_state *w = g_alloc(sizeof *w);
  if (w) memcpy(w, st, sizeof *w);
  return w;
}

static void commit(mbmsec_mikey_state *st, mbmsec_mikey_state *w) { memcpy(st, w, sizeof *st); }

/* ---------------------------------------------------------------- MSK messages */

typedef struct {
  const mbmsec_mikey_state *st;
  mbmsec_mikey_muk_cb cb;
  void *ctx;
  uint8_t muk[MBMSEC_MIKEY_PSK_MAX]; /* kept for the verification message */
  size_t muk_len;
} msk_cb_ctx;

static mbmsec_err msk_key_cb(void *vctx, const mbmsec_mikey_key_ref *ref, mbmsec_mikey_psk *out)
{
  msk_cb_ctx *c = vctx;
  const muk_ent *e;
  size_t n = 0;
  ENSURE(ref->kind == MBMSEC_MIKEY_KEY_MUK, MBMSEC_ERR_ARG);
  GUARD(
      c->cb(c->ctx, ref->idi, ref->idi_len, ref->idr, ref->idr_len, out->key, sizeof out->key, &n));
  ENSURE(n >= 1 && n <= sizeof out->key, MBMSEC_ERR_ARG);
  out->key_len = n;
  memcpy(c->muk, out->key, n);
  c->muk_len = n;
  e = find_muk(c->st, ref->idi, ref->idi_len, ref->idr, ref->idr_len);
  out->counter = e ? e->counter : 0;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_mikey_state_accept_msk(mbmsec_mikey_state *st, const uint8_t *msg, size_t len,
                                         mbmsec_mikey_muk_cb muk_cb, void *ctx,
                                         const mbmsec_mikey_opts *opts,
                                         mbmsec_mikey_msk_result *res)
{
  mbmsec_mikey_state *w = NULL;
  msk_cb_ctx c;
  mbmsec_mikey_msk_info *info;
  muk_ent *me;
  mbmsec_err rc;

  ENSURE(st != NULL && msg != NULL && muk_cb != NULL && res != NULL, MBMSEC_ERR_ARG);
  memset(res, 0, sizeof *res);
  memset(&c, 0, sizeof c);
  info = &res->info;
  c.st = st;
  c.cb = muk_cb;
  c.ctx = ctx;
  GUARD_OUT(mbmsec_mikey_msk_verify(msg, len, msk_key_cb, &c, opts, info));
  w = dup_state(st);
  ENSURE_OUT(w != NULL, MBMSEC_ERR_NOMEM);

  /* Per-MUK counter (P11); every accepted message, key delivery or pull (O5), stores it. */
  me = find_muk(w, info->idi, info->idi_len, info->idr, info->idr_len);
  if (!me) {
    for (size_t i = 0; i < MBMSEC_MIKEY_STATE_MAX_MUKS && !me; i++)
      if (!w->muk[i].used) me = &w->muk[i];
    ENSURE_OUT(me != NULL, MBMSEC_ERR_MIKEY_STATE_FULL);
    me->used = 1;
    me->idi_len = (uint8_t)info->idi_len;
    me->idr_len = (uint8_t)info->idr_len;
    memcpy(me->idi, info->idi, info->idi_len);
    memcpy(me->idr, info->idr, info->idr_len);
  }
  me->counter = info->counter;

  if (info->pull) {
    res->outcome = MBMSEC_MIKEY_MSK_PULL;
  } else {
    uint16_t kg = mbmsec_msk_id_group(info->msk_id), kn = mbmsec_msk_id_keynum(info->msk_id);
    group_ent *g = find_group(w, info->kdid, kg);
    msk_ent *e = find_msk(g, kn);
    if (e) {
      /* O4: identical re-delivery after a lost verification. */
      ENSURE_OUT(mbmsec_ct_equal(e->key, info->msk, MBMSEC_MBMS_MSK_LEN) && e->vf == info->vf &&
                     e->vt == info->vt,
                 MBMSEC_ERR_MIKEY_MSK_CONFLICT);
      res->outcome = MBMSEC_MIKEY_MSK_DUPLICATE;
    } else {
      ENSURE_OUT(kn > max_keynum(g), MBMSEC_ERR_MIKEY_KEYNUM_OLD);
      if (!g) {
        for (size_t i = 0; i < MBMSEC_MIKEY_STATE_MAX_GROUPS && !g; i++)
          if (!w->grp[i].used) g = &w->grp[i];
        ENSURE_OUT(g != NULL, MBMSEC_ERR_MIKEY_STATE_FULL);
        memset(g, 0, sizeof *g);
        g->used = 1;
        memcpy(g->kdid, info->kdid, MBMSEC_KDID_LEN);
        g->key_group = kg;
      }
      for (size_t i = 0; i < MBMSEC_MSK_PER_KEY_GROUP && !e; i++)
        if (!g->msk[i].used) e = &g->msk[i];
      if (!e) { /* full: drop the lowest key number */
        e = &g->msk[0];
        for (size_t i = 1; i < MBMSEC_MSK_PER_KEY_GROUP; i++)
          if (g->msk[i].keynum < e->keynum) e = &g->msk[i];
        res->dropped = 1;
        mbmsec_msk_id_pack(kg, e->keynum, res->dropped_msk_id);
      }
      mbmsec_cleanse(e, sizeof *e);
      e->used = 1;
      e->keynum = kn;
      memcpy(e->key, info->msk, MBMSEC_MBMS_MSK_LEN);
      e->vf = info->vf;
      e->vt = info->vt;
      res->outcome = MBMSEC_MIKEY_MSK_NEW;
    }
  }
  if (info->v_flag)
    GUARD_OUT(
        mbmsec_mikey_ver_build(info, c.muk, c.muk_len, res->ver, sizeof res->ver, &res->ver_len));
  commit(st, w);
  rc = MBMSEC_OK;
out:
  if (w) {
    mbmsec_cleanse(w, sizeof *w);
    g_free(w);
  }
  mbmsec_cleanse(c.muk, sizeof c.muk);
  if (rc != MBMSEC_OK) mbmsec_cleanse(res, sizeof *res);
  return rc;
}

/* ---------------------------------------------------------------- MTK messages */

static mbmsec_err mtk_key_cb(void *vctx, const mbmsec_mikey_key_ref *ref, mbmsec_mikey_psk *out)
{
  const mbmsec_mikey_state *st = vctx;
  uint16_t kg, kn;
  group_ent *g;
  const msk_ent *e;
  ENSURE(ref->kind == MBMSEC_MIKEY_KEY_MSK, MBMSEC_ERR_ARG);
  kg = mbmsec_msk_id_group(ref->msk_id);
  kn = mbmsec_msk_id_keynum(ref->msk_id);
  g = find_group(st, ref->kdid, kg);
  e = find_msk(g, kn);
  if (!e) {
    if (kn != MBMSEC_MSK_KEYNUM_RESERVED && kn > max_keynum(g)) return MBMSEC_ERR_MIKEY_MISSED_MSK;
    return MBMSEC_ERR_MIKEY_UNKNOWN_MSK;
  }
  memcpy(out->key, e->key, MBMSEC_MBMS_MSK_LEN);
  out->key_len = MBMSEC_MBMS_MSK_LEN;
  out->counter = e->counter;
  out->vf = e->vf;
  out->vt = e->vt;
  out->has_last_mtk = e->has_last;
  out->last_mtk_id = e->last_mtk;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_mikey_state_accept_mtk(mbmsec_mikey_state *st, const uint8_t *msg, size_t len,
                                         const mbmsec_mikey_opts *opts, mbmsec_mikey_mtk_info *res)
{
  mbmsec_mikey_state *w = NULL;
  msk_ent *e;
  mbmsec_err rc;
  ENSURE(st != NULL && msg != NULL && res != NULL, MBMSEC_ERR_ARG);
  GUARD_OUT(mbmsec_mikey_mtk_verify(msg, len, mtk_key_cb, st, opts, res));
  w = dup_state(st);
  ENSURE_OUT(w != NULL, MBMSEC_ERR_NOMEM);
  e = find_msk(find_group(w, res->kdid, mbmsec_msk_id_group(res->msk_id)),
               mbmsec_msk_id_keynum(res->msk_id));
  ENSURE_OUT(e != NULL, MBMSEC_ERR_MIKEY_UNKNOWN_MSK); /* cannot happen: verify found it */
  e->counter = res->counter;
  e->has_last = 1;
  e->last_mtk = res->mtk_id;
  commit(st, w);
  rc = MBMSEC_OK;
out:
  if (w) {
    mbmsec_cleanse(w, sizeof *w);
    g_free(w);
  }
  if (rc != MBMSEC_OK) mbmsec_mikey_mtk_info_cleanse(res);
  return rc;
}

/* ---------------------------------------------------------------- queries */

mbmsec_err mbmsec_mikey_state_get_msk(const mbmsec_mikey_state *st,
                                      const uint8_t kdid[MBMSEC_KDID_LEN],
                                      const uint8_t msk_id[MBMSEC_MSK_ID_LEN],
                                      mbmsec_mikey_msk_entry *out)
{
  const msk_ent *e;
  ENSURE(st != NULL && kdid != NULL && msk_id != NULL && out != NULL, MBMSEC_ERR_ARG);
  memset(out, 0, sizeof *out);
  e = find_msk(find_group(st, kdid, mbmsec_msk_id_group(msk_id)), mbmsec_msk_id_keynum(msk_id));
  ENSURE(e != NULL, MBMSEC_ERR_MIKEY_UNKNOWN_MSK);
  memcpy(out->key, e->key, MBMSEC_MBMS_MSK_LEN);
  out->vf = e->vf;
  out->vt = e->vt;
  out->counter = e->counter;
  out->has_last_mtk = e->has_last;
  out->last_mtk_id = e->last_mtk;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_mikey_state_muk_counter(const mbmsec_mikey_state *st, const uint8_t *idi,
                                          size_t idi_len, const uint8_t *idr, size_t idr_len,
                                          uint32_t *counter)
{
  const muk_ent *e;
  ENSURE(st != NULL && idi != NULL && idr != NULL && counter != NULL, MBMSEC_ERR_ARG);
  e = find_muk(st, idi, idi_len, idr, idr_len);
  *counter = e ? e->counter : 0;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_mikey_state_forget_muk(mbmsec_mikey_state *st, const uint8_t *idi, size_t idi_len,
                                         const uint8_t *idr, size_t idr_len)
{
  muk_ent *e;
  ENSURE(st != NULL && idi != NULL && idr != NULL, MBMSEC_ERR_ARG);
  e = find_muk(st, idi, idi_len, idr, idr_len);
  if (e) memset(e, 0, sizeof *e);
  return MBMSEC_OK;
}

/* ---------------------------------------------------------------- persistence
 *
 * "MBMK" | version(1) | #MUK(1) | #groups(1) | 00
 * #MUK x   { idi_len(1) idi | idr_len(1) idr | counter(4) }
 * #groups x { KDID(3) | Key Group(2) | #MSK(1) |
 *             #MSK x { key number(2) | key(16) | VF(2) | VT(2) | counter(4) | has_last(1) | last MTK ID(2) } }
 * SHA-256 of everything before (32).
 * Entries appear in slot order; deserialising packs them into the first slots.
 */
static const uint8_t magic[4] = {'M', 'B', 'M', 'K'};
#define SER_HASH_LEN 32

mbmsec_err mbmsec_mikey_state_serialize(const mbmsec_mikey_state *st, uint8_t *out, size_t cap,
                                        size_t *out_len)
{
  mbmsec_wr wr;
  uint8_t nm = 0, ng = 0;
  mbmsec_iov iov;
  ENSURE(st != NULL && out != NULL && out_len != NULL, MBMSEC_ERR_ARG);
  *out_len = 0;
  for (size_t i = 0; i < MBMSEC_MIKEY_STATE_MAX_MUKS; i++)
    nm = (uint8_t)(nm + (st->muk[i].used ? 1 : 0));
  for (size_t i = 0; i < MBMSEC_MIKEY_STATE_MAX_GROUPS; i++)
    ng = (uint8_t)(ng + (st->grp[i].used ? 1 : 0));
  mbmsec_wr_init(&wr, out, cap);
  GUARD(mbmsec_wr_bytes(&wr, magic, sizeof magic));
  GUARD(mbmsec_wr_u8(&wr, MBMSEC_MIKEY_STATE_VERSION));
  GUARD(mbmsec_wr_u8(&wr, nm));
  GUARD(mbmsec_wr_u8(&wr, ng));
  GUARD(mbmsec_wr_u8(&wr, 0));
  for (size_t i = 0; i < MBMSEC_MIKEY_STATE_MAX_MUKS; i++) {
    const muk_ent *e = &st->muk[i];
    if (!e->used) continue;
    GUARD(mbmsec_wr_u8(&wr, e->idi_len));
    GUARD(mbmsec_wr_bytes(&wr, e->idi, e->idi_len));
    GUARD(mbmsec_wr_u8(&wr, e->idr_len));
    GUARD(mbmsec_wr_bytes(&wr, e->idr, e->idr_len));
    GUARD(mbmsec_wr_u32(&wr, e->counter));
  }
  for (size_t i = 0; i < MBMSEC_MIKEY_STATE_MAX_GROUPS; i++) {
    const group_ent *g = &st->grp[i];
    uint8_t nk = 0;
    if (!g->used) continue;
    for (size_t k = 0; k < MBMSEC_MSK_PER_KEY_GROUP; k++)
      nk = (uint8_t)(nk + (g->msk[k].used ? 1 : 0));
    GUARD(mbmsec_wr_bytes(&wr, g->kdid, MBMSEC_KDID_LEN));
    GUARD(mbmsec_wr_u16(&wr, g->key_group));
    GUARD(mbmsec_wr_u8(&wr, nk));
    for (size_t k = 0; k < MBMSEC_MSK_PER_KEY_GROUP; k++) {
      const msk_ent *e = &g->msk[k];
      if (!e->used) continue;
      GUARD(mbmsec_wr_u16(&wr, e->keynum));
      GUARD(mbmsec_wr_bytes(&wr, e->key, MBMSEC_MBMS_MSK_LEN));
      GUARD(mbmsec_wr_u16(&wr, e->vf));
      GUARD(mbmsec_wr_u16(&wr, e->vt));
      GUARD(mbmsec_wr_u32(&wr, e->counter));
      GUARD(mbmsec_wr_u8(&wr, e->has_last));
      GUARD(mbmsec_wr_u16(&wr, e->last_mtk));
    }
  }
  ENSURE(wr.cap - wr.len >= SER_HASH_LEN, MBMSEC_ERR_SPACE);
  iov = (mbmsec_iov){out, wr.len};
  GUARD(mbmsec_hash(MBMSEC_MD_SHA256, &iov, 1, out + wr.len));
  *out_len = wr.len + SER_HASH_LEN;
  return MBMSEC_OK;
}

#define FMT(expr)                         \
  do {                                    \
    if ((expr) != MBMSEC_OK) {            \
      rc = MBMSEC_ERR_MIKEY_STATE_FORMAT; \
      goto out;                           \
    }                                     \
  } while (0)

mbmsec_err mbmsec_mikey_state_deserialize(mbmsec_mikey_state *st, const uint8_t *in, size_t len)
{
  mbmsec_mikey_state *w = NULL;
  mbmsec_rd rd;
  uint8_t hash[SER_HASH_LEN], m4[4], ver, nm, ng, rsv;
  mbmsec_iov iov;
  mbmsec_err rc;
  ENSURE(st != NULL && in != NULL, MBMSEC_ERR_ARG);
  ENSURE(len >= sizeof magic + 4 + SER_HASH_LEN, MBMSEC_ERR_MIKEY_STATE_FORMAT);
  iov = (mbmsec_iov){in, len - SER_HASH_LEN};
  GUARD(mbmsec_hash(MBMSEC_MD_SHA256, &iov, 1, hash));
  ENSURE(mbmsec_ct_equal(hash, in + len - SER_HASH_LEN, SER_HASH_LEN),
         MBMSEC_ERR_MIKEY_STATE_FORMAT);
  w = st_alloc();
  ENSURE_OUT(w != NULL, MBMSEC_ERR_NOMEM);
  rc = MBMSEC_OK;
  mbmsec_rd_init(&rd, in, len - SER_HASH_LEN);
  FMT(mbmsec_rd_copy(&rd, m4, 4));
  ENSURE_OUT(memcmp(m4, magic, 4) == 0, MBMSEC_ERR_MIKEY_STATE_FORMAT);
  FMT(mbmsec_rd_u8(&rd, &ver));
  ENSURE_OUT(ver == MBMSEC_MIKEY_STATE_VERSION, MBMSEC_ERR_MIKEY_STATE_FORMAT);
  FMT(mbmsec_rd_u8(&rd, &nm));
  FMT(mbmsec_rd_u8(&rd, &ng));
  FMT(mbmsec_rd_u8(&rd, &rsv));
  ENSURE_OUT(nm <= MBMSEC_MIKEY_STATE_MAX_MUKS && ng <= MBMSEC_MIKEY_STATE_MAX_GROUPS && rsv == 0,
             MBMSEC_ERR_MIKEY_STATE_FORMAT);
  for (uint8_t i = 0; i < nm; i++) {
    muk_ent *e = &w->muk[i];
    FMT(mbmsec_rd_u8(&rd, &e->idi_len));
    FMT(mbmsec_rd_copy(&rd, e->idi, e->idi_len));
    FMT(mbmsec_rd_u8(&rd, &e->idr_len));
    FMT(mbmsec_rd_copy(&rd, e->idr, e->idr_len));
    FMT(mbmsec_rd_u32(&rd, &e->counter));
    ENSURE_OUT(e->idi_len >= 1 && e->idr_len >= 1, MBMSEC_ERR_MIKEY_STATE_FORMAT);
    ENSURE_OUT(find_muk(w, e->idi, e->idi_len, e->idr, e->idr_len) == NULL,
               MBMSEC_ERR_MIKEY_STATE_FORMAT); /* no duplicate MUK IDs */
    e->used = 1;
  }
  for (uint8_t i = 0; i < ng; i++) {
    group_ent *g = &w->grp[i];
    uint8_t nk;
    FMT(mbmsec_rd_copy(&rd, g->kdid, MBMSEC_KDID_LEN));
    FMT(mbmsec_rd_u16(&rd, &g->key_group));
    FMT(mbmsec_rd_u8(&rd, &nk));
    ENSURE_OUT(nk >= 1 && nk <= MBMSEC_MSK_PER_KEY_GROUP, MBMSEC_ERR_MIKEY_STATE_FORMAT);
    ENSURE_OUT(find_group(w, g->kdid, g->key_group) == NULL, MBMSEC_ERR_MIKEY_STATE_FORMAT);
    for (uint8_t k = 0; k < nk; k++) {
      msk_ent *e = &g->msk[k];
      uint16_t kn;
      FMT(mbmsec_rd_u16(&rd, &kn));
      ENSURE_OUT(kn != MBMSEC_MSK_KEYNUM_RESERVED && find_msk(g, kn) == NULL,
                 MBMSEC_ERR_MIKEY_STATE_FORMAT);
      e->keynum = kn;
      FMT(mbmsec_rd_copy(&rd, e->key, MBMSEC_MBMS_MSK_LEN));
      FMT(mbmsec_rd_u16(&rd, &e->vf));
      FMT(mbmsec_rd_u16(&rd, &e->vt));
      FMT(mbmsec_rd_u32(&rd, &e->counter));
      FMT(mbmsec_rd_u8(&rd, &e->has_last));
      FMT(mbmsec_rd_u16(&rd, &e->last_mtk));
      ENSURE_OUT(e->vf <= e->vt && e->has_last <= 1 && (e->has_last || e->last_mtk == 0),
                 MBMSEC_ERR_MIKEY_STATE_FORMAT);
      e->used = 1;
    }
    g->used = 1;
  }
  ENSURE_OUT(mbmsec_rd_left(&rd) == 0, MBMSEC_ERR_MIKEY_STATE_FORMAT);
  commit(st, w);
out:
  if (w) {
    mbmsec_cleanse(w, sizeof *w);
    g_free(w);
  }
  return rc;
}
