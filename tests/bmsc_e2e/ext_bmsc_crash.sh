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
[ -x "$PY" ] || { echo "SKIP: python3 not installed"; exit 77; }

TEST_NAME=bmsc-crash
. "$(dirname "$0")/../lib/common.sh"
need_built BSF UE
need_tools curl od timeout sqlite3 sha256sum

. "$(dirname "$0")/bmsc_env.sh"
UES="1 2 3"
ip_of() { echo "127.0.0.$((20 + $1))"; }
impi_of() { echo "ue$1@ims.mnc001.mcc001.3gppnetwork.org"; }

"$BMSC" service add --store "$BSTORE" --service-id urn:example:mbms:news --key-group 0001 \
  --msk-lifetime 3600 >/dev/null || fail "service add"
for u in $UES; do
  eval "K$u=$(bmsc_env_key) OPC$u=$(bmsc_env_key)"
  eval "k=\$K$u o=\$OPC$u"
  bmsc_env_subscriber "$(impi_of "$u")" "$k" "$o"
  "$BMSC" subscriber grant --store "$BSTORE" --impi "$(impi_of "$u")" --service-id urn:example:mbms:news ||
    fail "grant $u"
done
bmsc_env_bsf
bmsc_env_bmsc --mikey-retx-first-ms 300
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
  bmsc_env_bootstrap "$WORK/usim$u" "$WORK/state$u" "$(impi_of "$u")" "$k" "$o"
  eval "BTID$u=\$BTID"
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
bmsc_env_restart
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
