"""The verdict manifest: expected verdicts as data (DESIGN principle 8).

`manifest/verdicts.json` pins the verdict kind (proved, violated,
inconclusive) of every (property, scenario) CI checks: the published design
under each actor of the stated trust model, and the what-ifs (a control off, a
parameter changed). A pin that is `violated` carries a `reason`: why that
attack is expected (a finding of the published design, or the point of the
what-if); so does an `inconclusive` one (why it is not settled, e.g. a
depth-bounded search). `ppverify check --expect FILE` runs the pinned
scenarios and fails on drift; `--update-manifest` rewrites the pins from the
run, keeping the reasons of pins that did not change, so every change shows
in review.

Search bounds (`max_states`, `max_moves`) are part of the manifest: a bounded
verdict is only comparable under the bounds it was pinned with.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Sequence

from ppverify.models.scenario import Bounds, Scenario
from ppverify.proofs.core.serial import read_json
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.analyses.runner import Job
from ppverify.proofs.core.verdicts import Inconclusive, Kind, Result, Violated
from ppverify.protocol.controls import STATED_THREATS, scenario, threat

MANIFEST_VERSION = 1
DEFAULT_PATH = "manifest/verdicts.json"
KINDS = tuple(k.value for k in Kind)
UNREVIEWED = "UNREVIEWED: pinned by --update-manifest; replace with why this verdict is expected"
UPDATE_HINT = ("if the change is intended, re-pin deliberately with\n"
               "  ppverify check --expect {path} --update-manifest{sel}\n"
               "then review `git diff {path}` and give every new violated pin its reason")


class ManifestError(ValueError):
    """A manifest file that is missing, malformed or names unknown things."""


@dataclass(frozen=True)
class Pin:
    verdict: Kind
    reason: Optional[str] = None


@dataclass(frozen=True)
class PinnedScenario:
    threat: str                       # canonical, e.g. "meta-insider+relay"
    disabled: tuple[str, ...] = ()
    set_params: tuple[str, ...] = ()  # NAME=VALUE, non-default parameters only
    bounds: Bounds = Bounds()
    slow: bool = False                # left out of the default pytest run (see tests/pinned.py)
    pins: dict = field(default_factory=dict, compare=False, hash=False)  # property -> Pin

    @property
    def label(self) -> str:
        """The options that reproduce this scenario on the command line."""
        parts = [f"--threat {self.threat}"] + [f"--disable {c}" for c in self.disabled]
        parts += [f"--set {s}" for s in self.set_params]
        parts += [f"--{k} {v}" for k, v in self.bounds.as_dict().items() if v != 1]
        return " ".join(parts)

    def scenario(self) -> Scenario:
        return scenario(self.threat, self.disabled, self.set_params, self.bounds)

    def job(self, properties: Optional[Sequence[str]] = None) -> Job:
        props = tuple(p for p in PROPERTY_NAMES if p in self.pins and (properties is None or p in properties))
        return Job(self.scenario(), props)


@dataclass(frozen=True)
class Manifest:
    scenarios: tuple[PinnedScenario, ...]
    max_states: int = 20_000
    max_moves: int = 2


@dataclass(frozen=True)
class Drift:
    label: str
    property: str
    expected: Optional[Kind]
    actual: Kind
    detail: str = ""

    def __str__(self) -> str:
        was = self.expected or "unpinned"
        return f"{self.property} under {self.label}: pinned {was}, now {self.actual}" + \
            (f" ({self.detail})" if self.detail else "")


# --- reading and writing -------------------------------------------------------------
def _parse_scenario(j: dict, where: str) -> PinnedScenario:
    try:
        ps = PinnedScenario(threat=str(threat(j["threat"])), disabled=tuple(j.get("disabled", [])),
                            set_params=tuple(j.get("set", [])), bounds=Bounds(**j.get("bounds", {})),
                            slow=bool(j.get("slow", False)))
        ps.scenario()  # validates control and parameter names
        pins = {}
        for prop, pin in j["pins"].items():
            if prop not in PROPERTY_NAMES:
                raise ManifestError(f"unknown property {prop!r}; valid choices: {', '.join(PROPERTY_NAMES)}")
            kind, reason = pin.get("verdict"), pin.get("reason")
            if kind not in KINDS:
                raise ManifestError(f"{prop}: verdict {kind!r}; valid choices: {', '.join(KINDS)}")
            kind = Kind(kind)
            if kind == Kind.VIOLATED and not (isinstance(reason, str) and reason.strip()):
                raise ManifestError(f"{prop}: a violated pin needs a 'reason' saying why it is expected")
            pins[prop] = Pin(kind, reason)
    except ManifestError as exc:
        raise ManifestError(f"{where}: {exc}") from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ManifestError(f"{where}: {type(exc).__name__}: {exc}") from None
    return replace(ps, pins=pins)


def load(path: str | Path) -> Manifest:
    data = read_json(path, ManifestError)
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        raise ManifestError(f"{path}: expected a manifest with \"version\": {MANIFEST_VERSION}")
    search = data.get("search", {})
    scenarios = tuple(_parse_scenario(s, f"{path}: scenario {i}")
                      for i, s in enumerate(data.get("scenarios", [])))
    labels = [s.label for s in scenarios]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise ManifestError(f"{path}: scenario listed twice: {', '.join(dup)}")
    return Manifest(scenarios, int(search.get("max_states", 20_000)), int(search.get("max_moves", 2)))


def dumps(m: Manifest) -> str:
    out = []
    for s in m.scenarios:
        j: dict = {"threat": s.threat}
        if s.disabled:
            j["disabled"] = list(s.disabled)
        if s.set_params:
            j["set"] = list(s.set_params)
        if s.bounds != Bounds():
            j["bounds"] = s.bounds.as_dict()
        if s.slow:
            j["slow"] = True
        j["pins"] = {p: ({"verdict": pin.verdict.value, "reason": pin.reason} if pin.reason else {"verdict": pin.verdict.value})
                     for p, pin in sorted(s.pins.items(), key=lambda kv: PROPERTY_NAMES.index(kv[0]))}
        out.append(j)
    doc = {"version": MANIFEST_VERSION,
           "about": "Expected verdicts CI checks (DESIGN principle 8). A violated pin says why it is "
                    "expected. Change pins only with `ppverify check --expect manifest/verdicts.json "
                    "--update-manifest` and review the diff.",
           "search": {"max_states": m.max_states, "max_moves": m.max_moves},
           "scenarios": out}
    return json.dumps(doc, indent=2) + "\n"


def skeleton(max_states: int = 20_000, max_moves: int = 2) -> Manifest:
    """The scenarios CI checks, before any run: the published design under each
    stated actor (every property), and the what-ifs of the symbolic-semantics
    issue (the property each one is about). Verdicts come from a run."""
    allp = {p: Pin(Kind.INCONCLUSIVE) for p in PROPERTY_NAMES}
    sc = [PinnedScenario(t, slow=(t == "meta-insider"), pins=dict(allp)) for t in STATED_THREATS]
    what_ifs = [("meta-insider", ("ledger-inclusion",), (), ("request-secrecy",)),
                ("meta-insider", ("ra-tls",), (), ("request-secrecy",)),
                ("meta-insider", ("third-party-relay",), (), ("client-unlinkability",)),
                ("meta-insider", ("credential-blinding",), (), ("credential-unlinkability",)),
                ("none", ("user-opt-in",), (), ("user-consent",)),
                ("chat-member", ("advanced-chat-privacy",), (), ("chat-privacy-respected",)),
                ("none", ("ephemeral-session-keys",), (), ("forward-secrecy",)),
                ("none", ("erasure-at-teardown",), (), ("forward-secrecy",)),
                ("network", (), ("binder=client-random+server-key",),
                 ("request-secrecy", "response-secrecy", "attested-peer", "forward-secrecy"))]
    for t, dis, st, props in what_ifs:
        sc.append(PinnedScenario(t, dis, st, pins={p: Pin(Kind.INCONCLUSIVE) for p in props}))
    return Manifest(tuple(sc), max_states, max_moves)


# --- selecting, comparing, updating ----------------------------------------------------
def select(m: Manifest, threats: Sequence[str] = (), properties: Sequence[str] = (),
           disabled: Sequence[str] = (), set_params: Sequence[str] = ()) -> list[PinnedScenario]:
    """The pinned scenarios matching command-line filters (none given: all)."""
    want_threats = {str(threat(t)) for t in threats}
    want_set = [s.replace(" ", "") for s in set_params]
    chosen = []
    for s in m.scenarios:
        if want_threats and s.threat not in want_threats:
            continue
        if (disabled or set_params) and (sorted(s.disabled) != sorted(disabled) or sorted(s.set_params) != sorted(want_set)):
            continue
        if properties and not any(p in s.pins for p in properties):
            continue
        chosen.append(s)
    if not chosen:
        raise ManifestError("no pinned scenario matches these options; pinned scenarios: "
                            + "; ".join(s.label for s in m.scenarios))
    return chosen


def compare(pairs: Sequence[tuple[PinnedScenario, list[Result]]]) -> list[Drift]:
    drifts = []
    for s, results in pairs:
        for r in results:
            pin = s.pins.get(r.property)
            actual = r.verdict.verdict
            if pin is None or pin.verdict != actual:
                v = r.verdict
                detail = v.reason if isinstance(v, Inconclusive) else v.trace.explanation if isinstance(v, Violated) else ""
                drifts.append(Drift(s.label, r.property, pin.verdict if pin else None, actual, detail))
    return drifts


def drift_text(drifts: Sequence[Drift], path: str, selection: str = "") -> str:
    if not drifts:
        return ""
    lines = [f"{len(drifts)} verdict(s) differ from the pins in {path}:"]
    lines += [f"  - {d}" for d in drifts]
    lines.append(UPDATE_HINT.format(path=path, sel=selection))
    return "\n".join(lines)


def updated(m: Manifest, pairs: Sequence[tuple[PinnedScenario, list[Result]]]) -> Manifest:
    """The manifest with the verdicts of this run; reasons kept where the pin
    keeps its kind, a visible placeholder where a violation or an inconclusive
    verdict is new (both need saying why; a proof does not)."""
    new = {s.label: dict(s.pins) for s in m.scenarios}
    for s, results in pairs:
        for r in results:
            old = s.pins.get(r.property)
            kind = r.verdict.verdict
            reason = old.reason if old and old.verdict == kind else None
            if kind != Kind.PROVED and not reason:
                reason = UNREVIEWED
            new[s.label][r.property] = Pin(kind, reason)
    return replace(m, scenarios=tuple(replace(s, pins=new[s.label]) for s in m.scenarios))


def comparison_text(pairs: Sequence[tuple[PinnedScenario, list[Result]]]) -> str:
    """Every checked cell with its pin, grouped per scenario."""
    lines = []
    for s, results in pairs:
        lines.append(s.label)
        for r in results:
            pin = s.pins.get(r.property)
            exp = pin.verdict if pin else "unpinned"
            mark = "ok" if exp == r.verdict.verdict else "DRIFT"
            lines.append(f"  {r.property:<27}{r.verdict.verdict:<14}pinned {exp:<14}{mark}")
    return "\n".join(lines)

