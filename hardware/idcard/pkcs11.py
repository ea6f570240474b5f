"""The eID card through PKCS#11: the path a real 自然人憑證 (MOICA) card takes.

A MOICA card is driven by its issuer's PKCS#11 module (Chunghwa Telecom's HiCOS middleware),
which speaks the card's own APDUs underneath. `Pkcs11Reader` is the booth's card slot over any
conformant module loaded by path (HiCOS in production, SoftHSM2 in tests and the demo), behind
the same interface as `hardware.idcard.reader.PcscReader`: `connect()` gives a `Pkcs11Card`,
which `hardware.idcard.eid.read_identity` checks exactly as it checks an APDU card (same checks,
same order, same error types). The binding is PyKCS11: no PKCS#11 structure is built by hand.

What the booth expects on the token (docs/hardware.md): an X.509 certificate object whose
CKA_ID is shared with a public key object allowing CKA_VERIFY (on a MOICA card: ID "SIGN",
hex 5349474e), and, after C_Login, a private key object of that CKA_ID allowing CKA_SIGN. The
encryption pair ("KEYX": encrypt, wrap) and the root certificate object are never used.

Every call into the module holds the module's lock: the module is initialised without
CKF_OS_LOCKING_OK (PyKCS11 passes no arguments to C_Initialize), so it may assume one thread.
The lock also contains what the module leaves in OpenSSL's error queue (`ModuleLock`): a
module linked to the system libcrypto (SoftHSM2, OpenSC) shares it with Python's ssl, and
SoftHSM2's C_Initialize leaves errors there (it asks for OpenSSL's GOST engine, which Debian
does not ship) that ssl would later report as its own, failing the poll-book link's TLS setup.
The module is code loaded into the booth's process: it is part of the booth image, trusted like
the rest of it; what it returns from the card is bounded and checked like an APDU card's answers.
"""

from __future__ import annotations

import ctypes
import hashlib
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hardware.errors import (
    CardError,
    CardMalformed,
    CardModuleFailed,
    CardRemoved,
    NoCard,
    NoReader,
    PinBlocked,
    PinWrong,
)
from hardware.idcard.eid import MAX_CERTIFICATE

SIGN_ID = b"SIGN"  # the MOICA signing pair's CKA_ID (hex 5349474e)
KEYX_ID = b"KEYX"  # the MOICA encryption pair's CKA_ID (hex 4b455958): never used by the booth
MAX_OBJECTS = 64  # more objects of one search than any eID card holds: a malformed token
# RFC 8017 §9.2 note 1: the DER prefix of DigestInfo for SHA-256, for a module that offers
# CKM_RSA_PKCS but not CKM_SHA256_RSA_PKCS (the signature is the same, byte for byte).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
EVENT_POLL_SECONDS = 0.2  # as CardEvents: how often the watcher wakes (and checks `stop`)


class _OpenSslErrors:
    """OpenSSL's error queue of the calling thread, in the libcrypto Python's ssl uses (found
    through the `_ssl` extension's own dependencies); None where ssl shares none to reach."""

    def __init__(self) -> None:
        self.set_mark: Callable[[], int] | None = None
        self.pop_to_mark: Callable[[], int] | None = None
        try:
            import _ssl

            libcrypto = ctypes.CDLL(_ssl.__file__)
            self.set_mark, self.pop_to_mark = libcrypto.ERR_set_mark, libcrypto.ERR_pop_to_mark
        except (ImportError, AttributeError, OSError):
            return  # no ssl, or an ssl with its own hidden OpenSSL: no queue shared with it


_OPENSSL_ERRORS = _OpenSslErrors()


class ModuleLock:
    """The module's lock (reentrant), which also contains the module's OpenSSL errors.

    OpenSSL keeps one error queue per thread, shared by everything in the process linked to
    the same libcrypto. A module that leaves errors there (SoftHSM2's C_Initialize does) makes
    the next OpenSSL user on that thread read them as its own: Python's ssl then fails
    `load_verify_locations(cadata=<DER>)` with "[ENGINE: NO_SUCH_ENGINE]". So the outermost
    hold of the lock sets a mark on the thread's queue (ERR_set_mark) and its release removes
    whatever was added after it (ERR_pop_to_mark): errors there before are kept. Every call
    into the module holds this lock, so none of its errors outlives the call.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0  # holds by the owning thread (only it reads or writes this)

    def __enter__(self) -> ModuleLock:
        self._lock.acquire()
        self._depth += 1
        if self._depth == 1 and _OPENSSL_ERRORS.set_mark is not None:
            _OPENSSL_ERRORS.set_mark()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._depth == 1 and _OPENSSL_ERRORS.pop_to_mark is not None:
                _OPENSSL_ERRORS.pop_to_mark()
        finally:
            self._depth -= 1
            self._lock.release()


def _pykcs11() -> Any:
    import PyKCS11

    return PyKCS11


def _rv_name(rv: int) -> str:
    name = _pykcs11().CKR.get(rv)
    return name if isinstance(name, str) else f"CKR 0x{rv:08X}"


_REMOVED = (
    "CKR_DEVICE_REMOVED",
    "CKR_TOKEN_NOT_PRESENT",
    "CKR_SESSION_CLOSED",
    "CKR_SESSION_HANDLE_INVALID",
    "CKR_SLOT_ID_INVALID",
)
_MALFORMED = ("CKR_TOKEN_NOT_RECOGNIZED", "CKR_DATA_INVALID", "CKR_ATTRIBUTE_VALUE_INVALID")


def module_error(what: str, rv: int) -> CardError:
    """A PKCS#11 return value as the reader's named error: a card gone from its slot is
    CardRemoved (as a card pulled mid-APDU), a token the module cannot read is CardMalformed,
    anything else is CardModuleFailed. PIN results are handled where the PIN is sent."""
    name = _rv_name(rv)
    if name in _REMOVED:
        return CardRemoved(f"{what}: the card left the reader ({name})")
    if name in _MALFORMED:
        return CardMalformed(f"{what}: the module cannot read the card ({name})")
    return CardModuleFailed(what, rv, name)


class Pkcs11Module:
    """One PKCS#11 module loaded by path, shared by a reader and its event watcher.

    `rescan`: the module learns which tokens exist only at C_Initialize (SoftHSM2 reads its
    token directory then), so presence is re-read by finalising and initialising it again
    whenever no session is open. A card reader's module (HiCOS, OpenSC) keeps its slots and
    reports a card's arrival in them: it needs no rescan.
    """

    def __init__(self, path: str | Path, *, rescan: bool = False) -> None:
        self.path = Path(path)
        self.rescan = rescan
        self.lock = ModuleLock()
        self._lib: Any = None
        self.generation = 0  # one more at every load: a session of an older one is dead
        self._sessions = 0
        self._events: bool | None = None
        try:
            mode = self.path.stat().st_mode
        except OSError as exc:
            raise NoReader(f"no PKCS#11 module at {self.path}: {exc.strerror}") from None
        if not self.path.is_absolute() or not stat.S_ISREG(mode):
            raise NoReader(f"the PKCS#11 module must be a regular file by absolute path: {path}")

    # Loading -----------------------------------------------------------------------------

    def library(self) -> Any:
        with self.lock:
            if self._lib is None:
                P = _pykcs11()
                lib = P.PyKCS11Lib()
                try:
                    lib.load(str(self.path))
                except P.PyKCS11Error as exc:
                    raise NoReader(f"cannot load the PKCS#11 module {self.path}: {exc}") from None
                self._lib = lib
                self.generation += 1
            return self._lib

    def loaded(self, generation: int) -> bool:
        """Whether the load a session was opened in is still the current one (calling a
        session of an unloaded module would call into unmapped code)."""
        return self._lib is not None and generation == self.generation

    def refresh(self) -> None:
        """Re-read the tokens (rescan modules only, and only while no session is open)."""
        with self.lock:
            if self.rescan and self._sessions == 0 and self._lib is not None:
                self._lib.unload()
                self._lib = None

    def close(self) -> None:
        """C_Finalize: every session ends with it."""
        with self.lock:
            if self._lib is not None:
                self._lib.unload()
                self._lib = None
            self._sessions = 0

    @contextmanager
    def calling(self, what: str) -> Iterator[Any]:
        """Hold the lock around a call into the module; its errors become named CardErrors."""
        P = _pykcs11()
        with self.lock:
            try:
                yield self.library()
            except P.PyKCS11Error as exc:
                raise module_error(what, exc.value) from None

    # Slots -------------------------------------------------------------------------------

    def token_slots(self, label: str | None) -> list[int]:
        """Slots holding an initialised token (of `label`, if given)."""
        P = _pykcs11()
        with self.calling("C_GetSlotList") as lib:
            found = []
            for slot in lib.getSlotList(tokenPresent=True):
                try:
                    info = lib.getTokenInfo(slot)
                except P.PyKCS11Error as exc:
                    if _rv_name(exc.value) in _REMOVED:
                        continue  # pulled out between the two calls
                    raise
                if not info.flags & P.CKF_TOKEN_INITIALIZED:
                    continue  # SoftHSM2's free slot; a blank card
                # CK_TOKEN_INFO.label is 32 bytes padded with blanks (SoftHSM2, read back from
                # its token file, pads with NULs)
                if label is not None and info.label.rstrip(" \x00") != label:
                    continue
                found.append(slot)
            return found

    def token_flags(self, slot: int) -> int:
        """CK_TOKEN_INFO.flags: where the PIN counter flags are (COUNT_LOW, FINAL_TRY, LOCKED)."""
        with self.calling("C_GetTokenInfo") as lib:
            return int(lib.getTokenInfo(slot).flags)

    def mechanisms(self, slot: int) -> frozenset[int]:
        P = _pykcs11()
        with self.calling("C_GetMechanismList") as lib:
            # PyKCS11 names the mechanisms it knows ("CKM_ECDSA") and leaves others numbers.
            listed = lib.getMechanismList(slot)
        return frozenset(m if isinstance(m, int) else int(P.CKM[m]) for m in listed)

    def slot_events_supported(self) -> bool:
        """Whether slot events can report a card: never for a rescan module (it sees a token
        only at C_Initialize, so it has no event to report: SoftHSM2 answers CKR_NO_EVENT to a
        non-blocking C_WaitForSlotEvent and CKR_FUNCTION_NOT_SUPPORTED to a blocking one);
        otherwise unless a non-blocking C_WaitForSlotEvent is CKR_FUNCTION_NOT_SUPPORTED."""
        P = _pykcs11()
        with self.lock:
            if self.rescan:
                return False
            if self._events is None:
                try:
                    self.library().waitForSlotEvent(P.CKF_DONT_BLOCK)
                    self._events = True
                except P.PyKCS11Error as exc:
                    self._events = exc.value != P.CKR_FUNCTION_NOT_SUPPORTED
            return self._events

    def slot_event(self) -> bool:
        """Whether a slot event is pending (non-blocking)."""
        P = _pykcs11()
        with self.lock:
            try:
                self.library().waitForSlotEvent(P.CKF_DONT_BLOCK)
            except P.PyKCS11Error as exc:
                if exc.value == P.CKR_NO_EVENT:
                    return False
                raise module_error("C_WaitForSlotEvent", exc.value) from None
            return True

    # Sessions ----------------------------------------------------------------------------

    def open_session(self, slot: int) -> Any:
        P = _pykcs11()
        with self.calling("C_OpenSession") as lib:
            session = lib.openSession(slot, P.CKF_SERIAL_SESSION)
            self._sessions += 1
            return session

    def close_session(self, session: Any, generation: int) -> None:
        P = _pykcs11()
        with self.lock:
            if not self.loaded(generation):
                return  # the module was closed: its sessions with it
            self._sessions -= 1
            try:
                session.closeSession()
            except P.PyKCS11Error:
                pass  # the card is gone: the module has closed the session itself

    def login(self, slot: int, session: Any, pin: bytes) -> None:
        """C_Login as the user. Raises PyKCS11Error: the caller reads the PIN's outcome.
        (The place where a stand-in emulates a card's try counter: hardware.idcard.softhsm.)"""
        with self.lock:
            session.login(pin)


class Pkcs11Card:
    """A card in a PKCS#11 slot, for one `read_identity`: an `eid.EidToken`."""

    def __init__(
        self, module: Pkcs11Module, slot: int, session: Any, key_id: bytes | None = None
    ) -> None:
        self.module = module
        self.key_id = key_id
        self.slot = slot
        self.session = session
        self.generation = module.generation
        self._id: bytes | None = None
        self._logged_in = False
        self._closed = False

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        """A call on this card's session: CardRemoved once the session or its module is gone."""
        with self.module.lock:
            if self._closed or not self.module.loaded(self.generation):
                raise CardRemoved(f"{what}: the card's session is closed")
            with self.module.calling(what):
                yield

    def _find(self, what: str, template: list[tuple[int, Any]]) -> list[Any]:
        with self._calling(what):
            found = list(self.session.findObjects(template))
        if len(found) > MAX_OBJECTS:
            raise CardMalformed(f"the card holds {len(found)} objects of one kind")
        return found

    def _binary(self, what: str, handle: Any, attribute: int) -> bytes:
        with self._calling(what):
            (value,) = self.session.getAttributeValue(handle, [attribute], allAsBinary=True)
        if value is None:
            raise CardMalformed(f"{what}: the object has no such attribute")
        return bytes(value)

    def read_certificate(self) -> bytes:
        """The X.509 certificate sharing its CKA_ID with a public key that may verify (and
        of CKA_ID `key_id`, if the reader names one): exactly one, else the token is not an
        eID card (CardMalformed)."""
        P = _pykcs11()
        verifying = {
            self._binary("C_GetAttributeValue CKA_ID", key, P.CKA_ID)
            for key in self._find(
                "C_FindObjects (public keys)",
                [(P.CKA_CLASS, P.CKO_PUBLIC_KEY), (P.CKA_VERIFY, P.CK_TRUE)],
            )
        }
        matches = []
        for cert in self._find(
            "C_FindObjects (certificates)",
            [(P.CKA_CLASS, P.CKO_CERTIFICATE), (P.CKA_CERTIFICATE_TYPE, P.CKC_X_509)],
        ):
            cid = self._binary("C_GetAttributeValue CKA_ID", cert, P.CKA_ID)
            if cid in verifying and self.key_id in (None, cid):
                matches.append((cid, cert))
        if len(matches) != 1:
            wanted = "" if self.key_id is None else f" of CKA_ID {self.key_id.hex()}"
            raise CardMalformed(
                f"the card holds {len(matches)} signing certificates{wanted} (one with the "
                "CKA_ID of a verifying public key expected): it is not an eID card"
            )
        cid, cert = matches[0]
        der = self._binary("C_GetAttributeValue CKA_VALUE", cert, P.CKA_VALUE)
        if not der or len(der) > MAX_CERTIFICATE:
            raise CardMalformed(f"the card's certificate has {len(der)} bytes")
        self._id = cid
        return der

    def tries_left(self) -> int | None:
        """PKCS#11 reports no count, only flags: FINAL_TRY is 1; LOCKED is blocked; COUNT_LOW
        (or nothing) says no number (None)."""
        P = _pykcs11()
        flags = self.module.token_flags(self.slot)
        if flags & P.CKF_USER_PIN_LOCKED:
            raise PinBlocked("the PIN is blocked after too many wrong tries")
        if flags & P.CKF_USER_PIN_FINAL_TRY:
            return 1
        return None

    def verify_pin(self, pin: str) -> None:
        """C_Login with the PIN (a well-formed one: `read_identity` checked it). A token that
        already says its PIN is locked is not asked (no C_Login)."""
        P = _pykcs11()
        self.tries_left()  # PinBlocked before any C_Login on a locked token
        buffer = bytearray(pin.encode("ascii"))
        try:
            for attempt in (1, 2):
                try:
                    with self.module.lock:
                        if self._closed or not self.module.loaded(self.generation):
                            raise CardRemoved("C_Login: the card's session is closed")
                        self.module.login(self.slot, self.session, bytes(buffer))
                except P.PyKCS11Error as exc:
                    if exc.value == P.CKR_USER_ALREADY_LOGGED_IN and attempt == 1:
                        # Another session of this process left the user logged in: the PIN
                        # typed now has not been checked. Log out and check it.
                        with self._calling("C_Logout"):
                            self.session.logout()
                        continue
                    if exc.value in (P.CKR_PIN_INCORRECT, P.CKR_PIN_LEN_RANGE):
                        raise PinWrong(self.tries_left()) from None
                    if exc.value == P.CKR_PIN_LOCKED:
                        raise PinBlocked("the PIN is blocked after too many wrong tries") from None
                    raise module_error("C_Login", exc.value) from None
                self._logged_in = True
                return
        finally:
            for i in range(len(buffer)):
                buffer[i] = 0

    def sign(self, challenge: bytes) -> bytes:
        """The private key of the certificate's CKA_ID signs: CKM_SHA256_RSA_PKCS over the
        challenge (the module hashes; CKM_RSA_PKCS over DigestInfo where that is all the
        module offers), or CKM_ECDSA over SHA-256(challenge) hashed here; ECDSA's r ‖ s is
        what PKCS#11 returns."""
        P = _pykcs11()
        if self._id is None or not self._logged_in:
            raise CardMalformed("the card was asked to sign before its certificate and PIN")
        keys = self._find(
            "C_FindObjects (private key)",
            [(P.CKA_CLASS, P.CKO_PRIVATE_KEY), (P.CKA_ID, self._id), (P.CKA_SIGN, P.CK_TRUE)],
        )
        if len(keys) != 1:
            raise CardMalformed(f"the card holds {len(keys)} signing keys for its certificate")
        with self._calling("C_GetAttributeValue CKA_KEY_TYPE"):
            (kind,) = self.session.getAttributeValue(keys[0], [P.CKA_KEY_TYPE])
        with self._calling("C_GetMechanismList"):
            offered = self.module.mechanisms(self.slot)
        digest = hashlib.sha256(challenge).digest()
        if kind == P.CKK_RSA and P.CKM_SHA256_RSA_PKCS in offered:
            mechanism, data = P.Mechanism(P.CKM_SHA256_RSA_PKCS), challenge
        elif kind == P.CKK_RSA and P.CKM_RSA_PKCS in offered:
            # The same PKCS#1 v1.5 signature: the module pads DigestInfo(SHA-256, digest).
            mechanism, data = P.Mechanism(P.CKM_RSA_PKCS), SHA256_DIGEST_INFO + digest
        elif kind == P.CKK_EC and P.CKM_ECDSA in offered:
            mechanism, data = P.Mechanism(P.CKM_ECDSA), digest
        else:
            raise CardMalformed("the card offers no RSA PKCS#1 v1.5 or ECDSA signing for its key")
        with self._calling("C_Sign"):
            return bytes(self.session.sign(keys[0], data, mechanism))

    def close(self) -> None:
        """C_Logout, C_CloseSession: whatever state the card is in (gone, or never logged in)."""
        if self._closed:
            return
        self._closed = True
        P = _pykcs11()
        with self.module.lock:
            if not self.module.loaded(self.generation):
                return  # the module was closed, and this session with it
            if self._logged_in:
                try:
                    self.session.logout()
                except P.PyKCS11Error:
                    pass  # the card is gone: nobody is logged in to it any more
            self.module.close_session(self.session, self.generation)


class Pkcs11Reader:
    """The booth's card slot over a PKCS#11 module: the one initialised token present (of
    `token_label`, if given: "HiCOS PKI Smart Card" for MOICA cards). `key_id`, if given,
    names the signing pair's CKA_ID (b"SIGN" on MOICA cards, which also carry a second
    verify key "SIGN02"); otherwise the one certificate of a verifying key pair is taken."""

    def __init__(
        self, module: Pkcs11Module, token_label: str | None = None, key_id: bytes | None = None
    ) -> None:
        self.module = module
        self.token_label = token_label
        self.key_id = key_id

    def _slot(self) -> int | None:
        with self.module.lock:
            self.module.refresh()
            slots = self.module.token_slots(self.token_label)
        if len(slots) > 1:
            raise NoReader(f"{len(slots)} eID tokens are present: a booth reads one card")
        return slots[0] if slots else None

    def card_present(self) -> bool:
        return self._slot() is not None

    def connect(self) -> Pkcs11Card:
        with self.module.lock:
            slot = self._slot()
            if slot is None:
                raise NoCard("no card in the reader: ask the voter to insert the ID card")
            return Pkcs11Card(self.module, slot, self.module.open_session(slot), self.key_id)

    def watch(self, callback: Callable[[bool], None]) -> Pkcs11Events:
        return Pkcs11Events(self, callback)

    def close(self) -> None:
        self.module.close()


class Pkcs11Events:
    """Reports card insertion (True) and removal (False) to a callback, as `CardEvents` does.

    Where the module supports C_WaitForSlotEvent, its own thread asks it (without blocking,
    every EVENT_POLL_SECONDS, so that `stop` is seen) and re-reads presence after an event;
    where it does not (SoftHSM2: CKR_FUNCTION_NOT_SUPPORTED), it polls the slot list at the
    same rate. A blocking wait is not used: only C_Finalize could end it.
    """

    def __init__(self, reader: Pkcs11Reader, callback: Callable[[bool], None]) -> None:
        self.reader = reader
        self.callback = callback
        self.present: bool | None = None
        self.error: Exception | None = None
        self.polling: bool | None = None  # True: no slot events, the slot list is polled
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)

    def _run(self) -> None:
        try:
            self.polling = not self.reader.module.slot_events_supported()
            self.present = self.reader.card_present()
        except CardError as exc:
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        while not self._stop.wait(EVENT_POLL_SECONDS):
            try:
                if not self.polling and not self.reader.module.slot_event():
                    continue
                present = self.reader.card_present()
            except CardError as exc:
                self.error = exc
                return
            if present != self.present:
                self.present = present
                self.callback(present)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
