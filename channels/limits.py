"""Rate limits for every outlet, held in one place.

Each channel has up to three sliding windows: per target (a private chat), per group (a group,
supergroup or channel), and overall. ``reserve`` answers how long to wait before the next
message to a target may go, and books that moment; a server's retry-after pushes a target (or
the whole channel) back with ``hold``. The engine waits short delays and puts long ones back in
the outbox, so one slow group never stalls the queue for other targets.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from campaigns.errors import ExpressionError


@dataclass(frozen=True)
class Window:
    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Window:
        """``"20/60s"``, ``"1/1s"``, ``"30/1s"``, ``"100/1m"``."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*", text)
        if not match or int(match[1]) < 1 or float(match[2]) <= 0:
            raise ExpressionError(f"giới hạn '{text}' không hợp lệ", "viết như 20/60s hoặc 1/1s")
        scale = {"s": 1, "m": 60, "h": 3600}[match[3] or "s"]
        return cls(int(match[1]), float(match[2]) * scale)


@dataclass(frozen=True)
class ChannelLimits:
    per_target: Window | None = None
    per_group: Window | None = None
    overall: Window | None = None


# the platforms' documented defaults
DEFAULTS = {
    "telegram": ChannelLimits(Window(1, 1.0), Window(20, 60.0), Window(30, 1.0)),
    "zalo_bot": ChannelLimits(Window(1, 1.0), Window(20, 60.0), Window(30, 1.0)),
    "zalo_oa": ChannelLimits(Window(1, 1.0), None, Window(10, 1.0)),
}


def share(window: Window, daemons: int) -> Window:
    """One of ``daemons`` processes' part of a rate they must keep together: an even share,
    rounded down (never a burst the platform's window would refuse), or one message in a
    longer window when the rate is lower than the processes are many. Each leaves one message
    of its share unused: a process's slack covers its own sends arriving late, but several
    processes' late arrivals add up at the platform (3 daemons sharing 30/s met six 429s in
    a loaded run with 10/s each, none with 9)."""
    if daemons <= 1:
        return window
    each = (window.count - daemons) // daemons
    if each >= 1:
        return Window(each, window.seconds)
    return Window(1, window.seconds * daemons / window.count)


class _Windowed:
    def __init__(self, window: Window, slack: float = 0.0) -> None:
        self.slack = slack
        self.times: deque[float] = deque()
        self.resize(window)

    def resize(self, window: Window) -> None:
        self.window = window
        self.span = window.seconds + self.slack

    def earliest(self, moment: float, now: float) -> float:
        """The first moment at or after ``moment`` when one more send fits in the window."""
        while self.times and self.times[0] <= now - self.span:
            self.times.popleft()  # only the real clock ages bookings out
        while True:
            inside = [e for e in self.times if moment - self.span < e <= moment]
            if len(inside) < self.window.count:
                return moment
            moment = inside[len(inside) - self.window.count] + self.span

    def book(self, moment: float) -> None:
        index = len(self.times)
        while index > 0 and self.times[index - 1] > moment:
            index -= 1
        self.times.insert(index, moment)

    def cancel(self, moment: float) -> None:
        with contextlib.suppress(ValueError):
            self.times.remove(moment)


class RateLimiter:
    """``slack`` widens every window a little: the platform measures when requests *arrive*,
    and two sends exactly one window apart can arrive closer than that."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, slack: float = 0.15) -> None:
        self.clock = clock
        self.slack = slack
        self.limits: dict[str, ChannelLimits] = {}
        self._targets: dict[tuple[str, str], _Windowed] = {}
        self._overall: dict[str, _Windowed] = {}
        self._held: dict[tuple[str, str], float] = defaultdict(float)
        self.daemons = 1  # processes sending through the same accounts (``share``)

    def configure(self, channel: str, limits: ChannelLimits) -> None:
        self.limits[channel] = limits

    def share(self, daemons: int) -> None:
        """``daemons`` processes send through the same accounts (several ``loa run`` on one
        PostgreSQL database): each keeps its share of every channel's overall rate, so that
        together they keep the platform's (Telegram: 30/s a bot). The per-target and per-group
        paces need no share: they are kept in the store, across processes."""
        self.daemons = max(1, daemons)
        for channel, windowed in self._overall.items():
            overall = self.limits[channel].overall
            if overall is not None:
                windowed.resize(share(overall, self.daemons))

    def _windows(self, channel: str, target: str, group: bool) -> list[_Windowed]:
        limits = self.limits.get(channel)
        if limits is None:
            return []
        out = []
        window = limits.per_group if group else limits.per_target
        if window is not None:
            key = (channel, target)
            if key not in self._targets:
                self._targets[key] = _Windowed(window, self.slack)
            out.append(self._targets[key])
        if limits.overall is not None:
            if channel not in self._overall:
                self._overall[channel] = _Windowed(share(limits.overall, self.daemons), self.slack)
            out.append(self._overall[channel])
        return out

    def reserve(self, channel: str, target: str, group: bool) -> tuple[float, Callable[[], None]]:
        """Seconds to wait before sending, and a function that gives the booking back."""
        now = self.clock()
        windows = self._windows(channel, target, group)
        moment = max(now, self._held[(channel, target)], self._held[(channel, "")])
        for _ in range(len(windows) + 1):  # settle: a later moment can only free the others more
            later = max([moment, *(w.earliest(moment, now) for w in windows)])
            if later == moment:
                break
            moment = later
        for w in windows:
            w.book(moment)

        def give_back() -> None:
            for w in windows:
                w.cancel(moment)

        return moment - now, give_back

    def hold(self, channel: str, target: str, seconds: float) -> None:
        """The platform said wait (429 retry-after): nothing more to this target until then.

        ``target`` "" holds the whole channel (a bot-wide flood limit)."""
        key = (channel, target)
        self._held[key] = max(self._held[key], self.clock() + seconds)
