"""A test certificate authority and test eID cards (never for an election).

`refvote dev make-cards` writes a CA certificate, a revocation list and card key pairs with
certificates whose subject carries a serialNumber like a Taiwan citizen certificate.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

TAIWAN = datetime.timezone(datetime.timedelta(hours=8))
Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _key(kind: str) -> Key:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key type {kind!r}: rsa or ec")


@dataclass(frozen=True)
class TestCA:
    __test__ = False  # a helper, not a pytest test class

    key: Key
    certificate: x509.Certificate

    @classmethod
    def create(cls, name: str = "refvote TEST eID CA", kind: str = "ec") -> TestCA:
        key = _key(kind)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=3650))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    def issue(
        self,
        serial_number: str,
        kind: str = "rsa",
        not_before: datetime.date | None = None,
        not_after: datetime.date | None = None,
        *,
        digital_signature: bool = True,
        ca: bool = False,
    ) -> tuple[Key, x509.Certificate]:
        """A card key and certificate; `digital_signature=False` or `ca=True` make the
        unsuitable certificates a booth must refuse."""
        key = _key(kind)
        today = datetime.datetime.now(TAIWAN).date()
        start = datetime.datetime.combine(
            not_before or today - datetime.timedelta(days=365), datetime.time(0), TAIWAN
        )
        end = datetime.datetime.combine(
            not_after or today + datetime.timedelta(days=3 * 365), datetime.time(23, 59, 59), TAIWAN
        )
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                x509.NameAttribute(NameOID.COMMON_NAME, "TEST CARDHOLDER"),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number),
            ]
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature,
                    not digital_signature,
                    False,
                    False,
                    False,
                    False,
                    False,
                    False,
                    False,
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        return key, cert

    def crl(
        self,
        revoked: Sequence[x509.Certificate] = (),
        days: int = 30,
        *,
        extensions: Sequence[x509.ExtensionType] = (),
        next_update: datetime.datetime | None = None,
    ) -> x509.CertificateRevocationList:
        """A CRL listing `revoked`, due for renewal in `days` (or at `next_update`);
        `extensions` make the delta or partitioned CRLs a package build must refuse."""
        now = datetime.datetime.now(datetime.UTC)
        next_update = next_update or now + datetime.timedelta(days=days)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(min(now, next_update) - datetime.timedelta(days=1))
            .next_update(next_update)
        )
        for extension in extensions:
            builder = builder.add_extension(extension, critical=True)
        for cert in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(cert.serial_number)
                .revocation_date(now - datetime.timedelta(hours=1))
                .build()
            )
        return builder.sign(self.key, hashes.SHA256())
