/* P16: the protection description (securityDescription) with the project's extension
 * elements of MBMSEC_NS_MBMSEC_PROT. Elements of other namespaces are skipped; the elements of
 * MBMSEC_NS_SECDESC and MBMSEC_NS_MBMSEC_PROT that the profile names are read strictly. */
#include <arpa/inet.h>
#include <libxml/tree.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/encode.h"
#include "mbmsec/xml.h"
#include "xml_doc.h"

/* Children of el that are elements: other namespaces skipped (*skip), no namespace refused. */
static mbmsec_err child_kind(const xmlNode *c, bool *skip)
{
  *skip = true;
  if (xml_ignorable(c)) return MBMSEC_OK;
  ENSURE(c->type == XML_ELEMENT_NODE, MBMSEC_ERR_XML_UNEXPECTED);
  ENSURE(!xml_in_ns(c, NULL), MBMSEC_ERR_XML_NAMESPACE);
  *skip = !xml_in_ns(c, MBMSEC_NS_SECDESC) && !xml_in_ns(c, MBMSEC_NS_MBMSEC_PROT);
  return MBMSEC_OK;
}

static mbmsec_err parse_u32(const char *s, size_t n, uint32_t *v)
{
  ENSURE(n >= 1 && n <= 10, MBMSEC_ERR_XML_VALUE);
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) {
    ENSURE(s[i] >= '0' && s[i] <= '9', MBMSEC_ERR_XML_VALUE);
    x = x * 10 + (uint64_t)(s[i] - '0');
  }
  ENSURE(x <= UINT32_MAX, MBMSEC_ERR_XML_VALUE);
  *v = (uint32_t)x;
  return MBMSEC_OK;
}

/* xs:boolean: true, false, 1, 0. */
static mbmsec_err parse_bool(const char *s, bool *v)
{
  if (!strcmp(s, "true") || !strcmp(s, "1"))
    *v = true;
  else if (!strcmp(s, "false") || !strcmp(s, "0"))
    *v = false;
  else
    return MBMSEC_ERR_XML_VALUE;
  return MBMSEC_OK;
}

static bool host_name(const char *s, size_t n)
{
  if (!n || n > MBMSEC_XML_HOST_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.'))
      return false;
  }
  return true;
}

/* address:port with an IPv4 literal, a host name, or [IPv6 literal]; port 1..65535. */
static mbmsec_err parse_addr(const char *s, size_t n, mbmsec_xml_addr *a)
{
  const char *colon;
  char host[MBMSEC_XML_HOST_MAX + 1];
  size_t hn;
  if (n && s[0] == '[') {
    const char *rb = memchr(s, ']', n);
    ENSURE(rb && rb + 1 < s + n && rb[1] == ':', MBMSEC_ERR_XML_VALUE);
    hn = (size_t)(rb - s - 1);
    ENSURE(hn > 0 && hn < 46, MBMSEC_ERR_XML_VALUE);
    memcpy(host, s + 1, hn);
    host[hn] = '\0';
    unsigned char bin[16];
    ENSURE(inet_pton(AF_INET6, host, bin) == 1, MBMSEC_ERR_XML_VALUE);
    colon = rb + 1;
  } else {
    colon = memchr(s, ':', n);
    ENSURE(colon && !memchr(colon + 1, ':', (size_t)(s + n - colon - 1)), MBMSEC_ERR_XML_VALUE);
    hn = (size_t)(colon - s);
    ENSURE(host_name(s, hn), MBMSEC_ERR_XML_VALUE);
    memcpy(host, s, hn);
    host[hn] = '\0';
  }
  size_t pn = (size_t)(s + n - colon - 1);
  uint32_t port;
  ENSURE(pn <= 5, MBMSEC_ERR_XML_VALUE);
  GUARD(parse_u32(colon + 1, pn, &port));
  ENSURE(port >= 1 && port <= 65535, MBMSEC_ERR_XML_VALUE);
  memcpy(a->host, host, hn + 1);
  a->port = (uint16_t)port;
  return MBMSEC_OK;
}

static mbmsec_err leaf(const xmlNode *el, char *out, size_t cap, size_t *n)
{
  GUARD(xml_only_attrs(el, NULL));
  return xml_leaf_text(el, out, cap, n, MBMSEC_ERR_XML_VALUE);
}

static mbmsec_err parse_kms(const xmlNode *el, mbmsec_xml_kms *k)
{
  static const char *const attrs[] = {MBMSEC_AT_SD_UICC_KM, NULL};
  GUARD(xml_only_attrs(el, attrs));
  char v[MBMSEC_XML_URI_MAX + 1];
  size_t n;
  bool found;
  GUARD(xml_attr_text(el, MBMSEC_AT_SD_UICC_KM, v, sizeof v, &n, &found, MBMSEC_ERR_XML_VALUE));
  if (found) GUARD(parse_bool(v, &k->uicc_key_management));
  for (const xmlNode *c = el->children; c; c = c->next) {
    bool skip;
    GUARD(child_kind(c, &skip));
    if (skip) continue;
    if (xml_is(c, MBMSEC_NS_SECDESC, MBMSEC_EL_SD_SERVER_URI)) {
      ENSURE(k->n_server_uri < MBMSEC_XML_SERVER_URI_MAX, MBMSEC_ERR_XML_TOO_MANY);
      char *u = k->server_uri[k->n_server_uri];
      GUARD(leaf(c, u, MBMSEC_XML_URI_MAX + 1, &n));
      ENSURE(xml_printable_token(u, n), MBMSEC_ERR_XML_VALUE);
      k->n_server_uri++;
    } else if (xml_is(c, MBMSEC_NS_SECDESC, MBMSEC_EL_SD_OFFSET_TIME) && !k->has_offset_time) {
      GUARD(leaf(c, v, sizeof v, &n));
      GUARD(parse_u32(v, n, &k->offset_time));
      k->has_offset_time = true;
    } else if (xml_is(c, MBMSEC_NS_SECDESC, MBMSEC_EL_SD_RANDOM_TIME) &&
               !k->has_random_time_period) {
      GUARD(leaf(c, v, sizeof v, &n));
      GUARD(parse_u32(v, n, &k->random_time_period));
      k->has_random_time_period = true;
    } else {
      return MBMSEC_ERR_XML_UNEXPECTED;
    }
  }
  ENSURE(k->n_server_uri > 0, MBMSEC_ERR_XML_EMPTY);
  return MBMSEC_OK;
}

static mbmsec_err req_attr(const xmlNode *el, const char *name, char *out, size_t cap, size_t *n)
{
  bool found;
  GUARD(xml_attr_text(el, name, out, cap, n, &found, MBMSEC_ERR_XML_VALUE));
  ENSURE(found, MBMSEC_ERR_XML_MISSING);
  return MBMSEC_OK;
}

static mbmsec_err parse_session(const xmlNode *el, mbmsec_xml_session *s)
{
  static const char *const attrs[] = {MBMSEC_AT_PROT_SESSION_ID, MBMSEC_AT_PROT_KEY_ID,
                                      MBMSEC_AT_PROT_MIKEY, MBMSEC_AT_PROT_SRTP, NULL};
  GUARD(xml_only_attrs(el, attrs));
  for (const xmlNode *c = el->children; c; c = c->next) {
    bool skip;
    GUARD(child_kind(c, &skip));
    ENSURE(skip, MBMSEC_ERR_XML_UNEXPECTED);
  }
  char v[MBMSEC_XML_TEXT_MAX + 1];
  size_t n;
  GUARD(req_attr(el, MBMSEC_AT_PROT_SESSION_ID, s->id, sizeof s->id, &n));
  ENSURE(xml_printable_token(s->id, n), MBMSEC_ERR_XML_VALUE);
  GUARD(req_attr(el, MBMSEC_AT_PROT_KEY_ID, v, sizeof v, &n));
  GUARD(mbmsec_xml_keyid_decode(v, n, s->kdid, s->msk_id));
  GUARD(req_attr(el, MBMSEC_AT_PROT_MIKEY, v, sizeof v, &n));
  GUARD(parse_addr(v, n, &s->mikey));
  GUARD(req_attr(el, MBMSEC_AT_PROT_SRTP, v, sizeof v, &n));
  GUARD(parse_addr(v, n, &s->srtp));
  return MBMSEC_OK;
}

static mbmsec_err parse_prot(const xmlNode *c, mbmsec_xml_secdesc *o)
{
  char v[MBMSEC_XML_TEXT_MAX + 1];
  size_t n;
  if (xml_is(c, MBMSEC_NS_MBMSEC_PROT, MBMSEC_EL_PROT_KDID) && !o->has_kdid) {
    GUARD(leaf(c, v, sizeof v, &n));
    size_t got;
    ENSURE(n == 2 * MBMSEC_KDID_LEN &&
               mbmsec_hex_decode(v, n, o->kdid, MBMSEC_KDID_LEN, &got) == MBMSEC_OK,
           MBMSEC_ERR_XML_VALUE);
    o->has_kdid = true;
  } else if (xml_is(c, MBMSEC_NS_MBMSEC_PROT, MBMSEC_EL_PROT_CONFIDENTIALITY) &&
             !o->has_confidentiality) {
    GUARD(leaf(c, v, sizeof v, &n));
    GUARD(parse_bool(v, &o->confidentiality));
    o->has_confidentiality = true;
  } else if (xml_is(c, MBMSEC_NS_MBMSEC_PROT, MBMSEC_EL_PROT_INTEGRITY) && !o->has_integrity) {
    GUARD(leaf(c, v, sizeof v, &n));
    GUARD(parse_bool(v, &o->integrity));
    o->has_integrity = true;
  } else if (xml_is(c, MBMSEC_NS_MBMSEC_PROT, MBMSEC_EL_PROT_SESSION)) {
    ENSURE(o->n_sessions < MBMSEC_XML_SESSIONS_MAX, MBMSEC_ERR_XML_TOO_MANY);
    mbmsec_xml_session *s = &o->sessions[o->n_sessions];
    GUARD(parse_session(c, s));
    for (size_t i = 0; i < o->n_sessions; i++)
      ENSURE(strcmp(o->sessions[i].id, s->id), MBMSEC_ERR_XML_DUP_ITEM);
    o->n_sessions++;
  } else {
    return MBMSEC_ERR_XML_UNEXPECTED;
  }
  return MBMSEC_OK;
}

mbmsec_err mbmsec_xml_parse_secdesc(const uint8_t *doc, size_t len, mbmsec_xml_secdesc *out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  memset(out, 0, sizeof *out);
  xmlDocPtr d = NULL;
  mbmsec_err rc = MBMSEC_OK;
  GUARD_OUT(xml_read(doc, len, MBMSEC_EL_SECDESC, MBMSEC_NS_SECDESC, &d, NULL));
  const xmlNode *root = xmlDocGetRootElement(d);
  GUARD_OUT(xml_only_attrs(root, NULL));
  for (const xmlNode *c = root->children; c; c = c->next) {
    bool skip;
    GUARD_OUT(child_kind(c, &skip));
    if (skip) continue;
    if (xml_is(c, MBMSEC_NS_SECDESC, MBMSEC_EL_SD_KMS)) {
      ENSURE_OUT(out->n_kms < MBMSEC_XML_KMS_MAX, MBMSEC_ERR_XML_TOO_MANY);
      GUARD_OUT(parse_kms(c, &out->kms[out->n_kms++]));
    } else if (xml_in_ns(c, MBMSEC_NS_MBMSEC_PROT)) {
      GUARD_OUT(parse_prot(c, out));
    } else {
      rc = MBMSEC_ERR_XML_UNEXPECTED;
      goto out;
    }
  }
  ENSURE_OUT(out->n_kms > 0, MBMSEC_ERR_XML_EMPTY);
out:
  xmlFreeDoc(d);
  if (rc != MBMSEC_OK) memset(out, 0, sizeof *out);
  return rc;
}
