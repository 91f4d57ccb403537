#!/usr/bin/env bash
# mbmsec-bmsc end to end on loopback: a real mbmsec-bsf (subscriber provisioned with its admin
# command), mbmsec-bmsc with Zn to it, and a UE made of mbmsec-ue (bootstrap: B-TID, MRK, MUK),
# curl (the Ua POSTs from 127.0.0.5, the UE's own address, P6), `mbmsec digest` (Authorization
# and rspauth computed here, not by the code under test), python3 (the UE's MIKEY socket) and
# `mbmsec mikey decode / build-verification` (the MSK message checked and answered).
# Every process started here is killed on exit; every wait is bounded.
set -u
: "${BMSC:?BMSC must name mbmsec-bmsc}" "${MBMSEC:?MBMSEC must name the mbmsec tool}" "${PY:=/usr/bin/python3}"
[ -x "$PY" ] || { echo "SKIP: python3 not installed"; exit 77; }

TEST_NAME=bmsc-test
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/daemons.sh"
need_built BSF UE
need_tools curl base64 od timeout
hexb64() { "$PY" -c 'import sys,base64; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$1"; }

BSF_FQDN=bsf.test.example.org
NAF=bmsc.test.example.org
REALM="3GPP-bootstrapping@$NAF"
UE_IP=127.0.0.5
K=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')
OPC=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')
ALICE="alice@ims.mnc001.mcc001.3gppnetwork.org"

# ---- usage errors and --help
"$BMSC" run --help | grep -q -- "--ue-mikey-port" || fail "run --help"
"$BMSC" --help | grep -q "ue" || fail "--help"
"$BMSC" run --listen nowhere 2>/dev/null; [ $? = 2 ] || fail "bad --listen not a usage error"
"$BMSC" run --mcc 1 2>/dev/null; [ $? = 2 ] || fail "bad --mcc not a usage error"
"$BMSC" run --bogus 2>/dev/null; [ $? = 2 ] || fail "unknown option not a usage error"
config_refused "$BMSC" '[bmsc]\nfqdn = a.example\nbogus = 1\n' "3: unknown key 'bogus'"
config_refused "$BMSC" '[zn]\nlisten = 127.0.0.1:1\n' "2: listen belongs in [bmsc]"
ok "usage errors and --help"

# ---- the BSF with one subscriber
"$BSF" subscriber add --store "sqlite:$WORK/bsf.db" --impi "$ALICE" --k "$K" --opc "$OPC" --uss 4 ||
  fail "bsf subscriber add"
start_bsf
ok "mbmsec-bsf on $BP (Zn $ZP)"

# ---- BM-SC provisioning: news (Key Group 0001, alice subscribed), sport (0002, nobody)
"$BMSC" service add --store "$BSTORE" --service-id urn:example:mbms:news --key-group 0001 --msk-lifetime 3600 || fail "service add news"
"$BMSC" service add --store "$BSTORE" --service-id urn:example:mbms:sport --key-group 0002 || fail "service add sport"
"$BMSC" service add --store "$BSTORE" --service-id urn:example:mbms:news --key-group 0001 2>/dev/null && fail "duplicate service accepted"
"$BMSC" service add --store "$BSTORE" --service-id x --key-group 01 2>/dev/null; [ $? = 2 ] || fail "short key group not a usage error"
"$BMSC" subscriber grant --store "$BSTORE" --impi "$ALICE" --service-id urn:example:mbms:news || fail "grant"
"$BMSC" subscriber grant --store "$BSTORE" --impi "$ALICE" --service-id urn:example:mbms:nothing 2>/dev/null && fail "grant of an unknown service"
"$BMSC" subscriber grant --store "$BSTORE" --impi bob@x --service-id urn:example:mbms:sport || fail "grant bob"
"$BMSC" subscriber revoke --store "$BSTORE" --impi bob@x --service-id urn:example:mbms:sport || fail "revoke bob"
SL=$("$BMSC" service list --store "$BSTORE") || fail "service list"
grep -q "service_id=urn:example:mbms:news kdid=00f110 msk_lifetime=3600 key_group=0001 current=1 next=2" <<<"$SL" || fail "service list: $SL"
"$BMSC" service list --store "$BSTORE" --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==2 and d[0]["key_groups"][0]["current"]==1, d' || fail "service list --json"
ok "service add/list, subscriber grant/revoke"

# ---- the BM-SC (config file; options override it)
UE_PORT=$(free_port)
BMSC_INI="mikey-retx-first-ms = 3000
log-level = debug"
start_bmsc --log-level info
grep -q "ue_mikey_port=$UE_PORT" "$WORK/bmsc.err" || fail "config file not applied"
grep -q "level=debug" "$WORK/bmsc.err" && fail "--log-level info did not override the config file"
grep -q "Zn peer not connected" "$WORK/bmsc.err" && fail "Zn to the BSF did not open"
ok "mbmsec-bmsc on $HP (admin $AP) from the config file, Zn open"

# ---- the UE: bootstrap with the BSF, keys for this NAF
timeout 30 "$UE" usim init --usim "$WORK/usim" --k "$K" --opc "$OPC" >/dev/null 2>"$WORK/ue.err" || fail "usim init"
out=$(timeout 30 "$UE" bootstrap --bsf "http://127.0.0.1:$BP/" --realm "$BSF_FQDN" --impi "$ALICE" \
  --usim "$WORK/usim" --state "$WORK/state" --naf-fqdn "$NAF" --show-keys 2>"$WORK/ue.err") || fail "bootstrap"
BTID=$(field "$out" btid) MRK=$(field "$out" mrk) MUK=$(field "$out" muk)
[ -n "$BTID" ] && [ ${#MRK} = 64 ] && [ ${#MUK} = 64 ] || fail "bootstrap output: $out"
PASS=$(hexb64 "$MRK")
ok "UE bootstrapped: $BTID"


hdr() { awk -v n="$1" '{ sub(/\r$/, "") } tolower($0) ~ "^" tolower(n) ":" { sub(/^[^:]*: */, ""); print }' "$WORK/h"; }
# post TYPE BODYFILE [AUTH] [CONTENT-TYPE]: prints the status; headers in $WORK/h, body in $WORK/b
post() {
  local ct=${4:-}
  if [ -z "$ct" ]; then
    case $1 in register) ct=application/mbms-register+xml ;; deregister) ct=application/mbms-deregister+xml ;;
      *) ct=application/mbms-msk+xml ;; esac
  fi
  curl -s -m 10 --interface "$UE_IP" -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' \
    -A "mbmsec-test 3gpp-gba" -H "Content-Type: $ct" ${3:+-H "Authorization: $3"} \
    --data-binary @"$2" "http://127.0.0.1:$HP/keymanagement?requesttype=$1"
}
# challenge TYPE BODYFILE: a 401 with SHA-256 then MD5; sets NONCE, OPAQUE
challenge() {
  local st w
  st=$(post "$1" "$2") || fail "curl"
  [ "$st" = 401 ] || fail "request without Authorization: status $st"
  w=$(hdr WWW-Authenticate)
  [ "$(wc -l <<<"$w")" = 2 ] || fail "want two challenges: $w"
  head -1 <<<"$w" | grep -q "algorithm=SHA-256" || fail "first challenge not SHA-256: $w"
  tail -1 <<<"$w" | grep -q "algorithm=MD5" || fail "second challenge not MD5: $w"
  grep -q 'qop="auth-int"' <<<"$w" && grep -q "realm=\"$REALM\"" <<<"$w" || fail "challenge: $w"
  NONCE=$(head -1 <<<"$w" | sed -n 's/.*nonce="\([^"]*\)".*/\1/p')
  OPAQUE=$(head -1 <<<"$w" | sed -n 's/.*opaque="\([^"]*\)".*/\1/p')
}
# auth TYPE BODYFILE NC [USER] [ALG]: the Authorization value (digest over BODYFILE)
auth() {
  local user=${4:-$BTID} alg=${5:-SHA-256} d
  d=$("$MBMSEC" digest --algorithm "$alg" --qop auth-int --username "$user" --realm "$REALM" \
    --password "$PASS" --method POST --uri "/keymanagement?requesttype=$1" --nonce "$NONCE" \
    --nc "$3" --cnonce c0ffee42 --body-file "$2") || fail "mbmsec digest"
  printf 'Digest username="%s", realm="%s", nonce="%s", uri="/keymanagement?requesttype=%s", algorithm=%s, qop=auth-int, nc=%s, cnonce="c0ffee42", response="%s"%s' \
    "$user" "$REALM" "$NONCE" "$1" "$alg" "$3" "$(field "$d" response)" "${OPAQUE:+, opaque=\"$OPAQUE\"}"
}
# check_rspauth TYPE BODYFILE NC [ALG]: Authentication-Info of the 200 in $WORK/h, $WORK/b
check_rspauth() {
  local ai want
  ai=$(hdr Authentication-Info)
  want=$(field "$("$MBMSEC" digest --algorithm "${4:-SHA-256}" --qop auth-int --username "$BTID" --realm "$REALM" \
    --password "$PASS" --method POST --uri "/keymanagement?requesttype=$1" --nonce "$NONCE" \
    --nc "$3" --cnonce c0ffee42 --body-file "$2" --response-body-file "$WORK/b")" rspauth)
  grep -q "rspauth=\"$want\"" <<<"$ai" && grep -q 'cnonce="c0ffee42"' <<<"$ai" &&
    grep -q "nc=$3" <<<"$ai" && grep -q "qop=auth-int" <<<"$ai" || fail "Authentication-Info '$ai', want rspauth $want"
}
metric() { curl -s -m 5 "http://127.0.0.1:$AP/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }

cat >"$WORK/reg.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<mbmsUserServiceRegistration xmlns="urn:3GPP:metadata:2005:MBMS:userServiceRegistration">
  <serviceId>urn:example:mbms:news</serviceId>
  <serviceId>urn:example:mbms:sport</serviceId>
</mbmsUserServiceRegistration>
EOF
# Key Domain 00 F1 10 (MCC 001, MNC 01): Key Group 1 key number 0 (P15 "the current"),
# Key Group 1 key number 3 (above the newest: 204), Key Group 3 (no service: 404)
"$PY" -c 'import base64; print("\n".join("  <keyId>%s</keyId>" % base64.b64encode(bytes.fromhex(h)).decode() for h in ("00f11000010000", "00f11000010003", "00f11000030001")))' >"$WORK/keys"
{ echo '<?xml version="1.0" encoding="UTF-8"?>'; echo '<mskRequest xmlns="urn:3GPP:metadata:2005:MBMS:mskRequest">'
  cat "$WORK/keys"; echo '</mskRequest>'; } >"$WORK/msk.xml"

# ---- the UE's MIKEY socket (P6: its own address, the configured port): logs every datagram
"$PY" - "$UE_IP" "$UE_PORT" "$WORK/mikey" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(1)
end = time.time() + 240
while time.time() < end:
    try:
        data, src = s.recvfrom(4096)
    except socket.timeout:
        continue
    with open(sys.argv[3], "a") as f:
        f.write("%s %d %s\n" % (src[0], src[1], data.hex()))
EOF
TEST_PIDS+=("$!")
SEEN=0
nlines() { if [ -f "$WORK/mikey" ]; then wc -l <"$WORK/mikey"; else echo 0; fi; }
# answer_mikey N: waits for N more MSK messages; checks each (MAC under MUK, one key) and
# answers it with a verification message to the message's source address and port
answer_mikey() {
  local want=$((SEEN + $1)) i src sport msg dec ver
  for i in $(seq 100); do [ "$(nlines)" -ge "$want" ] && break; sleep 0.1; done
  [ "$(nlines)" -ge "$want" ] || fail "want $want MIKEY messages on $UE_IP:$UE_PORT, got $(nlines)"
  for i in $(seq $((SEEN + 1)) "$want"); do
    read -r src sport msg < <(sed -n "${i}p" "$WORK/mikey")
    [ "$src" = 127.0.0.1 ] || fail "MIKEY from $src"
    dec=$("$MBMSEC" mikey decode --muk "$MUK" --hex "$msg" --json) || fail "mikey decode"
    "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["mac_ok"] is True, d; assert len(d["keys"]) == 1 and len(d["keys"][0]["key"]) == 32, d' "$dec" ||
      fail "MSK message: $dec"
    ver=$("$MBMSEC" mikey build-verification --muk "$MUK" --msk-msg "$msg") || fail "build-verification"
    "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 0)); s.sendto(bytes.fromhex(sys.argv[4]), (sys.argv[2], int(sys.argv[3])))' \
      "$UE_IP" "$src" "$sport" "$ver" || fail "send verification"
  done
  SEEN=$want
}
wait_metric() {
  local i
  for i in $(seq 50); do [ "$(metric "$1")" = "$2" ] && return 0; sleep 0.1; done
  fail "$1 = $(metric "$1"), want $2"
}

# ---- register: 401 with two challenges, then 200 with rspauth; news 200, sport 401
challenge register "$WORK/reg.xml"
st=$(post register "$WORK/reg.xml" "$(auth register "$WORK/reg.xml" 00000001)")
[ "$st" = 200 ] || fail "register: status $st"
check_rspauth register "$WORK/reg.xml" 00000001
hdr Content-Type | grep -q "application/mbms-register-response+xml" || fail "register response type"
"$PY" - "$WORK/b" <<'EOF' || fail "register items: $(cat "$WORK/b")"
import sys, xml.etree.ElementTree as ET
ns = "{urn:3GPP:metadata:2005:MBMS:userServiceRegistrationResponse}"
codes = {i.text: s.get("code") for s in ET.parse(sys.argv[1]).getroot() for i in s}
assert codes == {"urn:example:mbms:news": "200", "urn:example:mbms:sport": "401"}, codes
EOF
answer_mikey 2
wait_metric mbmsec_bmsc_mikey_acked_total 2
ok "register: 401 SHA-256 then MD5, 200 with a valid rspauth; news 200 (current + next MSK over MIKEY, verified), sport 401 (not subscribed)"

# ---- nc replay on the same nonce -> 401 stale; MD5 accepted
st=$(post register "$WORK/reg.xml" "$(auth register "$WORK/reg.xml" 00000001)")
[ "$st" = 401 ] && hdr WWW-Authenticate | grep -q "stale=true" || fail "nc replay: $st $(hdr WWW-Authenticate)"
challenge register "$WORK/reg.xml"
st=$(post register "$WORK/reg.xml" "$(auth register "$WORK/reg.xml" 00000001 "$BTID" MD5)")
[ "$st" = 200 ] || fail "MD5: status $st"
check_rspauth register "$WORK/reg.xml" 00000001 MD5
answer_mikey 2
ok "nc replay -> 401 stale=true; MD5 works too"

# ---- hostile: tampered body, unknown B-TID, wrong content type, malformed XML
challenge register "$WORK/reg.xml"
sed 's/news/other/' "$WORK/reg.xml" >"$WORK/reg2.xml"
st=$(post register "$WORK/reg2.xml" "$(auth register "$WORK/reg.xml" 00000001)")
[ "$st" = 401 ] && ! hdr WWW-Authenticate | grep -q stale || fail "tampered body: $st"
challenge register "$WORK/reg.xml"
st=$(post register "$WORK/reg.xml" "$(auth register "$WORK/reg.xml" 00000001 "nobody@$BSF_FQDN")")
[ "$st" = 401 ] && ! hdr WWW-Authenticate | grep -q stale || fail "unknown B-TID: $st"
challenge register "$WORK/reg.xml"
st=$(post register "$WORK/reg.xml" "$(auth register "$WORK/reg.xml" 00000001)" text/xml)
[ "$st" = 400 ] || fail "wrong Content-Type: $st"
printf '<oops' >"$WORK/bad.xml"
st=$(post register "$WORK/bad.xml" "$(auth register "$WORK/bad.xml" 00000002)")
[ "$st" = 400 ] || fail "malformed XML: $st"
st=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/other"); [ "$st" = 404 ] || fail "other path: $st"
[ "$(metric 'mbmsec_bmsc_digest_failures_total{reason="digest-mismatch"}')" -ge 1 ] || fail "mismatch metric"
[ "$(metric 'mbmsec_bmsc_digest_failures_total{reason="btid-unknown"}')" -ge 1 ] || fail "btid-unknown metric"
[ "$(metric 'mbmsec_bmsc_http_requests_total{status="400"}')" -ge 2 ] || fail "400 metric"
ok "tampered body -> 401, unknown B-TID -> 401 without stale, wrong type / bad XML -> 400; metrics moved"

# ---- msk-request: current -> 200 + 2 MSKs; above the newest -> 204; unused Key Group -> 404
msk_request() {
  challenge msk-request "$WORK/msk.xml"
  st=$(post msk-request "$WORK/msk.xml" "$(auth msk-request "$WORK/msk.xml" 00000001)")
  [ "$st" = 200 ] || fail "msk-request: status $st"
  check_rspauth msk-request "$WORK/msk.xml" 00000001
  hdr Content-Type | grep -q "application/mbms-msk-response+xml" || fail "msk response type"
  "$PY" - "$WORK/b" <<'EOF' || fail "msk items: $(cat "$WORK/b")"
import sys, base64, xml.etree.ElementTree as ET
codes = {base64.b64decode(k.text).hex(): s.get("code") for s in ET.parse(sys.argv[1]).getroot() for k in s}
assert codes == {"00f11000010000": "200", "00f11000010003": "204", "00f11000030001": "404"}, codes
EOF
  answer_mikey 2
}
msk_request
wait_metric mbmsec_bmsc_mikey_acked_total 6
"$BMSC" ue list --admin "127.0.0.1:$AP" | grep "btid=$BTID" | grep -q "msk_id=00010001 state=delivered" ||
  fail "ue list: $("$BMSC" ue list --admin "127.0.0.1:$AP")"
"$BMSC" ue list --admin "127.0.0.1:$AP" --json |
  "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert d[0]["addr"]=="127.0.0.5" and all(x["state"]=="delivered" for x in d[0]["deliveries"]), d' ||
  fail "ue list --json"
[ "$(metric mbmsec_bmsc_mikey_sent_total)" = 6 ] && [ "$(metric mbmsec_bmsc_ues)" = 1 ] || fail "sent/ues metrics"
[ "$(metric mbmsec_bmsc_registrations_total)" -ge 2 ] || fail "registrations metric"
ok "msk-request: current -> 200 (2 MSKs, verified), above the newest -> 204, unused Key Group -> 404; ue list: delivered"

# ---- SIGTERM: exit 0; after a restart on the same store the registration holds
stop_pid "$BMSC_PID" || fail "SIGTERM: not a clean exit"
grep -q "msg=stopped" "$WORK/bmsc.err" || fail "no 'stopped' line"
grep -qi "$MUK" "$WORK/bmsc.err" && fail "MUK in the log without --log-keys"
start_bmsc --log-level info --nonce-lifetime 3 --log-keys
msk_request # items need a registration (401 otherwise)
ok "SIGTERM -> exit 0, no key material logged; after a restart the registration holds (msk-request 200)"
grep -q "muk=$MUK" "$WORK/bmsc.err" || fail "--log-keys: no MUK in the log"
challenge msk-request "$WORK/msk.xml"
sleep 4
st=$(post msk-request "$WORK/msk.xml" "$(auth msk-request "$WORK/msk.xml" 00000001)")
[ "$st" = 401 ] && hdr WWW-Authenticate | grep -q "stale=true" || fail "expired nonce: $st $(hdr WWW-Authenticate)"
ok "--log-keys logs the MUK; a nonce older than --nonce-lifetime -> 401 stale=true"

# ---- deregister news: then the msk-request item is 401 (not registered)
cat >"$WORK/dereg.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<mbmsUserServiceDeregistration xmlns="urn:3GPP:metadata:2005:MBMS:userServiceDeregistration">
  <serviceId>urn:example:mbms:news</serviceId>
</mbmsUserServiceDeregistration>
EOF
challenge deregister "$WORK/dereg.xml"
st=$(post deregister "$WORK/dereg.xml" "$(auth deregister "$WORK/dereg.xml" 00000001)")
[ "$st" = 200 ] && grep -q 'code="200"' "$WORK/b" || fail "deregister: $st $(cat "$WORK/b")"
check_rspauth deregister "$WORK/dereg.xml" 00000001
challenge msk-request "$WORK/msk.xml"
st=$(post msk-request "$WORK/msk.xml" "$(auth msk-request "$WORK/msk.xml" 00000001)")
[ "$st" = 200 ] && grep -q 'code="401"' "$WORK/b" || fail "msk-request after deregister: $st $(cat "$WORK/b")"
ok "deregister -> 200, then the msk-request items 401"

# ---- P13: register again and leave the MSK messages unanswered: retransmitted after 3 s
before=$(nlines)
challenge register "$WORK/reg.xml"
st=$(post register "$WORK/reg.xml" "$(auth register "$WORK/reg.xml" 00000001)")
[ "$st" = 200 ] || fail "register again: $st"
for i in $(seq 80); do [ "$(metric mbmsec_bmsc_mikey_retransmitted_total)" -ge 2 ] && break; sleep 0.1; done
[ "$(metric mbmsec_bmsc_mikey_retransmitted_total)" -ge 2 ] || fail "no retransmission"
for i in $(seq 20); do [ "$(nlines)" -ge $((before + 4)) ] && break; sleep 0.1; done
[ "$(nlines)" -ge $((before + 4)) ] || fail "retransmissions did not reach the UE"
"$BMSC" ue list --admin "127.0.0.1:$AP" | grep -q "state=pending" || fail "ue list: not pending"
stop_pid "$BMSC_PID" || fail "second SIGTERM: not a clean exit"
ok "unanswered MSK messages retransmitted (P13), deliveries pending; SIGTERM -> exit 0"
exit 0
