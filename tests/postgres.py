"""A private PostgreSQL server for the hub's tests and the sync benchmark.

Debian's ``postgresql`` package (installed by ``tests/setup-system.sh``) provides the binaries; this
starts a throw-away cluster of our own in a temporary folder, listening on 127.0.0.1 and a free
port, so nothing depends on (or disturbs) a system service. PostgreSQL refuses to run as root, so
under root (CI) the cluster belongs to the package's ``postgres`` user.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time

START_TIMEOUT_S = 60


def binaries():
    """The newest installed server's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A running private cluster; ``url(name)`` creates a database and returns its SQLAlchemy URL."""

    def __init__(self, fsync=False):
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.root = tempfile.mkdtemp(prefix="balai-pg-")
        os.chmod(self.root, 0o755)  # the postgres user must reach its data folder
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        os.makedirs(self.data)
        if self.as_user:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.data, "postgres")
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "balai", "-E", "UTF8", "--locale=C", "--no-sync")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c max_connections=300"
        if not fsync:
            options += " -F"  # tests: durability is not what they test, speed is welcome
        self._run("pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.root, "log"), "-w", "-t",
                  str(START_TIMEOUT_S), "start")  # fmt: skip
        self.databases = 0

    def _run(self, program, *args):
        subprocess.run([*self.as_user, os.path.join(self.bin, program), *args], check=True, capture_output=True,
                       timeout=START_TIMEOUT_S)  # fmt: skip

    def url(self, name=None):
        """A new empty database on the cluster, as a ``postgresql+psycopg://`` URL."""
        import psycopg

        self.databases += 1
        name = name or f"hub{self.databases}_{int(time.time() * 1000) % 10**8}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=balai dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://balai@127.0.0.1:{self.port}/{name}"

    def stop(self):
        """Stop the server and delete its files."""
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
