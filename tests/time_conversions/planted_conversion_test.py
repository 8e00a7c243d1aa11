#!/usr/bin/env python3
"""Proves the time conversion check fails on a hand-made SysTime from seconds and passes otherwise."""
import os
import subprocess
import sys
import tempfile

checker = sys.argv[1]


def run(tree):
    return subprocess.run([sys.executable, checker, tree], capture_output=True, text=True)


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


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
