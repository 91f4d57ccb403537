/* mbmsec: one error enum for the whole library.
 *
 * Every function that can fail returns mbmsec_err. The list below is the complete set of
 * codes; each module owns a numbered block so that codes never shift when one is added.
 * A function's @return names the codes it can give; any of them is one of these.
 */
#ifndef MBMSEC_ERROR_H
#define MBMSEC_ERROR_H

/* X(name, value, text); kept as a table, one code a line (not reflowed by clang-format) */
// clang-format off
#define MBMSEC_ERROR_LIST(X) \
  /* core 0..99 */ \
  X(MBMSEC_OK,                    0, "success") \
  X(MBMSEC_ERR_NOMEM,             1, "out of memory") \
  X(MBMSEC_ERR_ARG,               2, "invalid argument") \
  X(MBMSEC_ERR_CRYPTO,            3, "cryptographic library failure") \
  X(MBMSEC_ERR_SPACE,             4, "output buffer too small") \
  X(MBMSEC_ERR_HEX,               5, "malformed hex string") \
  X(MBMSEC_ERR_BASE64,            6, "malformed base64 string") \
  X(MBMSEC_ERR_TRUNCATED,         7, "input shorter than its length fields say") \
  X(MBMSEC_ERR_LENGTH,            8, "value has the wrong length") \
  X(MBMSEC_ERR_RANDOM,            9, "random number generator failure") \
  /* Milenage and AKA 100..199 */ \
  X(MBMSEC_ERR_AKA_MAC,         100, "AUTN MAC-A does not verify (network authentication failure)") \
  X(MBMSEC_ERR_AKA_SYNC,        101, "SQN not fresh (synchronisation failure)") \
  X(MBMSEC_ERR_AUTS_MAC,        102, "AUTS MAC-S does not verify") \
  X(MBMSEC_ERR_SQN_RANGE,       103, "SQN out of range") \
  /* GBA KDF 200..299 */ \
  X(MBMSEC_ERR_KDF_PARAM_LEN,   200, "KDF parameter longer than 65535 octets") \
  X(MBMSEC_ERR_KDF_FC,          201, "invalid KDF FC value") \
  /* HTTP Digest 300..399 */ \
  X(MBMSEC_ERR_DIGEST_SCHEME,   300, "header is not a Digest credential or challenge") \
  X(MBMSEC_ERR_DIGEST_SYNTAX,   301, "Digest header syntax error") \
  X(MBMSEC_ERR_DIGEST_UNTERMINATED, 302, "unterminated quoted string") \
  X(MBMSEC_ERR_DIGEST_ESCAPE,   303, "bad escape in quoted string") \
  X(MBMSEC_ERR_DIGEST_DUPLICATE, 304, "duplicated Digest directive") \
  X(MBMSEC_ERR_DIGEST_MISSING,  305, "required Digest directive missing") \
  X(MBMSEC_ERR_DIGEST_OVERSIZE, 306, "Digest directive value too long") \
  X(MBMSEC_ERR_DIGEST_TOO_MANY, 307, "too many Digest directives") \
  X(MBMSEC_ERR_DIGEST_HEADER_TOO_LONG, 308, "Digest header too long") \
  X(MBMSEC_ERR_DIGEST_BAD_NC,   309, "nc is not 8 hex digits or is zero") \
  X(MBMSEC_ERR_DIGEST_BAD_QOP,  310, "unsupported or malformed qop") \
  X(MBMSEC_ERR_DIGEST_BAD_ALGORITHM, 311, "unsupported Digest algorithm") \
  X(MBMSEC_ERR_DIGEST_BAD_TOKEN, 312, "illegal character in Digest token") \
  X(MBMSEC_ERR_DIGEST_CTL,      313, "control character in Digest header") \
  X(MBMSEC_ERR_DIGEST_BAD_RESPONSE, 314, "Digest response is not hex of the algorithm's length") \
  X(MBMSEC_ERR_DIGEST_BAD_STALE, 315, "stale is neither true nor false") \
  X(MBMSEC_ERR_DIGEST_EMPTY,    316, "empty Digest header or directive") \
  X(MBMSEC_ERR_DIGEST_MISMATCH, 317, "Digest response does not verify") \
  X(MBMSEC_ERR_DIGEST_QUOTING,  318, "directive quoted where it must not be, or the reverse") \
  X(MBMSEC_ERR_DIGEST_UNKNOWN_DIRECTIVE, 319, "unknown Digest directive name too long or malformed") \
  /* MIKEY crypto 400..499 */ \
  X(MBMSEC_ERR_MIKEY_PRF_LEN,   400, "MIKEY PRF key or output length out of range") \
  /* MIKEY codec and receiver 500..699 (owned by the MIKEY codec) */ \
  X(MBMSEC_ERR_MIKEY_VERSION,   500, "MIKEY version is not 1") \
  X(MBMSEC_ERR_MIKEY_DATA_TYPE, 501, "unknown MIKEY data type") \
  X(MBMSEC_ERR_MIKEY_PAYLOAD_TYPE, 502, "unknown or unsupported MIKEY payload type") \
  X(MBMSEC_ERR_MIKEY_TS_TYPE,   503, "unknown MIKEY timestamp type") \
  X(MBMSEC_ERR_MIKEY_ID_TYPE,   504, "unknown MIKEY ID type") \
  X(MBMSEC_ERR_MIKEY_ENCR_ALG,  505, "unknown MIKEY KEMAC encryption algorithm") \
  X(MBMSEC_ERR_MIKEY_MAC_ALG,   506, "unknown MIKEY MAC or verification algorithm") \
  X(MBMSEC_ERR_MIKEY_PRF_FUNC,  507, "unknown MIKEY PRF function") \
  X(MBMSEC_ERR_MIKEY_MAP_TYPE,  508, "unknown MIKEY CS ID map type") \
  X(MBMSEC_ERR_MIKEY_TRAILING,  509, "octets after the last MIKEY payload") \
  X(MBMSEC_ERR_MIKEY_TOO_MANY,  510, "too many MIKEY payloads, crypto sessions, parameters or key IDs") \
  X(MBMSEC_ERR_MIKEY_DUP_PAYLOAD, 511, "MIKEY payload present more than once") \
  X(MBMSEC_ERR_MIKEY_NOT_LAST,  512, "KEMAC or V payload is not the last payload") \
  X(MBMSEC_ERR_MIKEY_KD_TYPE,   513, "unknown MIKEY key data type") \
  X(MBMSEC_ERR_MIKEY_KV_TYPE,   514, "unknown MIKEY key validity type") \
  X(MBMSEC_ERR_MIKEY_KD_NEXT,   515, "key data chain names a payload other than key data") \
  X(MBMSEC_ERR_MIKEY_KEYID_TYPE, 516, "unknown RFC 4563 Key ID type") \
  X(MBMSEC_ERR_MIKEY_SP_PROT,   517, "unknown MIKEY security policy protocol type") \
  X(MBMSEC_ERR_MIKEY_ERR_NO,    518, "unknown MIKEY error number") \
  X(MBMSEC_ERR_MIKEY_SP_EMPTY_MAP, 519, "SP payload with the empty CS ID map (RFC 4563 section 5)") \
  X(MBMSEC_ERR_MIKEY_EMPTY,     520, "empty MIKEY key ID information or key data chain") \
  X(MBMSEC_ERR_MIKEY_LAYOUT,    530, "MIKEY payloads are not those of the profile message") \
  X(MBMSEC_ERR_MIKEY_V_FLAG,    531, "V flag set where the profile forbids it") \
  X(MBMSEC_ERR_MIKEY_RAND_LEN,  532, "MIKEY RAND is not 16 octets") \
  X(MBMSEC_ERR_MIKEY_NCS,       533, "MIKEY #CS or map not as the profile requires") \
  X(MBMSEC_ERR_MIKEY_KEYID,     534, "MIKEY Key ID information not as the profile requires") \
  X(MBMSEC_ERR_MIKEY_NULL_ALG,  535, "NULL MIKEY encryption or MAC refused") \
  X(MBMSEC_ERR_MIKEY_UNKNOWN_KEY, 536, "no MUK or MSK for the MIKEY message") \
  X(MBMSEC_ERR_MIKEY_MAC,       537, "MIKEY MAC does not verify") \
  X(MBMSEC_ERR_MIKEY_REPLAY,    538, "MIKEY counter not greater than the stored one (replay)") \
  X(MBMSEC_ERR_MIKEY_KEYDATA,   539, "MIKEY key data not as the profile requires") \
  X(MBMSEC_ERR_MIKEY_INTERVAL,  540, "MIKEY key validity interval has VF greater than VT") \
  X(MBMSEC_ERR_MIKEY_KEYNUM,    541, "MSK key number 0 is reserved") \
  X(MBMSEC_ERR_MIKEY_KEYNUM_OLD, 542, "MSK key number not greater than those stored for its Key Group") \
  X(MBMSEC_ERR_MIKEY_MSK_CONFLICT, 543, "MSK ID already stored with other key bytes") \
  X(MBMSEC_ERR_MIKEY_UNKNOWN_MSK, 544, "MTK message for an unknown, older MSK") \
  X(MBMSEC_ERR_MIKEY_MISSED_MSK, 545, "MTK message for an MSK newer than the stored ones (missed key update)") \
  X(MBMSEC_ERR_MIKEY_MTK_ID_OLD, 546, "MTK ID lower than the last one") \
  X(MBMSEC_ERR_MIKEY_MTK_ID_RANGE, 547, "MTK ID outside the MSK's validity interval") \
  X(MBMSEC_ERR_MIKEY_KDID,      548, "unexpected Key Domain ID") \
  X(MBMSEC_ERR_MIKEY_VER_MISMATCH, 549, "verification message does not answer the MSK message") \
  X(MBMSEC_ERR_MIKEY_ID_LEN,    550, "MIKEY ID longer than the receiver keeps") \
  X(MBMSEC_ERR_MIKEY_MTK_REPEAT, 551, "MTK message repeats the last MTK ID (sent again for late joiners)") \
  X(MBMSEC_ERR_MIKEY_STATE_FORMAT, 560, "MIKEY receiver state bytes are malformed") \
  X(MBMSEC_ERR_MIKEY_STATE_FULL, 561, "MIKEY receiver state has no room for another MUK or Key Group") \
  /* Zn 700..799 (Diameter BIR/BIA over freeDiameter, lib/zn) */ \
  X(MBMSEC_ERR_ZN_STACK,        700, "freeDiameter call failed") \
  X(MBMSEC_ERR_ZN_STATE,        701, "Zn node already started in this process, or not started") \
  X(MBMSEC_ERR_ZN_CONF,         702, "cannot write the freeDiameter configuration file") \
  X(MBMSEC_ERR_ZN_TIMEOUT,      703, "Zn peer not open or no answer before the timeout") \
  X(MBMSEC_ERR_ZN_ANSWER,       704, "malformed Bootstrapping-Info-Answer") \
  /* store 800..899 (lib/store) */ \
  X(MBMSEC_ERR_STORE_BACKEND,   800, "store URI names a backend that is not built or not known") \
  X(MBMSEC_ERR_STORE_OPEN,      801, "store file cannot be opened or created") \
  X(MBMSEC_ERR_STORE_IO,        802, "store read or write failed") \
  X(MBMSEC_ERR_STORE_BUSY,      803, "store locked by another writer beyond the busy timeout") \
  X(MBMSEC_ERR_STORE_CORRUPT,   804, "store file is not a database, is damaged, or holds a malformed row") \
  X(MBMSEC_ERR_STORE_SCHEMA_NEWER, 805, "store schema version is newer than this build knows") \
  X(MBMSEC_ERR_STORE_SCHEMA,    806, "store schema migration failed") \
  X(MBMSEC_ERR_STORE_NOT_FOUND, 807, "no such subscriber, bootstrap record or counter in the store") \
  X(MBMSEC_ERR_STORE_EXISTS,    808, "subscriber or bootstrap record already in the store") \
  X(MBMSEC_ERR_STORE_SQN_CONFLICT, 809, "stored SQN is not the expected one (concurrent update); nothing written") \
  X(MBMSEC_ERR_STORE_IMPI,      810, "IMPI empty, longer than 255 octets, or not printable ASCII") \
  X(MBMSEC_ERR_STORE_BTID,      811, "B-TID empty, longer than 255 octets, or not printable ASCII") \
  X(MBMSEC_ERR_STORE_USS,       812, "GBA user security settings are not a comma list of GSIDs") \
  X(MBMSEC_ERR_STORE_NAME,      813, "counter name empty, longer than 64 octets, or not printable ASCII") \
  X(MBMSEC_ERR_STORE_COUNTER_RANGE, 814, "counter block would pass the counter's maximum") \
  X(MBMSEC_ERR_STORE_LIFETIME,  815, "bootstrap expiry is not after its creation time") \
  X(MBMSEC_ERR_STORE_REENTRANT, 816, "store handle used from inside its own list callback") \
  X(MBMSEC_ERR_STORE_SERVICE_ID, 817, "serviceId empty, longer than 255 octets, or not printable ASCII") \
  X(MBMSEC_ERR_STORE_MSK_ID,    818, "MSK ID with the reserved key number 0") \
  X(MBMSEC_ERR_STORE_VALIDITY,  819, "MSK validity or lifetime empty, or MTK ID range VF above VT") \
  X(MBMSEC_ERR_STORE_UE_ADDR,   820, "UE address empty, longer than 63 octets, or not printable ASCII") \
  X(MBMSEC_ERR_STORE_OWNED,     821, "store is owned by another running daemon (its owner lock is held)") \
  /* UE 1000..1099 (lib/ue: simulated USIM, Ub client, UE state) */ \
  X(MBMSEC_ERR_UE_FILE_IO,      1000, "UE file cannot be read, written or renamed") \
  X(MBMSEC_ERR_UE_FILE_FORMAT,  1001, "USIM or UE state file is malformed") \
  X(MBMSEC_ERR_UE_SEQUENCE,     1002, "Ub client step called out of order") \
  X(MBMSEC_ERR_UE_NO_CHALLENGE, 1003, "401 carries no usable AKAv1-MD5 Digest challenge with qop auth-int") \
  X(MBMSEC_ERR_UE_NONCE,        1004, "AKA nonce is not base64 of RAND || AUTN") \
  X(MBMSEC_ERR_UE_RESYNC,       1005, "BSF challenge still not fresh after a resynchronisation") \
  X(MBMSEC_ERR_UE_REFUSED,      1006, "the server refused the authentication (BSF: RES not accepted; BSF or BM-SC: 403 Forbidden)") \
  X(MBMSEC_ERR_UE_RSPAUTH,      1007, "Authentication-Info missing, malformed or rspauth does not verify") \
  X(MBMSEC_ERR_UE_XML,          1008, "BootstrappingInfo malformed, oversize or with a DOCTYPE") \
  X(MBMSEC_ERR_UE_HTTP,         1009, "HTTP transport failure (connect, timeout, oversize response)") \
  X(MBMSEC_ERR_UE_HTTP_STATUS,  1010, "unexpected HTTP status or content type from the BSF") \
  X(MBMSEC_ERR_UE_EXPIRED,      1011, "bootstrap lifetime has passed") \
  /* BSF 900..999 (lib/bsf: Ub engine, built-in HSS, Zn lookup; src/bsf) */ \
  X(MBMSEC_ERR_BSF_CONFIG,      900, "BSF configuration invalid (FQDN, lifetime or table size)") \
  X(MBMSEC_ERR_BSF_SQN_RETRIES, 901, "SQN compare-and-set kept losing to concurrent requests") \
  X(MBMSEC_ERR_BSF_INI,         902, "BSF configuration file malformed") \
  /* MIKEY tools 1100..1199 (lib/tools/pcap_read.c, src/cmd_mikey*.c) */ \
  X(MBMSEC_ERR_PCAP_MAGIC,      1100, "not a classic pcap file (unknown magic number)") \
  X(MBMSEC_ERR_PCAP_PCAPNG,     1101, "pcapng file: only classic pcap is read (convert with editcap -F pcap)") \
  X(MBMSEC_ERR_PCAP_VERSION,    1102, "unsupported pcap format version (not 2.x)") \
  X(MBMSEC_ERR_PCAP_LINKTYPE,   1103, "unsupported pcap link type (RAW, Ethernet, Linux SLL, NULL only)") \
  X(MBMSEC_ERR_PCAP_TRUNCATED,  1104, "pcap file ends inside a header or a record") \
  X(MBMSEC_ERR_PCAP_RECORD_LEN, 1105, "pcap record length exceeds its original length or the reader's limit") \
  X(MBMSEC_ERR_PCAP_SNAPPED,    1106, "packet captured only in part (snap length)") \
  X(MBMSEC_ERR_PCAP_NOT_IPV4,   1107, "frame carries no IPv4 packet") \
  X(MBMSEC_ERR_PCAP_IPV6,       1108, "IPv6 packet (only IPv4 is read)") \
  X(MBMSEC_ERR_PCAP_IP_HEADER,  1109, "malformed IPv4 header (version, header or total length)") \
  X(MBMSEC_ERR_PCAP_FRAGMENT,   1110, "IPv4 fragment (reassembly not supported)") \
  X(MBMSEC_ERR_PCAP_NOT_UDP,    1111, "IPv4 packet is not UDP") \
  X(MBMSEC_ERR_PCAP_UDP_LEN,    1112, "UDP length field inconsistent with the IPv4 packet") \
  /* Ua auth 1300..1399 (lib/ua: BM-SC HTTP Digest engine) */ \
  X(MBMSEC_ERR_UA_CONFIG,       1300, "Ua auth configuration invalid (FQDN, algorithms, mode, table size or lookup)") \
  X(MBMSEC_ERR_UA_DECISION,     1301, "Ua decision is not an accepted (200) request") \
  /* MBMS XML 1200..1299 (lib/xml: P3 request/response documents, P16 announcement) */ \
  X(MBMSEC_ERR_XML_SIZE,        1200, "XML document empty or larger than the cap") \
  X(MBMSEC_ERR_XML_ENCODING,    1201, "XML document is not UTF-8 (bad octets, NUL, or another declared encoding)") \
  X(MBMSEC_ERR_XML_DOCTYPE,     1202, "XML document has a DOCTYPE (refused)") \
  X(MBMSEC_ERR_XML_ENTITY,      1203, "XML reference to an entity other than the predefined ones") \
  X(MBMSEC_ERR_XML_SYNTAX,      1204, "XML document not well-formed") \
  X(MBMSEC_ERR_XML_DEPTH,       1205, "XML elements nested too deep") \
  X(MBMSEC_ERR_XML_ATTR_LEN,    1206, "XML attribute value too long") \
  X(MBMSEC_ERR_XML_ELEMENTS,    1207, "XML document has too many elements or attributes") \
  X(MBMSEC_ERR_XML_ROOT,        1208, "XML root element is not the expected one") \
  X(MBMSEC_ERR_XML_NAMESPACE,   1209, "XML element not in the expected namespace") \
  X(MBMSEC_ERR_XML_EMPTY,       1210, "XML document or status group has no items") \
  X(MBMSEC_ERR_XML_TOO_MANY,    1211, "XML document has more items than the cap") \
  X(MBMSEC_ERR_XML_STRING_LEN,  1212, "XML item text longer than the cap") \
  X(MBMSEC_ERR_XML_UNEXPECTED,  1213, "unexpected XML element, attribute or text") \
  X(MBMSEC_ERR_XML_DUP_ITEM,    1214, "XML item present more than once") \
  X(MBMSEC_ERR_XML_STATUS,      1215, "XML status code missing or not a profile code") \
  X(MBMSEC_ERR_XML_DUP_STATUS,  1216, "two XML status groups with the same code") \
  X(MBMSEC_ERR_XML_ITEM,        1217, "serviceId item malformed (per-item 400)") \
  X(MBMSEC_ERR_XML_KEYID,       1218, "keyId is not 12 base64 characters giving 7 octets (per-item 400)") \
  X(MBMSEC_ERR_XML_MISSING,     1219, "required XML element or attribute missing") \
  X(MBMSEC_ERR_XML_VALUE,       1220, "malformed value in the service announcement") \
  /* SRTP 1600..1699 (lib/srtp, libsrtp 2) */ \
  X(MBMSEC_ERR_SRTP,            1600, "libsrtp failure") \
  X(MBMSEC_ERR_SRTP_NO_KEY,     1601, "SRTP packet names an MKI (MSK ID || MTK ID) with no MTK installed") \
  X(MBMSEC_ERR_SRTP_AUTH,       1602, "SRTP authentication tag does not verify") \
  X(MBMSEC_ERR_SRTP_REPLAY,     1603, "SRTP packet replayed or too old") \
  X(MBMSEC_ERR_SRTP_PACKET,     1604, "not an RTP packet, or shorter than its header and trailer") \
  X(MBMSEC_ERR_SRTP_KEYS,       1605, "MTK set empty, too large, or with a repeated MKI") \
  /* BM-SC delivery 1400..1499 (lib/bmsc) */ \
  X(MBMSEC_ERR_BMSC_UNKNOWN_UE, 1400, "no registered UE with that B-TID") \
  X(MBMSEC_ERR_BMSC_FULL,       1401, "too many registered UEs or pending deliveries") \
  X(MBMSEC_ERR_BMSC_NO_DELIVERY, 1402, "verification message matches no pending delivery") \
  X(MBMSEC_ERR_BMSC_SEND,       1403, "the send callback failed") \
  X(MBMSEC_ERR_BMSC_NOT_VERIFICATION, 1404, "datagram is not a MIKEY verification message with IDr") \
  X(MBMSEC_ERR_BMSC_SOURCE,     1405, "verification message not from the UE's registered address") \
  X(MBMSEC_ERR_BMSC_VERIFY,     1406, "verification message verifies against no try of the delivery") \
  /* membership 1500..1599 (lib/members: BM-SC register / deregister / msk-request decisions) */ \
  X(MBMSEC_ERR_MEMBERS_KEYNUM,  1500, "Key Group has used every key number (65535)") \
  X(MBMSEC_ERR_MEMBERS_GROUP_FULL, 1501, "Key Group already holds a current and a next MSK") \
  X(MBMSEC_ERR_MEMBERS_TOO_MANY, 1502, "more key groups or MSKs than the result can hold") \
  X(MBMSEC_ERR_MEMBERS_USE,     1503, "Key Group used by no service, or used in another Key Domain") \
  /* UE agent 1800..1899 (lib/ue agent*.c, src/ue run/status/leave) */ \
  X(MBMSEC_ERR_UE_AGENT_IMAGE,  1800, "UE agent state image malformed (magic, version, length, check value or contents)") \
  X(MBMSEC_ERR_UE_AGENT_SEQUENCE, 1801, "UE agent event out of order (no such request in flight, restore after start)") \
  X(MBMSEC_ERR_UE_AGENT_FULL,   1802, "UE agent holds no more services, MSKs or queued actions") \
  X(MBMSEC_ERR_UE_AGENT_ANNOUNCEMENT, 1803, "service announcement unusable by the agent (no session, Key Domain or too many Key Groups)") \
  X(MBMSEC_ERR_UE_AGENT_UNKNOWN_SERVICE, 1804, "no user service with that serviceId in the agent") \
  X(MBMSEC_ERR_UE_AGENT_CONFIG, 1805, "UE agent configuration file malformed") \
  /* BM-SC rotation and transmission 1900..1999 (lib/bmsc rotation scheduler, MTK/SRTP sender) */ \
  X(MBMSEC_ERR_BMSC_ROT_STATE,  1900, "rotation: the UE is not in the state that event needs (not planned, not pushed, or already settled)") \
  X(MBMSEC_ERR_BMSC_ROT_BUSY,   1901, "rotation: a push of that MSK is already in progress") \
  X(MBMSEC_ERR_BMSC_ROT_NO_MSK, 1902, "rotation: the Key Group has no MSK to push") \
  X(MBMSEC_ERR_BMSC_STREAM_NO_MSK, 1910, "stream: no MSK of the Key Group is valid now") \
  /* bulk-provisioning files 2000..2099 (lib/tools/bulk.c: subscriber CSV, IMPI list) */ \
  X(MBMSEC_ERR_BULK_LINE_LEN,   2000, "bulk file line longer than the limit") \
  X(MBMSEC_ERR_BULK_OCTET,      2001, "bulk file holds a NUL, control or non-ASCII octet") \
  X(MBMSEC_ERR_BULK_FIELDS,     2002, "bulk file line has too few or empty required fields") \
  X(MBMSEC_ERR_BULK_VALUE,      2003, "bulk file field malformed (not hex of its length, or too long)") \
  /* end */
// clang-format on

typedef enum {
#define MBMSEC_ERR_ENUM_(name, value, text) name = value,
  MBMSEC_ERROR_LIST(MBMSEC_ERR_ENUM_)
#undef MBMSEC_ERR_ENUM_
} mbmsec_err;

/* What kind of failure a code is: how a server answers it (docs/bmsc.md, "Errors to HTTP
 * statuses") without comparing names. Every code has exactly one class (mbmsec_err_class has
 * one case per code and no default: a new code without a class does not compile). */
typedef enum {
  MBMSEC_ERRCLASS_OK = 0,   /* success */
  MBMSEC_ERRCLASS_INPUT,    /* malformed or out-of-range input from outside (a parser refused it) */
  MBMSEC_ERRCLASS_REFUSED,  /* well-formed, refused by a security or protocol rule (MAC, replay) */
  MBMSEC_ERRCLASS_STATE,    /* not possible in the current state (not found, exists, busy) */
  MBMSEC_ERRCLASS_LIMIT,    /* a table, counter or number space is full */
  MBMSEC_ERRCLASS_CONFIG,   /* configuration invalid */
  MBMSEC_ERRCLASS_IO,       /* a peer, the network or a file failed (not the store) */
  MBMSEC_ERRCLASS_STORE,    /* the store failed (I/O, lock, damaged file, schema) */
  MBMSEC_ERRCLASS_NOMEM,    /* out of memory */
  MBMSEC_ERRCLASS_INTERNAL, /* a fault of this program or its platform (argument, crypto, random) */
  MBMSEC_ERRCLASS_COUNT
} mbmsec_errclass;

/* The class of a code; MBMSEC_ERRCLASS_INTERNAL for a value outside the list. */
mbmsec_errclass mbmsec_err_class(mbmsec_err err);
/* "ok", "input", "refused", "state", "limit", "config", "io", "store", "nomem", "internal";
 * never NULL. */
const char *mbmsec_errclass_name(mbmsec_errclass c);

/* A human-readable sentence for the code; never NULL. */
const char *mbmsec_strerror(mbmsec_err err);
/* The symbolic name, e.g. "MBMSEC_ERR_HEX"; never NULL. */
const char *mbmsec_errname(mbmsec_err err);

#endif
