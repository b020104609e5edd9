"""Text: what the commands print, as pure functions of their results (the
checkers never print). `check`: the property x threat matrix, the search's
bounds, every attack as numbered steps, the fixes (`proofs.render.fixes`);
`simulate`: the session's steps and who saw what; `lattice`: the weakest
breaking and strongest surviving coalitions (`mutate`: `proofs.render.necessity`)."""
from __future__ import annotations

from ppverify.proofs.analyses.lattice import SINGLE_MAX_STATES, LatticeReport
from ppverify.proofs.core.verdicts import Proved, Result, Standing, Trace, Violated, standing
from ppverify.proofs.render.base import (COVERAGE_MEANING, MEANING, WORDS, Checked, Renderer, coverage_text,
                                         honest_reached, search_size, strength_word)
from ppverify.proofs.render.fixes import fixes_text


def matrix_text(results: list[Result], properties, threats) -> str:
    cell = {(r.property, r.threat): r for r in results}
    width = max(len(p) for p in properties) + 2
    cols = [max(len(t), 8) + 2 for t in threats]
    lines = ["property".ljust(width) + "".join(t.ljust(c) for t, c in zip(threats, cols))]
    for p in properties:
        row = p.ljust(width)
        for t, c in zip(threats, cols):
            r = cell.get((p, t))
            row += (strength_word(r.verdict) if r else "-").ljust(c)
        lines.append(row)
    lines.append("")
    lines += [f"{WORDS[s].format(depth='N'):>8} = {meaning}" for s, meaning in MEANING.items()]
    lines.append(f"{'coverage':>8} = {COVERAGE_MEANING}; per threat model under bounds and search")
    return "\n".join(lines)


def bounds_text(results: list[Result]) -> str:
    seen, lines = set(), []
    for r in results:
        if r.threat in seen:
            continue
        seen.add(r.threat)
        # the search's reach, from the proofs and depth-bounded cells under this threat model (the first
        # may be a violation); the SMT engine's differ per property (inductive invariant, complete, bounded)
        notes: dict = {}
        for x in results:
            if x.threat == r.threat and (note := reach(x.verdict)):
                notes.setdefault(note, []).append(x.property)
        how = "; ".join(n if len(notes) == 1 else f"{len(ps)} cells: {n}" for n, ps in notes.items())
        mine = [x for x in results if x.threat == r.threat]
        moved = r.extra.get("transitions")
        lines.append(f"  {r.threat}: {search_size(r)}" + (f", {moved} transitions" if moved is not None else "")
                     + f", {r.seconds:.1f}s; honest run reached: {honest_reached(mine)}" + (f"; {how}" if how else ""))
        lines += engines_lines(mine) + coverage_lines(mine)
    return "bounds and search:\n" + "\n".join(lines)


def coverage_lines(results: list[Result]) -> list[str]:
    """Per matrix word, the coverage of its cells (their names where one word has several)."""
    groups: dict = {}
    for x in sorted(results, key=lambda x: list(Standing).index(standing(x.verdict))):
        groups.setdefault((strength_word(x.verdict), x.verdict.coverage), []).append(x.property)
    words = [w for w, _ in groups]
    width = max(len(w) for w in words)
    return [f"    {w:<{width}} {len(ps):>2} cell(s): {coverage_text(c)}"
            + (f" ({', '.join(ps)})" if words.count(w) > 1 else "") for (w, c), ps in groups.items()]


def engines_lines(results: list[Result]) -> list[str]:
    """Where several engines settled the cells (auto, both): each engine's own strengths."""
    per: dict = {}
    for x in results:
        for engine, s in x.extra.get("standings", {}).items():
            per.setdefault(engine, {}).setdefault(s, 0)
            per[engine][s] += 1
    if len(per) < 2:
        return []
    why: dict = {}   # (engine, reason) -> cells: why an engine left cells open that another decided or cut
    for x in results:
        for engine, reason in x.extra.get("reasons", {}).items():
            if x.extra.get("standings", {}).get(engine) == Standing.OPEN:
                why.setdefault((engine, reason), []).append(x.property)
    return ["    each engine's own verdicts: " + "; ".join(
        f"{engine} " + ", ".join(f"{n} {WORDS[s].format(depth='N')}" for s, n in sorted(
            counts.items(), key=lambda kv: list(Standing).index(kv[0]))) for engine, counts in per.items())] + [
        f"      {engine} ?? ({len(ps)}): {reason}" for (engine, reason), ps in why.items()]


def reach(v) -> str:
    """How far a proof or a depth-bounded cell reaches, or why a cell is open ("" for violations)."""
    if isinstance(v, Proved):
        return v.note
    return v.reason if standing(v) in (Standing.DEPTH_BOUNDED, Standing.OPEN) else ""


def violations_text(results: list[Result]) -> str:
    out = []
    for r in results:
        if isinstance(r.verdict, Violated):
            where = r.extra.get("found_with")
            out.append(trace_text(r.verdict.trace) + (
                f"\n  (found by the search with {where}, below these bounds; replayed in this scenario)"
                if where else ""))
    return "\n\n".join(out)


def trace_text(t: Trace) -> str:
    lines = [f"{t.property} violated under threat model {t.threat}",
             f"  scenario: disabled={t.scenario.get('disabled')} parameters={t.scenario.get('parameters')}"]
    for s in t.steps:
        lines.append(f"  {s.number:>3}. {s.text}")
        if s.learned:
            lines.append(f"       adversary now knows: {', '.join(s.learned)}")
    lines.append(f"  => {t.explanation}")
    return "\n".join(lines)


def check_text(c: Checked) -> str:
    fixes = fixes_text(c.remediation) if c.remediation is not None else ""
    return "\n\n".join(x for x in (matrix_text(list(c.results), c.properties, c.threats),
                                   bounds_text(list(c.results)), violations_text(list(c.results)), fixes) if x)


def simulate_text(res) -> str:
    """`res`: a `protocol.simulate` run: its steps, answers, and who saw what."""
    lines = [f"{s.number:>3}. {s.text}" + (f"   [rejected: {s.rejected}]" if s.rejected else "")
             for s in res.steps]
    lines.append("")
    for chat, answer, expected in res.answers:
        lines.append(f"answer on '{chat}': {answer.decode(errors='replace') if answer else None!s}"
                     f" ({'correct' if answer == expected else 'WRONG'})")
    lines += ["", "party         saw request   saw response"]
    for p in res.saw_request:
        lines.append(f"{p:<14}{'yes' if res.saw_request[p] else 'no':<14}{'yes' if res.saw_response[p] else 'no'}")
    return "\n".join(lines)


# --- lattice -----------------------------------------------------------------------
def lattice_text(rep: LatticeReport) -> str:
    lines = [f"threat lattice over {', '.join(rep.actors)} ({2 ** len(rep.actors)} coalitions), "
             f"state limit {rep.max_states} ({max(rep.max_states, SINGLE_MAX_STATES)} for single actors and the "
             f"coalitions checked first)", ""]
    for p in rep.properties:
        bad = rep.minimal_breaking(p)
        good = rep.maximal_holding(p)
        lines.append(p)
        lines.append("  minimal coalitions that break it: " + (", ".join(rep.name(c) for c in bad) or "none"))
        lines.append("  maximal coalitions under which it holds: " + (", ".join(
            rep.name(c) + (" (every size)" if rep.cells[(p, c)].every_size else "" if ex else " (bounded)")
            for c, ex in good) or "none"))
        why = rep.why_inconclusive(p)
        if why:
            lines.append(f"  inconclusive under {sum(map(len, why.values()))} coalitions:")
            lines += [f"    {len(cs)}: {reason} (e.g. {rep.name(cs[0])})" for reason, cs in why.items()]
    first = rep.gave_up_first()
    if first:
        lines += ["", "where the unbounded engine gives up (a cost rule, never a verdict): the smallest coalitions "
                      "whose grounding did, each with the inconclusive coalitions that contain it"]
        lines += [f"  {rep.name(c)}: {why}; {n} inconclusive" for c, why, n in first]
    total = len(rep.properties) * 2 ** len(rep.actors)
    lines += ["", f"{rep.explored} coalitions explored, {rep.saved_coalitions} never explored; "
                  f"{rep.saved} of {total} verdicts carried by monotonicity instead of searched; "
                  f"{rep.seconds:.1f}s",
              f"{rep.unbounded} coalitions asked the unbounded engine first; {rep.every_size()} verdicts "
              "proved for every size (its proofs, and those carried down from them)",
              f"{len(rep.inconclusive())} of {2 ** len(rep.actors)} coalitions have a cell left inconclusive",
              "proofs are exhaustive searches or the unbounded engine's, carried down to subsets; a "
              "depth-bounded cell (search cut) is inconclusive and never carried"]
    if rep.breaches:
        lines += ["", "MONOTONICITY BREACHES (the model is not monotone here):"] + [f"  {b}" for b in rep.breaches]
    return "\n".join(lines)


FORMAT: Renderer[Checked] = Renderer("text", "the matrix, the search's bounds and every attack", check_text)
