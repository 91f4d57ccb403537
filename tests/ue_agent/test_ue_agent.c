/* The UE agent engine (lib/ue/agent.c) from byte arrays and events: real MIKEY messages built
 * with the BM-SC's builders under a MUK / MSK, per-item answers as lib/ue's Ua client hands
 * them over, a fixed random source so back-off and spreading are exact. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "mbmsec/crypto.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/ue_agent.h"
#include "mbmsec/ue_km.h"
#include "mbmsec/xml.h"

static const uint8_t KDID[3] = {0x00, 0xf1, 0x10};
static const char FQDN[] = "bmsc.example.org";
static const char BTID[] = "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.example.org";
static const char SVC[] = "urn:example:mbms:news";
static const char SECDESC[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<securityDescription xmlns=\"urn:3GPP:metadata:2005:MBMS:securityDescription\"\n"
    "                     xmlns:m=\"urn:mbmsec:2026:protection\">\n"
    "  <keyManagementSpecification uiccKeyManagement=\"false\">\n"
    "    <serverURI>http://bmsc.example.org:8080</serverURI>\n"
    "    <offsetTime>5</offsetTime>\n"
    "    <randomTimePeriod>30</randomTimePeriod>\n"
    "  </keyManagementSpecification>\n"
    "  <m:keyDomainId>00f110</m:keyDomainId>\n"
    "  <m:confidentiality>true</m:confidentiality>\n"
    "  <m:integrity>true</m:integrity>\n"
    "  <m:session id=\"news-video\" keyId=\"APEQAAEAAA==\" mikey=\"127.0.0.1:4000\" "
    "srtp=\"127.0.0.1:5004\"/>\n"
    "</securityDescription>\n";

#define T0 1000000 /* a start time, ms */

typedef struct {
  mbmsec_ue_agent *a;
  uint32_t rnd; /* what the random source returns */
  uint8_t muk[32];
  uint8_t msk[8][16]; /* by key number */
  uint32_t muk_counter;
  uint32_t msk_counter[8];
  mbmsec_ue_agent_action acts[128];
  size_t n_acts;
  struct sockaddr_in src;
} fx;

static mbmsec_err fixed_rand(void *ctx, void *out, size_t n)
{
  const fx *f = ctx;
  for (size_t i = 0; i < n; i++) ((uint8_t *)out)[i] = (uint8_t)(f->rnd >> (8 * (i % 4)));
  return MBMSEC_OK;
}

static mbmsec_ue_agent *new_agent(fx *f)
{
  mbmsec_ue_agent_cfg cfg = {.bmsc_fqdn = FQDN,
                             .retry_first_ms = 1000,
                             .retry_max_ms = 8000,
                             .retry_tries = 4,
                             .mikey_wait_ms = 3000,
                             .msk_grace_ms = 10000,
                             .rand_fn = fixed_rand,
                             .rand_ctx = f};
  mbmsec_ue_agent *a = NULL;
  assert_int_equal(mbmsec_ue_agent_new(&cfg, &a), MBMSEC_OK);
  return a;
}

/* Takes every queued action into f->acts (previous ones forgotten). */
static void drain(fx *f)
{
  f->n_acts = 0;
  mbmsec_ue_agent_action act;
  while (mbmsec_ue_agent_next_action(f->a, &act))
    if (f->n_acts < 128) f->acts[f->n_acts++] = act;
}

static const mbmsec_ue_agent_action *find(fx *f, mbmsec_ue_agent_act_kind k)
{
  for (size_t i = 0; i < f->n_acts; i++)
    if (f->acts[i].kind == k) return &f->acts[i];
  return NULL;
}

static size_t index_of(fx *f, mbmsec_ue_agent_act_kind k)
{
  for (size_t i = 0; i < f->n_acts; i++)
    if (f->acts[i].kind == k) return i;
  return (size_t)-1;
}

static void add_service(fx *f, int64_t now)
{
  static mbmsec_xml_secdesc sd;
  assert_int_equal(mbmsec_xml_parse_secdesc((const uint8_t *)SECDESC, strlen(SECDESC), &sd),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_ue_agent_add_service(f->a, SVC, &sd, now), MBMSEC_OK);
}

static mbmsec_ue_agent_phase phase(fx *f)
{
  mbmsec_ue_agent_service_info si;
  assert_int_equal(mbmsec_ue_agent_service(f->a, 0, &si), MBMSEC_OK);
  return si.phase;
}

/* Answers the request in flight (the last REQUEST drained) with one item code. */
static void answer(fx *f, unsigned code, int64_t now)
{
  const mbmsec_ue_agent_action *r = find(f, MBMSEC_UE_AGENT_ACT_REQUEST);
  assert_non_null(r);
  mbmsec_ue_km_item it = {.text = r->item, .code = code, .requested = true};
  const uint64_t id = r->req_id;
  assert_int_equal(mbmsec_ue_agent_on_http_answer(f->a, id, &it, 1, now), MBMSEC_OK);
  drain(f);
}

static size_t msk_msg(fx *f, uint16_t kn, int pull, uint8_t *out, size_t cap)
{
  mbmsec_mikey_msk_params p = {.idi = (const uint8_t *)FQDN,
                               .idi_len = strlen(FQDN),
                               .idr = (const uint8_t *)BTID,
                               .idr_len = strlen(BTID),
                               .counter = ++f->muk_counter,
                               .v_flag = 1,
                               .msk = pull ? NULL : f->msk[kn],
                               .vf = 1,
                               .vt = 1000};
  memcpy(p.kdid, KDID, 3);
  const uint8_t id[4] = {0, 1, (uint8_t)(kn >> 8), (uint8_t)kn};
  memcpy(p.msk_id, id, 4);
  size_t len = 0;
  assert_int_equal(mbmsec_mikey_msk_build(&p, f->muk, 32, NULL, out, cap, &len, NULL), MBMSEC_OK);
  return len;
}

static size_t mtk_msg(fx *f, uint16_t kn, uint16_t mtk_id, uint8_t *out, size_t cap)
{
  uint8_t mtk[16], salt[14];
  memset(mtk, mtk_id, sizeof mtk);
  memset(salt, kn, sizeof salt);
  mbmsec_mikey_mtk_params p = {
      .mtk_id = mtk_id, .counter = ++f->msk_counter[kn], .mtk = mtk, .salt = salt};
  memcpy(p.kdid, KDID, 3);
  const uint8_t id[4] = {0, 1, (uint8_t)(kn >> 8), (uint8_t)kn};
  memcpy(p.msk_id, id, 4);
  size_t len = 0;
  assert_int_equal(mbmsec_mikey_mtk_build(&p, f->msk[kn], 16, NULL, out, cap, &len, NULL),
                   MBMSEC_OK);
  return len;
}

static mbmsec_err feed(fx *f, const uint8_t *m, size_t len, int64_t now)
{
  mbmsec_err rc =
      mbmsec_ue_agent_on_mikey(f->a, m, len, (struct sockaddr *)&f->src, sizeof f->src, now);
  drain(f);
  return rc;
}

static int setup(void **state)
{
  fx *f = calloc(1, sizeof *f);
  assert_non_null(f);
  assert_int_equal(mbmsec_random(f->muk, sizeof f->muk), MBMSEC_OK);
  assert_int_equal(mbmsec_random(f->msk, sizeof f->msk), MBMSEC_OK);
  f->src.sin_family = AF_INET;
  f->src.sin_port = htons(2269);
  f->src.sin_addr.s_addr = htonl(0x7f000001);
  f->a = new_agent(f);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fx *f = *state;
  mbmsec_ue_agent_free(f->a);
  free(f);
  return 0;
}

/* Announcement -> bootstrap -> register -> MSK request (key number 0) -> 200 -> MIKEY push
 * (stored, persisted, acknowledged; current MSK 1 and next MSK 2 as the BM-SC pushes them for
 * key number 0) -> MTK message (persisted, keys). Leaves f active with MSKs 1 and 2 and MTK 1
 * of MSK 1 at time T0 + 100. */
static void to_active(fx *f)
{
  add_service(f, T0);
  drain(f);
  assert_non_null(find(f, MBMSEC_UE_AGENT_ACT_BOOTSTRAP));
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST));
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_BOOTSTRAP);
  assert_int_equal(mbmsec_ue_agent_on_bootstrap_done(f->a, BTID, f->muk, T0 + 10), MBMSEC_OK);
  drain(f);
  const mbmsec_ue_agent_action *r = find(f, MBMSEC_UE_AGENT_ACT_REQUEST);
  assert_non_null(r);
  assert_int_equal(r->req_type, MBMSEC_UE_KM_REGISTER);
  assert_string_equal(r->item, SVC);
  answer(f, 200, T0 + 20);
  r = find(f, MBMSEC_UE_AGENT_ACT_REQUEST);
  assert_non_null(r);
  assert_int_equal(r->req_type, MBMSEC_UE_KM_MSK);
  assert_string_equal(r->item, "APEQAAEAAA=="); /* Key Group 1, key number 0 (P15) */
  answer(f, 200, T0 + 30);
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_WAIT_MIKEY);

  uint8_t m[600];
  size_t len = msk_msg(f, 1, 0, m, sizeof m);
  assert_int_equal(feed(f, m, len, T0 + 40), MBMSEC_OK);
  const size_t ip = index_of(f, MBMSEC_UE_AGENT_ACT_PERSIST),
               iv = index_of(f, MBMSEC_UE_AGENT_ACT_SEND_VER);
  assert_true(ip != (size_t)-1 && iv != (size_t)-1 && ip < iv); /* persisted before the ack */
  const mbmsec_ue_agent_action *v = &f->acts[iv];
  assert_true(v->len > 0);
  assert_int_equal(v->reply_len, sizeof f->src);
  assert_memory_equal(&v->reply_to, &f->src, sizeof f->src);
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_ACTIVE);
  len = msk_msg(f, 2, 0, m, sizeof m);
  assert_int_equal(feed(f, m, len, T0 + 40), MBMSEC_OK);
  assert_non_null(find(f, MBMSEC_UE_AGENT_ACT_SEND_VER));

  len = mtk_msg(f, 1, 1, m, sizeof m);
  assert_int_equal(feed(f, m, len, T0 + 100), MBMSEC_OK);
  assert_non_null(find(f, MBMSEC_UE_AGENT_ACT_PERSIST));
  assert_non_null(find(f, MBMSEC_UE_AGENT_ACT_KEYS));
  mbmsec_srtp_key keys[4];
  assert_int_equal(mbmsec_ue_agent_srtp_keys(f->a, keys, 4), 1);
  const uint8_t want_id[4] = {0, 1, 0, 1};
  assert_memory_equal(keys[0].msk_id, want_id, 4);
  assert_int_equal(keys[0].mtk_id, 1);
  mbmsec_cleanse(keys, sizeof keys);
}

static void test_whole_exchange(void **state)
{
  fx *f = *state;
  to_active(f);
  mbmsec_ue_agent_msk_info mi[4];
  assert_int_equal(mbmsec_ue_agent_msks(f->a, T0 + 100, mi, 4), 2);
  assert_true(mi[0].valid && mi[1].valid);
  assert_int_equal(mi[0].vt, 1000);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST)); /* next MSK held: nothing to fetch */
  mbmsec_ue_agent_stats st;
  mbmsec_ue_agent_get_stats(f->a, &st);
  assert_int_equal(st.mikey_msk, 2);
  assert_int_equal(st.mikey_mtk, 1);
}

/* 480 and 500 are retried with doubling delays (jitter: drawn from [d/2, d]); 404 is not. */
static void test_retry_backoff(void **state)
{
  fx *f = *state;
  f->rnd = 0; /* the low end: d/2 */
  add_service(f, T0);
  drain(f);
  assert_int_equal(mbmsec_ue_agent_on_bootstrap_done(f->a, BTID, f->muk, T0), MBMSEC_OK);
  drain(f);
  answer(f, 200, T0); /* register */
  assert_non_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST));
  answer(f, 480, T0);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST));
  assert_int_equal(mbmsec_ue_agent_next_deadline(f->a), T0 + 500);
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 499), MBMSEC_OK);
  drain(f);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST));
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 500), MBMSEC_OK);
  drain(f);
  assert_non_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST));
  answer(f, 500, T0 + 500);
  assert_int_equal(mbmsec_ue_agent_next_deadline(f->a), T0 + 500 + 1000);
  /* The high end of the jitter: d itself (2000 ms for the third try). */
  f->rnd = 0xffffffffu;
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 1500), MBMSEC_OK);
  drain(f);
  answer(f, 480, T0 + 1500);
  const int64_t d = mbmsec_ue_agent_next_deadline(f->a) - (T0 + 1500);
  assert_true(d >= 2000 && d <= 4000);
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 1500 + d), MBMSEC_OK);
  drain(f);
  /* 404: unknown key; no retry, and with no MSK held the UE leaves and says why. */
  answer(f, 404, T0 + 1500 + d);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST));
  const mbmsec_ue_agent_action *l = find(f, MBMSEC_UE_AGENT_ACT_LEFT);
  assert_non_null(l);
  assert_non_null(strstr(l->text, "404"));
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_LEFT);
  assert_int_equal(mbmsec_ue_agent_next_deadline(f->a), INT64_MAX);
}

/* The cap: retries never wait more than retry_max_ms; tries run out -> leave (no MSK held). */
static void test_backoff_cap_and_give_up(void **state)
{
  fx *f = *state;
  f->rnd = 0xffffffffu;
  add_service(f, T0);
  drain(f);
  assert_int_equal(mbmsec_ue_agent_on_bootstrap_done(f->a, BTID, f->muk, T0), MBMSEC_OK);
  drain(f);
  const uint64_t rid = find(f, MBMSEC_UE_AGENT_ACT_REQUEST)->req_id;
  int64_t now = T0;
  assert_int_equal(mbmsec_ue_agent_on_http_answer(f->a, rid + 7, NULL, 0, now),
                   MBMSEC_ERR_UE_AGENT_SEQUENCE); /* not the request in flight */
  for (int i = 0; i < 3; i++) {
    const mbmsec_ue_agent_action *r = find(f, MBMSEC_UE_AGENT_ACT_REQUEST);
    assert_non_null(r);
    assert_int_equal(
        mbmsec_ue_agent_on_http_failed(f->a, r->req_id, MBMSEC_ERR_UE_HTTP, false, now), MBMSEC_OK);
    drain(f);
    const int64_t d = mbmsec_ue_agent_next_deadline(f->a) - now;
    assert_true(d <= 8000);
    now += d;
    assert_int_equal(mbmsec_ue_agent_on_timer(f->a, now), MBMSEC_OK);
    drain(f);
  }
  const mbmsec_ue_agent_action *r = find(f, MBMSEC_UE_AGENT_ACT_REQUEST);
  assert_non_null(r);
  assert_int_equal(mbmsec_ue_agent_on_http_failed(f->a, r->req_id, MBMSEC_ERR_UE_HTTP, false, now),
                   MBMSEC_OK);
  drain(f);
  const mbmsec_ue_agent_action *l = find(f, MBMSEC_UE_AGENT_ACT_LEFT);
  assert_non_null(l);
  assert_non_null(strstr(l->text, "registration failed 4 times"));
}

/* Register item 401 (not subscribed): no retry, leave with the reason. */
static void test_register_401_leaves(void **state)
{
  fx *f = *state;
  add_service(f, T0);
  drain(f);
  assert_int_equal(mbmsec_ue_agent_on_bootstrap_done(f->a, BTID, f->muk, T0), MBMSEC_OK);
  drain(f);
  answer(f, 401, T0);
  const mbmsec_ue_agent_action *l = find(f, MBMSEC_UE_AGENT_ACT_LEFT);
  assert_non_null(l);
  assert_non_null(strstr(l->text, "registration refused: item 401"));
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST));
}

/* HTTP 401 for an unknown B-TID: bootstrap again, then the same request again. */
static void test_unknown_btid_rebootstraps(void **state)
{
  fx *f = *state;
  add_service(f, T0);
  drain(f);
  assert_int_equal(mbmsec_ue_agent_on_bootstrap_done(f->a, BTID, f->muk, T0), MBMSEC_OK);
  drain(f);
  answer(f, 200, T0);
  const mbmsec_ue_agent_action *r = find(f, MBMSEC_UE_AGENT_ACT_REQUEST);
  assert_non_null(r);
  char item[64];
  assert_true(snprintf(item, sizeof item, "%s", r->item) < (int)sizeof item);
  assert_int_equal(
      mbmsec_ue_agent_on_http_failed(f->a, r->req_id, MBMSEC_ERR_UE_REFUSED, true, T0 + 5),
      MBMSEC_OK);
  drain(f);
  assert_non_null(find(f, MBMSEC_UE_AGENT_ACT_BOOTSTRAP));
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST));
  assert_int_equal(
      mbmsec_ue_agent_on_bootstrap_done(f->a, "new-btid@bsf.example.org", f->muk, T0 + 6),
      MBMSEC_OK);
  drain(f);
  r = find(f, MBMSEC_UE_AGENT_ACT_REQUEST);
  assert_non_null(r);
  assert_int_equal(r->req_type, MBMSEC_UE_KM_MSK);
  assert_string_equal(r->item, item);
}

/* An MTK message under MSK 3 (above every MSK held) -> refused, counted, and an MSK request
 * for exactly MSK 3 after offsetTime 5 s + random part of 30 s (random source 0: 5 s). */
static void test_missed_key_update_from_mtk(void **state)
{
  fx *f = *state;
  to_active(f);
  f->rnd = 0;
  uint8_t m[600];
  size_t len = mtk_msg(f, 3, 1, m, sizeof m);
  assert_int_equal(feed(f, m, len, T0 + 200), MBMSEC_ERR_MIKEY_MISSED_MSK);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST));
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_PERSIST));
  mbmsec_ue_agent_stats st;
  mbmsec_ue_agent_get_stats(f->a, &st);
  assert_int_equal(st.mikey_missed, 1);
  assert_int_equal(mbmsec_ue_agent_next_deadline(f->a), T0 + 200 + 5000);
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 5199), MBMSEC_OK);
  drain(f);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST));
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 5200), MBMSEC_OK);
  drain(f);
  const mbmsec_ue_agent_action *r = find(f, MBMSEC_UE_AGENT_ACT_REQUEST);
  assert_non_null(r);
  uint8_t kd[3], id[4];
  assert_int_equal(mbmsec_xml_keyid_decode(r->item, strlen(r->item), kd, id), MBMSEC_OK);
  const uint8_t want[4] = {0, 1, 0, 3};
  assert_memory_equal(id, want, 4);
  answer(f, 200, T0 + 5300);
  len = msk_msg(f, 3, 0, m, sizeof m);
  assert_int_equal(feed(f, m, len, T0 + 5400), MBMSEC_OK);
  f->msk_counter[3] = 0; /* the BM-SC's MTK message again, now that MSK 3 is held */
  len = mtk_msg(f, 3, 1, m, sizeof m);
  assert_int_equal(feed(f, m, len, T0 + 5500), MBMSEC_OK);
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_ACTIVE);
}

/* The same through an SRTP MKI naming MSK 3; then 204 (not generated yet): the UE stays. */
static void test_missed_key_from_mki_and_204_stays(void **state)
{
  fx *f = *state;
  to_active(f);
  f->rnd = 0;
  const uint8_t mki[6] = {0, 1, 0, 3, 0, 1};
  assert_int_equal(mbmsec_ue_agent_on_srtp(f->a, KDID, mki, MBMSEC_ERR_SRTP_NO_KEY, T0 + 200),
                   MBMSEC_OK);
  drain(f);
  assert_int_equal(mbmsec_ue_agent_next_deadline(f->a), T0 + 5200);
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 5200), MBMSEC_OK);
  drain(f);
  assert_non_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST));
  answer(f, 204, T0 + 5300);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_LEFT));
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_ACTIVE);
  /* MSK 1 is still in use (MTK 2) well after the grace time: still there. */
  uint8_t m[600];
  size_t len = mtk_msg(f, 1, 2, m, sizeof m);
  assert_int_equal(feed(f, m, len, T0 + 9000), MBMSEC_OK);
  const uint8_t mki1[6] = {0, 1, 0, 1, 0, 2};
  assert_int_equal(mbmsec_ue_agent_on_srtp(f->a, KDID, mki1, MBMSEC_OK, T0 + 30000), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 35000), MBMSEC_OK);
  drain(f);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_LEFT));
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_ACTIVE);
}

/* Subscription withdrawn: the missed key update for MSK 3 gets item 401. The UE stays while
 * MSK 1 or 2 is valid and leaves once the last expires (superseded and unused for
 * msk_grace_ms), not before. */
static void test_leave_when_last_msk_expires(void **state)
{
  fx *f = *state;
  to_active(f);
  f->rnd = 0;
  uint8_t m[600];
  size_t len = mtk_msg(f, 3, 1, m, sizeof m);
  assert_int_equal(feed(f, m, len, T0 + 1000), MBMSEC_ERR_MIKEY_MISSED_MSK);
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 6000), MBMSEC_OK);
  drain(f);
  answer(f, 401, T0 + 6000);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_LEFT));
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST)); /* 401 is not retried */
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_ACTIVE);
  mbmsec_ue_agent_service_info si;
  assert_int_equal(mbmsec_ue_agent_service(f->a, 0, &si), MBMSEC_OK);
  assert_non_null(strstr(si.last_error, "401"));
  /* MSK 2 stored at T0 + 40, never used: expires at T0 + 10040; MSK 1 last used at T0 + 100
   * (its MTK message): valid until T0 + 10100. */
  assert_int_equal(mbmsec_ue_agent_next_deadline(f->a), T0 + 10040);
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 10040), MBMSEC_OK);
  drain(f);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_LEFT));
  assert_non_null(find(f, MBMSEC_UE_AGENT_ACT_LOG));
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 10099), MBMSEC_OK);
  drain(f);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_LEFT));
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 10100), MBMSEC_OK);
  drain(f);
  const mbmsec_ue_agent_action *l = find(f, MBMSEC_UE_AGENT_ACT_LEFT);
  assert_non_null(l);
  assert_non_null(strstr(l->text, "no valid MSK"));
  assert_non_null(strstr(l->text, "401"));
  assert_non_null(find(f, MBMSEC_UE_AGENT_ACT_KEYS)); /* its MTKs leave the SRTP key set */
  mbmsec_srtp_key keys[4];
  assert_int_equal(mbmsec_ue_agent_srtp_keys(f->a, keys, 4), 0);
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_LEFT);
}

static size_t image(fx *f, uint8_t *out)
{
  size_t n = 0;
  assert_int_equal(mbmsec_ue_agent_image(f->a, out, MBMSEC_UE_AGENT_IMAGE_MAX, &n), MBMSEC_OK);
  return n;
}

/* Corrupted, replayed and out-of-order MIKEY: refused, counted by reason, state byte-identical. */
static void test_bad_mikey_changes_nothing(void **state)
{
  fx *f = *state;
  to_active(f);
  static uint8_t before[MBMSEC_UE_AGENT_IMAGE_MAX], after[MBMSEC_UE_AGENT_IMAGE_MAX];
  uint8_t m1[600], m2[600], m3[600], r3[600], bad[600];
  /* MTK 3 then MTK 2 (built in that order: counters 2 and 3), then MTK 3 repeated by the BM-SC
   * for late joiners (counter 4). */
  size_t l3 = mtk_msg(f, 1, 3, m3, sizeof m3);
  size_t l2 = mtk_msg(f, 1, 2, m2, sizeof m2);
  size_t lr = mtk_msg(f, 1, 3, r3, sizeof r3);
  assert_int_equal(feed(f, m3, l3, T0 + 200), MBMSEC_OK);
  const size_t nb = image(f, before);
  mbmsec_ue_agent_stats s0, s1;
  mbmsec_ue_agent_get_stats(f->a, &s0);
  /* Out of order: MTK 2 after MTK 3 (higher counter, lower MTK ID). */
  assert_int_equal(feed(f, m2, l2, T0 + 210), MBMSEC_ERR_MIKEY_MTK_ID_OLD);
  /* Replayed MTK message. */
  assert_int_equal(feed(f, m3, l3, T0 + 220), MBMSEC_ERR_MIKEY_REPLAY);
  /* The repetition of the MTK held: a duplicate, not a refusal; nothing changes either. */
  assert_int_equal(feed(f, r3, lr, T0 + 225), MBMSEC_ERR_MIKEY_MTK_REPEAT);
  /* Replayed MSK message: the same bytes as before (counter not greater). */
  f->muk_counter = 0;
  size_t l1 = msk_msg(f, 1, 0, m1, sizeof m1);
  assert_int_equal(feed(f, m1, l1, T0 + 230), MBMSEC_ERR_MIKEY_REPLAY);
  /* Corrupted: one bit in the MAC, one in the middle, truncated, empty, garbage. */
  f->muk_counter = 10;
  l1 = msk_msg(f, 1, 0, m1, sizeof m1);
  memcpy(bad, m1, l1);
  bad[l1 - 1] ^= 1;
  assert_int_equal(feed(f, bad, l1, T0 + 240), MBMSEC_ERR_MIKEY_MAC);
  memcpy(bad, m1, l1);
  bad[l1 / 2] ^= 0x40;
  assert_int_not_equal(feed(f, bad, l1, T0 + 241), MBMSEC_OK);
  assert_int_not_equal(feed(f, m1, l1 - 3, T0 + 242), MBMSEC_OK);
  assert_int_not_equal(feed(f, m1, 0, T0 + 243), MBMSEC_OK);
  memset(bad, 0xa5, 200);
  assert_int_not_equal(feed(f, bad, 200, T0 + 244), MBMSEC_OK);
  /* An SRTP packet that did not verify changes nothing either. */
  const uint8_t mki[6] = {0, 1, 0, 1, 0, 3};
  assert_int_equal(mbmsec_ue_agent_on_srtp(f->a, KDID, mki, MBMSEC_ERR_SRTP_AUTH, T0 + 250),
                   MBMSEC_OK);
  drain(f);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_PERSIST));
  const size_t na = image(f, after);
  assert_int_equal(na, nb);
  assert_memory_equal(before, after, nb);
  mbmsec_ue_agent_get_stats(f->a, &s1);
  assert_int_equal(s1.mikey_replay - s0.mikey_replay, 3);
  assert_int_equal(s1.mikey_duplicate - s0.mikey_duplicate, 1);
  assert_int_equal(s1.mikey_auth - s0.mikey_auth, 1);
  assert_true(s1.mikey_malformed - s0.mikey_malformed + s1.mikey_auth - s0.mikey_auth +
                  s1.mikey_unknown_key - s0.mikey_unknown_key >=
              5);
  /* And the good message still goes through afterwards. */
  assert_int_equal(feed(f, m1, l1, T0 + 260), MBMSEC_OK);
}

/* Restart: a new engine from the image keeps keys and counters; old MIKEY replayed after the
 * restart is refused; the service is active again without a new request. */
static void test_restart_keeps_keys_and_counters(void **state)
{
  fx *f = *state;
  uint8_t old_msk[600], old_mtk[600];
  to_active(f);
  /* The messages of to_active, rebuilt with the same counters: an attacker's replay. */
  f->muk_counter = 0;
  f->msk_counter[1] = 0;
  const size_t lk = msk_msg(f, 1, 0, old_msk, sizeof old_msk);
  const size_t lt = mtk_msg(f, 1, 1, old_mtk, sizeof old_mtk);
  static uint8_t img[MBMSEC_UE_AGENT_IMAGE_MAX], img2[MBMSEC_UE_AGENT_IMAGE_MAX];
  const size_t n = image(f, img);
  mbmsec_ue_agent_free(f->a);

  f->a = new_agent(f);
  uint8_t bad[MBMSEC_UE_AGENT_IMAGE_MAX];
  memcpy(bad, img, n);
  bad[n / 2] ^= 1;
  assert_int_equal(mbmsec_ue_agent_restore(f->a, bad, n), MBMSEC_ERR_UE_AGENT_IMAGE);
  assert_int_equal(mbmsec_ue_agent_restore(f->a, img, n - 1), MBMSEC_ERR_UE_AGENT_IMAGE);
  assert_int_equal(mbmsec_ue_agent_restore(f->a, img, n), MBMSEC_OK);
  assert_int_equal(image(f, img2), n);
  assert_memory_equal(img, img2, n);
  add_service(f, T0 + 1000);
  drain(f);
  assert_int_equal(mbmsec_ue_agent_restore(f->a, img, n), MBMSEC_ERR_UE_AGENT_SEQUENCE);
  assert_int_equal(mbmsec_ue_agent_on_bootstrap_done(f->a, BTID, f->muk, T0 + 1001), MBMSEC_OK);
  drain(f);
  assert_null(find(f, MBMSEC_UE_AGENT_ACT_REQUEST)); /* registered, MSK held */
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_ACTIVE);
  mbmsec_srtp_key keys[4];
  assert_int_equal(mbmsec_ue_agent_srtp_keys(f->a, keys, 4), 1);
  mbmsec_cleanse(keys, sizeof keys);
  assert_int_equal(feed(f, old_msk, lk, T0 + 1100), MBMSEC_ERR_MIKEY_REPLAY);
  assert_int_equal(feed(f, old_mtk, lt, T0 + 1100), MBMSEC_ERR_MIKEY_REPLAY);
  /* The next genuine MTK message is taken. */
  uint8_t m[600];
  f->msk_counter[1] = 1;
  const size_t l = mtk_msg(f, 1, 2, m, sizeof m);
  assert_int_equal(feed(f, m, l, T0 + 1200), MBMSEC_OK);
}

/* A solicited pull (P10) makes the UE ask for that MSK at once; it is acknowledged (O5). */
static void test_solicited_pull(void **state)
{
  fx *f = *state;
  to_active(f);
  uint8_t m[600];
  const size_t len = msk_msg(f, 3, 1, m, sizeof m);
  assert_int_equal(feed(f, m, len, T0 + 300), MBMSEC_OK);
  assert_non_null(find(f, MBMSEC_UE_AGENT_ACT_SEND_VER));
  const mbmsec_ue_agent_action *r = find(f, MBMSEC_UE_AGENT_ACT_REQUEST);
  assert_non_null(r);
  uint8_t kd[3], id[4];
  assert_int_equal(mbmsec_xml_keyid_decode(r->item, strlen(r->item), kd, id), MBMSEC_OK);
  const uint8_t want[4] = {0, 1, 0, 3};
  assert_memory_equal(id, want, 4);
}

/* Change-over: MTKs start coming under the next MSK (2): the UE takes them at once (both MTK
 * sets installed), asks for the MSK after it, and MSK 1 ends once unused for the grace time. */
static void test_change_over(void **state)
{
  fx *f = *state;
  to_active(f);
  f->rnd = 0;
  uint8_t m[600];
  size_t len = mtk_msg(f, 2, 1, m, sizeof m);
  assert_int_equal(feed(f, m, len, T0 + 2000), MBMSEC_OK);
  mbmsec_srtp_key keys[4];
  assert_int_equal(mbmsec_ue_agent_srtp_keys(f->a, keys, 4), 2); /* MTK 1 of MSK 1 and of MSK 2 */
  assert_int_equal(mbmsec_ue_agent_next_deadline(f->a), T0 + 2000 + 5000);
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 7000), MBMSEC_OK);
  drain(f);
  const mbmsec_ue_agent_action *r = find(f, MBMSEC_UE_AGENT_ACT_REQUEST);
  assert_non_null(r);
  uint8_t kd[3], id[4];
  assert_int_equal(mbmsec_xml_keyid_decode(r->item, strlen(r->item), kd, id), MBMSEC_OK);
  const uint8_t want[4] = {0, 1, 0, 3};
  assert_memory_equal(id, want, 4);
  answer(f, 204, T0 + 7010); /* not generated yet: stay */
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_ACTIVE);
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 10100), MBMSEC_OK);
  drain(f);
  assert_non_null(find(f, MBMSEC_UE_AGENT_ACT_KEYS));
  assert_int_equal(mbmsec_ue_agent_srtp_keys(f->a, keys, 4), 1); /* MSK 1 expired */
  assert_int_equal(keys[0].msk_id[3], 2);
  mbmsec_cleanse(keys, sizeof keys);
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_ACTIVE);
}

/* No MIKEY push after the 200: retried when mikey_wait_ms runs out. */
static void test_push_timeout_retries(void **state)
{
  fx *f = *state;
  f->rnd = 0;
  add_service(f, T0);
  drain(f);
  assert_int_equal(mbmsec_ue_agent_on_bootstrap_done(f->a, BTID, f->muk, T0), MBMSEC_OK);
  drain(f);
  answer(f, 200, T0);
  answer(f, 200, T0 + 10);
  assert_int_equal(mbmsec_ue_agent_next_deadline(f->a), T0 + 3010);
  assert_int_equal(mbmsec_ue_agent_on_timer(f->a, T0 + 3010), MBMSEC_OK);
  drain(f);
  assert_int_equal(phase(f), MBMSEC_UE_AGENT_MSK_REQUEST);
  assert_int_equal(mbmsec_ue_agent_next_deadline(f->a), T0 + 3010 + 500);
}

/* The user leaves: LEFT with the reason, then a deregister request; unknown service refused. */
static void test_user_leave(void **state)
{
  fx *f = *state;
  to_active(f);
  assert_int_equal(mbmsec_ue_agent_leave(f->a, "urn:nope", T0 + 500),
                   MBMSEC_ERR_UE_AGENT_UNKNOWN_SERVICE);
  assert_int_equal(mbmsec_ue_agent_leave(f->a, SVC, T0 + 500), MBMSEC_OK);
  drain(f);
  const mbmsec_ue_agent_action *l = find(f, MBMSEC_UE_AGENT_ACT_LEFT);
  assert_non_null(l);
  assert_non_null(strstr(l->text, "user"));
  const mbmsec_ue_agent_action *r = find(f, MBMSEC_UE_AGENT_ACT_REQUEST);
  assert_non_null(r);
  assert_int_equal(r->req_type, MBMSEC_UE_KM_DEREGISTER);
}

/* Fail every allocation (nghttp2's test): malloc and calloc of the project's code are wrapped
 * at link time (-Wl,--wrap; OpenSSL and libcurl keep theirs). For n = 1, 2, ... the n-th
 * allocation while the agent takes an MSK push and then an MTK message fails: the call says
 * MBMSEC_ERR_NOMEM and the state image is byte-identical, or the failure was absorbed and the
 * message taken; then the same message goes through. */
#include "../lib/fail_alloc.h"

static void test_fail_every_allocation(void **state)
{
  fx *f = *state;
  to_active(f);
  static uint8_t before[MBMSEC_UE_AGENT_IMAGE_MAX], after[MBMSEC_UE_AGENT_IMAGE_MAX];
  uint8_t m3[600], t2[600];
  const size_t l3 = msk_msg(f, 3, 0, m3, sizeof m3); /* a new MSK 3 */
  const size_t lt = mtk_msg(f, 3, 1, t2, sizeof t2); /* MTK 1 of MSK 3 */
  const struct {
    const uint8_t *m;
    size_t len;
  } in[2] = {{m3, l3}, {t2, lt}};
  for (int k = 0; k < 2; k++) {
    long n;
    for (n = 1; n < 1000; n++) {
      const size_t nb = image(f, before);
      g_fail_at = n;
      g_allocs = 0;
      const mbmsec_err rc = mbmsec_ue_agent_on_mikey(
          f->a, in[k].m, in[k].len, (struct sockaddr *)&f->src, sizeof f->src, T0 + 300 + n);
      const long made = g_allocs;
      g_fail_at = 0;
      drain(f);
      if (rc == MBMSEC_OK) break; /* taken (no allocation failed, or one was absorbed) */
      assert_true(made >= n);
      assert_int_equal(rc, MBMSEC_ERR_NOMEM);
      const size_t na = image(f, after);
      assert_int_equal(na, nb);
      assert_memory_equal(before, after, nb);
    }
    print_message("message %d: taken after %ld failed allocations\n", k, n - 1);
    assert_true(n > 1 && n < 1000);
  }
  mbmsec_ue_agent_stats st;
  mbmsec_ue_agent_get_stats(f->a, &st);
  assert_true(st.mikey_mtk >= 2);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_whole_exchange, setup, teardown),
      cmocka_unit_test_setup_teardown(test_retry_backoff, setup, teardown),
      cmocka_unit_test_setup_teardown(test_backoff_cap_and_give_up, setup, teardown),
      cmocka_unit_test_setup_teardown(test_register_401_leaves, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_btid_rebootstraps, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missed_key_update_from_mtk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missed_key_from_mki_and_204_stays, setup, teardown),
      cmocka_unit_test_setup_teardown(test_leave_when_last_msk_expires, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_mikey_changes_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_restart_keeps_keys_and_counters, setup, teardown),
      cmocka_unit_test_setup_teardown(test_solicited_pull, setup, teardown),
      cmocka_unit_test_setup_teardown(test_change_over, setup, teardown),
      cmocka_unit_test_setup_teardown(test_push_timeout_retries, setup, teardown),
      cmocka_unit_test_setup_teardown(test_user_leave, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fail_every_allocation, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
