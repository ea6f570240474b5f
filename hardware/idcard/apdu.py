"""The eID card's APDUs and status words, declared once for the reader and the virtual card.

ISO/IEC 7816-4 short APDUs: CLA INS P1 P2 [Lc data] [Le]. A response is data ‖ SW1 SW2.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hardware.errors import CardMalformed

EID_AID = bytes.fromhex("D158000001524556")  # proprietary RID D158…, "REV" (refvote eID profile)
CERT_FILE = bytes.fromhex("0101")  # EF of the holder certificate (DER)
PIN_REFERENCE = 0x81
CHUNK = 0xE0  # READ BINARY chunk: below every reader's short-APDU limit


class Ins(enum.IntEnum):
    SELECT = 0xA4
    READ_BINARY = 0xB0
    VERIFY = 0x20
    PSO = 0x2A  # PERFORM SECURITY OPERATION: COMPUTE DIGITAL SIGNATURE (P1P2 = 9E9A)


class SW(enum.IntEnum):
    OK = 0x9000
    WRONG_LENGTH = 0x6700
    SECURITY_NOT_SATISFIED = 0x6982
    AUTH_BLOCKED = 0x6983
    CONDITIONS_NOT_SATISFIED = 0x6985
    WRONG_DATA = 0x6A80
    FILE_NOT_FOUND = 0x6A82
    WRONG_P1P2 = 0x6B00
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00


def tries_left(sw: int) -> int | None:
    """63Cx: x tries left; None for any other status word."""
    return sw & 0x0F if sw & 0xFFF0 == 0x63C0 else None


@dataclass(frozen=True, slots=True)
class Command:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None  # 0 means 256

    def to_bytes(self) -> bytes:
        if len(self.data) > 255:
            raise ValueError("short APDUs carry at most 255 bytes of data")
        out = bytes([self.cla, self.ins, self.p1, self.p2])
        if self.data:
            out += bytes([len(self.data)]) + self.data
        if self.le is not None:
            out += bytes([self.le & 0xFF])
        return out

    @classmethod
    def parse(cls, raw: bytes) -> Command:
        """Parse a short command APDU (for the virtual card); CardMalformed if it is not one."""
        if len(raw) < 4:
            raise CardMalformed("command APDU shorter than 4 bytes")
        header, body = raw[:4], raw[4:]
        if not body:
            return cls(*header)
        if len(body) == 1:
            return cls(*header, le=body[0])
        lc = body[0]
        if lc == 0 or len(body) not in (1 + lc, 2 + lc):
            raise CardMalformed("command APDU length does not match Lc")
        le = body[1 + lc] if len(body) == 2 + lc else None
        return cls(*header, data=bytes(body[1 : 1 + lc]), le=le)


@dataclass(frozen=True, slots=True)
class Response:
    data: bytes
    sw: int

    @classmethod
    def parse(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise CardMalformed(f"response of {len(raw)} bytes has no status word")
        if len(raw) > 258:
            raise CardMalformed("response longer than a short APDU allows")
        return cls(bytes(raw[:-2]), (raw[-2] << 8) | raw[-1])

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")


def select_eid() -> Command:
    return Command(0x00, Ins.SELECT, 0x04, 0x0C, EID_AID)


def select_certificate() -> Command:
    return Command(0x00, Ins.SELECT, 0x02, 0x0C, CERT_FILE)


def read_binary(offset: int, length: int) -> Command:
    if not 0 <= offset <= 0x7FFF:
        raise ValueError("READ BINARY offsets are 15 bits")
    return Command(0x00, Ins.READ_BINARY, offset >> 8, offset & 0xFF, le=length)


def verify_pin(pin: bytes) -> Command:
    return Command(0x00, Ins.VERIFY, 0x00, PIN_REFERENCE, pin)


def pin_status() -> Command:
    """VERIFY without data: the card answers 63Cx (tries left), 9000 or 6983."""
    return Command(0x00, Ins.VERIFY, 0x00, PIN_REFERENCE)


def sign_digest(digest: bytes) -> Command:
    return Command(0x00, Ins.PSO, 0x9E, 0x9A, digest, le=0)
