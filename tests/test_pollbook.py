"""The station poll book over real TLS on loopback: races, identities, sessions, codes, release,
what its files hold, the signed count, and a restart."""

from __future__ import annotations

import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ballots.package import PublicPackage, key_fingerprint, verify_package
from ballots.pollbook_count import PollBookCount, PollBookCountError, open_pollbook_count
from booth.pollbook import messages
from booth.pollbook.client import PollBookClient
from booth.pollbook.errors import (
    AlreadyVoted,
    CodeInvalid,
    InProgressElsewhere,
    LinkKeyInvalid,
    NotOnRoll,
    PackageNotPinned,
    PeerRefused,
    PollBookClosed,
    PollBookUnreachable,
    ProtocolViolation,
    ReleaseRefused,
)
from booth.pollbook.server import PollBookServer
from booth.pollbook.store import Evidence, PollBookStore
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.signing import SigningKey
from tests.pollbook_helpers import Station, make_station, running_pollbook

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Station:
    return make_station(tmp_path_factory.mktemp("station"))


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Station:
    """Another election's package: same names, another link CA, other keys."""
    return make_station(tmp_path_factory.mktemp("other"))


def test_two_booths_racing_one_voter_exactly_one_proceeds(station: Station, tmp_path: Path) -> None:
    with running_pollbook(station, "S1", tmp_path / "pb.sqlite") as server:
        booths = {b: station.client(b, server.address) for b in ("S1-A", "S1-B")}
        voters = station.roll["S1"]
        for round_ in range(200):
            roll_hash = station.roll_hash(voters[round_ % len(voters)])
            barrier = threading.Barrier(2)
            results: dict[str, object] = {}

            def race(
                booth_id: str,
                rh: bytes = roll_hash,
                b: threading.Barrier = barrier,
                out: dict[str, object] = results,
            ) -> None:
                b.wait()
                try:
                    out[booth_id] = booths[booth_id].check_in(rh)
                except InProgressElsewhere as exc:
                    out[booth_id] = exc

            threads = [threading.Thread(target=race, args=(b,)) for b in booths]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            winners = [b for b, r in results.items() if isinstance(r, bytes)]
            assert len(winners) == 1, results
            (loser,) = set(booths) - set(winners)
            refusal = results[loser]
            assert isinstance(refusal, InProgressElsewhere) and refusal.booth_id == winners[0]
            session = results[winners[0]]
            assert isinstance(session, bytes) and len(session) == 16
            booths[winners[0]].abort(session)  # the voter is free for the next round
        assert server.store.counts().in_progress == 0


def test_sessions_complete_abort_and_refusals(station: Station, tmp_path: Path) -> None:
    with running_pollbook(station, "S1", tmp_path / "pb.sqlite") as server:
        a, b = station.client("S1-A", server.address), station.client("S1-B", server.address)
        voter = station.roll_hash(station.roll["S1"][0])
        s1 = a.check_in(voter)
        with pytest.raises(InProgressElsewhere, match="S1-A"):
            b.check_in(voter)
        a.abort(s1)  # the session ended without a cast: the voter may check in again
        s2 = b.check_in(voter)
        assert s2 != s1
        b.complete(s2)
        b.complete(s2)  # idempotent
        a.complete(s2)
        with pytest.raises(AlreadyVoted):
            a.check_in(voter)
        with pytest.raises(AlreadyVoted):
            b.abort(s2)
        a.abort(s1)  # an old session's abort changes nothing
        with pytest.raises(NotOnRoll):
            a.check_in(station.roll_hash("NOT-ON-ROLL"))
        # S2's voters are not on S1's roll.
        with pytest.raises(NotOnRoll):
            a.check_in(station.roll_hash(station.roll["S2"][0]))
        with pytest.raises(ProtocolViolation, match="unknown session"):
            a.complete(secrets.token_bytes(16))
        c = server.store.counts()
        assert (c.voted, c.in_progress, c.cardless) == (1, 0, 0)
        assert a.status()["voted"] == 1


def test_one_time_codes_are_single_use_and_counted_apart(station: Station, tmp_path: Path) -> None:
    with running_pollbook(station, "S1", tmp_path / "pb.sqlite") as server:
        a = station.client("S1-A", server.address)
        voter = station.roll_hash(station.roll["S1"][1])
        code = server.store.issue_code(voter)
        session = a.check_in_code(code.lower())  # typed in lower case, still the code
        with pytest.raises(CodeInvalid):
            a.check_in_code(code)
        with pytest.raises(InProgressElsewhere):
            a.check_in(voter)  # the same voter with a card, meanwhile
        a.complete(session)
        with pytest.raises(CodeInvalid, match="cannot vote now"):
            server.store.issue_code(voter)
        with pytest.raises(CodeInvalid, match="not on this station's roll"):
            server.store.issue_code(station.roll_hash("NOBODY"))
        with pytest.raises(CodeInvalid):
            a.check_in_code("ABCD-EFGH-JKMN")
        # A code whose voter voted by card before using it is refused, and spent.
        other_voter = station.roll_hash(station.roll["S1"][2])
        spare = server.store.issue_code(other_voter)
        a.complete(a.check_in(other_voter))
        with pytest.raises(CodeInvalid):
            a.check_in_code(spare)
        c = server.store.counts()
        assert (c.voted, c.cardless) == (2, 1)
        assert [e for e, _ in server.store.events()].count("CODE_ISSUED") == 2


def test_release_needs_evidence(station: Station, tmp_path: Path) -> None:
    with running_pollbook(station, "S1", tmp_path / "pb.sqlite") as server:
        a, b = station.client("S1-A", server.address), station.client("S1-B", server.address)
        store = server.store
        stuck_voter = station.roll_hash(station.roll["S1"][3])
        cast_voter = station.roll_hash(station.roll["S1"][4])
        a.check_in(stuck_voter)  # booth A dies before the cast
        cast = a.check_in(cast_voter)  # … and this one was cast, S in its outbox
        with pytest.raises(ReleaseRefused):
            store.release("S1-A", Evidence.BOOTH_ANSWER)  # never a blind release
        with pytest.raises(ReleaseRefused):
            store.release("S1-A", Evidence.MIRROR_READING)  # a reading is needed
        with pytest.raises(ReleaseRefused):
            store.release("S1-B", Evidence.MIRROR_READING, frozenset())  # nothing stuck at B
        # Booth A restarts: its outbox holds the cast S; it says so while idle.
        assert a.report_outbox([cast]) == 1
        done = store.release("S1-A", Evidence.BOOTH_ANSWER)
        assert (done.released, done.settled_cast) == (1, 0)
        with pytest.raises(InProgressElsewhere):
            b.check_in(cast_voter)  # the cast one is not released
        a.complete(cast)  # the restarted booth resends its outbox
        again = b.check_in(stuck_voter)  # the released voter may vote
        # A dead booth's mirror: B's mirror shows `again` cast, nothing else.
        other_voter = station.roll_hash(station.roll["S1"][5])
        lost = b.check_in(other_voter)
        done = store.release("S1-B", Evidence.MIRROR_READING, frozenset({again}))
        assert (done.released, done.settled_cast) == (1, 1)
        b.complete(again)  # idempotent after the settlement
        b.complete(lost)  # a wrong release shows up in the count, and is not lost
        c = store.counts()
        assert (c.voted, c.in_progress, c.released, c.completed_after_release) == (2, 0, 2, 1)
        assert [e for e, _ in store.events()].count("CHECKIN_RELEASED") == 2


def test_a_booth_without_a_valid_certificate_is_refused(
    station: Station, other: Station, tmp_path: Path
) -> None:
    with running_pollbook(station, "S1", tmp_path / "pb.sqlite") as server:
        # Another election's booth S1-A (another link CA) trusting this station's poll book.
        with pytest.raises(LinkKeyInvalid):
            PollBookClient(station.verified, "S1-A", other.booth_key("S1-A"), server.address)
        # The same, with the foreign certificate actually presented: the handshake fails.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.load_verify_locations(cadata=station.verified.public.link.ca)
        cert = tmp_path / "foreign.pem"
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        cert.write_bytes(
            x509.load_der_x509_certificate(other.verified.public.link.booth("S1-A")).public_bytes(
                Encoding.PEM
            )
        )
        ctx.load_cert_chain(cert, other.booth_key("S1-A"))
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with socket.create_connection(server.address, timeout=5) as raw:
                with ctx.wrap_socket(raw) as tls:
                    tls.sendall(messages.encode("op", "status", {}))
                    messages.read_frame(tls)
        # No certificate at all.
        bare = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        bare.check_hostname = False
        bare.load_verify_locations(cadata=station.verified.public.link.ca)
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with socket.create_connection(server.address, timeout=5) as raw:
                with bare.wrap_socket(raw) as tls:
                    tls.sendall(messages.encode("op", "status", {}))
                    messages.read_frame(tls)
        # Booth S2-A: a valid certificate of this election, but another station's booth.
        s2 = station.client("S2-A", server.address)
        s2.station_id = "S1"  # it even accepts S1's poll book
        with pytest.raises(PeerRefused, match="not a booth of station S1"):
            s2.check_in(station.roll_hash(station.roll["S1"][0]))
        assert server.store.counts().in_progress == 0


def test_the_link_needs_a_pinned_package(station: Station, tmp_path: Path) -> None:
    unpinned = verify_package(station.folder / "package")
    assert not unpinned.authority_pinned
    with pytest.raises(PackageNotPinned):
        PollBookClient(unpinned, "S1-A", station.booth_key("S1-A"), ("127.0.0.1", 1))
    with pytest.raises(PackageNotPinned):
        PollBookServer(
            unpinned,
            station.confidential,
            "S1",
            station.pollbook_key("S1"),
            tmp_path / "pb.sqlite",
            ("127.0.0.1", 0),
        )
    assert not (tmp_path / "pb.sqlite").exists()
    out = refvote(
        "station", "status", "--package", str(station.folder / "package"),
        "--station", "S1", "--db", str(tmp_path / "pb.sqlite"),
    )  # fmt: skip
    assert out.returncode == 2 and "--authority" in out.stderr


def test_a_booth_refuses_the_wrong_poll_book(
    station: Station, other: Station, tmp_path: Path
) -> None:
    # S2's poll book (valid certificate, wrong station) answering where S1's should be.
    with running_pollbook(station, "S2", tmp_path / "s2.sqlite") as server:
        with pytest.raises(PeerRefused, match="not the poll book of station S1"):
            station.client("S1-A", server.address).check_in(bytes(32))
    # Another election's S1 poll book: its certificate fails the handshake.
    with running_pollbook(other, "S1", tmp_path / "o.sqlite") as server:
        with pytest.raises(PollBookUnreachable):
            station.client("S1-A", server.address).check_in(bytes(32))
    # Nobody listening.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = s.getsockname()
    with pytest.raises(PollBookUnreachable):
        station.client("S1-A", address).check_in(bytes(32))


def test_malformed_requests_get_an_error(station: Station, tmp_path: Path) -> None:
    with running_pollbook(station, "S1", tmp_path / "pb.sqlite") as server:
        client = station.client("S1-A", server.address)
        for body in (
            b'{"op":"check_in","roll_hash":"00"}',
            b'{"op":"check_in","booth_id":"S1-B","roll_hash":"' + b"00" * 32 + b'"}',
            b'{"op":"drop_tables"}',
            b"not json",
        ):
            with socket.create_connection(server.address, timeout=5) as raw:
                with client.context.wrap_socket(raw) as tls:
                    tls.sendall(len(body).to_bytes(4, "big") + body)
                    answer = messages.decode("answer", messages.read_frame(tls))
            assert answer.kind == "error"
        with socket.create_connection(server.address, timeout=5) as raw:
            with client.context.wrap_socket(raw) as tls:
                tls.sendall((messages.MAX_FRAME + 1).to_bytes(4, "big"))
                with pytest.raises((ConnectionError, OSError)):
                    messages.read_frame(tls)
        assert server.store.counts().in_progress == 0


def test_restart_keeps_state_and_files_hold_no_ballot_data(
    station: Station, tmp_path: Path
) -> None:
    db = tmp_path / "pb.sqlite"
    voters = [station.roll_hash(v) for v in station.roll["S1"][:6]]
    ballot_ids = [secrets.token_bytes(32) for _ in voters]  # what the booths hold
    codes = [secrets.token_hex(8).upper() for _ in voters]  # tracking codes on receipts
    with running_pollbook(station, "S1", db) as server:
        a = station.client("S1-A", server.address)
        sessions = [a.check_in(v) for v in voters]
        for s in sessions[:4]:
            a.complete(s)
    with running_pollbook(station, "S1", db) as server:
        a = station.client("S1-A", server.address)
        with pytest.raises(AlreadyVoted):
            a.check_in(voters[0])
        with pytest.raises(InProgressElsewhere):
            a.check_in(voters[5])
        a.complete(sessions[4])
        a.complete(sessions[0])
        assert server.store.counts().voted == 5
        files = [p for p in tmp_path.iterdir() if p.name.startswith("pb.sqlite")]
        assert any(p.name.endswith("-wal") for p in files)
        data = b"".join(p.read_bytes() for p in files)
    assert voters[0] in data  # the scan can see what the poll book holds
    for identifier in station.roll["S1"][:6]:
        assert identifier.encode() not in data
    for ballot_id, code in zip(ballot_ids, codes, strict=True):
        for needle in (ballot_id, ballot_id.hex().encode(), code.encode()):
            assert needle not in data


def test_the_file_of_another_station_is_refused(station: Station, tmp_path: Path) -> None:
    db = tmp_path / "pb.sqlite"
    PollBookStore.create_or_open(
        db, "S1", station.verified.public.manifest_hash, station.confidential.roll_of("S1")
    )
    from booth.pollbook.store import StoreError

    with pytest.raises(StoreError, match="station S1"):
        PollBookStore.create_or_open(
            db, "S2", station.verified.public.manifest_hash, station.confidential.roll_of("S2")
        )


def test_closed_poll_book_refuses_check_ins(station: Station, tmp_path: Path) -> None:
    with running_pollbook(station, "S1", tmp_path / "pb.sqlite") as server:
        a = station.client("S1-A", server.address)
        open_session = a.check_in(station.roll_hash(station.roll["S1"][0]))
        counts = server.store.close_polls()
        assert counts.closed and counts.in_progress == 1
        with pytest.raises(PollBookClosed):
            a.check_in(station.roll_hash(station.roll["S1"][1]))
        a.complete(open_session)  # a cast still reaches the poll book after closing
        assert server.store.counts().voted == 1


def test_signed_count_verifies_and_a_tampered_one_fails(station: Station) -> None:
    key = station.devices.pollbook_keys["S1"]
    public = station.verified.public
    counts = {
        "voted": 3,
        "checked_in_not_cast": 1,
        "released": 0,
        "cardless": 1,
        "completed_after_release": 0,
    }
    data = PollBookCount.sign(key, public.base, "S1", counts).to_json()
    count = open_pollbook_count(data, public.station_key("S1"), public.base, "S1")
    assert count.counts() == counts
    tampered = parse_canonical_json(data)
    tampered["counts"]["voted"] = 4
    with pytest.raises(PollBookCountError, match="signature does not verify"):
        open_pollbook_count(canonical_json(tampered), public.station_key("S1"), public.base, "S1")
    with pytest.raises(PollBookCountError, match="signature does not verify"):
        open_pollbook_count(data, public.station_key("S2"), public.base, "S2".replace("2", "1"))
    with pytest.raises(PollBookCountError, match="not station S2"):
        open_pollbook_count(data, public.station_key("S2"), public.base, "S2")
    with pytest.raises(PollBookCountError, match="not station"):
        open_pollbook_count(data, public.station_key("S1"), bytes(32), "S1")
    with pytest.raises(PollBookCountError):
        open_pollbook_count(data[:-3], public.station_key("S1"), public.base, "S1")
    with pytest.raises(PollBookCountError, match="cardless"):
        PollBookCount.sign(key, public.base, "S1", {**counts, "cardless": 4})


# The package's link rules --------------------------------------------------------------------


def _resign(station: Station, change) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the package with package.json changed and signed again by a NEW authority, so
    that only the link rules can refuse it."""
    folder = station.folder / f"variant-{secrets.token_hex(4)}"
    shutil.copytree(station.folder / "package", folder)
    public = PublicPackage.from_json((folder / "package.json").read_bytes())
    authority = SigningKey.generate()
    unsigned = change(
        public.__class__(**{**public.__dict__, "authority_key": authority.verify_key})
    )
    signed = unsigned.__class__(
        **{**unsigned.__dict__, "signature": authority.sign("package", *unsigned.payload())}
    )
    (folder / "package.json").write_bytes(signed.to_json())
    return folder


def test_package_link_rules(station: Station, other: Station) -> None:
    from ballots.errors import PackageError
    from ballots.station_link import LinkCertificates

    verify_package(_resign(station, lambda p: p))  # the unchanged variant verifies
    link = station.verified.public.link
    swapped = LinkCertificates(link.ca, link.pollbooks, tuple(reversed(link.booths)))
    foreign = LinkCertificates(
        link.ca,
        link.pollbooks,
        ((link.booths[0][0], other.verified.public.link.booths[0][1]), *link.booths[1:]),
    )
    cases = [
        (lambda p: p.__class__(**{**p.__dict__, "link": swapped}), "do not match the booths"),
        (lambda p: p.__class__(**{**p.__dict__, "link": foreign}), "not issued by"),
        (
            lambda p: p.__class__(**{**p.__dict__, "station_keys": p.station_keys[:1]}),
            "station keys do not match",
        ),
        (
            lambda p: p.__class__(
                **{
                    **p.__dict__,
                    "station_keys": (
                        (p.station_keys[0][0], p.booth_keys[0][1]),
                        *p.station_keys[1:],
                    ),
                }
            ),
            "signing key of its own",
        ),
        (
            lambda p: p.__class__(
                **{
                    **p.__dict__,
                    "link": LinkCertificates(link.booths[0][1], link.pollbooks, link.booths),
                }
            ),
            "not a self-issued CA",
        ),
    ]
    for change, message in cases:
        with pytest.raises(PackageError, match=message):
            verify_package(_resign(station, change))


def test_confidential_pins_must_match_the_stations(station: Station) -> None:
    from ballots.errors import PackageError
    from ballots.package import ConfidentialPackage, verify_confidential
    from crypto.hashing import file_fingerprint

    authority = SigningKey.generate()
    folder = station.folder / f"variant-{secrets.token_hex(4)}"
    shutil.copytree(station.folder / "package", folder)
    c = ConfidentialPackage.from_json((folder / "confidential.json").read_bytes())
    c = c.__class__(**{**c.__dict__, "poll_worker_pins": c.poll_worker_pins[1:]})
    c = c.__class__(**{**c.__dict__, "signature": authority.sign("package", *c.payload())})
    (folder / "confidential.json").write_bytes(c.to_json())
    p = PublicPackage.from_json((folder / "package.json").read_bytes())
    p = p.__class__(
        **{
            **p.__dict__,
            "authority_key": authority.verify_key,
            "confidential": file_fingerprint(c.to_json()),
        }
    )
    p = p.__class__(**{**p.__dict__, "signature": authority.sign("package", *p.payload())})
    (folder / "package.json").write_bytes(p.to_json())
    with pytest.raises(PackageError, match="one chief-officer and one chief-supervisor record"):
        verify_confidential(c.to_json(), verify_package(folder))


def test_pins_are_argon2id_hashes_of_the_pin(station: Station) -> None:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    from crypto.hashing import preimage

    officer, supervisor = station.confidential.station_pins("S1")
    pins = station.devices.pins["S1"]
    assert (officer.role.value, supervisor.role.value) == ("chief-officer", "chief-supervisor")
    assert pins.officer != pins.supervisor
    # Recomputed from scratch with the protocol's parameters (passes 3, 64 MiB, 4 lanes) and the
    # associated data binding station and role.
    for entry, pin in ((officer, pins.officer), (supervisor, pins.supervisor)):
        ad = preimage("booth-pin", "S1", entry.role.value)
        kdf = Argon2id(salt=entry.salt, length=32, iterations=3, lanes=4, memory_cost=65536, ad=ad)
        assert kdf.derive(pin.encode()) == entry.hash
        assert pin.encode() not in (station.folder / "package/confidential.json").read_bytes()


# The console ---------------------------------------------------------------------------------


def refvote(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "refvote.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_console_issue_code_release_and_close(station: Station, tmp_path: Path) -> None:
    db = tmp_path / "pb.sqlite"
    pin_file = tmp_path / "pin"
    pins = station.devices.pins["S1"]
    pin_file.write_text(pins.supervisor + "\n")  # either role's PIN
    wrong = tmp_path / "wrong"
    wrong.write_text(
        next(p for p in ("000000", "000001", "000002") if p not in vars(pins).values())
    )
    base = [
        "--package", str(station.folder / "package"), "--station", "S1", "--db", str(db),
        "--authority", key_fingerprint(station.verified.public.authority_key),
    ]  # fmt: skip
    refused = refvote("station", "issue-code", *base, "--pin-file", str(wrong), "--identifier", "x")
    assert refused.returncode == 1 and "wrong poll-worker PIN" in refused.stderr
    out = refvote(
        "station", "issue-code", *base, "--pin-file", str(pin_file),
        "--identifier", station.roll["S1"][7],
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    code = out.stdout.strip().split(": ")[-1]
    with running_pollbook(station, "S1", db) as server:
        a = station.client("S1-A", server.address)
        a.complete(a.check_in_code(code))
        stuck = a.check_in(station.roll_hash(station.roll["S1"][8]))
    blind = refvote("station", "release", *base, "--pin-file", str(pin_file), "--booth", "S1-A")
    assert blind.returncode == 1 and "no check-in at booth S1-A" in blind.stderr
    reading = tmp_path / "mirror-outbox.txt"
    reading.write_text("")
    released = refvote(
        "station", "release", *base, "--pin-file", str(pin_file), "--booth", "S1-A",
        "--mirror-outbox", str(reading),
    )  # fmt: skip
    assert released.returncode == 0 and "1 check-in(s) released" in released.stdout
    status = refvote("station", "status", *base)
    assert "voted 1 (card-less 1)" in status.stdout
    medium = tmp_path / "medium"
    medium.mkdir()
    closed = refvote(
        "station", "close", *base, "--pin-file", str(pin_file),
        "--key", str(station.keys / "stations/S1.key.json"), "--out", str(medium),
    )  # fmt: skip
    assert closed.returncode == 0, closed.stderr
    public = station.verified.public
    count = open_pollbook_count(
        (medium / "pollbook-S1.json").read_bytes(), public.station_key("S1"), public.base, "S1"
    )
    assert count.counts() == {
        "voted": 1,
        "checked_in_not_cast": 0,
        "released": 1,
        "cardless": 1,
        "completed_after_release": 0,
    }
    assert stuck not in (medium / "pollbook-S1.json").read_bytes()
    events = [e for e, _ in PollBookStore(db).events()]
    assert events.count("POLL_WORKER_PIN_WRONG") == 1 and "POLLBOOK_CLOSED" in events


def test_console_wrong_pins_are_limited_across_commands(station: Station, tmp_path: Path) -> None:
    """The booths' rule at the console: each command is a new process, the count persists;
    the 5th wrong try locks, then even a right PIN is refused; every refusal is logged."""
    db = tmp_path / "pb.sqlite"
    pins = station.devices.pins["S1"]
    wrong, right = tmp_path / "wrong", tmp_path / "right"
    wrong.write_text(
        next(p for p in ("000000", "000001", "000002") if p not in vars(pins).values())
    )
    right.write_text(pins.officer)
    base = [
        "--package", str(station.folder / "package"), "--station", "S1", "--db", str(db),
        "--authority", key_fingerprint(station.verified.public.authority_key),
    ]  # fmt: skip
    for n in range(1, 5):
        out = refvote("station", "issue-code", *base, "--pin-file", str(wrong), "--identifier", "x")
        assert out.returncode == 1 and f"{5 - n} tries left" in out.stderr
    for pin_file in (wrong, right):
        out = refvote(
            "station", "issue-code", *base, "--pin-file", str(pin_file), "--identifier", "x"
        )
        assert out.returncode == 1 and "locked until" in out.stderr
    assert [d for e, d in PollBookStore(db).events() if e == "POLL_WORKER_PIN_WRONG"] == [
        *(f"issue-code failures={n}" for n in range(1, 6)),
        "issue-code locked 5 min",
    ]


def test_mutated_counts_give_clean_errors(station: Station) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from crypto.errors import CryptoError

    public = station.verified.public
    counts = dict.fromkeys(
        ("voted", "checked_in_not_cast", "released", "cardless", "completed_after_release"), 2
    )
    data = PollBookCount.sign(
        station.devices.pollbook_keys["S1"], public.base, "S1", counts
    ).to_json()

    @settings(max_examples=150, deadline=None)
    @given(st.data())
    def mutate(draw: st.DataObject) -> None:
        raw = bytearray(data)
        for _ in range(draw.draw(st.integers(1, 3))):
            raw[draw.draw(st.integers(0, len(raw) - 1))] = draw.draw(st.integers(0, 255))
        if bytes(raw) == data:
            return
        with pytest.raises(CryptoError):
            open_pollbook_count(bytes(raw), public.station_key("S1"), public.base, "S1")

    mutate()


def test_refvote_station_serve_answers_booths(station: Station, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable, "-m", "refvote.cli", "station", "serve",
            "--package", str(station.folder / "package"), "--station", "S1",
            "--authority", key_fingerprint(station.verified.public.authority_key),
            "--db", str(tmp_path / "pb.sqlite"),
            "--tls-key", str(station.pollbook_key("S1")), "--listen", "127.0.0.1:0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # printed once it listens
        assert "listening on 127.0.0.1:" in line, line + process.stderr.read()  # type: ignore[union-attr]
        port = int(line.split("127.0.0.1:")[1].split()[0])
        booth = station.client("S1-B", ("127.0.0.1", port))
        session = booth.check_in(station.roll_hash(station.roll["S1"][9]))
        booth.complete(session)
        assert booth.status()["voted"] == 1
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_every_voter_transition_and_every_refused_one(station: Station, tmp_path: Path) -> None:
    """The store's table, walked: each allowed move changes the row, every other leaves it."""
    from booth.pollbook.store import TRANSITIONS, Action, VoterState

    store = PollBookStore.create_or_open(
        tmp_path / "pb.sqlite",
        "S1",
        station.verified.public.manifest_hash,
        station.confidential.roll_of("S1"),
    )
    voters = iter(station.roll_hash(v) for v in station.roll["S1"])

    def state(rh: bytes) -> tuple[str, bytes | None]:
        row = (
            store._db()
            .execute("SELECT state, session FROM voters WHERE roll_hash = ?", [rh])
            .fetchone()
        )
        return row[0], row[1]

    def in_state(target: VoterState) -> tuple[bytes, bytes | None]:
        rh = next(voters)
        session = None
        if target is not VoterState.ELIGIBLE:
            session = store.check_in(rh, "S1-A").fields["session"]
        if target is VoterState.VOTED:
            assert store.complete(session).answer == "done"  # type: ignore[arg-type]
        assert state(rh)[0] == target.value
        return rh, session

    def act(action: Action, rh: bytes, session: bytes | None) -> None:
        s = session or secrets.token_bytes(16)
        match action:
            case Action.CHECK_IN:
                store.check_in(rh, "S1-B")
            case Action.COMPLETE:
                store.complete(s)
            case Action.ABORT:
                store.abort(s)
            case Action.RELEASE:
                store.report_outbox("S1-A", frozenset())
                try:
                    store.release("S1-A", Evidence.BOOTH_ANSWER)
                except ReleaseRefused:
                    pass
            case Action.SETTLE_CAST:
                try:
                    store.release("S1-A", Evidence.MIRROR_READING, frozenset({s}))
                except ReleaseRefused:
                    pass

    for action in Action:
        for start in VoterState:
            rh, session = in_state(start)
            before = state(rh)
            act(action, rh, session)
            allowed = TRANSITIONS[action]
            if allowed[0] is start:
                assert state(rh)[0] == allowed[1].value, (action, start)
            else:
                assert state(rh) == before, (action, start)
            # Leave nothing in progress for the next case (release and settle act per booth).
            if state(rh)[0] == VoterState.IN_PROGRESS.value:
                store.abort(state(rh)[1])  # type: ignore[arg-type]


def test_the_event_log_is_hash_chained(station: Station, tmp_path: Path) -> None:
    import hashlib

    from booth.pollbook.store import StoreError

    store = PollBookStore.create_or_open(
        tmp_path / "pb.sqlite",
        "S1",
        station.verified.public.manifest_hash,
        station.confidential.roll_of("S1"),
    )
    store.issue_code(station.roll_hash(station.roll["S1"][0]))
    store.close_polls()
    events = store.events()
    assert [code for code, _ in events] == ["POLLBOOK_CREATED", "CODE_ISSUED", "POLLBOOK_CLOSED"]

    # The head recomputed from scratch: H = SHA-512 over length-prefixed items (protocol §1).
    def h(*items: bytes) -> bytes:
        tag = b"refvote/v2/pollbook-event"
        data = b"".join(len(x).to_bytes(4, "big") + x for x in (tag, *items))
        return hashlib.sha512(data).digest()[:32]

    chain = bytes(32)
    for code, detail in events:
        chain = h(chain, code.encode(), detail.encode())
    assert store.event_head() == chain
    store._db().execute("UPDATE events SET detail = 'nothing happened' WHERE code = 'CODE_ISSUED'")
    with pytest.raises(StoreError, match="chain breaks at CODE_ISSUED"):
        store.events()


def _race_in_process(
    db: str, manifest_hash: bytes, roll: frozenset[bytes], booth_id: str, voters: list[bytes],
    barrier, answers,  # type: ignore[no-untyped-def]
) -> None:  # fmt: skip
    store = PollBookStore.create_or_open(Path(db), "S1", manifest_hash, roll)
    for n, rh in enumerate(voters):
        barrier.wait()
        answers.put((n, booth_id, store.check_in(rh, booth_id).answer))


def test_two_processes_racing_on_one_file_exactly_one_proceeds(
    station: Station, tmp_path: Path
) -> None:
    """The same race between two processes (the server and a second one on the same file):
    SQLite's transaction, not a Python lock, lets exactly one through."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    roll = station.confidential.roll_of("S1")
    manifest_hash = station.verified.public.manifest_hash
    db = tmp_path / "pb.sqlite"
    PollBookStore.create_or_open(db, "S1", manifest_hash, roll)
    voters = [station.roll_hash(v) for v in station.roll["S1"]]
    barrier, answers = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(
            target=_race_in_process,
            args=(str(db), manifest_hash, roll, b, voters, barrier, answers),
        )
        for b in ("S1-A", "S1-B")
    ]
    for p in procs:
        p.start()
    results: dict[int, list[str]] = {}
    for _ in range(2 * len(voters)):
        n, _, answer = answers.get(timeout=60)
        results.setdefault(n, []).append(answer)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert all(sorted(r) == ["eligible", "in_progress"] for r in results.values()), results
    assert PollBookStore(db).counts().in_progress == len(voters)
