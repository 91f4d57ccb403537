#!/usr/bin/env bash
# `mbmsec milenage` against osmo-auc-gen (libosmocore-utils; GPL, used only as a test oracle)
# on random inputs: RES, CK, IK and AUTN of a vector; AUTS made by us and resolved by osmo
# (SQN_MS, osmo's next SQN and its AUTN); osmo's resync agrees with our --auts check.
#
# osmo-auc-gen 1.x conventions seen in its output: `-s SQN` is the SQN used as-is (its
# output line SQN: is the same number, decimal); with `-A AUTS` it prints SQN.MS: (decimal)
# and builds a new vector with SEQ = SEQ_MS + 1 and IND from -i (default IND length 5).
set -u
: "${MBMSEC:?set MBMSEC to the mbmsec tool}"
CASES=${CASES:-60}
MIN_CASES=50
command -v osmo-auc-gen >/dev/null || { echo "FAIL: osmo-auc-gen not found (apt install libosmocore-utils)"; exit 1; }

rnd() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
fail() { echo "FAIL case $i: $*"; echo "  inputs: k=$k $opt_ours=$opkey rand=$rand sqn=$sqn amf=$amf"; exit 1; }
# Value of "NAME:<tab>value" in osmo-auc-gen output, lower-cased.
osmo_field() { printf '%s\n' "$1" | awk -F'\t' -v n="$2:" '$1 == n { print tolower($2) }'; }
ours_field() { printf '%s\n' "$1" | awk -F= -v n="$2" '$1 == n { print $2 }'; }
hex48() { printf '%012x' "$1"; }

compared=0 auts_compared=0
for ((i = 0; i < CASES; i++)); do
  k=$(rnd 16) opkey=$(rnd 16) rand=$(rnd 16) sqn=$(rnd 6) amf=$(rnd 2)
  if ((i % 2)); then opt_ours=--op opt_osmo=-O; else opt_ours=--opc opt_osmo=-o; fi

  ours=$("$MBMSEC" milenage --k "$k" "$opt_ours" "$opkey" --rand "$rand" --sqn "$sqn" --amf "$amf") ||
    fail "mbmsec exited $?"
  osmo=$(osmo-auc-gen -3 -a milenage -k "$k" "$opt_osmo" "$opkey" -r "$rand" -s $((16#$sqn)) -f "$amf") ||
    fail "osmo-auc-gen exited $?"
  [ "$(osmo_field "$osmo" SQN)" = "$((16#$sqn))" ] || fail "osmo used SQN $(osmo_field "$osmo" SQN), not $((16#$sqn))"
  for f in res:RES ck:CK ik:IK autn:AUTN; do
    a=$(ours_field "$ours" "${f%%:*}") b=$(osmo_field "$osmo" "${f##*:}")
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "${f%%:*}: mbmsec '$a', osmo-auc-gen '$b'"
  done
  compared=$((compared + 1))

  # AUTS: SQN_MS below 2^47 so that osmo's SEQ_MS + 1 cannot wrap.
  sqn_ms=$(hex48 $((16#$(rnd 6) & 0x7fffffffffff)))
  ind=$((16#$(rnd 1) % 32))
  auts=$(ours_field "$("$MBMSEC" milenage --k "$k" "$opt_ours" "$opkey" --rand "$rand" --sqn-ms "$sqn_ms")" auts) ||
    fail "mbmsec --sqn-ms failed"
  [ ${#auts} -eq 28 ] || fail "auts '$auts' is not 14 octets"
  osmo=$(osmo-auc-gen -3 -a milenage -k "$k" "$opt_osmo" "$opkey" -r "$rand" -A "$auts" -i "$ind" -f "$amf") ||
    fail "osmo-auc-gen rejected our AUTS $auts for SQN_MS $sqn_ms"
  got=$(osmo_field "$osmo" SQN.MS)
  [ "$got" = "$((16#$sqn_ms))" ] || fail "osmo SQN.MS $got, want $((16#$sqn_ms)) (0x$sqn_ms)"
  # osmo's resynchronised vector: SEQ_MS + 1 with IND; our tool must give the same AUTN.
  next=$(( (((16#$sqn_ms >> 5) + 1) << 5) | ind ))
  [ "$(osmo_field "$osmo" SQN)" = "$next" ] || fail "osmo next SQN $(osmo_field "$osmo" SQN), want $next"
  ours=$("$MBMSEC" milenage --k "$k" "$opt_ours" "$opkey" --rand "$rand" --sqn "$(hex48 "$next")" --amf "$amf") ||
    fail "mbmsec exited $?"
  [ "$(ours_field "$ours" autn)" = "$(osmo_field "$osmo" AUTN)" ] || fail "AUTN after resync differs"
  # Our AuC-side check of the same AUTS gives osmo's SQN_MS.
  ms=$(ours_field "$("$MBMSEC" milenage --k "$k" "$opt_ours" "$opkey" --rand "$rand" --auts "$auts")" sqn_ms) ||
    fail "mbmsec --auts rejected its own AUTS"
  [ -n "$ms" ] || fail "mbmsec --auts printed no sqn_ms"
  [ "$((16#$ms))" = "$got" ] || fail "mbmsec --auts sqn_ms $ms, osmo $got"
  # A damaged MAC-S: both refuse.
  bad=${auts:0:27}$(printf '%x' $(( (16#${auts:27:1}) ^ 1 )))
  "$MBMSEC" milenage --k "$k" "$opt_ours" "$opkey" --rand "$rand" --auts "$bad" >/dev/null 2>&1
  rc=$?
  [ $rc -eq 1 ] || fail "mbmsec --auts with a bad MAC-S exited $rc, want 1"
  osmo-auc-gen -3 -a milenage -k "$k" "$opt_osmo" "$opkey" -r "$rand" -A "$bad" >/dev/null 2>&1 &&
    fail "osmo-auc-gen accepted a bad MAC-S"
  auts_compared=$((auts_compared + 1))
done

if [ "$compared" -lt "$MIN_CASES" ] || [ "$auts_compared" -lt "$MIN_CASES" ]; then
  echo "FAIL: only $compared vector and $auts_compared AUTS comparisons (need $MIN_CASES)"
  exit 1
fi
echo "ok: $compared vectors (RES, CK, IK, AUTN) and $auts_compared AUTS round trips agree with osmo-auc-gen"
