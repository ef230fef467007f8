"""Queue benchmark: how much load one Balai box takes from the phones in a crowded village hall.

Measured against real servers, one after the other in the same run:

* two "hello" baselines (``bench/hello.py``) with Balai's thread count and connection limit: a
  bare WSGI function on waitress, and a one-route Flask app on waitress;
* ``GET /api/v1/tickets/{id}`` polled by 300 simulated phones (one connection each), every phone
  sending ``If-None-Match`` with the ETag it last saw, while a background "official" calls and
  completes a ticket at counter 1 every OFFICIAL_INTERVAL seconds so the ETags keep changing
  (a real hall changes about once a minute);
* ``GET /api/v1/board`` polled the same way;
* ``POST /api/v1/tickets``: tickets issued per second;
* the memory (resident set size) of the portal before and after that load, and of the worker
  (``python -m portal worker``) and the kiosk agent (``python -m kiosk``) that run beside it as on
  the Pi, the agent printing the receipts of KIOSK_TICKETS tickets taken at the kiosk (whose screen
  shows each, QR code included) to a network printer on loopback;
* captive probes (``GET /generate_204`` on Google's host) from 300 phones on the hotspot, first
  not yet accepted (302 to the sign-in page), then accepted with the internet up (204): a
  separate server whose hotspot network is loopback.

For each it prints the answered requests per second, the p50/p99 latency (wrk's, of answered
requests), the ratio to the bare app and "unaccepted": the most connections seen waiting in the
server's accept queue, i.e. phones not let in at all (wrk does not count those). Then it checks
the budgets: ticket status at >= 50% of the bare waitress app (and shows the ratio to the Flask
hello too), its p99 <= 100 ms with the phones polling once a second each (a second run, paced:
at full speed the latency is the queue of 300 connections, see PACE_MS), >= 200 tickets/s
issued, the portal's memory after the load
<= 80 MB; it exits non-zero naming those below budget. The figures also go to
``var/bench/results.json`` under the key ``"queue"``.

The load comes from ``wrk`` pinned to core 1 while the server is pinned to core 0: a Python load
generator saturates before the server does, and sharing a core would measure the contest
between the two rather than the server. This script runs on the load core too.

Usage: ``python bench/queue.py [--duration SECONDS | --quick]`` (needs ``wrk``, ``taskset``, two
cores and Linux's ``/proc/net/tcp``). Only 127.0.0.1 is contacted; every server is stopped on the
way out.
"""

import sys

# Run as a script, this file's folder comes first on sys.path and this file would shadow the
# standard library's ``queue`` for every import below; take the folder off the path first.
sys.path = [p for p in sys.path if p != str(__import__("pathlib").Path(__file__).resolve().parent)]

import argparse
import collections
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for bench.common (this folder itself is off the path, see above)

from bench.common import HTTP_TIMEOUT, Printer, free_port, http, rss_mb, wait_ready

WRK_DIR = Path(__file__).resolve().parent / "wrk"
RESULTS = ROOT / "var" / "bench" / "results.json"

SERVER_CORE = 0
LOAD_CORE = 1
THREADS = 8  # Balai's default BALAI_THREADS; the hello apps get the same
CONNECTIONS = 1000  # BALAI_CONNECTIONS for this run: every phone gets in
PHONES = 300
ISSUERS = 16  # connections taking tickets: kiosks and phones at the door, not the whole hall
SERVICES = ("surat", "kependudukan", "nikah", "konsultasi")
OFFICIAL_INTERVAL = 2.0  # seconds between two calls at counter 1 (a real hall: about a minute)
DRAIN_TIMEOUT = 10.0
STATUS_BUDGET = 0.5  # ticket status throughput / bare waitress throughput
ISSUE_BUDGET = 200.0  # tickets per second
P99_BUDGET_MS = 100.0  # ticket status p99 with PHONES phones polling at PACE_MS
# How often each of the PHONES phones polls in the latency run: about once a second, five times
# the ticket page's own pace (its live.js polls every 5 s). At full speed the latency measured is
# queueing: 300 connections that never pause each wait behind the 299 others (p99 about 300 /
# throughput; the bare waitress hello's own p99 there is 60-300 ms, a Flask hello's 350-770 ms).
PACE_MS = 1000
RECEIPTS_TIMEOUT = 60  # seconds for the agent to print the kiosk tickets' receipts before the load
RSS_BUDGET_MB = 80.0  # the portal's resident memory after the load
KIOSK_TICKETS = 20  # of the PHONES tickets, taken at the kiosk: its agent prints them, its screen shows them


def parse_args():
    """The command line: run length."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run (default 8)")
    parser.add_argument("--quick", action="store_true", help="2-second runs: a smoke test, not a measurement")
    args = parser.parse_args()
    if args.quick:
        args.duration = 2
    if args.duration < 1:
        parser.error("--duration must be at least 1 second")
    return args


def check_machine():
    """Exit 2 with a clear message when wrk, taskset or a second core is missing."""
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    if missing:
        print(f"bench/queue.py needs {' and '.join(missing)} (apt-get install wrk util-linux).", file=sys.stderr)
        sys.exit(2)
    if not {SERVER_CORE, LOAD_CORE} <= os.sched_getaffinity(0):
        print(
            f"bench/queue.py needs cores {SERVER_CORE} and {LOAD_CORE}: one for the server, one for wrk.",
            file=sys.stderr,
        )
        sys.exit(2)


@contextlib.contextmanager
def pinned(command, env, log_path, core=SERVER_CORE):
    """Run ``command`` pinned to ``core`` (``env`` None: ours) for the block, then stop it."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["taskset", "-c", str(core), *command],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextlib.contextmanager
def served(command, env, ready_url, log_path):
    """``pinned``, waiting for ``ready_url``; gives the process and the seconds from its start to its
    first 200 (a cold start)."""
    started = time.monotonic()
    with pinned(command, env, log_path) as process:
        wait_ready(ready_url, process)
        yield process, time.monotonic() - started


def run_wrk(port, script, connections, duration, script_args=()):
    """One wrk run pinned to the load core, sampling the server's accept backlog meanwhile.

    Returns the figures of ``parse_wrk`` plus ``backlog_max``: the most connections the kernel
    held for the server that it had not accepted yet (waitress stops accepting at its
    ``connection_limit``). wrk does not count a connection that never gets an answer as an error,
    so this is how phones left at the door show up.
    """
    wait_drained(port)
    command = ["taskset", "-c", str(LOAD_CORE), "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    command += ["-s", script, f"http://127.0.0.1:{port}/"]
    if script_args:
        command += ["--", *script_args]
    backlog = []
    with subprocess.Popen(command, cwd=WRK_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as wrk:
        deadline = time.monotonic() + duration + 60
        while wrk.poll() is None and time.monotonic() < deadline:
            backlog.append(accept_backlog(port))
            time.sleep(0.5)
        if wrk.poll() is None:
            wrk.kill()
        output, errors = wrk.communicate(timeout=10)
    if wrk.returncode != 0:
        raise RuntimeError(f"wrk failed ({wrk.returncode}): {errors.strip() or output.strip()}")
    figures = parse_wrk(output)
    figures["connections"] = connections
    figures["backlog_max"] = max(backlog, default=0)
    return figures


def wait_drained(port):
    """Wait (at most DRAIN_TIMEOUT) until the server has taken in the connections a previous run left queued."""
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while accept_backlog(port) and time.monotonic() < deadline:
        time.sleep(0.2)


def accept_backlog(port):
    """How many connections wait in the accept queue of the listener on 127.0.0.1:``port`` (Linux)."""
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":  # 0A: LISTEN
                return int(fields[4].split(":")[1], 16)  # rx_queue of a listener: its accept queue
    return 0


def to_ms(value, unit):
    """A wrk duration (``850.00us``, ``1.20ms``, ``2.00s``, ``1.00m``) in milliseconds."""
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def find(pattern, text):
    """The first group of ``pattern`` in ``text`` (multiline), or a RuntimeError quoting the text."""
    match = re.search(pattern, text, re.M)
    if match is None:
        raise RuntimeError(f"unexpected wrk output (no {pattern!r}):\n{text}")
    return match.group(1)


def parse_wrk(output):
    """Throughput, latency percentiles, statuses and errors from wrk's ``--latency`` output.

    ``rps`` counts only answers below 400 (200, 201, 304) per second of the run; errors and
    socket failures are reported beside it, not in it.
    """
    statuses = {int(code): int(n) for code, n in re.findall(r"(\d+)=(\d+)", find(r"^statuses(.*)$", output))}
    seconds = float(find(r"\d+ requests in ([\d.]+)s", output))
    percentiles = {p: to_ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)}
    socket_errors = re.search(
        r"Socket errors: connect (?P<connect>\d+), read (?P<read>\d+), write (?P<write>\d+), timeout (?P<timeout>\d+)",
        output,
    )
    good = sum(n for code, n in statuses.items() if code < 400)
    return {
        "rps": good / seconds,
        "p50_ms": percentiles.get("50"),
        "p99_ms": percentiles.get("99"),
        "seconds": seconds,
        "statuses": statuses,
        "socket_errors": {kind: int(n) for kind, n in socket_errors.groupdict().items()} if socket_errors else {},
    }


class Official(threading.Thread):
    """An official at counter 1: call-next then complete every OFFICIAL_INTERVAL s, so ETags change."""

    def __init__(self, base, token):
        super().__init__(daemon=True)
        self.base = base
        self.token = token
        self.stopping = threading.Event()
        self.outcomes = collections.Counter()
        self.slowest = 0.0

    def run(self):
        """Call and complete until stopped; count each answer as ``action status``, note the slowest."""
        while not self.stopping.wait(OFFICIAL_INTERVAL):
            for action in ("call-next", "complete"):
                started = time.monotonic()
                try:
                    status = http("POST", f"{self.base}/api/v1/counters/1/{action}", token=self.token)[0]
                except OSError as exc:
                    status = type(exc).__name__
                self.slowest = max(self.slowest, time.monotonic() - started)
                self.outcomes[f"{action} {status}"] += 1
                if status != 200:
                    break

    def stop(self):
        """Stop after the request in flight (bounded by HTTP_TIMEOUT)."""
        self.stopping.set()
        self.join(timeout=2 * HTTP_TIMEOUT + OFFICIAL_INTERVAL)


def balai_env(data_dir, listen):
    """The environment for ``python -m portal``: ours, minus any BALAI_* setting, plus the bench's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BALAI_")}
    env.update(
        BALAI_DATA_DIR=str(data_dir),
        BALAI_LISTEN=listen,
        BALAI_THREADS=str(THREADS),
        BALAI_CONNECTIONS=str(CONNECTIONS),
        # As the Pi's balai-portal.service sets it (see there): measure the memory the Pi's portal
        # has. The worker and the kiosk agent have one thread, so one arena either way.
        MALLOC_ARENA_MAX="2",
    )
    return env


def portal(env, *args):
    """Run ``python -m portal ARGS`` to completion; returns its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "portal", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"python -m portal {' '.join(args)} failed:\n{done.stderr.strip()}")
    return done.stdout


def server_problems(log_path):
    """Tracebacks, and WARNING/ERROR lines of a server's log counted by message (numbers as N)."""
    text = Path(log_path).read_text(errors="replace")
    messages = collections.Counter(
        re.sub(r"\d+", "N", line.split(" ", 2)[-1])  # drop the date and time, fold the numbers
        for line in text.splitlines()
        if " WARNING " in line or " ERROR " in line
    )
    return {"tracebacks": text.count("Traceback (most recent call last)"), "warnings_and_errors": dict(messages)}


def measure_hello(work, duration, kind):
    """A hello baseline (``wsgi`` or ``flask``) under PHONES connections."""
    port = free_port()
    listen = f"127.0.0.1:{port}"
    log_path = work / f"hello-{kind}.log"
    command = [sys.executable, str(ROOT / "bench" / "hello.py"), kind, listen, str(THREADS), str(CONNECTIONS)]
    with served(command, None, f"http://{listen}/", log_path):
        figures = run_wrk(port, "hello.lua", PHONES, duration)
    return figures, server_problems(log_path)


def measure_balai(work, duration):
    """Ticket status and board under PHONES polling phones with an official calling, then issuance;
    the worker and a kiosk agent (printing to a network printer on loopback) run beside the portal
    as on the Pi, and the memory of all three is read after the load."""
    port = free_port()
    listen = f"127.0.0.1:{port}"
    base = f"http://{listen}"
    env = balai_env(work / "data", listen)
    portal(env, "migrate")
    portal(env, "demo")
    token = portal(env, "token", "create", "operator").split()[-1]
    portal(env, "kiosk", "add", "Kiosk Aula", "--token-file", str(work / "kiosk-token"))
    printer = Printer()
    agent_env = env | {
        "BALAI_PORTAL_URL": base,
        "BALAI_KIOSK_TOKEN": (work / "kiosk-token").read_text().strip(),
        "BALAI_PRINTER": f"tcp://127.0.0.1:{printer.port}",
    }
    log_path = work / "balai.log"
    try:
        with (
            served([sys.executable, "-m", "portal", "serve"], env, f"{base}/api/v1/services", log_path) as (
                server,
                cold_start_s,
            ),
            # Off the server's core: on the Pi's four cores they do not take the portal's.
            pinned([sys.executable, "-m", "portal", "worker"], env, work / "worker.log", LOAD_CORE) as worker,
            pinned([sys.executable, "-m", "kiosk"], agent_env, work / "agent.log", LOAD_CORE) as agent,
        ):
            idle_rss = rss_mb(server.pid)
            ids_file = work / "ticket-ids.txt"
            ids = take_tickets(base, KIOSK_TICKETS, agent_env["BALAI_KIOSK_TOKEN"])
            ids += take_tickets(base, PHONES - KIOSK_TICKETS)
            ids_file.write_text("\n".join(ids) + "\n")
            # The receipts printed before the load starts: their print jobs would change the
            # queue under the first run, and the agent would compete with wrk for its core.
            if printer.wait_for(KIOSK_TICKETS, RECEIPTS_TIMEOUT) is None:
                raise RuntimeError(
                    f"the kiosk agent printed {len(printer.first_bytes)} of {KIOSK_TICKETS} receipts "
                    f"in {RECEIPTS_TIMEOUT} s (its log: {work / 'agent.log'})"
                )
            official = Official(base, token)
            official.start()
            try:
                status = run_wrk(port, "ticket.lua", PHONES, duration, [str(ids_file)])
                paced = run_wrk(port, "ticket_paced.lua", PHONES, duration, [str(ids_file), str(PACE_MS)])
                board = run_wrk(port, "board.lua", PHONES, duration)
            finally:
                official.stop()
            issue = run_wrk(port, "issue.lua", ISSUERS, duration)
            for process, name in ((worker, "worker"), (agent, "kiosk agent")):
                if process.poll() is not None:
                    raise RuntimeError(f"the {name} exited with status {process.returncode} during the load")
            memory = {
                "portal_idle_rss_mb": idle_rss,
                "portal_rss_mb": rss_mb(server.pid),
                "worker_rss_mb": rss_mb(worker.pid),
                "agent_rss_mb": rss_mb(agent.pid),
                "receipts_printed": len(printer.first_bytes),
                "cold_start_s": cold_start_s,
            }
    finally:
        printer.close()
    issue["tickets_per_s"] = issue["statuses"].get(201, 0) / issue["seconds"]
    officials = {"outcomes": dict(official.outcomes), "slowest_s": official.slowest}
    figures = {"ticket_status": status, "ticket_status_paced": paced, "board": board, "issue": issue, "portal": memory}
    problems = {
        "balai": server_problems(log_path),
        "balai worker": server_problems(work / "worker.log"),
        "kiosk agent": server_problems(work / "agent.log"),
    }
    return figures, officials, problems


def measure_captive(work, duration):
    """Probes from PHONES phones on the hotspot (loopback here): before acceptance, then after."""
    port = free_port()
    listen = f"127.0.0.1:{port}"
    base = f"http://{listen}"
    env = balai_env(work / "captive", listen)
    env.update(BALAI_HOTSPOT_NETWORKS="127.0.0.0/8", BALAI_ADMIN_NETWORKS="::1/128")
    portal(env, "migrate")
    portal(env, "demo")
    uplink_up = (
        "from portal import make_balai; from portal.config import load; make_balai(load()).captive.record_uplink(True)"
    )
    subprocess.run([sys.executable, "-c", uplink_up], cwd=ROOT, env=env, check=True, timeout=60)
    log_path = work / "captive.log"
    with served([sys.executable, "-m", "portal", "serve"], env, f"{base}/api/v1/services", log_path):
        before = run_wrk(port, "probe.lua", PHONES, duration)
        http("POST", f"{base}/wifi/accept")  # (the 303 to the status page is followed)
        if http("GET", f"{base}/generate_204")[0] != 204:
            raise RuntimeError("setup: accepting the terms did not let the bench's phones through")
        after = run_wrk(port, "probe.lua", PHONES, duration)
    return {"probe_captured": before, "probe_online": after}, server_problems(log_path)


def take_tickets(base, count, kiosk_token=None):
    """Issue ``count`` tickets spread over the demo services (setup, not measured); returns their ids.

    With ``kiosk_token`` they are taken at the kiosk: its agent prints each, and its screen shows
    each (the ticket page, with its QR code, as the kiosk's browser does).
    """
    ids = []
    for n in range(count):
        body = {"service": SERVICES[n % len(SERVICES)]}
        status, ticket = http("POST", f"{base}/api/v1/tickets", body, token=kiosk_token)
        if status != 201:
            raise RuntimeError(f"setup: POST /api/v1/tickets answered {status}: {ticket}")
        if kiosk_token and http("GET", f"{base}/kiosk/ticket/{ticket['id']}")[0] != 200:
            raise RuntimeError(f"setup: the kiosk's page of ticket {ticket['id']} did not answer 200")
        ids.append(ticket["id"])
    return ids


def describe(figures):
    """The answers and failures of a run in one short text, e.g. ``200=812 304=40120 timeout=3``."""
    parts = [f"{code}={n}" for code, n in sorted(figures["statuses"].items())]
    parts += [f"{kind}={n}" for kind, n in figures["socket_errors"].items() if n]
    return " ".join(parts)


def ms(value):
    """A latency for the table."""
    return "-" if value is None else f"{value:.1f}"


def report(hello, flask_hello, balai, official, problems, duration):
    """Print the table and the budget check; returns the figures for the JSON file."""
    rows = [
        ("bare waitress hello", hello),
        ("Flask hello on waitress", flask_hello),
        ("GET /api/v1/tickets/{id}", balai["ticket_status"]),
        (f"  the same, 1 poll/{PACE_MS / 1000:g} s", balai["ticket_status_paced"]),
        ("GET /api/v1/board", balai["board"]),
        ("POST /api/v1/tickets", balai["issue"]),
        ("probe, not accepted (302)", balai["probe_captured"]),
        ("probe, accepted (204)", balai["probe_online"]),
    ]
    print(f"\nBalai queue benchmark: {duration} s per run, server on core {SERVER_CORE}, wrk on core {LOAD_CORE}")
    print(
        f"{'endpoint':<26} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs hello':>8} {'vs Flask':>8}"
        f" {'unaccepted':>10}  responses"
    )
    for name, figures in rows:
        paced = figures is balai["ticket_status_paced"]  # its throughput is the pace, not a capacity
        figures["ratio_to_hello"] = figures["rps"] / hello["rps"] if hello["rps"] and not paced else None
        figures["ratio_to_flask_hello"] = (
            figures["rps"] / flask_hello["rps"] if flask_hello["rps"] and not paced else None
        )
        ratios = [
            "-" if figures[key] is None else f"{figures[key]:.0%}" for key in ("ratio_to_hello", "ratio_to_flask_hello")
        ]
        print(
            f"{name:<26} {figures['connections']:>5} {figures['rps']:>9.0f} {ms(figures['p50_ms']):>8} "
            f"{ms(figures['p99_ms']):>8} {ratios[0]:>8} {ratios[1]:>8} {figures['backlog_max']:>10}  "
            f"{describe(figures)}"
        )
    outcomes = " ".join(f"{key}: {n}" for key, n in sorted(official["outcomes"].items())) or "no calls"
    before, after = hello["rps_before_and_after"]
    print(f"bare waitress hello before and after Balai: {before} and {after} req/s (the faster is the 100%)")
    print(f"official at counter 1: {outcomes} (slowest {official['slowest_s']:.2f} s)")
    for name, found in problems.items():
        print(f"{name} log: {found['tracebacks']} tracebacks")
        for message, n in sorted(found["warnings_and_errors"].items()):
            print(f"  {n:>5} x {message}")

    status_ratio = balai["ticket_status"]["ratio_to_hello"] or 0.0
    flask_ratio = balai["ticket_status"]["ratio_to_flask_hello"] or 0.0
    tickets = balai["issue"]["tickets_per_s"]
    paced = balai["ticket_status_paced"]
    paced.update(pace_ms=PACE_MS, offered_rps=PHONES * 1000 / PACE_MS)
    paced["share_of_capacity"] = paced["rps"] / balai["ticket_status"]["rps"] if balai["ticket_status"]["rps"] else None
    p99 = paced["p99_ms"]
    rss = balai["portal"]["portal_rss_mb"]
    budget = {
        "ticket_status_vs_hello": status_ratio >= STATUS_BUDGET,
        "tickets_per_s": tickets >= ISSUE_BUDGET,
        "ticket_status_p99_paced": p99 is not None and p99 <= P99_BUDGET_MS,
        "portal_rss": rss <= RSS_BUDGET_MB,
    }
    print()
    print(
        f"ticket status at {status_ratio:.0%} of bare waitress (budget >= {STATUS_BUDGET:.0%}): "
        f"{verdict(budget['ticket_status_vs_hello'])} ({flask_ratio:.0%} of the Flask hello)"
    )
    print(f"tickets issued: {tickets:.0f}/s (budget >= {ISSUE_BUDGET:.0f}/s): {verdict(budget['tickets_per_s'])}")
    print(
        f"ticket status p99 with {PHONES} phones each polling every {PACE_MS / 2000:g}-{PACE_MS * 1.5 / 1000:g} s "
        f"({paced['offered_rps']:.0f} req/s offered, 5x the ticket page's pace, "
        f"{paced['share_of_capacity'] or 0:.0%} of the full-speed throughput): {ms(p99)} ms "
        f"(budget <= {P99_BUDGET_MS:.0f} ms): {verdict(budget['ticket_status_p99_paced'])}"
    )
    print(
        f"ticket status p99 at full speed ({PHONES} connections that never pause: queueing, no budget): "
        f"{ms(balai['ticket_status']['p99_ms'])} ms"
    )
    print(
        f"portal memory after the load: {rss:.0f} MB (budget <= {RSS_BUDGET_MB:.0f} MB): "
        f"{verdict(budget['portal_rss'])}"
    )
    print(f"portal cold start to its first 200: {balai['portal']['cold_start_s']:.2f} s")
    memory = balai["portal"]
    print(f"portal memory when idle, before the load: {memory['portal_idle_rss_mb']:.0f} MB")
    print(
        f"memory after the load (no budget): worker {memory['worker_rss_mb']:.0f} MB, kiosk agent "
        f"{memory['agent_rss_mb']:.0f} MB ({memory['receipts_printed']} of {KIOSK_TICKETS} kiosk receipts printed)"
    )
    return {
        "duration_s": duration,
        "threads": THREADS,
        "hello": hello,
        "flask_hello": flask_hello,
        **balai,
        "official": official,
        "server_problems": problems,
        "budget_met": budget,
    }


def verdict(met):
    """``ok`` or ``BELOW BUDGET``."""
    return "ok" if met else "BELOW BUDGET"


def save(figures):
    """Merge the figures into var/bench/results.json under "queue"."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = {}
    if RESULTS.exists():
        with contextlib.suppress(ValueError):
            results = json.loads(RESULTS.read_text())
    if not isinstance(results, dict):
        results = {}
    results["queue"] = figures
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"figures written to {RESULTS.relative_to(ROOT)}")


def main():
    """Measure the bare app, then Balai; print and save the figures."""
    args = parse_args()
    check_machine()
    os.sched_setaffinity(0, {LOAD_CORE})  # keep this script (and the official) off the server's core
    with tempfile.TemporaryDirectory(prefix="balai-bench-") as tmp:
        work = Path(tmp)
        try:
            print(f"hello baselines: {PHONES} connections, {args.duration} s each ...", flush=True)
            hello, hello_problems = measure_hello(work, args.duration, "wsgi")
            first_hello_rps = hello["rps"]
            flask_hello, flask_problems = measure_hello(work, args.duration, "flask")
            print(f"Balai: ticket status and board ({PHONES} phones), issuance ({ISSUERS} connections) ...", flush=True)
            balai, official, balai_problems = measure_balai(work, args.duration)
            print(f"Balai: captive probes ({PHONES} phones on the hotspot) ...", flush=True)
            captive, captive_problems = measure_captive(work, args.duration)
            balai.update(captive)
            # The bare hello again, after Balai: this machine's speed drifts between runs, and the
            # faster of the two makes the ratio the stricter one.
            print("hello baseline again, after Balai ...", flush=True)
            hello_after, _ = measure_hello(work, args.duration, "wsgi")
            hello = max(hello, hello_after, key=lambda figures: figures["rps"])
            hello["rps_before_and_after"] = [round(first_hello_rps), round(hello_after["rps"])]
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            sys.exit(f"bench/queue.py could not finish: {exc}")
    problems = {"hello": hello_problems, "flask hello": flask_problems, **balai_problems}
    problems["balai captive"] = captive_problems
    figures = report(hello, flask_hello, balai, official, problems, args.duration)
    save(figures)
    missed = [name for name, met in figures["budget_met"].items() if not met]
    if missed:
        sys.exit(f"bench/queue.py: BELOW BUDGET: {', '.join(missed)}")


if __name__ == "__main__":
    main()
