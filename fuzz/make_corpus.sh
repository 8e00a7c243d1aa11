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
cmake --build build/fuzz --target fuzz_seeds fuzz_seeds_signing >/dev/null
c=fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p $c/der $c/certificate $c/pki_requests $c/cms $c/http $c/image $c/pdf $c/pkcs11 $c/ecdsa_split $c/ofd
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
# For the PKCS#11 objects: the public keys as the platform sends them (EC: the point; RSA 2048: SPKI).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $tmp/rsa2048.key 2>/dev/null
openssl req -new -x509 -key $tmp/rsa2048.key -days 30 -subj '/CN=RSA 2048' -outform DER -out $tmp/rsa2048.der 2>/dev/null
openssl pkey -in $tmp/rsa2048.key -pubout -outform DER -out $tmp/rsa2048.spki
for k in sm2 p256; do
  openssl pkey -in $tmp/$k.key -pubout -outform DER | tail -c 65 > $tmp/$k.pub
done

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
# EC key agreement (kari) by openssl: its default (stdDH SHA-1 KDF, 3DES wrap, DES-EDE3-CBC) and
# AES-256-CBC content. fuzz_seeds_signing below puts the real Z (from p256.key) in front of each.
openssl cms -encrypt -binary -in $tmp/data.txt -outform DER -out $tmp/openssl-kari-default.cms $tmp/p256.pem 2>/dev/null
openssl cms -encrypt -binary -aes-256-cbc -in $tmp/data.txt -outform DER -out $tmp/openssl-kari-aes256.cms $tmp/p256.pem 2>/dev/null
# AuthEnvelopedData (RFC 5083, AES-GCM) by openssl: key agreement (through fuzz_seeds_signing,
# with the real Z) and key transport to the RSA key, with the content key that key unwraps in
# front, so the GCM tag check (over content and authAttrs) runs to the end.
openssl cms -encrypt -binary -aes-256-gcm -in $tmp/data.txt -outform DER -out $tmp/openssl-kari-gcm.cms $tmp/p256.pem 2>/dev/null
openssl cms -encrypt -binary -aes-128-gcm -in $tmp/data.txt -outform DER -out $tmp/openssl-kari-gcm128.cms $tmp/p256.pem 2>/dev/null
for bits in 256 128; do
  openssl cms -encrypt -binary -aes-$bits-gcm -in $tmp/data.txt -outform DER -out $tmp/authenv-rsa-$bits.der \
    $tmp/rsa.pem 2>/dev/null
  python3 fuzz/authenveloped_seed.py $tmp/rsa.key $tmp/authenv-rsa-$bits.der $c/cms/seed-openssl-authenveloped-rsa-$bits
done

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

# PDF signatures by independent tools: a one-page PDF written by hand with a signature field whose
# /Contents is a detached CMS by `openssl cms -sign -cades` over the byte ranges (P-256), and the
# same page rewritten by qpdf with object streams (a cross-reference stream), which our signer
# signs below. Prefix: mode 0, the trusted root (16-bit length, DER).
python3 - "$tmp" <<'PY'
import subprocess, sys
tmp = sys.argv[1]
def pdf(objs, extra=b''):
    out = b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b'%d 0 obj\n' % i + o + b'\nendobj\n'
    xref = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1)
    for o in offs:
        out += b'%010d 00000 n \n' % o
    out += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, xref)
    return out
page = [b'<< /Type /Catalog /Pages 2 0 R >>',
        b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>',
        b'<< /Length 21 >>\nstream\n0 0 1 rg 0 0 9 9 re f\nendstream']
open(tmp + '/page.pdf', 'wb').write(pdf(page))
# The signed one: placeholder byte range and contents, then the real numbers.
hexlen = 4096
sigdict = (b'<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached '
           b'/ByteRange [0 ########## ########## ##########] /M (D:20260601120000+08\'00\') '
           b'/Contents <' + b'0' * hexlen + b'> >>')
signed = [b'<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] /SigFlags 3 >> >>',
          page[1],
          b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> /Annots [5 0 R] >>',
          page[3],
          b'<< /FT /Sig /T (Signature1) /V 6 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R >>',
          sigdict]
doc = pdf(signed)
start = doc.index(b'/Contents <') + len(b'/Contents ')
end = start + hexlen + 2
br = b'%10d %10d %10d' % (start, end, len(doc) - end)
doc = doc.replace(b'########## ########## ##########', br, 1)
open(tmp + '/covered.bin', 'wb').write(doc[:start] + doc[end:])
subprocess.run(['openssl', 'cms', '-sign', '-binary', '-cades', '-md', 'sha256', '-in', tmp + '/covered.bin',
                '-signer', tmp + '/p256.pem', '-inkey', tmp + '/p256.key', '-outform', 'DER',
                '-out', tmp + '/pdf-cms.der'], check=True, stderr=subprocess.DEVNULL)
cms = open(tmp + '/pdf-cms.der', 'rb').read()
h = cms.hex().encode()
doc = doc[:start + 1] + h + b'0' * (hexlen - len(h)) + doc[end - 1:]
open(tmp + '/openssl-signed.pdf', 'wb').write(doc)
PY
qpdf --check $tmp/openssl-signed.pdf >/dev/null
qpdf --object-streams=generate $tmp/page.pdf $tmp/page-xrefstream.pdf
root_seed() {  # root_seed MODE ROOT_DER FILE NAME
  python3 -c 'import sys; m, r, f, o = sys.argv[1:]; d = open(r, "rb").read()
open(o, "wb").write(bytes([int(m), len(d) >> 8, len(d) & 255]) + d + open(f, "rb").read())' "$1" "$2" "$3" "$c/pdf/seed-$4"
}
root_seed 0 $tmp/p256.der $tmp/openssl-signed.pdf openssl-cms-signed
root_seed 1 $tmp/p256.der $tmp/pdf-cms.der openssl-cms-alone

# PKCS#11 call programs (fuzz/pkcs11_fuzz.cpp): mode (bit 0: the unreachable pc.json; bit 1:
# C_Initialize first), then calls. An application's usual walk, wrong handles and lengths, and
# the object layer over openssl's certificates (mode 0x80).
python3 - "$c/pkcs11" "$tmp" <<'PY'
import sys
out, tmp = sys.argv[1], sys.argv[2]
def w(name, b): open(out + '/seed-' + name, 'wb').write(bytes(b))
walk = [0x02,
        2, 0,                      # C_GetInfo
        3, 2, 1, 1,                # C_GetSlotList(list of 1)
        5, 1, 0,                   # C_GetTokenInfo(slot 1)
        6, 1, 2, 9,                # C_GetMechanismList(slot 1, 9 entries)
        7, 1, 1, 0,                # C_GetMechanismInfo(slot 1, SM2-SM3)
        8, 1, 4, 1, 0,             # C_OpenSession(slot 1, serial)
        11, 1, 0,                  # C_GetSessionInfo
        12, 1, 1, 1, 4, 0x31, 0x32, 0x33, 0x34,  # C_Login(user, "1234")
        15, 1, 1, 0, 3, 8,         # C_FindObjectsInit(CKA_CLASS, ulong)
        16, 1, 1, 4, 0,            # C_FindObjects(max 4)
        17, 1,                     # C_FindObjectsFinal
        14, 1, 3, 2, 3, 2, 8,      # C_GetAttributeValue(obj 3, 2 attributes)
        18, 1, 3, 1, 3,            # C_SignInit(SM2-SM3, key 3)
        19, 1, 1, 32] + [0x61] * 32 + [2, 64] + [0] * 64 + [
        22, 1, 3, 2, 3,            # C_DecryptInit(SM2 encrypt, key 3)
        23, 1, 1, 120] + [4] * 120 + [2, 30] + [0] * 30 + [
        13, 1, 9, 1, 1, 0x01]      # C_Logout, C_CloseSession, C_Finalize
w('walk-unpaired', walk)
w('walk-unreachable', [0x03] + walk[1:])
w('initialize-args', [0x00, 0, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x1f, 2, 0, 8, 1, 4, 1, 0, 0, 1])
w('bad-lengths', [0x02, 8, 1, 4, 1, 0, 20, 1, 8, 5, 21, 1, 0, 19, 1, 7, 200, 4, 0, 23, 1, 0, 1, 3, 0,
                  14, 1, 5, 0x87, 16, 1, 0, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3])
for name, alg, pub in (('sm2', 0, 'sm2.pub'), ('p256', 1, 'p256.pub'), ('rsa', 2, 'rsa2048.spki')):
    p = open(tmp + '/' + pub, 'rb').read()
    der = open(tmp + '/' + name + ('2048' if name == 'rsa' else '') + '.der', 'rb').read()
    subject = b'CN=fuzz ' + name.encode()
    w('objects-' + name, [0x80, alg, len(p) // 2, len(p) % 2] + list(p) + [len(subject)] + list(subject) +
      list(der) + [2, 0, 3, 8, 5, 20])
PY

# OFD packages an attacker would send, made by Python's zipfile: a name climbing out with a
# case-folded duplicate, and an OFD.xml with a DTD and nested entities (both must be refused).
python3 - "$c/ofd" <<'PY'
import io, sys, zipfile
def z(files, name):
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as f:
        for n, d in files:
            f.writestr(zipfile.ZipInfo(n), d)
    open(sys.argv[1] + '/seed-' + name, 'wb').write(b.getvalue())
z([('OFD.xml', '<ofd:OFD/>'), ('../evil.xml', 'x'), ('Doc_0/a', '1'), ('doc_0/A', '2')], 'traversal-duplicate')
z([('OFD.xml', '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx"><!ENTITY y "&x;&x;">]><ofd:OFD '
   'xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocRoot>&y;</ofd:DocRoot></ofd:DocBody></ofd:OFD>')],
  'dtd-entity')
PY

# Our own code's seeds (fuzz_seeds needs the whole server; fuzz_seeds_signing the signing layers).
# The API's seeds: one request body per route from docs/openapi.yaml's request schemas (named after
# the route; the older seeds named after a route's index go).
rm -f $c/api/seed-route-[0-9]*
python3 fuzz/api_bodies.py docs/openapi.yaml $tmp/api-bodies.json
ASAN_OPTIONS=detect_leaks=0 build/fuzz/fuzz/fuzz_seeds $c $tmp/sm2.key $tmp/sm2.der $tmp/api-bodies.json
ASAN_OPTIONS=detect_leaks=0 build/fuzz/fuzz/fuzz_seeds_signing $c $tmp/sm2.key $tmp/sm2.der $tmp/page.pdf $tmp/page-xrefstream.pdf \
  $tmp/p256.der $tmp/openssl-kari-default.cms $tmp/openssl-kari-aes256.cms $tmp/openssl-kari-gcm.cms \
  $tmp/openssl-kari-gcm128.cms
du -sh $c
