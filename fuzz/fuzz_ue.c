/* libFuzzer target for the UE's parsers and its Ub client engine: the USIM file, the bootstrap
 * state file, the BootstrappingInfo body and xs:dateTime, and a 401 fed to the client after its
 * first request. The first input octet picks the parser; the rest is its input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/crypto.h"
#include "mbmsec/ue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_401(const uint8_t *d, size_t n)
{
  static const uint8_t k[16] = {1}, opc[16] = {2};
  mbmsec_ue_usim u;
  mbmsec_ub_client c;
  char out[4096];
  size_t len;
  if (mbmsec_ue_usim_new(&u, k, opc, 5, NULL) != MBMSEC_OK) abort();
  if (mbmsec_ub_client_init(&c, &u, "user@ims.test", "bsf.test", NULL) != MBMSEC_OK ||
      mbmsec_ub_client_first(&c, out, sizeof out, &len) != MBMSEC_OK)
    abort();
  /* Up to four WWW-Authenticate values, separated by newlines. */
  mbmsec_digest_str v[4];
  size_t nv = 0, start = 0;
  for (size_t i = 0; i <= n && nv < 4; i++) {
    if (i == n || d[i] == '\n') {
      v[nv++] = (mbmsec_digest_str){(const char *)d + start, i - start};
      start = i + 1;
    }
  }
  (void)mbmsec_ub_client_on_401(&c, v, nv, out, sizeof out, &len);
  /* Whatever happened, a 200 with the rest must not crash either. */
  (void)mbmsec_ub_client_on_200(&c, (const char *)d, n < 64 ? n : 64,
                                "application/vnd.3gpp.bsf+xml", d, n);
  mbmsec_ub_client_cleanse(&c);
  mbmsec_cleanse(&u, sizeof u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1) return 0;
  const uint8_t *d = data + 1;
  const size_t n = size - 1;
  char btid[MBMSEC_UE_ID_MAX + 1];
  int64_t t;
  switch (data[0] % 5) {
  case 0: {
    mbmsec_ue_usim u;
    (void)mbmsec_ue_usim_parse((const char *)d, n, &u);
    mbmsec_cleanse(&u, sizeof u);
    break;
  }
  case 1: {
    mbmsec_ue_bootstrap b;
    (void)mbmsec_ue_state_parse((const char *)d, n, &b);
    mbmsec_ue_bootstrap_cleanse(&b);
    break;
  }
  case 2:
    (void)mbmsec_ue_bsf_info_parse(d, n, btid, &t);
    break;
  case 3:
    (void)mbmsec_ue_datetime_parse((const char *)d, n, &t);
    break;
  default:
    fuzz_401(d, n);
    break;
  }
  return 0;
}
