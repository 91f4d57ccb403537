#!/usr/bin/env bash
# mbmsec-load against the real mbmsec-bsf and mbmsec-bmsc with 10,000 simulated UEs (issue 6):
# every UE bootstraps through the BSF (Ub), registers with the BM-SC from its own loopback
# address (Digest auth-int), sends one MSK request for the current MSK of its Key Group, and
# receives, verifies and acknowledges every MSK message. The test then checks, from the
# generator's report AND from the BM-SC's own /metrics and `ue list`, that there was no error,
# that every UE holds the current and next MSK, and that every delivery was acknowledged
# (no retransmission, no failure). LOAD_UES overrides the number of UEs (default 10000).
set -u
: "${LOAD:?LOAD must name mbmsec-load}" "${PY:=/usr/bin/python3}"
[ -n "${BSF:-}" ] && [ -x "$BSF" ] || { echo "SKIP: mbmsec-bsf not built"; exit 77; }
[ -n "${BMSC:-}" ] && [ -x "$BMSC" ] || { echo "SKIP: mbmsec-bmsc not built"; exit 77; }
for t in curl timeout awk; do command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }; done
[ -x "$PY" ] || { echo "SKIP: python3 not installed"; exit 77; }
N=${LOAD_UES:-10000}

TEST_NAME=load-10k
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/load_common.sh"

# ---- usage errors and --help
"$LOAD" --help | grep -q -- "--expect-msks" || fail "--help"
"$LOAD" --bogus x 2>/dev/null; [ $? = 2 ] || fail "unknown option not a usage error"
"$LOAD" --ues 0 --bsf x 2>/dev/null; [ $? = 2 ] || fail "--ues 0 not a usage error"
"$LOAD" --bsf http://x/ --bmsc http://y --impi-prefix u --k 00 --opc 00 --service-id s 2>/dev/null
[ $? = 2 ] || fail "short --k not a usage error"
ok "usage errors and --help"

# ---- bulk provisioning is all or nothing
printf 'a0,%s,%s\n# comment\n\na1,%s,%s,000000000020,8000,4,1\na2,%s,zz\n' "$K" "$OPC" "$K" "$OPC" "$K" >"$WORK/bad.csv"
"$BSF" subscriber import --store "sqlite:$WORK/bad.db" --file "$WORK/bad.csv" 2>"$WORK/imp.out" && fail "bad CSV imported"
grep -q "bad.csv:5: OPC" "$WORK/imp.out" || fail "import did not name the bad line: $(cat "$WORK/imp.out")"
[ -z "$("$BSF" subscriber list --store "sqlite:$WORK/bad.db")" ] || fail "a failed import left subscribers"
head -n 4 "$WORK/bad.csv" | "$BSF" subscriber import --store "sqlite:$WORK/bad.db" --file - >"$WORK/imp.out" || fail "import from stdin"
grep -qx "imported=2" "$WORK/imp.out" || fail "import: $(cat "$WORK/imp.out")"
"$BSF" subscriber show --store "sqlite:$WORK/bad.db" --impi a1 | grep -qx "uss=4,1" || fail "USS with commas"
"$BSF" subscriber show --store "sqlite:$WORK/bad.db" --impi a1 | grep -qx "sqn=000000000020" || fail "SQN column"
"$BSF" subscriber import --store "sqlite:$WORK/bad.db" --file "$WORK/bad.csv" 2>/dev/null && fail "duplicate IMPIs imported"
printf 'x1\nx2\n' | "$BMSC" subscriber grant --store "sqlite:$WORK/badb.db" --file - --service-id urn:none 2>/dev/null &&
  fail "grant --file for an unknown service"
"$BMSC" subscriber grant --store "sqlite:$WORK/badb.db" --service-id s 2>/dev/null; [ $? = 2 ] || fail "grant without --impi/--file not a usage error"
ok "bulk import / grant --file: all or nothing, bad line named"

# MSKs live a day: the daemon's rotation schedule (rotate-lead 3600 s) stays out of this test
provision "$N" 86400
start_bsf
start_bmsc
ok "BSF on $BP, BM-SC on $HP (admin $AP), UE MIKEY port $UE_PORT, $N subscribers"

# ---- the run: bootstrap, register, one MSK request (key number 0: current of Key Group 1);
# then 8 s more of listening, so that a P13 resend (after 2 and 6 s) of a message whose
# acknowledgement the loaded machine dropped is still answered
t0=$(date +%s)
timeout 400 "$LOAD" --bsf "http://127.0.0.1:$BP/" --bsf-realm "$BSF_FQDN" \
  --bmsc "http://127.0.0.1:$HP" --naf-fqdn "$NAF" --impi-prefix u --k "$K" --opc "$OPC" \
  --service-id "$SVC" --key-id APEQAAEAAA== --ues "$N" --threads 8 --mikey-port "$UE_PORT" \
  --expect-msks 2 --wait 120 --stay 8 --json >"$WORK/report.json" 2>"$WORK/load.err"
rc=$?
[ $rc = 0 ] || fail "mbmsec-load exit $rc: $(cat "$WORK/report.json")"
t1=$(date +%s)
"$PY" - "$WORK/report.json" "$N" <<'EOF' || fail "generator report: $(cat "$WORK/report.json")"
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2])
ph = {p["phase"]: p for p in r["phases"]}
assert r["errors"] == {}, r["errors"]
for name in ("bootstrap", "register", "msk-request"):
    assert ph[name]["ok"] == n and ph[name]["errors"] == 0, ph[name]
m = r["mikey"]
assert m["refused"] == 0, m
assert m["ues_holding"] == n and m["expect_msks"] == 2, m
assert m["new_msks"] == 2 * n, m            # current and next MSK, each new once per UE
assert m["acks"] == m["messages"], m         # every accepted message answered (V=1)
assert m["messages"] >= 2 * n, m
assert r["ues_by_msks_held"] if False else m["ues_by_msks_held"][2] == n, m
EOF
grep -q "phase=register" "$WORK/load.err" || fail "no progress line on stderr"
rss=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["max_rss_kib"])' "$WORK/report.json")
ok "generator: $N UEs bootstrapped, registered, asked; every UE holds 2 MSKs; $(($t1 - $t0)) s, peak RSS $rss KiB"

# ---- the BM-SC's own view: every delivery acknowledged, nothing failed. A delivery whose
# acknowledgement crossed a P13 retransmission is pending until the UE answers the resend:
# wait (bounded by P13's first resend delays) until nothing is pending.
for _ in $(seq 150); do
  "$BMSC" ue list --admin "127.0.0.1:$AP" | grep '^delivery ' | grep -vq 'state=delivered' || break
  sleep 0.2
done
M=$(curl -s "http://127.0.0.1:$AP/metrics") || fail "metrics"
metric() { awk -v n="$1" '$1 == n { print $2 }' <<<"$M"; }
sent=$(metric mbmsec_bmsc_mikey_sent_total) acked=$(metric mbmsec_bmsc_mikey_acked_total)
failed=$(metric mbmsec_bmsc_mikey_failed_total) retx=$(metric mbmsec_bmsc_mikey_retransmitted_total)
msgs=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["mikey"]["messages"])' "$WORK/report.json")
# Every delivery (2 per request, 2 requests per UE) acknowledged once; on a loaded machine an
# acknowledgement can come after the P13 timer, so a retransmission is allowed (the UE answers
# it as an O4 duplicate) but nothing may fail.
[ -n "$acked" ] && [ "$acked" -ge $((4 * N)) ] || fail "BM-SC: $acked acknowledgements, expected $((4 * N)) (sent $sent)"
[ "$failed" = 0 ] || fail "BM-SC: failed=$failed retransmitted=$retx"
# A retransmission that crosses its late acknowledgement may be dropped by the generator (its
# counter is below one already taken, P11): at least every delivery's message was accepted.
[ "$msgs" -ge $((4 * N)) ] && [ "$msgs" -le "$sent" ] || fail "BM-SC sent $sent, the generator accepted $msgs"
ok200=$(awk '$1 == "mbmsec_bmsc_http_requests_total{status=\"200\"}" { print $2 }' <<<"$M")
[ "$ok200" = $((2 * N)) ] || fail "BM-SC answered $ok200 requests 200, expected $((2 * N))"
grep -q 'mbmsec_bmsc_digest_failures_total{reason="digest-mismatch"} [1-9]' <<<"$M" && fail "digest mismatches"
grep -q 'mbmsec_bmsc_mikey_refused_total{reason="[a-z-]*"} [1-9]' <<<"$M" && fail "BM-SC refused verifications: $(grep refused <<<"$M")"
UL=$("$BMSC" ue list --admin "127.0.0.1:$AP") || fail "ue list"
ues=$(grep -c '^ue ' <<<"$UL")
delivered=$(grep -c '^delivery .*state=delivered' <<<"$UL")
other=$(grep '^delivery ' <<<"$UL" | grep -vc 'state=delivered')
[ "$ues" = "$N" ] || fail "ue list: $ues UEs, expected $N"
[ "$other" = 0 ] && [ "$delivered" -ge $((2 * N)) ] || fail "ue list: $delivered delivered, $other not"
ok "BM-SC: sent=$sent acked=$acked retransmitted=$retx failed=0; ue list: $ues UEs, $delivered deliveries delivered"
# ---- the repeat phase, multiplexed (load_mux.c): 200 of the UEs again (new bootstrap, own
# addresses), 3,000 MSK requests with 32 in flight on 2 threads; each UE's requests stay in
# order (no Digest nc the BM-SC refuses), every answer checked (rspauth, items)
NR=$((N < 200 ? N : 200))
timeout 120 "$LOAD" --bsf "http://127.0.0.1:$BP/" --bsf-realm "$BSF_FQDN" \
  --bmsc "http://127.0.0.1:$HP" --naf-fqdn "$NAF" --impi-prefix u --k "$K" --opc "$OPC" \
  --service-id "$SVC" --key-id APEQAAEAAA== --ues "$NR" --threads 2 --inflight 32 --addr-net 200 \
  --mikey-port "$UE_PORT" --requests 3000 --json >"$WORK/repeat.json" 2>"$WORK/repeat.err" ||
  fail "mbmsec-load repeat: $(cat "$WORK/repeat.json") $(tail -3 "$WORK/repeat.err")"
"$PY" - "$WORK/repeat.json" <<'EOF' || fail "repeat report: $(cat "$WORK/repeat.json")"
import json, sys
r = json.load(open(sys.argv[1]))
ph = {p["phase"]: p for p in r["phases"]}
assert r["errors"] == {}, r["errors"]
assert ph["repeat"]["ok"] == 3000 and ph["repeat"]["errors"] == 0, ph["repeat"]
assert r["mikey"]["refused"] == 0, r["mikey"]
EOF
M=$(curl -s "http://127.0.0.1:$AP/metrics") || fail "metrics"
grep -Eq 'mbmsec_bmsc_digest_failures_total\{reason="(digest-mismatch|nc-replay)"\} [1-9]' <<<"$M" &&
  fail "Digest refusals after the repeat: $(grep digest_failures <<<"$M")"
ok "repeat phase: 3,000 MSK requests from $NR UEs, 32 in flight, no error, no mismatch or nc replay"
stop_pid "$BMSC_PID" || fail "BM-SC did not stop cleanly"
echo "PASS"
