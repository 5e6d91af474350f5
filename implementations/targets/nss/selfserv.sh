#!/bin/sh
# NSS's selfserv with the harness's test certificates. NSS reads keys and certificates only from its own
# database, so each start builds a fresh one in a temporary folder (removed when selfserv ends):
#   selfserv.sh PORT RSA_CHAIN RSA_KEY EC_CHAIN EC_KEY
# Each chain is the leaf then the test CA (PEM); both pairs are imported through PKCS#12 (pk12util). NSS
# names certificates by subject, and the two leaves share theirs (CN=localhost), so both get the nickname
# `leaf`: `-n leaf -e leaf` then configures both, and selfserv signs with whichever fits the handshake.
set -eu
port=$1 rsa_chain=$2 rsa_key=$3 ec_chain=$4 ec_key=$5
db=$(mktemp -d "${TMPDIR:-/tmp}/tls-harness-nss-XXXXXX")
# The harness stops a target by signalling its whole process group: the program below ends, then this
# shell (its traps run once the program has exited) removes the database.
trap 'rm -rf "$db"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
certutil -N -d "sql:$db" --empty-password
for pair in "rsa $rsa_chain $rsa_key" "ec $ec_chain $ec_key"; do
  set -- $pair
  # PBES2 with AES and a SHA-256 MAC, which pk12util reads.
  openssl pkcs12 -export -in "$2" -inkey "$3" -name leaf -out "$db/$1.p12" -passout pass: \
    -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256
  pk12util -i "$db/$1.p12" -d "sql:$db" -W '' >/dev/null
done
# -V: TLS 1.2 and 1.3. -u: session tickets. -G: extended master secret (RFC 7627). -H 1: DHE suites on.
# -Q: ALPN http/1.1. Without -N the server keeps a session-ID cache (TLS 1.2 resumption).
selfserv -d "sql:$db" -p "$port" -n leaf -e leaf -V tls1.2:tls1.3 -u -G -H 1 -Q
