/* `mbmsec mikey-keys`: the MIKEY-1 PRF keys of one message (RFC 3830 4.1.3, 4.1.4) and the
 * KEMAC IV (4.2.3, profile P8), for checking a capture or another implementation by hand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "mbmsec/crypto.h"
#include "mbmsec/mikey_prf.h"

static const char CMD[] = "mikey-keys";

static void usage(void)
{
  printf(
      "Usage: mbmsec mikey-keys --psk HEX --csb-id HEX8 --rand HEX [--cs-id N]\n"
      "                         [--ts-counter N] [--label HEX [--out-len N]] [--json]\n\n"
      "Keys from the key taken as a pre-shared key (RFC 3830 4.1.4, label const||FF||CSB||RAND):\n"
      "  encr_key (16 octets, 0x150533E1), auth_key (20, 0x2D22AC75), salt_key (14, 0x29B88916)\n"
      "The same key taken as a TGK with CS ID N (4.1.3, label const||CS||CSB||RAND):\n"
      "  tek (16 octets, 0x2AD01C64), tek_salt (14 octets, 0x39A2C14B)\n"
      "  kemac_iv   with --ts-counter: (salt_key XOR (0000||CSB||00000000||counter)) || 0000\n"
      "  prf        with --label: PRF(key, label) of --out-len octets (default 20)\n\n"
      "  --psk      1 to %d octets (MUK: 32, MSK: 16)\n"
      "  --csb-id   CSB ID, 8 hex digits\n"
      "  --rand     RAND, 16 to %d octets\n"
      "  --cs-id    0 to 255 (default 0)\n"
      "  --json     one JSON object instead of name=value lines\n",
      MIKEY_PRF_INKEY_MAX, MIKEY_RAND_MAX);
}

enum { O_PSK, O_CSB, O_RAND, O_CS, O_TS, O_LABEL, O_OUTLEN, O_COUNT };
static const char *const OPTS[O_COUNT] = {"--psk",        "--csb-id", "--rand",   "--cs-id",
                                          "--ts-counter", "--label",  "--out-len"};

/* Fills val[] from argv; 1 = --help seen, 0 = ok, -1 = usage error printed. */
static int parse(int argc, char **argv, const char *val[O_COUNT], bool *json)
{
  bool help = false;
  if (cli_parse_values(CMD, argc, argv, OPTS, val, O_COUNT, json, &help) != CLI_OK) return -1;
  return help ? 1 : 0;
}

/* The secrets of one run, kept together so that one cleanse clears them. */
struct secrets {
  uint8_t psk[MIKEY_PRF_INKEY_MAX];
  mbmsec_mikey_keys k;
  uint8_t tek[16], tek_salt[14], iv[16], prf[MIKEY_PRF_OUTKEY_MAX];
};

int cmd_mikey_keys(int argc, char **argv)
{
  const char *val[O_COUNT] = {0};
  bool json = false;
  int p = parse(argc, argv, val, &json);
  if (p) {
    if (p > 0) usage();
    return p > 0 ? CLI_OK : CLI_USAGE;
  }
  for (int k = 0; k <= O_RAND; k++)
    if (!val[k]) return cli_usage_error(CMD, "%s is required", OPTS[k]);
  if (val[O_OUTLEN] && !val[O_LABEL]) return cli_usage_error(CMD, "--out-len needs --label");

  static struct secrets s; /* static: the PRF output buffer is large for a stack */
  uint8_t csb[4], rand[MIKEY_RAND_MAX], label[MIKEY_PRF_LABEL_MAX];
  size_t psk_len = 0, rand_len = 0, label_len = 0;
  uint64_t cs_id = 0, counter = 0, out_len = MIKEY_AUTH_KEY_LEN;
  int rc = CLI_USAGE;
  if (cli_hex_arg(CMD, "--psk", val[O_PSK], s.psk, sizeof s.psk, 0, &psk_len) ||
      cli_hex_arg(CMD, "--csb-id", val[O_CSB], csb, sizeof csb, sizeof csb, NULL) ||
      cli_hex_arg(CMD, "--rand", val[O_RAND], rand, sizeof rand, 0, &rand_len) ||
      (val[O_CS] && cli_uint_arg(CMD, "--cs-id", val[O_CS], 255, &cs_id)) ||
      (val[O_TS] && cli_uint_arg(CMD, "--ts-counter", val[O_TS], UINT32_MAX, &counter)) ||
      (val[O_LABEL] &&
       cli_hex_arg(CMD, "--label", val[O_LABEL], label, sizeof label, 0, &label_len)) ||
      (val[O_OUTLEN] &&
       cli_uint_arg(CMD, "--out-len", val[O_OUTLEN], MIKEY_PRF_OUTKEY_MAX, &out_len)))
    goto out;
  if (psk_len == 0) {
    cli_usage_error(CMD, "--psk must not be empty");
    goto out;
  }
  if (rand_len < 16) {
    cli_usage_error(CMD, "--rand: expected 16 to %d octets, got %zu", MIKEY_RAND_MAX, rand_len);
    goto out;
  }
  if (out_len == 0) {
    cli_usage_error(CMD, "--out-len: expected 1 to %d", MIKEY_PRF_OUTKEY_MAX);
    goto out;
  }

  uint32_t csb_id =
      (uint32_t)csb[0] << 24 | (uint32_t)csb[1] << 16 | (uint32_t)csb[2] << 8 | csb[3];
  mbmsec_err e = mbmsec_mikey_psk_keys(s.psk, psk_len, csb_id, rand, rand_len, &s.k);
  if (e == MBMSEC_OK)
    e = mbmsec_mikey_tgk_key(s.psk, psk_len, MIKEY_C_TEK, (uint8_t)cs_id, csb_id, rand, rand_len,
                             s.tek, sizeof s.tek);
  if (e == MBMSEC_OK)
    e = mbmsec_mikey_tgk_key(s.psk, psk_len, MIKEY_C_TGK_SALT, (uint8_t)cs_id, csb_id, rand,
                             rand_len, s.tek_salt, sizeof s.tek_salt);
  if (e == MBMSEC_OK && val[O_LABEL])
    e = mbmsec_mikey_prf(s.psk, psk_len, label, label_len, s.prf, (size_t)out_len);
  if (e != MBMSEC_OK) {
    rc = cli_fail(CMD, "%s", mbmsec_strerror(e));
    goto out;
  }
  cli_out o;
  cli_out_begin(&o, json);
  cli_out_hex(&o, "encr_key", s.k.encr_key, sizeof s.k.encr_key);
  cli_out_hex(&o, "auth_key", s.k.auth_key, sizeof s.k.auth_key);
  cli_out_hex(&o, "salt_key", s.k.salt_key, sizeof s.k.salt_key);
  cli_out_hex(&o, "tek", s.tek, sizeof s.tek);
  cli_out_hex(&o, "tek_salt", s.tek_salt, sizeof s.tek_salt);
  if (val[O_TS]) {
    uint8_t ts[8];
    mbmsec_mikey_counter_ts((uint32_t)counter, ts);
    mbmsec_mikey_kemac_iv(s.k.salt_key, csb_id, ts, s.iv);
    cli_out_hex(&o, "kemac_iv", s.iv, sizeof s.iv);
  }
  if (val[O_LABEL]) cli_out_hex(&o, "prf", s.prf, (size_t)out_len);
  cli_out_end(&o);
  rc = CLI_OK;
out:
  mbmsec_cleanse(&s, sizeof s);
  return rc;
}
