#!/usr/bin/env bash
# Every document the lib/xml builders produce, and the profile.md examples, validate with
# xmllint (libxml2-utils) against the schemas of schemas/; corrupted documents do not.
# Environment: XML_DUMP (the xml_dump program), SRCDIR (repository root).
set -euo pipefail
command -v xmllint >/dev/null || { echo "xmllint not installed: skipped"; exit 77; }
: "${XML_DUMP:?}" "${SRCDIR:?}"
S=$SRCDIR/schemas
EX=$SRCDIR/tests/xml/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

valid() { # SCHEMA FILE
  if xmllint --noout --nonet --schema "$S/$1.xsd" "$2" >"$tmp/log" 2>&1; then
    echo "ok   valid   $1 $(basename "$2")"
  else
    echo "FAIL should validate: $1 $(basename "$2")"; cat "$tmp/log"; fail=1
  fi
}
invalid() { # SCHEMA FILE WHAT
  if xmllint --noout --nonet --schema "$S/$1.xsd" "$2" >"$tmp/log" 2>&1; then
    echo "FAIL should not validate: $1 ($3)"; fail=1
  else
    echo "ok   refused $1 ($3)"
  fi
}

# 1. The builders' documents.
mkdir "$tmp/built"
"$XML_DUMP" "$tmp/built"
n=0
for f in "$tmp/built"/*.xml; do
  schema=$(basename "$f"); schema=${schema%%--*}
  valid "$schema" "$f"; n=$((n + 1))
done
[ "$n" -ge 10 ] || { echo "FAIL only $n built documents"; fail=1; }

# 2. The profile.md examples.
valid mbms-register "$EX/register.xml"
valid mbms-deregister "$EX/deregister.xml"
valid mbms-register-response "$EX/register-response.xml"
valid mbms-msk-request "$EX/msk-request.xml"
valid mbms-msk-response "$EX/msk-response.xml"
valid mbms-security-description "$EX/secdesc.xml"

# 3. Corrupted documents must fail, so that this test can fail.
b=$tmp/built
corrupt() { # SCHEMA WHAT SRC SED-EXPR
  sed -e "$4" "$3" >"$tmp/c.xml"
  if cmp -s "$3" "$tmp/c.xml"; then echo "FAIL corruption '$2' changed nothing"; fail=1; return; fi
  invalid "$1" "$tmp/c.xml" "$2"
}
corrupt mbms-msk-request "keyId of 6 octets" "$b/mbms-msk-request--example.xml" 's/APEQAAEAAg==/APEQAAEA/'
corrupt mbms-msk-request "wrong namespace" "$b/mbms-msk-request--example.xml" 's/MBMS:mskRequest/MBMS:mskResponse/'
corrupt mbms-msk-request "no items" "$b/mbms-msk-request--example.xml" '/keyId/d'
corrupt mbms-msk-request "duplicate keyId" "$b/mbms-msk-request--example.xml" 's/APEQAAEAAw==/APEQAAEAAg==/'
corrupt mbms-msk-response "unknown code" "$b/mbms-msk-response--example.xml" 's/code="404"/code="299"/'
corrupt mbms-msk-response "two groups, one code" "$b/mbms-msk-response--example.xml" 's/code="404"/code="200"/'
corrupt mbms-register-response "204 in a registration response" "$b/mbms-register-response--example.xml" 's/code="401"/code="204"/'
corrupt mbms-register-response "item in two groups" "$b/mbms-register-response--example.xml" 's/mbms:sport/mbms:news/'
corrupt mbms-register "serviceId with a blank" "$b/mbms-register--example.xml" 's/mbms:news/mbms news/'
corrupt mbms-register "wrong root" "$b/mbms-register--example.xml" 's/mbmsUserServiceRegistration/mbmsUserServiceDeregistration/g'
corrupt mbms-deregister "unknown element" "$b/mbms-deregister--example.xml" 's/serviceId>/serviceID>/g'
corrupt mbms-security-description "keyDomainId of 5 digits" "$EX/secdesc.xml" 's/00f110/00f11/'
corrupt mbms-security-description "session without srtp" "$EX/secdesc.xml" 's/ srtp="[^"]*"//'
corrupt mbms-security-description "keyId of 6 octets" "$EX/secdesc.xml" 's/APEQAAEAAA==/APEQAAEA/'
corrupt mbms-security-description "no serverURI" "$EX/secdesc.xml" '/serverURI/d'
corrupt mbms-security-description "confidentiality not boolean" "$EX/secdesc.xml" 's/>true</>yes</'

exit $fail
