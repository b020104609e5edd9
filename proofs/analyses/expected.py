"""Expected control-necessity matrices and the reasons for silent mutations,
as data beside the verdict manifest (DESIGN principle 8).

`manifest/mutate-published.json` and `manifest/mutate-hardened.json` pin one
baseline's matrix each: the search it was run with, the hardened baseline's
derived change, and per (mutation, property) the threat models under which
the mutant breaks what the baseline keeps, each with the attack's length and
how the baseline keeps the cell. `ppverify mutate --expect FILE` runs what the
file names and exits 0 on a match, 1 on drift; `--update-expect` rewrites it
from the run. `manifest/defence-in-depth.json` says why each mutation that
breaks nothing in the hardened baseline stops nothing: defence in depth, a
coalition outside the stated trust model, or a modelling gap (the README
lists the gaps)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ppverify.proofs.analyses.changes import Change, parse
from ppverify.proofs.analyses.mutate import BASELINES, MutateReport
from ppverify.proofs.core.serial import read_json
from ppverify.proofs.core.verdicts import Standing, Verdict, standing

EXPECT_VERSION = 1
REASONS_PATH = "manifest/defence-in-depth.json"
REASON_KINDS = ("defence-in-depth", "coalition", "modelling-gap")
ABOUT = ("The control-necessity matrix `ppverify mutate --expect` checks (DESIGN principle 8): per mutation and "
         "property, the threat models under which the mutant breaks what the baseline keeps, with the attack's "
         "length and how the baseline keeps the cell. Change it only with `ppverify mutate --expect FILE "
         "--update-expect` and review the diff.")


def kept_word(v: Optional[Verdict]) -> str:
    """How the baseline keeps a cell, as the files pin it."""
    if v is None:
        return "?"
    match standing(v):
        case Standing.EVERY_SIZE:
            return "proved for every size"
        case Standing.SCENARIO:
            return "proved"
        case Standing.DEPTH_BOUNDED:
            return f"within {v.coverage.depth} steps"
        case s:
            return s.value


class ExpectError(ValueError):
    """A missing or malformed expectations or reasons file."""


@dataclass(frozen=True)
class Reason:
    kind: str     # one of REASON_KINDS
    text: str


@dataclass(frozen=True)
class Expected:
    baseline: str
    search: dict                   # max_states, baseline_max_states, max_moves, engine
    threats: tuple[str, ...]
    mutations: tuple[str, ...]
    change: tuple[str, ...]        # the baseline's change from the published design (derived, for hardened)
    cells: dict                    # mutation -> property -> threat -> {"steps": n, "baseline": word}
    silent: tuple[str, ...]
    undecided: dict                # mutation -> ["property under threat", ...]
    about: str = ABOUT


def of_report(rep: MutateReport) -> Expected:
    cells: dict = {}
    for (m, p), attacks in rep.cells().items():
        cells.setdefault(m, {})[p] = {a.threat: {"steps": a.steps, "baseline": kept_word(a.kept)} for a in attacks}
    search = {"max_states": rep.max_states, "baseline_max_states": rep.baseline_states,
              "max_moves": rep.max_moves, "engine": rep.engine}
    return Expected(rep.name, search, rep.threats, tuple(rep.attacks), rep.change.parts, cells,
                    tuple(rep.silent()),
                    {m: [f"{p} under {t}" for p, t, _ in u] for m, u in rep.undecided.items() if u})


def dumps(e: Expected) -> str:
    return json.dumps({"version": EXPECT_VERSION, "about": e.about, "baseline": e.baseline, "search": e.search,
                       "threats": list(e.threats), "mutations": list(e.mutations), "change": list(e.change),
                       "cells": e.cells, "silent": list(e.silent), "undecided": e.undecided}, indent=2) + "\n"


def parse_change(parts) -> Change:
    """A pinned change (its parts) as a `Change`."""
    return parse(list(parts))


def load(path: str) -> Expected:
    j = read_json(path, ExpectError)
    if not isinstance(j, dict) or j.get("version") != EXPECT_VERSION:
        raise ExpectError(f"{path}: expected a version {EXPECT_VERSION} mutate expectation")
    missing = [k for k in ("baseline", "search", "threats", "mutations", "cells", "silent") if k not in j]
    if missing:
        raise ExpectError(f"{path}: missing field {missing[0]!r}")
    if j["baseline"] not in BASELINES:
        raise ExpectError(f"{path}: baseline {j['baseline']!r}; valid: {', '.join(BASELINES)}")
    try:
        parse(list(j.get("change", [])))
    except ValueError as exc:
        raise ExpectError(f"{path}: change: {exc}") from None
    return Expected(j["baseline"], dict(j["search"]), tuple(j["threats"]), tuple(j["mutations"]),
                    tuple(j.get("change", [])), dict(j["cells"]), tuple(j["silent"]), dict(j.get("undecided", {})),
                    j.get("about", ABOUT))


def drift(expected: Expected, got: Expected) -> list[str]:
    """What differs between a pinned matrix and a run's, one line each ([] when they match)."""
    out = []
    if tuple(expected.change) != tuple(got.change):
        out.append(f"the {got.baseline} baseline is {_label(got.change)}, pinned {_label(expected.change)}")
    if tuple(expected.mutations) != tuple(got.mutations):
        out.append(f"mutations: pinned {list(expected.mutations)}, now {list(got.mutations)}")
    keys = sorted({(m, p) for m, ps in expected.cells.items() for p in ps}
                  | {(m, p) for m, ps in got.cells.items() for p in ps})
    for m, p in keys:
        a, b = expected.cells.get(m, {}).get(p, {}), got.cells.get(m, {}).get(p, {})
        if a != b:
            out.append(f"{m} / {p}: pinned {_cell(a)}, now {_cell(b)}")
    for what, a, b in (("silent", expected.silent, got.silent), ("undecided", expected.undecided, got.undecided)):
        if (sorted(a) if isinstance(a, tuple) else a) != (sorted(b) if isinstance(b, tuple) else b):
            out.append(f"{what} mutations: pinned {sorted(a)}, now {sorted(b)}")
    return out


def _label(parts) -> str:
    return ", ".join(parts) or "the published design"


def _cell(c: dict) -> str:
    return ", ".join(f"{t} ({v['steps']} steps, baseline {v['baseline']})" for t, v in c.items()) or "nothing"


def load_reasons(path: Optional[str]) -> dict[str, Reason]:
    """Mutation name -> why it stops nothing; {} when `path` is None or does not exist."""
    if path is None or not Path(path).exists():
        return {}
    try:
        j = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise ExpectError(f"{path} is not JSON: {exc}") from None
    out = {}
    for name, r in j.get("mutations", {}).items():
        if not isinstance(r, dict) or r.get("kind") not in REASON_KINDS or not r.get("reason"):
            raise ExpectError(f"{path}: {name}: needs a kind ({', '.join(REASON_KINDS)}) and a reason")
        out[name] = Reason(r["kind"], r["reason"])
    return out
