#!/bin/sh
# NSS's selfserv with the harness's test certificates. NSS reads keys and certificates only from its own
# database, so each start builds a fresh one in a temporary folder (removed when selfserv ends):
#   selfserv.sh PORT RSA_CHAIN RSA_KEY EC_CHAIN EC_KEY [CA SELFSERV_ARGS...]
# cauth: with CA (a PEM file), it is added to the database as a trusted CA for client certificates, and the
# further arguments go to selfserv (e.g. -r: request a client certificate, verified against the database).
# Each chain is the leaf then the test CA (PEM); both pairs are imported through PKCS#12 (pk12util). NSS
# names certificates by subject, and the two leaves share theirs (CN=localhost), so both get the nickname
# `leaf`: `-n leaf -e leaf` then configures both, and selfserv signs with whichever fits the handshake.
set -eu
port=$1 rsa_chain=$2 rsa_key=$3 ec_chain=$4 ec_key=$5
shift 5
ca=
if [ $# -gt 0 ]; then ca=$1; shift; fi
. "$(dirname "$0")/db.sh"
import_pair leaf "$rsa_chain" "$rsa_key"
import_pair leaf "$ec_chain" "$ec_key"
# -V: TLS 1.2 and 1.3. -u: session tickets. -G: extended master secret (RFC 7627). -H 1: DHE suites on.
# -Q: ALPN http/1.1. Without -N the server keeps a session-ID cache (TLS 1.2 resumption).
if [ -n "$ca" ]; then certutil -A -d "sql:$db" -n client-ca -t "T,," -i "$ca"; fi
selfserv -d "sql:$db" -p "$port" -n leaf -e leaf -V tls1.2:tls1.3 -u -G -H 1 -Q "$@"
