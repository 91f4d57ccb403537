/* The hardened libxml2 reader shared by every parser of lib/xml (docs/xml.md, "Hardening").
 *
 * Bodies come from the network before anything vouches for their shape, so the parser is
 * kept away from everything XML can reach out to:
 *  - size cap and strict UTF-8 check on the raw octets before libxml2 sees them; the
 *    declared encoding, if any, must be UTF-8; libxml2 is given no encoding and told to
 *    ignore the declaration, so no converter at all (not even UTF-8 to UTF-8; never UTF-7,
 *    UTF-16 or EBCDIC) is ever in the path;
 *  - options NONET (no network), never NOENT (no entity substitution), never HUGE, never
 *    DTDLOAD/DTDATTR/DTDVALID/XINCLUDE, NO_XXE when the installed libxml2 has it;
 *  - SAX guards on the context's own handler copy: a DOCTYPE stops the parse at once (the
 *    internal subset is never read, so no entity is ever declared: billion laughs and XXE
 *    never start); a reference to any entity other than the five predefined ones stops it;
 *    external entity resolution always answers NULL; depth, element count, attribute count
 *    and attribute length are capped while parsing;
 *  - a structured error handler on the context: libxml2 writes nothing to stderr.
 *
 * Two entry points, one read: xml_read builds libxml2's tree (the announcement documents);
 * xml_read_sax hands the caller the events instead and never makes a document (the P3
 * documents of the hot path, docs/xml.md "The P3 documents are read without a tree").
 *
 * Cost (docs/BENCHMARKS.md): the documents of the hot path are 150-200 octets, so the fixed
 * cost of a read dominates. The input is a NUL-terminated copy behind a static input buffer
 * (no read callback: libxml2's GROW checks return at once instead of calling into the I/O
 * layer), and each thread keeps its parser context from one successful read to the next
 * (see ctxt_take / ctxt_give for what that keeps and why it is bounded).
 */
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>
#include <pthread.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/xml.h"
#include "xml_doc.h"

/* A reused context is dropped once its dictionary holds more names than this (the hot-path
 * documents have about ten), or after this many reads (libxml2 numbers the inputs of a
 * context in an int that would otherwise only ever grow). */
#define XML_CTXT_DICT_MAX  256
#define XML_CTXT_READS_MAX 65536

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static pthread_key_t ctxt_key; /* this thread's idle parser context, or NULL */
static bool ctxt_key_ok;

static void ctxt_key_free(void *ctxt) { xmlFreeParserCtxt(ctxt); }

static void xml_init_once(void)
{
  xmlInitParser();
  ctxt_key_ok = pthread_key_create(&ctxt_key, ctxt_key_free) == 0;
}

void mbmsec_xml_init(void) { (void)pthread_once(&xml_once, xml_init_once); }

typedef struct {
  mbmsec_err stop; /* the first guard that fired, MBMSEC_OK if none */
  unsigned depth;
  unsigned elements;
  xml_read_stats stats;
  const xml_sax *sax; /* xml_read_sax: the caller's handlers (NULL: xml_read builds a tree) */
  void *user;
  bool root_name_ok, root_ns_ok; /* xml_read_sax: what the first element was */
  const char *root, *ns;
} guard_state;

static guard_state *state_of(void *ctx)
{
  xmlParserCtxtPtr c = ctx;
  return c ? c->_private : NULL;
}

static void guard_stop(void *ctx, mbmsec_err why)
{
  guard_state *st = state_of(ctx);
  if (st && st->stop == MBMSEC_OK) st->stop = why;
  xmlStopParser((xmlParserCtxtPtr)ctx);
}

static void on_error(void *data, xmlErrorPtr err)
{
  (void)err;
  /* data is the parser context (its userData); count and stay silent. */
  guard_state *st = state_of(data);
  if (st) st->stats.errors++;
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
  (void)name;
  (void)ext;
  (void)sys;
  guard_stop(ctx, MBMSEC_ERR_XML_DOCTYPE);
}

static void on_ext_subset(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
  on_doctype(ctx, name, ext, sys);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
                           const xmlChar *sys, xmlChar *content)
{
  (void)name;
  (void)type;
  (void)pub;
  (void)sys;
  (void)content;
  guard_stop(ctx, MBMSEC_ERR_XML_DOCTYPE);
}

/* Predefined entities (&lt; &gt; &amp; &apos; &quot;) never reach this callback; any other
 * reference does. No entity is ever returned, so none can be expanded. */
static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
  (void)name;
  guard_state *st = state_of(ctx);
  if (st) st->stats.entity_lookups++;
  guard_stop(ctx, MBMSEC_ERR_XML_ENTITY);
  return NULL;
}

static xmlEntityPtr on_get_pe(void *ctx, const xmlChar *name) { return on_get_entity(ctx, name); }

static xmlParserInputPtr on_resolve(void *ctx, const xmlChar *pub, const xmlChar *sys)
{
  (void)pub;
  (void)sys;
  guard_stop(ctx, MBMSEC_ERR_XML_ENTITY);
  return NULL;
}

static void on_reference(void *ctx, const xmlChar *name)
{
  (void)name;
  guard_stop(ctx, MBMSEC_ERR_XML_ENTITY);
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nb_ns, const xmlChar **nss, int nb_attrs, int nb_def,
                     const xmlChar **attrs)
{
  guard_state *st = state_of(ctx);
  if (!st || st->stop != MBMSEC_OK) return;
  if (++st->depth > MBMSEC_XML_DEPTH_MAX) {
    guard_stop(ctx, MBMSEC_ERR_XML_DEPTH);
    return;
  }
  if (++st->elements > MBMSEC_XML_ELEMENTS_MAX || nb_ns < 0 || nb_attrs < 0 ||
      nb_ns + nb_attrs > MBMSEC_XML_ATTRS_MAX) {
    guard_stop(ctx, MBMSEC_ERR_XML_ELEMENTS);
    return;
  }
  for (int i = 0; i < nb_ns; i++) {
    const xmlChar *href = nss[2 * i + 1];
    if (href && strlen((const char *)href) > MBMSEC_XML_ATTR_MAX) {
      guard_stop(ctx, MBMSEC_ERR_XML_ATTR_LEN);
      return;
    }
  }
  for (int i = 0; i < nb_attrs; i++) {
    const xmlChar *v = attrs[5 * i + 3], *e = attrs[5 * i + 4];
    if (v && e && (size_t)(e - v) > MBMSEC_XML_ATTR_MAX) {
      guard_stop(ctx, MBMSEC_ERR_XML_ATTR_LEN);
      return;
    }
  }
  if (!st->sax) {
    xmlSAX2StartElementNs(ctx, local, prefix, uri, nb_ns, nss, nb_attrs, nb_def, attrs);
    return;
  }
  if (st->elements == 1) { /* the root: what xml_read checks on the tree's root */
    st->root_name_ok = !strcmp((const char *)local, st->root);
    st->root_ns_ok = uri && !strcmp((const char *)uri, st->ns);
  }
  st->sax->start(st->user, local, uri, nb_attrs, attrs);
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
  guard_state *st = state_of(ctx);
  if (!st || st->stop != MBMSEC_OK) return;
  if (st->depth) st->depth--;
  if (st->sax)
    st->sax->end(st->user);
  else
    xmlSAX2EndElementNs(ctx, local, prefix, uri);
}

/* xml_read_sax's handlers for what xmlSAX2 would turn into nodes. Character data (text,
 * character references, the predefined entities, CDATA under NOCDATA) goes to the caller;
 * no document is made (startDocument / endDocument do nothing, so ctxt->myDoc stays NULL);
 * comments and PIs are parsed (and checked) by libxml2 and dropped. */
static void on_text(void *ctx, const xmlChar *ch, int len)
{
  guard_state *st = state_of(ctx);
  if (st && st->stop == MBMSEC_OK && len > 0) st->sax->text(st->user, ch, len);
}

static void on_no_doc(void *ctx) { (void)ctx; }

static void on_comment(void *ctx, const xmlChar *value)
{
  (void)ctx;
  (void)value;
}

static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
  (void)ctx;
  (void)target;
  (void)data;
}

/* xmlSAX2's versions read ctxt->myDoc; without a document: what they answer for one made by
 * xmlSAX2StartDocument (its standalone is the context's; a subset never exists, a DOCTYPE
 * stops the parse). */
static int on_is_standalone(void *ctx)
{
  xmlParserCtxtPtr c = ctx;
  return c && c->standalone == 1;
}

static int on_has_subset(void *ctx)
{
  (void)ctx;
  return 0;
}

bool xml_utf8_valid(const uint8_t *p, size_t n)
{
  const uint64_t lo = 0x0101010101010101u, hi = 0x8080808080808080u;
  size_t i = 0;
  while (i < n) {
    /* Fast path, 8 octets at a time: none has its high bit set (ASCII) and none is NUL
     * ((w - lo) & ~w & hi is nonzero exactly when some octet of w is 0). */
    if (n - i >= 8) {
      uint64_t w;
      memcpy(&w, p + i, sizeof w);
      if (!(w & hi) && !((w - lo) & ~w & hi)) {
        i += 8;
        continue;
      }
    }
    uint8_t c = p[i];
    if (c == 0) return false;
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t k;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
      k = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      k = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      k = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i <= k) return false;
    for (size_t j = 1; j <= k; j++) {
      if ((p[i + j] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + j] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += k + 1;
  }
  return true;
}

static bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The encoding named by a leading XML declaration must be UTF-8 (any case); no declaration
 * or no encoding pseudo-attribute means UTF-8. A malformed declaration is left to libxml2. */
static bool declared_utf8(const uint8_t *p, size_t n)
{
  if (n < 6 || memcmp(p, "<?xml", 5) || !is_ws(p[5])) return true;
  size_t end = 5;
  while (end + 1 < n && !(p[end] == '?' && p[end + 1] == '>')) end++;
  static const char key[] = "encoding";
  for (size_t i = 5; i + sizeof key - 1 <= end; i++) {
    if (memcmp(p + i, key, sizeof key - 1) || !is_ws(p[i - 1])) continue;
    size_t j = i + sizeof key - 1;
    while (j < end && is_ws(p[j])) j++;
    if (j >= end || p[j] != '=') return true;
    j++;
    while (j < end && is_ws(p[j])) j++;
    if (j >= end || (p[j] != '"' && p[j] != '\'')) return true;
    uint8_t q = p[j++];
    size_t v = j;
    while (j < end && p[j] != q) j++;
    if (j - v != 5) return false;
    static const char utf8[] = "utf-8";
    for (size_t k = 0; k < 5; k++) {
      uint8_t c = p[v + k];
      if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
      if (c != (uint8_t)utf8[k]) return false;
    }
    return true;
  }
  return true;
}

/* This thread's idle context, reset for a new document, or a new one; NULL when out of
 * memory. The caller owns it until ctxt_give.
 *
 * Why reuse is safe: xmlCtxtReset clears all parse state (input stack, node/name/space
 * stacks, version and encoding, myDoc, wellFormed/nsWellFormed, instate, disableSAX, error
 * state, entity counters, attribute defaults). What it keeps is the SAX handler copy (our
 * guards, installed again on every read anyway), the options (the same on every read), the
 * stack arrays (bounded by the depth and attribute caps) and the dictionary of names, the
 * only state that grows with what documents contain: ctxt_give drops a context whose
 * dictionary holds more than XML_CTXT_DICT_MAX names, so an attacker's many distinct names
 * cost memory for one read only. Documents made on the context keep a reference to that
 * dictionary, so they outlive the context safely. A context is kept only after a read that
 * succeeded: a refused or failed read (stopped by a guard, not well-formed, out of memory)
 * frees it, and the next read starts from a new one. */
static xmlParserCtxtPtr ctxt_take(bool *reused)
{
  xmlParserCtxtPtr ctxt = ctxt_key_ok ? pthread_getspecific(ctxt_key) : NULL;
  *reused = ctxt != NULL;
  if (!ctxt) return xmlNewParserCtxt();
  (void)pthread_setspecific(ctxt_key, NULL); /* cannot fail: the slot exists already */
  xmlCtxtReset(ctxt);
  return ctxt;
}

/* Keeps ctxt for this thread's next read when `keep` and within the limits, frees it
 * otherwise. The thread's exit frees a kept context (the key's destructor). */
static void ctxt_give(xmlParserCtxtPtr ctxt, bool keep)
{
  ctxt->_private = NULL;
  keep = keep && ctxt_key_ok && ctxt->dict && xmlDictSize(ctxt->dict) <= XML_CTXT_DICT_MAX &&
         ctxt->input_id <= XML_CTXT_READS_MAX;
  if (!keep || pthread_setspecific(ctxt_key, ctxt) != 0) xmlFreeParserCtxt(ctxt);
}

void xml_read_release(void)
{
  if (!ctxt_key_ok) return;
  xmlParserCtxtPtr ctxt = pthread_getspecific(ctxt_key);
  if (!ctxt) return;
  (void)pthread_setspecific(ctxt_key, NULL);
  xmlFreeParserCtxt(ctxt);
}

/* Pushes doc (len octets) as ctxt's input and parses it; the document, possibly not
 * well-formed, is in *out (NULL when libxml2 made none). A short document is read from
 * `copy` (at least XML_STATIC_MAX + 1 octets) NUL-terminated, since libxml2 reads one octet
 * past the end, behind a static input buffer: no read callback, so every GROW check returns
 * at once instead of calling into the I/O layer (about a third of the time of a small read
 * through xmlCtxtReadMemory). The input stream owns the input buffer once pushed, never
 * `copy`, which must outlive the stream (drop_inputs).
 * @return MBMSEC_OK, MBMSEC_ERR_NOMEM. */
static mbmsec_err parse_input(xmlParserCtxtPtr ctxt, const uint8_t *doc, size_t len, char *copy,
                              int opts, xmlDocPtr *out)
{
  *out = NULL;
  xmlParserInputBufferPtr ib;
  if (len <= XML_STATIC_MAX) {
    memcpy(copy, doc, len);
    copy[len] = '\0';
    ib = xmlParserInputBufferCreateStatic(copy, (int)len, XML_CHAR_ENCODING_NONE);
  } else {
    ib = xmlParserInputBufferCreateMem((const char *)doc, (int)len, XML_CHAR_ENCODING_NONE);
  }
  ENSURE(ib, MBMSEC_ERR_NOMEM);
  xmlParserInputPtr in = xmlNewIOInputStream(ctxt, ib, XML_CHAR_ENCODING_NONE);
  if (!in) {
    xmlFreeParserInputBuffer(ib);
    return MBMSEC_ERR_NOMEM;
  }
  if (inputPush(ctxt, in) < 0) /* it freed `in`, and with it ib */
    return MBMSEC_ERR_NOMEM;
  (void)xmlCtxtUseOptions(ctxt, opts);
  (void)xmlParseDocument(ctxt);
  *out = ctxt->myDoc;
  ctxt->myDoc = NULL;
  return MBMSEC_OK;
}

/* Frees every input stream of ctxt (and with them their buffers), so that nothing on the
 * context points into the copy of the document once it is gone. */
static void drop_inputs(xmlParserCtxtPtr ctxt)
{
  xmlParserInputPtr in;
  while ((in = inputPop(ctxt)) != NULL) xmlFreeInputStream(in);
}

/* Installs the guards (and for xml_read_sax the tree-less handlers) on ctxt's own SAX handler
 * copy. The handler is reset to libxml2's SAX2 defaults first: a reused context may come from
 * a read of the other kind. The element guards call xmlSAX2StartElementNs /
 * xmlSAX2EndElementNs themselves (xml_read) or the caller's handlers (xml_read_sax), never
 * what the handler holds. */
static void install(xmlParserCtxtPtr ctxt, bool tree)
{
  xmlSAXHandlerPtr sax = ctxt->sax;
  (void)xmlSAXVersion(sax, 2);
  sax->startElementNs = on_start;
  sax->endElementNs = on_end;
  sax->internalSubset = on_doctype;
  sax->externalSubset = on_ext_subset;
  sax->entityDecl = on_entity_decl;
  sax->getEntity = on_get_entity;
  sax->getParameterEntity = on_get_pe;
  sax->resolveEntity = on_resolve;
  sax->reference = on_reference;
  sax->serror = on_error;
  sax->error = NULL;
  sax->warning = NULL;
  sax->fatalError = NULL;
  if (!tree) {
    sax->startDocument = on_no_doc;
    sax->endDocument = on_no_doc;
    /* The same function for both: libxml2 then never asks whether white space is ignorable
     * (areBlanks), just as with xmlSAX2's defaults, where both are xmlSAX2Characters. */
    sax->characters = on_text;
    sax->ignorableWhitespace = on_text;
    sax->cdataBlock = on_text; /* unused: NOCDATA clears it, CDATA comes as characters */
    sax->comment = on_comment;
    sax->processingInstruction = on_pi;
    sax->isStandalone = on_is_standalone;
    sax->hasInternalSubset = on_has_subset;
    sax->hasExternalSubset = on_has_subset;
  }
  sax->initialized = XML_SAX2_MAGIC;
}

/* xml_read and xml_read_sax: sax NULL builds the tree into *out. */
static mbmsec_err read_doc(const uint8_t *doc, size_t len, const char *root, const char *ns,
                           const xml_sax *h, void *user, xmlDocPtr *out, xml_read_stats *stats)
{
  if (stats) memset(stats, 0, sizeof *stats);
  ENSURE(doc && root && ns, MBMSEC_ERR_ARG);
  ENSURE(len > 0 && len <= MBMSEC_XML_DOC_MAX, MBMSEC_ERR_XML_SIZE);
  ENSURE(xml_utf8_valid(doc, len), MBMSEC_ERR_XML_ENCODING);
  ENSURE(declared_utf8(doc, len), MBMSEC_ERR_XML_ENCODING);
  mbmsec_xml_init();

  mbmsec_err rc = MBMSEC_OK;
  xmlDocPtr d = NULL;
  guard_state st = {.sax = h, .user = user, .root = root, .ns = ns};
  char copy[XML_STATIC_MAX + 1];
  xmlParserCtxtPtr ctxt = ctxt_take(&st.stats.reused);
  ENSURE_OUT(ctxt && ctxt->sax, MBMSEC_ERR_NOMEM);
  install(ctxt, h == NULL);
  ctxt->_private = &st;

  GUARD_OUT(parse_input(ctxt, doc, len, copy, XML_READ_OPTIONS, &d));
  if (st.stop != MBMSEC_OK) {
    rc = st.stop;
    goto out;
  }
  if (h) {
    /* What xml_read finds on the tree, in its order: the first element is the root. */
    ENSURE_OUT(ctxt->wellFormed && ctxt->nsWellFormed && st.elements, MBMSEC_ERR_XML_SYNTAX);
    ENSURE_OUT(st.root_name_ok, MBMSEC_ERR_XML_ROOT);
    ENSURE_OUT(st.root_ns_ok, MBMSEC_ERR_XML_NAMESPACE);
    goto out;
  }
  ENSURE_OUT(d && ctxt->wellFormed && ctxt->nsWellFormed, MBMSEC_ERR_XML_SYNTAX);
  ENSURE_OUT(!d->intSubset && !d->extSubset, MBMSEC_ERR_XML_DOCTYPE);
  xmlNode *r = xmlDocGetRootElement(d);
  ENSURE_OUT(r && r->type == XML_ELEMENT_NODE, MBMSEC_ERR_XML_SYNTAX);
  ENSURE_OUT(!strcmp((const char *)r->name, root), MBMSEC_ERR_XML_ROOT);
  ENSURE_OUT(xml_in_ns(r, ns), MBMSEC_ERR_XML_NAMESPACE);
  *out = d;
  d = NULL;
out:
  if (ctxt) {
#if LIBXML_VERSION < 21100
    st.stats.entity_refs = ctxt->nbentities;
    st.stats.entity_copy = ctxt->sizeentcopy;
#endif
    drop_inputs(ctxt);
    ctxt_give(ctxt, rc == MBMSEC_OK);
  }
  if (stats) *stats = st.stats;
  xmlFreeDoc(d);
  return rc;
}

mbmsec_err xml_read(const uint8_t *doc, size_t len, const char *root, const char *ns,
                    xmlDocPtr *out, xml_read_stats *stats)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  *out = NULL;
  return read_doc(doc, len, root, ns, NULL, NULL, out, stats);
}

mbmsec_err xml_read_sax(const uint8_t *doc, size_t len, const char *root, const char *ns,
                        const xml_sax *h, void *user, xml_read_stats *stats)
{
  if (!h || !h->start || !h->end || !h->text) {
    if (stats) memset(stats, 0, sizeof *stats);
    return MBMSEC_ERR_ARG;
  }
  xmlDocPtr none = NULL;
  return read_doc(doc, len, root, ns, h, user, &none, stats);
}
