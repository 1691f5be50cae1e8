"""What a failed HTTP request tells about the message: could it have reached the platform?

A request that never left (no connection, or none free in the pool) certainly did not arrive,
so it is retried quietly; one whose answer was lost (a read timeout, a connection cut
mid-answer) may have, so its delivery is flagged as a possible duplicate. An answer that came
but is not the platform's JSON is read by its status, the same way for every outlet.
"""

from __future__ import annotations

from typing import Any

import httpx

from channels.errors import ChannelError, PermanentError, TransientError

NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def may_have_arrived(exc: Exception) -> bool:
    return not isinstance(exc, NEVER_SENT)


def unreadable_answer(platform: str, status: int) -> ChannelError:
    """An error page with a 5xx status (an outage, a gateway in front of the platform) means the
    platform did not take the request: try again, without a duplicate flag, as
    python-telegram-bot reads Telegram's 5xx. Any other status with a page that is not JSON is a
    wrong address or a proxy in the way, which retrying will not fix."""
    if status >= 500 or status == 0:
        return TransientError(f"{platform}: HTTP {status}")
    return PermanentError(f"{platform}: HTTP {status}, câu trả lời không phải JSON")


def json_answer(platform: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise unreadable_answer(platform, response.status_code) from None
