"""Text of `ppverify mutate`: per baseline, how the hardened one was derived,
the control-necessity grid, each cell's attacks with their coverage, each
mutation's shortest attack or the reason it stops none, and a summary.

Why a mutation stops nothing is computed where it can be: against the
published baseline, a mutation that breaks something against the hardened one
is masked by a finding of the published design. The other reasons are data
(`manifest/defence-in-depth.json`, passed in as `reasons`)."""
from __future__ import annotations

from typing import Optional, Sequence

from ppverify.proofs.analyses.hardened import Derivation
from ppverify.proofs.analyses.mutate import MutateReport, Stopped
from ppverify.proofs.render.base import COVERAGE_LEGEND, coverage_word, depth_bounded, strength_word
from ppverify.proofs.render.text import trace_text
from ppverify.protocol.controls import STATED_THREATS

TAGS = {"defence-in-depth": "defence in depth", "coalition": "needs a coalition", "modelling-gap": "MODELLING GAP",
        "masked": "masked by a finding of the published design", "undecided": "UNDECIDED",
        "unexplained": "UNEXPLAINED"}
REASONS_FILE = "manifest/defence-in-depth.json"


def mutation_label(name: str) -> str:
    """A mutation as the report names it: `ra-tls off`, `binder=none`."""
    return name if "=" in name else f"{name} off"


def baseline_title(rep: MutateReport) -> str:
    what = rep.change.label if rep.change.parts else "no change"
    return f"the {rep.name} baseline ({what})"


def attack_word(a: Stopped) -> str:
    """`meta-insider 27 steps (1/1/1/2/21; baseline <=30)`: threat, length, coverage, how the baseline keeps it."""
    kept = strength_word(a.kept) if a.kept is not None else "?"
    return f"{a.threat} {a.steps} steps ({coverage_word(a.coverage)}; baseline {kept})"


def silent_reason(name: str, rep: MutateReport, reasons: dict,
                  other: Optional[MutateReport] = None) -> tuple[str, str]:
    """(kind, text) for a mutation that breaks nothing against `rep`'s baseline."""
    if rep.undecided.get(name):
        und = rep.undecided[name]
        return "undecided", f"{len(und)} cell(s) inconclusive ({und[0][2]})"
    if rep.name == "published" and other is not None and other.name == "hardened" and other.attacks.get(name):
        s = other.shortest(name)
        return "masked", (f"against the hardened baseline it stops {len(other.attacks[name])} attack(s), the "
                          f"shortest on {s.property} under {s.threat} ({s.steps} steps)")
    if name in reasons:
        return reasons[name].kind, reasons[name].text
    if set(rep.threats) != set(STATED_THREATS):
        return "unexplained", (f"no reason recorded: {REASONS_FILE} explains what breaks nothing under the whole "
                               f"stated trust model, this run covers {', '.join(rep.threats)}")
    return "unexplained", f"no reason recorded in {REASONS_FILE}"


def cut_note(rep: MutateReport, name: str) -> str:
    cut = rep.cut(name)
    return ("; not exhaustive: no attack within " + ", ".join(f"{d} steps under {t}" for t, d in cut.items())
            if cut else "")


def with_cut(why: str, rep: MutateReport, name: str) -> str:
    """A reason, and where the mutant's search was cut (so "stops none" is only "found none so far")."""
    note = cut_note(rep, name)
    return why.rstrip(".") + note + "." if note else why


def derivation_text(d: Derivation) -> str:
    search = dict(d.search)
    lines = [f"hardened baseline, derived over {', '.join(d.threats)} ({search.get('engine')}, state limit "
             f"{search.get('max_states'):,}, <= {search.get('max_moves')} injections):",
             f"  {'candidate':<36}{'violated':>9}{'not proved':>12}{'proved':>8}  reused (parameter never read)"]
    for c in d.candidates:
        mark = "->" if c is d.chosen else "  "
        lines.append(f"{mark}{(c.change.label if c.change.parts else 'no change (the base design)'):<36}"
                     f"{len(c.violated):>9}{len(c.unproved):>12}{c.proved:>8}  {', '.join(c.reused) or '-'}")
    lines += [f"  chosen: {d.why()}", f"  rule: {d.rule}"]
    return "\n".join(lines)


def mutate_matrix_text(rep: MutateReport) -> str:
    """Mutation x property grid: the number of threat models under which the mutant breaks a
    property the baseline keeps ('.' none; '~' some of them kept only within a depth)."""
    cells = rep.cells()
    names = list(rep.attacks)
    w = max([len(mutation_label(n)) for n in names] + [10]) + 2
    lines = [f"control-necessity matrix against {baseline_title(rep)} (cell: threat models under which "
             "switching the control off, or setting the parameter, breaks a property the baseline keeps; "
             "'~': the baseline keeps one of them only within a depth-bounded search)",
             "".ljust(w) + "".join(f"{i + 1:>4}" for i in range(len(rep.properties)))]
    for n in names:
        row = ""
        for p in rep.properties:
            got = cells.get((n, p), [])
            row += f"{(str(len(got)) + ('~' if any(depth_bounded(a.kept) for a in got) else '')) if got else '.':>4}"
        lines.append(mutation_label(n).ljust(w) + row)
    lines.append("")
    lines += [f"{i + 1:>4} = {p}" for i, p in enumerate(rep.properties)]
    return "\n".join(lines)


def mutate_details_text(rep: MutateReport, reasons: dict, other: Optional[MutateReport] = None,
                        traces: bool = False) -> str:
    out = [f"each attack: threat model, trace length ({COVERAGE_LEGEND}; how the baseline keeps the property)"]
    for n, attacks in rep.attacks.items():
        if not attacks:
            kind, why = silent_reason(n, rep, reasons, other)
            out.append(f"{mutation_label(n)}: no attack in this model [{TAGS.get(kind, kind)}] "
                       + with_cut(why, rep, n))
            continue
        out.append(f"{mutation_label(n)}: stops {len(attacks)} attack(s)")
        by_prop: dict = {}
        for a in attacks:
            by_prop.setdefault(a.property, []).append(a)
        for p, got in by_prop.items():
            out.append(f"  {p}: " + ", ".join(attack_word(a) for a in got))
            for a in got:
                if not a.stopped_on_baseline:
                    out.append(f"    [{a.threat}: the trace also runs on the baseline: bound too small]")
                if traces:
                    out.append("    " + trace_text(a.trace).replace("\n", "\n    "))
    return "\n".join(out)


def closing_text(rep: MutateReport, reasons: dict, other: Optional[MutateReport] = None) -> str:
    """For each mutation: the attack it stops against this baseline (its shortest: threat model,
    property, trace length), or why it stops none."""
    w = max([len(mutation_label(n)) for n in rep.attacks] + [10]) + 2
    lines = [f"what each mutation stops against {baseline_title(rep)} (its shortest attack), or why it stops none:"]
    for n in rep.attacks:
        s = rep.shortest(n)
        if s is not None:
            lines.append(f"  {mutation_label(n):<{w}}{s.threat}: {s.property}, {s.steps} steps"
                         + (f" (and {len(rep.attacks[n]) - 1} more)" if len(rep.attacks[n]) > 1 else ""))
        else:
            kind, why = silent_reason(n, rep, reasons, other)
            lines.append(f"  {mutation_label(n):<{w}}none [{TAGS.get(kind, kind)}]: " + with_cut(why, rep, n))
    return "\n".join(lines)


def mutate_summary_text(rep: MutateReport, reasons: Optional[dict] = None) -> str:
    silent = rep.silent()
    gaps = [n for n in silent if (reasons or {}).get(n) is not None and reasons[n].kind == "modelling-gap"]
    n_att = sum(len(a) for a in rep.attacks.values())
    return (f"{baseline_title(rep)}: {len(rep.attacks)} mutations x {len(rep.threats)} threat models: "
            f"{rep.ran} checks run, {len(rep.skipped)} skipped (the mutated control or parameter is never read "
            f"under that threat model, so the baseline's verdicts stand), {rep.engine}, state limit "
            f"{rep.max_states} (baseline and parameters: {rep.baseline_states}), {rep.seconds:.1f}s; "
            f"{n_att} attacks stopped; {len(silent)} mutations break nothing ({len(gaps)} modelling gaps)")


def mutate_text(reports: Sequence[MutateReport], reasons: dict, traces: bool = False) -> str:
    """Every baseline's sections; each published one explained with the hardened one of the run."""
    hardened = next((r for r in reports if r.name == "hardened"), None)
    out = []
    for rep in reports:
        other = hardened if rep.name == "published" else None
        parts = ([derivation_text(rep.derivation)] if rep.derivation is not None else []) + [
            mutate_matrix_text(rep), mutate_details_text(rep, reasons, other, traces),
            closing_text(rep, reasons, other), mutate_summary_text(rep, reasons)]
        out.append("\n\n".join(parts))
    return ("\n\n" + "=" * 78 + "\n\n").join(out)
