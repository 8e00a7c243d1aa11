#!/usr/bin/env python3
"""A cms_fuzz seed from an AuthEnvelopedData to an RSA key (key transport, PKCS#1 v1.5; the key unwrapped
with `openssl pkeyutl -decrypt`):
mode byte 1, the content key as a length-prefixed field, then the envelope, so that
parse_enveloped and open_content (the GCM tag check) run to the end.
Usage: authenveloped_seed.py RSA_KEY.pem ENVELOPE.der OUT"""
import subprocess
import sys


def tlv(buf, i):
    """(tag, content start, content end) of the TLV at i (definite lengths only)."""
    tag, n = buf[i], buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], 'big')
        i += k
    return tag, i, i + n


def children(buf, start, end):
    out = []
    while start < end:
        t, s, e = tlv(buf, start)
        out.append((t, s, e))
        start = e
    return out


der = open(sys.argv[2], 'rb').read()
_, s, e = tlv(der, 0)                       # ContentInfo
ci = children(der, s, e)
_, s, e = tlv(der, ci[1][1])                # [0] -> AuthEnvelopedData SEQUENCE
aed = children(der, s, e)
ris = children(der, aed[1][1], aed[1][2])   # recipientInfos SET
ktri = children(der, ris[0][1], ris[0][2])  # KeyTransRecipientInfo
ek = der[ktri[3][1]:ktri[3][2]]
cek = subprocess.run(['openssl', 'pkeyutl', '-decrypt', '-inkey', sys.argv[1]], input=ek,
                     capture_output=True, check=True).stdout
open(sys.argv[3], 'wb').write(bytes([1, len(cek)]) + cek + der)
