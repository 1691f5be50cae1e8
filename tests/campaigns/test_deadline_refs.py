"""A message timed from a deadline (issue 11, defect 7), and what stays unsupported, said plainly."""

from __future__ import annotations

import datetime as dt

from campaigns.expand import expand
from tests.helpers import HEAD, VN, campaign, errors, window

DEADLINE = (
    '[[deadline]]\nid = "bao-cao-ket-qua"\ntitle = "Báo cáo kết quả"\ndue = "hằng năm 10/12"\n'
    'lead = "Sở Tài nguyên và Môi trường"\n'
)


def test_a_message_timed_from_a_deadline() -> None:
    text = (
        HEAD
        + DEADLINE
        + '[[message]]\nid = "nhac-nop"\nat = "bao-cao-ket-qua -1d 15:00"\n'
        + 'text = "Mai hạn nộp {{ deadline.title }} ({{ deadline.due }}), còn {{ days_left }} ngày."\n'
    )
    found = expand(campaign(text), *window("2026-01-01", "2027-12-31")).messages
    assert [(m.key, m.due) for m in found] == [
        ("c:nhac-nop:2026", dt.datetime(2026, 12, 9, 15, tzinfo=VN)),
        ("c:nhac-nop:2027", dt.datetime(2027, 12, 9, 15, tzinfo=VN)),
    ]
    assert found[0].text == "Mai hạn nộp Báo cáo kết quả (Thứ Năm, 10/12/2026), còn 1 ngày."


def test_a_message_timed_from_a_deadline_that_follows_an_rrule() -> None:
    text = (
        HEAD
        + '[[deadline]]\nid = "bao-cao-quy"\ntitle = "Báo cáo quý"\n'
        + 'due = { rrule = "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=20", start = 2026-03-20 }\n'
        + '[[message]]\nid = "sau-han"\nat = "bao-cao-quy +10d"\ntext = "Tổng hợp báo cáo quý."\n'
    )
    # the deadline of 20 March lies before the window; its follow-up on 30 March does not
    found = expand(campaign(text), *window("2026-03-25", "2026-07-05")).messages
    assert [m.due.date() for m in found] == [dt.date(2026, 3, 30), dt.date(2026, 6, 30)]


def test_what_cannot_be_timed_from_a_deadline_says_so() -> None:
    text = (
        HEAD
        + DEADLINE
        + '[[activity]]\nid = "hop"\ntitle = "Họp"\nstart = "bao-cao-ket-qua -7d"\n'
        + '[[deadline]]\nid = "tong-hop"\ntitle = "Tổng hợp"\ndue = "bao-cao-ket-qua +5d"\n'
        + '[[message]]\nid = "m"\nat = { every = "day", during = "bao-cao-ket-qua" }\ntext = "x"\n'
        + '[[message]]\nid = "n"\nat = "m +1d"\ntext = "x"\n'
    )
    assert sorted(errors(text)) == [
        "c.toml:11: activity[1].start: 'bao-cao-ket-qua' là một hạn chót, không phải hoạt động "
        "(chỉ tin nhắn (at) tính được theo hạn chót; ở đây hãy ghi ngày, ví dụ 'hằng năm 03/12')",
        "c.toml:15: deadline[2].due: 'bao-cao-ket-qua' là một hạn chót, không phải hoạt động "
        "(chỉ tin nhắn (at) tính được theo hạn chót; ở đây hãy ghi ngày, ví dụ 'hằng năm 03/12')",
        "c.toml:18: message[1].at: 'bao-cao-ket-qua' là một hạn chót, không có khoảng thời gian "
        "để lặp trong đó (during cần mã một hoạt động có start và end)",
        "c.toml:22: message[2].at: 'm' là một tin nhắn, không phải hoạt động hay hạn chót "
        "(ghi thời điểm của tin này theo hoạt động hay hạn chót mà tin 'm' dùng)",
    ]
