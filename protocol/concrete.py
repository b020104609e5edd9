"""The concrete backend: the crypto interface over real bytes.

Libraries: `cryptography` (X25519, AES-256-GCM, HKDF, ECDSA P-384, RSA keys and
RSA-PSS verification), `pyhpke` (RFC 9180 HPKE with the exporter RFC 9458
needs; `cryptography`'s own HPKE has no exporter), `voprf` (the issuer side of
the RFC 9497 P384-SHA384 VOPRF) with `protocol.voprf_p384` (its client side),
and `protocol.rsabssa` (RFC 9474 RSA blind signatures).

Everything is deterministic in the seed, so a replayed scenario gives the same
bytes, with one exception: RSA key generation cannot be seeded, so rsa-blind
issuer keys are generated once per (seed, label) per process. A replay in a
new process reproduces outcomes (which checks pass), not those bytes.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import time
from typing import Sequence

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKeyPair, PyHPKEError

from ppverify.protocol import merkle, rsabssa, voprf_p384
from ppverify.protocol.crypto import FRESH_KINDS, CryptoError

CREDENTIAL_SCHEMES = ("voprf", "rsa-blind")
FEATURES = (b"summary", b"writing-help")
UNBLINDED = b"unblinded"  # const('unblinded'): blinding factor 1
HPKE_RESPONSE_LABEL = b"message/bhttp response"  # RFC 9458 section 4.4
TUP_TAG = 0x54

_SUITE = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES128_GCM)
_RSA_KEYS: dict[tuple[int, str], bytes] = {}  # (seed, label) -> PKCS#8 DER; see module doc
_P384_ORDER = voprf_p384.N


def _bytes(value) -> bytes:
    if not isinstance(value, bytes):
        raise CryptoError("expected a byte string")
    return value


def _expand(key: bytes, info: bytes, length: int) -> bytes:
    """HKDF-Expand-style HMAC-SHA256 stream keyed by `key`."""
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(key, block + info + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def encode_tuple(*items: bytes) -> bytes:
    parts = [bytes([TUP_TAG]), len(items).to_bytes(4, "big")]
    for item in items:
        parts += [len(_bytes(item)).to_bytes(4, "big"), item]
    return b"".join(parts)


def decode_tuple(value) -> tuple[bytes, ...]:
    """Split a tuple of any arity; CryptoError unless exactly well formed."""
    value = _bytes(value)
    if len(value) < 5 or value[0] != TUP_TAG:
        raise CryptoError("not a tuple")
    count, pos = int.from_bytes(value[1:5], "big"), 5
    if count * 4 > len(value) - pos:
        raise CryptoError("tuple truncated")
    items = []
    for _ in range(count):
        if pos + 4 > len(value):
            raise CryptoError("tuple truncated")
        size = int.from_bytes(value[pos:pos + 4], "big")
        pos += 4
        if pos + size > len(value):
            raise CryptoError("tuple truncated")
        items.append(value[pos:pos + size])
        pos += size
    if pos != len(value):
        raise CryptoError("trailing bytes after tuple")
    return tuple(items)


# --- HPKE (module level so the RFC 9180 vector test runs this exact path) ----

def hpke_sender(pub: bytes, info: bytes, eph_sk: bytes):
    """SetupBaseS with the given ephemeral private key: (enc, context)."""
    kem = _SUITE.kem
    eph_pub = x25519.X25519PrivateKey.from_private_bytes(eph_sk).public_key().public_bytes_raw()
    eph = KEMKeyPair(kem.deserialize_private_key(eph_sk), kem.deserialize_public_key(eph_pub))
    return _SUITE.create_sender_context(kem.deserialize_public_key(pub), info, eks=eph)


def hpke_recipient(sk: bytes, info: bytes, enc: bytes):
    return _SUITE.create_recipient_context(enc, _SUITE.kem.deserialize_private_key(sk), info)


# --- the backend ------------------------------------------------------------------

def _blind_seed(blind) -> bytes | None:
    """None when blinding is off: the schemes then blind with factor 1."""
    return None if _bytes(blind) == UNBLINDED else blind


@contextlib.contextmanager
def _credential_errors():
    try:
        yield
    except (voprf_p384.OprfError, rsabssa.BlindSignatureError) as err:
        raise CryptoError(f"credential: {err}") from None


def _timed(method):
    """Add the call's duration to crypto_seconds (outermost timed call only)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if self._timing:
            return method(self, *args, **kwargs)
        self._timing = True
        start = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            self.crypto_seconds += time.perf_counter() - start
            self._timing = False
    return wrapper


class ConcreteCrypto:
    def __init__(self, seed: int = 0, credential_scheme: str = "voprf") -> None:
        if credential_scheme not in CREDENTIAL_SCHEMES:
            raise ValueError(f"unknown credential scheme {credential_scheme!r}; "
                             f"valid: {', '.join(CREDENTIAL_SCHEMES)}")
        self.seed = seed
        self.credential_scheme = credential_scheme
        self.crypto_seconds = 0.0
        self._timing = False
        self._root = hashlib.sha256(b"ppverify/concrete/seed/" + str(seed).encode()).digest()
        self._aead_count = 0
        self._cred = (voprf_p384.VoprfCredentials() if credential_scheme == "voprf"
                      else rsabssa.RsaBlindCredentials())

    # --- plain data ----------------------------------------------------------
    def const(self, name: str) -> bytes:
        return name.encode()

    def data(self, name: str, content: bytes, kind: str) -> bytes:
        return content

    @_timed
    def fresh(self, label: str, kind: str) -> bytes:
        if kind not in FRESH_KINDS:
            raise ValueError(f"unknown fresh kind {kind!r}; valid: {', '.join(FRESH_KINDS)}")
        material = _expand(self._root, encode_tuple(b"fresh", kind.encode(), label.encode()), 64)
        if kind == "sig":
            scalar = int.from_bytes(material, "big") % (_P384_ORDER - 1) + 1
            return scalar.to_bytes(48, "big")
        if kind == "cred" and self.credential_scheme == "rsa-blind":
            return self._rsa_key(label)
        return material[:32]

    def _rsa_key(self, label: str) -> bytes:
        key = _RSA_KEYS.get((self.seed, label))
        if key is None:
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            key = private.private_bytes(serialization.Encoding.DER,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
            _RSA_KEYS[(self.seed, label)] = key
        return key

    def tup(self, *items: bytes) -> bytes:
        return encode_tuple(*items)

    def untup(self, value: bytes, n: int) -> tuple[bytes, ...]:
        items = decode_tuple(value)
        if len(items) != n:
            raise CryptoError(f"expected a {n}-tuple, got {len(items)} items")
        return items

    def untup_any(self, value: bytes) -> tuple[bytes, ...]:
        return decode_tuple(value)

    def same(self, a: bytes, b: bytes) -> bool:
        return isinstance(a, bytes) and isinstance(b, bytes) and hmac.compare_digest(a, b)

    # --- hashing and key derivation --------------------------------------------
    @_timed
    def hash(self, *items: bytes) -> bytes:
        return hashlib.sha256(encode_tuple(*items)).digest()

    @_timed
    def kdf(self, secret: bytes, label: str, *context: bytes) -> bytes:
        info = label.encode() + encode_tuple(*context)
        return HKDF(hashes.SHA256(), 32, salt=None, info=info).derive(_bytes(secret))

    # --- Diffie-Hellman (X25519) ---------------------------------------------------
    @_timed
    def dh_pub(self, sk: bytes) -> bytes:
        try:
            return x25519.X25519PrivateKey.from_private_bytes(_bytes(sk)).public_key().public_bytes_raw()
        except ValueError:
            raise CryptoError("bad X25519 private key") from None

    @_timed
    def dh(self, sk: bytes, pub: bytes) -> bytes:
        try:
            private = x25519.X25519PrivateKey.from_private_bytes(_bytes(sk))
            return private.exchange(x25519.X25519PublicKey.from_public_bytes(_bytes(pub)))
        except ValueError:
            raise CryptoError("X25519 exchange failed") from None

    # --- AEAD: AES-256-GCM, nonce || ciphertext ------------------------------------
    def _aead(self, key) -> AESGCM:
        if not isinstance(key, bytes) or len(key) != 32:
            raise CryptoError("AEAD key must be 32 bytes")
        return AESGCM(key)

    @_timed
    def aead_seal(self, key: bytes, plaintext: bytes, ad: bytes) -> bytes:
        self._aead_count += 1  # nonces: a deterministic sequence per instance
        nonce = _expand(self._root, encode_tuple(b"aead-nonce", self._aead_count.to_bytes(8, "big")), 12)
        return nonce + self._aead(key).encrypt(nonce, _bytes(plaintext), _bytes(ad))

    @_timed
    def aead_open(self, key: bytes, ciphertext: bytes, ad: bytes) -> bytes:
        cipher = self._aead(key)
        if len(_bytes(ciphertext)) < 12 + 16:
            raise CryptoError("AEAD ciphertext too short")
        try:
            return cipher.decrypt(ciphertext[:12], ciphertext[12:], _bytes(ad))
        except InvalidTag:
            raise CryptoError("AEAD authentication failed") from None

    # --- HPKE: RFC 9180 base mode, X25519 / HKDF-SHA256 / AES-128-GCM -----------------
    def hpke_pub(self, sk: bytes) -> bytes:
        return self.dh_pub(sk)

    @_timed
    def hpke_seal(self, pub: bytes, info: bytes, plaintext: bytes, eph_label: str) -> tuple[bytes, bytes]:
        eph = self.fresh(eph_label, "hpke")
        try:
            enc, context = hpke_sender(_bytes(pub), _bytes(info), eph)
            sealed = enc + context.seal(_bytes(plaintext), b"")
            return sealed, context.export(HPKE_RESPONSE_LABEL, 32)
        except (PyHPKEError, ValueError):
            raise CryptoError("HPKE encapsulation failed") from None

    @_timed
    def hpke_open(self, sk: bytes, info: bytes, sealed: bytes) -> tuple[bytes, bytes]:
        if len(_bytes(sealed)) < 32 + 16:
            raise CryptoError("HPKE message too short")
        try:
            context = hpke_recipient(_bytes(sk), _bytes(info), sealed[:32])
            return context.open(sealed[32:], b""), context.export(HPKE_RESPONSE_LABEL, 32)
        except (PyHPKEError, ValueError, InvalidTag):
            raise CryptoError("HPKE decapsulation failed") from None

    # --- signatures: ECDSA P-384 / SHA-384, RFC 6979 nonces -----------------------------
    def _sig_key(self, sk) -> ec.EllipticCurvePrivateKey:
        scalar = int.from_bytes(_bytes(sk), "big")
        if len(sk) != 48 or not 0 < scalar < _P384_ORDER:
            raise CryptoError("bad P-384 private key")
        return ec.derive_private_key(scalar, ec.SECP384R1())

    @_timed
    def sig_pub(self, sk: bytes) -> bytes:
        return self._sig_key(sk).public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)

    @_timed
    def sign(self, sk: bytes, message: bytes) -> bytes:
        algorithm = ec.ECDSA(hashes.SHA384(), deterministic_signing=True)
        return self._sig_key(sk).sign(_bytes(message), algorithm)

    @_timed
    def verify(self, pub: bytes, message: bytes, signature: bytes) -> bool:
        try:
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), pub)
            key.verify(signature, message, ec.ECDSA(hashes.SHA384()))
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True

    # --- blind credentials (protocol.voprf_p384 or protocol.rsabssa) ---------------
    @_timed
    def cred_pub(self, sk: bytes) -> bytes:
        with _credential_errors():
            return self._cred.pub(_bytes(sk))

    @_timed
    def cred_blind(self, pub: bytes, token: bytes, blind: bytes) -> bytes:
        with _credential_errors():
            return self._cred.blind(_bytes(pub), _bytes(token), _blind_seed(blind))

    @_timed
    def cred_eval(self, sk: bytes, blinded: bytes) -> bytes:
        with _credential_errors():
            return self._cred.evaluate(_bytes(sk), _bytes(blinded))

    @_timed
    def cred_finalize(self, pub: bytes, token: bytes, blind: bytes, evaluated: bytes) -> bytes:
        with _credential_errors():
            return self._cred.finalize(_bytes(pub), _bytes(token), _blind_seed(blind),
                                       _bytes(evaluated))

    @_timed
    def cred_verify(self, sk: bytes, token: bytes, credential: bytes) -> bool:
        if not all(isinstance(v, bytes) for v in (sk, token, credential)):
            return False
        return self._cred.verify(sk, token, credential)

    # --- Merkle trees --------------------------------------------------------------
    @_timed
    def merkle_root(self, leaves: Sequence[bytes]) -> bytes:
        return merkle.tree_hash([_bytes(leaf) for leaf in leaves])

    @_timed
    def merkle_proof(self, leaves: Sequence[bytes], index: int) -> bytes:
        leaves = [_bytes(leaf) for leaf in leaves]
        if not 0 <= index < len(leaves):
            raise CryptoError("leaf index outside the tree")
        return encode_tuple(index.to_bytes(8, "big"), len(leaves).to_bytes(8, "big"),
                            encode_tuple(*merkle.inclusion_path(index, leaves)))

    @_timed
    def merkle_verify(self, root: bytes, leaf: bytes, proof: bytes) -> bool:
        try:
            index, size, path = self.untup(proof, 3)
            if len(index) != 8 or len(size) != 8:
                return False
            return merkle.verify_inclusion(_bytes(root), _bytes(leaf), int.from_bytes(index, "big"),
                                int.from_bytes(size, "big"), decode_tuple(path))
        except CryptoError:
            return False

    # --- the AI feature --------------------------------------------------------------
    def process(self, feature: bytes, payload: bytes) -> bytes:
        """A deterministic stand-in for the model. It describes its input and never
        quotes it, so a search of observations for request bytes finds only the request."""
        if isinstance(feature, bytes) and feature.startswith(b"feature:"):
            feature = feature[len(b"feature:"):]  # the parties' constants carry a prefix
        if feature not in FEATURES:
            raise CryptoError("unknown feature")
        messages = decode_tuple(payload)
        words = sum(len(m.split()) for m in messages)
        ref = hashlib.sha256(payload).hexdigest()[:8]
        if feature == b"summary":
            plural = "" if len(messages) == 1 else "s"
            text = f"Summary of {len(messages)} message{plural} ({words} words) [ref {ref}]."
        else:
            sentences = sum(max(1, m.count(b".") + m.count(b"!") + m.count(b"?")) for m in messages)
            text = (f"Suggested rewrite: {sentences} sentence(s), {words} words, "
                    f"in a friendlier tone [ref {ref}].")
        return text.encode()
