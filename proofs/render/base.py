"""The renderers' one interface (after pip-audit's `_format/`): a `Format`
turns one kind of subject into text, with a name (the CLI's `--format`
choice) and a one-line help. Each output format is a module exporting
`FORMAT`; `proofs.render.formats` collects them per subject. Renderers are
pure functions: they return text and never print.

Subjects: `Checked` (what `ppverify check` found), a `Sequence` (a trace or
the honest run, `proofs.render.diagrams`), a `Bundle` (the design review,
`proofs.analyses.report`). Also here: what JUnit and SARIF share, the
scenario as the options that reproduce it, and each verdict's strength as
every format names it (`strength_word`, `MEANING`) and its coverage
(`coverage_text`, `coverage_keys`)."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Callable, Generic, Iterable, Optional, Protocol, TypeVar, assert_never

from ppverify.proofs.analyses.remediation import Remediation
from ppverify.proofs.core.verdicts import Coverage, Result, Standing, Verdict, standing
from ppverify.protocol.controls import DEFAULTS

S = TypeVar("S")
S_contra = TypeVar("S_contra", contravariant=True)


class Format(Protocol[S_contra]):
    name: str
    help: str

    def render(self, subject: S_contra) -> str: ...


@dataclass(frozen=True)
class Renderer(Generic[S]):
    """A `Format` made of a function."""
    name: str
    help: str
    function: Callable[[S], str]

    def render(self, subject: S) -> str:
        return self.function(subject)


@dataclass(frozen=True)
class Checked:
    """What `check` renders: the results, the matrix axes in the order asked, and the fixes of
    its findings when they were computed."""
    results: tuple[Result, ...]
    properties: tuple[str, ...]
    threats: tuple[str, ...]
    remediation: Optional[Remediation] = None

    @classmethod
    def of(cls, results) -> "Checked":
        """Axes in order of first appearance (results of `check_threat` runs)."""
        results = tuple(results)
        return cls(results, tuple(dict.fromkeys(r.property for r in results)),
                   tuple(dict.fromkeys(r.threat for r in results)))


def tool_version() -> str:
    try:
        return metadata.version("ppverify")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def scenario_label(r: Result) -> str:
    """The scenario as the command-line options that reproduce it."""
    sc = r.scenario
    parts = [f"--threat {r.threat}"]
    parts += [f"--disable {c}" for c in sc.get("disabled", [])]
    parts += [f"--set {k}={v}" for k, v in sorted(sc.get("parameters", {}).items()) if DEFAULTS.get(k) != v]
    for k, v in sorted(sc.get("bounds", {}).items()):
        if v != 1:
            parts.append(f"--{k} {v}")
    return " ".join(parts)


def scenario_id(r: Result, sep: str = ".") -> str:
    """A compact, comma-free name for the scenario, its parts joined by `sep`:
    `meta-insider.no-ra-tls.binder=exporter` (no name holds a dot)."""
    label = scenario_label(r).split(" ")
    return sep.join([r.threat] + [("no-" if opt == "--disable" else "" if opt == "--set" else opt[2:] + "=") + val
                                  for opt, val in zip(label[2::2], label[3::2])])


# each strength's cell text in the text matrix ({depth}: a depth-bounded cell's), and its meaning
WORDS = {Standing.EVERY_SIZE: "ok*", Standing.SCENARIO: "ok", Standing.DEPTH_BOUNDED: "<={depth}",
         Standing.OPEN: "??", Standing.VIOLATED: "VIOLATED"}
MEANING = {Standing.EVERY_SIZE: "proved for every run of every size (any clients, sessions, CVMs, injections "
                                "and length)",
           Standing.SCENARIO: "proved for every run of the scenario: any length, within its clients, sessions, "
                              "CVMs and injections (exhaustive search, inductive invariant or proved completeness)",
           Standing.DEPTH_BOUNDED: "no attack within N steps, the search being cut there (state limit or bounded "
                                   "unrolling): not proved, counted as inconclusive",
           Standing.OPEN: "inconclusive: neither proved nor violated (vacuous, solver unknown, budget), never a pass",
           Standing.VIOLATED: "counterexample found and replayed"}


def strength_word(v: Verdict, words: dict = WORDS) -> str:
    """A verdict's cell text in `words` (a template per `Standing`)."""
    s = standing(v)
    match s:
        case Standing.DEPTH_BOUNDED:
            return words[s].format(depth=v.coverage.depth)
        case Standing.EVERY_SIZE | Standing.SCENARIO | Standing.OPEN | Standing.VIOLATED:
            return words[s]
        case _:
            assert_never(s)


COVERAGE_MEANING = ("runs of up to these many clients, sessions per client, honest CVMs, adversary injections and "
                    "steps (any: no limit); for a violation, those of the search that found it")
# a coverage's fields (`Coverage.to_json` keys) as every format names them
COVERAGE_FIELDS = (("clients", "clients"), ("sessions", "sessions"), ("cvms", "CVMs"),
                   ("injections", "injections"), ("depth", "depth"))


def coverage_text(c: Optional[Coverage]) -> str:
    """"clients 1, sessions 1, CVMs 1, injections 2, depth any" ("any": no limit)."""
    if c is None:
        return "coverage not recorded"
    j = c.to_json()
    return ", ".join(f"{label} {j[key]}" for key, label in COVERAGE_FIELDS)


def coverage_keys(results: Iterable[Result]) -> dict[Optional[Coverage], str]:
    """A short key per distinct coverage ("c1", "c2", ... in order of first
    appearance), for formats that list coverages once and mark each cell."""
    keys: dict[Optional[Coverage], str] = {}
    for r in results:
        keys.setdefault(r.verdict.coverage, f"c{len(keys) + 1}")
    return keys


COVERAGE_LEGEND = ("coverage c/s/v/i/d: clients, sessions per client, honest CVMs, adversary injections and "
                   "steps the search covered (d=any: every run length, an exhaustive search)")


def coverage_word(c: Coverage | None) -> str:
    """A coverage in the compact form of COVERAGE_LEGEND: `1/1/1/2/any`, `1/1/1/2/21`."""
    if c is None:
        return "?"
    return "/".join(str(x) for x in (c.clients, c.sessions, c.cvms, c.injections, c.depth))


def depth_bounded(v: Verdict | None) -> bool:
    return v is not None and standing(v) == Standing.DEPTH_BOUNDED


def honest_reached(results) -> bool:
    """Did a search under this threat model reach an honest session's completion? Any engine's counts:
    under auto the explorer's search may be cut before one completes where the unbounded engine's
    fixpoint has one (a proof's own partner check; a violation needs none)."""
    return any(r.partner_reached for r in results)


def search_size(r: Result) -> str:
    """How large a check's search was: the explorer's states, or the unbounded engine's grounded
    local states (where it settled every cell)."""
    n = r.extra.get("states")
    if n is not None:
        return f"{n:,} states"
    local = r.extra.get("local_states")
    return f"{local} grounded local states" if local is not None else "no grounded system (its grounding gave up)"
