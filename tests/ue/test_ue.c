/* Unit tests of lib/ue: the simulated USIM file, the UE state file, BootstrappingInfo parsing
 * and the Ub client engine, all from byte arrays. The BSF side is played by the test itself
 * with the library's AuC (mbmsec_aka_vector_make, mbmsec_aka_auts_check) and Digest code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mbmsec/aka.h"
#include "mbmsec/crypto.h"
#include "mbmsec/digest.h"
#include "mbmsec/digest_parse.h"
#include "mbmsec/encode.h"
#include "mbmsec/gba.h"
#include "mbmsec/ue.h"

/* TS 35.208 test set 1 K and OPc */
static const uint8_t K[16] = {0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
                              0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc};
static const uint8_t OPC[16] = {0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
                                0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf};
static const uint8_t AMF[2] = {0x80, 0x00};
#define IMPI  "alice@ims.mnc001.mcc001.3gppnetwork.org"
#define REALM "bsf.test"
#define BODY_OK                                        \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"       \
  "<BootstrappingInfo xmlns=\"uri:3gpp-gba\">\n"       \
  "  <btid>AAECAwQFBgcICQoLDA0ODw==@bsf.test</btid>\n" \
  "  <lifetime>2030-01-01T12:00:00Z</lifetime>\n"      \
  "</BootstrappingInfo>\n"
#define LIFETIME_2030 1893499200LL

static char g_dir[512];
static const char *path_of(const char *name)
{
  static char p[1024];
  snprintf(p, sizeof p, "%s/%s", g_dir, name);
  return p;
}

static int group_setup(void **state)
{
  (void)state;
  const char *base = getenv("MBMSEC_TEST_TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/test_ue.XXXXXX", base ? base : "/tmp");
  return mkdtemp(g_dir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
  (void)state;
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void sqn_of(uint64_t v, uint8_t sqn[6])
{
  for (int i = 5; i >= 0; i--, v >>= 8) sqn[i] = (uint8_t)v;
}

/* ---------------------------------------------------------------- fake BSF */

typedef struct {
  mbmsec_aka_vector av;
  char nonce[128];
  char www[512];
  char auth_info[512];
} fake_bsf;

/* A challenge for SQN sqn (SEQ << 5 | IND) with a fixed RAND. */
static void bsf_challenge(fake_bsf *b, uint64_t sqn, uint8_t rand_first)
{
  uint8_t rand[16], s[6], nonce_raw[32];
  for (int i = 0; i < 16; i++) rand[i] = (uint8_t)(rand_first + i);
  sqn_of(sqn, s);
  assert_int_equal(mbmsec_aka_vector_make(K, OPC, rand, s, AMF, &b->av), MBMSEC_OK);
  memcpy(nonce_raw, b->av.rand, 16);
  memcpy(nonce_raw + 16, b->av.autn, 16);
  assert_int_equal(mbmsec_b64_encode(nonce_raw, 32, b->nonce, sizeof b->nonce, NULL), MBMSEC_OK);
  snprintf(b->www, sizeof b->www,
           "Digest realm=\"" REALM "\", nonce=\"%s\", algorithm=AKAv1-MD5, qop=\"auth-int\", "
           "opaque=\"op1\"",
           b->nonce);
}

/* Server check of the UE's Authorization with password pw; returns the parsed header. */
static void bsf_verify(const char *authz, const uint8_t *pw, size_t pw_len, mbmsec_digest_header *h)
{
  assert_int_equal(mbmsec_digest_parse_authorization(authz, strlen(authz), 0, h), MBMSEC_OK);
  assert_true(h->present & MBMSEC_DIGEST_F_ALGORITHM);
  assert_int_equal(h->algorithm, MBMSEC_DIGEST_AKAV1_MD5);
  assert_int_equal(h->qop, MBMSEC_DIGEST_QOP_AUTH_INT);
  assert_string_equal(h->nc, "00000001");
  assert_true(h->present & MBMSEC_DIGEST_F_OPAQUE);
  assert_int_equal(h->opaque.len, 3);
  mbmsec_digest_input in;
  assert_int_equal(
      mbmsec_digest_input_from_authorization(h, mbmsec_digest_s("GET"), pw, pw_len, NULL, 0, &in),
      MBMSEC_OK);
  assert_int_equal(mbmsec_digest_verify(&in, h->response), MBMSEC_OK);
}

/* Authentication-Info for the request authz over body, password pw. */
static void bsf_auth_info(fake_bsf *b, const char *authz, const uint8_t *body, size_t body_len)
{
  mbmsec_digest_header *h = calloc(1, sizeof *h), *ai = calloc(1, sizeof *ai);
  assert_non_null(h);
  assert_non_null(ai);
  assert_int_equal(mbmsec_digest_parse_authorization(authz, strlen(authz), 0, h), MBMSEC_OK);
  mbmsec_digest_input in;
  assert_int_equal(mbmsec_digest_input_from_authorization(h, mbmsec_digest_s("GET"), b->av.xres, 8,
                                                          NULL, 0, &in),
                   MBMSEC_OK);
  char rspauth[65];
  assert_int_equal(mbmsec_digest_rspauth(&in, body, body_len, rspauth, sizeof rspauth), MBMSEC_OK);
  ai->present =
      MBMSEC_DIGEST_F_QOP | MBMSEC_DIGEST_F_RSPAUTH | MBMSEC_DIGEST_F_CNONCE | MBMSEC_DIGEST_F_NC;
  ai->qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  ai->rspauth = mbmsec_digest_s(rspauth);
  ai->cnonce = h->cnonce;
  memcpy(ai->nc, h->nc, 9);
  ai->nc_value = 1;
  assert_int_equal(mbmsec_digest_build_auth_info(ai, b->auth_info, sizeof b->auth_info, NULL),
                   MBMSEC_OK);
  free(ai);
  free(h);
}

static mbmsec_digest_str S(const char *s) { return mbmsec_digest_s(s); }

/* ---------------------------------------------------------------- USIM file */

static void test_usim_file_roundtrip(void **state)
{
  (void)state;
  mbmsec_ue_usim u, v;
  uint8_t sqn[6];
  sqn_of((uint64_t)1000 << 5 | 3, sqn);
  assert_int_equal(mbmsec_ue_usim_new(&u, K, OPC, 5, sqn), MBMSEC_OK);
  for (int i = 0; i < 32; i++) assert_int_equal(u.sqn.seq_ms[i], 1000);
  const char *p = path_of("usim1");
  assert_int_equal(mbmsec_ue_usim_save(p, &u, true), MBMSEC_OK);
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  /* exclusive create refuses an existing file */
  assert_int_equal(mbmsec_ue_usim_save(p, &u, true), MBMSEC_ERR_UE_FILE_IO);
  assert_int_equal(mbmsec_ue_usim_load(p, &v), MBMSEC_OK);
  assert_memory_equal(&u, &v, sizeof u);
  assert_int_equal(mbmsec_ue_usim_load(path_of("missing"), &v), MBMSEC_ERR_UE_FILE_IO);
  /* no temporary file left behind */
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "ls '%s' | grep -q 'usim1\\.'", g_dir);
  assert_int_not_equal(system(cmd), 0);
}

static void test_usim_parse_strict(void **state)
{
  (void)state;
  mbmsec_ue_usim u;
  char good[4096];
  size_t n;
  assert_int_equal(mbmsec_ue_usim_new(&u, K, OPC, 2, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_usim_format(&u, good, sizeof good, &n), MBMSEC_OK);
  assert_string_equal(good, "mbmsec-usim 1\nk 465b5ce8b199b49faa5f0a2ee238a6bc\n"
                            "opc cd63cb71954a9f4e48a5994e37a02baf\nind_len 2\n"
                            "delta 268435456\nlimit 0\nseq_ms 0,0,0,0\n");
  assert_int_equal(mbmsec_ue_usim_parse(good, n, &u), MBMSEC_OK);
  static const char *bad[] = {
      "",
      "mbmsec-usim 2\n",
      /* upper-case hex */
      "mbmsec-usim 1\nk 465B5CE8B199B49FAA5F0A2EE238A6BC\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 2\ndelta 268435456\nlimit 0\nseq_ms 0,0,0,0\n",
      /* short key */
      "mbmsec-usim 1\nk 465b5ce8b199b49faa5f0a2ee238a6\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 2\ndelta 268435456\nlimit 0\nseq_ms 0,0,0,0\n",
      /* three slots for ind_len 2 */
      "mbmsec-usim 1\nk 465b5ce8b199b49faa5f0a2ee238a6bc\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 2\ndelta 268435456\nlimit 0\nseq_ms 0,0,0\n",
      /* five slots */
      "mbmsec-usim 1\nk 465b5ce8b199b49faa5f0a2ee238a6bc\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 2\ndelta 268435456\nlimit 0\nseq_ms 0,0,0,0,0\n",
      /* leading zero, sign, empty value */
      "mbmsec-usim 1\nk 465b5ce8b199b49faa5f0a2ee238a6bc\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 02\ndelta 268435456\nlimit 0\nseq_ms 0,0,0,0\n",
      "mbmsec-usim 1\nk 465b5ce8b199b49faa5f0a2ee238a6bc\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 2\ndelta 268435456\nlimit 0\nseq_ms 0,-1,0,0\n",
      "mbmsec-usim 1\nk 465b5ce8b199b49faa5f0a2ee238a6bc\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 2\ndelta 268435456\nlimit 0\nseq_ms 0,,0,0\n",
      /* delta 0, ind_len 9, SEQ beyond 46 bits */
      "mbmsec-usim 1\nk 465b5ce8b199b49faa5f0a2ee238a6bc\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 2\ndelta 0\nlimit 0\nseq_ms 0,0,0,0\n",
      "mbmsec-usim 1\nk 465b5ce8b199b49faa5f0a2ee238a6bc\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 9\ndelta 1\nlimit 0\nseq_ms 0\n",
      "mbmsec-usim 1\nk 465b5ce8b199b49faa5f0a2ee238a6bc\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 2\ndelta 1\nlimit 0\nseq_ms 70368744177664,0,0,0\n",
      /* missing final newline, trailing line, CR, swapped lines */
      "mbmsec-usim 1\nk 465b5ce8b199b49faa5f0a2ee238a6bc\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 2\ndelta 268435456\nlimit 0\nseq_ms 0,0,0,0",
      "mbmsec-usim 1\nk 465b5ce8b199b49faa5f0a2ee238a6bc\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 2\ndelta 268435456\nlimit 0\nseq_ms 0,0,0,0\n\n",
      "mbmsec-usim 1\r\nk 465b5ce8b199b49faa5f0a2ee238a6bc\nopc cd63cb71954a9f4e48a5994e37a02baf\n"
      "ind_len 2\ndelta 268435456\nlimit 0\nseq_ms 0,0,0,0\n",
      "mbmsec-usim 1\nopc cd63cb71954a9f4e48a5994e37a02baf\nk 465b5ce8b199b49faa5f0a2ee238a6bc\n"
      "ind_len 2\ndelta 268435456\nlimit 0\nseq_ms 0,0,0,0\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&u, 0xAA, sizeof u);
    assert_int_equal(mbmsec_ue_usim_parse(bad[i], strlen(bad[i]), &u), MBMSEC_ERR_UE_FILE_FORMAT);
    static const mbmsec_ue_usim zero;
    assert_memory_equal(&u, &zero, sizeof u); /* nothing half-loaded */
  }
  /* a file over the cap is refused */
  const char *p = path_of("big");
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  for (int i = 0; i < MBMSEC_UE_FILE_MAX + 1; i++) fputc('x', f);
  fclose(f);
  assert_int_equal(mbmsec_ue_usim_load(p, &u), MBMSEC_ERR_UE_FILE_IO);
}

/* ---------------------------------------------------------------- UE state and NAF keys */

static void test_state_file_and_naf_keys(void **state)
{
  (void)state;
  mbmsec_ue_bootstrap b = {0}, c;
  strcpy(b.impi, IMPI);
  strcpy(b.btid, "AAECAwQFBgcICQoLDA0ODw==@bsf.test");
  for (int i = 0; i < 16; i++) b.rand[i] = (uint8_t)i;
  for (int i = 0; i < 32; i++) b.ks[i] = (uint8_t)(0xA0 + i);
  b.lifetime = LIFETIME_2030;
  const char *p = path_of("state1");
  assert_int_equal(mbmsec_ue_state_save(p, &b), MBMSEC_OK);
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(mbmsec_ue_state_load(p, &c), MBMSEC_OK);
  assert_memory_equal(&b, &c, sizeof b);
  static const char *bad[] = {
      "mbmsec-ue-state 1\nimpi a b\nbtid x@y\nrand 000102030405060708090a0b0c0d0e0f\n"
      "ks "
      "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\nlifetime 1\n",
      "mbmsec-ue-state 1\nimpi a\nbtid x@y\nrand 000102030405060708090a0b0c0d0e0f\n"
      "ks a0a1\nlifetime 1\n",
      "mbmsec-ue-state 1\nimpi a\nbtid x@y\nrand 000102030405060708090a0b0c0d0e0f\n"
      "ks a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\nlifetime -1\n",
      "mbmsec-ue-state 1\nimpi a\nbtid x@y\nrand 000102030405060708090a0b0c0d0e0f\n"
      "ks a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(mbmsec_ue_state_parse(bad[i], strlen(bad[i]), &c), MBMSEC_ERR_UE_FILE_FORMAT);

  uint8_t ks_naf[32], mrk[32], muk[32], want[32], wmrk[32], wmuk[32];
  assert_int_equal(
      mbmsec_ue_naf_keys(&b, "bmsc.test", MBMSEC_MRK_MUK_KDF, LIFETIME_2030 - 1, ks_naf, mrk, muk),
      MBMSEC_OK);
  assert_int_equal(
      mbmsec_gba_ks_naf_fqdn(b.ks, b.rand, IMPI, strlen(IMPI), "bmsc.test", 9, NULL, want),
      MBMSEC_OK);
  assert_memory_equal(ks_naf, want, 32);
  assert_int_equal(mbmsec_gba_mrk_muk(want, MBMSEC_MRK_MUK_KDF, wmrk, wmuk), MBMSEC_OK);
  assert_memory_equal(mrk, wmrk, 32);
  assert_memory_equal(muk, wmuk, 32);
  assert_memory_not_equal(mrk, muk, 32);
  /* expired: refused and outputs zero */
  assert_int_equal(
      mbmsec_ue_naf_keys(&b, "bmsc.test", MBMSEC_MRK_MUK_KDF, LIFETIME_2030, ks_naf, mrk, muk),
      MBMSEC_ERR_UE_EXPIRED);
  static const uint8_t z[32];
  assert_memory_equal(ks_naf, z, 32);
}

/* ---------------------------------------------------------------- BootstrappingInfo */

static mbmsec_err xml(const char *s, char *btid, int64_t *lt)
{
  return mbmsec_ue_bsf_info_parse((const uint8_t *)s, strlen(s), btid, lt);
}

static void test_bsf_info_xml(void **state)
{
  (void)state;
  char btid[MBMSEC_UE_ID_MAX + 1];
  int64_t lt = 0;
  assert_int_equal(xml(BODY_OK, btid, &lt), MBMSEC_OK);
  assert_string_equal(btid, "AAECAwQFBgcICQoLDA0ODw==@bsf.test");
  assert_int_equal(lt, LIFETIME_2030);
  /* prefix, foreign element, offset and fraction */
  assert_int_equal(xml("<g:BootstrappingInfo xmlns:g=\"uri:3gpp-gba\" xmlns:x=\"urn:x\">"
                       "<g:btid> a@b </g:btid><x:ext>1</x:ext>"
                       "<g:lifetime>2030-01-01T13:30:00.25+01:30</g:lifetime>"
                       "</g:BootstrappingInfo>",
                       btid, &lt),
                   MBMSEC_OK);
  assert_string_equal(btid, "a@b");
  assert_int_equal(lt, LIFETIME_2030);
  static const char *bad[] = {
      /* external entity (XXE) and internal entity bomb: any DOCTYPE is refused */
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>&x;@b</btid>"
      "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>",
      "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>&b;@b</btid>"
      "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>",
      "<!DOCTYPE BootstrappingInfo SYSTEM \"http://127.0.0.1:1/x.dtd\">"
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>a@b</btid>"
      "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>",
      /* undeclared entity reference */
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>&x;@b</btid>"
      "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>",
      /* wrong namespace, root, duplicates, missing, unknown element in the namespace */
      "<BootstrappingInfo><btid>a@b</btid><lifetime>2030-01-01T12:00:00Z</lifetime>"
      "</BootstrappingInfo>",
      "<BootstrappingInfo xmlns=\"uri:3gpp-gbx\"><btid>a@b</btid>"
      "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>",
      "<Info "
      "xmlns=\"uri:3gpp-gba\"><btid>a@b</btid><lifetime>2030-01-01T12:00:00Z</lifetime></Info>",
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>a@b</btid><btid>c@d</btid>"
      "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>",
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>a@b</btid></BootstrappingInfo>",
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>a@b</btid><x/>"
      "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>",
      /* btid without '@', with a space, with a child element; text in the root */
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>ab</btid>"
      "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>",
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>a @b</btid>"
      "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>",
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>a@b<i/></btid>"
      "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>",
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\">hi<btid>a@b</btid>"
      "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>",
      /* lifetime without zone, bad day, garbage */
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>a@b</btid>"
      "<lifetime>2030-01-01T12:00:00</lifetime></BootstrappingInfo>",
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>a@b</btid>"
      "<lifetime>2031-02-29T12:00:00Z</lifetime></BootstrappingInfo>",
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>a@b</btid>"
      "<lifetime>tomorrow</lifetime></BootstrappingInfo>",
      /* not well-formed, empty */
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>a@b</btid>",
      "",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (xml(bad[i], btid, &lt) != MBMSEC_ERR_UE_XML) fail_msg("case %zu accepted: %s", i, bad[i]);
  }
  /* UTF-16 (BOM) cannot carry a DOCTYPE past the octet check: read as UTF-8 it fails */
  uint8_t u16[400];
  const char *src = "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                    "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>&x;@b</btid>"
                    "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>";
  size_t n = 0;
  u16[n++] = 0xFF;
  u16[n++] = 0xFE;
  for (const char *p = src; *p && n + 2 <= sizeof u16; p++) {
    u16[n++] = (uint8_t)*p;
    u16[n++] = 0;
  }
  assert_int_equal(mbmsec_ue_bsf_info_parse(u16, n, btid, &lt), MBMSEC_ERR_UE_XML);
  /* oversize body */
  size_t big_len = MBMSEC_UE_BODY_MAX + 1;
  uint8_t *big = malloc(big_len);
  assert_non_null(big);
  memset(big, ' ', big_len);
  memcpy(big, BODY_OK, strlen(BODY_OK));
  assert_int_equal(mbmsec_ue_bsf_info_parse(big, big_len, btid, &lt), MBMSEC_ERR_UE_XML);
  assert_int_equal(mbmsec_ue_bsf_info_parse(big, MBMSEC_UE_BODY_MAX, btid, &lt), MBMSEC_OK);
  free(big);
}

static void test_datetime(void **state)
{
  (void)state;
  int64_t t;
  assert_int_equal(mbmsec_ue_datetime_parse("1970-01-01T00:00:00Z", 20, &t), MBMSEC_OK);
  assert_int_equal(t, 0);
  assert_int_equal(mbmsec_ue_datetime_parse("2024-02-29T23:59:59-00:00", 25, &t), MBMSEC_OK);
  assert_int_equal(t, 1709251199);
  assert_int_equal(mbmsec_ue_datetime_parse("2030-01-01T12:00:00.Z", 21, &t), MBMSEC_ERR_UE_XML);
  assert_int_equal(mbmsec_ue_datetime_parse("2030-01-01T24:00:00Z", 20, &t), MBMSEC_ERR_UE_XML);
  assert_int_equal(mbmsec_ue_datetime_parse("2030-01-01T12:00:00+15:00", 25, &t),
                   MBMSEC_ERR_UE_XML);
  assert_int_equal(mbmsec_ue_datetime_parse("2030-01-01 12:00:00Z", 20, &t), MBMSEC_ERR_UE_XML);
  assert_int_equal(mbmsec_ue_datetime_parse("1969-12-31T23:59:59Z", 20, &t), MBMSEC_ERR_UE_XML);
  assert_int_equal(mbmsec_ue_datetime_parse("1970-01-01T00:00:00+01:00", 25, &t),
                   MBMSEC_ERR_UE_XML);
  assert_int_equal(mbmsec_ue_datetime_parse("1970-01-01T00:59:59+01:00", 25, &t),
                   MBMSEC_ERR_UE_XML);
  assert_int_equal(mbmsec_ue_datetime_parse("1970-01-01T01:00:00+01:00", 25, &t), MBMSEC_OK);
  assert_int_equal(t, 0);
}

/* ---------------------------------------------------------------- Ub engine */

static void test_first_request(void **state)
{
  (void)state;
  mbmsec_ue_usim u;
  mbmsec_ub_client c;
  char out[MBMSEC_UE_AUTH_SIZE];
  assert_int_equal(mbmsec_ue_usim_new(&u, K, OPC, 5, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_init(&c, &u, IMPI, REALM, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_first(&c, out, sizeof out, NULL), MBMSEC_OK);
  assert_string_equal(out, "Digest username=\"" IMPI "\", realm=\"" REALM
                           "\", nonce=\"\", uri=\"/\", response=\"\"");
  /* what the BSF will do with it: the lenient parse accepts it */
  mbmsec_digest_header *h = calloc(1, sizeof *h);
  assert_int_equal(
      mbmsec_digest_parse_authorization(out, strlen(out), MBMSEC_DIGEST_LENIENT_EMPTY, h),
      MBMSEC_OK);
  free(h);
  assert_int_equal(mbmsec_ub_client_first(&c, out, sizeof out, NULL), MBMSEC_ERR_UE_SEQUENCE);
  mbmsec_ub_client cc;
  assert_int_equal(mbmsec_ub_client_init(&cc, &u, "a b", REALM, NULL), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_ub_client_init(&cc, &u, IMPI, "", NULL), MBMSEC_ERR_ARG);
}

static void test_engine_success(void **state)
{
  (void)state;
  mbmsec_ue_usim u;
  mbmsec_ub_client c;
  fake_bsf b;
  char out[MBMSEC_UE_AUTH_SIZE];
  mbmsec_digest_header *h = calloc(1, sizeof *h);
  assert_int_equal(mbmsec_ue_usim_new(&u, K, OPC, 5, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_init(&c, &u, IMPI, REALM, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_first(&c, out, sizeof out, NULL), MBMSEC_OK);
  bsf_challenge(&b, (uint64_t)7 << 5 | 2, 0x10);
  /* an unusable challenge first (plain MD5), then the AKA one: RFC 3310 5.3 picks AKA */
  mbmsec_digest_str www[2] = {S("Digest realm=\"x\", nonce=\"abc\", qop=\"auth\""), S(b.www)};
  assert_int_equal(mbmsec_ub_client_on_401(&c, www, 2, out, sizeof out, NULL), MBMSEC_OK);
  assert_true(c.usim_dirty);
  assert_int_equal(u.sqn.seq_ms[2], 7);
  assert_null(strstr(out, "auts="));
  bsf_verify(out, b.av.xres, 8, h);
  assert_int_equal(h->cnonce.len, 32);
  bsf_auth_info(&b, out, (const uint8_t *)BODY_OK, strlen(BODY_OK));
  assert_int_equal(mbmsec_ub_client_on_200(&c, b.auth_info, strlen(b.auth_info),
                                           "application/vnd.3gpp.bsf+xml; charset=utf-8",
                                           (const uint8_t *)BODY_OK, strlen(BODY_OK)),
                   MBMSEC_OK);
  assert_int_equal(c.state, MBMSEC_UB_DONE);
  assert_string_equal(c.result.btid, "AAECAwQFBgcICQoLDA0ODw==@bsf.test");
  assert_string_equal(c.result.impi, IMPI);
  assert_int_equal(c.result.lifetime, LIFETIME_2030);
  assert_memory_equal(c.result.rand, b.av.rand, 16);
  assert_memory_equal(c.result.ks, b.av.ck, 16);
  assert_memory_equal(c.result.ks + 16, b.av.ik, 16);
  static const uint8_t z[16];
  assert_memory_equal(c.res, z, 8); /* RES, CK, IK wiped once Ks is in the result */
  assert_memory_equal(c.ck, z, 16);
  /* a late 401 or 200 is out of order and leaves the finished result alone */
  assert_int_equal(mbmsec_ub_client_on_401(&c, www, 2, out, sizeof out, NULL),
                   MBMSEC_ERR_UE_SEQUENCE);
  assert_int_equal(mbmsec_ub_client_on_200(&c, b.auth_info, strlen(b.auth_info), NULL,
                                           (const uint8_t *)BODY_OK, strlen(BODY_OK)),
                   MBMSEC_ERR_UE_SEQUENCE);
  assert_int_equal(c.state, MBMSEC_UB_DONE);
  assert_memory_equal(c.result.ks, b.av.ck, 16);
  free(h);
}

static void test_engine_auts(void **state)
{
  (void)state;
  mbmsec_ue_usim u;
  mbmsec_ub_client c;
  fake_bsf b;
  char out[MBMSEC_UE_AUTH_SIZE];
  mbmsec_digest_header *h = calloc(1, sizeof *h);
  uint8_t ahead[6];
  sqn_of((uint64_t)5000 << 5, ahead); /* the card has seen SEQ 5000 in every slot */
  assert_int_equal(mbmsec_ue_usim_new(&u, K, OPC, 5, ahead), MBMSEC_OK);
  mbmsec_ue_usim before = u;
  assert_int_equal(mbmsec_ub_client_init(&c, &u, IMPI, REALM, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_first(&c, out, sizeof out, NULL), MBMSEC_OK);
  bsf_challenge(&b, (uint64_t)33 << 5 | 1, 0x20); /* HSS behind */
  mbmsec_digest_str www = S(b.www);
  assert_int_equal(mbmsec_ub_client_on_401(&c, &www, 1, out, sizeof out, NULL), MBMSEC_OK);
  assert_int_equal(c.state, MBMSEC_UB_SENT_AUTS);
  assert_false(c.usim_dirty);
  assert_memory_equal(&u, &before, sizeof u); /* sync failure leaves the card as it was */
  /* the response is over an empty password and the AUTS gives the AuC SQN_MS */
  bsf_verify(out, (const uint8_t *)"", 0, h);
  const char *a = strstr(out, ", auts=\"");
  assert_non_null(a);
  a += 8;
  const char *q = strchr(a, '"');
  assert_non_null(q);
  assert_string_equal(q, "\"");
  uint8_t auts[14], sqn_ms[6];
  size_t n;
  assert_int_equal(mbmsec_b64_decode(a, (size_t)(q - a), auts, sizeof auts, &n), MBMSEC_OK);
  assert_int_equal(n, 14);
  assert_int_equal(mbmsec_aka_auts_check(K, OPC, b.av.rand, auts, sqn_ms), MBMSEC_OK);
  assert_memory_equal(sqn_ms, ahead, 6);
  /* the AuC resynchronises: SEQ_MS + 1 */
  fake_bsf b2;
  bsf_challenge(&b2, (uint64_t)5001 << 5 | 1, 0x30);
  www = S(b2.www);
  assert_int_equal(mbmsec_ub_client_on_401(&c, &www, 1, out, sizeof out, NULL), MBMSEC_OK);
  assert_int_equal(c.state, MBMSEC_UB_SENT_RES);
  assert_int_equal(u.sqn.seq_ms[1], 5001);
  bsf_verify(out, b2.av.xres, 8, h);
  bsf_auth_info(&b2, out, (const uint8_t *)BODY_OK, strlen(BODY_OK));
  assert_int_equal(mbmsec_ub_client_on_200(&c, b2.auth_info, strlen(b2.auth_info), NULL,
                                           (const uint8_t *)BODY_OK, strlen(BODY_OK)),
                   MBMSEC_OK);
  assert_memory_equal(c.result.rand, b2.av.rand, 16);

  /* a BSF that does not resynchronise: the second sync failure ends it */
  assert_int_equal(mbmsec_ub_client_init(&c, &u, IMPI, REALM, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_first(&c, out, sizeof out, NULL), MBMSEC_OK);
  www = S(b.www);
  assert_int_equal(mbmsec_ub_client_on_401(&c, &www, 1, out, sizeof out, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_on_401(&c, &www, 1, out, sizeof out, NULL),
                   MBMSEC_ERR_UE_RESYNC);
  assert_int_equal(c.state, MBMSEC_UB_FAILED);
  free(h);
}

static void test_engine_mac_failure(void **state)
{
  (void)state;
  mbmsec_ue_usim u;
  mbmsec_ub_client c;
  fake_bsf b;
  char out[MBMSEC_UE_AUTH_SIZE];
  static const uint8_t other_k[16] = {1};
  assert_int_equal(mbmsec_ue_usim_new(&u, other_k, OPC, 5, NULL), MBMSEC_OK);
  mbmsec_ue_usim before = u;
  assert_int_equal(mbmsec_ub_client_init(&c, &u, IMPI, REALM, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_first(&c, out, sizeof out, NULL), MBMSEC_OK);
  bsf_challenge(&b, (uint64_t)7 << 5, 0x10);
  mbmsec_digest_str www = S(b.www);
  memset(out, 0, sizeof out);
  assert_int_equal(mbmsec_ub_client_on_401(&c, &www, 1, out, sizeof out, NULL), MBMSEC_ERR_AKA_MAC);
  assert_int_equal(out[0], 0); /* nothing to send */
  assert_int_equal(c.state, MBMSEC_UB_FAILED);
  assert_false(c.usim_dirty);
  assert_memory_equal(&u, &before, sizeof u);
  assert_int_equal(mbmsec_ub_client_on_200(&c, "x", 1, NULL, NULL, 0), MBMSEC_ERR_UE_SEQUENCE);
}

/* Runs an engine up to SENT_RES against b; out holds the RES answer. */
static void engine_to_res(mbmsec_ue_usim *u, mbmsec_ub_client *c, fake_bsf *b, char *out,
                          size_t cap, uint64_t sqn)
{
  assert_int_equal(mbmsec_ue_usim_new(u, K, OPC, 5, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_init(c, u, IMPI, REALM, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_first(c, out, cap, NULL), MBMSEC_OK);
  bsf_challenge(b, sqn, 0x40);
  mbmsec_digest_str www = S(b->www);
  assert_int_equal(mbmsec_ub_client_on_401(c, &www, 1, out, cap, NULL), MBMSEC_OK);
}

static void test_engine_bad_rspauth(void **state)
{
  (void)state;
  mbmsec_ue_usim u;
  mbmsec_ub_client c;
  fake_bsf b;
  char out[MBMSEC_UE_AUTH_SIZE];
  const uint8_t *body = (const uint8_t *)BODY_OK;
  size_t blen = strlen(BODY_OK);
  const char *bad_body = "<not xml";

  /* 1. one hex digit of rspauth changed; the body is malformed too, and the answer is
   * about rspauth: the body was not looked at */
  engine_to_res(&u, &c, &b, out, sizeof out, 1 << 5);
  bsf_auth_info(&b, out, (const uint8_t *)bad_body, strlen(bad_body));
  char *r = strstr(b.auth_info, "rspauth=\"");
  assert_non_null(r);
  r[9] = r[9] == '0' ? '1' : '0';
  assert_int_equal(mbmsec_ub_client_on_200(&c, b.auth_info, strlen(b.auth_info), NULL,
                                           (const uint8_t *)bad_body, strlen(bad_body)),
                   MBMSEC_ERR_UE_RSPAUTH);
  assert_int_equal(c.state, MBMSEC_UB_FAILED);
  static const uint8_t z[32];
  assert_memory_equal(c.result.ks, z, 32);

  /* 2. rspauth over another body than the one received */
  engine_to_res(&u, &c, &b, out, sizeof out, 1 << 5);
  bsf_auth_info(&b, out, body, blen - 1);
  assert_int_equal(mbmsec_ub_client_on_200(&c, b.auth_info, strlen(b.auth_info), NULL, body, blen),
                   MBMSEC_ERR_UE_RSPAUTH);

  /* 3. missing Authentication-Info */
  engine_to_res(&u, &c, &b, out, sizeof out, 1 << 5);
  assert_int_equal(mbmsec_ub_client_on_200(&c, NULL, 0, NULL, body, blen), MBMSEC_ERR_UE_RSPAUTH);

  /* 4. rspauth computed with a wrong XRES (a BSF that does not know the key) */
  engine_to_res(&u, &c, &b, out, sizeof out, 1 << 5);
  b.av.xres[0] ^= 1;
  bsf_auth_info(&b, out, body, blen);
  assert_int_equal(mbmsec_ub_client_on_200(&c, b.auth_info, strlen(b.auth_info), NULL, body, blen),
                   MBMSEC_ERR_UE_RSPAUTH);

  /* 5. another cnonce, qop=auth, wrong nc, no qop */
  static const char *ai[] = {
      "qop=auth-int, rspauth=\"00000000000000000000000000000000\", cnonce=\"x\", nc=00000001",
      "qop=auth, rspauth=\"00000000000000000000000000000000\", cnonce=\"x\", nc=00000001",
      "rspauth=\"00000000000000000000000000000000\"",
      "garbage",
  };
  for (size_t i = 0; i < sizeof ai / sizeof ai[0]; i++) {
    engine_to_res(&u, &c, &b, out, sizeof out, 1 << 5);
    assert_int_equal(mbmsec_ub_client_on_200(&c, ai[i], strlen(ai[i]), NULL, body, blen),
                     MBMSEC_ERR_UE_RSPAUTH);
  }
  engine_to_res(&u, &c, &b, out, sizeof out, 1 << 5);
  bsf_auth_info(&b, out, body, blen);
  char *nc = strstr(b.auth_info, "nc=00000001");
  assert_non_null(nc);
  nc[10] = '2';
  assert_int_equal(mbmsec_ub_client_on_200(&c, b.auth_info, strlen(b.auth_info), NULL, body, blen),
                   MBMSEC_ERR_UE_RSPAUTH);

  /* 6. good rspauth but another media type */
  engine_to_res(&u, &c, &b, out, sizeof out, 1 << 5);
  bsf_auth_info(&b, out, body, blen);
  assert_int_equal(
      mbmsec_ub_client_on_200(&c, b.auth_info, strlen(b.auth_info), "text/html", body, blen),
      MBMSEC_ERR_UE_HTTP_STATUS);

  /* 7. good rspauth over a hostile body: parsed, refused */
  const char *xxe = "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                    "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>&x;@b</btid>"
                    "<lifetime>2030-01-01T12:00:00Z</lifetime></BootstrappingInfo>";
  engine_to_res(&u, &c, &b, out, sizeof out, 1 << 5);
  bsf_auth_info(&b, out, (const uint8_t *)xxe, strlen(xxe));
  assert_int_equal(mbmsec_ub_client_on_200(&c, b.auth_info, strlen(b.auth_info), NULL,
                                           (const uint8_t *)xxe, strlen(xxe)),
                   MBMSEC_ERR_UE_XML);
}

static void test_engine_hostile_401(void **state)
{
  (void)state;
  mbmsec_ue_usim u;
  mbmsec_ub_client c;
  fake_bsf b;
  char out[MBMSEC_UE_AUTH_SIZE];
  bsf_challenge(&b, 1 << 5, 0x50);
  char big[MBMSEC_DIGEST_HEADER_MAX + 100];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  memcpy(big, "Digest nonce=\"", 14);
  char *short_nonce = malloc(600), *not_b64 = malloc(600), *no_alg = malloc(600),
       *auth_only = malloc(600), *token_nonce = malloc(600);
  snprintf(short_nonce, 600,
           "Digest realm=\"r\", nonce=\"AAECAwQFBgcICQoLDA0ODw==\", algorithm=AKAv1-MD5, "
           "qop=\"auth-int\"");
  snprintf(not_b64, 600, "Digest realm=\"r\", nonce=\"%s!\", algorithm=AKAv1-MD5, qop=\"auth-int\"",
           b.nonce);
  snprintf(no_alg, 600, "Digest realm=\"r\", nonce=\"%s\", qop=\"auth-int\"", b.nonce);
  snprintf(auth_only, 600, "Digest realm=\"r\", nonce=\"%s\", algorithm=AKAv1-MD5, qop=\"auth\"",
           b.nonce);
  snprintf(token_nonce, 600, "Digest realm=\"r\", nonce=%s, algorithm=AKAv1-MD5, qop=\"auth-int\"",
           b.nonce);
  struct {
    const char *v;
    mbmsec_err want;
  } cases[] = {
      {"", MBMSEC_ERR_UE_NO_CHALLENGE},
      {"Basic realm=\"x\"", MBMSEC_ERR_UE_NO_CHALLENGE},
      {"Digest realm=\"x\", nonce=\"", MBMSEC_ERR_UE_NO_CHALLENGE},
      {big, MBMSEC_ERR_UE_NO_CHALLENGE},
      {no_alg, MBMSEC_ERR_UE_NO_CHALLENGE},
      {auth_only, MBMSEC_ERR_UE_NO_CHALLENGE},
      {token_nonce, MBMSEC_ERR_UE_NO_CHALLENGE},
      {short_nonce, MBMSEC_ERR_UE_NONCE},
      {not_b64, MBMSEC_ERR_UE_NONCE}, /* a quoted "...!" parses; strict base64 refuses it */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(mbmsec_ue_usim_new(&u, K, OPC, 5, NULL), MBMSEC_OK);
    mbmsec_ue_usim before = u;
    assert_int_equal(mbmsec_ub_client_init(&c, &u, IMPI, REALM, NULL), MBMSEC_OK);
    assert_int_equal(mbmsec_ub_client_first(&c, out, sizeof out, NULL), MBMSEC_OK);
    mbmsec_digest_str w = S(cases[i].v);
    mbmsec_err rc = mbmsec_ub_client_on_401(&c, &w, 1, out, sizeof out, NULL);
    if (rc != cases[i].want)
      fail_msg("case %zu: %s, want %s", i, mbmsec_errname(rc), mbmsec_errname(cases[i].want));
    assert_int_equal(c.state, MBMSEC_UB_FAILED);
    assert_memory_equal(&u, &before, sizeof u);
  }
  /* nothing at all */
  assert_int_equal(mbmsec_ub_client_init(&c, &u, IMPI, REALM, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_first(&c, out, sizeof out, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_on_401(&c, NULL, 0, out, sizeof out, NULL),
                   MBMSEC_ERR_UE_NO_CHALLENGE);
  /* a 401 after our RES: refused; a 401 before the first request: out of order */
  engine_to_res(&u, &c, &b, out, sizeof out, 1 << 5);
  mbmsec_digest_str w = S(b.www);
  assert_int_equal(mbmsec_ub_client_on_401(&c, &w, 1, out, sizeof out, NULL),
                   MBMSEC_ERR_UE_REFUSED);
  assert_int_equal(mbmsec_ub_client_init(&c, &u, IMPI, REALM, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_on_401(&c, &w, 1, out, sizeof out, NULL),
                   MBMSEC_ERR_UE_SEQUENCE);
  /* a replayed challenge (same SQN again) is a sync failure, answered with AUTS */
  engine_to_res(&u, &c, &b, out, sizeof out, 1 << 5);
  assert_int_equal(mbmsec_ub_client_init(&c, &u, IMPI, REALM, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_first(&c, out, sizeof out, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ub_client_on_401(&c, &w, 1, out, sizeof out, NULL), MBMSEC_OK);
  assert_int_equal(c.state, MBMSEC_UB_SENT_AUTS);
  free(short_nonce);
  free(not_b64);
  free(no_alg);
  free(auth_only);
  free(token_nonce);
}

/* ---------------------------------------------------------------- driver with a fake transport */

typedef struct {
  int mode; /* 0 normal BSF, 1 BSF answers 403 to the RES, 2 huge status */
  int step;
  fake_bsf b;
  uint64_t sqn;
  char body[1024];
} fake_net;

static mbmsec_err fake_exchange(void *ctx, const char *authz, mbmsec_ue_http_answer *ans)
{
  fake_net *n = ctx;
  memset(ans, 0, sizeof *ans);
  if (n->step++ == 0) {
    bsf_challenge(&n->b, n->sqn, 0x60);
    ans->status = 401;
    ans->n_www_auth = 1;
    ans->www_auth[0] = S(n->b.www);
    return MBMSEC_OK;
  }
  if (n->mode == 1) {
    ans->status = 403;
    return MBMSEC_OK;
  }
  if (n->mode == 2) {
    ans->status = 500;
    return MBMSEC_OK;
  }
  snprintf(n->body, sizeof n->body, "%s", BODY_OK);
  bsf_auth_info(&n->b, authz, (const uint8_t *)n->body, strlen(n->body));
  ans->status = 200;
  ans->auth_info = S(n->b.auth_info);
  ans->content_type = MBMSEC_UE_CONTENT_TYPE;
  ans->body = (const uint8_t *)n->body;
  ans->body_len = strlen(n->body);
  return MBMSEC_OK;
}

static char *slurp(const char *p, size_t *len)
{
  static char buf[MBMSEC_UE_FILE_MAX];
  assert_int_equal(mbmsec_ue_file_read(p, buf, sizeof buf, len), MBMSEC_OK);
  char *c = malloc(*len + 1);
  memcpy(c, buf, *len + 1);
  return c;
}

static void test_driver(void **state)
{
  (void)state;
  mbmsec_ue_usim u;
  const char *usim_p = strdup(path_of("usim_drv")), *state_p = strdup(path_of("state_drv"));
  unlink(usim_p);
  unlink(state_p);
  assert_int_equal(mbmsec_ue_usim_new(&u, K, OPC, 5, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_usim_save(usim_p, &u, true), MBMSEC_OK);
  fake_net net = {0};
  net.sqn = (uint64_t)9 << 5 | 4;
  mbmsec_ue_bootstrap_cfg cfg = {IMPI, REALM, NULL, usim_p, NULL, state_p, fake_exchange, &net};
  mbmsec_ue_bootstrap res;
  mbmsec_ue_bootstrap_info info;
  assert_int_equal(mbmsec_ue_bootstrap_run(&cfg, &res, &info), MBMSEC_OK);
  assert_int_equal(info.exchanges, 2);
  assert_string_equal(res.btid, "AAECAwQFBgcICQoLDA0ODw==@bsf.test");
  mbmsec_ue_bootstrap saved;
  assert_int_equal(mbmsec_ue_state_load(state_p, &saved), MBMSEC_OK);
  assert_memory_equal(&saved, &res, sizeof res);
  assert_int_equal(mbmsec_ue_usim_load(usim_p, &u), MBMSEC_OK);
  assert_int_equal(u.sqn.seq_ms[4], 9); /* the accepted SQN was persisted */

  /* MAC failure (another K on the card): USIM file byte for byte unchanged, no state file */
  static const uint8_t other_k[16] = {9, 9, 9};
  unlink(usim_p);
  unlink(state_p);
  assert_int_equal(mbmsec_ue_usim_new(&u, other_k, OPC, 5, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_usim_save(usim_p, &u, true), MBMSEC_OK);
  size_t l1, l2;
  char *before = slurp(usim_p, &l1);
  struct stat st1, st2;
  assert_int_equal(stat(usim_p, &st1), 0);
  memset(&net, 0, sizeof net);
  net.sqn = (uint64_t)9 << 5;
  assert_int_equal(mbmsec_ue_bootstrap_run(&cfg, &res, &info), MBMSEC_ERR_AKA_MAC);
  assert_int_equal(info.exchanges, 1); /* the challenge was not answered */
  char *after = slurp(usim_p, &l2);
  assert_int_equal(l1, l2);
  assert_memory_equal(before, after, l1);
  assert_int_equal(stat(usim_p, &st2), 0);
  assert_int_equal(st1.st_ino, st2.st_ino); /* not even rewritten */
  assert_int_equal(access(state_p, F_OK), -1);
  static const mbmsec_ue_bootstrap zero;
  assert_memory_equal(&res, &zero, sizeof res);
  free(before);
  free(after);

  /* BSF refuses (403) and answers 500: clean errors, no state file */
  unlink(usim_p);
  assert_int_equal(mbmsec_ue_usim_new(&u, K, OPC, 5, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_ue_usim_save(usim_p, &u, true), MBMSEC_OK);
  memset(&net, 0, sizeof net);
  net.sqn = 1 << 5;
  net.mode = 1;
  assert_int_equal(mbmsec_ue_bootstrap_run(&cfg, &res, &info), MBMSEC_ERR_UE_REFUSED);
  memset(&net, 0, sizeof net);
  net.sqn = 2 << 5;
  net.mode = 2;
  assert_int_equal(mbmsec_ue_bootstrap_run(&cfg, &res, &info), MBMSEC_ERR_UE_HTTP_STATUS);
  assert_int_equal(info.last_status, 500);
  assert_int_equal(access(state_p, F_OK), -1);
  /* a malformed USIM file: refused before any exchange */
  FILE *f = fopen(usim_p, "w");
  fputs("mbmsec-usim 1\nk 00\n", f);
  fclose(f);
  memset(&net, 0, sizeof net);
  assert_int_equal(mbmsec_ue_bootstrap_run(&cfg, &res, &info), MBMSEC_ERR_UE_FILE_FORMAT);
  assert_int_equal(net.step, 0);
  free((void *)usim_p);
  free((void *)state_p);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_usim_file_roundtrip),
      cmocka_unit_test(test_usim_parse_strict),
      cmocka_unit_test(test_state_file_and_naf_keys),
      cmocka_unit_test(test_bsf_info_xml),
      cmocka_unit_test(test_datetime),
      cmocka_unit_test(test_first_request),
      cmocka_unit_test(test_engine_success),
      cmocka_unit_test(test_engine_auts),
      cmocka_unit_test(test_engine_mac_failure),
      cmocka_unit_test(test_engine_bad_rspauth),
      cmocka_unit_test(test_engine_hostile_401),
      cmocka_unit_test(test_driver),
  };
  int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
  mbmsec_ue_global_cleanup();
  mbmsec_crypto_cleanup();
  return rc;
}
