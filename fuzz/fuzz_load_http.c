/* libFuzzer target for mbmsec-load's HTTP answer parser (src/load/load_http.c): the input is
 * what the server sends on the connection, fed through a socket pair and closed after it. An
 * accepted answer must stay within the transport's caps; nothing may read past its buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static load_http *h;
  if (size > 160 * 1024) return 0; /* the socket pair's buffer holds it whole */
  if (!h && load_http_new(1000, 1, &h) != MBMSEC_OK) abort();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) abort();
  const int buf = 512 * 1024;
  (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  size_t off = 0;
  while (off < size) {
    ssize_t w = write(sv[0], data + off, size - off);
    if (w <= 0) abort();
    off += (size_t)w;
  }
  close(sv[0]);
  mbmsec_ue_http_answer a;
  if (load_http_read_fd(h, sv[1], &a) == MBMSEC_OK) {
    if (a.status < 200 || a.status > 999 || a.body_len > MBMSEC_XML_DOC_MAX ||
        a.n_www_auth > MBMSEC_UE_WWW_AUTH_MAX)
      abort();
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < a.body_len; i++) sink ^= a.body[i];
    for (size_t i = 0; i < a.n_www_auth; i++)
      if (strlen(a.www_auth[i].p) != a.www_auth[i].len) abort();
    if (a.content_type) (void)strlen(a.content_type);
    (void)sink;
  }
  close(sv[1]);
  return 0;
}
