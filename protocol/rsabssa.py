"""RSA blind signatures, RFC 9474 (RSABSSA-SHA384-PSS, randomized and deterministic).

The blinding arithmetic is plain Python ints; key generation and the final
signature check are the `cryptography` package's (a finalized signature is a
standard RSASSA-PSS signature: SHA-384, MGF1-SHA-384, 48-byte salt).

Blind takes the inverse `inv` of the blinding factor as an argument instead of
drawing r itself, so callers can derive it deterministically (the model replays
sessions) and published test vectors, which give `inv`, can be reproduced.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from math import gcd

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HASH_LEN = 48  # SHA-384
PREFIX_LEN = 32  # PrepareRandomize message prefix


class BlindSignatureError(Exception):
    """Encoding, blinding, signing or verification failed."""


@dataclass(frozen=True)
class Variant:
    name: str
    salt_len: int
    randomized: bool


PSS_RANDOMIZED = Variant("RSABSSA-SHA384-PSS-Randomized", HASH_LEN, True)
PSS_DETERMINISTIC = Variant("RSABSSA-SHA384-PSS-Deterministic", HASH_LEN, False)


def prepare(variant: Variant, msg: bytes, msg_prefix: bytes = b"") -> bytes:
    """Prepare (RFC 9474 section 4.1): prefix || msg when randomized, else msg."""
    if not variant.randomized:
        return msg
    if len(msg_prefix) != PREFIX_LEN:
        raise BlindSignatureError("message prefix must be 32 bytes")
    return msg_prefix + msg


def _mgf1(seed: bytes, length: int) -> bytes:
    out = b"".join(hashlib.sha384(seed + i.to_bytes(4, "big")).digest()
                   for i in range(-(-length // HASH_LEN)))
    return out[:length]


def emsa_pss_encode(msg: bytes, em_bits: int, salt: bytes) -> bytes:
    """EMSA-PSS-ENCODE (RFC 8017 section 9.1.1) with SHA-384 and MGF1-SHA-384."""
    em_len = -(-em_bits // 8)
    if em_len < HASH_LEN + len(salt) + 2:
        raise BlindSignatureError("encoding error")
    m_hash = hashlib.sha384(msg).digest()
    h = hashlib.sha384(bytes(8) + m_hash + salt).digest()
    db = bytes(em_len - len(salt) - HASH_LEN - 2) + b"\x01" + salt
    masked = bytearray(a ^ b for a, b in zip(db, _mgf1(h, em_len - HASH_LEN - 1)))
    masked[0] &= 0xFF >> (8 * em_len - em_bits)  # clear the bits above em_bits
    return bytes(masked) + h + b"\xbc"


def _modulus(pk: rsa.RSAPublicKey) -> tuple[int, int, int]:
    numbers = pk.public_numbers()
    return numbers.n, numbers.e, (numbers.n.bit_length() + 7) // 8


def blind(pk: rsa.RSAPublicKey, input_msg: bytes, salt: bytes, inv: int) -> bytes:
    """Blind (section 4.2): returns blinded_msg for r = inv^-1 mod n."""
    n, e, k_len = _modulus(pk)
    if not 0 < inv < n or gcd(inv, n) != 1:
        raise BlindSignatureError("invalid blind")
    m = int.from_bytes(emsa_pss_encode(input_msg, n.bit_length() - 1, salt), "big")
    r = pow(inv, -1, n)
    return (m * pow(r, e, n) % n).to_bytes(k_len, "big")


def blind_sign(sk: rsa.RSAPrivateKey, blinded_msg: bytes) -> bytes:
    """BlindSign (section 4.3): RSASP1 via CRT, checked with RSAVP1."""
    priv = sk.private_numbers()
    n, e, k_len = _modulus(sk.public_key())
    if len(blinded_msg) != k_len:
        raise BlindSignatureError("unexpected input size")
    m = int.from_bytes(blinded_msg, "big")
    if m >= n:
        raise BlindSignatureError("message representative out of range")
    s1, s2 = pow(m, priv.dmp1, priv.p), pow(m, priv.dmq1, priv.q)
    s = s2 + priv.q * ((s1 - s2) * priv.iqmp % priv.p)
    if pow(s, e, n) != m:
        raise BlindSignatureError("signing failure")
    return s.to_bytes(k_len, "big")


def finalize(variant: Variant, pk: rsa.RSAPublicKey, input_msg: bytes,
             blind_sig: bytes, inv: int) -> bytes:
    """Finalize (section 4.4): unblind and check; BlindSignatureError if invalid."""
    n, _, k_len = _modulus(pk)
    if len(blind_sig) != k_len:
        raise BlindSignatureError("unexpected input size")
    sig = (int.from_bytes(blind_sig, "big") * inv % n).to_bytes(k_len, "big")
    if not verify(variant, pk, input_msg, sig):
        raise BlindSignatureError("invalid signature")
    return sig


def verify(variant: Variant, pk: rsa.RSAPublicKey, input_msg: bytes, sig: bytes) -> bool:
    """RSASSA-PSS-VERIFY with the variant's parameters; never raises."""
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=variant.salt_len)
    try:
        pk.verify(sig, input_msg, pss, hashes.SHA384())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


# --- the model's credential scheme over RSABSSA-SHA384-PSS-Randomized ------------

def _stream(label: bytes, seed: bytes, length: int) -> bytes:
    return hashlib.shake_256(b"ppverify/rsabssa/" + label + b"/" + seed).digest(length)


class RsaBlindCredentials:
    """Credentials as RFC 9474 signatures over the token. Keys are DER (PKCS#8
    private, SubjectPublicKeyInfo public); a credential is msg_prefix || sig.
    The blind's inverse, salt and message prefix all derive from the 'blind'
    value; with blinding off (seed None) inv = 1 and salt and prefix derive from
    a public constant, so anyone can compute the blinded message from the token."""

    variant = PSS_RANDOMIZED

    def __init__(self) -> None:
        self._private: dict[bytes, rsa.RSAPrivateKey] = {}
        self._public: dict[bytes, rsa.RSAPublicKey] = {}

    def _sk(self, sk: bytes) -> rsa.RSAPrivateKey:
        if sk not in self._private:
            try:  # our own freshly generated key: skip the slow consistency check
                key = serialization.load_der_private_key(sk, None, unsafe_skip_rsa_key_validation=True)
            except (ValueError, TypeError):
                raise BlindSignatureError("bad issuer key") from None
            if not isinstance(key, rsa.RSAPrivateKey):
                raise BlindSignatureError("bad issuer key")
            self._private[sk] = key
        return self._private[sk]

    def _pk(self, pub: bytes) -> rsa.RSAPublicKey:
        if pub not in self._public:
            try:
                key = serialization.load_der_public_key(pub)
            except (ValueError, TypeError):
                raise BlindSignatureError("bad issuer public key") from None
            if not isinstance(key, rsa.RSAPublicKey):
                raise BlindSignatureError("bad issuer public key")
            self._public[pub] = key
        return self._public[pub]

    def _blinding(self, pk: rsa.RSAPublicKey, seed: bytes | None) -> tuple[int, bytes, bytes]:
        """(inv, salt, msg_prefix) for this blind."""
        n, _, k_len = _modulus(pk)
        if seed is None:
            public = b"no-blinding"
            return 1, _stream(b"salt", public, HASH_LEN), _stream(b"prefix", public, PREFIX_LEN)
        inv = int.from_bytes(_stream(b"inv", seed, k_len + 16), "big") % (n - 1) + 1
        return inv, _stream(b"salt", seed, HASH_LEN), _stream(b"prefix", seed, PREFIX_LEN)

    def pub(self, sk: bytes) -> bytes:
        return self._sk(sk).public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def blind(self, pub: bytes, token: bytes, seed: bytes | None) -> bytes:
        pk = self._pk(pub)
        inv, salt, prefix = self._blinding(pk, seed)
        return blind(pk, prepare(self.variant, token, prefix), salt, inv)

    def evaluate(self, sk: bytes, blinded: bytes) -> bytes:
        return blind_sign(self._sk(sk), blinded)

    def finalize(self, pub: bytes, token: bytes, seed: bytes | None, evaluated: bytes) -> bytes:
        pk = self._pk(pub)
        inv, _, prefix = self._blinding(pk, seed)
        return prefix + finalize(self.variant, pk, prepare(self.variant, token, prefix), evaluated, inv)

    def verify(self, sk: bytes, token: bytes, credential: bytes) -> bool:
        try:
            pk = self._sk(sk).public_key()
        except BlindSignatureError:
            return False
        prefix, sig = credential[:PREFIX_LEN], credential[PREFIX_LEN:]
        return len(prefix) == PREFIX_LEN and verify(self.variant, pk, prefix + token, sig)
