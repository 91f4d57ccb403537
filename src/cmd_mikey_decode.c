/* `mbmsec mikey decode`: every payload of a MIKEY message (one given in hex, or every UDP
 * datagram of a pcap file) and, with a key, the MAC check and the decrypted key data.
 *
 * An engineer's tool: the MAC check and decryption are done here from the RFC 3830 rules
 * (PRF keys, HMAC over the message, AES-CM with the KEMAC IV) on any well-formed message,
 * without the receiver's profile checks or replay state (mbmsec/mikey_state.h does that).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_mikey.h"
#include "mbmsec/crypto.h"
#include "mbmsec/mikey.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/mikey_prf.h"
#include "mbmsec/pcap.h"

static const char CMD[] = "mikey decode";
#define PCAP_FILE_MAX (256u << 20)
#define SEEN_MAX      64 /* MSK messages remembered from a pcap, for their verification messages */
#define KEYDATA_MAX   65536u

static void usage(void)
{
  printf("Usage: mbmsec mikey decode [--muk HEX] [--msk HEX] (--hex HEX | --pcap FILE)\n"
         "         [--msk-msg HEX] [--json] [--allow-null]\n\n"
         "Prints every payload of a MIKEY message: text mode prints `payload=TYPE` and then that\n"
         "payload's fields as `type.field=value` (numbers in decimal, octets in hex, IDs also as\n"
         "text when printable); --json prints one object {\"payloads\": [{\"type\": ..., fields},\n"
         "...], \"mac_ok\": BOOL, \"keys\": [{\"key\", \"salt\", \"vf\", \"vt\", ...}]}.\n\n"
         "  --hex HEX       one message\n"
         "  --pcap FILE     every UDP datagram of a classic pcap file (IPv4; RAW, Ethernet, Linux\n"
         "                  SLL or NULL link): one JSON object per line, or text blocks separated\n"
         "                  by a blank line, each with frame, src, sport, dst, dport\n"
         "  --muk HEX       check the MAC of MSK messages and decrypt them; check verification\n"
         "                  messages (needs the answered MSK message: from the same pcap, or\n"
         "                  --msk-msg)\n"
         "  --msk HEX       check the MAC of MTK messages (EXT with an MTK ID) and decrypt them\n"
         "  --msk-msg HEX   the MSK message a verification message answers (with --hex)\n"
         "  --allow-null    TEST ONLY: accept NULL encryption and the NULL MAC (key data shown\n"
         "                  in clear, nothing authenticated)\n\n"
         "mac_ok is present exactly when a MAC was computed and compared: it is absent without a\n"
         "matching key, with the NULL MAC, and for a verification message whose MSK message is\n"
         "not at hand (a `note` says why). Keys are decrypted only after the MAC verifies.\n"
         "No replay state is kept and no profile rule is applied: an engineer's tool.\n"
         "Exit status: 0 every message decoded (and verified when checked), 1 a message does not\n"
         "decode, a MAC does not verify or key data is malformed, 2 usage error.\n");
}

/* ---- output: name=value lines or JSON, through one set of calls ---- */

typedef struct {
  bool json;
  int depth;
  bool first[8];
  const char *pfx[8]; /* text prefix per depth ("" at top) */
} em;

static void em_sep(em *e)
{
  if (!e->json) return;
  if (!e->first[e->depth]) putchar(',');
  e->first[e->depth] = false;
}

static void em_name(em *e, const char *name)
{
  em_sep(e);
  if (e->json) {
    if (name) {
      cli_json_string(name);
      putchar(':');
    }
  } else if (e->pfx[e->depth][0]) {
    printf("%s.%s=", e->pfx[e->depth], name ? name : "");
  } else {
    printf("%s=", name ? name : "");
  }
}

static void em_num(em *e, const char *name, unsigned long long v)
{
  em_name(e, name);
  printf(e->json ? "%llu" : "%llu\n", v);
}

static void em_bool(em *e, const char *name, bool v)
{
  em_name(e, name);
  printf(e->json ? "%s" : "%s\n", v ? "true" : "false");
}

static void em_str(em *e, const char *name, const char *s)
{
  em_name(e, name);
  if (e->json)
    cli_json_string(s);
  else
    printf("%s\n", s);
}

static void em_hex(em *e, const char *name, const uint8_t *p, size_t n)
{
  em_name(e, name);
  if (e->json) putchar('"');
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
  fputs(e->json ? "\"" : "\n", stdout);
}

/* Opens an object (name NULL inside an array); its text fields print as `pfx.field`. */
static void em_open(em *e, const char *name, const char *pfx)
{
  if (e->json) {
    em_name(e, name);
    putchar('{');
  }
  e->depth++;
  e->first[e->depth] = true;
  e->pfx[e->depth] = pfx;
}

static void em_close(em *e)
{
  e->depth--;
  if (e->json) putchar('}');
}

static void em_arr_open(em *e, const char *name)
{
  if (e->json) {
    em_name(e, name);
    putchar('[');
  }
  e->depth++;
  e->first[e->depth] = true;
  e->pfx[e->depth] = e->pfx[e->depth - 1];
}

static void em_arr_close(em *e)
{
  e->depth--;
  if (e->json) putchar(']');
}

/* A payload: `payload=TYPE` in text, {"type":"TYPE", ...} in JSON. */
static void em_payload(em *e, const char *type, const char *pfx)
{
  if (!e->json) printf("payload=%s\n", type);
  em_open(e, NULL, pfx);
  if (e->json) em_str(e, "type", type);
}

/* ---- printing a decoded message ---- */

static bool printable(const uint8_t *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (p[i] < 0x20 || p[i] > 0x7e) return false;
  return n > 0;
}

static const char *data_type_name(uint8_t t)
{
  static const char *const N[] = {"psk-init", "psk-verification", "pk-init", "pk-verification",
                                  "dh-init",  "dh-resp",          "error"};
  return t < sizeof N / sizeof N[0] ? N[t] : "unknown";
}

static const char *keyid_name(uint8_t t)
{
  return t == MBMSEC_MIKEY_KEYID_KDID  ? "kdid"
         : t == MBMSEC_MIKEY_KEYID_MSK ? "msk_id"
         : t == MBMSEC_MIKEY_KEYID_MTK ? "mtk_id"
                                       : "private";
}

static void print_hdr(em *e, const mbmsec_mikey_hdr *h)
{
  em_payload(e, "HDR", "hdr");
  em_num(e, "version", h->version);
  em_num(e, "data_type", h->data_type);
  em_str(e, "data_type_name", data_type_name(h->data_type));
  em_num(e, "v", h->v_flag);
  em_num(e, "prf", h->prf);
  uint8_t csb[4] = {(uint8_t)(h->csb_id >> 24), (uint8_t)(h->csb_id >> 16),
                    (uint8_t)(h->csb_id >> 8), (uint8_t)h->csb_id};
  em_hex(e, "csb_id", csb, 4);
  em_num(e, "n_cs", h->n_cs);
  em_num(e, "map_type", h->map_type);
  if (h->map_type == MBMSEC_MIKEY_MAP_SRTP && h->n_cs > 0) {
    em_arr_open(e, "cs");
    for (size_t i = 0; i < h->n_cs && i < MBMSEC_MIKEY_MAX_CS; i++) {
      em_open(e, NULL, "hdr.cs");
      em_num(e, "policy_no", h->cs[i].policy_no);
      em_num(e, "ssrc", h->cs[i].ssrc);
      em_num(e, "roc", h->cs[i].roc);
      em_close(e);
    }
    em_arr_close(e);
  }
  em_close(e);
}

static void print_payload(em *e, const mbmsec_mikey_payload *p)
{
  switch (p->type) {
  case MBMSEC_MIKEY_PT_T:
    em_payload(e, "T", "t");
    em_num(e, "ts_type", p->u.t.ts_type);
    em_num(e, "value", p->u.t.value);
    break;
  case MBMSEC_MIKEY_PT_RAND:
    em_payload(e, "RAND", "rand");
    em_num(e, "len", p->u.rand.len);
    em_hex(e, "data", p->u.rand.data, p->u.rand.len);
    break;
  case MBMSEC_MIKEY_PT_ID:
    em_payload(e, "ID", "id");
    em_num(e, "id_type", p->u.id.id_type);
    em_num(e, "len", p->u.id.len);
    em_hex(e, "data", p->u.id.data, p->u.id.len);
    if (printable(p->u.id.data, p->u.id.len)) {
      static char s[65536];
      memcpy(s, p->u.id.data, p->u.id.len);
      s[p->u.id.len] = '\0';
      em_str(e, "text", s);
    }
    break;
  case MBMSEC_MIKEY_PT_KEMAC:
    em_payload(e, "KEMAC", "kemac");
    em_num(e, "encr_alg", p->u.kemac.encr_alg);
    em_num(e, "encr_len", p->u.kemac.encr_len);
    em_hex(e, "encr_data", p->u.kemac.encr, p->u.kemac.encr_len);
    em_num(e, "mac_alg", p->u.kemac.mac_alg);
    if (p->u.kemac.mac) em_hex(e, "mac", p->u.kemac.mac, MBMSEC_MIKEY_MAC_LEN);
    break;
  case MBMSEC_MIKEY_PT_V:
    em_payload(e, "V", "v");
    em_num(e, "auth_alg", p->u.v.auth_alg);
    if (p->u.v.mac) em_hex(e, "mac", p->u.v.mac, MBMSEC_MIKEY_MAC_LEN);
    break;
  case MBMSEC_MIKEY_PT_SP:
    em_payload(e, "SP", "sp");
    em_num(e, "policy_no", p->u.sp.policy_no);
    em_num(e, "prot_type", p->u.sp.prot_type);
    em_arr_open(e, "params");
    for (size_t i = 0; i < p->u.sp.n_params && i < MBMSEC_MIKEY_MAX_SP_PARAMS; i++) {
      em_open(e, NULL, "sp.param");
      em_num(e, "type", p->u.sp.params[i].type);
      em_hex(e, "value", p->u.sp.params[i].val, p->u.sp.params[i].len);
      em_close(e);
    }
    em_arr_close(e);
    break;
  case MBMSEC_MIKEY_PT_ERR:
    em_payload(e, "ERR", "err");
    em_num(e, "err_no", p->u.err.err_no);
    em_num(e, "reserved", p->u.err.reserved);
    break;
  case MBMSEC_MIKEY_PT_EXT:
    em_payload(e, "EXT", "ext");
    em_num(e, "ext_type", p->u.ext.ext_type);
    em_num(e, "len", p->u.ext.len);
    em_hex(e, "data", p->u.ext.data, p->u.ext.len);
    if (p->u.ext.ext_type == MBMSEC_MIKEY_EXT_KEYID) {
      em_arr_open(e, "key_ids");
      for (size_t i = 0; i < p->u.ext.n_keyids && i < MBMSEC_MIKEY_MAX_KEYIDS; i++) {
        const mbmsec_mikey_keyid *k = &p->u.ext.keyids[i];
        em_open(e, NULL, "ext.key_id");
        em_num(e, "type", k->type);
        em_str(e, "name", keyid_name(k->type));
        em_hex(e, "data", k->data, k->len);
        em_close(e);
      }
      em_arr_close(e);
    }
    break;
  default: /* the decoder refuses every other type */
    em_payload(e, "UNKNOWN", "unknown");
    em_num(e, "payload_type", p->type);
    break;
  }
  em_close(e);
}

/* ---- key material ---- */

/* An MSK message seen earlier: what its verification message's MAC needs. */
typedef struct {
  uint32_t csb_id;
  uint8_t rand[MIKEY_RAND_MAX];
  size_t rand_len;
  uint8_t idi[65535];
  size_t idi_len;
} seen_msk;

typedef struct {
  bool json, allow_null;
  uint8_t muk[MBMSEC_MIKEY_PSK_MAX], msk[MBMSEC_MIKEY_PSK_MAX];
  size_t muk_len, msk_len;
  seen_msk *seen; /* ring of SEEN_MAX */
  size_t n_seen;
} dec_ctx;

static const mbmsec_mikey_payload *find(const mbmsec_mikey_msg *m, uint8_t type, int from)
{
  int i = mbmsec_mikey_find(m, type, from);
  return i < 0 ? NULL : &m->p[i];
}

/* The 8-octet T of the KEMAC IV: a COUNTER right-aligned (P8), NTP values as carried. */
static void ts_octets(const mbmsec_mikey_payload *t, uint8_t ts[8])
{
  if (t->u.t.ts_type == MBMSEC_MIKEY_TS_COUNTER) {
    mbmsec_mikey_counter_ts((uint32_t)t->u.t.value, ts);
    return;
  }
  for (int i = 0; i < 8; i++) ts[i] = (uint8_t)(t->u.t.value >> (56 - 8 * i));
}

/* The TS value as carried in the T payload (4 octets for COUNTER, else 8): the tail of the
 * verification MAC input (mikey.md 6). */
static size_t ts_carried(const mbmsec_mikey_payload *t, uint8_t out[8])
{
  ts_octets(t, out);
  if (t->u.t.ts_type != MBMSEC_MIKEY_TS_COUNTER) return 8;
  memmove(out, out + 4, 4);
  return 4;
}

static bool is_mtk_message(const mbmsec_mikey_msg *m)
{
  const mbmsec_mikey_payload *x = find(m, MBMSEC_MIKEY_PT_EXT, 0);
  for (int i = 0; x && x->u.ext.ext_type == MBMSEC_MIKEY_EXT_KEYID && i < x->u.ext.n_keyids; i++)
    if (x->u.ext.keyids[i].type == MBMSEC_MIKEY_KEYID_MTK) return true;
  return false;
}

static void remember_msk(dec_ctx *c, const mbmsec_mikey_msg *m)
{
  const mbmsec_mikey_payload *r = find(m, MBMSEC_MIKEY_PT_RAND, 0);
  const mbmsec_mikey_payload *idi = find(m, MBMSEC_MIKEY_PT_ID, 0);
  if (!c->seen || !r || !idi || m->hdr.data_type != MBMSEC_MIKEY_DT_PSK_INIT) return;
  seen_msk *s = &c->seen[c->n_seen++ % SEEN_MAX];
  s->csb_id = m->hdr.csb_id;
  memcpy(s->rand, r->u.rand.data, r->u.rand.len);
  s->rand_len = r->u.rand.len;
  memcpy(s->idi, idi->u.id.data, idi->u.id.len);
  s->idi_len = idi->u.id.len;
}

/* Prints the decrypted key data chain as "keys". 0 ok, -1 malformed (printed). */
static int print_keys(em *e, const uint8_t *kd, size_t len)
{
  mbmsec_mikey_keydata k[MBMSEC_MIKEY_MAX_KEYDATA];
  size_t n = 0;
  em_arr_open(e, "keys");
  if (len > 0) {
    mbmsec_err err = mbmsec_mikey_keydata_decode(kd, len, k, MBMSEC_MIKEY_MAX_KEYDATA, &n);
    if (err != MBMSEC_OK) {
      em_arr_close(e);
      em_str(e, "error", mbmsec_errname(err));
      em_str(e, "message", mbmsec_strerror(err));
      em_hex(e, "key_data", kd, len);
      return -1;
    }
  }
  for (size_t i = 0; i < n; i++) {
    em_open(e, NULL, "key");
    em_num(e, "kd_type", k[i].type);
    em_num(e, "kv", k[i].kv);
    em_hex(e, "key", k[i].key, k[i].key_len);
    if (k[i].salt) em_hex(e, "salt", k[i].salt, k[i].salt_len);
    if (k[i].spi) em_hex(e, "spi", k[i].spi, k[i].spi_len);
    if (k[i].vf) em_hex(e, "vf", k[i].vf, k[i].vf_len);
    if (k[i].vt) em_hex(e, "vt", k[i].vt, k[i].vt_len);
    em_close(e);
  }
  em_arr_close(e);
  return 0;
}

static void print_err(em *e, mbmsec_err err)
{
  em_str(e, "error", mbmsec_errname(err));
  em_str(e, "message", mbmsec_strerror(err));
}

/* MAC check and decryption of an initiator message with KEMAC. 0 ok, -1 failed (printed). */
static int check_kemac(em *e, dec_ctx *c, const mbmsec_mikey_msg *m, const uint8_t *buf, size_t len,
                       const mbmsec_mikey_payload *km)
{
  bool mtk = is_mtk_message(m);
  const uint8_t *psk = mtk ? c->msk : c->muk;
  size_t psk_len = mtk ? c->msk_len : c->muk_len;
  const mbmsec_mikey_payload *t = find(m, MBMSEC_MIKEY_PT_T, 0);
  const mbmsec_mikey_payload *r = find(m, MBMSEC_MIKEY_PT_RAND, 0);
  bool null_mac = km->u.kemac.mac_alg == MBMSEC_MIKEY_MAC_NULL;
  bool null_encr = km->u.kemac.encr_alg == MBMSEC_MIKEY_ENCR_NULL;
  if ((null_mac || null_encr) && !c->allow_null) {
    print_err(e, MBMSEC_ERR_MIKEY_NULL_ALG);
    return -1;
  }
  mbmsec_mikey_keys k;
  memset(&k, 0, sizeof k);
  bool have_keys = false;
  if (psk_len > 0 && t && r) {
    mbmsec_err err =
        mbmsec_mikey_psk_keys(psk, psk_len, m->hdr.csb_id, r->u.rand.data, r->u.rand.len, &k);
    if (err != MBMSEC_OK) {
      print_err(e, err);
      return -1;
    }
    have_keys = true;
    em_str(e, "key_used", mtk ? "msk" : "muk");
  } else if (psk_len == 0 && !(null_mac && null_encr)) {
    em_str(e, "note",
           mtk ? "no --msk given: MAC not checked, key data not decrypted"
               : "no --muk given: MAC not checked, key data not decrypted");
  } else if (!t || !r) {
    em_str(e, "note", "no T or RAND payload: keys cannot be derived");
  }
  int rc = 0;
  bool mac_ok = false;
  if (!null_mac && have_keys) {
    uint8_t mac[MIKEY_MAC_LEN];
    mbmsec_iov iov = {buf, len - MIKEY_MAC_LEN}; /* KEMAC is last: the MAC ends the message */
    mbmsec_err err = mbmsec_hmac(MBMSEC_MD_SHA1, k.auth_key, sizeof k.auth_key, &iov, 1, mac);
    if (err != MBMSEC_OK) {
      print_err(e, err);
      rc = -1;
      goto out;
    }
    mac_ok = mbmsec_ct_equal(mac, km->u.kemac.mac, MIKEY_MAC_LEN);
    em_bool(e, "mac_ok", mac_ok);
    if (!mac_ok) {
      rc = -1;
      goto out;
    }
  } else if (null_mac) {
    em_str(e, "note", "NULL MAC: the message is not authenticated");
  }
  /* Decrypt only what authenticated (or what the test-only NULL MAC lets through). */
  if (!(mac_ok || null_mac)) goto out;
  size_t n = km->u.kemac.encr_len;
  static uint8_t kd[KEYDATA_MAX];
  if (null_encr) {
    memcpy(kd, km->u.kemac.encr, n);
  } else if (km->u.kemac.encr_alg == MBMSEC_MIKEY_ENCR_AES_CM_128 && have_keys) {
    uint8_t ts[8], iv[16];
    ts_octets(t, ts);
    mbmsec_mikey_kemac_iv(k.salt_key, m->hdr.csb_id, ts, iv);
    mbmsec_err err = n ? mbmsec_aes128_ctr(k.encr_key, iv, km->u.kemac.encr, kd, n) : MBMSEC_OK;
    if (err != MBMSEC_OK) {
      print_err(e, err);
      rc = -1;
      goto out;
    }
  } else {
    if (have_keys) em_str(e, "note", "encryption algorithm not supported by this tool");
    goto out;
  }
  if (n == 0) em_str(e, "note", "empty key data: solicited pull (P10)");
  rc = print_keys(e, kd, n);
  mbmsec_cleanse(kd, n);
out:
  mbmsec_mikey_keys_cleanse(&k);
  return rc;
}

/* MAC check of a verification message (mikey.md 6). 0 ok, -1 failed (printed). */
static int check_ver(em *e, dec_ctx *c, const mbmsec_mikey_msg *m, const uint8_t *buf, size_t len,
                     const mbmsec_mikey_payload *v)
{
  if (v->u.v.auth_alg == MBMSEC_MIKEY_MAC_NULL) {
    if (!c->allow_null) return print_err(e, MBMSEC_ERR_MIKEY_NULL_ALG), -1;
    em_str(e, "note", "NULL MAC: the message is not authenticated");
    return 0;
  }
  if (c->muk_len == 0) {
    em_str(e, "note", "no --muk given: MAC not checked");
    return 0;
  }
  const seen_msk *s = NULL;
  for (size_t i = 0; i < c->n_seen && i < SEEN_MAX; i++) {
    const seen_msk *x = &c->seen[(c->n_seen - 1 - i) % SEEN_MAX];
    if (x->csb_id == m->hdr.csb_id) {
      s = x;
      break;
    }
  }
  const mbmsec_mikey_payload *t = find(m, MBMSEC_MIKEY_PT_T, 0);
  const mbmsec_mikey_payload *idr = find(m, MBMSEC_MIKEY_PT_ID, 0);
  if (!s) {
    em_str(e, "note", "the answered MSK message (same CSB ID) is not at hand: MAC not checked");
    return 0;
  }
  if (!t || !idr) {
    em_str(e, "note", "no T or IDr payload: MAC not checked");
    return 0;
  }
  mbmsec_mikey_keys k;
  mbmsec_err err = mbmsec_mikey_psk_keys(c->muk, c->muk_len, s->csb_id, s->rand, s->rand_len, &k);
  if (err != MBMSEC_OK) return print_err(e, err), -1;
  uint8_t ts[8], mac[MIKEY_MAC_LEN];
  size_t ts_len = ts_carried(t, ts);
  mbmsec_iov iov[4] = {{buf, len - MIKEY_MAC_LEN},
                       {s->idi, s->idi_len},
                       {idr->u.id.data, idr->u.id.len},
                       {ts, ts_len}};
  err = mbmsec_hmac(MBMSEC_MD_SHA1, k.auth_key, sizeof k.auth_key, iov, 4, mac);
  mbmsec_mikey_keys_cleanse(&k);
  if (err != MBMSEC_OK) return print_err(e, err), -1;
  em_str(e, "key_used", "muk");
  bool ok = mbmsec_ct_equal(mac, v->u.v.mac, MIKEY_MAC_LEN);
  em_bool(e, "mac_ok", ok);
  return ok ? 0 : -1;
}

/* Decodes and prints one message inside an already open object. 0 ok, -1 failed. */
static int decode_one(em *e, dec_ctx *c, const uint8_t *buf, size_t len)
{
  static mbmsec_mikey_msg m; /* large (SP parameter tables): not on the stack */
  mbmsec_err err = mbmsec_mikey_decode(buf, len, &m);
  if (err != MBMSEC_OK) {
    print_err(e, err);
    return -1;
  }
  em_arr_open(e, "payloads");
  print_hdr(e, &m.hdr);
  for (size_t i = 0; i < m.n_payloads && i < MBMSEC_MIKEY_MAX_PAYLOADS; i++)
    print_payload(e, &m.p[i]);
  em_arr_close(e);
  const mbmsec_mikey_payload *km = find(&m, MBMSEC_MIKEY_PT_KEMAC, 0);
  const mbmsec_mikey_payload *v = find(&m, MBMSEC_MIKEY_PT_V, 0);
  int rc = 0;
  if (km) {
    rc = check_kemac(e, c, &m, buf, len, km);
    if (!is_mtk_message(&m)) remember_msk(c, &m);
  } else if (v && m.hdr.data_type == MBMSEC_MIKEY_DT_PSK_VERIFY) {
    rc = check_ver(e, c, &m, buf, len, v);
  }
  return rc;
}

static void ip_str(const uint8_t a[4], char out[16])
{
  snprintf(out, 16, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

static int decode_pcap(dec_ctx *c, const char *path)
{
  uint8_t *file = NULL;
  size_t flen = 0;
  if (cli_read_file(CMD, path, PCAP_FILE_MAX, &file, &flen)) return CLI_USAGE;
  mbmsec_pcap_reader r;
  mbmsec_err err = mbmsec_pcap_open(&r, file, flen);
  if (err != MBMSEC_OK) {
    free(file);
    return cli_fail(CMD, "%s: %s: %s", path, mbmsec_errname(err), mbmsec_strerror(err));
  }
  int rc = CLI_OK, blocks = 0;
  for (;;) {
    mbmsec_pcap_udp d;
    int have = 0;
    err = mbmsec_pcap_next(&r, &d, &have);
    if (err != MBMSEC_OK && mbmsec_pcap_frame_error(err)) {
      /* Other traffic in the capture is not an error of the MIKEY messages: note and go on. */
      fprintf(stderr, "mbmsec %s: frame %zu skipped: %s: %s\n", CMD, d.frame, mbmsec_errname(err),
              mbmsec_strerror(err));
      continue;
    }
    if (err != MBMSEC_OK) {
      rc = cli_fail(CMD, "%s: %s: %s", path, mbmsec_errname(err), mbmsec_strerror(err));
      break;
    }
    if (!have) break;
    if (!c->json && blocks++) putchar('\n');
    em e = {.json = c->json, .pfx = {""}, .first = {true}};
    char src[16], dst[16];
    ip_str(d.src, src);
    ip_str(d.dst, dst);
    em_open(&e, NULL, "");
    em_num(&e, "frame", d.frame);
    em_str(&e, "src", src);
    em_num(&e, "sport", d.sport);
    em_str(&e, "dst", dst);
    em_num(&e, "dport", d.dport);
    if (decode_one(&e, c, d.payload, d.payload_len)) {
      rc = CLI_FAIL;
      fprintf(stderr, "mbmsec %s: frame %zu does not decode or verify\n", CMD, d.frame);
    }
    em_close(&e);
    if (c->json) putchar('\n');
  }
  free(file);
  return rc;
}

enum { O_MUK, O_MSK, O_HEX, O_PCAP, O_MSKMSG, O_JSON, O_NULL, O_COUNT };

int cmd_mikey_decode(int argc, char **argv)
{
  mk_opt o[O_COUNT] = {{"--muk", 0, 0, 0},       {"--msk", 0, 0, 0},     {"--hex", 0, 0, 0},
                       {"--pcap", 0, 0, 0},      {"--msk-msg", 0, 0, 0}, {"--json", 1, 0, 0},
                       {"--allow-null", 1, 0, 0}};
  int p = mk_parse(CMD, argc, argv, o, O_COUNT);
  if (p) {
    if (p > 0) usage();
    return p > 0 ? CLI_OK : CLI_USAGE;
  }
  if (!!o[O_HEX].val == !!o[O_PCAP].val)
    return cli_usage_error(CMD, "give exactly one of --hex, --pcap");
  if (o[O_MSKMSG].val && !o[O_HEX].val) return cli_usage_error(CMD, "--msk-msg goes with --hex");
  if (o[O_MSKMSG].val && !o[O_MUK].val) return cli_usage_error(CMD, "--msk-msg needs --muk");
  static dec_ctx c;
  static seen_msk seen[SEEN_MAX];
  static uint8_t msg[65536 + 256], mskmsg[65536 + 256];
  memset(&c, 0, sizeof c);
  c.json = o[O_JSON].seen;
  c.allow_null = o[O_NULL].seen;
  c.seen = seen;
  int rc = CLI_USAGE;
  size_t len = 0, mlen = 0;
  if ((o[O_MUK].val &&
       cli_hex_arg(CMD, "--muk", o[O_MUK].val, c.muk, sizeof c.muk, 0, &c.muk_len)) ||
      (o[O_MSK].val &&
       cli_hex_arg(CMD, "--msk", o[O_MSK].val, c.msk, sizeof c.msk, 0, &c.msk_len)) ||
      (o[O_HEX].val && cli_hex_arg(CMD, "--hex", o[O_HEX].val, msg, sizeof msg, 0, &len)) ||
      (o[O_MSKMSG].val &&
       cli_hex_arg(CMD, "--msk-msg", o[O_MSKMSG].val, mskmsg, sizeof mskmsg, 0, &mlen)))
    goto out;
  if ((o[O_MUK].val && !c.muk_len) || (o[O_MSK].val && !c.msk_len)) {
    cli_usage_error(CMD, "--muk / --msk must not be empty");
    goto out;
  }
  if (o[O_PCAP].val) {
    rc = decode_pcap(&c, o[O_PCAP].val);
    goto out;
  }
  if (mlen) {
    /* Only to remember its CSB ID, RAND and IDi for the verification MAC. */
    static mbmsec_mikey_msg mm;
    mbmsec_err err = mbmsec_mikey_decode(mskmsg, mlen, &mm);
    if (err != MBMSEC_OK) {
      rc = cli_fail(CMD, "--msk-msg does not decode: %s: %s", mbmsec_errname(err),
                    mbmsec_strerror(err));
      goto out;
    }
    remember_msk(&c, &mm);
  }
  /* A single message that does not decode is an error of the command, not output. */
  static mbmsec_mikey_msg probe;
  mbmsec_err err = mbmsec_mikey_decode(msg, len, &probe);
  if (err != MBMSEC_OK) {
    rc = cli_fail(CMD, "cannot decode the message: %s: %s", mbmsec_errname(err),
                  mbmsec_strerror(err));
    goto out;
  }
  em e = {.json = c.json, .pfx = {""}, .first = {true}};
  em_open(&e, NULL, "");
  rc = decode_one(&e, &c, msg, len) ? CLI_FAIL : CLI_OK;
  em_close(&e);
  if (c.json) putchar('\n');
  fflush(stdout);
  if (rc != CLI_OK) cli_fail(CMD, "failed: see the mac_ok or error field above");
out:
  mbmsec_cleanse(&c, sizeof c);
  return rc;
}
