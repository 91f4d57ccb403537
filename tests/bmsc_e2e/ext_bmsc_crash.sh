#!/usr/bin/env bash
# Crash (profile P11) end to end on loopback: a real mbmsec-bsf, mbmsec-bmsc and three UEs of
# mbmsec-ue (one IMPI and loopback address each). The UEs register and keep their MIKEY
# receiver state in files; then each asks for its MSKs over HTTP only, while a python3 socket
# on the UE port captures (and never answers) the MSK messages, so deliveries stay pending and
# are retransmitted. The BM-SC is killed with SIGKILL in the middle of that and restarted on
# the same store: the next MSK message to each UE carries a counter above every counter sent
# to it before the crash (read from the captured datagrams, mikey.md 7.1: T's counter at
# offset 27) and the UE's persisted replay state accepts it; registrations and MSKs in the
# store are byte for byte what they were before the crash.
set -u
: "${BMSC:?BMSC must name mbmsec-bmsc}" "${PY:=/usr/bin/python3}"
[ -n "${BSF:-}" ] && [ -x "$BSF" ] || { echo "SKIP: mbmsec-bsf not built"; exit 77; }
[ -n "${UE:-}" ] && [ -x "$UE" ] || { echo "SKIP: mbmsec-ue not built"; exit 77; }
for t in curl od timeout sqlite3 sha256sum; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ -x "$PY" ] || { echo "SKIP: python3 not installed"; exit 77; }

TEST_NAME=bmsc-crash
. "$(dirname "$0")/../lib/common.sh"
field() { printf '%s\n' "$1" | awk -F= -v n="$2" '$1 == n { sub(/^[^=]*=/, ""); print; exit }'; }

BSF_FQDN=bsf.test.example.org
NAF=bmsc.test.example.org
UES="1 2 3"
ip_of() { echo "127.0.0.$((20 + $1))"; }
impi_of() { echo "ue$1@ims.mnc001.mcc001.3gppnetwork.org"; }

BSTORE="sqlite:$WORK/bmsc.db"
"$BMSC" service add --store "$BSTORE" --service-id urn:example:mbms:news --key-group 0001 \
  --msk-lifetime 3600 >/dev/null || fail "service add"
for u in $UES; do
  eval "K$u=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n') OPC$u=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')"
  eval "k=\$K$u o=\$OPC$u"
  "$BSF" subscriber add --store "sqlite:$WORK/bsf.db" --impi "$(impi_of "$u")" --k "$k" --opc "$o" --uss 4 ||
    fail "bsf subscriber add $u"
  "$BMSC" subscriber grant --store "$BSTORE" --impi "$(impi_of "$u")" --service-id urn:example:mbms:news ||
    fail "grant $u"
done
for try in 1 2 3 4 5; do
  BP=$(free_port) ZP=$(free_port)
  "$BSF" run --listen "127.0.0.1:$BP" --zn-listen "127.0.0.1:$ZP" --store "sqlite:$WORK/bsf.db" \
    --fqdn "$BSF_FQDN" --zn-peer bmsc.zn.test >/dev/null 2>"$WORK/bsf.err" &
  BSF_PID=$!
  TEST_PIDS+=("$BSF_PID")
  wait_for "$WORK/bsf.err" "msg=ready" 100 "$BSF_PID" && break
  kill -KILL "$BSF_PID" 2>/dev/null || true
  [ "$try" = 5 ] && fail "mbmsec-bsf did not start"
done
UE_PORT=$(free_port)
start_bmsc() {
  local try
  for try in 1 2 3 4 5; do
    HP=$(free_port) AP=$(free_port)
    : >"$WORK/bmsc.err"
    "$BMSC" run --listen "127.0.0.1:$HP" --admin-listen "127.0.0.1:$AP" --fqdn "$NAF" --store "$BSTORE" \
      --mikey-bind 127.0.0.1:0 --ue-mikey-port "$UE_PORT" --mikey-retx-first-ms 300 --rotate-lead 60 \
      --zn-peer-addr 127.0.0.1 --zn-peer-port "$ZP" --zn-identity bmsc.zn.test --zn-realm zn.test \
      --zn-peer bsf.zn.test >/dev/null 2>>"$WORK/bmsc.err" &
    BMSC_PID=$!
    TEST_PIDS+=("$BMSC_PID")
    wait_for "$WORK/bmsc.err" "msg=ready" 150 "$BMSC_PID" && return 0
    kill -KILL "$BMSC_PID" 2>/dev/null || true
  done
  fail "mbmsec-bmsc did not start"
}
start_bmsc
metric() { curl -s -m 5 "http://127.0.0.1:$AP/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
# The store rows the crash must not change (keys hashed, not printed).
snapshot() {
  sqlite3 -readonly "$WORK/bmsc.db" \
    "SELECT 'reg', impi, service_id, btid, ue_addr, created FROM registration ORDER BY impi, service_id;
     SELECT 'msk', hex(kdid), hex(msk_id), hex(key), valid_from, valid_to, vf, vt FROM msk ORDER BY kdid, msk_id;" |
    sha256sum
}
ok "mbmsec-bsf, mbmsec-bmsc (first retransmission after 300 ms)"

ue() { # ue N CMD ARGS...
  local u=$1 c=$2
  shift 2
  timeout 30 "$UE" "$c" --bmsc "http://127.0.0.1:$HP/" --naf-fqdn "$NAF" --state "$WORK/state$u" \
    --bind "$(ip_of "$u")" "$@"
}
for u in $UES; do
  eval "k=\$K$u o=\$OPC$u"
  timeout 30 "$UE" usim init --usim "$WORK/usim$u" --k "$k" --opc "$o" >/dev/null 2>"$WORK/ue.err" || fail "usim init"
  out=$(timeout 30 "$UE" bootstrap --bsf "http://127.0.0.1:$BP/" --realm "$BSF_FQDN" --impi "$(impi_of "$u")" \
    --usim "$WORK/usim$u" --state "$WORK/state$u" --naf-fqdn "$NAF" 2>"$WORK/ue.err") || fail "bootstrap $u: $out"
  eval "BTID$u=$(field "$out" btid)"
  out=$(ue "$u" register --service-id urn:example:mbms:news --mikey-listen "$(ip_of "$u"):$UE_PORT" \
    --mikey-state "$WORK/mikey$u" --wait-ms 1500 2>"$WORK/ue.err") || fail "register $u: $out $(cat "$WORK/ue.err")"
  grep -q "^mikey_2=msk 00f110:0001000[12] new" <<<"$out" || fail "register $u: MSKs not received: $out"
done
for i in $(seq 50); do [ "$(metric mbmsec_bmsc_mikey_acked_total)" = 6 ] && break; sleep 0.1; done
[ "$(metric mbmsec_bmsc_mikey_acked_total)" = 6 ] || fail "acked $(metric mbmsec_bmsc_mikey_acked_total), want 6"
ok "3 UEs registered, both MSKs delivered to each (receiver state in files)"

# ---- deliveries in flight, captured and never answered; then SIGKILL
"$PY" - "$UE_PORT" "$WORK/cap" $(for u in $UES; do ip_of "$u"; done) <<'EOF' &
import select, socket, sys, time
socks = {}
for ip in sys.argv[3:]:  # one socket per UE address: the line names the UE the message was for
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, int(sys.argv[1])))
    socks[s] = ip
end = time.time() + 20
with open(sys.argv[2], "w") as f:
    while time.time() < end:
        for s in select.select(list(socks), [], [], 0.2)[0]:
            d = s.recv(4096)
            # MSK message (mikey.md 7.1): T payload's counter at offset 27
            f.write("%s %d %d\n" % (socks[s], int.from_bytes(d[27:31], "big"), len(d)))
            f.flush()
EOF
CAP_PID=$!
TEST_PIDS+=("$CAP_PID")
sleep 0.3
for u in $UES; do
  out=$(ue "$u" msk-request --key-id APEQAAEAAA== 2>"$WORK/ue.err") || fail "msk-request $u: $out $(cat "$WORK/ue.err")"
done
# tries at 0, 0.3 and 0.9 s: wait for the third try of every delivery (3 UEs x 2 MSKs)
for i in $(seq 50); do [ "$(metric mbmsec_bmsc_mikey_retransmitted_total)" -ge 12 ] && break; sleep 0.1; done
[ "$(metric mbmsec_bmsc_mikey_retransmitted_total)" -ge 12 ] || fail "retransmitted $(metric mbmsec_bmsc_mikey_retransmitted_total)"
"$BMSC" ue list --admin "127.0.0.1:$AP" | grep -c "state=pending" | grep -qx 6 || fail "not 6 pending: $("$BMSC" ue list --admin "127.0.0.1:$AP")"
BEFORE=$(snapshot)
kill -KILL "$BMSC_PID"
wait "$BMSC_PID" 2>/dev/null
sleep 0.5
kill "$CAP_PID" 2>/dev/null
wait "$CAP_PID" 2>/dev/null
for u in $UES; do
  n=$(awk -v ip="$(ip_of "$u")" '$1 == ip' "$WORK/cap" | wc -l)
  [ "$n" -ge 6 ] || fail "UE $u: $n messages captured, want >= 6: $(cat "$WORK/cap")"
done
ok "6 deliveries pending and retransmitted (captured, unanswered); BM-SC killed with SIGKILL"

# ---- restart on the same store
start_bmsc
[ "$(snapshot)" = "$BEFORE" ] || fail "store rows changed by the crash and restart"
for u in $UES; do
  maxc=$(awk -v ip="$(ip_of "$u")" '$1 == ip && $2 > m { m = $2 } END { print m + 0 }' "$WORK/cap")
  out=$(ue "$u" msk-request --key-id APEQAAEAAA== --mikey-listen "$(ip_of "$u"):$UE_PORT" \
    --mikey-state "$WORK/mikey$u" --wait-ms 3000 2>"$WORK/ue.err") || fail "msk-request $u after restart: $out $(cat "$WORK/ue.err")"
  [ "$(field "$out" mikey_refused)" = 0 ] || fail "UE $u refused a message after the restart: $out"
  line=$(field "$out" mikey_1)
  c=$(sed -n 's/.* counter=\([0-9]*\).*/\1/p' <<<"$line")
  grep -q "duplicate" <<<"$line" || fail "UE $u: not an O4 duplicate: $line"
  [ -n "$c" ] && [ "$c" -gt "$maxc" ] || fail "UE $u: counter $c after the restart, $maxc sent before"
  echo "UE $u: highest counter before the crash $maxc, first after $c"
done
[ "$(snapshot)" = "$BEFORE" ] || fail "store rows changed by the requests after the restart"
stop_pid "$BMSC_PID" || fail "SIGTERM: not a clean exit"
ok "after the restart every UE's next MSK message has a counter above all sent before, accepted by its persisted state; registrations and MSKs unchanged"
exit 0
