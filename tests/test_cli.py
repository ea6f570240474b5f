"""The command line as an operator runs it: real subprocesses, real exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def refvote(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "refvote.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )


def test_version() -> None:
    out = refvote("--version")
    assert out.returncode == 0 and out.stdout.strip() == "refvote 0.1.0"


def test_version_loads_no_cryptography() -> None:
    code = (
        "import sys; from refvote.cli import main; "
        "print(sorted(m for m in sys.modules if m.startswith(('crypto', 'nacl'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "[]"


def test_crypto_selftest_decrypts_what_it_encrypted() -> None:
    out = refvote("crypto", "selftest", "--ballots", "12")
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert any("CVE-2025-69277" in line and line.endswith("ok") for line in lines)
    assert any(line.strip().startswith("key ceremony 3 of 5") and " ok " in line for line in lines)
    assert (
        sum(1 for line in lines if line.strip().startswith("question") and line.endswith(" ok"))
        == 4
    )
    assert lines[-1] == "refvote crypto selftest: all checks passed"


def test_selftest_rejects_nonsense() -> None:
    out = refvote("crypto", "selftest", "--ballots", "0")
    assert out.returncode == 2 and "at least 1" in out.stdout


def test_bench_without_the_peer_names_the_make_command(tmp_path: Path) -> None:
    out = refvote("bench", "--peer-python", str(tmp_path / "missing" / "python"))
    assert out.returncode == 3
    assert "make bench" in out.stderr and "electionguard==1.4.0" in out.stderr


def test_bench_refuses_too_few_runs() -> None:
    out = refvote("bench", "--runs", "5")
    assert out.returncode == 2 and "at least 31" in out.stderr


@pytest.mark.parametrize("args", [[], ["crypto"], ["nonsense"]])
def test_usage_errors(args: list[str]) -> None:
    out = refvote(*args)
    assert out.returncode == 2 and "usage: refvote" in out.stderr
