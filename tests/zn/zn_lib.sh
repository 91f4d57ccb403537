# Shared helpers of tests/zn/ext_zn*.sh (sourced, not run): work directory, process cleanup,
# free ports, the BSF test table and the server start.
: "${ZN_PEER:?ZN_PEER must name the zn_peer test program}" "${PY:=/usr/bin/python3}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mbmsec-zn-test.XXXXXX")
ZN_PIDS=()

zn_cleanup() {
  local p i
  for p in "${ZN_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${ZN_PIDS[@]}"; do
    for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  if [ "${ZN_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap zn_cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; for f in "$WORK"/*.err; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }; done; exit 1; }
ok() { echo "ok: $*"; }

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
hexs() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }

# Wait (at most $3 tenths of a second) until file $1 contains $2; 1 if pid $4 died first.
wait_for() {
  local i
  for i in $(seq "$3"); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

# Stop pid $1 with SIGTERM, at most 10 s; 0 if it exited with status 0.
stop_pid() {
  local i
  kill -TERM "$1" 2>/dev/null || return 1
  for i in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && { kill -KILL "$1"; return 1; }
  wait "$1"
}

# The BSF table: a random Ks_NAF per entry and B-TIDs of the form base64(RAND)@bsf.
NOW=$(date +%s)
EXPIRY=$((NOW + 3600))
rand_hex() { od -An -tx1 -N"$1" -v /dev/urandom | tr -d ' \n'; }
rand_b64() { head -c 16 /dev/urandom | base64 | tr -d '\n'; }
BTID_ALICE="$(rand_b64)@bsf.zn.test"; KS_ALICE=$(rand_hex 32); IMPI_ALICE="alice@ims.mnc001.mcc001.3gppnetwork.org"
BTID_BOB="$(rand_b64)@bsf.zn.test";   KS_BOB=$(rand_hex 32);   IMPI_BOB="bob@ims.mnc001.mcc001.3gppnetwork.org"
BTID_CAROL="$(rand_b64)@bsf.zn.test"; KS_CAROL=$(rand_hex 32)
BTID_DAVE="$(rand_b64)@bsf.zn.test";  KS_DAVE=$(rand_hex 32)
BTID_UNKNOWN="$(rand_b64)@bsf.zn.test"
cat > "$WORK/table" <<EOF
# B-TID IMPI Ks_NAF expiry GSIDs
$BTID_ALICE $IMPI_ALICE $KS_ALICE $EXPIRY 1,4
$BTID_BOB $IMPI_BOB $KS_BOB $EXPIRY 1
$BTID_CAROL carol@ims.test $KS_CAROL $((NOW - 60)) 4
$BTID_DAVE - $KS_DAVE $EXPIRY 4
EOF
NAF_FQDN=bmsc.zn.test

# Start the BSF on a free port (a few tries if the port got taken meanwhile); sets PORT, SRV.
start_server() {
  local try
  for try in 1 2 3 4 5; do
    PORT=$(free_port)
    "$ZN_PEER" server --identity bsf.zn.test --realm zn.test --port "$PORT" --listen 127.0.0.1 \
      --accept bmsc.zn.test --table "$WORK/table" --conf-dir "$WORK" ${SERVER_EXTRA[@]+"${SERVER_EXTRA[@]}"} \
      >"$WORK/server.out" 2>"$WORK/server.err" &
    SRV=$!
    ZN_PIDS+=("$SRV")
    if wait_for "$WORK/server.out" "^ready" 100 "$SRV"; then return 0; fi
    kill -KILL "$SRV" 2>/dev/null || true
  done
  fail "BSF did not start"
}

# zn_peer client against the BSF on $PORT; extra arguments follow. Bounded by timeout(1).
client() {
  timeout 60 "$ZN_PEER" client --identity bmsc.zn.test --realm zn.test --peer bsf.zn.test \
    --peer-addr 127.0.0.1 --peer-port "$PORT" --naf-fqdn "$NAF_FQDN" "$@" 2>>"$WORK/client.err"
}
