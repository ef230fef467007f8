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

The minimal base root is cached as a tarball (CACHE), so a warm run costs the installer's own
downloads only. BALAI_KEEP_CHROOT=1 keeps the tree (unmounted) for a look afterwards.
"""

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port, need
from tests.processes import stop, wait_for
from tests.test_install import snapshot_checkout

pytestmark = [pytest.mark.install, pytest.mark.slow]

MIRROR = os.environ.get("BALAI_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE = Path(os.environ.get("BALAI_TEST_CACHE", "/var/cache/balai-tests"))
ANSWERS = """# a Lite image: no desktop, so no Chromium to download; the kiosk agent prints
VILLAGE_NAME=Sukamaju
SSID=Balai Sukamaju
KIOSK=on
"""
SBIN = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MOUNTS = (("proc", "-t", "proc", "proc"), ("sys", "-t", "sysfs", "sysfs"), ("dev", "--bind", "/dev"))
SKIPPED_LIVE = (
    "network interface check",
    "reloading systemd",
    "applying the journal limits",
    "reloading udev rules",
    "reloading NetworkManager profiles",
    "bringing up the hotspot",
    "starting Balai",
    "starting the backup timer and the clock path",
    "Wi-Fi country for the running system",
    "unblocking the Wi-Fi radio",
    "checking that the portal answers",
)


def sh(*argv, timeout=120, **kwargs):
    """Run a command on this machine (bounded); its output, or a failure showing it."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    assert done.returncode == 0, f"{argv}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def base_root(root):
    """A minimal Bookworm root at root: from the cached tarball, else debootstrap (and cache it)."""
    arch = sh("dpkg", "--print-architecture").strip()
    tarball = CACHE / f"bookworm-minbase-{arch}.tar"
    root.mkdir()
    if not tarball.exists():
        started = time.monotonic()
        build = root.parent / "debootstrap"
        sh("debootstrap", "--variant=minbase", "bookworm", str(build), MIRROR, timeout=1200)
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = tarball.with_suffix(".partial")
        sh("tar", "-C", str(build), "--numeric-owner", "-cf", str(partial), ".", timeout=300)
        partial.rename(tarball)
        shutil.rmtree(build)
        print(f"\ndebootstrap of bookworm ({arch}): {time.monotonic() - started:.0f} s, cached as {tarball}")
    sh("tar", "-C", str(root), "--numeric-owner", "-xpf", str(tarball), timeout=300)


def mount_all(root):
    for name, *how in MOUNTS:
        sh("mount", *how, str(root / name))
    sh("mount", "--bind", "/dev/pts", str(root / "dev" / "pts"))


def unmount_all(root):
    """Unmount everything under root (recursively; lazily if something still holds it)."""
    for name in ("dev", "sys", "proc"):
        target = root / name
        if subprocess.run(["mountpoint", "-q", str(target)], check=False).returncode != 0:
            continue
        if subprocess.run(["umount", "-R", str(target)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-R", "-l", str(target)], capture_output=True, check=False)


def kill_leftovers(root):
    """SIGKILL every process whose root directory is this chroot (started by this test)."""
    real = os.path.realpath(root)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "root") == real:
                os.kill(int(entry.name), 9)
        except OSError:  # gone meanwhile, or not ours to read
            continue


def in_chroot(root, *argv, timeout=900):
    """Run a command inside the chroot with a clean environment; the finished process."""
    env = {"PATH": SBIN, "LANG": "C.UTF-8", "HOME": "/root", "TERM": "dumb"}
    return subprocess.run(
        ["chroot", str(root), *argv], capture_output=True, text=True, timeout=timeout, env=env, check=False
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
