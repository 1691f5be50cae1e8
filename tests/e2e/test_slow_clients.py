"""A slowloris does not starve the HTTP surface (issue 12, defect 5).

1,000 sockets on loopback each send a request line, then one header line every 5 s, and never
finish; a socket the daemon closes is opened again at once. For 30 s, /healthz and a cached
feed are probed on fresh connections from the same address: at least 99 % of them must answer
200 within 1 s, and the daemon's resident memory must stay bounded. The figures are printed
(``pytest -s``); bench/slow_clients_bench.py prints them with one command.
"""

from __future__ import annotations

import os
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.harness import TIMED, Office
from tests.e2e.test_feeds import ngay_hoi
from tests.fakes.slow_clients import Probes, SlowClients, probe, raise_open_files, rss_mb

pytestmark = [pytest.mark.slow, TIMED]

SLOW_SOCKETS = 1000
HOLD_SECONDS = float(os.environ.get("LOA_SLOW_HOLD_SECONDS", "30"))
RSS_GROWTH_LIMIT_MB = 60.0


def test_a_thousand_slow_sockets_leave_healthz_and_feeds_answering(office: Office) -> None:
    raise_open_files(4 * SLOW_SOCKETS)  # for this process and the daemon it starts
    office.campaign("ngay-hoi", ngay_hoi())
    process = office.start()
    office.started(process)
    base = office.http_url()
    feed = f"{base}/feeds/all.ics"
    assert httpx.get(feed).status_code == 200  # rendered once: the probes read the cache
    before = rss_mb(process.pid)
    probes, peak = Probes(), before
    address = urlsplit(base)
    slow = SlowClients(address.hostname or "127.0.0.1", address.port or 80, SLOW_SOCKETS, 5.0)
    with slow.held():
        until = time.monotonic() + HOLD_SECONDS
        while time.monotonic() < until:
            for url in (f"{base}/healthz", feed):
                probe(url, probes)
            peak = max(peak, rss_mb(process.pid))
            time.sleep(0.1)  # the probes' pace: a monitor, not a load test
    after = rss_mb(process.pid)
    print(
        f"\nslow sockets {SLOW_SOCKETS} for {HOLD_SECONDS:.0f} s: opened {slow.opened}, "
        f"closed by the daemon {slow.closed_by_server}; probes {probes.total}, "
        f"{probes.within(1.0):.1%} answered within 1 s, p50 {probes.percentile(50) * 1000:.0f} ms, "
        f"p99 {probes.percentile(99) * 1000:.0f} ms; daemon RSS {before:.0f} MB before, "
        f"{peak:.0f} MB at most, {after:.0f} MB after"
    )
    assert slow.opened >= SLOW_SOCKETS
    assert slow.closed_by_server > 0, "incomplete requests must be timed out"
    assert probes.total > 50 and probes.within(1.0) >= 0.99, probes.failures[:20]
    assert peak - before < RSS_GROWTH_LIMIT_MB
    assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
    code, _, log = office.stop(process)
    assert code == 0 and "Traceback" not in log
