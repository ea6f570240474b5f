"""`refvote verify RECORD_DIR [--authority FINGERPRINT]`: exit 0 only if every check passes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def verify(args: argparse.Namespace) -> int:
    from tally.verify import verify_record

    folder = Path(args.record)
    if not folder.is_dir():
        print(f"refvote verify: {folder} is not a folder", file=sys.stderr)
        return 2
    return 0 if verify_record(folder, args.authority) else 1
