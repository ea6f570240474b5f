"""Hardware errors: each names what happened and what the poll worker or voter should do."""

from __future__ import annotations


class HardwareError(Exception):
    """Base class of every error raised by `hardware`."""


# Card reader and eID card ----------------------------------------------------------------


class CardError(HardwareError):
    """Base class of card and reader errors."""


class NoReader(CardError):
    """No card reader is connected, or pcscd is not running."""


class NoCard(CardError):
    """No card is in the reader."""


class CardRemoved(CardError):
    """The card was pulled out during a command: ask the voter to insert it again."""


class CardMalformed(CardError):
    """The card answered something that is not a valid response: it may be damaged or not an eID."""


class CardRefused(CardError):
    """The card answered a command with an error status word."""

    def __init__(self, what: str, sw: int) -> None:
        super().__init__(f"{what}: the card answered status {sw:04X}")
        self.sw = sw


class PinWrong(CardError):
    """`tries_left` None: the card does not tell (a PKCS#11 token reports at most flags)."""

    def __init__(self, tries_left: int | None) -> None:
        if tries_left is None:
            super().__init__("wrong PIN: the card does not tell how many tries are left")
        else:
            super().__init__(f"wrong PIN: {tries_left} tries left before the card blocks")
        self.tries_left = tries_left


class CardModuleFailed(CardError):
    """The card's PKCS#11 module answered an error that is none of the above (CKR_* in `rv`):
    try the card again; if it fails again, the card or the reader is faulty."""

    def __init__(self, what: str, rv: int, name: str) -> None:
        super().__init__(f"{what}: the card's module answered {name} (0x{rv:08X})")
        self.rv = rv


class PinBlocked(CardError):
    """The PIN is blocked: the voter must have it unblocked at the household registration office."""


class CertificateInvalid(CardError):
    """The card's certificate cannot be trusted (see subclasses)."""


class UnknownIssuer(CertificateInvalid):
    pass


class CertificateExpired(CertificateInvalid):
    pass


class CertificateUnsuitable(CertificateInvalid):
    """Not an end-entity signing certificate (no digitalSignature key usage, or a CA)."""


class CertificateRevoked(CertificateInvalid):
    pass


class RevocationUnavailable(CertificateInvalid):
    """No current, complete and validly signed CRL of the card's CA is in the package."""


class CardSignatureInvalid(CardError):
    """The card's signature over the booth's challenge does not verify under its certificate."""


# Printer --------------------------------------------------------------------------------


class PrinterError(HardwareError):
    pass


class PrintFailed(PrinterError):
    """A print job that was not confirmed complete; `state` says why (paper out, cover open …)."""

    def __init__(self, state: str, detail: str = "") -> None:
        super().__init__(f"print job failed: {state}" + (f" ({detail})" if detail else ""))
        self.state = state


# Removable media -------------------------------------------------------------------------


class MediaError(HardwareError):
    pass


class MediumMissing(MediaError):
    """The medium is not mounted (pulled out?)."""


class MediumFull(MediaError):
    pass


class MediumCorrupt(MediaError):
    """What was read back differs from what was written."""
