"""The referendum definition: TOML source → canonical definition.json, with precise errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballots.definition import Definition, load_source
from ballots.errors import DefinitionError
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.errors import CryptoError
from tests.record_helpers import DEFINITION

ROOT = Path(__file__).resolve().parent.parent
SHARED_CSV = ROOT.parent / "shared" / "data" / "tw-referendum-results.csv"


def test_source_to_canonical_round_trip() -> None:
    d = load_source(DEFINITION)
    data = d.to_json()
    assert parse_canonical_json(data) == d.to_obj()
    assert Definition.from_json(data) == d
    assert d.manifest_hash() == Definition.from_json(data).manifest_hash()
    assert d.question_ids() == ("17", "18")
    assert d.station_of_booth("S1-B").station_id == "S1"
    assert d.eligible == 70


def test_canonical_form_only() -> None:
    d = load_source(DEFINITION)
    pretty = canonical_json(d.to_obj()).replace(b',"', b', "')
    with pytest.raises(DefinitionError, match="canonical"):
        Definition.from_json(pretty)


def test_source_is_nfc_normalised() -> None:
    decomposed = DEFINITION.replace("測試國小", "測試國小 Cafe\u0301")
    d = load_source(decomposed)
    assert d.station("S1").name == "測試國小 Caf\u00e9"


@pytest.mark.parametrize(
    "change, where, message",
    [
        (lambda s: s.replace('date = "2021-12-18"', 'date = "2021-13-40"'), "date", "YYYY-MM-DD"),
        (
            lambda s: s.replace('question_id = "18"', 'question_id = "17"'),
            "questions",
            "appears twice",
        ),
        (
            lambda s: s.replace('case_number = "第18案"', 'case_number = "第17案"'),
            "questions",
            "appears twice",
        ),
        (
            lambda s: s.replace('booths = ["S2-A"]', 'booths = ["S1-A"]'),
            "stations",
            "appears twice",
        ),
        (
            lambda s: s.replace("eligible = 30", "eligible = 65536"),
            "stations[1].eligible",
            "0 to 65535",
        ),
        (
            lambda s: s.replace("eligible = 30", "eligible = -1"),
            "stations[1].eligible",
            "0 to 65535",
        ),
        (
            lambda s: s.replace("eligible = 30", 'eligible = "30"'),
            "stations[1].eligible",
            "whole number",
        ),
        (
            lambda s: s.replace('short_title_zh = "萊劑豬肉進口"\n', ""),
            "questions[1].short_title_zh",
            "missing",
        ),
        (
            lambda s: s.replace(
                "english_unofficial = true\n\n[[stations]]",
                'english_unofficial = "yes"\n\n[[stations]]',
            ),
            "questions[1].english_unofficial",
            "true or false",
        ),
        (
            lambda s: s.replace('station_id = "S2"', 'station_id = "S 2"'),
            "stations[1].station_id",
            "IDs use",
        ),
        (
            lambda s: s.replace('name = "測試國中"', 'name = " 測試國中"'),
            "stations[1].name",
            "leading or trailing",
        ),
        (lambda s: 'colour = "blue"\n' + s, "colour", "unknown field"),
        (lambda s: s + '\ncolour = "blue"\n', "stations[1].colour", "unknown field"),
        (
            lambda s: s.replace(
                'referendum_id = "test-2021"', 'referendum_id = "test-2021"\npacking_base = 256'
            ),
            "packing_base",
            "requires 65536",
        ),
        (
            lambda s: s.replace(
                '[[stations]]\nstation_id = "S2"', '[[stations]]\nstation_id = "S2"\nbooths = []'
            ),
            "definition.toml",
            "not valid TOML",
        ),
        (
            lambda s: s.replace(
                'text_zh = "您是否同意核四啟封商轉發電？"', 'text_zh = "\U0001fae8"'
            ),
            "questions[0].text_zh",
            "unassigned",
        ),
    ],
)
def test_precise_errors(change, where: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DefinitionError, match=message) as info:
        load_source(change(DEFINITION))
    assert info.value.where == where or str(info.value).startswith(where)


def test_toml_syntax_error_names_the_line() -> None:
    with pytest.raises(DefinitionError, match=r"line 3"):
        load_source('referendum_id = "x"\ndate = "2021-12-18"\ntitle_zh = \n')


@given(st.text(max_size=300))
def test_random_source_gives_clean_errors(text: str) -> None:
    # The valid source loads, and its canonical form reads back to the same definition.
    definition = load_source(DEFINITION)
    assert Definition.from_json(definition.to_json()) == definition
    try:
        loaded = load_source(text)
    except DefinitionError:
        return
    assert Definition.from_json(loaded.to_json()) == loaded


@given(st.data())
def test_mutated_definition_json_gives_clean_errors(data: st.DataObject) -> None:
    valid = load_source(DEFINITION).to_json()
    assert Definition.from_json(valid).to_json() == valid  # a valid definition round-trips
    raw = bytearray(valid)
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        d = Definition.from_json(bytes(raw))
    except CryptoError:
        return
    assert d.to_json() == bytes(raw)  # whatever is accepted is exactly canonical


def test_the_2021_example_matches_the_published_texts() -> None:
    d = load_source((ROOT / "examples/referendum-2021.toml").read_text(encoding="utf-8"))
    assert d.question_ids() == ("17", "18", "19", "20")
    assert all(q.english_unofficial for q in d.questions)
    assert all(s.eligible < 65536 for s in d.stations)
    # Short labels are neutral (docs/decisions.md, issue 11): they name the subject, never a
    # side's slogan (反萊豬, 珍愛藻礁, "Ban …", "Protect …" were campaign names).
    assert [(q.short_title_zh, q.short_title_en) for q in d.questions] == [
        ("核四啟封", "Unsealing Nuclear Plant 4"),
        ("萊劑豬肉進口", "Ractopamine pork imports"),
        ("公投與大選同日", "Referendums on election days"),
        ("三接遷離藻礁", "Relocating the third LNG terminal"),
    ]
    for word in ("反", "珍愛", "Ban", "Protect", "Restart"):
        assert not any(word in q.short_title_zh + q.short_title_en for q in d.questions), word
    if not SHARED_CSV.is_file():
        pytest.skip("shared/data is not beside this checkout")
    with SHARED_CSV.open(encoding="utf-8") as f:
        rows = {r["case_no"]: r for r in csv.DictReader(f) if r["year"] == "2021"}
    for q in d.questions:
        assert q.text_zh == rows[q.question_id]["title_zh"]
        assert q.case_number == f"第{q.question_id}案"
    assert d.eligible == int(rows["17"]["eligible"])


# Area names: "/" joins county and township in the published totals ----------------------------


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ('county = "臺北市"', 'county = "臺北/市"', "stations[0].county"),
        ('township = "板橋區"', 'township = "板/橋區"', "stations[1].township"),
    ],
)
def test_slash_in_an_area_name_is_refused(old: str, new: str, where: str) -> None:
    with pytest.raises(DefinitionError, match="must not contain '/'") as exc:
        load_source(DEFINITION.replace(old, new))
    assert exc.value.where == where
    canonical = (
        load_source(DEFINITION)
        .to_json()
        .replace(old.split(" = ")[1].strip('"').encode(), new.split(" = ")[1].strip('"').encode())
    )
    with pytest.raises(DefinitionError, match="must not contain '/'"):
        Definition.from_json(canonical)


def test_townships_are_told_apart_by_county_and_name() -> None:
    """Before the fix, ("A/B", "C") and ("A", "B/C") were one township "A/B/C" in the totals.

    Built past the reader (which now refuses the "/"), the internal key must still keep them
    apart: two township totals, each with its own station's voters.
    """
    import dataclasses

    from ballots.results import Count, StationCount, totals

    d = load_source(DEFINITION)
    s1, s2 = d.stations
    clash = dataclasses.replace(
        d,
        stations=(
            dataclasses.replace(s1, county="A/B", township="C"),
            dataclasses.replace(s2, county="A", township="B/C"),
        ),
    )
    counts = [StationCount(s.station_id, "17", Count(1, 1, 0)) for s in clash.stations]
    townships = [
        t for t in totals(clash, counts) if t.level == "township" and t.question_id == "17"
    ]
    assert [(t.area, t.eligible, t.count.ballots) for t in townships] == [
        ("A/B/C", 40, 1),
        ("A/B/C", 30, 1),
    ]


class CountingTuple(tuple):  # type: ignore[type-arg]
    """A tuple that counts how often it is walked."""

    walks = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        CountingTuple.walks += 1
        return super().__iter__()


def test_lookups_do_not_walk_the_stations_each_time() -> None:
    import dataclasses

    d = load_source(DEFINITION)
    CountingTuple.walks = 0
    counted = dataclasses.replace(d, stations=CountingTuple(d.stations))
    built = CountingTuple.walks
    for _ in range(1000):
        assert counted.station("S2").eligible == 30
        assert counted.station_of_booth("S1-B").station_id == "S1"
    assert CountingTuple.walks == built  # the dictionaries were built once, at construction
    with pytest.raises(KeyError):
        counted.station("S9")
    with pytest.raises(KeyError):
        counted.station_of_booth("S9-A")
    assert counted == d and counted.question("18").case_number == "第18案"


@pytest.mark.parametrize("date", ["20211218", "2021-W50-6", "2021-12-1８", "2021-02-29", "2021-12"])
def test_date_is_exactly_yyyy_mm_dd(date: str) -> None:
    with pytest.raises(DefinitionError, match="YYYY-MM-DD"):
        load_source(DEFINITION.replace('date = "2021-12-18"', f'date = "{date}"'))


@pytest.mark.parametrize(
    "character", ["\u202e", "\u2066", "\u200f", "\u061c", "\x1b", "\x07", "\x00", "\x7f", "\x85"]
)
def test_control_and_bidi_override_characters_are_refused(character: str) -> None:
    # Shown on paper, screens, reports and terminals: text that displays differently from
    # what was hashed (a bidi override, an escape sequence) is refused at the source.
    # As a TOML escape: TOML itself refuses most raw control characters, not their escapes.
    source = DEFINITION.replace("測試國小", f"測試\\u{ord(character):04X}國小")
    assert source != DEFINITION
    with pytest.raises(DefinitionError, match=f"U\\+{ord(character):04X}"):
        load_source(source)
