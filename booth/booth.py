"""`Booth`: the one API of the booth core. The Qt screens, the headless driver, the demo and
the tests all drive a booth through it, and nothing else.

Poll-worker actions (each needs a PIN checked by booth.auth.PollWorkerAuth, each polls
transition prints its report): `configure`, `open_polls`, `pause`, `resume`, `close_polls`,
`write_export` (another copy after closing), `printer_attended` (either role's PIN), and
`reset_polls`, `recover` (the chief officer's and the chief supervisor's PINs, two people).
`retry_outbox` takes none: it only resends completions the poll book has not acknowledged
(as start-up and resume do).
Voter actions: `card_inserted`, `enter_pin`, `start_with_code`, `answer`, `review`,
`back_to_questions`, `confirm`, `cast`, `challenge`, `still_here`, `card_removed`, and `tick`
(the clock). `view()` says what to show.

Start-up (the constructor): compare the ballot store, the mirror and the chain (booth.store
.reconcile); void a ballot left undecided; resend complete(S) for every S in the outbox.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, NoReturn, Protocol, assert_never

from cryptography import x509

from ballots.ballot import Choice
from ballots.chain import ChainEntry
from ballots.definition import Definition
from ballots.errors import PackageError
from ballots.export import BoothExport, Counts, ExportedBallot, Status
from ballots.package import (
    VerifiedPackage,
    verify_confidential,
    verify_package,
)
from ballots.pins import PinHash
from booth.auth import Authorization, TwoPersonAuthorization
from booth.core import tracking
from booth.core.ballot import BallotState
from booth.core.pollbook import PollBookError, StationPollBook
from booth.core.polls import POLLS, PollsReport, PollsState, QuestionCount, ReportKind
from booth.core.session import (
    CardSlot,
    CardTrust,
    Clock,
    Printer,
    SessionParts,
    SessionState,
    Timeouts,
    VoterSession,
    void_slip_job,
)
from booth.errors import (
    ClosingRefused,
    ConfigurationRefused,
    CopiesDisagree,
    EventLogFailed,
    ExportFailed,
    MirrorCorrupt,
    MirrorWriteFailed,
    NoSession,
    NothingToReprint,
    OpeningRefused,
    SessionRefused,
    StorageError,
)
from booth.eventlog import (
    EventCode,
    LogUnavailable,
    Medium,
    MediumFault,
    OpenRefusal,
    RecoveryKind,
    Refusal,
    SessionEnd,
    SessionKind,
    VoidReason,
    encode_details,
)
from booth.readiness import Identity, ReadinessCheck
from booth.store import (
    Agreement,
    BallotStore,
    EntryRecord,
    Mirror,
    MirrorOutbox,
    OpeningRecord,
    Side,
    reconcile,
    recover,
)
from crypto.errors import CryptoError
from crypto.randomness import SYSTEM, RandomSource
from crypto.signing import SigningKey
from hardware import media
from hardware.errors import MediaError, MediumCorrupt, MediumFull, PrintFailed
from hardware.printer.escpos import FAULTS, PrinterState

OPENING_NONCE_BYTES = 32
MAX_CONFIDENTIAL = 64 << 20


class Authenticator(Protocol):
    """Checks poll workers' PINs with a durable try limit, logging every try (booth.auth
    .PollWorkerAuth); raises AuthenticationFailed (booth.auth.AuthError)."""

    def authenticate_any(self, pin: str) -> Authorization: ...

    def authenticate_two(self, officer_pin: str, supervisor_pin: str) -> TwoPersonAuthorization: ...


class AuthenticatorFactory(Protocol):
    """Builds the poll-worker check of the booth's station from the verified confidential
    package's PIN records: `PollWorkerAuth` itself (a stand-in in unit tests)."""

    def __call__(
        self,
        station_id: str,
        pins: Sequence[PinHash],
        state_path: Path,
        log: EventSink,
        clock: Callable[[], datetime.datetime],
    ) -> Authenticator: ...


class ReportPrinter(Protocol):
    """Prints (and saves) a polls transition's report (booth.report_printer); raises
    PrintFailed if the thermal printer could not confirm it."""

    def print_report(self, report: PollsReport, definition: Definition) -> None: ...

    def reprint_last(self) -> ReportKind | None:
        """Print the last report again, marked REPRINT; None if none was printed since the
        booth started. Raises PrintFailed like print_report."""
        ...


class EventSink(Protocol):
    """The booth's event log (booth.eventlog.EventLog): hash-chained, every code and detail
    declared once in its catalog. Never a choice, an identifier, a roll hash or S."""

    def append(self, code: EventCode, **details: object) -> bytes: ...

    def head(self) -> bytes: ...


class _NoLog:
    """No log file (unit tests): details are still checked against the catalog."""

    def append(self, code: EventCode, **details: object) -> bytes:
        encode_details(code, details)
        return bytes(32)

    def head(self) -> bytes:
        return bytes(32)


class _GuardedLog:
    """The event log as the booth core writes it: a failed write (LogUnavailable) goes through
    `guard`, which records it as the booth's storage fault and raises EventLogFailed."""

    def __init__(self, sink: EventSink, guard: Callable[[], AbstractContextManager[None]]) -> None:
        self.sink = sink
        self._guard = guard

    def append(self, code: EventCode, **details: object) -> bytes:
        with self._guard():
            return self.sink.append(code, **details)

    def head(self) -> bytes:
        return self.sink.head()


class StatusPrinter(Printer, Protocol):
    def status(self) -> object: ...


@dataclass(frozen=True)
class SessionView:
    """What the screens show for the voter session."""

    state: SessionState
    warning: bool
    tries_left: int | None
    answers: dict[str, Choice | None]
    challenges: int
    worker_called: bool
    short_code: str | None
    reason: str
    refusal: Refusal | None = None  # why the card or the poll book refused (state refused)
    printer_state: PrinterState | None = None  # the printer's state at a printer fault


@dataclass(frozen=True)
class OutboxReport:
    """`report_stuck_sessions`: completions the poll book has still not acknowledged
    (`pending`; the link is down), else how many check-ins of this booth the poll book holds
    in progress and may now release (`stuck`; None if the poll book could not be told)."""

    pending: int
    stuck: int | None


@dataclass(frozen=True)
class ExportWritten:
    """Closing's export on the medium: written, read back and compared."""

    path: Path
    sha256: str
    close_code: bytes
    counts: Counts

    @property
    def medium_may_be_removed(self) -> bool:
        return True


class _Loaded(NamedTuple):
    package: VerifiedPackage
    trust: CardTrust
    authenticator: Authenticator


@dataclass(frozen=True)
class BoothParts:
    """The booth's devices and neighbours, chosen in one factory (the CLI or the driver)."""

    booth_id: str
    signing_key: SigningKey
    store_path: Path
    mirror_folder: Path
    printer: StatusPrinter
    card_slot: CardSlot
    poll_book: StationPollBook
    authenticator: AuthenticatorFactory
    reports: ReportPrinter
    clock: Clock
    event_log: EventSink = field(default_factory=_NoLog)
    timeouts: Timeouts = field(default_factory=Timeouts)
    rng: RandomSource = SYSTEM


class Booth:
    def __init__(self, parts: BoothParts) -> None:
        self.parts = parts
        self.log = _GuardedLog(parts.event_log, self._log_faults)
        self.store = BallotStore(parts.store_path)
        self.mirror = Mirror(parts.mirror_folder)
        try:
            self.mirror.lock()
        except StorageError:
            self.store.close()
            raise
        self.mirror_outbox = MirrorOutbox(parts.mirror_folder)
        self._outbox_reported = False  # told the poll book, idle, which S it still owes
        self.session: VoterSession | None = None
        self.storage_problem: StorageError | None = None
        self.printer_fault: str | None = None
        self.void_slips_owed = 0
        self._package: VerifiedPackage | None = None
        self._trust: CardTrust | None = None
        self._auth: Authenticator | None = None
        self.log.append(EventCode.BOOTH_STARTED)
        if self.polls is not PollsState.UNCONFIGURED:
            folder, authority = Path(self._setting("package")), self._setting("authority")
            self._adopt(self._load_package(folder, authority))
        self._start_up()

    @property
    def official(self) -> bool:
        """OFFICIAL or TEST on every paper: the election package's signed field, never a flag."""
        return self.package.public.official

    # Start-up -------------------------------------------------------------------------------

    def _setting(self, name: str) -> str:
        value = self.store.setting(name)
        if value is None:
            raise StorageError(f"the ballot store lost its {name} setting")
        return value

    def _start_up(self) -> None:
        try:
            agreement = reconcile(self.store, self.mirror)
        except StorageError as exc:
            self._storage_fault(exc)
            return
        match agreement:
            case Agreement.MIRROR_BROUGHT_UP:
                self.log.append(EventCode.RECOVERY, kind=RecoveryKind.MIRROR_CAUGHT_UP, count=1)
            case Agreement.STORE_BROUGHT_UP:
                self.log.append(EventCode.RECOVERY, kind=RecoveryKind.STORE_CAUGHT_UP, count=1)
            case Agreement.AGREE:
                pass
            case _:
                assert_never(agreement)
        try:
            self._sync_mirror_outbox(agreement)
        except StorageError as exc:
            self._storage_fault(exc)
            return
        self._void_pending()
        self.retry_outbox()

    def _sync_mirror_outbox(self, agreement: Agreement) -> None:
        """Make the mirror medium's outbox list exactly the store's outbox.

        An S listed on the medium but not in the store is stale (added before a cast whose
        transaction never committed, or acknowledged before a crash) and dropped, except when
        the store was just brought up by a cast from the mirror: that cast's S is on the medium
        only, and goes back into the store's outbox to be completed.
        """
        listed = self.mirror_outbox.read()
        ours = set(self.store.outbox())
        if agreement is Agreement.STORE_BROUGHT_UP:
            entries = self.store.entries()
            if entries and entries[-1].fate is BallotState.CAST:
                for session in listed - ours:
                    self.store.add_to_outbox(session)
                ours |= listed
        if listed != ours:
            self.mirror_outbox.write(ours)

    def _void_pending(self) -> None:
        pending = self.store.pending()
        if pending is None:
            return
        link = tracking.link_after(self.store.last_link(), pending.ballot_hash, BallotState.VOID)
        entry = EntryRecord(BallotState.VOID, pending.ballot_hash, link, None, None)
        try:
            self.store.decide(entry)
            self.mirror.append(entry)
        except StorageError as exc:
            self._storage_fault(exc)
            return
        self.void_slips_owed += 1
        self.log.append(EventCode.BALLOT_VOIDED, reason=VoidReason.RESTART)
        self.log.append(EventCode.RECOVERY, kind=RecoveryKind.BALLOTS_VOIDED, count=1)

    def retry_outbox(self) -> int:
        """Resend complete(S) for every S in the outbox; returns how many are still pending."""
        pending = sent = 0
        for session in self.store.outbox():
            try:
                self.parts.poll_book.complete(session)
            except PollBookError:
                pending += 1
                continue
            self.store.acknowledge(session)
            try:
                self.mirror_outbox.remove(session)
            except StorageError as exc:
                self._storage_fault(exc)
            sent += 1
        if sent:
            self.log.append(EventCode.RECOVERY, kind=RecoveryKind.OUTBOX_RESENT, count=sent)
        if pending:
            self.log.append(EventCode.LINK_DOWN)
        elif not self._outbox_reported and (self.session is None or self.session.ended):
            # Idle, every completion acknowledged: the poll book may now release this booth's
            # other check-ins left in progress (sessions a crash cut short). Never mid-session.
            try:
                self.parts.poll_book.report_outbox(self.store.outbox())
                self._outbox_reported = True
            except PollBookError:
                pass
        return pending

    # The package ----------------------------------------------------------------------------

    def _load_package(self, folder: Path, authority: str) -> _Loaded:
        """Verify the package for this booth; nothing is adopted until the caller does."""
        try:
            verified = verify_package(folder, authority)
            confidential_path = folder / "confidential.json"
            if not confidential_path.is_file():
                raise PackageError("confidential.json is missing: booths need it")
            if confidential_path.stat().st_size > MAX_CONFIDENTIAL:
                raise PackageError("confidential.json is too large")
            confidential = verify_confidential(confidential_path.read_bytes(), verified)
            booth_key = verified.public.booth_key(self.parts.booth_id)
            if booth_key.raw != self.parts.signing_key.verify_key.raw:
                raise PackageError(
                    f"the package registers another key for booth {self.parts.booth_id}: "
                    "this is not that booth's key"
                )
            roots = tuple(
                x509.load_der_x509_certificate(der) for _, der in verified.public.ca_certificates
            )
            crls = tuple(x509.load_der_x509_crl(der) for _, der in confidential.revocation)
            date = datetime.date.fromisoformat(verified.definition.date)
            station_id = verified.definition.station_of_booth(self.parts.booth_id).station_id
            authenticator = self.parts.authenticator(
                station_id,
                confidential.station_pins(station_id),
                self.pin_state_path,
                self.log,
                self.parts.clock.now,
            )
        except (PackageError, CryptoError, ValueError, KeyError) as exc:
            raise ConfigurationRefused(f"the election package is refused: {exc}") from None
        return _Loaded(verified, CardTrust(roots, crls, date, confidential.roll_key), authenticator)

    def _adopt(self, loaded: _Loaded) -> None:
        self._package, self._trust, self._auth = loaded

    @property
    def package(self) -> VerifiedPackage:
        if self._package is None:
            raise ConfigurationRefused("the booth is not configured with an election package")
        return self._package

    @property
    def station_id(self) -> str:
        return self.package.definition.station_of_booth(self.parts.booth_id).station_id

    # Polls ----------------------------------------------------------------------------------

    @property
    def polls(self) -> PollsState:
        return self.store.polls_state()

    @property
    def pin_state_path(self) -> Path:
        """The poll-worker PIN try counter (booth.auth), beside the ballot store: a restart
        does not reset it."""
        store = self.parts.store_path
        return store.with_name(store.name + ".pin-state.json")

    def _auth_or_refuse(self, auth: Authenticator | None = None) -> Authenticator:
        auth = auth or self._auth
        if auth is None:
            raise ConfigurationRefused("the booth is not configured with an election package")
        return auth

    def _authenticate(self, pin: str, auth: Authenticator | None = None) -> Authorization:
        """One poll worker (either role); the authenticator logs every try."""
        return self._auth_or_refuse(auth).authenticate_any(pin)

    def _authenticate_two(self, officer_pin: str, supervisor_pin: str) -> TwoPersonAuthorization:
        """The chief officer and the chief supervisor, two different people."""
        return self._auth_or_refuse().authenticate_two(officer_pin, supervisor_pin)

    def _transition(self, target: PollsState, pin: str) -> PollsState:
        current = self.polls
        POLLS.check(current, target)
        self._authenticate(pin)
        return current

    def configure(self, package_folder: Path, authority_fingerprint: str, pin: str) -> None:
        """Load and verify the election package (public and confidential parts) against the
        pinned authority fingerprint (read aloud by the election office)."""
        POLLS.check(self.polls, PollsState.CONFIGURED)
        loaded = self._load_package(package_folder, authority_fingerprint)
        self._authenticate(pin, auth=loaded.authenticator)  # the package's own station PIN
        self._adopt(loaded)
        self.store.set_polls_state(
            PollsState.CONFIGURED,
            package=str(package_folder.resolve()),
            authority=authority_fingerprint,
        )
        self.log.append(EventCode.POLLS_CONFIGURED)

    def _printer_ready(self) -> bool:
        try:
            state = getattr(self.parts.printer.status(), "state", None)
        except PrintFailed:
            return False
        return isinstance(state, PrinterState) and state not in FAULTS

    def _guard_storage(self) -> None:
        if self.storage_problem is not None:
            raise OpeningRefused(
                f"storage needs a poll worker: {self.storage_problem} (see Recovery)"
            )

    def open_polls(self, pin: str) -> bytes:
        """Open: store and mirror empty, printer ready, zero report printed. Returns the
        opening nonce (the chain's start, on the zero report)."""
        self._transition(PollsState.OPEN, pin)
        self._guard_storage()
        if not self.store.is_empty():
            self._refuse_opening(
                OpenRefusal.STORE_NOT_EMPTY,
                "the ballot store is not empty: this booth was used already",
            )
        if self.mirror.records() or (self.mirror.path.exists() and self.mirror.path.stat().st_size):
            self._refuse_opening(
                OpenRefusal.MIRROR_NOT_EMPTY, f"the mirror on {self.mirror.folder} is not empty"
            )
        if not self._printer_ready():
            self._refuse_opening(
                OpenRefusal.PRINTER_NOT_READY,
                "the printer is not ready: check paper, cover and cable",
            )
        pkg = self.package
        opening = OpeningRecord(
            pkg.public.manifest_hash,
            pkg.public.base,
            self.station_id,
            self.parts.booth_id,
            self.parts.rng.bytes(OPENING_NONCE_BYTES),
        )
        try:
            with self._log_faults():
                self.parts.reports.print_report(
                    self._report(ReportKind.ZERO, opening), self.package.definition
                )
        except PrintFailed as exc:
            self._refuse_opening(
                OpenRefusal.ZERO_REPORT_NOT_PRINTED, f"the zero report did not print: {exc}"
            )
        self.store.set_opening(opening, PollsState.OPEN)
        try:
            self.mirror.append(opening)
        except StorageError as exc:
            self._storage_fault(exc)
            raise
        self.log.append(EventCode.POLLS_OPENED)
        return opening.opening_nonce

    def _refuse_opening(self, reason: OpenRefusal, message: str) -> NoReturn:
        self.log.append(EventCode.POLLS_OPEN_REFUSED, reason=reason)
        refused = OpeningRefused(message)
        refused.reason = reason
        raise refused

    def pause(self, pin: str) -> None:
        self._no_session("pause")
        self._transition(PollsState.PAUSED, pin)
        self._print_report(ReportKind.PAUSE)
        self.store.set_polls_state(PollsState.PAUSED)
        self.log.append(EventCode.POLLS_PAUSED)

    def resume(self, pin: str) -> None:
        self._transition(PollsState.OPEN, pin)
        self._guard_storage()
        if self.retry_outbox():
            self._refuse_opening(
                OpenRefusal.OUTBOX_NOT_EMPTY,
                "the poll book has not acknowledged every completion: check the station link",
            )
        self._print_report(ReportKind.RESUME)
        self.store.set_polls_state(PollsState.OPEN)
        self.log.append(EventCode.POLLS_RESUMED)

    def close_polls(self, pin: str, medium: Path) -> ExportWritten:
        """Close (final): seal the chain, print the closing report, write the signed export
        to `medium`, read it back. If the medium fails, polls are still closed: write
        another copy with `write_export`."""
        self._no_session("close")
        self._transition(PollsState.CLOSED, pin)
        self._guard_storage()
        if self.store.pending() is not None:
            raise ClosingRefused("a ballot is undecided: restart the booth to void it")
        self.store.set_polls_state(PollsState.CLOSED, log_head="")
        counts = _counts(self.store.entries())
        head = self.log.append(
            EventCode.POLLS_CLOSED,
            cast=counts.cast,
            challenged=counts.challenged,
            voided=counts.voided,
        )
        self.store.set_settings({"log_head": head.hex()})  # the closing report prints it too
        self._print_report(ReportKind.CLOSING)
        return self.write_export(pin, medium)

    def reset_polls(self, officer_pin: str, supervisor_pin: str) -> None:
        """The two-person reset: closed → paused (logged). Takes the chief officer's and the
        chief supervisor's PINs; one PIN twice is refused (booth.auth.SameWorkerTwice)."""
        POLLS.check(self.polls, PollsState.PAUSED)
        self._authenticate_two(officer_pin, supervisor_pin)
        self._print_report(ReportKind.RESET)
        self.store.set_polls_state(PollsState.PAUSED, log_head="")  # closing seals a new one
        self.log.append(EventCode.POLLS_RESET)

    def _print_report(self, kind: ReportKind) -> None:
        try:
            with self._log_faults():
                self.parts.reports.print_report(
                    self._report(kind, self.store.opening()), self.package.definition
                )
        except PrintFailed as exc:
            self.printer_fault = f"the {kind.value} report did not print: {exc}"
            self.log.append(EventCode.PRINTER_FAULT, state=_printer_state(exc))

    def _no_session(self, what: str) -> None:
        if self.session is not None and not self.session.ended:
            raise ClosingRefused(f"a voter session is in progress: cannot {what} now")

    # Poll-worker calls of the touch screen (issue 15) -----------------------------------------

    def check_worker(self, pin: str) -> Authorization | None:
        """A poll worker's PIN checked (and the try logged) before the screen shows the menu;
        every action checks it again. None while no package is loaded: `configure` checks the
        PIN against the package it loads, and there is no other check to make."""
        if self._auth is None:
            return None
        return self._authenticate(pin)

    def reprint_last_report(self, pin: str) -> ReportKind:
        """Print the last polls report again, marked 補印 REPRINT (docs/booth.md, Reports)."""
        self._authenticate(pin)
        with self._log_faults():
            kind = self.parts.reports.reprint_last()
        if kind is None:
            raise NothingToReprint("no report was printed since the booth started")
        return kind

    def report_stuck_sessions(self, pin: str) -> OutboxReport:
        """Release rule 1 (docs/booth.md): resend every unacknowledged completion, then tell
        the poll book which sessions this booth still owes, so that a poll worker at the
        station console may release this booth's other check-ins left in progress."""
        self._authenticate(pin)
        self._no_session("report stuck sessions")
        pending = self.retry_outbox()
        if pending:
            return OutboxReport(pending, None)
        try:
            stuck = self.parts.poll_book.report_outbox(self.store.outbox())
        except PollBookError:
            return OutboxReport(0, None)
        self._outbox_reported = True
        return OutboxReport(0, stuck)

    def readiness_check(self, pin: str) -> ReadinessCheck:
        """The poll workers' readiness check: after configuring, before opening."""
        self._authenticate(pin)
        if self.polls is not PollsState.CONFIGURED:
            raise ConfigurationRefused(
                "the readiness check runs after the package is loaded and before polls open"
            )
        d = self.package.definition
        station = d.station(self.station_id)
        identity = Identity(
            self.parts.booth_id, station.station_id, station.name, d.title_zh, self.official
        )
        return ReadinessCheck(
            identity, self.parts.printer, self.parts.card_slot, self.log, self.parts.clock.now
        )

    def shut_down(self, pin: str) -> None:
        """A poll worker stops the booth software (logged; no voter session in progress).
        Before a package is loaded there is no PIN to check."""
        self._no_session("shut down")
        if self._auth is not None:
            self._authenticate(pin)
        # A booth whose log medium failed can still be shut down: the entry is recorded if it
        # can be (the failure is already the storage problem), and the booth closes anyway.
        try:
            self._record(EventCode.BOOTH_STOPPED)
        finally:
            self.close()

    # The export -----------------------------------------------------------------------------

    def build_export(self) -> BoothExport:
        pkg = self.package
        opening = self.store.opening()
        if opening is None:
            raise ClosingRefused("polls were never opened: there is nothing to export")
        entries = self.store.entries()
        link = entries[-1].link if entries else opening.first_link
        counts = _counts(entries)
        ballots = tuple(
            sorted(
                (
                    ExportedBallot(
                        e.ballot,
                        Status.CAST if e.fate is BallotState.CAST else Status.CHALLENGED,
                        e.reveal,
                    )
                    for e in entries
                    if e.ballot is not None
                ),
                key=lambda b: b.ballot.ballot_id,
            )
        )
        unsigned = BoothExport(
            pkg.public.manifest_hash,
            pkg.public.base,
            opening.station_id,
            opening.booth_id,
            opening.opening_nonce,
            tuple(ChainEntry(tracking.entry_kind(e.fate), e.ballot_hash) for e in entries),
            ballots,
            counts,
            tracking.close_code(link, counts.cast, counts.challenged, counts.voided),
            self._log_head(),
            b"",
        )
        signature = self.parts.signing_key.sign("export", *unsigned.payload())
        return BoothExport(**{**unsigned.__dict__, "signature": signature})

    def _log_head(self) -> bytes:
        """The event-log head sealed when polls closed (the closing report's): every copy of
        the export carries the same one. Polls closed by a booth that stopped before it sealed
        the head seal it at the first export."""
        sealed = self.store.setting("log_head")
        if sealed:
            return bytes.fromhex(sealed)
        head = self.log.head()
        if self.polls is PollsState.CLOSED:
            self.store.set_settings({"log_head": head.hex()})
        return head

    def export_name(self) -> str:
        return f"export-{self.parts.booth_id}.json"

    def write_export(self, pin: str, medium: Path) -> ExportWritten:
        """Write the signed export to removable media, read it back and compare."""
        if self.polls is not PollsState.CLOSED:
            raise ClosingRefused("the export is written only when polls are closed")
        self._authenticate(pin)
        export = self.build_export()
        data = export.to_json()
        try:
            digest = media.write_file(medium, self.export_name(), data)
        except MediaError as exc:
            self.log.append(EventCode.MEDIUM_FAULT, medium=Medium.EXPORT, fault=_media_fault(exc))
            raise ExportFailed(f"the export could not be written to {medium}: {exc}") from None
        if digest != hashlib.sha256(data).hexdigest():
            raise ExportFailed("the medium's read-back differs from the export")
        counts = export.counts
        self.log.append(
            EventCode.EXPORT_WRITTEN,
            cast=counts.cast,
            challenged=counts.challenged,
            voided=counts.voided,
        )
        self.log.append(EventCode.EXPORT_READ_BACK)
        return ExportWritten(medium / self.export_name(), digest, export.close, export.counts)

    # Reports --------------------------------------------------------------------------------

    def _report(self, kind: ReportKind, opening: OpeningRecord | None) -> PollsReport:
        entries = self.store.entries()
        cast_ballots = [e.ballot for e in entries if e.fate is BallotState.CAST and e.ballot]
        cast = len(cast_ballots)
        challenged = sum(e.fate is BallotState.CHALLENGED for e in entries)
        voided = sum(e.fate is BallotState.VOID for e in entries)
        close = None
        if kind is ReportKind.CLOSING and opening is not None:
            link = entries[-1].link if entries else opening.first_link
            close = tracking.close_code(link, cast, challenged, voided)
        questions = tuple(
            QuestionCount(
                qid,
                taken := sum(1 for b in cast_ballots if b.question(qid) is not None),
                cast - taken,
            )
            for qid in self.package.definition.question_ids()
        )
        # Every cast had its check-in; a check-in that ended without a cast, or whose booth
        # stopped mid-session, is "checked in, not cast" (已領未投). Derived, so a restart or a
        # recovery never leaves the report's counts disagreeing.
        checked_in = max(self.store.counter("checked_in"), cast)
        return PollsReport(
            kind,
            self.parts.booth_id,
            self.station_id,
            self.package.public.manifest_hash,
            None if opening is None else opening.opening_nonce,
            close,
            checked_in,
            cast,
            challenged,
            voided,
            checked_in - cast,
            min(self.store.counter("cardless"), checked_in),
            questions,
            self.parts.clock.now(),
            self.log.head(),
        )

    # Faults and recovery --------------------------------------------------------------------

    def _storage_fault(self, exc: StorageError) -> None:
        self.storage_problem = exc
        medium, fault = _storage_fault(exc)
        self._record(EventCode.MEDIUM_FAULT, medium=medium, fault=fault)

    @contextmanager
    def _log_faults(self) -> Iterator[None]:
        """An event-log write failure is a storage fault like any other: the booth stops
        taking voters (the first fault stays the one shown) and EventLogFailed is raised."""
        try:
            yield
        except LogUnavailable as exc:
            fault = EventLogFailed(f"{exc}: restart the booth to reopen and check the event log")
            if self.storage_problem is None:
                self.storage_problem = fault
            raise fault from None

    def _record(self, code: EventCode, **details: object) -> None:
        """Log an entry whose failure must not overturn what already happened (a voter's
        step, a fault being recorded): the failure is kept as `storage_problem`, not raised."""
        try:
            self.log.append(code, **details)
        except EventLogFailed:
            pass

    def printer_attended(self, pin: str) -> None:
        """A poll worker fixed the printer: check it, print the owed VOID slips."""
        self._authenticate(pin)
        if not self._printer_ready():
            raise SessionRefused("the printer is still not ready", NoSession.PRINTER)
        while self.void_slips_owed:
            try:
                self.parts.printer.print_job(
                    void_slip_job(self.package.context, self.official, self.parts.printer.profile)
                )
            except PrintFailed as exc:
                raise SessionRefused(
                    f"the VOID slip did not print: {exc}", NoSession.PRINTER
                ) from None
            self.void_slips_owed -= 1
        self.printer_fault = None
        self.log.append(EventCode.PRINTER_READY)

    def recover(self, trusted: Side, officer_pin: str, supervisor_pin: str) -> int:
        """The chief officer and the chief supervisor rebuild the other copy from the `trusted`
        one (docs/booth.md, Recovery). Refused if it would lose a record the other copy holds."""
        self._authenticate_two(officer_pin, supervisor_pin)
        copied = recover(self.store, self.mirror, trusted)
        kind = (
            RecoveryKind.MIRROR_CAUGHT_UP if trusted is Side.STORE else RecoveryKind.STORE_CAUGHT_UP
        )
        self.log.append(EventCode.RECOVERY, kind=kind, count=copied)
        self.storage_problem = None
        self._start_up()
        if self.storage_problem is not None:
            raise self.storage_problem
        return copied

    # The voter session ----------------------------------------------------------------------

    def _parts(self) -> SessionParts:
        assert self._trust is not None
        return SessionParts(
            self.package.context,
            self.station_id,
            self.parts.booth_id,
            self.official,
            self.store,
            self.mirror,
            self.mirror_outbox,
            self.parts.printer,
            self.parts.card_slot,
            self.parts.poll_book,
            self._trust,
            self.parts.clock,
            self.parts.timeouts,
            self.parts.rng,
        )

    def _new_session(self) -> VoterSession:
        if self.polls is not PollsState.OPEN:
            raise SessionRefused(f"polls are {self.polls.value}: no voter session", NoSession.POLLS)
        if self.storage_problem is not None:
            raise SessionRefused(
                f"the booth stopped taking voters: {self.storage_problem}", NoSession.STORAGE
            )
        if self.printer_fault is not None or self.void_slips_owed:
            raise SessionRefused(
                "the printer needs a poll worker before the next voter", NoSession.PRINTER
            )
        if self.session is not None and not self.session.ended:
            raise SessionRefused("a voter session is already in progress", NoSession.BUSY)
        if self.retry_outbox():
            raise SessionRefused(
                "the poll book cannot be reached: no session starts", NoSession.POLL_BOOK
            )
        return VoterSession(self._parts(), self._voided)

    def _start(self, kind: SessionKind, action: str, *args: object) -> None:
        """A voter session starts once its start is logged: if the log fails (EventLogFailed,
        raised here), no session is left behind to block pause, close or the next voter."""
        session = self._new_session()
        self.log.append(EventCode.SESSION_STARTED, kind=kind)
        self.session = session
        self._step(session, action, *args)

    def _print_void_slip(self) -> None:
        p = self.parts
        p.printer.print_job(void_slip_job(self.package.context, self.official, p.printer.profile))

    def _voided(self, printer_ok: bool) -> None:
        reason = VoidReason.SESSION_ENDED if printer_ok else VoidReason.PRINT_FAILED
        self._record(EventCode.BALLOT_VOIDED, reason=reason)
        self.void_slips_owed += 1
        if printer_ok:
            try:
                self.parts.printer.print_job(
                    void_slip_job(self.package.context, self.official, self.parts.printer.profile)
                )
                self.void_slips_owed -= 1
            except PrintFailed as exc:
                self.printer_fault = f"the VOID slip did not print: {exc}"

    def _current(self) -> VoterSession:
        if self.session is None:
            raise SessionRefused("no voter session: insert the card first", NoSession.NO_SESSION)
        return self.session

    def _after(self, session: VoterSession, before: _Before) -> None:
        """Bookkeeping after every voter step: counters, the event log, faults, the end.
        Its log entries are recorded (`_record`): a log failure never overturns the voter's
        step, whose answer (a cast is counted) is already settled on the store and mirror."""
        if session.checked_in and not before.checked_in:
            self.store.count("checked_in")
            if session.cardless:
                self.store.count("cardless")
        if session.warning and not before.warning:
            self._record(EventCode.SESSION_TIMEOUT_WARNING)
        if session.refusal is not None and session.refusal is not before.refusal:
            self._record(EventCode.SESSION_REFUSED, reason=session.refusal)
        if session.challenges > before.challenges:
            self._record(EventCode.BALLOT_CHALLENGED)
        if session.worker_called and not before.worker_called:
            self._record(EventCode.SESSION_ENDED, reason=SessionEnd.CHALLENGE_LIMIT)
        if session.storage_failure is not None:
            self._storage_fault(session.storage_failure)
        if session.state is SessionState.PRINTER_FAULT and before.state is not session.state:
            self.printer_fault = session.reason
            state = session.printer_state or PrinterState.NO_ANSWER
            self._record(EventCode.PRINTER_FAULT, state=state)
        if session.ended and not before.state.ended:
            if session.state is SessionState.CAST:
                self._record(EventCode.BALLOT_CAST)
            self._record(EventCode.SESSION_ENDED, reason=_SESSION_END[session.state])

    def _step(self, session: VoterSession, action: str, *args: object) -> None:
        before = _Before(
            session.state,
            session.checked_in,
            session.warning,
            session.refusal,
            session.challenges,
            session.worker_called,
        )
        try:
            getattr(session, action)(*args)
        except StorageError as exc:
            self._storage_fault(exc)
            raise
        finally:
            self._after(session, before)

    def card_inserted(self) -> None:
        self._start(SessionKind.CARD, "card_inserted")

    def start_with_code(self, code: str) -> None:
        self._start(SessionKind.ONE_TIME_CODE, "start_with_code", code)

    def enter_pin(self, pin: str) -> None:
        self._step(self._current(), "enter_pin", pin)

    def answer(self, question_id: str, choice: Choice | None) -> None:
        self._step(self._current(), "answer", question_id, choice)

    def review(self) -> None:
        self._step(self._current(), "review")

    def back_to_questions(self) -> None:
        self._step(self._current(), "back_to_questions")

    def confirm(self) -> None:
        self._step(self._current(), "confirm")

    def cast(self) -> None:
        self._step(self._current(), "cast")

    def challenge(self) -> None:
        self._step(self._current(), "challenge")

    def still_here(self) -> None:
        self._step(self._current(), "still_here")

    def card_removed(self) -> None:
        if self.session is not None and not self.session.ended:
            self._step(self.session, "card_removed")

    def tick(self) -> None:
        if self.session is not None and not self.session.ended:
            self._step(self.session, "tick")

    def view(self) -> SessionView | None:
        s = self.session
        if s is None:
            return None
        return SessionView(
            s.state,
            s.warning,
            s.tries_left,
            s.answers(),
            s.challenges,
            s.worker_called,
            s.short_code,
            s.reason,
            s.refusal,
            s.printer_state,
        )

    def close(self) -> None:
        """Release the store and the mirror (the process is ending)."""
        self.store.close()
        self.mirror.close()


class _Before(NamedTuple):
    state: SessionState
    checked_in: bool
    warning: bool
    refusal: Refusal | None
    challenges: int
    worker_called: bool


_SESSION_END = {
    SessionState.CAST: SessionEnd.CAST,
    SessionState.DECLINED: SessionEnd.NOTHING_TAKEN,
    SessionState.CARD_PULLED: SessionEnd.CARD_PULLED,
    SessionState.TIMED_OUT: SessionEnd.TIMED_OUT,
    SessionState.PRINTER_FAULT: SessionEnd.PRINTER_FAULT,
    SessionState.REFUSED: SessionEnd.REFUSED,
    SessionState.LINK_DOWN: SessionEnd.LINK_DOWN,
    SessionState.STORAGE_FAULT: SessionEnd.STORE_FAULT,
}
assert set(_SESSION_END) == {s for s in SessionState if s.ended}, "every end has its log reason"


def _counts(entries: Sequence[EntryRecord]) -> Counts:
    return Counts(
        sum(e.fate is BallotState.CAST for e in entries),
        sum(e.fate is BallotState.CHALLENGED for e in entries),
        sum(e.fate is BallotState.VOID for e in entries),
    )


def _printer_state(exc: PrintFailed) -> PrinterState:
    try:
        return PrinterState(exc.state)
    except ValueError:
        return PrinterState.NO_ANSWER


def _media_fault(exc: MediaError) -> MediumFault:
    match exc:
        case MediumFull():
            return MediumFault.FULL
        case MediumCorrupt():
            return MediumFault.CORRUPT
        case _:
            return MediumFault.MISSING


def _storage_fault(exc: StorageError) -> tuple[Medium, MediumFault]:
    match exc:
        case CopiesDisagree():
            return Medium.MIRROR, MediumFault.MISMATCH
        case MirrorCorrupt():
            return Medium.MIRROR, MediumFault.CORRUPT
        case MirrorWriteFailed():
            return Medium.MIRROR, MediumFault.WRITE_FAILED
        case _:
            return Medium.STORE, MediumFault.WRITE_FAILED


__all__ = [
    "Authenticator",
    "AuthenticatorFactory",
    "Booth",
    "BoothParts",
    "CopiesDisagree",
    "EventSink",
    "ExportWritten",
    "OutboxReport",
    "ReportPrinter",
    "SessionView",
    "Side",
]
