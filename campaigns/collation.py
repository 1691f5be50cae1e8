"""Vietnamese alphabetical order, for every list of names loa shows (units, campaigns, tags).

Code-point order puts "Ủy ban" after "Văn phòng" (Ủ is U+1EE6) and "Đoàn" after "Z". The
Vietnamese alphabet is a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y: ă, â, đ, ê,
ô, ơ and ư are letters of their own, while the five tone marks (huyền, sắc, hỏi, ngã, nặng)
only decide between words that are otherwise the same, in that order after the unmarked one.
``sort_key`` says exactly that, in a few lines, without ICU: letters first, then tones, then
case; anything else (digits, Latin letters Vietnamese does not use) keeps its usual order.
"""

from __future__ import annotations

import unicodedata

# tone marks, in the order dictionaries sort them: ngang (none), huyền, sắc, hỏi, ngã, nặng
TONES = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}
# marks that make a letter of its own: breve (ă), circumflex (â ê ô), horn (ơ ư)
LETTER_MARKS = {"\u0306": 1, "\u0302": 2, "\u031b": 3}


def _letters(text: str) -> list[tuple[str, int, int, bool]]:
    """Each base character with its letter mark, its tone and whether it was upper case."""
    out: list[tuple[str, int, int, bool]] = []
    for char in unicodedata.normalize("NFD", text):
        if char in TONES and out:
            base, mark, _, upper = out[-1]
            out[-1] = (base, mark, TONES[char], upper)
        elif char in LETTER_MARKS and out:
            base, _, tone, upper = out[-1]
            out[-1] = (base, LETTER_MARKS[char], tone, upper)
        elif unicodedata.combining(char) and out:
            continue  # a mark Vietnamese does not use: sorted as its letter
        else:
            lower = char.lower()
            out.append(("d" if lower == "đ" else lower, 4 if lower == "đ" else 0, 0, char != lower))
    return out


def sort_key(text: str) -> tuple[tuple[tuple[str, int], ...], tuple[int, ...], tuple[bool, ...]]:
    """The key that puts names in Vietnamese dictionary order: ``sorted(names, key=sort_key)``.

    Spaces and punctuation count as they are (a shorter word comes first: "Sở" before
    "Sở Y tế"); upper case decides last, before lower case."""
    letters = _letters(text.strip())
    primary = tuple((base, mark) for base, mark, _, _ in letters)
    tones = tuple(tone for _, _, tone, _ in letters)
    case = tuple(not upper for _, _, _, upper in letters)
    return primary, tones, case
