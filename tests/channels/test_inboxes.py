"""The inboxes on their own, no network: which webhook requests each platform's inbox accepts
(Telegram's and Zalo Bot's secret token, the Zalo OA's signature, timestamp and replay guard),
and what its updates become (a message to answer, or a kind loa leaves alone). Whatever comes in,
``parse`` and ``verify`` raise nothing but ``WebhookRefused``."""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers

from channels.inbound import InboundMessage, Update, WebhookRefused
from channels.telegram import TelegramChannel
from channels.telegram_inbox import TelegramInbox
from channels.zalo_bot import ZaloBotChannel
from channels.zalo_bot_inbox import ZaloBotInbox
from channels.zalo_oa_inbox import ZaloOAInbox
from tests.fakes.zalo import FakeZalo, oa_event_signature

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TG_SECRET = "tg-hook_5ecret"
ZB_SECRET = "zb-hook-5ecret"
NOW = dt.datetime(2026, 6, 2, 3, 0, tzinfo=dt.UTC)
USER = "2512523625412515"


def tg_inbox(secret: str = TG_SECRET) -> TelegramInbox:
    return TelegramInbox(TelegramChannel("tg", TOKEN, "LOA_TG"), secret)


def zb_inbox(secret: str = ZB_SECRET) -> ZaloBotInbox:
    return ZaloBotInbox(ZaloBotChannel("zb", "1234:abc", "LOA_ZB"), secret)


def refused(call: Any, *args: Any) -> int:
    """The status of the WebhookRefused the call raises."""
    with pytest.raises(WebhookRefused) as caught:
        call(*args)
    return caught.value.status


# -- Telegram ---------------------------------------------------------------------------------

TG_USER = {"id": 1001, "is_bot": False, "first_name": "Lan", "language_code": "en"}
TG_PRIVATE = {"id": 1001, "type": "private", "first_name": "Lan"}
TG_GROUP = {"id": -2001, "type": "group", "title": "Nhóm Văn phòng"}


def tg_message(
    text: str | None = "/upcoming", chat: dict[str, Any] = TG_PRIVATE, **extra: Any
) -> dict[str, Any]:
    message: dict[str, Any] = {"message_id": 7, "date": 1780369200, "chat": chat, "from": TG_USER}
    if text is not None:
        message["text"] = text
    return message | extra


def test_telegram_verify_takes_only_the_configured_secret() -> None:
    inbox = tg_inbox()
    inbox.verify(Headers({"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}), b"{}", 0)
    for headers in (
        {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET + "x"},
        {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET[:-1]},
        {"X-Telegram-Bot-Api-Secret-Token": ""},
        {"X-Bot-Api-Secret-Token": TG_SECRET},  # Zalo's header, not Telegram's
        {},
    ):
        assert refused(inbox.verify, Headers(headers), b"{}", 0) == 401, headers


def test_telegram_verify_refuses_everything_without_a_configured_secret() -> None:
    inbox = tg_inbox(secret="")
    for sent in ("", "anything"):
        headers = Headers({"X-Telegram-Bot-Api-Secret-Token": sent})
        assert refused(inbox.verify, headers, b"{}", 0) == 401
    assert refused(inbox.verify, Headers({}), b"{}", 0) == 401


def test_telegram_text_message_becomes_a_message_to_answer() -> None:
    inbox = tg_inbox()
    [update] = inbox.parse({"update_id": 100000001, "message": tg_message()})
    assert update == Update(
        100000001, InboundMessage(chat="1001", user="1001", text="/upcoming", language="en")
    )
    [group] = inbox.parse({"update_id": 100000002, "message": tg_message("/help", TG_GROUP)})
    assert group.message is not None
    assert group.message == InboundMessage("-2001", "1001", "/help", "en", is_group=True)


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        ({"message": tg_message(None, sticker={"file_id": "CAACAgIA", "file_unique_id": "AgADBQ",
          "width": 512, "height": 512, "is_animated": False, "is_video": False,
          "type": "regular"})}, "sticker"),
        ({"message": tg_message(None, photo=[{"file_id": "AgACAgIA", "file_unique_id": "AQAD",
          "width": 90, "height": 67}])}, "photo"),
        ({"edited_message": tg_message("/upcoming 5") | {"edit_date": 1780369260}}, "edited_message"),
        ({"channel_post": {"message_id": 3, "date": 1780369200, "text": "/help",
          "chat": {"id": -1001000000001, "type": "channel", "title": "Kênh tỉnh"}}}, "channel_post"),
        ({"callback_query": {"id": "4382bfdwdsb323b2d9", "from": TG_USER, "chat_instance": "-19",
          "data": "trang-2"}}, "callback_query"),
        ({"my_chat_member": {"chat": TG_GROUP, "from": TG_USER, "date": 1780369200,
          "old_chat_member": {"status": "left", "user": TG_USER},
          "new_chat_member": {"status": "member", "user": TG_USER}}}, "my_chat_member"),
    ],
)  # fmt: skip
def test_telegram_updates_loa_does_not_answer_carry_their_kind(
    payload: dict[str, Any], kind: str
) -> None:
    assert tg_inbox().parse({"update_id": 5, **payload}) == [Update(5, None, kind)]


def test_a_group_upgraded_to_a_supergroup_says_its_new_id() -> None:
    service = tg_message(None, chat=TG_GROUP) | {"migrate_to_chat_id": -1002001}
    assert tg_inbox().parse({"update_id": 8, "message": service}) == [
        Update(8, None, "migrated", "-2001", moved_to="-1002001")
    ]


@pytest.mark.parametrize(
    ("chat", "status", "reason"),
    [
        (TG_PRIVATE, "kicked", "Telegram: the bot was blocked (private)"),
        (TG_GROUP, "left", "Telegram: the bot was left (group)"),
        (TG_GROUP, "kicked", "Telegram: the bot was kicked (group)"),
    ],
)
def test_a_bot_blocked_or_removed_says_which_chat_and_why(
    chat: dict[str, Any], status: str, reason: str
) -> None:
    bot = {"id": 42, "is_bot": True, "first_name": "Loa"}
    payload = {
        "update_id": 6,
        "my_chat_member": {
            "chat": chat, "from": TG_USER, "date": 1780369200,
            "old_chat_member": {"status": "member", "user": bot},
            "new_chat_member": {"status": status, "user": bot, "until_date": 0},
        },
    }  # fmt: skip
    assert tg_inbox().parse(payload) == [Update(6, None, "my_chat_member", str(chat["id"]), reason)]


@pytest.mark.parametrize(
    "payload",
    [
        None, [], "update", 17, {}, {"update_id": "5"}, {"update_id": None, "message": {}},
        {"update_id": 5, "message": "xin chào"},
        {"update_id": 5, "message": [1, 2]},
        {"update_id": 5, "message": {}},
        {"update_id": 5, "message": {"text": "/help"}},
        {"update_id": 5, "message": tg_message(chat={"id": "x"})},
        {"update_id": 5, "message": tg_message(date="hôm nay")},
        {"update_id": 5, "message": tg_message(date=10**20)},  # out of any clock's range
        {"update_id": 5, "message": tg_message(date=-(10**15))},
        {"update_id": 5, "message": tg_message(date=1e300)},
        {"update_id": 5, "message": tg_message() | {"from": "Lan"}},
        {"update_id": 5, "callback_query": {"id": 1}},
    ],
)  # fmt: skip
def test_telegram_malformed_updates_never_raise(payload: Any) -> None:
    updates = tg_inbox().parse(payload)
    assert all(isinstance(u, Update) and u.message is None for u in updates)
    if isinstance(payload, dict) and isinstance(payload.get("update_id"), int):
        assert [u.id for u in updates] == [5]  # kept, so the offset moves past it


# -- Zalo Bot ---------------------------------------------------------------------------------


def zb_update(
    text: str | None = "/upcoming",
    event: str = "message.text.received",
    chat_type: str = "PRIVATE",
    chat: str = "7e1a2b3c",
    sender: str = "5c3d9e",
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "from": {"id": sender, "display_name": "Lan", "is_bot": False},
        "chat": {"id": chat, "chat_type": chat_type},
        "message_id": "2d0f1a",
        "date": 1780369200000,
    }
    if text is not None:
        message["text"] = text
    return {"event_name": event, "message": message}


def test_zalo_bot_verify_takes_only_the_configured_secret() -> None:
    inbox = zb_inbox()
    inbox.verify(Headers({"X-Bot-Api-Secret-Token": ZB_SECRET}), b"{}", 0)
    for headers in (
        {"X-Bot-Api-Secret-Token": ZB_SECRET.upper()},
        {"X-Bot-Api-Secret-Token": ""},
        {"X-Telegram-Bot-Api-Secret-Token": ZB_SECRET},
        {},
    ):
        assert refused(inbox.verify, Headers(headers), b"{}", 0) == 401, headers
    unset = zb_inbox(secret="")
    assert refused(unset.verify, Headers({"X-Bot-Api-Secret-Token": ""}), b"{}", 0) == 401
    assert refused(unset.verify, Headers({}), b"{}", 0) == 401


def test_zalo_bot_text_becomes_a_message_plain_or_wrapped_in_ok_result() -> None:
    inbox = zb_inbox()
    update = zb_update()
    key = str(update["message"]["message_id"])  # answered once, even when delivered twice
    message = InboundMessage(chat="7e1a2b3c", user="5c3d9e", text="/upcoming")
    expected = [Update(None, message, key=key)]
    assert key and inbox.parse(update) == expected
    assert inbox.parse({"ok": True, "result": update}) == expected
    [group] = inbox.parse({"ok": True, "result": zb_update("/help", chat_type="GROUP")})
    assert group.message is not None and group.message.is_group


@pytest.mark.parametrize(
    ("update", "kind"),
    [
        (zb_update(None, "message.image.received"), "message.image.received"),
        (zb_update(None, "message.sticker.received"), "message.sticker.received"),
        (zb_update("/help") | {"event_name": ""}, "other"),
        (zb_update("/help") | {"message": "xin chào"}, "message.text.received"),
    ],
)
def test_zalo_bot_events_loa_does_not_answer_carry_their_kind(
    update: dict[str, Any], kind: str
) -> None:
    assert zb_inbox().parse({"ok": True, "result": update}) == [Update(None, None, kind)]


def test_zalo_bot_ignores_bots_and_malformed_messages() -> None:
    inbox = zb_inbox()
    from_bot = zb_update()
    from_bot["message"]["from"]["is_bot"] = True
    assert inbox.parse(from_bot) == [Update(None, None, "from_bot")]
    no_chat = zb_update()
    del no_chat["message"]["chat"]
    for payload in (no_chat, zb_update(None), None, [zb_update()], "x", {"ok": True, "result": 3}):
        [update] = inbox.parse(payload)
        assert update.message is None


# -- Zalo OA ----------------------------------------------------------------------------------


@pytest.fixture
def zalo() -> FakeZalo:
    """Only its event builder: nothing is served."""
    fake = FakeZalo(clock=lambda: NOW, oa_secret_key="oa-secret-key-1")
    fake.add_follower(USER, last_interaction=dt.timedelta(days=3))
    return fake


def oa_inbox(zalo: FakeZalo, secret: str | None = None) -> ZaloOAInbox:
    return ZaloOAInbox("oa", zalo.app_id, zalo.oa_secret_key if secret is None else secret)


def at(moment: dt.datetime) -> float:
    return moment.timestamp()


def test_zalo_oa_accepts_a_signed_recent_event(zalo: FakeZalo) -> None:
    body, headers = zalo.oa_webhook_event(USER, "/upcoming")
    oa_inbox(zalo).verify(Headers(headers), body, at(NOW))
    early, headers = zalo.oa_webhook_event(USER, "/help", timestamp=NOW - dt.timedelta(minutes=4))
    oa_inbox(zalo).verify(Headers(headers), early, at(NOW))


def test_zalo_oa_refuses_a_wrong_or_missing_signature_with_401(zalo: FakeZalo) -> None:
    body, headers = zalo.oa_webhook_event(USER, "/upcoming")
    inbox = oa_inbox(zalo)
    forged = {**headers, "X-ZEvent-Signature": "mac=" + "0" * 64}
    assert refused(inbox.verify, Headers(forged), body, at(NOW)) == 401
    bare = {**headers, "X-ZEvent-Signature": headers["X-ZEvent-Signature"].removeprefix("mac=")}
    assert refused(inbox.verify, Headers(bare), body, at(NOW)) == 401
    missing = {"Content-Type": "application/json"}
    assert refused(inbox.verify, Headers(missing), body, at(NOW)) == 401
    other_body, other_key = zalo.oa_webhook_event(USER, "/upcoming", oa_secret_key="another-oa")
    assert refused(inbox.verify, Headers(other_key), other_body, at(NOW)) == 401
    other = FakeZalo(app_id="1111", oa_secret_key=zalo.oa_secret_key, clock=lambda: NOW)
    other_body, other_app = other.oa_webhook_event(USER, "/upcoming")
    assert refused(inbox.verify, Headers(other_app), other_body, at(NOW)) == 401
    # the genuine request still passes after all of that
    inbox.verify(Headers(headers), body, at(NOW))


def test_zalo_oa_refuses_a_body_edited_after_signing(zalo: FakeZalo) -> None:
    body, headers = zalo.oa_webhook_event(USER, "/upcoming")
    inbox = oa_inbox(zalo)
    for edited in (
        body.replace(b"/upcoming", b"/pause ngay-moi-truong"),
        body.replace(USER.encode(), b"2512523625412516"),
        body + b" ",
        json.dumps(json.loads(body), indent=1).encode(),  # same JSON, other bytes
    ):
        assert refused(inbox.verify, Headers(headers), edited, at(NOW)) == 401


def test_zalo_oa_refuses_stale_and_future_timestamps_with_403(zalo: FakeZalo) -> None:
    inbox = oa_inbox(zalo)
    for offset in (dt.timedelta(minutes=-10), dt.timedelta(minutes=10), dt.timedelta(days=-1)):
        body, headers = zalo.oa_webhook_event(USER, "/upcoming", timestamp=NOW + offset)
        assert refused(inbox.verify, Headers(headers), body, at(NOW)) == 403, offset


def test_zalo_oa_refuses_a_replay_with_403(zalo: FakeZalo) -> None:
    inbox = oa_inbox(zalo)
    body, headers = zalo.oa_webhook_event(USER, "/upcoming")
    inbox.verify(Headers(headers), body, at(NOW))
    assert refused(inbox.verify, Headers(headers), body, at(NOW) + 1) == 403
    assert refused(inbox.verify, Headers(headers), body, at(NOW) + 250) == 403
    # the same words again are a new event (a new msg_id), not a replay
    again, headers_again = zalo.oa_webhook_event(USER, "/upcoming")
    inbox.verify(Headers(headers_again), again, at(NOW) + 1)


@pytest.mark.parametrize(
    "stamp",
    [None, "", "soon", "1780369200000.5", [1780369200000], {"ms": 1}, "1" + "0" * 400, 10**400],
    ids=["none", "empty", "word", "fraction", "list", "object", "long-text", "huge"],
)
def test_zalo_oa_refuses_a_missing_or_garbled_timestamp_with_401(
    zalo: FakeZalo, stamp: Any
) -> None:
    event: dict[str, Any] = {"app_id": zalo.app_id, "event_name": "user_send_text",
                             "sender": {"id": USER}, "message": {"text": "/help"}}  # fmt: skip
    if stamp is not None:
        event["timestamp"] = stamp
    body = json.dumps(event).encode()
    sign_as = "" if stamp is None else str(stamp)
    signature = oa_event_signature(zalo.app_id, body, sign_as, zalo.oa_secret_key)
    headers = Headers({"X-ZEvent-Signature": signature})
    assert refused(oa_inbox(zalo).verify, headers, body, at(NOW)) == 401


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"\xff\xfe{", b"[]", b"null", b"[" * 100_000],
    ids=["empty", "text", "not-utf8", "list", "null", "deeply-nested"],
)
def test_zalo_oa_refuses_bodies_that_are_not_an_event_with_401(zalo: FakeZalo, body: bytes) -> None:
    headers = Headers({"X-ZEvent-Signature": oa_event_signature(zalo.app_id, body, "", "")})
    assert refused(oa_inbox(zalo).verify, headers, body, at(NOW)) == 401


def test_zalo_oa_without_a_configured_secret_refuses_everything(zalo: FakeZalo) -> None:
    body, headers = zalo.oa_webhook_event(USER, "/upcoming", oa_secret_key="")
    assert refused(oa_inbox(zalo, secret="").verify, Headers(headers), body, at(NOW)) == 401


def test_zalo_oa_parse_answers_text_and_notes_other_messages(zalo: FakeZalo) -> None:
    inbox = oa_inbox(zalo)

    def parsed(event: str, text: str | None = None) -> Update:
        body, _ = zalo.oa_webhook_event(USER, text, event_name=event)
        [update] = inbox.parse(json.loads(body))
        return update

    text = parsed("user_send_text", "/upcoming")
    assert text.key  # Zalo's msg_id: a retried event is answered once
    assert text == Update(
        None, InboundMessage(chat=USER, user=USER, text="/upcoming"), key=text.key
    )
    # a picture opens the reply window too: its sender is known, there is nothing to answer
    assert parsed("user_send_image") == Update(None, None, "user_send_image", chat=USER)
    assert parsed("user_send_sticker") == Update(None, None, "user_send_sticker", chat=USER)
    assert parsed("follow") == Update(None, None, "follow")
    assert parsed("oa_send_text", "Cảm ơn bạn") == Update(None, None, "oa_send_text")


@pytest.mark.parametrize(
    "payload",
    [None, [], "user_send_text", {}, {"event_name": "user_send_text"},
     {"event_name": "user_send_text", "sender": "2512"},
     {"event_name": "user_send_text", "sender": {"id": ""}, "message": {"text": "/help"}},
     {"event_name": "user_send_text", "sender": {"id": USER}, "message": "hi"},
     {"event_name": "user_send_text", "sender": {"id": USER}, "message": {"text": 5}}],
)  # fmt: skip
def test_zalo_oa_malformed_events_never_raise(zalo: FakeZalo, payload: Any) -> None:
    [update] = oa_inbox(zalo).parse(payload)
    assert update.message is None


# -- anything at all --------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


def maybe(*values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(*values, JSON)


TG_CHAT = st.fixed_dictionaries(
    {}, optional={"id": maybe(st.integers()), "type": maybe(st.sampled_from(["private", "group", "supergroup", "channel"])), "title": JSON},
)  # fmt: skip
TG_FROM = st.fixed_dictionaries(
    {}, optional={"id": maybe(st.integers()), "is_bot": JSON, "first_name": maybe(st.text()), "language_code": JSON},
)  # fmt: skip
TG_MESSAGE = maybe(
    st.fixed_dictionaries(
        {},
        optional={"message_id": maybe(st.integers()), "date": maybe(st.integers()),
                  "chat": maybe(TG_CHAT), "from": maybe(TG_FROM), "text": maybe(st.text()),
                  "sticker": JSON, "photo": JSON, "entities": JSON},
    )
)  # fmt: skip
TG_UPDATE = maybe(
    st.fixed_dictionaries(
        {"update_id": maybe(st.integers())},
        optional={k: TG_MESSAGE for k in ("message", "edited_message", "channel_post",
                  "callback_query", "my_chat_member")},
    )
)  # fmt: skip
ZB_UPDATE = maybe(
    st.fixed_dictionaries(
        {"event_name": maybe(st.sampled_from(["message.text.received", "message.image.received"]))},
        optional={"message": maybe(st.fixed_dictionaries({}, optional={
            "chat": maybe(st.fixed_dictionaries({}, optional={"id": JSON, "chat_type": JSON})),
            "from": maybe(st.fixed_dictionaries({}, optional={"id": JSON, "is_bot": JSON})),
            "text": maybe(st.text())}))},
    )
)  # fmt: skip
OA_EVENT = maybe(
    st.fixed_dictionaries(
        {"event_name": maybe(st.sampled_from(["user_send_text", "user_send_image", "follow"]))},
        optional={"sender": maybe(st.fixed_dictionaries({"id": JSON})),
                  "message": maybe(st.fixed_dictionaries({}, optional={"text": JSON})),
                  "timestamp": maybe(st.integers(), st.integers().map(str), st.floats())},
    )
)  # fmt: skip
HEADER_VALUES = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=80)
HEADERS = st.dictionaries(
    st.sampled_from(["x-telegram-bot-api-secret-token", "x-bot-api-secret-token",
                     "x-zevent-signature", "content-type"]),
    HEADER_VALUES,
)  # fmt: skip
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def platform_inboxes() -> tuple[Any, ...]:
    """Built once: a Telegram channel costs an HTTP pool, and these keep no state."""
    return tg_inbox(), tg_inbox(""), zb_inbox(), zb_inbox("")


def all_inboxes() -> list[Any]:
    """The OA inboxes are new each time: they remember the signatures they accepted."""
    return [*platform_inboxes(), ZaloOAInbox("oa", "4318", "k"), ZaloOAInbox("oa", "4318", "")]


@FUZZ
@given(payload=st.one_of(TG_UPDATE, ZB_UPDATE, OA_EVENT))
@example(payload={"update_id": 1, "message": {"message_id": 1, "date": 10**20, "text": "/help",
         "chat": {"id": 1, "type": "private"}}})  # fmt: skip
def test_parse_never_raises(payload: Any) -> None:
    for inbox in all_inboxes():
        updates = inbox.parse(payload)
        assert isinstance(updates, list) and all(isinstance(u, Update) for u in updates)
        for update in updates:
            if update.message is not None:
                assert isinstance(update.message.text, str) and update.message.chat


@FUZZ
@given(
    headers=HEADERS,
    body=st.binary(max_size=200) | JSON.map(lambda v: json.dumps(v).encode()),
    now=st.floats(0, 4e9),
)
def test_verify_refuses_with_webhook_refused_only(
    headers: dict[str, str], body: bytes, now: float
) -> None:
    for inbox in all_inboxes():
        try:
            inbox.verify(Headers(headers), body, now)
        except WebhookRefused as exc:
            assert exc.status in (401, 403)


@FUZZ
@given(event=OA_EVENT, offset=st.floats(-1e6, 1e6))
@example(event={"event_name": "user_send_text", "timestamp": 10**400}, offset=0)
def test_signed_oa_events_are_accepted_or_refused_never_crash(event: Any, offset: float) -> None:
    body = json.dumps(event).encode()
    stamp = str(event.get("timestamp", "")) if isinstance(event, dict) else ""
    headers = Headers({"X-ZEvent-Signature": oa_event_signature("4318", body, stamp, "k")})
    inbox = ZaloOAInbox("oa", "4318", "k")
    now = at(NOW) + offset
    try:
        inbox.verify(headers, body, now)
    except WebhookRefused as exc:
        assert exc.status in (401, 403)
    else:  # accepted: signed, and sent within five minutes of now
        assert abs(int(stamp) / 1000 - now) <= 300
