/* mbmsec: the engineer's command line for MBMS security (key derivations, Digest, MIKEY). */
#include "cli.h"
#include "cmd.h"
#include "mbmsec/crypto.h"

/* Each subcommand lives in its own cmd_*.c (declared in cmd.h). */

static const cli_cmd COMMANDS[] = {
    {"milenage", cmd_milenage, "Milenage f1..f5* and AUTN (TS 35.206)"},
    {"gba-ks-naf", cmd_gba_ks_naf, "GBA Ks, Ks_NAF, MRK, MUK and B-TID (TS 33.220)"},
    {"digest", cmd_digest, "HTTP Digest HA1, HA2, response and rspauth (RFC 7616/2617/3310)"},
    {"mikey-keys", cmd_mikey_keys, "MIKEY PRF keys from a PSK and a TGK (RFC 3830 4.1)"},
    {"mikey", cmd_mikey, "MIKEY MSK/MTK messages: decode, build (RFC 3830, RFC 4563)"},
};

int main(int argc, char **argv)
{
  int rc = cli_main("mbmsec",
                    "MBMS security (3GPP TS 33.246) for engineers: key derivations, HTTP Digest, "
                    "MIKEY.",
                    COMMANDS, sizeof COMMANDS / sizeof COMMANDS[0], argc, argv);
  mbmsec_crypto_cleanup();
  return rc;
}
