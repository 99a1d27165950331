#!/usr/bin/python3
# notify-httpd.py - a webhook receiver for test-notify.sh: answers 500 to
# the first --fail POSTs, then 200, and stores each accepted body as
# DIR/NNNN.json; every request adds a line "STATUS PATH SIGNATURE" to
# DIR/requests.log, where SIGNATURE is "ok", "bad" or "none" (the
# X-Mamori-Signature header checked against --secret).
#
#   notify-httpd.py --port N --dir DIR [--fail N] [--secret S] [--ready F]
import argparse
import hashlib
import hmac
import os
from http.server import BaseHTTPRequestHandler, HTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--fail", type=int, default=0)
    ap.add_argument("--secret")
    ap.add_argument("--ready")
    a = ap.parse_args()
    state = {"requests": 0, "stored": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            state["requests"] += 1
            sig = self.headers.get("X-Mamori-Signature")
            if sig is None:
                check = "none"
            else:
                want = "sha256=" + hmac.new((a.secret or "").encode(), body,
                                            hashlib.sha256).hexdigest()
                check = "ok" if hmac.compare_digest(sig, want) else "bad"
            status = 500 if state["requests"] <= a.fail else 200
            if status == 200:
                state["stored"] += 1
                path = os.path.join(a.dir, "%04d.json" % state["stored"])
                with open(path + ".tmp", "wb") as f:
                    f.write(body)
                os.rename(path + ".tmp", path)
            with open(os.path.join(a.dir, "requests.log"), "a") as f:
                f.write("%d %s %s %s\n" % (status, self.path, check,
                                           self.headers.get("Content-Type")))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = HTTPServer(("127.0.0.1", a.port), Handler)
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("%d\n" % os.getpid())
    srv.serve_forever()


if __name__ == "__main__":
    main()
