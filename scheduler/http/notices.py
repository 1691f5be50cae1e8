"""What an action said, carried to the page the browser is sent to after it (post/redirect/get).

The sentence travels in the page's address, so a link could carry any text into loa's own page
(a "notice" saying to call a number, to sign in elsewhere). It is therefore sealed: an HMAC, over
the sentence and the time it was said, with a key only loa knows (the session's stored hash of
its cookie, which no browser ever sees). A page shows a notice
only when its seal is this session's and it is at most ``FRESH`` old; anything else, a crafted
``?done=``, another person's link, an old bookmark, shows nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping

FRESH = dt.timedelta(minutes=10)  # a reload shortly after still shows it; a bookmark does not
TEXT, AT, SEAL = "done", "at", "seal"
PARAMS = (TEXT, AT, SEAL)
MAX_TEXT = 2000


def _seal(key: str, text: str, at: str) -> str:
    message = f"loa-notice\n{at}\n{text}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def sealed(key: str, text: str, now: dt.datetime) -> dict[str, str]:
    """The query parameters that carry ``text`` to the next page of the session of ``key``."""
    at = str(int(now.timestamp()))
    text = text[:MAX_TEXT]
    return {TEXT: text, AT: at, SEAL: _seal(key, text, at)}


def opened(key: str | None, query: Mapping[str, str], now: dt.datetime) -> str:
    """The notice this session's action left for this page, or "" for any other."""
    text, at, seal = query.get(TEXT, ""), query.get(AT, ""), query.get(SEAL, "")
    if not (key and text and at.isdigit() and len(at) <= 12 and seal):
        return ""
    if not hmac.compare_digest(seal.encode(), _seal(key, text, at).encode()):
        return ""
    said = dt.datetime.fromtimestamp(int(at), dt.UTC)
    return text if -dt.timedelta(seconds=1) <= now - said <= FRESH else ""
