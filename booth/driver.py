"""Headless voters: simulated voters through the real booth core, with given or random choices.

A `BoothRig` is one booth and its real devices: the ESC/POS driver to a virtual printer on a
pty (every piece of paper rendered to PNG), the station poll book through its TLS client, the
card slot (pcscd with the virtual eID card in the demo: `VpcdCards`), the ballot store and the
mirror. `HeadlessVoter` plays one `VoterPlan` through `booth.booth.Booth`'s API, as the Qt
screens would: insert the card, PIN, answers, review, confirm, challenge or cast, pull the
card. The simulator keeps the plaintext of what was cast in its own memory (the booth never
does), so the demo and the tests can compare the decrypted totals with it.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ballots.ballot import Choice
from ballots.definition import Definition
from ballots.package import VerifiedPackage
from booth.auth import PollWorkerAuth
from booth.booth import Booth, BoothParts
from booth.core.session import CardSlot, SessionState
from crypto.signing import SigningKey
from hardware.printer.driver import PrinterStatus, ThermalPrinter
from hardware.printer.job import Job, PrinterProfile
from hardware.printer.virtual_printer import VirtualPrinter

if TYPE_CHECKING:
    from booth.eventlog import EventLog
    from hardware.idcard.apdu import Command, Response
    from hardware.idcard.virtual_card import VirtualCard


class SystemClock:
    """The booth's clock in a real process: monotonic seconds, and UTC for reports."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)


class CardDeck(Protocol):
    """Puts one voter's card in the booth's reader, and takes it out."""

    slot: CardSlot

    def insert(self, identifier: str) -> None: ...

    def pull(self) -> None: ...


class VpcdCards:
    """The demo's cards: a virtual eID card per identifier, inserted into pcscd's virtual
    reader over vpcd (the real PC/SC path: `hardware.idcard.reader.PcscReader`)."""

    def __init__(
        self,
        cards: Mapping[str, tuple[object, bytes]],
        reader: str = "Virtual PCD 00 00",
        pin: str = "1234",
        settle: float = 10.0,
    ) -> None:
        from hardware.idcard.reader import PcscReader
        from hardware.idcard.virtual_card import VPCD_PORTS

        self.cards = cards
        self.reader = reader
        self.pin = pin
        self.port = VPCD_PORTS[reader]
        self.slot = PcscReader(reader)
        self.settle = settle
        self._card: VirtualCard | None = None

    def insert(self, identifier: str) -> None:
        from hardware.idcard.virtual_card import VirtualCard

        key, der = self.cards[identifier]
        card = VirtualCard(key, der, pin=self.pin, port=self.port)  # type: ignore[arg-type]
        card.insert()
        self._card = card
        self._wait(True)

    def pull(self) -> None:
        card, self._card = self._card, None
        if card is not None:
            card.remove()
            self._wait(False)

    def _wait(self, present: bool) -> None:
        """Until pcscd's own view of the slot agrees (a person is slower than its poll)."""
        deadline = time.monotonic() + self.settle
        while self.slot.card_present() is not present:
            if time.monotonic() > deadline:
                raise TimeoutError(f"pcscd did not see the card {'in' if present else 'out'}")
            time.sleep(0.05)


class LocalCards:
    """Cards answered in this process, without pcscd (benchmarks, tests): the card's APDUs go
    straight to a `VirtualCard`; the booth's card checks are the same."""

    def __init__(self, cards: Mapping[str, tuple[object, bytes]], pin: str = "1234") -> None:
        self.cards = cards
        self.pin = pin
        self.slot: CardSlot = self
        self._card: VirtualCard | None = None

    def insert(self, identifier: str) -> None:
        from hardware.idcard.virtual_card import VirtualCard

        key, der = self.cards[identifier]
        self._card = VirtualCard(key, der, pin=self.pin)  # type: ignore[arg-type]

    def pull(self) -> None:
        self._card = None

    def connect(self) -> _LocalChannel:
        from hardware.errors import NoCard

        if self._card is None:
            raise NoCard("no card in the reader")
        return _LocalChannel(self)


class SoftHsmCards:
    """Cards as SoftHSM2 tokens in a MOICA card's object layout, read through the PKCS#11
    reader (`hardware.idcard.pkcs11.Pkcs11Reader`: the path a real 自然人憑證 takes, with
    SoftHSM2 for the card's module). `tokens`: each identifier's token directory
    (`hardware.idcard.softhsm.provision`); `folder`: the reader's own token directory.
    SOFTHSM2_CONF is set for this process until `close`. The PIN try counter is the
    stand-in's (`hardware.idcard.softhsm.CardTryCounter`): SoftHSM2 never locks a PIN."""

    def __init__(self, tokens: Mapping[str, Path], folder: Path) -> None:
        import os

        from hardware.idcard.pkcs11 import Pkcs11Reader
        from hardware.idcard.softhsm import HICOS_LABEL, CardTryCounter, SoftHsmSlot

        self.tokens = tokens
        self.holder = SoftHsmSlot(folder)
        self._conf_before = os.environ.get("SOFTHSM2_CONF")
        os.environ["SOFTHSM2_CONF"] = str(self.holder.conf)
        self.reader = Pkcs11Reader(CardTryCounter(), HICOS_LABEL)
        self.slot: CardSlot = self.reader

    def insert(self, identifier: str) -> None:
        self.holder.insert(self.tokens[identifier])

    def pull(self) -> None:
        self.holder.pull()

    def close(self) -> None:
        import os

        self.pull()
        self.reader.close()
        if self._conf_before is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = self._conf_before


class _LocalChannel:
    def __init__(self, deck: LocalCards) -> None:
        self.deck = deck

    def transmit(self, command: Command) -> Response:
        from hardware.errors import CardRemoved
        from hardware.idcard.apdu import Response

        card = self.deck._card
        if card is None:
            raise CardRemoved("the card was pulled out during the command")
        return Response.parse(card.answer(command.to_bytes()))

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class VoterPlan:
    """What one simulated voter does. `identifier` None: a card-less voter with `code`."""

    identifier: str | None
    choices: Mapping[str, Choice | None]  # None: declines the question
    challenges: int = 0
    code: str | None = None
    pin: str = "1234"
    pull_card_at: SessionState | None = None  # QUESTIONS, REVIEW or DECIDING
    paper_out: bool = False  # the roll runs out in the middle of the paper record
    wrong_pins: int = 0  # wrong PINs typed before the right one (3 block the card)


@dataclass(frozen=True)
class VoterModel:
    """Probabilities of one simulated electorate (per question, in definition order)."""

    yes: tuple[float, ...] = (0.42, 0.47, 0.50, 0.55)
    blank: float = 0.04
    decline: float = 0.05
    challenge: float = 0.03


def random_plans(
    definition: Definition,
    identifiers: Sequence[str],
    seed: int = 2021,
    model: VoterModel | None = None,
) -> list[VoterPlan]:
    model = model or VoterModel()
    rng = random.Random(seed)  # noqa: S311 - simulated voters' choices, not secrets
    plans = []
    for identifier in identifiers:
        choices: dict[str, Choice | None] = {}
        for n, qid in enumerate(definition.question_ids()):
            if rng.random() < model.decline:
                choices[qid] = None
                continue
            roll = rng.random()
            p_yes = model.yes[n % len(model.yes)]
            choices[qid] = (
                Choice.BLANK
                if roll < model.blank
                else Choice.YES
                if roll < model.blank + (1 - model.blank) * p_yes
                else Choice.NO
            )
        plans.append(VoterPlan(identifier, choices, int(rng.random() < model.challenge)))
    return plans


@dataclass
class Tally:
    """What the simulated voters cast: per question [yes, no, blank], and the outcomes."""

    counts: dict[str, list[int]] = field(default_factory=dict)
    cast: int = 0
    outcomes: list[SessionState] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why each session that cast nothing ended
    cast_seconds: list[float] = field(default_factory=list)  # Cast → durable on both media

    def add(self, choices: Mapping[str, Choice | None]) -> None:
        for qid, choice in choices.items():
            if choice is not None:
                row = self.counts.setdefault(qid, [0, 0, 0])
                row[{Choice.YES: 0, Choice.NO: 1, Choice.BLANK: 2}[choice]] += 1
        self.cast += 1


class LabellingPrinter(ThermalPrinter):
    """The rig's ESC/POS driver to its virtual printer: before each job it tells the virtual
    printer the job's label, which it writes next to the piece's PNG (the poll worker sorting
    the paper: paper records of cast ballots into the box, receipts to the voter, ...)."""

    def __init__(self, virtual: VirtualPrinter, profile: PrinterProfile) -> None:
        super().__init__(virtual.port, profile)
        self.virtual = virtual

    def print_job(self, job: Job) -> PrinterStatus:
        self.virtual.label(job.label)
        return super().print_job(job)


@dataclass
class BoothRig:
    """One booth with its real devices: `BoothRig.create` is the demo's factory."""

    booth: Booth
    cards: CardDeck
    printer: ThermalPrinter
    virtual: VirtualPrinter | None
    worker_pin: str
    log: EventLog | None = None

    @staticmethod
    def virtual_printer(paper: Path) -> tuple[VirtualPrinter, ThermalPrinter]:
        virtual = VirtualPrinter(paper)
        return virtual, LabellingPrinter(virtual, PrinterProfile(job_timeout=10.0))

    @classmethod
    def create(
        cls,
        *,
        booth_id: str,
        signing_key: SigningKey,
        folder: Path,
        verified: VerifiedPackage,
        tls_key: Path,
        pollbook_address: tuple[str, int],
        cards: CardDeck,
        worker_pin: str,
    ) -> BoothRig:
        """A booth in `folder` (internal/ for the store and log; mirror/ standing in for the
        second medium; paper/ for the virtual printer's pieces as PNG; reports/ for the
        polls reports as PDF), talking to the
        station's poll book over TLS. The booth is started, not configured. OFFICIAL or TEST
        is the package's signed field, never a flag."""
        from booth.eventlog import EventLog
        from booth.pollbook.client import PollBookClient
        from booth.report_printer import ThermalAndPdfReports

        for sub in ("internal", "mirror", "reports"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        virtual, printer = cls.virtual_printer(folder / "paper")
        log = EventLog.open(folder / "internal" / "events.log")
        booth = Booth(
            BoothParts(
                booth_id=booth_id,
                signing_key=signing_key,
                store_path=folder / "internal" / "ballots.sqlite",
                mirror_folder=folder / "mirror",
                printer=printer,
                card_slot=cards.slot,
                poll_book=PollBookClient(verified, booth_id, tls_key, pollbook_address),
                authenticator=PollWorkerAuth,
                reports=ThermalAndPdfReports(
                    printer, folder / "reports", verified.public.official, log
                ),
                clock=SystemClock(),
                event_log=log,
            )
        )
        return cls(booth, cards, printer, virtual, worker_pin, log)

    def close(self) -> None:
        self.booth.close()
        self.printer.close()
        if self.virtual is not None:
            self.virtual.close()
        if self.log is not None:
            self.log.close()


class HeadlessVoter:
    """Plays voter plans through the Booth API."""

    def __init__(self, rig: BoothRig) -> None:
        self.rig = rig

    def vote(self, plan: VoterPlan, tally: Tally) -> SessionState:
        """One voter at the booth; after a printer fault (the ballot voided, the roll
        replaced) the same voter starts again, as a poll worker would tell them to."""
        while True:
            final = self._session(plan, tally)
            tally.outcomes.append(final)
            if final is not SessionState.CAST:
                view = self.rig.booth.view()
                tally.reasons.append(view.reason if view is not None else final.value)
            if final is not SessionState.PRINTER_FAULT:
                return final
            plan = replace(plan, paper_out=False)

    def _session(self, plan: VoterPlan, tally: Tally) -> SessionState:
        booth, cards = self.rig.booth, self.rig.cards
        if plan.identifier is None:
            booth.start_with_code(plan.code or "")
        else:
            cards.insert(plan.identifier)
            booth.card_inserted()
            wrong = "0000" if plan.pin != "0000" else "9999"
            for _ in range(plan.wrong_pins):
                booth.enter_pin(wrong)
                if self._state() is not SessionState.CARD:
                    break
            if self._state() is SessionState.CARD:
                booth.enter_pin(plan.pin)
        try:
            outcome = self._after_check_in(plan, tally)
        finally:
            if plan.identifier is not None:
                cards.pull()
                booth.card_removed()  # ignored once the session ended
        view = booth.view()
        return outcome if view is None else view.state

    def _state(self) -> SessionState:
        view = self.rig.booth.view()
        assert view is not None
        return view.state

    def _pull_here(self, plan: VoterPlan, here: SessionState) -> bool:
        if plan.pull_card_at is here and plan.identifier is not None:
            self.rig.cards.pull()
            self.rig.booth.card_removed()
            return True
        return False

    def _after_check_in(self, plan: VoterPlan, tally: Tally) -> SessionState:
        booth = self.rig.booth
        if self._state() is not SessionState.QUESTIONS:
            return self._state()  # refused, link down, card trouble: nothing more to do
        for qid, choice in plan.choices.items():
            booth.answer(qid, choice)
        if self._pull_here(plan, SessionState.QUESTIONS):
            return self._state()
        booth.review()
        if self._pull_here(plan, SessionState.REVIEW):
            return self._state()
        challenges = plan.challenges
        paper_out = plan.paper_out
        while True:
            virtual = self.rig.virtual
            if paper_out and virtual is not None:
                virtual.paper_out_at = virtual.received + 600
                paper_out = False
            booth.confirm()
            if self._state() is SessionState.PRINTER_FAULT and virtual is not None:
                virtual.replace_paper()  # the poll worker loads a new roll
                booth.printer_attended(self.rig.worker_pin)
                return SessionState.PRINTER_FAULT
            if self._state() is not SessionState.DECIDING:
                return self._state()
            if self._pull_here(plan, SessionState.DECIDING):
                return self._state()
            if challenges == 0:
                break
            challenges -= 1
            booth.challenge()
            if self._state() is not SessionState.QUESTIONS:
                return self._state()
            booth.review()
        started = time.perf_counter()
        booth.cast()
        tally.cast_seconds.append(time.perf_counter() - started)
        if self._state() is SessionState.CAST:
            tally.add(plan.choices)
        return self._state()

    def run(self, plans: Iterable[VoterPlan]) -> Tally:
        tally = Tally()
        for plan in plans:
            self.vote(plan, tally)
        return tally
