"""`refvote dev synth-record` makes a complete record that verifies, labelled synthetic."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from ballots.record import RecordIndex
from crypto.encoding import parse_canonical_json
from tally.verify import Verifier


def test_synth_record_verifies_and_says_it_is_synthetic(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    done = subprocess.run(
        [sys.executable, "-m", "refvote.cli", "dev", "synth-record", "--ballots", "13",
         "--stations", "2", "--workers", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = out / "record"
    authority = (out / "authority.txt").read_text().strip()
    index = parse_canonical_json((record / "index.json").read_bytes())
    assert index["synthetic"] is True
    assert RecordIndex.from_json((record / "index.json").read_bytes()).synthetic
    log = io.StringIO()
    verifier = Verifier(record, authority, log)
    assert verifier.run(), log.getvalue()
    assert verifier.synthetic
    assert "SYNTHETIC: a benchmark record, not an election" in log.getvalue().splitlines()[2]
    assert "V10  sums ............................. 8 ok (recomputed from 13 cast ballots)" in (
        log.getvalue()
    )
    # Four exports (two stations of two booths), each signed; 13 cast ballots in all.
    assert len(list((record / "booths").glob("*.json"))) == 4


def test_an_honest_record_carries_no_synthetic_member(tmp_path: Path) -> None:
    from tests.record_helpers import build_record

    built = build_record(tmp_path, ballots=4, challenged=1, voided=0)
    data = (built.folder / "index.json").read_bytes()
    assert "synthetic" not in parse_canonical_json(data)
    assert not RecordIndex.from_json(data).synthetic


def test_synthetic_false_is_refused(tmp_path: Path) -> None:
    """One encoding per record: the member is present only as true."""
    import pytest

    from crypto.encoding import canonical_json
    from crypto.errors import EncodingError
    from tests.record_helpers import build_record

    built = build_record(tmp_path, ballots=4, challenged=1, voided=0)
    obj = parse_canonical_json((built.folder / "index.json").read_bytes())
    obj["synthetic"] = False
    with pytest.raises(EncodingError, match="synthetic"):
        RecordIndex.from_json(canonical_json(obj))
