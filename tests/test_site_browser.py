"""The public results site in a real headless Chromium (Debian's chromium and chromium-driver,
installed by the Makefile), from file://, with the network blocked and every request recorded:
any request for something outside the site's folder fails the test.

`python -m tests.test_site_browser DIR` writes the screenshots of docs/screenshots/.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ballots.package import key_fingerprint
from tally.site import build_site
from tests.record_helpers import BuiltRecord, build_record

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing can leave the machine
)
DESKTOP = (1280, 1000)
PHONE = (390, 844)


@contextmanager
def chromium(size: tuple[int, int] = DESKTOP, phone: bool = False) -> Iterator[Any]:
    """A fresh headless Chromium (its own profile folder) logging every network request."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Debian's chromium and chromium-driver are missing: run `make apt`")
    profile = tempfile.mkdtemp(prefix="refvote-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    if phone:
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": size[0], "height": size[1], "pixelRatio": 1.0}},
        )
    else:
        options.add_argument(f"--window-size={size[0]},{size[1]}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]}
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def requests(driver: Any) -> list[str]:
    """The URLs the page requested since the last call (from Chromium's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def outside(driver: Any, site: Path) -> list[str]:
    root = site.resolve().as_uri() + "/"
    return [u for u in requests(driver) if not u.startswith(root) and not u.startswith("data:")]


def wait_for(driver: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, css))


# Fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("browser-record"), ballots=30, challenged=2)


@pytest.fixture(scope="module")
def site(built: BuiltRecord, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser-site") / "site"
    build_site(built.folder, key_fingerprint(built.authority.verify_key), out)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


@pytest.fixture
def guarded(browser: Any, site: Path) -> Iterator[Any]:
    """The browser; after the test, no request may have left the site's folder."""
    requests(browser)  # drop what earlier tests left in the log
    yield browser
    assert outside(browser, site) == []


def _codes(site: Path) -> list[list[Any]]:
    rows = []
    for shard in sorted((site / "codes").iterdir()):
        rows.extend(json.loads(shard.read_text().split(",", 1)[1][:-3]))
    return rows


def _results(built: BuiltRecord) -> dict[str, Any]:
    return json.loads((built.folder / "tally/results.json").read_text())


# Tests -------------------------------------------------------------------------------------


def test_follow_links_from_nation_to_a_station(
    guarded: Any, site: Path, built: BuiltRecord
) -> None:
    from selenium.webdriver.common.by import By

    d = guarded
    d.get((site / "index.html").as_uri())
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-TW"
    d.find_element(By.LINK_TEXT, "新北市").click()
    d.find_element(By.LINK_TEXT, "板橋區").click()
    d.find_element(By.LINK_TEXT, "測試國中").click()
    assert d.current_url == (site / "station" / "S2.html").as_uri()
    crumbs = [a.text for a in d.find_elements(By.CSS_SELECTOR, "nav.crumbs a")]
    assert crumbs == ["全國", "新北市", "板橋區", "測試國中"]
    sums = {s["question_id"]: s for s in _results(built)["sums"] if s["station_id"] == "S2"}
    tables = d.find_elements(By.CSS_SELECTOR, "section.case table")
    assert len(tables) == 2
    for qid, table in zip(("17", "18"), tables, strict=True):
        cells = [c.text.replace(",", "") for c in table.find_elements(By.CSS_SELECTOR, "tbody td")]
        s = sums[qid]
        assert cells[:6] == [
            "30",
            str(s["ballots"]),
            str(s["yes"] + s["no"]),
            str(s["yes"]),
            str(s["no"]),
            str(s["blank"]),
        ]
        headers = [h.text for h in table.find_elements(By.CSS_SELECTOR, "tbody th")]
        assert headers[:3] == ["投票權人數", "投票數", "有效票數"]
    # The chart states each value as text.
    chart = d.find_element(By.CSS_SELECTOR, "svg.bars title").get_attribute("textContent")
    assert f"同意票數 {sums['17']['yes']}" in chart


def _look_up(d: Any, site: Path, code: str, english: bool = False) -> str:
    from selenium.webdriver.common.by import By

    d.get((site / ("en/lookup.html" if english else "lookup.html")).as_uri())
    field = d.find_element(By.ID, "code")
    field.send_keys(code)
    field.submit()
    return str(wait_for(d, "#answer .box").text)


def test_look_up_a_cast_code(guarded: Any, site: Path) -> None:
    row = next(r for r in _codes(site) if r[2] == "cast")
    short = row[0].lower()
    typed = f"{short[:4]}-{short[4:8]} {short[8:]}"  # case, spaces and hyphens do not matter
    text = _look_up(guarded, site, typed)
    assert "已投入並計票" in text and f"({row[3]})" in text
    assert " ".join(re.findall(".{4}", row[0])) in text


def test_look_up_a_challenged_code_shows_its_choices(
    guarded: Any, site: Path, built: BuiltRecord
) -> None:
    from selenium.webdriver.common.by import By

    row = next(r for r in _codes(site) if r[2] == "challenged")
    text = _look_up(guarded, site, row[1], english=True)  # the QR's full code
    assert "Challenged: not counted" in text
    cells = guarded.find_elements(By.CSS_SELECTOR, "#answer tbody tr")
    shown = {
        c.find_element(By.TAG_NAME, "th").text: c.find_element(By.TAG_NAME, "td").text
        for c in cells
    }
    words = {"yes": "Agree", "no": "Disagree", "blank": "Blank (invalid)"}
    taken = dict(row[5])
    assert shown == {
        "第17案 Unsealing Nuclear Plant 4": words[taken["17"]] if "17" in taken else "Declined",
        "第18案 Ractopamine pork imports": words[taken["18"]] if "18" in taken else "Declined",
    }


def test_look_up_an_unknown_code(guarded: Any, site: Path) -> None:
    known = {r[0] for r in _codes(site)}
    unknown = next(c for c in ("AAAAAAAAAAAAAAAA", "7777777777777777") if c not in known)
    text = _look_up(guarded, site, unknown)
    assert "查無此追蹤碼" in text and "申訴" in text
    text = _look_up(guarded, site, "not a code 0189")
    assert "這不是追蹤碼" in text


def test_switch_language(guarded: Any, site: Path) -> None:
    from selenium.webdriver.common.by import By

    d = guarded
    d.get((site / "county" / "001.html").as_uri())
    d.find_element(By.ID, "switch-lang").click()
    assert d.current_url == (site / "en" / "county" / "001.html").as_uri()
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert "Eligible voters" in d.find_element(By.CSS_SELECTOR, "table.one").text
    d.find_element(By.ID, "switch-lang").click()
    assert d.current_url == (site / "county" / "001.html").as_uri()


def test_the_guard_sees_a_request_leaving_the_site(browser: Any, site: Path) -> None:
    """The request check itself can fail: a page that reaches out is caught."""
    requests(browser)
    browser.get((site / "index.html").as_uri())
    browser.execute_script("new Image().src = 'http://example.invalid/x.png';")
    wait_for(browser, "main")
    leaving = []
    for _ in range(50):  # the log fills as the request starts; bounded, no sleep
        leaving += outside(browser, site)
        if leaving:
            break
        browser.execute_script("return document.readyState")
    assert leaving == ["http://example.invalid/x.png"]


TEMPLATES = (
    "index.html",
    "county/001.html",
    "township/0001.html",
    "station/S1.html",
    "lookup.html",
    "verify.html",
    "en/index.html",
    "en/station/S1.html",
    "en/lookup.html",
    "en/verify.html",
)


@pytest.mark.parametrize("page", TEMPLATES)
def test_axe_finds_no_serious_violation(guarded: Any, site: Path, page: str) -> None:
    from axe_selenium_python import Axe

    guarded.get((site / page).as_uri())
    if page.endswith("lookup.html"):  # check the page with an answer shown, too
        from selenium.webdriver.common.by import By

        code = _codes(site)[0][0]
        field = guarded.find_element(By.ID, "code")
        field.send_keys(code)
        field.submit()
        wait_for(guarded, "#answer .box")
    axe = Axe(guarded)
    axe.inject()
    results = axe.run()
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []


# Screenshots -------------------------------------------------------------------------------

SHOTS = {
    "national": "index.html",
    "county": "county/001.html",
    "station": "station/S1.html",
    "lookup": "lookup.html",
}


def screenshots(out: Path) -> None:
    """docs/screenshots/site-<page>-<lang>-<desktop|phone>.png from a small record."""
    with tempfile.TemporaryDirectory() as tmp:
        b = build_record(Path(tmp), ballots=40, challenged=3)
        site = Path(tmp) / "site"
        build_site(b.folder, key_fingerprint(b.authority.verify_key), site)
        challenged = next(r for r in _codes(site) if r[2] == "challenged")[0]
        out.mkdir(parents=True, exist_ok=True)
        for form, size, phone in (("desktop", (1280, 1100), False), ("phone", (390, 1100), True)):
            with chromium(size, phone) as d:
                for name, page in SHOTS.items():
                    for lang, prefix in (("zh", ""), ("en", "en/")):
                        if name == "lookup":
                            _look_up(d, site, challenged, english=lang == "en")
                        else:
                            d.get((site / (prefix + page)).as_uri())
                        d.save_screenshot(str(out / f"site-{name}-{lang}-{form}.png"))


if __name__ == "__main__":
    screenshots(Path(sys.argv[1]))
