"""The eID card through PKCS#11 (issue 14), against SoftHSM2: a real PKCS#11 library.

The card matrix (RSA and EC keys, wrong then right PIN, blocked, malformed PINs, expired,
revoked in any CRL, unknown CA, a different key, garbage) is data, run through both readers:
the APDU card profile (the virtual card, answered in this process: tests/test_idcard.py runs
it through pcscd) and PKCS#11 (SoftHSM2 tokens in a MOICA card's layout). Each step must end
the same way, with the same error type, on both. Every token lives in a temporary
SOFTHSM2_CONF and token directory, never the system's.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from hardware.errors import (
    CardError,
    CardMalformed,
    CardModuleFailed,
    CardRemoved,
    CardSignatureInvalid,
    CertificateExpired,
    CertificateRevoked,
    NoCard,
    NoReader,
    PinBlocked,
    PinWrong,
    UnknownIssuer,
)
from hardware.idcard.eid import EidToken, read_identity
from hardware.idcard.pkcs11 import Pkcs11Reader, module_error
from hardware.idcard.readers import ReaderConfig, ReaderKind, open_reader
from hardware.idcard.softhsm import (
    HICOS_LABEL,
    SOFTHSM2_MODULE,
    CardTryCounter,
    SoftHsmSlot,
    TokenContent,
    provision,
)
from hardware.idcard.testca import Key, TestCA
from hardware.idcard.virtual_card import VirtualCard
from tests.hardware_helpers import wait_until

TODAY = datetime.date.today()
PIN = "1234"
REPO = Path(__file__).resolve().parent.parent


# The matrix, as data -------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One read of the card with `pin`: the identifier read, or the error raised. `tries`:
    on PinWrong, the tries left each path reports (PKCS#11 reports no count, only flags:
    None unless the module says it is the final try)."""

    pin: str
    outcome: str | type[CardError]
    tries: dict[str, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Card:
    key: Key
    certificate: bytes
    steps: tuple[Step, ...]
    tries: int = 3
    crls: Callable[[TestCA, bytes], list[x509.CertificateRevocationList]] = lambda ca, _der: [
        ca.crl()
    ]


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def _revoked_in_a_second_crl(ca: TestCA, der: bytes) -> list[x509.CertificateRevocationList]:
    _, other = ca.issue("D123456780", "ec")
    return [ca.crl([other]), ca.crl([x509.load_der_x509_certificate(der)])]


def build_matrix(ca: TestCA) -> dict[str, Card]:
    rsa_key, rsa_cert = ca.issue("A123456789", "rsa")
    ec_key, ec_cert = ca.issue("b223456789", "ec")
    expired_key, expired_cert = ca.issue(
        "C123456789",
        "ec",
        not_before=TODAY - datetime.timedelta(days=800),
        not_after=TODAY - datetime.timedelta(days=1),
    )
    revoked_key, revoked_cert = ca.issue("D123456789", "ec")
    same_name_key, same_name_cert = TestCA.create("refvote TEST eID CA").issue("E123456789", "ec")
    stranger_key, stranger_cert = TestCA.create("Someone Else's CA").issue("E123456780", "ec")
    _, victim_cert = ca.issue("F123456789", "ec")
    impostor, _ = ca.issue("F123456789", "ec")
    ok = Step(PIN, "A123456789")
    malformed = tuple(
        Step(pin, PinWrong, {"apdu": 3, "pkcs11": None})
        for pin in ("12a4", "\uff11\uff12\uff13\uff14", "\u0661\u0662\u0663\u0664", "123", "1" * 13)
    )
    return {
        "rsa": Card(rsa_key, _der(rsa_cert), (ok,)),
        "ec": Card(ec_key, _der(ec_cert), (Step(PIN, "B223456789"),)),  # NFC, upper case
        "wrong then right PIN": Card(
            rsa_key,
            _der(rsa_cert),
            (
                Step("0000", PinWrong, {"apdu": 2, "pkcs11": None}),
                Step("9999", PinWrong, {"apdu": 1, "pkcs11": 1}),
                ok,
                Step("0000", PinWrong, {"apdu": 2, "pkcs11": None}),  # the right PIN reset it
            ),
        ),
        "blocked": Card(
            rsa_key,
            _der(rsa_cert),
            (
                Step("0000", PinWrong, {"apdu": 1, "pkcs11": 1}),
                Step("0000", PinBlocked),
                Step(PIN, PinBlocked),  # even the right PIN
            ),
            tries=2,
        ),
        "malformed PINs cost no try": Card(rsa_key, _der(rsa_cert), (*malformed, ok)),
        # The certificate is checked before the PIN: a wrong PIN costs no try on such a card.
        "expired": Card(
            expired_key,
            _der(expired_cert),
            (Step("0000", CertificateExpired), Step(PIN, CertificateExpired)),
        ),
        "revoked in a second CRL": Card(
            revoked_key,
            _der(revoked_cert),
            (Step(PIN, CertificateRevoked),),
            crls=_revoked_in_a_second_crl,
        ),
        "unknown CA of the same name": Card(
            same_name_key, _der(same_name_cert), (Step(PIN, UnknownIssuer),)
        ),
        "unknown CA": Card(
            stranger_key,
            _der(stranger_cert),
            (Step("0000", UnknownIssuer), Step(PIN, UnknownIssuer)),
        ),
        "a different key": Card(impostor, _der(victim_cert), (Step(PIN, CardSignatureInvalid),)),
        "garbage certificate": Card(
            rsa_key, b"\x30\x82\x01\x00" + os.urandom(256), (Step(PIN, CardMalformed),)
        ),
        "garbage": Card(rsa_key, os.urandom(300), (Step(PIN, CardMalformed),)),
    }


# Two paths to a card -------------------------------------------------------------------------


class ApduPath:
    """The APDU card profile: the virtual card, its APDUs answered in this process."""

    name = "apdu"

    def __init__(self) -> None:
        self.card: VirtualCard | None = None

    def insert(self, case: str, card: Card) -> None:
        self.card = VirtualCard(card.key, card.certificate, pin=PIN, tries=card.tries)

    def connect(self) -> object:
        from booth.driver import LocalCards

        deck = LocalCards({})
        deck._card = self.card  # the deck's channel answers from this card
        return deck.connect()

    def tries_spent(self) -> int:
        assert self.card is not None
        return self.card.max_tries - self.card.tries

    def close(self) -> None:
        self.card = None


class Pkcs11Path:
    """PKCS#11: SoftHSM2 tokens in the MOICA layout, inserted into a SoftHSM2 slot."""

    name = "pkcs11"

    def __init__(self, tokens: dict[str, Path], folder: Path) -> None:
        self.tokens = tokens
        self.slot = SoftHsmSlot(folder)
        self.reader: Pkcs11Reader | None = None
        self.module: CardTryCounter | None = None

    def insert(self, case: str, card: Card) -> None:
        self.module = CardTryCounter(tries=card.tries)
        self.reader = Pkcs11Reader(self.module, HICOS_LABEL)
        self.slot.insert(self.tokens[case])

    def connect(self) -> object:
        assert self.reader is not None
        return self.reader.connect()

    def tries_spent(self) -> int:
        assert self.module is not None
        return sum(self.module.max_tries - left for left in self.module.left.values())

    def close(self) -> None:
        self.slot.pull()
        if self.reader is not None:
            self.reader.close()


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA.create()


@pytest.fixture(scope="module")
def matrix(ca: TestCA) -> dict[str, Card]:
    return build_matrix(ca)


@pytest.fixture(scope="module")
def keyx(ca: TestCA) -> tuple[rsa.RSAPrivateKey, bytes]:
    key, cert = ca.issue("K000000000", "rsa", digital_signature=False)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key, _der(cert)


def content(ca: TestCA, keyx: tuple[rsa.RSAPrivateKey, bytes], card: Card) -> TokenContent:
    return TokenContent(card.key, card.certificate, keyx[0], keyx[1], _der(ca.certificate), PIN)


@pytest.fixture(scope="module")
def tokens(
    ca: TestCA,
    matrix: dict[str, Card],
    keyx: tuple[rsa.RSAPrivateKey, bytes],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    """A SoftHSM2 token per card of the matrix, each in its own token directory."""
    root = tmp_path_factory.mktemp("tokens")
    return {
        case: provision(root / f"card{n}", content(ca, keyx, card))
        for n, (case, card) in enumerate(matrix.items())
    }


@pytest.fixture
def softhsm_slot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsmSlot:
    slot = SoftHsmSlot(tmp_path / "slot")
    monkeypatch.setenv("SOFTHSM2_CONF", str(slot.conf))
    return slot


@pytest.fixture(params=["apdu", "pkcs11"])
def path(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ApduPath | Pkcs11Path]:
    chosen: ApduPath | Pkcs11Path
    if request.param == "apdu":
        chosen = ApduPath()
    else:
        tokens = request.getfixturevalue("tokens")
        chosen = Pkcs11Path(tokens, tmp_path / "slot")
        monkeypatch.setenv("SOFTHSM2_CONF", str(chosen.slot.conf))
    yield chosen
    chosen.close()


def read(path: ApduPath | Pkcs11Path, ca: TestCA, card: Card, pin: str) -> str:
    channel = path.connect()
    try:
        holder = read_identity(
            channel,  # type: ignore[arg-type]
            pin,
            [ca.certificate],
            card.crls(ca, card.certificate),
            TODAY,
        )
    finally:
        channel.close()  # type: ignore[attr-defined]
    return holder.identifier


MATRIX_CASES = [
    "rsa",
    "ec",
    "wrong then right PIN",
    "blocked",
    "malformed PINs cost no try",
    "expired",
    "revoked in a second CRL",
    "unknown CA of the same name",
    "unknown CA",
    "a different key",
    "garbage certificate",
    "garbage",
]


@pytest.mark.parametrize("case", MATRIX_CASES)
def test_the_card_matrix(
    case: str, path: ApduPath | Pkcs11Path, ca: TestCA, matrix: dict[str, Card]
) -> None:
    card = matrix[case]
    path.insert(case, card)
    for n, step in enumerate(card.steps):
        if isinstance(step.outcome, str):
            assert read(path, ca, card, step.pin) == step.outcome, n
            continue
        with pytest.raises(CardError) as info:
            read(path, ca, card, step.pin)
        assert type(info.value) is step.outcome, (n, info.value)
        if step.outcome is PinWrong:
            assert isinstance(info.value, PinWrong)
            assert info.value.tries_left == step.tries[path.name], n
    if not any(step.outcome in (PinWrong, PinBlocked) for step in card.steps[:-1]):
        assert path.tries_spent() == 0  # no wrong PIN reached the card


def test_the_matrix_covers_every_case(matrix: dict[str, Card]) -> None:
    assert sorted(MATRIX_CASES) == sorted(matrix)


# PKCS#11 only --------------------------------------------------------------------------------


@pytest.fixture
def rsa_token(
    ca: TestCA, keyx: tuple[rsa.RSAPrivateKey, bytes], tmp_path: Path, softhsm_slot: SoftHsmSlot
) -> Path:
    """A fresh token (this test may change it), provisioned before the reader loads SoftHSM2."""
    key, cert = ca.issue("A123456789", "rsa")
    card = Card(key, _der(cert), ())
    return provision(tmp_path / "card", content(ca, keyx, card))


@pytest.fixture
def reader(softhsm_slot: SoftHsmSlot) -> Iterator[Pkcs11Reader]:
    r = Pkcs11Reader(CardTryCounter(), HICOS_LABEL)
    yield r
    softhsm_slot.pull()
    r.close()


def identity(reader: Pkcs11Reader, ca: TestCA, pin: str = PIN) -> str:
    card = reader.connect()
    try:
        return read_identity(card, pin, [ca.certificate], [ca.crl()], TODAY).identifier
    finally:
        card.close()


def test_no_card(reader: Pkcs11Reader) -> None:
    assert reader.card_present() is False
    with pytest.raises(NoCard):
        reader.connect()


def test_the_session_is_logged_out_and_closed(
    reader: Pkcs11Reader, softhsm_slot: SoftHsmSlot, rsa_token: Path, ca: TestCA
) -> None:
    import PyKCS11 as P

    softhsm_slot.insert(rsa_token)
    card = reader.connect()
    assert isinstance(card, EidToken)
    assert read_identity(card, PIN, [ca.certificate], [ca.crl()], TODAY).identifier
    other = reader.module.open_session(card.slot)  # counted: no rescan while it is open
    try:
        # Login state is the token's, shared by every session of this process: while the
        # card's session is open, the user is logged in ...
        assert other.getSessionInfo().state == P.CKS_RO_USER_FUNCTIONS
        card.close()
        # ... and once it is closed, nobody is, and the reader holds no session.
        assert other.getSessionInfo().state == P.CKS_RO_PUBLIC_SESSION
    finally:
        reader.module.close_session(other, reader.module.generation)
    assert reader.module._sessions == 0


def test_a_pin_already_logged_in_by_another_session_is_still_checked(
    reader: Pkcs11Reader, softhsm_slot: SoftHsmSlot, rsa_token: Path, ca: TestCA
) -> None:

    softhsm_slot.insert(rsa_token)
    assert reader.card_present()
    (slot,) = reader.module.token_slots(HICOS_LABEL)
    other = reader.module.open_session(slot)  # counted: no rescan while it is open
    try:
        other.login(PIN)  # someone else logged in: C_Login now answers ALREADY_LOGGED_IN
        with pytest.raises(PinWrong):
            identity(reader, ca, "0000")
        other.login(PIN)
        assert identity(reader, ca) == "A123456789"
    finally:
        reader.module.close_session(other, reader.module.generation)


def test_blocked_through_ckr_pin_locked_when_the_module_reports_no_flags(
    softhsm_slot: SoftHsmSlot, rsa_token: Path, ca: TestCA
) -> None:
    module = CardTryCounter(tries=2, report_flags=False)
    reader = Pkcs11Reader(module, HICOS_LABEL)
    softhsm_slot.insert(rsa_token)
    try:
        for _ in range(2):
            with pytest.raises(PinWrong) as info:
                identity(reader, ca, "0000")
            assert info.value.tries_left is None  # no flags: the count is unknown
        logins = module.logins
        with pytest.raises(PinBlocked):  # C_Login answers CKR_PIN_LOCKED
            identity(reader, ca)
        assert module.logins == logins  # a locked card is not asked to check a PIN
    finally:
        softhsm_slot.pull()
        reader.close()


def test_a_token_without_a_verifying_public_key_is_not_an_eid_card(
    reader: Pkcs11Reader, softhsm_slot: SoftHsmSlot, rsa_token: Path, ca: TestCA
) -> None:
    import PyKCS11 as P

    softhsm_slot.insert(rsa_token)
    assert identity(reader, ca) == "A123456789"
    (slot,) = reader.module.token_slots(HICOS_LABEL)
    session = reader.module.library().openSession(slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION)
    try:  # no rescan can happen in between: this thread makes no reader call
        session.login(PIN)
        (sign_public,) = session.findObjects([(P.CKA_CLASS, P.CKO_PUBLIC_KEY), (P.CKA_ID, b"SIGN")])
        session.destroyObject(sign_public)
        session.logout()
    finally:
        session.closeSession()
    with pytest.raises(CardMalformed, match="0 signing certificates"):
        identity(reader, ca)


def test_rsa_signs_the_same_through_either_mechanism(
    reader: Pkcs11Reader, softhsm_slot: SoftHsmSlot, rsa_token: Path, ca: TestCA
) -> None:
    """A module without CKM_SHA256_RSA_PKCS: CKM_RSA_PKCS over DigestInfo gives the same
    PKCS#1 v1.5 signature (deterministic), which the certificate's key verifies."""
    import PyKCS11 as P
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    softhsm_slot.insert(rsa_token)
    challenge = os.urandom(32)
    signatures = []
    offered = reader.module.mechanisms
    for hide in (frozenset(), frozenset({P.CKM_SHA256_RSA_PKCS})):
        reader.module.mechanisms = lambda slot, hide=hide: offered(slot) - hide  # type: ignore[method-assign]
        card = reader.connect()
        try:
            der = card.read_certificate()
            card.verify_pin(PIN)
            signatures.append(card.sign(challenge))
        finally:
            card.close()
    assert signatures[0] == signatures[1]
    key = x509.load_der_x509_certificate(der).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(signatures[0], challenge, padding.PKCS1v15(), hashes.SHA256())
    reader.module.mechanisms = lambda slot: frozenset()  # type: ignore[method-assign]
    with pytest.raises(CardMalformed, match=r"no RSA PKCS#1 v1\.5 or ECDSA"):
        identity(reader, ca)


def test_a_session_of_an_unloaded_module_is_never_called(
    reader: Pkcs11Reader, softhsm_slot: SoftHsmSlot, rsa_token: Path
) -> None:
    """The module finalised under an open card (the booth shutting down, a rescan): the card
    is gone (CardRemoved), and closing it calls nothing (a call would be into unmapped code)."""
    softhsm_slot.insert(rsa_token)
    card = reader.connect()
    card.read_certificate()
    reader.module.close()
    with pytest.raises(CardRemoved):
        card.read_certificate()
    with pytest.raises(CardRemoved):
        card.verify_pin(PIN)
    card.close()
    assert reader.card_present()  # the module loads again for the next card
    softhsm_slot.pull()
    assert not reader.card_present()  # and rescans: the dead session is not counted


def test_provisioning_refuses_while_softhsm2_is_loaded(
    reader: Pkcs11Reader, ca: TestCA, keyx: tuple[rsa.RSAPrivateKey, bytes], tmp_path: Path
) -> None:
    """Loaded, SoftHSM2 keeps the configuration it read: a token would land in the reader's
    token directory, not the one asked for."""
    from hardware.idcard.softhsm import ProvisioningError

    reader.card_present()  # loads the module
    key, cert = ca.issue("A123456789", "ec")
    with pytest.raises(ProvisioningError, match="already loaded"):
        provision(tmp_path / "card", content(ca, keyx, Card(key, _der(cert), ())))
    assert not (tmp_path / "card").exists()


# PKCS#11 v2.40 §3.6 (pkcs11t.h) return values, as numbers from the standard.
MODULE_ERRORS = {
    0x32: CardRemoved,  # CKR_DEVICE_REMOVED
    0xE0: CardRemoved,  # CKR_TOKEN_NOT_PRESENT
    0xB0: CardRemoved,  # CKR_SESSION_CLOSED
    0xB3: CardRemoved,  # CKR_SESSION_HANDLE_INVALID
    0xE1: CardMalformed,  # CKR_TOKEN_NOT_RECOGNIZED
    0x30: CardModuleFailed,  # CKR_DEVICE_ERROR
    0x06: CardModuleFailed,  # CKR_FUNCTION_FAILED
    0x12345678: CardModuleFailed,  # no such value
}


@pytest.mark.parametrize("rv, kind", sorted(MODULE_ERRORS.items(), key=lambda i: i[0]))
def test_module_errors_are_named(rv: int, kind: type[CardError]) -> None:
    error = module_error("C_Sign", rv)
    assert type(error) is kind and "C_Sign" in str(error)
    if kind is CardModuleFailed:
        assert isinstance(error, CardModuleFailed) and error.rv == rv
        assert f"0x{rv:08X}" in str(error)


def test_insertion_and_removal_events(
    reader: Pkcs11Reader, softhsm_slot: SoftHsmSlot, rsa_token: Path
) -> None:
    seen: list[bool] = []
    inserted, removed = threading.Event(), threading.Event()

    def on_event(present: bool) -> None:
        seen.append(present)
        (inserted if present else removed).set()

    events = reader.watch(on_event)
    try:
        assert events.present is False and events.error is None
        assert events.polling is True  # SoftHSM2: C_WaitForSlotEvent is not supported
        softhsm_slot.insert(rsa_token)
        assert inserted.wait(10)
        softhsm_slot.pull()
        assert removed.wait(10)
    finally:
        events.stop()
    assert seen == [True, False] and events.error is None


def test_a_second_signing_pair_sign02_needs_the_key_id(
    ca: TestCA, keyx: tuple[rsa.RSAPrivateKey, bytes], tmp_path: Path, softhsm_slot: SoftHsmSlot
) -> None:
    """The public MOICA listing shows a second verify key, SIGN02 (label k3): with a
    certificate of its own, "the one signing certificate" is ambiguous and refused, and a
    reader told the CKA_ID (as ReaderConfig.moica is) reads the SIGN one."""
    key, cert = ca.issue("A123456789", "rsa")
    key2, cert2 = ca.issue("A123456789", "rsa")
    card = content(ca, keyx, Card(key, _der(cert), ()))
    token = provision(
        tmp_path / "card",
        TokenContent(
            card.sign_key,
            card.sign_certificate,
            card.keyx_key,
            card.keyx_certificate,
            card.root_certificate,
            PIN,
            ((b"SIGN02", key2, _der(cert2)),),
        ),
    )
    softhsm_slot.insert(token)
    for key_id, outcome in ((None, CardMalformed), (b"SIGN", "A123456789")):
        reader = Pkcs11Reader(CardTryCounter(), HICOS_LABEL, key_id)
        try:
            if isinstance(outcome, str):
                assert identity(reader, ca) == outcome
                card_ = reader.connect()
                try:
                    assert card_.read_certificate() == _der(cert)  # not SIGN02's
                finally:
                    card_.close()
            else:
                with pytest.raises(outcome, match="2 signing certificates"):
                    identity(reader, ca)
        finally:
            reader.close()
    softhsm_slot.pull()


def test_a_second_token_present_is_refused(
    reader: Pkcs11Reader,
    softhsm_slot: SoftHsmSlot,
    rsa_token: Path,
    ca: TestCA,
    keyx: tuple[rsa.RSAPrivateKey, bytes],
    tmp_path: Path,
) -> None:
    key, cert = ca.issue("A123456780", "ec")
    second = provision(tmp_path / "second", content(ca, keyx, Card(key, _der(cert), ())))
    softhsm_slot.insert(rsa_token)
    os.rename(second, softhsm_slot.tokens / second.name)
    try:
        with pytest.raises(NoReader, match="2 eID tokens"):
            reader.connect()
    finally:
        os.rename(softhsm_slot.tokens / second.name, second)


# The factory ---------------------------------------------------------------------------------


def test_the_factory_chooses_the_reader(tmp_path: Path) -> None:
    from hardware.idcard.reader import PcscReader

    pcsc = open_reader(ReaderConfig.parse("pcsc:Virtual PCD 00 00"))
    assert isinstance(pcsc, PcscReader) and pcsc.name_prefix == "Virtual PCD 00 00"
    p11 = open_reader(ReaderConfig.parse(f"pkcs11:{SOFTHSM2_MODULE}"))
    assert isinstance(p11, Pkcs11Reader) and p11.module.path == SOFTHSM2_MODULE
    assert not p11.module.rescan and p11.token_label is None
    labelled = open_reader(
        ReaderConfig(ReaderKind.PKCS11, module=SOFTHSM2_MODULE, token_label=HICOS_LABEL)
    )
    assert isinstance(labelled, Pkcs11Reader) and labelled.token_label == HICOS_LABEL
    assert labelled.key_id is None
    moica = open_reader(ReaderConfig.parse(f"moica:{SOFTHSM2_MODULE}"))
    assert isinstance(moica, Pkcs11Reader)
    assert (moica.token_label, moica.key_id) == ("HiCOS PKI Smart Card", b"SIGN")
    (tmp_path / "dir.so").mkdir()
    for text in (
        "pkcs11:relative/libsofthsm2.so",
        f"pkcs11:{tmp_path / 'missing.so'}",
        f"pkcs11:{tmp_path / 'dir.so'}",
        "pcsc:",
        "pkcs11",
        f"ccid:{SOFTHSM2_MODULE}",
    ):
        with pytest.raises(NoReader):
            open_reader(ReaderConfig.parse(text))


# dev make-cards --pkcs11 and the MOICA layout --------------------------------------------------


def pkcs11_tool_objects(conf: Path) -> list[dict[str, str]]:
    """`pkcs11-tool -O` (OpenSC, no login: the public objects, as on a MOICA card) as blocks."""
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    out = subprocess.run(
        ["pkcs11-tool", "--module", str(SOFTHSM2_MODULE), "-O"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    ).stdout
    blocks: list[dict[str, str]] = []
    for line in out.splitlines():
        if re.match(r"^(Public Key|Private Key|Certificate|Data) Object", line):
            blocks.append({"kind": line.split(";")[0]})
        elif blocks and ":" in line and line.startswith("  "):
            name, _, value = line.strip().partition(":")
            blocks[-1][name.strip()] = value.strip()
    return blocks


def test_make_cards_pkcs11_writes_tokens_in_the_moica_layout(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            *(sys.executable, "-m", "refvote.cli", "dev", "make-cards"),
            *("--out", str(tmp_path / "c"), "--count", "1", "--pkcs11"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    conf = tmp_path / "c/cards/Z900000001/softhsm/softhsm2.conf"
    listing = subprocess.run(
        ["pkcs11-tool", "--module", str(SOFTHSM2_MODULE), "-L"],
        capture_output=True,
        text=True,
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
        check=True,
        timeout=60,
    ).stdout
    assert re.search(r"token label\s*:\s*HiCOS PKI Smart Card\s*$", listing, re.M), listing
    objects = pkcs11_tool_objects(conf)
    # The public MOICA listing, IDs as hex of their ASCII names, recomputed here.
    sign, keyx, root = b"SIGN".hex(), b"KEYX".hex(), b"ROOTCACert".hex()
    assert (sign, keyx, root) == ("5349474e", "4b455958", "524f4f54434143657274")
    public = {b["ID"]: b for b in objects if b["kind"] == "Public Key Object"}
    assert set(public) == {sign, keyx}
    assert public[sign]["label"] == public[keyx]["label"] == "k1"
    assert public[sign]["Usage"] == "verify"
    assert public[keyx]["Usage"] == "encrypt, wrap"
    certs = {b["ID"]: b for b in objects if b["kind"] == "Certificate Object"}
    assert set(certs) == {sign, keyx, root}
    assert certs[root]["label"] == "ROOT CA Cert"
    ca = x509.load_pem_x509_certificate((tmp_path / "c/ca.pem").read_bytes())
    assert "CN=refvote TEST eID CA" in certs[root]["subject"]
    assert "serialNumber=Z900000001" in certs[sign]["subject"]
    assert not [b for b in objects if b["kind"] == "Private Key Object"]  # only after login
    holder = x509.load_der_x509_certificate((tmp_path / "c/cards/Z900000001/cert.der").read_bytes())
    holder.verify_directly_issued_by(ca)


# The booth core's voter session through either reader ---------------------------------------


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tests.booth_core_helpers import build_election

    return build_election(tmp_path_factory.mktemp("election"))


def one_voter(deck: object, election: object, root: Path) -> Sequence[object]:
    """One voter, cast, through the booth core with `deck`'s reader as its card slot."""
    from ballots.ballot import Choice
    from booth.core.session import SessionState
    from booth.driver import BoothRig, HeadlessVoter, Tally, VoterPlan
    from tests.booth_core_helpers import VOTERS, WORKER_PINS, Bench

    bench = Bench(election, root, slot=deck.slot)  # type: ignore[arg-type, attr-defined]
    try:
        booth = bench.opened()
        assert bench.printer is not None
        rig = BoothRig(booth, deck, bench.printer, bench.virtual, WORKER_PINS[0])  # type: ignore[arg-type]
        tally = Tally()
        plan = VoterPlan(VOTERS[0], {"17": Choice.YES, "18": Choice.NO}, wrong_pins=1)
        assert HeadlessVoter(rig).vote(plan, tally) is SessionState.CAST
        assert tally.cast == 1 and tally.outcomes == [SessionState.CAST]
        assert [e.fate.value for e in booth.store.entries()] == ["cast"]
        return tally.outcomes
    finally:
        bench.stop()


def test_a_voter_through_the_pkcs11_reader(  # type: ignore[no-untyped-def]
    election, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from booth.driver import SoftHsmCards
    from hardware.idcard.softhsm import holder_content
    from tests.booth_core_helpers import VOTERS

    monkeypatch.setenv("SOFTHSM2_CONF", "/nonexistent")  # restored after the deck's own
    key, der = election.cards[VOTERS[0]]
    token = provision(tmp_path / "card", holder_content(election.ca, key, der, PIN))
    deck = SoftHsmCards({VOTERS[0]: token}, tmp_path / "reader")
    try:
        assert isinstance(deck.slot, Pkcs11Reader)
        one_voter(deck, election, tmp_path / "booth")
        assert deck.holder.inserted is False  # the voter took the card
    finally:
        deck.close()


def test_a_voter_through_the_pcsc_reader(election, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from booth.driver import VpcdCards
    from hardware.idcard.pcscd import pcscd_with_virtual_readers
    from hardware.idcard.reader import PcscReader
    from tests.booth_core_helpers import VOTERS

    with pcscd_with_virtual_readers():  # the machine-wide lock on vpcd's readers
        deck = VpcdCards({VOTERS[0]: election.cards[VOTERS[0]]}, pin=PIN)
        assert isinstance(deck.slot, PcscReader)
        one_voter(deck, election, tmp_path / "booth")
        reader = deck.slot
        wait_until(lambda: not reader.card_present(), 10, "pcscd to see the card gone")


# PKCS#11 and OpenSSL in one process -----------------------------------------------------------

# Run in a fresh process: OpenSSL's error queue is per thread and per process, and what earlier
# tests left in this one must not decide the outcome. The steps are a booth's: a card read
# through SoftHSM2 (linked to the system libcrypto, as Python's ssl is), then the poll-book
# link's TLS context, which loads its CA as DER (booth.pollbook.tls). Before the fix, SoftHSM2's
# C_Initialize left "DSO: could not load the shared library" and "ENGINE: no such engine" (it
# asks for the GOST engine) on the thread's queue, and ssl failed with the latter.
OPENSSL_AFTER_PKCS11 = """
import ctypes, os, socket, ssl, sys, threading, _ssl
from pathlib import Path
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from hardware.idcard.pkcs11 import Pkcs11Module, Pkcs11Reader
from hardware.idcard.softhsm import (
    HICOS_LABEL, SOFTHSM2_MODULE, CardTryCounter, SoftHsmSlot, holder_content, provision,
)
from hardware.idcard.testca import TestCA

libcrypto = ctypes.CDLL(_ssl.__file__)  # the libcrypto Python's ssl uses
libcrypto.ERR_peek_error.restype = ctypes.c_ulong
libcrypto.ERR_peek_last_error.restype = ctypes.c_ulong
libcrypto.ERR_get_error.restype = ctypes.c_ulong

def queue_empty(step):
    assert libcrypto.ERR_peek_error() == 0, f"{step}: OpenSSL error {libcrypto.ERR_peek_error():x}"

folder = Path(sys.argv[1])
ca = TestCA.create()
ca_der = ca.certificate.public_bytes(Encoding.DER)
key, cert = ca.issue("A123456789", sys.argv[2])
token = provision(folder / "card", holder_content(ca, key, cert.public_bytes(Encoding.DER)))
ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=ca_der)  # the symptom
queue_empty("provision")

slot = SoftHsmSlot(folder / "slot")
os.environ["SOFTHSM2_CONF"] = str(slot.conf)
reader = Pkcs11Reader(CardTryCounter(), HICOS_LABEL)
assert not reader.card_present()
queue_empty("C_Initialize")
slot.insert(token)
card = reader.connect()
card.read_certificate()
card.verify_pin("1234")
card.sign(b"challenge")
card.close()
slot.pull()
assert not reader.card_present()  # C_Finalize and C_Initialize again (rescan)
reader.close()
queue_empty("a card read")

# The link's contexts, as booth.pollbook.tls builds them, and a TLS 1.3 handshake.
server_key, server_cert = ca.issue("B123456789", "ec")
(folder / "s.pem").write_bytes(server_cert.public_bytes(Encoding.PEM))
(folder / "k.pem").write_bytes(
    server_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
)
server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server.load_cert_chain(folder / "s.pem", folder / "k.pem")
client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
client.minimum_version = ssl.TLSVersion.TLSv1_3
client.check_hostname = False
client.load_verify_locations(cadata=ca_der)
a, b = socket.socketpair()
side = threading.Thread(target=lambda: server.wrap_socket(a, server_side=True).do_handshake())
side.start()
link = client.wrap_socket(b)
link.do_handshake()
side.join()
assert link.version() == "TLSv1.3"

# An error on the queue before a call into the module is not the module's: it is kept.
libcrypto.ERR_new()
libcrypto.ERR_set_error(ctypes.c_int(128), ctypes.c_int(77), None)  # ERR_LIB_USER, reason 77
mine = libcrypto.ERR_peek_last_error()
assert mine != 0
module = Pkcs11Module(SOFTHSM2_MODULE)
with module.lock:
    module.library()  # SoftHSM2's C_Initialize, which adds its own errors
    assert libcrypto.ERR_peek_last_error() != mine  # they are there while the lock is held
assert libcrypto.ERR_get_error() == mine and libcrypto.ERR_get_error() == 0
module.close()
queue_empty("C_Finalize")
print("ok")
"""


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_a_pkcs11_module_leaves_nothing_in_openssl_for_the_link_tls(
    tmp_path: Path, kind: str
) -> None:
    out = subprocess.run(
        [sys.executable, "-c", OPENSSL_AFTER_PKCS11, str(tmp_path), kind],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "SOFTHSM2_CONF": str(tmp_path / "none.conf")},
        check=False,
        timeout=120,
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
