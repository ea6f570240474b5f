"""The chain's fate entries and the proof binding, on a small record built end to end."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ballots.chain import ChainEntry, EntryKind, chain_close, replay
from ballots.export import BoothExport, Status
from ballots.lookup import LookupStatus, lookup
from ballots.package import VerifiedPackage, verify_package
from crypto.signing import SigningKey
from tally.verify import VerificationFailed, check_chain, check_chain_membership
from tests.record_helpers import BuiltRecord, build_record


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
