#!/usr/bin/env bash
# mbmsec-bsf under hostile HTTP requests (issue "Hard to knock over", item 1), on loopback:
# a 10,000-octet method, over-long header names and values, an over-long request-target, and
# bodies from 257 octets up to 1 MiB, each sent raw over a socket. Every one gets a clean
# refusal (an HTTP status line, no 200), the daemon stays up, a legitimate first request still
# gets its 401 challenge, and its stderr holds no sanitizer report. `make check` runs this
# against the gcc build and again against the ASan+UBSan build (label "hostile"), where the
# former logger's stack overflow and the body copy's out-of-bounds pointer were fatal.
set -u
: "${BSF:?BSF must name mbmsec-bsf}" "${PY:=/usr/bin/python3}"
TEST_NAME=bsf-hostile
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/daemons.sh"

FQDN=bsf.test.example.org
STORE="sqlite:$WORK/bsf.db"
K=000102030405060708090a0b0c0d0e0f OPC=0f0e0d0c0b0a09080706050403020100
ALICE="alice@ims.mnc001.mcc001.3gppnetwork.org"
"$BSF" subscriber add --store "$STORE" --impi "$ALICE" --k "$K" --opc "$OPC" || fail "subscriber add"

BSF_FQDN=$FQDN BSF_STORE=$STORE
start_bsf --no-zn --log-level debug
HP=$BP

# raw NAME: sends the request the Python snippet below builds for NAME, prints the status code
# of the answer ("none" when the connection closed without one).
raw() {
  "$PY" - "$HP" "$1" "$ALICE" "$FQDN" <<'PYEOF'
import socket, sys
port, name, impi, fqdn = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
first = 'Digest username="%s", realm="%s", nonce="", uri="/", response=""' % (impi, fqdn)
def req(method="GET", target="/", headers=(), body=b""):
    h = "".join("%s: %s\r\n" % kv for kv in headers)
    if body:
        h += "Content-Length: %d\r\n" % len(body)
    return ("%s %s HTTP/1.1\r\nHost: bsf\r\n%s\r\n" % (method, target, h)).encode() + body
auth = ("Authorization", first)
cases = {
    "long-method": lambda: req(method="M" * 10000, headers=[auth]),
    "long-method-8k": lambda: req(method="G" * 7900, headers=[auth]),
    "long-target": lambda: req(target="/" + "t" * 7000, headers=[auth]),
    "long-header-name": lambda: req(headers=[("X" * 7000, "v"), auth]),
    "long-header-value": lambda: req(headers=[("X-Long", "v" * 7000), auth]),
    "huge-header-value": lambda: req(headers=[("X-Long", "v" * 40000), auth]),
    "long-authorization": lambda: req(headers=[("Authorization", first + ", x=\"" + "a" * 6000 + "\"")]),
    "long-user-agent": lambda: req(headers=[("User-Agent", "u\"=\\ " * 1300), auth]),
    "many-headers": lambda: req(headers=[("X-H%d" % i, "v" * 20) for i in range(250)] + [auth]),
}
for n in (257, 258, 1000, 4096, 65536, 1 << 20):
    cases["body-%d" % n] = (lambda n=n: req(method="POST", headers=[auth], body=b"B" * n))
    cases["get-body-%d" % n] = (lambda n=n: req(headers=[auth], body=b"\"=\\ " * (n // 4) + b"x" * (n % 4)))
s = socket.create_connection(("127.0.0.1", port), timeout=10)
try:
    s.sendall(cases[name]())
except OSError:
    pass  # refused while sending: the answer may still be there
data = b""
try:
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError:
    pass
line = data.split(b"\r\n", 1)[0].split()
print(line[1].decode() if len(line) >= 2 and line[0].startswith(b"HTTP/1.") else "none")
PYEOF
}

for c in long-method long-method-8k long-target long-header-name long-header-value \
  huge-header-value long-authorization long-user-agent many-headers \
  body-257 body-258 body-1000 body-4096 body-65536 body-1048576 \
  get-body-257 get-body-258 get-body-1000 get-body-4096 get-body-65536 get-body-1048576; do
  st=$(raw "$c")
  kill -0 "$BSF_PID" 2>/dev/null || fail "mbmsec-bsf died on $c"
  case $st in
    200) fail "$c: answered 200" ;;
    [1-5][0-9][0-9]) ok "$c: answered $st" ;;
    none) ok "$c: connection closed without an answer" ;;
    *) fail "$c: $st" ;;
  esac
done

# still serving: a legitimate first request gets its challenge
st=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -A "mbmsec-test 3gpp-gba-tmpi" \
  -H "Authorization: Digest username=\"$ALICE\", realm=\"$FQDN\", nonce=\"\", uri=\"/\", response=\"\"" \
  "http://127.0.0.1:$HP/")
[ "$st" = 401 ] || fail "legitimate request after the attacks: $st"
ok "legitimate request still challenged (401)"

# Known and unknown IMPIs over HTTP: the same challenge shape (header length, AMF in AUTN
# in clear) and answer times whose distributions overlap. 400 first requests of each kind,
# alternating on one kept-alive connection; the 10th-90th percentile ranges must intersect.
"$PY" - "$HP" "$ALICE" "$FQDN" <<'PYEOF' || fail "known and unknown IMPIs can be told apart"
import base64, http.client, re, sys, time
port, known, fqdn = int(sys.argv[1]), sys.argv[2], sys.argv[3]
unknown = "001019999999999@ims.mnc001.mcc001.3gppnetwork.org"[:len(known)]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
def first(impi):
    h = {"Authorization": 'Digest username="%s", realm="%s", nonce="", uri="/", response=""' % (impi, fqdn)}
    t0 = time.perf_counter()
    c.request("GET", "/", headers=h)
    r = c.getresponse()
    r.read()
    dt = time.perf_counter() - t0
    assert r.status == 401, r.status
    return dt, r.getheader("WWW-Authenticate")
tk, tu = [], []
for i in range(420):
    dk, wk = first(known)
    du, wu = first(unknown)
    if i >= 20:
        tk.append(dk); tu.append(du)
    assert len(wk) == len(wu), (wk, wu)
    ak = base64.b64decode(re.search(r'nonce="([^"]+)"', wk).group(1))[16:32]
    au = base64.b64decode(re.search(r'nonce="([^"]+)"', wu).group(1))[16:32]
    assert ak[6:8] == au[6:8], (ak.hex(), au.hex())  # AMF in clear
tk.sort(); tu.sort()
n = len(tk)
p = lambda v, q: v[int(q * n)] * 1e6
print("ok: first answer over HTTP, us: known p10 %.0f median %.0f p90 %.0f; unknown p10 %.0f median %.0f p90 %.0f"
      % (p(tk, .1), p(tk, .5), p(tk, .9), p(tu, .1), p(tu, .5), p(tu, .9)))
sys.exit(0 if p(tk, .1) <= p(tu, .9) and p(tu, .1) <= p(tk, .9) else 1)
PYEOF

# every log line bounded: none over the logger's 2,048 octets, the cut ones marked
awk 'length($0) >= 2048 { exit 1 }' "$WORK/bsf.err" || fail "a log line of 2,048 octets or more"
grep -q "truncated=1" "$WORK/bsf.err" || fail "no log line was marked truncated (the long method should be)"
ok "log lines bounded ($(grep -c truncated=1 "$WORK/bsf.err") cut and marked)"

# one daemon per store: a second BSF on the same store exits 1 before it listens
HP2=$(free_port)
timeout 20 "$BSF" run --listen "127.0.0.1:$HP2" --store "$STORE" --fqdn "$FQDN" --no-zn 2>"$WORK/second.err"
rc=$?
[ "$rc" = 1 ] || fail "second BSF on the same store: exit $rc"
grep -q "in use by another running daemon.*owner_pid=$BSF_PID" "$WORK/second.err" || fail "second BSF: $(cat "$WORK/second.err")"
curl -s -m 2 -o /dev/null "http://127.0.0.1:$HP2/" && fail "second BSF listened"
: >"$WORK/second.err" # not a sanitizer report
ok "a second BSF on the same store exits 1 naming the owner's pid, listening nowhere"

stop_pid "$BSF_PID" || fail "mbmsec-bsf did not stop cleanly"
grep -qE "runtime error|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer" "$WORK/bsf.err" &&
  fail "sanitizer report in the BSF's stderr"
ok "stopped cleanly, no sanitizer report"
