/* Parsers of the four P3 documents: register / deregister request, their response, MSK
 * request, MSK response (profile.md section 2). Document-level faults are return codes (the
 * BM-SC answers HTTP 400); a syntactically bad item is kept with its own err (answered 400).
 *
 * The documents are read on SAX events (xml_read_sax), without a tree: building and freeing
 * libxml2's DOM was a third of the parse on the hot path (docs/xml.md). The result is exactly
 * the one of the former tree walk, kept as tests/xml/p3_tree_ref.c, which test_p3_sax_diff
 * and fuzz_p3_sax_diff compare with this: the reader decides first (guards, well-formedness
 * of the whole document, root name, root namespace), then the first semantic error met in
 * document order, as the walk did. Hence the state machine only records its first error and
 * lets libxml2 read on; everything after that error is ignored. */
#include <string.h>

#include "guard.h"
#include "mbmsec/xml.h"
#include "xml_doc.h"

/* The document being read. Depth 1 is the root; its children are items (requests) or status
 * groups (responses), whose children are items. */
typedef struct {
  const char *ns, *item;
  bool response, with_204;
  mbmsec_xml_service_list *svc; /* one list or the other */
  mbmsec_xml_key_list *key;
  mbmsec_err err;   /* the first semantic error, MBMSEC_OK while none */
  unsigned depth;   /* of the element open now */
  unsigned skip;    /* depth of the extension element being skipped, 0 if none */
  bool in_group;    /* response: inside a status group */
  bool in_item;     /* inside an item: collecting its text */
  unsigned code;    /* the group's status code (0 in a request) */
  size_t found;     /* items of the group */
  unsigned seen[8]; /* codes of the groups so far */
  size_t n_seen;
  char *text;  /* the item's text buffer (MBMSEC_XML_TEXT_MAX + 1 bytes) */
  size_t tlen; /* text octets after the leading white space (stored up to the cap) */
  size_t trim; /* of those, up to the last non-white-space one */
} p3_state;

static bool is_ws(xmlChar c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static size_t count(const p3_state *s) { return s->svc ? s->svc->n : s->key->n; }

static void fail(p3_state *s, mbmsec_err e)
{
  if (s->err == MBMSEC_OK) s->err = e;
}

/* xml_only_attrs on SAX attributes: attributes of a namespace are extensions; unqualified
 * ones must be `allowed` (may be NULL). */
static mbmsec_err only_attrs(int nb, const xmlChar **a, const char *allowed)
{
  for (int i = 0; i < nb; i++, a += 5) {
    if (a[2] && a[2][0]) continue;
    ENSURE(allowed && !strcmp((const char *)a[0], allowed), MBMSEC_ERR_XML_UNEXPECTED);
  }
  return MBMSEC_OK;
}

/* The statusCode attribute (unqualified), white space trimmed, exactly three digits and a
 * code of P4 (with_204: or 204). A '&' in the value (libxml2 gives it as "&#38;") can only
 * make a value that is not three digits: MBMSEC_ERR_XML_STATUS either way. */
static mbmsec_err parse_code(int nb, const xmlChar **a, bool with_204, unsigned *code)
{
  const xmlChar *v = NULL, *e = NULL;
  for (int i = 0; i < nb; i++, a += 5)
    if (!a[2] && !strcmp((const char *)a[0], MBMSEC_AT_STATUS_CODE)) {
      v = a[3];
      e = a[4];
    }
  ENSURE(v && e, MBMSEC_ERR_XML_STATUS);
  while (v < e && is_ws(*v)) v++;
  while (e > v && is_ws(e[-1])) e--;
  ENSURE(e - v == 3, MBMSEC_ERR_XML_STATUS);
  unsigned c = 0;
  for (; v < e; v++) {
    ENSURE(*v >= '0' && *v <= '9', MBMSEC_ERR_XML_STATUS);
    c = c * 10 + (unsigned)(*v - '0');
  }
  ENSURE(mbmsec_xml_status_valid(c, with_204), MBMSEC_ERR_XML_STATUS);
  *code = c;
  return MBMSEC_OK;
}

static mbmsec_err group_start(p3_state *s, const char *local, int nb, const xmlChar **a)
{
  ENSURE(!strcmp(local, MBMSEC_EL_STATUS), MBMSEC_ERR_XML_UNEXPECTED);
  GUARD(only_attrs(nb, a, MBMSEC_AT_STATUS_CODE));
  unsigned code;
  GUARD(parse_code(nb, a, s->with_204, &code));
  for (size_t i = 0; i < s->n_seen; i++) ENSURE(s->seen[i] != code, MBMSEC_ERR_XML_DUP_STATUS);
  ENSURE(s->n_seen < sizeof s->seen / sizeof s->seen[0], MBMSEC_ERR_XML_DUP_STATUS);
  s->seen[s->n_seen++] = code;
  s->code = code;
  s->found = 0;
  s->in_group = true;
  return MBMSEC_OK;
}

/* An item opens: the slot it fills is zeroed and its text collected there. */
static mbmsec_err item_start(p3_state *s, const char *local, int nb, const xmlChar **a)
{
  ENSURE(!strcmp(local, s->item), MBMSEC_ERR_XML_UNEXPECTED);
  GUARD(only_attrs(nb, a, NULL));
  ENSURE(count(s) < MBMSEC_XML_MAX_ITEMS, MBMSEC_ERR_XML_TOO_MANY);
  if (s->svc) {
    mbmsec_xml_service *it = &s->svc->items[s->svc->n];
    memset(it, 0, sizeof *it);
    s->text = it->text;
  } else {
    mbmsec_xml_key *it = &s->key->items[s->key->n];
    memset(it, 0, sizeof *it);
    s->text = it->text;
  }
  s->tlen = s->trim = 0;
  s->in_item = true;
  return MBMSEC_OK;
}

/* An item closes: its text trimmed of XML white space, then checked as the tree walk did. */
static mbmsec_err item_end(p3_state *s)
{
  s->in_item = false;
  ENSURE(s->trim <= MBMSEC_XML_TEXT_MAX, MBMSEC_ERR_XML_STRING_LEN);
  s->text[s->trim] = '\0';
  if (s->svc) {
    mbmsec_xml_service *it = &s->svc->items[s->svc->n];
    it->len = s->trim;
    it->code = s->code;
    it->err = xml_printable_token(it->text, it->len) ? MBMSEC_OK : MBMSEC_ERR_XML_ITEM;
    for (size_t i = 0; i < s->svc->n; i++)
      ENSURE(strcmp(s->svc->items[i].text, it->text), MBMSEC_ERR_XML_DUP_ITEM);
    s->svc->n_bad += it->err != MBMSEC_OK;
    s->svc->n++;
  } else {
    mbmsec_xml_key *it = &s->key->items[s->key->n];
    it->len = s->trim;
    it->code = s->code;
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
  s->found++;
  return MBMSEC_OK;
}

static void on_start(void *user, const xmlChar *local, const xmlChar *uri, int nb_attrs,
                     const xmlChar **attrs)
{
  p3_state *s = user;
  s->depth++;
  if (s->err != MBMSEC_OK || s->skip) return;
  if (s->depth == 1) { /* the root: no unqualified attribute */
    fail(s, only_attrs(nb_attrs, attrs, NULL));
    return;
  }
  if (s->in_item) { /* an element inside an item's text */
    fail(s, MBMSEC_ERR_XML_UNEXPECTED);
    return;
  }
  if (!uri || !uri[0]) {
    fail(s, MBMSEC_ERR_XML_NAMESPACE);
    return;
  }
  if (strcmp((const char *)uri, s->ns)) { /* an extension: skipped with all it holds */
    s->skip = s->depth;
    return;
  }
  if (s->response && !s->in_group)
    fail(s, group_start(s, (const char *)local, nb_attrs, attrs));
  else
    fail(s, item_start(s, (const char *)local, nb_attrs, attrs));
}

static void on_end(void *user)
{
  p3_state *s = user;
  unsigned d = s->depth--;
  if (s->err != MBMSEC_OK) return;
  if (s->skip) {
    if (d == s->skip) s->skip = 0;
    return;
  }
  if (s->in_item) {
    fail(s, item_end(s));
  } else if (s->in_group && d == 2) {
    s->in_group = false;
    if (!s->found) fail(s, MBMSEC_ERR_XML_EMPTY);
  }
}

static void on_text(void *user, const xmlChar *ch, int len)
{
  p3_state *s = user;
  if (s->err != MBMSEC_OK || s->skip) return;
  if (!s->in_item) { /* between items or groups: only white space */
    for (int i = 0; i < len; i++)
      if (!is_ws(ch[i])) {
        fail(s, MBMSEC_ERR_XML_UNEXPECTED);
        return;
      }
    return;
  }
  for (int i = 0; i < len; i++) {
    if (!s->tlen && is_ws(ch[i])) continue; /* leading white space */
    if (s->tlen <= MBMSEC_XML_TEXT_MAX) s->text[s->tlen] = (char)ch[i];
    if (s->tlen < SIZE_MAX) s->tlen++;
    if (!is_ws(ch[i])) s->trim = s->tlen;
  }
}

static const xml_sax p3_sax = {.start = on_start, .end = on_end, .text = on_text};

static mbmsec_err parse_doc(const uint8_t *doc, size_t len, const char *root_el, p3_state *s)
{
  GUARD(xml_read_sax(doc, len, root_el, s->ns, &p3_sax, s, NULL));
  GUARD(s->err);
  ENSURE(count(s) > 0, MBMSEC_ERR_XML_EMPTY);
  return MBMSEC_OK;
}

/* Empty lists: only the counts (item_start zeroes each item it fills). */
static void svc_reset(mbmsec_xml_service_list *l) { l->n = l->n_bad = 0; }
static void key_reset(mbmsec_xml_key_list *l) { l->n = l->n_bad = 0; }

mbmsec_err mbmsec_xml_parse_register(const uint8_t *doc, size_t len, mbmsec_xml_reg_kind kind,
                                     mbmsec_xml_service_list *out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  if (kind != MBMSEC_XML_REGISTER && kind != MBMSEC_XML_DEREGISTER) {
    memset(out, 0, sizeof *out);
    return MBMSEC_ERR_ARG;
  }
  svc_reset(out);
  bool reg = kind == MBMSEC_XML_REGISTER;
  p3_state s = {.ns = reg ? MBMSEC_NS_REGISTER : MBMSEC_NS_DEREGISTER,
                .item = MBMSEC_EL_SERVICE_ID,
                .svc = out};
  mbmsec_err rc = parse_doc(doc, len, reg ? MBMSEC_EL_REGISTER : MBMSEC_EL_DEREGISTER, &s);
  if (rc != MBMSEC_OK) memset(out, 0, sizeof *out);
  return rc;
}

mbmsec_err mbmsec_xml_parse_register_response(const uint8_t *doc, size_t len,
                                              mbmsec_xml_service_list *out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  svc_reset(out);
  p3_state s = {.ns = MBMSEC_NS_REGISTER_RESPONSE,
                .item = MBMSEC_EL_SERVICE_ID,
                .response = true,
                .svc = out};
  mbmsec_err rc = parse_doc(doc, len, MBMSEC_EL_REGISTER_RESPONSE, &s);
  if (rc != MBMSEC_OK) memset(out, 0, sizeof *out);
  return rc;
}

mbmsec_err mbmsec_xml_parse_msk_request(const uint8_t *doc, size_t len, mbmsec_xml_key_list *out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  key_reset(out);
  p3_state s = {.ns = MBMSEC_NS_MSK_REQUEST, .item = MBMSEC_EL_KEY_ID, .key = out};
  mbmsec_err rc = parse_doc(doc, len, MBMSEC_EL_MSK_REQUEST, &s);
  if (rc != MBMSEC_OK) memset(out, 0, sizeof *out);
  return rc;
}

mbmsec_err mbmsec_xml_parse_msk_response(const uint8_t *doc, size_t len, mbmsec_xml_key_list *out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  key_reset(out);
  p3_state s = {.ns = MBMSEC_NS_MSK_RESPONSE,
                .item = MBMSEC_EL_KEY_ID,
                .response = true,
                .with_204 = true,
                .key = out};
  mbmsec_err rc = parse_doc(doc, len, MBMSEC_EL_MSK_RESPONSE, &s);
  if (rc != MBMSEC_OK) memset(out, 0, sizeof *out);
  return rc;
}
