#!/usr/bin/env python3
"""Proves the layering check fails on an upward include and passes on a clean tree."""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from planted_tree import prove  # noqa: E402

prove(sys.argv[1],
      clean={
          "src/base/a.h": "#pragma once\n",
          "src/store/db.h": '#include "base/a.h"\n',
          "src/api/x.cpp": '#include "store/db.h"\n#include "base/a.h"\n',
          "src/seal/s.cpp": '#include "seal/seal_internal.h"\n',
      },
      planted=[
          ("src/store/bad.cpp", '#include "base/a.h"\n#include "api/x.h"  // <- planted\n',
           "the store layer reaching into the API layer"),
          ("src/crypto/bad.cpp", '#include "net/http.h"  // <- planted\n',
           "siblings of one rank stay independent: crypto may not include net"),
          ("client/bad.cpp", '#include "api/routes.h"  // <- planted\n',
           "the client may not use the server's API layer"),
          ("src/service/bad.cpp", '#include "seal/seal_internal.h"  // <- planted\n',
           "a folder's _internal.h is private to it"),
      ])
print("planted upward includes are rejected")
