/* lib/xml: the P3 documents (parse, build, round trip, per-item 400, P15 key number 0), the P16
 * announcement, and a table of hostile documents each refused with its own code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <libxml/parser.h>

#include "mbmsec/xml.h"
#include "xml_doc.h"

static const uint8_t KDID[3] = {0x00, 0xF1, 0x10};
static const uint8_t MSK2[4] = {0x00, 0x01, 0x00, 0x02};
static const uint8_t MSK3[4] = {0x00, 0x01, 0x00, 0x03};
static const uint8_t MSK0[4] = {0x00, 0x01, 0x00, 0x00};

/* ---------------------------------------------------------------- helpers */

static char *slurp(const char *name, size_t *len)
{
  const char *dir = getenv("MBMSEC_XML_EXAMPLES");
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/xml/examples", name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *buf = malloc(MBMSEC_XML_DOC_MAX + 1);
  assert_non_null(buf);
  *len = fread(buf, 1, MBMSEC_XML_DOC_MAX, f);
  buf[*len] = '\0';
  fclose(f);
  return buf;
}

static const uint8_t *U(const char *s) { return (const uint8_t *)s; }

typedef enum { P_REG, P_DEREG, P_REGRESP, P_MSKREQ, P_MSKRESP, P_USD, P_SECDESC } which;

static bool all_zero(const void *p, size_t n)
{
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i]) return false;
  return true;
}

/* Runs one parser on a heap struct; on error the struct must come back all zero. */
static mbmsec_err run(which w, const uint8_t *doc, size_t len)
{
  size_t sz = w <= P_REGRESP   ? sizeof(mbmsec_xml_service_list)
              : w <= P_MSKRESP ? sizeof(mbmsec_xml_key_list)
              : w == P_USD     ? sizeof(mbmsec_xml_usd)
                               : sizeof(mbmsec_xml_secdesc);
  void *out = malloc(sz);
  assert_non_null(out);
  memset(out, 0xA5, sz);
  mbmsec_err rc;
  switch (w) {
  case P_REG:
    rc = mbmsec_xml_parse_register(doc, len, MBMSEC_XML_REGISTER, out);
    break;
  case P_DEREG:
    rc = mbmsec_xml_parse_register(doc, len, MBMSEC_XML_DEREGISTER, out);
    break;
  case P_REGRESP:
    rc = mbmsec_xml_parse_register_response(doc, len, out);
    break;
  case P_MSKREQ:
    rc = mbmsec_xml_parse_msk_request(doc, len, out);
    break;
  case P_MSKRESP:
    rc = mbmsec_xml_parse_msk_response(doc, len, out);
    break;
  case P_USD:
    rc = mbmsec_xml_parse_usd(doc, len, out);
    break;
  default:
    rc = mbmsec_xml_parse_secdesc(doc, len, out);
    break;
  }
  if (rc != MBMSEC_OK) assert_true(all_zero(out, sz));
  free(out);
  return rc;
}

static mbmsec_xml_service_list *svc_list(void)
{
  mbmsec_xml_service_list *l = calloc(1, sizeof *l);
  assert_non_null(l);
  return l;
}

static mbmsec_xml_key_list *key_list(void)
{
  mbmsec_xml_key_list *l = calloc(1, sizeof *l);
  assert_non_null(l);
  return l;
}

/* ---------------------------------------------------------------- profile.md examples */

static void test_example_register(void **state)
{
  (void)state;
  size_t n;
  char *doc = slurp("register.xml", &n);
  mbmsec_xml_service_list *l = svc_list();
  assert_int_equal(mbmsec_xml_parse_register(U(doc), n, MBMSEC_XML_REGISTER, l), MBMSEC_OK);
  assert_int_equal(l->n, 2);
  assert_int_equal(l->n_bad, 0);
  assert_string_equal(l->items[0].text, "urn:example:mbms:news");
  assert_int_equal(l->items[0].len, 21);
  assert_string_equal(l->items[1].text, "urn:example:mbms:sport");
  assert_int_equal(l->items[0].err, MBMSEC_OK);
  assert_int_equal(l->items[1].code, 0);
  /* The other kind's parser refuses it: another root element. */
  assert_int_equal(run(P_DEREG, U(doc), n), MBMSEC_ERR_XML_ROOT);
  /* Byte-exact: the builder writes the example itself. */
  char out[1024];
  size_t outlen;
  assert_int_equal(mbmsec_xml_build_register(MBMSEC_XML_REGISTER, l, out, sizeof out, &outlen),
                   MBMSEC_OK);
  assert_int_equal(outlen, n);
  assert_string_equal(out, doc);
  free(l);
  free(doc);
}

static void test_example_deregister(void **state)
{
  (void)state;
  size_t n;
  char *doc = slurp("deregister.xml", &n);
  mbmsec_xml_service_list *l = svc_list();
  assert_int_equal(mbmsec_xml_parse_register(U(doc), n, MBMSEC_XML_DEREGISTER, l), MBMSEC_OK);
  assert_int_equal(l->n, 1);
  assert_string_equal(l->items[0].text, "urn:example:mbms:sport");
  assert_int_equal(run(P_REG, U(doc), n), MBMSEC_ERR_XML_ROOT);
  char out[1024];
  size_t outlen;
  assert_int_equal(mbmsec_xml_build_register(MBMSEC_XML_DEREGISTER, l, out, sizeof out, &outlen),
                   MBMSEC_OK);
  assert_string_equal(out, doc);
  free(l);
  free(doc);
}

static const char REGRESP_BUILT[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<mbmsUserServiceRegistrationResponse "
    "xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceRegistrationResponse\">\n"
    "  <status code=\"200\">\n"
    "    <serviceId>urn:example:mbms:news</serviceId>\n"
    "  </status>\n"
    "  <status code=\"401\">\n"
    "    <serviceId>urn:example:mbms:sport</serviceId>\n"
    "  </status>\n"
    "</mbmsUserServiceRegistrationResponse>\n";

static void test_example_register_response(void **state)
{
  (void)state;
  size_t n;
  char *doc = slurp("register-response.xml", &n);
  mbmsec_xml_service_list *l = svc_list();
  assert_int_equal(mbmsec_xml_parse_register_response(U(doc), n, l), MBMSEC_OK);
  assert_int_equal(l->n, 2);
  assert_string_equal(l->items[0].text, "urn:example:mbms:news");
  assert_int_equal(l->items[0].code, 200);
  assert_string_equal(l->items[1].text, "urn:example:mbms:sport");
  assert_int_equal(l->items[1].code, 401);
  /* The example wraps the root start tag; the builder writes it on one line. */
  char out[1024];
  size_t outlen;
  assert_int_equal(mbmsec_xml_build_register_response(l, out, sizeof out, &outlen), MBMSEC_OK);
  assert_string_equal(out, REGRESP_BUILT);
  assert_int_equal(outlen, strlen(REGRESP_BUILT));
  free(l);
  free(doc);
}

static void test_example_msk_request(void **state)
{
  (void)state;
  size_t n;
  char *doc = slurp("msk-request.xml", &n);
  mbmsec_xml_key_list *l = key_list();
  assert_int_equal(mbmsec_xml_parse_msk_request(U(doc), n, l), MBMSEC_OK);
  assert_int_equal(l->n, 2);
  assert_int_equal(l->n_bad, 0);
  assert_memory_equal(l->items[0].kdid, KDID, 3);
  assert_memory_equal(l->items[0].msk_id, MSK2, 4);
  assert_memory_equal(l->items[1].kdid, KDID, 3);
  assert_memory_equal(l->items[1].msk_id, MSK3, 4);
  assert_string_equal(l->items[0].text, "APEQAAEAAg==");
  assert_int_equal(mbmsec_xml_msk_key_group(l->items[1].msk_id), 1);
  assert_int_equal(mbmsec_xml_msk_key_number(l->items[1].msk_id), 3);
  assert_false(mbmsec_xml_msk_is_current(l->items[1].msk_id));
  /* Byte-exact from octets only. */
  mbmsec_xml_key_list *b = key_list();
  assert_int_equal(mbmsec_xml_key_add(b, KDID, MSK2, 0), MBMSEC_OK);
  assert_int_equal(mbmsec_xml_key_add(b, KDID, MSK3, 0), MBMSEC_OK);
  char out[1024];
  size_t outlen;
  assert_int_equal(mbmsec_xml_build_msk_request(b, out, sizeof out, &outlen), MBMSEC_OK);
  assert_string_equal(out, doc);
  assert_int_equal(outlen, n);
  free(b);
  free(l);
  free(doc);
}

static void test_example_msk_response(void **state)
{
  (void)state;
  size_t n;
  char *doc = slurp("msk-response.xml", &n);
  mbmsec_xml_key_list *l = key_list();
  assert_int_equal(mbmsec_xml_parse_msk_response(U(doc), n, l), MBMSEC_OK);
  assert_int_equal(l->n, 2);
  assert_memory_equal(l->items[0].msk_id, MSK2, 4);
  assert_int_equal(l->items[0].code, 200);
  assert_memory_equal(l->items[1].msk_id, MSK3, 4);
  assert_int_equal(l->items[1].code, 404);
  mbmsec_xml_key_list *b = key_list();
  assert_int_equal(mbmsec_xml_key_add(b, KDID, MSK2, 200), MBMSEC_OK);
  assert_int_equal(mbmsec_xml_key_add(b, KDID, MSK3, 404), MBMSEC_OK);
  char out[1024];
  size_t outlen;
  assert_int_equal(mbmsec_xml_build_msk_response(b, out, sizeof out, &outlen), MBMSEC_OK);
  assert_string_equal(out, doc);
  free(b);
  free(l);
  free(doc);
}

static void test_example_usd(void **state)
{
  (void)state;
  size_t n;
  char *doc = slurp("usd.xml", &n);
  mbmsec_xml_usd *u = calloc(1, sizeof *u);
  assert_int_equal(mbmsec_xml_parse_usd(U(doc), n, u), MBMSEC_OK);
  assert_int_equal(u->n, 1);
  assert_string_equal(u->services[0].service_id, "urn:example:mbms:news");
  assert_int_equal(u->services[0].n_methods, 1);
  assert_string_equal(u->services[0].methods[0].session_uri, "news.sdp");
  assert_string_equal(u->services[0].methods[0].protection_uri, "news-protection.xml");
  free(u);
  free(doc);
}

static void test_example_secdesc(void **state)
{
  (void)state;
  size_t n;
  char *doc = slurp("secdesc.xml", &n);
  mbmsec_xml_secdesc *s = calloc(1, sizeof *s);
  assert_int_equal(mbmsec_xml_parse_secdesc(U(doc), n, s), MBMSEC_OK);
  assert_int_equal(s->n_kms, 1);
  assert_int_equal(s->kms[0].n_server_uri, 1);
  assert_string_equal(s->kms[0].server_uri[0], "http://bmsc.example.org:8080");
  assert_true(s->kms[0].has_offset_time);
  assert_int_equal(s->kms[0].offset_time, 5);
  assert_true(s->kms[0].has_random_time_period);
  assert_int_equal(s->kms[0].random_time_period, 30);
  assert_false(s->kms[0].uicc_key_management);
  assert_true(s->has_kdid);
  assert_memory_equal(s->kdid, KDID, 3);
  assert_true(s->has_confidentiality && s->confidentiality);
  assert_true(s->has_integrity && s->integrity);
  assert_int_equal(s->n_sessions, 1);
  assert_string_equal(s->sessions[0].id, "news-video");
  assert_memory_equal(s->sessions[0].kdid, KDID, 3);
  assert_memory_equal(s->sessions[0].msk_id, MSK0, 4);
  assert_true(mbmsec_xml_msk_is_current(s->sessions[0].msk_id)); /* P15 */
  assert_int_equal(mbmsec_xml_msk_key_group(s->sessions[0].msk_id), 1);
  assert_string_equal(s->sessions[0].mikey.host, "239.1.1.1");
  assert_int_equal(s->sessions[0].mikey.port, 4000);
  assert_string_equal(s->sessions[0].srtp.host, "239.1.1.1");
  assert_int_equal(s->sessions[0].srtp.port, 5004);
  free(s);
  free(doc);
}

/* ---------------------------------------------------------------- per item, P15 */

static const char MSK_MIXED[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\">\n"
    "  <keyId>APEQAAEAAg==</keyId>\n"
    "  <keyId>APEQAAEAAg=</keyId>\n"      /* 11 characters */
    "  <keyId>APEQAAEAAgAA</keyId>\n"     /* 12 characters, 9 octets */
    "  <keyId> APEQAAEAAA== </keyId>\n"   /* key number 0, blanks trimmed */
    "  <keyId>AP EQAAEAAw=</keyId>\n"     /* white space inside */
    "  <keyId>&lt;bad&amp;&gt;</keyId>\n" /* escaped, echoed escaped */
    "  <keyId></keyId>\n"                 /* empty */
    "  <keyId>APEQAAEAAh==</keyId>\n"     /* non-zero unused bits: not canonical */
    "  <keyId>APEQAAEAAw==</keyId>\n"
    "</mskRequest>\n";

static void test_per_item_400(void **state)
{
  (void)state;
  mbmsec_xml_key_list *l = key_list();
  assert_int_equal(mbmsec_xml_parse_msk_request(U(MSK_MIXED), strlen(MSK_MIXED), l), MBMSEC_OK);
  assert_int_equal(l->n, 9);
  assert_int_equal(l->n_bad, 6);
  static const mbmsec_err want[9] = {MBMSEC_OK,
                                     MBMSEC_ERR_XML_KEYID,
                                     MBMSEC_ERR_XML_KEYID,
                                     MBMSEC_OK,
                                     MBMSEC_ERR_XML_KEYID,
                                     MBMSEC_ERR_XML_KEYID,
                                     MBMSEC_ERR_XML_KEYID,
                                     MBMSEC_ERR_XML_KEYID,
                                     MBMSEC_OK};
  for (size_t i = 0; i < 9; i++) assert_int_equal(l->items[i].err, want[i]);
  assert_string_equal(l->items[1].text, "APEQAAEAAg=");
  assert_string_equal(l->items[5].text, "<bad&>");
  assert_string_equal(l->items[6].text, "");
  assert_true(all_zero(l->items[2].msk_id, 4) && all_zero(l->items[2].kdid, 3));
  /* P15: key number 0 asks for the current MSK of Key Group 1. */
  assert_string_equal(l->items[3].text, "APEQAAEAAA==");
  assert_memory_equal(l->items[3].msk_id, MSK0, 4);
  assert_true(mbmsec_xml_msk_is_current(l->items[3].msk_id));

  /* The BM-SC's answer: good items 200 / 204 / 404, bad ones 400, echoed as received. */
  l->items[0].code = 200;
  l->items[3].code = 200;
  l->items[8].code = MBMSEC_MBMS_STATUS_NO_UPDATE;
  for (size_t i = 0; i < 9; i++)
    if (l->items[i].err != MBMSEC_OK) l->items[i].code = 400;
  char out[4096];
  size_t outlen;
  assert_int_equal(mbmsec_xml_build_msk_response(l, out, sizeof out, &outlen), MBMSEC_OK);
  static const char want_doc[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                 "<mskResponse xmlns=\"urn:3GPP:metadata:2005:MBMS:mskResponse\">\n"
                                 "  <status code=\"200\">\n"
                                 "    <keyId>APEQAAEAAg==</keyId>\n"
                                 "    <keyId>APEQAAEAAA==</keyId>\n"
                                 "  </status>\n"
                                 "  <status code=\"400\">\n"
                                 "    <keyId>APEQAAEAAg=</keyId>\n"
                                 "    <keyId>APEQAAEAAgAA</keyId>\n"
                                 "    <keyId>AP EQAAEAAw=</keyId>\n"
                                 "    <keyId>&lt;bad&amp;&gt;</keyId>\n"
                                 "    <keyId></keyId>\n"
                                 "    <keyId>APEQAAEAAh==</keyId>\n"
                                 "  </status>\n"
                                 "  <status code=\"204\">\n"
                                 "    <keyId>APEQAAEAAw==</keyId>\n"
                                 "  </status>\n"
                                 "</mskResponse>\n";
  assert_string_equal(out, want_doc);
  /* ... which the UE reads back item for item. */
  mbmsec_xml_key_list *r = key_list();
  assert_int_equal(mbmsec_xml_parse_msk_response(U(out), outlen, r), MBMSEC_OK);
  assert_int_equal(r->n, 9);
  assert_int_equal(r->n_bad, 6);
  assert_int_equal(r->items[2].code, 400);
  assert_int_equal(r->items[8].code, 204);
  assert_memory_equal(r->items[8].msk_id, MSK3, 4);
  /* A bad item cannot go out under another code, nor in a request. */
  l->items[1].code = 404;
  assert_int_equal(mbmsec_xml_build_msk_response(l, out, sizeof out, &outlen),
                   MBMSEC_ERR_XML_STATUS);
  assert_int_equal(mbmsec_xml_build_msk_request(l, out, sizeof out, &outlen),
                   MBMSEC_ERR_XML_STATUS);
  for (size_t i = 0; i < 9; i++) l->items[i].code = 0;
  assert_int_equal(mbmsec_xml_build_msk_request(l, out, sizeof out, &outlen), MBMSEC_ERR_XML_KEYID);
  free(r);
  free(l);
}

static void test_per_item_service(void **state)
{
  (void)state;
  static const char doc[] =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<mbmsUserServiceRegistration xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceRegistration\">"
      "<serviceId>urn:a</serviceId><serviceId>urn:b c</serviceId>"
      "<serviceId>urn:\xC3\xA9t\xC3\xA9</serviceId><serviceId/>"
      "<serviceId><![CDATA[urn:cdata]]></serviceId><!-- c --><?pi x?>"
      "</mbmsUserServiceRegistration>";
  mbmsec_xml_service_list *l = svc_list();
  assert_int_equal(mbmsec_xml_parse_register(U(doc), strlen(doc), MBMSEC_XML_REGISTER, l),
                   MBMSEC_OK);
  assert_int_equal(l->n, 5);
  assert_int_equal(l->n_bad, 3);
  assert_int_equal(l->items[0].err, MBMSEC_OK);
  assert_int_equal(l->items[1].err, MBMSEC_ERR_XML_ITEM);
  assert_int_equal(l->items[2].err, MBMSEC_ERR_XML_ITEM);
  assert_string_equal(l->items[2].text, "urn:\xC3\xA9t\xC3\xA9");
  assert_int_equal(l->items[3].err, MBMSEC_ERR_XML_ITEM);
  assert_int_equal(l->items[4].err, MBMSEC_OK);
  assert_string_equal(l->items[4].text, "urn:cdata");
  for (size_t i = 0; i < l->n; i++) l->items[i].code = l->items[i].err == MBMSEC_OK ? 200 : 400;
  char out[2048];
  size_t outlen;
  assert_int_equal(mbmsec_xml_build_register_response(l, out, sizeof out, &outlen), MBMSEC_OK);
  mbmsec_xml_service_list *r = svc_list();
  assert_int_equal(mbmsec_xml_parse_register_response(U(out), outlen, r), MBMSEC_OK);
  assert_int_equal(r->n, 5);
  assert_string_equal(r->items[2].text, l->items[1].text); /* groups: 200 first, then 400 */
  assert_int_equal(r->items[2].code, 400);
  free(r);
  free(l);
}

/* ---------------------------------------------------------------- round trips, builders */

static void test_round_trip(void **state)
{
  (void)state;
  static const unsigned codes[] = {200, 400, 401, 404, 480, 500};
  mbmsec_xml_service_list *l = svc_list(), *r = svc_list();
  char id[64];
  for (size_t i = 0; i < MBMSEC_XML_MAX_ITEMS; i++) {
    snprintf(id, sizeof id, "urn:x:%zu?a=1&b=<%zu>", i, i * 7);
    assert_int_equal(mbmsec_xml_service_add(l, id, codes[i % 6]), MBMSEC_OK);
  }
  assert_int_equal(mbmsec_xml_service_add(l, "urn:one-too-many", 200), MBMSEC_ERR_XML_TOO_MANY);
  size_t cap = 64 * 1024, outlen;
  char *out = malloc(cap);
  assert_int_equal(mbmsec_xml_build_register_response(l, out, cap, &outlen), MBMSEC_OK);
  assert_int_equal(mbmsec_xml_parse_register_response(U(out), outlen, r), MBMSEC_OK);
  assert_int_equal(r->n, l->n);
  /* Regrouped by code; every item comes back with its own code. */
  for (size_t i = 0; i < r->n; i++) {
    bool found = false;
    for (size_t j = 0; j < l->n; j++)
      if (!strcmp(r->items[i].text, l->items[j].text)) {
        assert_int_equal(r->items[i].code, l->items[j].code);
        found = true;
      }
    assert_true(found);
  }
  /* Building the parsed list gives the same bytes again. */
  char *again = malloc(cap);
  size_t againlen;
  assert_int_equal(mbmsec_xml_build_register_response(r, again, cap, &againlen), MBMSEC_OK);
  assert_int_equal(againlen, outlen);
  assert_memory_equal(again, out, outlen);

  /* Requests of both kinds. */
  for (size_t i = 0; i < l->n; i++) l->items[i].code = 0;
  for (int k = 0; k < 2; k++) {
    mbmsec_xml_reg_kind kind = k ? MBMSEC_XML_DEREGISTER : MBMSEC_XML_REGISTER;
    assert_int_equal(mbmsec_xml_build_register(kind, l, out, cap, &outlen), MBMSEC_OK);
    assert_int_equal(mbmsec_xml_parse_register(U(out), outlen, kind, r), MBMSEC_OK);
    assert_int_equal(r->n, l->n);
    for (size_t i = 0; i < r->n; i++) assert_string_equal(r->items[i].text, l->items[i].text);
  }

  /* keyIds: every code with 204, key numbers 0..; request and response. */
  mbmsec_xml_key_list *kl = key_list(), *kr = key_list();
  static const unsigned kcodes[] = {200, 204, 400, 401, 404, 480, 500};
  for (size_t i = 0; i < MBMSEC_XML_MAX_ITEMS; i++) {
    uint8_t kd[3] = {(uint8_t)i, 0xF1, 0x10}, mi[4] = {0, (uint8_t)(i % 3), 0, (uint8_t)i};
    assert_int_equal(mbmsec_xml_key_add(kl, kd, mi, kcodes[i % 7]), MBMSEC_OK);
  }
  assert_int_equal(mbmsec_xml_build_msk_response(kl, out, cap, &outlen), MBMSEC_OK);
  assert_int_equal(mbmsec_xml_parse_msk_response(U(out), outlen, kr), MBMSEC_OK);
  assert_int_equal(kr->n, kl->n);
  assert_int_equal(mbmsec_xml_build_msk_response(kr, again, cap, &againlen), MBMSEC_OK);
  assert_int_equal(againlen, outlen);
  assert_memory_equal(again, out, outlen);
  for (size_t i = 0; i < kl->n; i++) kl->items[i].code = 0;
  assert_int_equal(mbmsec_xml_build_msk_request(kl, out, cap, &outlen), MBMSEC_OK);
  assert_int_equal(mbmsec_xml_parse_msk_request(U(out), outlen, kr), MBMSEC_OK);
  for (size_t i = 0; i < kr->n; i++) {
    assert_memory_equal(kr->items[i].kdid, kl->items[i].kdid, 3);
    assert_memory_equal(kr->items[i].msk_id, kl->items[i].msk_id, 4);
  }
  free(kl);
  free(kr);
  free(again);
  free(out);
  free(l);
  free(r);
}

static void test_builder_errors(void **state)
{
  (void)state;
  mbmsec_xml_service_list *l = svc_list();
  char out[1024];
  size_t outlen;
  assert_int_equal(mbmsec_xml_build_register(MBMSEC_XML_REGISTER, l, out, sizeof out, &outlen),
                   MBMSEC_ERR_XML_EMPTY);
  assert_int_equal(mbmsec_xml_service_add(l, "urn:a b", 0), MBMSEC_ERR_XML_ITEM);
  assert_int_equal(mbmsec_xml_service_add(l, "", 0), MBMSEC_ERR_XML_ITEM);
  char longid[MBMSEC_XML_TEXT_MAX + 2];
  memset(longid, 'a', sizeof longid - 1);
  longid[sizeof longid - 1] = '\0';
  assert_int_equal(mbmsec_xml_service_add(l, longid, 0), MBMSEC_ERR_XML_STRING_LEN);
  assert_int_equal(mbmsec_xml_service_add(l, "urn:a", 0), MBMSEC_OK);
  assert_int_equal(mbmsec_xml_service_add(l, "urn:a", 0), MBMSEC_OK);
  assert_int_equal(mbmsec_xml_build_register(MBMSEC_XML_REGISTER, l, out, sizeof out, &outlen),
                   MBMSEC_ERR_XML_DUP_ITEM);
  strcpy(l->items[1].text, "urn:b");
  /* A request carries no codes; a response only P4 codes (204 only for keys). */
  l->items[1].code = 200;
  assert_int_equal(mbmsec_xml_build_register(MBMSEC_XML_REGISTER, l, out, sizeof out, &outlen),
                   MBMSEC_ERR_XML_STATUS);
  l->items[0].code = 204;
  assert_int_equal(mbmsec_xml_build_register_response(l, out, sizeof out, &outlen),
                   MBMSEC_ERR_XML_STATUS);
  l->items[0].code = 200;
  /* Every capacity short of the document gives MBMSEC_ERR_SPACE, never a partial write. */
  size_t need;
  assert_int_equal(mbmsec_xml_build_register_response(l, out, sizeof out, &need), MBMSEC_OK);
  for (size_t cap = 1; cap <= need; cap++) {
    char *small = malloc(cap);
    assert_int_equal(mbmsec_xml_build_register_response(l, small, cap, &outlen), MBMSEC_ERR_SPACE);
    assert_int_equal(small[0], '\0');
    free(small);
  }
  char *exact = malloc(need + 1);
  assert_int_equal(mbmsec_xml_build_register_response(l, exact, need + 1, &outlen), MBMSEC_OK);
  free(exact);
  assert_int_equal(mbmsec_xml_build_register_response(NULL, out, sizeof out, &outlen),
                   MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_xml_build_register((mbmsec_xml_reg_kind)7, l, out, sizeof out, &outlen),
                   MBMSEC_ERR_ARG);
  /* A bad item with surrounding blanks or a control character cannot be echoed. */
  l->items[1].err = MBMSEC_ERR_XML_ITEM;
  l->items[1].code = 400;
  strcpy(l->items[1].text, " x");
  assert_int_equal(mbmsec_xml_build_register_response(l, out, sizeof out, &outlen),
                   MBMSEC_ERR_XML_ITEM);
  strcpy(l->items[1].text, "a\x01");
  assert_int_equal(mbmsec_xml_build_register_response(l, out, sizeof out, &outlen),
                   MBMSEC_ERR_XML_ITEM);
  strcpy(l->items[1].text, "a\rb");
  assert_int_equal(mbmsec_xml_build_register_response(l, out, sizeof out, &outlen), MBMSEC_OK);
  assert_non_null(strstr(out, "a&#13;b"));
  mbmsec_xml_service_list *r = svc_list();
  assert_int_equal(mbmsec_xml_parse_register_response(U(out), outlen, r), MBMSEC_OK);
  assert_string_equal(r->items[1].text, "a\rb");
  free(r);
  free(l);
}

static void test_keyid_codec(void **state)
{
  (void)state;
  char s[13];
  uint8_t kd[3], mi[4];
  assert_int_equal(mbmsec_xml_keyid_encode(KDID, MSK2, s), MBMSEC_OK);
  assert_string_equal(s, "APEQAAEAAg==");
  assert_int_equal(mbmsec_xml_keyid_decode("APEQAAEAAw==", 12, kd, mi), MBMSEC_OK);
  assert_memory_equal(mi, MSK3, 4);
  assert_int_equal(mbmsec_xml_keyid_decode("APEQAAEAAw=", 11, kd, mi), MBMSEC_ERR_XML_KEYID);
  assert_int_equal(mbmsec_xml_keyid_decode("APEQAAEAAwAA", 12, kd, mi), MBMSEC_ERR_XML_KEYID);
  assert_int_equal(mbmsec_xml_keyid_decode("APEQAAEAAx==", 12, kd, mi), MBMSEC_ERR_XML_KEYID);
  assert_int_equal(mbmsec_xml_keyid_decode("APEQAAEA-w==", 12, kd, mi), MBMSEC_ERR_XML_KEYID);
  assert_int_equal(mbmsec_xml_keyid_decode(NULL, 12, kd, mi), MBMSEC_ERR_ARG);
  assert_true(mbmsec_xml_status_valid(204, true));
  assert_false(mbmsec_xml_status_valid(204, false));
  assert_false(mbmsec_xml_status_valid(201, true));
  assert_true(mbmsec_xml_status_valid(480, false));
}

/* ---------------------------------------------------------------- announcement variants */

#define SD_HEAD                                                                     \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                    \
  "<securityDescription xmlns=\"urn:3GPP:metadata:2005:MBMS:securityDescription\" " \
  "xmlns:m=\"urn:mbmsec:2026:protection\" xmlns:o=\"urn:other\">"                   \
  "<keyManagementSpecification><serverURI>http://b</serverURI></keyManagementSpecification>"
#define SD_TAIL "</securityDescription>"

static void test_secdesc_variants(void **state)
{
  (void)state;
  static const struct {
    const char *body;
    mbmsec_err want;
  } cases[] = {
      {"", MBMSEC_OK},
      {"<o:anything a=\"1\"><m:session/></o:anything>", MBMSEC_OK}, /* other namespace: skipped */
      {"<m:session id=\"s\" keyId=\"APEQAAEAAA==\" mikey=\"[ff0e::1]:4000\" "
       "srtp=\"h.example:5004\"/>",
       MBMSEC_OK},
      {"<m:keyDomainId>00F11</m:keyDomainId>", MBMSEC_ERR_XML_VALUE},
      {"<m:keyDomainId>00f1g0</m:keyDomainId>", MBMSEC_ERR_XML_VALUE},
      {"<m:confidentiality>yes</m:confidentiality>", MBMSEC_ERR_XML_VALUE},
      {"<m:integrity>1</m:integrity><m:integrity>0</m:integrity>", MBMSEC_ERR_XML_UNEXPECTED},
      {"<m:unknown/>", MBMSEC_ERR_XML_UNEXPECTED},
      {"<unknownSecdesc/>", MBMSEC_ERR_XML_UNEXPECTED},
      {"<x xmlns=\"\"/>", MBMSEC_ERR_XML_NAMESPACE},
      {"<m:session id=\"s\" keyId=\"APEQAAEAAA==\" mikey=\"239.1.1.1:4000\"/>",
       MBMSEC_ERR_XML_MISSING},
      {"<m:session id=\"s\" keyId=\"APEQAAEAAA=\" mikey=\"a:1\" srtp=\"a:2\"/>",
       MBMSEC_ERR_XML_KEYID},
      {"<m:session id=\"s\" keyId=\"APEQAAEAAA==\" mikey=\"a:0\" srtp=\"a:2\"/>",
       MBMSEC_ERR_XML_VALUE},
      {"<m:session id=\"s\" keyId=\"APEQAAEAAA==\" mikey=\"a:65536\" srtp=\"a:2\"/>",
       MBMSEC_ERR_XML_VALUE},
      {"<m:session id=\"s\" keyId=\"APEQAAEAAA==\" mikey=\"a\" srtp=\"a:2\"/>",
       MBMSEC_ERR_XML_VALUE},
      {"<m:session id=\"s\" keyId=\"APEQAAEAAA==\" mikey=\"ff0e::1:4\" srtp=\"a:2\"/>",
       MBMSEC_ERR_XML_VALUE},
      {"<m:session id=\"s\" keyId=\"APEQAAEAAA==\" mikey=\"[zz]:4\" srtp=\"a:2\"/>",
       MBMSEC_ERR_XML_VALUE},
      {"<m:session id=\"s\" keyId=\"APEQAAEAAA==\" mikey=\"a:1\" srtp=\"a:2\" extra=\"1\"/>",
       MBMSEC_ERR_XML_UNEXPECTED},
      {"<m:session id=\"s\" keyId=\"APEQAAEAAA==\" mikey=\"a:1\" srtp=\"a:2\"/>"
       "<m:session id=\"s\" keyId=\"APEQAAEAAQ==\" mikey=\"a:1\" srtp=\"a:2\"/>",
       MBMSEC_ERR_XML_DUP_ITEM},
      {"<keyManagementSpecification uiccKeyManagement=\"maybe\"><serverURI>u</serverURI>"
       "</keyManagementSpecification>",
       MBMSEC_ERR_XML_VALUE},
      {"<keyManagementSpecification><offsetTime>5</offsetTime></keyManagementSpecification>",
       MBMSEC_ERR_XML_EMPTY},
      {"<keyManagementSpecification><serverURI>u</serverURI><offsetTime>4294967296</offsetTime>"
       "</keyManagementSpecification>",
       MBMSEC_ERR_XML_VALUE},
      {"<keyManagementSpecification><serverURI>u</serverURI><offsetTime>-1</offsetTime>"
       "</keyManagementSpecification>",
       MBMSEC_ERR_XML_VALUE},
      {"<keyManagementSpecification><serverURI>a b</serverURI></keyManagementSpecification>",
       MBMSEC_ERR_XML_VALUE},
  };
  char doc[2048];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    snprintf(doc, sizeof doc, SD_HEAD "%s" SD_TAIL, cases[i].body);
    mbmsec_err rc = run(P_SECDESC, U(doc), strlen(doc));
    if (rc != cases[i].want)
      fail_msg("secdesc case %zu: got %s, want %s", i, mbmsec_errname(rc),
               mbmsec_errname(cases[i].want));
  }
  /* No keyManagementSpecification at all. */
  static const char none[] = "<securityDescription "
                             "xmlns=\"urn:3GPP:metadata:2005:MBMS:securityDescription\"/>";
  assert_int_equal(run(P_SECDESC, U(none), strlen(none)), MBMSEC_ERR_XML_EMPTY);
  /* The IPv6 session parses to its parts. */
  snprintf(doc, sizeof doc, SD_HEAD "%s" SD_TAIL, cases[2].body);
  mbmsec_xml_secdesc *s = calloc(1, sizeof *s);
  assert_int_equal(mbmsec_xml_parse_secdesc(U(doc), strlen(doc), s), MBMSEC_OK);
  assert_string_equal(s->sessions[0].mikey.host, "ff0e::1");
  assert_int_equal(s->sessions[0].mikey.port, 4000);
  assert_string_equal(s->sessions[0].srtp.host, "h.example");
  assert_false(s->has_kdid);
  free(s);
}

static void test_usd_variants(void **state)
{
  (void)state;
  static const char two[] =
      "<bundleDescription xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceDescription\">"
      "<name>ignored</name><o:x xmlns:o=\"urn:o\"/>"
      "<userServiceDescription serviceId=\"urn:a\"><serviceLanguage>en</serviceLanguage>"
      "<deliveryMethod sessionDescriptionURI=\"a.sdp\"/>"
      "<deliveryMethod sessionDescriptionURI=\"b.sdp\" protectionDescriptionURI=\"b.xml\"/>"
      "</userServiceDescription>"
      "<userServiceDescription serviceId=\"urn:b\"/></bundleDescription>";
  mbmsec_xml_usd *u = calloc(1, sizeof *u);
  assert_int_equal(mbmsec_xml_parse_usd(U(two), strlen(two), u), MBMSEC_OK);
  assert_int_equal(u->n, 2);
  assert_int_equal(u->services[0].n_methods, 2);
  assert_string_equal(u->services[0].methods[0].protection_uri, "");
  assert_string_equal(u->services[0].methods[1].protection_uri, "b.xml");
  assert_int_equal(u->services[1].n_methods, 0);
  free(u);
  static const char nosid[] =
      "<bundleDescription xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceDescription\">"
      "<userServiceDescription/></bundleDescription>";
  assert_int_equal(run(P_USD, U(nosid), strlen(nosid)), MBMSEC_ERR_XML_MISSING);
  static const char none[] =
      "<bundleDescription xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceDescription\"/>";
  assert_int_equal(run(P_USD, U(none), strlen(none)), MBMSEC_ERR_XML_EMPTY);
  static const char badsid[] =
      "<bundleDescription xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceDescription\">"
      "<userServiceDescription serviceId=\"a b\"/></bundleDescription>";
  assert_int_equal(run(P_USD, U(badsid), strlen(badsid)), MBMSEC_ERR_XML_VALUE);
}

/* ---------------------------------------------------------------- hostile documents */

#define DECL       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define MREQ_OPEN  "<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\">"
#define MRESP_OPEN "<mskResponse xmlns=\"urn:3GPP:metadata:2005:MBMS:mskResponse\">"
#define RRESP_OPEN                        \
  "<mbmsUserServiceRegistrationResponse " \
  "xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceRegistrationResponse\">"
#define GOOD_KEY "<keyId>APEQAAEAAg==</keyId>"

static const char BILLION_LAUGHS[] =
    DECL "<!DOCTYPE mskRequest [\n"
         " <!ENTITY lol \"lol\">\n"
         " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
         " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
         " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
         " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
         " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
         " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
         " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
         " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
         " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
         "]>\n" MREQ_OPEN "<keyId>&lol9;</keyId></mskRequest>";

static const char XXE_FILE[] =
    DECL "<!DOCTYPE mskRequest [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n" MREQ_OPEN
         "<keyId>&xxe;</keyId></mskRequest>";

static const char INTERNAL_ENTITY[] = DECL
    "<!DOCTYPE mbmsUserServiceRegistration [<!ENTITY e \"urn:INJECTED\">]>\n"
    "<mbmsUserServiceRegistration xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceRegistration\">"
    "<serviceId>&e;</serviceId></mbmsUserServiceRegistration>";

typedef struct {
  const char *name;
  which parser;
  const char *doc; /* NULL: built by make_hostile */
  size_t len;      /* 0: strlen(doc) */
  mbmsec_err want;
} hostile;

static const hostile HOSTILE[] = {
    {"billion laughs", P_MSKREQ, BILLION_LAUGHS, 0, MBMSEC_ERR_XML_DOCTYPE},
    {"external entity file:///etc/passwd", P_MSKREQ, XXE_FILE, 0, MBMSEC_ERR_XML_DOCTYPE},
    {"internal entity", P_REG, INTERNAL_ENTITY, 0, MBMSEC_ERR_XML_DOCTYPE},
    {"parameter entity XXE", P_MSKREQ,
     DECL "<!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>" MREQ_OPEN GOOD_KEY
          "</mskRequest>",
     0, MBMSEC_ERR_XML_DOCTYPE},
    {"bare DOCTYPE", P_MSKREQ, DECL "<!DOCTYPE mskRequest>" MREQ_OPEN GOOD_KEY "</mskRequest>", 0,
     MBMSEC_ERR_XML_DOCTYPE},
    {"external DTD over http", P_MSKREQ,
     DECL "<!DOCTYPE mskRequest SYSTEM \"http://127.0.0.1:9/x.dtd\">" MREQ_OPEN GOOD_KEY
          "</mskRequest>",
     0, MBMSEC_ERR_XML_DOCTYPE},
    {"undeclared entity in text", P_MSKREQ, DECL MREQ_OPEN "<keyId>&xxe;</keyId></mskRequest>", 0,
     MBMSEC_ERR_XML_ENTITY},
    {"undeclared entity in attribute", P_MSKRESP,
     DECL MRESP_OPEN "<status code=\"&c;\">" GOOD_KEY "</status></mskResponse>", 0,
     MBMSEC_ERR_XML_ENTITY},
    {"huge attribute", P_MSKREQ, NULL, 0, MBMSEC_ERR_XML_ATTR_LEN},
    {"deep nesting", P_MSKREQ, NULL, 0, MBMSEC_ERR_XML_DEPTH},
    {"too many elements", P_MSKREQ, NULL, 0, MBMSEC_ERR_XML_ELEMENTS},
    {"too many attributes", P_MSKREQ, NULL, 0, MBMSEC_ERR_XML_ELEMENTS},
    {"too many items", P_MSKREQ, NULL, 0, MBMSEC_ERR_XML_TOO_MANY},
    {"oversize", P_MSKREQ, NULL, 0, MBMSEC_ERR_XML_SIZE},
    {"empty input", P_MSKREQ, "", 0, MBMSEC_ERR_XML_SIZE},
    {"item text too long", P_REG, NULL, 0, MBMSEC_ERR_XML_STRING_LEN},
    {"wrong root namespace", P_MSKREQ,
     DECL "<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskResponse\">" GOOD_KEY "</mskRequest>",
     0, MBMSEC_ERR_XML_NAMESPACE},
    {"root in no namespace", P_MSKREQ, DECL "<mskRequest>" GOOD_KEY "</mskRequest>", 0,
     MBMSEC_ERR_XML_NAMESPACE},
    {"lower-case 3gpp namespace", P_MSKREQ,
     DECL "<mskRequest xmlns=\"urn:3gpp:metadata:2005:MBMS:mskRequest\">" GOOD_KEY "</mskRequest>",
     0, MBMSEC_ERR_XML_NAMESPACE},
    {"prefix bound elsewhere", P_MSKREQ,
     DECL "<m:mskRequest xmlns:m=\"urn:other\" "
          "xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\">" GOOD_KEY "</m:mskRequest>",
     0, MBMSEC_ERR_XML_NAMESPACE},
    {"wrong root", P_MSKREQ,
     DECL MRESP_OPEN "<status code=\"200\">" GOOD_KEY "</status></mskResponse>", 0,
     MBMSEC_ERR_XML_ROOT},
    {"empty list", P_MSKREQ, DECL MREQ_OPEN "</mskRequest>", 0, MBMSEC_ERR_XML_EMPTY},
    {"only foreign items", P_MSKREQ,
     DECL MREQ_OPEN "<o:keyId xmlns:o=\"urn:other\">APEQAAEAAg==</o:keyId></mskRequest>", 0,
     MBMSEC_ERR_XML_EMPTY},
    {"XInclude is not processed", P_MSKREQ,
     DECL MREQ_OPEN "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" "
                    "href=\"file:///etc/passwd\" parse=\"text\"/></mskRequest>",
     0, MBMSEC_ERR_XML_EMPTY},
    {"empty status group", P_MSKRESP, DECL MRESP_OPEN "<status code=\"200\"/></mskResponse>", 0,
     MBMSEC_ERR_XML_EMPTY},
    {"item in no namespace", P_MSKREQ,
     DECL MREQ_OPEN "<keyId xmlns=\"\">APEQAAEAAg==</keyId></mskRequest>", 0,
     MBMSEC_ERR_XML_NAMESPACE},
    {"latin-1 octet", P_REG,
     DECL
     "<mbmsUserServiceRegistration xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceRegistration\">"
     "<serviceId>urn:caf\xE9</serviceId></mbmsUserServiceRegistration>",
     0, MBMSEC_ERR_XML_ENCODING},
    {"UTF-16 with BOM", P_MSKREQ, "\xFF\xFE<\0m\0", 6, MBMSEC_ERR_XML_ENCODING},
    {"declared ISO-8859-1", P_MSKREQ,
     "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" MREQ_OPEN GOOD_KEY "</mskRequest>", 0,
     MBMSEC_ERR_XML_ENCODING},
    {"declared UTF-7 hiding a DOCTYPE", P_MSKREQ,
     "<?xml version=\"1.0\" encoding=\"UTF-7\"?>+ADw-!DOCTYPE x+AD4-" MREQ_OPEN GOOD_KEY
     "</mskRequest>",
     0, MBMSEC_ERR_XML_ENCODING},
    {"overlong UTF-8", P_MSKREQ, DECL MREQ_OPEN "<keyId>\xC0\xAF</keyId></mskRequest>", 0,
     MBMSEC_ERR_XML_ENCODING},
    {"embedded NUL", P_MSKREQ, DECL MREQ_OPEN "<keyId>A\0B</keyId></mskRequest>",
     sizeof(DECL MREQ_OPEN "<keyId>A\0B</keyId></mskRequest>") - 1, MBMSEC_ERR_XML_ENCODING},
    {"truncated", P_MSKREQ, DECL MREQ_OPEN "<keyId>APEQAAEAAg==</ke", 0, MBMSEC_ERR_XML_SYNTAX},
    {"two roots", P_MSKREQ,
     DECL MREQ_OPEN GOOD_KEY "</mskRequest>" MREQ_OPEN GOOD_KEY "</mskRequest>", 0,
     MBMSEC_ERR_XML_SYNTAX},
    {"DOCTYPE after the root", P_MSKREQ,
     DECL MREQ_OPEN GOOD_KEY "</mskRequest><!DOCTYPE x [<!ENTITY a \"b\">]>", 0,
     MBMSEC_ERR_XML_SYNTAX},
    {"unclosed comment", P_MSKREQ, DECL MREQ_OPEN GOOD_KEY "<!-- </mskRequest>", 0,
     MBMSEC_ERR_XML_SYNTAX},
    {"undeclared prefix", P_MSKREQ, DECL MREQ_OPEN "<x:keyId>A</x:keyId></mskRequest>", 0,
     MBMSEC_ERR_XML_SYNTAX},
    {"duplicate attribute", P_MSKRESP,
     DECL MRESP_OPEN "<status code=\"200\" code=\"404\">" GOOD_KEY "</status></mskResponse>", 0,
     MBMSEC_ERR_XML_SYNTAX},
    {"duplicate keyId", P_MSKREQ, DECL MREQ_OPEN GOOD_KEY " " GOOD_KEY "</mskRequest>", 0,
     MBMSEC_ERR_XML_DUP_ITEM},
    {"same item in two groups", P_MSKRESP,
     DECL MRESP_OPEN "<status code=\"200\">" GOOD_KEY "</status><status code=\"404\">" GOOD_KEY
                     "</status></mskResponse>",
     0, MBMSEC_ERR_XML_DUP_ITEM},
    {"two groups, one code", P_MSKRESP,
     DECL MRESP_OPEN "<status code=\"200\">" GOOD_KEY "</status><status code=\"200\">"
                     "<keyId>APEQAAEAAw==</keyId></status></mskResponse>",
     0, MBMSEC_ERR_XML_DUP_STATUS},
    {"code 2000 in disguise", P_MSKRESP,
     DECL MRESP_OPEN "<status code=\"0200\">" GOOD_KEY "</status></mskResponse>", 0,
     MBMSEC_ERR_XML_STATUS},
    {"unknown code", P_MSKRESP,
     DECL MRESP_OPEN "<status code=\"299\">" GOOD_KEY "</status></mskResponse>", 0,
     MBMSEC_ERR_XML_STATUS},
    {"204 in a registration response", P_REGRESP,
     DECL RRESP_OPEN "<status code=\"204\"><serviceId>urn:a</serviceId></status>"
                     "</mbmsUserServiceRegistrationResponse>",
     0, MBMSEC_ERR_XML_STATUS},
    {"status without code", P_REGRESP,
     DECL RRESP_OPEN "<status><serviceId>urn:a</serviceId></status>"
                     "</mbmsUserServiceRegistrationResponse>",
     0, MBMSEC_ERR_XML_STATUS},
    {"item outside a group", P_REGRESP,
     DECL RRESP_OPEN "<serviceId>urn:a</serviceId></mbmsUserServiceRegistrationResponse>", 0,
     MBMSEC_ERR_XML_UNEXPECTED},
    {"element inside an item", P_MSKREQ,
     DECL MREQ_OPEN "<keyId>APEQ<keyId>AAEAAg==</keyId></keyId></mskRequest>", 0,
     MBMSEC_ERR_XML_UNEXPECTED},
    {"text between items", P_MSKREQ, DECL MREQ_OPEN GOOD_KEY "junk</mskRequest>", 0,
     MBMSEC_ERR_XML_UNEXPECTED},
    {"unknown attribute on the root", P_MSKREQ,
     DECL "<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\" evil=\"1\">" GOOD_KEY
          "</mskRequest>",
     0, MBMSEC_ERR_XML_UNEXPECTED},
};

/* The generated cases; the caller frees the result. */
static char *make_hostile(const char *name, size_t *len)
{
  size_t cap = 2 * MBMSEC_XML_DOC_MAX;
  char *b = malloc(cap);
  assert_non_null(b);
  size_t n = 0;
#define ADD(s)                 \
  do {                         \
    size_t l_ = strlen(s);     \
    assert_true(n + l_ < cap); \
    memcpy(b + n, s, l_);      \
    n += l_;                   \
  } while (0)
  ADD(DECL);
  if (!strcmp(name, "huge attribute")) {
    ADD("<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\" xmlns:o=\"urn:o\" o:a=\"");
    for (int i = 0; i < 60000; i++) ADD("A");
    ADD("\">" GOOD_KEY "</mskRequest>");
  } else if (!strcmp(name, "deep nesting")) {
    ADD(MREQ_OPEN);
    for (int i = 0; i < 200; i++) ADD("<o:a xmlns:o=\"urn:o\">");
    for (int i = 0; i < 200; i++) ADD("</o:a>");
    ADD("</mskRequest>");
  } else if (!strcmp(name, "too many elements")) {
    ADD(MREQ_OPEN "<o:a xmlns:o=\"urn:o\">");
    for (int i = 0; i < MBMSEC_XML_ELEMENTS_MAX + 1; i++) ADD("<o:b/>");
    ADD("</o:a>" GOOD_KEY "</mskRequest>");
  } else if (!strcmp(name, "too many attributes")) {
    ADD("<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\" xmlns:o=\"urn:o\"");
    char a[32];
    for (int i = 0; i < MBMSEC_XML_ATTRS_MAX + 1; i++) {
      snprintf(a, sizeof a, " o:a%d=\"\"", i);
      ADD(a);
    }
    ADD(">" GOOD_KEY "</mskRequest>");
  } else if (!strcmp(name, "too many items")) {
    ADD(MREQ_OPEN);
    char k[64], t[16];
    uint8_t mi[4] = {0, 1, 0, 0};
    for (int i = 0; i <= MBMSEC_XML_MAX_ITEMS; i++) {
      mi[2] = (uint8_t)(i >> 8);
      mi[3] = (uint8_t)i;
      assert_int_equal(mbmsec_xml_keyid_encode(KDID, mi, t), MBMSEC_OK);
      snprintf(k, sizeof k, "<keyId>%s</keyId>", t);
      ADD(k);
    }
    ADD("</mskRequest>");
  } else if (!strcmp(name, "oversize")) {
    ADD(MREQ_OPEN GOOD_KEY "<!--");
    while (n < MBMSEC_XML_DOC_MAX) ADD("xxxxxxxx");
    ADD("--></mskRequest>");
  } else if (!strcmp(name, "item text too long")) {
    ADD("<mbmsUserServiceRegistration "
        "xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceRegistration\">"
        "<serviceId>urn:");
    for (int i = 0; i < MBMSEC_XML_TEXT_MAX; i++) ADD("a");
    ADD("</serviceId></mbmsUserServiceRegistration>");
  } else {
    fail_msg("no generator for %s", name);
  }
#undef ADD
  *len = n;
  return b;
}

static void test_hostile(void **state)
{
  (void)state;
  size_t n_cases = sizeof HOSTILE / sizeof HOSTILE[0];
  assert_true(n_cases >= 20);
  /* libxml2 must write nothing to stderr: capture fd 2 for the whole table. */
  fflush(stderr);
  char path[] = "/tmp/mbms_xml_stderr_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  int saved = dup(2);
  assert_true(saved >= 0);
  assert_true(dup2(fd, 2) >= 0);
  for (size_t i = 0; i < n_cases; i++) {
    const hostile *h = &HOSTILE[i];
    size_t len = h->len;
    char *gen = NULL;
    const char *doc = h->doc;
    if (!doc) {
      gen = make_hostile(h->name, &len);
      doc = gen;
    } else if (!len) {
      len = strlen(doc);
    }
    mbmsec_err rc = run(h->parser, U(doc), len);
    if (rc != h->want) {
      dup2(saved, 2);
      fail_msg("hostile '%s': got %s, want %s", h->name, mbmsec_errname(rc),
               mbmsec_errname(h->want));
    }
    free(gen);
  }
  fflush(stderr);
  assert_true(dup2(saved, 2) >= 0);
  close(saved);
  off_t size = lseek(fd, 0, SEEK_END);
  close(fd);
  unlink(path);
  assert_int_equal(size, 0);
}

/* No entity is ever expanded: libxml2's own counters stay at zero for the entity documents,
 * while the same counters do move when libxml2 is let loose on the same bytes (control). */
static void test_no_entity_expanded(void **state)
{
  (void)state;
  const char *docs[] = {BILLION_LAUGHS, XXE_FILE, INTERNAL_ENTITY,
                        DECL MREQ_OPEN "<keyId>&xxe;</keyId></mskRequest>"};
  const char *roots[] = {MBMSEC_EL_MSK_REQUEST, MBMSEC_EL_MSK_REQUEST, MBMSEC_EL_REGISTER,
                         MBMSEC_EL_MSK_REQUEST};
  const char *nss[] = {MBMSEC_NS_MSK_REQUEST, MBMSEC_NS_MSK_REQUEST, MBMSEC_NS_REGISTER,
                       MBMSEC_NS_MSK_REQUEST};
  for (size_t i = 0; i < 4; i++) {
    xmlDocPtr d = (xmlDocPtr)1;
    xml_read_stats st;
    mbmsec_err rc = xml_read(U(docs[i]), strlen(docs[i]), roots[i], nss[i], &d, &st);
    assert_int_equal(rc, i == 3 ? MBMSEC_ERR_XML_ENTITY : MBMSEC_ERR_XML_DOCTYPE);
    assert_null(d);
    /* DOCTYPE documents stop before any entity is declared or referenced; the undeclared
     * reference is met once (libxml2 counts it) and refused: nothing is copied. */
    if (st.entity_refs != (i == 3 ? 1u : 0u) || st.entity_copy)
      fail_msg("doc %zu: entity_refs %lu entity_copy %lu", i, st.entity_refs, st.entity_copy);
    assert_int_equal(st.entity_lookups, i == 3 ? 1 : 0);
  }
  /* The parsed list never holds the entity's text. */
  mbmsec_xml_service_list *l = svc_list();
  assert_int_equal(mbmsec_xml_parse_register(U(INTERNAL_ENTITY), strlen(INTERNAL_ENTITY),
                                             MBMSEC_XML_REGISTER, l),
                   MBMSEC_ERR_XML_DOCTYPE);
  assert_int_equal(l->n, 0);
  for (size_t i = 0; i + 8 <= sizeof *l; i++)
    assert_true(memcmp((const char *)l + i, "INJECTED", 8) != 0);
  free(l);
#if LIBXML_VERSION < 21100
  /* Control: plain libxml2 with entity substitution expands the internal entity and counts it. */
  xmlParserCtxtPtr c = xmlNewParserCtxt();
  assert_non_null(c);
  xmlDocPtr d = xmlCtxtReadMemory(c, INTERNAL_ENTITY, (int)strlen(INTERNAL_ENTITY), "c.xml", NULL,
                                  XML_PARSE_NOENT | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  assert_non_null(d);
  assert_true(c->nbentities > 0);
  xmlChar *txt = xmlNodeGetContent(xmlDocGetRootElement(d));
  assert_non_null(strstr((const char *)txt, "urn:INJECTED"));
  xmlFree(txt);
  xmlFreeDoc(d);
  xmlFreeParserCtxt(c);
#endif
}

/* Same parse twice, same answer; and a well-formed document with every allowed construct. */
static void test_benign_constructs(void **state)
{
  (void)state;
  static const char doc[] = "\xEF\xBB\xBF<?xml version='1.0' encoding='utf-8' standalone='yes'?>\n"
                            "<!-- leading comment -->\n"
                            "<r:mskRequest xmlns:r=\"urn:3GPP:metadata:2005:MBMS:mskRequest\" "
                            "xmlns:o=\"urn:o\" o:x=\"1\">"
                            "<o:extension><o:deep/></o:extension>"
                            "<r:keyId><![CDATA[APEQAAEAAg==]]></r:keyId>"
                            "<r:keyId>&#65;PEQAAEAAw==</r:keyId>"
                            "</r:mskRequest>";
  mbmsec_xml_key_list *l = key_list();
  for (int k = 0; k < 2; k++) {
    assert_int_equal(mbmsec_xml_parse_msk_request(U(doc), strlen(doc), l), MBMSEC_OK);
    assert_int_equal(l->n, 2);
    assert_int_equal(l->n_bad, 0);
    assert_memory_equal(l->items[1].msk_id, MSK3, 4);
  }
  assert_int_equal(mbmsec_xml_parse_msk_request(NULL, 10, l), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_xml_parse_msk_request(U(doc), strlen(doc), NULL), MBMSEC_ERR_ARG);
  free(l);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_example_register),
      cmocka_unit_test(test_example_deregister),
      cmocka_unit_test(test_example_register_response),
      cmocka_unit_test(test_example_msk_request),
      cmocka_unit_test(test_example_msk_response),
      cmocka_unit_test(test_example_usd),
      cmocka_unit_test(test_example_secdesc),
      cmocka_unit_test(test_per_item_400),
      cmocka_unit_test(test_per_item_service),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_builder_errors),
      cmocka_unit_test(test_keyid_codec),
      cmocka_unit_test(test_secdesc_variants),
      cmocka_unit_test(test_usd_variants),
      cmocka_unit_test(test_hostile),
      cmocka_unit_test(test_no_entity_expanded),
      cmocka_unit_test(test_benign_constructs),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  xmlCleanupParser(); /* process end only (LeakSanitizer) */
  return rc;
}
