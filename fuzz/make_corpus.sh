#!/usr/bin/env bash
# make_corpus.sh — (re)makes the seed inputs under fuzz/corpus/: certificates, requests and CMS
# from the openssl CLI (an independent maker), pictures from Python's zlib, HTTP requests by hand,
# and what our own code makes (fuzz_seeds: CMS both forms, SESeal, two-party messages, the log's
# texts, one body per API route). Existing seeds of the same name are replaced; inputs a campaign
# merged in (not named seed-*) are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache} CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
cmake --preset fuzz >/dev/null
cmake --build build/fuzz --target fuzz_seeds >/dev/null
c=fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p $c/der $c/certificate $c/pki_requests $c/cms $c/http $c/image
seed() { printf "$2" > "$tmp/prefix"; cat "$tmp/prefix" "$3" > "$c/$1/seed-$4"; }

# Keys and certificates: SM2, P-256, RSA (openssl CLI).
openssl genpkey -algorithm SM2 -out $tmp/sm2.key 2>/dev/null
openssl req -new -x509 -key $tmp/sm2.key -sm3 -days 30 -subj '/C=CN/O=Fuzz/CN=SM2' -outform DER -out $tmp/sm2.der 2>/dev/null
openssl req -new -key $tmp/sm2.key -sm3 -subj '/C=CN/O=Fuzz/CN=SM2 request' -outform DER -out $tmp/sm2.csr 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $tmp/p256.key 2>/dev/null
openssl req -new -x509 -key $tmp/p256.key -days 30 -subj '/C=CN/O=Fuzz/CN=P-256' -addext 'keyUsage=digitalSignature' \
  -out $tmp/p256.pem 2>/dev/null
openssl x509 -in $tmp/p256.pem -outform DER -out $tmp/p256.der
openssl req -new -key $tmp/p256.key -subj '/CN=P-256 request' -out $tmp/p256.csr.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out $tmp/rsa.key 2>/dev/null
openssl req -new -x509 -key $tmp/rsa.key -days 30 -subj '/CN=RSA' -outform DER -out $tmp/rsa.der 2>/dev/null

for k in sm2 p256 rsa; do
  cp $tmp/$k.der $c/der/seed-cert-$k
  seed certificate '\x00' $tmp/$k.der der-$k
done
cat $tmp/p256.pem > $tmp/chain.pem; openssl x509 -inform DER -in $tmp/sm2.der >> $tmp/chain.pem
seed certificate '\x01' $tmp/chain.pem pem-chain

# Requests anyone may send: CSR (DER and PEM), OCSP (with a nonce), time stamp (with a nonce).
seed pki_requests '\x00' $tmp/sm2.csr csr-sm2-der
seed pki_requests '\x00' $tmp/p256.csr.pem csr-p256-pem
openssl ocsp -issuer $tmp/p256.pem -cert $tmp/p256.pem -reqout $tmp/ocsp.req -no_nonce >/dev/null 2>&1 || true
openssl ocsp -issuer $tmp/p256.pem -cert $tmp/p256.pem -reqout $tmp/ocsp-nonce.req >/dev/null 2>&1 || true
seed pki_requests '\x01' $tmp/ocsp.req ocsp
seed pki_requests '\x01' $tmp/ocsp-nonce.req ocsp-nonce
cp $tmp/ocsp-nonce.req $c/der/seed-ocsp
echo "bid" > $tmp/data.txt
openssl ts -query -data $tmp/data.txt -sha256 -cert -out $tmp/ts.req 2>/dev/null
openssl ts -query -data $tmp/data.txt -sha256 -tspolicy 1.2.3.4.1 -no_nonce -out $tmp/ts2.req 2>/dev/null
seed pki_requests '\x02' $tmp/ts.req ts
seed pki_requests '\x02' $tmp/ts2.req ts-policy
cp $tmp/ts.req $c/der/seed-ts

# CMS by openssl: a P-256 SignedData (enclosed) and an RSA EnvelopedData (ours refuses it).
openssl cms -sign -binary -nodetach -in $tmp/data.txt -signer $tmp/p256.pem -inkey $tmp/p256.key -outform DER \
  -out $tmp/signed.der 2>/dev/null
openssl x509 -inform DER -in $tmp/rsa.der -out $tmp/rsa.pem
openssl cms -encrypt -binary -aes-128-cbc -in $tmp/data.txt -outform DER -out $tmp/env.der $tmp/rsa.pem 2>/dev/null
seed cms '\x00\x00' $tmp/signed.der openssl-signed-p256
seed cms '\x01\x00' $tmp/env.der openssl-enveloped-rsa
cp $tmp/signed.der $c/der/seed-cms

# Pictures: a PNG and a JPEG header of a small size, and one that declares 100000 x 100000.
python3 - "$c/image" <<'PY'
import struct, sys, zlib
out = sys.argv[1]
def png(w, h):
    raw = b''.join(b'\x00' + b'\xff\x00\x00\xff' * w for _ in range(h))
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0)) + \
        chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
open(out + '/seed-png', 'wb').write(png(4, 3))
open(out + '/seed-png-huge', 'wb').write(png(1, 1).replace(struct.pack('>II', 1, 1), struct.pack('>II', 100000, 100000), 1))
sof = b'\xff\xc0' + struct.pack('>HBHHB', 17, 8, 3, 4, 3) + b'\x01\x22\x00\x02\x11\x01\x03\x11\x01'
open(out + '/seed-jpeg', 'wb').write(b'\xff\xd8\xff\xe0' + struct.pack('>H', 16) + b'JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00' + sof + b'\xff\xd9')
PY

# HTTP requests: a GET, a JSON POST, a chunked upload, pipelined requests, an oversized header.
printf 'GET /api/v1/info?x=1 HTTP/1.1\r\nHost: a\r\n\r\n' > $c/http/seed-get
printf 'POST /api/v1/sessions HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"phone":"1"}' > $c/http/seed-post
printf 'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' > $c/http/seed-chunked
printf 'GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' > $c/http/seed-pipelined
printf 'POST /other HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n' > $c/http/seed-expect
{ printf 'GET / HTTP/1.1\r\nHost: a\r\nX: '; head -c 3000 /dev/zero | tr '\0' 'a'; printf '\r\n\r\n'; } > $c/http/seed-big-header

# Our own code's seeds.
build/fuzz/fuzz/fuzz_seeds $c $tmp/sm2.key $tmp/sm2.der
du -sh $c
