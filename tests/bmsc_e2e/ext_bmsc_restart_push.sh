#!/usr/bin/env bash
# MUKs after a BM-SC restart, end to end on loopback: a real mbmsec-bsf and mbmsec-bmsc; the
# UE is `mbmsec-ue register --mikey-listen`, which registers once and then only listens
# (verifies every MIKEY message under its MUK, answers V=1). The BM-SC keeps MUKs in memory
# only; after a restart it must find the registered UE again without any HTTP request from
# it: the store's registration gives the address, Zn gives Ks_NAF and so the MUK.
#  1. SIGTERM, restart: `msk rotate` pushes the Key Group's next MSK (2, which the UE got at
#     its register: it takes it as an O4 duplicate) and the UE verifies it under its MUK and
#     acks it, with no HTTP request at all; a second registration whose B-TID the BSF does not
#     know (written into the store here) is skipped and logged, counted as a send error.
#  2. SIGKILL, restart: `ue pull` (one B-TID, then the whole group) reaches the UE.
set -u
: "${BMSC:?BMSC must name mbmsec-bmsc}" "${PY:=/usr/bin/python3}"

TEST_NAME=bmsc-restart-push
. "$(dirname "$0")/../lib/common.sh"
need_built BSF UE
need_tools curl od timeout sqlite3

. "$(dirname "$0")/bmsc_env.sh"
bmsc_env_start
SVC=urn:example:mbms:news
ok "mbmsec-bsf and mbmsec-bmsc"
http_total() { curl -s -m 5 "http://127.0.0.1:$AP/metrics" | awk '$1 ~ /^mbmsec_bmsc_http_requests_total/ { s += $2 } END { print s + 0 }'; }
wait_metric() { # wait_metric NAME VALUE: at most 10 s
  local i
  for i in $(seq 100); do [ "$(metric "$1")" = "$2" ] && return 0; sleep 0.1; done
  return 1
}

# ---- the UE registers once, then listens for the rest of the test
WAIT_MS=30000
timeout 60 "$UE" register --bmsc "http://127.0.0.1:$HP/" --naf-fqdn "$NAF" --state "$WORK/state" \
  --bind "$UE_IP" --mikey-listen "$UE_IP:$UE_PORT" --mikey-state "$WORK/mikey.state" \
  --service-id "$SVC" --wait-ms "$WAIT_MS" >"$WORK/reg.out" 2>"$WORK/reg.err" &
REG_PID=$!
TEST_PIDS+=("$REG_PID")
wait_metric mbmsec_bmsc_mikey_acked_total 2 || fail "register: MSK 1 and 2 not acked: $(metric mbmsec_bmsc_mikey_acked_total)"
ok "registered (B-TID $BTID), MSK 1 and 2 pushed and verified; the UE keeps listening"

# ---- 1. SIGTERM and restart; a registration of a B-TID the BSF never issued
stop_pid "$BMSC_PID" || fail "SIGTERM: not a clean exit"
GHOST=ghost-btid@bsf.test.example.org
sqlite3 "$WORK/bmsc.db" "INSERT INTO registration (impi, service_id, btid, ue_addr, created)
  VALUES ('ghost@ims.mnc001.mcc001.3gppnetwork.org', '$SVC', '$GHOST', '127.0.0.9:$UE_PORT', strftime('%s','now'))" ||
  fail "ghost registration"
bmsc_env_restart
[ -z "$(uelist)" ] || fail "the restarted engine already knows UEs: $(uelist)"
R=$("$BMSC" msk rotate --key-group 0001 --window-ms 1000 --jitter-ms 100 --admin "127.0.0.1:$AP" --store "$BSTORE") || fail "msk rotate"
grep -q "key_group=0001 msk_id=00010002" <<<"$R" || fail "msk rotate: $R"
for i in $(seq 100); do
  L=$("$BMSC" msk list --admin "127.0.0.1:$AP")
  grep -q "msk_id=00010002 .* pending=0" <<<"$L" && grep -q "msk_id=00010002 .*waiting=0" <<<"$L" && break
  sleep 0.1
done
grep -q "msk_id=00010002 key_number=2 role=next .*planned=2 waiting=0 .*acked=1 failed=0 send_errors=1 pending=0" <<<"$L" ||
  fail "rotation after the restart: $L"
[ "$(http_total)" = 0 ] || fail "HTTP requests to the restarted BM-SC: $(http_total)"
logged() { # logged EVENT BTID: a mikey log line of that event for that B-TID (quoted if it has '=')
  grep "msg=mikey event=$1 " "$WORK/bmsc.err" | grep -q -F -e "btid=$2 " -e "btid=\"$2\" "
}
logged restored "$BTID" || fail "no restore logged for $BTID"
logged restore_skipped "$GHOST" && grep "event=restore_skipped" "$WORK/bmsc.err" | grep -q "reason=btid-unknown" ||
  fail "the unknown B-TID was not skipped and logged"
uelist | grep -q -F "delivery btid=$BTID msk_id=00010002 state=delivered" || fail "ue list: $(uelist)"
ok "SIGTERM, restart: msk rotate (MSK 2) reached the UE (MUK again from Zn), no HTTP request; the B-TID the BSF does not know skipped and logged"

# ---- 2. SIGKILL and restart: solicited pulls
kill -KILL "$BMSC_PID"
wait "$BMSC_PID" 2>/dev/null
bmsc_env_restart
P=$("$BMSC" ue pull --key-group 0001 --btid "$BTID" --admin "127.0.0.1:$AP" --store "$BSTORE") || fail "ue pull --btid after SIGKILL"
[ "$P" = "pulled=1 errors=0" ] || fail "ue pull --btid: $P"
P=$("$BMSC" ue pull --key-group 0001 --admin "127.0.0.1:$AP" --store "$BSTORE") || fail "ue pull (group)"
[ "$P" = "pulled=1 errors=1" ] || fail "ue pull (group; the ghost is an error): $P"
"$BMSC" ue pull --key-group 0001 --btid "$GHOST" --admin "127.0.0.1:$AP" --store "$BSTORE" 2>"$WORK/pull.out" &&
  fail "pull of the B-TID the BSF does not know accepted"
grep -q MBMSEC_ERR_BMSC_UNKNOWN_UE "$WORK/pull.out" || fail "ghost pull: $(cat "$WORK/pull.out")"
[ "$(http_total)" = 0 ] || fail "HTTP requests to the restarted BM-SC: $(http_total)"
ok "SIGKILL, restart: ue pull reached the UE (one B-TID, then the group); the ghost refused"

# ---- what the UE saw: MSK 1 and 2 new (register), MSK 2 again (rotate), the two pulls of
# MSK 1, nothing refused (counters above those before)
wait "$REG_PID" || fail "UE register: $(cat "$WORK/reg.err")"
grep -q "^mikey_3=msk 00f110:00010002 duplicate" "$WORK/reg.out" || fail "the UE did not get the rotation push: $(cat "$WORK/reg.out")"
[ "$(grep -c "^mikey_[0-9]*=msk 00f110:00010001 pull" "$WORK/reg.out")" = 2 ] ||
  fail "the UE did not see both pulls: $(cat "$WORK/reg.out")"
grep -q "^mikey_refused=0$" "$WORK/reg.out" || fail "the UE refused messages: $(cat "$WORK/reg.out")"
stop_pid "$BMSC_PID" || fail "SIGTERM: not a clean exit"
ok "the UE verified every message under its MUK and accepted every counter"
echo PASS
