#!/bin/sh
# Builds the rustls wrapper offline from Debian's crate sources (librust-rustls-dev, librust-rustls-pemfile-dev)
# with Debian's cargo, into build/ (git-ignored): build/rustls-tls.
set -eu
cd "$(dirname "$0")"
mkdir -p build
# ring 0.16.20 without its wasm32 (web-sys) and Windows (winapi) dependency sections: those crates are not
# packaged, and cargo resolves every target's dependencies, even for a Linux build.
if [ ! -f build/ring/Cargo.toml ]; then
  rm -rf build/ring.tmp
  cp -r /usr/share/cargo/registry/ring-0.16.20 build/ring.tmp
  awk '
    /^\[/ { skip = ($0 ~ /dependencies\.web-sys\]/ || $0 ~ /dependencies\.winapi\]/) }
    !skip
  ' /usr/share/cargo/registry/ring-0.16.20/Cargo.toml > build/ring.tmp/Cargo.toml
  rm -f build/ring.tmp/.cargo-checksum.json
  mv build/ring.tmp build/ring
fi
# Debian's cargo and rustc (/usr/bin), not whichever a user has first on PATH.
# The rustls version the wrapper's `version` prints (the crate source Debian installed).
RUSTLS_SOURCE=$(ls -d /usr/share/cargo/registry/rustls-0.* | head -n 1)
export RUSTLS_VERSION="rustls ${RUSTLS_SOURCE##*/rustls-}"
RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc /usr/bin/cargo build --release --offline
cp build/target/release/rustls-tls build/rustls-tls
