#!/usr/bin/env python3
"""A small relying party (接入方) for CertSeal QR scenes: docs/INTEGRATION.md in runnable form.

Standard library only. Settings come from the environment:
  CERTSEAL_SERVER   e.g. https://certseal.example (the CertSeal server)
  RP_APP_ID         your application id (rp_...)
  RP_SECRET         its secret (shown once when the operator registered the application)

Commands:
  rp.py create --scene 06|20 [--title T] [--message TEXT] [--detached] [--form rfc5652|gmt0010] [--png FILE]
        creates a scene request; prints it as JSON (qr_payload is the QR text) and writes the PNG
  rp.py wait ID [--timeout SECONDS]
        long-polls until the request is completed, refused or expired; prints it as JSON
  rp.py serve [--port 8000]
        a web page at / that shows a login QR code and, once the user scanned and confirmed, who
        logged in; POST /callback receives CertSeal's signed callbacks (signature, timestamp and
        event id checked; each event handled once)

tests/integration/scene_test.cpp (ExampleRelyingPartyLogsAUserIn) runs create, wait and serve.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request

SCHEME = "CS1-HMAC-SHA256"


def string_to_sign(method, target, ts, nonce, body):
    return "\n".join([SCHEME, method, target, ts, nonce, hashlib.sha256(body).hexdigest()])


def authorization(method, target, body, app_id, secret, nonce=None, ts=None):
    ts = ts or str(int(time.time()))
    nonce = nonce or secrets.token_hex(12)
    sig = hmac.new(secret.encode(), string_to_sign(method, target, ts, nonce, body).encode(), hashlib.sha256).hexdigest()
    return f"{SCHEME} app_id={app_id}, timestamp={ts}, nonce={nonce}, signature={sig}"


def call(method, target, body=None):
    server, app_id, secret = os.environ["CERTSEAL_SERVER"], os.environ["RP_APP_ID"], os.environ["RP_SECRET"]
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
    req = urllib.request.Request(server.rstrip("/") + target, data=data or None, method=method)
    req.add_header("Authorization", authorization(method, target, data, app_id, secret))
    if data:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=40) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        problem = json.load(e)
        sys.exit(f"rp.py: {e.code} {problem.get('code')}: {problem.get('detail')}")


def create(scene, title, message=None, detached=False, form="rfc5652"):
    body = {"scene": scene, "title": title, "nonce": secrets.token_hex(8), "form": form}
    if message is not None:
        body["message"] = base64.b64encode(message.encode()).decode()
        body["detached"] = detached
    return call("POST", "/api/v1/rp/scene-requests", body)


def wait(request_id, timeout):
    deadline = time.time() + timeout
    while True:
        r = call("GET", f"/api/v1/rp/scene-requests/{request_id}?wait=25")
        if r["status"] in ("completed", "refused", "expired") or time.time() > deadline:
            return r


def check_callback(headers, body, app_id, secret, path, seen, max_skew=300):
    """The callback's signature, timestamp and event id: True for a new, genuine event."""
    fields = dict(part.strip().split("=", 1) for part in headers.get("X-CertSeal-Signature", "").split(" ", 1)[1].split(","))
    if fields.get("app_id") != app_id or abs(int(fields.get("timestamp", "0")) - time.time()) > max_skew:
        return False
    want = hmac.new(secret.encode(), string_to_sign("POST", path, fields["timestamp"], fields["nonce"], body).encode(),
                    hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, fields.get("signature", "")):
        return False
    event_id = headers.get("X-CertSeal-Event-Id")
    if event_id in seen:
        return False  # a retry of an event handled already
    seen.add(event_id)
    return True


PAGE = """<!doctype html><html lang="zh"><meta charset="utf-8"><title>示例交易平台 · 扫码登录</title>
<h1>扫码登录 / Log in with CertSeal</h1><img alt="QR" src="data:image/png;base64,{png}">
<p id="s">请使用 CertSeal 扫描二维码 / Scan with CertSeal</p>
<script>
(async () => {{
  for (;;) {{
    const r = await (await fetch('/status/{id}')).json();
    if (r.status === 'completed') {{ document.getElementById('s').textContent = '欢迎 ' + r.result.assertion.subject; return; }}
    if (r.status === 'refused' || r.status === 'expired') {{ document.getElementById('s').textContent = r.status; return; }}
  }}
}})();
</script></html>"""


def serve(port):
    seen, lock = set(), threading.Lock()
    app_id, secret = os.environ["RP_APP_ID"], os.environ["RP_SECRET"]

    class Handler(http.server.BaseHTTPRequestHandler):
        def reply(self, status, ctype, data):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/":
                r = create("06", "登录示例交易平台")
                self.reply(200, "text/html; charset=utf-8", PAGE.format(png=r["qr_png"], id=r["id"]).encode())
            elif self.path.startswith("/status/"):
                r = call("GET", f"/api/v1/rp/scene-requests/{self.path[8:]}?wait=25")
                self.reply(200, "application/json", json.dumps(r).encode())
            else:
                self.reply(404, "text/plain", b"not found")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                ok = check_callback(self.headers, body, app_id, secret, self.path, seen)
            if ok:
                event = json.loads(body)
                print(json.dumps({"callback": event["type"], "event_id": event["event_id"],
                                  "request_id": event["request"]["id"]}), flush=True)
            self.reply(200 if ok else 401, "text/plain", b"")

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("create")
    c.add_argument("--scene", required=True, choices=["06", "20"])
    c.add_argument("--title", default="登录示例交易平台")
    c.add_argument("--message")
    c.add_argument("--detached", action="store_true")
    c.add_argument("--form", default="rfc5652", choices=["rfc5652", "gmt0010"])
    c.add_argument("--png")
    w = sub.add_parser("wait")
    w.add_argument("id")
    w.add_argument("--timeout", type=int, default=300)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, default=8000)
    a = p.parse_args()
    if a.cmd == "create":
        r = create(a.scene, a.title, a.message, a.detached, a.form)
        if a.png:
            with open(a.png, "wb") as f:
                f.write(base64.b64decode(r["qr_png"]))
        r.pop("qr_png")
        print(json.dumps(r, ensure_ascii=False))
    elif a.cmd == "wait":
        print(json.dumps(wait(a.id, a.timeout), ensure_ascii=False))
    else:
        serve(a.port)


if __name__ == "__main__":
    main()
