#!/usr/bin/env python3
"""Regenerates the settings table of docs/CONFIG.md from the key table in src/app/config.cpp.

The table sits between <!-- keys:begin --> and <!-- keys:end -->; the rest of the document is
written by hand. The unit test Config.DocsListEverySetting fails when a key is missing.
"""
import os
import re

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
src = open(os.path.join(root, "src/app/config.cpp"), encoding="utf-8").read()
start = src.index("constexpr ConfigKey kKeys[]")
block = src[start:src.index("\n};", start)]
items = re.findall(r'\{"([^"]+)",\s*KeyType::k(\w+),\s*"([^"]*)",\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\}', block)
rows = ["| key | environment | type | default | meaning |", "|---|---|---|---|---|"]
for key, typ, default, helps in items:
    text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', helps)).replace('\\"', '"')
    env = "CERTSEAL_" + key.upper().replace(".", "_")
    rows.append(f"| `{key}` | `{env}` | {typ.lower()} | `{default}` | {text} |")
path = os.path.join(root, "docs/CONFIG.md")
doc = open(path, encoding="utf-8").read()
table = "<!-- keys:begin -->\n" + "\n".join(rows) + "\n<!-- keys:end -->"
doc = re.sub(r"<!-- keys:begin -->.*?<!-- keys:end -->", lambda m: table, doc, flags=re.S)
open(path, "w", encoding="utf-8").write(doc)
print(f"{len(items)} settings")
