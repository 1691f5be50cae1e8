"""Each class of mistake a person makes in a campaign file, and the line that tells them."""

import tomllib
from pathlib import Path

import pytest

from campaigns.loader import load_paths, parse_document
from campaigns.model import ChannelCatalog
from campaigns.report import toml_problem
from tests.helpers import CATALOG, HEAD, errors, parse

ACT = '[[activity]]\nid = "a"\ntitle = "Hoạt động"\nstart = "yearly 06-05"\n'


def one(text: str) -> str:
    found = errors(text)
    assert len(found) == 1, found
    return found[0]


def test_toml_syntax_error_has_line() -> None:
    assert one(HEAD + 'tags = ["a"\n').startswith("c.toml:3: lỗi cú pháp TOML")


def test_not_utf8() -> None:
    _, problems = parse_document(
        b'id = "c"\ntitle = "\xff"\n', Path("c.toml"), CATALOG, "Asia/Ho_Chi_Minh", "c.toml"
    )
    assert [str(p) for p in problems] == [
        "c.toml:2: tệp không phải UTF-8 (lưu lại tệp với mã hoá UTF-8)"
    ]


def test_unknown_key_did_you_mean() -> None:
    assert errors(HEAD + '[[activity]]\nid = "a"\ntitle = "x"\nstrat = "yearly 06-05"\n') == [
        "c.toml:6: activity[1].strat: khóa không được hỗ trợ (có phải ý bạn là 'start'?)",
    ]
    found = errors(
        HEAD + '[[activity]]\nid = "a"\ntitle = "x"\nstart = "yearly 06-05"\nlocaton = "Hà Nội"\n'
    )
    assert found == [
        "c.toml:7: activity[1].locaton: khóa không được hỗ trợ (có phải ý bạn là 'location'?)"
    ]


def test_a_misspelt_required_key_is_one_error_on_its_line() -> None:
    """'titel' is reported once, where it is written; not also as a missing 'title'."""
    assert errors('id = "c"\ntitel = "Chiến dịch"\n') == [
        "c.toml:2: titel: khóa không được hỗ trợ (có phải ý bạn là 'title'?)"
    ]
    text = HEAD + 'tags = ["a"]\n\n[[deadline]]\nid = "d"\ntitel = "Báo cáo"\ndue = "10/12"\n'
    assert errors(text) == [
        "c.toml:7: deadline[1].titel: khóa không được hỗ trợ (có phải ý bạn là 'title'?)"
    ]


def test_a_broken_item_is_not_reported_again_where_it_is_used() -> None:
    """An item with its own error (a misspelt key, a date that does not exist) is left out;
    the items timed from it or quoting it must not add a second, misleading error
    ("không có hoạt động …", "mẫu dùng 'activity' …") on another line."""
    use = '[[message]]\nid = "m"\nat = "a -1d 16:00"\ntext = "Ngày mai: {{ activity.title }}."\n'
    misspelt = HEAD + '[[activity]]\nid = "a"\ntitel = "x"\nstart = "yearly 06-05"\n' + use
    assert errors(misspelt) == [
        "c.toml:5: activity[1].titel: khóa không được hỗ trợ (có phải ý bạn là 'title'?)"
    ]
    bad_date = HEAD + '[[activity]]\nid = "a"\ntitle = "x"\nstart = "31/11/2026 14:00"\n' + use
    assert errors(bad_date) == [
        "c.toml:6: activity[1].start: ngày 31/11/2026 không tồn tại (kiểm tra ngày và tháng)"
    ]
    deadline = HEAD + '[[deadline]]\nid = "d"\ntitle = "Báo cáo"\ndue = "10/12"\nremnid = [1]\n'
    found = errors(deadline + use.replace('"a -1d', '"d -1d').replace("activity.title", "year"))
    assert found == [
        "c.toml:7: deadline[1].remnid: khóa không được hỗ trợ (có phải ý bạn là 'remind'?)"
    ]
    bad_due = deadline.replace("remnid = [1]", "remind = [1]").replace('"10/12"', '"31/11"')
    found = errors(bad_due + use.replace('"a -1d', '"d -1d').replace("activity", "deadline"))
    assert len(found) == 1 and "deadline[1].due" in found[0], found
    # an unknown reference is still reported
    assert "không có hoạt động hay hạn chót 'b'" in one(
        HEAD + ACT + use.replace('"a -1d', '"b -1d')
    )


def test_missing_key() -> None:
    assert one('title = "x"\n') == (
        "c.toml: id: thiếu khóa bắt buộc (thêm dòng id = … ở đầu tệp, trước bảng đầu tiên)"
    )
    assert one(HEAD + '[[message]]\nid = "m"\ntext = "x"\n') == (
        "c.toml:3: message[1].at: thiếu khóa bắt buộc (thêm dòng at = … vào [[message]] này)"
    )


def test_wrong_type() -> None:
    assert (
        one(HEAD + 'tags = "môi trường"\n')
        == "c.toml:3: tags: sai kiểu dữ liệu: cần danh sách [ ... ]"
    )
    assert one(HEAD + ACT.replace('title = "Hoạt động"', "title = 5")).startswith(
        "c.toml:5: activity[1].title: sai kiểu dữ liệu: cần văn bản"
    )


def test_impossible_date() -> None:
    assert one(HEAD + ACT.replace("yearly 06-05", "hằng năm 30/02")) == (
        "c.toml:6: activity[1].start: ngày 30/02 không tồn tại (kiểm tra ngày và tháng)"
    )
    assert "30/02" in one(HEAD + ACT.replace('"yearly 06-05"', '"2025-02-30"'))


def test_unknown_reference_did_you_mean() -> None:
    text = (
        HEAD
        + ACT.replace('"a"', '"le-phat-dong"')
        + '[[message]]\nid = "m"\nat = "le-phat-dog -1d"\ntext = "x"\n'
    )
    assert one(text) == (
        "c.toml:9: message[1].at: không có hoạt động hay hạn chót 'le-phat-dog' (có phải ý bạn là 'le-phat-dong'?)"
    )


def test_reference_cycle() -> None:
    text = (
        HEAD
        + '[[activity]]\nid = "a"\ntitle = "A"\nstart = "b +1d"\n'
        + '[[activity]]\nid = "b"\ntitle = "B"\nstart = "a -1d"\n'
    )
    found = one(text)
    assert "vòng lặp tham chiếu: a → b → a" in found and found.startswith(
        "c.toml:6: activity[1].start"
    )


def test_unknown_channel_and_target() -> None:
    text = (
        HEAD
        + '[[message]]\nid = "m"\nat = 2026-06-05\ntext = "x"\nchannels = ["telegarm", "telegram:nhom-v", "zalo:oa"]\n'
    )
    found = errors(text)
    assert found == [
        "c.toml:7: message[1].channels[1]: không có kênh 'telegarm' trong config.toml (có phải ý bạn là 'telegram'?)",
        "c.toml:7: message[1].channels[2]: kênh 'telegram' không có đích 'nhom-v' (có phải ý bạn là 'nhom-vp'?)",
    ]


def test_a_chat_channel_with_no_targets_cannot_be_named_alone() -> None:
    """``channels = ["telegram"]`` means every target of the channel; with none declared it
    names no chat, and Telegram would answer "chat_id is empty" at every send. The file is
    refused at the line, saying what to declare and what to write; a channel with targets, a
    console channel and "subscribers" stay fine alone."""
    catalog = ChannelCatalog(
        targets={"console": (), "telegram": (), "zalo": ("oa",)},
        defaults=("console",),
        needs_target=frozenset({"telegram", "zalo"}),
    )
    text = (
        HEAD
        + '[[message]]\nid = "m"\nat = 2026-06-05\ntext = "x"\n'
        + 'channels = ["console", "zalo", "subscribers", "telegram"]\n'
        + '[[deadline]]\nid = "d"\ntitle = "Báo cáo"\ndue = 2026-12-10\nremind = [1]\n'
        + 'channels = ["telegram"]\n'
    )
    assert errors(text, catalog) == [
        f"c.toml:{line}: {where}: kênh 'telegram' gửi tới một nhóm hoặc một người nhưng "
        "config.toml chưa khai báo đích nào cho kênh này (khai báo mã nhóm trong config.toml, "
        'mục [channels.telegram.targets], ví dụ nhom-van-phong = "MÃ-NHÓM", rồi ghi '
        '"telegram:nhom-van-phong"; hoặc ghi "subscribers" để gửi tới các nhóm đã /subscribe)'
        for line, where in [(7, "message[1].channels[4]"), (13, "deadline[1].channels[1]")]
    ]
    fine = HEAD + '[[message]]\nid = "m"\nat = 2026-06-05\ntext = "x"\nchannels = ["zalo"]\n'
    assert errors(fine, catalog) == []


def test_template_placeholder_that_does_not_exist() -> None:
    text = HEAD + ACT + '[[message]]\nid = "m"\nat = "a -1d"\ntext = "{{ activity.titel }}"\n'
    found = one(text)
    assert "mẫu dùng 'activity.titel'" in found and "title" in found
    text = HEAD + '[[message]]\nid = "m"\nat = 2026-06-05\ntext = "{{ activity.title }}"\n'
    assert "'activity'" in one(text)  # no activity tied to this message
    assert "mẫu tin nhắn lỗi" in one(
        HEAD + '[[message]]\nid = "m"\nat = 2026-06-05\ntext = "{{ x"\n'
    )


def test_vars_are_template_names() -> None:
    text = (
        HEAD
        + '[vars]\nchu_de = "Chống ô nhiễm nhựa"\n[[message]]\nid = "m"\nat = 2026-06-05\ntext = "{{ chu_de }}"\n'
    )
    assert errors(text) == []


def test_duplicate_ids() -> None:
    text = HEAD + ACT + ACT
    assert one(text) == "c.toml:8: activity[2].id: mã 'a' bị trùng (đã dùng ở dòng 4)"


def test_bad_id_and_timezone_and_years() -> None:
    found = errors(
        'id = "Chiến dịch"\ntitle = "x"\ntimezone = "Asia/Hanoi_City"\nyears = "2025-2020"\n'
    )
    assert len(found) == 3
    assert any("mã 'Chiến dịch' không hợp lệ" in f for f in found)
    assert any("múi giờ" in f for f in found)
    assert any("years" in f for f in found)


def test_end_before_start() -> None:
    text = HEAD + '[[activity]]\nid = "a"\ntitle = "A"\nstart = 2026-06-05\nend = 2026-06-01\n'
    assert one(text).endswith("activity[1].end: kết thúc trước khi bắt đầu")


def test_every_error_in_every_file_in_one_run(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(HEAD + 'tags = "x"\nsend_time = "25:00"\n', "utf-8")
    (tmp_path / "b.toml").write_text(
        'id = "c"\n[[activity]]\nid = "a"\ntitle = "A"\nstart = "yearly 02-30"\n', "utf-8"
    )
    (tmp_path / "c.toml").write_text("id = \n", "utf-8")
    result = load_paths([tmp_path], CATALOG)
    files = sorted({Path(p.file).name for p in result.errors})
    assert files == ["a.toml", "b.toml", "c.toml"]
    assert len(result.errors) == 5  # tags, send_time, title missing, 30/02, syntax
    assert result.campaigns == []


def test_duplicate_campaign_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(HEAD, "utf-8")
    (tmp_path / "b.toml").write_text(HEAD, "utf-8")
    result = load_paths([tmp_path], CATALOG)
    assert len(result.campaigns) == 1
    assert [p.message for p in result.errors] == [
        "mã chiến dịch 'c' đã dùng trong " + str(tmp_path / "a.toml")
    ]


def test_missing_path_reported(tmp_path: Path) -> None:
    result = load_paths([tmp_path / "khong-co"], CATALOG)
    assert [p.message for p in result.errors] == ["không tìm thấy tệp hoặc thư mục"]


@pytest.mark.parametrize("lang", ["en"])
def test_english_messages(lang: str) -> None:
    from campaigns.i18n import CATALOG as TEXTS
    from campaigns.i18n import set_language

    set_language(lang)
    try:
        assert "did you mean 'location'" in one(HEAD + ACT + 'locaton = "x"\n')
    finally:
        set_language("vi")
    assert all(vi.strip() and en.strip() for vi, en in TEXTS.values())


def test_image_must_exist_or_be_https(tmp_path: Path) -> None:
    (tmp_path / "anh.png").write_bytes(b"\x89PNG")
    base = HEAD + '[[message]]\nid = "m"\nat = 2026-06-05\ntext = "x"\n'
    path = tmp_path / "c.toml"
    for image, ok in (
        ("anh.png", True),
        ("https://example.org/a.png", True),
        ("khong-co.png", False),
        ("http://x/a.png", False),
    ):
        _, problems = parse_document(
            (base + f'image = "{image}"\n').encode(), path, CATALOG, "Asia/Ho_Chi_Minh", "c.toml"
        )
        assert (not problems) == ok, (image, problems)


@pytest.mark.parametrize(
    ("text", "vi", "en"),
    [
        (
            'title = "Chiến dịch\n',
            'c.toml:2: lỗi cú pháp TOML ở cột 20: chuỗi chưa đóng: thiếu dấu " trước khi hết dòng',
            'c.toml:2: TOML syntax error at column 20: the string is not closed: a " is missing '
            "before the end of the line",
        ),
        (
            'tiêu đề = "x"\n',
            "c.toml:3: lỗi cú pháp TOML ở cột 3: sau tên khóa phải có dấu =",
            "c.toml:3: TOML syntax error at column 3: expected '=' after the key",
        ),
        (
            'tags = ["a"\n',
            "c.toml:3: lỗi cú pháp TOML ở cuối tệp: danh sách [ … ] chưa đóng",
            "c.toml:3: TOML syntax error at the end of the file: the list [ … ] is not closed",
        ),
        (
            "[[activity]]\nstart = 2026-02-30\n",
            "c.toml:4: lỗi cú pháp TOML ở cột 9: ngày giờ không hợp lệ",
            "c.toml:4: TOML syntax error at column 9: the date or time is not valid",
        ),
        (
            "due = 15/12/2026\n",
            "c.toml:3: lỗi cú pháp TOML ở cột 9: còn ký tự thừa sau giá trị",
            "c.toml:3: TOML syntax error at column 9: there is more after the value",
        ),
        (
            "description = x\n",
            "c.toml:3: lỗi cú pháp TOML ở cột 15: giá trị không hợp lệ",
            "c.toml:3: TOML syntax error at column 15: the value is not valid",
        ),
        (
            'title = "y"\n',
            "c.toml:3: lỗi cú pháp TOML ở cột 12: khóa này đã có giá trị ở trên",
            "c.toml:3: TOML syntax error at column 12: this key already has a value above",
        ),
        (
            "[[activity]\n",
            "c.toml:3: lỗi cú pháp TOML ở cột 11: tên bảng thiếu ]] ở cuối",
            "c.toml:3: TOML syntax error at column 11: the table name lacks ]] at its end",
        ),
        (
            'description = """x\n',
            "c.toml:3: lỗi cú pháp TOML ở cuối tệp: chuỗi chưa đóng đến hết tệp",
            "c.toml:3: TOML syntax error at the end of the file: a string runs to the end of the file",
        ),
        (
            "a = 1 # \x01\n",
            "c.toml:3: lỗi cú pháp TOML ở cột 9: ký tự '\\x01' không được dùng ở đây",
            "c.toml:3: TOML syntax error at column 9: character '\\x01' is not allowed here",
        ),
    ],
)
def test_toml_syntax_errors_in_the_users_language(text: str, vi: str, en: str) -> None:
    """The parser's English is translated; line and column stay."""
    from campaigns.i18n import set_language

    file = 'id = "c"\n' + text if text.startswith('title = "Chiến') else HEAD + text
    assert one(file).startswith(vi + " (")
    set_language("en")
    try:
        assert one(file).startswith(en + " (")
    finally:
        set_language("vi")


def test_an_unknown_toml_error_keeps_the_parsers_words() -> None:
    error = tomllib.TOMLDecodeError("Something new (at line 4, column 2)")
    problem = toml_problem("c.toml", error, "a\nb\nc\nd\n")
    assert (problem.line, problem.message) == (
        4,
        "lỗi cú pháp TOML ở cột 2: Something new",
    )


def test_html_in_a_message_is_a_warning_that_names_the_markup() -> None:
    """The README once said texts go as HTML; a ``<b>`` is now shown as written, so the writer
    hears it from ``loa validate`` with the markup to use instead. The file stays valid."""
    text = HEAD + '[[message]]\nid = "m"\nat = 2026-06-05\ntext = "<b>Chú ý</b>: họp lúc 8h"\n'
    found, problems = parse(text, CATALOG)
    assert found is not None
    [warning] = [str(p) for p in problems if p.severity == "warning"]
    assert "thẻ HTML <b> sẽ hiện nguyên văn" in warning and "**đậm**" in warning
    plain = HEAD + '[[message]]\nid = "m"\nat = 2026-06-05\ntext = "**Chú ý**: 5 < 6"\n'
    assert parse(plain, CATALOG)[1] == []
