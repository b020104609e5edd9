"""Verdicts monotone in every bound, by construction.

An attack with fewer clients, sessions, CVMs or injections is also a run of a
larger scenario, but a breadth-first search of the larger one, cut by its state
limit, may not reach it (more branching, less depth). So when the search at
the requested bounds is cut, the smaller bounds below it are searched too,
within the same state limit, nearest first; a smaller search that was
exhaustive has found every violation below it, so nothing under it is
searched. Each violation found is a path of actions that the caller replays
in the requested scenario: one that does not replay there is a finding (the
model is not monotone), raised, never hidden.

The state limit needs nothing: a search with a larger limit expands a
superset of the states of one with a smaller limit, in the same order.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterator

from ppverify.models.scenario import Bounds, Scenario
from ppverify.proofs.engines.explore import explore
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.system import PPSystem


@dataclass(frozen=True, order=True)
class Level:
    """One point of the bound chain: the scenario's sizes and the injections."""
    clients: int
    sessions: int
    cvms: int
    max_moves: int

    def bounds(self) -> Bounds:
        return Bounds(self.clients, self.sessions, self.cvms)

    def below(self) -> Iterator["Level"]:
        """The levels one step smaller in one bound."""
        for name, least in (("clients", 1), ("sessions", 1), ("cvms", 1), ("max_moves", 0)):
            if getattr(self, name) > least:
                yield replace(self, **{name: getattr(self, name) - 1})

    def label(self) -> str:
        return (f"{self.clients} client(s), {self.sessions} session(s), {self.cvms} CVM(s), "
                f"<= {self.max_moves} injections")


@dataclass(frozen=True)
class Carried:
    """A violation found at a smaller level: the actions and where."""
    path: list
    level: Level


def smaller_violations(sc: Scenario, missing: tuple[str, ...], max_states: int, max_moves: int,
                       search: Callable = explore) -> dict[str, Carried]:
    """Violations of `missing` properties found by searching the levels below
    (`sc`, `max_moves`), each within `max_states`; the nearest level's first."""
    top = Level(sc.bounds.clients, sc.bounds.sessions, sc.bounds.cvms, max_moves)
    found: dict[str, Carried] = {}
    # larger first (by total size), so a level is searched before any below it
    order = lambda lv: (lv.clients + lv.sessions + lv.cvms + lv.max_moves, lv)  # noqa: E731
    frontier, seen = sorted(set(top.below()), key=order, reverse=True), set()
    while frontier and len(found) < len(missing):
        level = frontier.pop(0)
        if level in seen:
            continue
        seen.add(level)
        want = tuple(p for p in missing if p not in found)
        same = level.bounds() == sc.bounds   # keep `sc` itself (mutate's records what the model reads)
        system = PPSystem(symbolic_model(sc if same else replace(sc, bounds=level.bounds())))
        ex = search(system, want, max_states=max_states, max_moves=level.max_moves)
        for p, f in ex.violations.items():
            found.setdefault(p, Carried([a for _, a in ex.path(f.node)] + [f.action], level))
        if not ex.exhaustive:   # an exhaustive search already found every violation below it
            frontier = sorted(set(frontier) | set(level.below()), key=order, reverse=True)
    return found
