"""`ppverify export`: the SMT engine's proof obligations as SMT-LIB 2 files."""
from __future__ import annotations

import sys
from pathlib import Path

from ppverify.proofs.analyses.export import export_smtlib
from ppverify.proofs.cli import exits
from ppverify.proofs.cli.common import add_command, at_least, make_scenario, properties, scenario_args, writable_dir
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.protocol.controls import STATED_THREATS, threat

DESCRIPTION = """\
Write every proof obligation of the SMT engine as an SMT-LIB 2 file another
solver can re-check: per (threat model, property), the grounded system
unrolled to the bound with the assertion that the property fails within it
(unsat = proved within the bound), and the induction obligation (unsat =
proved for runs of any length).

example:
  ppverify export --threat network --property request-secrecy --output obligations/
  cvc5 obligations/network__request-secrecy__k40.smt2"""


def add_parser(sub) -> None:
    x = add_command(sub, "export", "write the SMT engine's proof obligations as SMT-LIB 2 files", DESCRIPTION)
    scenario_args(x)
    x.add_argument("--format", choices=("smtlib",), default="smtlib", help="output format")
    x.add_argument("--output", required=True, metavar="DIR", help="directory for the .smt2 files")
    x.add_argument("--property", action="append", default=[], metavar="NAME",
                   help="property (repeatable; default all with an SMT encoding): " + ", ".join(PROPERTY_NAMES))
    x.add_argument("--threat", action="append", default=[], metavar="ACTORS",
                   help="threat model (repeatable; default the stated trust model)")
    x.add_argument("--bound", type=at_least(1), default=40, metavar="K", help="unrolling depth in steps")
    x.add_argument("--max-moves", type=at_least(0), default=2, help="adversary injections per path")
    x.add_argument("--solve", action="store_true",
                   help="solve each obligation with z3 to fill in :status (slow)")
    x.set_defaults(run=run)


def run(args) -> int:
    props = properties(args.property)
    scs = [make_scenario(args, str(threat(t))) for t in (args.threat or STATED_THREATS)]
    writable_dir(args.output)   # last of the checks: it creates the folder
    paths = export_smtlib(scs, list(props), args.bound, args.max_moves, Path(args.output), solve=args.solve)
    print(f"wrote {len(paths)} SMT-LIB files to {args.output}", file=sys.stderr)
    return exits.OK
