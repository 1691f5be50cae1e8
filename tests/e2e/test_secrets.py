"""No secret leaves ``loa``: platforms that echo the request URL (with the token in it, in any
letter case) into their errors, a base_url that makes python-telegram-bot print the token, and
a Zalo OA access token loa obtained by itself; then every surface a person or a script reads is
searched for every form of every secret: the daemon's output and logs, the database file,
``loa status``, ``loa deliveries`` (table and JSON), ``loa send``, ``loa channels check``,
/healthz and /metrics."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from campaigns.i18n import t
from tests.e2e.harness import Office, iso, wait_for
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo

pytestmark = pytest.mark.slow

PLANTED = "7654321:PlantedSecretAbCdEf-gh_0123456789XyZ"
ZALO_BOT = "2468013579:ZaloBotPlantedSecret-KlMnOp_987654"


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram(PLANTED, echo_request_url=True) as server:
        yield server


@pytest.fixture
def zalo() -> Iterator[FakeZalo]:
    server = FakeZalo(echo_request=True, bot_token=ZALO_BOT)
    with server.in_thread():
        yield server


def campaign(at: dt.datetime) -> str:
    lines = ['id = "bi-mat"', 'title = "Không lộ bí mật"']
    for i, target in enumerate(["tg:ma", "tg-sai:ma", "oa:la", "zbot:ma"]):
        lines += ["[[message]]", f'id = "tin-{i}"', f"at = {iso(at)}",
                  'text = "Ngày Môi trường thế giới 🌱"', f'channels = ["{target}"]']  # fmt: skip
    return "\n".join(lines) + "\n"


def forms(secret: str) -> list[str]:
    """Every way a secret could be shown: itself, its secret half, lowercased, URL-encoded."""
    values = [secret, secret.partition(":")[2] or secret]
    return [f for v in values for f in (v.lower(), quote(v, safe="").lower())]


def get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:  # /healthz answers 503 when something is down
        return str(error.read().decode("utf-8"))


def test_no_secret_on_any_surface(
    office: Office, telegram: FakeTelegram, zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = "999888777666"  # never interacted with the OA: Zalo refuses and echoes the token
    monkeypatch.setenv("LOA_TG_TOKEN", PLANTED)
    monkeypatch.setenv("LOA_ZALO_REFRESH", zalo.issue_refresh_token())
    monkeypatch.setenv("LOA_ZALO_SECRET", zalo.secret_key)
    monkeypatch.setenv("LOA_ZALO_BOT", ZALO_BOT)
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{telegram.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        '[channels.tg.targets]\nma = "-999999"\n'
        # the base_url the fake server used to print: python-telegram-bot then shows the token
        f'[channels.tg-sai]\ntype = "telegram"\nbase_url = "{telegram.base_url}"\n'
        'token_env = "LOA_TG_TOKEN"\n[channels.tg-sai.targets]\nma = "-999999"\n'
        "[channels.tg-sai.bot]\nenabled = true\npoll_seconds = 1\n"
        f'[channels.oa]\ntype = "zalo_oa"\nbase_url = "{zalo.base_url}"\n'
        f'oauth_url = "{zalo.oauth_url}"\napp_id = "{zalo.app_id}"\n'
        'secret_env = "LOA_ZALO_SECRET"\ntoken_env = "LOA_ZALO_REFRESH"\n'
        f'[channels.oa.targets]\nla = "{stranger}"\n'
        f'[channels.zbot]\ntype = "zalo_bot"\nbase_url = "{zalo.bot_base_url}"\n'
        'token_env = "LOA_ZALO_BOT"\n[channels.zbot.targets]\nma = "khong-co-nhom-nay"\n'
    )
    office.write_config()
    process, _ = office.start_then_move({"bi-mat": campaign}, 2)
    url = office.http_url()
    wait_for(lambda: office.states().get("failed") == 4, 40, "the four deliveries to fail")
    health = wait_for(
        lambda: (body := json.loads(get(f"{url}/healthz")))["bots"]["tg-sai"]["error"] and body,
        20,
        "the broken bot's health",
    )
    surfaces = {"/healthz": json.dumps(health), "/metrics": get(f"{url}/metrics")}
    surfaces["send (daemon)"] = office.loa("send", "tg:ma", "Thử").stderr
    code, out, err = office.stop(process)
    assert code == 0, err
    surfaces |= {"daemon stdout": out, "daemon stderr": err}
    surfaces["send (alone)"] = office.loa("send", "tg-sai:ma", "Thử").stderr
    check = office.loa("channels", "check")
    surfaces["channels check"] = check.stdout + check.stderr
    for args in (["status"], ["deliveries"], ["deliveries", "--format", "json"]):
        result = office.loa(*args)
        assert result.returncode == 0, result.stderr
        surfaces[" ".join(args)] = result.stdout + result.stderr
    errors = office.query("select last_error from delivery")
    surfaces["stored errors"] = "\n".join(e for (e,) in errors)
    # the database file itself, but for the OA's token pair that loa must keep (meta table)
    office.query("delete from meta where name = 'zalo-oa:oa:tokens'")
    office.query("vacuum")
    office.query("pragma wal_checkpoint(truncate)")
    files = [office.db_path, office.db_path.with_name("loa.db-wal")]
    stored = b"".join(f.read_bytes() for f in files if f.exists())
    surfaces["database file"] = stored.decode("utf-8", "replace")

    obtained = [t for r in zalo.renewals for t in (r.access_token, r.refresh_token)]
    secrets = [PLANTED, ZALO_BOT, zalo.secret_key, *obtained]
    leaks = {
        f"{where}: {form}"
        for where, text in surfaces.items()
        for secret in secrets
        for form in forms(secret)
        if form in text.lower()
    }
    assert not leaks, "\n".join(sorted(leaks))

    # the errors were there to leak: each surface tells what went wrong, without the secret
    assert telegram.refused and zalo.refused and zalo.renewals
    # a refused token is loa's own sentence naming the variable: python-telegram-bot's text,
    # which carries the token, is not kept at all
    refused = t("telegram_token_rejected", env="LOA_TG_TOKEN")
    assert "failing" in surfaces["/healthz"] and "LOA_TG_TOKEN" in surfaces["/healthz"]
    assert "chat not found" in surfaces["stored errors"].lower()
    assert "-232" in surfaces["stored errors"]
    assert "LOA_TG_TOKEN" in surfaces["channels check"] and check.returncode == 1
    assert "***" in surfaces["deliveries --format json"]
    assert "***" in surfaces["send (daemon)"] and refused in surfaces["send (alone)"]
