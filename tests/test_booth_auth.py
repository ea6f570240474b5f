"""Poll-worker PINs: the package record (ballots.pins), constant-time checks, the persisted try
limit and the log (booth.auth)."""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from ballots import pins as pins_module
from ballots.errors import PackageError
from ballots.pins import (
    PinFormatError,
    PinHash,
    Role,
    StationPins,
    check_station_records,
    hash_pin,
    hash_station_pins,
    pin_matches,
    pins_csv,
    read_pins_csv,
)
from booth import auth
from booth.auth import (
    AuthError,
    AuthLocked,
    PinMalformed,
    PinUnknown,
    PollWorkerAuth,
    SameWorkerTwice,
    SecondFactorMissing,
    WrongPin,
    lockout_for,
)
from booth.eventlog import EventCode, EventLog, RecoveryKind, read_log
from crypto.errors import EncodingError
from tests.drbg import Drbg

OFFICER, SUPERVISOR = "24681357", "97531864"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 0, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="module")
def pins() -> tuple[PinHash, PinHash]:
    return hash_station_pins("S1", StationPins(OFFICER, SUPERVISOR), Drbg(b"pins"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def log(tmp_path: Path, clock: Clock) -> Iterator[EventLog]:
    with EventLog.open(tmp_path / "events.log", clock) as opened:
        yield opened


@pytest.fixture
def booth(tmp_path: Path, pins, log: EventLog, clock: Clock) -> PollWorkerAuth:  # type: ignore[no-untyped-def]
    return PollWorkerAuth("S1", pins, tmp_path / "pin-state.json", log, clock)


def logged(log: EventLog) -> list[tuple[str, dict[str, object]]]:
    return [
        (e.code.value, {k: getattr(v, "value", v) for k, v in e.details.items()})
        for e in read_log(log.path).entries
        if e.code is not EventCode.LOG_STARTED
    ]


def test_the_record_is_argon2id_with_the_protocol_parameters_over_the_ascii_pin() -> None:
    record = hash_pin("S1", Role.CHIEF_SUPERVISOR, "13572468", Drbg(b"x"))
    # Independent computation: the module's doc, with cryptography's Argon2id directly.
    tag = b"refvote/v2/booth-pin"
    ad = b"".join(len(x).to_bytes(4, "big") + x for x in (tag, b"S1", b"chief-supervisor"))
    expected = Argon2id(
        salt=record.salt, length=32, iterations=3, lanes=4, memory_cost=65536, ad=ad
    ).derive(b"13572468")
    assert record.hash == expected and len(record.salt) == 16
    assert pin_matches(record, "13572468")
    obj = record.to_obj()
    assert obj == {
        "hash": expected.hex(),
        "role": "chief-supervisor",
        "salt": record.salt.hex(),
        "station_id": "S1",
    }
    assert PinHash.from_obj(json.loads(json.dumps(obj))) == record


def test_a_record_is_bound_to_its_station_and_role(pins) -> None:  # type: ignore[no-untyped-def]
    officer, supervisor = pins
    assert pin_matches(officer, OFFICER) and pin_matches(supervisor, SUPERVISOR)
    assert not pin_matches(officer, SUPERVISOR) and not pin_matches(supervisor, OFFICER)
    moved = PinHash("S2", officer.role, officer.salt, officer.hash)
    assert not pin_matches(moved, OFFICER)
    swapped = PinHash("S1", Role.CHIEF_SUPERVISOR, officer.salt, officer.hash)
    assert not pin_matches(swapped, OFFICER)


@pytest.mark.parametrize(
    "change",
    [
        {"role": "officer"},
        {"salt": "00" * 15},
        {"hash": "AA" * 32},
        {"station_id": ""},
        {"extra": 1},
    ],
)
def test_a_malformed_record_is_refused(pins, change: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    obj = {**pins[0].to_obj(), **change}
    with pytest.raises(EncodingError):
        PinHash.from_obj(obj)
    partial = pins[0].to_obj()
    del partial["salt"]
    with pytest.raises(EncodingError, match="salt"):
        PinHash.from_obj(partial)


@pytest.mark.parametrize(
    "pin",
    ["12345", "1" * 13, "1234\n5678", "1234\u200b5678", "", "１２３４５６", "12345a", "١٢٣٤٥٦"],
)
def test_a_pin_that_cannot_be_a_station_pin_is_refused(pin: str) -> None:
    with pytest.raises(PinFormatError):
        hash_pin("S1", Role.CHIEF_OFFICER, pin, Drbg(b"x"))


def test_the_two_pins_of_a_station_must_differ() -> None:
    with pytest.raises(PinFormatError, match="differ"):
        hash_station_pins("S1", StationPins("11112222", "11112222"), Drbg(b"x"))


def test_the_comparison_is_constant_time(pins, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(pins_module.hmac, "compare_digest", spy)
    assert not pin_matches(pins[0], "00000000")
    assert calls and calls[0][1] == pins[0].hash


def test_the_station_needs_one_pin_per_role(tmp_path: Path, pins, log: EventLog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PinUnknown, match="chief-supervisor"):
        PollWorkerAuth("S1", pins[:1], tmp_path / "s", log)
    with pytest.raises(PinUnknown, match="chief-officer"):
        PollWorkerAuth("S2", pins, tmp_path / "s", log)  # another station's PINs
    with pytest.raises(PinUnknown):
        PollWorkerAuth("S1", [*pins, pins[0]], tmp_path / "s", log)


def test_a_right_pin_authorises_and_is_logged(booth: PollWorkerAuth, log: EventLog) -> None:
    assert booth.authenticate(Role.CHIEF_OFFICER, OFFICER).role is Role.CHIEF_OFFICER
    assert booth.authenticate(Role.CHIEF_SUPERVISOR, SUPERVISOR).role is Role.CHIEF_SUPERVISOR
    assert logged(log) == [
        ("auth-ok", {"role": "chief-officer"}),
        ("auth-ok", {"role": "chief-supervisor"}),
    ]
    assert OFFICER.encode() not in log.path.read_bytes()


def test_the_right_pin_of_the_other_role_is_wrong(booth: PollWorkerAuth) -> None:
    with pytest.raises(WrongPin) as info:
        booth.authenticate(Role.CHIEF_OFFICER, SUPERVISOR)
    assert info.value.tries_left == 4


def test_five_wrong_tries_lock_with_a_cooldown_that_doubles(
    booth: PollWorkerAuth, log: EventLog, clock: Clock
) -> None:
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongPin) as info:
            booth.authenticate(Role.CHIEF_OFFICER, "00000000")
        assert info.value.tries_left == left
    with pytest.raises(AuthLocked) as locked:
        booth.authenticate(Role.CHIEF_OFFICER, "00000000")
    assert locked.value.until == clock.now + timedelta(minutes=5)
    # While locked, even the right PIN is refused, and no try is counted.
    with pytest.raises(AuthLocked):
        booth.authenticate(Role.CHIEF_OFFICER, OFFICER)
    assert booth.state().failures == 5
    clock.advance(minutes=4, seconds=59)
    with pytest.raises(AuthLocked):
        booth.authenticate(Role.CHIEF_SUPERVISOR, SUPERVISOR)
    clock.advance(seconds=1)
    with pytest.raises(AuthLocked) as locked:  # one wrong try after the cooldown: 10 minutes
        booth.authenticate(Role.CHIEF_OFFICER, "00000000")
    assert locked.value.until == clock.now + timedelta(minutes=10)
    clock.advance(minutes=10)
    assert booth.authenticate(Role.CHIEF_OFFICER, OFFICER).role is Role.CHIEF_OFFICER
    assert booth.state().failures == 0 and booth.state().locked_until is None
    entries = logged(log)
    assert entries[:4] == [
        ("auth-failed", {"role": "chief-officer", "failures": n}) for n in (1, 2, 3, 4)
    ]
    assert entries[4:] == [
        ("auth-failed", {"role": "chief-officer", "failures": 5}),
        ("auth-locked", {"minutes": 5}),
        ("auth-failed", {"role": "chief-officer", "failures": 6}),
        ("auth-locked", {"minutes": 10}),
        ("auth-ok", {"role": "chief-officer"}),
    ]


def test_the_lockout_schedule() -> None:
    assert [lockout_for(n) for n in range(5)] == [timedelta(0)] * 5
    minutes = [lockout_for(n).total_seconds() / 60 for n in range(5, 12)]
    assert minutes == [5, 10, 20, 40, 60, 60, 60]
    assert lockout_for(10**6) == timedelta(hours=1)


def test_a_restart_keeps_the_count(tmp_path: Path, pins, log: EventLog, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / "pin-state.json"
    first = PollWorkerAuth("S1", pins, state, log, clock)
    for _ in range(3):
        with pytest.raises(WrongPin):
            first.authenticate(Role.CHIEF_OFFICER, "00000000")
    again = PollWorkerAuth("S1", pins, state, log, clock)
    with pytest.raises(WrongPin) as info:
        again.authenticate(Role.CHIEF_OFFICER, "00000000")
    assert info.value.tries_left == 1


def test_a_try_is_counted_before_the_pin_is_checked(
    booth: PollWorkerAuth, tmp_path: Path, pins, log: EventLog, clock: Clock, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    class PowerCut(BaseException):
        pass

    def cut(*_: object) -> bool:
        raise PowerCut

    monkeypatch.setattr(auth, "pin_matches", cut)
    with pytest.raises(PowerCut):
        booth.authenticate(Role.CHIEF_OFFICER, OFFICER)
    monkeypatch.undo()
    restarted = PollWorkerAuth("S1", pins, tmp_path / "pin-state.json", log, clock)
    assert restarted.state().failures == 1  # pulling the plug mid-check costs the try


def test_the_locking_try_is_locked_even_if_the_power_is_cut(
    tmp_path: Path, pins, log: EventLog, clock: Clock, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    booth = PollWorkerAuth("S1", pins, tmp_path / "pin-state.json", log, clock)
    for _ in range(4):
        with pytest.raises(WrongPin):
            booth.authenticate(Role.CHIEF_OFFICER, "00000000")

    def cut(*_: object) -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(auth, "pin_matches", cut)
    with pytest.raises(KeyboardInterrupt):
        booth.authenticate(Role.CHIEF_OFFICER, "00000000")
    monkeypatch.undo()
    restarted = PollWorkerAuth("S1", pins, tmp_path / "pin-state.json", log, clock)
    with pytest.raises(AuthLocked):
        restarted.authenticate(Role.CHIEF_OFFICER, OFFICER)


@pytest.mark.parametrize(
    "content",
    [
        b"garbage",
        b'{"failures":0,"locked_until":null,"station_id":"S2","type":"booth-pin-state","version":2}',
        b'{"failures":-1,"locked_until":null,"station_id":"S1","type":"booth-pin-state","version":2}',
        b"x" * 5000,
    ],
)
def test_an_unreadable_state_file_locks_and_is_logged(
    tmp_path: Path, pins, log: EventLog, clock: Clock, content: bytes
) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / "pin-state.json"
    state.write_bytes(content)
    booth = PollWorkerAuth("S1", pins, state, log, clock)
    with pytest.raises(AuthLocked):
        booth.authenticate(Role.CHIEF_OFFICER, OFFICER)
    assert ("recovery", {"kind": RecoveryKind.AUTH_STATE_UNREADABLE.value, "count": 0}) in (
        logged(log)
    )
    clock.advance(minutes=5)
    assert booth.authenticate(Role.CHIEF_OFFICER, OFFICER).role is Role.CHIEF_OFFICER


def test_the_state_file_is_written_atomically(booth: PollWorkerAuth, tmp_path: Path) -> None:
    with pytest.raises(WrongPin):
        booth.authenticate(Role.CHIEF_OFFICER, "00000000")
    state = tmp_path / "pin-state.json"
    assert json.loads(state.read_bytes())["failures"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.log", "pin-state.json"]


def test_a_state_file_that_cannot_be_saved_refuses_every_pin(
    booth: PollWorkerAuth, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(auth, "write_file", full)
    with pytest.raises(AuthError, match="cannot be saved"):
        booth.authenticate(Role.CHIEF_OFFICER, OFFICER)


def test_a_malformed_pin_costs_no_try(booth: PollWorkerAuth) -> None:
    for call in (
        lambda: booth.authenticate(Role.CHIEF_OFFICER, "12"),
        lambda: booth.authenticate_any("１２３４５６"),
        lambda: booth.authenticate_two(OFFICER, "12"),
    ):
        with pytest.raises(PinMalformed):
            call()
    assert booth.state().failures == 0


def test_a_clock_set_back_cannot_lengthen_a_lockout_beyond_an_hour(
    tmp_path: Path, pins, log: EventLog, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / "pin-state.json"
    state.write_bytes(
        b'{"failures":9,"locked_until":"2027-01-01T00:00:00Z","station_id":"S1",'
        b'"type":"booth-pin-state","version":2}'
    )
    booth = PollWorkerAuth("S1", pins, state, log, clock)
    with pytest.raises(AuthLocked) as info:
        booth.authenticate(Role.CHIEF_OFFICER, OFFICER)
    assert info.value.until == clock.now + timedelta(hours=1)


def test_two_person_authorisation(booth: PollWorkerAuth, log: EventLog) -> None:
    assert booth.authenticate_two(OFFICER, SUPERVISOR).station_id == "S1"
    with pytest.raises(WrongPin) as info:
        booth.authenticate_two(OFFICER, "00000000")
    assert info.value.roles == (Role.CHIEF_SUPERVISOR,) and info.value.tries_left == 4
    with pytest.raises(WrongPin) as info:  # the PINs in the wrong order
        booth.authenticate_two(SUPERVISOR, OFFICER)
    assert info.value.roles == (Role.CHIEF_OFFICER, Role.CHIEF_SUPERVISOR)
    for same in (OFFICER, SUPERVISOR):  # one person, twice: a counted, logged wrong try
        with pytest.raises(SameWorkerTwice, match="two different people"):
            booth.authenticate_two(same, same)
    assert booth.state().failures == 4
    assert logged(log) == [
        ("auth-ok", {"role": "chief-officer"}),
        ("auth-ok", {"role": "chief-supervisor"}),
        ("auth-failed", {"role": "chief-supervisor", "failures": 1}),
        ("auth-failed", {"role": "chief-officer", "failures": 2}),
        ("auth-failed", {"role": "chief-supervisor", "failures": 2}),
        ("auth-failed", {"role": "chief-supervisor", "failures": 3}),
        ("auth-failed", {"role": "chief-officer", "failures": 4}),
    ]
    with pytest.raises(AuthLocked):  # the 5th wrong try, one PIN twice again: locked
        booth.authenticate_two(OFFICER, OFFICER)


def test_either_roles_pin_for_a_single_person_action(booth: PollWorkerAuth, log: EventLog) -> None:
    assert booth.authenticate_any(SUPERVISOR).role is Role.CHIEF_SUPERVISOR
    assert booth.authenticate_any(OFFICER).role is Role.CHIEF_OFFICER
    with pytest.raises(WrongPin) as info:
        booth.authenticate_any("00000000")
    assert info.value.tries_left == 4
    assert logged(log) == [
        ("auth-ok", {"role": "chief-supervisor"}),
        ("auth-ok", {"role": "chief-officer"}),
        ("auth-failed", {"role": "chief-officer", "failures": 1}),  # one try, matched neither
        ("auth-failed", {"role": "chief-supervisor", "failures": 1}),
    ]


def test_a_restart_keeps_the_count_of_either_role_tries(
    tmp_path: Path,
    pins,  # type: ignore[no-untyped-def]
    log: EventLog,
    clock: Clock,
) -> None:
    state = tmp_path / "pin-state.json"
    for _ in range(5):
        restarted = PollWorkerAuth("S1", pins, state, log, clock)  # a restart before every try
        with pytest.raises((WrongPin, AuthLocked)) as info:
            restarted.authenticate_any("00000000")
    assert isinstance(info.value, AuthLocked)
    with pytest.raises(AuthLocked):
        PollWorkerAuth("S1", pins, state, log, clock).authenticate_any(OFFICER)


# The package's records and the PIN file (ballots.pins) ---------------------------------------


def test_the_package_rule_wants_both_roles_per_station_in_order(pins) -> None:  # type: ignore[no-untyped-def]
    officer, supervisor = pins
    check_station_records([officer, supervisor], ["S1"])
    for records in (
        [officer],
        [supervisor, officer],
        [officer, officer],
        [officer, supervisor] * 2,
    ):
        with pytest.raises(PackageError, match="one chief-officer and one chief-supervisor"):
            check_station_records(records, ["S1"])
    twin = PinHash("S1", Role.CHIEF_SUPERVISOR, officer.salt, supervisor.hash)
    with pytest.raises(PackageError, match="salt"):
        check_station_records([officer, twin], ["S1"])


def test_the_pin_file_round_trips_and_refuses_what_is_not_two_pins_per_station() -> None:
    pins = {"S1": StationPins("123456", "654321"), "S2": StationPins("111111", "222222")}
    data = pins_csv(pins)
    assert data.splitlines()[:3] == [
        b"station_id,role,pin",
        b"S1,chief-officer,123456",
        b"S1,chief-supervisor,654321",
    ]
    assert read_pins_csv(data) == pins
    head = b"station_id,role,pin\n"
    for bad, message in [
        (b"station_id,pin\nS1,123456\n", "header"),
        (head + b"S1,chief-officer,123456\n", "both roles"),
        (head + b"S1,chief-officer,123456\nS1,chief-supervisor,123456\n", "differ"),
        (head + b"S1,chief-officer,123456\nS1,chief-officer,654321\n", "repeated"),
        (head + b"S1,officer,123456\n", "role"),
        (head + b"S1,chief-officer,12345\n", "6 to 12 digits"),
        (head + b"S1,chief-officer\n", "three fields"),
        (b"\xff", "UTF-8"),
    ]:
        with pytest.raises(PinFormatError, match=message):
            read_pins_csv(bad)


def test_two_person_is_locked_like_one(booth: PollWorkerAuth) -> None:
    for _ in range(4):
        with pytest.raises(WrongPin):
            booth.authenticate(Role.CHIEF_OFFICER, "00000000")
    with pytest.raises(AuthLocked):
        booth.authenticate_two(OFFICER, "00000000")
    with pytest.raises(AuthLocked):
        booth.authenticate_two(OFFICER, SUPERVISOR)


def test_the_poll_worker_card_hook(tmp_path: Path, pins, log: EventLog, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    class Card:
        role: Role | None = None

        def role_present(self, station_id: str) -> Role | None:
            return self.role if station_id == "S1" else None

    card = Card()
    booth = PollWorkerAuth("S1", pins, tmp_path / "s.json", log, clock, card=card)
    with pytest.raises(SecondFactorMissing):
        booth.authenticate(Role.CHIEF_OFFICER, OFFICER)
    card.role = Role.CHIEF_SUPERVISOR
    with pytest.raises(SecondFactorMissing):
        booth.authenticate(Role.CHIEF_OFFICER, OFFICER)
    card.role = Role.CHIEF_OFFICER
    assert booth.authenticate(Role.CHIEF_OFFICER, OFFICER).role is Role.CHIEF_OFFICER
    assert booth.state().failures == 0


def test_no_pin_reaches_a_file(booth: PollWorkerAuth, tmp_path: Path) -> None:
    booth.authenticate(Role.CHIEF_OFFICER, OFFICER)
    with pytest.raises(WrongPin):
        booth.authenticate(Role.CHIEF_SUPERVISOR, "55556666")
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        for pin in (OFFICER, SUPERVISOR, "55556666"):
            assert pin.encode() not in data, path
    assert os.stat(tmp_path / "pin-state.json").st_size < 200
