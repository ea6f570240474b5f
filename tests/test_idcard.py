"""The eID reader against a real pcscd, vsmartcard-vpcd and the virtual card."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from hardware.errors import (
    CardError,
    CardMalformed,
    CardRemoved,
    CardSignatureInvalid,
    CertificateExpired,
    CertificateRevoked,
    CertificateUnsuitable,
    NoCard,
    PinBlocked,
    PinWrong,
    RevocationUnavailable,
    UnknownIssuer,
)
from hardware.idcard import apdu
from hardware.idcard.apdu import Command, Ins, Response
from hardware.idcard.eid import check_certificate, read_certificate, read_identity
from hardware.idcard.reader import CardEvents, PcscReader
from hardware.idcard.testca import TestCA
from hardware.idcard.virtual_card import VirtualCard, bounce_contact
from tests.hardware_helpers import READER, wait_until

TODAY = datetime.date.today()


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA.create()


@pytest.fixture(scope="module")
def rsa_card_material(ca: TestCA):  # type: ignore[no-untyped-def]
    return ca.issue("A123456789", "rsa")


class Slot:
    """The reader slot: insert a virtual card, wait until pcscd sees it; remove it at the end."""

    def __init__(self) -> None:
        self.reader = PcscReader(READER)
        self.card: VirtualCard | None = None

    def insert(self, card: VirtualCard) -> VirtualCard:
        self.card = card
        card.insert()
        wait_until(self.reader.card_present, 10, "pcscd to see the card")
        return card

    def remove(self) -> None:
        if self.card is not None and self.card.inserted:
            self.card.remove()
        wait_until(lambda: not self.reader.card_present(), 10, "pcscd to see the card gone")
        if self.card is not None and self.card.pulled:
            bounce_contact(self.card.port)


@pytest.fixture
def slot(pcscd: None) -> Iterator[Slot]:
    s = Slot()
    yield s
    s.remove()


def identity(slot: Slot, ca: TestCA, pin: str = "1234", crl_revoked=(), date=TODAY):  # type: ignore[no-untyped-def]
    channel = slot.reader.connect()
    try:
        return read_identity(channel, pin, [ca.certificate], [ca.crl(crl_revoked)], date)
    finally:
        channel.close()


def card(key, cert, **kwargs) -> VirtualCard:  # type: ignore[no-untyped-def]
    return VirtualCard(key, cert.public_bytes(Encoding.DER), **kwargs)


def test_read_an_rsa_card(slot: Slot, ca: TestCA, rsa_card_material) -> None:  # type: ignore[no-untyped-def]
    slot.insert(card(*rsa_card_material))
    assert identity(slot, ca).identifier == "A123456789"
    assert slot.card is not None and Ins.PSO in slot.card.commands


def test_read_an_ecdsa_card(slot: Slot, ca: TestCA) -> None:
    key, cert = ca.issue("b223456789", "ec")
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    slot.insert(card(key, cert))
    assert identity(slot, ca).identifier == "B223456789"  # NFC, upper case


def test_wrong_pin_then_right_pin(slot: Slot, ca: TestCA, rsa_card_material) -> None:  # type: ignore[no-untyped-def]
    virtual = slot.insert(card(*rsa_card_material))
    with pytest.raises(PinWrong) as first:
        identity(slot, ca, pin="0000")
    assert first.value.tries_left == 2
    with pytest.raises(PinWrong) as second:
        identity(slot, ca, pin="9999")
    assert second.value.tries_left == 1
    assert identity(slot, ca).identifier == "A123456789"
    assert virtual.tries == 3  # a right PIN resets the counter


def test_blocked_card(slot: Slot, ca: TestCA, rsa_card_material) -> None:  # type: ignore[no-untyped-def]
    slot.insert(card(*rsa_card_material, tries=2))
    with pytest.raises(PinWrong):
        identity(slot, ca, pin="0000")
    with pytest.raises(PinBlocked):
        identity(slot, ca, pin="0000")
    with pytest.raises(PinBlocked):
        identity(slot, ca)  # even the right PIN


def test_malformed_pin_costs_no_try(slot: Slot, ca: TestCA, rsa_card_material) -> None:  # type: ignore[no-untyped-def]
    virtual = slot.insert(card(*rsa_card_material))
    # Letters, and digits that str.isdigit() accepts but are not ASCII: full-width, Arabic-Indic,
    # Extended Arabic-Indic, Devanagari. None reaches the card, none costs a try.
    for pin in (
        "12a4",
        "\uff11\uff12\uff13\uff14",
        "\u0661\u0662\u0663\u0664",
        "\u06f1\u06f2\u06f3\u06f4",
        "\u0967\u0968\u0969\u096a",
        "123",
        "1" * 13,
    ):
        with pytest.raises(PinWrong) as info:
            identity(slot, ca, pin=pin)
        assert info.value.tries_left == 3 and virtual.tries == 3
    assert identity(slot, ca).identifier == "A123456789"


@pytest.mark.parametrize("during", [Ins.READ_BINARY, Ins.PSO])
def test_card_pulled_mid_command(slot: Slot, ca: TestCA, rsa_card_material, during: Ins) -> None:  # type: ignore[no-untyped-def]
    virtual = slot.insert(card(*rsa_card_material))
    virtual.pull_during = during
    with pytest.raises(CardRemoved):
        identity(slot, ca)
    assert virtual.commands[-1] == during


def test_expired_certificate(slot: Slot, ca: TestCA) -> None:
    key, cert = ca.issue(
        "C123456789",
        "ec",
        not_before=TODAY - datetime.timedelta(days=800),
        not_after=TODAY - datetime.timedelta(days=1),
    )
    slot.insert(card(key, cert))
    with pytest.raises(CertificateExpired, match="not on the polling day"):
        identity(slot, ca)


def test_revoked_certificate(slot: Slot, ca: TestCA) -> None:
    key, cert = ca.issue("D123456789", "ec")
    slot.insert(card(key, cert))
    with pytest.raises(CertificateRevoked):
        identity(slot, ca, crl_revoked=[cert])


def test_certificate_from_an_unknown_ca(slot: Slot, ca: TestCA) -> None:
    other = TestCA.create("refvote TEST eID CA")  # same name, another key
    key, cert = other.issue("E123456789", "ec")
    slot.insert(card(key, cert))
    with pytest.raises(UnknownIssuer):
        identity(slot, ca)
    stranger = TestCA.create("Someone Else's CA")
    key, cert = stranger.issue("E123456780", "ec")
    slot.remove()
    slot.insert(card(key, cert))
    with pytest.raises(UnknownIssuer, match="not a trusted eID CA"):
        identity(slot, ca)


def test_signature_by_a_different_key(slot: Slot, ca: TestCA) -> None:
    _, cert = ca.issue("F123456789", "ec")
    impostor, _ = ca.issue("F123456789", "ec")
    slot.insert(card(impostor, cert))
    with pytest.raises(CardSignatureInvalid):
        identity(slot, ca)


def test_garbage_answers(slot: Slot, ca: TestCA, rsa_card_material) -> None:  # type: ignore[no-untyped-def]
    virtual = slot.insert(card(*rsa_card_material))
    virtual.garbage = True
    with pytest.raises(CardMalformed):
        identity(slot, ca)


def test_no_card(slot: Slot) -> None:
    with pytest.raises(NoCard):
        slot.reader.connect()


def test_insertion_and_removal_events(slot: Slot, rsa_card_material) -> None:  # type: ignore[no-untyped-def]
    seen: list[bool] = []
    inserted, removed = threading.Event(), threading.Event()

    def on_event(present: bool) -> None:
        seen.append(present)
        (inserted if present else removed).set()

    events = CardEvents(slot.reader, on_event)
    assert events.present is False and events.error is None
    try:
        slot.insert(card(*rsa_card_material))
        assert inserted.wait(10)
        slot.remove()
        assert removed.wait(10)
    finally:
        events.stop()
    assert seen[-2:] == [True, False]


# Certificate and revocation checks (no card needed) ----------------------------------------


def _der(cert) -> bytes:  # type: ignore[no-untyped-def]
    return cert.public_bytes(Encoding.DER)


def test_a_card_revoked_in_a_second_crl_of_its_ca_is_refused(ca: TestCA) -> None:
    _, cert = ca.issue("G123456789", "ec")
    _, other = ca.issue("G123456780", "ec")
    first, second = ca.crl([other]), ca.crl([cert])
    for crls in ([first, second], [second, first]):
        with pytest.raises(CertificateRevoked):
            check_certificate(_der(cert), [ca.certificate], crls, TODAY)
    assert check_certificate(_der(cert), [ca.certificate], [first], TODAY) == cert
    with pytest.raises(CertificateRevoked):  # a CRL of another CA in front changes nothing
        check_certificate(_der(other), [ca.certificate], [TestCA.create("X").crl(), first], TODAY)


def test_revocation_unavailable_without_a_current_complete_crl_of_the_ca(ca: TestCA) -> None:
    _, cert = ca.issue("H123456789", "ec")
    same_name = TestCA.create("refvote TEST eID CA")  # same name, another key
    delta = x509.DeltaCRLIndicator(1)
    partition = x509.IssuingDistributionPoint(
        full_name=None,
        relative_name=None,
        only_contains_user_certs=True,
        only_contains_ca_certs=False,
        only_some_reasons=None,
        indirect_crl=False,
        only_contains_attribute_certs=False,
    )
    for crls in (
        [],
        [TestCA.create("Someone Else's CA").crl()],
        [same_name.crl()],  # right name, signed by another key
        [ca.crl(extensions=[delta])],
        [ca.crl(extensions=[partition])],
        [ca.crl(days=-2)],  # due for renewal before the polling day
    ):
        with pytest.raises(RevocationUnavailable, match="no valid revocation snapshot"):
            check_certificate(_der(cert), [ca.certificate], crls, TODAY)
    # A CRL due for renewal during the polling day does not cover its end either.
    assert check_certificate(_der(cert), [ca.certificate], [ca.crl()], TODAY) == cert
    with pytest.raises(RevocationUnavailable):
        check_certificate(
            _der(cert), [ca.certificate], [ca.crl()], TODAY + datetime.timedelta(days=31)
        )


def test_every_trusted_root_of_the_issuers_name_is_tried(ca: TestCA) -> None:
    renewed = TestCA.create("refvote TEST eID CA")  # the CA's next key, same name
    _, cert = ca.issue("J123456789", "ec")
    roots = [renewed.certificate, ca.certificate]
    assert check_certificate(_der(cert), roots, [renewed.crl(), ca.crl()], TODAY) == cert
    # The CRL must be the issuing key's: the other key's CRL does not speak for this card.
    with pytest.raises(RevocationUnavailable):
        check_certificate(_der(cert), roots, [renewed.crl()], TODAY)
    with pytest.raises(CertificateRevoked):
        check_certificate(_der(cert), roots, [renewed.crl(), ca.crl([cert])], TODAY)
    with pytest.raises(UnknownIssuer, match="any trusted CA of that name"):
        check_certificate(_der(cert), [renewed.certificate], [renewed.crl()], TODAY)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"digital_signature": False}, "digitalSignature"),
        ({"ca": True}, "is a CA certificate"),
    ],
)
def test_card_certificate_must_be_an_end_entity_signing_certificate(
    ca: TestCA, options: dict[str, bool], message: str
) -> None:
    _, cert = ca.issue("K123456789", "ec", **options)
    with pytest.raises(CertificateUnsuitable, match=message):
        check_certificate(_der(cert), [ca.certificate], [ca.crl()], TODAY)


def test_card_certificate_without_key_usage_is_refused(ca: TestCA) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, "L123456789")]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=30))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(ca.key, hashes.SHA256())
    )
    with pytest.raises(CertificateUnsuitable, match="digitalSignature"):
        check_certificate(_der(cert), [ca.certificate], [ca.crl()], TODAY)


# Decoders, fuzzed --------------------------------------------------------------------------


valid_responses = st.builds(Response, st.binary(max_size=256), st.integers(0, 0xFFFF))
valid_commands = st.builds(
    Command,
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(max_size=255),
    st.none() | st.integers(0, 255),
)


@given(st.binary(max_size=300), valid_responses)
def test_response_parser(raw: bytes, valid: Response) -> None:
    assert Response.parse(valid.to_bytes()) == valid  # a parser that always raises fails here
    try:
        r = Response.parse(raw)
    except CardMalformed:
        assert len(raw) < 2 or len(raw) > 258
        return
    assert r.to_bytes() == raw


@given(st.binary(max_size=270), valid_commands)
def test_command_parser(raw: bytes, valid: Command) -> None:
    assert Command.parse(valid.to_bytes()) == valid  # every valid command round-trips
    try:
        c = Command.parse(raw)
    except CardMalformed:
        assert len(raw) < 4 or len(raw) > 5  # header, or header and Le, always parse
        return
    assert c.to_bytes() == raw


# ISO/IEC 7816-4 §5.1.3: SW1 SW2 = 63 Cx, "counter provided by X" (the tries left, 0 to 15);
# every other status word (9000, 6983 blocked, 6300 "no information", 63 with other SW2, …)
# carries no counter.
TRIES_LEFT_KNOWN_ANSWERS = {
    0x63C0: 0,
    0x63C1: 1,
    0x63C2: 2,
    0x63C3: 3,
    0x63C9: 9,
    0x63CA: 10,
    0x63CF: 15,
    0x9000: None,
    0x6983: None,
    0x6300: None,
    0x6381: None,
    0x63B3: None,
    0x63D3: None,
    0x62C3: None,
    0x64C3: None,
    0x73C3: None,
    0xC363: None,
    0x0003: None,
}


@pytest.mark.parametrize("sw, expected", sorted(TRIES_LEFT_KNOWN_ANSWERS.items()))
def test_tries_left_decoder(sw: int, expected: int | None) -> None:
    assert apdu.tries_left(sw) == expected


def test_tries_left_decoder_reads_only_63cx() -> None:
    # Every status word, from its hex text: 63Cx gives int(x, 16), nothing else gives a count.
    for sw in range(0x10000):
        text = f"{sw:04X}"
        assert apdu.tries_left(sw) == (int(text[3], 16) if text[:3] == "63C" else None), text


class ScriptedChannel:
    """An answer per APDU from a list: for fuzzing the eID logic's handling of responses."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = answers

    def transmit(self, command: Command) -> Response:
        if not self.answers:
            raise CardRemoved("no more answers")
        return Response.parse(self.answers.pop(0))

    def close(self) -> None:
        pass


def card_answers(der: bytes) -> list[bytes]:
    """What a well-behaved card answers to read_certificate: two SELECTs, then the DER in
    READ BINARY chunks (4 header bytes, then CHUNK at a time)."""
    ok = b"\x90\x00"
    answers = [ok, ok, der[:4] + ok]
    for offset in range(4, len(der), apdu.CHUNK):
        answers.append(der[offset : offset + apdu.CHUNK] + ok)
    return answers


@pytest.fixture(scope="module")
def valid_der(ca: TestCA) -> bytes:
    return ca.issue("M123456789", "rsa")[1].public_bytes(Encoding.DER)


@given(st.lists(st.binary(min_size=2, max_size=40), max_size=8))
def test_certificate_reading_survives_any_answers(valid_der: bytes, answers: list[bytes]) -> None:
    assert len(card_answers(valid_der)) > 4  # the RSA certificate takes several chunks
    assert read_certificate(ScriptedChannel(card_answers(valid_der))) == valid_der
    try:
        read_certificate(ScriptedChannel(answers))
    except CardError:
        pass


def test_make_cards_command(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys
    from pathlib import Path

    from cryptography import x509

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "refvote.cli",
            "dev",
            "make-cards",
            "--out",
            str(tmp_path / "c"),
            "--count",
            "2",
            "--kind",
            "ec",
        ],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    ca = x509.load_pem_x509_certificate((tmp_path / "c/ca.pem").read_bytes())
    crl = x509.load_der_x509_crl((tmp_path / "c/revocation.crl").read_bytes())
    assert crl.is_signature_valid(ca.public_key())
    cards = sorted((tmp_path / "c/cards").iterdir())
    assert [c.name for c in cards] == ["Z900000001", "Z900000002"]
    cert = x509.load_der_x509_certificate((cards[0] / "cert.der").read_bytes())
    cert.verify_directly_issued_by(ca)
    again = subprocess.run(
        [sys.executable, "-m", "refvote.cli", "dev", "make-cards", "--out", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    assert again.returncode == 2 and "not empty" in again.stderr


@given(st.binary(min_size=4, max_size=600))
def test_certificate_checks_survive_any_der(ca: TestCA, valid_der: bytes, der: bytes) -> None:
    crls = [ca.crl()]
    assert (
        check_certificate(valid_der, [ca.certificate], crls, TODAY).public_bytes(Encoding.DER)
        == valid_der
    )  # a valid certificate passes: a checker that always raises fails here
    try:
        check_certificate(b"\x30\x82" + der, [ca.certificate], crls, TODAY)
    except CardError:
        pass
