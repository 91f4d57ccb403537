/* mbmsec-ue: the sentence for a failed bootstrap, shared by bootstrap and bootstrap-bench. */
#include "ue_cli.h"

const char *ue_bootstrap_reason(mbmsec_err rc)
{
  switch (rc) {
  case MBMSEC_ERR_AKA_MAC:
    return "network authentication failure: the BSF's AUTN does not verify with this USIM "
           "(wrong K/OPc on one side); the challenge was not answered";
  case MBMSEC_ERR_UE_REFUSED:
    return "BSF refused the authentication (RES not accepted, or 403)";
  case MBMSEC_ERR_UE_RESYNC:
    return "synchronisation failure again after one AUTS round: the BSF did not resynchronise";
  case MBMSEC_ERR_UE_RSPAUTH:
    return "bad rspauth: the 200 OK is not authenticated by the BSF (Authentication-Info "
           "missing or wrong); nothing from it was used";
  case MBMSEC_ERR_UE_HTTP:
    return "HTTP error: BSF unreachable, timeout, or oversize answer";
  case MBMSEC_ERR_UE_HTTP_STATUS:
    return "HTTP error: unexpected status or content type from the BSF";
  case MBMSEC_ERR_UE_NO_CHALLENGE:
    return "the BSF's 401 has no usable Digest AKAv1-MD5 challenge with qop auth-int";
  case MBMSEC_ERR_UE_NONCE:
    return "the BSF's nonce is not base64 of RAND || AUTN";
  case MBMSEC_ERR_UE_XML:
    return "BootstrappingInfo body malformed or refused";
  default:
    return mbmsec_strerror(rc);
  }
}
