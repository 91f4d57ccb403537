#!/usr/bin/env bash
# `mbmsec digest` against tests/ref/digest.py (python3 hashlib, written from the RFC text) on
# random inputs: every algorithm (AKAv1-MD5 with random binary RES holding 00 octets), qop
# auth, auth-int (random request and response bodies, empty ones included) and none;
# ha1, ha2, response and rspauth must all agree.
set -u
: "${MBMSEC:?set MBMSEC to the mbmsec tool}" "${SRCDIR:?set SRCDIR}"
PY=${PY:-python3}
CASES=${CASES:-250}
MIN_CASES=200
REF="$SRCDIR/tests/ref/digest.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rnd_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
rnd_num() { echo $(( 16#$(rnd_hex 2) % $1 )); }
# Random text of 1..max characters, with spaces, quotes, backslashes, colons and UTF-8.
rnd_str() {
  local n=$(( $(rnd_num "$1") + 1 )) s
  s=$(head -c 400 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9 "\\/:@._~=+,-' | head -c "$n")
  (( $(rnd_num 5) == 0 )) && s="${s}é"
  printf '%s' "${s:-x}"
}
rnd_body() { # file $1 with 0..600 random octets, empty one time in four
  local n=0
  (( $(rnd_num 4) )) && n=$(rnd_num 601)
  head -c "$n" /dev/urandom > "$1"
}

algs=(MD5 SHA-256 MD5-sess SHA-256-sess AKAv1-MD5)
qops=(auth auth-int auth-int auth none)
compared=0
for ((i = 0; i < CASES; i++)); do
  alg=${algs[i % 5]} qop=${qops[(i / 5) % 5]}
  args=(--algorithm="$alg" --qop="$qop" --username="$(rnd_str 40)" --realm="$(rnd_str 40)"
        --method="$( ((i % 2)) && echo POST || echo GET)" --uri="/$(rnd_str 60)" --nonce="$(rnd_str 48)")
  if [ "$alg" = AKAv1-MD5 ]; then
    res=$(rnd_hex $(( 4 + $(rnd_num 13) )))
    res="00${res:2:${#res}-4}00"              # RES with 00 octets at both ends
    (( i % 2 )) && res="${res:0:4}00${res:6}"  # and inside
    args+=(--password-hex="$res")
  elif (( i % 3 == 0 )); then
    args+=(--password-hex="$(rnd_hex $(( $(rnd_num 33) )))")
  else
    args+=(--password="$(rnd_str 30)")
  fi
  if [ "$qop" != none ]; then
    args+=(--nc="$(rnd_hex 4)" --cnonce="$(rnd_str 40)")
    [ "${args[-2]}" = --nc=00000000 ] && args[-2]=--nc=00000001
  fi
  if [ "$qop" = auth-int ]; then
    rnd_body "$tmp/body"; rnd_body "$tmp/rbody"
    args+=(--body-file="$tmp/body" --response-body-file="$tmp/rbody")
  fi
  ours=$("$MBMSEC" digest "${args[@]}") || { echo "FAIL case $i: mbmsec exited $?: ${args[*]}"; exit 1; }
  ref=$("$PY" "$REF" "${args[@]}") || { echo "FAIL case $i: reference exited $?: ${args[*]}"; exit 1; }
  for f in ha1 ha2 response rspauth; do
    a=$(printf '%s\n' "$ours" | sed -n "s/^$f=//p") b=$(printf '%s\n' "$ref" | sed -n "s/^$f=//p")
    if [ -z "$a" ] || [ "$a" != "$b" ]; then
      echo "FAIL case $i ($alg, qop=$qop): $f mbmsec '$a', reference '$b'"
      printf '  arg: %q\n' "${args[@]}"
      exit 1
    fi
  done
  compared=$((compared + 1))
done
if (( compared < MIN_CASES )); then
  echo "FAIL: only $compared cases compared (want at least $MIN_CASES)"
  exit 1
fi
echo "OK: $compared random cases agree (ha1, ha2, response, rspauth) across ${algs[*]}"
