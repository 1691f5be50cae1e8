"""Pausing a campaign (an admin's /pause) holds its coming deliveries; resuming lets them go.

Held deliveries keep their keys and texts, and sync keeps editing them while the campaign is
paused (new ones arrive held too). On resume, those still within their grace period go out at
once and the rest are marked missed: an announcement for a morning that has passed does more
harm than good, the same rule as after downtime.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, select, update

from campaigns.i18n import t
from scheduler.store.tables import (
    ACTIVE_STATES,
    REMOVED,
    CampaignVersion,
    Delivery,
    State,
    still_active,
)

D = Delivery.__table__  # type: ignore[attr-defined]
V = CampaignVersion.__table__  # type: ignore[attr-defined]
CHUNK = 500


class UnknownCampaign(LookupError):
    """No campaign by that id is running."""


@dataclass(frozen=True)
class PauseResult:
    changed: bool  # False: it was already paused (or already running)
    held: int = 0  # deliveries held by a pause
    resumed: int = 0  # deliveries sent again by a resume
    missed: int = 0  # deliveries a resume found past their grace


def hold_paused(conn: Connection, now: dt.datetime, keys: Sequence[str] | None = None) -> int:
    """Hold what waits in a paused campaign (of ``keys``, or all). Whatever makes a delivery
    pending again calls it in the same transaction: sync (a /pause may have committed while it
    was reading), recording a retry, crash recovery, ``loa retry``."""
    if keys is not None and not keys:
        return 0
    paused = select(V.c.campaign).where(V.c.paused.is_(True))
    if conn.execute(paused.limit(1)).first() is None:
        return 0  # the usual case: nothing paused, nothing to look through
    which = and_(still_active(D.c.state), D.c.campaign.in_(paused))
    if keys is not None:
        which = and_(which, D.c.key.in_(list(keys)))
    result = conn.execute(update(D).where(which).values(state=State.HELD, updated_at=now))
    return int(result.rowcount or 0)


def _paused(conn: object, campaign: str) -> bool:
    row = conn.execute(  # type: ignore[attr-defined]
        select(V.c.paused).where(and_(V.c.campaign == campaign, V.c.digest != REMOVED))
    ).first()
    if row is None:
        raise UnknownCampaign(campaign)
    return bool(row.paused)


def pause(db: Engine, campaign: str, now: dt.datetime) -> PauseResult:
    with db.begin() as conn:
        if _paused(conn, campaign):
            return PauseResult(changed=False)
        conn.execute(update(V).where(V.c.campaign == campaign).values(paused=True))
        held = conn.execute(
            update(D)
            .where(and_(D.c.campaign == campaign, D.c.state.in_(list(ACTIVE_STATES))))
            .values(state=State.HELD, updated_at=now)
        ).rowcount
    return PauseResult(changed=True, held=int(held or 0))


def resume(db: Engine, campaign: str, now: dt.datetime) -> PauseResult:
    with db.begin() as conn:
        if not _paused(conn, campaign):
            return PauseResult(changed=False)
        conn.execute(update(V).where(V.c.campaign == campaign).values(paused=False))
        rows = conn.execute(
            select(D.c.key, D.c.due, D.c.grace_seconds).where(
                and_(D.c.campaign == campaign, D.c.state == State.HELD)
            )
        ).all()
        late = [r.key for r in rows if now - r.due > dt.timedelta(seconds=r.grace_seconds)]
        missed = set(late)
        ready = [r.key for r in rows if r.key not in missed]
        for keys in chunks(ready):
            conn.execute(
                update(D)
                .where(and_(D.c.key.in_(keys), D.c.state == State.HELD))  # still held
                .values(state=State.PENDING, next_attempt_at=D.c.due, updated_at=now)
            )
        for keys in chunks(late):
            conn.execute(
                update(D)
                .where(and_(D.c.key.in_(keys), D.c.state == State.HELD))  # still held
                .values(state=State.MISSED, next_attempt_at=None, updated_at=now,
                        last_error=t("missed_while_paused"))
            )  # fmt: skip
    return PauseResult(changed=True, resumed=len(ready), missed=len(late))


def chunks(keys: list[str], size: int = CHUNK) -> Iterator[list[str]]:
    """Keys a few hundred at a time: a database takes only so many parameters in one IN."""
    for i in range(0, len(keys), size):
        yield keys[i : i + size]
