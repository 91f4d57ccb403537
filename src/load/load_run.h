/* mbmsec-load: the state of a run, shared by its phases (load_run.c) and the multiplexed
 * repeat phase (load_mux.c). */
#ifndef MBMSEC_LOAD_RUN_H
#define MBMSEC_LOAD_RUN_H
#include <time.h>

#include "load.h"
#include "mbmsec/ue_km.h"

typedef enum { PH_BOOTSTRAP, PH_REGISTER, PH_MSK, PH_REPEAT, PH_COUNT } phase_id;
_Static_assert(PH_COUNT == LOAD_PHASES, "load_phase_name lists every phase");
#define PHASE_NAME load_phase_name
typedef load_phase_result phase_result;

typedef struct run run;

typedef struct lane lane;

typedef struct {
  run *r;
  unsigned index;
  load_http *http;
  mbmsec_ue_http *ub;
  mbmsec_ue_km *km;
  load_lat lat;
} worker;

struct run {
  const load_cfg *cfg;
  load_ue *ues;
  load_stats st;
  phase_id phase;
  atomic_uint_fast64_t done;  /* UEs / requests finished in this phase */
  atomic_int_fast64_t budget; /* --requests left */
  struct timespec deadline;
  atomic_bool stop;
  char bsf_host[MBMSEC_UE_ID_MAX + 1], bsf_path[MBMSEC_UE_ID_MAX + 1];
  char get_host[256], get_path[1024];
  worker *w;
  lane *lanes; /* the repeat phase's, c->inflight of them (load_mux.c) */
  phase_result res[PH_COUNT];
};

double load_now_s(void);
/* A request of worker w that started at t0 (load_now_s) succeeded / failed (kind). */
void load_ok_req(worker *w, double t0);
void load_err_req(worker *w, const char *kind);
/* The error kind of a failed km request. */
void load_km_kind(const mbmsec_ue_km *km, const load_http *http, mbmsec_err rc, char *kind,
                  size_t cap);
/* Counts a finished km request of UE-less engine km (items checked). */
void load_km_done(worker *w, const mbmsec_ue_km *km, mbmsec_ue_km_type type, double t0);
/* An answer to a digest-get GET of UE u: true when the request is over (counted), false when
 * it must be sent again (a challenge to answer). */
bool load_get_answer(worker *w, load_ue *u, const mbmsec_ue_http_answer *a, bool sent);
/* Whether the repeat phase goes on (--requests budget, --duration deadline, stop). */
bool load_repeat_more(run *r);

/* ---- the multiplexed repeat phase (load_mux.c) */
/* Lanes: c->inflight of them, lane l served by worker l % threads, UE i in lane i % inflight.
 * @return MBMSEC_OK, MBMSEC_ERR_NOMEM, the set-up codes of load_http / mbmsec_ue_km. */
mbmsec_err load_mux_new(run *r);
void load_mux_free(run *r);
/* The repeat phase of worker w: its lanes' requests on one epoll set. */
void load_mux_repeat(worker *w);

#endif
