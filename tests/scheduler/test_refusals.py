"""A refused campaign file is said once per refused version, and kept where `loa status` reads."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from campaigns.errors import Problem
from scheduler import refusals
from scheduler.refusals import Refusals

NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
BROKEN = Problem("campaigns/dau.toml", 11, "message[3].at", "năm 1 nằm ngoài các năm loa nhận")
OTHER = Problem("campaigns/dau.toml", 4, "", "lỗi cú pháp TOML")


def test_each_refused_version_is_said_once() -> None:
    said = Refusals()
    first = said.update({"campaigns/dau.toml": BROKEN}, NOW)
    assert [r.problem for r in first] == [str(BROKEN)]
    later = NOW + dt.timedelta(minutes=5)
    assert said.update({"campaigns/dau.toml": BROKEN}, later) == []  # another reload, a SIGHUP
    assert said.as_json()[0]["since"] == NOW.isoformat()
    assert [r.problem for r in said.update({"campaigns/dau.toml": OTHER}, later)] == [str(OTHER)]
    assert said.update({}, later) == [] and said.as_json() == []  # fixed
    again = said.update({"campaigns/dau.toml": OTHER}, later)  # broken again: said again
    assert [r.problem for r in again] == [str(OTHER)]


def test_the_list_is_written_when_it_changes_and_read_back(db: Engine) -> None:
    said = Refusals()
    assert said.unrecorded() == []  # a first sync writes even an empty list: a stale one goes
    said.recorded([])
    said.update({"campaigns/dau.toml": BROKEN}, NOW)
    listed = said.unrecorded()
    assert listed is not None
    refusals.record(db, listed)
    said.recorded(listed)
    assert said.unrecorded() is None
    assert refusals.read(db) == listed
