"""The symbolic backend: the crypto interface over terms (`models.terms`).

Operations build terms in normal form (`models.theory`); checks succeed
exactly when the equational theory says they would, and fail with
`CryptoError` otherwise, so party code behaves as it does with real bytes.
"""
from __future__ import annotations

from typing import Sequence

from ppverify.models.terms import App, Atom, Term, const, tup
from ppverify.models.theory import dh as _dh
from ppverify.protocol.crypto import FRESH_KINDS, CryptoError


def _pk(sk: Term) -> Term:
    return App("pk", (sk,))


class SymbolicCrypto:
    def const(self, name: str) -> Term:
        return const(name)

    def data(self, name: str, content: bytes, kind: str) -> Term:
        return Atom(name, kind)

    def fresh(self, label: str, kind: str) -> Term:
        if kind not in FRESH_KINDS:
            raise ValueError(f"unknown fresh kind {kind!r}; valid: {', '.join(FRESH_KINDS)}")
        return Atom(label, kind)

    def tup(self, *items: Term) -> Term:
        return tup(*items)

    def untup(self, value: Term, n: int) -> tuple[Term, ...]:
        if isinstance(value, App) and value.op == "tup" and len(value.args) == n:
            return value.args
        raise CryptoError(f"expected a {n}-tuple")

    def untup_any(self, value: Term) -> tuple[Term, ...]:
        if isinstance(value, App) and value.op == "tup":
            return value.args
        raise CryptoError("expected a tuple")

    def same(self, a: Term, b: Term) -> bool:
        return a == b

    def hash(self, *items: Term) -> Term:
        return App("hash", (tup(*items),))

    def kdf(self, secret: Term, label: str, *context: Term) -> Term:
        return App("kdf", (secret, const(label), tup(*context)))

    dh_pub = staticmethod(_pk)
    hpke_pub = staticmethod(_pk)
    sig_pub = staticmethod(_pk)
    cred_pub = staticmethod(_pk)

    def dh(self, sk: Term, pub: Term) -> Term:
        return _dh(sk, pub)

    def aead_seal(self, key: Term, plaintext: Term, ad: Term) -> Term:
        return App("aead", (key, plaintext, ad))

    def aead_open(self, key: Term, ciphertext: Term, ad: Term) -> Term:
        if (isinstance(ciphertext, App) and ciphertext.op == "aead"
                and ciphertext.args[0] == key and ciphertext.args[2] == ad):
            return ciphertext.args[1]
        raise CryptoError("aead: authentication failed")

    def hpke_seal(self, pub: Term, info: Term, plaintext: Term, eph_label: str):
        eph = Atom(eph_label, "hpke")
        return App("hpke", (pub, info, plaintext, eph)), App("hexp", (eph, pub))

    def hpke_open(self, sk: Term, info: Term, sealed: Term):
        if (isinstance(sealed, App) and sealed.op == "hpke" and sealed.args[0] == _pk(sk)
                and sealed.args[1] == info):
            return sealed.args[2], App("hexp", (sealed.args[3], sealed.args[0]))
        raise CryptoError("hpke: decapsulation failed")

    def sign(self, sk: Term, message: Term) -> Term:
        return App("sig", (sk, message))

    def verify(self, pub: Term, message: Term, signature: Term) -> bool:
        return (isinstance(signature, App) and signature.op == "sig"
                and isinstance(pub, App) and pub.op == "pk"
                and signature.args == (pub.args[0], message))

    def cred_blind(self, pub: Term, token: Term, blind: Term) -> Term:
        return App("blind", (pub, token, blind))

    @staticmethod
    def blinded_token(blinded: Term):
        """The token a blinded element is for (None: it is none): what an
        issuance of it vouches for."""
        return blinded.args[1] if isinstance(blinded, App) and blinded.op == "blind" else None

    def cred_eval(self, sk: Term, blinded: Term) -> Term:
        return App("evalb", (sk, blinded))

    def cred_finalize(self, pub: Term, token: Term, blind: Term, evaluated: Term) -> Term:
        if (isinstance(evaluated, App) and evaluated.op == "evalb"
                and _pk(evaluated.args[0]) == pub
                and evaluated.args[1] == App("blind", (pub, token, blind))):
            return App("cred", (evaluated.args[0], token))
        raise CryptoError("credential: evaluation does not verify")

    def cred_verify(self, sk: Term, token: Term, credential: Term) -> bool:
        return credential == App("cred", (sk, token))

    def merkle_root(self, leaves: Sequence[Term]) -> Term:
        return App("mroot", (App("set", tuple(sorted(leaves))),))

    def merkle_proof(self, leaves: Sequence[Term], index: int) -> Term:
        return App("mproof", (App("set", tuple(sorted(leaves))), leaves[index]))

    def merkle_verify(self, root: Term, leaf: Term, proof: Term) -> bool:
        return (isinstance(proof, App) and proof.op == "mproof" and proof.args[1] == leaf
                and isinstance(root, App) and root.op == "mroot"
                and root.args[0] == proof.args[0] and leaf in proof.args[0].args)

    def process(self, feature: Term, payload: Term) -> Term:
        return App("process", (feature, payload))
