#!/usr/bin/env bash
# MSK rotation end to end on loopback (docs/bmsc-rotation.md): a real mbmsec-bsf, mbmsec-bmsc
# with Zn to it, and three UEs made of mbmsec-ue (bootstrap, then `register --mikey-listen`,
# which keeps the UE's MIKEY socket open, verifies every message under its MUK and answers
# V=1). The service's MSKs live 20 s, so the change-over from MSK 1 to MSK 2 happens during
# the test; then `mbmsec-bmsc msk rotate` must bring MSK 3 (which no UE asked for) to every
# UE before MSK 3's change-over, with no HTTP request from any UE, spread over the window, and
# `msk list` / `/metrics` must count every UE acked. `ue pull` must reach one UE as a
# solicited pull (P10). Exit 77 (skip) when a tool is missing.
set -u
[ -n "${BMSC:-}" ] && [ -x "$BMSC" ] || { echo "SKIP: mbmsec-bmsc not built"; exit 77; }
[ -x "${PY:-/usr/bin/python3}" ] || { echo "SKIP: python3 not installed"; exit 77; }

TEST_NAME=bmsc-rotate
. "$(dirname "$0")/../lib/common.sh"
need_built BSF UE
need_tools curl od timeout

. "$(dirname "$0")/../bmsc_e2e/bmsc_env.sh"
LIFE=20
NUE=3

# ---- usage errors
"$BMSC" msk --help | grep -q "msk rotate" || fail "msk --help"
"$BMSC" msk rotate 2>/dev/null; [ $? = 2 ] || fail "msk rotate without --key-group not a usage error"
"$BMSC" msk rotate --key-group 1 2>/dev/null; [ $? = 2 ] || fail "short --key-group not a usage error"
"$BMSC" ue pull --key-group 0001 --admin nowhere 2>/dev/null; [ $? = 2 ] || fail "bad --admin not a usage error"
"$BMSC" run --rotate-window x 2>/dev/null; [ $? = 2 ] || fail "bad --rotate-window not a usage error"
ok "usage errors"

# ---- BSF with NUE subscribers
for i in $(seq $NUE); do
  K[$i]=$(bmsc_env_key)
  OPC[$i]=$(bmsc_env_key)
  IMPI[$i]="ue$i@ims.mnc001.mcc001.3gppnetwork.org"
  bmsc_env_subscriber "${IMPI[$i]}" "${K[$i]}" "${OPC[$i]}"
done
bmsc_env_bsf
ok "mbmsec-bsf on $BP"

# ---- bootstrap the UEs first: registration must come right after the service's MSKs exist
for i in $(seq $NUE); do
  bmsc_env_bootstrap "$WORK/usim$i" "$WORK/state$i" "${IMPI[$i]}" "${K[$i]}" "${OPC[$i]}"
  BT[$i]=$BTID # each UE's B-TID
done
ok "$NUE UEs bootstrapped"

# ---- BM-SC: one service, Key Group 0001, MSKs of LIFE seconds
"$BMSC" service add --store "$BSTORE" --service-id urn:example:mbms:rot --key-group 0001 \
  --msk-lifetime $LIFE || fail "service add"
T0=$(date +%s)
for i in $(seq $NUE); do
  "$BMSC" subscriber grant --store "$BSTORE" --impi "${IMPI[$i]}" --service-id urn:example:mbms:rot || fail "grant $i"
done
# rotate-lead 1: the schedule stays out of the way; this test drives `msk rotate`
bmsc_env_bmsc --rotate-lead 1 --rotate-window 600 --rotate-jitter-ms 100
ADMIN="127.0.0.1:$AP"
ok "mbmsec-bmsc on $HP (admin $AP)"

# ---- the UEs register and keep listening (each on its own address, P6)
WAIT_MS=$(( (3 * LIFE + 5) * 1000 ))
for i in $(seq $NUE); do
  ip=127.0.0.$((20 + i))
  timeout $((3 * LIFE + 20)) "$UE" register --bmsc "http://127.0.0.1:$HP/" --state "$WORK/state$i" \
    --naf-fqdn "$NAF" --service-id urn:example:mbms:rot --bind "$ip" --mikey-listen "$ip:$UE_PORT" \
    --wait-ms "$WAIT_MS" --mikey-state "$WORK/mikey$i" >"$WORK/reg$i.out" 2>"$WORK/reg$i.err" &
  REG_PID[$i]=$!
  TEST_PIDS+=("${REG_PID[$i]}")
done
for i in $(seq 100); do
  [ "$(metric 'mbmsec_bmsc_ues')" = "$NUE" ] && break
  sleep 0.1
done
[ "$(metric 'mbmsec_bmsc_ues')" = "$NUE" ] || fail "UEs did not register: $(metric mbmsec_bmsc_ues)"
for i in $(seq 100); do
  [ "$(metric 'mbmsec_bmsc_mikey_acked_total')" = $((2 * NUE)) ] && break
  sleep 0.1
done
[ "$(metric 'mbmsec_bmsc_mikey_acked_total')" = $((2 * NUE)) ] || fail "register pushes not acked"
ok "$NUE UEs registered, MSK 1 and 2 pushed and verified"

L=$("$BMSC" msk list --admin "$ADMIN") || fail "msk list"
grep -q "key_group=0001 msk_id=00010001 key_number=1 role=current" <<<"$L" || fail "msk list: $L"
grep -q "msk_id=00010002 key_number=2 role=next" <<<"$L" || fail "msk list: $L"
"$BMSC" msk list --admin "$ADMIN" --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert [m["role"] for m in d] == ["current","next"], d' ||
  fail "msk list --json"
ok "msk list: current 1, next 2"

# ---- the admin port: GET only reads; a state change is a POST with the daemon's token
TOKEN_FILE="${BSTORE#sqlite:}.admin-token"
[ "$(stat -c %a "$TOKEN_FILE")" = 600 ] || fail "admin token file mode $(stat -c %a "$TOKEN_FILE")"
st() { curl -s -o /dev/null -w '%{http_code}' -m 5 "$@"; }
STARTS=$(grep -c "msg=rotate event=start" "$WORK/bmsc.err")
[ "$(st "http://$ADMIN/msk/rotate?key_group=0001")" = 405 ] || fail "GET /msk/rotate not refused"
[ "$(st "http://$ADMIN/ue/pull?key_group=0001")" = 405 ] || fail "GET /ue/pull not refused"
[ "$(st -X POST "http://$ADMIN/msk/rotate?key_group=0001")" = 401 ] || fail "POST without a token not refused"
[ "$(st -X POST -H "Authorization: Bearer $(printf '%064d' 0)" "http://$ADMIN/ue/pull?key_group=0001")" = 401 ] ||
  fail "POST with a wrong token not refused"
[ "$(st -X POST -H "Authorization: Bearer $(cat "$TOKEN_FILE")x" "http://$ADMIN/msk/rotate?key_group=0001")" = 401 ] ||
  fail "POST with a longer token not refused"
[ "$(st -X POST "http://$ADMIN/metrics")" = 405 ] || fail "POST /metrics not refused"
"$BMSC" msk rotate --key-group 0001 --admin "$ADMIN" 2>/dev/null; [ $? = 2 ] || fail "msk rotate without a token source not a usage error"
[ "$(grep -c "msg=rotate event=start" "$WORK/bmsc.err")" = "$STARTS" ] || fail "a refused admin request started a rotation"
grep -q 'msg="admin request refused: no or wrong token"' "$WORK/bmsc.err" || fail "refusal not logged"
L2=$("$BMSC" msk list --admin "$ADMIN") || fail "msk list"
[ "$L" = "$L2" ] || fail "refused admin requests changed the MSK list: $L2"
ok "admin port: GET of a state change 405, POST without or with a wrong token 401, nothing started"

# ---- wait for the change-over to MSK 2, then rotate: MSK 3 to every UE, no HTTP from them
while [ "$(date +%s)" -lt $((T0 + LIFE + 1)) ]; do sleep 0.2; done
HTTP_BEFORE=$(curl -s "http://$ADMIN/metrics" | awk '$1 ~ /^mbmsec_bmsc_http_requests_total/ { s += $2 } END { print s }')
R=$("$BMSC" msk rotate --key-group 0001 --window-ms 3000 --jitter-ms 200 --admin "$ADMIN" --store "$BSTORE") || fail "msk rotate"
grep -q "key_group=0001 msk_id=00010003 window_ms=3000 jitter_ms=200" <<<"$R" || fail "msk rotate: $R"
"$BMSC" msk rotate --key-group 0001 --admin "$ADMIN" --store "$BSTORE" 2>"$WORK/busy.err" && fail "second rotate while one runs accepted"
grep -q "MBMSEC_ERR_BMSC_ROT_BUSY" "$WORK/busy.err" || fail "busy rotate: $(cat "$WORK/busy.err")"
for i in $(seq 100); do
  L=$("$BMSC" msk list --admin "$ADMIN")
  grep -q "msk_id=00010003 .* acked=$NUE failed=0 send_errors=0 pending=0" <<<"$L" && break
  sleep 0.1
done
grep -q "msk_id=00010003 key_number=3 role=next .*planned=$NUE waiting=0 pushed=$NUE acked=$NUE failed=0 send_errors=0 pending=0" <<<"$L" ||
  fail "rotation progress: $L"
DONE=$(date +%s)
V3=$(sed -n 's/.*msk_id=00010003 .*valid_from=\([0-9]*\).*/\1/p' <<<"$L")
[ "$DONE" -lt "$V3" ] || fail "MSK 3 delivered at $DONE, not before its change-over $V3"
HTTP_AFTER=$(curl -s "http://$ADMIN/metrics" | awk '$1 ~ /^mbmsec_bmsc_http_requests_total/ { s += $2 } END { print s }')
[ "$HTTP_BEFORE" = "$HTTP_AFTER" ] || fail "HTTP requests during the rotation: $HTTP_BEFORE -> $HTTP_AFTER"
M=$(curl -s "http://$ADMIN/metrics")
grep -q "^mbmsec_bmsc_rotation_acked_total{key_group=\"0001\",msk_id=\"00010003\"} $NUE$" <<<"$M" || fail "metrics: $M"
grep -q "^mbmsec_bmsc_rotation_pending{key_group=\"0001\",msk_id=\"00010003\"} 0$" <<<"$M" || fail "metrics pending"
# spread: the sends logged by the daemon are not all in one instant
grep -q 'msg=rotate event=start msk_id=00010003 ues=3 window_ms=3000' "$WORK/bmsc.err" || fail "rotate start log"
ok "msk rotate: MSK 3 pushed to $NUE UEs and verified before its change-over ($DONE < $V3), no HTTP request"

# ---- ue pull: one UE gets the solicited pull of the current MSK (2)
P=$("$BMSC" ue pull --key-group 0001 --btid "${BT[1]}" --admin "$ADMIN" --store "$BSTORE") || fail "ue pull"
[ "$P" = "pulled=1 errors=0" ] || fail "ue pull: $P"
"$BMSC" ue pull --key-group 0001 --btid "nobody@x" --admin "$ADMIN" --store "$BSTORE" 2>/dev/null && fail "pull of an unknown UE accepted"
P=$("$BMSC" ue pull --key-group 0001 --admin "$ADMIN" --store "$BSTORE") || fail "ue pull (group)"
[ "$P" = "pulled=$NUE errors=0" ] || fail "ue pull (group): $P"
ok "ue pull: one UE, then every UE of the group"

# ---- what the UEs hold: MSK 3 verified under each UE's MUK, the pulls seen
for i in $(seq $NUE); do
  wait "${REG_PID[$i]}" || fail "UE $i register: $(cat "$WORK/reg$i.err")"
  grep -q "^mikey_[0-9]*=msk 00f110:00010003 new" "$WORK/reg$i.out" || fail "UE $i has no MSK 3: $(cat "$WORK/reg$i.out")"
  grep -q "^mikey_[0-9]*=msk 00f110:00010002 pull" "$WORK/reg$i.out" || fail "UE $i saw no pull: $(cat "$WORK/reg$i.out")"
  grep -q "^mikey_refused=0$" "$WORK/reg$i.out" || fail "UE $i refused messages: $(cat "$WORK/reg$i.out")"
done
ok "every UE holds MSK 3 (verified with its MUK) and saw the solicited pull"
stop_pid "$BMSC_PID" || fail "mbmsec-bmsc did not stop cleanly"
echo "PASS"
