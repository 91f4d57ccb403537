#!/usr/bin/env bash
# MSK rotation with 1,000 registered UEs on loopback (issue 6, "Tests must show"): after the
# UEs registered (and hold the current and next MSK), an `mbmsec-bmsc msk rotate` makes a new
# next MSK, which the BM-SC must push to every registered UE, spread over its rotation window,
# before the change-over. Checked here:
#  - every UE received the new MSK (mbmsec-load's per-UE MIKEY state and its --mikey-log);
#  - before the change-over: the last receipt is earlier than rotate time + window, which is
#    earlier than the change-over (MSK lifetime much longer than the window);
#  - none asked for it over HTTP: the BM-SC's request counters do not move between the rotate
#    and the last receipt, and the generator sent no MSK request at all (no --key-id);
#  - the pushes were spread over the window: receipt times cover at least a quarter of it and
#    no single second holds more than half of the UEs.
# The rotation (schedule, window, `msk rotate`) is "rotate6"'s part (docs/bmsc-rotation.md);
# this test finds its option names from --help and skips, naming what is missing, until then.
set -u
: "${LOAD:?LOAD must name mbmsec-load}" "${PY:=/usr/bin/python3}"
[ -n "${BSF:-}" ] && [ -x "$BSF" ] || { echo "SKIP: mbmsec-bsf not built"; exit 77; }
[ -n "${BMSC:-}" ] && [ -x "$BMSC" ] || { echo "SKIP: mbmsec-bmsc not built"; exit 77; }
for t in curl timeout awk; do command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }; done
RHELP=$("$BMSC" msk rotate --help 2>/dev/null) ||
  { echo "SKIP: 'mbmsec-bmsc msk rotate' is missing (MSK rotation, rotate6's part of issue 6)"; exit 77; }
WIN_OPT=$("$BMSC" run --help 2>/dev/null | grep -o -- '--[a-z-]*window[a-z-]*' | head -1)
[ -n "$WIN_OPT" ] ||
  { echo "SKIP: 'mbmsec-bmsc run' has no rotation window option (--...window...: rotate6's part)"; exit 77; }
N=${LOAD_UES:-1000}
W=${ROTATION_WINDOW_S:-20}
# MSKs live LIFE s: the UEs register under MSK 1 (current) and 2 (next); the rotation is run
# once MSK 2 is current, so that the pushed MSK (3) is one no UE holds yet. rotate-lead 1 keeps
# the daemon's own schedule from starting that push before the test does.
LIFE=${MSK_LIFETIME_S:-60}

TEST_NAME=load-rotation
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/load_common.sh"

provision "$N" "$LIFE"
start_bsf
start_bmsc "$WIN_OPT" "$W" --rotate-lead 1
ok "BSF on $BP, BM-SC on $HP with $WIN_OPT $W, $N subscribers"

# ---- the UEs: bootstrap, register (current and next MSK pushed), then listen
STAY=$((LIFE + W + 60))
timeout $((STAY + 300)) "$LOAD" --bsf "http://127.0.0.1:$BP/" --bsf-realm "$BSF_FQDN" \
  --bmsc "http://127.0.0.1:$HP" --naf-fqdn "$NAF" --impi-prefix u --k "$K" --opc "$OPC" \
  --service-id "$SVC" --ues "$N" --threads 8 --mikey-port "$UE_PORT" --expect-msks 2 --wait 120 \
  --stay "$STAY" --mikey-log "$WORK/mikey.log" --json >"$WORK/report.json" 2>"$WORK/load.err" &
LOAD_PID=$!
TEST_PIDS+=("$LOAD_PID")
wait_for "$WORK/load.err" "phase=listen done=$N " 1800 "$LOAD_PID" || fail "the UEs did not all get 2 MSKs"
ok "$N UEs registered, each holds the current and next MSK"

# ---- wait for the change-over to MSK 2 (MSK 1 expires LIFE s after provisioning)
for i in $(seq $((LIFE * 5 + 100))); do
  "$BMSC" msk list --admin "127.0.0.1:$AP" 2>/dev/null | grep -q 'msk_id=00010002 key_number=2 role=current' && break
  sleep 0.2
done
"$BMSC" msk list --admin "127.0.0.1:$AP" | grep -q 'msk_id=00010002 key_number=2 role=current' ||
  fail "MSK 2 never became current: $("$BMSC" msk list --admin "127.0.0.1:$AP" 2>&1)"
ok "change-over to MSK 2 seen in msk list"

metrics() { curl -s "http://127.0.0.1:$AP/metrics" | awk '/^mbmsec_bmsc_http_requests_total/ { s += $2 } END { print s + 0 }'; }
before=$(metrics)
HELD=$(awk '{ print $5 }' "$WORK/mikey.log" | sort -u | tr '\n' ' ')
args=()
grep -q -- "--store" <<<"$RHELP" && args+=(--store "sqlite:$WORK/bmsc.db")
grep -q -- "--admin" <<<"$RHELP" && args+=(--admin "127.0.0.1:$AP")
grep -q -- "--service-id" <<<"$RHELP" && args+=(--service-id "$SVC")
grep -q -- "--key-group" <<<"$RHELP" && args+=(--key-group 0001)
T_ROT=$(date +%s.%N)
"$BMSC" msk rotate "${args[@]}" >"$WORK/rotate.out" 2>&1 || fail "msk rotate ${args[*]}: $(cat "$WORK/rotate.out")"
ok "msk rotate at $T_ROT (held before: $HELD)"

# ---- every UE gets one MSK ID it did not hold before, within the window (+ slack)
NEWID=""
for i in $(seq $(((W + 30) * 10))); do
  NEWID=$(awk -v held="$HELD" '$6 == "outcome=new" && index(held, $5) == 0 { print $5 }' "$WORK/mikey.log" | sort | uniq -c |
          awk -v n="$N" '$1 == n { print $2 }' | head -1)
  [ -n "$NEWID" ] && break
  kill -0 "$LOAD_PID" 2>/dev/null || fail "mbmsec-load ended early: $(cat "$WORK/report.json")"
  sleep 0.1
done
[ -n "$NEWID" ] || fail "not every UE received a new MSK within $((W + 30)) s: $(awk '$6 == "outcome=new" { print $5 }' "$WORK/mikey.log" | sort | uniq -c)"
after=$(metrics)
[ "$before" = "$after" ] || fail "HTTP requests reached the BM-SC during the rotation: $before -> $after"
ok "every UE holds the new $NEWID; no HTTP request during the rotation ($before -> $after)"

"$PY" - "$WORK/mikey.log" "$NEWID" "$T_ROT" "$W" "$N" <<'EOF' || fail "receipt times"
import sys
log, newid, t_rot, w, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
first = {}
for line in open(log):
    f = line.split()
    if f[4] == newid and f[5] == "outcome=new":
        first.setdefault(f[1], float(f[0]))
t = sorted(first.values())
assert len(t) == n, len(t)
span = t[-1] - t[0]
assert t[0] >= t_rot - 0.5, ("received before the rotate", t[0], t_rot)
assert t[-1] <= t_rot + w + 5, ("after the window", t[-1] - t_rot)
assert span >= w / 4, ("not spread over the window", span)
per_s = {}
for x in t:
    per_s[int(x)] = per_s.get(int(x), 0) + 1
assert max(per_s.values()) <= n / 2, ("bunched", max(per_s.values()))
print("spread %.1f s of a %g s window; busiest second %d UEs" % (span, w, max(per_s.values())))
EOF
ok "pushes spread over the window, all before the change-over"

stop_pid "$LOAD_PID"
"$PY" - "$WORK/report.json" "$N" <<'EOF' || fail "generator report: $(cat "$WORK/report.json")"
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2])
ph = {p["phase"]: p for p in r["phases"]}
assert "msk-request" not in ph and "repeat" not in ph, ph     # the generator never asked
assert ph["register"]["ok"] == n and r["errors"] == {}, r
assert r["mikey"]["acks"] == r["mikey"]["messages"], r["mikey"]
EOF
ok "generator: register only, no MSK request, every message acknowledged"
echo PASS
