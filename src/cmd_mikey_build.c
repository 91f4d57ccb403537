/* `mbmsec mikey build-msk | build-mtk | build-verification`: the profile messages as one line
 * of lower-case hex, through the library builders (mbmsec/mikey_msg.h). With --csb-id and
 * --rand the output is deterministic (worked examples, comparisons with other code). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_mikey.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/mikey_msg.h"

/* Prints out[0..n) as one hex line. */
static int print_hex_line(const char *cmd, const uint8_t *p, size_t n)
{
  char hex[2 * MBMSEC_MIKEY_MSK_MSG_MAX + 1];
  if (2 * n + 1 > sizeof hex || mbmsec_hex_encode(p, n, hex, sizeof hex) != MBMSEC_OK)
    return cli_fail(cmd, "message too long to print");
  puts(hex);
  return CLI_OK;
}

static int lib_fail(const char *cmd, const char *what, mbmsec_err e)
{
  return cli_fail(cmd, "%s: %s: %s", what, mbmsec_errname(e), mbmsec_strerror(e));
}

/* --csb-id and --rand come together: both fix the output, neither draws them at random. */
static int fixed_args(const char *cmd, const mk_opt *csb, const mk_opt *rnd, int *fixed,
                      uint32_t *csb_id, uint8_t rand[MBMSEC_MIKEY_RAND_LEN])
{
  *fixed = 0;
  if (!csb->val && !rnd->val) return 0;
  if (!csb->val || !rnd->val) return cli_usage_error(cmd, "--csb-id and --rand go together"), -1;
  uint8_t c[4];
  if (cli_hex_arg(cmd, "--csb-id", csb->val, c, sizeof c, sizeof c, NULL) ||
      cli_hex_arg(cmd, "--rand", rnd->val, rand, MBMSEC_MIKEY_RAND_LEN, MBMSEC_MIKEY_RAND_LEN,
                  NULL))
    return -1;
  *csb_id = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
  *fixed = 1;
  return 0;
}

static int need(const char *cmd, const mk_opt *o)
{
  if (!o->val) return cli_usage_error(cmd, "%s is required", o->name), -1;
  return 0;
}

/* ---- build-msk ---- */

static const char MSK_CMD[] = "mikey build-msk";

static void msk_usage(void)
{
  printf("Usage: mbmsec mikey build-msk --muk HEX --kdi HEX6 --msk-id HEX8 --msk HEX32\n"
         "         --counter N --idi S --idr S [--v] --mtk-lo N --mtk-hi N\n"
         "         [--csb-id HEX8 --rand HEX32] [--pull] [--null-encr] [--null-mac]\n\n"
         "Builds an MSK message (mikey.md 7.1): HDR EXT(KDID, MSK ID) T(COUNTER) RAND IDi IDr\n"
         "KEMAC(AES-CM-128, HMAC-SHA-1-160), protected with keys derived from the MUK.\n"
         "Prints the message as one line of lower-case hex.\n\n"
         "  --muk HEX       MUK, 1 to %d octets (32 in the profile)\n"
         "  --kdi HEX6      Key Domain ID, 3 octets\n"
         "  --msk-id HEX8   MSK ID = Key Group (2) || key number (2)\n"
         "  --msk HEX32     the MSK, 16 octets (not with --pull)\n"
         "  --counter N     per-MUK counter, 0 to 4294967295\n"
         "  --idi S         IDi: the BM-SC FQDN (1 to %d characters)\n"
         "  --idr S         IDr: the B-TID (1 to %d characters)\n"
         "  --v             set the V flag: the UE answers with a verification message\n"
         "  --mtk-lo N      lowest MTK ID of the MSK (VF), 0 to 65535 (not with --pull)\n"
         "  --mtk-hi N      highest MTK ID of the MSK (VT), >= --mtk-lo (not with --pull)\n"
         "  --csb-id HEX8   fixed CSB ID (with --rand; default: random per message)\n"
         "  --rand HEX32    fixed RAND, 16 octets (with --csb-id; default: random)\n"
         "  --pull          solicited pull (P10): empty key data (encr data len 0)\n"
         "  --null-encr     TEST ONLY: NULL encryption, the MSK travels in clear\n"
         "  --null-mac      TEST ONLY: NULL MAC, the message is not authenticated\n",
         MBMSEC_MIKEY_PSK_MAX, MBMSEC_MIKEY_ID_MAX, MBMSEC_MIKEY_ID_MAX);
}

enum {
  M_MUK,
  M_KDI,
  M_MSKID,
  M_MSK,
  M_CNT,
  M_IDI,
  M_IDR,
  M_V,
  M_LO,
  M_HI,
  M_CSB,
  M_RAND,
  M_PULL,
  M_NENC,
  M_NMAC,
  M_COUNT
};

/* Checks one ID string: 1..MBMSEC_MIKEY_ID_MAX octets. */
static int id_arg(const char *cmd, const char *opt, const char *s, size_t *len)
{
  *len = strlen(s);
  if (*len == 0 || *len > MBMSEC_MIKEY_ID_MAX)
    return cli_usage_error(cmd, "%s: expected 1 to %d characters, got %zu", opt,
                           MBMSEC_MIKEY_ID_MAX, *len),
           -1;
  return 0;
}

int cmd_mikey_build_msk(int argc, char **argv)
{
  mk_opt o[M_COUNT] = {
      {"--muk", 0, 0, 0},    {"--kdi", 0, 0, 0},       {"--msk-id", 0, 0, 0},
      {"--msk", 0, 0, 0},    {"--counter", 0, 0, 0},   {"--idi", 0, 0, 0},
      {"--idr", 0, 0, 0},    {"--v", 1, 0, 0},         {"--mtk-lo", 0, 0, 0},
      {"--mtk-hi", 0, 0, 0}, {"--csb-id", 0, 0, 0},    {"--rand", 0, 0, 0},
      {"--pull", 1, 0, 0},   {"--null-encr", 1, 0, 0}, {"--null-mac", 1, 0, 0},
  };
  int p = mk_parse(MSK_CMD, argc, argv, o, M_COUNT);
  if (p) {
    if (p > 0) msk_usage();
    return p > 0 ? CLI_OK : CLI_USAGE;
  }
  const bool pull = o[M_PULL].seen;
  static const int always[] = {M_MUK, M_KDI, M_MSKID, M_CNT, M_IDI, M_IDR};
  for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
    if (need(MSK_CMD, &o[always[i]])) return CLI_USAGE;
  if (pull) {
    if (o[M_MSK].seen || o[M_LO].seen || o[M_HI].seen)
      return cli_usage_error(MSK_CMD, "--pull carries no key: drop --msk, --mtk-lo, --mtk-hi");
  } else if (need(MSK_CMD, &o[M_MSK]) || need(MSK_CMD, &o[M_LO]) || need(MSK_CMD, &o[M_HI])) {
    return CLI_USAGE;
  }

  struct {
    uint8_t muk[MBMSEC_MIKEY_PSK_MAX], msk[MBMSEC_MBMS_MSK_LEN];
  } s = {0};
  mbmsec_mikey_msk_params mp = {0};
  size_t muk_len = 0;
  uint64_t counter = 0, lo = 0, hi = 0;
  int rc = CLI_USAGE;
  if (cli_hex_arg(MSK_CMD, "--muk", o[M_MUK].val, s.muk, sizeof s.muk, 0, &muk_len) ||
      cli_hex_arg(MSK_CMD, "--kdi", o[M_KDI].val, mp.kdid, MBMSEC_KDID_LEN, MBMSEC_KDID_LEN,
                  NULL) ||
      cli_hex_arg(MSK_CMD, "--msk-id", o[M_MSKID].val, mp.msk_id, MBMSEC_MSK_ID_LEN,
                  MBMSEC_MSK_ID_LEN, NULL) ||
      (!pull && cli_hex_arg(MSK_CMD, "--msk", o[M_MSK].val, s.msk, MBMSEC_MBMS_MSK_LEN,
                            MBMSEC_MBMS_MSK_LEN, NULL)) ||
      cli_uint_arg(MSK_CMD, "--counter", o[M_CNT].val, UINT32_MAX, &counter) ||
      (!pull && cli_uint_arg(MSK_CMD, "--mtk-lo", o[M_LO].val, UINT16_MAX, &lo)) ||
      (!pull && cli_uint_arg(MSK_CMD, "--mtk-hi", o[M_HI].val, UINT16_MAX, &hi)) ||
      id_arg(MSK_CMD, "--idi", o[M_IDI].val, &mp.idi_len) ||
      id_arg(MSK_CMD, "--idr", o[M_IDR].val, &mp.idr_len) ||
      fixed_args(MSK_CMD, &o[M_CSB], &o[M_RAND], &mp.fixed, &mp.csb_id, mp.rand))
    goto out;
  if (muk_len == 0) {
    cli_usage_error(MSK_CMD, "--muk must not be empty");
    goto out;
  }
  if (lo > hi) {
    cli_usage_error(MSK_CMD, "--mtk-lo (%llu) is greater than --mtk-hi (%llu)",
                    (unsigned long long)lo, (unsigned long long)hi);
    goto out;
  }
  mp.idi = (const uint8_t *)o[M_IDI].val;
  mp.idr = (const uint8_t *)o[M_IDR].val;
  mp.counter = (uint32_t)counter;
  mp.v_flag = o[M_V].seen;
  mp.msk = pull ? NULL : s.msk;
  mp.vf = (uint16_t)lo;
  mp.vt = (uint16_t)hi;
  mbmsec_mikey_opts opts = {.test_null_encr = o[M_NENC].seen, .test_null_mac = o[M_NMAC].seen};
  uint8_t msg[MBMSEC_MIKEY_MSK_MSG_MAX];
  size_t len = 0;
  mbmsec_err e = mbmsec_mikey_msk_build(&mp, s.muk, muk_len, &opts, msg, sizeof msg, &len, NULL);
  rc = e == MBMSEC_OK ? print_hex_line(MSK_CMD, msg, len) : lib_fail(MSK_CMD, "cannot build", e);
out:
  mbmsec_cleanse(&s, sizeof s);
  return rc;
}

/* ---- build-mtk ---- */

static const char MTK_CMD[] = "mikey build-mtk";

static void mtk_usage(void)
{
  printf("Usage: mbmsec mikey build-mtk --msk HEX32 --kdi HEX6 --msk-id HEX8 --mtk-id N\n"
         "         --mtk HEX32 --salt HEX28 --counter N [--csb-id HEX8 --rand HEX32]\n"
         "         [--null-encr] [--null-mac]\n\n"
         "Builds an MTK message (mikey.md 7.2, 114 octets): HDR EXT(KDID, MSK ID, MTK ID)\n"
         "T(COUNTER) RAND KEMAC, protected with keys derived from the MSK. Prints one hex line.\n\n"
         "  --msk HEX32     the MSK, 16 octets (the pre-shared key of this message)\n"
         "  --kdi HEX6      Key Domain ID, 3 octets\n"
         "  --msk-id HEX8   MSK ID, 4 octets\n"
         "  --mtk-id N      MTK ID, 0 to 65535\n"
         "  --mtk HEX32     the MTK (SRTP master key), 16 octets\n"
         "  --salt HEX28    the SRTP master salt, 14 octets\n"
         "  --counter N     per-MSK counter, 0 to 4294967295\n"
         "  --csb-id HEX8   fixed CSB ID (with --rand; default: random per message)\n"
         "  --rand HEX32    fixed RAND, 16 octets (with --csb-id; default: random)\n"
         "  --null-encr     TEST ONLY: NULL encryption, the MTK travels in clear\n"
         "  --null-mac      TEST ONLY: NULL MAC, the message is not authenticated\n");
}

enum {
  T_MSK,
  T_KDI,
  T_MSKID,
  T_MTKID,
  T_MTK,
  T_SALT,
  T_CNT,
  T_CSB,
  T_RAND,
  T_NENC,
  T_NMAC,
  T_COUNT
};

int cmd_mikey_build_mtk(int argc, char **argv)
{
  mk_opt o[T_COUNT] = {
      {"--msk", 0, 0, 0},  {"--kdi", 0, 0, 0},       {"--msk-id", 0, 0, 0},   {"--mtk-id", 0, 0, 0},
      {"--mtk", 0, 0, 0},  {"--salt", 0, 0, 0},      {"--counter", 0, 0, 0},  {"--csb-id", 0, 0, 0},
      {"--rand", 0, 0, 0}, {"--null-encr", 1, 0, 0}, {"--null-mac", 1, 0, 0},
  };
  int p = mk_parse(MTK_CMD, argc, argv, o, T_COUNT);
  if (p) {
    if (p > 0) mtk_usage();
    return p > 0 ? CLI_OK : CLI_USAGE;
  }
  for (int i = T_MSK; i <= T_CNT; i++)
    if (need(MTK_CMD, &o[i])) return CLI_USAGE;
  struct {
    uint8_t msk[MBMSEC_MBMS_MSK_LEN], mtk[MBMSEC_MBMS_MTK_LEN], salt[MBMSEC_MBMS_MTK_SALT_LEN];
  } s = {0};
  mbmsec_mikey_mtk_params mp = {0};
  uint64_t counter = 0, mtk_id = 0;
  int rc = CLI_USAGE;
  if (cli_hex_arg(MTK_CMD, "--msk", o[T_MSK].val, s.msk, sizeof s.msk, sizeof s.msk, NULL) ||
      cli_hex_arg(MTK_CMD, "--kdi", o[T_KDI].val, mp.kdid, MBMSEC_KDID_LEN, MBMSEC_KDID_LEN,
                  NULL) ||
      cli_hex_arg(MTK_CMD, "--msk-id", o[T_MSKID].val, mp.msk_id, MBMSEC_MSK_ID_LEN,
                  MBMSEC_MSK_ID_LEN, NULL) ||
      cli_uint_arg(MTK_CMD, "--mtk-id", o[T_MTKID].val, UINT16_MAX, &mtk_id) ||
      cli_hex_arg(MTK_CMD, "--mtk", o[T_MTK].val, s.mtk, sizeof s.mtk, sizeof s.mtk, NULL) ||
      cli_hex_arg(MTK_CMD, "--salt", o[T_SALT].val, s.salt, sizeof s.salt, sizeof s.salt, NULL) ||
      cli_uint_arg(MTK_CMD, "--counter", o[T_CNT].val, UINT32_MAX, &counter) ||
      fixed_args(MTK_CMD, &o[T_CSB], &o[T_RAND], &mp.fixed, &mp.csb_id, mp.rand))
    goto out;
  mp.mtk_id = (uint16_t)mtk_id;
  mp.counter = (uint32_t)counter;
  mp.mtk = s.mtk;
  mp.salt = s.salt;
  mbmsec_mikey_opts opts = {.test_null_encr = o[T_NENC].seen, .test_null_mac = o[T_NMAC].seen};
  uint8_t msg[MBMSEC_MIKEY_MTK_MSG_LEN + 32];
  size_t len = 0;
  mbmsec_err e =
      mbmsec_mikey_mtk_build(&mp, s.msk, sizeof s.msk, &opts, msg, sizeof msg, &len, NULL);
  rc = e == MBMSEC_OK ? print_hex_line(MTK_CMD, msg, len) : lib_fail(MTK_CMD, "cannot build", e);
out:
  mbmsec_cleanse(&s, sizeof s);
  return rc;
}

/* ---- build-verification ---- */

static const char VER_CMD[] = "mikey build-verification";

static void ver_usage(void)
{
  printf("Usage: mbmsec mikey build-verification --muk HEX --msk-msg HEX\n\n"
         "What the UE answers to an MSK message with V = 1 (mikey.md 6): checks the MSK message\n"
         "as the UE would (layout, MAC under the MUK, key data; no stored counters, but\n"
         "counter 0 is never accepted), then prints the verification message as one hex line:\n"
         "HDR(type 1, same CSB ID) T(echo) IDr V(HMAC-SHA-1 over message || IDi || IDr || T).\n\n"
         "  --muk HEX       the MUK, 1 to %d octets\n"
         "  --msk-msg HEX   the MSK message, as sent\n",
         MBMSEC_MIKEY_PSK_MAX);
}

struct one_key {
  const uint8_t *key;
  size_t len;
};

/* The verifier asks for the MUK by (IDi, IDr): this tool has exactly one. */
static mbmsec_err give_key(void *ctx, const mbmsec_mikey_key_ref *ref, mbmsec_mikey_psk *out)
{
  const struct one_key *k = ctx;
  (void)ref;
  if (k->len > sizeof out->key) return MBMSEC_ERR_LENGTH;
  memset(out, 0, sizeof *out);
  memcpy(out->key, k->key, k->len);
  out->key_len = k->len;
  return MBMSEC_OK;
}

int cmd_mikey_build_verification(int argc, char **argv)
{
  mk_opt o[] = {{"--muk", 0, 0, 0}, {"--msk-msg", 0, 0, 0}};
  int p = mk_parse(VER_CMD, argc, argv, o, 2);
  if (p) {
    if (p > 0) ver_usage();
    return p > 0 ? CLI_OK : CLI_USAGE;
  }
  if (need(VER_CMD, &o[0]) || need(VER_CMD, &o[1])) return CLI_USAGE;
  uint8_t muk[MBMSEC_MIKEY_PSK_MAX], msg[MBMSEC_MIKEY_MSK_MSG_MAX];
  size_t muk_len = 0, msg_len = 0;
  int rc = CLI_USAGE;
  mbmsec_mikey_msk_info info;
  memset(&info, 0, sizeof info);
  if (cli_hex_arg(VER_CMD, "--muk", o[0].val, muk, sizeof muk, 0, &muk_len) ||
      cli_hex_arg(VER_CMD, "--msk-msg", o[1].val, msg, sizeof msg, 0, &msg_len))
    goto out;
  if (muk_len == 0) {
    cli_usage_error(VER_CMD, "--muk must not be empty");
    goto out;
  }
  struct one_key k = {muk, muk_len};
  mbmsec_err e = mbmsec_mikey_msk_verify(msg, msg_len, give_key, &k, NULL, &info);
  if (e != MBMSEC_OK) {
    rc = lib_fail(VER_CMD, "the MSK message does not verify", e);
    goto out;
  }
  if (!info.v_flag)
    fprintf(stderr, "mbmsec %s: note: the MSK message has V = 0; a UE would not answer it\n",
            VER_CMD);
  uint8_t ver[MBMSEC_MIKEY_VER_MSG_MAX];
  size_t ver_len = 0;
  e = mbmsec_mikey_ver_build(&info, muk, muk_len, ver, sizeof ver, &ver_len);
  rc =
      e == MBMSEC_OK ? print_hex_line(VER_CMD, ver, ver_len) : lib_fail(VER_CMD, "cannot build", e);
out:
  mbmsec_mikey_msk_info_cleanse(&info);
  mbmsec_cleanse(muk, sizeof muk);
  return rc;
}
