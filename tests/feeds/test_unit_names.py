"""Units of the registry appear in feeds by their full names; their ids stay in URLs and keys."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import vobject
from sqlalchemy import Engine
from vobject.base import ContentLine

from campaigns.units import Unit, UnitRegistry
from scheduler.http.app import HttpState, create_app
from scheduler.http.feeds import FeedStore
from scheduler.sync import sync
from tests.feeds import CAT, EDITED, HORIZON, NOW, open_store, render
from tests.helpers import campaign

NNMT = "Sở Nông nghiệp và Môi trường"
REGISTRY = UnitRegistry(
    {
        "so-nnmt": Unit("so-nnmt", NNMT, "Sở NN&MT", ("STNMT",)),
        "tinh-doan": Unit("tinh-doan", "Tỉnh đoàn", "", ("Đoàn TN",)),
    }
)
TEXT = """id = "ngay-moi-truong"
title = "Ngày Môi trường thế giới"
years = 2026

[[activity]]
id = "le-phat-dong"
title = "Lễ phát động"
start = "hằng năm 28/05"
lead = "STNMT"
partners = ["Đoàn TN"]
"""
KEY = "ngay-moi-truong:le-phat-dong:2026@loa"


def _synced(path: Path, registry: UnitRegistry, engine: Engine | None = None) -> Engine:
    engine = engine or open_store(path)
    catalog = replace(CAT, units=registry)
    sync(engine, [campaign(TEXT, catalog)], catalog, NOW, HORIZON)
    return engine


def _read(data: bytes) -> Any:
    """The feed as vobject (a parser loa does not write with) reads it."""
    return vobject.readOne(data.decode("utf-8"), validate=True)


def _description(store: FeedStore) -> str:
    events = {e.uid.value: e for e in _read(render(store, "all", EDITED)).vevent_list}
    return str(events[KEY].description.value)


def test_registry_units_show_their_names_and_keep_their_ids_in_urls(tmp_path: Path) -> None:
    store = FeedStore(
        _synced(tmp_path / "loa.db", REGISTRY), "https://lich.example.vn", units=REGISTRY
    )
    description = _description(store)
    assert f"Đơn vị chủ trì: {NNMT}\n" in description
    assert "Đơn vị phối hợp: Tỉnh đoàn" in description
    assert "so-nnmt" not in description and "tinh-doan" not in description
    feed = _read(render(store, "unit/so-nnmt"))
    assert feed.contents["name"][0].value == f"loa: {NNMT}"
    assert feed.contents["x-wr-calname"][0].value == f"loa: {NNMT}"
    assert NNMT in feed.contents["x-wr-caldesc"][0].value
    assert feed.contents["source"][0].value == "https://lich.example.vn/feeds/unit/so-nnmt.ics"
    lines = [p for ps in feed.contents.values() for p in ps if isinstance(p, ContentLine)]
    assert [p.value for p in lines if "so-nnmt" in str(p.value)] == [feed.source.value]
    assert store.units() == {"so-nnmt": NNMT, "tinh-doan": "Tỉnh đoàn"}


def test_a_unit_renamed_in_the_registry_is_renamed_in_stored_events(tmp_path: Path) -> None:
    engine = _synced(tmp_path / "loa.db", REGISTRY)
    renamed = UnitRegistry(
        {**REGISTRY.units, "so-nnmt": replace(REGISTRY.units["so-nnmt"], name="Sở Môi trường")}
    )
    _synced(tmp_path / "loa.db", renamed, engine)
    description = _description(FeedStore(engine, units=renamed))
    assert "Đơn vị chủ trì: Sở Môi trường\n" in description
    assert NNMT not in description


async def test_the_index_lists_a_registry_unit_by_its_name(tmp_path: Path) -> None:
    state = HttpState(db=_synced(tmp_path / "loa.db", REGISTRY), units=REGISTRY)
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://loa") as http:
        index = (await http.get("/")).text
    assert f"Đơn vị: {NNMT}" in index and "unit/so-nnmt.ics" in index
    assert "Đơn vị: so-nnmt" not in index
