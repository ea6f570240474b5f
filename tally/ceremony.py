"""The tally station's side of the key ceremony: open it, collect and check each round's
files from the trustees' media, judge complaints, restart, and (for rehearsals) run it all.

The station never holds a secret here: it copies signed public files into the ceremony
folder after checking them, and tells each trustee what to do next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from crypto.ceremony.folder import CeremonyFiles, read_file, verify_ceremony
from crypto.ceremony.messages import (
    Acceptance,
    CeremonyParameters,
    Complaint,
    Confirmation,
    Envelope,
    Round1Commit,
    Round1Message,
    TrusteeEntry,
    ceremony_nonce_read_aloud,
)
from crypto.ceremony.public import (
    JointKey,
    check_acceptance,
    check_commit,
    check_confirmation,
    check_envelope,
    check_round1,
    check_round1_all,
    judge_complaint,
    restart_parameters,
)
from crypto.errors import CeremonyError, TrusteeFault
from crypto.files import write_atomic
from crypto.randomness import SYSTEM, RandomSource
from crypto.signing import VerifyKey
from tally.trustee import OUTBOX, TrusteeMedium, ceremony_step


def open_ceremony(
    folder: Path,
    manifest_hash: bytes,
    k: int,
    trustees: Sequence[tuple[str, VerifyKey]],
    rng: RandomSource = SYSTEM,
) -> CeremonyParameters:
    if folder.exists() and any(folder.iterdir()):
        raise CeremonyError(f"{folder} is not empty: a ceremony opens in a new folder")
    params = CeremonyParameters(
        manifest_hash,
        rng.bytes(32),
        k,
        tuple(TrusteeEntry(i, name, key) for i, (name, key) in enumerate(trustees, start=1)),
    )
    write_atomic(folder / "ceremony.json", params.to_json(), parents=True)
    return params


@dataclass
class CollectReport:
    accepted: list[str]
    unchanged: int
    status: str
    named: int | None = None  # a trustee named by a complaint
    joint: JointKey | None = None


def collect(folder: Path, media: Sequence[Path]) -> CollectReport:
    """Check each new file in the media's outboxes and add it to the ceremony folder.

    A file is accepted only if it is signed by its trustee and fits the round: round-1
    messages only once every commitment is in, and only if they match their commitment.
    A file already present must be byte-identical, or it is refused naming its trustee.
    """
    files = CeremonyFiles.read(folder)
    p = files.params
    for medium in media:
        if not (medium / OUTBOX).is_dir():
            raise CeremonyError(
                f"{medium}: no trustee outbox here: is the trustee's medium plugged in and "
                "mounted, and is this the right folder?"
            )
    accepted: list[str] = []
    unchanged = 0
    candidates = sorted(
        (path.relative_to(m / OUTBOX), path) for m in media for path in (m / OUTBOX).rglob("*.json")
    )
    order = ["round1-commit", "round1", "confirm", "round2", "complaints", "accept"]
    candidates.sort(key=lambda c: order.index(c[0].parts[0]) if c[0].parts[0] in order else 99)
    for relative, path in candidates:
        target = folder / relative
        data = read_file(path)
        if target.exists():
            if read_file(target) != data:
                raise CeremonyError(
                    f"{relative}: a different file is already published under this name"
                )
            unchanged += 1
            continue
        kind = relative.parts[0]
        if kind == "round1-commit":
            commit = Round1Commit.from_json(data, p)
            check_commit(p, commit)
            files.commits[commit.trustee] = commit
        elif kind == "round1":
            if len(files.commits) < p.n:
                raise CeremonyError(
                    f"{relative}: round-1 messages are accepted only once all "
                    f"{p.n} commitments are published"
                )
            message = Round1Message.from_json(data, p)
            check_round1(p, message, files.commits[message.trustee])
            files.messages[message.trustee] = message
        elif kind == "confirm":
            if len(files.messages) < p.n:
                raise CeremonyError(
                    f"{relative}: a confirmation before every round-1 message is in"
                )
            transcript = check_round1_all(p, files.commits, files.messages)
            confirmation = Confirmation.from_json(data, p)
            check_confirmation(p, confirmation, transcript)
        elif kind == "round2":
            check_envelope(p, Envelope.from_json(data, p))
        elif kind == "complaints":
            Complaint.from_json(data, p)
        elif kind == "accept":
            if len(files.messages) < p.n:
                raise CeremonyError(f"{relative}: an acceptance before every round-1 message is in")
            transcript = check_round1_all(p, files.commits, files.messages)
            acceptance = Acceptance.from_json(data, p)
            check_acceptance(p, acceptance, transcript)
        else:
            raise CeremonyError(f"{relative}: not a ceremony file")
        write_atomic(target, data, parents=True)
        accepted.append(str(relative))
    return _status(folder, accepted, unchanged)


def _status(folder: Path, accepted: list[str], unchanged: int) -> CollectReport:
    files = CeremonyFiles.read(folder)
    n = files.params.n
    for complaint in files.complaints:
        named = judge_complaint(files.params, files.messages, files.envelopes, complaint)
        return CollectReport(
            accepted,
            unchanged,
            f"complaint by trustee {complaint.trustee} against trustee {complaint.accused}: "
            f"trustee {named} is named and must be excluded; restart the ceremony",
            named,
        )
    steps = [
        (len(files.commits), "round-1 commitments"),
        (len(files.messages), "round-1 messages"),
        (len(files.confirmations), "transcript confirmations"),
    ]
    for count, what in steps:
        if count < n:
            return CollectReport(
                accepted,
                unchanged,
                f"{count} of {n} {what}: every trustee runs "
                "`refvote trustee step` with the updated ceremony folder",
            )
    if len(files.envelopes) < n * (n - 1):
        return CollectReport(
            accepted, unchanged, f"{len(files.envelopes)} of {n * (n - 1)} share envelopes"
        )
    if len(files.acceptances) < n:
        waiting = [t for t in range(1, n + 1) if t not in files.acceptances]
        return CollectReport(
            accepted,
            unchanged,
            f"{len(files.acceptances)} of {n} share acceptances: trustee(s) {waiting} run "
            "`refvote trustee step` to check their shares and seal their key share",
        )
    try:
        joint = verify_ceremony(files)
    except TrusteeFault as fault:
        return CollectReport(accepted, unchanged, str(fault), fault.trustee)
    return CollectReport(
        accepted,
        unchanged,
        "complete: every trustee checked its shares and sealed its key share; once the "
        "election package is signed, each runs `refvote trustee accept`",
        joint=joint,
    )


def restart(
    old: Path, new: Path, excluded: set[int], rng: RandomSource = SYSTEM
) -> CeremonyParameters:
    params = CeremonyFiles.read(old).params
    fresh = restart_parameters(params, excluded, rng.bytes(32))
    if new.exists() and any(new.iterdir()):
        raise CeremonyError(f"{new} is not empty")
    write_atomic(new / "ceremony.json", fresh.to_json(), parents=True)
    return fresh


def rehearse(
    folder: Path,
    media_root: Path,
    manifest_hash: bytes,
    n: int,
    k: int,
    passphrases: Sequence[str],
    rng: RandomSource = SYSTEM,
    on_step: Callable[[], None] | None = None,
) -> JointKey:
    """Every trustee on this one machine, through the same media and steps as a real ceremony.

    For rehearsals, demos and tests only: this machine sees every trustee's passphrase.
    `on_step` is called after each trustee's step (4 rounds × n), for progress bars.
    """
    media = [TrusteeMedium(media_root / f"trustee-{i:02d}") for i in range(1, n + 1)]
    keys = [m.init(f"Trustee {i}", passphrases[i - 1], rng) for i, m in enumerate(media, start=1)]
    open_ceremony(
        folder, manifest_hash, k, [(f"Trustee {i}", key) for i, key in enumerate(keys, 1)], rng
    )
    for _ in range(4):  # commit; reveal; confirm + round 2; receive
        for m, passphrase in zip(media, passphrases, strict=False):
            ceremony_step(m, folder, passphrase, rng=rng)
            if on_step is not None:
                on_step()
        report = collect(folder, [m.folder for m in media])
        if report.named is not None:
            raise CeremonyError(report.status)
    if report.joint is None:
        raise CeremonyError(f"rehearsal did not complete: {report.status}")
    return report.joint


def describe(params: CeremonyParameters) -> list[str]:
    """What is read aloud and written into the minutes."""
    lines = [
        f"ceremony nonce (read aloud): {ceremony_nonce_read_aloud(params.ceremony_nonce)}",
        f"threshold: {params.k} of {params.n}",
    ]
    lines += [
        f"trustee {t.index}: {t.name}  key {t.identity_key.read_aloud()}" for t in params.trustees
    ]
    return lines


__all__ = [
    "CollectReport",
    "collect",
    "describe",
    "open_ceremony",
    "rehearse",
    "restart",
]
