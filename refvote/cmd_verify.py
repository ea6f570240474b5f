"""`refvote verify RECORD_DIR [--authority FINGERPRINT] [--pre-decryption] [--workers N |
--dask ADDRESS]`.

Exit 0 only if every check passes; 1 if the record does not verify; 2 for a usage error. A
final record is expected unless `--pre-decryption` asks for the checks of the record trustees
receive (V1–V10; shares and results refused): the record's own word never lowers the bar.
The per-export checks run on N local processes (default: all cores) or a Dask cluster; the
output is the same byte for byte (tally.parallel).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def verify(args: argparse.Namespace) -> int:
    from ballots.record import FINAL, PRE_DECRYPTION
    from tally.parallel import RunnerUnavailable, close_runner, runner_for
    from tally.verify import verify_record

    folder = Path(args.record)
    if not folder.is_dir():
        print(f"refvote verify: {folder} is not a folder", file=sys.stderr)
        return 2
    expect = PRE_DECRYPTION if getattr(args, "pre_decryption", False) else FINAL
    try:
        runner = runner_for(getattr(args, "workers", None), getattr(args, "dask", None))
    except RunnerUnavailable as exc:
        print(f"refvote verify: {exc}", file=sys.stderr)
        return 2
    try:
        return 0 if verify_record(folder, args.authority, expect=expect, runner=runner) else 1
    finally:
        close_runner(runner)
