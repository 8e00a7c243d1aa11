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
    for top in ("src", "client", "pkcs11"):
        base = os.path.join(root, top)
        if not os.path.isdir(base):
            continue
        for dirpath, _, files in os.walk(base):
            for name in files:
                if not name.endswith((".h", ".hpp", ".cpp", ".cc")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root).split(os.sep)
                layer = rel[1] if top == "src" and len(rel) > 2 else top
                if top == "src" and layer not in RANK:
                    problems.append(f"{path}: folder src/{layer} is not a known layer")
                    continue
                with open(path, encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if m and not allowed(layer, m.group(1)):
                            problems.append(f"{path}:{lineno}: layer '{layer}' includes "
                                            f"'{m.group(1)}/', a higher or sibling layer")
                        i = INTERNAL.match(line)
                        if i:
                            folder = os.path.join(root, top if top != "src" else "src", i.group(1).rstrip("/"))
                            if top == "src" and os.path.normpath(folder) != os.path.normpath(dirpath):
                                problems.append(f"{path}:{lineno}: includes {i.group(1)}*_internal.h, "
                                                f"which is private to that folder")
    return problems


def main():
    if len(sys.argv) != 2:
        print("usage: check_layers.py ROOT", file=sys.stderr)
        return 2
    problems = check(sys.argv[1])
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"layering check failed: {len(problems)} upward include(s)", file=sys.stderr)
        return 1
    print("layering check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
