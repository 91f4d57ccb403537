/* mbmsec: the GBA bootstrapping server (BSF) engine: Ub (TS 33.220 4.5.2, TS 24.109, RFC 3310)
 * with a built-in HSS (the store's subscribers), and the Zn lookup (TS 29.109).
 *
 * No I/O: mbmsec_bsf_handle takes one HTTP request (method, request-target, Authorization,
 * User-Agent, body) and fills one response (status, header values, body, a reason for logs).
 * The HTTP server (src/bsf) only copies bytes in and out. Ub exchange (docs/bsf.md):
 *   GET / + Authorization: Digest username=IMPI, nonce="", response=""  -> 401 + AKA challenge
 *   GET / + Authorization: Digest ... response=H(RES)                    -> 200 + B-TID
 *   GET / + Authorization: Digest ... auts="..." (response with "")      -> 401 + new challenge
 *
 * Threads: one engine may be used by any number of threads at once (the pending-challenge
 * table has its own mutex; the store handle serialises itself). SQNs are advanced with the
 * store's compare-and-set, so concurrent bootstraps of one IMPI never share an SQN.
 * Secrets (XRES, CK, IK, K, OPc, Ks) live only in the engine's table and on the stack; both are
 * cleansed when dropped.
 */
#ifndef MBMSEC_BSF_H
#define MBMSEC_BSF_H
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/error.h"
#include "mbmsec/store.h"
#include "mbmsec/zn.h"

#define MBMSEC_BSF_FQDN_MAX              200  /* octets of the BSF host name (B-TID <= 255) */
#define MBMSEC_BSF_LIFETIME_DEFAULT      3600 /* seconds a bootstrap (Ks) stays valid */
#define MBMSEC_BSF_LIFETIME_MAX          (10 * 365 * 24 * 3600)
#define MBMSEC_BSF_CHALLENGE_TTL_DEFAULT 60   /* seconds a nonce may be answered */
#define MBMSEC_BSF_PENDING_DEFAULT       4096 /* outstanding challenges kept at most */
#define MBMSEC_BSF_PENDING_MAX           (1u << 20)
/* Outstanding challenges one IMPI may hold: a new one beyond it replaces that IMPI's oldest, so
 * a flood for one identity churns only its own entries and never evicts another subscriber's
 * (a refusal instead would tell a subscriber from an unknown IMPI, whose decoys are not kept). */
#define MBMSEC_BSF_PENDING_PER_IMPI_DEFAULT 8
/* Likewise per client address; 0 in the config = an eighth of the table (at least 1). */
#define MBMSEC_BSF_SOURCE_MAX 64   /* octets of a client address as text */
#define MBMSEC_BSF_TARGET_MAX 1024 /* octets of the request-target */
#define MBMSEC_BSF_UA_MAX     1024 /* octets of User-Agent */
/* Server header: the product token that announces TMPI support (TS 33.220 4.5.2). */
#define MBMSEC_BSF_SERVER       "mbmsec-bsf/0.1 3gpp-gba-tmpi"
#define MBMSEC_BSF_CONTENT_TYPE "application/vnd.3gpp.bsf+xml"
/* Ua security protocol id of MBMS (TS 33.220 H.3): a NAF_Id ending in it needs GSID 4. */
#define MBMSEC_BSF_GSID_MBMS 4u

typedef int64_t (*mbmsec_bsf_clock_fn)(void *user);

typedef struct {
  const char *fqdn;              /* realm and B-TID domain; letters, digits, '-', '.' (required) */
  uint32_t lifetime;             /* seconds; 0 = MBMSEC_BSF_LIFETIME_DEFAULT */
  uint32_t challenge_ttl;        /* seconds; 0 = MBMSEC_BSF_CHALLENGE_TTL_DEFAULT */
  uint32_t max_pending;          /* 0 = MBMSEC_BSF_PENDING_DEFAULT */
  uint32_t max_pending_per_impi; /* 0 = MBMSEC_BSF_PENDING_PER_IMPI_DEFAULT; <= max_pending */
  uint32_t max_pending_per_source; /* 0 = max_pending / 8 (at least 1); <= max_pending */
  uint32_t ind_len;                /* IND bits of the SQN (TS 33.102 C.1.2); 0 = 5, 255 = none */
  mbmsec_bsf_clock_fn clock;       /* Unix seconds; NULL = time(NULL). Tests move time with it */
  void *clock_user;
} mbmsec_bsf_config;

typedef struct mbmsec_bsf mbmsec_bsf;

/* One request. Strings are not NUL-terminated; NULL with length 0 = absent. */
typedef struct {
  const char *method;
  size_t method_len;
  const char *target; /* request-target of the request line */
  size_t target_len;
  const char *authorization; /* the Authorization header value; NULL = no header */
  size_t authorization_len;
  const char *user_agent;
  size_t user_agent_len;
  const uint8_t *body;
  size_t body_len;
  const char *source; /* the client's address (no port), for the per-source limit; */
  size_t source_len;  /* NULL = unknown (no per-source limit); cut at SOURCE_MAX */
} mbmsec_bsf_request;

/* One response. A header value that is "" is not sent. */
typedef struct {
  unsigned status; /* 200, 400, 401, 403, 500 */
  char www_authenticate[512];
  char authentication_info[256];
  const char *content_type; /* static string or NULL (no body) */
  const char *server;       /* MBMSEC_BSF_SERVER, always */
  char body[768];
  size_t body_len;
  char reason[192];                     /* for the log line; no key material */
  char impi[MBMSEC_STORE_IMPI_MAX + 1]; /* the username the request named ("" if none) */
  char btid[MBMSEC_STORE_BTID_MAX + 1]; /* the B-TID issued (200 only) */
} mbmsec_bsf_response;

/* Creates an engine over an open store (not owned; it must outlive the engine).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL pointer), MBMSEC_ERR_BSF_CONFIG (bad FQDN,
 * lifetime above MBMSEC_BSF_LIFETIME_MAX, max_pending above MBMSEC_BSF_PENDING_MAX, ind_len
 * above MBMSEC_AKA_IND_LEN_MAX), MBMSEC_ERR_NOMEM. *out is NULL on error. */
mbmsec_err mbmsec_bsf_new(const mbmsec_bsf_config *cfg, mbmsec_store *store, mbmsec_bsf **out);

/* Cleanses the pending challenges and frees the engine; NULL is a no-op. */
void mbmsec_bsf_free(mbmsec_bsf *bsf);

/* Number of challenges outstanding (expired ones included until they are swept). */
size_t mbmsec_bsf_pending_count(mbmsec_bsf *bsf);

/* What the pending table did under pressure since the engine started. */
typedef struct {
  uint64_t challenges;          /* challenges kept (decoys are not) */
  uint64_t replaced_per_impi;   /* a challenge replaced its IMPI's oldest (the per-IMPI limit) */
  uint64_t replaced_per_source; /* ... the oldest of its client address (per-source limit) */
  uint64_t evicted_full;        /* the table was full: the oldest entry of anyone went */
} mbmsec_bsf_stats;
/* Copies the counters; NULL bsf or out is a no-op. */
void mbmsec_bsf_stats_get(mbmsec_bsf *bsf, mbmsec_bsf_stats *out);

/* Handles one Ub request; *resp is always filled (status 500 on an internal failure).
 * Statuses: 401 + challenge (first request of a known IMPI; wrong RES; AUTS handled);
 * 200 + BootstrappingInfo + Authentication-Info (RES right: bootstrap stored);
 * 400 (malformed, oversize, non-GET, body present, wrong realm, algorithm, qop, uri, nc,
 * unknown/used/expired nonce, nonce of another IMPI); 403 (IMPI not a subscriber).
 * Nothing is stored and no SQN moves for a 400 or 403.
 * @return MBMSEC_OK (a protocol answer was decided, whatever its status), MBMSEC_ERR_ARG
 * (NULL pointer; resp untouched), or the internal failure behind a 500: MBMSEC_ERR_RANDOM,
 * MBMSEC_ERR_CRYPTO, MBMSEC_ERR_SQN_RANGE, MBMSEC_ERR_BSF_SQN_RETRIES, MBMSEC_ERR_STORE_*
 * (IO, BUSY, CORRUPT, EXISTS, ...), MBMSEC_ERR_SPACE. */
mbmsec_err mbmsec_bsf_handle(mbmsec_bsf *bsf, const mbmsec_bsf_request *req,
                             mbmsec_bsf_response *resp);

/* The Zn lookup (an mbmsec_zn_lookup_fn; user = the engine). Unknown, malformed or expired
 * B-TID -> 5403; an MBMS NAF_Id (ending in 01 00 00 00 01) for a subscriber whose USS lacks
 * GSID 4 -> 5402; else 2001 with IMPI, Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id as
 * received), Key-ExpiryTime, BootstrapInfoCreationTime and the USS as a ussList document.
 * @return MBMSEC_OK (answer in *out), MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, MBMSEC_ERR_CRYPTO,
 * MBMSEC_ERR_KDF_PARAM_LEN, MBMSEC_ERR_STORE_* (the server then answers 5012). */
mbmsec_err mbmsec_bsf_zn_lookup(const uint8_t *btid, size_t btid_len, const uint8_t *naf_id,
                                size_t naf_id_len, const mbmsec_zn_gsid *gsids, size_t n_gsids,
                                void *user, mbmsec_zn_lookup_result *out);

/* The value of the RFC 3310 auts directive of an Authorization value that
 * mbmsec_digest_parse_authorization accepted (the shared parser skips unknown directives).
 * *found = 1 and out/out_len set when present (decoded base64, must be 14 octets).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_DIGEST_SYNTAX, MBMSEC_ERR_DIGEST_DUPLICATE,
 * MBMSEC_ERR_DIGEST_QUOTING (auts not quoted), MBMSEC_ERR_BASE64, MBMSEC_ERR_LENGTH. */
mbmsec_err mbmsec_bsf_auts_find(const char *s, size_t len, int *found, uint8_t out[14]);

#endif
