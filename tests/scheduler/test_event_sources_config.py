"""``[events.sources.NAME]`` in config.toml: each source names the variable holding its own
bearer token, checked with its line like the rest of the file; a variable that is not set is
an error (a source that would answer 401 to everything is said at once, not found later)."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.errors import ValidationFailed
from scheduler.config import load_config

TOKEN = "quan-trac-bi-mat-0123456789"


def load(tmp_path: Path, text: str) -> tuple[dict[str, str], list[str]]:
    path = tmp_path / "config.toml"
    path.write_text('[channels.so]\ntype = "console"\n' + text, "utf-8")
    try:
        config = load_config(path)
    except ValidationFailed as exc:
        return {}, [str(p) for p in exc.problems]
    return config.event_tokens(), []


@pytest.fixture(autouse=True)
def tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOA_EVENTS_TOKEN_QUAN_TRAC", TOKEN)
    monkeypatch.setenv("LOA_EVENTS_TOKEN_NGAN", "ngan")
    monkeypatch.delenv("LOA_EVENTS_TOKEN_KHONG_CO", raising=False)


def test_a_source_and_its_token(tmp_path: Path) -> None:
    text = '[events.sources.quan-trac]\ntoken_env = "LOA_EVENTS_TOKEN_QUAN_TRAC"\n'
    assert load(tmp_path, text) == ({"quan-trac": TOKEN}, [])
    assert load(tmp_path, "") == ({}, [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[events.sources.quan-trac]\ntoken_env = "LOA_EVENTS_TOKEN_KHONG_CO"\n',
         ":4: events.sources.quan-trac.token_env: biến môi trường LOA_EVENTS_TOKEN_KHONG_CO"),
        ('[events.sources.quan-trac]\ntoken_env = "LOA_EVENTS_TOKEN_NGAN"\n',
         ":4: events.sources.quan-trac.token_env: mã bí mật trong LOA_EVENTS_TOKEN_NGAN"),
        ('[events.sources.quan-trac]\ntoken_env = "LOA_EVENTS_TOKEN_QUAN_TRAC"\n'
         '[events.sources.ban-sao]\ntoken_env = "LOA_EVENTS_TOKEN_QUAN_TRAC"\n',
         ":6: events.sources.ban-sao.token_env: nguồn 'quan-trac' dùng cùng mã"),
        ('[events.sources."Quan Trắc"]\ntoken_env = "LOA_EVENTS_TOKEN_QUAN_TRAC"\n',
         ':3: events.sources.Quan Trắc'),
        ('[events.sources.quan-trac]\ntoken = "bi-mat"\n', ":4: events.sources.quan-trac.token"),
    ],
)  # fmt: skip
def test_a_source_at_fault_is_named_with_its_line(tmp_path: Path, text: str, expected: str) -> None:
    tokens, problems = load(tmp_path, text)
    assert tokens == {}
    assert any(expected in p for p in problems), problems
    assert not any(TOKEN in p or "ngan'" in p for p in problems)  # a token is never quoted


def test_the_tokens_are_kept_out_of_the_logs(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[events.sources.quan-trac]\ntoken_env = "LOA_EVENTS_TOKEN_QUAN_TRAC"\n')
    assert TOKEN in load_config(path).secret_values()
