#!/usr/bin/env bash
# The MSK messages on the wire, decoded by an independent implementation: the real mbmsec-bsf
# and mbmsec-bmsc and the library UE client mbmsec-ue on loopback; dumpcap captures the UDP
# datagrams to the UE's MIKEY port on lo (capture filter on that port) and tshark decodes them
# as MIKEY (-d udp.port==P,mikey). Checked against what the UE accepted and printed: one
# message per MSK, data type 0 (pre-shared key), V set, Key ID extension = Key Domain ID || MSK
# ID, IDi = the BM-SC FQDN, IDr = the UE's B-TID, and the counter (T payload, mikey.md 7.1
# offset 27, which tshark shows only as NTP) equal to the one the UE accepted.
set -u
: "${BMSC:?BMSC must name mbmsec-bmsc}" "${PY:=/usr/bin/python3}"

TEST_NAME=bmsc-capture
. "$(dirname "$0")/../lib/common.sh"
need_built BSF UE
need_tools curl od timeout tshark dumpcap

. "$(dirname "$0")/bmsc_env.sh"
bmsc_env_start
ok "mbmsec-bsf and mbmsec-bmsc"


cap_ok=0
"$(command -v dumpcap)" -i lo -f "udp dst port $UE_PORT" -w "$WORK/mikey.pcapng" -q 2>"$WORK/dumpcap.err" &
CAP_PID=$!
TEST_PIDS+=("$CAP_PID")
for i in $(seq 50); do grep -q "File:\|Capturing" "$WORK/dumpcap.err" && { cap_ok=1; break; }; kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.1; done
[ "$cap_ok" = 1 ] || { echo "SKIP: dumpcap cannot capture on lo: $(cat "$WORK/dumpcap.err")"; exit 77; }
sleep 0.5
out=$(ue register --service-id urn:example:mbms:news --wait-ms 1500 2>"$WORK/ue.err") ||
  fail "register: $out $(cat "$WORK/ue.err")"
grep -q "^mikey_2=msk" <<<"$out" || fail "register: 2 MSKs not received: $out"
sleep 0.5
kill -INT "$CAP_PID"
wait "$CAP_PID" 2>/dev/null
tshark -r "$WORK/mikey.pcapng" -d "udp.port==$UE_PORT,mikey" -T fields -E separator=/t \
  -e mikey.type -e mikey.v.set -e mikey.csb_id -e mikey.ext.data -e mikey.id.data -e udp.payload \
  >"$WORK/decoded" 2>"$WORK/tshark.err" || fail "tshark: $(cat "$WORK/tshark.err")"
[ "$(wc -l <"$WORK/decoded")" = 2 ] || fail "want 2 MSK messages captured: $(cat "$WORK/decoded")"
printf '%s\n' "$out" >"$WORK/ue.out"
"$PY" - "$WORK/decoded" "$NAF" "$BTID" "$WORK/ue.out" <<'EOF' || fail "decoded fields do not match the UE: $(cat "$WORK/decoded") / $out"
import sys
path, naf, btid, ue_out = sys.argv[1:5]
ue = {}  # "kdid:msk_id" -> counter, from the UE's output
for line in open(ue_out):
    if line.startswith("mikey_") and "=msk " in line:
        f = line.split("=", 1)[1].split()
        ue[f[1].replace(":", "")] = int(f[3].split("=")[1])
seen = {}
for row in open(path):
    typ, vset, csb, ext, ids, payload = row.rstrip("\n").split("\t")
    p = bytes.fromhex(payload.replace(":", ""))
    assert typ == "0", ("data type", typ)
    assert vset in ("1", "True"), ("V flag", vset)
    assert int(csb, 0) == int.from_bytes(p[4:8], "big")
    # Key ID extension data (mikey.md 7.1): type 0, length 3, Key Domain ID; type 1, length 4,
    # MSK ID
    e = bytes.fromhex(ext.replace(":", ""))
    assert len(e) == 11 and e[0:2] == b"\x00\x03" and e[5:7] == b"\x01\x04", ("Key ID", ext)
    ids = ids.split(",")
    assert ids == [naf, btid], ("IDi, IDr", ids)
    seen[e[2:5].hex() + e[7:11].hex()] = int.from_bytes(p[27:31], "big")
assert seen == ue, (seen, ue)
print("decoded:", seen)
EOF
ok "2 MSK messages on lo decoded by tshark: type 0, V set, CSB ID, Key ID, IDi, IDr and counter as the UE accepted"
stop_pid "$BMSC_PID" || fail "SIGTERM: not a clean exit"
exit 0
