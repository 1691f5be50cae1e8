"""Calendar feeds from the store: which events a feed holds, its validator, its bytes.

A removed or cancelled occurrence stays in its feeds as STATUS:CANCELLED for ``KEEP_CANCELLED``
so subscribed clients remove it; after that it leaves the feed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, func, or_, select, true

from campaigns.ics import FeedEvent, FeedInfo, event_block, render_blocks
from campaigns.units import NO_UNITS, UnitRegistry, split_names
from scheduler.store.tables import CampaignVersion, Occurrence

O = Occurrence.__table__  # type: ignore[attr-defined]  # noqa: E741
V = CampaignVersion.__table__  # type: ignore[attr-defined]

KEEP_CANCELLED = dt.timedelta(days=30)
KINDS = ("all", "campaign", "unit", "tag")


def slug(text: str) -> str:
    """The one name a campaign, unit or tag has in feed URLs, the index and ``export-ics``:
    ``Sở Tài nguyên và Môi trường`` → ``so-tai-nguyen-va-moi-truong``, ``môi trường`` →
    ``moi-truong`` (đ → d). A name with no letter or digit left gets a short stable hash, so
    every name has a URL."""
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    folded = "".join(c for c in folded if unicodedata.category(c) != "Mn").lower()
    found = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if found or not text.strip():
        return found
    return "x-" + hashlib.blake2b(text.strip().encode(), digest_size=4).hexdigest()


def feed_path(kind: str, name: str = "") -> str:
    """``tag/moi-truong`` for the tag ``môi trường``: a feed's path under /feeds/ (no .ics)."""
    return "all" if kind == "all" else f"{kind}/{slug(name)}"


def canonical_path(path: str) -> str:
    """A feed path as config.toml may write it (``tag/môi trường``) in its slugged form, so a
    private feed stays private whichever way its name was written."""
    kind, _, name = path.partition("/")
    return feed_path(kind, name) if name else path


@dataclass(frozen=True)
class Privacy:
    """Which campaigns are private: the one fact every public surface asks (the all, unit and
    tag feeds, the index page, the bot's answers). A campaign is private when config.toml's
    ``[http] private_feeds`` lists its feed (``campaign/ID``): its own feed then needs the token,
    and it appears nowhere else that is public."""

    feeds: frozenset[str] = frozenset()  # feed paths made private, in their slugged form

    @classmethod
    def of(cls, private_feeds: Iterable[str]) -> Privacy:
        """From ``[http] private_feeds``' paths, however config.toml wrote them."""
        return cls(frozenset(canonical_path(path) for path in private_feeds))

    def is_private(self, campaign_id: str) -> bool:
        return feed_path("campaign", campaign_id) in self.feeds

    def hidden(self, campaign_ids: Iterable[str]) -> frozenset[str]:
        """The private ones among ``campaign_ids``: what a public surface leaves out."""
        if not any(path.startswith("campaign/") for path in self.feeds):
            return frozenset()
        return frozenset(c for c in campaign_ids if self.is_private(c))


class Generation:
    """The store's change generation as the HTTP surface sees it: the daemon bumps it whenever
    it changed the store (a sync, a chat command, a page's action), and it moves by itself every
    ``ttl`` seconds, so a change made by another process (``loa report submit``, a peer daemon
    on the same PostgreSQL) reaches the feeds within ``ttl``. While it stays the same, a feed's
    version is answered from memory: no database read per request."""

    def __init__(self, ttl: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self.count = 0

    def bump(self) -> None:
        self.count += 1

    def __call__(self) -> Hashable:
        return (self.count, int(self.clock() // self.ttl))


@dataclass(frozen=True)
class FeedSelector:
    """A feed as asked for: ``value`` is a slug or a name as written (``môi trường``).
    ``FeedStore.resolve`` turns it into the slug and the names it stands for (``names``)."""

    kind: str  # "all", "campaign", "unit" or "tag"
    value: str = ""
    names: frozenset[str] = frozenset()

    @property
    def path(self) -> str:
        return "all" if self.kind == "all" else f"{self.kind}/{self.value}"


@dataclass(frozen=True)
class FeedVersion:
    etag: str
    last_modified: dt.datetime | None
    count: int


class FeedStore:
    """Reads feeds from the database, with a small cache of rendered feeds by version.

    ``privacy`` names the private campaigns: the all, unit and tag feeds leave them out, and a
    unit or tag that only they use has no feed. The CLI (a local operator) passes none and
    sees everything; a private campaign's own feed is guarded by its token in ``scheduler.http.app``.
    ``registry`` gives the units' full names: events store a registry unit by its id, which
    stays in URLs while calendars show the name.
    """

    def __init__(
        self,
        db: Engine,
        base_url: str = "",
        cache_size: int = 64,
        privacy: Privacy = Privacy(),
        units: UnitRegistry = NO_UNITS,
        generation: Callable[[], Hashable] | None = None,
    ) -> None:
        self.db = db
        self.generation = generation
        self._known: tuple[Hashable, dict[FeedSelector, Any]] = (None, {})
        self._known_lock = threading.Lock()
        self.base_url = base_url
        self.privacy = privacy
        self.registry = units
        self._public_for: tuple[frozenset[str], Any] = (frozenset(), true())
        self._rendered: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._gzipped: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._cache_size = cache_size

    def _campaigns(self) -> dict[str, Any]:
        with self.db.connect() as conn:
            return {row.campaign: row for row in conn.execute(select(V)).all()}

    def _public(self, campaigns: dict[str, Any]) -> Any:
        """The SQL condition leaving out private campaigns' events: one comparison per private
        campaign on rows the feed query reads anyway (the hot path stays one query; a plain
        ``!=`` costs SQLite less than a NOT IN list, and an office has few private campaigns)."""
        hidden = self.privacy.hidden(campaigns)
        if hidden != self._public_for[0]:  # built once per set: a request only compares sets
            self._public_for = (hidden, and_(true(), *(O.c.campaign != c for c in sorted(hidden))))
        return self._public_for[1]

    def _filter(self, selector: FeedSelector, campaigns: dict[str, Any], now: dt.datetime) -> Any:
        keep = or_(O.c.status == "confirmed", O.c.updated_at >= now - KEEP_CANCELLED)
        if selector.kind == "campaign":
            return and_(keep, O.c.campaign.in_(sorted(selector.names)))
        keep = and_(keep, self._public(campaigns))
        if selector.kind == "tag":
            tagged = [c for c, row in campaigns.items() if selector.names & _lines(row.tags)]
            return and_(
                keep,
                or_(O.c.campaign.in_(tagged), *(O.c.tags.contains(n) for n in selector.names)),
            )
        return keep

    def lookup(self, selector: FeedSelector) -> tuple[FeedSelector, FeedVersion] | None:
        """The feed resolved to its slug, and its current version; None when it names nothing
        loa knows (a 404). One read of the campaigns serves both answers; with a ``generation``,
        none at all while it stays the same."""
        if self.generation is None:
            return self._lookup(selector)
        now = self.generation()
        with self._known_lock:
            if self._known[0] != now:
                self._known = (now, {})
            known = self._known[1]
        if selector not in known:
            if len(known) >= 4 * self._cache_size:  # guessed names must not fill memory
                known.clear()
            known[selector] = self._lookup(selector)
        found: tuple[FeedSelector, FeedVersion] | None = known[selector]
        return found

    def known(self, selector: FeedSelector) -> tuple[bool, tuple[FeedSelector, FeedVersion] | None]:
        """``lookup``'s answer if it is in memory for the current generation: (True, answer),
        else (False, None); never reads the database, so a request may ask it inline."""
        if self.generation is None:
            return False, None
        generation, known = self._known
        if generation != self.generation() or selector not in known:
            return False, None
        return True, known[selector]

    def rendered(self, selector: FeedSelector, version: FeedVersion, zipped: bool) -> bytes | None:
        """The feed's bytes if they are in memory for this version, else None (no work done)."""
        cache = self._gzipped if zipped else self._rendered
        return cache.get((selector.path, version.etag))

    def _lookup(self, selector: FeedSelector) -> tuple[FeedSelector, FeedVersion] | None:
        campaigns = self._campaigns()
        found = self.resolve(selector, campaigns)
        if found is None:
            return None
        return found, self.version(found, campaigns=campaigns)

    def exists(self, selector: FeedSelector, campaigns: dict[str, Any] | None = None) -> bool:
        """Whether the feed names something loa knows (an unknown campaign is a 404)."""
        return self.resolve(selector, campaigns) is not None

    def resolve(
        self, selector: FeedSelector, campaigns: dict[str, Any] | None = None
    ) -> FeedSelector | None:
        """The feed under its slug, with every name written that slugs the same: ``môi trường``,
        ``Môi-trường`` and ``moi-truong`` all ask for, and are, the one feed ``tag/moi-truong``."""
        if selector.kind == "all":
            return selector
        campaigns = campaigns if campaigns is not None else self._campaigns()
        key = slug(selector.value)
        names = self.names(selector.kind, campaigns).get(key)
        return FeedSelector(selector.kind, key, names) if names else None

    def names(
        self, kind: str, campaigns: dict[str, Any] | None = None
    ) -> dict[str, frozenset[str]]:
        """slug → the names written that give it, for every campaign, unit or tag loa knows (a
        unit or tag only private campaigns use is not known to the public)."""
        campaigns = campaigns if campaigns is not None else self._campaigns()
        if kind == "unit":
            written = self._unit_names(campaigns)
        elif kind == "tag":
            written = self._tag_names(campaigns)
        elif kind == "campaign":  # private ones too: their feeds exist, behind their tokens
            written = set(campaigns)
        else:
            return {}
        found: dict[str, set[str]] = {}
        for name in sorted(written):
            found.setdefault(slug(name), set()).add(name)
        return {key: frozenset(group) for key, group in found.items()}

    def _resolved(self, selector: FeedSelector, campaigns: dict[str, Any]) -> FeedSelector:
        """``selector`` as ``resolve`` gives it; one that names nothing stays as it is (empty)."""
        if selector.names or selector.kind == "all":
            return selector
        return self.resolve(selector, campaigns) or selector

    def units(self) -> dict[str, str]:
        """slug → unit name (the registry's full name), over every lead and partner unit in
        the store."""
        return {key: self.registry.name(min(group)) for key, group in self.names("unit").items()}

    def _unit_names(self, campaigns: dict[str, Any]) -> set[str]:
        with self.db.connect() as conn:
            rows = conn.execute(
                select(O.c.lead, O.c.partners).where(self._public(campaigns)).distinct()
            ).all()
        return {n for r in rows for n in _units_of(r)}

    def _tag_names(self, campaigns: dict[str, Any]) -> set[str]:
        """Tags of campaigns and of events still in some feed (a cancelled one for a while)."""
        keep = or_(
            O.c.status == "confirmed",
            O.c.updated_at >= dt.datetime.now(dt.UTC) - KEEP_CANCELLED,
        )
        with self.db.connect() as conn:
            rows = conn.execute(
                select(O.c.tags).where(and_(keep, self._public(campaigns))).distinct()
            ).all()
        names = {tag for r in rows for tag in _lines(r.tags)}
        hidden = self.privacy.hidden(campaigns)
        return names | {
            tag for cid, row in campaigns.items() if cid not in hidden for tag in _lines(row.tags)
        }

    def _rows(
        self, selector: FeedSelector, campaigns: dict[str, Any], now: dt.datetime
    ) -> list[Any]:
        with self.db.connect() as conn:
            rows: list[Any] = list(
                conn.execute(
                    select(O)
                    .where(self._filter(selector, campaigns, now))
                    .order_by(O.c.start, O.c.key)
                ).all()
            )
        if selector.kind == "unit":
            rows = [
                r for r in rows
                if selector.value in {slug(u) for u in _units_of(r)}
            ]  # fmt: skip
        if selector.kind == "tag":
            rows = [
                r for r in rows
                if selector.names & (_lines(r.tags) | _lines(campaigns.get(r.campaign, _NO_TAGS).tags))
            ]  # fmt: skip
        return rows

    def version(
        self,
        selector: FeedSelector,
        now: dt.datetime | None = None,
        campaigns: dict[str, Any] | None = None,
    ) -> FeedVersion:
        """A cheap validator: changes whenever any event of the feed changes."""
        now = now or dt.datetime.now(dt.UTC)
        campaigns = campaigns if campaigns is not None else self._campaigns()
        selector = self._resolved(selector, campaigns)
        with self.db.connect() as conn:
            count, newest, sequences = conn.execute(
                select(func.count(), func.max(O.c.updated_at), func.sum(O.c.sequence)).where(
                    self._filter(selector, campaigns, now)
                )
            ).one()
        if isinstance(newest, str):
            newest = dt.datetime.fromisoformat(newest)
        if newest is not None and newest.tzinfo is None:
            newest = newest.replace(tzinfo=dt.UTC)
        day = now.date().isoformat()  # cancelled events age out of feeds day by day
        # private campaigns do not count: a public feed's ETag must not tell when they change
        shown = len(campaigns) - len(self.privacy.hidden(campaigns))
        seed = f"{selector.path}|{count}|{newest}|{sequences}|{day}|{shown}"
        return FeedVersion(
            hashlib.blake2b(seed.encode(), digest_size=10).hexdigest(), newest, count
        )

    def render(
        self, selector: FeedSelector, version: FeedVersion, now: dt.datetime | None = None
    ) -> bytes:
        cache_key = (selector.path, version.etag)
        cached = self._rendered.get(cache_key)
        if cached is not None:
            self._rendered.move_to_end(cache_key)
            return cached
        now = now or dt.datetime.now(dt.UTC)
        campaigns = self._campaigns()
        selector = self._resolved(selector, campaigns)
        # each event's serialised block was stored when sync last changed it: a fresh daemon
        # joins them instead of rendering thousands of events through icalendar again
        rows = self._rows(selector, campaigns, now)
        blocks = [
            stored_block(row)
            or event_block(feed_event(row, campaigns.get(row.campaign), self.registry))
            for row in rows
        ]
        zones = {_timezone(campaigns.get(row.campaign)) for row in rows if not row.all_day}
        body = render_blocks(self.info(selector, campaigns), blocks, zones)
        self._rendered[cache_key] = body
        while len(self._rendered) > self._cache_size:
            self._rendered.popitem(last=False)
        return body

    def render_gzip(self, selector: FeedSelector, version: FeedVersion) -> bytes:
        """The feed gzipped, compressed once per version (mtime 0: the same bytes each time)."""
        cache_key = (selector.path, version.etag)
        cached = self._gzipped.get(cache_key)
        if cached is not None:
            self._gzipped.move_to_end(cache_key)
            return cached
        body = gzip.compress(self.render(selector, version), compresslevel=6, mtime=0)
        self._gzipped[cache_key] = body
        while len(self._gzipped) > self._cache_size:
            self._gzipped.popitem(last=False)
        return body

    def info(self, selector: FeedSelector, campaigns: dict[str, Any] | None = None) -> FeedInfo:
        campaigns = campaigns if campaigns is not None else self._campaigns()
        selector = self._resolved(selector, campaigns)
        written = min(selector.names, default=selector.value)  # the name as a person wrote it
        if selector.kind == "campaign" and written in campaigns:
            row = campaigns[written]
            name, description = f"loa: {row.title}", row.description
        elif selector.kind == "unit":
            unit = self.registry.name(written)
            name, description = (
                f"loa: {unit}",
                f"Các hoạt động do {unit} chủ trì hoặc phối hợp",
            )
        elif selector.kind == "tag":
            name, description = f"loa: #{written}", f"Các hoạt động gắn nhãn {written}"
        else:
            name, description = (
                "loa: lịch chiến dịch",
                "Tất cả hoạt động và hạn chót của các chiến dịch",
            )
        url = f"{self.base_url}/feeds/{selector.path}.ics" if self.base_url else ""
        return FeedInfo(name=name, description=description, url=url)


def _lines(text: str) -> set[str]:
    return {line for line in text.split("\n") if line}


class _NoTags:
    tags = ""


_NO_TAGS = _NoTags()


def _units_of(row: Any) -> list[str]:
    """An event's units: its lead (two joined by ";" are two units) and its partners."""
    return [*split_names(row.lead), *split_names(row.partners.split("\n"))]


def block_marker(sequence: int, status: str, updated_at: dt.datetime) -> str:
    """What a stored event block was rendered for; a row whose marker differs is rendered anew."""
    return f"{sequence}|{status}|{updated_at.astimezone(dt.UTC).isoformat()}"


def stored_block(row: Any) -> bytes | None:
    if row.ics and row.ics_of == block_marker(row.sequence, row.status, row.updated_at):
        return str(row.ics).encode("utf-8")
    return None


def _timezone(campaign: Any) -> str:
    return str(campaign.timezone) if campaign is not None else "Asia/Ho_Chi_Minh"


def feed_event(row: Any, campaign: Any, units: UnitRegistry = NO_UNITS) -> FeedEvent:
    """An occurrence row (and its campaign's title, tags and time zone) as a feed event, its
    units by their names in ``units``."""
    timezone = _timezone(campaign)
    tz = ZoneInfo(timezone)
    if row.all_day:
        start: dt.date = row.start.astimezone(tz).date()
        end: dt.date | None = (
            row.end.astimezone(tz).date() if row.end else start + dt.timedelta(days=1)
        )
    else:
        start, end = row.start, row.end
    partners = [units.names_of(p) for p in row.partners.split("\n") if p]
    lines = []
    if campaign is not None:
        lines.append(f"Chiến dịch: {campaign.title}")
    if row.lead:
        lines.append(f"Đơn vị chủ trì: {units.names_of(row.lead)}")
    if partners:
        lines.append(f"Đơn vị phối hợp: {', '.join(partners)}")
    if row.description:
        lines += ["", row.description]
    tags = [t for t in row.tags.split("\n") if t]
    if campaign is not None:
        tags += [t for t in campaign.tags.split("\n") if t and t not in tags]
    summary = f"Hạn: {row.title}" if row.kind == "deadline" else row.title  # or an event
    return FeedEvent(
        uid=f"{row.key}@loa",
        sequence=row.sequence,
        cancelled=row.status != "confirmed",
        summary=summary,
        start=start,
        end=end,
        timezone=timezone,
        stamp=row.updated_at,
        description="\n".join(lines),
        location=row.location,
        categories=tuple(tags),
        url=row.url,
        alarms=(dt.timedelta(days=1),) if row.kind == "deadline" else (),
    )
