"""Precise error types: a caller catches exactly what went wrong, and the message says what to do.

Every error raised by `crypto` is a `CryptoError`. Messages name the object and the rule it
broke; they never contain secret material.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base class of every error raised by the cryptographic core."""


class EncodingError(CryptoError, ValueError):
    """Bytes, hex or JSON that are not in the one canonical form the protocol allows."""


class InvalidScalar(EncodingError):
    """A scalar that is not 32 bytes little-endian below the group order."""


class InvalidPoint(EncodingError):
    """A point that is not the canonical encoding of a group element (ristretto255, RFC 9496)."""


class OlderProtocol(EncodingError):
    """A file made by an earlier protocol version or draft (another group, say): not
    tampering, but not something this refvote can check. The message names both."""


class InvalidProof(CryptoError):
    """A zero-knowledge proof that does not verify."""


class InvalidSignature(CryptoError):
    """An Ed25519 signature that does not verify under the expected key and purpose."""


class InvalidKey(CryptoError):
    """A public key that is not acceptable (identity, small order, wrong length)."""


class DecryptionFailed(CryptoError):
    """Authenticated decryption failed: wrong key or passphrase, or the data was altered."""


class CeremonyError(CryptoError):
    """A key-ceremony message or state that breaks the rules of PROTOCOL §6."""


class TrusteeFault(CeremonyError):
    """A named trustee misbehaved (bad share, bad proof, bad signature); `trustee` says who."""

    def __init__(self, trustee: int, reason: str) -> None:
        super().__init__(f"trustee {trustee}: {reason}")
        self.trustee = trustee
        self.reason = reason


class ThresholdError(CryptoError):
    """Threshold decryption cannot go on (fewer than k valid shares, no discrete log found)."""


class SelfTestFailed(CryptoError):
    """The start-up self-test found the cryptographic library unsafe to use."""
