"""What a refusal read, so that the grounding (`engines.ground`) need not
step the messages it would refuse alike."""
from __future__ import annotations

from operator import attrgetter


class Refusals:
    """What refusals in one (unit, state) read of the messages delivered or
    injected (`how`): a handler is a function of the party's state, the
    message and its choice, and a refusal with `reads` is decided before the
    choice is read (`need`), so in that state every message agreeing on
    these, with any choice, is refused alike."""
    __slots__ = ("by_reads",)

    def __init__(self):
        self.by_reads: dict = {}   # reads -> (their getter, {(how, values)})

    def add(self, how: str, m, reads: tuple[str, ...]) -> None:
        hit = self.by_reads.get(reads)
        if hit is None:
            hit = self.by_reads[reads] = (attrgetter(*reads), set())
        hit[1].add((how, hit[0](m)))

    def refuse(self, how: str, m) -> bool:
        for get, values in self.by_reads.values():
            if (how, get(m)) in values:
                return True
        return False
