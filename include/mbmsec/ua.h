/* mbmsec: the BM-SC side of HTTP Digest on Ua (TS 33.246, RFC 7616, profile P1/P12) as a
 * protocol engine without I/O (library part `mbmsec_ua`, lib/ua; docs/ua-auth.md).
 *
 * mbmsec_ua_check takes one request (method, request-target, Authorization value, body) and
 * returns a decision: 200 (authenticated: B-TID, IMPI, MUK and what Authentication-Info
 * needs), 401 (challenge values, stale flag), 400, 403 or 503, each with a reason. The order
 * of the checks is http-ua.md section 3 steps 1-7:
 *   1 Authorization missing, not Digest, algorithm not configured, qop not auth-int, realm
 *     not ours                                    -> 401 fresh challenge
 *     (any other syntax error of the header       -> 400)
 *   2 uri != request-target (byte for byte)       -> 400
 *   3 nonce never issued by this server           -> 401 fresh challenge
 *   4 B-TID -> Ks_NAF: cache, else the lookup callback (Zn):
 *     5401/5403, Key-ExpiryTime passed            -> 401 fresh challenge, no stale
 *     5402                                        -> 403
 *     3002 or a failed callback                   -> 503; any other result code -> 503
 *   5 MRK (P1), expected response over H(body), constant-time compare; mismatch -> 401
 *   6 nonce older than the lifetime, digest right -> 401 stale=true, new nonce
 *   7 nc not above the highest accepted for the nonce, or the nonce's nc state was evicted
 *                                                 -> 401 stale=true, new nonce
 * The engine never calls Zn itself: the caller supplies mbmsec_ua_lookup_fn.
 *
 * Nonces are base64(issue time (8) || serial (8) || random (16) || tag (16)) with tag =
 * HMAC-SHA-256(per-server secret, first 32 octets) truncated to 16: the engine recognises its
 * own nonces and their age without storing them. Only the highest nc per nonce is kept, in a
 * ring of max_nonces entries (the oldest nonce's state goes first); memory is bounded. Nonces
 * do not survive a restart (new secret): a UE then gets a fresh 401 and bootstraps again.
 *
 * Threads: one server may be used by any number of threads at once. One mutex guards the
 * nonce ring and the Zn cache; it is never held while hashing, while calling the clock or the
 * lookup callback. Counters are atomics. Two threads that miss the cache for the same B-TID at
 * once both call the lookup (the second answer replaces the first entry).
 * Secrets (Ks_NAF, MRK, MUK, HA1) live in the cache, on the stack and in a 200 decision; all
 * are cleansed when dropped (cache eviction, expiry, mbmsec_ua_free,
 * mbmsec_ua_decision_cleanse).
 */
#ifndef MBMSEC_UA_H
#define MBMSEC_UA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/digest.h"
#include "mbmsec/error.h"
#include "mbmsec/gba.h"
#include "mbmsec/zn.h"

#define MBMSEC_UA_FQDN_MAX       253  /* octets of the BM-SC host name */
#define MBMSEC_UA_ALGS_MAX       2    /* SHA-256 and MD5, each at most once */
#define MBMSEC_UA_BTID_MAX       255  /* octets of a B-TID (username) */
#define MBMSEC_UA_NONCES_DEFAULT 4096 /* nonces whose nc state is kept */
#define MBMSEC_UA_NONCES_MAX     (1u << 22)
#define MBMSEC_UA_CACHE_DEFAULT  4096 /* B-TIDs kept in the Zn cache */
#define MBMSEC_UA_CACHE_MAX      (1u << 22)
#define MBMSEC_UA_NONCE_LEN      64  /* characters of a nonce (base64 of 48 octets) */
#define MBMSEC_UA_CHALLENGE_MAX  512 /* one WWW-Authenticate value with its NUL */
/* Authentication-Info with its NUL: a cnonce of MBMSEC_DIGEST_VALUE_MAX octets, each escaped */
#define MBMSEC_UA_AUTH_INFO_MAX (2 * MBMSEC_DIGEST_VALUE_MAX + 256)

typedef int64_t (*mbmsec_ua_clock_fn)(void *user);

/* What the lookup fills in; zeroed by the engine before the call. */
typedef struct {
  uint32_t result;                   /* MBMSEC_ZN_SUCCESS, _IDENTITY_UNKNOWN,
                                          _NOT_AUTHORIZED, _TRANSACTION_ID_INVALID,
                                          _UNABLE_TO_DELIVER, or any other Diameter code */
  char impi[MBMSEC_ZN_IMPI_MAX + 1]; /* success: User-Name (NUL-terminated) */
  size_t impi_len;
  uint8_t ks_naf[MBMSEC_ZN_KS_NAF_LEN]; /* success: ME-Key-Material; cleansed by the engine */
  int64_t key_expiry;                   /* success: Key-ExpiryTime, Unix seconds */
} mbmsec_ua_zn_result;

/* Zn Bootstrapping-Info lookup for (B-TID, NAF_Id = FQDN || 01 00 00 00 01). Called from the
 * thread of mbmsec_ua_check, without the engine's lock (several at once: be thread-safe).
 * A return other than MBMSEC_OK is treated as "BSF unreachable" (503). */
typedef mbmsec_err (*mbmsec_ua_lookup_fn)(const char *btid, size_t btid_len, const uint8_t *naf_id,
                                          size_t naf_id_len, void *user, mbmsec_ua_zn_result *out);

typedef struct {
  const char *fqdn;                           /* BM-SC host as in the key-management URI (required):
                                      letters, digits, '-', '.' */
  mbmsec_digest_alg algs[MBMSEC_UA_ALGS_MAX]; /* challenge order; only SHA-256 and MD5 */
  size_t n_algs;             /* 0 = SHA-256 then MD5 (MBMSEC_HTTP_DIGEST_ALGS_DEFAULT) */
  uint32_t nonce_lifetime_s; /* 0 = MBMSEC_HTTP_NONCE_LIFETIME_S_DEFAULT (300) */
  mbmsec_mrk_muk_mode mode;  /* P1: MBMSEC_MRK_MUK_KDF (0, default) or _NONE */
  uint32_t max_nonces;       /* 0 = MBMSEC_UA_NONCES_DEFAULT */
  uint32_t max_cache;        /* 0 = MBMSEC_UA_CACHE_DEFAULT */
  mbmsec_ua_clock_fn clock;  /* Unix seconds; NULL = time(NULL) */
  void *clock_user;
  mbmsec_ua_lookup_fn lookup; /* required */
  void *lookup_user;
} mbmsec_ua_config;

typedef struct mbmsec_ua mbmsec_ua;

/* Why a decision was taken; index of mbmsec_ua_stats.failures. */
typedef enum {
  MBMSEC_UA_R_OK = 0,
  MBMSEC_UA_R_NO_AUTH,        /* 401: no Authorization header */
  MBMSEC_UA_R_NOT_DIGEST,     /* 401: another auth-scheme */
  MBMSEC_UA_R_ALGORITHM,      /* 401: algorithm unknown or not configured */
  MBMSEC_UA_R_QOP,            /* 401: qop absent or not auth-int */
  MBMSEC_UA_R_REALM,          /* 401: realm not ours */
  MBMSEC_UA_R_MALFORMED,      /* 400: Authorization syntax error */
  MBMSEC_UA_R_URI,            /* 400: uri differs from the request-target */
  MBMSEC_UA_R_NONCE_UNKNOWN,  /* 401: nonce not issued by this server */
  MBMSEC_UA_R_BTID_UNKNOWN,   /* 401: Zn 5401 or 5403, or a B-TID over 255 octets */
  MBMSEC_UA_R_KEY_EXPIRED,    /* 401: Key-ExpiryTime passed */
  MBMSEC_UA_R_NOT_AUTHORIZED, /* 403: Zn 5402 */
  MBMSEC_UA_R_ZN_UNREACHABLE, /* 503: Zn 3002, or the lookup failed */
  MBMSEC_UA_R_ZN_ERROR,       /* 503: another Zn result code */
  MBMSEC_UA_R_MISMATCH,       /* 401: response does not verify */
  MBMSEC_UA_R_STALE,          /* 401 stale: nonce older than the lifetime */
  MBMSEC_UA_R_NC_REPLAY,      /* 401 stale: nc not above the highest accepted */
  MBMSEC_UA_R_NONCE_EVICTED,  /* 401 stale: the nonce's nc state was dropped (ring full) */
  MBMSEC_UA_R_INTERNAL,       /* 500: random or crypto failure */
  MBMSEC_UA_R_COUNT
} mbmsec_ua_reason;

/* One request. Strings are not NUL-terminated; NULL with length 0 = absent/empty. */
typedef struct {
  const char *method; /* e.g. "POST" (hashed as is into A2) */
  size_t method_len;
  const char *target; /* request-target of the request line, incl. the query */
  size_t target_len;
  const char *authorization; /* Authorization header value; NULL = no header */
  size_t authorization_len;
  const uint8_t *body; /* entity body after de-chunking */
  size_t body_len;
} mbmsec_ua_request;

/* The decision. 401: challenge[0..n_challenges-1] are the WWW-Authenticate values to send, in
 * order (each one header). 200: the remaining fields; it holds MUK and HA1 (secret): cleanse
 * it with mbmsec_ua_decision_cleanse once done. */
typedef struct {
  unsigned status; /* 200, 400, 401, 403, 500, 503 */
  mbmsec_ua_reason reason;
  bool stale; /* 401 only */
  size_t n_challenges;
  char challenge[MBMSEC_UA_ALGS_MAX][MBMSEC_UA_CHALLENGE_MAX];
  /* 200 only: */
  char btid[MBMSEC_UA_BTID_MAX + 1];
  size_t btid_len;
  char impi[MBMSEC_ZN_IMPI_MAX + 1];
  size_t impi_len;
  uint8_t muk[MBMSEC_GBA_KEY_LEN]; /* for MIKEY (secret) */
  int64_t key_expiry;
  mbmsec_digest_alg alg;
  mbmsec_digest_qop qop; /* always MBMSEC_DIGEST_QOP_AUTH_INT */
  char nonce[MBMSEC_UA_NONCE_LEN + 1];
  char nc[9];
  uint32_t nc_value;
  char cnonce[MBMSEC_DIGEST_VALUE_MAX + 1];
  size_t cnonce_len;
  char uri[MBMSEC_DIGEST_VALUE_MAX + 1];
  size_t uri_len;
  char ha1[MBMSEC_DIGEST_HEX_MAX + 1]; /* secret: for rspauth */
} mbmsec_ua_decision;

/* Counters since mbmsec_ua_new (a consistent-enough snapshot: each is read atomically). */
typedef struct {
  uint64_t challenges;                  /* 401s sent with a new nonce (all kinds) */
  uint64_t stale;                       /* of which stale=true */
  uint64_t successes;                   /* 200 decisions */
  uint64_t failures[MBMSEC_UA_R_COUNT]; /* by reason; [MBMSEC_UA_R_OK] stays 0 */
  uint64_t lookups;                     /* lookup callback calls */
  uint64_t cache_hits;
  uint64_t nonces_issued;
  size_t cache_entries; /* now */
  size_t nonces_kept;   /* now: nonces with nc state in the ring */
} mbmsec_ua_stats;

/* Creates a server context. cfg is copied (fqdn included).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL pointer), MBMSEC_ERR_UA_CONFIG (fqdn missing, empty,
 * too long or with other characters; no lookup; an algorithm other than SHA-256/MD5 or twice;
 * n_algs above MBMSEC_UA_ALGS_MAX; unknown mode; max_nonces or max_cache above the maxima),
 * MBMSEC_ERR_NOMEM, MBMSEC_ERR_RANDOM. *out is NULL on error. */
mbmsec_err mbmsec_ua_new(const mbmsec_ua_config *cfg, mbmsec_ua **out);

/* Cleanses the cache and the nonce secret and frees the server; NULL is a no-op. No thread
 * may be inside another mbmsec_ua_* call on it. */
void mbmsec_ua_free(mbmsec_ua *ua);

/* Parses the config value http.digest_algs ("SHA-256,MD5", case-insensitive, optional spaces
 * around commas) into cfg->algs / cfg->n_algs.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL pointer), MBMSEC_ERR_UA_CONFIG (empty, unknown or
 * disallowed name, a name twice, more than MBMSEC_UA_ALGS_MAX). */
mbmsec_err mbmsec_ua_algs_parse(const char *s, mbmsec_ua_config *cfg);

/* Fills dec as a 401 with a fresh nonce (stale as given): the answer to a request that did
 * not try to authenticate, e.g. before mbmsec_ua_check is worth calling. Counts a challenge.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_RANDOM, MBMSEC_ERR_CRYPTO, MBMSEC_ERR_SPACE
 * (dec->status is 500 on an error other than MBMSEC_ERR_ARG). */
mbmsec_err mbmsec_ua_challenge(mbmsec_ua *ua, bool stale, mbmsec_ua_decision *dec);

/* Checks one request (steps 1-7 above); dec is always filled when ua, req and dec are not
 * NULL. @return MBMSEC_OK (a protocol decision: 200, 400, 401, 403 or 503 in dec->status),
 * MBMSEC_ERR_ARG (NULL pointer, or a string NULL with a length; dec untouched if NULL), or the
 * internal failure behind dec->status 500: MBMSEC_ERR_RANDOM, MBMSEC_ERR_CRYPTO,
 * MBMSEC_ERR_SPACE, MBMSEC_ERR_KDF_PARAM_LEN. */
mbmsec_err mbmsec_ua_check(mbmsec_ua *ua, const mbmsec_ua_request *req, mbmsec_ua_decision *dec);

/* The Authentication-Info value of the 200 that answers the request of dec:
 * qop=auth-int, rspauth over resp_body (NULL = empty), cnonce, nc and, when nextnonce is true,
 * a newly issued nonce. NUL-terminated into out; *outlen (may be NULL) gets its length.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL pointer), MBMSEC_ERR_UA_DECISION (dec is not a 200
 * of this engine), MBMSEC_ERR_SPACE, MBMSEC_ERR_RANDOM, MBMSEC_ERR_CRYPTO,
 * MBMSEC_ERR_DIGEST_* (a field the builder refuses; not expected). */
mbmsec_err mbmsec_ua_auth_info(mbmsec_ua *ua, const mbmsec_ua_decision *dec,
                               const uint8_t *resp_body, size_t resp_body_len, bool nextnonce,
                               char *out, size_t cap, size_t *outlen);

/* The MUK of a B-TID without a request: step 4 alone (the cache, else the lookup, whose
 * answer is then cached as for a request). For a BM-SC that pushes to a UE registered before
 * it restarted (the MUK is kept in memory only). *reason is MBMSEC_UA_R_OK with muk and impi
 * (NUL-terminated, 1..MBMSEC_ZN_IMPI_MAX octets) filled, or why not: BTID_UNKNOWN (also a
 * B-TID of 0 or over 255 octets), KEY_EXPIRED, NOT_AUTHORIZED, ZN_UNREACHABLE, ZN_ERROR; then
 * muk and impi are zeroed. Counts a lookup or a cache hit, not a decision.
 * @return MBMSEC_OK (see *reason), MBMSEC_ERR_ARG (NULL pointer), MBMSEC_ERR_CRYPTO or
 * MBMSEC_ERR_KDF_PARAM_LEN (the MRK/MUK derivation; *reason MBMSEC_UA_R_INTERNAL). */
mbmsec_err mbmsec_ua_btid_muk(mbmsec_ua *ua, const char *btid, size_t btid_len,
                              uint8_t muk[MBMSEC_GBA_KEY_LEN], char impi[MBMSEC_ZN_IMPI_MAX + 1],
                              mbmsec_ua_reason *reason);

/* Zeroises a decision (MUK, HA1). NULL is a no-op. */
void mbmsec_ua_decision_cleanse(mbmsec_ua_decision *dec);

/* Counter snapshot. NULL arguments: no-op. */
void mbmsec_ua_stats_get(mbmsec_ua *ua, mbmsec_ua_stats *out);

/* Failed checks of this B-TID while it is in the cache (digest mismatch counted per B-TID,
 * http-ua.md step 5); 0 when not cached. */
uint32_t mbmsec_ua_btid_failures(mbmsec_ua *ua, const char *btid, size_t btid_len);

/* Drops a B-TID from the cache (keys cleansed); the next request asks Zn again.
 * @return true when it was cached. */
bool mbmsec_ua_cache_drop(mbmsec_ua *ua, const char *btid, size_t btid_len);

/* Short name of a reason ("nonce-unknown", ...), for logs and metric labels; never NULL. */
const char *mbmsec_ua_reason_name(mbmsec_ua_reason r);

#endif
