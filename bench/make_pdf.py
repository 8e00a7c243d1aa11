#!/usr/bin/env python3
"""Writes a test PDF of N pages and about SIZE bytes: each page has a line of text (Helvetica) and
an 8-bit grey image XObject of random pixels (so the size is not compressible away), the way a
scanned bid document is mostly page images. Used by bench/docsign.sh; not a fixture for tests
(those make their PDFs with docsign::render_pdf).

usage: make_pdf.py OUT.pdf PAGES SIZE_BYTES
"""
import os
import sys


def main():
    out, pages, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    per_page = max(1024, size // pages - 600)
    side = int(per_page ** 0.5)
    objs = []  # (number, bytes)
    # 1 catalog, 2 pages, 3 font, then per page: page, content, image
    kids = []
    n = 4
    for i in range(pages):
        kids.append(n)
        n += 3
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, b" ".join(b"%d 0 R" % k for k in kids)))
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i in range(pages):
        page, content, image = kids[i], kids[i] + 1, kids[i] + 2
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                    b"/Resources << /Font << /F1 3 0 R >> /XObject << /Im1 %d 0 R >> >> >>" % (content, image))
        text = b"BT /F1 14 Tf 72 770 Td (Bid document page %d - contract price and terms) Tj ET\n" % (i + 1)
        text += b"q 400 0 0 400 97 200 cm /Im1 Do Q\n"
        objs.append(b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream")
        pixels = os.urandom(side * side)
        objs.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                    b"/BitsPerComponent 8 /Length %d >>\nstream\n" % (side, side, len(pixels)) + pixels + b"\nendstream")
    body = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        body += b"%010d 00000 n \n" % off
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    with open(out, "wb") as f:
        f.write(body)


if __name__ == "__main__":
    main()
