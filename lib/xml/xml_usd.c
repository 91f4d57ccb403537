/* P16: the user service description bundle, only what the UE reads from it: each
 * userServiceDescription's serviceId and its deliveryMethods' session and protection
 * description URIs. Everything else of a real USD (names, languages, schedules, elements of
 * other namespaces) is skipped. */
#include <libxml/tree.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/xml.h"
#include "xml_doc.h"

static mbmsec_err uri_attr(const xmlNode *el, const char *name, char *out, bool required)
{
  size_t n;
  bool found;
  GUARD(xml_attr_text(el, name, out, MBMSEC_XML_URI_MAX + 1, &n, &found, MBMSEC_ERR_XML_VALUE));
  if (!found) {
    ENSURE(!required, MBMSEC_ERR_XML_MISSING);
    return MBMSEC_OK;
  }
  ENSURE(xml_printable_token(out, n), MBMSEC_ERR_XML_VALUE);
  return MBMSEC_OK;
}

static mbmsec_err parse_service(const xmlNode *el, mbmsec_xml_usd_service *s)
{
  GUARD(uri_attr(el, MBMSEC_AT_USD_SERVICE_ID, s->service_id, true));
  for (const xmlNode *c = el->children; c; c = c->next) {
    if (!xml_is(c, MBMSEC_NS_USD, MBMSEC_EL_USD_DELIVERY)) continue;
    ENSURE(s->n_methods < MBMSEC_XML_USD_METHODS_MAX, MBMSEC_ERR_XML_TOO_MANY);
    mbmsec_xml_delivery *m = &s->methods[s->n_methods++];
    GUARD(uri_attr(c, MBMSEC_AT_USD_SESSION_URI, m->session_uri, false));
    GUARD(uri_attr(c, MBMSEC_AT_USD_PROTECTION_URI, m->protection_uri, false));
  }
  return MBMSEC_OK;
}

mbmsec_err mbmsec_xml_parse_usd(const uint8_t *doc, size_t len, mbmsec_xml_usd *out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  memset(out, 0, sizeof *out);
  xmlDocPtr d = NULL;
  mbmsec_err rc = MBMSEC_OK;
  GUARD_OUT(xml_read(doc, len, MBMSEC_EL_USD_BUNDLE, MBMSEC_NS_USD, &d, NULL));
  for (const xmlNode *c = xmlDocGetRootElement(d)->children; c; c = c->next) {
    if (!xml_is(c, MBMSEC_NS_USD, MBMSEC_EL_USD)) continue;
    ENSURE_OUT(out->n < MBMSEC_XML_USD_SERVICES_MAX, MBMSEC_ERR_XML_TOO_MANY);
    GUARD_OUT(parse_service(c, &out->services[out->n++]));
  }
  ENSURE_OUT(out->n > 0, MBMSEC_ERR_XML_EMPTY);
out:
  xmlFreeDoc(d);
  if (rc != MBMSEC_OK) memset(out, 0, sizeof *out);
  return rc;
}
