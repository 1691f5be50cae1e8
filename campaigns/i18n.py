"""User-visible text in Vietnamese first, English on request.

Every sentence loa shows a person lives in one catalogue, keyed by a short code, so a message
is never written twice and a translation is never missing (a test checks both languages).
The language comes from ``LOA_LANG`` (``vi`` or ``en``) or from ``set_language``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

LANGUAGES = ("vi", "en")

_language = os.environ.get("LOA_LANG", "vi") if os.environ.get("LOA_LANG") in LANGUAGES else "vi"


def set_language(lang: str) -> None:
    global _language
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    _language = lang


def language() -> str:
    return _language


# code -> (Vietnamese, English)
CATALOG: Mapping[str, tuple[str, str]] = {
    # files
    "file_missing": ("không tìm thấy tệp hoặc thư mục", "no such file or folder"),
    "file_unreadable": ("không đọc được tệp: {reason}", "cannot read the file: {reason}"),
    "not_utf8": ("tệp không phải UTF-8", "the file is not UTF-8"),
    "not_utf8_hint": ("lưu lại tệp với mã hoá UTF-8", "save the file as UTF-8"),
    "toml_syntax": (
        "lỗi cú pháp TOML ở cột {column}: {reason}",
        "TOML syntax error at column {column}: {reason}",
    ),
    "toml_syntax_end": (
        "lỗi cú pháp TOML ở cuối tệp: {reason}",
        "TOML syntax error at the end of the file: {reason}",
    ),
    "toml_syntax_hint": (
        "kiểm tra dấu ngoặc kép, dấu bằng và tên bảng [..] trên dòng này",
        "check quotes, the equals sign and [table] names on this line",
    ),
    # tomllib's errors, translated (campaigns.report.toml_problem)
    "toml_unclosed_quote": (
        'chuỗi chưa đóng: thiếu dấu " trước khi hết dòng',
        'the string is not closed: a " is missing before the end of the line',
    ),
    "toml_unclosed_quote_hint": (
        'thêm dấu " ở cuối giá trị; văn bản nhiều dòng viết trong """ … """',
        'add the closing "; write text of several lines between """ … """',
    ),
    "toml_bad_character": (
        "ký tự {char} không được dùng ở đây",
        "character {char} is not allowed here",
    ),
    "toml_bad_character_hint": (
        "xoá ký tự này (thường do sao chép từ Word hay PDF); dấu tab trong văn bản viết \\t",
        "delete it (often copied from Word or a PDF); write a tab in text as \\t",
    ),
    "toml_expected_equals": ("sau tên khóa phải có dấu =", "expected '=' after the key"),
    "toml_bad_key": (
        "tên khóa có ký tự không hợp lệ",
        "the key has a character that is not allowed",
    ),
    "toml_key_hint": (
        'tên khóa chỉ gồm chữ không dấu, số, - và _, rồi đến dấu =, ví dụ title = "…"',
        'a key is ASCII letters, digits, - and _, then =, e.g. title = "…"',
    ),
    "toml_unclosed_array": ("danh sách [ … ] chưa đóng", "the list [ … ] is not closed"),
    "toml_unclosed_array_hint": (
        "thêm dấu ] sau phần tử cuối; các phần tử cách nhau bằng dấu phẩy",
        "add ] after the last item; separate the items with commas",
    ),
    "toml_unclosed_table": ("bảng { … } chưa đóng", "the table { … } is not closed"),
    "toml_unclosed_table_hint": (
        "thêm dấu }; bảng { … } viết trên một dòng, các cặp khóa = giá trị cách nhau bằng dấu phẩy",
        "add }; a { … } table stays on one line, its key = value pairs separated by commas",
    ),
    "toml_invalid_date": ("ngày giờ không hợp lệ", "the date or time is not valid"),
    "toml_invalid_date_hint": (
        "ngày giờ không có ngoặc kép phải viết 2026-12-15 hoặc 2026-12-15T08:00; dạng khác đặt "
        'trong ngoặc kép: "15/12/2026", "08:00"',
        "a date or time without quotes is written 2026-12-15 or 2026-12-15T08:00; put other "
        'forms in quotes: "15/12/2026", "08:00"',
    ),
    "toml_invalid_value": ("giá trị không hợp lệ", "the value is not valid"),
    "toml_invalid_value_hint": (
        'văn bản đặt trong dấu ngoặc kép, ví dụ description = "…"; số và true/false thì không',
        'put text in quotes, e.g. description = "…"; numbers and true/false need none',
    ),
    "toml_overwrite": ("khóa này đã có giá trị ở trên", "this key already has a value above"),
    "toml_overwrite_hint": (
        "mỗi khóa chỉ viết một lần trong một bảng; mỗi hoạt động, tin nhắn, hạn chót cần một [[…]] riêng",
        "write each key once per table; each activity, message and deadline needs its own [[…]]",
    ),
    "toml_declared_twice": (
        "bảng {key} được khai báo hai lần",
        "the table {key} is declared twice",
    ),
    "toml_declared_twice_hint": (
        "gộp hai bảng làm một; danh sách nhiều bảng viết [[…]]",
        "merge them into one; a list of tables is written [[…]]",
    ),
    "toml_unterminated": ("chuỗi chưa đóng đến hết tệp", "a string runs to the end of the file"),
    "toml_unterminated_hint": (
        'thêm dấu ngoặc kép đóng (" hoặc """)',
        'add the closing quotes (" or """)',
    ),
    "toml_trailing": ("còn ký tự thừa sau giá trị", "there is more after the value"),
    "toml_trailing_hint": (
        'mỗi dòng một khóa = giá trị; dấu " bên trong văn bản viết \\"; ngày như 15/12/2026 đặt '
        "trong ngoặc kép",
        'one key = value a line; a " inside text is written \\"; put dates such as 15/12/2026 in '
        "quotes",
    ),
    "toml_invalid_statement": (
        "dòng này không phải khóa = giá trị, [bảng] hay ghi chú #",
        "this line is not a key = value, a [table] or a # comment",
    ),
    "toml_unclosed_header": (
        "tên bảng thiếu {bracket} ở cuối",
        "the table name lacks {bracket} at its end",
    ),
    "toml_backslash": ("dấu \\ trong chuỗi phải viết \\\\", "a \\ in a string is written \\\\"),
    "toml_backslash_hint": (
        "hoặc đặt văn bản trong dấu nháy đơn '…'",
        "or put the text in single quotes '…'",
    ),
    "toml_too_deep": ("quá nhiều tầng [ ] hoặc { } lồng nhau", "too many nested [ ] or { }"),
    "no_campaign_files": ("không có tệp chiến dịch nào (*.toml)", "no campaign files (*.toml)"),
    # schema
    "unknown_key": ("khóa không được hỗ trợ", "unknown key"),
    "did_you_mean": ("có phải ý bạn là '{suggestion}'?", "did you mean '{suggestion}'?"),
    "allowed_keys": ("các khóa hợp lệ: {keys}", "allowed keys: {keys}"),
    "missing_key": ("thiếu khóa bắt buộc", "required key is missing"),
    "missing_key_top": (
        "thêm dòng {key} = … ở đầu tệp, trước bảng đầu tiên",
        "add a line {key} = … at the top of the file, before the first table",
    ),
    "missing_key_in": (
        "thêm dòng {key} = … vào {table} này",
        "add a line {key} = … to this {table}",
    ),
    "wrong_type": ("sai kiểu dữ liệu: cần {expected}", "wrong type: expected {expected}"),
    "empty_text": ("không được để trống", "must not be empty"),
    "bad_id": (
        "mã '{value}' không hợp lệ",
        "id '{value}' is not valid",
    ),
    "bad_id_hint": (
        "chỉ dùng chữ thường không dấu, số, '-' và '_', ví dụ: ngay-moi-truong",
        "use lowercase ASCII letters, digits, '-' and '_', e.g. world-environment-day",
    ),
    "duplicate_id": (
        "mã '{value}' bị trùng (đã dùng ở dòng {line})",
        "duplicate id '{value}' (first used on line {line})",
    ),
    "duplicate_campaign": (
        "mã chiến dịch '{value}' đã dùng trong {other}",
        "campaign id '{value}' is already used in {other}",
    ),
    "unknown_timezone": ("múi giờ '{value}' không tồn tại", "unknown time zone '{value}'"),
    "unknown_timezone_hint": ("ví dụ: Asia/Ho_Chi_Minh", "for example Asia/Ho_Chi_Minh"),
    # time expressions
    "bad_when": ("không hiểu thời điểm '{value}'", "cannot read the time '{value}'"),
    "bad_when_hint": (
        "dùng 15/12/2026, 'ngày 15 tháng 12 năm 2026', 2026-12-15, 'hằng năm 15/12', "
        "'âm lịch 10/03' hoặc '<mã hoạt động hay hạn chót> -7d 08:00'",
        "use 15/12/2026 (day/month/year), 2026-12-15, 'yearly 12-15', 'hằng năm 15/12', "
        "'lunar 03-10' or '<activity or deadline id> -7d 08:00'",
    ),
    "impossible_date": (
        "ngày {day:02d}/{month:02d} không tồn tại",
        "{day:02d}/{month:02d} is not a date",
    ),
    "impossible_date_hint": ("kiểm tra ngày và tháng", "check the day and the month"),
    "impossible_day": ("ngày {value} không tồn tại", "{value} is not a date"),
    "date_swapped_hint": (
        "ngày viết trước tháng: {suggestion}",
        "write the day before the month: {suggestion}",
    ),
    "year_digits": ("năm trong '{value}' cần đủ 4 chữ số", "the year in '{value}' needs 4 digits"),
    "year_digits_hint": ("ví dụ 15/12/2026", "for example 15/12/2026"),
    "ambiguous_date": (
        "'{value}' có thể là {first} hoặc {second}",
        "'{value}' could be {first} or {second}",
    ),
    "ambiguous_date_hint": (
        "viết {first} (ngày/tháng) nếu là {first_spoken}, hoặc {second} nếu là {second_spoken}",
        "write {first} (day/month) for {first_spoken}, or {second} for {second_spoken}",
    ),
    "month_first_date": (
        "sau 'yearly'/'lunar', '{value}' được đọc là tháng-ngày (MM-DD) nên không có ngày này",
        "after 'yearly'/'lunar', '{value}' reads as month-day (MM-DD), which is not a date",
    ),
    "month_first_date_hint": (
        "viết {day_month} (ngày/tháng, dấu /) hoặc {month_day} (tháng-ngày, dấu -)",
        "write {day_month} (day/month, with /) or {month_day} (month-day, with -)",
    ),
    "yearly_with_year": (
        "'hằng năm' không kèm năm: '{value}'",
        "'yearly' takes no year: '{value}'",
    ),
    "yearly_with_year_hint": (
        "bỏ năm ('hằng năm 15/12'), hoặc bỏ 'hằng năm' nếu chỉ một ngày ('15/12/2026')",
        "drop the year ('yearly 12-15'), or drop 'yearly' for one day ('15/12/2026')",
    ),
    "lunar_not_found": (
        "ngày âm lịch {value} không có trong năm đó",
        "the lunar date {value} does not occur that year",
    ),
    "lunar_not_found_hint": (
        "kiểm tra năm (1900–2099) và tháng nhuận",
        "check the year (1900–2099) and the leap month",
    ),
    "impossible_lunar": (
        "ngày âm lịch {day:02d}/{month:02d} không tồn tại",
        "lunar {day:02d}/{month:02d} is not a date",
    ),
    "impossible_lunar_hint": (
        "tháng âm lịch có 29 hoặc 30 ngày",
        "a lunar month has 29 or 30 days",
    ),
    "bad_time": ("giờ '{value}' không hợp lệ", "time '{value}' is not valid"),
    "bad_time_hint": ("viết HH:MM, ví dụ 08:00", "write HH:MM, e.g. 08:00"),
    "bad_offset": ("khoảng thời gian '{value}' không hợp lệ", "offset '{value}' is not valid"),
    "bad_offset_hint": (
        "viết như -7d, +1w, -2h, +30m (d: ngày, w: tuần, h: giờ, m: phút, s: giây)",
        "write like -7d, +1w, -2h, +30m (d days, w weeks, h hours, m minutes, s seconds)",
    ),
    "offset_too_large": (
        "khoảng lệch quá lớn (tối đa 366 ngày)",
        "offset too large (at most 366 days)",
    ),
    "bad_every": ("'every' phải là day, week hoặc month", "'every' must be day, week or month"),
    "bad_weekday": ("thứ '{value}' không hợp lệ", "weekday '{value}' is not valid"),
    "bad_weekday_hint": (
        "dùng mon, tue, wed, thu, fri, sat, sun",
        "use mon, tue, wed, thu, fri, sat, sun",
    ),
    "bad_monthday": ("ngày trong tháng phải từ 1 đến 31", "day of month must be 1 to 31"),
    "bad_rrule": ("RRULE không hợp lệ: {reason}", "RRULE is not valid: {reason}"),
    "bad_rrule_hint": (
        "xem RFC 5545, ví dụ FREQ=WEEKLY;BYDAY=MO",
        "see RFC 5545, e.g. FREQ=WEEKLY;BYDAY=MO",
    ),
    "rrule_needs_start": (
        "RRULE cần 'during' (mã hoạt động) hoặc 'start' (ngày bắt đầu)",
        "an RRULE needs 'during' (an activity id) or 'start' (a first date)",
    ),
    "repeat_needs_during": (
        "cần 'during': mã hoạt động chứa các lần lặp",
        "needs 'during': the activity the repeats fall in",
    ),
    "table_when_keys": (
        "bảng thời điểm dùng 'every' hoặc 'rrule' (cùng 'time', 'during', 'on', 'start', 'until')",
        "a time table uses 'every' or 'rrule' (with 'time', 'during', 'on', 'start', 'until')",
    ),
    "when_not_for_activity": (
        "hoạt động chỉ dùng một thời điểm mỗi năm (không dùng every/rrule/danh sách)",
        "an activity takes one time a year (no every/rrule/list)",
    ),
    "unknown_ref": ("không có hoạt động '{value}'", "there is no activity '{value}'"),
    "unknown_ref_or_deadline": (
        "không có hoạt động hay hạn chót '{value}'",
        "there is no activity or deadline '{value}'",
    ),
    "ref_is_deadline": (
        "'{value}' là một hạn chót, không phải hoạt động",
        "'{value}' is a deadline, not an activity",
    ),
    "ref_is_deadline_hint": (
        "chỉ tin nhắn (at) tính được theo hạn chót; ở đây hãy ghi ngày, ví dụ 'hằng năm 03/12'",
        "only a message's 'at' may be timed from a deadline; write a date here, e.g. 'yearly 12-03'",
    ),
    "during_is_deadline": (
        "'{value}' là một hạn chót, không có khoảng thời gian để lặp trong đó",
        "'{value}' is a deadline: it has no period to repeat within",
    ),
    "during_is_deadline_hint": (
        "during cần mã một hoạt động có start và end",
        "'during' needs an activity with a start and an end",
    ),
    "ref_is_message": (
        "'{value}' là một tin nhắn, không phải hoạt động hay hạn chót",
        "'{value}' is a message, not an activity or a deadline",
    ),
    "ref_is_message_hint": (
        "ghi thời điểm của tin này theo hoạt động hay hạn chót mà tin '{value}' dùng",
        "time this message from the activity or deadline that '{value}' uses",
    ),
    "ref_cycle": ("vòng lặp tham chiếu: {cycle}", "reference cycle: {cycle}"),
    "ref_cycle_hint": (
        "một hoạt động không thể tính theo chính nó",
        "an activity cannot be timed from itself",
    ),
    "end_not_recurring": (
        "hoạt động lặp lại hằng năm phải kết thúc trong năm đó",
        "an activity repeated every year must end within that year",
    ),
    "end_not_recurring_hint": (
        "dùng 'hằng năm DD/MM', 'âm lịch DD/MM' hoặc '<mã hoạt động này> +Nd' cho end",
        "use 'yearly MM-DD', 'lunar MM-DD' or '<this activity id> +Nd' for end",
    ),
    "end_before_start": ("kết thúc trước khi bắt đầu", "ends before it starts"),
    "bad_years": ("năm hoạt động '{value}' không hợp lệ", "active years '{value}' are not valid"),
    "bad_years_hint": (
        'viết "2024-2035", "2025-" hoặc [2024, 2025] (từ 1900 đến 2100)',
        'write "2024-2035", "2025-" or [2024, 2025] (1900 to 2100)',
    ),
    "bad_duration": ("thời lượng '{value}' không hợp lệ", "duration '{value}' is not valid"),
    "bad_duration_hint": ("ví dụ 1h, 30m, 2d", "for example 1h, 30m, 2d"),
    # channels and templates
    "unknown_channel": (
        "không có kênh '{value}' trong config.toml",
        "no channel '{value}' in config.toml",
    ),
    "unknown_target": (
        "kênh '{channel}' không có đích '{value}'",
        "channel '{channel}' has no target '{value}'",
    ),
    "known_units": ("các đơn vị đã khai báo: {names}", "the units declared: {names}"),
    "unknown_unit": (
        "không có đơn vị '{value}' trong danh sách đơn vị ([units] trong config.toml)",
        "there is no unit '{value}' in the units registry ([units] in config.toml)",
    ),
    "unknown_units_spec": (
        "kênh '{value}' không hợp lệ",
        "channel '{value}' is not valid",
    ),
    "units_spec_hint": (
        'viết "units", "units:lead" (đơn vị chủ trì) hoặc "units:partners" (đơn vị phối hợp)',
        'write "units", "units:lead" (the lead units) or "units:partners" (the partner units)',
    ),
    "units_no_registry": (
        '"units" gửi tới nhóm chat của các đơn vị, nhưng chưa có danh sách đơn vị',
        '"units" sends to the units\' chats, but there is no units registry',
    ),
    "units_registry_hint": (
        "khai báo các đơn vị và nhóm chat của họ trong config.toml: [units.<mã>]",
        "declare the units and their chats in config.toml: [units.<id>]",
    ),
    "units_free_text": (
        "gợi ý: các đơn vị đang được viết tự do; khai báo [units.<mã>] trong config.toml để "
        "gọi đúng tên, có lịch riêng cho mỗi đơn vị, nhắc tới nhóm chat và theo dõi báo cáo",
        "hint: units are free text; declare [units.<id>] in config.toml to name them "
        "reliably, give each its own feed, remind their chats and track their reports",
    ),
    "reports_folder_outside": (
        "thư mục báo cáo đột xuất không nằm trong thư mục chiến dịch nào",
        "the ad hoc reports folder is in no campaign folder",
    ),
    "reports_folder_hint": (
        "đặt nó trong một thư mục của [campaigns] paths để loa đọc các yêu cầu",
        "put it inside a folder of [campaigns] paths so that loa reads the requests",
    ),
    "unit_name_taken": (
        "tên '{value}' đã dùng cho đơn vị '{other}'",
        "the name '{value}' already belongs to unit '{other}'",
    ),
    "unit_chat_bad": (
        "nhóm chat '{value}' không hợp lệ",
        "chat '{value}' is not valid",
    ),
    "unit_chat_hint": (
        'viết "kênh:bí danh" hoặc "kênh:mã nhóm chat"; các kênh: {names}',
        'write "channel:alias" or "channel:chat id"; the channels: {names}',
    ),
    "known_channels": ("các kênh đã cấu hình: {names}", "configured channels: {names}"),
    "known_targets": ("các đích đã khai báo: {names}", "declared targets: {names}"),
    "no_channels": ("chưa có kênh nào để gửi", "there is no channel to send to"),
    "no_channels_hint": (
        "ghi 'channels' cho tin nhắn hoặc khai báo [channels.<tên>] trong config.toml",
        "set 'channels' on the message or declare [channels.<name>] in config.toml",
    ),
    "image_not_https": ("ảnh '{value}' phải dùng https://", "image '{value}' must use https://"),
    "image_missing": (
        "không tìm thấy ảnh '{value}' (JPG hoặc PNG, đường dẫn tính từ tệp chiến dịch)",
        "image '{value}' not found (JPG or PNG, path relative to the campaign file)",
    ),
    "image_hint": (
        "ghi đường dẫn tệp ảnh cạnh tệp chiến dịch, hoặc một địa chỉ https://",
        "give a file next to the campaign file, or an https:// address",
    ),
    "template_syntax": ("mẫu tin nhắn lỗi: {reason}", "template error: {reason}"),
    "template_unknown": (
        "mẫu dùng '{value}' nhưng không có giá trị này",
        "the template uses '{value}', which does not exist",
    ),
    "template_unknown_hint": ("có thể dùng: {names}", "available: {names}"),
    "template_too_long": ("tin nhắn dài {length} ký tự", "the message is {length} characters long"),
    "markup_html": (
        "thẻ HTML {tag} sẽ hiện nguyên văn trong tin nhắn",
        "the HTML tag {tag} will be shown as written in the message",
    ),
    "markup_html_hint": (
        "viết **đậm**, *nghiêng*, [chữ](https://…) (xem docs/campaign-files.md)",
        "write **bold**, *italic*, [text](https://…) (see docs/campaign-files.md)",
    ),
    # config
    "config_missing": ("không tìm thấy tệp cấu hình {path}", "config file {path} not found"),
    "config_missing_hint": (
        "tạo một tệp bằng: loa init <thư-mục>",
        "create one with: loa init <folder>",
    ),
    "bad_channel_type": (
        "loại kênh '{value}' không được hỗ trợ",
        "channel type '{value}' is not supported",
    ),
    "channel_needs": (
        "kênh loại {type} cần khóa '{key}'",
        "a {type} channel needs the key '{key}'",
    ),
    "bad_url": ("địa chỉ '{value}' không hợp lệ", "URL '{value}' is not valid"),
    "bad_port": (
        "cổng phải từ 0 đến 65535 (0: tự chọn)",
        "port must be 0 to 65535 (0: any free port)",
    ),
    "bad_feed_path": ("lịch '{value}' không hợp lệ", "feed '{value}' is not valid"),
    "bad_feed_path_hint": (
        'viết "all", "campaign/<mã>", "unit/<tên-đơn-vị>" hoặc "tag/<nhãn>"',
        'write "all", "campaign/<id>", "unit/<unit-slug>" or "tag/<tag>"',
    ),
    "bot_channel_type": (
        "kênh loại {type} không có bot để trả lời lệnh",
        "a {type} channel has no bot to answer commands",
    ),
    "bot_oa_webhook_only": (
        'Zalo OA chỉ gửi tin đến qua webhook: đặt mode = "webhook"',
        'a Zalo OA only pushes messages to a webhook: set mode = "webhook"',
    ),
    "bot_secret_missing": (
        "biến môi trường {env} (khoá bí mật của webhook) chưa được đặt",
        "the environment variable {env} (the webhook's secret) is not set",
    ),
    "bot_secret_form": (
        "khoá bí mật trong {env} phải dài 8–256 ký tự, chỉ gồm chữ không dấu, số, _ và -",
        "the secret in {env} must be 8–256 characters of A-Z, a-z, 0-9, _ and -",
    ),
    "bot_webhook_needs_http": (
        "webhook cần máy chủ HTTP của loa: đặt [http] enabled = true",
        "a webhook needs loa's HTTP server: set [http] enabled = true",
    ),
    "feed_token_missing": (
        "biến môi trường {env} (mã bí mật của lịch) chưa được đặt",
        "environment variable {env} (the feed's secret token) is not set",
    ),
    # CLI
    "validate_ok": (
        "Hợp lệ: {campaigns} chiến dịch trong {files} tệp.",
        "Valid: {campaigns} campaigns in {files} files.",
    ),
    "validate_failed": ("{count} lỗi trong các tệp.", "{count} problems in the files."),
    "bad_cli_date": (
        "ngày '{value}' không hợp lệ (viết YYYY-MM-DD)",
        "date '{value}' is not valid (write YYYY-MM-DD)",
    ),
    "range_reversed": ("--to phải sau --from", "--to must come after --from"),
    "unknown_campaign": ("không có chiến dịch '{value}'", "there is no campaign '{value}'"),
    "plan_empty": ("Không có gì trong khoảng thời gian này.", "Nothing in this period."),
    "init_exists": ("{path} đã có, không ghi đè", "{path} exists already; not overwritten"),
    "init_done": (
        "Đã tạo {path}. Tiếp theo: cd {dir} && loa validate && loa plan",
        "Created {path}. Next: cd {dir} && loa validate && loa plan",
    ),
    # daemon and outbox
    "running": (
        "[bold]loa đang chạy[/bold] · {campaigns} chiến dịch · {pending} tin đang chờ gửi · kênh: {channels}",
        "[bold]loa is running[/bold] · {campaigns} campaigns · {pending} messages waiting · channels: {channels}",
    ),
    "nothing_coming": ("  (chưa có tin nào trong thời gian tới)", "  (no messages coming up)"),
    "feeds_at": (
        "Lịch để đăng ký (iCalendar): {url}/",
        "Calendars to subscribe to (iCalendar): {url}/",
    ),
    "press_ctrl_c": ("Nhấn Ctrl+C để dừng.", "Press Ctrl+C to stop."),
    "syncing": ("Đang lập lịch", "Scheduling"),
    "already_running": (
        "Một tiến trình 'loa run' khác (pid {pid}) đang dùng cơ sở dữ liệu này ({path}). SQLite chỉ "
        "cho một tiến trình chạy; dừng tiến trình kia, hoặc dùng PostgreSQL để chạy nhiều tiến trình.",
        "Another 'loa run' (pid {pid}) is using this database ({path}). SQLite allows one; stop the "
        "other one, or use PostgreSQL to run several.",
    ),
    "port_in_use": (
        "không mở được cổng HTTP {host}:{port} ({reason}); đổi [http] port trong config.toml hoặc "
        "dừng chương trình đang dùng cổng này",
        "cannot open HTTP port {host}:{port} ({reason}); change [http] port in config.toml or stop "
        "the program using it",
    ),
    "channel_unsupported": (
        "kênh '{name}': loại '{type}' chưa gửi được trong phiên bản này của loa (hiện có: console, "
        "file, telegram, zalo_bot, zalo_oa); tạm thời xoá hoặc ghi chú bảng [channels.{name}] trong config.toml",
        "channel '{name}': type '{type}' cannot send in this version of loa yet (available: "
        "console, file, telegram, zalo_bot, zalo_oa); remove or comment out [channels.{name}] in config.toml for now",
    ),
    "missed_reason": (
        "quá thời gian cho phép gửi muộn (grace) sau khi loa ngừng chạy",
        "later than the campaign's grace period after loa was down",
    ),
    "retry_past_grace": (
        "lần thử lại tiếp theo đã quá thời gian cho phép gửi muộn (grace)",
        "the next try would be later than the campaign's grace period",
    ),
    "token_missing": (
        "biến môi trường {env} (token của kênh) chưa được đặt",
        "environment variable {env} (the channel's token) is not set",
    ),
    "zalo_refresh_invalid": (
        "Zalo từ chối refresh token đã lưu (đã dùng hoặc hết hạn); quản trị OA cần cấp quyền lại "
        "và đặt refresh token mới vào biến môi trường {env}",
        "Zalo refused the stored refresh token (used or expired); the OA admin must authorize "
        "again and put the new refresh token in {env}",
    ),
    "zalo_bot_image_url": (
        "Zalo Bot chỉ gửi được ảnh từ địa chỉ https://, không gửi tệp trên máy",
        "the Zalo Bot can only send images from an https:// address, not a local file",
    ),
    "targets_unresolved": ("không tìm thấy đích: {names}", "targets not found: {names}"),
    "telegram_forbidden": (
        "Telegram từ chối: bot bị chặn hoặc không có quyền gửi vào chat này ({reason})",
        "Telegram refused: the bot is blocked or may not post in this chat ({reason})",
    ),
    "telegram_token_rejected": (
        "Telegram không nhận token trong {env}: kiểm tra token, và base_url chỉ là gốc API "
        "(như https://api.telegram.org, không thêm /bot) ({reason})",
        "Telegram did not accept the token in {env}: check the token, and that base_url is the "
        "API root only (like https://api.telegram.org, without /bot) ({reason})",
    ),
    "telegram_migrated_twice": (
        "nhóm {address} đã chuyển thành siêu nhóm hai lần liên tiếp; kiểm tra lại mã nhóm",
        "group {address} was upgraded twice in a row; check the chat id",
    ),
    "gave_up": ("{reason} (đã thử {attempts} lần)", "{reason} (tried {attempts} times)"),
    "no_such_channel": (
        "không có kênh '{channel}' trong config.toml",
        "no channel '{channel}' in config.toml",
    ),
    "no_such_target": (
        "kênh '{channel}' không còn đích '{target}'",
        "channel '{channel}' has no target '{target}' any more",
    ),
    "duplicate_of": (
        "cuộc trò chuyện này nhận tin dưới khóa {key}: không gửi lần thứ hai",
        "this chat gets the message under {key}: not sent twice",
    ),
    "file_write_failed": ("không ghi được tệp {path}: {reason}", "cannot write {path}: {reason}"),
    "check_local": ("kênh cục bộ, không cần token", "local channel, no token needed"),
    "check_targets": ("{count} đích", "{count} targets"),
    "sent_one": ("Đã gửi {key} (biên nhận: {receipt}).", "Sent {key} (receipt: {receipt})."),
    "send_needs_target": (
        "kênh '{channel}' gửi tới một nhóm hoặc một người: ghi đích sau dấu hai chấm, ví dụ "
        'loa send {example} "…" (các đích đã khai báo: {names})',
        "channel '{channel}' sends to a group or a person: name the target after a colon, e.g. "
        'loa send {example} "…" (declared targets: {names})',
    ),
    "send_no_targets": (
        "kênh '{channel}' gửi tới một nhóm hoặc một người nhưng chưa có đích nào: khai báo mã "
        "nhóm (hoặc người) trong config.toml, mục [channels.{channel}.targets], ví dụ "
        'nhom-van-phong = "MÃ-NHÓM", rồi gửi bằng loa send {channel}:nhom-van-phong "…"',
        "channel '{channel}' sends to a group or a person but has no targets: declare the chat's "
        "id in config.toml under [channels.{channel}.targets], e.g. "
        'nhom-van-phong = "CHAT-ID", then send with loa send {channel}:nhom-van-phong "…"',
    ),
    "send_timeout": (
        "chưa có kết quả cho {key} sau 30 giây; xem 'loa deliveries'",
        "no result for {key} after 30 s; see 'loa deliveries'",
    ),
    "quota_plan_monthly": (
        "kênh {channel}: kế hoạch gửi {count} tin trong tháng {month}, vượt hạn mức {cap} tin/tháng",
        "channel {channel}: {count} messages planned in {month}, over the quota of {cap} a month",
    ),
    "quota_plan_user": (
        "kênh {channel}: đích {target} sẽ nhận {count} tin trong {when}, vượt hạn mức {cap}",
        "channel {channel}: target {target} would get {count} messages in {when}, over the quota of {cap}",
    ),
    "quota_monthly": (
        "đã dùng hết hạn mức {cap} tin/tháng của kênh {channel} ([channels.{channel}.quota] monthly)",
        "channel {channel} has used its quota of {cap} messages this month ([channels.{channel}.quota] monthly)",
    ),
    "quota_user_monthly": (
        "đích {target} đã nhận đủ {cap} tin trong tháng ([channels.{channel}.quota] per_user_monthly)",
        "target {target} has had its {cap} messages this month ([channels.{channel}.quota] per_user_monthly)",
    ),
    "quota_user_daily": (
        "đích {target} đã nhận đủ {cap} tin hôm nay ([channels.{channel}.quota] per_user_daily)",
        "target {target} has had its {cap} messages today ([channels.{channel}.quota] per_user_daily)",
    ),
    "col_state": ("Trạng thái", "State"),
    "col_count": ("Số tin", "Messages"),
    "col_attempts": ("Lần", "Tries"),
    "col_key": ("Khóa", "Key"),
    "col_note": ("Lỗi / biên nhận", "Error / receipt"),
    "next_due": ("Tin kế tiếp: {when} · {key}", "Next: {when} · {key}"),
    "possible_duplicates": (
        "[yellow]Có thể trùng lặp (gửi lại sau sự cố): {count} tin[/yellow]",
        "[yellow]Possible duplicates (sent again after a crash): {count}[/yellow]",
    ),
    "last_recovery": ("Lần khôi phục gần nhất: {text}", "Last recovery: {text}"),
    "recent_errors": ("Lỗi gần đây:", "Recent errors:"),
    "no_delivery": ("không có tin '{key}'", "no delivery '{key}'"),
    "delivery_in_state": ("tin '{key}' đang ở trạng thái {state}", "delivery '{key}' is {state}"),
    "retried": (
        "Đã đưa {count} tin vào hàng gửi lại.",
        "{count} deliveries queued to be sent again.",
    ),
    "retry_never": (
        "không gửi lại tin '{key}' vì tin này không bao giờ gửi được: {reason}",
        "not retrying '{key}', it can never be sent: {reason}",
    ),
    "retry_duplicate": (
        "không gửi lại tin '{key}': {reason}",
        "not retrying '{key}': {reason}",
    ),
    "cancelled_one": ("Đã huỷ {key}.", "Cancelled {key}."),
    "export_one_filter": (
        "chọn một trong --campaign, --unit, --tag",
        "choose one of --campaign, --unit, --tag",
    ),
    "export_unknown": ("không có {kind} '{value}'", "there is no {kind} '{value}'"),
    "export_known": (" (có: {names})", " (known: {names})"),
    "exported": ("Đã ghi {path} ({count} sự kiện).", "Wrote {path} ({count} events)."),
    "kind_activity": ("hoạt động", "activity"),
    "kind_message": ("tin nhắn", "message"),
    "kind_deadline": ("hạn chót", "deadline"),
    "col_when": ("Thời gian", "When"),
    "col_who": ("Ai", "Who"),
    "col_command": ("Lệnh", "Command"),
    "col_result": ("Kết quả", "Result"),
    "audit_empty": ("Nhật ký quản trị còn trống.", "The audit log is empty."),
    "bots_title": (
        "Bot trả lời lệnh ({subscriptions} lượt đăng ký nhận tin):",
        "Chat bots ({subscriptions} subscriptions):",
    ),
    "since": ("từ", "since"),
    "bots_listening": (
        "Bot trả lời lệnh (/help, /upcoming, /subscribe …): {names}",
        "Bots answering commands (/help, /upcoming, /subscribe …): {names}",
    ),
    "col_kind": ("Loại", "Kind"),
    "col_channels": ("Kênh", "Channels"),
    "plan_title": ("Kế hoạch {start} – {end}", "Plan {start} – {end}"),
    "plan_campaign": ("chiến dịch: {id}", "campaign: {id}"),
    "plan_lead": ("chủ trì: {unit}", "lead: {unit}"),
    "plan_unit_unknown": (
        "không có đơn vị '{value}'",
        "there is no unit '{value}'",
    ),
    "report_waiting": ("chưa nộp", "not yet submitted"),
    "report_submitted": ("đã nộp", "submitted"),
    "report_overdue": ("quá hạn", "overdue"),
    "report_count": ("Đã nộp: {done}/{total}", "Submitted: {done}/{total}"),
    "report_table_title": ("Tình trạng nộp báo cáo:", "Reports submitted:"),
    "report_escalation": (
        "⛔ Quá hạn: {unit} chưa nộp “{title}” (hạn {due}). Xem: /baocao {ref}",
        "⛔ Overdue: {unit} has not submitted “{title}” (due {due}). See: /baocao {ref}",
    ),
    "report_cancelled": (
        "{unit} đã nộp báo cáo",
        "{unit} has submitted the report",
    ),
    "report_unknown": (
        "không có hạn nộp báo cáo '{ref}' được theo dõi; viết mã hạn hoặc chiến-dịch:mã-hạn",
        "no tracked report deadline '{ref}'; write the deadline's id or campaign:deadline",
    ),
    "report_not_owed": (
        "đơn vị này không phải nộp '{ref}'; các đơn vị phải nộp: {units}",
        "this unit does not owe '{ref}'; the units that do: {units}",
    ),
    "report_unknown_unit_close": (
        "không có đơn vị '{value}'; có phải ý bạn là '{suggestion}'?",
        "there is no unit '{value}'; did you mean '{suggestion}'?",
    ),
    "report_unknown_unit": (
        "không có đơn vị '{value}'; các đơn vị: {names}",
        "there is no unit '{value}'; the units: {names}",
    ),
    "report_recorded": (
        "Đã ghi nhận: {unit} đã nộp “{title}” (hạn {due}); dừng {count} tin nhắc.",
        "Recorded: {unit} has submitted “{title}” (due {due}); {count} reminders stopped.",
    ),
    "report_status_title": ("{title} — hạn {due}", "{title} — due {due}"),
    "report_request_written": (
        "Đã tạo yêu cầu báo cáo đột xuất {id} trong {path}; đơn vị phải nộp: {units}",
        "Created the ad hoc report request {id} in {path}; units that owe it: {units}",
    ),
    "report_request_campaign": ("Báo cáo đột xuất: {title}", "Ad hoc report: {title}"),
    "report_request_exists": (
        "đã có tệp {path}; đặt --id khác",
        "{path} exists already; give another --id",
    ),
    "report_request_no_units": (
        "cần ít nhất một đơn vị: --units a,b",
        "at least one unit is needed: --units a,b",
    ),
    "reminder_default": (
        "Nhắc việc: {{ deadline.title }} — hạn chót {{ deadline.due }} (còn {{ days_left }} ngày).",
        "Reminder: {{ deadline.title }} is due {{ deadline.due }} ({{ days_left }} days left).",
    ),
    "deadline_title": ("Hạn: {title}", "Due: {title}"),
    "reminder_title": (
        "Nhắc: {title} (trước {days} ngày)",
        "Reminder: {title} ({days} days before)",
    ),
    # chat bots
    "bot_intro": (
        "Xin chào! Tôi là loa, trợ lý lịch chiến dịch truyền thông của cơ quan. "
        "Các lệnh bạn có thể dùng:",
        "Hello! I am loa, the office's campaign calendar assistant. Commands you can use:",
    ),
    "bot_help_campaigns": ("các chiến dịch đang và sắp diễn ra", "active and coming campaigns"),
    "bot_help_upcoming": (
        "các việc sắp tới: /upcoming 20 (20 việc) hoặc /upcoming 7d (7 ngày tới)",
        "what is coming: /upcoming 20 (20 items) or /upcoming 7d (the next 7 days)",
    ),
    "bot_help_today": ("các việc hôm nay", "today's items"),
    "bot_help_week": ("các việc trong tuần này", "this week's items"),
    "bot_help_campaign": (
        "thông tin một chiến dịch: /campaign MÃ",
        "one campaign in detail: /campaign ID",
    ),
    "bot_help_feed": (
        "đường dẫn lịch để đăng ký trên điện thoại: /feed hoặc /feed MÃ",
        "the calendar link to subscribe to on your phone: /feed or /feed ID",
    ),
    "bot_help_subscribe": (
        "nhận tin của một chiến dịch tại đây: /subscribe MÃ",
        "get a campaign's messages here: /subscribe ID",
    ),
    "bot_help_unsubscribe": ("thôi nhận tin: /unsubscribe MÃ", "stop them: /unsubscribe ID"),
    "bot_help_lang": ("đổi ngôn ngữ: /lang vi hoặc /lang en", "language: /lang vi or /lang en"),
    "bot_help_nop": (
        "báo đơn vị đã nộp báo cáo: /nop MÃ [ghi chú]",
        "say your unit has submitted a report: /nop ID [note]",
    ),
    "bot_help_baocao": (
        "ai đã nộp báo cáo: /baocao MÃ",
        "who has submitted a report: /baocao ID",
    ),
    "bot_help_status": (
        "số tin theo trạng thái và các lỗi gần nhất",
        "counts by state and the last failures",
    ),
    "bot_help_pause": (
        "tạm dừng gửi tin của một chiến dịch: /pause MÃ",
        "hold a campaign's messages: /pause ID",
    ),
    "bot_help_resume": (
        "gửi tiếp (tin đã quá hạn gửi bị bỏ qua): /resume MÃ",
        "send them again (those past their grace are missed): /resume ID",
    ),
    "bot_help_retry": ("gửi lại một tin: /retry KHOÁ", "send one delivery again: /retry KEY"),
    "bot_help_help": ("các lệnh của loa", "loa's commands"),
    "bot_internal_error": (
        "Xin lỗi, đã có lỗi khi trả lời lệnh này. Quản trị viên có thể xem nhật ký của loa.",
        "Sorry, something went wrong answering this. An admin can read loa's log.",
    ),
    "bot_admin_commands": ("Lệnh quản trị:", "Admin commands:"),
    "bot_not_a_command": (
        "Tôi chỉ hiểu các lệnh bắt đầu bằng dấu /. Gõ /help để xem danh sách lệnh.",
        "I understand commands that start with /. Send /help for the list.",
    ),
    "bot_unknown_command": (
        "Không có lệnh {command}. Gõ /help để xem danh sách lệnh.",
        "There is no {command} command. Send /help for the list.",
    ),
    "bot_did_you_mean": (" Có phải bạn muốn: {command}?", " Did you mean: {command}?"),
    "bot_no_campaigns": (
        "Hiện chưa có chiến dịch nào đang hoặc sắp diễn ra.",
        "No campaign is running or coming.",
    ),
    "bot_campaigns_title": ("Các chiến dịch đang và sắp diễn ra:", "Active and coming campaigns:"),
    "bot_campaign_more": (
        "Xem chi tiết: /campaign MÃ · nhận tin: /subscribe MÃ",
        "Details: /campaign ID · messages here: /subscribe ID",
    ),
    "bot_ongoing_until": ("đang diễn ra đến {date}", "under way until {date}"),
    "bot_starts": ("bắt đầu {date}", "starts {date}"),
    "bot_paused_mark": ("(đang tạm dừng)", "(paused)"),
    "bot_upcoming_usage": (
        "Cách dùng: /upcoming, /upcoming 20 (20 việc tới) hoặc /upcoming 7d (7 ngày tới).",
        "Usage: /upcoming, /upcoming 20 (the next 20 items) or /upcoming 7d (the next 7 days).",
    ),
    "bot_count_range": ("Số việc phải từ 1 đến {max}.", "The count must be from 1 to {max}."),
    "bot_days_range": ("Số ngày phải từ 1 đến {max}.", "The days must be from 1 to {max}."),
    "bot_upcoming_title": ("Các việc sắp tới:", "Coming up:"),
    "bot_today_title": ("Hôm nay, {date}:", "Today, {date}:"),
    "bot_week_title": ("Tuần này ({start} – {end}):", "This week ({start} – {end}):"),
    "bot_nothing_coming": ("Không có việc nào.", "Nothing scheduled."),
    "bot_list_cut": (
        "Chỉ hiện {count} việc đầu tiên; hỏi ít ngày hơn để xem hết.",
        "Only the first {count} items are shown; ask for fewer days to see them all.",
    ),
    "bot_next_items": ("Sắp tới:", "Coming up:"),
    "bot_period": ("Thời gian: {start} – {end}", "When: {start} – {end}"),
    "bot_leads": ("Chủ trì: {units}", "Lead: {units}"),
    "bot_partners": ("Phối hợp: {units}", "Partners: {units}"),
    "bot_campaign_actions": (
        "Nhận tin tại đây: /subscribe {id} · lịch: /feed {id}",
        "Messages here: /subscribe {id} · calendar: /feed {id}",
    ),
    "bot_deadline": ("Hạn:", "Due:"),
    "bot_feeds_off": (
        "Máy chủ này không công bố lịch (http.enabled = false).",
        "This server publishes no calendars (http.enabled = false).",
    ),
    "bot_all_campaigns": ("Tất cả chiến dịch", "All campaigns"),
    "bot_feed_private": (
        "Lịch “{title}” là lịch nội bộ; hãy hỏi quản trị viên đường dẫn riêng.",
        "The “{title}” calendar is private; ask an admin for its link.",
    ),
    "bot_feed": (
        "Lịch “{title}”: thêm đường dẫn này vào ứng dụng lịch (Thêm lịch → Từ URL):",
        "The “{title}” calendar: add this link in your calendar app (Add calendar → From URL):",
    ),
    "bot_feed_webcal": ("Hoặc mở trực tiếp trên điện thoại:", "Or open it on your phone:"),
    "bot_subscribe_usage": (
        "Cách dùng: /subscribe MÃ (xem mã bằng /campaigns).",
        "Usage: /subscribe ID (see the ids with /campaigns).",
    ),
    "bot_unsubscribe_usage": ("Cách dùng: /unsubscribe MÃ.", "Usage: /unsubscribe ID."),
    "bot_your_subscriptions": ("Bạn đang nhận tin của:", "You get messages from:"),
    "bot_subscribed": (
        "Đã đăng ký: tin của “{title}” sẽ được gửi tới đây. Thôi nhận: /unsubscribe {id}",
        "Subscribed: “{title}” messages will come here. To stop: /unsubscribe {id}",
    ),
    "bot_already_subscribed": (
        "Bạn đã đăng ký “{title}” rồi.",
        "You are already subscribed to “{title}”.",
    ),
    "bot_no_subscriber_messages": (
        "Lưu ý: chiến dịch này hiện chưa có tin nào gửi cho người đăng ký.",
        "Note: this campaign has no messages for subscribers yet.",
    ),
    "bot_not_subscribed": ("Bạn chưa đăng ký “{id}”.", "You are not subscribed to “{id}”."),
    "bot_unsubscribed": (
        "Đã huỷ đăng ký “{id}”: bạn sẽ không nhận tin của chiến dịch này nữa.",
        "Unsubscribed from “{id}”: no more of its messages will come here.",
    ),
    "bot_one_id": (
        "Cần đúng một mã chiến dịch: /{command} MÃ (xem mã bằng /campaigns).",
        "One campaign id is needed: /{command} ID (see the ids with /campaigns).",
    ),
    "bot_unknown_campaign": (
        "Không có chiến dịch “{id}”. Xem danh sách bằng /campaigns.",
        "There is no campaign “{id}”. See the list with /campaigns.",
    ),
    "bot_lang_usage": ("Cách dùng: /lang vi hoặc /lang en.", "Usage: /lang vi or /lang en."),
    "bot_lang_set": ("Đã chuyển sang tiếng Việt.", "Switched to English."),
    "bot_nop_usage": (
        "Cách dùng: /nop MÃ [ghi chú hoặc đường dẫn], ví dụ /nop bao-cao-pgi Đã gửi công văn số 12",
        "Usage: /nop ID [note or link], e.g. /nop bao-cao-pgi Sent as letter no. 12",
    ),
    "bot_nop_not_unit": (
        "Nhóm chat này không phải nhóm của đơn vị nào, nên không ghi nhận được. "
        "Hãy gửi /nop từ nhóm chat của đơn vị mình.",
        "This chat is no unit's chat, so nothing was recorded. Send /nop from your unit's chat.",
    ),
    "bot_nop_done": (
        "Đã ghi nhận: {unit} đã nộp “{title}” (hạn {due}) lúc {at}.",
        "Recorded: {unit} submitted “{title}” (due {due}) at {at}.",
    ),
    "bot_nop_again": (
        "Đã cập nhật: {unit} đã nộp “{title}” (hạn {due}), ghi lại lúc {at}.",
        "Updated: {unit} submitted “{title}” (due {due}), recorded again at {at}.",
    ),
    "bot_nop_note": ("Ghi chú: {note}", "Note: {note}"),
    "bot_nop_stopped": (
        "Đã dừng {count} tin nhắc tới đơn vị.",
        "{count} reminders to the unit were stopped.",
    ),
    "bot_baocao_usage": ("Cách dùng: /baocao MÃ", "Usage: /baocao ID"),
    "bot_baocao_title": ("{title} — hạn {due}", "{title} — due {due}"),
    "bot_not_admin": (
        "Xin lỗi, lệnh này chỉ dành cho quản trị viên.",
        "Sorry, this command is for admins only.",
    ),
    "bot_status_title": ("Tình trạng gửi tin:", "Delivery status:"),
    "bot_status_empty": ("Chưa có tin nào trong hàng đợi.", "The outbox is empty."),
    "bot_next_due": ("Tin kế tiếp: {when}", "Next due: {when}"),
    "bot_last_failures": ("Lỗi gần nhất:", "Last failures:"),
    "bot_paused": (
        "Đã tạm dừng “{id}”: {held} tin đang chờ được giữ lại. Gửi tiếp: /resume {id}",
        "Paused “{id}”: {held} waiting messages are held. To go on: /resume {id}",
    ),
    "bot_already_paused": ("“{id}” đang tạm dừng rồi.", "“{id}” is already paused."),
    "bot_not_paused": ("“{id}” không bị tạm dừng.", "“{id}” is not paused."),
    "bot_resumed": (
        "Đã gửi tiếp “{id}”: {resumed} tin sẽ được gửi, {missed} tin đã quá hạn nên bỏ qua.",
        "Resumed “{id}”: {resumed} messages will go out, {missed} were past their grace.",
    ),
    "bot_retry_usage": ("Cách dùng: /retry KHOÁ_TIN.", "Usage: /retry DELIVERY_KEY."),
    "bot_no_delivery": ("Không có tin với khoá “{key}”.", "No delivery has the key “{key}”."),
    "bot_cannot_retry": (
        "Tin “{key}” đang ở trạng thái {state}, không gửi lại được.",
        "Delivery “{key}” is {state}; it cannot be sent again.",
    ),
    "bot_retried": ("Sẽ gửi lại ngay: {key}", "Sending again now: {key}"),
    "missed_while_paused": (
        "chiến dịch tạm dừng quá thời gian cho phép gửi muộn",
        "its campaign was paused past the message's grace period",
    ),
}


def t(code: str, /, lang: str | None = None, **params: Any) -> str:
    """The sentence for ``code`` in the current (or given) language, filled with ``params``."""
    vi, en = CATALOG[code]
    text = en if (lang or _language) == "en" else vi
    return text.format(**params) if params else text
