/* Builders of the four P3 documents: byte-exact and deterministic (UTF-8, XML declaration,
 * two-space indentation, LF line ends, one trailing LF; one status group per code in the
 * order of first occurrence, items in list order). Written by hand, not through libxml2, so
 * that the bytes do not depend on the libxml2 version. */
#include <string.h>

#include "guard.h"
#include "mbmsec/xml.h"
#include "xml_doc.h"

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

typedef struct {
  char *p;
  size_t cap, len;
  bool full;
} wr;

static void put(wr *w, const char *s, size_t n)
{
  if (w->full || w->cap - w->len <= n) { /* keep room for the NUL */
    w->full = true;
    return;
  }
  memcpy(w->p + w->len, s, n);
  w->len += n;
}

static void puts_(wr *w, const char *s) { put(w, s, strlen(s)); }

/* Character data: & < > escaped, CR as a character reference (a parser would turn a raw CR
 * into LF). */
static void put_text(wr *w, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    switch (s[i]) {
    case '&':
      puts_(w, "&amp;");
      break;
    case '<':
      puts_(w, "&lt;");
      break;
    case '>':
      puts_(w, "&gt;");
      break;
    case '\r':
      puts_(w, "&#13;");
      break;
    default:
      put(w, s + i, 1);
    }
  }
}

static void put_item(wr *w, const char *indent, const char *el, const char *text, size_t n)
{
  puts_(w, indent);
  puts_(w, "<");
  puts_(w, el);
  puts_(w, ">");
  put_text(w, text, n);
  puts_(w, "</");
  puts_(w, el);
  puts_(w, ">\n");
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The items of either list reduced to what the writer needs: text, length, code. */
typedef struct {
  const char *text[MBMSEC_XML_MAX_ITEMS];
  size_t len[MBMSEC_XML_MAX_ITEMS];
  unsigned code[MBMSEC_XML_MAX_ITEMS];
  char b64[MBMSEC_XML_MAX_ITEMS][MBMSEC_MBMS_KEYID_B64_LEN + 1];
  size_t n;
} items;

/* Checks one item and records it. bad_code: the code of a bad item (its err is not OK). */
static mbmsec_err take(items *it, const char *text, size_t cap, mbmsec_err err, unsigned code,
                       bool response, bool with_204, mbmsec_err item_code)
{
  size_t n = strnlen(text, cap);
  ENSURE(n < cap, MBMSEC_ERR_ARG);
  if (response)
    ENSURE(mbmsec_xml_status_valid(code, with_204), MBMSEC_ERR_XML_STATUS);
  else
    ENSURE(code == 0, MBMSEC_ERR_XML_STATUS);
  if (err != MBMSEC_OK) {
    /* A bad item is only echoed in a response's 400 group, as received (trimmed). */
    ENSURE(response, item_code);
    ENSURE(code == MBMSEC_MBMS_STATUS_BAD_REQUEST, MBMSEC_ERR_XML_STATUS);
    ENSURE(xml_writable_text(text, n), item_code);
    ENSURE(!n || (!is_ws(text[0]) && !is_ws(text[n - 1])), item_code);
  }
  for (size_t i = 0; i < it->n; i++)
    ENSURE(it->len[i] != n || memcmp(it->text[i], text, n), MBMSEC_ERR_XML_DUP_ITEM);
  it->text[it->n] = text;
  it->len[it->n] = n;
  it->code[it->n] = code;
  it->n++;
  return MBMSEC_OK;
}

static mbmsec_err emit(const items *it, const char *root, const char *ns, const char *item,
                       bool response, char *out, size_t cap, size_t *outlen)
{
  ENSURE(it->n > 0, MBMSEC_ERR_XML_EMPTY);
  wr w = {.p = out, .cap = cap};
  puts_(&w, XML_DECL "<");
  puts_(&w, root);
  puts_(&w, " xmlns=\"");
  puts_(&w, ns);
  puts_(&w, "\">\n");
  if (!response) {
    for (size_t i = 0; i < it->n; i++) put_item(&w, "  ", item, it->text[i], it->len[i]);
  } else {
    for (size_t i = 0; i < it->n; i++) {
      bool first = true;
      for (size_t j = 0; j < i && first; j++) first = it->code[j] != it->code[i];
      if (!first) continue;
      char open[32];
      size_t k = 0;
      memcpy(open, "  <status code=\"", 16);
      k = 16;
      open[k++] = (char)('0' + it->code[i] / 100 % 10);
      open[k++] = (char)('0' + it->code[i] / 10 % 10);
      open[k++] = (char)('0' + it->code[i] % 10);
      memcpy(open + k, "\">\n", 3);
      put(&w, open, k + 3);
      for (size_t j = i; j < it->n; j++)
        if (it->code[j] == it->code[i]) put_item(&w, "    ", item, it->text[j], it->len[j]);
      puts_(&w, "  </status>\n");
    }
  }
  puts_(&w, "</");
  puts_(&w, root);
  puts_(&w, ">\n");
  if (w.full) {
    out[0] = '\0'; /* never a partial document */
    return MBMSEC_ERR_SPACE;
  }
  out[w.len] = '\0';
  *outlen = w.len;
  return MBMSEC_OK;
}

/* About 8.5 KiB of pointers, lengths and codes: on the stack, so the builders stay
 * reentrant. */
static mbmsec_err build_services(const mbmsec_xml_service_list *l, const char *root, const char *ns,
                                 bool response, char *out, size_t cap, size_t *outlen)
{
  ENSURE(l && out && outlen && cap, MBMSEC_ERR_ARG);
  out[0] = '\0';
  *outlen = 0;
  ENSURE(l->n <= MBMSEC_XML_MAX_ITEMS, MBMSEC_ERR_XML_TOO_MANY);
  items it;
  it.n = 0;
  for (size_t i = 0; i < l->n; i++) {
    const mbmsec_xml_service *s = &l->items[i];
    GUARD(
        take(&it, s->text, sizeof s->text, s->err, s->code, response, false, MBMSEC_ERR_XML_ITEM));
    if (s->err == MBMSEC_OK) ENSURE(xml_printable_token(s->text, it.len[i]), MBMSEC_ERR_XML_ITEM);
  }
  return emit(&it, root, ns, MBMSEC_EL_SERVICE_ID, response, out, cap, outlen);
}

static mbmsec_err build_keys(const mbmsec_xml_key_list *l, bool response, char *out, size_t cap,
                             size_t *outlen)
{
  ENSURE(l && out && outlen && cap, MBMSEC_ERR_ARG);
  out[0] = '\0';
  *outlen = 0;
  ENSURE(l->n <= MBMSEC_XML_MAX_ITEMS, MBMSEC_ERR_XML_TOO_MANY);
  items it;
  it.n = 0;
  for (size_t i = 0; i < l->n; i++) {
    const mbmsec_xml_key *k = &l->items[i];
    const char *text = k->text;
    size_t tcap = sizeof k->text;
    if (k->err == MBMSEC_OK) {
      /* A good item is written from its octets: the canonical 12 characters. */
      GUARD(mbmsec_xml_keyid_encode(k->kdid, k->msk_id, it.b64[i]));
      text = it.b64[i];
      tcap = sizeof it.b64[i];
    }
    GUARD(take(&it, text, tcap, k->err, k->code, response, true, MBMSEC_ERR_XML_KEYID));
  }
  return emit(&it, response ? MBMSEC_EL_MSK_RESPONSE : MBMSEC_EL_MSK_REQUEST,
              response ? MBMSEC_NS_MSK_RESPONSE : MBMSEC_NS_MSK_REQUEST, MBMSEC_EL_KEY_ID, response,
              out, cap, outlen);
}

mbmsec_err mbmsec_xml_build_register(mbmsec_xml_reg_kind kind, const mbmsec_xml_service_list *l,
                                     char *out, size_t cap, size_t *outlen)
{
  ENSURE(kind == MBMSEC_XML_REGISTER || kind == MBMSEC_XML_DEREGISTER, MBMSEC_ERR_ARG);
  bool reg = kind == MBMSEC_XML_REGISTER;
  return build_services(l, reg ? MBMSEC_EL_REGISTER : MBMSEC_EL_DEREGISTER,
                        reg ? MBMSEC_NS_REGISTER : MBMSEC_NS_DEREGISTER, false, out, cap, outlen);
}

mbmsec_err mbmsec_xml_build_register_response(const mbmsec_xml_service_list *l, char *out,
                                              size_t cap, size_t *outlen)
{
  return build_services(l, MBMSEC_EL_REGISTER_RESPONSE, MBMSEC_NS_REGISTER_RESPONSE, true, out, cap,
                        outlen);
}

mbmsec_err mbmsec_xml_build_msk_request(const mbmsec_xml_key_list *l, char *out, size_t cap,
                                        size_t *outlen)
{
  return build_keys(l, false, out, cap, outlen);
}

mbmsec_err mbmsec_xml_build_msk_response(const mbmsec_xml_key_list *l, char *out, size_t cap,
                                         size_t *outlen)
{
  return build_keys(l, true, out, cap, outlen);
}
