"""`refvote trustee init | step | accept | decrypt`: on the trustee's own offline device."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from refvote.messages import refuse, say, t
from refvote.passphrase import PassphraseUnavailable, read_passphrases


def _fail(todo: str, detail: object) -> int:
    return refuse("trustee", todo, detail, 1)


def init(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.trustee import TrusteeMedium

    try:
        (passphrase,) = read_passphrases(args.passphrase_file, t("trustee.prompt.new"))
        key = TrusteeMedium(Path(args.medium)).init(args.name, passphrase)
    except (CryptoError, PassphraseUnavailable, OSError) as exc:
        return _fail("trustee.init_refused", exc)
    say("trustee.init_done", name=args.name, medium=args.medium)
    say("trustee.init_read_aloud", key=key.read_aloud())
    say("trustee.init_give", medium=args.medium)
    return 0


def step(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.ceremony import describe
    from tally.trustee import TrusteeMedium, ceremony_step

    def show(params):  # type: ignore[no-untyped-def]
        say("trustee.step_check")
        for line in describe(params):
            print(f"  {line}")

    try:
        (passphrase,) = read_passphrases(args.passphrase_file, t("trustee.prompt"))
        report = ceremony_step(
            TrusteeMedium(Path(args.medium)),
            Path(args.ceremony),
            passphrase,
            missing_deadline_passed=args.deadline_passed,
            confirm_nonce=show,
        )
    except (CryptoError, PassphraseUnavailable, OSError) as exc:
        return _fail("trustee.step_refused", exc)
    say("trustee.step_done", did=report.did)
    say("trustee.step_next", next=report.next)
    return 0


def accept(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.trustee import TrusteeMedium, accept_package

    try:
        (passphrase,) = read_passphrases(args.passphrase_file, t("trustee.prompt"))
        pin = accept_package(
            TrusteeMedium(Path(args.medium)), Path(args.package), passphrase, args.authority
        )
    except (CryptoError, PassphraseUnavailable, OSError) as exc:
        return _fail("trustee.accept_refused", exc)
    say("trustee.accepted", trustee=pin.trustee)
    say("trustee.package_fingerprint", fingerprint=pin.package_read_aloud())
    say("trustee.authority_fingerprint", fingerprint=pin.authority_read_aloud())
    say("trustee.accept_minutes")
    return 0


def decrypt(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.trustee import DecryptionReview, TrusteeMedium, trustee_decrypt

    def show(review: DecryptionReview) -> None:
        say("trustee.review_verified", trustee=review.trustee)
        say("trustee.package_fingerprint", fingerprint=review.package)
        say("trustee.authority_fingerprint", fingerprint=review.authority)
        say("trustee.review_sums", count=len(review.sums))
        for s in review.sums:
            note = t("trustee.one_ballot") if s.ballots == 1 else ""
            print(f"    {s.station_id:<12} {s.question_id:<8} N = {s.ballots:,}{note}")
        sys.stdout.flush()

    try:
        (passphrase,) = read_passphrases(args.passphrase_file, t("trustee.prompt"))
        index, path = trustee_decrypt(
            TrusteeMedium(Path(args.medium)),
            Path(args.record),
            passphrase,
            args.authority,
            review=show,
        )
    except (CryptoError, PassphraseUnavailable, OSError) as exc:
        return _fail("trustee.decrypt_refused", exc)
    say("trustee.decrypted", trustee=index, path=path)
    say("trustee.decrypted_sealed")
    say("trustee.decrypted_hand_over")
    return 0
