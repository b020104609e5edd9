"""The explicit-state engine: breadth-first search of a scenario's reachable
worlds, built as a networkx graph. Worlds are their own canonical keys
(immutable, with sorted contents). BFS order makes the first violation of each
property a shortest one. The search is exhaustive when the queue empties
before `max_states`; otherwise the result is bounded by the depth completed.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Optional

import networkx as nx

from ppverify.proofs.core.system import BudgetHit, System
from ppverify.protocol.world import Deliver, World


@dataclass
class Found:
    """A violating transition: the state before it, the action, and why."""
    node: int
    action: object
    why: str
    depth: int


@dataclass
class Exploration:
    graph: nx.DiGraph
    worlds: list[World]
    violations: dict[str, Found]
    partner: Optional[Found]
    exhaustive: bool
    depth: int                     # every state at depth <= this was expanded
    budget_hit: bool = False       # some injection enumeration was truncated
    stats: dict = field(default_factory=dict)

    def path(self, node: int) -> list[tuple[int, object]]:
        """(state, action taken from it) pairs from the initial world to `node`."""
        steps = []
        while node != 0:
            (prev,) = list(self.graph.predecessors(node))[:1] or (None,)
            steps.append((prev, self.graph.edges[prev, node]["action"]))
            node = prev
        return list(reversed(steps))


def explore(system: System, properties: tuple[str, ...], max_states: int = 200_000,
            progress: Optional[Callable[[int, int], None]] = None, max_moves: int = 2) -> Exploration:
    """Search `system` (any `core.system.System`) for violations of `properties`."""
    monitors = {p: system.monitor(p) for p in properties}
    w0 = system.initial()
    index = {w0: 0}
    worlds = [w0]
    depth_of = [0]
    graph = nx.DiGraph()
    graph.add_node(0)
    queue = deque([0])
    violations: dict[str, Found] = {}
    partner: Optional[Found] = None
    budget_hit = False
    transitions = 0
    done_depth = -1
    while queue:
        n = queue.popleft()
        w, d = worlds[n], depth_of[n]
        if len(worlds) >= max_states:
            queue.appendleft(n)
            break
        done_depth = d - 1
        for a in system.actions(w, max_moves):
            if isinstance(a, BudgetHit):
                budget_hit = True
                continue
            w2, out, rej = system.step(w, a)
            if rej is not None and not isinstance(a, Deliver):
                continue
            transitions += 1
            for p, mon in monitors.items():
                if p not in violations:
                    why = mon(w, w2, out)
                    if why:
                        violations[p] = Found(n, a, why, d + 1)
            if partner is None and system.completed(w, w2, out):
                partner = Found(n, a, "honest session completed", d + 1)
            m = index.get(w2)
            if m is None:
                m = len(worlds)
                index[w2] = m
                worlds.append(w2)
                depth_of.append(d + 1)
                queue.append(m)
                graph.add_edge(n, m, action=a)
        if len(violations) == len(monitors) and monitors:
            break  # every property has its (shortest) counterexample
        if progress and n % 200 == 0:
            progress(len(worlds), len(queue))
    exhaustive = not queue
    if exhaustive:
        done_depth = max(depth_of)
    return Exploration(graph, worlds, violations, partner, exhaustive, max(done_depth, 0), budget_hit,
                       {"states": len(worlds), "transitions": transitions, "edges": graph.number_of_edges()})
