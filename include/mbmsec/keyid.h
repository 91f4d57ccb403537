/* mbmsec: the MBMS key identifiers of profile P5, packed and unpacked in one place.
 *
 *   Key Domain ID  3 octets, TS 24.008 PLMN layout of MCC || MNC (001/01 -> 00 F1 10)
 *   MSK ID         4 octets = Key Group (2, big-endian) || key number (2, big-endian)
 *   key ID         7 octets = Key Domain ID || MSK ID (the keyId of P3, before base64; the
 *                  Key ID payload pair of the MIKEY EXT, P7)
 *
 * Every place that puts a Key Group or key number into MSK ID octets, or takes them out, goes
 * through these helpers (lib/ and src/ alike), so the layout lives here only. */
#ifndef MBMSEC_KEYID_H
#define MBMSEC_KEYID_H
#include <stdint.h>
#include <string.h>

#include "mbmsec/error.h"
#include "mbmsec/profile.h"

#define MBMSEC_KEY_ID_LEN    (MBMSEC_KDID_LEN + MBMSEC_MSK_ID_LEN) /* Key Domain ID || MSK ID */
#define MBMSEC_KEY_GROUP_LEN 2                                     /* octets 0-1 of an MSK ID */

/* MSK ID = key_group || key_number (P5). */
static inline void mbmsec_msk_id_pack(uint16_t key_group, uint16_t key_number,
                                      uint8_t out[MBMSEC_MSK_ID_LEN])
{
  out[0] = (uint8_t)(key_group >> 8);
  out[1] = (uint8_t)key_group;
  out[2] = (uint8_t)(key_number >> 8);
  out[3] = (uint8_t)key_number;
}

/* The Key Group of an MSK ID (octets 0-1), or of a bare 2-octet Key Group. */
static inline uint16_t mbmsec_msk_id_group(const uint8_t *msk_id)
{
  return (uint16_t)((uint16_t)msk_id[0] << 8 | msk_id[1]);
}

/* The key number of an MSK ID (octets 2-3); 0 is reserved (P5) / "the current one" (P15). */
static inline uint16_t mbmsec_msk_id_keynum(const uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  return (uint16_t)((uint16_t)msk_id[2] << 8 | msk_id[3]);
}

/* A bare Key Group as 2 octets (the MSK ID prefix of every MSK of the group). */
static inline void mbmsec_key_group_pack(uint16_t key_group, uint8_t out[MBMSEC_KEY_GROUP_LEN])
{
  out[0] = (uint8_t)(key_group >> 8);
  out[1] = (uint8_t)key_group;
}

/* key ID = Key Domain ID || MSK ID (7 octets). */
static inline void mbmsec_key_id_pack(const uint8_t kdid[MBMSEC_KDID_LEN],
                                      const uint8_t msk_id[MBMSEC_MSK_ID_LEN],
                                      uint8_t out[MBMSEC_KEY_ID_LEN])
{
  memcpy(out, kdid, MBMSEC_KDID_LEN);
  memcpy(out + MBMSEC_KDID_LEN, msk_id, MBMSEC_MSK_ID_LEN);
}

static inline void mbmsec_key_id_unpack(const uint8_t in[MBMSEC_KEY_ID_LEN],
                                        uint8_t kdid[MBMSEC_KDID_LEN],
                                        uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  memcpy(kdid, in, MBMSEC_KDID_LEN);
  memcpy(msk_id, in + MBMSEC_KDID_LEN, MBMSEC_MSK_ID_LEN);
}

/* The Key Domain ID of a PLMN (P5; TS 24.008 layout): octet 0 = MCC digit 2 (high nibble) |
 * MCC digit 1; octet 1 = MNC digit 3 (0xF for a 2-digit MNC) | MCC digit 3; octet 2 = MNC
 * digit 2 | MNC digit 1. MCC 001 / MNC 01 -> 00 F1 10; MCC 262 / MNC 01 -> 62 F2 10;
 * MCC 310 / MNC 260 -> 13 00 62.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (a pointer NULL, mcc not 3 decimal digits, mnc not 2 or 3
 * decimal digits; out untouched). */
mbmsec_err mbmsec_kdid_from_plmn(const char *mcc, const char *mnc, uint8_t out[MBMSEC_KDID_LEN]);

#endif
