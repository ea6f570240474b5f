"""Reports written from a real signed record (tests/record_helpers.py): the station details come
from the record's booth exports and poll-book counts, never from elsewhere."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ballots.package import verify_package
from ballots.record import Results
from crypto.hashing import file_fingerprint
from tally.reports import ReportError, publish_context, record_details, report_names, write_reports
from tests.record_helpers import BuiltRecord, build_record


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("record"), pollbook=("S1",))


def text_of(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_reports_from_a_record(built: BuiltRecord, tmp_path: Path) -> None:
    package = verify_package(built.folder / "package")
    results = Results.from_json((built.folder / "tally/results.json").read_bytes())
    fingerprint = file_fingerprint((built.folder / "index.json").read_bytes())
    ctx = publish_context(
        built.folder, package, results, fingerprint, False, notes={"S2-A": "人工計票 manual count"}
    )
    written = write_reports(ctx, tmp_path / "reports")
    assert [p.name for p in written] == report_names(package.definition)
    exports = {e.booth_id: e for e in built.exports}
    s1 = text_of(tmp_path / "reports/station-S1.pdf")
    voters = exports["S1-A"].counts.cast + exports["S1-B"].counts.cast
    assert voters == sum(1 for sid, _ in built.cast_choices if sid == "S1")
    assert f"投票人數 Voters：{voters:,}" in s1
    assert "已領未投 Checked in, not cast：1（依投票簿計數）" in s1
    for booth in ("S1-A", "S1-B"):
        c = exports[booth].counts
        row = next(x for x in s1.splitlines() if x.strip().startswith(booth))
        assert row.split()[1:4] == [str(c.cast), str(c.challenged), str(c.voided)]
        hexed = exports[booth].close.hex()
        assert " ".join(hexed[i : i + 4] for i in range(0, 32, 4)) in s1
    s2 = text_of(tmp_path / "reports/station-S2.pdf")
    assert "本所投票簿計數未附於紀錄" in s2 and "人工計票 manual count" in s2
    table = json.loads((tmp_path / "reports/results.json").read_text(encoding="utf-8"))
    by_id = {s["station_id"]: s for s in table["stations"]}
    assert by_id["S1"]["checked_in_not_cast"] == 1 and by_id["S2"]["checked_in_not_cast"] is None
    assert by_id["S2"]["booths"][0]["note"] == "人工計票 manual count"
    # 開票時間 is the record's writing, 製表時間 now: both printed, the first not after the second.
    assert ctx.counted_at is not None and ctx.tabulated_at is not None
    assert ctx.counted_at <= ctx.tabulated_at
    assert "開票時間：中華民國" in s1 and "製表時間：中華民國" in s1


def test_a_damaged_booth_export_in_the_record_is_named(built: BuiltRecord, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "record"
    shutil.copytree(built.folder, copy)
    (copy / "booths/S2-A.json").write_bytes(b"{}")
    package = verify_package(copy / "package")
    with pytest.raises(ReportError, match="S2-A"):
        record_details(copy, package.definition)


def test_station_reports_in_worker_processes_equal_the_serial_ones(
    built: BuiltRecord, tmp_path: Path
) -> None:
    package = verify_package(built.folder / "package")
    results = Results.from_json((built.folder / "tally/results.json").read_bytes())
    fingerprint = file_fingerprint((built.folder / "index.json").read_bytes())
    ctx = publish_context(built.folder, package, results, fingerprint, False)
    write_reports(ctx, tmp_path / "serial")
    write_reports(ctx, tmp_path / "parallel", workers=2)
    names = sorted(p.name for p in (tmp_path / "serial").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "parallel").iterdir())
    for name in names:
        if name.endswith(".pdf"):
            assert text_of(tmp_path / "serial" / name) == text_of(tmp_path / "parallel" / name)
        else:
            a = (tmp_path / "serial" / name).read_bytes()
            assert a == (tmp_path / "parallel" / name).read_bytes()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left


def test_a_worker_error_is_raised_whole(built: BuiltRecord, tmp_path: Path) -> None:
    from dataclasses import replace

    package = verify_package(built.folder / "package")
    results = Results.from_json((built.folder / "tally/results.json").read_bytes())
    ctx = publish_context(built.folder, package, results, bytes(32), False)
    # An outcome for a case the definition does not have: each worker's KeyError reaches here.
    broken = replace(
        ctx, results=replace(results, outcomes=(("no-such-case", results.outcomes[0][1]),))
    )
    with pytest.raises(KeyError, match="no-such-case"):
        write_reports(broken, tmp_path / "r", workers=2)
    assert not (tmp_path / "r").exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
