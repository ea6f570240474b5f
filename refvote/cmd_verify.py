"""`refvote verify RECORD_DIR [--authority FINGERPRINT] [--pre-decryption] [--workers N |
--dask ADDRESS]`
`refvote verify RECORD_DIR --authority FP --station ID --close CODE --counts CAST,CHALLENGED,VOIDED`

Exit 0 only if every check passes; 1 if the record does not verify; 2 for a usage error. A
final record is expected unless `--pre-decryption` asks for the checks of the record trustees
receive (V1–V10; shares and results refused): the record's own word never lowers the bar. A
final record that verifies ends with the national results in the CEC's columns. The
per-export checks run on N local processes (default: all cores) or a Dask cluster; the output
is the same byte for byte (tally.parallel).

The observer's check (`--station`, `--close`, `--counts`): a closing report photographed at a
polling station names the booth's close code and its counts. After every check of the record
has passed (pinned to the authority: required here), one of the station's booths in the record
must have closed with exactly that code and those counts (V5 has checked that each booth's
close code follows from its chain and counts). A record that omits or alters the booth fails.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from refvote.messages import refuse, say

_COUNTS = re.compile(r"\s*([0-9]+)\s*,\s*([0-9]+)\s*,\s*([0-9]+)\s*")
_SLASHED = re.compile(r"\s*([0-9][0-9,]*)\s*/\s*([0-9][0-9,]*)\s*/\s*([0-9][0-9,]*)\s*")


def parse_counts(text: str) -> tuple[int, int, int] | None:
    """`CAST,CHALLENGED,VOIDED` (plain digits), or `CAST/CHALLENGED/VOIDED` where each figure
    may carry thousands separators (`1,204/3/1`)."""
    from refvote.messages import figure

    m = _COUNTS.fullmatch(text)
    if m:
        return int(m[1]), int(m[2]), int(m[3])
    m = _SLASHED.fullmatch(text)
    if m:
        try:
            return figure(m[1]), figure(m[2]), figure(m[3])
        except argparse.ArgumentTypeError:
            return None
    return None


def parse_close(text: str) -> bytes | None:
    """The close code as printed (hex in groups of four, two lines): 64 hex digits."""
    compact = "".join(text.split()).replace("-", "").lower()
    if len(compact) != 64 or any(ch not in "0123456789abcdef" for ch in compact):
        return None
    return bytes.fromhex(compact)


def verify(args: argparse.Namespace) -> int:
    from ballots.record import FINAL, PRE_DECRYPTION
    from tally.parallel import RunnerUnavailable, close_runner, runner_for
    from tally.verify import Verifier

    folder = Path(args.record)
    if not folder.is_dir():
        return refuse("verify", "results.not_folder", code=2, folder=folder)
    observer = [getattr(args, n, None) for n in ("station", "close", "counts")]
    if any(v is not None for v in observer):
        return _observer(args, folder)
    expect = PRE_DECRYPTION if getattr(args, "pre_decryption", False) else FINAL
    try:
        runner = runner_for(getattr(args, "workers", None), getattr(args, "dask", None))
    except RunnerUnavailable as exc:
        return refuse("verify", "runner.unavailable", exc, 2)
    try:
        verifier = Verifier(folder, args.authority, expect=expect, runner=runner)
        if not verifier.run():
            return 1
    finally:
        close_runner(runner)
    if verifier.record_state == FINAL:
        _national_table(folder, verifier)
    return 0


def _national_table(folder: Path, verifier) -> None:  # type: ignore[no-untyped-def]
    from ballots.record import Results, read_record_file
    from refvote.cmd_results import cec_rows, print_table

    package = verifier.state.package
    results = Results.from_json(read_record_file(folder, "tally/results.json"))
    say("verify.national_table")
    print_table(cec_rows(package.definition, results, "nation"))


def _observer(args: argparse.Namespace, folder: Path) -> int:
    from refvote.cmd_results import verified_results

    if None in (args.station, args.close, args.counts) or args.authority is None:
        return refuse("verify", "verify.observer_usage", code=2)
    close = parse_close(args.close)
    if close is None:
        return refuse("verify", "verify.observer_close", code=2, text=args.close)
    counts = parse_counts(args.counts)
    if counts is None:
        return refuse("verify", "verify.observer_counts", code=2, text=args.counts)
    found = verified_results(folder, args.authority)
    if found is None:
        return refuse("verify", "results.not_verified", code=1)
    _, _, verifier = found
    wanted = args.station.strip()
    exports = [e for e in verifier.state.exports.values() if wanted in (e.station_id, e.booth_id)]
    if not exports:
        return refuse("verify", "verify.observer_no_station", code=1, station=wanted)
    say("verify.observer_record_ok")
    for e in exports:
        if e.close != close:
            continue
        have = (e.counts.cast, e.counts.challenged, e.counts.voided)
        if have != counts:
            return refuse(
                "verify",
                "verify.observer_counts_differ",
                code=1,
                booth=e.booth_id,
                report="/".join(map(str, counts)),
                record="/".join(map(str, have)),
            )
        say(
            "verify.observer_match",
            booth=e.booth_id,
            station=e.station_id,
            cast=counts[0],
            challenged=counts[1],
            voided=counts[2],
        )
        return 0
    return refuse(
        "verify",
        "verify.observer_no_close",
        code=1,
        station=wanted,
        booths=", ".join(e.booth_id for e in exports),
    )
