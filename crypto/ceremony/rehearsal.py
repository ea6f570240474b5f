"""Running every trustee of a ceremony in one process: for rehearsals, tests and the demo.

A real ceremony runs each TrusteeDevice on its own offline device and moves only the public
files between them; this module moves the same files, in the same order, in memory. A
machine that runs it holds every share, so it must never be used for an election.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crypto.ceremony.folder import CeremonyFiles, verify_ceremony
from crypto.ceremony.messages import CeremonyParameters, TrusteeEntry
from crypto.ceremony.public import JointKey
from crypto.ceremony.sealed_share import SealedKeyShare
from crypto.ceremony.trustee import TrusteeDevice
from crypto.errors import CeremonyError
from crypto.randomness import SYSTEM, RandomSource
from crypto.signing import SigningKey


def open_ceremony(
    manifest_hash: bytes,
    k: int,
    trustees: Sequence[tuple[str, SigningKey]],
    rng: RandomSource = SYSTEM,
) -> CeremonyParameters:
    """The roster of a new ceremony, with a fresh 32-byte ceremony_nonce."""
    entries = tuple(
        TrusteeEntry(i, name, key.verify_key) for i, (name, key) in enumerate(trustees, start=1)
    )
    return CeremonyParameters(manifest_hash, rng.bytes(32), k, entries)


@dataclass(frozen=True)
class RehearsalResult:
    files: CeremonyFiles
    joint_key: JointKey
    sealed_shares: tuple[SealedKeyShare, ...]  # trustee 1 … n


def rehearse(
    params: CeremonyParameters,
    identities: Sequence[SigningKey],
    passphrases: Sequence[str],
    rng: RandomSource = SYSTEM,
) -> RehearsalResult:
    """Run all rounds for all trustees; raise if any trustee complains."""
    devices = [TrusteeDevice(params, i, key, rng) for i, key in enumerate(identities, start=1)]
    files = CeremonyFiles(params)
    for d in devices:
        files.commits[d.index] = d.round1()
    for d in devices:
        files.messages[d.index] = d.reveal(files.commits)
    for d in devices:
        files.confirmations[d.index] = d.confirm(files.commits, files.messages)
    for d in devices:
        for envelope in d.round2():
            files.envelopes[(envelope.sender, envelope.recipient)] = envelope
    sealed = []
    for d, passphrase in zip(devices, passphrases, strict=True):
        to_me = {i: files.envelopes.get((i, d.index)) for i in range(1, params.n + 1)}
        outcome = d.receive(to_me, passphrase)
        files.complaints.extend(outcome.complaints)
        if outcome.acceptance is not None:
            files.acceptances[d.index] = outcome.acceptance
        if outcome.sealed_share is not None:
            sealed.append(outcome.sealed_share)
    if files.complaints:
        raise CeremonyError(f"{len(files.complaints)} complaint(s) were made")
    return RehearsalResult(files, verify_ceremony(files), tuple(sealed))
