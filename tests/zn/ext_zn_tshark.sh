#!/usr/bin/env bash
# Zn on the wire, decoded by tshark (an independent Diameter dissector): one successful BIR/BIA
# and one failing (unknown B-TID) captured on lo. Asserts command code 310, application
# 16777220, P flag on request and answer (R only on the request), Transaction-Identifier =
# B-TID, NAF-Id (tshark: NAF-Hostname) = hex(FQDN) || 0100000001, ME-Key-Material = the
# table's 32-octet Ks_NAF, Result-Code 2001, and Experimental-Result-Code 5403 for the failure.
# Skipped (77) without tshark or without the right to capture (needs root / CAP_NET_RAW).
set -euo pipefail
command -v tshark >/dev/null || { echo "SKIP: no tshark"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: capturing on lo needs root"; exit 77; }
. "$(dirname "$0")/zn_lib.sh"

start_server
ok "BSF up on port $PORT"

timeout 60 tshark -i lo -f "tcp port $PORT" -w "$WORK/zn.pcap" >"$WORK/tshark.out" 2>"$WORK/tshark.err" &
TS=$!
TEST_PIDS+=("$TS")
wait_for "$WORK/tshark.err" "Capturing on" 100 "$TS" || fail "tshark did not start capturing"
sleep 0.5 # the capture filter is in place once tshark says so; a little margin

client "$BTID_ALICE" "$BTID_UNKNOWN" >"$WORK/client.out" || fail "client exited with $?"
sleep 0.5
stop_pid "$TS" || true
[ -s "$WORK/zn.pcap" ] || fail "empty capture"

tshark -r "$WORK/zn.pcap" -d "tcp.port==$PORT,diameter" -Y "diameter.cmd.code == 310" \
  -T fields -E separator=';' -e diameter.flags.request -e diameter.flags.proxyable \
  -e diameter.cmd.code -e diameter.applicationId -e diameter.Transaction-Identifier \
  -e diameter.NAF-Hostname -e diameter.ME-Key-Material -e diameter.Result-Code \
  -e diameter.Experimental-Result-Code >"$WORK/fields" 2>"$WORK/tshark-read.err" \
  || fail "tshark read"
cat "$WORK/fields"
[ "$(wc -l <"$WORK/fields")" -eq 4 ] || fail "want 4 Zn messages (2 BIR, 2 BIA) in the capture"

norm() { tr 'A-F' 'a-f' | tr -d ':'; }
flag() { case "$1" in 1|True|true) echo 1;; *) echo 0;; esac; }
naf_hex="$(hexs "$NAF_FQDN")0100000001"
n_req=0 n_ans=0 n_ok=0 n_5403=0
while IFS=';' read -r req prox code app tid naf key res expres; do
  [ "$code" = 310 ] || fail "command code $code"
  [ "$app" = 16777220 ] || fail "application $app"
  [ "$(flag "$prox")" = 1 ] || fail "P flag not set (request=$req)"
  if [ "$(flag "$req")" = 1 ]; then
    n_req=$((n_req + 1))
    t=$(printf '%s' "$tid" | norm)
    [ "$t" = "$(hexs "$BTID_ALICE")" ] || [ "$t" = "$(hexs "$BTID_UNKNOWN")" ] || fail "Transaction-Identifier $tid"
    [ "$(printf '%s' "$naf" | norm)" = "$naf_hex" ] || fail "NAF-Id $naf, want $naf_hex"
  else
    n_ans=$((n_ans + 1))
    if [ "$res" = 2001 ]; then
      [ "$(printf '%s' "$key" | norm)" = "$KS_ALICE" ] || fail "ME-Key-Material $key, want $KS_ALICE"
      [ ${#KS_ALICE} -eq 64 ] || fail "Ks_NAF length"
      n_ok=$((n_ok + 1))
    elif [ "$expres" = 5403 ]; then
      [ -z "$key" ] || fail "key material in a failure answer"
      n_5403=$((n_5403 + 1))
    else
      fail "answer with Result-Code '$res' Experimental-Result-Code '$expres'"
    fi
  fi
done <"$WORK/fields"
[ "$n_req" = 2 ] && [ "$n_ans" = 2 ] && [ "$n_ok" = 1 ] && [ "$n_5403" = 1 ] \
  || fail "requests $n_req answers $n_ans success $n_ok 5403 $n_5403"
# The success request carried the B-TID of the success answer's table entry.
norm <"$WORK/fields" | grep -q ";$(hexs "$BTID_ALICE");" || fail "success B-TID not seen"
ok "tshark: cmd 310, app 16777220, P flag on BIR and BIA, B-TID, MBMS NAF-Id, 32-octet Ks_NAF, 2001 and 5403"
stop_pid "$SRV" || fail "BSF did not stop cleanly"
echo "PASS"
