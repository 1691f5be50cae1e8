"""Live reload that never loses an edit (issue 15, item 4), through the real ``loa run``.

An edit while the daemon runs changes what is sent next; a reload whose sync fails is tried
again rather than forgotten until the next day's roll; a broken edit is refused as a whole
(the version before it keeps sending) and said once; a campaign added while its first moment
is already past is sent within its grace and recorded missed beyond it.
"""

from __future__ import annotations

import datetime as dt
import signal

import httpx
import pytest

from tests.e2e.harness import Office, iso, refusals_said, wait_for

pytestmark = pytest.mark.slow


def campaign(cid: str, *messages: tuple[str, dt.datetime, str], grace: str = "1h") -> str:
    text = f'id = "{cid}"\ntitle = "Chiến dịch {cid}"\ngrace = "{grace}"\n'
    for mid, at, body in messages:
        text += f'[[message]]\nid = "{mid}"\nat = {iso(at)}\ntext = "{body}"\n'
    return text


def sent_texts(office: Office) -> dict[str, str]:
    return {r["key"]: r["text"] for r in office.sent()}


def test_an_edit_while_running_changes_what_is_sent_next(office: Office) -> None:
    process, at = office.start_then_move({"dau": lambda at: campaign("dau", ("tin", at, "Cũ"))}, 6)
    later = at + dt.timedelta(seconds=1)
    office.campaign("dau", campaign("dau", ("tin", at, "Đã sửa"), ("them", later, "Thêm")))
    sent = wait_for(lambda: len(office.sent()) == 2 and sent_texts(office), 30, "both messages")
    assert sent == {"dau:tin:once@nhat-ky": "Đã sửa", "dau:them:once@nhat-ky": "Thêm"}
    assert office.stop(process)[0] == 0


def test_a_reload_whose_sync_failed_is_tried_again(office: Office) -> None:
    """The database refuses the new campaign's rows once (a trigger: an error that is not a
    storage fault); the daemon used to record the files as read and forget the edit until
    the next day's roll, so the new message was never sent."""
    office.campaign(
        "dau", campaign("dau", ("tin", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), "x"))
    )
    process = office.start()
    office.started(process)
    office.query(
        "create trigger giu before insert on delivery when new.campaign = 'moi' "
        "begin select raise(abort, 'the test holds this campaign back'); end"
    )
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=15)
    office.campaign("moi", campaign("moi", ("tin", at, "Tin của chiến dịch mới")))
    wait_for(lambda: "the test holds this campaign back" in office.log(), 30, "the failed sync")
    office.query("drop trigger giu")
    sent = wait_for(lambda: sent_texts(office), 40, "the new campaign's message")
    assert sent == {"moi:tin:once@nhat-ky": "Tin của chiến dịch mới"}
    assert office.stop(process)[0] == 0


def test_a_broken_edit_is_refused_once_and_the_old_plan_keeps_sending(office: Office) -> None:
    def good(at: dt.datetime) -> str:
        return campaign("dau", ("mot", at, "Một"), ("hai", at + dt.timedelta(seconds=4), "Hai"))

    process, at = office.start_then_move({"dau": good}, 8)
    base = office.http_url()
    broken = good(at) + '[[message]]\nid = "ba"\nat = 0001-01-01\ntext = "Ba"\n'
    where = f"campaigns/dau.toml:{broken.count(chr(10)) - 1}:"
    office.campaign("dau", broken)
    wait_for(lambda: where in office.log(), 30, "the broken edit refused")
    # more reloads while it stays broken: another file's edits, a SIGHUP
    far = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    for text in ("Khác", "Khác nữa"):
        office.campaign("khac", campaign("khac", ("tin", far, text)))
        query = "select count(*) from delivery where text = ?"
        wait_for(lambda: office.query(query, text)[0][0] == 1, 30, f"'{text}' synced")  # noqa: B023
    process.send_signal(signal.SIGHUP)
    wait_for(lambda: "SIGHUP" in office.log(), 10, "the SIGHUP reload")
    sent = wait_for(lambda: len(office.sent()) >= 2 and sent_texts(office), 30, "the old plan")
    assert sent == {"dau:mot:once@nhat-ky": "Một", "dau:hai:once@nhat-ky": "Hai"}
    assert not office.query("select key from delivery where key like 'dau:ba:%'")
    body = httpx.get(f"{base}/healthz", timeout=5).json()
    assert body["refused_files"] == ["campaigns/dau.toml"]
    assert [r["problem"].startswith(where) for r in body["refusals"]] == [True], body
    status = office.loa("status")
    assert where in status.stdout and "1900" in status.stdout, status.stdout
    log = office.log()
    assert refusals_said(log, where) == [True], log
    assert log.count("incident=campaign_refused") == 1, log  # the admins' alert, once
    assert office.stop(process)[0] == 0
    assert where in office.loa("status").stdout  # still said while the daemon is down


def test_a_campaign_added_late_is_sent_within_grace_and_missed_beyond(office: Office) -> None:
    office.campaign(
        "dau", campaign("dau", ("tin", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), "x"))
    )
    process = office.start()
    office.started(process)
    now = dt.datetime.now(dt.UTC)
    office.campaign(
        "tre",
        campaign(
            "tre",
            ("trong-han", now - dt.timedelta(minutes=2), "Trễ hai phút"),
            ("qua-han", now - dt.timedelta(hours=2), "Trễ hai giờ"),
        ),
    )
    sent = wait_for(lambda: sent_texts(office), 30, "the message within grace")
    assert sent == {"tre:trong-han:once@nhat-ky": "Trễ hai phút"}
    query = "select state, last_error from delivery where key = 'tre:qua-han:once@nhat-ky'"
    [(state, reason)] = office.query(query)
    assert state == "missed" and "grace" in reason and "loa retry" in reason, reason
    assert office.stop(process)[0] == 0


def verdict_files(now: dt.datetime) -> dict[str, tuple[str, int]]:
    """name -> (file, the line that refuses it): broken as the loader sees it, as expansion
    sees it ahead, and as expansion sees it within the campaign's grace, where ``loa
    validate`` used to look no further back than now and accepted what the reload refused."""
    head = 'title = "Hỏng"\n'
    return {
        "cu-phap": ('id = "cu-phap"\n' + head + "[[message]]\nid = [\n", 4),
        "nam-1": (
            'id = "nam-1"\n' + head + '[[message]]\nid = "m"\nat = 0001-01-01\ntext = "x"\n',
            5,
        ),
        "moi-giay": (
            'id = "moi-giay"\n' + head + '[[message]]\nid = "m"\ntext = "x"\n'
            f'at = {{ rrule = "FREQ=SECONDLY", start = {now.date()} }}\n',
            6,
        ),
        "trong-han": (
            'id = "trong-han"\n' + head + 'grace = "3h"\n'
            f'[[activity]]\nid = "a"\ntitle = "A"\nstart = {iso(now - dt.timedelta(hours=2))}\n'
            f"end = {iso(now - dt.timedelta(minutes=5))}\n"
            '[[message]]\nid = "m"\ntext = "x"\nat = { rrule = "FREQ=SECONDLY", during = "a" }\n',
            12,
        ),
    }


def test_validate_before_an_edit_and_the_reload_after_it_agree(office: Office) -> None:
    far = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    office.campaign("tot", campaign("tot", ("tin", far, "Tốt")))
    checked = office.loa("validate")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    process = office.start()
    office.started(process)
    base = office.http_url()
    assert httpx.get(f"{base}/healthz", timeout=5).json()["refusals"] == []

    files = verdict_files(dt.datetime.now(dt.UTC))
    edits = office.root / "edits"
    edits.mkdir()
    for name, (text, _) in files.items():
        (edits / f"{name}.toml").write_text(text, "utf-8")
    (edits / "tot.toml").write_text(campaign("tot", ("tin", far, "Tốt")), "utf-8")
    before = office.loa("validate", "edits")  # the edit, checked before it is made
    assert before.returncode == 1, before.stdout
    said = before.stdout + before.stderr
    for name, (text, line) in files.items():
        assert f"edits/{name}.toml:{line}:" in said, said
        office.campaign(name, text)
    expected = sorted(f"campaigns/{name}.toml" for name in files)
    wait_for(
        lambda: httpx.get(f"{base}/healthz", timeout=5).json()["refused_files"] == expected,
        30,
        "the reload's verdict",
    )
    refusals = httpx.get(f"{base}/healthz", timeout=5).json()["refusals"]
    for refusal in refusals:  # the same words, file:line and reason
        name = refusal["file"].removeprefix("campaigns/").removesuffix(".toml")
        assert refusal["problem"].startswith(f"campaigns/{name}.toml:{files[name][1]}:"), refusal
        assert refusal["problem"].split(":", 2)[2] in said.replace("edits/", "campaigns/"), said
    after = office.loa("validate")
    assert after.returncode == 1 and all(
        f"campaigns/{n}.toml:{line}:" in after.stdout + after.stderr
        for n, (_, line) in files.items()
    )
    assert office.stop(process)[0] == 0
