"""The public `ceremony/` folder: its layout, writing it, and verifying it whole.

    ceremony/
      ceremony.json                    the roster: manifest_hash, ceremony_nonce, n, k, trustees
      round1-commit/trustee-01.json    signed round1_hash of each trustee (published first)
      round1/trustee-01.json           signed round-1 message of each trustee (published second)
      confirm/trustee-01.json          signed transcript confirmation of each trustee
      round2/from-01-to-02.json        signed share envelope from each trustee to each other
      complaints/by-02-against-01.json signed complaints, if any (their ceremony then fails)

Trustee numbers are written with two digits (three above 99). Nothing in the folder is
secret. `verify_ceremony` checks every file and returns the JointKey (K, K_t, base) that
the ceremony produced; a complaint, a missing file or a bad signature is an error naming
the trustee.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crypto.ceremony.messages import (
    CeremonyParameters,
    Complaint,
    Confirmation,
    Envelope,
    Round1Commit,
    Round1Message,
)
from crypto.ceremony.public import (
    JointKey,
    check_confirmation,
    check_envelope,
    check_round1_all,
    joint_key,
    judge_complaint,
)
from crypto.errors import CeremonyError, TrusteeFault

MAX_FILE_BYTES = 1 << 20


def _num(i: int, n: int) -> str:
    return f"{i:03d}" if n > 99 else f"{i:02d}"


@dataclass
class CeremonyFiles:
    """Every public message of one ceremony, as parsed objects keyed by trustee."""

    params: CeremonyParameters
    commits: dict[int, Round1Commit] = field(default_factory=dict)
    messages: dict[int, Round1Message] = field(default_factory=dict)
    confirmations: dict[int, Confirmation] = field(default_factory=dict)
    envelopes: dict[tuple[int, int], Envelope] = field(default_factory=dict)
    complaints: list[Complaint] = field(default_factory=list)

    def write(self, folder: Path) -> None:
        p = self.params
        n = p.n
        files: dict[str, bytes] = {"ceremony.json": p.to_json()}
        for i, c in self.commits.items():
            files[f"round1-commit/trustee-{_num(i, n)}.json"] = c.to_json(p)
        for i, m in self.messages.items():
            files[f"round1/trustee-{_num(i, n)}.json"] = m.to_json(p)
        for i, confirmation in self.confirmations.items():
            files[f"confirm/trustee-{_num(i, n)}.json"] = confirmation.to_json(p)
        for (i, t), e in self.envelopes.items():
            files[f"round2/from-{_num(i, n)}-to-{_num(t, n)}.json"] = e.to_json(p)
        for complaint in self.complaints:
            by, against = _num(complaint.trustee, n), _num(complaint.accused, n)
            files[f"complaints/by-{by}-against-{against}.json"] = complaint.to_json(p)
        for name, data in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    @classmethod
    def read(cls, folder: Path) -> CeremonyFiles:
        """Parse every file of a ceremony folder (form only; `verify_ceremony` checks content)."""
        params = CeremonyParameters.from_json(_read(folder / "ceremony.json"))
        files = cls(params)
        n = params.n
        for i in range(1, n + 1):
            num = _num(i, n)
            if (path := folder / f"round1-commit/trustee-{num}.json").exists():
                files.commits[i] = Round1Commit.from_json(_read(path), params)
                _expect(i, files.commits[i].trustee, path)
            if (path := folder / f"round1/trustee-{num}.json").exists():
                files.messages[i] = Round1Message.from_json(_read(path), params)
                _expect(i, files.messages[i].trustee, path)
            if (path := folder / f"confirm/trustee-{num}.json").exists():
                files.confirmations[i] = Confirmation.from_json(_read(path), params)
                _expect(i, files.confirmations[i].trustee, path)
            for t in range(1, n + 1):
                path = folder / f"round2/from-{num}-to-{_num(t, n)}.json"
                if t != i and path.exists():
                    envelope = Envelope.from_json(_read(path), params)
                    if (envelope.sender, envelope.recipient) != (i, t):
                        raise CeremonyError(
                            f"{path.name}: holds the envelope from "
                            f"{envelope.sender} to {envelope.recipient}"
                        )
                    files.envelopes[(i, t)] = envelope
        complaints_dir = folder / "complaints"
        if complaints_dir.is_dir():
            for path in sorted(complaints_dir.glob("*.json")):
                files.complaints.append(Complaint.from_json(_read(path), params))
        known = {"ceremony.json", "round1-commit", "round1", "confirm", "round2", "complaints"}
        unknown = sorted(p.name for p in folder.iterdir() if p.name not in known)
        if unknown:
            raise CeremonyError(f"ceremony folder: unexpected entry {unknown[0]!r}")
        return files


def _read(path: Path) -> bytes:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise CeremonyError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    return path.read_bytes()


def _expect(i: int, found: int, path: Path) -> None:
    if found != i:
        raise CeremonyError(f"{path.name}: holds the message of trustee {found}")


def verify_ceremony(files: CeremonyFiles) -> JointKey:
    """Check the whole ceremony; return its JointKey, or raise naming the trustee at fault."""
    p = files.params
    transcript = check_round1_all(p, files.commits, files.messages)
    for t in range(1, p.n + 1):
        if t not in files.confirmations:
            raise TrusteeFault(t, "did not confirm the round-1 transcript")
        check_confirmation(p, files.confirmations[t], transcript)
    for complaint in files.complaints:
        named = judge_complaint(p, files.messages, files.envelopes, complaint)
        raise TrusteeFault(
            named,
            f"named by the complaint of trustee {complaint.trustee} "
            f"against trustee {complaint.accused}: "
            f"the ceremony must restart without trustee {named}",
        )
    for i in range(1, p.n + 1):
        for t in range(1, p.n + 1):
            if i != t:
                envelope = files.envelopes.get((i, t))
                if envelope is None:
                    raise TrusteeFault(i, f"published no share envelope to trustee {t}")
                check_envelope(p, envelope)
    return joint_key(p, files.messages)
