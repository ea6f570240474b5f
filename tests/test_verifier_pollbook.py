"""Issue 9, the record side of the poll-book count: `pollbook/<station_id>.json` (optional for
now), signed by the station key the package names, and equal to the station's cast ballots
(V15). The tally station imports it, refuses a forged or second one, and will not write a
record whose counts disagree with the booths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ballots.pollbook_count import PollBookCount
from ballots.record import PRE_DECRYPTION
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.signing import SigningKey
from tally.station import ImportRejected, ImportStatus, TallyStation
from tests.record_helpers import BuiltRecord, build_record, failed_check, resign_index, run


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(
        tmp_path_factory.mktemp("pollbook"), ballots=10, challenged=1, pollbook=("S1", "S2")
    )


@pytest.fixture
def record(built: BuiltRecord, tmp_path: Path) -> Path:
    copy = tmp_path / "record"
    shutil.copytree(built.folder, copy)
    return copy


def cast_in(built: BuiltRecord, station_id: str) -> int:
    return sum(1 for sid, _ in built.cast_choices if sid == station_id)


def resign_count(record: Path, built: BuiltRecord, station_id: str, **counts: int) -> None:
    path = record / f"pollbook/{station_id}.json"
    old = PollBookCount.from_json(path.read_bytes())
    new = PollBookCount.sign(
        built.pollbook_keys[station_id], old.base, station_id, {**old.counts(), **counts}
    )
    path.write_bytes(new.to_json())


def test_counts_equal_to_the_casts_verify(built: BuiltRecord) -> None:
    ok, out = run(built.folder)
    assert ok, out
    line = next(line for line in out.splitlines() if line.startswith("V15"))
    assert "2 of 2 stations ok" in line and "checked in not cast 2" in line


def test_a_record_without_counts_still_verifies(tmp_path: Path) -> None:
    plain = build_record(tmp_path, ballots=4, challenged=0, final=False)
    ok, out = run(plain.folder, expect=PRE_DECRYPTION)
    assert ok and "none in the record (optional in this version" in out


def test_count_other_than_the_casts_fails_v15_naming_the_station(
    built: BuiltRecord, record: Path
) -> None:
    n = cast_in(built, "S2")
    resign_count(record, built, "S2", voted=n + 1)
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V15"
    assert f"pollbook/S2.json: the poll book of station S2 counts {n + 1} voters; " in out
    assert f"hold {n} cast ballots" in out


def test_count_signed_by_another_key_fails_v15(built: BuiltRecord, record: Path) -> None:
    path = record / "pollbook/S1.json"
    old = PollBookCount.from_json(path.read_bytes())
    forged = PollBookCount.sign(SigningKey.generate(), old.base, "S1", old.counts())
    path.write_bytes(forged.to_json())
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V15" and "signature does not verify" in out


def test_count_of_another_station_in_its_slot_fails_v15(built: BuiltRecord, record: Path) -> None:
    (record / "pollbook/S1.json").write_bytes((record / "pollbook/S2.json").read_bytes())
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V15" and "not station S1's count" in out


def test_count_of_an_unknown_station_fails_v3(built: BuiltRecord, record: Path) -> None:
    (record / "pollbook/S9.json").write_bytes((record / "pollbook/S2.json").read_bytes())
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V3" and "pollbook/S9.json: not a file of" in out


def test_malformed_count_is_named(built: BuiltRecord, record: Path) -> None:
    obj = parse_canonical_json((record / "pollbook/S1.json").read_bytes())
    obj["counts"]["voted"] = -1
    (record / "pollbook/S1.json").write_bytes(canonical_json(obj))
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V15" and "'voted'" in out and "internal" not in out


# The tally station ---------------------------------------------------------------------------


def station_with_exports(built: BuiltRecord, tmp_path: Path) -> TallyStation:
    station = TallyStation(tmp_path / "ws")
    station.init(built.package_folder, None)
    for e in built.exports:
        station.import_export(e.to_json())
    return station


def test_tally_station_imports_counts_into_the_record(built: BuiltRecord, tmp_path: Path) -> None:
    station = station_with_exports(built, tmp_path)
    data = (built.folder / "pollbook/S1.json").read_bytes()
    status, count = station.import_pollbook_count(data)
    assert status is ImportStatus.ADDED and count.voted == cast_in(built, "S1")
    assert station.import_pollbook_count(data)[0] is ImportStatus.UNCHANGED
    index = station.prepare(tmp_path / "pre", built.tally_key)
    assert "pollbook/S1.json" in dict(index.files)
    assert (tmp_path / "pre/pollbook/S1.json").read_bytes() == data
    ok, out = run(tmp_path / "pre", expect=PRE_DECRYPTION)
    assert ok and "1 of 2 stations ok" in out, out


def test_tally_station_refuses_forged_second_and_unknown_counts(
    built: BuiltRecord, tmp_path: Path
) -> None:
    station = station_with_exports(built, tmp_path)
    old = PollBookCount.from_json((built.folder / "pollbook/S1.json").read_bytes())
    forged = PollBookCount.sign(SigningKey.generate(), old.base, "S1", old.counts())
    with pytest.raises(ImportRejected, match="signature does not verify"):
        station.import_pollbook_count(forged.to_json())
    station.import_pollbook_count(old.to_json())
    second = PollBookCount.sign(
        built.pollbook_keys["S1"], old.base, "S1", {**old.counts(), "released": 1}
    )
    with pytest.raises(ImportRejected, match="a different poll-book count was already imported"):
        station.import_pollbook_count(second.to_json())
    unknown = PollBookCount.sign(built.pollbook_keys["S1"], old.base, "S9", old.counts())
    with pytest.raises(ImportRejected, match="S9: not a station of the definition"):
        station.import_pollbook_count(unknown.to_json())
    with pytest.raises(ImportRejected, match="not a valid poll-book count"):
        station.import_pollbook_count(b"{}")


def test_tally_station_writes_no_record_when_a_count_disagrees(
    built: BuiltRecord, tmp_path: Path
) -> None:
    station = station_with_exports(built, tmp_path)
    old = PollBookCount.from_json((built.folder / "pollbook/S2.json").read_bytes())
    wrong = PollBookCount.sign(
        built.pollbook_keys["S2"], old.base, "S2", {**old.counts(), "voted": old.voted + 1}
    )
    station.import_pollbook_count(wrong.to_json())
    with pytest.raises(ImportRejected, match="station S2: the poll book counts"):
        station.prepare(tmp_path / "pre", built.tally_key)
    assert not (tmp_path / "pre").exists()
