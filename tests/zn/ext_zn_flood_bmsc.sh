#!/usr/bin/env bash
# The issue's scenario with the real daemons: mbmsec-bsf, mbmsec-bmsc and a UE (mbmsec-ue, from
# 127.0.0.6) as in tests/bmsc_e2e (bmsc_env.sh). While tests/zn/zn_flood.py opens idle TCP
# connections to the BSF's Zn port from 127.0.0.1 (the BM-SC's own address: no address filter
# helps), 50 a second, up to 400 held, the BM-SC is restarted (SIGTERM, start again) three
# times; after each restart the UE bootstraps afresh (a B-TID the BM-SC must ask the BSF about
# over Zn) and registers, retrying while the BM-SC answers 503. Each time the UE must be
# registered, with both MSKs received over MIKEY, within BOUND_MS (10 s) of the restart.
set -u
: "${BMSC:?BMSC must name mbmsec-bmsc}" "${BSF:?BSF must name mbmsec-bsf}" "${PY:=/usr/bin/python3}"
TEST_NAME=zn-flood-bmsc
. "$(dirname "$0")/../lib/common.sh"
need_built BSF UE BMSC
need_tools curl od timeout
. "$(dirname "$0")/../bmsc_e2e/bmsc_env.sh"
FLOOD="$(dirname "$0")/zn_flood.py"
BOUND_MS=${BOUND_MS:-10000}

bmsc_env_start
grep -q "Zn peer not connected yet" "$WORK/bmsc.err" && fail "Zn not open at the first start"

# register_within MS: fresh bootstrap, then register until 200 with both MSKs or MS ms passed
# since T0 (ns); prints the tries and the time.
register_within() {
  local out tries=0 ms
  bmsc_env_bootstrap "$WORK/usim" "$WORK/state" "$ALICE" "$K" "$OPC"
  while :; do
    tries=$((tries + 1))
    out=$(ue register --service-id urn:example:mbms:news --wait-ms 1500 2>"$WORK/ue.err")
    ms=$(( ($(date +%s%N) - T0) / 1000000 ))
    if grep -q "^mikey_2=msk .*0001000[12] " <<<"$out"; then
      echo "registered after $ms ms ($tries tries)"
      [ "$ms" -le "$1" ]
      return
    fi
    [ "$ms" -gt "$1" ] && { echo "not registered after $ms ms ($tries tries): $(tail -n 1 "$WORK/ue.err")"; return 1; }
    sleep 0.5
  done
}

T0=$(date +%s%N)
register_within "$BOUND_MS" >/dev/null || fail "UE did not register without a flood"
ok "UE registered, MSKs received (no flood)"

"$PY" "$FLOOD" 127.0.0.1 "$ZP" --rate 50 --hold 400 --seconds 45 --status "$WORK/flood" \
  >"$WORK/flood.out" 2>"$WORK/flood.err" &
FLOOD_PID=$!
TEST_PIDS+=("$FLOOD_PID")
sleep 3
TIMES=() FAILS=0
for k in 1 2 3; do
  stop_pid "$BMSC_PID" || true
  T0=$(date +%s%N)
  bmsc_env_restart
  r=$(register_within "$BOUND_MS") || FAILS=$((FAILS + 1))
  echo "restart $k ($(cat "$WORK/flood")): $r"
  TIMES+=("$(sed -n 's/.* after \([0-9]*\) ms.*/\1/p' <<<"$r")")
  sleep 5
done
wait "$FLOOD_PID"
echo "flood: $(cat "$WORK/flood.out")"
echo "restart to registered (ms): ${TIMES[*]}; over ${BOUND_MS} ms: $FAILS of 3"
echo "BM-SC 'Zn peer not connected yet' warnings: $(grep -c "Zn peer not connected yet" "$WORK/bmsc.err" "$WORK/bmsc-prev.err" | awk -F: '{ n += $2 } END { print n }')"
[ "$FAILS" = 0 ] || fail "$FAILS of 3 restarted BM-SCs did not serve the UE within ${BOUND_MS} ms"
ok "flood on Zn: after each of 3 BM-SC restarts the UE registered with a fresh B-TID and got its MSKs within ${BOUND_MS} ms"
echo "PASS"
