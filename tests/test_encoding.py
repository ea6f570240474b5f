"""Strict hex and canonical JSON (RFC 8785): one byte form per value, everything else rejected."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.encoding import (
    MAX_SAFE_INTEGER,
    canonical_json,
    check_text,
    from_hex,
    parse_canonical_json,
    parse_json,
    to_hex,
)
from crypto.errors import EncodingError

json_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cn")), max_size=20).filter(
    lambda s: s == __import__("unicodedata").normalize("NFC", s)
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | json_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_text, children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.binary(max_size=64))
def test_hex_round_trip(data: bytes) -> None:
    assert from_hex(to_hex(data)) == data


@pytest.mark.parametrize(
    "text",
    ["ABCD", "aB", "0x12", "12 34", " 12", "123", "zz", "１２"],
    ids=["upper", "mixed", "prefix", "space", "leading-space", "odd", "non-hex", "fullwidth"],
)
def test_bad_hex_is_rejected(text: str) -> None:
    with pytest.raises(EncodingError, match="lowercase hex"):
        from_hex(text)


def test_hex_length_is_checked() -> None:
    with pytest.raises(EncodingError, match="expected 32 bytes, got 31"):
        from_hex("00" * 31, 32)
    with pytest.raises(EncodingError, match="expected a hex string"):
        from_hex(1234)


@given(json_values)
def test_canonical_json_round_trips(value: object) -> None:
    data = canonical_json(value)
    assert parse_canonical_json(data) == value
    assert canonical_json(json.loads(data)) == data


def test_canonical_json_known_answers() -> None:
    # RFC 8785 §3.2.3: keys sorted by UTF-16 code units; no whitespace; minimal escapes.
    assert canonical_json({"b": 1, "a": [True, None, "x"]}) == b'{"a":[true,null,"x"],"b":1}'
    assert canonical_json({"\u20ac": 1, "\r": 2, "1": 3, "\U0001f600": 4, "\ufb01": 5}) == (
        '{"\\r":2,"1":3,"\u20ac":1,"\U0001f600":4,"\ufb01":5}'.encode()
    )
    assert canonical_json('\u0000\b\t\n\f\r"\\/é') == b'"\\u0000\\b\\t\\n\\f\\r\\"\\\\/\xc3\xa9"'
    assert canonical_json("第17案") == '"第17案"'.encode()


@pytest.mark.parametrize(
    "data, reason",
    [
        (b'{"a":1, "b":2}', "canonical"),
        (b'{"b":1,"a":2}', "canonical"),
        (b'{"a":1}\n', "canonical"),
        (b'{"a":"\\u0041"}', "canonical"),
        (b'{"a":1.0}', "not an integer"),
        (b'{"a":1e3}', "not an integer"),
        (b'{"a":NaN}', "not allowed"),
        (b'{"a":-0}', "canonical"),
        (b'{"a":9007199254740992}', "outside"),
        (b'{"a":1,"a":1}', "duplicate JSON key"),
        (b'{"a":"\xff"}', "UTF-8"),
        (b'{"a":"\\ud800"}', "surrogate"),
        (b'{"a":"e\xcc\x81"}', "NFC"),
        (b'{"a":', "not valid JSON"),
        (b"[" * 100000, "not valid JSON"),
        (b'{"a":' + b"9" * 5000 + b"}", "not valid JSON"),
    ],
)
def test_non_canonical_or_invalid_json_is_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(EncodingError, match=reason):
        parse_canonical_json(data)


def test_duplicate_keys_are_rejected_even_when_not_canonical() -> None:
    with pytest.raises(EncodingError, match="duplicate JSON key 'k'"):
        parse_json(b'{"k": 1, "k": 2}')


@given(st.binary(max_size=200), json_values)
def test_parse_of_random_bytes_only_ever_raises_encoding_error(data: bytes, value: object) -> None:
    valid = canonical_json(value)  # a valid input round-trips: a parser that always raises fails
    assert parse_canonical_json(valid) == value and canonical_json(json.loads(valid)) == valid
    try:
        parsed = parse_canonical_json(data)
    except EncodingError:
        return
    assert canonical_json(parsed) == data  # whatever random bytes are accepted are canonical


@given(json_values, st.data())
def test_mutated_canonical_json_is_rejected_or_still_canonical(
    value: object, data: st.DataObject
) -> None:
    raw = bytearray(canonical_json(value))
    assert parse_canonical_json(bytes(raw)) == value  # the unmutated input round-trips
    pos = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[pos] = data.draw(st.integers(min_value=0, max_value=255))
    try:
        parsed = parse_canonical_json(bytes(raw))
    except EncodingError:
        return
    assert canonical_json(parsed) == bytes(raw)  # whatever is accepted is canonical


def test_text_rules() -> None:
    assert check_text("不同意") == "不同意"
    with pytest.raises(EncodingError, match="NFC"):
        check_text("e\u0301")
    with pytest.raises(EncodingError, match="unassigned"):
        check_text("\U0001fae8")  # assigned only in Unicode 15
    with pytest.raises(EncodingError, match="cannot encode float"):
        canonical_json({"a": 1.5})
    with pytest.raises(EncodingError, match="outside"):
        canonical_json(2**53)


@pytest.mark.parametrize(
    "text",
    [
        "\u0870",  # ARABIC LETTER ALEF WITH ATTACHED FATHA, new in Unicode 14.0
        "\U0001f6dd",  # PLAYGROUND SLIDE, new in 14.0
        "\ue000",  # private use: assigned
        "第17案",
    ],
)
def test_text_assigned_in_unicode_14_is_accepted(text: str) -> None:
    assert check_text(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "\U0001fae8",  # SHAKING FACE, new in Unicode 15.0
        "\U0001faf7",  # LEFTWARDS PUSHING HAND, new in 15.0
        "\u0378",  # never assigned
        "\U0010ffff",  # noncharacter
        "a\ud800",  # lone surrogate
    ],
)
def test_text_not_assigned_in_unicode_14_is_refused(text: str) -> None:
    with pytest.raises(EncodingError, match=r"unassigned in Unicode 14\.0\.0 or a surrogate"):
        check_text(text)


def test_text_rules_do_not_depend_on_this_pythons_unicode(monkeypatch: pytest.MonkeyPatch) -> None:
    # A later Python: its unicodedata is another version and knows U+1FAE8. The protocol's text
    # is still exactly Unicode 14.0's (before, every non-ASCII text was refused there).
    import unicodedata

    category = unicodedata.category
    monkeypatch.setattr(unicodedata, "unidata_version", "15.1.0")
    monkeypatch.setattr(
        unicodedata, "category", lambda ch: "So" if ch == "\U0001fae8" else category(ch)
    )
    assert check_text("第17案 不同意") == "第17案 不同意"
    with pytest.raises(EncodingError, match="unassigned"):
        check_text("\U0001fae8")
    with pytest.raises(EncodingError, match="NFC"):
        check_text("e\u0301")


def test_the_shipped_table_is_unicode_14() -> None:
    import unicodedata

    from crypto.unicode14 import ASSIGNED_RANGES, is_assigned

    assert list(ASSIGNED_RANGES) == sorted(set(ASSIGNED_RANGES))
    if unicodedata.unidata_version != "14.0.0":
        pytest.skip("the table is checked against a Python whose Unicode is 14.0.0 (3.11)")
    wrong = [
        cp
        for cp in range(0x110000)
        if is_assigned(cp) != (unicodedata.category(chr(cp)) not in ("Cn", "Cs"))
    ]
    assert wrong == []
