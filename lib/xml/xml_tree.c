/* Tree helpers shared by the parsers of lib/xml: namespace tests, leaf text, attributes. */
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "xml_doc.h"

bool xml_in_ns(const xmlNode *n, const char *ns)
{
  if (!ns) return !n->ns || !n->ns->href || !n->ns->href[0];
  return n->ns && n->ns->href && !strcmp((const char *)n->ns->href, ns);
}

bool xml_is(const xmlNode *n, const char *ns, const char *name)
{
  return n->type == XML_ELEMENT_NODE && xml_in_ns(n, ns) && !strcmp((const char *)n->name, name);
}

bool xml_ignorable(const xmlNode *n)
{
  if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE) return true;
  return n->type == XML_TEXT_NODE && xmlIsBlankNode((xmlNodePtr)n);
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static mbmsec_err copy_trimmed(const char *p, size_t n, char *out, size_t cap, size_t *len,
                               mbmsec_err too_long)
{
  while (n && is_ws(p[n - 1])) n--;
  while (n && is_ws(*p)) {
    p++;
    n--;
  }
  ENSURE(n < cap, too_long);
  memcpy(out, p, n);
  out[n] = '\0';
  if (len) *len = n;
  return MBMSEC_OK;
}

mbmsec_err xml_leaf_text(const xmlNode *el, char *out, size_t cap, size_t *len, mbmsec_err too_long)
{
  ENSURE(el && out && cap, MBMSEC_ERR_ARG);
  out[0] = '\0';
  if (len) *len = 0;
  size_t total = 0;
  for (const xmlNode *c = el->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
      total += c->content ? strlen((const char *)c->content) : 0;
    else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE)
      return MBMSEC_ERR_XML_UNEXPECTED; /* child element or entity reference */
  }
  char *buf = malloc(total + 1);
  ENSURE(buf, MBMSEC_ERR_NOMEM);
  size_t k = 0;
  for (const xmlNode *c = el->children; c; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
      size_t m = strlen((const char *)c->content);
      memcpy(buf + k, c->content, m);
      k += m;
    }
  }
  mbmsec_err rc = copy_trimmed(buf, k, out, cap, len, too_long);
  free(buf);
  return rc;
}

mbmsec_err xml_attr_text(const xmlNode *el, const char *name, char *out, size_t cap, size_t *len,
                         bool *found, mbmsec_err too_long)
{
  ENSURE(el && name && out && cap && found, MBMSEC_ERR_ARG);
  out[0] = '\0';
  if (len) *len = 0;
  *found = false;
  if (!xmlHasNsProp((xmlNodePtr)el, (const xmlChar *)name, NULL)) return MBMSEC_OK;
  xmlChar *v = xmlGetNoNsProp((xmlNodePtr)el, (const xmlChar *)name);
  ENSURE(v, MBMSEC_ERR_NOMEM);
  *found = true;
  mbmsec_err rc = copy_trimmed((const char *)v, strlen((const char *)v), out, cap, len, too_long);
  xmlFree(v);
  return rc;
}

mbmsec_err xml_only_attrs(const xmlNode *el, const char *const *allowed)
{
  for (const xmlAttr *a = el->properties; a; a = a->next) {
    if (a->ns && a->ns->href && a->ns->href[0]) continue;
    bool ok = false;
    for (size_t i = 0; allowed && allowed[i]; i++)
      if (!strcmp((const char *)a->name, allowed[i])) ok = true;
    ENSURE(ok, MBMSEC_ERR_XML_UNEXPECTED);
  }
  return MBMSEC_OK;
}

bool xml_printable_token(const char *s, size_t n)
{
  if (!n) return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7E) return false;
  return true;
}

bool xml_writable_text(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
  }
  if (!xml_utf8_valid((const uint8_t *)s, n)) return false;
  /* U+FFFE and U+FFFF are not XML characters (EF BF BE, EF BF BF). */
  for (size_t i = 0; i + 2 < n; i++)
    if ((unsigned char)s[i] == 0xEF && (unsigned char)s[i + 1] == 0xBF &&
        ((unsigned char)s[i + 2] == 0xBE || (unsigned char)s[i + 2] == 0xBF))
      return false;
  return true;
}
