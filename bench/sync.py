"""Hub sync benchmark: many simulated villages push a day of events each to one hub process.

For each database (SQLite, then PostgreSQL on a private cluster with fsync on) it registers the
villages straight in the hub's database, starts one real ``python -m hub serve`` on a loopback
port, and lets client processes play the villages: each village, with the village's own client
(``portal.sync.Hub``), probes the hub, then pushes its day in batches of ``--batch`` events (the
first carrying its health report), as the worker would after a day without a link. A tenth of
the villages push their day a second time, as after a lost acknowledgement: the hub must call
every one of those events a duplicate and its figures must not move.

A village's day is shaped like what the village's outbox holds after one: 80-150 tickets issued,
most served (with wait and service times), some skipped or cancelled, 0-5 complaints and their
status changes, now and then a printer running out of paper and back, and the day's figures
(``stats.daily``).

It prints, per database: events acknowledged as new, wall time, events/s, the latency of one
push (p50, p99, max), the hub's CPU use (of one core) and its memory (resident set at the start,
the peak, at the end); then checks the hub holds exactly the unique events sent. The hub runs on
core 0; this script, its clients and PostgreSQL share core 1 (pass ``--no-pin`` to let the
kernel place them). Only 127.0.0.1 is contacted; every server is stopped on the way out.

Usage: ``python bench/sync.py [--villages 500] [--clients 16] [--db sqlite,postgresql]``.
"""

import sys
from pathlib import Path

# As a script, this folder comes first on sys.path and bench/queue.py would shadow the standard
# library's ``queue`` (which multiprocessing imports); take the folder off the path first.
sys.path = [p for p in sys.path if p != str(Path(__file__).resolve().parent)]
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "tests"))  # tests/postgres.py: the private PostgreSQL cluster

import argparse  # noqa: E402
import collections  # noqa: E402
import contextlib  # noqa: E402
import math  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import queue  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402

from sqlalchemy import func, select  # noqa: E402

from bench.common import free_port, wait_ready  # noqa: E402
from hub import protocol, villages  # noqa: E402
from hub.db import Store  # noqa: E402
from hub.models import Complaint, Day, Event, Village  # noqa: E402
from portal.clock import Clock  # noqa: E402
from portal.domain.outbox import ref  # noqa: E402
from portal.domain.stats import average  # noqa: E402
from portal.models import utc_text  # noqa: E402
from portal.sync import Hub, SyncError  # noqa: E402

HUB_CORE, LOAD_CORE = 0, 1
DAY = date(2026, 11, 23)
OPENING = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:00 WIB (UTC+7)
OPEN_S = 7 * 3600  # the office takes tickets until 15:00
SERVICES = {  # code: (name, share of the tickets), as in the demo village
    "surat": ("Surat Pengantar & Keterangan", 45),
    "kependudukan": ("Administrasi Kependudukan", 30),
    "nikah": ("Pengantar Nikah", 5),
    "konsultasi": ("Pengaduan & Konsultasi", 15),
    "bansos": ("Bantuan Sosial", 5),
}
COUNTERS = ("Loket 1", "Loket 2", "Loket 3")
CATEGORIES = ("infrastructure", "public_services", "social_assistance", "environment", "health", "other")
COMPLAINT_TEXT = "Jalan di RT 03 RW 02 berlubang dan tergenang setiap hujan, mohon segera diperbaiki. " * 3
TWICE_EVERY = 10  # every tenth village pushes its day twice
STOP_TIMEOUT = 15  # seconds to wait for a process to stop


def parse_args():
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=500, help="simulated villages (default 500)")
    parser.add_argument("--clients", type=int, default=16, help="villages syncing at once (default 16)")
    parser.add_argument("--processes", type=int, default=4, help="client processes sharing them (default 4)")
    parser.add_argument(
        "--batch",
        type=int,
        default=protocol.MAX_BATCH_EVENTS,
        help="events per push (default: the protocol's maximum, as the worker sends)",
    )
    parser.add_argument("--db", default="sqlite,postgresql", help="databases to run, comma-separated")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for one request (default 30)")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds for the whole run (default 600)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the hub and the load to their cores")
    parser.add_argument("--profile", metavar="DIR", help="record the hub with py-spy (when installed) into DIR")
    args = parser.parse_args()
    args.db = [name.strip() for name in args.db.split(",") if name.strip()]
    if not 1 <= args.batch <= protocol.MAX_BATCH_EVENTS or args.villages < 1 or args.clients < 1:
        parser.error(f"--villages and --clients must be positive, --batch 1..{protocol.MAX_BATCH_EVENTS}")
    if unknown := set(args.db) - {"sqlite", "postgresql"}:
        parser.error(f"unknown database {', '.join(sorted(unknown))}: sqlite or postgresql")
    args.processes = max(1, min(args.processes, args.clients))
    return args


# -- a village's day -------------------------------------------------------------------------


class VillageDay:
    """One village's day being written: its events (datetimes in ``at`` until ``village_day`` is done)
    and its tickets' outcomes (for the day's figures)."""

    def __init__(self, index):
        self.index = index
        self.rng = random.Random(index)  # the same day every run
        self.events = []
        self.tickets = []

    def add(self, kind, at, data):
        """Queue an event as the outbox would (``at`` an aware datetime)."""
        self.events.append(
            {"id": uuid.UUID(int=self.rng.getrandbits(128), version=4).hex, "kind": kind, "at": at, "data": data}
        )

    def ticket(self, number):
        """A ticket from issue to its end: served, skipped, cancelled or still waiting at closing."""
        rng = self.rng
        code = rng.choices(list(SERVICES), [share for _name, share in SERVICES.values()])[0]
        issued = OPENING + timedelta(seconds=rng.uniform(0, OPEN_S))
        base = {"ticket": ref(f"{self.index}:{number}"), "day": DAY.isoformat(), "service": code}
        self.add(
            "ticket.issued",
            issued,
            {**base, "source": rng.choice(("kiosk", "kiosk", "web")), "priority": rng.random() < 0.05},
        )
        wait = int(rng.expovariate(1 / 1200))
        called = issued + timedelta(seconds=wait)
        fate = rng.random()
        ticket = {
            "service": code,
            "counter": rng.choice(COUNTERS),
            "status": "waiting",
            "wait": None,
            "service_s": None,
        }
        if fate < 0.86:
            service_s = int(rng.gammavariate(2, 300))
            ticket.update(status="done", wait=wait, service_s=service_s)
            at = called + timedelta(seconds=service_s)
            self.add(
                "ticket.served", at, {**base, "counter": ticket["counter"], "wait_s": wait, "service_s": service_s}
            )
        elif fate < 0.93:
            ticket.update(status="skipped", wait=wait)
            self.add("ticket.skipped", called + timedelta(seconds=120), base)
        elif fate < 0.98:
            ticket.update(status="cancelled", counter=None)
            self.add("ticket.cancelled", issued + timedelta(seconds=wait // 2), base)
        else:
            ticket["counter"] = None
        self.tickets.append(ticket)

    def complaint(self, number):
        """A complaint from a phone, then perhaps taken up and answered by the office."""
        rng = self.rng
        at = OPENING + timedelta(seconds=rng.uniform(-OPEN_S, OPEN_S))
        forwarded = rng.random() < 0.3
        data = {"complaint": ref(f"{self.index}:c{number}"), "category": rng.choice(CATEGORIES), "forwarded": forwarded}
        self.add("complaint.received", at, {**data, "text": COMPLAINT_TEXT} if forwarded else data)
        for status, chance in (("in_progress", 0.7), ("answered", 0.4)):
            if rng.random() >= chance:
                break
            at += timedelta(seconds=rng.uniform(600, 7200))
            self.add("complaint.status", at, {"complaint": data["complaint"], "status": status})

    def printer_fault(self):
        """The receipt paper runs low, and the roll is changed an hour later."""
        at = OPENING + timedelta(seconds=self.rng.uniform(0, OPEN_S - 3600))
        self.add("printer.state", at, {"kiosk": "Kiosk Aula", "state": "near_end", "detail": "paper near end"})
        self.add("printer.state", at + timedelta(hours=1), {"kiosk": "Kiosk Aula", "state": "ok", "detail": ""})

    def figures(self, tickets):
        """``portal.domain.stats.figures`` for these simulated tickets."""
        return {
            **{status: sum(t["status"] == status for t in tickets) for status in ("skipped", "cancelled", "waiting")},
            "served": sum(t["status"] == "done" for t in tickets),
            "avg_wait_seconds": average([t["wait"] for t in tickets if t["wait"] is not None]),
            "avg_service_seconds": average([t["service_s"] for t in tickets if t["service_s"] is not None]),
        }

    def daily(self):
        """The day's figures as ``portal.domain.district.queue_reports`` sends them, after midnight."""
        data = {
            "day": DAY.isoformat(),
            "services": [
                {
                    "code": code,
                    "name": name,
                    "issued": sum(t["service"] == code for t in self.tickets),
                    **self.figures([t for t in self.tickets if t["service"] == code]),
                }
                for code, (name, _share) in SERVICES.items()
            ],
            "counters": [
                {"id": n, "name": name, **self.figures([t for t in self.tickets if t["counter"] == name])}
                for n, name in enumerate(COUNTERS, 1)
            ],
        }
        self.add("stats.daily", OPENING + timedelta(hours=16), data)


def health(rng):
    """A health report like ``portal.health.collect``'s, from a Pi that is mostly well."""
    undervoltage = rng.random() < 0.1
    return {
        "version": "0.1.0",
        "disk_free_mb": rng.randint(3000, 25000),
        "disk_total_mb": 29_000,
        "clock": {
            "synchronised": rng.random() < 0.8,
            "offset_s": rng.choice((0, 0, 0, 1, -2)),
            "now": utc_text(OPENING + timedelta(hours=16)),
        },
        "power": {
            "raw": "0x50000" if undervoltage else "0x0",
            "undervoltage_now": False,
            "throttled_now": False,
            "undervoltage_since_boot": undervoltage,
            "throttled_since_boot": undervoltage,
        },
        "printers": [{"kiosk": "Kiosk Aula", "state": "ok", "detail": ""}],
        "last_backup": (OPENING - timedelta(hours=6)).isoformat(),
    }


def village_day(index):
    """Village ``index``'s day: ``(wire events in outbox order, health report)``."""
    day = VillageDay(index)
    for number in range(day.rng.randint(80, 150)):
        day.ticket(number)
    for number in range(day.rng.randint(0, 5)):
        day.complaint(number)
    if day.rng.random() < 0.1:
        day.printer_fault()
    day.events.sort(key=lambda event: event["at"])
    day.daily()
    events = [{**event, "at": utc_text(event["at"])} for event in day.events]
    return events, health(day.rng)


# -- the client processes ----------------------------------------------------------------------


def sync_village(job, base, args, deadline):
    """Play one village: probe, push the day in batches (twice for some). Returns its record."""
    events, report = village_day(job["index"])
    batches = [events[i : i + args.batch] for i in range(0, len(events), args.batch)]
    record = {
        "events": len(events),
        "issued": sum(e["kind"] == "ticket.issued" for e in events),
        "complaints": sum(e["kind"] == "complaint.received" for e in events),
        "packed_bytes": [len(protocol.pack({"events": b, "health": None})) for b in batches],
        "pushes": [],
        "error": None,
    }
    hub = Hub(base, job["code"], job["key"], args.timeout)
    try:
        hub.probe(Clock())
        for rounds in ("first", "again")[: 2 if job["twice"] else 1]:
            for number, batch in enumerate(batches):
                if time.monotonic() > deadline:
                    raise SyncError("bench_time_limit", "the run's time limit passed")
                started = time.monotonic()
                ack = hub.push(datetime.now(UTC), batch, report if number == 0 else None)
                ended = time.monotonic()
                record["pushes"].append((rounds, started, ended, len(batch), ack["accepted"], ack["duplicates"]))
    except SyncError as exc:
        record["error"] = f"{exc.code}: {exc.detail}"
    return record


def client_process(jobs, base, args, threads, deadline, barrier, results):
    """A client process: ``threads`` villages syncing at once until ``jobs`` are done.
    Waits at ``barrier`` so every process starts together; puts its records on ``results``."""
    work = queue.SimpleQueue()
    for job in jobs:
        work.put(job)
    records = []

    def run():
        while time.monotonic() < deadline:
            try:
                job = work.get_nowait()
            except queue.Empty:
                return
            records.append(sync_village(job, base, args, deadline))

    barrier.wait(timeout=STOP_TIMEOUT)
    pool = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + args.timeout)
    results.put(records)


# -- the hub, its database and its process -------------------------------------------------------


def register(url, count):
    """Create the schema and ``count`` villages; returns their jobs (index, code, key, twice)."""
    store = Store(url)
    try:
        store.migrate()
        now = datetime.now(UTC)
        jobs = []
        with store.write() as session:
            for index in range(count):
                code = f"3203{index:06d}"
                _village, key = villages.add(session, code, f"Desa Simulasi {index + 1}", now)
                jobs.append({"index": index, "code": code, "key": key, "twice": index % TWICE_EVERY == 0})
        return jobs
    finally:
        store.dispose()


def held(url):
    """What the hub's database holds: events, tickets issued (summed figures), complaints, villages heard."""
    store = Store(url)
    try:
        with store.read() as session:
            return {
                "events": session.scalar(select(func.count()).select_from(Event)),
                "issued": session.scalar(select(func.coalesce(func.sum(Day.issued), 0))),
                "complaints": session.scalar(select(func.count()).select_from(Complaint)),
                "villages": session.scalar(select(func.count()).where(Village.last_contact_at.is_not(None))),
            }
    finally:
        store.dispose()


def proc_status(pid, field):
    """A ``/proc/PID/status`` field in MB (VmRSS, VmHWM), or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid):
    """User plus system CPU time the process has used so far (``/proc/PID/stat``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_idle(seconds=1.0):
    """The share of the machine's CPU time (all cores) that was idle over the next ``seconds``."""

    def ticks():
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total

    idle, total = ticks()
    time.sleep(seconds)
    idle_after, total_after = ticks()
    return (idle_after - idle) / max(1, total_after - total)


class Sampler(threading.Thread):
    """Reads the hub's resident memory every 0.2 s until stopped; ``peak`` is the largest seen."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0.0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(0.2):
            self.peak = max(self.peak, proc_status(self.pid, "VmRSS") or 0.0)

    def stop(self):
        """Stop sampling (within 0.2 s)."""
        self.stopping.set()
        self.join(timeout=2)


def start_hub(work, url, pin):
    """Start ``python -m hub serve`` on a free loopback port (pinned to HUB_CORE); returns (process, base)."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BALAI_")}
    env.update(BALAI_HUB_DATA_DIR=str(work), BALAI_HUB_LISTEN=f"127.0.0.1:{port}", BALAI_HUB_DATABASE_URL=url)
    command = [*(["taskset", "-c", str(HUB_CORE)] if pin else []), sys.executable, "-m", "hub", "serve"]
    with open(work / "hub.log", "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/api/v1/health", process)
    except RuntimeError:
        stop(process)
        raise
    return process, base


def stop(process):
    """Terminate a process we started, killing it if it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def profiled(pid, name, folder):
    """Record process ``pid`` with py-spy while the block runs, into FOLDER/hub-NAME.txt (collapsed
    stacks), if ``folder`` is set and py-spy installed; yields the file's path, or None."""
    spy = shutil.which("py-spy") if folder else None
    if spy is None:
        if folder:
            print("py-spy is not installed (pip install py-spy): no profile", flush=True)
        yield None
        return
    path = Path(folder) / f"hub-{name}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Only the thread holding the GIL, without pausing the hub: where its one core goes.
    command = [spy, "record", "--pid", str(pid), "--gil", "--nonblocking", "--rate", "100", "--format", "raw"]
    process = subprocess.Popen([*command, "--output", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield path
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


def hot_spots(path, top=12):
    """From py-spy's collapsed stacks: (samples, the functions most often on top of the stack, the
    lines of our own code, hub/ and portal/, most often anywhere in it), each with its share."""
    leaves, ours, total = collections.Counter(), collections.Counter(), 0
    for line in path.read_text().splitlines() if path and path.exists() else []:
        stack, _space, count = line.rpartition(" ")
        frames, count = stack.split(";"), int(count)
        total += count
        leaves[frames[-1].rsplit(":", 1)[0] + ")"] += count
        for frame in set(frames):
            if frame.split("(", 1)[-1].startswith(("hub/", "portal/")):
                ours[frame] += count
    share = lambda counter: [(n / total, frame) for frame, n in counter.most_common(top)]  # noqa: E731
    return total, share(leaves), share(ours)


def run_clients(jobs, base, args, deadline):
    """Play every village from ``args.processes`` processes; returns (village records, start time)."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(args.processes + 1)
    results = context.Queue()
    threads = -(-args.clients // args.processes)
    processes = [
        context.Process(
            target=client_process, args=(jobs[n :: args.processes], base, args, threads, deadline, barrier, results)
        )
        for n in range(args.processes)
    ]
    for process in processes:
        process.start()
    records = []
    try:
        barrier.wait(timeout=STOP_TIMEOUT)
        started = time.monotonic()
        for _ in processes:
            records += results.get(timeout=max(1.0, deadline - time.monotonic()) + 2 * args.timeout)
    finally:
        for process in processes:
            process.join(timeout=STOP_TIMEOUT)
            if process.is_alive():
                process.terminate()
                process.join(timeout=STOP_TIMEOUT)
    return records, started


def measure(name, url, work, args, deadline):
    """One database's run; returns its figures."""
    jobs = register(url, args.villages)
    idle = machine_idle()  # anything else running on the machine shows in the figures
    hub, base = start_hub(work, url, not args.no_pin)
    try:
        rss_start = proc_status(hub.pid, "VmRSS")
        cpu_start = cpu_seconds(hub.pid)
        sampler = Sampler(hub.pid)
        sampler.start()
        try:
            with profiled(hub.pid, name, args.profile) as profile:
                records, started = run_clients(jobs, base, args, deadline)
        finally:
            sampler.stop()
        cpu = cpu_seconds(hub.pid) - cpu_start
        memory = {
            "start": rss_start,
            "peak": max(sampler.peak, proc_status(hub.pid, "VmHWM") or 0.0),
            "end": proc_status(hub.pid, "VmRSS"),
        }
        stored = held(url)
    finally:
        stop(hub)
    log = (work / "hub.log").read_text(errors="replace")
    figures = summarise(name, records, started, cpu, memory, stored, log.count("Traceback (most recent call last)"))
    figures["profile"] = hot_spots(profile) if profile else None
    figures["idle"] = idle
    return figures


def summarise(name, records, started, cpu, memory, stored, tracebacks):
    """The figures of one run from the villages' records."""
    pushes = [push for record in records for push in record["pushes"]]
    first = [p for p in pushes if p[0] == "first"]
    again = [p for p in pushes if p[0] == "again"]
    latencies = sorted((p[2] - p[1]) * 1000 for p in first)
    complete = [r for r in records if r["error"] is None]
    wall = max((p[2] for p in pushes), default=started) - started
    accepted = sum(p[4] for p in pushes)
    return {
        "db": name,
        "villages": len(records),
        "complete": len(complete),
        "errors": sorted({r["error"] for r in records if r["error"]}),
        "events": accepted,
        "sent_unique": sum(r["events"] for r in records),
        "issued_sent": sum(r["issued"] for r in complete),
        "complaints_sent": sum(r["complaints"] for r in complete),
        "pushes": len(first),
        "again_pushes": len(again),
        "again_events": sum(p[3] for p in again),
        "again_accepted": sum(p[4] for p in again),
        "again_duplicates": sum(p[5] for p in again),
        "wall_s": wall,
        "rate": accepted / wall if wall > 0 else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": latencies[-1] if latencies else None,
        "again_p50_ms": percentile(sorted((p[2] - p[1]) * 1000 for p in again), 50),
        "hub_cpu": cpu / wall if wall > 0 else 0.0,
        "memory": memory,
        "stored": stored,
        "tracebacks": tracebacks,
        "day_events": [r["events"] for r in records],
        "packed_kb": statistics.mean(b for r in records for b in r["packed_bytes"]) / 1024 if records else 0.0,
    }


def percentile(ordered, p):
    """The ``p``-th percentile (nearest rank) of an ascending list, or None for an empty one."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# -- the run -------------------------------------------------------------------------------------


def postgres_url():
    """(a private PostgreSQL cluster with fsync on, a fresh database URL), or (None, reason)."""
    import postgres

    if postgres.binaries() is None:
        return None, "skipped: PostgreSQL not installed (bash tests/setup-system.sh installs it)"
    try:
        cluster = postgres.Cluster(fsync=True)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        return None, f"skipped: the PostgreSQL cluster did not start ({exc})"
    return cluster, cluster.url("hub_bench")


def whole(value):
    """A figure for the table: milliseconds or megabytes, "-" when there is none."""
    return "-" if value is None else f"{value:.0f}"


def report(rows, skipped, args, pinned):
    """Print the table, then the checks and whatever went wrong."""
    placement = f"hub on core {HUB_CORE}, clients and PostgreSQL on core {LOAD_CORE}" if pinned else "unpinned"
    print(
        f"\nHub sync: {args.villages} villages, {args.clients} at once from {args.processes} client processes, "
        f"{args.batch} events per push; {os.cpu_count()} cores, {placement}"
    )
    if rows:
        days = [n for row in rows[:1] for n in row["day_events"]]
        print(
            f"a village's day: {min(days)}-{max(days)} events (mean {statistics.mean(days):.0f}), "
            f"{rows[0]['packed_kb']:.1f} KB gzip per push on average"
        )
    print(
        f"\n{'db':<11}{'villages':>9}{'events':>9}{'pushes':>7}{'wall s':>8}{'events/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>8}{'hub CPU':>8}{'RSS MB start/peak/end':>23}{'idle before':>12}"
    )
    for r in rows:
        memory = "/".join(whole(r["memory"][key]) for key in ("start", "peak", "end"))
        print(
            f"{r['db']:<11}{r['villages']:>9}{r['events']:>9}{r['pushes']:>7}{r['wall_s']:>8.1f}{r['rate']:>9.0f}"
            f"{whole(r['p50_ms']):>8}{whole(r['p99_ms']):>8}{whole(r['max_ms']):>8}{r['hub_cpu']:>8.0%}{memory:>23}"
            f"{r['idle']:>12.0%}"
        )
    for line in skipped:
        print(line)
    print()
    for r in rows:
        s = r["stored"]
        exact = r["complete"] == r["villages"] == args.villages and s["events"] == r["sent_unique"] == r["events"]
        exact = exact and s["villages"] == args.villages
        exact = exact and s["issued"] == r["issued_sent"] and s["complaints"] == r["complaints_sent"]
        verdict = "exact" if exact else "MISMATCH"
        if r["complete"] < args.villages:
            verdict = f"incomplete, {r['complete']} of {args.villages} villages finished"
        dedup = r["again_accepted"] == 0 and r["again_duplicates"] == r["again_events"]
        print(
            f"{r['db']}: the hub holds {s['events']} events from {s['villages']} villages, {r['sent_unique']} unique "
            f"sent; {s['issued']} tickets issued counted, {r['issued_sent']} sent: {verdict}"
        )
        print(
            f"{r['db']}: {r['again_pushes']} pushes sent twice ({r['again_events']} events): {r['again_duplicates']} "
            f"duplicates, {r['again_accepted']} taken again: {'ok' if dedup else 'DEDUP FAILED'} "
            f"(p50 {whole(r['again_p50_ms'])} ms)"
        )
        for error in r["errors"]:
            print(f"  village error: {error}")
        if r["tracebacks"]:
            print(f"  hub log: {r['tracebacks']} tracebacks")
    for r in rows:
        if r["profile"]:
            samples, leaves, ours = r["profile"]
            print(f"\n{r['db']}: where the hub's GIL goes (py-spy, {samples} samples); on top of the stack:")
            print("".join(f"  {part:6.1%}  {frame}\n" for part, frame in leaves), end="")
            print("  our code's lines, with what they call:")
            print("".join(f"  {part:6.1%}  {frame}\n" for part, frame in ours), end="")


def main():
    args = parse_args()
    pinned = not args.no_pin and shutil.which("taskset") and {HUB_CORE, LOAD_CORE} <= os.sched_getaffinity(0)
    args.no_pin = not pinned
    if pinned:
        os.sched_setaffinity(0, {LOAD_CORE})  # inherited by the clients and by PostgreSQL
    deadline = time.monotonic() + args.time_limit
    rows, skipped = [], []
    for name in args.db:
        if time.monotonic() > deadline:
            skipped.append(f"{name}: skipped: the time limit passed")
            continue
        with tempfile.TemporaryDirectory(prefix="balai-hub-bench-") as work:
            work = Path(work)
            cluster = None
            if name == "postgresql":
                cluster, url = postgres_url()
                if cluster is None:
                    skipped.append(f"{name}: {url}")
                    continue
            else:
                url = f"sqlite:///{work / 'hub.db'}"
            try:
                print(f"{name}: registering {args.villages} villages, then syncing...", flush=True)
                rows.append(measure(name, url, work, args, deadline))
            finally:
                if cluster is not None:
                    cluster.stop()
    report(rows, skipped, args, pinned)


if __name__ == "__main__":
    main()
