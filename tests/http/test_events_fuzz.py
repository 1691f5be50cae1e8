"""``POST /events/{type}`` over anything a sender may send: bodies drawn from its JSON schema and
around it (wrong types, unknown keys, odd times, huge or broken bodies), any header and any
path. Never a 5xx, never a traceback, and a refusal writes nothing (no event, delivery or
feed item)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from scheduler.alerts import open_incidents
from scheduler.http.app import HttpState, create_app
from scheduler.store.db import migrate, open_engine
from scheduler.store.tables import Delivery, EventRecord, Occurrence
from tests.http.test_events_endpoint import OTHER, TOKEN, endpoint

TABLES = [t.__table__ for t in (EventRecord, Delivery, Occurrence)]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'loa.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


class Client:
    """Requests to the app in process, one event loop for all of a test's examples."""

    def __init__(self, app: Any) -> None:
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://loa")

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.post(url, **kwargs))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


@pytest.fixture(scope="module")
def client(store: Engine) -> Iterator[Client]:
    made = Client(create_app(HttpState(db=store, events=endpoint(store))))
    yield made
    made.close()


def counts(db: Engine) -> list[int]:
    with db.connect() as conn:
        return [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
ids = st.sampled_from(["bao-3-2026", "bao-4", "Bão 3", "", "a" * 121]) | st.text(max_size=15)
times = (
    st.sampled_from(["2026-12-03T09:00:00+07:00", "2026-12-03T09:00:00", "2031-01-01T00:00:00Z",
                     "03/12/2026 09:00", "2026-12-03", "now"])
    | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
    | st.text(max_size=25)
)  # fmt: skip
data = st.dictionaries(
    st.sampled_from(["ten_bao", "gio", "don_vi", ""]) | st.text(max_size=8),
    st.sampled_from(["Yagi", "", " ", "\x00", "x" * 1001]) | json_values,
    max_size=3,
)
events = st.fixed_dictionaries(
    {},
    optional={"id": ids | json_values, "at": times | json_values, "data": data | json_values,
              "extra": json_values},
)  # fmt: skip
bodies = (
    events.map(lambda e: json.dumps(e).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=200)
    | st.sampled_from([b"", b"{", b"[" * 100_000, b'{"id": "' + b"x" * 70_000 + b'"}',
                       '{"id": "bão"}'.encode("utf-16")])
)  # fmt: skip
authorizations = st.sampled_from(
    [f"Bearer {TOKEN}", f"bearer {OTHER}", f"Bearer {TOKEN} ", "Bearer", f"Basic {TOKEN}", ""]
) | st.text(max_size=30)
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "", "application/jsonx"]
) | st.text(max_size=20)
types = st.sampled_from(["canh-bao-bao", "chay-rung", "", "a/b", "..", "canh-bao-bao/x"]) | st.text(
    max_size=30
)


# the events a monitoring system sends, with one thing or another off now and then: these
# reach the intake (starts, repeats, updates, conflicts), where the bulk above is refused early
near_valid = st.tuples(
    st.sampled_from(["canh-bao-bao", "canh-bao-bao", "chay-rung"]),
    st.fixed_dictionaries(
        {"id": st.sampled_from(["bao-3-2026", "bao-4", "bao-5", "Bão 3"]),
         "data": st.fixed_dictionaries({"ten_bao": st.sampled_from(["Yagi", "Kong-rey", "", 12])},
                                       optional={"gio": st.just("12")})},
        optional={"at": times},
    ).map(lambda e: json.dumps(e).encode()),
    st.sampled_from([f"Bearer {TOKEN}", f"Bearer {OTHER}", f"Bearer {TOKEN}x"]),
    st.sampled_from(["application/json", "application/json; charset=utf-8"]),
)  # fmt: skip


def _header(value: str) -> bytes:
    """What an HTTP client can send in a header: bytes (any but line breaks)."""
    return value.encode("utf-8").replace(b"\r", b"").replace(b"\n", b"").strip()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=st.tuples(types, bodies, authorizations, content_types) | near_valid)
def test_no_5xx_no_traceback_and_a_refusal_writes_nothing(
    client: Client,
    store: Engine,
    caplog: pytest.LogCaptureFixture,
    request: tuple[str, bytes, str, str],
) -> None:
    type_, body, authorization, content_type = request
    before = counts(store)
    headers = {"Authorization": _header(authorization), "Content-Type": _header(content_type)}
    with caplog.at_level(logging.ERROR):
        caplog.clear()
        answer = client.post(f"/events/{quote(type_, safe='/')}", content=body, headers=headers)
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    event(f"status {answer.status_code}")
    assert answer.status_code < 500, answer.text
    assert "Traceback" not in answer.text and errors == []
    if answer.status_code >= 400:
        assert counts(store) == before
        if answer.headers.get("content-type", "").startswith("application/json"):
            refusal: dict[str, Any] = answer.json()
            assert set(refusal) == {"error", "field", "code"} and refusal["error"]
    elif answer.status_code < 300:  # (a path ending in "/" is redirected: 307)
        assert answer.json()["outcome"] in ("started", "unchanged", "updated")


def test_a_refusal_from_a_database_that_cannot_be_written_writes_nothing(tmp_path: Path) -> None:
    """A database that fails midway (here: at the first delivery written) answers 503 and
    leaves nothing half-done; the admins hear of it."""
    engine = open_engine(f"sqlite:///{tmp_path / 'loa.db'}")
    migrate(engine)
    app = create_app(HttpState(db=engine, events=endpoint(engine)))
    with engine.begin() as conn:  # a trigger that fails the first delivery written
        conn.exec_driver_sql(
            "create trigger broken before insert on delivery begin "
            "select raise(abort, 'disk I/O error'); end"
        )
    made = Client(app)
    answer = made.post(
        "/events/canh-bao-bao",
        json={"id": "bao-3-2026", "data": {"ten_bao": "Yagi"}},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    made.close()
    assert answer.status_code == 503 and answer.json()["code"] == "events_not_stored"
    assert "Traceback" not in answer.text and "disk I/O" not in answer.text
    assert counts(engine) == [0, 0, 0]  # the event row went with the transaction
    (incident,) = open_incidents(engine)
    assert (incident["kind"], incident["subject"]) == (
        "event_unscheduled",
        "canh-bao-bao:bao-3-2026",
    )
    assert "disk I/O error" in incident["detail"]
    engine.dispose()
