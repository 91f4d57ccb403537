/* BootstrappingInfo (TS 24.109 Annex C), the body of the BSF's 200 OK. The body comes from
 * the network before anything else vouches for its shape (rspauth only says the BSF sent it),
 * so it goes through lib/xml's hardened reader like every other XML body (docs/xml.md: no
 * network, no DTD, any DOCTYPE refused, no entity expansion, size, depth and element caps). */
#include <libxml/tree.h>
#include <string.h>
#include <time.h>

#include "guard.h"
#include "mbmsec/ue.h"
#include "ue_text.h"
#include "xml/xml_doc.h"

static bool digits(const char *s, size_t n, int *out)
{
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

mbmsec_err mbmsec_ue_datetime_parse(const char *s, size_t len, int64_t *out)
{
  ENSURE(s && out, MBMSEC_ERR_ARG);
  int Y, M, D, h, m, sec, oh = 0, om = 0;
  /* YYYY-MM-DDThh:mm:ss : 19 characters; years before 1000 or after 9999 are not a lifetime */
  ENSURE(len >= 20, MBMSEC_ERR_UE_XML);
  ENSURE(digits(s, 4, &Y) && s[4] == '-' && digits(s + 5, 2, &M) && s[7] == '-' &&
             digits(s + 8, 2, &D) && s[10] == 'T' && digits(s + 11, 2, &h) && s[13] == ':' &&
             digits(s + 14, 2, &m) && s[16] == ':' && digits(s + 17, 2, &sec),
         MBMSEC_ERR_UE_XML);
  size_t i = 19;
  if (s[i] == '.') {
    size_t f = ++i;
    while (i < len && s[i] >= '0' && s[i] <= '9') i++;
    ENSURE(i > f, MBMSEC_ERR_UE_XML);
  }
  /* A dateTime without a zone is local time of nobody: a lifetime must name UTC. */
  ENSURE(i < len, MBMSEC_ERR_UE_XML);
  int sign = 0;
  if (s[i] == 'Z') {
    i++;
  } else if (s[i] == '+' || s[i] == '-') {
    sign = s[i] == '+' ? 1 : -1;
    ENSURE(len - i == 6 && digits(s + i + 1, 2, &oh) && s[i + 3] == ':' &&
               digits(s + i + 4, 2, &om) && oh <= 14 && om <= 59,
           MBMSEC_ERR_UE_XML);
    i += 6;
  }
  ENSURE(i == len, MBMSEC_ERR_UE_XML);
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
  ENSURE(Y >= 1970 && M >= 1 && M <= 12 && D >= 1 && D <= mdays[M - 1] &&
             (M != 2 || D <= 28 || leap) && h <= 23 && m <= 59 && sec <= 59,
         MBMSEC_ERR_UE_XML);
  struct tm tm = {0};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  ENSURE(t != (time_t)-1, MBMSEC_ERR_UE_XML);
  int64_t v = (int64_t)t - sign * (int64_t)(oh * 3600 + om * 60);
  ENSURE(v >= 0, MBMSEC_ERR_UE_XML); /* before 1970 UTC: not a lifetime */
  *out = v;
  return MBMSEC_OK;
}

static bool in_ns(const xmlNode *n) { return xml_in_ns(n, MBMSEC_UE_GBA_NS); }

mbmsec_err mbmsec_ue_bsf_info_parse(const uint8_t *body, size_t len,
                                    char btid[MBMSEC_UE_ID_MAX + 1], int64_t *lifetime)
{
  ENSURE(body && btid && lifetime, MBMSEC_ERR_ARG);
  ENSURE(len > 0 && len <= MBMSEC_UE_BODY_MAX, MBMSEC_ERR_UE_XML);
  mbmsec_err rc = MBMSEC_ERR_UE_XML;
  xmlDocPtr doc = NULL;
  const mbmsec_err rr = xml_read(body, len, "BootstrappingInfo", MBMSEC_UE_GBA_NS, &doc, NULL);
  if (rr != MBMSEC_OK) {
    if (rr == MBMSEC_ERR_NOMEM) rc = rr; /* every refusal of the reader is a bad body here */
    goto out;
  }
  xmlNode *root = xmlDocGetRootElement(doc);
  xmlNode *e_btid = NULL, *e_life = NULL;
  for (xmlNode *c = root->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_COMMENT_NODE) {
      if (c->type == XML_TEXT_NODE && !xmlIsBlankNode(c))
        goto out; /* mixed content is not in the schema */
      continue;
    }
    if (c->type != XML_ELEMENT_NODE) goto out; /* entity references, processing instructions */
    if (!in_ns(c)) continue;                   /* the schema's extension point: other namespaces */
    if (!strcmp((const char *)c->name, "btid") && !e_btid)
      e_btid = c;
    else if (!strcmp((const char *)c->name, "lifetime") && !e_life)
      e_life = c;
    else
      goto out; /* duplicate or unknown element of uri:3gpp-gba */
  }
  if (!e_btid || !e_life) goto out;
  char text[MBMSEC_UE_ID_MAX + 1];
  size_t n = 0;
  if (xml_leaf_text(e_btid, text, sizeof text, &n, MBMSEC_ERR_UE_XML) != MBMSEC_OK ||
      !ue_text_id(text, n, btid, MBMSEC_UE_ID_MAX + 1) || !memchr(text, '@', n))
    goto out;
  if (xml_leaf_text(e_life, text, sizeof text, &n, MBMSEC_ERR_UE_XML) != MBMSEC_OK) goto out;
  GUARD_OUT(mbmsec_ue_datetime_parse(text, n, lifetime));
  rc = MBMSEC_OK;
out:
  if (rc != MBMSEC_OK) memset(btid, 0, MBMSEC_UE_ID_MAX + 1);
  xmlFreeDoc(doc);
  return rc;
}
