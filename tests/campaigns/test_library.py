"""The ready library: valid with any config, and it plans what the provincial plans say."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.adapt import GENERAL, library_index
from campaigns.errors import ValidationFailed
from campaigns.expand import Expansion, expand_all
from campaigns.loader import LIBRARY, LoadResult, load_paths, parse_document
from campaigns.model import ChannelCatalog
from campaigns.schema import ITEM_MODELS
from campaigns.workdays import WorkCalendar
from scheduler.campaign_set import load_campaigns
from scheduler.config import load_config
from scheduler.store.db import migrate, open_engine
from scheduler.sync import sync
from tests.helpers import VN, campaign, window
from tests.test_cli import loa

ANY_CONFIGS = [
    ChannelCatalog(targets={"console": ()}, defaults=("console",)),
    ChannelCatalog(targets={"tg": ("nhom", "kenh"), "zalo": ("oa",)}, defaults=("tg", "zalo:oa")),
]


@pytest.mark.parametrize("catalog", ANY_CONFIGS)
def test_library_validates_with_any_config(catalog: ChannelCatalog) -> None:
    result = load_paths([LIBRARY], catalog)
    assert result.problems == []
    assert {c.id for c in result.campaigns} >= {
        "ngay-moi-truong-the-gioi",
        "thang-hanh-dong-vi-moi-truong",
        "bao-cao-chi-so-xanh-pgi",
        "chuyen-doi-xanh-truyen-thong",
        "ngay-ky-niem-moi-truong",
    }


def _library() -> list:  # type: ignore[type-arg]
    return load_paths([LIBRARY], ANY_CONFIGS[1]).campaigns


@pytest.mark.parametrize("year", range(2026, 2036))
def test_may_to_july_has_environment_day_and_month_of_action(year: int) -> None:
    found = expand_all(_library(), *window(f"{year}-05-01", f"{year}-07-31"), ANY_CONFIGS[1])
    wed = [a for a in found.activities if a.campaign == "ngay-moi-truong-the-gioi"]
    assert [a.start for a in wed if a.start == dt.date(year, 6, 5)], wed
    month = [a for a in found.activities if a.campaign == "thang-hanh-dong-vi-moi-truong" and a.end]
    periods = {(a.start if isinstance(a.start, dt.date) else a.start.date(), a.end) for a in month}
    assert any(s.month == 5 and e == dt.date(year, 6, 30) for s, e in periods), periods
    texts = [m.text for m in found.messages if m.campaign == "ngay-moi-truong-the-gioi"]
    assert texts and all(t and "None" not in t for t in texts)
    assert all(
        m.targets == (("tg", "nhom"), ("tg", "kenh"), ("zalo", "oa")) for m in found.messages
    )


@pytest.mark.parametrize("year", range(2026, 2036))
def test_late_november_to_december_has_pgi_reminders_and_deadline(year: int) -> None:
    found = expand_all(_library(), *window(f"{year}-11-20", f"{year}-12-31"), ANY_CONFIGS[1])
    deadlines = [d for d in found.deadlines if d.campaign == "bao-cao-chi-so-xanh-pgi"]
    # "trước ngày 10 tháng 12": the last day is the day before (no days off in this catalogue)
    assert [(d.due, d.before) for d in deadlines] == [(dt.date(year, 12, 9), dt.date(year, 12, 10))]
    reminders = sorted(
        (m for m in found.messages if m.campaign == "bao-cao-chi-so-xanh-pgi"), key=lambda m: m.due
    )
    last = dt.date(year, 12, 9)
    assert [m.due.date() for m in reminders] == [last - dt.timedelta(days=d) for d in (14, 7, 1)]
    assert all("trước ngày 10/12; còn" in m.text for m in reminders)


def test_every_rendered_text_reads_as_vietnamese() -> None:
    found = expand_all(_library(), *window("2026-01-01", "2027-12-31"), ANY_CONFIGS[0])
    assert found.messages
    for message in found.messages:
        assert message.error == "" and message.text.strip()
        assert "None" not in message.text and "{{" not in message.text
    assert any("Chống ô nhiễm nhựa" in m.text or "nhựa" in m.text for m in found.messages)


# -- choosing from the library, and adapting a library campaign --------------------------------

WED = "ngay-moi-truong-the-gioi"


def _office(folder: Path, library: str, files: dict[str, str] | None = None) -> Path:
    """An office folder: config.toml with ``library = …`` and its campaign files."""
    (folder / "campaigns").mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text(
        f'[campaigns]\npaths = ["campaigns"]\nlibrary = {library}\n'
        '[channels.tg]\ntype = "file"\npath = "out.jsonl"\ntargets = { nhom = "1" }\n',
        "utf-8",
    )
    for name, text in (files or {}).items():
        (folder / "campaigns" / name).write_text(text, "utf-8")
    return config


def _load(config: Path) -> LoadResult:
    return load_campaigns(load_config(config), None)


def test_a_list_of_ids_gives_those_campaigns_alone(tmp_path: Path) -> None:
    result = _load(_office(tmp_path, f'["{WED}"]'))
    assert result.problems == []
    assert [c.id for c in result.campaigns] == [WED]


def test_true_gives_the_general_campaigns_and_false_none(tmp_path: Path) -> None:
    general = _load(_office(tmp_path / "a", "true"))
    assert {c.id for c in general.campaigns} == set(GENERAL)
    assert "bao-cao-chi-so-xanh-pgi" not in GENERAL  # Sở Tư pháp's own plan
    assert "chuyen-doi-xanh-truyen-thong" not in GENERAL  # the Party bodies' reports
    assert "ngay-ky-niem-moi-truong" not in GENERAL  # optional
    assert _load(_office(tmp_path / "b", "false")).campaigns == []


def test_an_unknown_library_id_is_a_config_error_with_the_closest_and_the_list(
    tmp_path: Path,
) -> None:
    config = _office(tmp_path, '["ngay-moi-truong-the-gio"]')
    with pytest.raises(ValidationFailed) as failed:
        load_config(config)
    [problem] = failed.value.problems
    assert (problem.file, problem.line, problem.path) == (str(config), 3, "campaigns.library[1]")
    assert "ngay-moi-truong-the-gio" in problem.message
    assert f"'{WED}'" in problem.hint
    assert all(cid in problem.hint for cid in library_index())


ADAPTED = f"""extends = "{WED}"

[[activity]]
id = "ngay-05-06"
lead = "Văn phòng UBND tỉnh"

[[message]]
id = "chao-mung-ngay-05-06"
at = "ngay-05-06 08:15"
"""


def _expand(result: LoadResult, year: int) -> Expansion:
    assert result.errors == [], result.errors
    return expand_all(
        result.campaigns, *window(f"{year}-01-01", f"{year}-12-31"), ChannelCatalog({"tg": ()})
    )


@pytest.mark.parametrize("library", [f'["{WED}"]', "true"])
def test_an_extending_file_changes_only_what_it_writes(tmp_path: Path, library: str) -> None:
    plain = _expand(_load(_office(tmp_path / "a", library)), 2027)
    adapted_result = _load(_office(tmp_path / "b", library, {"wed.toml": ADAPTED}))
    adapted = _expand(adapted_result, 2027)
    [ours] = [c for c in adapted_result.campaigns if c.id == WED]
    assert ours.source.name == "wed.toml" and ours.extends == WED
    assert [c.id for c in adapted_result.campaigns].count(WED) == 1

    before = {a.key: a for a in plain.activities}
    after = {a.key: a for a in adapted.activities}
    assert before.keys() == after.keys()
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {f"{WED}:ngay-05-06:2027"}
    assert after[f"{WED}:ngay-05-06:2027"] == dataclasses.replace(
        before[f"{WED}:ngay-05-06:2027"], lead="Văn phòng UBND tỉnh"
    )

    before_m = {m.key: m for m in plain.messages}
    after_m = {m.key: m for m in adapted.messages}
    assert before_m.keys() == after_m.keys()
    moved = f"{WED}:chao-mung-ngay-05-06:2027"
    assert {k for k in before_m if before_m[k] != after_m[k]} == {moved}
    assert after_m[moved].due == before_m[moved].due.replace(hour=8, minute=15)
    assert dataclasses.replace(after_m[moved], due=before_m[moved].due) == before_m[moved]
    assert {d.key for d in plain.dispatches()} == {d.key for d in adapted.dispatches()}


def test_switching_to_an_extending_file_updates_only_what_it_changes(tmp_path: Path) -> None:
    """In the store: the library version synced, then the office's adapting file: the moved
    message's pending deliveries are updated, nothing is inserted or cancelled."""
    engine = open_engine(f"sqlite:///{tmp_path / 'loa.db'}")
    migrate(engine)
    now = dt.datetime(2027, 1, 1, 1, 0, tzinfo=dt.UTC)
    horizon = dt.timedelta(days=300)
    for folder, files in (("a", {}), ("b", {"wed.toml": ADAPTED})):
        config = load_config(_office(tmp_path / folder, f'["{WED}"]', files))
        report = sync(engine, load_campaigns(config).campaigns, config.catalog(), now, horizon)
    engine.dispose()
    assert (report.inserted, report.cancelled, report.updated) == (0, 0, 1)


def test_problems_name_the_office_file_for_its_values_and_the_library_for_the_rest(
    tmp_path: Path,
) -> None:
    office = f"""extends = "{WED}"
remove = ["ngay-05-06", "nhac-truoc-7-ngy"]

[[message]]
id = "chao-mung-ngay-05-06"
at = "ngay-05-06 25:00"
"""
    result = _load(_office(tmp_path, "false", {"wed.toml": office}))
    where = {(Path(p.file).name, p.line, p.path) for p in result.errors}
    library_file = (LIBRARY / f"{WED}.toml").read_text("utf-8").splitlines()
    reminder_at = library_file.index('at = "ngay-05-06 -7d 08:00"') + 1
    assert where == {
        ("wed.toml", 2, "remove[2]"),  # no such item: did you mean nhac-truoc-7-ngay?
        ("wed.toml", 6, "message[2].at"),  # the office's bad time
        (f"{WED}.toml", reminder_at, "message[1].at"),  # the library's reminder lost its day
    }
    [unknown] = [p for p in result.errors if p.path == "remove[2]"]
    assert "nhac-truoc-7-ngay" in unknown.hint
    [in_library] = [p for p in result.errors if p.path == "message[1].at"]
    assert "wed.toml" in in_library.hint  # the library is not the office's to edit


def test_the_same_id_without_extends_is_a_duplicate_that_names_extends(tmp_path: Path) -> None:
    copy = f'id = "{WED}"\ntitle = "Bản sao"\n'
    result = _load(_office(tmp_path, "true", {"copy.toml": copy}))
    [problem] = result.errors
    assert problem.path == "id" and problem.file.endswith("copy.toml")
    assert f'extends = "{WED}"' in problem.hint


def test_two_files_adapting_one_campaign_are_a_duplicate(tmp_path: Path) -> None:
    files = {"a.toml": ADAPTED, "b.toml": ADAPTED.replace("08:15", "09:00")}
    [problem] = _load(_office(tmp_path, "true", files)).errors
    assert problem.file.endswith("b.toml") and "a.toml" in problem.message
    assert problem.hint == ""  # both already extend: the hint to use extends would mislead


def test_another_id_builds_a_campaign_beside_the_library_one(tmp_path: Path) -> None:
    own = f'extends = "{WED}"\nid = "wed-so-tu-phap"\ntitle = "Ngày Môi trường — Sở Tư pháp"\n'
    result = _load(_office(tmp_path, f'["{WED}"]', {"own.toml": own}))
    assert result.problems == []
    assert sorted(c.id for c in result.campaigns) == [WED, "wed-so-tu-phap"]


def test_remove_without_extends_says_what_to_write(tmp_path: Path) -> None:
    text = 'id = "c"\ntitle = "C"\nremove = ["x"]\n'
    [problem] = _load(_office(tmp_path, "false", {"c.toml": text})).errors
    assert (problem.line, problem.path) == (3, "remove") and "extends" in problem.hint


def test_an_unknown_extends_names_the_library_ids(tmp_path: Path) -> None:
    result = _load(_office(tmp_path, "false", {"x.toml": 'extends = "ngay-moi-truong"\n'}))
    [problem] = result.errors
    assert (problem.line, problem.path) == (1, "extends")
    assert WED in problem.hint


def test_a_broken_adapting_file_keeps_the_library_version_out(tmp_path: Path) -> None:
    broken = ADAPTED.replace("08:15", "08:75")
    result = _load(_office(tmp_path / "a", "true", {"wed.toml": broken}))
    assert result.errors and WED not in {c.id for c in result.campaigns}
    own = broken.replace(f'extends = "{WED}"', f'extends = "{WED}"\nid = "wed-rieng"')
    result = _load(_office(tmp_path / "b", "true", {"wed.toml": own}))
    assert result.errors and WED in {c.id for c in result.campaigns}  # not an adaptation


def test_plan_for_2024_shows_the_action_month_from_5_june(tmp_path: Path) -> None:
    _office(tmp_path, '["thang-hanh-dong-vi-moi-truong"]')
    planned = loa("plan", "--from", "2024-05-01", "--to", "2024-07-31", cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    month = (
        "Thứ Tư, 05/06/2024 – Chủ Nhật, 30/06/2024 · hoạt động\n    Tháng hành động vì môi trường"
    )
    assert planned.stdout.count(month) == 1, planned.stdout
    assert "25/05/2024" not in planned.stdout
    later = loa("plan", "--from", "2025-05-01", "--to", "2025-07-31", cwd=tmp_path)
    assert "Chủ Nhật, 25/05/2025 – Thứ Hai, 30/06/2025 · hoạt động" in later.stdout


MONTH = "thang-hanh-dong-vi-moi-truong"


def _month_of_action(year: int, text: str) -> list[str]:
    """What the action month campaign plans in ``year``: every activity and message, in full."""
    month = campaign(text, ANY_CONFIGS[1])
    found = expand_all([month], *window(f"{year}-01-01", f"{year}-12-31"), ANY_CONFIGS[1])
    return sorted([repr(a) for a in found.activities] + [repr(d) for d in found.dispatches()])


def test_the_2024_action_month_is_a_date_of_the_general_campaign() -> None:
    """The 2024 plan's dates (05/6 – 30/6/2024) are a by_year date of the one campaign, not a
    second campaign; every activity and message moves with the month's start."""
    assert not list(LIBRARY.glob(f"{MONTH}-*.toml"))
    found = expand_all(_library(), *window("2024-01-01", "2024-12-31"), ANY_CONFIGS[1])
    month = [a for a in found.activities if a.activity == "thang-hanh-dong"]
    assert [(a.campaign, a.key, a.start, a.end) for a in month] == [
        (MONTH, f"{MONTH}:thang-hanh-dong:2024", dt.date(2024, 6, 5), dt.date(2024, 6, 30))
    ]
    launch = next(a for a in found.activities if a.activity == "le-phat-dong")
    assert launch.start == dt.datetime(2024, 6, 5, 7, 30, tzinfo=VN)


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_the_2024_dates_leave_later_years_as_they_were(year: int) -> None:
    text = (LIBRARY / f"{MONTH}.toml").read_text(encoding="utf-8")
    general = "\n".join(line for line in text.splitlines() if not line.startswith("by_year."))
    general = general.replace('years = "2024-"', 'years = "2025-"')
    assert general != text
    assert _month_of_action(year, text) == _month_of_action(year, general)


def _toml(value: object) -> str:
    """A TOML value for what the library files hold: text, whole numbers, dates, lists, tables."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool | int):
        return str(value).lower()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    assert isinstance(value, dict), value
    return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"


@st.composite
def _restating(draw: st.DrawFn) -> tuple[str, str]:
    """A library id and an extending file that writes again some of the library's own values."""
    campaign_id = draw(st.sampled_from(sorted(library_index())))
    data = tomllib.loads(library_index()[campaign_id].path.read_text("utf-8"))
    lines = [f'extends = "{campaign_id}"']
    top = [k for k in data if k not in ("id", *ITEM_MODELS)]
    lines += [f"{k} = {_toml(data[k])}" for k in draw(st.lists(st.sampled_from(top), unique=True))]
    for kind in ITEM_MODELS:
        for item in draw(st.lists(st.sampled_from(data.get(kind, []) or [{}]), unique_by=str)):
            if item:
                keys = draw(st.lists(st.sampled_from(sorted(item)), unique=True))
                lines += [f"[[{kind}]]", f"id = {_toml(item['id'])}"]
                lines += [f"{k} = {_toml(item[k])}" for k in keys if k != "id"]
    return campaign_id, "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_restating())
def test_restating_library_values_changes_nothing(case: tuple[str, str]) -> None:
    """An extending file that writes the library's own values back gives the library's plan:
    the same keys, times and texts, whatever keys and items it repeats."""
    campaign_id, text = case
    catalog = ANY_CONFIGS[1]
    library = load_paths([library_index()[campaign_id].path], catalog)
    adapted, problems = parse_document(
        text.encode(), Path("o.toml"), catalog, "Asia/Ho_Chi_Minh", "o.toml"
    )
    assert adapted is not None, "\n".join(map(str, problems))
    assert adapted.id == campaign_id
    bounds = window("2026-01-01", "2027-12-31")
    assert expand_all([adapted], *bounds, catalog) == expand_all(
        library.campaigns, *bounds, catalog
    )


def test_observance_days_keep_their_date_on_an_office_weekend() -> None:
    """World Environment Day 2027 is a Saturday: the office's weekend moved it to Monday 07/06
    (an office activity moves to the next working day), and its "7 days before" reminder with
    it. The days the world marks keep their date; Earth Hour stays the last Saturday of March."""
    office = dataclasses.replace(ANY_CONFIGS[0], calendar=WorkCalendar(weekend=frozenset({5, 6})))
    found = expand_all(_library(), *window("2027-01-01", "2027-12-31"), office)
    days = {(a.campaign, a.activity): a.start for a in found.activities}
    assert days["ngay-moi-truong-the-gioi", "ngay-05-06"] == dt.date(2027, 6, 5)
    earth_hour = days["ngay-ky-niem-moi-truong", "gio-trai-dat"]
    assert isinstance(earth_hour, dt.datetime)
    assert earth_hour.replace(tzinfo=None) == dt.datetime(2027, 3, 27, 20, 30)
    assert days["ngay-ky-niem-moi-truong", "ngay-dai-duong-the-gioi"] == dt.date(2027, 6, 8)
    reminder = [m for m in found.messages if m.item == "nhac-truoc-7-ngay"]
    assert [m.due.date() for m in reminder] == [dt.date(2027, 5, 29)]
