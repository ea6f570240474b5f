"""The card reader over PC/SC (pcscd) with pyscard, behind one small interface.

`CardChannel` is what the eID logic needs: send an APDU, get a Response. `PcscReader` is the
real driver (a CCID reader, or vsmartcard's virtual reader in tests and the demo: the same
code path). A card pulled at any moment surfaces as CardRemoved, never as a crash.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from hardware.errors import CardMalformed, CardRemoved, NoCard, NoReader
from hardware.idcard.apdu import Command, Response

REMOVAL_SETTLE_SECONDS = 1.5  # more than pcscd's 400 ms slot poll: time for it to see a pull


class CardChannel(Protocol):
    def transmit(self, command: Command) -> Response: ...

    def close(self) -> None: ...


def _pyscard():  # type: ignore[no-untyped-def]
    from smartcard import Exceptions, System
    from smartcard.scard import SCARD_SHARE_EXCLUSIVE

    return System, Exceptions, SCARD_SHARE_EXCLUSIVE


def list_readers() -> list[str]:
    System, Exceptions, _ = _pyscard()
    try:
        return [str(r) for r in System.readers()]
    except Exceptions.ListReadersException:
        return []
    except Exception as exc:  # pcscd not running: pyscard raises its base error types
        raise NoReader(f"cannot reach pcscd: {exc}") from None


class PcscChannel:
    def __init__(self, connection, reader: PcscReader) -> None:  # type: ignore[no-untyped-def]
        self._connection = connection
        self._reader = reader

    def transmit(self, command: Command) -> Response:
        _, Exceptions, _ = _pyscard()
        try:
            data, sw1, sw2 = self._connection.transmit(list(command.to_bytes()))
        except Exceptions.CardConnectionException as exc:
            # pcscd says the same for a pulled card and a garbled answer: the slot tells them apart.
            if not self._reader.wait_until_empty(REMOVAL_SETTLE_SECONDS):
                raise CardMalformed(f"the card's answer is not a valid response: {exc}") from None
            raise CardRemoved(f"the card was pulled out during the command: {exc}") from None
        if not isinstance(data, list) or not all(isinstance(b, int) and 0 <= b < 256 for b in data):
            raise CardMalformed("the reader returned something that is not bytes")
        return Response.parse(bytes(data) + bytes([sw1, sw2]))

    def atr(self) -> bytes:
        return bytes(self._connection.getATR())

    def close(self) -> None:
        _release(self._connection)


def _release(connection) -> None:  # type: ignore[no-untyped-def]
    """Disconnect and release the connection's own PC/SC context now, not in a destructor
    that may run after pcscd is gone."""
    try:
        connection.release()
    except Exception:  # noqa: S110 - the card or pcscd may already be gone: nothing left to free
        pass


class PcscReader:
    """One named reader (by prefix, e.g. "Virtual PCD 00 00")."""

    def __init__(self, name_prefix: str) -> None:
        self.name_prefix = name_prefix

    def _reader(self):  # type: ignore[no-untyped-def]
        System, _, _ = _pyscard()
        for r in System.readers():
            if str(r).startswith(self.name_prefix):
                return r
        raise NoReader(f"no card reader named {self.name_prefix!r} (readers: {list_readers()})")

    def wait_until_empty(self, timeout: float) -> bool:
        """Block on pcscd's slot events until the slot is empty (True) or `timeout` passes."""
        from smartcard import scard

        name = str(self._reader())
        rv, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if rv != scard.SCARD_S_SUCCESS:
            raise NoReader(f"cannot reach pcscd: {scard.SCardGetErrorMessage(rv)}")
        try:
            known = scard.SCARD_STATE_UNAWARE
            deadline = time.monotonic() + timeout
            while True:
                remaining = int(max(0.0, deadline - time.monotonic()) * 1000)
                rv, states = scard.SCardGetStatusChange(context, remaining, [(name, known)])
                if rv == scard.SCARD_E_TIMEOUT:
                    return False
                if rv != scard.SCARD_S_SUCCESS:
                    raise NoReader(
                        f"cannot read the state of {name}: {scard.SCardGetErrorMessage(rv)}"
                    )
                _, event_state, _ = states[0]
                if event_state & scard.SCARD_STATE_EMPTY:
                    return True
                known = event_state & ~scard.SCARD_STATE_CHANGED
                if time.monotonic() >= deadline:
                    return False
        finally:
            scard.SCardReleaseContext(context)

    def card_present(self) -> bool:
        """pcscd's own view of the slot (SCardGetStatusChange): no connection, no side effect."""
        from smartcard import scard

        name = str(self._reader())
        rv, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if rv != scard.SCARD_S_SUCCESS:
            raise NoReader(f"cannot reach pcscd: {scard.SCardGetErrorMessage(rv)}")
        try:
            rv, states = scard.SCardGetStatusChange(context, 0, [(name, scard.SCARD_STATE_UNAWARE)])
            if rv != scard.SCARD_S_SUCCESS:
                raise NoReader(f"cannot read the state of {name}: {scard.SCardGetErrorMessage(rv)}")
            _, event_state, _ = states[0]
            return bool(event_state & scard.SCARD_STATE_PRESENT)
        finally:
            scard.SCardReleaseContext(context)

    def connect(self) -> PcscChannel:
        """Connect to the card in the reader, exclusively (no other process may talk to it)."""
        _, Exceptions, exclusive = _pyscard()
        connection = self._reader().createConnection()
        try:
            connection.connect(mode=exclusive)
        except Exceptions.NoCardException:
            _release(connection)
            raise NoCard("no card in the reader: ask the voter to insert the ID card") from None
        except Exceptions.CardConnectionException as exc:
            _release(connection)
            raise CardRemoved(f"cannot reach the card: {exc}") from None
        return PcscChannel(connection, self)

    def watch(self, callback: Callable[[bool], None]) -> CardEvents:
        """Insertion and removal events (`hardware.idcard.readers.CardReader`)."""
        return CardEvents(self, callback)


class CardEvents:
    """Reports card insertion (True) and removal (False) in one reader to a callback.

    Its own thread blocks on pcscd's slot events (SCardGetStatusChange, woken every 200 ms to
    check `stop`). The state at start is `present`, not reported as an event.
    """

    def __init__(self, reader: PcscReader, callback: Callable[[bool], None]) -> None:
        self.reader = reader
        self.callback = callback
        self.present: bool | None = None
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)

    def _run(self) -> None:
        from smartcard import scard

        try:
            name = str(self.reader._reader())
        except NoReader as exc:
            self.error = exc
            self._ready.set()
            return
        rv, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if rv != scard.SCARD_S_SUCCESS:
            self.error = NoReader(f"cannot reach pcscd: {scard.SCardGetErrorMessage(rv)}")
            self._ready.set()
            return
        known = scard.SCARD_STATE_UNAWARE
        try:
            while not self._stop.is_set():
                rv, states = scard.SCardGetStatusChange(context, 200, [(name, known)])
                if rv == scard.SCARD_E_TIMEOUT:
                    continue
                if rv != scard.SCARD_S_SUCCESS:
                    message = scard.SCardGetErrorMessage(rv)
                    self.error = NoReader(f"lost the reader {name}: {message}")
                    return
                _, state, _ = states[0]
                present = bool(state & scard.SCARD_STATE_PRESENT)
                if self.present is None:
                    self.present = present
                    self._ready.set()
                elif present != self.present:
                    self.present = present
                    self.callback(present)
                known = state & ~scard.SCARD_STATE_CHANGED
        finally:
            self._ready.set()
            scard.SCardReleaseContext(context)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
