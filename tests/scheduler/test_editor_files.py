"""The editor's writes are all or nothing: a process killed between the steps of a save leaves
the old file or the new one, never a mix, and the loader reads it as a whole file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from campaigns.loader import load_paths
from campaigns.model import ChannelCatalog
from scheduler.editor.files import write_atomic
from tests.e2e.harness import wait_for

OLD = 'id = "cu"\ntitle = "Bản cũ"\n'
NEW = 'id = "cu"\ntitle = "Bản mới"\n' + "".join(
    f'\n[[activity]]\nid = "hd-{i}"\ntitle = "Hoạt động {i}"\nstart = 2026-06-05\n'
    for i in range(2000)
)  # large enough that writing it takes several system calls

SAVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from scheduler.editor.files import write_atomic

    target, new, stop, marker = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])

    def hook(step):
        if step == stop:
            marker.write_text(step)
            sys.stdin.read()  # held here until the test kills the process

    write_atomic(target, new.read_bytes(), hook)
    """
)


@pytest.mark.parametrize(("stop", "survivor"), [("written", OLD), ("renamed", NEW)])
def test_a_save_killed_between_its_steps_leaves_the_old_file_or_the_new_one(
    tmp_path: Path, stop: str, survivor: str
) -> None:
    folder = tmp_path / "campaigns"
    folder.mkdir()
    target = folder / "cu.toml"
    target.write_text(OLD, "utf-8")
    new = tmp_path / "new.toml"
    new.write_text(NEW, "utf-8")
    marker = tmp_path / "stopped"
    saver = subprocess.Popen(
        [sys.executable, "-c", SAVER, str(target), str(new), stop, str(marker)],
        stdin=subprocess.PIPE, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    try:
        wait_for(marker.exists, 30, f"the save to stop once {stop}")
        os.kill(saver.pid, signal.SIGKILL)
        assert saver.wait(10) == -signal.SIGKILL
    finally:
        if saver.poll() is None:
            saver.kill()
            saver.wait()
        assert saver.stdin is not None
        saver.stdin.close()
    assert target.read_text("utf-8") == survivor
    result = load_paths([folder], ChannelCatalog())
    assert not result.errors
    assert [c.title for c in result.campaigns] == [survivor.splitlines()[1][9:-1]]


def test_a_save_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "cu.toml"
    target.write_text(OLD, "utf-8")
    target.chmod(0o640)

    def fail(step: str) -> None:
        raise OSError("đĩa đầy")

    with pytest.raises(OSError):
        write_atomic(target, NEW.encode(), fail)
    assert target.read_text("utf-8") == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["cu.toml"]
    write_atomic(target, NEW.encode())
    assert target.read_text("utf-8") == NEW and target.stat().st_mode & 0o777 == 0o640
