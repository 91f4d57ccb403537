#!/usr/bin/env bash
# bench/bsf.sh BUILD_DIR: the BSF on loopback, measured from outside with real clients.
#  - complete bootstraps per second (both Ub round trips, libcurl, USIM check, rspauth, XML) over
#    many IMPIs, with 1 and 4 client threads (mbmsec-ue bootstrap-bench);
#  - Zn look-ups per second (Diameter BIR/BIA over freeDiameter), 1 and 4 client threads
#    (the zn_peer test client's bench mode), for a B-TID from a real bootstrap.
# Prints `bench NAME N ops/s` lines. A benchmark, not a test: run by `make bench`.
set -euo pipefail
build=${1:-build}
BSF="$build/src/bsf/mbmsec-bsf"; UE="$build/src/ue/mbmsec-ue"; ZN_PEER="$build/lib/zn/zn_peer"
for b in "$BSF" "$UE" "$ZN_PEER"; do [ -x "$b" ] || { echo "bench/bsf.sh: $b not built" >&2; exit 1; }; done
N=${BSF_BENCH_SUBSCRIBERS:-200}
COUNT=${BSF_BENCH_COUNT:-2000}
K=465b5ce8b199b49faa5f0a2ee238a6bc; OPC=cd63cb71954a9f4e48a5994e37a02baf
FQDN=bsf.bench.test; NAF=bmsc.bench.test
T=$(mktemp -d); PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Subscribers straight into the store through the admin command (one process each: slow but
# simple; 200 take a few seconds).
for i in $(seq 0 $((N - 1))); do
  "$BSF" subscriber add --store "sqlite:$T/b.db" --impi "u$i" --k $K --opc $OPC --uss 4 >/dev/null
done
HP=$(free_port); ZP=$(free_port)
"$BSF" run --listen "127.0.0.1:$HP" --store "sqlite:$T/b.db" --fqdn $FQDN --log-level error \
  --zn-listen "127.0.0.1:$ZP" --zn-identity bsf.zn.test --zn-realm zn.test --zn-peer bmsc.zn.test \
  2>"$T/bsf.err" &
PID=$!
for _ in $(seq 100); do
  curl -s -o /dev/null -m 1 "http://127.0.0.1:$HP/" && break
  sleep 0.1
done

for t in 1 4; do
  "$UE" bootstrap-bench --bsf "http://127.0.0.1:$HP/" --realm $FQDN --impi-prefix u --impis "$N" \
    --count "$COUNT" --threads $t --k $K --opc $OPC | sed "s/^bench bsf_bootstrap /bench bsf_bootstrap_${t}thr /"
done

# One real bootstrap for a B-TID the BSF knows, then Zn look-ups of it.
"$UE" usim init --usim "$T/usim" --k $K --opc $OPC --sqn-ms 000000fff000 >/dev/null
"$BSF" subscriber add --store "sqlite:$T/b.db" --impi zn-user --k $K --opc $OPC --uss 4 --sqn 000000fff000 >/dev/null
btid=$("$UE" bootstrap --bsf "http://127.0.0.1:$HP/" --realm $FQDN --impi zn-user --usim "$T/usim" \
  --state "$T/state" | sed -n 's/^btid=//p')
[ -n "$btid" ] || { echo "bench/bsf.sh: bootstrap for Zn failed" >&2; exit 1; }
mkdir -p "$T/znc"
for t in 1 4; do
  "$ZN_PEER" client --identity bmsc.zn.test --realm zn.test --peer bsf.zn.test --peer-addr 127.0.0.1 \
    --peer-port "$ZP" --naf-fqdn $NAF --conf-dir "$T/znc" --bench $((t * 2000)) --threads $t "$btid" \
    2>>"$T/zn.err" | sed "s/^bench zn_bir /bench zn_bir_${t}thr /"
done
