/* MIKEY over UDP for the BM-SC (profile P6): one bound socket; MSK messages go to the UE's
 * address and MIKEY port; verification messages come back to this socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guard.h"
#include "mbmsec/bmsc_udp.h"

mbmsec_err mbmsec_bmsc_udp_open(const char *addr, uint16_t *port, int *fd)
{
  ENSURE(addr && port && fd, MBMSEC_ERR_ARG);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(*port)};
  ENSURE(inet_pton(AF_INET, addr, &sa.sin_addr) == 1, MBMSEC_ERR_ARG);
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  ENSURE(s >= 0, MBMSEC_ERR_BMSC_SEND);
  socklen_t sl = sizeof sa;
  if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      getsockname(s, (struct sockaddr *)&sa, &sl) != 0) {
    close(s);
    return MBMSEC_ERR_BMSC_SEND;
  }
  *port = ntohs(sa.sin_port);
  *fd = s;
  return MBMSEC_OK;
}

int mbmsec_bmsc_udp_send(void *user, uint32_t ipv4, uint16_t port, const uint8_t *msg, size_t len)
{
  const int fd = *(const int *)user;
  struct sockaddr_in to = {
      .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(ipv4)};
  return sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)len ? 0 : -1;
}

int mbmsec_bmsc_udp_poll(mbmsec_bmsc_dl *dl, int fd, int timeout_ms, int64_t now_ms)
{
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int n = 0;
  if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR) return -1;
  for (;;) {
    uint8_t buf[2048]; /* larger than any profile message; longer datagrams are cut and refused */
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      return -1;
    }
    (void)mbmsec_bmsc_dl_on_datagram(dl, ntohl(from.sin_addr.s_addr), ntohs(from.sin_port), buf,
                                     (size_t)r, now_ms); /* refusals are counted by the engine */
    n++;
  }
  (void)mbmsec_bmsc_dl_tick(dl, now_ms);
  return n;
}
