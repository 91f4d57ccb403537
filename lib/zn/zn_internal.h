/* Internal to lib/zn: the freeDiameter dictionary objects and the node life cycle shared by
 * the Zn server and client. Include only from the lib/zn sources (needs _GNU_SOURCE, set by
 * lib/zn/CMakeLists.txt for these files). */
#ifndef MBMSEC_ZN_INTERNAL_H
#define MBMSEC_ZN_INTERNAL_H

/* freeDiameter-host.h must precede libfdcore.h (else #error). */
#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>

#include "mbmsec/zn.h"

/* AVP codes (vendor 10415). */
enum {
  ZN_AVP_USS = 400,         /* GBA-UserSecSettings */
  ZN_AVP_TID = 401,         /* Transaction-Identifier */
  ZN_AVP_NAF_ID = 402,      /* NAF-Id */
  ZN_AVP_GSID = 403,        /* GAA-Service-Identifier */
  ZN_AVP_KEY_EXPIRY = 404,  /* Key-ExpiryTime */
  ZN_AVP_ME_KEY = 405,      /* ME-Key-Material */
  ZN_AVP_UICC_KEY = 406,    /* UICC-Key-Material */
  ZN_AVP_GBA_U_AWARE = 407, /* GBA_U-Awareness-Indicator */
  ZN_AVP_CREATION = 408,    /* BootstrapInfoCreationTime */
  ZN_AVP_GUSS_TS = 409,     /* GUSS-Timestamp */
  ZN_AVP_GBA_TYPE = 410,    /* GBA-Type */
};

struct zn_dict {
  struct dict_object *vendor, *app, *cmd_req, *cmd_ans;
  struct dict_object *uss, *tid, *naf_id, *gsid, *key_expiry, *me_key, *uicc_key, *gba_u_aware,
      *creation, *guss_ts, *gba_type;
  /* base protocol AVPs */
  struct dict_object *vsai, *vendor_id, *auth_app_id, *dest_realm, *dest_host, *user_name,
      *result_code, *exp_result, *exp_result_code;
};

/* The dictionary objects, valid after zn_dict_init. */
extern struct zn_dict zn_d;

/* Define vendor, application, commands and AVPs in fd_g_config->cnf_dict and declare
 * support of the Zn application. @return MBMSEC_OK, MBMSEC_ERR_ZN_STACK. */
mbmsec_err zn_dict_init(void);

/* Add Vendor-Specific-Application-Id {10415, 16777220} to msg. @return 0 or errno. */
/* Adds the grouped AVP `group` {Vendor-Id 10415, `member` = value} to msg (Vendor-Specific-
 * Application-Id, Experimental-Result). 0 or a freeDiameter error. */
int zn_add_vendor_group(struct msg *msg, struct dict_object *group, struct dict_object *member,
                        uint32_t value);
int zn_add_vsai(struct msg *msg);

/* Add an OctetString AVP (value copied). @return 0 or errno. */
int zn_add_os(struct msg *msg, struct dict_object *model, const void *data, size_t len);

/* Node life cycle (zn_conf.c). zn_node_begin: claim the one node of the process, install the
 * log handler, fd_core_initialize, write + parse the configuration, define the dictionary.
 * Between begin and zn_node_run the caller registers its handlers; zn_node_run pauses 100 ms,
 * starts the core and waits for start completion. zn_node_end shuts down and waits.
 * @return MBMSEC_OK or the codes of mbmsec_zn_server_start. */
mbmsec_err zn_node_begin(const mbmsec_zn_config *cfg);
mbmsec_err zn_node_run(void);
mbmsec_err zn_node_end(void);

/* Zn server listening socket (zn_listen.c): after fd_core_start, find the listening TCP
 * sockets of port in this process (waiting up to wait_ms for freeDiameter's listen()), set
 * the backlog to MBMSEC_ZN_LISTEN_BACKLOG and TCP_DEFER_ACCEPT, and with n_allow > 0 attach
 * a filter that drops segments from other IPv4 sources. *n_done = sockets changed.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_ZN_STACK (no such socket, or a call failed). */
mbmsec_err zn_listener_harden(uint16_t port, const uint32_t *allow, size_t n_allow,
                              unsigned wait_ms, size_t *n_done);

/* The reaper thread of the Zn server (zn_listen.c): every 100 ms it shuts down the
 * connections accepted on port that have received nothing 2 s after they were established.
 * zn_reaper_closed counts them. @return MBMSEC_OK, MBMSEC_ERR_NOMEM. */
struct zn_reaper;
mbmsec_err zn_reaper_start(uint16_t port, struct zn_reaper **out);
uint64_t zn_reaper_closed(const struct zn_reaper *r);
void zn_reaper_stop(struct zn_reaper *r); /* NULL: no-op */

/* Parse "a.b.c.d[,a.b.c.d...]" into out (network order); NULL list gives 0 addresses.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (bad literal, empty item, more than cap). */
mbmsec_err zn_parse_addrs(const char *list, uint32_t *out, size_t cap, size_t *n_out);

/* 1 if s is non-empty, at most max octets, printable ASCII without '"' and '\\'. */
int zn_safe_str(const char *s, size_t max);

#endif
