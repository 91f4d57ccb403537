#!/usr/bin/env bash
# The UE key agent under a flood of junk on its MIKEY ports (issue "Hard to knock over", item
# 8): about 100,000 datagrams a second for 10 s (1,000,000 at most, loopback only) at the MSK
# port and the MTK port, half random octets, half an MTK message under a wrong MSK (MAC
# failure), while SRTP media under the right MTK is sent. Shown: every media packet is
# decrypted and the payload is byte for byte what was sent; every refusal is counted in the
# status; the agent's timeline grows by at most 64 KiB for the whole flood (a few lines per
# reason and 10 s window plus one summary line per window; one line per datagram was 73-82 MiB
# in 10 s before).
set -u
TEST_NAME=ue-agent-flood
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/agent_lib.sh"
[ -n "${AGENT_SENDER:-}" ] && [ -x "$AGENT_SENDER" ] || { echo "SKIP: agent_test_sender not built"; exit 77; }
command -v cmp >/dev/null || { echo "SKIP: cmp not installed"; exit 77; }
rnd() { od -An -tx1 -N"$1" -v /dev/urandom | tr -d ' \n'; }

start_daemons
U1="$WORK/ue1"
write_agent_conf "$U1"
start_agent "$U1"
wait_status "$U1" "msk id=00f110:00010002 valid=yes" 150 || fail "agent not active: $(agent_status "$U1")"
MTK=$(rnd 16) SALT=$(rnd 14)
"$AGENT_SENDER" mtk "$UE_IP:$MTK_PORT" 00f110 00010001 "$(msk_key 00010001)" 1 1 "$MTK" "$SALT" || fail "send MTK"
wait_for "$AGENT_ERR" "MTK 1 of MSK 00f110:00010001 taken" 50 "$AGENT_PID" || fail "MTK 1 not taken"
ok "agent active, MTK 1 of MSK 1 taken"

# An MTK message under a wrong MSK, caught by a listener of ours (the flood repeats its bytes).
CAP=$(free_port)
"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1]))); s.settimeout(10); print(s.recv(4096).hex())' "$CAP" >"$WORK/bad.hex" &
CAP_PID=$!
sleep 0.3
"$AGENT_SENDER" mtk "127.0.0.1:$CAP" 00f110 00010001 "$(rnd 16)" 2 7 "$(rnd 16)" "$(rnd 14)" || fail "send bad MTK"
wait "$CAP_PID" || fail "no wrong-key MTK message captured"

head -c 200000 /dev/urandom >"$WORK/media"
before=$(stat -c %s "$AGENT_ERR")
"$AGENT_SENDER" srtp "$UE_IP:$SRTP_PORT" 00010001 1 "$MTK" "$SALT" 4242 1 "$WORK/media" 100 5 >/dev/null &
MEDIA_PID=$!
TEST_PIDS+=("$MEDIA_PID")
"$PY" - "$UE_IP" "$UE_PORT" "$MTK_PORT" "$(cat "$WORK/bad.hex")" >"$WORK/flood.out" <<'PYEOF' || fail "flood"
import os, socket, sys, time
ip, p1, p2, bad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), bytes.fromhex(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
junk = [os.urandom(n) for n in (1, 7, 24, 60, 200, 700)] + [b"\x01" + os.urandom(80)]
msgs = [(j, (ip, p)) for j in junk + [bad] * len(junk) for p in (p1, p2)]
sent, t0, rate, cap = 0, time.monotonic(), 100000, 1000000
while sent < cap:
    el = time.monotonic() - t0
    if el >= 10:
        break
    if sent > el * rate:  # paced: 100,000 a second at most
        time.sleep(0.001)
        continue
    for m, a in msgs:
        try:
            s.sendto(m, a)
        except OSError:
            pass
    sent += len(msgs)
print("sent %d datagrams in %.1f s" % (sent, time.monotonic() - t0))
PYEOF
cat "$WORK/flood.out"
wait "$MEDIA_PID" || fail "media sender"
kill -0 "$AGENT_PID" 2>/dev/null || fail "agent died during the flood"
wait_payload() {
  local i
  for i in $(seq 100); do [ "$(stat -c %s "$U1/payload.bin" 2>/dev/null || echo 0)" -ge "$1" ] && return 0; sleep 0.1; done
  return 1
}
wait_payload 200000 || fail "payload: $(stat -c %s "$U1/payload.bin" 2>/dev/null) of 200000 octets"
cmp -s "$WORK/media" "$U1/payload.bin" || fail "decrypted payload differs from what was sent"
ok "2,000 SRTP packets during the flood: every one decrypted, payload identical"

# the summary of the last window comes once it is over (10 s)
wait_for "$AGENT_ERR" "refused datagrams not shown" 120 "$AGENT_PID" || fail "no summary line"
sleep 10.5
grown=$(( $(stat -c %s "$AGENT_ERR") - before ))
refused=$(( $(agent_counter "$U1" mikey_refused_malformed) + $(agent_counter "$U1" mikey_refused_auth) ))
echo "timeline grew by $grown octets; refusals counted: $refused"
[ "$grown" -le 65536 ] || fail "timeline grew by $grown octets (bound 65536)"
[ "$refused" -ge 100000 ] || fail "only $refused refusals counted: $(agent_status "$U1" | grep counters)"
ok "timeline grew by $grown octets (bound 64 KiB) for $refused refused datagrams, all counted"
