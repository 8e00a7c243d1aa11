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
    for top in ("src", "client", "pkcs11"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in files:
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.join(dirpath, name)
                if exempt(os.path.relpath(path, root)):
                    continue
                with open(path, encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        for pattern, what in BANNED:
                            if pattern.search(line):
                                problems.append(f"{path}:{lineno}: {what}; use sys_time_from_unix, which saturates")
    return problems


def main():
    if len(sys.argv) != 2:
        print("usage: check_time_conversions.py ROOT", file=sys.stderr)
        return 2
    problems = check(sys.argv[1])
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"time conversion check failed: {len(problems)} place(s)", file=sys.stderr)
        return 1
    print("time conversion check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
