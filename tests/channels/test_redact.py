"""The redactor masks every secret it knows, however a platform echoes it back."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from channels.redact import MASK, MIN_LENGTH, Redactor

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"


def test_every_letter_case_and_the_url_it_came_in() -> None:
    redact = Redactor([TOKEN])
    # python-telegram-bot capitalizes "Bad Request: ..." and so lowercases the echoed URL
    lowered = f"Chat not found (post http://127.0.0.1/bot{TOKEN.lower()}/sendmessage)"
    assert redact(lowered) == "Chat not found (post http://127.0.0.1/bot***/sendmessage)"
    assert redact(f"The token `{TOKEN}` was rejected") == "The token `***` was rejected"
    assert redact(TOKEN.upper()) == MASK
    assert redact(f"a {TOKEN.swapcase()} b") == f"a {MASK} b"


def test_percent_encoded_in_either_hex_case() -> None:
    redact = Redactor([TOKEN])
    encoded = quote(TOKEN, safe="")
    assert "%3A" in encoded
    assert redact(f"GET /x?t={encoded}") == f"GET /x?t={MASK}"
    assert redact(f"GET /x?t={encoded.lower()}") == f"GET /x?t={MASK}"
    every_char = "".join(f"%{b:02X}" for b in TOKEN.encode())
    assert redact(every_char) == MASK


def test_the_secret_half_of_a_bot_token_alone() -> None:
    redact = Redactor([TOKEN])
    half = TOKEN.split(":")[1]
    assert redact(f"token ...{half}") == f"token ...{MASK}"
    assert redact("bot 123456 answered") == "bot 123456 answered"  # the bot id is public


def test_overlapping_and_nested_secrets_leave_no_piece() -> None:
    redact = Redactor(["abcdefgh1234", "gh1234wxyz99", "cdefgh12"])
    assert redact("__abcdefgh1234wxyz99__") == f"__{MASK}__"
    assert redact("abcdefgh1234 and gh1234wxyz99") == f"{MASK} and {MASK}"
    assert redact("xxcdefgh12yy") == f"xx{MASK}yy"


def test_short_values_are_not_masked_so_text_stays_readable() -> None:
    short = "a" * (MIN_LENGTH - 1)
    redact = Redactor([short, "", "2026", "loa"])
    text = f"Ngày 05/06/2026 loa gửi {short}"
    assert redact(text) == text
    redact.add("x" * MIN_LENGTH)
    assert redact("x" * MIN_LENGTH) == MASK


def test_learns_secrets_while_running() -> None:
    redact = Redactor()
    assert redact("nothing known yet: tok-0123456789") == "nothing known yet: tok-0123456789"
    redact.add("tok-0123456789")
    assert redact("now known: TOK-0123456789") == f"now known: {MASK}"


@given(  # tokens and keys are ASCII (a few letters, like "ﬀ", change length with their case)
    secret=st.text(
        st.characters(codec="ascii", categories=["L", "N", "P", "S"]), min_size=MIN_LENGTH
    ),
    before=st.text(),
    after=st.text(),
)
def test_no_form_of_the_secret_survives(secret: str, before: str, after: str) -> None:
    redact = Redactor([secret])
    secret = secret.strip()
    if len(secret) < MIN_LENGTH:
        return
    mixed = "".join(quote(c, safe="") if i % 2 else c.swapcase() for i, c in enumerate(secret))
    for shown in (secret, secret.lower(), secret.upper(), quote(secret, safe=""), mixed):
        masked = redact(before + shown + after)
        assert shown not in masked and shown.lower() not in masked.lower()
