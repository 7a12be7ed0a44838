"""A real PostgreSQL 15 server for the tests: Debian's binaries, a cluster in a temporary
directory owned by an unprivileged user (the server refuses to run as root), listening on
127.0.0.1 on a free port with password authentication, so the hub's password handling is
exercised too. Each test gets a database of its own (``new_database``)."""

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BIN = Path(os.environ.get("FELHOM_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "felhom"
PASSWORD = "pg-test-password-3f9c"  # a test cluster's, on loopback only
_UNPRIVILEGED = "nobody"


def available() -> bool:
    return (BIN / "initdb").exists() and (BIN / "pg_ctl").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """``durable``: fsync and full-page writes on, as in production (the benchmarks' server);
    the tests' server runs without them, for speed. Commits are synchronous in both."""

    def __init__(self, *, durable: bool = False, shared_buffers: str = "64MB") -> None:
        self.durable = durable
        self.shared_buffers = shared_buffers
        self.root = Path(tempfile.mkdtemp(prefix="felhom-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._names = itertools.count(1)

    def _as_owner(self, *argv: str) -> list[str]:
        if os.geteuid() != 0:
            return list(argv)
        return ["setpriv", f"--reuid={_UNPRIVILEGED}", "--regid=nogroup", "--clear-groups", *argv]

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, _UNPRIVILEGED, "nogroup")
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD)
        if os.geteuid() == 0:
            shutil.chown(pwfile, _UNPRIVILEGED, "nogroup")
        initdb = [str(BIN / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "-E", "UTF8"]
        initdb += ["--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256"]
        initdb += [f"--pwfile={pwfile}"]
        subprocess.run(self._as_owner(*initdb), check=True, capture_output=True, timeout=120)
        self.pg_ctl("start")

    def pg_ctl(self, action: str, *extra: str) -> None:
        """``pg_ctl start`` (with this server's settings), ``stop`` …, waiting for it."""
        argv = [str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *extra]
        if action == "start":
            durability = "on" if self.durable else "off"
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port}"
                f" -c unix_socket_directories={self.root}"
                f" -c fsync={durability} -c full_page_writes={durability}"
                " -c synchronous_commit=on -c max_connections=300"
                f" -c shared_buffers={self.shared_buffers}"
            )
            argv += ["-o", options, "-l", str(self.root / "log")]
        subprocess.run(self._as_owner(*argv, action), check=True, capture_output=True, timeout=90)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The hub's ``storage.url`` form: no password (that comes from the environment)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        argv = [str(BIN / "psql"), "-h", str(self.root), "-p", str(self.port)]
        argv += ["-U", SUPERUSER, "-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]
        done = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=60)
        return done.stdout.strip()

    def new_database(self) -> str:
        """A fresh, empty database's name."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self.psql(f"CREATE DATABASE {name} TEMPLATE template0")
        return name
