#!/usr/bin/env python3
"""api_bodies.py OPENAPI OUT — one JSON request body per route that takes one, written from the
route's request schema in docs/openapi.yaml (make_corpus.sh hands OUT to fuzz_seeds, which puts
each body behind its route's index): required and optional properties with values of their
declared type (the schema's example or first enum value where it has one; otherwise a value of
the kind the field name asks for: a phone number, an SMS code, a password of the password rules,
an id, base64, a PEM, a year count). Output: {"METHOD /pattern": body, ...}."""
import json
import sys

import yaml

PEM = ("-----BEGIN CERTIFICATE REQUEST-----\nMIIBADCBpwIBADAQMQ4wDAYDVQQDDAVGdXp6MDBZMBMGByqGSM49AgEGCCqGSM49\n"
       "-----END CERTIFICATE REQUEST-----\n")
ID = "0190f000-0000-7000-8000-000000000002"
BY_NAME = {
    "phone": "13800138000", "admin_phone": "13800138001", "contact_phone": "13800138002",
    "code": "123456", "password": "Passw0rd!x", "current_password": "Passw0rd!y",
    "name": "张三", "admin_name": "李四", "email": "a@example.com", "id_number": "11010519491231002X",
    "credit_code": "91350100M000100Y43", "uscc": "91350100M000100Y43", "tax_number": "91350100M000100Y43",
    "csr": PEM, "certificate_pem": PEM.replace("CERTIFICATE REQUEST", "CERTIFICATE"),
    "url": "https://example.com/cb", "callback_url": "https://example.com/cb",
    "download_url": "https://example.com/app.apk", "application_link": "https://example.com/a",
    "country": "CN", "province": "北京", "locality": "北京", "organization": "某某有限公司",
    "common_name": "张三", "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "serial": "01", "ip_allow": ["127.0.0.1/32"], "min_version": "1.0.0", "version": "1.0.0",
}


def value(name, s, spec, depth=0):
    if not isinstance(s, dict) or depth > 6:
        return "x"
    if "$ref" in s:
        return value(name, spec["components"]["schemas"][s["$ref"].split("/")[-1]], spec, depth + 1)
    for key in ("oneOf", "anyOf", "allOf"):
        if key in s and s[key]:
            return value(name, s[key][0], spec, depth + 1)
    if "example" in s:
        return s["example"]
    if "enum" in s and s["enum"]:
        return s["enum"][0]
    t = s.get("type", "object" if "properties" in s else "string")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if t == "object":
        props = s.get("properties", {})
        return {k: value(k, v, spec, depth + 1) for k, v in props.items()}
    if t == "array":
        if name in BY_NAME and isinstance(BY_NAME[name], list):
            return BY_NAME[name]
        return [value(name.rstrip("s"), s.get("items", {}), spec, depth + 1)]
    if t == "integer":
        if "fen" in name:
            return 10000
        if name.endswith("time") or name.startswith("not_"):
            return 1767225600
        return max(1, s.get("minimum", 1))
    if t == "number":
        return 1.5
    if t == "boolean":
        return True
    if name in BY_NAME and isinstance(BY_NAME[name], str):
        return BY_NAME[name]
    if s.get("format") == "byte":
        return "AAECAwQFBgcICQoLDA0ODw=="
    if name.endswith("_id") or name == "id" or name.endswith("_ids"):
        return ID
    return "值-" + name


def main():
    spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
    out = {}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in ("post", "put", "patch") or not isinstance(op, dict):
                continue
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            body = value("body", content["application/json"].get("schema", {}), spec)
            out[method.upper() + " " + path] = body
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=0)
    print(f"api_bodies: {len(out)} bodies")


if __name__ == "__main__":
    main()
