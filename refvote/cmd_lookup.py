"""`refvote lookup CODE RECORD`: is my ballot in the record, and what did my challenge show?"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def lookup(args: argparse.Namespace) -> int:
    from ballots.ballot import Choice
    from ballots.chain import short_code
    from ballots.export import BoothExport
    from ballots.lookup import LookupStatus
    from ballots.lookup import lookup as find
    from ballots.package import verify_package
    from ballots.record import MAX_RECORD_FILE
    from crypto.errors import CryptoError
    from crypto.files import read_file

    record = Path(args.record)
    try:
        package = verify_package(record / "package")
        exports = [
            BoothExport.from_json(read_file(p, MAX_RECORD_FILE), p.name)
            for p in sorted((record / "booths").glob("*.json"))
        ]
        result = find(exports, package.public.base, args.code)
    except (CryptoError, OSError) as exc:
        print(f"refvote lookup: {exc}", file=sys.stderr)
        return 2
    if result.status is LookupStatus.NOT_FOUND:
        print("NOT FOUND: no ballot in this record has that tracking code")
        return 1
    assert result.code is not None
    print(f"tracking code {short_code(result.code)}")
    print(f"full code     {result.code.hex()}")
    print(f"booth         {result.booth_id}")
    if result.status is LookupStatus.VOIDED:
        print(
            "status        VOIDED: this ballot's paper did not print completely, "
            "so it was not counted"
        )
        return 0
    if result.status is LookupStatus.CAST:
        print("status        CAST: your ballot is in the record and was counted (encrypted)")
        return 0
    print("status        CHALLENGED: not counted; the booth revealed what it had encrypted:")
    definition = package.definition
    for reveal in result.reveal or ():
        choice = Choice.from_plaintext(reveal.m, definition.packing_base)
        q = definition.question(reveal.question_id)
        label = {
            Choice.YES: definition.options.yes_zh,
            Choice.NO: definition.options.no_zh,
            Choice.BLANK: "空白",
        }
        print(f"  {q.case_number} {q.short_title_zh}: {label[choice]} ({choice.value})")
    return 0
