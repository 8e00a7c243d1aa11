"""Proves a source checker (scripts/check_*.py) right from both sides in a throw-away tree: it
passes a clean tree, and it rejects each planted file, one at a time.

Contract: prove(checker, clean, planted) writes `clean` ({relative path: text}) and asserts the
checker exits 0; then for each (relative path, text, why) in `planted` it writes that file,
asserts exit 1 and that the checker names the file's first line holding `why`'s marker (the line
of the text that ends in the marker comment "// <- planted"), and removes the file again.
"""
import os
import subprocess
import sys
import tempfile

MARK = "// <- planted"


def run(checker, tree):
    """Runs `checker` (a Python script) over `tree`; returns the finished process."""
    return subprocess.run([sys.executable, checker, tree], capture_output=True, text=True)


def write(root, rel, text):
    """Writes `text` to root/rel, making its folders."""
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def prove(checker, clean, planted):
    with tempfile.TemporaryDirectory() as root:
        for rel, text in clean.items():
            write(root, rel, text)
        done = run(checker, root)
        assert done.returncode == 0, f"clean tree rejected: {done.stderr}"
        for rel, text, why in planted:
            write(root, rel, text)
            done = run(checker, root)
            assert done.returncode == 1, f"{why}: not caught ({done.returncode}): {done.stdout}{done.stderr}"
            line = next(n for n, l in enumerate(text.splitlines(), 1) if l.endswith(MARK))
            assert f"{rel}:{line}:" in done.stderr, f"{why}: wrong place named: {done.stderr}"
            os.remove(os.path.join(root, rel))
