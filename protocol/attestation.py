"""SEV-SNP-style evidence: what a CVM produces and what a verifier checks.

Evidence = (report body, report signature, VCEK certificate body and
signature, ASK public key and its signature by the pinned ARK, Merkle
inclusion proof of the measurement). The verifier's checks are each gated by
the control of SPEC section 4 that names them; `failed_checks` with every
control on is the ground truth the properties judge against.
"""
from __future__ import annotations

from typing import Callable

from ppverify.protocol.crypto import Crypto, CryptoError, Value

GOOD_TCB = "tcb:current"
NO_DEBUG = "policy:nodebug"


def binding(c: Crypto, binder: str, cr: Value, X: Value, Y: Value, secret: Value) -> Value:
    """REPORT_DATA for the `binder` parameter (SPEC section 7)."""
    tag = c.const("rd")
    if binder == "none":
        return c.const("rd:none")
    if binder == "client-random":
        return c.hash(tag, cr)
    if binder == "server-key":
        return c.hash(tag, Y)
    if binder == "client-random+server-key":
        return c.hash(tag, cr, Y)
    if binder == "exporter":
        return c.hash(tag, c.kdf(secret, "exporter", cr, X, Y))
    if binder == "handshake-key":
        return c.hash(tag, cr, X, Y)
    raise ValueError(f"unknown binder {binder!r}")


def session_key(c: Crypto, secret: Value, cr: Value, X: Value, Y: Value) -> Value:
    return c.kdf(secret, "tls", cr, X, Y)


def make_evidence(c: Crypto, chip: dict, measurement: Value, policy: Value,
                  rd: Value, proof: Value) -> Value:
    body = c.tup(c.const("report"), measurement, policy, chip["tcb"], rd)
    return c.tup(body, c.sign(chip["vcek"], body), chip["vcek_body"], chip["vcek_sig"],
                 chip["ask_pub"], chip["ask_sig"], proof)


def parse(c: Crypto, evidence: Value) -> dict:
    body, rsig, vbody, vsig, ask_pub, ask_sig, proof = c.untup(evidence, 7)
    _, meas, policy, tcb, rd = c.untup(body, 5)
    _, vcek_pub, chip_tcb = c.untup(vbody, 3)
    return dict(body=body, rsig=rsig, vbody=vbody, vsig=vsig, ask_pub=ask_pub,
                ask_sig=ask_sig, proof=proof, meas=meas, policy=policy, tcb=tcb, rd=rd,
                vcek_pub=vcek_pub, chip_tcb=chip_tcb)


def failed_checks(c: Crypto, on: Callable[[str], bool], pins: dict, view: tuple,
                  ev: dict, expected_rd: Value) -> list[str]:
    """Names of the enabled checks this evidence fails (empty: accept).
    `view` is the ledger view the verifier holds: (root, epoch signature, revoked)."""
    failed = []
    root, epoch_sig, revoked = view
    if on("attestation-signature") and not (
            c.verify(pins["ark_pub"], c.tup(c.const("ask"), ev["ask_pub"]), ev["ask_sig"])
            and c.verify(ev["ask_pub"], ev["vbody"], ev["vsig"])
            and c.verify(ev["vcek_pub"], ev["body"], ev["rsig"])):
        failed.append("attestation-signature")
    tcb = ev["chip_tcb"] if on("tcb-from-certificate") else ev["tcb"]
    if not c.same(tcb, c.const(GOOD_TCB)):
        failed.append("tcb-from-certificate")
    if on("guest-policy-check") and not c.same(ev["policy"], c.const(NO_DEBUG)):
        failed.append("guest-policy-check")
    if on("ledger-inclusion") and not c.merkle_verify(root, ev["meas"], ev["proof"]):
        failed.append("ledger-inclusion")
    if on("ledger-consistency") and not c.verify(
            pins["auditor_pub"], c.tup(c.const("epoch"), root, revoked), epoch_sig):
        failed.append("ledger-consistency")
    if on("revocation-check"):
        try:
            listed = c.untup_any(revoked)[1:]  # (tag, digest, ...)
        except CryptoError:
            listed = None
        if listed is None or any(c.same(ev["meas"], d) for d in listed):
            failed.append("revocation-check")
    if on("attestation-binding") and not c.same(ev["rd"], expected_rd):
        failed.append("attestation-binding")
    return failed
