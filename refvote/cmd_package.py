"""`refvote package freeze | build | inspect` and `refvote dev keys`."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

MAX_SOURCE_BYTES = 16 << 20
MAX_ROLL_BYTES = 1 << 30


def _fail(message: str) -> int:
    print(f"refvote package: {message}", file=sys.stderr)
    return 2


def _load_definition_bytes(path: Path) -> bytes:
    from ballots.definition import Definition, load_source
    from ballots.errors import DefinitionError
    from crypto.files import read_file

    data = read_file(path, MAX_SOURCE_BYTES)
    if path.suffix == ".toml":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise DefinitionError(path.name, "is not UTF-8 text") from None
        return load_source(text, path.name).to_json()
    return Definition.from_json(data).to_json()


def freeze(args: argparse.Namespace) -> int:
    from ballots.definition import load_source
    from crypto.errors import CryptoError
    from crypto.files import read_text, write_atomic
    from crypto.hashing import group_for_reading

    source = Path(args.source)
    try:
        definition = load_source(read_text(source, MAX_SOURCE_BYTES), source.name)
    except CryptoError as exc:
        return _fail(str(exc))
    out = Path(args.out)
    if out.exists() and not args.force:
        return _fail(f"{out} exists: a definition is frozen once (use --force to replace it)")
    try:
        write_atomic(out, definition.to_json())
    except CryptoError as exc:
        return _fail(str(exc))
    manifest_hash = definition.manifest_hash()
    print(
        f"wrote {out}: {len(definition.questions)} questions, {len(definition.stations)} stations, "
        f"{len(definition.booth_ids())} booths, {definition.eligible:,} eligible voters"
    )
    print(f"manifest_hash {manifest_hash.hex()}")
    print(f"read aloud    {group_for_reading(manifest_hash)}")
    return 0


def _read_roll(path: Path) -> dict[str, list[str]]:
    roll: dict[str, list[str]] = {}
    from crypto.files import read_text

    with io.StringIO(read_text(path, MAX_ROLL_BYTES), newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != ["station_id", "serial_number"]:
            raise ValueError(f"{path}: the header must be exactly station_id,serial_number")
        for n, row in enumerate(reader, start=2):
            station, serial = (
                (row.get("station_id") or "").strip(),
                (row.get("serial_number") or "").strip(),
            )
            if not station or not serial:
                raise ValueError(f"{path}: line {n}: empty station_id or serial_number")
            roll.setdefault(station, []).append(serial)
    return roll


def _read_der(path: Path, kind: str) -> tuple[str, bytes]:
    from cryptography import x509

    from crypto.files import read_file

    data = read_file(path, MAX_SOURCE_BYTES)
    loaders = {
        "certificate": (x509.load_pem_x509_certificate, x509.load_der_x509_certificate),
        "crl": (x509.load_pem_x509_crl, x509.load_der_x509_crl),
    }[kind]
    for loader in loaders:
        try:
            obj = loader(data)
        except ValueError:
            continue
        from cryptography.hazmat.primitives.serialization import Encoding

        return path.name, obj.public_bytes(Encoding.DER)
    raise ValueError(f"{path}: not a PEM or DER {kind}")


def _read_pins(path: Path):  # type: ignore[no-untyped-def]
    """The poll-worker PIN file (ballots.pins): CSV `station_id,role,pin`, both roles per
    station, the two PINs of a station different."""
    from ballots.pins import MAX_PINS_CSV, read_pins_csv
    from crypto.files import read_file

    return read_pins_csv(read_file(path, MAX_PINS_CSV), str(path))


def _read_station_setup(args: argparse.Namespace, definition):  # type: ignore[no-untyped-def]
    """Poll-book keys and TLS keys of every station, booth TLS keys, and the PINs."""
    from ballots.station_link import StationSetup, load_tls_public_pem
    from crypto.keyfile import read_public_key

    def tls(folder: Path, name: str):  # type: ignore[no-untyped-def]
        for candidate in (folder / f"{name}.tls.pub.pem", folder / f"{name}.tls.key.pem"):
            if candidate.is_file() and candidate.stat().st_size < 4096:
                return load_tls_public_pem(candidate.read_bytes(), str(candidate))
        raise ValueError(f"no TLS key {name}.tls.pub.pem in {folder}")

    stations, booths = Path(args.station_keys), Path(args.booth_keys)
    pollbook_keys = {}
    for st in definition.stations:
        path = stations / f"{st.station_id}.pub.json"
        if not path.is_file():
            path = stations / f"{st.station_id}.key.json"
        name, pollbook_keys[st.station_id] = read_public_key(path, "pollbook")
        if name != st.station_id:
            raise ValueError(f"{path} is the key of poll book {name}, not {st.station_id}")
    return StationSetup(
        pollbook_keys,
        {st.station_id: tls(stations, st.station_id) for st in definition.stations},
        {b: tls(booths, b) for b in definition.booth_ids()},
        _read_pins(Path(args.pins)),
    )


def build(args: argparse.Namespace) -> int:
    from ballots.definition import Definition
    from ballots.package import build_package
    from crypto.errors import CryptoError
    from crypto.keyfile import read_public_key, read_signing_key

    out = Path(args.out)
    if out.exists():
        return _fail(f"{out} exists: build the package into a new folder")
    try:
        definition_bytes = _load_definition_bytes(Path(args.definition))
        definition = Definition.from_json(definition_bytes)
        _, authority = read_signing_key(Path(args.authority_key), "authority")
        _, tally = read_public_key(Path(args.tally_key), "tally")
        booth_keys = {}
        for booth_id in definition.booth_ids():
            candidates = [
                Path(args.booth_keys) / f"{booth_id}.pub.json",
                Path(args.booth_keys) / f"{booth_id}.key.json",
            ]
            path = next((p for p in candidates if p.is_file()), None)
            if path is None:
                return _fail(f"no key for booth {booth_id} in {args.booth_keys}")
            name, booth_keys[booth_id] = read_public_key(path, "booth")
            if name != booth_id:
                return _fail(f"{path} is the key of booth {name}, not {booth_id}")
        roll = _read_roll(Path(args.roll))
        cas = [_read_der(Path(p), "certificate") for p in args.ca]
        crls = [_read_der(Path(p), "crl") for p in args.crl]
        setup = _read_station_setup(args, definition)
        public, _ = build_package(
            out,
            definition_bytes,
            Path(args.ceremony),
            authority,
            tally,
            booth_keys,
            cas,
            roll,
            crls,
            setup,
        )
    except (CryptoError, ValueError, OSError) as exc:
        return _fail(str(exc))
    from ballots.package import key_fingerprint

    print(f"wrote the signed election package to {out}/ (package.json, definition.json, ceremony/)")
    print(
        f"and its confidential part to {out}/confidential.json: "
        "for booths and poll books only, never publish it"
    )
    print(f"authority key {key_fingerprint(public.authority_key)}")
    return 0


def inspect(args: argparse.Namespace) -> int:
    from ballots.package import (
        MAX_PACKAGE_FILE,
        key_fingerprint,
        verify_confidential,
        verify_package,
    )
    from crypto.ceremony.messages import ceremony_nonce_read_aloud
    from crypto.errors import CryptoError
    from crypto.files import read_file
    from crypto.hashing import group_for_reading

    folder = Path(args.package)
    try:
        verified = verify_package(folder, args.authority)
    except CryptoError as exc:
        print(f"refvote package inspect: REFUSED: {exc}", file=sys.stderr)
        return 1
    d, p, j = verified.definition, verified.public, verified.joint_key
    print(f"election package {folder}: signature and ceremony verified")
    print(f"  referendum     {d.referendum_id} on {d.date}: {d.title_zh} / {d.title_en}")
    from tally.report_figures import main_text_lines

    for line in main_text_lines(d):  # the full 主文 of each case, then its label
        print(f"  {line}")
    print(
        f"  stations       {len(d.stations)} with {len(d.booth_ids())} booths, "
        f"{d.eligible:,} eligible voters"
    )
    print(f"  manifest hash  {group_for_reading(p.manifest_hash)}  ({p.manifest_hash.hex()})")
    print(
        f"  authority      {key_fingerprint(p.authority_key)}"
        + ("" if verified.authority_pinned else "  (self-asserted: pass --authority to pin it)")
    )
    print(f"  tally station  {key_fingerprint(p.tally_key)}")
    print(
        f"  ceremony       {j.k} of {j.n}, "
        f"nonce {ceremony_nonce_read_aloud(j.params.ceremony_nonce)}"
    )
    for t in j.params.trustees:
        print(f"    trustee {t.index}: {t.name}  {t.identity_key.read_aloud()}")
    print(
        f"  eID CA roots   {len(p.ca_certificates)}: "
        f"{', '.join(n for n, _ in p.ca_certificates) or 'none'}"
    )
    confidential = folder / "confidential.json"
    if confidential.is_file():
        try:
            c = verify_confidential(read_file(confidential, MAX_PACKAGE_FILE), verified)
        except CryptoError as exc:
            print(f"refvote package inspect: confidential.json REFUSED: {exc}", file=sys.stderr)
            return 1
        voters = sum(len(v) for _, v in c.voter_roll)
        print(
            f"  confidential   present and signed: {voters:,} voters on the roll, "
            f"{len(c.revocation)} revocation lists"
        )
    return 0


def dev_keys(args: argparse.Namespace) -> int:
    from ballots.definition import Definition
    from ballots.package import key_fingerprint
    from crypto.errors import CryptoError
    from crypto.keyfile import write_public_key, write_signing_key
    from crypto.signing import SigningKey

    try:
        definition = Definition.from_json(_load_definition_bytes(Path(args.definition)))
    except (CryptoError, OSError) as exc:
        return _fail(str(exc))
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        return _fail(f"{out} is not empty: demo keys are made into a new folder")
    for role, name, path in [
        ("authority", "authority", out / "authority"),
        ("tally", "tally", out / "tally"),
    ]:
        key = SigningKey.generate()
        write_signing_key(path.with_suffix(".key.json"), role, name, key)
        write_public_key(path.with_suffix(".pub.json"), role, name, key.verify_key)
        print(f"{role:<10} {key_fingerprint(key.verify_key)}  {path}.key.json")
    for booth_id in definition.booth_ids():
        key = SigningKey.generate()
        write_signing_key(out / "booths" / f"{booth_id}.key.json", "booth", booth_id, key)
        write_public_key(out / "booths" / f"{booth_id}.pub.json", "booth", booth_id, key.verify_key)
    print(f"booths     {len(definition.booth_ids())} key pairs in {out / 'booths'}/")
    from ballots.station_link import DevStationKeys

    devices = DevStationKeys.generate(definition)
    devices.write(out)
    print(
        f"stations   {len(definition.stations)} poll-book signing and TLS keys in "
        f"{out / 'stations'}/; booth TLS keys beside the booth keys"
    )
    print(f"poll-worker PINs (shown once; also in {out / 'poll-worker-pins.csv'}, mode 0600):")
    for station_id, pins in devices.pins.items():
        print(
            f"  {station_id:<12} chief-officer {pins.officer}  chief-supervisor {pins.supervisor}"
        )
    print("These are DEMO keys, stored unencrypted: never use them in an election.")
    return 0
