/* xml_dump DIR: writes documents built by lib/xml into DIR as <schema>--<variant>.xml, for
 * tests/xml/ext_xml_schema.sh to validate against schemas/<schema>.xsd with xmllint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/xml.h"

static const uint8_t KDID[3] = {0x00, 0xF1, 0x10};
static char buf[MBMSEC_XML_DOC_MAX * 2];

static int dump(const char *dir, const char *schema, const char *variant, mbmsec_err rc, size_t n)
{
  if (rc != MBMSEC_OK) {
    fprintf(stderr, "xml_dump: %s--%s: %s\n", schema, variant, mbmsec_errname(rc));
    return 1;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/%s--%s.xml", dir, schema, variant);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(buf, 1, n, f) != n || fclose(f)) {
    perror(path);
    return 1;
  }
  return 0;
}

/* The build runs before dump reads n (argument evaluation order is unspecified). */
#define DUMP(schema, variant, call)            \
  do {                                         \
    mbmsec_err rc_ = (call);                   \
    bad |= dump(dir, schema, variant, rc_, n); \
  } while (0)

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: xml_dump DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  int bad = 0;
  size_t n;
  mbmsec_xml_service_list *s = calloc(1, sizeof *s);
  mbmsec_xml_key_list *k = calloc(1, sizeof *k);
  if (!s || !k) return 1;

  /* The profile.md examples. */
  mbmsec_xml_service_add(s, "urn:example:mbms:news", 0);
  mbmsec_xml_service_add(s, "urn:example:mbms:sport", 0);
  DUMP("mbms-register", "example",
       mbmsec_xml_build_register(MBMSEC_XML_REGISTER, s, buf, sizeof buf, &n));
  DUMP("mbms-deregister", "example",
       mbmsec_xml_build_register(MBMSEC_XML_DEREGISTER, s, buf, sizeof buf, &n));
  s->items[0].code = 200;
  s->items[1].code = 401;
  DUMP("mbms-register-response", "example",
       mbmsec_xml_build_register_response(s, buf, sizeof buf, &n));
  const uint8_t m2[4] = {0, 1, 0, 2}, m3[4] = {0, 1, 0, 3};
  mbmsec_xml_key_add(k, KDID, m2, 0);
  mbmsec_xml_key_add(k, KDID, m3, 0);
  DUMP("mbms-msk-request", "example", mbmsec_xml_build_msk_request(k, buf, sizeof buf, &n));
  k->items[0].code = 200;
  k->items[1].code = 404;
  DUMP("mbms-msk-response", "example", mbmsec_xml_build_msk_response(k, buf, sizeof buf, &n));

  /* Full lists: every code, 256 items, escaped characters, echoed bad items. */
  static const unsigned codes[] = {200, 400, 401, 404, 480, 500};
  static const unsigned kcodes[] = {200, 204, 400, 401, 404, 480, 500};
  memset(s, 0, sizeof *s);
  memset(k, 0, sizeof *k);
  char id[64];
  for (size_t i = 0; i < MBMSEC_XML_MAX_ITEMS; i++) {
    snprintf(id, sizeof id, "urn:x:%zu?a=1&b=<%zu>", i, i);
    mbmsec_xml_service_add(s, id, 0);
    uint8_t mi[4] = {0, (uint8_t)(i % 5), (uint8_t)(i >> 8), (uint8_t)i};
    mbmsec_xml_key_add(k, KDID, mi, 0);
  }
  DUMP("mbms-register", "full",
       mbmsec_xml_build_register(MBMSEC_XML_REGISTER, s, buf, sizeof buf, &n));
  DUMP("mbms-deregister", "full",
       mbmsec_xml_build_register(MBMSEC_XML_DEREGISTER, s, buf, sizeof buf, &n));
  DUMP("mbms-msk-request", "full", mbmsec_xml_build_msk_request(k, buf, sizeof buf, &n));
  for (size_t i = 0; i < MBMSEC_XML_MAX_ITEMS; i++) {
    s->items[i].code = codes[i % 6];
    k->items[i].code = kcodes[i % 7];
  }
  /* Two items as a malformed request would have carried them, answered 400. */
  snprintf(s->items[1].text, sizeof s->items[1].text, "not a <uri> & \xC3\xA9");
  s->items[1].err = MBMSEC_ERR_XML_ITEM;
  snprintf(k->items[2].text, sizeof k->items[2].text, "APEQAAEAAg=");
  k->items[2].err = MBMSEC_ERR_XML_KEYID;
  DUMP("mbms-register-response", "full",
       mbmsec_xml_build_register_response(s, buf, sizeof buf, &n));
  DUMP("mbms-msk-response", "full", mbmsec_xml_build_msk_response(k, buf, sizeof buf, &n));
  free(s);
  free(k);
  return bad;
}
