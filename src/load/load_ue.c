/* mbmsec-load: where each simulated UE lives. Profile P6: many UEs on one host each take
 * their own loopback address in 127.0.0.0/8. UE i gets 127.(net + b / 256).(b % 256).(i %
 * 250 + 1) with b = i / 250, so no address ends in .0 or .255 and 64,000 UEs fit per step of
 * the second octet. */
#include "load.h"

uint32_t load_ue_ipv4(const load_cfg *c, uint32_t i)
{
  const uint32_t b = i / LOAD_ADDRS_PER_C;
  return (127u << 24) | ((c->addr_net + b / 256) & 0xff) << 16 | (b % 256) << 8 |
         (i % LOAD_ADDRS_PER_C + 1);
}

int64_t load_ue_index(const load_cfg *c, uint32_t ipv4)
{
  if (ipv4 >> 24 != 127) return -1;
  const uint32_t o2 = (ipv4 >> 16) & 0xff, o3 = (ipv4 >> 8) & 0xff, o4 = ipv4 & 0xff;
  if (o2 < c->addr_net || o4 < 1 || o4 > LOAD_ADDRS_PER_C) return -1;
  const uint64_t i = ((uint64_t)(o2 - c->addr_net) * 256 + o3) * LOAD_ADDRS_PER_C + (o4 - 1);
  return i < c->ues ? (int64_t)i : -1;
}
