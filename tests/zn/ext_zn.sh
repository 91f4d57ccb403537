#!/usr/bin/env bash
# Zn BIR/BIA between two freeDiameter nodes (two zn_peer processes, loopback, free ports):
# success with the table's IMPI, Ks_NAF (32 octets) and expiry; unknown and expired B-TID ->
# 5403; subscriber without GSID 4 asking with the MBMS NAF-Id -> 5402 (the same subscriber with
# a non-MBMS Ua protocol id -> 2001); IMPI unknown -> 5401; 8 threads x 25 rounds of BIRs all
# answered like the serial ones; a BSF that stops answering (SIGSTOP) -> timeout with 3002;
# BSF down -> 3002 within a bounded time.
set -euo pipefail
. "$(dirname "$0")/zn_lib.sh"

start_server
ok "BSF up on port $PORT"

# ---- serial answers ----
t0=$(date +%s%N)
client "$BTID_ALICE" "$BTID_BOB" "$BTID_CAROL" "$BTID_UNKNOWN" "$BTID_DAVE" >"$WORK/serial.out" \
  || fail "client exited with $?"
echo "serial: $(( ($(date +%s%N) - t0) / 1000000 )) ms (start, open, 5 BIRs, stop)"
line() { grep "^btid=$(hexs "$1") " "$WORK/serial.out" || fail "no answer for $1"; }

exp_alice="btid=$(hexs "$BTID_ALICE") rc=MBMSEC_OK result=2001 exp=0 impi=$(hexs "$IMPI_ALICE") ks_naf=$KS_ALICE expiry=$EXPIRY "
case "$(line "$BTID_ALICE")" in "$exp_alice"*) ok "success: IMPI, 32-octet Ks_NAF and expiry as in the table";;
  *) fail "alice: $(line "$BTID_ALICE") (want $exp_alice...)";; esac
[ ${#KS_ALICE} -eq 64 ] || fail "table Ks_NAF length"
line "$BTID_ALICE" | grep -q " uss=$(hexs '<ussList>')" || fail "no GBA-UserSecSettings"
ok "GBA-UserSecSettings carried"

want_fail() { # btid code what
  local l; l=$(line "$1")
  case "$l" in "btid=$(hexs "$1") rc=MBMSEC_OK result=$2 exp=1 impi= ks_naf= expiry=0 "*) ok "$3 -> $2";;
    *) fail "$3: $l";; esac
}
want_fail "$BTID_BOB" 5402 "no GSID 4, MBMS NAF-Id"
want_fail "$BTID_CAROL" 5403 "expired B-TID"
want_fail "$BTID_UNKNOWN" 5403 "unknown B-TID"
want_fail "$BTID_DAVE" 5401 "unknown IMPI"

# The 5402 comes from the MBMS rule: the same subscriber with Ua id 01 00 00 00 02 succeeds.
client --ua 0100000002 "$BTID_BOB" >"$WORK/bob.out" || fail "client (bob)"
grep -q "^btid=$(hexs "$BTID_BOB") rc=MBMSEC_OK result=2001 exp=0 impi=$(hexs "$IMPI_BOB") ks_naf=$KS_BOB expiry=$EXPIRY " \
  "$WORK/bob.out" || fail "bob with a non-MBMS NAF-Id: $(cat "$WORK/bob.out")"
ok "no GSID 4, non-MBMS NAF-Id -> 2001"

# ---- concurrent BIRs ----
T=8 R=25
t0=$(date +%s%N)
client --threads $T --repeat $R "$BTID_ALICE" "$BTID_BOB" "$BTID_CAROL" "$BTID_UNKNOWN" \
  >"$WORK/conc.out" || fail "concurrent client"
echo "concurrent: $(( ($(date +%s%N) - t0) / 1000000 )) ms ($((T * R * 4)) BIRs, $T threads)"
n=$(wc -l <"$WORK/conc.out")
[ "$n" -eq $((T * R * 4)) ] || fail "concurrent: $n answers, want $((T * R * 4))"
grep -v "^btid=$(hexs "$BTID_DAVE") " "$WORK/serial.out" | sort -u >"$WORK/serial.set"
sort -u "$WORK/conc.out" >"$WORK/conc.set"
cmp -s "$WORK/serial.set" "$WORK/conc.set" || { diff "$WORK/serial.set" "$WORK/conc.set" | head; fail "concurrent answers differ from the serial ones"; }
[ "$(grep -c 'result=2001' "$WORK/conc.out")" -eq $((T * R)) ] || fail "concurrent: success count"
ok "$((T * R * 4)) concurrent BIRs from $T threads all answered correctly"

# ---- BSF hangs (SIGSTOP): the BIR expires -> MBMSEC_ERR_ZN_TIMEOUT, result 3002 ----
# Lock-step, no guessed sleeps: the first BIR is answered, then the BSF is stopped, then the
# second BIR goes out and must time out; then the BSF resumes.
mkdir -p "$WORK/sync"
client --sync "$WORK/sync" --timeout 1000 "$BTID_ALICE" "$BTID_ALICE" >"$WORK/hang.out" &
CL=$!
TEST_PIDS+=("$CL")
for _ in $(seq 600); do [ -e "$WORK/sync/done.0" ] && break; sleep 0.05; done
[ -e "$WORK/sync/done.0" ] || fail "first BIR (BSF answering) never completed"
kill -STOP "$SRV"; touch "$WORK/sync/go.1"
# Resume the BSF once the second BIR has given up, so the client's shutdown (DPR) is answered.
for _ in $(seq 600); do [ -e "$WORK/sync/done.1" ] && break; sleep 0.05; done
kill -CONT "$SRV"
[ -e "$WORK/sync/done.1" ] || fail "second BIR (BSF stopped) never completed"
wait "$CL" || fail "client (BSF hanging) exited with $?"
[ "$(grep -c ' rc=MBMSEC_OK result=2001 ' "$WORK/hang.out")" -eq 1 ] && \
  [ "$(grep -c ' rc=MBMSEC_ERR_ZN_TIMEOUT result=3002 ' "$WORK/hang.out")" -eq 1 ] \
  || fail "BSF hanging: $(cat "$WORK/hang.out")"
ok "BSF not answering -> timeout (3002) after 1 s; the answer before it was 2001"

# ---- BSF down ----
stop_pid "$SRV" || fail "BSF did not stop cleanly"
answered=$(sed -n 's/^answered=//p' "$WORK/server.out")
[ "$answered" -eq $((5 + 1 + T * R * 4 + 2)) ] || fail "BSF answered $answered BIRs"
ok "BSF stopped cleanly after $answered answers"
t0=$(date +%s%N)
client --open-timeout 1000 --timeout 2000 "$BTID_ALICE" "$BTID_BOB" >"$WORK/down.out" || fail "client (BSF down)"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$(grep -c ' result=3002 ' "$WORK/down.out")" -eq 2 ] || fail "BSF down: $(cat "$WORK/down.out")"
[ "$ms" -lt 10000 ] || fail "BSF down took $ms ms"
ok "BSF down -> 3002 (unreachable) in $ms ms"
echo "PASS"
