/* Key identifiers of profile P5 (include/mbmsec/keyid.h): the PLMN -> Key Domain ID coding. */
#include "mbmsec/keyid.h"

#include "guard.h"

static int digits(const char *s, size_t lo, size_t hi)
{
  size_t n = 0;
  while (n <= hi && s[n] >= '0' && s[n] <= '9') n++;
  return s[n] == '\0' && n >= lo && n <= hi;
}

mbmsec_err mbmsec_kdid_from_plmn(const char *mcc, const char *mnc, uint8_t out[MBMSEC_KDID_LEN])
{
  ENSURE(mcc && mnc && out, MBMSEC_ERR_ARG);
  ENSURE(digits(mcc, 3, 3) && digits(mnc, 2, 3), MBMSEC_ERR_ARG);
  const unsigned m3 = mnc[2] ? (unsigned)(mnc[2] - '0') : 0xfu;
  out[0] = (uint8_t)((unsigned)(mcc[1] - '0') << 4 | (unsigned)(mcc[0] - '0'));
  out[1] = (uint8_t)(m3 << 4 | (unsigned)(mcc[2] - '0'));
  out[2] = (uint8_t)((unsigned)(mnc[1] - '0') << 4 | (unsigned)(mnc[0] - '0'));
  return MBMSEC_OK;
}
