"""Phase 0, provisioning: keys, images, the ledger, chips, and the party
instances of a scenario, for either backend.

Images (measurements are constants `img:...`):
  orch-v2, pred-v2   published, current
  orch-v1            published, then revoked (it logged request text)
  orch-evil, pred-evil   never published; exfiltrate what they handle
Chips: chip-a (current TCB) runs every CVM; chip-old (outdated TCB) has a
VCEK whose key a `meta-insider` extracted, so it can sign any report.
With `meta-insider` in the threat model Meta also launches, next to the honest
CVMs: orch-evil, orch-revoked (v1), orch-debug (v2, debug policy),
orch-config (v2 with an unmeasured verbose-logging configuration), pred-evil.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Callable

from ppverify.models import supply
from ppverify.models.scenario import Scenario
from ppverify.protocol.controls import CONTROLLED_PARTIES
from ppverify.protocol.crypto import Crypto
from ppverify.protocol.parties import client as cl, cvm, gateway as gw, services as sv

FEATURE = "feature:summary"
PUBLISHED = ("img:orch-v1", "img:orch-v2", "img:pred-v2")
REVOKED = ("img:orch-v1",)
UNPUBLISHED = ("img:orch-evil", "img:pred-evil")

CHATS = {  # chat -> (Advanced Chat Privacy on?, feature, messages)
    "work": (False, "feature:summary",
             (("m1", b"Standup moved to 10:00, bring the Q3 numbers"),
              ("m2", b"Dana: the Lisbon offsite is confirmed for May"))),
    # another member turned Advanced Chat Privacy on for this chat
    "family": (True, "feature:summary",
               (("f1", b"Grandma's surgery went well, visiting on Sunday"),)),
}
DRAFT = {"draft": (False, "feature:writing-help",
                   (("d1", b"hey sorry cant make it tmrw, can we do thurs instead"),))}


@dataclass(frozen=True)
class PartyDef:
    role: str                      # the SPEC section 2 party id
    handlers: dict
    state: Any
    choosing: frozenset = frozenset()
    choices: Callable | None = None
    readable: bool = False         # its memory is readable by the host


@dataclass
class Setup:
    parties: dict[str, PartyDef]
    static: dict[str, dict]
    public: list                    # values everybody knows (pins, certs, ledger)
    adversary: list                 # the adversary's own values and extracted keys
    corrupt: frozenset[str]         # party instances controlled by the threat model
    facts: dict = field(default_factory=dict)  # ground truth for properties


def _chip(c: Crypto, name: str, tcb: str, ask, ark) -> dict:
    vcek = c.fresh(f"vcek.{name}", "sig")
    vbody = c.tup(c.const("vcek"), c.sig_pub(vcek), c.const(tcb))
    return dict(vcek=vcek, tcb=c.const(tcb), vcek_body=vbody, vcek_sig=c.sign(ask, vbody),
                ask_pub=c.sig_pub(ask), ask_sig=c.sign(ark, c.tup(c.const("ask"), c.sig_pub(ask))))


# The orchestrators a meta-insider launches beside the honest ones: name, image (the verbose
# configuration's measurement is the v2 image's unless measured-configuration is on), policy, whether
# the image leaks what it handles, the chip it runs on. Data, so that bench/bench_horn.py can measure how
# the unbounded engine grows as images and chips are added; the model's own fleet is this one.
LAUNCHED = (("orch-evil", "img:orch-evil", "policy:nodebug", True, "chip-a"),
            ("orch-revoked", "img:orch-v1", "policy:nodebug", True, "chip-a"),
            ("orch-debug", "img:orch-v2", "policy:debug", False, "chip-a"),
            ("orch-config", "img:orch-v2+cfg:verbose", "policy:nodebug", True, "chip-a"))


# Hellos the adversary may open with one CVM after its up-front one (the
# default --max-moves: each costs an injection).
ADVERSARY_HELLOS = 2
# Fresh values of each kind. Where two of them can be told apart (a
# gateway compares tokens; properties compare the keys handed to clients:
# configs, issuer keys) the up-front handshakes share member 1 and an
# injection uses at most two new ones (a token and a client random), so
# 1 + 2 * ADVERSARY_HELLOS covers every run within the default bound; the
# explorer reports a search that uses a family up as bounded (`supply`).
# One is enough of the others: a key share of its own is only ever combined
# with an honest party's fresh secret (sessions with one share have
# unrelated keys), nobody compares its signing keys with each other (a
# chain is checked up to the pinned ARK), nobody sees its blinding factors.
FRESH_SUPPLY = 1 + 2 * ADVERSARY_HELLOS
SUPPLY = {"nonce": FRESH_SUPPLY, "hpke": FRESH_SUPPLY, "cred": FRESH_SUPPLY,
          "dh": 1, "sig": 1, "blind": 1}
OTHER_DIGESTS = UNPUBLISHED + ("img:orch-v2+cfg:verbose",)


def _own_values(c: Crypto) -> list:
    """The adversary's own values: SUPPLY fresh atoms of each kind
    (`models.supply`: named adv.<kind>, adv.<kind>.2, ...) with their public
    keys, and a wrong answer."""
    # each public key from its own scheme (symbolically all are pk(v))
    pubs = {"dh": c.dh_pub, "sig": c.sig_pub, "hpke": c.hpke_pub, "cred": c.cred_pub}
    out = []
    for i in range(1, FRESH_SUPPLY + 1):
        for kind in ("dh", "sig", "hpke", "cred", "nonce", "blind"):
            if i > SUPPLY[kind]:
                continue
            v = c.fresh(supply.name(kind, i), kind)
            out.append(v)
            if kind in pubs:
                out.append(pubs[kind](v))
    out.append(c.const("adv:answer"))
    return out


def _ledger_views(c: Crypto, leaves: list) -> list:
    """What a corrupt ledger serves: trees over the digests it knows and
    revocation lists, within a bound. Trees: the published set plus any
    subset of the other known digests (8), and the published set less any
    one leaf (3); lists: the empty one and any single known digest (7). A
    client checks one evidence per view (the predictor is checked by the
    orchestrator against its own provisioned view), so what a view does to
    it is whether that one digest is a leaf and whether it is listed: a
    tree with one extra leaf, or one missing, and a list of at most one
    digest cover every such outcome; larger trees and lists only change
    which other digests are in, which no check of that session reads (the
    supersets with two extra leaves keep the earlier model's split view).
    With the proofs of their leaves, for evidence it forges."""
    pub = [c.const(d) for d in PUBLISHED]
    other = [c.const(d) for d in OTHER_DIGESTS]
    out = []
    for n in range(len(other) + 1):
        for extra in combinations(other, n):
            tree = leaves + list(extra)
            if extra:
                out.append(c.merkle_root(tree))
                out += [c.merkle_proof(tree, i) for i in range(len(tree))]
    for i in range(len(pub)):
        out.append(c.merkle_root(pub[:i] + pub[i + 1:]))
    out.append(c.tup(c.const("revoked")))
    out += [c.tup(c.const("revoked"), c.const(d)) for d in PUBLISHED + OTHER_DIGESTS if d not in REVOKED]
    return out


def build(c: Crypto, sc: Scenario, chats: dict = CHATS) -> Setup:
    t = sc.threat
    meta = "meta-insider" in t
    ark, ask, auditor = (c.fresh(n, "sig") for n in ("ark", "ask", "auditor"))
    chip_a = _chip(c, "chip-a", "tcb:current", ask, ark)
    chip_old = _chip(c, "chip-old", "tcb:old", ask, ark)
    primary, attr = c.fresh("acs.primary", "sig"), c.fresh("acs.attr", "cred")
    attr_pub = c.cred_pub(attr)
    key_sig = c.sign(primary, c.tup(c.const("attr-key"), attr_pub))
    gw_sk = c.fresh("gateway.hpke", "hpke")
    gw_pub = c.hpke_pub(gw_sk)
    leaves = [c.const(d) for d in PUBLISHED]
    root = c.merkle_root(leaves)
    revoked = c.tup(c.const("revoked"), *(c.const(d) for d in REVOKED))
    view = (root, c.sign(auditor, c.tup(c.const("epoch"), root, revoked)), revoked)
    pins = dict(ark_pub=c.sig_pub(ark), auditor_pub=c.sig_pub(auditor))

    def proof(digest: str):
        if digest in PUBLISHED:
            return c.merkle_proof(leaves, PUBLISHED.index(digest))
        return c.merkle_proof(leaves + [c.const(digest)], len(leaves))  # verifies against no epoch

    parties: dict[str, PartyDef] = {}
    static: dict[str, dict] = {}
    b = sc.bounds
    active = bool({"network", "meta-insider", "relay", "hw-vendor"} & t.actors)
    # Session slots: the honest ones, the adversary's up-front handshake and
    # one per hello it may inject later (ADVERSARY_HELLOS, the default
    # injection bound: with more injections allowed this slot bound, not the
    # move bound, is what stops further handshakes with one CVM).
    max_sessions = b.clients * b.sessions + (1 + ADVERSARY_HELLOS if active else 0)

    # CVMs: honest orchestrators and predictor, then what a meta-insider launches.
    predictors = ["pred1"] + (["pred-evil"] if meta else [])
    orchs = [f"orch{i + 1}" for i in range(b.cvms)]
    variants, chips = {}, {"chip-a": chip_a}
    if meta:
        cfg_meas = "img:orch-v2+cfg:verbose" if sc.on("measured-configuration") else "img:orch-v2"
        for name, meas, policy, leaks, chip in LAUNCHED:
            if chip not in chips:   # another chip of the current TCB (bench/bench_horn.py's growth)
                chips[chip] = _chip(c, chip, "tcb:current", ask, ark)
            variants[name] = (cfg_meas if meas == "img:orch-v2+cfg:verbose" else meas, policy, leaks, chips[chip])
    for name in orchs + list(variants):
        meas, policy, leaks, chip = variants.get(name, ("img:orch-v2", "policy:nodebug", False, chip_a))
        static[name] = dict(chip=chip, measurement=c.const(meas), policy=c.const(policy),
                            proof=proof(meas), leaks=leaks, max_sessions=max_sessions,
                            static_y=c.fresh(f"ystatic.{name}", "dh"), pins=pins, view=view,
                            predictors=tuple(predictors), config="verbose" if name == "orch-config" else "default")
        readable = policy == "policy:debug" or not sc.on("no-remote-access") or leaks
        parties[name] = PartyDef("cvm", cvm.ORCHESTRATOR, cvm.CvmState(),
                                 frozenset(cvm.ORCHESTRATOR_CHOOSING),
                                 lambda st, msg, env, me: env.static[me]["predictors"], readable)
    for i, name in enumerate(predictors):
        meas, leaks = ("img:pred-evil", True) if name == "pred-evil" else ("img:pred-v2", False)
        gpu = f"gpu{i + 1}"
        gpu_key = c.fresh(f"bounce.{gpu}", "key")
        static[name] = dict(chip=chip_a, measurement=c.const(meas), policy=c.const("policy:nodebug"),
                            proof=proof(meas), leaks=leaks, max_sessions=max_sessions,
                            static_y=c.fresh(f"ystatic.{name}", "dh"), gpu=gpu, gpu_key=gpu_key,
                            config="default", callers=tuple(orchs + list(variants)))
        parties[name] = PartyDef("cvm", cvm.PREDICTOR, cvm.CvmState(),
                                 readable=leaks or not sc.on("no-remote-access"))
        static[gpu] = dict(gpu_key=gpu_key)
        parties[gpu] = PartyDef("gpu", cvm.GPU, 0)

    for i in range(b.clients):
        name = f"client{i + 1}"
        mine = {chat: (acp, feature, tuple(c.data(f"msg.{name}.{mid}", text, "data")
                                           for mid, text in msgs))
                for chat, (acp, feature, msgs) in chats.items()}
        ident = c.data(f"id.{name}", f"+1555000{i + 1:04d}".encode(), "id")
        static[name] = dict(identity=ident, account=ident,
                            address=c.data(f"addr.{name}", f"198.51.100.{i + 1}".encode(), "addr"),
                            chats=mine, pins=pins,
                            primary_pub=c.sig_pub(primary))
        parties[name] = PartyDef("client", cl.HANDLERS, cl.initial(b.sessions))

    issuer_sks = [attr] + ([c.fresh("adv.cred", "cred")] if meta else [])
    static["acs"] = dict(attr_sk=attr, attr_pub=attr_pub, key_sig=key_sig)
    static["cdn"] = dict(gw_pub=gw_pub)
    static["ledger"] = dict(view=view)
    static["relay"] = dict(address=c.data("addr.relay", b"203.0.113.7", "addr"))
    static["gateway"] = dict(hpke_sk=gw_sk, gw_pub=gw_pub, issuer_sks=tuple(issuer_sks),
                             orchestrators=tuple(orchs + list(variants)), max_routes=max_sessions)
    static["host"] = {}
    parties["acs"] = PartyDef("acs", sv.ACS, 0)
    parties["cdn"] = PartyDef("cdn", sv.CDN, 0)
    parties["ledger"] = PartyDef("ledger", sv.LEDGER, 0)
    parties["relay"] = PartyDef("relay", sv.RELAY, sv.RelayState())
    parties["gateway"] = PartyDef("gateway", gw.HANDLERS, gw.GatewayState(),
                                  frozenset(gw.CHOOSING), gw.choices)
    parties["host"] = PartyDef("host", sv.HOST, 0)

    corrupt = frozenset(p for p, d in parties.items()
                        if any(d.role in CONTROLLED_PARTIES[a] for a in t.actors))
    public = [pins["ark_pub"], pins["auditor_pub"], c.sig_pub(primary), attr_pub, key_sig, gw_pub,
              *view, c.merkle_proof(leaves, 0), c.merkle_proof(leaves, 1),
              c.merkle_proof(leaves, 2), c.const(FEATURE), c.const("feature:writing-help"),
              *(c.const(x) for x in PUBLISHED + UNPUBLISHED + ("img:orch-v2+cfg:verbose",)),
              c.const("policy:nodebug"), c.const("policy:debug"), c.const("tcb:current"),
              c.const("tcb:old"), c.const("rd:none")]
    for chip in (chip_a, chip_old, *(v for k, v in chips.items() if k != "chip-a")):
        public += [c.sig_pub(chip["vcek"]), chip["vcek_body"], chip["vcek_sig"], chip["ask_sig"]]
    adversary = []
    if t.actors:
        adversary += _own_values(c)
    if meta:
        adversary.append(chip_old["vcek"])
    if "hw-vendor" in t:
        adversary += [ark, ask]
    if "ledger" in t:
        adversary += _ledger_views(c, leaves)
    for p in sorted(corrupt):
        adversary += [v for v in static.get(p, {}).values() if not isinstance(v, (dict, tuple, bool, int, str))]
        if p == "gateway":
            adversary += list(static[p]["issuer_sks"])
    facts = dict(published=PUBLISHED, revoked=REVOKED, pins=pins, view=view, gw_pub=gw_pub,
                 attr_pub=attr_pub, orchestrators=tuple(orchs + list(variants)),
                 predictors=tuple(predictors), gw_sk=gw_sk, ark=ark,
                 primary=primary, auditor=auditor, key_sig=key_sig)
    return Setup(parties, static, public, adversary, corrupt, facts)
