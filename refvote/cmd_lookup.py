"""`refvote lookup CODE RECORD --authority FP`: is my ballot in the record, and was it counted?

The answer rests only on what was verified first, pinned to the authority fingerprint:

- about the booth (found, its fate, a challenge's reveal): V1–V9 (package, ceremony, index,
  booth exports, chains, validity, proofs, chain membership, challenge reveals);
- "counted": V10 onwards as well (the sums and, in a final record, the shares, decryptions,
  totals and outcomes). A pre-decryption record answers "recorded as cast; the count is not
  published yet".

Exit status: 0 an answer was given and everything it rests on verified; 1 no ballot has that
code; 2 the code is malformed, or the record does not verify as far as the answer needs.
"""

from __future__ import annotations

import argparse
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from refvote.messages import refuse, say

if TYPE_CHECKING:
    from tally.verify import Verifier

BOOTH_CHECKS = 9  # V1–V9: what an answer about a booth rests on


@dataclass(frozen=True)
class Verified:
    """How far the record verified: the checks that passed, the first failure, the state."""

    passed: tuple[str, ...]
    failure: str | None
    final: bool | None  # None when the index did not verify
    verifier: Verifier  # its state holds the verified package and exports

    def booth_part(self) -> bool:
        return all(f"V{n}" in self.passed for n in range(1, BOOTH_CHECKS + 1))


def _verify(folder: Path, authority: str) -> Verified:
    """The verifier's own run (`Verifier.run`, with its catch-all: no traceback reaches a
    person), every check to the end (`until=None`; in a pre-decryption record V11–V14 are
    skipped), read back as which checks passed and the first failure."""
    from ballots.record import FINAL
    from tally.verify import Verifier

    verifier = Verifier(folder, authority, out=io.StringIO(), expect=None, until=None)
    verifier.run()
    state = verifier.record_state
    return Verified(
        tuple(verifier.passed),
        verifier.failure,
        None if state is None else state == FINAL,
        verifier,
    )


def lookup(args: argparse.Namespace) -> int:
    from ballots.ballot import Choice
    from ballots.chain import parse_lookup, short_code
    from ballots.errors import ChainError
    from ballots.lookup import LookupStatus
    from ballots.lookup import lookup as find
    from ballots.package import key_fingerprint

    try:
        parse_lookup(args.code)
    except ChainError as exc:
        return refuse("lookup", "lookup.code", exc, 2)
    if not args.authority:
        return refuse("lookup", "lookup.authority", code=2)
    verified = _verify(Path(args.record), args.authority)
    verifier = verified.verifier
    if not verified.booth_part():
        return refuse("lookup", "lookup.not_verified", verified.failure, 2)
    package = verifier.state.package
    assert package is not None
    exports = list(verifier.state.exports.values())
    result = find(exports, package.public.base, args.code)
    say(
        "lookup.verified",
        checks=BOOTH_CHECKS,
        fingerprint=key_fingerprint(package.public.authority_key),
    )
    if result.status is LookupStatus.NOT_FOUND:
        say("lookup.not_found")
        return 1
    assert result.code is not None
    say("lookup.tracking", code=short_code(result.code))
    say("lookup.full", code=result.code.hex())
    say("lookup.booth", booth=result.booth_id, station=result.station_id)
    definition = package.definition
    if result.status is LookupStatus.VOIDED:
        say("lookup.voided")
        return 0
    if result.status is LookupStatus.CHALLENGED:
        say("lookup.challenged")
        label = {
            Choice.YES: (definition.options.yes_zh, definition.options.yes_en),
            Choice.NO: (definition.options.no_zh, definition.options.no_en),
            Choice.BLANK: ("空白（無效票）", "blank, counted as invalid"),
        }
        taken = {r.question_id: r for r in result.reveal or ()}
        for q in definition.questions:
            reveal = taken.get(q.question_id)
            if reveal is None:
                zh, en = "不領取", "declined"
            else:
                zh, en = label[Choice.from_plaintext(reveal.m, definition.packing_base)]
            print(f"  {q.case_number} {q.short_title_zh}: {zh} ({en})")
        return 0
    assert result.ballot is not None
    cases = ", ".join(
        definition.question(q.question_id).case_number for q in result.ballot.questions
    )
    if verified.failure is not None:
        say("lookup.cast_unverified", failure=verified.failure)
        return 2
    if not verified.final:
        say("lookup.cast_pre", cases=cases)
        return 0
    say("lookup.counted", cases=cases, last=verified.passed[-1])
    return 0
