"""Subscriptions through the outbox: a "subscribers" message becomes one delivery per subscribed
chat, unsubscribing cancels what was coming, a chat that blocked the bot is unsubscribed with
the platform's reason, and pausing holds a campaign's messages until it is resumed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from campaigns.model import ChannelCatalog
from channels.errors import PermanentError, RecipientGone
from scheduler import pausing, subscriptions
from scheduler.store.tables import Delivery, Subscription
from scheduler.sync import sync
from tests.helpers import HEAD, campaign
from tests.scheduler.test_engine import Clock, Scripted

D = Delivery.__table__  # type: ignore[attr-defined]
S = Subscription.__table__  # type: ignore[attr-defined]
CAT = ChannelCatalog(targets={"kenh": ()}, defaults=("kenh",))
NOW = dt.datetime(2026, 5, 1, 1, 0, tzinfo=dt.UTC)
HORIZON = dt.timedelta(days=400)
TEXT = HEAD + (
    '[[activity]]\nid = "wed"\ntitle = "Ngày Môi trường thế giới"\nstart = "yearly 06-05"\n'
    '[[message]]\nid = "ngay"\nat = "wed 07:30"\ntext = "Hôm nay {{ date }}"\n'
    'channels = ["kenh", "subscribers"]\n'
)


def states(db: Engine) -> dict[str, str]:
    with db.connect() as conn:
        return {r.key: r.state for r in conn.execute(select(D.c.key, D.c.state))}


def resync(db: Engine, now: dt.datetime = NOW) -> None:
    sync(db, [campaign(TEXT, CAT)], CAT, now, HORIZON)


def test_each_subscribed_chat_gets_its_own_delivery(db: Engine) -> None:
    resync(db)
    assert set(states(db)) == {"c:ngay:2026@kenh", "c:ngay:2027@kenh"}  # nobody subscribed
    assert subscriptions.subscribe(db, "kenh", "111", "c", NOW)
    assert not subscriptions.subscribe(db, "kenh", "111", "c", NOW)  # already
    subscriptions.subscribe(db, "kenh", "-222", "c", NOW)
    resync(db)  # the subscription changed the campaign's digest: it expands again
    found = states(db)
    assert found["c:ngay:2026@kenh:chat:111"] == "pending"
    assert found["c:ngay:2027@kenh:chat:-222"] == "pending"
    assert len(found) == 6


def test_unsubscribe_cancels_and_a_new_subscription_restores(db: Engine) -> None:
    subscriptions.subscribe(db, "kenh", "111", "c", NOW)
    resync(db)
    assert subscriptions.unsubscribe(db, "kenh", "111", "c", NOW)
    assert not subscriptions.unsubscribe(db, "kenh", "111", "c", NOW)
    assert states(db)["c:ngay:2026@kenh:chat:111"] == "cancelled"
    resync(db)
    assert states(db)["c:ngay:2026@kenh:chat:111"] == "cancelled"  # sync agrees
    subscriptions.subscribe(db, "kenh", "111", "c", NOW)
    resync(db)
    assert states(db)["c:ngay:2026@kenh:chat:111"] == "pending"


async def test_a_chat_that_blocked_the_bot_is_unsubscribed_with_the_reason(db: Engine) -> None:
    from tests.scheduler.test_engine import engine_for

    subscriptions.subscribe(db, "kenh", "111", "c", NOW)
    subscriptions.subscribe(db, "kenh", "333", "c", NOW)
    resync(db)
    due = dt.datetime(2026, 6, 5, 0, 30, tzinfo=dt.UTC)  # 07:30 in Vietnam
    clock = Clock(due)
    blocked = RecipientGone("Telegram: Forbidden: bot was blocked by the user")
    # lanes run one target after another here: the channel answers in key order
    channel = Scripted(clock, [None, blocked, PermanentError("Telegram: message is too long")])
    await engine_for(db, channel, clock).run_due()
    with db.connect() as conn:
        subs = {r.chat: r for r in conn.execute(select(S)).all()}
    found = states(db)
    gone = next(chat for chat in ("111", "333") if not subs[chat].active)
    kept = "333" if gone == "111" else "111"
    assert "blocked" in subs[gone].ended_reason
    assert subs[kept].active  # an ordinary permanent error does not unsubscribe
    assert found[f"c:ngay:2026@kenh:chat:{gone}"] == "failed"
    assert found[f"c:ngay:2027@kenh:chat:{gone}"] == "cancelled"  # nothing more is tried
    assert found[f"c:ngay:2027@kenh:chat:{kept}"] == "pending"


def test_pause_holds_and_resume_sends_within_grace_and_misses_the_rest(db: Engine) -> None:
    resync(db)
    held = pausing.pause(db, "c", NOW)
    assert held.changed and held.held == 2
    assert not pausing.pause(db, "c", NOW).changed
    assert set(states(db).values()) == {"held"}
    subscriptions.subscribe(db, "kenh", "111", "c", NOW)
    resync(db)  # what sync adds to a paused campaign arrives held
    assert set(states(db).values()) == {"held"}
    later = dt.datetime(2026, 6, 5, 3, 0, tzinfo=dt.UTC)  # 2.5 h after the 2026 message
    result = pausing.resume(db, "c", later)
    assert (result.resumed, result.missed) == (2, 2)
    found = states(db)
    assert found["c:ngay:2026@kenh"] == "missed" and found["c:ngay:2027@kenh"] == "pending"
    assert not pausing.resume(db, "c", later).changed


def test_pausing_an_unknown_campaign_says_so(db: Engine) -> None:
    import pytest

    with pytest.raises(pausing.UnknownCampaign):
        pausing.pause(db, "khong-co", NOW)


def test_retry_respects_a_pause_and_an_unsubscribe(db: Engine) -> None:
    from sqlalchemy import update

    from scheduler.store import outbox

    subscriptions.subscribe(db, "kenh", "111", "c", NOW)
    resync(db)
    with db.begin() as conn:
        conn.execute(update(D).where(D.c.key == "c:ngay:2026@kenh").values(state="failed"))
    subscriptions.unsubscribe(db, "kenh", "111", "c", NOW)
    assert outbox.retry(db, NOW, CAT, "c:ngay:2026@kenh:chat:111").count == 0  # said stop
    pausing.pause(db, "c", NOW)
    assert outbox.retry(db, NOW, CAT, "c:ngay:2026@kenh").count == 1
    assert states(db)["c:ngay:2026@kenh"] == "held"  # it waits for /resume


async def test_a_delivery_in_flight_when_paused_is_held_not_retried(db: Engine) -> None:
    from channels.errors import TransientError
    from scheduler.store import outbox
    from tests.scheduler.test_engine import engine_for

    resync(db)
    due = dt.datetime(2026, 6, 5, 0, 30, tzinfo=dt.UTC)
    clock = Clock(due)
    engine = engine_for(db, Scripted(clock), clock)
    claimed, _ = outbox.claim_due(db, due, "test", 10)
    assert [c.key for c in claimed] == ["c:ngay:2026@kenh"]
    pausing.pause(db, "c", due)  # while it is being sent
    outcome = engine._retry_or_give_up(claimed[0], TransientError("HTTP 502"))
    outbox.record(db, [outcome], due)
    assert states(db)["c:ngay:2026@kenh"] == "held"
    assert (await engine.run_due()).sent == 0


# SQLite reads the due rows before it takes the write lock; PostgreSQL's claim locks them
# (FOR UPDATE), so there a pause waits for the claim instead and this race cannot happen
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_pause_committed_while_the_engine_claims_wins(db: Engine) -> None:
    from sqlalchemy import event

    from scheduler.store import outbox

    subscriptions.subscribe(db, "kenh", "111", "c", NOW)
    resync(db)
    due = dt.datetime(2026, 6, 5, 0, 30, tzinfo=dt.UTC)
    fired: list[str] = []

    @event.listens_for(db, "before_cursor_execute")
    def pause_first(conn: object, cursor: object, statement: str, *rest: object) -> None:
        if not fired and statement.lstrip().upper().startswith("UPDATE DELIVERY SET STATE"):
            fired.append(statement)
            pausing.pause(db, "c", due)  # an admin's /pause, from another thread or process

    claimed, _ = outbox.claim_due(db, due, "test", 10)
    event.remove(db, "before_cursor_execute", pause_first)
    assert fired and claimed == []
    assert set(states(db).values()) == {"held"}


async def test_a_delivery_in_flight_at_a_crash_stays_held_if_its_campaign_was_paused(
    db: Engine,
) -> None:
    from scheduler.store import outbox
    from tests.scheduler.test_engine import engine_for

    resync(db)
    due = dt.datetime(2026, 6, 5, 0, 30, tzinfo=dt.UTC)
    outbox.claim_due(db, due, "dead-daemon", 10)
    pausing.pause(db, "c", due)
    clock = Clock(due)
    channel = Scripted(clock)
    engine = engine_for(db, channel, clock)
    await engine.recover(alone=True)  # one daemon per SQLite store: no wait for its lease
    assert (await engine.run_due()).sent == 0 and channel.sent == []
    assert states(db)["c:ngay:2026@kenh"] == "held"


def test_retry_never_sends_to_a_chat_that_is_no_longer_subscribed(db: Engine) -> None:
    from sqlalchemy import update

    from scheduler.store import outbox

    subscriptions.subscribe(db, "kenh", "111", "c", NOW)
    resync(db)
    key = "c:ngay:2026@kenh:chat:111"
    with db.begin() as conn:
        conn.execute(update(D).where(D.c.key == key).values(state="failed"))
    subscriptions.unsubscribe(db, "kenh", "111", "c", NOW)
    assert states(db)[key] == "failed"  # what happened to it stays on record
    assert outbox.retry(db, NOW, CAT) == outbox.retry(db, NOW, CAT, key) == outbox.Retried(0)
    subscriptions.subscribe(db, "kenh", "111", "c", NOW)
    assert outbox.retry(db, NOW, CAT, key).count == 1  # subscribed again: a person may send it


def test_sync_holds_and_cancels_what_a_concurrent_pause_or_unsubscribe_missed(
    db: Engine,
) -> None:
    from sqlalchemy import update

    from scheduler.store.tables import CampaignVersion

    subscriptions.subscribe(db, "kenh", "111", "c", NOW)
    resync(db)
    # as if /pause and /unsubscribe had committed after sync read the store
    with db.begin() as conn:
        conn.execute(update(CampaignVersion.__table__).values(paused=True))  # type: ignore[attr-defined]
        conn.execute(update(S).values(active=False, ended_reason="unsubscribed"))
    resync(db)
    found = states(db)
    assert found["c:ngay:2026@kenh"] == "held"
    assert found["c:ngay:2026@kenh:chat:111"] == "cancelled"


def test_a_moved_chat_keeps_its_retries_held_and_sent_messages_under_its_new_id(
    db: Engine,
) -> None:
    """A Telegram group upgraded to a supergroup: what waited for the old id (a retry due
    already, a message held by a pause) goes on under the new id instead of being cancelled as
    vanished; what was sent is not sent again; one in flight stays where the engine records it."""
    subscriptions.subscribe(db, "kenh", "-4001", "c", NOW)
    resync(db)
    retry, later = "c:ngay:2026@kenh:chat:-4001", "c:ngay:2027@kenh:chat:-4001"
    with db.begin() as conn:
        conn.execute(D.update().where(D.c.key == retry).values(state="retrying", attempts=1))
    on_the_day = dt.datetime(2026, 6, 5, 0, 40, tzinfo=dt.UTC)  # 10 min after 07:30 ICT
    assert subscriptions.move_chat(db, "kenh", "-4001", "-1004001", on_the_day) == 1
    resync(db, on_the_day)
    found = states(db)
    assert retry not in found and later not in found
    assert found["c:ngay:2026@kenh:chat:-1004001"] == "retrying"
    assert found["c:ngay:2027@kenh:chat:-1004001"] == "pending"
    assert subscriptions.of_chat(db, "kenh", "-1004001") == ["c"]

    # a second upgrade while the 2027 message is in flight: it keeps its key
    moving = "c:ngay:2027@kenh:chat:-1004001"
    with db.begin() as conn:
        conn.execute(D.update().where(D.c.key == moving).values(state="sending"))
    subscriptions.move_chat(db, "kenh", "-1004001", "-1009", on_the_day)
    found = states(db)
    assert found[moving] == "sending" and "c:ngay:2027@kenh:chat:-1009" not in found
    assert found["c:ngay:2026@kenh:chat:-1009"] == "retrying"


def test_a_chat_moved_onto_an_id_with_its_own_subscription_keeps_one(db: Engine) -> None:
    subscriptions.subscribe(db, "kenh", "-4001", "c", NOW)
    subscriptions.subscribe(db, "kenh", "-1004001", "c", NOW)
    resync(db)
    subscriptions.move_chat(db, "kenh", "-4001", "-1004001", NOW)
    resync(db)
    found = states(db)
    assert found["c:ngay:2026@kenh:chat:-1004001"] == "pending"
    assert found["c:ngay:2026@kenh:chat:-4001"] == "cancelled"
    assert subscriptions.of_chat(db, "kenh", "-1004001") == ["c"]


# A group named twice: the office configured it as a target and it also /subscribed.
GROUP = "-1001234567890"
NAMED = ChannelCatalog(
    targets={"kenh": ("nhom-van-phong",)},
    defaults=("kenh", "subscribers"),
    addresses={("kenh", "nhom-van-phong"): GROUP},
)
TO_DEFAULTS = HEAD + (
    '[[activity]]\nid = "wed"\ntitle = "Ngày Môi trường thế giới"\nstart = "yearly 06-05"\n'
    '[[message]]\nid = "ngay"\nat = "wed 07:30"\ntext = "Hôm nay {{ date }}"\n'
)


def cancelled_rows(db: Engine) -> dict[str, tuple[str, str]]:
    with db.connect() as conn:
        rows = conn.execute(
            select(D.c.key, D.c.cancel_reason, D.c.last_error).where(D.c.state == "cancelled")
        )
        return {r.key: (r.cancel_reason, r.last_error) for r in rows}


def test_a_configured_group_that_subscribes_gets_each_message_once(db: Engine) -> None:
    subscriptions.subscribe(db, "kenh", GROUP, "c", NOW)
    subscriptions.subscribe(db, "kenh", "111", "c", NOW)
    sync(db, [campaign(TO_DEFAULTS, NAMED)], NAMED, NOW, HORIZON)
    assert states(db) == {
        "c:ngay:2026@kenh:nhom-van-phong": "pending",  # the configured name keeps the key
        "c:ngay:2027@kenh:nhom-van-phong": "pending",
        "c:ngay:2026@kenh:chat:111": "pending",  # another chat: its own delivery
        "c:ngay:2027@kenh:chat:111": "pending",
    }


def test_the_stored_duplicate_is_cancelled_with_its_reason_and_comes_back_without_the_alias(
    db: Engine,
) -> None:
    """A store written before the rule holds both rows: the first sync cancels the second name's
    (never sends it), keeps one that already reached the chat, and when the office removes the
    alias, the subscription's delivery comes back."""
    from sqlalchemy import update

    from scheduler.store import outbox

    subscriptions.subscribe(db, "kenh", GROUP, "c", NOW)
    unresolved = ChannelCatalog(targets=NAMED.targets, defaults=NAMED.defaults)
    sync(db, [campaign(TO_DEFAULTS, unresolved)], unresolved, NOW, HORIZON)
    assert len(states(db)) == 4  # as before: the group twice, under both names
    with db.begin() as conn:  # 2027's went out under the subscription's name already
        conn.execute(update(D).where(D.c.key == f"c:ngay:2027@kenh:chat:{GROUP}").values(
            state="sent"))  # fmt: skip
    sync(db, [campaign(TO_DEFAULTS, NAMED)], NAMED, NOW, HORIZON)
    assert states(db) == {
        "c:ngay:2026@kenh:nhom-van-phong": "pending",
        f"c:ngay:2026@kenh:chat:{GROUP}": "cancelled",
        "c:ngay:2027@kenh:nhom-van-phong": "cancelled",
        f"c:ngay:2027@kenh:chat:{GROUP}": "sent",
    }
    reasons = cancelled_rows(db)
    assert reasons[f"c:ngay:2026@kenh:chat:{GROUP}"][0] == "duplicate"
    assert "c:ngay:2026@kenh:nhom-van-phong" in reasons[f"c:ngay:2026@kenh:chat:{GROUP}"][1]
    assert f"c:ngay:2027@kenh:chat:{GROUP}" in reasons["c:ngay:2027@kenh:nhom-van-phong"][1]
    sync(db, [campaign(TO_DEFAULTS, NAMED)], NAMED, NOW, HORIZON, force=True)
    assert cancelled_rows(db) == reasons  # stable: nothing flips between syncs
    kept = outbox.retry(db, NOW, NAMED, f"c:ngay:2026@kenh:chat:{GROUP}")  # nor by hand
    assert kept.count == 0 and "c:ngay:2026@kenh:nhom-van-phong" in kept.refused[0].detail

    bare = ChannelCatalog(targets={"kenh": ()}, defaults=NAMED.defaults)
    sync(db, [campaign(TO_DEFAULTS, bare)], bare, NOW, HORIZON)
    found = states(db)
    assert found[f"c:ngay:2026@kenh:chat:{GROUP}"] == "pending"
    assert found["c:ngay:2026@kenh:nhom-van-phong"] == "cancelled"


def test_a_configured_group_upgraded_to_a_supergroup_still_gets_each_message_once(
    db: Engine,
) -> None:
    """The alias still says the group's old id; the channel sends to the new one (it remembers
    the upgrade) and the subscription moved there: both names are still one chat."""
    import json

    from channels.registry import migrated_fact
    from scheduler.store.meta import Memory

    old = "-4001"
    aliased = ChannelCatalog(
        targets=NAMED.targets, defaults=NAMED.defaults, addresses={("kenh", "nhom-van-phong"): old}
    )
    subscriptions.subscribe(db, "kenh", old, "c", NOW)
    sync(db, [campaign(TO_DEFAULTS, aliased)], aliased, NOW, HORIZON)
    Memory(db).set(migrated_fact("kenh"), json.dumps({old: GROUP}))  # as the channel records it
    subscriptions.move_chat(db, "kenh", old, GROUP, NOW)
    sync(db, [campaign(TO_DEFAULTS, aliased)], aliased, NOW, HORIZON)
    assert states(db) == {
        "c:ngay:2026@kenh:nhom-van-phong": "pending",
        "c:ngay:2027@kenh:nhom-van-phong": "pending",
    }
