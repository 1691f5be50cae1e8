"""Services the tests share: a throwaway PostgreSQL server, and the store on both backends.

The store tests run the same cases on SQLite and on PostgreSQL (``store_url`` and the ``db``
fixtures that build on it), as APScheduler 4 runs its data-store tests over every backend.
The server is started once per session from Debian's packages (``tests/services/setup.sh``
installs them), in a temporary folder, on a free port of 127.0.0.1, as a user other than root
(PostgreSQL refuses to run as root). Each test gets a database of its own, copied from a
template that is migrated once. Without PostgreSQL the PostgreSQL cases are skipped with the
reason, except under ``CI=true``, where a missing server is a failure.

The suite runs in several pytest-xdist workers (pyproject's ``addopts``). A session fixture is
per worker, so each worker that reaches a PostgreSQL test starts a server of its own (about
2 s): no worker waits on another's server or shares its connections (the scale-out tests run
several daemons against one server), and a server never outlives the worker that stops it.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.store import BACKENDS

TEMPLATE = "loa_template"


class PostgresUnavailable(Exception):
    """PostgreSQL cannot be found or started here; the message says why and what to do."""


def _bin_dir() -> Path:
    """Where initdb and pg_ctl are: ``LOA_POSTGRES_BIN`` when set (PostgreSQL installed
    elsewhere), else Debian's newest version, else the PATH."""
    chosen = os.environ.get("LOA_POSTGRES_BIN")
    if chosen:
        found = [str(Path(chosen) / "initdb")] if (Path(chosen) / "initdb").exists() else [""]
    else:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version) or [
            shutil.which("initdb") or ""
        ]
    if not found[-1]:
        raise PostgresUnavailable(
            f"PostgreSQL is not installed{f' in {chosen}' if chosen else ''}: run "
            "`bash tests/services/setup.sh` as root (or `sudo apt-get install -y postgresql`)"
        )
    return Path(found[-1]).parent


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, alive for the test session (of one
    xdist worker, ``name``)."""

    def __init__(self, name: str = "main") -> None:
        self.bin = _bin_dir()
        # under /tmp when root: the server runs as `postgres`, who must reach the folder
        self.root = Path(
            tempfile.mkdtemp(prefix=f"loa-pg-{name}-", dir="/tmp" if os.geteuid() == 0 else None)
        )
        self.data = self.root / "data"
        self.port = _free_port()
        self._user: list[str] = []
        self._counter = itertools.count()
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root and there is no `postgres` user to run the server as"
                ) from None
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [*self._user, *command], capture_output=True, text=True, cwd=self.root, check=False
        )
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"`{' '.join(command)}` failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-800:]}"
            )

    def start(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--no-sync", "--encoding=UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        for attempt in itertools.count(1):
            log = self.root / f"log-{attempt}"
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
                "-c shared_buffers=32MB"
            )
            try:
                self._run(
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(log),
                    "-o", options, "-w", "-t", "30", "start",
                )  # fmt: skip
                return
            except PostgresUnavailable:
                # the free port was taken between probing and binding (another worker's server
                # or fake started meanwhile): try another, as the Radicale fixture does
                taken = log.exists() and "could not bind" in log.read_text("utf-8", "replace")
                if not taken or attempt == 3:
                    raise
                self.port = _free_port()

    def stop(self) -> None:
        with contextlib.suppress(PostgresUnavailable):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def migrate_template(self) -> None:
        """The database ``TEMPLATE``, migrated to head, that each test's database copies."""
        from scheduler.store.db import migrate, open_engine

        self.admin(f"create database {TEMPLATE} template template0")
        engine = open_engine(self.url(TEMPLATE))
        migrate(engine)
        engine.dispose()

    def create_database(self, template: str = "template0") -> str:
        """A new database (a copy of ``template``), named for this session only."""
        name = f"loa_{next(self._counter)}"
        self.admin(f"create database {name} template {template}")
        return name


@pytest.fixture(scope="session")
def postgres(worker_id: str) -> Iterator[PostgresServer]:
    """The session's (the xdist worker's) PostgreSQL server, with the template database
    migrated to head."""
    started = time.monotonic()
    server: PostgresServer | None = None
    try:
        server = PostgresServer(worker_id)
        server.start()
        server.migrate_template()
    except (PostgresUnavailable, ImportError, OSError) as exc:
        if server is not None:
            server.stop()
        reason = f"PostgreSQL store tests: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: the PostgreSQL tests must run)", pytrace=False)
        pytest.skip(reason)
    print(f"\nPostgreSQL started and migrated in {time.monotonic() - started:.2f} s")
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new database migrated to head, on each backend in turn."""
    if backend == "sqlite":
        from scheduler.store.db import migrate, open_engine

        url = f"sqlite:///{tmp_path / 'loa.db'}"
        engine = open_engine(url)
        migrate(engine)
        engine.dispose()
        return url
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.url(server.create_database(TEMPLATE))


@pytest.fixture
def empty_store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty database (no schema yet), on each backend in turn."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.url(server.create_database())


@pytest.fixture
def db(store_url: str) -> Iterator[Engine]:
    """The store, migrated to head, on SQLite and on PostgreSQL in turn."""
    from scheduler.store.db import open_engine

    engine = open_engine(store_url)
    yield engine
    engine.dispose()


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own hook
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The timed lane (tests/e2e/harness.py's ``TIMED``) first: its tests run one after another
    on one worker, the longest chain in the suite, so it starts while the other workers share
    out the rest rather than trailing at the end."""
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)
    _name_the_group(config, items)


def _name_the_group(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A worker tells the xdist controller a test's ``xdist_group`` by the ``@group`` that ends
    the test's id. pytest-xdist 3.8 writes it to a field pytest 9.2 no longer reads, so the
    groups were silently ignored and the timed lane's tests ran side by side
    (pytest-dev/pytest-xdist#1386, fix not yet released); write it where pytest 9.2 reads it,
    unless xdist's own write took (older pytest)."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        mark = item.get_closest_marker("xdist_group")
        if mark is None:
            continue
        name = str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        if not item.nodeid.endswith(f"@{name}"):
            from _pytest.nodeid import NodeId  # pytest 9.2's structured ids

            item._id = NodeId.parse(f"{item.nodeid}@{name}")
