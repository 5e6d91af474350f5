#!/usr/bin/env bash
# Test keys and certificates for tls-harness (test fixtures only: the private keys are public).
#
# Makes, in this directory:
#   ca.key / ca.pem                  test root CA, ECDSA P-256, CA:TRUE, keyCertSign + cRLSign
#   intermediate.key / .pem          an intermediate CA (ECDSA P-256, pathlen 0) signed by the root
#   server-rsa2048.key / .pem        leaf, RSA-2048
#   server-p256.key / .pem           leaf, ECDSA P-256
#   server-p384.key / .pem           leaf, ECDSA P-384
#   server-ed25519.key / .pem        leaf, Ed25519
#   server-p256-via-intermediate.key / .pem   leaf, ECDSA P-256, issued by the intermediate CA
#   client-p256.key / .pem           client certificate, ECDSA P-256, CN=tls-harness client, EKU clientAuth
#   unsupported-ed448.key / .pem     leaf with an Ed448 key, a key type the harness does not support
#                                    (for unsupported_certificate tests)
#
# Leaves: CN=localhost, SAN DNS:localhost + IP:127.0.0.1, EKU serverAuth + clientAuth. keyUsage is
# digitalSignature + keyEncipherment for RSA; digitalSignature only for EC and Ed25519, because RFC 8813
# section 3 forbids keyEncipherment with id-ecPublicKey and RFC 8410 section 5 allows only
# digitalSignature / nonRepudiation / keyCertSign / cRLSign for Ed25519.
# All certificates are valid for 20 years (7305 days) from the day they are made. Keys are PKCS#8 PEM.
#
# Usage: implementations/reference/certs/generate.sh   (needs OpenSSL 3; overwrites the files)
set -euo pipefail
cd "$(dirname "$0")"

DAYS=7305
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key() { # key <file> <algorithm options...>
  local out=$1
  shift
  openssl genpkey "$@" -out "$out"
  chmod 644 "$out"
}

# --- root CA ------------------------------------------------------------------------------------------
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

# --- leaves ---------------------------------------------------------------------------------------------
cat >"$tmp/leaf.cnf" <<'EOF'
[leaf_rsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
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

key server-rsa2048.key -algorithm RSA -pkeyopt rsa_keygen_bits:2048
key server-p256.key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve
key server-p384.key -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve
key server-ed25519.key -algorithm ED25519
key server-p256-via-intermediate.key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve
key client-p256.key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve
key unsupported-ed448.key -algorithm ED448

leaf server-rsa2048 leaf_rsa "/O=tls-harness/CN=localhost" ca.pem ca.key
leaf server-p256 leaf_sig "/O=tls-harness/CN=localhost" ca.pem ca.key
leaf server-p384 leaf_sig "/O=tls-harness/CN=localhost" ca.pem ca.key
leaf server-ed25519 leaf_sig "/O=tls-harness/CN=localhost" ca.pem ca.key
leaf server-p256-via-intermediate leaf_sig "/O=tls-harness/CN=localhost" intermediate.pem intermediate.key
leaf client-p256 client "/O=tls-harness/CN=tls-harness client" ca.pem ca.key
leaf unsupported-ed448 leaf_sig "/O=tls-harness/CN=localhost" ca.pem ca.key

# Check what was made.
for c in server-rsa2048 server-p256 server-p384 server-ed25519 client-p256 unsupported-ed448; do
  openssl verify -CAfile ca.pem "$c.pem" >/dev/null
done
openssl verify -CAfile ca.pem -untrusted intermediate.pem server-p256-via-intermediate.pem >/dev/null
echo "generated in $(pwd)"
