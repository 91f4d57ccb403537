/* MSK generation: every Key Group of every service keeps a current and a next MSK (P11), and
 * the Key Domain ID of the settings (P5). The key request itself is the library's engine
 * (lib/bmsc/bmsc_keyreq.c, include/mbmsec/bmsc_keyreq.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bmsc.h"
#include "log.h"
#include "mbmsec/crypto.h"

#define MTK_ID_FIRST 1      /* MTK IDs of a generated MSK: VF..VT (P7) */
#define MTK_ID_LAST 0xffff

void bmsc_kdid(const char *mcc, const char *mnc, uint8_t k[KDID_LEN])
{
  const unsigned m3 = strlen(mnc) == 3 ? (unsigned)(mnc[2] - '0') : 0xf;
  k[0] = (uint8_t)(((mcc[1] - '0') << 4) | (mcc[0] - '0'));
  k[1] = (uint8_t)((m3 << 4) | (unsigned)(mcc[2] - '0'));
  k[2] = (uint8_t)(((mnc[1] - '0') << 4) | (mnc[0] - '0'));
}

/* ---- MSK rotation: every Key Group of every service keeps a current and a next MSK */

typedef struct {
  mbmsec_store_service svc[64];
  size_t n;
} svc_list;

static mbmsec_err collect(const mbmsec_store_service *s, void *arg)
{
  svc_list *l = arg;
  if (l->n < sizeof l->svc / sizeof l->svc[0]) l->svc[l->n++] = *s;
  return MBMSEC_OK;
}

static void generate(bmsc_app *app, const uint8_t kdid[KDID_LEN], uint16_t group,
                     int64_t from, int64_t lifetime, int64_t now)
{
  uint8_t id[MSK_ID_LEN];
  char hex[2 * MSK_ID_LEN + 1] = "";
  mbmsec_err rc = mbmsec_members_msk_generate(app->members, kdid, group, from, from + lifetime,
                                              MTK_ID_FIRST, MTK_ID_LAST, now, id);
  if (rc == MBMSEC_OK) snprintf(hex, sizeof hex, "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
  dlog(rc == MBMSEC_OK ? DLOG_INFO : DLOG_ERROR, "msk generated", "msk_id", hex, "code",
           rc == MBMSEC_OK ? "" : mbmsec_errname(rc), NULL);
}

void bmsc_keyreq_rotate(bmsc_app *app)
{
  svc_list *l = calloc(1, sizeof *l);
  if (!l) return;
  const int64_t now = (int64_t)time(NULL);
  mbmsec_err rc = mbmsec_store_service_list(app->members, collect, l);
  for (size_t i = 0; rc == MBMSEC_OK && i < l->n; i++) {
    uint16_t groups[MBMSEC_MEMBERS_GROUPS_PER_SERVICE];
    size_t ng = 0;
    if (mbmsec_store_key_group_list(app->members, l->svc[i].service_id, groups,
                                    MBMSEC_MEMBERS_GROUPS_PER_SERVICE, &ng) != MBMSEC_OK)
      continue;
    const int64_t life = l->svc[i].msk_lifetime;
    for (size_t g = 0; g < ng; g++) {
      mbmsec_members_group_state gs;
      if (mbmsec_members_group_state_get(app->members, l->svc[i].kdid, groups[g], now, &gs))
        continue;
      int64_t next_from = now + life;
      if (!gs.has_current) generate(app, l->svc[i].kdid, groups[g], now, life, now);
      else {
        mbmsec_store_msk cur;
        uint8_t id[MSK_ID_LEN] = {(uint8_t)(groups[g] >> 8), (uint8_t)groups[g],
                                  (uint8_t)(gs.current >> 8), (uint8_t)gs.current};
        if (mbmsec_store_msk_get(app->members, l->svc[i].kdid, KDID_LEN, id, MSK_ID_LEN, &cur) == MBMSEC_OK)
          next_from = cur.valid_to;
        mbmsec_cleanse(&cur, sizeof cur);
      }
      if (!gs.has_next) generate(app, l->svc[i].kdid, groups[g], next_from, life, now);
    }
  }
  if (rc != MBMSEC_OK) dlog(DLOG_ERROR, "cannot list services", "code", mbmsec_errname(rc), NULL);
  free(l);
}
