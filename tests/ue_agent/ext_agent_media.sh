#!/usr/bin/env bash
# The UE key agent's media side against the real BSF and BM-SC: the MTK messages and SRTP come
# from agent_test_sender (the project's MTK builder and SRTP sender, keyed with the MSKs read
# from the BM-SC's store), standing in for the BM-SC's own MTK/SRTP sender. Shown: MTKs taken by
# MKI and payload decrypted byte for byte across an MTK change and the change-over to the next
# MSK with no packet refused for want of a key; replayed MTK messages and replayed or junk SRTP
# refused and counted, payload untouched; missed key update online (an MTK message names a new
# MSK) and after being offline (an SRTP MKI names it), each ending in a push and decrypted media;
# a withdrawn subscription (item 401 to the missed key update) leaves the service only when the
# last valid MSK expires. New MSKs are put into the BM-SC's store by the test (insert_msk) while
# the BM-SC runs; it is restarted once, on purpose, before the withdrawn-subscription part.
set -u
TEST_NAME=ue-agent-media
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/agent_lib.sh"
[ -n "${AGENT_SENDER:-}" ] && [ -x "$AGENT_SENDER" ] || { echo "SKIP: agent_test_sender not built"; exit 77; }
command -v cmp >/dev/null || { echo "SKIP: cmp not installed"; exit 77; }

rnd() { od -An -tx1 -N"$1" -v /dev/urandom | tr -d ' \n'; }
counter() { agent_counter "$U1" "$1"; }
wait_counter() { wait_agent_counter "$U1" "$1" "$2"; }
# mtk MSK_ID MTK_ID COUNTER: MTK message (fresh MTK and salt into MTK_<msk>_<id>, SALT_...)
mtk() {
  local m s
  m=$(rnd 16) s=$(rnd 14)
  eval "MTK_$1_$2=$m SALT_$1_$2=$s"
  "$AGENT_SENDER" mtk "$UE_IP:$MTK_PORT" 00f110 "$1" "$(msk_key "$1")" "$2" "$3" "$m" "$s" || fail "send MTK"
}
# media MSK_ID MTK_ID FILE: SRTP from FILE (100-octet payloads), SEQ continues
SEQ=1
media() {
  local m s last
  eval "m=\$MTK_$1_$2 s=\$SALT_$1_$2"
  last=$("$AGENT_SENDER" srtp "$UE_IP:$SRTP_PORT" "$1" "$2" "$m" "$s" 4242 "$SEQ" "$3" 100) || fail "send SRTP"
  SEQ=$((last + 1))
}
wait_payload() { # octets
  local i
  for i in $(seq 100); do [ "$(stat -c %s "$U1/payload.bin" 2>/dev/null || echo 0)" -ge "$1" ] && return 0; sleep 0.1; done
  return 1
}

start_daemons
U1="$WORK/ue1"
write_agent_conf "$U1" "msk_grace_ms = 3000"
start_agent "$U1"
wait_status "$U1" "msk id=00f110:00010002 valid=yes" 150 || fail "agent not active: $(agent_status "$U1")"
ok "agent active with MSKs 1 and 2"

for i in 1 2 3 4 5 6; do head -c 4000 /dev/urandom >"$WORK/p$i"; done

# ---- MTK 1 and 2 of MSK 1, then the change-over to MSK 2 (held since the first push)
mtk 00010001 1 1
wait_for "$AGENT_ERR" "MTK 1 of MSK 00f110:00010001 taken" 50 "$AGENT_PID" || fail "MTK 1 not taken"
media 00010001 1 "$WORK/p1"
mtk 00010001 2 2
wait_for "$AGENT_ERR" "MTK 2 of MSK 00f110:00010001 taken" 50 "$AGENT_PID" || fail "MTK 2 not taken"
media 00010001 2 "$WORK/p2"
mtk 00010002 1 1
wait_for "$AGENT_ERR" "MTK 1 of MSK 00f110:00010002 taken" 50 "$AGENT_PID" || fail "MTK 1 of MSK 2 not taken"
media 00010002 1 "$WORK/p3"
wait_payload 12000 || fail "payload: $(stat -c %s "$U1/payload.bin") octets"
cat "$WORK/p1" "$WORK/p2" "$WORK/p3" >"$WORK/want"
cmp -s "$WORK/want" "$U1/payload.bin" || fail "decrypted payload differs from what was sent"
wait_counter srtp_decrypted 120 && [ "$(counter srtp_refused_no_key)" = 0 ] ||
  fail "counters: $(agent_status "$U1" | grep counters)"
ok "120 packets across an MTK change and the change-over to MSK 2: payload identical, none refused"

# ---- bad input: a replayed MTK message, replayed SRTP, junk; nothing written
"$AGENT_SENDER" mtk "$UE_IP:$MTK_PORT" 00f110 00010002 "$(msk_key 00010002)" 1 1 "$MTK_00010002_1" "$SALT_00010002_1" || fail "send"
SEQ=$((SEQ - 40))
media 00010002 1 "$WORK/p3"
"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.sendto(b"\x80"+b"\x00"*10,(sys.argv[1],int(sys.argv[2])))' "$UE_IP" "$SRTP_PORT"
wait_counter srtp_refused_malformed 1 || fail "junk SRTP not counted"
[ "$(counter mikey_refused_replay)" = 1 ] || fail "replayed MTK message not counted: $(agent_status "$U1" | grep counters)"
[ "$(counter srtp_refused_replay)" = 40 ] && [ "$(counter srtp_refused_malformed)" = 1 ] ||
  fail "SRTP refusals: $(agent_status "$U1" | grep counters)"
cmp -s "$WORK/want" "$U1/payload.bin" || fail "refused input reached the payload"
ok "replayed MTK message, 40 replayed SRTP packets and junk refused and counted; payload untouched"

# ---- missed key update online: the BM-SC has MSK 3; an MTK message names it
insert_msk 00010003
mtk 00010003 1 1
wait_for "$AGENT_ERR" "missed key update: an MTK message names MSK 00f110:00010003" 50 "$AGENT_PID" || fail "no missed key update"
wait_for "$AGENT_ERR" "MIKEY push: MSK 00f110:00010003 stored" 80 "$AGENT_PID" || fail "MSK 3 not received"
mtk 00010003 2 2
wait_for "$AGENT_ERR" "MTK 2 of MSK 00f110:00010003 taken" 50 "$AGENT_PID" || fail "MTK 2 of MSK 3 not taken"
media 00010003 2 "$WORK/p4"
wait_payload 16000 || fail "payload after MSK 3"
cat "$WORK/p4" >>"$WORK/want"
cmp -s "$WORK/want" "$U1/payload.bin" || fail "payload under MSK 3 differs"
ok "missed key update online: an MTK message named MSK 3; requested, pushed, acknowledged, media decrypted"

# ---- offline during a rotation: MSK 4 and its first MTK message come while the agent is down
stop_pid "$AGENT_PID" || fail "agent stop"
insert_msk 00010004
mtk 00010004 1 1 # lost: nobody listens
start_agent "$U1"
wait_for "$AGENT_ERR" "state restored" 50 "$AGENT_PID" || fail "restart"
wait_status "$U1" "phase=active" 50 || fail "not active after restart"
media 00010004 1 "$WORK/p5" # no MTK yet: refused, but the MKI names MSK 4
wait_for "$AGENT_ERR" "missed key update: an SRTP MKI names MSK 00f110:00010004" 50 "$AGENT_PID" || fail "no missed key update from the MKI"
wait_for "$AGENT_ERR" "MIKEY push: MSK 00f110:00010004 stored" 80 "$AGENT_PID" || fail "MSK 4 not received"
mtk 00010004 2 2
wait_for "$AGENT_ERR" "MTK 2 of MSK 00f110:00010004 taken" 50 "$AGENT_PID" || fail "MTK 2 of MSK 4"
media 00010004 2 "$WORK/p6"
wait_payload 20000 || fail "payload after MSK 4"
cat "$WORK/p6" >>"$WORK/want"
cmp -s "$WORK/want" "$U1/payload.bin" || fail "payload under MSK 4 differs"
ok "offline during a rotation: back online, the MKI of MSK 4 started the missed key update; recovered"

# ---- subscription withdrawn: an MTK message names MSK 5 (not at the BM-SC; its key does not
# matter, the UE reads the MSK ID before any key); the missed key update gets item 401. The UE
# stays while MSK 4 is in use and leaves when it expires (superseded, unused for msk_grace_ms).
"$MBMSEC_BMSC" subscriber revoke --store "$BSTORE" --impi "$ALICE" --service-id "$SERVICE" || fail "revoke"
# The one deliberate BM-SC restart (same ports): the restarted BM-SC no longer knows the
# agent's B-TID and answers its next request with HTTP 401, which must make the agent bootstrap
# again and repeat the request (then item 401 for the withdrawn subscription). The running
# BM-SC sees the revocation without it (ext_bmsc_live_admin); the restart is only for this.
stop_pid "$BMSC_PID" || fail "BM-SC stop"
KEEP_PORTS=1 start_bmsc
mtk 00010004 3 3 # MSK 4 in use
wait_for "$AGENT_ERR" "MTK 3 of MSK 00f110:00010004 taken" 50 "$AGENT_PID" || fail "MTK 3 of MSK 4"
"$AGENT_SENDER" mtk "$UE_IP:$MTK_PORT" 00f110 00010005 "$(rnd 16)" 1 1 "$(rnd 16)" "$(rnd 14)" || fail "send"
# (asked by the missed key update, or already by the change-over's request for the MSK after 4)
wait_for "$AGENT_ERR" "msk-request APEQAAEABQ==: item 401" 50 "$AGENT_PID" || fail "no item 401"
grep -q "BM-SC refused the B-TID" "$AGENT_ERR" || fail "the restarted BM-SC's 401 for the old B-TID did not make the agent bootstrap again"
sleep 0.3
ST=$(agent_status "$U1")
grep -q "phase=active" <<<"$ST" || fail "left before the last MSK expired: $ST"
grep -q 'last_error="MSK request for Key Group 0001: item 401' <<<"$ST" || fail "last_error: $ST"
for i in 4 5 6; do # MSK 4 still in use, 3 x 1.5 s: longer than msk_grace_ms, yet the UE stays
  mtk 00010004 $i $i
  wait_for "$AGENT_ERR" "MTK $i of MSK 00f110:00010004 taken" 50 "$AGENT_PID" || fail "MTK $i of MSK 4"
  sleep 1.5
  grep -q "phase=active" <<<"$(agent_status "$U1")" || fail "left while MSK 4 was in use"
done
wait_status "$U1" "phase=left" 80 || fail "did not leave after MSK 4 expired: $(agent_status "$U1")"
grep -q 'reason="no valid MSK for Key Group 0001 (MSK request for Key Group 0001: item 401' <<<"$(agent_status "$U1")" ||
  fail "reason: $(agent_status "$U1")"
ok "withdrawn subscription: item 401, stayed while MSK 4 was in use, left when it expired"
