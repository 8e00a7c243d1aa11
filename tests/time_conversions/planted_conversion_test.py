#!/usr/bin/env python3
"""Proves the time conversion check fails on a hand-made SysTime from seconds and passes otherwise."""
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
    write(root, "src/base/clock.cpp", "return SysTime(std::chrono::seconds(seconds));\n")
    write(root, "src/pki/ok.cpp", "const SysTime t = sys_time_from_unix(n);\n")
    write(root, "src/pki/ok_test.cpp", "const SysTime t = SysTime(std::chrono::seconds(1));\n")
    clean = run(root)
    assert clean.returncode == 0, f"clean tree rejected: {clean.stderr}"

    write(root, "src/docsign/bad.cpp", "x;\nreturn SysTime(std::chrono::seconds(parsed));\n")
    bad = run(root)
    assert bad.returncode == 1, f"planted SysTime(seconds) not caught: {bad.stdout}{bad.stderr}"
    assert "src/docsign/bad.cpp:2" in bad.stderr, bad.stderr
    os.remove(os.path.join(root, "src/docsign/bad.cpp"))

    write(root, "client/bad.h", "auto t = std::chrono::system_clock::from_time_t(v);\n")
    assert run(root).returncode == 1, "planted from_time_t not caught"
    os.remove(os.path.join(root, "client/bad.h"))

    write(root, "src/seal/bad.cpp", "SysTime t{seconds(v)};\n")
    assert run(root).returncode == 1, "planted brace form not caught"

print("hand-made times from seconds are rejected")
