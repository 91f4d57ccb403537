#!/usr/bin/env bash
# bench/load.sh BUILD_DIR: authenticated requests per second, side by side in one run on this
# machine (docs/BENCHMARKS.md "Against Apache and nginx"):
#  - mbmsec-bmsc: MSK requests with full Digest auth-int (SHA-256), from mbmsec-load with many
#    UEs, each on its own loopback address and kept-alive connection. Two request kinds:
#      bmsc_msk_204: the keyId of the newest MSK the UE holds -> item 204 (P15), nothing pushed;
#      bmsc_msk_push: key number 0 -> item 200 and the current and next MSK pushed over MIKEY,
#                     verified and acknowledged by the generator (2 MIKEY round trips each);
#  - apache_digest: the same generator (--mode digest-get) against a private Apache httpd
#    (event MPM, mod_auth_digest, qop=auth, keep-alive unlimited) serving a 3-octet static file;
#  - nginx_plain: nginx answering `return 200` under wrk, the ceiling of an HTTP server here.
# All servers run at once; the 204, Apache and nginx measurements take turns round by round, the
# push run comes last. Prints `bench NAME N req/s` lines per round, the settings, and the medians
# with the ratios against the targets. A benchmark, not a test (make bench).
# Environment: LOAD_BENCH_UES (256), LOAD_BENCH_SECONDS (10), LOAD_BENCH_THREADS (2: one per core),
# LOAD_BENCH_INFLIGHT (64: requests in flight, the generator's lanes), LOAD_BENCH_ROUNDS (3: the
# 204, Apache and nginx measurements take turns this many times; medians at the end).
# nginx and wrk are bench-only dependencies (scripts/install-deps --bench installs them).
set -euo pipefail
build=${1:-build}
LOAD="$build/src/load/mbmsec-load"; BSF="$build/src/bsf/mbmsec-bsf"; BMSC="$build/src/bmsc/mbmsec-bmsc"
for b in "$LOAD" "$BSF" "$BMSC"; do [ -x "$b" ] || { echo "bench/load.sh: $b not built" >&2; exit 1; }; done
APACHE=${APACHE:-/usr/sbin/apache2}; MODS=${APACHE_MODULES:-/usr/lib/apache2/modules}
NGINX=${NGINX:-/usr/sbin/nginx}
for t in curl python3 timeout md5sum "$APACHE" "$NGINX" wrk; do
  command -v "$t" >/dev/null || { echo "bench/load.sh: $t not installed (scripts/install-deps --bench)" >&2; exit 1; }
done
N=${LOAD_BENCH_UES:-256}; S=${LOAD_BENCH_SECONDS:-10}; TH=${LOAD_BENCH_THREADS:-2}; IF=${LOAD_BENCH_INFLIGHT:-64}
ROUNDS=${LOAD_BENCH_ROUNDS:-3}
K=465b5ce8b199b49faa5f0a2ee238a6bc; OPC=cd63cb71954a9f4e48a5994e37a02baf
BSF_FQDN=bsf.bench.test; NAF=bmsc.bench.test; SVC=urn:example:mbms:bench
T=$(mktemp -d "${TMPDIR:-/tmp}/mbmsec-bench-load.XXXXXX"); PIDS=()
cleanup() {
  local p
  STAGE_URL=""
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "bench/load.sh: $*" >&2; for f in "$T"/*.err "$T"/error.log; do [ -s "$f" ] && tail -n 15 "$f" >&2; done; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# CPU seconds (user + system) used so far by pid $1 and its children processes (Apache's workers).
cpu_s() {
  local p t=0 hz; hz=$(getconf CLK_TCK)
  for p in "$1" $(pgrep -P "$1" || true); do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
  done
  awk -v t="$t" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }'
}
# CPU microseconds per request of the server: (cpu after - before) / requests
per_req() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.0f", (b - a) * 1e6 / n }'; }
wait_http() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
# "req/s p50 p99 requests generator-CPU-us-per-request" of a report's repeat phase
jget() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); p={x["phase"]:x for x in r["phases"]}["repeat"]; assert not r["errors"], r["errors"]; print("%.0f %d %d %d %.0f" % (p["per_second"], p["latency_us"]["p50"], p["latency_us"]["p99"], p["ok"], p["cpu_seconds"] * 1e6 / p["ok"]))' "$1"; }
# measure OUT SERVER_PID mbmsec-load-args...: runs the generator (report in $T/OUT.json) and sets
# SCPU to the server's CPU microseconds per request over the repeat phase only: from the first
# progress line of the repeat phase (1 s in) to its last line (its end), requests counted from
# the same two lines' ok= values.
# The BM-SC's stage timers (mbmsec_bmsc_stage_seconds_total) as "stage=seconds ..." when
# STAGE_URL names its /metrics, else nothing.
stage_snap() {
  [ -n "${STAGE_URL:-}" ] || return 0
  { curl -s "$STAGE_URL" || true; } | sed -n 's/^mbmsec_bmsc_stage_seconds_total{stage="\([a-z]*\)"} \(.*\)$/\1=\2/p' | tr '\n' ' '
}
# SPLIT: microseconds per request of each stage between two snapshots, and the rest of the
# server CPU (HTTP parsing and I/O in libmicrohttpd, logging, allocation, kernel).
split_of() { # split_of SNAP0 SNAP1 REQUESTS CPU_US_PER_REQUEST
  python3 - "$@" <<'PY'
import sys
a = dict(x.split("=") for x in sys.argv[1].split())
b = dict(x.split("=") for x in sys.argv[2].split())
n, cpu = int(sys.argv[3]), float(sys.argv[4])
us = {k: (float(b[k]) - float(a.get(k, 0))) * 1e6 / n for k in b}
rest = cpu - sum(us.values())
print(" ".join("%s %.1f us" % (k, v) for k, v in us.items()) + "; HTTP and the rest %.1f us (of %.0f us CPU)" % (rest, cpu))
PY
}
measure() {
  local out=$1 spid=$2 c0 c1 ok0 ok1 line gpid s0 s1; shift 2
  : >"$T/$out.err"
  timeout $((S + 180)) "$LOAD" "$@" --duration "$S" --json >"$T/$out.json" 2>"$T/$out.err" &
  gpid=$!
  for _ in $(seq 3000); do grep -q "phase=repeat" "$T/$out.err" && break; kill -0 $gpid 2>/dev/null || break; sleep 0.05; done
  c0=$(cpu_s "$spid")
  s0=$(stage_snap)
  ok0=$(grep -m1 "phase=repeat" "$T/$out.err" | sed 's/.* ok=\([0-9]*\).*/\1/')
  wait $gpid || die "mbmsec-load ($out): $(cat "$T/$out.json")"
  c1=$(cpu_s "$spid")
  s1=$(stage_snap)
  ok1=$(grep "phase=repeat" "$T/$out.err" | tail -1 | sed 's/.* ok=\([0-9]*\).*/\1/')
  [ -n "$ok0" ] && [ "$ok1" -gt "$ok0" ] || die "$out: no repeat progress"
  SCPU=$(per_req "$c0" "$c1" $((ok1 - ok0)))
  SPLIT=""
  [ -n "$s1" ] && SPLIT=$(split_of "$s0" "$s1" $((ok1 - ok0)) "$SCPU")
  return 0
}

echo "# $(date -u +%F) $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# $N UEs / connections, $TH generator threads, $IF requests in flight, $S s per run; everything on this machine"

# ---- the BSF and BM-SC with N subscribers
awk -v n="$N" -v k=$K -v o=$OPC 'BEGIN { for (i = 0; i < n; i++) printf "u%d,%s,%s\n", i, k, o }' >"$T/subs.csv"
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "u%d\n", i }' >"$T/impis.txt"
"$BSF" subscriber import --store "sqlite:$T/bsf.db" --file "$T/subs.csv" >/dev/null || die "import"
"$BMSC" service add --store "sqlite:$T/bmsc.db" --service-id $SVC --key-group 0001 >/dev/null || die "service add"
"$BMSC" subscriber grant --store "sqlite:$T/bmsc.db" --file "$T/impis.txt" --service-id $SVC >/dev/null || die "grant"
BP=$(free_port) ZP=$(free_port) HP=$(free_port) AP=$(free_port) UP=$(free_port)
"$BSF" run --listen 127.0.0.1:$BP --zn-listen 127.0.0.1:$ZP --store "sqlite:$T/bsf.db" --fqdn $BSF_FQDN \
  --zn-peer bmsc.zn.test --log-level warn >/dev/null 2>"$T/bsf.err" &
PIDS+=($!)
sleep 0.5
env ${LOAD_BENCH_BMSC_ENV:-} "$BMSC" run --listen 127.0.0.1:$HP --admin-listen 127.0.0.1:$AP --fqdn $NAF --store "sqlite:$T/bmsc.db" \
  --ue-mikey-port $UP --zn-peer-port $ZP --log-level warn >/dev/null 2>"$T/bmsc.err" &
BMSC_PID=$!
PIDS+=($!)
wait_http "http://127.0.0.1:$AP/metrics" || die "BM-SC did not start"
# keyId of the next MSK (the newest a registered UE holds): Key Domain 00f110, Key Group 0001
NEXT=$("$BMSC" service list --store "sqlite:$T/bmsc.db" | sed -n 's/.* next=\([0-9]*\).*/\1/p')
# 204 (P15): a key number above every stored one, "not generated yet"; nothing is pushed
KEYID_NEXT=$(python3 -c 'import base64,sys; n=int(sys.argv[1]) + 1; print(base64.b64encode(bytes([0,0xf1,0x10,0,1,n>>8,n&255])).decode())' "$NEXT")
common=(--bsf "http://127.0.0.1:$BP/" --bsf-realm $BSF_FQDN --bmsc "http://127.0.0.1:$HP" --naf-fqdn $NAF
        --impi-prefix u --k $K --opc $OPC --service-id $SVC --ues "$N" --threads "$TH" --max-conns "$N"
        --inflight "$IF" --mikey-port "$UP" --expect-msks 2)
# Everything runs at once (an idle server costs nothing) and the three measurements take turns,
# LOAD_BENCH_ROUNDS times: a round compares servers that met the same machine, and the medians
# over the rounds are what docs/BENCHMARKS.md records (this VM's speed drifts by +-20 %).
# ---- Apache httpd, mod_auth_digest qop=auth, a static file
mkdir -p "$T/htdocs" "$T/run"
printf 'ok\n' >"$T/htdocs/key.txt"
REALM=bench; USER=bench; PASS=benchpass
printf '%s:%s:%s\n' $USER $REALM "$(printf '%s:%s:%s' $USER $REALM $PASS | md5sum | cut -d' ' -f1)" >"$T/htdigest"
APORT=$(free_port)
run_user=""; [ "$(id -u)" = 0 ] && run_user=$'User nobody\nGroup nogroup'
cat >"$T/httpd.conf" <<CONF
ServerRoot "$T"
ServerName 127.0.0.1
Listen 127.0.0.1:$APORT
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authn_core_module $MODS/mod_authn_core.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule authz_user_module $MODS/mod_authz_user.so
LoadModule authn_file_module $MODS/mod_authn_file.so
LoadModule auth_digest_module $MODS/mod_auth_digest.so
$run_user
PidFile "$T/run/httpd.pid"
ErrorLog "$T/error.log"
LogLevel warn
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
ServerLimit 4
StartServers 2
ThreadsPerChild 128
MaxRequestWorkers 512
DocumentRoot "$T/htdocs"
<Directory "$T/htdocs">
  AuthType Digest
  AuthName "$REALM"
  AuthDigestProvider file
  AuthUserFile "$T/htdigest"
  AuthDigestQop auth
  Require valid-user
</Directory>
CONF
chmod -R a+rX "$T"
APACHE_RUN_DIR="$T/run" APACHE_LOCK_DIR="$T/run" APACHE_PID_FILE="$T/run/httpd.pid" APACHE_LOG_DIR="$T" \
  "$APACHE" -f "$T/httpd.conf" -DFOREGROUND 2>"$T/apache.err" &
PIDS+=($!)
wait_http "http://127.0.0.1:$APORT/key.txt" || die "apache did not start"
APID=${PIDS[-1]}
# ---- nginx: plain 200 under wrk
NPORT=$(free_port)
mkdir -p "$T/nginx"
cat >"$T/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $T/nginx/nginx.pid;
error_log $T/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $T/nginx; proxy_temp_path $T/nginx; fastcgi_temp_path $T/nginx;
  uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$NPORT; location / { return 200 "ok\n"; } }
}
CONF
"$NGINX" -c "$T/nginx.conf" -p "$T/nginx" 2>>"$T/nginx.err" &
PIDS+=($!)
wait_http "http://127.0.0.1:$NPORT/" || die "nginx did not start"

# Server CPU per request: from /proc over the repeat phase (see measure).
STAGE_URL="http://127.0.0.1:$AP/metrics"
# One short unmeasured run against each server first: Apache's event MPM starts 2 of its 4
# child processes and forks the others under the first load (its first measurement in a
# cold start cost ~94 us per GET against ~70 us after), the BM-SC fills its caches.
S_MEASURED=$S
S=3
STAGE_URL=""
measure warm_bmsc "$BMSC_PID" "${common[@]}" --key-id "$KEYID_NEXT"
measure warm_apache "$APID" --mode digest-get --url "http://127.0.0.1:$APORT/key.txt" --user $USER \
  --password $PASS --ues "$N" --threads "$TH" --max-conns "$N" --inflight "$IF"
wrk -t 2 -c "$N" -d "${S}s" "http://127.0.0.1:$NPORT/" >/dev/null || die "wrk"
S=$S_MEASURED
R204=() RAP=() RNG=() RATIO_A=() RATIO_N=()
for round in $(seq "$ROUNDS"); do
  echo "# round $round of $ROUNDS"
  STAGE_URL="http://127.0.0.1:$AP/metrics"
  measure "r204_$round" "$BMSC_PID" "${common[@]}" --key-id "$KEYID_NEXT"
  read -r rps p50 p99 n gcpu <<<"$(jget "$T/r204_$round.json")"
  echo "bench bmsc_msk_204 $rps req/s  (p50 ${p50} us, p99 ${p99} us, $n requests; CPU per request: BM-SC $SCPU us, generator $gcpu us)"
  echo "bench bmsc_msk_204_split $SPLIT"
  b=$rps
  STAGE_URL=""
  measure "rapache_$round" "$APID" --mode digest-get --url "http://127.0.0.1:$APORT/key.txt" --user $USER \
    --password $PASS --ues "$N" --threads "$TH" --max-conns "$N" --inflight "$IF"
  read -r rps p50 p99 n gcpu <<<"$(jget "$T/rapache_$round.json")"
  echo "bench apache_digest $rps req/s  (p50 ${p50} us, p99 ${p99} us, $n requests; CPU per request: Apache $SCPU us, generator $gcpu us)"
  a=$rps
  W=$(wrk -t 2 -c "$N" -d "${S}s" --latency "http://127.0.0.1:$NPORT/") || die "wrk"
  g=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$W")
  echo "bench nginx_plain $g req/s  (wrk -t 2 -c $N -d ${S}s)"
  R204+=("$b") RAP+=("$a") RNG+=("$g")
  RATIO_A+=("$(python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$b" "$a")")
  RATIO_N+=("$(python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$b" "$g")")
  echo "# round $round: bmsc_msk_204 / apache_digest = ${RATIO_A[-1]}x, / nginx_plain = ${RATIO_N[-1]}x"
done

# MSK requests that push (item 200, current and next MSK over MIKEY, verified and acknowledged)
STAGE_URL="http://127.0.0.1:$AP/metrics"
measure rpush "$BMSC_PID" "${common[@]}" --addr-net 2 --key-id APEQAAEAAA==
read -r rps p50 p99 n gcpu <<<"$(jget "$T/rpush.json")"
acks=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["mikey"]["acks_per_second"]))' "$T/rpush.json")
echo "bench bmsc_msk_push_split $SPLIT"
echo "bench bmsc_msk_push $rps req/s  (p50 ${p50} us, p99 ${p99} us, $n requests; MIKEY acks ${acks}/s; CPU per request: BM-SC $SCPU us, generator $gcpu us)"
STAGE_URL=""

med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%s", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "# medians over $ROUNDS rounds: bmsc_msk_204 $(med "${R204[@]}") req/s, apache_digest $(med "${RAP[@]}") req/s, nginx_plain $(med "${RNG[@]}") req/s"
echo "# bmsc_msk_204 / apache_digest = $(med "${RATIO_A[@]}")x (median of the rounds' ratios ${RATIO_A[*]}; target >= 3), / nginx_plain = $(med "${RATIO_N[@]}")x (${RATIO_N[*]}; target >= 0.3)"
