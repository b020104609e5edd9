"""JSON: the versioned machine form of each command's results (`check`'s
against schema/check-result.schema.json). `check --format json` must stay
byte-identical across refactorings: CI diffs it."""
from __future__ import annotations

import json

from typing import Optional, Sequence

from ppverify.proofs.analyses.hardened import Derivation
from ppverify.proofs.analyses.lattice import LatticeReport, coalition_order
from ppverify.proofs.analyses.mutate import MutateReport
from ppverify.proofs.analyses.remediation import Remediation
from ppverify.proofs.core.verdicts import Result
from ppverify.proofs.render.base import Checked, Renderer, strength_word
from ppverify.proofs.render.fixes import remediation_json
from ppverify.proofs.render.necessity import silent_reason


def results_json(results: list[Result], remediation: Optional[Remediation] = None) -> str:
    """`remediation`, when computed, is added as the `remediation` object (schema/)."""
    out: dict = {"version": 1, "results": [r.to_json() for r in results]}
    if remediation is not None:
        out["remediation"] = remediation_json(remediation)
    return json.dumps(out, indent=2)


def simulate_json(res) -> str:
    """`res`: a `protocol.simulate` run."""
    return json.dumps({"version": 1, "answer_correct": res.answer_correct,
                       "parties": {p: {"saw_request": res.saw_request[p],
                                       "saw_response": res.saw_response[p]} for p in res.saw_request},
                       "retained_after_teardown": res.retained,
                       "seconds": round(res.seconds, 4), "crypto_seconds": round(res.crypto_seconds, 4)},
                      indent=2)


def derivation_json(d: Derivation) -> dict:
    cell = lambda c: {"property": c[0], "threat": c[1]}  # noqa: E731
    return {"threats": list(d.threats), "search": dict(d.search), "rule": d.rule, "holds": d.holds,
            "chosen": list(d.chosen.change.parts), "baseline": list(d.change.parts), "why": d.why(),
            "candidates": [{"change": list(c.change.parts), "violated": [cell(x) for x in c.violated],
                            "not_proved": [cell(x) for x in c.unproved], "proved": c.proved,
                            "reused": list(c.reused)} for c in d.candidates]}


def _mutate_one(rep: MutateReport, reasons: dict, other: Optional[MutateReport]) -> dict:
    return {"baseline": rep.name, "change": list(rep.change.parts), "threats": list(rep.threats),
            "properties": list(rep.properties), "engine": rep.engine, "max_states": rep.max_states,
            "baseline_max_states": rep.baseline_states, "max_moves": rep.max_moves, "checks_run": rep.ran,
            "skipped": [list(s) for s in rep.skipped], "seconds": round(rep.seconds, 2),
            "derivation": derivation_json(rep.derivation) if rep.derivation is not None else None,
            "mutations": [{"mutation": n, "attacks": [
                {"property": a.property, "threat": a.threat, "steps": a.steps,
                 "stopped_on_baseline": a.stopped_on_baseline,
                 "baseline_verdict": strength_word(a.kept) if a.kept is not None else None,
                 "baseline_coverage": a.kept.coverage.to_json() if a.kept is not None and a.kept.coverage else None,
                 "coverage": a.coverage.to_json() if a.coverage is not None else None,
                 "trace": a.trace.to_json()} for a in attacks],
                "searched": rep.reach.get(n, {}),
                "undecided": [{"property": p, "threat": t, "reason": why} for p, t, why in rep.undecided.get(n, [])],
                "no_attack": (None if attacks else dict(zip(("kind", "why"), silent_reason(n, rep, reasons, other))))}
                for n, attacks in rep.attacks.items()]}


def mutate_json(reports: Sequence[MutateReport], reasons: dict) -> str:
    """Version 2: one object per baseline (version 1 had one baseline, the published design)."""
    hardened = next((r for r in reports if r.name == "hardened"), None)
    return json.dumps({"version": 2, "baselines": [
        _mutate_one(r, reasons, hardened if r.name == "published" else None) for r in reports]}, indent=2)


def lattice_json(rep: LatticeReport) -> str:
    return json.dumps({"version": 1, "actors": list(rep.actors), "max_states": rep.max_states,
            "explored": rep.explored, "saved": rep.saved, "seconds": round(rep.seconds, 2),
            "unbounded": rep.unbounded, "inconclusive": [rep.name(c) for c in rep.inconclusive()],
            "gave_up": [{"threat": rep.name(c), "reason": why, "inconclusive_above": n}
                        for c, why, n in rep.gave_up_first()],
            "breaches": rep.breaches,
            "properties": {p: {"minimal_breaking": [rep.name(c) for c in rep.minimal_breaking(p)],
                               "maximal_holding": [{"threat": rep.name(c), "exhaustive": ex}
                                                   for c, ex in rep.maximal_holding(p)]}
                           for p in rep.properties},
            "cells": [{"property": p, "threat": rep.name(c), "verdict": v.verdict.value, "how": v.how,
                       "exhaustive": v.exhaustive, "every_size": v.every_size,
                       **({"reason": v.reason} if v.reason else {})} for (p, c), v in sorted(
                           rep.cells.items(), key=lambda kv: (kv[0][0], coalition_order(kv[0][1])))]}, indent=2)


FORMAT: Renderer[Checked] = Renderer("json", "versioned JSON (schema/check-result.schema.json)",
                                     lambda c: results_json(list(c.results), c.remediation))
