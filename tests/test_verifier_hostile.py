"""Issue 8, item 4: more ballots than eligible, and hostile input, end in a named failure.

Every check is run on hostile input (wrong types, missing or extra members, huge and negative
numbers, malformed bytes, missing files, special files): the verifier must answer with one
FAILED line naming what is wrong, never an uncaught exception or its internal-error fallback.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ballots.export import BoothExport
from ballots.record import MAX_RECORD_FILE, PRE_DECRYPTION, SharesFile
from ballots.results import TurnoutExceeded
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.errors import CryptoError
from tally.station import ImportRejected, TallyStation
from tests.record_helpers import BuiltRecord, build_record, failed_check, resign_index, run

# More cast ballots than eligible voters ----------------------------------------------------


@pytest.fixture(scope="module")
def overfull(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    # S1 has 40 eligible voters and two of the three booths: about 80 of 120 ballots land there.
    return build_record(
        tmp_path_factory.mktemp("overfull"),
        ballots=120,
        challenged=0,
        voided=0,
        final=False,
        ignore_turnout=True,
    )


def cast_in(built: BuiltRecord, station_id: str) -> int:
    return sum(
        1
        for e in built.exports
        if e.station_id == station_id
        for b in e.ballots
        if b.status.value == "cast"
    )


def test_more_cast_ballots_than_eligible_fails_v10_naming_the_station(
    overfull: BuiltRecord,
) -> None:
    n = cast_in(overfull, "S1")
    assert n > 40  # the record really is overfull (counted here, not by the code under test)
    ok, out = run(overfull.folder, expect=PRE_DECRYPTION)
    assert not ok and failed_check(out) == "V10", out
    assert f"station S1: {n:,} cast ballots for 40 eligible voters" in out


def test_tally_station_refuses_the_import_that_overfills_a_station(
    overfull: BuiltRecord, tmp_path: Path
) -> None:
    station = TallyStation(tmp_path / "ws")
    station.init(overfull.package_folder, None)
    refused = []
    for e in overfull.exports:
        try:
            station.import_export(e.to_json())
        except ImportRejected as exc:
            refused.append(str(exc))
    eligible = {"S1": 40, "S2": 30}
    assert refused
    for message in refused:
        station_id = message.split(":")[0].removeprefix("station ")
        assert message.endswith(f"cast ballots for {eligible[station_id]} eligible voters")
    for station_id, limit in eligible.items():
        imported = [e for e in station.imported().values() if e.station_id == station_id]
        assert sum(e.counts.cast for e in imported) <= limit


def test_tally_results_name_the_overfull_station_instead_of_crashing(
    overfull: BuiltRecord, tmp_path: Path
) -> None:
    station = TallyStation(tmp_path / "ws")
    station.init(overfull.package_folder, None)
    imports = tmp_path / "ws/imports"
    imports.mkdir()
    for e in overfull.exports:  # as if written past the import checks (an old workspace)
        (imports / f"{e.booth_id}.json").write_bytes(e.to_json())
    with pytest.raises(
        TurnoutExceeded, match=r"station S1: \d+ cast ballots for 40 eligible"
    ) as exc:
        station.results()
    assert isinstance(exc.value, CryptoError) and exc.value.station_id == "S1"


# A bad shares file is left out by the tally station ----------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(
        tmp_path_factory.mktemp("hostile"), ballots=6, challenged=1, voided=1, pollbook=("S1",)
    )


def test_tally_station_publishes_only_valid_shares(built: BuiltRecord, tmp_path: Path) -> None:
    station = TallyStation(tmp_path / "ws")
    station.init(built.package_folder, None)
    for e in built.exports:
        station.import_export(e.to_json())
    station.prepare(tmp_path / "pre", built.tally_key)
    for t in (1, 3, 4):
        station.accept_shares((built.folder / f"tally/shares/trustee-0{t}.json").read_bytes())
    # A file in the workspace that does not verify (trustee 1's shares relabelled as 2's).
    bad = parse_canonical_json((built.folder / "tally/shares/trustee-01.json").read_bytes())
    bad["trustee"] = 2
    (tmp_path / "ws/shares/trustee-02.json").write_bytes(canonical_json(bad))
    valid = station.valid_shares()
    assert sorted(valid.files) == [1, 3, 4] and list(valid.faults) == [2]
    index, results = station.publish(tmp_path / "record", built.tally_key)
    assert results.quorum == (1, 3, 4)
    assert list(station.left_out) == [2] and "does not verify" in station.left_out[2]
    assert sorted(p for p, _ in index.files if p.startswith("tally/shares/")) == [
        "tally/shares/trustee-01.json",
        "tally/shares/trustee-03.json",
        "tally/shares/trustee-04.json",
    ]
    ok, out = run(tmp_path / "record")
    assert ok, out


def test_record_with_a_bad_shares_file_fails_v11_naming_the_trustee(
    built: BuiltRecord, tmp_path: Path
) -> None:
    """The rule of protocol §7: a record holds only valid shares, even if k others suffice."""
    record = tmp_path / "record"
    shutil.copytree(built.folder, record)
    five = parse_canonical_json((record / "tally/shares/trustee-04.json").read_bytes())
    five["trustee"] = 5  # trustee 4's shares under trustee 5's number: its signature fails
    (record / "tally/shares/trustee-05.json").write_bytes(canonical_json(five))
    resign_index(record, built.tally_key)
    ok, out = run(record)
    assert not ok and failed_check(out) == "V11"
    assert "tally/shares/trustee-05.json: trustee 5's signature does not verify" in out


# Hostile input, check by check -------------------------------------------------------------

# Files whose members reach a parser: index.json and package.json are parsed before their
# signature is checked, booth exports before theirs, and the tally files after V3 (the tally
# station re-signs the index). definition.json and the ceremony files are fingerprinted by the
# package before they are parsed, so only their raw bytes are varied here.
FILES = [
    "index.json",
    "package/package.json",
    "booths/S1-A.json",
    "tally/sums.json",
    "tally/shares/trustee-03.json",
    "tally/results.json",
    "pollbook/S1.json",
]
RAW_ONLY = ["package/definition.json", "package/ceremony/ceremony.json"]
SIGNED_BEFORE_V3 = {"index.json", *RAW_ONLY, "package/package.json"}
MISSING = object()


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every member path, taking the first item of each array."""
    if isinstance(value, dict):
        for key in sorted(value):
            yield (*path, key)
            yield from leaves(value[key], (*path, key))
    elif isinstance(value, list) and value:
        yield (*path, 0)
        yield from leaves(value[0], (*path, 0))


def hostile_values(original: Any) -> list[Any]:
    """A missing member, a wrong type, and the edges of the member's own type."""
    wrong_type: Any = {str: 1, int: "1", bool: 1, list: {}, dict: []}.get(type(original), 0)
    values: list[Any] = [MISSING, wrong_type]
    if isinstance(original, int) and not isinstance(original, bool):
        values += [-1, 2**53 - 1]
    elif isinstance(original, str):
        values += [""]
    elif isinstance(original, list):
        values += [[], [*original, *original[:1]]]
    elif original is None:
        values += [[]]
    return [v for v in values if not (type(v) is type(original) and v == original)]


@pytest.fixture(autouse=True)
def package_verified_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """V1 (the package and its ceremony) is the costliest check and the same for every
    mutation outside the package: verify each distinct package once (real call, memoised)."""
    from ballots.package import verify_package
    from tally import verify

    cache: dict[tuple[Any, ...], Any] = {}

    def memoised(folder: Path, authority: str | None = None) -> Any:
        key = (
            authority,
            *(
                (folder / name).read_bytes() if (folder / name).is_file() else None
                for name in ("package.json", "definition.json", "ceremony/ceremony.json")
            ),
        )
        if key not in cache:
            cache[key] = verify_package(folder, authority)
        return cache[key]

    monkeypatch.setattr(verify, "verify_package", memoised)


def mutated(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy_ = copy.deepcopy(obj)
    parent = copy_
    for step in path[:-1]:
        parent = parent[step]
    if value is MISSING:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy_


def raw_variants() -> list[bytes]:
    return [
        b"",
        b"null",
        b"[]",
        b"{}",
        b"\xff\xfe",
        b"[" * 50_000,
        b'{"type":' + b"9" * 5000 + b"}",
        b'{"type":1e400}',
        b'{"a":1,"a":1}',
        b" {}",
    ]


def check_named_failure(folder: Path, what: str, problems: list[str]) -> None:
    try:
        ok, out = run(folder)
    except Exception as exc:  # the bug this test exists to find
        problems.append(f"{what}: uncaught {type(exc).__name__}: {exc}")
        return
    failed = [line for line in out.splitlines() if "FAILED" in line]
    if ok or len(failed) != 1:
        problems.append(f"{what}: verified or failed oddly:\n{out}")
    elif "internal error" in failed[0] or len(failed[0].split("FAILED: ", 1)[1]) < 12:
        problems.append(f"{what}: not a named failure: {failed[0]}")


def mutate_and_check(
    built: BuiltRecord, folder: Path, relative: str, data: bytes, what: str, problems: list[str]
) -> None:
    path = folder / relative
    original, original_index = path.read_bytes(), (folder / "index.json").read_bytes()
    path.write_bytes(data)
    if relative not in SIGNED_BEFORE_V3:
        resign_index(folder, built.tally_key)
    check_named_failure(folder, what, problems)
    path.write_bytes(original)
    (folder / "index.json").write_bytes(original_index)


@pytest.mark.parametrize("relative", FILES)
def test_every_check_names_hostile_members(
    built: BuiltRecord, tmp_path: Path, relative: str
) -> None:
    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    obj = parse_canonical_json((folder / relative).read_bytes())
    problems: list[str] = []
    runs = 0
    for path in leaves(obj):
        for value in hostile_values(_get(obj, path)):
            changed = mutated(obj, path, value)
            try:
                data = canonical_json(changed)
            except CryptoError:
                data = json.dumps(changed, separators=(",", ":"), sort_keys=True).encode()
            label = f"{relative} {'/'.join(map(str, path))} = {value!r:.40}"
            mutate_and_check(built, folder, relative, data, label, problems)
            runs += 1
        if isinstance(_get(obj, path), dict):  # an unknown member
            extra = mutated(obj, (*path, "zz_unknown"), 1)
            mutate_and_check(
                built, folder, relative, canonical_json(extra), f"{relative} extra member", problems
            )
            runs += 1
    assert runs > 20
    assert not problems, "\n".join(problems[:20])
    ok, out = run(folder)  # every mutation was undone
    assert ok, out


@pytest.mark.parametrize("relative", FILES + RAW_ONLY)
def test_every_check_names_malformed_bytes(
    built: BuiltRecord, tmp_path: Path, relative: str
) -> None:
    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    problems: list[str] = []
    for n, data in enumerate(raw_variants()):
        mutate_and_check(built, folder, relative, data, f"{relative} raw variant {n}", problems)
    assert not problems, "\n".join(problems)


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        obj = obj[step]
    return obj


@pytest.mark.parametrize("relative", ["tally/results.json", "booths/S2-A.json", "index.json"])
def test_missing_file_is_named(built: BuiltRecord, tmp_path: Path, relative: str) -> None:
    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    (folder / relative).unlink()
    problems: list[str] = []
    check_named_failure(folder, f"{relative} missing", problems)
    assert not problems, problems
    assert f"{relative}: missing" in run(folder)[1]


@pytest.mark.parametrize(
    "relative", ["tally/sums.json", "booths/S1-A.json", "package/package.json", "index.json"]
)
def test_special_entries_are_named(built: BuiltRecord, tmp_path: Path, relative: str) -> None:
    problems: list[str] = []
    for kind in ("fifo", "folder", "symlink", "dangling"):
        folder = tmp_path / f"record-{kind}"
        shutil.copytree(built.folder, folder)
        target = folder / relative
        kept = tmp_path / f"kept-{kind}"
        target.rename(kept)
        if kind == "fifo":
            os.mkfifo(target)
        elif kind == "folder":
            target.mkdir()
        elif kind == "symlink":
            target.symlink_to(kept)
        else:
            target.symlink_to(tmp_path / "nowhere")
        check_named_failure(folder, f"{relative} as {kind}", problems)
    assert not problems, "\n".join(problems)


def test_oversized_file_is_refused_without_reading_it(built: BuiltRecord, tmp_path: Path) -> None:
    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    with open(folder / "tally/results.json", "r+b") as f:
        f.truncate(MAX_RECORD_FILE + 1)  # sparse: no disk used
    ok, out = run(folder)
    assert not ok and failed_check(out) == "V3"
    assert f"tally/results.json: is larger than the {MAX_RECORD_FILE:,} bytes" in out


def test_export_with_an_extra_ballot_is_named(built: BuiltRecord, tmp_path: Path) -> None:
    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    obj = parse_canonical_json((folder / "booths/S1-A.json").read_bytes())
    other = parse_canonical_json((folder / "booths/S2-A.json").read_bytes())
    obj["ballots"] = sorted([*obj["ballots"], other["ballots"][0]], key=lambda b: b["ballot_id"])
    (folder / "booths/S1-A.json").write_bytes(canonical_json(obj))
    resign_index(folder, built.tally_key)
    ok, out = run(folder)
    assert not ok and failed_check(out) == "V4" and "internal error" not in out
    BoothExport.from_json((built.folder / "booths/S1-A.json").read_bytes())  # honest one parses


def test_shares_file_for_too_few_sums_is_named(built: BuiltRecord, tmp_path: Path) -> None:
    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    file = SharesFile.from_json((folder / "tally/shares/trustee-03.json").read_bytes())
    short = SharesFile(file.base, 3, file.shares[:-1], file.signature)
    (folder / "tally/shares/trustee-03.json").write_bytes(short.to_json())
    resign_index(folder, built.tally_key)
    ok, out = run(folder)
    assert not ok and failed_check(out) == "V11"
    assert f"trustee 3 gave {len(file.shares) - 1} shares for {len(file.shares)} sums" in out
