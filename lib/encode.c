#include "mbmsec/encode.h"
#include <string.h>

#include "guard.h"

static const char HEX[] = "0123456789abcdef";
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

mbmsec_err mbmsec_hex_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
  ENSURE(out && (in || n == 0), MBMSEC_ERR_ARG);
  ENSURE(n < SIZE_MAX / 2 && cap >= 2 * n + 1, MBMSEC_ERR_SPACE);
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = HEX[in[i] >> 4];
    out[2 * i + 1] = HEX[in[i] & 15];
  }
  out[2 * n] = '\0';
  return MBMSEC_OK;
}

/* 1 + the value of each hex digit, 0 for every other octet. */
static const uint8_t HEX_DEC[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

static int hexval(char c) { return (int)HEX_DEC[(unsigned char)c] - 1; }

bool mbmsec_hex_digits(const char *s, size_t n)
{
  /* No branch per character: Digest responses, rspauth values and kept HA1s (64 random hex
   * digits each, several per key request) mispredicted a per-character test. */
  unsigned ok = 1;
  for (size_t i = 0; i < n; i++) ok &= HEX_DEC[(unsigned char)s[i]] != 0;
  return ok != 0;
}

mbmsec_err mbmsec_hex_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen)
{
  ENSURE(s && outlen && (out || cap == 0), MBMSEC_ERR_ARG);
  ENSURE(slen % 2 == 0, MBMSEC_ERR_HEX);
  ENSURE(mbmsec_hex_digits(s, slen), MBMSEC_ERR_HEX);
  ENSURE(slen / 2 <= cap, MBMSEC_ERR_SPACE);
  for (size_t i = 0; i < slen / 2; i++)
    out[i] = (uint8_t)((hexval(s[2 * i]) << 4) | hexval(s[2 * i + 1]));
  *outlen = slen / 2;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap, size_t *outlen)
{
  ENSURE(out && (in || n == 0), MBMSEC_ERR_ARG);
  ENSURE(n < SIZE_MAX / 2 && cap >= MBMSEC_B64_LEN(n) + 1, MBMSEC_ERR_SPACE);
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
    out[o++] = B64[v >> 18];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = B64[(v >> 6) & 63];
    out[o++] = B64[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = B64[v >> 18];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = '=';
    out[o++] = '=';
  } else if (n - i == 2) {
    uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
    out[o++] = B64[v >> 18];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = B64[(v >> 6) & 63];
    out[o++] = '=';
  }
  out[o] = '\0';
  if (outlen) *outlen = o;
  return MBMSEC_OK;
}

/* 1 + the value of each base64 character, 0 for every other octet: a look-up instead of five
 * range tests per character (the BM-SC decodes a nonce and the keyIds on every request). */
static const uint8_t B64_DEC[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

static int b64val(char c) { return (int)B64_DEC[(unsigned char)c] - 1; }

mbmsec_err mbmsec_b64_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen)
{
  ENSURE(s && outlen && (out || cap == 0), MBMSEC_ERR_ARG);
  ENSURE(slen % 4 == 0, MBMSEC_ERR_BASE64);
  size_t pad = 0;
  if (slen >= 1 && s[slen - 1] == '=') pad++;
  if (slen >= 2 && s[slen - 2] == '=') pad++;
  size_t n = slen / 4 * 3 - pad;
  for (size_t i = 0; i < slen - pad; i++) ENSURE(b64val(s[i]) >= 0, MBMSEC_ERR_BASE64);
  ENSURE(n <= cap, MBMSEC_ERR_SPACE);
  size_t o = 0;
  for (size_t i = 0; i < slen; i += 4) {
    uint32_t v = 0;
    for (size_t j = 0; j < 4; j++) {
      int d = (i + j < slen - pad) ? b64val(s[i + j]) : 0;
      v = (v << 6) | (uint32_t)d;
    }
    uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    for (size_t j = 0; j < 3 && o < n; j++) out[o++] = b[j];
  }
  /* Canonical form only: the bits that padding drops must be zero. */
  if (pad == 1) ENSURE((b64val(s[slen - 2]) & 3) == 0, MBMSEC_ERR_BASE64);
  if (pad == 2) ENSURE((b64val(s[slen - 3]) & 15) == 0, MBMSEC_ERR_BASE64);
  *outlen = n;
  return MBMSEC_OK;
}

bool mbmsec_ascii_ieq(const char *a, size_t alen, const char *b)
{
  size_t n = strlen(b);
  if (alen != n) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return false;
  }
  return true;
}
