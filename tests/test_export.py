"""Proof obligations exported as SMT-LIB 2: written without solving unless
asked, only for properties the SMT engine encodes, and, solved, re-checked
by another solver (cvc5) with z3's answers."""
from pathlib import Path

import pytest

from ppverify.proofs.analyses.export import obligations
from ppverify.proofs.cli.main import main
from ppverify.proofs.engines.textbook import PROPERTIES, Textbook
from ppverify.proofs.pp.encodings import LINK_FACTS
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES

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
    for prop, text, z3_says in obligations(Textbook(lowe=False), tuple(PROPERTIES), 4, 2, solve=True):
        assert "(set-logic QF_BV)" in text and f"(set-info :status {z3_says})" in text
        answers[prop] = (z3_says, cvc5_answer(text, prop))
    assert answers["responder-secrecy"] == ("sat", "sat")      # Lowe's attack, 4 steps
    assert answers["initiator-secrecy"] == ("unsat", "unsat")
    assert all(z == c for z, c in answers.values()), answers


def test_unsolved_obligations_say_so():
    for prop, text, answer in obligations(Textbook(lowe=False), tuple(PROPERTIES), 4, 2):
        assert answer == "unknown" and "(set-info :status unknown)" in text, prop


def test_export_command_writes_files_that_cvc5_rechecks(tmp_path: Path):
    out = tmp_path / "smt"
    assert main(["export", "--threat", "cdn", "--property", "key-consistency",
                 "--property", "request-secrecy", "--bound", "6", "--output", str(out), "--solve"]) == 0
    files = sorted(out.glob("*.smt2"))
    assert [f.name for f in files] == ["cdn__key-consistency__inductive.smt2", "cdn__key-consistency__k6.smt2",
                                       "cdn__request-secrecy__inductive.smt2", "cdn__request-secrecy__k6.smt2"]
    # the invariant proves request-secrecy for runs of any length, and cannot prove what fails
    assert "(set-info :status unsat)" in (out / "cdn__request-secrecy__inductive.smt2").read_text()
    assert "(set-info :status sat)" in (out / "cdn__key-consistency__inductive.smt2").read_text()
    for f in files:
        text = f.read_text()
        status = "sat" if "(set-info :status sat)" in text else "unsat"
        assert f"z3 says {status}" in text.splitlines()[2]
        assert cvc5_answer(text, f.name) == status, f.name


def test_export_writes_no_obligation_for_a_property_not_encoded(tmp_path: Path):
    """The link facts have no z3 formula (settled on the grounding, or not
    encoded): no file, rather than one whose `unsat` would claim a proof."""
    out = tmp_path / "smt"
    assert main(["export", "--threat", "cdn", "--output", str(out)]) == 0
    written = {f.name.split("__")[1] for f in out.glob("*.smt2")}
    assert written == set(PROPERTY_NAMES) - set(LINK_FACTS)
    for f in out.glob("*.smt2"):
        text = f.read_text()
        assert "(set-info :status unknown)" in text and "not solved" in text.splitlines()[2], f.name
