"""A polling day at one booth through the headless driver: the real booth core, the real
poll book over TLS, the printer driver to the virtual printer on a pty; cards answered in this
process (the demo uses pcscd). Its export imports into the tally station, the record built
from it passes the verifier, and the decrypted totals equal what the simulated voters cast."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ballots.package import verify_confidential, verify_package
from ballots.record import DecryptedCount, Results, SharesFile, write_record
from ballots.results import Count, StationCount, compute_sums, outcomes, totals
from booth.core.polls import PollsState
from booth.core.session import SessionState
from booth.driver import (
    BoothRig,
    HeadlessVoter,
    Tally,
    VoterPlan,
    random_plans,
)
from booth.pollbook.server import PollBookServer
from crypto.ceremony.sealed_share import unseal_key_share
from crypto.threshold import ThresholdDecryption, partial_decrypt
from tally.station import TallyStation
from tally.verify import verify_record
from tests.booth_core_helpers import (
    DEFINITION,
    PASSPHRASES,
    STRANGER,
    CardSlotStandIn,
    Election,
    build_election,
)


class InProcessDeck:
    def __init__(self, election: Election) -> None:
        self.election = election
        self.slot = CardSlotStandIn()

    def insert(self, identifier: str) -> None:
        self.slot.insert(self.election, identifier)

    def pull(self) -> None:
        self.slot.pull()


def one_booth_source(eligible: int) -> str:
    head = DEFINITION[: DEFINITION.index("[[stations]]")]
    return head + (
        '[[stations]]\nstation_id = "S1"\nname = "測試國小"\ncounty = "臺北市"\n'
        f'township = "中正區"\neligible = {eligible}\nbooths = ["S1-A"]\n'
    )


@contextmanager
def station(tmp: Path, voters: int) -> Iterator[tuple[Election, PollBookServer]]:
    identifiers = [f"V{n:09d}" for n in range(voters)]
    election = build_election(tmp / "election", one_booth_source(voters), identifiers)
    assert election.devices is not None
    keys = tmp / "keys"
    election.devices.write(keys)
    verified = verify_package(election.folder, election.fingerprint)
    confidential = verify_confidential(
        (election.folder / "confidential.json").read_bytes(), verified
    )
    server = PollBookServer(
        verified,
        confidential,
        "S1",
        keys / "stations" / "S1.tls.key.pem",
        tmp / "pollbook.sqlite",
        ("127.0.0.1", 0),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield election, server
    finally:
        server.shutdown()
        thread.join(timeout=10)


def rig_for(election: Election, server: PollBookServer, tmp: Path) -> BoothRig:
    return BoothRig.create(
        booth_id="S1-A",
        signing_key=election.booth_keys["S1-A"],
        folder=tmp,
        verified=verify_package(election.folder, election.fingerprint),
        tls_key=tmp.parent / "keys" / "booths" / "S1-A.tls.key.pem",
        pollbook_address=server.address,
        cards=InProcessDeck(election),
        worker_pin=election.station_pins["S1"].officer,
    )


def day(tmp: Path, voters: int, extra: list[VoterPlan] | None = None) -> Tally:
    with station(tmp, voters) as (election, server):
        rig = rig_for(election, server, tmp / "booth")
        try:
            booth = rig.booth
            booth.configure(election.folder, election.fingerprint, rig.worker_pin)
            booth.open_polls(rig.worker_pin)
            plans = random_plans(booth.package.definition, [f"V{n:09d}" for n in range(voters)])
            plans = (extra or []) + plans
            tally = HeadlessVoter(rig).run(plans)
            (tmp / "usb").mkdir()
            written = booth.close_polls(rig.worker_pin, tmp / "usb")
            assert rig.log is not None
            log_bytes = rig.log.path.read_bytes()
            assert booth.polls is PollsState.CLOSED
            counts = server.store.counts()
        finally:
            rig.close()
        check_day(election, tmp, written.path.read_bytes(), tally, voters)
        for voter in [f"V{n:09d}" for n in range(voters)]:
            assert voter.encode() not in log_bytes
        assert written.counts.cast == tally.cast
        assert counts.voted == tally.cast  # poll-book completions = cast ballots
        return tally


def check_day(election: Election, tmp: Path, export_bytes: bytes, tally: Tally, n: int) -> None:
    station = TallyStation(tmp / "tally")
    station.init(election.folder, election.fingerprint)
    result = station.import_export(export_bytes)
    assert result.cast == tally.cast
    export = station.imported()["S1-A"]
    verified = verify_package(election.folder, election.fingerprint)
    definition = verified.definition
    sums = compute_sums(definition, [b.ballot for b in export.ballots if b.status.value == "cast"])
    ceremony = election.ceremony
    joint = ceremony.joint_key  # type: ignore[attr-defined]
    decryption = ThresholdDecryption(joint, [(s.ciphertext, s.ballots) for s in sums])
    shares_files = []
    for t in (1, 2):
        with unseal_key_share(
            ceremony.sealed_shares[t - 1],  # type: ignore[attr-defined]
            PASSPHRASES[t - 1],
            joint.public_share(t),
        ) as share:
            partials = partial_decrypt(share, [s.ciphertext for s in sums], joint.base)
        decryption.add(t, partials)
        shares_files.append(
            SharesFile.sign(election.trustee_keys[t - 1], joint.base, t, partials, sums)
        )
    decrypted = [
        DecryptedCount(s.station_id, s.question_id, d.packed, Count(d.ballots, d.yes, d.no))
        for s, d in zip(sums, decryption.decrypt(), strict=True)
    ]
    for d in decrypted:
        yes, no, blank = tally.counts.get(d.question_id, [0, 0, 0])
        assert (d.count.yes, d.count.no, d.count.ballots) == (yes, no, yes + no + blank)
    all_totals = totals(
        definition, [StationCount(d.station_id, d.question_id, d.count) for d in decrypted]
    )
    results = Results(
        joint.base,
        (1, 2),
        tuple(decrypted),
        tuple(all_totals),
        tuple(outcomes(definition, all_totals)),
    )
    assert election.tally_key is not None
    record = tmp / "record"
    write_record(record, election.folder, [export], sums, election.tally_key, shares_files, results)
    out = io.StringIO()
    assert verify_record(record, election.fingerprint, out), out.getvalue()


@pytest.mark.parametrize("voters", [30])
def test_a_short_day_with_faults_imports_and_decrypts_to_the_choices(
    tmp_path: Path, voters: int
) -> None:
    from ballots.ballot import Choice

    extra = [
        VoterPlan("V000000000", {"17": Choice.YES, "18": None}, challenges=1),
        VoterPlan("V000000000", {"17": Choice.NO}),  # already voted
        VoterPlan("V000000001", {"17": Choice.BLANK}, paper_out=True),
        VoterPlan("V000000002", {"18": Choice.YES}, pull_card_at=SessionState.DECIDING),
        VoterPlan(STRANGER, {"17": Choice.YES}),  # not on this station's roll
        VoterPlan("V000000003", {"17": Choice.YES}, wrong_pins=3),  # the card blocks
    ]
    tally = day(tmp_path, voters, extra)
    S = SessionState
    # The paper-out voter's ballot was voided and the same voter voted again and cast.
    assert tally.outcomes[:7] == [
        S.CAST, S.REFUSED, S.PRINTER_FAULT, S.CAST, S.CARD_PULLED, S.REFUSED, S.REFUSED
    ]  # fmt: skip
    assert tally.reasons[0] == "already voted at this station"
    assert "paper out" in tally.reasons[1]
    assert "PIN is blocked" in tally.reasons[4]


@pytest.mark.slow
def test_a_500_voter_day_at_one_booth(tmp_path: Path) -> None:
    day(tmp_path, 500)


def test_vpcd_cards_put_the_card_in_pcscd_and_take_it_out(tmp_path: Path) -> None:
    """The demo's cards: a virtual card through vpcd, seen by pcscd, read, pulled."""
    import datetime

    from cryptography.hazmat.primitives.serialization import Encoding

    from booth.driver import VpcdCards
    from hardware.errors import NoCard, NoReader
    from hardware.idcard.eid import read_identity
    from hardware.idcard.pcscd import pcscd_with_virtual_readers
    from hardware.idcard.testca import TestCA

    ca = TestCA.create()
    key, cert = ca.issue("A123456789", "ec")
    try:
        with pcscd_with_virtual_readers():
            deck = VpcdCards({"A123456789": (key, cert.public_bytes(Encoding.DER))})
            assert deck.slot.card_present() is False  # type: ignore[attr-defined]
            deck.insert("A123456789")
            assert deck.slot.card_present() is True  # type: ignore[attr-defined]
            channel = deck.slot.connect()
            try:
                holder = read_identity(
                    channel, "1234", [ca.certificate], [ca.crl([])], datetime.date.today()
                )
            finally:
                channel.close()
            assert holder.identifier == "A123456789"
            deck.pull()
            assert deck.slot.card_present() is False  # type: ignore[attr-defined]
            with pytest.raises(NoCard):
                deck.slot.connect()
    except NoReader as exc:
        pytest.skip(f"no pcscd with vsmartcard-vpcd: {exc}")


def test_the_virtual_readers_are_held_by_one_user_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs on one machine share vpcd's fixed ports: the lock keeps the second out while
    the first holds them, lets a nested use and a child of the holder through, and is freed."""
    import subprocess

    from hardware.idcard import pcscd

    lock = tmp_path / "vpcd.lock"
    monkeypatch.setattr(pcscd, "VPCD_LOCK", lock)
    monkeypatch.delenv("REFVOTE_VPCD_LOCK_HELD", raising=False)

    def other_process_gets_it() -> bool:
        probe = subprocess.run(["flock", "--nonblock", str(lock), "true"], check=False)
        return probe.returncode == 0

    with pcscd.exclusive_virtual_readers():
        assert not other_process_gets_it()
        with pcscd.exclusive_virtual_readers():  # nested: no deadlock
            assert not other_process_gets_it()
        assert not other_process_gets_it()  # the inner exit did not release it
        assert os.environ.get("REFVOTE_VPCD_LOCK_HELD") == "1"  # children share it
    assert other_process_gets_it()
    assert "REFVOTE_VPCD_LOCK_HELD" not in os.environ
