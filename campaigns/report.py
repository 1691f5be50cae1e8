"""Turning pydantic's structural errors into problems a person can act on.

Shared by campaign files and config.toml, so both speak the same way: an unknown key gets a
did-you-mean, a wrong type says what was expected, a missing key says so.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import typing
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from campaigns.errors import Problem
from campaigns.i18n import language, t
from campaigns.locate import LineIndex

_TYPE_WORDS = {
    "string_type": ("văn bản trong dấu ngoặc kép", "text in quotes"),
    "list_type": ("danh sách [ ... ]", "a list [ ... ]"),
    "int_type": ("số nguyên", "a whole number"),
    "dict_type": ("bảng { ... }", "a table { ... }"),
    "model_type": ("bảng { ... }", "a table { ... }"),
    "bool_type": ("true hoặc false", "true or false"),
}


def dotted(path: Sequence[str | int]) -> str:
    """``("message", 2, "at")`` as a reader sees it: ``message[3].at``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + part
    return out


def clean_loc(loc: Sequence[str | int], data: Any) -> tuple[str | int, ...]:
    """Pydantic adds union branch names to locations; keep only the part that is in the file."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) or (isinstance(node, list) and isinstance(part, int)):
            out.append(part)
            try:
                node = node[part]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                break
        else:
            break
    return tuple(out)


def _model_at(model: type[BaseModel], path: Sequence[str | int]) -> type[BaseModel] | None:
    """The model that holds the last key of ``path`` (for listing its allowed keys)."""
    current: Any = model
    for part in path:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        else:
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[-1] if args else None
        args = [a for a in typing.get_args(current) if a is not type(None)]
        if typing.get_origin(current) is typing.Union or type(current).__name__ == "UnionType":
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            current = models[0] if models else current
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def pydantic_problems(
    exc: ValidationError,
    model: type[BaseModel],
    data: Any,
    prefix: tuple[str | int, ...],
    file: str,
    index: LineIndex,
    locate: Callable[[Sequence[str | int]], tuple[str, int]] | None = None,
) -> list[Problem]:
    """Pydantic's errors as problems; ``locate`` gives file and line where a document was
    merged from several files (an office file adapting a library campaign)."""
    problems: list[Problem] = []
    errors = [(clean_loc(error["loc"], data), error) for error in exc.errors()]
    suggestions = {
        loc: _close_key(model, loc) for loc, error in errors if error["type"] == "extra_forbidden"
    }
    # "titel" is one mistake: its did-you-mean names "title", so "title" missing is not another
    seen = {(*loc[:-1], close) for loc, close in suggestions.items() if close}
    for loc, error in errors:
        if loc in seen:
            continue
        seen.add(loc)
        path = (*prefix, *loc)
        kind = error["type"]
        hint = ""
        if kind == "missing":
            message = t("missing_key")
            hint = _where_to_add(path)
        elif kind == "extra_forbidden":
            holder = _model_at(model, loc[:-1])
            allowed = list(holder.model_fields) if holder else []
            message = t("unknown_key")
            if suggestions[loc]:
                hint = t("did_you_mean", suggestion=suggestions[loc])
            elif allowed:
                hint = t("allowed_keys", keys=", ".join(allowed))
        elif kind == "literal_error":
            expected = str(error.get("ctx", {}).get("expected", ""))
            message = t("wrong_type", expected=expected)
        else:
            vi, en = _TYPE_WORDS.get(kind, ("giá trị khác", "another kind of value"))
            message = t("wrong_type", expected=en if language() == "en" else vi)
        where, line = locate(path) if locate else (file, index.line_of(path))
        problems.append(Problem(where, line, dotted(path), message, hint))
    return problems


def _close_key(model: type[BaseModel], loc: tuple[str | int, ...]) -> str | None:
    """The allowed key an unknown one is a misspelling of, if one is close."""
    holder = _model_at(model, loc[:-1])
    allowed = list(holder.model_fields) if holder else []
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def _where_to_add(path: Sequence[str | int]) -> str:
    """Where a missing key goes: the table it is missing from (whose line the problem shows)."""
    key, parent = path[-1], path[:-1]
    if not parent:
        return t("missing_key_top", key=key)
    if isinstance(parent[-1], int):
        table = "[[" + ".".join(str(p) for p in parent[:-1] if not isinstance(p, int)) + "]]"
    else:
        table = "[" + ".".join(str(p) for p in parent if not isinstance(p, int)) + "]"
    return t("missing_key_in", key=key, table=table)


_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)")

# tomllib's messages -> (catalogue code of the reason, of the hint); the first match wins
_TOML_REASONS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern), reason, hint)
    for pattern, reason, hint in (
        (r"^Illegal character '\\n'", "toml_unclosed_quote", "toml_unclosed_quote_hint"),
        (r"key name", "toml_bad_key", "toml_key_hint"),
        (
            r"^(?:Illegal|Found invalid) character (?P<char>'.*')$",
            "toml_bad_character",
            "toml_bad_character_hint",
        ),
        (r"^Expected '=' after a key", "toml_expected_equals", "toml_key_hint"),
        (r"^Invalid initial character for a key part", "toml_bad_key", "toml_key_hint"),
        (r"^Unclosed array", "toml_unclosed_array", "toml_unclosed_array_hint"),
        (r"^Unclosed inline table", "toml_unclosed_table", "toml_unclosed_table_hint"),
        (r"^Invalid date or datetime", "toml_invalid_date", "toml_invalid_date_hint"),
        (r"^Invalid value", "toml_invalid_value", "toml_invalid_value_hint"),
        (r"^Cannot overwrite a value", "toml_overwrite", "toml_overwrite_hint"),
        (r"^Cannot declare (?P<key>.+) twice", "toml_declared_twice", "toml_declared_twice_hint"),
        (r"^Unterminated string", "toml_unterminated", "toml_unterminated_hint"),
        (r"^Expected newline or end of document", "toml_trailing", "toml_trailing_hint"),
        (r"^Invalid statement", "toml_invalid_statement", "toml_syntax_hint"),
        (
            r"^Expected '(?P<bracket>\]\]?)' at the end of",
            "toml_unclosed_header",
            "toml_syntax_hint",
        ),
        (r"^Unescaped '\\' in a string", "toml_backslash", "toml_backslash_hint"),
    )
)


def toml_problem(file: str, exc: tomllib.TOMLDecodeError, source: str) -> Problem:
    """A TOML syntax error with its line and column, in the user's language.

    tomllib words its errors in English; the common ones are translated with a hint of their
    own, and one the catalogue does not know keeps the parser's words."""
    text = str(exc)
    position = _TOML_POSITION.search(text)
    said = _TOML_POSITION.sub("", text).strip()
    reason, hint = said, t("toml_syntax_hint")
    for pattern, reason_code, hint_code in _TOML_REASONS:
        if found := pattern.search(said):
            reason, hint = t(reason_code, **found.groupdict()), t(hint_code)
            break
    if position and position[1]:
        line = int(position[1])
        message = t("toml_syntax", column=position[2], reason=reason)
    else:
        line = max(1, len(source.splitlines()))
        message = t("toml_syntax_end", reason=reason)
    return Problem(file, line, "", message, hint)
