"""Reading and checking a voter's eID card: `read_identity(pin) → VerifiedCardholder`.

The booth learns only what eligibility needs: the card identifier (the certificate subject's
serialNumber), to be key-hashed against the voter roll. Checks, in order: the card holds an
eID application; its certificate chains to a trusted root; it is valid on the election date
and not revoked in the snapshot; the PIN unlocks the card; the card signs a fresh challenge
with the certificate's key (RSA-2048 PKCS#1 v1.5 SHA-256, as today's citizen certificate
cards; or ECDSA P-256 SHA-256). The PIN is never stored: it is wiped after the VERIFY.

The same checks, in the same order, whichever way the card is reached: this project's APDU
profile over a `CardChannel` (`ApduToken`), or a vendor's PKCS#11 module (`EidToken`,
implemented by `hardware.idcard.pkcs11.Pkcs11Card`: the path of a real 自然人憑證).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import ExtensionOID, NameOID

from hardware.errors import (
    CardMalformed,
    CardRefused,
    CardSignatureInvalid,
    CertificateExpired,
    CertificateRevoked,
    CertificateUnsuitable,
    PinBlocked,
    PinWrong,
    RevocationUnavailable,
    UnknownIssuer,
)
from hardware.idcard import apdu
from hardware.idcard.apdu import SW
from hardware.idcard.reader import CardChannel

MAX_CERTIFICATE = 4096
TAIWAN = datetime.timezone(datetime.timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class VerifiedCardholder:
    """What eligibility needs, and nothing else: the card identifier."""

    identifier: str  # the certificate subject's serialNumber, NFC, upper case


@runtime_checkable
class EidToken(Protocol):
    """A card whose operations are performed by a module that speaks the card's own APDUs
    (a PKCS#11 token: `hardware.idcard.pkcs11`). A `CardChannel` speaks this project's APDU
    profile and is driven through `ApduToken`; `read_identity` takes either."""

    def read_certificate(self) -> bytes:
        """The DER of the holder's signing certificate (at most MAX_CERTIFICATE bytes)."""
        ...

    def verify_pin(self, pin: str) -> None:
        """Unlock the signing key with a well-formed PIN; PinWrong or PinBlocked otherwise."""
        ...

    def tries_left(self) -> int | None:
        """The PIN tries left as far as the card tells (None: it does not say); PinBlocked
        if the PIN is blocked. Costs no try."""
        ...

    def sign(self, challenge: bytes) -> bytes:
        """The signing key's signature over SHA-256(challenge): RSA PKCS#1 v1.5, or ECDSA
        P-256 as r ‖ s (64 bytes)."""
        ...

    def close(self) -> None: ...


class ApduToken:
    """The project's APDU card profile over a `CardChannel` (PC/SC, or a card in-process)."""

    def __init__(self, channel: CardChannel) -> None:
        self.channel = channel

    def read_certificate(self) -> bytes:
        return read_certificate(self.channel)

    def verify_pin(self, pin: str) -> None:
        verify_pin(self.channel, pin)

    def tries_left(self) -> int | None:
        return _tries(self.channel)

    def sign(self, challenge: bytes) -> bytes:
        digest = hashlib.sha256(challenge).digest()
        response = self.channel.transmit(apdu.sign_digest(digest))
        if response.sw == SW.SECURITY_NOT_SATISFIED:
            raise CardRefused("COMPUTE DIGITAL SIGNATURE (PIN not verified)", response.sw)
        _expect_ok("COMPUTE DIGITAL SIGNATURE", response.sw)
        return response.data

    def close(self) -> None:
        self.channel.close()


def _expect_ok(what: str, sw: int) -> None:
    if sw != SW.OK:
        raise CardRefused(what, sw)


def read_certificate(channel: CardChannel) -> bytes:
    """SELECT the eID application and the certificate file, then READ BINARY in chunks."""
    _expect_ok("SELECT eID application", channel.transmit(apdu.select_eid()).sw)
    _expect_ok("SELECT certificate", channel.transmit(apdu.select_certificate()).sw)
    first = channel.transmit(apdu.read_binary(0, 4))
    _expect_ok("READ BINARY", first.sw)
    header = first.data
    if len(header) != 4 or header[0] != 0x30 or header[1] != 0x82:
        raise CardMalformed("the certificate file does not start with a DER SEQUENCE")
    total = 4 + int.from_bytes(header[2:4], "big")
    if total > MAX_CERTIFICATE:
        raise CardMalformed(f"the certificate claims {total} bytes")
    data = bytearray(header)
    while len(data) < total:
        chunk = channel.transmit(apdu.read_binary(len(data), min(apdu.CHUNK, total - len(data))))
        _expect_ok("READ BINARY", chunk.sw)
        if not chunk.data:
            raise CardMalformed("READ BINARY returned no data before the end of the certificate")
        data += chunk.data
    if len(data) != total:
        raise CardMalformed("READ BINARY returned more data than the certificate holds")
    return bytes(data)


def check_certificate(
    der: bytes,
    roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    election_date: datetime.date,
) -> x509.Certificate:
    try:
        cert = x509.load_der_x509_certificate(der)
        cert.public_key()  # a key algorithm cryptography cannot use is a malformed card for us
    except (ValueError, UnsupportedAlgorithm):
        raise CardMalformed("the card's certificate is not valid DER with a usable key") from None
    issuer = _issuing_root(cert, roots)
    _require_signing_certificate(cert)
    # Valid for the whole polling day (Taiwan time, UTC+8).
    day_start, day_end = _polling_day(election_date)
    if cert.not_valid_before_utc > day_start or cert.not_valid_after_utc < day_end:
        raise CertificateExpired(
            f"the certificate is valid from {cert.not_valid_before_utc:%Y-%m-%d} to "
            f"{cert.not_valid_after_utc:%Y-%m-%d}, not on the polling day {election_date}"
        )
    usable = [c for c in crls if _is_complete_crl_of(c, issuer, day_end)]
    if not usable:
        raise RevocationUnavailable(
            "no valid revocation snapshot for the certificate's CA: "
            "the election package must carry a current CRL of every trusted CA"
        )
    # A CA may have several CRLs in the snapshot (two snapshots, or one per key after a
    # renewal): the card is revoked if any of them lists it, never only the first.
    if any(
        c.get_revoked_certificate_by_serial_number(cert.serial_number) is not None for c in usable
    ):
        raise CertificateRevoked("the certificate is revoked: the card cannot be used to vote")
    return cert


def _polling_day(election_date: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    day_start = datetime.datetime.combine(election_date, datetime.time(0, 0), TAIWAN)
    return day_start, datetime.datetime.combine(election_date, datetime.time(23, 59, 59), TAIWAN)


def _issuing_root(cert: x509.Certificate, roots: Sequence[x509.Certificate]) -> x509.Certificate:
    """The trusted root that signed `cert`: every root of the issuer's name is tried, since a CA
    that renews its key keeps its name (two roots of one name are both trusted)."""
    named = [r for r in roots if r.subject == cert.issuer]
    if not named:
        raise UnknownIssuer(
            f"the certificate's issuer is not a trusted eID CA: {cert.issuer.rfc4514_string()}"
        )
    for root in named:
        try:
            cert.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            continue
        return root
    raise UnknownIssuer("the certificate is not signed by any trusted CA of that name")


def _extension(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> object | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None
    except ValueError:  # a duplicated or undecodable extension
        raise CardMalformed("the card's certificate has malformed extensions") from None


def _require_signing_certificate(cert: x509.Certificate) -> None:
    """An end-entity certificate whose key may sign: KeyUsage present with digitalSignature,
    and not a CA (BasicConstraints absent, which RFC 5280 reads as an end entity, or CA=false)."""
    usage = _extension(cert, x509.KeyUsage)
    if not isinstance(usage, x509.KeyUsage) or not usage.digital_signature:
        raise CertificateUnsuitable(
            "the card's certificate does not allow digitalSignature: it is not an eID "
            "signing certificate"
        )
    constraints = _extension(cert, x509.BasicConstraints)
    if isinstance(constraints, x509.BasicConstraints) and constraints.ca:
        raise CertificateUnsuitable("the card's certificate is a CA certificate, not a card's")


def _is_complete_crl_of(
    crl: x509.CertificateRevocationList, issuer: x509.Certificate, day_end: datetime.datetime
) -> bool:
    """A CRL that speaks for every certificate of `issuer` through the polling day: issued and
    signed by it, not a delta or a partition (IssuingDistributionPoint), and not due for
    renewal before the day ends. The package build refuses any other; this is the booth's
    second look."""
    if crl.issuer != issuer.subject:
        return False
    try:
        if not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
            return False
        extensions = {e.oid for e in crl.extensions}
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False
    if extensions & {ExtensionOID.DELTA_CRL_INDICATOR, ExtensionOID.ISSUING_DISTRIBUTION_POINT}:
        return False
    next_update = crl.next_update_utc
    return next_update is not None and next_update >= day_end


def _identifier(cert: x509.Certificate) -> str:
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if len(values) != 1 or not isinstance(values[0].value, str) or not values[0].value.strip():
        raise CardMalformed("the certificate has no single serialNumber")
    return unicodedata.normalize("NFC", values[0].value).upper()


_PIN_DIGITS = frozenset("0123456789")


def pin_well_formed(pin: str) -> bool:
    """4–12 ASCII digits. Any other PIN never reaches the card (it costs no try):
    str.isdigit() alone would pass full-width '１２３４' or Arabic-Indic digits."""
    return 4 <= len(pin) <= 12 and set(pin) <= _PIN_DIGITS


def verify_pin(channel: CardChannel, pin: str) -> None:
    """VERIFY the PIN (a PIN that is not well formed never reaches the card)."""
    if not pin_well_formed(pin):
        raise PinWrong(_tries(channel))
    buffer = bytearray(pin.encode("ascii"))
    try:
        sw = channel.transmit(apdu.verify_pin(bytes(buffer))).sw
    finally:
        for i in range(len(buffer)):
            buffer[i] = 0
    if sw == SW.OK:
        return
    if sw == SW.AUTH_BLOCKED:
        raise PinBlocked("the PIN is blocked after too many wrong tries")
    left = apdu.tries_left(sw)
    if left is not None:
        if left == 0:
            raise PinBlocked("the PIN is blocked after too many wrong tries")
        raise PinWrong(left)
    raise CardRefused("VERIFY PIN", sw)


def _tries(channel: CardChannel) -> int:
    sw = channel.transmit(apdu.pin_status()).sw
    if sw == SW.AUTH_BLOCKED:
        raise PinBlocked("the PIN is blocked after too many wrong tries")
    left = apdu.tries_left(sw)
    return left if left is not None else 0


def check_possession(token: EidToken, cert: x509.Certificate, challenge: bytes) -> None:
    """The card signs SHA-256(challenge); the signature must verify under the certificate."""
    signature = token.sign(challenge)
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, challenge, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
            if len(signature) != 64:
                raise CardSignatureInvalid("an ECDSA P-256 signature is 64 bytes (r ‖ s)")
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), challenge, ec.ECDSA(hashes.SHA256()))
        else:
            raise CardMalformed("the certificate's key is neither RSA nor ECDSA P-256")
    except InvalidSignature:
        raise CardSignatureInvalid("the card's signature does not match its certificate") from None


def read_identity(
    card: CardChannel | EidToken,
    pin: str,
    roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    election_date: datetime.date,
) -> VerifiedCardholder:
    """Everything the booth checks before the poll book is asked; raises a named CardError.
    The same checks in the same order whichever way the card is reached (`card`: a channel
    speaking this project's APDU profile, or a PKCS#11 token)."""
    token = card if isinstance(card, EidToken) else ApduToken(card)
    cert = check_certificate(token.read_certificate(), roots, crls, election_date)
    if not pin_well_formed(pin):
        raise PinWrong(token.tries_left())
    token.verify_pin(pin)
    check_possession(token, cert, os.urandom(32))
    return VerifiedCardholder(_identifier(cert))
