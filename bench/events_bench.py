"""Events benchmark: how soon a real ``loa run`` sends what an event posted over HTTP starts.

Run from the repository root (about half a minute on 2 cores):

    .venv/bin/python bench/events_bench.py              # 200 events, a 2,000-delivery fan-out
    .venv/bin/python bench/events_bench.py --events 50 --fan-out 500   # quicker

What is measured
----------------
A temporary office (SQLite, no library, the HTTP server on a free port, one event source with
its bearer token) runs a real ``loa run`` process. Its outlets are ``file`` channels: each
message handed to one is one line appended to a file, stamped ``sent_at`` by the channel as it
is handed over (the nearest thing to a no-op channel a real daemon has; the stamp is the
daemon's clock, the same host's as this script's).

1. Latency: ``--events`` events (200) of a type whose trigger sends one message at once
   (``at = "event"``) to one file target, posted one after another, each after the previous
   one's message was seen: from just before ``POST /events/bench-ping`` to the message's
   ``sent_at``. p50 and p99 (nearest rank) and the worst; the floor is p99 < 1 s. The POST's
   own round trip (stored, answered 201) is reported beside it.
2. Fan-out: one event whose trigger sends one message at once to ``--fan-out`` (2,000) chats
   of a file channel: the time until the POST is answered (every delivery is stored: the
   intake answers after its one transaction commits), until the first of them is handed to
   the channel (the engine woke and started sending), and until the last is.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
LOA = [sys.executable, "-c", "from scheduler.cli.commands import main; main()"]
TOKEN = "bench-events-0123456789abcdef"
FLOOR_P99 = 1.0  # seconds

CAMPAIGN = """id = "bench-events"
title = "Đo sự kiện"

[[trigger]]
id = "ping"
event = "bench-ping"
fields = ["n"]

[[trigger.message]]
id = "ngay"
at = "event"
text = "Sự kiện số {{ event.data.n }}"
channels = ["nhat-ky"]

[[trigger]]
id = "fan"
event = "bench-fan"
fields = ["n"]

[[trigger.message]]
id = "ngay"
at = "event"
text = "Cảnh báo số {{ event.data.n }} tới mọi nhóm"
channels = ["phan-tan"]
"""


def office(root: Path, fan_out: int) -> None:
    (root / "campaigns").mkdir(parents=True)
    (root / "campaigns" / "bench.toml").write_text(CAMPAIGN, "utf-8")
    targets = "".join(f'c{i:05d} = "{i:05d}"\n' for i in range(fan_out))
    (root / "config.toml").write_text(
        'timezone = "Asia/Ho_Chi_Minh"\n[database]\nurl = "sqlite:///data/loa.db"\n'
        '[campaigns]\npaths = ["campaigns"]\nlibrary = false\n'
        "[calendar]\nweekend = []\npublic_holidays = false\n"
        '[http]\nport = 0\n[daemon]\nlog_level = "info"\n'
        '[channels.nhat-ky]\ntype = "file"\npath = "data/ping.jsonl"\n'
        '[channels.phan-tan]\ntype = "file"\npath = "data/fan.jsonl"\n'
        "[channels.phan-tan.limits]\nenabled = false\n"
        f"[channels.phan-tan.targets]\n{targets}"
        '[events.sources.bench]\ntoken_env = "LOA_EVENTS_TOKEN_BENCH"\n',
        "utf-8",
    )


def wait_for(found: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.002)
    raise SystemExit(f"timed out waiting for {what}")


class Lines:
    """The records a file channel appended, read as they come."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.records: list[dict[str, Any]] = []

    def more(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return self.records
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        whole = data[: data.rfind(b"\n") + 1]
        self.offset += len(whole)
        self.records += [json.loads(line) for line in whole.splitlines() if line]
        return self.records


def sent_at(record: dict[str, Any]) -> float:
    from datetime import datetime

    return datetime.fromisoformat(record["sent_at"]).timestamp()


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--fan-out", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loa-events-bench-") as folder:
        root = Path(folder)
        office(root, args.fan_out)
        env = {**os.environ, "LOA_LANG": "vi", "LOA_EVENTS_TOKEN_BENCH": TOKEN,
               "PYTHONPATH": str(ROOT)}  # fmt: skip
        err = (root / "daemon.err").open("w")
        daemon = subprocess.Popen(
            [*LOA, "run"], cwd=root, stdout=subprocess.DEVNULL, stderr=err, text=True, env=env
        )
        try:
            log = root / "daemon.err"
            url = wait_for(
                lambda: re.search(r"url=(http\S+)", log.read_text("utf-8")), 60, "loa run's HTTP"
            )[1]
            run(root, url, args.events, args.fan_out)
        finally:
            daemon.terminate()
            daemon.wait(timeout=20)
            err.close()


def run(root: Path, url: str, events: int, fan_out: int) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    pings = Lines(root / "data" / "ping.jsonl")
    latencies: list[float] = []
    round_trips: list[float] = []
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for n in range(events):
            posted = time.time()
            answer = client.post("/events/bench-ping", json={"id": f"p-{n}", "data": {"n": n}})
            round_trips.append(time.time() - posted)
            if answer.status_code != 201:
                raise SystemExit(f"POST answered {answer.status_code}: {answer.text}")
            wait_for(lambda count=n + 1: len(pings.more()) >= count, 30, f"event {n}'s message")
            latencies.append(sent_at(pings.records[n]) - posted)
        fans = Lines(root / "data" / "fan.jsonl")
        posted = time.time()
        answer = client.post("/events/bench-fan", json={"id": "fan-1", "data": {"n": 1}})
        stored = time.time() - posted
        if answer.status_code != 201 or len(answer.json()["deliveries"]) != fan_out:
            raise SystemExit(f"the fan-out was not stored whole: {answer.status_code}")
        wait_for(fans.more, 60, "the fan-out's first message")
        first = min(sent_at(r) for r in fans.records) - posted
        wait_for(lambda: len(fans.more()) >= fan_out, 300, "the fan-out's last message")
        last = max(sent_at(r) for r in fans.records) - posted

    p50, p99 = statistics.median(latencies), nearest_rank(latencies, 0.99)
    verdict = "PASS" if p99 < FLOOR_P99 else "FAIL"
    print("loa events bench: a real `loa run` (SQLite), file channels as the no-op outlet")
    print(f"POST /events → message handed to the channel, {events} events one after another:")
    print(f"  p50 {p50 * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms   worst "
          f"{max(latencies) * 1000:7.1f} ms   floor p99 < {FLOOR_P99:.0f} s: {verdict}")  # fmt: skip
    print(f"  the POST's round trip (stored and answered 201): p50 "
          f"{statistics.median(round_trips) * 1000:.1f} ms, p99 "
          f"{nearest_rank(round_trips, 0.99) * 1000:.1f} ms")  # fmt: skip
    print(f"one event fanning out to {fan_out:,} deliveries:")
    print(f"  stored (POST answered 201)   {stored * 1000:8.1f} ms")
    print(f"  first handed to the channel  {first * 1000:8.1f} ms")
    print(f"  last handed to the channel   {last * 1000:8.1f} ms "
          f"({fan_out / max(last - first, 1e-9):,.0f} deliveries/s after the first)")  # fmt: skip
    if verdict == "FAIL":
        sys.exit(1)


if __name__ == "__main__":
    main()
