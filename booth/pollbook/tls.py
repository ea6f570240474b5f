"""TLS 1.3 contexts for the station link, and the peer checks after the handshake.

Both sides trust only the link CA certificate from the VERIFIED election package (the
package's signature was checked against the pinned authority), require the peer's certificate
(`ssl.CERT_REQUIRED`), and then compare the peer's certificate byte for byte with the one the
package lists for a device they accept: the poll book accepts only its own station's booths,
a booth only its station's poll book. Host names play no part.
"""

from __future__ import annotations

import ssl
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import load_der_x509_certificate

from ballots.package import VerifiedPackage
from booth.pollbook.errors import LinkKeyInvalid, PackageNotPinned, PeerRefused


def _context(
    purpose: ssl.Purpose, verified: VerifiedPackage, own_der: bytes, key: Path
) -> ssl.SSLContext:
    side = (
        ssl.PROTOCOL_TLS_SERVER if purpose is ssl.Purpose.CLIENT_AUTH else ssl.PROTOCOL_TLS_CLIENT
    )
    if not verified.authority_pinned:
        raise PackageNotPinned(
            "the election package was not checked against the authority's fingerprint: "
            "the station link trusts only a pinned package"
        )
    ctx = ssl.SSLContext(side)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False  # the peer is pinned by its exact certificate instead
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=verified.public.link.ca)
    pem = load_der_x509_certificate(own_der).public_bytes(Encoding.PEM)
    # ssl loads a certificate only from a file: the (public) certificate goes to a private
    # temporary folder; the private key is read where it lies.
    with tempfile.TemporaryDirectory(prefix="refvote-link-") as folder:
        cert = Path(folder) / "device.pem"
        cert.write_bytes(pem)
        try:
            ctx.load_cert_chain(cert, key)
        except (ssl.SSLError, OSError) as exc:
            raise LinkKeyInvalid(
                f"{key}: not the TLS key of this device's certificate ({exc})"
            ) from None
    return ctx


def pollbook_context(verified: VerifiedPackage, station_id: str, key: Path) -> ssl.SSLContext:
    return _context(
        ssl.Purpose.CLIENT_AUTH, verified, verified.public.link.pollbook(station_id), key
    )


def booth_context(verified: VerifiedPackage, booth_id: str, key: Path) -> ssl.SSLContext:
    return _context(ssl.Purpose.SERVER_AUTH, verified, verified.public.link.booth(booth_id), key)


def peer_booth(tls: ssl.SSLSocket, verified: VerifiedPackage, station_id: str) -> str:
    """The booth at the other end: one of this station's, by its exact certificate."""
    der = tls.getpeercert(binary_form=True)
    station = verified.definition.station(station_id)
    for booth_id in station.booths:
        if der is not None and der == verified.public.link.booth(booth_id):
            return booth_id
    raise PeerRefused(f"the peer is not a booth of station {station_id}")


def check_pollbook_peer(tls: ssl.SSLSocket, verified: VerifiedPackage, station_id: str) -> None:
    der = tls.getpeercert(binary_form=True)
    if der is None or der != verified.public.link.pollbook(station_id):
        raise PeerRefused(f"the peer is not the poll book of station {station_id}")
