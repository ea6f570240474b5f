"""`refvote dev make-cards`: a test eID CA, a revocation list and test cards (never for voting)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def make_cards(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    from hardware.idcard.testca import TestCA

    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        print(f"refvote dev make-cards: {out} is not empty", file=sys.stderr)
        return 2
    if not 1 <= args.count <= 10_000:
        print("refvote dev make-cards: --count is 1 … 10000", file=sys.stderr)
        return 2
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
    print(
        f"test CA and {args.count} test cards ({args.kind}) in {out}/: "
        "ca.pem, revocation.crl, cards/*/"
    )
    print("TEST cards: their keys are unencrypted and their PIN is 1234. Never use them to vote.")
    return 0
