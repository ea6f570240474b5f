"""The station's poll book server: mutually authenticated TLS 1.3, one thread per connection.

Each connection: the TLS handshake (the booth's certificate checked by `ssl` against the link
CA of the verified package), then the booth's identity (its exact certificate among this
station's booths, or the answer `refused` to its first request and the link closes), then
framed requests, each answered from one store transaction. A malformed frame gets `error`
and the link closes.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ballots.package import ConfidentialPackage, VerifiedPackage
from booth.pollbook import messages
from booth.pollbook.errors import PeerRefused
from booth.pollbook.store import Outcome, PollBookStore
from booth.pollbook.tls import peer_booth, pollbook_context
from crypto.errors import EncodingError

HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 30.0

Handler = Callable[[PollBookStore, str, Mapping[str, Any]], Outcome]

# op → what it does; the booth ID is always the authenticated peer's.
HANDLERS: Mapping[str, Handler] = {
    "check_in": lambda st, booth, f: st.check_in(f["roll_hash"], booth),
    "check_in_code": lambda st, booth, f: st.check_in_code(f["code"], booth),
    "complete": lambda st, booth, f: st.complete(f["session"]),
    "abort": lambda st, booth, f: st.abort(f["session"]),
    "report_outbox": lambda st, booth, f: st.report_outbox(booth, frozenset(f["sessions"])),
    "status": lambda st, booth, f: st.status(),
}
assert set(HANDLERS) == set(messages.REQUESTS)


class PollBookServer:
    """`serve_forever` in the caller's thread; `shutdown` from another stops it."""

    def __init__(
        self,
        verified: VerifiedPackage,
        confidential: ConfidentialPackage,
        station_id: str,
        tls_key: Path,
        db_path: Path,
        listen: tuple[str, int],
    ) -> None:
        self.verified = verified
        self.station_id = station_id
        verified.definition.station(station_id)  # a station of this election, or PackageError
        self.context = pollbook_context(verified, station_id, tls_key)
        self.store = PollBookStore.create_or_open(
            db_path, station_id, verified.public.manifest_hash, confidential.roll_of(station_id)
        )
        self._listener = socket.create_server(listen)
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def serve_forever(self) -> None:
        self._listener.settimeout(0.2)  # to notice shutdown; connections are not timed by this
        try:
            while not self._stopping.is_set():
                try:
                    conn, _ = self._listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    if self._stopping.is_set():
                        break
                    raise
                thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
                thread.start()
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        finally:
            self._listener.close()

    def shutdown(self) -> None:
        self._stopping.set()
        for thread in list(self._threads):
            thread.join(timeout=5)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(HANDSHAKE_TIMEOUT)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                try:
                    booth_id = peer_booth(tls, self.verified, self.station_id)
                except PeerRefused as exc:
                    # Read the request first (never acted on): closing with it unread would
                    # reset the link and could drop the answer before the booth reads it.
                    messages.read_frame(tls)
                    tls.sendall(messages.encode("answer", "refused", {"reason": str(exc)}))
                    return
                tls.settimeout(IDLE_TIMEOUT)
                while not self._stopping.is_set():
                    try:
                        body = messages.read_frame(tls)
                    except ConnectionError:
                        return
                    try:
                        request = messages.decode("op", body)
                    except EncodingError as exc:
                        reason = str(exc)[:400]
                        tls.sendall(messages.encode("answer", "error", {"reason": reason}))
                        return
                    outcome = HANDLERS[request.kind](self.store, booth_id, request.fields)
                    tls.sendall(messages.encode("answer", outcome.answer, outcome.fields))
        except (OSError, ssl.SSLError, EncodingError):
            return  # a failed handshake, a timeout or a broken link: nothing was changed
        finally:
            conn.close()
            self.store.close()
