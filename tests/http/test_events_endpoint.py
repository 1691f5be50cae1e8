"""``POST /events/{type}`` in process, on SQLite and PostgreSQL: a source proves itself with its
own token, the body is checked field by field, the same id is the same event, and a refusal
names the field at fault and writes nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from scheduler import audit
from scheduler.http.app import HttpState, create_app
from scheduler.http.events import MAX_BODY, EventEndpoint, source_of
from scheduler.store.tables import AuditEntry, Delivery, EventRecord
from tests.campaigns.test_triggers import STORM
from tests.helpers import campaign
from tests.scheduler.test_events import CAT, NOW

D = Delivery.__table__  # type: ignore[attr-defined]
E = EventRecord.__table__  # type: ignore[attr-defined]
A = AuditEntry.__table__  # type: ignore[attr-defined]
TOKEN = "quan-trac-bi-mat-0123456789"
OTHER = "canh-bao-thien-tai-9876543210"
TOKENS = {"quan-trac": TOKEN, "thien-tai": OTHER}
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STORMS = [campaign(STORM, CAT)]


def endpoint(db: Engine, **overrides: Any) -> EventEndpoint:
    values: dict[str, Any] = {
        "db": db, "tokens": TOKENS, "campaigns": lambda: STORMS, "catalog": CAT,
        "clock": lambda: NOW,
    }  # fmt: skip
    values.update(overrides)
    return EventEndpoint(**values)


def client_for(db: Engine, **overrides: Any) -> httpx.AsyncClient:
    app = create_app(HttpState(db=db, events=endpoint(db, **overrides)))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://loa")


@pytest.fixture
def client(db: Engine) -> Iterator[httpx.AsyncClient]:
    yield client_for(db)


def stored(db: Engine) -> tuple[int, int]:
    with db.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(E)).scalar_one(),
            conn.execute(select(func.count()).select_from(D)).scalar_one(),
        )


async def post(client: httpx.AsyncClient, body: Any, **headers: str) -> httpx.Response:
    return await client.post(
        "/events/canh-bao-bao", content=json.dumps(body),
        headers={**AUTH, "Content-Type": "application/json", **headers},
    )  # fmt: skip


YAGI = {"id": "bao-3-2026", "data": {"ten_bao": "Yagi"}}


async def test_a_new_event_is_201_the_same_again_200_and_stored_once(
    client: httpx.AsyncClient, db: Engine
) -> None:
    first = await post(client, YAGI)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["id"], body["outcome"], len(body["deliveries"])) == ("bao-3-2026", "started", 4)
    assert body["at"] == NOW.isoformat()
    again = await post(client, YAGI)
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    assert stored(db) == (1, 4)
    with db.connect() as conn:
        source, sender = conn.execute(select(E.c.source, E.c.sender)).one()
    assert (source, sender) == ("http", "quan-trac")  # the source's name, never its token
    entries = audit.recent(db)
    assert [(e.channel, e.user, e.command, e.result) for e in entries] == [
        ("http", "quan-trac", "event", "ok")
    ] * 2
    assert TOKEN not in repr([tuple(e) for e in entries])


async def test_an_update_is_200_and_its_time_is_read_with_its_zone(
    client: httpx.AsyncClient, db: Engine
) -> None:
    assert (await post(client, YAGI)).status_code == 201
    later = {**YAGI, "at": "2026-12-03T10:30:00+07:00", "data": {"ten_bao": "Yagi (cấp 12)"}}
    updated = await post(client, later)
    assert updated.status_code == 200 and updated.json()["outcome"] == "updated"
    at = dt.datetime.fromisoformat(updated.json()["at"])
    assert at == dt.datetime(2026, 12, 3, 3, 30, tzinfo=dt.UTC)
    assert stored(db) == (1, 4)


async def test_the_other_source_is_told_apart_by_its_token(
    client: httpx.AsyncClient, db: Engine
) -> None:
    answer = await post(client, YAGI, Authorization=f"bearer {OTHER}")
    assert answer.status_code == 201
    with db.connect() as conn:
        assert conn.execute(select(E.c.sender)).scalar_one() == "thien-tai"


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer  "],
)
async def test_without_the_right_token_401_and_nothing_written(
    client: httpx.AsyncClient, db: Engine, header: str
) -> None:
    answer = await post(client, YAGI, Authorization=header)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["field"] == "authorization"
    assert "Authorization: Bearer" in answer.json()["error"]
    assert stored(db) == (0, 0) and audit.recent(db) == []


def test_a_source_without_a_token_lets_nobody_in() -> None:
    assert source_of({"a": ""}, "Bearer ") is None
    assert source_of({"a": ""}, "Bearer x") is None
    assert source_of(TOKENS, f"Bearer {OTHER}") == "thien-tai"


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [
        ({"data": {"ten_bao": "Yagi"}}, 422, "id", "thiếu 'id'"),
        ({"id": 3, "data": {"ten_bao": "Yagi"}}, 422, "id", "phải là một chuỗi"),
        ({**YAGI, "id": "Bão 3"}, 422, "id", "không hợp lệ"),
        ({**YAGI, "at": "06/09/2026 07:00"}, 422, "at", "ISO 8601"),
        ({**YAGI, "at": "2026-09-06T07:00:00"}, 422, "at", "múi giờ"),
        ({**YAGI, "at": "2030-09-06T07:00:00+07:00"}, 422, "at", "một năm"),
        ({**YAGI, "data": ["Yagi"]}, 422, "data", "đối tượng JSON"),
        ({**YAGI, "data": {}}, 422, "ten_bao", "thiếu trường 'ten_bao'"),
        ({**YAGI, "data": {"ten_bao": "Yagi", "gio": 12}}, 422, "gio", "không được khai báo"),
        ({**YAGI, "data": {"ten_bao": {"ten": "Yagi"}}}, 422, "ten_bao", "chữ hoặc một số"),
        ({**YAGI, "ten_bao": "Yagi"}, 422, "ten_bao", "đặt trong 'data'"),
        (["bao-3-2026"], 422, "body", "đối tượng JSON"),
    ],
)
async def test_a_bad_body_names_the_field_at_fault_and_writes_nothing(
    client: httpx.AsyncClient, db: Engine, body: Any, status: int, field: str, words: str
) -> None:
    answer = await post(client, body)
    assert answer.status_code == status, answer.text
    assert answer.json()["field"] == field
    assert words in answer.json()["error"]
    assert stored(db) == (0, 0)


async def test_an_unknown_type_is_404_with_the_types_there(
    client: httpx.AsyncClient, db: Engine
) -> None:
    answer = await client.post(
        "/events/chay-rung", json=YAGI, headers=AUTH
    )  # httpx's json= sends application/json
    assert answer.status_code == 404
    assert answer.json()["field"] == "type" and "canh-bao-bao" in answer.json()["error"]
    assert stored(db) == (0, 0)
    (entry,) = audit.recent(db)
    assert (entry.result, entry.detail) == ("refused", "event_type_unknown")


async def test_not_json_too_large_and_not_parsed(client: httpx.AsyncClient, db: Engine) -> None:
    form = await client.post("/events/canh-bao-bao", data={"id": "x"}, headers=AUTH)
    assert (form.status_code, form.json()["field"]) == (415, "content-type")
    big = {**YAGI, "data": {"ten_bao": "x" * MAX_BODY}}
    assert (await post(client, big)).status_code == 413
    broken = await client.post(
        "/events/canh-bao-bao",
        content=b'{"id": "bao',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert (broken.status_code, broken.json()["field"]) == (400, "body")
    latin = await client.post(
        "/events/canh-bao-bao", content='{"id": "bão"}'.encode("latin-1"),
        headers={**AUTH, "Content-Type": "application/json; charset=utf-8"},
    )  # fmt: skip
    assert latin.status_code == 400
    assert stored(db) == (0, 0)


async def test_english_when_the_office_speaks_english(db: Engine) -> None:
    answer = await post(client_for(db, language="en"), {"data": {}})
    assert answer.json()["error"].startswith("'id' is missing")


async def test_an_accepted_event_wakes_the_engine(db: Engine) -> None:
    woken: list[bool] = []

    async def changed() -> None:
        woken.append(True)

    client = client_for(db, changed=changed)
    assert (await post(client, YAGI)).status_code == 201
    assert (await post(client, YAGI)).status_code == 200  # nothing new: no wake needed
    assert woken == [True]


async def test_the_sign_in_gate_lets_events_through_without_a_session(
    client: httpx.AsyncClient,
) -> None:
    answer = await post(client, YAGI)
    assert answer.status_code == 201  # no cookie, no CSRF token: the bearer token is the proof


async def test_without_sources_there_is_no_endpoint(db: Engine) -> None:
    app = create_app(HttpState(db=db))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://loa"
    ) as c:
        answer = await c.post("/events/canh-bao-bao", json=YAGI, headers=AUTH)
    assert answer.status_code == 404
