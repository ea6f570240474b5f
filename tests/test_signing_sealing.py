"""Ed25519 over purpose-tagged fingerprints; shares sealed in transit and at rest."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import DecryptionFailed, InvalidKey, InvalidSignature
from crypto.hazmat.ed25519 import ED25519_IDENTITY_BYTES
from crypto.sealing import (
    PROTOCOL_ARGON2,
    Argon2Parameters,
    PassphraseSealed,
    TransportKey,
    check_transport_key,
    open_sealed,
    open_with_passphrase,
    seal_to,
    seal_with_passphrase,
)
from crypto.selftest import NON_CANONICAL_IDENTITIES, TORSION_POINTS, mixed_order_points
from crypto.signing import SigningKey, VerifyKey


def test_sign_and_verify() -> None:
    key = SigningKey.generate()
    sig = key.sign("record", b"base", b"file")
    key.verify_key.verify(sig, "record", b"base", b"file")


@pytest.mark.parametrize(
    "purpose, payload",
    [("package", (b"base", b"file")), ("record", (b"base", b"other")), ("record", (b"base",))],
)
def test_signature_is_bound_to_purpose_and_payload(
    purpose: str, payload: tuple[bytes, ...]
) -> None:
    key = SigningKey.generate()
    sig = key.sign("record", b"base", b"file")
    with pytest.raises(InvalidSignature):
        key.verify_key.verify(sig, purpose, *payload)


def test_tampered_signature_and_wrong_key_fail() -> None:
    key = SigningKey.generate()
    sig = bytearray(key.sign("export", b"x"))
    sig[5] ^= 1
    with pytest.raises(InvalidSignature):
        key.verify_key.verify(bytes(sig), "export", b"x")
    with pytest.raises(InvalidSignature):
        SigningKey.generate().verify_key.verify(key.sign("export", b"x"), "export", b"x")
    with pytest.raises(InvalidSignature, match="64 bytes"):
        key.verify_key.verify(b"short", "export", b"x")


def test_unknown_purpose_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown signature purpose"):
        SigningKey.generate().sign("anything", b"x")


@pytest.mark.parametrize(
    "raw",
    [
        ED25519_IDENTITY_BYTES,
        *NON_CANONICAL_IDENTITIES,
        *TORSION_POINTS,
        *mixed_order_points(),
        b"\x01" * 31,
        (2**255 - 19).to_bytes(32, "little"),  # y = p: not canonical
    ],
)
def test_bad_public_keys_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidKey):
        VerifyKey(raw)


def test_seed_round_trip() -> None:
    key = SigningKey.generate()
    assert SigningKey.from_seed(key.seed()).verify_key == key.verify_key
    assert "SigningKey(public=" in repr(key) and key.seed().hex() not in repr(key)


# Transport ---------------------------------------------------------------------------------

AD = b"associated data"


def test_transport_round_trip_and_tampering() -> None:
    recipient = TransportKey.generate()
    sealed = seal_to(recipient.public_bytes(), b"s" * 32, AD)
    assert bytes(open_sealed(recipient, sealed, AD)) == b"s" * 32
    with pytest.raises(DecryptionFailed):
        open_sealed(recipient, sealed, AD + b"!")
    with pytest.raises(DecryptionFailed):
        open_sealed(TransportKey.generate(), sealed, AD)
    for field in ("ephemeral", "nonce", "ciphertext"):
        value = bytearray(getattr(sealed, field))
        value[0] ^= 1
        altered = dataclasses.replace(sealed, **{field: bytes(value)})
        with pytest.raises(DecryptionFailed):
            open_sealed(recipient, altered, AD)


SMALL_ORDER_X25519 = [
    bytes(32),
    (1).to_bytes(32, "little"),
    bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
    (2**255 - 19 - 1).to_bytes(32, "little"),
]


@pytest.mark.parametrize("raw", SMALL_ORDER_X25519)
def test_small_order_transport_keys_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidKey, match="small-order"):
        check_transport_key(raw)


def test_non_canonical_transport_key_is_refused() -> None:
    with pytest.raises(InvalidKey, match="canonical"):
        check_transport_key((2**255 - 19 + 9).to_bytes(32, "little"))
    with pytest.raises(InvalidKey, match="32 bytes"):
        check_transport_key(b"\x09" * 31)


# At rest -----------------------------------------------------------------------------------


def test_passphrase_round_trip_and_failures() -> None:
    sealed = seal_with_passphrase("correct horse 電池", b"k" * 32, AD)
    assert sealed.params == PROTOCOL_ARGON2
    assert bytes(open_with_passphrase("correct horse 電池", sealed, AD)) == b"k" * 32
    with pytest.raises(DecryptionFailed, match="wrong passphrase"):
        open_with_passphrase("correct horse", sealed, AD)
    with pytest.raises(DecryptionFailed, match="wrong passphrase"):
        open_with_passphrase("correct horse 電池", sealed, b"other trustee")
    weaker = PassphraseSealed(
        Argon2Parameters(passes=1), sealed.salt, sealed.nonce, sealed.ciphertext
    )
    with pytest.raises(DecryptionFailed, match="parameters"):
        open_with_passphrase("correct horse 電池", weaker, AD)
    with pytest.raises(InvalidKey, match="empty"):
        seal_with_passphrase("", b"k", AD)


def test_passphrase_is_nfc_normalised() -> None:
    sealed = seal_with_passphrase("caf\u00e9", b"k", AD)
    assert bytes(open_with_passphrase("cafe\u0301", sealed, AD)) == b"k"


@settings(max_examples=5)
@given(st.binary(min_size=1, max_size=64))
def test_passphrase_sealing_hides_any_plaintext(plain: bytes) -> None:
    sealed = seal_with_passphrase("pw", plain, AD)
    assert plain not in sealed.ciphertext or len(plain) < 4
    assert bytes(open_with_passphrase("pw", sealed, AD)) == plain


def test_message_bytes_are_the_file_without_its_signature() -> None:
    from crypto.encoding import canonical_json
    from crypto.hashing import file_fingerprint
    from crypto.signing import message_fingerprint, signed_json

    body = {"type": "refvote/x", "version": 1, "z": "末", "a": 1}
    data = signed_json(body, b"\x07" * 64)
    cut = data.replace(b',"signature":"' + b"07" * 64 + b'"', b"")
    assert cut == canonical_json(body)
    assert message_fingerprint(body) == file_fingerprint(cut)
    with pytest.raises(ValueError, match="no signature member"):
        signed_json({**body, "signature": "00"}, b"\x07" * 64)


SIG = "ab" * 64


@pytest.mark.parametrize(
    "data, message",
    [
        # Expected bytes written out by hand, not computed by the code under test.
        ('{"a":1,"signature":"' + SIG + '","z":"末"}', '{"a":1,"z":"末"}'),
        ('{"signature":"' + SIG + '","type":"x"}', '{"type":"x"}'),
        ('{"a":[1,{"b":2}],"signature":"' + SIG + '"}', '{"a":[1,{"b":2}]}'),
        ('{"signature":"' + SIG + '"}', "{}"),
        # A nested signature member is not the file's.
        (
            '{"inner":{"signature":"00"},"signature":"' + SIG + '"}',
            '{"inner":{"signature":"00"}}',
        ),
        (
            '{"a":[{"signature":"00"}],"signature":"' + SIG + '","z":0}',
            '{"a":[{"signature":"00"}],"z":0}',
        ),
        # Nor is the text of one inside a string, escaped quotes and backslashes included.
        (
            '{"note":"a\\",\\"signature\\":\\"ff\\\\","signature":"' + SIG + '"}',
            '{"note":"a\\",\\"signature\\":\\"ff\\\\"}',
        ),
    ],
)
def test_message_bytes_cut_the_top_level_signature_as_read(data: str, message: str) -> None:
    from crypto.signing import message_bytes

    assert message_bytes(data.encode()) == message.encode()


@pytest.mark.parametrize(
    "data",
    ['{"a":1}', '{"inner":{"signature":"00"}}', '{"note":"\\"signature\\":1"}', "", '{"signature"'],
)
def test_message_bytes_without_a_top_level_signature_is_an_encoding_error(data: str) -> None:
    from crypto.errors import EncodingError
    from crypto.signing import message_bytes

    with pytest.raises(EncodingError):
        message_bytes(data.encode())


# Text from characters that stress the cut: quotes, backslashes, brackets, commas, colons,
# controls, CJK, astral; and keys that look like the signature's.
json_text = st.text(alphabet='ab",\\:{}[] \n末第案\u20ac\U0001f600', max_size=12) | st.sampled_from(
    ['"signature":', "signature ", "Signature", ',"signature":"00"']
)
json_scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | json_text
json_bodies = st.dictionaries(
    json_text,
    st.recursive(
        json_scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(json_text | st.just("signature"), inner, max_size=3)
        ),
        max_leaves=8,
    ),
    max_size=5,
)


@given(json_bodies, st.binary(min_size=64, max_size=64))
def test_a_signed_file_as_read_is_its_body(body: dict[str, object], signature: bytes) -> None:
    from crypto.encoding import canonical_json
    from crypto.errors import EncodingError
    from crypto.signing import check_signed_as_read, message_bytes, signed_json

    data = signed_json(body, signature)
    assert message_bytes(data) == canonical_json(body)
    check_signed_as_read(data, body, "test file")
    if body:  # a body that says anything else is refused
        key = sorted(body)[0]
        with pytest.raises(EncodingError, match="not exactly what the file's fields say"):
            check_signed_as_read(data, {**body, key: [body[key]]}, "test file")


def test_constants_are_type_exact() -> None:
    from crypto.errors import EncodingError
    from crypto.fields import Fields, open_document

    for value, expected in [(True, 1), (1, True), (False, 0), (0, False), ("1", 1), (None, 0)]:
        with pytest.raises(EncodingError, match="must be"):
            Fields({"v": value}, "test").constant("v", expected)
    for value in (1, True, "x", None):
        Fields({"v": value}, "test").constant("v", value)
    with pytest.raises(EncodingError, match="field 'version': must be 1"):
        open_document(b'{"type":"refvote/x","version":true}', "refvote/x", "x", version=1)
    open_document(b'{"type":"refvote/x","version":1}', "refvote/x", "x", version=1)


def _round1_of_a_one_of_two_ceremony():  # type: ignore[no-untyped-def]
    from crypto.ceremony.trustee import TrusteeDevice
    from tests.ceremony_helpers import make_params

    params, identities = make_params(n=2, k=1)
    devices = [TrusteeDevice(params, i, key) for i, key in enumerate(identities, 1)]
    commits = {d.index: d.round1() for d in devices}
    message = devices[0].reveal(commits)
    return params, identities[0].verify_key, message.to_json(params)


def test_a_signed_file_is_verified_over_its_bytes_as_read() -> None:
    # `"k":true` re-serialises as `"k":1`: before, the loader took it for 1 and the signature
    # (checked over the re-serialisation) verified, so a file other than the signed one passed.
    from crypto.ceremony.messages import Round1Message
    from crypto.errors import EncodingError

    params, key, data = _round1_of_a_one_of_two_ceremony()
    message = Round1Message.from_json(data, params)
    key.verify(message.signature, "round1", *message.payload(params))
    assert b'"k":1,' in data
    altered = data.replace(b'"k":1,', b'"k":true,')
    with pytest.raises(EncodingError):
        Round1Message.from_json(altered, params)


def test_a_lossy_loader_cannot_verify_another_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # Even with constants compared loosely again, the signed bytes as read must be exactly what
    # the loader's fields say: the signed-file check itself refuses the altered file.
    from crypto.ceremony.messages import Round1Message
    from crypto.errors import EncodingError
    from crypto.fields import Fields

    def loose(self: Fields, name: str, expected: object) -> None:
        if self._get(name) != expected:
            raise self.error(name, f"must be {expected!r}")

    params, _, data = _round1_of_a_one_of_two_ceremony()
    monkeypatch.setattr(Fields, "constant", loose)
    with pytest.raises(EncodingError, match="not exactly what the file's fields say"):
        Round1Message.from_json(data.replace(b'"k":1,', b'"k":true,'), params)
