/* mbmsec: the BM-SC key request function (TS 33.246 6.3.2; http-ua.md section 3 steps 1-9;
 * profile P2, P3, P4, P6, P12, P15) as one engine without I/O: one HTTP request in (method,
 * raw request-target, Authorization, Content-Type, body, the client's IPv4 address), one
 * answer out (status, WWW-Authenticate / Authentication-Info, Content-Type, body) plus what the
 * MIKEY side has to do: the UE to (re)register with its MUK and address, the MSKs to deliver
 * to it, and after a deregister the Key Groups whose pending deliveries to it stop. Static
 * library mbmsec_bmsc_keyreq (lib/bmsc/bmsc_keyreq.c; docs/bmsc.md "Requests").
 *
 * Order of the checks (the status of the first that refuses):
 *   0 request-target not MBMSEC_KM_PATH "?requesttype=" register|deregister|msk-request  -> 404
 *     method not POST                                                             -> 405
 *     body over MBMSEC_BMSC_KR_BODY_MAX                                           -> 413
 *   1-7 the Digest check of lib/ua (ua.h, docs/ua-auth.md): 401 with two challenges
 *     (stale or not), 400, 403, 503; 500 on an internal failure
 *     authenticated, but the client's address is not IPv4 (P6 needs it for MIKEY)  -> 400
 *   8 Content-Type not the requesttype's media type (parameters ignored)         -> 400
 *     body not a document of the requesttype (lib/xml refuses it)                 -> 400
 *   9 per-item decisions of lib/members over the store (P4, P15)                 -> 200 with
 *     the per-item document and Authentication-Info (rspauth over the body)
 *   A failure after step 7 maps by its error class (mbmsec_err_class): INPUT -> 400, any
 *   other class (store, memory, internal) -> 500.
 *
 * The Zn lookup is the caller's callback in the Ua configuration (mbmsec_ua_lookup_fn): the
 * engine itself does no I/O besides the store (a library object, as in lib/members).
 *
 * Speed: no allocation per request. Each calling thread gets, on its first request, a scratch
 * set (the P3 lists, the push set, the answer body: some 400 KiB), an msk-request cache of
 * lib/members and, when store_uri names a file, a read-only store handle of its own for
 * msk-requests; the set is freed when the thread exits (or with the engine). The answer's
 * body and delivery lists point into the calling thread's scratch: they stay valid until the
 * thread's next request to the engine. Stage times (Digest, XML, store) are read from the
 * cpu_ns callback on one authenticated request in stage_sample per thread, and reported
 * multiplied by stage_sample (an unbiased estimate of the totals); no clock read otherwise.
 *
 * Threads: any number of threads may call mbmsec_bmsc_kr_handle at once. mbmsec_bmsc_kr_free
 * only when no thread is inside the engine or exiting after having used it.
 */
#ifndef MBMSEC_BMSC_KEYREQ_H
#define MBMSEC_BMSC_KEYREQ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/bmsc_delivery.h"
#include "mbmsec/error.h"
#include "mbmsec/members.h"
#include "mbmsec/store.h"
#include "mbmsec/ua.h"
#include "mbmsec/xml.h"

#define MBMSEC_BMSC_KR_BODY_MAX             MBMSEC_XML_DOC_MAX /* octets of a request body (413 above) */
#define MBMSEC_BMSC_KR_STAGE_SAMPLE_DEFAULT 64u

typedef struct mbmsec_bmsc_kr mbmsec_bmsc_kr;

/* requesttype of P2; MBMSEC_BMSC_KR_NONE for a target that names none. */
typedef enum {
  MBMSEC_BMSC_KR_NONE = -1,
  MBMSEC_BMSC_KR_REGISTER = 0,
  MBMSEC_BMSC_KR_DEREGISTER = 1,
  MBMSEC_BMSC_KR_MSK = 2,
} mbmsec_bmsc_kr_type;

/* Stages of a key request timed for the cost split (docs/BENCHMARKS.md). */
typedef enum {
  MBMSEC_BMSC_KR_STAGE_DIGEST = 0, /* Ua check and Authentication-Info */
  MBMSEC_BMSC_KR_STAGE_XML = 1,    /* parse and build */
  MBMSEC_BMSC_KR_STAGE_STORE = 2,  /* lib/members' decisions */
  MBMSEC_BMSC_KR_STAGE_N
} mbmsec_bmsc_kr_stage;

/* The calling thread's CPU time in nanoseconds (e.g. CLOCK_THREAD_CPUTIME_ID). */
typedef uint64_t (*mbmsec_bmsc_kr_cpu_fn)(void *user);
/* A rare condition worth a log line (no key material): e.g. a thread's own store handle could
 * not be opened and its msk-requests use the shared handle. */
typedef void (*mbmsec_bmsc_kr_warn_fn)(void *user, const char *msg, mbmsec_err code);

typedef struct {
  mbmsec_ua_config ua;          /* the Digest engine (fqdn, algorithms, nonce lifetime, P1 mode,
                                  clock, Zn lookup: required); its clock also gives the
                                  membership decisions their "now" */
  mbmsec_store *store;          /* membership store (required, not owned; outlives the engine) */
  const char *store_uri;        /* the same store's URI: each thread opens a handle of its own
                                  for msk-requests. NULL, or a ":memory:" store (another handle
                                  would be another database): msk-requests use store */
  uint16_t ue_mikey_port;       /* P6: the MIKEY port recorded with a registration; 0 =
                                  MBMSEC_MIKEY_UDP_PORT_DEFAULT */
  mbmsec_bmsc_kr_cpu_fn cpu_ns; /* stage timer; NULL = no stage times */
  void *cpu_user;
  unsigned stage_sample;       /* time one request in N per thread; 0 = 64 */
  mbmsec_bmsc_kr_warn_fn warn; /* optional */
  void *warn_user;
} mbmsec_bmsc_kr_config;

/* One request. Strings are not NUL-terminated; NULL with length 0 = absent. */
typedef struct {
  const char *method;
  size_t method_len;
  const char *target; /* request-target of the request line, byte for byte */
  size_t target_len;
  const char *authorization; /* Authorization header value; NULL = no header */
  size_t authorization_len;
  const char *content_type; /* Content-Type header value; NULL = no header */
  size_t content_type_len;
  const uint8_t *body; /* entity body after de-chunking */
  size_t body_len;
  uint64_t body_seen; /* octets of body the client sent, when the adapter kept fewer
                                  than that (it need keep none over the maximum); 0 = body_len */
  uint32_t ipv4;      /* the client's IPv4 address, host order; 0 = not IPv4 */
} mbmsec_bmsc_kr_request;

/* One answer. Pointers stay valid until the calling thread's next request to the engine (the
 * WWW-Authenticate values until the response itself is reused). Holds the MUK of an
 * authenticated request: mbmsec_bmsc_kr_response_cleanse after use. */
typedef struct {
  unsigned status;           /* 200 400 401 403 404 405 413 500 503 */
  mbmsec_bmsc_kr_type type;  /* the requesttype of the target */
  bool ua_checked;           /* the Digest check ran: reason and dec are set */
  mbmsec_ua_reason reason;   /* the Digest check's reason (MBMSEC_UA_R_OK when it passed) */
  mbmsec_err code;           /* why an authenticated request ended in 400/500 (the first
                                    failed step's code), else MBMSEC_OK */
  size_t n_www_authenticate; /* 401: the WWW-Authenticate values, each one header, in order */
  const char *www_authenticate[MBMSEC_UA_ALGS_MAX];
  char authentication_info[MBMSEC_UA_AUTH_INFO_MAX]; /* 200: the header value; else "" */
  const char *content_type; /* 200: the body's media type; else NULL (no body) */
  const char *body;         /* 200: the per-item document (thread scratch) */
  size_t body_len;
  unsigned items_ok; /* items answered 200 (counted also when the answer became 500) */
  uint64_t stage_ns[MBMSEC_BMSC_KR_STAGE_N]; /* sampled stage times x stage_sample; else 0 */
  /* What the MIKEY side does. When set_ue (a 200 with an item of register or msk-request
   * answered 200): (re)register the UE dec.btid with dec.muk at ipv4 of the request and
   * ue_mikey_port, then deliver each MSK of deliver (by identity: the key is read from the
   * store). cancel (deregister only; whatever the status, as the store already changed): the
   * Key Groups whose pending deliveries to dec.btid stop (mbmsec_bmsc_kr_cancel). */
  bool set_ue;
  const mbmsec_members_push *deliver; /* NULL or the list (n may be 0) */
  const mbmsec_members_stop *cancel;  /* NULL or the list */
  mbmsec_ua_decision dec; /* the Digest decision when ua_checked (200: B-TID, IMPI, MUK) */
} mbmsec_bmsc_kr_response;

/* Creates the engine and its Ua engine (mbmsec_ua_new with cfg->ua).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL pointer, store NULL, stage_sample above 65536),
 * the codes of mbmsec_ua_new (MBMSEC_ERR_UA_CONFIG, ...), MBMSEC_ERR_NOMEM. *out NULL on
 * error. */
mbmsec_err mbmsec_bmsc_kr_new(const mbmsec_bmsc_kr_config *cfg, mbmsec_bmsc_kr **out);
/* Frees the engine, its Ua engine and every thread's scratch; NULL is a no-op. */
void mbmsec_bmsc_kr_free(mbmsec_bmsc_kr *kr);
/* The engine's Ua engine, for a MUK without a request (mbmsec_ua_btid_muk) and its stats. */
mbmsec_ua *mbmsec_bmsc_kr_ua(mbmsec_bmsc_kr *kr);

/* The requesttype of a request-target "/keymanagement?requesttype=X" (exact bytes). */
mbmsec_bmsc_kr_type mbmsec_bmsc_kr_type_of(const char *target, size_t len);

/* Handles one key request; *resp is always filled when kr, req and resp are not NULL.
 * @return MBMSEC_OK (a protocol answer, whatever its status), MBMSEC_ERR_ARG (NULL pointer;
 * resp untouched if NULL), or the internal failure behind a 500 (also in resp->code). */
mbmsec_err mbmsec_bmsc_kr_handle(mbmsec_bmsc_kr *kr, const mbmsec_bmsc_kr_request *req,
                                 mbmsec_bmsc_kr_response *resp);

/* Stops the pending deliveries the answer's cancel list names (deregister) in the delivery
 * engine; *cancelled (may be NULL) gets the number of deliveries and pulls cancelled. A UE
 * the delivery engine does not know has nothing pending.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG. */
mbmsec_err mbmsec_bmsc_kr_cancel(mbmsec_bmsc_dl *dl, const mbmsec_bmsc_kr_response *resp,
                                 size_t *cancelled);

/* Zeroises the decision (MUK, HA1) when the Digest check ran; NULL is a no-op. */
void mbmsec_bmsc_kr_response_cleanse(mbmsec_bmsc_kr_response *resp);

#endif
