/* mbmsec: the project wire profile (../shared/spec/profile.md P1..P16).
 *
 * Every value that the standard text at hand left open and the project fixed lives here,
 * once, shared by the UE and the BM-SC. Values that are config settings have their default
 * here (name *_DEFAULT) and are read at start-up. Change a row of profile.md = change one line.
 */
#ifndef MBMSEC_PROFILE_H
#define MBMSEC_PROFILE_H

/* P1: MRK and MUK from Ks_NAF through the TS 33.220 Annex B KDF (config gba.mrk_muk_mode). */
#define MBMSEC_MBMS_KDF_FC 0x01
#define MBMSEC_MBMS_MRK_P0 "mbms-mrk"
#define MBMSEC_MBMS_MUK_P0 "mbms-muk"
/* TS 33.220 H.3: Ua security protocol identifier "according to TS 33.246". */
#define MBMSEC_MBMS_UA_PROTO_ID  \
  {                              \
    0x01, 0x00, 0x00, 0x00, 0x01 \
  }
#define MBMSEC_MBMS_UA_PROTO_ID_LEN 5

/* P2: request URIs. */
#define MBMSEC_KM_PATH          "/keymanagement"
#define MBMSEC_KM_RT_REGISTER   "register"
#define MBMSEC_KM_RT_DEREGISTER "deregister"
#define MBMSEC_KM_RT_MSK        "msk-request"

/* P5: key identifiers. */
#define MBMSEC_KDID_LEN            3
#define MBMSEC_MSK_ID_LEN          4
#define MBMSEC_MTK_ID_LEN          2
#define MBMSEC_MSK_KEYNUM_RESERVED 0
#define MBMSEC_MSK_KEYNUM_CURRENT \
  0 /* P15: key number 0 in a request = the current MSK of the group */

/* P6: MIKEY over UDP. */
#define MBMSEC_MIKEY_UDP_PORT_DEFAULT 2269

/* P7: MSK and MTK message contents. */
#define MBMSEC_MIKEY_RAND_LEN           16
#define MBMSEC_MIKEY_MSK_KD_TYPE        0 /* key data Type TGK (profile.md O2) */
#define MBMSEC_MIKEY_MTK_KD_TYPE        1 /* key data Type TGK+SALT */
#define MBMSEC_MIKEY_MAP_TYPE           1 /* CS ID map type: empty map (RFC 4563) */
#define MBMSEC_MBMS_MSK_LEN             16
#define MBMSEC_MBMS_MTK_LEN             16
#define MBMSEC_MBMS_MTK_SALT_LEN        14
#define MBMSEC_MIKEY_MSK_V_FLAG_DEFAULT 1 /* config bmsc.msk_v_flag */

/* P8: the 32-bit COUNTER fills the 64-bit T slot of the KEMAC IV right-aligned. */
#define MBMSEC_MIKEY_TS_COUNTER_IV_PAD 4

/* P9: the verification message carries IDr. */
#define MBMSEC_MIKEY_VER_WITH_IDR 1

/* P10: an MSK message whose KEMAC encr data is empty is a solicited pull. */
#define MBMSEC_MIKEY_PULL_ENCR_LEN 0

/* P11: at most two MSKs per Key Group (current and next). */
#define MBMSEC_MSK_PER_KEY_GROUP 2

/* P12: HTTP Digest on Ua. */
#define MBMSEC_HTTP_DIGEST_ALGS_DEFAULT      "SHA-256,MD5"
#define MBMSEC_HTTP_NONCE_LIFETIME_S_DEFAULT 300
#define MBMSEC_MBMS_REALM_PREFIX             "3GPP-bootstrapping@"

/* P13: MIKEY retransmission. */
#define MBMSEC_MIKEY_RETX_FIRST_MS_DEFAULT 2000
#define MBMSEC_MIKEY_RETX_TRIES_DEFAULT    5
#define MBMSEC_MIKEY_RETX_BACKOFF_FACTOR   2

/* P15: item code for "no updated MSK is necessary". */
#define MBMSEC_MBMS_STATUS_NO_UPDATE 204

/* ==== P3, P4, P16: XML documents, media types, namespaces, element names (lib/xml) ==== */
/* P3: media types (mbms-register-response+xml also answers deregister). */
#define MBMSEC_MT_REGISTER          "application/mbms-register+xml"
#define MBMSEC_MT_REGISTER_RESPONSE "application/mbms-register-response+xml"
#define MBMSEC_MT_DEREGISTER        "application/mbms-deregister+xml"
#define MBMSEC_MT_MSK               "application/mbms-msk+xml"
#define MBMSEC_MT_MSK_RESPONSE      "application/mbms-msk-response+xml"
/* P3: namespaces and root elements. */
#define MBMSEC_NS_REGISTER          "urn:3GPP:metadata:2005:MBMS:userServiceRegistration"
#define MBMSEC_NS_DEREGISTER        "urn:3GPP:metadata:2005:MBMS:userServiceDeregistration"
#define MBMSEC_NS_REGISTER_RESPONSE "urn:3GPP:metadata:2005:MBMS:userServiceRegistrationResponse"
#define MBMSEC_NS_MSK_REQUEST       "urn:3GPP:metadata:2005:MBMS:mskRequest"
#define MBMSEC_NS_MSK_RESPONSE      "urn:3GPP:metadata:2005:MBMS:mskResponse"
#define MBMSEC_EL_REGISTER          "mbmsUserServiceRegistration"
#define MBMSEC_EL_DEREGISTER        "mbmsUserServiceDeregistration"
#define MBMSEC_EL_REGISTER_RESPONSE "mbmsUserServiceRegistrationResponse"
#define MBMSEC_EL_MSK_REQUEST       "mskRequest"
#define MBMSEC_EL_MSK_RESPONSE      "mskResponse"
#define MBMSEC_EL_SERVICE_ID        "serviceId"
#define MBMSEC_EL_KEY_ID            "keyId"
#define MBMSEC_EL_STATUS            "status"
#define MBMSEC_AT_STATUS_CODE       "code"
/* P3: keyId = base64(Key Domain ID || MSK ID): 7 octets, 12 characters. */
#define MBMSEC_MBMS_KEYID_B64_LEN 12
/* P4: per-item status codes (P15 adds MBMSEC_MBMS_STATUS_NO_UPDATE 204). */
enum mbmsec_mbms_status {
  MBMSEC_MBMS_STATUS_OK = 200,
  MBMSEC_MBMS_STATUS_BAD_REQUEST = 400,
  MBMSEC_MBMS_STATUS_UNAUTHORIZED = 401,
  MBMSEC_MBMS_STATUS_NOT_FOUND = 404,
  MBMSEC_MBMS_STATUS_UNAVAILABLE = 480,
  MBMSEC_MBMS_STATUS_SERVER_ERROR = 500,
};
/* P16: user service description. */
#define MBMSEC_NS_USD                "urn:3GPP:metadata:2005:MBMS:userServiceDescription"
#define MBMSEC_EL_USD_BUNDLE         "bundleDescription"
#define MBMSEC_EL_USD                "userServiceDescription"
#define MBMSEC_EL_USD_DELIVERY       "deliveryMethod"
#define MBMSEC_AT_USD_SERVICE_ID     "serviceId"
#define MBMSEC_AT_USD_SESSION_URI    "sessionDescriptionURI"
#define MBMSEC_AT_USD_PROTECTION_URI "protectionDescriptionURI"
/* P16: protection description and the project's extension elements. */
#define MBMSEC_NS_SECDESC              "urn:3GPP:metadata:2005:MBMS:securityDescription"
#define MBMSEC_NS_MBMSEC_PROT          "urn:mbmsec:2026:protection"
#define MBMSEC_EL_SECDESC              "securityDescription"
#define MBMSEC_EL_SD_KMS               "keyManagementSpecification"
#define MBMSEC_EL_SD_SERVER_URI        "serverURI"
#define MBMSEC_EL_SD_OFFSET_TIME       "offsetTime"
#define MBMSEC_EL_SD_RANDOM_TIME       "randomTimePeriod"
#define MBMSEC_AT_SD_UICC_KM           "uiccKeyManagement"
#define MBMSEC_EL_PROT_KDID            "keyDomainId"
#define MBMSEC_EL_PROT_CONFIDENTIALITY "confidentiality"
#define MBMSEC_EL_PROT_INTEGRITY       "integrity"
#define MBMSEC_EL_PROT_SESSION         "session"
#define MBMSEC_AT_PROT_SESSION_ID      "id"
#define MBMSEC_AT_PROT_KEY_ID          "keyId"
#define MBMSEC_AT_PROT_MIKEY           "mikey"
#define MBMSEC_AT_PROT_SRTP            "srtp"
/* ==== end of the lib/xml section ==== */

#endif
