"""README's "Trying loa without real accounts" works as written, against the real fakes."""

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo

ROOT = Path(__file__).resolve().parent.parent.parent
README = (ROOT / "README.md").read_text("utf-8")
SECTION = README.split("### Trying loa without real accounts", 1)[1].split("\n## ", 1)[0]
(CHANNEL,) = re.findall(r"```toml\n(.*?)```", SECTION, re.S)
(_, CURLS) = re.findall(r"```sh\n(.*?)```", SECTION, re.S)


def curl(port_in_readme: str, port: int) -> None:
    """Run the README's curl command for the fake on ``port_in_readme``, on ``port`` instead."""
    (command,) = [c for c in re.split(r"\n(?=curl )", CURLS) if f":{port_in_readme}/" in c]
    subprocess.run(
        ["sh", "-c", command.replace(f":{port_in_readme}/", f":{port}/")],
        capture_output=True, timeout=30, check=True,
    )  # fmt: skip


def test_the_channel_and_the_chat_command_work_on_the_fake_telegram(tmp_path: Path) -> None:
    with FakeTelegram() as fake:
        fake.add_chat(-2001, "group", title="Nhóm Văn phòng")
        config = tmp_path / "config.toml"
        config.write_text(
            "[campaigns]\npaths = []\nlibrary = false\n"
            + CHANNEL.replace("http://127.0.0.1:8081", fake.url),
            "utf-8",
        )
        env = {**os.environ, "LOA_LANG": "vi", "LOA_TELEGRAM_TOKEN": fake.token}
        checked = subprocess.run(
            [sys.executable, "-c", "from scheduler.cli.commands import main; main()", "channels", "check"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
        curl("8081", fake.port)
        (update,) = fake.pending_updates()
        assert update["message"]["chat"]["id"] == -2001
        assert update["message"]["text"] == "/upcoming"


def test_the_chat_command_works_on_the_fake_zalo_bot() -> None:
    with FakeZalo().in_thread() as fake:
        curl("8700", int(fake.base_url.rsplit(":", 1)[1]))
        assert fake.pending_updates() == 1
