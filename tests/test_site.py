"""The public results site (issue 13), without a browser: it is built only from a record that
verifies against the pinned authority, it is deterministic, its numbers are the count's, and its
lookup index holds every chain entry with its fate. tests/test_site_browser.py runs it in
Chromium."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ballots.ballot import Choice
from ballots.lookup import LookupStatus
from ballots.lookup import lookup as find
from ballots.package import key_fingerprint
from tally.site import SiteError, build_site
from tests.record_helpers import BuiltRecord, build_record, edit, expected_counts, resign_index
from tests.test_tally import Election, election  # noqa: F401  (the end-to-end election)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("site-record"), ballots=40, challenged=3, voided=2)


@pytest.fixture(scope="module")
def site(built: BuiltRecord, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site-out") / "site"
    build_site(built.folder, key_fingerprint(built.authority.verify_key), out)
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _shard_rows(site: Path) -> Iterator[list[object]]:
    for shard in sorted((site / "codes").iterdir()):
        text = shard.read_text()
        match = re.fullmatch(r'refvoteCodes\("([A-Z2-7]+)",(.*)\);\n', text, re.S)
        assert match is not None, shard.name
        assert shard.name == f"{match.group(1)}.js"
        for row in json.loads(match.group(2)):
            assert str(row[0]).startswith(match.group(1))
            yield row


def test_rebuild_is_byte_for_byte_identical(built: BuiltRecord, site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build_site(built.folder, key_fingerprint(built.authority.verify_key), again)
    assert _files(again) == _files(site)


def test_site_refuses_a_record_that_does_not_verify(built: BuiltRecord, tmp_path: Path) -> None:
    import shutil

    record = tmp_path / "record"
    shutil.copytree(built.folder, record)
    # A count changed and the index re-signed by the tally key: V3 passes, V12 does not.
    edit(record, "tally/results.json", lambda o: o["sums"][0].__setitem__("yes", 0))
    resign_index(record, built.tally_key)
    out = tmp_path / "site"
    with pytest.raises(SiteError, match="does not verify"):
        build_site(record, key_fingerprint(built.authority.verify_key), out)
    assert not out.exists()


def test_site_refuses_another_authority(built: BuiltRecord, tmp_path: Path) -> None:
    from crypto.signing import SigningKey

    out = tmp_path / "site"
    with pytest.raises(SiteError, match="V1"):
        build_site(built.folder, key_fingerprint(SigningKey.generate().verify_key), out)
    assert not out.exists()
    with pytest.raises(SiteError, match="--authority"):
        build_site(built.folder, "not a fingerprint", out)
    assert not out.exists()


def test_station_pages_show_the_count(built: BuiltRecord, site: Path) -> None:
    """Numbers on each station page equal those recomputed from the simulated voters' choices."""
    expected = expected_counts(built)
    for sid, eligible in (("S1", 40), ("S2", 30)):
        page = (site / "station" / f"{sid}.html").read_text()
        tables = re.findall(r'<table class="one">(.*?)</table>', page)
        assert len(tables) == 2  # one summary per question
        for qid, table in zip(("17", "18"), tables, strict=True):
            cells = [c.replace(",", "") for c in re.findall(r"<td[^>]*>([^<]*)</td>", table)]
            yes, no, blank = expected.get((sid, qid), (0, 0, 0))
            ballots = yes + no + blank
            assert cells[:6] == [
                str(eligible),
                str(ballots),
                str(yes + no),
                str(yes),
                str(no),
                str(blank),
            ]
            assert cells[6] == f"{100 * ballots / eligible:.2f}%"
            assert cells[7] == str(-(-eligible // 4))


def test_lookup_index_holds_every_chain_entry_with_its_fate(built: BuiltRecord, site: Path) -> None:
    rows = list(_shard_rows(site))
    entries = sum(len(e.chain) for e in built.exports)
    assert len(rows) == entries == 40 + 3 + 2
    base = built.exports[0].base
    kinds = {
        "cast": LookupStatus.CAST,
        "challenged": LookupStatus.CHALLENGED,
        "void": LookupStatus.VOIDED,
    }
    seen = {"cast": 0, "challenged": 0, "void": 0}
    names = {"S1": ["測試國小", "臺北市 中正區"], "S2": ["測試國中", "新北市 板橋區"]}
    for short, full, kind, station, booth, reveal, *place in rows:
        assert place == names[str(station)]
        # ballots.lookup finds the code by its own linear replay: an independent path.
        answer = find(built.exports, base, str(full))
        assert answer.status is kinds[str(kind)]
        assert (answer.station_id, answer.booth_id) == (station, booth)
        assert find(built.exports, base, str(short)).code == bytes.fromhex(str(full))
        seen[str(kind)] += 1
        if kind == "challenged":
            assert answer.reveal is not None
            assert reveal == [
                [r.question_id, Choice.from_plaintext(r.m, 65536).value] for r in answer.reveal
            ]
        else:
            assert reveal is None
    assert seen == {"cast": 40, "challenged": 3, "void": 2}


def test_no_external_reference_in_any_file(site: Path) -> None:
    for relative, data in _files(site).items():
        text = data.decode()
        assert not re.search(r"(https?:|wss?:|//[a-z])", text, re.I), relative


def test_cli_site_writes_the_same_site(built: BuiltRecord, site: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli-site"
    fp = key_fingerprint(built.authority.verify_key)
    cmd = [
        sys.executable,
        "-m",
        "refvote.cli",
        "site",
        str(built.folder),
        "--authority",
        fp,
        "--out",
        str(out),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert str(out / "index.html") in done.stdout
    assert _files(out) == _files(site)
    again = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert "Traceback" not in again.stderr


def test_tally_publish_writes_the_site_next_to_the_record(
    election: Election,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    """`refvote tally publish` wrote RECORD-site/, the same bytes `refvote site` gives."""
    written = election.tmp / "record-site"
    assert f"open {written.resolve()}/index.html" in election.publish_output
    rebuilt = tmp_path / "rebuilt"
    build_site(election.tmp / "record", election.fingerprint, rebuilt)
    assert _files(rebuilt) == _files(written)


def test_verify_page(built: BuiltRecord, site: Path) -> None:
    from crypto.hashing import file_fingerprint, group_for_reading

    page = (site / "verify.html").read_text()
    record_fp = file_fingerprint((built.folder / "index.json").read_bytes())  # recomputed here
    assert group_for_reading(record_fp) in page and record_fp.hex() in page
    assert "受託人 1: T1" in page and "受託人 3: T3" in page and "受託人 4: T4" in page
    assert "受託人 2:" not in page  # quorum (1, 3, 4) only
    # The commands never carry the fingerprint from the page: the reader brings the anchor.
    fp = key_fingerprint(built.authority.verify_key)
    assert "--authority FINGERPRINT" in page and f'--authority "{fp}"' not in page


def test_pages_quote_article_29_verbatim(site: Path) -> None:
    """Art. 29 is quoted word for word (the law's text, typed here independently), not
    paraphrased, on the national and area pages of both languages."""
    from tests.test_reports import ART29_OFFICIAL

    for page in ("index.html", "station/S1.html", "en/index.html", "en/county/001.html"):
        text = (site / page).read_text()
        assert f"「{ART29_OFFICIAL}」" in text, page
        assert "達投票權人總數四分之一以上者" not in text  # the old paraphrase
    assert '<span lang="zh-TW">「' in (site / "en" / "index.html").read_text()


def test_hand_counted_booths_are_marked(tmp_path: Path, site: Path) -> None:
    """A lost booth's box counted by hand (results.json manual_counts): its station page and the
    national page say so, in both languages; a record without one marks nothing."""
    record = build_record(tmp_path / "r", ballots=30, challenged=1, voided=0, manual=("S1-B",))
    out = tmp_path / "site"
    build_site(record.folder, key_fingerprint(record.authority.verify_key), out)
    s1, s2 = (out / "station/S1.html").read_text(), (out / "station/S2.html").read_text()
    assert "含人工計票" in s1 and '<span class="code">S1-B</span>' in s1
    assert "S1-A" not in s1.split("V16")[-1].split("</p>")[0]  # only the lost booth is named
    assert "含人工計票" not in s2
    nation = (out / "index.html").read_text()
    assert "含人工計票之投開票所" in nation and 'href="station/S1.html"' in nation
    assert 'href="station/S2.html"' not in nation
    assert "hand-counted" in (out / "en/station/S1.html").read_text()
    assert "hand count" in (out / "en/index.html").read_text()
    township = next(p for p in (out / "township").iterdir() if "測試國小" in p.read_text())
    assert "（含人工計票）" in township.read_text()
    for page in site.rglob("*.html"):  # the shared record has no hand count
        text = page.read_text()
        assert "含人工計票" not in text and "hand-counted" not in text, page


def test_area_links_stay_in_the_page_language(site: Path) -> None:
    """Breadcrumbs and the next level's links of an English page lead to English pages (and a
    Chinese page's to Chinese ones); only the language switch crosses over."""
    import posixpath

    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        english = rel.startswith("en/")
        text = page.read_text()
        text = re.sub(r'<a [^>]*id="switch-lang"[^>]*>', "", text)
        for href in re.findall(r'href="([^"#]+\.html)"', text):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), href))
            assert target.startswith("en/") == english, (rel, href)
            assert (site / target).is_file(), (rel, href)
