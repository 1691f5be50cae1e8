"""``loa trigger`` over any arguments: a clear error or the event taken whole, never a
traceback, never half an event in the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from scheduler.cli import commands
from scheduler.store.db import migrate, open_engine
from scheduler.store.tables import Delivery, EventRecord
from tests.campaigns.test_triggers import STORM

D = Delivery.__table__  # type: ignore[attr-defined]
E = EventRecord.__table__  # type: ignore[attr-defined]
MESSAGES = 3  # STORM's messages, to the one console channel


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("office")
    (root / "campaigns").mkdir()
    (root / "campaigns" / "bao.toml").write_text(
        STORM.replace('"telegram:nhom-vp"', '"console"').replace(
            '["console", "telegram:kenh-tinh"]', '["console"]'
        ),
        "utf-8",
    )
    (root / "config.toml").write_text(
        'timezone = "Asia/Ho_Chi_Minh"\n[database]\nurl = "sqlite:///loa.db"\n'
        '[campaigns]\npaths = ["campaigns"]\nlibrary = false\n[channels.console]\ntype = "console"\n',
        "utf-8",
    )
    engine = open_engine(f"sqlite:///{root / 'loa.db'}")
    migrate(engine)
    engine.dispose()
    yield root


def stored(root: Path) -> tuple[int, int, int]:
    engine = create_engine(f"sqlite:///{root / 'loa.db'}")
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(E)).scalar_one()
        deliveries = conn.execute(select(func.count()).select_from(D)).scalar_one()
        waiting = conn.execute(
            select(func.count()).select_from(D).where(D.c.state == "pending")
        ).scalar_one()
    engine.dispose()
    return events, deliveries, waiting


junk = st.text(max_size=12)
arguments = st.one_of(
    st.tuples(
        st.sampled_from(["canh-bao-bao", "canh-bao", "Bão"]) | junk,
        st.lists(
            st.one_of(
                st.tuples(
                    st.just("--id"), st.sampled_from(["bao-3-2026", "bao-4", "Bão 3"]) | junk
                ),
                st.tuples(
                    st.just("--at"),
                    st.sampled_from(["07:00", "15/12/2026 07:00", "2026-12-15", "31/02/2026 07:00"])
                    | junk,
                ),
                st.tuples(
                    st.just("--data"),
                    st.sampled_from(
                        ["ten_bao=Yagi", "ten_bao=Kong-rey", "ten_bao=", "gio=3", "ten_bao"]
                    )
                    | junk,
                ),
            ),
            max_size=4,
        ),
    ).map(lambda found: [found[0], *(part for pair in found[1] for part in pair)]),
    st.tuples(st.just("--cancel"), st.sampled_from(["bao-3-2026", "khong-co"]) | junk).map(list),
    st.lists(junk, max_size=3),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(arguments)
def test_any_arguments_give_an_answer_and_a_whole_event_or_nothing(
    office: Path, args: list[str]
) -> None:
    before = stored(office)
    result = CliRunner().invoke(
        commands.app, ["trigger", *args, "--config", str(office / "config.toml")]
    )
    error = result.exception
    assert error is None or isinstance(error, commands.UserError | SystemExit), repr(error)
    assert "Traceback" not in result.output
    if isinstance(error, commands.UserError):
        assert str(error) and stored(office) == before
    events, deliveries, _ = stored(office)
    assert deliveries == MESSAGES * events  # each stored event has its whole sequence


def test_the_same_command_twice_starts_nothing_new(office: Path) -> None:
    config = ["--config", str(office / "config.toml")]
    args = ["trigger", "canh-bao-bao", "--id", "bao-9", "--data", "ten_bao=Yagi", *config]
    first = CliRunner().invoke(commands.app, args)
    assert first.exit_code == 0 and "3 tin đang chờ" in first.output
    counted = stored(office)
    again = CliRunner().invoke(commands.app, args)
    assert again.exit_code == 0 and "không có gì mới" in again.output
    assert stored(office) == counted
    listed = CliRunner().invoke(commands.app, ["events", "--format", "json", *config])
    assert '"id": "bao-9"' in listed.output and '"pending": 3' in listed.output
