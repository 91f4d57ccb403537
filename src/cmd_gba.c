/* `mbmsec gba-ks-naf`: Ks, Ks_NAF, MRK, MUK, B-TID and the Digest password from CK, IK,
 * RAND, IMPI and the NAF (BM-SC) FQDN (TS 33.220 B.3, profile P1). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/gba.h"
#include "mbmsec/profile.h"

static const char CMD[] = "gba-ks-naf";
#define BSF_MAX 255 /* a DNS name's limit */

static void usage(void)
{
  printf(
      "Usage: mbmsec gba-ks-naf --ck HEX --ik HEX --rand HEX --impi STR --naf-fqdn STR\n"
      "                         [--bsf-fqdn STR] [--ua-proto HEX10] [--mode kdf|none] [--json]\n\n"
      "GBA_ME keys (TS 33.220 Annex B) and the MBMS MRK/MUK (profile P1):\n"
      "  ks       = CK || IK\n"
      "  ks_naf   = KDF(Ks, 0x01, \"gba-me\", RAND, IMPI, NAF-FQDN || Ua protocol id)\n"
      "  mrk, muk = KDF(Ks_NAF, 0x01, \"mbms-mrk\" / \"mbms-muk\")  (mode kdf, default)\n"
      "             Ks_NAF, Ks_NAF                                (mode none)\n"
      "  btid     = base64(RAND) \"@\" BSF-FQDN                    (with --bsf-fqdn)\n"
      "  password = base64(MRK), the HTTP Digest password\n\n"
      "  --ck, --ik, --rand  16 octets each, 32 hex digits\n"
      "  --impi              private identity (UTF-8, NFKC), may be empty\n"
      "  --naf-fqdn          BM-SC host name as the UE uses it\n"
      "  --ua-proto          Ua security protocol id, 10 hex digits (default 0100000001, MBMS)\n"
      "  --json              one JSON object instead of name=value lines\n");
}

/* Options that take a value, in the order of `val` below. */
enum { O_CK, O_IK, O_RAND, O_IMPI, O_NAF, O_BSF, O_UA, O_MODE, O_COUNT };
static const char *const OPTS[O_COUNT] = {"--ck",       "--ik",       "--rand",     "--impi",
                                          "--naf-fqdn", "--bsf-fqdn", "--ua-proto", "--mode"};

/* Fills val[] from argv; 1 = --help seen, 0 = ok, -1 = usage error printed. */
static int parse(int argc, char **argv, const char *val[O_COUNT], bool *json)
{
  bool help = false;
  if (cli_parse_values(CMD, argc, argv, OPTS, val, O_COUNT, json, &help) != CLI_OK) return -1;
  return help ? 1 : 0;
}

int cmd_gba_ks_naf(int argc, char **argv)
{
  const char *val[O_COUNT] = {0};
  bool json = false;
  int p = parse(argc, argv, val, &json);
  if (p) {
    if (p > 0) usage();
    return p > 0 ? CLI_OK : CLI_USAGE;
  }
  for (int k = 0; k <= O_NAF; k++)
    if (!val[k]) return cli_usage_error(CMD, "%s is required", OPTS[k]);

  uint8_t ck[MBMSEC_GBA_CK_LEN], ik[MBMSEC_GBA_IK_LEN], rand[MBMSEC_GBA_RAND_LEN];
  uint8_t ua[MBMSEC_GBA_UA_PROTO_LEN] = MBMSEC_MBMS_UA_PROTO_ID;
  mbmsec_mrk_muk_mode mode = MBMSEC_MRK_MUK_KDF;
  int rc = CLI_USAGE;
  if (cli_hex_arg(CMD, "--ck", val[O_CK], ck, sizeof ck, sizeof ck, NULL) ||
      cli_hex_arg(CMD, "--ik", val[O_IK], ik, sizeof ik, sizeof ik, NULL) ||
      cli_hex_arg(CMD, "--rand", val[O_RAND], rand, sizeof rand, sizeof rand, NULL) ||
      (val[O_UA] && cli_hex_arg(CMD, "--ua-proto", val[O_UA], ua, sizeof ua, sizeof ua, NULL)))
    goto out;
  if (val[O_MODE] && mbmsec_gba_mode_parse(val[O_MODE], &mode) != MBMSEC_OK) {
    cli_usage_error(CMD, "--mode: expected kdf or none, got '%s'", val[O_MODE]);
    goto out;
  }
  if (val[O_BSF] && (!val[O_BSF][0] || strlen(val[O_BSF]) > BSF_MAX)) {
    cli_usage_error(CMD, "--bsf-fqdn: expected a name of 1 to %d octets", BSF_MAX);
    goto out;
  }

  uint8_t ks[MBMSEC_GBA_KS_LEN], ks_naf[MBMSEC_GBA_KEY_LEN], mrk[MBMSEC_GBA_KEY_LEN],
      muk[MBMSEC_GBA_KEY_LEN];
  char pw[MBMSEC_GBA_PASSWORD_SIZE];
  mbmsec_gba_ks(ck, ik, ks);
  mbmsec_err e = mbmsec_gba_ks_naf_fqdn(ks, rand, val[O_IMPI], strlen(val[O_IMPI]), val[O_NAF],
                                        strlen(val[O_NAF]), ua, ks_naf);
  if (e == MBMSEC_OK) e = mbmsec_gba_mrk_muk(ks_naf, mode, mrk, muk);
  if (e == MBMSEC_OK) e = mbmsec_gba_digest_password(mrk, pw, sizeof pw);
  if (e != MBMSEC_OK) {
    rc = cli_fail(CMD, "%s", mbmsec_strerror(e));
  } else {
    cli_out o;
    cli_out_begin(&o, json);
    cli_out_hex(&o, "ks", ks, sizeof ks);
    cli_out_hex(&o, "ks_naf", ks_naf, sizeof ks_naf);
    cli_out_hex(&o, "mrk", mrk, sizeof mrk);
    cli_out_hex(&o, "muk", muk, sizeof muk);
    if (val[O_BSF]) {
      char btid[MBMSEC_B64_LEN(MBMSEC_GBA_RAND_LEN) + 1 + BSF_MAX + 1];
      size_t n = 0;
      /* Cannot fail: the name's length was checked above. */
      if (mbmsec_gba_btid(rand, val[O_BSF], strlen(val[O_BSF]), btid, sizeof btid, &n) == MBMSEC_OK)
        cli_out_str(&o, "btid", btid);
    }
    cli_out_str(&o, "password", pw);
    cli_out_end(&o);
    rc = CLI_OK;
  }
  mbmsec_cleanse(ks, sizeof ks);
  mbmsec_cleanse(ks_naf, sizeof ks_naf);
  mbmsec_cleanse(mrk, sizeof mrk);
  mbmsec_cleanse(muk, sizeof muk);
  mbmsec_cleanse(pw, sizeof pw);
out:
  mbmsec_cleanse(ck, sizeof ck);
  mbmsec_cleanse(ik, sizeof ik);
  return rc;
}
