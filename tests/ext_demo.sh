#!/usr/bin/env bash
# `make demo` as a test: the demo script against this build (real BSF, BM-SC on SQLite and UE
# key agent on loopback; bootstrap, registration, MSK request, MIKEY push and acknowledgement,
# MTK messages and SRTP from the BM-SC, an MSK change-over and a scheduled rotation push, every
# packet after the join decrypted with its payload as sent), so that the README's first command cannot rot unnoticed.
set -euo pipefail
cd "$SRCDIR"
out=$(timeout 300 scripts/demo "$BUILDDIR" 2>&1) || { echo "$out"; echo "FAIL: demo exited non-zero"; exit 1; }
grep -q "demo: OK" <<<"$out" || { echo "$out"; echo "FAIL: no success line"; exit 1; }
for step in "1. Provision" "4. Start the UE agent" "MIKEY push: MSK 00f110:00010001 stored" \
            "MIKEY verification message sent" "msg=stream event=mtk_new" \
            "MTK 1 of MSK 00f110:00010002 taken" "MIKEY push: MSK 00f110:00010003 stored" \
            "msg=rotate event=done msk_id=00010003 acked=1" "decrypted without a gap" "6. Check"; do
  grep -qF "$step" <<<"$out" || { echo "$out"; echo "FAIL: step '$step' missing"; exit 1; }
done
echo "PASS: demo completed every step"
