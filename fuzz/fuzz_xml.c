/* libFuzzer over every lib/xml parser: the same input goes to all six. A P3 document that
 * parses is built again, and the built document must parse to the same items (round trip).
 * An mskRequest / mskResponse read twice in a row gives the same answer both times (the
 * reader's kept per-thread context changes nothing). */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mbmsec_xml_service_list svc, svc2;
static mbmsec_xml_key_list key, key2;
static mbmsec_xml_usd usd;
static mbmsec_xml_secdesc sd;
static char out[4 * MBMSEC_XML_DOC_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  xmlInitParser(); /* once, before any input; nothing else global is touched */
  return 0;
}

/* The parsers keep a malformed item wherever it stands; the builders echo one only in a 400
 * group (the BM-SC's answer), so a response with one elsewhere is not rebuilt. */
static bool svc_rebuildable(void)
{
  for (size_t i = 0; i < svc.n; i++)
    if (svc.items[i].err != MBMSEC_OK && svc.items[i].code != MBMSEC_MBMS_STATUS_BAD_REQUEST)
      return false;
  return true;
}

static bool key_rebuildable(void)
{
  for (size_t i = 0; i < key.n; i++)
    if (key.items[i].err != MBMSEC_OK && key.items[i].code != MBMSEC_MBMS_STATUS_BAD_REQUEST)
      return false;
  return true;
}

static void check_services(bool response)
{
  size_t n;
  mbmsec_err rc = response
                      ? mbmsec_xml_build_register_response(&svc, out, sizeof out, &n)
                      : mbmsec_xml_build_register(MBMSEC_XML_REGISTER, &svc, out, sizeof out, &n);
  if (rc != MBMSEC_OK) {
    if (svc.n_bad && (!response || !svc_rebuildable()))
      return; /* a request with bad items cannot be rebuilt as a request */
    abort();
  }
  rc = response ? mbmsec_xml_parse_register_response((const uint8_t *)out, n, &svc2)
                : mbmsec_xml_parse_register((const uint8_t *)out, n, MBMSEC_XML_REGISTER, &svc2);
  if (rc != MBMSEC_OK || svc2.n != svc.n || svc2.n_bad != svc.n_bad) abort();
}

static void check_keys(bool response)
{
  size_t n;
  mbmsec_err rc = response ? mbmsec_xml_build_msk_response(&key, out, sizeof out, &n)
                           : mbmsec_xml_build_msk_request(&key, out, sizeof out, &n);
  if (rc != MBMSEC_OK) {
    if (key.n_bad && (!response || !key_rebuildable())) return;
    abort();
  }
  rc = response ? mbmsec_xml_parse_msk_response((const uint8_t *)out, n, &key2)
                : mbmsec_xml_parse_msk_request((const uint8_t *)out, n, &key2);
  if (rc != MBMSEC_OK || key2.n != key.n || key2.n_bad != key.n_bad) abort();
  for (size_t i = 0; i < key.n; i++)
    if (memcmp(key.items[i].msk_id, key2.items[i].msk_id, MBMSEC_MSK_ID_LEN) && !response) abort();
}

/* The reader keeps its parser context after a good read and drops it after a refused one:
 * a second read of the same input (on the kept context, or on a new one) must give the same
 * answer as the first. */
static void check_same_twice(const uint8_t *data, size_t size, bool response)
{
  mbmsec_err rc = response ? mbmsec_xml_parse_msk_response(data, size, &key)
                           : mbmsec_xml_parse_msk_request(data, size, &key);
  mbmsec_err rc2 = response ? mbmsec_xml_parse_msk_response(data, size, &key2)
                            : mbmsec_xml_parse_msk_request(data, size, &key2);
  if (rc != rc2 || key.n != key2.n || key.n_bad != key2.n_bad ||
      memcmp(key.items, key2.items, key.n * sizeof key.items[0]))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  check_same_twice(data, size, false);
  check_same_twice(data, size, true);
  if (mbmsec_xml_parse_register(data, size, MBMSEC_XML_REGISTER, &svc) == MBMSEC_OK)
    check_services(false);
  (void)mbmsec_xml_parse_register(data, size, MBMSEC_XML_DEREGISTER, &svc);
  if (mbmsec_xml_parse_register_response(data, size, &svc) == MBMSEC_OK) check_services(true);
  if (mbmsec_xml_parse_msk_request(data, size, &key) == MBMSEC_OK) check_keys(false);
  if (mbmsec_xml_parse_msk_response(data, size, &key) == MBMSEC_OK) check_keys(true);
  (void)mbmsec_xml_parse_usd(data, size, &usd);
  (void)mbmsec_xml_parse_secdesc(data, size, &sd);
  return 0;
}
