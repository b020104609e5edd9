"""Proof obligations exported as SMT-LIB 2 re-check with another solver
(cvc5) and give z3's answers."""
from pathlib import Path

import pytest

from ppverify.proofs.cli.main import main
from ppverify.proofs.analyses.export import obligations
from ppverify.proofs.engines.textbook import PROPERTIES, Textbook

cvc5 = pytest.importorskip("cvc5")


def cvc5_answer(text: str, name: str) -> str:
    tm = cvc5.TermManager()
    solver, sm = cvc5.Solver(tm), cvc5.SymbolManager(tm)
    parser = cvc5.InputParser(solver, sm)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text, name)
    out = []
    while True:
        cmd = parser.nextCommand()
        if cmd.isNull():
            return " ".join(out)
        r = cmd.invoke(solver, sm).strip()
        if r:
            out.append(r)


def test_cvc5_agrees_on_textbook_obligations():
    answers = {}
    for prop, text, z3_says in obligations(Textbook(lowe=False), tuple(PROPERTIES), 4, 2):
        assert "(set-logic QF_BV)" in text and f"(set-info :status {z3_says})" in text
        answers[prop] = (z3_says, cvc5_answer(text, prop))
    assert answers["responder-secrecy"] == ("sat", "sat")      # Lowe's attack, 4 steps
    assert answers["initiator-secrecy"] == ("unsat", "unsat")
    assert all(z == c for z, c in answers.values()), answers


def test_export_command_writes_files_that_cvc5_rechecks(tmp_path: Path):
    out = tmp_path / "smt"
    assert main(["export", "--threat", "cdn", "--property", "key-consistency",
                 "--property", "request-secrecy", "--bound", "6", "--output", str(out)]) == 0
    files = sorted(out.glob("*.smt2"))
    assert [f.name for f in files] == ["cdn__key-consistency__inductive.smt2", "cdn__key-consistency__k6.smt2",
                                       "cdn__request-secrecy__inductive.smt2", "cdn__request-secrecy__k6.smt2"]
    # the invariant proves request-secrecy for runs of any length, and cannot prove what fails
    assert "(set-info :status unsat)" in (out / "cdn__request-secrecy__inductive.smt2").read_text()
    assert "(set-info :status sat)" in (out / "cdn__key-consistency__inductive.smt2").read_text()
    for f in files:
        text = f.read_text()
        status = "sat" if "(set-info :status sat)" in text else "unsat"
        assert cvc5_answer(text, f.name) == status, f.name
