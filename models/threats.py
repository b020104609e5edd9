"""Threat models: sets of actors, written with `+`, and the lattice they form.

The actor catalogue is passed in (the protocol owns the names); this module
only knows that a threat model is a set, that sets are ordered by inclusion,
and how to print one canonically (catalogue order).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Iterator, Sequence


class UnknownName(ValueError):
    """A name that is not in its catalogue; the message lists the valid ones."""

    def __init__(self, what: str, name: str, valid: Sequence[str], why: str = ""):
        super().__init__(f"unknown {what} {name!r}{why}; valid choices: {', '.join(valid)}")
        self.what, self.name, self.valid = what, name, tuple(valid)


@dataclass(frozen=True)
class ThreatModel:
    actors: frozenset[str]
    order: tuple[str, ...]  # the catalogue, for canonical printing

    @classmethod
    def parse(cls, text: str, catalogue: Sequence[str]) -> "ThreatModel":
        """`a+b+c` in any order, or `none`; an empty text or an empty part
        (`network+`, `a++b`) is an error, never a silently smaller model."""
        if text.strip() == "none":
            return cls(frozenset(), tuple(catalogue))
        names = [n.strip() for n in text.split("+")]
        if "" in names:
            raise UnknownName("threat model", text, catalogue,
                              ": an empty actor name (join actors with '+', or write 'none')")
        for n in names:
            if n not in catalogue:
                raise UnknownName("threat actor", n, catalogue)
        return cls(frozenset(names), tuple(catalogue))

    @property
    def name(self) -> str:
        return "+".join(a for a in self.order if a in self.actors) or "none"

    def __str__(self) -> str:
        return self.name

    def __contains__(self, actor: str) -> bool:
        return actor in self.actors

    def __le__(self, other: "ThreatModel") -> bool:
        return self.actors <= other.actors


def lattice(catalogue: Sequence[str], max_size: int | None = None) -> Iterator[ThreatModel]:
    """Every threat model over the catalogue, smallest first (deterministic)."""
    top = len(catalogue) if max_size is None else max_size
    for k in range(0, top + 1):
        for combo in combinations(catalogue, k):
            yield ThreatModel(frozenset(combo), tuple(catalogue))
