"""Rate limits with an injected clock: windows, holds, bookings given back."""

from __future__ import annotations

import pytest

from campaigns.errors import ExpressionError
from channels.limits import ChannelLimits, RateLimiter, Window, share


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(limits: ChannelLimits) -> tuple[RateLimiter, Clock]:
    clock = Clock()
    made = RateLimiter(clock, slack=0.0)
    made.configure("tg", limits)
    return made, clock


def test_per_chat_window_spaces_messages_one_second_apart() -> None:
    lim, _ = limiter(ChannelLimits(per_target=Window(1, 1.0)))
    waits = [lim.reserve("tg", "a", group=False)[0] for _ in range(4)]
    assert waits == [0.0, 1.0, 2.0, 3.0]
    assert lim.reserve("tg", "b", group=False)[0] == 0.0  # another chat is not held back


def test_group_window_allows_twenty_a_minute() -> None:
    lim, clock = limiter(ChannelLimits(per_group=Window(20, 60.0)))
    waits = [lim.reserve("tg", "-100", group=True)[0] for _ in range(21)]
    assert waits[:20] == [0.0] * 20 and waits[20] == 60.0
    clock.now += 60.0
    assert lim.reserve("tg", "-100", group=True)[0] == 0.0


def test_overall_window_across_targets() -> None:
    lim, _ = limiter(ChannelLimits(overall=Window(30, 1.0)))
    waits = [lim.reserve("tg", str(i), group=False)[0] for i in range(31)]
    assert waits[:30] == [0.0] * 30 and waits[30] == 1.0


def test_giving_a_booking_back_frees_its_slot() -> None:
    lim, _ = limiter(ChannelLimits(per_target=Window(1, 1.0)))
    lim.reserve("tg", "a", group=False)
    wait, give_back = lim.reserve("tg", "a", group=False)
    assert wait == 1.0
    give_back()
    assert lim.reserve("tg", "a", group=False)[0] == 1.0  # not 2.0: the slot came back


def test_hold_after_retry_after() -> None:
    lim, clock = limiter(ChannelLimits(per_target=Window(100, 1.0)))
    lim.hold("tg", "a", 7.0)
    assert lim.reserve("tg", "a", group=False)[0] == 7.0
    assert lim.reserve("tg", "b", group=False)[0] == 0.0
    lim.hold("tg", "", 3.0)  # the whole channel
    assert lim.reserve("tg", "c", group=False)[0] == 3.0
    clock.now += 10
    assert lim.reserve("tg", "a", group=False)[0] == 0.0


def test_slack_keeps_arrivals_apart() -> None:
    made = RateLimiter(Clock(), slack=0.15)
    made.configure("tg", ChannelLimits(per_target=Window(1, 1.0)))
    waits = [made.reserve("tg", "a", group=False)[0] for _ in range(3)]
    assert waits == pytest.approx([0.0, 1.15, 2.3])


def test_unconfigured_channel_is_unlimited() -> None:
    lim = RateLimiter()
    assert all(lim.reserve("console", "", group=False)[0] == 0.0 for _ in range(100))


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("20/60s", Window(20, 60.0)),
        ("1/1s", Window(1, 1.0)),
        ("100/1m", Window(100, 60.0)),
        ("5/2", Window(5, 2.0)),
    ],
)
def test_window_parse(text: str, window: Window) -> None:
    assert Window.parse(text) == window


@pytest.mark.parametrize("text", ["", "0/1s", "1/0s", "abc", "20 per minute", "-1/1s"])
def test_window_parse_refuses(text: str) -> None:
    with pytest.raises(ExpressionError):
        Window.parse(text)


@pytest.mark.parametrize(
    ("daemons", "each"),
    [(1, Window(30, 1.0)), (3, Window(9, 1.0)), (4, Window(6, 1.0)), (45, Window(1, 1.5))],
)
def test_several_daemons_each_keep_a_share_of_the_overall_rate(daemons: int, each: Window) -> None:
    """Together they never exceed the platform's 30/s: each takes its even share, rounded down
    and less one (the others' late arrivals), or one message in a longer window when the
    daemons outnumber the rate."""
    assert share(Window(30, 1.0), daemons) == each
    assert daemons * each.count / each.seconds <= 30


def test_a_limiter_told_of_more_daemons_spaces_its_sends_at_once() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0], slack=0.0)
    limiter.configure("tg", ChannelLimits(overall=Window(30, 1.0)))
    waits = [limiter.reserve("tg", f"chat-{i}", False)[0] for i in range(30)]
    assert max(waits) == 0  # alone: 30 in the first second
    limiter.share(3)
    assert limiter.reserve("tg", "chat-x", False)[0] == 1.0  # its share (9/s) is used up
    limiter.share(1)
    assert limiter.reserve("tg", "chat-y", False)[0] == 1.0  # the whole rate: still 30 this second
