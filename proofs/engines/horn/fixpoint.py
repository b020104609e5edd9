"""The least fixpoint of a grounded system under monotone semantics.

Grounding with no injection bound (`UNBOUNDED_MOVES`) and the relaxed
reachability pass give the abstract facts: the reached (unit, local state)
pairs, the messages ever in flight and the adversary's knowledge closure.
The pass fires every transition whose inputs exist, never consumes a
message and ignores the injection count: exactly the monotone semantics of
the package docstring. The facts are a candidate invariant; `invariant`
checks them in z3 before anything is proved.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from ppverify.proofs.core.system import SmtSystem
from ppverify.proofs.engines.ground import Ground, ground
from ppverify.proofs.engines.smt.state import _levels

# an injection count no history reaches: the grounding's walk never stops on it
UNBOUNDED_MOVES = 1 << 20
# A cost rule, never a verdict: past this many local states of one unit the grounding gives up. Every
# grounding measured that completes stays under 130 per unit (one client: network 104, network+hw-vendor
# 104 at 16,440 transitions, network+relay 126, meta-insider with a fixed binder 37-53); those that fail
# pass 400 in the orchestrator slots of the images a meta-insider launches (the product of the
# adversary-chosen handshakes, requests and peers a session holds: 970 by the time the published binder
# passes 25,000 transitions, after 22 s) or in the gateway's slots under relay+cdn.
MAX_UNIT_STATES = 400


@dataclass(frozen=True)
class Fixpoint:
    g: Ground
    reached: frozenset      # (unit, local state index)
    flying: frozenset       # message indices
    terms: frozenset        # the adversary's knowledge closure
    fired: tuple            # transitions the pass took (indices into g.transitions)
    stats: dict = field(default_factory=dict)

    def facts(self) -> int:
        return len(self.reached) + len(self.flying) + len(self.terms)


def saturate(system: SmtSystem, limit: int = 200_000, max_transitions: int = 25_000,
             max_states: int = MAX_UNIT_STATES) -> Fixpoint:
    """Ground `system` with unbounded injections and compute the fixpoint.
    Raises RuntimeError where the grounding exceeds its limits."""
    start = time.perf_counter()
    g = ground(system, UNBOUNDED_MOVES, limit, max_transitions, max_states=max_states)
    grounded = time.perf_counter()
    earliest, level, reached, flying = _levels(g, g.transitions)
    fired = tuple(i for i, e in enumerate(earliest) if e is not None)
    stats = dict(g.stats, ground_seconds=grounded - start, fixpoint_seconds=time.perf_counter() - grounded,
                 fired=len(fired))
    return Fixpoint(g, frozenset(reached), frozenset(flying), frozenset(level), fired, stats)
