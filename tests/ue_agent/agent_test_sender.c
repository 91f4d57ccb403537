/* Test helper of the UE agent's end-to-end tests: plays the BM-SC's media side with the
 * project's builders (lib: mbmsec_mikey_mtk_build; lib/srtp: mbmsec_srtp_protect), given the
 * MSK the test read from the BM-SC's store.
 *
 *   agent_test_sender mtk  IP:PORT KDID MSK_ID MSK MTK_ID COUNTER MTK SALT
 *   agent_test_sender srtp IP:PORT MSK_ID MTK_ID MTK SALT SSRC FIRST_SEQ PAYLOAD_FILE CHUNK [GAP_MS]
 *   (hex for KDID, MSK_ID, MSK, MTK, SALT; decimal otherwise)
 *
 * srtp sends PAYLOAD_FILE in CHUNK-octet RTP payloads (sequence numbers from FIRST_SEQ),
 * protected with that MTK and MKI = MSK_ID || MTK_ID. The last sequence number used is printed. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mbmsec/encode.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/srtp.h"

static void die(const char *m)
{
  fprintf(stderr, "agent_test_sender: %s\n", m);
  exit(1);
}

static void hex(const char *s, uint8_t *out, size_t want)
{
  size_t n = 0;
  if (mbmsec_hex_decode(s, strlen(s), out, want, &n) != MBMSEC_OK || n != want) die("bad hex");
}

static int sock_to(const char *spec, struct sockaddr_in *sa)
{
  char host[64];
  const char *c = strrchr(spec, ':');
  if (!c || (size_t)(c - spec) >= sizeof host) die("want IP:PORT");
  memcpy(host, spec, (size_t)(c - spec));
  host[c - spec] = 0;
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)atoi(c + 1));
  if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) die("bad IP");
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  return fd;
}

int main(int argc, char **argv)
{
  struct sockaddr_in sa;
  if (argc == 10 && !strcmp(argv[1], "mtk")) {
    mbmsec_mikey_mtk_params p;
    memset(&p, 0, sizeof p);
    uint8_t msk[16], mtk[16], salt[14], out[256];
    hex(argv[3], p.kdid, 3);
    hex(argv[4], p.msk_id, 4);
    hex(argv[5], msk, 16);
    p.mtk_id = (uint16_t)atoi(argv[6]);
    p.counter = (uint32_t)strtoul(argv[7], NULL, 10);
    hex(argv[8], mtk, 16);
    hex(argv[9], salt, 14);
    p.mtk = mtk;
    p.salt = salt;
    size_t len = 0;
    if (mbmsec_mikey_mtk_build(&p, msk, 16, NULL, out, sizeof out, &len, NULL) != MBMSEC_OK)
      die("mtk build");
    const int fd = sock_to(argv[2], &sa);
    if (sendto(fd, out, len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) die("sendto");
    close(fd);
    return 0;
  }
  if ((argc == 11 || argc == 12) && !strcmp(argv[1], "srtp")) {
    mbmsec_srtp_key k;
    memset(&k, 0, sizeof k);
    hex(argv[3], k.msk_id, 4);
    k.mtk_id = (uint16_t)atoi(argv[4]);
    hex(argv[5], k.mtk, 16);
    hex(argv[6], k.salt, 14);
    const uint32_t ssrc = (uint32_t)strtoul(argv[7], NULL, 10);
    uint16_t seq = (uint16_t)atoi(argv[8]);
    const size_t chunk = (size_t)atoi(argv[10]);
    const long gap_ms = argc == 12 ? atol(argv[11]) : 2;
    if (chunk == 0 || chunk > 1000) die("chunk 1..1000");
    FILE *f = fopen(argv[9], "rb");
    if (!f) die("payload file");
    mbmsec_srtp *tx = NULL;
    if (mbmsec_srtp_new(0, ssrc, &tx) != MBMSEC_OK || mbmsec_srtp_set_keys(tx, &k, 1) != MBMSEC_OK)
      die("srtp");
    const int fd = sock_to(argv[2], &sa);
    uint8_t pkt[1100];
    size_t got;
    uint16_t last = seq;
    while ((got = fread(pkt + 12, 1, chunk, f)) > 0) {
      memset(pkt, 0, 12);
      pkt[0] = 0x80, pkt[1] = 96, pkt[2] = (uint8_t)(seq >> 8), pkt[3] = (uint8_t)seq;
      pkt[8] = (uint8_t)(ssrc >> 24), pkt[9] = (uint8_t)(ssrc >> 16),
      pkt[10] = (uint8_t)(ssrc >> 8), pkt[11] = (uint8_t)ssrc;
      size_t len = 12 + got;
      if (mbmsec_srtp_protect(tx, k.msk_id, k.mtk_id, pkt, &len, sizeof pkt) != MBMSEC_OK)
        die("protect");
      if (sendto(fd, pkt, len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) die("sendto");
      last = seq++;
      struct timespec ts = {gap_ms / 1000, (gap_ms % 1000) * 1000000L};
      nanosleep(&ts, NULL);
    }
    fclose(f);
    close(fd);
    mbmsec_srtp_free(tx);
    printf("%u\n", last);
    return 0;
  }
  die("usage: see the comment at the top of tests/ue_agent/agent_test_sender.c");
  return 1;
}
