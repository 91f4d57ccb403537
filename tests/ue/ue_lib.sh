# Shared helpers of tests/ue/ext_ue_*.sh (sourced): work directory, process cleanup, free
# ports, bounded waits.
: "${MBMSEC_UE:?MBMSEC_UE must name the mbmsec-ue program}" "${PY:=/usr/bin/python3}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mbmsec-ue-test.XXXXXX")
UE_PIDS=()

ue_cleanup() {
  local p i
  for p in "${UE_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${UE_PIDS[@]}"; do
    for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  if [ "${UE_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap ue_cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; for f in "$WORK"/*.err; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done; exit 1; }
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

# mbmsec-ue bounded by timeout(1); stdout to $WORK/$1.out, stderr to $WORK/$1.err; returns its status.
ue() {
  local name=$1; shift
  timeout 60 "$MBMSEC_UE" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
}
val() { sed -n "s/^$2=//p" "$WORK/$1.out"; }

# Ks_NAF, MRK, MUK computed in Python from Ks, RAND, IMPI, FQDN (TS 33.220 B.2/B.3, profile P1):
# an implementation independent of lib/gba_kdf.c. Prints "ks_naf mrk muk".
py_naf_keys() {
  "$PY" - "$1" "$2" "$3" "$4" <<'PYEOF'
import hmac, hashlib, sys
ks, rand, impi, fqdn = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3].encode(), sys.argv[4].encode()
def kdf(key, fc, *ps):
    s = bytes([fc]) + b"".join(p + len(p).to_bytes(2, "big") for p in ps)
    return hmac.new(key, s, hashlib.sha256).digest()
naf_id = fqdn + bytes([1, 0, 0, 0, 1])
k = kdf(ks, 1, b"gba-me", rand, impi, naf_id)
print(k.hex(), kdf(k, 1, b"mbms-mrk").hex(), kdf(k, 1, b"mbms-muk").hex())
PYEOF
}
