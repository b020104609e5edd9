"""The hardened baseline: the published design with the smallest parameter
change under which every property holds under every threat model of the run
(by default the stated trust model), derived from verdicts checked here,
never written down beforehand.

Candidates: the design as it is, then each other value of each parameter,
binder values first (`changes.parameter_changes`). Each is checked, every
property under each threat model, at the baseline's depth. The winner is the
least by `RULE`. When even the winner has a violated cell, no single change
makes every property hold: `Derivation.holds` is false, the winner is the
change with the fewest remaining violations, and they stay listed (the
report says so; nothing pretends they hold). A depth-bounded cell ("no attack
within N steps") is not a violation, but it is not a proof either: rule 2
ranks stronger evidence before fewer changes, so a design whose searches are
cut (a larger state space) never wins over one proved for every run of its
scenario only because fewer attacks were found in it.

Sound skip: a candidate whose parameter the base design never reads under a
threat model has the base's verdicts there (the same exploration, step for
step), so it is not re-run (`Candidate.reused`)."""
from __future__ import annotations

from concurrent.futures import as_completed
from dataclasses import dataclass
from typing import Sequence

from ppverify.proofs.analyses.changes import NONE, Change, parameter_changes
from ppverify.proofs.analyses.checks import Ask, Checks, Search
from ppverify.proofs.core.verdicts import Result, Standing, Violated, standing

RULE = ("fewest violated cells; then fewest cells not proved (depth-bounded or inconclusive: a cell whose "
        "search was cut is not counted as holding); then fewest parameters changed; then the order tried: binder "
        "values first, each parameter's values in the catalogue's order (protocol/controls.py, binders from the "
        "least bound to the most)")

Cell = tuple[str, str]   # (property, threat)


@dataclass(frozen=True)
class Candidate:
    change: Change                  # from the base design
    violated: tuple[Cell, ...]
    unproved: tuple[Cell, ...]      # neither violated nor proved: depth-bounded or inconclusive
    proved: int
    reused: tuple[str, ...] = ()    # threat models where the parameter is never read: the base's verdicts

    def key(self, index: int) -> tuple:
        return (len(self.violated), len(self.unproved), self.change.size, index)


@dataclass(frozen=True)
class Derivation:
    threats: tuple[str, ...]
    candidates: tuple[Candidate, ...]   # in the order tried
    chosen: Candidate
    base: Change = NONE
    search: tuple[tuple[str, object], ...] = ()   # Search.describe() items
    rule: str = RULE

    @property
    def holds(self) -> bool:
        """Every property holds (no violated cell) under the chosen change."""
        return not self.chosen.violated

    @property
    def proved(self) -> bool:
        """Every cell proved under the chosen change (not only without a violation)."""
        return self.holds and not self.chosen.unproved

    @property
    def change(self) -> Change:
        """The hardened baseline, as a change from the published design."""
        return self.chosen.change.over(self.base)

    def why(self) -> str:
        c = self.chosen
        others = [x for x in self.candidates if x is not c]
        fewer = sum(len(x.violated) > len(c.violated) for x in others)
        verdict = ("every property is proved under it" if self.proved else
                   "every property holds under it (no violated cell)" if self.holds else
                   f"NO single parameter change makes every property hold: {len(c.violated)} violated "
                   f"cell(s) remain under it, the fewest of any candidate ({_cells(c.violated)})")
        return (f"{c.change.label}: {verdict}; {fewer} of the {len(others)} other candidates leave more "
                f"violations; {len(c.unproved)} cell(s) depth-bounded or inconclusive, not proved")


def _cells(cells: Sequence[Cell]) -> str:
    return ", ".join(f"{p} under {t}" for p, t in cells)


def choose(candidates: Sequence[Candidate]) -> Candidate:
    """The least candidate by `RULE` (its index in `candidates` breaks the last tie)."""
    return min(enumerate(candidates), key=lambda ic: ic[1].key(ic[0]))[1]


def candidate(change: Change, by_threat: dict[str, Sequence[Result]], reused: Sequence[str] = ()) -> Candidate:
    violated, unproved, proved = [], [], 0
    for t, results in by_threat.items():
        for r in results:
            s = standing(r.verdict)
            if isinstance(r.verdict, Violated):
                violated.append((r.property, t))
            elif s in (Standing.EVERY_SIZE, Standing.SCENARIO):
                proved += 1
            else:
                unproved.append((r.property, t))
    return Candidate(change, tuple(violated), tuple(unproved), proved, tuple(reused))


def derive(checks: Checks, threats: Sequence[str], properties: Sequence[str], search: Search,
           base: Change = NONE) -> Derivation:
    """Check `base` and each single parameter change over it; choose by `RULE`."""
    threats, props = tuple(threats), tuple(properties)
    base_f = {t: checks.submit(Ask(base, t, props, search)) for t in threats}
    tries = [NONE] + list(parameter_changes(base))
    asks = {}
    for f in as_completed(list(base_f.values())):   # a threat model's candidates start once its base is in
        t = next(t for t, g in base_f.items() if g is f)
        asks.update({(c, t): checks.submit(Ask(c.over(base), t, props, search))
                     for c in tries[1:] if c.touched & f.result().read})
    found = []
    for c in tries:
        by_threat, reused = {}, []
        for t in threats:
            if c is NONE or (c, t) not in asks:
                by_threat[t] = base_f[t].result().results
                reused += [t] if c is not NONE else []
            else:
                by_threat[t] = asks[(c, t)].result().results
        found.append(candidate(c, by_threat, reused))
    return Derivation(threats, tuple(found), choose(found), base, tuple(search.describe().items()))
