#!/usr/bin/env python3
"""Proves the time conversion check fails on a hand-made SysTime from seconds and passes otherwise."""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from planted_tree import prove  # noqa: E402

prove(sys.argv[1],
      clean={
          "src/base/clock.cpp": "return SysTime(std::chrono::seconds(seconds));\n",
          "src/pki/ok.cpp": "const SysTime t = sys_time_from_unix(n);\n",
          "src/pki/ok_test.cpp": "const SysTime t = SysTime(std::chrono::seconds(1));\n",
      },
      planted=[
          ("src/docsign/bad.cpp", "x;\nreturn SysTime(std::chrono::seconds(parsed));  // <- planted\n",
           "SysTime(seconds(...))"),
          ("client/bad.h", "auto t = std::chrono::system_clock::from_time_t(v);  // <- planted\n",
           "system_clock::from_time_t"),
          ("src/seal/bad.cpp", "SysTime t{seconds(v)};  // <- planted\n", "the brace form"),
      ])
print("hand-made times from seconds are rejected")
