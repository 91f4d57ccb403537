#!/usr/bin/env bash
# `mbmsec gba-ks-naf` against tests/ref/gba_kdf.py (Python hmac/hashlib, written from
# TS 33.220 Annex B and profile P1): random CK, IK, RAND, IMPI, NAF and BSF names, random Ua
# protocol ids, both MRK/MUK modes; every printed value is compared. Stops at the first
# mismatch; checks at the end that all comparisons ran.
set -euo pipefail
: "${MBMSEC:?MBMSEC must name the mbmsec tool}" "${PY:=/usr/bin/python3}" "${SRCDIR:?SRCDIR must be set}"
CASES=${CASES:-120}
exec "$PY" - "$MBMSEC" "$SRCDIR" "$CASES" <<'PYEOF'
import json, random, subprocess, sys, unicodedata
tool, srcdir, cases = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, srcdir + "/tests/ref")
import gba_kdf as ref

rng = random.Random(0x33220)  # fixed seed: a failure reproduces
ALPHA = "abcdefghijklmnopqrstuvwxyz0123456789"
ODD = ALPHA + "+-_.!~*'()=@;:,&$ \"\\%/#?"
UNI = ["é", "ß", "ö", "ñ", "Ω", "中", "文", "ж", "€", "😀"]

def name(lo, hi, chars=ALPHA):
    return ".".join("".join(rng.choice(chars) for _ in range(rng.randint(1, 12)))
                    for _ in range(rng.randint(lo, hi)))

def impi(i):
    kind = i % 5
    if kind == 0:
        return ""
    if kind == 1:
        return "".join(rng.choice("0123456789") for _ in range(15)) + "@ims.mnc001.mcc001.3gppnetwork.org"
    if kind == 2:
        return "".join(rng.choice(ODD) for _ in range(rng.randint(1, 80)))
    if kind == 3:  # non-ASCII UTF-8, kept in NFKC (the KDF takes NFKC strings, B.2.1)
        s = "".join(rng.choice(ALPHA + "".join(UNI)) for _ in range(rng.randint(1, 40)))
        return unicodedata.normalize("NFKC", s) + "@example.org"
    return "".join(rng.choice(ALPHA) for _ in range(rng.randint(200, 2000)))  # long

done = 0
expected = 0
for i in range(cases):
    ck, ik, rand = (bytes(rng.getrandbits(8) for _ in range(16)) for _ in range(3))
    who = impi(i)
    naf = name(1, 5)
    bsf = name(2, 4) if i % 3 else None
    ua = bytes(rng.getrandbits(8) for _ in range(5)) if i % 4 == 3 else None
    for mode in ("kdf", "none"):
        args = [tool, "gba-ks-naf", "--ck", ck.hex(), "--ik", ik.hex(), "--rand", rand.hex().upper(),
                "--impi", who, "--naf-fqdn", naf, "--mode", mode]
        if bsf is not None:
            args += ["--bsf-fqdn", bsf]
        if ua is not None:
            args += ["--ua-proto", ua.hex()]
        json_out = i % 2 == 1
        if json_out:
            args.append("--json")
        want = ref.all_outputs(ck, ik, rand, who, naf, ua if ua is not None else ref.UA_MBMS, mode, bsf)
        p = subprocess.run(args, capture_output=True)
        if p.returncode != 0:
            sys.exit(f"FAIL case {i} mode {mode}: exit {p.returncode}: {p.stderr.decode(errors='replace')}\nargs: {args!r}")
        text = p.stdout.decode("utf-8")
        if json_out:
            got = json.loads(text)
        else:
            got = dict(line.split("=", 1) for line in text.splitlines())
        names = list(want)
        if list(got) != names:
            sys.exit(f"FAIL case {i} mode {mode}: printed names {list(got)}, expected {names}\nargs: {args!r}")
        for k in names:
            expected += 1
            if got[k] != want[k]:
                sys.exit(f"FAIL case {i} mode {mode}: {k} = {got[k]}, Python reference {want[k]}\nargs: {args!r}")
            done += 1

# Usage errors exit 2.
for bad in (["--ck", "00"], ["--help-me"]):
    p = subprocess.run([tool, "gba-ks-naf"] + bad, capture_output=True)
    if p.returncode != 2:
        sys.exit(f"FAIL: {bad} exited {p.returncode}, expected 2")

if done != expected or cases < 100 or done < 2 * cases * 5:
    sys.exit(f"FAIL: ran {done} of {expected} comparisons over {cases} cases")
print(f"ok: {done} values compared over {cases} random cases x 2 modes")
PYEOF
