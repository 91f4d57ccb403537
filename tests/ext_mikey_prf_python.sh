#!/usr/bin/env bash
# `mbmsec mikey-keys` against tests/ref/mikey_prf.py (Python hmac/hashlib, written from
# RFC 3830 4.1 and 4.2.3): keys of 16, 32, 40, 64, 48 and 96 octets, random CSB IDs, RANDs
# (16 to 255 octets), CS IDs and counters; encr/auth/salt keys, TEK and salt, KEMAC IV and the
# raw PRF for random labels and output lengths. Stops at the first mismatch; checks the count.
set -euo pipefail
: "${MBMSEC:?MBMSEC must name the mbmsec tool}" "${PY:=/usr/bin/python3}" "${SRCDIR:?SRCDIR must be set}"
exec "$PY" - "$MBMSEC" "$SRCDIR" <<'PYEOF'
import json, random, subprocess, sys
tool, srcdir = sys.argv[1], sys.argv[2]
sys.path.insert(0, srcdir + "/tests/ref")
import mikey_prf as ref

rng = random.Random(0x3830)
rb = lambda n: bytes(rng.getrandbits(8) for _ in range(n))
PLAN = {16: 8, 32: 8, 40: 8, 64: 8, 48: 3, 96: 3}
OUT_LENS = [1, 14, 16, 20, 21, 40, 41, 160, 1024]

done = expected = cases = 0
for klen, count in PLAN.items():
    for j in range(count):
        psk = rb(klen)
        csb = rng.getrandbits(32)
        rand = rb(16 if j % 3 else rng.randint(16, 255))
        cs_id = rng.randint(0, 255) if j % 2 else None
        counter = rng.getrandbits(32) if j % 4 != 1 else None
        label = rb(rng.randint(0, 264)) if j % 2 == 0 else None
        out_len = OUT_LENS[j % len(OUT_LENS)]
        args = [tool, "mikey-keys", "--psk", psk.hex(), "--csb-id", f"{csb:08x}", "--rand", rand.hex()]
        if cs_id is not None:
            args += ["--cs-id", str(cs_id)]
        if counter is not None:
            args += ["--ts-counter", str(counter)]
        if label is not None:
            args += ["--label", label.hex(), "--out-len", str(out_len)]
        json_out = j % 3 == 2
        if json_out:
            args.append("--json")
        want = ref.all_outputs(psk, csb, rand, cs_id or 0, counter, label, out_len)
        cases += 1
        p = subprocess.run(args, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"FAIL key {klen} case {j}: exit {p.returncode}: {p.stderr}\nargs: {args!r}")
        got = json.loads(p.stdout) if json_out else dict(l.split("=", 1) for l in p.stdout.splitlines())
        if list(got) != list(want):
            sys.exit(f"FAIL key {klen} case {j}: printed {list(got)}, expected {list(want)}")
        for k in want:
            expected += 1
            if got[k] != want[k]:
                sys.exit(f"FAIL key {klen} case {j}: {k} = {got[k]}, Python reference {want[k]}\nargs: {args!r}")
            done += 1

for bad in (["--psk", "00", "--csb-id", "123", "--rand", "00" * 16],
            ["--psk", "00", "--csb-id", "00000001", "--rand", "00" * 15],
            ["--psk", "", "--csb-id", "00000001", "--rand", "00" * 16]):
    p = subprocess.run([tool, "mikey-keys"] + bad, capture_output=True)
    if p.returncode != 2:
        sys.exit(f"FAIL: {bad} exited {p.returncode}, expected 2")

if done != expected or cases != sum(PLAN.values()) or done < 5 * cases:
    sys.exit(f"FAIL: ran {done} of {expected} comparisons over {cases} cases")
print(f"ok: {done} values compared over {cases} keys ({', '.join(f'{k}:{n}' for k, n in PLAN.items())})")
PYEOF
