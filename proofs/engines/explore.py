"""The explicit-state engine: breadth-first search of a scenario's reachable
worlds. BFS order makes the first violation of each property a shortest one.
The search is exhaustive when the queue empties before `max_states`;
otherwise the result is bounded by the depth completed.

Only the frontier's worlds are kept. A visited state is its fingerprint
(`fingerprint`) and, for rebuilding a path, its parent and the action taken
from it (`SearchTree`); a world off the frontier is rebuilt by replaying that
path (`Worlds`: the step function is pure).
"""
from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

from ppverify.proofs.core.memory import fewer_collections
from ppverify.proofs.core.system import BudgetHit, System
from ppverify.protocol.world import Deliver, World


def fingerprint(w: World):
    """A visited state's key: the world's 64-bit hash (`World.__hash__`, over
    every field a monitor or the action stream reads). Equal worlds have equal
    fingerprints; two unequal ones share one with probability about 2^-64 per
    pair (the hash mixes the parts' hashes; terms hash their structure), so a
    search of n states merges two distinct ones with probability at most
    n^2 / 2^65: below 1e-9 at the default 200,000 states. A clash with a world
    still on the frontier is caught exactly (`_Visited.find`); only a clash
    with an expanded one could go unseen. The differential tests replace this
    function with the identity (exact keys: every visited world kept)."""
    return hash(w)


class _Visited:
    """Fingerprint -> node, with an exact check against frontier worlds."""

    def __init__(self, key: Callable):
        self.key = key
        self.nodes: dict = {}
        self.frontier: dict[int, World] = {}   # node -> world, until it is expanded
        self.clashes: dict[World, int] = {}    # worlds whose fingerprint another has (rare)

    def find(self, w: World) -> Optional[int]:
        if self.clashes:
            m = self.clashes.get(w)
            if m is not None:
                return m
        m = self.nodes.get(self.key(w))
        if m is None:
            return None
        live = self.frontier.get(m)
        return m if live is None or live == w else None

    def add(self, w: World, node: int) -> None:
        fp = self.key(w)
        if fp in self.nodes:
            self.clashes[w] = node
        else:
            self.nodes[fp] = node
        self.frontier[node] = w


class SearchTree:
    """The BFS tree: each state's parent and the action that reached it."""

    def __init__(self):
        self.parent = array("q", [-1])
        self.action: list = [None]
        self.depth = array("l", [0])

    def add(self, parent: int, action, depth: int) -> int:
        self.parent.append(parent)
        self.action.append(action)
        self.depth.append(depth)
        return len(self.action) - 1

    def __len__(self) -> int:
        return len(self.action)

    def predecessors(self, node: int) -> list[int]:
        return [self.parent[node]] if node > 0 else []

    def number_of_edges(self) -> int:
        return len(self.action) - 1

    def path(self, node: int) -> list[tuple[int, object]]:
        steps = []
        while node > 0:
            prev = self.parent[node]
            steps.append((prev, self.action[node]))
            node = prev
        return list(reversed(steps))


class Worlds:
    """The visited worlds in node order, rebuilt on demand by replaying each
    one's path from the initial world."""

    def __init__(self, system: System, tree: SearchTree):
        self.system, self.tree = system, tree

    def __len__(self) -> int:
        return len(self.tree)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        w = self.system.initial()
        for _, a in self.tree.path(i):
            w = self.system.step(w, a)[0]
        return w

    def __iter__(self) -> Iterator[World]:
        built = {0: self.system.initial()}   # BFS order: a parent comes before its children
        for n in range(len(self)):
            if n:
                built[n] = self.system.step(built[self.tree.parent[n]], self.tree.action[n])[0]
            yield built[n]


@dataclass
class Found:
    """A violating transition: the state before it, the action, and why."""
    node: int
    action: object
    why: str
    depth: int


@dataclass
class Exploration:
    graph: SearchTree              # parent pointers (a tree: BFS keeps each state's first edge)
    worlds: Worlds                 # rebuilt by replay: the search keeps only the frontier's
    violations: dict[str, Found]
    partner: Optional[Found]
    exhaustive: bool
    depth: int                     # every state at depth <= this was expanded
    budget_hit: bool = False       # some injection enumeration was truncated
    stats: dict = field(default_factory=dict)

    def path(self, node: int) -> list[tuple[int, object]]:
        """(state, action taken from it) pairs from the initial world to `node`."""
        return self.graph.path(node)


def explore(system: System, properties: tuple[str, ...], max_states: int = 200_000,
            progress: Optional[Callable[[int, int], None]] = None, max_moves: int = 2) -> Exploration:
    """Search `system` (any `core.system.System`) for violations of `properties`."""
    with fewer_collections():
        return _explore(system, properties, max_states, progress, max_moves)


def _explore(system: System, properties: tuple[str, ...], max_states: int,
             progress: Optional[Callable[[int, int], None]], max_moves: int) -> Exploration:
    monitors = {p: system.monitor(p) for p in properties}
    watch = system.watch(tuple(monitors))   # those without a counterexample yet
    tree, visited = SearchTree(), _Visited(fingerprint)
    w0 = system.initial()
    visited.add(w0, 0)
    queue = deque([(0, w0)])
    violations: dict[str, Found] = {}
    partner: Optional[Found] = None
    budget_hit = False
    transitions = 0
    done_depth = -1
    while queue:
        n, w = queue.popleft()
        d = tree.depth[n]
        if len(tree) >= max_states:
            queue.appendleft((n, w))
            break
        del visited.frontier[n]
        done_depth = d - 1
        for a in system.actions(w, max_moves):
            if isinstance(a, BudgetHit):
                budget_hit = True
                continue
            w2, out, rej = system.step(w, a)
            if rej is not None and not isinstance(a, Deliver):
                continue
            transitions += 1
            found = watch(w, w2, out)
            if found:
                for p, why in found:
                    violations[p] = Found(n, a, why, d + 1)
                watch = system.watch(tuple(p for p in monitors if p not in violations))
            if partner is None and system.completed(w, w2, out):
                partner = Found(n, a, "honest session completed", d + 1)
            if visited.find(w2) is None:
                m = tree.add(n, a, d + 1)
                visited.add(w2, m)
                queue.append((m, w2))
        if len(violations) == len(monitors) and monitors:
            break  # every property has its (shortest) counterexample
        if progress and n % 200 == 0:
            progress(len(tree), len(queue))
    exhaustive = not queue
    if exhaustive:
        done_depth = max(tree.depth)
    return Exploration(tree, Worlds(system, tree), violations, partner, exhaustive, max(done_depth, 0),
                       budget_hit, {"states": len(tree), "transitions": transitions,
                                    "edges": tree.number_of_edges()})
