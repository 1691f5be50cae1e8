"""``approval = true|false`` in campaign files and config.toml: which messages wait for an
approver (the nearest that says: message, trigger, campaign, then the channel's default)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from campaigns.errors import ValidationFailed
from campaigns.expand import expand
from campaigns.sequence import Event, start
from scheduler.config import load_config
from tests.helpers import CATALOG, VN, campaign, errors, window

HEAD = """id = "duyet"
title = "Tin cần duyệt"
{head}

[[message]]
id = "a"
at = "2026-12-10 08:00"
text = "Tin A"
channels = ["telegram:nhom-vp", "zalo:oa"]
{a}

[[message]]
id = "b"
at = "2026-12-10 09:00"
text = "Tin B"
channels = ["telegram:nhom-vp"]

[[trigger]]
id = "bao"
event = "canh-bao-bao"
{trigger}

[[trigger.message]]
id = "ngay"
at = "event"
text = "Cảnh báo"
channels = ["telegram:nhom-vp"]
{tm}
"""


def _needs(text: str, approving: frozenset[str] = frozenset()) -> dict[str, bool]:
    """Each dispatch's key → whether it waits for an approver."""
    found = campaign(text)
    catalog = replace(CATALOG, approval=approving)
    dispatches = list(expand(found, *window("2026-12-10", "2026-12-10"), catalog).dispatches())
    event = Event("canh-bao-bao", "b1", dt.datetime(2026, 12, 10, 7, tzinfo=VN), {})
    dispatches += start(found, found.triggers[0], event, catalog).dispatches
    return {f"{d.item}@{d.channel}": catalog.needs_approval(d.channel, d.approval)
            for d in dispatches}  # fmt: skip


def _file(head: str = "", a: str = "", trigger: str = "", tm: str = "") -> str:
    return HEAD.format(head=head, a=a, trigger=trigger, tm=tm)


def test_nothing_waits_unless_a_file_or_the_config_says() -> None:
    assert not any(_needs(_file()).values())


def test_the_nearest_statement_wins_message_trigger_campaign() -> None:
    text = _file(head="approval = true", a="approval = false", tm="approval = false")
    assert _needs(text) == {"a@telegram": False, "a@zalo": False, "b@telegram": True,
                            "bao.ngay@telegram": False}  # fmt: skip
    text = _file(trigger="approval = true")
    assert _needs(text)["bao.ngay@telegram"] is True
    assert _needs(text)["b@telegram"] is False


def test_a_channel_default_applies_where_no_file_says() -> None:
    needs = _needs(_file(a="approval = false"), frozenset({"zalo", "telegram"}))
    assert needs == {"a@telegram": False, "a@zalo": False, "b@telegram": True,
                     "bao.ngay@telegram": True}  # fmt: skip
    assert _needs(_file(), frozenset({"zalo"}))["a@zalo"] is True
    assert _needs(_file(), frozenset({"zalo"}))["a@telegram"] is False


@pytest.mark.parametrize(
    ("where", "line"),
    [("head", 3), ("a", 10), ("trigger", 21), ("tm", 28)],
)
def test_a_wrong_value_is_refused_with_file_and_line(where: str, line: int) -> None:
    found = errors(_file(**{where: 'approval = "có"'}))
    assert len(found) == 1
    assert found[0].startswith(f"c.toml:{line}:"), found
    assert "approval" in found[0]


CONFIG = (
    '[channels.tg]\ntype = "telegram"\ntoken_env = "LOA_TG"\n'
    '[channels.tg.targets]\nnhom = "-2001"\n[channels.zl]\ntype = "zalo_bot"\ntoken_env = "LOA_ZL"\napproval = true\n'
    '[channels.tg.bot]\nenabled = true\nadmins = ["900"]\n'
)


def test_a_channel_can_make_approval_its_default(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG + '[approval]\nchat_users = { "tg:111" = "lan", "tg:900" = "an" }\n')
    config = load_config(path)
    assert config.catalog().approval == frozenset({"zl"})
    assert config.approver_routes() == [("tg", "chat:111")]  # 900 hears it as a bot admin


@pytest.mark.parametrize("spec", ["zl:111", "tg", "khac:1"])
def test_a_chat_user_must_write_to_a_bot(tmp_path: Path, spec: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG + f'[approval.chat_users]\n"{spec}" = "lan"\n')
    with pytest.raises(ValidationFailed) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert ":14: approval.chat_users" in str(problem) and "tg" in str(problem), problem
