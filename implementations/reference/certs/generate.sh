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
# Bad server certificates (issue 14, client-role certificate tests), ECDSA P-256 leaves for localhost like
# server-p256 but for one fault each; their validity dates are fixed (openssl ca -startdate/-enddate), not
# counted from the day they are made:
#   server-p256-expired.key / .pem          valid 2000-01-01 to 2020-01-01 only
#   server-p256-not-yet-valid.key / .pem    valid from 2090-01-01 (to 2099-12-31)
#   server-p256-client-eku.key / .pem       extendedKeyUsage clientAuth only (no serverAuth)
#   server-p256-no-digital-signature.key / .pem  keyUsage keyAgreement only (no digitalSignature)
#   server-p256-sha1.key / .pem             signed by the root with ecdsa-with-SHA1
#   server-p256-md5.key / .pem              signed with md5WithRSAEncryption by intermediate-rsa (an RSA-2048
#                                           intermediate CA, signed by the root with SHA-256)
#   server-p256-unknown-issuer.key / .pem   issued by other-ca (a self-signed root no trust store holds)
#   server-rsa2048-via-rsa-intermediate.key / .pem   a good RSA-2048 leaf signed with sha256WithRSAEncryption
#                                           (rsa_pkcs1_sha256) by intermediate-rsa, itself signed by the root with
#                                           ECDSA P-256 SHA-256: the signatures RFC 8446 9.1 makes mandatory
#   intermediate-rsa.key / .pem, other-ca.key / .pem   their issuers (made when missing)
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

LEAVES=(server-rsa2048 server-p256 server-p384 server-p521 server-ed25519 server-ed448 server-p256-via-intermediate client-p256 unsupported-secp256k1 server-rsa2048-sign-only server-p256-wrong-name
  server-p256-expired server-p256-not-yet-valid server-p256-client-eku server-p256-no-digital-signature server-p256-sha1 server-p256-md5 server-p256-unknown-issuer server-rsa2048-via-rsa-intermediate)
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
[leaf_client_eku]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_no_ds]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyAgreement
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_int]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
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

# --- bad server certificates (fixed dates: openssl ca) ------------------------------------------------------
# fixed_leaf <name> <extensions section> <issuer cert> <issuer key> <digest> <start> <end> <key algorithm options...>
fixed_leaf() {
  local name=$1 ext=$2 ca=$3 cakey=$4 md=$5 start=$6 end=$7
  shift 7
  wanted "$name" || return 0
  key "$name.key" "$@"
  openssl req -new -key "$name.key" -subj "/O=tls-harness/CN=localhost" -out "$tmp/$name.csr"
  mkdir -p "$tmp/db-$name"
  : >"$tmp/db-$name/index.txt"
  openssl rand -hex 16 >"$tmp/db-$name/serial"
  cat >"$tmp/ca-$name.cnf" <<EOF2
[ca]
default_ca = this
[this]
database = $tmp/db-$name/index.txt
new_certs_dir = $tmp/db-$name
serial = $tmp/db-$name/serial
policy = any
unique_subject = no
[any]
organizationName = optional
commonName = supplied
EOF2
  openssl ca -batch -notext -config "$tmp/ca-$name.cnf" -cert "$ca" -keyfile "$cakey" -md "$md" \
    -rand_serial -startdate "$start" -enddate "$end" -extfile "$tmp/leaf.cnf" -extensions "$ext" \
    -in "$tmp/$name.csr" -out "$name.pem" 2>"$tmp/ca.log" || { cat "$tmp/ca.log" >&2; exit 1; }
  echo "made $name"
}
FROM=20260101000000Z
TO=20460101000000Z
if { wanted server-p256-md5 || wanted server-rsa2048-via-rsa-intermediate; } && [ ! -f intermediate-rsa.pem ]; then
  key intermediate-rsa.key -algorithm RSA -pkeyopt rsa_keygen_bits:2048
  openssl req -new -key intermediate-rsa.key -subj "/O=tls-harness/CN=tls-harness test RSA intermediate CA" -out "$tmp/int-rsa.csr"
  openssl x509 -req -in "$tmp/int-rsa.csr" -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
    -days "$DAYS" -sha256 -extfile "$tmp/leaf.cnf" -extensions v3_int -out intermediate-rsa.pem
fi
if wanted server-p256-unknown-issuer && [ ! -f other-ca.pem ]; then
  key other-ca.key $(ec P-256)
  openssl req -new -x509 -key other-ca.key -sha256 -days "$DAYS" -subj "/O=tls-harness/CN=tls-harness other root CA (untrusted)" \
    -config "$tmp/leaf.cnf" -extensions v3_ca -set_serial "0x$(openssl rand -hex 16)" -out other-ca.pem
fi
fixed_leaf server-p256-expired leaf_sig ca.pem ca.key sha256 20000101000000Z 20200101000000Z $(ec P-256)
fixed_leaf server-p256-not-yet-valid leaf_sig ca.pem ca.key sha256 20900101000000Z 20991231000000Z $(ec P-256)
fixed_leaf server-p256-client-eku leaf_client_eku ca.pem ca.key sha256 $FROM $TO $(ec P-256)
fixed_leaf server-p256-no-digital-signature leaf_no_ds ca.pem ca.key sha256 $FROM $TO $(ec P-256)
fixed_leaf server-p256-sha1 leaf_sig ca.pem ca.key sha1 $FROM $TO $(ec P-256)
fixed_leaf server-p256-md5 leaf_sig intermediate-rsa.pem intermediate-rsa.key md5 $FROM $TO $(ec P-256)
fixed_leaf server-p256-unknown-issuer leaf_sig other-ca.pem other-ca.key sha256 $FROM $TO $(ec P-256)
fixed_leaf server-rsa2048-via-rsa-intermediate leaf_rsa intermediate-rsa.pem intermediate-rsa.key sha256 $FROM $TO -algorithm RSA -pkeyopt rsa_keygen_bits:2048

echo "generated in $(pwd)"
