"""Each year's own dates (issue 14, item 3): the 2024 plan ran the action month 05/6–30/6,
the 2025 one from late May; a date that differs by year keeps the occurrence's key."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.expand import expand
from tests.helpers import HEAD, campaign, errors, window

ACTION_MONTH = (
    '[[activity]]\nid = "thang-hanh-dong"\ntitle = "Tháng hành động vì môi trường"\n'
    'start = "hằng năm 25/05"\nend = "hằng năm 30/06"\n'
    'by_year."2024" = { start = "05/06" }\n'
    'by_year."2025" = { start = "20/05" }\n'
)


def test_the_action_month_differs_by_year_and_keeps_its_keys() -> None:
    found = expand(campaign(HEAD + ACTION_MONTH), *window("2024-01-01", "2026-12-31"))
    assert [(a.key, a.start, a.end) for a in found.activities] == [
        ("c:thang-hanh-dong:2024", dt.date(2024, 6, 5), dt.date(2024, 6, 30)),
        ("c:thang-hanh-dong:2025", dt.date(2025, 5, 20), dt.date(2025, 6, 30)),
        ("c:thang-hanh-dong:2026", dt.date(2026, 5, 25), dt.date(2026, 6, 30)),
    ]


def test_a_range_of_years_for_a_deadline_and_one_year_for_a_message() -> None:
    text = (
        HEAD
        + '[[deadline]]\nid = "pgi"\ntitle = "PGI"\ndue = "trước ngày 10/12 hằng năm"\n'
        + 'by_year."2027-2028" = { due = "trước 15/12" }\n'
        + '[[message]]\nid = "m"\nat = "hằng năm 05/06 07:00"\ntext = "x"\n'
        + 'by_year."2026" = { at = "06/06/2026 08:00" }\n'
    )
    found = expand(campaign(text), *window("2026-01-01", "2028-12-31"))
    assert [(d.key, d.due, d.before) for d in found.deadlines] == [
        ("c:pgi:2026", dt.date(2026, 12, 9), dt.date(2026, 12, 10)),
        ("c:pgi:2027", dt.date(2027, 12, 14), dt.date(2027, 12, 15)),
        ("c:pgi:2028", dt.date(2028, 12, 14), dt.date(2028, 12, 15)),
    ]
    assert [(m.key, m.due.date(), m.due.hour) for m in found.messages] == [
        ("c:m:2026", dt.date(2026, 6, 6), 8),
        ("c:m:2027", dt.date(2027, 6, 5), 7),
        ("c:m:2028", dt.date(2028, 6, 5), 7),
    ]


def test_what_by_year_cannot_say() -> None:
    text = (
        HEAD
        + '[[activity]]\nid = "a"\ntitle = "A"\nstart = "25/05/2026"\n'
        + 'by_year."2024" = { start = "05/06", due = "10/12" }\n'
        + '[[activity]]\nid = "b"\ntitle = "B"\nstart = "hằng năm 25/05"\n'
        + 'by_year."20x" = { start = "a +1d" }\n'
    )
    assert errors(text) == [
        "c.toml:7: activity[1].by_year.2024.start: by_year chỉ thay được thời điểm hằng năm "
        "(hằng năm, âm lịch, thứ mấy của tháng) (ghi 'start' dạng hằng năm, ví dụ \"hằng năm "
        '25/05", rồi ghi ngày riêng của từng năm trong by_year)',
        "c.toml:7: activity[1].by_year.2024.due: trong by_year chỉ ghi start, end",
        "c.toml:12: activity[2].by_year.20x: năm hoạt động '20x' không hợp lệ (viết "
        '"2024-2035", "2025-" hoặc [2024, 2025] (từ 1900 đến 2100))',
        'c.toml:12: activity[2].by_year.20x.start: trong by_year chỉ ghi ngày ("05/06", '
        '"05/06/2024", "âm lịch 10/03"), không ghi thời điểm tương đối hay lặp lại',
    ]


@given(
    st.dictionaries(
        st.integers(2026, 2035), st.tuples(st.integers(1, 12), st.integers(1, 28)), max_size=4
    )
)
def test_only_the_years_named_change_and_keys_stay(own: dict[int, tuple[int, int]]) -> None:
    lines = [
        HEAD,
        '[[message]]\nid = "m"\nat = "hằng năm 05/06 07:00"\ntext = "x"\n',
        *(f'by_year."{y}" = {{ at = "{d:02d}/{m:02d} 09:00" }}\n' for y, (m, d) in own.items()),
    ]
    found = expand(campaign("".join(lines)), *window("2025-07-01", "2036-06-30"))
    got = {int(m.occurrence): m.due.replace(tzinfo=None) for m in found.messages}
    expected = {
        y: dt.datetime(y, *own[y], 9) if y in own else dt.datetime(y, 6, 5, 7)
        for y in range(2026, 2036)
    }
    assert {y: got[y] for y in expected} == expected
    assert {m.key for m in found.messages} >= {f"c:m:{y}" for y in expected}


DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("page", [DOCS / "campaign-files.md", DOCS / "en" / "campaign-files.md"])
def test_the_documented_example(page: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", page.read_text("utf-8"), re.S)
    (block,) = [b for b in blocks if "\nby_year." in b]
    found = expand(campaign(HEAD + block), *window("2024-01-01", "2027-12-31"))
    assert [a.start for a in found.activities] == [
        dt.date(2024, 6, 5), dt.date(2025, 5, 20), dt.date(2026, 5, 20), dt.date(2027, 5, 25),
    ]  # fmt: skip
    assert [d.due for d in found.deadlines][-1] == dt.date(2027, 12, 14)
