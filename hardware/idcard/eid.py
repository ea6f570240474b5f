"""Reading and checking a voter's eID card: `read_identity(pin) → VerifiedCardholder`.

The booth learns only what eligibility needs: the card identifier (the certificate subject's
serialNumber), to be key-hashed against the voter roll. Checks, in order: the card holds an
eID application; its certificate chains to a trusted root; it is valid on the election date
and not revoked in the snapshot; the PIN unlocks the card; the card signs a fresh challenge
with the certificate's key (RSA-2048 PKCS#1 v1.5 SHA-256, as today's citizen certificate
cards; or ECDSA P-256 SHA-256). The PIN is never stored: it is wiped after the VERIFY.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from hardware.errors import (
    CardMalformed,
    CardRefused,
    CardSignatureInvalid,
    CertificateExpired,
    CertificateRevoked,
    PinBlocked,
    PinWrong,
    RevocationUnavailable,
    UnknownIssuer,
)
from hardware.idcard import apdu
from hardware.idcard.apdu import SW
from hardware.idcard.reader import CardChannel

MAX_CERTIFICATE = 4096


@dataclass(frozen=True, slots=True)
class VerifiedCardholder:
    """What eligibility needs, and nothing else: the card identifier."""

    identifier: str  # the certificate subject's serialNumber, NFC, upper case


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
    issuer = next((r for r in roots if r.subject == cert.issuer), None)
    if issuer is None:
        raise UnknownIssuer(
            f"the certificate's issuer is not a trusted eID CA: {cert.issuer.rfc4514_string()}"
        )
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        raise UnknownIssuer(
            "the certificate is not signed by the trusted CA of that name"
        ) from None
    # Valid for the whole polling day (Taiwan time, UTC+8).
    tz = datetime.timezone(datetime.timedelta(hours=8))
    day_start = datetime.datetime.combine(election_date, datetime.time(0, 0), tz)
    day_end = datetime.datetime.combine(election_date, datetime.time(23, 59, 59), tz)
    if cert.not_valid_before_utc > day_start or cert.not_valid_after_utc < day_end:
        raise CertificateExpired(
            f"the certificate is valid from {cert.not_valid_before_utc:%Y-%m-%d} to "
            f"{cert.not_valid_after_utc:%Y-%m-%d}, not on the polling day {election_date}"
        )
    crl = next(
        (
            c
            for c in crls
            if c.issuer == issuer.subject and c.is_signature_valid(issuer.public_key())
        ),
        None,
    )
    if crl is None:
        raise RevocationUnavailable("no valid revocation snapshot for the certificate's CA")
    if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
        raise CertificateRevoked("the certificate is revoked: the card cannot be used to vote")
    return cert


def _identifier(cert: x509.Certificate) -> str:
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if len(values) != 1 or not isinstance(values[0].value, str) or not values[0].value.strip():
        raise CardMalformed("the certificate has no single serialNumber")
    return unicodedata.normalize("NFC", values[0].value).upper()


def verify_pin(channel: CardChannel, pin: str) -> None:
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
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


def check_possession(channel: CardChannel, cert: x509.Certificate, challenge: bytes) -> None:
    """The card signs SHA-256(challenge); the signature must verify under the certificate."""
    digest = hashlib.sha256(challenge).digest()
    response = channel.transmit(apdu.sign_digest(digest))
    if response.sw == SW.SECURITY_NOT_SATISFIED:
        raise CardRefused("COMPUTE DIGITAL SIGNATURE (PIN not verified)", response.sw)
    _expect_ok("COMPUTE DIGITAL SIGNATURE", response.sw)
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(response.data, challenge, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
            if len(response.data) != 64:
                raise CardSignatureInvalid("an ECDSA P-256 signature is 64 bytes (r ‖ s)")
            r, s = (
                int.from_bytes(response.data[:32], "big"),
                int.from_bytes(response.data[32:], "big"),
            )
            key.verify(encode_dss_signature(r, s), challenge, ec.ECDSA(hashes.SHA256()))
        else:
            raise CardMalformed("the certificate's key is neither RSA nor ECDSA P-256")
    except InvalidSignature:
        raise CardSignatureInvalid("the card's signature does not match its certificate") from None


def read_identity(
    channel: CardChannel,
    pin: str,
    roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    election_date: datetime.date,
) -> VerifiedCardholder:
    """Everything the booth checks before the poll book is asked; raises a named CardError."""
    cert = check_certificate(read_certificate(channel), roots, crls, election_date)
    verify_pin(channel, pin)
    check_possession(channel, cert, os.urandom(32))
    return VerifiedCardholder(_identifier(cert))
