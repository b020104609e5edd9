"""The catalogue of SPEC.md: controls (section 4), threat actors (section 5) and
parameters (section 7), with the defaults of the published design."""
from __future__ import annotations

from typing import Iterable, Sequence

from ppverify.models.scenario import Bounds, Scenario
from ppverify.models.threats import ThreatModel, UnknownName

CONTROLS: tuple[str, ...] = (
    "credential-blinding", "issuer-key-consistency", "single-use-tokens",
    "third-party-key-config", "third-party-relay", "ohttp-encapsulation", "ra-tls",
    "attestation-signature", "attestation-binding", "ledger-inclusion",
    "ledger-consistency", "revocation-check", "tcb-from-certificate",
    "guest-policy-check", "measured-configuration", "ephemeral-session-keys",
    "erasure-at-teardown", "no-remote-access", "log-filtering", "cvm-peer-attestation",
    "gpu-confidential-mode", "response-authentication", "user-opt-in",
    "advanced-chat-privacy", "data-minimization",
)

ACTORS: tuple[str, ...] = (
    "network", "meta-insider", "relay", "cdn", "ledger", "chat-member",
    "cvm-compromise-after", "hw-vendor",
)

# The stated trust model: every single actor except hw-vendor (DESIGN, issue 3).
STATED_THREATS: tuple[str, ...] = ACTORS[:-1]

BINDERS = ("none", "client-random", "server-key", "client-random+server-key",
           "exporter", "handshake-key")
PARAMETERS: dict[str, tuple[str, ...]] = {
    "binder": BINDERS,
    "credential-scheme": ("voprf", "rsa-blind"),
}
DEFAULTS: dict[str, str] = {"binder": "client-random", "credential-scheme": "voprf"}

# Which party each actor controls (SPEC sections 2 and 5).
CONTROLLED_PARTIES: dict[str, frozenset[str]] = {
    "network": frozenset(),
    "meta-insider": frozenset({"gateway", "acs", "host"}),
    "relay": frozenset({"relay"}),
    "cdn": frozenset({"cdn"}),
    "ledger": frozenset({"ledger"}),
    "chat-member": frozenset({"chat-member"}),
    "cvm-compromise-after": frozenset(),
    "hw-vendor": frozenset({"hw-vendor"}),
}


def threat(text: str) -> ThreatModel:
    return ThreatModel.parse(text, ACTORS)


def check_controls(names: Iterable[str]) -> frozenset[str]:
    for n in names:
        if n not in CONTROLS:
            raise UnknownName("control", n, CONTROLS)
    return frozenset(names)


def parse_parameters(assignments: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """`NAME=VALUE` strings over the defaults; unknown names or values raise."""
    values = dict(DEFAULTS)
    for a in assignments:
        if "=" not in a:
            raise ValueError(f"expected NAME=VALUE, got {a!r}; parameters: "
                             + ", ".join(PARAMETERS))
        name, value = (s.strip() for s in a.split("=", 1))
        if name not in PARAMETERS:
            raise UnknownName("parameter", name, tuple(PARAMETERS))
        if value not in PARAMETERS[name]:
            raise UnknownName(f"value for {name}", value, PARAMETERS[name])
        values[name] = value
    return tuple(sorted(values.items()))


def scenario(threat_text: str = "none", disable: Sequence[str] = (),
             set_params: Sequence[str] = (), bounds: Bounds = Bounds()) -> Scenario:
    if bounds.clients < 1 or bounds.sessions < 1 or bounds.cvms < 1:
        raise ValueError("bounds must be at least 1 (clients, sessions, cvms)")
    return Scenario(threat=threat(threat_text), disabled=check_controls(disable),
                    parameters=parse_parameters(set_params), bounds=bounds)
