"""A scenario's ground truth, as the property monitors read it."""
from __future__ import annotations

from ppverify.protocol import attestation as att
from ppverify.protocol.symbolic import SymbolicCrypto

S = SymbolicCrypto()


class Facts:
    """What the monitors need to know about a scenario's ground truth."""

    def __init__(self, model):
        self.model = model
        st = model.setup.static
        self.clients = sorted(p for p, d in model.setup.parties.items() if d.role == "client")
        self.secrets = frozenset(m for cl in self.clients for _, _, msgs in st[cl]["chats"].values()
                                 for m in msgs)
        self.acp = frozenset(m for cl in self.clients for acp, _, msgs in st[cl]["chats"].values()
                             if acp for m in msgs)
        self.responses = []
        for cl in self.clients:
            for _, feature, msgs in st[cl]["chats"].values():
                for extra in ((), (st[cl]["account"],)):
                    self.responses.append(S.process(S.const(feature), S.tup(*msgs, *extra)))
        f = model.setup.facts
        self.published = frozenset(S.const(d) for d in f["published"])
        self.revoked = frozenset(S.const(d) for d in f["revoked"])
        self.pins, self.view, self.gw_pub, self.attr_pub = f["pins"], f["view"], f["gw_pub"], f["attr_pub"]
        self.meta = "meta-insider" in model.threat

    def ground_failures(self, evidence, expected_rd, only=None) -> list[str]:
        """The checks this evidence fails with every control on and the
        auditor-signed global ledger view: the ground truth."""
        try:
            ev = att.parse(S, evidence)
        except Exception:
            return ["malformed"]
        failed = att.failed_checks(S, lambda n: True, self.pins, self.view, ev, expected_rd)
        return [f for f in failed if only is None or f in only]
