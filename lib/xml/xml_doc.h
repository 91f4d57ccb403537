/* Internal to lib/xml: the hardened libxml2 reader and the tree helpers the parsers share. */
#ifndef MBMSEC_XML_DOC_H
#define MBMSEC_XML_DOC_H
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/error.h"

/* What the SAX guards saw during the last read (tests look at entity_expanded). */
typedef struct {
  unsigned entity_lookups;   /* non-predefined entity references met (each stops the parse) */
  unsigned long entity_refs; /* libxml2's own counters (2.9/2.10 only, else 0): entity */
  unsigned long entity_copy; /* references met, and octets of entity content copied */
  unsigned errors;           /* libxml2 errors and warnings received by the handler */
  bool reused;               /* read on this thread's context kept from an earlier read */
} xml_read_stats;

/* The libxml2 options of every read: no network, silent, CDATA as text, the declared
 * encoding ignored (no converter), COMPACT (short text inside the node: the trees are only
 * read, never modified, which is all COMPACT asks), NO_XXE where libxml2 has it (>= 2.13, an
 * enum value, not a macro: hence the version test). Never NOENT, HUGE, DTD*, XINCLUDE. */
#if LIBXML_VERSION >= 21300
#define XML_READ_XXE XML_PARSE_NO_XXE
#else
#define XML_READ_XXE 0
#endif
#define XML_READ_OPTIONS                                                           \
  (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | \
   XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT | XML_READ_XXE)

/* Up to this many octets xml_read reads a document from a static input; longer ones from a
 * copy in a growable buffer, as xmlCtxtReadMemory does. libxml2 2.9.14 loses its place when
 * it shrinks a static input: once more than 2 * INPUT_CHUNK octets are consumed, SHRINK
 * moves the buffer's start and the cursor both and re-reads octets already parsed (seen:
 * a 683-octet mskRequest read as not well-formed). A document no longer than that bound
 * never reaches SHRINK's condition (cursor more than 2 * INPUT_CHUNK past the start), and
 * the hot-path documents (150-200 octets) are far below it. fuzz_xml_static checks that
 * libxml2 reads such documents from a static input exactly as from a growable one. */
#define XML_STATIC_MAX (2 * INPUT_CHUNK)

/* Reads doc (len octets) from memory with every guard of docs/xml.md, on this thread's parser
 * context kept from its last successful read or a new one, then checks the root's local name
 * and namespace. *out is the document (free with xmlFreeDoc) on MBMSEC_OK, NULL otherwise.
 * stats may be NULL.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, MBMSEC_ERR_XML_SIZE,
 *         MBMSEC_ERR_XML_ENCODING, MBMSEC_ERR_XML_DOCTYPE, MBMSEC_ERR_XML_ENTITY,
 *         MBMSEC_ERR_XML_SYNTAX, MBMSEC_ERR_XML_DEPTH, MBMSEC_ERR_XML_ATTR_LEN,
 *         MBMSEC_ERR_XML_ELEMENTS, MBMSEC_ERR_XML_ROOT, MBMSEC_ERR_XML_NAMESPACE. */
mbmsec_err xml_read(const uint8_t *doc, size_t len, const char *root, const char *ns,
                    xmlDocPtr *out, xml_read_stats *stats);

/* What xml_read_sax calls, with the `user` given to it, instead of building a tree; only for
 * events that pass the guards, in document order, and only until a guard stops the parse or
 * libxml2 meets a well-formedness error (so a handler may see part of a document that is then
 * refused: decide after xml_read_sax returns). start: an element, local name and namespace
 * URI (NULL: none), its nb_attrs attributes as libxml2's SAX2 gives them (5 pointers each:
 * local name, prefix, URI, value start, value end; a '&' in a value appears as "&#38;").
 * end: the end of the element last started. text: character data in document order (text,
 * CDATA, character references and the five predefined entities, in pieces of any size);
 * comments and processing instructions are not reported. */
typedef struct {
  void (*start)(void *user, const xmlChar *local, const xmlChar *uri, int nb_attrs,
                const xmlChar **attrs);
  void (*end)(void *user);
  void (*text)(void *user, const xmlChar *ch, int len);
} xml_sax;

/* xml_read without a tree: the same guards, limits, context reuse and return codes in the
 * same order (a guard, then MBMSEC_ERR_XML_SYNTAX for a document that is not well-formed
 * anywhere, then the root's name and namespace), the events going to h instead.
 * @return as xml_read. */
mbmsec_err xml_read_sax(const uint8_t *doc, size_t len, const char *root, const char *ns,
                        const xml_sax *h, void *user, xml_read_stats *stats);

/* Frees this thread's kept parser context now rather than at thread exit: for a thread that
 * reads no more documents, or before xmlCleanupParser (the context holds a dictionary). The
 * next xml_read of the thread makes a new context. */
void xml_read_release(void);

/* Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF), no NUL. */
bool xml_utf8_valid(const uint8_t *p, size_t n);

/* Element in namespace ns (NULL: in no namespace). */
bool xml_in_ns(const xmlNode *n, const char *ns);
bool xml_is(const xmlNode *n, const char *ns, const char *name);
/* Text node that is only XML white space, a comment or a processing instruction. */
bool xml_ignorable(const xmlNode *n);

/* The text content of a leaf element, XML white space trimmed at both ends, copied into out
 * (cap bytes incl. NUL). Child elements or entity nodes: MBMSEC_ERR_XML_UNEXPECTED; longer
 * than cap - 1: too_long.
 * @return MBMSEC_OK, MBMSEC_ERR_NOMEM, MBMSEC_ERR_XML_UNEXPECTED, too_long. */
mbmsec_err xml_leaf_text(const xmlNode *el, char *out, size_t cap, size_t *len,
                         mbmsec_err too_long);
/* Attribute in no namespace, trimmed, copied; *found false when absent.
 * @return MBMSEC_OK, MBMSEC_ERR_NOMEM, too_long. */
mbmsec_err xml_attr_text(const xmlNode *el, const char *name, char *out, size_t cap, size_t *len,
                         bool *found, mbmsec_err too_long);
/* Refuses every attribute in no namespace that is not in the NULL-terminated list `allowed`
 * (attributes of other namespaces are extensions and ignored).
 * @return MBMSEC_OK, MBMSEC_ERR_XML_UNEXPECTED. */
mbmsec_err xml_only_attrs(const xmlNode *el, const char *const *allowed);

/* Printable ASCII 0x21..0x7E, 1..n octets. */
bool xml_printable_token(const char *s, size_t n);
/* XML 1.0 character data that the builders may write: valid UTF-8, no control characters
 * other than TAB and LF (CR is written as a character reference). */
bool xml_writable_text(const char *s, size_t n);

#endif
