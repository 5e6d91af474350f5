#!/bin/sh
# lighttpd (foreground) with one TLS module and one certificate, for the wolfssl and mbedtls targets:
#   lighttpd.sh MODULE PORT CHAIN KEY CIPHERS [CLIENT_CA]
# MODULE is mod_wolfssl or mod_mbedtls; CHAIN is the leaf then the test CA (PEM); CIPHERS the module's
# cipher string. The configuration (lighttpd.conf beside this script) reads everything from the environment;
# the document root is a temporary folder with one small page, removed when lighttpd ends.
set -eu
root=$(mktemp -d "${TMPDIR:-/tmp}/tls-harness-lighttpd-XXXXXX")
# The harness stops the target by signalling its whole process group, the cleanup's rm included: the cleanup
# ignores SIGTERM and SIGINT (so does rm, which inherits that) so it cannot be cut short.
trap 'trap "" TERM INT; rm -rf "$root"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
echo 'tls-harness lighttpd' > "$root/index.html"
TLS_MODULE=$1 TLS_PORT=$2 TLS_CHAIN=$3 TLS_KEY=$4 TLS_CIPHERS=$5 TLS_ROOT=$root
export TLS_MODULE TLS_PORT TLS_CHAIN TLS_KEY TLS_CIPHERS TLS_ROOT
# cauth: with CLIENT_CA, lighttpd-client-auth.conf (the same, requesting a client certificate verified against it).
conf=lighttpd.conf
if [ $# -ge 6 ]; then TLS_CLIENT_CA=$6; export TLS_CLIENT_CA; conf=lighttpd-client-auth.conf; fi
# -D: foreground, the error log on stderr ("server started" when it listens). Not exec: the traps above
# remove the document root once lighttpd has exited.
lighttpd -D -f "$(dirname "$0")/$conf"
