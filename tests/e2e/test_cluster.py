"""Three ``loa run`` processes on one PostgreSQL database, sending through python-telegram-bot
to the local fake Telegram server: each message arrives once (a second copy only of a delivery
flagged ``possible_duplicate``), the leader's kill -9 loses nothing and another daemon leads
within 10 s, and a daemon starting beside running ones takes none of their live claims."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from channels.base import PLATFORM_IN_FLIGHT
from tests.e2e.harness import TIMED, Office, iso, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram, RateLimits

pytestmark = [pytest.mark.slow, TIMED, pytest.mark.parametrize("backend", ["postgresql"])]

CHATS = 50
UNFINISHED = "select count(*) from delivery where state in ('pending', 'sending', 'retrying')"


def to_every_chat(count: int) -> Callable[[dt.datetime], str]:
    """A campaign maker: ``count`` messages, each to every chat of the channel ``tg``."""

    def make(at: dt.datetime) -> str:
        lines = ['id = "loa"', 'title = "Chiến dịch"', 'grace = "1h"']
        for i in range(count):
            lines += ["[[message]]", f'id = "tin-{i:03d}"', f"at = {iso(at)}",
                      f'text = "Tin {i:03d}: chống ô nhiễm nhựa"', 'channels = ["tg"]']  # fmt: skip
        return "\n".join(lines) + "\n"

    return make


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTelegram]:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    with FakeTelegram(limits=RateLimits.off()) as server:
        yield server


@pytest.fixture
def cluster(
    office: Office, fake: FakeTelegram, store_url: str, request: pytest.FixtureRequest
) -> dict[str, int]:
    """The office on PostgreSQL, with a Telegram channel of ``CHATS`` chats (or as many as the
    test's indirect parameter says) and no rate limits (these tests are about who sends what,
    not how fast); the chat of each target."""
    count = getattr(request, "param", CHATS)
    chats = {f"chat-{i:03d}": fake.add_private_chat() for i in range(count)}
    office.store_url = store_url
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        "[channels.tg.limits]\nenabled = false\n[channels.tg.targets]\n"
        + "".join(f'{alias} = "{chat}"\n' for alias, chat in chats.items())
    )
    return chats


def start_all(office: Office, count: int) -> list[subprocess.Popen[str]]:
    processes = [office.start() for _ in range(count)]
    for process in processes:
        office.started(process, timeout=60)
    return processes


def leader(office: Office) -> str | None:
    """The id of the daemon holding the leader lock (its lock connection's application_name)."""
    found = office.query(
        "select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid "
        "where l.locktype = 'advisory' and l.granted and starts_with(a.application_name, 'loa run ')"
    )
    return str(found[0][0]).removeprefix("loa run ") if found else None


def arrivals(fake: FakeTelegram) -> Counter[tuple[int, str]]:
    return Counter((int(m.chat_id), m.text or "") for m in fake.accepted)


def test_three_daemons_send_5000_once_each_and_survive_the_leaders_kill(
    office: Office, fake: FakeTelegram, cluster: dict[str, int]
) -> None:
    began = time.monotonic()
    messages = 5_000 // CHATS
    office.write_config(daemon="reload_seconds = 1\nlease_seconds = 4\n")
    make = to_every_chat(messages)
    parked = office.park({"loa": make})
    processes = start_all(office, 3)
    office.move({"loa": make}, parked, 1)
    assert office.query("select count(*) from delivery")[0][0] == 5_000

    wait_for(lambda: len(fake.accepted) >= 1_000, 60, "a fifth of the messages at the fake")
    chief = leader(office)
    assert chief is not None
    victim = next(p for p in processes if office.daemon_id(p) == chief)
    office.kill(victim)
    killed = time.monotonic()
    caught = office.in_flight(chief)  # unchanged until a rescuer takes them back
    arrived = arrivals(fake)
    # it claimed only what its outlet hands to Telegram at once: of its claims, those the fake
    # had not received are at most that many (the others were sent, their outcome not yet
    # written: they did reach the platform)
    sent_as = {key: (cluster[target], text) for key, target, text in office.query(
        "select key, target, text from delivery")}  # fmt: skip
    unanswered = [key for key in caught if not arrived[sent_as[key]]]
    assert len(unanswered) <= PLATFORM_IN_FLIGHT, (len(unanswered), len(caught))
    at_kill = len(fake.accepted)
    assert at_kill < 5_000, "the run was over before the kill: nothing was tested"

    def new_leader() -> str | None:
        now = leader(office)
        return now if now not in (None, chief) else None

    successor = wait_for(new_leader, 10, "another daemon to lead")
    took_over = time.monotonic() - killed
    survivors = [p for p in processes if p is not victim]
    wait_for(lambda: office.query(UNFINISHED)[0][0] == 0, 60, "every delivery done")
    for process in survivors:
        assert office.stop(process)[0] == 0, office.log(process)

    flagged = {key for (key,) in office.query("select key from delivery where possible_duplicate")}
    rows = office.query("select key, target, text from delivery")
    counts = arrivals(fake)
    print(
        f"\ncluster: 5,000 deliveries, 3 daemons, leader killed after {at_kill} arrived with "
        f"{len(caught)} in flight; {successor} led {took_over:.1f} s later; flagged "
        f"{len(flagged)}; {len(fake.accepted)} arrived; {time.monotonic() - began:.1f} s in all"
    )
    assert office.states() == {"sent": 5_000}
    assert took_over < 10
    assert flagged <= caught, sorted(flagged - caught)[:10]
    for key, target, text in rows:
        arrived = counts[(cluster[target], text)]
        assert arrived == 1 or (arrived == 2 and key in flagged), (key, arrived)
    assert len(fake.accepted) == 5_000 + sum(counts[(cluster[t], x)] - 1 for _, t, x in rows)


def test_a_daemon_starting_beside_running_ones_takes_none_of_their_claims(
    office: Office, fake: FakeTelegram, cluster: dict[str, int]
) -> None:
    """The platform answers after 5 s, so the two running daemons' claims are live (their
    sends in flight, as many as each outlet hands to Telegram at once) while the third starts:
    its start-up recovery takes none of them."""
    office.write_config(daemon="reload_seconds = 1\n")
    make = to_every_chat(1)
    parked = office.park({"loa": make})
    first = start_all(office, 2)
    fake.delay = 5.0
    office.move({"loa": make}, parked, 1)
    claims = "select key, claimed_by from delivery where state = 'sending'"
    full = 2 * PLATFORM_IN_FLIGHT
    held = dict(wait_for(lambda: len(office.query(claims)) == full and office.query(claims), 20,
                         "both daemons' claims"))  # fmt: skip
    assert set(held.values()) <= {office.daemon_id(p) for p in first}
    newcomer = office.start()
    office.started(newcomer, timeout=30)
    assert dict(office.query(claims)) == held, "the newcomer took live claims"
    wait_for(lambda: office.query(UNFINISHED)[0][0] == 0, 30, "every delivery done")
    for process in [*first, newcomer]:
        assert office.stop(process)[0] == 0, office.log(process)
    assert office.query("select count(*) from delivery where possible_duplicate")[0][0] == 0
    assert sorted(arrivals(fake).values()) == [1] * CHATS
    assert "recovered deliveries" not in office.log(newcomer)


@pytest.mark.parametrize("cluster", [300], indirect=True)
def test_what_the_leader_syncs_wakes_the_other_daemons_at_once(
    office: Office, fake: FakeTelegram, cluster: dict[str, int]
) -> None:
    """An edit brings 300 messages due in a second; only the leader syncs files. The platform
    answers after 1 s, so the leader alone would take half a minute. The follower hears of
    the change from the leader's sync, not at its rescan (every 30 s), and claims its part
    at the same moment as the leader."""
    office.write_config(daemon="reload_seconds = 1\n")
    make = to_every_chat(1)
    parked = office.park({"loa": make})
    processes = start_all(office, 2)
    chief = wait_for(lambda: leader(office), 10, "a leader")
    follower = next(office.daemon_id(p) for p in processes if office.daemon_id(p) != chief)
    fake.delay = 1.0
    office.move({"loa": make}, parked, 1)
    wait_for(lambda: office.query(UNFINISHED)[0][0] == 0, 60, "every delivery done")
    for process in processes:
        assert office.stop(process)[0] == 0, office.log(process)
    first = dict(office.query("select claimed_by, min(claimed_at) from delivery group by 1"))
    assert set(first) == {chief, follower}, first
    assert abs(iso_time(first[follower]) - iso_time(first[chief])) < dt.timedelta(seconds=3), first
    assert sorted(arrivals(fake).values()) == [1] * len(cluster)


def iso_time(stored: object) -> dt.datetime:
    """A time as the store gives it back to ``Office.query`` (PostgreSQL: aware already)."""
    return stored if isinstance(stored, dt.datetime) else dt.datetime.fromisoformat(str(stored))


@pytest.mark.parametrize("cluster", [300], indirect=True)
def test_three_daemons_together_keep_telegrams_30_messages_a_second(
    office: Office, fake: FakeTelegram, cluster: dict[str, int]
) -> None:
    """The fake enforces Telegram's limits (30/s a bot) and answers 429 past them; loa keeps
    its default Telegram limits. 300 chats, one message each, all due at once: each daemon
    claims its part (up to 12, its Telegram outlet in flight) and alone would send 30/s, three together 90/s. They share
    the bot's rate by the registry of live daemons, and each keeps sending its share: what a
    daemon puts back behind the rate limit falls due again for all of them."""
    fake.limits = RateLimits()
    office.extra_config = office.extra_config.replace("[channels.tg.limits]\nenabled = false\n", "")
    office.write_config(daemon="reload_seconds = 1\n")
    make = to_every_chat(1)
    parked = office.park({"loa": make})
    processes = start_all(office, 3)
    for process in processes:  # each knows the others (the survey every 2 s)
        wait_for(lambda p=process: "daemons=3" in office.log(p), 15, "the rate shared by 3")
    began = time.monotonic()
    office.move({"loa": make}, parked, 1)
    wait_for(lambda: office.query(UNFINISHED)[0][0] == 0, 60, "every delivery done")
    took = time.monotonic() - began
    for process in processes:
        assert office.stop(process)[0] == 0, office.log(process)
    senders = dict(office.query("select claimed_by, count(*) from delivery group by claimed_by"))
    print(f"\n{len(fake.accepted)} messages in {took:.1f} s, sent by {sorted(senders.values())}, "
          f"{len(fake.refused)} refused")  # fmt: skip
    assert len(senders) == 3, "the test means something only if every daemon sent"
    # together at the limit (each 9 a second, one under its even share): a send that reaches the fake late by more than
    # the limiter's slack on a loaded machine may meet a 429 now and then (it is sent again); a
    # rate kept per process meets hundreds (439 in the run that showed it)
    assert len(fake.refused) <= len(cluster) // 100, [r.description for r in fake.refused]
    # each sends its part: not one daemon alone at its share (9/s) while the others never hear
    # that the deliveries it put back behind the limit fall due again
    assert min(senders.values()) >= len(cluster) // 5, senders
    assert sorted(arrivals(fake).values()) == [1] * len(cluster)
    assert office.states() == {"sent": len(cluster)}
