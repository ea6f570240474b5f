"""`refvote dev make-cards`: a test eID CA, a revocation list and test cards (never for voting)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509

    from hardware.idcard.testca import Key, TestCA

from refvote.messages import refuse, say, t


def make_cards(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    from hardware.idcard.softhsm import SOFTHSM2_MODULE
    from hardware.idcard.testca import TestCA

    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        return refuse("dev make-cards", "keys.not_empty", code=2, out=out)
    if not 1 <= args.count <= 10_000:
        return refuse("dev make-cards", "dev.cards.count", code=2)
    ca = TestCA.create()
    if args.pkcs11 and not SOFTHSM2_MODULE.is_file():
        return refuse("dev make-cards", "dev.cards.no_softhsm", code=2, module=SOFTHSM2_MODULE)
    (out / "cards").mkdir(parents=True)
    (out / "ca.pem").write_bytes(ca.certificate.public_bytes(Encoding.PEM))
    (out / "ca.key.pem").write_bytes(
        ca.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    (out / "revocation.crl").write_bytes(ca.crl().public_bytes(Encoding.DER))
    for n in range(1, args.count + 1):
        serial = f"Z9{n:08d}"
        key, cert = ca.issue(serial, args.kind)
        folder = out / "cards" / serial
        folder.mkdir()
        (folder / "cert.der").write_bytes(cert.public_bytes(Encoding.DER))
        (folder / "key.pem").write_bytes(
            key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        )
        (folder / "pin.txt").write_text("1234\n", encoding="ascii")
        if args.pkcs11:
            provision_holder(folder / "softhsm", ca, key, cert)
    if args.pkcs11:
        say("dev.cards.pkcs11", module=SOFTHSM2_MODULE)
    say("dev.cards.made", count=args.count, kind=args.kind, out=out)
    say("dev.cards.warning")
    return 0


def provision_holder(folder: Path, ca: TestCA, key: Key, cert: x509.Certificate) -> None:
    """The card as a SoftHSM2 token (`hardware.idcard.softhsm`): its signing pair and
    certificate, an encryption pair, the CA's certificate; PIN 1234."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from hardware.idcard.softhsm import holder_content, provision

    provision(folder, holder_content(ca, key, cert.public_bytes(Encoding.DER)))


def synth_record(args: argparse.Namespace) -> int:
    """`refvote dev synth-record`: a large valid SYNTHETIC record for benchmarks."""
    import time

    from crypto.errors import CryptoError
    from refvote.synth import SynthError
    from refvote.synth import synth_record as make
    from tally.parallel import default_workers

    start = time.perf_counter()

    def step(key: str, /, **values: object) -> None:
        print(f"[{time.perf_counter() - start:7.1f} s] {t(key, **values)}", flush=True)

    workers = default_workers() if args.workers is None else args.workers
    try:
        report = make(Path(args.out), args.ballots, args.stations, workers, args.seed, step)
    except (SynthError, CryptoError, OSError) as exc:
        return refuse("dev synth-record", "dev.synth.refused", exc, 2)
    step("dev.synth.written", ballots=report.ballots, exports=report.exports, record=report.record)
    print(t("dev.synth.verify_it", record=report.record, authority=report.authority))
    return 0
