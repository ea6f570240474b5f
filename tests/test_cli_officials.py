"""Issue 11, the officials' and observers' command line: the message catalog (zh-TW first),
production keys and OFFICIAL as a signed package field, `tally status`, `results`, `verify`'s
national table and the observer's check of a closing report."""

from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import math
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from ballots.package import key_fingerprint, verify_package
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.errors import CryptoError, DecryptionFailed
from crypto.keyfile import load_public_key, load_signing_key
from refvote import messages
from refvote.messages import CATALOG, Lang, figure, lang_from_environment, parse_lang, width
from tally.station import TallyStation
from tests.record_helpers import DEFINITION, BuiltRecord, build_record, expected_counts

ROOT = Path(__file__).resolve().parent.parent


def refvote(*args: str, lang: str | None = "en", env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """`refvote ARGS` as a person runs it; `lang` None leaves REFVOTE_LANG unset."""
    environ = {k: v for k, v in os.environ.items() if k not in ("REFVOTE_LANG", "LANG", "LC_ALL")}
    environ.pop("LC_MESSAGES", None)
    if lang is not None:
        environ["REFVOTE_LANG"] = lang
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "refvote.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
        env=environ,
    )


# The catalog ---------------------------------------------------------------------------------


def _fields(text: str) -> set[str]:
    return {f[1] for f in string.Formatter().parse(text) if f[1] is not None}


def test_every_message_exists_in_both_languages_with_the_same_fields() -> None:
    for key, entry in CATALOG.items():
        assert set(entry) == {Lang.ZH, Lang.EN}, key
        assert entry[Lang.ZH].strip() and entry[Lang.EN].strip(), key
        assert _fields(entry[Lang.ZH]) == _fields(entry[Lang.EN]), key


def _keys_used() -> set[str]:
    """Every catalog key the command modules name as a literal (say/t/refuse/h/_fail calls)."""
    used = set()
    for path in [ROOT / "refvote" / "cli.py", *sorted((ROOT / "refvote").glob("cmd_*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            literals = [a.value for a in node.args if isinstance(a, ast.Constant)]
            literals = [v for v in literals if isinstance(v, str)]
            if name in ("say", "t") and literals:
                used.add(literals[0])
            elif name == "h" and literals:
                used.add(f"help.{literals[0]}")
            elif name in ("refuse",) and len(literals) >= 2:
                used.add(literals[1])
            elif name == "_fail" and literals and "." in literals[0]:
                used.add(literals[0])
    return used


def test_every_key_the_commands_use_is_in_the_catalog() -> None:
    used = _keys_used()
    assert len(used) > 150  # the scan found the commands' messages
    missing = sorted(k for k in used if k not in CATALOG)
    assert missing == []


def test_every_option_has_a_help_line_in_both_languages() -> None:
    from refvote.cli import build_parser

    for lang in Lang:
        messages.set_lang(lang)
        try:
            parser = build_parser()
        finally:
            messages.set_lang(Lang.EN)
        seen = 0
        stack = [("refvote", parser)]
        while stack:
            name, p = stack.pop()
            if name.split()[1:2] in (["audit"], ["bench"]):
                continue  # cmd_audit (the audit's own area) and bench: not this module's
            for action in p._actions:
                if isinstance(action, argparse._SubParsersAction):
                    for sub, subparser in action.choices.items():
                        stack.append((f"{name} {sub}", subparser))
                    continue
                seen += 1
                assert action.help, f"{name} {action.option_strings or action.dest}"
        assert seen > 100


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, Lang.ZH),
        ({"LANG": "C.UTF-8"}, Lang.ZH),
        ({"LANG": "zh_TW.UTF-8"}, Lang.ZH),
        ({"LANG": "en_US.UTF-8"}, Lang.EN),
        ({"LANG": "zh_TW.UTF-8", "LC_ALL": "en_GB.UTF-8"}, Lang.EN),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"}, Lang.ZH),
        ({"LANG": "en_US.UTF-8", "REFVOTE_LANG": "zh-TW"}, Lang.ZH),
    ],
)
def test_language_from_the_environment(environ: dict[str, str], expected: Lang) -> None:
    assert lang_from_environment(environ) is expected


def test_parse_lang() -> None:
    assert parse_lang("zh-TW") is Lang.ZH and parse_lang("en") is Lang.EN
    assert parse_lang("fr_FR.UTF-8") is None


@pytest.mark.parametrize(
    "eligible, yes, no, zh, en",
    [
        ("100", "25", "24", "通過", "PASSED"),
        ("19,825,468", "3,804,689", "4,262,517", "不通過", "NOT PASSED"),
        ("100", "30", "30", "不通過", "NOT PASSED"),
    ],
)
def test_rule_speaks_the_locale(eligible: str, yes: str, no: str, zh: str, en: str) -> None:
    args = ("tally", "rule", "--eligible", eligible, "--yes", yes, "--no", no)
    out = refvote(*args, lang=None, env={"LANG": "zh_TW.UTF-8"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == zh
    assert refvote(*args, lang=None).stdout.splitlines()[0] == zh  # no locale: zh-TW
    assert refvote(*args, lang=None, env={"LANG": "en_US.UTF-8"}).stdout.splitlines()[0] == en
    flagged = refvote("--lang", "en", *args, lang=None, env={"LANG": "zh_TW.UTF-8"})
    assert flagged.stdout.splitlines()[0] == en
    after = refvote(*args, "--lang", "en", lang=None)  # --lang after the command too
    assert after.stdout.splitlines()[0] == en


def test_rule_states_the_acts_reasons_in_zh() -> None:
    out = refvote(
        "tally", "rule", "--eligible", "19825468", "--yes", "3804689", "--no", "4262517", lang=None
    )
    assert "有效同意票未多於不同意票" in out.stdout
    assert "有效同意票數未達投票權人總額四分之一" in out.stdout
    assert "4,956,367" in out.stdout  # ceil(19,825,468 / 4)


def test_refusal_leads_with_what_to_do() -> None:
    out = refvote("tally", "rule", "--eligible", "10", "--yes", "8", "--no", "5", lang=None)
    assert out.returncode == 2
    line = out.stderr.strip()
    assert line.startswith("refvote tally: 請檢查輸入的數字") and "詳情：" in line
    assert line.index("請檢查") < line.index("exceeds")


@pytest.mark.parametrize(
    "text, value", [("19,825,468", 19825468), ("19825468", 19825468), ("0", 0), ("1，000", 1000)]
)
def test_figures_with_thousands_separators(text: str, value: int) -> None:
    assert figure(text) == value


@pytest.mark.parametrize("text", ["1,2345", "12,34", ",123", "1.5", "-3", "", "1 000"])
def test_figures_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        figure(text)


def test_cjk_columns_align_by_display_width() -> None:
    assert width("臺北市") == 6 and width("ABC") == 3 and width("第17案") == 6
    lines = messages.table(["區域", "N"], [["臺北市", "1,234"], ["Hualien", "5"]], frozenset({1}))
    assert len({width(line) for line in lines}) == 1
    assert all(line.endswith(cell) for line, cell in zip(lines, ["N", "1,234", "5"], strict=True))


def test_tally_decrypt_names_its_new_name() -> None:
    out = refvote("tally", "decrypt", "--workspace", "ws", "medium")
    assert out.returncode == 2 and "tally combine-shares" in out.stderr


# Production keys and OFFICIAL ----------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    tmp = tmp_path_factory.mktemp("officials")
    record = build_record(tmp, ballots=24, challenged=2, voided=1, quorum=(1, 3, 4))
    (tmp / "definition.toml").write_text(DEFINITION, encoding="utf-8")
    return record


def _inputs(tmp: Path) -> Path:
    """definition.json and a roll for the record helpers' definition."""
    (tmp / "definition.toml").write_text(DEFINITION, encoding="utf-8")
    out = refvote(
        "package", "freeze", str(tmp / "definition.toml"), "--out", str(tmp / "definition.json")
    )
    assert out.returncode == 0, out.stderr
    (tmp / "roll.csv").write_text(
        "station_id,serial_number\n"
        + "".join(f"S1,N{i:09d}\n" for i in range(40))
        + "".join(f"S2,M{i:09d}\n" for i in range(30)),
        encoding="utf-8",
    )
    return tmp / "definition.json"


def _build(tmp: Path, built: BuiltRecord, keys: dict[str, Path], out: Path, *extra: str):  # type: ignore[no-untyped-def]
    return refvote(
        "package",
        "build",
        "--definition",
        str(tmp / "definition.json"),
        "--ceremony",
        str(built.folder.parent / "ceremony"),
        "--authority-key",
        str(keys["authority"]),
        "--tally-key",
        str(keys["tally"]),
        "--booth-keys",
        str(keys["booths"]),
        "--station-keys",
        str(keys["stations"]),
        "--pins",
        str(keys["pins"]),
        "--roll",
        str(tmp / "roll.csv"),
        "--out",
        str(out),
        *extra,
    )


def test_production_keys_build_an_official_package(built: BuiltRecord, tmp_path: Path) -> None:
    definition = _inputs(tmp_path)
    (tmp_path / "pass").write_text("a passphrase long enough\n", encoding="utf-8")
    fingerprints = {}
    for role, extra in (
        ("authority", []),
        ("tally", []),
        ("booth", ["--definition", str(definition)]),
        ("station", ["--definition", str(definition)]),
    ):
        out = refvote(
            "keys",
            role,
            "--out",
            str(tmp_path / role),
            "--passphrase-file",
            str(tmp_path / "pass"),
            *extra,
            lang="zh-TW",
        )
        assert out.returncode == 0, out.stderr
        fingerprints[role] = re.findall(
            r"[A-Z2-7]{4} [A-Z2-7]{4} [A-Z2-7]{4} [A-Z2-7]{4}", out.stdout
        )
    assert len(fingerprints["booth"]) == 3 and len(fingerprints["station"]) == 2
    # The private files are sealed: the seed is nowhere in them, and a wrong passphrase fails.
    sealed = tmp_path / "authority" / "authority.key.json"
    assert oct(sealed.stat().st_mode & 0o777) == "0o600"
    key = load_signing_key(sealed, "authority", "a passphrase long enough")
    assert not key.demo and key.key.seed().hex() not in sealed.read_text()
    assert key_fingerprint(key.key.verify_key) == fingerprints["authority"][0]
    with pytest.raises(DecryptionFailed):
        load_signing_key(sealed, "authority", "another passphrase, long")
    assert load_public_key(tmp_path / "tally" / "tally.pub.json", "tally").demo is False
    keys = {
        "authority": sealed,
        "tally": tmp_path / "tally" / "tally.pub.json",
        "booths": tmp_path / "booth",
        "stations": tmp_path / "station",
        "pins": tmp_path / "station" / "poll-worker-pins.csv",
    }
    out = _build(
        tmp_path,
        built,
        keys,
        tmp_path / "package",
        "--official",
        "--passphrase-file",
        str(tmp_path / "pass"),
    )
    assert out.returncode == 0, out.stderr
    assert "OFFICIAL" in out.stdout
    package = parse_canonical_json((tmp_path / "package" / "package.json").read_bytes())
    assert package["official"] is True
    verified = verify_package(tmp_path / "package", fingerprints["authority"][0])
    assert verified.public.official is True
    shown = refvote(
        "package",
        "inspect",
        str(tmp_path / "package"),
        "--authority",
        fingerprints["authority"][0],
        lang=None,
    )
    assert shown.returncode == 0, shown.stderr
    assert "正式（OFFICIAL，已簽署）" in shown.stdout
    assert "主文：您是否同意核四啟封商轉發電？" in shown.stdout  # the full text, not a nickname
    # The field is signed: flipping it breaks the authority's signature.
    package["official"] = False
    (tmp_path / "package" / "package.json").write_bytes(canonical_json(package))
    with pytest.raises(CryptoError, match="signature"):
        verify_package(tmp_path / "package")


def test_demo_keys_never_make_an_official_package(built: BuiltRecord, tmp_path: Path) -> None:
    definition = _inputs(tmp_path)
    out = refvote("dev", "keys", "--definition", str(definition), "--out", str(tmp_path / "keys"))
    assert out.returncode == 0, out.stderr
    assert parse_canonical_json((tmp_path / "keys/authority.key.json").read_bytes())["demo"] is True
    assert load_public_key(tmp_path / "keys/tally.pub.json", "tally").demo is True
    keys = {
        "authority": tmp_path / "keys/authority.key.json",
        "tally": tmp_path / "keys/tally.pub.json",
        "booths": tmp_path / "keys/booths",
        "stations": tmp_path / "keys/stations",
        "pins": tmp_path / "keys/poll-worker-pins.csv",
    }
    refused = _build(tmp_path, built, keys, tmp_path / "official", "--official")
    assert refused.returncode == 1 and "refvote keys" in refused.stderr and "demo" in refused.stderr
    assert not (tmp_path / "official").exists()
    test = _build(tmp_path, built, keys, tmp_path / "test")
    assert test.returncode == 0, test.stderr
    assert verify_package(tmp_path / "test").public.official is False
    # One demo key among production ones is enough to refuse.
    (tmp_path / "pass").write_text("a passphrase long enough\n", encoding="utf-8")
    assert (
        refvote(
            "keys",
            "authority",
            "--out",
            str(tmp_path / "prod"),
            "--passphrase-file",
            str(tmp_path / "pass"),
        ).returncode
        == 0
    )
    mixed = {**keys, "authority": tmp_path / "prod/authority.key.json"}
    out = _build(
        tmp_path,
        built,
        mixed,
        tmp_path / "mixed",
        "--official",
        "--passphrase-file",
        str(tmp_path / "pass"),
    )
    assert out.returncode == 1 and "tally.pub.json" in out.stderr
    assert not (tmp_path / "mixed").exists()


def test_a_demo_marker_cannot_be_dropped_from_a_clear_key(tmp_path: Path) -> None:
    from crypto.keyfile import write_signing_key
    from crypto.signing import SigningKey

    path = tmp_path / "k.json"
    write_signing_key(path, "authority", "authority", SigningKey.generate())
    obj = parse_canonical_json(path.read_bytes())
    del obj["demo"]
    path.write_bytes(canonical_json(obj))
    with pytest.raises(CryptoError, match="demo"):
        load_signing_key(path, "authority")


def test_the_booth_takes_official_from_the_package() -> None:
    import dataclasses

    from booth.booth import BoothParts

    assert "official" not in {f.name for f in dataclasses.fields(BoothParts)}


# tally status --------------------------------------------------------------------------------


def test_tally_status_from_first_import_to_publish(built: BuiltRecord, tmp_path: Path) -> None:
    fingerprint = key_fingerprint(built.authority.verify_key)
    station = TallyStation(tmp_path / "ws")
    station.init(built.package_folder, fingerprint)
    station.import_export(built.exports[0].to_json())  # S1-A
    out = refvote("tally", "status", "--workspace", str(tmp_path / "ws"), lang=None)
    assert out.returncode == 0, out.stderr
    rows = {
        line.split()[0]: line for line in out.stdout.splitlines() if line.strip().startswith("S")
    }
    assert "1/2" in rows["S1"] and "S1-B" in rows["S1"]
    assert "0/1" in rows["S2"] and "S2-A" in rows["S2"]
    assert "投票機：已送 1／應送 3" in out.stdout
    assert "下一步：匯入其餘 2 部投票機" in out.stdout
    for e in built.exports[1:]:
        station.import_export(e.to_json())
    out = refvote("tally", "status", "--workspace", str(tmp_path / "ws"))
    assert (
        "booths: 3 imported of 3" in out.stdout and "next: write the pre-decryption" in out.stdout
    )
    station.prepare(tmp_path / "pre", built.tally_key)
    shares = sorted((built.folder / "tally/shares").glob("*.json"))
    station.accept_shares(shares[0].read_bytes())
    out = refvote("tally", "status", "--workspace", str(tmp_path / "ws"))
    assert "decryption shares: trustees 1 (1; k = 3 needed)" in out.stdout
    assert "next: 2 more trustees give shares" in out.stdout
    for s in shares[1:]:
        station.accept_shares(s.read_bytes())
    out = refvote("tally", "status", "--workspace", str(tmp_path / "ws"))
    assert "trustees 1, 3, 4 (3;" in out.stdout and "next: publish" in out.stdout


def test_combine_shares_names_a_medium_without_shares(built: BuiltRecord, tmp_path: Path) -> None:
    station = TallyStation(tmp_path / "ws")
    station.init(built.package_folder, key_fingerprint(built.authority.verify_key))
    for e in built.exports:
        station.import_export(e.to_json())
    station.prepare(tmp_path / "pre", built.tally_key)
    empty = tmp_path / "medium-empty"
    (empty / "outbox" / "shares").mkdir(parents=True)
    share = sorted((built.folder / "tally/shares").glob("*.json"))[0]
    out = refvote(
        "tally", "combine-shares", "--workspace", str(tmp_path / "ws"), str(share), str(empty)
    )
    assert f"medium {empty}: holds no shares file" in out.stdout
    assert "valid shares from trustees [1]" in out.stdout
    assert out.returncode == 1 and "2 more trustee(s) needed" in out.stderr


def test_publish_refuses_another_authority_than_the_pinned_one(
    built: BuiltRecord, tmp_path: Path
) -> None:
    from crypto.keyfile import write_signing_key
    from crypto.signing import SigningKey

    station = TallyStation(tmp_path / "ws")
    station.init(built.package_folder, key_fingerprint(built.authority.verify_key))
    write_signing_key(tmp_path / "tally.key.json", "tally", "tally", built.tally_key)
    other = key_fingerprint(SigningKey.generate().verify_key)
    out = refvote(
        "tally",
        "publish",
        "--workspace",
        str(tmp_path / "ws"),
        "--tally-key",
        str(tmp_path / "tally.key.json"),
        "--out",
        str(tmp_path / "record"),
        "--authority",
        other,
    )
    assert out.returncode == 1 and "differs from the one pinned" in out.stderr
    assert not (tmp_path / "record").exists()


def test_tally_init_requires_the_authority(built: BuiltRecord, tmp_path: Path) -> None:
    out = refvote(
        "tally", "init", "--package", str(built.package_folder), "--workspace", str(tmp_path / "ws")
    )
    assert out.returncode == 2 and "--authority" in out.stderr
    assert not (tmp_path / "ws").exists()


# results and verify --------------------------------------------------------------------------


def _expected(built: BuiltRecord, level: str) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """(area, question) → (eligible, yes, no, blank), summed here from the simulated casts."""
    from ballots.definition import load_source

    definition = load_source(DEFINITION)
    counts = expected_counts(built)
    out: dict[tuple[str, str], list[int]] = {}
    for s in definition.stations:
        area = {
            "nation": "",
            "county": s.county,
            "township": f"{s.county}/{s.township}",
            "station": s.station_id,
        }[level]
        for q in definition.question_ids():
            row = out.setdefault((area, q), [0, 0, 0, 0])
            yes, no, blank = counts.get((s.station_id, q), (0, 0, 0))
            row[1] += yes
            row[2] += no
            row[3] += blank
        for q in definition.question_ids():
            out[(area, q)][0] += s.eligible
    return {k: (v[0], v[1], v[2], v[3]) for k, v in out.items()}


@pytest.mark.parametrize("level", ["nation", "county", "township", "station"])
def test_results_at_each_level(built: BuiltRecord, level: str) -> None:
    fingerprint = key_fingerprint(built.authority.verify_key)
    out = refvote(
        "results", str(built.folder), "--authority", fingerprint, "--level", level, "--json"
    )
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    expected = _expected(built, level)
    assert {(r["area"], r["question_id"]) for r in rows} == set(expected)
    for r in rows:
        eligible, yes, no, blank = expected[(r["area"], r["question_id"])]
        assert (r["eligible"], r["yes"], r["no"], r["invalid"]) == (eligible, yes, no, blank)
        assert r["valid"] == yes + no and r["ballots"] == yes + no + blank
        if level == "nation":
            assert r["threshold"] == math.ceil(eligible / 4)
            assert r["passed"] is (yes > no and yes >= math.ceil(eligible / 4))
        else:
            assert r["threshold"] is None and r["passed"] is None


def test_results_table_in_zh_with_the_cec_columns(built: BuiltRecord) -> None:
    fingerprint = key_fingerprint(built.authority.verify_key)
    out = refvote(
        "results", str(built.folder), "--authority", fingerprint, "--level", "county", lang=None
    )
    assert out.returncode == 0, out.stderr
    for column in (
        "投票權人數",
        "投票數",
        "有效票數",
        "同意票數",
        "不同意票數",
        "無效票數（含空白）",
        "投票率",
        "有效同意票數對投票權人數",
    ):
        assert column in out.stdout
    table = [line for line in out.stdout.splitlines()[1:] if line.strip() and "理由" not in line]
    assert len({width(line.rstrip()) for line in table[:1]}) == 1
    assert any(line.startswith("臺北市") for line in table) and any(
        line.startswith("新北市") for line in table
    )


def test_results_csv_for_excel_and_area_filter(built: BuiltRecord) -> None:
    fingerprint = key_fingerprint(built.authority.verify_key)
    out = refvote(
        "results",
        str(built.folder),
        "--authority",
        fingerprint,
        "--level",
        "township",
        "--area",
        "板橋區",
        "--csv",
        lang=None,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out.stdout.lstrip("\ufeff"))))
    assert rows[0][0] == "區域" and rows[0][2] == "投票權人數"
    assert [r[0] for r in rows[1:]] == ["新北市 板橋區", "新北市 板橋區"]
    missing = refvote(
        "results",
        str(built.folder),
        "--authority",
        fingerprint,
        "--level",
        "county",
        "--area",
        "花蓮縣",
    )
    assert missing.returncode == 2 and "花蓮縣" in missing.stderr


def test_results_refuse_an_unverified_record(built: BuiltRecord) -> None:
    from crypto.signing import SigningKey

    other = key_fingerprint(SigningKey.generate().verify_key)
    out = refvote("results", str(built.folder), "--authority", other, "--json")
    assert out.returncode == 1 and out.stdout == ""
    assert "does NOT verify" in out.stderr


def test_verify_ends_with_the_national_table(built: BuiltRecord) -> None:
    fingerprint = key_fingerprint(built.authority.verify_key)
    out = refvote("verify", str(built.folder), "--authority", fingerprint, lang=None)
    assert out.returncode == 0, out.stdout + out.stderr
    tail = out.stdout.split("every check passed")[1]
    assert "全國開票結果" in tail and "投票權人數" in tail and "全國" in tail
    assert ("不通過" in tail) or ("通過" in tail)


# The observer's check of a closing report ------------------------------------------------------


def _printed_close(code: bytes) -> str:
    text = code.hex()
    groups = [text[i : i + 4] for i in range(0, 64, 4)]
    return " ".join(groups[:8]) + "\n" + " ".join(groups[8:])


def test_observer_checks_a_closing_report(built: BuiltRecord) -> None:
    fingerprint = key_fingerprint(built.authority.verify_key)
    export = next(e for e in built.exports if e.booth_id == "S1-B")
    c = export.counts
    counts = f"{c.cast},{c.challenged},{c.voided}"
    close = _printed_close(export.close)
    out = refvote(
        "verify",
        str(built.folder),
        "--authority",
        fingerprint,
        "--station",
        "S1",
        "--close",
        close,
        "--counts",
        counts,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "MATCHES: booth S1-B (station S1)" in out.stdout
    zh = refvote(
        "verify",
        str(built.folder),
        "--authority",
        fingerprint,
        "--station",
        "S1",
        "--close",
        close.upper(),
        "--counts",
        f"{c.cast}/{c.challenged}/{c.voided}",
        lang=None,
    )
    assert zh.returncode == 0 and "相符" in zh.stdout
    wrong_counts = refvote(
        "verify",
        str(built.folder),
        "--authority",
        fingerprint,
        "--station",
        "S1",
        "--close",
        close,
        "--counts",
        f"{c.cast + 1},{c.challenged},{c.voided}",
    )
    assert wrong_counts.returncode == 1 and "counts differ" in wrong_counts.stderr
    other_station = refvote(
        "verify",
        str(built.folder),
        "--authority",
        fingerprint,
        "--station",
        "S2",
        "--close",
        close,
        "--counts",
        counts,
    )
    assert other_station.returncode == 1 and "no booth of S2" in other_station.stderr
    flipped = bytes([export.close[0] ^ 1]) + export.close[1:]
    wrong_code = refvote(
        "verify",
        str(built.folder),
        "--authority",
        fingerprint,
        "--station",
        "S1",
        "--close",
        flipped.hex(),
        "--counts",
        counts,
    )
    assert wrong_code.returncode == 1 and "closed with this code" in wrong_code.stderr
    unknown = refvote(
        "verify",
        str(built.folder),
        "--authority",
        fingerprint,
        "--station",
        "S9",
        "--close",
        close,
        "--counts",
        counts,
    )
    assert unknown.returncode == 1 and "S9" in unknown.stderr


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--station", "S1"], "together"),
        (["--station", "S1", "--close", "abcd", "--counts", "1,0,0"], "64 hex digits"),
        (["--station", "S1", "--close", "00" * 32, "--counts", "1,0"], "CAST,CHALLENGED,VOIDED"),
    ],
)
def test_observer_usage_errors(built: BuiltRecord, extra: list[str], message: str) -> None:
    fingerprint = key_fingerprint(built.authority.verify_key)
    out = refvote("verify", str(built.folder), "--authority", fingerprint, *extra)
    assert out.returncode == 2 and message in out.stderr


def test_observer_check_needs_a_pinned_authority(built: BuiltRecord) -> None:
    out = refvote(
        "verify", str(built.folder), "--station", "S1", "--close", "00" * 32, "--counts", "1,0,0"
    )
    assert out.returncode == 2 and "--authority" in out.stderr


def test_observer_check_of_a_tampered_record_fails(built: BuiltRecord, tmp_path: Path) -> None:
    import shutil

    from tests.record_helpers import edit

    copy = tmp_path / "record"
    shutil.copytree(built.folder, copy)
    export = next(e for e in built.exports if e.booth_id == "S1-A")
    path = copy / "booths" / "S1-A.json"

    def more_cast(obj):  # type: ignore[no-untyped-def]
        obj["counts"]["cast"] += 1

    edit(copy, str(path.relative_to(copy)), more_cast)
    c = export.counts
    out = refvote(
        "verify",
        str(copy),
        "--authority",
        key_fingerprint(built.authority.verify_key),
        "--station",
        "S1",
        "--close",
        export.close.hex(),
        "--counts",
        f"{c.cast + 1},{c.challenged},{c.voided}",
    )
    assert out.returncode == 1 and "MATCHES" not in out.stdout


def test_the_pinned_authority_guards_every_later_command(
    built: BuiltRecord, tmp_path: Path
) -> None:
    from crypto.signing import SigningKey

    station = TallyStation(tmp_path / "ws")
    station.init(built.package_folder, key_fingerprint(built.authority.verify_key))
    pinned = parse_canonical_json((tmp_path / "ws" / "authority.json").read_bytes())
    assert pinned["fingerprint"] == key_fingerprint(built.authority.verify_key)
    # Another fingerprint pinned (a swapped file, or a package replaced inside the workspace):
    # the workspace's package no longer verifies, and no command goes on.
    pinned["fingerprint"] = key_fingerprint(SigningKey.generate().verify_key)
    (tmp_path / "ws" / "authority.json").write_bytes(canonical_json(pinned))
    out = refvote("tally", "status", "--workspace", str(tmp_path / "ws"))
    assert out.returncode == 1 and "authority key other than the one given" in out.stderr


def test_a_workspace_without_a_pinned_authority_cannot_publish(
    built: BuiltRecord, tmp_path: Path
) -> None:
    from crypto.keyfile import write_signing_key

    TallyStation(tmp_path / "ws").init(built.package_folder, None)
    assert not (tmp_path / "ws" / "authority.json").exists()
    write_signing_key(tmp_path / "tally.key.json", "tally", "tally", built.tally_key)
    out = refvote(
        "tally",
        "publish",
        "--workspace",
        str(tmp_path / "ws"),
        "--tally-key",
        str(tmp_path / "tally.key.json"),
        "--out",
        str(tmp_path / "record"),
    )
    assert out.returncode == 1 and "tally init --authority" in out.stderr
    assert not (tmp_path / "record").exists()


def test_commands_open_a_sealed_production_key_with_its_passphrase(tmp_path: Path) -> None:
    """booth, tally prepare/publish and manual-count open keys through one function: a sealed
    key (`refvote keys`) with its passphrase from --passphrase-file, a demo key as it is; a
    wrong passphrase or none to type is refused, never a key used without it."""
    from crypto.errors import CryptoError
    from crypto.keyfile import write_sealed_signing_key, write_signing_key
    from crypto.signing import SigningKey
    from refvote.passphrase import PassphraseUnavailable, open_signing_key

    key = SigningKey.generate()
    sealed, demo = tmp_path / "tally.key.json", tmp_path / "demo.key.json"
    write_sealed_signing_key(sealed, "tally", "tally", key, "correct horse battery")
    write_signing_key(demo, "tally", "tally", key)
    right, wrong = tmp_path / "right.txt", tmp_path / "wrong.txt"
    right.write_text("correct horse battery\n", encoding="utf-8")
    wrong.write_text("incorrect horse battery\n", encoding="utf-8")

    opened = open_signing_key(sealed, "tally", str(right), "passphrase")
    assert opened.key.verify_key == key.verify_key and not opened.demo
    assert open_signing_key(demo, "tally", None, "passphrase").demo
    with pytest.raises(CryptoError):
        open_signing_key(sealed, "tally", str(wrong), "passphrase")
    with pytest.raises(PassphraseUnavailable):  # no file and no terminal (pytest's stdin)
        open_signing_key(sealed, "tally", None, "passphrase")
