"""Regressions of issue 12: files that passed the loader and then broke the daemon.

Each file here once made ``loa validate`` print a traceback, or passed it and then raised in
expansion or sync, so that no other file's edits were applied and ``loa run`` exited. The
promise checked: ``loa validate`` answers with ``file:line`` and what to do, and sync refuses
the file on its own while every other file is applied.
"""

from __future__ import annotations

import datetime as dt
import resource
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from campaigns import templates
from campaigns.errors import ExpansionRefused, ExpressionError
from campaigns.expand import Limits, expand
from campaigns.i18n import language, set_language
from campaigns.loader import expansion_problem, load_paths, parse_document
from campaigns.model import Campaign, ChannelCatalog
from campaigns.timeexpr import Fixed
from scheduler.cli.commands import app
from scheduler.store.db import migrate, open_engine
from scheduler.store.tables import Delivery
from scheduler.sync import sync

D = Delivery.__table__  # type: ignore[attr-defined]
CATALOG = ChannelCatalog(targets={"console": ()}, defaults=("console",))
NOW = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)
HORIZON = dt.timedelta(days=400)
HEAD = 'id = "hong"\ntitle = "Hỏng"\n'
ACTIVITY = '[[activity]]\nid = "a"\ntitle = "A"\n'

# name -> (file text, the line the problem must name): the six values of defect 1
DEFECT_1: dict[str, tuple[str, int]] = {
    # OverflowError in campaigns/timeexpr.py: the exclusive end of the last day of the calendar
    "activity-ends-9999-12-31": (HEAD + ACTIVITY + "start = 2026-12-10\nend = 9999-12-31\n", 7),
    # ValueError in campaigns/expand.py: the next 10 January is in year 10000 (the start,
    # past the years loa accepts, is refused where it is written since)
    "yearly-end-after-9999-12-30": (
        HEAD + ACTIVITY + 'start = 9999-12-30\nend = "yearly 01-10"\n',
        6,
    ),
    # OverflowError in campaigns/expand.py: a reminder seven days before the calendar starts
    # (the due date, past the years loa accepts, is refused where it is written since)
    "reminder-before-0001-01-01": (
        HEAD + '[[deadline]]\nid = "d"\ntitle = "D"\ndue = 0001-01-01\nremind = [7]\n',
        6,
    ),
    # OverflowError in campaigns/timeexpr.py: the day after the activity is past the calendar
    # (the activity, read first, is refused: it cannot end at the end of its own day either)
    "message-a-day-after-9999-12-31": (
        HEAD + ACTIVITY + 'start = 9999-12-31\n[[message]]\nid = "m"\nat = "a +1d"\ntext = "x"\n',
        6,
    ),
    # OSError in campaigns/loader.py: the file name is longer than the file system allows
    "image-name-too-long": (
        HEAD
        + '[[message]]\nid = "m"\nat = 2026-12-10\ntext = "x"\nimage = "'
        + "x" * 300
        + '.png"\n',
        7,
    ),
    # ValueError in campaigns/loader.py: a NUL in a file name
    "image-name-with-nul": (
        HEAD + '[[message]]\nid = "m"\nat = 2026-12-10\ntext = "x"\nimage = "a\\u0000.png"\n',
        7,
    ),
    # accepted by `loa validate`, then a calendar feed cannot hold it
    "url-with-newline": (
        HEAD + ACTIVITY + 'start = 2026-12-10\nurl = "https://x.vn/a\\nb"\n',
        7,
    ),
}

# more sites the probe found past the calendar's ends (the start is refused where it is
# written since: its year is past the years loa accepts)
MORE_SITES: dict[str, tuple[str, int]] = {
    "message-an-hour-before-0001-01-01": (
        HEAD + ACTIVITY + 'start = 0001-01-01\n[[message]]\nid = "m"\nat = "a -1h"\ntext = "x"\n',
        6,
    ),
}

# found by test_fuzz on 2 December 2026: accepted, then sync raised OverflowError when it stored
# the activity (its local midnight of 0001-01-01 at UTC+7 is in the year 0 in UTC)
STORE_RANGE = (
    HEAD + ACTIVITY + "start = 0001-01-01\nend = 9999-12-30\n"
    '[[message]]\nid = "m"\nat = 0001-01-01\ntext = "x"\n'
    '[[deadline]]\nid = "d"\ntitle = "D"\ndue = 9999-12-30\n'
)
STORE_RANGE_LINES = (6, 7, 10, 15)  # each date is refused where it is written

# defect 2 and 3: the unbounded rule and the nested template loop
UNBOUNDED_RULE = (
    HEAD + '[[message]]\nid = "moi-giay"\nat = { rrule = "FREQ=SECONDLY", start = 2026-12-03 }\n'
    'text = "x"\n'
)
NESTED_LOOP = (
    HEAD + '[[message]]\nid = "vong-lap"\nat = 2026-12-10\n'
    'text = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"\n'
)

GOOD = (
    'id = "tot"\ntitle = "Tốt"\n[[message]]\nid = "m"\nat = 2026-12-20T08:00:00\ntext = "Tin tốt"\n'
)


@pytest.fixture
def office(tmp_path: Path) -> Path:
    """A folder with config.toml and an empty campaigns/ folder."""
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "config.toml").write_text(
        'timezone = "Asia/Ho_Chi_Minh"\nlanguage = "vi"\n[database]\nurl = "sqlite:///loa.db"\n'
        '[campaigns]\npaths = ["campaigns"]\nlibrary = false\n'
        '[channels.console]\ntype = "console"\n',
        "utf-8",
    )
    return tmp_path


def validate(office: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["validate", "--config", str(office / "config.toml")])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback is the failure this file guards against
    return result.exit_code, result.output


def _sync_folder(office: Path) -> tuple[list[str], list[str]]:
    """Load the folder as the daemon does and sync it into the office's store: the problems,
    and the stored keys."""
    loaded = load_paths([office / "campaigns"], CATALOG, "Asia/Ho_Chi_Minh", office)
    store = open_engine(f"sqlite:///{office / 'loa.db'}")
    try:
        migrate(store)
        report = sync(store, loaded.campaigns, CATALOG, NOW, HORIZON)
        with store.connect() as conn:
            keys = [row.key for row in conn.execute(select(D.c.key))]
    finally:
        store.dispose()
    problems = [str(p) for p in loaded.errors] + [str(p) for p in report.refused.values()]
    return problems, keys


@pytest.mark.parametrize("name", sorted(DEFECT_1) + sorted(MORE_SITES))
def test_validate_names_file_and_line(name: str, office: Path) -> None:
    text, line = {**DEFECT_1, **MORE_SITES}[name]
    (office / "campaigns" / "hong.toml").write_text(text, "utf-8")
    code, output = validate(office)
    assert code == 1, output
    assert f"hong.toml:{line}:" in output, output


@pytest.mark.parametrize("name", sorted(DEFECT_1) + sorted(MORE_SITES))
def test_sync_refuses_the_bad_file_alone(name: str, office: Path) -> None:
    text, line = {**DEFECT_1, **MORE_SITES}[name]
    (office / "campaigns" / "hong.toml").write_text(text, "utf-8")
    (office / "campaigns" / "tot.toml").write_text(GOOD, "utf-8")
    problems, keys = _sync_folder(office)
    assert keys == ["tot:m:once@console"]
    assert any(p.startswith(f"campaigns/hong.toml:{line}:") for p in problems), problems


def test_dates_loa_cannot_store_are_refused_where_written(office: Path) -> None:
    """The years loa keeps are said in the message, Vietnamese first; sync applies the
    other files and never raises."""
    (office / "campaigns" / "hong.toml").write_text(STORE_RANGE, "utf-8")
    (office / "campaigns" / "tot.toml").write_text(GOOD, "utf-8")
    code, output = validate(office)
    assert code == 1, output
    for line in STORE_RANGE_LINES:
        assert f"hong.toml:{line}:" in output, output
    assert "năm 1900 đến năm 2100" in output, output
    problems, keys = _sync_folder(office)
    assert keys == ["tot:m:once@console"]
    lines = {int(p.split(":")[1]) for p in problems if p.startswith("campaigns/hong.toml:")}
    assert lines == set(STORE_RANGE_LINES), problems


@pytest.mark.parametrize(
    ("key", "moment", "zone", "line"),
    [
        ("start", dt.date(1, 1, 1), "Asia/Ho_Chi_Minh", 6),
        ("end", dt.datetime(9999, 12, 31, 20, 0), "America/Los_Angeles", 7),
    ],
    ids=["midnight-of-year-1-east", "evening-of-year-9999-west"],
)
def test_sync_refuses_a_campaign_it_cannot_store_and_applies_the_others(
    key: str, moment: dt.date, zone: str, line: int
) -> None:
    """A campaign built past the loader's year check (the library's adaptation, a future
    source of campaigns) whose activity spans now from a moment UTC cannot hold: refused on
    its own with its file:line, never an exception out of sync."""
    bad = _campaign(HEAD + ACTIVITY + "start = 2026-01-01\nend = 2027-12-31\n")
    activity = replace(bad.activities[0], **{key: Fixed(moment)})
    bad = replace(bad, activities=(activity,), timezone=zone)
    store = open_engine("sqlite://")
    migrate(store)
    report = sync(store, [bad, _campaign(GOOD)], CATALOG, NOW, HORIZON)
    with store.connect() as conn:
        keys = [row.key for row in conn.execute(select(D.c.key))]
    assert keys == ["tot:m:once@console"]
    problem = report.refused["hong"]
    assert (problem.file, problem.line) == ("x.toml", line), problem


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [(UNBOUNDED_RULE, 5, "5000"), (NESTED_LOOP, 6, "")],
    ids=["unbounded-rule", "nested-template-loop"],
)
def test_unbounded_work_is_refused_quickly(text: str, line: int, words: str, office: Path) -> None:
    (office / "campaigns" / "hong.toml").write_text(text, "utf-8")
    (office / "campaigns" / "tot.toml").write_text(GOOD, "utf-8")
    before = _peak_mb()
    started = time.monotonic()
    code, output = validate(office)
    assert time.monotonic() - started < 10
    assert _peak_mb() - before < 300
    assert code == 1 and f"hong.toml:{line}:" in output and words in output, output
    problems, keys = _sync_folder(office)
    assert "tot:m:once@console" in keys
    assert any(p.startswith(f"campaigns/hong.toml:{line}:") for p in problems), problems


DEEP_ARRAY = HEAD + "\n\nx = " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_TABLE = HEAD + "\n\nx = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n"
DEEP_HEADER = HEAD + "\n\n[" + ".".join(["a"] * 20_000) + "]\n"


@pytest.mark.parametrize("text", [DEEP_ARRAY, DEEP_TABLE, DEEP_HEADER], ids=["[", "{", "header"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_deep_nesting_names_its_line_in_the_configured_language(text: str, lang: str) -> None:
    """Defect 6: line 5 holds the nesting; the message follows the configured language."""
    before = language()
    set_language(lang)
    try:
        campaign, problems = parse_document(
            text.encode(), Path("x.toml"), CATALOG, "Asia/Ho_Chi_Minh", "x.toml"
        )
    finally:
        set_language(before)
    assert campaign is None
    assert [p.line for p in problems] == [5], problems
    words = {"vi": ("khóa", "tầng"), "en": ("key", "nested")}[lang]
    assert any(w in problems[0].message for w in words), problems
    other = {"vi": ("key", "levels", "nested"), "en": ("khóa", "tầng", "lồng")}[lang]
    assert not any(w in problems[0].message for w in other), problems


def _campaign(text: str) -> Campaign:
    campaign, problems = parse_document(
        text.encode(), Path("x.toml"), CATALOG, "Asia/Ho_Chi_Minh", "x.toml"
    )
    assert campaign is not None, problems
    return campaign


def test_a_rule_no_date_matches_ends_with_the_window() -> None:
    """dateutil walked such a rule day by day to the year 9999 (6 s, uninterruptible)."""
    campaign = _campaign(
        HEAD + '[[message]]\nid = "m"\ntext = "x"\n'
        'at = { rrule = "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30", start = 2026-12-01 }\n'
    )
    started = time.monotonic()
    assert expand(campaign, NOW, NOW + HORIZON, CATALOG).messages == []
    assert time.monotonic() - started < 1


def test_a_file_past_its_time_budget_is_refused_naming_the_item() -> None:
    """Every minute since 2020: millions of dates before the window, none of them in it."""
    campaign = _campaign(
        HEAD + '[[message]]\nid = "moi-phut"\ntext = "x"\n'
        'at = { rrule = "FREQ=MINUTELY", start = 2020-01-01 }\n'
    )
    started = time.monotonic()
    with pytest.raises(ExpansionRefused) as refused:
        expand(campaign, NOW, NOW + HORIZON, CATALOG, Limits(seconds=0.2))
    assert time.monotonic() - started < 2
    problem = expansion_problem(campaign, refused.value)
    assert (problem.line, problem.path) == (6, "message[1].at")
    assert "moi-phut" in problem.message and "0.2" in problem.message


def test_many_costly_templates_are_checked_within_the_file_budget() -> None:
    """A hundred templates of 65,000 calls each, each within the limits of one template:
    checking them all took 20 s and more; it stops at the file's time budget, naming where."""
    costly = (
        '"{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(15) }}"'
    )
    text = HEAD + "".join(
        f'[[message]]\nid = "m{i}"\nat = 2026-12-10\ntext = {costly}\n' for i in range(100)
    )
    started = time.monotonic()
    campaign, problems = parse_document(
        text.encode(), Path("x.toml"), CATALOG, "Asia/Ho_Chi_Minh", "x.toml"
    )
    assert time.monotonic() - started < 10
    assert campaign is None and 1 <= len(problems) < 100, problems
    assert "5 giây" in problems[-1].message, problems


# templates that asked for unbounded work or memory, each refused within a second
HOSTILE_TEMPLATES = {
    "nested-loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "doubling-macro": "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}",
    "growing-argument": "{% macro f(n, s) %}{% if n %}{{ f(n-1, s ~ s) }}{% endif %}{% endmacro %}{{ f(40, 'x') }}",
    "recursive-loop": "{% for x in [1] recursive %}{{ loop([1, 1]) }}{% endfor %}",
    "replace": "{{ ('x' * 20000) | replace('x', 'x' * 20000) }}",
    "join": "{{ range(100000) | join('x' * 20000) }}",
    "plus": "{{ 'x' * 20000 + 'x' * 20000 }}",
    "percent-width": "{{ '%0999999999d' % 1 }}",
    "percent-star": "{{ '%*d' % (999999999, 1) }}",
    "format-width": "{{ '{:>999999999}'.format(1) }}",
    "format-nested-width": "{{ '{:>{}}'.format(1, 999999999) }}",
    "ljust": "{{ 'x'.ljust(999999999) }}",
    "append": "{% set l = [] %}{% for i in range(40) %}{{ l.append(l) }}{% endfor %}",
    "output": "{% for i in range(100000) %}{{ 'x' * 20000 }}{% endfor %}",
}  # fmt: skip
FINE_TEMPLATES = {
    "{{ 'Mã %s: 123456' % 'x' }}": "Mã x: 123456",
    "{{ '{:,}'.format(1234567) }}": "1,234,567",
    "{% for p in ['a', 'b'] %}{{ loop.index }}{{ p | upper }} {% endfor %}": "1A 2B",
    "{{ ['a', 'b'] | join(', ') }} {{ 'ab' | replace('a', 'c') }}": "a, b cb",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_TEMPLATES))
def test_a_template_past_its_bounds_is_refused_quickly(name: str) -> None:
    started = time.monotonic()
    with pytest.raises(ExpressionError):
        templates.render(HOSTILE_TEMPLATES[name], {})
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("source", sorted(FINE_TEMPLATES))
def test_templates_within_bounds_render(source: str) -> None:
    assert templates.render(source, {}) == FINE_TEMPLATES[source]
