/* mbmsec: Zn reference point (TS 29.109 Bootstrapping-Info-Request/Answer) over freeDiameter.
 *
 * Library part `mbmsec_zn` (links libfdcore/libfdproto). A BSF runs a Zn server, a BM-SC (NAF)
 * a Zn client; both are Diameter nodes over TCP (profile P14, no SCTP): plain TCP by default,
 * TLS (RFC 6733 TLS on connect) when the config names a certificate, key and trusted peer
 * certificate (scripts/zn-certs makes them).
 *
 * freeDiameter keeps its state in process globals and can be initialised only once per
 * process: a process holds at most ONE Zn node (server or client), started once; after the
 * stop function a second start fails with MBMSEC_ERR_ZN_STATE. Restarting a node means
 * starting a new process.
 *
 * Secrets: the Ks_NAF buffers this module owns are cleansed with mbmsec_cleanse; the copies
 * freeDiameter makes while encoding or parsing a message are outside its control.
 */
#ifndef MBMSEC_ZN_H
#define MBMSEC_ZN_H

#include <stddef.h>
#include <stdint.h>

#include "mbmsec/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Protocol constants (gba.md section 4). */
#define MBMSEC_ZN_VENDOR_3GPP 10415u
#define MBMSEC_ZN_APP_ID      16777220u /* 3GPP Zn */
#define MBMSEC_ZN_CMD_BI      310u      /* Bootstrapping-Info-Request/-Answer */
#define MBMSEC_ZN_KS_NAF_LEN  32        /* ME-Key-Material (Ks_NAF, GBA_ME) */
#define MBMSEC_ZN_GSID_MBMS   "4"       /* GAA-Service-Identifier of MBMS */

/* Result codes carried in mbmsec_zn_answer.result and mbmsec_zn_lookup_result.result. */
#define MBMSEC_ZN_SUCCESS                2001u /* DIAMETER_SUCCESS (Result-Code) */
#define MBMSEC_ZN_UNABLE_TO_DELIVER      3002u /* BSF unreachable (local answer or timeout) */
#define MBMSEC_ZN_UNABLE_TO_COMPLY       5012u /* server-side failure (Result-Code) */
#define MBMSEC_ZN_IDENTITY_UNKNOWN       5401u /* Experimental-Result-Code */
#define MBMSEC_ZN_NOT_AUTHORIZED         5402u /* Experimental-Result-Code */
#define MBMSEC_ZN_TRANSACTION_ID_INVALID 5403u /* Experimental-Result-Code */

/* Size limits of this implementation. */
#define MBMSEC_ZN_IMPI_MAX      255 /* octets of User-Name (IMPI) kept */
#define MBMSEC_ZN_GSID_MAX      16  /* GAA-Service-Identifier AVPs passed to the lookup */
#define MBMSEC_ZN_IDENTITY_MAX  255 /* Diameter Identity / realm length */
#define MBMSEC_ZN_PEER_ADDR_MAX 16  /* addresses in mbmsec_zn_config.accept_addrs */

/* Zn server listening socket (docs/bsf.md, "Zn under a connection flood"): the kernel backlog
 * (freeDiameter's own is 5) and the TCP_DEFER_ACCEPT time: a connection that sends nothing is
 * not handed to freeDiameter before that long (the kernel rounds it up to its SYN-ACK
 * retransmission steps). */
#define MBMSEC_ZN_LISTEN_BACKLOG 1024
#define MBMSEC_ZN_DEFER_ACCEPT_S 60

/* Log levels (the freeDiameter ones). */
#define MBMSEC_ZN_LOG_DEBUG  1
#define MBMSEC_ZN_LOG_NOTICE 3
#define MBMSEC_ZN_LOG_ERROR  5
#define MBMSEC_ZN_LOG_FATAL  6
#define MBMSEC_ZN_LOG_NONE   7

/* One formatted stack log line (no trailing newline). Called from any stack thread. */
typedef void (*mbmsec_zn_log_fn)(int level, const char *line, void *user);

/* Node configuration. Strings are NUL-terminated, printable ASCII without '"' or '\\'
 * (they go into the freeDiameter configuration file); they are copied at start. */
typedef struct {
  const char *identity;      /* local Diameter Identity, e.g. "bsf.zn.test" (required) */
  const char *realm;         /* local realm, e.g. "zn.test" (required) */
  uint16_t port;             /* server: TCP listen port (required, > 0); client: ignored (0) */
  const char *listen_addr;   /* server: IPv4 literal to bind (e.g. "127.0.0.1"); NULL = all */
  const char *accept_peer;   /* server: Identity of the one client accepted; NULL = any */
  const char *accept_addrs;  /* server: comma-separated IPv4 literals (at most
                                MBMSEC_ZN_PEER_ADDR_MAX) the clients connect from; segments
                                from any other source, SYNs included, are dropped by a socket
                                filter. NULL = any source */
  const char *peer_identity; /* client: the BSF's Diameter Identity (required) */
  const char *peer_realm;    /* client: Destination-Realm; NULL = realm */
  const char *peer_addr;     /* client: the BSF's IPv4 or IPv6 literal (required) */
  uint16_t peer_port;        /* client: the BSF's port (required, > 0) */
  int tc_timer;              /* seconds before re-dialling a failed peer; 0 = 2. A client
                                doubles it after each failed attempt in a row, up to
                                tc_timer_max, and starts again from tc_timer once connected
                                (freeDiameter adds -2..+2 s to each delay) */
  int tc_timer_max;          /* client: the back-off's cap in seconds; 0 = 30 (at least
                                tc_timer) */
  const char *conf_dir;      /* directory for "<identity>.fd.conf" (kept); NULL = a temporary
                                file in $TMPDIR or /tmp, removed once parsed */
  const char *tls_cert;      /* TLS: this node's certificate (PEM, CN = identity); NULL = no TLS */
  const char *tls_key;       /* TLS: its private key (PEM); required with tls_cert */
  const char *tls_ca;        /* TLS: the peer certificate (or CA) trusted; required with tls_cert.
                                With TLS the server listens on `port` for TLS only and the
                                client dials the peer's port with TLS. */
  int log_level;             /* MBMSEC_ZN_LOG_*: lines below it are dropped; 0 = ERROR */
  mbmsec_zn_log_fn log_cb;   /* NULL: lines at or above log_level go to stderr */
  void *log_user;
} mbmsec_zn_config;

/* ---- configuration file ---- */

/* Write the freeDiameter configuration file of the node described by cfg into the directory
 * dir as "<dir>/<identity>.fd.conf"; the path is stored in path (NUL-terminated). The node is
 * a client when cfg->peer_identity is set (ConnectPeer, Port = 0), else a server.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (missing or unsafe field), MBMSEC_ERR_SPACE (path_cap),
 *         MBMSEC_ERR_ZN_CONF (I/O error). */
mbmsec_err mbmsec_zn_conf_write(const mbmsec_zn_config *cfg, const char *dir, char *path,
                                size_t path_cap);

/* ---- server (BSF) ---- */

typedef struct {
  const uint8_t *data; /* GAA-Service-Identifier octets, e.g. "4" */
  size_t len;
} mbmsec_zn_gsid;

/* What the lookup callback fills in. The server has zeroed it before the call. */
typedef struct {
  uint32_t result;                   /* MBMSEC_ZN_SUCCESS, _IDENTITY_UNKNOWN, _NOT_AUTHORIZED,
                               _TRANSACTION_ID_INVALID; anything else answers 5012 */
  char impi[MBMSEC_ZN_IMPI_MAX + 1]; /* User-Name (success only) */
  size_t impi_len;
  uint8_t ks_naf[MBMSEC_ZN_KS_NAF_LEN]; /* ME-Key-Material (success only); cleansed after use */
  int64_t key_expiry;                   /* Key-ExpiryTime, Unix seconds (success only; required) */
  int64_t bootstrap_time;               /* BootstrapInfoCreationTime, Unix seconds; 0 = omitted */
  uint8_t *uss;                         /* GBA-UserSecSettings (XML), allocated with malloc by the
                               callback; the server frees it. NULL = omitted */
  size_t uss_len;
} mbmsec_zn_lookup_result;

/* Called on a stack thread (several at once: make it thread-safe) for each BIR. naf_id is the
 * raw NAF-Id (FQDN || Ua security protocol id), gsids the request's GAA-Service-Identifiers.
 * The callback decides authorisation (e.g. USS without GSID 4 for an MBMS NAF-Id -> 5402).
 * A return other than MBMSEC_OK answers DIAMETER_UNABLE_TO_COMPLY (5012). */
typedef mbmsec_err (*mbmsec_zn_lookup_fn)(const uint8_t *btid, size_t btid_len,
                                          const uint8_t *naf_id, size_t naf_id_len,
                                          const mbmsec_zn_gsid *gsids, size_t n_gsids, void *user,
                                          mbmsec_zn_lookup_result *out);

typedef struct mbmsec_zn_server mbmsec_zn_server;

/* Start the BSF node: listen on cfg->port, accept the client cfg->accept_peer (any if NULL)
 * without TLS, answer every BIR through lookup. Returns once the stack has started.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, MBMSEC_ERR_SPACE, MBMSEC_ERR_ZN_CONF,
 *         MBMSEC_ERR_ZN_STATE (a node was already started in this process),
 *         MBMSEC_ERR_ZN_STACK (freeDiameter failed, e.g. port in use). */
mbmsec_err mbmsec_zn_server_start(const mbmsec_zn_config *cfg, mbmsec_zn_lookup_fn lookup,
                                  void *user, mbmsec_zn_server **out);

/* Number of BIRs answered so far. */
uint64_t mbmsec_zn_server_count(const mbmsec_zn_server *srv);

/* Connections on the Zn port shut down by the server because they sent nothing within 2 s of
 * being handed to freeDiameter (idle-connection flood; docs/bsf.md). */
uint64_t mbmsec_zn_server_idle_closed(const mbmsec_zn_server *srv);

/* Shut the node down (fd_core_shutdown + wait) and free srv. NULL is a no-op.
 * @return MBMSEC_OK, MBMSEC_ERR_ZN_STACK. */
mbmsec_err mbmsec_zn_server_stop(mbmsec_zn_server *srv);

/* ---- client (BM-SC) ---- */

typedef struct {
  uint32_t result;                   /* Result-Code or Experimental-Result-Code: 2001, 5401, 5402,
                               5403, 3002 (= BSF unreachable), or another Diameter code */
  int experimental;                  /* 1 if result came in Experimental-Result */
  char impi[MBMSEC_ZN_IMPI_MAX + 1]; /* User-Name, NUL-terminated ("" if absent) */
  size_t impi_len;
  int has_ks_naf; /* 1 if ME-Key-Material (32 octets) was present */
  uint8_t ks_naf[MBMSEC_ZN_KS_NAF_LEN];
  int64_t key_expiry;     /* Key-ExpiryTime, Unix seconds (0 if absent) */
  int64_t bootstrap_time; /* BootstrapInfoCreationTime, Unix seconds (0 if absent) */
  uint8_t *uss;           /* GBA-UserSecSettings (malloc, NUL-terminated), or NULL */
  size_t uss_len;
} mbmsec_zn_answer;

/* Cleanse ks_naf and free uss; the answer may be reused. NULL is a no-op. */
void mbmsec_zn_answer_clear(mbmsec_zn_answer *ans);

typedef struct mbmsec_zn_client mbmsec_zn_client;

/* Start the BM-SC node and begin dialling cfg->peer_identity at cfg->peer_addr:peer_port.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, MBMSEC_ERR_SPACE, MBMSEC_ERR_ZN_CONF,
 *         MBMSEC_ERR_ZN_STATE, MBMSEC_ERR_ZN_STACK. */
mbmsec_err mbmsec_zn_client_start(const mbmsec_zn_config *cfg, mbmsec_zn_client **out);

/* Wait until the Diameter connection to the BSF is open (CER/CEA done).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_ZN_TIMEOUT. */
mbmsec_err mbmsec_zn_client_wait_open(mbmsec_zn_client *cl, unsigned timeout_ms);

/* Send one BIR {Transaction-Identifier = btid, NAF-Id = naf_id, GAA-Service-Identifier =
 * gsid (NUL-terminated, NULL = none)} and wait for the BIA. Thread-safe: any number of threads
 * may call it at once. ans is overwritten (clear it with mbmsec_zn_answer_clear).
 * A BSF that is not connected gives MBMSEC_OK with ans->result 3002 at once; no answer within
 * timeout_ms gives MBMSEC_ERR_ZN_TIMEOUT with ans->result 3002 as well.
 * @return MBMSEC_OK (an answer, whatever its result), MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM,
 *         MBMSEC_ERR_ZN_TIMEOUT, MBMSEC_ERR_ZN_ANSWER (ME-Key-Material not 32 octets, a
 *         success without Key-ExpiryTime, or no result code), MBMSEC_ERR_ZN_STACK. */
mbmsec_err mbmsec_zn_bir(mbmsec_zn_client *cl, const uint8_t *btid, size_t btid_len,
                         const uint8_t *naf_id, size_t naf_id_len, const char *gsid,
                         unsigned timeout_ms, mbmsec_zn_answer *ans);

/* 1 if the Diameter connection to the BSF is open now (CER/CEA done), else 0 (also for NULL).
 * Cheap (a peer look-up); safe from any thread while cl is alive: for readiness and metrics. */
int mbmsec_zn_client_connected(const mbmsec_zn_client *cl);

/* The Zn link as the client sees it. */
typedef struct {
  int up;                 /* mbmsec_zn_client_connected */
  uint64_t connects;      /* connections opened (CER/CEA done) since the start */
  uint64_t failures;      /* failed attempts and broken connections since the start */
  unsigned failed_in_row; /* failed attempts since the last open connection */
  unsigned retry_s;       /* the delay before the next attempt (back-off), seconds */
} mbmsec_zn_link;

/* Fill out with the link state. NULL cl gives all zero. */
void mbmsec_zn_client_link(const mbmsec_zn_client *cl, mbmsec_zn_link *out);

/* Shut the node down (fd_core_shutdown + wait) and free cl. Call it only when no thread is
 * in mbmsec_zn_bir. NULL is a no-op.
 * @return MBMSEC_OK, MBMSEC_ERR_ZN_STACK. */
mbmsec_err mbmsec_zn_client_stop(mbmsec_zn_client *cl);

#ifdef __cplusplus
}
#endif

#endif
