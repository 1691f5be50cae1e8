"""A bot's settings in config.toml are checked before the daemon starts, each problem with its
line and what to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.errors import ValidationFailed
from scheduler.config import load_config

BASE = (
    '[channels.tg]\ntype = "telegram"\ntoken_env = "LOA_TG"\n'
    '[channels.oa]\ntype = "zalo_oa"\napp_id = "1"\nsecret_env = "LOA_APP"\ntoken_env = "LOA_R"\n'
    '[channels.so]\ntype = "console"\n'
)


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "config.toml"
    path.write_text(BASE + text, "utf-8")
    try:
        load_config(path)
    except ValidationFailed as exc:
        return [str(p) for p in exc.problems]
    return []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ('[channels.tg.bot]\nenabled = true\nadmins = ["1"]\n', []),
        ('[channels.tg.bot]\nenabled = true\nmode = "webhook"\n', ["tg.bot.secret_env"]),
        (
            '[channels.tg.bot]\nenabled = true\nmode = "webhook"\nsecret_env = "LOA_UNSET"\n',
            ["LOA_UNSET"],
        ),
        (
            '[channels.tg.bot]\nenabled = true\nmode = "webhook"\nsecret_env = "LOA_SHORT"\n',
            ["8–256"],
        ),
        ('[channels.oa.bot]\nenabled = true\nsecret_env = "LOA_OA_KEY"\n', []),
        ('[channels.oa.bot]\nenabled = true\nmode = "polling"\nsecret_env = "LOA_OA_KEY"\n',
         ["webhook"]),
        ('[channels.oa.bot]\nenabled = true\n', ["oa.bot.secret_env"]),
        ('[channels.so.bot]\nenabled = true\n', ["console"]),
        ('[channels.tg.bot]\nenabled = true\npoll_seconds = 90\n', ["1–50"]),
        ('[channels.tg.bot]\nenabled = true\nmode = "hook"\n', ["tg.bot.mode"]),
        ('[channels.tg.bot]\nenable = true\n', ["enabled"]),
        ('[http]\nenabled = false\n[channels.oa.bot]\nenabled = true\nmode = "webhook"\n'
         'secret_env = "LOA_OA_KEY"\n', ["[http] enabled = true"]),
    ],
)  # fmt: skip
def test_bot_settings_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: list[str]
) -> None:
    monkeypatch.setenv("LOA_SHORT", "ngan")
    monkeypatch.setenv("LOA_OA_KEY", "khoa bi mat cua OA (chu ky)")
    monkeypatch.delenv("LOA_UNSET", raising=False)
    found = problems(tmp_path, text)
    assert len(found) == len(expected), found
    for problem, words in zip(found, expected, strict=True):
        assert words in problem and "config.toml:" in problem


def test_a_bot_makes_subscribers_a_default_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(BASE, "utf-8")
    assert load_config(path).catalog().defaults == ("so",)  # tg and oa name no chat yet
    path.write_text(BASE + "[channels.tg.bot]\nenabled = true\n", "utf-8")
    assert load_config(path).catalog().defaults == ("so", "subscribers")
    path.write_text(BASE + '[channels.tg.targets]\nnhom = "-100"\n', "utf-8")
    assert load_config(path).catalog().defaults == ("tg", "so")
    path.write_text(BASE + '[campaigns]\ndefault_channels = ["so", "subscribers"]\n', "utf-8")
    assert load_config(path).catalog().defaults == ("so", "subscribers")


def test_a_default_channel_must_name_a_chat_on_telegram_or_zalo(tmp_path: Path) -> None:
    """Messages without ``channels`` go to the defaults: a chat platform there needs a target,
    or every such message would fail with "chat_id is empty"."""
    found = problems(tmp_path, '[campaigns]\ndefault_channels = ["so", "tg", "subscribers"]\n')
    assert len(found) == 1, found
    assert "config.toml:12: campaigns.default_channels[2]: kênh 'tg' gửi tới một nhóm" in found[0]
    assert "[channels.tg.targets]" in found[0]
