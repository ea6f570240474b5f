"""A trustee's own offline device: its medium, and the ceremony and decryption steps on it.

    medium/
      identity.json        the trustee's Ed25519 identity, sealed under the passphrase
      identity.pub.json    its public half (to give to the officials for the roster)
      state.json           the ceremony state between rounds, sealed (deleted when done)
      share.json           the key share s_t, sealed (protocol §9.2): it never leaves the medium
      outbox/…             signed files to hand to the officials, laid out like ceremony/

Every secret on the medium is sealed with Argon2id + AES-256-GCM under the trustee's
passphrase (protocol §9.2), with associated data naming what it is, so files cannot be
swapped between purposes or trustees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crypto.ceremony.folder import CeremonyFiles
from crypto.ceremony.messages import CeremonyParameters
from crypto.ceremony.public import check_round1_all
from crypto.ceremony.sealed_share import (
    SealedKeyShare,
    read_sealed_members,
    sealed_members,
    unseal_key_share,
)
from crypto.ceremony.trustee import Stage, TrusteeDevice
from crypto.encoding import PROTOCOL_VERSION, canonical_json, to_hex
from crypto.errors import CeremonyError, DecryptionFailed
from crypto.fields import open_document
from crypto.hashing import preimage
from crypto.keyfile import write_public_key
from crypto.randomness import SYSTEM, RandomSource
from crypto.sealing import open_with_passphrase, seal_with_passphrase, wipe
from crypto.signing import SigningKey, VerifyKey

IDENTITY = "identity.json"
STATE = "state.json"
SHARE = "share.json"
OUTBOX = "outbox"


class TrusteeMedium:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

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
        (self.folder / IDENTITY).write_bytes(
            canonical_json(
                {
                    "type": "refvote/trustee-identity",
                    "version": PROTOCOL_VERSION,
                    "name": name,
                    "public_key": to_hex(public.raw),
                    **sealed_members(sealed),
                }
            )
        )
        write_public_key(self.folder / "identity.pub.json", "trustee", name, public)
        return public

    def identity(self, passphrase: str) -> tuple[str, SigningKey]:
        path = self.folder / IDENTITY
        if not path.is_file():
            raise CeremonyError(
                f"{self.folder} holds no trustee identity: run `refvote trustee init`"
            )
        f = open_document(path.read_bytes(), "refvote/trustee-identity", IDENTITY)
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
        temp = self.folder / (STATE + ".new")
        temp.write_bytes(
            canonical_json(
                {
                    "type": "refvote/sealed-trustee-state",
                    "version": PROTOCOL_VERSION,
                    "manifest_hash": to_hex(params.manifest_hash),
                    "ceremony_nonce": to_hex(params.ceremony_nonce),
                    "trustee": device.index,
                    **sealed_members(sealed),
                }
            )
        )
        temp.replace(self.folder / STATE)

    def load_state(self, params: CeremonyParameters, passphrase: str) -> tuple[int, bytes] | None:
        """(trustee index, state bytes) of this ceremony, or None if there is none for it."""
        path = self.folder / STATE
        if not path.is_file():
            return None
        f = open_document(path.read_bytes(), "refvote/sealed-trustee-state", STATE)
        manifest_hash, nonce = f.hex("manifest_hash", 32), f.hex("ceremony_nonce", 32)
        index = f.integer("trustee", 1, 255)
        sealed = read_sealed_members(f)
        f.finish()
        if (manifest_hash, nonce) != params.context():
            # A restarted ceremony: the old state is kept aside, never reused.
            path.replace(self.folder / f"state-{nonce.hex()[:16]}.abandoned.json")
            return None
        state = open_with_passphrase(passphrase, sealed, self._state_ad(params, index))
        return index, bytes(state)

    def set_aside_outbox(self, params: CeremonyParameters) -> None:
        """Before a new (restarted) ceremony, move an earlier ceremony's outbox aside."""
        outbox = self.folder / OUTBOX
        if outbox.is_dir() and any(outbox.iterdir()):
            outbox.rename(self.folder / f"{OUTBOX}-before-{params.ceremony_nonce.hex()[:16]}")

    def write_outbox(self, relative: str, data: bytes) -> Path:
        path = self.folder / OUTBOX / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path


@dataclass(frozen=True)
class StepReport:
    did: str  # what this step did
    next: str  # what the trustee waits for or does next
    done: bool = False


def _num(i: int, n: int) -> str:
    return f"{i:03d}" if n > 99 else f"{i:02d}"


def ceremony_step(
    medium: TrusteeMedium,
    ceremony: Path,
    passphrase: str,
    missing_deadline_passed: bool = False,
    rng: RandomSource = SYSTEM,
    confirm_nonce: Callable[[CeremonyParameters], None] | None = None,
) -> StepReport:
    """Do the next step of the ceremony that the published folder allows."""
    _, identity = medium.identity(passphrase)
    files = CeremonyFiles.read(ceremony)
    params = files.params
    index = next((t.index for t in params.trustees if t.identity_key == identity.verify_key), None)
    if index is None:
        raise CeremonyError("this trustee's identity key is not in the ceremony's roster")
    n = params.n
    loaded = medium.load_state(params, passphrase)
    if loaded is None:
        if (medium.folder / SHARE).exists():
            existing = SealedKeyShare.from_json((medium.folder / SHARE).read_bytes())
            if existing.ceremony_nonce == params.ceremony_nonce:
                return StepReport(
                    "nothing: this ceremony is finished for this trustee",
                    "keep the medium sealed until decryption",
                    done=True,
                )
        if confirm_nonce is not None:
            confirm_nonce(params)
        medium.set_aside_outbox(params)
        device = TrusteeDevice(params, index, identity, rng)
        commit = device.round1()
        medium.write_outbox(f"round1-commit/trustee-{_num(index, n)}.json", commit.to_json(params))
        medium.save_state(device, passphrase, rng)
        return StepReport(
            f"round 1: committed to its message as trustee {index}",
            "hand the outbox to the officials; wait until all trustees have committed",
        )
    state_index, state = loaded
    messages = None
    if len(files.messages) == n and len(files.commits) == n:
        check_round1_all(params, files.commits, files.messages)
        messages = files.messages
    device = TrusteeDevice.restore(params, state_index, identity, state, messages, rng)
    if device.stage is Stage.COMMITTED:
        if len(files.commits) < n:
            return StepReport(
                "nothing", f"{n - len(files.commits)} trustees have not committed yet"
            )
        message = device.reveal(files.commits)
        medium.write_outbox(f"round1/trustee-{_num(index, n)}.json", message.to_json(params))
        if len(files.messages) < n:
            return StepReport(
                "round 1: revealed its message",
                f"wait for the round-1 messages of {n - len(files.messages)} trustees",
            )
        confirmation = device.confirm(files.commits, files.messages)
        medium.write_outbox(f"confirm/trustee-{_num(index, n)}.json", confirmation.to_json(params))
        envelopes = device.round2()
        for e in envelopes:
            medium.write_outbox(
                f"round2/from-{_num(e.sender, n)}-to-{_num(e.recipient, n)}.json", e.to_json(params)
            )
        medium.save_state(device, passphrase, rng)
        return StepReport(
            "checked every round-1 message, confirmed the transcript, sealed shares to the others",
            "wait until every trustee's round-2 envelopes are published",
        )
    if device.stage is Stage.SENT:
        to_me = {i: files.envelopes.get((i, index)) for i in range(1, n + 1) if i != index}
        missing = [i for i, e in to_me.items() if e is None]
        if missing and not missing_deadline_passed:
            return StepReport(
                "nothing",
                f"no envelope yet from trustees {missing} (after the deadline, "
                "run again with --deadline-passed to complain)",
            )
        outcome = device.receive(to_me, passphrase)
        (medium.folder / STATE).unlink()
        if outcome.complaints:
            for c in outcome.complaints:
                medium.write_outbox(
                    f"complaints/by-{_num(c.trustee, n)}-against-{_num(c.accused, n)}.json",
                    c.to_json(params),
                )
            accused = ", ".join(str(c.accused) for c in outcome.complaints)
            return StepReport(
                f"COMPLAINED against trustee(s) {accused}: their shares do not check",
                "hand the outbox to the officials: the ceremony will be judged and restarted",
                done=True,
            )
        assert outcome.sealed_share is not None
        (medium.folder / SHARE).write_bytes(outcome.sealed_share.to_json())
        return StepReport(
            "checked every share received and sealed its key share on this medium",
            "keep the medium and passphrase safe until decryption",
            done=True,
        )
    raise CeremonyError(f"unexpected trustee state {device.stage.value}")


def load_share(medium: TrusteeMedium) -> SealedKeyShare:
    path = medium.folder / SHARE
    if not path.is_file():
        raise CeremonyError(f"{medium.folder} holds no key share: the ceremony did not finish here")
    return SealedKeyShare.from_json(path.read_bytes())


def trustee_decrypt(
    medium: TrusteeMedium, record: Path, passphrase: str, rng: RandomSource = SYSTEM
) -> tuple[int, Path]:
    """Check the record (V1–V10), recompute its sums, and write signed decryption shares.

    The key share is unsealed only for this computation and wiped afterwards; it never leaves
    the medium. Returns (trustee number, path of the shares file in the outbox).
    """
    import io

    from ballots.package import verify_package
    from ballots.record import PRE_DECRYPTION, SharesFile, sums_from_json
    from crypto.threshold import partial_decrypt
    from tally.verify import Verifier

    log = io.StringIO()
    verifier = Verifier(record, None, log, expect=PRE_DECRYPTION)
    if not verifier.run():
        failed = next((line for line in log.getvalue().splitlines() if "FAILED" in line), "")
        raise CeremonyError(f"the record does not verify, so it is not decrypted: {failed.strip()}")
    package = verify_package(record / "package")
    _, identity = medium.identity(passphrase)
    params = package.joint_key.params
    index = next((t.index for t in params.trustees if t.identity_key == identity.verify_key), None)
    if index is None:
        raise CeremonyError("this trustee is not a trustee of the record's election")
    sealed = load_share(medium)
    if (sealed.manifest_hash, sealed.ceremony_nonce, sealed.trustee) != (*params.context(), index):
        raise CeremonyError("the key share on this medium belongs to another ceremony")
    _, sums = sums_from_json((record / "tally/sums.json").read_bytes())  # recomputed by V10
    with unseal_key_share(sealed, passphrase, package.joint_key.public_share(index)) as share:
        partials = partial_decrypt(share, [s.ciphertext for s in sums], package.joint_key.base, rng)
    file = SharesFile.sign(identity, package.joint_key.base, index, partials, sums)
    path = medium.write_outbox(f"shares/trustee-{index:02d}.json", file.to_json())
    return index, path


__all__ = ["StepReport", "TrusteeMedium", "ceremony_step", "load_share", "trustee_decrypt"]
