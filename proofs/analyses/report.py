"""The design-review bundle (`ppverify report`), gathered: one run of the
checks, the fixes of its findings (`remediation`), the honest run, the system
view, and on request the mutation analysis against both baselines and the
threat lattice, collected into a `Bundle` (plain data).

Everything here is data; the renderers in `proofs.render` (Markdown, HTML,
the bundle writer) never run a check, so they are tested on fixtures. The
system view lives here, not with the diagrams, because it is derived from the
model: the channels are classified by the model's own visibility rules."""
from __future__ import annotations

import datetime
import platform
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Callable, Iterable, Optional, Sequence

from ppverify.models.scenario import Bounds
from ppverify.proofs.analyses.changes import Change
from ppverify.proofs.analyses.checks import ANALYSES_ENGINE, Ask, Checks, Search, answer
from ppverify.proofs.pp.model import honest_run, symbolic_model
from ppverify.proofs.analyses.lattice import LatticeReport, run_lattice
from ppverify.proofs.analyses.mutate import BASELINES, MutateReport, run_baselines
from ppverify.proofs.analyses.remediation import Remediation, remediate
from ppverify.proofs.core.serial import action_to_json
from ppverify.proofs.core.verdicts import Result, Trace, Violated
from ppverify.proofs.replay.symbolic import replay_trace
from ppverify.protocol.controls import ACTORS

TOOLS = ("ppverify", "networkx", "z3-solver", "cryptography", "pyhpke", "voprf")

# Left-to-right order of roles in diagrams: the flow of SPEC section 3.
ROLE_ORDER = ("client", "acs", "cdn", "ledger", "relay", "gateway", "cvm", "gpu", "host")

# Trust boundaries of SPEC section 2: who operates what and what it is trusted for.
BOUNDARIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("device", "User device: all checks run here", ("client",)),
    ("third", "Third parties: trusted not to collude with Meta", ("cdn", "relay", "ledger")),
    ("meta", "Meta: availability and rate limiting only", ("acs", "gateway", "host")),
    ("tee", "Attested CVMs (SEV-SNP) and GPUs in CC mode", ("cvm", "gpu")),
)

CHANNEL_CLASSES = {
    "hop": "hop between two parties (server-authenticated TLS for the client's and relay's hops): "
           "read or forged only by an actor that controls an end",
    "network": "network link: attested-TLS records in the clear on the wire; `network` reads and injects",
    "datacenter": "datacenter link: the host's network and bus; `meta-insider` reads and injects",
}


@dataclass(frozen=True)
class Channel:
    a: str
    b: str
    cls: str                 # a key of CHANNEL_CLASSES
    kinds: tuple[str, ...]   # kinds sent a -> b in the honest run (a sends first)


@dataclass(frozen=True)
class SystemView:
    parties: tuple[tuple[str, str], ...]   # (name, role)
    channels: tuple[Channel, ...]
    tunnels: tuple[tuple[str, str, str], ...]  # end-to-end channels: (a, b, label)


def order_participants(names: Iterable[str], roles: dict[str, str]) -> tuple[str, ...]:
    """Sort by role (ROLE_ORDER), then name; unknown parties and the adversary last."""
    def key(n):
        r = roles.get(n)
        rank = ROLE_ORDER.index(r) if r in ROLE_ORDER else len(ROLE_ORDER) + (n == "adversary")
        return (rank, n)
    return tuple(sorted(set(names), key=key))


def boundary_of(role: str) -> Optional[str]:
    return next((b for b, _, rs in BOUNDARIES if role in rs), None)


def boundary_groups(view: "SystemView") -> list[tuple[str, str, list[str]]]:
    """(key, title, parties) of each boundary with a party in `view`, in BOUNDARIES order."""
    groups = [(key, title, [p for p, r in view.parties if boundary_of(r) == key]) for key, title, _ in BOUNDARIES]
    return [g for g in groups if g[2]]


def system_view(model, honest_actions: Iterable[dict]) -> SystemView:
    """Parties of the scenario's setup; channels = the links the honest run uses,
    classified by the model's own visibility rules."""
    roles = dict(model.roles)
    kinds: dict[tuple[str, str], list[str]] = {}
    for a in honest_actions:
        if a["type"] == "invoke":
            continue
        pair = (a["src"], a["dst"])
        if pair[::-1] in kinds:
            continue  # the answer on a channel the other side opened
        ks = kinds.setdefault(pair, [])
        if a["kind"] not in ks:
            ks.append(a["kind"])
    channels = []
    for (a, b), ks in kinds.items():
        cls = ("network" if model.network_link(a, b)
               else "datacenter" if model.datacenter_link(a, b) else "hop")
        channels.append(Channel(a, b, cls, tuple(ks)))
    tunnels = []
    on = model.env.scenario.on
    gateway = next((p for p, r in roles.items() if r == "gateway"), None)
    client = next((p for p, r in sorted(roles.items()) if r == "client"), None)
    front = next((c.b for c in channels if c.a == gateway and roles.get(c.b) == "cvm"), None)
    if client and gateway and on("ohttp-encapsulation"):
        tunnels.append((client, gateway, "OHTTP: HPKE to the gateway key"))
    if client and front and on("ra-tls"):
        tunnels.append((client, front, "RA-TLS: attested, end to end"))
    parties = tuple((p, roles[p]) for p in order_participants(roles, roles))
    return SystemView(parties, tuple(channels), tuple(tunnels))  # channels in order of first use


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
class Bundle:
    info: RunInfo
    results: tuple[Result, ...]
    roles: dict                     # party -> role
    honest: tuple[dict, ...]        # the honest run, actions in trace JSON form
    system: SystemView
    replays: dict                   # (property, threat) -> what the replay re-established
    mutations: tuple[MutateReport, ...] = ()  # the control-necessity matrices, one per baseline (--extras)
    lattice: Optional[LatticeReport] = None   # the threat lattice (--extras)
    extras_skipped: bool = False    # gathered without --extras: the renderers say what is left out
    remediation: Optional[Remediation] = None  # the fixes of the findings
    reasons: dict = field(default_factory=dict)  # mutation -> Reason it stops nothing (manifest/)

    def attacks(self) -> list[Trace]:
        return [r.verdict.trace for r in self.results if isinstance(r.verdict, Violated)]


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


def mutants_engine(engine: str) -> str:
    """The engine of the report's mutation analysis: the report's own, but
    on `auto` (its default, as `check`'s) the analyses' (`ANALYSES_ENGINE`):
    a mutant's grounding grows with what the mutation lets through (10-25 s
    for some under meta-insider), and some 400 mutants are checked."""
    return ANALYSES_ENGINE if engine == "auto" else engine


def gather(design: Change, bounds: Bounds, threats: Sequence[str], properties: Sequence[str], search: Search,
           command: str = "ppverify report", progress: Optional[Callable[[str, int, int], None]] = None,
           extras: bool = False, jobs: int = 1, reasons: Optional[dict] = None) -> Bundle:
    """Run the checks of `design` (one per threat model, serial, with `progress(threat, states,
    queued)`), the fixes of their findings, and collect the bundle. `extras`: also the mutation
    analysis against both baselines and the lattice over the actors of `threats` (minutes)."""
    started = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    start = time.perf_counter()
    results: list[Result] = []
    with Checks(jobs) as checks:
        for t in threats:
            cb = (lambda s, q, t=t: progress(t, s, q)) if progress else None
            ask = Ask(design, t, tuple(properties), search, bounds)
            ans = answer(ask, cb)
            checks.seed(ask, ans)   # the derivation and remediation ask for some of these again
            results += ans.results
        remediation = remediate(checks, results, search, design, bounds)
        mutations, lattice = (), None
        if extras:
            mutations = tuple(run_baselines(BASELINES, threats, max_moves=search.max_moves, checks=checks,
                                            engine=mutants_engine(search.engine),
                                            engine_options=dict(search.options)))
            actors = tuple(a for a in ACTORS if any(a in t.split("+") for t in threats))
            lattice = (run_lattice(actors, max_moves=search.max_moves, jobs=jobs, engine=search.engine)
                       if actors else None)
    base = design.scenario("none", bounds=bounds)
    model = symbolic_model(base)
    honest = tuple(action_to_json(a) for a in honest_run(model) or [])
    replays = {(r.property, r.threat): replay_trace(r.verdict.trace)[2]
               for r in results if isinstance(r.verdict, Violated)}
    seconds = time.perf_counter() - start
    info = RunInfo(command, base.describe(), tuple(threats), tuple(properties), search.max_states,
                   search.max_moves, tuple(sorted({r.verdict.engine for r in results})), tool_versions(),
                   started, seconds)
    return Bundle(info, tuple(results), dict(model.roles), honest, system_view(model, honest),
                  replays, mutations, lattice, extras_skipped=not extras, remediation=remediation,
                  reasons=dict(reasons or {}))
