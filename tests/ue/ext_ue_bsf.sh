#!/usr/bin/env bash
# End to end: mbmsec-ue against the real BSF daemon (mbmsec-bsf, HTTP Ub + Diameter Zn, SQLite
# store), with tests/zn/zn_peer as the BM-SC's Zn client. Asserts:
#  1. a UE bootstraps (B-TID = base64(RAND)@FQDN, state file written);
#  2. Zn BIR by B-TID and MBMS NAF_Id -> 2001 with exactly the UE's Ks_NAF and IMPI;
#  3. unknown B-TID -> 5403;
#  4. subscriber whose USS lacks MBMS (--uss 1) -> 5402 for the MBMS NAF_Id;
#  5. resynchronisation: card ahead of the HSS -> bootstrapped after one AUTS round, the BSF's
#     SQN moved past the card's;
#  6. wrong K on the card: UE exit 1 (network authentication failure), no state file, the BSF's
#     SQN (subscriber show) and the whole store (SQLite dump) unchanged;
#  7. the Zn exchange decoded by tshark: command 310, Transaction-Identifier = hex(B-TID),
#     NAF-Id = hex(FQDN) || 0100000001, ME-Key-Material 32 octets (= the UE's Ks_NAF)
#     (needs root and tshark; reported as skipped otherwise);
#  8. an expired B-TID (BSF restarted with --lifetime 2) -> 5403.
# Skips (77) when mbmsec-bsf or zn_peer is not built.
set -euo pipefail
. "$(dirname "$0")/ue_lib.sh"
[ -n "${MBMSEC_BSF:-}" ] && [ -x "${MBMSEC_BSF:-}" ] || { echo "SKIP: mbmsec-bsf not built"; exit 77; }
[ -n "${ZN_PEER:-}" ] && [ -x "${ZN_PEER:-}" ] || { echo "SKIP: zn_peer not built"; exit 77; }

FQDN=bsf.ue.test NAF=bmsc.ue.test
mkdir -p "$WORK/znc"
STORE="sqlite:$WORK/bsf.db"
K=465b5ce8b199b49faa5f0a2ee238a6bc OPC=cd63cb71954a9f4e48a5994e37a02baf
K_BAD=00112233445566778899aabbccddeeff
ALICE=alice@ims.mnc001.mcc001.3gppnetwork.org   # MBMS allowed
BOB=bob@ims.mnc001.mcc001.3gppnetwork.org       # USS without MBMS
CAROL=carol@ims.mnc001.mcc001.3gppnetwork.org   # HSS behind the card
DAVE=dave@ims.mnc001.mcc001.3gppnetwork.org     # card with the wrong K

bsf() { timeout 30 "$MBMSEC_BSF" "$@"; }
bsf subscriber add --store "$STORE" --impi "$ALICE" --k "$K" --opc "$OPC" --sqn 000000000040 --uss 1,4 \
  >"$WORK/sub.out" 2>"$WORK/sub.err" || fail "subscriber add alice"
bsf subscriber add --store "$STORE" --impi "$BOB" --k "$K" --opc "$OPC" --uss 1 \
  >>"$WORK/sub.out" 2>>"$WORK/sub.err" || fail "subscriber add bob"
bsf subscriber add --store "$STORE" --impi "$CAROL" --k "$K" --opc "$OPC" --sqn 000000000020 --uss 4 \
  >>"$WORK/sub.out" 2>>"$WORK/sub.err" || fail "subscriber add carol"
bsf subscriber add --store "$STORE" --impi "$DAVE" --k "$K" --opc "$OPC" --uss 4 \
  >>"$WORK/sub.out" 2>>"$WORK/sub.err" || fail "subscriber add dave"
ok "4 subscribers provisioned"

# The BSF: start_bsf [RUN OPTIONS...] of tests/lib/daemons.sh (Ub on BP, Zn on ZP, BSF_PID).
BSF=$MBMSEC_BSF BSF_FQDN=$FQDN BSF_STORE=$STORE
. "$(dirname "$0")/../lib/daemons.sh"
boot() { # name impi usim state [extra...]
  local n=$1 i=$2 u=$3 s=$4; shift 4
  ue "$n" bootstrap --bsf "http://127.0.0.1:$BP/" --realm "$FQDN" --impi "$i" --usim "$u" --state "$s" "$@"
}
# zn_peer client BIRs for the given B-TIDs; output in $WORK/$1.zn
zn() {
  local n=$1; shift
  timeout 60 "$ZN_PEER" client --identity bmsc.zn.test --realm zn.test --peer bsf.zn.test \
    --peer-addr 127.0.0.1 --peer-port "$ZP" --naf-fqdn "$NAF" --conf-dir "$WORK/znc" "$@" \
    >"$WORK/$n.zn" 2>>"$WORK/zn.err" || fail "zn_peer client exited with $?"
}
zn_line() { grep "^btid=$(hexs "$2") " "$WORK/$1.zn" || fail "no Zn answer for $2 in $(cat "$WORK/$1.zn")"; }
zn_field() { printf '%s' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# Every row of every table as JSON (read-only; WAL readers do not disturb the BSF).
store_snap() {
  "$PY" - "$WORK/bsf.db" >"$1" <<'PYEOF'
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
# Compares two snapshots: prints "same", else the differences (and fails).
store_cmp() {
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
if a == b:
    print("same"); sys.exit(0)
print("store changed:", json.dumps({"before": a, "after": b})[:2000]); sys.exit(1)
PYEOF
}
sqn_of() { bsf subscriber show --store "$STORE" --impi "$1" 2>>"$WORK/sub.err" | sed -n 's/^sqn=//p'; }

start_bsf
ok "mbmsec-bsf up: Ub 127.0.0.1:$BP, Zn 127.0.0.1:$ZP"

# ---- 1. bootstrap ----
ue ia usim init --usim "$WORK/ua" --k "$K" --opc "$OPC" || fail "usim init alice"
boot ba "$ALICE" "$WORK/ua" "$WORK/sa" --naf-fqdn "$NAF" --show-keys || fail "alice bootstrap exited with $?"
cat "$WORK/ba.out"
BTID_A=$(val ba btid); KSNAF_A=$(val ba ks_naf)
want_btid="$("$PY" -c 'import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$(val ba rand)")@$FQDN"
[ "$BTID_A" = "$want_btid" ] || fail "B-TID $BTID_A, want $want_btid"
grep -qx "btid $BTID_A" "$WORK/sa" || fail "state file"
ok "UE bootstrapped against mbmsec-bsf: B-TID $BTID_A"

# ---- 2 + 3 + 7. Zn: the UE's Ks_NAF, unknown B-TID; capture for tshark ----
CAP=0
if command -v tshark >/dev/null && [ "$(id -u)" = 0 ]; then
  timeout 60 tshark -i lo -f "tcp port $ZP" -w "$WORK/zn.pcap" >"$WORK/tshark.out" 2>"$WORK/tshark.log" &
  TS=$!
  TEST_PIDS+=("$TS")
  wait_for "$WORK/tshark.log" "Capturing on" 100 "$TS" || fail "tshark did not start capturing"
  sleep 0.5
  CAP=1
fi
BTID_UNKNOWN="$(head -c 16 /dev/urandom | base64 | tr -d '\n')@$FQDN"
zn z1 "$BTID_A" "$BTID_UNKNOWN"
l=$(zn_line z1 "$BTID_A")
[ "$(zn_field "$l" result)" = 2001 ] || fail "BIR for alice: $l"
[ "$(zn_field "$l" ks_naf)" = "$KSNAF_A" ] || fail "Zn Ks_NAF $(zn_field "$l" ks_naf) != UE's $KSNAF_A"
[ "$(zn_field "$l" impi)" = "$(hexs "$ALICE")" ] || fail "Zn IMPI: $l"
ok "Zn BIR (B-TID, MBMS NAF_Id) -> 2001 with exactly the UE's Ks_NAF and IMPI"
l=$(zn_line z1 "$BTID_UNKNOWN")
[ "$(zn_field "$l" result)" = 5403 ] && [ "$(zn_field "$l" exp)" = 1 ] || fail "unknown B-TID: $l"
[ -z "$(zn_field "$l" ks_naf)" ] || fail "key material for an unknown B-TID"
ok "unknown B-TID -> 5403, no key"

if [ $CAP = 1 ]; then
  sleep 0.5
  stop_pid "$TS" || true
  tshark -r "$WORK/zn.pcap" -d "tcp.port==$ZP,diameter" -Y "diameter.cmd.code == 310" -T fields \
    -E separator=';' -e diameter.flags.request -e diameter.cmd.code -e diameter.Transaction-Identifier \
    -e diameter.NAF-Hostname -e diameter.ME-Key-Material >"$WORK/fields" 2>"$WORK/tshark-read.log" \
    || fail "tshark read"
  cat "$WORK/fields"
  norm() { tr 'A-F' 'a-f' | tr -d ':'; }
  got_req=0 got_ans=0
  while IFS=';' read -r req code tid naf key; do
    [ "$code" = 310 ] || fail "command code $code"
    case "$req" in 1|True|true)
      if [ "$(printf '%s' "$tid" | norm)" = "$(hexs "$BTID_A")" ]; then
        [ "$(printf '%s' "$naf" | norm)" = "$(hexs "$NAF")0100000001" ] || fail "NAF-Id $naf"
        got_req=1
      fi;;
    *)
      k=$(printf '%s' "$key" | norm)
      if [ -n "$k" ]; then
        [ ${#k} = 64 ] || fail "ME-Key-Material ${#k} hex digits"
        [ "$k" = "$KSNAF_A" ] || fail "ME-Key-Material is not the UE's Ks_NAF"
        got_ans=1
      fi;;
    esac
  done <"$WORK/fields"
  [ $got_req = 1 ] && [ $got_ans = 1 ] || fail "tshark: request $got_req answer $got_ans"
  ok "tshark: cmd 310, Transaction-Identifier = hex(B-TID), NAF-Id = hex(FQDN)||0100000001, 32-octet ME-Key-Material = UE's Ks_NAF"
else
  echo "skip: tshark capture (needs tshark and root)"
fi

# ---- 4. USS without MBMS -> 5402 ----
ue ib usim init --usim "$WORK/ub" --k "$K" --opc "$OPC" || fail "usim init bob"
boot bb "$BOB" "$WORK/ub" "$WORK/sb" || fail "bob bootstrap exited with $?"
zn z2 "$(val bb btid)"
l=$(zn_line z2 "$(val bb btid)")
[ "$(zn_field "$l" result)" = 5402 ] && [ -z "$(zn_field "$l" ks_naf)" ] || fail "bob (uss 1): $l"
ok "subscriber with --uss 1 bootstraps but gets 5402 for the MBMS NAF_Id"

# ---- 5. resynchronisation ----
ue ic usim init --usim "$WORK/uc" --k "$K" --opc "$OPC" --sqn-ms 000000100000 || fail "usim init carol"
boot bc "$CAROL" "$WORK/uc" "$WORK/sc" --naf-fqdn "$NAF" --show-keys || fail "carol bootstrap exited with $? ($(cat "$WORK/bc.err"))"
[ "$(val bc resyncs)" = 1 ] || fail "no AUTS round"
s=$(sqn_of "$CAROL")
[ -n "$s" ] && [ $((16#$s)) -gt $((16#000000100000)) ] || fail "BSF SQN after resync: '$s'"
zn z3 "$(val bc btid)"
l=$(zn_line z3 "$(val bc btid)")
[ "$(zn_field "$l" ks_naf)" = "$(val bc ks_naf)" ] || fail "carol Ks_NAF over Zn: $l"
ok "card ahead (SQN_MS 000000100000, HSS 000000000020): one AUTS round, bootstrapped, BSF SQN now $s, Zn key matches"

# ---- 6. wrong K ----
ue id usim init --usim "$WORK/ud" --k "$K_BAD" --opc "$OPC" || fail "usim init dave"
cp "$WORK/ud" "$WORK/ud.before"
sqn_before=$(sqn_of "$DAVE")
store_snap "$WORK/snap.before" || fail "store snapshot"
rc=0; boot bd "$DAVE" "$WORK/ud" "$WORK/sd" || rc=$?
[ $rc = 1 ] || fail "wrong K: exit $rc, want 1"
grep -q "network authentication failure" "$WORK/bd.err" || fail "wrong K: $(cat "$WORK/bd.err")"
[ ! -e "$WORK/sd" ] || fail "wrong K: state file written"
cmp -s "$WORK/ud" "$WORK/ud.before" || fail "wrong K: USIM file changed"
sleep 0.3 # the BSF commits before it answers; a little margin for the WAL reader
store_snap "$WORK/snap.after" || fail "store snapshot"
sqn_after=$(sqn_of "$DAVE")
store_cmp "$WORK/snap.before" "$WORK/snap.after" >/dev/null || fail "wrong K: $(store_cmp "$WORK/snap.before" "$WORK/snap.after")"
[ "$sqn_after" = "$sqn_before" ] || fail "wrong K: SQN $sqn_before -> $sqn_after"
ok "wrong K: UE exit 1 (network authentication failure), no B-TID; USIM file, BSF SQN ($sqn_before) and the whole store unchanged"

stop_pid "$BSF_PID" || fail "mbmsec-bsf did not stop cleanly on SIGTERM"
ok "mbmsec-bsf stopped cleanly"

# ---- 8. expired B-TID ----
start_bsf --lifetime 2
boot be "$ALICE" "$WORK/ua" "$WORK/se" || fail "alice bootstrap (short lifetime)"
BTID_E=$(val be btid)
sleep 3
zn z4 "$BTID_E"
l=$(zn_line z4 "$BTID_E")
[ "$(zn_field "$l" result)" = 5403 ] && [ -z "$(zn_field "$l" ks_naf)" ] || fail "expired B-TID: $l"
ok "B-TID past its 2 s lifetime -> 5403"
stop_pid "$BSF_PID" || fail "mbmsec-bsf did not stop cleanly"
echo PASS
