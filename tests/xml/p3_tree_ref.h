/* The tree-walking P3 parsers kept as the reference of the SAX ones (tests/xml/p3_tree_ref.c):
 * same contracts as mbmsec_xml_parse_register, _register_response, _msk_request and
 * _msk_response of include/mbmsec/xml.h. Tests and fuzzers only. */
#ifndef MBMSEC_P3_TREE_REF_H
#define MBMSEC_P3_TREE_REF_H
#include "mbmsec/xml.h"

mbmsec_err p3_ref_parse_register(const uint8_t *doc, size_t len, mbmsec_xml_reg_kind kind,
                                 mbmsec_xml_service_list *out);
mbmsec_err p3_ref_parse_register_response(const uint8_t *doc, size_t len,
                                          mbmsec_xml_service_list *out);
mbmsec_err p3_ref_parse_msk_request(const uint8_t *doc, size_t len, mbmsec_xml_key_list *out);
mbmsec_err p3_ref_parse_msk_response(const uint8_t *doc, size_t len, mbmsec_xml_key_list *out);

/* Runs doc through the five P3 parsers (register, deregister, register response, MSK request,
 * MSK response) of the library and of the reference and compares everything they give: the
 * return code, n, n_bad and every item's text, len, err, code (and kdid, msk_id). False and a
 * description of the first difference in why (cap bytes) when they differ. */
bool p3_ref_same(const uint8_t *doc, size_t len, char *why, size_t cap);

#endif
