"""What encrypting and checking a ballot needs: the definition, K, base, and (0, 1, B)·G."""

from __future__ import annotations

from dataclasses import dataclass, field

from ballots.definition import Definition
from crypto.elgamal import PublicKey
from crypto.hazmat.group import Point, Scalar


@dataclass(frozen=True)
class ElectionContext:
    definition: Definition
    manifest_hash: bytes
    public_key: PublicKey
    base: bytes
    value_points: tuple[Point, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        values = (0, 1, self.definition.packing_base)
        object.__setattr__(
            self, "value_points", tuple(Point.base_mul(Scalar.from_int(v)) for v in values)
        )

    @property
    def values(self) -> tuple[int, int, int]:
        """S = (blank, yes, no) = (0, 1, B)."""
        return (0, 1, self.definition.packing_base)
