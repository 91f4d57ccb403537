#!/usr/bin/env bash
# `make demo` as a test: the demo script against this build (real BSF, BM-SC on SQLite and UE
# key agent on loopback; bootstrap, registration, MSK request, MIKEY push and acknowledgement,
# MTKs, SRTP payload compared), so that the README's first command cannot rot unnoticed.
set -euo pipefail
cd "$SRCDIR"
out=$(timeout 300 scripts/demo "$BUILDDIR" 2>&1) || { echo "$out"; echo "FAIL: demo exited non-zero"; exit 1; }
grep -q "demo: OK" <<<"$out" || { echo "$out"; echo "FAIL: no success line"; exit 1; }
for step in "1. Provision" "4. Start the UE agent" "MIKEY push: MSK 00f110:00010001 stored" \
            "MIKEY verification message sent" "MTK 1 of MSK 00f110:00010002 taken" "6. Check"; do
  grep -qF "$step" <<<"$out" || { echo "$out"; echo "FAIL: step '$step' missing"; exit 1; }
done
echo "PASS: demo completed every step"
