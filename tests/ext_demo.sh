#!/usr/bin/env bash
# `make demo` as a test: the demo script against this build (real BSF and UE on loopback, Zn,
# Digest, MIKEY), so that the README's first command cannot rot unnoticed.
set -euo pipefail
cd "$SRCDIR"
out=$(scripts/demo "$BUILDDIR" 2>&1) || { echo "$out"; echo "FAIL: demo exited non-zero"; exit 1; }
grep -q "demo: OK" <<<"$out" || { echo "$out"; echo "FAIL: no success line"; exit 1; }
for step in "1. Provision" "3. UE: simulated USIM" "4. BM-SC side: Zn" "6. MIKEY"; do
  grep -q "$step" <<<"$out" || { echo "FAIL: step '$step' missing"; exit 1; }
done
echo "PASS: demo completed every step"
