/* mbmsec: the UE side of GBA_ME bootstrapping over Ub (TS 33.220, TS 24.109, RFC 3310).
 *
 * Three layers, each testable on its own:
 *  - a simulated USIM (K, OPc, the SQN_MS state of mbmsec/aka.h) kept in a file;
 *  - the Ub client engine (ub_client.c): no I/O, it eats 401 / 200 header values and bodies
 *    and produces the next Authorization value;
 *  - the driver (ue_bootstrap.c) that runs the engine over a transport (libcurl, or a test
 *    double), persists the USIM before it answers a challenge and the bootstrap result
 *    {B-TID, Ks, RAND, IMPI, lifetime} after the 200 OK.
 * Files are written atomically (temporary file, fsync, rename, fsync of the directory) with
 * mode 0600 and read strictly: a malformed file is refused and nothing changes.
 * Every secret buffer owned by this part is cleansed; callers cleanse the structs below with
 * the *_cleanse functions.
 * The UE's requests to a BM-SC over Ua are mbmsec/ue_km.h, its MIKEY receiver mbmsec/ue_mikey.h.
 */
#ifndef MBMSEC_UE_H
#define MBMSEC_UE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mbmsec/aka.h"
#include "mbmsec/digest.h"
#include "mbmsec/error.h"
#include "mbmsec/gba.h"

#define MBMSEC_UE_ID_MAX        255   /* IMPI, B-TID, realm: octets */
#define MBMSEC_UE_FILE_MAX      16384 /* USIM and UE state files */
#define MBMSEC_UE_BODY_MAX      16384 /* BootstrappingInfo body cap */
#define MBMSEC_UE_WWW_AUTH_MAX  4     /* WWW-Authenticate values looked at in one 401 */
#define MBMSEC_UE_AUTH_SIZE     (MBMSEC_DIGEST_HEADER_MAX + 64) /* Authorization value buffer */
#define MBMSEC_UE_RESYNC_MAX    1                               /* AUTS rounds per bootstrap */
#define MBMSEC_UE_CONTENT_TYPE  "application/vnd.3gpp.bsf+xml"
#define MBMSEC_UE_PRODUCT_TOKEN "3gpp-gba-tmpi"
#define MBMSEC_UE_GBA_NS        "uri:3gpp-gba"

/* ---------------------------------------------------------------- simulated USIM */

typedef struct {
  uint8_t k[16];
  uint8_t opc[16];
  mbmsec_aka_usim_state sqn;
} mbmsec_ue_usim;

/* A fresh USIM. sqn_ms (may be NULL = all zero) is taken as the SQN the card has already
 * accepted in every IND slot: SEQ = sqn_ms >> ind_len goes into each slot, so that any SQN
 * with SEQ <= that is refused whatever its IND (a card ahead of the HSS).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL key, ind_len > MBMSEC_AKA_IND_LEN_MAX). */
mbmsec_err mbmsec_ue_usim_new(mbmsec_ue_usim *u, const uint8_t k[16], const uint8_t opc[16],
                              uint32_t ind_len, const uint8_t sqn_ms[6]);

/* Text form of the file (exact layout, see docs/ue.md), NUL-terminated.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE. out holds keys: cleanse it. */
mbmsec_err mbmsec_ue_usim_format(const mbmsec_ue_usim *u, char *out, size_t cap, size_t *len);
/* Strict parse of that text. On error *u is zeroised.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_FILE_FORMAT. */
mbmsec_err mbmsec_ue_usim_parse(const char *text, size_t len, mbmsec_ue_usim *u);
/* Loads a USIM file. @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_FILE_IO (missing,
 * unreadable, over MBMSEC_UE_FILE_MAX), MBMSEC_ERR_UE_FILE_FORMAT. */
mbmsec_err mbmsec_ue_usim_load(const char *path, mbmsec_ue_usim *u);
/* Writes it atomically with mode 0600; exclusive = fail if the file exists.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE, MBMSEC_ERR_UE_FILE_IO. */
mbmsec_err mbmsec_ue_usim_save(const char *path, const mbmsec_ue_usim *u, bool exclusive);
void mbmsec_ue_usim_cleanse(mbmsec_ue_usim *u);

/* ---------------------------------------------------------------- files */

/* Atomic replace: path.XXXXXX temporary in the same directory, write, fsync, rename, fsync
 * of the directory; mode 0600. exclusive: refuse when path exists (checked with link(2) so
 * that two creators cannot both win). @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_FILE_IO. */
mbmsec_err mbmsec_ue_file_write(const char *path, const void *data, size_t len, bool exclusive);
/* Reads at most cap - 1 octets and NUL-terminates; a larger file is an error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_FILE_IO. */
mbmsec_err mbmsec_ue_file_read(const char *path, char *buf, size_t cap, size_t *len);

/* ---------------------------------------------------------------- bootstrap result */

typedef struct {
  char impi[MBMSEC_UE_ID_MAX + 1];
  char btid[MBMSEC_UE_ID_MAX + 1];
  uint8_t rand[MBMSEC_GBA_RAND_LEN];
  uint8_t ks[MBMSEC_GBA_KS_LEN]; /* CK || IK */
  int64_t lifetime;              /* Unix seconds, UTC */
} mbmsec_ue_bootstrap;

/* @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE. out holds Ks: cleanse it. */
mbmsec_err mbmsec_ue_state_format(const mbmsec_ue_bootstrap *b, char *out, size_t cap, size_t *len);
/* @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_FILE_FORMAT (*b zeroised). */
mbmsec_err mbmsec_ue_state_parse(const char *text, size_t len, mbmsec_ue_bootstrap *b);
/* @return as mbmsec_ue_usim_load. */
mbmsec_err mbmsec_ue_state_load(const char *path, mbmsec_ue_bootstrap *b);
/* Atomic, 0600. @return as mbmsec_ue_usim_save. */
mbmsec_err mbmsec_ue_state_save(const char *path, const mbmsec_ue_bootstrap *b);
void mbmsec_ue_bootstrap_cleanse(mbmsec_ue_bootstrap *b);

/* Ks_NAF for NAF_Id = naf_fqdn || 01 00 00 00 01 (MBMS Ua), then MRK and MUK (profile P1,
 * mode). now >= lifetime is refused (now < 0: no check). Outputs zero on error.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_EXPIRED, MBMSEC_ERR_KDF_PARAM_LEN,
 * MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_ue_naf_keys(const mbmsec_ue_bootstrap *b, const char *naf_fqdn,
                              mbmsec_mrk_muk_mode mode, int64_t now,
                              uint8_t ks_naf[MBMSEC_GBA_KEY_LEN], uint8_t mrk[MBMSEC_GBA_KEY_LEN],
                              uint8_t muk[MBMSEC_GBA_KEY_LEN]);

/* ---------------------------------------------------------------- BootstrappingInfo */

/* Parses the 200 OK body (libxml2 with XML_PARSE_NONET, no entity substitution, no DTD
 * loading, XML_PARSE_NO_XXE where the library has it; any DOCTYPE refused). Root
 * BootstrappingInfo in namespace uri:3gpp-gba with exactly one btid (printable ASCII without
 * space, containing '@', at most MBMSEC_UE_ID_MAX) and one lifetime (xs:dateTime with Z or
 * an offset, converted to UTC seconds); elements of other namespaces are ignored.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, MBMSEC_ERR_UE_XML. */
mbmsec_err mbmsec_ue_bsf_info_parse(const uint8_t *body, size_t len,
                                    char btid[MBMSEC_UE_ID_MAX + 1], int64_t *lifetime);
/* xs:dateTime "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)" to Unix seconds (fraction
 * dropped; not before 1970 UTC). @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_XML. */
mbmsec_err mbmsec_ue_datetime_parse(const char *s, size_t len, int64_t *out);

/* ---------------------------------------------------------------- Ub client engine */

typedef enum {
  MBMSEC_UB_IDLE = 0,   /* after init: call mbmsec_ub_client_first */
  MBMSEC_UB_SENT_FIRST, /* initial request sent: expect a 401 */
  MBMSEC_UB_SENT_AUTS,  /* AUTS sent: expect a new 401 */
  MBMSEC_UB_SENT_RES,   /* response with RES sent: expect the 200 */
  MBMSEC_UB_DONE,       /* bootstrap result available */
  MBMSEC_UB_FAILED,     /* terminal */
} mbmsec_ub_state;

typedef struct {
  mbmsec_ub_state state;
  mbmsec_ue_usim *usim; /* borrowed; its SQN state changes when a challenge is accepted */
  bool usim_dirty;      /* set when the USIM state changed: persist before sending */
  unsigned resyncs;
  char impi[MBMSEC_UE_ID_MAX + 1];
  char realm_hint[MBMSEC_UE_ID_MAX + 1]; /* realm of the first request (BSF FQDN) */
  char uri[MBMSEC_UE_ID_MAX + 1];
  /* The challenge being answered (copied: the 401 buffer does not outlive the call). */
  char realm[MBMSEC_DIGEST_VALUE_MAX + 1];
  char nonce[MBMSEC_DIGEST_VALUE_MAX + 1];
  char opaque[MBMSEC_DIGEST_VALUE_MAX + 1];
  bool has_opaque;
  char cnonce[33];
  char nc[9];
  uint8_t rand[16];
  uint8_t res[8];         /* secret: the Digest password */
  uint8_t ck[16], ik[16]; /* secret */
  mbmsec_ue_bootstrap result;
} mbmsec_ub_client;

/* @param uri the request-target of every Ub request ("/" in TS 24.109; NULL = "/").
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL, IMPI/realm/uri empty, over MBMSEC_UE_ID_MAX or
 * not printable ASCII). */
mbmsec_err mbmsec_ub_client_init(mbmsec_ub_client *c, mbmsec_ue_usim *usim, const char *impi,
                                 const char *bsf_realm, const char *uri);
/* Authorization of the first request: Digest username="IMPI", realm="...", nonce="",
 * uri="/", response="". @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_SEQUENCE,
 * MBMSEC_ERR_SPACE. */
mbmsec_err mbmsec_ub_client_first(mbmsec_ub_client *c, char *out, size_t cap, size_t *len);
/* A 401: the WWW-Authenticate values (n of them; values that are not a Digest AKAv1-MD5
 * challenge are skipped). Runs the USIM check and writes the next Authorization:
 *  - AUTN accepted: response with RES, qop=auth-int over the empty body, fresh cnonce,
 *    nc=00000001; usim_dirty set (persist the USIM before sending);
 *  - sync failure: auts="base64(AUTS)" with the response over an empty password; the next
 *    answer must be a new 401 (once: a second sync failure is MBMSEC_ERR_UE_RESYNC);
 *  - MAC failure: nothing to send, the client fails, the USIM state is untouched.
 * A 401 after the RES was sent means the BSF refused it (MBMSEC_ERR_UE_REFUSED).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_SEQUENCE, MBMSEC_ERR_UE_NO_CHALLENGE,
 * MBMSEC_ERR_UE_NONCE, MBMSEC_ERR_AKA_MAC, MBMSEC_ERR_UE_RESYNC, MBMSEC_ERR_UE_REFUSED,
 * MBMSEC_ERR_RANDOM, MBMSEC_ERR_CRYPTO, MBMSEC_ERR_SPACE and the builder's Digest codes. */
mbmsec_err mbmsec_ub_client_on_401(mbmsec_ub_client *c, const mbmsec_digest_str *www_auth, size_t n,
                                   char *out, size_t cap, size_t *len);
/* The 200 OK: Authentication-Info (NULL/empty = missing) is checked first (qop=auth-int,
 * our cnonce and nc, rspauth with RES as password over the exact body, constant time), then
 * the body is parsed; content_type, when not NULL, must be application/vnd.3gpp.bsf+xml
 * (parameters after ';' ignored). On success c->result is complete.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_SEQUENCE, MBMSEC_ERR_UE_RSPAUTH,
 * MBMSEC_ERR_UE_HTTP_STATUS, MBMSEC_ERR_UE_XML, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_ub_client_on_200(mbmsec_ub_client *c, const char *auth_info, size_t auth_info_len,
                                   const char *content_type, const uint8_t *body, size_t body_len);
/* Zeroises everything (RES, CK, IK, Ks). */
void mbmsec_ub_client_cleanse(mbmsec_ub_client *c);

/* ---------------------------------------------------------------- transport and driver */

/* One HTTP answer as the driver needs it. The transport owns the storage. */
typedef struct {
  long status;
  size_t n_www_auth;
  mbmsec_digest_str www_auth[MBMSEC_UE_WWW_AUTH_MAX];
  mbmsec_digest_str auth_info; /* len 0 = absent */
  const char *content_type;    /* NULL = absent */
  const uint8_t *body;
  size_t body_len;
} mbmsec_ue_http_answer;

/* Sends one Ub GET with the given Authorization value and fills *ans (valid until the next
 * call). @return MBMSEC_OK or MBMSEC_ERR_UE_HTTP (or another code of the transport). */
typedef mbmsec_err (*mbmsec_ue_exchange_fn)(void *ctx, const char *authorization,
                                            mbmsec_ue_http_answer *ans);

typedef struct {
  const char *impi;
  const char *realm;      /* realm of the first request: the BSF FQDN */
  const char *uri;        /* NULL = "/" */
  const char *usim_path;  /* loaded, and saved before each accepted challenge is answered */
  mbmsec_ue_usim *usim;   /* instead of usim_path (NULL then): an in-memory card, updated */
  const char *state_path; /* NULL = do not save the result */
  mbmsec_ue_exchange_fn exchange;
  void *exchange_ctx;
} mbmsec_ue_bootstrap_cfg;

/* What happened, for messages and tests. */
typedef struct {
  unsigned exchanges; /* HTTP round trips */
  unsigned resyncs;   /* AUTS sent */
  long last_status;
} mbmsec_ue_bootstrap_info;

/* A complete bootstrap. On success *out holds the result and it is saved to state_path.
 * On failure the state file is untouched and *out zeroised; the USIM file changes only when a
 * challenge was accepted. A 403 from the BSF is MBMSEC_ERR_UE_REFUSED.
 * @return MBMSEC_OK, the codes of mbmsec_ue_usim_load, mbmsec_ub_client_* and the transport,
 * MBMSEC_ERR_UE_HTTP_STATUS (status other than 401/200/403, or a 401 without a challenge). */
mbmsec_err mbmsec_ue_bootstrap_run(const mbmsec_ue_bootstrap_cfg *cfg, mbmsec_ue_bootstrap *out,
                                   mbmsec_ue_bootstrap_info *info);

/* libcurl transport. url: http(s)://host[:port]/path. timeout_ms bounds each request
 * (connect: min(timeout, 5 s)). User-Agent "mbmsec-ue/0.1 3gpp-gba-tmpi"; the Authorization
 * header is ours (curl's own authentication stays off); no redirects; body capped at
 * MBMSEC_UE_BODY_MAX. */
typedef struct mbmsec_ue_http mbmsec_ue_http;
/* @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, MBMSEC_ERR_UE_HTTP (curl init). */
mbmsec_err mbmsec_ue_http_new(const char *url, long timeout_ms, mbmsec_ue_http **out);
void mbmsec_ue_http_free(mbmsec_ue_http *h);
/* An mbmsec_ue_exchange_fn; ctx is the mbmsec_ue_http. */
mbmsec_err mbmsec_ue_http_exchange(void *ctx, const char *authorization,
                                   mbmsec_ue_http_answer *ans);
/* curl's message for the last failed exchange ("" if none). */
const char *mbmsec_ue_http_error(const mbmsec_ue_http *h);
/* Host part and path of an URL (for the default realm and uri).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (not a parseable http(s) URL), MBMSEC_ERR_SPACE. */
mbmsec_err mbmsec_ue_url_parts(const char *url, char *host, size_t host_cap, char *path,
                               size_t path_cap);
/* The answer header fields the Ub and Ua engines read (WWW-Authenticate, at most
 * MBMSEC_UE_WWW_AUTH_MAX; Authentication-Info and Content-Type, once each), collected by every
 * transport that reads headers (lib/ue's libcurl transports, mbmsec-load's own client). */
typedef struct {
  size_t n_www;
  char www[MBMSEC_UE_WWW_AUTH_MAX][MBMSEC_DIGEST_HEADER_MAX + 1];
  char auth_info[MBMSEC_DIGEST_HEADER_MAX + 1];
  bool has_auth_info;
  char content_type[256];
  bool has_content_type;
} mbmsec_ue_http_fields;

void mbmsec_ue_http_fields_reset(mbmsec_ue_http_fields *f);
/* Takes one header line (line[0..n), CRLF or not): 1 when it is one of the fields above and was
 * kept, 0 when it is another header, -1 when it cannot be kept (over its cap, one
 * WWW-Authenticate too many, or a second Authentication-Info or Content-Type: which one would
 * count?). */
int mbmsec_ue_http_fields_line(mbmsec_ue_http_fields *f, const char *line, size_t n);
/* *ans from the fields, the status and the body (pointers into f and body). */
void mbmsec_ue_http_fields_answer(const mbmsec_ue_http_fields *f, long status, const uint8_t *body,
                                  size_t body_len, mbmsec_ue_http_answer *ans);
/* One received header line (line[0..n), CRLF or not): true and *v, *vn its value when its
 * field name is name (case-insensitive), for the transports that read headers themselves. */
bool mbmsec_ue_header_is(const char *line, size_t n, const char *name, const char **v, size_t *vn);
/* The value v[0..n) without surrounding white space (SP, HTAB, CR, LF) into dst with a NUL;
 * false when it does not fit in cap. */
bool mbmsec_ue_header_value(const char *v, size_t n, char *dst, size_t cap);
/* curl_global_init and xmlInitParser; call once from the main thread before threads.
 * @return MBMSEC_OK, MBMSEC_ERR_UE_HTTP. */
mbmsec_err mbmsec_ue_global_init(void);
void mbmsec_ue_global_cleanup(void);

#endif
