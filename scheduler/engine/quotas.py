"""Zalo OA quotas, known before anything is sent and enforced when sending.

An OA may message followers proactively only within allowances: a monthly total for the OA,
and caps per follower per month and per day. ``[channels.<name>.quota]`` sets them (the
defaults are the platform's published ones for a verified OA). ``plan_warnings`` reads an
expansion and says, per month, where a campaign plan would go over; ``QuotaGuard`` counts what
was really sent and stops a delivery that would go over, naming the quota.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, func, or_, select

from campaigns.expand import Dispatch
from campaigns.i18n import t
from scheduler.config import Config
from scheduler.store.tables import Delivery, State
from scheduler.subscriptions import address_of, last_inbound

D = Delivery.__table__  # type: ignore[attr-defined]
REPLY_WINDOW = dt.timedelta(hours=48)  # after a user's message, an OA may answer freely


@dataclass(frozen=True)
class Quota:
    monthly: int | None = None  # everything this OA sends proactively in a calendar month
    per_user_monthly: int | None = None
    per_user_daily: int | None = None


def quotas(config: Config) -> dict[str, Quota]:
    out = {}
    for name, settings in config.data.channels.items():
        if settings.type == "zalo_oa":
            q = settings.quota
            out[name] = Quota(q.monthly, q.per_user_monthly, q.per_user_daily)
    return out


def plan_warnings(dispatches: Iterable[Dispatch], config: Config) -> list[str]:
    """Where planned messages would exceed a channel's quota, month by month."""
    limits = quotas(config)
    if not limits:
        return []
    tz = ZoneInfo(config.timezone)
    monthly: Counter[tuple[str, str]] = Counter()
    per_user_month: Counter[tuple[str, str, str]] = Counter()
    per_user_day: Counter[tuple[str, str, str]] = Counter()
    for d in dispatches:
        if d.channel not in limits:
            continue
        local = d.due.astimezone(tz)
        month, day = f"{local:%m/%Y}", f"{local:%d/%m/%Y}"
        monthly[(d.channel, month)] += 1
        per_user_month[(d.channel, d.target, month)] += 1
        per_user_day[(d.channel, d.target, day)] += 1
    warnings = []
    for (channel, month), count in sorted(monthly.items()):
        cap = limits[channel].monthly
        if cap is not None and count > cap:
            warnings.append(
                t("quota_plan_monthly", channel=channel, month=month, count=count, cap=cap)
            )
    for (channel, target, month), count in sorted(per_user_month.items()):
        cap = limits[channel].per_user_monthly
        if cap is not None and count > cap:
            warnings.append(
                t(
                    "quota_plan_user",
                    channel=channel,
                    target=target,
                    when=month,
                    count=count,
                    cap=cap,
                )
            )
    for (channel, target, day), count in sorted(per_user_day.items()):
        cap = limits[channel].per_user_daily
        if cap is not None and count > cap:
            warnings.append(
                t("quota_plan_user", channel=channel, target=target, when=day, count=count, cap=cap)
            )
    return warnings


class QuotaGuard:
    """Counts sent deliveries in the store (and those in flight ahead of the one asking); answers why one more would go over, or None.

    A user who wrote to the OA in the last 48 hours may be answered freely (Zalo's reply
    window), so a message to them is never refused; it is still counted afterwards, which
    errs on the side of refusing early rather than being refused by Zalo.
    """

    def __init__(
        self,
        db: Engine,
        limits: dict[str, Quota],
        timezone: str,
        addresses: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        self.db = db
        self.limits = limits
        self.tz = ZoneInfo(timezone)
        self.addresses = addresses or {}

    def _sent_since(
        self,
        channel: str,
        since: dt.datetime,
        target: str | None,
        ahead_of: tuple[dt.datetime, str] | None,
    ) -> int:
        """Sent since ``since``, and in flight ahead of the delivery asking (``ahead_of``, its
        due time and key): deliveries claimed together, by one daemon or several, take the
        quota in due order, so together they never go over it."""
        sent = and_(D.c.state == State.SENT, D.c.sent_at >= since)
        if ahead_of is not None:
            due, key = ahead_of
            earlier = or_(D.c.due < due, and_(D.c.due == due, D.c.key < key))
            sent = or_(sent, and_(D.c.state == State.SENDING, D.c.claimed_at >= since, earlier))
        condition = and_(D.c.channel == channel, sent)
        if target is not None:
            condition = and_(condition, D.c.target == target)
        with self.db.connect() as conn:
            return int(conn.execute(select(func.count()).where(condition)).scalar() or 0)

    def refusal(
        self,
        channel: str,
        target: str,
        now: dt.datetime,
        ahead_of: tuple[dt.datetime, str] | None = None,
    ) -> str | None:
        quota = self.limits.get(channel)
        if quota is None:
            return None
        address = address_of(self.addresses, channel, target)
        wrote = last_inbound(self.db, channel, address) if address else None
        if wrote is not None and now - wrote < REPLY_WINDOW:
            return None
        local = now.astimezone(self.tz)
        month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        checks = (
            (quota.monthly, month, None, "quota_monthly"),
            (quota.per_user_monthly, month, target, "quota_user_monthly"),
            (quota.per_user_daily, day, target, "quota_user_daily"),
        )
        for cap, since, who, code in checks:
            if cap is not None and self._sent_since(channel, since, who, ahead_of) >= cap:
                return t(code, channel=channel, target=target, cap=cap)
        return None
