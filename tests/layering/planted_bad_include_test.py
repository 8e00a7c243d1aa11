#!/usr/bin/env python3
"""Proves the layering check fails on an upward include and passes on a clean tree."""
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import planted_tree  # noqa: E402
from planted_tree import write  # noqa: E402

checker = sys.argv[1]


def run(tree):
    return planted_tree.run(checker, tree)


with tempfile.TemporaryDirectory() as root:
    write(root, "src/base/a.h", "#pragma once\n")
    write(root, "src/store/db.h", '#include "base/a.h"\n')
    write(root, "src/api/x.cpp", '#include "store/db.h"\n#include "base/a.h"\n')
    clean = run(root)
    assert clean.returncode == 0, f"clean tree rejected: {clean.stderr}"

    # Plant an upward include: the store layer reaching into the API layer.
    write(root, "src/store/bad.cpp", '#include "api/x.h"\n')
    bad = run(root)
    assert bad.returncode == 1, f"planted upward include not caught: {bad.stdout}{bad.stderr}"
    assert "src/store/bad.cpp:1" in bad.stderr, bad.stderr
    os.remove(os.path.join(root, "src/store/bad.cpp"))

    # Siblings of one rank stay independent: crypto may not include net.
    write(root, "src/crypto/bad.cpp", '#include "net/http.h"\n')
    assert run(root).returncode == 1, "sibling include crypto -> net not caught"
    os.remove(os.path.join(root, "src/crypto/bad.cpp"))

    # The client may not use the server's API layer.
    write(root, "client/bad.cpp", '#include "api/routes.h"\n')
    assert run(root).returncode == 1, "client -> api include not caught"

print("planted upward includes are rejected")
