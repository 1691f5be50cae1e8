"""The dispatch engine: claim what is due, send it through its channel, record the outcome.

APScheduler decides *when* the engine runs; the outbox decides *what* it sends. Sends to one
target keep their order; different targets go concurrently. Transient errors are retried
with exponential backoff and jitter (or after the server's retry-after); permanent and auth
errors fail the delivery at once; a retry that would land past the grace period is missed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from campaigns.i18n import t
from channels.base import Channel, OutboundMessage, Receipt
from channels.errors import AuthError, ChannelError, PermanentError, RecipientGone, TransientError
from channels.limits import RateLimiter
from scheduler import alerts
from scheduler.alerts.sender import ALERTS, subject_of
from scheduler.store import outbox
from scheduler.store.outbox import Claimed, Outcome
from scheduler.store.storage import fault_kind
from scheduler.store.tables import State
from scheduler.subscriptions import CHAT_PREFIX, address_of

log = logging.getLogger("loa.engine")

Clock = Callable[[], dt.datetime]

LEASE = dt.timedelta(seconds=60)  # how long a claim holds unless its daemon renews it
RECORD_RETRY_CAP = 1.0  # longest wait between tries to record outcomes on a busy database
FAULT_TRIES = 5  # tries before a storage fault (full, read-only disk) is the daemon's incident


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 5.0  # seconds before the first retry
    cap: float = 900.0  # longest wait between tries
    max_attempts: int = 8

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Exponential backoff with jitter; a server's retry-after is honoured as a floor."""
        backoff = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        jittered: float = backoff * rng.uniform(0.5, 1.0)
        if retry_after is not None:
            return float(max(retry_after, 0.0) + rng.uniform(0.0, 0.25))
        return jittered


@dataclass
class RecoveryReport:
    in_flight: int = 0
    confirmed_sent: int = 0
    confirmed_not_sent: int = 0
    possible_duplicates: int = 0
    keys: list[str] = field(default_factory=list)


@dataclass
class BatchReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    missed: int = 0
    deferred: int = 0  # put back unsent behind a rate limit or an earlier message


class DispatchEngine:
    def __init__(
        self,
        db: Engine,
        channels: Mapping[str, Channel],
        addresses: Mapping[tuple[str, str], str],
        daemon_id: str,
        clock: Clock = utcnow,
        policy: RetryPolicy | None = None,
        batch_size: int = 500,
        concurrency: int = 64,
        seed: int | None = None,
        limiter: RateLimiter | None = None,
        max_wait: float = 1.0,
        quota: Callable[[str, str, dt.datetime, tuple[dt.datetime, str]], str | None] | None = None,
        lease: dt.timedelta = LEASE,
    ) -> None:
        self.db = db
        self.channels = channels
        self.addresses = addresses
        self.daemon_id = daemon_id
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.limiter = limiter
        self.quota = quota  # why one more message would go over a platform quota, or None
        self.lease = lease
        self.max_wait = max_wait  # longer waits go back to the outbox instead of holding a claim
        self.rng = random.Random(seed)
        self.totals = BatchReport()
        # outcomes of sends the database refused to record (full or read-only disk): written
        # before anything else is claimed, so a message sent is never left in ``sending``
        self.unrecorded: list[Outcome] = []
        self.latencies: list[float] = []  # seconds from due to sent, for metrics
        self.stopping = False  # see ``stop``
        self._refused: set[str] = set()  # keys whose platform refused the channel's token

    def stop(self) -> None:
        """Claim nothing more and hand nothing more to a channel: the sends in flight finish
        and are recorded, and what was claimed but not yet handed over goes back to the queue
        unflagged (it never reached the platform, so it is no possible duplicate)."""
        self.stopping = True

    async def recover(self, start: bool = True, alone: bool = False) -> RecoveryReport:
        """Take back deliveries left in ``sending`` by a daemon that died (the documented
        policy), at ``start`` and, as the rescuer, while the daemon runs.

        Only claims whose lease ran out are taken (and, at start, those of this daemon's own
        id from an earlier run): a live daemon renews its leases, so its claims are never
        taken. ``alone``: the store is this daemon's alone (the SQLite lock), so every
        ``sending`` row at start was left by a dead one, whatever its lease.

        Where the channel can tell that it already has a message, it is recorded as sent;
        where it can tell for sure that it has not, it is sent again. Every other one is sent
        again and flagged ``possible_duplicate``: the process died
        between handing it to the platform and recording the answer, so it may have arrived.
        Sending again keeps the promise that nothing is lost; the flag and the count keep the
        promise that a duplicate is never hidden.
        """
        now = self.clock()
        rule = (None if alone and start else now, self.daemon_id, start)
        stuck = await asyncio.to_thread(outbox.in_flight, self.db, *rule)
        report = RecoveryReport(in_flight=len(stuck), keys=[c.key for c in stuck])
        if not stuck:
            return report
        by_channel: dict[str, list[Claimed]] = defaultdict(list)
        for claimed in stuck:
            by_channel[claimed.channel].append(claimed)
        confirmed: list[Outcome] = []
        not_delivered: list[str] = []  # the channel knows for sure: send again, no flag
        for name, items in by_channel.items():
            channel = self.channels.get(name)
            found = await channel.find_sent([c.key for c in items]) if channel else {}
            certain = channel is not None and channel.confirms_delivery
            for claimed in items:
                receipt = found.get(claimed.key)
                if receipt is not None:
                    confirmed.append(_sent(claimed.key, receipt))
                elif certain:
                    not_delivered.append(claimed.key)
        await asyncio.to_thread(outbox.record, self.db, confirmed, now)
        done = {o.key for o in confirmed} | set(not_delivered)
        again = [c.key for c in stuck if c.key not in done]
        await asyncio.to_thread(outbox.release, self.db, not_delivered, now, False, rule)
        await asyncio.to_thread(outbox.release, self.db, again, now, True, rule)
        report.confirmed_sent = len(confirmed)
        report.confirmed_not_sent = len(not_delivered)
        report.possible_duplicates = len(again)
        return report

    async def heartbeat(self) -> int:
        """Renew the leases of this daemon's claims: it is alive, its sends are in its hands."""
        until = self.clock() + self.lease
        return await asyncio.to_thread(outbox.renew, self.db, self.daemon_id, until)

    async def run_due(self, only: list[str] | None = None) -> BatchReport:
        """Send everything due now (or just the ``only`` keys), batch after batch."""
        total = BatchReport()
        if self.unrecorded:
            await self._record(self.unrecorded)
            self.unrecorded = []
        while not self.stopping:
            now = self.clock()
            send, missed = await asyncio.to_thread(
                outbox.claim_due, self.db, now, self.daemon_id, self.batch_size, only, self.lease
            )
            total.missed += len(missed)
            for item in missed:
                log.warning("missed", extra={"key": item.key, "due": item.due.isoformat()})
            if not send and not missed:
                break
            outcomes = await self._send_all(send)
            await self._note_incidents(send, missed, outcomes)
            for outcome in outcomes:
                if outcome.state == State.SENT:
                    total.sent += 1
                elif outcome.state == State.RETRYING:
                    total.retrying += 1
                elif outcome.state == State.MISSED:
                    total.missed += 1
                elif outcome.deferred:
                    total.deferred += 1
                else:
                    total.failed += 1
            if len(send) + len(missed) < self.batch_size or only is not None:
                break
        for name in ("sent", "retrying", "failed", "missed", "deferred"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(total, name))
        return total

    async def _note_incidents(
        self, claimed: list[Claimed], missed: list[Claimed], outcomes: list[Outcome]
    ) -> None:
        """What the admins must hear of (``scheduler.alerts``): a target that failed for good,
        a channel whose token is refused, deliveries missed. Counted in one write a batch; an
        alert's own failure is left to the log, so that alerts never feed on themselves."""
        by_key = {c.key: c for c in claimed}
        seen: list[tuple[Claimed, str, str]] = [(c, alerts.DELIVERY_MISSED, "") for c in missed]
        for outcome in outcomes:
            item = by_key.get(outcome.key)
            if item is None or outcome.deferred:
                continue
            if outcome.state == State.FAILED:
                auth = outcome.key in self._refused
                seen.append((item, alerts.CHANNEL_AUTH if auth else alerts.DELIVERY_FAILED,
                             outcome.error))  # fmt: skip
            elif outcome.state == State.MISSED:
                seen.append((item, alerts.DELIVERY_MISSED, outcome.error))
        self._refused.clear()
        counted: dict[tuple[str, str], alerts.Sighting] = {}
        for item, kind, error in seen:
            if item.campaign == ALERTS:
                continue
            if kind == alerts.CHANNEL_AUTH:
                subject = item.channel
            else:
                subject = subject_of(item.channel, item.target)
            if kind == alerts.DELIVERY_MISSED and not error:
                error = t("alert_missed_due", due=item.due.isoformat(timespec="minutes"))
            before = counted.get((kind, subject))
            counted[(kind, subject)] = alerts.Sighting(
                kind, subject, error, (before.count if before else 0) + 1
            )
        if not counted:
            return
        try:
            await asyncio.to_thread(alerts.raise_many, self.db, counted.values(), self.clock())
        except Exception as exc:  # the outcomes are recorded; the alert is the lesser loss
            log.warning("incident not recorded", extra={"error": f"{type(exc).__name__}"})

    async def _send_all(self, claimed: list[Claimed]) -> list[Outcome]:
        """Send the claimed deliveries, each outcome recorded as its send completes (so a
        crash puts in doubt only what was really in flight); returns once all are recorded.

        A write the database refuses for good (a storage fault) leaves what it could not write
        in ``unrecorded``, written before anything else is claimed."""
        lanes: dict[tuple[str, str], list[Claimed]] = defaultdict(list)
        for item in claimed:
            lanes[(item.channel, item.target)].append(item)
        gate = asyncio.Semaphore(self.concurrency)
        outcomes = _Recorded(self._record)

        async def lane(items: list[Claimed]) -> None:
            """One target, in due order: once one message must wait, the rest wait behind it."""
            async with gate:
                hold: dt.datetime | None = None
                for item in items:
                    if hold is None and self.stopping:
                        hold = self.clock()
                    if hold is None:
                        wait, give_back = self._reserve(item)
                        if wait > self.max_wait:
                            give_back()
                            hold = self.clock() + dt.timedelta(seconds=wait)
                        elif wait > 0:
                            await asyncio.sleep(wait)
                            if self.stopping:
                                give_back()
                                hold = self.clock()
                    if hold is not None:
                        outcomes.append(
                            Outcome(item.key, State.PENDING, next_attempt_at=hold, deferred=True)
                        )
                        continue
                    outcome = await self._send_one(item)
                    outcomes.append(outcome)
                    if outcome.state == State.RETRYING:
                        hold = outcome.next_attempt_at

        for items in lanes.values():
            items.sort(key=lambda c: (c.due, c.key))  # a retried message keeps its place
        try:
            await asyncio.gather(*(lane(items) for items in lanes.values()))
        finally:
            try:
                await outcomes.close()
            except Exception:
                self.unrecorded = outcomes.waiting
                raise
        return outcomes.all

    async def _record(self, outcomes: list[Outcome]) -> None:
        """Write outcomes, trying again while the database is busy (another process holds
        its write lock, a PostgreSQL connection dropped): a message sent is recorded, never
        dropped. A storage fault that outlasts a few tries is the daemon's incident."""
        tries = 0
        while True:
            try:
                await asyncio.to_thread(
                    outbox.record, self.db, outcomes, self.clock(), self.daemon_id
                )
                return
            except OperationalError as exc:
                if fault_kind(exc) is not None and tries >= FAULT_TRIES:
                    raise
                if tries == 0:
                    log.warning("recording outcomes; the database is busy, trying again")
                tries += 1
                await asyncio.sleep(min(RECORD_RETRY_CAP, 0.05 * 2**tries))

    def _reserve(self, item: Claimed) -> tuple[float, Callable[[], None]]:
        channel = self.channels.get(item.channel)
        address = address_of(self.addresses, item.channel, item.target)
        if self.limiter is None or channel is None or address is None:
            return 0.0, lambda: None
        return self.limiter.reserve(item.channel, item.target, channel.is_group(address))

    async def _send_one(self, item: Claimed) -> Outcome:
        channel = self.channels.get(item.channel)
        if channel is None:
            return Outcome(item.key, State.FAILED, t("no_such_channel", channel=item.channel))
        address = address_of(self.addresses, item.channel, item.target)
        if address is None:
            return Outcome(
                item.key,
                State.FAILED,
                t("no_such_target", channel=item.channel, target=item.target),
            )
        if self.quota is not None:
            refusal = await asyncio.to_thread(
                self.quota, item.channel, item.target, self.clock(), (item.due, item.key)
            )
            if refusal is not None:
                return Outcome(item.key, State.FAILED, refusal)
        message = OutboundMessage(
            key=item.key,
            campaign=item.campaign,
            item=item.item,
            channel=item.channel,
            target=item.target,
            address=address,
            text=item.text,
            due=item.due,
            image=item.image,
        )
        try:
            receipt = await channel.send(message)
        except TransientError as exc:
            if exc.retry_after is not None and self.limiter is not None:
                self.limiter.hold(item.channel, item.target, exc.retry_after)
            return self._retry_or_give_up(item, exc)
        except (PermanentError, AuthError) as exc:
            log.error("failed", extra={"key": item.key, "error": exc.reason})
            if isinstance(exc, AuthError):
                self._refused.add(item.key)
            gone = isinstance(exc, RecipientGone) and item.target.startswith(CHAT_PREFIX)
            ended = (item.channel, address) if gone else None
            return Outcome(item.key, State.FAILED, exc.reason, unsubscribe=ended)
        except ChannelError as exc:
            return Outcome(item.key, State.FAILED, exc.reason)
        except Exception as exc:
            log.exception("channel error", extra={"key": item.key})
            return self._retry_or_give_up(item, TransientError(f"{type(exc).__name__}: {exc}"))
        self.latencies.append((receipt.sent_at - item.due).total_seconds())
        if len(self.latencies) > 10_000:
            del self.latencies[:5_000]
        return _sent(item.key, receipt)

    def _retry_or_give_up(self, item: Claimed, exc: TransientError) -> Outcome:
        now = self.clock()
        doubt = exc.maybe_delivered
        if item.attempts >= self.policy.max_attempts:
            reason = t("gave_up", reason=exc.reason, attempts=item.attempts)
            return Outcome(item.key, State.FAILED, reason, possible_duplicate=doubt)
        wait = self.policy.delay(item.attempts, exc.retry_after, self.rng)
        when = now + dt.timedelta(seconds=wait)
        if when - item.due > item.grace:
            reason = f"{exc.reason}; {t('retry_past_grace')}"
            return Outcome(item.key, State.MISSED, reason, possible_duplicate=doubt)
        log.info("retrying", extra={"key": item.key, "error": exc.reason, "wait": round(wait, 2)})
        return Outcome(
            item.key, State.RETRYING, exc.reason, next_attempt_at=when, possible_duplicate=doubt
        )


class _Recorded:
    """Outcomes written in small flushes as they come: the first waits for no other, and
    those that come while a flush is being written go together in the next."""

    def __init__(self, write: Callable[[list[Outcome]], Awaitable[None]]) -> None:
        self.write = write
        self.all: list[Outcome] = []
        self.waiting: list[Outcome] = []
        self.more = asyncio.Event()
        self.closed = False
        self.task = asyncio.create_task(self._flush())

    def append(self, outcome: Outcome) -> None:
        self.all.append(outcome)
        self.waiting.append(outcome)
        self.more.set()

    async def close(self) -> None:
        """Wait until every outcome is written; raise what made a write fail for good."""
        self.closed = True
        self.more.set()
        await self.task

    async def _flush(self) -> None:
        while True:
            if not self.waiting:
                if self.closed:
                    return
                await self.more.wait()
                self.more.clear()
                continue
            batch, self.waiting = self.waiting, []
            try:
                await self.write(batch)
            except BaseException:
                self.waiting[:0] = batch
                raise


def _sent(key: str, receipt: Receipt) -> Outcome:
    return Outcome(
        key, State.SENT, sent_at=receipt.sent_at, provider_message_id=receipt.provider_message_id
    )
