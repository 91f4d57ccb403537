#!/usr/bin/env bash
# mbmsec-load's generic mode (--mode digest-get, the comparison of bench/load.sh) against an
# implementation we did not write: a private Apache httpd with mod_auth_digest (qop=auth)
# serving a static file. 2,000 authenticated GETs over 20 UEs (connections) must all succeed
# with one 401 per UE (the first contact; the nonce is then reused with nc counting); a wrong
# password must be reported as the Digest refusal, with exit status 1.
set -u
: "${LOAD:?LOAD must name mbmsec-load}" "${PY:=/usr/bin/python3}"
APACHE=${APACHE:-/usr/sbin/apache2}
MODS=${APACHE_MODULES:-/usr/lib/apache2/modules}
[ -x "$APACHE" ] || { echo "SKIP: $APACHE not installed"; exit 77; }
for t in curl md5sum; do command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }; done
TEST_NAME=load-apache
. "$(dirname "$0")/../lib/common.sh"

mkdir -p "$WORK/htdocs" "$WORK/run"
printf 'key\n' >"$WORK/htdocs/k.txt"
printf '%s:%s:%s\n' lu lrealm "$(printf 'lu:lrealm:lpass' | md5sum | cut -d' ' -f1)" >"$WORK/htdigest"
PORT=$(free_port)
run_user=""; [ "$(id -u)" = 0 ] && run_user=$'User nobody\nGroup nogroup'
cat >"$WORK/httpd.conf" <<CONF
ServerRoot "$WORK"
ServerName 127.0.0.1
Listen 127.0.0.1:$PORT
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authn_core_module $MODS/mod_authn_core.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule authz_user_module $MODS/mod_authz_user.so
LoadModule authn_file_module $MODS/mod_authn_file.so
LoadModule auth_digest_module $MODS/mod_auth_digest.so
$run_user
PidFile "$WORK/run/httpd.pid"
ErrorLog "$WORK/apache.err"
LogLevel warn
MaxKeepAliveRequests 0
DocumentRoot "$WORK/htdocs"
<Directory "$WORK/htdocs">
  AuthType Digest
  AuthName "lrealm"
  AuthDigestProvider file
  AuthUserFile "$WORK/htdigest"
  AuthDigestQop auth
  Require valid-user
</Directory>
CONF
chmod -R a+rX "$WORK"
APACHE_RUN_DIR="$WORK/run" APACHE_LOCK_DIR="$WORK/run" APACHE_PID_FILE="$WORK/run/httpd.pid" \
  APACHE_LOG_DIR="$WORK" "$APACHE" -f "$WORK/httpd.conf" -DFOREGROUND 2>>"$WORK/apache.err" &
TEST_PIDS+=($!)
for i in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/k.txt")" = 401 ] || fail "apache did not challenge"

timeout 120 "$LOAD" --mode digest-get --url "http://127.0.0.1:$PORT/k.txt" --user lu --password lpass \
  --ues 20 --threads 4 --requests 2000 --json >"$WORK/r.json" 2>"$WORK/load.err" || fail "mbmsec-load: $(cat "$WORK/r.json")"
"$PY" - "$WORK/r.json" <<'EOF' || fail "report: $(cat "$WORK/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))
p = {x["phase"]: x for x in r["phases"]}["repeat"]
assert r["errors"] == {} and p["errors"] == 0, r
assert p["ok"] >= 2000, p                    # the budget: at least 2000 done (workers may race by <= threads)
assert r["http_exchanges"] == p["ok"] + 20, r  # one 401 per UE, then the nonce is reused
assert 0 < p["latency_us"]["p50"] <= p["latency_us"]["p99"] <= p["latency_us"]["max"], p
EOF
ok "2000 Digest qop=auth GETs against Apache, one challenge per UE"

timeout 60 "$LOAD" --mode digest-get --url "http://127.0.0.1:$PORT/k.txt" --user lu --password wrong \
  --ues 2 --threads 1 --requests 10 --json >"$WORK/bad.json" 2>/dev/null
[ $? = 1 ] || fail "a wrong password did not fail the run"
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["errors"].get("digest:refused",0) >= 10, r' \
  "$WORK/bad.json" || fail "wrong password not reported as digest:refused: $(cat "$WORK/bad.json")"
ok "a wrong password is counted as digest:refused"
echo PASS
