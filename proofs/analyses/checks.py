"""Checks that the analyses share: how a check is searched (`Search`: the
engine and its limits), one check asked of a design (`Ask`), and a memo of
their answers run in worker processes (`Checks`).

The analyses (mutate on both baselines, the hardened baseline's derivation,
remediation, the report) ask for many checks and often for the same one: the
derivation's candidates are the fixes remediation tries, its winner the
hardened baseline mutate starts from. An `Ask` names the whole design (the
change from the published design), so the same design asked for two ways is
checked once. Every answer records which controls and parameters the model
read, for mutate's sound skip (`_Recording`).
"""
from __future__ import annotations

import contextlib
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

from ppverify.models.scenario import Bounds, Scenario
from ppverify.proofs.analyses.changes import Change
from ppverify.proofs.analyses.check import ENGINES, check_threat
from ppverify.proofs.analyses.pool import workers
from ppverify.proofs.core.verdicts import Result

# The engine of the analyses that run hundreds of checks (mutate, its derivation, the report's extras,
# lattice) when --engine is not given: the explorer, whose cost the pinned matrices were measured with;
# `check` uses `check.DEFAULT_ENGINE` (auto; its fixes too). Set this to DEFAULT_ENGINE to
# move them all to it.
ANALYSES_ENGINE = "explore"


@dataclass(frozen=True)
class Search:
    """The engine and its limits, the same for every check it runs."""
    max_states: int = 20_000
    max_moves: int = 2
    engine: str = ANALYSES_ENGINE
    options: tuple[tuple[str, object], ...] = ()   # further check_threat options: bound, timeout, seed, rounds

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; valid: {', '.join(ENGINES)}")

    @classmethod
    def of(cls, max_states: int = 20_000, max_moves: int = 2, engine: str = ANALYSES_ENGINE,
           **options) -> "Search":
        return cls(max_states, max_moves, engine, tuple(sorted(options.items())))

    def at(self, max_states: int) -> "Search":
        return Search(max_states, self.max_moves, self.engine, self.options)

    def within(self, *budgets) -> "Search":
        """The same search, `auto` asking the unbounded engine within these budgets only (`auto.Budget`)."""
        return Search(self.max_states, self.max_moves, self.engine,
                      tuple(sorted(dict(self.options, budgets=budgets).items())))

    def check(self, sc: Scenario, props: tuple[str, ...], progress: Optional[Callable] = None) -> list[Result]:
        return check_threat(sc, props, max_states=self.max_states, max_moves=self.max_moves,
                            progress=progress, engine=self.engine, **dict(self.options))

    def describe(self) -> dict:
        return {"engine": self.engine, "max_states": self.max_states, "max_moves": self.max_moves,
                **{k: v for k, v in self.options if v is not None}}


@dataclass(frozen=True)
class Ask:
    design: Change          # the whole change from the published design
    threat: str
    props: tuple[str, ...]
    search: Search
    bounds: Bounds = Bounds()

    def scenario(self) -> Scenario:
        return self.design.scenario(self.threat, bounds=self.bounds)


@dataclass(frozen=True)
class Answer:
    results: tuple[Result, ...]
    read: frozenset[str]    # controls and parameters the model read

    def by_property(self) -> dict[str, Result]:
        return {r.property: r for r in self.results}


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


def answer(ask: Ask, progress: Optional[Callable] = None) -> Answer:
    sc = ask.scenario()
    rec = _Recording(sc.threat, sc.disabled, sc.parameters, sc.bounds)
    results = ask.search.check(rec, ask.props, progress)
    return Answer(tuple(results), frozenset(rec.read))


class Checks:
    """Answers to asks, each asked once: in `jobs` worker processes (inline
    for one job), memoized for the life of the object. Use as a context
    manager: leaving it ends the workers."""

    def __init__(self, jobs: int = 1):
        self.jobs = max(1, jobs)
        self.memo: dict[Ask, Future] = {}
        self.ran = 0
        self._pool = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "Checks":
        if self.jobs > 1:
            self._pool = self._stack.enter_context(workers(self.jobs))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.__exit__(*exc)

    def submit(self, ask: Ask) -> Future:
        if ask in self.memo:
            return self.memo[ask]
        self.ran += 1
        if self._pool is None:
            fut: Future = Future()
            fut.set_result(answer(ask))
        else:
            fut = self._pool.submit(answer, ask)
        self.memo[ask] = fut
        return fut

    def seed(self, ask: Ask, ans: Answer) -> None:
        """An answer computed elsewhere (a serial run with progress), for later asks."""
        fut: Future = Future()
        fut.set_result(ans)
        self.memo.setdefault(ask, fut)

    def get(self, asks: list[Ask]) -> list[Answer]:
        futures = [self.submit(a) for a in asks]
        return [f.result() for f in futures]


@contextlib.contextmanager
def shared(checks: Optional[Checks], jobs: int) -> Iterator[Checks]:
    """`checks` when given (its owner ends it), else a new one for this block."""
    if checks is not None:
        yield checks
        return
    with Checks(jobs) as mine:
        yield mine


def full(design: Change, threats, props, search: Search, bounds: Bounds = Bounds()) -> list[Ask]:
    """Every property under each threat model, for one design."""
    return [Ask(design, t, tuple(props), search, bounds) for t in threats]

