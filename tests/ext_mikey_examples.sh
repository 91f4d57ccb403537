#!/bin/bash
# docs/mikey-examples.md cannot go stale: every example message is rebuilt here with
# `mbmsec mikey` from the inputs the page lists, and every hex line of the page (full message,
# derived keys, KEMAC IV, plaintext key data, ciphertext, MAC input and MAC) must appear in it
# exactly. The page's MACs are recomputed with Python's hmac from its own auth_key and
# mac_input lines, its plaintext key data comes back from the Python reference's `open`, and
# the messages equal those of the Python reference.
set -euo pipefail
: "${MBMSEC:?path of the mbmsec tool}" "${PY:=/usr/bin/python3}" "${SRCDIR:?}"
DOC="$SRCDIR/docs/mikey-examples.md"
REF="$SRCDIR/tests/ref/mikey_msg.py"
fail() { echo "FAIL: $*" >&2; exit 1; }
checks=0
in_doc() { # in_doc NAME VALUE: the line NAME=VALUE is in the page
  grep -qxF "$1=$2" "$DOC" || fail "docs/mikey-examples.md has no line '$1=$2' (stale: regenerate it)"
  checks=$((checks + 1))
}
keys_in_doc() { # keys_in_doc PSK CSB RAND COUNTER [auth_key only]
  local out; out=$("$MBMSEC" mikey-keys --psk "$1" --csb-id "$2" --rand "$3" --ts-counter "$4")
  for n in ${5:-encr_key auth_key salt_key kemac_iv}; do
    in_doc "$n" "$(sed -n "s/^$n=//p" <<<"$out")"
  done
}
mac_lines_in_doc() { # the MAC input and MAC of a message, as the page shows them
  in_doc mac_input "$1"
  in_doc mac "$2"
}

MUK=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
MSK=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf
MTK=b0b1b2b3b4b5b6b7b8b9babbbcbdbebf
SALT=c0c1c2c3c4c5c6c7c8c9cacbcccd
KDI=00f110 MSKID=00010002 IDI=bmsc.example.org IDR=btid-0001@bsf.example.org
common=(--muk $MUK --kdi $KDI --msk-id $MSKID --idi "$IDI" --idr "$IDR" --v)

# 1. MSK message with V.
m1=$("$MBMSEC" mikey build-msk "${common[@]}" --counter 17 --csb-id 1a2b3c4d \
     --rand 5c1f7e2d3a4b5c6d7e8f90a1b2c3d4e5 --msk $MSK --mtk-lo 1 --mtk-hi 4096)
in_doc msg "$m1"
keys_in_doc $MUK 1a2b3c4d 5c1f7e2d3a4b5c6d7e8f90a1b2c3d4e5 17
in_doc key_data "$("$PY" "$REF" open --psk $MUK --msg "$m1" | sed -n 's/^key_data=//p')"
mac_lines_in_doc "${m1:0:${#m1}-40}" "${m1: -40}"
in_doc encr_data "${m1:2*(57+${#IDI}+${#IDR}+4):52}"
[ "$m1" = "$("$PY" "$REF" build-msk "${common[@]}" --msk $MSK --counter 17 --csb-id 1a2b3c4d \
  --rand 5c1f7e2d3a4b5c6d7e8f90a1b2c3d4e5 --mtk-lo 1 --mtk-hi 4096)" ] ||
  fail "example 1 differs from the Python reference"

# 2. Its verification message.
v=$("$MBMSEC" mikey build-verification --muk $MUK --msk-msg "$m1")
in_doc msg "$v"
keys_in_doc $MUK 1a2b3c4d 5c1f7e2d3a4b5c6d7e8f90a1b2c3d4e5 17 auth_key
ids=$(printf %s "$IDI$IDR" | od -An -tx1 -v | tr -d ' \n')
mac_lines_in_doc "${v:0:${#v}-40}${ids}00000011" "${v: -40}"
[ "$v" = "$("$PY" "$REF" verification --muk $MUK --msk-msg "$m1")" ] ||
  fail "example 2 differs from the Python reference"

# 3. MTK message.
t=$("$MBMSEC" mikey build-mtk --msk $MSK --kdi $KDI --msk-id $MSKID --mtk-id 7 --mtk $MTK \
    --salt $SALT --counter 3 --csb-id 2b3c4d5e --rand 6d2e8f3e4b5c6d7e8f90a1b2c3d4e5f6)
in_doc msg "$t"
keys_in_doc $MSK 2b3c4d5e 6d2e8f3e4b5c6d7e8f90a1b2c3d4e5f6 3
in_doc key_data "$("$PY" "$REF" open --psk $MSK --msg "$t" | sed -n 's/^key_data=//p')"
mac_lines_in_doc "${t:0:${#t}-40}" "${t: -40}"
in_doc encr_data "${t:114:72}"
[ "$t" = "$("$PY" "$REF" build-mtk --msk $MSK --kdi $KDI --msk-id $MSKID --mtk-id 7 --mtk $MTK \
  --salt $SALT --counter 3 --csb-id 2b3c4d5e --rand 6d2e8f3e4b5c6d7e8f90a1b2c3d4e5f6)" ] ||
  fail "example 3 differs from the Python reference"

# 4. Solicited pull.
p=$("$MBMSEC" mikey build-msk "${common[@]}" --counter 18 --csb-id 3c4d5e6f \
    --rand 7e3f904f5c6d7e8f90a1b2c3d4e5f607 --pull)
in_doc msg "$p"
keys_in_doc $MUK 3c4d5e6f 7e3f904f5c6d7e8f90a1b2c3d4e5f607 18
mac_lines_in_doc "${p:0:${#p}-40}" "${p: -40}"

# Every mac= line of the page is HMAC-SHA-1(the auth_key above it, the mac_input above it).
"$PY" - "$DOC" <<'PYEOF' || fail "a MAC on the page does not match its auth_key and mac_input"
import hashlib, hmac, sys
auth = inp = None
n = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("auth_key="): auth = bytes.fromhex(line[9:])
    elif line.startswith("mac_input="): inp = bytes.fromhex(line[10:])
    elif line.startswith("mac="):
        if hmac.new(auth, inp, hashlib.sha1).hexdigest() != line[4:]:
            sys.exit("mac=%s is wrong" % line[4:])
        n += 1
if n != 4:
    sys.exit("expected 4 mac= lines, found %d" % n)
PYEOF
n_msg=$(grep -c '^msg=' "$DOC")
[ "$n_msg" -eq 4 ] || fail "expected 4 msg= lines in the page, found $n_msg"
echo "ok: 4 examples rebuilt, $checks hex lines of docs/mikey-examples.md exact, 4 MACs recomputed"
