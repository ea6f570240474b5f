"""Issue 8, item 8: V3 allows only the documented layout (election-record.md §1), refuses
symlinks and special files, and V12 checks results.json's quorum.

Each mutation is re-signed by the tally station, whose key alone could make it: before the
fix every one of these records verified.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ballots.errors import RecordError
from ballots.record import (
    FINAL,
    PRE_DECRYPTION,
    allowed_paths,
    read_record_file,
    required_paths,
    shares_path,
)
from tests.record_helpers import BuiltRecord, build_record, edit, failed_check, resign_index, run


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("layout"), ballots=12, challenged=1, voided=1)


@pytest.fixture
def record(built: BuiltRecord, tmp_path: Path) -> Path:
    copy = tmp_path / "record"
    shutil.copytree(built.folder, copy)
    return copy


def test_honest_record_lists_exactly_its_layout(built: BuiltRecord) -> None:
    ok, out = run(built.folder)
    assert ok, out


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("tally/results-corrected.json", "tally/results.json"),
        ("notes.txt", None),
        ("tally/shares/trustee-06.json", "tally/shares/trustee-01.json"),
        ("tally/shares/trustee-1.json", "tally/shares/trustee-01.json"),
        ("tally/shares/trustee-001.json", "tally/shares/trustee-01.json"),
        ("booths/S9-Z.json", "booths/S1-A.json"),
        ("package/confidential.json", None),
        ("booths/S1-A.json.bak", "booths/S1-A.json"),
    ],
)
def test_a_signed_file_outside_the_layout_fails_v3(
    built: BuiltRecord, record: Path, path: str, content: str | None
) -> None:
    target = record / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((record / content).read_bytes() if content else b"hello")
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V3", out
    assert f"{path}: not a file of the record's layout" in out


def test_a_ceremony_file_the_package_does_not_list_fails_v1(
    built: BuiltRecord, record: Path
) -> None:
    path = "package/ceremony/round1/trustee-06.json"
    (record / path).write_bytes((record / "package/ceremony/round1/trustee-01.json").read_bytes())
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V1" and "does not hold exactly the files" in out


def test_index_may_not_list_itself(built: BuiltRecord, record: Path) -> None:
    from ballots.record import RecordIndex
    from crypto.hashing import file_fingerprint

    old = RecordIndex.from_json((record / "index.json").read_bytes())
    files = tuple(sorted([*old.files, ("index.json", file_fingerprint(b""))]))
    unsigned = RecordIndex(old.manifest_hash, old.base, old.state, files, b"")
    signature = built.tally_key.sign("record", *unsigned.payload())
    (record / "index.json").write_bytes(
        RecordIndex(**{**unsigned.__dict__, "signature": signature}).to_json()
    )
    ok, out = run(record)
    assert not ok and failed_check(out) == "V3" and "index.json: not a file of the record" in out


def test_an_empty_stray_folder_fails_v3(built: BuiltRecord, record: Path) -> None:
    (record / "tally/extra").mkdir()
    ok, out = run(record)
    assert not ok and failed_check(out) == "V3" and "tally/extra/: a folder outside" in out


def test_required_file_missing_from_the_index_fails_v3(built: BuiltRecord, record: Path) -> None:
    (record / "tally/sums.json").unlink()
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V3"
    assert "tally/sums.json: not listed in index.json" in out


def test_symlinked_file_is_refused(built: BuiltRecord, record: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_bytes((record / "tally/results.json").read_bytes())
    (record / "tally/results.json").unlink()
    (record / "tally/results.json").symlink_to(outside)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V3"
    assert "tally/results.json: is a symbolic link" in out


def test_symlinked_folder_is_refused(built: BuiltRecord, record: Path, tmp_path: Path) -> None:
    shutil.move(record / "booths", tmp_path / "booths")
    (record / "booths").symlink_to(tmp_path / "booths")
    ok, out = run(record)
    assert not ok and failed_check(out) == "V3" and "booths: is a symbolic link" in out


def test_symlink_inside_the_package_fails_before_it_is_read(
    built: BuiltRecord, record: Path, tmp_path: Path
) -> None:
    shutil.move(record / "package/definition.json", tmp_path / "definition.json")
    (record / "package/definition.json").symlink_to(tmp_path / "definition.json")
    ok, out = run(record)
    assert not ok and failed_check(out) == "V1"
    assert "package/definition.json: is a symbolic link" in out


def test_fifo_is_refused_without_blocking(built: BuiltRecord, record: Path) -> None:
    (record / "tally/results.json").unlink()
    os.mkfifo(record / "tally/results.json")
    ok, out = run(record)
    assert not ok and failed_check(out) == "V3"
    assert "tally/results.json: is a FIFO, socket or device" in out
    with pytest.raises(RecordError, match="not a regular file"):
        read_record_file(record, "tally/results.json")


def test_folder_where_a_file_belongs_is_refused(built: BuiltRecord, record: Path) -> None:
    (record / "tally/results.json").unlink()
    (record / "tally/results.json").mkdir()
    ok, out = run(record)
    assert not ok and failed_check(out) == "V3", out
    with pytest.raises(RecordError, match=r"tally/results\.json: is a folder"):
        read_record_file(record, "tally/results.json")


def test_read_record_file_bounds_the_size(record: Path) -> None:
    data = (record / "tally/sums.json").read_bytes()
    assert read_record_file(record, "tally/sums.json", limit=len(data)) == data
    with pytest.raises(RecordError, match="larger than"):
        read_record_file(record, "tally/sums.json", limit=len(data) - 1)
    with pytest.raises(RecordError, match=r"nope\.json: missing"):
        read_record_file(record, "nope.json")


# The layout as a list ----------------------------------------------------------------------


def test_allowed_paths_is_the_documented_list() -> None:
    final = allowed_paths(
        ["S1-A", "S2-A"], ["S1", "S2"], ["ceremony.json", "confirm/trustee-01.json"], 5, FINAL
    )
    assert final == {
        "package/package.json",
        "package/definition.json",
        "package/ceremony/ceremony.json",
        "package/ceremony/confirm/trustee-01.json",
        "booths/S1-A.json",
        "booths/S2-A.json",
        "manual/S1-A.json",
        "manual/S2-A.json",
        "pollbook/S1.json",
        "pollbook/S2.json",
        "tally/sums.json",
        "tally/shares/trustee-01.json",
        "tally/shares/trustee-02.json",
        "tally/shares/trustee-03.json",
        "tally/shares/trustee-04.json",
        "tally/shares/trustee-05.json",
        "tally/results.json",
    }
    pre = allowed_paths(["S1-A"], ["S1"], ["ceremony.json"], 5, PRE_DECRYPTION)
    assert not {p for p in pre if p.startswith("tally/shares/") or p == "tally/results.json"}
    assert "tally/results.json" in required_paths([], FINAL)
    assert "tally/results.json" not in required_paths([], PRE_DECRYPTION)


def test_trustee_numbers_have_the_ceremony_width() -> None:
    assert shares_path(3, 5) == "tally/shares/trustee-03.json"
    assert shares_path(3, 99) == "tally/shares/trustee-03.json"
    assert shares_path(3, 100) == "tally/shares/trustee-003.json"
    assert shares_path(100, 120) == "tally/shares/trustee-100.json"


# V12: the quorum ---------------------------------------------------------------------------


@pytest.mark.parametrize("quorum", [[2, 3, 4], [1, 3], [1, 3, 4, 5], [4, 3, 1]])
def test_quorum_other_than_the_trustees_combined_fails_v12(
    built: BuiltRecord, record: Path, quorum: list[int]
) -> None:
    edit(record, "tally/results.json", lambda o: o.update(quorum=quorum))
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V12", out
    assert f"quorum says trustees {quorum}" in out and "[1, 3, 4]" in out


def test_v12_finds_each_sum_by_position_not_by_search(
    built: BuiltRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sums.index(spec)` per sum made V12 quadratic: it compared SumSpecs n(n+1)/2 times."""
    from ballots.results import SumSpec

    comparisons = 0
    original = SumSpec.__eq__

    def counting(self: SumSpec, other: object) -> bool:
        nonlocal comparisons
        comparisons += 1
        return original(self, other)

    monkeypatch.setattr(SumSpec, "__eq__", counting)
    ok, out = run(built.folder)
    assert ok, out
    assert comparisons == 0
