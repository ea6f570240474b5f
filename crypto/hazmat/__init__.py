"""Raw group arithmetic and proof primitives: you can misuse these.

Nothing here checks that a proof is bound to the right election, ballot or question: the
callers in `crypto` (ElGamal, ceremony, threshold) and `ballots` do. Use those instead.
"""
