# The set-up shared by the single-UE BM-SC e2e tests (sourced after tests/lib/common.sh):
# bmsc_env_start [BMSC OPTIONS...] provisions one subscriber (ALICE) at a real mbmsec-bsf, one
# service (Key Group 0001) granted to her at mbmsec-bmsc, starts both daemons on free ports
# (BP, ZP, HP, AP, UE_PORT; PIDs BSF_PID, BMSC_PID), makes the UE's USIM and bootstraps it
# (BTID); ue CMD ARGS... runs mbmsec-ue from UE_IP with MIKEY on UE_IP:UE_PORT.
bmsc_env_start() {
  BSF_FQDN=bsf.test.example.org
  NAF=bmsc.test.example.org
  UE_IP=127.0.0.6
  K=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')
  OPC=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')
  ALICE="alice@ims.mnc001.mcc001.3gppnetwork.org"

  "$BSF" subscriber add --store "sqlite:$WORK/bsf.db" --impi "$ALICE" --k "$K" --opc "$OPC" --uss 4 ||
    fail "bsf subscriber add"
  for try in 1 2 3 4 5; do
    BP=$(free_port) ZP=$(free_port)
    "$BSF" run --listen "127.0.0.1:$BP" --zn-listen "127.0.0.1:$ZP" --store "sqlite:$WORK/bsf.db" \
      --fqdn "$BSF_FQDN" --zn-peer bmsc.zn.test >/dev/null 2>"$WORK/bsf.err" &
    BSF_PID=$!
    TEST_PIDS+=("$BSF_PID")
    wait_for "$WORK/bsf.err" "msg=ready" 100 "$BSF_PID" && break
    kill -KILL "$BSF_PID" 2>/dev/null || true
    [ "$try" = 5 ] && fail "mbmsec-bsf did not start"
  done

  BSTORE="sqlite:$WORK/bmsc.db"
  "$BMSC" service add --store "$BSTORE" --service-id urn:example:mbms:news --key-group 0001 \
    --msk-lifetime 3600 >/dev/null || fail "service add"
  "$BMSC" subscriber grant --store "$BSTORE" --impi "$ALICE" --service-id urn:example:mbms:news ||
    fail "grant"
  UE_PORT=$(free_port)
  for try in 1 2 3 4 5; do
    HP=$(free_port) AP=$(free_port)
    : >"$WORK/bmsc.err"
    "$BMSC" run --listen "127.0.0.1:$HP" --admin-listen "127.0.0.1:$AP" --fqdn "$NAF" --store "$BSTORE" \
      --mikey-bind 127.0.0.1:0 --ue-mikey-port "$UE_PORT" --rotate-lead 60 "$@" \
      --zn-peer-addr 127.0.0.1 --zn-peer-port "$ZP" --zn-identity bmsc.zn.test --zn-realm zn.test \
      --zn-peer bsf.zn.test >/dev/null 2>>"$WORK/bmsc.err" &
    BMSC_PID=$!
    TEST_PIDS+=("$BMSC_PID")
    wait_for "$WORK/bmsc.err" "msg=ready" 150 "$BMSC_PID" && break
    kill -KILL "$BMSC_PID" 2>/dev/null || true
    [ "$try" = 5 ] && fail "mbmsec-bmsc did not start"
  done
  metric() { curl -s -m 5 "http://127.0.0.1:$AP/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
  uelist() { "$BMSC" ue list --admin "127.0.0.1:$AP"; }

  timeout 30 "$UE" usim init --usim "$WORK/usim" --k "$K" --opc "$OPC" >/dev/null 2>"$WORK/ue.err" || fail "usim init"
  out=$(timeout 30 "$UE" bootstrap --bsf "http://127.0.0.1:$BP/" --realm "$BSF_FQDN" --impi "$ALICE" \
    --usim "$WORK/usim" --state "$WORK/state" --naf-fqdn "$NAF" 2>"$WORK/ue.err") || fail "bootstrap: $out"
  BTID=$(field "$out" btid)
  [ -n "$BTID" ] || fail "bootstrap output: $out"
}

ue() { # ue CMD ARGS...: mbmsec-ue from UE_IP, MIKEY received on UE_IP:UE_PORT
  local c=$1
  shift
  timeout 30 "$UE" "$c" --bmsc "http://127.0.0.1:$HP/" --naf-fqdn "$NAF" --state "$WORK/state" \
    --bind "$UE_IP" --mikey-listen "$UE_IP:$UE_PORT" --mikey-state "$WORK/mikey.state" "$@"
}
