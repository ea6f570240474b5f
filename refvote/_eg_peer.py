"""The benchmark peer: ElectionGuard 1.4.0, run under .venv-eg/bin/python by `refvote bench`.

It is a separate process because ElectionGuard pins libraries of its own. It reads one
command a line on stdin ("encrypt", "verify", "quit") and answers one JSON line with the
nanoseconds of CPU time the work took (time.process_time_ns, as refvote's side measures), so
the caller can interleave its runs with refvote's and a loaded machine favours neither, and
the wall-clock nanoseconds beside it ("wall_ns"), reported apart.

The workload is the same as refvote's: one referendum ballot of 4 questions, each a contest
with the selections yes and no (vote for at most one; a blank leaves both at 0).

On Python 3.11 ElectionGuard 1.4.0 fails at import: its tally.py gives a dataclass field an
unhashable default (an ElGamalCiphertext instance). While importing it, `dataclasses.field`
is wrapped so that such a default becomes a default_factory returning a copy.
"""

import copy
import dataclasses
import json
import logging
import sys
import time
from datetime import datetime

_real_field = dataclasses.field


def _field(*args, **kwargs):  # type: ignore[no-untyped-def]
    default = kwargs.get("default", dataclasses.MISSING)
    if default is not dataclasses.MISSING and getattr(type(default), "__hash__", None) is None:
        kwargs.pop("default")
        kwargs["default_factory"] = lambda d=default: copy.deepcopy(d)
    return _real_field(*args, **kwargs)


dataclasses.field = _field
try:
    from electionguard.ballot import (
        CiphertextBallot,
        PlaintextBallot,
        PlaintextBallotContest,
        PlaintextBallotSelection,
    )
    from electionguard.election import make_ciphertext_election_context
    from electionguard.elgamal import elgamal_keypair_random
    from electionguard.encrypt import encrypt_ballot
    from electionguard.group import rand_q
    from electionguard.manifest import (
        BallotStyle,
        ElectionType,
        GeopoliticalUnit,
        InternalManifest,
        Manifest,
        ReferendumContestDescription,
        ReportingUnitType,
        SelectionDescription,
        SpecVersion,
        VoteVariationType,
    )
    from electionguard.serialize import from_raw, to_raw
finally:
    dataclasses.field = _real_field

QUESTIONS = 4


def build():  # type: ignore[no-untyped-def]
    contests = []
    for q in range(QUESTIONS):
        selections = [
            SelectionDescription(f"q{q}-yes", 0, f"q{q}-yes"),
            SelectionDescription(f"q{q}-no", 1, f"q{q}-no"),
        ]
        contests.append(
            ReferendumContestDescription(
                f"q{q}", q, "station", VoteVariationType.one_of_m, 1, 1, f"case {q}", selections
            )
        )
    manifest = Manifest(
        "refvote-bench",
        SpecVersion.EG1_0,
        ElectionType.special,
        datetime(2021, 12, 18),
        datetime(2021, 12, 18),
        [GeopoliticalUnit("station", "station", ReportingUnitType.polling_place)],
        [],
        [],
        contests,
        [BallotStyle("style", ["station"])],
    )
    keypair = elgamal_keypair_random()
    context = make_ciphertext_election_context(
        5, 3, keypair.public_key, rand_q(), manifest.crypto_hash()
    )
    return InternalManifest(manifest), context


def plaintext(n: int) -> PlaintextBallot:
    contests = []
    for q in range(QUESTIONS):
        choice = (n + q) % 3  # 0 blank, 1 yes, 2 no: every kind appears
        selections = []
        if choice:
            sel = f"q{q}-yes" if choice == 1 else f"q{q}-no"
            selections.append(PlaintextBallotSelection(sel, 1, 1))
        contests.append(PlaintextBallotContest(f"q{q}", selections))
    return PlaintextBallot(f"ballot-{n}", "style", contests)


def main() -> None:
    # ElectionGuard logs every encryption at INFO; logging is not part of what we measure.
    logging.disable(logging.ERROR)
    internal, context = build()
    seed = context.manifest_hash
    n = 0
    last_raw = None
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        n += 1
        if command == "encrypt":
            ballot = plaintext(n)
            start, wall = time.process_time_ns(), time.perf_counter_ns()
            encrypted = encrypt_ballot(ballot, internal, context, seed, should_verify_proofs=False)
            elapsed, wall = time.process_time_ns() - start, time.perf_counter_ns() - wall
            if encrypted is None:
                raise SystemExit("ElectionGuard failed to encrypt")
            last_raw = to_raw(encrypted)
            print(json.dumps({"ns": elapsed, "wall_ns": wall}), flush=True)
        elif command == "verify":
            if last_raw is None:
                raise SystemExit("verify before encrypt")
            start, wall = time.process_time_ns(), time.perf_counter_ns()
            ballot = from_raw(CiphertextBallot, last_raw)
            ok = ballot.is_valid_encryption(
                seed, context.elgamal_public_key, context.crypto_extended_base_hash
            )
            elapsed, wall = time.process_time_ns() - start, time.perf_counter_ns() - wall
            if not ok:
                raise SystemExit("ElectionGuard rejected its own ballot")
            print(json.dumps({"ns": elapsed, "wall_ns": wall}), flush=True)
        else:
            raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
