"""SoftHSM2 tokens standing in for MOICA cards, for tests and the demo (never for an election).

`provision` writes one token in its own SoftHSM2 token directory, in the object layout of a
real 自然人憑證 as `pkcs11-tool -O` lists it through Chunghwa Telecom's HiCOS module (public
write-ups of a MOICA card; docs/hardware.md): token "HiCOS PKI Smart Card"; an RSA or EC signing
pair with CKA_ID "SIGN" (5349474e; the public key may only verify) and the holder's
certificate under the same ID; an RSA-2048 encryption pair "KEYX" (4b455958; encrypt, wrap)
with its certificate; the root CA's certificate as an object ("ROOT CA Cert", ID
"ROOTCACert"). What SoftHSM2 cannot show: its manufacturer ("SoftHSM project", not
"Chunghwa TeleCom Co., Ltd.") and model are fixed, and imported keys are not CKA_LOCAL.

`SoftHsmSlot` is a card reader for those tokens: inserting a card moves its token directory
into the slot's token directory, pulling it moves it back (a `Pkcs11Module(rescan=True)` sees
it at its next C_Initialize: SoftHSM2 reads its tokens only then).

`CardTryCounter` is the one emulated part, and says so: SoftHSM2 never locks a PIN (after a
wrong one it only sets CKF_USER_PIN_COUNT_LOW; a right one always logs in). A real card counts
wrong PINs and locks; the stand-in counts them per token in front of SoftHSM2's C_Login.
SOFTHSM2_CONF is always a temporary or given file, never the system's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from hardware.idcard.pkcs11 import KEYX_ID, SIGN_ID, ModuleLock, Pkcs11Module
from hardware.idcard.testca import TestCA

SOFTHSM2_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")  # Debian's softhsm2 package
HICOS_LABEL = "HiCOS PKI Smart Card"
KEY_LABEL = "k1"  # both MOICA key pairs are labelled so in the public listing
ROOT_LABEL, ROOT_ID = "ROOT CA Cert", b"ROOTCACert"  # ID 524f4f54434143657274, as listed
SIGN_CERT_LABEL, KEYX_CERT_LABEL = "SIGN Cert", "KEYX Cert"  # not in the public listing: ours
SO_PIN = "12345678"  # the security officer's PIN of every test token
P256_OID_DER = bytes.fromhex("06082a8648ce3d030107")  # DER OID 1.2.840.10045.3.1.7 (CKA_EC_PARAMS)

Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class ProvisioningError(Exception):
    """A SoftHSM2 test token could not be written."""


@dataclass(frozen=True)
class TokenContent:
    """What one test card holds. `sign_certificate` is DER (anything, for a garbled card)."""

    sign_key: Key
    sign_certificate: bytes
    keyx_key: rsa.RSAPrivateKey
    keyx_certificate: bytes
    root_certificate: bytes
    pin: str = "1234"
    # Further signing pairs with a certificate, as (CKA_ID, key, certificate DER): the public
    # MOICA listing shows a second verify key "SIGN02" labelled "k3".
    extra_signing: tuple[tuple[bytes, Key, bytes], ...] = ()


def holder_content(ca: TestCA, key: Key, certificate: bytes, pin: str = "1234") -> TokenContent:
    """A test card's content for a holder's signing key and certificate: an encryption pair
    and its certificate issued by `ca` for the same holder, and `ca`'s certificate as root."""
    cert = x509.load_der_x509_certificate(certificate)
    (serial,) = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    keyx_key, keyx_cert = ca.issue(str(serial.value), "rsa", digital_signature=False)
    assert isinstance(keyx_key, rsa.RSAPrivateKey)
    return TokenContent(
        key,
        certificate,
        keyx_key,
        keyx_cert.public_bytes(Encoding.DER),
        ca.certificate.public_bytes(Encoding.DER),
        pin,
    )


def write_config(folder: Path) -> Path:
    """A SoftHSM2 configuration with its own token directory in `folder`."""
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n",
        encoding="utf-8",
    )
    return conf


@contextmanager
def softhsm_config(conf: Path) -> Iterator[None]:
    """SOFTHSM2_CONF set to `conf` for the block (SoftHSM2 reads it at each C_Initialize)."""
    before = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = before


def _module_in_use(module: Path) -> bool:
    import PyKCS11

    return str(module) in getattr(PyKCS11.PyKCS11Lib, "_loaded_libs", {})


def provision(
    folder: Path,
    content: TokenContent,
    *,
    module: Path = SOFTHSM2_MODULE,
    label: str = HICOS_LABEL,
) -> Path:
    """One token in `folder` (its own softhsm2.conf and tokens/), in the HiCOS layout; returns
    the token's directory. SoftHSM2 must not be loaded elsewhere in this process (it would keep
    reading another configuration's tokens)."""
    import PyKCS11 as P

    if _module_in_use(module):
        raise ProvisioningError(f"{module} is already loaded in this process: provision first")
    conf = write_config(folder)
    lib = P.PyKCS11Lib()
    # ModuleLock: SoftHSM2's errors in OpenSSL's error queue stay out of this process's ssl.
    with softhsm_config(conf), ModuleLock():
        try:
            lib.load(str(module))
            free = [
                s
                for s in lib.getSlotList(tokenPresent=True)
                if not lib.getTokenInfo(s).flags & P.CKF_TOKEN_INITIALIZED
            ]
            if len(free) != 1:
                raise ProvisioningError(f"{folder} does not hold exactly one free SoftHSM2 slot")
            lib.initToken(free[0], SO_PIN, label)
            session = lib.openSession(free[0], P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION)
            session.login(SO_PIN, P.CKU_SO)
            session.initPin(content.pin)
            session.logout()
            session.login(content.pin)
            for template in _objects(content):
                session.createObject(template)
            session.logout()
            session.closeSession()
        except P.PyKCS11Error as exc:
            raise ProvisioningError(f"SoftHSM2 refused to provision {folder}: {exc}") from None
        finally:
            lib.unload()
    (token,) = [d for d in (folder / "tokens").iterdir() if d.is_dir()]
    return token


def _int(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")


def _key_pair(
    key: Key, cka_id: bytes, *, signing: bool, label: str = KEY_LABEL
) -> list[list[tuple[int, Any]]]:
    """Private and public key templates. The signing pair signs and verifies only; the
    encryption pair decrypts, unwraps, encrypts and wraps only (as on a MOICA card)."""
    import PyKCS11 as P

    common = [(P.CKA_TOKEN, True), (P.CKA_ID, cka_id), (P.CKA_LABEL, label)]
    private = [
        *common,
        (P.CKA_CLASS, P.CKO_PRIVATE_KEY),
        (P.CKA_PRIVATE, True),
        (P.CKA_SENSITIVE, True),
        (P.CKA_EXTRACTABLE, False),
        (P.CKA_SIGN, signing),
        (P.CKA_DECRYPT, not signing),
        (P.CKA_UNWRAP, not signing),
    ]
    public = [
        *common,
        (P.CKA_CLASS, P.CKO_PUBLIC_KEY),
        (P.CKA_PRIVATE, False),
        (P.CKA_VERIFY, signing),
        (P.CKA_ENCRYPT, not signing),
        (P.CKA_WRAP, not signing),
    ]
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        numbers = [(P.CKA_MODULUS, _int(n.public_numbers.n))]
        numbers.append((P.CKA_PUBLIC_EXPONENT, _int(n.public_numbers.e)))
        private += [
            (P.CKA_KEY_TYPE, P.CKK_RSA),
            *numbers,
            (P.CKA_PRIVATE_EXPONENT, _int(n.d)),
            (P.CKA_PRIME_1, _int(n.p)),
            (P.CKA_PRIME_2, _int(n.q)),
            (P.CKA_EXPONENT_1, _int(n.dmp1)),
            (P.CKA_EXPONENT_2, _int(n.dmq1)),
            (P.CKA_COEFFICIENT, _int(n.iqmp)),
        ]
        public += [(P.CKA_KEY_TYPE, P.CKK_RSA), *numbers]
    else:
        if not isinstance(key.curve, ec.SECP256R1):
            raise ProvisioningError("test cards' EC keys are P-256")
        point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        params = (P.CKA_EC_PARAMS, P256_OID_DER)
        private += [
            (P.CKA_KEY_TYPE, P.CKK_EC),
            params,
            (P.CKA_VALUE, key.private_numbers().private_value.to_bytes(32, "big")),
        ]
        # CKA_EC_POINT is the DER OCTET STRING of the point (04 41 ‖ 65 bytes for P-256).
        public += [(P.CKA_KEY_TYPE, P.CKK_EC), params, (P.CKA_EC_POINT, b"\x04\x41" + point)]
    return [private, public]


def _certificate(der: bytes, cka_id: bytes, label: str) -> list[tuple[int, Any]]:
    import PyKCS11 as P

    try:
        subject = x509.load_der_x509_certificate(der).subject.public_bytes()
    except ValueError:
        subject = b"\x30\x00"  # a garbled certificate: an empty name
    return [
        (P.CKA_CLASS, P.CKO_CERTIFICATE),
        (P.CKA_CERTIFICATE_TYPE, P.CKC_X_509),
        (P.CKA_TOKEN, True),
        (P.CKA_PRIVATE, False),
        (P.CKA_ID, cka_id),
        (P.CKA_LABEL, label),
        (P.CKA_SUBJECT, subject),
        (P.CKA_VALUE, der),
    ]


def _objects(content: TokenContent) -> list[list[tuple[int, Any]]]:
    return [
        *_key_pair(content.sign_key, SIGN_ID, signing=True),
        *_key_pair(content.keyx_key, KEYX_ID, signing=False),
        _certificate(content.sign_certificate, SIGN_ID, SIGN_CERT_LABEL),
        _certificate(content.keyx_certificate, KEYX_ID, KEYX_CERT_LABEL),
        _certificate(content.root_certificate, ROOT_ID, ROOT_LABEL),
        *(
            template
            for cka_id, key, der in content.extra_signing
            for template in [
                *_key_pair(key, cka_id, signing=True, label="k3"),
                _certificate(der, cka_id, f"{cka_id.decode()} Cert"),
            ]
        ),
    ]


class SoftHsmSlot:
    """A card reader for provisioned tokens: its own token directory, into which `insert`
    moves a card's token directory and out of which `pull` moves it back."""

    def __init__(self, folder: Path) -> None:
        self.conf = write_config(folder)
        self.tokens = folder / "tokens"
        self._card: tuple[Path, Path] | None = None  # (where it lives, where it is now)

    def insert(self, token: Path) -> None:
        if self._card is not None:
            raise RuntimeError("a card is already in the slot")
        inside = self.tokens / token.name
        os.rename(token, inside)  # one rename: the token is whole in the slot or not at all
        self._card = (token, inside)

    def pull(self) -> None:
        card, self._card = self._card, None
        if card is not None:
            os.rename(card[1], card[0])

    @property
    def inserted(self) -> bool:
        return self._card is not None


class CardTryCounter(Pkcs11Module):
    """SoftHSM2 with a card's PIN try counter emulated in front of its C_Login.

    Real (SoftHSM2's own answers): C_Login's CKR_OK or CKR_PIN_INCORRECT for a PIN that is
    tried, and the token flags it reports (CKF_USER_PIN_COUNT_LOW after a wrong PIN).
    Stand-in: the count of tries left per token (by serial number, `tries` at first, back to
    `tries` after a right PIN); at 0, C_Login is never called and CKR_PIN_LOCKED is answered,
    as a card does; with `report_flags`, CKF_USER_PIN_FINAL_TRY at 1 and CKF_USER_PIN_LOCKED
    at 0 are added to the flags, as a module that reports them does (False: a module that
    reports no counter flags at all, only the CKR_PIN_LOCKED answer).
    """

    def __init__(
        self,
        path: str | Path = SOFTHSM2_MODULE,
        *,
        tries: int = 3,
        report_flags: bool = True,
        rescan: bool = True,
    ) -> None:
        super().__init__(path, rescan=rescan)
        self.max_tries = tries
        self.report_flags = report_flags
        self.left: dict[str, int] = {}
        self.logins = 0  # C_Login calls that reached SoftHSM2, for tests

    def _serial(self, slot: int) -> str:
        with self.calling("C_GetTokenInfo") as lib:
            return str(lib.getTokenInfo(slot).serialNumber).rstrip(" \x00")

    def login(self, slot: int, session: Any, pin: bytes) -> None:
        import PyKCS11 as P

        with self.lock:
            serial = self._serial(slot)
            left = self.left.get(serial, self.max_tries)
            if left == 0:
                raise P.PyKCS11Error(P.CKR_PIN_LOCKED)
            try:
                self.logins += 1
                super().login(slot, session, pin)
            except P.PyKCS11Error as exc:
                if exc.value == P.CKR_PIN_INCORRECT:
                    self.left[serial] = left - 1
                raise
            self.left[serial] = self.max_tries

    def token_flags(self, slot: int) -> int:
        import PyKCS11 as P

        with self.lock:
            flags = super().token_flags(slot)
            flags &= ~(P.CKF_USER_PIN_FINAL_TRY | P.CKF_USER_PIN_LOCKED)
            if self.report_flags:
                left = self.left.get(self._serial(slot), self.max_tries)
                if left == 0:
                    flags |= P.CKF_USER_PIN_LOCKED
                elif left == 1:
                    flags |= P.CKF_USER_PIN_FINAL_TRY
            return int(flags)
