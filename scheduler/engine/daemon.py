"""``loa run``: the long-running daemon that wires store, sync, engine and clock together.

APScheduler (AsyncIOScheduler) is the clock: one ``wake`` job set at the next due time (no
polling of the outbox), a daily job that rolls the expansion horizon, and a light job that
notices edited campaign files. Signals: SIGINT/SIGTERM stop cleanly, SIGHUP reloads campaign
files, SIGUSR1 re-reads the outbox (the CLI sends it after ``loa retry``/``loa cancel`` on
SQLite; on PostgreSQL it notifies ``loa_wake``, which every daemon listens to).

On PostgreSQL several daemons may run: each one dispatches and rescues, and the work that
must happen once (syncing the files, the daily roll, bots, escalations) runs on the leader
only (``scheduler.engine.cluster``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import secrets
import signal
import socket
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from rich.console import Console
from rich.padding import Padding
from rich.text import Text
from sqlalchemy import Engine, func, select

from campaigns import markup
from campaigns.dates import format_datetime
from campaigns.errors import Problem
from campaigns.i18n import t
from campaigns.loader import LoadResult, discover, first_errors
from campaigns.model import Campaign
from channels.base import Channel
from channels.limits import RateLimiter
from channels.registry import build_inbox
from scheduler import alerts, approval, refusals, reports
from scheduler.alerts.sender import AlertSender, Policy
from scheduler.bot.core import BotSettings, CommandCore, Reply
from scheduler.bot.runner import BotRunner
from scheduler.campaign_set import load_campaigns
from scheduler.config import Config
from scheduler.engine import cluster
from scheduler.engine.dispatch import DispatchEngine, RetryPolicy, utcnow
from scheduler.engine.jobs import RunningJobs
from scheduler.engine.lock import ALERTED, APPLICATION, SYNC, DaemonLock, daemon_lock, nudge
from scheduler.engine.outlets import build_outlets
from scheduler.engine.quotas import QuotaGuard, quotas
from scheduler.http.feeds import Generation
from scheduler.refusals import Refusal, Refusals
from scheduler.store import daemons, meta, outbox
from scheduler.store.db import is_postgres, migrate, open_engine, sqlite_path
from scheduler.store.storage import HealthFile, StorageWatch, backoff, describe
from scheduler.store.tables import ACTIVE_STATES, REMOVED, CampaignVersion, Delivery
from scheduler.subscriptions import SUBSCRIBERS
from scheduler.sync import SyncReport, sync

if TYPE_CHECKING:
    from scheduler.http.server import HttpServer

log = logging.getLogger("loa.daemon")
D = Delivery.__table__  # type: ignore[attr-defined]
V = CampaignVersion.__table__  # type: ignore[attr-defined]

STOP_TIMEOUT = 4.0  # seconds a stopping daemon waits for sends in flight
RESCAN_SECONDS = 30  # safety net: re-read the next due time even without a nudge
ALERT_SECONDS = 15  # the alert sender's sweep: summaries, ends, incidents raised elsewhere


class CampaignWatcher:
    """Keeps the last good version of every campaign file and notices edits.

    A file is refused when it does not load, or when sync cannot expand it (``refuse``); either
    way its last good version keeps running (or nothing, if it never had one), and a refused
    version is not tried again until the file changes.

    A load counts only once its sync has been committed (``settled``): until then the files
    are still "changed", so a reload whose sync failed is tried again, and a failed one leaves
    the watcher as it was before the load (``unsettled``).
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.good: dict[Path, Campaign] = {}
        self.stamps: dict[Path, tuple[int, int]] = {}
        self.last: tuple[list[Campaign], LoadResult] | None = None  # what load() last gave
        self.refused: dict[Path, tuple[Campaign, Problem]] = {}  # versions sync could not expand
        self._before: dict[Path, Campaign] = {}  # ``good`` before the last load
        self._loading: tuple[Any, ...] | None = None  # the stamps read and the state before

    def _stamps(self) -> dict[Path, tuple[int, int]]:
        files, _ = discover(self.config.campaign_paths)
        out = {}
        for path in files:
            with contextlib.suppress(OSError):
                st = path.stat()
                out[path] = (st.st_mtime_ns, st.st_size)
        return out

    def changed(self) -> bool:
        return self._stamps() != self.stamps

    def refuse(self, refused: dict[str, Problem]) -> None:
        """Sync could not expand these campaigns (by id): their files' versions before the
        last load run instead, and ``last`` no longer offers the refused versions."""
        for path, campaign in list(self.good.items()):
            if campaign.id not in refused:
                continue
            self.refused[path] = (campaign, refused[campaign.id])
            before = self._before.get(path)
            if before is not None and before.digest != campaign.digest:
                self.good[path] = before
            else:
                del self.good[path]
        if self.last is not None:
            self.last = self._running(self.last[1])

    def problems(self) -> list[Problem]:
        """What the last reload found in the files, and why a version that loaded was refused."""
        found = list(self.last[1].problems) if self.last is not None else []
        return found + [problem for _, problem in self.refused.values()]

    def refused_files(self) -> list[str]:
        """Files whose current version does not run: it does not load, or cannot expand."""
        return sorted(self.refusals())

    def refusals(self) -> dict[str, Problem]:
        """Each refused file with the first problem that refuses it (file:line and reason)."""
        found = first_errors(self.last[1].errors) if self.last is not None else {}
        for campaign, problem in self.refused.values():
            found.setdefault(campaign.file or str(campaign.source), problem)
        return found

    def protected_paths(self, failed: set[Path]) -> set[Path]:
        return failed | set(self.refused)

    def load(self) -> tuple[list[Campaign], LoadResult]:
        """The campaigns to run: fresh good files, and the last good version of broken ones.
        The files' times are read first (an edit during the load is seen next time) and kept
        until the sync of this load is committed."""
        before = (self.good, self._before, self.refused, self.last)
        self._loading = (self._stamps(), before)
        result = load_campaigns(self.config)
        fresh = {c.source: c for c in result.campaigns}
        self.refused = {
            p: r for p, r in self.refused.items() if p in fresh and fresh[p].digest == r[0].digest
        }
        fresh = {p: c for p, c in fresh.items() if p not in self.refused}
        kept = {
            p: c
            for p, c in self.good.items()
            if (p in result.failed_files or p in self.refused) and p.exists()
        }
        self._before = self.good
        self.good = {**kept, **fresh}
        return self._running(result)

    def settled(self) -> None:
        """The sync of the last load is committed: its files are the ones running."""
        if self._loading is not None:
            self.stamps = self._loading[0]
            self._loading = None

    def unsettled(self) -> None:
        """The sync of the last load failed: the store still holds what ran before it, and
        the files stay "changed" so that the next reload tries again."""
        if self._loading is not None:
            self.good, self._before, self.refused, self.last = self._loading[1]
            self._loading = None

    def _running(self, result: LoadResult) -> tuple[list[Campaign], LoadResult]:
        ids: set[str] = set()
        campaigns = []
        for campaign in self.good.values():
            if campaign.id not in ids:
                ids.add(campaign.id)
                campaigns.append(campaign)
        self.last = (campaigns, result)
        return campaigns, result


class Daemon:
    def __init__(
        self,
        config: Config,
        clock: Callable[[], dt.datetime] = utcnow,
        console: Console | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        # no emoji codes: the summary shows message texts as they are sent (":fire:" stays
        # ":fire:"), and rich's table of 3,600 codes (0.5 MB) is never loaded
        self.console = console or Console(highlight=False, emoji=False)
        self.db: Engine | None = None
        self.lock: DaemonLock | None = None  # SQLite's: this daemon is the only one
        self.channels: dict[str, Channel] = {}
        self.engine: DispatchEngine | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self.watcher = CampaignWatcher(config)
        self.stop_event = asyncio.Event()
        self._wake_lock = asyncio.Lock()
        self._sync_lock = asyncio.Lock()
        self.host = socket.gethostname()
        # the random part tells apart two runs with the same pid (a container's pid 1)
        self.daemon_id = f"{self.host}:{os.getpid()}-{secrets.token_hex(2)}"
        self.leadership = cluster.Leadership(config.database_url, self.daemon_id)
        self._listener: asyncio.Task[None] | None = None  # PostgreSQL's wake-ups
        self._bots_stop = asyncio.Event()  # set when this daemon stops leading
        self._cluster: dict[str, Any] = {"daemons": [], "leader": None}  # for /healthz
        self.http: HttpServer | None = None
        self._jobs: RunningJobs | None = None  # the scheduler's jobs that run now
        self.changes = Generation()  # bumped whenever the store may have changed
        self._http_task: asyncio.Task[None] | None = None
        self._next_due: dt.datetime | None = None
        self.bots: dict[str, BotRunner] = {}
        self._bot_tasks: list[asyncio.Task[None]] = []
        self._reported: set[str] = set()  # campaign problems already in the log
        self.storage: StorageWatch | None = None
        self._migrated = False  # schema brought up to date (a storage fault can put it off)
        self._recovered = False  # crash recovery done (a storage fault can put it off)
        self._pending_sync: bool | None = None  # a sync put off by a fault (True: forced)
        self._sync_failures = 0  # syncs failed in a row for a reason other than storage
        self._sync_not_before: dt.datetime | None = None  # their backoff
        self.refusals = Refusals()  # refused campaign files, each said once
        self._failures = 0  # wakes failed in a row for any other reason
        self._not_before: dt.datetime | None = None  # their backoff
        self._reload_asked = False  # a SIGHUP came during start-up: reload once up
        self._signal_tasks: set[asyncio.Task[None]] = set()
        self.alerts: AlertSender | None = None
        self._alerts_lock = asyncio.Lock()  # one run of the sender at a time
        self._unlisten: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- start-up ----------------------------------------------------------------------------

    def open(self) -> None:
        """Everything that can fail on bad setup, before any work: lock, schema, channels."""
        url = self.config.database_url
        self.lock = daemon_lock(url)
        if self.lock is not None:
            self.lock.acquire()
        self.db = open_engine(url, APPLICATION + self.daemon_id)
        path = sqlite_path(url)
        health_file = HealthFile(path) if path is not None else None
        self.storage = StorageWatch(self.db, describe(url), self.clock, health_file)
        try:
            migrate(self.db)
            self._migrated = True
        except Exception as exc:  # a database that cannot be opened: reported, retried
            if not self.storage.failed(exc):
                raise
        self.channels, limiter = build_outlets(self.config, self.db)
        http = self.config.data.http
        self.bots = self._build_bots(limiter)
        if http.enabled:
            # a web framework is loaded only by a daemon that serves the web
            from scheduler.http.app import HttpState, create_app
            from scheduler.http.auth import AuthSettings
            from scheduler.http.events import EventEndpoint
            from scheduler.http.server import HttpServer

            state = HttpState(
                db=self.db,
                feed_tokens=self.config.feed_tokens(),
                scheduler_running=self._started,
                next_due=lambda: self._next_due,
                latencies=lambda: self.engine.latencies if self.engine else [],
                bots=self._bot_health,
                refused_files=self.watcher.refused_files,
                refusals=self.refusals.as_json,
                storage=self.storage.health,
                hooks=self._webhook_bot,
                base_url=http.public_url.rstrip("/"),
                units=self.config.units(),
                cluster=lambda: self._cluster,
                auth=AuthSettings.of(http.session_idle_minutes, http.trusted_proxies),
                generation=self.changes,
                timezone=self.config.timezone,
                language=self.config.language,
                catalog=self.config.catalog(),
                channel_types={n: c.type for n, c in self.config.data.channels.items()},
                problems=self.watcher.problems,
                changed=self._outbox_changed,
                clock=self.clock,
                self_approval=self.config.data.approval.self_approval,
                events=EventEndpoint(
                    self.db, self.config.event_tokens(), self._running_campaigns,
                    self.config.catalog(), self.clock, self._outbox_changed, self.config.language,
                ) if self.config.data.events.sources else None,
                config=self.config,
                campaigns=self._running_campaigns,
            )  # fmt: skip
            self.http = HttpServer(
                create_app(state), http.host, http.port, http.header_timeout_seconds,
                http.max_unfinished_per_client, http.max_unfinished,
            )  # fmt: skip
        notice = self.config.data.alerts
        self.alerts = AlertSender(
            self.db, self.config.alert_routes(), self.config.tz,
            Policy(dt.timedelta(seconds=notice.summary_seconds), notice.max_per_hour), self.clock,
            self.config.approver_routes(),
        )  # fmt: skip
        settings = self.config.data.daemon
        self.engine = DispatchEngine(
            self.db,
            self.channels,
            self.config.addresses(),
            self.daemon_id,
            clock=self.clock,
            policy=RetryPolicy(
                base=settings.retry_base_seconds, max_attempts=settings.max_attempts
            ),
            batch_size=settings.batch_size,
            limiter=limiter,
            lease=dt.timedelta(seconds=settings.lease_seconds),
            quota=QuotaGuard(
                self.db, quotas(self.config), self.config.timezone, self.config.addresses()
            ).refusal,
        )

    def _build_bots(self, limiter: RateLimiter) -> dict[str, BotRunner]:
        """A runner per channel whose bot answers commands, all sharing one command core."""
        assert self.db is not None
        bots = self.config.bots()
        if not bots:
            return {}
        http = self.config.data.http
        settings = BotSettings(
            timezone=self.config.timezone,
            language=self.config.language,
            admins={name: frozenset(map(str, s.bot.admins)) for name, s in bots.items()},
            feed_base=self._feed_base,
            private_feeds=frozenset(http.private_feeds),
            sends_to_subscribers=self._sends_to_subscribers,
            catalog=self.config.catalog(),
            approvers=dict(self.config.data.approval.chat_users),
            self_approval=self.config.data.approval.self_approval,
            campaigns=self._running_campaigns,
        )
        core = CommandCore(self.db, settings, self.clock)
        public = http.public_url.rstrip("/")
        runners = {}
        for name, s in bots.items():
            secret = os.environ.get(s.bot.secret_env or "", "")
            inbox = build_inbox(name, s.type, self.channels[name], secret, s.app_id or "")
            runners[name] = BotRunner(
                inbox, self.channels[name], core, self.db, self._after_command,
                mode=s.bot.mode_for(s.type),
                poll_seconds=s.bot.poll_seconds,
                webhook_url=f"{public}/hooks/{name}" if public else "",
                limiter=limiter, clock=self.clock,
            )  # fmt: skip
        return runners

    def _running_campaigns(self) -> list[Campaign]:
        """The campaigns an event is checked against: the last good version of each file (a
        follower, which does not sync, reads the files itself). Blocking: call it in a thread."""
        last = self.watcher.last
        return last[0] if last is not None else load_campaigns(self.config).campaigns

    def _bot_health(self) -> dict[str, dict[str, str]]:
        return {name: runner.health.summary() for name, runner in self.bots.items()}

    def _webhook_bot(self, name: str) -> BotRunner | None:
        runner = self.bots.get(name)
        return runner if runner is not None and runner.mode == "webhook" else None

    def _feed_base(self) -> str:
        public = self.config.data.http.public_url.rstrip("/")
        return public or (self.http.url if self.http is not None else "")

    def _sends_to_subscribers(self, campaign_id: str) -> bool:
        catalog = self.config.catalog()
        for campaign in self.watcher.good.values():
            if campaign.id == campaign_id:
                specs = [m.channels for m in campaign.messages]
                specs += [d.channels for d in campaign.deadlines]
                return any(SUBSCRIBERS in (s or catalog.defaults) for s in specs)
        return False

    async def _after_command(self, reply: Reply) -> None:
        """A chat command changed subscriptions or the outbox: the daemon follows at once. A
        follower (a webhook reached it) asks the leader to sync."""
        if reply.resync and self.leadership.leading:
            await self._sync_or_defer(reread=False)
        elif reply.resync:
            await asyncio.to_thread(nudge, self.config.database_url, SYNC)
        await self._outbox_changed()

    async def _sync_or_defer(
        self, force: bool = False, show_progress: bool = False, reread: bool = True
    ) -> SyncReport | None:
        """``_sync``, or, while the database cannot be written, the same sync put off until
        the storage retry finds it writable again (None). A sync that fails for any other
        reason is put off too, and the reload job tries it again after a backoff: an edit is
        never forgotten until the next day's roll."""
        assert self.storage is not None
        if self.storage.incident is None:
            try:
                report = await self._sync(force, show_progress, reread)
            except Exception as exc:
                if self.storage.failed(exc):
                    self._arm_storage_retry()
                else:
                    log.exception("campaign sync failed; will try again")
                    wait = backoff(self._sync_failures) * 6  # 6 s, 12 s, then every 30 s
                    self._sync_failures += 1
                    self._sync_not_before = self.clock() + dt.timedelta(seconds=wait)
            else:
                self._sync_failures, self._sync_not_before = 0, None
                return report
        self._pending_sync = force or bool(self._pending_sync)
        return None

    async def _sync(
        self, force: bool = False, show_progress: bool = False, reread: bool = True
    ) -> SyncReport:
        """``reread=False``: the files are as last read (a subscription changed, not a file),
        so the last load serves again and its problems are not logged twice."""
        assert self.db is not None
        async with self._sync_lock:
            if reread or self.watcher.last is None:
                campaigns, result = await asyncio.to_thread(self.watcher.load)
                self._log_problems(result.problems)
            else:
                campaigns, result = self.watcher.last
            try:
                report = await self._sync_loaded(campaigns, result, force, show_progress)
            except BaseException:
                self.watcher.unsettled()  # the files stay "changed": the next reload tries again
                raise
            self.watcher.settled()
            if report.changed:
                await self._wake_peers()
            if report.refused:
                self.watcher.refuse(report.refused)
            await self._say_refusals()
        if report.changed or report.expanded:
            log.info(
                "synced",
                extra={"campaigns": report.campaigns, "expanded": report.expanded,
                       "inserted": report.inserted, "updated": report.updated,
                       "cancelled": report.cancelled, "restored": report.restored,
                       "missed": report.missed},
            )  # fmt: skip
        return report

    async def _sync_loaded(
        self, campaigns: list[Campaign], result: LoadResult, force: bool, show_progress: bool
    ) -> SyncReport:
        assert self.db is not None
        protected = await asyncio.to_thread(
            self._protected_ids, self.watcher.protected_paths(result.failed_files)
        )
        given = self.engine.store_clock() if self.engine is not None else None
        now = await asyncio.to_thread(outbox.store_now, self.db, given)  # what is past
        progress = _Progress(self.console) if show_progress else None
        try:
            return await asyncio.to_thread(
                sync,
                self.db,
                campaigns,
                self.config.catalog(),
                now,
                self.config.horizon,
                protected,
                force,
                progress,
            )
        finally:
            if progress is not None:
                progress.close()

    async def _say_refusals(self) -> None:
        """Each refused file version once (``campaign_refused``), and the list where ``loa
        status`` reads it. A file accepted again ends its incident, also one opened by an
        earlier run or another daemon (the store's, not this process's memory)."""
        assert self.db is not None
        for refusal in self.refusals.update(self.watcher.refusals(), self.clock()):
            await self._campaign_refused(refusal)
        for incident in await asyncio.to_thread(alerts.open_incidents, self.db):
            file = incident["subject"]
            if incident["kind"] == alerts.CAMPAIGN_REFUSED and file not in self.refusals.current:
                await asyncio.to_thread(
                    alerts.resolve_incident, self.db, alerts.CAMPAIGN_REFUSED, file
                )
        listed = self.refusals.unrecorded()
        if listed is not None:
            await asyncio.to_thread(refusals.record, self.db, listed)
            self.refusals.recorded(listed)

    async def _campaign_refused(self, refusal: Refusal) -> None:
        """A campaign file was refused as a whole (its previous version keeps running): called
        once per refused version, logged and an incident for the admins."""
        assert self.db is not None
        log.error("campaign refused", extra={"file": refusal.file, "problem": refusal.problem})
        await asyncio.to_thread(
            alerts.raise_incident, self.db, alerts.CAMPAIGN_REFUSED, refusal.file,
            detail=refusal.problem,
        )  # fmt: skip

    def _log_problems(self, problems: list[Problem]) -> None:
        """Each problem once while it lasts: a reload for another file's edit does not repeat
        it, a problem fixed and made again is said again. The first error of a file is said
        with its refusal (``_campaign_refused``)."""
        refusing = {str(p) for p in first_errors(problems).values()}
        for problem in problems:
            if str(problem) not in self._reported and str(problem) not in refusing:
                level = logging.ERROR if problem.severity == "error" else logging.WARNING
                log.log(level, "campaign problem", extra={"problem": str(problem)})
        self._reported = {str(p) for p in problems}

    def _protected_ids(self, failed: set[Path]) -> set[str]:
        """Campaigns whose file is broken now: what they had in the store stays as it is."""
        assert self.db is not None
        names = {str(p) for p in failed} | {str(p.resolve()) for p in failed if p.exists()}
        with self.db.connect() as conn:
            rows = conn.execute(select(V.c.campaign, V.c.source)).all()
        refused = {campaign.id for campaign, _ in self.watcher.refused.values()}
        return (
            {r.campaign for r in rows if r.source in names}
            | refused
            | {c.id for p, c in self.watcher.good.items() if p in failed}
        )

    def _summary(self, report: SyncReport | None) -> None:
        """``report``: this daemon's start-up sync; None when it did not sync (a follower, or
        a database that cannot be written), and the campaigns are counted in the store."""
        assert self.db is not None
        with self.db.connect() as conn:
            if report is None:
                stored = select(func.count()).where(V.c.digest != REMOVED)
                report = SyncReport(campaigns=conn.execute(stored).scalar() or 0)
            pending = conn.execute(
                select(func.count()).where(D.c.state.in_(list(ACTIVE_STATES)))
            ).scalar()
            upcoming = conn.execute(
                select(D.c.next_attempt_at, D.c.campaign, D.c.channel, D.c.target, D.c.text)
                .where(D.c.state.in_(list(ACTIVE_STATES)))
                .order_by(D.c.next_attempt_at)
                .limit(5)
            ).all()
        tz = self.config.tz
        channels = ", ".join(self.channels) or "—"
        self.console.print(
            t("running", campaigns=report.campaigns, pending=pending, channels=channels)
        )
        if not self.leadership.leading:
            self.console.print(t("running_follower"))
        for row in upcoming:
            when = format_datetime(row.next_attempt_at.astimezone(tz))
            target = f"{row.channel}:{row.target}" if row.target else row.channel
            # the first line as the chat will read it, whole: wrapped under its heading, never cut
            lines = markup.parse(row.text).plain().strip().splitlines() or [""]
            first = lines[0] + (" …" if len(lines) > 1 else "")  # more follows in the message
            self.console.print(f"  • {when} → {target} [{row.campaign}]", markup=False)
            self.console.print(Padding(Text(first), (0, 0, 0, 4)), overflow="fold")
        if not upcoming:
            self.console.print(t("nothing_coming"))
        if self.http is not None:
            self.console.print(t("feeds_at", url=self.http.url))
        if self.bots:
            names = ", ".join(f"{name} ({runner.mode})" for name, runner in self.bots.items())
            self.console.print(t("bots_listening", names=names))
        self.console.print(t("press_ctrl_c"))

    # -- the clock ---------------------------------------------------------------------------

    async def _wake(self) -> None:
        assert self.storage is not None
        async with self._wake_lock:
            if self.storage.incident is not None or self.stop_event.is_set():
                return  # the storage retry runs the engine once a write works again
            try:
                await self._dispatch()
                self._failures, self._not_before = 0, None
            except Exception as exc:
                self._failed(exc)
            finally:
                await self._reschedule()

    async def _dispatch(self) -> None:
        assert self.engine is not None
        if not self._recovered:
            await self._recover()
        report = await self.engine.run_due()
        if report.sent or report.failed or report.missed or report.retrying:
            log.info("dispatched", extra=vars(report))
        if report.deferred or report.retrying:
            await self._wake_peers()

    async def _outbox_changed(self) -> None:
        """This daemon changed the outbox (a page's action, an event, a chat command): it
        looks again at once, and so do its peers (``_wake_peers``)."""
        await self._reschedule()
        await self._wake_peers()

    async def _wake_peers(self) -> None:
        """On PostgreSQL, every daemon re-reads the outbox now: what this one changed (a sync,
        an action, deliveries put back for later) is theirs to send too, and they would
        otherwise hear of it only at their rescan, leaving this daemon to send it alone. Best
        effort: the rescan still finds it."""
        if self.db is None or not is_postgres(self.config.database_url):
            return
        try:
            await asyncio.to_thread(cluster.wake_peers, self.db)
        except Exception as exc:
            log.warning("peers not woken", extra={"error": type(exc).__name__})

    def _failed(self, exc: Exception) -> None:
        """A wake failed. A storage fault is one incident, logged once and retried by
        ``_retry_storage``; any other error is logged with its traceback and the next wake
        backs off, so a persistent error cannot spin the daemon."""
        assert self.storage is not None
        if self.storage.failed(exc):
            self._arm_storage_retry()
            return
        log.exception("dispatch failed; will try again")
        if self.storage.incident is not None:
            self.storage.backoff()
            self._arm_storage_retry()
        else:
            wait = backoff(self._failures) * 6  # 6 s, 12 s, then every 30 s
            self._failures += 1
            self._not_before = self.clock() + dt.timedelta(seconds=wait)

    def _arm_storage_retry(self) -> None:
        assert self.storage is not None and self.storage.retry_at is not None
        if self.scheduler is not None:  # at start-up, _start_scheduler arms it
            self.scheduler.add_job(
                self._retry_storage, DateTrigger(run_date=self.storage.retry_at),
                id="storage", replace_existing=True,
            )  # fmt: skip

    async def _retry_storage(self) -> None:
        """Try a small write; once it works, do the work the fault put off, then resume."""
        assert self.storage is not None
        async with self._wake_lock:
            try:
                await asyncio.to_thread(self._reopen)
                if self._pending_sync is not None:
                    force, self._pending_sync = self._pending_sync, None
                    await self._sync(force=force)
                await self._dispatch()
            except Exception as exc:
                self._failed(exc)
                return
            self.storage.cleared()
        await self._reschedule()

    def _reopen(self) -> None:
        """After a storage fault: fresh connections (one SQLite opened read-only during the
        fault stays read-only after it), the schema if the start could not bring it up to date,
        and one small write."""
        assert self.db is not None and self.storage is not None
        self.db.dispose()
        if not self._migrated:
            migrate(self.db)
            self._migrated = True
        self.storage.probe()

    async def _probe_storage(self) -> None:
        """A small write now and then, so an idle daemon on a read-only or full disk says so
        before a message is due."""
        assert self.storage is not None
        if self.storage.incident is not None:
            return
        try:
            await asyncio.to_thread(self.storage.probe)
        except Exception as exc:
            if not self.storage.failed(exc):
                raise
            self._arm_storage_retry()

    async def _recover(self, start: bool = True) -> None:
        """Resolve what a crash left in flight (see ``DispatchEngine.recover``): at start, and
        as the rescuer of claims whose lease ran out while the daemon runs."""
        assert self.engine is not None and self.db is not None
        recovery = await self.engine.recover(start, alone=self.lock is not None)
        self._recovered = True
        if recovery.in_flight:
            log.warning(
                "recovered deliveries caught in flight by a crash",
                extra={"in_flight": recovery.in_flight,
                       "confirmed_sent": recovery.confirmed_sent,
                       "confirmed_not_sent": recovery.confirmed_not_sent,
                       "possible_duplicates": recovery.possible_duplicates},
            )  # fmt: skip
            summary = (
                f"{self.clock().isoformat()} in_flight={recovery.in_flight} "
                f"confirmed_sent={recovery.confirmed_sent} "
                f"confirmed_not_sent={recovery.confirmed_not_sent} "
                f"possible_duplicates={recovery.possible_duplicates}"
            )
            await asyncio.to_thread(meta.set_meta, self.db, "last_recovery", summary)

    async def _leases(self) -> None:
        """The heartbeat (this daemon's claims hold on) and the rescuer (claims of a daemon
        that died go out again, under the doubt rule of crash recovery)."""
        assert self.engine is not None and self.storage is not None
        if self.storage.incident is not None or not self._recovered:
            return  # the storage retry runs start-up recovery first
        try:
            await self.engine.heartbeat()
            await self._announce()
            await self._recover(start=False)
        except Exception as exc:
            if not self.storage.failed(exc):
                raise
            self._arm_storage_retry()
            return
        await self._reschedule()

    async def _announce(self, start: bool = False) -> None:
        """This daemon's row in the registry of running daemons (``loa status``, /healthz)."""
        assert self.db is not None
        await asyncio.to_thread(
            daemons.announce, self.db, self.daemon_id, self.host, os.getpid(), self.clock(), start
        )
        if start and self.lock is not None:  # SQLite's lock: the other rows are the dead's
            await asyncio.to_thread(daemons.forget_others, self.db, self.daemon_id)
        if start or not is_postgres(self.config.database_url):  # on PostgreSQL, ``_lead`` does
            self._cluster = await asyncio.to_thread(self._survey)
            self._share_rate()

    def _survey(self) -> dict[str, Any]:
        assert self.db is not None
        return cluster.survey(self.db, self.config.database_url, self.clock()).as_json()

    def _share_rate(self) -> None:
        """After each survey: this daemon keeps its share of the channels' overall rates, as
        many shares as daemons are alive (on the loop, where the limiter is used)."""
        limiter = self.engine.limiter if self.engine is not None else None
        alive = len(self._cluster["daemons"])
        if limiter is not None and alive and alive != limiter.daemons:
            limiter.share(alive)
            log.info("rate shared", extra={"daemons": limiter.daemons})

    async def _lead(self) -> None:
        """Take the lead when it is free, or make sure it is still held (PostgreSQL, every
        ``cluster.TRY_SECONDS``). Gained: start the bots and sync. Lost (the lock's connection
        broke): stop the bots at once; a peer leads, or will at its next try."""
        change = await self.leadership.check()
        if change:
            log.info("leader gained", extra={"daemon": self.daemon_id})
            self._start_bots()
            self._spawn(self._sync_as_leader())
        elif change is not None:
            log.warning("leader lost", extra={"daemon": self.daemon_id})
            await self._stop_bots()
        with contextlib.suppress(Exception):  # /healthz shows the last survey that worked
            self._cluster = await asyncio.to_thread(self._survey)
            self._share_rate()

    async def _sync_as_leader(self) -> None:
        if self.leadership.leading:
            await self._sync_or_defer()
            await self._reschedule()

    def _start_bots(self) -> None:
        self._bots_stop = asyncio.Event()
        for runner in self.bots.values():
            runner.ready.clear()  # a new term prepares again (the webhook is registered anew)
            self._bot_tasks.append(asyncio.create_task(runner.run(self._bots_stop)))

    async def _stop_bots(self) -> None:
        self._bots_stop.set()
        if self._bot_tasks:
            _, late = await asyncio.wait(self._bot_tasks, timeout=2)
            for task in late:
                task.cancel()
        self._bot_tasks = []

    def _woken(self, what: str) -> None:
        """A NOTIFY on ``loa_wake``: re-read the outbox; the leader also syncs when asked, and
        tells the admins of an incident raised or ended by any process."""
        if what == ALERTED:
            if self.leadership.leading:
                self._alert_soon()
        elif what == SYNC and self.leadership.leading:
            self._spawn(self._after_command(Reply(resync=True)))
        else:
            self._nudged()

    async def _reschedule(self) -> None:
        assert self.db is not None and self.scheduler is not None and self.storage is not None
        self.changes.bump()  # the store may have changed: feeds look again
        if self.storage.incident is not None:
            return  # the storage retry reschedules once a write works again
        engine = self.engine
        paced, now = (engine.paced, engine.store_clock()) if engine else (frozenset(), None)
        try:
            when = await asyncio.to_thread(outbox.next_wake, self.db, paced, now)
        except Exception as exc:
            if not self.storage.failed(exc):
                raise
            self._arm_storage_retry()
            return
        if when is not None and engine is not None:
            when -= engine.skew  # the store's clock to this host's
        self._next_due = when
        if when is None:
            with contextlib.suppress(Exception):
                self.scheduler.remove_job("wake")
            return
        when = max(when, self.clock(), self._not_before or when)
        self.scheduler.add_job(
            self._wake,
            DateTrigger(run_date=when),
            id="wake",
            replace_existing=True,
            max_instances=10,
        )

    async def _escalate(self) -> None:
        """Overdue reports: one escalation each, into the outbox, then the engine looks."""
        assert self.db is not None
        if self.storage is not None and self.storage.incident is not None:
            return  # the database cannot be written: the storage retry says so, once
        if not self.leadership.leading:
            return  # one escalation per report: the leader's
        config = self.config
        try:
            count = await asyncio.to_thread(
                reports.escalate, self.db, self.clock(), config.units(), config.admin_chats(),
                config.tz,
            )  # fmt: skip
        except Exception:
            log.exception("escalating overdue reports failed; will try again")
            return
        if count:
            log.info("escalated overdue reports", extra={"count": count})
            await self._reschedule()

    async def _hold_unapproved(self) -> None:
        """Due and not approved: held and told (``approval.hold_overdue``), the leader's job."""
        assert self.db is not None
        if self.storage is not None and self.storage.incident is not None:
            return
        if not self.leadership.leading:
            return
        try:
            now = self.engine.store_clock() if self.engine else self.clock()
            found = await asyncio.to_thread(approval.hold_overdue, self.db, now)
        except Exception:
            log.exception("holding unapproved messages failed; will try again")
            return
        if found.held or found.missed:
            log.info("held unapproved", extra=vars(found))

    async def _send_alerts(self) -> None:
        """The alert sender's run (with several daemons, the leader's job): what is due for the
        admins goes into the outbox, and the engine sends it like any message."""
        assert self.alerts is not None and self.storage is not None
        if self.storage.incident is not None or self.stop_event.is_set():
            return
        if not self.leadership.leading:
            return  # one sender for the admins: the leader's
        try:
            async with self._alerts_lock:
                queued = await asyncio.to_thread(self.alerts.run_once)
        except Exception as exc:
            if self.storage.failed(exc):
                self._arm_storage_retry()
            else:
                log.exception("sending alerts failed; will try again")
            return
        if queued:
            await self._reschedule()

    def _alert_soon(self) -> None:
        """An incident was raised or ended (from any thread): the sender runs now, not at its
        sweep."""
        scheduler, loop = self.scheduler, self._loop
        if scheduler is None or loop is None or loop.is_closed() or not scheduler.running:
            return

        def add() -> None:
            scheduler.add_job(
                self._send_alerts, DateTrigger(run_date=self.clock()), id="alerts-now",
                replace_existing=True,
            )  # fmt: skip

        loop.call_soon_threadsafe(add)

    async def _reload_if_changed(self) -> None:
        """A sync that failed is tried again once its backoff is over; else edited files are
        read again."""
        assert self.storage is not None
        if self.storage.incident is not None:
            return  # an edit made meanwhile is still an edit once the database can be written
        if not self.leadership.leading:
            return  # the leader syncs the files
        if self._sync_not_before is not None and self.clock() < self._sync_not_before:
            return
        if self._pending_sync is not None:
            force, self._pending_sync = self._pending_sync, None
            await self._sync_or_defer(force=force)
        elif await asyncio.to_thread(self.watcher.changed):
            log.info("campaign files changed; reloading")
            await self._sync_or_defer()
        else:
            return
        await self._reschedule()

    async def _roll_horizon(self) -> None:
        if not self.leadership.leading:
            return
        await self._sync_or_defer(force=True)
        await self._reschedule()

    async def _reload(self) -> None:
        self._reload_asked = False
        if not self.leadership.leading:
            return
        log.info("reloading campaign files (SIGHUP)")
        await self._sync_or_defer()
        await self._reschedule()

    async def _rescan(self) -> None:
        await self._probe_storage()
        await self._reschedule()

    # -- main --------------------------------------------------------------------------------

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._handle_signals()
        log.info("starting", extra={"pid": os.getpid()})
        self.open()
        assert self.engine is not None and self.storage is not None
        try:
            # a database that cannot be written does not stop the start: it is reported, and
            # the work it puts off (recovery, the first sync) is done once it can be written
            await self._probe_storage()
            if self.storage.incident is None:
                try:
                    await self._recover()
                    await self._announce(start=True)
                except Exception as exc:
                    if not self.storage.failed(exc):
                        raise
            if await self.leadership.check():
                log.info("leader gained", extra={"daemon": self.daemon_id})
            report = None
            if self.leadership.leading:
                report = await self._sync_or_defer(show_progress=sys.stderr.isatty())
            try:
                self._summary(report)
            except Exception as exc:  # a database that cannot even be read: already said
                if not self.storage.failed(exc):
                    raise
            if self.stop_event.is_set():
                return
            self._start_scheduler()
            if self._reload_asked:
                self._hangup()
            if self.http is not None:
                self._http_task = asyncio.create_task(self.http.serve())
                log.info("http listening", extra={"url": self.http.url})
            if self.leadership.leading:
                self._start_bots()
            if is_postgres(self.config.database_url):
                self._listener = asyncio.create_task(
                    cluster.listen(self.config.database_url, self._woken)
                )
            await self._wake()
            await self.stop_event.wait()
        finally:
            await self._shutdown()

    def _start_scheduler(self) -> None:
        tz = self.config.tz
        scheduler = AsyncIOScheduler(
            timezone=tz,
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )
        self.scheduler = scheduler
        self._jobs = RunningJobs(scheduler)
        scheduler.add_job(self._roll_horizon, CronTrigger(hour=0, minute=5, timezone=tz), id="roll")
        scheduler.add_job(
            self._reload_if_changed,
            IntervalTrigger(seconds=self.config.data.daemon.reload_seconds),
            id="reload",
        )
        scheduler.add_job(self._rescan, IntervalTrigger(seconds=RESCAN_SECONDS), id="rescan")
        scheduler.add_job(self._send_alerts, IntervalTrigger(seconds=ALERT_SECONDS), id="alerts")
        scheduler.add_job(
            self._hold_unapproved,
            IntervalTrigger(seconds=self.config.data.daemon.reload_seconds),
            id="approval",
        )
        if self.config.data.reports.escalate:
            scheduler.add_job(
                self._escalate,
                IntervalTrigger(seconds=self.config.data.daemon.reload_seconds),
                id="escalate",
            )
        every = self.engine.lease.total_seconds() / 4 if self.engine else RESCAN_SECONDS
        scheduler.add_job(self._leases, IntervalTrigger(seconds=every), id="leases")
        if is_postgres(self.config.database_url):
            scheduler.add_job(self._lead, IntervalTrigger(seconds=cluster.TRY_SECONDS), id="lead")
        scheduler.start()
        self._unlisten = alerts.on_raised(self._alert_soon)
        scheduler.add_job(self._send_alerts, DateTrigger(run_date=self.clock()), id="alerts-now")
        if self.storage is not None and self.storage.incident is not None:
            self._arm_storage_retry()

    def _handle_signals(self) -> None:
        """Before any slow start-up work (schema, channels, the first sync of a large campaign
        set): a signal's default action would end the process. A stop then is clean; a reload
        is kept for when the daemon is up; a nudge is covered by the first wake."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop_event.set)
        loop.add_signal_handler(signal.SIGHUP, self._hangup)
        loop.add_signal_handler(signal.SIGUSR1, self._nudged)

    def _started(self) -> bool:
        return self.scheduler is not None and self.scheduler.running

    def _hangup(self) -> None:
        if self._started():
            self._spawn(self._reload())
        else:
            self._reload_asked = True

    def _nudged(self) -> None:
        if self._started():
            self._spawn(self._reschedule())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """A task held until it ends: the loop keeps only a weak reference to it."""
        task = asyncio.create_task(work)
        self._signal_tasks.add(task)
        task.add_done_callback(self._signal_tasks.discard)

    async def _shutdown(self) -> None:
        """Stop claiming, let the sends in flight finish (at most ``STOP_TIMEOUT``) and record
        them, and only then stop the scheduler: its shutdown cancels a running job, and a send
        cancelled midway is in doubt at the next start."""
        self.stop_event.set()
        self._bots_stop.set()
        if self.engine is not None:
            self.engine.stop()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()  # no job starts any more; the running ones end below
        deadline = asyncio.get_running_loop().time() + STOP_TIMEOUT
        try:
            await asyncio.wait_for(self._wake_lock.acquire(), timeout=STOP_TIMEOUT)
            self._wake_lock.release()
        except TimeoutError:
            log.warning("stopping with sends in flight; they are resolved on the next start")
        if self._jobs is not None:  # a reload or a check halfway through: let it end
            left = max(0.0, deadline - asyncio.get_running_loop().time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._jobs.idle.wait(), timeout=left)
        if self._unlisten is not None:
            self._unlisten()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(BaseException):
                await self._listener
        await self._stop_bots()
        if self.http is not None:
            self.http.stop()
            if self._http_task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._http_task, timeout=2)
            self.http.sock.close()
        for channel in self.channels.values():
            with contextlib.suppress(Exception):
                await channel.close()
        if self.db is not None:
            with contextlib.suppress(Exception):  # a database that is down: the row goes stale
                await asyncio.to_thread(daemons.leave, self.db, self.daemon_id)
            self.db.dispose()
        await asyncio.to_thread(self.leadership.release)
        if self.storage is not None and self.storage.file is not None:
            self.storage.file.close()
        if self.lock is not None:
            self.lock.release()
        log.info("stopped")


class _Progress:
    """A progress bar on a terminal for long syncs (a large horizon, many campaigns)."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn(t("syncing")), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
            console=Console(stderr=True), transient=True,
        )  # fmt: skip
        self.task = self.progress.add_task("", total=None)
        self.progress.start()

    def __call__(self, done: int, total: int, campaign: str) -> None:
        self.progress.update(self.task, completed=done, total=total, description=campaign)

    def close(self) -> None:
        self.progress.stop()


def run(config: Config) -> None:
    """Run the daemon until SIGINT/SIGTERM."""
    daemon = Daemon(config)
    asyncio.run(daemon.run())
