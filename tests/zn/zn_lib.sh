# Shared helpers of tests/zn/ext_zn*.sh (sourced, not run) on top of tests/lib/common.sh:
# the BSF test table and the server start.
: "${ZN_PEER:?ZN_PEER must name the zn_peer test program}"
TEST_NAME=zn-test
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

# The BSF table: a random Ks_NAF per entry and B-TIDs of the form base64(RAND)@bsf.
NOW=$(date +%s)
EXPIRY=$((NOW + 3600))
rand_hex() { od -An -tx1 -N"$1" -v /dev/urandom | tr -d ' \n'; }
rand_b64() { head -c 16 /dev/urandom | base64 | tr -d '\n'; }
BTID_ALICE="$(rand_b64)@bsf.zn.test"; KS_ALICE=$(rand_hex 32); IMPI_ALICE="alice@ims.mnc001.mcc001.3gppnetwork.org"
BTID_BOB="$(rand_b64)@bsf.zn.test";   KS_BOB=$(rand_hex 32);   IMPI_BOB="bob@ims.mnc001.mcc001.3gppnetwork.org"
BTID_CAROL="$(rand_b64)@bsf.zn.test"; KS_CAROL=$(rand_hex 32)
BTID_DAVE="$(rand_b64)@bsf.zn.test";  KS_DAVE=$(rand_hex 32)
BTID_UNKNOWN="$(rand_b64)@bsf.zn.test"
cat > "$WORK/table" <<EOF
# B-TID IMPI Ks_NAF expiry GSIDs
$BTID_ALICE $IMPI_ALICE $KS_ALICE $EXPIRY 1,4
$BTID_BOB $IMPI_BOB $KS_BOB $EXPIRY 1
$BTID_CAROL carol@ims.test $KS_CAROL $((NOW - 60)) 4
$BTID_DAVE - $KS_DAVE $EXPIRY 4
EOF
NAF_FQDN=bmsc.zn.test

# Start the BSF on a free port (a few tries if the port got taken meanwhile); sets PORT, SRV.
start_server() {
  local try
  for try in 1 2 3 4 5; do
    PORT=$(free_port)
    "$ZN_PEER" server --identity bsf.zn.test --realm zn.test --port "$PORT" --listen 127.0.0.1 \
      --accept bmsc.zn.test --table "$WORK/table" --conf-dir "$WORK" ${SERVER_EXTRA[@]+"${SERVER_EXTRA[@]}"} \
      >"$WORK/server.out" 2>"$WORK/server.err" &
    SRV=$!
    TEST_PIDS+=("$SRV")
    if wait_for "$WORK/server.out" "^ready" 100 "$SRV"; then return 0; fi
    kill -KILL "$SRV" 2>/dev/null || true
  done
  fail "BSF did not start"
}

# zn_peer client against the BSF on $PORT; extra arguments follow. Bounded by timeout(1).
client() {
  timeout 60 "$ZN_PEER" client --identity bmsc.zn.test --realm zn.test --peer bsf.zn.test \
    --peer-addr 127.0.0.1 --peer-port "$PORT" --naf-fqdn "$NAF_FQDN" "$@" 2>>"$WORK/client.err"
}
