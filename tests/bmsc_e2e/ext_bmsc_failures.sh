#!/usr/bin/env bash
# Ua failures and per-item status mixes end to end on loopback (what ext_bmsc.sh does not
# cover): a real mbmsec-bsf (Ks lifetime 8 s) and mbmsec-bmsc; the UEs are mbmsec-ue
# (bootstrap, register) and curl, whose Authorization and expected rspauth come from
# tests/ref/digest.py (python3 hashlib only: shares no code with the daemon). Checks: a body
# over 64 KiB -> 413; a subscriber whose USS lacks MBMS (BSF answers Zn 5402) -> 403; one
# msk-request with items 200 + 401 (not subscribed) + 404 (unknown Key Group) + 400 (bad keyId)
# + 204 (P15: key number above every stored one), rspauth over it verified; one register with
# 200 + 401 + 404 + 400 items; every response body valid under schemas/*.xsd (xmllint); an
# expired B-TID -> 401 (no stale), bootstrap again -> 200.
set -u
: "${BMSC:?BMSC must name mbmsec-bmsc}" "${PY:=/usr/bin/python3}"
[ -x "$PY" ] || { echo "SKIP: python3 not installed"; exit 77; }

TEST_NAME=bmsc-failures
. "$(dirname "$0")/../lib/common.sh"
need_built BSF UE
need_tools curl od timeout xmllint head
SRC=$(cd "$(dirname "$0")/../.." && pwd)
REF_DIGEST="$SRC/tests/ref/digest.py"
SCHEMAS="$SRC/schemas"
hexb64() { "$PY" -c 'import sys,base64; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$1"; }

. "$(dirname "$0")/bmsc_env.sh"
REALM="3GPP-bootstrapping@$NAF"
UE_IP=127.0.0.7
ALICE="alice@ims.mnc001.mcc001.3gppnetwork.org" BOB="bob@ims.mnc001.mcc001.3gppnetwork.org"
KA=$(bmsc_env_key) OA=$(bmsc_env_key) KB=$(bmsc_env_key) OB=$(bmsc_env_key)
bmsc_env_subscriber "$ALICE" "$KA" "$OA" 4
bmsc_env_subscriber "$BOB" "$KB" "$OB" 1
bmsc_env_bsf --lifetime 8
"$BMSC" service add --store "$BSTORE" --service-id urn:example:mbms:news --key-group 0001 --msk-lifetime 3600 >/dev/null || fail "service news"
"$BMSC" service add --store "$BSTORE" --service-id urn:example:mbms:sport --key-group 0002 --msk-lifetime 3600 >/dev/null || fail "service sport"
for i in "$ALICE" "$BOB"; do
  "$BMSC" subscriber grant --store "$BSTORE" --impi "$i" --service-id urn:example:mbms:news || fail "grant $i"
done
bmsc_env_bmsc
ok "mbmsec-bsf (Ks lifetime 8 s), mbmsec-bmsc"

hdr() { awk -v n="$1" '{ sub(/\r$/, "") } tolower($0) ~ "^" tolower(n) ":" { sub(/^[^:]*: */, ""); print }' "$WORK/h"; }
post() { # post TYPE BODYFILE [AUTH]: prints the status; headers in $WORK/h, body in $WORK/b
  local ct
  case $1 in register) ct=application/mbms-register+xml ;; *) ct=application/mbms-msk+xml ;; esac
  curl -s -m 10 --interface "$UE_IP" -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' \
    -H "Content-Type: $ct" ${3:+-H "Authorization: $3"} \
    --data-binary @"$2" "http://127.0.0.1:$HP/keymanagement?requesttype=$1"
}
challenge() { # sets NONCE, OPAQUE from the SHA-256 challenge
  local st w
  st=$(post "$1" "$2") || fail "curl"
  [ "$st" = 401 ] || fail "request without Authorization: status $st"
  w=$(hdr WWW-Authenticate | head -1)
  NONCE=$(sed -n 's/.*nonce="\([^"]*\)".*/\1/p' <<<"$w")
  OPAQUE=$(sed -n 's/.*opaque="\([^"]*\)".*/\1/p' <<<"$w")
}
ref() { # ref TYPE BODYFILE NC [RESPONSE-BODY-FILE]: the python reference's lines
  "$PY" "$REF_DIGEST" --algorithm SHA-256 --qop auth-int --username "$BTID" --realm "$REALM" \
    --password "$PASS" --method POST --uri "/keymanagement?requesttype=$1" --nonce "$NONCE" \
    --nc "$3" --cnonce 5eed5eed --body-file "$2" ${4:+--response-body-file "$4"}
}
auth() {
  printf 'Digest username="%s", realm="%s", nonce="%s", uri="/keymanagement?requesttype=%s", algorithm=SHA-256, qop=auth-int, nc=%s, cnonce="5eed5eed", response="%s"%s' \
    "$BTID" "$REALM" "$NONCE" "$1" "$3" "$(field "$(ref "$1" "$2" "$3")" response)" "${OPAQUE:+, opaque=\"$OPAQUE\"}"
}
check_rspauth() { # check_rspauth TYPE BODYFILE NC: Authentication-Info of the 200 vs the reference
  local ai want
  ai=$(hdr Authentication-Info)
  want=$(field "$(ref "$1" "$2" "$3" "$WORK/b")" rspauth)
  [ ${#want} = 64 ] && grep -q "rspauth=\"$want\"" <<<"$ai" || fail "Authentication-Info '$ai', reference rspauth $want"
}
valid() { # valid SCHEMA: $WORK/b valid under schemas/SCHEMA
  cp "$WORK/b" "$WORK/body-$2.xml"
  xmllint --noout --nonet --schema "$SCHEMAS/$1" "$WORK/body-$2.xml" 2>"$WORK/xmllint.out" ||
    fail "$2 body not valid under $1: $(cat "$WORK/xmllint.out") $(cat "$WORK/b")"
}
boot() { # boot IMPI USIM K OPC: sets BTID, PASS (state in $WORK/state-USIM)
  bmsc_env_bootstrap "$WORK/$2" "$WORK/state-$2" "$1" "$3" "$4" --show-keys
  PASS=$(hexb64 "$(field "$BOOT_OUT" mrk)")
  [ -n "$PASS" ] || fail "bootstrap output: $BOOT_OUT"
}

# ---- 413: a body over 64 KiB, refused before authentication
head -c 70000 /dev/zero | tr '\0' a >"$WORK/big"
st=$(post msk-request "$WORK/big")
[ "$st" = 413 ] || fail "oversize body: $st"
ok "a 70000-octet body -> 413"

# ---- 403: bob's USS lacks MBMS (GSID 4), the BSF answers Zn 5402
boot "$BOB" usim-bob "$KB" "$OB"
out=$(timeout 30 "$UE" register --bmsc "http://127.0.0.1:$HP/" --naf-fqdn "$NAF" --state "$WORK/state-usim-bob" \
  --bind "$UE_IP" --service-id urn:example:mbms:news 2>"$WORK/ue.err")
[ $? = 1 ] && grep -q "MBMSEC_ERR_UE_REFUSED" "$WORK/ue.err" || fail "bob: want a refusal: $out $(cat "$WORK/ue.err")"
grep 'requesttype=register' "$WORK/bmsc.err" | grep -q "status=403" || fail "bob: no 403 in the BM-SC log"
grep -q "result=5402" "$WORK/bmsc.err" "$WORK/bsf.err" || fail "no Zn 5402 in the logs"
ok "subscriber without MBMS in the USS: Zn 5402 -> 403"

# ---- alice: one register with 200 + 401 + 404 + 400
boot "$ALICE" usim-alice "$KA" "$OA"
cat >"$WORK/reg.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<mbmsUserServiceRegistration xmlns="urn:3GPP:metadata:2005:MBMS:userServiceRegistration">
  <serviceId>urn:example:mbms:news</serviceId>
  <serviceId>urn:example:mbms:sport</serviceId>
  <serviceId>urn:example:mbms:none</serviceId>
  <serviceId></serviceId>
</mbmsUserServiceRegistration>
EOF
challenge register "$WORK/reg.xml"
st=$(post register "$WORK/reg.xml" "$(auth register "$WORK/reg.xml" 00000001)")
[ "$st" = 200 ] || fail "register: $st $(cat "$WORK/b")"
check_rspauth register "$WORK/reg.xml" 00000001
valid mbms-register-response.xsd register-mixed
"$PY" - "$WORK/b" <<'EOF' || fail "register items: $(cat "$WORK/b")"
import sys, xml.etree.ElementTree as ET
codes = {(i.text or ""): s.get("code") for s in ET.parse(sys.argv[1]).getroot() for i in s}
assert codes == {"urn:example:mbms:news": "200", "urn:example:mbms:sport": "401",
                 "urn:example:mbms:none": "404", "": "400"}, codes
EOF
ok "register: 200 + 401 + 404 + 400 in one response; rspauth = python reference; body schema-valid"

# ---- one msk-request with 200 + 401 + 404 + 400 + 204 (P15)
K200=$(hexb64 00f11000010000) K401=$(hexb64 00f11000020001) K404=$(hexb64 00f11000030001)
K204=$(hexb64 00f11000010009)
cat >"$WORK/msk.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<mskRequest xmlns="urn:3GPP:metadata:2005:MBMS:mskRequest">
  <keyId>$K200</keyId>
  <keyId>$K401</keyId>
  <keyId>$K404</keyId>
  <keyId>AAAA</keyId>
  <keyId>$K204</keyId>
</mskRequest>
EOF
challenge msk-request "$WORK/msk.xml"
st=$(post msk-request "$WORK/msk.xml" "$(auth msk-request "$WORK/msk.xml" 00000001)")
[ "$st" = 200 ] || fail "msk-request: $st $(cat "$WORK/b")"
check_rspauth msk-request "$WORK/msk.xml" 00000001
valid mbms-msk-response.xsd msk-mixed
"$PY" - "$WORK/b" <<'EOF' || fail "msk items: $(cat "$WORK/b")"
import sys, base64, xml.etree.ElementTree as ET
codes = {}
for s in ET.parse(sys.argv[1]).getroot():
    for k in s:
        codes[k.text] = s.get("code")
want = {"00f11000010000": "200", "00f11000020001": "401", "00f11000030001": "404",
        "00f11000010009": "204"}
got = {base64.b64decode(k).hex(): c for k, c in codes.items() if k != "AAAA"}
assert got == want and codes.get("AAAA") == "400", codes
EOF
# A nextnonce request with nc 2 on the same nonce: the 204 alone
cat >"$WORK/msk204.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<mskRequest xmlns="urn:3GPP:metadata:2005:MBMS:mskRequest">
  <keyId>$K204</keyId>
</mskRequest>
EOF
st=$(post msk-request "$WORK/msk204.xml" "$(auth msk-request "$WORK/msk204.xml" 00000002)")
[ "$st" = 200 ] && grep -q 'code="204"' "$WORK/b" || fail "msk-request 204 alone: $st $(cat "$WORK/b")"
check_rspauth msk-request "$WORK/msk204.xml" 00000002
valid mbms-msk-response.xsd msk-204
ok "msk-request: 200 + 401 + 404 + 400 + 204 in one response, 204 alone; rspauth = python reference; bodies schema-valid"

# ---- the B-TID expires (Ks lifetime 8 s): 401 without stale, then bootstrap again -> 200
EXPIRED_BTID=$BTID
sleep 9
challenge msk-request "$WORK/msk204.xml"
st=$(post msk-request "$WORK/msk204.xml" "$(auth msk-request "$WORK/msk204.xml" 00000001)")
[ "$st" = 401 ] || fail "expired B-TID: $st"
hdr WWW-Authenticate | grep -q "stale=true" && fail "expired B-TID answered stale=true"
boot "$ALICE" usim-alice "$KA" "$OA"
[ "$BTID" != "$EXPIRED_BTID" ] || fail "bootstrap again gave the same B-TID"
challenge msk-request "$WORK/msk.xml"
st=$(post msk-request "$WORK/msk.xml" "$(auth msk-request "$WORK/msk.xml" 00000001)")
[ "$st" = 200 ] && grep -q 'code="200"' "$WORK/b" || fail "after bootstrap again: $st $(cat "$WORK/b")"
check_rspauth msk-request "$WORK/msk.xml" 00000001
valid mbms-msk-response.xsd msk-after-bootstrap
stop_pid "$BMSC_PID" || fail "SIGTERM: not a clean exit"
ok "expired B-TID -> 401 (not stale), bootstrap again -> 200"
exit 0
