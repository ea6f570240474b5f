"""The independent verifier: `refvote verify RECORD_DIR`.

It re-checks a published election record from its files alone, check by check as numbered in
docs/election-record.md, and prints one line per check. It imports only `crypto` and
`ballots`: nothing of the booth, the hardware or the tally's own computations.

The caller, never the record, says which state it expects: a final record by default (every
check V1–V16 runs), or a pre-decryption one (`expect=PRE_DECRYPTION`: V1–V10, V15, V16; no
shares or results may be present). `until` stops after a given check (for `refvote lookup`).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from ballots.ballot import check_ballot, check_reveal
from ballots.chain import EntryKind, chain_close, replay
from ballots.definition import Definition
from ballots.errors import BallotsError, PackageError
from ballots.export import BoothExport, Status
from ballots.manual_count import ManualCount, add_manual, open_manual_count
from ballots.package import (
    VerifiedPackage,
    key_fingerprint,
    normalise_fingerprint,
    verify_package,
)
from ballots.pollbook_count import open_pollbook_count
from ballots.record import (
    FINAL,
    PRE_DECRYPTION,
    RESULTS_PATH,
    SUMS_PATH,
    RecordIndex,
    Results,
    SharesFile,
    allowed_paths,
    booth_path,
    manual_path,
    pollbook_path,
    read_record_file,
    required_paths,
    scan_record,
    shares_path,
    sums_from_json,
)
from ballots.results import (
    Count,
    StationCount,
    SumSpec,
    TurnoutExceeded,
    outcomes,
    totals,
)
from crypto.elgamal import Ciphertext, sum_ciphertexts
from crypto.errors import CryptoError
from crypto.hashing import file_fingerprint, group_for_reading
from crypto.hazmat.group import Point, Scalar
from crypto.threshold import check_partial, combine


class VerificationFailed(Exception):
    """A check failed; the message names the first failing object."""


@dataclass
class _State:
    folder: Path
    authority: str | None
    package: VerifiedPackage | None = None
    index: RecordIndex | None = None
    # The parsed exports, kept only when the per-export checks ran in this process (no runner):
    # `refvote lookup` reads them. With a runner, only the outcomes come back.
    exports: dict[str, BoothExport] = field(default_factory=dict)
    outcomes: list[ExportOutcome] = field(default_factory=list)  # in definition booth order
    shares: dict[int, SharesFile] = field(default_factory=dict)
    manual: dict[str, ManualCount] = field(default_factory=dict)  # V16: booths counted by hand


@dataclass(frozen=True)
class Check:
    code: str
    title: str
    run: Callable[[_State], str]
    final_only: bool = False  # V11–V14: not applicable to a pre-decryption record


WIDTH = 34
STATES = (FINAL, PRE_DECRYPTION)


def normalise_authority(text: str) -> str:
    """`--authority` as typed, through the one normaliser (`ballots.package.normalise_fingerprint`:
    spaces, hyphens and case ignored, 16 base32 characters); VerificationFailed otherwise."""
    try:
        return normalise_fingerprint(text)
    except PackageError as exc:
        raise VerificationFailed(f"--authority: {exc}") from None


class Verifier:
    """Runs the checks in order; `run()` prints one line per check and returns True if all pass.

    expect: the state the caller requires of the record, FINAL (default) or PRE_DECRYPTION;
      None accepts either and reports which (`record_state` after V3). The record's own word
      never decides on its own: a pre-decryption record must hold no shares and no results.
    until: the code of the last check to run (e.g. "V9"); later checks print "not run".
    """

    def __init__(
        self,
        folder: Path,
        authority: str | None = None,
        out: TextIO = sys.stdout,
        *,
        expect: str | None = FINAL,
        until: str | None = None,
        runner: Runner | None = None,
        extra: Callable[[VerifiedPackage, BoothExport], Any] | None = None,
    ) -> None:
        if expect is not None and expect not in STATES:
            raise ValueError(f"expect must be {FINAL!r}, {PRE_DECRYPTION!r} or None")
        self.state = _State(folder, authority)
        self.out = out
        # runner: where the per-export checks (V4–V9) run (None: here, one export after
        # another; tally.parallel: local processes or a Dask cluster). Same output either way.
        # extra(pkg, export): more per-export work done where the export is parsed (the site's
        # lookup rows); its value is in the export's outcome (`ExportOutcome.extra`).
        self.runner = runner
        self.extra = extra
        self.export_seconds = 0.0  # wall time of the per-export checks (V4–V9), for benchmarks
        self.expect = expect
        self._sums_cache: list[SumSpec] = []
        self._results: Results | None = None
        self.checks = [
            Check("V1", "election package", self._package),
            Check("V2", "key ceremony", self._ceremony),
            Check("V3", "record index", self._index),
            Check("V4", "booth exports", self._exports),
            Check("V5", "chains open to close", self._chains),
            Check("V6", "ballot validity rules", self._validity),
            Check("V7", "ballot proofs", self._proofs),
            Check("V8", "ballots in their chains", self._chain_membership),
            Check("V9", "challenged ballots", self._challenged),
            Check("V10", "sums", self._sums),
            Check("V11", "decryption shares", self._shares, final_only=True),
            Check("V12", "decryptions", self._decryptions, final_only=True),
            Check("V13", "totals", self._totals, final_only=True),
            Check("V14", "Art. 29 outcomes", self._outcomes, final_only=True),
            Check("V15", "poll-book counts", self._pollbook),
            # Numbered and run last so V1–V15 keep their numbers; V13 and V15 add the hand
            # counts as read (`_hand_counts`), V16 checks them: the record passes only if both do.
            Check("V16", "hand-counted booths", self._manual),
        ]
        codes = [c.code for c in self.checks]
        if until is not None and until not in codes:
            raise ValueError(f"until must be one of {', '.join(codes)}")
        self.until = until
        self.passed: list[str] = []  # codes of the checks that ran and passed
        self.failure: str | None = None  # "V3 record index: <message>" of the failed check
        self._stopped_early = False
        self._fingerprint: bytes | None = None

    @property
    def record_state(self) -> str | None:
        """The state index.json declares, once V3 has verified it (None before)."""
        return self.state.index.state if self.state.index is not None else None

    @property
    def synthetic(self) -> bool:
        """index.json says this is a synthetic benchmark record (once V3 has verified it)."""
        return self.state.index is not None and self.state.index.synthetic

    @property
    def record_fingerprint(self) -> bytes | None:
        """H("file", index.json), once V3 has verified it: what the reports print."""
        return self._fingerprint

    def _say(self, code: str, title: str, result: str) -> None:
        self.out.write(f"{code:<4} {title + ' ':.<{WIDTH}} {result}\n")

    def run(self) -> bool:
        failed = False
        stopped = False
        for check in self.checks:
            if failed:
                self._say(check.code, check.title, "not run")
                continue
            if stopped:
                self._say(check.code, check.title, f"not run (stopped after {self.until})")
                self._stopped_early = True
                continue
            if check.final_only and self.record_state == PRE_DECRYPTION:
                self._say(check.code, check.title, "skipped (pre-decryption record)")
                continue
            try:
                result = check.run(self.state)
            except Exception as exc:  # the last line of defence: no traceback reaches a person
                message = failure_message(exc)
            else:
                self._say(check.code, check.title, result)
                self.passed.append(check.code)
                stopped = check.code == self.until
                continue
            self._say(check.code, check.title, f"FAILED: {message}")
            self.failure = f"{check.code} {check.title}: {message}"
            failed = True
        self.out.write(self._summary(failed))
        return not failed

    def _summary(self, failed: bool) -> str:
        if failed:
            return "refvote verify: the record does NOT verify\n"
        last = self.passed[-1]
        if self._stopped_early:
            line = f"refvote verify: checks V1–{last} passed; the later checks were not run\n"
        elif self.record_state == PRE_DECRYPTION:
            line = (
                "refvote verify: every check of a pre-decryption record passed (V1–V10, V15, V16); "
                "it holds no results\n"
            )
        else:
            line = "refvote verify: every check passed\n"
        if self.state.authority is None:
            line += (
                "NOTE: no --authority fingerprint was given: the keys are only self-asserted "
                "by the record. Compare the authority key's fingerprint "
                f"({key_fingerprint(self._pkg().public.authority_key)}) with the one the "
                "election authority published.\n"
            )
        return line

    # Helpers ---------------------------------------------------------------------------------

    def _pkg(self) -> VerifiedPackage:
        assert self.state.package is not None
        return self.state.package

    def _read(self, relative: str) -> bytes:
        return read_record_file(self.state.folder, relative)

    def _final(self) -> bool:
        assert self.state.index is not None
        return self.state.index.state == FINAL

    # The checks ------------------------------------------------------------------------------

    def _package(self, s: _State) -> str:
        if s.authority is not None:
            s.authority = normalise_authority(s.authority)
        scan_record(s.folder, "package")  # regular files and folders only, before any read
        try:
            s.package = verify_package(s.folder / "package", s.authority)
        except BallotsError as exc:
            raise VerificationFailed(f"package: {exc}") from None
        who = "pinned authority" if s.authority else "self-asserted authority"
        return f"ok ({who} {key_fingerprint(s.package.public.authority_key)})"

    def _ceremony(self, s: _State) -> str:
        joint = self._pkg().joint_key  # verify_package re-verified every ceremony file
        return f"ok ({joint.k} of {joint.n} trustees, {len(self._pkg().public.ceremony)} files)"

    def _index(self, s: _State) -> str:
        pkg = self._pkg()
        files, folders = scan_record(s.folder)
        data = self._read("index.json")
        index = RecordIndex.from_json(data)
        index.verify_signature(pkg.public.tally_key)
        if (index.manifest_hash, index.base) != (pkg.public.manifest_hash, pkg.public.base):
            raise VerificationFailed("index.json belongs to another election")
        if self.expect is not None and index.state != self.expect:
            if index.state == PRE_DECRYPTION:
                raise VerificationFailed(
                    "index.json: this is a pre-decryption record: it holds no results to "
                    "verify (check it as one with --pre-decryption)"
                )
            raise VerificationFailed(
                f"index.json: the record is {index.state!r}, not the {self.expect!r} record "
                "expected"
            )
        listed = dict(index.files)
        ceremony = [p for p, _ in pkg.public.ceremony]
        allowed = allowed_paths(
            pkg.definition.booth_ids(),
            [st.station_id for st in pkg.definition.stations],
            ceremony,
            pkg.joint_key.n,
            index.state,
        )
        for path in listed:
            if path in allowed:
                continue
            if index.state == PRE_DECRYPTION and (
                path == RESULTS_PATH or path.startswith("tally/shares/")
            ):
                raise VerificationFailed(
                    f"{path}: a pre-decryption record holds no decryption shares or results"
                )
            raise VerificationFailed(
                f"{path}: not a file of the record's layout (docs/election-record.md §1)"
            )
        for path in sorted(required_paths(ceremony, index.state) - set(listed)):
            raise VerificationFailed(f"{path}: not listed in index.json")
        unlisted = sorted(files - set(listed) - {"index.json"})
        if unlisted:
            raise VerificationFailed(f"{unlisted[0]}: not listed in index.json")
        parents = {"/".join(p.split("/")[:n]) for p in listed for n in range(1, p.count("/") + 1)}
        stray = sorted(folders - parents)
        if stray:
            raise VerificationFailed(f"{stray[0]}/: a folder outside the record's layout")
        for path, expected in index.files:
            if file_fingerprint(self._read(path)) != expected:
                raise VerificationFailed(f"{path}: does not match its fingerprint in index.json")
        s.index = index
        self._fingerprint = file_fingerprint(data)
        return (
            f"ok ({len(listed):,} files, {index.state}"
            + (", SYNTHETIC: a benchmark record, not an election" if index.synthetic else "")
            + f"; record fingerprint {group_for_reading(self._fingerprint)})"
        )

    def _exports(self, s: _State) -> str:
        """V4, and the per-export work of V5–V9 with it: each export's checks run in order
        until one fails (here, or on the runner's workers, export by export); the checks below
        then report from the outcomes, taking the first export in definition order that failed
        each one, which is exactly what one pass per check over the exports would report."""
        pkg = self._pkg()
        assert s.index is not None
        listed = dict(s.index.files)
        jobs = []
        by_hand = 0
        for booth_id in pkg.definition.booth_ids():
            path = booth_path(booth_id)
            if path not in listed and manual_path(booth_id) in listed:
                by_hand += 1  # its hand count instead: V16
                continue
            read_failure: str | None
            try:
                data = self._read(path)
            except Exception as exc:
                data, read_failure = b"", failure_message(exc)
            else:
                read_failure = None
            jobs.append(ExportJob(booth_id, path, data, listed.get(path, b""), read_failure))
        start = time.perf_counter()
        if self.runner is None:
            s.outcomes = [verify_export(pkg, job, self.extra, s.exports) for job in jobs]
        else:
            shared = SharedPackage.of(s.folder, pkg, listed)
            s.outcomes = list(self.runner.map(run_export_job, jobs, shared, self.extra))
        self.export_seconds = time.perf_counter() - start  # for benchmarks only
        self._first_failure("V4")
        manual = f"; {by_hand} counted by hand, V16" if by_hand else ""
        return f"ok ({len(s.outcomes)} booths, signatures verified{manual})"

    def _first_failure(self, code: str) -> None:
        for outcome in self.state.outcomes:
            if outcome.failure is not None and outcome.failure[0] == code:
                raise VerificationFailed(outcome.failure[1])

    def _chains(self, s: _State) -> str:
        self._first_failure("V5")
        entries = sum(o.entries for o in s.outcomes)
        return f"ok ({entries:,} entries in {len(s.outcomes)} chains)"

    def _validity(self, s: _State) -> str:
        seen = Seen()
        order = question_order(self._pkg())
        for o in s.outcomes:
            check_validity_keys(order, o.booth_id, o.station_id, o.ballots, seen)
        return f"{len(seen.ballot_ids):,} ok"

    def _proofs(self, s: _State) -> str:
        self._first_failure("V7")
        return f"{sum(o.proofs for o in s.outcomes):,} ok"

    def _chain_membership(self, s: _State) -> str:
        self._first_failure("V8")
        return f"{sum(o.members for o in s.outcomes):,} ok"

    def _challenged(self, s: _State) -> str:
        self._first_failure("V9")
        n = sum(o.challenged for o in s.outcomes)
        return f"{n:,} ok (re-encrypted, not counted)"

    def _sums(self, s: _State) -> str:
        pkg = self._pkg()
        base, sums = sums_from_json(self._read(SUMS_PATH))
        if base != pkg.public.base:
            raise VerificationFailed("tally/sums.json belongs to another election")
        expected = merge_sums(pkg.definition, s.outcomes)  # TurnoutExceeded names the station
        if len(sums) != len(expected):
            raise VerificationFailed(
                f"tally/sums.json has {len(sums)} sums; expected {len(expected)}"
            )
        for got, want in zip(sums, expected, strict=True):
            label = f"sum of station {want.station_id}, question {want.question_id}"
            if (got.station_id, got.question_id) != (want.station_id, want.question_id):
                raise VerificationFailed(
                    f"{label}: out of order (found {got.station_id}/{got.question_id})"
                )
            if got.ballot_ids != want.ballot_ids:
                raise VerificationFailed(
                    f"{label}: its ballot list is not exactly "
                    "the station's cast ballots that took it"
                )
            if got.ciphertext != want.ciphertext:
                raise VerificationFailed(f"{label}: is not the sum of its ballots' ciphertexts")
            if got.ballots >= pkg.definition.packing_base:
                raise VerificationFailed(f"{label}: N ≥ B")
        self._sums_cache = sums
        cast = sum(o.cast for o in s.outcomes)
        return f"{len(sums):,} ok (recomputed from {cast:,} cast ballots)"

    def _hand_counts(self, s: _State) -> dict[str, ManualCount]:
        """The record's hand counts as read (booth → count, definition order); V16 checks
        their signatures and arithmetic."""
        if s.manual:
            return s.manual
        assert s.index is not None
        listed = {p for p, _ in s.index.files}
        for booth_id in self._pkg().definition.booth_ids():
            path = manual_path(booth_id)
            if path in listed:
                s.manual[booth_id] = ManualCount.from_json(self._read(path), path)
        return s.manual

    def _manual(self, s: _State) -> str:
        """V16: each hand count in the record is signed by the pinned authority, is for a booth
        of the definition at its station, adds up, and replaces that booth's export (no
        electronic ballot of that booth in the record); with it, no station exceeds its
        eligible voters."""
        pkg = self._pkg()
        assert s.index is not None
        listed = {p for p, _ in s.index.files}
        s.manual = {}
        # The per-export outcomes, not the parsed exports: these come back from the runner's
        # workers too (--workers, --dask), so V16 reads the same whichever ran the checks.
        electronic = {o.booth_id for o in s.outcomes}
        for booth_id in pkg.definition.booth_ids():
            path = manual_path(booth_id)
            if path not in listed:
                continue
            hand = open_manual_count(
                self._read(path), pkg.public.authority_key, pkg.public.base, pkg.definition, path
            )
            if hand.booth_id != booth_id:
                raise VerificationFailed(f"{path}: holds the count of booth {hand.booth_id}")
            if booth_path(booth_id) in listed or booth_id in electronic:
                raise VerificationFailed(
                    f"{path}: booth {booth_id} has electronic ballots in the record "
                    f"({booth_path(booth_id)}); a box is counted once"
                )
            s.manual[booth_id] = hand
        cast_of = {}
        for o in s.outcomes:
            cast_of[o.booth_id] = o.cast
            for _, ballot_booth, _, _ in o.ballots:
                if ballot_booth in s.manual:
                    raise VerificationFailed(
                        f"{booth_path(o.booth_id)}: holds a ballot of booth {ballot_booth}, "
                        "which was counted by hand"
                    )
        for station in pkg.definition.stations:
            cast = sum(
                cast_of[x] if x in cast_of else s.manual[x].papers
                for x in station.booths
                if x in cast_of or x in s.manual
            )
            if s.manual.keys() & set(station.booths) and cast > station.eligible:
                raise VerificationFailed(
                    f"station {station.station_id}: {cast:,} cast ballots and hand-counted "
                    f"papers for {station.eligible:,} eligible voters"
                )
        if not s.manual:
            return "none (every booth's export is in the record)"
        papers = sum(h.papers for h in s.manual.values())
        return (
            f"ok ({', '.join(s.manual)}: {papers:,} papers counted by hand; the authority's "
            "signature, the arithmetic, no electronic ballots)"
        )

    def _shares(self, s: _State) -> str:
        pkg = self._pkg()
        joint = pkg.joint_key
        sums = self._sums_cache
        assert s.index is not None
        listed = {p for p, _ in s.index.files}
        valid = []
        for t in range(1, joint.n + 1):
            path = shares_path(t, joint.n)
            if path not in listed:
                continue
            file = SharesFile.from_json(self._read(path), path)
            if file.trustee != t or file.base != pkg.public.base:
                raise VerificationFailed(
                    f"{path}: names trustee {file.trustee} or another election"
                )
            if len(file.shares) != len(sums):
                raise VerificationFailed(
                    f"{path}: trustee {t} gave {len(file.shares)} shares for {len(sums)} sums"
                )
            try:
                joint.params.key_of(t).verify(file.signature, "share", *file.payload(sums))
            except CryptoError:
                raise VerificationFailed(
                    f"{path}: trustee {t}'s signature does not verify"
                ) from None
            for spec, partial in zip(sums, file.shares, strict=True):
                try:
                    check_partial(joint, t, spec.ciphertext, partial)
                except CryptoError:
                    raise VerificationFailed(
                        f"{path}: trustee {t}'s share for station {spec.station_id}, "
                        f"question {spec.question_id} has a proof that does not verify"
                    ) from None
            s.shares[t] = file
            valid.append(t)
        if len(valid) < joint.k:
            raise VerificationFailed(
                f"{len(valid)} trustees gave valid shares; k = {joint.k} are needed"
            )
        return f"ok (trustees {', '.join(map(str, valid))}; {len(valid) * len(sums):,} proofs)"

    def _decryptions(self, s: _State) -> str:
        pkg = self._pkg()
        B = pkg.definition.packing_base
        results = Results.from_json(self._read(RESULTS_PATH))
        if results.base != pkg.public.base:
            raise VerificationFailed("tally/results.json belongs to another election")
        sums = self._sums_cache
        if len(results.decrypted) != len(sums):
            raise VerificationFailed("tally/results.json does not decrypt every sum")
        quorum = sorted(s.shares)[: pkg.joint_key.k]
        if list(results.quorum) != quorum:
            raise VerificationFailed(
                f"tally/results.json: quorum says trustees {list(results.quorum)}; the "
                f"trustees whose shares combine (the first k valid) are {quorum}"
            )
        for index, (spec, d) in enumerate(zip(sums, results.decrypted, strict=True)):
            label = f"station {spec.station_id}, question {spec.question_id}"
            if (d.station_id, d.question_id) != (spec.station_id, spec.question_id):
                raise VerificationFailed(f"tally/results.json: {label}: out of order")
            N = spec.ballots
            if d.count.ballots != N:
                raise VerificationFailed(
                    f"{label}: results say {d.count.ballots} ballots, the sum has {N}"
                )
            if not 0 <= d.T <= B * N:
                raise VerificationFailed(f"{label}: T = {d.T} is outside 0 … B·N")
            M = combine(
                spec.ciphertext, {t: s.shares[t].shares[index].share for t in quorum}, len(quorum)
            )
            if M != Point.base_mul(Scalar.from_int(d.T)):
                raise VerificationFailed(f"{label}: T·G is not what the trustees' shares decrypt")
            yes, no = d.T % B, d.T // B
            if (yes, no) != (d.count.yes, d.count.no) or yes + no > N:
                raise VerificationFailed(
                    f"{label}: T = {d.T} does not unpack to the published yes/no"
                )
        self._results = results
        return f"{len(sums):,} ok (M = T·G with trustees {', '.join(map(str, quorum))})"

    def _totals(self, s: _State) -> str:
        definition = self._pkg().definition
        assert self._results is not None
        counts = [
            StationCount(d.station_id, d.question_id, d.count) for d in self._results.decrypted
        ]
        manual = self._hand_counts(s)
        if self._results.manual_counts != tuple(manual):
            raise VerificationFailed(
                f"tally/results.json: manual_counts names {list(self._results.manual_counts)}; "
                f"the record's hand counts are {list(manual)}"
            )
        expected = totals(definition, add_manual(counts, list(manual.values())))
        if list(self._results.totals) != expected:
            for got, want in zip(self._results.totals, expected, strict=False):
                if got != want:
                    where = want.level if not want.area else f"{want.level} {want.area}"
                    raise VerificationFailed(
                        f"{where}, question {want.question_id}: published "
                        f"{got.level} {got.area!r} {got.question_id}, eligible {got.eligible:,}, "
                        f"{_fmt(got.count)}; recomputed eligible {want.eligible:,}, "
                        f"{_fmt(want.count)}"
                    )
            raise VerificationFailed(
                "tally/results.json: the totals do not cover every area and question"
            )
        return f"{len(expected):,} ok (station → township → county → nation)"

    def _outcomes(self, s: _State) -> str:
        definition = self._pkg().definition
        assert self._results is not None
        expected = outcomes(definition, list(self._results.totals))
        if list(self._results.outcomes) != expected:
            for (qid, got), (_, want) in zip(self._results.outcomes, expected, strict=False):
                if got != want:
                    raise VerificationFailed(
                        f"question {qid}: the published Art. 29 outcome is not recomputed"
                    )
            raise VerificationFailed("tally/results.json: outcomes missing")
        summary = ", ".join(
            f"{definition.question(q).case_number} {'passed' if o.passed else 'failed'}"
            for q, o in expected
        )
        return f"ok ({summary})"

    def _pollbook(self, s: _State) -> str:
        """V15: each station's signed poll-book count, where present, equals its cast ballots."""
        pkg = self._pkg()
        assert s.index is not None
        listed = {p for p, _ in s.index.files}
        cast: dict[str, int] = {}
        for o in s.outcomes:
            cast[o.station_id] = cast.get(o.station_id, 0) + o.cast
        for hand in self._hand_counts(s).values():
            cast[hand.station_id] = cast.get(hand.station_id, 0) + hand.papers
        present = 0
        shown = {"checked_in_not_cast": 0, "released": 0, "completed_after_release": 0}
        for station in pkg.definition.stations:
            sid = station.station_id
            path = pollbook_path(sid)
            if path not in listed:
                continue
            count = open_pollbook_count(
                self._read(path), pkg.public.station_key(sid), pkg.public.base, sid
            )
            n = cast.get(sid, 0)
            if count.voted != n:
                raise VerificationFailed(
                    f"{path}: the poll book of station {sid} counts {count.voted:,} voters; "
                    f"its booths' exports (and hand counts) hold {n:,} cast ballots"
                )
            if count.voted > station.eligible:
                raise VerificationFailed(
                    f"{path}: the poll book of station {sid} counts {count.voted:,} voters "
                    f"for {station.eligible:,} eligible"
                )
            present += 1
            for name in shown:
                shown[name] += getattr(count, name)
        total = len(pkg.definition.stations)
        if present == 0:
            return f"none in the record (optional in this version; {total} stations)"
        return (
            f"{present} of {total} stations ok (voted = cast ballots; checked in not cast "
            f"{shown['checked_in_not_cast']:,}, released {shown['released']:,}, completed "
            f"after release {shown['completed_after_release']:,})"
        )


# Per-export rules (V4–V9), shared with `refvote tally import`. ------------------------------


@dataclass
class Seen:
    """Ballot IDs and α (their canonical encodings) seen so far across the record (every α
    and ID must be unique)."""

    ballot_ids: set[bytes] = field(default_factory=set)
    alphas: set[bytes] = field(default_factory=set)


# What V6 needs of a ballot, as plain values (they travel back from workers):
# (ballot_id, booth_id, station_id, ((question_id, α encoding, α is O), …)).
BallotKey = tuple[bytes, str, str, tuple[tuple[str, bytes, bool], ...]]


def ballot_keys(e: BoothExport) -> tuple[BallotKey, ...]:
    """V6's view of an export's ballots, in export order."""
    return tuple(
        (
            b.ballot.ballot_id,
            b.ballot.booth_id,
            b.ballot.station_id,
            tuple(
                (q.question_id, q.ciphertext.alpha.to_bytes(), q.ciphertext.alpha.is_identity())
                for q in b.ballot.questions
            ),
        )
        for b in e.ballots
    )


def question_order(pkg: VerifiedPackage) -> dict[str, int]:
    return {q: n for n, q in enumerate(pkg.definition.question_ids())}


def check_export_identity(
    pkg: VerifiedPackage, booth_id: str, data: bytes, what: str
) -> BoothExport:
    """V4 for one export: well-formed, of this registered booth and its station, signed by it."""
    try:
        export = BoothExport.from_json(data, what)
    except CryptoError as exc:
        raise VerificationFailed(str(exc)) from None
    if export.booth_id != booth_id:
        raise VerificationFailed(f"{what}: holds the export of booth {export.booth_id}")
    try:
        station = pkg.definition.station_of_booth(booth_id)
        key = pkg.public.booth_key(booth_id)
    except (KeyError, BallotsError):
        raise VerificationFailed(
            f"{what}: booth {booth_id} is not registered in the election package"
        ) from None
    if export.station_id != station.station_id:
        raise VerificationFailed(f"{what}: booth {booth_id} is not in station {export.station_id}")
    if (export.manifest_hash, export.base) != (pkg.public.manifest_hash, pkg.public.base):
        raise VerificationFailed(f"{what}: belongs to another election")
    try:
        export.verify_signature(key)
    except BallotsError as exc:
        raise VerificationFailed(str(exc)) from None
    return export


def check_chain(e: BoothExport) -> None:
    """V5 for one export: the counts are the chain's entries by kind and the ballots by status;
    the chain, replayed from its opening, reaches `close`."""
    booth_id = e.booth_id
    replayed = replay(e.base, booth_id, e.opening_nonce, e.chain)
    kinds = (EntryKind.CAST, EntryKind.CHALLENGED, EntryKind.VOID)
    in_chain = tuple(sum(1 for x in e.chain if x.kind is k) for k in kinds)
    counts = (e.counts.cast, e.counts.challenged, e.counts.voided)
    if in_chain != counts:
        raise VerificationFailed(
            f"booth {booth_id}: counts say {counts[0]} cast, {counts[1]} challenged, "
            f"{counts[2]} voided; the chain holds {in_chain[0]}, {in_chain[1]}, {in_chain[2]}"
        )
    published = tuple(
        sum(1 for b in e.ballots if b.status is s) for s in (Status.CAST, Status.CHALLENGED)
    )
    if published != counts[:2]:
        raise VerificationFailed(
            f"booth {booth_id}: counts say {counts[0]} cast and {counts[1]} challenged; "
            f"the export publishes {published[0]} cast and {published[1]} challenged ballots"
        )
    if chain_close(replayed.last, *counts) != e.close:
        raise VerificationFailed(f"booth {booth_id}: the chain does not lead to its closing code")


def check_validity(pkg: VerifiedPackage, e: BoothExport, seen: Seen) -> None:
    """V6 for one export, against the IDs and α of the exports checked before it."""
    check_validity_keys(question_order(pkg), e.booth_id, e.station_id, ballot_keys(e), seen)


def check_validity_keys(
    order: dict[str, int],
    booth_id: str,
    station_id: str,
    ballots: Iterable[BallotKey],
    seen: Seen,
) -> None:
    """V6 for one export's ballots (`ballot_keys`), against `seen` (updated)."""
    for ballot_id, ballot_booth, ballot_station, questions in ballots:
        label = f"ballot {ballot_id.hex()} (booth {booth_id})"
        if (ballot_booth, ballot_station) != (booth_id, station_id):
            raise VerificationFailed(f"{label}: names another booth or station")
        if ballot_id in seen.ballot_ids:
            raise VerificationFailed(f"{label}: ballot_id appears twice in the record")
        seen.ballot_ids.add(ballot_id)
        if not questions:  # the export reader refuses it too (V4)
            raise VerificationFailed(f"{label}: takes no question")
        previous = -1
        for question_id, alpha, is_identity in questions:
            if order.get(question_id, -1) <= previous:
                raise VerificationFailed(
                    f"{label}: question {question_id!r} unknown or out of definition order"
                )
            previous = order[question_id]
            if is_identity:
                raise VerificationFailed(f"{label}: question {question_id}: α is O")
            if alpha in seen.alphas:
                raise VerificationFailed(
                    f"{label}: question {question_id}: α appears twice in the record"
                )
            seen.alphas.add(alpha)


def check_proofs(pkg: VerifiedPackage, e: BoothExport) -> int:
    """V7 for one export; returns the number of proofs checked."""
    proofs = 0
    for b in e.ballots:
        try:
            check_ballot(pkg.context, b.ballot)
        except BallotsError as exc:
            raise VerificationFailed(str(exc)) from None
        proofs += len(b.ballot.questions)
    return proofs


def check_chain_membership(pkg: VerifiedPackage, e: BoothExport) -> int:
    """V8 for one export; returns the number of ballots found in the chain.

    Each published ballot's hash is exactly one entry of its booth's chain, and that entry's
    kind is the ballot's status (a ballot is cast only if its chain entry says cast); every
    cast or challenged entry is a published ballot.
    """
    base = pkg.public.base
    entries: dict[bytes, list[EntryKind]] = {}
    for x in e.chain:
        entries.setdefault(x.ballot_hash, []).append(x.kind)
    published = set()
    for b in e.ballots:
        label = f"ballot {b.ballot.ballot_id.hex()} (booth {e.booth_id})"
        h = b.ballot.hash(base)
        kinds = entries.get(h, [])
        if len(kinds) != 1:
            raise VerificationFailed(
                f"{label}: its hash is {len(kinds)} times in the chain, not once"
            )
        if kinds[0] is not b.status.entry_kind:
            raise VerificationFailed(
                f"{label}: published as {b.status.value} but its chain entry says {kinds[0].value}"
            )
        published.add(h)
    for x in e.chain:
        if x.kind is not EntryKind.VOID and x.ballot_hash not in published:
            raise VerificationFailed(
                f"booth {e.booth_id}: {x.kind.value} entry {x.ballot_hash.hex()[:16]}… "
                "is not a published ballot"
            )
    return len(published)


def check_challenged(pkg: VerifiedPackage, e: BoothExport) -> int:
    """V9 for one export; returns the number of challenged ballots re-encrypted."""
    n = 0
    for b in e.ballots:
        if b.status is Status.CHALLENGED:
            assert b.reveal is not None
            try:
                check_reveal(pkg.context, b.ballot, b.reveal)
            except BallotsError as exc:
                raise VerificationFailed(str(exc)) from None
            n += 1
    return n


# One export's checks, wherever they run ------------------------------------------------------


def failure_message(exc: BaseException) -> str:
    """What a failed check prints for `exc` (the same in this process and on a worker)."""
    if isinstance(exc, (VerificationFailed, CryptoError)):
        return str(exc)
    if isinstance(exc, OSError):  # a read that failed beneath the named readers
        return f"{exc.filename}: {exc.strerror}"
    return (
        f"internal error of the verifier ({type(exc).__name__}); the record is not "
        "accepted: report this with the record"
    )


@dataclass(frozen=True)
class ExportJob:
    """One booth's export as the main process read it, and the fingerprint index.json gives."""

    booth_id: str
    path: str
    data: bytes
    fingerprint: bytes
    read_failure: str | None = None  # the V4 message when the file could not be read


# (question_id, sorted ballot IDs, Σα encoding, Σβ encoding) of an export's cast ballots.
PartialSum = tuple[str, tuple[bytes, ...], bytes, bytes]


@dataclass(frozen=True)
class ExportOutcome:
    """What the checks V4–V9 found in one export: plain values only (they cross processes).

    failure: (code, message) of the first check that failed for this export (it stopped
    there), or None. The counts are those of the checks that passed.
    """

    booth_id: str
    failure: tuple[str, str] | None
    station_id: str = ""
    entries: int = 0  # V5: chain entries
    ballots: tuple[BallotKey, ...] = ()  # V6, checked across the record by the caller
    proofs: int = 0  # V7
    members: int = 0  # V8: published ballots found in the chain
    challenged: int = 0  # V9
    cast: int = 0  # cast ballots (V10, V15)
    sums: tuple[PartialSum, ...] = ()  # V10, merged by `merge_sums`
    extra: Any = None  # the caller's `extra(pkg, export)`, once every check passed


def verify_export(
    pkg: VerifiedPackage,
    job: ExportJob,
    extra: Callable[[VerifiedPackage, BoothExport], Any] | None = None,
    keep: dict[str, BoothExport] | None = None,
) -> ExportOutcome:
    """V4, V5, V7, V8, V9 for one export, in that order, stopping at the first that fails;
    V6's per-ballot values and V10's partial sums for the caller to combine across exports."""
    code = "V4"
    station_id = ""
    keys: tuple[BallotKey, ...] = ()
    try:
        if job.read_failure is not None:
            raise VerificationFailed(job.read_failure)
        if file_fingerprint(job.data) != job.fingerprint:  # changed since V3 read it
            raise VerificationFailed(f"{job.path}: does not match its fingerprint in index.json")
        export = check_export_identity(pkg, job.booth_id, job.data, job.path)
        if keep is not None:
            keep[job.booth_id] = export
        station_id = export.station_id
        code = "V5"
        check_chain(export)
        keys = ballot_keys(export)  # V6 runs across exports even if a later check fails here
        code = "V7"
        proofs = check_proofs(pkg, export)
        code = "V8"
        members = check_chain_membership(pkg, export)
        code = "V9"
        challenged = check_challenged(pkg, export)
        cast, sums = partial_sums(export)
        more = extra(pkg, export) if extra is not None else None
    except Exception as exc:
        return ExportOutcome(job.booth_id, (code, failure_message(exc)), station_id, ballots=keys)
    return ExportOutcome(
        job.booth_id,
        None,
        station_id,
        len(export.chain),
        keys,
        proofs,
        members,
        challenged,
        cast,
        sums,
        more,
    )


def partial_sums(export: BoothExport) -> tuple[int, tuple[PartialSum, ...]]:
    """An export's cast ballots: how many, and per question the sorted IDs and Σ ciphertext."""
    cast = [b.ballot for b in export.ballots if b.status is Status.CAST]
    by_question: dict[str, list[tuple[bytes, Ciphertext]]] = {}
    for ballot in cast:
        for q in ballot.questions:
            by_question.setdefault(q.question_id, []).append((ballot.ballot_id, q.ciphertext))
    sums = []
    for qid, entries in sorted(by_question.items()):
        total = sum_ciphertexts([c for _, c in entries])
        ids = tuple(sorted(b for b, _ in entries))
        sums.append((qid, ids, total.alpha.to_bytes(), total.beta.to_bytes()))
    return len(cast), tuple(sums)


def merge_sums(definition: Definition, exports: Sequence[ExportOutcome]) -> list[SumSpec]:
    """`ballots.results.compute_sums` from the exports' partial sums: the same sums in the same
    order (ballot IDs sorted, Σ in the group), TurnoutExceeded for the same first station."""
    cast: dict[str, int] = {}
    parts: dict[tuple[str, str], list[PartialSum]] = {}
    for o in exports:
        cast[o.station_id] = cast.get(o.station_id, 0) + o.cast
        for part in o.sums:
            parts.setdefault((o.station_id, part[0]), []).append(part)
    for station in definition.stations:
        n = cast.get(station.station_id, 0)
        if n > station.eligible:
            raise TurnoutExceeded(station.station_id, n, station.eligible)
    sums = []
    for station in definition.stations:
        for qid in definition.question_ids():
            found = parts.get((station.station_id, qid), [])
            ids = tuple(sorted(b for part in found for b in part[1]))
            total = sum_ciphertexts(
                [
                    Ciphertext(
                        Point.from_bytes(alpha, what="partial sum"),
                        Point.from_bytes(beta, what="partial sum"),
                    )
                    for _, _, alpha, beta in found
                ]
            )
            sums.append(SumSpec(station.station_id, qid, ids, total))
    return sums


class Runner(Protocol):
    """Runs `run_export_job(job, shared, extra)` for every job; the outcomes in job order."""

    def map(
        self,
        fn: Callable[[ExportJob, SharedPackage, Any], ExportOutcome],
        jobs: Sequence[ExportJob],
        shared: SharedPackage,
        extra: Any,
    ) -> Iterable[ExportOutcome]: ...


@dataclass(frozen=True)
class SharedPackage:
    """The election package as a worker verifies it again: its files' bytes, the authority
    fingerprint the main process verified it against, and the fingerprint index.json gives
    package.json (which the worker's copy must have)."""

    files: tuple[tuple[str, bytes], ...]  # (path under package/, bytes)
    authority: str
    package_fingerprint: bytes

    @classmethod
    def of(cls, folder: Path, pkg: VerifiedPackage, listed: dict[str, bytes]) -> SharedPackage:
        files = tuple(
            (path[len("package/") :], read_record_file(folder, path))
            for path in sorted(listed)
            if path.startswith("package/")
        )
        return cls(
            files,
            key_fingerprint(pkg.public.authority_key),
            listed["package/package.json"],
        )


_PACKAGES: dict[tuple[bytes, str], VerifiedPackage] = {}  # per worker process


def shared_package(shared: SharedPackage) -> VerifiedPackage:
    """The package verified in this process (once per process): pinned to the authority the
    main process used, its package.json the one index.json lists."""
    key = (shared.package_fingerprint, shared.authority)
    if key not in _PACKAGES:
        files = dict(shared.files)
        if file_fingerprint(files.get("package.json", b"")) != shared.package_fingerprint:
            raise VerificationFailed("package/package.json changed while the record was checked")
        with tempfile.TemporaryDirectory(prefix="refvote-worker-") as tmp:
            for relative, data in shared.files:
                path = Path(tmp, relative)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            try:
                _PACKAGES[key] = verify_package(Path(tmp), shared.authority)
            except BallotsError as exc:
                raise VerificationFailed(f"package: {exc}") from None
    return _PACKAGES[key]


def run_export_job(job: ExportJob, shared: SharedPackage, extra: Any) -> ExportOutcome:
    """A worker's task: one export's checks against the package verified in the worker."""
    try:
        pkg = shared_package(shared)
    except Exception as exc:
        return ExportOutcome(job.booth_id, ("V4", failure_message(exc)))
    return verify_export(pkg, job, extra)


def _fmt(c: Count) -> str:
    return f"{c.ballots} ballots, yes {c.yes}, no {c.no}"


def verify_record(
    folder: Path,
    authority: str | None = None,
    out: TextIO = sys.stdout,
    *,
    expect: str | None = FINAL,
    until: str | None = None,
    runner: Runner | None = None,
) -> bool:
    """Run the checks (see `Verifier`); True only if every check that ran passed."""
    return Verifier(folder, authority, out, expect=expect, until=until, runner=runner).run()


__all__ = [
    "BallotKey",
    "ExportJob",
    "ExportOutcome",
    "Runner",
    "Seen",
    "SharedPackage",
    "VerificationFailed",
    "Verifier",
    "check_chain",
    "check_chain_membership",
    "check_challenged",
    "check_export_identity",
    "check_proofs",
    "check_validity",
    "check_validity_keys",
    "failure_message",
    "merge_sums",
    "normalise_authority",
    "partial_sums",
    "run_export_job",
    "verify_export",
    "verify_record",
]
