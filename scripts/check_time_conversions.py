#!/usr/bin/env python3
"""Fails when code outside the clock builds a SysTime from a count of seconds by hand.

Usage: check_time_conversions.py ROOT      (ROOT holds src/, client/, pkcs11/)

A nanosecond std::chrono::system_clock ends in April 2262. Seconds read from a certificate, a PDF
date, a time-stamp token or a stored row can lie beyond that, and SysTime(seconds(n)) or
system_clock::from_time_t(n) then overflows (undefined behaviour; the fuzzers found three such
places). sys_time_from_unix (base/clock.h) saturates instead, so every such conversion goes
through it. Tests and test fixtures, which build times from their own constants, are exempt.
"""
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from source_check import main, numbered_lines, sources  # noqa: E402

BANNED = [
    (re.compile(r"\bSysTime\b(\s+\w+)?\s*[({]\s*(std::chrono::)?seconds\b"), "SysTime(seconds(...))"),
    (re.compile(r"\bfrom_time_t\s*\("), "system_clock::from_time_t"),
]
EXEMPT = {os.path.join("src", "base", "clock.h"), os.path.join("src", "base", "clock.cpp")}


def exempt(rel):
    name = os.path.basename(rel)
    return rel in EXEMPT or name.endswith(("_test.cpp", "_test_fixture.h"))


def check(root):
    problems = []
    for path in sources(root):
        if exempt(os.path.relpath(path, root)):
            continue
        for lineno, line in numbered_lines(path):
            for pattern, what in BANNED:
                if pattern.search(line):
                    problems.append(f"{path}:{lineno}: {what}; use sys_time_from_unix, which saturates")
    return problems


if __name__ == "__main__":
    sys.exit(main(check, "time conversion", "place(s)"))
