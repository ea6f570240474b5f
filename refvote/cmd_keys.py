"""`refvote keys authority | tally | booth | station`: production keys, sealed under a passphrase.

Each signing key is written sealed (crypto.keyfile.write_sealed_signing_key: Argon2id with the
protocol's parameters, AES-256-GCM, as a trustee's share at rest), read back and opened again
before the command reports success, with its public file beside it (`"demo": false`). The
read-aloud fingerprint of each key is printed for the minutes. `package build` accepts these
files (and `--official` accepts only these). Layout, matching what `package build` reads:

    keys authority --out DIR   DIR/authority.key.json (sealed), DIR/authority.pub.json
    keys tally --out DIR       DIR/tally.key.json (sealed), DIR/tally.pub.json
    keys booth --out DIR       DIR/<booth_id>.key.json (sealed), .pub.json, .tls.key.pem,
                               .tls.pub.pem
    keys station --out DIR     DIR/<station_id>.key.json (sealed), .pub.json, .tls.key.pem,
                               .tls.pub.pem; DIR/poll-worker-pins.csv (mode 0600)

The TLS keys of the station link only authenticate the booth ↔ poll book link (the package
certifies them); they are written as PEM, mode 0600, for the device's own storage.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from refvote.messages import refuse, say, t

MIN_PASSPHRASE = 12


def _fail(todo: str, detail: object = None, code: int = 2, **values: object) -> int:
    return refuse("keys", todo, detail, code, **values)


def _passphrase(path: str | None) -> str:
    """One passphrase: the first line of a file, or typed twice without echo."""
    import getpass
    import sys

    from refvote.passphrase import PassphraseUnavailable, read_passphrases

    if path is not None:
        (passphrase,) = read_passphrases(path, "")
    else:
        if not sys.stdin.isatty():
            raise PassphraseUnavailable(t("keys.no_terminal"))
        passphrase = getpass.getpass(t("keys.prompt.new") + ": ")
        if getpass.getpass(t("keys.prompt.again") + ": ") != passphrase:
            raise PassphraseUnavailable(t("keys.mismatch"))
    if len(passphrase) < MIN_PASSPHRASE:
        raise PassphraseUnavailable(t("keys.too_short", n=MIN_PASSPHRASE))
    return passphrase


def _write_pair(folder: Path, role: str, name: str, passphrase: str, reopen: bool) -> str:
    """A new sealed key and its public file, read back; its fingerprint.

    `reopen`: open the sealed file again with the passphrase (the authority and tally keys);
    for the thousands of booth and poll-book keys the files are parsed back and compared,
    which spares a second Argon2id per key.
    """
    from ballots.package import key_fingerprint
    from crypto.keyfile import (
        load_public_key,
        load_signing_key,
        write_public_key,
        write_sealed_signing_key,
    )
    from crypto.signing import SigningKey

    key = SigningKey.generate()
    private = folder / f"{name}.key.json"
    write_sealed_signing_key(private, role, name, key, passphrase)
    write_public_key(folder / f"{name}.pub.json", role, name, key.verify_key, demo=False)
    if reopen:
        back = load_signing_key(private, role, passphrase).key.verify_key.raw
    else:
        back = load_public_key(private, role).key.raw
    if back != key.verify_key.raw or load_public_key(folder / f"{name}.pub.json", role).demo:
        raise OSError(f"{private}: the key read back differs from the key written")
    return key_fingerprint(key.verify_key)


def _write_tls(folder: Path, name: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ballots.station_link import tls_private_pem, tls_public_pem
    from crypto.files import write_atomic

    key = Ed25519PrivateKey.generate()
    write_atomic(folder / f"{name}.tls.key.pem", tls_private_pem(key), mode=0o600)
    write_atomic(folder / f"{name}.tls.pub.pem", tls_public_pem(key.public_key()))


def make_keys(args: argparse.Namespace) -> int:
    from ballots.definition import Definition
    from crypto.errors import CryptoError
    from crypto.files import make_folder
    from refvote.cmd_package import _load_definition_bytes
    from refvote.passphrase import PassphraseUnavailable

    role: str = args.role
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        return _fail("keys.not_empty", out=out)
    try:
        definition = None
        if role in ("booth", "station"):
            definition = Definition.from_json(_load_definition_bytes(Path(args.definition)))
        passphrase = _passphrase(args.passphrase_file)
        make_folder(out)
        if role in ("authority", "tally"):
            fingerprint = _write_pair(out, role, role, passphrase, reopen=True)
            say("keys.made", role=t(f"keys.role.{role}"), fingerprint=fingerprint)
            say("keys.files", private=out / f"{role}.key.json", public=out / f"{role}.pub.json")
        elif role == "booth":
            assert definition is not None
            for booth_id in definition.booth_ids():
                fingerprint = _write_pair(out, "booth", booth_id, passphrase, reopen=False)
                _write_tls(out, booth_id)
                say("keys.made_named", name=booth_id, fingerprint=fingerprint)
            say("keys.booths_done", count=len(definition.booth_ids()), out=out)
        else:
            assert definition is not None
            from ballots.pins import pins_csv
            from ballots.station_link import DevStationKeys
            from crypto.files import write_atomic
            from refvote.cmd_package import _show_pins

            # The PINs are drawn as for any station (secrets); only the PINs are used here.
            pins = DevStationKeys.generate(definition).pins
            for st in definition.stations:
                fingerprint = _write_pair(out, "pollbook", st.station_id, passphrase, reopen=False)
                _write_tls(out, st.station_id)
                say("keys.made_named", name=st.station_id, fingerprint=fingerprint)
            write_atomic(out / "poll-worker-pins.csv", pins_csv(pins), mode=0o600)
            say("keys.stations_done", count=len(definition.stations), out=out)
            _show_pins(pins, out / "poll-worker-pins.csv")
    except PassphraseUnavailable as exc:
        return _fail("keys.passphrase_refused", exc)
    except (CryptoError, OSError, ValueError) as exc:
        return _fail("keys.refused", exc, code=1)
    say("keys.read_aloud")
    return 0
