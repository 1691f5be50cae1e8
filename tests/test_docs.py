"""Documentation a test keeps true: examples run, settings and commands are documented, and
each Vietnamese page (docs/*.md, what offices read first) and its English mirror
(docs/en/*.md) have the same sections and the same examples, so neither falls behind."""

import configparser
import contextlib
import itertools
import json
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from campaigns.model import ChannelCatalog
from scheduler.cli.commands import app
from scheduler.config import ConfigFile, load_config
from tests.helpers import CATALOG, HEAD, campaign

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LANGS = {"vi": DOCS, "en": DOCS / "en"}
PAGES = sorted(p.name for p in DOCS.glob("*.md"))
README = (ROOT / "README.md").read_text("utf-8")


def page(name: str, lang: str) -> str:
    return (LANGS[lang] / name).read_text("utf-8")


def toml_blocks(text: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", text, re.S)


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def each_lang(name: str) -> Any:
    """Parameters: the page's text in each language, with the language as the test id."""
    return pytest.mark.parametrize(
        "doc", [pytest.param(page(name, lang), id=lang) for lang in LANGS]
    )


CAMPAIGN_BLOCKS = [
    pytest.param(block, id=f"{lang}-{i}")
    for lang in LANGS
    for i, block in enumerate(toml_blocks(page("campaign-files.md", lang)))
]


def documented_units() -> ChannelCatalog:
    """The channels and units registry configuration.md shows."""
    from scheduler.config import Config

    block = toml_blocks(page("configuration.md", "vi"))[0]  # the full example
    config = Config(ROOT / "config.toml", ROOT, ConfigFile.model_validate(tomllib.loads(block)))
    return config.catalog()


@pytest.mark.parametrize("block", CAMPAIGN_BLOCKS)
def test_campaign_doc_examples_validate(block: str) -> None:
    whole = block.lstrip().startswith(("id =", "extends ="))  # a file, or one adapting the library
    text = block if whole else HEAD + block
    uses_units = re.search(r'^units = |"units', block, re.M) is not None
    assert campaign(text, documented_units() if uses_units else CATALOG).id


@pytest.mark.parametrize("lang", LANGS)
def test_the_storm_warning_example_starts_its_sequence(lang: str, tmp_path: Path) -> None:
    """The page's trigger and its ``loa trigger`` commands, through the one intake."""
    import datetime as dt

    from scheduler.events import cli as events_cli
    from scheduler.events.intake import Accepted, Cancelling, Sender, intake
    from scheduler.store.db import migrate, open_engine

    doc = page("campaign-files.md", lang)
    (block,) = [b for b in toml_blocks(doc) if "[[trigger]]" in b]
    catalog = documented_units()
    storm = campaign(block, catalog)
    (commands,) = [b for b in sh_blocks(doc) if "loa trigger" in b]
    start, cancel, _ = (shlex.split(line)[1:] for line in commands.splitlines())
    data = [start[i + 1] for i, a in enumerate(start) if a == "--data"]
    now = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
    event = events_cli.occurred(start[1], start[start.index("--id") + 1], None, data, dt.UTC, now)
    assert not isinstance(event, str), event
    db = open_engine(f"sqlite:///{tmp_path / 'loa.db'}")
    migrate(db)
    sender = Sender("cli", "van-thu")
    result = intake(db, [storm], catalog, event, sender, now)
    assert isinstance(result, Accepted) and result.outcome == "started", result
    targets = [(d.channel, d.target) for d in result.deliveries]
    assert ("telegram", "nhom-van-phong") in targets and len(targets) == 4  # Tỉnh đoàn: 2 chats
    stopped = intake(db, [storm], catalog, Cancelling(cancel[2], cancel[4]), sender, now)
    assert isinstance(stopped, Accepted) and stopped.cancelled == 4


@pytest.mark.parametrize("lang", LANGS)
async def test_the_curl_example_posts_the_storm_warning(lang: str, tmp_path: Path) -> None:
    """configuration.md's curl command, sent as curl would to the daemon's HTTP app with the
    token its example source names: the storm warning starts (201), and the refusal the page
    shows is what loa answers when a field is left out."""
    import datetime as dt

    import httpx

    from scheduler.http.app import HttpState, create_app
    from scheduler.http.events import EventEndpoint
    from scheduler.store.db import migrate, open_engine

    doc = page("configuration.md", lang)
    (command,) = [b for b in sh_blocks(doc) if b.startswith("curl")]
    argv = shlex.split(command.replace("$LOA_EVENTS_TOKEN_QUAN_TRAC", "bi-mat-cua-tram-quan-trac"))
    url = next(a for a in argv if a.startswith("https://"))
    headers = dict(argv[i + 1].split(": ", 1) for i, a in enumerate(argv) if a == "-H")
    body = argv[argv.index("-d") + 1]
    (campaigns_block,) = [
        b for b in toml_blocks(page("campaign-files.md", lang)) if "[[trigger]]" in b
    ]
    catalog = documented_units()
    db = open_engine(f"sqlite:///{tmp_path / 'loa.db'}")
    migrate(db)
    endpoint = EventEndpoint(
        db, {"quan-trac": "bi-mat-cua-tram-quan-trac"}, lambda: [campaign(campaigns_block, catalog)],
        catalog, lambda: dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC),
    )  # fmt: skip
    app = create_app(HttpState(db=db, events=endpoint))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=url) as client:
        answer = await client.post(url, content=body.encode(), headers=headers)
        assert answer.status_code == 201, answer.text
        assert answer.json()["outcome"] == "started" and len(answer.json()["deliveries"]) == 4
        shown = json.loads(re.findall(r"```json\n(.*?)```", doc, re.S)[-1])
        left_out = json.loads(body)
        del left_out["data"][shown["field"]]
        refused = await client.post(url, json={**left_out, "id": "bao-4"}, headers=headers)
    assert refused.status_code == 422 and refused.json() == shown


# lines 12 and 18 hold the two mistakes whose report the campaign-file page shows
BROKEN_CAMPAIGN = """id = "le-hoi"
title = "Lễ hội"

[[activity]]
id = "khai-mac"
title = "Khai mạc"
start = "hằng năm 01/05"

[[activity]]
id = "be-mac"
title = "Bế mạc"
start = "hằng năm 30/02"

[[message]]
id = "nhac"
at = "khai-mac -1d"
text = "Ngày mai khai mạc."
channels = ["telegarm"]
"""


@pytest.mark.parametrize("lang", LANGS)
def test_the_documented_errors_are_what_loa_prints(
    lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from campaigns import i18n
    from campaigns.loader import parse_document
    from campaigns.model import ChannelCatalog

    monkeypatch.setattr(i18n, "_language", lang)
    name = "campaigns/le-hoi.toml"
    catalog = ChannelCatalog({"console": (), "telegram": ("nhom-van-phong",)})
    _, problems = parse_document(
        BROKEN_CAMPAIGN.encode(), Path(name), catalog, "Asia/Ho_Chi_Minh", name
    )
    (shown,) = re.findall(r"```text\n(.*?)```", page("campaign-files.md", lang), re.S)
    assert [str(p) for p in problems] == shown.splitlines()


@each_lang("configuration.md")
def test_config_doc_example_loads(
    doc: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_FEED_TOKEN_PGI", "bi-mat")
    monkeypatch.setenv("LOA_TELEGRAM_WEBHOOK_SECRET", "bi-mat-webhook")
    monkeypatch.setenv("LOA_ZALO_OA_SECRET", "bi-mat-oa")
    monkeypatch.setenv("LOA_EVENTS_TOKEN_QUAN_TRAC", "bi-mat-cua-tram-quan-trac")
    blocks, postgres = toml_blocks(doc)
    path = tmp_path / "config.toml"
    path.write_text(blocks, "utf-8")
    config = load_config(path)
    assert config.catalog().targets["telegram"] == ("nhom-van-phong", "kenh-tinh")
    assert config.feed_tokens() == {"campaign/bao-cao-chi-so-xanh-pgi": "bi-mat"}
    assert config.event_tokens() == {"quan-trac": "bi-mat-cua-tram-quan-trac"}
    path.write_text(postgres, "utf-8")
    assert load_config(path).database_url.startswith("postgresql+psycopg://")


@each_lang("configuration.md")
def test_every_config_key_is_documented(doc: str) -> None:
    def keys(model: type) -> set[str]:
        out = set()
        for name, field_info in model.model_fields.items():  # type: ignore[attr-defined]
            out.add(name)
            annotation = field_info.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                out |= keys(annotation)
        return out

    from scheduler.config import ChannelSettings

    missing = sorted(
        k for k in keys(ConfigFile) | keys(ChannelSettings) if f"`{k}`" not in doc and k not in doc
    )
    assert missing == []


def test_every_command_is_in_the_readme() -> None:
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    assert names
    assert [n for n in names if f"loa {n}" not in README] == []


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    commands = re.findall(r"^(?:bash tests/services/\S+ && )?python3 .*$", README, re.M)[:2]
    assert "loa" in commands[0] and "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text("utf-8")


@each_lang("campaign-files.md")
def test_every_campaign_key_is_documented(doc: str) -> None:
    from campaigns.schema import (
        ActivityFile,
        CampaignFile,
        DeadlineFile,
        MessageFile,
        TriggerFile,
        TriggerMessageFile,
    )

    models = (
        CampaignFile,
        ActivityFile,
        MessageFile,
        DeadlineFile,
        TriggerFile,
        TriggerMessageFile,
    )
    for model in models:
        for key in model.model_fields:
            if key in ("activity", "message", "deadline", "trigger"):
                continue
            assert f"`{key}`" in doc, key


@each_lang("chat-bots.md")
def test_chat_bot_doc_examples_work(
    doc: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from campaigns.model import ChannelCatalog

    settings, message = toml_blocks(doc)
    monkeypatch.setenv("LOA_TELEGRAM_TOKEN", "123:abc")
    path = tmp_path / "config.toml"
    path.write_text(
        '[channels.telegram]\ntype = "telegram"\ntoken_env = "LOA_TELEGRAM_TOKEN"\n'
        '[channels.telegram.targets]\nnhom-van-phong = "-1001"\n' + settings,
        "utf-8",
    )
    config = load_config(path)
    assert config.bots()["telegram"].bot.admins == ["123456789"]
    assert "subscribers" in config.catalog().defaults
    activity = (
        '[[activity]]\nid = "ngay-chinh"\ntitle = "Ngày Môi trường thế giới"\n'
        'start = "yearly 06-05"\nlocation = "Quảng trường tỉnh"\n'
    )
    found = campaign(HEAD + activity + message, ChannelCatalog({"telegram": ("nhom-van-phong",)}))
    assert found.messages[0].channels == ("telegram:nhom-van-phong", "subscribers")


@each_lang("chat-bots.md")
def test_every_bot_command_is_documented(doc: str) -> None:
    from scheduler.bot.core import ADMIN_COMMANDS, USER_COMMANDS

    assert [c for c in (*USER_COMMANDS, *ADMIN_COMMANDS) if f"/{c}" not in doc] == []


# -- the two languages say the same ---------------------------------------------------------


@dataclass
class Section:
    level: int
    title: str
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (info string, body)
    table_rows: int = 0
    text: str = ""  # the prose, outside examples and tables


def sections(text: str) -> list[Section]:
    """The page cut at its headings (not at a `#` inside an example), with each part's
    examples and the number of its table rows."""
    out = [Section(0, "")]
    fence: tuple[str, list[str]] | None = None
    for line in text.splitlines():
        if fence is not None:
            if line.startswith("```"):
                out[-1].blocks.append((fence[0], "\n".join(fence[1])))
                fence = None
            else:
                fence[1].append(line)
        elif line.startswith("```"):
            fence = (line[3:].strip(), [])
        elif heading := re.match(r"(#{1,6}) (.+)", line):
            out.append(Section(len(heading[1]), heading[2].strip()))
        elif line.lstrip().startswith("|"):
            out[-1].table_rows += 1
        else:
            out[-1].text += line + "\n"
    return out


def example(info: str, body: str) -> object:
    """What an example means, its comments aside (they are written in the page's language).
    A ``text`` block is loa's output in the page's language, checked by the test that makes it."""
    if info == "text":
        return len(body.splitlines())
    if info == "toml":
        return tomllib.loads(body)
    lines = []
    for line in body.splitlines():
        if line.lstrip().startswith("#") and not line.startswith("#!"):
            continue
        lines.append(re.sub(r"\s+#\s.*$", "", line).rstrip())
    return [line for line in lines if line]


def test_every_page_has_an_english_mirror() -> None:
    assert sorted(p.name for p in LANGS["en"].glob("*.md")) == PAGES


@pytest.mark.parametrize("name", PAGES)
def test_both_languages_have_the_same_sections_and_examples(name: str) -> None:
    vi, en = sections(page(name, "vi")), sections(page(name, "en"))
    outline = "\n".join(
        f"{'#' * a.level} {a.title}  |  {'#' * b.level} {b.title}"
        for a, b in itertools.zip_longest(vi, en, fillvalue=Section(0, "—"))
    )
    assert [s.level for s in vi] == [s.level for s in en], (
        f"docs/{name} and docs/en/{name} differ in their sections (a section in one language "
        f"only?):\n{outline}"
    )
    for a, b in zip(vi, en, strict=True):
        where = f"docs/{name} “{a.title}” / docs/en/{name} “{b.title}”"
        assert a.table_rows == b.table_rows, f"{where}: tables differ"
        assert [info for info, _ in a.blocks] == [info for info, _ in b.blocks], where
        for (info, mine), (_, theirs) in zip(a.blocks, b.blocks, strict=True):
            assert example(info, mine) == example(info, theirs), f"{where}: examples differ"


VIETNAMESE = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I
)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", PAGES)
def test_each_page_is_written_in_its_language(name: str, lang: str) -> None:
    """A section merged in one language into both pages (or written in both languages on one
    page) is caught here; Vietnamese quoted or in brackets (titles, dates, a term's Vietnamese
    name) is fine in English."""
    wrong = []
    for section in sections(page(name, lang))[1:]:
        prose = re.sub(r"`[^`]*`|\[[^]]*\]\([^)]*\)|\"[^\"]*\"|“[^”]*”|\([^)]*\)", "", section.text)
        words = re.findall(r"[^\W\d_]+", prose)
        vietnamese = [w for w in words if VIETNAMESE.search(w)]
        if (lang == "vi" and len(words) > 3 and not vietnamese) or (
            lang == "en" and len(vietnamese) > 3
        ):
            wrong.append(section.title)
    assert wrong == []


def heading_anchor(title: str) -> str:
    """The anchor a Markdown renderer (GitHub, GitLab) gives a heading."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


LINKED = [folder / name for folder in LANGS.values() for name in PAGES]


@pytest.mark.parametrize(
    "source", [*LINKED, ROOT / "README.md"], ids=lambda p: str(p.relative_to(ROOT))
)
def test_links_between_pages_lead_somewhere(source: Path) -> None:
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", source.read_text("utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (source.parent / file).resolve() if file else source
        if not path.is_file():
            broken.append(target)
        elif anchor:
            titles = [s.title for s in sections(path.read_text("utf-8"))[1:]]
            if anchor not in [heading_anchor(t) for t in titles]:
                broken.append(target)
    assert broken == []


def test_readme_links_every_page_in_both_languages() -> None:
    assert [n for n in PAGES if f"(docs/{n})" not in README or f"(docs/en/{n})" not in README] == []


# -- operations: the service, the wrapper, the environment file and the backups --------------

OPERATIONS = {lang: page("operations.md", lang) for lang in LANGS}


def systemd_unit() -> configparser.ConfigParser:
    (unit,) = re.findall(r"```ini\n(.*?)```", OPERATIONS["vi"], re.S)
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit)
    return parser


def test_the_service_runs_the_daemon_where_it_can_write() -> None:
    from scheduler.engine import daemon

    service = systemd_unit()["Service"]
    program, command, *options = shlex.split(service["ExecStart"])
    assert Path(program).name == "loa"
    assert command in [c.name or c.callback.__name__ for c in app.registered_commands]  # type: ignore[union-attr]
    config = Path(options[options.index("--config") + 1])
    assert config.parent == Path(service["WorkingDirectory"])
    # the database of the config `loa init` writes must be inside a folder the service may write
    written = tomllib.loads((ROOT / "scheduler" / "init_config.toml").read_text("utf-8"))
    database = config.parent / written["database"]["url"].removeprefix("sqlite:///")
    assert str(database.parent) in service["ReadWritePaths"].split()
    # systemd kills what is still running after TimeoutStopSec: the daemon waits for sends in
    # flight (STOP_TIMEOUT), its bots and its HTTP server (2 s each) before it exits
    assert int(service["TimeoutStopSec"]) > daemon.STOP_TIMEOUT + 4


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")
def test_systemd_accepts_the_service(tmp_path: Path) -> None:
    """No misspelt directive or bad value: systemd would ignore it with a warning in a log."""
    (unit,) = re.findall(r"```ini\n(.*?)```", OPERATIONS["vi"], re.S)
    program = shlex.split(systemd_unit()["Service"]["ExecStart"])[0]
    here = Path(sys.executable).parent / "loa"  # the unit's program, as installed here
    (tmp_path / "loa.service").write_text(unit.replace(program, str(here)), "utf-8")
    found = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "loa.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (found.returncode, found.stdout + found.stderr) == (0, "")


def test_the_wrapper_runs_commands_as_the_service_does() -> None:
    service = systemd_unit()["Service"]
    for doc in OPERATIONS.values():
        (wrapper,) = [b for b in sh_blocks(doc) if "systemd-run" in b]
        argv = shlex.split(wrapper.splitlines()[-1])
        properties = dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "-p")
        for key in ("User", "UMask", "WorkingDirectory", "EnvironmentFile"):
            assert properties[key] == service[key], key
        program = shlex.split(service["ExecStart"])[0]
        assert argv[argv.index(program) + 1 :] == ["$@"]


def test_the_environment_file_holds_variables_the_config_names() -> None:
    config = tomllib.loads(toml_blocks(page("configuration.md", "vi"))[0])

    def named(table: Any) -> set[str]:
        if not isinstance(table, dict):
            return set()
        found = {v for k, v in table.items() if k.endswith("_env") and isinstance(v, str)}
        found |= set(table.get("private_feeds", {}).values())
        return found.union(*(named(v) for v in table.values()))

    for doc in OPERATIONS.values():
        (env,) = [b for b in sh_blocks(doc) if re.search(r"^[A-Z_]+=", b, re.M)]
        names = re.findall(r"^([A-Z_]+)=", env, re.M)
        assert names and set(names) <= named(config)


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 command is not installed")
def test_the_backup_commands_copy_a_database_in_use(tmp_path: Path) -> None:
    from scheduler.store import meta
    from scheduler.store.db import HEAD as SCHEMA
    from scheduler.store.db import migrate, open_engine

    office = tmp_path / "srv" / "loa"
    (office / "data").mkdir(parents=True)
    (office / "backup").mkdir()
    engine = open_engine(f"sqlite:///{office / 'data' / 'loa.db'}")
    migrate(engine)
    meta.set_meta(engine, "written-just-now", "yes")  # still in the WAL: the engine is open
    shutil.copy(office / "data" / "loa.db", tmp_path / "cp.db")  # what the page warns against
    assert written_just_now(tmp_path / "cp.db") is None
    commands = [
        line.removeprefix("sudo -u loa ").replace("/srv/loa", str(office))
        for block in sh_blocks(OPERATIONS["vi"])
        for line in block.splitlines()
        if "sqlite3 /srv/loa/data/loa.db" in line
    ]
    assert len(commands) >= 2
    for command in commands:
        subprocess.run(["bash", "-c", command], check=True, timeout=60)
    engine.dispose()
    copies = sorted((office / "backup").glob("loa-*.db"))
    assert len(copies) >= 2
    for copy in copies:
        with contextlib.closing(sqlite3.connect(copy)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert db.execute("SELECT version_num FROM alembic_version").fetchone() == (SCHEMA,)
        assert written_just_now(copy) == "yes"


def written_just_now(path: Path) -> str | None:
    with contextlib.closing(sqlite3.connect(path)) as db:
        try:
            row = db.execute("SELECT value FROM meta WHERE name = 'written-just-now'").fetchone()
        except sqlite3.OperationalError:  # not even the tables: they are in the WAL too
            return None
    return None if row is None else str(row[0])
