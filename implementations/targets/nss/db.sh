# Sourced by selfserv.sh and tstclnt.sh: a fresh NSS database in a temporary folder, in $db, removed when
# the script ends, and import_pair NICK CHAIN KEY to add a certificate chain and its key to it.
# The harness stops a target by signalling its whole process group: the NSS program ends, then the sourcing
# shell (its traps run once the program has exited) removes the database. The cleanup ignores SIGTERM and
# SIGINT (so does rm, which inherits that): a signal to the group during the rm cannot cut it short.
db=$(mktemp -d "${TMPDIR:-/tmp}/tls-harness-nss-XXXXXX")
trap 'trap "" TERM INT; rm -rf "$db"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
certutil -N -d "sql:$db" --empty-password

# PKCS#12 with PBES2 / AES and a SHA-256 MAC (what pk12util reads), no password.
import_pair() {
  openssl pkcs12 -export -in "$2" -inkey "$3" -name "$1" -out "$db/import.p12" -passout pass: \
    -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256
  pk12util -i "$db/import.p12" -d "sql:$db" -W '' >/dev/null
  rm -f "$db/import.p12"
}
