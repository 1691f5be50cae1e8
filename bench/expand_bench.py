"""Expansion benchmark: 1,000 library-sized campaigns over one year, against a 2 s target.

Run from the repository root:

    .venv/bin/python bench/expand_bench.py            # timings
    .venv/bin/python bench/expand_bench.py --profile  # plus a cProfile summary of one run

The campaigns are the files in campaigns/library/*.toml (or, when there are none, the example
campaigns/examples/vi-du.toml), copied round-robin to 1,000 campaigns. Each copy is the file's
text with its top-level ``id`` made distinct, parsed with ``parse_document``: the real loader
path. Loading is timed and reported on its own; it is not part of the expansion figure.

Each repeat expands the same 1,000 parsed Campaign objects again. Nothing is cached between
repeats except what a running daemon also keeps for its lifetime (compiled templates, the
Jinja environment, zoneinfo objects).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import re
import statistics
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere; the venv install is editable

from campaigns.expand import Expansion, expand  # noqa: E402
from campaigns.loader import load_paths, parse_document  # noqa: E402
from campaigns.model import Campaign, ChannelCatalog  # noqa: E402

COPIES = 1_000
REPEATS = 5
TARGET_SECONDS = 2.0
TIMEZONE = "Asia/Ho_Chi_Minh"
TZ = ZoneInfo(TIMEZONE)
START = dt.datetime(2026, 1, 1, tzinfo=TZ)
END = dt.datetime(2027, 1, 1, tzinfo=TZ)  # 365 days

LIBRARY = ROOT / "campaigns" / "library"
EXAMPLE = ROOT / "campaigns" / "examples" / "vi-du.toml"

CATALOG = ChannelCatalog(
    targets={
        "telegram": ("nhom-van-phong", "nhom-lanh-dao"),
        "zalo": ("nhom-chung", "nhom-doan-thanh-nien"),
    },
    defaults=("telegram", "zalo"),
)

# The top-level ``id = "..."`` line: the first one before any table header.
_HEAD_END = re.compile(r"^\s*\[", re.M)
_ID_LINE = re.compile(r"""^(\s*id\s*=\s*)(["'])(.*?)\2""", re.M)


@dataclass
class Counts:
    activities: int = 0
    deadlines: int = 0
    messages: int = 0
    dispatches: int = 0

    @property
    def occurrences(self) -> int:
        return self.activities + self.deadlines + self.messages


def source_files() -> tuple[list[Path], str]:
    files = sorted(p for p in LIBRARY.glob("*.toml") if p.is_file())
    if files:
        return files, f"campaigns/library ({len(files)} file(s))"
    return [EXAMPLE], "campaigns/examples/vi-du.toml (library empty)"


def with_id(text: str, new_id: str) -> str:
    head_end = _HEAD_END.search(text)
    limit = head_end.start() if head_end else len(text)
    match = _ID_LINE.search(text, 0, limit)
    if match is None:
        raise SystemExit("no top-level id line found in a campaign file")
    return text[: match.start()] + f'{match[1]}"{new_id}"' + text[match.end() :]


def load_sources(files: list[Path]) -> list[tuple[Path, str, str]]:
    """The usable source files (path, text, original id), checked once via ``load_paths``."""
    result = load_paths(files, CATALOG, TIMEZONE, display_root=ROOT)
    for problem in result.errors:
        print(f"  skipped, load error: {problem}")
    good = {c.source.resolve() for c in result.campaigns}
    sources = []
    for path in files:
        if path.resolve() not in good:
            continue
        text = path.read_text("utf-8")
        sources.append((path, text, tomllib.loads(text)["id"]))
    if not sources:
        raise SystemExit("no campaign file loaded without errors")
    return sources


def build_campaigns(sources: list[tuple[Path, str, str]]) -> tuple[list[Campaign], float]:
    """1,000 campaigns, round-robin over the sources, each re-parsed with its own id."""
    texts = []
    for i in range(COPIES):
        path, text, original = sources[i % len(sources)]
        texts.append((path, with_id(text, f"{original}-{i:04d}").encode("utf-8")))
    campaigns: list[Campaign] = []
    began = time.perf_counter()
    for path, raw in texts:
        campaign, problems = parse_document(raw, path, CATALOG, TIMEZONE, path.name)
        if campaign is None:
            raise SystemExit(f"copy of {path.name} failed to load: {problems[:3]}")
        campaigns.append(campaign)
    elapsed = time.perf_counter() - began
    if len({c.id for c in campaigns}) != COPIES:
        raise SystemExit("campaign ids are not distinct")
    return campaigns, elapsed


def expand_all(campaigns: list[Campaign]) -> list[Expansion]:
    return [expand(c, START, END, CATALOG) for c in campaigns]


def count(expansions: list[Expansion]) -> Counts:
    counts = Counts()
    for e in expansions:
        counts.activities += len(e.activities)
        counts.deadlines += len(e.deadlines)
        counts.messages += len(e.messages)
        counts.dispatches += sum(len(m.targets) for m in e.messages)
    return counts


def materialize_dispatches(expansions: list[Expansion]) -> int:
    return sum(1 for e in expansions for _ in e.dispatches())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile one run, top 15")
    args = parser.parse_args()

    files, origin = source_files()
    print(f"sources: {origin}")
    sources = load_sources(files)
    for path, _, original in sources:
        print(f"  {path.relative_to(ROOT)}  (id {original})")

    campaigns, load_seconds = build_campaigns(sources)
    n_act = sum(len(c.activities) for c in campaigns)
    n_msg = sum(len(c.messages) for c in campaigns)
    n_dl = sum(len(c.deadlines) for c in campaigns)
    print(
        f"loaded {len(campaigns):,} campaigns via parse_document in {load_seconds:.3f} s "
        f"({load_seconds / len(campaigns) * 1e3:.2f} ms each; not counted below)"
    )
    print(f"  items: {n_act:,} activities, {n_msg:,} messages, {n_dl:,} deadlines")
    print(
        f"window: {START:%Y-%m-%d} .. {END:%Y-%m-%d} {TIMEZONE} ({(END - START).days} days); "
        f"catalog: {dict(CATALOG.targets)}, defaults {CATALOG.defaults}"
    )

    times: list[float] = []
    dispatch_times: list[float] = []
    counts = Counts()
    for r in range(REPEATS):
        began = time.perf_counter()
        expansions = expand_all(campaigns)
        times.append(time.perf_counter() - began)
        began = time.perf_counter()
        materialized = materialize_dispatches(expansions)
        dispatch_times.append(time.perf_counter() - began)
        this = count(expansions)
        if r and this != counts:
            raise SystemExit(f"repeat {r + 1} gave different counts: {this} vs {counts}")
        if materialized != this.dispatches:
            raise SystemExit("dispatch count mismatch")
        counts = this
        del expansions

    median = statistics.median(times)
    median_dispatch = statistics.median(dispatch_times)
    print()
    print(
        f"expand() x {len(campaigns):,}, {REPEATS} repeats: "
        + ", ".join(f"{t:.3f}" for t in times)
        + " s"
    )
    print(f"  median wall time: {median:.3f} s  ({median / len(campaigns) * 1e3:.2f} ms/campaign)")
    print(
        f"  counts: {counts.activities:,} activities + {counts.deadlines:,} deadlines + "
        f"{counts.messages:,} message occurrences = {counts.occurrences:,} occurrences; "
        f"{counts.dispatches:,} dispatches"
    )
    print(f"  occurrences/s: {counts.occurrences / median:,.0f}")
    print(f"  dispatches/s:  {counts.dispatches / median:,.0f}  (resolved in expand())")
    print(
        f"  materializing the {counts.dispatches:,} Dispatch rows afterwards: "
        f"median {median_dispatch:.3f} s (not in the figure above)"
    )
    ratio = median / TARGET_SECONDS
    verdict = "PASS" if median < TARGET_SECONDS else "FAIL"
    print(
        f"target: all {COPIES:,} in under {TARGET_SECONDS:g} s -> {verdict} "
        f"(median/2s = {ratio:.2f})"
    )

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        expand_all(campaigns)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats("cumulative").print_stats(15)
        print()
        print("profile, one run (cProfile adds overhead), top 15 by cumulative time:")
        print(out.getvalue().strip())


if __name__ == "__main__":
    main()
