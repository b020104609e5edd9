"""`ppverify export --format smtlib`: every proof obligation of the SMT
engine as an SMT-LIB 2 file another solver can re-check.

One file per (threat model, property the engine encodes in z3): the grounded
system unrolled to the bound, and the assertion that the property fails
within it. `unsat` means proved within the bound. A second file per property
is the induction obligation: one step from any state inside the relaxed
reachable set that leaves it or violates the property; `unsat` means proved
for runs of any length (see `engines.smt.invariant_proofs`). A property with
no z3 formula (a link fact: settled on the grounding or not encoded) gets no
file. Writing takes seconds; with `solve`, z3 answers each obligation first
(minutes) and its answer is recorded as `:status`, else the status is
`unknown`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import z3

from ppverify.proofs.core.encodings import Never, Unsettled, bounded
from ppverify.proofs.core.system import SmtSystem
from ppverify.proofs.engines.ground import ground
from ppverify.proofs.engines.smt import Encoding, any_of
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.system import PPSystem

UNKNOWN = "unknown"   # the status of an obligation not solved


def encoded(system: SmtSystem, props, g) -> dict:
    """The properties with a z3 formula on the grounding `g`, and their encodings."""
    encs = bounded(system.refine({p: system.smt_encoding(p) for p in props}, g))
    return {p: e for p, e in encs.items() if e is not None and not isinstance(e, (Never, Unsettled))}


def obligations(system: SmtSystem, props, bound: int, max_moves: int, ground_limit: int = 50_000,
                solve: bool = False) -> Iterator[tuple[str, str, str]]:
    """(property, SMT-LIB text, z3's answer or "unknown" unless `solve`) for
    each property with a z3 formula: it fails within `bound` steps."""
    g = ground(system, max_moves, ground_limit)
    enc = Encoding(g, encoded(system, props, g), max_moves)
    per_step = [dict(zip(enc.props, enc.add_step())) for _ in range(bound)]
    system_constraints = list(enc.s.log)
    for p in enc.props:
        goal = any_of(d[p] for d in per_step)
        answer = str(enc.s.check(goal)) if solve else UNKNOWN
        yield p, _smtlib(system_constraints, goal, answer), answer


def induction_obligations(system: SmtSystem, props, max_moves: int, ground_limit: int = 50_000,
                          solve: bool = False) -> Iterator[tuple[str, str, str]]:
    """(property, SMT-LIB text, z3's answer or "unknown") of the induction step per property."""
    g = ground(system, max_moves, ground_limit)
    enc = Encoding(g, encoded(system, props, g), max_moves, free=True)
    bad = dict(zip(enc.props, enc.add_step()))
    leaves = z3.Not(enc.region.inside(1))
    for p in enc.props:
        goal = z3.Or(leaves, bad[p])
        answer = str(enc.s.check(goal)) if solve else UNKNOWN
        yield p, _smtlib(list(enc.s.log), goal, answer), answer


def _smtlib(constraints, goal, answer: str) -> str:
    s = z3.Solver()
    s.add(constraints)
    s.add(goal)
    return s.to_smt2().replace("(set-info :status unknown)", f"(set-logic QF_BV)\n(set-info :status {answer})")


def _said(answer: str) -> str:
    return "not solved (status unknown)" if answer == UNKNOWN else f"z3 says {answer}"


def _write(out: Path, name: str, header: str, text: str) -> Path:
    path = out / re.sub(r"[^A-Za-z0-9_.+-]", "_", name)
    path.write_text(header + text)
    return path


def export_smtlib(scenarios, props, bound: int, max_moves: int, out: Path, solve: bool = False) -> list[Path]:
    """Write the obligations of every scenario under `out`; with `solve`, z3's answers as `:status`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for sc in scenarios:
        system = PPSystem(symbolic_model(sc))
        for p, text, answer in obligations(system, props, bound, max_moves, solve=solve):
            header = (f"; ppverify proof obligation: property {p} under threat {sc.threat}\n"
                      f"; scenario {sc.describe()}; bound {bound} steps, <= {max_moves} injections\n"
                      f"; unsat = no violation within the bound; {_said(answer)}\n")
            written.append(_write(out, f"{sc.threat}__{p}__k{bound}.smt2", header, text))
        for p, text, answer in induction_obligations(system, props, max_moves, solve=solve):
            header = (f"; ppverify induction obligation: property {p} under threat {sc.threat}\n"
                      f"; scenario {sc.describe()}; one step from any state of the relaxed reachable set, "
                      f"<= {max_moves} injections\n"
                      f"; unsat = the set is inductive and excludes every violation; {_said(answer)}\n")
            written.append(_write(out, f"{sc.threat}__{p}__inductive.smt2", header, text))
    return written
