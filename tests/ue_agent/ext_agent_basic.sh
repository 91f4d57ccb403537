#!/usr/bin/env bash
# The UE key agent (mbmsec-ue run) against the real daemons on loopback: mbmsec-bsf, mbmsec-bmsc
# (Zn to the BSF, SQLite). One agent reads the announcement, bootstraps, registers, asks for the
# current MSK of Key Group 1 (key number 0, P15), receives the MIKEY push of the current and next
# MSK and acknowledges it (the BM-SC counts the verification messages), shows it in `status`;
# a restart keeps its keys (no new request, no new push); `leave` makes it leave and deregister;
# a second UE whose subscription was withdrawn is refused (register item 401) and says why.
set -u
TEST_NAME=ue-agent
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/agent_lib.sh"

# ---- --help and usage errors
"$MBMSEC_UE" run --help | grep -q -- "--config" || fail "run --help"
"$MBMSEC_UE" status --help | grep -q -- "--state-dir" || fail "status --help"
"$MBMSEC_UE" leave --help | grep -q "SERVICE" || fail "leave --help"
"$MBMSEC_UE" run 2>/dev/null; [ $? = 2 ] || fail "run without --config not a usage error"
printf 'colour = blue\n' >"$WORK/bad.conf"
"$MBMSEC_UE" run --config "$WORK/bad.conf" 2>"$WORK/bad.out"; [ $? = 2 ] || fail "bad config not a usage error"
grep -q "line 1: unknown setting" "$WORK/bad.out" || fail "bad config message: $(cat "$WORK/bad.out")"
"$MBMSEC_UE" status --state-dir "$WORK/nowhere" 2>/dev/null; [ $? = 1 ] || fail "status without a status file"
ok "--help and usage errors"

start_daemons
ok "mbmsec-bsf on $BP, mbmsec-bmsc on $HP (admin $AP)"

# ---- the whole exchange up to the MIKEY push
U1="$WORK/ue1"
write_agent_conf "$U1"
start_agent "$U1"
wait_status "$U1" "phase=active" 150 || fail "agent not active: $(agent_status "$U1")"
ST=$(agent_status "$U1")
grep -q "service id=$SERVICE phase=active registered=yes kdid=00f110 key_groups=0001" <<<"$ST" || fail "status: $ST"
grep -q "msk id=00f110:00010001 valid=yes" <<<"$ST" || fail "current MSK not held: $ST"
grep -q "msk id=00f110:00010002 valid=yes" <<<"$ST" || fail "next MSK not held: $ST"
grep -q "running=yes" <<<"$ST" || fail "running: $ST"
for step in "GBA bootstrap" "register" "registered (item 200)" "MSK request for 00f110:00010000" \
            "msk-request APEQAAEAAA==: item 200" "MIKEY push: MSK 00f110:00010001 stored" \
            "MIKEY verification message sent"; do
  grep -qF "$step" "$AGENT_ERR" || fail "timeline lacks '$step'"
done
# The BM-SC pushes at registration and again for the request (O4 re-delivery): both acknowledged.
wait_metric mbmsec_bmsc_mikey_acked_total 2 50 || fail "BM-SC saw $(metric mbmsec_bmsc_mikey_acked_total) verifications, want 2"
[ "$(metric mbmsec_bmsc_mikey_retransmitted_total)" = 0 ] || fail "BM-SC had to retransmit: a verification was wrong"
"$MBMSEC_UE" status --state-dir "$U1/state" --json | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
assert d["running"] is True, d
s = d["services"][0]
assert s["phase"] == "active" and s["registered"] is True, s
ids = sorted(m["id"] for m in d["msks"] if m["valid"])
assert ids == ["00f110:00010001", "00f110:00010002"], ids
assert d["counters"]["mikey_msk"] == 2, d["counters"]
' || fail "status --json"
[ "$(stat -c %a "$U1/state/agent.state")" = 600 ] || fail "state file mode"
ok "bootstrap, register, MSK request, MIKEY push of current + next, acknowledged; status and --json"

# ---- restart: keys and counters kept, no new request, no new push
REQ=$(metric 'mbmsec_bmsc_http_requests_total{status="200"}') SENT=$(metric mbmsec_bmsc_mikey_sent_total)
stop_pid "$AGENT_PID" || fail "agent did not stop cleanly on SIGTERM"
grep -q "running=no" <<<"$(agent_status "$U1")" || fail "status after stop"
start_agent "$U1"
wait_for "$AGENT_ERR" "state restored" 50 "$AGENT_PID" || fail "state not restored"
wait_status "$U1" "phase=active" 50 || fail "not active after restart"
sleep 1
[ "$(metric 'mbmsec_bmsc_http_requests_total{status="200"}')" = "$REQ" ] || fail "restart sent requests"
[ "$(metric mbmsec_bmsc_mikey_sent_total)" = "$SENT" ] || fail "restart caused a new MIKEY push"
grep -q "msk id=00f110:00010001 valid=yes" <<<"$(agent_status "$U1")" || fail "keys lost on restart"
ok "restart keeps keys and counters, asks nothing again"

# ---- leave on the user's request: left, deregistered, and still left after a restart
out=$("$MBMSEC_UE" leave "$SERVICE" --state-dir "$U1/state") || fail "leave"
grep -q "reason=\"left on the user's request\"" <<<"$out" || fail "leave output: $out"
wait_for "$AGENT_ERR" "deregistered" 50 "$AGENT_PID" || fail "no deregister"
"$MBMSEC_UE" leave urn:example:nothing --state-dir "$U1/state" 2>/dev/null && fail "leave of an unknown service"
stop_pid "$AGENT_PID" || fail "agent stop"
"$MBMSEC_UE" leave "$SERVICE" --state-dir "$U1/state" 2>/dev/null && fail "leave without a running agent"
start_agent "$U1"
wait_for "$AGENT_ERR" "left earlier" 50 "$AGENT_PID" || fail "left state not kept"
stop_pid "$AGENT_PID" || fail "agent stop"
ok "leave: left with the reason, deregistered, kept across a restart"

# ---- subscription withdrawn: register item 401, leaves at once (no MSK held), says why
"$MBMSEC_BMSC" subscriber revoke --store "$BSTORE" --impi "$ALICE" --service-id "$SERVICE" || fail "revoke"
UE_IP=127.0.0.8
U2="$WORK/ue2"
MTK_PORT= SRTP_PORT=
write_agent_conf "$U2"
start_agent "$U2"
wait_status "$U2" "phase=left" 150 || fail "UE 2 did not leave: $(agent_status "$U2")"
grep -q 'reason="registration refused: item 401 (not subscribed / not authorised)"' <<<"$(agent_status "$U2")" ||
  fail "reason: $(agent_status "$U2")"
ok "withdrawn subscription: register item 401, left with the reason"
