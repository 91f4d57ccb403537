# Helpers of the mbmsec-load tests (sourced after tests/lib/common.sh): provisioning of N
# subscribers in bulk (BSF `subscriber import`, BM-SC `subscriber grant --file`), and the
# BSF and BM-SC (tests/lib/daemons.sh: start_bsf, start_bmsc) with Zn between them.
BSF_FQDN=bsf.load.test
NAF=bmsc.load.test
SVC=urn:example:mbms:load
K=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')
OPC=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')

# provision N MSK_LIFETIME_S: IMPIs u0..u(N-1); service $SVC, Key Group 0001.
provision() {
  awk -v n="$1" -v k="$K" -v o="$OPC" 'BEGIN { for (i = 0; i < n; i++) printf "u%d,%s,%s\n", i, k, o }' >"$WORK/subs.csv"
  awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "u%d\n", i }' >"$WORK/impis.txt"
  local out
  out=$("$BSF" subscriber import --store "sqlite:$WORK/bsf.db" --file "$WORK/subs.csv") || fail "bsf subscriber import"
  [ "$out" = "imported=$1" ] || fail "import: $out"
  "$BMSC" service add --store "sqlite:$WORK/bmsc.db" --service-id "$SVC" --key-group 0001 \
    --msk-lifetime "$2" ${SERVICE_EXTRA:-} >/dev/null || fail "service add"
  out=$("$BMSC" subscriber grant --store "sqlite:$WORK/bmsc.db" --file "$WORK/impis.txt" --service-id "$SVC") ||
    fail "bmsc subscriber grant --file"
  [ "$out" = "granted=$1" ] || fail "grant: $out"
}

# The daemons (tests/lib/daemons.sh); the BM-SC logs at warn: a loaded server's info lines
# would be most of its work.
BMSC_INI="log-level = warn"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/daemons.sh"
