/* lib/xml parse cost, one thread, >= 1 s per measurement.
 *
 * The BM-SC parses one mskRequest per authenticated MSK request and mbmsec-load one
 * mskResponse per answer: both are tiny (one keyId: 143 and 182 octets), so the fixed cost of
 * a libxml2 read dominates, not the size. msk_request_parse / msk_response_parse time exactly
 * those documents; *_16keys a 16-item one (how the cost grows with the body);
 * msk_response_build the hand-written builder, for scale. Every parse result is checked.
 * Output lines: `bench <name> <ops_per_second> ops/s`.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "mbmsec/xml.h"

static char g_req[4096], g_resp[4096], g_req16[4096], g_resp16[4096], g_out[4096];
static size_t g_req_len, g_resp_len, g_req16_len, g_resp16_len;
static mbmsec_xml_key_list g_one, g_sixteen, g_parsed;

static int parse_req(const char *doc, size_t len, size_t want)
{
  return mbmsec_xml_parse_msk_request((const uint8_t *)doc, len, &g_parsed) != MBMSEC_OK ||
         g_parsed.n != want || g_parsed.n_bad != 0;
}
static int parse_resp(const char *doc, size_t len, size_t want)
{
  return mbmsec_xml_parse_msk_response((const uint8_t *)doc, len, &g_parsed) != MBMSEC_OK ||
         g_parsed.n != want || g_parsed.items[0].code != 204;
}
static int op_req(void) { return parse_req(g_req, g_req_len, 1); }
static int op_resp(void) { return parse_resp(g_resp, g_resp_len, 1); }
static int op_req16(void) { return parse_req(g_req16, g_req16_len, 16); }
static int op_resp16(void) { return parse_resp(g_resp16, g_resp16_len, 16); }
static int op_build(void)
{
  size_t n = 0;
  return mbmsec_xml_build_msk_response(&g_one, g_out, sizeof g_out, &n) != MBMSEC_OK || !n;
}

static int setup(void)
{
  const uint8_t kdid[MBMSEC_KDID_LEN] = {0x00, 0xF1, 0x10};
  for (unsigned i = 0; i < 16; i++) {
    const uint8_t msk_id[MBMSEC_MSK_ID_LEN] = {0x00, 0x01, 0x00, (uint8_t)(5 + i)};
    if ((i == 0 && mbmsec_xml_key_add(&g_one, kdid, msk_id, 0) != MBMSEC_OK) ||
        mbmsec_xml_key_add(&g_sixteen, kdid, msk_id, 0) != MBMSEC_OK)
      return 1;
  }
  if (mbmsec_xml_build_msk_request(&g_one, g_req, sizeof g_req, &g_req_len) != MBMSEC_OK ||
      mbmsec_xml_build_msk_request(&g_sixteen, g_req16, sizeof g_req16, &g_req16_len) != MBMSEC_OK)
    return 1;
  /* 204: no update (P15), the answer mbmsec-load mostly reads. */
  g_one.items[0].code = MBMSEC_MBMS_STATUS_NO_UPDATE;
  for (size_t i = 0; i < g_sixteen.n; i++) g_sixteen.items[i].code = MBMSEC_MBMS_STATUS_NO_UPDATE;
  return mbmsec_xml_build_msk_response(&g_one, g_resp, sizeof g_resp, &g_resp_len) != MBMSEC_OK ||
         mbmsec_xml_build_msk_response(&g_sixteen, g_resp16, sizeof g_resp16, &g_resp16_len) !=
             MBMSEC_OK;
}

int main(void)
{
  if (setup()) {
    fprintf(stderr, "bench_xml: cannot build the documents\n");
    return 1;
  }
  printf("# mskRequest %zu octets, mskResponse %zu octets, 16-key: %zu / %zu octets\n", g_req_len,
         g_resp_len, g_req16_len, g_resp16_len);
  int bad = 0;
  bad |= bench_run("xml_msk_request_parse", op_req);
  bad |= bench_run("xml_msk_response_parse", op_resp);
  bad |= bench_run("xml_msk_request_parse_16keys", op_req16);
  bad |= bench_run("xml_msk_response_parse_16keys", op_resp16);
  bad |= bench_run("xml_msk_response_build", op_build);
  return bad;
}
