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
from ppverify.proofs.engines.ground import ground
from ppverify.proofs.engines.grounded import Ground
from ppverify.proofs.engines.smt.state import _levels

# an injection count no history reaches: the grounding's walk never stops on it
UNBOUNDED_MOVES = 1 << 20


@dataclass(frozen=True)
class Limits:
    """How large the grounding may grow before it gives up: a cost rule, never a verdict."""
    unit_states: int    # local states of one unit
    transitions: int


# The engine's own limits (`--engine horn`, and `auto` once its quick budget gave up). Measured: every
# grounding that completes with one client stays under 130 states per unit (network 104, network+hw-vendor
# 104 at 16,440 transitions, network+relay 126, meta-insider with a fixed binder 37-53), except the
# published binder under meta-insider, whose orchestrator slots hold the product of adversary-chosen
# client randoms and peer key shares: 974 states per slot, 40,885 transitions (with cdn 41,782; with
# relay 1,088 and 48,437). Those that fail pass them in the slots of the images a meta-insider launches
# with hw-vendor or network, or in the gateway's slots under relay+cdn.
LIMITS = Limits(1_500, 60_000)


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


def saturate(system: SmtSystem, limits: Limits = LIMITS, histories: int = 200_000) -> Fixpoint:
    """Ground `system` with unbounded injections and compute the fixpoint.
    Raises RuntimeError where the grounding exceeds its limits, `ground.Truncated`
    at the first injection enumeration cut by its budget (nothing is proved then)."""
    start = time.perf_counter()
    g = ground(system, UNBOUNDED_MOVES, histories, limits.transitions, max_states=limits.unit_states,
               stop_truncated=True)
    grounded = time.perf_counter()
    earliest, level, reached, flying = _levels(g, g.transitions)
    fired = tuple(i for i, e in enumerate(earliest) if e is not None)
    stats = dict(g.stats, ground_seconds=grounded - start, fixpoint_seconds=time.perf_counter() - grounded,
                 fired=len(fired))
    return Fixpoint(g, frozenset(reached), frozenset(flying), frozenset(level), fired, stats)
