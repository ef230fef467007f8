"""The Raspberry Pi installer for real: debootstrap a Debian Bookworm root, run
deploy/raspberrypi/install.sh inside it (chroot, no ``--root``: it apt-gets its packages, creates
the balai user, builds the venv from PyPI, migrates, renders the voice clips), then start the
installed portal from the installed venv as the balai user, the way balai-portal.service does,
and fetch pages from it.

The root has this machine's architecture (x86_64 here), not the Pi's arm64: the installer's
logic is the same on both, and Chromium and labwc are not exercised (the answers describe a Lite
image: the kiosk is on, so the kiosk agent is registered, but there is no desktop for a screen).
A chroot has no running systemd, NetworkManager or hardware: the installer reports those steps
as skipped, and the test checks that it says so. Like any image build, the chroot gets a
``policy-rc.d`` so package scripts do not start daemons (chronyd would set this machine's clock),
and this machine's extra certificate authorities (/usr/local/share/ca-certificates), so PyPI is
reached the way this machine reaches it.

Then the installed root is booted with systemd-nspawn (tests/chroot.py: its own systemd, a private
network namespace with loopback only, no CAP_SYS_TIME so chronyd cannot touch this machine's
clock): the units start at boot, confined; a backup is made by its unit; a power cut loses
nothing; and install.sh --upgrade installs a release tarball made by release.sh with no network,
then rolls back a release whose portal cannot start.

The minimal base root is cached as a tarball (CACHE), so a warm run costs the installer's own
downloads only. BALAI_KEEP_CHROOT=1 keeps the tree (unmounted) for a look afterwards, with the
console's and the installer's output beside it.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.chroot import SBIN, Machine, base_root, in_chroot, kill_leftovers, mount_all, sh, unmount_all
from tests.conftest import free_port, need
from tests.processes import stop, wait_for
from tests.test_install import snapshot_checkout

pytestmark = [pytest.mark.install, pytest.mark.slow]

ANSWERS = """# a Lite image: no desktop, so no Chromium to download; the kiosk agent prints
VILLAGE_NAME=Sukamaju
SSID=Balai Sukamaju
KIOSK=on
OFFICE_HTTPS=on
"""
SKIPPED_LIVE = (
    "network interface check",
    "reloading systemd",
    "applying the journal limits",
    "reloading udev rules",
    "reloading NetworkManager profiles",
    "bringing up the hotspot",
    "starting Balai",
    "starting the backup timer, the clock and restore paths",
    "Wi-Fi country for the running system",
    "unblocking the Wi-Fi radio",
    "checking that the portal answers",
)


@pytest.fixture(scope="module")
def chroot(tmp_path_factory):
    """A Bookworm root, mounted, with a snapshot of this checkout in /root/balai-src and the answers
    in /root/answers.conf; unmounted and removed afterwards (unless BALAI_KEEP_CHROOT is set)."""
    need(
        os.geteuid() == 0 and shutil.which("debootstrap") and shutil.which("chroot"),
        "the install tier needs root, debootstrap and chroot (tests/setup-system.sh)",
    )
    base = tmp_path_factory.mktemp("chroot")
    root = base / "root"
    try:
        base_root(root)
        shutil.copy2("/etc/resolv.conf", root / "etc" / "resolv.conf")
        policy = root / "usr" / "sbin" / "policy-rc.d"
        policy.write_text("#!/bin/sh\n# no daemons from package scripts in a chroot\nexit 101\n")
        policy.chmod(0o755)
        # The certificate authorities this machine trusts on top of Debian's (a TLS-inspecting
        # egress proxy's, say): ca-certificates adds them when the installer installs it.
        extra_cas = root / "usr" / "local" / "share" / "ca-certificates"
        if Path("/usr/local/share/ca-certificates").is_dir():
            shutil.copytree("/usr/local/share/ca-certificates", extra_cas, dirs_exist_ok=True)
        snapshot_checkout(root / "root" / "balai-src")
        (root / "root" / "answers.conf").write_text(ANSWERS)
        mount_all(root)
        yield root
    finally:
        kill_leftovers(root)
        unmount_all(root)
        if os.environ.get("BALAI_KEEP_CHROOT"):
            print(f"\nkept the chroot at {root} (BALAI_KEEP_CHROOT)")
        else:
            # Never follow a mount that failed to come off: delete only when nothing is mounted.
            mounted = sh("findmnt", "-rn", "-o", "TARGET")
            assert str(root) not in mounted, f"still mounted under {root}:\n{mounted}"
            shutil.rmtree(base)


@pytest.fixture(scope="module")
def installed(chroot):
    """install.sh run for real inside the chroot: (root, its output, seconds it took)."""
    started = time.monotonic()
    done = in_chroot(chroot, "bash", "/root/balai-src/deploy/raspberrypi/install.sh", "--answers", "/root/answers.conf")
    took = time.monotonic() - started
    (chroot.parent / "install.log").write_text(done.stdout + done.stderr)
    print(f"\ninstall.sh in the chroot: exit {done.returncode} after {took:.0f} s")
    assert done.returncode == 0, done.stdout + done.stderr
    return chroot, done.stdout, took


def test_installs_for_real(installed):
    """Does the installer install everything it can in a chroot and say which steps it skipped?"""
    root, output, _ = installed
    for what in SKIPPED_LIVE:
        assert f"skipped: {what} (no running systemd: chroot or container)" in output, what
    assert "downloading from the Debian/Raspberry Pi OS mirrors:" in output
    assert "Balai is installed (release" in output
    for package in ("python3-venv", "nftables", "dnsmasq-base", "espeak-ng", "libusb-1.0-0", "conntrack", "chrony"):
        assert "install ok installed" in in_chroot(root, "dpkg-query", "-W", "-f=${Status}", package).stdout, package
    for path in (  # seen from inside: the links are absolute paths on the installed system
        "/etc/systemd/system/balai-portal.service",
        "/etc/NetworkManager/system-connections/balai-hotspot.nmconnection",
        "/etc/balai/balai.conf",
        "/opt/balai/current/venv/bin/python",
        "/usr/local/bin/balai",
    ):
        assert in_chroot(root, "test", "-e", path).returncode == 0, path
    owners = in_chroot(
        root, "stat", "-c", "%U:%G %a", "/var/lib/balai", "/etc/balai/balai.conf", "/var/lib/balai/balai.db"
    )
    assert owners.stdout.split("\n")[:2] == ["balai:balai 750", "root:balai 640"], owners.stdout
    assert owners.stdout.split("\n")[2].startswith("balai:balai "), owners.stdout
    assert in_chroot(root, "test", "-s", "/var/lib/balai/kiosk-token").returncode == 0
    # The voice clips were rendered with espeak-ng (not the "no voice clips" fallback).
    assert "no voice clips" not in output
    # systemctl enable works without a running systemd: the units are linked for the next boot.
    assert (root / "etc/systemd/system/multi-user.target.wants/balai-portal.service").is_symlink()


def test_rerun_repairs_and_changes_nothing(installed):
    """Does a second run find everything in place (packages, release, venv) and still succeed?"""
    root, _, first_took = installed
    started = time.monotonic()
    done = in_chroot(root, "bash", "/root/balai-src/deploy/raspberrypi/install.sh")
    print(f"\nsecond run: {time.monotonic() - started:.0f} s (first: {first_took:.0f} s)")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all present:" in done.stdout
    assert "is already copied" in done.stdout
    assert "its Python environment is complete" in done.stdout
    assert "downloading" not in done.stdout


def test_installed_portal_serves(installed):
    """Does the installed portal start from the installed venv as the balai user and serve pages?"""
    root = installed[0]
    port, admin_port = free_port(), free_port()
    env = {"PATH": SBIN, "LANG": "C.UTF-8"}
    argv = ["chroot", str(root), "runuser", "-u", "balai", "--", "env", "-C", "/opt/balai/current"]
    argv += ["BALAI_CONFIG=/etc/balai/balai.conf", "PYTHONDONTWRITEBYTECODE=1"]
    argv += [f"BALAI_LISTEN=127.0.0.1:{port}", f"BALAI_ADMIN_LISTEN=127.0.0.1:{admin_port}"]
    argv += ["/opt/balai/current/venv/bin/python", "-m", "portal", "serve"]
    log = root.parent / "portal.log"
    with open(log, "wb") as out:
        portal = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)

    def fetch(path, listen=port):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{listen}{path}", timeout=5) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def answers():
        assert portal.poll() is None, f"the portal exited: {log.read_text(errors='replace')}"
        try:
            return fetch("/api/v1/services")
        except OSError:
            return None

    try:
        wait_for(answers, timeout=60, what="the installed portal to answer")
        status, page = fetch("/")
        assert status == 200, page
        # The phone portal's home page in Indonesian: the installer compiled the catalogues.
        assert '<html lang="id">' in page and "Antrean hari ini" in page, page
        assert "Sukamaju" in page  # the installer's answer became the village's name
        # Loopback is not a hotspot phone: the captive check answers "online".
        assert fetch("/generate_204")[0] == 204
        status, page = fetch("/admin/login", admin_port)
        assert status == 200, page
    finally:
        stop(portal)
        kill_leftovers(root)


# --- booted: the installed root started by systemd-nspawn, as a Pi starts from its SD card ---

RUNNING_UNITS = (
    "balai-portal.service",
    "balai-worker.service",
    "balai-firewall.service",
    "balai-kiosk-agent.service",
    "balai-backup.timer",
    "balai-set-time.path",
    "balai-restore.path",
    "nginx.service",
)


@pytest.fixture(scope="module")
def machine(installed):
    """The installed root, booted (after the chroot tests: nspawn mounts /proc, /sys and /dev itself)."""
    root = installed[0]
    need(shutil.which("systemd-nspawn"), "booting the installed root needs systemd-nspawn (tests/setup-system.sh)")
    kill_leftovers(root)
    unmount_all(root)
    booted = Machine(root, root.parent / "console.log")
    try:
        state = booted.boot()
        assert state == "running", booted.run("systemctl", "--failed", "--no-pager").stdout
        yield booted
    finally:
        booted.shut_down()


def fetch(machine, path, *curl, port=8080):
    """(status, body) of an HTTP request to the portal made inside the machine with curl; status
    0 and curl's complaint when nothing answered."""
    url = f"http://127.0.0.1:{port}{path}"
    done = machine.run("curl", "-sS", "--max-time", "10", "-w", "\n%{http_code}", *curl, url)
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body + done.stderr


def send_complaint(machine, text):
    """A complaint sent through the public API: its tracking code."""
    payload = json.dumps({"category": "infrastructure", "text": text})
    status, body = fetch(machine, "/api/v1/complaints", "-H", "Content-Type: application/json", "--data", payload)
    assert status == 201, body
    return json.loads(body)["tracking_code"]


def complaint_text(machine, code):
    status, body = fetch(machine, f"/api/v1/complaints/{code}")
    assert status == 200, body
    return json.loads(body)["text"]


def assert_balai_runs(machine):
    """Every Balai unit active (within a minute: just after a boot or a restore, they may be starting),
    nothing failed, and the portal answering."""

    def states():
        return machine.run("systemctl", "is-active", *RUNNING_UNITS).stdout.split()

    try:
        wait_for(lambda: states() == ["active"] * len(RUNNING_UNITS), timeout=60, what="Balai's units")
    except AssertionError:
        raise AssertionError(dict(zip(RUNNING_UNITS, states(), strict=False))) from None
    assert machine.run("systemctl", "--failed", "--plain", "--no-legend").stdout.strip() == ""
    wait_for(lambda: fetch(machine, "/api/v1/services")[0] == 200, timeout=30, what="the portal after boot")


def test_boot_starts_balai(machine):
    """After a boot, do Balai's services run, answer on both listeners, and load the captive rules?"""
    assert_balai_runs(machine)
    status, page = fetch(machine, "/")
    assert status == 200 and "Sukamaju" in page
    # The console over HTTPS (OFFICE_HTTPS=on): nginx on 8443 with the certificate made at install,
    # 8081 sends there; no official exists yet, so the first-run setup opens, with a Secure cookie.
    status, page = fetch(machine, "/admin/login", "-D", "-", port=8081)
    assert status == 301 and "Location: https://127.0.0.1:8443/admin/login" in page, page
    done = machine.run("curl", "-sS", "-k", "-D", "-", "-o", "/dev/null", "https://127.0.0.1:8443/admin/setup/village")
    assert done.stdout.startswith("HTTP/1.1 200"), done.stdout + done.stderr
    assert "Secure" in done.stdout and "HttpOnly" in done.stdout, done.stdout
    certificate = machine.run("openssl", "x509", "-noout", "-enddate", "-in", "/etc/balai/tls/office.crt")
    assert certificate.returncode == 0, certificate.stderr
    assert "set accepted" in machine.run("nft", "list", "table", "inet", "balai").stdout
    # The captive resolver listens on the hotspot's address, which only a Wi-Fi chip brings up:
    # here it waits (systemd retries it), it does not fail.
    dns = machine.run("systemctl", "show", "--property=ActiveState,Result", "balai-captive-dns.service").stdout
    assert "ActiveState=failed" not in dns, dns


def test_services_run_confined(machine):
    """Do the portal, worker and kiosk agent run as balai with no privileges, in a read-only system?"""
    uid = machine.run("id", "-u", "balai").stdout.strip()
    for unit in ("balai-portal.service", "balai-worker.service", "balai-kiosk-agent.service"):
        pid = machine.run("systemctl", "show", "--property=MainPID", "--value", unit).stdout.strip()
        status = dict(
            line.split(":\t", 1)
            for line in machine.run("cat", f"/proc/{pid}/status").stdout.splitlines()
            if ":\t" in line
        )
        assert status["Uid"].split()[:2] == [uid, uid], (unit, status["Uid"])
        assert status["NoNewPrivs"] == "1", unit
        assert int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0, unit
    # Even root, in the portal's view of the files (ProtectSystem=strict), cannot change the
    # application or the configuration; only /var/lib/balai is writable.
    portal = machine.run("systemctl", "show", "--property=MainPID", "--value", "balai-portal.service").stdout.strip()
    for path in ("/opt/balai/current/portal/x", "/etc/balai/x", "/usr/local/bin/x"):
        done = machine.run("nsenter", "--target", portal, "--mount", "touch", path)
        assert done.returncode != 0 and "Read-only file system" in done.stderr, (path, done.stderr)
    exposure = machine.run("systemd-analyze", "security", "--no-pager", "balai-portal.service").stdout
    print("\n" + exposure.strip().splitlines()[-1])  # "→ Overall exposure level for ...: 2.1 OK"


def test_backup_unit_writes_a_backup_that_restores(machine):
    """Does the nightly backup unit, run as the timer runs it, write a backup that checks out?"""
    done = machine.run("systemctl", "start", "balai-backup.service")
    assert done.returncode == 0, machine.run("journalctl", "-u", "balai-backup", "--no-pager").stdout
    files = machine.run("find", "/var/lib/balai/backups", "-type", "f", "-printf", "%u %m %p\n").stdout.split()
    assert len(files) == 3 and files[:2] == ["balai", "600"], files
    check = machine.run("balai", "restore", files[2], "--check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_restore_service_puts_a_backup_back(machine):
    """The console's restore, as the root unit runs it: a request names a staged backup; the path
    unit starts balai-restore, which stops Balai, restores, starts it again and reports."""
    kept = send_complaint(machine, "Tiang listrik miring di dekat sekolah dasar, mohon diperiksa.")
    assert machine.run("systemctl", "start", "balai-backup.service").returncode == 0
    newest = machine.run("sh", "-c", "ls -1 /var/lib/balai/backups/*.balai-backup | tail -n 1").stdout.strip()
    after = send_complaint(machine, "Complaint sent after the backup: the restore takes it away.")
    staged = "0123456789abcdef.balai-backup"
    as_balai = ("runuser", "-u", "balai", "--")
    assert machine.run(*as_balai, "cp", newest, f"/var/lib/balai/restore/{staged}").returncode == 0
    folder = "/var/lib/balai/restore"
    request = f"printf 'backup={staged}\\n' > {folder}/.request && mv {folder}/.request {folder}/request"
    assert machine.run(*as_balai, "sh", "-c", request).returncode == 0
    wait_for(
        lambda: machine.run("test", "-s", "/var/lib/balai/restore/result").returncode == 0,
        timeout=180,
        what="the restore service's result",
    )
    result = machine.run("cat", "/var/lib/balai/restore/result").stdout
    assert result.startswith("outcome=ok\n"), (
        result + machine.run("journalctl", "-u", "balai-restore", "--no-pager").stdout
    )
    assert_balai_runs(machine)
    assert complaint_text(machine, kept).startswith("Tiang listrik miring")
    assert fetch(machine, f"/api/v1/complaints/{after}")[0] == 404


def test_power_cut_loses_nothing(machine):
    """Does a complaint sent just before the power goes survive it, with Balai back after the boot?"""
    code = send_complaint(machine, "Lampu jalan di depan balai padam sejak kemarin malam.")
    machine.power_cut()
    assert machine.boot() == "running", machine.run("systemctl", "--failed", "--no-pager").stdout
    assert_balai_runs(machine)
    assert complaint_text(machine, code) == "Lampu jalan di depan balai padam sejak kemarin malam."


# --- upgrades, on the booted machine, from release tarballs (offline: the root has no network) ---


def current_release(machine):
    links = machine.run("readlink", "/opt/balai/current", "/opt/balai/previous").stdout.split()
    return links + [None] * (2 - len(links))


@pytest.fixture(scope="module")
def release(machine, tmp_path_factory):
    """A newer release, built by release.sh for this machine's architecture from a copy of this
    checkout with one change, unpacked in the root: its path inside the machine."""
    work = tmp_path_factory.mktemp("release")
    install_sh = snapshot_checkout(work / "checkout")
    with open(work / "checkout" / "portal" / "__init__.py", "a") as init:
        init.write("# a newer release\n")
    arch = sh("dpkg", "--print-architecture").strip()
    built = sh(
        "bash",
        str(install_sh.parent / "release.sh"),
        "--arch",
        arch,
        "--out",
        str(work),
        timeout=600,
        env={**os.environ, "PYTHON": sys.executable},
    )
    tarball = next(work.glob(f"balai-*-{arch}.tar.gz"))
    print(f"\n{built.splitlines()[-3]}")
    sh("tar", "-C", str(machine.root / "root"), "-xzf", str(tarball))
    # The uplink and hotspot interfaces the installer checks for: a veth pair inside the machine's
    # own network namespace (no Wi-Fi here, so the hotspot does not come up; the installer warns).
    ip = ("nsenter", "--target", str(machine.leader), "--net", "ip", "link")
    sh(*ip, "add", "eth0", "type", "veth", "peer", "name", "wlan0")
    return "/root/" + tarball.name.removesuffix(".tar.gz")


def upgrade(machine, release_dir):
    done = machine.run("bash", f"{release_dir}/deploy/raspberrypi/install.sh", "--upgrade", timeout=900)
    (machine.root.parent / f"upgrade-{Path(release_dir).name}.log").write_text(done.stdout + done.stderr)
    return done


def test_upgrade_from_a_release_without_internet(machine, release):
    """Does --upgrade install a release tarball with no network at all, migrate, restart and keep
    the data, keeping the old release for a rollback?"""
    code = send_complaint(machine, "Selokan di RT 03 tersumbat sampah, mohon dibersihkan.")
    before = current_release(machine)[0]
    done = upgrade(machine, release)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "from this release's wheels (no download)" in done.stdout
    assert "downloading" not in done.stdout
    assert f"upgrading from {before} to releases/" in done.stdout
    assert "the portal answers on http://127.0.0.1:8080" in done.stdout
    current, previous = current_release(machine)
    assert previous == before and current != before
    assert_balai_runs(machine)
    assert complaint_text(machine, code) == "Selokan di RT 03 tersumbat sampah, mohon dibersihkan."


def test_failed_upgrade_rolls_back(machine, release):
    """A release whose migration works but whose portal cannot start: is the old release running
    again, on the database as it was before the migration, with nothing lost?"""
    code = send_complaint(machine, "Jembatan bambu di dusun dua mulai goyah, berbahaya bagi anak sekolah.")
    before = current_release(machine)[0]
    broken = machine.root / "root" / "broken"
    shutil.copytree(machine.root / release.lstrip("/"), broken)
    with open(broken / "portal" / "server.py", "a") as server:
        server.write('\nraise RuntimeError("a release that cannot serve, on purpose")\n')
    versions = broken / "portal" / "migrations" / "versions"
    head = max(path.name[:4] for path in versions.glob("[0-9]*.py"))
    (versions / "9999_upgrade_probe.py").write_text(
        f'"""upgrade probe"""\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = "9999"\n'
        f'down_revision = "{head}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        'def upgrade():\n    op.create_table("upgrade_probe", sa.Column("id", sa.Integer(), primary_key=True))\n'
    )
    done = upgrade(machine, "/root/broken")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"error: the portal stopped right after starting: rolling back to {before}" in done.stdout
    assert "the previous version answers on http://127.0.0.1:8080" in done.stdout
    assert "runs again, with the database as it was before" in done.stderr
    assert current_release(machine)[0] == before
    assert_balai_runs(machine)
    tables = machine.run(
        "/opt/balai/current/venv/bin/python",
        "-c",
        "import sqlite3; db = sqlite3.connect('/var/lib/balai/balai.db');"
        "print(*[r[0] for r in db.execute('select name from sqlite_master')]);"
        "print(db.execute('select version_num from alembic_version').fetchone()[0])",
    ).stdout.splitlines()
    assert "upgrade_probe" not in tables[0].split() and tables[1] == head, tables
    assert complaint_text(machine, code).startswith("Jembatan bambu")
