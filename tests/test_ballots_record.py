"""The chain's fate entries and the proof binding, on a small record built end to end."""

from __future__ import annotations

import argparse
import base64
import dataclasses
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ballots.ballot import PlaintextBallot, check_reveal
from ballots.chain import ChainEntry, EntryKind, chain_close, replay, short_code
from ballots.definition import load_source
from ballots.export import BoothExport, Status
from ballots.lookup import LookupStatus, lookup
from ballots.package import VerifiedPackage, key_fingerprint, verify_package
from ballots.record import RecordIndex
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.hashing import file_fingerprint
from crypto.signing import SigningKey
from hardware.printer.escpos import Align
from hardware.printer.job import Job, PrinterProfile
from tally.verify import VerificationFailed, check_chain, check_chain_membership
from tests.record_helpers import DEFINITION, BuiltRecord, build_record


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("election"), ballots=30, challenged=4, voided=2)


@pytest.fixture(scope="module")
def pkg(built: BuiltRecord) -> VerifiedPackage:
    return verify_package(built.package_folder)


def resigned(export: BoothExport, chain: list[ChainEntry], key: SigningKey) -> BoothExport:
    """What a booth-key holder can publish: any chain, its close recomputed, signed."""
    kinds = [e.kind for e in chain]
    counts = type(export.counts)(
        kinds.count(EntryKind.CAST), kinds.count(EntryKind.CHALLENGED), kinds.count(EntryKind.VOID)
    )
    last = replay(export.base, export.booth_id, export.opening_nonce, chain).last
    close = chain_close(last, counts.cast, counts.challenged, counts.voided)
    unsigned = dataclasses.replace(
        export, chain=tuple(chain), counts=counts, close=close, signature=b""
    )
    return dataclasses.replace(unsigned, signature=key.sign("export", *unsigned.payload()))


def with_challenge_and_cast(built: BuiltRecord) -> BoothExport:
    return next(e for e in built.exports if e.counts.challenged and e.counts.cast)


def test_honest_exports_pass_v5_and_v8(built: BuiltRecord, pkg: VerifiedPackage) -> None:
    for e in built.exports:
        check_chain(e)
        assert check_chain_membership(pkg, e) == len(e.ballots)


def test_swapped_fates_fail_v8(built: BuiltRecord, pkg: VerifiedPackage) -> None:
    """The chain says cast for the challenged ballot and challenged for a cast one."""
    export = with_challenge_and_cast(built)
    chain = list(export.chain)
    c = next(n for n, e in enumerate(chain) if e.kind is EntryKind.CHALLENGED)
    k = next(n for n, e in enumerate(chain) if e.kind is EntryKind.CAST)
    chain[c] = ChainEntry(EntryKind.CAST, chain[c].ballot_hash)
    chain[k] = ChainEntry(EntryKind.CHALLENGED, chain[k].ballot_hash)
    forged = resigned(export, chain, built.booth_keys[export.booth_id])
    check_chain(forged)  # the counts still agree
    with pytest.raises(VerificationFailed, match=r"published as .* chain entry says"):
        check_chain_membership(pkg, forged)


def test_counts_against_chain_kinds_fail_v5(built: BuiltRecord) -> None:
    export = with_challenge_and_cast(built)
    chain = [
        ChainEntry(EntryKind.CAST, e.ballot_hash) if e.kind is EntryKind.CHALLENGED else e
        for e in export.chain
    ]
    forged = resigned(export, chain, built.booth_keys[export.booth_id])
    with pytest.raises(VerificationFailed, match="the export publishes"):
        check_chain(forged)
    lying_counts = dataclasses.replace(
        export, counts=dataclasses.replace(export.counts, cast=export.counts.cast + 1)
    )
    with pytest.raises(VerificationFailed, match="the chain holds"):
        check_chain(lying_counts)


def test_relabelling_a_challenged_ballot_changes_every_later_tracking_code(
    built: BuiltRecord,
) -> None:
    """Issue 8 item 9: counting a challenged ballot is visible to every later voter."""
    export = next(
        e for e in built.exports if any(x.kind is EntryKind.CHALLENGED for x in e.chain[:-1])
    )
    n = next(i for i, x in enumerate(export.chain[:-1]) if x.kind is EntryKind.CHALLENGED)
    honest = replay(export.base, export.booth_id, export.opening_nonce, export.chain)
    chain = list(export.chain)
    chain[n] = ChainEntry(EntryKind.CAST, chain[n].ballot_hash)
    forged = replay(export.base, export.booth_id, export.opening_nonce, chain)
    assert forged.codes[: n + 1] == honest.codes[: n + 1]
    assert all(a != b for a, b in zip(forged.codes[n + 1 :], honest.codes[n + 1 :], strict=True))
    assert forged.last != honest.last
    # Every later voter's receipt no longer resolves in the forged export.
    relabelled = resigned(export, chain, built.booth_keys[export.booth_id])
    for code in honest.codes[n + 1 :]:
        assert lookup([relabelled], export.base, code.hex()).status is LookupStatus.NOT_FOUND
    # The challenging voter is told "cast": the fate is read from the chain.
    assert lookup([relabelled], export.base, honest.codes[n].hex()).status is LookupStatus.CAST


def test_lookup_reads_the_fate_from_the_chain_not_the_status(built: BuiltRecord) -> None:
    export = with_challenge_and_cast(built)
    codes = replay(export.base, export.booth_id, export.opening_nonce, export.chain).codes
    by_hash = {b.ballot.hash(export.base): b for b in export.ballots}
    n = next(i for i, x in enumerate(export.chain) if x.kind is EntryKind.CHALLENGED)
    target = by_hash[export.chain[n].ballot_hash]
    # An export whose ballot list calls the challenged ballot cast (the chain still says not).
    lying = dataclasses.replace(
        export,
        ballots=tuple(
            dataclasses.replace(b, status=Status.CAST, reveal=None) if b is target else b
            for b in export.ballots
        ),
    )
    result = lookup([lying], export.base, codes[n].hex())
    assert result.status is LookupStatus.CHALLENGED


def test_ballot_moved_to_another_booth_or_station_fails_its_proof(
    built: BuiltRecord, pkg: VerifiedPackage, tmp_path: Path
) -> None:
    """Issue 8 item 1: the proof binds station and booth, not only ballot and question."""
    from ballots.ballot import check_ballot
    from ballots.errors import BallotError

    ballot = next(b.ballot for e in built.exports for b in e.ballots if e.booth_id == "S1-A")
    check_ballot(pkg.context, ballot)
    for station_id, booth_id in (("S1", "S1-B"), ("S2", "S2-A")):
        moved = dataclasses.replace(ballot, station_id=station_id, booth_id=booth_id)
        with pytest.raises(BallotError, match="membership proof does not verify"):
            check_ballot(pkg.context, moved)


# Nothing printed links a vote to the record (issue 8 item 2) --------------------------------


class RecordingJob(Job):
    """A print job that also keeps every text line and QR payload it was given."""

    def __init__(self, profile: PrinterProfile) -> None:
        super().__init__(profile)
        self.printed: list[str] = []

    def text(
        self, line: str, *, bold: bool = False, scale: int = 1, align: Align = Align.LEFT
    ) -> Job:
        self.printed.append(line)
        return super().text(line, bold=bold, scale=scale, align=align)

    def qr(self, payload: str, module: int = 6, align: Align = Align.CENTER) -> Job:
        self.printed.append(payload)
        return super().qr(payload, module, align)


_HEX = re.compile(r"[0-9a-f]{16,}")
_B32 = re.compile(r"[A-Z2-7]{16,}")


def forms(text: str) -> set[str]:
    """A printed string, its tokens, and their hex/base32 forms as they would appear in files
    (lowercase hex). Short tokens (under 8 characters) identify nothing and are left out."""
    out = set()
    for piece in {text, re.sub(r"[\s-]", "", text), *text.split()}:
        if len(piece) < 8:
            continue
        out.add(piece)
        if _HEX.fullmatch(piece.lower()) and len(piece) % 2 == 0:
            out.add(piece.lower())
        if _B32.fullmatch(piece) and len(piece) % 8 == 0:
            out.add(base64.b32decode(piece).hex())
    return out


class Haystack:
    """Every file of the record as text, plus values anyone computes from it."""

    def __init__(self, built: BuiltRecord) -> None:
        self.files = {
            str(p.relative_to(built.folder)): p.read_bytes().decode("utf-8")
            for p in sorted(built.folder.rglob("*"))
            if p.is_file()
        }
        computed = []
        for e in built.exports:
            replayed = replay(e.base, e.booth_id, e.opening_nonce, e.chain)
            computed += [c.hex() for c in replayed.codes] + [x.hex() for x in replayed.links]
        self.files["<computed chain codes and links>"] = " ".join(computed)
        definition = load_source(DEFINITION)
        o = definition.options
        texts = [definition.title_zh, definition.title_en, o.yes_zh, o.yes_en, o.no_zh, o.no_en]
        for q in definition.questions:
            texts += [q.case_number, q.short_title_zh, q.short_title_en]
        # The definition's own texts (and their words), the same on every paper.
        self.public_texts = set().union(*(forms(t) for t in texts))

    def leaks(self, printed: list[str], allowed: frozenset[str] = frozenset()) -> list[str]:
        found = []
        for text in printed:
            for form in forms(text) - allowed:
                if form in self.public_texts:
                    continue
                found += [
                    f"{form!r} in {name}" for name, body in self.files.items() if form in body
                ]
        return found


def test_nothing_printed_appears_in_the_record(
    built: BuiltRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    import booth.paper as layout
    from ballots.paper import challenged_slip, paper_record, receipt, void_slip

    monkeypatch.setattr(layout, "Job", RecordingJob)
    profile = PrinterProfile()
    definition = load_source(DEFINITION)
    hay = Haystack(built)

    def printed(job: Job) -> list[str]:
        assert isinstance(job, RecordingJob)
        return job.printed

    ctx = verify_package(built.package_folder).context
    answers = [PlaintextBallot(choices) for _, choices in built.cast_choices]
    answers += [
        PlaintextBallot(check_reveal(ctx, b.ballot, b.reveal))
        for e in built.exports
        for b in e.ballots
        if b.reveal is not None
    ]
    assert len(answers) == sum(len(e.ballots) for e in built.exports)
    for plain in answers:
        job = layout.paper_record_job(paper_record(definition, plain, official=True), profile)
        assert hay.leaks(printed(job)) == []
    receipts = 0
    for e in built.exports:
        for code in replay(e.base, e.booth_id, e.opening_nonce, e.chain).codes:
            job = layout.receipt_job(receipt(definition, code, official=True), profile)
            own = frozenset(forms(short_code(code)) | forms(code.hex()))
            assert hay.leaks(printed(job), own) == []
            receipts += 1
    assert receipts == sum(len(e.chain) for e in built.exports)
    for slip in (challenged_slip(definition, True), void_slip(definition, True)):
        assert hay.leaks(printed(layout.slip_job(slip, profile))) == []


def test_the_leak_check_finds_what_the_old_paper_printed(built: BuiltRecord) -> None:
    """The check above can fail: the version-1 paper's ballot ID, in print and in its QR, and
    another ballot's tracking code on a receipt, are all found."""
    hay = Haystack(built)
    e = built.exports[0]
    ballot_id = e.ballots[0].ballot.ballot_id.hex()
    grouped = " ".join(ballot_id[i : i + 4] for i in range(0, 32, 4))
    assert hay.leaks([grouped])
    assert hay.leaks([f"RV1 {ballot_id} 17=Y 18=N"])
    codes = replay(e.base, e.booth_id, e.opening_nonce, e.chain).codes
    assert hay.leaks([short_code(codes[0])], frozenset(forms(short_code(codes[1]))))


# refvote lookup: answers only from what it verified (issue 8 item 5) -------------------------


def run_lookup(record: Path, code: bytes, authority: str | None) -> tuple[int, str, str]:
    import contextlib
    import io

    from refvote.cmd_lookup import lookup as command

    out, err = io.StringIO(), io.StringIO()
    args = argparse.Namespace(code=short_code(code), record=str(record), authority=authority)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = command(args)
    return status, out.getvalue(), err.getvalue()


def codes_by_kind(built: BuiltRecord) -> dict[EntryKind, bytes]:
    found: dict[EntryKind, bytes] = {}
    for e in built.exports:
        replayed = replay(e.base, e.booth_id, e.opening_nonce, e.chain)
        for entry, code in zip(e.chain, replayed.codes, strict=True):
            found.setdefault(entry.kind, code)
    return found


def pin(built: BuiltRecord) -> str:
    return key_fingerprint(built.authority.verify_key)


def copy_of(built: BuiltRecord, tmp_path: Path) -> Path:
    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    return folder


def rewrite(folder: Path, relative: str, change: Callable[[Any], None]) -> None:
    path = folder / relative
    obj = parse_canonical_json(path.read_bytes())
    change(obj)
    path.write_bytes(canonical_json(obj))


def resign_export(folder: Path, booth_id: str, key: SigningKey) -> None:
    path = folder / f"booths/{booth_id}.json"
    obj = parse_canonical_json(path.read_bytes())
    obj["signature"] = "00" * 64
    export = BoothExport.from_json(canonical_json(obj))
    unsigned = dataclasses.replace(export, signature=b"")
    signed = dataclasses.replace(unsigned, signature=key.sign("export", *unsigned.payload()))
    path.write_bytes(signed.to_json())


def resign_index(folder: Path, key: SigningKey) -> None:
    old = RecordIndex.from_json((folder / "index.json").read_bytes())
    files = tuple(
        sorted(
            (str(p.relative_to(folder)), file_fingerprint(p.read_bytes()))
            for p in folder.rglob("*")
            if p.is_file() and p.name != "index.json"
        )
    )
    unsigned = RecordIndex(old.manifest_hash, old.base, old.state, files, b"")
    signed = dataclasses.replace(unsigned, signature=key.sign("record", *unsigned.payload()))
    (folder / "index.json").write_bytes(signed.to_json())


def test_lookup_of_an_honest_final_record(built: BuiltRecord) -> None:
    codes = codes_by_kind(built)
    status, out, _ = run_lookup(built.folder, codes[EntryKind.CAST], pin(built))
    assert status == 0 and "CAST and COUNTED" in out and codes[EntryKind.CAST].hex() in out
    status, out, _ = run_lookup(built.folder, codes[EntryKind.CHALLENGED], pin(built))
    assert status == 0 and "CHALLENGED: not counted" in out and "第17案" in out
    status, out, _ = run_lookup(built.folder, codes[EntryKind.VOID], pin(built))
    assert status == 0 and "VOIDED" in out


def test_lookup_refuses_without_or_with_another_authority(built: BuiltRecord) -> None:
    code = codes_by_kind(built)[EntryKind.CAST]
    status, out, err = run_lookup(built.folder, code, None)
    assert status == 2 and out == "" and "give --authority" in err
    other = key_fingerprint(SigningKey.generate().verify_key)
    status, out, err = run_lookup(built.folder, code, other)
    assert status == 2 and out == "" and "V1" in err and "no answer" in err


def test_lookup_shows_no_reveal_that_does_not_re_encrypt(
    built: BuiltRecord, tmp_path: Path
) -> None:
    """The booth-key holder publishes a false reveal: lookup answers nothing (V9 fails)."""
    folder = copy_of(built, tmp_path)
    code = codes_by_kind(built)[EntryKind.CHALLENGED]
    booth = next(
        e.booth_id
        for e in built.exports
        if code in replay(e.base, e.booth_id, e.opening_nonce, e.chain).codes
    )

    def lie(o: Any) -> None:
        for b in o["ballots"]:
            if b["status"] == "challenged":
                b["reveal"][0]["m"] = 1 if b["reveal"][0]["m"] != 1 else 0

    rewrite(folder, f"booths/{booth}.json", lie)
    resign_export(folder, booth, built.booth_keys[booth])
    resign_index(folder, built.tally_key)
    status, out, err = run_lookup(folder, code, pin(built))
    assert status == 2 and out == "" and "V9" in err


def test_lookup_does_not_say_counted_when_the_count_does_not_verify(
    built: BuiltRecord, tmp_path: Path
) -> None:
    """The tally key re-signs flipped results: the ballot was cast, the count is not trusted."""
    folder = copy_of(built, tmp_path)

    def flip(o: Any) -> None:
        s = o["sums"][0]
        s["yes"], s["no"] = s["no"], s["yes"]

    rewrite(folder, "tally/results.json", flip)
    resign_index(folder, built.tally_key)
    codes = codes_by_kind(built)
    status, out, _ = run_lookup(folder, codes[EntryKind.CAST], pin(built))
    assert status == 2 and "recorded as cast, but the count does NOT verify" in out
    assert "COUNTED" not in out
    # What rests on V1–V9 only is still answered.
    status, out, _ = run_lookup(folder, codes[EntryKind.CHALLENGED], pin(built))
    assert status == 0 and "CHALLENGED" in out


def test_lookup_in_a_pre_decryption_record(tmp_path: Path) -> None:
    pre = build_record(tmp_path, ballots=6, challenged=1, voided=0, final=False)
    code = codes_by_kind(pre)[EntryKind.CAST]
    status, out, _ = run_lookup(pre.folder, code, pin(pre))
    assert status == 0 and "the count is not published yet" in out and "COUNTED" not in out


def test_lookup_runs_the_verifier_with_its_catch_all(
    built: BuiltRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error inside a check is the verifier's "internal error", never a
    traceback, and no answer rests on the check it broke."""
    from tally.verify import Verifier

    def broken(self: Verifier, s: object) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Verifier, "_challenged", broken)
    status, out, err = run_lookup(built.folder, codes_by_kind(built)[EntryKind.CAST], pin(built))
    assert status == 2 and out == ""
    assert "V9 challenged ballots: internal error of the verifier (RuntimeError)" in err
