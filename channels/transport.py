"""What a failed HTTP request tells about the message: could it have reached the platform?

A request that never left (no connection, or none free in the pool) certainly did not arrive,
so it is retried quietly; one whose answer was lost (a read timeout, a connection cut
mid-answer) may have, so its delivery is flagged as a possible duplicate.
"""

from __future__ import annotations

import httpx

NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def may_have_arrived(exc: Exception) -> bool:
    """Also True for an unreadable answer (not JSON): the request was received."""
    return not isinstance(exc, NEVER_SENT)
