#!/usr/bin/env bash
# Zn over TLS: certificates from scripts/zn-certs (first run makes them), the BSF-side server
# listening for TLS only, the client dialling with TLS. Asserts: a BIR over TLS is answered with
# the table's Ks_NAF; the captured bytes on the wire do not contain the Ks_NAF (it is encrypted);
# a plain-TCP client and a client that trusts another certificate get no answer (3002).
# Needs root for the capture part (skipped, not failed, without it).
set -euo pipefail
. "$(dirname "$0")/zn_lib.sh"
C="$WORK/certs"
bash "$SRCDIR/scripts/zn-certs" "$C" bsf.zn.test bmsc.zn.test other.zn.test >/dev/null \
  || fail "zn-certs"
bash "$SRCDIR/scripts/zn-certs" "$C" bsf.zn.test >/dev/null || fail "zn-certs second run"
[ -s "$C/bsf.zn.test.crt" ] && [ -s "$C/bmsc.zn.test.key" ] || fail "no certificates"
ok "certificates made on first run (CN = Identity), kept on the second"

SERVER_EXTRA=(--tls-cert "$C/bsf.zn.test.crt" --tls-key "$C/bsf.zn.test.key" --tls-ca "$C/bmsc.zn.test.crt")
start_server
ok "BSF up on port $PORT (TLS only)"

capture=0
if command -v tshark >/dev/null && [ "$(id -u)" = 0 ]; then
  timeout 60 tshark -i lo -f "tcp port $PORT" -w "$WORK/tls.pcap" >/dev/null 2>"$WORK/tshark.err" &
  TS=$!
  TEST_PIDS+=("$TS")
  wait_for "$WORK/tshark.err" "Capturing on" 100 "$TS" || fail "tshark did not start capturing"
  sleep 0.5
  capture=1
fi

client --tls-cert "$C/bmsc.zn.test.crt" --tls-key "$C/bmsc.zn.test.key" --tls-ca "$C/bsf.zn.test.crt" \
  "$BTID_ALICE" >"$WORK/tls.out" || fail "TLS client exited with $?"
grep -q "^btid=$(hexs "$BTID_ALICE") rc=MBMSEC_OK result=2001 exp=0 impi=$(hexs "$IMPI_ALICE") ks_naf=$KS_ALICE " \
  "$WORK/tls.out" || fail "TLS BIR: $(cat "$WORK/tls.out")"
ok "BIR over TLS answered with the table's Ks_NAF"

if [ $capture = 1 ]; then
  sleep 0.5
  stop_pid "$TS" || true
  [ -s "$WORK/tls.pcap" ] || fail "empty capture"
  "$PY" - "$WORK/tls.pcap" "$KS_ALICE" "$BTID_ALICE" <<'PYEOF' || fail "Ks_NAF or B-TID visible on the wire"
import sys
data = open(sys.argv[1], "rb").read()
if len(data) < 1000:
    sys.exit("capture too small to hold a TLS exchange")
for secret in (bytes.fromhex(sys.argv[2]), sys.argv[3].encode()):
    if secret in data:
        sys.exit("found in clear: %r" % secret[:16])
PYEOF
  ok "captured bytes hold neither the Ks_NAF nor the B-TID in clear"
fi

client --open-timeout 1500 --timeout 1500 "$BTID_ALICE" >"$WORK/plain.out" || fail "plain client exited with $?"
grep -q " result=3002 " "$WORK/plain.out" || fail "plain TCP client against TLS: $(cat "$WORK/plain.out")"
ok "plain-TCP client refused (3002)"

client --open-timeout 1500 --timeout 1500 --tls-cert "$C/bmsc.zn.test.crt" --tls-key "$C/bmsc.zn.test.key" \
  --tls-ca "$C/other.zn.test.crt" "$BTID_ALICE" >"$WORK/wrongca.out" || fail "wrong-CA client exited with $?"
grep -q " result=3002 " "$WORK/wrongca.out" || fail "client trusting another certificate: $(cat "$WORK/wrongca.out")"
ok "client that does not trust the BSF's certificate gets no answer (3002)"
echo PASS
