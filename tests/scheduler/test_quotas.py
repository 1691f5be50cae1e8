"""Zalo OA quotas: warned about from the plan, enforced from what was sent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine

from campaigns.expand import expand
from scheduler.config import load_config
from scheduler.engine.quotas import QuotaGuard, plan_warnings, quotas
from tests.helpers import HEAD, campaign, window
from tests.scheduler.test_engine import T0, add, row

CONFIG = """
timezone = "Asia/Ho_Chi_Minh"
[channels.oa]
type = "zalo_oa"
app_id = "1"
secret_env = "S"
token_env = "R"
[channels.oa.quota]
monthly = 40
per_user_daily = 1
[channels.oa.targets]
lan = "1001"
minh = "1002"
"""


def test_plan_warns_per_month_and_per_follower_day(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, "utf-8")
    config = load_config(path)
    text = HEAD + (
        '[[activity]]\nid = "t"\ntitle = "Tháng"\nstart = "yearly 05-25"\nend = "yearly 06-30"\n'
        '[[message]]\nid = "moi-ngay"\nat = { every = "day", time = "08:00", during = "t" }\ntext = "x"\n'
        'channels = ["oa"]\n'
        '[[message]]\nid = "them"\nat = "yearly 06-05 09:00"\ntext = "y"\nchannels = ["oa:lan"]\n'
    )
    c = campaign(text, config.catalog())
    warnings = plan_warnings(
        expand(c, *window("2026-05-01", "2026-07-31"), config.catalog()).dispatches(), config
    )
    assert warnings == [
        "kênh oa: kế hoạch gửi 61 tin trong tháng 06/2026, vượt hạn mức 40 tin/tháng",
        "kênh oa: đích lan sẽ nhận 2 tin trong 05/06/2026, vượt hạn mức 1",
    ]  # May: 7 days x 2 followers = 14, under 40


def test_guard_refuses_once_the_day_is_used(db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, "utf-8")
    guard = QuotaGuard(db, quotas(load_config(path)), "Asia/Ho_Chi_Minh")
    add(db, "k1", T0, target="lan")
    assert guard.refusal("kenh", "lan", T0) is None  # a channel without quota
    from sqlalchemy import update

    from scheduler.store.tables import Delivery

    with db.begin() as conn:
        conn.execute(update(Delivery.__table__).values(state="sent", sent_at=T0, channel="oa"))  # type: ignore[attr-defined]
    refusal = guard.refusal("oa", "lan", T0 + dt.timedelta(hours=1))
    assert refusal is not None and "per_user_daily" in refusal and "lan" in refusal
    assert guard.refusal("oa", "minh", T0 + dt.timedelta(hours=1)) is None
    assert guard.refusal("oa", "lan", T0 + dt.timedelta(days=1)) is None
    assert row(db, "k1")["state"] == "sent"


def test_a_user_who_wrote_within_48_hours_may_be_answered_over_the_quota(
    db: Engine, tmp_path: Path
) -> None:
    from sqlalchemy import update

    from scheduler import subscriptions
    from scheduler.store.tables import Delivery

    path = tmp_path / "config.toml"
    path.write_text(CONFIG, "utf-8")
    config = load_config(path)
    guard = QuotaGuard(db, quotas(config), "Asia/Ho_Chi_Minh", config.addresses())
    add(db, "k1", T0, target="lan")
    with db.begin() as conn:
        conn.execute(update(Delivery.__table__).values(state="sent", sent_at=T0, channel="oa"))  # type: ignore[attr-defined]
    later = T0 + dt.timedelta(hours=1)
    assert guard.refusal("oa", "lan", later) is not None  # the day's one message is used
    subscriptions.note_inbound(db, "oa", "1001", T0 - dt.timedelta(hours=46))  # lan wrote
    assert guard.refusal("oa", "lan", later) is None  # inside Zalo's reply window
    assert guard.refusal("oa", "chat:1001", later) is None  # a subscriber's target too
    assert guard.refusal("oa", "lan", T0 + dt.timedelta(hours=2)) is not None  # window closed
