"""A virtual eID card for pcscd through vsmartcard-vpcd, for tests and the demo.

The card connects to vpcd over TCP (reader "Virtual PCD 00 00" listens on 35963, "… 00 01"
on 35964). Each message is a 2-byte big-endian length and a payload; a 1-byte payload is
control (00 power off, 01 power on, 02 reset, 04 ATR request); anything else is an APDU to
answer. Connecting is inserting the card; closing the socket is pulling it out.

It answers the APDUs of `hardware.idcard.apdu` from a key and a certificate, with a PIN retry
counter and blocking, and can be told to misbehave: pulled out in the middle of a given
command, or answering garbage. vsmartcard-vpcd listens on all interfaces: it is a test-only
part, never part of a booth image.
"""

from __future__ import annotations

import hmac
import os
import socket
import threading

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature

from hardware.errors import CardMalformed
from hardware.idcard.apdu import CERT_FILE, EID_AID, SW, Command, Ins, Response

ATR = bytes.fromhex("3B80800101")  # T=1, no historical bytes, TCK
VPCD_PORTS = {"Virtual PCD 00 00": 35963, "Virtual PCD 00 01": 35964}


class VirtualCard:
    def __init__(
        self,
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        certificate_der: bytes,
        pin: str = "1234",
        tries: int = 3,
        port: int = 35963,
        host: str = "127.0.0.1",
    ) -> None:
        self.key = key
        self.certificate = certificate_der
        self._pin = pin.encode("ascii")
        self.max_tries = tries
        self.tries = tries
        self.port, self.host = port, host
        self.pull_during: Ins | None = None  # pulled out when this command arrives
        self.garbage = False  # answer every APDU with bytes that are no response
        self.commands: list[int] = []  # INS bytes received, for tests
        self.controls: list[int] = []  # control bytes received (power, reset, ATR request)
        self.pulled = False  # True once pulled out in the middle of a command
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._reset()

    def _reset(self) -> None:
        self._app = False
        self._file = False
        self._verified = False

    # Insertion ------------------------------------------------------------------------------

    def insert(self) -> None:
        if self._socket is not None:
            raise RuntimeError("the virtual card is already inserted")
        sock = socket.create_connection((self.host, self.port), timeout=5)
        sock.settimeout(None)
        self._socket = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()

    def remove(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        self._reset()

    @property
    def inserted(self) -> bool:
        return self._socket is not None

    # The vpcd protocol ----------------------------------------------------------------------

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                header = _recv_exact(sock, 2)
                if header is None:
                    return
                payload = _recv_exact(sock, int.from_bytes(header, "big"))
                if payload is None:
                    return
                if len(payload) == 1:
                    self.controls.append(payload[0])
                    if payload[0] == 0x04:
                        _send(sock, ATR)
                    elif payload[0] in (0x00, 0x01, 0x02):
                        self._reset()
                    continue
                if (
                    len(payload) >= 2
                    and self.pull_during is not None
                    and payload[1] == self.pull_during
                ):
                    self.commands.append(payload[1])
                    self.pulled = True
                    self._socket = None
                    sock.close()  # pulled out mid-command: no answer, ever
                    self._reset()
                    return
                _send(sock, self.answer(payload))
        except OSError:
            return

    # The card -------------------------------------------------------------------------------

    def answer(self, raw: bytes) -> bytes:
        if self.garbage:
            return os.urandom(1)
        try:
            command = Command.parse(raw)
        except CardMalformed:
            return Response(b"", SW.WRONG_LENGTH).to_bytes()
        self.commands.append(command.ins)
        return self._dispatch(command).to_bytes()

    def _dispatch(self, c: Command) -> Response:
        if c.cla != 0x00:
            return Response(b"", SW.CLA_NOT_SUPPORTED)
        if c.ins == Ins.SELECT:
            if (c.p1, c.p2) == (0x04, 0x0C):
                self._app = c.data == EID_AID
                self._file = False
                return Response(b"", SW.OK if self._app else SW.FILE_NOT_FOUND)
            if (c.p1, c.p2) == (0x02, 0x0C) and self._app and c.data == CERT_FILE:
                self._file = True
                return Response(b"", SW.OK)
            return Response(b"", SW.FILE_NOT_FOUND)
        if c.ins == Ins.READ_BINARY:
            if not self._file:
                return Response(b"", SW.CONDITIONS_NOT_SATISFIED)
            offset = (c.p1 << 8) | c.p2
            length = 256 if c.le in (None, 0) else c.le
            if offset > len(self.certificate):
                return Response(b"", SW.WRONG_P1P2)
            return Response(self.certificate[offset : offset + length], SW.OK)
        if c.ins == Ins.VERIFY:
            if not self._app:
                return Response(b"", SW.CONDITIONS_NOT_SATISFIED)
            if self.tries == 0:
                return Response(b"", SW.AUTH_BLOCKED)
            if not c.data:
                return Response(b"", SW.OK if self._verified else 0x63C0 | self.tries)
            if hmac.compare_digest(c.data, self._pin):
                self.tries = self.max_tries
                self._verified = True
                return Response(b"", SW.OK)
            self.tries -= 1
            self._verified = False
            return Response(b"", SW.AUTH_BLOCKED if self.tries == 0 else 0x63C0 | self.tries)
        if c.ins == Ins.PSO and (c.p1, c.p2) == (0x9E, 0x9A):
            if not self._verified:
                return Response(b"", SW.SECURITY_NOT_SATISFIED)
            if len(c.data) != 32:
                return Response(b"", SW.WRONG_DATA)
            return Response(self._sign(c.data), SW.OK)
        return Response(b"", SW.INS_NOT_SUPPORTED)

    def _sign(self, digest: bytes) -> bytes:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        r, s = decode_dss_signature(self.key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256()))))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def bounce_contact(port: int = 35963, host: str = "127.0.0.1", timeout: float = 10.0) -> None:
    """A card that touches the contacts for one presence poll and is gone again.

    When a card vanishes in the middle of a command, pcscd learns it from the failed transmit;
    its slot-polling thread then has not itself seen the slot empty, and a card inserted again
    at once is never powered up. A person takes longer than one poll to re-seat a card; tests
    do not, so they bounce the contact once after such a pull to let pcscd see the slot empty.
    """
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        _recv_exact(sock, 2)  # the first presence poll's ATR request: leave without answering


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(len(payload).to_bytes(2, "big") + payload)
