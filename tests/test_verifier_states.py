"""Issue 8, item 3: the caller, not the record, decides whether results are checked.

A final record re-signed by the tally station as "pre-decryption" kept its shares and results,
V11–V14 were skipped and `refvote verify` said "every check passed" over any outcome. Now a
pre-decryption record holding shares or results fails V3 naming the file, `refvote verify`
fails on a pre-decryption record unless asked for one with --pre-decryption, and a final record
must hold results (V11–V14 always run on it).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ballots.package import key_fingerprint
from ballots.record import FINAL, PRE_DECRYPTION
from tally.verify import VerificationFailed, Verifier, normalise_authority
from tests.record_helpers import BuiltRecord, build_record, edit, failed_check, resign_index, run

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("final"), ballots=12, challenged=1, voided=1)


@pytest.fixture(scope="module")
def pre(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("pre"), ballots=12, challenged=1, final=False)


@pytest.fixture
def record(built: BuiltRecord, tmp_path: Path) -> Path:
    copy = tmp_path / "record"
    shutil.copytree(built.folder, copy)
    return copy


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "refvote.cli", "verify", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def flip_an_outcome(o: Any) -> None:
    o["outcomes"][0]["passed"] = not o["outcomes"][0]["passed"]


@pytest.mark.parametrize("expect", [FINAL, PRE_DECRYPTION, None])
def test_final_record_resigned_as_pre_decryption_never_verifies(
    built: BuiltRecord, record: Path, expect: str | None
) -> None:
    edit(record, "tally/results.json", flip_an_outcome)
    resign_index(record, built.tally_key, state=PRE_DECRYPTION)
    ok, out = run(record, expect=expect)
    assert not ok and failed_check(out) == "V3", out
    assert "every check passed" not in out and "pre-decryption record passed" not in out
    if expect != FINAL:  # asked to check a pre-decryption record: the shares are refused
        assert "tally/results.json: a pre-decryption record holds no" in out or (
            "tally/shares/trustee-01.json: a pre-decryption record holds no" in out
        )


def test_pre_decryption_record_with_only_results_is_refused(
    built: BuiltRecord, record: Path
) -> None:
    shutil.rmtree(record / "tally/shares")
    resign_index(record, built.tally_key, state=PRE_DECRYPTION)
    ok, out = run(record, expect=PRE_DECRYPTION)
    assert not ok and failed_check(out) == "V3"
    assert (
        "tally/results.json: a pre-decryption record holds no decryption shares or results" in out
    )


def test_pre_decryption_record_with_only_shares_is_refused(
    built: BuiltRecord, record: Path
) -> None:
    (record / "tally/results.json").unlink()
    resign_index(record, built.tally_key, state=PRE_DECRYPTION)
    ok, out = run(record, expect=None)
    assert not ok and failed_check(out) == "V3"
    assert "tally/shares/trustee-01.json: a pre-decryption record holds no" in out


def test_final_record_without_results_fails_v3(built: BuiltRecord, record: Path) -> None:
    (record / "tally/results.json").unlink()
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V3"
    assert "tally/results.json: not listed in index.json" in out


def test_pre_decryption_record_fails_unless_asked_for(pre: BuiltRecord) -> None:
    ok, out = run(pre.folder)
    assert not ok and failed_check(out) == "V3" and "--pre-decryption" in out
    ok, out = run(pre.folder, expect=PRE_DECRYPTION)
    assert ok and "skipped (pre-decryption record)" in out
    ok, out = run(pre.folder, expect=None)
    assert ok and "every check of a pre-decryption record passed" in out


def test_final_record_is_not_a_pre_decryption_one(built: BuiltRecord) -> None:
    ok, out = run(built.folder, expect=PRE_DECRYPTION)
    assert not ok and failed_check(out) == "V3"
    assert "the record is 'final', not the 'pre-decryption' record expected" in out


def test_final_record_runs_every_check(built: BuiltRecord) -> None:
    ok, out = run(built.folder, expect=None)
    assert ok and "skipped" not in out and "every check passed" in out
    assert [line.split()[0] for line in out.splitlines()[:15]] == [f"V{n}" for n in range(1, 16)]


def test_command_line_asks_for_the_state(built: BuiltRecord, pre: BuiltRecord) -> None:
    refused = cli(str(pre.folder))
    assert refused.returncode == 1
    assert "pre-decryption record" in refused.stdout and "does NOT verify" in refused.stdout
    asked = cli(str(pre.folder), "--pre-decryption")
    assert asked.returncode == 0, asked.stdout
    assert "every check of a pre-decryption record passed" in asked.stdout
    assert "every check passed" not in asked.stdout
    final_as_pre = cli(str(built.folder), "--pre-decryption")
    assert final_as_pre.returncode == 1 and "not the 'pre-decryption'" in final_as_pre.stdout


def test_until_stops_after_the_named_check(built: BuiltRecord) -> None:
    ok, out = run(built.folder, until="V9")
    assert ok
    lines = out.splitlines()
    assert lines[8].startswith("V9") and lines[8].endswith("ok (re-encrypted, not counted)")
    assert all("not run (stopped after V9)" in line for line in lines[9:15])
    assert "checks V1–V9 passed; the later checks were not run" in out
    assert "every check passed" not in out
    with pytest.raises(ValueError, match="until must be one of"):
        Verifier(built.folder, until="V17")
    with pytest.raises(ValueError, match="expect must be"):
        Verifier(built.folder, expect="finished")


def test_record_state_and_fingerprint_are_reported(built: BuiltRecord) -> None:
    import io

    from crypto.hashing import fingerprint

    verifier = Verifier(built.folder, out=io.StringIO(), expect=None)
    assert verifier.record_state is None and verifier.record_fingerprint is None
    assert verifier.run()
    assert verifier.record_state == FINAL
    # Recomputed independently: H("file", bytes) is fingerprint("file", bytes) (protocol §1.2).
    index = (built.folder / "index.json").read_bytes()
    assert verifier.record_fingerprint == fingerprint("file", index)


# --authority: spaces, hyphens and case are ignored -------------------------------------------


def test_authority_ignores_spaces_hyphens_and_case(built: BuiltRecord) -> None:
    fp = key_fingerprint(built.authority.verify_key)
    typed = fp.replace(" ", "-").lower()
    assert normalise_authority(typed) == fp
    assert normalise_authority(" " + fp.replace(" ", "") + " ") == fp
    ok, out = run(built.folder, typed)
    assert ok and "pinned authority" in out, out


@pytest.mark.parametrize("typed", ["ABCD EFGH", "ABCD EFGH IJKL MNO1", "ABCD EFGH IJKL MNOPQ"])
def test_malformed_authority_fails_v1_with_what_to_type(built: BuiltRecord, typed: str) -> None:
    with pytest.raises(VerificationFailed, match="--authority"):
        normalise_authority(typed)
    ok, out = run(built.folder, typed)
    assert not ok and failed_check(out) == "V1" and "--authority" in out


def test_until_on_a_pre_decryption_record(pre: BuiltRecord) -> None:
    ok, out = run(pre.folder, expect=PRE_DECRYPTION, until="V12")
    assert ok and "every check of a pre-decryption record passed (V1–V10, V15, V16)" in out
    ok, out = run(pre.folder, expect=PRE_DECRYPTION, until="V4")
    assert ok and "checks V1–V4 passed; the later checks were not run" in out


def test_an_unexpected_exception_is_a_failed_line_not_a_traceback(
    built: BuiltRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from tally import verify

    def broken(*args: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(verify, "merge_sums", broken)
    verifier = Verifier(built.folder, out=io.StringIO())
    assert not verifier.run()
    assert verifier.passed == [f"V{n}" for n in range(1, 10)]
    assert verifier.failure is not None and verifier.failure.startswith("V10 sums: internal error")
    assert "ZeroDivisionError" in verifier.out.getvalue()  # type: ignore[attr-defined]
