"""Long answers as numbered pages within a platform's limit, cut between lines."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.split import utf16_length
from scheduler.bot.paging import LABEL_ROOM, paginate
from tests.bot.conftest import TELEGRAM, ZALO, labels, unlabel, within


def lines_of(pages: list[str]) -> list[str]:
    return [line for page in pages for line in unlabel(page).split("\n")]


def test_a_short_answer_is_one_page_without_a_number() -> None:
    assert paginate(["Các việc sắp tới:", "• một", "• hai"], TELEGRAM) == [
        "Các việc sắp tới:\n• một\n• hai"
    ]


def test_a_page_exactly_at_the_limit_is_not_split() -> None:
    lines = ["x" * 99, "y" * 100]  # 99 + newline + 100 = 200
    assert paginate(lines, 200) == ["x" * 99 + "\n" + "y" * 100]
    assert len(paginate(lines, 199)) == 2


def test_a_long_answer_is_cut_between_lines_and_numbered() -> None:
    lines = [f"• Việc số {i:03d}: trồng cây xanh" for i in range(300)]
    pages = paginate(lines, ZALO)
    assert len(pages) > 1
    assert labels(pages) == [(i, len(pages)) for i in range(1, len(pages) + 1)]
    assert within(pages, ZALO)
    assert lines_of(pages) == lines


def test_emoji_count_as_two_units() -> None:
    line = "🌱" * 30  # 30 characters, 60 UTF-16 units
    pages = paginate([line] * 10, 200)
    assert within(pages, 200)
    assert all(len(page) <= 100 for page in pages)  # by characters they would seem half full
    assert lines_of(pages) == [line] * 10
    assert len(paginate([line] * 10, 200, measure=len)) < len(pages)


def test_a_line_longer_than_a_page_is_cut_between_words() -> None:
    words = [f"từ{i}" for i in range(400)]
    pages = paginate(["Tiêu đề", " ".join(words), "cuối"], 300)
    assert within(pages, 300) and len(pages) > 4
    assert " ".join(unlabel(p) for p in pages).split() == ["Tiêu", "đề", *words, "cuối"]


def test_a_word_longer_than_a_page_is_cut_inside() -> None:
    word = "a" * 1000
    pages = paginate([word], 300)
    assert within(pages, 300)
    assert "".join(unlabel(p) for p in pages) == word


def test_blank_lines_make_no_empty_page() -> None:
    lines = ["x" * 90, "", "", "y" * 90, "", "z" * 90]
    pages = paginate(lines, 120)
    assert all(unlabel(page).strip() for page in pages)
    assert [line for line in lines_of(pages) if line] == ["x" * 90, "y" * 90, "z" * 90]


@pytest.mark.parametrize("limit", [0, 10, LABEL_ROOM * 2])
def test_a_limit_too_small_for_a_page_is_refused(limit: int) -> None:
    with pytest.raises(ValueError, match="cannot hold a page"):
        paginate(["x"], limit)


# -- properties ------------------------------------------------------------------------------

LINE = st.text(
    st.characters(exclude_categories=("Cs", "Zl", "Zp", "Cc")), min_size=1, max_size=300
).map(str.strip)
LIMITS = st.sampled_from([ZALO, TELEGRAM]) | st.integers(LABEL_ROOM * 2 + 1, 700)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, max_size=120), LIMITS)
def test_pages_fit_and_keep_every_line_once_in_order(lines: list[str], limit: int) -> None:
    lines = [line for line in lines if line]
    pages = paginate(lines, limit)
    assert within(pages, limit)
    room = limit - LABEL_ROOM
    if all(utf16_length(line) <= room for line in lines):  # no line needs cutting
        assert [x for x in lines_of(pages) if x] == lines
        if len(pages) > 1:
            assert labels(pages) == [(i, len(pages)) for i in range(1, len(pages) + 1)]
    # whatever was cut, no character is lost or added (only the whitespace at the cuts)
    assert "".join("".join(unlabel(p).split()) for p in pages) == "".join(
        "".join(line.split()) for line in lines
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(LINE, min_size=1, max_size=60), LIMITS)
def test_a_page_is_as_full_as_the_next_line_allows(lines: list[str], limit: int) -> None:
    """No page ends early: the first line of the next page would not have fitted."""
    lines = [line for line in lines if line]
    room = limit - LABEL_ROOM
    pages = paginate(lines, limit)
    if len(pages) < 2 or any(utf16_length(line) > room for line in lines):
        return
    for page, following in itertools.pairwise(pages):
        body, first = unlabel(page), unlabel(following).split("\n")[0]
        assert utf16_length(body) + 1 + utf16_length(first) > room
