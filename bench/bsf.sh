#!/usr/bin/env bash
# bench/bsf.sh BUILD_DIR: the BSF on loopback, measured from outside with real clients.
#  - complete bootstraps per second (both Ub round trips, libcurl, USIM check, rspauth, XML) over
#    many IMPIs, with 1 and 4 client threads (mbmsec-ue bootstrap-bench);
#  - Zn look-ups per second (Diameter BIR/BIA over freeDiameter), 1 and 4 client threads
#    (the zn_peer test client's bench mode), for a B-TID from a real bootstrap.
# Prints `bench NAME N ops/s` lines (NAME: bsf_bootstrap_1thr, bsf_bootstrap_4thr, zn_bir_1thr,
# zn_bir_4thr). A benchmark, not a test: run by `make bench` (scripts/bench).
# Environment: BSF_BENCH_SUBSCRIBERS (200), BSF_BENCH_COUNT (2000 bootstraps per run),
# BSF_BENCH_ZN (2000 BIRs per thread). The daemon and everything else started here is killed on
# exit; every wait is bounded (timeout(1) or a counted loop).
set -euo pipefail
build=${1:-build}
BSF="$build/src/bsf/mbmsec-bsf"; UE="$build/src/ue/mbmsec-ue"; ZN_PEER="$build/lib/zn/zn_peer"
for b in "$BSF" "$UE" "$ZN_PEER"; do [ -x "$b" ] || { echo "bench/bsf.sh: $b not built" >&2; exit 1; }; done
for t in curl python3 timeout; do
  command -v $t >/dev/null || { echo "bench/bsf.sh: $t not installed" >&2; exit 1; }
done
N=${BSF_BENCH_SUBSCRIBERS:-200}
COUNT=${BSF_BENCH_COUNT:-2000}
ZN_EACH=${BSF_BENCH_ZN:-2000}
K=465b5ce8b199b49faa5f0a2ee238a6bc; OPC=cd63cb71954a9f4e48a5994e37a02baf
FQDN=bsf.bench.test; NAF=bmsc.bench.test
T=$(mktemp -d "${TMPDIR:-/tmp}/mbmsec-bench-bsf.XXXXXX"); PID=""
cleanup() {
  if [ -n "$PID" ]; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "bench/bsf.sh: $*" >&2; [ -f "$T/bsf.err" ] && tail -n 20 "$T/bsf.err" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Runs "$@" and keeps its `bench X N ops/s` line, renamed to `bench $1 N ops/s`.
bench_line() {
  local name=$1 out; shift
  out=$("$@") || die "$name: exit status $?"
  out=$(grep -m1 -E '^bench [A-Za-z0-9_]+ [0-9.]+ ops/s$' <<<"$out") || die "$name: no bench line"
  awk -v n="$name" '{ print "bench " n " " $3 " ops/s" }' <<<"$out"
}

# Subscribers straight into the store through the admin command (one process each).
for i in $(seq 0 $((N - 1))); do
  timeout 30 "$BSF" subscriber add --store "sqlite:$T/b.db" --impi "u$i" --k $K --opc $OPC --uss 4 \
    >/dev/null || die "subscriber add u$i"
done
timeout 30 "$BSF" subscriber add --store "sqlite:$T/b.db" --impi zn-user --k $K --opc $OPC --uss 4 \
  >/dev/null || die "subscriber add zn-user"

HP=$(free_port); ZP=$(free_port)
"$BSF" run --listen "127.0.0.1:$HP" --store "sqlite:$T/b.db" --fqdn $FQDN --log-level warn \
  --zn-listen "127.0.0.1:$ZP" --zn-identity bsf.zn.test --zn-realm zn.test --zn-peer bmsc.zn.test \
  >/dev/null 2>"$T/bsf.err" &
PID=$!
ready=0
for _ in $(seq 100); do
  kill -0 "$PID" 2>/dev/null || die "mbmsec-bsf exited"
  if curl -s -o /dev/null -m 1 "http://127.0.0.1:$HP/" &&
     python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$ZP" 2>/dev/null; then
    ready=1; break
  fi
  sleep 0.1
done
[ $ready = 1 ] || die "mbmsec-bsf not ready within 10 s"

for t in 1 4; do
  bench_line "bsf_bootstrap_${t}thr" timeout 600 "$UE" bootstrap-bench --bsf "http://127.0.0.1:$HP/" \
    --realm $FQDN --impi-prefix u --impis "$N" --count "$COUNT" --threads $t --k $K --opc $OPC
done

# One real bootstrap for a B-TID the BSF knows, then Zn look-ups of it.
timeout 30 "$UE" usim init --usim "$T/usim" --k $K --opc $OPC >/dev/null || die "usim init"
btid=$(timeout 30 "$UE" bootstrap --bsf "http://127.0.0.1:$HP/" --realm $FQDN --impi zn-user \
  --usim "$T/usim" --state "$T/state" | sed -n 's/^btid=//p') || die "bootstrap for Zn"
[ -n "$btid" ] || die "bootstrap for Zn gave no B-TID"
mkdir -p "$T/znc"
for t in 1 4; do
  bench_line "zn_bir_${t}thr" timeout 600 "$ZN_PEER" client --identity bmsc.zn.test --realm zn.test \
    --peer bsf.zn.test --peer-addr 127.0.0.1 --peer-port "$ZP" --naf-fqdn $NAF --conf-dir "$T/znc" \
    --open-timeout 10000 --timeout 10000 --bench $((t * ZN_EACH)) --threads $t "$btid" 2>>"$T/zn.err"
done
