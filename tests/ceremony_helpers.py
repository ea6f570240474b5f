"""Running a ceremony step by step, so tests can make one trustee misbehave."""

from __future__ import annotations

from collections.abc import Callable

from crypto.ceremony.folder import CeremonyFiles
from crypto.ceremony.messages import CeremonyParameters
from crypto.ceremony.rehearsal import open_ceremony
from crypto.ceremony.trustee import ReceiveOutcome, TrusteeDevice
from crypto.hazmat.group import Scalar
from crypto.randomness import SYSTEM, RandomSource
from crypto.signing import SigningKey

PASSPHRASES = [f"passphrase of trustee {i}" for i in range(1, 10)]


def make_params(
    n: int = 5, k: int = 3, rng: RandomSource = SYSTEM
) -> tuple[CeremonyParameters, list[SigningKey]]:
    identities = [SigningKey.generate(rng) for _ in range(n)]
    manifest_hash = rng.bytes(32)
    params = open_ceremony(
        manifest_hash, k, [(f"Trustee {i}", key) for i, key in enumerate(identities, 1)], rng
    )
    return params, identities


class BadDealer(TrusteeDevice):
    """Sends P_i(victim) + 1 to the victim: a share that does not match its commitments."""

    victim = 0

    def evaluate(self, t: int) -> Scalar:
        value = super().evaluate(t)
        return value + Scalar.from_int(1) if t == self.victim else value


def run_until_round2(
    params: CeremonyParameters,
    identities: list[SigningKey],
    device_class: Callable[..., TrusteeDevice]
    | dict[int, Callable[..., TrusteeDevice]] = TrusteeDevice,
) -> tuple[CeremonyFiles, list[TrusteeDevice]]:
    classes = device_class if isinstance(device_class, dict) else {}
    devices = [
        classes.get(i, device_class if not isinstance(device_class, dict) else TrusteeDevice)(
            params, i, key
        )
        for i, key in enumerate(identities, 1)
    ]
    files = CeremonyFiles(params)
    for d in devices:
        files.commits[d.index] = d.round1()
    for d in devices:
        files.messages[d.index] = d.reveal(files.commits)
    for d in devices:
        files.confirmations[d.index] = d.confirm(files.commits, files.messages)
    for d in devices:
        for e in d.round2():
            files.envelopes[(e.sender, e.recipient)] = e
    return files, devices


def receive_all(files: CeremonyFiles, devices: list[TrusteeDevice]) -> list[ReceiveOutcome]:
    outcomes = []
    for d in devices:
        to_me = {i: files.envelopes.get((i, d.index)) for i in range(1, files.params.n + 1)}
        outcome = d.receive(to_me, PASSPHRASES[d.index - 1])
        files.complaints.extend(outcome.complaints)
        if outcome.acceptance is not None:
            files.acceptances[d.index] = outcome.acceptance
        outcomes.append(outcome)
    return outcomes
