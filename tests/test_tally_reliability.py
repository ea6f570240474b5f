"""Nothing lost on a crash, a full disk or two operators at once (issue 10, tally side).

Crashes are real SIGKILLs of a child `refvote` at a chosen point; full disks are ENOSPC
injected into the writes of a child or of this process; concurrency is two child processes
started together. No test sleeps.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ballots.export import ExportBuilder
from ballots.package import key_fingerprint, verify_package
from crypto.files import (
    AlreadyExists,
    UnsafeFile,
    WorkspaceBusy,
    WriteFailed,
    read_file,
    read_text,
    regular_files,
    staged_folder,
    workspace_lock,
    write_atomic,
)
from crypto.keyfile import write_signing_key
from crypto.signing import SigningKey
from tally.station import ImportRejected, TallyStation, WrongTallyKey
from tests.record_helpers import BuiltRecord, build_record

ROOT = Path(__file__).resolve().parent.parent


def refvote(
    *args: str, prelude: str = "", stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`refvote ARGS` in a child process; `prelude` runs first (fault injection)."""
    code = f"{prelude}\nimport sys\nfrom refvote.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
        input=stdin,
    )


def one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    """The command failed with exactly one line on stderr and no traceback."""
    assert out.returncode not in (0, None), out
    assert "Traceback" not in out.stderr + out.stdout, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    """Staging folders and temporary files left anywhere under `folder`."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if ".staging-" in p.name or ".tmp-" in p.name or p.name.endswith(".partial")
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


# The election: built once through the API, counted into fresh workspaces per test --------------


@dataclass
class Election:
    built: BuiltRecord
    tally_key_file: Path
    shares: list[Path]


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    tmp = tmp_path_factory.mktemp("reliability")
    built = build_record(tmp, ballots=20, challenged=1, voided=1)
    write_signing_key(tmp / "tally.key.json", "tally", "tally station", built.tally_key)
    shares = sorted((built.folder / "tally/shares").glob("*.json"))
    return Election(built, tmp / "tally.key.json", shares)


def _station(election: Election, tmp_path: Path, *, imported: int | None = None) -> TallyStation:
    station = TallyStation(tmp_path / "ws")
    station.init(
        election.built.package_folder, key_fingerprint(election.built.authority.verify_key)
    )
    for e in election.built.exports[:imported]:
        station.import_export(e.to_json())
    return station


@pytest.fixture
def prepared(election: Election, tmp_path: Path) -> TallyStation:
    station = _station(election, tmp_path)
    station.prepare(tmp_path / "pre", election.built.tally_key)
    return station


@pytest.fixture
def counted(election: Election, prepared: TallyStation) -> TallyStation:
    for path in election.shares:
        prepared.accept_shares(path.read_bytes())
    return prepared


def _publish(election: Election, station: TallyStation, out: Path, *, prelude: str = ""):  # type: ignore[no-untyped-def]
    return refvote(
        "tally",
        "publish",
        "--workspace",
        str(station.workspace),
        "--tally-key",
        str(election.tally_key_file),
        "--out",
        str(out),
        "--reports",
        str(out.with_name("reports")),
        prelude=prelude,
    )


# crypto.files ------------------------------------------------------------------------------


def test_read_file_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.json")  # nobody writes to it: a blocking open would hang
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "big.json").write_bytes(b"x" * 101)
    (tmp_path / "ok.json").write_bytes(b"x" * 100)
    with pytest.raises(UnsafeFile, match=r"zero.json: is a symbolic link"):
        read_file(tmp_path / "zero.json", 100)
    with pytest.raises(UnsafeFile, match=r"fifo.json: is not a regular file"):
        read_file(tmp_path / "fifo.json", 100)
    with pytest.raises(UnsafeFile, match=r"/dev/zero: is not a regular file"):
        read_file(Path("/dev/zero"), 100)
    with pytest.raises(UnsafeFile, match=r"folder.json: is a folder"):
        read_file(tmp_path / "folder.json", 100)
    with pytest.raises(UnsafeFile, match=r"big.json: is larger than the 100 bytes"):
        read_file(tmp_path / "big.json", 100)
    assert read_file(tmp_path / "ok.json", 100) == b"x" * 100
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UnsafeFile, match="binary: is not UTF-8 text"):
        read_text(tmp_path / "binary", 100)
    # Listing media never descends into a symlinked folder (a loop to / would never end).
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "loop").symlink_to(tmp_path)
    (tmp_path / "media" / "a.json").write_bytes(b"{}")
    assert regular_files(tmp_path / "media", ".json") == [tmp_path / "media" / "a.json"]


def _full_disk_after(monkeypatch: pytest.MonkeyPatch, budget: int) -> None:
    """Every os.write after `budget` bytes fails with ENOSPC, part-way through a buffer."""
    real = os.write
    left = [budget]

    def write(fd: int, data: bytes | memoryview) -> int:
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = real(fd, bytes(data[: left[0]]))
        left[0] -= n
        return n

    monkeypatch.setattr(os, "write", write)


def test_write_atomic_on_a_full_disk_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.json"
    write_atomic(target, b"old contents")
    _full_disk_after(monkeypatch, 5)
    with pytest.raises(WriteFailed, match=f"{target}: not written: the disk is full"):
        write_atomic(target, b"new contents, longer than the space left")
    monkeypatch.undo()
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.json"]


def test_write_atomic_once_refuses_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "once.json"
    write_atomic(target, b"first", replace=False)
    with pytest.raises(AlreadyExists, match=r"once.json: already exists"):
        write_atomic(target, b"second", replace=False)
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["once.json"]
    with pytest.raises(WriteFailed, match=r"no-such-folder/x.json: not written"):
        write_atomic(tmp_path / "no-such-folder" / "x.json", b"x")


def test_two_writers_of_one_folder_never_mix(tmp_path: Path) -> None:
    target = tmp_path / "record"
    with pytest.raises(AlreadyExists, match="record: appeared while it was being written"):
        with staged_folder(target) as outer:
            write_atomic(outer / "a", b"outer")
            with staged_folder(target) as inner:
                assert inner != outer
                write_atomic(inner / "a", b"inner")
    assert tree(target) == {"a": b"inner"}
    assert leftovers(tmp_path) == []
    with pytest.raises(RuntimeError, match="boom"):
        with staged_folder(tmp_path / "other") as staging:
            write_atomic(staging / "a", b"a")
            raise RuntimeError("boom")
    assert not (tmp_path / "other").exists() and leftovers(tmp_path) == []


def test_what_a_killed_process_left_is_removed(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = tmp_path / f".record.staging-{dead.stdout.strip()}-00000000"
    stale.mkdir()
    (stale / "half").write_bytes(b"half")
    stale_temp = tmp_path / f".file.json.tmp-{dead.stdout.strip()}-00000000"
    stale_temp.write_bytes(b"half")
    with staged_folder(tmp_path / "record") as staging:
        write_atomic(staging / "a", b"a")
    write_atomic(tmp_path / "file.json", b"whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.json", "record"]


def _hold_lock(folder: Path) -> subprocess.Popen[str]:
    """A child that holds the workspace's lock until its stdin closes."""
    code = (
        "import sys; from pathlib import Path; from tally.station import TallyStation\n"
        "with TallyStation(Path(sys.argv[1])).locked():\n"
        "    print('locked', flush=True); sys.stdin.read()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None and child.stdout.readline() == "locked\n"
    return child


def test_workspace_lock_names_the_holder(tmp_path: Path) -> None:
    (tmp_path / "package").mkdir()  # enough of a workspace for the lock
    child = _hold_lock(tmp_path)
    try:
        with pytest.raises(
            WorkspaceBusy, match=f"in use by another refvote command \\(pid {child.pid}\\)"
        ):
            with workspace_lock(tmp_path):
                pass
    finally:
        child.communicate("")
    with workspace_lock(tmp_path):  # released when the holder ended
        pass


# 2. publish after a crash or a full disk while writing reports ----------------------------------


@pytest.mark.parametrize(
    "kill_in",
    [
        "ballots.record.write_atomic",  # while the record's files are staged
        "tally.reports.national_summary",  # after the record, while the reports are written
    ],
)
def test_publish_killed_midway_is_redone(
    election: Election, counted: TallyStation, tmp_path: Path, kill_in: str
) -> None:
    module, name = kill_in.rsplit(".", 1)
    prelude = (
        f"import os, signal, {module} as m\n"
        f"real = m.{name}\ncalls = [0]\n"
        "def hook(*a, **k):\n"
        "    calls[0] += 1\n"
        "    if calls[0] == 3: os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(*a, **k)\n"
        f"m.{name} = hook\n"
    )
    if name == "national_summary":
        prelude = prelude.replace("calls[0] == 3", "calls[0] == 1")
    out = tmp_path / "record"
    killed = _publish(election, counted, out, prelude=prelude)
    assert killed.returncode == -signal.SIGKILL
    assert not (tmp_path / "reports").exists()  # never a partial set of reports
    if name == "write_atomic":
        assert not out.exists()  # never a partial record
    again = _publish(election, counted, out)
    assert again.returncode == 0, again.stderr
    if name == "national_summary":
        assert "already complete (checked, not rewritten)" in again.stdout
    assert "verifying the record as anyone will" in again.stdout
    assert "FAILED" not in again.stdout.split("verifying")[1]
    # The record is verified, and the site written, against the fingerprint pinned at init.
    assert "against the pinned authority" in again.stdout
    assert (out.with_name(out.name + "-site") / "index.html").is_file()
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == sorted(
        [
            "station-S1.pdf",
            "station-S2.pdf",
            "summary-station.pdf",
            "summary-township.pdf",
            "summary-county.pdf",
            "summary-national.pdf",
            "results.csv",
            "results.json",
        ]
    )
    assert all(p.stat().st_size > 0 for p in (tmp_path / "reports").iterdir())


def test_publish_on_a_full_disk_names_the_path_and_is_redone(
    election: Election, counted: TallyStation, tmp_path: Path
) -> None:
    out = tmp_path / "record"
    # The disk fills once the record is in place: the reports cannot be written.
    prelude = (
        "import errno, os\nreal = os.write\n"
        f"def write(fd, data):\n"
        f"    if os.path.exists({str(out)!r}):\n"
        "        raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "    return real(fd, data)\n"
        "os.write = write\n"
    )
    line = one_line_error(_publish(election, counted, out, prelude=prelude))
    assert str(tmp_path / "reports") in line and "the disk is full" in line, line
    assert not (tmp_path / "reports").exists() and leftovers(tmp_path) == []
    again = _publish(election, counted, out)
    assert again.returncode == 0, again.stderr
    assert "already complete" in again.stdout
    assert len(list((tmp_path / "reports").iterdir())) == 8


def test_publish_into_a_foreign_folder_is_refused(
    election: Election, counted: TallyStation, tmp_path: Path
) -> None:
    (tmp_path / "record").mkdir()
    (tmp_path / "record" / "notes.txt").write_text("not a record")
    line = one_line_error(_publish(election, counted, tmp_path / "record"))
    assert "is not this workspace's complete final record" in line
    assert tree(tmp_path / "record") == {"notes.txt": b"not a record"}


# 3. one command at a time per workspace ------------------------------------------------------


def test_every_mutating_tally_command_refuses_a_locked_workspace(
    election: Election, counted: TallyStation, tmp_path: Path
) -> None:
    ws = counted.workspace
    before = tree(ws)
    media = tmp_path / "media"
    media.mkdir()
    (media / "export.json").write_bytes(election.built.exports[0].to_json())
    commands = [
        ["tally", "import", "--workspace", str(ws), str(media)],
        [
            "tally",
            "prepare",
            "--workspace",
            str(ws),
            "--tally-key",
            str(election.tally_key_file),
            "--out",
            str(tmp_path / "pre2"),
        ],
        ["tally", "combine-shares", "--workspace", str(ws), str(election.shares[0])],
        [
            "tally",
            "publish",
            "--workspace",
            str(ws),
            "--tally-key",
            str(election.tally_key_file),
            "--out",
            str(tmp_path / "record"),
        ],
    ]
    child = _hold_lock(ws)
    try:
        for args in commands:
            line = one_line_error(refvote(*args))
            assert f"the workspace is in use by another refvote command (pid {child.pid})" in line
    finally:
        child.communicate("")
    assert tree(ws) == before
    assert not (tmp_path / "pre2").exists() and not (tmp_path / "record").exists()


# 4. one export per booth, even when two are imported at once ------------------------------------


def _other_export(election: Election, booth_id: str) -> bytes:
    """A second, different, validly signed export of `booth_id` (a booth that cast nothing)."""
    ctx = verify_package(election.built.package_folder).context
    station = ctx.definition.station_of_booth(booth_id).station_id
    builder = ExportBuilder(ctx.manifest_hash, ctx.base, station, booth_id, os.urandom(32))
    return builder.close(election.built.booth_keys[booth_id]).to_json()


@pytest.mark.parametrize("trial", range(3))
def test_two_exports_of_one_booth_imported_at_once(
    election: Election, tmp_path: Path, trial: int
) -> None:
    station = _station(election, tmp_path, imported=0)
    first = election.built.exports[trial]
    files = [tmp_path / "a.json", tmp_path / "b.json"]
    files[0].write_bytes(first.to_json())
    files[1].write_bytes(_other_export(election, first.booth_id))
    # Both children load everything, then wait at a barrier (their stdin) to start together.
    code = (
        "import sys\nfrom refvote.cli import main\nimport refvote.cmd_tally, tally.station\n"
        "sys.stdin.readline()\nsys.exit(main(sys.argv[1:]))"
    )
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                code,
                "tally",
                "import",
                "--workspace",
                str(station.workspace),
                str(f),
            ],
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for f in files
    ]
    for c in children:
        assert c.stdin is not None
        c.stdin.write("go\n")
        c.stdin.flush()
    results = [(c, *c.communicate(timeout=300)) for c in children]
    added = [i for i, (c, out, _) in enumerate(results) if c.returncode == 0 and "added" in out]
    assert len(added) == 1, results
    loser = results[1 - added[0]]
    assert loser[0].returncode != 0
    # Refused as a second export, or because the winner held the workspace at that moment.
    assert (
        "a different export of this booth was already imported" in loser[1]
        or "in use by another refvote command" in loser[2]
    ), loser
    stored = station.workspace / "imports" / f"{first.booth_id}.json"
    assert stored.read_bytes() == files[added[0]].read_bytes()
    # Run again one after the other: the second is refused as a second, different export.
    again = refvote(
        "tally", "import", "--workspace", str(station.workspace), str(files[1 - added[0]])
    )
    assert (
        again.returncode == 1
        and "a different export of this booth was already imported" in again.stdout
    )
    assert stored.read_bytes() == files[added[0]].read_bytes()


def test_an_export_written_under_the_import_is_never_replaced(
    election: Election, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a writer that bypassed the lock cannot make one export silently replace another."""
    import tally.station

    station = _station(election, tmp_path, imported=0)
    first = election.built.exports[0]
    other = _other_export(election, first.booth_id)
    real = tally.station.write_atomic

    def racing(path: Path, data: bytes, **kw: object) -> None:
        path.write_bytes(other)  # the other export lands between the check and the write
        real(path, data, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(tally.station, "write_atomic", racing)
    with pytest.raises(ImportRejected, match="a different export of this booth was already"):
        station.import_export(first.to_json())
    assert (station.workspace / "imports" / f"{first.booth_id}.json").read_bytes() == other


# 5. a wrong tally key is found before anything is written ---------------------------------------


def test_wrong_tally_key_writes_nothing(
    election: Election, counted: TallyStation, tmp_path: Path
) -> None:
    wrong = SigningKey.generate()
    before = tree(counted.workspace)
    with pytest.raises(WrongTallyKey, match="not the one the election package names"):
        counted.publish(tmp_path / "record", wrong)
    with pytest.raises(WrongTallyKey):
        counted.prepare(tmp_path / "pre2", wrong)
    write_signing_key(tmp_path / "wrong.key.json", "tally", "impostor", wrong)
    line = one_line_error(
        refvote(
            "tally",
            "publish",
            "--workspace",
            str(counted.workspace),
            "--tally-key",
            str(tmp_path / "wrong.key.json"),
            "--out",
            str(tmp_path / "record"),
        )
    )
    assert "not the one the election package names" in line
    assert not (tmp_path / "record").exists() and not (tmp_path / "record-reports").exists()
    assert not (tmp_path / "pre2").exists() and tree(counted.workspace) == before


# 6. a workspace that does not match the pre-decryption record blames no trustee ----------------


def test_decrypt_into_an_incomplete_workspace_blames_no_trustee(
    election: Election, tmp_path: Path
) -> None:
    station = _station(election, tmp_path, imported=2)  # one booth missing, never prepared
    out = refvote(
        "tally", "combine-shares", "--workspace", str(station.workspace), *map(str, election.shares)
    )
    line = one_line_error(out)
    assert (
        "does not match the pre-decryption record" in line and "1 booths are not imported" in line
    )
    assert "signature does not verify" not in out.stdout + out.stderr
    assert "REFUSED" not in out.stdout
    assert not (station.workspace / "shares").exists()


def test_decrypt_before_prepare_blames_no_trustee(election: Election, tmp_path: Path) -> None:
    station = _station(election, tmp_path)  # every booth, but no pre-decryption record
    with pytest.raises(ImportRejected, match="no pre-decryption record was prepared"):
        station.accept_shares(election.shares[0].read_bytes())


def test_decrypt_into_the_prepared_workspace_accepts_the_shares(
    election: Election, prepared: TallyStation
) -> None:
    out = refvote(
        "tally",
        "combine-shares",
        "--workspace",
        str(prepared.workspace),
        *map(str, election.shares),
    )
    assert out.returncode == 0, out.stderr
    assert "valid shares from trustees [1, 3, 4]" in out.stdout


# 7. untrusted media: no unbounded read, no hang ---------------------------------------------


def test_import_refuses_a_fifo_and_a_link_to_dev_zero(election: Election, tmp_path: Path) -> None:
    station = _station(election, tmp_path, imported=0)
    media = tmp_path / "media"
    media.mkdir()
    (media / "zero.json").symlink_to("/dev/zero")
    os.mkfifo(media / "pipe.json")
    (media / "good.json").write_bytes(election.built.exports[0].to_json())
    out = refvote("tally", "import", "--workspace", str(station.workspace), str(media))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "zero.json: REJECTED, nothing added" in out.stdout and "symbolic link" in out.stdout
    assert "pipe.json: REJECTED, nothing added" in out.stdout and "not a regular file" in out.stdout
    assert "1 accepted, 2 rejected" in out.stdout
    # The same for shares given to `tally decrypt` and a passphrase "file".
    shares = tmp_path / "shares"
    shares.mkdir()
    os.mkfifo(shares / "trustee-01.json")
    line = one_line_error(
        refvote(
            "tally",
            "combine-shares",
            "--workspace",
            str(station.workspace),
            str(shares / "trustee-01.json"),
        )
    )
    assert "does not match the pre-decryption record" in line  # the workspace check first
    prepared_ws = _station(election, tmp_path / "p")
    prepared_ws.prepare(tmp_path / "pre", election.built.tally_key)
    out = refvote(
        "tally",
        "combine-shares",
        "--workspace",
        str(prepared_ws.workspace),
        str(shares / "trustee-01.json"),
    )
    assert "trustee-01.json: REFUSED" in out.stdout and "not a regular file" in out.stdout
    os.mkfifo(tmp_path / "passphrase")
    line = one_line_error(
        refvote(
            "trustee",
            "init",
            "--medium",
            str(tmp_path / "m"),
            "--name",
            "T",
            "--passphrase-file",
            str(tmp_path / "passphrase"),
        )
    )
    assert "passphrase: is not a regular file" in line


# 8. one line, never a traceback, nothing half-written -----------------------------------------


def test_deeply_nested_toml_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "deep.toml").write_text("a = " + "[" * 100_000 + "]" * 100_000)
    line = one_line_error(
        refvote("package", "freeze", str(tmp_path / "deep.toml"), "--out", str(tmp_path / "d.json"))
    )
    assert "deep.toml: nested too deeply" in line
    assert not (tmp_path / "d.json").exists()


def test_missing_output_folder_is_one_line(
    election: Election, prepared: TallyStation, tmp_path: Path
) -> None:
    out = tmp_path / "no" / "such" / "pre"
    line = one_line_error(
        refvote(
            "tally",
            "prepare",
            "--workspace",
            str(prepared.workspace),
            "--tally-key",
            str(election.tally_key_file),
            "--out",
            str(out),
        )
    )
    assert str(tmp_path / "no" / "such") in line and "no such folder" in line
    assert not (tmp_path / "no").exists()


def test_read_only_output_folder_is_one_line(
    election: Election, counted: TallyStation, tmp_path: Path
) -> None:
    # Tests may run as root, for whom chmod does not bite: the file system's refusal is injected.
    prelude = (
        "import errno, os\nreal = os.mkdir\n"
        f"def mkdir(path, *a, **k):\n"
        f"    if str(path).startswith({str(tmp_path / 'ro')!r}):\n"
        "        raise OSError(errno.EROFS, 'Read-only file system', str(path))\n"
        "    return real(path, *a, **k)\n"
        "os.mkdir = mkdir\n"
    )
    (tmp_path / "ro").mkdir()
    line = one_line_error(_publish(election, counted, tmp_path / "ro" / "record", prelude=prelude))
    assert str(tmp_path / "ro" / "record") in line and "read-only" in line
    assert list((tmp_path / "ro").iterdir()) == []


def test_binary_passphrase_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "pass").write_bytes(b"\xff\xfe\x00\x81 not text")
    line = one_line_error(
        refvote(
            "trustee",
            "init",
            "--medium",
            str(tmp_path / "m"),
            "--name",
            "T",
            "--passphrase-file",
            str(tmp_path / "pass"),
        )
    )
    assert "pass: is not UTF-8 text" in line
    assert not (tmp_path / "m" / "identity.json").exists()


@pytest.mark.parametrize("command", ["import", "combine-shares", "prepare", "publish", "status"])
def test_non_existent_workspace_is_one_line(
    election: Election, tmp_path: Path, command: str
) -> None:
    ws = tmp_path / "nowhere"
    extra = {
        "import": [str(election.built.package_folder / "package.json")],
        "combine-shares": [str(election.shares[0])],
        "status": [],
        "prepare": ["--tally-key", str(election.tally_key_file), "--out", str(tmp_path / "o")],
        "publish": ["--tally-key", str(election.tally_key_file), "--out", str(tmp_path / "o")],
    }[command]
    line = one_line_error(refvote("tally", command, "--workspace", str(ws), *extra))
    assert f"{ws} is not a tally workspace" in line
    assert not ws.exists() and not (tmp_path / "o").exists()


def test_memory_error_is_one_line(election: Election, tmp_path: Path) -> None:
    station = _station(election, tmp_path, imported=0)
    prelude = (
        "import tally.station\n"
        "def exhausted(self, data, *checked): raise MemoryError\n"
        "tally.station.TallyStation._import_export = exhausted\n"
    )
    export = tmp_path / "e.json"
    export.write_bytes(election.built.exports[0].to_json())
    line = one_line_error(
        refvote(
            "tally", "import", "--workspace", str(station.workspace), str(export), prelude=prelude
        )
    )
    assert "out of memory" in line
    assert not (station.workspace / "imports").exists()


def test_full_disk_on_prepare_names_the_path(election: Election, tmp_path: Path) -> None:
    station = _station(election, tmp_path)
    prelude = (
        "import errno, os\n"
        "def write(fd, data): raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "os.write = write\n"
    )
    out = tmp_path / "pre"
    line = one_line_error(
        refvote(
            "tally",
            "prepare",
            "--workspace",
            str(station.workspace),
            "--tally-key",
            str(election.tally_key_file),
            "--out",
            str(out),
            prelude=prelude,
        )
    )
    assert str(out) in line and "the disk is full" in line
    assert not out.exists() and leftovers(tmp_path) == []
    assert not (station.workspace / "prepared.json").exists()
