"""Units named in campaign files: by id or any alias (case and diacritics aside), two units
joined by ";" are two, similar names stay distinct, an unknown one is an error at its line
with the closest name, and ``channels = ["units"]`` reaches each unit's chats once."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from campaigns.expand import expand
from campaigns.model import ChannelCatalog
from campaigns.units import Unit, UnitRegistry, fold, split_names
from tests.helpers import CATALOG, campaign, errors, window

MTTQ = "Ủy ban MTTQ Việt Nam tỉnh"
MTTQ_ALL = "Ủy ban MTTQ Việt Nam tỉnh và các tổ chức chính trị - xã hội tỉnh"
REGISTRY = UnitRegistry(
    {
        "so-nnmt": Unit("so-nnmt", "Sở Nông nghiệp và Môi trường", "Sở NN&MT",
                        ("Sở TN&MT",), (("telegram", "nhom-vp"),)),
        "mttq": Unit("mttq", MTTQ, "", (), (("telegram", "unit:mttq:-1001"),)),
        "mttq-cttcxh": Unit("mttq-cttcxh", MTTQ_ALL, "", (), (("telegram", "unit:mttq-cttcxh:-1002"),)),
        "tinh-doan": Unit("tinh-doan", "Tỉnh đoàn", "", (), (("telegram", "nhom-vp"),)),
    },
    {("telegram", "nhom-vp"): "-1000", ("telegram", "unit:mttq:-1001"): "-1001",
     ("telegram", "unit:mttq-cttcxh:-1002"): "-1002"},
)  # fmt: skip
WITH_UNITS = replace(CATALOG, units=REGISTRY)
HEAD = 'id = "c"\ntitle = "Chiến dịch"\n'


def deadline(lead: str, partners: str = "[]", extra: str = "") -> str:
    return (
        HEAD + '[[deadline]]\nid = "bao-cao"\ntitle = "Báo cáo"\ndue = "yearly 12-09"\n'
        f"remind = [1]\nlead = {lead}\npartners = {partners}\n{extra}"
    )


def test_units_named_by_alias_whatever_the_case_and_diacritics() -> None:
    found = campaign(deadline('"so tn&mt"', f'["{MTTQ_ALL.upper()}", "ủy ban mttq việt nam tỉnh"]'),
                     WITH_UNITS)  # fmt: skip
    (d,) = found.deadlines
    assert d.lead == "so-nnmt"
    assert d.partners == ("mttq-cttcxh", "mttq")  # two units, though one name contains the other
    assert d.units == ("so-nnmt", "mttq-cttcxh", "mttq")


def test_a_lead_of_two_units_is_two_units() -> None:
    (d,) = campaign(deadline(f'"Sở TN&MT; {MTTQ}"'), WITH_UNITS).deadlines
    assert d.leads == ("so-nnmt", "mttq") and d.units == ("so-nnmt", "mttq")
    (d,) = campaign(deadline('["Sở TN&MT", "Tỉnh đoàn"]'), WITH_UNITS).deadlines
    assert d.leads == ("so-nnmt", "tinh-doan")


def test_unknown_unit_is_reported_at_its_line_with_the_closest_name() -> None:
    assert errors(deadline('"Sở TN&MT"', '["Tinh doan tinh"]'), WITH_UNITS) == [
        "c.toml:9: deadline[1].partners: không có đơn vị 'Tinh doan tinh' trong danh sách đơn vị "
        "([units] trong config.toml) (có phải ý bạn là 'Tỉnh đoàn'?)"
    ]


def test_without_a_registry_units_stay_free_text_and_cannot_be_reached() -> None:
    (d,) = campaign(deadline('"Sở A; Sở B"', '["Sở C"]')).deadlines
    assert d.leads == ("Sở A", "Sở B") and d.partners == ("Sở C",) and d.units == ()
    found = errors(deadline('"Sở A"', extra='channels = ["units"]\n'))
    assert len(found) == 1 and "chưa có danh sách đơn vị" in found[0]


def test_units_channel_reaches_each_chat_once() -> None:
    text = deadline(
        '"Sở TN&MT"', f'["Tỉnh đoàn", "{MTTQ}"]', 'channels = ["units", "telegram:nhom-vp"]\n'
    )
    c = campaign(text, WITH_UNITS)
    expansion = expand(c, *window("2026-12-08", "2026-12-08"), WITH_UNITS)
    targets = [(d.channel, d.target) for d in expansion.dispatches()]
    # Sở and Tỉnh đoàn share nhom-vp, also named by the channels: one target, then mttq's chat
    assert targets == [("telegram", "nhom-vp"), ("telegram", "unit:mttq:-1001")]
    lead_only = campaign(text.replace('"units",', '"units:lead",'), WITH_UNITS)
    targets = [d.target for d in expand(lead_only, *window("2026-12-08", "2026-12-08"),
                                        WITH_UNITS).dispatches()]  # fmt: skip
    assert targets == ["nhom-vp"]


def test_a_unit_spec_other_than_lead_or_partners_is_refused() -> None:
    found = errors(deadline('"Sở TN&MT"', extra='channels = ["units:all"]\n'), WITH_UNITS)
    assert len(found) == 1 and "units:partners" in found[0]


def test_chat_of_a_unit_is_known_under_each_name() -> None:
    assert REGISTRY.units_of_chat("telegram", "-1000") == ["so-nnmt", "tinh-doan"]
    assert REGISTRY.units_of_chat("telegram", "-1001") == ["mttq"]
    assert REGISTRY.address("telegram", "chat:-1001") == ("telegram", "-1001")
    assert ChannelCatalog().units.units == {}


names = st.text(st.characters(blacklist_characters=";", blacklist_categories=("Cs",)), min_size=1)


@given(st.lists(names, max_size=5))
def test_split_names_gives_back_each_name_once(parts: list[str]) -> None:
    wanted = tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))
    assert split_names("; ".join(parts)) == wanted
    assert split_names(parts) == wanted


@given(names)
def test_fold_ignores_case_and_diacritics(name: str) -> None:
    assert fold(name) == fold(name.upper()) == fold(fold(name))


def test_a_library_unit_the_registry_lacks_is_a_warning_and_owes_nothing() -> None:
    from campaigns.adapt import LIBRARY
    from campaigns.loader import load_file

    path = LIBRARY / "bao-cao-chi-so-xanh-pgi.toml"
    found, problems = load_file(path, WITH_UNITS, "Asia/Ho_Chi_Minh")
    assert found is not None
    assert problems and all(p.severity == "warning" for p in problems)
    assert all(d.units == () or set(d.units) <= set(REGISTRY.units) for d in found.deadlines)


def test_units_on_a_message_of_no_activity_or_deadline_is_refused() -> None:
    text = HEAD + '[[message]]\nid = "m"\nat = 2026-06-01\ntext = "x"\nchannels = ["units"]\n'
    (found,) = errors(text, WITH_UNITS)
    assert found.startswith('c.toml:7: message[1].channels: "units" gửi tới các đơn vị')
