"""The booth's side of the station link: `PollBookClient` implements `messages.PollBook`.

One TLS connection per request: the poll book is pinned by its exact certificate from the
verified package before anything is sent, and a request whose answer did not arrive is never
repeated by this class (a check-in's answer lost leaves the voter `in_progress` at this booth,
which the booth's next `report_outbox` makes releasable).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ballots.package import VerifiedPackage
from booth.pollbook import messages
from booth.pollbook.errors import (
    AlreadyVoted,
    CodeInvalid,
    InProgressElsewhere,
    NotOnRoll,
    PeerRefused,
    PollBookClosed,
    PollBookUnreachable,
    ProtocolViolation,
)
from booth.pollbook.tls import booth_context, check_pollbook_peer
from crypto.errors import EncodingError


class PollBookClient:
    def __init__(
        self,
        verified: VerifiedPackage,
        booth_id: str,
        tls_key: Path,
        address: tuple[str, int],
        timeout: float = 5.0,
    ) -> None:
        self.verified = verified
        self.booth_id = booth_id
        self.station_id = verified.definition.station_of_booth(booth_id).station_id
        self.context = booth_context(verified, booth_id, tls_key)
        self.address = address
        self.timeout = timeout

    def _request(self, op: str, **fields: Any) -> messages.Message:
        frame = messages.encode("op", op, fields)
        try:
            with socket.create_connection(self.address, timeout=self.timeout) as raw:
                with self.context.wrap_socket(raw) as tls:
                    check_pollbook_peer(tls, self.verified, self.station_id)
                    tls.sendall(frame)
                    answer = messages.decode("answer", messages.read_frame(tls))
        except PeerRefused:
            raise
        except EncodingError as exc:
            raise ProtocolViolation(f"the poll book's answer: {exc}") from None
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            raise PollBookUnreachable(
                f"no answer from the poll book at {self.address[0]}:{self.address[1]} ({exc}): "
                "check the station link; no session starts"
            ) from None
        if answer.kind == "refused":
            raise PeerRefused(f"the poll book refused this booth: {answer.fields['reason']}")
        if answer.kind == "error":
            raise ProtocolViolation(f"the poll book refused the request: {answer.fields['reason']}")
        if answer.kind not in messages.ALLOWED_ANSWERS[op]:
            raise ProtocolViolation(f"the poll book answered {answer.kind} to {op}")
        if answer.kind == "closed":
            raise PollBookClosed("the poll book is closed: no more check-ins at this station")
        return answer

    def check_in(self, roll_hash: bytes) -> bytes:
        answer = self._request("check_in", roll_hash=roll_hash)
        match answer.kind:
            case "eligible":
                session: bytes = answer.fields["session"]
                return session
            case "not_on_roll":
                raise NotOnRoll("not on this station's roll")
            case "already_voted":
                raise AlreadyVoted("this voter has already voted at this station")
            case _:
                raise InProgressElsewhere(answer.fields["booth_id"])

    def check_in_code(self, code: str) -> bytes:
        answer = self._request("check_in_code", code=code)
        if answer.kind == "eligible":
            session: bytes = answer.fields["session"]
            return session
        raise CodeInvalid("this code is not valid (unknown, already used, or its voter voted)")

    def complete(self, session: bytes) -> None:
        self._request("complete", session=session)

    def abort(self, session: bytes) -> None:
        answer = self._request("abort", session=session)
        if answer.kind == "already_voted":
            raise AlreadyVoted("this session was already completed: the voter voted")

    def report_outbox(self, sessions: Iterable[bytes]) -> int:
        """Call when idle (no session in progress, e.g. at start-up after resending every
        complete): the outbox's S. Returns how many of this booth's check-ins the poll book
        may now release on this answer."""
        answer = self._request("report_outbox", sessions=tuple(sessions))
        stuck: int = answer.fields["stuck"]
        return stuck

    def status(self) -> dict[str, int]:
        return dict(self._request("status").fields)
