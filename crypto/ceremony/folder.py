"""The public `ceremony/` folder: its layout, writing it, and verifying it whole.

    ceremony/
      ceremony.json                    the roster: manifest_hash, ceremony_nonce, n, k, trustees
      round1-commit/trustee-01.json    signed round1_hash of each trustee (published first)
      round1/trustee-01.json           signed round-1 message of each trustee (published second)
      confirm/trustee-01.json          signed transcript confirmation of each trustee
      round2/from-01-to-02.json        signed share envelope from each trustee to each other
      complaints/by-02-against-01.json signed complaints, if any (their ceremony then fails)
      accept/trustee-01.json           signed word of each trustee that every share it got checked

Trustee numbers are written with two digits (three above 99). Nothing in the folder is
secret. `verify_ceremony` checks every file and returns the JointKey (K, K_t, base) that
the ceremony produced; a complaint, a missing file (an acceptance included) or a bad
signature is an error naming the trustee.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

from crypto.ceremony.messages import (
    Acceptance,
    CeremonyParameters,
    Complaint,
    Confirmation,
    Envelope,
    Round1Commit,
    Round1Message,
)
from crypto.ceremony.public import (
    JointKey,
    check_acceptance,
    check_confirmation,
    check_envelope,
    check_round1_all,
    joint_key,
    judge_complaint,
)
from crypto.errors import CeremonyError, TrusteeFault

MAX_FILE_BYTES = 1 << 20
ROUND_FOLDERS = ("round1-commit", "round1", "confirm", "round2", "complaints", "accept")


def _num(i: int, n: int) -> str:
    return f"{i:03d}" if n > 99 else f"{i:02d}"


def layout(n: int) -> dict[str, dict[str, tuple[int, int]]]:
    """Every file name each round folder may hold, with the (trustee, other trustee) it names."""
    pairs = [(i, t) for i in range(1, n + 1) for t in range(1, n + 1) if i != t]
    single = {f"trustee-{_num(i, n)}.json": (i, 0) for i in range(1, n + 1)}
    return {
        "round1-commit": single,
        "round1": single,
        "confirm": single,
        "round2": {f"from-{_num(i, n)}-to-{_num(t, n)}.json": (i, t) for i, t in pairs},
        "complaints": {f"by-{_num(t, n)}-against-{_num(i, n)}.json": (t, i) for t, i in pairs},
        "accept": single,
    }


@dataclass
class CeremonyFiles:
    """Every public message of one ceremony, as parsed objects keyed by trustee."""

    params: CeremonyParameters
    commits: dict[int, Round1Commit] = field(default_factory=dict)
    messages: dict[int, Round1Message] = field(default_factory=dict)
    confirmations: dict[int, Confirmation] = field(default_factory=dict)
    envelopes: dict[tuple[int, int], Envelope] = field(default_factory=dict)
    complaints: list[Complaint] = field(default_factory=list)
    acceptances: dict[int, Acceptance] = field(default_factory=dict)

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
        for i, acceptance in self.acceptances.items():
            files[f"accept/trustee-{_num(i, n)}.json"] = acceptance.to_json(p)
        for name, data in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    @classmethod
    def read(cls, folder: Path) -> CeremonyFiles:
        """Parse every file of a ceremony folder (form only; `verify_ceremony` checks content).

        Only the documented layout is accepted: an unknown entry anywhere, a file in the wrong
        slot, a symbolic link or special file, or a file over 1 MiB is refused.
        """
        params = CeremonyParameters.from_json(read_file(folder / "ceremony.json"))
        files = cls(params)
        allowed = layout(params.n)
        for entry in sorted(folder.iterdir()):
            if entry.name == "ceremony.json":
                continue
            if entry.name not in allowed:
                raise CeremonyError(f"ceremony folder: unexpected entry {entry.name!r}")
            if entry.is_symlink() or not entry.is_dir():
                raise CeremonyError(f"ceremony folder: {entry.name} is not a folder")
            for path in sorted(entry.iterdir()):
                names = allowed[entry.name].get(path.name)
                if names is None:
                    raise CeremonyError(
                        f"ceremony folder: unexpected entry '{entry.name}/{path.name}'"
                    )
                files._add(entry.name, names, read_file(path), path)
        return files

    def _add(self, kind: str, names: tuple[int, int], data: bytes, path: Path) -> None:
        params = self.params
        i, other = names
        if kind == "round1-commit":
            self.commits[i] = Round1Commit.from_json(data, params)
            _expect(i, self.commits[i].trustee, path)
        elif kind == "round1":
            self.messages[i] = Round1Message.from_json(data, params)
            _expect(i, self.messages[i].trustee, path)
        elif kind == "confirm":
            self.confirmations[i] = Confirmation.from_json(data, params)
            _expect(i, self.confirmations[i].trustee, path)
        elif kind == "accept":
            self.acceptances[i] = Acceptance.from_json(data, params)
            _expect(i, self.acceptances[i].trustee, path)
        elif kind == "round2":
            envelope = Envelope.from_json(data, params)
            if (envelope.sender, envelope.recipient) != (i, other):
                raise CeremonyError(
                    f"{path.name}: holds the envelope "
                    f"from {envelope.sender} to {envelope.recipient}"
                )
            self.envelopes[(i, other)] = envelope
        else:
            complaint = Complaint.from_json(data, params)
            if (complaint.trustee, complaint.accused) != (i, other):
                raise CeremonyError(
                    f"{path.name}: holds the complaint of trustee {complaint.trustee} "
                    f"against trustee {complaint.accused}"
                )
            self.complaints.append(complaint)


def read_file(path: Path) -> bytes:
    """A regular file (not a link or special file) of at most MAX_FILE_BYTES."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise CeremonyError(f"{path}: missing") from None
    if not stat.S_ISREG(info.st_mode):
        raise CeremonyError(f"{path}: not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        raise CeremonyError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    with open(path, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise CeremonyError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    return data


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
    for t in range(1, p.n + 1):
        if t not in files.acceptances:
            raise TrusteeFault(
                t, "did not sign that every share it received checked (no accept file)"
            )
        check_acceptance(p, files.acceptances[t], transcript)
    return joint_key(p, files.messages)
