# ruff: noqa: E501  (a catalog: one message a line reads better than split strings)
"""Every message the command line prints, once, in zh-TW and en (zh-TW first).

Command code never holds literal wording: it asks `t(key, **values)` (or `say`, `refuse`).
`values` are data (a path, a count, a fingerprint, a library's own detail), never wording.
The catalog is complete in both languages (tests/test_cli_messages.py checks it).

The language, in this order: `--lang zh-TW|en`; the environment variable REFVOTE_LANG; the
locale (LC_ALL, then LC_MESSAGES, then LANG: `en_*` is English, `zh_*` Chinese); else zh-TW.
A refusal leads with what to do, then the detail (`refuse`). Figures are printed with
thousands separators and read with them too (`figure`). Tables align by display width
(`pad`, `table`): a CJK character takes two columns on a terminal.

This module imports nothing heavy: `refvote --version` and the parser stay light.
"""

from __future__ import annotations

import argparse
import enum
import os
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence


class Lang(enum.Enum):
    ZH = "zh-TW"
    EN = "en"


class MissingText(KeyError):
    """A command asked for a key the catalog does not hold (a bug: caught by the tests)."""


Z, E = Lang.ZH, Lang.EN

LANG_ENV = "REFVOTE_LANG"


def lang_from_environment(environ: Mapping[str, str] | None = None) -> Lang:
    """REFVOTE_LANG, else the POSIX locale's message language, else zh-TW."""
    env = os.environ if environ is None else environ
    chosen = env.get(LANG_ENV, "")
    if chosen:
        return parse_lang(chosen) or Z
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:  # the first one set decides (POSIX precedence)
            return parse_lang(value) or Z
    return Z


def parse_lang(value: str) -> Lang | None:
    """`zh-TW`, `zh_TW.UTF-8`, `en`, `en_US.UTF-8`, … → a Lang; anything else → None."""
    head = value.strip().lower().replace("_", "-")
    if head.startswith("en"):
        return E
    if head.startswith("zh"):
        return Z
    return None


_current: list[Lang] = [lang_from_environment()]


def set_lang(lang: Lang) -> None:
    _current[0] = lang


def current() -> Lang:
    return _current[0]


def lang_from_argv(argv: Sequence[str]) -> Lang:
    """`--lang X` or `--lang=X` anywhere before `--`; else the environment's."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        value = None
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        if value is not None:
            return parse_lang(value) or lang_from_environment()
    return lang_from_environment()


def t(key: str, /, **values: object) -> str:
    """The catalog's text for `key` in the current language, with `values` filled in."""
    try:
        entry = CATALOG[key]
    except KeyError:
        raise MissingText(key) from None
    return entry[current()].format(**values)


def say(key: str, /, **values: object) -> None:
    print(t(key, **values))


def refuse(command: str, todo: str, detail: object = None, code: int = 1, **values: object) -> int:
    """Print a refusal on stderr: what to do first (catalog key `todo`), then the detail."""
    text = t(todo, **values)
    if detail is not None and str(detail):
        text = t("frame.detail", todo=text, detail=" ".join(str(detail).split()))
    print(f"refvote {command}: {text}", file=sys.stderr)
    return code


# Figures ------------------------------------------------------------------------------------

_FIGURE = re.compile(r"[0-9]{1,3}(,[0-9]{3})+|[0-9]+")


def figure(text: str) -> int:
    """A whole number as officials write it: `19825468` or `19,825,468` (groups of three)."""
    compact = text.strip().replace("，", ",")
    if not _FIGURE.fullmatch(compact):
        raise argparse.ArgumentTypeError(t("figure.invalid", text=text))
    return int(compact.replace(",", ""))


def positive_figure(text: str) -> int:
    value = figure(text)
    if value < 1:
        raise argparse.ArgumentTypeError(t("figure.positive", text=text))
    return value


# Display width ------------------------------------------------------------------------------


def width(text: str) -> int:
    """Columns `text` takes on a terminal: East Asian wide and fullwidth characters take two,
    combining marks none."""
    total = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def pad(text: str, columns: int, align: str = "<") -> str:
    fill = " " * max(0, columns - width(text))
    return text + fill if align == "<" else fill + text


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: frozenset[int]) -> list[str]:
    """Lines of a table aligned by display width; columns in `right` are right-aligned."""
    columns = [max(width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            pad(str(cell), columns[i], ">" if i in right else "<") for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


# The catalog --------------------------------------------------------------------------------

CATALOG: dict[str, dict[Lang, str]] = {
    # The frame: what every command prints around a library's message -------------------------
    "frame.detail": {Z: "{todo}。詳情：{detail}", E: "{todo}. Detail: {detail}"},
    "frame.interrupted": {
        Z: "已中斷；未完成的檔案不會留下",
        E: "interrupted; no half-written file is left",
    },
    "frame.out_of_memory": {
        Z: "記憶體不足：某個輸入遠大於任何 refvote 檔案，或本機記憶體太少；未再寫入任何檔案",
        E: "out of memory: an input is far larger than any refvote file, or this machine "
        "has too little memory; nothing more was written",
    },
    "frame.recursion": {
        Z: "輸入的巢狀層次太深，不是 refvote 檔案；未寫入任何檔案",
        E: "an input is nested too deeply to be a refvote file; nothing was written",
    },
    "frame.os_error": {
        Z: "請排除問題後重新執行本指令（指令已停止）。詳情：{where}{error}",
        E: "fix this, then run the command again (it stopped). Detail: {where}{error}",
    },
    "frame.not_utf8": {
        Z: "請提供 UTF-8 文字檔。詳情：有一個輸入不是 UTF-8 文字（{error}）",
        E: "give UTF-8 text. Detail: an input is not UTF-8 text ({error})",
    },
    "frame.library": {
        Z: "請依下列說明處理後再執行一次。詳情：{detail}",
        E: "do what the detail says, then run the command again. Detail: {detail}",
    },
    "frame.internal": {
        Z: "請回報此內部錯誤（{kind}: {error}）",
        E: "please report this internal error ({kind}: {error})",
    },
    "figure.invalid": {
        Z: "請輸入整數（可用千分位逗號，例如 19,825,468）；收到的是 {text!r}",
        E: "give a whole number (thousands separators allowed, e.g. 19,825,468); got {text!r}",
    },
    "figure.positive": {
        Z: "請輸入至少為 1 的整數；收到的是 {text!r}",
        E: "give at least 1; got {text!r}",
    },
    "outcome.passed": {Z: "通過", E: "PASSED"},
    "outcome.failed": {Z: "不通過", E: "NOT PASSED"},
    # `refvote tally rule` ----------------------------------------------------------------------
    "rule.threshold": {
        Z: "門檻（投票權人總額四分之一，無條件進位）：{n}",
        E: "threshold (ceil(eligible / 4)): {n}",
    },
    "rule.missing_threshold": {
        Z: "距門檻尚缺同意票：{n}",
        E: "yes votes missing for the threshold: {n}",
    },
    "rule.missing_majority": {
        Z: "需多於不同意票尚缺同意票：{n}",
        E: "yes votes missing to exceed no:      {n}",
    },
    "rule.reason_majority": {
        Z: "不通過理由：有效同意票未多於不同意票",
        E: "not passed: the valid yes votes do not exceed the no votes",
    },
    "rule.reason_threshold": {
        Z: "不通過理由：有效同意票數未達投票權人總額四分之一",
        E: "not passed: the valid yes votes are fewer than a quarter of the eligible voters",
    },
    "rule.refused": {
        Z: "請檢查輸入的數字（同意加不同意不得多於投票權人數）",
        E: "check the figures given (yes plus no cannot exceed the eligible voters)",
    },
    "tally.none": {Z: "無", E: "none"},
    "tally.trustee_arg": {
        Z: "請以 NAME=identity.pub.json 的形式提供 --trustee；收到的是 {item!r}",
        E: "give --trustee as NAME=identity.pub.json; got {item!r}",
    },
    "tally.ceremony.open_refused": {
        Z: "請檢查公投案定義與受託人身分檔後重新開啟金鑰儀式",
        E: "check the definition and the trustees' identity files, then open the ceremony again",
    },
    "tally.ceremony.opened": {
        Z: "金鑰儀式已在 {out}/ 開啟（{referendum}）",
        E: "ceremony opened in {out}/ for {referendum}",
    },
    "tally.ceremony.read_aloud": {
        Z: "請唸出以上內容並記入紀錄；接著每位受託人執行 `refvote trustee step`",
        E: "read these aloud, write them into the minutes; each trustee then runs `refvote trustee step`",
    },
    "tally.ceremony.collect_refused": {
        Z: "已拒絕：請依詳情處理受託人的檔案，再執行一次 collect",
        E: "REFUSED: deal with the trustee's files as the detail says, then run collect again",
    },
    "tally.ceremony.accepted_file": {Z: "  已接受 {name}", E: "  accepted {name}"},
    "tally.ceremony.collected": {
        Z: "已接受 {accepted} 個檔案，{unchanged} 個先前已公布",
        E: "{accepted} files accepted, {unchanged} already published",
    },
    "tally.ceremony.status": {Z: "狀態：{status}", E: "status: {status}"},
    "tally.joint_key": {Z: "聯合公鑰 K：{key}", E: "joint public key K: {key}"},
    "tally.base": {Z: "基底：      {base}", E: "base:               {base}"},
    "tally.ceremony.restart_refused": {
        Z: "請檢查金鑰儀式資料夾與要排除的受託人編號",
        E: "check the ceremony folder and the trustee numbers to exclude",
    },
    "tally.ceremony.restarted": {
        Z: "新的金鑰儀式在 {out}/，已排除受託人 {excluded}：",
        E: "new ceremony in {out}/ without trustee(s) {excluded}:",
    },
    "tally.ceremony.rehearsal": {
        Z: "演練：所有受託人都在這一台機器上執行，本機看得到所有密語與分片。演練的金鑰絕不可用於選舉。",
        E: "REHEARSAL: every trustee runs on this one machine, which sees every passphrase and share. Never use a rehearsal's keys for an election.",
    },
    "tally.ceremony.rehearse_refused": {
        Z: "請檢查演練的輸入（定義、密語檔、輸出資料夾）",
        E: "check the rehearsal's inputs (definition, passphrase file, output folders)",
    },
    "tally.ceremony.rehearsed": {
        Z: "金鑰儀式 {k} 取 {n} 已完成於 {out}/；受託人媒體在 {media}/",
        E: "ceremony {k} of {n} complete in {out}/; trustee media in {media}/",
    },
    "tally.init_refused": {
        Z: "已拒絕：請確認選務資料包與唸出的機關指紋無誤，並使用新的工作區資料夾",
        E: "REFUSED: check the election package and the authority fingerprint read aloud, and use a new workspace folder",
    },
    "tally.init_done": {
        Z: "工作區 {workspace}：選務資料包已驗證（{referendum}；{stations} 個投開票所，{booths} 部投票機）",
        E: "workspace {workspace}: election package verified for {referendum} ({stations} stations, {booths} booths)",
    },
    "tally.init_pinned": {
        Z: "已釘選選務機關指紋 {fingerprint}：之後每個指令（包括 publish）都以之驗證",
        E: "authority fingerprint {fingerprint} pinned: every later command (publish included) verifies against it",
    },
    "tally.package_kind_official": {Z: "資料包為正式（OFFICIAL）", E: "the package is OFFICIAL"},
    "tally.package_kind_test": {
        Z: "資料包為測試（TEST）：報表與紙本都會標示測試",
        E: "the package is a TEST package: reports and paper say TEST",
    },
    "tally.import.rejected": {
        Z: "  {path}：已拒絕，未加入任何資料：{detail}",
        E: "  {path}: REJECTED, nothing added: {detail}",
    },
    "tally.import.pollbook_added": {
        Z: "  投開票所 {station}：名冊機計數已加入：投票 {voted}",
        E: "  station {station}: poll-book count added: voted {voted}",
    },
    "tally.import.pollbook_unchanged": {
        Z: "  投開票所 {station}：名冊機計數未變（與已匯入者相同）：投票 {voted}",
        E: "  station {station}: poll-book count unchanged: voted {voted}",
    },
    "tally.import.none": {
        Z: "請提供投票機匯出檔或含匯出檔的媒體資料夾（給定的媒體上找不到任何匯出檔）",
        E: "give booth export files or media folders holding them (none found on the media given)",
    },
    "tally.import_refused": {
        Z: "請依詳情處理後再匯入（工作區未改變）",
        E: "deal with the detail, then import again (the workspace is unchanged)",
    },
    "tally.import.summary": {
        Z: "已接受 {accepted}，已拒絕 {rejected}；尚有 {missing} 部投票機待匯入",
        E: "{accepted} accepted, {rejected} rejected; {missing} booths still to import",
    },
    "tally.import.booth_added": {
        Z: "  投票機 {booth}：已加入：投入 {cast}，挑戰 {challenged}，作廢 {voided}",
        E: "  booth {booth}: added: {cast} cast, {challenged} challenged, {voided} voided",
    },
    "tally.import.booth_unchanged": {
        Z: "  投票機 {booth}：未變（與已匯入的匯出檔逐位元組相同）：投入 {cast}，挑戰 {challenged}，作廢 {voided}",
        E: "  booth {booth}: unchanged (byte-identical to the export already imported): {cast} cast, {challenged} challenged, {voided} voided",
    },
    "tally.prepare_refused": {
        Z: "請依詳情處理後再執行 prepare（未寫入任何檔案；進度見 `refvote tally status`）",
        E: "deal with the detail, then run prepare again (nothing was written; see `refvote tally status`)",
    },
    "tally.prepared": {
        Z: "解密前紀錄已寫入 {out}/（{files} 個檔案）：每位受託人對它執行 `refvote trustee decrypt --record`",
        E: "pre-decryption record written to {out}/ ({files} files): each trustee runs `refvote trustee decrypt --record` on it",
    },
    "tally.shares.medium_empty": {
        Z: "  媒體 {medium}：沒有任何分片檔（outbox/shares/ 為空或不存在）",
        E: "  medium {medium}: holds no shares file (outbox/shares/ empty or missing)",
    },
    "tally.shares_refused": {
        Z: "請依詳情處理後再合併分片（未歸咎任何受託人）",
        E: "deal with the detail, then combine the shares again (no trustee is blamed)",
    },
    "tally.shares.valid": {
        Z: "有效分片來自受託人 {trustees}；k = {k}",
        E: "valid shares from trustees {trustees}; k = {k}",
    },
    "tally.shares.more_needed": {
        Z: "請再取得 {more} 位受託人的分片（執行 `refvote trustee decrypt`），再合併",
        E: "get the shares of the {more} more trustee(s) needed before the count can be decrypted (`refvote trustee decrypt`), then combine again",
    },
    "tally.shares.trustee_refused": {
        Z: "  {path}：受託人 {trustee} 已拒絕：{reason}",
        E: "  {path}: trustee {trustee} REFUSED: {reason}",
    },
    "tally.shares.file_refused": {
        Z: "  {path}：已拒絕：{detail}",
        E: "  {path}: REFUSED: {detail}",
    },
    "tally.shares.accepted": {
        Z: "  受託人 {trustee}：每個分片的證明都已驗證",
        E: "  trustee {trustee}: every share's proof verified",
    },
    "tally.decrypt_renamed": {
        Z: "請改用 `refvote tally combine-shares --workspace WS MEDIA…`（`tally decrypt` 已更名，以免與 `trustee decrypt` 混淆）",
        E: "use `refvote tally combine-shares --workspace WS MEDIA…` (`tally decrypt` was renamed so it is not confused with `trustee decrypt`)",
    },
    "tally.publish.unpinned": {
        Z: "請以 `refvote tally init --authority 指紋` 建立新的工作區（工作區 {workspace} 沒有釘選的機關指紋）",
        E: "make a new workspace with `refvote tally init --authority FINGERPRINT` (workspace {workspace} has no pinned authority fingerprint)",
    },
    "tally.publish.other_authority": {
        Z: "請核對唸出的指紋：--authority 與 tally init 釘選的 {pinned} 不同，未寫入任何檔案",
        E: "check the fingerprint read aloud: --authority differs from the one pinned at tally init ({pinned}); nothing was written",
    },
    "tally.publish_refused": {
        Z: "請依詳情處理後再執行 publish（進度見 `refvote tally status`）",
        E: "deal with the detail, then run publish again (see `refvote tally status`)",
    },
    "tally.publish.left_out": {
        Z: "  受託人 {trustee} 的分片未納入紀錄：{reason}",
        E: "  trustee {trustee}'s shares left out of the record: {reason}",
    },
    "tally.publish.record_written": {
        Z: "選舉紀錄已寫入 {out}/，指紋 {fingerprint}",
        E: "election record written in {out}/, fingerprint {fingerprint}",
    },
    "tally.publish.record_checked": {
        Z: "選舉紀錄已完整（已檢查，未重寫）於 {out}/，指紋 {fingerprint}",
        E: "election record already complete (checked, not rewritten) in {out}/, fingerprint {fingerprint}",
    },
    "tally.publish.official": {
        Z: "正式（OFFICIAL）：依選務資料包的簽署欄位",
        E: "OFFICIAL: from the election package's signed field",
    },
    "tally.publish.test": {
        Z: "測試（TEST）：選務資料包未簽署為正式",
        E: "TEST: the election package is not signed as OFFICIAL",
    },
    "tally.publish.reports": {
        Z: "報表：{count} 個檔案於 {reports}/",
        E: "reports: {count} files in {reports}/",
    },
    "tally.publish.outcome": {
        Z: "  {case}：同意 {yes:,}  不同意 {no:,}  門檻 {threshold:,}  {outcome}{why}",
        E: "  {case}: yes {yes:,}  no {no:,}  threshold {threshold:,}  {outcome}{why}",
    },
    "tally.publish.verifying": {
        Z: "以任何人都會用的方式驗證紀錄，依釘選的機關指紋 {fingerprint}：",
        E: "verifying the record as anyone will, against the pinned authority {fingerprint}:",
    },
    "tally.status_refused": {
        Z: "請確認工作區資料夾（先執行 `refvote tally init`）",
        E: "check the workspace folder (run `refvote tally init` first)",
    },
    "tally.status.title": {
        Z: "開票工作區 {workspace}：{referendum}",
        E: "tally workspace {workspace}: {referendum}",
    },
    "tally.status.yes": {Z: "已送", E: "in"},
    "tally.status.no": {Z: "未送", E: "missing"},
    "tally.status.col.id": {Z: "代號", E: "ID"},
    "tally.status.col.name": {Z: "投開票所", E: "station"},
    "tally.status.col.county": {Z: "縣市", E: "county"},
    "tally.status.col.township": {Z: "鄉鎮市區", E: "township"},
    "tally.status.col.booths": {Z: "已送/應送", E: "booths in/due"},
    "tally.status.col.pollbook": {Z: "名冊機計數", E: "poll book"},
    "tally.status.col.missing": {Z: "缺少的投票機", E: "booths missing"},
    "tally.status.booths": {
        Z: "投票機：已送 {sent}／應送 {due}",
        E: "booths: {sent} imported of {due}",
    },
    "tally.status.pollbooks": {
        Z: "名冊機計數：已送 {sent}／應送 {due}",
        E: "poll-book counts: {sent} imported of {due}",
    },
    "tally.status.shares": {
        Z: "解密分片：受託人 {trustees}（{count} 位；需要 k = {k}）",
        E: "decryption shares: trustees {trustees} ({count}; k = {k} needed)",
    },
    "tally.next.import": {
        Z: "下一步：匯入其餘 {missing} 部投票機的匯出檔（`refvote tally import`）；讀不到時改用投票機的第二份媒體",
        E: "next: import the exports of the {missing} booths missing (`refvote tally import`); if one cannot be read, use the booth's second medium",
    },
    "tally.next.prepare": {
        Z: "下一步：寫出解密前紀錄（`refvote tally prepare`）",
        E: "next: write the pre-decryption record (`refvote tally prepare`)",
    },
    "tally.next.shares": {
        Z: "下一步：再取得 {more} 位受託人的分片（`refvote trustee decrypt`，再 `refvote tally combine-shares`）",
        E: "next: {more} more trustees give shares (`refvote trustee decrypt`, then `refvote tally combine-shares`)",
    },
    "tally.next.publish": {
        Z: "下一步：發布紀錄與報表（`refvote tally publish`）",
        E: "next: publish the record and the reports (`refvote tally publish`)",
    },
    "package.freeze_refused": {
        Z: "請修正公投案定義原始檔後再凍結",
        E: "fix the definition source, then freeze it again",
    },
    "package.freeze_exists": {
        Z: "請改用 --force 取代，或指定其他 --out（{out} 已存在：定義只凍結一次）",
        E: "use --force to replace it, or another --out ({out} exists: a definition is frozen once)",
    },
    "package.write_refused": {
        Z: "請確認輸出位置可寫入",
        E: "check the output location can be written",
    },
    "package.frozen": {
        Z: "已寫入 {out}：{questions} 個案，{stations} 個投開票所，{booths} 部投票機，投票權人 {eligible:,} 人",
        E: "wrote {out}: {questions} questions, {stations} stations, {booths} booths, {eligible:,} eligible voters",
    },
    "package.manifest_hash": {Z: "manifest_hash {hex}", E: "manifest_hash {hex}"},
    "package.read_aloud": {Z: "唸讀         {text}", E: "read aloud    {text}"},
    "package.build_exists": {
        Z: "請指定新的資料夾（{out} 已存在：資料包建立於新資料夾）",
        E: "give a new folder ({out} exists: build the package into a new folder)",
    },
    "package.no_booth_key": {
        Z: "請提供投票機 {booth} 的金鑰（{folder} 中找不到；以 `refvote keys booth` 產生）",
        E: "give the key of booth {booth} (none in {folder}; make it with `refvote keys booth`)",
    },
    "package.wrong_booth_key": {
        Z: "請提供投票機 {booth} 自己的金鑰（{path} 是投票機 {name} 的金鑰）",
        E: "give booth {booth}'s own key ({path} is the key of booth {name})",
    },
    "package.official_demo_keys": {
        Z: "請以 `refvote keys …` 產生正式金鑰後再建立正式資料包：demo 金鑰永不可簽署為 OFFICIAL（{count} 個 demo 金鑰檔，第一個：{first}）",
        E: "make production keys with `refvote keys …` and build again: demo keys can never make an OFFICIAL package ({count} demo key files, the first: {first})",
    },
    "package.passphrase_unavailable": {
        Z: "請提供機關金鑰的密語（--passphrase-file 或在終端機輸入）",
        E: "give the authority key's passphrase (--passphrase-file, or type it at a terminal)",
    },
    "package.build_refused": {
        Z: "請依詳情修正輸入後再建立（未寫入任何資料包；輸入說明見 docs/package-inputs.md）",
        E: "fix the input the detail names, then build again (no package was written; inputs: docs/package-inputs.md)",
    },
    "package.built": {
        Z: "已將簽署的選務資料包寫入 {out}/（package.json、definition.json、ceremony/）",
        E: "wrote the signed election package to {out}/ (package.json, definition.json, ceremony/)",
    },
    "package.built_confidential": {
        Z: "以及機密部分 {out}/confidential.json：只給投票機與名冊機，絕不公開",
        E: "and its confidential part to {out}/confidential.json: for booths and poll books only, never publish it",
    },
    "package.built_official": {
        Z: "已簽署為正式（OFFICIAL）：投票機與報表都標示正式",
        E: "signed as OFFICIAL: booths and reports say OFFICIAL",
    },
    "package.built_test": {
        Z: "已簽署為測試（TEST）：投票機與報表都標示測試（正式選舉請加 --official）",
        E: "signed as TEST: booths and reports say TEST (an election needs --official)",
    },
    "package.authority_key": {Z: "authority key {fingerprint}", E: "authority key {fingerprint}"},
    "package.inspect_refused": {
        Z: "已拒絕：請確認資料包來源與唸出的機關指紋",
        E: "REFUSED: check where the package came from and the authority fingerprint read aloud",
    },
    "package.inspect_confidential_refused": {
        Z: "已拒絕 confidential.json：請使用與此資料包一同簽署的機密部分",
        E: "confidential.json REFUSED: use the confidential part signed with this package",
    },
    "package.inspect.verified": {
        Z: "選務資料包 {folder}：簽章與金鑰儀式已驗證",
        E: "election package {folder}: signature and ceremony verified",
    },
    "package.inspect.kind_official": {
        Z: "  類別           正式（OFFICIAL，已簽署）",
        E: "  kind           OFFICIAL (signed)",
    },
    "package.inspect.kind_test": {
        Z: "  類別           測試（TEST，已簽署）",
        E: "  kind           TEST (signed)",
    },
    "package.inspect.referendum": {
        Z: "  公民投票       {id}，投票日 {date}：{zh} / {en}",
        E: "  referendum     {id} on {date}: {zh} / {en}",
    },
    "package.inspect.line": {Z: "  {line}", E: "  {line}"},
    "package.inspect.stations": {
        Z: "  投開票所       {stations} 所，{booths} 部投票機，投票權人 {eligible:,} 人",
        E: "  stations       {stations} with {booths} booths, {eligible:,} eligible voters",
    },
    "package.inspect.manifest": {
        Z: "  manifest hash  {read}  ({hex})",
        E: "  manifest hash  {read}  ({hex})",
    },
    "package.inspect.authority": {
        Z: "  選務機關       {fingerprint}",
        E: "  authority      {fingerprint}",
    },
    "package.inspect.unpinned": {
        Z: "  選務機關       {fingerprint}  （自我宣稱：請加 --authority 釘選）",
        E: "  authority      {fingerprint}  (self-asserted: pass --authority to pin it)",
    },
    "package.inspect.tally": {
        Z: "  開票站         {fingerprint}",
        E: "  tally station  {fingerprint}",
    },
    "package.inspect.ceremony": {
        Z: "  金鑰儀式       {k} 取 {n}，隨機數 {nonce}",
        E: "  ceremony       {k} of {n}, nonce {nonce}",
    },
    "package.inspect.trustee": {
        Z: "    受託人 {index}：{name}  {key}",
        E: "    trustee {index}: {name}  {key}",
    },
    "package.inspect.cas": {
        Z: "  自然人憑證 CA  {count}：{names}",
        E: "  eID CA roots   {count}: {names}",
    },
    "package.inspect.confidential": {
        Z: "  機密部分       存在且已簽署：名冊 {voters:,} 人，{crls} 份廢止清冊",
        E: "  confidential   present and signed: {voters:,} voters on the roll, {crls} revocation lists",
    },
    "package.definition_refused": {
        Z: "請修正公投案定義後再執行",
        E: "fix the definition, then run this again",
    },
    "dev.keys.not_empty": {
        Z: "請指定新的資料夾（{out} 不是空的：demo 金鑰產生於新資料夾）",
        E: "give a new folder ({out} is not empty: demo keys are made into a new folder)",
    },
    "dev.keys.booths": {
        Z: "booths     {count} 組金鑰於 {folder}/",
        E: "booths     {count} key pairs in {folder}/",
    },
    "dev.keys.stations": {
        Z: "stations   {count} 組名冊機簽章與 TLS 金鑰於 {folder}/；投票機 TLS 金鑰在投票機金鑰旁",
        E: "stations   {count} poll-book signing and TLS keys in {folder}/; booth TLS keys beside the booth keys",
    },
    "dev.keys.warning": {
        Z: "這些是 DEMO（示範）金鑰，未加密儲存並標示為 demo：絕不可用於選舉，也無法簽署正式資料包。",
        E: "These are DEMO keys, stored unencrypted and marked demo: never use them in an election; they cannot make an OFFICIAL package.",
    },
    "keys.pins_shown": {
        Z: "工作人員密碼（只顯示這一次；另存於 {path}，權限 0600）：",
        E: "poll-worker PINs (shown once; also in {path}, mode 0600):",
    },
    "keys.pins_line": {
        Z: "  {station} 主任管理員 {officer}  主任監察員 {supervisor}",
        E: "  {station} chief-officer {officer}  chief-supervisor {supervisor}",
    },
    "keys.prompt.open": {Z: "機關金鑰的密語", E: "the authority key's passphrase"},
    "keys.prompt.new": {Z: "新金鑰的密語", E: "passphrase for the new keys"},
    "keys.prompt.again": {Z: "再輸入一次密語", E: "the passphrase again"},
    "keys.no_terminal": {
        Z: "沒有可輸入密語的終端機：請用 --passphrase-file",
        E: "no terminal to type the passphrase on: use --passphrase-file",
    },
    "keys.mismatch": {Z: "兩次輸入的密語不同", E: "the two passphrases differ"},
    "keys.too_short": {
        Z: "密語至少需 {n} 個字元",
        E: "the passphrase needs at least {n} characters",
    },
    "keys.not_empty": {
        Z: "請指定新的資料夾（{out} 不是空的）",
        E: "give a new folder ({out} is not empty)",
    },
    "keys.passphrase_refused": {
        Z: "請提供夠長的密語（--passphrase-file 或在終端機輸入兩次）",
        E: "give a long enough passphrase (--passphrase-file, or typed twice at a terminal)",
    },
    "keys.refused": {
        Z: "請依詳情處理後再產生金鑰（資料夾可能只寫了一部分：請刪除後重來）",
        E: "deal with the detail, then make the keys again (the folder may be partly written: delete it first)",
    },
    "keys.role.authority": {Z: "選務機關金鑰", E: "authority key"},
    "keys.role.tally": {Z: "開票站金鑰", E: "tally station key"},
    "keys.made": {
        Z: "{role} 已產生並以密語封存；指紋（請唸出並記入紀錄）：{fingerprint}",
        E: "{role} made and sealed under the passphrase; fingerprint (read aloud, into the minutes): {fingerprint}",
    },
    "keys.files": {
        Z: "  私鑰（封存）{private}\n  公鑰        {public}",
        E: "  private (sealed) {private}\n  public           {public}",
    },
    "keys.made_named": {Z: "  {name}：{fingerprint}", E: "  {name}: {fingerprint}"},
    "keys.booths_done": {
        Z: "{count} 部投票機的簽章金鑰（封存）與 TLS 金鑰已寫入 {out}/",
        E: "{count} booths' signing keys (sealed) and TLS keys written to {out}/",
    },
    "keys.stations_done": {
        Z: "{count} 個投開票所名冊機的簽章金鑰（封存）與 TLS 金鑰已寫入 {out}/",
        E: "{count} stations' poll-book signing keys (sealed) and TLS keys written to {out}/",
    },
    "keys.read_aloud": {
        Z: "請將以上指紋唸出並記入紀錄；私鑰檔只能以密語開啟，請保存於離線媒體。",
        E: "read the fingerprints above aloud into the minutes; the private key files open only with the passphrase: keep them on offline media.",
    },
    "results.not_folder": {
        Z: "請提供選舉紀錄資料夾（{folder} is not a folder）",
        E: "give the record folder ({folder} is not a folder)",
    },
    "results.not_verified": {
        Z: "紀錄未通過驗證（見上方各項檢查）：請取得選務機關公布的原始紀錄再試；不顯示任何結果",
        E: "the record does NOT verify (see the checks above): get the record as the authority published it; no result is shown",
    },
    "results.no_area": {
        Z: "請提供此層級存在的區域（{level} 層級沒有 {area!r}）",
        E: "give an area of that level (no {area!r} at level {level})",
    },
    "results.title": {
        Z: "{referendum}：開票結果（{level}；紀錄已驗證）",
        E: "{referendum}: results ({level}; the record verified)",
    },
    "results.nation": {Z: "全國", E: "Nation"},
    "results.level.nation": {Z: "全國", E: "nation"},
    "results.level.county": {Z: "縣市", E: "counties"},
    "results.level.township": {Z: "鄉鎮市區", E: "townships"},
    "results.level.station": {Z: "投開票所", E: "stations"},
    "results.col.area": {Z: "區域", E: "area"},
    "results.col.case": {Z: "案次", E: "case"},
    "results.col.eligible": {Z: "投票權人數", E: "eligible"},
    "results.col.ballots": {Z: "投票數", E: "ballots"},
    "results.col.valid": {Z: "有效票數", E: "valid"},
    "results.col.yes": {Z: "同意票數", E: "yes"},
    "results.col.yes_pct": {Z: "同意%", E: "yes %"},
    "results.col.no": {Z: "不同意票數", E: "no"},
    "results.col.no_pct": {Z: "不同意%", E: "no %"},
    "results.col.invalid": {Z: "無效票數（含空白）", E: "invalid (incl. blank)"},
    "results.col.turnout_pct": {Z: "投票率", E: "turnout"},
    "results.col.yes_of_eligible_pct": {Z: "有效同意票數對投票權人數", E: "yes of eligible"},
    "results.col.threshold": {Z: "門檻", E: "threshold"},
    "results.col.outcome": {Z: "結果", E: "outcome"},
    "results.reason": {Z: "{case} {reason}", E: "{case} {reason}"},
    "verify.national_table": {
        Z: "全國開票結果（中選會欄位；門檻為投票權人總額四分之一）：",
        E: "national results (the CEC's columns; the threshold is a quarter of the eligible voters):",
    },
    "verify.observer_usage": {
        Z: "請同時提供 --authority、--station、--close 與 --counts（觀察員核對結束報表）",
        E: "give --authority, --station, --close and --counts together (an observer's check of a closing report)",
    },
    "verify.observer_close": {
        Z: "請輸入結束報表上的結束碼：64 位十六進位數字（可含空格）；收到的是 {text!r}",
        E: "give the close code as printed on the closing report: 64 hex digits (spaces allowed); got {text!r}",
    },
    "verify.observer_counts": {
        Z: "請以 投入,挑戰,作廢 輸入張數（例如 120,3,1；有千分位時用 1,204/3/1）；收到的是 {text!r}",
        E: "give the counts as CAST,CHALLENGED,VOIDED (e.g. 120,3,1; with thousands separators 1,204/3/1); got {text!r}",
    },
    "verify.observer_no_station": {
        Z: "請核對投開票所代號：紀錄中沒有投開票所或投票機 {station}",
        E: "check the station ID: the record holds no station or booth {station}",
    },
    "verify.observer_record_ok": {
        Z: "紀錄已通過所有檢查（依釘選的機關指紋）；核對結束報表：",
        E: "the record passed every check (pinned to the authority); checking the closing report:",
    },
    "verify.observer_counts_differ": {
        Z: "請將此結束報表交給選務機關：投票機 {booth} 的結束碼相符，但張數不符（報表 {report}，紀錄 {record}）",
        E: "report this closing report to the election authority: booth {booth}'s close code matches but its counts differ (report {report}, record {record})",
    },
    "verify.observer_match": {
        Z: "相符：投票機 {booth}（投開票所 {station}）以此結束碼結束，投入 {cast}、挑戰 {challenged}、作廢 {voided}，與公布的紀錄一致",
        E: "MATCHES: booth {booth} (station {station}) closed with this code, {cast} cast, {challenged} challenged, {voided} voided, as the published record holds",
    },
    "verify.observer_no_close": {
        Z: "請將此結束報表交給選務機關：紀錄中 {station} 的投票機（{booths}）沒有一部以此結束碼結束",
        E: "report this closing report to the election authority: no booth of {station} in the record ({booths}) closed with this code",
    },
    "station.key_prompt": {Z: "名冊機簽章金鑰的密語", E: "the poll book signing key's passphrase"},
    "trustee.prompt": {Z: "受託人密語", E: "trustee passphrase"},
    "trustee.prompt.new": {Z: "此受託人的新密語", E: "new passphrase for this trustee"},
    "trustee.init_refused": {
        Z: "請檢查媒體與密語後再建立身分",
        E: "check the medium and the passphrase, then make the identity again",
    },
    "trustee.init_done": {
        Z: "受託人 {name}：身分已建立於 {medium}",
        E: "trustee {name}: identity made on {medium}",
    },
    "trustee.init_read_aloud": {
        Z: "請唸出並記入紀錄：{key}",
        E: "read aloud and write into the minutes: {key}",
    },
    "trustee.init_give": {
        Z: "將 {medium}/identity.pub.json 交給選務人員列入名單",
        E: "give {medium}/identity.pub.json to the officials for the roster",
    },
    "trustee.step_check": {
        Z: "繼續之前請與紀錄核對：",
        E: "check against the minutes before going on:",
    },
    "trustee.step_refused": {
        Z: "請依詳情處理後再執行此步驟（中斷的步驟再執行即可接續）",
        E: "deal with the detail, then run the step again (an interrupted step resumes)",
    },
    "trustee.step_done": {Z: "完成：{did}", E: "done: {did}"},
    "trustee.step_next": {Z: "下一步：{next}", E: "next: {next}"},
    "trustee.accept_refused": {
        Z: "已拒絕：請核對資料包與唸出的機關指紋",
        E: "REFUSED: check the package and the authority fingerprint read aloud",
    },
    "trustee.accepted": {
        Z: "受託人 {trustee}：此媒體只為此選務資料包解密",
        E: "trustee {trustee}: this medium decrypts only for the election package",
    },
    "trustee.package_fingerprint": {
        Z: "  資料包指紋：  {fingerprint}",
        E: "  package fingerprint:   {fingerprint}",
    },
    "trustee.authority_fingerprint": {
        Z: "  機關指紋：    {fingerprint}",
        E: "  authority fingerprint: {fingerprint}",
    },
    "trustee.accept_minutes": {
        Z: "兩者均記入紀錄；任何其他資料包或機關都會被拒絕",
        E: "write both into the minutes; any other package or authority will be refused",
    },
    "trustee.review_verified": {
        Z: "受託人 {trustee}：紀錄已依釘選的資料包驗證",
        E: "trustee {trustee}: the record verified against the pinned package",
    },
    "trustee.review_sums": {
        Z: "  待解密的加總 {count} 個（投開票所、案、N = 加總中的選票張數）：",
        E: "  {count} sums to decrypt (station, question, N = ballots in the sum):",
    },
    "trustee.one_ballot": {
        Z: "   <- 只有一張選票：解密會揭露該票",
        E: "   <- ONE BALLOT: decrypting it reveals that vote",
    },
    "trustee.decrypt_refused": {
        Z: "已拒絕，未寫出分片：請依詳情處理（紀錄、機關指紋或密語）",
        E: "REFUSED, no shares written: deal with the detail (the record, the authority fingerprint or the passphrase)",
    },
    "trustee.decrypted": {
        Z: "受託人 {trustee}：含證明的解密分片已寫入 {path}",
        E: "trustee {trustee}: decryption shares with proofs written to {path}",
    },
    "trustee.decrypted_sealed": {
        Z: "金鑰分片仍封存於此媒體",
        E: "the key share stayed sealed on this medium",
    },
    "trustee.decrypted_hand_over": {
        Z: "只有上列每個加總都符合預期時，才交出分片",
        E: "hand the shares over only if every sum above is one you expect",
    },
    "site.refused": {
        Z: "紀錄未通過驗證，未寫出網站：請取得選務機關公布的原始紀錄",
        E: "the record does not verify, no site was written: get the record as the authority published it",
    },
    "site.out_refused": {
        Z: "請指定新的輸出資料夾，且其上層須存在",
        E: "give a new output folder whose parent exists",
    },
    "site.written": {
        Z: "網站已寫出：{pages} 頁，{codes:,} 個追蹤碼，分為 {shards} 份",
        E: "site written: {pages} pages, {codes:,} tracking codes in {shards} shards",
    },
    "site.open": {Z: "開啟 {path}", E: "open {path}"},
    "site.already": {
        Z: "網站已寫於 {out}/（以 `refvote site` 重建以比對）",
        E: "site already written in {out}/ (rebuild with `refvote site` to compare)",
    },
    "site.not_written": {
        Z: "網站未寫出：請依詳情處理後以 `refvote site` 寫出",
        E: "the site was not written: deal with the detail, then write it with `refvote site`",
    },
    "site.after_publish": {
        Z: "網站由依機關指紋 {authority} 驗證的紀錄寫出：",
        E: "site written from the record verified against the authority {authority}:",
    },
    "site.after_publish_counts": {
        Z: "  {pages} 頁，{codes:,} 個追蹤碼；開啟 {path}/index.html",
        E: "  {pages} pages, {codes:,} tracking codes; open {path}/index.html",
    },
    "dev.cards.pkcs11": {
        Z: "每張卡片另為 HiCOS 物件配置之 SoftHSM2 權杖：cards/*/softhsm/（SOFTHSM2_CONF=cards/<卡片>/softhsm/softhsm2.conf pkcs11-tool --module {module} -O 可列出）",
        E: "each card is also a SoftHSM2 token in the HiCOS layout: cards/*/softhsm/ (SOFTHSM2_CONF=cards/<card>/softhsm/softhsm2.conf pkcs11-tool --module {module} -O lists it)",
    },
    "dev.cards.no_softhsm": {
        Z: "請安裝 Debian 套件 softhsm2（make test 會安裝）",
        E: "install Debian's softhsm2 package (make test installs it)",
    },
    "dev.cards.count": {Z: "請將 --count 設為 1 至 10,000", E: "give a --count from 1 to 10,000"},
    "dev.cards.made": {
        Z: "測試 CA 與 {count} 張測試卡（{kind}）於 {out}/：ca.pem、revocation.crl、cards/*/",
        E: "test CA and {count} test cards ({kind}) in {out}/: ca.pem, revocation.crl, cards/*/",
    },
    "dev.cards.warning": {
        Z: "測試卡：私鑰未加密，PIN 為 1234。絕不可用於投票。",
        E: "TEST cards: their keys are unencrypted and their PIN is 1234. Never use them to vote.",
    },
    "dev.synth.refused": {
        Z: "請修正選項後再執行（未寫出紀錄）",
        E: "correct the options, then run again (no record was written)",
    },
    "dev.synth.ceremony": {Z: "金鑰儀式 {n} 選 {k}", E: "key ceremony {k} of {n}"},
    "dev.synth.ballots": {
        Z: "{ballots:,} 張選票，{booths} 部投票機，{workers} 個行程",
        E: "{ballots:,} ballots in {booths} booths on {workers} processes",
    },
    "dev.synth.decryption": {
        Z: "加總，受託人 1、2、3 解密",
        E: "sums, decryption by trustees 1, 2, 3",
    },
    "dev.synth.writing": {Z: "寫出紀錄", E: "writing the record"},
    "dev.synth.written": {
        Z: "合成紀錄已寫於 {record}/：{ballots:,} 張投下的選票，{exports} 份投票機匯出（僅供效能測試，絕非選舉）",
        E: "SYNTHETIC record of {ballots:,} cast ballots in {exports} booth exports written to {record}/ (a benchmark record, never an election)",
    },
    "dev.synth.verify_it": {
        Z: '驗證：refvote verify {record} --authority "{authority}"',
        E: 'verify it: refvote verify {record} --authority "{authority}"',
    },
    "runner.unavailable": {
        Z: "請改正 --workers 或 --dask（未做任何檢查）",
        E: "correct --workers or --dask (nothing was checked)",
    },
    "lookup.code": {
        Z: "請輸入收據上的追蹤碼（16 個字元）或 QR 碼的 64 位十六進位",
        E: "give the receipt's tracking code (16 characters) or the QR's 64 hex digits",
    },
    "lookup.authority": {
        Z: "請提供 --authority：選務機關公告的機關金鑰指紋",
        E: "give --authority: the election authority's fingerprint, as published by the authority",
    },
    "lookup.not_verified": {
        Z: "紀錄未通過驗證，不據以回答：請取得選務機關公布的原始紀錄",
        E: "the record does not verify; no answer is given from it: get the record as the authority published it",
    },
    "lookup.verified": {
        Z: "紀錄已依機關指紋 {fingerprint} 驗證 V1–V{checks}",
        E: "record verified V1–V{checks} against the authority {fingerprint}",
    },
    "lookup.not_found": {
        Z: "查無此追蹤碼（NOT FOUND）：本紀錄中沒有任何選票使用此追蹤碼",
        E: "NOT FOUND: no ballot in this record has that tracking code",
    },
    "lookup.tracking": {Z: "追蹤碼    {code}", E: "tracking code {code}"},
    "lookup.full": {Z: "完整代碼  {code}", E: "full code     {code}"},
    "lookup.booth": {
        Z: "投票機    {booth}（投開票所 {station}）",
        E: "booth         {booth} (station {station})",
    },
    "lookup.voided": {
        Z: "狀態      作廢（VOIDED）：此票的紙本紀錄未完整印出（或投票機在選舉人選擇前停止），不計票",
        E: "status        VOIDED: this ballot's paper record did not print completely (or the booth stopped before the voter chose), so it was not counted",
    },
    "lookup.challenged": {
        Z: "狀態      挑戰（CHALLENGED）：不計票。投票機所加密的內容，紀錄以重新加密證明如下（V9）：",
        E: "status        CHALLENGED: not counted. The booth had encrypted, and the record proves by re-encryption (V9):",
    },
    "lookup.cast_unverified": {
        Z: "狀態      已投入（CAST），但開票結果未通過驗證（{failure}）：請勿依賴此紀錄的結果",
        E: "status        CAST: recorded as cast, but the count does NOT verify ({failure}): do not rely on this record's results",
    },
    "lookup.cast_pre": {
        Z: "狀態      已投入（CAST；V1–V10：在其投開票所 {cases} 的加密加總中）；尚未公布開票結果（解密前紀錄）",
        E: "status        CAST: recorded as cast (V1–V10: in its station's encrypted sums for {cases}); the count is not published yet (pre-decryption record)",
    },
    "lookup.counted": {
        Z: "狀態      已投入並計票（CAST and COUNTED）：在其投開票所 {cases} 的加密加總中，其解密、合計與結果均已驗證（V10–{last}）",
        E: "status        CAST and COUNTED: in its station's encrypted sums for {cases}, whose decryption, totals and outcomes verify (V10–{last})",
    },
    "station.refused": {
        Z: "請依詳情處理後再執行（名冊機未改變）",
        E: "deal with the detail, then run the command again (the poll book is unchanged)",
    },
    "station.listening": {
        Z: "投開票所 {station} 的名冊機 listening on {host}:{port}（TLS 1.3，只限本所投票機）",
        E: "poll book of station {station} listening on {host}:{port} (TLS 1.3, booths of this station only)",
    },
    "station.status_open": {
        Z: "投開票所 {station} 的名冊機：開放中",
        E: "poll book of station {station}: open",
    },
    "station.status_closed": {
        Z: "投開票所 {station} 的名冊機：已結束",
        E: "poll book of station {station}: CLOSED",
    },
    "station.status_counts": {
        Z: "  已投票 {voted}（無卡 {cardless}），進行中 {in_progress}，已釋放 {released}，釋放後完成 {after}",
        E: "  voted {voted} (card-less {cardless}), in progress {in_progress}, released {released}, completed after release {after}",
    },
    "station.stuck_evidence": {
        Z: "  進行中，於投票機 {booth}：可依投票機回覆釋放",
        E: "  in progress at booth {booth}: releasable on the booth's answer",
    },
    "station.stuck_none": {
        Z: "  進行中，於投票機 {booth}：尚無證據",
        E: "  in progress at booth {booth}: no evidence yet",
    },
    "station.released": {
        Z: "投票機 {booth}：已釋放 {released} 筆報到，{cast} 筆確認為已投入，依據 {evidence}（已記錄）",
        E: "booth {booth}: {released} check-in(s) released, {cast} settled as cast, on {evidence} (logged)",
    },
    "station.identifier_prompt": {
        Z: "選舉人的識別碼（依紙本身分證件）",
        E: "the voter's identifier, from the paper ID",
    },
    "station.code": {
        Z: "一次性代碼（只能使用一次，本所 {station} 任一投票機）：{code}",
        E: "one-time code (single use, at any booth of station {station}): {code}",
    },
    "station.closed": {
        Z: "投開票所 {station} 的名冊機已結束：已投票 {voted}（無卡 {cardless}），已領未投 {in_progress}，已釋放 {released}",
        E: "poll book of station {station} closed: voted {voted} (card-less {cardless}), checked in not cast {in_progress}, released {released}",
    },
    "station.count_written": {
        Z: "簽署的計數已寫入並讀回：{path}",
        E: "signed count written and read back: {path}",
    },
    "station.log_head": {Z: "事件紀錄末端 {head}", E: "event log head {head}"},
    "crypto.each": {Z: "（每項 {ms} ms）", E: "  ({ms} ms each)"},
    "crypto.ok": {Z: "ok", E: "ok"},
    "crypto.mismatch": {Z: "不符 MISMATCH", E: "MISMATCH"},
    "crypto.ballots_min": {
        Z: "refvote crypto selftest：--ballots 至少為 1",
        E: "refvote crypto selftest: --ballots must be at least 1",
    },
    "crypto.title": {
        Z: "refvote crypto selftest（PyNaCl {version}，內含 libsodium）",
        E: "refvote crypto selftest (PyNaCl {version}, libsodium bundled)",
    },
    "crypto.library": {
        Z: "程式庫拒絕 2ℓ 階的點（CVE-2025-69277）",
        E: "library refuses points of order 2ℓ (CVE-2025-69277)",
    },
    "crypto.ceremony": {
        Z: "金鑰儀式 5 取 3（演練，單機）",
        E: "key ceremony 3 of 5 (rehearsal, one machine)",
    },
    "crypto.encrypt": {
        Z: "加密並證明 {n} 張選票（每張至多 4 案）",
        E: "encrypt + prove {n} ballots of ≤ 4 questions",
    },
    "crypto.verify": {Z: "由位元組驗證 {n} 張選票", E: "verify {n} ballots from their bytes"},
    "crypto.sum": {Z: "各案同態加總", E: "homomorphic sum per question"},
    "crypto.decrypt": {
        Z: "由受託人 1、3、4 門檻解密",
        E: "threshold decryption by trustees 1, 3, 4",
    },
    "crypto.question": {
        Z: "  案 {qid}：領取 {taken}  同意 {yes}  不同意 {no}  空白 {blank}  {status}",
        E: "  question {qid}: {taken} taken  yes {yes}  no {no}  blank {blank}  {status}",
    },
    "crypto.failed": {
        Z: "refvote crypto selftest：失敗：解密的合計與明文不符",
        E: "refvote crypto selftest: FAILED: decrypted totals differ from the plaintexts",
    },
    "crypto.passed": {
        Z: "refvote crypto selftest：所有檢查均通過",
        E: "refvote crypto selftest: all checks passed",
    },
    "progress.encrypt": {Z: "加密", E: "encrypt"},
    "progress.verify": {Z: "驗證", E: "verify"},
    "progress.ceremony": {Z: "金鑰儀式", E: "ceremony"},
    "progress.import": {Z: "匯入", E: "import"},
    "progress.dlog": {Z: "離散對數表", E: "dlog table"},
}

# Help lines of the command line (argparse), one per command and option. ---------------------
HELP: dict[str, dict[Lang, str]] = {
    "help.description": {
        Z: "全國性公民投票的離線電子投票系統。",
        E: "Offline electronic voting for national referendums.",
    },
    "help.lang": {
        Z: "訊息語言：zh-TW（預設）或 en；未指定時依 REFVOTE_LANG 或語系（LC_ALL、LANG）",
        E: "language of messages: zh-TW (default) or en; else REFVOTE_LANG or the locale (LC_ALL, LANG)",
    },
    "help.version": {Z: "顯示版本後結束", E: "show the version and exit"},
    "help.crypto": {Z: "密碼學核心", E: "the cryptographic core"},
    "help.crypto.selftest": {
        Z: "程式庫自我檢查，再做 5 取 3 金鑰儀式、加密、加總與門檻解密",
        E: "library check, then a 3-of-5 ceremony, encryption, sums and threshold decryption",
    },
    "help.crypto.selftest.ballots": {Z: "要加密的選票張數（200）", E: "ballots to encrypt (200)"},
    "help.package": {
        Z: "公投案定義與選務資料包",
        E: "the referendum definition and the election package",
    },
    "help.package.freeze": {
        Z: "檢查選務人員的 TOML 原始檔，寫出標準化的 definition.json",
        E: "validate the officials' TOML source and write the canonical definition.json",
    },
    "help.package.freeze.source": {
        Z: "公投案定義原始檔（TOML）",
        E: "the definition source (TOML)",
    },
    "help.package.freeze.out": {
        Z: "寫入位置（definition.json）",
        E: "where to write (definition.json)",
    },
    "help.package.freeze.force": {Z: "取代已存在的檔案", E: "replace an existing file"},
    "help.package.build": {
        Z: "簽署選務資料包（金鑰儀式之後）；輸入見 docs/package-inputs.md",
        E: "sign the election package (after the ceremony); inputs: docs/package-inputs.md",
    },
    "help.definition": {
        Z: "definition.json（或其 TOML 原始檔）",
        E: "definition.json (or its TOML source)",
    },
    "help.package.build.ceremony": {Z: "金鑰儀式的公開資料夾", E: "the ceremony's public folder"},
    "help.package.build.authority_key": {
        Z: "選務機關的簽章金鑰檔（refvote keys authority 所產生，以密語封存）",
        E: "the election authority's key file (made by `refvote keys authority`, sealed under a passphrase)",
    },
    "help.package.build.booth_keys": {
        Z: "投票機金鑰資料夾：<booth_id>.pub.json 簽章公鑰與 <booth_id>.tls.pub.pem TLS 公鑰",
        E: "folder of <booth_id>.pub.json signing keys and <booth_id>.tls.pub.pem TLS keys",
    },
    "help.package.build.tally_key": {Z: "開票站的公鑰檔", E: "the tally station's public key file"},
    "help.package.build.station_keys": {
        Z: "投開票所金鑰資料夾：<station_id>.pub.json 選舉人名冊機公鑰與 <station_id>.tls.pub.pem",
        E: "folder of <station_id>.pub.json poll-book keys and <station_id>.tls.pub.pem",
    },
    "help.package.build.pins": {
        Z: "工作人員密碼 CSV：station_id,role,pin",
        E: "poll-worker PINs CSV: station_id,role,pin",
    },
    "help.package.build.roll": {
        Z: "選舉人名冊 CSV：station_id,serial_number（取自戶籍資料）",
        E: "voter roll CSV: station_id,serial_number (from household registration data)",
    },
    "help.package.build.ca": {
        Z: "受信任的自然人憑證 CA 憑證（可重複）",
        E: "a trusted eID CA certificate (repeatable)",
    },
    "help.package.build.crl": {
        Z: "憑證廢止清冊 CRL（可重複）",
        E: "a revocation list, CRL (repeatable)",
    },
    "help.package.build.out": {Z: "資料包的新資料夾", E: "a new folder for the package"},
    "help.package.build.official": {
        Z: "簽署為正式（OFFICIAL）資料包；所有金鑰須為 refvote keys 所產生，demo 金鑰一律拒絕",
        E: "sign the package as OFFICIAL; every key must come from `refvote keys`, demo keys are refused",
    },
    "help.package.inspect": {
        Z: "驗證選務資料包並顯示內容",
        E: "verify an election package and show it",
    },
    "help.package.folder": {Z: "選務資料包資料夾", E: "the election package folder"},
    "help.authority.pin": {
        Z: "以選務機關金鑰指紋釘選（唸出的 16 個字元）",
        E: "pin the authority key by its fingerprint (the 16 characters read aloud)",
    },
    "help.authority.read_aloud": {
        Z: "選務機關金鑰指紋（唸出的 16 個字元）",
        E: "the authority key's fingerprint, read aloud",
    },
    "help.dev": {
        Z: "示範與測試工具（絕不可用於選舉）",
        E: "demo and test helpers (never for an election)",
    },
    "help.dev.keys": {
        Z: "產生示範用的機關、開票站、投票機與名冊機金鑰及工作人員密碼（未加密，永不為正式）",
        E: "make demo authority, tally, booth and poll-book keys and PINs (unencrypted, never OFFICIAL)",
    },
    "help.dev.keys.out": {Z: "金鑰的新資料夾", E: "a new folder for the keys"},
    "help.dev.make_cards": {
        Z: "產生測試用自然人憑證 CA 與測試卡",
        E: "make a test eID CA and test cards",
    },
    "help.new_folder": {Z: "一個新資料夾", E: "a new folder"},
    "help.dev.make_cards.count": {
        Z: "測試卡張數（5；1 至 10,000）",
        E: "test cards to make (5; 1 to 10,000)",
    },
    "help.dev.make_cards.kind": {Z: "RSA-2048 或 ECDSA P-256", E: "RSA-2048 or ECDSA P-256"},
    "help.keys": {
        Z: "產生正式金鑰（以密語封存：Argon2id + AES-GCM），並印出唸讀用指紋",
        E: "make production keys (sealed under a passphrase: Argon2id + AES-GCM) and print the read-aloud fingerprint",
    },
    "help.keys.authority": {
        Z: "選務機關的簽章金鑰（簽署選務資料包）",
        E: "the election authority's signing key (signs the election package)",
    },
    "help.keys.tally": {
        Z: "開票站的簽章金鑰（簽署選舉紀錄）",
        E: "the tally station's signing key (signs the election record)",
    },
    "help.keys.booth": {
        Z: "每部投票機的簽章金鑰與 TLS 金鑰（依公投案定義）",
        E: "every booth's signing key and TLS key (from the definition)",
    },
    "help.keys.station": {
        Z: "每個投開票所名冊機的簽章金鑰與 TLS 金鑰，及工作人員密碼",
        E: "every station's poll-book signing and TLS keys, and the poll-worker PINs",
    },
    "help.keys.authority.out": {
        Z: "新的金鑰檔資料夾（authority.key.json、authority.pub.json）",
        E: "a new folder for the key files (authority.key.json, authority.pub.json)",
    },
    "help.keys.tally.out": {
        Z: "新的金鑰檔資料夾（tally.key.json、tally.pub.json）",
        E: "a new folder for the key files (tally.key.json, tally.pub.json)",
    },
    "help.keys.booth.out": {
        Z: "新的金鑰檔資料夾（每部投票機各一組）",
        E: "a new folder for the key files (one set per booth)",
    },
    "help.keys.station.out": {
        Z: "新的金鑰檔資料夾（每個投開票所各一組，及 poll-worker-pins.csv）",
        E: "a new folder for the key files (one set per station, and poll-worker-pins.csv)",
    },
    "help.key_passphrase_file": {
        Z: "若金鑰為密封之正式金鑰（refvote keys），從檔案讀取其密語（第一行；否則在終端機輸入）",
        E: "for a sealed production key (refvote keys): read its passphrase from a file (first line; else typed)",
    },
    "booth.no_module": {
        Z: "請確認讀卡機的 PKCS#11 模組路徑（{reader}：{why}）",
        E: "check the card reader's PKCS#11 module path ({reader}: {why})",
    },
    "booth.key_unopened": {
        Z: "請提供該金鑰正確的密語（--passphrase-file 或在終端機輸入）（{path}：{why}）",
        E: "give the key's right passphrase (--passphrase-file, or typed) ({path}: {why})",
    },
    "key.prompt": {Z: "{path} 的密語", E: "passphrase for {path}"},
    "help.keys.passphrase_file": {
        Z: "從檔案讀取密語（第一行；否則在終端機輸入兩次）",
        E: "read the passphrase from a file (its first line; else typed twice at the terminal)",
    },
    "help.trustee": {
        Z: "受託人的步驟，在受託人自己的離線裝置上執行",
        E: "a trustee's steps, on the trustee's own offline device",
    },
    "help.trustee.init": {
        Z: "在受託人媒體上建立身分",
        E: "make this trustee's identity on its medium",
    },
    "help.trustee.medium": {Z: "受託人的媒體（資料夾）", E: "the trustee's medium (folder)"},
    "help.trustee.init.name": {
        Z: "受託人姓名（記入紀錄）",
        E: "the trustee's name (for the minutes)",
    },
    "help.passphrase_file": {
        Z: "從檔案讀取密語（否則在終端機輸入）",
        E: "read the passphrase from a file (else typed at the terminal)",
    },
    "help.trustee.step": {Z: "執行金鑰儀式的下一步", E: "do the next step of the key ceremony"},
    "help.trustee.step.ceremony": {
        Z: "選務人員公布的金鑰儀式資料夾",
        E: "the ceremony folder as the officials published it",
    },
    "help.trustee.step.deadline_passed": {
        Z: "對仍缺少的信封提出申訴",
        E: "complain about envelopes still missing",
    },
    "help.trustee.accept": {
        Z: "在此媒體上釘選已簽署的選務資料包（金鑰儀式之後）",
        E: "pin the signed election package on this medium (after the ceremony)",
    },
    "help.trustee.decrypt": {
        Z: "驗證紀錄並提供解密分片",
        E: "verify a record and give decryption shares",
    },
    "help.trustee.decrypt.record": {Z: "解密前紀錄", E: "the pre-decryption record"},
    "help.trustee.decrypt.authority": {
        Z: "選務機關金鑰指紋，於解密會議唸出",
        E: "the authority key's fingerprint, read aloud at the decryption session",
    },
    "help.tally": {Z: "離線開票站", E: "the air-gapped tally station"},
    "help.tally.ceremony": {
        Z: "開啟、收集、重啟或演練金鑰儀式",
        E: "open, collect, restart or rehearse the key ceremony",
    },
    "help.tally.ceremony.open": {
        Z: "開啟金鑰儀式：名單與隨機數",
        E: "open a ceremony: roster and nonce",
    },
    "help.tally.ceremony.k": {
        Z: "門檻 k（解密所需受託人數）",
        E: "the threshold k (trustees needed to decrypt)",
    },
    "help.tally.ceremony.n": {Z: "受託人數 n（5）", E: "trustees n (5)"},
    "help.tally.ceremony.open.trustee": {
        Z: "受託人與其 identity.pub.json，依序（可重複）",
        E: "a trustee and its identity.pub.json, in order (repeat)",
    },
    "help.tally.ceremony.out": {Z: "金鑰儀式的新資料夾", E: "a new folder for the ceremony"},
    "help.tally.ceremony.collect": {
        Z: "檢查並公布受託人的新檔案",
        E: "check and publish the trustees' new files",
    },
    "help.tally.ceremony.folder": {Z: "金鑰儀式資料夾", E: "the ceremony folder"},
    "help.tally.trustee_media": {Z: "受託人媒體", E: "trustee media"},
    "help.tally.ceremony.restart": {
        Z: "排除受託人後重新舉行金鑰儀式",
        E: "a new ceremony without excluded trustees",
    },
    "help.tally.ceremony.exclude": {
        Z: "要排除的受託人編號（可重複）",
        E: "a trustee number to exclude (repeat)",
    },
    "help.tally.ceremony.rehearse": {
        Z: "所有受託人在本機演練（僅供演練）",
        E: "every trustee on this machine (rehearsals only)",
    },
    "help.tally.ceremony.rehearse.passphrases": {
        Z: "每行一個密語，自受託人 1 起",
        E: "one passphrase per line, trustee 1 first",
    },
    "help.tally.ceremony.rehearse.media": {
        Z: "放置受託人媒體的新資料夾",
        E: "a new folder for the trustee media",
    },
    "help.tally.init": {
        Z: "驗證選務資料包並建立新的開票工作區",
        E: "verify the election package into a new workspace",
    },
    "help.tally.workspace.new": {Z: "新的開票工作區資料夾", E: "a new tally workspace folder"},
    "help.tally.workspace": {Z: "開票工作區資料夾", E: "the tally workspace folder"},
    "help.tally.init.authority": {
        Z: "選務機關金鑰指紋（唸出）：必填，釘選於工作區，publish 以之驗證紀錄",
        E: "the authority key's fingerprint, read aloud: required, pinned in the workspace; publish verifies against it",
    },
    "help.tally.import": {
        Z: "驗證並匯入投票機匯出檔（及名冊機計數）",
        E: "verify and import booth exports (and poll-book counts)",
    },
    "help.tally.import.media": {Z: "匯出檔或媒體資料夾", E: "export files or media folders"},
    "help.tally.prepare": {
        Z: "為受託人寫出解密前紀錄",
        E: "write the pre-decryption record for trustees",
    },
    "help.tally.tally_key": {Z: "開票站的簽章金鑰檔", E: "the tally station's signing key file"},
    "help.tally.prepare.out": {
        Z: "解密前紀錄的新資料夾",
        E: "a new folder for the pre-decryption record",
    },
    "help.tally.combine_shares": {
        Z: "檢查陸續送達的受託人解密分片（原名 tally decrypt）",
        E: "check trustees' decryption shares as they arrive (formerly `tally decrypt`)",
    },
    "help.tally.combine_shares.media": {
        Z: "分片檔或受託人媒體",
        E: "shares files or trustee media",
    },
    "help.tally.decrypt_renamed": {
        Z: "已更名為 tally combine-shares",
        E: "renamed: `tally combine-shares`",
    },
    "help.tally.decrypt_renamed.rest": {Z: "（不使用）", E: "(ignored)"},
    "help.tally.publish": {
        Z: "解密、寫出選舉紀錄與開票報表",
        E: "decrypt, write the record and the reports",
    },
    "help.tally.publish.out": {Z: "選舉紀錄的新資料夾", E: "a new folder for the election record"},
    "help.tally.publish.reports": {
        Z: "報表資料夾（預設：OUT-reports）",
        E: "folder for the reports (default: OUT-reports)",
    },
    "help.tally.publish.authority": {
        Z: "（選填）再次核對：須等於 tally init 所釘選的指紋",
        E: "(optional) a second check: must equal the fingerprint pinned at `tally init`",
    },
    "help.tally.status": {
        Z: "開票進度：各投開票所已送／應送的投票機、已收到的分片、下一步",
        E: "where the count stands: booths imported or missing by station, shares received, the next step",
    },
    "help.tally.rule": {
        Z: "依公民投票法第 29 條判定給定的數字",
        E: "Art. 29 of the Referendum Act on given figures",
    },
    "help.tally.rule.eligible": {
        Z: "投票權人數（可用千分位逗號）",
        E: "eligible voters (thousands separators allowed)",
    },
    "help.tally.rule.yes": {Z: "同意票數", E: "yes votes"},
    "help.tally.rule.no": {Z: "不同意票數", E: "no votes"},
    "help.json": {Z: "以 JSON 輸出", E: "print JSON"},
    "help.lookup": {
        Z: "在已公布的紀錄中查詢追蹤碼",
        E: "find a tracking code in a published record",
    },
    "help.lookup.code": {
        Z: "收據上的追蹤碼（16 個字元）或 QR 碼的 64 位十六進位",
        E: "the receipt's code (16 characters) or the QR's 64 hex digits",
    },
    "help.record": {Z: "選舉紀錄資料夾", E: "the record folder"},
    "help.lookup.authority": {
        Z: "選務機關金鑰指紋（唸出）：查詢結果以之為據",
        E: "the election authority key's read-aloud fingerprint: the answer rests on it",
    },
    "help.demo": {
        Z: "以內建預設值模擬一次完整公投",
        E: "a whole mock referendum on embedded defaults",
    },
    "help.demo.out": {Z: "輸出資料夾（demo-out）", E: "output folder (demo-out)"},
    "help.demo.voters": {Z: "每個投開票所的投票人數（24）", E: "voters per station (24)"},
    "help.demo.stations": {
        Z: "投開票所數，每所兩部投票機（2）",
        E: "stations, two booths each (2)",
    },
    "help.verify": {
        Z: "僅憑檔案重新檢查已公布的選舉紀錄，最後列出全國結果",
        E: "re-check a published election record from its files alone; ends with the national table",
    },
    "help.verify.authority": {
        Z: '選務機關金鑰指紋（唸出），例如 "ABCD EFGH IJKL MNOP"',
        E: 'the election authority key\'s read-aloud fingerprint, e.g. "ABCD EFGH IJKL MNOP"',
    },
    "help.verify.pre_decryption": {
        Z: "檢查解密前紀錄（V1–V10；不得含分片或結果）",
        E: "check a pre-decryption record (V1-V10; it must hold no shares or results)",
    },
    "help.verify.station": {
        Z: "觀察員：投開票所代號（或投票機代號），核對其結束報表",
        E: "observer: the station ID (or booth ID) whose closing report is checked",
    },
    "help.verify.close": {
        Z: "觀察員：結束報表上的結束碼（64 位十六進位，可含空格）",
        E: "observer: the close code on the closing report (64 hex digits, spaces allowed)",
    },
    "help.verify.counts": {
        Z: "觀察員：結束報表上的投入、挑戰、作廢張數，如 120,3,1",
        E: "observer: the closing report's cast, challenged and voided counts, e.g. 120,3,1",
    },
    "help.results": {
        Z: "列出已驗證紀錄的開票結果（中選會欄位）",
        E: "print the results of a verified record (the CEC's columns)",
    },
    "help.results.authority": {
        Z: "選務機關金鑰指紋（唸出）：先以之驗證紀錄",
        E: "the election authority key's read-aloud fingerprint: the record is verified against it first",
    },
    "help.results.level": {
        Z: "層級：nation（全國）、county（縣市）、township（鄉鎮市區）、station（投開票所）",
        E: "level: nation, county, township or station",
    },
    "help.results.area": {
        Z: "只列此區域（縣市名、縣市/鄉鎮名或投開票所代號）",
        E: "only this area (a county, county/township, or a station ID)",
    },
    "help.results.csv": {Z: "以 CSV 輸出（UTF-8 含 BOM）", E: "print CSV (UTF-8 with BOM)"},
    "help.results.json": {Z: "以 JSON 輸出", E: "print JSON"},
    "help.site": {
        Z: "寫出已驗證紀錄的公開結果網站（靜態、離線）",
        E: "write the public results site of a verified record (static, offline)",
    },
    "help.site.authority": {
        Z: "選務機關金鑰指紋（唸出）：網站以之為據",
        E: "the election authority key's read-aloud fingerprint: the site rests on it",
    },
    "help.site.out": {Z: "網站的新資料夾", E: "a new folder for the site"},
    "help.workers": {
        Z: "逐份匯出檢查所用的本機行程數（預設：全部核心）",
        E: "local worker processes for the per-export checks (default: all cores)",
    },
    "help.dask": {
        Z: "在此 dask.distributed 排程器上執行逐份匯出檢查（tcp://主機:8786）",
        E: "run the per-export checks on this dask.distributed scheduler (tcp://host:8786)",
    },
    "help.dev.synth_record": {
        Z: "產生大型、有效的合成選舉紀錄，供效能測試（絕不可用於選舉）",
        E: "a large, valid, SYNTHETIC election record for benchmarks (never for an election)",
    },
    "help.dev.synth_record.ballots": {Z: "投下的選票總數", E: "cast ballots in all"},
    "help.dev.synth_record.stations": {
        Z: "投票所數（每所兩部投票機）",
        E: "stations, two booths each",
    },
    "help.dev.synth_record.workers": {
        Z: "行程數（預設：全部核心）",
        E: "processes (default: all cores)",
    },
    "help.dev.synth_record.seed": {Z: "合成選擇的種子（1）", E: "of the synthetic choices (1)"},
    "help.dev.synth_record.out": {
        Z: "新資料夾：record/、金鑰、指紋",
        E: "a new folder: record/, keys, fingerprint",
    },
    "help.package.build.passphrase_file": {
        Z: "從檔案讀取機關金鑰的密語（第一行；否則在終端機輸入）",
        E: "read the authority key's passphrase from a file (its first line; else typed)",
    },
    "help.station": {
        Z: "投開票所的選舉人名冊機及其主控台",
        E: "the station's poll book and its console",
    },
    "help.station.authority": {
        Z: "選務機關金鑰指紋（唸出）：釘選資料包",
        E: "the election authority key's read-aloud fingerprint (pins the package)",
    },
    "help.station.station": {Z: "本投開票所代號", E: "this station's ID"},
    "help.station.db": {Z: "名冊機的 SQLite 檔", E: "the poll book's SQLite file"},
    "help.station.pin_file": {
        Z: "從檔案讀取工作人員密碼（否則詢問）",
        E: "read the poll-worker PIN from a file (else: asked)",
    },
    "help.station.serve": {
        Z: "為本投開票所的投票機執行名冊機",
        E: "run the poll book for this station's booths",
    },
    "help.station.tls_key": {Z: "名冊機的 TLS 私鑰（PEM）", E: "the poll book's TLS key (PEM)"},
    "help.station.listen": {Z: "主機:埠（127.0.0.1:7420）", E: "HOST:PORT (127.0.0.1:7420)"},
    "help.station.status": {Z: "計數與卡住的報到", E: "counts and stuck check-ins"},
    "help.station.release": {
        Z: "釋放投票機卡住的報到（僅憑證據）",
        E: "release a booth's stuck check-in, on evidence only",
    },
    "help.station.release.booth": {Z: "投票機代號", E: "the booth's ID"},
    "help.station.release.mirror_outbox": {
        Z: "故障投票機的鏡像讀取：未確認的工作階段，每行一個十六進位",
        E: "the dead booth's mirror reading: its unacknowledged sessions, one hex per line",
    },
    "help.station.issue_code": {
        Z: "為晶片卡無法使用的選舉人發一次性代碼",
        E: "a one-time code for a voter without a working card",
    },
    "help.station.issue_code.identifier": {
        Z: "選舉人的識別碼（否則詢問）",
        E: "the voter's identifier (else: asked)",
    },
    "help.station.close": {
        Z: "關閉名冊機並寫出簽署的計數",
        E: "close the poll book and write its signed count",
    },
    "help.station.close.key": {
        Z: "名冊機的簽章金鑰檔（refvote keys station 產生者需要密語）",
        E: "the poll book's signing key file (one made by `refvote keys station` needs its passphrase)",
    },
    "help.station.close.passphrase_file": {
        Z: "從檔案讀取簽章金鑰的密語（否則在終端機輸入）",
        E: "read the signing key's passphrase from a file (else typed)",
    },
    "help.station.close.out": {
        Z: "存放簽署計數的媒體（資料夾）",
        E: "the medium (folder) for the signed count",
    },
}
CATALOG.update(HELP)


# `refvote booth` (refvote/cmd_booth.py) ---------------------------------------------------------

BOOTH: dict[str, dict[Lang, str]] = {
    "help.booth": {
        Z: "投票機觸控螢幕（kiosk），在實體裝置上執行；或以 --demo 在虛擬裝置上執行",
        E: "the booth's touch screen (kiosk) on its devices, or --demo on virtual ones",
    },
    "help.booth.demo": {
        Z: "本機示範：虛擬晶片卡與虛擬印表機",
        E: "a local demo: virtual card and printer",
    },
    "help.booth.out": {
        Z: "--demo：存放一切的資料夾（會先清空）",
        E: "--demo: a folder for everything (wiped)",
    },
    "help.booth.booth_id": {
        Z: "本投票機的代號（與選務資料包相同）",
        E: "this booth's ID, as in the election package",
    },
    "help.booth.key": {
        Z: "投票機的簽章金鑰檔（<投票機>.key.json）",
        E: "the booth's signing key file (<booth>.key.json)",
    },
    "help.booth.tls_key": {
        Z: "投票機的 TLS 金鑰（<投票機>.tls.key.pem）",
        E: "the booth's TLS key (<booth>.tls.key.pem)",
    },
    "help.booth.package": {Z: "選務資料包資料夾", E: "the election package folder"},
    "help.booth.authority": {
        Z: "主管機關金鑰的指紋（唸讀核對的那一組）",
        E: "the authority key's fingerprint (the one read aloud)",
    },
    "help.booth.pollbook": {
        Z: "本投開票所選舉人名冊機的位址",
        E: "the station poll book's address",
    },
    "help.booth.reader": {
        Z: "讀卡機名稱（開頭即可，如 pcsc_scan 所列）",
        E: "the card reader's name (a prefix, as pcsc_scan lists it)",
    },
    "help.booth.printer": {
        Z: "收據印表機的序列埠裝置，例如 /dev/ttyUSB0",
        E: "the receipt printer's serial device, e.g. /dev/ttyUSB0",
    },
    "help.booth.data": {
        Z: "內部磁碟資料夾：選票儲存、事件紀錄、報表",
        E: "the internal disk's folder: ballot store, event log, reports",
    },
    "help.booth.mirror": {
        Z: "第二媒體（鏡像）的資料夾",
        E: "the second medium's folder (the mirror)",
    },
    "help.booth.export_medium": {
        Z: "關閉投票時寫出匯出檔的位置（可移除媒體）",
        E: "where closing writes the export (removable medium)",
    },
    "help.booth.shuffle_pin_pad": {
        Z: "選舉人之密碼鍵盤每位選舉人重新隨機排列數字（預設為固定順序）",
        E: "the voter's PIN pad in a new random digit order for each voter (default: fixed order)",
    },
    "help.booth.windowed": {
        Z: "以視窗執行，而非全螢幕 kiosk",
        E: "a window, not the full-screen kiosk",
    },
    "help.booth.quit_after_ready": {
        Z: "視窗出現且讀到讀卡機中的卡片後即結束（檢查用）",
        E: "exit once the window shows and the card in the reader is seen (checks)",
    },
    "help.booth.screenshot": {
        Z: "搭配 --quit-after-ready：就緒時存下整個螢幕畫面（make screenshots，Xvfb）",
        E: "with --quit-after-ready: save the whole screen once ready (make screenshots, Xvfb)",
    },
    "booth.missing_options": {
        Z: "缺少參數 {listed}（見 refvote booth --help）",
        E: "missing {listed} (see refvote booth --help)",
    },
    "booth.what.package": {Z: "選舉資料夾", E: "the election package folder"},
    "booth.what.data": {Z: "內部資料夾", E: "the internal data folder"},
    "booth.what.mirror": {Z: "鏡像媒體", E: "the mirror medium"},
    "booth.what.medium": {Z: "匯出媒體", E: "the export medium"},
    "booth.what.key": {Z: "投票機金鑰檔", E: "the booth's key file"},
    "booth.what.tls_key": {Z: "投票機 TLS 金鑰檔", E: "the booth's TLS key file"},
    "booth.no_folder": {
        Z: "{what}不存在：{path}（請先掛載）",
        E: "{what} not found: {path} (mount it first)",
    },
    "booth.no_file": {Z: "{what}不存在：{path}", E: "{what} not found: {path}"},
    "booth.bad_address": {
        Z: "選舉人名冊位址格式錯誤（應為 HOST:PORT）：{address}",
        E: "the poll book address is not HOST:PORT: {address}",
    },
    "booth.no_printer": {
        Z: "找不到印表機裝置 {device}：請檢查印表機電源與連接線",
        E: "no printer device at {device}: check the printer's power and cable",
    },
    "booth.not_serial": {
        Z: "{device} 不是序列埠裝置",
        E: "{device} is not a serial device (a character device)",
    },
    "booth.no_reader": {
        Z: "找不到讀卡機「{reader}」（目前有：{readers}）：請檢查 USB 線與 pcscd",
        E: "no card reader named '{reader}' (readers: {readers}): check the USB cable and that pcscd runs",
    },
    "booth.readers_none": {Z: "無", E: "none"},
    "booth.wrong_key": {
        Z: "{path} 是投票機 {name} 的金鑰，不是 {booth}",
        E: "{path} is the key of booth {name}, not {booth}",
    },
    "booth.no_speech": {
        Z: "語音無法使用（espeak-ng）：投票機照常啟動，整備檢查的耳機測試會顯示失敗",
        E: "speech is unavailable (espeak-ng): the booth starts, and the readiness check's headphone test will fail",
    },
    "booth.no_vpcd": {
        Z: "無法使用虛擬讀卡機：需要 pcscd 與 vsmartcard-vpcd（以 root 執行 make apt）",
        E: "the virtual card reader is unavailable: the demo needs pcscd and vsmartcard-vpcd (`make apt` as root installs them)",
    },
    "booth.demo.making": {
        Z: "refvote booth --demo：建立一個投開票所的選舉（金鑰儀式、金鑰、晶片卡、選務資料包）",
        E: "refvote booth --demo: making a one-station election (ceremony, keys, cards, package)",
    },
    "booth.demo.ready": {
        Z: "  投票機 {booth} 已設定並開始投票（零報表已列印：{paper}/）\n"
        "  主管機關指紋：{fingerprint}\n"
        "  一張虛擬身分證已在 {reader} 中：其 PIN 碼為 {pin}\n"
        "  工作人員 PIN 碼：主任管理員 {officer}，主任監察員 {supervisor}\n"
        "  每一張紙本都以 PNG 存於 {paper}/\n"
        "  結束：工作人員 Poll worker → PIN → 關閉投票機 Shut down",
        E: "  booth {booth} configured and open (zero report printed: {paper}/)\n"
        "  authority fingerprint: {fingerprint}\n"
        "  a virtual eID card is waiting in {reader}: its PIN is {pin}\n"
        "  poll-worker PINs: chief officer {officer}, chief supervisor {supervisor}\n"
        "  every piece of paper is saved as PNG in {paper}/\n"
        "  to stop: 工作人員 Poll worker → PIN → 關閉投票機 Shut down",
    },
    "booth.demo.next_card": {
        Z: "refvote booth：下一位選舉人的晶片卡已放入讀卡機（{identifier}）",
        E: "refvote booth: next voter's card in the reader ({identifier})",
    },
    "booth.demo.window_ready": {
        Z: "refvote booth：就緒（視窗已顯示，已讀到卡片）",
        E: "refvote booth: ready (window shown, card seen)",
    },
}
CATALOG.update(BOOTH)


def h(key: str) -> str:
    """A help line of the parser (`help.<key>`), in the current language."""
    return t(f"help.{key}")
