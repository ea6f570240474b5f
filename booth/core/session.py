"""The voter session (memory only): from the card to cast or challenge.

    idle → card → checks → eligibility → questions ⇄ review → sealing → printing_record
         → printing_receipt → deciding → cast | challenged (→ questions, at most twice)
    idle → eligibility                      a card-less voter's one-time code
    ended: card_pulled | timed_out | printer_fault | refused | link_down | storage_fault
           | declined (every question declined: no ballot)

The card identifier and its roll hash live only inside `enter_pin`, until the poll book has
answered; afterwards the session holds the opaque S only. Plaintext choices live here, in
memory, for the session and are dropped when it ends. A ballot counts only once its paper
record printed completely (the printer's own confirmation) and the voter chose Cast.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cryptography import x509

from ballots.ballot import BallotNonces, Choice, EncryptedBallot, PlaintextBallot, encrypt_ballot
from ballots.chain import short_code
from ballots.context import ElectionContext
from ballots.package import roll_hash
from ballots.paper import challenged_slip, paper_record, receipt, void_slip
from booth.core import tracking
from booth.core.ballot import BallotState
from booth.core.machine import Transitions
from booth.core.pollbook import (
    AlreadyVoted,
    CodeInvalid,
    InProgressElsewhere,
    NotOnRoll,
    PollBook,
    PollBookError,
    PollBookUnreachable,
)
from booth.errors import ChallengeLimit, StorageError, TransitionRefused
from booth.eventlog import Refusal
from booth.paper import paper_record_job, receipt_job, slip_job
from booth.store import BallotStore, EntryRecord, Mirror, MirrorOutbox
from crypto.randomness import SYSTEM, RandomSource
from hardware.errors import (
    CardError,
    CardRemoved,
    CertificateExpired,
    CertificateRevoked,
    NoCard,
    PinBlocked,
    PinWrong,
    PrintFailed,
    UnknownIssuer,
)
from hardware.idcard.eid import EidToken, read_identity
from hardware.idcard.reader import CardChannel
from hardware.printer.escpos import PrinterState
from hardware.printer.job import Job, PrinterProfile

MAX_CHALLENGES = 2


class SessionState(enum.Enum):
    IDLE = "idle"
    CARD = "card"  # card inserted: waiting for the PIN
    CHECKS = "checks"  # certificate, revocation, PIN, the card's signature
    ELIGIBILITY = "eligibility"  # asking the poll book
    QUESTIONS = "questions"
    REVIEW = "review"
    SEALING = "sealing"  # encrypting, fixing the tracking code
    PRINTING_RECORD = "printing_record"
    PRINTING_RECEIPT = "printing_receipt"
    DECIDING = "deciding"
    CHALLENGED = "challenged"
    # Ends.
    CAST = "cast"
    DECLINED = "declined"
    CARD_PULLED = "card_pulled"
    TIMED_OUT = "timed_out"
    PRINTER_FAULT = "printer_fault"
    REFUSED = "refused"
    LINK_DOWN = "link_down"
    STORAGE_FAULT = "storage_fault"

    @property
    def ended(self) -> bool:
        return not SESSION.allowed[self]


_S = SessionState
# Where a voter can be when the card is pulled or the clock runs out: between two calls.
WAITING_FOR_VOTER = frozenset({_S.CARD, _S.QUESTIONS, _S.REVIEW, _S.DECIDING})

SESSION = Transitions[SessionState](
    "voter session",
    {
        _S.IDLE: frozenset({_S.CARD, _S.ELIGIBILITY}),
        _S.CARD: frozenset({_S.CHECKS, _S.CARD_PULLED, _S.TIMED_OUT}),
        _S.CHECKS: frozenset({_S.CARD, _S.ELIGIBILITY, _S.REFUSED, _S.CARD_PULLED}),
        _S.ELIGIBILITY: frozenset({_S.QUESTIONS, _S.REFUSED, _S.LINK_DOWN}),
        _S.QUESTIONS: frozenset({_S.REVIEW, _S.CARD_PULLED, _S.TIMED_OUT}),
        _S.REVIEW: frozenset({_S.QUESTIONS, _S.SEALING, _S.DECLINED, _S.CARD_PULLED, _S.TIMED_OUT}),
        _S.SEALING: frozenset({_S.PRINTING_RECORD, _S.STORAGE_FAULT}),
        _S.PRINTING_RECORD: frozenset({_S.PRINTING_RECEIPT, _S.PRINTER_FAULT, _S.STORAGE_FAULT}),
        _S.PRINTING_RECEIPT: frozenset({_S.DECIDING, _S.PRINTER_FAULT}),
        _S.DECIDING: frozenset(
            {_S.CAST, _S.CHALLENGED, _S.CARD_PULLED, _S.TIMED_OUT, _S.STORAGE_FAULT}
        ),
        _S.CHALLENGED: frozenset({_S.QUESTIONS, _S.PRINTER_FAULT}),
        _S.CAST: frozenset(),
        _S.DECLINED: frozenset(),
        _S.CARD_PULLED: frozenset(),
        _S.TIMED_OUT: frozenset(),
        _S.PRINTER_FAULT: frozenset(),
        _S.REFUSED: frozenset(),
        _S.LINK_DOWN: frozenset(),
        _S.STORAGE_FAULT: frozenset(),
    },
)


class Printer(Protocol):
    """What the booth needs of a printer (hardware.printer.driver.ThermalPrinter)."""

    profile: PrinterProfile

    def print_job(self, job: Job) -> object: ...


class CardSlot(Protocol):
    """Where a voter's card is (hardware.idcard.readers.open_reader: PC/SC or PKCS#11)."""

    def connect(self) -> CardChannel | EidToken: ...


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime.datetime: ...


@dataclass(frozen=True)
class Timeouts:
    """Seconds without a voter action: a warning first, then the session ends."""

    warn_after: float = 90.0
    end_after: float = 120.0


@dataclass(frozen=True)
class CardTrust:
    """What card checks need from the election package."""

    roots: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...]
    election_date: datetime.date
    roll_key: bytes


@dataclass(frozen=True)
class SessionParts:
    """Everything a session uses, handed over by the Booth."""

    ctx: ElectionContext
    station_id: str
    booth_id: str
    official: bool
    store: BallotStore
    mirror: Mirror
    mirror_outbox: MirrorOutbox
    printer: Printer
    card_slot: CardSlot
    poll_book: PollBook
    trust: CardTrust
    clock: Clock
    timeouts: Timeouts
    rng: RandomSource = SYSTEM


class VoterSession:
    """One voter at the booth. Every step checks the session table first."""

    def __init__(self, parts: SessionParts, on_void: Callable[[bool], None] | None = None) -> None:
        self.parts = parts
        self.state = SessionState.IDLE
        self.session: bytes | None = None  # the poll book's opaque S
        self.cardless = False
        self.choices: dict[str, Choice | None] = {}  # None: declined
        self.challenges = 0
        self.worker_called = False
        self.tries_left: int | None = None
        self.tracking_code: bytes | None = None
        self.reason = ""  # what the screen says when the session ended
        self.checked_in = False  # the poll book gave S (counted once by the Booth)
        self.storage_failure: StorageError | None = None  # the booth must stop taking voters
        self.refusal: Refusal | None = None  # why the card or the poll book refused
        self.printer_state: PrinterState | None = None  # the printer's state at a fault
        self.warning = False
        self._last_action = parts.clock.monotonic()
        self._ballot: EncryptedBallot | None = None
        self._ballot_hash: bytes | None = None
        self._nonces: BallotNonces | None = None
        self._on_void = on_void or (lambda _printer_ok: None)

    # Plumbing ------------------------------------------------------------------------------

    def _go(self, target: SessionState) -> None:
        self.state = SESSION.check(self.state, target)

    def _touch(self) -> None:
        self._last_action = self.parts.clock.monotonic()
        self.warning = False

    @property
    def ended(self) -> bool:
        return self.state.ended

    # Start ---------------------------------------------------------------------------------

    def card_inserted(self) -> None:
        self._go(SessionState.CARD)
        self._touch()

    def enter_pin(self, pin: str) -> None:
        """Check the card with its PIN, then ask the poll book; ends in a named state or
        reaches `questions`. A wrong PIN returns to `card` with `tries_left` set."""
        self._go(SessionState.CHECKS)
        self._touch()
        p = self.parts
        try:
            channel = p.card_slot.connect()
            try:
                holder = read_identity(
                    channel, pin, p.trust.roots, p.trust.crls, p.trust.election_date
                )
            finally:
                channel.close()
        except PinWrong as exc:
            self.tries_left = exc.tries_left
            self.refusal = Refusal.PIN_WRONG
            self._go(SessionState.CARD)
            return
        except (CardRemoved, NoCard):
            self._end(SessionState.CARD_PULLED, "the card was pulled out")
            return
        except CardError as exc:
            self.refusal = _card_refusal(exc)
            self._end(SessionState.REFUSED, f"the card cannot be used to vote: {exc}")
            return
        self.refusal = None
        self._go(SessionState.ELIGIBILITY)
        hashed = roll_hash(p.trust.roll_key, holder.identifier)
        del holder  # the identifier goes no further than its keyed hash
        self._ask_poll_book(lambda: p.poll_book.check_in(hashed))

    def start_with_code(self, code: str) -> None:
        """A card-less voter, checked at the station console, with a one-time code."""
        self._go(SessionState.ELIGIBILITY)
        self.cardless = True
        self._ask_poll_book(lambda: self.parts.poll_book.check_in_code(code))

    def _ask_poll_book(self, ask: Callable[[], bytes]) -> None:
        try:
            self.session = ask()
        except PollBookUnreachable:
            self._end(SessionState.LINK_DOWN, "the poll book cannot be reached: no session starts")
            return
        except (NotOnRoll, AlreadyVoted, InProgressElsewhere, CodeInvalid) as exc:
            self.refusal, reason = _refusal(exc)
            self._end(SessionState.REFUSED, reason)
            return
        except PollBookError as exc:
            self._end(SessionState.LINK_DOWN, f"the poll book did not answer as expected: {exc}")
            return
        self.checked_in = True
        self._go(SessionState.QUESTIONS)
        self._touch()

    # Questions and review ------------------------------------------------------------------

    def answer(self, question_id: str, choice: Choice | None) -> None:
        """Record an answer (None: the voter declines the question)."""
        if self.state is not SessionState.QUESTIONS:
            raise TransitionRefused(SESSION.machine, self.state.value, "answer (questions only)")
        if question_id not in self.parts.ctx.definition.question_ids():
            raise KeyError(f"no question {question_id!r}")
        self.choices[question_id] = choice
        self._touch()

    def review(self) -> None:
        self._go(SessionState.REVIEW)
        self._touch()

    def back_to_questions(self) -> None:
        self._go(SessionState.QUESTIONS)
        self._touch()

    def still_here(self) -> None:
        """The voter answered the timeout warning."""
        self._touch()

    # Sealing and printing ------------------------------------------------------------------

    def confirm(self) -> None:
        """Encrypt, fix the tracking code, print the paper record then the receipt."""
        p = self.parts
        SESSION.check(self.state, SessionState.SEALING)
        taken = {q: c for q, c in self.choices.items() if c is not None}
        if not taken:
            self._end(SessionState.DECLINED, "every question was declined: no ballot")
            return
        self._go(SessionState.SEALING)
        plaintext = PlaintextBallot(taken)
        ballot, nonces = encrypt_ballot(p.ctx, p.station_id, p.booth_id, plaintext, p.rng)
        ballot_hash = ballot.hash(p.ctx.base)
        try:
            code = tracking.code_for(p.store.last_link(), ballot_hash)
            p.store.fix(ballot, ballot_hash)
        except StorageError as exc:
            nonces.forget()
            self._end(SessionState.STORAGE_FAULT, str(exc))
            raise
        self._ballot, self._ballot_hash, self._nonces = ballot, ballot_hash, nonces
        self.tracking_code = code
        self._go(SessionState.PRINTING_RECORD)
        record = paper_record(p.ctx.definition, plaintext, p.official)
        try:
            p.printer.print_job(paper_record_job(record, p.printer.profile))
        except PrintFailed as exc:
            self.printer_state = _printer_state(exc)
            self._end(SessionState.PRINTER_FAULT, f"the paper record did not print: {exc}")
            return
        try:
            p.store.mark_printed(ballot_hash)
        except StorageError as exc:
            self._end(SessionState.STORAGE_FAULT, str(exc))
            raise
        self._go(SessionState.PRINTING_RECEIPT)
        try:
            p.printer.print_job(
                receipt_job(receipt(p.ctx.definition, code, p.official), p.printer.profile)
            )
        except PrintFailed as exc:
            self.printer_state = _printer_state(exc)
            self._end(SessionState.PRINTER_FAULT, f"the receipt did not print: {exc}")
            return
        self._go(SessionState.DECIDING)
        self._touch()

    @property
    def short_code(self) -> str | None:
        return None if self.tracking_code is None else short_code(self.tracking_code)

    # Deciding ------------------------------------------------------------------------------

    def _decide(self, fate: BallotState) -> None:
        """The chain entry with its decision: store (one transaction, with S into the outbox
        for a cast), then the mirror. Once the store has it, the ballot and S leave memory."""
        p = self.parts
        assert self._ballot is not None and self._ballot_hash is not None
        reveal = None
        if fate is BallotState.CHALLENGED:
            assert self._nonces is not None
            taken = {q: c for q, c in self.choices.items() if c is not None}
            reveal = self._nonces.reveal(PlaintextBallot(taken), p.ctx)
        link = tracking.link_after(p.store.last_link(), self._ballot_hash, fate)
        entry = EntryRecord(
            fate,
            self._ballot_hash,
            link,
            None if fate is BallotState.VOID else self._ballot,
            reveal,
        )
        p.store.decide(entry, self.session if fate is BallotState.CAST else None)
        if fate is BallotState.CAST:
            self.session = None  # in the outbox now: never aborted
        self._forget_ballot()
        p.mirror.append(entry)

    def _forget_ballot(self) -> None:
        if self._nonces is not None:
            self._nonces.forget()
        self._ballot = self._ballot_hash = self._nonces = None

    def cast(self) -> None:
        """Cast: durable in the store and on the mirror before this returns ("counted");
        then the poll book is told (retried from the outbox until it answers)."""
        SESSION.check(self.state, SessionState.CAST)
        session = self.session
        assert session is not None
        try:
            self.parts.mirror_outbox.add(session)  # before the store: see MirrorOutbox
            self._decide(BallotState.CAST)
        except StorageError as exc:
            self._end(SessionState.STORAGE_FAULT, str(exc))
            raise
        self._go(SessionState.CAST)
        self._drop_plaintext()
        self.reason = "counted"
        try:
            self.parts.poll_book.complete(session)
        except PollBookError:
            return  # S stays in the outbox: resent before the next session and at start-up
        self.parts.store.acknowledge(session)
        try:
            self.parts.mirror_outbox.remove(session)
        except StorageError as exc:
            self.storage_failure = exc  # counted all the same; the booth stops taking voters

    def challenge(self) -> None:
        """Challenge: the ballot is published with its reveal, a CHALLENGED slip is printed,
        and the voter votes again. Refused after MAX_CHALLENGES (a poll worker is called)."""
        SESSION.check(self.state, SessionState.CHALLENGED)
        if self.challenges >= MAX_CHALLENGES:
            self.worker_called = True
            raise ChallengeLimit(
                f"the ballot was challenged {MAX_CHALLENGES} times: a poll worker is called; "
                "the voter may still cast"
            )
        self._touch()
        try:
            self._decide(BallotState.CHALLENGED)
        except StorageError as exc:
            self._end(SessionState.STORAGE_FAULT, str(exc))
            raise
        self._go(SessionState.CHALLENGED)
        self.challenges += 1
        self.tracking_code = None
        p = self.parts
        try:
            p.printer.print_job(
                slip_job(challenged_slip(p.ctx.definition, p.official), p.printer.profile)
            )
        except PrintFailed as exc:
            self.printer_state = _printer_state(exc)
            self._end(SessionState.PRINTER_FAULT, f"the CHALLENGED slip did not print: {exc}")
            return
        self._go(SessionState.QUESTIONS)

    # Ends ----------------------------------------------------------------------------------

    def card_removed(self) -> None:
        if self.cardless or self.ended:
            return
        self._end(SessionState.CARD_PULLED, "the card was pulled out")

    def tick(self) -> None:
        """Check the clock: a warning first, then the end of the session."""
        if self.ended or self.state not in WAITING_FOR_VOTER:
            return
        idle = self.parts.clock.monotonic() - self._last_action
        if idle >= self.parts.timeouts.end_after:
            self._end(SessionState.TIMED_OUT, "the session timed out")
        elif idle >= self.parts.timeouts.warn_after:
            self.warning = True

    def _end(self, target: SessionState, reason: str) -> None:
        """End without a cast: void an undecided ballot, abort S, drop the choices."""
        self._go(target)
        self.reason = reason
        try:
            if self._ballot is not None:
                try:
                    self._decide(BallotState.VOID)
                except StorageError as exc:
                    self.storage_failure = exc  # the restart voids the ballot
                else:
                    self._on_void(target is not SessionState.PRINTER_FAULT)
        finally:
            self._forget_ballot()
            self._drop_plaintext()
            if self.session is not None:
                session, self.session = self.session, None
                try:
                    self.parts.poll_book.abort(session)
                except PollBookError:
                    pass  # the check-in stays in progress: a poll worker releases it (logged)

    def _drop_plaintext(self) -> None:
        self.choices.clear()

    def answers(self) -> dict[str, Choice | None]:
        """The voter's answers so far (for the review screen)."""
        return dict(self.choices)


def void_slip_job(ctx: ElectionContext, official: bool, profile: PrinterProfile) -> Job:
    return slip_job(void_slip(ctx.definition, official), profile)


def _refusal(exc: PollBookError) -> tuple[Refusal, str]:
    match exc:
        case NotOnRoll():
            return Refusal.NOT_ON_ROLL, "not on this station's roll"
        case AlreadyVoted():
            return Refusal.ALREADY_VOTED, "already voted at this station"
        case InProgressElsewhere():
            return Refusal.IN_PROGRESS_ELSEWHERE, "a session is in progress at another booth"
        case _:
            return Refusal.CODE_INVALID, "the one-time code is not valid (unknown or used)"


def _card_refusal(exc: CardError) -> Refusal:
    match exc:
        case PinBlocked():
            return Refusal.PIN_BLOCKED
        case CertificateExpired():
            return Refusal.CARD_EXPIRED
        case CertificateRevoked():
            return Refusal.CARD_REVOKED
        case UnknownIssuer():
            return Refusal.CARD_UNKNOWN_CA
        case _:
            return Refusal.CARD_UNREADABLE


def _printer_state(exc: PrintFailed) -> PrinterState:
    try:
        return PrinterState(exc.state)
    except ValueError:
        return PrinterState.NO_ANSWER
