/* Zn run-time dictionary for freeDiameter (TS 29.109; recipe zn-freediameter.md section 4). */
#include "zn_internal.h"

#include <errno.h>

struct zn_dict zn_d;

#define ZN_CHECK(expr)                           \
  do {                                           \
    if ((expr) != 0) return MBMSEC_ERR_ZN_STACK; \
  } while (0)

static int zn_avp(struct dictionary *dict, avp_code_t code, char *name, enum dict_avp_basetype base,
                  struct dict_object *parent_type, struct dict_object **out)
{
  struct dict_avp_data d = {
      code,
      MBMSEC_ZN_VENDOR_3GPP,
      name,
      AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY,
      AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY,
      base,
  };
  return fd_dict_new(dict, DICT_AVP, &d, parent_type, out);
}

static int zn_enum_type(struct dictionary *dict, char *type_name, char *name0, char *name1,
                        struct dict_object **out)
{
  struct dict_type_data t = {.type_base = AVP_TYPE_INTEGER32, .type_name = type_name};
  int rc = fd_dict_new(dict, DICT_TYPE, &t, NULL, out);
  if (rc != 0) return rc;
  struct dict_enumval_data e0 = {.enum_name = name0, .enum_value.i32 = 0};
  struct dict_enumval_data e1 = {.enum_name = name1, .enum_value.i32 = 1};
  rc = fd_dict_new(dict, DICT_ENUMVAL, &e0, *out, NULL);
  if (rc == 0) rc = fd_dict_new(dict, DICT_ENUMVAL, &e1, *out, NULL);
  return rc;
}

static int zn_base_avp(struct dictionary *dict, const char *name, struct dict_object **out)
{
  return fd_dict_search(dict, DICT_AVP, AVP_BY_NAME, name, out, ENOENT);
}

mbmsec_err zn_dict_init(void)
{
  struct dictionary *dict = fd_g_config->cnf_dict;
  vendor_id_t vid = MBMSEC_ZN_VENDOR_3GPP;

  /* The vendor exists already if dict_dcca_3gpp was loaded. */
  if (fd_dict_search(dict, DICT_VENDOR, VENDOR_BY_ID, &vid, &zn_d.vendor, ENOENT) != 0) {
    struct dict_vendor_data v = {MBMSEC_ZN_VENDOR_3GPP, "3GPP"};
    ZN_CHECK(fd_dict_new(dict, DICT_VENDOR, &v, NULL, &zn_d.vendor));
  }
  struct dict_application_data a = {MBMSEC_ZN_APP_ID, "3GPP Zn"};
  ZN_CHECK(fd_dict_new(dict, DICT_APPLICATION, &a, zn_d.vendor, &zn_d.app));

  /* Request: mask R|P|E, value R|P. Answer: mask R|P, value P (the BIA's P bit comes only
   * from this value). */
  struct dict_cmd_data req = {
      MBMSEC_ZN_CMD_BI,
      "Bootstrapping-Info-Request",
      CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE | CMD_FLAG_ERROR,
      CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE,
  };
  struct dict_cmd_data ans = {
      MBMSEC_ZN_CMD_BI,
      "Bootstrapping-Info-Answer",
      CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE,
      CMD_FLAG_PROXIABLE,
  };
  ZN_CHECK(fd_dict_new(dict, DICT_COMMAND, &req, zn_d.app, &zn_d.cmd_req));
  ZN_CHECK(fd_dict_new(dict, DICT_COMMAND, &ans, zn_d.app, &zn_d.cmd_ans));

  struct dict_object *time_type = NULL, *aware_type = NULL, *gbatype_type = NULL;
  ZN_CHECK(fd_dict_search(dict, DICT_TYPE, TYPE_BY_NAME, "Time", &time_type, ENOENT));
  ZN_CHECK(zn_enum_type(dict, "Enumerated(GBA_U-Awareness-Indicator)", "NO", "YES", &aware_type));
  ZN_CHECK(zn_enum_type(dict, "Enumerated(GBA-Type)", "3G GBA", "2G GBA", &gbatype_type));

  ZN_CHECK(zn_avp(dict, ZN_AVP_USS, "GBA-UserSecSettings", AVP_TYPE_OCTETSTRING, NULL, &zn_d.uss));
  ZN_CHECK(
      zn_avp(dict, ZN_AVP_TID, "Transaction-Identifier", AVP_TYPE_OCTETSTRING, NULL, &zn_d.tid));
  ZN_CHECK(zn_avp(dict, ZN_AVP_NAF_ID, "NAF-Id", AVP_TYPE_OCTETSTRING, NULL, &zn_d.naf_id));
  ZN_CHECK(
      zn_avp(dict, ZN_AVP_GSID, "GAA-Service-Identifier", AVP_TYPE_OCTETSTRING, NULL, &zn_d.gsid));
  ZN_CHECK(zn_avp(dict, ZN_AVP_KEY_EXPIRY, "Key-ExpiryTime", AVP_TYPE_OCTETSTRING, time_type,
                  &zn_d.key_expiry));
  ZN_CHECK(
      zn_avp(dict, ZN_AVP_ME_KEY, "ME-Key-Material", AVP_TYPE_OCTETSTRING, NULL, &zn_d.me_key));
  ZN_CHECK(zn_avp(dict, ZN_AVP_UICC_KEY, "UICC-Key-Material", AVP_TYPE_OCTETSTRING, NULL,
                  &zn_d.uicc_key));
  ZN_CHECK(zn_avp(dict, ZN_AVP_GBA_U_AWARE, "GBA_U-Awareness-Indicator", AVP_TYPE_INTEGER32,
                  aware_type, &zn_d.gba_u_aware));
  ZN_CHECK(zn_avp(dict, ZN_AVP_CREATION, "BootstrapInfoCreationTime", AVP_TYPE_OCTETSTRING,
                  time_type, &zn_d.creation));
  ZN_CHECK(zn_avp(dict, ZN_AVP_GUSS_TS, "GUSS-Timestamp", AVP_TYPE_OCTETSTRING, time_type,
                  &zn_d.guss_ts));
  ZN_CHECK(
      zn_avp(dict, ZN_AVP_GBA_TYPE, "GBA-Type", AVP_TYPE_INTEGER32, gbatype_type, &zn_d.gba_type));

  ZN_CHECK(zn_base_avp(dict, "Vendor-Specific-Application-Id", &zn_d.vsai));
  ZN_CHECK(zn_base_avp(dict, "Vendor-Id", &zn_d.vendor_id));
  ZN_CHECK(zn_base_avp(dict, "Auth-Application-Id", &zn_d.auth_app_id));
  ZN_CHECK(zn_base_avp(dict, "Destination-Realm", &zn_d.dest_realm));
  ZN_CHECK(zn_base_avp(dict, "Destination-Host", &zn_d.dest_host));
  ZN_CHECK(zn_base_avp(dict, "User-Name", &zn_d.user_name));
  ZN_CHECK(zn_base_avp(dict, "Result-Code", &zn_d.result_code));
  ZN_CHECK(zn_base_avp(dict, "Experimental-Result", &zn_d.exp_result));
  ZN_CHECK(zn_base_avp(dict, "Experimental-Result-Code", &zn_d.exp_result_code));

  /* Advertised in CER/CEA as Vendor-Specific-Application-Id {10415, 16777220}. */
  ZN_CHECK(fd_disp_app_support(zn_d.app, zn_d.vendor, 1, 0));
  return MBMSEC_OK;
}

int zn_add_vendor_group(struct msg *msg, struct dict_object *group, struct dict_object *member,
                        uint32_t value)
{
  struct avp *g = NULL, *a = NULL;
  union avp_value v;
  int rc = fd_msg_avp_new(group, 0, &g);
  if (rc != 0) return rc;
  if ((rc = fd_msg_avp_new(zn_d.vendor_id, 0, &a)) != 0) goto fail;
  v.u32 = MBMSEC_ZN_VENDOR_3GPP;
  if ((rc = fd_msg_avp_setvalue(a, &v)) != 0 ||
      (rc = fd_msg_avp_add(g, MSG_BRW_LAST_CHILD, a)) != 0)
    goto fail_a;
  if ((rc = fd_msg_avp_new(member, 0, &a)) != 0) goto fail;
  v.u32 = value;
  if ((rc = fd_msg_avp_setvalue(a, &v)) != 0 ||
      (rc = fd_msg_avp_add(g, MSG_BRW_LAST_CHILD, a)) != 0)
    goto fail_a;
  if ((rc = fd_msg_avp_add(msg, MSG_BRW_LAST_CHILD, g)) != 0) goto fail;
  return 0;
fail_a:
  fd_msg_free(a);
fail:
  fd_msg_free(g);
  return rc;
}

int zn_add_vsai(struct msg *msg)
{
  return zn_add_vendor_group(msg, zn_d.vsai, zn_d.auth_app_id, MBMSEC_ZN_APP_ID);
}

int zn_add_os(struct msg *msg, struct dict_object *model, const void *data, size_t len)
{
  struct avp *a = NULL;
  union avp_value v;
  int rc = fd_msg_avp_new(model, 0, &a);
  if (rc != 0) return rc;
  v.os.data = (uint8_t *)(uintptr_t)data; /* setvalue copies the octets */
  v.os.len = len;
  if ((rc = fd_msg_avp_setvalue(a, &v)) != 0 ||
      (rc = fd_msg_avp_add(msg, MSG_BRW_LAST_CHILD, a)) != 0) {
    fd_msg_free(a);
    return rc;
  }
  return 0;
}
