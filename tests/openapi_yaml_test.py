#!/usr/bin/env python3
"""docs/openapi.yaml must be valid YAML and an OpenAPI 3.1 document whose every $ref resolves."""
import sys

import yaml

doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
assert doc["openapi"].startswith("3.1"), "not OpenAPI 3.1"
assert doc["paths"], "no paths"


def walk(node, refs):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                refs.append(v)
            else:
                walk(v, refs)
    elif isinstance(node, list):
        for v in node:
            walk(v, refs)


refs = []
walk(doc, refs)
for ref in refs:
    assert ref.startswith("#/"), ref
    target = doc
    for part in ref[2:].split("/"):
        assert part in target, f"unresolved $ref {ref}"
        target = target[part]
for path, ops in doc["paths"].items():
    for method, op in ops.items():
        assert "responses" in op and op["responses"], f"{method} {path} has no responses"
        assert "operationId" in op, f"{method} {path} has no operationId"
print(f"openapi.yaml: {len(doc['paths'])} paths, {len(refs)} references resolve")
