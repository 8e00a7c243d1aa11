"""Helpers for the tests that prove a source checker rejects what is planted in a throw-away tree."""
import os
import subprocess
import sys


def run(checker, tree):
    """Runs `checker` (a Python script) over `tree`; returns the finished process."""
    return subprocess.run([sys.executable, checker, tree], capture_output=True, text=True)


def write(root, rel, text):
    """Writes `text` to root/rel, making its folders."""
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
