#!/usr/bin/env bash
# Runs the crypto, key-manager and PKI unit tests once more against the OLDEST libssl3 that
# Debian 12's archive offers, without touching the system: the package is fetched with
# `apt-get download`, unpacked with `dpkg-deb -x` into a folder of the build tree and put first
# on LD_LIBRARY_PATH. CryptoRuntime.LoadedLibraryIsTheExpectedOne then checks that the library
# really loaded is that version, so a silent fall-back to the system's libcrypto cannot pass.
#
# Usage: run.sh UNIT_TESTS_BINARY CACHE_DIR
set -euo pipefail
bin=$(readlink -f "$1")
cache=$2
mkdir -p "$cache"
cd "$cache" && cache=$PWD

# The versions the archive offers, oldest first (apt-cache needs current lists: scripts/setup
# runs apt-get update when they are missing).
oldest=$(apt-cache madison libssl3 | awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -V | head -1)
if [ -z "$oldest" ]; then
  [ -d /var/lib/apt/lists ] && [ "$(id -u)" = 0 ] && apt-get update -qq
  oldest=$(apt-cache madison libssl3 | awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -V | head -1)
fi
if [ -z "$oldest" ]; then
  echo "old_libssl: apt-cache knows no libssl3 versions" >&2
  exit 1
fi
upstream=${oldest%%-*}   # 3.0.17-1~deb12u2 -> 3.0.17
dir="$cache/libssl3-$oldest"
if [ ! -f "$dir/.unpacked" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  # apt-get download writes into the current folder; as root it warns that _apt cannot write here.
  (cd "$dir" && apt-get download "libssl3=$oldest" 2>&1 | grep -v "unsandboxed" || true)
  deb=$(ls "$dir"/libssl3_*.deb 2>/dev/null | head -1)
  if [ -z "$deb" ]; then
    echo "old_libssl: apt-get download libssl3=$oldest failed" >&2
    exit 1
  fi
  dpkg-deb -x "$deb" "$dir/root"
  touch "$dir/.unpacked"
fi
libdir=$(dirname "$(find "$dir/root" -name 'libcrypto.so.3' | head -1)")
echo "old_libssl: running against libssl3 $oldest from $libdir"

filter='CryptoRuntime.*:Aes256Gcm*:Argon2id*:Cosign*:Hmac*:PKey*:Sha2*:Sm2*:Sm3*:Sm4*:ShieldUnlock*'
filter+=':SoftwareKeyManager*:Pkcs11KeyManager*:Pki*:*CaServiceTest*'
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" CERTSEAL_EXPECT_OPENSSL="OpenSSL $upstream " \
  "$bin" --gtest_filter="$filter" --gtest_brief=1
