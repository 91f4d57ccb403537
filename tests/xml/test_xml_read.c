/* lib/xml's reader (lib/xml/xml_read.c) across reads: the per-thread parser context is kept
 * after a good read and dropped after a refused one or one whose dictionary grew past its
 * cap; results never depend on what was read before; documents on both sides of the
 * static-input bound parse alike; the UTF-8 check's fast path accepts exactly what the
 * per-character rules accept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mbmsec/xml.h"
#include "xml_doc.h"

#define DECL      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define MREQ_OPEN "<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\">"
#define GOOD_KEY  "<keyId>APEQAAEAAg==</keyId>"
#define GOOD      DECL MREQ_OPEN GOOD_KEY "</mskRequest>"

static const uint8_t KDID[MBMSEC_KDID_LEN] = {0x00, 0xF1, 0x10};

static const uint8_t *U(const char *s) { return (const uint8_t *)s; }

static mbmsec_xml_key_list *key_list(void)
{
  mbmsec_xml_key_list *l = calloc(1, sizeof *l);
  assert_non_null(l);
  return l;
}

/* A built mskRequest of k keys, MSK IDs 00 01 00 00 .. k-1 (NUL-terminated, *len octets). */
static char *msk_request(unsigned k, size_t *len)
{
  mbmsec_xml_key_list *l = key_list();
  for (unsigned i = 0; i < k; i++) {
    const uint8_t id[MBMSEC_MSK_ID_LEN] = {0, 1, (uint8_t)(i >> 8), (uint8_t)i};
    assert_int_equal(mbmsec_xml_key_add(l, KDID, id, 0), MBMSEC_OK);
  }
  char *doc = malloc(MBMSEC_XML_DOC_MAX);
  assert_non_null(doc);
  assert_int_equal(mbmsec_xml_build_msk_request(l, doc, MBMSEC_XML_DOC_MAX, len), MBMSEC_OK);
  free(l);
  return doc;
}

/* Parses an mskRequest of k keys (as msk_request makes them) and checks every item. */
static void expect_keys(const char *doc, size_t len, unsigned k)
{
  mbmsec_xml_key_list *l = key_list();
  mbmsec_err rc = mbmsec_xml_parse_msk_request(U(doc), len, l);
  if (rc != MBMSEC_OK) fail_msg("%u keys, %zu octets: %s", k, len, mbmsec_errname(rc));
  assert_int_equal(l->n, k);
  assert_int_equal(l->n_bad, 0);
  for (unsigned i = 0; i < k; i++) {
    const uint8_t id[MBMSEC_MSK_ID_LEN] = {0, 1, (uint8_t)(i >> 8), (uint8_t)i};
    assert_int_equal(l->items[i].err, MBMSEC_OK);
    assert_memory_equal(l->items[i].kdid, KDID, MBMSEC_KDID_LEN);
    assert_memory_equal(l->items[i].msk_id, id, MBMSEC_MSK_ID_LEN);
  }
  free(l);
}

/* One xml_read of a document; returns its code and whether it ran on a kept context. */
static mbmsec_err read_doc(const char *doc, size_t len, bool *reused)
{
  xmlDocPtr d = NULL;
  xml_read_stats st;
  mbmsec_err rc = xml_read(U(doc), len, MBMSEC_EL_MSK_REQUEST, MBMSEC_NS_MSK_REQUEST, &d, &st);
  assert_true((rc == MBMSEC_OK) == (d != NULL));
  xmlFreeDoc(d);
  if (reused) *reused = st.reused;
  return rc;
}

/* ---------------------------------------------------------------- reuse */

static void test_same_document_many_times(void **state)
{
  (void)state;
  mbmsec_xml_key_list *first = key_list(), *l = key_list();
  const char *docs[] = {GOOD, DECL MREQ_OPEN GOOD_KEY
                        "<!-- c --><o:x xmlns:o=\"urn:o\" o:a=\"1\">"
                        "t&amp;&#65;</o:x><keyId>APEQAAEAAw==</keyId></mskRequest>"};
  for (size_t d = 0; d < 2; d++) {
    assert_int_equal(mbmsec_xml_parse_msk_request(U(docs[d]), strlen(docs[d]), first), MBMSEC_OK);
    assert_int_equal(first->n, d + 1);
    for (int i = 0; i < 2000; i++) {
      memset(l, 0xA5, sizeof *l);
      assert_int_equal(mbmsec_xml_parse_msk_request(U(docs[d]), strlen(docs[d]), l), MBMSEC_OK);
      assert_int_equal(l->n, first->n);
      assert_int_equal(l->n_bad, 0);
      assert_memory_equal(l->items, first->items, l->n * sizeof l->items[0]);
    }
  }
  /* The second and later reads ran on the kept context (the rest of this file relies on it). */
  bool reused = false;
  assert_int_equal(read_doc(GOOD, strlen(GOOD), &reused), MBMSEC_OK);
  assert_true(reused);
  free(first);
  free(l);
}

/* Every kind of refusal drops the context; the next good document parses on a new one and
 * the one after that on the kept one again. */
static void test_refused_then_good(void **state)
{
  (void)state;
  static const struct {
    const char *doc;
    mbmsec_err want;
  } bad[] = {
      {DECL "<!DOCTYPE mskRequest [<!ENTITY e \"x\">]>" MREQ_OPEN GOOD_KEY "</mskRequest>",
       MBMSEC_ERR_XML_DOCTYPE},
      {DECL MREQ_OPEN "<keyId>&e;</keyId></mskRequest>", MBMSEC_ERR_XML_ENTITY},
      {DECL MREQ_OPEN GOOD_KEY, MBMSEC_ERR_XML_SYNTAX},
      {DECL MREQ_OPEN GOOD_KEY "</mskRequest><x/>", MBMSEC_ERR_XML_SYNTAX},
      {DECL MREQ_OPEN "<p:x/>" GOOD_KEY "</mskRequest>", MBMSEC_ERR_XML_SYNTAX},
      {DECL "<mskResponse xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\"/>", MBMSEC_ERR_XML_ROOT},
      {DECL "<mskRequest xmlns=\"urn:other\">" GOOD_KEY "</mskRequest>", MBMSEC_ERR_XML_NAMESPACE},
      {DECL MREQ_OPEN
       "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
       "<a><a><a><a><a><a><a><a><a></a></a></a></a></a></a></a></a></a></a></a></a></a></a>"
       "</a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a>"
       "</mskRequest>",
       MBMSEC_ERR_XML_DEPTH},
  };
  size_t one_len;
  char *one = msk_request(1, &one_len);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    bool reused = false;
    assert_int_equal(read_doc(GOOD, strlen(GOOD), NULL), MBMSEC_OK); /* a context is kept */
    mbmsec_err rc = read_doc(bad[i].doc, strlen(bad[i].doc), &reused);
    if (rc != bad[i].want)
      fail_msg("bad %zu: got %s, want %s", i, mbmsec_errname(rc), mbmsec_errname(bad[i].want));
    assert_true(reused); /* the refused read ran on the kept context... */
    assert_int_equal(read_doc(GOOD, strlen(GOOD), &reused), MBMSEC_OK);
    assert_false(reused); /* ...which it dropped */
    expect_keys(one, one_len, 1);
    assert_int_equal(read_doc(GOOD, strlen(GOOD), &reused), MBMSEC_OK);
    assert_true(reused);
  }
  free(one);
  /* Refused before libxml2 (bad UTF-8, size): the kept context stays. */
  const char *latin1 = DECL MREQ_OPEN "<!-- caf\xE9 -->" GOOD_KEY "</mskRequest>";
  bool reused = false;
  assert_int_equal(read_doc(latin1, strlen(latin1), NULL), MBMSEC_ERR_XML_ENCODING);
  assert_int_equal(read_doc(GOOD, strlen(GOOD), &reused), MBMSEC_OK);
  assert_true(reused);
}

/* xml_read_release frees the kept context; releasing none is fine. */
static void test_release(void **state)
{
  (void)state;
  bool reused = false;
  assert_int_equal(read_doc(GOOD, strlen(GOOD), NULL), MBMSEC_OK);
  xml_read_release();
  xml_read_release();
  assert_int_equal(read_doc(GOOD, strlen(GOOD), &reused), MBMSEC_OK);
  assert_false(reused);
  assert_int_equal(read_doc(GOOD, strlen(GOOD), &reused), MBMSEC_OK);
  assert_true(reused);
}

/* A context serves a bounded number of reads (libxml2 counts a context's inputs in an int):
 * in 70,000 good reads from a released state, exactly two start on a new context, the first
 * and the one after the cap (65,536 reads). */
static void test_reads_cap(void **state)
{
  (void)state;
  xml_read_release();
  unsigned fresh = 0, at = 0;
  for (unsigned i = 1; i <= 70000; i++) {
    bool reused = true;
    assert_int_equal(read_doc(GOOD, strlen(GOOD), &reused), MBMSEC_OK);
    if (!reused) {
      fresh++;
      at = i;
    }
  }
  assert_int_equal(fresh, 2);
  assert_in_range(at, 60000, 66000);
}

/* A valid document with many distinct names (in an extension namespace, so the parser skips
 * them) fills the dictionary past its cap: that context is not kept. */
static void test_many_names(void **state)
{
  (void)state;
  size_t cap = MBMSEC_XML_DOC_MAX, n = 0;
  char *doc = malloc(cap);
  assert_non_null(doc);
  n += (size_t)snprintf(doc + n, cap - n, DECL MREQ_OPEN "<o:w xmlns:o=\"urn:o\">");
  for (int i = 0; i < 600; i++) n += (size_t)snprintf(doc + n, cap - n, "<o:n%d a%d=\"\"/>", i, i);
  n += (size_t)snprintf(doc + n, cap - n, "</o:w>" GOOD_KEY "</mskRequest>");
  assert_true(n < cap);
  bool reused = false;
  size_t one_len;
  char *one = msk_request(1, &one_len);
  for (int round = 0; round < 3; round++) {
    mbmsec_xml_key_list *l = key_list();
    assert_int_equal(mbmsec_xml_parse_msk_request(U(doc), n, l), MBMSEC_OK);
    assert_int_equal(l->n, 1);
    free(l);
    assert_int_equal(read_doc(GOOD, strlen(GOOD), &reused), MBMSEC_OK);
    assert_false(reused); /* the many-names read did not keep its context */
    expect_keys(one, one_len, 1);
    assert_int_equal(read_doc(GOOD, strlen(GOOD), &reused), MBMSEC_OK);
    assert_true(reused);
  }
  free(one);
  free(doc);
}

/* ---------------------------------------------------------------- static-input bound */

/* 1..40 keys: from 130 to about 1300 octets, across the bound below which the input is
 * static (libxml2 2.9.14 misreads a static input once it shrinks it), each read twice. */
static void test_sizes_across_static_bound(void **state)
{
  (void)state;
  bool below = false, above = false;
  for (unsigned k = 1; k <= 40; k++) {
    size_t len;
    char *doc = msk_request(k, &len);
    below |= len < 400;
    above |= len > 1000;
    expect_keys(doc, len, k);
    expect_keys(doc, len, k);
    free(doc);
  }
  assert_true(below && above);
  for (unsigned k = 250; k <= MBMSEC_XML_MAX_ITEMS; k++) {
    size_t len;
    char *doc = msk_request(k, &len);
    expect_keys(doc, len, k);
    free(doc);
  }
}

/* Every prefix of a document just under the bound (a static input ending anywhere: libxml2
 * meets the end of its input in every state) is refused, not well-formed (or, cut inside the
 * declared encoding, not UTF-8), except the whole document and the one without its final
 * LF; libxml2 writes nothing to stderr. */
static void test_prefixes_silent(void **state)
{
  (void)state;
  size_t len;
  char *doc = msk_request(12, &len);
  assert_true(len <= XML_STATIC_MAX && len > XML_STATIC_MAX - 100);
  fflush(stderr);
  FILE *tmp = tmpfile();
  assert_non_null(tmp);
  int saved = dup(2);
  assert_true(saved >= 0);
  assert_true(dup2(fileno(tmp), 2) >= 0);
  size_t ok = 0, odd_at = 0;
  mbmsec_err odd = MBMSEC_OK;
  for (size_t n = 1; n <= len; n++) {
    mbmsec_err rc = read_doc(doc, n, NULL);
    if (rc == MBMSEC_OK) {
      ok++;
    } else if (rc != MBMSEC_ERR_XML_SYNTAX && odd == MBMSEC_OK &&
               !(rc == MBMSEC_ERR_XML_ENCODING && n < 40)) { /* cut inside encoding="UTF-8" */
      odd = rc;
      odd_at = n;
    }
  }
  fflush(stderr);
  assert_true(dup2(saved, 2) >= 0);
  close(saved);
  assert_int_equal(fseek(tmp, 0, SEEK_END), 0);
  long size = ftell(tmp);
  fclose(tmp);
  if (odd != MBMSEC_OK) fail_msg("prefix of %zu octets: %s", odd_at, mbmsec_errname(odd));
  assert_int_equal(size, 0);
  assert_int_equal(ok, 2);
  expect_keys(doc, len, 12);
  free(doc);
}

/* ---------------------------------------------------------------- threads */

static void *reader(void *arg)
{
  unsigned k = (unsigned)(uintptr_t)arg;
  size_t len;
  char *doc = msk_request(k, &len);
  for (int i = 0; i < 300; i++) expect_keys(doc, len, k);
  free(doc);
  return NULL; /* the thread's kept context is freed by the key's destructor */
}

static void test_threads(void **state)
{
  (void)state;
  pthread_t t[4];
  for (unsigned i = 0; i < 4; i++)
    assert_int_equal(pthread_create(&t[i], NULL, reader, (void *)(uintptr_t)(1 + 11 * i)), 0);
  for (unsigned i = 0; i < 4; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
}

/* ---------------------------------------------------------------- UTF-8 */

/* The rules one character at a time, as a reference for xml_utf8_valid's fast path. */
static bool utf8_reference(const uint8_t *p, size_t n)
{
  for (size_t i = 0; i < n;) {
    uint8_t c = p[i];
    size_t k;
    uint32_t cp, min;
    if (c == 0) return false;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xC0 && c < 0xE0)
      k = 1, cp = c & 0x1Fu, min = 0x80;
    else if (c >= 0xE0 && c < 0xF0)
      k = 2, cp = c & 0x0Fu, min = 0x800;
    else if (c >= 0xF0 && c < 0xF8)
      k = 3, cp = c & 0x07u, min = 0x10000;
    else
      return false;
    if (n - i <= k) return false;
    for (size_t j = 1; j <= k; j++) {
      if ((p[i + j] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (p[i + j] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += k + 1;
  }
  return true;
}

static void test_utf8_fast_path(void **state)
{
  (void)state;
  static const char *pieces[] = {"a",
                                 "<",
                                 "\xC3\xA9",
                                 "\xE2\x82\xAC",
                                 "\xF0\x9F\x98\x80",
                                 "\xC0\xAF",
                                 "\xED\xA0\x80",
                                 "\xF4\x90\x80\x80",
                                 "\x80",
                                 "\xFF",
                                 "\xC3",
                                 "\xE2\x82",
                                 "",
                                 "abcdefgh"};
  uint8_t buf[64];
  /* Strings of a few pieces, so that every piece lands at every offset of an 8-octet word,
   * sometimes with a NUL put in. */
  unsigned seed = 12345;
  for (int round = 0; round < 200000; round++) {
    size_t n = 0;
    int parts = 1 + (int)(seed % 6);
    for (int i = 0; i < parts; i++) {
      seed = seed * 1103515245u + 12345u;
      const char *pc = pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
      size_t l = strlen(pc);
      if (n + l > sizeof buf) break;
      memcpy(buf + n, pc, l);
      n += l;
    }
    if (n && (seed >> 4) % 13 == 0) buf[(seed >> 24) % n] = 0;
    bool want = utf8_reference(buf, n);
    if (xml_utf8_valid(buf, n) != want)
      fail_msg("round %d, %zu octets: fast path says %d", round, n, !want);
  }
  /* Long ASCII runs with one bad octet at each position (inside and outside 8-octet words). */
  uint8_t line[100];
  for (size_t pos = 0; pos < sizeof line; pos++) {
    memset(line, 'x', sizeof line);
    assert_true(xml_utf8_valid(line, sizeof line));
    line[pos] = 0;
    assert_false(xml_utf8_valid(line, sizeof line));
    line[pos] = 0x80;
    assert_false(xml_utf8_valid(line, sizeof line));
    line[pos] = 0x7F;
    assert_true(xml_utf8_valid(line, sizeof line));
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_document_many_times),
      cmocka_unit_test(test_refused_then_good),
      cmocka_unit_test(test_release),
      cmocka_unit_test(test_reads_cap),
      cmocka_unit_test(test_many_names),
      cmocka_unit_test(test_sizes_across_static_bound),
      cmocka_unit_test(test_prefixes_silent),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_utf8_fast_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
