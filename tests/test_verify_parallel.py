"""`refvote verify --workers N` and `--dask ADDRESS` print exactly what one process prints.

The same record, honest or tampered (re-signed by whoever could have made the change, so each
check is reached), is verified in this process, by 2 local worker processes and by a Dask
LocalCluster of 2 worker processes started here; the outputs must be byte-identical, including
which check and which export fail first when several exports are wrong.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ballots.package import key_fingerprint
from tally.parallel import DaskRunner, ProcessRunner, RunnerUnavailable, runner_for
from tally.verify import Runner, Verifier
from tests.record_helpers import (
    BuiltRecord,
    build_record,
    edit,
    failed_check,
    resign_export,
    resign_index,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("election"), ballots=30)


@pytest.fixture(scope="module")
def dask_runner() -> Iterator[DaskRunner]:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        runner = runner_for(None, cluster.scheduler_address)  # as `--dask ADDRESS` does
        assert isinstance(runner, DaskRunner)
        yield runner
        runner.close()


def verify(folder: Path, authority: str, runner: Runner | None) -> tuple[bool, str]:
    out = io.StringIO()
    ok = Verifier(folder, authority, out, runner=runner).run()
    return ok, out.getvalue()


def flip_proof(n: int = 0) -> Callable[[Any], None]:
    def change(o: Any) -> None:
        proof = o["ballots"][n]["questions"][0]["proof"]
        proof[3] = ("1" if proof[3][0] != "1" else "2") + proof[3][1:]

    return change


def duplicate_cast(o: Any) -> None:
    """A cast ballot twice in the export, its chain entry twice (V6, and V8 after it)."""
    n = next(n for n, b in enumerate(o["ballots"]) if b["status"] == "cast")
    o["ballots"].insert(n, dict(o["ballots"][n]))
    o["chain"].append(dict(next(e for e in o["chain"] if e["kind"] == "cast")))
    o["counts"]["cast"] += 1


def honest(built: BuiltRecord, folder: Path) -> None:
    pass


def proofs_in_two_booths(built: BuiltRecord, folder: Path) -> None:
    """V7 in the first and the last booth: the first in definition order is named."""
    for booth in ("S2-A", "S1-A"):
        edit(folder, f"booths/{booth}.json", flip_proof())
        resign_export(folder, booth, built.booth_keys[booth])
    resign_index(folder, built.tally_key)


def signature_after_proof(built: BuiltRecord, folder: Path) -> None:
    """A later booth's bad signature (V4) comes before an earlier booth's bad proof (V7)."""
    edit(folder, "booths/S1-A.json", flip_proof())
    resign_export(folder, "S1-A", built.booth_keys["S1-A"])
    edit(folder, "booths/S2-A.json", lambda o: o.update(signature="11" * 64))
    resign_index(folder, built.tally_key)


def duplicate_and_proof(built: BuiltRecord, folder: Path) -> None:
    """V6 in the last booth (which also fails V8 on its own) before V7 in the first."""
    edit(folder, "booths/S1-A.json", flip_proof())
    resign_export(folder, "S1-A", built.booth_keys["S1-A"])
    edit(folder, "booths/S2-A.json", duplicate_cast)
    resign_export(folder, "S2-A", built.booth_keys["S2-A"])
    resign_index(folder, built.tally_key)


def ballot_in_another_booth(built: BuiltRecord, folder: Path) -> None:
    """V6 across exports: a ballot of S1-A published again in S1-B's export."""
    from ballots.export import BoothExport

    theirs = edit_read(folder, "booths/S1-A.json")
    n = next(n for n, b in enumerate(theirs["ballots"]) if b["status"] == "cast")
    stolen = theirs["ballots"][n]
    export = BoothExport.from_json((folder / "booths/S1-A.json").read_bytes())
    ballot_hash = export.ballots[n].ballot.hash(export.base).hex()

    def add(o: Any) -> None:
        o["ballots"].append(dict(stolen))
        o["ballots"].sort(key=lambda b: b["ballot_id"])
        o["chain"].append({"kind": "cast", "ballot_hash": ballot_hash})
        o["counts"]["cast"] += 1

    edit(folder, "booths/S1-B.json", add)
    resign_export(folder, "S1-B", built.booth_keys["S1-B"])
    resign_index(folder, built.tally_key)


def edit_read(folder: Path, relative: str) -> Any:
    from crypto.encoding import parse_canonical_json

    return parse_canonical_json((folder / relative).read_bytes())


def sums_altered(built: BuiltRecord, folder: Path) -> None:
    def change(o: Any) -> None:
        o["sums"][0]["alpha"], o["sums"][1]["alpha"] = o["sums"][1]["alpha"], o["sums"][0]["alpha"]

    edit(folder, "tally/sums.json", change)
    resign_index(folder, built.tally_key)


CASES: dict[str, tuple[Callable[[BuiltRecord, Path], None], str]] = {
    "honest": (honest, "none"),
    "proofs_in_two_booths": (proofs_in_two_booths, "V7"),
    "signature_after_proof": (signature_after_proof, "V4"),
    "duplicate_and_proof": (duplicate_and_proof, "V6"),
    "ballot_in_another_booth": (ballot_in_another_booth, "V6"),
    "sums_altered": (sums_altered, "V10"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_workers_and_dask_print_what_one_process_prints(
    case: str, built: BuiltRecord, tmp_path: Path, dask_runner: DaskRunner
) -> None:
    change, expected_check = CASES[case]
    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    change(built, folder)
    authority = key_fingerprint(built.authority.verify_key)
    ok, serial = verify(folder, authority, None)
    assert failed_check(serial) == expected_check, serial
    assert ok == (expected_check == "none")
    for runner in (ProcessRunner(2), ProcessRunner(1), dask_runner):
        assert verify(folder, authority, runner) == (ok, serial), runner


def test_the_first_failing_export_in_definition_order_is_named(
    built: BuiltRecord, tmp_path: Path, dask_runner: DaskRunner
) -> None:
    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    proofs_in_two_booths(built, folder)
    first = edit_read(folder, "booths/S1-A.json")["ballots"][0]["ballot_id"]
    for runner in (None, ProcessRunner(2), dask_runner):
        _, out = verify(folder, key_fingerprint(built.authority.verify_key), runner)
        failed = next(line for line in out.splitlines() if "FAILED" in line)
        assert failed.startswith("V7") and f"ballot {first}" in failed, failed


def test_a_worker_refuses_an_export_changed_after_the_index_was_checked(
    built: BuiltRecord, tmp_path: Path
) -> None:
    """The worker checks the bytes it is given against index.json's fingerprint (V4)."""
    from tally import verify as verify_module

    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    real = verify_module.ExportJob

    def swapped(booth_id: str, path: str, data: bytes, *rest: Any) -> Any:
        return real(booth_id, path, data + b" " if booth_id == "S1-B" else data, *rest)

    pytest.MonkeyPatch().setattr(verify_module, "ExportJob", swapped)
    try:
        ok, out = verify(folder, key_fingerprint(built.authority.verify_key), None)
    finally:
        verify_module.ExportJob = real  # type: ignore[misc]
    assert not ok and failed_check(out) == "V4"
    assert "booths/S1-B.json: does not match its fingerprint in index.json" in out


def test_worker_options() -> None:
    assert runner_for(1, None) is None
    assert isinstance(runner_for(2, None), ProcessRunner)
    with pytest.raises(RunnerUnavailable):
        runner_for(0, None)
    with pytest.raises(RunnerUnavailable, match="no Dask scheduler"):
        DaskRunner("tcp://127.0.0.1:9", timeout="1s")


def test_the_command_line_prints_the_same_with_any_workers(built: BuiltRecord) -> None:
    import subprocess
    import sys

    authority = key_fingerprint(built.authority.verify_key)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "refvote.cli", "verify", str(built.folder), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)

    outputs = [
        cli("--authority", authority, *workers)
        for workers in (["--workers", "1"], ["--workers", "2"], [])
    ]
    assert [o.returncode for o in outputs] == [0, 0, 0]
    assert outputs[0].stdout == outputs[1].stdout == outputs[2].stdout
    assert "every check passed" in outputs[0].stdout
    bad = cli("--workers", "0")
    assert bad.returncode == 2 and "--workers must be at least 1" in bad.stderr


# V16 (a lost booth's hand count) reads the per-export outcomes, which come back from the
# workers too: the same answer whichever ran the per-export checks.

LOST = "S1-B"


@pytest.fixture(scope="module")
def hand_counted(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("lost-booth"), ballots=30, manual=(LOST,))


def test_v16_prints_the_same_with_workers(hand_counted: BuiltRecord) -> None:
    authority = key_fingerprint(hand_counted.authority.verify_key)
    ok, serial = verify(hand_counted.folder, authority, None)
    assert ok, serial
    (line,) = [x for x in serial.splitlines() if x.startswith("V16")]
    assert f"ok ({LOST}: " in line and "papers counted by hand" in line, line
    assert "1 counted by hand, V16" in serial
    for runner in (ProcessRunner(2), ProcessRunner(1)):
        assert verify(hand_counted.folder, authority, runner) == (ok, serial), runner


def test_v16_refuses_a_double_count_with_workers(built: BuiltRecord, tmp_path: Path) -> None:
    """An export and a hand count of the same booth: V16 fails alike in one process and on
    2 workers (the booth's export is known from its outcome, not from a parsed export)."""
    from ballots.definition import load_source
    from ballots.manual_count import ManualCount, QuestionCount
    from ballots.package import verify_package
    from tests.record_helpers import DEFINITION

    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    definition = load_source(DEFINITION)
    base = verify_package(built.package_folder).public.base
    hand = ManualCount.sign(
        built.authority,
        definition,
        base,
        LOST,
        0,  # zero papers: the totals stay right, so only V16 sees the double count
        "lost",
        tuple(QuestionCount(q, 0, 0, 0, 0) for q in definition.question_ids()),
    )
    (folder / "manual").mkdir()
    (folder / "manual" / f"{LOST}.json").write_bytes(hand.to_json())

    def name_it(r: Any) -> None:
        r["manual_counts"] = [LOST]

    edit(folder, "tally/results.json", name_it)
    resign_index(folder, built.tally_key)
    authority = key_fingerprint(built.authority.verify_key)
    ok, serial = verify(folder, authority, None)
    assert not ok and failed_check(serial) == "V16", serial
    assert f"booth {LOST} has electronic ballots in the record" in serial
    assert verify(folder, authority, ProcessRunner(2)) == (ok, serial)


def test_v16_counts_a_station_s_electronic_ballots_on_workers_too(tmp_path: Path) -> None:
    """A hand count that fills its station's roll on its own: with the other booth's cast
    ballots, the station exceeds its eligible voters. V16 counts those from the outcomes, so it
    refuses on 2 workers exactly as in one process (a pre-decryption record: no V13 first)."""
    from ballots.definition import load_source
    from ballots.manual_count import ManualCount, QuestionCount
    from ballots.record import PRE_DECRYPTION
    from tests.record_helpers import DEFINITION

    built = build_record(tmp_path / "election", ballots=30, manual=(LOST,), final=False)
    definition = load_source(DEFINITION)
    station = definition.station("S1")
    path = built.folder / "manual" / f"{LOST}.json"
    hand = ManualCount.from_json(path.read_bytes())
    full = ManualCount(
        **{
            **hand.__dict__,
            "papers": station.eligible,
            "counts": tuple(
                QuestionCount(q, station.eligible, 0, 0, 0) for q in definition.question_ids()
            ),
            "signature": b"",
        }
    )
    signed = ManualCount(
        **{**full.__dict__, "signature": built.authority.sign("manual-count", *full.payload())}
    )
    path.write_bytes(signed.to_json())
    resign_index(built.folder, built.tally_key)
    authority = key_fingerprint(built.authority.verify_key)

    def run(runner: Runner | None) -> tuple[bool, str]:
        out = io.StringIO()
        ok = Verifier(built.folder, authority, out, expect=PRE_DECRYPTION, runner=runner).run()
        return ok, out.getvalue()

    ok, serial = run(None)
    assert not ok and failed_check(serial) == "V16", serial
    assert "station S1: " in serial and f"for {station.eligible:,} eligible voters" in serial
    assert run(ProcessRunner(2)) == (ok, serial)


def test_the_tally_stations_own_commands_take_no_dask_cluster() -> None:
    """import and publish decide what enters the air-gapped workspace: their checks run in
    local processes only (a cluster's workers would decide, and their answers are unpickled);
    verify and site, a verifier's own runs, may use a cluster."""
    from refvote.cli import build_parser

    parser = build_parser()
    for argv in (
        ["tally", "import", "--workspace", "ws", "--dask", "tcp://127.0.0.1:9", "x.json"],
        ["tally", "publish", "--workspace", "ws", "--tally-key", "k", "--out", "o", "--dask", "a"],
    ):
        with pytest.raises(SystemExit) as refused:
            parser.parse_args(argv)
        assert refused.value.code == 2
    ok = parser.parse_args(["verify", "record", "--authority", "FP", "--dask", "tcp://h:1"])
    assert ok.dask == "tcp://h:1"
