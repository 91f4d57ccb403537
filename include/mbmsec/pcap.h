/* mbmsec: a small reader of classic pcap files that yields the IPv4 UDP datagrams in them.
 *
 * For engineers' tools (decoding MIKEY captures) and tests; not a capture library. Reads
 * classic pcap (magic a1b2c3d4 microseconds or a1b23c4d nanoseconds, either byte order,
 * version 2.x); pcapng is refused with its own code. Link types: NULL/loopback (0),
 * Ethernet (1, IPv4 directly or behind one 802.1Q tag), RAW (101) and IPv4 (228), Linux
 * SLL (113). IPv4 only (IPv6 refused with MBMSEC_ERR_PCAP_IPV6), unfragmented, UDP only.
 * Every length (record, IPv4 header and total length, UDP length) is checked against the
 * octets actually present. No allocation, no I/O: the caller gives the whole file in memory,
 * and a datagram POINTS INTO that buffer.
 *
 * Errors come in two kinds:
 *  - file errors (magic, version, link type, truncated file, record length): the reader
 *    stops; every later call returns the same error;
 *  - frame errors (not IPv4, IPv6, not UDP, fragment, bad IPv4/UDP lengths, partly captured
 *    packet): the reader is already past that record; call mbmsec_pcap_next again to go on.
 *    mbmsec_pcap_frame_error tells the two apart.
 */
#ifndef MBMSEC_PCAP_H
#define MBMSEC_PCAP_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"

/* Largest record accepted (libpcap's own maximum snap length). */
#define MBMSEC_PCAP_MAX_RECORD 262144u

enum {
  MBMSEC_PCAP_LT_NULL = 0,
  MBMSEC_PCAP_LT_ETHERNET = 1,
  MBMSEC_PCAP_LT_RAW = 101,
  MBMSEC_PCAP_LT_LINUX_SLL = 113,
  MBMSEC_PCAP_LT_IPV4 = 228,
};

typedef struct {
  const uint8_t *buf;
  size_t len;
  size_t off;  /* next record header */
  int swapped; /* file written in the other byte order */
  int nano;    /* timestamps in nanoseconds */
  uint32_t linktype;
  uint32_t snaplen;
  size_t frame;      /* number of records read so far */
  mbmsec_err sticky; /* a file error, returned by every later call */
} mbmsec_pcap_reader;

/* One UDP datagram. Addresses and ports in network order as octets / host numbers. */
typedef struct {
  size_t frame; /* 1-based record number, as tshark counts frames */
  uint32_t ts_sec;
  uint32_t ts_nsec; /* microsecond files are scaled to nanoseconds */
  uint8_t src[4], dst[4];
  uint16_t sport, dport;
  const uint8_t *payload; /* points into the reader's buffer */
  size_t payload_len;
} mbmsec_pcap_udp;

/* Checks the global header of buf[0..len) and sets up *r (which then points into buf).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_PCAP_TRUNCATED, MBMSEC_ERR_PCAP_MAGIC,
 *   MBMSEC_ERR_PCAP_PCAPNG, MBMSEC_ERR_PCAP_VERSION, MBMSEC_ERR_PCAP_LINKTYPE. */
mbmsec_err mbmsec_pcap_open(mbmsec_pcap_reader *r, const uint8_t *buf, size_t len);

/* Reads the next record. *have = 1 and *d filled when a datagram was found; *have = 0 at the
 * end of the file (with MBMSEC_OK). On a frame error, d->frame (and the addresses if the IPv4
 * header was readable) say which record it was.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG; file errors MBMSEC_ERR_PCAP_TRUNCATED,
 *   MBMSEC_ERR_PCAP_RECORD_LEN (and the sticky error of mbmsec_pcap_open's codes); frame
 *   errors MBMSEC_ERR_PCAP_SNAPPED, MBMSEC_ERR_PCAP_NOT_IPV4, MBMSEC_ERR_PCAP_IPV6,
 *   MBMSEC_ERR_PCAP_IP_HEADER, MBMSEC_ERR_PCAP_FRAGMENT, MBMSEC_ERR_PCAP_NOT_UDP,
 *   MBMSEC_ERR_PCAP_UDP_LEN. */
mbmsec_err mbmsec_pcap_next(mbmsec_pcap_reader *r, mbmsec_pcap_udp *d, int *have);

/* 1 when e is a frame error (the reader can go on), else 0. */
int mbmsec_pcap_frame_error(mbmsec_err e);

#endif
