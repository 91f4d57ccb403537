# The set-up shared by the BM-SC e2e tests (sourced after tests/lib/common.sh; needs BSF, BMSC
# and UE; the daemons start as tests/lib/daemons.sh starts them). Building blocks, each failing
# the test on error:
#   bmsc_env_key                     prints 16 random octets in hex (a K or an OPc)
#   bmsc_env_subscriber IMPI K OPC [USS]   adds a subscriber to the BSF's store (USS default 4)
#   bmsc_env_bsf [RUN OPTIONS...]    starts mbmsec-bsf on $WORK/bsf.db, free ports BP (Ub) and
#                                    ZP (Zn); BSF_PID. The options follow the defaults.
#   bmsc_env_bmsc [RUN OPTIONS...]   starts mbmsec-bmsc on BSTORE ($WORK/bmsc.db) with Zn to the
#                                    BSF, MIKEY to UE_PORT (chosen once), --rotate-lead 60; free
#                                    ports HP (Ua) and AP (admin); BMSC_PID. The options follow
#                                    the defaults (the last of an option wins) and are kept for
#   bmsc_env_restart                 the same BM-SC again on the same store and UE_PORT (after a
#                                    stop or a kill; new HP and AP); the earlier log moves to
#                                    bmsc-prev.err
#   bmsc_env_bootstrap USIM STATE IMPI K OPC [BOOTSTRAP OPTIONS...]  makes the USIM file (once)
#                                    and bootstraps at the BSF for NAF; BTID, BOOT_OUT
#   metric NAME, uelist              the running BM-SC's /metrics value, `ue list`
# bmsc_env_start [BMSC OPTIONS...]: the single-UE set-up: one subscriber (ALICE), one service
# (urn:example:mbms:news, Key Group 0001) granted to her, both daemons, her USIM and bootstrap
# (BTID); ue CMD ARGS... runs mbmsec-ue from UE_IP with MIKEY on UE_IP:UE_PORT.
BSF_FQDN=bsf.test.example.org
NAF=bmsc.test.example.org
BSF_STORE="sqlite:$WORK/bsf.db"
BSTORE="sqlite:$WORK/bmsc.db"
BMSC_ARGS=()
. "$(dirname "${BASH_SOURCE[0]}")/../lib/daemons.sh"

bmsc_env_key() { od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n'; }

bmsc_env_subscriber() {
  "$BSF" subscriber add --store "$BSF_STORE" --impi "$1" --k "$2" --opc "$3" --uss "${4:-4}" ||
    fail "bsf subscriber add $1"
}

bmsc_env_bsf() { start_bsf "$@"; }

bmsc_env_bmsc() {
  BMSC_ARGS=("$@")
  : "${UE_PORT:=$(free_port)}"
  bmsc_env_restart
}

bmsc_env_restart() {
  [ -s "$WORK/bmsc.err" ] && cat "$WORK/bmsc.err" >>"$WORK/bmsc-prev.err"
  start_bmsc --rotate-lead 60 "${BMSC_ARGS[@]}"
}

bmsc_env_bootstrap() {
  local usim=$1 state=$2 impi=$3 k=$4 opc=$5
  shift 5
  [ -f "$usim" ] || timeout 30 "$UE" usim init --usim "$usim" --k "$k" --opc "$opc" >/dev/null 2>"$WORK/ue.err" ||
    fail "usim init $impi"
  BOOT_OUT=$(timeout 30 "$UE" bootstrap --bsf "http://127.0.0.1:$BP/" --realm "$BSF_FQDN" --impi "$impi" \
    --usim "$usim" --state "$state" --naf-fqdn "$NAF" "$@" 2>"$WORK/ue.err") || fail "bootstrap $impi: $BOOT_OUT"
  BTID=$(printf '%s\n' "$BOOT_OUT" | awk -F= '$1 == "btid" { sub(/^[^=]*=/, ""); print; exit }')
  [ -n "$BTID" ] || fail "bootstrap $impi output: $BOOT_OUT"
}

metric() { curl -s -m 5 "http://127.0.0.1:$AP/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
uelist() { "$BMSC" ue list --admin "127.0.0.1:$AP"; }

bmsc_env_start() {
  UE_IP=127.0.0.6
  K=$(bmsc_env_key)
  OPC=$(bmsc_env_key)
  ALICE="alice@ims.mnc001.mcc001.3gppnetwork.org"
  bmsc_env_subscriber "$ALICE" "$K" "$OPC"
  bmsc_env_bsf
  "$BMSC" service add --store "$BSTORE" --service-id urn:example:mbms:news --key-group 0001 \
    --msk-lifetime 3600 >/dev/null || fail "service add"
  "$BMSC" subscriber grant --store "$BSTORE" --impi "$ALICE" --service-id urn:example:mbms:news ||
    fail "grant"
  bmsc_env_bmsc "$@"
  bmsc_env_bootstrap "$WORK/usim" "$WORK/state" "$ALICE" "$K" "$OPC"
}

ue() { # ue CMD ARGS...: mbmsec-ue from UE_IP, MIKEY received on UE_IP:UE_PORT
  local c=$1
  shift
  timeout 30 "$UE" "$c" --bmsc "http://127.0.0.1:$HP/" --naf-fqdn "$NAF" --state "$WORK/state" \
    --bind "$UE_IP" --mikey-listen "$UE_IP:$UE_PORT" --mikey-state "$WORK/mikey.state" "$@"
}
