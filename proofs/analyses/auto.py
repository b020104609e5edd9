"""The `auto` engine's rules, beside the orchestration in `analyses.check`.

`auto` asks the unbounded engine (horn) first, within a budget of model
steps, of actions considered and of the grounding's size (`Budget`,
`StepBudget`: past it the grounding fails and the cell is left open, never
proved); every cell it leaves neither proved nor violated, and every
candidate it reports, goes to the bounded engines. Budgets are tried in
turn (`BUDGETS`): a cell the quick one gave up on, and the bounded engines
found no attack on, is asked again with the deep one, so a grounding that
takes half a minute is paid for only where it can still decide something. `settle` then
keeps, per cell, the strongest verdict the evidence supports (`RANK`), and
never picks one of two contradicting verdicts: a proof of a cell where a
bounded engine found an attack that replays is a soundness bug of the
proving engine (`UnsoundProof`, exit 2), reported with both.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from ppverify.proofs.core.verdicts import Inconclusive, Proved, Result, Standing, Violated, standing
from ppverify.proofs.engines.horn.fixpoint import LIMITS, Limits

# which of two verdicts on one property is kept: the strongest (`combine`, `settle`)
RANK = (Standing.OPEN, Standing.DEPTH_BOUNDED, Standing.SCENARIO, Standing.EVERY_SIZE, Standing.VIOLATED)

@dataclass(frozen=True)
class Budget:
    """What `auto` lets the unbounded engine's grounding spend before the cell goes to the bounded engines:
    model steps (refused messages, and messages that only open a slot already started, are skipped
    without a step: `engines.ground`), actions considered (each delivery and injection candidate
    offered to a unit's state, stepped or not), and the grounding's size. A budget never proves anything."""
    name: str
    steps: int
    actions: int
    limits: Limits


# First a quick budget, which settles every grounding measured to complete in it in seconds. Measured on
# the abstraction (`pp.abstraction`), published design, steps: network 22,298, relay 6,974, cdn 4,794;
# meta-insider with binder=client-random+server-key 20,916, handshake-key and exporter 15,576;
# network+hw-vendor 33,556 (12 s, 430 MB, every cell decided), with cdn 37,710. Actions: network 11,934,
# meta-insider with a fixed binder 8,603-12,221, relay 3,964, network+relay 353,134, network+hw-vendor
# 155,518 (which completes, past the step budget). Units stay under 130 local states there.
QUICK = Budget("quick", 40_000, 1_000_000, Limits(400, 25_000))
# Then, for the cells the quick budget gave up on and the bounded engines found no attack on, the
# engine's own limits (`fixpoint.LIMITS`) with room for the published binder under meta-insider:
# 199,299 steps and 1.3 million actions (25 s, 490 MB; with relay 236,001 and 2.97 million, 39 s; with
# cdn 217,089 and 1.6 million). relay+cdn passes 4 million actions before it gives up (about 10 s).
DEEP = Budget("deep", 300_000, 4_000_000, LIMITS)
BUDGETS = (QUICK, DEEP)


def per_engine(named) -> dict:
    """What each engine of (name, Result) pairs said of one cell, for a combined Result's `extra`: its
    verdict ("engines"), its own strength ("standings") and, where inconclusive, its reason ("reasons")."""
    named = list(named)
    return {"engines": {n: r.verdict.verdict for n, r in named},
            "standings": {n: standing(r.verdict) for n, r in named},
            "reasons": {n: r.verdict.reason for n, r in named if isinstance(r.verdict, Inconclusive)}}


class UnsoundProof(RuntimeError):
    """One engine proved a cell where another found an attack that replays."""


class StepBudget:
    """`system` for the unbounded engine, failing its grounding (a RuntimeError,
    which the engine reports as an open cell) past `limit` steps or past
    `actions` actions considered (`enabled`)."""

    def __init__(self, system, limit: int, actions: int = QUICK.actions):
        self._system, self._limit, self._actions, self.steps, self.considered = system, limit, actions, 0, 0

    def __getattr__(self, name):
        return getattr(self._system, name)

    def step(self, w, action):
        self.steps += 1
        if self.steps > self._limit:
            raise RuntimeError(f"past the auto engine's budget of {self._limit:,} model steps; "
                               "the bounded engines decide")
        return self._system.step(w, action)

    def enabled(self, *args, **kwargs):
        for a in self._system.enabled(*args, **kwargs):
            self.considered += 1
            if self.considered > self._actions:
                raise RuntimeError(f"past the auto engine's budget of {self._actions:,} actions considered; "
                                   "the bounded engines decide")
            yield a


def _describe(r: Result) -> str:
    v = r.verdict
    if isinstance(v, Violated):
        return f"{v.engine} found an attack that replays ({len(v.trace.steps)} steps: {v.trace.explanation})"
    if isinstance(v, Proved):
        return f"{v.engine} proved it ({standing(v).value}: {v.note})"
    return f"{v.engine} says {v.verdict}"


def settle(first: Result, bounded: Optional[Result]) -> Result:
    """One cell from the unbounded engine's verdict (`first`) and the bounded
    engines' on the same property (`bounded`, None when they did not run):
    the stronger one, the bounded one on a tie (it is what the cell was left
    to, and what `check` reported before `auto`); each engine's own verdict
    and strength in `extra` ("engines", "standings"). Raises UnsoundProof
    when one proves what the other refutes."""
    runs = [r for r in (first, bounded) if r is not None]
    kinds = {type(r.verdict) for r in runs}
    if {Proved, Violated} <= kinds:
        raise UnsoundProof(f"soundness bug: {first.property} under {first.threat}: "
                           + "; but ".join(_describe(r) for r in runs))
    pick = first if bounded is None or RANK.index(standing(first.verdict)) > RANK.index(standing(bounded.verdict)) \
        else bounded
    names = ["horn"] + ([] if bounded is None else [bounded.verdict.engine])
    extra = dict(pick.extra, **per_engine(zip(names, runs)))
    if "horn_budget" in first.extra:   # the budget the unbounded engine's verdict was reached within
        extra["horn_budget"] = first.extra["horn_budget"]
    if pick is not first:
        extra["horn"] = {k: v for k, v in first.extra.items() if k not in ("engines", "standings")}
    return replace(pick, partner_reached=any(r.partner_reached for r in runs), extra=extra)
