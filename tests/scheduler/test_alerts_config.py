"""``[alerts]`` in config.toml: each target names a configured chat (or the bots' admins),
checked with its line like the rest of the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.errors import ValidationFailed
from scheduler.config import load_config

BASE = (
    '[channels.tg]\ntype = "telegram"\ntoken_env = "LOA_TG"\n'
    '[channels.tg.targets]\nnhom-quan-tri = "-2001"\n'
    '[channels.so]\ntype = "console"\n'
)


def load(tmp_path: Path, text: str) -> tuple[list[tuple[str, str]], list[str]]:
    path = tmp_path / "config.toml"
    path.write_text(BASE + text, "utf-8")
    try:
        return load_config(path).alert_routes(), []
    except ValidationFailed as exc:
        return [], [str(p) for p in exc.problems]


@pytest.mark.parametrize(
    ("text", "routes"),
    [
        ("", []),
        ('[alerts]\ntargets = ["tg", "so"]\n', [("tg", "nhom-quan-tri"), ("so", "")]),
        ('[channels.tg.bot]\nenabled = true\nadmins = ["111", "222"]\n[alerts]\n'
         'targets = ["admins", "tg:nhom-quan-tri"]\n',
         [("tg", "admin:111"), ("tg", "admin:222"), ("tg", "nhom-quan-tri")]),
    ],
)  # fmt: skip
def test_alert_targets(tmp_path: Path, text: str, routes: list[tuple[str, str]]) -> None:
    assert load(tmp_path, text) == (routes, [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[alerts]\ntargets = ["tg:khong-co"]\n', ":9: alerts.targets[1]"),
        ('[channels.zl]\ntype = "zalo_bot"\ntoken_env = "LOA_ZL"\n[alerts]\n'
         'targets = ["so", "zl"]\n', ":12: alerts.targets[2]"),
        ('[alerts]\ntargets = ["admins"]\n', "admins"),
        ('[alerts]\nsummary_seconds = 0\n', ":9: alerts.summary_seconds"),
        ('[alerts]\nmax_per_hour = -1\n', ":9: alerts.max_per_hour"),
        ('[alerts]\ntarget = ["so"]\n', "alerts.target"),
    ],
)  # fmt: skip
def test_wrong_alert_settings_are_reported_with_their_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    _, problems = load(tmp_path, text)
    assert len(problems) == 1 and expected in problems[0], problems
