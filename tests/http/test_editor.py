"""The campaign editor in process: the form over a file of the office's folder, its checks as
the person types, saving (judged first, written whole, audited with the diff), a file changed
meanwhile, the history on the campaign page, removal, and who may use it."""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import httpx
import pytest
from sqlalchemy import Engine, select

from scheduler import audit
from scheduler.campaign_set import load_campaigns
from scheduler.config import Config, load_config
from scheduler.editor import files, form, history
from scheduler.http.app import HttpState, create_app
from scheduler.store.tables import CampaignVersion, Delivery, Occurrence, State
from scheduler.sync import sync
from tests.staff import form_fields, staff_cookies

NOW = dt.datetime(2026, 5, 1, 1, 0, tzinfo=dt.UTC)
D = Delivery.__table__  # type: ignore[attr-defined]
EVENTS = Occurrence.__table__  # type: ignore[attr-defined]
V = CampaignVersion.__table__  # type: ignore[attr-defined]

CONFIG = """timezone = "Asia/Ho_Chi_Minh"
[database]
url = "sqlite:///data/loa.db"
[campaigns]
paths = ["campaigns"]
library = false
[calendar]
weekend = []
public_holidays = false
[channels.nhat-ky]
type = "file"
path = "data/outbox.jsonl"
"""

HAND_WRITTEN = """# Ngày hội của cơ quan: tệp sửa tay, giữ ghi chú này.
id = "ngay-hoi"
title = "Ngày hội Sống xanh"

[[activity]]
id = "ngay-hoi"   # hoạt động chính
title = "Ngày hội"
start = 2026-06-05T07:30:00
lead = "Văn phòng"

[[message]]
id = "nhac"
at = "ngay-hoi -1d 16:00"  # hôm trước lúc 16:00
text = "Mai là ngày hội"
"""


@dataclass
class Editing:
    client: httpx.AsyncClient
    config: Config
    db: Engine
    file: Path


def _app(db: Engine, config: Config | None) -> Any:
    return create_app(HttpState(db=db, clock=lambda: NOW, config=config))


@pytest.fixture
async def editing(db: Engine, tmp_path: Path) -> AsyncIterator[Editing]:
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "config.toml").write_text(CONFIG, "utf-8")
    file = tmp_path / "campaigns" / "ngay-hoi.toml"
    file.write_text(HAND_WRITTEN, "utf-8")
    config = load_config(tmp_path / "config.toml")
    sync(db, load_campaigns(config).campaigns, config.catalog(), NOW, config.horizon)
    transport = httpx.ASGITransport(app=_app(db, config))
    cookies = staff_cookies(db, "soan-tin", "editor")
    async with httpx.AsyncClient(
        transport=transport, base_url="http://loa", cookies=cookies
    ) as client:
        yield Editing(client, config, db, file)


def token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF field in the page"
    return found[1]


async def open_form(e: Editing, path: str = "/campaigns/ngay-hoi/edit") -> dict[str, str]:
    page = await e.client.get(path)
    assert page.status_code == 200, page.text
    return form_fields(page.text)


async def test_a_form_saved_without_change_writes_nothing(editing: Editing) -> None:
    before = editing.file.stat().st_mtime_ns
    fields = await open_form(editing)
    assert fields["message.0.at"] == "ngay-hoi -1d 16:00"
    assert fields["activity.0.start"] == "2026-06-05T07:30:00"
    saved = await editing.client.post("/campaigns/ngay-hoi/edit", data=fields)
    assert saved.status_code == 303
    assert "Không có gì thay đổi" in unquote_plus(saved.headers["location"])
    assert editing.file.read_text("utf-8") == HAND_WRITTEN
    assert editing.file.stat().st_mtime_ns == before
    assert history.entries(editing.db, "ngay-hoi") == []


@pytest.mark.parametrize(
    "library",
    sorted((Path(__file__).resolve().parents[2] / "campaigns" / "library").glob("*.toml")),
    ids=lambda p: p.stem,
)
def test_every_library_file_through_the_form_unchanged_is_the_same_bytes(library: Path) -> None:
    text = library.read_text("utf-8")
    view = form.view(text)
    fields = dict(view.head)
    for kind, items in view.items.items():
        for item in items:
            fields.update(
                {item.name(kind, k): v.replace("\n", "\r\n") for k, v in item.values.items()}
            )
    from campaigns.editing import apply

    assert form.edits(text, fields) == []
    assert apply(text, form.edits(text, fields)) == text


async def test_an_edit_saves_only_its_line_and_is_audited_with_the_diff(editing: Editing) -> None:
    fields = await open_form(editing)
    fields["message.0.text"] = "Mai là ngày hội,\r\nmời mọi người!"
    saved = await editing.client.post("/campaigns/ngay-hoi/edit", data=fields)
    assert saved.status_code == 303, saved.text
    text = editing.file.read_text("utf-8")
    assert text.startswith("# Ngày hội của cơ quan: tệp sửa tay, giữ ghi chú này.\n")
    assert 'at = "ngay-hoi -1d 16:00"  # hôm trước lúc 16:00' in text
    assert '"""Mai là ngày hội,\nmời mọi người!"""' in text
    (entry,) = audit.recent(editing.db, 5)[:1]
    assert (entry.command, entry.arguments, entry.result, entry.user) == (
        "campaign_edit", "ngay-hoi", "ok", "soan-tin",
    )  # fmt: skip
    assert '-text = "Mai là ngày hội"' in entry.detail and "+mời mọi người!" in entry.detail
    assert history.last_editor(editing.db, "ngay-hoi") == "soan-tin"
    page = (await editing.client.get("/campaigns/ngay-hoi")).text
    assert "Lịch sử sửa" in page and "soan-tin" in page and "+mời mọi người!" in page


async def test_a_refused_file_is_not_written_and_the_form_says_why_by_field(
    editing: Editing,
) -> None:
    fields = await open_form(editing)
    fields["message.0.at"] = "ngay-khong-co -1d 16:00"
    saved = await editing.client.post("/campaigns/ngay-hoi/edit", data=fields)
    assert saved.status_code == 422
    assert editing.file.read_text("utf-8") == HAND_WRITTEN
    error = re.search(r'id="e-message\.0\.at">([^<]+)<', saved.text)
    assert error and "ngay-khong-co" in error[1]
    assert 'value="ngay-khong-co -1d 16:00"' in saved.text  # what was typed stays
    assert not list(editing.file.parent.glob(".*.tmp"))
    assert history.entries(editing.db, "ngay-hoi") == []


async def test_the_check_maps_the_loaders_messages_to_fields_and_shows_what_comes(
    editing: Editing,
) -> None:
    fields = await open_form(editing)
    fields["activity.0.start"] = "không phải ngày"
    answer = (await editing.client.post("/campaigns/ngay-hoi/check", data=fields)).json()
    assert not answer["ok"] and "activity.0.start" in answer["fields"]
    fields["activity.0.start"] = "2026-06-05T07:30:00"
    fields["message.new.id"], fields["message.new.at"] = "chao", "ngay-hoi 07:00"
    fields["message.new.text"] = "Chào mừng ngày hội"
    answer = (await editing.client.post("/campaigns/ngay-hoi/check", data=fields)).json()
    assert answer["ok"] and answer["fields"] == {}
    assert "04/06/2026" in answer["upcoming"] and "Chào mừng ngày hội" in answer["upcoming"]
    fields["message.new.at"] = ""
    answer = (await editing.client.post("/campaigns/ngay-hoi/check", data=fields)).json()
    assert "message.new.at" in answer["fields"]


async def test_a_file_changed_on_disk_is_not_overwritten(editing: Editing) -> None:
    fields = await open_form(editing)
    by_hand = HAND_WRITTEN.replace("Ngày hội Sống xanh", "Ngày hội Sống xanh 2026")
    editing.file.write_text(by_hand, "utf-8")
    fields["title"] = "Tên của tôi"
    refused = await editing.client.post("/campaigns/ngay-hoi/edit", data=fields)
    assert refused.status_code == 409
    assert editing.file.read_text("utf-8") == by_hand
    assert "+title = &#34;Ngày hội Sống xanh 2026&#34;" in refused.text  # changed on disk
    assert "+title = &#34;Tên của tôi&#34;" in refused.text  # what this form would have done


async def test_a_new_campaign_is_written_to_the_office_folder(editing: Editing) -> None:
    fields = await open_form(editing, "/campaigns/new")
    fields.update({
        "id": "tin-moi", "title": "Chiến dịch mới", "message.new.id": "nhac",
        "message.new.at": "2026-06-01T08:00:00", "message.new.text": "Xin chào",
    })  # fmt: skip
    saved = await editing.client.post("/campaigns/new", data=fields)
    assert saved.status_code == 303, saved.text
    written = editing.config.root / "campaigns" / "tin-moi.toml"
    result = load_campaigns(editing.config)
    assert not result.errors
    (made,) = [c for c in result.campaigns if c.id == "tin-moi"]
    assert made.messages[0].text == "Xin chào" and written.read_text("utf-8").startswith("# ")
    assert history.last_editor(editing.db, "tin-moi") == "soan-tin"
    again = await editing.client.post("/campaigns/new", data=fields)
    assert again.status_code == 422 and "tin-moi.toml" in again.text


async def test_a_field_emptied_takes_its_key_out_and_an_emptied_required_one_is_refused(
    editing: Editing,
) -> None:
    fields = await open_form(editing)
    fields["activity.0.lead"] = ""
    saved = await editing.client.post("/campaigns/ngay-hoi/edit", data=fields)
    assert saved.status_code == 303, saved.text
    assert editing.file.read_text("utf-8") == HAND_WRITTEN.replace('lead = "Văn phòng"\n', "")
    fields = await open_form(editing)
    fields["message.0.text"] = ""
    refused = await editing.client.post("/campaigns/ngay-hoi/edit", data=fields)
    assert refused.status_code == 422
    assert re.search(r'id="e-message\.0\.text">[^<]+<', refused.text)


async def test_approval_is_a_box_ticked_as_the_file_says_and_saved_as_approval_true(
    editing: Editing,
) -> None:
    fields = await open_form(editing)
    assert "approval" not in fields and "message.0.approval" not in fields  # unticked
    assert {"approval.shown", "message.0.approval.shown"} <= set(fields)
    fields["approval"] = "true"
    saved = await editing.client.post("/campaigns/ngay-hoi/edit", data=fields)
    assert saved.status_code == 303, saved.text
    text = editing.file.read_text("utf-8")
    assert text == HAND_WRITTEN.replace(
        'title = "Ngày hội Sống xanh"\n', 'title = "Ngày hội Sống xanh"\napproval = true\n'
    )
    (made,) = [c for c in load_campaigns(editing.config).campaigns if c.id == "ngay-hoi"]
    assert made.approval is True
    fields = await open_form(editing)
    assert fields["approval"] == "true"  # shown ticked
    unchanged = await editing.client.post("/campaigns/ngay-hoi/edit", data=fields)
    assert "Không có gì thay đổi" in unquote_plus(unchanged.headers["location"])
    assert editing.file.read_text("utf-8") == text
    del fields["approval"]  # unticked: the key goes, the channel's setting applies again
    fields["message.0.approval"] = "true"
    saved = await editing.client.post("/campaigns/ngay-hoi/edit", data=fields)
    assert saved.status_code == 303, saved.text
    assert editing.file.read_text("utf-8") == HAND_WRITTEN + "approval = true\n"


async def test_a_box_left_unticked_keeps_approval_false_and_a_refused_form_keeps_the_tick(
    editing: Editing,
) -> None:
    stated = HAND_WRITTEN + "approval = false  # tin này không cần duyệt\n"
    editing.file.write_text(stated, "utf-8")
    fields = await open_form(editing)
    assert "message.0.approval" not in fields
    unchanged = await editing.client.post("/campaigns/ngay-hoi/edit", data=fields)
    assert "Không có gì thay đổi" in unquote_plus(unchanged.headers["location"])
    assert editing.file.read_text("utf-8") == stated
    fields.update({"approval": "true", "message.0.at": "ngay-khong-co -1d 16:00"})
    refused = await editing.client.post("/campaigns/ngay-hoi/edit", data=fields)
    assert refused.status_code == 422
    assert form_fields(refused.text)["approval"] == "true"  # what was ticked stays ticked
    assert "message.0.approval" not in form_fields(refused.text)


async def test_a_new_campaign_and_a_new_message_can_need_approval(editing: Editing) -> None:
    fields = await open_form(editing, "/campaigns/new")
    fields.update({
        "id": "can-duyet", "title": "Tin cần duyệt", "message.new.id": "nhac",
        "message.new.at": "2026-06-01T08:00:00", "message.new.text": "Xin chào",
        "message.new.approval": "true",
    })  # fmt: skip
    answer = (await editing.client.post("/campaigns/new/check", data=fields)).json()
    assert answer["ok"], answer
    saved = await editing.client.post("/campaigns/new", data=fields)
    assert saved.status_code == 303, saved.text
    (made,) = [c for c in load_campaigns(editing.config).campaigns if c.id == "can-duyet"]
    assert made.approval is None and made.messages[0].approval is True


async def test_removing_moves_the_file_aside_and_sync_cancels_what_waits(
    editing: Editing,
) -> None:
    waiting = select(D.c.state).where(D.c.campaign == "ngay-hoi")
    with editing.db.connect() as conn:
        assert set(conn.execute(waiting).scalars()) == {State.PENDING}
    page = await editing.client.get("/campaigns/ngay-hoi/remove")
    assert page.status_code == 200 and "data-confirm" in page.text
    fields = form_fields(page.text)
    removed = await editing.client.post("/campaigns/ngay-hoi/remove", data=fields)
    assert removed.status_code == 303
    assert not editing.file.exists()
    (aside,) = editing.file.parent.glob("ngay-hoi.toml.removed-*")
    assert aside.read_text("utf-8") == HAND_WRITTEN
    config = editing.config
    sync(editing.db, load_campaigns(config).campaigns, config.catalog(), NOW, config.horizon)
    with editing.db.connect() as conn:
        assert set(conn.execute(waiting).scalars()) == {State.CANCELLED}
        events = conn.execute(
            select(EVENTS.c.status).where(EVENTS.c.campaign == "ngay-hoi")
        ).scalars()
        assert set(events) == {"cancelled"}
    (entry,) = history.entries(editing.db, "ngay-hoi")
    assert entry.command == "campaign_remove" and '-id = "ngay-hoi"' in entry.detail


async def test_a_viewer_is_refused_the_editor(editing: Editing) -> None:
    viewer = staff_cookies(editing.db, "chi-xem", "viewer")
    transport = httpx.ASGITransport(app=_app(editing.db, editing.config))
    async with httpx.AsyncClient(transport=transport, base_url="http://loa", cookies=viewer) as c:
        for path in ("/campaigns/ngay-hoi/edit", "/campaigns/new", "/campaigns/ngay-hoi/remove"):
            assert (await c.get(path)).status_code == 403
        page = (await c.get("/campaigns/ngay-hoi")).text
        assert "/campaigns/ngay-hoi/edit" not in page
    assert editing.file.read_text("utf-8") == HAND_WRITTEN


def test_the_encoded_original_survives_line_ends() -> None:
    raw = HAND_WRITTEN.encode()
    fields = {"original": base64.b64encode(raw).decode(), "digest": files.digest(raw)}
    from scheduler.http.editor import _original

    assert _original(fields) == HAND_WRITTEN
    assert _original({**fields, "digest": "x"}) == ""


async def test_two_saves_of_one_opened_form_write_once_and_the_other_sees_the_change(
    editing: Editing,
) -> None:
    import asyncio

    fields = await open_form(editing)
    first, second = dict(fields, title="Bản của người thứ nhất"), dict(fields, title="Bản thứ hai")
    answers = await asyncio.gather(
        editing.client.post("/campaigns/ngay-hoi/edit", data=first),
        editing.client.post("/campaigns/ngay-hoi/edit", data=second),
    )
    assert sorted(a.status_code for a in answers) == [303, 409]
    assert len(history.entries(editing.db, "ngay-hoi")) == 1
