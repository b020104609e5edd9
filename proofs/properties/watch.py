"""The monitors of many properties as one check per transition.

Each property says which transitions its monitor can fire on (`Wakes`): one
whose output has an event it reads, one to a new knowledge object, one to
new sightings. On any other transition its monitor returns None (each
property's declaration is checked against its monitor on every transition
of small searches: tests/test_reductions.py), so `watch` runs a monitor only
where it can fire, and looks at a transition's events once for all of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence


@dataclass(frozen=True)
class Wakes:
    """The transitions a property's monitor can fire on."""
    events: frozenset = frozenset()   # names of events in the acting party's output
    knowledge: bool = False           # the adversary's knowledge object changed
    sightings: bool = False           # the sightings changed

    def woken(self, w0, w, out) -> bool:
        return ((self.knowledge and w.knowledge is not w0.knowledge)
                or (self.sightings and w.sightings is not w0.sightings)
                or any(e.name in self.events for e in out.events))


def on(*events: str) -> Wakes:
    return Wakes(events=frozenset(events))


KNOWLEDGE = Wakes(knowledge=True)
LINKS = Wakes(knowledge=True, sightings=True)

Watch = Callable[..., list]   # (w0, w, out) -> [(property name, why)], in the given order


def watch(facts, props: Sequence) -> Watch:
    """One check of the monitors of `props` (catalogue `Property` values):
    (w0, w, out) -> the violated ones with why, in the order of `props`."""
    on_knowledge = [i for i, p in enumerate(props) if p.wakes.knowledge]
    on_sightings = [i for i, p in enumerate(props) if p.wakes.sightings]
    by_event: dict[str, list[int]] = {}
    for i, p in enumerate(props):
        for name in p.wakes.events:
            by_event.setdefault(name, []).append(i)
    monitors = [(p.name, p.monitor) for p in props]

    def check(w0, w, out) -> list:
        woken: set = set()
        if w.knowledge is not w0.knowledge:
            woken.update(on_knowledge)
        if w.sightings is not w0.sightings:
            woken.update(on_sightings)
        for e in out.events:
            hit = by_event.get(e.name)
            if hit:
                woken.update(hit)
        found = []
        for i in sorted(woken):
            name, mon = monitors[i]
            why = mon(facts, w0, w, out)
            if why:
                found.append((name, why))
        return found
    return check
