# Shared helpers of the shell tests that start processes (sourced, not run): a work directory,
# cleanup of every started process on exit, failure reports with the logs, free ports, bounded
# waits. Set TEST_NAME before sourcing (names the work directory); TEST_KEEP=1 keeps it.
: "${PY:=/usr/bin/python3}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mbmsec-${TEST_NAME:-test}.XXXXXX")
TEST_PIDS=()

test_cleanup() {
  local p i
  for p in "${TEST_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${TEST_PIDS[@]}"; do
    for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  if [ "${TEST_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap test_cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; for f in "$WORK"/*.err; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }; done; exit 1; }
ok() { echo "ok: $*"; }

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# need_tools CMD...: the test is skipped (exit 77) when one of them is not installed.
need_tools() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }; done
}
# need_built VAR...: skipped when the program named by $VAR (BSF, UE, ...) is not built.
need_built() {
  local v
  for v in "$@"; do [ -n "${!v:-}" ] && [ -x "${!v}" ] || { echo "SKIP: $v (${!v:-unset}) not built"; exit 77; }; done
}
# field TEXT NAME: the value of the first NAME=value line of TEXT (the tools' output format)
field() { printf '%s\n' "$1" | awk -F= -v n="$2" '$1 == n { sub(/^[^=]*=/, ""); print; exit }'; }
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
