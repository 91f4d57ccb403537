/* mbmsec: MIKEY over UDP for the BM-SC's key delivery (profile P6): the thin I/O adapter of the
 * engine of mbmsec/bmsc_delivery.h (lib/bmsc/bmsc_udp.c, library mbmsec_bmsc_udp). One bound
 * IPv4 socket: MSK messages leave through it to the UE's address and MIKEY port, verification
 * messages come back to it and are fed to the engine.
 */
#ifndef MBMSEC_BMSC_UDP_H
#define MBMSEC_BMSC_UDP_H
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/bmsc_delivery.h"
#include "mbmsec/error.h"

/* Binds a UDP socket to the IPv4 address (dotted quad) and port (0 = any free port); *port
 * gets the bound port. @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BMSC_SEND (socket error). */
mbmsec_err mbmsec_bmsc_udp_open(const char *addr, uint16_t *port, int *fd);
/* A send callback for mbmsec_bmsc_dl_config.send: user is a pointer to the socket (int *). */
int mbmsec_bmsc_udp_send(void *user, uint32_t ipv4, uint16_t port, const uint8_t *msg, size_t len);
/* Waits up to timeout_ms for datagrams on fd, feeds each to mbmsec_bmsc_dl_on_datagram, then
 * runs mbmsec_bmsc_dl_tick(now_ms). Returns the number of datagrams taken, or -1 on a socket
 * error. */
int mbmsec_bmsc_udp_poll(mbmsec_bmsc_dl *dl, int fd, int timeout_ms, int64_t now_ms);

#endif
