"""JSON: the versioned machine form of each command's results (`check`'s
against schema/check-result.schema.json). `check --format json` must stay
byte-identical across refactorings: CI diffs it."""
from __future__ import annotations

import json

from ppverify.proofs.analyses.lattice import LatticeReport, coalition_order
from ppverify.proofs.analyses.mutate import NO_ATTACK, MutateReport
from ppverify.proofs.core.verdicts import Result
from ppverify.proofs.render.base import Checked, Renderer


def results_json(results: list[Result]) -> str:
    return json.dumps({"version": 1, "results": [r.to_json() for r in results]}, indent=2)


def simulate_json(res) -> str:
    """`res`: a `protocol.simulate` run."""
    return json.dumps({"version": 1, "answer_correct": res.answer_correct,
                       "parties": {p: {"saw_request": res.saw_request[p],
                                       "saw_response": res.saw_response[p]} for p in res.saw_request},
                       "retained_after_teardown": res.retained,
                       "seconds": round(res.seconds, 4), "crypto_seconds": round(res.crypto_seconds, 4)},
                      indent=2)


def mutate_json(rep: MutateReport) -> str:
    return json.dumps({"version": 1, "threats": list(rep.threats), "properties": list(rep.properties),
            "max_states": rep.max_states, "baseline_max_states": rep.baseline_states, "checks_run": rep.ran,
            "skipped": [list(s) for s in rep.skipped], "seconds": round(rep.seconds, 2),
            "mutations": [{"mutation": n, "attacks": [
                {"property": a.property, "threat": a.threat, "stopped_on_baseline": a.stopped_on_baseline,
                 "trace": a.trace.to_json()} for a in attacks],
                "undecided": [{"property": p, "threat": t, "reason": why} for p, t, why in rep.undecided.get(n, [])],
                "no_attack": (None if attacks or rep.undecided.get(n) else dict(zip(("kind", "why"), NO_ATTACK.get(n, ("unexplained", "")))))}
                for n, attacks in rep.attacks.items()]}, indent=2)


def lattice_json(rep: LatticeReport) -> str:
    return json.dumps({"version": 1, "actors": list(rep.actors), "max_states": rep.max_states,
            "explored": rep.explored, "saved": rep.saved, "seconds": round(rep.seconds, 2),
            "breaches": rep.breaches,
            "properties": {p: {"minimal_breaking": [rep.name(c) for c in rep.minimal_breaking(p)],
                               "maximal_holding": [{"threat": rep.name(c), "exhaustive": ex}
                                                   for c, ex in rep.maximal_holding(p)]}
                           for p in rep.properties},
            "cells": [{"property": p, "threat": rep.name(c), "verdict": v.verdict.value, "how": v.how,
                       "exhaustive": v.exhaustive} for (p, c), v in sorted(
                           rep.cells.items(), key=lambda kv: (kv[0][0], coalition_order(kv[0][1])))]}, indent=2)


FORMAT: Renderer[Checked] = Renderer("json", "versioned JSON (schema/check-result.schema.json)",
                                     lambda c: results_json(list(c.results)))
