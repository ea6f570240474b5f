"""Re-signing raw (possibly malformed) files as whoever could have made them: for the tamper
catalogue (tests/test_tamper.py).

These sign the JSON object exactly as it will be written (so a file with, say, an upper-case
hex member or an identity point carries a signature that verifies over those very bytes):
the verifier must then refuse the file for what it says, not for a broken signature.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ballots.pollbook_count import PURPOSE as POLLBOOK_PURPOSE
from ballots.record import SharesFile, sums_from_json
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.hashing import file_fingerprint
from crypto.signing import SigningKey, message_fingerprint
from crypto.threshold import PartialDecryption


def _body(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != "signature"}


def _unhex(text: str) -> bytes:
    return bytes.fromhex(text)


def read(folder: Path, relative: str) -> Any:
    return parse_canonical_json((folder / relative).read_bytes())


def write(folder: Path, relative: str, obj: Any, huge: int | None = None) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(canonical_json(obj) if huge is None else oversized(obj, huge))


PLACEHOLDER = 987654321987654  # stands for an integer JSON can carry but canonical_json refuses


def oversized(obj: dict[str, Any], huge: int) -> bytes:
    """The canonical bytes of `obj` with PLACEHOLDER replaced by `huge` (a signer may sign
    bytes no honest encoder would write)."""
    data = canonical_json(obj)
    assert data.count(str(PLACEHOLDER).encode()) == 1
    return data.replace(str(PLACEHOLDER).encode(), str(huge).encode())


def _fingerprint(obj: dict[str, Any], huge: int | None) -> bytes:
    if huge is None:
        return message_fingerprint(_body(obj))
    return file_fingerprint(oversized(_body(obj), huge))


def sign_export_obj(obj: dict[str, Any], key: SigningKey, huge: int | None = None) -> None:
    """The booth signs the export object as it stands (protocol §5: purpose `export`)."""
    obj["signature"] = key.sign(
        "export",
        _unhex(obj["base"]),
        obj["booth_id"],
        _unhex(obj["opening_nonce"]),
        _unhex(obj["close"]),
        _fingerprint(obj, huge),
    ).hex()


def sign_package_obj(obj: dict[str, Any], key: SigningKey) -> None:
    """The authority signs package.json as it stands (purpose `package`)."""
    obj["signature"] = key.sign(
        "package",
        _unhex(obj["manifest_hash"]),
        _unhex(obj["base"]),
        message_fingerprint(_body(obj)),
    ).hex()


def sign_pollbook_obj(obj: dict[str, Any], key: SigningKey, huge: int | None = None) -> None:
    """The station's poll book signs its count as it stands."""
    obj["signature"] = key.sign(
        POLLBOOK_PURPOSE,
        _unhex(obj["base"]),
        obj["station_id"],
        _fingerprint(obj, huge),
    ).hex()


def resign_shares(
    folder: Path,
    trustee: int,
    key: SigningKey,
    shares: list[PartialDecryption] | None = None,
    number: int | None = None,
) -> None:
    """Trustee-signed shares file `trustee-NN.json` rewritten with `shares` (default: as is),
    declaring trustee `number` (default: `trustee`), signed by `key`."""
    path = folder / f"tally/shares/trustee-{trustee:02d}.json"
    file = SharesFile.from_json(path.read_bytes())
    _, sums = sums_from_json((folder / "tally/sums.json").read_bytes())
    path.write_bytes(
        SharesFile.sign(
            key,
            file.base,
            number if number is not None else trustee,
            shares if shares is not None else list(file.shares),
            sums,
        ).to_json()
    )


__all__ = [
    "PLACEHOLDER",
    "oversized",
    "read",
    "resign_shares",
    "sign_export_obj",
    "sign_package_obj",
    "sign_pollbook_obj",
    "write",
]
