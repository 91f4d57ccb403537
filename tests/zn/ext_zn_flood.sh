#!/usr/bin/env bash
# Zn cannot be starved by idle connections (issue "Hard to knock over", item 4).
# mbmsec-bsf with Zn on a loopback port and a real bootstrap (mbmsec-ue against the BSF's Ub:
# B-TID and the UE's own Ks_NAF). Then tests/zn/zn_flood.py opens idle TCP connections to the
# Zn port, 50 a second, up to 400 held, and meanwhile a BM-SC is "restarted" again and again (a
# new zn_peer client process each time: a new Diameter connection, CER/CEA, one BIR). Each one
# must be answered 2001 with the UE's Ks_NAF within BOUND_MS (10 s) of its start.
#   phase 1: the flood comes from 127.0.0.1, the BM-SC's own address (no address filter can
#            tell them apart: the larger backlog and the deferred accept must do it);
#   phase 2: the BSF is told its peer's address (--zn-peer-addr 127.0.0.1) and the flood comes
#            from 127.0.0.2: its connections must not even complete the handshake;
#   phase 3 (FLOOD_LONG=1, 100 s more): 400 idle connections from 127.0.0.1 held for ever,
#            BM-SC restarts before and after the kernel's 60 s deferral ends and hands them to
#            freeDiameter at once (the reaper must clear them).
# All loopback, every wait bounded; FLOOD_SECONDS / BMSC_TRIES / BOUND_MS change the sizes.
set -u
: "${BSF:?BSF must name mbmsec-bsf}" "${ZN_PEER:?ZN_PEER must name zn_peer}" "${PY:=/usr/bin/python3}"
TEST_NAME=zn-flood
. "$(dirname "$0")/../lib/common.sh"
need_built BSF ZN_PEER UE
FLOOD="$(dirname "$0")/zn_flood.py"
BOUND_MS=${BOUND_MS:-10000}
BMSC_TRIES=${BMSC_TRIES:-6}
FLOOD_SECONDS=${FLOOD_SECONDS:-42}

FQDN=bsf.test.example.org
NAF=bmsc.test.example.org
STORE="sqlite:$WORK/bsf.db"
K=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')
OPC=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')
ALICE="alice@ims.mnc001.mcc001.3gppnetwork.org"
"$BSF" subscriber add --store "$STORE" --impi "$ALICE" --k "$K" --opc "$OPC" >/dev/null || fail "subscriber add"

# start_bsf [extra [zn] lines]: the daemon on free ports; sets HP ZP BSF_PID.
start_bsf() {
  local try i
  for try in 1 2 3 4 5; do
    HP=$(free_port) ZP=$(free_port)
    { printf '[bsf]\nlisten = 127.0.0.1:%s\nstore = %s\nfqdn = %s\nlifetime = 600\n' "$HP" "$STORE" "$FQDN"
      printf '[zn]\nzn-listen = 127.0.0.1:%s\nzn-identity = bsf.zn.test\nzn-realm = zn.test\nzn-peer = bmsc.zn.test\n' "$ZP"
      printf '%s\n' "$@"; } >"$WORK/bsf.ini"
    "$BSF" run --config "$WORK/bsf.ini" --log-level info >"$WORK/bsf.out" 2>"$WORK/bsf.err" &
    BSF_PID=$!
    TEST_PIDS+=("$BSF_PID")
    for i in $(seq 100); do
      grep -q "msg=ready" "$WORK/bsf.err" && return 0
      kill -0 "$BSF_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$BSF_PID" 2>/dev/null || true
  done
  fail "mbmsec-bsf did not start"
}

# bmsc_once LABEL: one BM-SC start (a new process, a new Zn connection) and one BIR for the
# UE's B-TID; prints the milliseconds from its start to the answer; 0 if 2001 with the UE's
# Ks_NAF within BOUND_MS.
bmsc_once() {
  local t0 ms out
  t0=$(date +%s%N)
  out=$(timeout 60 "$ZN_PEER" client --identity bmsc.zn.test --realm zn.test --peer bsf.zn.test \
    --peer-addr 127.0.0.1 --peer-port "$ZP" --naf-fqdn "$NAF" --open-timeout "$BOUND_MS" \
    --timeout 3000 "$BTID" 2>>"$WORK/client.err")
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "$1: ${ms} ms: $(sed 's/ impi=.*//' <<<"$out")"
  TIMES+=("$ms")
  [ "$ms" -le "$BOUND_MS" ] && grep -q " result=2001 .* ks_naf=$KS_NAF " <<<"$out"
}

# flood_phase NAME SRC: the flood from SRC, BMSC_TRIES BM-SC restarts during it; sets FAILS.
flood_phase() {
  local name=$1 src=$2 k st
  TIMES=() FAILS=0
  "$PY" "$FLOOD" 127.0.0.1 "$ZP" --src "$src" --rate 50 --hold 400 --seconds "$FLOOD_SECONDS" ${KEEP:+--keep} \
    --status "$WORK/flood.$name" >"$WORK/flood.$name.out" 2>"$WORK/flood.$name.err" &
  FLOOD_PID=$!
  TEST_PIDS+=("$FLOOD_PID")
  # First restart once the flood has filled freeDiameter's queues (3 s = 150 connections:
  # without the fix 10 are enough), the others spread over the rest of the flood.
  local gap=$(( (FLOOD_SECONDS - 3) / BMSC_TRIES )) t_start=$SECONDS
  sleep 3
  for k in $(seq "$BMSC_TRIES"); do
    bmsc_once "$name: BM-SC restart $k ($(cat "$WORK/flood.$name" 2>/dev/null))" || FAILS=$((FAILS + 1))
    while [ $((SECONDS - t_start)) -lt $((3 + k * gap)) ]; do sleep 0.2; done
  done
  wait "$FLOOD_PID"
  st=$(cat "$WORK/flood.$name.out")
  echo "$name: flood: $st"
  FLOOD_EST=$(sed -n 's/.* established=\([0-9]*\) .*/\1/p' <<<"$st")
  local sorted; sorted=$(printf '%s\n' "${TIMES[@]}" | sort -n | tr '\n' ' ')
  echo "$name: BM-SC start to answer (ms, sorted): $sorted; over ${BOUND_MS} ms or wrong: $FAILS of $BMSC_TRIES"
}

# ---- the BSF and one real bootstrap
start_bsf
"$UE" usim init --usim "$WORK/usim" --k "$K" --opc "$OPC" >/dev/null || fail "usim init"
boot=$(timeout 30 "$UE" bootstrap --bsf "http://127.0.0.1:$HP/" --realm "$FQDN" --impi "$ALICE" \
  --usim "$WORK/usim" --state "$WORK/state" --naf-fqdn "$NAF" --show-keys 2>"$WORK/ue.err") || fail "bootstrap"
BTID=$(field "$boot" btid) KS_NAF=$(field "$boot" ks_naf)
[ -n "$BTID" ] && [ ${#KS_NAF} = 64 ] || fail "bootstrap output: $boot"
ok "UE bootstrapped: B-TID $BTID"
bmsc_once "no flood" || fail "BM-SC without a flood"
ok "BM-SC reaches the BSF without a flood"

# ---- phase 1: the flood from the peer's own address
flood_phase same-addr 127.0.0.1
[ "$FAILS" = 0 ] || fail "flood from 127.0.0.1: $FAILS of $BMSC_TRIES BM-SC restarts not answered within ${BOUND_MS} ms"
kill -0 "$BSF_PID" 2>/dev/null || fail "the BSF died"
ok "flood from the peer's address ($FLOOD_EST connections established): every restarted BM-SC got the UE's Ks_NAF within ${BOUND_MS} ms"
bmsc_once "after the flood" || fail "BM-SC after the flood"
stop_pid "$BSF_PID" || fail "BSF did not stop cleanly"

# ---- phase 2: the peer's address configured, the flood from another address
start_bsf "zn-peer-addr = 127.0.0.1"
grep -q "zn_peer_addr=127.0.0.1" "$WORK/bsf.err" || fail "zn-peer-addr not applied"
flood_phase other-addr 127.0.0.2
[ "$FAILS" = 0 ] || fail "flood from 127.0.0.2: $FAILS of $BMSC_TRIES BM-SC restarts not answered within ${BOUND_MS} ms"
[ "${FLOOD_EST:-1}" = 0 ] || fail "flood from 127.0.0.2: $FLOOD_EST connections completed the handshake"
ok "flood from a non-peer address: no connection established; every restarted BM-SC got the UE's Ks_NAF within ${BOUND_MS} ms"
stop_pid "$BSF_PID" || fail "BSF did not stop cleanly"

# ---- phase 3 (optional): idle connections held for ever, past the deferral
if [ "${FLOOD_LONG:-0}" = 1 ]; then
  start_bsf
  KEEP=1 FLOOD_SECONDS=100 BMSC_TRIES=12 flood_phase held 127.0.0.1
  [ "$FAILS" = 0 ] || fail "held flood: $FAILS of 12 BM-SC restarts not answered within ${BOUND_MS} ms"
  ok "400 idle connections held for 100 s: every restarted BM-SC got the UE's Ks_NAF within ${BOUND_MS} ms"
  stop_pid "$BSF_PID" || fail "BSF did not stop cleanly"
fi
echo "PASS"
