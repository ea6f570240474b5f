"""The station link's certificates: issued once at `package build`, checked by everyone after.

Each poll book (one per station) and each booth has its own Ed25519 TLS key, apart from every
signing key (a booth's export key never signs a TLS handshake). At `package build` the
authority makes a one-time link CA, issues one X.509 certificate per device naming it
(subject CN = station_id or booth_id; poll books serverAuth, booths clientAuth), and throws
the CA's private key away: no certificate can be issued after the package is signed. The CA
certificate and every device certificate are listed in package.json, so the authority's
package signature covers them; both ends of a link pin the exact certificate DER the
verified package lists for the peer they expect, after `ssl` has checked the chain.

Certificates are valid from two days before the build to 60 days after the later of the build
and the polling day (the devices' clocks are checked by `ssl`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature as _InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ballots.definition import Definition
from ballots.errors import PackageError
from ballots.pins import StationPins, pins_csv
from crypto.signing import SigningKey, VerifyKey

LINK_CA_NAME = "refvote station link CA"
TLS_KEY_BYTES = 32
MAX_CERTIFICATE_BYTES = 4096
_BEFORE = datetime.timedelta(days=2)
_AFTER = datetime.timedelta(days=60)


def tls_public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class LinkCertificates:
    """What package.json lists for the station link (all DER)."""

    ca: bytes
    pollbooks: tuple[tuple[str, bytes], ...]  # (station_id, DER), in definition order
    booths: tuple[tuple[str, bytes], ...]  # (booth_id, DER), in definition order

    def pollbook(self, station_id: str) -> bytes:
        for s, der in self.pollbooks:
            if s == station_id:
                return der
        raise PackageError(f"no poll-book certificate for station {station_id!r} in the package")

    def booth(self, booth_id: str) -> bytes:
        for b, der in self.booths:
            if b == booth_id:
                return der
        raise PackageError(f"no booth certificate for booth {booth_id!r} in the package")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def issue_link_certificates(
    definition: Definition,
    pollbook_tls: Mapping[str, Ed25519PublicKey],
    booth_tls: Mapping[str, Ed25519PublicKey],
    now: datetime.datetime | None = None,
) -> LinkCertificates:
    """A one-time CA and one certificate per poll book and booth; the CA key is then dropped."""
    stations = [s.station_id for s in definition.stations]
    if set(pollbook_tls) != set(stations):
        raise PackageError("poll-book TLS keys must match the definition's stations exactly")
    if set(booth_tls) != set(definition.booth_ids()):
        raise PackageError("booth TLS keys must match the definition's booths exactly")
    raws = [tls_public_raw(k) for k in [*pollbook_tls.values(), *booth_tls.values()]]
    if len(set(raws)) != len(raws):
        raise PackageError("every poll book and booth needs its own TLS key")
    now = now or datetime.datetime.now(datetime.UTC)
    polling_day = datetime.datetime.combine(
        datetime.date.fromisoformat(definition.date), datetime.time(), datetime.UTC
    )
    not_before, not_after = now - _BEFORE, max(now, polling_day) + _AFTER
    ca_key = Ed25519PrivateKey.generate()
    ca_name = _name(LINK_CA_NAME)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, None)
    )

    def leaf(common_name: str, key: Ed25519PublicKey, usage: x509.ObjectIdentifier) -> bytes:
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(ca_name)
            .public_key(key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=True)
            .sign(ca_key, None)
        )
        return cert.public_bytes(serialization.Encoding.DER)

    return LinkCertificates(
        ca.public_bytes(serialization.Encoding.DER),
        tuple((s, leaf(s, pollbook_tls[s], ExtendedKeyUsageOID.SERVER_AUTH)) for s in stations),
        tuple(
            (b, leaf(b, booth_tls[b], ExtendedKeyUsageOID.CLIENT_AUTH))
            for b in definition.booth_ids()
        ),
    )


def _load(der: bytes, what: str) -> x509.Certificate:
    if len(der) > MAX_CERTIFICATE_BYTES:
        raise PackageError(f"{what}: longer than {MAX_CERTIFICATE_BYTES} bytes")
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        raise PackageError(f"{what}: not a DER X.509 certificate") from None
    if not isinstance(cert.public_key(), Ed25519PublicKey):
        raise PackageError(f"{what}: the key must be Ed25519")
    if cert.public_bytes(serialization.Encoding.DER) != der:
        raise PackageError(f"{what}: not in DER's one encoding")
    return cert


def _ext(cert: x509.Certificate, kind: type[x509.ExtensionType], what: str) -> object:
    try:
        ext = cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        raise PackageError(f"{what}: missing {kind.__name__}") from None
    if not ext.critical:
        raise PackageError(f"{what}: {kind.__name__} must be critical")
    return ext.value


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(names) != 1 or len(cert.subject) != 1 or not isinstance(names[0].value, str):
        return ""
    return names[0].value


def check_link_certificates(
    definition: Definition, link: LinkCertificates, signing_keys: Mapping[str, bytes]
) -> None:
    """The package rule for the link: exactly the stations' poll books and the booths, each
    certificate issued by the listed CA to that name, for its use, with a key of its own
    (never one of `signing_keys`, the package's Ed25519 signing keys by name)."""
    ca = _load(link.ca, "link CA certificate")
    basic = _ext(ca, x509.BasicConstraints, "link CA certificate")
    if not isinstance(basic, x509.BasicConstraints) or not basic.ca or ca.issuer != ca.subject:
        raise PackageError("link CA certificate: not a self-issued CA certificate")
    try:
        ca.verify_directly_issued_by(ca)
    except (ValueError, TypeError, _InvalidSignature):
        raise PackageError("link CA certificate: its self-signature does not verify") from None
    if [s for s, _ in link.pollbooks] != [s.station_id for s in definition.stations]:
        raise PackageError("the package's poll-book certificates do not match the stations")
    if [b for b, _ in link.booths] != list(definition.booth_ids()):
        raise PackageError("the package's booth certificates do not match the booths")
    seen = {tls_public_raw(ca.public_key())}  # type: ignore[arg-type]
    forbidden = set(signing_keys.values())
    for role, usage, items in (
        ("poll book", ExtendedKeyUsageOID.SERVER_AUTH, link.pollbooks),
        ("booth", ExtendedKeyUsageOID.CLIENT_AUTH, link.booths),
    ):
        for name, der in items:
            what = f"{role} certificate of {name}"
            cert = _load(der, what)
            try:
                cert.verify_directly_issued_by(ca)
            except (ValueError, TypeError, _InvalidSignature):
                raise PackageError(f"{what}: not issued by the package's link CA") from None
            if common_name(cert) != name:
                raise PackageError(f"{what}: its subject does not name {name}")
            leaf_basic = _ext(cert, x509.BasicConstraints, what)
            if not isinstance(leaf_basic, x509.BasicConstraints) or leaf_basic.ca:
                raise PackageError(f"{what}: a device certificate must not be a CA")
            eku = _ext(cert, x509.ExtendedKeyUsage, what)
            if not isinstance(eku, x509.ExtendedKeyUsage) or list(eku) != [usage]:
                raise PackageError(f"{what}: wrong extended key usage")
            raw = tls_public_raw(cert.public_key())  # type: ignore[arg-type]
            if raw in seen or raw in forbidden:
                raise PackageError(f"{what}: its TLS key is used elsewhere in the package")
            seen.add(raw)


# Device keys for demos and tests ---------------------------------------------------------------


def tls_private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def tls_public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_tls_public_pem(data: bytes, what: str) -> Ed25519PublicKey:
    """A device's TLS public key (PEM SubjectPublicKeyInfo, or the PEM private key's half)."""
    try:
        if b"PRIVATE KEY" in data:
            private = serialization.load_pem_private_key(data, password=None)
            if isinstance(private, Ed25519PrivateKey):
                return private.public_key()
        else:
            public = serialization.load_pem_public_key(data)
            if isinstance(public, Ed25519PublicKey):
                return public
    except (ValueError, TypeError):
        raise PackageError(f"{what}: not a PEM key") from None
    raise PackageError(f"{what}: the TLS key must be Ed25519")


# What `package build` needs per station, beyond the booths' signing keys --------------------


@dataclass(frozen=True)
class StationSetup:
    """Poll-book signing keys (for the signed count), poll-book and booth TLS public keys, and
    the two poll-worker PINs of each station (only their Argon2id hashes, ballots.pins, go
    into the package)."""

    pollbook_keys: Mapping[str, VerifyKey]  # station_id → the poll book's count-signing key
    pollbook_tls: Mapping[str, Ed25519PublicKey]
    booth_tls: Mapping[str, Ed25519PublicKey]
    pins: Mapping[str, StationPins]


@dataclass(frozen=True)
class DevStationKeys:
    """Demo and test keys for every poll book and booth of a definition (never for an election).

    Written by `write` as (mode 0600 for every private file):

        stations/<station_id>.key.json, .pub.json    the poll book's count-signing key
        stations/<station_id>.tls.key.pem, .tls.pub.pem
        booths/<booth_id>.tls.key.pem, .tls.pub.pem
        poll-worker-pins.csv                         station_id,role,pin (ballots.pins)
    """

    pollbook_keys: Mapping[str, SigningKey]
    pollbook_tls: Mapping[str, Ed25519PrivateKey]
    booth_tls: Mapping[str, Ed25519PrivateKey]
    pins: Mapping[str, StationPins]

    @classmethod
    def generate(cls, definition: Definition) -> DevStationKeys:
        import secrets

        stations = [s.station_id for s in definition.stations]
        return cls(
            {s: SigningKey.generate() for s in stations},
            {s: Ed25519PrivateKey.generate() for s in stations},
            {b: Ed25519PrivateKey.generate() for b in definition.booth_ids()},
            {s: _two_pins(secrets.randbelow) for s in stations},
        )

    def setup(self) -> StationSetup:
        return StationSetup(
            {s: k.verify_key for s, k in self.pollbook_keys.items()},
            {s: k.public_key() for s, k in self.pollbook_tls.items()},
            {b: k.public_key() for b, k in self.booth_tls.items()},
            dict(self.pins),
        )

    def write(self, folder: Path) -> None:
        from crypto.keyfile import write_public_key, write_signing_key

        for s, key in self.pollbook_keys.items():
            write_signing_key(folder / "stations" / f"{s}.key.json", "pollbook", s, key)
            write_public_key(
                folder / "stations" / f"{s}.pub.json", "pollbook", s, key.verify_key, demo=True
            )
        for sub, keys in (("stations", self.pollbook_tls), ("booths", self.booth_tls)):
            for name, tls in keys.items():
                _write_private(folder / sub / f"{name}.tls.key.pem", tls_private_pem(tls))
                (folder / sub / f"{name}.tls.pub.pem").write_bytes(tls_public_pem(tls.public_key()))
        _write_private(folder / "poll-worker-pins.csv", pins_csv(self.pins))


def _two_pins(randbelow: Callable[[int], int]) -> StationPins:
    officer = randbelow(10**6)
    supervisor = (officer + 1 + randbelow(10**6 - 1)) % 10**6  # never equal to the officer's
    return StationPins(f"{officer:06d}", f"{supervisor:06d}")


def _write_private(path: Path, data: bytes) -> None:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
