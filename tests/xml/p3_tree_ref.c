/* The reference for the P3 parsers of lib/xml/xml_p3_parse.c: the tree walk they replaced
 * (libxml2 builds the document with xml_read, then one walk in document order). Built only
 * into test_p3_sax_diff and fuzz_p3_sax_diff, which require the SAX parsers to give exactly
 * what this gives: return code, counts and every item. Kept as it was; do not "fix" it here
 * without deciding that the library must change the same way. */
#include <libxml/tree.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/xml.h"
#include "p3_tree_ref.h"
#include "xml_doc.h"

/* One list type or the other, with the adder for its items. */
typedef struct {
  mbmsec_xml_service_list *svc;
  mbmsec_xml_key_list *key;
} sink;

static size_t sink_count(const sink *s) { return s->svc ? s->svc->n : s->key->n; }

static mbmsec_err add_item(sink *s, const xmlNode *el, unsigned code)
{
  GUARD(xml_only_attrs(el, NULL));
  ENSURE(sink_count(s) < MBMSEC_XML_MAX_ITEMS, MBMSEC_ERR_XML_TOO_MANY);
  if (s->svc) {
    mbmsec_xml_service *it = &s->svc->items[s->svc->n];
    memset(it, 0, sizeof *it);
    GUARD(xml_leaf_text(el, it->text, sizeof it->text, &it->len, MBMSEC_ERR_XML_STRING_LEN));
    it->code = code;
    it->err = xml_printable_token(it->text, it->len) ? MBMSEC_OK : MBMSEC_ERR_XML_ITEM;
    for (size_t i = 0; i < s->svc->n; i++)
      ENSURE(strcmp(s->svc->items[i].text, it->text), MBMSEC_ERR_XML_DUP_ITEM);
    s->svc->n_bad += it->err != MBMSEC_OK;
    s->svc->n++;
  } else {
    mbmsec_xml_key *it = &s->key->items[s->key->n];
    memset(it, 0, sizeof *it);
    GUARD(xml_leaf_text(el, it->text, sizeof it->text, &it->len, MBMSEC_ERR_XML_STRING_LEN));
    it->code = code;
    it->err = mbmsec_xml_keyid_decode(it->text, it->len, it->kdid, it->msk_id);
    if (it->err != MBMSEC_OK) {
      memset(it->kdid, 0, sizeof it->kdid);
      memset(it->msk_id, 0, sizeof it->msk_id);
    }
    /* The strict base64 decoder admits one text per value: comparing texts finds duplicates. */
    for (size_t i = 0; i < s->key->n; i++)
      ENSURE(strcmp(s->key->items[i].text, it->text), MBMSEC_ERR_XML_DUP_ITEM);
    s->key->n_bad += it->err != MBMSEC_OK;
    s->key->n++;
  }
  return MBMSEC_OK;
}

/* Children of `parent` that are items `item` of namespace ns; elements of other namespaces are
 * extensions and skipped, elements without a namespace are refused. */
static mbmsec_err walk_items(const xmlNode *parent, const char *ns, const char *item, unsigned code,
                             sink *s, size_t *found)
{
  *found = 0;
  for (const xmlNode *c = parent->children; c; c = c->next) {
    if (xml_ignorable(c)) continue;
    ENSURE(c->type == XML_ELEMENT_NODE, MBMSEC_ERR_XML_UNEXPECTED);
    ENSURE(!xml_in_ns(c, NULL), MBMSEC_ERR_XML_NAMESPACE);
    if (!xml_in_ns(c, ns)) continue;
    ENSURE(!strcmp((const char *)c->name, item), MBMSEC_ERR_XML_UNEXPECTED);
    GUARD(add_item(s, c, code));
    (*found)++;
  }
  return MBMSEC_OK;
}

static mbmsec_err parse_code(const xmlNode *st, bool with_204, unsigned *code)
{
  char v[8];
  size_t n;
  bool found;
  GUARD(xml_attr_text(st, MBMSEC_AT_STATUS_CODE, v, sizeof v, &n, &found, MBMSEC_ERR_XML_STATUS));
  ENSURE(found && n == 3, MBMSEC_ERR_XML_STATUS);
  unsigned c = 0;
  for (size_t i = 0; i < n; i++) {
    ENSURE(v[i] >= '0' && v[i] <= '9', MBMSEC_ERR_XML_STATUS);
    c = c * 10 + (unsigned)(v[i] - '0');
  }
  ENSURE(mbmsec_xml_status_valid(c, with_204), MBMSEC_ERR_XML_STATUS);
  *code = c;
  return MBMSEC_OK;
}

static mbmsec_err walk_groups(const xmlNode *root, const char *ns, const char *item, bool with_204,
                              sink *s)
{
  static const char *const code_attr[] = {MBMSEC_AT_STATUS_CODE, NULL};
  unsigned seen[8];
  size_t n_seen = 0;
  for (const xmlNode *c = root->children; c; c = c->next) {
    if (xml_ignorable(c)) continue;
    ENSURE(c->type == XML_ELEMENT_NODE, MBMSEC_ERR_XML_UNEXPECTED);
    ENSURE(!xml_in_ns(c, NULL), MBMSEC_ERR_XML_NAMESPACE);
    if (!xml_in_ns(c, ns)) continue;
    ENSURE(!strcmp((const char *)c->name, MBMSEC_EL_STATUS), MBMSEC_ERR_XML_UNEXPECTED);
    GUARD(xml_only_attrs(c, code_attr));
    unsigned code;
    GUARD(parse_code(c, with_204, &code));
    for (size_t i = 0; i < n_seen; i++) ENSURE(seen[i] != code, MBMSEC_ERR_XML_DUP_STATUS);
    ENSURE(n_seen < sizeof seen / sizeof seen[0], MBMSEC_ERR_XML_DUP_STATUS);
    seen[n_seen++] = code;
    size_t found;
    GUARD(walk_items(c, ns, item, code, s, &found));
    ENSURE(found > 0, MBMSEC_ERR_XML_EMPTY);
  }
  return MBMSEC_OK;
}

static mbmsec_err parse_doc(const uint8_t *doc, size_t len, const char *root_el, const char *ns,
                            const char *item, bool response, bool with_204, sink *s)
{
  xmlDocPtr d = NULL;
  mbmsec_err rc = MBMSEC_OK;
  GUARD_OUT(xml_read(doc, len, root_el, ns, &d, NULL));
  const xmlNode *root = xmlDocGetRootElement(d);
  GUARD_OUT(xml_only_attrs(root, NULL));
  size_t found;
  if (response)
    GUARD_OUT(walk_groups(root, ns, item, with_204, s));
  else
    GUARD_OUT(walk_items(root, ns, item, 0, s, &found));
  ENSURE_OUT(sink_count(s) > 0, MBMSEC_ERR_XML_EMPTY);
out:
  xmlFreeDoc(d);
  return rc;
}

/* Empty lists: only the counts (add_item zeroes each item it fills). */
static void svc_reset(mbmsec_xml_service_list *l) { l->n = l->n_bad = 0; }
static void key_reset(mbmsec_xml_key_list *l) { l->n = l->n_bad = 0; }

mbmsec_err p3_ref_parse_register(const uint8_t *doc, size_t len, mbmsec_xml_reg_kind kind,
                                 mbmsec_xml_service_list *out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  if (kind != MBMSEC_XML_REGISTER && kind != MBMSEC_XML_DEREGISTER) {
    memset(out, 0, sizeof *out);
    return MBMSEC_ERR_ARG;
  }
  svc_reset(out);
  bool reg = kind == MBMSEC_XML_REGISTER;
  sink s = {.svc = out};
  mbmsec_err rc = parse_doc(doc, len, reg ? MBMSEC_EL_REGISTER : MBMSEC_EL_DEREGISTER,
                            reg ? MBMSEC_NS_REGISTER : MBMSEC_NS_DEREGISTER, MBMSEC_EL_SERVICE_ID,
                            false, false, &s);
  if (rc != MBMSEC_OK) memset(out, 0, sizeof *out);
  return rc;
}

mbmsec_err p3_ref_parse_register_response(const uint8_t *doc, size_t len,
                                          mbmsec_xml_service_list *out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  svc_reset(out);
  sink s = {.svc = out};
  mbmsec_err rc = parse_doc(doc, len, MBMSEC_EL_REGISTER_RESPONSE, MBMSEC_NS_REGISTER_RESPONSE,
                            MBMSEC_EL_SERVICE_ID, true, false, &s);
  if (rc != MBMSEC_OK) memset(out, 0, sizeof *out);
  return rc;
}

mbmsec_err p3_ref_parse_msk_request(const uint8_t *doc, size_t len, mbmsec_xml_key_list *out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  key_reset(out);
  sink s = {.key = out};
  mbmsec_err rc = parse_doc(doc, len, MBMSEC_EL_MSK_REQUEST, MBMSEC_NS_MSK_REQUEST,
                            MBMSEC_EL_KEY_ID, false, false, &s);
  if (rc != MBMSEC_OK) memset(out, 0, sizeof *out);
  return rc;
}

mbmsec_err p3_ref_parse_msk_response(const uint8_t *doc, size_t len, mbmsec_xml_key_list *out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  key_reset(out);
  sink s = {.key = out};
  mbmsec_err rc = parse_doc(doc, len, MBMSEC_EL_MSK_RESPONSE, MBMSEC_NS_MSK_RESPONSE,
                            MBMSEC_EL_KEY_ID, true, true, &s);
  if (rc != MBMSEC_OK) memset(out, 0, sizeof *out);
  return rc;
}

/* ---------------------------------------------------------------- the comparison */

#include <stdio.h>

static mbmsec_xml_service_list svc_lib, svc_ref;
static mbmsec_xml_key_list key_lib, key_ref;

static bool svc_same(const char *what, mbmsec_err a, mbmsec_err b, char *why, size_t cap)
{
  if (a != b || svc_lib.n != svc_ref.n || svc_lib.n_bad != svc_ref.n_bad) {
    snprintf(why, cap, "%s: rc %d/%d n %zu/%zu n_bad %zu/%zu (library/reference)", what, (int)a,
             (int)b, svc_lib.n, svc_ref.n, svc_lib.n_bad, svc_ref.n_bad);
    return false;
  }
  for (size_t i = 0; i < svc_lib.n; i++) {
    const mbmsec_xml_service *x = &svc_lib.items[i], *y = &svc_ref.items[i];
    if (x->len != y->len || strcmp(x->text, y->text) || x->err != y->err || x->code != y->code) {
      snprintf(why, cap, "%s: item %zu differs: '%s'/%zu/%d/%u vs '%s'/%zu/%d/%u", what, i, x->text,
               x->len, (int)x->err, x->code, y->text, y->len, (int)y->err, y->code);
      return false;
    }
  }
  return true;
}

static bool key_same(const char *what, mbmsec_err a, mbmsec_err b, char *why, size_t cap)
{
  if (a != b || key_lib.n != key_ref.n || key_lib.n_bad != key_ref.n_bad) {
    snprintf(why, cap, "%s: rc %d/%d n %zu/%zu n_bad %zu/%zu (library/reference)", what, (int)a,
             (int)b, key_lib.n, key_ref.n, key_lib.n_bad, key_ref.n_bad);
    return false;
  }
  for (size_t i = 0; i < key_lib.n; i++) {
    const mbmsec_xml_key *x = &key_lib.items[i], *y = &key_ref.items[i];
    if (x->len != y->len || strcmp(x->text, y->text) || x->err != y->err || x->code != y->code ||
        memcmp(x->kdid, y->kdid, sizeof x->kdid) ||
        memcmp(x->msk_id, y->msk_id, sizeof x->msk_id)) {
      snprintf(why, cap, "%s: item %zu differs: '%s'/%zu/%d/%u vs '%s'/%zu/%d/%u", what, i, x->text,
               x->len, (int)x->err, x->code, y->text, y->len, (int)y->err, y->code);
      return false;
    }
  }
  return true;
}

bool p3_ref_same(const uint8_t *doc, size_t len, char *why, size_t cap)
{
  mbmsec_err a, b;
  a = mbmsec_xml_parse_register(doc, len, MBMSEC_XML_REGISTER, &svc_lib);
  b = p3_ref_parse_register(doc, len, MBMSEC_XML_REGISTER, &svc_ref);
  if (!svc_same("register", a, b, why, cap)) return false;
  a = mbmsec_xml_parse_register(doc, len, MBMSEC_XML_DEREGISTER, &svc_lib);
  b = p3_ref_parse_register(doc, len, MBMSEC_XML_DEREGISTER, &svc_ref);
  if (!svc_same("deregister", a, b, why, cap)) return false;
  a = mbmsec_xml_parse_register_response(doc, len, &svc_lib);
  b = p3_ref_parse_register_response(doc, len, &svc_ref);
  if (!svc_same("register response", a, b, why, cap)) return false;
  a = mbmsec_xml_parse_msk_request(doc, len, &key_lib);
  b = p3_ref_parse_msk_request(doc, len, &key_ref);
  if (!key_same("msk request", a, b, why, cap)) return false;
  a = mbmsec_xml_parse_msk_response(doc, len, &key_lib);
  b = p3_ref_parse_msk_response(doc, len, &key_ref);
  return key_same("msk response", a, b, why, cap);
}
