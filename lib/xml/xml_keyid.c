/* keyId (P3, P5, P15), per-item status codes (P4, P15) and the item-list adders. */
#include <string.h>

#include "guard.h"
#include "mbmsec/encode.h"
#include "mbmsec/keyid.h"
#include "mbmsec/xml.h"
#include "xml_doc.h"

#define KEYID_RAW_LEN MBMSEC_KEY_ID_LEN

mbmsec_err mbmsec_xml_keyid_encode(const uint8_t kdid[MBMSEC_KDID_LEN],
                                   const uint8_t msk_id[MBMSEC_MSK_ID_LEN],
                                   char out[MBMSEC_MBMS_KEYID_B64_LEN + 1])
{
  ENSURE(kdid && msk_id && out, MBMSEC_ERR_ARG);
  uint8_t raw[KEYID_RAW_LEN];
  mbmsec_key_id_pack(kdid, msk_id, raw);
  size_t n;
  GUARD(mbmsec_b64_encode(raw, sizeof raw, out, MBMSEC_MBMS_KEYID_B64_LEN + 1, &n));
  ENSURE(n == MBMSEC_MBMS_KEYID_B64_LEN, MBMSEC_ERR_ARG);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_xml_keyid_decode(const char *s, size_t len, uint8_t kdid[MBMSEC_KDID_LEN],
                                   uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  ENSURE(s && kdid && msk_id, MBMSEC_ERR_ARG);
  ENSURE(len == MBMSEC_MBMS_KEYID_B64_LEN, MBMSEC_ERR_XML_KEYID);
  uint8_t raw[KEYID_RAW_LEN + 2];
  size_t n;
  ENSURE(mbmsec_b64_decode(s, len, raw, sizeof raw, &n) == MBMSEC_OK && n == KEYID_RAW_LEN,
         MBMSEC_ERR_XML_KEYID);
  mbmsec_key_id_unpack(raw, kdid, msk_id);
  return MBMSEC_OK;
}

uint16_t mbmsec_xml_msk_key_group(const uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  return mbmsec_msk_id_group(msk_id);
}

uint16_t mbmsec_xml_msk_key_number(const uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  return mbmsec_msk_id_keynum(msk_id);
}

bool mbmsec_xml_msk_is_current(const uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  return mbmsec_xml_msk_key_number(msk_id) == MBMSEC_MSK_KEYNUM_CURRENT;
}

bool mbmsec_xml_status_valid(unsigned code, bool with_204)
{
  switch (code) {
  case MBMSEC_MBMS_STATUS_OK:
  case MBMSEC_MBMS_STATUS_BAD_REQUEST:
  case MBMSEC_MBMS_STATUS_UNAUTHORIZED:
  case MBMSEC_MBMS_STATUS_NOT_FOUND:
  case MBMSEC_MBMS_STATUS_UNAVAILABLE:
  case MBMSEC_MBMS_STATUS_SERVER_ERROR:
    return true;
  case MBMSEC_MBMS_STATUS_NO_UPDATE:
    return with_204;
  default:
    return false;
  }
}

mbmsec_err mbmsec_xml_service_add(mbmsec_xml_service_list *l, const char *id, unsigned code)
{
  ENSURE(l && id, MBMSEC_ERR_ARG);
  ENSURE(l->n < MBMSEC_XML_MAX_ITEMS, MBMSEC_ERR_XML_TOO_MANY);
  size_t n = strlen(id);
  ENSURE(n <= MBMSEC_XML_TEXT_MAX, MBMSEC_ERR_XML_STRING_LEN);
  ENSURE(xml_printable_token(id, n), MBMSEC_ERR_XML_ITEM);
  mbmsec_xml_service *it = &l->items[l->n++];
  memset(it, 0, sizeof *it);
  memcpy(it->text, id, n + 1);
  it->len = n;
  it->err = MBMSEC_OK;
  it->code = code;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_xml_key_add(mbmsec_xml_key_list *l, const uint8_t kdid[MBMSEC_KDID_LEN],
                              const uint8_t msk_id[MBMSEC_MSK_ID_LEN], unsigned code)
{
  ENSURE(l && kdid && msk_id, MBMSEC_ERR_ARG);
  ENSURE(l->n < MBMSEC_XML_MAX_ITEMS, MBMSEC_ERR_XML_TOO_MANY);
  mbmsec_xml_key *it = &l->items[l->n];
  memset(it, 0, sizeof *it);
  memcpy(it->kdid, kdid, MBMSEC_KDID_LEN);
  memcpy(it->msk_id, msk_id, MBMSEC_MSK_ID_LEN);
  GUARD(mbmsec_xml_keyid_encode(kdid, msk_id, it->text));
  it->len = MBMSEC_MBMS_KEYID_B64_LEN;
  it->err = MBMSEC_OK;
  it->code = code;
  l->n++;
  return MBMSEC_OK;
}
