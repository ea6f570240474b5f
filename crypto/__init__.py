"""refvote's cryptographic core: PROTOCOL.md, implemented over libsodium and `cryptography`.

Layers, top to bottom:

- crypto.ceremony: the k-of-n key ceremony (trustee device, public checks, files)
- crypto.threshold: decryption shares, Lagrange combination, the packed search
- crypto.elgamal, crypto.signing, crypto.sealing, crypto.hashing, crypto.encoding
- crypto.hazmat: the raw group and proofs (you can misuse these)

Importing this package runs the start-up self-test: a ristretto255 decoder that accepts any
of RFC 9496's invalid encodings, or an Ed25519 point check that accepts points outside the
prime-order subgroup (CVE-2025-69277), is refused before any point is decoded.
"""

from crypto.selftest import require_safe_library

require_safe_library()
