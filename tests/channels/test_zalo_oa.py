"""The Zalo OA outlet and its token keeper against the local fake OA and OAuth servers."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest

from channels.base import OutboundMessage
from channels.errors import AuthError, PermanentError, TransientError
from channels.zalo_oa import TokenKeeper, ZaloOAChannel, oa_error
from tests.fakes.zalo import FakeClock, FakeZalo

DUE = dt.datetime(2026, 6, 5, 1, 0, tzinfo=dt.UTC)
TEXT = "Tháng hành động vì môi trường: chung tay giảm thiểu rác thải nhựa 🌱"


class Memory(dict[str, str]):
    def set(self, name: str, value: str) -> None:
        self[name] = value


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    async with FakeZalo(clock=FakeClock()) as server:
        yield server


def channel(fake: FakeZalo, memory: Memory, first: str | None) -> ZaloOAChannel:
    client = httpx.AsyncClient(timeout=5)
    keeper = TokenKeeper(
        "oa", memory, fake.oauth_url, fake.app_id, fake.secret_key, first, client,
        ("LOA_ZALO_REFRESH", "LOA_ZALO_SECRET"), clock=fake.clock,
    )  # fmt: skip
    return ZaloOAChannel("oa", keeper, client, fake.base_url)


def message(user: str, key: str = "c:m:once@oa:u") -> OutboundMessage:
    return OutboundMessage(key, "c", "m", "oa", "u", user, TEXT, DUE)


async def test_first_send_renews_from_the_env_token_and_stores_the_pair(fake: FakeZalo) -> None:
    user = fake.add_follower("2512523625412515", last_interaction=dt.timedelta(hours=1))
    memory = Memory()
    oa = channel(fake, memory, fake.issue_refresh_token())
    receipt = await oa.send(message(user))
    await oa.close()
    assert [m.text for m in fake.accepted] == [TEXT]
    assert receipt.provider_message_id == str(fake.accepted[0].message_id)
    assert len(fake.renewals) == 1
    assert fake.current_refresh_token in memory["zalo-oa:oa:tokens"]


async def test_expiry_mid_run_renews_once_and_a_restart_uses_the_stored_pair(
    fake: FakeZalo,
) -> None:
    user = fake.add_follower("2512523625412516", last_interaction=dt.timedelta(hours=1))
    memory = Memory()
    first = fake.issue_refresh_token()
    oa = channel(fake, memory, first)
    await oa.send(message(user, "k1"))
    fake.expire_access_token()  # the platform ends it early: -216 on the next send
    await oa.send(message(user, "k2"))
    await oa.close()
    assert len(fake.renewals) == 2 and len(fake.accepted) == 2
    stored = memory["zalo-oa:oa:tokens"]
    # a restart: a new channel with the same database and the (now spent) first token in env
    again = channel(fake, memory, first)
    await again.send(message(user, "k3"))
    await again.close()
    assert len(fake.renewals) == 2 and memory["zalo-oa:oa:tokens"] == stored


async def test_renews_ahead_of_expiry(fake: FakeZalo) -> None:
    user = fake.add_follower("2512523625412517", last_interaction=dt.timedelta(hours=1))
    memory = Memory()
    oa = channel(fake, memory, fake.issue_refresh_token())
    await oa.send(message(user, "k1"))
    fake.clock.advance(dt.timedelta(hours=24, minutes=30))  # 30 min before the 25 h lifetime
    await oa.send(message(user, "k2"))
    await oa.close()
    assert len(fake.renewals) == 2 and not [r for r in fake.refused if "216" in str(r)]


async def test_spent_refresh_token_is_a_clear_auth_error(fake: FakeZalo) -> None:
    user = fake.add_follower("2512523625412518", last_interaction=dt.timedelta(hours=1))
    first = fake.issue_refresh_token()
    oa = channel(fake, Memory(), first)
    await oa.send(message(user))
    other = channel(fake, Memory(), first)  # someone reuses the spent first token
    with pytest.raises(AuthError, match="LOA_ZALO_REFRESH"):
        await other.send(message(user))
    await oa.close()
    await other.close()


async def test_window_and_network_errors(fake: FakeZalo) -> None:
    old = fake.add_follower("2512523625412519", last_interaction=dt.timedelta(days=9))
    oa = channel(fake, Memory(), fake.issue_refresh_token())
    with pytest.raises(PermanentError, match="-230"):
        await oa.send(message(old))
    user = fake.add_follower("2512523625412520", last_interaction=dt.timedelta(hours=1))
    # an error page: Zalo did not take the message, so a retry cannot duplicate it; a connection
    # cut before the answer may have delivered it
    fake.fail_next("502", service="oa")
    with pytest.raises(TransientError) as page:
        await oa.send(message(user))
    assert not page.value.maybe_delivered and "HTTP 502" in page.value.reason
    fake.fail_next("drop", service="oa")
    with pytest.raises(TransientError) as cut:
        await oa.send(message(user))
    assert cut.value.maybe_delivered
    await oa.close()


def test_error_table() -> None:
    assert isinstance(oa_error(-216, "x"), AuthError)
    assert isinstance(oa_error(-211, "Out of quota"), PermanentError)
    assert "hạn mức" in oa_error(-211, "Out of quota").reason
    assert isinstance(oa_error(-99999, "?"), TransientError)


async def test_a_new_env_token_is_used_after_the_stored_one_is_refused(fake: FakeZalo) -> None:
    user = fake.add_follower("2512523625412521", last_interaction=dt.timedelta(hours=1))
    memory = Memory()
    oa = channel(fake, memory, fake.issue_refresh_token())
    await oa.send(message(user, "k1"))
    await oa.close()
    memory["zalo-oa:oa:tokens"] = memory["zalo-oa:oa:tokens"].replace(
        fake.current_refresh_token or "", "het-han"
    )  # the stored refresh token lapsed
    fake.expire_access_token()
    again = channel(fake, memory, fake.issue_refresh_token())  # the admin authorized again
    await again.send(message(user, "k2"))
    await again.close()
    assert len(fake.accepted) == 2 and fake.current_refresh_token in memory["zalo-oa:oa:tokens"]


async def test_the_keeper_tells_when_a_token_is_refused_expiring_or_renewed(
    fake: FakeZalo,
) -> None:
    """What the admins must hear (``scheduler.alerts``), told through a callback: channels/
    knows nothing of the store."""
    user = fake.add_follower("2512523625412520", last_interaction=dt.timedelta(hours=1))
    told: list[tuple[str, str]] = []
    first = fake.issue_refresh_token()
    memory = Memory()
    oa = channel(fake, memory, first)
    oa.keeper.on_token = lambda name, event, detail: told.append((name, event))
    await oa.send(message(user, "k1"))
    assert told == [("oa", "renewed")]
    fake.clock.advance(dt.timedelta(hours=24, minutes=30))  # renewal due, and Zalo is down
    fake.fail_next("503", 1, service="oauth")
    with pytest.raises(TransientError):
        await oa.send(message(user, "k2"))
    assert told[-1] == ("oa", "expiring")
    other = channel(fake, Memory(), first)  # the spent first token, as after a lost database
    other.keeper.on_token = lambda name, event, detail: told.append((name, event))
    with pytest.raises(AuthError):
        await other.send(message(user, "k3"))
    assert told[-1] == ("oa", "refused")
    await oa.close()
    await other.close()
