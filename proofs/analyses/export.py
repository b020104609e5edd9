"""`ppverify export --format smtlib`: every proof obligation of the SMT
engine as an SMT-LIB 2 file another solver can re-check.

One file per (threat model, property): the grounded system unrolled to the
bound, and the assertion that the property fails within it. `unsat` means
proved within the bound. A second file per property is the induction
obligation: one step from any state inside the relaxed reachable set that
leaves it or violates the property; `unsat` means proved for runs of any
length (see `proofs.smt.invariant_proofs`). z3's own answer is recorded as
`:status`.
"""
from __future__ import annotations

import re
from pathlib import Path

import z3

from ppverify.proofs.analyses.check import symbolic_model
from ppverify.proofs.engines.ground import ground
from ppverify.proofs.engines.smt import Encoding, _any
from ppverify.proofs.pp.system import PPSystem


def obligations(system, props, bound: int, max_moves: int, ground_limit: int = 50_000):
    """(property, SMT-LIB text, z3's answer) for each property with an encoding."""
    g = ground(system, max_moves, ground_limit)
    enc = Encoding(g, {p: system.smt_encoding(p) for p in props}, max_moves)
    per_step = [dict(zip(enc.props, enc.add_step())) for _ in range(bound)]
    system_constraints = list(enc.s.log)
    for p in enc.props:
        goal = _any(d[p] for d in per_step)
        answer = str(enc.s.check(goal))
        yield p, _smtlib(system_constraints, goal, answer), answer


def _smtlib(constraints, goal, answer: str) -> str:
    s = z3.Solver()
    s.add(constraints)
    s.add(goal)
    return s.to_smt2().replace("(set-info :status unknown)", f"(set-logic QF_BV)\n(set-info :status {answer})")


def induction_obligations(system, props, max_moves: int, ground_limit: int = 50_000):
    """(property, SMT-LIB text, z3's answer) of the induction step per property."""
    g = ground(system, max_moves, ground_limit)
    encs = {p: system.smt_encoding(p) for p in props}
    enc = Encoding(g, {p: e for p, e in encs.items() if e not in (None, ("link",), ("never",))},
                   max_moves, free=True)
    bad = dict(zip(enc.props, enc.add_step()))
    leaves = z3.Not(enc.inside(1))
    for p in enc.props:
        goal = z3.Or(leaves, bad[p])
        answer = str(enc.s.check(goal))
        yield p, _smtlib(list(enc.s.log), goal, answer), answer


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
        for p, text, answer in induction_obligations(system, props, max_moves):
            name = re.sub(r"[^A-Za-z0-9_.+-]", "_", f"{sc.threat}__{p}__inductive.smt2")
            header = (f"; ppverify induction obligation: property {p} under threat {sc.threat}\n"
                      f"; scenario {sc.describe()}; one step from any state of the relaxed reachable set, "
                      f"<= {max_moves} injections\n"
                      f"; unsat = the set is inductive and excludes every violation; z3 says {answer}\n")
            path = out / name
            path.write_text(header + text)
            written.append(path)
    return written
