"""The editor's TOML layer: a file opened and saved without change is the same bytes, and an
edit changes the lines it should and no other, over every campaign file loa ships and every
TOML example of the docs."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.editing import APPEND, REMOVE, Edit, apply, plain, unified_diff
from campaigns.locate import LineIndex

ROOT = Path(__file__).resolve().parents[2]


def _doc_blocks() -> list[tuple[str, str]]:
    from tests.test_docs import toml_blocks

    out = []
    for page in sorted([*(ROOT / "docs").glob("*.md"), *(ROOT / "docs" / "en").glob("*.md")]):
        for i, block in enumerate(toml_blocks(page.read_text("utf-8"))):
            out.append((f"{page.relative_to(ROOT)}#{i + 1}", block))
    return out


FILES = [
    (str(p.relative_to(ROOT)), p.read_text("utf-8"))
    for p in sorted([*(ROOT / "campaigns" / "library").glob("*.toml"),
                     *(ROOT / "campaigns" / "examples").glob("*.toml")])
] + _doc_blocks()  # fmt: skip
CAMPAIGNS = [(name, text) for name, text in FILES if "id" in plain(text)]


def test_there_is_something_to_round_trip() -> None:
    assert len([n for n, _ in FILES if n.startswith("campaigns/library")]) >= 5
    assert len([n for n, _ in FILES if n.startswith("docs")]) >= 20


@pytest.mark.parametrize(("name", "text"), FILES, ids=[n for n, _ in FILES])
def test_a_file_saved_without_change_is_byte_identical(name: str, text: str) -> None:
    assert apply(text, []) == text


@pytest.mark.parametrize(("name", "text"), FILES, ids=[n for n, _ in FILES])
def test_setting_every_value_to_itself_changes_nothing(name: str, text: str) -> None:
    data = plain(text)
    edits = [Edit((key,), value) for key, value in data.items() if not isinstance(value, list)]
    for kind in ("activity", "message", "deadline"):
        for i, item in enumerate(data.get(kind, []) if isinstance(data.get(kind), list) else []):
            edits += [Edit((kind, i, key), value) for key, value in item.items()]
    assert apply(text, edits) == text


def _single_line_strings(text: str) -> list[tuple[str | int, ...]]:
    """Paths of the one-line string values written as ``key = "…"`` on a line of their own."""
    data = plain(text)
    lines = text.splitlines()
    index = LineIndex(text)
    found: list[tuple[str | int, ...]] = []
    for kind in ("activity", "message", "deadline"):
        items = data.get(kind, [])
        for i, item in enumerate(items if isinstance(items, list) else []):
            for key, value in item.items():
                line = index.line_of((kind, i, key))
                if isinstance(value, str) and "\n" not in value and line:
                    written = lines[line - 1].lstrip()
                    if written.startswith(f"{key} =") and written.rstrip().endswith(('"', "'")):
                        found.append((kind, i, key))
    return found


EDITABLE = [(n, t, p) for n, t in CAMPAIGNS for p in _single_line_strings(t)]
LINE_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=0, max_size=60
)


def _set_in(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(EDITABLE), LINE_TEXT)
def test_an_edit_changes_only_its_own_line(
    case: tuple[str, str, tuple[str | int, ...]], value: str
) -> None:
    _, text, path = case
    edited = apply(text, [Edit(path, value)])
    expected = plain(text)
    _set_in(expected, path, value)
    assert plain(edited) == expected
    before, after = text.splitlines(keepends=True), edited.splitlines(keepends=True)
    assert len(before) == len(after)
    changed = [i + 1 for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    original = plain(text)
    node: Any = original
    for part in path:
        node = node[part]
    assert changed == ([] if node == value else [LineIndex(text).line_of(path)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CAMPAIGNS), st.data())
def test_removing_an_item_takes_out_its_lines_only(case: tuple[str, str], data: Any) -> None:
    _, text = case
    kinds = [k for k in ("activity", "message", "deadline") if plain(text).get(k)]
    if not kinds:
        return
    kind = data.draw(st.sampled_from(kinds))
    i = data.draw(st.integers(0, len(plain(text)[kind]) - 1))
    edited = apply(text, [Edit((kind, i), REMOVE)])
    expected = plain(text)
    del expected[kind][i]
    if not expected[kind]:
        del expected[kind]
    assert plain(edited) == expected
    ops = difflib.SequenceMatcher(None, text.splitlines(), edited.splitlines()).get_opcodes()
    assert all(tag in ("equal", "delete") for tag, *_ in ops)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CAMPAIGNS), LINE_TEXT, st.sampled_from(["message", "activity"]))
def test_adding_an_item_only_adds_lines(case: tuple[str, str], title: str, kind: str) -> None:
    _, text = case
    values = {"id": "moi-them", "title" if kind == "activity" else "text": title, "at": "x"}
    edited = apply(text, [Edit((kind, APPEND), values)])
    assert plain(edited)[kind][-1] == values
    ops = difflib.SequenceMatcher(None, text.splitlines(), edited.splitlines()).get_opcodes()
    assert all(tag in ("equal", "insert") for tag, *_ in ops)


def test_a_multiline_text_stays_multiline_and_comments_stay() -> None:
    text = '# ghi chú\nid = "a"\ntitle = "A"\n\n[[message]]\nid = "m"  # tin\nat = "x"\ntext = """\nDòng 1\n"""\n'
    edited = apply(text, [Edit(("message", 0, "text"), "Dòng 1\nDòng 2\n")])
    assert edited.startswith('# ghi chú\nid = "a"\n') and 'id = "m"  # tin' in edited
    assert plain(edited)["message"][0]["text"] == "Dòng 1\nDòng 2\n"
    assert '"""' in edited


def test_the_diff_names_the_file_and_shows_the_change() -> None:
    diff = unified_diff('title = "A"\n', 'title = "B"\n', "campaigns/a.toml")
    assert diff.splitlines() == [
        "--- a/campaigns/a.toml", "+++ b/campaigns/a.toml", "@@ -1 +1 @@",
        '-title = "A"', '+title = "B"',
    ]  # fmt: skip
