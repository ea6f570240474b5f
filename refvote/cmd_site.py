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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tally.site import VerifiedRecord

from refvote.messages import refuse, say


def site(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.parallel import RunnerUnavailable, close_runner, runner_for
    from tally.site import SiteError, build_site

    record, out = Path(args.record), Path(args.out)
    if not record.is_dir():
        return refuse("site", "results.not_folder", code=2, folder=record)
    try:
        runner = runner_for(getattr(args, "workers", None), getattr(args, "dask", None))
    except RunnerUnavailable as exc:
        return refuse("site", "runner.unavailable", exc, 2)
    try:
        report = build_site(record, args.authority, out, runner=runner)
    except SiteError as exc:
        return refuse("site", "site.refused", exc, 1)
    except CryptoError as exc:  # AlreadyExists, WriteFailed: they name the folder
        return refuse("site", "site.out_refused", exc, 2)
    finally:
        close_runner(runner)
    say("site.written", pages=report.pages, codes=report.codes, shards=report.shards)
    say("site.open", path=(out / "index.html").resolve())
    return 0


def site_after_publish(record: Path, authority: str, verified: VerifiedRecord | None = None) -> int:
    """`refvote tally publish`'s last step: the site next to the record, as RECORD-site/.

    The site is written only from the record as verified against the authority key the tally
    workspace accepted (printed, for the officials to compare with the one read aloud). A site
    already there (a re-run of publish) is left as it is: it was renamed into place whole.
    `verified`: what publish's own verifier (`tally.site.site_verifier`) just checked, so the
    record is not verified a second time.
    """
    import os

    from crypto.errors import CryptoError
    from tally.site import SiteError, build_site

    out = record.with_name(record.name + "-site")
    if os.path.lexists(out):
        say("site.already", out=out)
        return 0
    try:
        report = build_site(record, authority, out, verified=verified)
    except (SiteError, CryptoError) as exc:
        return refuse("tally", "site.not_written", exc, 1)
    say("site.after_publish", authority=authority)
    say("site.after_publish_counts", pages=report.pages, codes=report.codes, path=out.resolve())
    return 0
