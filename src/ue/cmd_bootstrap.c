/* mbmsec-ue bootstrap: one GBA bootstrap against a BSF over Ub, result saved in the UE state
 * file, and the MBMS NAF keys for a BM-SC FQDN. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mbmsec/ue.h"
#include "ue_cli.h"

static const char HELP[] =
    "Usage: mbmsec-ue bootstrap --bsf URL --impi S --usim FILE --state FILE\n"
    "                           [--naf-fqdn FQDN] [--realm R] [--timeout-ms N]\n"
    "                           [--mrk-muk-mode kdf|none] [--json] [--show-keys]\n\n"
    "Bootstraps with the BSF at URL (TS 33.220 / TS 24.109 Ub, Digest AKAv1-MD5): the\n"
    "USIM file is updated when the card accepts a challenge (before it answers), the\n"
    "result {B-TID, Ks, RAND, IMPI, lifetime} is written to the state file (mode 0600).\n"
    "  --realm R        realm of the first request (default: the URL's host; give the BSF's\n"
    "                   FQDN when the URL names an address)\n"
    "  --timeout-ms N   bound of each HTTP request (default 10000)\n"
    "  --naf-fqdn FQDN  also derive Ks_NAF, MRK, MUK for NAF_Id = FQDN || 01 00 00 00 01\n"
    "  --show-keys      print ks (and ks_naf, mrk, muk); they are secrets\n"
    "Prints btid, lifetime (UTC), rand, and naf_id with --naf-fqdn.\n"
    "Exit: 0 bootstrapped, 1 failed (reason on stderr), 2 usage error.\n";

static void out_time(cli_out *o, const char *name, int64_t t)
{
  char buf[32];
  time_t tt = (time_t)t;
  struct tm tm;
  if (gmtime_r(&tt, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
    cli_out_str(o, name, buf);
}

int cmd_bootstrap(int argc, char **argv)
{
  const char *cmd = "bootstrap", *url = NULL, *impi = NULL, *usim = NULL, *state = NULL,
             *naf = NULL, *realm = NULL, *tmo_s = NULL, *mode_s = NULL;
  bool help = false, json = false, keys = false;
  const cli_opt opts[] = {{"--bsf", &url, NULL},          {"--impi", &impi, NULL},
                          {"--usim", &usim, NULL},        {"--state", &state, NULL},
                          {"--naf-fqdn", &naf, NULL},     {"--realm", &realm, NULL},
                          {"--timeout-ms", &tmo_s, NULL}, {"--mrk-muk-mode", &mode_s, NULL},
                          {"--json", NULL, &json},        {"--show-keys", NULL, &keys}};
  int rc = cli_parse(cmd, argc, argv, opts, sizeof opts / sizeof opts[0], &help);
  if (rc != CLI_OK) return rc;
  if (help) {
    fputs(HELP, stdout);
    return CLI_OK;
  }
  if (!url || !impi || !usim || !state)
    return cli_usage_error(cmd, "--bsf, --impi, --usim and --state are required");
  uint64_t tmo = 10000;
  if (tmo_s && cli_uint_arg(cmd, "--timeout-ms", tmo_s, 600000, &tmo)) return CLI_USAGE;
  if (tmo == 0) return cli_usage_error(cmd, "--timeout-ms must be positive");
  mbmsec_mrk_muk_mode mode = MBMSEC_MRK_MUK_KDF;
  if (mode_s && mbmsec_gba_mode_parse(mode_s, &mode) != MBMSEC_OK)
    return cli_usage_error(cmd, "--mrk-muk-mode: kdf or none, got '%s'", mode_s);
  if (naf && !*naf) return cli_usage_error(cmd, "--naf-fqdn must not be empty");
  char host[MBMSEC_UE_ID_MAX + 1], path[MBMSEC_UE_ID_MAX + 1];
  if (mbmsec_ue_url_parts(url, host, sizeof host, path, sizeof path) != MBMSEC_OK)
    return cli_usage_error(cmd, "--bsf: expected an http:// or https:// URL, got '%s'", url);

  mbmsec_ue_http *http = NULL;
  mbmsec_ue_bootstrap b;
  mbmsec_ue_bootstrap_info info;
  uint8_t ks_naf[32], mrk[32], muk[32];
  memset(&b, 0, sizeof b);
  mbmsec_err e = mbmsec_ue_http_new(url, (long)tmo, &http);
  if (e != MBMSEC_OK) {
    rc = cli_fail(cmd, "%s", mbmsec_strerror(e));
    goto out;
  }
  mbmsec_ue_bootstrap_cfg cfg = {impi,  realm ? realm : host,    path, usim, NULL,
                                 state, mbmsec_ue_http_exchange, http};
  e = mbmsec_ue_bootstrap_run(&cfg, &b, &info);
  if (e != MBMSEC_OK) {
    if (e == MBMSEC_ERR_UE_HTTP)
      rc = cli_fail(cmd, "%s: %s [%s]", ue_bootstrap_reason(e), mbmsec_ue_http_error(http),
                    mbmsec_errname(e));
    else if (e == MBMSEC_ERR_UE_HTTP_STATUS && info.last_status)
      rc = cli_fail(cmd, "%s (HTTP %ld) [%s]", ue_bootstrap_reason(e), info.last_status,
                    mbmsec_errname(e));
    else
      rc = cli_fail(cmd, "%s [%s]", ue_bootstrap_reason(e), mbmsec_errname(e));
    goto out;
  }
  if (naf) {
    e = mbmsec_ue_naf_keys(&b, naf, mode, (int64_t)time(NULL), ks_naf, mrk, muk);
    if (e != MBMSEC_OK) {
      rc = cli_fail(cmd, "bootstrapped (state saved) but NAF keys failed: %s", mbmsec_strerror(e));
      goto out;
    }
  }
  cli_out o;
  cli_out_begin(&o, json);
  cli_out_str(&o, "btid", b.btid);
  out_time(&o, "lifetime", b.lifetime);
  cli_out_hex(&o, "rand", b.rand, sizeof b.rand);
  if (info.resyncs) cli_out_str(&o, "resyncs", "1");
  if (keys) cli_out_hex(&o, "ks", b.ks, sizeof b.ks);
  if (naf) {
    uint8_t naf_id[MBMSEC_UE_ID_MAX + 8];
    size_t nlen = 0;
    if (mbmsec_gba_naf_id(naf, strlen(naf), NULL, naf_id, sizeof naf_id, &nlen) == MBMSEC_OK)
      cli_out_hex(&o, "naf_id", naf_id, nlen);
    if (keys) {
      cli_out_hex(&o, "ks_naf", ks_naf, 32);
      cli_out_hex(&o, "mrk", mrk, 32);
      cli_out_hex(&o, "muk", muk, 32);
    }
  }
  cli_out_end(&o);
  rc = CLI_OK;
out:
  mbmsec_cleanse(ks_naf, sizeof ks_naf);
  mbmsec_cleanse(mrk, sizeof mrk);
  mbmsec_cleanse(muk, sizeof muk);
  mbmsec_ue_bootstrap_cleanse(&b);
  mbmsec_ue_http_free(http);
  return rc;
}
