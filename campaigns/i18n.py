"""User-visible text in Vietnamese first, English on request.

Every sentence loa shows a person lives in one catalogue, keyed by a short code, so a message
is never written twice and a translation is never missing (a test checks both languages).
The language is, in this order: ``LOA_LANG`` (``vi`` or ``en``) from the environment, then
config.toml's ``language``, then Vietnamese (``choose_language``); a person who sets ``LOA_LANG``
for one command must get it even when the office's config names a language.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

LANGUAGES = ("vi", "en")


def choose_language(configured: str | None) -> str:
    """``LOA_LANG`` if it names a language, else the config's (None: not set there), else vi."""
    for candidate in (os.environ.get("LOA_LANG"), configured):
        if candidate is not None and candidate in LANGUAGES:
            return candidate
    return "vi"


_language = choose_language(None)


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
    "toml_too_deep_hint": (
        "một giá trị chỉ cần vài tầng: xóa các dấu ngoặc thừa trên dòng này",
        "a value needs only a few levels: remove the extra brackets on this line",
    ),
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
    "duplicate_campaign_extends_hint": (
        "'{value}' là một chiến dịch có sẵn trong thư viện; để sửa nó cho cơ quan mình, ghi "
        'extends = "{value}" ở đầu tệp và chỉ giữ lại những gì thay đổi',
        "'{value}' is a ready library campaign; to adapt it for your office, write "
        'extends = "{value}" at the top of the file and keep only what changes',
    ),
    "library_ids": ("thư viện có: {ids}", "the library has: {ids}"),
    "unknown_library_campaign": (
        "thư viện không có chiến dịch '{value}'",
        "the library has no campaign '{value}'",
    ),
    "fix_in_office_file": (
        "phần này lấy từ thư viện: sửa trong {file}, bằng một mục cùng id hoặc remove",
        "this part comes from the library: fix it in {file}, with an item of the same id or remove",
    ),
    "remove_unknown": (
        "chiến dịch trong thư viện không có mục '{value}' để bỏ",
        "the library campaign has no item '{value}' to remove",
    ),
    "remove_needs_extends": (
        "remove chỉ dùng trong tệp có extends",
        "remove works only in a file with extends",
    ),
    "remove_needs_extends_hint": (
        'ghi extends = "mã chiến dịch trong thư viện" ở đầu tệp, hoặc xóa hẳn mục khỏi tệp',
        'write extends = "library campaign id" at the top of the file, or delete the item '
        "from the file itself",
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
    "bad_if_day_off": (
        "'if_day_off' không nhận '{value}'",
        "'if_day_off' does not take '{value}'",
    ),
    "bad_if_day_off_hint": (
        'dùng "giữ" (keep), "trước" (before) hoặc "sau" (after)',
        'use "keep" (giữ), "before" (trước) or "after" (sau)',
    ),
    "before_mixed_hint": (
        "viết 'trước' ở mọi ngày của danh sách, hoặc ở không ngày nào",
        "write 'before' on every date of the list, or on none",
    ),
    "before_moves_after": (
        "hạn 'trước' một ngày không thể dời sang ngày sau",
        "a deadline due 'before' a date cannot move to a later day",
    ),
    "before_moves_after_hint": (
        'bỏ \'if_day_off\', hoặc dùng "trước" hay "giữ"',
        'drop \'if_day_off\', or use "before" or "keep"',
    ),
    "no_working_day": (
        "không tìm thấy ngày làm việc nào gần {day}",
        "no working day found near {day}",
    ),
    "no_working_day_hint": (
        "kiểm tra [calendar] trong config.toml: weekend và days_off",
        "check [calendar] in config.toml: weekend and days_off",
    ),
    "working_days_mixed": (
        "không cộng ngày làm việc cùng khoảng lệch khác: '{value}'",
        "working days do not mix with other offsets: '{value}'",
    ),
    "working_days_mixed_hint": (
        "viết riêng, ví dụ 'han-nop -3 ngày làm việc' hoặc 'le-phat-dong +2wd 08:00'",
        "write it alone, e.g. 'report-due -3 working days' or 'launch +2wd 08:00'",
    ),
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
    "date_out_of_range": (
        "một thời điểm của mục này rơi ra ngoài lịch (năm 1 đến năm 9999)",
        "a moment of this item falls outside the calendar (years 1 to 9999)",
    ),
    "date_out_of_range_hint": (
        "dùng ngày trong khoảng năm {first} đến {last}",
        "use dates between the years {first} and {last}",
    ),
    "year_not_accepted": (
        "năm {year} nằm ngoài các năm loa nhận: từ năm {first} đến năm {last}",
        "the year {year} is outside the years loa accepts: {first} to {last}",
    ),
    "year_not_accepted_hint": (
        "viết một ngày từ 01/01/{first} đến 31/12/{last}; việc lặp lại không hẹn ngày hết "
        "thì bỏ 'until'",
        "write a date from {first}-01-01 to {last}-12-31; for a repetition with no last date, "
        "leave out 'until'",
    ),
    "too_many_occurrences": (
        "'{item}' xảy ra quá {limit} lần trong {days} ngày được lập lịch",
        "'{item}' occurs more than {limit} times within the {days} days being scheduled",
    ),
    "too_many_occurrences_hint": (
        "mỗi mục được tối đa {limit} lần: dùng FREQ thưa hơn (ví dụ FREQ=DAILY), "
        "thêm INTERVAL hoặc 'until'",
        "each item may occur at most {limit} times: use a sparser FREQ (e.g. FREQ=DAILY), "
        "add an INTERVAL or an 'until'",
    ),
    "expansion_too_slow": (
        "lập lịch tệp này mất quá {seconds} giây (dừng ở '{item}')",
        "scheduling this file took more than {seconds} s (stopped at '{item}')",
    ),
    "expansion_too_slow_hint": (
        "mục này cần quá nhiều bước: dùng 'start' gần hơn, FREQ thưa hơn hoặc mẫu tin ngắn hơn",
        "this item needs too many steps: use a later 'start', a sparser FREQ or a simpler template",
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
    "by_year_keys": (
        "trong by_year chỉ ghi {keys}",
        "by_year takes only {keys}",
    ),
    "by_year_needs_yearly": (
        "by_year chỉ thay được thời điểm hằng năm (hằng năm, âm lịch, thứ mấy của tháng)",
        "by_year can only replace a yearly time (yearly, lunar, a weekday of a month)",
    ),
    "by_year_needs_yearly_hint": (
        "ghi '{key}' dạng hằng năm, ví dụ \"hằng năm 25/05\", rồi ghi ngày riêng của từng năm "
        "trong by_year",
        "write '{key}' as a yearly time, e.g. \"yearly 05-25\", then each year's own date in "
        "by_year",
    ),
    "by_year_dates_only": (
        'trong by_year chỉ ghi ngày ("05/06", "05/06/2024", "âm lịch 10/03"), không '
        "ghi thời điểm tương đối hay lặp lại",
        'by_year takes dates ("05/06", "05/06/2024", "lunar 03-10"), not relative or '
        "repeated times",
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
        'viết "2024-2035", "2025-" hoặc [2024, 2025] (từ {first} đến {last})',
        'write "2024-2035", "2025-" or [2024, 2025] ({first} to {last})',
    ),
    # triggers: messages timed from an event
    "event_at_bad": (
        "thời điểm '{value}' không hợp lệ cho tin của sự kiện",
        "'{value}' is not a time for a message of an event",
    ),
    "event_at_hint": (
        'viết "event" (ngay khi có sự kiện), "event +2h", "event +1d 07:00" hoặc '
        '"ngày làm việc tiếp theo 08:00"',
        'write "event" (at once), "event +2h", "event +1d 07:00" or "the next working day 08:00"',
    ),
    "event_at_time_needs_days": (
        "'{value}': giờ cố định chỉ đi với số ngày tròn (ví dụ +1d 07:00)",
        "'{value}': a time of day goes with whole days only (for example +1d 07:00)",
    ),
    "event_at_before": (
        "'{value}' rơi vào trước sự kiện: tin của sự kiện chỉ gửi sau khi sự kiện xảy ra",
        "'{value}' falls before the event: an event's messages go out after it happened",
    ),
    "bad_event_type": (
        "tên loại sự kiện '{value}' không hợp lệ",
        "event type '{value}' is not valid",
    ),
    "bad_event_field": ("tên trường '{value}' không hợp lệ", "field name '{value}' is not valid"),
    "bad_event_field_hint": (
        "dùng chữ thường không dấu, số và dấu gạch dưới, ví dụ ten_bao",
        "use lower-case letters without accents, digits and underscores, for example ten_bao",
    ),
    "duplicate_event_field": (
        "trường '{value}' khai báo hai lần",
        "field '{value}' declared twice",
    ),
    "trigger_no_messages": ("sự kiện này không có tin nào", "this trigger has no message"),
    "trigger_no_messages_hint": (
        "thêm ít nhất một [[trigger.message]] với id, at, text",
        "add at least one [[trigger.message]] with id, at, text",
    ),
    "event_field_undeclared": (
        "mẫu tin dùng trường '{value}' của sự kiện, nhưng trường này chưa được khai báo",
        "the template uses the event field '{value}', which is not declared",
    ),
    "event_field_undeclared_hint": (
        'thêm "{value}" vào "fields" của [[trigger]] (đang có: {names})',
        'add "{value}" to the [[trigger]]\'s "fields" (declared now: {names})',
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
    "units_no_owner": (
        '"units" gửi tới các đơn vị của một hoạt động hoặc hạn chót, nhưng tin nhắn này không '
        "gắn với hoạt động hay hạn chót nào",
        '"units" sends to the units of an activity or deadline, but this message belongs to '
        "neither",
    ),
    "units_no_owner_hint": (
        'tính thời điểm "at" từ một hạn chót hoặc hoạt động, hoặc ghi "activity"',
        'time "at" from a deadline or an activity, or set "activity"',
    ),
    "trigger_units_field": (
        "kênh '{value}' không dùng được trong tin của sự kiện: sự kiện không có đơn vị chủ trì "
        "hay phối hợp",
        "channel '{value}' cannot be used in a message of an event: an event has no lead or "
        "partner units",
    ),
    "trigger_units_hint": (
        'gửi tới đơn vị mà sự kiện nêu tên bằng "units:<trường>", trường khai báo trong '
        '"fields" (ở đây: {names})',
        'send to the units the event names with "units:<field>", a field declared in "fields" '
        "(here: {names})",
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
    "channel_without_targets": (
        "kênh '{channel}' gửi tới một nhóm hoặc một người nhưng config.toml chưa khai báo đích "
        "nào cho kênh này",
        "channel '{channel}' sends to a group or a person, but config.toml declares no target "
        "for it",
    ),
    "channel_without_targets_hint": (
        "khai báo mã nhóm trong config.toml, mục [channels.{channel}.targets], ví dụ "
        'nhom-van-phong = "MÃ-NHÓM", rồi ghi "{channel}:nhom-van-phong"; hoặc ghi "subscribers" '
        "để gửi tới các nhóm đã /subscribe",
        "declare the chat's id in config.toml under [channels.{channel}.targets], e.g. "
        'nhom-van-phong = "CHAT-ID", then write "{channel}:nhom-van-phong"; or write '
        '"subscribers" for the chats that sent /subscribe',
    ),
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
    "image_bad_name": (
        "tên tệp ảnh '{value}' không dùng được: {reason}",
        "the image file name '{value}' cannot be used: {reason}",
    ),
    "activity_url_not_one_line": (
        "địa chỉ '{value}' không hợp lệ: phải nằm trên một dòng, không có khoảng trắng",
        "address '{value}' is not valid: it must be one line without spaces",
    ),
    "activity_url_hint": (
        "ví dụ: https://stnmt.tinh.gov.vn/tin-tuc",
        "for example https://stnmt.tinh.gov.vn/tin-tuc",
    ),
    "template_syntax": ("mẫu tin nhắn lỗi: {reason}", "template error: {reason}"),
    "template_unknown": (
        "mẫu dùng '{value}' nhưng không có giá trị này",
        "the template uses '{value}', which does not exist",
    ),
    "template_unknown_hint": ("có thể dùng: {names}", "available: {names}"),
    "template_too_long": ("tin nhắn dài {length} ký tự", "the message is {length} characters long"),
    "template_too_many_steps": (
        "mẫu tin nhắn cần quá {steps} bước (vòng lặp hoặc lời gọi): viết vòng lặp ngắn hơn",
        "the template needs more than {steps} steps (loop turns or calls): shorten its loops",
    ),
    "template_too_slow": (
        "mẫu tin nhắn chạy quá {seconds} giây: viết vòng lặp ngắn hơn",
        "the template runs for more than {seconds} s: shorten its loops",
    ),
    "template_value_too_long": (
        "giá trị quá dài (tối đa {limit} ký tự)",
        "a value too long (at most {limit} characters)",
    ),
    "template_exponent_too_large": ("số mũ quá lớn", "exponent too large"),
    "template_recursive_loop": (
        "không dùng được vòng lặp recursive",
        "recursive loops are not allowed",
    ),
    "template_too_deep": ("quá nhiều tầng lồng nhau", "too many nested levels"),
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
    "bad_proxy": ("'{value}' không phải địa chỉ IP", "'{value}' is not an IP address"),
    "bad_proxy_hint": (
        'ghi địa chỉ hoặc dải mạng của proxy, ví dụ "127.0.0.1" hoặc "10.0.0.0/8"',
        'write the proxy\'s address or network, e.g. "127.0.0.1" or "10.0.0.0/8"',
    ),
    "bad_port": (
        "cổng phải từ 0 đến 65535 (0: tự chọn)",
        "port must be 0 to 65535 (0: any free port)",
    ),
    "bad_weekend_day": (
        "ngày cuối tuần '{value}' không hợp lệ",
        "weekend day '{value}' is not valid",
    ),
    "bad_weekend_day_hint": (
        'dùng "thứ bảy", "chủ nhật" hoặc saturday, sunday, …',
        'use saturday, sunday, … or "thứ bảy", "chủ nhật"',
    ),
    "bad_calendar_day": ("ngày '{value}' không hợp lệ", "day '{value}' is not valid"),
    "bad_calendar_day_hint": (
        'viết một ngày có năm: 2027-02-08 hoặc "08/02/2027"',
        'write a day with its year: 2027-02-08 or "08/02/2027"',
    ),
    "calendar_file_bad": (
        "tệp ngày nghỉ {path} không đọc được: {reason}",
        "the holidays file {path} cannot be read: {reason}",
    ),
    "calendar_file_bad_hint": (
        "tệp TOML chỉ có days_off = [...] và working_days = [...]",
        "a TOML file with only days_off = [...] and working_days = [...]",
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
    "event_token_missing": (
        "biến môi trường {env} (mã bí mật của nguồn sự kiện) chưa được đặt",
        "environment variable {env} (the event source's secret token) is not set",
    ),
    "event_token_short": (
        "mã bí mật trong {env} phải dài ít nhất {min} ký tự, không có khoảng trắng ở hai đầu",
        "the token in {env} must be at least {min} characters, with no spaces around it",
    ),
    "event_token_hint": (
        "tạo một mã ngẫu nhiên, ví dụ: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
        "make a random one, for example: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
    ),
    "event_token_shared": (
        "nguồn '{other}' dùng cùng mã bí mật: mỗi nguồn cần mã riêng để biết ai gửi",
        "the source '{other}' has the same token: each source needs its own, to tell who sent",
    ),
    # CLI help (--help of every command, argument and option)
    "help_app": (
        "loa: lập lịch chiến dịch truyền thông cho cơ quan nhà nước (Zalo, Telegram, lịch iCalendar).",
        "loa: campaign and outreach scheduling for public agencies (Zalo, Telegram, iCalendar feeds).",
    ),
    "help_help": ("Hiện trợ giúp này rồi thoát.", "Show this message and exit."),
    "help_panel_arguments": ("Đối số", "Arguments"),
    "help_panel_options": ("Tùy chọn", "Options"),
    "help_panel_commands": ("Lệnh", "Commands"),
    "help_panel_error": ("Lỗi", "Error"),
    "help_default": ("[mặc định: {}]", "[default: {}]"),
    "help_required": ("[bắt buộc]", "[required]"),
    "help_try": (
        "Xem [blue]'{command_path} {help_option}'[/] để được trợ giúp.",
        "Try [blue]'{command_path} {help_option}'[/] for help.",
    ),
    "help_aborted": ("Đã dừng.", "Aborted."),
    "help_usage": ("Cách dùng: ", "Usage: "),
    "help_options_metavar": ("[TÙY CHỌN]", "[OPTIONS]"),
    "help_subcommand_metavar": ("LỆNH [ĐỐI SỐ]...", "COMMAND [ARGS]..."),
    "cmd_init": (
        "Tạo config.toml, một chiến dịch ví dụ và tài liệu cho một cơ quan mới.",
        "Write config.toml, an example campaign and the documentation for a new office.",
    ),
    "cmd_validate": (
        "Kiểm tra các tệp chiến dịch và báo mọi lỗi kèm tệp, dòng và khóa.",
        "Check campaign files and report every problem with its file, line and key.",
    ),
    "cmd_plan": (
        "Xem kế hoạch: hoạt động, tin nhắn và hạn chót trong khoảng ngày (mặc định 4 tuần tới).",
        "The plan: activities, messages and deadlines between two days (default: the next 4 weeks).",
    ),
    "cmd_run": (
        "Chạy loa: lập lịch và gửi tin đúng giờ cho đến khi nhấn Ctrl+C (SIGINT/SIGTERM).",
        "Run loa: schedule and send messages on time until Ctrl+C (SIGINT/SIGTERM).",
    ),
    "cmd_status": (
        "Tình hình hộp thư đi: số tin theo trạng thái, tin kế tiếp, lỗi gần đây.",
        "The outbox at a glance: messages by state, the next one due, recent errors.",
    ),
    "cmd_audit": (
        "Nhật ký lệnh quản trị: ai, lệnh gì, lúc nào, kết quả (mới nhất trước).",
        "The audit log of admin commands: who, what, when, result (newest first).",
    ),
    "cmd_pause": (
        "Tạm dừng gửi tin của một chiến dịch (các tin chờ được giữ lại).",
        "Hold a campaign's messages (waiting ones are kept).",
    ),
    "cmd_resume": (
        "Gửi tiếp một chiến dịch đã tạm dừng (tin quá thời gian cho phép bị bỏ qua).",
        "Send a paused campaign's messages again (those past their grace are missed).",
    ),
    "cmd_deliveries": (
        "Danh sách tin trong hộp thư đi, kèm trạng thái, số lần thử và biên nhận.",
        "The outbox's deliveries with their state, tries and receipt.",
    ),
    "cmd_retry": (
        "Gửi lại một tin (theo khóa) hoặc mọi tin lỗi (--failed), ngay bây giờ.",
        "Send one delivery (by key) or every failed one (--failed) again, now.",
    ),
    "cmd_approve": (
        "Duyệt tin đang chờ duyệt: một tin, một lần gửi (mọi đích) hoặc mọi tin của một chiến "
        "dịch trong một ngày.",
        "Approve what awaits approval: one delivery, one occurrence (all its targets) or all of "
        "a campaign on one day.",
    ),
    "cmd_reject": (
        "Từ chối tin đang chờ duyệt (kèm lý do); sửa nội dung thì tin được đưa duyệt lại.",
        "Reject what awaits approval (with a reason); an edit of its content asks again.",
    ),
    "arg_approval_key": (
        "khóa của tin (loa deliveries --state awaiting_approval) hoặc khóa lần gửi, không có "
        "@kênh:đích, để duyệt mọi đích",
        "the delivery's key (loa deliveries --state awaiting_approval), or the occurrence's key "
        "without @channel:target for all its targets",
    ),
    "opt_approval_campaign": (
        "mọi tin chờ duyệt của chiến dịch này trong một ngày",
        "everything of this campaign that awaits approval on one day",
    ),
    "opt_approval_date": (
        "ngày (05/06/2026 hoặc 2026-06-05; mặc định hôm nay)",
        "the day (05/06/2026 or 2026-06-05; default today)",
    ),
    "opt_approval_as": (
        "tên người dùng loa đang duyệt (vai trò phê duyệt hoặc quản trị)",
        "the loa user deciding (role approver or admin)",
    ),
    "opt_reject_reason": ("lý do từ chối (bắt buộc)", "why it is rejected (required)"),
    "approve_usage": (
        "ghi khóa của tin, hoặc --campaign MÃ [--date NGÀY], kèm --as TÊN; ví dụ: loa approve "
        "c:ngay:2026 --as lan",
        "give a key, or --campaign ID [--date DAY], with --as NAME; e.g. loa approve "
        "c:ngay:2026 --as lan",
    ),
    "cmd_cancel": ("Huỷ một tin chưa gửi.", "Cancel a delivery that has not been sent."),
    "cmd_trigger": (
        "Báo một sự kiện (ví dụ cảnh báo bão): bắt đầu chuỗi tin của nó, cập nhật hoặc huỷ.",
        "Report an event (a storm warning, say): start its sequence of messages, update or "
        "cancel it.",
    ),
    "cmd_events": ("Danh sách sự kiện đã nhận.", "The events received."),
    "arg_event_type": (
        "loại sự kiện, như trong [[trigger]] event = … (ví dụ canh-bao-bao)",
        "the event type, as [[trigger]] event = … names it (for example canh-bao-bao)",
    ),
    "opt_event_id": (
        "mã sự kiện: gửi lại cùng mã là cùng một sự kiện (mặc định: mã mới)",
        "the event's id: the same id again is the same event (default: a new one)",
    ),
    "opt_event_at": (
        "lúc xảy ra, ví dụ '15/12/2026 07:00' hoặc '07:00' (mặc định: bây giờ)",
        "when it happened, for example '15/12/2026 07:00' or '07:00' (default: now)",
    ),
    "opt_event_data": (
        "dữ liệu của sự kiện, dạng trường=giá_trị (lặp lại cho mỗi trường)",
        "the event's data as field=value (once per field)",
    ),
    "opt_event_cancel": (
        "huỷ sự kiện có mã này: dừng các tin còn chờ",
        "cancel the event with this id: stop its waiting messages",
    ),
    "opt_event_reason": ("lý do huỷ", "why it is cancelled"),
    "cmd_channels": ("Các kênh gửi tin đã cấu hình.", "The configured channels."),
    "cmd_channels_check": (
        "Kiểm tra từng kênh: token, kết nối tới nền tảng, các đích đã khai báo.",
        "Check every channel: its token, the platform's answer, the declared targets.",
    ),
    "cmd_send": (
        "Gửi thử một tin qua đúng đường đi của loa run (hộp thư đi, giới hạn, biên nhận).",
        "Send one test message the daemon's way (outbox, limits, receipt).",
    ),
    "cmd_export_ics": (
        "Xuất lịch iCalendar (.ics) của tất cả, một chiến dịch, một đơn vị hoặc một nhãn.",
        "Write an iCalendar (.ics) file of everything, one campaign, one unit or one tag.",
    ),
    "opt_config": ("tệp cấu hình config.toml", "the config.toml to use"),
    "arg_init_dir": ("thư mục cho cơ quan mới", "folder for the new office"),
    "arg_validate_paths": (
        "tệp hoặc thư mục chiến dịch (mặc định: theo config.toml)",
        "campaign files or folders (default: those of config.toml)",
    ),
    "opt_from": (
        "ngày đầu, YYYY-MM-DD (mặc định: hôm nay)",
        "first day, YYYY-MM-DD (default: today)",
    ),
    "opt_to": (
        "ngày cuối, YYYY-MM-DD (mặc định: 27 ngày sau ngày đầu)",
        "last day, YYYY-MM-DD (default: 27 days after the first)",
    ),
    "opt_campaign_only": ("chỉ chiến dịch có mã này", "only the campaign with this id"),
    "opt_format": ("table (bảng) hoặc json", "table or json"),
    "opt_audit_limit": ("số mục mới nhất", "the newest N entries"),
    "opt_audit_result": (
        "ok (thành công), refused (bị từ chối) hoặc error (lỗi)",
        "ok, refused or error",
    ),
    "arg_campaign_id": ("mã chiến dịch", "campaign id"),
    "opt_state": (
        "chỉ tin ở trạng thái: pending (đang chờ), sent (đã gửi), failed (lỗi), …",
        "only deliveries in this state: pending, sent, failed, …",
    ),
    "opt_limit": ("nhiều nhất bấy nhiêu tin (0: tất cả)", "at most this many (0: all)"),
    "arg_delivery_key": ("khóa của tin (xem loa deliveries)", "delivery key (see loa deliveries)"),
    "opt_failed": ("mọi tin lỗi", "every failed delivery"),
    "arg_send_where": ("KÊNH hoặc KÊNH:ĐÍCH", "CHANNEL or CHANNEL:TARGET"),
    "arg_send_text": ("nội dung tin nhắn", "the message"),
    "opt_output": ("tệp .ics sẽ ghi", "the .ics file to write"),
    "opt_export_campaign": ("một chiến dịch (mã)", "one campaign (id)"),
    "opt_unit": ("một đơn vị chủ trì hoặc phối hợp", "a lead or partner unit"),
    "opt_tag": ("một nhãn", "a tag"),
    "cmd_report": (
        "Báo cáo của các đơn vị: ai đã nộp, ghi nhận đã nộp, yêu cầu đột xuất.",
        "The units' reports: who has submitted, recording a submission, ad hoc requests.",
    ),
    "cmd_report_status": (
        "Bảng các đơn vị đã nộp, chưa nộp và quá hạn của một hạn nộp báo cáo.",
        "The units that have submitted, have not yet, or are overdue for a report deadline.",
    ),
    "cmd_report_submit": (
        "Ghi nhận một đơn vị đã nộp báo cáo; các tin nhắc tới đơn vị đó dừng lại.",
        "Record that a unit has submitted a report; the reminders to that unit stop.",
    ),
    "cmd_report_request": (
        "Tạo yêu cầu báo cáo đột xuất: một tệp chiến dịch nhỏ có hạn nộp, theo dõi từng đơn vị.",
        "Create an ad hoc report request: a small campaign file with a deadline tracked per unit.",
    ),
    "arg_report_ref": ("hạn nộp: MÃ hoặc chiến-dịch:MÃ", "the deadline: ID or campaign:ID"),
    "opt_report_unit": (
        "đơn vị, theo mã hoặc bất kỳ tên nào",
        "the unit, by id or any of its names",
    ),
    "opt_report_note": ("ghi chú hoặc đường dẫn", "a note or a link"),
    "arg_request_title": ("nội dung yêu cầu", "what is asked for"),
    "opt_request_due": ("ngày cuối, ví dụ 15/01/2027", "the last day, e.g. 15/01/2027"),
    "opt_request_units": ("các đơn vị phải nộp: a,b", "the units that owe it: a,b"),
    "opt_request_id": ("mã của yêu cầu", "the request's id"),
    "opt_request_remind": ("nhắc trước bao nhiêu ngày: 7,3,1", "days before to remind: 7,3,1"),
    "cmd_user": (
        "Người dùng trang web của loa và vai trò của họ.",
        "The people who use loa's web pages, and their roles.",
    ),
    "cmd_user_add": (
        "Thêm một người dùng; mật khẩu hỏi hai lần (hoặc đọc từ đầu vào chuẩn khi dùng ống dẫn).",
        "Add a person; the password is asked twice (or read from standard input in a pipe).",
    ),
    "cmd_user_list": ("Danh sách người dùng và vai trò.", "The people and their roles."),
    "cmd_user_remove": (
        "Xoá một người dùng; các phiên đăng nhập của họ kết thúc ngay.",
        "Remove a person; their sessions end at once.",
    ),
    "cmd_user_passwd": (
        "Đặt mật khẩu mới cho một người dùng; các phiên cũ của họ kết thúc.",
        "Set a person's new password; their sessions end.",
    ),
    "arg_user_name": ("tên đăng nhập", "the user name"),
    "opt_user_role": (
        "vai trò: viewer (xem), editor (biên tập), approver (phê duyệt), admin (quản trị)",
        "the role: viewer, editor, approver or admin",
    ),
    "user_password_prompt": ("Mật khẩu của {name}: ", "Password for {name}: "),
    "user_password_again": ("Nhập lại mật khẩu: ", "The password again: "),
    "user_password_mismatch": (
        "hai lần nhập mật khẩu không giống nhau; hãy chạy lại lệnh",
        "the two passwords differ; run the command again",
    ),
    "user_added": ("Đã thêm {name} với vai trò {role}.", "Added {name} as {role}."),
    "user_removed": ("Đã xoá {name}.", "Removed {name}."),
    "user_password_set": (
        "Đã đổi mật khẩu của {name}; các phiên đăng nhập cũ đã kết thúc.",
        "{name}'s password is changed; their old sessions have ended.",
    ),
    "user_none": (
        "Chưa có người dùng nào. Tạo quản trị viên đầu tiên: loa user add TÊN --role admin",
        "No one yet. Make the first admin: loa user add NAME --role admin",
    ),
    "user_bad_role": (
        "không có vai trò '{value}'; chọn một trong: {choices}",
        "there is no role '{value}'; choose one of: {choices}",
    ),
    "user_bad_name": (
        "tên đăng nhập '{value}' không dùng được: 1–64 chữ, số hoặc . _ @ + -, không có dấu cách",
        "the user name '{value}' cannot be used: 1–64 letters, digits or . _ @ + -, no spaces",
    ),
    "user_empty_password": (
        "mật khẩu trống; hãy nhập một mật khẩu",
        "the password is empty; type a password",
    ),
    "user_short_password": (
        "mật khẩu quá ngắn; cần ít nhất {count} ký tự",
        "the password is too short; use at least {count} characters",
    ),
    "user_exists": (
        "đã có người dùng '{name}' (đổi mật khẩu bằng: loa user passwd {name})",
        "there is already a user '{name}' (change the password with: loa user passwd {name})",
    ),
    "user_unknown": (
        "không có người dùng '{name}' (xem danh sách bằng: loa user list)",
        "there is no user '{name}' (see the list with: loa user list)",
    ),
    "col_user": ("Người dùng", "User"),
    "col_role": ("Vai trò", "Role"),
    "col_since": ("Từ ngày", "Since"),
    # CLI
    "validate_ok": (
        "Hợp lệ: {campaigns} chiến dịch trong {files} tệp.",
        "Valid: {campaigns} campaign(s) in {files} file(s).",
    ),
    "validate_failed": ("{count} lỗi trong các tệp.", "{count} problem(s) in the files."),
    "bad_day": ("không hiểu ngày '{value}'", "cannot read the date '{value}'"),
    "bad_moment": ("không hiểu thời điểm '{value}'", "cannot read the time '{value}'"),
    "day_without_year": ("ngày '{value}' thiếu năm", "the date '{value}' has no year"),
    "day_forms_hint": (
        "viết ngày trước tháng, đủ năm: 15/12/2026, 15-12-2026, 'ngày 15 tháng 12 năm 2026' "
        "hoặc 2026-12-15",
        "write the day before the month, with the year: 15/12/2026, 15-12-2026, "
        "'ngày 15 tháng 12 năm 2026' or 2026-12-15",
    ),
    "range_reversed": ("--to phải sau --from", "--to must come after --from"),
    "unknown_campaign": ("không có chiến dịch '{value}'", "there is no campaign '{value}'"),
    "unknown_campaign_cli": (
        "không có chiến dịch '{value}' (xem các mã chiến dịch bằng: loa plan)",
        "there is no campaign '{value}' (see the campaign ids with: loa plan)",
    ),
    "bad_choice": ("{option}: chọn {choices}", "{option}: choose {choices}"),
    "choices_or": ("{first} hoặc {last}", "{first} or {last}"),
    "cli_no_such_option": ("không có tùy chọn {name}", "there is no option {name}"),
    "cli_missing": ("thiếu {name}", "{name} is missing"),
    "cli_bad_value": ("giá trị của {name} không hợp lệ", "the value of {name} is not valid"),
    "cli_no_such_command": ("không có lệnh '{name}'", "there is no command '{name}'"),
    "cli_extra_arguments": ("thừa đối số: {names}", "arguments not expected: {names}"),
    "retry_usage": (
        "viết loa retry KHÓA (một tin) hoặc loa retry --failed (mọi tin lỗi)",
        "write loa retry KEY (one delivery) or loa retry --failed (every failed one)",
    ),
    "plan_empty": ("Không có gì trong khoảng thời gian này.", "Nothing in this period."),
    "init_exists": ("{path} đã có, không ghi đè", "{path} exists already; not overwritten"),
    "init_done": ("Đã tạo {path}.", "Created {path}."),
    "init_docs_done": (
        "Đã chép tài liệu của loa vào {path}/.",
        "Copied loa's documentation to {path}/.",
    ),
    "init_next": (
        "Tiếp theo: cd {dir} && loa validate && loa plan (tài liệu: {dir}/docs/)",
        "Next: cd {dir} && loa validate && loa plan (documentation: {dir}/docs/)",
    ),
    "init_next_no_docs": (
        "Tiếp theo: cd {dir} && loa validate && loa plan (trợ giúp: loa --help)",
        "Next: cd {dir} && loa validate && loa plan (help: loa --help)",
    ),
    "init_docs_pointer": ("Tài liệu: loa --help", "Documentation: loa --help"),
    # daemon and outbox
    "running": (
        "[bold]loa đang chạy[/bold] · {campaigns} chiến dịch · {pending} tin đang chờ gửi · kênh: {channels}",
        "[bold]loa is running[/bold] · {campaigns} campaigns · {pending} messages waiting · channels: {channels}",
    ),
    "running_follower": (
        "Một tiến trình khác đang dẫn đầu: nó lập lịch theo các tệp chiến dịch và chạy bot; "
        "tiến trình này gửi tin và sẽ nhận thay nếu tiến trình kia dừng.",
        "Another process leads: it schedules from the campaign files and runs the bots; this one "
        "sends messages and takes over if the other one stops.",
    ),
    # log lines in text form (JSON logs keep the English event for scripts): log_<event>
    "log_synced": ("đã lập lịch theo các tệp chiến dịch", "synced"),
    "log_dispatched": ("đã gửi một đợt", "dispatched"),
    "log_held_unapproved": (
        "giữ lại tin đến giờ mà chưa được duyệt",
        "held messages due and not approved",
    ),
    "log_escalated_overdue_reports": (
        "đã báo các đơn vị quá hạn nộp báo cáo",
        "escalated overdue reports",
    ),
    "log_holding_unapproved_messages_failed;_will_try_again": (
        "giữ lại tin chưa được duyệt không thành, sẽ thử lại",
        "holding unapproved messages failed; will try again",
    ),
    "log_escalating_overdue_reports_failed;_will_try_again": (
        "báo các đơn vị quá hạn không được; sẽ thử lại",
        "escalating overdue reports failed; will try again",
    ),
    "log_dispatch_failed;_will_try_again": (
        "gửi một đợt không được; sẽ thử lại",
        "dispatch failed; will try again",
    ),
    "log_campaign_files_changed;_reloading": (
        "tệp chiến dịch đã đổi; đang đọc lại",
        "campaign files changed; reloading",
    ),
    "log_campaign_sync_failed;_will_try_again": (
        "lập lịch theo các tệp chiến dịch không được; sẽ thử lại",
        "campaign sync failed; will try again",
    ),
    "log_recovered_deliveries_caught_in_flight_by_a_crash": (
        "đã xử lý các tin đang gửi dở khi tiến trình bị dừng đột ngột",
        "recovered deliveries caught in flight by a crash",
    ),
    "log_recording_outcomes;_the_database_is_busy,_trying_again": (
        "đang ghi kết quả gửi; cơ sở dữ liệu đang bận, sẽ thử lại",
        "recording outcomes; the database is busy, trying again",
    ),
    "log_http_listening": ("phần HTTP đang nhận kết nối", "http listening"),
    "log_stopping_with_sends_in_flight;_they_are_resolved_on_the_next_start": (
        "dừng khi còn tin đang gửi; lần chạy sau sẽ xử lý chúng",
        "stopping with sends in flight; they are resolved on the next start",
    ),
    "log_stopped": ("đã dừng", "stopped"),
    "log_event_taken": ("đã nhận một sự kiện qua HTTP", "event taken"),
    "log_event_not_stored": ("không lưu được sự kiện gửi qua HTTP", "event not stored"),
    "log_leader_gained": (
        "trở thành tiến trình dẫn đầu: lập lịch theo các tệp chiến dịch và chạy bot",
        "leader gained",
    ),
    "log_rate_shared": (
        "chia giới hạn tốc độ chung của mỗi kênh cho các tiến trình đang chạy",
        "rate shared",
    ),
    "log_leader_lost": (
        "mất quyền dẫn đầu (mất kết nối giữ khóa): ngừng lập lịch và ngừng bot",
        "leader lost",
    ),
    "log_wake-ups_not_heard;_listening_again": (
        "không nhận được tín hiệu đánh thức từ PostgreSQL; đang kết nối lại",
        "wake-ups not heard; listening again",
    ),
    "log_missed": ("bỏ lỡ: quá thời gian cho phép gửi muộn", "missed"),
    "log_failed": ("gửi lỗi", "failed"),
    "log_channel_error": ("lỗi kênh", "channel error"),
    "log_retrying": ("sẽ thử gửi lại", "retrying"),
    "log_chat_moved": ("cuộc trò chuyện đã chuyển sang mã mới", "chat moved"),
    "log_could_not_move_subscriptions": (
        "không chuyển được các đăng ký",
        "could not move subscriptions",
    ),
    "log_could_not_remember_a_new_chat_id": (
        "không ghi nhớ được mã mới của cuộc trò chuyện (tin vẫn đã gửi tới mã mới)",
        "could not remember a chat's new id (the message went to the new id all the same)",
    ),
    "log_bot_cannot_reach_its_platform": (
        "bot không kết nối được nền tảng",
        "bot cannot reach its platform",
    ),
    "log_bot_reaches_its_platform_again": (
        "bot đã kết nối lại được nền tảng",
        "bot reaches its platform again",
    ),
    "log_could_not_record_the_bot's_health": (
        "không ghi được tình trạng của bot",
        "could not record the bot's health",
    ),
    "log_could_not_answer_an_update": (
        "không trả lời được một tin nhắn gửi tới bot",
        "could not answer an update",
    ),
    "log_could_not_store_the_bot's_place": (
        "không lưu được vị trí đọc tin của bot",
        "could not store the bot's place",
    ),
    "log_command_failed": ("lệnh bị lỗi", "command failed"),
    "log_campaign_problem": ("lỗi trong tệp chiến dịch", "campaign problem"),
    "log_campaign_refused": (
        "tệp chiến dịch bị từ chối, phiên bản tốt trước vẫn chạy",
        "campaign refused",
    ),
    "log_alert": ("cảnh báo gửi quản trị viên", "alert"),
    "log_incident_not_recorded": ("không ghi được sự cố", "incident not recorded"),
    "log_statistics_not_refreshed": (
        "chưa cập nhật được thống kê của hàng đợi; chỉ chậm hơn, không mất gì",
        "statistics not refreshed",
    ),
    "log_peers_not_woken": (
        "chưa báo được các tiến trình khác; chúng sẽ tự xem lại hàng đợi",
        "peers not woken",
    ),
    "log_sending_alerts_failed;_will_try_again": (
        "gửi cảnh báo lỗi; sẽ thử lại",
        "sending alerts failed; will try again",
    ),
    "log_storage_fault": ("cơ sở dữ liệu không ghi được", "storage fault"),
    "log_storage_recovered": ("cơ sở dữ liệu đã ghi được trở lại", "storage recovered"),
    "log_starting": ("đang khởi động", "starting"),
    "log_reloading_campaign_files_(SIGHUP)": (
        "đọc lại các tệp chiến dịch (SIGHUP)",
        "reloading campaign files (SIGHUP)",
    ),
    "log_update_ignored": ("bỏ qua một tin nhắn gửi tới bot", "update ignored"),
    "log_reply_not_sent": ("không gửi được câu trả lời", "reply not sent"),
    "level_debug": ("gỡ-lỗi", "debug"),
    "level_info": ("thông-tin", "info"),
    "level_warning": ("cảnh-báo", "warning"),
    "level_error": ("lỗi", "error"),
    "level_critical": ("nghiêm-trọng", "critical"),
    "status_title": ("Tình hình loa", "loa status"),
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
    "store_unreachable": (
        "Không kết nối được cơ sở dữ liệu {url}: {reason}. Hãy kiểm tra url của mục database "
        "trong config.toml và máy chủ cơ sở dữ liệu có đang chạy không.",
        "Cannot reach the database {url}: {reason}. Check the database url in config.toml and "
        "that the database server is running.",
    ),
    "store_driver_missing": (
        "Thiếu thư viện {module} để mở cơ sở dữ liệu này; với PostgreSQL hãy cài: "
        ".venv/bin/pip install -e '.[postgres]'",
        "The library {module} that opens this database is missing; for PostgreSQL install it: "
        ".venv/bin/pip install -e '.[postgres]'",
    ),
    "schema_too_new": (
        "cơ sở dữ liệu này do một phiên bản loa mới hơn ghi (lược đồ {revision}, bản loa này "
        "không biết): nâng cấp loa lên bản mới hơn, hoặc khôi phục bản sao lưu cơ sở dữ liệu "
        "làm trước khi nâng cấp",
        "this database was written by a newer loa (schema {revision}, unknown to this loa): "
        "upgrade loa, or restore a backup of the database made before the upgrade",
    ),
    "port_in_use": (
        "không mở được cổng HTTP {host}:{port} ({reason}); đổi [http] port trong config.toml hoặc "
        "dừng chương trình đang dùng cổng này",
        "cannot open HTTP port {host}:{port} ({reason}); change [http] port in config.toml or stop "
        "the program using it",
    ),
    "storage_read_only": (
        "cơ sở dữ liệu {where} chỉ đọc được: cấp lại quyền ghi tệp và thư mục chứa nó cho người "
        "dùng chạy loa (chown/chmod), hoặc gắn lại ổ đĩa ở chế độ ghi được; loa tự gửi tiếp khi "
        "ghi được, không cần khởi động lại",
        "the database {where} is read-only: give the user running loa write permission on the "
        "file and its folder (chown/chmod), or remount the disk read-write; loa carries on by "
        "itself once it can write, no restart needed",
    ),
    "storage_disk_full": (
        "ổ đĩa chứa cơ sở dữ liệu {where} đã đầy: giải phóng dung lượng (nhật ký, bản sao lưu cũ) "
        "hoặc mở rộng ổ đĩa; loa tự gửi tiếp khi ghi được, không mất tin nào",
        "the disk holding the database {where} is full: free some space (old logs, backups) or "
        "grow the disk; loa carries on by itself once it can write, and loses no message",
    ),
    "storage_cannot_open": (
        "không mở được cơ sở dữ liệu {where}: kiểm tra tệp và thư mục chứa nó còn đó và người "
        "dùng chạy loa có quyền đọc, ghi; loa tự gửi tiếp khi mở được",
        "cannot open the database {where}: check that the file and its folder exist and that the "
        "user running loa may read and write them; loa carries on by itself once it can",
    ),
    "storage_io_error": (
        "lỗi đọc/ghi ổ đĩa ở cơ sở dữ liệu {where}: kiểm tra quyền ghi của tệp, ổ đĩa (dmesg) và "
        "dung lượng còn trống; loa tự gửi tiếp khi ghi được",
        "disk I/O error on the database {where}: check the file's write permission, the disk "
        "(dmesg) and its free space; loa carries on by itself once it can write",
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
    "missed_not_approved": (
        "chưa được duyệt khi hết thời gian cho phép gửi muộn (grace): không gửi",
        "not approved within the campaign's grace period: not sent",
    ),
    "missed_approved_late": (
        "được duyệt khi đã quá thời gian cho phép gửi muộn (grace): không gửi",
        "approved after the campaign's grace period had passed: not sent",
    ),
    "missed_added_late": (
        "được thêm vào khi thời điểm gửi đã qua quá thời gian cho phép gửi muộn (grace); "
        "vẫn muốn gửi thì chạy loa retry KEY",
        "added when its moment had passed by more than the campaign's grace period; "
        "to send it anyway, run loa retry KEY",
    ),
    "retry_past_grace": (
        "lần thử lại tiếp theo đã quá thời gian cho phép gửi muộn (grace)",
        "the next try would be later than the campaign's grace period",
    ),
    "token_missing": (
        "biến môi trường {env} (token của kênh) chưa được đặt",
        "environment variable {env} (the channel's token) is not set",
    ),
    "zalo_token_unsaved": (
        "Zalo đã cấp cặp token mới nhưng cơ sở dữ liệu chưa ghi được ({reason}); loa giữ cặp "
        "token này và sẽ ghi lại trước lần gửi sau. Hãy kiểm tra ổ đĩa và tệp cơ sở dữ liệu",
        "Zalo issued a new token pair but the database could not store it yet ({reason}); loa "
        "keeps the pair and stores it before the next send. Check the disk and database file",
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
    "telegram_chat_not_found": (
        "Telegram không tìm thấy chat này: kiểm tra mã nhóm trong [channels.….targets] của "
        "config.toml, và bot đã được thêm vào nhóm ({reason})",
        "Telegram does not know this chat: check the chat id in config.toml's "
        "[channels.….targets], and that the bot was added to the group ({reason})",
    ),
    "telegram_token_rejected": (
        "Telegram không nhận token trong {env}: kiểm tra token, và base_url chỉ là gốc API "
        "(như https://api.telegram.org, không thêm /bot)",
        "Telegram did not accept the token in {env}: check the token, and that base_url is the "
        "API root only (like https://api.telegram.org, without /bot)",
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
    "send_failed": ("Chưa gửi được {key}: {error}", "Not sent {key}: {error}"),
    "send_retrying": (
        "Chưa gửi được {key}: {error}. Tin sẽ được thử lại khi loa đang chạy (loa run); "
        "xem loa deliveries",
        "Not sent {key}: {error}. It is tried again while loa runs (loa run); see loa deliveries",
    ),
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
    # delivery states, audit results and bot states, as stored (the JSON keeps these codes)
    "state_pending": ("đang chờ", "pending"),
    "state_sending": ("đang gửi", "sending"),
    "state_sent": ("đã gửi", "sent"),
    "state_retrying": ("thử lại", "retrying"),
    "state_failed": ("lỗi", "failed"),
    "state_missed": ("bỏ lỡ", "missed"),
    "state_cancelled": ("đã hủy", "cancelled"),
    "state_held": ("tạm giữ", "held"),
    "state_awaiting_approval": ("chờ duyệt", "awaiting approval"),
    "audit_ok": ("thành công", "ok"),
    "audit_refused": ("bị từ chối", "refused"),
    "audit_error": ("lỗi", "error"),
    "audit_not_an_admin": ("không phải quản trị viên", "not an admin"),
    "audit_unknown_campaign": ("không có chiến dịch này", "unknown campaign"),
    "audit_wrong_password": ("sai tên đăng nhập hoặc mật khẩu", "wrong name or password"),
    "role_viewer": ("xem", "viewer"),
    "role_editor": ("biên tập", "editor"),
    "role_approver": ("phê duyệt", "approver"),
    "role_admin": ("quản trị", "admin"),
    # the web pages' sign-in (scheduler.http.auth)
    "web_signin_title": ("Đăng nhập", "Sign in"),
    "web_signin_name": ("Tên đăng nhập", "User name"),
    "web_signin_password": ("Mật khẩu", "Password"),
    "web_signin_submit": ("Đăng nhập", "Sign in"),
    "web_other_language": ("Tiếng Việt", "English"),
    "web_signout": ("Đăng xuất", "Sign out"),
    "web_signout_ask": ("Đăng xuất khỏi loa, {name}?", "Sign out of loa, {name}?"),
    "web_signin_wrong": (
        "Sai tên đăng nhập hoặc mật khẩu. Quên mật khẩu: nhờ quản trị viên chạy loa user passwd.",
        "Wrong user name or password. Forgot it: ask an admin to run loa user passwd.",
    ),
    "web_signin_throttled": (
        "Đã nhập sai mật khẩu quá nhiều lần trong một phút. Hãy đợi {seconds} giây rồi thử lại.",
        "Too many wrong passwords in a minute. Wait {seconds} seconds, then try again.",
    ),
    "web_signin_required": (
        "Cần đăng nhập: mở trang /signin.",
        "Sign-in required: open the /signin page.",
    ),
    "web_csrf_refused": (
        "Biểu mẫu đã hết hạn hoặc không đến từ trang của loa. Hãy tải lại trang rồi thử lại.",
        "The form has expired or did not come from loa's page. Reload the page and try again.",
    ),
    "web_form_too_large": ("Biểu mẫu quá lớn.", "The form is too large."),
    "web_role_refused": (
        "Việc này cần vai trò {role} trở lên; tài khoản {name} có vai trò {have}.",
        "This needs the {role} role or higher; {name} has the {have} role.",
    ),
    "health_state_ok": ("hoạt động", "ok"),
    "health_state_failing": ("đang lỗi", "failing"),
    "health_state_starting": ("đang khởi động", "starting"),
    "health_state_stopped": ("đã dừng", "stopped"),
    "health_mode_polling": ("hỏi tin định kỳ", "polling"),
    "health_mode_webhook": ("webhook", "webhook"),
    "col_state": ("Trạng thái", "State"),
    "col_count": ("Số tin", "Messages"),
    "col_attempts": ("Lần", "Tries"),
    "col_key": ("Khóa", "Key"),
    "col_note": ("Lỗi / biên nhận", "Error / receipt"),
    "deliveries_attempts": ("{count} lần thử", "{count} tries"),
    "deliveries_error": ("lỗi: {error}", "error: {error}"),
    "deliveries_receipt": ("biên nhận: {receipt}", "receipt: {receipt}"),
    "deliveries_none": (
        "Không có tin nào khớp với --state, --campaign đã chọn.",
        "No message matches the --state and --campaign given.",
    ),
    "status_empty": (
        "Hộp thư đi chưa có tin nào: loa chưa lập lịch với cơ sở dữ liệu này. Chạy 'loa run' để "
        "lập lịch và gửi tin đúng giờ, hoặc 'loa plan' để xem trước kế hoạch.",
        "No messages in the outbox yet: loa has not scheduled anything with this database. Run "
        "'loa run' to schedule and send them on time, or 'loa plan' to preview the plan.",
    ),
    "next_due": ("Tin kế tiếp: {when} · {key}", "Next: {when} · {key}"),
    "status_daemons": (
        "Tiến trình 'loa run' đang chạy ({count}):",
        "Running 'loa run' processes ({count}):",
    ),
    "status_daemon": (
        "  • {id} (máy {host}, pid {pid}) · {role} · chạy từ {since} · báo còn chạy lúc {seen}",
        "  • {id} (host {host}, pid {pid}) · {role} · running since {since} · last seen {seen}",
    ),
    "status_leader": ("dẫn đầu", "leader"),
    "status_follower": ("theo sau", "follower"),
    "status_no_daemon": (
        "[yellow]Không có tiến trình 'loa run' nào đang chạy: tin đến hạn chưa được gửi. Hãy chạy "
        "'loa run' (hoặc khởi động dịch vụ: systemctl start loa).[/yellow]",
        "[yellow]No 'loa run' is running: due messages are not being sent. Run 'loa run' (or "
        "start the service: systemctl start loa).[/yellow]",
    ),
    "status_no_leader": (
        "[yellow]Chưa tiến trình nào dẫn đầu: việc lập lịch và bot đang chờ; một tiến trình sẽ "
        "nhận trong vài giây.[/yellow]",
        "[yellow]No process leads yet: scheduling and the bots wait; one takes over within a few "
        "seconds.[/yellow]",
    ),
    "possible_duplicates": (
        "[yellow]Có thể trùng lặp (gửi lại sau sự cố): {count} tin[/yellow]",
        "[yellow]Possible duplicates (sent again after a crash): {count}[/yellow]",
    ),
    "storage_fault_status": (
        "Cơ sở dữ liệu không ghi được từ {since} ({reason}), loa chưa gửi được tin: {hint}",
        "The database cannot be written since {since} ({reason}), so loa sends nothing: {hint}",
    ),
    "last_recovery": (
        "Lần khôi phục gần nhất: {when}: {in_flight} tin đang gửi dở khi loa dừng đột ngột, "
        "{sent} đã gửi, {not_sent} chưa gửi, {duplicates} có thể bị gửi hai lần",
        "Last recovery: {when}: {in_flight} deliveries were in flight when loa stopped "
        "abruptly, {sent} had been sent, {not_sent} had not, {duplicates} may have gone twice",
    ),
    "recent_errors": ("Lỗi gần đây:", "Recent errors:"),
    "status_refused_files": (
        "Tệp chiến dịch bị từ chối (phiên bản tốt trước vẫn chạy; sửa tệp, kiểm tra bằng "
        "loa validate, loa đọc lại tự động):",
        "Campaign files refused (their previous good version keeps running; fix the file, "
        "check it with loa validate, loa reloads it by itself):",
    ),
    "no_delivery": ("không có tin '{key}'", "no delivery '{key}'"),
    "delivery_in_state": ("tin '{key}' đang ở trạng thái “{state}”", "delivery '{key}' is {state}"),
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
    "trigger_usage": (
        "ghi loại sự kiện (loa trigger canh-bao-bao …) hoặc --cancel MÃ, không ghi cả hai",
        "give an event type (loa trigger canh-bao-bao …) or --cancel ID, not both",
    ),
    "trigger_cancel_only": (
        "--cancel không đi cùng --id, --at hay --data",
        "--cancel goes without --id, --at or --data",
    ),
    "trigger_bad_data": (
        "--data '{value}' phải có dạng trường=giá_trị, ví dụ ten_bao=Yagi",
        "--data '{value}' must be field=value, for example ten_bao=Yagi",
    ),
    "trigger_data_twice": ("--data '{field}' ghi hai lần", "--data '{field}' is given twice"),
    "trigger_bad_at": ("--at '{value}': {reason}", "--at '{value}': {reason}"),
    "moment_forms_hint": (
        "viết ngày và giờ: '15/12/2026 07:00', '2026-12-15 07:00', hoặc chỉ giờ '07:00' (hôm nay)",
        "write a date and a time: '15/12/2026 07:00', '2026-12-15 07:00', or a time alone "
        "'07:00' (today)",
    ),
    "event_refused": ("Không nhận sự kiện: {reason}", "Event refused: {reason}"),
    "event_type_unknown": (
        "không có loại sự kiện '{value}' trong các tệp chiến dịch (các loại có: {names})",
        "no campaign file answers the event type '{value}' (the types there: {names})",
    ),
    "event_id_bad": (
        "mã sự kiện '{value}' không hợp lệ: dùng chữ thường không dấu, số, '-' và '_'",
        "event id '{value}' is not valid: use lower-case letters without accents, digits, "
        "'-' and '_'",
    ),
    "event_at_far": (
        "thời điểm của sự kiện phải có múi giờ và cách bây giờ không quá một năm",
        "the event's time must carry a time zone and lie within a year of now",
    ),
    "event_field_unknown": (
        "trường '{field}' không được khai báo cho loại sự kiện này (các trường: {names})",
        "field '{field}' is not declared for this event type (the fields: {names})",
    ),
    "event_field_missing": (
        "thiếu trường '{field}' (các trường cần có: {names})",
        "field '{field}' is missing (the fields it needs: {names})",
    ),
    "event_field_not_text": (
        "trường '{field}' phải là một chữ hoặc một số",
        "field '{field}' must be a text or a number",
    ),
    "event_field_too_long": (
        "trường '{field}' dài quá {limit} ký tự",
        "field '{field}' is longer than {limit} characters",
    ),
    "event_field_unit": (
        "trường '{field}': không có đơn vị '{value}' trong danh sách đơn vị {hint}",
        "field '{field}': there is no unit '{value}' in the units registry {hint}",
    ),
    "event_id_other_type": (
        "mã '{value}' đã dùng cho một sự kiện loại '{type}': chọn mã khác",
        "the id '{value}' belongs to an event of type '{type}': choose another id",
    ),
    "event_was_cancelled": (
        "sự kiện '{value}' đã bị huỷ: báo lại bằng một mã mới",
        "the event '{value}' was cancelled: report it again with a new id",
    ),
    "event_unknown": (
        "không có sự kiện '{value}' (xem loa events)",
        "there is no event '{value}' (see loa events)",
    ),
    "event_started": (
        "Đã nhận sự kiện {id} ({type}): {count} tin đang chờ gửi.",
        "Event {id} ({type}) received: {count} message(s) waiting to be sent.",
    ),
    "event_unchanged": (
        "Sự kiện {id} ({type}) đã nhận trước đó: không có gì mới ({count} tin đang chờ).",
        "Event {id} ({type}) was received before: nothing new ({count} message(s) waiting).",
    ),
    "event_updated": (
        "Đã cập nhật sự kiện {id} ({type}): {count} tin đang chờ, {cancelled} tin bỏ.",
        "Event {id} ({type}) updated: {count} message(s) waiting, {cancelled} dropped.",
    ),
    "event_cancelled": (
        "Đã huỷ sự kiện {id} ({type}): dừng {cancelled} tin đang chờ.",
        "Event {id} ({type}) cancelled: {cancelled} waiting message(s) stopped.",
    ),
    "event_unscheduled": (
        "Có tin không gửi được, quản trị viên đã được báo: {problems}.",
        "Some messages will not go out, and the admins have been told: {problems}.",
    ),
    "event_no_chat": (
        "tin '{message}' không tới nhóm chat nào (đơn vị trong dữ liệu chưa có nhóm chat, hoặc "
        "kênh chưa có đích)",
        "message '{message}' reaches no chat (a unit in the data has no chat, or the channel "
        "no target)",
    ),
    "event_not_rendered": (
        "tin '{message}' không tạo được nội dung: {reason}",
        "message '{message}' could not be written: {reason}",
    ),
    "event_updated_reason": (
        "sự kiện được cập nhật, không còn cần tin này",
        "the event was updated and no longer needs this message",
    ),
    "event_cancel_default_reason": ("huỷ bởi {who}", "cancelled by {who}"),
    "events_none": ("Chưa có sự kiện nào.", "No event yet."),
    "event_state_active": ("đang diễn ra", "active"),
    "event_state_cancelled": ("đã huỷ", "cancelled"),
    "events_sent_by": ("từ {source} ({who})", "from {source} ({who})"),
    "events_unauthorized": (
        "thiếu mã bí mật hoặc mã không đúng: gửi tiêu đề 'Authorization: Bearer <mã của nguồn>' "
        "(biến token_env của nguồn trong [events.sources] ở config.toml)",
        "the token is missing or wrong: send the header 'Authorization: Bearer <the source's "
        "token>' (the variable token_env of its [events.sources] table in config.toml)",
    ),
    "events_too_large": (
        "nội dung dài quá {limit} byte: một sự kiện chỉ gồm mã, thời điểm và vài trường ngắn",
        "the body is longer than {limit} bytes: an event is an id, a time and a few short fields",
    ),
    "events_not_json": (
        "nội dung phải là JSON: gửi tiêu đề 'Content-Type: application/json'",
        "the body must be JSON: send the header 'Content-Type: application/json'",
    ),
    "events_bad_json": (
        "nội dung không đọc được là JSON (UTF-8)",
        "the body cannot be read as JSON (UTF-8)",
    ),
    "events_not_object": (
        'nội dung phải là một đối tượng JSON: {{"id": "…", "at": "…", "data": {{…}}}}',
        'the body must be a JSON object: {{"id": "…", "at": "…", "data": {{…}}}}',
    ),
    "events_key_unknown": (
        "khóa '{field}' không dùng ở đây (các khóa: {names}; dữ liệu đặt trong 'data')",
        "the key '{field}' has no meaning here (the keys: {names}; put the data in 'data')",
    ),
    "events_id_required": (
        "thiếu 'id': mỗi sự kiện cần một mã, để gửi lại không thành hai sự kiện",
        "'id' is missing: each event needs one, so that sending it again is not a second event",
    ),
    "events_not_text": ("'{field}' phải là một chuỗi", "'{field}' must be a string"),
    "events_at_bad": (
        "'at' phải là thời điểm ISO 8601 có múi giờ, ví dụ 2026-09-06T07:00:00+07:00",
        "'at' must be an ISO 8601 time with its zone, for example 2026-09-06T07:00:00+07:00",
    ),
    "events_data_not_object": (
        '\'data\' phải là một đối tượng JSON, ví dụ {{"ten_bao": "Yagi"}}',
        '\'data\' must be a JSON object, for example {{"ten_bao": "Yagi"}}',
    ),
    "events_not_stored": (
        "chưa lưu được sự kiện (cơ sở dữ liệu lỗi), không có gì được ghi: hãy gửi lại sau ít phút",
        "the event could not be stored (a database error) and nothing was written: send it "
        "again in a few minutes",
    ),
    "export_one_filter": (
        "chọn một trong --campaign, --unit, --tag",
        "choose one of --campaign, --unit, --tag",
    ),
    "export_unknown": ("không có {kind} '{value}'", "there is no {kind} '{value}'"),
    "feed_kind_campaign": ("chiến dịch", "campaign"),
    "feed_kind_unit": ("đơn vị", "unit"),
    "feed_kind_tag": ("nhãn", "tag"),
    # the pages (scheduler/http/pages.py and its templates)
    "page_title": ("Lịch chiến dịch", "Campaign calendar"),
    "page_skip": ("Bỏ qua, đến nội dung chính", "Skip to the main content"),
    "page_nav": ("Các trang", "Pages"),
    "page_other_language": ("English", "Tiếng Việt"),
    "page_calendar": ("Lịch", "Calendar"),
    "page_campaigns": ("Chiến dịch", "Campaigns"),
    "page_deliveries": ("Nhật ký gửi tin", "Delivery log"),
    "page_status": ("Tình trạng", "Status"),
    "page_feeds": ("Đăng ký lịch", "Subscribe"),
    "page_feeds_heading": ("Đăng ký lịch chiến dịch", "Subscribe to the campaign calendars"),
    "page_feeds_intro": (
        "Bấm “Đăng ký” để thêm lịch vào Google Calendar, Outlook, Apple Calendar hoặc "
        "Thunderbird; lịch tự cập nhật. Liên kết .ics dùng để dán vào ứng dụng lịch.",
        "Press “Subscribe” to add a calendar to Google Calendar, Outlook, Apple Calendar or "
        "Thunderbird; it updates by itself. Paste the .ics link into a calendar app.",
    ),
    "page_feed_all": ("Tất cả chiến dịch", "All campaigns"),
    "page_feed_campaign": ("{name}", "{name}"),
    "page_feed_unit": ("Đơn vị: {name}", "Unit: {name}"),
    "page_feed_tag": ("Nhãn: {name}", "Tag: {name}"),
    "page_subscribe": ("Đăng ký", "Subscribe"),
    "page_feed": ("Lịch (iCalendar)", "Calendar feed"),
    "page_calendar_heading": ("Lịch tháng {month}/{year}", "Calendar for {month}/{year}"),
    "page_months": ("Chuyển tháng", "Other months"),
    "page_previous_month": ("Tháng trước", "Previous month"),
    "page_this_month": ("Tháng này", "This month"),
    "page_next_month": ("Tháng sau", "Next month"),
    "page_until": ("đến {day}", "until {day}"),
    "page_agenda_week": ("Theo ngày, tuần {first} – {last}", "Day by day, week {first} – {last}"),
    "page_weeks": ("Chuyển tuần", "Other weeks"),
    "page_previous_week": ("Tuần trước", "Previous week"),
    "page_next_week": ("Tuần sau", "Next week"),
    "page_more": ("và {n} mục nữa", "and {n} more"),
    "page_kind_activity": ("hoạt động", "activity"),
    "page_kind_period": ("đợt", "period"),
    "page_kind_deadline": ("hạn", "deadline"),
    "page_kind_message": ("tin", "message"),
    "page_kind_event": ("sự kiện", "event"),  # an occurrence a triggered event made
    "page_campaign": ("Chiến dịch", "Campaign"),
    "page_unit": ("Đơn vị", "Unit"),
    "page_channel": ("Kênh", "Channel"),
    "page_state": ("Trạng thái", "State"),
    "page_target": ("Nơi nhận", "Target"),
    "page_from": ("Từ ngày", "From"),
    "page_to": ("Đến ngày", "To"),
    "page_all": ("Tất cả", "All"),
    "page_filter": ("Lọc", "Filter"),
    "page_nothing": ("Không có gì.", "Nothing."),
    "page_due": ("Thời điểm gửi", "Due"),
    "page_reason": ("Lý do", "Reason"),
    "page_key": ("Tin", "Message"),
    "page_when": ("Thời gian", "When"),
    "page_what": ("Nội dung", "What"),
    "page_duplicate": ("có thể trùng", "possible duplicate"),
    "page_duplicate_hint": (
        "Gửi lại sau khi loa dừng đột ngột lúc đang gửi: nhóm có thể đã nhận hai lần.",
        "Sent again after loa stopped while sending it: the group may have it twice.",
    ),
    "page_pages": ("Trang", "Pages"),
    "page_page": ("Trang {page}", "Page {page}"),
    "page_newer": ("Mới hơn", "Newer"),
    "page_older": ("Cũ hơn", "Older"),
    "page_period": ("Thời gian", "Period"),
    "page_lead_units": ("Đơn vị chủ trì", "Lead units"),
    "page_partner_units": ("Đơn vị phối hợp", "Partner units"),
    "page_file": ("Tệp", "File"),
    "page_messages_by_state": ("Tin theo trạng thái", "Messages by state"),
    "page_pause": ("Tạm dừng chiến dịch", "Pause the campaign"),
    "page_paused": (
        "Đã tạm dừng “{id}”: {held} tin đang chờ được giữ lại.",
        "Paused “{id}”: {held} waiting messages are held.",
    ),
    "page_resume": ("Cho chạy lại chiến dịch", "Resume the campaign"),
    "page_problems": ("Lỗi trong tệp (lần nạp gần nhất)", "Problems in the file (last reload)"),
    "page_no_problems": ("Không có lỗi.", "No problems."),
    "page_activities": ("Hoạt động và hạn", "Activities and deadlines"),
    "page_message_plan": ("Kế hoạch gửi tin", "Message plan"),
    "page_approvals": ("Duyệt tin", "Approvals"),
    "page_approvals_intro": (
        "Mỗi tin hiện đúng như nền tảng sẽ nhận. Duyệt là duyệt đúng nội dung này: sửa sau khi "
        "duyệt thì tin quay lại chờ duyệt. Từ chối cần ghi lý do.",
        "Each message is shown exactly as its platform will get it. An approval is for this "
        "content: an edit after it sends the message back to wait. A rejection needs a reason.",
    ),
    "page_approve": ("Duyệt", "Approve"),
    "page_reject": ("Từ chối", "Reject"),
    "page_reject_reason": ("Lý do từ chối", "Why rejected"),
    "page_approve_day": ("Duyệt mọi tin của ngày này", "Approve everything of this day"),
    "page_reject_day": ("Từ chối mọi tin của ngày này", "Reject everything of this day"),
    "page_approve_all_targets": ("Duyệt cho cả {count} đích", "Approve for all {count} targets"),
    "page_reject_all_targets": ("Từ chối cho mọi đích", "Reject for all targets"),
    "page_preview": ("Xem trước tin nhắn", "Message preview"),
    "page_preview_html": (
        "Đúng như Telegram sẽ nhận (HTML), {parts} phần.",
        "Exactly as Telegram receives it (HTML), in {parts} part(s).",
    ),
    "page_preview_plain": (
        "Đúng như sẽ gửi (chữ thường, không định dạng), {parts} phần.",
        "Exactly as it will be sent (plain text), in {parts} part(s).",
    ),
    "page_part": ("Phần {n}/{total}", "Part {n} of {total}"),
    "page_as_sent": ("Mã HTML gửi đi", "The HTML sent"),
    "page_image": ("Ảnh", "Image"),
    "page_retry": ("Gửi lại", "Send again"),
    "page_cancel": ("Huỷ tin này", "Cancel this message"),
    "page_cancel_confirm": ("Huỷ tin này?", "Cancel this message?"),
    "page_retried": ("Sẽ gửi lại {key}.", "{key} will be sent again."),
    "page_not_cancelled": (
        "Không huỷ được {key}: tin đã gửi hoặc đã huỷ.",
        "{key} was not cancelled: it was sent or cancelled already.",
    ),
    "page_next_due": ("Tin tiếp theo", "Next due"),
    "page_bots": ("Bot trò chuyện", "Chat bots"),
    "page_no_bots": ("Không có bot nào đang chạy.", "No bot is running."),
    "page_daemons": ("Tiến trình loa đang chạy", "loa daemons alive"),
    "page_daemon": ("Tiến trình", "Daemon"),
    "page_host": ("Máy", "Host"),
    "page_daemon_role": ("Vai trò", "Role"),
    "page_running_since": ("Chạy từ", "Running since"),
    "page_last_seen": ("Báo còn chạy lúc", "Last seen"),
    "page_incidents": ("Sự cố đang mở", "Open incidents"),
    "page_no_incidents": ("Không có sự cố nào đang mở.", "No open incidents."),
    "page_fix": ("Cách xử lý:", "To fix it:"),
    "page_upcoming": ("Sắp gửi", "Coming up"),
    "page_send_test": ("Gửi tin thử", "Send a test message"),
    "page_text": ("Nội dung", "Text"),
    "page_send": ("Gửi", "Send"),
    "page_test_text": ("Tin thử từ loa.", "A test message from loa."),
    "page_test_queued": (
        "Đã xếp tin thử {key} để gửi ngay.",
        "Test message {key} queued to go now.",
    ),
    "page_trigger": ("Kích hoạt sự kiện", "Trigger an event"),
    "page_trigger_type": (
        "Sự kiện “{type}” bắt đầu chuỗi tin của mọi chiến dịch có trigger cho nó.",
        "An event “{type}” starts the message sequence of every campaign with a trigger for it.",
    ),
    "page_event_at": ("Thời điểm (để trống: bây giờ)", "When (empty: now)"),
    "page_event_bad_at": ("thời điểm '{value}': {reason}", "time '{value}': {reason}"),
    "page_trigger_button": ("Kích hoạt", "Trigger"),
    "page_event_planned": ("{channel} lúc {when}", "{channel} at {when}"),
    "page_missing": ("Không tìm thấy trang này", "There is no such page"),
    "page_refused": ("Bạn không có quyền làm việc này", "You may not do this"),
    "page_refused_hint": (
        "Nhờ một quản trị viên của loa làm, hoặc cấp thêm quyền cho bạn.",
        "Ask one of loa's admins to do it, or to give you the role.",
    ),
    # the campaign editor (scheduler/http/editor.py)
    "editor_title_new": ("Chiến dịch mới", "New campaign"),
    "editor_title_edit": ("Sửa chiến dịch {id}", "Edit campaign {id}"),
    "editor_new_campaign": ("Tạo chiến dịch mới", "Create a new campaign"),
    "editor_edit_campaign": ("Sửa chiến dịch này", "Edit this campaign"),
    "editor_file": ("Tệp:", "File:"),
    "editor_back_to_campaign": ("Về trang chiến dịch", "Back to the campaign"),
    "editor_campaign": ("Chiến dịch", "Campaign"),
    "editor_kind_activity": ("Hoạt động", "Activities"),
    "editor_kind_message": ("Tin nhắn", "Messages"),
    "editor_kind_deadline": ("Hạn chót và nhắc việc", "Deadlines and reminders"),
    "editor_kind_one_activity": ("Hoạt động", "Activity"),
    "editor_kind_one_message": ("Tin", "Message"),
    "editor_kind_one_deadline": ("Hạn chót", "Deadline"),
    "editor_new_activity": ("Thêm một hoạt động", "Add an activity"),
    "editor_new_message": ("Thêm một tin", "Add a message"),
    "editor_new_deadline": ("Thêm một hạn chót", "Add a deadline"),
    "editor_key_id": (
        "Mã (chữ thường, số, dấu gạch ngang)",
        "Id (lower-case letters, digits, dashes)",
    ),
    "editor_key_title": ("Tên", "Title"),
    "editor_key_description": ("Mô tả", "Description"),
    "editor_key_years": ("Các năm áp dụng", "Years it runs"),
    "editor_key_tags": ("Nhãn", "Tags"),
    "editor_key_start": ("Bắt đầu", "Start"),
    "editor_key_end": ("Kết thúc", "End"),
    "editor_key_location": ("Địa điểm", "Location"),
    "editor_key_lead": ("Đơn vị chủ trì", "Lead unit"),
    "editor_key_partners": ("Đơn vị phối hợp", "Partner units"),
    "editor_key_at": ("Thời điểm gửi", "When it is sent"),
    "editor_key_text": ("Nội dung tin", "Text"),
    "editor_key_channels": ("Kênh gửi", "Channels"),
    "editor_key_activity": ("Thuộc hoạt động (mã)", "Of the activity (id)"),
    "editor_key_due": ("Hạn", "Due"),
    "editor_key_remind": ("Nhắc trước (số ngày)", "Remind (days before)"),
    "editor_key_remind_at": ("Giờ nhắc", "Reminder time"),
    "editor_key_approval": ("Cần duyệt trước khi đăng", "Needs approval before publishing"),
    "editor_hint_time": (
        'Thời gian: ngày 2026-06-05 hoặc 2026-06-05T07:30:00; hằng năm: "hằng năm 05/06 07:30", âm lịch: "âm lịch 10/3"; so với một hoạt động: "ngay-hoi -1d 16:00" (hôm trước lúc 16:00).',
        'Times: a date 2026-06-05 or 2026-06-05T07:30:00; yearly: "hằng năm 05/06 07:30", lunar: "âm lịch 10/3"; from an activity: "ngay-hoi -1d 16:00" (the day before at 16:00).',
    ),
    "editor_hint_csv": (
        "Kênh, nhãn: cách nhau bằng dấu phẩy, ví dụ tg:nhom, zl:oa.",
        "Channels, tags: separated by commas, e.g. tg:nhom, zl:oa.",
    ),
    "editor_hint_lines": ("Đơn vị: mỗi đơn vị một dòng.", "Units: one unit a line."),
    "editor_hint_remind": (
        "Nhắc trước: số ngày, cách nhau bằng dấu phẩy, ví dụ 14, 7, 1.",
        "Remind: days before, separated by commas, e.g. 14, 7, 1.",
    ),
    "editor_hint_years": (
        "Các năm: 2026, 2026-2030 hoặc 2026- (từ năm 2026 trở đi).",
        "Years: 2026, 2026-2030 or 2026- (from 2026 on).",
    ),
    "editor_hint_flag": (
        "Cần duyệt: không đánh dấu thì theo chiến dịch, rồi theo kênh trong config.toml.",
        "Needs approval: unticked, the campaign's setting applies, then the channel's in config.toml.",
    ),
    "editor_remove_item": ("Bỏ mục này khi lưu", "Take this item out when saving"),
    "editor_triggers_kept": (
        "Tệp có {count} kịch bản theo sự kiện ([[trigger]]): trang này giữ nguyên, sửa trong tệp.",
        "The file has {count} event sequences ([[trigger]]): this page keeps them as they are; edit them in the file.",
    ),
    "editor_upcoming": ("Những lần sắp tới", "What comes next"),
    "editor_upcoming_later": (
        "Các lần sắp tới hiện ra khi tệp hợp lệ.",
        "What comes next shows once the file is valid.",
    ),
    "editor_upcoming_none": (
        "Chiến dịch này không có gì sắp tới trong khoảng loa lên lịch.",
        "This campaign has nothing coming within loa's horizon.",
    ),
    "editor_save": ("Lưu chiến dịch", "Save the campaign"),
    "editor_saved": (
        "Đã lưu {file}; loa áp dụng sau lần đọc lại tệp kế tiếp (vài giây).",
        "Saved {file}; loa applies it at its next reload of the files (a few seconds).",
    ),
    "editor_unchanged": (
        "Không có gì thay đổi: tệp giữ nguyên.",
        "Nothing changed: the file is as it was.",
    ),
    "editor_new_file_comment": (
        "Tạo từ trang soạn chiến dịch của loa; có thể sửa tay (xem docs/campaign-files.md).",
        "Made with loa's campaign editor; it may be edited by hand (see docs/campaign-files.md).",
    ),
    "editor_file_exists": (
        "đã có tệp {file}: chọn mã khác, hoặc sửa chiến dịch đó",
        "the file {file} exists already: choose another id, or edit that campaign",
    ),
    "editor_library": (
        'Chiến dịch {id} lấy từ thư viện của loa, không sửa ở đây được: tạo một tệp trong thư mục chiến dịch của cơ quan với extends = "{id}" để điều chỉnh nó (docs/campaign-files.md).',
        "Campaign {id} comes from loa's library and cannot be edited here: make a file in the office's campaign folder with extends = \"{id}\" to adapt it (docs/campaign-files.md).",
    ),
    "editor_conflict": (
        "Tệp đã thay đổi từ khi mở trang này",
        "The file changed since this form was opened",
    ),
    "editor_conflict_hint": (
        "Chưa lưu gì: có người (hoặc một lần sửa tay) đã đổi tệp sau khi bạn mở trang. Xem phần khác nhau, mở lại trang để làm lại thay đổi của bạn trên bản mới.",
        "Nothing was saved: someone (or a hand edit) changed the file after you opened the form. See the difference, then open the form again and redo your change on the new version.",
    ),
    "editor_conflict_theirs": ("Đã đổi trên đĩa", "Changed on disk"),
    "editor_conflict_mine": ("Thay đổi của bạn (chưa lưu)", "Your change (not saved)"),
    "editor_reopen": ("Mở lại trang sửa với bản mới", "Open the form again on the new version"),
    "editor_remove_campaign": ("Xóa chiến dịch", "Remove the campaign"),
    "editor_remove_explained": (
        "Tệp {file} được đổi tên thành …removed-<thời điểm> (để khôi phục thì đổi lại tên). Các tin còn chờ gửi bị hủy; sự kiện trên lịch được giữ ở trạng thái đã hủy (CANCELLED).",
        "The file {file} is renamed …removed-<time> (rename it back to restore it). Its messages still waiting are cancelled; its calendar events are kept as CANCELLED.",
    ),
    "editor_remove_confirm": ("Xóa chiến dịch {id}?", "Remove campaign {id}?"),
    "editor_remove_yes": ("Có, xóa chiến dịch", "Yes, remove the campaign"),
    "editor_remove_no": ("Không, quay lại", "No, go back"),
    "editor_removed": (
        "Đã xóa chiến dịch {id} (tệp cất ở {file}); loa hủy các tin còn chờ ở lần đọc lại kế tiếp.",
        "Removed campaign {id} (its file is kept as {file}); loa cancels its waiting messages at its next reload.",
    ),
    "editor_history": ("Lịch sử sửa", "History of edits"),
    "editor_history_saved": ("đã lưu", "saved"),
    "editor_history_removed": ("đã xóa", "removed"),
    "editor_history_none": (
        "Chưa ai sửa chiến dịch này từ trang web.",
        "Nobody has edited this campaign from the pages yet.",
    ),
    "export_known": (" (có: {names})", " (known: {names})"),
    "exported": ("Đã ghi {path} ({count} sự kiện).", "Wrote {path} ({count} events)."),
    "kind_activity": ("hoạt động", "activity"),
    "kind_message": ("tin nhắn", "message"),
    "kind_deadline": ("hạn chót", "deadline"),
    "kind_event": ("sự kiện", "event"),
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
    # alerts to the admins (scheduler.alerts): what happened, then the command that fixes it
    "alert_delivery_failed": (
        "Gửi tin tới {subject} bị lỗi hẳn ({count} tin): {detail}",
        "Messages to {subject} failed for good ({count}): {detail}",
    ),
    "alert_fix_delivery_failed": (
        "xem các tin lỗi: loa deliveries --state failed; sửa xong thì gửi lại: loa retry --failed",
        "see them: loa deliveries --state failed; once fixed, send them again: loa retry --failed",
    ),
    "alert_delivery_missed": (
        "{count} tin tới {subject} bị bỏ lỡ, quá thời gian cho phép gửi muộn (loa đã ngừng "
        "chạy hoặc không gửi được): {detail}",
        "{count} message(s) to {subject} were missed, past their grace period (loa was down or "
        "could not send): {detail}",
    ),
    "alert_missed_due": ("hạn gửi {due}", "due {due}"),
    "alert_fix_delivery_missed": (
        "xem các tin bỏ lỡ: loa deliveries --state missed; tin nào vẫn cần thì gửi lại: "
        "loa retry <khoá>",
        "see them: loa deliveries --state missed; send again those still needed: loa retry <key>",
    ),
    "alert_channel_auth": (
        "Kênh {subject} bị nền tảng từ chối mã truy cập (token), không gửi được tin nào: {detail}",
        "The platform refuses channel {subject}'s token; nothing can be sent through it: {detail}",
    ),
    "alert_fix_channel_auth": (
        "đặt lại token đúng vào biến môi trường token_env của [channels.{subject}] trong "
        "config.toml, kiểm tra: loa channels check; rồi gửi lại: loa retry --failed",
        "put the right token in the variable named by token_env of [channels.{subject}] in "
        "config.toml, check it: loa channels check; then send again: loa retry --failed",
    ),
    "alert_bot_failing": (
        "Bot của kênh {subject} liên tục không kết nối được nền tảng, chưa trả lời lệnh chat: "
        "{detail}",
        "The bot of channel {subject} keeps failing to reach its platform and answers no chat "
        "commands: {detail}",
    ),
    "alert_fix_bot_failing": (
        "kiểm tra mạng và token của kênh: loa channels check",
        "check the network and the channel's token: loa channels check",
    ),
    "alert_token_refused": (
        "Zalo OA {subject}: Zalo từ chối refresh token, loa không gia hạn được access token: "
        "{detail}",
        "Zalo OA {subject}: Zalo refuses the refresh token, so loa cannot renew the access "
        "token: {detail}",
    ),
    "alert_fix_token_refused": (
        "cấp quyền lại cho ứng dụng trên trang Zalo for Developers, đặt refresh token mới vào "
        "biến môi trường token_env của [channels.{subject}], kiểm tra: loa channels check",
        "authorize the app again on Zalo for Developers, put the new refresh token in the "
        "variable named by token_env of [channels.{subject}], check it: loa channels check",
    ),
    "alert_token_expiring": (
        "Zalo OA {subject}: access token sắp hết hạn mà chưa gia hạn được: {detail}",
        "Zalo OA {subject}: the access token is about to expire and could not be renewed: {detail}",
    ),
    "alert_fix_token_expiring": (
        "kiểm tra mạng tới Zalo và khoá bí mật (secret_env) của kênh: loa channels check",
        "check the network to Zalo and the channel's secret key (secret_env): loa channels check",
    ),
    "alert_campaign_refused": (
        "Tệp chiến dịch {subject} bị từ chối, bản cũ vẫn chạy: {detail}",
        "Campaign file {subject} was refused; its previous version keeps running: {detail}",
    ),
    "alert_fix_campaign_refused": (
        "sửa tệp ở dòng được báo, kiểm tra trước khi lưu: loa validate",
        "fix the file at the line named, and check it before saving: loa validate",
    ),
    "alert_event_unscheduled": (
        "Sự kiện {subject} không lên lịch được chuỗi tin: {detail}",
        "Event {subject}: its sequence of messages could not be scheduled: {detail}",
    ),
    "alert_fix_event_unscheduled": (
        "kiểm tra tệp chiến dịch có trigger của sự kiện: loa validate; sửa xong thì gửi lại "
        "sự kiện với cùng mã (loa trigger … --id …)",
        "check the campaign file with the event's trigger: loa validate; once fixed, send the "
        "event again with the same id (loa trigger … --id …)",
    ),
    "alert_approval_overdue": (
        "Tin {subject} đã đến giờ gửi nhưng chưa được duyệt: đang giữ lại, chưa gửi ({detail})",
        "Message {subject} is due but not approved: held, not sent ({detail})",
    ),
    "alert_fix_approval_overdue": (
        "người duyệt: loa approve {subject} --as TÊN, /approve {subject} hoặc trang /approvals; "
        "quá thời gian cho phép gửi muộn thì tin bị ghi bỏ lỡ",
        "an approver: loa approve {subject} --as NAME, /approve {subject} or the /approvals "
        "page; past the grace period it is recorded missed",
    ),
    "alert_approval_voided": (
        "Tin {subject} đã được duyệt nhưng nội dung vừa bị sửa: cần duyệt lại",
        "Message {subject} was approved, then its content was edited: it needs approval again",
    ),
    "alert_fix_approval_voided": (
        "xem bản mới và duyệt lại: trang /approvals, /approve {subject} hoặc loa approve "
        "{subject} --as TÊN",
        "read the new version and approve it again: the /approvals page, /approve {subject} "
        "or loa approve {subject} --as NAME",
    ),
    "alert_still": (
        "Vẫn tiếp diễn: {count} lần từ {since}.",
        "Still going on: {count} time(s) since {since}.",
    ),
    "alert_resolved": (
        "Đã ổn trở lại: {subject} (từ {since}, {count} lần).",
        "Back to normal: {subject} (since {since}, {count} time(s)).",
    ),
    "alert_fix_resend": (
        "gửi lại các tin đã lỗi: loa retry --failed",
        "send the failed messages again: loa retry --failed",
    ),
    "alert_more": (
        "… và {count} sự cố khác: loa status",
        "… and {count} more incident(s): loa status",
    ),
    # approval before publishing (scheduler.approval)
    "approval_chat_user_bad": (
        'người dùng chat {value} không hợp lệ: cần dạng "kênh:mã người dùng" với kênh có bot '
        "đang bật",
        'chat user {value} is not valid: write "channel:user id" with a channel whose bot is '
        "enabled",
    ),
    "approval_chat_user_hint": (
        'ví dụ "telegram:123456789" = "lan"; kênh có bot: {bots}',
        'for example "telegram:123456789" = "lan"; channels with a bot: {bots}',
    ),
    "approval_approved": ("Đã duyệt {count} tin.", "Approved {count} message(s)."),
    "approval_rejected": ("Đã từ chối {count} tin.", "Rejected {count} message(s)."),
    "approval_too_late": (
        "{count} tin đã quá thời gian cho phép gửi muộn: ghi bỏ lỡ, không gửi.",
        "{count} past the grace period: recorded missed, not sent.",
    ),
    "approval_not_approver": (
        "{name} ({role}) không có quyền duyệt tin: cần vai trò phê duyệt hoặc quản trị "
        "(loa user role TÊN approver)",
        "{name} ({role}) may not approve messages: this needs the approver or admin role "
        "(loa user role NAME approver)",
    ),
    "approval_reason_needed": (
        "Từ chối cần có lý do, ví dụ: /reject KEY sai ngày",
        "A rejection needs a reason, e.g. /reject KEY wrong date",
    ),
    "approval_nothing": (
        "Không có tin nào đang chờ duyệt ứng với {what}: xem danh sách bằng /approvals hoặc "
        "loa deliveries --state awaiting_approval",
        "Nothing awaits approval for {what}: see the list with /approvals or "
        "loa deliveries --state awaiting_approval",
    ),
    "approval_self": (
        "{name} là người sửa chiến dịch {campaign} gần nhất nên không tự duyệt tin của nó: cần "
        "một người duyệt khác (văn phòng một người: [approval] self_approval = true)",
        "{name} last edited campaign {campaign}, so may not approve its messages: another "
        "approver must (a one-person office: [approval] self_approval = true)",
    ),
    "approval_held_reason": (
        "đến giờ gửi nhưng chưa được duyệt: đang giữ lại",
        "due but not approved: held",
    ),
    "alerts_no_admins": (
        '"admins" là quản trị viên của các bot, nhưng chưa bot nào có quản trị viên',
        '"admins" means the bots\' admins, but no bot has any',
    ),
    "alerts_no_admins_hint": (
        "khai báo admins trong [channels.<kênh>.bot] (bot bật: enabled = true), hoặc ghi "
        'đích cụ thể, ví dụ "telegram:nhom-quan-tri"',
        "declare admins under [channels.<channel>.bot] (with enabled = true), or name a "
        'target, e.g. "telegram:nhom-quan-tri"',
    ),
    "status_incidents": ("Sự cố đang mở:", "Open incidents:"),
    "status_incident": (
        "từ {since}, gần nhất {last}",
        "since {since}, last {last}",
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
    "moved_from": (
        "dời từ {date} (ngày nghỉ)",
        "moved from {date} (day off)",
    ),
    "reminder_default_before": (
        "Nhắc việc: {{ deadline.title }} — hạn cuối {{ deadline.due }}, trước ngày "
        "{{ deadline.before }} (còn {{ days_left }} ngày).",
        "Reminder: {{ deadline.title }} — last day {{ deadline.due }}, before "
        "{{ deadline.before }} ({{ days_left }} days left).",
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
    "bot_help_approvals": ("các tin đang chờ duyệt", "what awaits approval"),
    "bot_help_approve": (
        "duyệt một tin (hoặc mọi đích của một lần gửi): /approve KHOÁ",
        "approve a delivery (or every target of an occurrence): /approve KEY",
    ),
    "bot_help_reject": (
        "từ chối, kèm lý do: /reject KHOÁ lý do",
        "reject, with a reason: /reject KEY reason",
    ),
    "bot_approval_commands": ("Lệnh duyệt tin:", "Approval commands:"),
    "bot_approval_refused": (
        "Xin lỗi, lệnh này chỉ dành cho người duyệt tin. Người dùng chat {user} cần được gắn với "
        "một người dùng loa có vai trò phê duyệt ([approval] chat_users trong config.toml).",
        "Sorry, this command is for approvers only. Chat user {user} must be linked to a loa "
        "user with the approver role ([approval] chat_users in config.toml).",
    ),
    "bot_approve_usage": (
        "Ghi khóa của tin: /approve KHOÁ, /reject KHOÁ lý do (xem /approvals)",
        "Give the delivery's key: /approve KEY, /reject KEY reason (see /approvals)",
    ),
    "bot_approvals_none": ("Không có tin nào đang chờ duyệt.", "Nothing awaits approval."),
    "bot_approvals_title": ("Tin đang chờ duyệt:", "Awaiting approval:"),
    "bot_approvals_more": (
        "… và còn nữa: xem hết trên trang /approvals",
        "… and more: see them all on the /approvals page",
    ),
    "bot_approvals_hint": (
        "Duyệt: /approve KHOÁ · từ chối: /reject KHOÁ lý do",
        "Approve: /approve KEY · reject: /reject KEY reason",
    ),
    "bot_help_trigger": (
        "báo một sự kiện, bắt đầu chuỗi tin của nó: /trigger LOẠI id=MÃ trường=giá_trị",
        "report an event and start its sequence: /trigger TYPE id=ID field=value",
    ),
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
    "bot_trigger_usage": (
        "Cách dùng: /trigger LOẠI id=MÃ trường=giá_trị …, ví dụ /trigger canh-bao-bao "
        'id=bao-3-2026 ten_bao="Yagi cấp 12".',
        "Usage: /trigger TYPE id=ID field=value …, for example /trigger canh-bao-bao "
        'id=bao-3-2026 ten_bao="Yagi cấp 12".',
    ),
    "bot_trigger_no_type": (
        "Thiếu loại sự kiện ngay sau /trigger.",
        "The event type is missing right after /trigger.",
    ),
    "bot_trigger_pair": (
        "Mỗi dữ liệu sau loại sự kiện viết dạng trường=giá_trị.",
        "Each piece of data after the event type is written field=value.",
    ),
    "bot_trigger_twice": ("Một trường được ghi hai lần.", "A field is given twice."),
    "bot_trigger_quote": ("Thiếu dấu nháy đóng.", "A closing quote is missing."),
    "bot_no_delivery": ("Không có tin với khoá “{key}”.", "No delivery has the key “{key}”."),
    "bot_cannot_retry": (
        "Tin “{key}” đang ở trạng thái “{state}”, không gửi lại được.",
        "Delivery “{key}” is {state}; it cannot be sent again.",
    ),
    "bot_retry_never": (
        "Tin “{key}” không gửi lại được: {cause}, nên gửi lần nào cũng lỗi. "
        "Nhờ người vận hành loa kiểm tra kênh và nơi nhận trong config.toml.",
        "“{key}” cannot be sent again: {cause}, so every try fails. "
        "Ask loa's operator to check the channel and its recipients in config.toml.",
    ),
    "bot_cause_unknown_channel": (
        "kênh “{channel}” không có trong cấu hình của loa",
        "channel “{channel}” is not in loa's configuration",
    ),
    "bot_cause_unknown_target": (
        "kênh “{channel}” không có nơi nhận “{target}”",
        "channel “{channel}” has no recipient “{target}”",
    ),
    "bot_cause_no_target": (
        "tin không ghi nhóm hay người nhận nào trên kênh “{channel}”",
        "it names no group or person on channel “{channel}”",
    ),
    "bot_retry_duplicate": (
        "Tin “{key}” không được gửi lại: {reason}.",
        "“{key}” is not sent again: {reason}.",
    ),
    "bot_retried": ("Sẽ gửi lại ngay: {key}", "Sending again now: {key}"),
    "missed_while_paused": (
        "chiến dịch tạm dừng quá thời gian cho phép gửi muộn",
        "its campaign was paused past the message's grace period",
    ),
}


def named(kind: str, value: str, lang: str | None = None) -> str:
    """A stored code (``state`` of a delivery, ``audit`` result, …) in words; others unchanged.

    The database and the JSON outputs keep the English codes scripts rely on; people read words.
    """
    code = f"{kind}_{value.replace(' ', '_')}"
    return t(code, lang) if code in CATALOG else value


def t(code: str, /, lang: str | None = None, **params: Any) -> str:
    """The sentence for ``code`` in the current (or given) language, filled with ``params``."""
    vi, en = CATALOG[code]
    text = en if (lang or _language) == "en" else vi
    return text.format(**params) if params else text
