#!/usr/bin/env bash
# rspauth and response of `mbmsec digest` (MD5, qop=auth) against Apache httpd's
# mod_auth_digest: fetch Apache's 401 challenge, answer with an Authorization computed by
# mbmsec, require 200 and that Apache's Authentication-Info rspauth equals ours; a wrong
# password must get 401. Several users, each with its own fresh nonce. Headers are parsed
# with `mbmsec digest parse`, so its parsers meet a foreign implementation too.
set -u
: "${MBMSEC:?set MBMSEC to the mbmsec tool}"
PY=${PY:-python3}
APACHE=${APACHE:-/usr/sbin/apache2}
MODS=${APACHE_MODULES:-/usr/lib/apache2/modules}
[ -x "$APACHE" ] || { echo "FAIL: $APACHE not found (apt install apache2; a declared test dependency)"; exit 1; }
command -v curl >/dev/null || { echo "FAIL: curl not found"; exit 1; }

tmp=$(mktemp -d)
chmod 755 "$tmp"
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/error.log" ] && sed 's/^/  apache: /' "$tmp/error.log" | tail -20; exit 1; }

port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
realm="mbmsec test realm@127.0.0.1"
mkdir -p "$tmp/htdocs/dir" "$tmp/run"
printf 'hello from apache\n' > "$tmp/htdocs/dir/index.html"
users=("Mufasa:Circle of Life" "alice:s3cr3t pass" "bob:p@ss:with:colons" "IMPI-001@ims.mnc001.mcc001.3gppnetwork.org:K8x/2w==")
: > "$tmp/htdigest"
for up in "${users[@]}"; do
  u=${up%%:*} p=${up#*:}
  printf '%s:%s:%s\n' "$u" "$realm" "$(printf '%s:%s:%s' "$u" "$realm" "$p" | md5sum | cut -d' ' -f1)" >> "$tmp/htdigest"
done
run_user=
if [ "$(id -u)" = 0 ]; then run_user="User nobody
Group nogroup"; fi
cat > "$tmp/httpd.conf" <<CONF
ServerRoot "$tmp"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authn_core_module $MODS/mod_authn_core.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule authz_user_module $MODS/mod_authz_user.so
LoadModule authn_file_module $MODS/mod_authn_file.so
LoadModule auth_digest_module $MODS/mod_auth_digest.so
$run_user
PidFile "$tmp/run/httpd.pid"
ErrorLog "$tmp/error.log"
LogLevel warn auth_digest:debug
DocumentRoot "$tmp/htdocs"
<Directory "$tmp/htdocs">
  AuthType Digest
  AuthName "$realm"
  AuthDigestProvider file
  AuthUserFile "$tmp/htdigest"
  Require valid-user
</Directory>
CONF
chmod -R a+rX "$tmp"
export APACHE_RUN_DIR="$tmp/run" APACHE_LOCK_DIR="$tmp/run" APACHE_PID_FILE="$tmp/run/httpd.pid" \
       APACHE_LOG_DIR="$tmp" APACHE_RUN_USER=nobody APACHE_RUN_GROUP=nogroup
"$APACHE" -f "$tmp/httpd.conf" -DFOREGROUND &
pid=$!
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  kill -0 "$pid" 2>/dev/null || fail "apache2 exited at start-up"
  sleep 0.1
done

uri=/dir/index.html
field() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }
# Header value of NAME from a curl -D dump.
header() { tr -d '\r' < "$1" | sed -n "s/^$2: *//Ip" | head -1; }

exchanges=0 rejected=0
for up in "${users[@]}"; do
  u=${up%%:*} p=${up#*:}
  for wrong in 0 1; do
    curl -s -o /dev/null -D "$tmp/h1" "http://127.0.0.1:$port$uri" || fail "GET $uri failed"
    status=$(head -1 "$tmp/h1" | cut -d' ' -f2)
    [ "$status" = 401 ] || fail "unauthenticated GET gave $status, not 401"
    chal=$(header "$tmp/h1" WWW-Authenticate)
    parsed=$("$MBMSEC" digest parse --header www-authenticate "$chal") || fail "our parser refused Apache's challenge: $chal"
    nonce=$(field "$parsed" nonce) qop=$(field "$parsed" qop) crealm=$(field "$parsed" realm)
    [ "$crealm" = "$realm" ] || fail "challenge realm '$crealm'"
    case ",$qop," in *,auth,*) ;; *) fail "challenge offers qop '$qop', no auth";; esac
    opaque=$(field "$parsed" opaque)
    cnonce=$(head -c 12 /dev/urandom | base64) nc=00000001
    pw=$p; [ "$wrong" = 1 ] && pw="$p-wrong"
    ours=$("$MBMSEC" digest --algorithm MD5 --qop auth --username "$u" --realm "$realm" --password "$pw" \
             --method GET --uri "$uri" --nonce "$nonce" --nc "$nc" --cnonce "$cnonce") || fail "mbmsec digest failed"
    response=$(field "$ours" response) rspauth=$(field "$ours" rspauth)
    auth="Digest username=\"$u\", realm=\"$realm\", nonce=\"$nonce\", uri=\"$uri\", algorithm=MD5, qop=auth, nc=$nc, cnonce=\"$cnonce\", response=\"$response\""
    [ -n "$opaque" ] && auth="$auth, opaque=\"$opaque\""
    "$MBMSEC" digest parse --header authorization "$auth" >/dev/null || fail "our parser refused our own Authorization: $auth"
    curl -s -o "$tmp/body" -D "$tmp/h2" -H "Authorization: $auth" "http://127.0.0.1:$port$uri" || fail "authorised GET failed"
    status=$(head -1 "$tmp/h2" | cut -d' ' -f2)
    if [ "$wrong" = 1 ]; then
      [ "$status" = 401 ] || fail "user $u with a wrong password got $status, not 401"
      rejected=$((rejected + 1))
      continue
    fi
    [ "$status" = 200 ] || fail "user $u: Apache answered $status to our Authorization ($auth)"
    cmp -s "$tmp/body" "$tmp/htdocs/dir/index.html" || fail "user $u: body differs"
    ai=$(header "$tmp/h2" Authentication-Info)
    [ -n "$ai" ] || fail "user $u: no Authentication-Info from Apache"
    info=$("$MBMSEC" digest parse --header authentication-info "$ai") || fail "our parser refused Apache's Authentication-Info: $ai"
    [ "$(field "$info" rspauth)" = "$rspauth" ] || fail "user $u: Apache rspauth $(field "$info" rspauth), ours $rspauth"
    [ "$(field "$info" cnonce)" = "$cnonce" ] && [ "$(field "$info" nc)" = "$nc" ] ||
      fail "user $u: Authentication-Info does not echo cnonce/nc: $ai"
    echo "ok: $u nonce=$nonce rspauth=$rspauth"
    exchanges=$((exchanges + 1))
  done
done
(( exchanges >= 3 && rejected >= 3 )) || fail "only $exchanges exchanges and $rejected rejections"
echo "OK: $exchanges Apache exchanges, rspauth agrees; $rejected wrong passwords rejected"
