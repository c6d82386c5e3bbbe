#!/usr/bin/env bash
# Makes the TLS fixtures for the HTTPS tests and `deno task qa`:
#
#   tests/fixtures/ca.pem             private test CA (the only thing a client trusts)
#   tests/fixtures/server.pem         server certificate signed by that CA
#   tests/fixtures/server-key.pem     its key (PKCS#8, unencrypted)
#   tests/fixtures/untrusted.pem      self-signed certificate for the same names, signed by
#   tests/fixtures/untrusted-key.pem  nobody a client trusts: tests expect a TLS failure
#
# Both server certificates name IP 127.0.0.1, IP ::1 and DNS localhost in subjectAltName
# (rustls and Node ignore the CN) and are valid for 20 years, so committed fixtures do not
# expire under the test suite. ECDSA P-256 keeps the files small; rustls (Deno) and OpenSSL
# (Node) both accept it. The CA key is thrown away on purpose: nobody can mint more
# certificates for this CA. Re-running the script replaces every file.
set -euo pipefail

DAYS=7300
OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/fixtures"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT" "$WORK/db"
touch "$WORK/db/index.txt"

# `openssl ca` (unlike `req -x509` in OpenSSL 3.0) can backdate notBefore: a day of slack
# keeps the fixtures valid on a machine whose clock is behind the one that made them.
START="$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)"
END="$(date -u -d "$DAYS days" +%Y%m%d%H%M%SZ)"

cat >"$WORK/sign.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $WORK/db/index.txt
new_certs_dir = $WORK/db
rand_serial = yes
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
CNF

cat >"$WORK/ca.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = vectorvue-client test CA (do not trust outside tests)
[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF

cat >"$WORK/leaf.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_self]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
subjectKeyIdentifier = hash
CNF

new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# sign CSR OUT CNF EXTENSIONS SIGNER-ARGS...
sign() {
  local csr="$1" out="$2" cnf="$3" ext="$4"
  shift 4
  openssl ca -batch -notext -config "$WORK/sign.cnf" -in "$csr" -out "$out" \
    -startdate "$START" -enddate "$END" -extfile "$cnf" -extensions "$ext" "$@" 2>/dev/null
}

# Test CA (self-signed).
new_key "$WORK/ca-key.pem"
openssl req -new -config "$WORK/ca.cnf" -key "$WORK/ca-key.pem" -out "$WORK/ca.csr"
sign "$WORK/ca.csr" "$OUT/ca.pem" "$WORK/ca.cnf" v3_ca -selfsign -keyfile "$WORK/ca-key.pem"

# Server certificate signed by the test CA.
new_key "$OUT/server-key.pem"
openssl req -new -config "$WORK/leaf.cnf" -key "$OUT/server-key.pem" -out "$WORK/server.csr"
sign "$WORK/server.csr" "$OUT/server.pem" "$WORK/leaf.cnf" v3_leaf \
  -cert "$OUT/ca.pem" -keyfile "$WORK/ca-key.pem"

# Self-signed certificate for the same names that no client trusts.
new_key "$OUT/untrusted-key.pem"
openssl req -new -config "$WORK/leaf.cnf" -key "$OUT/untrusted-key.pem" \
  -out "$WORK/untrusted.csr"
sign "$WORK/untrusted.csr" "$OUT/untrusted.pem" "$WORK/leaf.cnf" v3_self \
  -selfsign -keyfile "$OUT/untrusted-key.pem"

# Test keys: readable like every other fixture (git keeps no permissions but the x bit).
chmod 644 "$OUT"/ca.pem "$OUT"/server.pem "$OUT"/server-key.pem \
  "$OUT"/untrusted.pem "$OUT"/untrusted-key.pem

openssl verify -CAfile "$OUT/ca.pem" "$OUT/server.pem" >/dev/null
if openssl verify -CAfile "$OUT/ca.pem" "$OUT/untrusted.pem" >/dev/null 2>&1; then
  echo "untrusted.pem must not verify against ca.pem" >&2
  exit 1
fi
echo "wrote $OUT/{ca,server,server-key,untrusted,untrusted-key}.pem (valid $DAYS days)"
