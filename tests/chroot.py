"""A Debian root for the install tier: built with debootstrap (cached as a tarball), entered with
chroot, and booted with systemd-nspawn, which gives it a systemd of its own as PID 1 in its own
PID, mount and network namespaces (loopback only: nothing it does reaches this machine's network,
and the nftables rules it loads stay in its namespace)."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

MIRROR = os.environ.get("BALAI_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE = Path(os.environ.get("BALAI_TEST_CACHE", "/var/cache/balai-tests"))
SBIN = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MOUNTS = (("proc", "-t", "proc", "proc"), ("sys", "-t", "sysfs", "sysfs"), ("dev", "--bind", "/dev"))
CLEAN_ENV = {"PATH": SBIN, "LANG": "C.UTF-8", "HOME": "/root", "TERM": "dumb"}


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
    return subprocess.run(
        ["chroot", str(root), *argv], capture_output=True, text=True, timeout=timeout, env=CLEAN_ENV, check=False
    )


class Machine:
    """The root booted by systemd-nspawn, as a Pi boots its SD card: ``boot``, then run commands
    inside it with ``run``; ``power_cut`` kills everything in it at once (SIGKILL to its PID 1),
    ``shut_down`` powers it off cleanly. Its console goes to ``log``."""

    def __init__(self, root, log):
        self.root, self.log = root, log
        self.nspawn = None
        self.leader = None

    def boot(self, timeout=120):
        """Boot the root and wait until systemd has finished starting it; its state
        (``running``, or ``degraded`` when a unit failed)."""
        argv = ["systemd-nspawn", "--directory", str(self.root), "--boot", "--private-network"]
        argv += ["--register=no", "--keep-unit", "--quiet", "--console=read-only"]
        with open(self.log, "ab") as out:
            self.nspawn = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        children = Path(f"/proc/{self.nspawn.pid}/task/{self.nspawn.pid}/children")
        while self.leader is None:
            assert self.nspawn.poll() is None, f"systemd-nspawn exited:\n{self.log.read_text(errors='replace')}"
            assert time.monotonic() < deadline, "systemd-nspawn started no container"
            found = children.read_text().split() if children.exists() else []
            self.leader = int(found[0]) if found else None
            time.sleep(0.1)
        # --wait returns once the boot has finished; until systemd answers at all, try again.
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"the container did not finish booting:\n{self.log.read_text(errors='replace')}"
            state = self.run("systemctl", "is-system-running", "--wait", timeout=left).stdout.strip()
            if state in ("running", "degraded"):
                return state
            time.sleep(0.5)

    def run(self, *argv, timeout=120):
        """Run a command inside the booted root, with a clean environment; the finished process."""
        argv = [
            "nsenter",
            "--target",
            str(self.leader),
            "--all",
            "env",
            "-i",
            *[f"{k}={v}" for k, v in CLEAN_ENV.items()],
            *argv,
        ]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)

    def power_cut(self):
        """Everything in the machine dies at once, with no chance to write anything more."""
        os.kill(self.leader, signal.SIGKILL)
        self._ended()

    def shut_down(self, timeout=60):
        """Power off cleanly; a power cut when that takes longer than ``timeout`` seconds."""
        if self.nspawn is None or self.nspawn.poll() is not None:
            return
        self.run("systemctl", "poweroff", "--no-block", timeout=30)
        try:
            self.nspawn.wait(timeout)
            self._ended()
        except subprocess.TimeoutExpired:
            self.power_cut()

    def _ended(self):
        self.nspawn.wait(30)
        self.nspawn = self.leader = None
