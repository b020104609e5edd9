"""Mutation analysis: which control stops which attack (the control-necessity
matrix).

A mutation switches one control of SPEC section 4 off, or sets one parameter
of section 7 to a non-default value. Each mutation is checked under every
threat model of the stated trust model and compared with the baseline (the
published design, same bounds): a control stops an attack on property P under
threat T when P is proved in the baseline and violated in the mutant. The
mutant's trace is then replayed on the baseline, where it must fail: the
control is what stops that very trace.

The baseline is explored deeper than the mutants (`BASELINE_MAX_STATES`,
the state limit of `ppverify check` and of the pinned manifest): a property
the published design loses only in a long trace (meta-insider's 23- and
24-step key-share substitutions) is then violated in the baseline, so no
mutant is credited with "breaking" it, and every attack a mutant shows is
shorter than the depth to which the baseline keeps that property. Mutants
stay at `DEFAULT_MAX_STATES`: there are some 200 of them.

Sound skips: the baseline run records which controls and parameters the
model ever reads under T (`_Recording`). A mutation of something never read
makes the same exploration, step for step (the explorer is deterministic), so
its verdicts are the baseline's and it is not re-run (a deeper baseline reads
at least what its first states read). Only the properties the
baseline does not violate are checked in a mutant (the others cannot be
stopped by anything), which lets the explorer stop early once all of them are.
"""
from __future__ import annotations

import time
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from ppverify.models.scenario import Scenario
from ppverify.models.threats import UnknownName
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.analyses.pool import workers
from ppverify.proofs.core.serial import TraceFormatError
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.core.verdicts import Result, Standing, Trace, Violated, standing
from ppverify.proofs.replay.symbolic import ReplayError, replay_trace
from ppverify.protocol.controls import CONTROLS, DEFAULTS, PARAMETERS, STATED_THREATS, scenario

DEFAULT_MAX_STATES = 5_000
BASELINE_MAX_STATES = 20_000

# Mutations that break nothing under the stated single-actor threat models at
# the default bounds, one sentence each on why (checked by tests/test_mutate.py
# against real runs only in part: keep them honest when the model changes):
#   gap        the model does not yet capture what the control protects;
#   depth      another control (or the stronger parameter value) already stops it;
#   coalition  the attack needs a coalition outside the single actors mutate runs;
#   masked     what it protects already fails in the published design under that actor.
NO_ATTACK: dict[str, tuple[str, str]] = {
    "ledger-consistency": ("coalition",
        "Only a corrupt ledger can show a split view and only a meta-insider can run the unpublished image "
        "that the split view would admit, so the attack needs meta-insider+ledger (see ppverify lattice), "
        "not a single actor of the stated trust model."),
    "measured-configuration": ("masked",
        "Without it meta-insider feeds a CVM inputs the measurement does not cover (published-code), "
        "but the published design already loses published-code under meta-insider: once the corrupt gateway "
        "holds the plaintext through the key-share substitution it feeds it to such a CVM itself (23 steps)."),
    "no-remote-access": ("masked",
        "Without it meta-insider uses the host's shell into a CVM (published-code), but the published "
        "design already loses published-code under meta-insider to the key-share substitution (23 steps), "
        "so nothing the baseline keeps breaks."),
    "cvm-peer-attestation": ("masked",
        "Without the peer check meta-insider steers the orchestrator's call to pred-evil (published-code, "
        "26 steps), but the published design already loses published-code under meta-insider to the "
        "key-share substitution (23 steps), and request-secrecy to the predictor key-share finding."),
    "response-authentication": ("masked",
        "Without it the network rewrites an answer on the gateway-CVM path (response-integrity), but the "
        "published design already loses response-integrity under network to the binder finding (the "
        "attacker holds the client's channel key and answers in the CVM's place), and under meta-insider."),
    "gpu-confidential-mode": ("masked",
        "Without CC mode meta-insider reads the prompt on the predictor's bus, but the published design "
        "already loses request- and response-secrecy under meta-insider to the binder finding, so nothing "
        "the baseline keeps breaks; run it with --set binder=client-random+server-key to see it."),
    "log-filtering": ("masked",
        "Unfiltered logs hand the request text to the host, but the published design already loses request- "
        "and response-secrecy under meta-insider to the binder finding, so nothing the baseline keeps breaks; "
        "run it with --set binder=client-random+server-key to see it."),
    "binder=client-random+server-key": ("depth",
        "It binds the server key share as well as the client random, so it is strictly stronger than the "
        "default binder and removes the key-share substitution the published design already has."),
    "binder=exporter": ("depth",
        "A TLS exporter binds the whole handshake (client random and both key shares), strictly stronger "
        "than the default binder."),
    "binder=handshake-key": ("depth",
        "Binding the client random with both key shares is strictly stronger than the default binder, so "
        "no attack on the published design gets easier."),
    "credential-scheme=rsa-blind": ("gap",
        "The symbolic theory has one blind-credential scheme for both values, so the checker never reads "
        "this parameter (every check is soundly skipped); only the concrete backend differs."),
}


@dataclass(frozen=True)
class Mutation:
    name: str                          # "ra-tls" or "binder=none"
    disable: tuple[str, ...] = ()
    set_params: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.name} off" if self.disable else self.name

    def scenario(self, threat: str) -> Scenario:
        return scenario(threat, self.disable, self.set_params)


def mutations() -> tuple[Mutation, ...]:
    ctl = tuple(Mutation(c, disable=(c,)) for c in CONTROLS)
    par = tuple(Mutation(f"{p}={v}", set_params=(f"{p}={v}",))
                for p, vals in PARAMETERS.items() for v in vals if v != DEFAULTS[p])
    return ctl + par


def by_name(name: str) -> Mutation:
    for m in mutations():
        if m.name == name:
            return m
    raise UnknownName("mutation", name, [m.name for m in mutations()])


@dataclass(frozen=True)
class _Recording(Scenario):
    """A scenario that notes every control and parameter the model reads."""
    read: set = field(default_factory=set, compare=False, hash=False)

    def on(self, control: str) -> bool:
        self.read.add(control)
        return super().on(control)

    def param(self, name: str) -> str:
        self.read.add(name)
        return super().param(name)


def _baseline_job(threat: str, props: tuple, max_states: int, max_moves: int):
    base = scenario(threat)
    rec = _Recording(base.threat, base.disabled, base.parameters, base.bounds)
    results = check_threat(rec, props, max_states=max_states, max_moves=max_moves)
    return threat, results, frozenset(rec.read)


def _mutant_job(m: Mutation, threat: str, props: tuple, max_states: int, max_moves: int):
    return m.name, threat, check_threat(m.scenario(threat), props, max_states=max_states,
                                        max_moves=max_moves)


@dataclass(frozen=True)
class Stopped:
    """An attack the mutation lets through: property, threat, its trace."""
    property: str
    threat: str
    trace: Trace
    stopped_on_baseline: bool   # the trace fails on the published design


@dataclass
class MutateReport:
    threats: tuple[str, ...]
    properties: tuple[str, ...]
    baseline: dict[str, list[Result]]
    attacks: dict[str, list[Stopped]]            # mutation name -> attacks it lets through
    ran: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (mutation, threat) not read
    undecided: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # name -> (prop, threat, reason)
    max_states: int = DEFAULT_MAX_STATES
    seconds: float = 0.0
    baseline_states: int = BASELINE_MAX_STATES

    def cells(self) -> dict[tuple[str, str], list[Stopped]]:
        out: dict = {}
        for m, attacks in self.attacks.items():
            for a in attacks:
                out.setdefault((m, a.property), []).append(a)
        return out

    def silent(self) -> list[str]:
        """Mutations that break nothing (and left no cell inconclusive)."""
        return [m for m, a in self.attacks.items() if not a and not self.undecided.get(m)]


KEPT = (Standing.EVERY_SIZE, Standing.SCENARIO, Standing.DEPTH_BOUNDED)


def _fails_on_baseline(trace: Trace) -> bool:
    """Replay the mutant's trace on the published design: it must not work."""
    base = scenario(trace.threat)
    t = Trace(trace.property, trace.threat, base.describe(), trace.steps, trace.explanation)
    try:
        replay_trace(t)
    except (ReplayError, TraceFormatError):
        return True
    return False


def run_mutate(threats: Sequence[str] = STATED_THREATS, muts: Sequence[Mutation] | None = None,
               properties: Sequence[str] = PROPERTY_NAMES, max_states: int = DEFAULT_MAX_STATES,
               max_moves: int = 2, jobs: int = 1,
               progress: Optional[Callable[[str], None]] = None,
               baseline_states: Optional[int] = None) -> MutateReport:
    """`baseline_states`: the published design's state limit, by default
    `BASELINE_MAX_STATES` (never below the mutants' `max_states`)."""
    start = time.perf_counter()
    base_n = max(max_states, BASELINE_MAX_STATES if baseline_states is None else baseline_states)
    muts = tuple(mutations() if muts is None else muts)
    props, threats = tuple(properties), tuple(threats)
    say = progress or (lambda s: None)
    baseline, read = {}, {}
    todo, skipped, futures = [], [], []
    open_props: dict = {}
    with workers(max(1, jobs)) as pool:
        # A threat model's mutants start as soon as its baseline is in: the
        # deep meta-insider baseline would otherwise hold the other worker idle.
        base = [pool.submit(_baseline_job, t, props, base_n, max_moves) for t in threats]
        for bf in as_completed(base):
            t, res, r = bf.result()
            baseline[t], read[t] = res, r
            say(f"baseline under {t}: {sum(isinstance(x.verdict, Violated) for x in res)} violated")
            # the baseline keeps these (proved, or no attack within its depth-bounded search): a
            # mutant's attack on one is credited when its trace fails on the published design
            open_props[t] = tuple(x.property for x in res if standing(x.verdict) in KEPT)
            for m in muts:
                touched = set(m.disable) | {s.split("=", 1)[0] for s in m.set_params}
                if not touched & r or not open_props[t]:
                    skipped.append((m.name, t))
                else:
                    todo.append((m, t))
                    futures.append(pool.submit(_mutant_job, m, t, open_props[t], max_states, max_moves))
        attacks: dict[str, list[Stopped]] = {m.name: [] for m in muts}
        undecided: dict[str, list] = {m.name: [] for m in muts}
        for f in futures:
            name, t, res = f.result()
            for r in res:
                if isinstance(r.verdict, Violated):
                    tr = r.verdict.trace
                    attacks[name].append(Stopped(r.property, t, tr, _fails_on_baseline(tr)))
                elif standing(r.verdict) == Standing.OPEN:   # a depth-bounded mutant cell: no attack found
                    undecided[name].append((r.property, t, r.verdict.reason))
            say(f"{name} under {t}: {sum(isinstance(x.verdict, Violated) for x in res)} new violations")
    # the order baselines finish in is the machine's: report in a fixed one
    order = {m.name: i for i, m in enumerate(muts)}
    baseline = {t: baseline[t] for t in threats}
    skipped.sort(key=lambda mt: (order[mt[0]], threats.index(mt[1])))
    for a in attacks.values():
        a.sort(key=lambda s: (props.index(s.property), threats.index(s.threat)))
    for u in undecided.values():
        u.sort(key=lambda c: (props.index(c[0]), threats.index(c[1])))
    return MutateReport(threats, props, baseline, attacks, len(todo), skipped, undecided, max_states,
                        time.perf_counter() - start, base_n)
