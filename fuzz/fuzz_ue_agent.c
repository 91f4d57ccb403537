/* libFuzzer target for the UE agent's parsers: the state image (mbmsec_ue_agent_restore; a
 * restored image must write back to the same bytes), the agent configuration file
 * (src/ue/conf.c), the control datagram, and MIKEY datagrams fed to an engine that has a
 * service and credentials (refusals must leave its image unchanged). The first input octet picks
 * the target; the rest is its input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "agent_run.h"
#include "mbmsec/ue_agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mbmsec_ue_agent *agent(void)
{
  const mbmsec_ue_agent_cfg cfg = {.bmsc_fqdn = "bmsc.example.org"};
  mbmsec_ue_agent *a = NULL;
  if (mbmsec_ue_agent_new(&cfg, &a) != MBMSEC_OK) abort();
  return a;
}

static void fuzz_image(const uint8_t *d, size_t n)
{
  static uint8_t out[MBMSEC_UE_AGENT_IMAGE_MAX];
  mbmsec_ue_agent *a = agent();
  if (mbmsec_ue_agent_restore(a, d, n) == MBMSEC_OK) {
    size_t len = 0;
    if (mbmsec_ue_agent_image(a, out, sizeof out, &len) != MBMSEC_OK) abort();
    if (len != n || memcmp(out, d, n)) abort(); /* canonical: restore then write = same bytes */
  }
  mbmsec_ue_agent_free(a);
}

static void fuzz_mikey(const uint8_t *d, size_t n)
{
  static uint8_t before[MBMSEC_UE_AGENT_IMAGE_MAX], after[MBMSEC_UE_AGENT_IMAGE_MAX];
  static const uint8_t muk[32] = {7};
  mbmsec_ue_agent *a = agent();
  mbmsec_xml_secdesc *sd = calloc(1, sizeof *sd);
  if (!sd) abort();
  sd->has_kdid = true;
  sd->kdid[1] = 0xf1, sd->kdid[2] = 0x10;
  sd->n_sessions = 1;
  memcpy(sd->sessions[0].kdid, sd->kdid, 3);
  sd->sessions[0].msk_id[1] = 1;
  if (mbmsec_ue_agent_add_service(a, "urn:x", sd, 1000) != MBMSEC_OK ||
      mbmsec_ue_agent_on_bootstrap_done(a, "b@bsf", muk, 1000) != MBMSEC_OK)
    abort();
  size_t lb = 0, la = 0;
  if (mbmsec_ue_agent_image(a, before, sizeof before, &lb) != MBMSEC_OK) abort();
  if (mbmsec_ue_agent_on_mikey(a, d, n, NULL, 0, 2000) != MBMSEC_OK) {
    if (mbmsec_ue_agent_image(a, after, sizeof after, &la) != MBMSEC_OK) abort();
    if (la != lb || memcmp(before, after, lb)) abort();
  }
  mbmsec_ue_agent_action act;
  while (mbmsec_ue_agent_next_action(a, &act)) {
  }
  free(sd);
  mbmsec_ue_agent_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1) return 0;
  const uint8_t *d = data + 1;
  const size_t n = size - 1;
  switch (data[0] % 4) {
  case 0:
    fuzz_image(d, n);
    break;
  case 1: {
    static ue_agent_conf c;
    char err[160];
    (void)ue_agent_conf_parse((const char *)d, n, &c, err, sizeof err);
    break;
  }
  case 2: {
    char sid[MBMSEC_XML_URI_MAX + 1];
    (void)ue_agent_control_parse((const char *)d, n, sid);
    break;
  }
  default:
    fuzz_mikey(d, n);
    break;
  }
  return 0;
}
