#!/usr/bin/python3
# notify-smtpd.py - a real SMTP server (aiosmtpd, Debian's python3-aiosmtpd)
# for test-notify.sh: stores each message it accepts as DIR/NNNN.eml and
# its envelope as DIR/NNNN.env (MAIL FROM, RCPT TO, whether the session
# was upgraded with STARTTLS and who authenticated).
#
#   notify-smtpd.py --port N --dir DIR [--cert C --key K] [--require-tls]
#                   [--user U --password P] [--ready FILE]
#
# With --cert/--key it offers STARTTLS; --require-tls refuses mail before
# it; with --user it offers AUTH PLAIN and LOGIN (only after STARTTLS when
# a certificate is given) and requires it.  --ready names a file written
# once the server accepts connections.
import argparse
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, directory):
        self.dir = directory
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.dir, "%04d" % self.n)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".env", "w") as f:
            f.write("from %s\n" % envelope.mail_from)
            for r in envelope.rcpt_tos:
                f.write("rcpt %s\n" % r)
            f.write("tls %s\n" % ("yes" if session.ssl is not None else "no"))
            who = getattr(session.auth_data, "login", b"-")
            if isinstance(who, bytes):
                who = who.decode("utf-8", "replace")
            f.write("auth %s\n" % (who if session.authenticated else "-"))
        os.rename(base + ".tmp", base + ".eml")
        return "250 OK stored"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--require-tls", action="store_true")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--ready")
    a = ap.parse_args()

    kw = {}
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        kw["tls_context"] = ctx
        kw["require_starttls"] = a.require_tls
    if a.user:
        def check(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and
                  auth_data.login == a.user.encode() and
                  auth_data.password == a.password.encode())
            return AuthResult(success=ok, handled=False,
                              auth_data=auth_data if ok else None)
        kw["authenticator"] = check
        kw["auth_required"] = True
        kw["auth_require_tls"] = bool(a.cert)
    c = Controller(Store(a.dir), hostname="127.0.0.1", port=a.port,
                   ready_timeout=30, **kw)
    c.start()
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("%d\n" % os.getpid())
    signal.signal(signal.SIGTERM, lambda *_: (c.stop(), sys.exit(0)))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
