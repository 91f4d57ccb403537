#!/usr/bin/env bash
# Solicited pull (profile P10, O5; issue 6) through the UE key agent against the real daemons
# on loopback: mbmsec-bsf, mbmsec-bmsc (Zn to the BSF, SQLite). The agent is active with MSKs 1
# and 2; the BM-SC then has an MSK 3 the UE does not hold and does not push by itself;
# `mbmsec-bmsc ue pull --btid` makes the agent log the pull, run the basic MSK request (seen in
# the BM-SC's metrics and log), receive MSK 3 by MIKEY push, store and acknowledge it (the
# BM-SC counts the verification) and list it in `status`. A pull of the whole group (no
# --btid) for an MSK 4 reaches the agent the same way.
set -u
TEST_NAME=ue-agent-pull
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/agent_lib.sh"

# The daemon pushes on its own only the *next* MSK of a group, and only when the current one
# has at most rotate-lead seconds left (src/bmsc/rotate.c auto_schedule, checked every
# 10 s). With the default rotate-lead (3600 s) and MSKs of an hour it would re-push MSK 2 ten
# seconds after starting, which would blur the "nothing was pushed" check below; rotate-lead = 1
# keeps the schedule quiet for the hour the MSKs live. The MSKs the test inserts are *current*
# ones (valid from now), which the schedule never pushes anyway: only a request or a pull
# brings them to the UE.
start_daemons "rotate-lead = 1"
ok "mbmsec-bsf on $BP, mbmsec-bmsc on $HP (admin $AP), rotate-lead 1 s"

U1="$WORK/ue1"
write_agent_conf "$U1"
start_agent "$U1"
wait_status "$U1" "msk id=00f110:00010002 valid=yes" 150 || fail "agent not active: $(agent_status "$U1")"
grep -q "phase=active" <<<"$(agent_status "$U1")" || fail "status: $(agent_status "$U1")"
wait_metric mbmsec_bmsc_mikey_acked_total 2 50 || fail "registration pushes not acknowledged"
BTID=$(agent_btid)
[ -n "$BTID" ] || fail "no B-TID in the agent's timeline"
ok "agent active with MSKs 1 and 2 (B-TID $BTID)"

# msk_requests_logged: the MSK requests of this UE answered 200 in the BM-SC's log
msk_requests_logged() {
  grep -F 'msg=ua ' "$WORK/bmsc.err" | grep -F 'requesttype=msk-request" status=200' | grep -cF "btid=\"$BTID\""
}

# ---- MSK 3 at the BM-SC, not at the UE, and not pushed by the daemon on its own
insert_msk 00010003
SENT=$(metric mbmsec_bmsc_mikey_sent_total)
REQ=$(metric 'mbmsec_bmsc_items_ok_total{requesttype="msk-request"}')
ACK=$(metric mbmsec_bmsc_mikey_acked_total)
LOGGED=$(msk_requests_logged)
sleep 11 # longer than the daemon's 10 s schedule and MSK generation passes
[ "$(metric mbmsec_bmsc_mikey_sent_total)" = "$SENT" ] || fail "the BM-SC pushed by itself"
agent_status "$U1" | grep -q "msk id=00f110:00010003" && fail "the UE holds MSK 3 before any pull"
"$MBMSEC_BMSC" msk list --admin "127.0.0.1:$AP" | grep -q "msk_id=00010003 key_number=3 role=current" ||
  fail "MSK 3 is not the group's current MSK: $("$MBMSEC_BMSC" msk list --admin "127.0.0.1:$AP")"
ok "MSK 3 is current at the BM-SC; after 11 s nothing pushed, the UE does not hold it"

# ---- solicited pull to this UE
P=$("$MBMSEC_BMSC" ue pull --key-group 0001 --btid "$BTID" --admin "127.0.0.1:$AP" --store "$BSTORE") || fail "ue pull"
[ "$P" = "pulled=1 errors=0" ] || fail "ue pull: $P"
wait_for "$AGENT_ERR" "MIKEY solicited pull (P10) for MSK 00f110:00010003" 50 "$AGENT_PID" || fail "agent did not log the pull"
wait_for "$AGENT_ERR" "MSK request for 00f110:00010003" 50 "$AGENT_PID" || fail "pull did not start the MSK request"
wait_for "$AGENT_ERR" "msk-request APEQAAEAAw==: item 200" 50 "$AGENT_PID" || fail "MSK request not answered 200"
wait_for "$AGENT_ERR" "MIKEY push: MSK 00f110:00010003 stored" 50 "$AGENT_PID" || fail "MSK 3 not received"
wait_metric 'mbmsec_bmsc_items_ok_total{requesttype="msk-request"}' $((REQ + 1)) 50 ||
  fail "the BM-SC did not answer an MSK request"
[ "$(msk_requests_logged)" = $((LOGGED + 1)) ] || fail "BM-SC log: $(msk_requests_logged) MSK requests of the UE, want $((LOGGED + 1))"
# the pull's own acknowledgement (O5, V=1) and the push of MSK 3
wait_metric mbmsec_bmsc_mikey_acked_total $((ACK + 2)) 50 ||
  fail "BM-SC saw $(metric mbmsec_bmsc_mikey_acked_total) verifications, want $((ACK + 2))"
[ "$(metric mbmsec_bmsc_mikey_retransmitted_total)" = 0 ] || fail "BM-SC had to retransmit: a verification was missing or wrong"
wait_status "$U1" "msk id=00f110:00010003 valid=yes" 30 || fail "status lacks MSK 3: $(agent_status "$U1")"
grep -q "phase=active" <<<"$(agent_status "$U1")" || fail "not active: $(agent_status "$U1")"
wait_agent_counter "$U1" mikey_pull 1 || fail "mikey_pull counter: $(agent_counter "$U1" mikey_pull)"
ok "ue pull --btid: pull logged, MSK request sent and answered, MSK 3 pushed, stored, acknowledged, in status"

# ---- solicited pull to the whole group (no --btid), for MSK 4
insert_msk 00010004
REQ=$(metric 'mbmsec_bmsc_items_ok_total{requesttype="msk-request"}')
ACK=$(metric mbmsec_bmsc_mikey_acked_total)
P=$("$MBMSEC_BMSC" ue pull --key-group 0001 --admin "127.0.0.1:$AP" --store "$BSTORE") || fail "group ue pull"
[ "$P" = "pulled=1 errors=0" ] || fail "group ue pull: $P"
wait_for "$AGENT_ERR" "MIKEY solicited pull (P10) for MSK 00f110:00010004" 50 "$AGENT_PID" || fail "group pull did not reach the agent"
wait_for "$AGENT_ERR" "MIKEY push: MSK 00f110:00010004 stored" 50 "$AGENT_PID" || fail "MSK 4 not received"
wait_metric 'mbmsec_bmsc_items_ok_total{requesttype="msk-request"}' $((REQ + 1)) 50 || fail "no MSK request for MSK 4"
wait_metric mbmsec_bmsc_mikey_acked_total $((ACK + 2)) 50 || fail "group pull or MSK 4 not acknowledged"
wait_status "$U1" "msk id=00f110:00010004 valid=yes" 30 || fail "status lacks MSK 4: $(agent_status "$U1")"
wait_agent_counter "$U1" mikey_pull 2 || fail "mikey_pull counter: $(agent_counter "$U1" mikey_pull)"
ok "ue pull for the group: reached the agent, MSK 4 requested, pushed, acknowledged, in status"
