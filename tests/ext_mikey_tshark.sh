#!/bin/bash
# `mbmsec mikey` messages as Wireshark's MIKEY dissector (tshark, no code shared with ours)
# reads them: message type, V flag, CSB ID, KEMAC algorithms and MAC, IDs, RAND, V payload;
# with the test-only NULL encryption tshark shows the key data, which must be the keys that
# went in. Then `mbmsec mikey decode --pcap` on the same capture must agree with tshark.
set -euo pipefail
: "${MBMSEC:?path of the mbmsec tool}" "${PY:=/usr/bin/python3}" "${SRCDIR:?}"
command -v tshark >/dev/null || { echo "SKIP: tshark not installed"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

MUK=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
MSK=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf
MTK=b0b1b2b3b4b5b6b7b8b9babbbcbdbebf
SALT=c0c1c2c3c4c5c6c7c8c9cacbcccd
KDI=00f110 MSKID=00010002 IDI=bmsc.mbms.example.org IDR='QmFzZTY0QlRJRA==@bsf.example.org'
CSB1=1a2b3c4d RAND1=5c1f7e2d3a4b5c6d7e8f90a1b2c3d4e5
CSB2=2b3c4d5e RAND2=6d2e8f3e4b5c6d7e8f90a1b2c3d4e5f6
CSB3=3c4d5e6f CSB4=4d5e6f70 CSB5=5e6f7081

msk_msg() { "$MBMSEC" mikey build-msk --muk $MUK --kdi $KDI --msk-id $MSKID --counter "$1" \
  --idi "$IDI" --idr "$IDR" --v --csb-id "$2" --rand "$3" "${@:4}"; }
mtk_msg() { "$MBMSEC" mikey build-mtk --msk $MSK --kdi $KDI --msk-id $MSKID --mtk-id 7 --mtk $MTK \
  --salt $SALT --counter "$1" --csb-id "$2" --rand "$3" "${@:4}"; }

m1=$(msk_msg 17 $CSB1 $RAND1 --msk $MSK --mtk-lo 1 --mtk-hi 4096)          # MSK, V, AES-CM
v1=$("$MBMSEC" mikey build-verification --muk $MUK --msk-msg "$m1")            # its verification
t1=$(mtk_msg 3 $CSB2 $RAND2)                                                  # MTK, AES-CM
m2=$(msk_msg 18 $CSB3 $RAND1 --msk $MSK --mtk-lo 1 --mtk-hi 4096 --null-encr) # TEST ONLY: MSK in clear
t2=$(mtk_msg 4 $CSB4 $RAND2 --null-encr)                                      # TEST ONLY: MTK in clear
p1=$(msk_msg 19 $CSB5 $RAND1 --pull)                                          # solicited pull
printf '%s\n' "$m1" "$v1" "$t1" "$m2" "$t2" "$p1" | "$PY" "$SRCDIR/tests/ref/pcap.py" mikey.pcap

FIELDS=(mikey.type mikey.v.set mikey.csb_id mikey.kemac.encr_alg mikey.kemac.mac_alg
        mikey.kemac.mac mikey.id.data mikey.rand.data mikey.v.auth_alg mikey.v.ver_data
        mikey.kemac.key_data_len mikey.key.data mikey.key.salt mikey.key.kv.from mikey.key.kv.to
        mikey.t.ts_type mikey.ext.data)
args=(); for f in "${FIELDS[@]}"; do args+=(-e "$f"); done
tshark -r mikey.pcap -T fields -E separator=, -E aggregator=';' -E occurrence=a "${args[@]}" \
  >fields.csv 2>tshark.err || { cat tshark.err >&2; fail "tshark failed"; }
[ "$(wc -l <fields.csv)" -eq 6 ] || { cat fields.csv >&2; fail "tshark did not see 6 frames"; }

mac_of() { echo "${1: -40}"; }            # the last 20 octets: KEMAC MAC or V MAC
ids="$IDI;$IDR"
ext_msk=000300f110010400010002
ext_mtk=000300f11001040001000202020007
expect=(
  "0,1,0x$CSB1,1,1,$(mac_of "$m1"),$ids,$RAND1,,,26,,,,,2,$ext_msk"
  "1,0,0x$CSB1,,,,$IDR,,1,$(mac_of "$v1"),,,,,,2,"
  "0,0,0x$CSB2,1,1,$(mac_of "$t1"),,$RAND2,,,36,,,,,2,$ext_mtk"
  "0,1,0x$CSB3,0,1,$(mac_of "$m2"),$ids,$RAND1,,,26,$MSK,,0001,1000,2,$ext_msk"
  "0,0,0x$CSB4,0,1,$(mac_of "$t2"),,$RAND2,,,36,$MTK,$SALT,,,2,$ext_mtk"
  "0,1,0x$CSB5,1,1,$(mac_of "$p1"),$ids,$RAND1,,,0,,,,,2,$ext_msk"
)
names=("MSK message" "verification message" "MTK message" "NULL-encrypted MSK message"
       "NULL-encrypted MTK message" "pull message")
i=0
while IFS= read -r got; do
  [ "$got" = "${expect[$i]}" ] || fail "frame $((i + 1)) (${names[$i]}): tshark fields
  ${FIELDS[*]}
  got:    $got
  expect: ${expect[$i]}"
  i=$((i + 1))
done <fields.csv

# The same capture through `mbmsec mikey decode --pcap` (both keys; NULL allowed for frames 4, 5).
"$MBMSEC" mikey decode --pcap mikey.pcap --muk $MUK --msk $MSK --allow-null --json >decode.jsonl ||
  fail "mbmsec mikey decode --pcap failed"
"$PY" - fields.csv decode.jsonl "$MSK" "$MTK" "$SALT" <<'PYEOF' || fail "decode --pcap disagrees with tshark"
import json, sys
rows = [l.rstrip("\n").split(",") for l in open(sys.argv[1])]
objs = [json.loads(l) for l in open(sys.argv[2])]
msk, mtk, salt = sys.argv[3:6]
assert len(objs) == len(rows) == 6, "frame count"
for n, (row, o) in enumerate(zip(rows, objs), 1):
    p = o["payloads"]
    first = {}
    for x in p:
        first.setdefault(x["type"], x)
    hdr = p[0]
    def check(what, ours, theirs):
        if ours != theirs:
            sys.exit("frame %d %s: mbmsec %r, tshark %r" % (n, what, ours, theirs))
    check("frame", o["frame"], n)
    check("type", str(hdr["data_type"]), row[0])
    check("V", str(hdr["v"]), row[1])
    check("CSB ID", "0x" + hdr["csb_id"], row[2])
    ids = ";".join(x["text"] for x in p if x["type"] == "ID")
    check("IDs", ids, row[6])
    if "KEMAC" in first:
        k = first["KEMAC"]
        check("encr alg", str(k["encr_alg"]), row[3])
        check("MAC alg", str(k["mac_alg"]), row[4])
        check("MAC", k["mac"], row[5])
        check("RAND", first["RAND"]["data"], row[7])
        check("encr len", str(k["encr_len"]), row[10])
    if "V" in first:
        check("V MAC", first["V"]["mac"], row[9])
    check("mac_ok", o.get("mac_ok"), True)
want = {1: (msk, None), 3: (mtk, salt), 4: (msk, None), 5: (mtk, salt)}
for n, (key, s) in want.items():
    ks = objs[n - 1]["keys"]
    if len(ks) != 1 or ks[0]["key"] != key or ks[0].get("salt") != s:
        sys.exit("frame %d: keys %r" % (n, ks))
    if n == 4 and (ks[0]["key"] != rows[3][11] or ks[0]["vf"] != rows[3][13] or ks[0]["vt"] != rows[3][14]):
        sys.exit("frame 4: keys differ from tshark's key data")
    if n == 5 and (ks[0]["key"] != rows[4][11] or ks[0]["salt"] != rows[4][12]):
        sys.exit("frame 5: keys differ from tshark's key data")
if objs[5]["keys"] != []:
    sys.exit("frame 6 (pull): keys shown")
PYEOF
echo "ok: 6 frames (MSK+V, verification, MTK, NULL-encrypted MSK and MTK, pull) as tshark reads"
echo "    them, and mbmsec mikey decode --pcap agrees (mac_ok true on all 6, keys as sent)"
