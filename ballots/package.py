"""The election package (signed by the election authority) and its verification.

A package folder:

    package/
      package.json        the public part, signed: fingerprints of everything below, the
                          authority, tally and booth public keys, the trusted eID CA roots,
                          the poll books' keys and the station link's certificates, and
                          `official` (true: an election; false: a TEST package)
      definition.json     the canonical referendum definition
      ceremony/…          the key ceremony's public folder
      confidential.json   for booths and poll books only, never published, signed: the roll
                          key, each station's voter roll as keyed hashes, the revocation
                          snapshot, each station's poll-worker PIN as an Argon2id hash

Both signed parts use purpose `package`: manifest_hash, base, H("file", the part without its
signature). The public part names the confidential part's fingerprint, which binds the two;
the confidential part holds a random 32-byte roll key, so its fingerprint reveals nothing.
Voter roll entries are HMAC-SHA-256(roll_key, card identifier), the identifier being the
certificate subject's serialNumber, NFC, upper case: the roll never holds an ID number.
"""

from __future__ import annotations

import datetime
import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.x509.oid import ExtensionOID

from ballots.context import ElectionContext
from ballots.definition import Definition
from ballots.errors import PackageError
from ballots.pins import PinHash, Role, check_station_records, hash_station_pins
from ballots.station_link import (
    LinkCertificates,
    StationSetup,
    check_link_certificates,
    issue_link_certificates,
)
from crypto.ceremony.folder import CeremonyFiles, verify_ceremony
from crypto.ceremony.public import JointKey
from crypto.encoding import PROTOCOL_VERSION, from_hex, to_hex
from crypto.errors import CryptoError, EncodingError, OlderProtocol
from crypto.fields import Fields, open_document
from crypto.files import FileError, read_file, regular_files, staged_folder, write_atomic
from crypto.hashing import file_fingerprint, read_aloud
from crypto.randomness import SYSTEM, RandomSource
from crypto.signing import (
    SIGNATURE_BYTES,
    SigningKey,
    VerifyKey,
    check_signed_as_read,
    message_fingerprint,
    signed_json,
)

MAX_PACKAGE_FILE = 64 << 20
ROLL_KEY_BYTES = 32


def roll_hash(roll_key: bytes, serial_number: str) -> bytes:
    """HMAC-SHA-256(roll_key, UTF-8 of the NFC, upper-case card identifier)."""
    mac = crypto_hmac.HMAC(roll_key, hashes.SHA256())
    mac.update(unicodedata.normalize("NFC", serial_number).upper().encode("utf-8"))
    return mac.finalize()


def key_fingerprint(key: VerifyKey) -> str:
    """How an authority key is read aloud and given to `refvote verify --authority`."""
    return read_aloud("trustee-key", key.raw)


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as typed or read aloud, in the form `key_fingerprint` prints it.

    Spaces, hyphens and case are ignored; what remains must be the 16 base32 characters
    (A–Z, 2–7) of a read-aloud fingerprint, else PackageError. The one normaliser: the
    package, verifier, trustees, lookup, station and booth all compare through it.
    """
    compact = "".join(text.split()).replace("-", "").upper() if isinstance(text, str) else ""
    if len(compact) != 16:
        raise PackageError(
            "expected the 16 characters of the authority key's fingerprint "
            '(four groups of four, e.g. "ABCD EFGH IJKL MNOP")'
        )
    if any(ch not in _BASE32 for ch in compact):
        raise PackageError("a fingerprint uses only the letters A–Z and the digits 2–7")
    return " ".join(compact[i : i + 4] for i in range(0, 16, 4))


_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


@dataclass(frozen=True)
class PublicPackage:
    manifest_hash: bytes
    base: bytes
    definition: bytes  # fingerprint of definition.json
    ceremony: tuple[tuple[str, bytes], ...]  # (path under ceremony/, fingerprint), sorted
    authority_key: VerifyKey
    tally_key: VerifyKey
    booth_keys: tuple[tuple[str, VerifyKey], ...]  # (booth_id, key), in definition order
    ca_certificates: tuple[tuple[str, bytes], ...]  # (name, DER)
    station_keys: tuple[tuple[str, VerifyKey], ...]  # (station_id, poll-book key), definition order
    link: LinkCertificates  # the station link's CA and device certificates
    confidential: bytes  # fingerprint of confidential.json
    official: bool  # OFFICIAL (an election) or TEST: signed, so no later flag can change it
    signature: bytes

    def body(self) -> dict[str, Any]:
        return {
            "type": "refvote/package",
            "version": PROTOCOL_VERSION,
            "manifest_hash": to_hex(self.manifest_hash),
            "base": to_hex(self.base),
            "definition": to_hex(self.definition),
            "ceremony": [{"path": p, "fingerprint": to_hex(h)} for p, h in self.ceremony],
            "authority_key": to_hex(self.authority_key.raw),
            "tally_key": to_hex(self.tally_key.raw),
            "booth_keys": [{"booth_id": b, "key": to_hex(k.raw)} for b, k in self.booth_keys],
            "ca_certificates": [{"name": n, "der": to_hex(d)} for n, d in self.ca_certificates],
            "station_keys": [{"station_id": s, "key": to_hex(k.raw)} for s, k in self.station_keys],
            "link_ca": to_hex(self.link.ca),
            "pollbook_certificates": [
                {"station_id": s, "der": to_hex(d)} for s, d in self.link.pollbooks
            ],
            "booth_certificates": [{"booth_id": b, "der": to_hex(d)} for b, d in self.link.booths],
            "confidential": to_hex(self.confidential),
            "official": self.official,
        }

    def payload(self) -> tuple[bytes, bytes, bytes]:
        return (self.manifest_hash, self.base, message_fingerprint(self.body()))

    def to_json(self) -> bytes:
        return signed_json(self.body(), self.signature)

    def booth_key(self, booth_id: str) -> VerifyKey:
        for b, k in self.booth_keys:
            if b == booth_id:
                return k
        raise PackageError(f"booth {booth_id!r} is not registered in the election package")

    def station_key(self, station_id: str) -> VerifyKey:
        """The poll book's count-signing key of a station."""
        for s, k in self.station_keys:
            if s == station_id:
                return k
        raise PackageError(f"station {station_id!r} has no poll-book key in the election package")

    @classmethod
    def from_json(cls, data: bytes) -> PublicPackage:
        what = "package.json"
        f = open_document(data, "refvote/package", what)
        ceremony = []
        for item in f.array("ceremony"):
            c = Fields(item, f"{what}: ceremony file")
            ceremony.append((c.text("path", max_length=200), c.hex("fingerprint", 32)))
            c.finish()
        booths = []
        for item in f.array("booth_keys"):
            b = Fields(item, f"{what}: booth key")
            booths.append((b.text("booth_id", max_length=64), _key(b, "key")))
            b.finish()
        cas = []
        for item in f.array("ca_certificates"):
            c = Fields(item, f"{what}: CA certificate")
            cas.append((c.text("name", max_length=200), c.hex("der")))
            c.finish()
        station_keys = []
        for item in f.array("station_keys"):
            k = Fields(item, f"{what}: station key")
            station_keys.append((k.text("station_id", max_length=64), _key(k, "key")))
            k.finish()
        link_certs: dict[str, list[tuple[str, bytes]]] = {"station_id": [], "booth_id": []}
        for member, id_field in (
            ("pollbook_certificates", "station_id"),
            ("booth_certificates", "booth_id"),
        ):
            for item in f.array(member):
                c = Fields(item, f"{what}: {member}")
                link_certs[id_field].append((c.text(id_field, max_length=64), c.hex("der")))
                c.finish()
        package = cls(
            f.hex("manifest_hash", 32),
            f.hex("base", 32),
            f.hex("definition", 32),
            tuple(ceremony),
            _key(f, "authority_key"),
            _key(f, "tally_key"),
            tuple(booths),
            tuple(cas),
            tuple(station_keys),
            LinkCertificates(
                f.hex("link_ca"), tuple(link_certs["station_id"]), tuple(link_certs["booth_id"])
            ),
            f.hex("confidential", 32),
            _boolean(f, "official"),
            f.hex("signature", SIGNATURE_BYTES),
        )
        f.finish()
        if [p for p, _ in package.ceremony] != sorted({p for p, _ in package.ceremony}):
            raise EncodingError(f"{what}: ceremony files must be sorted and unique")
        check_signed_as_read(data, package.body(), what)
        return package


@dataclass(frozen=True)
class ConfidentialPackage:
    manifest_hash: bytes
    base: bytes
    roll_key: bytes
    voter_roll: tuple[tuple[str, tuple[bytes, ...]], ...]  # (station_id, sorted keyed hashes)
    revocation: tuple[tuple[str, bytes], ...]  # (name, DER CRL)
    poll_worker_pins: tuple[PinHash, ...]  # ballots.pins: officer, supervisor per station
    signature: bytes

    def body(self) -> dict[str, Any]:
        return {
            "type": "refvote/package-confidential",
            "version": PROTOCOL_VERSION,
            "manifest_hash": to_hex(self.manifest_hash),
            "base": to_hex(self.base),
            "roll_key": to_hex(self.roll_key),
            "voter_roll": [
                {"station_id": s, "voters": [to_hex(h) for h in hashes_]}
                for s, hashes_ in self.voter_roll
            ],
            "revocation": [{"name": n, "der": to_hex(d)} for n, d in self.revocation],
            "poll_worker_pins": [p.to_obj() for p in self.poll_worker_pins],
        }

    def payload(self) -> tuple[bytes, bytes, bytes]:
        return (self.manifest_hash, self.base, message_fingerprint(self.body()))

    def to_json(self) -> bytes:
        return signed_json(self.body(), self.signature)

    def roll_of(self, station_id: str) -> frozenset[bytes]:
        for s, entries in self.voter_roll:
            if s == station_id:
                return frozenset(entries)
        raise PackageError(f"no voter roll for station {station_id!r}")

    def station_pins(self, station_id: str) -> tuple[PinHash, PinHash]:
        """The station's chief-officer and chief-supervisor PIN records (ballots.pins)."""
        found = [p for p in self.poll_worker_pins if p.station_id == station_id]
        if [p.role for p in found] != list(Role):
            raise PackageError(f"no poll-worker PINs for both roles of station {station_id!r}")
        return found[0], found[1]

    @classmethod
    def from_json(cls, data: bytes) -> ConfidentialPackage:
        what = "confidential.json"
        f = open_document(data, "refvote/package-confidential", what)
        roll = []
        for item in f.array("voter_roll"):
            r = Fields(item, f"{what}: voter roll")
            station = r.text("station_id", max_length=64)
            entries = tuple(from_hex(v, 32, what=f"{what}: roll entry") for v in r.array("voters"))
            if list(entries) != sorted(set(entries)):
                raise EncodingError(f"{what}: roll of {station} must be sorted and unique")
            roll.append((station, entries))
            r.finish()
        crls = []
        for item in f.array("revocation"):
            c = Fields(item, f"{what}: revocation list")
            crls.append((c.text("name", max_length=200), c.hex("der")))
            c.finish()
        pins = [
            PinHash.from_obj(item, f"{what}: poll-worker PIN")
            for item in f.array("poll_worker_pins")
        ]
        package = cls(
            f.hex("manifest_hash", 32),
            f.hex("base", 32),
            f.hex("roll_key", ROLL_KEY_BYTES),
            tuple(roll),
            tuple(crls),
            tuple(pins),
            f.hex("signature", SIGNATURE_BYTES),
        )
        f.finish()
        check_signed_as_read(data, package.body(), what)
        return package


def _boolean(f: Fields, name: str) -> bool:
    value = f.raw(name)
    if not isinstance(value, bool):
        raise f.error(name, "must be true or false")
    return value


def _key(f: Fields, name: str) -> VerifyKey:
    try:
        return VerifyKey(f.hex(name, 32))
    except CryptoError as exc:
        raise f.error(name, str(exc)) from None


# The revocation snapshot -------------------------------------------------------------------

TAIWAN = datetime.timezone(datetime.timedelta(hours=8))


def check_revocation_snapshot(
    ca_certificates: Sequence[tuple[str, bytes]],
    revocation: Sequence[tuple[str, bytes]],
    polling_day: str,
) -> None:
    """Refuse a snapshot a booth could misread (docs/hardware.md, "Revocation").

    Every CRL must be a complete CRL of a trusted CA: DER, signed by one of `ca_certificates`,
    no DeltaCRLIndicator (a delta means nothing without its base) and no
    IssuingDistributionPoint (a partition covers only some certificates, and booths read a
    CRL as covering them all), with a nextUpdate no earlier than the end of the polling day
    (Taiwan time). Every CA must have at least one, or each of its cards would meet
    RevocationUnavailable at the booth.
    """
    try:
        cas = [(name, x509.load_der_x509_certificate(der)) for name, der in ca_certificates]
    except ValueError:
        raise PackageError("a trusted eID CA certificate is not valid DER") from None
    day = datetime.date.fromisoformat(polling_day)
    day_end = datetime.datetime.combine(day, datetime.time(23, 59, 59), TAIWAN)
    covered: set[str] = set()
    for name, der in revocation:
        try:
            crl = x509.load_der_x509_crl(der)
            extensions = {e.oid for e in crl.extensions}
        except ValueError:
            raise PackageError(f"revocation list {name}: not a valid DER CRL") from None
        if ExtensionOID.DELTA_CRL_INDICATOR in extensions:
            raise PackageError(f"revocation list {name} is a delta CRL: give the complete CRL")
        if ExtensionOID.ISSUING_DISTRIBUTION_POINT in extensions:
            raise PackageError(
                f"revocation list {name} is a partitioned CRL (IssuingDistributionPoint): "
                "give the CA's complete CRL"
            )
        next_update = crl.next_update_utc
        if next_update is None or next_update < day_end:
            raise PackageError(
                f"revocation list {name} is due for renewal "
                f"({next_update or 'no nextUpdate'}) before the polling day {day} ends: "
                "fetch a current CRL"
            )
        issuers = [ca_name for ca_name, ca in cas if _signed_by(crl, ca)]
        if not issuers:
            raise PackageError(f"revocation list {name} is not signed by a trusted eID CA")
        covered.update(issuers)
    uncovered = [ca_name for ca_name, _ in cas if ca_name not in covered]
    if uncovered:
        raise PackageError(
            f"no revocation list for the eID CA {uncovered[0]}: booths would refuse its cards"
        )


def _signed_by(crl: x509.CertificateRevocationList, ca: x509.Certificate) -> bool:
    if crl.issuer != ca.subject:
        return False
    try:
        return crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False


# Building ----------------------------------------------------------------------------------


def build_package(
    folder: Path,
    definition_bytes: bytes,
    ceremony_folder: Path,
    authority: SigningKey,
    tally_key: VerifyKey,
    booth_keys: Mapping[str, VerifyKey],
    ca_certificates: Sequence[tuple[str, bytes]],
    voter_roll: Mapping[str, Sequence[str]],
    revocation: Sequence[tuple[str, bytes]],
    setup: StationSetup,
    rng: RandomSource = SYSTEM,
    *,
    official: bool = False,
) -> tuple[PublicPackage, ConfidentialPackage]:
    """Check the ceremony, then write and sign package/ (public and confidential parts).

    `official` is signed into the public part: booths print OFFICIAL and the tally's reports
    say so only from it. The caller vouches that no key given is a demo key
    (`refvote package build --official` refuses demo key files).

    `voter_roll` maps station_id to card identifiers; only their keyed hashes are written.
    `setup` gives the poll books' keys, the devices' TLS keys (certified here by a one-time
    link CA) and the poll-worker PINs (only their Argon2id hashes are written).
    """
    definition = Definition.from_json(definition_bytes)
    manifest_hash = definition.manifest_hash()
    joint = verify_ceremony(CeremonyFiles.read(ceremony_folder))
    if joint.params.manifest_hash != manifest_hash:
        raise PackageError("the key ceremony was held for another referendum definition")
    missing = [b for b in definition.booth_ids() if b not in booth_keys]
    if missing or set(booth_keys) - set(definition.booth_ids()):
        raise PackageError(
            f"booth keys must match the definition's booths exactly (missing: {missing[:3]})"
        )
    stations = {s.station_id for s in definition.stations}
    if set(voter_roll) != stations:
        raise PackageError("the voter roll must list every station of the definition, and no other")
    check_revocation_snapshot(ca_certificates, revocation, definition.date)
    station_ids = [s.station_id for s in definition.stations]
    if set(setup.pollbook_keys) != set(station_ids) or set(setup.pins) != set(station_ids):
        raise PackageError("poll-book keys and PINs must match the definition's stations exactly")
    link = issue_link_certificates(definition, setup.pollbook_tls, setup.booth_tls)
    pins = [p for s in station_ids for p in hash_station_pins(s, setup.pins[s], rng)]
    roll_key = rng.bytes(ROLL_KEY_BYTES)
    roll = tuple(
        (s.station_id, tuple(sorted({roll_hash(roll_key, v) for v in voter_roll[s.station_id]})))
        for s in definition.stations
    )
    for (station_id, entries), station in zip(roll, definition.stations, strict=True):
        if len(entries) != station.eligible:
            raise PackageError(
                f"station {station_id}: the roll has {len(entries)} distinct voters, "
                f"the definition says {station.eligible} eligible"
            )
    unsigned_c = ConfidentialPackage(
        manifest_hash, joint.base, roll_key, roll, tuple(revocation), tuple(pins), b""
    )
    confidential = ConfidentialPackage(
        **{**unsigned_c.__dict__, "signature": authority.sign("package", *unsigned_c.payload())}
    )
    # Everything is written into a staging folder unique to this process and renamed at the
    # end (crypto.files.staged_folder): no half-written package, no shared staging folder.
    if folder.exists():
        raise PackageError(f"{folder} exists: a package is built into a new folder")
    with staged_folder(folder) as staging:
        write_atomic(staging / "definition.json", definition_bytes)
        CeremonyFiles.read(ceremony_folder).write(staging / "ceremony")
        ceremony = tuple(
            (
                str(p.relative_to(staging / "ceremony")),
                file_fingerprint(read_file(p, MAX_PACKAGE_FILE)),
            )
            for p in regular_files(staging / "ceremony", ".json")
        )
        unsigned = PublicPackage(
            manifest_hash,
            joint.base,
            file_fingerprint(definition_bytes),
            tuple(sorted(ceremony)),
            authority.verify_key,
            tally_key,
            tuple((b, booth_keys[b]) for b in definition.booth_ids()),
            tuple(ca_certificates),
            tuple((s, setup.pollbook_keys[s]) for s in station_ids),
            link,
            file_fingerprint(confidential.to_json()),
            official,
            b"",
        )
        _check_station_link(definition, unsigned)
        public = PublicPackage(
            **{**unsigned.__dict__, "signature": authority.sign("package", *unsigned.payload())}
        )
        write_atomic(staging / "package.json", public.to_json())
        write_atomic(staging / "confidential.json", confidential.to_json(), mode=0o600)
    return public, confidential


# Verifying ---------------------------------------------------------------------------------


def _check_station_link(definition: Definition, public: PublicPackage) -> None:
    """station_keys and the link certificates name exactly the definition's stations and booths;
    no key serves twice (a TLS key is never a signing key)."""
    if [s for s, _ in public.station_keys] != [s.station_id for s in definition.stations]:
        raise PackageError("the package's station keys do not match the definition's stations")
    others = {k.raw for k in (public.authority_key, public.tally_key)}
    others |= {k.raw for _, k in public.booth_keys}
    stations = [k.raw for _, k in public.station_keys]
    if len(set(stations)) != len(stations) or others & set(stations):
        raise PackageError("every poll book needs a signing key of its own")
    signing = {f"key {n}": raw for n, raw in enumerate([*others, *stations])}
    check_link_certificates(definition, public.link, signing)


@dataclass(frozen=True)
class VerifiedPackage:
    public: PublicPackage
    definition: Definition
    joint_key: JointKey
    context: ElectionContext
    authority_pinned: bool  # False: the authority key is only self-asserted by the package


def _refuse_an_older_protocol(folder: Path) -> None:
    """A package.json that does not parse may be from an earlier draft of the protocol: if its
    ceremony roster says so, name that (crypto.errors.OlderProtocol) rather than the first
    field the draft lacked."""
    from crypto.ceremony.messages import CeremonyParameters

    roster = folder / "ceremony" / "ceremony.json"
    if not roster.is_file() or roster.is_symlink():
        return
    try:
        CeremonyParameters.from_json(_read(roster))
    except OlderProtocol as exc:
        raise PackageError(str(exc)) from None
    except (CryptoError, PackageError):
        return  # the roster's own fault is reported where the roster is checked


def _read(path: Path) -> bytes:
    if not os.path.lexists(path):
        raise PackageError(f"missing {path.name}")
    try:
        return read_file(path, MAX_PACKAGE_FILE)
    except FileError as exc:
        raise PackageError(str(exc)) from None


def verify_package(folder: Path, authority_fingerprint: str | None = None) -> VerifiedPackage:
    """Refuse an unsigned, altered or wrong-election package with a clear reason.

    With `authority_fingerprint` (read aloud, e.g. "ABCD EFGH …"), the package must be signed by
    that key; without it, the package's own authority key is used and the result says so.
    """
    try:
        public = PublicPackage.from_json(_read(folder / "package.json"))
    except EncodingError as exc:
        if not isinstance(exc, OlderProtocol):  # its own version is named first
            _refuse_an_older_protocol(folder)
        raise PackageError(str(exc)) from None
    if authority_fingerprint is not None and key_fingerprint(
        public.authority_key
    ) != normalise_fingerprint(authority_fingerprint):
        raise PackageError(
            "package.json is signed by an authority key other than the one given "
            f"(it names {key_fingerprint(public.authority_key)})"
        )
    try:
        public.authority_key.verify(public.signature, "package", *public.payload())
    except CryptoError:
        raise PackageError("package.json: the authority's signature does not verify") from None
    definition_bytes = _read(folder / "definition.json")
    if file_fingerprint(definition_bytes) != public.definition:
        raise PackageError("definition.json is not the definition the package was signed for")
    try:
        definition = Definition.from_json(definition_bytes)
    except CryptoError as exc:
        raise PackageError(str(exc)) from None
    if definition.manifest_hash() != public.manifest_hash:
        raise PackageError("the package's manifest_hash is not that of its definition")
    ceremony_dir = folder / "ceremony"
    present = sorted(
        str(p.relative_to(ceremony_dir)) for p in ceremony_dir.rglob("*") if p.is_file()
    )
    if present != [p for p, _ in public.ceremony]:
        raise PackageError("the ceremony folder does not hold exactly the files the package lists")
    for path, expected in public.ceremony:
        if file_fingerprint(_read(ceremony_dir / path)) != expected:
            raise PackageError(f"ceremony/{path} was altered after the package was signed")
    joint = verify_ceremony(CeremonyFiles.read(ceremony_dir))
    if joint.params.manifest_hash != public.manifest_hash:
        raise PackageError("the key ceremony was held for another referendum definition")
    if joint.base != public.base:
        raise PackageError("the package's base is not the one the ceremony gives")
    if [b for b, _ in public.booth_keys] != list(definition.booth_ids()):
        raise PackageError("the package's booth keys do not match the definition's booths")
    _check_station_link(definition, public)
    context = ElectionContext(definition, public.manifest_hash, joint.public_key, joint.base)
    return VerifiedPackage(public, definition, joint, context, authority_fingerprint is not None)


def verify_confidential(data: bytes, verified: VerifiedPackage) -> ConfidentialPackage:
    """The confidential part, for a booth or poll book: signed, and the one the package names."""
    if file_fingerprint(data) != verified.public.confidential:
        raise PackageError("confidential.json is not the one this package was signed with")
    try:
        confidential = ConfidentialPackage.from_json(data)
    except EncodingError as exc:
        raise PackageError(str(exc)) from None
    try:
        verified.public.authority_key.verify(
            confidential.signature, "package", *confidential.payload()
        )
    except CryptoError:
        raise PackageError("confidential.json: the authority's signature does not verify") from None
    if (confidential.manifest_hash, confidential.base) != (
        verified.public.manifest_hash,
        verified.public.base,
    ):
        raise PackageError("confidential.json belongs to another election")
    check_station_records(
        confidential.poll_worker_pins, [s.station_id for s in verified.definition.stations]
    )
    return confidential
