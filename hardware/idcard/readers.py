"""The one place that chooses the booth's card reader: PC/SC (this project's APDU card profile,
`hardware.idcard.reader.PcscReader`) or PKCS#11 (a vendor module such as HiCOS for real MOICA
cards, `hardware.idcard.pkcs11.Pkcs11Reader`). The booth core sees only `CardReader`: it
connects, and hands what it gets to `hardware.idcard.eid.read_identity`, which runs the same
checks in the same order either way.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hardware.errors import NoReader
from hardware.idcard.eid import EidToken
from hardware.idcard.reader import CardChannel


class CardWatch(Protocol):
    """Insertion and removal events of one reader (`stop` ends them)."""

    present: bool | None
    error: Exception | None

    def stop(self) -> None: ...


class CardReader(Protocol):
    def connect(self) -> CardChannel | EidToken: ...

    def card_present(self) -> bool: ...

    def watch(self, callback: Callable[[bool], None]) -> CardWatch: ...


MOICA_LABEL = "HiCOS PKI Smart Card"  # the token label of a 自然人憑證 through HiCOS


class ReaderKind(enum.Enum):
    PCSC = "pcsc"
    PKCS11 = "pkcs11"


@dataclass(frozen=True)
class ReaderConfig:
    """`pcsc`: `name` is the PC/SC reader's name (a prefix). `pkcs11`: `module` is the vendor
    module's absolute path; `token_label` restricts it to tokens of that label ("HiCOS PKI
    Smart Card" for MOICA cards); `key_id` names the signing pair's CKA_ID (b"SIGN" for
    MOICA cards); `rescan` re-initialises a module that reads its tokens only
    at C_Initialize (SoftHSM2), never needed for a card reader's module."""

    kind: ReaderKind
    name: str = ""
    module: Path | None = None
    token_label: str | None = None
    key_id: bytes | None = None
    rescan: bool = False

    @classmethod
    def moica(cls, module: Path) -> ReaderConfig:
        """A 自然人憑證 through Chunghwa Telecom's HiCOS module (docs/hardware.md)."""
        return cls(ReaderKind.PKCS11, module=module, token_label=MOICA_LABEL, key_id=b"SIGN")

    @classmethod
    def parse(cls, text: str) -> ReaderConfig:
        """'pcsc:<reader name>', 'pkcs11:<module path>' or 'moica:<HiCOS module path>'."""
        kind, sep, rest = text.partition(":")
        if not sep or not rest:
            raise NoReader(f"a card reader is 'pcsc:<reader name>' or 'pkcs11:<module>': {text!r}")
        if kind == ReaderKind.PCSC.value:
            return cls(ReaderKind.PCSC, name=rest)
        if kind == ReaderKind.PKCS11.value:
            return cls(ReaderKind.PKCS11, module=Path(rest))
        if kind == "moica":
            return cls.moica(Path(rest))
        raise NoReader(f"unknown card reader kind {kind!r}: pcsc, pkcs11 or moica")


def open_reader(config: ReaderConfig) -> CardReader:
    """The booth's card reader for `config`; NoReader if it cannot be used."""
    if config.kind is ReaderKind.PCSC:
        from hardware.idcard.reader import PcscReader

        if not config.name:
            raise NoReader("a PC/SC card reader needs its name")
        return PcscReader(config.name)
    if config.kind is ReaderKind.PKCS11:
        from hardware.idcard.pkcs11 import Pkcs11Module, Pkcs11Reader

        if config.module is None:
            raise NoReader("a PKCS#11 card reader needs its module's path")
        module = Pkcs11Module(config.module, rescan=config.rescan)
        return Pkcs11Reader(module, config.token_label, config.key_id)
    raise NoReader(f"unknown card reader kind {config.kind!r}")
