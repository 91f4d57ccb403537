/* The SAX P3 parsers of lib/xml/xml_p3_parse.c against the tree walk they replaced
 * (tests/xml/p3_tree_ref.c): every document of tests/xml/examples and of the P3 fuzz corpora,
 * every prefix, every one-octet deletion and a few one-octet substitutions of each, and a
 * table of awkward documents (whose expected code is checked too, so that the two agreeing
 * on something both get wrong does not pass) must give the same return code, counts and
 * items through all five parsers. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/xml.h"
#include "p3_tree_ref.h"

static unsigned long g_docs;

static void same(const uint8_t *doc, size_t len)
{
  char why[768];
  g_docs++;
  if (!p3_ref_same(doc, len, why, sizeof why)) {
    fprintf(stderr, "difference on %zu octets: %s\n---\n%.*s\n---\n", len, why, (int)len,
            (const char *)doc);
    fail();
  }
}

/* The document, its prefixes, its one-octet deletions and substitutions. */
static void same_mutated(const uint8_t *doc, size_t len)
{
  static const uint8_t subst[] = {'<', '>', '&', ' ', 'x', '/', '"', ':'};
  uint8_t *m = malloc(len + 1);
  assert_non_null(m);
  same(doc, len);
  for (size_t i = 0; i < len; i++) same(doc, i);
  for (size_t i = 0; i < len; i++) {
    memcpy(m, doc, i);
    memcpy(m + i, doc + i + 1, len - i - 1);
    same(m, len - 1);
  }
  for (size_t i = 0; i < len; i++)
    for (size_t k = 0; k < sizeof subst; k++) {
      memcpy(m, doc, len);
      m[i] = subst[k];
      same(m, len);
    }
  free(m);
}

static size_t dir_docs(const char *dir, void (*each)(const uint8_t *, size_t))
{
  DIR *d = opendir(dir);
  if (!d) return 0;
  size_t n = 0;
  struct dirent *e;
  uint8_t *buf = malloc(MBMSEC_XML_DOC_MAX + 2);
  assert_non_null(buf);
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    size_t len = fread(buf, 1, MBMSEC_XML_DOC_MAX + 1, f);
    fclose(f);
    /* Mutating a long document costs octets squared: those get the plain comparison. */
    if (len <= 4096)
      each(buf, len);
    else
      same(buf, len);
    n++;
  }
  closedir(d);
  free(buf);
  return n;
}

static void test_examples_and_corpora(void **state)
{
  (void)state;
  const char *ex = getenv("MBMSEC_XML_EXAMPLES");
  assert_true(dir_docs(ex ? ex : "tests/xml/examples", same_mutated) >= 5);
  const char *corpora = getenv("MBMSEC_P3_CORPORA"); /* directories separated by ':' */
  assert_non_null(corpora);
  char list[4096];
  snprintf(list, sizeof list, "%s", corpora);
  size_t n = 0;
  for (char *save = NULL, *dir = strtok_r(list, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
    n += dir_docs(dir, same_mutated);
  assert_true(n >= 10);
  fprintf(stderr, "test_p3_sax_diff: %lu documents compared\n", g_docs);
}

#define REQ_OPEN  "<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\">"
#define RESP_OPEN "<mskResponse xmlns=\"urn:3GPP:metadata:2005:MBMS:mskResponse\">"
#define K1        "APEQAAEAAg=="
#define K2        "APEQAAEAAw=="

typedef struct {
  const char *doc;
  bool response; /* the expected code is the MSK response parser's, else the request's */
  mbmsec_err rc;
  size_t n, n_bad;
} awkward;

static const awkward cases[] = {
    {REQ_OPEN "<keyId>" K1 "</keyId></mskRequest>", false, MBMSEC_OK, 1, 0},
    {REQ_OPEN "<keyId> \n\t" K1 "\r\n </keyId></mskRequest>", false, MBMSEC_OK, 1, 0},
    {REQ_OPEN "<keyId>APEQ<!--c-->AAEAAg==</keyId></mskRequest>", false, MBMSEC_OK, 1, 0},
    {REQ_OPEN "<keyId>APEQ<?pi x?>AAE<![CDATA[AAg]]>==</keyId></mskRequest>", false, MBMSEC_OK, 1,
     0},
    {REQ_OPEN "<keyId>&#65;PEQAAEAAg&#x3D;=</keyId></mskRequest>", false, MBMSEC_OK, 1, 0},
    {REQ_OPEN "<keyId>a&lt;b</keyId></mskRequest>", false, MBMSEC_OK, 1, 1},
    {REQ_OPEN "<keyId></keyId></mskRequest>", false, MBMSEC_OK, 1, 1},
    {REQ_OPEN "<keyId>  </keyId><keyId/></mskRequest>", false, MBMSEC_ERR_XML_DUP_ITEM, 0, 0},
    {REQ_OPEN "<keyId>" K1 "<x:a xmlns:x=\"urn:x\"/></keyId></mskRequest>", false,
     MBMSEC_ERR_XML_UNEXPECTED, 0, 0},
    {REQ_OPEN "<keyId>" K1 "<a/></keyId></mskRequest>", false, MBMSEC_ERR_XML_UNEXPECTED, 0, 0},
    {REQ_OPEN "<a xmlns=\"\"/><keyId>" K1 "</keyId></mskRequest>", false, MBMSEC_ERR_XML_NAMESPACE,
     0, 0},
    {REQ_OPEN "<a/><keyId>" K1 "</keyId></mskRequest>", false, MBMSEC_ERR_XML_UNEXPECTED, 0, 0},
    {REQ_OPEN "<x:a xmlns:x=\"urn:x\"><a/>text<keyId>z</keyId></x:a><keyId>" K1
              "</keyId></mskRequest>",
     false, MBMSEC_OK, 1, 0},
    {REQ_OPEN "text<keyId>" K1 "</keyId></mskRequest>", false, MBMSEC_ERR_XML_UNEXPECTED, 0, 0},
    {REQ_OPEN " <!-- --> x <keyId>" K1 "</keyId></mskRequest>", false, MBMSEC_ERR_XML_UNEXPECTED, 0,
     0},
    {REQ_OPEN "&#32;&#10;<keyId>" K1 "</keyId><![CDATA[ ]]></mskRequest>", false, MBMSEC_OK, 1, 0},
    {REQ_OPEN "<keyId x:y=\"1\" xmlns:x=\"urn:x\">" K1 "</keyId></mskRequest>", false, MBMSEC_OK, 1,
     0},
    {REQ_OPEN "<keyId y=\"1\">" K1 "</keyId></mskRequest>", false, MBMSEC_ERR_XML_UNEXPECTED, 0, 0},
    {"<mskRequest a=\"1\" xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\"><a/></mskRequest>",
     false, MBMSEC_ERR_XML_UNEXPECTED, 0, 0},
    {REQ_OPEN "<keyId>" K1 "</keyId><keyId>" K1 "</keyId></mskRequest>", false,
     MBMSEC_ERR_XML_DUP_ITEM, 0, 0},
    {REQ_OPEN "<keyId>" K1 "</keyId><a/><keyId></mskRequest>", false, MBMSEC_ERR_XML_SYNTAX, 0, 0},
    {REQ_OPEN "</mskRequest>", false, MBMSEC_ERR_XML_EMPTY, 0, 0},
    {"<mskRequest xmlns=\"urn:x\"><a/></mskRequest>", false, MBMSEC_ERR_XML_NAMESPACE, 0, 0},
    {"<mskReq xmlns=\"urn:x\"><a/></mskReq>", false, MBMSEC_ERR_XML_ROOT, 0, 0},
    {REQ_OPEN "<keyId>&foo;</keyId></mskRequest>", false, MBMSEC_ERR_XML_ENTITY, 0, 0},
    {RESP_OPEN "<status code=\" 200 \"><keyId>" K1 "</keyId></status></mskResponse>", true,
     MBMSEC_OK, 1, 0},
    {RESP_OPEN "<status code=\"204\"><keyId>" K1 "</keyId></status><status code=\"400\"><keyId>"
               "bad</keyId></status></mskResponse>",
     true, MBMSEC_OK, 2, 1},
    {RESP_OPEN "<status code=\"2&amp;0\"><keyId>" K1 "</keyId></status></mskResponse>", true,
     MBMSEC_ERR_XML_STATUS, 0, 0},
    {RESP_OPEN "<status code=\"&#50;00\"><keyId>" K1 "</keyId></status></mskResponse>", true,
     MBMSEC_OK, 1, 0},
    {RESP_OPEN "<status x:code=\"200\" xmlns:x=\"urn:x\"><keyId>" K1 "</keyId></status>"
               "</mskResponse>",
     true, MBMSEC_ERR_XML_STATUS, 0, 0},
    {RESP_OPEN "<status code=\"200\" a=\"\"><keyId>" K1 "</keyId></status></mskResponse>", true,
     MBMSEC_ERR_XML_UNEXPECTED, 0, 0},
    {RESP_OPEN "<status code=\"200\"><x:a xmlns:x=\"urn:x\"/></status></mskResponse>", true,
     MBMSEC_ERR_XML_EMPTY, 0, 0},
    {RESP_OPEN "<status code=\"200\"><keyId>" K1 "</keyId></status><status code=\"200\"><keyId>" K2
               "</keyId></status></mskResponse>",
     true, MBMSEC_ERR_XML_DUP_STATUS, 0, 0},
    {RESP_OPEN "<keyId>" K1 "</keyId></mskResponse>", true, MBMSEC_ERR_XML_UNEXPECTED, 0, 0},
    {RESP_OPEN "<status code=\"200\"><keyId>" K1 "</keyId>x</status></mskResponse>", true,
     MBMSEC_ERR_XML_UNEXPECTED, 0, 0},
    {RESP_OPEN "<status code=\"200\"><keyId>" K1 "</keyId></status><status code=\"999\"/>"
               "<keyId></mskResponse>",
     true, MBMSEC_ERR_XML_SYNTAX, 0, 0},
};

static void test_awkward_documents(void **state)
{
  (void)state;
  static mbmsec_xml_key_list out;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const awkward *c = &cases[i];
    const uint8_t *d = (const uint8_t *)c->doc;
    size_t len = strlen(c->doc);
    mbmsec_err rc = c->response ? mbmsec_xml_parse_msk_response(d, len, &out)
                                : mbmsec_xml_parse_msk_request(d, len, &out);
    if (rc != c->rc || out.n != c->n || out.n_bad != c->n_bad)
      fprintf(stderr, "case %zu: rc %d n %zu n_bad %zu\n", i, (int)rc, out.n, out.n_bad);
    assert_int_equal(rc, c->rc);
    assert_int_equal(out.n, c->n);
    assert_int_equal(out.n_bad, c->n_bad);
    same_mutated(d, len);
  }
}

/* A long item text: the SAX parser keeps only what fits and must still see its true end. */
static void test_long_texts(void **state)
{
  (void)state;
  static char doc[4096];
  static const char *const pads[] = {"x", " ", "\n"};
  for (size_t p = 0; p < 3; p++)
    for (size_t n = 250; n < 262; n++) {
      char body[400];
      memset(body, pads[p][0], n);
      body[n] = '\0';
      body[0] = 'A'; /* a non-white-space start, then the pad, then a last character */
      snprintf(doc, sizeof doc, REQ_OPEN "<keyId>  %sZ%s</keyId></mskRequest>", body,
               p ? "   " : "");
      same((const uint8_t *)doc, strlen(doc));
    }
}

/* Around the item cap: the last item plain, with an attribute, with a child, a valid keyId. */
static void test_item_cap(void **state)
{
  (void)state;
  static const char *const opens[] = {"<keyId>", "<keyId a=\"1\">", "<keyId>", "<keyId>"};
  static const char *const closes[] = {"</keyId>", "</keyId>", "<a/></keyId>", "</keyId>"};
  size_t cap = 64 * 1024;
  char *doc = malloc(cap);
  assert_non_null(doc);
  for (size_t n = 254; n <= 257; n++)
    for (size_t k = 0; k < sizeof opens / sizeof opens[0]; k++)
      for (int resp = 0; resp < 2; resp++) {
        size_t o =
            (size_t)snprintf(doc, cap, "%s", resp ? RESP_OPEN "<status code=\"200\">" : REQ_OPEN);
        for (size_t i = 0; i < n; i++) {
          /* Distinct 12-character keyIds: "AAAA" + 8 characters from i (valid base64 or not,
           * alike for both parsers). */
          char id[16];
          snprintf(id, sizeof id, "AAAA%06zuA=", i);
          size_t w = i + 1 < n ? 0 : k; /* the last item's kind; the others plain */
          o += (size_t)snprintf(doc + o, cap - o, "%s%s%s", opens[w], w == 3 ? "AAAAAAAAAA==" : id,
                                closes[w]);
        }
        o += (size_t)snprintf(doc + o, cap - o, "%s",
                              resp ? "</status></mskResponse>" : "</mskRequest>");
        assert_true(o < cap);
        same((const uint8_t *)doc, o);
        /* The attribute is seen before the count, the count before the child element. */
        static mbmsec_xml_key_list out;
        mbmsec_err want = k == 1                     ? MBMSEC_ERR_XML_UNEXPECTED
                          : n > MBMSEC_XML_MAX_ITEMS ? MBMSEC_ERR_XML_TOO_MANY
                          : k == 2                   ? MBMSEC_ERR_XML_UNEXPECTED
                                                     : MBMSEC_OK;
        mbmsec_err rc = resp ? mbmsec_xml_parse_msk_response((const uint8_t *)doc, o, &out)
                             : mbmsec_xml_parse_msk_request((const uint8_t *)doc, o, &out);
        assert_int_equal(rc, want);
        assert_int_equal(out.n, want == MBMSEC_OK ? n : 0);
      }
  free(doc);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_awkward_documents),
      cmocka_unit_test(test_long_texts),
      cmocka_unit_test(test_item_cap),
      cmocka_unit_test(test_examples_and_corpora),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
