"""`refvote trustee init | step | accept | decrypt`: on the trustee's own offline device."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from refvote.passphrase import PassphraseUnavailable, read_passphrases


def _fail(message: str) -> int:
    print(f"refvote trustee: {message}", file=sys.stderr)
    return 1


def init(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.trustee import TrusteeMedium

    try:
        (passphrase,) = read_passphrases(args.passphrase_file, "new passphrase for this trustee")
        key = TrusteeMedium(Path(args.medium)).init(args.name, passphrase)
    except (CryptoError, PassphraseUnavailable, OSError) as exc:
        return _fail(str(exc))
    print(f"trustee {args.name}: identity made on {args.medium}")
    print(f"read aloud and write into the minutes: {key.read_aloud()}")
    print(f"give {args.medium}/identity.pub.json to the officials for the roster")
    return 0


def step(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.ceremony import describe
    from tally.trustee import TrusteeMedium, ceremony_step

    def show(params):  # type: ignore[no-untyped-def]
        print("check against the minutes before going on:")
        for line in describe(params):
            print(f"  {line}")

    try:
        (passphrase,) = read_passphrases(args.passphrase_file, "trustee passphrase")
        report = ceremony_step(
            TrusteeMedium(Path(args.medium)),
            Path(args.ceremony),
            passphrase,
            missing_deadline_passed=args.deadline_passed,
            confirm_nonce=show,
        )
    except (CryptoError, PassphraseUnavailable, OSError) as exc:
        return _fail(str(exc))
    print(f"done: {report.did}")
    print(f"next: {report.next}")
    return 0


def accept(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.trustee import TrusteeMedium, accept_package

    try:
        (passphrase,) = read_passphrases(args.passphrase_file, "trustee passphrase")
        pin = accept_package(
            TrusteeMedium(Path(args.medium)), Path(args.package), passphrase, args.authority
        )
    except (CryptoError, PassphraseUnavailable, OSError) as exc:
        return _fail(str(exc))
    print(f"trustee {pin.trustee}: this medium decrypts only for the election package")
    print(f"  package fingerprint:   {pin.package_read_aloud()}")
    print(f"  authority fingerprint: {pin.authority_read_aloud()}")
    print("write both into the minutes; any other package or authority will be refused")
    return 0


def decrypt(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.trustee import DecryptionReview, TrusteeMedium, trustee_decrypt

    def show(review: DecryptionReview) -> None:
        print(f"trustee {review.trustee}: the record verified against the pinned package")
        print(f"  package fingerprint:   {review.package}")
        print(f"  authority fingerprint: {review.authority}")
        print(f"  {len(review.sums)} sums to decrypt (station, question, N = ballots in the sum):")
        for s in review.sums:
            note = "   <- ONE BALLOT: decrypting it reveals that vote" if s.ballots == 1 else ""
            print(f"    {s.station_id:<12} {s.question_id:<8} N = {s.ballots:,}{note}")
        sys.stdout.flush()

    try:
        (passphrase,) = read_passphrases(args.passphrase_file, "trustee passphrase")
        index, path = trustee_decrypt(
            TrusteeMedium(Path(args.medium)),
            Path(args.record),
            passphrase,
            args.authority,
            review=show,
        )
    except (CryptoError, PassphraseUnavailable, OSError) as exc:
        return _fail(str(exc))
    print(f"trustee {index}: decryption shares with proofs written to {path}")
    print("the key share stayed sealed on this medium")
    print("hand the shares over only if every sum above is one you expect")
    return 0
