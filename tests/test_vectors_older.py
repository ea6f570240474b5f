"""Records this refvote cannot check are named for what they are: an earlier protocol.

`ed25519-draft-record/` is a real record (6 ballots, 3 of 5 trustees) made by refvote at
commit 6b181cf, protocol version 2 before the group became ristretto255: every point in it is
an Ed25519 encoding, and its ceremony roster names no group. Authority fingerprint below.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crypto.ceremony.messages import CeremonyParameters
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.errors import OlderProtocol
from crypto.fields import open_document
from tests.record_helpers import run

DRAFT = Path(__file__).parent / "vectors" / "ed25519-draft-record"
DRAFT_AUTHORITY = "E7KI SG7D ES5U H2XQ"
ROSTER = "package/ceremony/ceremony.json"


def test_a_record_of_the_ed25519_draft_is_named_as_such() -> None:
    ok, out = run(DRAFT, DRAFT_AUTHORITY)
    assert not ok
    first = out.splitlines()[0]
    assert first.startswith("V1") and "FAILED" in first
    assert "earlier draft of protocol version 2" in first
    assert "Ed25519" in first and "ristretto255" in first
    assert "refvote release that made it" in first


def test_the_draft_records_points_are_not_ristretto255() -> None:
    """The fixture is what it claims: its joint-key commitments are Ed25519 subgroup points
    (the independent RFC 8032 reference accepts them), not ristretto255 encodings."""
    from tests.reference import ed25519_ref, ristretto255_ref

    msg = parse_canonical_json((DRAFT / "package/ceremony/round1/trustee-01.json").read_bytes())
    commitments = [bytes.fromhex(c) for c in msg["commitments"]]
    assert all(ed25519_ref.is_valid_protocol_point(c) for c in commitments)
    assert not all(ristretto255_ref.is_valid_encoding(c) for c in commitments)
    roster = parse_canonical_json((DRAFT / ROSTER).read_bytes())
    assert "group" not in roster and roster["version"] == 2


def test_a_roster_of_another_group_is_named(tmp_path: Path) -> None:
    roster = parse_canonical_json((DRAFT / ROSTER).read_bytes())
    with pytest.raises(OlderProtocol, match="names no group"):
        CeremonyParameters.from_json(canonical_json(roster))
    with pytest.raises(OlderProtocol, match=r"'ed25519'.*ristretto255"):
        CeremonyParameters.from_json(canonical_json({**roster, "group": "ed25519"}))


def test_a_version_1_file_is_named_an_older_protocol_version() -> None:
    data = canonical_json({"type": "refvote/package", "version": 1})
    with pytest.raises(OlderProtocol, match=r"protocol version 1, older than .* version 2"):
        open_document(data, "refvote/package", "package.json")


def test_a_version_1_record_is_named_an_older_protocol_version(tmp_path: Path) -> None:
    record = tmp_path / "record"
    shutil.copytree(DRAFT, record)
    path = record / "package" / "package.json"
    obj = parse_canonical_json(path.read_bytes())
    path.write_bytes(canonical_json({**obj, "version": 1}))
    ok, out = run(record, DRAFT_AUTHORITY)
    first = out.splitlines()[0]
    assert not ok and first.startswith("V1") and "FAILED" in first
    assert "protocol version 1, older than this refvote's version 2" in first
