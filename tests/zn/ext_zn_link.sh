#!/usr/bin/env bash
# The BM-SC side of the Zn link (mbmsec_zn_client_connected / mbmsec_zn_client_link): with no
# BSF listening the client counts failed attempts and backs off (TcTimer 1 s doubled per failure
# in a row, capped at 4 s); a BSF that starts is reached within the cap + freeDiameter's 2 s
# jitter + 1 s; a BSF killed (-KILL) shows as down with the failure counted; a BSF started
# again is reached again. `zn_peer watch` prints the link state each time it changes.
set -euo pipefail
. "$(dirname "$0")/zn_lib.sh"
PORT=$(free_port)
"$ZN_PEER" watch --identity bmsc.zn.test --realm zn.test --peer bsf.zn.test --peer-addr 127.0.0.1 \
  --peer-port "$PORT" --tc-timer 1 --tc-max 4 --watch 90000 >"$WORK/watch.out" 2>"$WORK/watch.err" &
W=$!
TEST_PIDS+=("$W")
last() { tail -n 1 "$WORK/watch.out"; }

# ---- no BSF: failures in a row, back-off 1, 2, 4, 4 s
wait_for "$WORK/watch.out" " in_row=4 " 300 "$W" || fail "no 4th failed attempt within 30 s: $(cat "$WORK/watch.out")"
for want in "in_row=1 retry_s=1" "in_row=2 retry_s=2" "in_row=3 retry_s=4" "in_row=4 retry_s=4"; do
  grep -q "up=0 connects=0 failures=[0-9]* $want\$" "$WORK/watch.out" || fail "no line with up=0 $want: $(cat "$WORK/watch.out")"
done
ok "BSF absent: down, failures counted, back-off 1 2 4 4 s"

# ---- the BSF starts: reached within 4 + 2 + 1 s
start_bsf_on() {
  "$ZN_PEER" server --identity bsf.zn.test --realm zn.test --port "$PORT" --listen 127.0.0.1 \
    --accept bmsc.zn.test --table "$WORK/table" >"$WORK/server.out" 2>"$WORK/server.err" &
  SRV=$!
  TEST_PIDS+=("$SRV")
  wait_for "$WORK/server.out" "^ready" 100 "$SRV" || fail "BSF did not start on $PORT"
}
up_within() { # connects ms
  local t0=$(date +%s%N)
  wait_for "$WORK/watch.out" " up=1 connects=$1 " $(($2 / 100)) "$W" || fail "not up (connects=$1) within $2 ms: $(cat "$WORK/watch.out")"
  echo "up after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}
start_bsf_on
up_within 1 7000
last | grep -q " in_row=0 retry_s=1$" || fail "after connecting: $(last)"
ok "BSF started: link up, back-off reset ($(last))"

# ---- the BSF dies: down, the failure counted; it comes back: up again
f_before=$(last | sed 's/.* failures=\([0-9]*\) .*/\1/')
kill -KILL "$SRV"; wait "$SRV" 2>/dev/null || true
wait_for "$WORK/watch.out" " up=0 connects=1 failures=$((f_before + 1)) in_row=1 " 50 "$W" || fail "kill not seen as down within 5 s: $(tail -n 3 "$WORK/watch.out")"
ok "BSF killed: link down within 5 s ($(last))"
start_bsf_on
up_within 2 7000
ok "BSF restarted: link up again ($(last))"
cat "$WORK/watch.out"
echo "PASS"
