"""The crypto interface every party is written against.

Two backends implement it: `protocol.symbolic.SymbolicCrypto` (values are
`models.terms.Term`, for the checkers) and `protocol.concrete.ConcreteCrypto`
(values are `bytes`, real cryptography). Party code never looks inside a value;
it only passes values to these operations, so the same code runs on both.

Failures are signalled with `CryptoError` (a wrong key, a bad tag, a malformed
encoding); the world turns them into typed rejections.
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence

Value = Any  # a Term in the symbolic backend, bytes in the concrete one


class CryptoError(Exception):
    """An operation failed: wrong key, failed integrity check, malformed input."""


# Kinds of fresh values; each backend maps a kind to the right key type.
FRESH_KINDS = ("nonce", "key", "dh", "sig", "hpke", "cred", "blind")


class Crypto(Protocol):
    # --- plain data -----------------------------------------------------
    def const(self, name: str) -> Value:
        """A public constant (message tags, feature names, policy values)."""

    def data(self, name: str, content: bytes, kind: str) -> Value:
        """A named datum of the scenario (a chat message, an identity).
        Symbolic: an atom called `name`; concrete: `content`."""

    def fresh(self, label: str, kind: str) -> Value:
        """A fresh value, deterministic in `label` (unique per party and session)."""

    def tup(self, *items: Value) -> Value: ...

    def untup(self, value: Value, n: int) -> tuple[Value, ...]:
        """Split a tuple of exactly n items, else CryptoError."""

    def untup_any(self, value: Value) -> tuple[Value, ...]:
        """Split a tuple of any length (lists such as a revocation list)."""

    def same(self, a: Value, b: Value) -> bool: ...

    # --- hashing and key derivation --------------------------------------
    def hash(self, *items: Value) -> Value: ...

    def kdf(self, secret: Value, label: str, *context: Value) -> Value:
        """HKDF-SHA256 to a 32-byte key."""

    # --- Diffie-Hellman (X25519) ------------------------------------------
    def dh_pub(self, sk: Value) -> Value: ...

    def dh(self, sk: Value, pub: Value) -> Value: ...

    # --- AEAD -------------------------------------------------------------
    def aead_seal(self, key: Value, plaintext: Value, ad: Value) -> Value: ...

    def aead_open(self, key: Value, ciphertext: Value, ad: Value) -> Value: ...

    # --- HPKE (RFC 9180 base mode, with the exporter RFC 9458 needs) -------
    def hpke_pub(self, sk: Value) -> Value: ...

    def hpke_seal(self, pub: Value, info: Value, plaintext: Value,
                  eph_label: str) -> tuple[Value, Value]:
        """Returns (enc || ciphertext, exported secret for the response)."""

    def hpke_open(self, sk: Value, info: Value, sealed: Value) -> tuple[Value, Value]:
        """Returns (plaintext, exported secret); CryptoError on failure."""

    # --- signatures (ECDSA P-384) -------------------------------------------
    def sig_pub(self, sk: Value) -> Value: ...

    def sign(self, sk: Value, message: Value) -> Value: ...

    def verify(self, pub: Value, message: Value, signature: Value) -> bool: ...

    # --- blind credentials (per the credential-scheme parameter) -----------
    def cred_pub(self, sk: Value) -> Value: ...

    def cred_blind(self, pub: Value, token: Value, blind: Value) -> Value:
        """The blinded element sent to the issuer. `blind` is a fresh 'blind'
        value, or `const('unblinded')` when blinding is switched off."""

    def cred_eval(self, sk: Value, blinded: Value) -> Value:
        """The issuer's evaluation (blind signature or OPRF evaluation)."""

    def cred_finalize(self, pub: Value, token: Value, blind: Value,
                      evaluated: Value) -> Value:
        """Unblind; CryptoError unless `evaluated` is valid under `pub`."""

    def cred_verify(self, sk: Value, token: Value, credential: Value) -> bool: ...

    # --- Merkle trees (RFC 9162 hashing) ------------------------------------
    def merkle_root(self, leaves: Sequence[Value]) -> Value: ...

    def merkle_proof(self, leaves: Sequence[Value], index: int) -> Value: ...

    def merkle_verify(self, root: Value, leaf: Value, proof: Value) -> bool: ...

    # --- the AI feature itself -----------------------------------------------
    def process(self, feature: Value, payload: Value) -> Value:
        """The model's answer to a task (not cryptography, but its result
        must be a term in the symbolic backend and bytes in the concrete one)."""
