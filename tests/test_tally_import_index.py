"""`refvote tally import`: checks on workers, the same answers; the SQLite index of imported
exports stays consistent with the files after an interrupted import and makes the next
import incremental (earlier exports are not read again)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import tally.station as station_module
from ballots.export import BoothExport
from ballots.package import key_fingerprint
from crypto.encoding import canonical_json, parse_canonical_json
from tally.parallel import ProcessRunner
from tally.station import ImportRejected, ImportResult, ImportStatus, TallyStation
from tests.record_helpers import BuiltRecord, build_record


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("election"), ballots=24)


def workspace(built: BuiltRecord, folder: Path) -> TallyStation:
    station = TallyStation(folder)
    station.init(built.package_folder, key_fingerprint(built.authority.verify_key))
    return station


def reused_id(built: BuiltRecord, donor: int) -> bytes:
    """S2-A's export (re-signed by S2-A) with one cast ballot's ID set to that of a cast ballot
    of export `donor`: V4–V6 pass on it alone; the check across exports refuses it."""
    from tests.record_helpers import resign_export

    taken = next(
        b["ballot_id"]
        for b in parse_canonical_json(built.exports[donor].to_json())["ballots"]
        if b["status"] == "cast"
    )
    obj = parse_canonical_json(built.exports[2].to_json())
    next(b for b in obj["ballots"] if b["status"] == "cast")["ballot_id"] = taken
    obj["ballots"].sort(key=lambda b: b["ballot_id"])
    folder = built.folder.parent / f"reused-{donor}"
    (folder / "booths").mkdir(parents=True, exist_ok=True)
    (folder / "booths" / "S2-A.json").write_bytes(canonical_json(obj))
    resign_export(folder, "S2-A", built.booth_keys["S2-A"], recompute_close=False)
    return (folder / "booths" / "S2-A.json").read_bytes()


def answers(results: list[ImportResult | ImportRejected]) -> list[str]:
    return [
        f"REJECTED {r}" if isinstance(r, ImportRejected) else f"{r.status.value} {r}"
        for r in results
    ]


def test_imports_on_workers_answer_as_one_after_another(built: BuiltRecord, tmp_path: Path) -> None:
    batch = [e.to_json() for e in built.exports[:2]]
    batch += [reused_id(built, 0), built.exports[0].to_json(), b"{not json"]
    serial = workspace(built, tmp_path / "serial")
    one_by_one: list[ImportResult | ImportRejected] = []
    for data in batch:
        try:
            one_by_one.append(serial.import_export(data))
        except ImportRejected as exc:
            one_by_one.append(exc)
    parallel = workspace(built, tmp_path / "parallel")
    on_workers = parallel.import_many(batch, ProcessRunner(2))
    assert answers(on_workers) == answers(one_by_one)
    assert "ballot_id appears twice in the record" in answers(one_by_one)[2]
    assert answers(one_by_one)[3].startswith("unchanged")
    assert answers(one_by_one)[4].startswith("REJECTED not a valid booth export")
    assert parallel.index_consistent() and serial.index_consistent()
    # The last booth, on its own, is accepted by both.
    last = built.exports[2].to_json()
    assert parallel.import_many([last], ProcessRunner(2))[0] == serial.import_export(last)


def test_an_interrupted_import_leaves_the_index_consistent(
    built: BuiltRecord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    station = workspace(built, tmp_path / "ws")
    first, second, third = (e.to_json() for e in built.exports)
    station.import_export(first)
    real = station_module._index_rows

    def crash_inside_the_transaction(*args: Any) -> None:
        real(*args)  # rows written, then the process "dies" before COMMIT
        raise KeyboardInterrupt

    monkeypatch.setattr(station_module, "_index_rows", crash_inside_the_transaction)
    with pytest.raises(KeyboardInterrupt):
        station.import_export(second)
    monkeypatch.setattr(station_module, "_index_rows", real)
    # The export file is in place; its rows were rolled back.
    assert (tmp_path / "ws" / "imports" / f"{built.exports[1].booth_id}.json").is_file()
    with sqlite3.connect(tmp_path / "ws" / "index.sqlite") as db:
        booths = {row[0] for row in db.execute("SELECT booth_id FROM exports")}
    assert booths == {built.exports[0].booth_id}
    # Re-run: the index is reconciled with the files first, then the import goes on.
    again = TallyStation(tmp_path / "ws")
    results = [again.import_export(data) for data in (first, second)]
    assert [r.status for r in results] == [ImportStatus.UNCHANGED, ImportStatus.UNCHANGED]
    assert again.index_consistent()
    # The interrupted export's ballots are known to the index: reusing one is refused.
    with pytest.raises(ImportRejected, match="ballot_id appears twice in the record"):
        TallyStation(tmp_path / "ws").import_export(reused_id(built, 1))
    assert again.import_export(third).status is ImportStatus.ADDED
    assert again.index_consistent()


def test_a_deleted_file_or_index_is_reconciled(built: BuiltRecord, tmp_path: Path) -> None:
    station = workspace(built, tmp_path / "ws")
    for e in built.exports[:2]:
        station.import_export(e.to_json())
    (tmp_path / "ws" / "index.sqlite").unlink()
    assert TallyStation(tmp_path / "ws").index_consistent()  # rebuilt from the files
    (tmp_path / "ws" / "imports" / f"{built.exports[1].booth_id}.json").unlink()
    again = TallyStation(tmp_path / "ws")
    assert again.index_consistent()  # the gone file's rows dropped
    assert again.import_export(built.exports[1].to_json()).status is ImportStatus.ADDED


def test_the_next_import_does_not_read_the_earlier_exports(
    built: BuiltRecord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    station = workspace(built, tmp_path / "ws")
    for e in built.exports[:2]:
        station.import_export(e.to_json())
    read: list[str] = []
    real = BoothExport.from_json.__func__  # type: ignore[attr-defined]

    def counting(cls: type[BoothExport], data: bytes, what: str = "booth export") -> BoothExport:
        read.append(what)
        return real(cls, data, what)  # type: ignore[no-any-return]

    monkeypatch.setattr(BoothExport, "from_json", classmethod(counting))
    later = TallyStation(tmp_path / "ws")  # a new run
    assert later.import_export(built.exports[2].to_json()).status is ImportStatus.ADDED
    # Only the new export was read (twice: its probe and its V4), no imports/*.json.
    assert read == ["booth export", "export of booth S2-A"], read
