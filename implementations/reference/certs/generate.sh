#!/usr/bin/env bash
# Test keys and certificates for tls-harness (test fixtures only: the private keys are public).
#
# Makes, in this directory:
#   ca.key / ca.pem                  test root CA, ECDSA P-256, CA:TRUE, keyCertSign + cRLSign
#   intermediate.key / .pem          an intermediate CA (ECDSA P-256, pathlen 0) signed by the root
#   server-rsa2048.key / .pem        leaf, RSA-2048
#   server-p256.key / .pem           leaf, ECDSA P-256
#   server-p384.key / .pem           leaf, ECDSA P-384
#   server-p521.key / .pem           leaf, ECDSA P-521
#   server-ed25519.key / .pem        leaf, Ed25519
#   server-ed448.key / .pem          leaf, Ed448
#   server-p256-via-intermediate.key / .pem   leaf, ECDSA P-256, issued by the intermediate CA
#   client-p256.key / .pem           client certificate, ECDSA P-256, CN=tls-harness client, EKU clientAuth
#   unsupported-secp256k1.key / .pem leaf with an EC key on secp256k1, a curve the harness does not support
#                                    (for unsupported_certificate tests)
#   server-rsa2048-sign-only.key / .pem  leaf, RSA-2048, keyUsage digitalSignature only: not for the RSA key
#                                    exchange (RFC 5246 7.4.2: "the keyEncipherment bit MUST be set if the key
#                                    usage extension is present")
#   server-p256-wrong-name.key / .pem    leaf, ECDSA P-256, CN and SAN wrong-name.example (not localhost)
#
# Leaves: CN=localhost, SAN DNS:localhost + IP:127.0.0.1, EKU serverAuth + clientAuth. keyUsage is
# digitalSignature + keyEncipherment for RSA; digitalSignature only for EC, Ed25519 and Ed448, because RFC 8813
# section 3 forbids keyEncipherment with id-ecPublicKey and RFC 8410 section 5 allows only
# digitalSignature / nonRepudiation / keyCertSign / cRLSign for Ed25519 and Ed448.
# All certificates are valid for 20 years (7305 days) from the day they are made. Keys are PKCS#8 PEM.
#
# Usage (needs OpenSSL 3):
#   implementations/reference/certs/generate.sh              makes everything anew, CAs included (overwrites the files)
#   implementations/reference/certs/generate.sh NAME ...     makes only the named leaves (e.g. server-p521), issued
#                                                            by the existing CAs, leaving every other file as it is
set -euo pipefail
cd "$(dirname "$0")"

DAYS=7305
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

LEAVES=(server-rsa2048 server-p256 server-p384 server-p521 server-ed25519 server-ed448 server-p256-via-intermediate client-p256 unsupported-secp256k1 server-rsa2048-sign-only server-p256-wrong-name)
if [ $# -gt 0 ]; then
  only=("$@")
  for n in "${only[@]}"; do
    [[ " ${LEAVES[*]} " == *" $n "* ]] || { echo "generate.sh: unknown leaf '$n' (one of: ${LEAVES[*]})" >&2; exit 2; }
  done
else
  only=("${LEAVES[@]}")
fi
wanted() { [[ " ${only[*]} " == *" $1 "* ]]; }

key() { # key <file> <algorithm options...>
  local out=$1
  shift
  openssl genpkey "$@" -out "$out"
  chmod 644 "$out"
}

# --- root and intermediate CA (only when making everything) -------------------------------------------
if [ $# -eq 0 ]; then
key ca.key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve
cat >"$tmp/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
O = tls-harness
CN = tls-harness test root CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
openssl req -new -x509 -key ca.key -sha256 -days "$DAYS" -config "$tmp/ca.cnf" -set_serial "0x$(openssl rand -hex 16)" -out ca.pem

# --- intermediate CA ----------------------------------------------------------------------------------
key intermediate.key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve
cat >"$tmp/int.cnf" <<'EOF'
[v3_int]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
openssl req -new -key intermediate.key -subj "/O=tls-harness/CN=tls-harness test intermediate CA" -out "$tmp/int.csr"
openssl x509 -req -in "$tmp/int.csr" -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
  -days "$DAYS" -sha256 -extfile "$tmp/int.cnf" -extensions v3_int -out intermediate.pem
fi

# --- leaves ---------------------------------------------------------------------------------------------
cat >"$tmp/leaf.cnf" <<'EOF'
[leaf_rsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_wrong_name]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:wrong-name.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_sig]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF

leaf() { # leaf <name> <extensions section> <subject> <issuer cert> <issuer key>
  local name=$1 ext=$2 subj=$3 ca=$4 cakey=$5
  openssl req -new -key "$name.key" -subj "$subj" -out "$tmp/$name.csr"
  openssl x509 -req -in "$tmp/$name.csr" -CA "$ca" -CAkey "$cakey" -set_serial "0x$(openssl rand -hex 16)" \
    -days "$DAYS" -sha256 -extfile "$tmp/leaf.cnf" -extensions "$ext" -out "$name.pem"
}

ec() { echo -algorithm EC -pkeyopt "ec_paramgen_curve:$1" -pkeyopt ec_param_enc:named_curve; }
make_leaf() { # make_leaf <name> <extensions section> <subject> <issuer cert> <issuer key> <key algorithm options...>
  local name=$1 ext=$2 subj=$3 ca=$4 cakey=$5
  shift 5
  wanted "$name" || return 0
  key "$name.key" "$@"
  leaf "$name" "$ext" "$subj" "$ca" "$cakey"
  if [ "$ca" = ca.pem ]; then
    openssl verify -CAfile ca.pem "$name.pem" >/dev/null
  else
    openssl verify -CAfile ca.pem -untrusted "$ca" "$name.pem" >/dev/null
  fi
  echo "made $name"
}

make_leaf server-rsa2048 leaf_rsa "/O=tls-harness/CN=localhost" ca.pem ca.key -algorithm RSA -pkeyopt rsa_keygen_bits:2048
make_leaf server-p256 leaf_sig "/O=tls-harness/CN=localhost" ca.pem ca.key $(ec P-256)
make_leaf server-p384 leaf_sig "/O=tls-harness/CN=localhost" ca.pem ca.key $(ec P-384)
make_leaf server-p521 leaf_sig "/O=tls-harness/CN=localhost" ca.pem ca.key $(ec P-521)
make_leaf server-ed25519 leaf_sig "/O=tls-harness/CN=localhost" ca.pem ca.key -algorithm ED25519
make_leaf server-ed448 leaf_sig "/O=tls-harness/CN=localhost" ca.pem ca.key -algorithm ED448
make_leaf server-p256-via-intermediate leaf_sig "/O=tls-harness/CN=localhost" intermediate.pem intermediate.key $(ec P-256)
make_leaf client-p256 client "/O=tls-harness/CN=tls-harness client" ca.pem ca.key $(ec P-256)
make_leaf unsupported-secp256k1 leaf_sig "/O=tls-harness/CN=localhost" ca.pem ca.key $(ec secp256k1)
# An RSA key that may only sign (no keyEncipherment): RFC 5246 7.4.2 forbids it for the RSA key exchange.
make_leaf server-rsa2048-sign-only leaf_sig "/O=tls-harness/CN=localhost" ca.pem ca.key -algorithm RSA -pkeyopt rsa_keygen_bits:2048
make_leaf server-p256-wrong-name leaf_wrong_name "/O=tls-harness/CN=wrong-name.example" ca.pem ca.key $(ec P-256)

echo "generated in $(pwd)"
