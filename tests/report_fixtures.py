"""A fixed bundle for the renderer tests, built by hand: no check, no solver.
The trace is the shape of the published design's `cdn` finding
(key-consistency): the adversary, as the CDN, serves its own gateway key."""
from ppverify.proofs.analyses.changes import Change
from ppverify.proofs.analyses.remediation import Remediation, Trial, group
from ppverify.proofs.analyses.report import Bundle, Channel, RunInfo, SystemView
from ppverify.proofs.core.verdicts import ANY, Coverage, Inconclusive, Proved, Result, Trace, TraceStep, Violated


def const(name):
    return {"atom": name, "kind": "const"}


def app(op, *args):
    return {"op": op, "args": list(args)}


def tup(*args):
    return app("tup", *args)


SCENARIO = {"disabled": [], "parameters": {"binder": "client-random", "credential-scheme": "voprf"},
            "bounds": {"clients": 1, "sessions": 1, "cvms": 1}}
ROLES = {"client1": "client", "acs": "acs", "cdn": "cdn", "relay": "relay", "gateway": "gateway",
         "orch1": "cvm"}


def deliver(src, dst, kind, conn, payload, choice=""):
    return {"type": "deliver", "src": src, "dst": dst, "kind": kind, "conn": conn, "choice": choice,
            "payload": payload}


INVOKE = {"type": "invoke", "client": "client1", "chat": "work", "by_user": True}
ISSUER_KEY = tup(const("issuer-key"), app("pk", {"atom": "acs.attr", "kind": "cred"}))
FORGED = tup(const("config"), app("pk", {"atom": "adv.hpke", "kind": "hpke"}))

TRACE = Trace(
    "key-consistency", "cdn", SCENARIO,
    (TraceStep(1, "client1", "client1: user invokes the feature on chat 'work'", INVOKE),
     TraceStep(2, "client1", "client1 -> acs: get-issuer-key",
               deliver("client1", "acs", "get-issuer-key", "client1.s1.acs", tup(const("get-issuer-key")))),
     TraceStep(3, "acs", "acs -> client1: issuer-key",
               deliver("acs", "client1", "issuer-key", "client1.s1.acs", ISSUER_KEY)),
     TraceStep(4, "adversary", "adversary -> client1 as cdn: config",
               {**deliver("cdn", "client1", "config", "client1.s1.cfg", FORGED), "type": "inject"},
               ("adv.hpke",))),
    "client1 uses keys pk(adv.hpke), pk(acs.attr), not the ones published for everybody")

HONEST = (INVOKE,
          deliver("client1", "cdn", "get-config", "c", tup(const("get-config"))),
          deliver("cdn", "client1", "config", "c", tup(const("config"))),
          deliver("client1", "relay", "ohttp-req1", "r", tup(const("req"))),
          deliver("relay", "gateway", "ohttp-req1", "r", tup(const("req")), "orch1"),
          deliver("gateway", "orch1", "tls-hello", "g", tup(const("hello"))))

SYSTEM = SystemView(
    parties=tuple(ROLES.items()),
    channels=(Channel("client1", "cdn", "hop", ("get-config",)),
              Channel("client1", "relay", "hop", ("ohttp-req1",)),
              Channel("relay", "gateway", "hop", ("ohttp-req1",)),
              Channel("gateway", "orch1", "network", ("tls-hello",))),
    tunnels=(("client1", "orch1", "RA-TLS: attested, end to end"),))

EXTRA = {"states": 113, "transitions": 130}
NOTE = "exhaustive for the scenario's bounds and <= 2 adversary injections"


CUT = "no attack within 23 steps: state limit 20,000 (<= 2 adversary injections); not a proof"


def results():
    every, cut = Coverage.of(SCENARIO, 2, ANY), Coverage.of(SCENARIO, 2, 23)
    return (Result("request-secrecy", "cdn", SCENARIO, Proved("explore", 21, True, 113, NOTE, every), True, 0.25,
                   EXTRA),
            Result("key-consistency", "cdn", SCENARIO, Violated("explore", TRACE, 113, every), True, 0.25, EXTRA),
            Result("request-secrecy", "meta-insider", SCENARIO,
                   Inconclusive("explore", "injection candidates truncated (budget); not a proof", 900, cut),
                   True, 3.5, {"states": 900, "transitions": 2000}),
            Result("key-consistency", "meta-insider", SCENARIO, Inconclusive("explore", CUT, 900, cut, bounded=True),
                   True, 3.5, {"states": 900, "transitions": 2000}))


def remediation():
    """A made-up fix of the fixture's finding: a parameter value under which the cell is proved."""
    cell, every = ("key-consistency", "cdn"), Coverage.of(SCENARIO, 2, ANY)
    fix = Trial(Change(set_params=("binder=exporter",)), (), ((cell, Proved("explore", 9, True, 90, NOTE, every)),),
                (), True)
    stays = Trial(Change(set_params=("credential-scheme=rsa-blind",)), (cell,))
    trials = (fix, stays)
    return Remediation(Change(), ("cdn", "meta-insider"), ("request-secrecy", "key-consistency"),
                       group(Change(), {cell: TRACE}, trials), trials)


def bundle():
    info = RunInfo("ppverify report --threat cdn --threat meta-insider", SCENARIO, ("cdn", "meta-insider"),
                   ("request-secrecy", "key-consistency"), 20_000, 2, ("explore",),
                   (("python", "3.11"), ("ppverify", "0.1.0")), "2026-01-01T00:00:00+00:00", 3.75)
    return Bundle(info, results(), ROLES, HONEST, SYSTEM,
                  {("key-consistency", "cdn"): "client1 uses keys pk(adv.hpke)"}, remediation=remediation())


# short stand-ins for the shipped assumptions (proofs/render/assumptions.md)
ASSUMPTIONS = (("What is modelled", "- Parties: `client`, `relay`.\n- Adversary: **Dolev-Yao**."),)
