#!/bin/sh
# NSS's tstclnt with the harness's test CA trusted and its client certificate available:
#   tstclnt.sh HOST PORT CA CLIENT_CHAIN CLIENT_KEY
# NSS reads trust anchors and client keys only from its own database: each connection builds one in a
# temporary folder (removed when tstclnt ends). tstclnt sends what it reads on stdin and prints what it
# receives; it offers its client certificate (-n client) when the server asks for one.
set -eu
host=$1 port=$2 ca=$3 client_chain=$4 client_key=$5
. "$(dirname "$0")/db.sh"
certutil -A -d "sql:$db" -n ca -t 'C,,' -i "$ca"
import_pair client "$client_chain" "$client_key"
# -h 127.0.0.1 (as given), -a: the SNI name and the name checked in the certificate. -V: TLS 1.2 and 1.3.
# -u: session tickets. -G: extended master secret.
tstclnt -h "$host" -p "$port" -a localhost -d "sql:$db" -n client -V tls1.2:tls1.3 -u -G -O
