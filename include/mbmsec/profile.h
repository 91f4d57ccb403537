/* mbmsec: the project wire profile (../shared/spec/profile.md P1..P16).
 *
 * Every value that the standard text at hand left open and the project fixed lives here,
 * once, shared by the UE and the BM-SC. Values that are config settings have their default
 * here (name *_DEFAULT) and are read at start-up. Change a row of profile.md = change one line.
 */
#ifndef MBMSEC_PROFILE_H
#define MBMSEC_PROFILE_H

/* P1: MRK and MUK from Ks_NAF through the TS 33.220 Annex B KDF (config gba.mrk_muk_mode). */
#define MBMS_KDF_FC 0x01
#define MBMS_MRK_P0 "mbms-mrk"
#define MBMS_MUK_P0 "mbms-muk"
/* TS 33.220 H.3: Ua security protocol identifier "according to TS 33.246". */
#define MBMS_UA_PROTO_ID {0x01, 0x00, 0x00, 0x00, 0x01}
#define MBMS_UA_PROTO_ID_LEN 5

/* P2: request URIs. */
#define KM_PATH "/keymanagement"
#define KM_RT_REGISTER "register"
#define KM_RT_DEREGISTER "deregister"
#define KM_RT_MSK "msk-request"

/* P5: key identifiers. */
#define KDID_LEN 3
#define MSK_ID_LEN 4
#define MTK_ID_LEN 2
#define MSK_KEYNUM_RESERVED 0
#define MSK_KEYNUM_CURRENT 0 /* P15: key number 0 in a request = the current MSK of the group */

/* P6: MIKEY over UDP. */
#define MIKEY_UDP_PORT_DEFAULT 2269

/* P7: MSK and MTK message contents. */
#define MIKEY_RAND_LEN 16
#define MIKEY_MSK_KD_TYPE 0 /* key data Type TGK (profile.md O2) */
#define MIKEY_MTK_KD_TYPE 1 /* key data Type TGK+SALT */
#define MIKEY_MAP_TYPE 1    /* CS ID map type: empty map (RFC 4563) */
#define MBMS_MSK_LEN 16
#define MBMS_MTK_LEN 16
#define MBMS_MTK_SALT_LEN 14
#define MIKEY_MSK_V_FLAG_DEFAULT 1 /* config bmsc.msk_v_flag */

/* P8: the 32-bit COUNTER fills the 64-bit T slot of the KEMAC IV right-aligned. */
#define MIKEY_TS_COUNTER_IV_PAD 4

/* P9: the verification message carries IDr. */
#define MIKEY_VER_WITH_IDR 1

/* P10: an MSK message whose KEMAC encr data is empty is a solicited pull. */
#define MIKEY_PULL_ENCR_LEN 0

/* P11: at most two MSKs per Key Group (current and next). */
#define MSK_PER_KEY_GROUP 2

/* P12: HTTP Digest on Ua. */
#define HTTP_DIGEST_ALGS_DEFAULT "SHA-256,MD5"
#define HTTP_NONCE_LIFETIME_S_DEFAULT 300
#define MBMS_REALM_PREFIX "3GPP-bootstrapping@"

/* P13: MIKEY retransmission. */
#define MIKEY_RETX_FIRST_MS_DEFAULT 2000
#define MIKEY_RETX_TRIES_DEFAULT 5
#define MIKEY_RETX_BACKOFF_FACTOR 2

/* P15: item code for "no updated MSK is necessary". */
#define MBMS_STATUS_NO_UPDATE 204

/* ==== P3, P4, P16: XML documents, media types, namespaces, element names (lib/xml) ==== */
/* P3: media types (mbms-register-response+xml also answers deregister). */
#define MT_REGISTER "application/mbms-register+xml"
#define MT_REGISTER_RESPONSE "application/mbms-register-response+xml"
#define MT_DEREGISTER "application/mbms-deregister+xml"
#define MT_MSK "application/mbms-msk+xml"
#define MT_MSK_RESPONSE "application/mbms-msk-response+xml"
/* P3: namespaces and root elements. */
#define NS_REGISTER "urn:3GPP:metadata:2005:MBMS:userServiceRegistration"
#define NS_DEREGISTER "urn:3GPP:metadata:2005:MBMS:userServiceDeregistration"
#define NS_REGISTER_RESPONSE "urn:3GPP:metadata:2005:MBMS:userServiceRegistrationResponse"
#define NS_MSK_REQUEST "urn:3GPP:metadata:2005:MBMS:mskRequest"
#define NS_MSK_RESPONSE "urn:3GPP:metadata:2005:MBMS:mskResponse"
#define EL_REGISTER "mbmsUserServiceRegistration"
#define EL_DEREGISTER "mbmsUserServiceDeregistration"
#define EL_REGISTER_RESPONSE "mbmsUserServiceRegistrationResponse"
#define EL_MSK_REQUEST "mskRequest"
#define EL_MSK_RESPONSE "mskResponse"
#define EL_SERVICE_ID "serviceId"
#define EL_KEY_ID "keyId"
#define EL_STATUS "status"
#define AT_STATUS_CODE "code"
/* P3: keyId = base64(Key Domain ID || MSK ID): 7 octets, 12 characters. */
#define MBMS_KEYID_B64_LEN 12
/* P4: per-item status codes (P15 adds MBMS_STATUS_NO_UPDATE 204). */
enum mbms_status {
  MBMS_STATUS_OK = 200,
  MBMS_STATUS_BAD_REQUEST = 400,
  MBMS_STATUS_UNAUTHORIZED = 401,
  MBMS_STATUS_NOT_FOUND = 404,
  MBMS_STATUS_UNAVAILABLE = 480,
  MBMS_STATUS_SERVER_ERROR = 500,
};
/* P16: user service description. */
#define NS_USD "urn:3GPP:metadata:2005:MBMS:userServiceDescription"
#define EL_USD_BUNDLE "bundleDescription"
#define EL_USD "userServiceDescription"
#define EL_USD_DELIVERY "deliveryMethod"
#define AT_USD_SERVICE_ID "serviceId"
#define AT_USD_SESSION_URI "sessionDescriptionURI"
#define AT_USD_PROTECTION_URI "protectionDescriptionURI"
/* P16: protection description and the project's extension elements. */
#define NS_SECDESC "urn:3GPP:metadata:2005:MBMS:securityDescription"
#define NS_MBMSEC_PROT "urn:mbmsec:2026:protection"
#define EL_SECDESC "securityDescription"
#define EL_SD_KMS "keyManagementSpecification"
#define EL_SD_SERVER_URI "serverURI"
#define EL_SD_OFFSET_TIME "offsetTime"
#define EL_SD_RANDOM_TIME "randomTimePeriod"
#define AT_SD_UICC_KM "uiccKeyManagement"
#define EL_PROT_KDID "keyDomainId"
#define EL_PROT_CONFIDENTIALITY "confidentiality"
#define EL_PROT_INTEGRITY "integrity"
#define EL_PROT_SESSION "session"
#define AT_PROT_SESSION_ID "id"
#define AT_PROT_KEY_ID "keyId"
#define AT_PROT_MIKEY "mikey"
#define AT_PROT_SRTP "srtp"
/* ==== end of the lib/xml section ==== */

#endif
