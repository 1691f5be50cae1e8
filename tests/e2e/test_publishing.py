"""The publishing acceptance tests: ``loa run`` as a process against the local fake Telegram Bot
API and the fake Zalo OA / Zalo Bot servers at once.

1. A burst of 200 messages due within about 3 seconds to 5 Telegram chats, 2 Telegram groups, a
   Zalo OA follower and a Zalo bot chat: each arrives exactly once, in due order per target,
   with its Vietnamese text intact, and loa keeps under Telegram's flood limits by itself.
2. The fake servers fail 20 % of requests (5xx, hangs, dropped connections): every delivery
   still ends ``sent``, each message reaches its target exactly once, the delivery records
   count the tries, and a message waiting for its retry is not overtaken by a later one.
3. An answer lost AFTER the platform accepted a message (Zalo has no idempotency key): loa cannot
   know and sends it again; the duplicate shows as a retried delivery (attempts > 1).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from campaigns.i18n import named
from tests.e2e.harness import Office, iso, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram, RateLimits, Window
from tests.fakes.zalo import FakeZalo

pytestmark = pytest.mark.slow

# Diacritics of every tone and the đ, ơ, ư letters; an en dash and an emoji outside the BMP.
BODY = (
    "Hưởng ứng Tháng hành động vì môi trường: chung tay giảm thiểu rác thải nhựa – "
    "lan tỏa lối sống xanh ở Đắk Lắk, Thừa Thiên Huế, Quảng Ngãi 🌱"
)
START_UP = 5.0  # seconds between writing the campaign and the first due time: loa starts first
# The fakes draw faults from random.Random(seed), request by request: the same seed fails the
# same request numbers. This one makes each fake draw every kind early, hangs and drops included
# (Telegram's very first request, loa's getMe, gets a 502; the first Zalo request too).
FAULT_SEED = 20250629
FINAL_STATES = {"sent", "failed", "missed", "cancelled"}


# --------------------------------------------------------------------------------------------
# Setting up the fakes and the office


@pytest.fixture
def zalo() -> Iterator[FakeZalo]:
    # A hang holds the request 3 s and then cuts the connection, unprocessed. loa's own client
    # timeout is 10 s and not configurable; hangs that long would make a lane wait 10 s per
    # hang and push the fault test past a minute, so here the fake gives up first.
    server = FakeZalo(hang_seconds=3.0)
    with server.in_thread():
        yield server


def configure(
    office: Office,
    monkeypatch: pytest.MonkeyPatch,
    tg: FakeTelegram | None,
    zalo: FakeZalo,
    tg_targets: dict[str, int],
    oa_targets: dict[str, str],
    bot_targets: dict[str, str],
    daemon: str = "reload_seconds = 1\n",
    tg_limits: str = "",
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("LOA_ZALO_REFRESH", zalo.issue_refresh_token())
    monkeypatch.setenv("LOA_ZALO_SECRET", zalo.secret_key)
    monkeypatch.setenv("LOA_ZALO_BOT", zalo.bot_token)
    telegram = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{tg.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        + tg_limits
        + "[channels.tg.targets]\n"
        + "".join(f'{alias} = "{chat}"\n' for alias, chat in tg_targets.items())
        if tg is not None
        else ""
    )
    office.extra_config = (
        telegram + f'[channels.oa]\ntype = "zalo_oa"\nbase_url = "{zalo.base_url}"\n'
        f'oauth_url = "{zalo.oauth_url}"\napp_id = "{zalo.app_id}"\n'
        'secret_env = "LOA_ZALO_SECRET"\ntoken_env = "LOA_ZALO_REFRESH"\n'
        "[channels.oa.targets]\n"
        + "".join(f'{alias} = "{user}"\n' for alias, user in oa_targets.items())
        + f'[channels.bot]\ntype = "zalo_bot"\nbase_url = "{zalo.bot_base_url}"\n'
        'token_env = "LOA_ZALO_BOT"\n[channels.bot.targets]\n'
        + "".join(f'{alias} = "{chat}"\n' for alias, chat in bot_targets.items())
    )
    office.write_config(daemon=daemon)


def campaign_file(cid: str, messages: list[tuple[dt.datetime, str, list[str]]]) -> str:
    """``messages``: (due, text, ["channel:alias", ...]) in the order of their ids."""
    lines = [f'id = "{cid}"', 'title = "Tháng hành động vì môi trường"']
    for i, (due, text, channels) in enumerate(messages):
        lines += [
            "[[message]]",
            f'id = "tin-{i:03d}"',
            f"at = {iso(due)}",
            f"text = {json.dumps(text, ensure_ascii=False)}",
            f"channels = {json.dumps(channels)}",
        ]
    return "\n".join(lines) + "\n"


def settled(office: Office) -> bool:
    states = office.states()
    return bool(states) and set(states) <= FINAL_STATES


def deliveries(office: Office) -> list[dict[str, Any]]:
    listed = office.loa("deliveries", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows: list[dict[str, Any]] = json.loads(listed.stdout)
    return rows


def crowded(times: list[dt.datetime], window: Window, grace: float) -> list[tuple[str, str]]:
    """Where more than ``window.count`` messages fell within ``window.seconds`` (less the fake's
    ``grace`` for network jitter): the first and the (count+1)-th of each such run."""
    stamps = sorted(times)
    return [
        (stamps[i].isoformat(), stamps[i + window.count].isoformat())
        for i in range(len(stamps) - window.count)
        if (stamps[i + window.count] - stamps[i]).total_seconds() < window.seconds - grace
    ]


def too_fast(tg: FakeTelegram, limited: list[Any]) -> str:
    """Why each 429 came: how long after the previous accepted message to that chat it was
    sent, and how many messages the whole bot had sent in the second before it."""
    lines = [f"{len(limited)} of {len(tg.accepted)} sends refused with 429:"]
    for refusal in limited:
        chat = int(refusal.chat_ref)
        before = [m.monotonic for m in tg.accepted if m.monotonic < refusal.monotonic]
        to_chat = [m.monotonic for m in tg.messages_to(chat) if m.monotonic < refusal.monotonic]
        gap = refusal.monotonic - max(to_chat) if to_chat else None
        in_last_second = sum(1 for t in before if refusal.monotonic - t < 1.0)
        lines.append(
            f"  chat {chat}: {gap and round(gap, 3)} s after its previous message, "
            f"{in_last_second} bot messages in the second before ({refusal.description})"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# 1. A burst to nine targets, within the limits


# Telegram allows 20 messages a minute in a group. 35 messages to a group would take well over
# a minute at the real rate, so the fake AND loa both use a group window ten times shorter
# (20 per 6 s): the same rule, the same burst-then-wait shape, a tenth of the time. The private
# chat limit (1/s) and the overall limit (30/s) stay at the platform's values in both.
GROUP_WINDOW = Window(20, 6.0)
TG_LIMITS = '[channels.tg.limits]\nper_group = "20/6s"\n'

BURST = {  # target → how many of the 200 messages it gets
    "tg:lan": 18, "tg:minh": 18, "tg:hoa": 18, "tg:tuan": 18, "tg:mai": 18,
    "tg:nhom-van-phong": 35, "tg:nhom-so": 35,
    "oa:ong-nam": 20, "bot:nhom-zalo": 20,
}  # fmt: skip
NAMES = {
    "tg:lan": "chị Lan", "tg:minh": "anh Minh", "tg:hoa": "cô Hoà", "tg:tuan": "anh Tuấn",
    "tg:mai": "chị Mai", "tg:nhom-van-phong": "Nhóm Văn phòng", "tg:nhom-so": "Nhóm Sở TN&MT",
    "oa:ong-nam": "ông Nam", "bot:nhom-zalo": "nhóm Zalo phường",
}  # fmt: skip


def burst_plan(start: dt.datetime) -> list[tuple[dt.datetime, str, list[str]]]:
    """200 messages, targets interleaved evenly, due every 15 ms from ``start`` (3 s in all)."""
    slots = sorted(
        ((j + 0.5) / count, order, target, j)
        for order, (target, count) in enumerate(BURST.items())
        for j in range(count)
    )
    plan = []
    for i, (_, _, target, j) in enumerate(slots):
        text = f"Tin {j + 1:02d}/{BURST[target]} gửi {NAMES[target]}: {BODY}"
        plan.append((start + dt.timedelta(milliseconds=15 * i), text, [target]))
    return plan


@pytest.fixture
def tg_burst() -> Iterator[FakeTelegram]:
    with FakeTelegram(limits=RateLimits(group=GROUP_WINDOW)) as server:
        yield server


def test_burst_to_nine_targets_arrives_once_in_order_within_limits(
    office: Office, tg_burst: FakeTelegram, zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    tg = tg_burst
    chats = {
        alias: tg.add_private_chat(first_name=NAMES[f"tg:{alias}"].split()[-1])
        for alias in ("lan", "minh", "hoa", "tuan", "mai")
    }
    groups = {
        "nhom-van-phong": tg.add_group(title="Nhóm Văn phòng"),
        "nhom-so": tg.add_supergroup(title="Nhóm Sở TN&MT"),
    }
    user = zalo.add_follower("2512523625412515", last_interaction=dt.timedelta(hours=1))
    zchat = zalo.add_chat("7e1a2b3c", chat_type="GROUP", display_name="Nhóm Zalo phường")
    configure(
        office, monkeypatch, tg, zalo, {**chats, **groups}, {"ong-nam": user},
        {"nhom-zalo": zchat}, tg_limits=TG_LIMITS,
    )  # fmt: skip
    plan = burst_plan(dt.datetime.now(dt.UTC))
    assert len(plan) == 200 and plan[-1][0] - plan[0][0] <= dt.timedelta(seconds=3)
    expected: dict[str, list[str]] = defaultdict(list)
    for _, text, (target,) in plan:  # plan is in due order
        expected[target].append(text)

    process, _ = office.start_then_move(
        {"dot-cao-diem": lambda at: campaign_file("dot-cao-diem", burst_plan(at))}, START_UP
    )
    wait_for(lambda: len(tg.accepted) + len(zalo.accepted) >= 200, 50, "200 messages at the fakes")
    wait_for(lambda: settled(office), 15, "every delivery in a final state")
    code, _, err = office.stop(process)
    assert code == 0, err

    # each arrives exactly once, in due order per target, the Vietnamese text intact
    received: dict[str, list[str]] = defaultdict(list)
    for alias, chat in {**chats, **groups}.items():
        received[f"tg:{alias}"] = [m.plain_text or "" for m in tg.messages_to(chat)]
    for delivery in zalo.accepted:
        target = "oa:ong-nam" if delivery.platform == "oa" else "bot:nhom-zalo"
        assert delivery.recipient == (user if delivery.platform == "oa" else zchat)
        received[target].append(delivery.text or "")
    assert len(tg.accepted) == 160 and len(zalo.accepted) == 40
    overtaken = {
        target: [text[:9] for text in received[target]]
        for target, texts in expected.items()
        if received[target] != texts
    }
    assert overtaken == {}, ("arrival order per target", overtaken)
    for texts in received.values():
        for text in texts:
            assert unicodedata.is_normalized("NFC", text) and BODY.encode() in text.encode()
    for message in tg.accepted:  # what went over the wire: escaped HTML of the same text
        assert message.parse_mode == "HTML"
        assert message.text == html.escape(message.plain_text or "", quote=False)

    # every refused one went out later (the share refused is checked last, below)
    limited = [r for r in tg.refused if r.status == 429]
    assert [r for r in tg.refused if r.status != 429] == []
    for refusal in limited:
        assert any(
            m.text == refusal.text and m.chat_id == int(refusal.chat_ref)
            and m.received_at > refusal.received_at
            for m in tg.accepted
        ), refusal  # fmt: skip

    # the outbox: every delivery sent once, with the id the platform gave it
    ids: dict[tuple[str, str, str], str] = {}
    for alias, chat in {**chats, **groups}.items():
        for m in tg.messages_to(chat):
            ids[("tg", alias, m.plain_text or "")] = str(m.message_id)
    for d in zalo.accepted:
        alias = "ong-nam" if d.platform == "oa" else "nhom-zalo"
        ids[(d.platform, alias, d.text or "")] = d.message_id
    rows = deliveries(office)
    assert len(rows) == 200
    for row in rows:
        assert row["state"] == "sent" and not row["possible_duplicate"], row
        assert row["provider_message_id"] == ids[(row["channel"], row["target"], row["text"])], row
    # every try shows in the record: the first, plus each failed one loa logged, a 429 included
    retried = Counter(re.findall(rf"{re.escape(named('log', 'retrying', 'vi'))} key=(\S+)", err))
    limited_texts = Counter(r.text for r in limited)
    for row in rows:
        why = [line for line in err.splitlines() if row["key"] in line]
        assert row["attempts"] == 1 + retried[row["key"]], (row, why)
        if row["channel"] == "tg":
            raw = html.escape(row["text"], quote=False)
            assert retried[row["key"]] >= limited_texts[raw], (row, why)

    # loa's pacing, measured where the messages arrived, never breaks a window
    grace = tg.limits.grace
    for alias, chat in chats.items():
        times = [m.received_at for m in tg.messages_to(chat)]
        assert crowded(times, Window(1, 1.0), grace) == [], alias
    for alias, chat in groups.items():
        times = [m.received_at for m in tg.messages_to(chat)]
        assert crowded(times, GROUP_WINDOW, grace) == [], alias
    assert crowded([m.received_at for m in tg.accepted], Window(30, 1.0), grace) == []
    for platform in ("oa", "bot"):  # loa's default for both Zalo outlets: 1 a second per target
        times = [d.time for d in zalo.accepted if d.platform == platform]
        assert crowded(times, Window(1, 1.0), grace) == [], platform

    # loa paces itself: the fake refused fewer than 1 % with 429
    assert 100 * len(limited) < len(tg.accepted), too_fast(tg, limited)


# --------------------------------------------------------------------------------------------
# 2. Flaky servers


@pytest.fixture
def tg_flaky() -> Iterator[FakeTelegram]:
    # A Telegram hang is held 3 s and then answered 500, before any processing (see above for
    # why not longer than loa's 10 s timeout). Flood limits stay at Telegram's real values.
    with FakeTelegram(hang_max=3.0) as server:
        yield server


def test_flaky_servers_every_message_arrives_once_and_attempts_are_recorded(
    office: Office, tg_flaky: FakeTelegram, zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    tg = tg_flaky
    tg_targets = {
        "lan": tg.add_private_chat(first_name="Lan"),
        "minh": tg.add_private_chat(first_name="Minh"),
        "hoa": tg.add_private_chat(first_name="Hoà"),
        "nhom": tg.add_group(title="Nhóm Văn phòng"),
    }
    oa_targets = {
        "ong-nam": zalo.add_follower("2512523625412515", last_interaction=dt.timedelta(hours=1)),
        "ba-thu": zalo.add_follower("3605634736523626", last_interaction=dt.timedelta(hours=2)),
    }
    bot_targets = {
        "nhom-phuong": zalo.add_chat("7e1a2b3c", chat_type="GROUP"),
        "chi-lan": zalo.add_chat("9f8e7d6c"),
    }
    configure(
        office, monkeypatch, tg, zalo, tg_targets, oa_targets, bot_targets,
        daemon="reload_seconds = 1\nretry_base_seconds = 1\n",
    )  # fmt: skip
    tg_aliases, oa_aliases, bot_aliases = list(tg_targets), list(oa_targets), list(bot_targets)

    def flaky_plan(start: dt.datetime) -> list[tuple[dt.datetime, str, list[str]]]:
        return [
            (
                start + dt.timedelta(milliseconds=120 * i),
                f"Tin {i + 1:02d}: {BODY}",
                [f"tg:{tg_aliases[i % 4]}", f"oa:{oa_aliases[i % 2]}", f"bot:{bot_aliases[i % 2]}"],
            )
            for i in range(24)
        ]

    plan = flaky_plan(dt.datetime.now(dt.UTC))
    expected = Counter(
        (target, text) for _, text, targets in plan for target in targets
    )  # 72 deliveries
    # Every request (getMe, sendMessage, OAuth, OA send) fails with probability 0.2, as a 5xx,
    # a hang or a dropped connection, each BEFORE the server processes it: no send that loa
    # sees fail has reached anyone. (Zalo's "drop_after" is left to the next test.)
    tg.set_faults(0.2, faults=("500", "502", "hang", "drop"), seed=FAULT_SEED)
    zalo.set_faults(0.2, kinds=("500", "502", "503", "504", "hang", "drop"), seed=FAULT_SEED)

    process, _ = office.start_then_move(
        {"mang-chap-chon": lambda at: campaign_file("mang-chap-chon", flaky_plan(at))}, START_UP
    )
    wait_for(
        lambda: len(tg.accepted) + len(zalo.accepted) >= len(expected) and settled(office),
        120,  # outcomes are tested, not speed: which requests the seeded faults hit varies
        f"{len(expected)} messages at the fakes and every delivery settled (seed {FAULT_SEED})",
    )
    code, _, err = office.stop(process)
    assert code == 0, err
    rows = deliveries(office)
    summary = [(r["key"], r["state"], r["attempts"], r["error"]) for r in rows]

    # every delivery sent; each message reached its target exactly once
    assert len(rows) == len(expected) and all(r["state"] == "sent" for r in rows), summary
    by_tg_chat = {chat: alias for alias, chat in tg_targets.items()}
    by_oa_user = {user: alias for alias, user in oa_targets.items()}
    by_bot_chat = {chat: alias for alias, chat in bot_targets.items()}
    arrived = Counter(
        (f"tg:{by_tg_chat[m.chat_id]}", m.plain_text or "") for m in tg.accepted
    ) + Counter(
        (
            f"oa:{by_oa_user[d.recipient]}" if d.platform == "oa"
            else f"bot:{by_bot_chat[d.recipient]}",
            d.text or "",
        )
        for d in zalo.accepted
    )  # fmt: skip
    assert arrived == expected, (arrived - expected, expected - arrived, FAULT_SEED)
    assert not [d for d in zalo.accepted if d.response_lost]

    # the records show the tries: some needed more than one. A try whose answer never came (a
    # hang, a dropped connection) may have reached the platform, so loa flags that delivery as
    # a possible duplicate; here none arrived twice, and the flags stay within those faults on
    # sends (an error page, a failed getMe or token renewal cannot have delivered anything)
    assert any(r["attempts"] > 1 for r in rows), summary
    flagged = [r for r in rows if r["possible_duplicate"]]
    assert all(r["attempts"] > 1 for r in flagged), flagged
    lost_answers = [
        r for r in tg.refused if r.fault in ("hang", "drop") and r.method == "sendMessage"
    ] + [
        f
        for f in zalo.faults
        if f.kind in ("hang", "drop") and ("/oa/message/" in f.path or "/sendMessage" in f.path)
    ]
    assert len(flagged) <= len(lost_answers), (len(flagged), len(lost_answers))
    tg_faults = [r for r in tg.refused if r.fault is not None]
    zalo_send_faults = [f for f in zalo.faults if f.service in ("oa", "bot")]
    assert tg_faults and zalo_send_faults, "the fault plan injected nothing"
    # A delivery's attempts are its first try plus each failed try loa logged ("retrying
    # key=..."), and every failure a fake injected cost some delivery one try (Telegram: a getMe
    # fault too, as loa asks getMe inside its first send; Zalo OA: an OAuth fault fails the try
    # that was renewing the token). The fakes' counts are a floor, not an equality: a try can
    # also fail where no fake sees it (a kept-alive connection the server closes as it is reused).
    retried = Counter(re.findall(rf"{re.escape(named('log', 'retrying', 'vi'))} key=(\S+)", err))
    failed_tries: Counter[str] = Counter()
    for row in rows:
        assert row["attempts"] == 1 + retried[row["key"]], row
        failed_tries[row["channel"]] += row["attempts"] - 1
    assert failed_tries["tg"] >= len(tg.refused), (failed_tries, tg.refused)
    oa_faults = [f for f in zalo.faults if f.service in ("oa", "oauth")]
    bot_faults = [f for f in zalo.faults if f.service == "bot"]
    assert failed_tries["oa"] >= len(oa_faults), (failed_tries, oa_faults)
    assert failed_tries["bot"] >= len(bot_faults), (failed_tries, bot_faults)
    # and per Telegram delivery: at least one try per refusal of its text in its chat
    refused_tries = Counter((int(r.chat_ref), r.text) for r in tg.refused if r.chat_ref is not None)
    for row in rows:
        if row["channel"] == "tg":
            chat = tg_targets[row["target"]]
            raw = html.escape(row["text"], quote=False)
            assert row["attempts"] >= 1 + refused_tries[(chat, raw)], row

    # Last, the engine's promise "sends to one target keep their order" under failures: a
    # message waiting for its retry must not be overtaken by a later one to the same target.
    got: dict[str, list[str]] = defaultdict(list)
    for m in tg.accepted:
        got[f"tg:{by_tg_chat[m.chat_id]}"].append(m.plain_text or "")
    for d in zalo.accepted:
        alias = by_oa_user[d.recipient] if d.platform == "oa" else by_bot_chat[d.recipient]
        got[f"{d.platform}:{alias}"].append(d.text or "")
    wanted: dict[str, list[str]] = defaultdict(list)
    for _, text, targets in plan:
        for target in targets:
            wanted[target].append(text)
    overtaken = {
        target: [t[:6] for t in got[target]] for target in wanted if got[target] != wanted[target]
    }
    assert overtaken == {}, (f"arrival order (seed {FAULT_SEED})", overtaken)


# --------------------------------------------------------------------------------------------
# 3. An answer lost after the platform accepted the message


def test_answer_lost_after_acceptance_shows_as_a_retried_delivery(
    office: Office, zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one duplicate loa cannot prevent: Zalo took the message, then the connection broke
    before the answer arrived. Neither Zalo API offers an idempotency key or a way to look a
    message up, so loa retries it and the user gets it twice; the record must not hide that
    there was more than one try. (The fake Telegram has no post-processing fault.)"""
    user = zalo.add_follower("2512523625412515", last_interaction=dt.timedelta(hours=1))
    chat = zalo.add_chat("7e1a2b3c", chat_type="GROUP")
    configure(
        office, monkeypatch, None, zalo, {}, {"ong-nam": user}, {"nhom-phuong": chat},
        daemon="reload_seconds = 1\nretry_base_seconds = 1\n",
    )  # fmt: skip
    text = f"Tin nhắn mất câu trả lời: {BODY}"
    zalo.fail_next("drop_after", service="oa")
    zalo.fail_next("drop_after", service="bot")

    process, _ = office.start_then_move(
        {"mat-tra-loi": lambda at: campaign_file("mat-tra-loi", [(at, text, ["oa", "bot"])])},
        START_UP,
    )
    wait_for(lambda: len(zalo.accepted) >= 4 and settled(office), 30, "both sent after a retry")
    code, _, err = office.stop(process)
    assert code == 0, err

    rows = {r["channel"]: r for r in deliveries(office)}
    assert set(rows) == {"oa", "bot"}
    for platform, recipient in (("oa", user), ("bot", chat)):
        got = [d for d in zalo.accepted if d.platform == platform]
        assert [(d.recipient, d.text, d.response_lost) for d in got] == [
            (recipient, text, True),
            (recipient, text, False),
        ]
        row = rows[platform]
        assert row["state"] == "sent" and row["attempts"] == 2, row
        assert row["provider_message_id"] == got[1].message_id, row
        assert row["possible_duplicate"], row  # it did arrive twice, and loa says it may have
