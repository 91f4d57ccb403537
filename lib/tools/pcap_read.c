/* Classic pcap reader yielding IPv4 UDP datagrams (see mbmsec/pcap.h). Every field is read
 * through rd16/rd32 after a length check against what the record really holds. */
#include "mbmsec/pcap.h"

#include <string.h>

#include "guard.h"

#define GLOBAL_HDR_LEN 24
#define RECORD_HDR_LEN 16
#define ETH_HDR_LEN    14
#define VLAN_TAG_LEN   4
#define SLL_HDR_LEN    16
#define NULL_HDR_LEN   4
#define IPV4_MIN_HDR   20
#define UDP_HDR_LEN    8
#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86DDu
#define ETHERTYPE_VLAN 0x8100u
#define IPPROTO_UDP_   17u

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t le32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint32_t be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
/* pcap header fields are in the writer's byte order. */
static uint32_t file32(const mbmsec_pcap_reader *r, const uint8_t *p)
{
  return r->swapped ? be32(p) : le32(p);
}
static uint16_t file16(const mbmsec_pcap_reader *r, const uint8_t *p)
{
  return r->swapped ? be16(p) : (uint16_t)(p[0] | p[1] << 8);
}

int mbmsec_pcap_frame_error(mbmsec_err e)
{
  switch (e) {
  case MBMSEC_ERR_PCAP_SNAPPED:
  case MBMSEC_ERR_PCAP_NOT_IPV4:
  case MBMSEC_ERR_PCAP_IPV6:
  case MBMSEC_ERR_PCAP_IP_HEADER:
  case MBMSEC_ERR_PCAP_FRAGMENT:
  case MBMSEC_ERR_PCAP_NOT_UDP:
  case MBMSEC_ERR_PCAP_UDP_LEN:
    return 1;
  default:
    return 0;
  }
}

mbmsec_err mbmsec_pcap_open(mbmsec_pcap_reader *r, const uint8_t *buf, size_t len)
{
  ENSURE(r != NULL && (buf != NULL || len == 0), MBMSEC_ERR_ARG);
  memset(r, 0, sizeof *r);
  ENSURE(len >= 4, MBMSEC_ERR_PCAP_TRUNCATED);
  uint32_t magic = le32(buf);
  /* pcapng's Section Header Block type reads the same in both byte orders. */
  ENSURE(magic != 0x0A0D0D0Au, MBMSEC_ERR_PCAP_PCAPNG);
  if (magic == 0xA1B2C3D4u || magic == 0xA1B23C4Du) {
    r->swapped = 0;
  } else if (magic == 0xD4C3B2A1u || magic == 0x4D3CB2A1u) {
    r->swapped = 1;
  } else {
    return MBMSEC_ERR_PCAP_MAGIC;
  }
  r->nano = magic == 0xA1B23C4Du || magic == 0x4D3CB2A1u;
  ENSURE(len >= GLOBAL_HDR_LEN, MBMSEC_ERR_PCAP_TRUNCATED);
  r->buf = buf;
  r->len = len;
  ENSURE(file16(r, buf + 4) == 2, MBMSEC_ERR_PCAP_VERSION);
  r->snaplen = file32(r, buf + 16);
  /* The upper bits of the link-type word carry FCS information (pcap spec); only the type. */
  r->linktype = file32(r, buf + 20) & 0x0FFFFFFFu;
  switch (r->linktype) {
  case MBMSEC_PCAP_LT_NULL:
  case MBMSEC_PCAP_LT_ETHERNET:
  case MBMSEC_PCAP_LT_RAW:
  case MBMSEC_PCAP_LT_LINUX_SLL:
  case MBMSEC_PCAP_LT_IPV4:
    break;
  default:
    return MBMSEC_ERR_PCAP_LINKTYPE;
  }
  r->off = GLOBAL_HDR_LEN;
  return MBMSEC_OK;
}

/* Finds the IPv4 packet inside one link-layer frame: *ip, *ip_len. */
static mbmsec_err link_payload(const mbmsec_pcap_reader *r, const uint8_t *f, size_t n,
                               const uint8_t **ip, size_t *ip_len)
{
  size_t hl = 0;
  switch (r->linktype) {
  case MBMSEC_PCAP_LT_NULL: {
    ENSURE(n >= NULL_HDR_LEN, MBMSEC_ERR_PCAP_NOT_IPV4);
    /* The family is in the capturing host's byte order, which need not be the file's. */
    uint32_t fam = le32(f), famb = be32(f);
    if (fam == 2 || famb == 2) {
      hl = NULL_HDR_LEN;
      break;
    }
    /* AF_INET6 is 10 (Linux), 24, 28 or 30 (BSDs, macOS). */
    if (fam == 10 || fam == 24 || fam == 28 || fam == 30 || famb == 10 || famb == 24 ||
        famb == 28 || famb == 30)
      return MBMSEC_ERR_PCAP_IPV6;
    return MBMSEC_ERR_PCAP_NOT_IPV4;
  }
  case MBMSEC_PCAP_LT_ETHERNET: {
    ENSURE(n >= ETH_HDR_LEN, MBMSEC_ERR_PCAP_NOT_IPV4);
    uint16_t et = be16(f + 12);
    hl = ETH_HDR_LEN;
    if (et == ETHERTYPE_VLAN) {
      ENSURE(n >= ETH_HDR_LEN + VLAN_TAG_LEN, MBMSEC_ERR_PCAP_NOT_IPV4);
      et = be16(f + 16);
      hl += VLAN_TAG_LEN;
    }
    ENSURE(et != ETHERTYPE_IPV6, MBMSEC_ERR_PCAP_IPV6);
    ENSURE(et == ETHERTYPE_IPV4, MBMSEC_ERR_PCAP_NOT_IPV4);
    break;
  }
  case MBMSEC_PCAP_LT_LINUX_SLL: {
    ENSURE(n >= SLL_HDR_LEN, MBMSEC_ERR_PCAP_NOT_IPV4);
    uint16_t et = be16(f + 14);
    ENSURE(et != ETHERTYPE_IPV6, MBMSEC_ERR_PCAP_IPV6);
    ENSURE(et == ETHERTYPE_IPV4, MBMSEC_ERR_PCAP_NOT_IPV4);
    hl = SLL_HDR_LEN;
    break;
  }
  default: /* RAW and IPv4: the packet itself; the version nibble is checked below. */
    hl = 0;
    break;
  }
  *ip = f + hl;
  *ip_len = n - hl;
  return MBMSEC_OK;
}

/* IPv4 and UDP headers of one packet; fills the datagram. */
static mbmsec_err ipv4_udp(const uint8_t *ip, size_t n, mbmsec_pcap_udp *d)
{
  ENSURE(n >= 1, MBMSEC_ERR_PCAP_NOT_IPV4);
  ENSURE((ip[0] >> 4) != 6, MBMSEC_ERR_PCAP_IPV6);
  ENSURE((ip[0] >> 4) == 4, MBMSEC_ERR_PCAP_NOT_IPV4);
  ENSURE(n >= IPV4_MIN_HDR, MBMSEC_ERR_PCAP_IP_HEADER);
  size_t ihl = (size_t)(ip[0] & 0x0F) * 4, total = be16(ip + 2);
  ENSURE(ihl >= IPV4_MIN_HDR && ihl <= n, MBMSEC_ERR_PCAP_IP_HEADER);
  /* Link layers may pad (Ethernet minimum frame): trust the total length, never beyond n. */
  ENSURE(total >= ihl && total <= n, MBMSEC_ERR_PCAP_IP_HEADER);
  memcpy(d->src, ip + 12, 4);
  memcpy(d->dst, ip + 16, 4);
  uint16_t frag = be16(ip + 6);
  ENSURE((frag & 0x3FFFu) == 0, MBMSEC_ERR_PCAP_FRAGMENT); /* MF flag or an offset */
  ENSURE(ip[9] == IPPROTO_UDP_, MBMSEC_ERR_PCAP_NOT_UDP);
  const uint8_t *u = ip + ihl;
  size_t ulen_avail = total - ihl;
  ENSURE(ulen_avail >= UDP_HDR_LEN, MBMSEC_ERR_PCAP_UDP_LEN);
  size_t ulen = be16(u + 4);
  ENSURE(ulen >= UDP_HDR_LEN && ulen <= ulen_avail, MBMSEC_ERR_PCAP_UDP_LEN);
  d->sport = be16(u);
  d->dport = be16(u + 2);
  d->payload = u + UDP_HDR_LEN;
  d->payload_len = ulen - UDP_HDR_LEN;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_pcap_next(mbmsec_pcap_reader *r, mbmsec_pcap_udp *d, int *have)
{
  ENSURE(r != NULL && d != NULL && have != NULL, MBMSEC_ERR_ARG);
  *have = 0;
  memset(d, 0, sizeof *d);
  if (r->sticky != MBMSEC_OK) return r->sticky;
  ENSURE(r->buf != NULL && r->off <= r->len, MBMSEC_ERR_ARG);
  if (r->off == r->len) return MBMSEC_OK; /* clean end */
  mbmsec_err e = MBMSEC_OK;
  size_t left = r->len - r->off;
  if (left < RECORD_HDR_LEN) {
    e = MBMSEC_ERR_PCAP_TRUNCATED;
    goto file_error;
  }
  const uint8_t *h = r->buf + r->off;
  uint32_t incl = file32(r, h + 8), orig = file32(r, h + 12);
  if (incl > MBMSEC_PCAP_MAX_RECORD || incl > orig) {
    e = MBMSEC_ERR_PCAP_RECORD_LEN;
    goto file_error;
  }
  if (incl > left - RECORD_HDR_LEN) {
    e = MBMSEC_ERR_PCAP_TRUNCATED;
    goto file_error;
  }
  r->off += RECORD_HDR_LEN + incl;
  r->frame++;
  d->frame = r->frame;
  d->ts_sec = file32(r, h);
  uint32_t frac = file32(r, h + 4);
  /* Out-of-range fractions are kept as read; the timestamp is informational only. */
  d->ts_nsec = r->nano ? frac : (frac <= 999999u ? frac * 1000u : frac);
  /* A snapped packet may still look whole to the IPv4 parser if the snap fell in padding,
   * so the parse decides first and a short capture is named only when it is the cause. */
  const uint8_t *ip = NULL;
  size_t ip_len = 0;
  GUARD(link_payload(r, h + RECORD_HDR_LEN, incl, &ip, &ip_len));
  e = ipv4_udp(ip, ip_len, d);
  if (e != MBMSEC_OK) {
    d->payload = NULL;
    d->payload_len = 0;
    if (incl < orig && (e == MBMSEC_ERR_PCAP_IP_HEADER || e == MBMSEC_ERR_PCAP_UDP_LEN))
      return MBMSEC_ERR_PCAP_SNAPPED;
    return e;
  }
  *have = 1;
  return MBMSEC_OK;
file_error:
  r->sticky = e;
  return e;
}
