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
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from campaigns.i18n import t
from channels.base import Channel, OutboundMessage, Receipt
from channels.errors import AuthError, ChannelError, PermanentError, RecipientGone, TransientError
from channels.limits import RateLimiter
from scheduler import alerts
from scheduler.alerts.sender import ALERTS, subject_of
from scheduler.store import outbox
from scheduler.store.outbox import Claimed, Outcome, Pace
from scheduler.store.storage import fault_kind
from scheduler.store.tables import State
from scheduler.subscriptions import CHAT_PREFIX, address_of

log = logging.getLogger("loa.engine")

Clock = Callable[[], dt.datetime]

LEASE = dt.timedelta(seconds=60)  # how long a claim holds unless its daemon renews it
SKEW_SECONDS = 1.0  # how long the store's clock is taken as this host's plus the last skew
CONCURRENCY = 128  # sends in flight at once (each to its own target); a claim takes no more
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
        concurrency: int | None = None,
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
        self.concurrency = concurrency or CONCURRENCY
        # outlets that bound their sends with the platform (``Channel.in_flight``): each gets
        # claims of its own, about as many as it can have in flight
        self.bounds: dict[str, int] = {
            name: min(bound, self.concurrency)
            for name, channel in channels.items()
            if (bound := getattr(channel, "in_flight", None))
        }
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
        self.skew = dt.timedelta(0)  # the store's clock minus this host's (``_store_time``)
        self._skew_until = 0.0  # time.monotonic() until which ``skew`` stands
        # channels with a per-chat or per-group rate: their pace lives in the store
        limits = limiter.limits if limiter is not None else {}
        self.paced = frozenset(n for n, lim in limits.items() if lim.per_target or lim.per_group)
        self._writing = asyncio.Lock()  # one write at a time: SQLite would make one wait
        self._refused: set[str] = set()  # keys whose platform refused the channel's token
        self._seen: list[tuple[Claimed, Outcome | None]] = []  # for the admins' incidents
        self._unnoted: dict[tuple[str, str], alerts.Sighting] = {}  # their write failed

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
        now = await self._store_time()
        rule = (None if alone and start else now, self.daemon_id, start)
        stuck = await asyncio.to_thread(outbox.take_in_flight, self.db, *rule, now + self.lease)
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
        taker = outbox.rescuer(self.daemon_id)
        await asyncio.to_thread(outbox.record, self.db, confirmed, now, taker)
        done = {o.key for o in confirmed} | set(not_delivered)
        again = [c.key for c in stuck if c.key not in done]
        await asyncio.to_thread(outbox.release, self.db, not_delivered, now, False, self.daemon_id)
        await asyncio.to_thread(outbox.release, self.db, again, now, True, self.daemon_id)
        report.confirmed_sent = len(confirmed)
        report.confirmed_not_sent = len(not_delivered)
        report.possible_duplicates = len(again)
        return report

    async def heartbeat(self) -> int:
        """Renew the leases of this daemon's claims: it is alive, its sends are in its hands."""
        until = await self._store_time() + self.lease
        return await asyncio.to_thread(outbox.renew, self.db, self.daemon_id, until)

    async def run_due(self, only: list[str] | None = None) -> BatchReport:
        """Send everything due now (or just the ``only`` keys).

        A claim takes only what can be in flight (``concurrency``), and the next claim comes
        as sends complete: a crash puts in doubt only what may really have reached a
        platform. Each outcome is recorded as its send completes; this returns once all are
        recorded. A write the database refuses for good (a storage fault) leaves what it
        could not write in ``unrecorded``, written before anything else is claimed."""
        if self.unrecorded:
            await self._record(self.unrecorded)
            self.unrecorded = []
        missed = 0
        recorded = _Recorded(self._record)
        lanes = _Lanes(self, recorded)
        recorded.written_hook = lambda: (
            lanes.dry.clear()
        )  # a record frees targets: any may have more
        try:
            while not self.stopping:
                rooms = lanes.rooms()
                room = min(self.batch_size, self.concurrency - lanes.queued)
                if lanes.queued and not lanes.worth_claiming(rooms):
                    await lanes.progress()  # claim again once half some room is free
                    continue
                # written with the claim, in its transaction: they free their targets for it
                done = await recorded.take() if not lanes.queued else []
                marks = lanes.marks()
                now = await self._store_time()
                try:
                    async with self._writing:
                        send, late = await asyncio.to_thread(
                            outbox.claim_due, self.db, now, self.daemon_id, room, only,
                            self.lease, self.paced, done, rooms if self.bounds else None,
                        )  # fmt: skip
                except OperationalError:
                    recorded.give_back(done)  # written by the recorder, with its retries
                    if not done:
                        raise
                    await recorded.drain()
                    if recorded.task.done():
                        break  # the recorder failed for good: ``close`` says why
                    continue
                except BaseException:
                    recorded.give_back(done)
                    raise
                lanes.claimed(rooms, room, send, late, marks)
                missed += len(late)
                self._seen.extend((item, None) for item in late)
                await self._note_incidents()
                for item in late:
                    log.warning("missed", extra={"key": item.key, "due": item.due.isoformat()})
                lanes.add(send)
                if only is not None:
                    break
                if not send and not late:
                    if lanes.queued:
                        await lanes.progress()  # a target it holds may free the next message
                    elif not recorded.waiting and not recorded.writing:
                        break  # else: what is being written may free a target
        finally:
            try:
                await lanes.finish()
            finally:  # a broken lane still leaves its run's outcomes recorded and noted
                try:
                    await recorded.close()
                except Exception:
                    self.unrecorded = recorded.waiting
                    raise
                finally:
                    await self._note_incidents()
        total = _report(recorded.all, missed)
        for name in ("sent", "retrying", "failed", "missed", "deferred"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(total, name))
        return total

    async def _store_time(self) -> dt.datetime:
        """Now by the store's clock (``outbox.store_now``) when the engine runs on the real
        clock; its difference from this host's (``skew``) turns the store's times into this
        host's for the wake-up, and this host's into the store's for retries. The difference
        is asked again once a second, not at every claim: a round trip per claim was a fifth
        of the database's work when claims are small (an outlet's 12 in flight)."""
        if self.clock is utcnow and self.db.dialect.name == "postgresql":
            if time.monotonic() < self._skew_until:
                return self.clock() + self.skew
            now = await asyncio.to_thread(outbox.store_now, self.db)
            self.skew = now - self.clock()
            self._skew_until = time.monotonic() + SKEW_SECONDS
            return now
        return self.clock()

    async def _note_incidents(self) -> None:
        """What the admins must hear of (``scheduler.alerts``), from the outcomes seen since
        the last call (``_seen``): a target that failed for good, a channel whose token is
        refused, deliveries missed. Counted in one write, none when all went well; an alert's
        own failure is left to the log, so that alerts never feed on themselves. A write that
        fails is tried again with the next one, each sighting counted once."""
        counted, self._unnoted = self._unnoted, {}
        for sighting in self._sightings():
            _tally(counted, sighting)
        if not counted:
            return
        try:
            await asyncio.to_thread(alerts.raise_many, self.db, counted.values(), self.clock())
        except Exception as exc:  # the outcomes are recorded; the alert is the lesser loss
            log.warning("incident not recorded", extra={"error": f"{type(exc).__name__}"})
            for sighting in counted.values():
                _tally(self._unnoted, sighting)

    def _sightings(self) -> list[alerts.Sighting]:
        """The incidents in the outcomes seen since the last call, one sighting each."""
        seen_now, self._seen = self._seen, []
        seen: list[tuple[Claimed, str, str]] = []
        for item, outcome in seen_now:
            if outcome is None:
                seen.append((item, alerts.DELIVERY_MISSED, ""))
            elif outcome.deferred:
                continue
            elif outcome.state == State.FAILED:
                auth = outcome.key in self._refused
                self._refused.discard(outcome.key)
                seen.append((item, alerts.CHANNEL_AUTH if auth else alerts.DELIVERY_FAILED,
                             outcome.error))  # fmt: skip
            elif outcome.state == State.MISSED:
                seen.append((item, alerts.DELIVERY_MISSED, outcome.error))
        sightings = []
        for item, kind, error in seen:
            if item.campaign == ALERTS:
                continue
            if kind == alerts.CHANNEL_AUTH:
                subject = item.channel
            else:
                subject = subject_of(item.channel, item.target)
            if kind == alerts.DELIVERY_MISSED and not error:
                error = t("alert_missed_due", due=item.due.isoformat(timespec="minutes"))
            sightings.append(alerts.Sighting(kind, subject, error))
        return sightings

    def store_clock(self) -> dt.datetime | None:
        """``now`` for the store's own queries: None (the store's clock) on the real clock, the
        injected one otherwise (tests)."""
        return None if self.clock is utcnow else self.clock()

    def now(self) -> dt.datetime:
        """This host's clock set to the store's (see ``_store_time``)."""
        return self.clock() + self.skew

    async def _record(self, outcomes: list[Outcome]) -> None:
        """Write outcomes, trying again while the database is busy (another process holds
        its write lock, a PostgreSQL connection dropped): a message sent is recorded, never
        dropped. A storage fault that outlasts a few tries is the daemon's incident."""
        tries = 0
        while True:
            try:
                async with self._writing:
                    await asyncio.to_thread(
                        outbox.record, self.db, outcomes, self.now(), self.daemon_id
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
            parts_sent=item.parts_sent,
        )
        outcome = await self._try(channel, message, item)
        if item.channel not in self.paced and outcome.pace is None:
            return outcome
        after = self._spacing(channel, item.channel, address)
        hold = outcome.pace.hold if outcome.pace is not None else None
        return replace(outcome, pace=Pace(item.channel, item.target, after, hold))

    async def _try(self, channel: Channel, message: OutboundMessage, item: Claimed) -> Outcome:
        """One try of the channel, and what it came to (a platform's retry-after as a hold
        on the target, for every daemon)."""
        try:
            receipt = await channel.send(message)
        except TransientError as exc:
            outcome = self._retry_or_give_up(item, exc)
            if exc.parts_sent:  # the next try goes on after them, whichever daemon makes it
                outcome = replace(outcome, provider_message_id=",".join(exc.parts_sent))
            if exc.retry_after is None:
                return outcome
            if self.limiter is not None:
                self.limiter.hold(item.channel, item.target, exc.retry_after)
            return replace(outcome, pace=Pace(item.channel, item.target, hold=exc.retry_after))
        except (PermanentError, AuthError) as exc:
            log.error("failed", extra={"key": item.key, "error": exc.reason})
            if isinstance(exc, AuthError):
                self._refused.add(item.key)
            gone = isinstance(exc, RecipientGone) and item.target.startswith(CHAT_PREFIX)
            ended = (item.channel, message.address) if gone else None
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

    def _spacing(self, channel: Channel, name: str, address: str) -> float | None:
        """Seconds between two messages to one target of a paced channel (its per-chat or
        per-group rate, evened out, with the limiter's slack): a pace every daemon keeps."""
        limits = self.limiter.limits.get(name) if self.limiter is not None else None
        if limits is None or self.limiter is None:
            return None
        window = limits.per_group if channel.is_group(address) else limits.per_target
        if window is None:
            return None
        return window.seconds / window.count + self.limiter.slack

    def _retry_or_give_up(self, item: Claimed, exc: TransientError) -> Outcome:
        now = self.now()
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
    those that come while a flush is being written go together in the next. When the run is
    about to claim, it takes what waits (``take``) and writes it with its claim instead."""

    def __init__(self, write: Callable[[list[Outcome]], Awaitable[None]]) -> None:
        self.write = write
        self.all: list[Outcome] = []
        self.waiting: list[Outcome] = []
        self.more = asyncio.Event()
        self.writing = False
        self.written = asyncio.Event()  # no flush is being written
        self.written.set()
        self.emptied = asyncio.Event()  # everything appended is written
        self.closed = False
        self.written_hook: Callable[[], None] = lambda: None  # after each flush is written
        self.task = asyncio.create_task(self._flush())

    def append(self, outcome: Outcome) -> None:
        self.all.append(outcome)
        self.waiting.append(outcome)
        self.emptied.clear()
        self.more.set()

    async def take(self) -> list[Outcome]:
        """What waits to be written, once the flush being written (if any) is, for the caller
        to write with its claim (a write that failed for good: ``close`` says why)."""
        if self.writing and not self.task.done():
            await self.written.wait()
        batch, self.waiting = self.waiting, []
        return batch

    def give_back(self, batch: list[Outcome]) -> None:
        """``take``'s outcomes that the caller could not write: written by the flushes."""
        if batch:
            self.waiting[:0] = batch
            self.emptied.clear()
            self.more.set()

    async def drain(self) -> None:
        """Until everything appended is written (or a write failed for good)."""
        emptied = asyncio.ensure_future(self.emptied.wait())
        await asyncio.wait({emptied, self.task}, return_when=asyncio.FIRST_COMPLETED)
        emptied.cancel()

    async def close(self) -> None:
        """Wait until every outcome is written; raise what made a write fail for good."""
        self.closed = True
        self.more.set()
        await self.task

    async def _flush(self) -> None:
        while True:
            if not self.waiting:
                self.emptied.set()
                if self.closed:
                    return
                await self.more.wait()
                self.more.clear()
                continue
            await asyncio.sleep(0)  # the run may take them first, to write with its claim
            if not self.waiting:
                continue
            batch, self.waiting = self.waiting, []
            self.writing = True
            self.written.clear()
            try:
                await self.write(batch)
            except BaseException:
                self.waiting[:0] = batch
                raise
            finally:
                self.writing = False
                self.written.set()
            self.written_hook()


class _Lanes:
    """The targets being sent to, one lane each: a lane sends its target's messages one after
    the other in due order, and once one must wait (a retry, a rate limit) the rest wait
    behind it. Messages claimed later for a target join its lane; different targets go
    concurrently (at most ``concurrency`` at once)."""

    def __init__(self, engine: DispatchEngine, recorded: _Recorded) -> None:
        self.engine = engine
        self.recorded = recorded
        self.queues: dict[tuple[str, str], deque[Claimed]] = {}
        self.holds: dict[tuple[str, str], dt.datetime] = {}  # a lane's hold outlives its task
        self.tasks: set[asyncio.Task[None]] = set()
        self.done = asyncio.Event()
        self.gate = asyncio.Semaphore(engine.concurrency)
        # each bounded outlet's claims (``DispatchEngine.bounds``), the others' under None,
        # and no more of its sends at once than it hands to its platform
        self.by_scope: Counter[str | None] = Counter()
        self.outlets = {name: asyncio.Semaphore(n) for name, n in engine.bounds.items()}
        # scopes whose last claim found fewer due than it had room for: not worth a claim of
        # their own until one of their sends is done (which may free a target), though every
        # claim still looks at them
        self.dry: set[str | None] = set()
        self.finished: Counter[str | None] = Counter()  # sends done, by scope (``marks``)
        self.error: BaseException | None = None  # what broke a lane: the run ends with it

    @property
    def queued(self) -> int:
        """Claimed and not yet done: what a crash would put in doubt."""
        return sum(self.by_scope.values())

    def scope(self, channel: str) -> str | None:
        return channel if channel in self.outlets else None

    def rooms(self) -> dict[str, int]:
        """How many more each bounded outlet may claim (up to its bound); the other channels
        take what is left of the claim's limit (``outbox.allot``)."""
        return {name: max(0, n - self.by_scope[name]) for name, n in self.engine.bounds.items()}

    def worth_claiming(self, rooms: dict[str, int]) -> bool:
        """Claim again once half a scope's room is free (and it may have due rows), whatever
        a claim may take at once (``batch_size``)."""
        engine = self.engine
        free = engine.concurrency - self.queued
        halves: dict[str | None, int] = {name: n // 2 for name, n in engine.bounds.items()}
        halves[None] = (engine.concurrency - sum(engine.bounds.values())) // 2
        return any(
            room >= max(1, halves[scope]) and scope not in self.dry
            for scope, room in outbox.allot(rooms, free, {}).items()
        )

    def marks(self) -> Counter[str | None]:
        """The sends done so far, by scope: ``claimed`` keeps a scope whose sends ended
        meanwhile out of ``dry``."""
        return self.finished.copy()

    def claimed(
        self, rooms: dict[str, int], limit: int, send: list[Claimed], late: list[Claimed],
        marks: Counter[str | None],
    ) -> None:  # fmt: skip
        taken: Counter[str | None] = Counter(self.scope(c.channel) for c in (*send, *late))
        offered = outbox.allot(rooms, limit, taken)
        ended = {scope for scope, n in self.finished.items() if n != marks[scope]}
        self.dry = {s for s, room in offered.items() if taken[s] < room and s not in ended}

    def add(self, claimed: list[Claimed]) -> None:
        for item in sorted(claimed, key=lambda c: (c.due, c.key)):  # a retry keeps its place
            target = (item.channel, item.target)
            queue = self.queues.get(target)
            if queue is None:
                queue = self.queues[target] = deque()
                task = asyncio.create_task(self._lane(target, queue))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            queue.append(item)
            self.by_scope[self.scope(item.channel)] += 1

    async def progress(self) -> None:
        """Until a message is done (sent, or put back)."""
        if self.error is None:
            self.done.clear()
            await self.done.wait()
        if self.error is not None:
            raise self.error

    async def finish(self) -> None:
        while self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.error is not None:
            raise self.error

    async def _lane(self, target: tuple[str, str], queue: deque[Claimed]) -> None:
        engine = self.engine
        async with self.gate:
            try:
                while queue:
                    item = queue[0]  # in the queue while it is sent: a lane that breaks counts it
                    outcome = await self._one(target, item)
                    queue.popleft()
                    if not queue:  # its record frees the target for the next claim
                        outcome = replace(outcome, frees=target)
                    self.recorded.append(outcome)
                    engine._seen.append((item, outcome))
                    if outcome.state == State.RETRYING:
                        self.holds[target] = outcome.next_attempt_at or engine.now()
                    self.by_scope[self.scope(target[0])] -= 1
                    self.finished[self.scope(target[0])] += 1
                    self.dry.discard(self.scope(target[0]))
                    self.done.set()
            except Exception as exc:
                self.error = exc
                self.done.set()
            finally:
                del self.queues[target]
                # broken or cancelled: left in ``sending``, resolved as in doubt
                self.by_scope[self.scope(target[0])] -= len(queue)

    async def _one(self, target: tuple[str, str], item: Claimed) -> Outcome:
        """One message of a lane, once its outlet has room: its rate slot is taken only when
        it can go at once, not while it queues behind the outlet's other sends (they would
        go out bunched, past the platform's rate)."""
        outlet = self.outlets.get(item.channel)
        if outlet is None:
            return await self._paced(target, item)
        async with outlet:
            return await self._paced(target, item)

    async def _paced(self, target: tuple[str, str], item: Claimed) -> Outcome:
        engine = self.engine
        hold = self.holds.get(target)
        if hold is not None and hold <= engine.now():
            del self.holds[target]  # over: the message it held the lane for is due again
            hold = None
        if hold is None and engine.stopping:
            hold = engine.now()
        if hold is None:
            wait, give_back = engine._reserve(item)
            if wait > engine.max_wait:
                give_back()
                hold = self.holds[target] = engine.now() + dt.timedelta(seconds=wait)
            elif wait > 0:
                await asyncio.sleep(wait)
                if engine.stopping:
                    give_back()
                    hold = engine.now()
        if hold is not None:
            return Outcome(item.key, State.PENDING, next_attempt_at=hold, deferred=True)
        return await engine._send_one(item)


def _report(outcomes: list[Outcome], missed: int) -> BatchReport:
    report = BatchReport(missed=missed)
    for outcome in outcomes:
        if outcome.state == State.SENT:
            report.sent += 1
        elif outcome.state == State.RETRYING:
            report.retrying += 1
        elif outcome.state == State.MISSED:
            report.missed += 1
        elif outcome.deferred:
            report.deferred += 1
        else:
            report.failed += 1
    return report


def _tally(counted: dict[tuple[str, str], alerts.Sighting], sighting: alerts.Sighting) -> None:
    """One incident's sightings as one, with the latest detail."""
    key = (sighting.kind, sighting.subject)
    before = counted.get(key)
    counted[key] = replace(sighting, count=before.count + sighting.count) if before else sighting


def _sent(key: str, receipt: Receipt) -> Outcome:
    return Outcome(
        key, State.SENT, sent_at=receipt.sent_at, provider_message_id=receipt.provider_message_id
    )
