/* mbmsec-ue usim init|show: the simulated USIM file (K, OPc, SQN_MS state). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mbmsec/milenage.h"
#include "mbmsec/ue.h"
#include "ue_cli.h"

static const char INIT_HELP[] =
    "Usage: mbmsec-ue usim init --usim FILE --k HEX (--op HEX | --opc HEX)\n"
    "                           [--sqn-ms HEX12] [--ind-len N]\n\n"
    "Creates the simulated USIM file FILE (mode 0600; refused if it exists).\n"
    "  --k HEX        subscriber key K, 32 hex digits\n"
    "  --op HEX       operator variant OP (OPc = OP xor E_K(OP) is stored), or\n"
    "  --opc HEX      OPc directly\n"
    "  --sqn-ms HEX12 SQN the card has already accepted, in every IND slot (default 0):\n"
    "                 SQNs with SEQ <= SEQ_MS are refused with a synchronisation failure\n"
    "  --ind-len N    IND bits of SQN, 0..8 (default 5, TS 33.102 Annex C)\n";

static const char SHOW_HELP[] =
    "Usage: mbmsec-ue usim show --usim FILE [--json] [--show-keys]\n\n"
    "Prints sqn_ms (highest accepted SEQ || IND), ind_len, delta, limit; with --show-keys\n"
    "also k and opc.\n";

static int usim_init(int argc, char **argv)
{
  const char *cmd = "usim init", *path = NULL, *k_s = NULL, *op_s = NULL, *opc_s = NULL,
             *sqn_s = NULL, *ind_s = NULL;
  bool help = false;
  const cli_opt opts[] = {{"--usim", &path, NULL},    {"--k", &k_s, NULL},
                          {"--op", &op_s, NULL},      {"--opc", &opc_s, NULL},
                          {"--sqn-ms", &sqn_s, NULL}, {"--ind-len", &ind_s, NULL}};
  int rc = cli_parse(cmd, argc, argv, opts, sizeof opts / sizeof opts[0], &help);
  if (rc != CLI_OK) return rc;
  if (help) {
    fputs(INIT_HELP, stdout);
    return CLI_OK;
  }
  if (!path || !k_s) return cli_usage_error(cmd, "--usim and --k are required");
  if (!op_s == !opc_s) return cli_usage_error(cmd, "give exactly one of --op and --opc");
  if (access(path, F_OK) == 0)
    return cli_fail(cmd, "'%s' exists already: a USIM file is never overwritten by init", path);
  uint8_t k[16], op[16], opc[16], sqn[6];
  uint64_t ind_len = MBMSEC_AKA_IND_LEN_DEFAULT;
  mbmsec_ue_usim u;
  memset(&u, 0, sizeof u);
  if (cli_hex_arg(cmd, "--k", k_s, k, 16, 16, NULL) ||
      (op_s && cli_hex_arg(cmd, "--op", op_s, op, 16, 16, NULL)) ||
      (opc_s && cli_hex_arg(cmd, "--opc", opc_s, opc, 16, 16, NULL)) ||
      (sqn_s && cli_hex_arg(cmd, "--sqn-ms", sqn_s, sqn, 6, 6, NULL)) ||
      (ind_s && cli_uint_arg(cmd, "--ind-len", ind_s, MBMSEC_AKA_IND_LEN_MAX, &ind_len))) {
    rc = CLI_USAGE;
    goto out;
  }
  mbmsec_err e = MBMSEC_OK;
  if (op_s) e = mbmsec_milenage_opc(k, op, opc);
  if (e == MBMSEC_OK) e = mbmsec_ue_usim_new(&u, k, opc, (uint32_t)ind_len, sqn_s ? sqn : NULL);
  if (e == MBMSEC_OK) e = mbmsec_ue_usim_save(path, &u, true);
  rc = e == MBMSEC_OK ? CLI_OK : cli_fail(cmd, "cannot create '%s': %s", path, mbmsec_strerror(e));
out:
  mbmsec_cleanse(k, sizeof k);
  mbmsec_cleanse(op, sizeof op);
  mbmsec_cleanse(opc, sizeof opc);
  mbmsec_ue_usim_cleanse(&u);
  return rc;
}

static int usim_show(int argc, char **argv)
{
  const char *cmd = "usim show", *path = NULL;
  bool help = false, json = false, keys = false;
  const cli_opt opts[] = {
      {"--usim", &path, NULL}, {"--json", NULL, &json}, {"--show-keys", NULL, &keys}};
  int rc = cli_parse(cmd, argc, argv, opts, sizeof opts / sizeof opts[0], &help);
  if (rc != CLI_OK) return rc;
  if (help) {
    fputs(SHOW_HELP, stdout);
    return CLI_OK;
  }
  if (!path) return cli_usage_error(cmd, "--usim is required");
  mbmsec_ue_usim u;
  mbmsec_err e = mbmsec_ue_usim_load(path, &u);
  if (e != MBMSEC_OK) return cli_fail(cmd, "'%s': %s", path, mbmsec_strerror(e));
  uint8_t sqn[6];
  char num[32];
  mbmsec_aka_usim_sqn_ms(&u.sqn, sqn);
  cli_out o;
  cli_out_begin(&o, json);
  cli_out_hex(&o, "sqn_ms", sqn, sizeof sqn);
  snprintf(num, sizeof num, "%u", (unsigned)u.sqn.ind_len);
  cli_out_str(&o, "ind_len", num);
  snprintf(num, sizeof num, "%llu", (unsigned long long)u.sqn.delta);
  cli_out_str(&o, "delta", num);
  snprintf(num, sizeof num, "%llu", (unsigned long long)u.sqn.limit);
  cli_out_str(&o, "limit", num);
  if (keys) {
    cli_out_hex(&o, "k", u.k, 16);
    cli_out_hex(&o, "opc", u.opc, 16);
  }
  cli_out_end(&o);
  mbmsec_ue_usim_cleanse(&u);
  return CLI_OK;
}

int cmd_usim(int argc, char **argv)
{
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    FILE *f = argc < 2 ? stderr : stdout;
    fprintf(f, "Usage: mbmsec-ue usim (init | show) [OPTIONS]\n\n%s\n%s", INIT_HELP, SHOW_HELP);
    return argc < 2 ? CLI_USAGE : CLI_OK;
  }
  if (!strcmp(argv[1], "init")) return usim_init(argc - 1, argv + 1);
  if (!strcmp(argv[1], "show")) return usim_show(argc - 1, argv + 1);
  return cli_usage_error("usim", "unknown action '%s' (init or show)", argv[1]);
}
