"""A signed package with station-link keys, and a running poll book, for tests (booth core too).

station = make_station(tmp)                       # package, keys, roll identifiers
with running_pollbook(station, "S1", tmp / "pb.sqlite") as server:
    booth = station.client("S1-A", server.address)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ballots.definition import Definition, load_source
from ballots.package import (
    ConfidentialPackage,
    VerifiedPackage,
    build_package,
    key_fingerprint,
    roll_hash,
    verify_confidential,
    verify_package,
)
from ballots.station_link import DevStationKeys
from booth.pollbook.client import PollBookClient
from booth.pollbook.server import PollBookServer
from crypto.ceremony.rehearsal import open_ceremony, rehearse
from crypto.signing import SigningKey
from tests.record_helpers import DEFINITION, PASSPHRASES


@dataclass
class Station:
    folder: Path
    definition: Definition
    verified: VerifiedPackage
    confidential: ConfidentialPackage
    keys: Path  # DevStationKeys.write layout
    devices: DevStationKeys
    roll: dict[str, list[str]]  # station_id → card identifiers

    def roll_hash(self, identifier: str) -> bytes:
        return roll_hash(self.confidential.roll_key, identifier)

    def booth_key(self, booth_id: str) -> Path:
        return self.keys / "booths" / f"{booth_id}.tls.key.pem"

    def pollbook_key(self, station_id: str) -> Path:
        return self.keys / "stations" / f"{station_id}.tls.key.pem"

    def client(self, booth_id: str, address: tuple[str, int]) -> PollBookClient:
        return PollBookClient(self.verified, booth_id, self.booth_key(booth_id), address)


def make_station(tmp: Path, definition_source: str = DEFINITION) -> Station:
    definition = load_source(definition_source)
    trustees = [SigningKey.generate() for _ in range(3)]
    params = open_ceremony(
        definition.manifest_hash(), 2, [(f"T{i}", k) for i, k in enumerate(trustees, 1)]
    )
    rehearse(params, trustees, PASSPHRASES[:3]).files.write(tmp / "ceremony")
    authority = SigningKey.generate()
    roll = {
        s.station_id: [f"P{s.station_id}{n:06d}" for n in range(s.eligible)]
        for s in definition.stations
    }
    devices = DevStationKeys.generate(definition)
    devices.write(tmp / "keys")
    build_package(
        tmp / "package",
        definition.to_json(),
        tmp / "ceremony",
        authority,
        SigningKey.generate().verify_key,
        {b: SigningKey.generate().verify_key for b in definition.booth_ids()},
        [],
        roll,
        [],
        devices.setup(),
    )
    verified = verify_package(tmp / "package", key_fingerprint(authority.verify_key))
    confidential = verify_confidential((tmp / "package/confidential.json").read_bytes(), verified)
    return Station(tmp, definition, verified, confidential, tmp / "keys", devices, roll)


@contextmanager
def running_pollbook(
    station: Station, station_id: str, db: Path, key: Path | None = None
) -> Iterator[PollBookServer]:
    server = PollBookServer(
        station.verified,
        station.confidential,
        station_id,
        key or station.pollbook_key(station_id),
        db,
        ("127.0.0.1", 0),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=10)
