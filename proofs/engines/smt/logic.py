"""z3 building blocks of the SMT engine: folds, counts, Dolev-Yao
derivability over knowledge bits, the analysis rules as producers, and a
solver that remembers what it was told (for export)."""
from __future__ import annotations

import networkx as nx
import z3

from ppverify.models.terms import App, Atom
from ppverify.models.theory import CONSTRUCTORS, rules


class CyclicKnowledge(Exception):
    """Some term's analysis depends on itself through keys: the one-solution
    argument fails and this encoding would admit self-justifying knowledge."""


def _lits(x, universe, acc):
    """The terms whose knowledge can make `x` derivable."""
    if x in universe:
        acc.add(x)
    if isinstance(x, App) and (x.op in CONSTRUCTORS or x.op in ("dhk", "hexp")):
        for a in x.args:
            _lits(a, universe, acc)
            if x.op == "dhk":
                _lits(App("pk", (a,)), universe, acc)
    return acc


def producers(universe) -> dict:
    """x -> [(parent, key)] for every analysis rule yielding x; raises
    CyclicKnowledge if the rules make some term depend on itself."""
    out: dict = {}
    deps = nx.DiGraph()
    for p in universe:
        for key, parts in rules(p):
            for r in parts:
                if r in universe:
                    out.setdefault(r, []).append((p, key))
                    deps.add_edge(r, p)
                    for y in (_lits(key, universe, set()) if key is not None else ()):
                        deps.add_edge(r, y)
    if not nx.is_directed_acyclic_graph(deps):
        raise CyclicKnowledge("analysis rules make a term depend on itself")
    return out


def any_of(xs) -> z3.BoolRef:
    """Or over a list; SMT-LIB has no nullary `or`, so small cases are folded."""
    xs = list(xs)
    return z3.BoolVal(False) if not xs else xs[0] if len(xs) == 1 else z3.Or(xs)


def all_of(xs) -> z3.BoolRef:
    xs = list(xs)
    return z3.BoolVal(True) if not xs else xs[0] if len(xs) == 1 else z3.And(xs)


def _count(bits):
    """How many of `bits` hold, as an 8-bit vector (counts stay small)."""
    return sum((z3.If(b, z3.BitVecVal(1, 8), z3.BitVecVal(0, 8)) for b in bits), z3.BitVecVal(0, 8))


def _derivable(bits: dict, memo: dict, x):
    """x is derivable from the knowledge `bits` (term -> Bool): known, or
    built by a constructor from derivable parts."""
    v = memo.get(x)
    if v is not None:
        return v
    if isinstance(x, Atom):
        syn = z3.BoolVal(x.kind == "const")
    elif x.op == "dhk":
        a, b = x.args
        syn = z3.Or(z3.And(_derivable(bits, memo, a), _derivable(bits, memo, App("pk", (b,)))),
                    z3.And(_derivable(bits, memo, b), _derivable(bits, memo, App("pk", (a,)))))
    elif x.op == "hexp":
        syn = _derivable(bits, memo, x.args[0])
    elif x.op in CONSTRUCTORS:
        syn = all_of(_derivable(bits, memo, a) for a in x.args)
    else:
        syn = z3.BoolVal(False)
    v = z3.Or(bits[x], syn) if x in bits else syn
    memo[x] = v
    return v


class _Recorded:
    """A solver that keeps what was asserted (the finite-domain solver does not
    give its assertions back), for export to SMT-LIB."""

    def __init__(self, solver):
        self.solver, self.log = solver, []

    def add(self, *xs):
        self.log.extend(xs)
        self.solver.add(*xs)

    def __getattr__(self, name):
        return getattr(self.solver, name)
