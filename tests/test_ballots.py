"""Ballots, chains, exports, lookups and the paper record, through the ballots API."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballots.ballot import (
    Choice,
    EncryptedBallot,
    PlaintextBallot,
    QuestionReveal,
    check_ballot,
    check_reveal,
    encrypt_ballot,
)
from ballots.chain import (
    ChainEntry,
    EntryKind,
    chain_link,
    chain_open,
    parse_lookup,
    replay,
    short_code,
    tracking_code,
)
from ballots.context import ElectionContext
from ballots.definition import load_source
from ballots.errors import BallotError, ChainError, ExportError
from ballots.export import BoothExport, ExportBuilder
from ballots.lookup import LookupStatus, lookup
from ballots.paper import challenged_slip, paper_record, parse_paper_qr, receipt, void_slip
from crypto.elgamal import PublicKey
from crypto.errors import CryptoError
from crypto.hashing import group_for_reading
from crypto.hazmat.group import G, Point, Scalar
from crypto.randomness import random_scalar
from crypto.signing import SigningKey
from tests.record_helpers import DEFINITION

DEF = load_source(DEFINITION)
SECRET = random_scalar()
CTX = ElectionContext(DEF, DEF.manifest_hash(), PublicKey(Point.base_mul(SECRET)), b"\x05" * 32)
choices = st.dictionaries(st.sampled_from(["17", "18"]), st.sampled_from(list(Choice)), min_size=1)


@settings(max_examples=20)
@given(choices)
def test_encrypt_check_and_decrypt(answer: dict[str, Choice]) -> None:
    ballot, nonces = encrypt_ballot(CTX, "S1", "S1-A", PlaintextBallot(answer))
    check_ballot(CTX, ballot)
    assert [q.question_id for q in ballot.questions] == [q for q in ("17", "18") if q in answer]
    for q in ballot.questions:
        m = ballot.question(q.question_id)
        assert m is not None
        expected = answer[q.question_id].plaintext(65536)
        assert q.ciphertext.beta - q.ciphertext.alpha * SECRET == Point.base_mul(
            Scalar.from_int(expected)
        )
    revealed = check_reveal(CTX, ballot, nonces.reveal(PlaintextBallot(answer), CTX))
    assert revealed == answer
    assert EncryptedBallot.from_obj(ballot.to_obj()) == ballot
    assert EncryptedBallot.from_obj(ballot.to_obj()).hash(CTX.base) == ballot.hash(CTX.base)


def test_ballot_rules() -> None:
    with pytest.raises(BallotError, match="declines every question"):
        encrypt_ballot(CTX, "S1", "S1-A", PlaintextBallot({}))
    with pytest.raises(BallotError, match="unknown question"):
        encrypt_ballot(CTX, "S1", "S1-A", PlaintextBallot({"99": Choice.YES}))
    with pytest.raises(BallotError, match="not a booth of station"):
        encrypt_ballot(CTX, "S1", "S2-A", PlaintextBallot({"17": Choice.YES}))
    ballot, _ = encrypt_ballot(
        CTX, "S1", "S1-A", PlaintextBallot({"17": Choice.YES, "18": Choice.NO})
    )
    swapped = dataclasses.replace(ballot, questions=ballot.questions[::-1])
    with pytest.raises(BallotError, match="strictly increasing"):
        check_ballot(CTX, swapped)
    moved = dataclasses.replace(ballot, ballot_id=bytes(16))
    with pytest.raises(BallotError, match="membership proof does not verify"):
        check_ballot(CTX, moved)
    q = ballot.questions[0]
    renamed = dataclasses.replace(ballot, questions=(dataclasses.replace(q, question_id="18"),))
    with pytest.raises(BallotError, match="membership proof"):
        check_ballot(CTX, renamed)
    other_booth = dataclasses.replace(ballot, booth_id="S2-A")
    with pytest.raises(BallotError, match="not in station"):
        check_ballot(CTX, other_booth)


def test_challenge_reveal_must_re_encrypt() -> None:
    plain = PlaintextBallot({"17": Choice.YES})
    ballot, nonces = encrypt_ballot(CTX, "S1", "S1-A", plain)
    (reveal,) = nonces.reveal(plain, CTX)
    for bad in [
        QuestionReveal("17", 65536, reveal.r),
        QuestionReveal("17", 1, reveal.r + Scalar.from_int(1)),
        QuestionReveal("17", 2, reveal.r),
    ]:
        with pytest.raises(BallotError):
            check_reveal(CTX, ballot, (bad,))
    with pytest.raises(BallotError, match="exactly its questions"):
        check_reveal(CTX, ballot, ())


# Chains and exports -------------------------------------------------------------------------


def _builder(booth: str = "S1-A") -> ExportBuilder:
    return ExportBuilder(
        CTX.manifest_hash, CTX.base, DEF.station_of_booth(booth).station_id, booth, b"\x01" * 32
    )


def test_export_builder_chain_and_signature(tmp_path: Path) -> None:
    key = SigningKey.generate()
    b = _builder()
    codes = {}
    plans = ["cast", "challenge", "void", "cast"]
    for action in plans:
        plain = PlaintextBallot({"17": Choice.YES})
        ballot, nonces = encrypt_ballot(CTX, "S1", "S1-A", plain)
        code = b.fix(ballot)
        codes[action + str(len(codes))] = code
        if action == "cast":
            b.cast()
        elif action == "challenge":
            b.challenge(nonces.reveal(plain, CTX))
        else:
            b.void()
    export = b.close(key)
    assert (export.counts.cast, export.counts.challenged, export.counts.voided) == (2, 1, 1)
    assert [e.kind for e in export.chain] == [
        EntryKind.CAST,
        EntryKind.CHALLENGED,
        EntryKind.VOID,
        EntryKind.CAST,
    ]
    again = BoothExport.from_json(export.to_json())
    assert again == export
    again.verify_signature(key.verify_key)
    with pytest.raises(ExportError, match="signature"):
        again.verify_signature(SigningKey.generate().verify_key)
    printed = replay(CTX.base, "S1-A", b"\x01" * 32, export.chain).codes
    assert list(printed) == list(codes.values())


def test_the_export_carries_the_event_log_head_under_its_signature() -> None:
    from crypto.encoding import canonical_json, parse_canonical_json
    from crypto.errors import EncodingError

    key = SigningKey.generate()
    head = bytes(range(32))
    export = _builder().close(key, head)
    obj = parse_canonical_json(export.to_json())
    assert obj["log_head"] == head.hex()
    assert BoothExport.from_json(export.to_json()).log_head == head
    assert _builder().close(key).log_head == bytes(32)  # a builder keeps no log
    # In the signed body: another head breaks the signature.
    forged = dataclasses.replace(export, log_head=bytes(32))
    with pytest.raises(ExportError, match="signature"):
        forged.verify_signature(key.verify_key)
    for change in ({"log_head": "00" * 31}, {"log_head": None}):
        bad = {**obj, **change}
        with pytest.raises(EncodingError, match="log_head"):
            BoothExport.from_json(canonical_json(bad))
    missing = dict(obj)
    del missing["log_head"]
    with pytest.raises(EncodingError, match="log_head"):
        BoothExport.from_json(canonical_json(missing))
    with pytest.raises(ExportError, match="32 bytes"):
        _builder().close(key, bytes(31))


def test_builder_state_rules() -> None:
    b = _builder()
    with pytest.raises(ExportError, match="no ballot is pending"):
        b.cast()
    ballot, _ = encrypt_ballot(CTX, "S1", "S1-A", PlaintextBallot({"17": Choice.NO}))
    b.fix(ballot)
    with pytest.raises(ExportError, match="neither cast"):
        b.fix(ballot)
    with pytest.raises(ExportError, match="still pending"):
        b.close(SigningKey.generate())
    other, _ = encrypt_ballot(CTX, "S2", "S2-A", PlaintextBallot({"17": Choice.NO}))
    b.void()
    with pytest.raises(ExportError, match="another booth"):
        b.fix(other)


def test_chain_codes() -> None:
    c0 = chain_open(CTX.base, "S1-A", bytes(32))
    assert c0 != chain_open(CTX.base, "S1-B", bytes(32))
    assert tracking_code(c0, b"\x01" * 32) != tracking_code(c0, b"\x02" * 32)
    r = replay(CTX.base, "S1-A", bytes(32), [ChainEntry(EntryKind.CAST, b"\x01" * 32)])
    assert r.codes[0] == tracking_code(c0, b"\x01" * 32)
    assert r.links[0] == r.last == chain_link(r.codes[0], EntryKind.CAST)
    fates = {chain_link(r.codes[0], kind) for kind in EntryKind}
    assert len(fates) == 3


# Lookup -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def day() -> tuple[list[BoothExport], dict[str, bytes]]:
    key = SigningKey.generate()
    b = _builder()
    codes: dict[str, bytes] = {}
    for action in ("cast", "challenge", "void"):
        plain = PlaintextBallot({"17": Choice.NO, "18": Choice.BLANK})
        ballot, nonces = encrypt_ballot(CTX, "S1", "S1-A", plain)
        codes[action] = b.fix(ballot)
        if action == "cast":
            b.cast()
        elif action == "void":
            b.void()
        else:
            b.challenge(nonces.reveal(plain, CTX))
    return [b.close(key)], codes


@pytest.mark.parametrize(
    "action, status",
    [
        ("cast", LookupStatus.CAST),
        ("challenge", LookupStatus.CHALLENGED),
        ("void", LookupStatus.VOIDED),
    ],
)
def test_lookup_by_short_or_full_code(day, action: str, status: LookupStatus) -> None:  # type: ignore[no-untyped-def]
    exports, codes = day
    code = codes[action]
    short = short_code(code)
    for text in (short, short.lower(), short.replace(" ", "-"), code.hex(), code.hex().upper()):
        result = lookup(exports, CTX.base, text)
        assert result.status is status and result.code == code
    if status is LookupStatus.CHALLENGED:
        result = lookup(exports, CTX.base, short)
        assert result.reveal is not None and [r.m for r in result.reveal] == [65536, 0]


def test_lookup_not_found_and_garbage(day) -> None:  # type: ignore[no-untyped-def]
    exports, _ = day
    assert lookup(exports, CTX.base, "AAAA AAAA AAAA AAAA").status is LookupStatus.NOT_FOUND
    for bad in ["", "ABC", "AAAA AAAA AAAA AAA1", "0" * 63, "Z" * 64]:
        with pytest.raises(ChainError, match="not a tracking code"):
            parse_lookup(bad)


@given(
    st.text(max_size=80),
    st.binary(min_size=32, max_size=32),
    st.sampled_from([" ", "", "-", " - "]),
    st.booleans(),
)
def test_lookup_parser_only_raises_chain_error(
    text: str, code: bytes, separator: str, lower: bool
) -> None:
    # Valid codes, as printed and as a voter may type them, are read back to the same code.
    printed = short_code(code)
    typed = printed.replace(" ", separator)
    typed = typed.lower() if lower else typed
    assert parse_lookup(typed) == ("short", printed.replace(" ", ""))
    full = code.hex().upper() if lower else code.hex()
    assert parse_lookup(full) == ("full", code.hex())
    try:
        kind, value = parse_lookup(text)
    except ChainError:
        return
    assert (kind, len(value)) in (("short", 16), ("full", 64))


# Paper --------------------------------------------------------------------------------------


def test_paper_record_texts_and_qr() -> None:
    plain = PlaintextBallot({"17": Choice.BLANK})
    paper = paper_record(DEF, plain, official=False)
    assert paper.banner == "TEST 測試"
    assert [(line.case_number, line.answer_zh, line.answer_en) for line in paper.lines] == [
        ("第17案", "空白（無效票）", "Blank (counted as invalid)"),
        ("第18案", "不領取", "Declined"),
    ]
    assert (paper.deposit.zh, paper.deposit.en) == (
        "請投入票匭",
        "Put this record in the ballot box",
    )
    assert paper.qr_payload == "RV2 17=B 18=D"
    assert parse_paper_qr(paper.qr_payload, DEF) == {"17": Choice.BLANK, "18": None}
    yes_no = paper_record(DEF, PlaintextBallot({"17": Choice.YES, "18": Choice.NO}), True)
    assert yes_no.banner == "OFFICIAL 正式" and yes_no.qr_payload == "RV2 17=Y 18=N"
    assert [line.answer_zh for line in yes_no.lines] == ["同意", "不同意"]
    for bad in [
        "RV2 18=Y 17=N",
        "RV2 17=Y",
        "RV2 17=Y 17=N 18=D",
        "RV1 17=Y 18=N",
        "RV2 17=Y 19=N",
    ]:
        with pytest.raises(BallotError):
            parse_paper_qr(bad, DEF)
    with pytest.raises(BallotError, match="unknown question"):
        paper_record(DEF, PlaintextBallot({"99": Choice.YES}), False)


def test_receipt_and_slips_texts() -> None:
    r = receipt(DEF, b"\x07" * 32, official=True, lookup_place_zh="某處", lookup_place_en="X")
    assert r.banner == "OFFICIAL 正式" and r.qr_payload == "07" * 32
    assert r.short_code == short_code(b"\x07" * 32)
    assert [(n.zh, n.en) for n in r.notes][-1] == ("請至某處查詢此追蹤碼", "Look this code up in X")
    challenged = challenged_slip(DEF, official=False)
    assert (challenged.heading.zh, challenged.heading.en) == (
        "已挑戰・不計票",
        "CHALLENGED – NOT COUNTED",
    )
    assert any("vote again" in n.en for n in challenged.notes)
    void = void_slip(DEF, official=False)
    assert (void.heading.zh, void.heading.en) == ("作廢", "VOID")
    assert any("void envelope" in n.en for n in void.notes)


def test_paper_record_carries_nothing_of_its_ballot() -> None:
    """Issue 8 item 2: the paper record holds no value of the ballot or the chain."""
    plain = PlaintextBallot({"17": Choice.YES, "18": Choice.NO})
    ballot, _ = encrypt_ballot(CTX, "S1", "S1-B", plain)
    b = _builder("S1-B")
    code = b.fix(ballot)
    paper = paper_record(DEF, plain, official=True)
    printed = " ".join(
        [paper.banner, paper.title_zh, paper.title_en, paper.qr_payload]
        + [f"{x.case_number} {x.short_title_zh} {x.answer_zh} {x.answer_en}" for x in paper.lines]
    )
    squeezed = printed.replace(" ", "").lower()
    values = [ballot.ballot_id, ballot.hash(CTX.base), code]
    for value in values:
        assert value.hex() not in squeezed
        assert value.hex()[:8] not in squeezed
        assert group_for_reading(value).replace(" ", "").lower() not in squeezed
    for text in ("S1-B", "S1"):
        assert text not in printed


@given(st.dictionaries(st.sampled_from(["17", "18"]), st.sampled_from(list(Choice))))
def test_paper_qr_round_trips(answer: dict[str, Choice]) -> None:
    payload = paper_record(DEF, PlaintextBallot(answer), official=False).qr_payload
    assert parse_paper_qr(payload, DEF) == {q: answer.get(q) for q in DEF.question_ids()}


@given(st.text(max_size=120), choices)
def test_paper_qr_parser_only_raises_ballot_error(payload: str, answer: dict[str, Choice]) -> None:
    # A valid paper record's QR reads back to what was printed (a declined question is None).
    printed = paper_record(DEF, PlaintextBallot(answer), official=False).qr_payload
    assert parse_paper_qr(printed, DEF) == {q: answer.get(q) for q in ("17", "18")}
    try:
        answers = parse_paper_qr(payload, DEF)
    except BallotError:
        return
    assert tuple(answers) == DEF.question_ids()


@settings(max_examples=30)
@given(st.data())
def test_mutated_export_gives_clean_errors(day, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    exports, _ = day
    valid = exports[0].to_json()
    assert BoothExport.from_json(valid) == exports[0]  # the valid export round-trips
    raw = bytearray(valid)
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        loaded = BoothExport.from_json(bytes(raw))
    except CryptoError:
        return
    assert loaded.to_json() == bytes(raw)  # whatever is accepted is exactly what it says


def test_identity_alpha_is_refused() -> None:
    ballot, _ = encrypt_ballot(CTX, "S1", "S1-A", PlaintextBallot({"17": Choice.YES}))
    q = ballot.questions[0]
    from crypto.elgamal import Ciphertext
    from crypto.hazmat.group import IDENTITY

    bad = dataclasses.replace(
        ballot,
        questions=(dataclasses.replace(q, ciphertext=Ciphertext(IDENTITY, q.ciphertext.beta + G)),),
    )
    with pytest.raises(BallotError, match="α is the identity"):
        check_ballot(CTX, bad)
