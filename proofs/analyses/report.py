"""The design-review bundle (`ppverify report`): one run of the checks turned
into `index.md` (renders on GitHub, Mermaid diagrams) and `index.html` (one
self-contained page, inline SVG, opens offline), plus the results and every
attack trace as JSON so a reviewer can `ppverify replay` them.

`gather` runs the checks and collects everything a renderer needs into a
`Bundle` (plain data); the renderers (`proofs.report_md`, `proofs.report_html`)
never run a check, so they are tested on fixtures."""
from __future__ import annotations

import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable, Optional, Sequence

from ppverify.proofs.render.diagrams import SystemView, system_view
from ppverify.proofs.core.verdicts import Result, Trace, Violated

README = Path(__file__).resolve().parents[1] / "README.md"
# README sections that state assumptions and limits (single source: the README).
README_SECTIONS = ("What is modelled, and what is simplified", "Guarantees and their limits")
TOOLS = ("ppverify", "networkx", "z3-solver", "cryptography", "pyhpke", "voprf")


@dataclass(frozen=True)
class RunInfo:
    command: str
    scenario: dict                  # the base scenario (Scenario.describe())
    threats: tuple[str, ...]
    properties: tuple[str, ...]
    max_states: int
    max_moves: int
    engines: tuple[str, ...]
    tools: tuple[tuple[str, str], ...]
    started: str                    # UTC, ISO 8601
    seconds: float


@dataclass(frozen=True)
class Extra:
    """A section contributed by another command (mutation, lattice)."""
    title: str
    markdown: str
    html: str


@dataclass(frozen=True)
class Bundle:
    info: RunInfo
    results: tuple[Result, ...]
    roles: dict                     # party -> role
    honest: tuple[dict, ...]        # the honest run, actions in trace JSON form
    system: SystemView
    replays: dict                   # (property, threat) -> what the replay re-established
    assumptions: tuple[tuple[str, str], ...]   # (title, Markdown body)
    extras: tuple[Extra, ...] = field(default=())
    not_run: tuple[str, ...] = ()   # sections whose module exists but was not run (no --extras)

    def attacks(self) -> list[Trace]:
        return [r.verdict.trace for r in self.results if isinstance(r.verdict, Violated)]


def trace_file(trace: Trace) -> str:
    return f"traces/{trace.property}--{trace.threat}.json"


def tool_versions() -> tuple[tuple[str, str], ...]:
    out = [("python", platform.python_version())]
    for name in TOOLS:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, "not installed"))
    dot = shutil.which("dot")
    if dot:
        try:
            done = subprocess.run([dot, "-V"], capture_output=True, text=True, timeout=10)
            out.append(("graphviz", (done.stderr or done.stdout).strip().split(" version ")[-1].split()[0]))
        except (subprocess.SubprocessError, OSError, IndexError):
            pass  # the report falls back to the built-in layout
    return tuple(out)


def readme_sections(path: Path = README) -> tuple[tuple[str, str], ...]:
    """The README's assumption and limit sections; empty when not shipped."""
    try:
        text = path.read_text()
    except OSError:
        return ()
    out = []
    for title in README_SECTIONS:
        m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
        if m:
            out.append((title, m.group(1).strip()))
    return tuple(out)


def extra_sections(base, threats: Sequence[str] = (), max_moves: int = 2) -> tuple[Extra, ...]:
    """The mutation and lattice sections, when those modules exist (see proofs.report_extras)."""
    from ppverify.proofs.render.extras import sections
    return tuple(Extra(*s) for s in sections(base, threats, max_moves))


def gather(make_scenario: Callable[[str], object], threats: Sequence[str], properties: Sequence[str],
           max_states: int, max_moves: int, command: str = "ppverify report",
           progress: Optional[Callable[[str, int, int], None]] = None,
           extras: bool = False) -> Bundle:
    """Run the checks (one exploration per threat model) and collect the bundle.
    `make_scenario(threat_text)` builds the scenario; `progress(threat, states,
    queued)` is called during each search."""
    from ppverify.proofs.analyses.check import check_threat
    from ppverify.proofs.pp.model import honest_run, symbolic_model
    from ppverify.proofs.replay.symbolic import replay_trace
    from ppverify.proofs.core.serial import action_to_json
    started = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    start = time.perf_counter()
    results: list[Result] = []
    for t in threats:
        cb = (lambda s, q, t=t: progress(t, s, q)) if progress else None
        results += check_threat(make_scenario(t), properties, max_states, cb, max_moves)
    base = make_scenario("none")
    model = symbolic_model(base)
    path = honest_run(model) or []
    honest = tuple(action_to_json(a) for a in path)
    replays = {}
    for r in results:
        if isinstance(r.verdict, Violated):
            replays[(r.property, r.threat)] = replay_trace(r.verdict.trace)[2]
    from ppverify.proofs.render.extras import available
    more = extra_sections(base, threats, max_moves) if extras else ()
    seconds = time.perf_counter() - start
    info = RunInfo(command, base.describe(), tuple(threats), tuple(properties), max_states, max_moves,
                   tuple(sorted({r.verdict.engine for r in results})), tool_versions(), started, seconds)
    return Bundle(info, tuple(results), dict(model.roles), honest, system_view(model, honest),
                  replays, readme_sections(), more, () if extras else available())


def write_bundle(bundle: Bundle, out_dir: str) -> list[str]:
    """Write index.md, index.html, results.json and traces/*.json; returns the paths."""
    from ppverify.proofs.render.text import results_json
    from ppverify.proofs.render.html import bundle_html
    from ppverify.proofs.render.markdown import bundle_markdown
    os.makedirs(os.path.join(out_dir, "traces"), exist_ok=True)
    files = {"index.md": bundle_markdown(bundle), "index.html": bundle_html(bundle),
             "results.json": results_json(list(bundle.results))}
    for t in bundle.attacks():
        files[trace_file(t)] = json.dumps(t.to_json(), indent=2)
    written = []
    for name, text in files.items():
        path = os.path.join(out_dir, name)
        with open(path, "w") as f:
            f.write(text + "\n")
        written.append(path)
    return written


# --- shared by the renderers: plain data, no formatting ---------------------------

PAYLOAD_LIMIT = 200


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
        proved = next((x.verdict for x in rs if x.verdict.verdict == "proved"), None)
        incon = next((x.verdict for x in rs if x.verdict.verdict == "inconclusive"), None)
        search = proved.note if proved else (incon.reason if incon else "every property violated")
        rows.append({"threat": t, "states": r.extra.get("states"), "transitions": r.extra.get("transitions"),
                     "seconds": r.seconds, "partner": r.partner_reached, "search": search})
    return rows


def counts(bundle: Bundle) -> dict[str, int]:
    out = {"proved": 0, "violated": 0, "inconclusive": 0}
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
           "Every **proved** cell had its reachability partner (the honest session completes with the "
           "right answer) reached in the same scenario."]
    no = [f"Proofs are bounded by the scenario: {scope}. Nothing is claimed for more clients, "
          "sessions, CVMs or injections."]
    for row in threat_rows(bundle):
        if "exhaustive" in row["search"]:
            yes.append(f"Under `{row['threat']}` the search was exhaustive within that scope.")
        elif "state limit" in row["search"]:
            no.append(f"Under `{row['threat']}` the state limit was reached: {row['search']}; "
                      "longer paths are unchecked (raise `--max-states`).")
    n = counts(bundle)["inconclusive"]
    if n:
        no.append(f"{n} cell(s) are **inconclusive**: neither proved nor violated, never a pass.")
    no.append("Timing, traffic volume and the real wire formats are not modelled (see below).")
    return yes, no


def step_parts(step) -> dict:
    """One trace step, split for narration in the model's vocabulary."""
    from ppverify.proofs.render.diagrams import payload_text
    a = step.action
    if a.get("type") == "invoke":
        who = "user" if a.get("by_user", True) else "background trigger"
        return {"invoke": True, "actor": a["client"], "what": f"{who} invokes the feature on chat '{a['chat']}'"}
    return {"invoke": False, "injected": a["type"] == "inject", "src": a["src"], "dst": a["dst"],
            "kind": a["kind"], "choice": a.get("choice", ""), "payload": payload_text(a, PAYLOAD_LIMIT),
            "learned": tuple(step.learned)}
