#!/bin/bash
# The MBMS MIKEY messages of `mbmsec mikey` against the independent Python reference
# (tests/ref/mikey_msg.py, written from the spec with python3-cryptography): for random cases
# the whole MSK, MTK and verification messages (hence KEMAC ciphertext, KEMAC MAC and
# verification MAC) are equal byte for byte, and `mbmsec mikey decode` verifies and decrypts
# every Python-built message back to the keys that went in. Also one solicited pull, and a
# message with one MAC bit flipped must fail.
set -euo pipefail
: "${MBMSEC:?path of the mbmsec tool}" "${PY:=/usr/bin/python3}" "${SRCDIR:?}"
REF="$SRCDIR/tests/ref/mikey_msg.py"
CASES=${MIKEY_PY_CASES:-40}
fail() { echo "FAIL: $*" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# A JSON field of `mbmsec mikey decode --json`: path like keys.0.key or mac_ok.
jget() {
  "$PY" -c 'import json,sys
v=json.loads(sys.argv[1])
for p in sys.argv[2].split("."):
    v=v[int(p)] if p.isdigit() else v.get(p)
print(str(v).lower() if isinstance(v,bool) else ("" if v is None else v))' "$1" "$2"
}

# One line per case: muk msk kdi mskid counter idi idr csb rand v lo hi mtk salt mtkid mcounter
"$PY" - "$CASES" >cases.txt <<'PYEOF'
import random, sys, string
r = random.Random(3246)
alpha = string.ascii_letters + string.digits + ".-_@"
def h(n): return bytes(r.randrange(256) for _ in range(n)).hex()
def ident(n): return r.choice(string.ascii_letters) + "".join(r.choice(alpha) for _ in range(n - 1))
for i in range(int(sys.argv[1])):
    counter = [1, 0xFFFFFFFF][i] if i < 2 else r.randrange(1, 1 << 32)
    lo = r.randrange(0, 65536); hi = r.randrange(lo, 65536)
    print(h(32), h(16), h(3), h(4), counter, ident(r.choice([1, 2, 7, 16, 33, 64, 120, 255])),
          ident(r.choice([1, 5, 24, 40, 80, 200, 255])), h(4), h(16), r.randrange(2), lo, hi,
          h(16), h(14), r.randrange(65536), r.randrange(1, 1 << 32))
PYEOF

n=0
while read -r muk msk kdi mskid counter idi idr csb rand v lo hi mtk salt mtkid mcounter; do
  vflag=(); [ "$v" = 1 ] && vflag=(--v)
  c=$("$MBMSEC" mikey build-msk --muk "$muk" --kdi "$kdi" --msk-id "$mskid" --msk "$msk" \
      --counter "$counter" --idi "$idi" --idr "$idr" "${vflag[@]}" --mtk-lo "$lo" --mtk-hi "$hi" \
      --csb-id "$csb" --rand "$rand") || fail "case $n: mbmsec build-msk failed"
  p=$("$PY" "$REF" build-msk --muk "$muk" --kdi "$kdi" --msk-id "$mskid" --msk "$msk" \
      --counter "$counter" --idi="$idi" --idr="$idr" "${vflag[@]}" --mtk-lo "$lo" --mtk-hi "$hi" \
      --csb-id "$csb" --rand "$rand")
  [ "$c" = "$p" ] || fail "case $n: MSK message differs
  mbmsec: $c
  python: $p"

  cv=$("$MBMSEC" mikey build-verification --muk "$muk" --msk-msg "$p" 2>/dev/null) ||
    fail "case $n: mbmsec build-verification failed"
  pv=$("$PY" "$REF" verification --muk "$muk" --msk-msg "$p")
  [ "$cv" = "$pv" ] || fail "case $n: verification message differs
  mbmsec: $cv
  python: $pv"

  j=$("$MBMSEC" mikey decode --muk "$muk" --hex "$p" --json) || fail "case $n: decode of the MSK message failed"
  [ "$(jget "$j" mac_ok)" = true ] || fail "case $n: MSK message mac_ok is not true"
  [ "$(jget "$j" keys.0.key)" = "$msk" ] || fail "case $n: decoded MSK differs"
  [ "$(jget "$j" keys.0.vf)" = "$(printf %04x "$lo")" ] || fail "case $n: decoded VF differs"
  [ "$(jget "$j" keys.0.vt)" = "$(printf %04x "$hi")" ] || fail "case $n: decoded VT differs"
  j=$("$MBMSEC" mikey decode --muk "$muk" --hex "$pv" --msk-msg "$p" --json) ||
    fail "case $n: decode of the verification message failed"
  [ "$(jget "$j" mac_ok)" = true ] || fail "case $n: verification mac_ok is not true"

  c=$("$MBMSEC" mikey build-mtk --msk "$msk" --kdi "$kdi" --msk-id "$mskid" --mtk-id "$mtkid" \
      --mtk "$mtk" --salt "$salt" --counter "$mcounter" --csb-id "$csb" --rand "$rand") ||
    fail "case $n: mbmsec build-mtk failed"
  p=$("$PY" "$REF" build-mtk --msk "$msk" --kdi "$kdi" --msk-id "$mskid" --mtk-id "$mtkid" \
      --mtk "$mtk" --salt "$salt" --counter "$mcounter" --csb-id "$csb" --rand "$rand")
  [ "$c" = "$p" ] || fail "case $n: MTK message differs
  mbmsec: $c
  python: $p"
  j=$("$MBMSEC" mikey decode --msk "$msk" --hex "$p" --json) || fail "case $n: decode of the MTK message failed"
  [ "$(jget "$j" mac_ok)" = true ] || fail "case $n: MTK message mac_ok is not true"
  [ "$(jget "$j" keys.0.key)" = "$mtk" ] || fail "case $n: decoded MTK differs"
  [ "$(jget "$j" keys.0.salt)" = "$salt" ] || fail "case $n: decoded salt differs"
  n=$((n + 1))
done <cases.txt
[ "$n" -eq "$CASES" ] || fail "ran $n cases, expected $CASES"

# Solicited pull: empty key data, MAC still over the whole message.
read -r muk msk kdi mskid counter idi idr csb rand _ <cases.txt
c=$("$MBMSEC" mikey build-msk --pull --v --muk "$muk" --kdi "$kdi" --msk-id "$mskid" \
    --counter "$counter" --idi "$idi" --idr "$idr" --csb-id "$csb" --rand "$rand")
p=$("$PY" "$REF" build-msk --pull --v --muk "$muk" --kdi "$kdi" --msk-id "$mskid" --msk "$msk" \
    --counter "$counter" --idi="$idi" --idr="$idr" --csb-id "$csb" --rand "$rand")
[ "$c" = "$p" ] || fail "pull message differs
  mbmsec: $c
  python: $p"
j=$("$MBMSEC" mikey decode --muk "$muk" --hex "$p" --json) || fail "decode of the pull message failed"
[ "$(jget "$j" mac_ok)" = true ] || fail "pull message mac_ok is not true"
[ "$(jget "$j" keys)" = "[]" ] || fail "pull message shows keys"
cv=$("$MBMSEC" mikey build-verification --muk "$muk" --msk-msg "$p")
pv=$("$PY" "$REF" verification --muk "$muk" --msk-msg "$p")
[ "$cv" = "$pv" ] || fail "verification of the pull message differs"

# One flipped MAC bit: mac_ok false, no keys, exit 1.
bad="${p%?}$(printf %x $(( 0x${p: -1} ^ 1 )))"
set +e
j=$("$MBMSEC" mikey decode --muk "$muk" --hex "$bad" --json 2>/dev/null); rc=$?
set -e
[ "$rc" = 1 ] || fail "a flipped MAC bit gave exit $rc, expected 1"
[ "$(jget "$j" mac_ok)" = false ] || fail "a flipped MAC bit did not give mac_ok false"

echo "ok: $n random cases (MSK, verification, MTK messages equal to the Python reference and"
echo "    decoded back), 1 pull message, 1 bad MAC"
