#!/usr/bin/env bash
# mbmsec-bsf end to end, against code we did not write where possible: the real daemon on free
# loopback ports with a temporary SQLite store; the Ub exchange with curl (Authorization from
# `mbmsec digest`, RES/CK/IK from `mbmsec milenage`, RAND and AUTN taken from the nonce);
# the AKA values cross-checked with osmo-auc-gen; rspauth and the BootstrappingInfo checked
# (xmllint); AUTS resynchronisation; hostile requests (the whole store unchanged), among them
# an unknown IMPI (401 decoy challenge; mbmsec-ue, when $UE names it, fails with a network
# authentication failure); then Zn with the zn_peer client:
# Ks_NAF equal to `mbmsec gba-ks-naf`, unknown B-TID -> 5403, USS without GSID 4 -> 5402.
# Every process started here is killed on exit; every wait is bounded.
set -u
: "${BSF:?BSF must name mbmsec-bsf}" "${MBMSEC:?MBMSEC must name the mbmsec tool}"
: "${ZN_PEER:?ZN_PEER must name the zn_peer test program}" "${PY:=/usr/bin/python3}"
for t in curl xmllint osmo-auc-gen base64 od; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

TEST_NAME=bsf-test
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/daemons.sh"
osmo_field() { printf '%s\n' "$1" | awk -F'\t' -v n="$2:" '$1 == n { print tolower($2) }'; }
b64hex() { printf '%s' "$1" | base64 -d | od -An -tx1 -v | tr -d ' \n'; }
hexb64() { printf '%s' "$1" | "$PY" -c 'import sys,base64; print(base64.b64encode(bytes.fromhex(sys.stdin.read())).decode())'; }
xor_hex() { "$PY" -c 'import sys; a,b=bytes.fromhex(sys.argv[1]),bytes.fromhex(sys.argv[2]); print(bytes(x^y for x,y in zip(a,b)).hex())' "$1" "$2"; }

FQDN=bsf.test.example.org
NAF=bmsc.test.example.org
STORE="sqlite:$WORK/bsf.db"
K=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')
OPC=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')
ALICE="alice@ims.mnc001.mcc001.3gppnetwork.org"
BOB="bob@ims.mnc001.mcc001.3gppnetwork.org"

# ---- provisioning and the admin commands
"$BSF" subscriber add --store "$STORE" --impi "$ALICE" --k "$K" --opc "$OPC" || fail "subscriber add alice"
"$BSF" subscriber add --store "$STORE" --impi "$BOB" --k "$K" --opc "$OPC" --uss 1 || fail "subscriber add bob"
"$BSF" subscriber add --store "$STORE" --impi "$BOB" --k "$K" --opc "$OPC" 2>/dev/null && fail "duplicate add accepted"
"$BSF" subscriber add --store "$STORE" --impi x --k 00 --opc "$OPC" 2>/dev/null; [ $? = 2 ] || fail "short K not a usage error"
"$BSF" subscriber add --store "$STORE" --impi carol@x --k "$K" --op "$OPC" --sqn 0000000003e0 --amf 0000 --uss 4,1 || fail "add carol"
list=$("$BSF" subscriber list --store "$STORE") || fail "list"
grep -qi "$K" <<<"$list" && fail "list printed K without --show-keys"
"$BSF" subscriber list --store "$STORE" --show-keys | grep -q "k=$K" || fail "list --show-keys lacks K"
"$BSF" subscriber list --store "$STORE" --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==3, d' || fail "list --json"
[ "$(field "$("$BSF" subscriber show --store "$STORE" --impi carol@x)" sqn)" = 0000000003e0 ] || fail "show carol sqn"
"$BSF" subscriber del --store "$STORE" --impi carol@x || fail "del"
"$BSF" subscriber show --store "$STORE" --impi carol@x 2>/dev/null && fail "carol still there"
"$BSF" run --listen nowhere 2>/dev/null; [ $? = 2 ] || fail "bad --listen not a usage error"
"$BSF" run --zn-listen 127.0.0.1:1 --no-zn 2>/dev/null; [ $? = 2 ] || fail "--zn-listen with --no-zn not a usage error"
config_refused "$BSF" '[bsf]\nfqdn = a.example\nzn-peer = x\n' "3: zn-peer belongs in [zn]"
config_refused "$BSF" '[bsf]\n[zn\n' "2: bad section header"
config_refused "$BSF" 'listen = 127.0.0.1:1\n' "1: key outside a section"
ok "subscriber add/list/show/del and usage errors"

# ---- bulk import (lib/tools/bulk.c): CRLF, comments, no final newline; a bad line is named, and
# then nothing of the file is added
printf '# impi,k,opc\r\nimp1@x,%s,%s\r\n\nimp2@x,%s,%s,0000000000ff,9000,4,1' "$K" "$OPC" "$K" "$OPC" >"$WORK/imp.csv"
[ "$("$BSF" subscriber import --store "$STORE" --file "$WORK/imp.csv")" = imported=2 ] || fail "import"
[ "$(field "$("$BSF" subscriber show --store "$STORE" --impi imp2@x)" uss)" = 4,1 ] || fail "import imp2 uss"
printf 'imp3@x,%s,%s\n#\nimp4@x,%s,%s0\n' "$K" "$OPC" "$K" "$OPC" >"$WORK/bad.csv"
err=$("$BSF" subscriber import --store "$STORE" --file "$WORK/bad.csv" 2>&1) && fail "bad import accepted"
case $err in *"bad.csv:3: OPC"*"nothing imported"*) ;; *) fail "import error does not name line 3: $err" ;; esac
printf 'imp5@x,%s,%s\nimp1@x,%s,%s\n' "$K" "$OPC" "$K" "$OPC" | "$BSF" subscriber import --store "$STORE" --file - 2>/dev/null && fail "duplicate import accepted"
"$BSF" subscriber show --store "$STORE" --impi imp3@x 2>/dev/null && fail "imp3 added by a failed import"
"$BSF" subscriber show --store "$STORE" --impi imp5@x 2>/dev/null && fail "imp5 added by a failed import"
for i in imp1@x imp2@x; do "$BSF" subscriber del --store "$STORE" --impi $i || fail "del $i"; done
ok "subscriber import: good file, bad line named, all or nothing"

# ---- the daemon from a config file (tests/lib/daemons.sh writes it; lifetime and a log level
# added here), the log level overridden on the command line
BSF_FQDN=$FQDN BSF_STORE=$STORE
BSF_INI="lifetime = 600
log-level = debug"
start_bsf --log-level info
grep -q "lifetime=600" "$WORK/bsf.err" || fail "config file not applied"
grep -q "level=debug" "$WORK/bsf.err" && fail "--log-level info did not override the config file"
URL="http://127.0.0.1:$BP/"
ok "daemon ready on $BP (Zn $ZP) from the config file"

# curl with a bounded time; headers in $WORK/h, body in $WORK/b; prints the status.
ub() {
  local auth=$1; shift
  curl -s -m 10 -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' -A "mbmsec-test 3gpp-gba-tmpi" \
    ${auth:+-H "Authorization: $auth"} "$@" "$URL"
}
hdr() { awk -v n="$1" 'BEGIN { IGNORECASE = 1 } { sub(/\r$/, "") } tolower($0) ~ "^" tolower(n) ":" { sub(/^[^:]*: */, ""); print }' "$WORK/h"; }
first_auth() { printf 'Digest username="%s", realm="%s", nonce="", uri="/", response=""' "$1" "$FQDN"; }

# A challenge for $1: sets NONCE, RAND, AUTN.
challenge() {
  local st
  st=$(ub "$(first_auth "$1")") || fail "curl (first request)"
  [ "$st" = 401 ] || fail "first request: status $st"
  WWW=$(hdr WWW-Authenticate)
  hdr Server | grep -q "3gpp-gba-tmpi" || fail "Server header lacks 3gpp-gba-tmpi"
  grep -q 'algorithm=AKAv1-MD5' <<<"$WWW" && grep -q 'qop="auth-int"' <<<"$WWW" &&
    grep -q "realm=\"$FQDN\"" <<<"$WWW" || fail "challenge: $WWW"
  NONCE=$(sed -n 's/.*nonce="\([^"]*\)".*/\1/p' <<<"$WWW")
  local ra; ra=$(b64hex "$NONCE")
  [ ${#ra} = 64 ] || fail "nonce is not base64 of 32 octets: $NONCE"
  RAND=${ra:0:32} AUTN=${ra:32:32}
}

# USIM side from the tool: SQN from AUTN, then RES/CK/IK; sets SQN RES CK IK.
usim() {
  local ak m
  ak=$(field "$("$MBMSEC" milenage --k "$K" --opc "$OPC" --rand "$RAND" --sqn 000000000000 --amf 8000)" ak)
  SQN=$(xor_hex "${AUTN:0:12}" "$ak")
  m=$("$MBMSEC" milenage --k "$K" --opc "$OPC" --rand "$RAND" --sqn "$SQN" --amf 8000) || fail "milenage"
  [ "$(field "$m" autn)" = "$AUTN" ] || fail "AUTN of the nonce is not Milenage(K, OPc, RAND, SQN $SQN, AMF 8000)"
  RES=$(field "$m" res) CK=$(field "$m" ck) IK=$(field "$m" ik)
}

# The second Authorization for $1 with password hex $2 (may be empty) and extra text $3.
second_auth() {
  local d resp
  if [ -n "$2" ]; then
    d=$("$MBMSEC" digest --algorithm AKAv1-MD5 --qop auth-int --username "$1" --realm "$FQDN" \
      --password-hex "$2" --method GET --uri / --nonce "$NONCE" --nc 00000001 --cnonce 0a1b2c3d)
  else
    d=$("$MBMSEC" digest --algorithm AKAv1-MD5 --qop auth-int --username "$1" --realm "$FQDN" \
      --password "" --method GET --uri / --nonce "$NONCE" --nc 00000001 --cnonce 0a1b2c3d)
  fi
  resp=$(field "$d" response)
  printf 'Digest username="%s", realm="%s", nonce="%s", uri="/", qop=auth-int, nc=00000001, cnonce="0a1b2c3d", response="%s", algorithm=AKAv1-MD5%s' \
    "$1" "$FQDN" "$NONCE" "$resp" "${3:-}"
}

# ---- Ub for alice
challenge "$ALICE"
usim
[ "$SQN" = 000000000020 ] || fail "first SQN $SQN, want SEQ 1 IND 0 (000000000020)"
osmo=$(osmo-auc-gen -3 -a milenage -k "$K" -o "$OPC" -r "$RAND" -s $((16#$SQN)) -f 8000) || fail "osmo-auc-gen"
for f in RES:"$RES" CK:"$CK" IK:"$IK" AUTN:"$AUTN"; do
  [ "$(osmo_field "$osmo" "${f%%:*}")" = "${f#*:}" ] || fail "osmo-auc-gen ${f%%:*} $(osmo_field "$osmo" "${f%%:*}") != ${f#*:}"
done
ok "BSF AKA values (RAND, AUTN from the nonce; SQN $SQN) agree with osmo-auc-gen"

AUTH2=$(second_auth "$ALICE" "$RES")
st=$(ub "$AUTH2") || fail "curl (second request)"
[ "$st" = 200 ] || fail "second request: status $st"
hdr Content-Type | grep -qx "application/vnd.3gpp.bsf+xml" || fail "Content-Type $(hdr Content-Type)"
AI=$(hdr Authentication-Info)
want_rsp=$(field "$("$MBMSEC" digest --algorithm AKAv1-MD5 --qop auth-int --username "$ALICE" --realm "$FQDN" \
  --password-hex "$RES" --method GET --uri / --nonce "$NONCE" --nc 00000001 --cnonce 0a1b2c3d \
  --response-body-file "$WORK/b")" rspauth)
grep -q "rspauth=\"$want_rsp\"" <<<"$AI" && grep -q 'qop=auth-int' <<<"$AI" &&
  grep -q 'cnonce="0a1b2c3d"' <<<"$AI" && grep -q 'nc=00000001' <<<"$AI" || fail "Authentication-Info: $AI (want rspauth $want_rsp)"
xmllint --noout "$WORK/b" || fail "BootstrappingInfo is not well-formed XML"
BTID=$(xmllint --xpath 'string(/*[local-name()="BootstrappingInfo" and namespace-uri()="uri:3gpp-gba"]/*[local-name()="btid"])' "$WORK/b")
LIFE=$(xmllint --xpath 'string(//*[local-name()="lifetime"])' "$WORK/b")
[ "$BTID" = "$(hexb64 "$RAND")@$FQDN" ] || fail "btid '$BTID' is not base64(RAND)@FQDN"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<<"$LIFE" || fail "lifetime '$LIFE'"
lt=$(date -u -d "$LIFE" +%s); now=$(date +%s)
[ $((lt - now)) -ge 590 ] && [ $((lt - now)) -le 610 ] || fail "lifetime $LIFE is not now + 600 s"
ok "Ub 200: BootstrappingInfo (B-TID $BTID, lifetime $LIFE), rspauth verified"
BTID_A=$BTID CK_A=$CK IK_A=$IK RAND_A=$RAND

# ---- hostile requests: status, and the store does not change (alice's SQN, and every row of
# every table read from the SQLite file)
sqn_now() { field "$("$BSF" subscriber show --store "$STORE" --impi "$1")" sqn; }
store_snap() {
  "$PY" - "$WORK/bsf.db" <<'PYEOF'
import json, sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
out = {}
for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
    cur = c.execute('SELECT * FROM "%s"' % t)
    cols = [d[0] for d in cur.description]
    out[t] = sorted([{k: (v.hex() if isinstance(v, bytes) else v) for k, v in zip(cols, r)}
                     for r in cur], key=json.dumps)
json.dump(out, sys.stdout, sort_keys=True)
PYEOF
}
S0=$(sqn_now "$ALICE")
SNAP0=$(store_snap) || fail "store snapshot"
st=$(ub "$AUTH2"); [ "$st" = 400 ] || fail "replayed second request: $st"
st=$(ub "$(first_auth "$ALICE")" -X POST); [ "$st" = 400 ] || fail "POST: $st"
st=$(ub ""); [ "$st" = 400 ] || fail "no Authorization: $st"
st=$(ub 'Digest username="x'); [ "$st" = 400 ] || fail "malformed Authorization: $st"
st=$(ub "$(printf 'Digest username="%s", realm="evil.org", nonce="", uri="/", response=""' "$ALICE")"); [ "$st" = 400 ] || fail "wrong realm: $st"
# unknown IMPI: a decoy challenge of the same shape as a real one (no IMPI enumeration)
st=$(ub "$(first_auth nobody@ims.test)"); [ "$st" = 401 ] || fail "unknown IMPI: $st"
WWW=$(hdr WWW-Authenticate)
grep -q 'algorithm=AKAv1-MD5' <<<"$WWW" && grep -q 'qop="auth-int"' <<<"$WWW" &&
  grep -q "realm=\"$FQDN\"" <<<"$WWW" || fail "unknown IMPI: no decoy challenge: $WWW"
NONCE=$(sed -n 's/.*nonce="\([^"]*\)".*/\1/p' <<<"$WWW")
[ ${#NONCE} = 44 ] && [ "$(b64hex "$NONCE" | wc -c)" = 64 ] || fail "decoy nonce is not base64 of 32 octets: $NONCE"
ub "$(first_auth nobody@ims.test)" >/dev/null
[ "$(sed -n 's/.*nonce="\([^"]*\)".*/\1/p' <<<"$(hdr WWW-Authenticate)")" != "$NONCE" ] || fail "decoy nonce repeated"
st=$(ub "$(second_auth nobody@ims.test 0001020304050607)"); [ "$st" = 400 ] || fail "answer to a decoy nonce: $st"
grep -q 'reason="unknown IMPI' "$WORK/bsf.err" || fail "no 'unknown IMPI' reason in the log"
big=$(head -c 40000 /dev/zero | tr '\0' a)
st=$(ub "Digest username=\"$big\""); [ "$st" = 431 ] || [ "$st" = 400 ] || [ "$st" = 413 ] || fail "oversize header: $st"
[ "$(sqn_now "$ALICE")" = "$S0" ] || fail "a hostile request moved the SQN"
[ "$(store_snap)" = "$SNAP0" ] || fail "a hostile request changed the store"
ok "hostile requests refused (replay, POST, none, malformed, realm, unknown IMPI -> 401 decoy, answer to a decoy -> 400, oversize); store unchanged"

# ---- a UE (mbmsec-ue) with an unknown IMPI: its USIM refuses the decoy's AUTN
if [ -n "${UE:-}" ] && [ -x "${UE:-}" ]; then
  timeout 30 "$UE" usim init --usim "$WORK/usim-nobody" --k "$K" --opc "$OPC" >/dev/null 2>"$WORK/ue.err" || fail "usim init"
  cp "$WORK/usim-nobody" "$WORK/usim-nobody.before"
  rc=0
  timeout 30 "$UE" bootstrap --bsf "$URL" --realm "$FQDN" --impi nobody@ims.test --usim "$WORK/usim-nobody" \
    --state "$WORK/state-nobody" >"$WORK/ue.out" 2>"$WORK/ue.err" || rc=$?
  [ $rc = 1 ] || fail "UE with an unknown IMPI: exit $rc ($(cat "$WORK/ue.err"))"
  grep -q "network authentication failure" "$WORK/ue.err" || fail "UE with an unknown IMPI: $(cat "$WORK/ue.err")"
  [ ! -e "$WORK/state-nobody" ] || fail "UE with an unknown IMPI: state file written"
  cmp -s "$WORK/usim-nobody" "$WORK/usim-nobody.before" || fail "UE with an unknown IMPI: USIM file changed"
  [ "$(store_snap)" = "$SNAP0" ] || fail "UE with an unknown IMPI: the store changed"
  ok "mbmsec-ue with an unknown IMPI: exit 1, network authentication failure, no state; store unchanged"
else
  echo "skip: mbmsec-ue not built (UE unset)"
fi

# ---- AUTS: the USIM has seen SEQ 40; the BSF resynchronises and challenges with SEQ 41
challenge "$ALICE"
AUTS=$(field "$("$MBMSEC" milenage --k "$K" --opc "$OPC" --rand "$RAND" --sqn-ms 000000000500)" auts)
st=$(ub "$(second_auth "$ALICE" "" ", auts=\"$(hexb64 "$AUTS")\"")")
[ "$st" = 401 ] || fail "AUTS: status $st"
NONCE=$(sed -n 's/.*nonce="\([^"]*\)".*/\1/p' <<<"$(hdr WWW-Authenticate)")
ra=$(b64hex "$NONCE"); RAND=${ra:0:32} AUTN=${ra:32:32}
usim
[ "$SQN" = 000000000520 ] || fail "SQN after resync $SQN, want 000000000520 (SEQ 41)"
st=$(ub "$(second_auth "$ALICE" "$RES")"); [ "$st" = 200 ] || fail "after resync: $st"
ok "AUTS resynchronisation: new challenge with SEQ_MS + 1, then 200"

# ---- wrong RES: 401 with a new challenge, nothing stored
SNAP1=$(store_snap) || fail "store snapshot"
challenge "$ALICE"
st=$(ub "$(second_auth "$ALICE" 0001020304050607)"); [ "$st" = 401 ] || fail "wrong RES: $st"
hdr WWW-Authenticate | grep -q AKAv1-MD5 || fail "wrong RES: no new challenge"
[ "$(store_snap)" = "$SNAP1" ] || fail "wrong RES changed the store"
ok "wrong RES: 401 with a new challenge; store unchanged"

# ---- Ub for bob (USS "1")
challenge "$BOB"; usim
st=$(ub "$(second_auth "$BOB" "$RES")"); [ "$st" = 200 ] || fail "bob: $st"
BTID_BOB=$(xmllint --xpath 'string(//*[local-name()="btid"])' "$WORK/b")

# ---- Zn
zn() {
  timeout 60 "$ZN_PEER" client --identity bmsc.zn.test --realm zn.test --peer bsf.zn.test \
    --peer-addr 127.0.0.1 --peer-port "$ZP" --naf-fqdn "$NAF" --open-timeout 10000 --timeout 5000 "$@" 2>>"$WORK/zn.err"
}
UNKNOWN="$(head -c 16 /dev/urandom | base64)@$FQDN"
out=$(zn "$BTID_A" "$UNKNOWN" "$BTID_BOB") || fail "zn_peer client exited $?: $(tail -5 "$WORK/zn.err")"
line_of() { grep "^btid=$(hexs "$1") " <<<"$out"; }
la=$(line_of "$BTID_A") lu=$(line_of "$UNKNOWN") lb=$(line_of "$BTID_BOB")
want=$(field "$("$MBMSEC" gba-ks-naf --ck "$CK_A" --ik "$IK_A" --rand "$RAND_A" --impi "$ALICE" --naf-fqdn "$NAF")" ks_naf)
[ -n "$want" ] || fail "mbmsec gba-ks-naf gave nothing"
grep -q " result=2001 " <<<"$la" && grep -q " ks_naf=$want " <<<"$la" && grep -q " impi=$(hexs "$ALICE") " <<<"$la" ||
  fail "Zn alice: '$la' (want ks_naf $want)"
grep -q " result=5403 " <<<"$lu" || fail "Zn unknown B-TID: '$lu'"
grep -q " result=5402 " <<<"$lb" || fail "Zn bob (USS 1, MBMS NAF): '$lb'"
ok "Zn: Ks_NAF = mbmsec gba-ks-naf; unknown B-TID 5403; USS without GSID 4 5402"
grep -q "$want" "$WORK/bsf.err" && fail "Ks_NAF in the log without --log-keys"
grep -qi "$CK_A" "$WORK/bsf.err" && fail "CK in the log"

# ---- clean shutdown on SIGTERM
kill -TERM "$BSF_PID"
for i in $(seq 100); do kill -0 "$BSF_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$BSF_PID" 2>/dev/null && fail "no exit 10 s after SIGTERM"
wait "$BSF_PID"; rc=$?
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
grep -q "msg=stopped" "$WORK/bsf.err" || fail "no 'stopped' log line"
ok "SIGTERM: clean exit"
echo "PASS"
