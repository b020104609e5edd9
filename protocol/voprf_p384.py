"""RFC 9497 VOPRF, suite P384-SHA384: our client side, the `voprf` package's issuer.

The `voprf` package does the issuer's side (DeriveKeyPair, BlindEvaluate with
its DLEQ proof, Evaluate), but its client draws the blind internally and cannot
be rebuilt from bytes. The model needs the blind as a value (and the blind 1 for
"no blinding"), so Blind and Finalize, with VerifyProof, live here over plain
Python ints, on top of RFC 9380 hash-to-curve (P384_XMD:SHA-384_SSWU_RO_).
`VoprfCredentials` joins the two into the byte-level scheme ConcreteCrypto uses.

Not constant time: this is a model of the protocol, not a product.
"""
from __future__ import annotations

import hashlib
import hmac

import voprf

# NIST P-384 (SEC 2, section 2.5.1; RFC 9380 section 8.3).
P = 2**384 - 2**128 - 2**96 + 2**32 - 1
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973
A = P - 3
B = 0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF
G = (0xAA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7,
     0x3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F)
Z_SSWU = P - 12
ELEMENT_LEN = 49  # Ne: SEC1 compressed point
SCALAR_LEN = 48   # Ns
OUTPUT_LEN = 48   # Nh (SHA-384)
PROOF_LEN = 2 * SCALAR_LEN

# RFC 9497 section 3.1: contextString for modeVOPRF and this suite.
CONTEXT = b"OPRFV1-\x01-P384-SHA384"


class OprfError(Exception):
    """Invalid element, scalar or proof."""


# --- group arithmetic: Jacobian (X, Y, Z); Z == 0 is the identity ------------

_INF = (1, 1, 0)


def _double(p1):
    x1, y1, z1 = p1
    if z1 == 0 or y1 == 0:
        return _INF
    delta = z1 * z1 % P
    gamma = y1 * y1 % P
    beta = x1 * gamma % P
    alpha = 3 * (x1 - delta) * (x1 + delta) % P  # a = -3
    x3 = (alpha * alpha - 8 * beta) % P
    z3 = ((y1 + z1) ** 2 - gamma - delta) % P
    y3 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % P
    return (x3, y3, z3)


def _add(p1, p2):
    if p1[2] == 0:
        return p2
    if p2[2] == 0:
        return p1
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    z1z1, z2z2 = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2z2 % P, x2 * z1z1 % P
    s1, s2 = y1 * z2 * z2z2 % P, y2 * z1 * z1z1 % P
    h, r = (u2 - u1) % P, 2 * (s2 - s1) % P
    if h == 0:
        return _double(p1) if r == 0 else _INF
    i = 4 * h * h % P
    j = h * i % P
    v = u1 * i % P
    x3 = (r * r - j - 2 * v) % P
    y3 = (r * (v - x3) - 2 * s1 * j) % P
    z3 = ((z1 + z2) ** 2 - z1z1 - z2z2) * h % P
    return (x3, y3, z3)


def _mul(k: int, point):
    """k * point, left to right with a 4-bit window."""
    k %= N
    table = [_INF, point]
    for _ in range(14):
        table.append(_add(table[-1], point))
    acc = _INF
    for shift in range(380, -1, -4):
        for _ in range(4):
            acc = _double(acc)
        acc = _add(acc, table[(k >> shift) & 15])
    return acc


def _jac(pt: tuple[int, int]):
    return (pt[0], pt[1], 1)


def _sqrt(v: int) -> int | None:
    root = pow(v, (P + 1) // 4, P)  # P = 3 mod 4
    return root if root * root % P == v % P else None


def serialize(point) -> bytes:
    """SerializeElement: SEC1 compressed; the identity has no encoding."""
    x, y, z = point
    if z == 0:
        raise OprfError("identity element")
    zinv = pow(z, -1, P)
    ax, ay = x * zinv * zinv % P, y * zinv * zinv * zinv % P
    return bytes([2 + (ay & 1)]) + ax.to_bytes(SCALAR_LEN, "big")


def deserialize(data: bytes):
    """DeserializeElement: rejects bad encodings, off-curve points and the identity."""
    if not isinstance(data, bytes) or len(data) != ELEMENT_LEN or data[0] not in (2, 3):
        raise OprfError("bad element encoding")
    x = int.from_bytes(data[1:], "big")
    if x >= P:
        raise OprfError("bad element encoding")
    y = _sqrt((x * x * x + A * x + B) % P)
    if y is None:
        raise OprfError("point not on curve")
    if (y & 1) != (data[0] & 1):
        y = P - y
    return (x, y, 1)


def base_mult(k: int) -> bytes:
    return serialize(_mul(k, _jac(G)))


# --- RFC 9380 hash-to-curve ---------------------------------------------------

def _expand_xmd(msg: bytes, dst: bytes, length: int) -> bytes:
    """expand_message_xmd with SHA-384 (RFC 9380 section 5.3.1)."""
    ell = -(-length // 48)
    dst_prime = dst + bytes([len(dst)])
    b0 = hashlib.sha384(bytes(128) + msg + length.to_bytes(2, "big") + b"\x00" + dst_prime).digest()
    blocks = [hashlib.sha384(b0 + b"\x01" + dst_prime).digest()]
    for i in range(2, ell + 1):
        mixed = bytes(a ^ b for a, b in zip(b0, blocks[-1]))
        blocks.append(hashlib.sha384(mixed + bytes([i]) + dst_prime).digest())
    return b"".join(blocks)[:length]


def _hash_to_field(msg: bytes, count: int, dst: bytes, modulus: int) -> list[int]:
    uniform = _expand_xmd(msg, dst, 72 * count)  # L = 72 for P-384
    return [int.from_bytes(uniform[72 * i:72 * (i + 1)], "big") % modulus for i in range(count)]


def _map_to_curve(u: int):
    """Simplified SWU (RFC 9380 section 6.6.2); P-384 needs no isogeny."""
    zu2 = Z_SSWU * u * u % P
    tv1 = pow((zu2 * zu2 + zu2) % P, P - 2, P)  # inv0
    if tv1 == 0:
        x1 = B * pow(Z_SSWU * A, -1, P) % P
    else:
        x1 = (P - B) * pow(A, -1, P) * (1 + tv1) % P
    gx1 = (x1 ** 3 + A * x1 + B) % P
    y = _sqrt(gx1)
    x = x1
    if y is None:
        x = zu2 * x1 % P
        y = _sqrt((x ** 3 + A * x + B) % P)
    if (u & 1) != (y & 1):  # sgn0
        y = P - y
    return (x, y, 1)


def hash_to_group(msg: bytes):
    u0, u1 = _hash_to_field(msg, 2, b"HashToGroup-" + CONTEXT, P)
    return _add(_map_to_curve(u0), _map_to_curve(u1))  # cofactor 1


def hash_to_scalar(msg: bytes) -> int:
    return _hash_to_field(msg, 1, b"HashToScalar-" + CONTEXT, N)[0]


# --- RFC 9497 client ------------------------------------------------------------

def _lp(data: bytes) -> bytes:
    if len(data) > 0xFFFF:
        raise OprfError("input longer than 2^16 - 1 bytes")
    return len(data).to_bytes(2, "big") + data


def blind(token: bytes, r: int) -> bytes:
    """Blind (section 3.3.1) with a caller-chosen blind r in [1, N)."""
    if not 0 < r < N:
        raise OprfError("blind out of range")
    _lp(token)  # Finalize frames the input with a 2-byte length
    element = hash_to_group(token)
    if element[2] == 0:
        raise OprfError("input hashes to the identity")
    return serialize(_mul(r, element))


def verify_proof(pub: bytes, blinded: bytes, evaluated: bytes, proof: bytes) -> bool:
    """VerifyProof (section 2.2.2) for a batch of one, A = G, B = pub."""
    try:
        pk, c_elem, d_elem = deserialize(pub), deserialize(blinded), deserialize(evaluated)
        if not isinstance(proof, bytes) or len(proof) != PROOF_LEN:
            return False
        c = int.from_bytes(proof[:SCALAR_LEN], "big")
        s = int.from_bytes(proof[SCALAR_LEN:], "big")
        if c >= N or s >= N:
            return False
        seed = hashlib.sha384(_lp(pub) + _lp(b"Seed-" + CONTEXT)).digest()
        d = hash_to_scalar(_lp(seed) + b"\x00\x00" + _lp(blinded) + _lp(evaluated) + b"Composite")
        m, z = _mul(d, c_elem), _mul(d, d_elem)
        t2 = _add(_mul(s, _jac(G)), _mul(c, pk))
        t3 = _add(_mul(s, m), _mul(c, z))
        transcript = b"".join(_lp(serialize(x)) for x in (m, z, t2, t3))
        expected = hash_to_scalar(_lp(pub) + transcript + b"Challenge")
    except OprfError:
        return False
    return hmac.compare_digest(expected.to_bytes(SCALAR_LEN, "big"), proof[:SCALAR_LEN])


def finalize(token: bytes, r: int, blinded: bytes, evaluated: bytes,
             pub: bytes, proof: bytes) -> bytes:
    """Finalize (section 3.3.2): check the proof, unblind, hash. OprfError if invalid."""
    if not verify_proof(pub, blinded, evaluated, proof):
        raise OprfError("evaluation proof does not verify")
    unblinded = serialize(_mul(pow(r, -1, N), deserialize(evaluated)))
    return hashlib.sha384(_lp(token) + _lp(unblinded) + b"Finalize").digest()


# --- the model's credential scheme over this VOPRF -------------------------------

def blind_scalar(seed: bytes | None) -> int:
    """The blind for a 'blind' value; None (blinding switched off) gives 1."""
    if seed is None:
        return 1
    wide = hashlib.sha512(b"ppverify/voprf-blind/" + seed).digest()
    return int.from_bytes(wide, "big") % (N - 1) + 1


class VoprfCredentials:
    """Credentials as VOPRF outputs. The issuer key is a 32-byte RFC 9497
    DeriveKeyPair seed (the key form the `voprf` package takes); the issuer's
    evaluation is the package's VerifiableOutput: proof (96 bytes) || element."""

    def __init__(self) -> None:
        self._issuers: dict[bytes, object] = {}

    def _issuer(self, sk: bytes):
        if sk not in self._issuers:
            try:
                self._issuers[sk] = voprf.p384.Evaluator.from_seed(sk, b"")
            except ValueError:
                raise OprfError("bad issuer key") from None
        return self._issuers[sk]

    def pub(self, sk: bytes) -> bytes:
        return self._issuer(sk).public_key.serialize()

    def blind(self, pub: bytes, token: bytes, seed: bytes | None) -> bytes:
        return blind(token, blind_scalar(seed))

    def evaluate(self, sk: bytes, blinded: bytes) -> bytes:
        try:
            element = voprf.p384.BlindedInput.deserialize(blinded)
        except ValueError:
            raise OprfError("bad blinded element") from None
        return self._issuer(sk).evaluate(element).serialize()

    def finalize(self, pub: bytes, token: bytes, seed: bytes | None, evaluated: bytes) -> bytes:
        if len(evaluated) != PROOF_LEN + ELEMENT_LEN:
            raise OprfError("bad evaluation encoding")
        r = blind_scalar(seed)
        return finalize(token, r, blind(token, r), evaluated[PROOF_LEN:], pub, evaluated[:PROOF_LEN])

    def verify(self, sk: bytes, token: bytes, credential: bytes) -> bool:
        try:
            expected = self._issuer(sk).evaluate_known_input(token)
        except (OprfError, ValueError):
            return False
        return hmac.compare_digest(expected, credential)
