"""Vietnamese alphabetical order, for every list of names loa shows (units, campaigns, tags).

Code-point order puts "Ủy ban" after "Văn phòng" (Ủ is U+1EE6) and "Đoàn" after "Z". The
Vietnamese alphabet is a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y: ă, â, đ, ê,
ô, ơ and ư are letters of their own, while the five tone marks (huyền, sắc, hỏi, ngã, nặng)
only decide between words that are otherwise the same, in that order after the unmarked one.
``sort_key`` says exactly that, in a few lines, without ICU: letters first, then tones, then
case; anything else (digits, Latin letters Vietnamese does not use) keeps its usual order.
"""

from __future__ import annotations

import functools
import unicodedata

# tone marks, in the order dictionaries sort them: ngang (none), huyền, sắc, hỏi, ngã, nặng
TONES = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}
# marks that make a letter of its own: breve (ă), circumflex (â ê ô), horn (ơ ư)
LETTER_MARKS = {"\u0306": 1, "\u0302": 2, "\u031b": 3}


Key = tuple[tuple[tuple[str, int], ...], tuple[int, ...], tuple[bool, ...]]


@functools.lru_cache(maxsize=8192)
def sort_key(text: str) -> Key:
    """The key that puts names in Vietnamese dictionary order: ``sorted(names, key=sort_key)``.

    Letters first (ă after a, đ after d, …), then tones, then case (upper first); spaces and
    punctuation count as they are, so a shorter name comes first ("Sở" before "Sở Y tế").
    Cached: pages sort the same few hundred names again and again."""
    letters: list[tuple[str, int]] = []
    tones: list[int] = []
    lower_case: list[bool] = []
    for char in unicodedata.normalize("NFD", text.strip()):
        if letters and char in TONES:
            tones[-1] = TONES[char]
        elif letters and char in LETTER_MARKS:
            letters[-1] = (letters[-1][0], LETTER_MARKS[char])
        elif letters and unicodedata.combining(char):
            continue  # a mark Vietnamese does not use: sorted as its letter
        else:
            lower = char.lower()
            letters.append(("d", 4) if lower == "đ" else (lower, 0))
            tones.append(0)
            lower_case.append(char == lower)
    return tuple(letters), tuple(tones), tuple(lower_case)
