"""One table of allowed transitions per state machine; anything else is a named error."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from booth.errors import TransitionRefused

S = TypeVar("S", bound=enum.Enum)


@dataclass(frozen=True)
class Transitions(Generic[S]):
    """`allowed[state]` is the set of states reachable from `state` in one step."""

    machine: str
    allowed: Mapping[S, frozenset[S]]

    def check(self, state: S, target: S) -> S:
        """Return `target` if state → target is in the table; raise TransitionRefused if not."""
        if target not in self.allowed[state]:
            raise TransitionRefused(self.machine, state.value, target.value)
        return target

    def pairs(self) -> list[tuple[S, S]]:
        """Every allowed transition (for tests and the docs' tables)."""
        return [(a, b) for a, targets in self.allowed.items() for b in targets]
