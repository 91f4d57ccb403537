/* mbmsec-load: command line (docs/load.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"

static const char HELP[] =
    "Usage: mbmsec-load --bsf URL --bmsc URL --impi-prefix S --k HEX --opc HEX\n"
    "                   (--service-id S)... [(--key-id B64)...] [options]\n"
    "       mbmsec-load --mode digest-get --url URL --user U --password P [options]\n"
    "\n"
    "A load generator that plays many UEs (profile P6: UE i sends from its own loopback\n"
    "address 127.N.x.y and receives MIKEY there).\n"
    "\n"
    "BM-SC mode (default): every UE bootstraps through the BSF (Ub, Digest AKA, IMPIs\n"
    "S0..S(N-1), all with K and OPc), derives Ks_NAF/MRK/MUK, registers for the services with\n"
    "Digest auth-int, optionally sends one MSK request, and receives, verifies and\n"
    "acknowledges its MIKEY MSK messages (per-UE replay state in memory).\n"
    "  --bsf URL            the BSF's Ub URL (e.g. http://127.0.0.1:8080/)\n"
    "  --bsf-realm R        realm of the first Ub request (default: the URL's host)\n"
    "  --bmsc URL           the BM-SC key-management URI (e.g. http://127.0.0.1:8081)\n"
    "  --naf-fqdn FQDN      the BM-SC's FQDN (realm, NAF_Id, MIKEY IDi; default: URL host)\n"
    "  --impi-prefix S      IMPIs S0, S1, ... (provision with `mbmsec-bsf subscriber import`)\n"
    "  --k HEX, --opc HEX   every subscriber's K and OPc (16 octets each)\n"
    "  --mrk-muk-mode M     kdf (default) or none (profile P1)\n"
    "  --service-id S       register for S (repeat for more; at most 8)\n"
    "  --key-id B64         MSK request item (repeat; key number 0 = current MSK, P15)\n"
    "  --mikey-port N       UE MIKEY port (default 2269; the BM-SC's --ue-mikey-port)\n"
    "  --addr-net N         UE addresses start at 127.N.0.1 (default 1)\n"
    "  --expect-msks N      after registering, wait until every UE holds N distinct MSKs\n"
    "  --wait S             ... at most S seconds (default 60)\n"
    "  --stay S             then keep receiving and acknowledging pushes for S seconds\n"
    "  --mikey-log FILE     one line per accepted MSK message: unix time, UE, MSK ID, outcome\n"
    "Digest GET mode (the comparison with Apache httpd mod_auth_digest):\n"
    "  --mode digest-get    GET --url with Digest qop=auth as --user / --password\n"
    "Both:\n"
    "  --ues N              simulated UEs (default 100)\n"
    "  --threads T          worker threads (default 8)\n"
    "  --max-conns C        kept-alive connections in all (default 256)\n"
    "  --inflight L         requests in flight at once in the repeat phase, each thread\n"
    "                       multiplexing its share on epoll (default 8 per thread, at most --ues)\n"
    "  --duration S         repeated requests (MSK requests with the --key-id items, or GETs)\n"
    "                       round robin over the UEs for S seconds\n"
    "  --requests N         ... or N of them\n"
    "  --timeout-ms N       per HTTP request (default 10000)\n"
    "  --json               final report as one JSON object\n"
    "  --quiet              no progress line (default: one on stderr each second)\n"
    "Report: per phase requests ok, errors, per second and latency p50/p90/p99/max (us);\n"
    "errors by kind (timeout, connect, http:STATUS, digest:*, item:CODE, bootstrap:*,\n"
    "mikey-refused:REASON); MIKEY messages, new MSKs, acks and their rates; UEs by MSKs held.\n"
    "Exit status: 0 no error (and every UE holds --expect-msks), 1 otherwise, 2 usage error.\n";

/* "mbmsec-load: <message> (see --help)" on stderr; the usage status 2. */
#define usage(...) \
  (fprintf(stderr, "mbmsec-load: " __VA_ARGS__), fputs(" (see --help)\n", stderr), 2)

static int num(const char *opt, const char *v, unsigned long long max, unsigned long long *out)
{
  char *end = NULL;
  if (!v || !*v || *v == '-') return usage("%s: expected a number", opt);
  unsigned long long x = strtoull(v, &end, 10);
  if (*end || x > max) return usage("%s: out of range or not a number", opt);
  *out = x;
  return 0;
}

static int hex16(const char *opt, const char *v, uint8_t out[16])
{
  size_t n = 0;
  if (mbmsec_hex_decode(v, strlen(v), out, 16, &n) != MBMSEC_OK || n != 16)
    return usage("%s: expected 32 hex digits", opt);
  return 0;
}

int main(int argc, char **argv)
{
  load_cfg c;
  memset(&c, 0, sizeof c);
  c.ues = 100;
  c.threads = 8;
  c.max_conns = 256;
  c.timeout_ms = 10000;
  c.mikey_port = 2269;
  c.addr_net = 1;
  c.wait_s = 60;
  c.mrk_muk_mode = MBMSEC_MRK_MUK_KDF;
  const char *k = NULL, *opc = NULL, *mode = "bmsc";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) return fputs(HELP, stdout), 0;
    if (!strcmp(a, "--json")) {
      c.json = true;
      continue;
    }
    if (!strcmp(a, "--quiet")) {
      c.quiet = true;
      continue;
    }
    if (i + 1 >= argc) return usage("%s: needs a value or is unknown", a);
    const char *v = argv[++i];
    unsigned long long x = 0;
    int e = 0;
    if (!strcmp(a, "--mode"))
      mode = v;
    else if (!strcmp(a, "--bsf"))
      c.bsf_url = v;
    else if (!strcmp(a, "--bsf-realm"))
      c.bsf_realm = v;
    else if (!strcmp(a, "--bmsc"))
      c.bmsc_url = v;
    else if (!strcmp(a, "--naf-fqdn"))
      c.naf_fqdn = v;
    else if (!strcmp(a, "--impi-prefix"))
      c.impi_prefix = v;
    else if (!strcmp(a, "--k"))
      k = v;
    else if (!strcmp(a, "--opc"))
      opc = v;
    else if (!strcmp(a, "--url"))
      c.url = v;
    else if (!strcmp(a, "--user"))
      c.user = v;
    else if (!strcmp(a, "--password"))
      c.password = v;
    else if (!strcmp(a, "--mikey-log"))
      c.mikey_log = v;
    else if (!strcmp(a, "--mrk-muk-mode")) {
      if (!strcmp(v, "kdf"))
        c.mrk_muk_mode = MBMSEC_MRK_MUK_KDF;
      else if (!strcmp(v, "none"))
        c.mrk_muk_mode = MBMSEC_MRK_MUK_NONE;
      else
        return usage("--mrk-muk-mode: kdf or none, not '%s'", v);
    } else if (!strcmp(a, "--service-id")) {
      if (c.n_service_ids == LOAD_ITEMS_MAX) return usage("%s: at most 8", a);
      c.service_ids[c.n_service_ids++] = v;
    } else if (!strcmp(a, "--key-id")) {
      if (c.n_key_ids == LOAD_ITEMS_MAX) return usage("%s: at most 8", a);
      c.key_ids[c.n_key_ids++] = v;
    } else if (!strcmp(a, "--ues")) {
      if ((e = num(a, v, LOAD_UES_MAX, &x))) return e;
      c.ues = (unsigned)x;
    } else if (!strcmp(a, "--threads")) {
      if ((e = num(a, v, LOAD_THREADS_MAX, &x))) return e;
      c.threads = (unsigned)x;
    } else if (!strcmp(a, "--inflight")) {
      if ((e = num(a, v, 65536, &x)) || x == 0) return e ? e : usage("%s: 1..65536", a);
      c.inflight = (unsigned)x;
    } else if (!strcmp(a, "--max-conns")) {
      if ((e = num(a, v, 100000, &x))) return e;
      c.max_conns = (unsigned)x;
    } else if (!strcmp(a, "--mikey-port")) {
      if ((e = num(a, v, 65535, &x)) || x == 0) return e ? e : usage("%s: 1..65535", a);
      c.mikey_port = (unsigned)x;
    } else if (!strcmp(a, "--addr-net")) {
      if ((e = num(a, v, 254, &x)) || x == 0) return e ? e : usage("%s: 1..254", a);
      c.addr_net = (unsigned)x;
    } else if (!strcmp(a, "--expect-msks")) {
      if ((e = num(a, v, LOAD_MSK_TRACK, &x))) return e;
      c.expect_msks = (unsigned)x;
    } else if (!strcmp(a, "--wait")) {
      if ((e = num(a, v, 86400, &x))) return e;
      c.wait_s = (unsigned)x;
    } else if (!strcmp(a, "--stay")) {
      if ((e = num(a, v, 86400 * 7, &x))) return e;
      c.stay_s = (unsigned)x;
    } else if (!strcmp(a, "--duration")) {
      if ((e = num(a, v, 86400, &x))) return e;
      c.duration_s = (double)x;
    } else if (!strcmp(a, "--requests")) {
      if ((e = num(a, v, 1000000000000ULL, &x))) return e;
      c.requests = x;
    } else if (!strcmp(a, "--timeout-ms")) {
      if ((e = num(a, v, 3600000, &x)) || x == 0) return e ? e : usage("%s: 1..3600000", a);
      c.timeout_ms = (long)x;
    } else {
      return usage("unknown option '%s'", a);
    }
  }
  if (c.ues == 0 || c.threads == 0 || c.max_conns == 0)
    return usage("%s", "--ues, --threads and --max-conns must be at least 1");
  if (c.threads > c.ues) c.threads = c.ues;
  if (!c.inflight) c.inflight = 8 * c.threads;
  if (c.inflight > c.ues) c.inflight = c.ues;
  if (c.inflight < c.threads) c.inflight = c.threads;
  if (c.duration_s > 0 && c.requests) return usage("%s", "give --duration or --requests, not both");
  /* 64,000 UEs per step of the second octet: the last UE must stay inside 127.0.0.0/8. */
  if (c.addr_net + (c.ues - 1) / LOAD_ADDRS_PER_C / 256 > 254)
    return usage("%s", "--ues too many for --addr-net (addresses leave 127.0.0.0/8)");
  if (!strcmp(mode, "digest-get")) {
    c.mode = LOAD_MODE_DIGEST_GET;
    if (!c.url || !c.user || !c.password)
      return usage("%s", "digest-get needs --url, --user and --password");
    if (!c.duration_s && !c.requests)
      return usage("%s", "digest-get needs --duration or --requests");
  } else if (!strcmp(mode, "bmsc")) {
    if (!c.bsf_url || !c.bmsc_url || !c.impi_prefix || !k || !opc || !c.n_service_ids)
      return usage("%s", "needs --bsf, --bmsc, --impi-prefix, --k, --opc and --service-id");
    int e = hex16("--k", k, c.k);
    if (!e) e = hex16("--opc", opc, c.opc);
    if (e) return e;
    if ((c.duration_s > 0 || c.requests) && !c.n_key_ids)
      return usage("%s", "--duration / --requests repeat MSK requests: give --key-id");
    static char host[256], path[256];
    if (mbmsec_ue_url_parts(c.bmsc_url, host, sizeof host, path, sizeof path) != MBMSEC_OK)
      return usage("--bmsc '%s': expected an http:// URL", c.bmsc_url);
    if (!c.naf_fqdn) c.naf_fqdn = host;
  } else {
    return usage("--mode: bmsc or digest-get, not '%s'", mode);
  }
  if (mbmsec_ue_global_init() != MBMSEC_OK)
    return fputs("mbmsec-load: libcurl init failed\n", stderr), 1;
  int rc = load_run(&c);
  mbmsec_ue_global_cleanup();
  mbmsec_cleanse(c.k, sizeof c.k);
  mbmsec_cleanse(c.opc, sizeof c.opc);
  return rc;
}
