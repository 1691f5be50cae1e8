"""Documentation a test keeps true: examples run, settings and commands are documented."""

import re
from pathlib import Path

import pytest

from scheduler.cli import app
from scheduler.config import ConfigFile, load_config
from tests.helpers import HEAD, campaign

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN_DOC = (ROOT / "docs" / "campaign-files.md").read_text("utf-8")
CONFIG_DOC = (ROOT / "docs" / "configuration.md").read_text("utf-8")
README = (ROOT / "README.md").read_text("utf-8")
BOTS_DOC = (ROOT / "docs" / "chat-bots.md").read_text("utf-8")


def toml_blocks(text: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", text, re.S)


@pytest.mark.parametrize("block", toml_blocks(CAMPAIGN_DOC))
def test_campaign_doc_examples_validate(block: str) -> None:
    text = block if block.lstrip().startswith("id =") else HEAD + block
    assert campaign(text).id


def test_config_doc_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOA_FEED_TOKEN_PGI", "bi-mat")
    monkeypatch.setenv("LOA_TELEGRAM_WEBHOOK_SECRET", "bi-mat-webhook")
    monkeypatch.setenv("LOA_ZALO_OA_SECRET", "bi-mat-oa")
    blocks, postgres = toml_blocks(CONFIG_DOC)
    path = tmp_path / "config.toml"
    path.write_text(blocks, "utf-8")
    config = load_config(path)
    assert config.catalog().targets["telegram"] == ("nhom-van-phong", "kenh-tinh")
    assert config.feed_tokens() == {"campaign/bao-cao-chi-so-xanh-pgi": "bi-mat"}
    path.write_text(postgres, "utf-8")
    assert load_config(path).database_url.startswith("postgresql+psycopg://")


def test_every_config_key_is_documented() -> None:
    def keys(model: type) -> set[str]:
        out = set()
        for name, field in model.model_fields.items():  # type: ignore[attr-defined]
            out.add(name)
            annotation = field.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                out |= keys(annotation)
        return out

    from scheduler.config import ChannelSettings

    missing = sorted(
        k
        for k in keys(ConfigFile) | keys(ChannelSettings)
        if f"`{k}`" not in CONFIG_DOC and k not in CONFIG_DOC
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


def test_every_campaign_key_is_documented() -> None:
    from campaigns.schema import ActivityFile, CampaignFile, DeadlineFile, MessageFile

    for model in (CampaignFile, ActivityFile, MessageFile, DeadlineFile):
        for key in model.model_fields:
            if key in ("activity", "message", "deadline"):
                continue
            assert f"`{key}`" in CAMPAIGN_DOC, key


def test_chat_bot_doc_examples_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from campaigns.model import ChannelCatalog

    settings, message = toml_blocks(BOTS_DOC)
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


def test_every_bot_command_is_documented() -> None:
    from scheduler.bot.core import ADMIN_COMMANDS, USER_COMMANDS

    assert [c for c in (*USER_COMMANDS, *ADMIN_COMMANDS) if f"/{c}" not in BOTS_DOC] == []
