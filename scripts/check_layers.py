#!/usr/bin/env python3
"""Fails when a source file includes a header from a higher layer.

Usage: check_layers.py ROOT      (ROOT holds src/, client/, pkcs11/)

Layers (ARCHITECTURE): L0 base; L1 crypto, net; L2 pki, keystore, seal; L3 docsign, store;
L4 service; L5 api; L6 app. A file in layer N may include headers of layers <= N, except that
layers of the same rank may not include each other (crypto and net stay independent, and so on),
with the one exception that docsign may use pki and seal (both L2) as any higher layer may.
client/ and pkcs11/ sit beside app: they may use everything up to L4 but never api/ or app/.
"""
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from source_check import main, numbered_lines, sources  # noqa: E402

RANK = {"base": 0, "crypto": 1, "net": 1, "pki": 2, "keystore": 2, "seal": 2,
        "docsign": 3, "store": 3, "service": 4, "api": 5, "app": 6}
CLIENT_MAX = 4
INCLUDE = re.compile(r'^\s*#\s*include\s*"([a-z_0-9]+)/[^"]+"')
# "<folder>/<name>_internal.h" is private to <folder>: only files of that folder include it.
INTERNAL = re.compile(r'^\s*#\s*include\s*"((?:[a-z_0-9]+/)+)[a-z_0-9]+_internal\.h"')


def allowed(src_layer, dst_layer):
    if dst_layer not in RANK:
        return True  # not one of ours (e.g. "support/...", "gtest/...")
    if src_layer == dst_layer:
        return True
    if src_layer in ("client", "pkcs11"):
        return RANK[dst_layer] <= CLIENT_MAX
    return RANK[dst_layer] < RANK[src_layer]


def check(root):
    problems = []
    for path in sources(root):
        rel = os.path.relpath(path, root).split(os.sep)
        top = rel[0]
        layer = rel[1] if top == "src" and len(rel) > 2 else top
        if top == "src" and layer not in RANK:
            problems.append(f"{path}: folder src/{layer} is not a known layer")
            continue
        dirpath = os.path.dirname(path)
        for lineno, line in numbered_lines(path):
            m = INCLUDE.match(line)
            if m and not allowed(layer, m.group(1)):
                problems.append(f"{path}:{lineno}: layer '{layer}' includes "
                                f"'{m.group(1)}/', a higher or sibling layer")
            i = INTERNAL.match(line)
            if i and top == "src":
                folder = os.path.join(root, "src", i.group(1).rstrip("/"))
                if os.path.normpath(folder) != os.path.normpath(dirpath):
                    problems.append(f"{path}:{lineno}: includes {i.group(1)}*_internal.h, "
                                    f"which is private to that folder")
    return problems


if __name__ == "__main__":
    sys.exit(main(check, "layering", "upward include(s)"))
