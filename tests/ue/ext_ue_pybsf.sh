#!/usr/bin/env bash
# mbmsec-ue against an independent Ub peer (tests/ue/ub_mock_bsf.py: Python Milenage, Digest
# AKAv1-MD5, BootstrappingInfo). Asserts: the first request's Authorization byte for byte and
# the 3gpp-gba-tmpi product token; a bootstrap whose B-TID, RAND and Ks equal the peer's, Ks_NAF,
# MRK, MUK equal a Python KDF, state file 0600 and USIM SQN_MS advanced; resynchronisation
# (card ahead) in one AUTS round; wrong K -> exit 1 "network authentication failure", challenge
# not answered, USIM file byte-for-byte unchanged, no state file; the peer's faults (bad
# rspauth, no Authentication-Info, DOCTYPE body, oversize body, 403 to the RES, 500) -> exit 1
# with the reason, state file untouched; usage errors -> exit 2.
set -euo pipefail
. "$(dirname "$0")/ue_lib.sh"
"$PY" -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3 cryptography"; exit 77; }

K=465b5ce8b199b49faa5f0a2ee238a6bc OPC=cd63cb71954a9f4e48a5994e37a02baf
IMPI=alice@ims.mnc001.mcc001.3gppnetwork.org FQDN=bsf.ue.test NAF=bmsc.ue.test

# Start the mock BSF; extra args follow. Sets PORT and MOCK.
start_mock() {
  local try
  for try in 1 2 3 4 5; do
    PORT=$(free_port)
    : >"$WORK/mock.out"
    "$PY" "$(dirname "$0")/ub_mock_bsf.py" --port "$PORT" --k "$K" --opc "$OPC" --fqdn "$FQDN" \
      --log "$WORK/mock.log" "$@" >"$WORK/mock.out" 2>"$WORK/mock.err" &
    MOCK=$!
    TEST_PIDS+=("$MOCK")
    if wait_for "$WORK/mock.out" "^ready" 100 "$MOCK"; then return 0; fi
    kill -KILL "$MOCK" 2>/dev/null || true
  done
  fail "mock BSF did not start"
}
boot() { # name usim state [extra...]
  local n=$1 u=$2 s=$3; shift 3
  ue "$n" bootstrap --bsf "http://127.0.0.1:$PORT/" --realm "$FQDN" --impi "$IMPI" --usim "$u" \
    --state "$s" "$@"
}

# ---- success ----
start_mock --sqn 000000000040
ue init1 usim init --usim "$WORK/u1" --k "$K" --opc "$OPC" || fail "usim init"
[ "$(stat -c %a "$WORK/u1")" = 600 ] || fail "USIM file mode"
boot b1 "$WORK/u1" "$WORK/s1" --naf-fqdn "$NAF" --show-keys || fail "bootstrap exited with $?"
cat "$WORK/b1.out"
line=$(grep '"what": "bootstrapped' "$WORK/mock.log") || fail "mock did not bootstrap"
m_btid=$(printf '%s' "$line" | sed 's/.*btid=\([^ ]*\) .*/\1/')
m_ks=$(printf '%s' "$line" | sed 's/.*ks=\([0-9a-f]*\).*/\1/')
m_rand=$(printf '%s' "$line" | sed 's/.*rand=\([0-9a-f]*\).*/\1/')
[ "$(val b1 btid)" = "$m_btid" ] || fail "btid $(val b1 btid) != $m_btid"
[ "$(val b1 ks)" = "$m_ks" ] || fail "Ks differs from the peer's CK||IK"
[ "$(val b1 rand)" = "$m_rand" ] || fail "RAND differs"
[ "$(val b1 lifetime)" = 2099-01-01T00:00:00Z ] || fail "lifetime $(val b1 lifetime)"
read -r p_naf p_mrk p_muk < <(py_naf_keys "$m_ks" "$m_rand" "$IMPI" "$NAF")
[ "$(val b1 ks_naf)" = "$p_naf" ] && [ "$(val b1 mrk)" = "$p_mrk" ] && [ "$(val b1 muk)" = "$p_muk" ] \
  || fail "Ks_NAF/MRK/MUK differ from the Python KDF"
[ "$(val b1 naf_id)" = "$(hexs "$NAF")0100000001" ] || fail "naf_id"
ok "bootstrap: B-TID, RAND, Ks as the peer's; Ks_NAF, MRK, MUK as Python's KDF"
[ "$(stat -c %a "$WORK/s1")" = 600 ] || fail "state file mode"
grep -qx "btid $m_btid" "$WORK/s1" && grep -qx "ks $m_ks" "$WORK/s1" && grep -qx "impi $IMPI" "$WORK/s1" \
  || fail "state file content: $(cat "$WORK/s1")"
ue show1 usim show --usim "$WORK/u1" || fail "usim show"
[ "$(val show1 sqn_ms)" = 000000000060 ] || fail "SQN_MS $(val show1 sqn_ms), want 000000000060"
ok "state file 0600 with B-TID, IMPI, Ks; USIM SQN_MS advanced to the accepted SQN"
first=$(head -n1 "$WORK/mock.log")
printf '%s' "$first" | grep -qF "\"authorization\": \"Digest username=\\\"$IMPI\\\", realm=\\\"$FQDN\\\", nonce=\\\"\\\", uri=\\\"/\\\", response=\\\"\\\"\"" \
  || fail "first request: $first"
grep -c '"ua": "[^"]*3gpp-gba-tmpi' "$WORK/mock.log" | grep -qx 2 || fail "User-Agent product token"
ok "first request Authorization as TS 24.109 A.3; User-Agent carries 3gpp-gba-tmpi"
# --json: one object with the same names
boot bj "$WORK/u1" "$WORK/s1j" --json || fail "bootstrap --json"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert set(d)=={"btid","lifetime","rand"}, d' \
  "$WORK/bj.out" || fail "--json output: $(cat "$WORK/bj.out")"
ok "--json output parses; no keys without --show-keys"
stop_pid "$MOCK" || true

# ---- resynchronisation: the card is ahead of the HSS ----
: >"$WORK/mock.log"
start_mock --sqn 000000000020
ue init2 usim init --usim "$WORK/u2" --k "$K" --opc "$OPC" --sqn-ms 000000100000 || fail "usim init 2"
boot b2 "$WORK/u2" "$WORK/s2" || fail "bootstrap after resync exited with $?"
[ "$(val b2 resyncs)" = 1 ] || fail "no AUTS round reported"
grep -q '"what": "resync sqn_ms=000000100000' "$WORK/mock.log" || fail "peer did not see SQN_MS in AUTS"
[ "$(grep -c '"what": "challenge' "$WORK/mock.log")" = 1 ] || fail "challenges"
[ -s "$WORK/s2" ] || fail "no state after resync"
ue show2 usim show --usim "$WORK/u2"
[ "$(val show2 sqn_ms)" = 000000100020 ] || fail "SQN_MS after resync $(val show2 sqn_ms)"
ok "card ahead of the HSS: one AUTS round (empty-password response, SQN_MS recovered), then bootstrapped"
stop_pid "$MOCK" || true

# ---- wrong K: network authentication failure ----
: >"$WORK/mock.log"
start_mock
ue init3 usim init --usim "$WORK/u3" --k 00112233445566778899aabbccddeeff --opc "$OPC" || fail "init 3"
cp "$WORK/u3" "$WORK/u3.before"
rc=0; boot b3 "$WORK/u3" "$WORK/s3" || rc=$?
[ $rc = 1 ] || fail "bootstrap with the wrong K: exit $rc, want 1"
grep -q "network authentication failure" "$WORK/b3.err" || fail "message: $(cat "$WORK/b3.err")"
cmp -s "$WORK/u3" "$WORK/u3.before" || fail "USIM file changed"
[ ! -e "$WORK/s3" ] || fail "state file written"
[ "$(wc -l <"$WORK/mock.log")" = 1 ] || fail "the UE answered the challenge"
ok "wrong K: exit 1, network authentication failure, not answered, USIM unchanged, no state"
stop_pid "$MOCK" || true

# ---- the peer's faults ----
for f in bad-rspauth no-auth-info doctype big-body refuse-res 500; do
  : >"$WORK/mock.log"
  start_mock --fault "$f"
  rm -f "$WORK/uf"
  ue initf usim init --usim "$WORK/uf" --k "$K" --opc "$OPC" || fail "init"
  echo keep >"$WORK/sf"
  rc=0; boot bf "$WORK/uf" "$WORK/sf" || rc=$?
  [ $rc = 1 ] || fail "$f: exit $rc, want 1"
  [ "$(cat "$WORK/sf")" = keep ] || fail "$f: state file touched"
  case $f in
    bad-rspauth|no-auth-info) want="bad rspauth";;
    doctype) want="BootstrappingInfo";;
    big-body) want="HTTP error";;
    refuse-res) want="BSF refused";;
    500) want="HTTP 500";;
  esac
  grep -q "$want" "$WORK/bf.err" || fail "$f: message $(cat "$WORK/bf.err")"
  ok "peer fault $f -> exit 1: $(cat "$WORK/bf.err")"
  stop_pid "$MOCK" || true
done

# ---- BSF down, usage errors ----
PORT=$(free_port)
rc=0; boot bd "$WORK/u1" "$WORK/sd" --timeout-ms 2000 || rc=$?
[ $rc = 1 ] || fail "BSF down: exit $rc, want 1"
grep -q "HTTP error" "$WORK/bd.err" || fail "BSF down: $(cat "$WORK/bd.err")"
ok "BSF down -> exit 1: $(cat "$WORK/bd.err")"
for args in "bootstrap" "bootstrap --bsf x --impi a --usim u --state s" "usim init --usim $WORK/z --k 00" \
            "usim init --usim $WORK/z --k $K --op $OPC --opc $OPC" "usim frob" "frob" "usim show --bogus"; do
  set +e; timeout 10 "$MBMSEC_UE" $args >/dev/null 2>"$WORK/usage.txt"; rc=$?; set -e
  [ $rc = 2 ] || fail "'$args' exited $rc"
  [ -s "$WORK/usage.txt" ] || fail "'$args' without a message"
done
for c in "--help" "usim --help" "usim init --help" "usim show --help" "bootstrap --help" "bootstrap-bench --help"; do
  timeout 10 "$MBMSEC_UE" $c | grep -q Usage || fail "$c"
done
ok "usage errors exit 2 with a message; --help everywhere"
echo PASS
