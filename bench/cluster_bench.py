"""Scale-out benchmark: 1, 2 and 3 ``loa run`` processes on one PostgreSQL database, side by
side in one run, sending through python-telegram-bot to the local fake Telegram server, which
answers every send after 20 ms.

Run from the repository root (about 2-4 minutes):

    .venv/bin/python bench/cluster_bench.py
    .venv/bin/python bench/cluster_bench.py --deliveries 3000 --chats 300 --runs 1

What is measured
----------------
A throwaway PostgreSQL server is started as the tests start theirs (tests/conftest.py's
``PostgresServer``), with a template database migrated once; each run gets a fresh copy. The
fake Telegram server runs in this process with its flood limits off (loa's too: this measures
the claim/send/record path, not the platform's 30/s) and ``--delay`` seconds before each
answer. For each run, ``--deliveries`` deliveries (a campaign of messages, each to every one of
``--chats`` chats) are stored parked an hour ahead while the daemons start, then moved to one
second ahead. Deliveries/s is the count divided by the span between the first and the last
``sent_at``. Each daemon count is measured ``--runs`` times and the median is printed, with the
ratio of each to one daemon. Issue 13's floor: 3 daemons at least 2x one daemon.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import TEMPLATE, PostgresServer
from tests.e2e.harness import Office, wait_for
from tests.e2e.test_cluster import UNFINISHED, to_every_chat
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram, RateLimits


def one_run(
    server: PostgresServer, fake: FakeTelegram, chats: dict[str, int], root: Path, daemons: int,
    deliveries: int,
) -> float:  # fmt: skip
    office = Office(root, store_url=server.url(server.create_database(TEMPLATE)))
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        "[channels.tg.limits]\nenabled = false\n[channels.tg.targets]\n"
        + "".join(f'{alias} = "{chat}"\n' for alias, chat in chats.items())
    )
    office.write_config(daemon="reload_seconds = 1\n")
    make = to_every_chat(deliveries // len(chats))
    try:
        parked = office.park({"loa": make})
        processes = [office.start() for _ in range(daemons)]
        for process in processes:
            office.started(process, timeout=120)
        office.move({"loa": make}, parked, 1)
        wait_for(lambda: office.query(UNFINISHED)[0][0] == 0, 600, "every delivery done")
        (sent, span), *_ = office.query(
            "select count(*), extract(epoch from max(sent_at) - min(sent_at)) from delivery "
            "where state = 'sent'"
        )
        for process in processes:
            office.stop(process, timeout=30)
    finally:
        office.close()
    return float(sent) / max(float(span), 1e-3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=3_000)
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="runs per daemon count (median)")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds the fake answers after")
    args = parser.parse_args()

    import os

    os.environ["LOA_TG_TOKEN"] = DEFAULT_TOKEN
    began = time.monotonic()
    server = PostgresServer("bench")
    server.start()
    try:
        server.migrate_template()
        rates: dict[int, list[float]] = {1: [], 2: [], 3: []}
        with FakeTelegram(limits=RateLimits.off()) as fake, tempfile.TemporaryDirectory() as tmp:
            fake.delay = args.delay
            chats = {f"chat-{i:03d}": fake.add_private_chat() for i in range(args.chats)}
            for run in range(args.runs):  # interleaved: a slower stretch of the machine hits all
                for daemons in rates:
                    root = Path(tmp) / f"run-{run}-{daemons}"
                    rate = one_run(server, fake, chats, root, daemons, args.deliveries)
                    rates[daemons].append(rate)
                    print(f"  run {run + 1}, {daemons} daemon(s): {rate:,.0f} deliveries/s")
    finally:
        server.stop()

    medians = {n: statistics.median(r) for n, r in rates.items()}
    print(
        f"\ncluster bench: {args.deliveries:,} deliveries to {args.chats} chats, fake Telegram "
        f"answering after {args.delay * 1000:.0f} ms, median of {args.runs} run(s)"
    )
    for n, rate in medians.items():
        print(f"  {n} daemon(s): {rate:8,.0f} deliveries/s  ({rate / medians[1]:.2f}x one daemon)")
    ratio = medians[3] / medians[1]
    verdict = "meets" if ratio >= 2 else "BELOW"
    print(f"  3 vs 1: {ratio:.2f}x ({verdict} the floor of 2x); {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
