/* The BM-SC's key policy (include/mbmsec/bmsc_rotate.h) with an injected clock and no
 * sockets: the store in memory, the delivery engine's send callback capturing datagrams that
 * the library's UE side verifies and answers, a fake Zn lookup.
 *  - MSK generation: 300 services, each with its Key Group, all get a current and a next MSK
 *    from one periodic pass (the old daemon pass stopped at 64 services), and `msk list`'s
 *    rows (msk_each) show all 600; the pass generates the next one again after a change-over;
 *  - UE restore after a restart: MUK from Zn, address from the registration; refused when the
 *    IMPI Zn names is not the registered one, when not registered, on a Zn refusal;
 *  - push plans: every member gets the next MSK once, inside the window, verified under its
 *    MUK; verifications settle the plan (acked), V off settles at once; busy / force; a UE
 *    that deregistered meanwhile is skipped;
 *  - the schedule (lead, window capped at half of the time left), tick's 10 s cadence;
 *  - solicited pull to one UE and to the group. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/bmsc_rotate.h"
#include "mbmsec/crypto.h"
#include "mbmsec/keyid.h"
#include "mbmsec/members.h"
#include "mbmsec/mikey_msg.h"

#define FQDN    "bmsc.example.org"
#define UE_PORT 4000
static const uint8_t KDID[MBMSEC_KDID_LEN] = {0x00, 0xf1, 0x10};

/* ---- captured datagrams */
#define OUT_MAX 4096
typedef struct {
  uint8_t msg[400];
  size_t len;
  uint32_t ipv4;
  uint16_t port;
} out_t;
static out_t g_out[OUT_MAX];
static size_t g_n;

static int cap_send(void *user, uint32_t ipv4, uint16_t port, const uint8_t *msg, size_t len)
{
  (void)user;
  if (g_n >= OUT_MAX || len > sizeof g_out[0].msg) return -1;
  memcpy(g_out[g_n].msg, msg, len);
  g_out[g_n].len = len, g_out[g_n].ipv4 = ipv4, g_out[g_n].port = port;
  g_n++;
  return 0;
}

/* ---- reports */
#define REP_MAX 4096
typedef struct {
  mbmsec_bmsc_rotate_what what;
  mbmsec_err code;
  char btid[64], reason[32];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  size_t ues;
  uint32_t window_ms;
  mbmsec_bmsc_rot_progress pr;
} rep_t;
static rep_t g_rep[REP_MAX];
static size_t g_nrep;

static void on_report(void *user, const mbmsec_bmsc_rotate_report *r)
{
  (void)user;
  if (g_nrep >= REP_MAX) return;
  rep_t *e = &g_rep[g_nrep++];
  memset(e, 0, sizeof *e);
  e->what = r->what;
  e->code = r->code;
  if (r->btid) snprintf(e->btid, sizeof e->btid, "%s", r->btid);
  if (r->reason) snprintf(e->reason, sizeof e->reason, "%s", r->reason);
  memcpy(e->msk_id, r->msk_id, MBMSEC_MSK_ID_LEN);
  e->ues = r->ues;
  e->window_ms = r->window_ms;
  e->pr = r->progress;
}

static size_t count_rep(mbmsec_bmsc_rotate_what w)
{
  size_t n = 0;
  for (size_t i = 0; i < g_nrep; i++) n += g_rep[i].what == w;
  return n;
}

static const rep_t *last_rep(mbmsec_bmsc_rotate_what w)
{
  for (size_t i = g_nrep; i-- > 0;)
    if (g_rep[i].what == w) return &g_rep[i];
  return NULL;
}

/* ---- UEs and the fake Zn */
#define NUE 8
static char g_btid[NUE][64], g_impi[NUE][32];
static uint8_t g_muk[NUE][MBMSEC_BMSC_MUK_LEN];
static unsigned g_zn_calls;
static int g_zn_refuse;       /* answer "btid-unknown" */
static const char *g_zn_impi; /* non-NULL: the IMPI Zn names instead of the UE's */

static int ue_of(const char *btid)
{
  for (int i = 0; i < NUE; i++)
    if (!strcmp(btid, g_btid[i])) return i;
  return -1;
}

static mbmsec_err fake_zn(void *user, const char *btid, uint8_t muk[MBMSEC_BMSC_MUK_LEN],
                          char impi[MBMSEC_STORE_IMPI_MAX + 1], const char **reason)
{
  (void)user;
  g_zn_calls++;
  *reason = NULL;
  const int i = ue_of(btid);
  if (g_zn_refuse || i < 0) {
    *reason = "btid-unknown";
    return MBMSEC_OK;
  }
  memcpy(muk, g_muk[i], MBMSEC_BMSC_MUK_LEN);
  snprintf(impi, MBMSEC_STORE_IMPI_MAX + 1, "%s", g_zn_impi ? g_zn_impi : g_impi[i]);
  return MBMSEC_OK;
}

/* The UE side's key look-up: the MUK given as ctx, or (NULL) the one of the UE IDr names. */
static mbmsec_err key_cb(void *ctx, const mbmsec_mikey_key_ref *ref, mbmsec_mikey_psk *out)
{
  const uint8_t *m = ctx;
  if (!m) {
    char b[64] = "";
    if (ref->idr_len >= sizeof b) return MBMSEC_ERR_ARG;
    memcpy(b, ref->idr, ref->idr_len);
    const int i = ue_of(b);
    if (i < 0) return MBMSEC_ERR_ARG;
    m = g_muk[i];
  }
  memcpy(out->key, m, MBMSEC_BMSC_MUK_LEN);
  out->key_len = MBMSEC_BMSC_MUK_LEN;
  out->counter = 0;
  return MBMSEC_OK;
}

/* ---- fixture */
typedef struct {
  mbmsec_store *st;
  mbmsec_bmsc_dl *dl;
  mbmsec_bmsc_rotate *r;
} fx;

static mbmsec_bmsc_rotate *g_r; /* the delivery engine's events go here */

static void dl_event(void *user, mbmsec_bmsc_event ev, const char *btid,
                     const uint8_t msk_id[MBMSEC_MSK_ID_LEN], int pull, unsigned tries)
{
  (void)user, (void)tries;
  mbmsec_bmsc_rotate_on_event(g_r, ev, btid, msk_id, pull);
}

static void add_service(mbmsec_store *st, const char *id, uint16_t group, int64_t lifetime)
{
  mbmsec_store_service_in in = {
      .service_id = id, .kdid = KDID, .kdid_len = MBMSEC_KDID_LEN, .msk_lifetime = lifetime};
  assert_int_equal(mbmsec_store_service_add(st, &in), MBMSEC_OK);
  assert_int_equal(mbmsec_store_key_group_add(st, id, group), MBMSEC_OK);
}

static void register_ue(mbmsec_store *st, int i, const char *service)
{
  char addr[32];
  snprintf(addr, sizeof addr, "127.0.1.%d:2269", i + 1);
  mbmsec_store_registration_in in = {
      .impi = g_impi[i], .btid = g_btid[i], .service_id = service, .ue_addr = addr, .created = 1};
  assert_int_equal(mbmsec_store_registration_put(st, &in), MBMSEC_OK);
}

static fx *fx_new(int v_flag, uint32_t lead_s, uint32_t window_s)
{
  fx *f = calloc(1, sizeof *f);
  assert_non_null(f);
  assert_int_equal(mbmsec_store_open(":memory:", &f->st), MBMSEC_OK);
  mbmsec_bmsc_dl_config dc = {.fqdn = FQDN,
                              .v_flag = v_flag,
                              .store = f->st,
                              .send = cap_send,
                              .counter_block = 10,
                              .event = dl_event};
  assert_int_equal(mbmsec_bmsc_dl_new(&dc, &f->dl), MBMSEC_OK);
  mbmsec_bmsc_rotate_config rc = {.store = f->st,
                                  .dl = f->dl,
                                  .ue_mikey_port = UE_PORT,
                                  .zn = fake_zn,
                                  .lead_s = lead_s,
                                  .window_s = window_s,
                                  .jitter_ms = 0,
                                  .report = on_report};
  assert_int_equal(mbmsec_bmsc_rotate_new(&rc, &f->r), MBMSEC_OK);
  g_r = f->r;
  g_n = g_nrep = 0;
  g_zn_calls = 0;
  g_zn_refuse = 0;
  g_zn_impi = NULL;
  return f;
}

static void fx_free(fx *f)
{
  g_r = NULL;
  mbmsec_bmsc_rotate_free(f->r);
  mbmsec_bmsc_dl_free(f->dl);
  mbmsec_store_close(f->st);
  free(f);
}

static int setup(void **state)
{
  (void)state;
  for (int i = 0; i < NUE; i++) {
    snprintf(g_btid[i], sizeof g_btid[i], "btid%d@bsf.example.org", i);
    snprintf(g_impi[i], sizeof g_impi[i], "user%d@ims.example.org", i);
    memset(g_muk[i], 0x40 + i, MBMSEC_BMSC_MUK_LEN);
  }
  return 0;
}

/* ---- MSK generation: every service, no cap */

typedef struct {
  size_t rows, current, next;
  uint8_t seen[0x10000 / 8][2]; /* per group: current, next seen */
  int64_t now;
} rows_t;

static int row_cb(void *arg, const mbmsec_bmsc_rotate_msk_row *w)
{
  rows_t *r = arg;
  r->rows++;
  assert_memory_equal(w->kdid, KDID, MBMSEC_KDID_LEN);
  assert_int_equal(mbmsec_msk_id_group(w->msk_id), w->key_group);
  assert_int_equal(mbmsec_msk_id_keynum(w->msk_id), w->key_number);
  if (w->next) {
    r->next++;
    assert_true(w->valid_from > r->now);
  } else {
    r->current++;
    assert_true(w->valid_from <= r->now && r->now < w->valid_to);
  }
  r->seen[w->key_group / 8][w->next] |= (uint8_t)(1u << (w->key_group % 8));
  assert_int_equal(w->vf, MBMSEC_BMSC_ROTATE_MTK_FIRST);
  assert_int_equal(w->vt, MBMSEC_BMSC_ROTATE_MTK_LAST);
  return 0;
}

static void test_keep_msks_300_services(void **state)
{
  (void)state;
  fx *f = fx_new(1, 60, 600);
  enum { NSVC = 300 };
  for (int i = 0; i < NSVC; i++) {
    char id[64];
    snprintf(id, sizeof id, "urn:example:mbms:svc%03d", i);
    add_service(f->st, id, (uint16_t)(i + 1), 100);
  }
  /* a second service sharing group 1: the group is kept (and listed) once */
  add_service(f->st, "urn:example:mbms:zz-shared", 1, 100);
  mbmsec_members_group_use *g = NULL;
  size_t ng = 0;
  assert_int_equal(mbmsec_members_group_all(f->st, &g, &ng), MBMSEC_OK);
  assert_int_equal(ng, NSVC);
  for (size_t i = 0; i < ng; i++) assert_int_equal(g[i].key_group, i + 1);
  free(g);
  mbmsec_store_service *svc = NULL;
  size_t nsvc = 0;
  assert_int_equal(mbmsec_members_service_all(f->st, &svc, &nsvc), MBMSEC_OK);
  assert_int_equal(nsvc, NSVC + 1);
  free(svc);

  size_t made = 0;
  assert_int_equal(mbmsec_bmsc_rotate_keep_msks(f->st, 1000, on_report, NULL, &made), MBMSEC_OK);
  assert_int_equal(made, 2 * NSVC);
  assert_int_equal(count_rep(MBMSEC_BMSC_ROTATE_R_GENERATED), 2 * NSVC);
  for (int i = 0; i < NSVC; i++) {
    mbmsec_members_group_state gs;
    assert_int_equal(mbmsec_members_group_state_get(f->st, KDID, (uint16_t)(i + 1), 1000, &gs),
                     MBMSEC_OK);
    assert_true(gs.has_current && gs.has_next); /* also the 65th and the 300th */
    uint8_t id[MBMSEC_MSK_ID_LEN];
    mbmsec_store_msk m;
    mbmsec_msk_id_pack((uint16_t)(i + 1), gs.next, id);
    assert_int_equal(mbmsec_store_msk_get(f->st, KDID, MBMSEC_KDID_LEN, id, MBMSEC_MSK_ID_LEN, &m),
                     MBMSEC_OK);
    assert_int_equal(m.valid_from, 1100); /* from the end of the current one */
    assert_int_equal(m.valid_to, 1200);
    mbmsec_cleanse(&m, sizeof m);
  }
  /* `msk list`: every group's current and next, with no plan: progress 0 */
  rows_t *rows = calloc(1, sizeof *rows);
  rows->now = 1000;
  size_t nrows = 0;
  assert_int_equal(mbmsec_bmsc_rotate_msk_each(f->r, f->st, 1000, row_cb, rows, &nrows), MBMSEC_OK);
  assert_int_equal(nrows, 2 * NSVC);
  assert_int_equal(rows->current, NSVC);
  assert_int_equal(rows->next, NSVC);
  for (int grp = 1; grp <= NSVC; grp++)
    for (int role = 0; role < 2; role++) assert_true(rows->seen[grp / 8][role] & (1u << (grp % 8)));
  /* nothing missing: nothing made */
  assert_int_equal(mbmsec_bmsc_rotate_keep_msks(f->st, 1050, NULL, NULL, &made), MBMSEC_OK);
  assert_int_equal(made, 0);
  /* the change-over at 1100: the next became current, a new next for every group */
  assert_int_equal(mbmsec_bmsc_rotate_keep_msks(f->st, 1100, NULL, NULL, &made), MBMSEC_OK);
  assert_int_equal(made, NSVC);
  memset(rows, 0, sizeof *rows);
  rows->now = 1100;
  assert_int_equal(mbmsec_bmsc_rotate_msk_each(NULL, f->st, 1100, row_cb, rows, &nrows), MBMSEC_OK);
  assert_int_equal(nrows, 2 * NSVC);
  free(rows);
  assert_int_equal(mbmsec_bmsc_rotate_keep_msks(NULL, 0, NULL, NULL, NULL), MBMSEC_ERR_ARG);
  fx_free(f);
}

/* ---- UE restore */

static void test_restore(void **state)
{
  (void)state;
  fx *f = fx_new(1, 60, 600);
  add_service(f->st, "urn:s", 1, 100);
  for (int i = 0; i < 5; i++) register_ue(f->st, i, "urn:s");
  mbmsec_bmsc_dl_ue_info info;
  /* UE 0: restored; address from the registration, MIKEY port of the configuration */
  assert_int_equal(
      mbmsec_bmsc_rotate_restore(f->st, f->dl, g_btid[0], UE_PORT, fake_zn, NULL, on_report, NULL),
      MBMSEC_OK);
  assert_int_equal(g_zn_calls, 1);
  assert_int_equal(mbmsec_bmsc_dl_ue_get(f->dl, g_btid[0], &info), MBMSEC_OK);
  assert_int_equal(info.ipv4, 0x7f000101u);
  assert_int_equal(info.port, UE_PORT);
  assert_int_equal(last_rep(MBMSEC_BMSC_ROTATE_R_RESTORED)->code, MBMSEC_OK);
  /* known now: no second Zn look-up */
  assert_int_equal(mbmsec_bmsc_rotate_known(f->r, g_btid[0]), MBMSEC_OK);
  assert_int_equal(g_zn_calls, 1);
  /* the MUK is Zn's: a message to UE 0 verifies under g_muk[0] */
  uint8_t msk[16] = {1, 2, 3}, id[MBMSEC_MSK_ID_LEN];
  mbmsec_msk_id_pack(1, 7, id);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, g_btid[0], KDID, id, msk, 1, 9, 0), MBMSEC_OK);
  mbmsec_mikey_msk_info mi;
  assert_int_equal(mbmsec_mikey_msk_verify(g_out[0].msg, g_out[0].len, key_cb, g_muk[0], NULL, &mi),
                   MBMSEC_OK);
  assert_memory_equal(mi.msk, msk, sizeof msk);
  mbmsec_mikey_msk_info_cleanse(&mi);

  /* UE 1: the BSF names another IMPI for the B-TID: refused, the engine does not know it */
  g_zn_impi = "mallory@ims.example.org";
  assert_int_equal(
      mbmsec_bmsc_rotate_restore(f->st, f->dl, g_btid[1], UE_PORT, fake_zn, NULL, on_report, NULL),
      MBMSEC_ERR_BMSC_UNKNOWN_UE);
  const rep_t *e = last_rep(MBMSEC_BMSC_ROTATE_R_RESTORE_SKIPPED);
  assert_non_null(e);
  assert_string_equal(e->reason, "impi-mismatch");
  assert_string_equal(e->btid, g_btid[1]);
  assert_int_equal(mbmsec_bmsc_dl_ue_get(f->dl, g_btid[1], &info), MBMSEC_ERR_BMSC_UNKNOWN_UE);
  assert_int_equal(mbmsec_bmsc_rotate_known(f->r, g_btid[1]), MBMSEC_ERR_BMSC_UNKNOWN_UE);
  /* ... and a message for it cannot be sent */
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, g_btid[1], KDID, id, msk, 1, 9, 0),
                   MBMSEC_ERR_BMSC_UNKNOWN_UE);
  g_zn_impi = NULL;
  /* UE 2: the BSF refuses the B-TID */
  g_zn_refuse = 1;
  assert_int_equal(
      mbmsec_bmsc_rotate_restore(f->st, f->dl, g_btid[2], UE_PORT, fake_zn, NULL, on_report, NULL),
      MBMSEC_ERR_BMSC_UNKNOWN_UE);
  assert_string_equal(last_rep(MBMSEC_BMSC_ROTATE_R_RESTORE_SKIPPED)->reason, "btid-unknown");
  g_zn_refuse = 0;
  /* UE 5: never registered (Zn is not asked) */
  const unsigned calls = g_zn_calls;
  assert_int_equal(
      mbmsec_bmsc_rotate_restore(f->st, f->dl, g_btid[5], UE_PORT, fake_zn, NULL, on_report, NULL),
      MBMSEC_ERR_BMSC_UNKNOWN_UE);
  assert_string_equal(last_rep(MBMSEC_BMSC_ROTATE_R_RESTORE_SKIPPED)->reason, "not-registered");
  assert_int_equal(g_zn_calls, calls);
  /* no Zn at all */
  assert_int_equal(
      mbmsec_bmsc_rotate_restore(f->st, f->dl, g_btid[3], UE_PORT, NULL, NULL, on_report, NULL),
      MBMSEC_ERR_BMSC_UNKNOWN_UE);
  assert_string_equal(last_rep(MBMSEC_BMSC_ROTATE_R_RESTORE_SKIPPED)->reason, "no-zn");
  /* a stored address that is not IPv4:port */
  mbmsec_store_registration_in bad = {.impi = g_impi[4],
                                      .btid = g_btid[4],
                                      .service_id = "urn:s",
                                      .ue_addr = "ue.example.org:2269",
                                      .created = 2};
  assert_int_equal(mbmsec_store_registration_put(f->st, &bad), MBMSEC_OK);
  assert_int_equal(
      mbmsec_bmsc_rotate_restore(f->st, f->dl, g_btid[4], UE_PORT, fake_zn, NULL, on_report, NULL),
      MBMSEC_ERR_BMSC_UNKNOWN_UE);
  assert_string_equal(last_rep(MBMSEC_BMSC_ROTATE_R_RESTORE_SKIPPED)->reason, "bad-ue-addr");
  assert_int_equal(
      mbmsec_bmsc_rotate_restore(NULL, f->dl, g_btid[0], UE_PORT, fake_zn, NULL, NULL, NULL),
      MBMSEC_ERR_ARG);
  fx_free(f);
}

/* ---- push plans */

typedef struct {
  const uint8_t *id;
  int found;
  bool next;
  mbmsec_bmsc_rot_progress pr;
} find_t;

static int find_cb(void *arg, const mbmsec_bmsc_rotate_msk_row *w)
{
  find_t *q = arg;
  if (memcmp(w->msk_id, q->id, MBMSEC_MSK_ID_LEN)) return 0;
  q->found++;
  q->next = w->next;
  q->pr = w->progress;
  return 0;
}

static void plan_cb(void *arg, uint16_t key_group, const uint8_t msk_id[MBMSEC_MSK_ID_LEN],
                    const mbmsec_bmsc_rot_progress *pr)
{
  (void)key_group, (void)msk_id, (void)pr;
  ++*(size_t *)arg;
}

/* Every captured MSK message from g_out[from..g_n): verified by its UE; answered when ack. */
static size_t answer_all(fx *f, size_t from, const uint8_t msk_id[MBMSEC_MSK_ID_LEN], int ack,
                         int64_t now_ms, int seen[NUE])
{
  size_t n = 0;
  for (size_t k = from; k < g_n; k++) {
    mbmsec_mikey_msk_info mi;
    assert_int_equal(mbmsec_mikey_msk_verify(g_out[k].msg, g_out[k].len, key_cb, NULL, NULL, &mi),
                     MBMSEC_OK);
    char b[64] = "";
    memcpy(b, mi.idr, mi.idr_len);
    const int i = ue_of(b);
    assert_true(i >= 0);
    assert_int_equal(g_out[k].ipv4, 0x7f000101u + (uint32_t)i);
    assert_int_equal(g_out[k].port, UE_PORT);
    assert_memory_equal(mi.msk_id, msk_id, MBMSEC_MSK_ID_LEN);
    seen[i]++;
    if (ack) {
      uint8_t ver[MBMSEC_MIKEY_VER_MSG_MAX];
      size_t vl = 0;
      assert_int_equal(
          mbmsec_mikey_ver_build(&mi, g_muk[i], MBMSEC_BMSC_MUK_LEN, ver, sizeof ver, &vl),
          MBMSEC_OK);
      assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, g_out[k].ipv4, 2269, ver, vl, now_ms),
                       MBMSEC_OK);
    }
    mbmsec_mikey_msk_info_cleanse(&mi);
    n++;
  }
  return n;
}

static void test_plan_push_and_ack(void **state)
{
  (void)state;
  fx *f = fx_new(1, 60, 600);
  add_service(f->st, "urn:a", 1, 100);
  add_service(f->st, "urn:b", 1, 100); /* two services of one group */
  add_service(f->st, "urn:other", 2, 100);
  for (int i = 0; i < 6; i++) register_ue(f->st, i, i % 2 ? "urn:a" : "urn:b");
  register_ue(f->st, 0, "urn:a"); /* UE 0 in both services: one member */
  register_ue(f->st, 7, "urn:other");
  char **b = NULL;
  size_t nb = 0;
  assert_int_equal(mbmsec_members_group_btids(f->st, KDID, 1, &b, &nb), MBMSEC_OK);
  assert_int_equal(nb, 6);
  for (size_t i = 1; i < nb; i++) assert_true(strcmp(b[i - 1], b[i]) < 0);
  mbmsec_members_btids_free(b, nb);
  int member = -1;
  assert_int_equal(mbmsec_members_btid_in_group(f->st, g_btid[7], KDID, 1, &member), MBMSEC_OK);
  assert_int_equal(member, 0);
  assert_int_equal(mbmsec_members_btid_in_group(f->st, g_btid[7], KDID, 2, &member), MBMSEC_OK);
  assert_int_equal(member, 1);

  /* no MSK yet: begin generates them; the plan pushes the next one (key number 2) */
  uint8_t id[MBMSEC_MSK_ID_LEN];
  assert_int_equal(mbmsec_bmsc_rotate_begin(f->r, KDID, 1, 1000, 0, false, 5000, 100000, id),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_msk_id_group(id), 1);
  assert_int_equal(mbmsec_msk_id_keynum(id), 2);
  const rep_t *s = last_rep(MBMSEC_BMSC_ROTATE_R_START);
  assert_non_null(s);
  assert_int_equal(s->ues, 6);
  assert_int_equal(s->window_ms, 1000);
  /* a push of that MSK runs: refused, with or without force */
  assert_int_equal(mbmsec_bmsc_rotate_begin(f->r, KDID, 1, 1000, 0, false, 5000, 100000, NULL),
                   MBMSEC_ERR_BMSC_ROT_BUSY);
  assert_int_equal(mbmsec_bmsc_rotate_begin(f->r, KDID, 1, 1000, 0, true, 5000, 100000, NULL),
                   MBMSEC_ERR_BMSC_ROT_BUSY);
  /* the window [100000, 101000): nothing before, all 6 by its end, each once; no store or Zn
   * needed for the clock: the UEs are restored from Zn at their push */
  mbmsec_bmsc_rotate_tick(f->r, 5000, 99999);
  assert_int_equal(g_n, 0);
  int seen[NUE] = {0};
  size_t pushed = 0;
  for (int64_t t = 100000; t <= 101000; t += 100) {
    const size_t before = g_n;
    mbmsec_bmsc_rotate_tick(f->r, 5000, t);
    pushed += answer_all(f, before, id, 1, t, seen); /* verified and answered at once */
  }
  assert_int_equal(pushed, 6);
  for (int i = 0; i < 6; i++) assert_int_equal(seen[i], 1);
  assert_int_equal(g_zn_calls, 6);
  mbmsec_bmsc_rotate_tick(f->r, 5000, 101100); /* settles the queued verifications */
  const rep_t *d = last_rep(MBMSEC_BMSC_ROTATE_R_DONE);
  assert_non_null(d);
  assert_memory_equal(d->msk_id, id, MBMSEC_MSK_ID_LEN);
  assert_int_equal(d->pr.planned, 6);
  assert_int_equal(d->pr.acked, 6);
  assert_int_equal(d->pr.pending, 0);
  /* msk list shows it on the next MSK of group 1 */
  find_t q = {.id = id};
  assert_int_equal(mbmsec_bmsc_rotate_msk_each(f->r, f->st, 5000, find_cb, &q, NULL), MBMSEC_OK);
  assert_int_equal(q.found, 1);
  assert_true(q.next);
  assert_int_equal(q.pr.planned, 6);
  assert_int_equal(q.pr.pushed, 6);
  assert_int_equal(q.pr.acked, 6);
  /* metrics: one plan */
  size_t plans = 0;
  mbmsec_bmsc_rotate_plan_each(f->r, plan_cb, &plans);
  assert_int_equal(plans, 1);
  /* finished: again only with force (a new plan replaces it) */
  assert_int_equal(mbmsec_bmsc_rotate_begin(f->r, KDID, 1, 0, 0, false, 5000, 200000, NULL),
                   MBMSEC_ERR_BMSC_ROT_BUSY);
  assert_int_equal(mbmsec_bmsc_rotate_begin(f->r, KDID, 1, 0, 0, true, 5000, 200000, NULL),
                   MBMSEC_OK);
  plans = 0;
  mbmsec_bmsc_rotate_plan_each(f->r, plan_cb, &plans);
  assert_int_equal(plans, 1);
  const size_t before = g_n;
  mbmsec_bmsc_rotate_tick(f->r, 5000, 200000); /* window 0: all at once */
  memset(seen, 0, sizeof seen);
  assert_int_equal(answer_all(f, before, id, 0, 200000, seen), 6);
  assert_int_equal(g_zn_calls, 6); /* known now */
  /* arguments */
  assert_int_equal(mbmsec_bmsc_rotate_begin(NULL, KDID, 1, 0, 0, true, 0, 0, NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bmsc_rotate_begin(f->r, KDID, 9, 0, 0, true, 5000, 0, NULL),
                   MBMSEC_ERR_BMSC_ROT_NO_MSK); /* a group no service uses */
  fx_free(f);
}

/* V off: a sent push is the end of it; a UE that left the group since the plan started is
 * skipped (send error, "UE gone"); a UE Zn refuses is a send error too. */
static void test_plan_v_off_and_skips(void **state)
{
  (void)state;
  fx *f = fx_new(0, 60, 600);
  add_service(f->st, "urn:a", 1, 100);
  for (int i = 0; i < 4; i++) register_ue(f->st, i, "urn:a");
  uint8_t id[MBMSEC_MSK_ID_LEN];
  assert_int_equal(mbmsec_bmsc_rotate_begin(f->r, KDID, 1, 0, 0, false, 5000, 0, id), MBMSEC_OK);
  assert_int_equal(mbmsec_store_registration_delete(f->st, g_impi[1], "urn:a"), MBMSEC_OK);
  g_zn_impi = NULL;
  /* UE 2 is refused by the BSF: it was restored for nothing */
  mbmsec_store_registration_in moved = {.impi = "someone-else@x",
                                        .btid = g_btid[2],
                                        .service_id = "urn:a",
                                        .ue_addr = "127.0.1.3:2269",
                                        .created = 3};
  assert_int_equal(mbmsec_store_registration_delete(f->st, g_impi[2], "urn:a"), MBMSEC_OK);
  assert_int_equal(mbmsec_store_registration_put(f->st, &moved), MBMSEC_OK);
  mbmsec_bmsc_rotate_tick(f->r, 5000, 0);
  int seen[NUE] = {0};
  assert_int_equal(answer_all(f, 0, id, 0, 0, seen), 2);
  assert_int_equal(seen[0] + seen[3], 2);
  assert_int_equal(count_rep(MBMSEC_BMSC_ROTATE_R_SKIP_DEREGISTERED), 1);
  assert_string_equal(last_rep(MBMSEC_BMSC_ROTATE_R_SKIP_DEREGISTERED)->btid, g_btid[1]);
  assert_string_equal(last_rep(MBMSEC_BMSC_ROTATE_R_RESTORE_SKIPPED)->reason, "impi-mismatch");
  const rep_t *d = last_rep(MBMSEC_BMSC_ROTATE_R_DONE);
  assert_non_null(d);
  assert_int_equal(d->pr.acked, 2);
  assert_int_equal(d->pr.send_errors, 2);
  assert_int_equal(d->pr.pending, 0);
  /* an empty group still gets a plan: msk list shows it with planned 0 */
  add_service(f->st, "urn:empty", 5, 100);
  assert_int_equal(mbmsec_bmsc_rotate_begin(f->r, KDID, 5, 0, 0, false, 5000, 0, NULL), MBMSEC_OK);
  assert_int_equal(last_rep(MBMSEC_BMSC_ROTATE_R_START)->ues, 0);
  fx_free(f);
}

/* The schedule: lead 60 s; a group whose current MSK ends within 60 s gets the push of its
 * next MSK, window capped at half of the time left; tick runs it every 10 s of its clock. */
static void test_schedule(void **state)
{
  (void)state;
  fx *f = fx_new(1, 60, 600);
  add_service(f->st, "urn:a", 1, 100);
  add_service(f->st, "urn:b", 2, 1000);
  register_ue(f->st, 0, "urn:a");
  assert_int_equal(mbmsec_bmsc_rotate_keep_msks(f->st, 1000, NULL, NULL, NULL), MBMSEC_OK);
  /* group 1 ends at 1100, group 2 at 2000 */
  assert_int_equal(mbmsec_bmsc_rotate_schedule(f->r, 1030, 0), 0); /* 70 s left */
  assert_int_equal(mbmsec_bmsc_rotate_schedule(f->r, 1050, 0), 1); /* 50 s left */
  const rep_t *s = last_rep(MBMSEC_BMSC_ROTATE_R_START);
  assert_int_equal(s->window_ms, 25000); /* half of 50 s, not 600 s */
  assert_int_equal(mbmsec_msk_id_group(s->msk_id), 1);
  assert_int_equal(mbmsec_msk_id_keynum(s->msk_id), 2);
  assert_int_equal(mbmsec_bmsc_rotate_schedule(f->r, 1051, 0), 0); /* it has a plan */
  /* tick: the first call only starts the cadence; 10 s later the schedule runs */
  mbmsec_bmsc_rotate_tick(f->r, 1950, 0);
  assert_int_equal(count_rep(MBMSEC_BMSC_ROTATE_R_START), 1);
  mbmsec_bmsc_rotate_tick(f->r, 1959, 0);
  assert_int_equal(count_rep(MBMSEC_BMSC_ROTATE_R_START), 1);
  mbmsec_bmsc_rotate_tick(f->r, 1960, 0); /* group 2: 40 s left */
  assert_int_equal(count_rep(MBMSEC_BMSC_ROTATE_R_START), 2);
  assert_int_equal(last_rep(MBMSEC_BMSC_ROTATE_R_START)->window_ms, 20000);
  fx_free(f);
}

/* More Key Groups rotating at once than finished plans are kept (64): the schedule starts a
 * plan for each of 100 groups, every one pushes; finished plans are pruned only beyond 64. */
static void test_many_plans(void **state)
{
  (void)state;
  fx *f = fx_new(0, 60, 600);
  enum { NG = 100 };
  for (int i = 0; i < NG; i++) {
    char id[32];
    snprintf(id, sizeof id, "urn:many:%03d", i);
    add_service(f->st, id, (uint16_t)(0x100 + i), 100);
    register_ue(f->st, i % NUE, id);
  }
  assert_int_equal(mbmsec_bmsc_rotate_keep_msks(f->st, 1000, NULL, NULL, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_rotate_schedule(f->r, 1050, 0), NG);
  size_t plans = 0;
  mbmsec_bmsc_rotate_plan_each(f->r, plan_cb, &plans);
  assert_int_equal(plans, NG);
  mbmsec_bmsc_rotate_tick(f->r, 1050, 30000); /* the end of every window (25 s) */
  mbmsec_bmsc_rotate_tick(f->r, 1050, 30100);
  assert_int_equal(g_n, NG);
  assert_int_equal(count_rep(MBMSEC_BMSC_ROTATE_R_DONE), NG);
  for (size_t i = 0; i < g_nrep; i++)
    if (g_rep[i].what == MBMSEC_BMSC_ROTATE_R_DONE) assert_int_equal(g_rep[i].pr.acked, 1);
  /* one more plan (group 0x200): the oldest finished one makes room */
  add_service(f->st, "urn:many:extra", 0x200, 100);
  assert_int_equal(mbmsec_bmsc_rotate_begin(f->r, KDID, 0x200, 0, 0, false, 1050, 30200, NULL),
                   MBMSEC_OK);
  plans = 0;
  mbmsec_bmsc_rotate_plan_each(f->r, plan_cb, &plans);
  assert_int_equal(plans, NG);
  fx_free(f);
}

/* Solicited pull (P10): one UE, the group, an unknown UE, a group without MSKs. */
static void test_pull(void **state)
{
  (void)state;
  fx *f = fx_new(1, 60, 600);
  add_service(f->st, "urn:a", 1, 100);
  add_service(f->st, "urn:b", 3, 100);
  for (int i = 0; i < 3; i++) register_ue(f->st, i, "urn:a");
  size_t pulled = 9, errors = 9;
  assert_int_equal(mbmsec_bmsc_rotate_pull(f->r, KDID, 1, NULL, 1000, 0, &pulled, &errors),
                   MBMSEC_ERR_BMSC_ROT_NO_MSK);
  assert_int_equal(mbmsec_bmsc_rotate_keep_msks(f->st, 1000, NULL, NULL, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_rotate_pull(f->r, KDID, 1, g_btid[1], 1000, 0, &pulled, &errors),
                   MBMSEC_OK);
  assert_int_equal(pulled, 1);
  assert_int_equal(errors, 0);
  assert_int_equal(g_n, 1);
  mbmsec_mikey_msk_info mi;
  assert_int_equal(mbmsec_mikey_msk_verify(g_out[0].msg, g_out[0].len, key_cb, g_muk[1], NULL, &mi),
                   MBMSEC_OK);
  assert_int_equal(mi.pull, 1);
  assert_int_equal(mbmsec_msk_id_keynum(mi.msk_id), 1); /* the current one */
  mbmsec_mikey_msk_info_cleanse(&mi);
  assert_int_equal(mbmsec_bmsc_rotate_pull(f->r, KDID, 1, NULL, 1000, 0, &pulled, &errors),
                   MBMSEC_OK);
  assert_int_equal(pulled, 3);
  assert_int_equal(g_n, 4);
  assert_int_equal(count_rep(MBMSEC_BMSC_ROTATE_R_PULL), 4);
  /* a B-TID nobody registered: refused, nothing sent */
  assert_int_equal(mbmsec_bmsc_rotate_pull(f->r, KDID, 1, "nobody@bsf", 1000, 0, &pulled, &errors),
                   MBMSEC_ERR_BMSC_UNKNOWN_UE);
  assert_int_equal(g_n, 4);
  /* a group whose members Zn refuses: counted as errors */
  register_ue(f->st, 4, "urn:b");
  g_zn_refuse = 1;
  assert_int_equal(mbmsec_bmsc_rotate_pull(f->r, KDID, 3, NULL, 1000, 0, &pulled, &errors),
                   MBMSEC_OK);
  assert_int_equal(pulled, 0);
  assert_int_equal(errors, 1);
  fx_free(f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keep_msks_300_services),
      cmocka_unit_test(test_restore),
      cmocka_unit_test(test_plan_push_and_ack),
      cmocka_unit_test(test_plan_v_off_and_skips),
      cmocka_unit_test(test_schedule),
      cmocka_unit_test(test_many_plans),
      cmocka_unit_test(test_pull),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
