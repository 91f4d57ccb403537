/* mbmsec-ue run: the agent's configuration file (docs/ue-agent.md "Configuration").
 * "key = value" lines, '#' comments, no sections, no quotes; unknown keys and repeated
 * single-valued keys are errors. Parsed from memory so the fuzzer can feed it. */
#ifndef MBMSEC_UE_AGENT_CONF_H
#define MBMSEC_UE_AGENT_CONF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/error.h"
#include "mbmsec/gba.h"

#define UE_CONF_PATH_MAX 512
#define UE_CONF_ANN_MAX  8
#define UE_CONF_TEXT_MAX (64 * 1024)

typedef struct {
  char state_dir[UE_CONF_PATH_MAX];                     /* required */
  char usim[UE_CONF_PATH_MAX];                          /* default <state_dir>/usim */
  char impi[256];                                       /* required */
  char bsf[UE_CONF_PATH_MAX];                           /* BSF URL, required */
  char bsf_realm[256];                                  /* default: host of bsf */
  char announcement[UE_CONF_ANN_MAX][UE_CONF_PATH_MAX]; /* USD files, at least one */
  size_t n_announcement;
  char bind[64];                    /* default 127.0.0.1 */
  uint32_t mikey_port;              /* P6, default 2269 */
  char naf_fqdn[256];               /* default: host of the serverURI */
  mbmsec_mrk_muk_mode mrk_muk_mode; /* P1, default kdf */
  uint32_t http_timeout_ms;         /* default 10000 */
  uint32_t retry_first_ms, retry_max_ms, retry_tries, mikey_wait_ms, msk_grace_ms;
  char output[UE_CONF_PATH_MAX]; /* decrypted payload: file, "-" = stdout, "" = none */
  bool log_keys;                 /* print MTKs in the timeline (debugging only) */
} ue_agent_conf;

/* Parses text[0..len); defaults filled in. On error err gets "line N: what".
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_AGENT_CONFIG. */
mbmsec_err ue_agent_conf_parse(const char *text, size_t len, ue_agent_conf *out, char *err,
                               size_t err_cap);

#endif
