"""Without a PostgreSQL server the PostgreSQL tests are skipped with the reason on a
developer's machine, and fail under ``CI=true``: never a silent pass in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_without_postgres(ci: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(LOA_POSTGRES_BIN="/nonexistent", **({"CI": ci} if ci else {}))
    # -n 0: one process, not the suite's 4 workers for two tests (the fixture skips or fails
    # the same way in a worker)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0",
         "tests/store/test_store.py", "-k", "memory"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_a_developer_without_postgresql_sees_the_tests_skipped_and_why() -> None:
    done = run_without_postgres("")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout and "1 skipped" in done.stdout
    assert "SKIPPED" in done.stdout and "tests/services/setup.sh" in done.stdout


def test_ci_without_postgresql_fails() -> None:
    done = run_without_postgres("true")
    assert done.returncode != 0
    assert "1 passed" in done.stdout and "1 error" in done.stdout and "CI=true" in done.stdout
