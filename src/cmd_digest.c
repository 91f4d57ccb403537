/* `mbmsec digest`: HTTP Digest HA1, HA2, response and rspauth; `mbmsec digest parse`: the
 * directives of a WWW-Authenticate, Authorization or Authentication-Info value. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "cmd.h"
#include "mbmsec/crypto.h"
#include "mbmsec/digest.h"
#include "mbmsec/digest_parse.h"

static const char CMD[] = "digest";
#define BODY_MAX         (64u * 1024 * 1024)
#define PASSWORD_HEX_MAX 1024

static void usage(void)
{
  printf("Usage: mbmsec digest --algorithm ALG --qop QOP --username S --realm S\n"
         "                     (--password S | --password-hex HEX) --method S --uri S --nonce S\n"
         "                     --nc HEX8 --cnonce S [--body-file F] [--response-body-file F] "
         "[--json]\n"
         "       mbmsec digest parse --header KIND [--lenient] [--json] VALUE\n"
         "\n"
         "HTTP Digest (RFC 7616, RFC 2617) and its AKA variant (RFC 3310).\n"
         "\n"
         "  --algorithm ALG         MD5, SHA-256, MD5-sess, SHA-256-sess or AKAv1-MD5\n"
         "  --qop QOP               auth, auth-int, or none (RFC 2069: no nc, no cnonce)\n"
         "  --username S            the unquoted username (B-TID, IMPI, ...)\n"
         "  --realm S               the unquoted realm\n"
         "  --password S            the password as text\n"
         "  --password-hex HEX      the password as octets (AKAv1-MD5: RES, raw)\n"
         "  --method S              request method, e.g. POST\n"
         "  --uri S                 the request-target, byte for byte\n"
         "  --nonce S, --cnonce S   unquoted nonce and cnonce\n"
         "  --nc HEX8               nonce count, 8 hex digits (hashed as given)\n"
         "  --body-file F           request entity body (auth-int; default empty)\n"
         "  --response-body-file F  response entity body for rspauth (auth-int; default empty)\n"
         "  --json                  one JSON object instead of name=value lines\n"
         "  --help                  this text\n"
         "\n"
         "Prints ha1, ha2, response and rspauth (lower-case hex), one name=value line each.\n"
         "\n"
         "parse: KIND is www-authenticate, authorization or authentication-info; VALUE is the\n"
         "header value without the field name. Prints the directives found (unquoted), or\n"
         "exits 1 with the error name. --lenient accepts nonce=\"\" and response=\"\" in an\n"
         "Authorization (the AKA first request).\n"
         "Exit status: 0 success, 1 bad header or failure, 2 usage error.\n");
}

static bool want_help(int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return true;
  return false;
}

/* ---- digest parse ---- */

static void out_s(cli_out *o, const char *name, mbmsec_digest_str s)
{
  char buf[MBMSEC_DIGEST_VALUE_MAX + 1];
  size_t n = s.len < MBMSEC_DIGEST_VALUE_MAX ? s.len : MBMSEC_DIGEST_VALUE_MAX;
  if (n) memcpy(buf, s.p, n);
  buf[n] = '\0';
  cli_out_str(o, name, buf);
}

static int cmd_parse(int argc, char **argv)
{
  const char *kind_s = NULL, *value = NULL;
  bool json = false;
  unsigned flags = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--json"))
      json = true;
    else if (!strcmp(a, "--lenient"))
      flags |= MBMSEC_DIGEST_LENIENT_EMPTY;
    else if (!strcmp(a, "--header")) {
      if (i + 1 >= argc) return cli_usage_error(CMD, "--header needs a value");
      kind_s = argv[++i];
    } else if (!strncmp(a, "--header=", 9))
      kind_s = a + 9;
    else if (!strcmp(a, "--")) {
      if (i + 1 < argc && !value) value = argv[++i];
      if (i + 1 < argc) return cli_usage_error(CMD, "parse takes one header value");
    } else if (a[0] == '-' && a[1] == '-')
      return cli_usage_error(CMD, "unknown argument '%s'", a);
    else if (value)
      return cli_usage_error(CMD, "parse takes one header value");
    else
      value = a;
  }
  if (!kind_s)
    return cli_usage_error(
        CMD, "parse needs --header www-authenticate|authorization|authentication-info");
  mbmsec_digest_kind kind;
  if (!strcasecmp(kind_s, "www-authenticate"))
    kind = MBMSEC_DIGEST_WWW_AUTHENTICATE;
  else if (!strcasecmp(kind_s, "authorization"))
    kind = MBMSEC_DIGEST_AUTHORIZATION;
  else if (!strcasecmp(kind_s, "authentication-info"))
    kind = MBMSEC_DIGEST_AUTHENTICATION_INFO;
  else
    return cli_usage_error(CMD, "--header: unknown kind '%s'", kind_s);
  if (!value) return cli_usage_error(CMD, "parse needs the header value");

  mbmsec_digest_header *h = malloc(sizeof *h);
  if (!h) return cli_fail(CMD, "out of memory");
  mbmsec_err e = mbmsec_digest_parse(kind, value, strlen(value), flags, h);
  if (e != MBMSEC_OK) {
    free(h);
    fprintf(stderr, "mbmsec %s: %s: %s\n", CMD, mbmsec_errname(e), mbmsec_strerror(e));
    return CLI_FAIL;
  }
  cli_out o;
  cli_out_begin(&o, json);
  if (h->present & MBMSEC_DIGEST_F_USERNAME) out_s(&o, "username", h->username);
  if (h->present & MBMSEC_DIGEST_F_REALM) out_s(&o, "realm", h->realm);
  if (h->present & MBMSEC_DIGEST_F_DOMAIN) out_s(&o, "domain", h->domain);
  if (h->present & MBMSEC_DIGEST_F_NONCE) out_s(&o, "nonce", h->nonce);
  if (h->present & MBMSEC_DIGEST_F_URI) out_s(&o, "uri", h->uri);
  if (h->present & MBMSEC_DIGEST_F_ALGORITHM)
    cli_out_str(&o, "algorithm", mbmsec_digest_alg_name(h->algorithm));
  if (h->present & MBMSEC_DIGEST_F_QOP) {
    if (kind == MBMSEC_DIGEST_WWW_AUTHENTICATE) {
      unsigned l = h->qop_list;
      cli_out_str(&o, "qop",
                  (l & MBMSEC_DIGEST_QOPBIT_AUTH)
                      ? ((l & MBMSEC_DIGEST_QOPBIT_AUTH_INT) ? "auth,auth-int" : "auth")
                      : "auth-int");
    } else {
      cli_out_str(&o, "qop", mbmsec_digest_qop_name(h->qop));
    }
  }
  if (h->present & MBMSEC_DIGEST_F_NC) cli_out_str(&o, "nc", h->nc);
  if (h->present & MBMSEC_DIGEST_F_CNONCE) out_s(&o, "cnonce", h->cnonce);
  if (h->present & MBMSEC_DIGEST_F_RESPONSE) out_s(&o, "response", h->response);
  if (h->present & MBMSEC_DIGEST_F_RSPAUTH) out_s(&o, "rspauth", h->rspauth);
  if (h->present & MBMSEC_DIGEST_F_NEXTNONCE) out_s(&o, "nextnonce", h->nextnonce);
  if (h->present & MBMSEC_DIGEST_F_OPAQUE) out_s(&o, "opaque", h->opaque);
  if (h->present & MBMSEC_DIGEST_F_STALE) cli_out_str(&o, "stale", h->stale ? "true" : "false");
  cli_out_end(&o);
  free(h);
  return CLI_OK;
}

/* ---- digest (compute) ---- */

enum {
  O_ALG,
  O_QOP,
  O_USER,
  O_REALM,
  O_PW,
  O_PWHEX,
  O_METHOD,
  O_URI,
  O_NONCE,
  O_NC,
  O_CNONCE,
  O_BODY,
  O_RBODY,
  O_COUNT
};
static const char *const OPTS[O_COUNT] = {"--algorithm",
                                          "--qop",
                                          "--username",
                                          "--realm",
                                          "--password",
                                          "--password-hex",
                                          "--method",
                                          "--uri",
                                          "--nonce",
                                          "--nc",
                                          "--cnonce",
                                          "--body-file",
                                          "--response-body-file"};

int cmd_digest(int argc, char **argv)
{
  if (want_help(argc, argv)) {
    usage();
    return CLI_OK;
  }
  if (argc >= 2 && !strcmp(argv[1], "parse")) return cmd_parse(argc - 1, argv + 1);

  const char *val[O_COUNT] = {0};
  bool json = false;
  bool help = false;
  if (cli_parse_values(CMD, argc, argv, OPTS, val, O_COUNT, &json, &help) != CLI_OK)
    return CLI_USAGE;

  mbmsec_digest_input in = {0};
  if (!val[O_ALG]) return cli_usage_error(CMD, "--algorithm is required");
  if (mbmsec_digest_alg_from_name(val[O_ALG], strlen(val[O_ALG]), &in.alg) != MBMSEC_OK)
    return cli_usage_error(
        CMD, "--algorithm: expected MD5, SHA-256, MD5-sess, SHA-256-sess or AKAv1-MD5, got '%s'",
        val[O_ALG]);
  if (!val[O_QOP]) return cli_usage_error(CMD, "--qop is required");
  if (!strcmp(val[O_QOP], "auth"))
    in.qop = MBMSEC_DIGEST_QOP_AUTH;
  else if (!strcmp(val[O_QOP], "auth-int"))
    in.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  else if (!strcmp(val[O_QOP], "none"))
    in.qop = MBMSEC_DIGEST_QOP_NONE;
  else
    return cli_usage_error(CMD, "--qop: expected auth, auth-int or none, got '%s'", val[O_QOP]);
  static const int required[] = {O_USER, O_REALM, O_METHOD, O_URI, O_NONCE};
  for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
    if (!val[required[k]]) return cli_usage_error(CMD, "%s is required", OPTS[required[k]]);
  if (!val[O_PW] == !val[O_PWHEX])
    return cli_usage_error(CMD, "give exactly one of --password and --password-hex");
  if (in.qop != MBMSEC_DIGEST_QOP_NONE) {
    if (!val[O_NC]) return cli_usage_error(CMD, "--nc is required with --qop %s", val[O_QOP]);
    if (!val[O_CNONCE])
      return cli_usage_error(CMD, "--cnonce is required with --qop %s", val[O_QOP]);
    const char *nc = val[O_NC];
    bool ok = strlen(nc) == 8;
    for (size_t k = 0; ok && k < 8; k++) ok = strchr("0123456789abcdefABCDEF", nc[k]) != NULL;
    if (!ok) return cli_usage_error(CMD, "--nc: expected 8 hex digits, got '%s'", nc);
  } else if (val[O_NC] || val[O_CNONCE]) {
    return cli_usage_error(CMD, "--nc and --cnonce need --qop auth or auth-int");
  }
  if (in.qop != MBMSEC_DIGEST_QOP_AUTH_INT && (val[O_BODY] || val[O_RBODY]))
    return cli_usage_error(CMD, "--body-file and --response-body-file need --qop auth-int");

  uint8_t pwhex[PASSWORD_HEX_MAX];
  uint8_t *body = NULL, *rbody = NULL;
  size_t body_len = 0, rbody_len = 0;
  int rc = CLI_USAGE;
  if (val[O_PWHEX]) {
    if (cli_hex_arg(CMD, "--password-hex", val[O_PWHEX], pwhex, sizeof pwhex, 0, &in.password_len))
      goto out;
    in.password = pwhex;
  } else {
    in.password = (const uint8_t *)val[O_PW];
    in.password_len = strlen(val[O_PW]);
  }
  if (val[O_BODY] && cli_read_file(CMD, val[O_BODY], BODY_MAX, &body, &body_len)) goto out;
  if (val[O_RBODY] && cli_read_file(CMD, val[O_RBODY], BODY_MAX, &rbody, &rbody_len)) goto out;
  in.username = mbmsec_digest_s(val[O_USER]);
  in.realm = mbmsec_digest_s(val[O_REALM]);
  in.method = mbmsec_digest_s(val[O_METHOD]);
  in.uri = mbmsec_digest_s(val[O_URI]);
  in.nonce = mbmsec_digest_s(val[O_NONCE]);
  in.nc = mbmsec_digest_s(val[O_NC]);
  in.cnonce = mbmsec_digest_s(val[O_CNONCE]);
  in.body = body;
  in.body_len = body_len;

  mbmsec_digest_result r;
  mbmsec_err e = mbmsec_digest_compute(&in, rbody, rbody_len, &r);
  if (e != MBMSEC_OK) {
    rc = cli_fail(CMD, "%s", mbmsec_strerror(e));
    goto out;
  }
  cli_out o;
  cli_out_begin(&o, json);
  cli_out_str(&o, "ha1", r.ha1);
  cli_out_str(&o, "ha2", r.ha2);
  cli_out_str(&o, "response", r.response);
  cli_out_str(&o, "rspauth", r.rspauth);
  cli_out_end(&o);
  mbmsec_digest_result_cleanse(&r);
  rc = CLI_OK;
out:
  mbmsec_cleanse(pwhex, sizeof pwhex);
  free(body);
  free(rbody);
  return rc;
}
