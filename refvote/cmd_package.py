"""`refvote package freeze | build | inspect` and `refvote dev keys`."""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

from refvote.messages import refuse, say, t

MAX_SOURCE_BYTES = 16 << 20
MAX_ROLL_BYTES = 1 << 30


def _fail(todo: str, detail: object = None, code: int = 2, **values: object) -> int:
    """A refusal: what to do (catalog key `todo`), then the detail."""
    return refuse("package", todo, detail, code, **values)


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
        return _fail("package.freeze_refused", exc)
    out = Path(args.out)
    if out.exists() and not args.force:
        return _fail("package.freeze_exists", out=out)
    try:
        write_atomic(out, definition.to_json())
    except CryptoError as exc:
        return _fail("package.write_refused", exc)
    manifest_hash = definition.manifest_hash()
    say(
        "package.frozen",
        out=out,
        questions=len(definition.questions),
        stations=len(definition.stations),
        booths=len(definition.booth_ids()),
        eligible=definition.eligible,
    )
    say("package.manifest_hash", hex=manifest_hash.hex())
    say("package.read_aloud", text=group_for_reading(manifest_hash))
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


def _read_station_setup(  # type: ignore[no-untyped-def]
    args: argparse.Namespace, definition, demo_files: list[str]
):
    """Poll-book keys and TLS keys of every station, booth TLS keys, and the PINs; the paths of
    demo key files are added to `demo_files`."""
    from ballots.station_link import StationSetup, load_tls_public_pem
    from crypto.keyfile import load_public_key

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
        loaded = load_public_key(path, "pollbook")
        name, pollbook_keys[st.station_id] = loaded.name, loaded.key
        if loaded.demo:
            demo_files.append(str(path))
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
    from crypto.keyfile import is_sealed, load_public_key, load_signing_key
    from refvote.passphrase import PassphraseUnavailable, read_passphrases

    out = Path(args.out)
    if out.exists():
        return _fail("package.build_exists", out=out)
    demo_files: list[str] = []
    try:
        definition_bytes = _load_definition_bytes(Path(args.definition))
        definition = Definition.from_json(definition_bytes)
        authority_path = Path(args.authority_key)
        passphrase = None
        if is_sealed(authority_path):
            (passphrase,) = read_passphrases(args.passphrase_file, t("keys.prompt.open"))
        authority = load_signing_key(authority_path, "authority", passphrase)
        if authority.demo:
            demo_files.append(str(authority_path))
        tally = load_public_key(Path(args.tally_key), "tally")
        if tally.demo:
            demo_files.append(args.tally_key)
        booth_keys = {}
        for booth_id in definition.booth_ids():
            candidates = [
                Path(args.booth_keys) / f"{booth_id}.pub.json",
                Path(args.booth_keys) / f"{booth_id}.key.json",
            ]
            path = next((p for p in candidates if p.is_file()), None)
            if path is None:
                return _fail("package.no_booth_key", booth=booth_id, folder=args.booth_keys)
            booth = load_public_key(path, "booth")
            if booth.name != booth_id:
                return _fail("package.wrong_booth_key", path=path, name=booth.name, booth=booth_id)
            if booth.demo:
                demo_files.append(str(path))
            booth_keys[booth_id] = booth.key
        setup = _read_station_setup(args, definition, demo_files)
        if args.official and demo_files:
            # A package made with demo keys can never be OFFICIAL (docs/package-inputs.md).
            return _fail(
                "package.official_demo_keys",
                count=len(demo_files),
                first=demo_files[0],
                code=1,
            )
        roll = _read_roll(Path(args.roll))
        cas = [_read_der(Path(p), "certificate") for p in args.ca]
        crls = [_read_der(Path(p), "crl") for p in args.crl]
        public, _ = build_package(
            out,
            definition_bytes,
            Path(args.ceremony),
            authority.key,
            tally.key,
            booth_keys,
            cas,
            roll,
            crls,
            setup,
            official=args.official,
        )
    except PassphraseUnavailable as exc:
        return _fail("package.passphrase_unavailable", exc)
    except (CryptoError, ValueError, OSError) as exc:
        return _fail("package.build_refused", exc)
    from ballots.package import key_fingerprint

    say("package.built", out=out)
    say("package.built_confidential", out=out)
    say("package.built_official" if public.official else "package.built_test")
    # The last line, as before: scripts and tests read the fingerprint from it.
    say("package.authority_key", fingerprint=key_fingerprint(public.authority_key))
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
        return refuse("package inspect", "package.inspect_refused", exc)
    d, p, j = verified.definition, verified.public, verified.joint_key
    say("package.inspect.verified", folder=folder)
    say("package.inspect.kind_official" if p.official else "package.inspect.kind_test")
    say("package.inspect.referendum", id=d.referendum_id, date=d.date, zh=d.title_zh, en=d.title_en)
    from tally.report_figures import main_text_lines

    for line in main_text_lines(d):  # the full 主文 of each case, then its label
        say("package.inspect.line", line=line)
    say(
        "package.inspect.stations",
        stations=len(d.stations),
        booths=len(d.booth_ids()),
        eligible=d.eligible,
    )
    say(
        "package.inspect.manifest",
        read=group_for_reading(p.manifest_hash),
        hex=p.manifest_hash.hex(),
    )
    say(
        "package.inspect.authority" if verified.authority_pinned else "package.inspect.unpinned",
        fingerprint=key_fingerprint(p.authority_key),
    )
    say("package.inspect.tally", fingerprint=key_fingerprint(p.tally_key))
    say(
        "package.inspect.ceremony",
        k=j.k,
        n=j.n,
        nonce=ceremony_nonce_read_aloud(j.params.ceremony_nonce),
    )
    for tr in j.params.trustees:
        say(
            "package.inspect.trustee",
            index=tr.index,
            name=tr.name,
            key=tr.identity_key.read_aloud(),
        )
    say(
        "package.inspect.cas",
        count=len(p.ca_certificates),
        names=", ".join(n for n, _ in p.ca_certificates) or t("tally.none"),
    )
    confidential = folder / "confidential.json"
    if confidential.is_file():
        try:
            c = verify_confidential(read_file(confidential, MAX_PACKAGE_FILE), verified)
        except CryptoError as exc:
            return refuse("package inspect", "package.inspect_confidential_refused", exc)
        voters = sum(len(v) for _, v in c.voter_roll)
        say("package.inspect.confidential", voters=voters, crls=len(c.revocation))
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
        return _fail("package.definition_refused", exc)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        return _fail("dev.keys.not_empty", out=out)
    for role, name, path in [
        ("authority", "authority", out / "authority"),
        ("tally", "tally", out / "tally"),
    ]:
        key = SigningKey.generate()
        write_signing_key(path.with_suffix(".key.json"), role, name, key)
        write_public_key(path.with_suffix(".pub.json"), role, name, key.verify_key, demo=True)
        print(f"{role:<10} {key_fingerprint(key.verify_key)}  {path}.key.json")
    for booth_id in definition.booth_ids():
        key = SigningKey.generate()
        write_signing_key(out / "booths" / f"{booth_id}.key.json", "booth", booth_id, key)
        write_public_key(
            out / "booths" / f"{booth_id}.pub.json", "booth", booth_id, key.verify_key, demo=True
        )
    say("dev.keys.booths", count=len(definition.booth_ids()), folder=out / "booths")
    from ballots.station_link import DevStationKeys

    devices = DevStationKeys.generate(definition)
    devices.write(out)
    say("dev.keys.stations", count=len(definition.stations), folder=out / "stations")
    _show_pins(devices.pins, out / "poll-worker-pins.csv")
    say("dev.keys.warning")
    return 0


def _show_pins(pins, path: Path) -> None:  # type: ignore[no-untyped-def]
    from refvote.messages import pad

    say("keys.pins_shown", path=path)
    for station_id, p in pins.items():
        say(
            "keys.pins_line",
            station=pad(station_id, 12),
            officer=p.officer,
            supervisor=p.supervisor,
        )
