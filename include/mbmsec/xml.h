/* mbmsec: the XML documents of the BM-SC key request function (profile.md P3, P4, P15) and of
 * the service announcement (P16), library part: no I/O.
 *
 * Parsers read a body from memory into the plain structs below; builders write the same
 * documents byte-exact and deterministic (UTF-8, XML declaration, two-space indentation, LF
 * line ends, one trailing LF). libxml2 reads every document with the hardening of
 * docs/xml.md: size cap before parsing, UTF-8 only, any DOCTYPE refused, no entity other than
 * the five predefined ones, no network, caps on depth, element count, attribute and text
 * lengths and item counts.
 *
 * Document-level errors (the BM-SC answers HTTP 400) are the return codes. A syntactically
 * bad item (P3: "a single syntactically bad item gets the per-item code 400") does not fail
 * the document: the item's `err` says why it is bad and its `text` keeps what was received
 * so that the answer can echo it in the 400 group; `n_bad` counts such items.
 *
 * The structs are large (a list holds up to MBMSEC_XML_MAX_ITEMS items): allocate them on the
 * heap or statically. The list parsers set n and n_bad and zero every item they fill before
 * filling it; items past n are left as they were (a full list is some 74 KiB: clearing it on
 * every request showed in the BM-SC's profile). On error the whole output is zeroed. The
 * other parsers zero their output first.
 * Thread-safe: no global state besides libxml2's own one-time initialisation.
 */
#ifndef MBMSEC_XML_H
#define MBMSEC_XML_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/error.h"
#include "mbmsec/profile.h"

/* ---------------------------------------------------------------- caps */

#define MBMSEC_XML_DOC_MAX          65536 /* octets of a document, checked before parsing */
#define MBMSEC_XML_MAX_ITEMS        256   /* serviceId / keyId items of one P3 document */
#define MBMSEC_XML_TEXT_MAX         255   /* octets of an item's text (after trimming) */
#define MBMSEC_XML_ATTR_MAX         1024  /* octets of any attribute value in any document */
#define MBMSEC_XML_DEPTH_MAX        32    /* element nesting */
#define MBMSEC_XML_ELEMENTS_MAX     2048  /* elements of one document */
#define MBMSEC_XML_ATTRS_MAX        32    /* attributes plus namespace declarations per element */
#define MBMSEC_XML_URI_MAX          255   /* serviceId attribute, URIs of the announcement */
#define MBMSEC_XML_HOST_MAX         253   /* host part of a session's mikey / srtp address */
#define MBMSEC_XML_USD_SERVICES_MAX 32
#define MBMSEC_XML_USD_METHODS_MAX  8  /* deliveryMethods per userServiceDescription */
#define MBMSEC_XML_KMS_MAX          4  /* keyManagementSpecification elements */
#define MBMSEC_XML_SERVER_URI_MAX   8  /* serverURI per keyManagementSpecification */
#define MBMSEC_XML_SESSIONS_MAX     32 /* m:session elements */

/* ---------------------------------------------------------------- key IDs (P3, P5, P15) */

/* base64(Key Domain ID (3) || MSK ID (4)) into out (13 bytes with the NUL).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG. */
mbmsec_err mbmsec_xml_keyid_encode(const uint8_t kdid[MBMSEC_KDID_LEN],
                                   const uint8_t msk_id[MBMSEC_MSK_ID_LEN],
                                   char out[MBMSEC_MBMS_KEYID_B64_LEN + 1]);
/* Strict decode of exactly 12 base64 characters that give 7 octets.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_XML_KEYID. */
mbmsec_err mbmsec_xml_keyid_decode(const char *s, size_t len, uint8_t kdid[MBMSEC_KDID_LEN],
                                   uint8_t msk_id[MBMSEC_MSK_ID_LEN]);
/* Key Group (octets 0-1) and key number (octets 2-3) of an MSK ID, big-endian. */
uint16_t mbmsec_xml_msk_key_group(const uint8_t msk_id[MBMSEC_MSK_ID_LEN]);
uint16_t mbmsec_xml_msk_key_number(const uint8_t msk_id[MBMSEC_MSK_ID_LEN]);
/* True when the key number is MBMSEC_MSK_KEYNUM_CURRENT: "the current MSK of the Key Group" (P15). */
bool mbmsec_xml_msk_is_current(const uint8_t msk_id[MBMSEC_MSK_ID_LEN]);

/* True for the per-item codes of P4 (200 400 401 404 480 500); with_204 adds P15's 204. */
bool mbmsec_xml_status_valid(unsigned code, bool with_204);

/* ---------------------------------------------------------------- P3 item lists */

/* One serviceId item. In a request `code` is 0; in a response it is its status group's code.
 * err: MBMSEC_OK, or MBMSEC_ERR_XML_ITEM (empty, white space or a character outside printable
 * ASCII 0x21..0x7E): the BM-SC answers it 400. `text` is NUL-terminated, `len` octets. */
typedef struct {
  char text[MBMSEC_XML_TEXT_MAX + 1];
  size_t len;
  mbmsec_err err;
  unsigned code;
} mbmsec_xml_service;

typedef struct {
  mbmsec_xml_service items[MBMSEC_XML_MAX_ITEMS];
  size_t n;
  size_t n_bad;
} mbmsec_xml_service_list;

/* One keyId item: kdid and msk_id are valid when err == MBMSEC_OK; otherwise err is
 * MBMSEC_ERR_XML_KEYID (not 12 base64 characters decoding to 7 octets), kdid/msk_id are zero
 * and the BM-SC answers the item 400 echoing `text`. `code` as for mbmsec_xml_service. */
typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  mbmsec_err err;
  unsigned code;
  char text[MBMSEC_XML_TEXT_MAX + 1];
  size_t len;
} mbmsec_xml_key;

typedef struct {
  mbmsec_xml_key items[MBMSEC_XML_MAX_ITEMS];
  size_t n;
  size_t n_bad;
} mbmsec_xml_key_list;

typedef enum { MBMSEC_XML_REGISTER, MBMSEC_XML_DEREGISTER } mbmsec_xml_reg_kind;

/* Appends a good serviceId with the given code (0 for a request).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_XML_TOO_MANY, MBMSEC_ERR_XML_STRING_LEN,
 *         MBMSEC_ERR_XML_ITEM. */
mbmsec_err mbmsec_xml_service_add(mbmsec_xml_service_list *l, const char *id, unsigned code);
/* Appends a keyId with the given code (0 for a request).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_XML_TOO_MANY. */
mbmsec_err mbmsec_xml_key_add(mbmsec_xml_key_list *l, const uint8_t kdid[MBMSEC_KDID_LEN],
                              const uint8_t msk_id[MBMSEC_MSK_ID_LEN], unsigned code);

/* ---------------------------------------------------------------- P3 parsers
 *
 * Document-level codes shared by all six parsers (each with @return below):
 *  MBMSEC_ERR_ARG (NULL pointer), MBMSEC_ERR_NOMEM, MBMSEC_ERR_XML_SIZE (empty or over
 *  MBMSEC_XML_DOC_MAX), MBMSEC_ERR_XML_ENCODING (not UTF-8, a NUL, or another declared
 *  encoding), MBMSEC_ERR_XML_DOCTYPE, MBMSEC_ERR_XML_ENTITY (reference to an entity other
 *  than the predefined five), MBMSEC_ERR_XML_SYNTAX (not well-formed), MBMSEC_ERR_XML_DEPTH,
 *  MBMSEC_ERR_XML_ATTR_LEN, MBMSEC_ERR_XML_ELEMENTS (too many elements or attributes),
 *  MBMSEC_ERR_XML_ROOT, MBMSEC_ERR_XML_NAMESPACE. */

/* Register (mbmsUserServiceRegistration) or deregister (mbmsUserServiceDeregistration)
 * request; out->items[i].code is 0.
 * @return the shared codes, MBMSEC_ERR_XML_EMPTY (no serviceId), MBMSEC_ERR_XML_TOO_MANY,
 *         MBMSEC_ERR_XML_STRING_LEN (an item over MBMSEC_XML_TEXT_MAX), MBMSEC_ERR_XML_UNEXPECTED
 *         (unknown element or attribute of the document's namespace, non-blank text, child
 *         elements inside an item), MBMSEC_ERR_XML_DUP_ITEM (the same serviceId twice). */
mbmsec_err mbmsec_xml_parse_register(const uint8_t *doc, size_t len, mbmsec_xml_reg_kind kind,
                                     mbmsec_xml_service_list *out);
/* Register / deregister response (mbmsUserServiceRegistrationResponse).
 * @return as mbmsec_xml_parse_register, plus MBMSEC_ERR_XML_STATUS (code attribute missing
 *         or not a P4 code; 204 is refused here), MBMSEC_ERR_XML_DUP_STATUS (two groups with
 *         one code); an empty status group is MBMSEC_ERR_XML_EMPTY. */
mbmsec_err mbmsec_xml_parse_register_response(const uint8_t *doc, size_t len,
                                              mbmsec_xml_service_list *out);
/* MSK request (mskRequest). Key number 0 items are kept as they are (P15).
 * @return as mbmsec_xml_parse_register. */
mbmsec_err mbmsec_xml_parse_msk_request(const uint8_t *doc, size_t len, mbmsec_xml_key_list *out);
/* MSK response (mskResponse); codes P4 plus 204 (P15).
 * @return as mbmsec_xml_parse_register_response. */
mbmsec_err mbmsec_xml_parse_msk_response(const uint8_t *doc, size_t len, mbmsec_xml_key_list *out);

/* ---------------------------------------------------------------- P3 builders
 *
 * Output: NUL-terminated UTF-8 into out (cap bytes), *outlen octets without the NUL.
 * Responses: one status group per code, groups in the order in which their code first occurs
 * in the list, items in list order. A bad item (err != MBMSEC_OK) may only appear in a
 * response, with code 400; its text is echoed (escaped). */

/* @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE, MBMSEC_ERR_XML_EMPTY,
 *         MBMSEC_ERR_XML_TOO_MANY, MBMSEC_ERR_XML_ITEM (a bad or invalid item),
 *         MBMSEC_ERR_XML_DUP_ITEM. */
mbmsec_err mbmsec_xml_build_register(mbmsec_xml_reg_kind kind, const mbmsec_xml_service_list *l,
                                     char *out, size_t cap, size_t *outlen);
/* @return as mbmsec_xml_build_register, plus MBMSEC_ERR_XML_STATUS (not a P4 code, or a bad
 *         item outside 400). */
mbmsec_err mbmsec_xml_build_register_response(const mbmsec_xml_service_list *l, char *out,
                                              size_t cap, size_t *outlen);
/* @return as mbmsec_xml_build_register (MBMSEC_ERR_XML_KEYID for a bad item). */
mbmsec_err mbmsec_xml_build_msk_request(const mbmsec_xml_key_list *l, char *out, size_t cap,
                                        size_t *outlen);
/* @return as mbmsec_xml_build_register_response (MBMSEC_ERR_XML_KEYID for an unusable bad
 *         item text). */
mbmsec_err mbmsec_xml_build_msk_response(const mbmsec_xml_key_list *l, char *out, size_t cap,
                                         size_t *outlen);

/* ---------------------------------------------------------------- P16 service announcement */

typedef struct {
  char session_uri[MBMSEC_XML_URI_MAX + 1];    /* sessionDescriptionURI, "" if absent */
  char protection_uri[MBMSEC_XML_URI_MAX + 1]; /* protectionDescriptionURI, "" if absent */
} mbmsec_xml_delivery;

typedef struct {
  char service_id[MBMSEC_XML_URI_MAX + 1];
  mbmsec_xml_delivery methods[MBMSEC_XML_USD_METHODS_MAX];
  size_t n_methods;
} mbmsec_xml_usd_service;

typedef struct {
  mbmsec_xml_usd_service services[MBMSEC_XML_USD_SERVICES_MAX];
  size_t n;
} mbmsec_xml_usd;

/* A bundleDescription with one or more userServiceDescription (attribute serviceId required)
 * and their deliveryMethod elements. Every other element, of any namespace, is skipped.
 * @return the shared codes, MBMSEC_ERR_XML_EMPTY (no userServiceDescription),
 *         MBMSEC_ERR_XML_TOO_MANY, MBMSEC_ERR_XML_MISSING (serviceId absent),
 *         MBMSEC_ERR_XML_VALUE (a URI empty, over MBMSEC_XML_URI_MAX or not printable ASCII). */
mbmsec_err mbmsec_xml_parse_usd(const uint8_t *doc, size_t len, mbmsec_xml_usd *out);

typedef struct {
  char server_uri[MBMSEC_XML_SERVER_URI_MAX][MBMSEC_XML_URI_MAX + 1];
  size_t n_server_uri;
  bool has_offset_time, has_random_time_period;
  uint32_t offset_time;        /* seconds */
  uint32_t random_time_period; /* seconds */
  bool uicc_key_management;    /* false when the attribute is absent */
} mbmsec_xml_kms;

typedef struct {
  char host[MBMSEC_XML_HOST_MAX + 1]; /* IPv4 literal, IPv6 literal (without brackets), or name */
  uint16_t port;
} mbmsec_xml_addr;

typedef struct {
  char id[MBMSEC_XML_TEXT_MAX + 1];
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN]; /* key number 0: the current MSK of the Key Group (P15) */
  mbmsec_xml_addr mikey, srtp;
} mbmsec_xml_session;

typedef struct {
  mbmsec_xml_kms kms[MBMSEC_XML_KMS_MAX];
  size_t n_kms;
  bool has_kdid, has_confidentiality, has_integrity;
  uint8_t kdid[MBMSEC_KDID_LEN];
  bool confidentiality, integrity;
  mbmsec_xml_session sessions[MBMSEC_XML_SESSIONS_MAX];
  size_t n_sessions;
} mbmsec_xml_secdesc;

/* A securityDescription: keyManagementSpecification elements and the mbmsec extension
 * elements (MBMSEC_NS_MBMSEC_PROT). Elements of other namespaces are skipped; an unknown element of
 * MBMSEC_NS_SECDESC or MBMSEC_NS_MBMSEC_PROT, or a repeated single-valued one, is refused.
 * @return the shared codes, MBMSEC_ERR_XML_EMPTY (no keyManagementSpecification, or one
 *         without serverURI), MBMSEC_ERR_XML_TOO_MANY, MBMSEC_ERR_XML_MISSING (a session
 *         attribute absent), MBMSEC_ERR_XML_UNEXPECTED, MBMSEC_ERR_XML_VALUE (a malformed
 *         value: number, boolean, 6-hex keyDomainId, address:port, URI),
 *         MBMSEC_ERR_XML_KEYID (a session keyId), MBMSEC_ERR_XML_DUP_ITEM (two sessions with
 *         one id). */
mbmsec_err mbmsec_xml_parse_secdesc(const uint8_t *doc, size_t len, mbmsec_xml_secdesc *out);

/* libxml2's one-time initialisation (xmlInitParser); every parser calls it, so calling it is
 * optional. Never calls xmlCleanupParser: a process that wants to may do so at its end. */
void mbmsec_xml_init(void);

#endif
