"""The verifier passes an honest record and fails each mutation with that check's number.

A mutation is re-signed by whoever could have made it (a booth re-signs its export, a trustee
its shares, the tally station the index), so each check is shown to catch it on its own.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ballots.export import BoothExport
from ballots.package import key_fingerprint
from ballots.record import PRE_DECRYPTION
from crypto.encoding import parse_canonical_json
from crypto.signing import SigningKey
from tests.record_helpers import (
    BuiltRecord,
    build_record,
    edit,
    expected_counts,
    failed_check,
    resign_export,
    resign_index,
    run,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("election"))


@pytest.fixture
def record(built: BuiltRecord, tmp_path: Path) -> Path:
    copy = tmp_path / "record"
    shutil.copytree(built.folder, copy)
    return copy


def busiest_booth(built: BuiltRecord) -> BoothExport:
    return max(built.exports, key=lambda e: len(e.ballots))


# The honest record ------------------------------------------------------------------------


def test_honest_record_verifies(built: BuiltRecord) -> None:
    ok, out = run(built.folder, key_fingerprint(built.authority.verify_key))
    assert ok, out
    lines = out.splitlines()
    assert [line.split()[0] for line in lines[:15]] == [f"V{n}" for n in range(1, 16)]
    assert "pinned authority" in lines[0]
    assert "V7   ballot proofs" in lines[6] and lines[6].endswith(" ok")
    assert "NOTE" not in out
    challenged = sum(e.counts.challenged for e in built.exports)
    assert challenged == 3 and f"{challenged} ok (re-encrypted, not counted)" in out


def test_results_equal_the_simulated_choices(built: BuiltRecord) -> None:
    from ballots.record import Results

    results = Results.from_json((built.folder / "tally/results.json").read_bytes())
    expected = expected_counts(built)
    for d in results.decrypted:
        assert (d.count.yes, d.count.no, d.count.blank) == expected.get(
            (d.station_id, d.question_id), (0, 0, 0)
        )


def test_without_authority_the_keys_are_only_self_asserted(built: BuiltRecord) -> None:
    ok, out = run(built.folder)
    assert ok and "self-asserted" in out and "NOTE" in out


def test_wrong_authority_fingerprint_fails_v1(built: BuiltRecord) -> None:
    ok, out = run(built.folder, key_fingerprint(SigningKey.generate().verify_key))
    assert not ok and failed_check(out) == "V1" and "authority key other than the one given" in out


def test_pre_decryption_record_verifies_with_skips_when_asked_for(tmp_path: Path) -> None:
    built = build_record(tmp_path, ballots=10, challenged=1, final=False)
    ok, out = run(built.folder, expect=PRE_DECRYPTION)
    assert ok, out
    assert out.count("skipped (pre-decryption record)") == 4
    assert "every check of a pre-decryption record passed (V1–V10, V15, V16)" in out
    assert "every check passed" not in out


# One mutation per check -------------------------------------------------------------------


def test_altered_definition_text_fails_v1(built: BuiltRecord, record: Path) -> None:
    edit(
        record,
        "package/definition.json",
        lambda o: o["questions"][0].update(text_zh="您是否同意？"),
    )
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V1" and "definition.json" in out


def test_altered_ceremony_file_fails_v1(built: BuiltRecord, record: Path) -> None:
    edit(
        record, "package/ceremony/confirm/trustee-02.json", lambda o: o.update(transcript="00" * 32)
    )
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V1" and "ceremony/confirm/trustee-02.json" in out


def test_tampered_file_without_resigning_fails_v3(record: Path) -> None:
    edit(record, "tally/results.json", lambda o: o.update(quorum=[2, 3, 4]))
    ok, out = run(record)
    assert not ok and failed_check(out) == "V3" and "tally/results.json: does not match" in out


def test_unlisted_file_fails_v3(record: Path) -> None:
    (record / "booths/extra.txt").write_text("hello")
    ok, out = run(record)
    assert not ok and failed_check(out) == "V3" and "booths/extra.txt: not listed" in out


def test_swapped_booth_signature_fails_v4(built: BuiltRecord, record: Path) -> None:
    a, b = built.exports[0].booth_id, built.exports[1].booth_id
    other = parse_canonical_json((record / f"booths/{b}.json").read_bytes())["signature"]
    edit(record, f"booths/{a}.json", lambda o: o.update(signature=other))
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert (
        not ok
        and failed_check(out) == "V4"
        and f"booth {a}: export signature does not verify" in out
    )


def test_reordered_ballots_fail_v4(built: BuiltRecord, record: Path) -> None:
    booth = busiest_booth(built).booth_id
    edit(record, f"booths/{booth}.json", lambda o: o["ballots"].reverse())
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V4" and "not sorted by ballot_id" in out


def test_missing_booth_export_fails_v4(built: BuiltRecord, record: Path) -> None:
    (record / f"booths/{built.exports[0].booth_id}.json").unlink()
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V4" and "missing" in out


def test_reordered_chain_fails_v5(built: BuiltRecord, record: Path) -> None:
    booth = busiest_booth(built).booth_id
    edit(record, f"booths/{booth}.json", lambda o: o["chain"].insert(0, o["chain"].pop()))
    # The booth signs the reordered chain under the closing code it printed at closing time.
    resign_export(record, booth, built.booth_keys[booth], recompute_close=False)
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V5" and "does not lead to its closing code" in out


def test_dropped_ballot_fails_v5(built: BuiltRecord, record: Path) -> None:
    booth = busiest_booth(built).booth_id

    def drop(o: Any) -> None:
        cast = next(n for n, b in enumerate(o["ballots"]) if b["status"] == "cast")
        del o["ballots"][cast]

    edit(record, f"booths/{booth}.json", drop)
    resign_export(record, booth, built.booth_keys[booth])
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V5" and "counts say" in out


def test_void_not_counted_fails_v5(built: BuiltRecord, record: Path) -> None:
    booth = next(e.booth_id for e in built.exports if e.counts.voided)
    edit(record, f"booths/{booth}.json", lambda o: o["counts"].update(voided=0))
    resign_export(record, booth, built.booth_keys[booth])
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V5" and "voided" in out


def test_duplicated_ballot_fails_v6(built: BuiltRecord, record: Path) -> None:
    booth = busiest_booth(built).booth_id

    def duplicate(o: Any) -> None:
        n = next(n for n, b in enumerate(o["ballots"]) if b["status"] == "cast")
        o["ballots"].insert(n, dict(o["ballots"][n]))
        entry = next(e for e in o["chain"] if e["kind"] == "cast")
        o["chain"].append(dict(entry))
        o["counts"]["cast"] += 1

    edit(record, f"booths/{booth}.json", duplicate)
    resign_export(record, booth, built.booth_keys[booth])
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V6" and "appears twice in the record" in out


def test_byte_of_a_proof_fails_v7(built: BuiltRecord, record: Path) -> None:
    booth = busiest_booth(built).booth_id

    def flip(o: Any) -> None:
        proof = o["ballots"][0]["questions"][0]["proof"]
        proof[3] = ("1" if proof[3][0] != "1" else "2") + proof[3][1:]

    edit(record, f"booths/{booth}.json", flip)
    resign_export(record, booth, built.booth_keys[booth])
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V7" and "membership proof does not verify" in out


def test_published_ballot_missing_from_chain_fails_v8(built: BuiltRecord, record: Path) -> None:
    booth = next(e for e in built.exports if e.counts.voided).booth_id

    def turn_void_into_ballot_entry(o: Any) -> None:
        # Make the chain list the void's hash as cast and drop a real cast ballot's entry.
        void = next(e for e in o["chain"] if e["kind"] == "void")
        void["kind"] = "cast"
        o["chain"].remove(next(e for e in o["chain"] if e["kind"] == "cast" and e is not void))
        o["counts"]["voided"] -= 1

    edit(record, f"booths/{booth}.json", turn_void_into_ballot_entry)
    resign_export(record, booth, built.booth_keys[booth])
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V8"


def test_challenged_reveal_that_does_not_re_encrypt_fails_v9(
    built: BuiltRecord, record: Path
) -> None:
    booth = next(e for e in built.exports if e.counts.challenged).booth_id

    def lie(o: Any) -> None:
        b = next(b for b in o["ballots"] if b["status"] == "challenged")
        b["reveal"][0]["m"] = 1 if b["reveal"][0]["m"] != 1 else 0

    edit(record, f"booths/{booth}.json", lie)
    resign_export(record, booth, built.booth_keys[booth])
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V9" and "does not re-encrypt" in out


def test_challenged_ballot_counted_fails_v10(built: BuiltRecord, record: Path) -> None:
    export = next(e for e in built.exports if e.counts.challenged)
    challenged = next(b.ballot for b in export.ballots if b.status.value == "challenged")
    q = challenged.questions[0]

    def count_it(o: Any) -> None:
        s = next(
            s
            for s in o["sums"]
            if (s["station_id"], s["question_id"]) == (export.station_id, q.question_id)
        )
        s["ballots"] = sorted([*s["ballots"], challenged.ballot_id.hex()])

    edit(record, "tally/sums.json", count_it)
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V10" and "not exactly the station's cast ballots" in out


def test_wrong_decryption_share_fails_v11(built: BuiltRecord, record: Path) -> None:
    from ballots.record import SharesFile, sums_from_json

    path = record / "tally/shares/trustee-03.json"
    file = SharesFile.from_json(path.read_bytes())
    _, sums = sums_from_json((record / "tally/sums.json").read_bytes())
    from crypto.hazmat.group import G
    from crypto.threshold import PartialDecryption

    shares = list(file.shares)
    shares[1] = PartialDecryption(shares[1].share + G, shares[1].proof)
    path.write_bytes(SharesFile.sign(built.trustee_keys[2], file.base, 3, shares, sums).to_json())
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V11" and "trustee 3's share" in out


def test_altered_final_count_fails_v12(built: BuiltRecord, record: Path) -> None:
    def alter(o: Any) -> None:
        s = next(s for s in o["sums"] if s["yes"] > 0)
        s["yes"] -= 1
        s["blank"] += 1

    edit(record, "tally/results.json", alter)
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V12"


def test_altered_total_fails_v13(built: BuiltRecord, record: Path) -> None:
    def alter(o: Any) -> None:
        t = next(t for t in o["totals"] if t["level"] == "county" and t["yes"] > 0)
        t["yes"] -= 1
        t["blank"] += 1

    edit(record, "tally/results.json", alter)
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V13" and "county" in out


def test_altered_outcome_fails_v14(built: BuiltRecord, record: Path) -> None:
    edit(
        record,
        "tally/results.json",
        lambda o: o["outcomes"][0].update(passed=not o["outcomes"][0]["passed"]),
    )
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V14" and "Art. 29" in out


# The command line -------------------------------------------------------------------------


def test_refvote_verify_command(built: BuiltRecord, record: Path) -> None:
    good = subprocess.run(
        [
            sys.executable,
            "-m",
            "refvote.cli",
            "verify",
            str(built.folder),
            "--authority",
            key_fingerprint(built.authority.verify_key),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "every check passed" in good.stdout
    (record / "index.json").write_bytes(b"{}")
    bad = subprocess.run(
        [sys.executable, "-m", "refvote.cli", "verify", str(record)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert bad.returncode == 1 and "V3" in bad.stdout and "does NOT verify" in bad.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "refvote.cli", "verify", str(record / "nope")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert missing.returncode == 2 and "not a folder" in missing.stderr


def test_verifier_imports_only_crypto_and_ballots() -> None:
    code = (
        "import sys; import tally.verify; "
        "top = {m.split('.')[0] for m in sys.modules}; "
        "print(sorted(top & {'booth', 'hardware', 'PySide6', 'serial', 'smartcard', 'reportlab'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "[]"
