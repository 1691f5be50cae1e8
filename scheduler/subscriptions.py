"""Chats subscribed to campaigns, and the outbox targets they become.

A message whose ``channels`` holds ``"subscribers"`` goes to every chat subscribed to its
campaign, through the channel the chat subscribed from. Sync turns that one dispatch into one
delivery per chat, with the target ``chat:<platform id>``, so each has its own key, limits and
receipt like any configured target. Subscribing changes the campaign's expansion digest, so the
next sync adds the chat's coming deliveries; unsubscribing (or a chat that blocks the bot)
cancels them in the same transaction that ends the subscription. Subscribing also marks the
campaign for expansion at the next sync: after an unsubscribe and a subscribe with no sync
between, the digest is the one stored, yet the chat's cancelled deliveries must come back.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)

from campaigns.expand import delivery_key
from scheduler.store.db import upsert
from scheduler.store.tables import (
    ACTIVE_STATES,
    CampaignVersion,
    Chat,
    Delivery,
    State,
    Subscription,
)

S = Subscription.__table__  # type: ignore[attr-defined]
C = Chat.__table__  # type: ignore[attr-defined]
D = Delivery.__table__  # type: ignore[attr-defined]
V = CampaignVersion.__table__  # type: ignore[attr-defined]

SUBSCRIBERS = "subscribers"
CHAT_PREFIX = "chat:"
UNSUBSCRIBED = "unsubscribed"
DUPLICATE = "duplicate"  # cancel_reason: the chat gets this message under another name
WAITING = (*ACTIVE_STATES, State.HELD)

Subscribers = Mapping[str, list[tuple[str, str]]]  # campaign → [(channel, chat)]


def chat_target(chat: str) -> str:
    return f"{CHAT_PREFIX}{chat}"


def address_of(addresses: Mapping[tuple[str, str], str], channel: str, target: str) -> str | None:
    """The platform id a delivery goes to: a configured alias's address, or a subscriber's chat."""
    if target.startswith(CHAT_PREFIX):
        return target[len(CHAT_PREFIX) :] or None
    return addresses.get((channel, target))


def still_subscribed() -> ColumnElement[bool]:
    """For a delivery row: its target is no subscriber, or that chat is still subscribed."""
    subscribed = exists().where(
        and_(
            S.c.channel == D.c.channel,
            S.c.campaign == D.c.campaign,
            S.c.active.is_(True),
            literal(CHAT_PREFIX) + S.c.chat == D.c.target,
        )
    )
    return or_(~D.c.target.startswith(CHAT_PREFIX), subscribed)


def cancel_unsubscribed(conn: Connection, now: dt.datetime) -> int:
    """Cancel what waits for a chat no longer subscribed. Sync runs it last, in its own
    transaction: an /unsubscribe that committed while sync was reading is not undone."""
    if conn.execute(select(S.c.chat).where(S.c.active.is_(False)).limit(1)).first() is None:
        return 0  # nobody ever unsubscribed: nothing to look through
    result = conn.execute(
        update(D)
        .where(and_(D.c.state.in_(list(WAITING)), ~still_subscribed()))
        .values(state=State.CANCELLED, cancel_reason=UNSUBSCRIBED, next_attempt_at=None,
                updated_at=now)
    )  # fmt: skip
    return int(result.rowcount or 0)


def active(conn: Connection) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    rows = conn.execute(
        select(S.c.campaign, S.c.channel, S.c.chat)
        .where(S.c.active.is_(True))
        .order_by(S.c.campaign, S.c.channel, S.c.chat)
    ).all()
    for row in rows:
        out[row.campaign].append((row.channel, row.chat))
    return dict(out)


def subscribe(db: Engine, channel: str, chat: str, campaign: str, now: dt.datetime) -> bool:
    """True when the chat was not subscribed before."""
    with db.begin() as conn:
        row = conn.execute(
            select(S.c.active).where(
                and_(S.c.channel == channel, S.c.chat == chat, S.c.campaign == campaign)
            )
        ).first()
        if row is not None and row.active:
            return False
        if row is None:
            conn.execute(
                S.insert().values(
                    channel=channel, chat=chat, campaign=campaign, active=True, ended_reason="",
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
        else:
            conn.execute(
                update(S)
                .where(and_(S.c.channel == channel, S.c.chat == chat, S.c.campaign == campaign))
                .values(active=True, ended_reason="", updated_at=now)
            )
        _expand_again(conn, campaign)
    return True


def unsubscribe(db: Engine, channel: str, chat: str, campaign: str, now: dt.datetime) -> bool:
    """True when the chat was subscribed; its coming deliveries are cancelled with it."""
    with db.begin() as conn:
        return end(conn, channel, chat, UNSUBSCRIBED, now, campaign) > 0


def end(
    conn: Connection,
    channel: str,
    chat: str,
    reason: str,
    now: dt.datetime,
    campaign: str | None = None,
) -> int:
    """End a chat's subscriptions (one campaign's, or all) and cancel what was coming to it."""
    which = and_(S.c.channel == channel, S.c.chat == chat, S.c.active.is_(True))
    deliveries = and_(
        D.c.channel == channel, D.c.target == chat_target(chat), D.c.state.in_(list(WAITING))
    )
    if campaign is not None:
        which = and_(which, S.c.campaign == campaign)
        deliveries = and_(deliveries, D.c.campaign == campaign)
    ended = conn.execute(
        update(S).where(which).values(active=False, ended_reason=reason[:500], updated_at=now)
    ).rowcount
    conn.execute(
        update(D)
        .where(deliveries)
        .values(state=State.CANCELLED, cancel_reason=UNSUBSCRIBED, next_attempt_at=None,
                last_error=reason[:500], updated_at=now)
    )  # fmt: skip
    return int(ended or 0)


def _expand_again(conn: Connection, campaign: str) -> None:
    """The next sync expands the campaign whatever its digest (sync expands a campaign whose
    horizon is unknown)."""
    conn.execute(update(V).where(V.c.campaign == campaign).values(synced_until=None))


def move_chat(db: Engine, channel: str, old: str, new: str, now: dt.datetime) -> int:
    """A chat got a new id (a Telegram group upgraded to a supergroup): its subscriptions,
    language and deliveries follow it, so it can still unsubscribe and nothing comes twice; the
    number of subscriptions that moved (or ended, where the new id had its own)."""
    with db.begin() as conn:
        rows = conn.execute(
            select(S.c.campaign, S.c.active).where(and_(S.c.channel == channel, S.c.chat == old))
        ).all()
        taken = {
            r.campaign
            for r in conn.execute(
                select(S.c.campaign).where(and_(S.c.channel == channel, S.c.chat == new))
            ).all()
        }
        for row in rows:
            which = and_(S.c.channel == channel, S.c.chat == old, S.c.campaign == row.campaign)
            if row.campaign in taken:
                conn.execute(update(S).where(which).values(
                    active=False, ended_reason=f"moved to {new}", updated_at=now))  # fmt: skip
            else:
                conn.execute(update(S).where(which).values(chat=new, updated_at=now))
                _follow(conn, channel, old, new, row.campaign, now)
            _expand_again(conn, row.campaign)
        if (
            conn.execute(
                select(C.c.chat).where(and_(C.c.channel == channel, C.c.chat == new))
            ).first()
            is None
        ):
            conn.execute(
                update(C).where(and_(C.c.channel == channel, C.c.chat == old)).values(chat=new)
            )
    return len(rows)


def _follow(
    conn: Connection, channel: str, old: str, new: str, campaign: str, now: dt.datetime
) -> None:
    """The campaign's deliveries to the old id take the new id's keys, whatever their state, so
    the chat's history stays one and sync finds what it expects: were they left, sync would
    cancel the old id's as vanished and add only what is not yet due, dropping a retry or a
    message held by a pause. One in flight keeps its key, under which the engine records it."""
    old_target, new_target = chat_target(old), chat_target(new)
    mine = and_(D.c.channel == channel, D.c.campaign == campaign)
    taken = set(conn.execute(select(D.c.key).where(mine, D.c.target == new_target)).scalars())
    moving = select(D.c.key, D.c.message_key).where(
        mine, D.c.target == old_target, D.c.state != State.SENDING
    )
    for row in conn.execute(moving).all():
        key = delivery_key(row.message_key, channel, new_target)
        if key not in taken:
            conn.execute(
                update(D)
                .where(and_(D.c.key == row.key, D.c.state != State.SENDING))  # not claimed since
                .values(key=key, target=new_target, updated_at=now)
            )


def of_chat(db: Engine, channel: str, chat: str) -> list[str]:
    with db.connect() as conn:
        rows = conn.execute(
            select(S.c.campaign)
            .where(and_(S.c.channel == channel, S.c.chat == chat, S.c.active.is_(True)))
            .order_by(S.c.campaign)
        ).all()
    return [row.campaign for row in rows]


def count_active(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).where(S.c.active.is_(True))).scalar() or 0)


def note_inbound(db: Engine, channel: str, chat: str, now: dt.datetime) -> None:
    """A user wrote: remember when (Zalo OA replies within 48 hours of it are free)."""
    _update_chat(db, channel, chat, last_inbound_at=now)


def _update_chat(db: Engine, channel: str, chat: str, **values: object) -> None:
    with db.begin() as conn:
        row = {"language": "", **values, "channel": channel, "chat": chat}
        upsert(conn, C, row, ["channel", "chat"], values)


def last_inbound(db: Engine, channel: str, chat: str) -> dt.datetime | None:
    with db.connect() as conn:
        value: dt.datetime | None = conn.execute(
            select(C.c.last_inbound_at).where(and_(C.c.channel == channel, C.c.chat == chat))
        ).scalar()
    return value


def chat_language(db: Engine, channel: str, chat: str) -> str:
    with db.connect() as conn:
        value = conn.execute(
            select(C.c.language).where(and_(C.c.channel == channel, C.c.chat == chat))
        ).scalar()
    return str(value or "")


def set_chat_language(db: Engine, channel: str, chat: str, language: str) -> None:
    _update_chat(db, channel, chat, language=language)
