"""Property-based tests of campaign loading and expansion (hypothesis).

What is checked, for generated campaign files and generated time windows:

1. expansion is deterministic (twice in one process, after re-loading, and in processes with
   other hash seeds); keys are unique within one expansion; splitting a window in two neither
   loses nor duplicates a message (nor an activity or a deadline);
2. every message is due inside its window; every all-day activity overlaps its window;
3. a mutated file gives problems, never an exception (and a file that is accepted expands);
4. the time-expression parser only ever raises ``ExpressionError``;
5. solar -> lunar (lunar_vn) -> solar (campaigns.lunar.to_solar) is the identity, 1901-2099.

The number of examples is tuned so the whole file runs in well under a minute on two cores;
set ``LOA_PROPERTY_SCALE=10`` (for example) to search harder locally.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lunar_vn import solar_to_lunar

from campaigns.adapt import in_library
from campaigns.errors import ExpressionError
from campaigns.expand import Expansion, expand
from campaigns.loader import parse_document
from campaigns.lunar import to_solar
from campaigns.model import Campaign, ChannelCatalog
from campaigns.timeexpr import When, parse_value
from campaigns.workdays import WorkCalendar


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Turn a hang into a failure (SIGALRM: main thread, POSIX)."""

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


TZ_NAME = "Asia/Ho_Chi_Minh"
TZ = ZoneInfo(TZ_NAME)
SCALE = max(1, int(os.environ.get("LOA_PROPERTY_SCALE", "1")))
PACKAGE = Path(__file__).resolve().parents[2] / "campaigns"


# The catalogue the brief prescribes for parsing, and a richer one for expansion (several
# targets per channel, so dispatch keys are exercised).
def _office_catalog() -> ChannelCatalog:
    from scheduler.config import public_holidays

    holidays, worked = public_holidays()
    calendar = WorkCalendar(frozenset({5, 6}), holidays, working_days=worked)
    return dataclasses.replace(EXPAND_CATALOG, calendar=calendar)


PARSE_CATALOG = ChannelCatalog(targets={"console": ()}, defaults=("console",))
EXPAND_CATALOG = ChannelCatalog(
    targets={"console": (), "zalo": ("group", "admin")}, defaults=("console",)
)
OFFICE_CATALOG = _office_catalog()


def _settings(examples: int, **kwargs: object) -> settings:
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        **kwargs,  # type: ignore[arg-type]
    )


# -- generated campaign files ----------------------------------------------------------------

DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
ACTIVITY_IDS = ("a0", "a1", "a2", "a3")


def _q(text: str) -> str:
    """A TOML basic string."""
    return json.dumps(text, ensure_ascii=False)


clock = st.builds(
    lambda h, m: f"{h:02d}:{m:02d}",
    st.sampled_from([0, 0, 7, 8, 12, 17, 23]) | st.integers(0, 23),
    st.sampled_from([0, 30, 59]) | st.integers(0, 59),
)
maybe_clock = st.none() | clock

month_day = st.sampled_from([(2, 29), (12, 31), (1, 1), (2, 28), (3, 1), (4, 22), (6, 30)]) | (
    st.integers(1, 12).flatmap(
        lambda m: st.tuples(st.just(m), st.integers(1, DAYS_IN_MONTH[m - 1]))
    )
)


@st.composite
def yearly_expr(draw: st.DrawFn) -> str:
    month, day = draw(month_day)
    time = draw(maybe_clock)
    style = draw(st.sampled_from(["iso", "vn", "moi"]))
    body = f"{month:02d}-{day:02d}" if style == "iso" else f"{day:02d}/{month:02d}"
    word = {"iso": "yearly", "vn": "hằng năm", "moi": "mỗi năm"}[style]
    return f"{word} {body}" + (f" {time}" if time else "")


@st.composite
def lunar_expr(draw: st.DrawFn) -> str:
    month = draw(st.integers(1, 12))
    day = draw(st.sampled_from([1, 15, 29, 30]) | st.integers(1, 30))
    time = draw(maybe_clock)
    leap = draw(st.integers(0, 9)) == 0
    if draw(st.booleans()):
        text = f"lunar {month:02d}-{day:02d}" + (f" {time}" if time else "")
        return text + (" leap" if leap else "")
    text = f"âm lịch {day:02d}/{month:02d}" + (f" {time}" if time else "")
    return text + (" nhuận" if leap else "")


@st.composite
def offset_expr(draw: st.DrawFn) -> str:
    """A signed offset of at most 366 days, biased to the extremes."""
    kind = draw(st.sampled_from(["none", "days", "extreme", "mixed"]))
    if kind == "none":
        return ""
    if kind == "extreme":
        days = draw(st.sampled_from([-366, -365, -364, 364, 365, 366]))
        return f"{days:+d}d"
    if kind == "days":
        days = draw(st.integers(-366, 366))
        return f"{days:+d}d"
    terms = [
        f"{draw(st.integers(-5, 5)):+d}w",
        f"{draw(st.integers(-300, 300)):+d}d",
        f"{draw(st.integers(-30, 30)):+d}h",
        f"{draw(st.integers(-90, 90)):+d}m",
    ]
    chosen = draw(st.lists(st.sampled_from(terms), min_size=1, max_size=4, unique=True))
    return "".join(chosen)


@st.composite
def relative_expr(draw: st.DrawFn, refs: tuple[str, ...]) -> str:
    ref = draw(st.sampled_from(refs))
    edge = draw(st.sampled_from(["", ".start", ".end"]))
    parts = [ref + edge]
    if offset := draw(offset_expr()):
        parts.append(offset)
    if time := draw(maybe_clock):
        parts.append(time)
    return " ".join(parts)


fixed_day = st.dates(dt.date(2022, 1, 1), dt.date(2029, 12, 31)) | st.sampled_from(
    [dt.date(2024, 2, 29), dt.date(2025, 12, 31), dt.date(2026, 1, 1), dt.date(2028, 2, 29)]
)


@st.composite
def fixed_value(draw: st.DrawFn) -> str:
    """An absolute moment as TOML: a date (literal or string), a local or offset date-time."""
    day = draw(fixed_day)
    kind = draw(st.sampled_from(["date", "string", "local", "offset"]))
    if kind == "date":
        return day.isoformat()
    if kind == "string":
        return _q(day.isoformat())
    time = draw(clock)
    if kind == "local":
        return f"{day.isoformat()}T{time}:00"
    offset = draw(st.sampled_from(["+07:00", "Z", "+09:00", "-05:00"]))
    return f"{day.isoformat()}T{time}:00{offset}"


RRULES = (
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=WEEKLY;BYDAY=MO,TH",
    "RRULE:FREQ=WEEKLY;BYDAY=FR",
    "FREQ=MONTHLY;BYMONTHDAY=15",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;COUNT=5",
    "FREQ=YEARLY",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31",
    "FREQ=WEEKLY;UNTIL=20261231T000000",
    "FREQ=HOURLY;INTERVAL=6;COUNT=8",
    "FREQ=DAILY;BYHOUR=8,17;COUNT=20",
    "FREQ=DAILY;BYHOUR=9;BYMINUTE=0,30;COUNT=10",
    "FREQ=MINUTELY;INTERVAL=30;COUNT=4",
    "FREQ=WEEKLY;BYDAY=MO;BYSECOND=0,30",
    "FREQ=MONTHLY;BYHOUR=9;BYSECOND=0,30",
)


def _table(items: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{k} = {v}" for k, v in items.items()) + " }"


@st.composite
def rule_expr(draw: st.DrawFn, refs: tuple[str, ...]) -> str:
    items = {"rrule": _q(draw(st.sampled_from(RRULES)))}
    during: bool = draw(st.booleans())
    if refs and during:
        items["during"] = _q(draw(st.sampled_from(refs)))
    else:
        start = draw(st.dates(dt.date(2022, 1, 1), dt.date(2028, 12, 31)))
        items["start"] = start.isoformat()
        if draw(st.booleans()):
            until = start + dt.timedelta(days=draw(st.integers(0, 1500)))
            items["until"] = until.isoformat()
    if time := draw(maybe_clock):
        items["time"] = _q(time)
    return _table(items)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "t2", "t7", "cn", "thứ hai")


@st.composite
def repeat_expr(draw: st.DrawFn, refs: tuple[str, ...]) -> str:
    every = draw(st.sampled_from(["day", "week", "month"]))
    items = {"every": _q(every), "during": _q(draw(st.sampled_from(refs)))}
    if every == "week" and draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3))
        items["on"] = _q(days[0]) if len(days) == 1 else "[" + ", ".join(map(_q, days)) + "]"
    if every == "month" and draw(st.booleans()):
        items["on"] = str(draw(st.sampled_from([1, 15, 29, 30, 31])))
    if time := draw(maybe_clock):
        items["time"] = _q(time)
    return _table(items)


def activity_start(refs: tuple[str, ...]) -> st.SearchStrategy[str]:
    options = [yearly_expr().map(_q), lunar_expr().map(_q), fixed_value()]
    if refs:
        options.append(relative_expr(refs).map(_q))
        options.append(relative_expr(refs).map(_q))  # chains of relative activities
    return st.one_of(options)


@st.composite
def own_end(draw: st.DrawFn, own: str) -> str:
    """``end = "<own id> +Nd [HH:MM]"``: the end counted from the activity's own start."""
    text = f"{own} +{draw(st.integers(0, 40))}d"
    if time := draw(maybe_clock):
        text += f" {time}"
    return _q(text)


def activity_end(
    own: str, recurring_refs: tuple[str, ...], once_refs: tuple[str, ...], recurring: bool
) -> st.SearchStrategy[str | None]:
    """An end the file format allows: an activity that recurs every year must end in its own
    year (a recurring end, or one counted from itself or from another recurring activity)."""
    options: list[st.SearchStrategy[str | None]] = [
        st.none(),
        yearly_expr().map(_q),
        lunar_expr().map(_q),
        own_end(own),
    ]
    refs = recurring_refs if recurring else recurring_refs + once_refs
    if refs:
        options.append(relative_expr(refs).map(_q))
    return st.one_of(options)


def when_one(refs: tuple[str, ...]) -> st.SearchStrategy[str]:
    options = [
        yearly_expr().map(_q),
        lunar_expr().map(_q),
        fixed_value(),
        rule_expr(refs),
        relative_expr(refs).map(_q),
        relative_expr(refs).map(_q),
        repeat_expr(refs),
    ]
    return st.one_of(options)


@st.composite
def when_value(draw: st.DrawFn, refs: tuple[str, ...]) -> str:
    values = draw(st.lists(when_one(refs), min_size=1, max_size=3))
    if len(values) == 1 and draw(st.booleans()):
        return values[0]
    return "[" + ", ".join(values) + "]"


YEARS = (None, '"2024-"', '"2025-"', '"2024-2026"', '"2026-2026"', "2026", "[2025, 2027]")
CHANNELS = (None, '["console"]', '["zalo"]', '["zalo:group"]', '["zalo", "zalo:admin", "console"]')


@st.composite
def campaign_text(draw: st.DrawFn) -> str:
    """A valid campaign file: activities (each timed from earlier ones), messages, deadlines."""
    lines = ['id = "c"', 'title = "Chiến dịch thử"', f"timezone = {_q(TZ_NAME)}"]
    if (years := draw(st.sampled_from(YEARS))) is not None:
        lines.append(f"years = {years}")
    if draw(st.booleans()):
        lines.append(f"send_time = {_q(draw(clock))}")
    lines += ["", "[vars]", 'x = "chung"', "", '[vars_by_year."2025"]', 'x = "năm 2025"']
    count = draw(st.integers(1, len(ACTIVITY_IDS)))
    ids = ACTIVITY_IDS[:count]
    recurs: dict[str, bool] = {}  # whether each activity happens every year
    for i, activity in enumerate(ids):
        lines += ["", "[[activity]]", f'id = "{activity}"', f'title = "Hoạt động {i}"']
        start = draw(activity_start(ids[:i]))
        lines.append(f"start = {start}")
        ref = re.match(r'^"(a\d)', start)
        recurs[activity] = (
            recurs[ref[1]] if ref else start.startswith('"') and not start[1].isdigit()
        )
        every_year = tuple(a for a in ids[:i] if recurs[a])
        once = tuple(a for a in ids[:i] if not recurs[a])
        end = draw(activity_end(activity, every_year, once, recurs[activity]))
        if end is not None:
            lines.append(f"end = {end}")
    for i in range(draw(st.integers(0, 3))):
        lines += ["", "[[message]]", f'id = "m{i}"', f"at = {draw(when_value(ids))}"]
        if draw(st.integers(0, 3)) == 0:
            # bound to an activity: the template may count down to it
            lines.append(f"activity = {_q(draw(st.sampled_from(ids)))}")
            lines.append(
                'text = "{{ activity.title }} ({{ activity.start }}): còn {{ days_left }} ngày"'
            )
        else:
            lines.append('text = "Tin {{ x }}: {{ date }} {{ time }} {{ year }}"')
        if (channels := draw(st.sampled_from(CHANNELS))) is not None:
            lines.append(f"channels = {channels}")
    for i in range(draw(st.integers(0, 2))):
        lines += ["", "[[deadline]]", f'id = "d{i}"', f'title = "Hạn {i}"']
        lines.append(f"due = {draw(when_value(ids))}")
        remind = draw(
            st.lists(st.sampled_from([1, 7, 30, 365, 366]) | st.integers(1, 366), max_size=3)
        )
        if remind:
            shown = [f'"{r}d"' if draw(st.booleans()) else str(r) for r in remind]
            lines.append(f"remind = [{', '.join(shown)}]")
        if draw(st.booleans()):
            lines.append(f"remind_at = {_q(draw(clock))}")
        if (channels := draw(st.sampled_from(CHANNELS))) is not None:
            lines.append(f"channels = {channels}")
    return "\n".join(lines) + "\n"


def load(text: str) -> Campaign:
    """A generated file must load: the generator only writes valid files."""
    campaign, problems = parse_document(
        text.encode("utf-8"), Path("x.toml"), EXPAND_CATALOG, TZ_NAME, "x.toml"
    )
    assert campaign is not None, "generated file rejected:\n" + "\n".join(map(str, problems))
    return campaign


# -- windows ---------------------------------------------------------------------------------


@st.composite
def window(draw: st.DrawFn) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """``(a, b, c)`` with ``a < b < c``: local times in Asia/Ho_Chi_Minh, often across a new year.

    All three are whole multiples of one unit after midnight (a minute, half an hour, an hour or
    a day), so windows often start, end or are cut exactly where things happen (08:00, 00:00).
    """
    year = draw(st.integers(2023, 2028))
    unit = dt.timedelta(minutes=draw(st.sampled_from([1, 30, 60, 24 * 60])))
    if draw(st.booleans()):  # a window starting in the last weeks of a year
        a = dt.datetime(year + 1, 1, 1, tzinfo=TZ) - unit * draw(
            st.integers(1, dt.timedelta(days=45) // unit)
        )
    else:
        a = dt.datetime(year, 1, 1, tzinfo=TZ) + unit * draw(
            st.integers(0, dt.timedelta(days=365) // unit)
        )
    steps = draw(st.integers(2, max(2, dt.timedelta(days=400) // unit)))
    cut = draw(st.integers(1, steps - 1) | st.sampled_from([1, steps - 1]))
    return a, a + unit * cut, a + unit * steps


def _message_keys(expansion: Expansion) -> Counter[tuple[str, dt.datetime]]:
    return Counter((m.key, m.due) for m in expansion.messages)


def _all_keys(expansion: Expansion) -> list[str]:
    return (
        [a.key for a in expansion.activities]
        + [d.key for d in expansion.deadlines]
        + [m.key for m in expansion.messages]
        + [d.key for d in expansion.dispatches()]
    )


# Minimal failing examples of the properties below, kept as plain regression tests so they fail
# (or pass) every run, whatever hypothesis happens to draw.
#
# A relative message 366 days before a yearly activity, in a window that ends on 31 December:
# the anchor's occurrence two years on was not looked at (years start-2 .. end+1), so the
# message was lost. (Suspected from reading expand.py, confirmed by the split property.)
SPLIT_BUG_FILE = """\
id = "c"
title = "T"

[[activity]]
id = "a0"
title = "A"
start = "yearly 01-01"

[[message]]
id = "m0"
at = "a0 -366d"
text = "x"
"""
SPLIT_BUG_WINDOW = (
    dt.datetime(2026, 12, 31, 0, 0, tzinfo=TZ),
    dt.datetime(2026, 12, 31, 12, 0, tzinfo=TZ),
    dt.datetime(2027, 1, 2, 0, 0, tzinfo=TZ),
)

# A yearly activity whose end is a fixed date years later: its 2021 occurrence runs into 2024,
# but a window starting in 2024 only looks at occurrences from 2022 on. (Found by hypothesis;
# the loader may now refuse such an end, which also settles it.)
LONG_ACTIVITY_FILE = """\
id = "c"
title = "T"

[[activity]]
id = "a0"
title = "A"
start = 2024-02-29

[[activity]]
id = "a1"
title = "B"
start = "yearly 01-01"
end = "a0"

[[deadline]]
id = "d0"
title = "D"
due = { rrule = "FREQ=DAILY;INTERVAL=3", during = "a1" }
"""
LONG_ACTIVITY_WINDOW = (
    dt.datetime(2023, 12, 31, 23, 59, tzinfo=TZ),
    dt.datetime(2024, 1, 1, 0, 0, tzinfo=TZ),
    dt.datetime(2024, 1, 1, 0, 1, tzinfo=TZ),
)

# A timed activity without an end (or with end == start) is in [07:00, 09:00) but in neither
# [07:00, 08:00) nor [08:00, 09:00): the overlap test was strict at both ends. (Found by
# hypothesis.)
POINT_ACTIVITY_FILE = """\
id = "c"
title = "T"

[[activity]]
id = "a0"
title = "A"
start = "yearly 01-01 08:00"
"""
POINT_ACTIVITY_WINDOW = (
    dt.datetime(2025, 1, 1, 7, 0, tzinfo=TZ),
    dt.datetime(2025, 1, 1, 8, 0, tzinfo=TZ),
    dt.datetime(2025, 1, 1, 9, 0, tzinfo=TZ),
)

# The reminder 7 days before an rrule deadline: rrule occurrences were only computed within a
# day of the window, so a window holding the reminder but not the due date had no reminder.
# (Found by hypothesis.)
RULE_REMINDER_FILE = """\
id = "c"
title = "T"

[[deadline]]
id = "d0"
title = "D"
due = { rrule = "FREQ=YEARLY", start = 2025-06-05 }
remind = [7]
"""
RULE_REMINDER_WINDOW = (
    dt.datetime(2026, 5, 29, 0, 0, tzinfo=TZ),
    dt.datetime(2026, 5, 30, 0, 0, tzinfo=TZ),
    dt.datetime(2026, 6, 10, 0, 0, tzinfo=TZ),
)

# An rrule with seconds: two occurrences a day got the same occurrence label, so the same key.
# (Suspected from reading expand.py; hypothesis found the BYHOUR=9;BYSECOND=0,30 variant.)
DUPLICATE_KEY_FILE = """\
id = "c"
title = "T"

[[message]]
id = "m0"
at = { rrule = "FREQ=DAILY;BYSECOND=0,30;COUNT=2", start = 2026-01-01 }
text = "x"
"""
DUPLICATE_KEY_WINDOW = (
    dt.datetime(2025, 12, 1, tzinfo=TZ),
    dt.datetime(2026, 1, 15, tzinfo=TZ),
    dt.datetime(2026, 2, 1, tzinfo=TZ),
)


# -- 1. determinism, unique keys, split windows -----------------------------------------------


@_settings(150)
@given(text=campaign_text(), bounds=window())
def test_expansion_is_deterministic(
    text: str, bounds: tuple[dt.datetime, dt.datetime, dt.datetime]
) -> None:
    a, _, c = bounds
    campaign = load(text)
    first = expand(campaign, a, c, EXPAND_CATALOG)
    second = expand(campaign, a, c, EXPAND_CATALOG)
    assert _all_keys(first) == _all_keys(second)
    assert first == second
    # a fresh load of the same bytes is the same campaign and expands the same way
    again = expand(load(text), a, c, EXPAND_CATALOG)
    assert again == first
    assert list(again.dispatches()) == list(first.dispatches())


_DUMP = r"""
import datetime as dt, json, sys
from pathlib import Path
from campaigns.expand import expand
from campaigns.loader import parse_document
from campaigns.model import ChannelCatalog
catalog = ChannelCatalog(targets={"console": (), "zalo": ("group", "admin")}, defaults=("console",))
out = []
for text, start, end in json.load(sys.stdin):
    campaign, _ = parse_document(text.encode(), Path("x.toml"), catalog, "Asia/Ho_Chi_Minh", "x.toml")
    e = expand(campaign, dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end), catalog)
    out.append([repr(e.activities), repr(e.deadlines), repr(e.messages), repr(list(e.dispatches()))])
json.dump(out, sys.stdout)
"""


def _dump_in_process(cases: list[list[str]]) -> list[list[str]]:
    out = []
    for text, start, end in cases:
        e = expand(
            load(text), dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end),
            EXPAND_CATALOG,
        )  # fmt: skip
        out.append([repr(e.activities), repr(e.deadlines), repr(e.messages),
                    repr(list(e.dispatches()))])  # fmt: skip
    return out


def _dump_in_subprocess(cases: list[list[str]], seed: str) -> list[list[str]]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", _DUMP],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@_settings(5)
@given(
    cases=st.lists(st.tuples(campaign_text(), window()), min_size=1, max_size=8),
)
def test_expansion_is_the_same_in_other_processes(
    cases: list[tuple[str, tuple[dt.datetime, dt.datetime, dt.datetime]]],
) -> None:
    """Nothing depends on hash order or on the process: other hash seeds, identical output."""
    plain = [[text, a.isoformat(), c.isoformat()] for text, (a, _, c) in cases]
    here = _dump_in_process(plain)
    assert _dump_in_subprocess(plain, "1") == here
    assert _dump_in_subprocess(plain, "4242") == here


def check_keys_are_unique(text: str, bounds: tuple[dt.datetime, dt.datetime, dt.datetime]) -> None:
    a, _, c = bounds
    e = expand(load(text), a, c, EXPAND_CATALOG)
    for kind, keys in (
        ("activity", [x.key for x in e.activities]),
        ("deadline", [x.key for x in e.deadlines]),
        ("message", [x.key for x in e.messages]),
        ("dispatch", [x.key for x in e.dispatches()]),
    ):
        repeated = sorted(k for k, n in Counter(keys).items() if n > 1)
        assert not repeated, f"{kind} keys repeated: {repeated}"


@_settings(300)
@given(text=campaign_text(), bounds=window())
def test_keys_are_unique(text: str, bounds: tuple[dt.datetime, dt.datetime, dt.datetime]) -> None:
    check_keys_are_unique(text, bounds)


def test_keys_are_unique_for_an_rrule_with_seconds() -> None:
    """Regression (minimal example found by test_keys_are_unique)."""
    check_keys_are_unique(DUPLICATE_KEY_FILE, DUPLICATE_KEY_WINDOW)


def check_split_window(
    text: str,
    bounds: tuple[dt.datetime, dt.datetime, dt.datetime],
    refusable: bool = False,
    catalog: ChannelCatalog = EXPAND_CATALOG,
) -> None:
    """``refusable``: a loader that now refuses the file (with an error) fixes the case too."""
    a, b, c = bounds
    if refusable:
        found, problems = parse_document(
            text.encode(), Path("x.toml"), EXPAND_CATALOG, TZ_NAME, "x.toml"
        )
        if found is None:
            assert [p for p in problems if p.severity == "error"]
            return
    campaign = load(text)
    whole = expand(campaign, a, c, catalog)
    left = expand(campaign, a, b, catalog)
    right = expand(campaign, b, c, catalog)

    union = _message_keys(left) + _message_keys(right)
    full = _message_keys(whole)
    assert union == full, (
        f"lost when split at {b}: {sorted(full - union)}; "
        f"not in the whole window: {sorted(union - full)}"
    )
    # the same message is the same message whichever window found it
    by_key = {m.key: m for m in whole.messages}
    for m in [*left.messages, *right.messages]:
        if m.key in by_key:
            assert m == by_key[m.key]

    # an activity is in the whole window when it is in one of the halves
    halves = {x.key for x in left.activities} | {x.key for x in right.activities}
    everything = {x.key for x in whole.activities}
    assert halves == everything, (
        f"activities lost when split at {b}: {sorted(everything - halves)}; "
        f"not in the whole window: {sorted(halves - everything)}"
    )
    # a deadline is due in exactly one of the halves
    dues = Counter(d.key for d in [*left.deadlines, *right.deadlines])
    all_dues = Counter(d.key for d in whole.deadlines)
    assert dues == all_dues, (
        f"deadlines lost when split at {b}: {sorted(all_dues - dues)}; "
        f"not in the whole window: {sorted(dues - all_dues)}"
    )


@_settings(400)
@given(text=campaign_text(), bounds=window())
def test_split_window_loses_and_duplicates_nothing(
    text: str, bounds: tuple[dt.datetime, dt.datetime, dt.datetime]
) -> None:
    check_split_window(text, bounds)


@_settings(200)
@given(text=campaign_text(), bounds=window())
def test_split_window_with_days_off_loses_and_duplicates_nothing(
    text: str, bounds: tuple[dt.datetime, dt.datetime, dt.datetime]
) -> None:
    """Items that move off days off (Tết, weekends) may cross the split: still found once."""
    check_split_window(text, bounds, catalog=OFFICE_CATALOG)


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        pytest.param(SPLIT_BUG_FILE, SPLIT_BUG_WINDOW, id="message-366-days-before"),
        pytest.param(LONG_ACTIVITY_FILE, LONG_ACTIVITY_WINDOW, id="activity-longer-than-2-years"),
        pytest.param(POINT_ACTIVITY_FILE, POINT_ACTIVITY_WINDOW, id="timed-activity-without-end"),
        pytest.param(RULE_REMINDER_FILE, RULE_REMINDER_WINDOW, id="reminder-of-an-rrule-deadline"),
    ],
)
def test_split_window_regressions(
    text: str, bounds: tuple[dt.datetime, dt.datetime, dt.datetime]
) -> None:
    """Regressions: minimal examples found by test_split_window_loses_and_duplicates_nothing."""
    check_split_window(text, bounds, refusable=True)


# -- 2. everything lies in its window ---------------------------------------------------------


def _day_start(moment: dt.date) -> dt.datetime:
    if isinstance(moment, dt.datetime):
        return moment
    return dt.datetime.combine(moment, dt.time(), tzinfo=TZ)


@_settings(300)
@given(text=campaign_text(), bounds=window())
def test_everything_lies_in_the_window(
    text: str, bounds: tuple[dt.datetime, dt.datetime, dt.datetime]
) -> None:
    a, _, c = bounds
    e = expand(load(text), a, c, EXPAND_CATALOG)
    for m in e.messages:
        assert m.due.tzinfo is not None
        assert a <= m.due < c, (m.key, m.due)
    for d in e.dispatches():
        assert a <= d.due < c, (d.key, d.due)
    for dl in e.deadlines:
        assert a <= _day_start(dl.due) < c, (dl.key, dl.due)
    for act in e.activities:
        if not act.all_day:
            continue
        first = _day_start(act.start)
        last = act.end if act.end is not None else act.start
        # an all-day end is the last day, inclusive; a timed end is an instant
        finish = last if isinstance(last, dt.datetime) else _day_start(last + dt.timedelta(days=1))
        if finish <= first:  # "end = yearly 01-01 00:00" on a 01-01 start: a point in time
            assert a <= first < c, (act.key, act.start, act.end)
        else:
            assert first < c and finish > a, (act.key, act.start, act.end)


# -- 3. mutated files give problems, not exceptions ------------------------------------------

SEED_FILES = sorted(
    p.read_bytes()
    for p in [*PACKAGE.glob("examples/*.toml"), *PACKAGE.glob("library/*.toml")]
    if p.is_file()
)
assert SEED_FILES, "the example campaign files are missing"

CONFUSABLE = st.sampled_from(["²", "٣", "①", "\x00", "/", "\\", "-", " ", "\u200b"]) | st.builds(
    lambda char, n: char * n, st.sampled_from(["[", "{", "(", '"', "#"]), st.integers(2, 600)
)
NOISE_TEXT = (
    CONFUSABLE
    | st.text(
        alphabet=st.sampled_from(
            list("aăâđêôơưáàảãạếềểễệ ỌọƯữ")
            + list("\"'[]{}=,.#:-+/\\\n\t 0123456789")
            + ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\u200b", "\ufeff", "\u2028", "²", "٣", "①"]
        ),
        min_size=1,
        max_size=12,
    )
    | st.sampled_from(
        [
            "Tết Nguyên Đán",
            "hằng năm",
            "âm lịch 30/12",
            "[[activity]]",
            "[[message]]",
            "[vars_by_year]",
            "{{ x",
            "{% for %}",
            '"""',
            "= 1",
            "\r\n",
            "\\u0000",
        ]
    )
)
OTHER_VALUES = (
    "42", "-1", "0", "true", "3.14", "nan", "inf", '""', '" "', "[]", "{}", '[1, "a"]',
    "{ x = 1 }", "1979-05-27", "07:32:00", "1979-05-27T07:32:00Z", "1979-05-27T07:32:00",
    "99999999999999999999", '"30/02"', '"hằng năm 30/02"', '"âm lịch 31/12"', '"2025-02-30"',
    '"yearly 02-30 08:00"', '"lunar 13-01"', '"a -99999999999d"', '"ngay-hoi -400d"',
    '"ngay-hoi +1w2d"', '"America"', '"Asia"', '"Mars/Olympus"', '"25:00"', '"0d"',
    '{ every = "week", during = "ngay-hoi" }', '{ rrule = "FREQ=DAILY" }',
    '{ rrule = "FREQ=DAILY;INTERVAL=0", start = 2025-01-01 }',
    '{ rrule = "FREQ=DAILY;INTERVAL=-1", start = 2025-01-01 }',
    '{ rrule = "RRULE:FREQ=DAILY\\nEXDATE:20250102T000000", start = 2025-01-01 }',
    '{ rrule = "FREQ=SECONDLY;COUNT=3", start = 2025-01-01 }',
    '"{{ ' + "(" * 500 + "1" + ")" * 500 + ' }}"', "[" * 500 + "]" * 500,
    '["ngay-hoi 07:00", "yearly 01-01"]', '"{{ nope }}"', '"{{ activity.nope }}"',
    '"{{ 1/0 }}"', '"{% if %}"',
)  # fmt: skip
# Values a person might plausibly (and wrongly) write for a given key.
KEY_VALUES: dict[str, tuple[str, ...]] = {
    "timezone": ('"Asia"', '"America"', '"Etc"', '"Asia/Ha_Noi"', '"UTC"', '""', '"../x"',
                 '"' + "A" * 300 + '"', '"Asia/Ho_Chi_Minh\\u0000"'),
    "years": ('"2025-2024"', '"1800-"', '"2025"', "[1899]", '"-"', "[]", "2101", '"2025-2025"'),
    "send_time": ('"24:00"', '"8h"', '"08:00:60"', '"٠٨:٠٠"', '"8:0"'),
    "grace": ('"0m"', '"-1h"', '"99999999999h"', '"1"', '"1d"'),
    "remind": ("[0]", "[367]", '["7"]', '["99999999999999999999999d"]', "[-1]", '["7 d"]'),
    "remind_at": ('"24:00"', '"7h"', '"07:30"'),
    "channels": ('["nope"]', '["console:x"]', '["subscribers"]', '[""]', '[":"]'),
    "activity": ('"nope"', '""', '"A"'),
}  # fmt: skip
HEADER_YEARS = ('"2²"', '"²⁰²⁵"', '"0"', '"20 25"', '"-1"', '"99999999999999999999"', "2025")
IMPOSSIBLE_DATES = ("30/02", "31/04", "00/13", "32/01", "29/02", "02-30", "13-01", "2025-02-30")
INVALID_BYTES = st.sampled_from(
    [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\x00", b"\xe1\xbb"]
) | st.binary(min_size=1, max_size=6)


@st.composite
def mutation(draw: st.DrawFn, raw: bytes) -> bytes:
    """One edit of a file, as a careless person or a broken disk would make it."""
    kind = draw(
        st.sampled_from(
            ["delete", "delete_line", "insert", "swap_value", "duplicate_block",
             "impossible_date", "bytes", "replace_line", "cut_string", "insert_in_string",
             "add_key"]
        )
    )  # fmt: skip
    text = raw.decode("utf-8", errors="surrogateescape")
    lines = text.split("\n")
    size = len(raw)
    if kind == "delete" and size:
        start = draw(st.integers(0, size - 1))
        length = draw(st.integers(1, 20))
        return raw[:start] + raw[start + length :]
    if kind == "delete_line" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        return "\n".join(lines[:i] + lines[i + 1 :]).encode("utf-8", "surrogateescape")
    if kind == "insert":
        at = draw(st.integers(0, size))
        noise = draw(NOISE_TEXT).encode("utf-8")
        return raw[:at] + noise + raw[at:]
    if kind == "swap_value":
        spots = [i for i, line in enumerate(lines) if re.match(r"^\s*[\w\"'.-]+\s*=", line)]
        if spots:
            i = draw(st.sampled_from(spots))
            key = lines[i].split("=", 1)[0]
            pool = KEY_VALUES.get(key.strip(), ())
            own: bool = draw(st.booleans())
            values = pool if pool and own else OTHER_VALUES
            lines[i] = f"{key}= {draw(st.sampled_from(values))}"
            return "\n".join(lines).encode("utf-8", "surrogateescape")
    if kind == "add_key":
        # a top-level key the file did not have (before the first table)
        key = draw(st.sampled_from(["timezone", "years", "send_time", "grace"]))
        line = f"{key} = {draw(st.sampled_from(KEY_VALUES[key]))}"
        if draw(st.booleans()):
            line += f'\n[vars_by_year.{draw(st.sampled_from(HEADER_YEARS))}]\nx = "y"'
        return (line + "\n" + text).encode("utf-8", "surrogateescape")
    if kind == "duplicate_block":
        heads = [i for i, line in enumerate(lines) if line.strip().startswith("[")]
        if heads:
            i = draw(st.sampled_from(heads))
            following = [j for j in heads if j > i]
            block = lines[i : following[0] if following else len(lines)]
            at = draw(st.sampled_from([*heads, len(lines)]))
            return "\n".join(lines[:at] + block + lines[at:]).encode("utf-8", "surrogateescape")
    if kind == "impossible_date":
        pattern = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}|\b\d{2}-\d{2}\b")
        found = list(pattern.finditer(text))
        if found:
            match = draw(st.sampled_from(found))
            new = draw(st.sampled_from(IMPOSSIBLE_DATES))
            return (text[: match.start()] + new + text[match.end() :]).encode(
                "utf-8", "surrogateescape"
            )
    if kind in ("cut_string", "insert_in_string"):
        # an edit inside a quoted key or value: '"Asia/Ho_Chi_Minh"' -> '"Asia"', '"2025"' -> '"20²25"'
        quoted = [m for m in re.finditer(r'"([^"\n]+)"', text)]
        if quoted:
            match = draw(st.sampled_from(quoted))
            inner = match[1]
            at = match.start(1) + draw(st.integers(0, len(inner)))
            if kind == "cut_string":
                new = text[:at] + text[match.end(1) :]
            else:
                new = text[:at] + draw(NOISE_TEXT) + text[at:]
            return new.encode("utf-8", "surrogateescape")
    if kind == "replace_line" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] = draw(NOISE_TEXT)
        return "\n".join(lines).encode("utf-8", "surrogateescape")
    at = draw(st.integers(0, size))
    return raw[:at] + draw(INVALID_BYTES) + raw[at:]


@st.composite
def mutated_file(draw: st.DrawFn, most: int = 4) -> bytes:
    if draw(st.booleans()):
        raw = draw(st.sampled_from(SEED_FILES))
    else:
        raw = draw(campaign_text()).encode("utf-8")
    for _ in range(draw(st.integers(1, most))):
        raw = draw(mutation(raw))
    return raw


def _parse(raw: bytes) -> tuple[Campaign | None, list]:  # type: ignore[type-arg]
    with time_limit(10):
        return parse_document(raw, Path("x.toml"), PARSE_CATALOG, TZ_NAME, "x.toml")


EXAMPLE_FILE = (PACKAGE / "examples" / "vi-du.toml").read_bytes()


def check_problems_not_exceptions(raw: bytes) -> None:
    campaign, problems = _parse(raw)
    errors = [p for p in problems if p.severity == "error"]
    if campaign is None:
        assert errors, "a file was refused without a single error"
        assert all(p.message.strip() for p in errors)
    else:
        assert not errors, "a campaign was returned together with errors"
    for p in problems:  # a file that extends a library campaign may point into the library
        assert p.file == "x.toml" or in_library(Path(p.file)), str(p)


@_settings(800)
@given(raw=mutated_file())
def test_mutated_files_give_problems_not_exceptions(raw: bytes) -> None:
    check_problems_not_exceptions(raw)


# Minimal files on which parse_document raised. Found by the mutation property (the offset and
# template ones through the values it swaps in) or by reading the loader and then confirmed;
# the mutation strategy was then taught the same edits (KEY_VALUES, HEADER_YEARS, long runs).
CRASHING_FILES = {
    # "Asia" is a folder of the time zone database: ZoneInfo raises IsADirectoryError
    "timezone-is-a-folder": EXAMPLE_FILE.replace(
        b'years = "2025-"', b'timezone = "Asia"\nyears = "2025-"'
    ),
    # a long time zone name: ZoneInfo raises OSError (file name too long)
    "timezone-too-long": EXAMPLE_FILE.replace(
        b'years = "2025-"', b'timezone = "' + b"A" * 300 + b'"\nyears = "2025-"'
    ),
    # an offset too large for timedelta: OverflowError before the 366-day check
    "offset-overflows": EXAMPLE_FILE.replace(b'"ngay-hoi -7d 08:00"', b'"ngay-hoi -99999999999d"'),
    # "2²" is all digits to str.isdigit() but not to int(): ValueError
    "vars-by-year-superscript": EXAMPLE_FILE + '\n[vars_by_year."2²"]\nx = "y"\n'.encode(),
    # deeply nested arrays: tomllib raises RecursionError, not TOMLDecodeError
    "toml-nested-500": EXAMPLE_FILE + b"\nx = " + b"[" * 500 + b"]" * 500 + b"\n",
    # a deeply nested template expression: RecursionError from jinja's parser
    "template-nested-500": EXAMPLE_FILE.replace(
        "Mời toàn thể".encode(),
        b"{{ " + b"(" * 500 + b"1" + b")" * 500 + b" }}",
    ),
    # a template that asks for a huge string while it is checked: MemoryError (the width is
    # past Python's largest string, so nothing is allocated even where memory is overcommitted)
    "template-huge-string": EXAMPLE_FILE.replace(
        "Mời toàn thể".encode(), b"{{ date|center(9223372036854775000) }}"
    ),
}


@pytest.mark.parametrize("name", sorted(CRASHING_FILES))
def test_minimal_crashing_files_give_problems(name: str) -> None:
    """Regressions: minimal examples found by the mutation property."""
    check_problems_not_exceptions(CRASHING_FILES[name])


@_settings(300)
@given(raw=mutated_file(most=1), bounds=window())
def test_accepted_mutants_expand(
    raw: bytes, bounds: tuple[dt.datetime, dt.datetime, dt.datetime]
) -> None:
    """What the loader accepts, expansion can expand (the daemon must not crash on it)."""
    try:
        campaign, _ = _parse(raw)
    except Exception:  # reported by test_mutated_files_give_problems_not_exceptions
        return
    if campaign is None:
        return
    check_accepted_file_expands(
        campaign, bounds[0], min(bounds[2], bounds[0] + dt.timedelta(days=60))
    )


def check_accepted_file_expands(campaign: Campaign, a: dt.datetime, c: dt.datetime) -> None:
    with time_limit(10):
        e = expand(campaign, a, c, PARSE_CATALOG)
    assert all(a <= m.due < c for m in e.messages)


def _example_with_at(at: str) -> bytes:
    return f'id = "c"\ntitle = "T"\n\n[[message]]\nid = "m0"\nat = {at}\ntext = "x"\n'.encode()


# Files the loader accepts but expansion cannot expand (found by probing the rrule check).
UNEXPANDABLE_FILES = {
    # INTERVAL=0 passes the loader's rrulestr() check; dateutil then never advances: a hang
    "rrule-interval-0": _example_with_at('{ rrule = "FREQ=DAILY;INTERVAL=0", start = 2025-01-01 }'),
    # a negative interval: ValueError (day is out of range for month) inside dateutil
    "rrule-interval-negative": _example_with_at(
        '{ rrule = "FREQ=DAILY;INTERVAL=-1", start = 2025-01-01 }'
    ),
    # more than one line makes rrulestr() return an rruleset: AssertionError in expand
    "rrule-with-exdate": _example_with_at(
        '{ rrule = "RRULE:FREQ=DAILY\\nEXDATE:20250102T000000", start = 2025-01-01 }'
    ),
}


@pytest.mark.parametrize("name", sorted(UNEXPANDABLE_FILES))
def test_accepted_files_expand_regressions(name: str) -> None:
    campaign, problems = _parse(UNEXPANDABLE_FILES[name])
    if campaign is None:  # refusing the file, with a problem that says why, is fine too
        assert [p for p in problems if p.severity == "error" and p.message.strip()]
        return
    check_accepted_file_expands(
        campaign, dt.datetime(2025, 1, 1, tzinfo=TZ), dt.datetime(2025, 3, 1, tzinfo=TZ)
    )


# -- 4. the time-expression parser -----------------------------------------------------------

TOKENS = (
    "yearly", "hằng năm", "hàng năm", "mỗi năm", "lunar", "âm lịch", "leap", "nhuận",
    "a", "a0", "le-phat-dong", "x.start", "x.end", "x.middle", ".start", "-", "+", "/", ":",
    " ", "  ", "\t", "\n", "06-05", "05/06", "30/02", "29/02", "02-29", "31/12", "00/00",
    "13-01", "30/01", "31/01", "08:00", "23:59", "24:00", "7:5", "08:00:60", "-7d", "+1w",
    "+1w+2d", "-2h30m", "-2h-30m", "+366d", "-367d", "-99999999999d", "+1000000000w",
    "+" + "9" * 20 + "h", "0", "00", "2025", "2025-06-05", "2025-02-30", "2025-06-05T08:00",
    "2025-06-05T08:00:00+07:00", "2025-06-05T25:00", "2025-06-05 08:00", "T", "Z", "+07:00",
    "²", "٣", "①", "İ", "ß", "\x00", "\u200b", "\ufeff", "Ａ", "１２", "e", "d", "w", "h", "m",
)  # fmt: skip

expression_text = (
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=6).map("".join)
    | st.lists(st.sampled_from(TOKENS), min_size=1, max_size=5).map(" ".join)
    | st.text(max_size=30)
)

RRULE_PARTS = (
    "FREQ=DAILY", "FREQ=WEEKLY", "FREQ=MONTHLY", "FREQ=YEARLY", "FREQ=HOURLY", "FREQ=FOO",
    "INTERVAL=0", "INTERVAL=-1", "INTERVAL=99999999999999999999", "INTERVAL=²", "INTERVAL=٣", "COUNT=0", "COUNT=-1",
    "COUNT=x", "BYDAY=MO,TH", "BYDAY=XX", "BYDAY=+5MO", "BYMONTHDAY=31", "BYMONTHDAY=0",
    "BYMONTHDAY=99", "BYMONTH=13", "BYMONTH=2", "BYSETPOS=0", "BYWEEKNO=54", "BYYEARDAY=400",
    "BYHOUR=25", "BYMINUTE=61", "BYSECOND=61", "UNTIL=20251231", "UNTIL=20251231T000000Z",
    "UNTIL=garbage", "WKST=XX", "BYEASTER=1", "X-NAME=1", "RRULE:", "DTSTART:20250101",
    "EXDATE:20250101", "", "=", ";", "\n",
)  # fmt: skip
rrule_text = st.lists(st.sampled_from(RRULE_PARTS), min_size=1, max_size=4).map(";".join) | st.text(
    max_size=20
)

scalars = (
    expression_text
    | st.integers()
    | st.sampled_from([10**20, -(10**20), 2**63, 0, 1, 31, 32, -1])
    | st.floats()
    | st.booleans()
    | st.none()
    | st.dates()
    | st.datetimes()
    | st.datetimes(timezones=st.sampled_from([dt.UTC, TZ, dt.timezone(dt.timedelta(hours=14))]))
    | st.times()
)
TABLE_KEYS = st.sampled_from(
    ["every", "rrule", "time", "during", "on", "start", "until", "at", "EVERY", ""]
)


def _table_values(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(
        st.sampled_from(["day", "week", "month", "year", "a", "A", "a b", "mon", "t7", "cn"]),
        rrule_text,
        children,
    )


# Tables that get past the first checks, so the deeper ones (the rrule itself, "on") are reached.
_ALMOST_DATES = st.dates() | st.sampled_from(["2025-01-15", "2025-02-30", "yearly 01-01", "x"])
_RRULE_OPTIONAL = {
    "until": _ALMOST_DATES,
    "time": st.sampled_from(["08:00", "8:00", "24:00", "٠٨:٠٠"]) | st.times(),
    "during": st.sampled_from(["a", "a0", "A", ""]),
}
_RRULE_FREQS = st.sampled_from(["FREQ=DAILY", "FREQ=WEEKLY", "FREQ=MONTHLY", "FREQ=YEARLY"])
rrule_like = st.builds(
    lambda freq, rest: ";".join([freq, *rest]),
    _RRULE_FREQS,
    st.lists(st.sampled_from(RRULE_PARTS), max_size=3),
)
rrule_tables = st.fixed_dictionaries(
    {"rrule": rrule_like, "start": st.dates()}, optional=_RRULE_OPTIONAL
) | st.fixed_dictionaries(
    {"rrule": rrule_like | rrule_text}, optional={"start": _ALMOST_DATES, **_RRULE_OPTIONAL}
)
repeat_tables = st.fixed_dictionaries(
    {
        "every": st.sampled_from(["day", "week", "month", "year"]),
        "during": st.sampled_from(["a", "a0", "A"]),
    },
    optional={
        "on": st.integers(-1, 32)
        | st.booleans()
        | st.sampled_from(["mon", "t7", "thứ hai", "x", "²"])
        | st.lists(st.sampled_from(["mon", "sun", "cn", 1, "x"]), max_size=3),
        "time": st.sampled_from(["08:00", "23:59:59", "7", "²:00"]),
    },
)


def expression_values() -> st.SearchStrategy[object]:
    return st.recursive(
        scalars | rrule_tables | repeat_tables,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(TABLE_KEYS, _table_values(children), max_size=5)
            | st.dictionaries(st.text(max_size=5), children, max_size=3)
        ),
        max_leaves=12,
    )


def check_parse_value(value: object) -> None:
    try:
        result = parse_value(value)
    except ExpressionError as exc:
        assert exc.message
        return
    assert isinstance(result, When)
    assert result.specs


@_settings(3000)
@given(value=expression_values())
def test_time_expressions_parse_or_raise_expression_error(value: object) -> None:
    check_parse_value(value)


@pytest.mark.parametrize(
    "value",
    [
        # OverflowError from timedelta, before the 366-day check
        pytest.param("a -99999999999d", id="offset-days-overflow"),
        pytest.param("a +1000000000w", id="offset-weeks-overflow"),
        # ValueError from int(): more than 4300 digits
        pytest.param("a +" + "9" * 5000 + "d", id="offset-5000-digits"),
        # "²".isdigit() is true but int("²") raises ValueError (the INTERVAL check)
        pytest.param(
            {"rrule": "FREQ=DAILY;INTERVAL=²", "start": "2025-01-01"},
            id="rrule-interval-superscript",
        ),
    ],
)
def test_minimal_crashing_expressions(value: object) -> None:
    """Regressions: minimal examples found by the parser fuzz."""
    check_parse_value(value)


# -- 5. lunar dates ----------------------------------------------------------------------------


@_settings(3000)
@example(day=dt.date(1901, 1, 1))
@example(day=dt.date(2099, 12, 31))
@example(day=dt.date(2024, 2, 9))  # giao thừa on 30/12 (Quý Mão has a 30-day 12th month)
@example(day=dt.date(2025, 1, 28))  # giao thừa on 29/12 (Giáp Thìn's 12th month has 29 days)
@given(day=st.dates(dt.date(1901, 1, 1), dt.date(2099, 12, 31)))
def test_lunar_round_trip(day: dt.date) -> None:
    lunar = solar_to_lunar(day)
    assert to_solar(lunar.year, lunar.month, lunar.day, lunar.leap) == day


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027, 2033])
def test_lunar_day_30_is_the_last_day_of_the_month(year: int) -> None:
    """Day 30 of a 29-day month is that month's last day; of a 30-day month, the 30th."""
    for month in range(1, 13):
        day30 = to_solar(year, month, 30)
        assert day30 is not None
        next_first = to_solar(year + (month == 12), month % 12 + 1, 1)
        leap_first = to_solar(year, month, 1, leap=True)
        following = min(d for d in (next_first, leap_first) if d is not None and d > day30)
        assert following - day30 == dt.timedelta(days=1)
