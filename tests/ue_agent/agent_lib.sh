# Shared by the UE agent's end-to-end tests (sourced after tests/lib/common.sh): a real
# mbmsec-bsf with one subscriber, a real mbmsec-bmsc with Zn to it (started as
# tests/lib/daemons.sh starts them: start_bsf, start_bmsc), and the announcement and
# configuration files of one UE agent (mbmsec-ue run). Every process goes into TEST_PIDS.
: "${MBMSEC_UE:?MBMSEC_UE must name mbmsec-ue}"
[ -n "${MBMSEC_BSF:-}" ] && [ -x "$MBMSEC_BSF" ] || { echo "SKIP: mbmsec-bsf not built"; exit 77; }
[ -n "${MBMSEC_BMSC:-}" ] && [ -x "$MBMSEC_BMSC" ] || { echo "SKIP: mbmsec-bmsc not built"; exit 77; }
"$MBMSEC_UE" run --help >/dev/null 2>&1 || { echo "SKIP: mbmsec-ue built without the agent"; exit 77; }
for t in curl od timeout; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

BSF_FQDN=bsf.test.example.org
NAF=bmsc.test.example.org
UE_IP=${UE_IP:-127.0.0.7}
K=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')
OPC=$(od -An -tx1 -N16 -v /dev/urandom | tr -d ' \n')
ALICE="alice@ims.mnc001.mcc001.3gppnetwork.org"
BSTORE="sqlite:$WORK/bmsc.db"
SERVICE=urn:example:mbms:news

BSF=$MBMSEC_BSF BMSC=$MBMSEC_BMSC
BMSC_INI="mikey-retx-first-ms = 2000"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/daemons.sh"

metric() { curl -s -m 5 "http://127.0.0.1:$AP/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
# wait_metric NAME MIN TENTHS: until the BM-SC's metric is at least MIN
wait_metric() {
  local i v
  for i in $(seq "$3"); do
    v=$(metric "$1")
    [ -n "$v" ] && [ "${v%.*}" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# start_daemons [extra config lines for [bmsc]]: the BSF, the service (Key Group 1, MSKs of an
# hour) with ALICE subscribed, the BM-SC
start_daemons() {
  "$MBMSEC_BSF" subscriber add --store "$BSF_STORE" --impi "$ALICE" --k "$K" --opc "$OPC" \
    --uss 4 >/dev/null || fail "bsf subscriber add"
  start_bsf
  "$MBMSEC_BMSC" service add --store "$BSTORE" --service-id "$SERVICE" --key-group 0001 \
    --msk-lifetime 3600 >/dev/null || fail "service add"
  "$MBMSEC_BMSC" subscriber grant --store "$BSTORE" --impi "$ALICE" --service-id "$SERVICE" || fail "grant"
  BMSC_INI="$BMSC_INI
${1:-}" start_bmsc
}

# insert_msk MSK_ID: a new MSK of Key Group 1 (Key Domain 00f110) written straight into the
# BM-SC's store by this process (not the daemon), valid from now for an hour: as the highest
# key number valid now it is the group's current MSK (mbmsec_members_group_state_get). The
# running daemon reads it from the store at its next request.
insert_msk() {
  "$PY" -c 'import sqlite3,sys,os,time; c=sqlite3.connect(sys.argv[1]); n=int(time.time()); c.execute("insert into msk(kdid,msk_id,key,valid_from,valid_to,vf,vt,created) values(?,?,?,?,?,1,65535,?)", (bytes.fromhex("00f110"), bytes.fromhex(sys.argv[2]), os.urandom(16), n, n+3600, n)); c.commit()' "$WORK/bmsc.db" "$1" || fail "insert MSK $1"
}
# msk_key MSK_ID: the MSK's key from the BM-SC's store (hex; empty when absent)
msk_key() { "$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute("select hex(key) from msk where msk_id=?", (bytes.fromhex(sys.argv[2]),)).fetchone(); print(r[0].lower() if r else "")' "$WORK/bmsc.db" "$1"; }

# write_agent_conf DIR [extra config lines]: announcement (USD + securityDescription, P16) and
# agent configuration; session MTK messages and SRTP on $UE_IP, free ports (MTK_PORT, SRTP_PORT).
write_agent_conf() {
  local d=$1
  mkdir -p "$d"
  MTK_PORT=${MTK_PORT:-$(free_port)} SRTP_PORT=${SRTP_PORT:-$(free_port)}
  cat >"$d/news.usd.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<bundleDescription xmlns="urn:3GPP:metadata:2005:MBMS:userServiceDescription">
  <userServiceDescription serviceId="$SERVICE">
    <deliveryMethod sessionDescriptionURI="news.sdp" protectionDescriptionURI="news-protection.xml"/>
  </userServiceDescription>
</bundleDescription>
EOF
  cat >"$d/news-protection.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<securityDescription xmlns="urn:3GPP:metadata:2005:MBMS:securityDescription"
                     xmlns:m="urn:mbmsec:2026:protection">
  <keyManagementSpecification uiccKeyManagement="false">
    <serverURI>http://127.0.0.1:$HP</serverURI>
    <offsetTime>0</offsetTime>
    <randomTimePeriod>1</randomTimePeriod>
  </keyManagementSpecification>
  <m:keyDomainId>00f110</m:keyDomainId>
  <m:confidentiality>true</m:confidentiality>
  <m:integrity>true</m:integrity>
  <m:session id="news-video" keyId="APEQAAEAAA==" mikey="$UE_IP:$MTK_PORT" srtp="$UE_IP:$SRTP_PORT"/>
</securityDescription>
EOF
  timeout 30 "$MBMSEC_UE" usim init --usim "$d/usim" --k "$K" --opc "$OPC" >/dev/null || fail "usim init"
  cat >"$d/agent.conf" <<EOF
# UE agent under test
state_dir = $d/state
usim = $d/usim
impi = $ALICE
bsf = http://127.0.0.1:$BP/
bsf_realm = $BSF_FQDN
announcement = $d/news.usd.xml
bind = $UE_IP
mikey_port = $UE_PORT
naf_fqdn = $NAF
output = $d/payload.bin
retry_first_ms = 300
retry_max_ms = 2000
mikey_wait_ms = 4000
${2:-}
EOF
}

# start_agent DIR: mbmsec-ue run in the background (AGENT_PID), timeline in
# $WORK/agent-<basename DIR>.err (AGENT_ERR; shown by fail)
start_agent() {
  AGENT_ERR="$WORK/agent-$(basename "$1").err"
  "$MBMSEC_UE" run --config "$1/agent.conf" >"$1/agent.out" 2>>"$AGENT_ERR" &
  AGENT_PID=$!
  TEST_PIDS+=("$AGENT_PID")
}

# agent_status DIR: the status text (empty when none yet)
agent_status() { "$MBMSEC_UE" status --state-dir "$1/state" 2>/dev/null; }
# agent_counter DIR NAME: one of the agent's counters (status line "counters ...")
agent_counter() { agent_status "$1" | grep '^counters ' | tr ' ' '\n' | awk -F= -v n="$2" '$1 == n { print $2 }'; }
# wait_agent_counter DIR NAME VALUE: the status file is rewritten every second
wait_agent_counter() {
  local i
  for i in $(seq 30); do [ "$(agent_counter "$1" "$2")" = "$3" ] && return 0; sleep 0.1; done
  return 1
}
# agent_btid: the B-TID of the agent's last bootstrap (its timeline)
agent_btid() { sed -n 's/.*bootstrap: B-TID \([^,]*\),.*/\1/p' "$AGENT_ERR" | tail -n 1; }
# wait_status DIR PATTERN TENTHS: until the status matches the extended regex
wait_status() {
  local i
  for i in $(seq "$3"); do
    agent_status "$1" | grep -Eq -- "$2" && return 0
    sleep 0.1
  done
  return 1
}
