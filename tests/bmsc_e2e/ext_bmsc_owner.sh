#!/usr/bin/env bash
# One BM-SC per store (issue "Hard to knock over", item 7): a second mbmsec-bmsc started on the
# store of a running one, with its own ports and a stream (MTK messages and SRTP) aimed at
# sockets of this test, exits 1 naming the owner's pid and sends nothing: its listeners stay
# closed and not one datagram reaches the stream's destinations. Then the first is killed with
# SIGKILL and a restart on the same store takes the lock over and serves.
set -u
: "${BMSC:?BMSC must name mbmsec-bmsc}" "${BSF:?BSF must name mbmsec-bsf}" "${UE:?UE must name mbmsec-ue}"
TEST_NAME=bmsc-owner
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/bmsc_env.sh"

bmsc_env_start
FIRST=$BMSC_PID
ok "BM-SC $FIRST running on $BSTORE"

# destinations of the second instance's stream: two UDP sockets that count what arrives
MTKP=$(free_port) SRTPP=$(free_port)
"$PY" - "$MTKP" "$SRTPP" >"$WORK/heard" <<'PYEOF' &
import select, socket, sys, time
socks = []
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(p)))
    socks.append(s)
n, end = 0, time.monotonic() + 12
while time.monotonic() < end:
    r, _, _ = select.select(socks, [], [], 0.2)
    for s in r:
        s.recv(65536)
        n += 1
print(n)
PYEOF
LISTEN_PID=$!
TEST_PIDS+=("$LISTEN_PID")
sleep 0.5
HP2=$(free_port) AP2=$(free_port)
timeout 30 "$BMSC" run --listen "127.0.0.1:$HP2" --admin-listen "127.0.0.1:$AP2" --fqdn "$NAF" \
  --store "$BSTORE" --mikey-bind 127.0.0.1:0 --ue-mikey-port "$UE_PORT" --zn-peer-addr 127.0.0.1 \
  --zn-peer-port "$ZP" --zn-identity bmsc2.zn.test --zn-realm zn.test --zn-peer bsf.zn.test \
  --stream-key-group 0001 --stream-bind 127.0.0.1 --mtk-dest "127.0.0.1:$MTKP" \
  --srtp-dest "127.0.0.1:$SRTPP" --srtp-rate 200 >/dev/null 2>"$WORK/second.log"
rc=$?
[ "$rc" = 1 ] || fail "second BM-SC on the same store: exit $rc"
grep -q "in use by another running daemon.*owner_pid=$FIRST" "$WORK/second.log" || fail "second BM-SC: $(cat "$WORK/second.log")"
grep -q "msg=ready" "$WORK/second.log" && fail "second BM-SC became ready"
curl -s -m 2 -o /dev/null "http://127.0.0.1:$HP2/" && fail "second BM-SC listened on Ua"
curl -s -m 2 -o /dev/null "http://127.0.0.1:$AP2/metrics" && fail "second BM-SC listened on admin"
wait "$LISTEN_PID"
[ "$(cat "$WORK/heard")" = 0 ] || fail "the second BM-SC sent $(cat "$WORK/heard") datagrams to its stream destinations"
ok "second BM-SC on the same store: exit 1 naming pid $FIRST, no listener, 0 datagrams in 12 s"

kill -KILL "$FIRST"
wait "$FIRST" 2>/dev/null
bmsc_env_restart
grep -q "in use by another" "$WORK/bmsc.err" && fail "restart after kill -9 found the lock held"
ue register --service-id urn:example:mbms:news >/dev/null 2>"$WORK/reg.err" ||
  fail "register after the takeover: $(cat "$WORK/reg.err")"
ok "after kill -9 of the first, a restart on the same store took the lock over and served a registration"

# refusals cannot flood the log: 300 junk requests (404, 405, 413) in a second, then the
# window's summary; at most 5 lines per status are written one by one
"$PY" - "$HP" <<'PYEOF' || fail "junk requests"
import http.client, sys
port = int(sys.argv[1])
for i in range(100):
    for method, target, body in (("GET", "/nothing", None), ("PUT", "/keymanagement?requesttype=register", None),
                                 ("POST", "/keymanagement?requesttype=register", b"x" * 70000)):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            c.request(method, target, body=body)
            c.getresponse().read()
        except (OSError, http.client.HTTPException):
            pass
        c.close()
PYEOF
wait_for "$WORK/bmsc.err" 'msg="refused requests not logged one by one"' 150 "$BMSC_PID" || fail "no refusal summary"
for st in 404 405 413; do
  n=$(grep -c "msg=ua .*status=$st" "$WORK/bmsc.err")
  [ "$n" -ge 1 ] && [ "$n" -le 5 ] || fail "$n log lines of status $st for 100 refusals (bound 5)"
done
grep 'msg="refused requests not logged one by one"' "$WORK/bmsc.err" | grep -q "ua_404=95" ||
  fail "summary: $(grep 'not logged one by one' "$WORK/bmsc.err")"
ok "300 junk requests: at most 5 log lines per status, then one summary (ua_404=95 ...)"

# readiness and the Zn link: up with the BSF, down within a bound when it is gone
[ "$(curl -s -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$AP/ready")" = 200 ] || fail "/ready with Zn up"
[ "$(metric mbmsec_bmsc_zn_up)" = 1 ] || fail "mbmsec_bmsc_zn_up with Zn up: $(metric mbmsec_bmsc_zn_up)"
stop_pid "$BSF_PID" || fail "BSF stop"
for i in $(seq 50); do [ "$(metric mbmsec_bmsc_zn_up)" = 0 ] && break; sleep 0.1; done
[ "$(metric mbmsec_bmsc_zn_up)" = 0 ] || fail "mbmsec_bmsc_zn_up still 1 5 s after the BSF stopped"
[ "$(curl -s -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$AP/ready")" = 503 ] || fail "/ready with Zn down"
ok "readiness: /ready 200 and mbmsec_bmsc_zn_up 1 with the BSF, 0 and 503 within 5 s of its stop"
stop_pid "$BMSC_PID" || fail "BM-SC stop"
