"""What the Markdown and HTML renderers of the bundle share: queries on it
(plain data, no formatting of either kind; the guarantees are sentences in
the bundle's Markdown subset, which the HTML renderer converts), and the
report's assumptions and limits ("What is modelled, and what is simplified",
"Guarantees and their limits"), shipped as package data (`assumptions.md`,
next to this module) so a wheel install keeps them."""
from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Optional

from ppverify.proofs.analyses.report import Bundle
from ppverify.proofs.core.verdicts import Inconclusive, Kind, Proved, Result, Standing, Trace, standing
from ppverify.proofs.render.base import honest_reached, search_size
from ppverify.proofs.render.diagrams import payload_text

PAYLOAD_LIMIT = 200
ASSUMPTION_TITLES = ("What is modelled, and what is simplified", "Guarantees and their limits")


@functools.lru_cache(maxsize=None)
def assumptions() -> tuple[tuple[str, str], ...]:
    """(title, Markdown body) of each "## " section of assumptions.md, in order."""
    text = resources.files(__package__).joinpath("assumptions.md").read_text(encoding="utf-8")
    found = tuple((m.group(1), m.group(2).strip())
                  for m in re.finditer(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", text, re.S | re.M))
    if tuple(t for t, _ in found) != ASSUMPTION_TITLES:
        raise RuntimeError(f"assumptions.md has sections {[t for t, _ in found]}, "
                           f"expected {list(ASSUMPTION_TITLES)}")
    return found


def trace_file(trace: Trace) -> str:
    """Where the bundle saves an attack's trace, relative to the bundle."""
    return f"traces/{trace.property}--{trace.threat}.json"


def cell(bundle: Bundle, prop: str, threat: str) -> Optional[Result]:
    return next((r for r in bundle.results if r.property == prop and r.threat == threat), None)


def attack_numbers(bundle: Bundle) -> dict[tuple[str, str], int]:
    return {(t.property, t.threat): i for i, t in enumerate(bundle.attacks(), 1)}


def threat_rows(bundle: Bundle) -> list[dict]:
    """Per threat model: search size and how far the proofs reach."""
    rows = []
    for t in bundle.info.threats:
        rs = [r for r in bundle.results if r.threat == t]
        if not rs:
            continue
        r = rs[0]
        proved = next((x.verdict for x in rs if isinstance(x.verdict, Proved)), None)
        incon = next((x.verdict for x in rs if isinstance(x.verdict, Inconclusive)), None)
        search = proved.note if proved else (incon.reason if incon else "every property violated")
        rows.append({"threat": t, "size": search_size(r), "transitions": r.extra.get("transitions"),
                     "seconds": r.seconds, "partner": honest_reached(rs), "search": search})
    return rows


def counts(bundle: Bundle) -> dict[Kind, int]:
    out = {k: 0 for k in Kind}
    for r in bundle.results:
        out[r.verdict.verdict] += 1
    return out


def guarantees(bundle: Bundle) -> tuple[list[str], list[str]]:
    """(what this run guarantees, what it does not), in Markdown."""
    b = bundle.info.scenario.get("bounds", {})
    scope = (f"{b.get('clients', 1)} client(s), {b.get('sessions', 1)} session(s) per client, "
             f"{b.get('cvms', 1)} honest orchestrator CVM(s), at most {bundle.info.max_moves} adversary "
             "injections per path")
    yes = ["Every **violated** cell has a trace that was replayed on the symbolic model before this "
           "report was written; the saved JSON re-runs with `ppverify replay`.",
           "Every **proved** cell covers every run of its scenario, of any length, and had its "
           "reachability partner (the honest session completes with the right answer) reached by the "
           "same search that proved it."]
    no = [f"Proofs cover the scenario only: {scope}. Nothing is claimed for more clients, "
          "sessions, CVMs or injections (no cell is proved for every size)."]
    for row in threat_rows(bundle):
        if "exhaustive" in row["search"]:
            yes.append(f"Under `{row['threat']}` the search was exhaustive within that scope.")
        elif "state limit" in row["search"]:
            no.append(f"Under `{row['threat']}` the state limit was reached: {row['search']}; "
                      "longer paths are unchecked (raise `--max-states`).")
    bounded = sum(standing(r.verdict) == Standing.DEPTH_BOUNDED for r in bundle.results)
    if bounded:
        no.append(f"{bounded} cell(s) are **depth-bounded**: no attack within the steps searched, but the "
                  "search was cut there, so they are not proved and count as inconclusive.")
    n = counts(bundle)[Kind.INCONCLUSIVE] - bounded
    if n:
        no.append(f"{n} other cell(s) are **inconclusive**: neither proved nor violated, never a pass.")
    no.append("Timing, traffic volume and the real wire formats are not modelled (see below).")
    return yes, no


def step_parts(step) -> dict:
    """One trace step, split for narration in the model's vocabulary."""
    a = step.action
    if a.get("type") == "invoke":
        who = "user" if a.get("by_user", True) else "background trigger"
        return {"invoke": True, "actor": a["client"], "what": f"{who} invokes the feature on chat '{a['chat']}'"}
    return {"invoke": False, "injected": a["type"] == "inject", "src": a["src"], "dst": a["dst"],
            "kind": a["kind"], "choice": a.get("choice", ""), "payload": payload_text(a, PAYLOAD_LIMIT),
            "learned": tuple(step.learned)}
