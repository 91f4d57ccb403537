/* libFuzzer: the SAX P3 parsers of lib/xml/xml_p3_parse.c against the tree walk they replaced
 * (tests/xml/p3_tree_ref.c). Any difference in return code, counts or items of any of the
 * five parsers aborts, with the difference on stderr. */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "p3_tree_ref.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  xmlInitParser();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char why[768];
  if (!p3_ref_same(data, size, why, sizeof why)) {
    fprintf(stderr, "fuzz_p3_sax_diff: %s\n", why);
    abort();
  }
  return 0;
}
