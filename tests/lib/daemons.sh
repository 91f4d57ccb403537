# Starting the daemons in the shell tests (sourced after tests/lib/common.sh). Each starts
# from a configuration file written here, on free loopback ports (a few tries, in case a port
# got taken meanwhile); options given override the file (the daemons' rule). Every process
# goes into TEST_PIDS; logs in $WORK/bsf.err and $WORK/bmsc.err, standard output beside them.
#
# start_bsf [RUN OPTIONS...]   mbmsec-bsf ($BSF) from $WORK/bsf.ini: Ub on BP, Zn on ZP,
#     store BSF_STORE, fqdn BSF_FQDN, Zn identity bsf.zn.test accepting bmsc.zn.test;
#     BSF_INI: more lines of [bsf]. Sets BSF_PID. Ready: its "msg=ready" line.
# start_bmsc [RUN OPTIONS...]  mbmsec-bmsc ($BMSC) from $WORK/bmsc.ini: Ua on HP, admin on AP
#     (KEEP_PORTS=1: the same HP and AP again), fqdn NAF, store BSTORE, MIKEY from any port to
#     UE_PORT (free, chosen once), Zn to the BSF on ZP; BMSC_INI: more lines of [bmsc]. Sets
#     BMSC_PID. Ready: its "msg=ready" line, or its admin port where the log level (warn,
#     error) leaves that line out.
: "${BSF_STORE:=sqlite:$WORK/bsf.db}" "${BSTORE:=sqlite:$WORK/bmsc.db}"
: "${BSF_FQDN:=bsf.test.example.org}" "${NAF:=bmsc.test.example.org}"

start_bsf() {
  local try
  for try in 1 2 3 4 5; do
    BP=$(free_port) ZP=$(free_port)
    cat >"$WORK/bsf.ini" <<EOF
# test configuration (tests/lib/daemons.sh)
[bsf]
listen = 127.0.0.1:$BP
store = $BSF_STORE
fqdn = $BSF_FQDN
${BSF_INI:-}
[zn]
zn-listen = 127.0.0.1:$ZP
zn-identity = bsf.zn.test
zn-realm = zn.test
zn-peer = bmsc.zn.test
EOF
    "$BSF" run --config "$WORK/bsf.ini" "$@" >"$WORK/bsf.out" 2>"$WORK/bsf.err" &
    BSF_PID=$!
    TEST_PIDS+=("$BSF_PID")
    wait_for "$WORK/bsf.err" "msg=ready" 100 "$BSF_PID" && return 0
    kill -KILL "$BSF_PID" 2>/dev/null || true
  done
  fail "mbmsec-bsf did not start"
}

# daemon_quiet FILE-LINES [OPTIONS...]: whether the log level set by the file lines and then
# the options (the last one wins) is warn or error
daemon_quiet() {
  local lvl prev= a
  lvl=$(printf '%s\n' "$1" | sed -n 's/^[[:space:]]*log-level[[:space:]]*=[[:space:]]*//p' | tail -n 1)
  shift
  for a in "$@"; do
    case $a in --log-level=*) lvl=${a#*=} ;; esac
    [ "$prev" = --log-level ] && lvl=$a
    prev=$a
  done
  case $lvl in warn | error) return 0 ;; esac
  return 1
}

start_bmsc() {
  local try i quiet=0
  daemon_quiet "${BMSC_INI:-}" "$@" && quiet=1
  : "${UE_PORT:=$(free_port)}"
  for try in 1 2 3 4 5; do
    [ "${KEEP_PORTS:-0}" = 1 ] || { HP=$(free_port) AP=$(free_port); }
    cat >"$WORK/bmsc.ini" <<EOF
# test configuration (tests/lib/daemons.sh)
[bmsc]
listen = 127.0.0.1:$HP
admin-listen = 127.0.0.1:$AP
fqdn = $NAF
store = $BSTORE
mikey-bind = 127.0.0.1:0
ue-mikey-port = $UE_PORT
${BMSC_INI:-}
[zn]
zn-peer-addr = 127.0.0.1
zn-peer-port = $ZP
zn-identity = bmsc.zn.test
zn-realm = zn.test
zn-peer = bsf.zn.test
EOF
    : >"$WORK/bmsc.err"
    "$BMSC" run --config "$WORK/bmsc.ini" "$@" >"$WORK/bmsc.out" 2>>"$WORK/bmsc.err" &
    BMSC_PID=$!
    TEST_PIDS+=("$BMSC_PID")
    if [ "$quiet" = 0 ]; then
      wait_for "$WORK/bmsc.err" "msg=ready" 150 "$BMSC_PID" && return 0
    else
      for i in $(seq 150); do
        curl -s -o /dev/null -m 1 "http://127.0.0.1:$AP/metrics" && return 0
        kill -0 "$BMSC_PID" 2>/dev/null || break
        sleep 0.1
      done
    fi
    kill -KILL "$BMSC_PID" 2>/dev/null || true
  done
  fail "mbmsec-bmsc did not start"
}

# config_refused PROG TEXT WHAT: `PROG run --config F`, F holding TEXT (printf %b), is a usage
# error (exit 2) whose message names the file, the line and WHAT ("LINE: what").
config_refused() {
  local out rc
  printf '%b' "$2" >"$WORK/refused.ini"
  out=$("$1" run --config "$WORK/refused.ini" 2>&1)
  rc=$?
  [ "$rc" = 2 ] && [[ $out == *"refused.ini:$3"* ]] || fail "config '$2': exit $rc, $out"
}
