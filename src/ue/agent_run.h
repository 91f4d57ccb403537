/* mbmsec-ue run / status / leave: what the daemon and its two client commands share
 * (src/ue/admin.c): file names in the state directory, the status file, the control
 * datagram. */
#ifndef MBMSEC_UE_AGENT_RUN_H
#define MBMSEC_UE_AGENT_RUN_H
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/ue_agent.h"
#include "ue_srtp_rx.h"

#define UE_AGENT_CONTROL_MAX 300 /* "leave " + serviceId */

/* <dir>/agent.state, bootstrap, status, status.json, control (each cap octets).
 * @return 0, -1 when a path does not fit. */
int ue_agent_paths(const char *dir, char *state, char *boot, char *status, char *status_json,
                   char *control, size_t cap);
/* Writes the status (text and JSON) atomically. Errors are ignored: status is advisory. */
void ue_agent_write_status(const mbmsec_ue_agent *a, const ue_srtp_rx *rx, const char *path,
                           const char *path_json, int64_t now_ms);
/* "leave SERVICE" (one line, optional '\n'): the serviceId into sid.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (anything else). */
mbmsec_err ue_agent_control_parse(const char *msg, size_t len, char sid[MBMSEC_XML_URI_MAX + 1]);

int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_leave(int argc, char **argv);

#endif
