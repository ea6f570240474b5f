"""`refvote dev make-cards`: a test eID CA, a revocation list and test cards (never for voting)."""

from __future__ import annotations

import argparse
from pathlib import Path

from refvote.messages import refuse, say


def make_cards(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    from hardware.idcard.testca import TestCA

    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        return refuse("dev make-cards", "keys.not_empty", code=2, out=out)
    if not 1 <= args.count <= 10_000:
        return refuse("dev make-cards", "dev.cards.count", code=2)
    ca = TestCA.create()
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
    say("dev.cards.made", count=args.count, kind=args.kind, out=out)
    say("dev.cards.warning")
    return 0
