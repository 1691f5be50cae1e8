"""The fuzz of issue 12, kept in the suite so its class of defect cannot come back.

Files are generated (valid ones from ``campaign_text``) or mutated from the library, the
example and the docs' TOML blocks, with the ordinary edits of ``test_properties`` plus the
hostile values the probe used: dates at the calendar's ends, rules firing every second,
templates looping 10^10 times, image names the disk refuses, URLs over two lines. Then:

- the loader gives problems, never an exception (``test_properties`` checks that too);
- a file the loader accepts expands, or is refused with ``ExpansionRefused`` (a problem with
  file:line), and nothing else; and sync applies it or refuses it, never raises;
- ``loa validate`` (in-process) never ends in a traceback, and its every problem has a line.

Bounded for CI: about 20 s on two idle cores (50 s loaded); ``LOA_PROPERTY_SCALE=10`` searches harder.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from typer.testing import CliRunner

from campaigns.errors import ExpansionRefused, Problem
from campaigns.expand import expand
from campaigns.loader import expansion_problem, parse_document
from campaigns.model import Campaign, ChannelCatalog
from scheduler.cli.commands import app
from scheduler.store.db import migrate, open_engine
from scheduler.sync import sync
from tests.campaigns.test_properties import (
    PACKAGE,
    SCALE,
    TZ,
    TZ_NAME,
    campaign_text,
    mutation,
    time_limit,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
CATALOG = ChannelCatalog(
    targets={"console": (), "zalo": ("group", "admin", "oa"), "telegram": ("nhom-van-phong",)},
    defaults=("console",),
)


def _is_campaign(raw: bytes) -> bool:
    return parse_document(raw, Path("x.toml"), CATALOG, TZ_NAME, "x.toml")[0] is not None


# the files a user starts from: the library, the example, and the docs' campaign examples
SEEDS = sorted(
    raw
    for raw in [
        *(p.read_bytes() for p in PACKAGE.glob("library/*.toml")),
        *(p.read_bytes() for p in PACKAGE.glob("examples/*.toml")),
        *(
            block.encode()
            for doc in sorted(DOCS.glob("*.md"))
            for block in re.findall(r"```toml\n(.*?)```", doc.read_text("utf-8"), re.S)
        ),
    ]
    if _is_campaign(raw)
)
assert len(SEEDS) >= 6, "the library, the example or the docs' campaign examples are missing"
NOW = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)
HORIZON = dt.timedelta(days=400)

# values the probe wrote into files (defects 1-3), by the key they were written for
EDGE_DATES = ("0001-01-01", "0001-01-02T03:00:00", "9999-12-30", "9999-12-31",
              "9999-12-31T23:59:59", '"9999-12-31"', "0001-01-01T00:00:00Z", "2026-12-10")  # fmt: skip
MOMENTS = (*EDGE_DATES, '"yearly 01-10"', '"a +1d"', '"a -1h"', '"a.end +366d"', '"lunar 12-30"')
RULES = (
    '{ rrule = "FREQ=SECONDLY", start = 2026-12-03 }',
    '{ rrule = "FREQ=MINUTELY", start = 2020-01-01 }',
    '{ rrule = "FREQ=HOURLY;BYHOUR=8", start = 9999-12-30 }',
    '{ rrule = "FREQ=DAILY", start = 0001-01-01 }',
    '{ rrule = "FREQ=YEARLY", start = 2026-01-01, until = 9999-12-31 }',
    '{ rrule = "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30", start = 2026-12-01 }',
    '{ every = "day", during = "a" }',
    '{ rrule = "FREQ=HOURLY", during = "a" }',
)
TEMPLATES = (
    '"{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"',
    '"{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}"',
    "\"{{ ('x' * 20000) | replace('x', 'xx') }}\"", "\"{{ '{:>999999999}'.format(1) }}\"",
    "\"{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}\"", '"[/red] x.toml:100: {{ date }}"',
    '"{{ range(5000) | join(\', \') }}"', '"{% for c in date %}{% for d in date %}.{% endfor %}{% endfor %}"',
)  # fmt: skip
HOSTILE: dict[str, tuple[str, ...]] = {
    "start": MOMENTS,
    "end": MOMENTS,
    "due": (*MOMENTS, *RULES),
    "at": (*MOMENTS, *RULES),
    "text": TEMPLATES,
    "image": ('"' + "x" * 300 + '.png"', '"a\\u0000.png"', '"../../../etc/passwd"', '"https://x.vn/a b.png"'),
    "url": ('"https://x.vn/a\\nb"', '"https://x.vn/\\u0000"', '"https://x.vn/a"'),
    "remind": ("[7]", "[366]", '["1d", "366d"]', "[1, 2, 3, 4, 5, 6, 7]"),
}  # fmt: skip
ITEM = (
    '\n[[activity]]\nid = "a"\ntitle = "A"\nstart = {start}\n{end}\n{url}\n'
    '[[message]]\nid = "zz"\nat = {at}\ntext = {text}\n{image}\n'
    '[[deadline]]\nid = "dd"\ntitle = "D"\ndue = {due}\nremind = {remind}\n'
)


@st.composite
def hostile_edit(draw: st.DrawFn, raw: bytes) -> bytes:
    """An edit the probe made: a hostile value for a key, or items built of hostile values."""
    text = raw.decode("utf-8", errors="surrogateescape")
    lines = text.split("\n")
    spots = [i for i, line in enumerate(lines) if line.split("=", 1)[0].strip() in HOSTILE]
    if spots and draw(st.booleans()):
        i = draw(st.sampled_from(spots))
        key = lines[i].split("=", 1)[0]
        lines[i] = f"{key}= {draw(st.sampled_from(HOSTILE[key.strip()]))}"
        return "\n".join(lines).encode("utf-8", "surrogateescape")
    values = {key: draw(st.sampled_from(pool)) for key, pool in HOSTILE.items()}
    values["start"] = draw(st.sampled_from(EDGE_DATES))
    values["end"] = draw(st.sampled_from(["", f"end = {values['end']}"]))
    values["image"] = draw(st.sampled_from(["", "", f"image = {values['image']}"]))
    values["url"] = draw(st.sampled_from(["", "", f"url = {values['url']}"]))
    return (text + ITEM.format(**values)).encode("utf-8", "surrogateescape")


@st.composite
def fuzzed_file(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        raw = draw(st.sampled_from(SEEDS))
    else:
        raw = draw(campaign_text()).encode("utf-8")
    for _ in range(draw(st.integers(1, 3))):
        edit = mutation(raw) if draw(st.integers(0, 3)) == 0 else hostile_edit(raw)
        raw = draw(edit)
    return raw


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


_ENGINES: dict[str, Engine] = {}


def _store() -> Engine:
    """One in-memory store for every example: sync must cope with whatever came before."""
    if "db" not in _ENGINES:
        engine = open_engine("sqlite://")
        migrate(engine)
        _ENGINES["db"] = engine
    return _ENGINES["db"]


def _names_the_file(problem: Problem) -> bool:
    """The problem is in the file, or in the library part it adapts, fixed in the file."""
    return problem.file == "x.toml" or "x.toml" in problem.hint


def _accepted(raw: bytes) -> Campaign | None:
    with time_limit(10):
        campaign, problems = parse_document(raw, Path("x.toml"), CATALOG, TZ_NAME, "x.toml")
    assert all(_names_the_file(p) for p in problems), problems
    return campaign


def check_expands_or_is_refused(campaign: Campaign) -> None:
    start = NOW.astimezone(TZ) - campaign.grace
    with time_limit(15):  # the 5 s budget of a file, and a margin for a loaded machine
        try:
            expand(campaign, start, NOW + HORIZON, CATALOG)
            event("expanded")
        except ExpansionRefused as exc:
            problem = expansion_problem(campaign, exc)
            assert _names_the_file(problem), problem
            assert problem.line > 0 and problem.message.strip(), problem
            event("refused by expansion")
        report = sync(_store(), [campaign], CATALOG, NOW, HORIZON)
    for problem in report.refused.values():
        assert _names_the_file(problem) and problem.line > 0, problem


@_settings(400)
@given(raw=fuzzed_file())
def test_accepted_files_expand_or_are_refused_and_sync_never_raises(raw: bytes) -> None:
    campaign = _accepted(raw)
    event("accepted" if campaign is not None else "refused by the loader")
    if campaign is not None:
        check_expands_or_is_refused(campaign)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("office")
    (root / "campaigns").mkdir()
    (root / "config.toml").write_text(
        'timezone = "Asia/Ho_Chi_Minh"\n[database]\nurl = "sqlite:///loa.db"\n'
        '[campaigns]\npaths = ["campaigns"]\nlibrary = false\n'
        '[channels.console]\ntype = "console"\n',
        "utf-8",
    )
    yield root


def check_validate_answers(office: Path, raw: bytes) -> None:
    (office / "campaigns" / "x.toml").write_bytes(raw)
    with time_limit(20):
        result = CliRunner().invoke(app, ["validate", "--config", str(office / "config.toml")])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # the traceback a user would have seen
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        problems = [line for line in result.output.splitlines() if "x.toml" in line]
        assert problems, result.output
        # each names its file (x.toml, or the library part x.toml adapts) and, where known, line
        assert all(re.match(r"\S+\.toml(:\d+)?: ", line) for line in problems), result.output


@_settings(100)
@given(raw=fuzzed_file())
def test_validate_never_ends_in_a_traceback(office: Path, raw: bytes) -> None:
    check_validate_answers(office, raw)
