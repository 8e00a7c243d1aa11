"""What the source checkers (check_layers.py, check_time_conversions.py) share: the walk over the
project's C++ files and the command line around a check.

Contract: sources(root) yields the path of every C++ file under root's src/, client/ and pkcs11/
(missing folders are skipped), in a stable order. main(check, name, what) runs check(ROOT) on the
one argument, prints each problem it returns to stderr and exits 1 if there is any ("NAME check
failed: N WHAT"), 0 if none, 2 on a wrong command line.
"""
import os
import sys

TOPS = ("src", "client", "pkcs11")
EXTENSIONS = (".h", ".hpp", ".cpp", ".cc")


def sources(root):
    for top in TOPS:
        for dirpath, dirs, files in os.walk(os.path.join(root, top)):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(EXTENSIONS):
                    yield os.path.join(dirpath, name)


def numbered_lines(path):
    """Yields (line number, line) of a source file; bytes that are not UTF-8 do not stop the check."""
    with open(path, encoding="utf-8", errors="replace") as f:
        yield from enumerate(f, 1)


def main(check, name, what):
    script = os.path.basename(sys.argv[0])
    if len(sys.argv) != 2:
        print(f"usage: {script} ROOT", file=sys.stderr)
        return 2
    problems = check(sys.argv[1])
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"{name} check failed: {len(problems)} {what}", file=sys.stderr)
        return 1
    print(f"{name} check passed")
    return 0
