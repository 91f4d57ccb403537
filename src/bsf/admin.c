/* `mbmsec-bsf subscriber add|import|list|show|del`: the built-in HSS in the store. K and OPc
 * are printed only with --show-keys. import adds a CSV file of subscribers in one transaction
 * (all or none), for provisioning thousands at once (load tests). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "bsf.h"
#include "mbmsec/bulk.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/milenage.h"
#include "mbmsec/store.h"

static const char HELP[] =
    "Usage: mbmsec-bsf subscriber add --store URI --impi S --k HEX (--op HEX | --opc HEX)\n"
    "                                 [--sqn HEX12] [--amf HEX4] [--uss LIST]\n"
    "       mbmsec-bsf subscriber import --store URI --file CSV\n"
    "       mbmsec-bsf subscriber list --store URI [--json] [--show-keys]\n"
    "       mbmsec-bsf subscriber show --store URI --impi S [--json] [--show-keys]\n"
    "       mbmsec-bsf subscriber del --store URI --impi S\n"
    "\n"
    "The subscribers of the BSF's built-in HSS (store URI as for `run`, e.g. sqlite:bsf.db).\n"
    "  --impi S      private identity (1..255 printable ASCII characters)\n"
    "  --k HEX       subscriber key K, 16 octets\n"
    "  --op HEX      operator variant OP, 16 octets (OPc = OP xor E_K(OP) is stored)\n"
    "  --opc HEX     OPc, 16 octets\n"
    "  --sqn HEX12   last SQN handed out, 6 octets (default 000000000000)\n"
    "  --amf HEX4    AMF, 2 octets (default 8000)\n"
    "  --uss LIST    GBA user security settings: comma list of GSIDs (default 4 = MBMS)\n"
    "  --json        one JSON object (show) or array (list)\n"
    "  --show-keys   also print K and OPc\n"
    "  --file CSV    import: one subscriber a line, IMPI,K,OPC[,SQN[,AMF[,USS]]] (hex as\n"
    "                above; USS is the rest of the line, e.g. 4 or 4,1); '#' lines and blank\n"
    "                lines are skipped; LF or CRLF, at most 1024 octets a line. All lines\n"
    "                are added in one transaction, or none (the first bad line is named).\n"
    "                '-' reads standard input.\n"
    "Output: name=value lines (list: one line per subscriber). Exit status: 0 success,\n"
    "1 failure (not found, already present, store error), 2 usage error.\n";

typedef struct {
  const char *store, *impi, *k, *op, *opc, *sqn, *amf, *uss, *file;
  bool json, show_keys;
} opts;

/* The options of every subscriber command (src/cli.c's parser); each command then says which
 * of them it takes. --help never reaches here (bsf_cmd_subscriber answers it). */
static int parse(const char *cmd, int argc, char **argv, opts *o)
{
  const cli_opt all[] = {{"--store", &o->store, NULL},
                         {"--impi", &o->impi, NULL},
                         {"--k", &o->k, NULL},
                         {"--op", &o->op, NULL},
                         {"--opc", &o->opc, NULL},
                         {"--sqn", &o->sqn, NULL},
                         {"--amf", &o->amf, NULL},
                         {"--uss", &o->uss, NULL},
                         {"--file", &o->file, NULL},
                         {"--json", NULL, &o->json},
                         {"--show-keys", NULL, &o->show_keys}};
  bool help;
  if (cli_parse(cmd, argc, argv, all, sizeof all / sizeof all[0], &help)) return CLI_USAGE;
  if (!o->store) return cli_usage_error(cmd, "--store is required");
  return 0;
}

static int hex_opt(const char *cmd, const char *name, const char *v, uint8_t *out, size_t want)
{
  size_t n = 0;
  if (mbmsec_hex_decode(v, strlen(v), out, want, &n) != MBMSEC_OK || n != want)
    return cli_usage_error(cmd, "%s: expected %zu octets as %zu hex digits", name, want, 2 * want);
  return 0;
}

static int open_store(const char *cmd, const char *uri, mbmsec_store **st)
{
  mbmsec_err rc = mbmsec_store_open(uri, st);
  if (rc != MBMSEC_OK) return cli_fail(cmd, "cannot open store %s: %s", uri, mbmsec_strerror(rc));
  return 0;
}

static int cmd_add(int argc, char **argv)
{
  const char *cmd = "subscriber add";
  opts o = {0};
  uint8_t k[16], opc[16], op[16], amf[2] = {0x80, 0x00}, sqn[6] = {0};
  mbmsec_store *st = NULL;
  int ret = parse(cmd, argc, argv, &o);
  if (ret) return ret;
  if (!o.impi || !o.k) return cli_usage_error(cmd, "--impi and --k are required");
  if (o.file) return cli_usage_error(cmd, "--file belongs to 'subscriber import'");
  if (!o.op == !o.opc) return cli_usage_error(cmd, "give exactly one of --op and --opc");
  if ((ret = hex_opt(cmd, "--k", o.k, k, 16)) ||
      (ret = hex_opt(cmd, o.op ? "--op" : "--opc", o.op ? o.op : o.opc, o.op ? op : opc, 16)) ||
      (o.sqn && (ret = hex_opt(cmd, "--sqn", o.sqn, sqn, 6))) ||
      (o.amf && (ret = hex_opt(cmd, "--amf", o.amf, amf, 2))))
    goto out;
  if (o.op && mbmsec_milenage_opc(k, op, opc) != MBMSEC_OK) {
    ret = cli_fail(cmd, "cannot derive OPc");
    goto out;
  }
  uint64_t s = 0;
  for (int i = 0; i < 6; i++) s = (s << 8) | sqn[i];
  if ((ret = open_store(cmd, o.store, &st))) goto out;
  mbmsec_store_subscriber_in in = {.impi = o.impi,
                                   .k = k,
                                   .k_len = 16,
                                   .opc = opc,
                                   .opc_len = 16,
                                   .sqn = s,
                                   .amf = amf,
                                   .amf_len = 2,
                                   .uss = o.uss ? o.uss : "4"};
  mbmsec_err rc = mbmsec_store_subscriber_add(st, &in);
  if (rc == MBMSEC_ERR_STORE_IMPI || rc == MBMSEC_ERR_STORE_USS)
    ret = cli_usage_error(cmd, "%s", mbmsec_strerror(rc));
  else if (rc != MBMSEC_OK)
    ret = cli_fail(cmd, "%s: %s", o.impi, mbmsec_strerror(rc));
out:
  mbmsec_store_close(st);
  mbmsec_cleanse(k, sizeof k);
  mbmsec_cleanse(op, sizeof op);
  mbmsec_cleanse(opc, sizeof opc);
  return ret;
}

/* Subscriber CSV files: read whole (10,000 subscribers are about 1 MB). */
#define IMPORT_FILE_MAX (64u << 20)

typedef struct {
  mbmsec_store *st;
  unsigned long added;
} import_ctx;

static mbmsec_err import_one(const mbmsec_bulk_subscriber *r, unsigned long line, void *arg)
{
  import_ctx *c = arg;
  (void)line;
  mbmsec_store_subscriber_in in = {.impi = r->impi,
                                   .k = r->k,
                                   .k_len = 16,
                                   .opc = r->opc,
                                   .opc_len = 16,
                                   .sqn = r->sqn,
                                   .amf = r->amf,
                                   .amf_len = 2,
                                   .uss = r->uss};
  mbmsec_err rc = mbmsec_store_subscriber_add(c->st, &in);
  c->added += rc == MBMSEC_OK;
  return rc;
}

static int cmd_import(int argc, char **argv)
{
  const char *cmd = "subscriber import";
  opts o = {0};
  mbmsec_store *st = NULL;
  uint8_t *text = NULL;
  size_t len = 0;
  bool began = false;
  import_ctx c = {0};
  mbmsec_bulk_pos pos;
  int ret = parse(cmd, argc, argv, &o);
  if (ret) return ret;
  if (!o.file) return cli_usage_error(cmd, "--file is required");
  if (o.impi || o.k || o.op || o.opc || o.sqn || o.amf || o.uss || o.json || o.show_keys)
    return cli_usage_error(cmd, "takes only --store and --file");
  if (cli_read_input(cmd, o.file, IMPORT_FILE_MAX, &text, &len)) return 1;
  if ((ret = open_store(cmd, o.store, &st))) goto out;
  mbmsec_err rc = mbmsec_store_batch_begin(st);
  if (rc != MBMSEC_OK) {
    ret = cli_fail(cmd, "%s", mbmsec_strerror(rc));
    goto out;
  }
  began = true;
  c.st = st;
  rc = mbmsec_bulk_subscribers(text, len, import_one, &c, &pos);
  if (rc != MBMSEC_OK) {
    ret = cli_fail(cmd, "%s:%lu: %s; nothing imported", o.file, pos.line,
                   pos.why ? pos.why : mbmsec_strerror(rc));
    goto out;
  }
  rc = mbmsec_store_batch_commit(st);
  if (rc != MBMSEC_OK) {
    ret = cli_fail(cmd, "commit: %s; nothing imported", mbmsec_strerror(rc));
    goto out;
  }
  began = false;
  printf("imported=%lu\n", c.added);
out:
  if (began) mbmsec_store_batch_rollback(st);
  mbmsec_store_close(st);
  if (text) mbmsec_cleanse(text, len);
  free(text);
  return ret;
}

static void print_sub(const mbmsec_store_subscriber *s, bool json, bool keys)
{
  char sqn[13];
  uint8_t b[6];
  for (int i = 0; i < 6; i++) b[i] = (uint8_t)(s->sqn >> (8 * (5 - i)));
  mbmsec_hex_encode(b, 6, sqn, sizeof sqn);
  cli_out o;
  cli_out_begin(&o, json);
  cli_out_str(&o, "impi", s->impi);
  cli_out_str(&o, "sqn", sqn);
  cli_out_hex(&o, "amf", s->amf, 2);
  cli_out_str(&o, "uss", s->uss);
  if (keys) {
    cli_out_hex(&o, "k", s->k, 16);
    cli_out_hex(&o, "opc", s->opc, 16);
  }
  cli_out_end(&o);
}

typedef struct {
  bool json, keys;
  int n;
} list_ctx;

static mbmsec_err list_one(const mbmsec_store_subscriber *s, void *arg)
{
  list_ctx *c = arg;
  if (c->json) {
    if (c->n) fputs(",\n", stdout);
  } else if (c->n) {
    fputc('\n', stdout); /* a blank line between subscribers */
  }
  c->n++;
  print_sub(s, c->json, c->keys);
  return MBMSEC_OK;
}

static int cmd_list(int argc, char **argv)
{
  const char *cmd = "subscriber list";
  opts o = {0};
  mbmsec_store *st = NULL;
  int ret = parse(cmd, argc, argv, &o);
  if (ret) return ret;
  if (o.impi || o.k || o.op || o.opc || o.sqn || o.amf || o.uss || o.file)
    return cli_usage_error(cmd, "takes only --store, --json and --show-keys");
  if ((ret = open_store(cmd, o.store, &st))) return ret;
  list_ctx c = {o.json, o.show_keys, 0};
  if (o.json) fputs("[\n", stdout);
  mbmsec_err rc = mbmsec_store_subscriber_list(st, list_one, &c);
  if (o.json) fputs(c.n ? "\n]\n" : "]\n", stdout);
  if (rc != MBMSEC_OK) ret = cli_fail(cmd, "%s", mbmsec_strerror(rc));
  mbmsec_store_close(st);
  return ret;
}

static int cmd_show_del(int argc, char **argv, bool del)
{
  const char *cmd = del ? "subscriber del" : "subscriber show";
  opts o = {0};
  mbmsec_store *st = NULL;
  int ret = parse(cmd, argc, argv, &o);
  if (ret) return ret;
  if (!o.impi) return cli_usage_error(cmd, "--impi is required");
  if (o.k || o.op || o.opc || o.sqn || o.amf || o.uss || o.file || (del && (o.json || o.show_keys)))
    return cli_usage_error(cmd, "unexpected option");
  if ((ret = open_store(cmd, o.store, &st))) return ret;
  mbmsec_err rc;
  if (del) {
    rc = mbmsec_store_subscriber_delete(st, o.impi);
  } else {
    mbmsec_store_subscriber s;
    rc = mbmsec_store_subscriber_get(st, o.impi, &s);
    if (rc == MBMSEC_OK) print_sub(&s, o.json, o.show_keys);
    mbmsec_cleanse(&s, sizeof s);
  }
  if (rc != MBMSEC_OK) ret = cli_fail(cmd, "%s: %s", o.impi, mbmsec_strerror(rc));
  mbmsec_store_close(st);
  return ret;
}

int bsf_cmd_subscriber(int argc, char **argv)
{
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(HELP, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (int i = 2; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(HELP, stdout);
      return 0;
    }
  if (!strcmp(argv[1], "add")) return cmd_add(argc - 1, argv + 1);
  if (!strcmp(argv[1], "import")) return cmd_import(argc - 1, argv + 1);
  if (!strcmp(argv[1], "list")) return cmd_list(argc - 1, argv + 1);
  if (!strcmp(argv[1], "show")) return cmd_show_del(argc - 1, argv + 1, false);
  if (!strcmp(argv[1], "del")) return cmd_show_del(argc - 1, argv + 1, true);
  return cli_usage_error("subscriber", "unknown subcommand '%s' (add, import, list, show, del)",
                         argv[1]);
}
