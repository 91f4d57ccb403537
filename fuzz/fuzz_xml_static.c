/* libFuzzer over the assumption behind lib/xml/xml_read.c's static input: libxml2 reads a
 * document of up to XML_STATIC_MAX octets from a static input buffer (no read callback, what
 * xml_read does) exactly as from a growable copy (what xmlCtxtReadMemory does), with the
 * reader's options: same well-formedness, same tree (serialized). libxml2 2.9.14 breaks this
 * for longer documents (it misreads a static input once it shrinks it), so longer inputs are
 * cut to the bound; a libxml2 that broke it for short ones too would abort here.
 * This compares libxml2 with itself: the reader's SAX guards are not installed. */
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xml/xml_doc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, xmlErrorPtr err)
{
  (void)ctx;
  (void)err;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  xmlInitParser();
  xmlSetStructuredErrorFunc(NULL, quiet); /* errors raised outside a context stay silent too */
  return 0;
}

/* One read of data on a new context, from a static input or a growable copy. The result:
 * the serialized tree (or "" without one; free it), *wf and *nswf the context's flags. */
static char *read_once(const uint8_t *data, size_t size, bool from_static, int *wf, int *nswf)
{
  char copy[XML_STATIC_MAX + 1];
  memcpy(copy, data, size);
  copy[size] = '\0';
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (!ctxt) abort();
  ctxt->sax->serror = quiet;
  xmlParserInputBufferPtr ib =
      from_static ? xmlParserInputBufferCreateStatic(copy, (int)size, XML_CHAR_ENCODING_NONE)
                  : xmlParserInputBufferCreateMem(copy, (int)size, XML_CHAR_ENCODING_NONE);
  xmlParserInputPtr in = ib ? xmlNewIOInputStream(ctxt, ib, XML_CHAR_ENCODING_NONE) : NULL;
  if (!in || inputPush(ctxt, in) < 0) abort();
  (void)xmlCtxtUseOptions(ctxt, XML_READ_OPTIONS);
  (void)xmlParseDocument(ctxt);
  xmlDocPtr doc = ctxt->myDoc;
  ctxt->myDoc = NULL;
  *wf = ctxt->wellFormed;
  *nswf = ctxt->nsWellFormed;
  xmlFreeParserCtxt(ctxt); /* frees the input, before `copy` goes */
  char *out = NULL;
  if (doc) {
    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpMemory(doc, &mem, &len);
    out = strdup(mem ? (const char *)mem : "");
    xmlFree(mem);
    xmlFreeDoc(doc);
  } else {
    out = strdup("");
  }
  if (!out) abort();
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size == 0) return 0;
  if (size > XML_STATIC_MAX) size = XML_STATIC_MAX;
  int wf1, nswf1, wf2, nswf2;
  char *a = read_once(data, size, true, &wf1, &nswf1);
  char *b = read_once(data, size, false, &wf2, &nswf2);
  if (wf1 != wf2 || nswf1 != nswf2 || strcmp(a, b)) abort();
  free(a);
  free(b);
  return 0;
}
