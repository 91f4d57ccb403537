#!/usr/bin/env bash
# Membership changed by other processes while mbmsec-bmsc runs on the same SQLite store: the
# daemon must see every change at once. A revoke (item 401), a grant again (register 200 and a
# push), and an MSK written by another SQLite client (pushed when named) are each checked
# against the running daemon, and its WAL files must survive the other processes' connections.
# Regression test: the store's open used to open()/close() the existing database file, which
# dropped the daemon's fcntl locks; another process closing its connection then deleted the
# WAL under the daemon, whose connection kept reading a frozen snapshot.
set -u
: "${BMSC:?BMSC must name mbmsec-bmsc}" "${PY:=/usr/bin/python3}"

TEST_NAME=bmsc-live-admin
. "$(dirname "$0")/../lib/common.sh"
need_built BSF UE
need_tools curl od timeout

. "$(dirname "$0")/bmsc_env.sh"
bmsc_env_start
SVC=urn:example:mbms:news
ok "mbmsec-bsf and mbmsec-bmsc"

out=$(ue register --service-id "$SVC" 2>&1) || fail "register: $out"
[ "$(field "$out" code_200)" = "$SVC" ] || fail "register: $out"
ok "registered"
# The daemon caches what msk-requests read (lib/members cache): fill it before each change.
out=$(ue msk-request --key-id APEQAAEAAA== 2>&1) || fail "msk-request: $out"
[ "$(field "$out" code_200)" = APEQAAEAAA== ] || fail "msk-request before the revoke: $out"

# the IMPI-list reader (lib/tools/bulk.c) through the command: a bad line is named, nothing changes
err=$(printf '# revoke\n%s\nbad\0impi\n' "$ALICE" | "$BMSC" subscriber revoke --store "$BSTORE" --service-id "$SVC" --file - 2>&1) &&
  fail "revoke --file with a NUL accepted"
case $err in *"-:3: NUL octet; nothing changed"*) ;; *) fail "revoke --file error does not name line 3: $err" ;; esac
out=$(printf '# revoke\r\n%s\r\n' "$ALICE" | "$BMSC" subscriber revoke --store "$BSTORE" --service-id "$SVC" --file -) || fail "revoke"
[ "$out" = revoked=1 ] || fail "revoke --file: $out"
[ -e "$WORK/bmsc.db-wal" ] || fail "the daemon's WAL was deleted by the revoke command's connection"
out=$(ue msk-request --key-id APEQAAEAAA== 2>&1) || fail "msk-request: $out"
[ "$(field "$out" code_401)" = APEQAAEAAA== ] || fail "revoke not seen by the running daemon: $out"
ok "revoke seen at once: item 401"

printf '%s' "$ALICE" >"$WORK/grant.txt" # one IMPI, no newline
"$BMSC" subscriber grant --store "$BSTORE" --file "$WORK/grant.txt" --service-id "$SVC" >/dev/null || fail "grant"
[ -e "$WORK/bmsc.db-wal" ] || fail "the daemon's WAL was deleted by the grant command's connection"
out=$(ue register --service-id "$SVC" 2>&1) || fail "register: $out"
[ "$(field "$out" code_200)" = "$SVC" ] || fail "grant not seen by the running daemon: $out"
ok "grant seen at once: register 200"

# An MSK written by another SQLite client (Key Group 1, key number 9, valid now); asked for
# first, so that the group's cached MSK list predates it
out=$(ue msk-request --key-id APEQAAEACQ== 2>&1) || fail "msk-request: $out"
[ -z "$(field "$out" code_200)" ] || fail "MSK 9 exists before it was written: $out"
"$PY" - "$WORK/bmsc.db" <<'PY' || fail "insert MSK"
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1]); n = int(time.time())
c.execute("insert into msk(kdid,msk_id,key,valid_from,valid_to,vf,vt,created) values(?,?,?,?,?,1,65535,?)",
          (bytes.fromhex("00f110"), bytes.fromhex("00010009"), os.urandom(16), n, n + 3600, n))
c.commit(); c.close()
PY
[ -e "$WORK/bmsc.db-wal" ] || fail "the daemon's WAL was deleted by another SQLite client"
out=$(ue msk-request --key-id APEQAAEACQ== 2>&1) || fail "msk-request: $out"
[ "$(field "$out" code_200)" = APEQAAEACQ== ] || fail "MSK written by another process not seen: $out"
grep -q "00f110:00010009 new" <<<"$out" || fail "MSK 9 not pushed: $out"
ok "an MSK written by another process is pushed when named"

# 300 more services, each with its own Key Group, written by another SQLite client without
# MSKs: the daemon's periodic pass (every 2 s) must give every one a current and a next MSK,
# and `msk list` / `service list` must show them all (the pass once stopped at 64 services,
# `service list` at 256, the rotation schedule and `msk list` at 1024 Key Groups).
"$PY" - "$WORK/bmsc.db" <<'PY' || fail "insert 300 services"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for i in range(300):
    s = "urn:example:mbms:many%03d" % i
    c.execute("insert into user_service(service_id,kdid,msk_lifetime) values(?,?,3600)", (s, bytes.fromhex("00f110")))
    c.execute("insert into key_group(service_id,key_group) values(?,?)", (s, 0x100 + i))
c.commit(); c.close()
PY
n=0
for _ in $(seq 1 50); do
  L=$("$BMSC" msk list --admin "127.0.0.1:$AP") || fail "msk list"
  n=$(grep -cE " key_group=0[12][0-9A-F]{2} " <<<"$L" || true) # groups 0100..022B
  [ "$n" -ge 600 ] && break
  sleep 0.2
done
[ "$n" = 600 ] || fail "msk list after the periodic pass: $n MSKs of the 300 new groups, want 600"
for g in 0100 0140 0141 01FF 022B; do # the 1st, the 65th, the 66th, the 256th, the 300th
  grep -q "key_group=$g msk_id=${g}0001 key_number=1 role=current" <<<"$L" || fail "msk list: group $g has no current MSK"
  grep -q "key_group=$g msk_id=${g}0002 key_number=2 role=next" <<<"$L" || fail "msk list: group $g has no next MSK"
done
"$BMSC" msk list --admin "127.0.0.1:$AP" --json |
  "$PY" -c 'import json,sys; d=[m for m in json.load(sys.stdin) if int(m["key_group"],16) >= 0x100]; assert len(d) == 600 and len({(m["key_group"],m["role"]) for m in d}) == 600, len(d)' ||
  fail "msk list --json: not 600 MSKs of the new groups"
n=$("$BMSC" service list --store "$BSTORE" | grep -c "service_id=urn:example:mbms:many")
[ "$n" = 300 ] || fail "service list shows $n of the 300 services"
ok "300 more services: each Key Group got its current and next MSK from the periodic pass; msk list and service list show all"
