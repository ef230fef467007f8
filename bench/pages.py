"""Page weight: what a phone downloads on its first visit to each public page, and how many
home pages a second one core serves.

Starts the portal on a loopback port with the demo village, fetches every public page the way a
browser's first visit would (the HTML, then every stylesheet, script, image and icon it links,
each once per page) and prints requests and bytes per page, flagging any request to another host
and any page over the budget. Then, with the server pinned to core 0 and wrk to core 1, it loads
the home page and the service catalogue for a few seconds each. Run with ``python bench/pages.py``
(``make bench`` runs it too).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import HTTP_TIMEOUT, free_port, wait_ready

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 40 * 1024  # bytes on the wire for a first visit, everything included
# The public pages; "{…}" parts are filled from the demo village's own links.
PAGES = [
    "/",
    "/queue",
    "/services",
    "/services/letters/sktm",
    "/news",
    "/agenda",
    "/documents",
    "/budget",
    "/complaints",
    "/letters",
    "/letters/new/kelahiran",
    "/polls",
    "/profile",
    "/officials",
    "/umkm",
    "/umkm/1",
    "/news/1",
]


class Resources(HTMLParser):
    """The URLs a browser fetches for a page: stylesheets, scripts, images, icons, media."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") in ("stylesheet", "icon", "preload") and attrs.get("href"):
            self.urls.append(attrs["href"])
        # A lazy image below the fold is not part of the first screen's cost.
        elif (
            tag in ("script", "img", "audio", "source", "video") and attrs.get("src") and attrs.get("loading") != "lazy"
        ):
            self.urls.append(attrs["src"])


def fetch(url):
    """(status, bytes on the wire) of one GET."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, len(exc.read())


def weigh(base, path):
    """A page's first-visit figures: requests, bytes, external requests, failed requests."""
    url = urljoin(base, path)
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as response:
        html = response.read()
    parser = Resources()
    parser.feed(html.decode("utf-8", "replace"))
    figures = {"requests": 1, "bytes": len(html), "html_bytes": len(html), "external": 0, "failed": 0}
    for link in dict.fromkeys(parser.urls):
        if link.startswith("data:"):
            continue
        target = urljoin(url, link)
        if urlsplit(target).netloc != urlsplit(base).netloc:
            figures["external"] += 1  # never fetched: the bench talks to loopback only
            continue
        status, size = fetch(target)
        figures["requests"] += 1
        figures["bytes"] += size
        figures["failed"] += status >= 400
    return figures


THROUGHPUT = ["/", "/services"]
SECONDS = 5


def throughput(url):
    """Pages per second and latency for ``url`` under wrk on core 1, or None without wrk."""
    if shutil.which("wrk") is None:
        return None
    command = ["taskset", "-c", "1", "wrk", "-t1", "-c20", f"-d{SECONDS}s", "--latency", url]
    output = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 30).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return {"rate": rate, "p50_ms": latency(output, "50%"), "p99_ms": latency(output, "99%")}


def latency(output, percentile):
    """A wrk latency line in milliseconds."""
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        port = free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("BALAI_")}
        env.update(BALAI_DATA_DIR=data_dir, BALAI_LISTEN=f"127.0.0.1:{port}", BALAI_CAPTIVE="off")
        for command in (["migrate"], ["demo"]):
            subprocess.run([sys.executable, "-m", "portal", *command], cwd=ROOT, env=env, check=True, timeout=120,
                           capture_output=True)  # fmt: skip
        with open(Path(data_dir) / "server.log", "wb") as log:
            command = ["taskset", "-c", "0", sys.executable, "-m", "portal", "serve"]  # the server's core
            server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                base = f"http://127.0.0.1:{port}"
                wait_ready(base + "/", server)
                results = {path: weigh(base, path) for path in PAGES}
                rates = {path: throughput(base + path) for path in THROUGHPUT}
            finally:
                server.terminate()
                server.wait(timeout=10)
    print(f"{'page':<26}{'requests':>9}{'KB':>8}{'HTML KB':>9}{'external':>9}  budget {BUDGET // 1024} KB")
    over = []
    for path, f in results.items():
        ok = f["bytes"] <= BUDGET and not f["external"] and not f["failed"]
        over += [] if ok else [path]
        print(
            f"{path:<26}{f['requests']:>9}{f['bytes'] / 1024:>8.1f}{f['html_bytes'] / 1024:>9.1f}{f['external']:>9}"
            f"  {'ok' if ok else 'OVER BUDGET / FAILED'}"
        )
    print(f"\n{'page':<26}{'pages/s':>9}{'p50 ms':>9}{'p99 ms':>9}  (one core, 20 connections, {SECONDS} s)")
    for path, rate in rates.items():
        print(
            f"{path:<26}{rate['rate']:>9.0f}{rate['p50_ms']:>9.1f}{rate['p99_ms']:>9.1f}"
            if rate
            else f"{path:<26} wrk not installed"
        )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"pages": results, "throughput": rates}, indent=2))
    if over:
        print(f"\nOver budget, external or failing: {', '.join(over)}")
        sys.exit(1)
    print("\nEvery public page is within budget, with no external request.")


if __name__ == "__main__":
    main()
