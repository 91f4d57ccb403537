/* `mbmsec milenage`: Milenage f1..f5* and AUTN, AUTS creation and AUTS checks. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "mbmsec/aka.h"
#include "mbmsec/crypto.h"
#include "mbmsec/milenage.h"

static const char CMD[] = "milenage";

static void usage(void)
{
  printf("Usage: mbmsec milenage --k HEX (--op HEX | --opc HEX) --rand HEX --sqn HEX --amf HEX "
         "[--json]\n"
         "       mbmsec milenage --k HEX (--op HEX | --opc HEX) --rand HEX --sqn-ms HEX [--json]\n"
         "       mbmsec milenage --k HEX (--op HEX | --opc HEX) --rand HEX --auts HEX [--json]\n"
         "\n"
         "Milenage (3GPP TS 35.206) and UMTS AKA tokens (TS 33.102).\n"
         "\n"
         "  --k HEX       subscriber key K, 16 octets\n"
         "  --op HEX      operator variant OP, 16 octets (OPc = OP xor E_K(OP) is computed)\n"
         "  --opc HEX     OPc, 16 octets (instead of --op)\n"
         "  --rand HEX    RAND, 16 octets\n"
         "  --sqn HEX     SQN, 6 octets (with --amf: compute every function)\n"
         "  --amf HEX     AMF, 2 octets\n"
         "  --sqn-ms HEX  SQN_MS, 6 octets: print auts = (SQN_MS xor AK*) || MAC-S (USIM side)\n"
         "  --auts HEX    AUTS, 14 octets: verify MAC-S and print sqn_ms (AuC side);\n"
         "                exit status 1 if MAC-S does not verify\n"
         "  --json        print one JSON object instead of name=hex lines\n"
         "  --help        this text\n"
         "\n"
         "Default output, one name=hex line each, in this order:\n"
         "  opc, mac_a (f1), mac_s (f1*), res (f2), ck (f3), ik (f4), ak (f5), ak_star (f5*),\n"
         "  autn = (SQN xor AK) || AMF || MAC-A\n"
         "Exit status: 0 success, 1 verification failure, 2 usage error.\n");
}

/* One hex option: its name, where it goes, how long it must be, and whether it was seen. */
typedef struct {
  const char *name;
  uint8_t *buf;
  size_t len;
  bool seen;
} hex_opt;

enum { O_K, O_OP, O_OPC, O_RAND, O_SQN, O_AMF, O_SQN_MS, O_AUTS, O_COUNT };

static int parse(int argc, char **argv, hex_opt *opts, bool *json)
{
  const char *names[O_COUNT], *vals[O_COUNT] = {0};
  bool help = false;
  for (int j = 0; j < O_COUNT; j++) names[j] = opts[j].name;
  if (cli_parse_values(CMD, argc, argv, names, vals, O_COUNT, json, &help) != CLI_OK)
    return CLI_USAGE;
  for (int j = 0; j < O_COUNT; j++) {
    if (!vals[j]) continue;
    if (cli_hex_arg(CMD, opts[j].name, vals[j], opts[j].buf, opts[j].len, opts[j].len, NULL))
      return CLI_USAGE;
    opts[j].seen = true;
  }
  return CLI_OK;
}

int cmd_milenage(int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage();
      return CLI_OK;
    }
  uint8_t k[16], op[16], opc[16], rand[16], sqn[6], amf[2], sqn_ms[6], auts[14];
  hex_opt opts[O_COUNT] = {
      {"--k", k, 16, false},          {"--op", op, 16, false},     {"--opc", opc, 16, false},
      {"--rand", rand, 16, false},    {"--sqn", sqn, 6, false},    {"--amf", amf, 2, false},
      {"--sqn-ms", sqn_ms, 6, false}, {"--auts", auts, 14, false},
  };
  bool json = false;
  int rc = parse(argc, argv, opts, &json);
  if (rc != CLI_OK) goto out;

  rc = CLI_USAGE;
  const bool vec = opts[O_SQN].seen || opts[O_AMF].seen;
  const int modes = vec + opts[O_SQN_MS].seen + opts[O_AUTS].seen;
  if (!opts[O_K].seen)
    cli_usage_error(CMD, "--k is required");
  else if (opts[O_OP].seen == opts[O_OPC].seen)
    cli_usage_error(CMD, "give exactly one of --op and --opc");
  else if (!opts[O_RAND].seen)
    cli_usage_error(CMD, "--rand is required");
  else if (modes != 1)
    cli_usage_error(CMD, "give --sqn and --amf, or --sqn-ms, or --auts (exactly one)");
  else if (vec && !(opts[O_SQN].seen && opts[O_AMF].seen))
    cli_usage_error(CMD, "--sqn and --amf go together");
  else
    rc = CLI_OK;
  if (rc != CLI_OK) goto out;

  if (opts[O_OP].seen && mbmsec_milenage_opc(k, op, opc) != MBMSEC_OK) {
    rc = cli_fail(CMD, "cryptographic library failure");
    goto out;
  }
  cli_out o;
  if (vec) {
    mbmsec_milenage_out m;
    uint8_t autn[16];
    if (mbmsec_milenage(k, opc, rand, sqn, amf, &m) != MBMSEC_OK) {
      rc = cli_fail(CMD, "cryptographic library failure");
      goto out;
    }
    for (int i = 0; i < 6; i++) autn[i] = sqn[i] ^ m.ak[i];
    memcpy(autn + 6, amf, 2);
    memcpy(autn + 8, m.mac_a, 8);
    cli_out_begin(&o, json);
    cli_out_hex(&o, "opc", opc, 16);
    cli_out_hex(&o, "mac_a", m.mac_a, 8);
    cli_out_hex(&o, "mac_s", m.mac_s, 8);
    cli_out_hex(&o, "res", m.res, 8);
    cli_out_hex(&o, "ck", m.ck, 16);
    cli_out_hex(&o, "ik", m.ik, 16);
    cli_out_hex(&o, "ak", m.ak, 6);
    cli_out_hex(&o, "ak_star", m.ak_star, 6);
    cli_out_hex(&o, "autn", autn, 16);
    cli_out_end(&o);
    mbmsec_cleanse(&m, sizeof m);
  } else if (opts[O_SQN_MS].seen) {
    if (mbmsec_aka_auts_make(k, opc, rand, sqn_ms, auts) != MBMSEC_OK) {
      rc = cli_fail(CMD, "cryptographic library failure");
      goto out;
    }
    cli_out_begin(&o, json);
    cli_out_hex(&o, "auts", auts, 14);
    cli_out_end(&o);
  } else {
    mbmsec_err e = mbmsec_aka_auts_check(k, opc, rand, auts, sqn_ms);
    if (e != MBMSEC_OK) {
      rc = cli_fail(CMD, "%s", mbmsec_strerror(e));
      goto out;
    }
    cli_out_begin(&o, json);
    cli_out_hex(&o, "sqn_ms", sqn_ms, 6);
    cli_out_end(&o);
  }
out:
  mbmsec_cleanse(k, sizeof k);
  mbmsec_cleanse(op, sizeof op);
  mbmsec_cleanse(opc, sizeof opc);
  return rc;
}
