# Shared helpers of tests/ue/ext_ue_*.sh (sourced) on top of tests/lib/common.sh.
: "${MBMSEC_UE:?MBMSEC_UE must name the mbmsec-ue program}"
TEST_NAME=ue-test
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

# mbmsec-ue bounded by timeout(1); stdout to $WORK/$1.out, stderr to $WORK/$1.err; returns its status.
ue() {
  local name=$1; shift
  timeout 60 "$MBMSEC_UE" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
}
val() { sed -n "s/^$2=//p" "$WORK/$1.out"; }

# Ks_NAF, MRK, MUK computed in Python from Ks, RAND, IMPI, FQDN (TS 33.220 B.2/B.3, profile P1):
# an implementation independent of lib/gba_kdf.c. Prints "ks_naf mrk muk".
py_naf_keys() {
  "$PY" - "$1" "$2" "$3" "$4" <<'PYEOF'
import hmac, hashlib, sys
ks, rand, impi, fqdn = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3].encode(), sys.argv[4].encode()
def kdf(key, fc, *ps):
    s = bytes([fc]) + b"".join(p + len(p).to_bytes(2, "big") for p in ps)
    return hmac.new(key, s, hashlib.sha256).digest()
naf_id = fqdn + bytes([1, 0, 0, 0, 1])
k = kdf(ks, 1, b"gba-me", rand, impi, naf_id)
print(k.hex(), kdf(k, 1, b"mbms-mrk").hex(), kdf(k, 1, b"mbms-muk").hex())
PYEOF
}
