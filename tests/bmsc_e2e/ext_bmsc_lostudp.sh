#!/usr/bin/env bash
# Lost UDP (profile P13) end to end on loopback: a real mbmsec-bsf, mbmsec-bmsc with a short
# first retransmission delay (200 ms: tries at 0, 0.2, 0.6, 1.4, 3.0 s, failed at 6.2 s;
# --rotate-lead 60 so that no MSK rotation push runs during the test) and the library UE client
# mbmsec-ue, whose test aid --drop-first N discards the first N MIKEY datagrams unread. A UE
# that loses the first try of each MSK still ends with both keys (the retries verify under its
# MUK and are acknowledged); one that loses every message is marked failed after the last try;
# a deregistration cancels what is still pending. The delivery state is read from
# `mbmsec-bmsc ue list` and /metrics.
set -u
: "${BMSC:?BMSC must name mbmsec-bmsc}" "${PY:=/usr/bin/python3}"

TEST_NAME=bmsc-lostudp
. "$(dirname "$0")/../lib/common.sh"
need_built BSF UE
need_tools curl od timeout

. "$(dirname "$0")/bmsc_env.sh"
bmsc_env_start --mikey-retx-first-ms 200
ok "mbmsec-bsf and mbmsec-bmsc (first retransmission after 200 ms)"

# ---- usage: --drop-first needs --mikey-listen and a number
"$UE" msk-request --bmsc "http://127.0.0.1:$HP/" --state "$WORK/state" --key-id AAAAAAAAAAA= \
  --drop-first 2 2>/dev/null
[ $? = 2 ] || fail "--drop-first without --mikey-listen not a usage error"
ue msk-request --key-id APEQAAEAAA== --drop-first x 2>/dev/null
[ $? = 2 ] || fail "--drop-first x not a usage error"
"$UE" msk-request --help | grep -q -- "--drop-first" || fail "--drop-first not in --help"
ok "--drop-first: documented; bad uses are usage errors"

# ---- register (pushes the current and the next MSK): the first try of each is lost
out=$(ue register --service-id urn:example:mbms:news --drop-first 2 --wait-ms 2500 2>"$WORK/ue.err") ||
  fail "register: $out $(cat "$WORK/ue.err")"
[ "$(field "$out" code_200)" = urn:example:mbms:news ] || fail "register items: $out"
[ "$(field "$out" mikey_dropped)" = 2 ] || fail "not 2 dropped: $out"
[ "$(field "$out" mikey_refused)" = 0 ] || fail "retries refused by the UE: $out"
grep -q "^mikey_1=msk 00f110:00010001 new" <<<"$out" && grep -q "^mikey_2=msk 00f110:00010002 new" <<<"$out" ||
  fail "both MSKs not received from the retries: $out"
for i in $(seq 50); do [ "$(metric mbmsec_bmsc_mikey_acked_total)" = 2 ] && break; sleep 0.1; done
[ "$(metric mbmsec_bmsc_mikey_acked_total)" = 2 ] || fail "acked = $(metric mbmsec_bmsc_mikey_acked_total)"
[ "$(metric mbmsec_bmsc_mikey_retransmitted_total)" -ge 2 ] || fail "no retransmission metric"
L=$(uelist)
grep "btid=$BTID" <<<"$L" | grep -q "msk_id=00010001 state=delivered pull=0 tries=2" &&
  grep "btid=$BTID" <<<"$L" | grep -q "msk_id=00010002 state=delivered pull=0 tries=2" ||
  fail "ue list after the lost first tries: $L"
ok "first try of both MSKs lost: the retries (P13) deliver them, acknowledged; ue list: delivered, tries=2"

# ---- msk-request for the current MSK with every datagram lost: failed after the last try
t0=$(date +%s)
out=$(ue msk-request --key-id APEQAAEAAA== --drop-first 1000 --wait-ms 7000 2>"$WORK/ue.err")
[ $? = 1 ] || fail "msk-request with everything lost did not fail: $out"
grep -q "got no MSK message" "$WORK/ue.err" || fail "no 'got no MSK message': $(cat "$WORK/ue.err")"
[ "$(field "$out" code_200)" = APEQAAEAAA== ] || fail "msk-request items: $out"
# 2 MSKs (current and next) x 5 tries (P13 default), none answered
[ "$(field "$out" mikey_dropped)" = 10 ] || fail "want 10 datagrams (2 MSKs x 5 tries): $out"
for i in $(seq 50); do [ "$(metric mbmsec_bmsc_mikey_failed_total)" = 2 ] && break; sleep 0.1; done
[ "$(metric mbmsec_bmsc_mikey_failed_total)" = 2 ] || fail "failed = $(metric mbmsec_bmsc_mikey_failed_total)"
[ "$(( $(date +%s) - t0 ))" -ge 6 ] || fail "marked failed before P13's budget (6.2 s)"
L=$(uelist)
grep "btid=$BTID" <<<"$L" | grep -q "msk_id=00010001 state=failed pull=0 tries=5" &&
  grep "btid=$BTID" <<<"$L" | grep -q "msk_id=00010002 state=failed pull=0 tries=5" ||
  fail "ue list after everything lost: $L"
"$BMSC" ue list --admin "127.0.0.1:$AP" --json |
  "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert [x["state"] for x in d[0]["deliveries"]]==["failed","failed"], d' ||
  fail "ue list --json"
[ "$(metric mbmsec_bmsc_mikey_acked_total)" = 2 ] || fail "acked changed"
ok "every MSK message lost: 5 tries each, then failed (P13); ue list: failed, tries=5"

# ---- and the UE recovers with a plain request: delivered again
out=$(ue msk-request --key-id APEQAAEAAA== --wait-ms 3000 2>"$WORK/ue.err") || fail "msk-request: $out $(cat "$WORK/ue.err")"
grep -q "^mikey_1=msk 00f110:0001000[12] duplicate" <<<"$out" || fail "not a duplicate (O4): $out"
# the client stops at the first MSK of the group: at least one more acknowledgement
for i in $(seq 50); do [ "$(metric mbmsec_bmsc_mikey_acked_total)" -ge 3 ] && break; sleep 0.1; done
[ "$(metric mbmsec_bmsc_mikey_acked_total)" -ge 3 ] || fail "no acknowledgement after recovery"
uelist | grep "btid=$BTID" | grep -q "state=delivered pull=0 tries=1" || fail "ue list: $(uelist)"
ok "after the failure a new request delivers (O4 duplicate at the UE), delivered in one try"

# ---- deregistration cancels the UE's pending deliveries of the service's Key Group
out=$(ue msk-request --key-id APEQAAEAAA== --drop-first 1000 --wait-ms 300 2>"$WORK/ue.err")
uelist | grep "btid=$BTID" | grep -q "state=pending" || fail "not pending: $(uelist)"
out=$(timeout 30 "$UE" deregister --bmsc "http://127.0.0.1:$HP/" --naf-fqdn "$NAF" --state "$WORK/state"   --bind "$UE_IP" --service-id urn:example:mbms:news 2>"$WORK/ue.err") || fail "deregister: $out $(cat "$WORK/ue.err")"
[ "$(field "$out" code_200)" = urn:example:mbms:news ] || fail "deregister items: $out"
uelist | grep "btid=$BTID" | grep -q "state=pending" && fail "still pending after deregister: $(uelist)"
r0=$(metric mbmsec_bmsc_mikey_retransmitted_total) f0=$(metric mbmsec_bmsc_mikey_failed_total)
sleep 1.5 # tries were due at +0.2, +0.6 and +1.4 s
[ "$(metric mbmsec_bmsc_mikey_retransmitted_total)" = "$r0" ] || fail "retransmissions after deregister: $r0 -> $(metric mbmsec_bmsc_mikey_retransmitted_total); $(uelist)"
[ "$(metric mbmsec_bmsc_mikey_failed_total)" = "$f0" ] || fail "cancelled deliveries counted as failed"
stop_pid "$BMSC_PID" || fail "SIGTERM: not a clean exit"
ok "deregister: the pending deliveries of the Key Group are cancelled (no more retransmissions)"
exit 0
