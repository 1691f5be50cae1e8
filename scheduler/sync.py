"""Sync: make the store match the campaigns over a rolling horizon, by key, in one transaction.

- a new key becomes ``pending``, also when its moment passed within the campaign's grace (the
  engine sends it at once); one whose moment passed longer ago, within ``MISSED_LOOKBACK``, is
  recorded ``missed`` with its reason: a message added late is never skipped without a trace;
- a changed ``pending``/``retrying``/``held`` delivery is updated (text, due time);
- a pending key that no longer appears is ``cancelled`` (reason "removed");
- ``sent``, ``failed``, ``missed`` and user-cancelled deliveries are never touched;
- one chat named several ways (a configured alias and a subscription) gets each message once:
  the other names' waiting deliveries are ``cancelled`` (reason "duplicate"), see
  ``one_per_chat``.

Activity and deadline occurrences are kept the same way, with a SEQUENCE raised on every change
and ``cancelled`` status when they disappear, which the calendar feeds need.

A campaign whose file is unchanged and whose horizon is still fresh is not expanded again, so a
restart with 100,000 pending deliveries costs a few queries, not a re-expansion.

A campaign that cannot be expanded (``ExpansionRefused``: a date past the calendar, an item
past its bounds) is refused on its own: nothing of it is written, what the store holds for it
stays, its problem is in ``SyncReport.refused``, and every other campaign is applied.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, bindparam, or_, select, update

from campaigns.errors import ExpansionRefused, Problem
from campaigns.expand import (
    ActivityOccurrence,
    DeadlineOccurrence,
    Dispatch,
    Expansion,
    delivery_key,
    expand,
)
from campaigns.i18n import t
from campaigns.ics import event_block
from campaigns.loader import expansion_problem
from campaigns.model import Campaign, ChannelCatalog
from campaigns.timeexpr import instant
from campaigns.triggers import MARK
from campaigns.units import NO_UNITS, UNIT_PREFIX, UnitRegistry, split_names
from channels.registry import migrated_fact
from scheduler import approval, pausing, reports, subscriptions
from scheduler.http.feeds import block_marker, feed_event
from scheduler.store import outbox
from scheduler.store.db import fresh_statistics
from scheduler.store.tables import REMOVED, CampaignVersion, Delivery, Meta, Occurrence, State
from scheduler.subscriptions import (
    CHAT_PREFIX,
    DUPLICATE,
    SUBSCRIBERS,
    UNSUBSCRIBED,
    address_of,
    chat_target,
)

D = Delivery.__table__  # type: ignore[attr-defined]
O = Occurrence.__table__  # type: ignore[attr-defined]  # noqa: E741
V = CampaignVersion.__table__  # type: ignore[attr-defined]
M = Meta.__table__  # type: ignore[attr-defined]

EXPANSION_VERSION = "7"  # raise when expansion changes meaning, so every campaign re-expands
FRESH_FOR = dt.timedelta(days=1)  # the daily job rolls the horizon
# how far past its grace a newly added message is still recorded (missed): what a person who
# just added it may expect to have gone out, not every past June of a yearly library file
MISSED_LOOKBACK = dt.timedelta(days=1)
EDITABLE = (State.PENDING, State.RETRYING, State.HELD, State.AWAITING)
RESTORABLE = (REMOVED, UNSUBSCRIBED, DUPLICATE)  # cancelled by sync, not a person: may come back
REACHED = (State.SENT, State.SENDING)  # the chat has (or may have) this message already

Progress = Callable[[int, int, str], None]


@dataclass
class SyncReport:
    campaigns: int = 0
    expanded: int = 0
    inserted: int = 0
    updated: int = 0
    cancelled: int = 0
    restored: int = 0
    missed: int = 0  # new keys whose moment had passed beyond grace when they were added
    # message occurrences whose approval an edit voided: back to wait for an approver
    voided: list[str] = field(default_factory=list)
    occurrences_changed: int = 0
    removed_campaigns: list[str] = field(default_factory=list)
    refused: dict[str, Problem] = field(default_factory=dict)  # by campaign: left as it was

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.cancelled or self.restored)


def hash_parts(*parts: object) -> str:
    """A short digest of ``parts``: what a stored row's ``content_hash`` compares, so an edit is
    seen (by sync, and by an event's intake)."""
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=12).hexdigest()


def version_digest(
    campaign: Campaign, catalog: ChannelCatalog, subscribers: Iterable[tuple[str, str]] = ()
) -> str:
    targets = sorted((k, tuple(v)) for k, v in catalog.targets.items())
    addresses = sorted(catalog.addresses.items())
    chats = sorted(subscribers)
    approving = (sorted(catalog.approval),) if catalog.approval else ()  # old digests stay
    return hash_parts(
        campaign.digest, targets, addresses, catalog.defaults, chats, EXPANSION_VERSION,
        catalog.calendar.digest, catalog.units.digest_parts(), *approving,
    )  # fmt: skip


def with_subscribers(
    dispatches: Iterable[Dispatch], chats: Iterable[tuple[str, str]]
) -> Iterable[Dispatch]:
    """A dispatch to ``subscribers`` as one dispatch per subscribed chat, keyed like any other."""
    chats = list(chats)
    for d in dispatches:
        if d.channel != SUBSCRIBERS:
            yield d
            continue
        for channel, chat in chats:
            target = chat_target(chat)
            key = delivery_key(d.message_key, channel, target)
            yield replace(d, key=key, channel=channel, target=target)


def chat_of(addresses: Mapping[tuple[str, str], str], channel: str, target: str) -> tuple[str, str]:
    """The platform chat a target names, spelled one way whatever the name: an alias of
    config.toml and a subscription of the same chat both give ``(channel, "chat:<id>")``. An
    alias whose address is unknown stays itself (it names no chat we could compare)."""
    address = address_of(addresses, channel, target)
    return channel, (target if address is None else chat_target(address))


def naming_rank(target: str) -> int:
    """Which name of a chat keeps a message's key: a configured alias first (its keys are the
    oldest, so stored deliveries stay where they are), then a unit's chat given by its id,
    then a subscription. A new source of chat names gets its rank here and goes through
    ``one_per_chat`` too."""
    if target.startswith(UNIT_PREFIX):
        return 1
    return 2 if target.startswith(CHAT_PREFIX) else 0


def one_per_chat(
    dispatches: Iterable[Dispatch],
    addresses: Mapping[tuple[str, str], str],
    reached: Collection[str] = (),
) -> tuple[list[Dispatch], dict[str, str]]:
    """One delivery per message occurrence and platform chat: the dispatches kept (in their
    order) and, for each one left out, the key that reaches its chat instead.

    Of the names of one chat the key already sent (``reached``) wins, so nothing goes out
    again under a second name; then the lowest ``naming_rank``; then the first, in the
    order of the campaign's ``channels`` and config.toml's targets."""
    dispatches = list(dispatches)

    def chat(d: Dispatch) -> tuple[str, str, str]:
        return (d.message_key, *chat_of(addresses, d.channel, d.target))

    def preference(d: Dispatch) -> tuple[bool, int]:
        return d.key not in reached, naming_rank(d.target)

    best: dict[tuple[str, str, str], Dispatch] = {}
    for d in dispatches:
        held = best.get(chat(d))
        if held is None or preference(d) < preference(held):
            best[chat(d)] = d
    kept = [d for d in dispatches if best[chat(d)] is d]
    dropped = {d.key: best[chat(d)].key for d in dispatches if best[chat(d)] is not d}
    return kept, dropped


def _duplicate_statement(now: dt.datetime) -> Any:
    """Cancel a waiting delivery whose chat gets the message under another key, saying which."""
    editable = or_(*(D.c.state == state for state in EDITABLE))
    return (
        update(D)
        .where(and_(D.c.key == bindparam("k"), editable))
        .values(state=State.CANCELLED, cancel_reason=DUPLICATE, last_error=bindparam("reason"),
                next_attempt_at=None, updated_at=now)
    )  # fmt: skip


def _occurrence_row(
    item: ActivityOccurrence | DeadlineOccurrence,
    tz: ZoneInfo,
    now: dt.datetime,
    campaign: Campaign | None = None,
    units: UnitRegistry = NO_UNITS,
) -> dict[str, Any]:
    if isinstance(item, ActivityOccurrence):
        start = instant(item.start, tz)
        end = instant(item.end, tz, after=True) if item.end is not None else None
        row = {
            "kind": "activity", "item": item.activity, "all_day": item.all_day,
            "location": item.location, "description": item.description, "url": item.url,
            "tags": "\n".join(item.tags),
        }  # fmt: skip
    else:
        start = instant(item.due, tz)
        end = None
        row = {
            "kind": "deadline", "item": item.deadline,
            "all_day": not isinstance(item.due, dt.datetime), "location": "",
            "description": item.description, "url": "", "tags": "",
        }  # fmt: skip
    row.update(
        key=item.key,
        campaign=item.campaign,
        occurrence=item.occurrence,
        title=item.title,
        start=start,
        end=end,
        lead=item.lead,
        partners="\n".join(item.partners),
        updated_at=now,
    )
    # the campaign's own words are in every event (feeds show them): a rename is a change
    context = (campaign.title, campaign.description, campaign.tags) if campaign else ()
    # and so are its registry units' names (nothing added without a registry: hashes stay)
    named = [units.name(u) for u in (*split_names(item.lead), *item.partners) if u in units.units]
    row["content_hash"] = hash_parts(
        *(row[k] for k in sorted(row) if k != "updated_at"), *context, *named
    )
    return row


def hashed_delivery_row(
    d: Dispatch,
    grace: dt.timedelta,
    now: dt.datetime,
    paused: bool = False,
    catalog: ChannelCatalog | None = None,
) -> dict[str, Any]:
    """The row ``d`` makes; with ``catalog``, one that needs approval waits for it."""
    needs = catalog is not None and catalog.needs_approval(d.channel, d.approval)
    # an edit changes it, and so does asking for approval (or no longer asking)
    approving = ("approval",) if needs else ()
    content = hash_parts(d.due.isoformat(), d.text, d.error, d.image, *approving)
    return outbox.delivery_row(d, grace, now, paused, content_hash=content, needs_approval=needs)


def settle_approvals(conn: Connection, rows: list[dict[str, Any]], now: dt.datetime) -> list[str]:
    """Rows edited or restored: each in the state its approval says (``approval.settle``).
    Returns the message occurrences whose approval an edit voided: the approvers are asked
    again (``approval.ask_again``, once the transaction is committed)."""
    voided = set(approval.settle(conn, rows, now))
    return sorted({row["message_key"] for row in rows if row["key"] in voided})


def sync(
    engine: Engine,
    campaigns: Iterable[Campaign],
    catalog: ChannelCatalog,
    now: dt.datetime,
    horizon: dt.timedelta,
    protected: Iterable[str] = (),
    force: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Bring the store in line with ``campaigns``; ``protected`` campaign ids (whose file is
    broken right now) keep what they have."""
    campaigns = list(campaigns)
    protected_ids = set(protected)
    report = SyncReport(campaigns=len(campaigns))
    with engine.begin() as conn:
        versions = {row.campaign: row for row in conn.execute(select(V)).all()}
        chats = subscriptions.active(conn)
        addresses = where_chats_are(conn, catalog.addresses)
        stale = [
            c
            for c in campaigns
            if force
            or c.id not in versions
            or versions[c.id].digest != version_digest(c, catalog, chats.get(c.id, ()))
            or versions[c.id].synced_until is None
            or versions[c.id].synced_until < now + horizon - FRESH_FOR
        ]
        for done, campaign in enumerate(stale, start=1):
            old = versions.get(campaign.id)
            paused = bool(old is not None and old.paused)
            subscribed = chats.get(campaign.id, [])
            try:
                _sync_campaign(
                    conn, campaign, catalog, addresses, subscribed, paused, now, horizon, report
                )
            except ExpansionRefused as exc:  # raised before the campaign's first write
                report.refused[campaign.id] = expansion_problem(campaign, exc)
                protected_ids.add(campaign.id)
                continue
            report.expanded += 1
            if progress is not None:
                progress(done, len(stale), campaign.id)
        current = {c.id for c in campaigns}
        live = {c for c, row in versions.items() if row.digest != REMOVED}
        for gone in sorted(live - current - protected_ids):
            _remove_campaign(conn, gone, now, report)
        # what was read above may be older than a /pause or /unsubscribe committed since
        pausing.hold_paused(conn, now)
        subscriptions.cancel_unsubscribed(conn, now)
    if report.voided:
        approval.ask_again(engine, report.voided, now)
    fresh_statistics(engine, report.inserted + report.updated + report.restored)
    return report


def where_chats_are(
    conn: Connection, addresses: Mapping[tuple[str, str], str]
) -> dict[tuple[str, str], str]:
    """The configured addresses, with each chat that got a new id since (a Telegram group
    upgraded to a supergroup) at its new id: the channel sends there, and the chat's
    subscriptions moved there, so the alias and the subscription still name one chat."""
    facts = {migrated_fact(channel): channel for channel, _ in addresses}
    rows = conn.execute(select(M.c.name, M.c.value).where(M.c.name.in_(list(facts)))).all()
    moved = {facts[row.name]: json.loads(row.value or "{}") for row in rows}
    return {
        (channel, alias): moved.get(channel, {}).get(address, address)
        for (channel, alias), address in addresses.items()
    }


def expand_for_sync(
    campaign: Campaign, catalog: ChannelCatalog, now: dt.datetime, horizon: dt.timedelta
) -> Expansion:
    """What sync expands of a campaign: from ``MISSED_LOOKBACK`` before its grace to the
    horizon; ``ExpansionRefused`` refuses it. ``loa validate`` expands through here too, so
    the verdict it gives before an edit is the one the reload gives after it."""
    return expand(campaign, now - campaign.grace - MISSED_LOOKBACK, now + horizon, catalog)


def _sync_campaign(
    conn: Connection,
    campaign: Campaign,
    catalog: ChannelCatalog,
    addresses: Mapping[tuple[str, str], str],
    chats: list[tuple[str, str]],
    paused: bool,
    now: dt.datetime,
    horizon: dt.timedelta,
    report: SyncReport,
) -> None:
    tz = ZoneInfo(campaign.timezone)
    start, end = now - campaign.grace, now + horizon
    expansion = expand_for_sync(campaign, catalog, now, horizon)
    dispatches = with_subscribers(expansion.dispatches(), chats)
    _sync_deliveries(
        conn, campaign, dispatches, addresses, paused, start, end, now, report, catalog
    )
    _sync_occurrences(
        conn, campaign, [*expansion.activities, *expansion.deadlines], tz, start, end, now, report,
        catalog.units,
    )  # fmt: skip
    reports.record_owed(conn, campaign.id, expansion.owed, tz, catalog.units, now)
    values = {
        "digest": version_digest(campaign, catalog, chats),
        "title": campaign.title,
        "source": str(campaign.source),
        "grace_seconds": int(campaign.grace.total_seconds()),
        "timezone": campaign.timezone,
        "tags": "\n".join(campaign.tags),
        "description": campaign.description,
        "synced_from": start,
        "synced_until": end,
        "updated_at": now,
    }
    done = conn.execute(update(V).where(V.c.campaign == campaign.id).values(**values)).rowcount
    if not done:
        conn.execute(V.insert().values(campaign=campaign.id, **values))


def _sync_deliveries(
    conn: Connection,
    campaign: Campaign,
    dispatches: Iterable[Dispatch],
    addresses: Mapping[tuple[str, str], str],
    paused: bool,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    report: SyncReport,
    catalog: ChannelCatalog | None = None,
) -> None:
    existing = {
        row.key: row
        for row in conn.execute(
            select(D.c.key, D.c.state, D.c.content_hash, D.c.cancel_reason, D.c.due).where(
                D.c.campaign == campaign.id
            )
        ).all()
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    restores: list[dict[str, Any]] = []
    settled: list[dict[str, Any]] = []  # edited or restored: their approval is looked at again
    reached = {key for key, old in existing.items() if old.state in REACHED}
    kept, duplicates = one_per_chat(dispatches, addresses, reached)
    seen: set[str] = set(duplicates)  # not vanished: cancelled below, with their own reason
    doubled = [
        {"k": key, "reason": t("duplicate_of", key=winner)}
        for key, winner in duplicates.items()
        if key in existing and existing[key].state in EDITABLE
    ]
    for dispatch in kept:
        seen.add(dispatch.key)
        row = hashed_delivery_row(dispatch, campaign.grace, now, paused, catalog)
        old = existing.get(dispatch.key)
        if old is None:
            if dispatch.due < start and row["state"] != State.FAILED:
                row.update(_missed_values(now))
                report.missed += 1
            inserts.append(row)
            continue
        changed = old.content_hash != row["content_hash"]
        if not changed and old.state != State.CANCELLED:
            continue
        if old.state in EDITABLE:
            updates.append(edit_values(row))
            settled.append(row)
        elif (
            old.state == State.CANCELLED
            # rejected by an approver: the edit that fixes it asks again
            and (old.cancel_reason in RESTORABLE
                 or (old.cancel_reason == approval.REJECTED_REASON and changed))
            and dispatch.due >= start
        ):  # fmt: skip
            restores.append(edit_values(row))
            settled.append(row)
    vanished = [
        key
        for key, old in existing.items()
        if key not in seen
        and old.state in EDITABLE
        and start <= old.due < end
        and reports.ESCALATION not in key  # not of the file: an overdue report's escalation
        and MARK not in key  # nor an event's sequence (scheduler.events)
    ]
    if inserts:
        conn.execute(D.insert(), inserts)
    if updates:
        conn.execute(edit_statement(), updates)
    if restores:
        conn.execute(edit_statement(restore=State.HELD if paused else State.PENDING), restores)
    report.voided += settle_approvals(conn, settled, now)
    if vanished:
        conn.execute(
            update(D)
            .where(D.c.key.in_(vanished))
            .values(state=State.CANCELLED, cancel_reason="removed", next_attempt_at=None,
                    updated_at=now)
        )  # fmt: skip
    if doubled:
        conn.execute(_duplicate_statement(now), doubled)
    report.inserted += len(inserts)
    report.updated += len(updates)
    report.restored += len(restores)
    report.cancelled += len(vanished) + len(doubled)


def _missed_values(now: dt.datetime) -> dict[str, Any]:
    return {
        "state": State.MISSED,
        "next_attempt_at": None,
        "last_error": t("missed_added_late"),
        "updated_at": now,
    }


def edit_values(row: dict[str, Any]) -> dict[str, Any]:
    """The values ``edit_statement`` binds to bring a waiting delivery in line with ``row``."""
    return {
        "k": row["key"],
        "due": row["due"],
        "text": row["text"],
        "image": row["image"],
        "content_hash": row["content_hash"],
        "last_error": row["last_error"],
        "next_attempt_at": row["next_attempt_at"],
        "updated_at": row["updated_at"],
        "grace_seconds": row["grace_seconds"],
        "needs_approval": row["needs_approval"],
    }


def edit_statement(restore: State | None = None) -> Any:
    values: dict[str, Any] = {
        name: bindparam(name)
        for name in (
            "due",
            "text",
            "image",
            "content_hash",
            "last_error",
            "updated_at",
            "grace_seconds",
            "needs_approval",
        )
    }
    values["next_attempt_at"] = bindparam("next_attempt_at")
    if restore is not None:
        values.update(state=restore, cancel_reason="", attempts=0)
        condition = and_(D.c.key == bindparam("k"), D.c.state == State.CANCELLED)
    else:
        # executemany cannot expand IN lists: spell the states out
        editable = or_(*(D.c.state == state for state in EDITABLE))
        condition = and_(D.c.key == bindparam("k"), editable)
    return update(D).where(condition).values(**values)


def _sync_occurrences(
    conn: Connection,
    campaign: Campaign,
    items: list[ActivityOccurrence | DeadlineOccurrence],
    tz: ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    report: SyncReport,
    units: UnitRegistry,
) -> None:
    existing = {
        row.key: row
        for row in conn.execute(
            select(O.c.key, O.c.content_hash, O.c.status, O.c.start, O.c.end, O.c.sequence).where(
                O.c.campaign == campaign.id
            )
        ).all()
    }
    seen: set[str] = set()
    owner = SimpleNamespace(
        timezone=campaign.timezone, title=campaign.title, tags="\n".join(campaign.tags)
    )
    for item in items:
        row = _occurrence_row(item, tz, now, campaign, units)
        seen.add(row["key"])
        old = existing.get(row["key"])
        if old is None:
            conn.execute(O.insert().values(**with_feed_block(row, 0, owner, units)))
            report.occurrences_changed += 1
        elif old.content_hash != row["content_hash"] or old.status != "confirmed":
            values = with_feed_block(row, old.sequence + 1, owner, units)
            conn.execute(update(O).where(O.c.key == row["key"]).values(**values))
            report.occurrences_changed += 1
    gone = [
        key
        for key, old in existing.items()
        if key not in seen
        and MARK not in key  # an event's occurrence: its intake keeps it
        and old.status == "confirmed"
        and (old.end or old.start) >= start
        and old.start < end
    ]
    if gone:
        conn.execute(
            update(O)
            .where(O.c.key.in_(gone))
            .values(status="cancelled", sequence=O.c.sequence + 1, updated_at=now)
        )
        report.occurrences_changed += len(gone)


def with_feed_block(
    row: dict[str, Any], sequence: int, owner: Any, units: UnitRegistry
) -> dict[str, Any]:
    """The row with its serialised feed event, rendered once here rather than on every feed."""
    full = {**row, "sequence": sequence, "status": "confirmed"}
    full["ics"] = event_block(feed_event(SimpleNamespace(**full), owner, units)).decode("utf-8")
    full["ics_of"] = block_marker(sequence, "confirmed", full["updated_at"])
    return full


def _remove_campaign(conn: Connection, campaign: str, now: dt.datetime, report: SyncReport) -> None:
    """A campaign file was deleted: its pending messages are cancelled, its events cancelled."""
    result = conn.execute(
        update(D)
        .where(and_(D.c.campaign == campaign, D.c.state.in_(list(EDITABLE))))
        .values(state=State.CANCELLED, cancel_reason="removed", next_attempt_at=None,
                updated_at=now)
    )  # fmt: skip
    report.cancelled += int(result.rowcount or 0)
    conn.execute(
        update(O)
        .where(and_(O.c.campaign == campaign, O.c.status == "confirmed"))
        .values(status="cancelled", sequence=O.c.sequence + 1, updated_at=now)
    )
    # the row stays (marked) so the campaign's feeds keep serving its CANCELLED events a while
    conn.execute(update(V).where(V.c.campaign == campaign).values(digest=REMOVED, updated_at=now))
    report.removed_campaigns.append(campaign)
