# Helpers of the mbmsec-load tests (sourced after tests/lib/common.sh): provisioning of N
# subscribers in bulk (BSF `subscriber import`, BM-SC `subscriber grant --file`), and the
# BSF and BM-SC started on free loopback ports with Zn between them.
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

start_bsf() {
  local try
  for try in 1 2 3 4 5; do
    BP=$(free_port) ZP=$(free_port)
    "$BSF" run --listen "127.0.0.1:$BP" --zn-listen "127.0.0.1:$ZP" --store "sqlite:$WORK/bsf.db" \
      --fqdn "$BSF_FQDN" --zn-peer bmsc.zn.test >/dev/null 2>"$WORK/bsf.err" &
    BSF_PID=$!
    TEST_PIDS+=("$BSF_PID")
    wait_for "$WORK/bsf.err" "msg=ready" 100 "$BSF_PID" && return 0
    kill -KILL "$BSF_PID" 2>/dev/null || true
  done
  fail "mbmsec-bsf did not start"
}

# start_bmsc [extra options...]
start_bmsc() {
  local try
  UE_PORT=$(free_port)
  for try in 1 2 3 4 5; do
    HP=$(free_port) AP=$(free_port)
    : >"$WORK/bmsc.err"
    "$BMSC" run --listen "127.0.0.1:$HP" --admin-listen "127.0.0.1:$AP" --fqdn "$NAF" \
      --store "sqlite:$WORK/bmsc.db" --mikey-bind 127.0.0.1:0 --ue-mikey-port "$UE_PORT" \
      --zn-peer-addr 127.0.0.1 --zn-peer-port "$ZP" --log-level warn "$@" \
      >/dev/null 2>>"$WORK/bmsc.err" &
    BMSC_PID=$!
    TEST_PIDS+=("$BMSC_PID")
    # warn level: the ready line is info; wait for the admin port instead
    local i
    for i in $(seq 100); do
      curl -s -o /dev/null "http://127.0.0.1:$AP/metrics" && return 0
      kill -0 "$BMSC_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$BMSC_PID" 2>/dev/null || true
  done
  fail "mbmsec-bmsc did not start"
}
