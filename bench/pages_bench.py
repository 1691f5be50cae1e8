"""Staff pages and feeds benchmark: server time of the calendar and the delivery log on a
province's year, and feeds under load beside /healthz on one server.

Run from the repository root (about 2 minutes; --quick about 1):

    .venv/bin/python bench/pages_bench.py
    .venv/bin/python bench/pages_bench.py --quick

What is measured
----------------
1. Pages, in this process through the ASGI app (the sign-in gate's session lookup, routing,
   queries, Jinja rendering: the server's time, without a network), asked by a viewer who signed
   in once through the /signin form, as a browser does. A SQLite store holds a province's year: 12,000
   activity, period and deadline occurrences over 40 campaigns and 100,000 deliveries (10,000
   messages to 10 targets each, every state a delivery can be in: most sent, some failed,
   missed, retrying, cancelled, held, pending, a few possible duplicates). June holds 1,000
   occurrences and 1,000 messages: its calendar page shows 2,000 items. Timed, median of N
   requests after one warm-up: the June calendar (all, one campaign, one unit, one channel),
   and the delivery log filtered by state, campaign, channel, target, unit, a day, state and
   campaign together, and a page deep into the unfiltered log. Floor: under 100 ms each.
2. Feeds over HTTP. A store synced in this process from 240 campaign files (about 10,500
   events in all.ics, bench/feed_bench.py's campaigns) and one campaign of 20 activities, served
   by loa's own HTTP server (scheduler.http.server, the app the daemon runs, with the store's
   change generation) in a thread. wrk on loopback, 2 threads x 50 connections, one after the
   other against the same server: /healthz; the 20-event feed cached (200), with
   If-None-Match (304) and gzipped (200); the 10,000-event feed the same three ways.
   Floor for the 20-event feed: at least 2,000 requests/s with p99 under 50 ms.
The machine is shared (2 cores; wrk runs on them too): the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from feed_bench import campaign_file, ensure_wrk, run_wrk, show_wrk, verdict  # noqa: E402
from sqlalchemy import Engine  # noqa: E402

from campaigns.model import ChannelCatalog  # noqa: E402
from scheduler.http.app import HttpState, create_app  # noqa: E402
from scheduler.http.feeds import Generation  # noqa: E402
from scheduler.store.db import migrate, open_engine  # noqa: E402
from scheduler.store.tables import Delivery, Occurrence  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
YEAR = 2026
PAGE_FLOOR_S = 0.100
FEED_FLOOR_RPS, FEED_FLOOR_P99 = 2000, 0.050
D = Delivery.__table__  # type: ignore[attr-defined]
O = Occurrence.__table__  # type: ignore[attr-defined]  # noqa: E741
UNITS = [
    "Sở Nông nghiệp và Môi trường", "Văn phòng UBND tỉnh", "Tỉnh đoàn", "Ủy ban MTTQ tỉnh",
    "Sở Văn hoá, Thể thao và Du lịch", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Hội Nông dân tỉnh",
    "Hội Liên hiệp Phụ nữ tỉnh", "Công an tỉnh", "Sở Tài chính", "Đài Phát thanh và Truyền hình",
]  # fmt: skip
CHANNELS = {"tg": [f"nhom-{i}" for i in range(5)], "zl": [f"oa-{i}" for i in range(5)]}
STATES = ["sent"] * 80 + ["failed"] * 5 + ["missed"] * 3 + ["retrying", "held"] + ["cancelled"] * 3
STATES += ["pending"] * 7
CAT = ChannelCatalog(targets={k: tuple(v) for k, v in CHANNELS.items()}, defaults=("tg",))


def _moment(rng: random.Random, june: bool) -> dt.datetime:
    if june:
        day = dt.date(YEAR, 6, 1) + dt.timedelta(days=rng.randrange(30))
    else:
        day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(365))
        if day.month == 6:
            day = day.replace(month=7)
    return dt.datetime.combine(day, dt.time(7 + rng.randrange(10), 30), TZ)


def province_year(path: Path) -> Engine:
    """The store of a province's year, written directly (sync would take minutes)."""
    engine = open_engine(f"sqlite:///{path}")
    migrate(engine)
    rng = random.Random(16)
    now = dt.datetime.now(dt.UTC)
    occurrences, deliveries = [], []
    for n in range(12_000):
        start = _moment(rng, june=n < 1000)
        campaign, kind = f"chien-dich-{n % 40:02d}", ("activity", "activity", "deadline")[n % 3]
        days = 10 if n % 17 == 0 else 0
        occurrences.append({
            "key": f"{campaign}:muc-{n}:{start.year}@loa", "campaign": campaign, "kind": kind,
            "item": f"muc-{n}", "occurrence": str(start.year),
            "title": f"Hoạt động hưởng ứng môi trường số {n}", "start": start,
            "end": start + dt.timedelta(days=days, hours=2), "all_day": False,
            "lead": UNITS[n % len(UNITS)], "partners": "\n".join(UNITS[(n + 3) % len(UNITS):][:2]),
            "status": "confirmed", "updated_at": now, "sequence": 0,
        })  # fmt: skip
    for m in range(10_000):
        due = _moment(rng, june=m < 1000)
        campaign = f"chien-dich-{m % 40:02d}"
        for t in range(10):
            channel = "tg" if t < 5 else "zl"
            target = CHANNELS[channel][t % 5]
            state = rng.choice(STATES)
            key = f"{campaign}:tin-{m}:{due.date()}@{channel}:{target}"
            deliveries.append({
                "key": key, "message_key": f"{campaign}:tin-{m}:{due.date()}", "campaign": campaign,
                "item": f"tin-{m}", "occurrence": str(due.date()), "channel": channel,
                "target": target, "due": due, "text": f"**Tin số {m}** hưởng ứng môi trường",
                "state": state, "attempts": 1, "next_attempt_at": due,
                "last_error": "Telegram: Forbidden: bot was blocked by the user"
                if state == "failed" else "",
                "possible_duplicate": m % 997 == 0, "created_at": now, "updated_at": now,
            })  # fmt: skip
    with engine.begin() as conn:
        conn.execute(O.insert(), occurrences)
        for i in range(0, len(deliveries), 10_000):
            conn.execute(D.insert(), deliveries[i : i + 10_000])
        from scheduler.store.tables import CampaignVersion

        V = CampaignVersion.__table__  # type: ignore[attr-defined]
        conn.execute(V.insert(), [
            {"campaign": f"chien-dich-{c:02d}", "digest": "x", "title": f"Chiến dịch {c}",
             "source": f"campaigns/chien-dich-{c:02d}.toml", "updated_at": now}
            for c in range(40)
        ])  # fmt: skip
    return engine


async def _sign_in(client: httpx.AsyncClient, engine: Engine) -> None:
    """A viewer made in the store signs in through the form (the pages are behind the gate)."""
    from scheduler import users
    from tests.e2e.harness import form_token

    password = "mat-khau-do-hieu-nang"
    users.add(engine, "do-hieu-nang", "viewer", password, dt.datetime.now(dt.UTC))
    form = await client.get("/signin")
    signed = await client.post("/signin", data={
        "csrf_token": form_token(form.text), "name": "do-hieu-nang", "password": password,
    })  # fmt: skip
    assert signed.status_code == 303, signed.text


async def _time(client: httpx.AsyncClient, url: str, rounds: int) -> tuple[float, int, int]:
    answer = await client.get(url)  # warm-up (and the page's size)
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        answer = await client.get(url)
        times.append(time.perf_counter() - began)
    return statistics.median(times), answer.status_code, len(answer.content)


def bench_pages(rounds: int) -> list[tuple[str, bool]]:
    print("\n== 1. Pages: server time through the ASGI app (SQLite, median) ==")
    checks = []
    with tempfile.TemporaryDirectory(prefix="loa-pages-bench-") as tmp:
        began = time.perf_counter()
        engine = province_year(Path(tmp) / "loa.db")
        print(f"store: 12,000 occurrences, 100,000 deliveries, built in "
              f"{time.perf_counter() - began:.1f} s")  # fmt: skip
        app = create_app(HttpState(db=engine, catalog=CAT, timezone="Asia/Ho_Chi_Minh"))
        june = f"/calendar?month={YEAR}-06"
        cases = [
            ("calendar, June (2,000 items)", june),
            ("calendar, June, one campaign", june + "&campaign=chien-dich-07"),
            ("calendar, June, one unit", june + "&unit=Tỉnh đoàn"),
            ("calendar, June, one channel", june + "&channel=zl"),
            ("log, no filter, page 1", "/deliveries"),
            ("log, state=failed", "/deliveries?state=failed"),
            ("log, campaign", "/deliveries?campaign=chien-dich-07"),
            ("log, channel", "/deliveries?channel=zl"),
            ("log, target", "/deliveries?target=nhom-3"),
            ("log, unit", "/deliveries?unit=Sở Y tế"),
            ("log, one day", f"/deliveries?from={YEAR}-06-05&to={YEAR}-06-05"),
            ("log, state=failed + campaign", "/deliveries?state=failed&campaign=chien-dich-07"),
            ("log, page 100 of everything", "/deliveries?page=100"),
        ]

        async def run() -> None:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://loa") as client:
                await _sign_in(client, engine)
                for label, url in cases:
                    median, status, size = await _time(client, url, rounds)
                    ok = status == 200 and median < PAGE_FLOOR_S
                    print(f"  {label:<34} {median * 1000:7.1f} ms  ({status}, {size / 1024:.0f} KB)"
                          f"  -> {verdict(ok)} < {PAGE_FLOOR_S * 1000:.0f} ms")  # fmt: skip
                    checks.append((f"{label} under {PAGE_FLOOR_S * 1000:.0f} ms", ok))

        asyncio.run(run())
        engine.dispose()
    return checks


def feed_store(path: Path) -> Engine:
    from campaigns.loader import parse_document
    from scheduler.sync import sync

    engine = open_engine(f"sqlite:///{path}")
    migrate(engine)
    catalog = ChannelCatalog(targets={"nhat-ky": ()}, defaults=("nhat-ky",))
    texts = [campaign_file(c, 40, 4) for c in range(240)]
    texts.append(campaign_file(999, 20, 0).replace('id = "chien-dich-999"', 'id = "nho"'))
    campaigns = []
    for n, text in enumerate(texts):
        found, problems = parse_document(text.encode(), Path(f"c{n}.toml"), catalog,
                                         "Asia/Ho_Chi_Minh", f"c{n}.toml")  # fmt: skip
        assert found is not None, problems
        campaigns.append(found)
    sync(engine, campaigns, catalog, dt.datetime.now(dt.UTC), dt.timedelta(days=400))
    return engine


def bench_feeds(duration: int) -> list[tuple[str, bool]]:
    import logging

    from scheduler.http.server import HttpServer

    # wrk stops with answers in flight: asyncio's "socket.send() raised exception" is noise here
    logging.getLogger("asyncio").setLevel(logging.ERROR)

    print(
        "\n== 2. Feeds beside /healthz: loa's HTTP server in a thread, wrk 2 threads x 50 conn =="
    )
    wrk = ensure_wrk()
    checks: list[tuple[str, bool]] = []
    with tempfile.TemporaryDirectory(prefix="loa-feeds-bench-") as tmp:
        began = time.perf_counter()
        engine = feed_store(Path(tmp) / "loa.db")
        print(f"store synced from 241 campaign files in {time.perf_counter() - began:.0f} s")
        app = create_app(HttpState(db=engine, generation=Generation()))
        server = HttpServer(app, "127.0.0.1", 0)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),))
        thread.start()
        try:
            base = server.url
            small, large = base + "/feeds/campaign/nho.ics", base + "/feeds/all.ics"
            for url in (small, large):
                answer = httpx.get(url, timeout=60)
                print(f"  {url.removeprefix(base)}: {answer.content.count(b'BEGIN:VEVENT'):,} "
                      f"events, {len(answer.content) / 1024:,.0f} KB, ETag {answer.headers['etag']}")  # fmt: skip
            results = {}
            runs = [("/healthz", base + "/healthz", [])]
            for name, url in (("20-event feed", small), ("10,000-event feed", large)):
                etag = httpx.get(url, timeout=60).headers["etag"]
                runs += [
                    (f"{name}, 200 cached", url, []),
                    (f"{name}, 304", url, [f"If-None-Match: {etag}"]),
                    (f"{name}, 200 gzip", url, ["Accept-Encoding: gzip"]),
                ]
            for label, url, headers in runs:
                result = run_wrk(wrk, url, 2, 50, duration, headers)
                results[label] = result
                show_wrk(label, result)
                checks.append((f"no errors: {label}", result["errors"] == 0))
            small_200 = results["20-event feed, 200 cached"]
            ok = small_200["rps"] >= FEED_FLOOR_RPS and small_200["p99"] < FEED_FLOOR_P99
            checks.append((f"20-event feed >= {FEED_FLOOR_RPS:,} req/s, p99 < "
                           f"{FEED_FLOOR_P99 * 1000:.0f} ms", ok))  # fmt: skip
            health = results["/healthz"]["rps"]
            print("  ratios to /healthz: " + ", ".join(
                f"{label} {r['rps'] / health:.1f}x" for label, r in results.items()
                if label != "/healthz"))  # fmt: skip
        finally:
            server.stop()
            thread.join(timeout=10)
            engine.dispose()
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0].replace("\n", " "))
    parser.add_argument("--quick", action="store_true", help="fewer rounds, shorter wrk runs")
    parser.add_argument("--no-http", action="store_true", help="the pages only")
    args = parser.parse_args()
    print(
        f"loa pages benchmark - {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average before the run {os.getloadavg()[0]:.2f}"
    )
    checks = bench_pages(5 if args.quick else 15)
    if not args.no_http:
        checks += bench_feeds(3 if args.quick else 10)
    print("\n== Summary ==")
    for label, ok in checks:
        print(f"  {verdict(ok)}  {label}")
    print(f"load average now {os.getloadavg()[0]:.2f} (1 min)")
    sys.exit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    main()
