"""An accepted event whose sequence will not go out whole is an incident for the admins
(``event_unscheduled``, subject "type:id"), on SQLite and PostgreSQL: a message that reaches no
chat, a text that cannot be written for the event's data, a database that fails midway (then
nothing is half-applied). An update that puts it right ends the incident."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError

from campaigns.model import ChannelCatalog
from campaigns.units import Unit, UnitRegistry
from scheduler.alerts import open_incidents
from scheduler.events.intake import Accepted, Occurred, Sender, Unscheduled, intake
from scheduler.store.tables import Delivery, EventRecord, Occurrence
from tests.helpers import campaign

D = Delivery.__table__  # type: ignore[attr-defined]
E = EventRecord.__table__  # type: ignore[attr-defined]
O = Occurrence.__table__  # type: ignore[attr-defined]  # noqa: E741
NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
SENDER = Sender("http", "quan-trac")
UNITS = UnitRegistry(
    {
        "phuong-1": Unit("phuong-1", "Phường 1", targets=(("telegram", "p1"),)),
        "phuong-2": Unit("phuong-2", "Phường 2"),  # no chat yet
    }
)
CAT = ChannelCatalog(targets={"telegram": ("p1", "nhom-vp")}, units=UNITS)
AFTER_STORM = """id = "sau-bao"
title = "Sau bão"

[[trigger]]
id = "don-dep"
event = "sau-bao"
fields = ["phuong", "so_ho"]

[[trigger.message]]
id = "bao-cao"
at = "event"
text = "Thiệt hại: trung bình {{ 1000 // (event.data.so_ho | int(1)) }} m² mỗi hộ."
channels = ["telegram:nhom-vp"]

[[trigger.message]]
id = "goi"
at = "event +1d 07:00"
text = "{{ event.data.phuong }} ra quân dọn dẹp."
channels = ["units:phuong"]
"""
STORMS = [campaign(AFTER_STORM, CAT)]


def take(db: Engine, **data: str) -> Any:
    return intake(db, STORMS, CAT, Occurred("sau-bao", "bao-3", None, data), SENDER, NOW)


def incidents(db: Engine) -> list[tuple[str, str, str]]:
    return [(i["kind"], i["subject"], i["detail"]) for i in open_incidents(db)]


def test_a_whole_sequence_raises_nothing(db: Engine) -> None:
    result = take(db, phuong="Phường 1", so_ho="10")
    assert isinstance(result, Accepted) and result.problems == ()
    assert incidents(db) == []


def test_a_message_that_reaches_no_chat_is_an_incident_until_an_update_fixes_it(
    db: Engine,
) -> None:
    result = take(db, phuong="Phường 2", so_ho="10")
    assert isinstance(result, Accepted) and result.outcome == "started"
    assert result.problems == (Unscheduled("don-dep.goi"),)
    assert "tin 'don-dep.goi' không tới nhóm chat nào" in result.sentence()
    assert [d.state for d in result.deliveries] == ["pending"]  # the report still goes
    ((kind, subject, detail),) = incidents(db)
    assert (kind, subject) == ("event_unscheduled", "sau-bao:bao-3")
    assert "don-dep.goi" in detail
    again = take(db, phuong="Phường 2", so_ho="10")
    assert again.outcome == "unchanged" and len(incidents(db)) == 1
    fixed = take(db, phuong="Phường 1", so_ho="10")
    assert fixed.outcome == "updated" and fixed.problems == ()
    assert incidents(db) == []


def test_a_text_that_cannot_be_written_for_the_data_is_an_incident(db: Engine) -> None:
    result = take(db, phuong="Phường 1", so_ho="0")  # 1000 // 0
    assert isinstance(result, Accepted)
    (problem,) = result.problems
    assert problem.message == "don-dep.bao-cao" and problem.reason
    assert sorted(d.state for d in result.deliveries) == ["failed", "pending"]
    ((kind, subject, detail),) = incidents(db)
    assert (kind, subject) == ("event_unscheduled", "sau-bao:bao-3")
    assert "don-dep.bao-cao" in detail


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_database_failing_midway_writes_nothing_and_is_an_incident(db: Engine) -> None:
    with db.begin() as conn:  # the first delivery written fails, after the event's row
        conn.exec_driver_sql(
            "create trigger broken before insert on delivery begin "
            "select raise(abort, 'disk I/O error'); end"
        )
    with pytest.raises(DBAPIError):
        take(db, phuong="Phường 1", so_ho="10")
    with db.connect() as conn:
        written = [
            conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (E, D, O)
        ]
    assert written == [0, 0, 0]
    ((kind, subject, detail),) = incidents(db)
    assert (kind, subject) == ("event_unscheduled", "sau-bao:bao-3")
    assert detail.startswith("IntegrityError: ") and "disk I/O error" in detail
