"""`ppverify export --format smtlib`: every proof obligation of the SMT
engine as an SMT-LIB 2 file another solver can re-check.

One file per (threat model, property): the grounded system unrolled to the
bound, and the assertion that the property fails within it. `unsat` means
proved within the bound. z3's own answer is recorded as `:status`.
"""
from __future__ import annotations

import re
from pathlib import Path

import z3

from proofs.check import symbolic_model
from proofs.ground import ground
from proofs.smt import Encoding, _any
from proofs.system import PPSystem


def obligations(system, props, bound: int, max_moves: int, ground_limit: int = 50_000):
    """(property, SMT-LIB text, z3's answer) for each property with an encoding."""
    g = ground(system, max_moves, ground_limit)
    enc = Encoding(g, {p: system.smt_encoding(p) for p in props}, max_moves)
    per_step = [dict(zip(enc.props, enc.add_step())) for _ in range(bound)]
    system_constraints = list(enc.s.log)
    for p in enc.props:
        goal = _any(d[p] for d in per_step)
        s = z3.Solver()
        s.add(system_constraints)
        s.add(goal)
        answer = str(enc.s.check(goal))
        text = s.to_smt2().replace("(set-info :status unknown)",
                                   f"(set-logic QF_BV)\n(set-info :status {answer})")
        yield p, text, answer


def export_smtlib(scenarios, props, bound: int, max_moves: int, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for sc in scenarios:
        system = PPSystem(symbolic_model(sc))
        for p, text, answer in obligations(system, props, bound, max_moves):
            name = re.sub(r"[^A-Za-z0-9_.+-]", "_", f"{sc.threat}__{p}__k{bound}.smt2")
            header = (f"; ppverify proof obligation: property {p} under threat {sc.threat}\n"
                      f"; scenario {sc.describe()}; bound {bound} steps, <= {max_moves} injections\n"
                      f"; unsat = no violation within the bound; z3 says {answer}\n")
            path = out / name
            path.write_text(header + text)
            written.append(path)
    return written
