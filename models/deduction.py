"""Dolev-Yao deduction: the closure of a knowledge set under analysis, and a
derivability test that adds synthesis on top.

`Knowledge` is immutable. `known` is closed under analysis (every part that
can be extracted with derivable keys is in it); `blocked` holds terms that
would yield more once some key becomes derivable, so `add` re-examines only
those. `derivable(t)` is then: t is known, or t is public, or t is built by a
constructor from derivable arguments. Both are decided exactly for the theory
in `models.theory` (no fixed unrolling depth is needed in the explicit engine).
"""
from __future__ import annotations

from typing import Iterable

from ppverify.models.terms import Atom, Term, TermSet, bit
from ppverify.models.theory import analyse, constructible


def _derivable(t: Term, known, memo: dict) -> bool:
    """`known`: a `TermSet` or a `_Growing` one, read as its bitmask (as
    their `in` does, a call less: closure and enumeration ask a lot)."""
    ix = t._ix
    if ix >= 0 and (known.bits >> ix) & 1:
        return True
    hit = memo.get(t)
    if hit is not None:
        return hit
    if isinstance(t, Atom):
        result = t.kind == "const"
    else:
        memo[t] = False  # a term never justifies itself
        result = constructible(t, lambda x: _derivable(x, known, memo))
    memo[t] = result
    return result


class Knowledge:
    __slots__ = ("known", "blocked", "_memo")
    memo = dict  # the memos' type (the differential tests switch them off with one that keeps nothing;
    # memos of functions of a knowledge set are `indexes.derived`)

    def __init__(self, known: Iterable[Term] = TermSet(), blocked: frozenset = frozenset()):
        self.known = known if isinstance(known, TermSet) else TermSet(known)
        self.blocked = blocked
        self._memo: dict = self.memo()

    @classmethod
    def of(cls, terms: Iterable[Term]) -> "Knowledge":
        return cls().add(terms)

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, Knowledge) and self.known == other.known)

    def __hash__(self) -> int:
        return hash(self.known)

    def __len__(self) -> int:
        return len(self.known)

    def __reduce__(self):
        return (Knowledge, (self.known, self.blocked))

    def derivable(self, t: Term) -> bool:
        return _derivable(t, self.known, self._memo)

    def add(self, terms: Iterable[Term]) -> "Knowledge":
        known = _Growing(self.known)
        terms = [t for t in terms if t not in known]
        if not terms:
            return self
        blocked = set(self.blocked)
        queue = terms
        while queue:
            memo: dict = {}

            def der(x: Term) -> bool:
                return _derivable(x, known, memo)

            while queue:
                t = queue.pop()
                if t in known:
                    continue
                known.add(t)
                memo.clear()
                parts, more = analyse(t, der)
                queue.extend(p for p in parts if p not in known)
                if more:
                    blocked.add(t)
            # New knowledge may unlock blocked terms: re-analyse them.
            memo.clear()
            for t in sorted(blocked, key=repr):
                parts, more = analyse(t, der)
                new = [p for p in parts if p not in known]
                if not more:
                    blocked.discard(t)
                queue.extend(new)
        return Knowledge(TermSet.of_bits(known.bits), frozenset(blocked))

    def derivation(self, t: Term) -> list[str]:
        """A short human explanation of how `t` is derived (for traces)."""
        if t in self.known:
            return [f"{t!r} is known (observed or extracted)"]
        if isinstance(t, Atom):
            return [f"{t!r} is public"] if t.kind == "const" else []
        if self.derivable(t):
            return [f"{t!r} built by {t.op} from derivable parts"]
        return []


class _Growing:
    """A knowledge set during closure, as the bitmask of a `TermSet`."""
    __slots__ = ("bits",)

    def __init__(self, base: TermSet):
        self.bits = base.bits

    def __contains__(self, t: Term) -> bool:
        ix = t._ix   # as TermSet's, one call less: closure asks a lot
        return ix >= 0 and (self.bits >> ix) & 1 == 1

    def add(self, t: Term) -> None:
        self.bits |= bit(t)
