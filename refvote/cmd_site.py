"""`refvote site RECORD --authority FP --out DIR`: the public results site of a record.

The record is verified first, pinned to the authority fingerprint (every check of a final
record); nothing is written unless it verifies. The output is a function of the record's bytes,
so anyone rebuilds it and compares it byte for byte (docs/site.md).

Exit status: 0 written; 1 the record does not verify; 2 a usage error or the output folder
cannot be written (it exists, or its parent does not).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from refvote.messages import refuse, say


def site(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.site import SiteError, build_site

    record, out = Path(args.record), Path(args.out)
    if not record.is_dir():
        return refuse("site", "results.not_folder", code=2, folder=record)
    try:
        report = build_site(record, args.authority, out)
    except SiteError as exc:
        return refuse("site", "site.refused", exc, 1)
    except CryptoError as exc:  # AlreadyExists, WriteFailed: they name the folder
        return refuse("site", "site.out_refused", exc, 2)
    say("site.written", pages=report.pages, codes=report.codes, shards=report.shards)
    say("site.open", path=(out / "index.html").resolve())
    return 0


def site_after_publish(record: Path, authority: str) -> int:
    """`refvote tally publish`'s last step: the site next to the record, as RECORD-site/.

    The site is written only from the record as verified against the authority key the tally
    workspace accepted (printed, for the officials to compare with the one read aloud). A site
    already there (a re-run of publish) is left as it is: it was renamed into place whole.
    """
    import os

    from crypto.errors import CryptoError
    from tally.site import SiteError, build_site

    out = record.with_name(record.name + "-site")
    if os.path.lexists(out):
        say("site.already", out=out)
        return 0
    try:
        report = build_site(record, authority, out)
    except (SiteError, CryptoError) as exc:
        return refuse("tally", "site.not_written", exc, 1)
    say("site.after_publish", authority=authority)
    say("site.after_publish_counts", pages=report.pages, codes=report.codes, path=out.resolve())
    return 0
