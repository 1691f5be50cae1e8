"""Names sort the Vietnamese way: letters, then tones, then case."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from campaigns.collation import sort_key

ALPHABET = list("aăâbcdđeêghiklmnoôơpqrstuưvxy")


def test_uy_ban_sorts_among_the_u_not_after_v() -> None:
    names = ["Văn phòng UBND tỉnh", "Ủy ban MTTQ tỉnh", "Tỉnh đoàn", "Sở Y tế", "Uỷ ban nhân dân"]
    assert sorted(names, key=sort_key) == [
        "Sở Y tế",
        "Tỉnh đoàn",
        "Ủy ban MTTQ tỉnh",
        "Uỷ ban nhân dân",
        "Văn phòng UBND tỉnh",
    ]


def test_the_alphabet_is_in_its_own_order() -> None:
    shuffled = list(reversed(ALPHABET))
    assert sorted(shuffled, key=sort_key) == ALPHABET
    assert sorted([w.upper() for w in shuffled], key=sort_key) == [w.upper() for w in ALPHABET]


def test_d_bar_is_a_letter_after_d_not_after_z() -> None:
    assert sorted(["Đoàn", "Zalo", "Dân", "Em"], key=sort_key) == ["Dân", "Đoàn", "Em", "Zalo"]


def test_tones_decide_between_words_otherwise_the_same_in_dictionary_order() -> None:
    words = ["ma", "mà", "má", "mả", "mã", "mạ"]
    assert sorted(reversed(words), key=sort_key) == words


def test_letters_weigh_more_than_tones() -> None:
    # "mạ" has a tone, "mă" a different letter: the letter decides
    assert sorted(["mă", "mặc", "mac", "mạc"], key=sort_key) == ["mac", "mạc", "mă", "mặc"]


def test_a_shorter_name_comes_before_a_longer_one_that_begins_with_it() -> None:
    assert sorted(["Sở Y tế", "Sở"], key=sort_key) == ["Sở", "Sở Y tế"]


@given(st.text())
def test_composed_and_decomposed_writing_sort_the_same(text: str) -> None:
    assert sort_key(unicodedata.normalize("NFC", text)) == sort_key(
        unicodedata.normalize("NFD", text)
    )


BASES = st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=5).map("".join)
TONE_LISTS = st.lists(st.sampled_from(["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]))


@given(BASES, BASES, TONE_LISTS, TONE_LISTS)
def test_tones_never_change_the_order_of_different_letters(
    x: str, y: str, x_tones: list[str], y_tones: list[str]
) -> None:
    def toned(word: str, tones: list[str]) -> str:
        marks = iter(tones)
        return unicodedata.normalize("NFC", "".join(c + next(marks, "") for c in word))

    if sort_key(x)[0] != sort_key(y)[0]:
        plain = sort_key(x) < sort_key(y)
        assert (sort_key(toned(x, x_tones)) < sort_key(toned(y, y_tones))) == plain
