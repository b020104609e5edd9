"""Changes of the design: controls switched off or back on, parameters set.

One type for three uses: a baseline (the published design is no change; the
hardened one sets a parameter), a mutation (`ppverify mutate` applies one to a
baseline) and a remedy (`proofs.analyses.remediation` tries one on the design
a check found attacks in). A change applies over a base change, so the same
design reached two ways (the hardened baseline with its binder set back, the
published design) is one scenario."""
from __future__ import annotations

from dataclasses import dataclass

from ppverify.models.scenario import Bounds, Scenario
from ppverify.models.threats import UnknownName
from ppverify.protocol.controls import CONTROLS, DEFAULTS, PARAMETERS, scenario

# Parameters tried first, in this order, then the rest in the catalogue's order (DESIGN, issue 16: the
# binder is what the published design leaves open).
FIRST = ("binder",)


@dataclass(frozen=True, order=True)
class Change:
    disable: tuple[str, ...] = ()      # controls switched off
    set_params: tuple[str, ...] = ()   # NAME=VALUE
    enable: tuple[str, ...] = ()       # controls of the base switched back on

    @property
    def parts(self) -> tuple[str, ...]:
        return self.disable + tuple(f"{c} on" for c in self.enable) + self.set_params

    @property
    def name(self) -> str:
        """`ra-tls` (switched off), `binder=none`, `ra-tls on`; parts joined by ', '."""
        return ", ".join(self.parts)

    @property
    def label(self) -> str:
        """As a report names it: `ra-tls off`, `binder=none`, `no change`."""
        return ", ".join([f"{c} off" for c in self.disable] + list(self.parts[len(self.disable):])) or "no change"

    @property
    def size(self) -> int:
        return len(self.parts)

    @property
    def touched(self) -> frozenset[str]:
        """The controls and parameter names the change reads differently."""
        return frozenset(self.disable + self.enable + tuple(s.split("=", 1)[0] for s in self.set_params))

    def params(self) -> dict[str, str]:
        return dict(s.split("=", 1) for s in self.set_params)

    def over(self, base: "Change") -> "Change":
        """This change applied to `base`, as one change from the published design."""
        off = [c for c in CONTROLS if (c in base.disable and c not in self.enable) or c in self.disable]
        values = {**base.params(), **self.params()}
        return Change(tuple(off), tuple(f"{k}={values[k]}" for k in PARAMETERS
                                        if k in values and values[k] != DEFAULTS[k]))

    def scenario(self, threat: str, base: "Change" = None, bounds: Bounds = Bounds()) -> Scenario:
        full = self.over(base) if base is not None else self
        return scenario(threat, full.disable, full.set_params, bounds)

    def options(self) -> str:
        """The command-line options that make it: `--disable ra-tls --set binder=none` (a control
        switched back on: `without --disable ra-tls`)."""
        return " ".join([f"--disable {c}" for c in self.disable] + [f"without --disable {c}" for c in self.enable]
                        + [f"--set {s}" for s in self.set_params])


NONE = Change()


def value(base: Change, parameter: str) -> str:
    return base.params().get(parameter, DEFAULTS[parameter])


def _parameter_order() -> list[str]:
    return [p for p in FIRST if p in PARAMETERS] + [p for p in PARAMETERS if p not in FIRST]


def parameter_changes(base: Change = NONE) -> tuple[Change, ...]:
    """Each other value of each parameter, binder values first, then the catalogue's order."""
    return tuple(Change(set_params=(f"{p}={v}",)) for p in _parameter_order()
                 for v in PARAMETERS[p] if v != value(base, p))


def mutations(base: Change = NONE) -> tuple[Change, ...]:
    """Each control of `base` switched off, then each other parameter value (the catalogue's order)."""
    ctl = tuple(Change(disable=(c,)) for c in CONTROLS if c not in base.disable)
    return ctl + tuple(Change(set_params=(f"{p}={v}",)) for p, vals in PARAMETERS.items()
                       for v in vals if v != value(base, p))


def remedies(base: Change = NONE) -> tuple[Change, ...]:
    """What may fix a finding: each other parameter value, each control `base` has off switched back
    on. Switching a control off is not one: that removes a check (the question `mutate` asks)."""
    return parameter_changes(base) + tuple(Change(enable=(c,)) for c in base.disable)


def by_name(name: str, base: Change = NONE) -> Change:
    for m in mutations(base):
        if m.name == name:
            return m
    raise UnknownName("mutation", name, [m.name for m in mutations(base)])


def parse(parts: list[str]) -> Change:
    """A change from its parts as data files write them (`binder=exporter`, `ra-tls`, `ra-tls on`)."""
    off = tuple(p for p in parts if "=" not in p and not p.endswith(" on"))
    on = tuple(p[:-3] for p in parts if p.endswith(" on"))
    sets = tuple(p for p in parts if "=" in p)
    scenario("none", off + on, sets)   # names checked: an unknown one raises with the valid choices
    return Change(off, sets, on)
