"""The other end of the network tests, run *inside* a network namespace (``ip netns exec NS
python tests/netns_peer.py COMMAND ...``). Client commands print one JSON line of what happened.

Commands:
  internet                            serve HTTP on port 80 as "the internet" (until killed)
  http METHOD URL [HOST] [FORM]       one request, no redirects followed
  tcp HOST PORT                       connect: connected / reset / refused / unreachable / timeout
  dns NAME SERVER [PORT]              one A query over UDP (SOURCE_PORT env: fixed source port)
  accept PORTAL                       the sign-in page's own form, as a browser submits it
  logout PORTAL                       the Wi-Fi page's log-out form
  console-revoke CONSOLE USER PASSWORD IP
                                      sign in to the console and press "revoke" for IP
"""

import http.client
import http.cookiejar
import http.server
import json
import os
import re
import socket
import struct
import sys
import time
import urllib.parse
import urllib.request

TIMEOUT_S = 5


def http_request(method, url, host=None, form=None, headers=None):
    """One HTTP request (no redirects): status, Location and the start of the body."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=TIMEOUT_S)
    headers = {"Host": host or parts.netloc, **(headers or {})}
    body = None
    if form is not None:
        body = form.encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body, headers)
        response = connection.getresponse()
        text = response.read()[:4096].decode(errors="replace")
        return {"status": response.status, "location": response.getheader("Location"), "body": text}
    except OSError as exc:
        return {"error": type(exc).__name__, "detail": str(exc)}
    finally:
        connection.close()


def tcp(host, port):
    """Try to connect; say how it ended and how long that took."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    start = time.monotonic()
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(TIMEOUT_S)
        try:
            sock.connect((host, int(port)))
            result = "connected"
        except ConnectionRefusedError:
            result = "refused"  # a TCP reset in answer to the SYN
        except ConnectionResetError:
            result = "reset"
        except TimeoutError:
            result = "timeout"
        except OSError as exc:
            result = f"unreachable ({exc.strerror})"
    return {"result": result, "seconds": round(time.monotonic() - start, 3)}


def dns(name, server, port=53):
    """One A query; the answers' addresses and the response code."""
    query_id = os.getpid() & 0xFFFF
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", query_id, 0x0100, 1, 0, 0, 0) + question + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT_S)
        if os.environ.get("SOURCE_PORT"):
            sock.bind(("0.0.0.0", int(os.environ["SOURCE_PORT"])))
        try:
            sock.sendto(packet, (server, int(port)))
            reply = sock.recv(4096)
        except OSError as exc:
            return {"error": type(exc).__name__}
    count = struct.unpack(">H", reply[6:8])[0]
    offset = 12 + len(question) + 4
    answers = []
    for _ in range(count):
        offset += 2 if reply[offset] & 0xC0 == 0xC0 else len(question)
        rtype, _cls, ttl, length = struct.unpack(">HHIH", reply[offset : offset + 10])
        offset += 10
        if rtype == 1:
            answers.append({"address": socket.inet_ntoa(reply[offset : offset + length]), "ttl": ttl})
        offset += length
    return {"rcode": reply[3] & 0x0F, "answers": answers}


def submit(portal, page, action_pattern):
    """Fetch ``page`` and post its form whose action matches, as a browser on the portal would."""
    got = http_request("GET", portal + page)
    match = re.search(r'<form method="post" action="(' + action_pattern + ')"', got.get("body", ""))
    if not match:
        return {"error": "no such form", "page": got}
    return http_request("POST", portal + match.group(1), form="", headers={"Origin": portal})


def console_revoke(console, user, password, ip):
    """Sign in and press the revoke button of ``ip``'s row on the hotspot page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def csrf(html):
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    login_page = opener.open(f"{console}/admin/login", timeout=TIMEOUT_S).read().decode()
    form = urllib.parse.urlencode({"username": user, "password": password, "csrf_token": csrf(login_page)})
    opener.open(f"{console}/admin/login", form.encode(), timeout=TIMEOUT_S).read()
    page = opener.open(f"{console}/admin/hotspot", timeout=TIMEOUT_S).read().decode()
    row = re.search(r"<td>" + re.escape(ip) + r'</td>.*?action="([^"]+/revoke)"', page, re.S)
    if not row:
        return {"error": "no session row", "page": page[:2000]}
    done = opener.open(console + row.group(1), urllib.parse.urlencode({"csrf_token": csrf(page)}).encode())
    return {"status": done.status, "body": done.read().decode()[:4000]}


class Internet(http.server.BaseHTTPRequestHandler):
    """A website: /generate_204 answers 204 like Google's, /big?bytes=N sends N bytes, anything
    else says which site it is."""

    def do_GET(self):
        parts = urllib.parse.urlsplit(self.path)
        if parts.path == "/generate_204":
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        size = int(urllib.parse.parse_qs(parts.query).get("bytes", ["0"])[0])
        body = b"x" * size if parts.path == "/big" else f"internet {self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class DualStack(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def main(argv):
    command, args = argv[0], argv[1:]
    if command == "internet":
        DualStack(("::", 80), Internet).serve_forever()
    if command == "http":
        result = http_request(args[0], args[1], *(a or None for a in args[2:4]))
    elif command == "tcp":
        result = tcp(*args)
    elif command == "dns":
        result = dns(*args)
    elif command == "accept":
        result = submit(args[0], "/wifi", "/wifi/accept")
    elif command == "logout":
        result = submit(args[0], "/wifi", "/wifi/logout")
    elif command == "console-revoke":
        result = console_revoke(*args)
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
