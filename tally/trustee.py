"""A trustee's own offline device: its medium, and the ceremony and decryption steps on it.

    medium/
      identity.json        the trustee's Ed25519 identity, sealed under the passphrase
      identity.pub.json    its public half (to give to the officials for the roster)
      state.json           the ceremony state between rounds, sealed (removed when done)
      share.json           the key share s_t, sealed (protocol §9.2): it never leaves the medium
      pin.json             what this medium accepted, signed by the trustee (protocol §6.3):
                           the ceremony (written when the share is sealed), then the election
                           package and its authority key (`refvote trustee accept`)
      outbox/…             signed files to hand to the officials, laid out like ceremony/
      .lock                held while a command uses the medium

Every secret on the medium is sealed with Argon2id + AES-256-GCM under the trustee's
passphrase (protocol §9.2), with associated data naming what it is, so files cannot be
swapped between purposes or trustees. Every file is written atomically (temporary file,
fsync, rename, fsync of the folder) and read back.

Crash safety: the state is saved before anything it produced is written to the outbox, so a
step re-run after a crash writes the same files again; the share is sealed onto the medium,
and the pin written, before the state is removed. A re-run resumes, or refuses; it never
starts round 1 again for a ceremony this medium has already committed to.
"""

from __future__ import annotations

import fcntl
import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto.ceremony.folder import CeremonyFiles
from crypto.ceremony.messages import (
    Acceptance,
    CeremonyParameters,
    Complaint,
    Round1Commit,
)
from crypto.ceremony.public import check_round1_all
from crypto.ceremony.sealed_share import (
    SealedKeyShare,
    read_sealed_members,
    sealed_members,
    unseal_key_share,
)
from crypto.ceremony.trustee import Stage, TrusteeDevice
from crypto.encoding import PROTOCOL_VERSION, canonical_json, to_hex
from crypto.errors import CeremonyError, CryptoError, DecryptionFailed, EncodingError
from crypto.fields import open_document
from crypto.files import write_atomic
from crypto.hashing import file_fingerprint, group_for_reading, preimage, read_aloud
from crypto.hazmat.group import Point
from crypto.keyfile import write_public_key
from crypto.randomness import SYSTEM, RandomSource
from crypto.sealing import open_with_passphrase, seal_with_passphrase, wipe
from crypto.signing import (
    SIGNATURE_BYTES,
    SigningKey,
    VerifyKey,
    message_fingerprint,
    signed_json,
)

IDENTITY = "identity.json"
STATE = "state.json"
SHARE = "share.json"
PIN = "pin.json"
OUTBOX = "outbox"
LOCK = ".lock"
MAX_MEDIUM_FILE = 1 << 20


def _num(i: int, n: int) -> str:
    return f"{i:03d}" if n > 99 else f"{i:02d}"


# What the medium accepted ----------------------------------------------------------------


@dataclass(frozen=True)
class MediumPin:
    """pin.json: the ceremony this medium's share belongs to and, once accepted, the one
    election package (and its authority key) the trustee decrypts for. Signed by the trustee
    (purpose `medium-pin`), so a medium altered without the passphrase is detected."""

    manifest_hash: bytes
    ceremony_nonce: bytes
    trustee: int
    base: bytes
    transcript: bytes
    public_share: Point
    authority_key: VerifyKey | None
    package: bytes | None  # H("file", package.json)
    signature: bytes

    def body(self) -> dict[str, Any]:
        return {
            "type": "refvote/trustee-pin",
            "version": PROTOCOL_VERSION,
            "manifest_hash": to_hex(self.manifest_hash),
            "ceremony_nonce": to_hex(self.ceremony_nonce),
            "trustee": self.trustee,
            "base": to_hex(self.base),
            "transcript": to_hex(self.transcript),
            "public_share": to_hex(self.public_share.to_bytes()),
            "authority_key": to_hex(self.authority_key.raw) if self.authority_key else None,
            "package": to_hex(self.package) if self.package else None,
        }

    def payload(self) -> tuple[bytes, bytes, int, bytes]:
        return (
            self.manifest_hash,
            self.ceremony_nonce,
            self.trustee,
            message_fingerprint(self.body()),
        )

    def signed(self, identity: SigningKey) -> MediumPin:
        return MediumPin(
            **{**self.__dict__, "signature": identity.sign("medium-pin", *self.payload())}
        )

    def to_json(self) -> bytes:
        return signed_json(self.body(), self.signature)

    @classmethod
    def from_json(cls, data: bytes, key: VerifyKey) -> MediumPin:
        f = open_document(data, "refvote/trustee-pin", PIN)
        pin = cls(
            f.hex("manifest_hash", 32),
            f.hex("ceremony_nonce", 32),
            f.integer("trustee", 1, 255),
            f.hex("base", 32),
            f.hex("transcript", 32),
            f.point("public_share"),
            VerifyKey(f.hex("authority_key", 32)) if f.optional("authority_key") else None,
            f.hex("package", 32) if f.optional("package") else None,
            f.hex("signature", SIGNATURE_BYTES),
        )
        f.finish()
        try:
            key.verify(pin.signature, "medium-pin", *pin.payload())
        except CryptoError:
            raise CeremonyError(
                f"{PIN}: not signed by this trustee's identity: the medium was altered"
            ) from None
        return pin

    def package_read_aloud(self) -> str:
        return group_for_reading(self.package) if self.package else "(no package accepted)"

    def authority_read_aloud(self) -> str:
        return read_aloud("trustee-key", self.authority_key.raw) if self.authority_key else "-"


# The medium --------------------------------------------------------------------------------


class TrusteeMedium:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the medium's OS lock: two commands never use one medium at once."""
        if not self.folder.is_dir():
            raise CeremonyError(f"{self.folder} is not there: is the trustee's medium mounted?")
        fd = os.open(self.folder / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CeremonyError(
                    f"another refvote command is using {self.folder}: wait for it to finish"
                ) from None
            yield
        finally:
            os.close(fd)

    def write(self, relative: str, data: bytes) -> Path:
        """Write a file onto the medium atomically, and read it back."""
        path = self.folder / relative
        write_atomic(path, data, parents=True)
        if self.read(relative) != data:
            raise CeremonyError(f"{path} reads back different from what was written")
        return path

    def read(self, relative: str) -> bytes:
        """A regular file of the medium, bounded in size."""
        path = self.folder / relative
        if path.is_symlink() or not path.is_file():
            raise CeremonyError(f"{path}: missing or not a regular file")
        if path.stat().st_size > MAX_MEDIUM_FILE:
            raise CeremonyError(f"{path}: larger than {MAX_MEDIUM_FILE} bytes")
        return path.read_bytes()

    def has(self, relative: str) -> bool:
        return (self.folder / relative).is_file()

    # Identity --------------------------------------------------------------------------------

    def init(self, name: str, passphrase: str, rng: RandomSource = SYSTEM) -> VerifyKey:
        if (self.folder / IDENTITY).exists():
            raise CeremonyError(f"{self.folder} already holds a trustee identity")
        key = SigningKey.generate(rng)
        public = key.verify_key
        sealed = seal_with_passphrase(
            passphrase, key.seed(), preimage("trustee-identity", public.raw), rng
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.lock():
            self.write(
                IDENTITY,
                canonical_json(
                    {
                        "type": "refvote/trustee-identity",
                        "version": PROTOCOL_VERSION,
                        "name": name,
                        "public_key": to_hex(public.raw),
                        **sealed_members(sealed),
                    }
                ),
            )
            write_public_key(self.folder / "identity.pub.json", "trustee", name, public, demo=False)
        return public

    def identity(self, passphrase: str) -> tuple[str, SigningKey]:
        if not (self.folder / IDENTITY).is_file():
            raise CeremonyError(
                f"{self.folder} holds no trustee identity: run `refvote trustee init`"
            )
        f = open_document(self.read(IDENTITY), "refvote/trustee-identity", IDENTITY)
        name, public = f.text("name", max_length=200), f.hex("public_key", 32)
        sealed = read_sealed_members(f, plaintext_bytes=32)
        f.finish()
        seed = open_with_passphrase(passphrase, sealed, preimage("trustee-identity", public))
        try:
            key = SigningKey.from_seed(bytes(seed))
        finally:
            wipe(seed)
        if key.verify_key.raw != public:
            raise DecryptionFailed("identity.json: the sealed key does not match its public key")
        return name, key

    # Ceremony state ------------------------------------------------------------------------

    def _state_ad(self, params: CeremonyParameters, index: int) -> bytes:
        return preimage("trustee-state", *params.context(), index)

    def save_state(
        self, device: TrusteeDevice, passphrase: str, rng: RandomSource = SYSTEM
    ) -> None:
        params = device.params
        state = bytearray(device.export_state())
        try:
            sealed = seal_with_passphrase(
                passphrase, bytes(state), self._state_ad(params, device.index), rng
            )
        finally:
            wipe(state)
        self.write(
            STATE,
            canonical_json(
                {
                    "type": "refvote/sealed-trustee-state",
                    "version": PROTOCOL_VERSION,
                    "manifest_hash": to_hex(params.manifest_hash),
                    "ceremony_nonce": to_hex(params.ceremony_nonce),
                    "trustee": device.index,
                    **sealed_members(sealed),
                }
            ),
        )

    def load_state(
        self,
        files: CeremonyFiles,
        identity: SigningKey,
        passphrase: str,
        rng: RandomSource = SYSTEM,
    ) -> TrusteeDevice | None:
        """The device as the sealed state left it, checked against the published folder (it
        must hold what the state pinned), or None if there is no state for this ceremony.

        The decrypted state is wiped as soon as the device is rebuilt from it.
        """
        params = files.params
        if not (self.folder / STATE).is_file():
            return None
        f = open_document(self.read(STATE), "refvote/sealed-trustee-state", STATE)
        manifest_hash, nonce = f.hex("manifest_hash", 32), f.hex("ceremony_nonce", 32)
        index = f.integer("trustee", 1, 255)
        sealed = read_sealed_members(f)
        f.finish()
        if (manifest_hash, nonce) != params.context():
            # A restarted ceremony: the old state is kept aside, never reused.
            (self.folder / STATE).replace(self.folder / f"state-{nonce.hex()[:16]}.abandoned.json")
            return None
        state = open_with_passphrase(passphrase, sealed, self._state_ad(params, index))
        try:
            return TrusteeDevice.restore(
                params, index, identity, bytes(state), files.commits, files.messages, rng
            )
        finally:
            wipe(state)

    def remove_state(self) -> None:
        (self.folder / STATE).unlink()
        _fsync_folder(self.folder)

    def set_aside_outbox(self, params: CeremonyParameters) -> None:
        """Before a new (restarted) ceremony, move an earlier ceremony's outbox aside."""
        outbox = self.folder / OUTBOX
        if outbox.is_dir() and any(outbox.iterdir()):
            outbox.rename(self.folder / f"{OUTBOX}-before-{params.ceremony_nonce.hex()[:16]}")

    def write_outbox(self, relative: str, data: bytes) -> Path:
        return self.write(f"{OUTBOX}/{relative}", data)

    # Share and pin ---------------------------------------------------------------------------

    def sealed_share(self) -> SealedKeyShare | None:
        return SealedKeyShare.from_json(self.read(SHARE)) if self.has(SHARE) else None

    def pin(self, identity: VerifyKey) -> MediumPin | None:
        return MediumPin.from_json(self.read(PIN), identity) if self.has(PIN) else None


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# The ceremony, one step at a time ------------------------------------------------------------


@dataclass(frozen=True)
class StepReport:
    did: str  # what this step did
    next: str  # what the trustee waits for or does next
    done: bool = False


def _paths(params: CeremonyParameters, index: int) -> dict[str, str]:
    n, me = params.n, _num(index, params.n)
    return {
        "commit": f"round1-commit/trustee-{me}.json",
        "message": f"round1/trustee-{me}.json",
        "confirm": f"confirm/trustee-{me}.json",
        "accept": f"accept/trustee-{me}.json",
        **{f"to-{t}": f"round2/from-{me}-to-{_num(t, n)}.json" for t in range(1, n + 1)},
        **{
            f"against-{t}": f"complaints/by-{me}-against-{_num(t, n)}.json" for t in range(1, n + 1)
        },
    }


def _publish(medium: TrusteeMedium, device: TrusteeDevice) -> None:
    """Write (again) every public file the device has produced so far into the outbox.

    Every one is either kept in the sealed state or re-signed deterministically (Ed25519), so
    a re-run after a crash writes exactly the same bytes.
    """
    p, paths = device.params, _paths(device.params, device.index)
    medium.write_outbox(paths["commit"], device.commitment().to_json(p))
    if device.stage in (Stage.REVEALED, Stage.CONFIRMED, Stage.SENT, Stage.DONE):
        assert device.revealed is not None
        medium.write_outbox(paths["message"], device.revealed.to_json(p))
    if device.stage in (Stage.CONFIRMED, Stage.SENT, Stage.DONE):
        medium.write_outbox(paths["confirm"], device.confirmation().to_json(p))
    for e in device.envelopes:
        medium.write_outbox(paths[f"to-{e.recipient}"], e.to_json(p))
    for c in device.complaints:
        medium.write_outbox(paths[f"against-{c.accused}"], c.to_json(p))


def _finished(
    medium: TrusteeMedium, files: CeremonyFiles, index: int, identity: SigningKey
) -> StepReport | None:
    """With no state for this ceremony: has this trustee already finished it, or must the
    step refuse (the state was lost after the trustee committed)? None: round 1 may start."""
    params = files.params
    paths = _paths(params, index)
    pin = medium.pin(identity.verify_key)
    if pin is not None and (pin.manifest_hash, pin.ceremony_nonce) == params.context():
        unsigned = Acceptance(index, pin.transcript, b"")
        acceptance = Acceptance(
            index, pin.transcript, identity.sign("accept", *unsigned.payload(params))
        )
        medium.write_outbox(paths["accept"], acceptance.to_json(params))
        return StepReport(
            "nothing: this ceremony is finished for this trustee",
            "keep the medium sealed until decryption",
            done=True,
        )
    share = medium.sealed_share()
    if share is not None and (share.manifest_hash, share.ceremony_nonce) == params.context():
        raise CeremonyError(
            f"{medium.folder} holds this ceremony's sealed share but no {PIN}: "
            "the medium was altered; tell the officials"
        )
    complained = [
        t
        for t in range(1, params.n + 1)
        if _ours(medium, paths[f"against-{t}"], lambda d: Complaint.from_json(d, params))
    ]
    if complained:
        return StepReport(
            f"nothing: this trustee complained against trustee(s) {complained}",
            "hand the outbox to the officials: the ceremony will be judged and restarted",
            done=True,
        )
    if _ours(medium, paths["commit"], lambda d: Round1Commit.from_json(d, params)):
        raise CeremonyError(
            f"{medium.folder} committed to this ceremony but its state is gone: refusing to "
            "start round 1 again; tell the officials (the ceremony restarts)"
        )
    return None


def _ours(medium: TrusteeMedium, relative: str, parse: Callable[[bytes], object]) -> bool:
    """True if the outbox holds this file for this ceremony (an earlier ceremony's outbox is
    set aside when round 1 starts)."""
    if not medium.has(f"{OUTBOX}/{relative}"):
        return False
    try:
        parse(medium.read(f"{OUTBOX}/{relative}"))
    except EncodingError:
        return False
    return True


def ceremony_step(
    medium: TrusteeMedium,
    ceremony: Path,
    passphrase: str,
    missing_deadline_passed: bool = False,
    rng: RandomSource = SYSTEM,
    confirm_nonce: Callable[[CeremonyParameters], None] | None = None,
) -> StepReport:
    """Do the next step of the ceremony that the published folder allows."""
    with medium.lock():
        return _step(medium, ceremony, passphrase, missing_deadline_passed, rng, confirm_nonce)


def _step(
    medium: TrusteeMedium,
    ceremony: Path,
    passphrase: str,
    missing_deadline_passed: bool,
    rng: RandomSource,
    confirm_nonce: Callable[[CeremonyParameters], None] | None,
) -> StepReport:
    _, identity = medium.identity(passphrase)
    files = CeremonyFiles.read(ceremony)
    params = files.params
    index = next((t.index for t in params.trustees if t.identity_key == identity.verify_key), None)
    if index is None:
        raise CeremonyError("this trustee's identity key is not in the ceremony's roster")
    n = params.n
    device = medium.load_state(files, identity, passphrase, rng)
    if device is None:
        finished = _finished(medium, files, index, identity)
        if finished is not None:
            return finished
        if confirm_nonce is not None:
            confirm_nonce(params)
        medium.set_aside_outbox(params)
        device = TrusteeDevice(params, index, identity, rng)
        device.round1()
        medium.save_state(device, passphrase, rng)  # before anything is published
        _publish(medium, device)
        return StepReport(
            f"round 1: committed to its message as trustee {index}",
            "hand the outbox to the officials; wait until all trustees have committed",
        )
    _publish(medium, device)
    if device.stage is Stage.COMMITTED:
        if len(files.commits) < n:
            return StepReport(
                "nothing", f"{n - len(files.commits)} trustees have not committed yet"
            )
        device.reveal(files.commits)  # checks every commitment's signature; pins them
        medium.save_state(device, passphrase, rng)
        _publish(medium, device)
    if device.stage is Stage.REVEALED:
        device.reveal(files.commits)  # the folder must still hold the pinned commitments
        if len(files.messages) < n:
            return StepReport(
                "round 1: revealed its message",
                f"wait for the round-1 messages of {n - len(files.messages)} trustees",
            )
        device.confirm(files.commits, files.messages)
        device.round2()
        medium.save_state(device, passphrase, rng)
        _publish(medium, device)
        return StepReport(
            "checked every round-1 message, confirmed the transcript, sealed shares to the others",
            "wait until every trustee's round-2 envelopes are published",
        )
    if device.stage is Stage.SENT:
        return _receive(medium, files, device, identity, passphrase, missing_deadline_passed)
    raise CeremonyError(f"unexpected trustee state {device.stage.value}")


def _receive(
    medium: TrusteeMedium,
    files: CeremonyFiles,
    device: TrusteeDevice,
    identity: SigningKey,
    passphrase: str,
    missing_deadline_passed: bool,
) -> StepReport:
    params, index = files.params, device.index
    existing = medium.sealed_share()
    if existing is not None and (existing.manifest_hash, existing.ceremony_nonce) == (
        params.context()
    ):
        # A crash after the share was sealed: check it opens to K_t, then finish.
        key = device.joint_key()
        with unseal_key_share(existing, passphrase, key.public_share(index)):
            pass
        device.finish_sealed()
        return _sealed(medium, device, identity)
    to_me = {i: files.envelopes.get((i, index)) for i in range(1, params.n + 1) if i != index}
    missing = [i for i, e in to_me.items() if e is None]
    if missing and not missing_deadline_passed:
        return StepReport(
            "nothing",
            f"no envelope yet from trustees {missing} (after the deadline, "
            "run again with --deadline-passed to complain)",
        )
    outcome = device.receive(to_me, passphrase)
    if outcome.complaints:
        _publish(medium, device)
        medium.remove_state()
        accused = ", ".join(str(c.accused) for c in outcome.complaints)
        return StepReport(
            f"COMPLAINED against trustee(s) {accused}: their shares do not check",
            "hand the outbox to the officials: the ceremony will be judged and restarted",
            done=True,
        )
    assert outcome.sealed_share is not None
    medium.write(SHARE, outcome.sealed_share.to_json())  # before the state goes
    return _sealed(medium, device, identity)


def _sealed(medium: TrusteeMedium, device: TrusteeDevice, identity: SigningKey) -> StepReport:
    """The share is on the medium: pin the ceremony, publish the acceptance, drop the state."""
    params, index = device.params, device.index
    key = device.joint_key()
    transcript = device.transcript
    assert transcript is not None
    pin = MediumPin(
        params.manifest_hash,
        params.ceremony_nonce,
        index,
        key.base,
        transcript,
        key.public_share(index),
        None,
        None,
        b"",
    ).signed(identity)
    medium.write(PIN, pin.to_json())
    medium.write_outbox(_paths(params, index)["accept"], device.acceptance().to_json(params))
    medium.remove_state()
    return StepReport(
        "checked every share received, sealed its key share on this medium and pinned "
        "the ceremony on it",
        "hand the outbox to the officials (it holds this trustee's acceptance); once the "
        "election package is signed, run `refvote trustee accept`",
        done=True,
    )


# Accepting the election package --------------------------------------------------------------


def accept_package(
    medium: TrusteeMedium, package: Path, passphrase: str, authority: str
) -> MediumPin:
    """Pin the signed election package (and its authority key) on the medium.

    The package must be signed by the authority whose fingerprint was read aloud, and must
    be built on the ceremony this medium's share belongs to. Accepting the same package again
    changes nothing; any other package is refused once one is pinned.
    """
    from ballots.package import verify_package

    if not authority or not authority.strip():
        raise CeremonyError("the authority's fingerprint (--authority, read aloud) is required")
    with medium.lock():
        _, identity = medium.identity(passphrase)
        pin = medium.pin(identity.verify_key)
        if pin is None:
            raise CeremonyError(
                f"{medium.folder} holds no finished ceremony: run `refvote trustee step` "
                "until the key share is sealed"
            )
        verified = verify_package(package, authority)
        joint = verified.joint_key
        files = CeremonyFiles.read(package / "ceremony")
        transcript = check_round1_all(files.params, files.commits, files.messages)
        if (
            joint.params.context() != (pin.manifest_hash, pin.ceremony_nonce)
            or joint.base != pin.base
            or transcript != pin.transcript
            or pin.trustee > joint.n
            or joint.params.key_of(pin.trustee) != identity.verify_key
            or joint.public_share(pin.trustee) != pin.public_share
        ):
            raise CeremonyError(
                "this election package is not built on the ceremony this medium took part in"
            )
        fingerprint = file_fingerprint(medium_read(package / "package.json"))
        if pin.package is not None:
            if pin.package == fingerprint:
                return pin
            raise CeremonyError(
                "this medium already accepted another election package "
                f"({pin.package_read_aloud()}): it decrypts for that one only"
            )
        accepted = MediumPin(
            **{
                **pin.__dict__,
                "authority_key": verified.public.authority_key,
                "package": fingerprint,
                "signature": b"",
            }
        ).signed(identity)
        medium.write(PIN, accepted.to_json())
        return accepted


def medium_read(path: Path, limit: int = 64 << 20) -> bytes:
    if path.is_symlink() or not path.is_file():
        raise CeremonyError(f"{path}: missing or not a regular file")
    if path.stat().st_size > limit:
        raise CeremonyError(f"{path}: larger than {limit} bytes")
    return path.read_bytes()


# Decryption ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SumToDecrypt:
    station_id: str
    question_id: str
    ballots: int  # N


@dataclass(frozen=True)
class DecryptionReview:
    """What the trustee sees before its device signs: the pinned package and every sum."""

    trustee: int
    package: str  # the pinned package's fingerprint, read aloud
    authority: str  # the pinned authority key's fingerprint, read aloud
    sums: tuple[SumToDecrypt, ...]


def load_share(medium: TrusteeMedium) -> SealedKeyShare:
    share = medium.sealed_share()
    if share is None:
        raise CeremonyError(f"{medium.folder} holds no key share: the ceremony did not finish here")
    return share


def trustee_decrypt(
    medium: TrusteeMedium,
    record: Path,
    passphrase: str,
    authority: str,
    rng: RandomSource = SYSTEM,
    review: Callable[[DecryptionReview], None] | None = None,
) -> tuple[int, Path]:
    """Check the record, recompute its sums, and write signed decryption shares.

    `authority` is the authority key's fingerprint read aloud at the decryption session: it is
    required, and it must be the one this medium pinned with the package. The record's
    package must be byte for byte the package this medium accepted; the record must verify
    (V1–V10) pinned to that authority. `review` sees the pinned fingerprints and every sum
    (station, question, N) before anything is signed, and may raise to stop. The key share is
    unsealed only for this computation and wiped afterwards; it never leaves the medium.
    Returns (trustee number, path of the shares file in the outbox).
    """
    from ballots.errors import PackageError
    from ballots.package import key_fingerprint, normalise_fingerprint, verify_package
    from ballots.record import PRE_DECRYPTION, SharesFile, sums_from_json
    from crypto.threshold import partial_decrypt
    from tally.verify import Verifier

    if not authority or not authority.strip():
        raise CeremonyError("the authority's fingerprint (--authority, read aloud) is required")
    with medium.lock():
        _, identity = medium.identity(passphrase)
        pin = medium.pin(identity.verify_key)
        if pin is None or pin.package is None or pin.authority_key is None:
            raise CeremonyError(
                f"{medium.folder} has accepted no election package: run "
                "`refvote trustee accept PACKAGE --authority FINGERPRINT` first"
            )
        try:
            typed = normalise_fingerprint(authority)
        except PackageError as exc:
            raise CeremonyError(f"--authority: {exc}") from None
        if key_fingerprint(pin.authority_key) != typed:
            raise CeremonyError(
                "the authority fingerprint given is not the one this medium accepted "
                f"({pin.authority_read_aloud()}): not decrypting"
            )
        if file_fingerprint(medium_read(record / "package/package.json")) != pin.package:
            raise CeremonyError(
                "the record's election package is not the package this medium accepted "
                f"({pin.package_read_aloud()}): not decrypting"
            )
        log = io.StringIO()
        if not Verifier(record, authority, log, expect=PRE_DECRYPTION).run():
            failed = next((ln for ln in log.getvalue().splitlines() if "FAILED" in ln), "")
            raise CeremonyError(
                f"the record does not verify, so it is not decrypted: {failed.strip()}"
            )
        package = verify_package(record / "package", authority)
        joint = package.joint_key
        params = joint.params
        index = pin.trustee
        if (
            params.context() != (pin.manifest_hash, pin.ceremony_nonce)
            or joint.base != pin.base
            or index > params.n
            or params.key_of(index) != identity.verify_key
        ):
            raise CeremonyError("the record's ceremony is not the one this medium pinned")
        sealed = load_share(medium)
        if (sealed.manifest_hash, sealed.ceremony_nonce, sealed.trustee) != (
            *params.context(),
            index,
        ):
            raise CeremonyError("the key share on this medium belongs to another ceremony")
        base, sums = sums_from_json(medium_read(record / "tally/sums.json"))  # checked by V10
        if base != pin.base:
            raise CeremonyError("tally/sums.json belongs to another election")
        if review is not None:
            review(
                DecryptionReview(
                    index,
                    pin.package_read_aloud(),
                    pin.authority_read_aloud(),
                    tuple(SumToDecrypt(s.station_id, s.question_id, s.ballots) for s in sums),
                )
            )
        with unseal_key_share(sealed, passphrase, joint.public_share(index)) as share:
            partials = partial_decrypt(share, [s.ciphertext for s in sums], joint.base, rng)
        file = SharesFile.sign(identity, joint.base, index, partials, sums)
        path = medium.write_outbox(f"shares/trustee-{index:02d}.json", file.to_json())
        return index, path


__all__ = [
    "DecryptionReview",
    "MediumPin",
    "StepReport",
    "SumToDecrypt",
    "TrusteeMedium",
    "accept_package",
    "ceremony_step",
    "load_share",
    "trustee_decrypt",
]
