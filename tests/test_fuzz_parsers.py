"""Issue 10, Build: fuzzers for the parsers of outside input not fuzzed elsewhere.

- station-link messages (booth/pollbook/messages.py: frames, requests and answers),
- the booth's event log lines (booth/eventlog.py parse_line),
- the ballot store's and mirror's records (booth/store.py record_from_obj),
- poll-book count files (ballots/pollbook_count.py PollBookCount.from_json).

Each fuzzer (1) builds VALID inputs from the declarations and checks they round-trip to the
same bytes (so a parser that always refuses fails), and (2) feeds mutated and random bytes and
checks the parser either refuses them with its named error or accepts exactly those bytes (it
writes them back identically: nothing was silently dropped or normalised).

The package, record, definition and ceremony readers are fuzzed in tests/test_package.py,
tests/test_definition.py and tests/test_ceremony.py. `make fuzz` runs these with
HYPOTHESIS_PROFILE=fuzz (tests/conftest.py).
"""

from __future__ import annotations

import json
import socket
import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballots.ballot import EncryptedBallot, QuestionReveal
from ballots.pollbook_count import PollBookCount
from booth.core.ballot import BallotState
from booth.eventlog import CATALOG, Count, Entry, EventCode, LogBroken, OneOf, parse_line
from booth.pollbook.messages import (
    ANSWERS,
    MAX_FRAME,
    MAX_OUTBOX,
    REQUESTS,
    SESSION_BYTES,
    decode,
    encode,
    read_frame,
)
from booth.store import EntryRecord, OpeningRecord, record_bytes, record_from_obj
from crypto.encoding import parse_canonical_json
from crypto.errors import CryptoError, EncodingError
from crypto.signing import SigningKey

VECTORS = Path(__file__).parent / "vectors/ballots.json"

# Text the readers accept: letters, digits, space and some CJK (no control or bidi characters).
TEXT_ALPHABET = string.ascii_letters + string.digits + " -_.中正區測試國小"


def text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(TEXT_ALPHABET, min_size=1, max_size=max_size).filter(
        lambda s: s.strip() == s and "  " not in s
    )


def mutated(data: bytes) -> st.SearchStrategy[bytes]:
    """`data` with 1–4 bytes overwritten, inserted or deleted."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        raw = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            op = draw(st.sampled_from(["set", "insert", "delete"]))
            at = draw(st.integers(0, len(raw) - 1))
            if op == "set":
                raw[at] = draw(st.integers(0, 255))
            elif op == "insert":
                raw.insert(at, draw(st.sampled_from(b' "{}[],:0123456789abcdefABCDEF\\\n')))
            elif len(raw) > 1:
                del raw[at]
        return bytes(raw)

    return build()


# Station-link messages -------------------------------------------------------------------

FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "roll_hash": st.binary(min_size=32, max_size=32),
    "code": text(32),
    "session": st.binary(min_size=SESSION_BYTES, max_size=SESSION_BYTES),
    "sessions": st.lists(st.binary(min_size=SESSION_BYTES, max_size=SESSION_BYTES), max_size=8).map(
        tuple
    ),
    "booth_id": text(64),
    "reason": text(500),
}
COUNT_VALUE = st.integers(0, 2**31)


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    tag = draw(st.sampled_from(["op", "answer"]))
    table = REQUESTS if tag == "op" else ANSWERS
    kind = draw(st.sampled_from(sorted(table)))
    fields = {name: draw(FIELD_VALUES.get(name, COUNT_VALUE)) for name in table[kind]}
    return tag, kind, fields


def test_every_declared_field_has_a_strategy() -> None:
    for table in (REQUESTS, ANSWERS):
        for fields in table.values():
            for name in fields:
                assert name in FIELD_VALUES or name in {
                    "stuck", "voted", "in_progress", "released", "cardless", "closed"
                }  # fmt: skip


@given(messages())
def test_valid_messages_round_trip(message: tuple[str, str, dict[str, Any]]) -> None:
    tag, kind, fields = message
    frame = encode(tag, kind, fields)
    assert int.from_bytes(frame[:4], "big") == len(frame) - 4
    decoded = decode(tag, frame[4:])
    assert decoded.kind == kind and dict(decoded.fields) == fields
    assert encode(tag, kind, dict(decoded.fields)) == frame


@given(messages(), st.data())
def test_mutated_messages_are_refused_or_exact(
    message: tuple[str, str, dict[str, Any]], data: st.DataObject
) -> None:
    tag, kind, fields = message
    body = encode(tag, kind, fields)[4:]
    raw = data.draw(mutated(body))
    try:
        decoded = decode(tag, raw)
    except EncodingError:
        return
    assert encode(tag, decoded.kind, dict(decoded.fields))[4:] == raw


@given(st.sampled_from(["op", "answer"]), st.binary(max_size=300))
def test_random_bytes_are_refused_or_exact(tag: str, raw: bytes) -> None:
    try:
        decoded = decode(tag, raw)
    except EncodingError:
        return
    assert encode(tag, decoded.kind, dict(decoded.fields))[4:] == raw


def test_an_outbox_report_longer_than_allowed_is_refused() -> None:
    sessions = ",".join(f'"{"00" * SESSION_BYTES}"' for _ in range(MAX_OUTBOX + 1))
    with pytest.raises(EncodingError, match=f"at most {MAX_OUTBOX}"):
        decode("op", f'{{"op":"report_outbox","sessions":[{sessions}]}}'.encode())


@given(st.integers(0, 2**32 - 1), st.binary(max_size=64))
def test_frames_with_any_length_prefix_end_cleanly(length: int, rest: bytes) -> None:
    a, b = socket.socketpair()
    try:
        a.sendall(length.to_bytes(4, "big") + rest)
        a.shutdown(socket.SHUT_WR)
        try:
            body = read_frame(b)
        except EncodingError:
            assert not 0 < length <= MAX_FRAME  # refused before reading: never a huge buffer
            return
        except ConnectionError:
            assert 0 < length <= MAX_FRAME and len(rest) < length  # the peer closed early
            return
        assert body == rest[:length]
    finally:
        a.close()
        b.close()


# Event log lines -------------------------------------------------------------------------

TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda t: t.replace(microsecond=0, tzinfo=UTC)
)


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    code = draw(st.sampled_from(list(EventCode)))
    spec = CATALOG[code]
    details: dict[str, object] = {}
    for name, kind in spec.details.items():
        if isinstance(kind, OneOf):
            details[name] = draw(st.sampled_from(list(kind.vocabulary)))
        else:
            assert isinstance(kind, Count)
            details[name] = draw(st.integers(0, 2**32 - 1))
    return Entry(
        draw(st.integers(1, 2**53 - 1)),
        draw(TIMES) if spec.timed else None,
        code,
        details,
        draw(st.binary(min_size=32, max_size=32)),
    )


@given(entries())
def test_valid_log_lines_round_trip(entry: Entry) -> None:
    line = entry.line()
    parsed = parse_line(line, entry.seq)
    assert parsed.line() == line
    assert (parsed.code, parsed.time, parsed.prev) == (entry.code, entry.time, entry.prev)
    assert dict(parsed.details) == dict(entry.details)


@given(entries(), st.data())
def test_mutated_log_lines_are_refused_or_exact(entry: Entry, data: st.DataObject) -> None:
    raw = data.draw(mutated(entry.line()))
    try:
        parsed = parse_line(raw, entry.seq)
    except LogBroken as exc:
        assert exc.line == entry.seq
        return
    assert parsed.line() == raw


@given(st.binary(max_size=300), st.integers(1, 10))
def test_random_log_lines_are_refused_or_exact(raw: bytes, seq: int) -> None:
    try:
        parsed = parse_line(raw, seq)
    except LogBroken:
        return
    assert parsed.line() == raw


# Ballot store and mirror records -----------------------------------------------------------


def _vector_records() -> list[EntryRecord]:
    vectors = json.loads(VECTORS.read_text())
    out = []
    for n, item in enumerate(vectors["ballots"]):
        ballot = EncryptedBallot.from_obj(item["ballot"])
        reveal = tuple(QuestionReveal.from_obj(r, "reveal") for r in item["reveal"])
        link = bytes([n]) * 32
        out.append(EntryRecord(BallotState.CAST, bytes(32), link, ballot, None))
        out.append(EntryRecord(BallotState.CHALLENGED, bytes(32), link, ballot, reveal))
    return out


VECTOR_RECORDS = _vector_records()
HASHES = st.binary(min_size=32, max_size=32)

records = st.one_of(
    st.builds(OpeningRecord, HASHES, HASHES, text(64), text(64), HASHES),
    st.builds(EntryRecord, st.just(BallotState.VOID), HASHES, HASHES, st.none(), st.none()),
    st.sampled_from(VECTOR_RECORDS),
)


def reread(raw: bytes) -> bytes:
    return record_bytes(record_from_obj(parse_canonical_json(raw, what="record"), "record"))


@given(records)
def test_valid_store_records_round_trip(record: OpeningRecord | EntryRecord) -> None:
    raw = record_bytes(record)
    assert record_from_obj(parse_canonical_json(raw), "record") == record
    assert reread(raw) == raw


@given(records, st.data())
def test_mutated_store_records_are_refused_or_exact(
    record: OpeningRecord | EntryRecord, data: st.DataObject
) -> None:
    raw = data.draw(mutated(record_bytes(record)))
    try:
        again = reread(raw)
    except CryptoError:
        return
    assert again == raw


# Poll-book counts ----------------------------------------------------------------------------

POLLBOOK_KEY = SigningKey.generate()
MAX_POLLBOOK_COUNT = 65535  # what PollBookCount.from_json reads
COUNT_NAMES = ("voted", "checked_in_not_cast", "released", "cardless", "completed_after_release")


@st.composite
def pollbook_counts(draw: st.DrawFn) -> bytes:
    counts = {name: draw(st.integers(0, MAX_POLLBOOK_COUNT)) for name in COUNT_NAMES}
    counts["cardless"] = draw(st.integers(0, counts["voted"]))  # never more than voted
    return PollBookCount.sign(POLLBOOK_KEY, draw(HASHES), draw(text(64)), counts).to_json()


@given(pollbook_counts())
def test_valid_pollbook_counts_round_trip(raw: bytes) -> None:
    count = PollBookCount.from_json(raw)
    assert count.to_json() == raw
    count.verify(POLLBOOK_KEY.verify_key, count.base, count.station_id)


@given(pollbook_counts(), st.data())
def test_mutated_pollbook_counts_are_refused_or_exact(raw: bytes, data: st.DataObject) -> None:
    bad = data.draw(mutated(raw))
    try:
        count = PollBookCount.from_json(bad)
    except CryptoError:
        return
    assert count.to_json() == bad


@given(st.binary(max_size=300))
def test_random_pollbook_counts_are_refused(raw: bytes) -> None:
    with pytest.raises(CryptoError):
        PollBookCount.from_json(raw)


def test_pollbook_count_writer_refuses_what_its_reader_refuses() -> None:
    counts = dict.fromkeys(COUNT_NAMES, 0) | {"completed_after_release": MAX_POLLBOOK_COUNT + 1}
    try:
        raw = PollBookCount.sign(POLLBOOK_KEY, bytes(32), "S1", counts).to_json()
    except CryptoError:
        return  # the writer refused: consistent
    PollBookCount.from_json(raw)  # otherwise the reader must accept what was written
