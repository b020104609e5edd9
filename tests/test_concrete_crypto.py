"""Property tests of the concrete backend: round trips, tamper detection, determinism."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ppverify.protocol import voprf_p384
from ppverify.protocol.concrete import ConcreteCrypto
from ppverify.protocol.crypto import FRESH_KINDS, CryptoError

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

blobs = st.binary(max_size=64)
labels = st.text(min_size=1, max_size=12)
SCHEMES = ("voprf", "rsa-blind")


def flip(data: bytes, bit: int) -> bytes:
    """data with one bit flipped (bit is taken modulo the bit length)."""
    bit %= 8 * len(data)
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@pytest.fixture(scope="module")
def crypto() -> ConcreteCrypto:
    return ConcreteCrypto(seed=7)


# --- construction and fresh values ---------------------------------------------------

def test_unknown_credential_scheme_names_the_valid_choices():
    with pytest.raises(ValueError, match="voprf, rsa-blind"):
        ConcreteCrypto(credential_scheme="idemix")


def test_unknown_fresh_kind_is_a_value_error(crypto):
    with pytest.raises(ValueError, match="valid: nonce"):
        crypto.fresh("x", "password")


@FAST
@given(seed=st.integers(-2**40, 2**40), label=labels, kind=st.sampled_from(FRESH_KINDS))
def test_fresh_is_deterministic_in_seed_kind_and_label(seed, label, kind):
    assume(kind != "cred")  # rsa keygen per seed is slow; cred is covered below
    a, b = ConcreteCrypto(seed), ConcreteCrypto(seed)
    value = a.fresh(label, kind)
    assert value == b.fresh(label, kind), "same seed and label must give the same value"
    assert value != a.fresh(label + "'", kind), "a different label must give a different value"
    assert value != ConcreteCrypto(seed + 1).fresh(label, kind), "a different seed must differ"
    assert len(value) == (48 if kind == "sig" else 32)


@FAST
@given(label=labels)
def test_fresh_signature_keys_are_valid_p384_scalars(label):
    scalar = int.from_bytes(ConcreteCrypto(3).fresh(label, "sig"), "big")
    assert 0 < scalar < voprf_p384.N


@pytest.mark.parametrize("scheme", SCHEMES)
def test_fresh_issuer_keys_are_deterministic(scheme):
    a, b = ConcreteCrypto(11, scheme), ConcreteCrypto(11, scheme)
    assert a.fresh("acs", "cred") == b.fresh("acs", "cred")
    assert a.fresh("acs", "cred") != a.fresh("acs2", "cred")


def test_const_and_data_are_their_bytes(crypto):
    assert crypto.const("summary") == b"summary"
    assert crypto.data("m1", b"hello", "message") == b"hello"


# --- tuples -----------------------------------------------------------------------------

@FAST
@given(items=st.lists(blobs, max_size=6))
def test_tup_untup_round_trip(crypto, items):
    encoded = crypto.tup(*items)
    assert crypto.untup(encoded, len(items)) == tuple(items)
    with pytest.raises(CryptoError):
        crypto.untup(encoded, len(items) + 1)
    with pytest.raises(CryptoError):
        crypto.untup(encoded + b"\x00", len(items))
    assert crypto.untup_any(encoded) == tuple(items)


@FAST
@given(items=st.lists(blobs, min_size=1, max_size=6), data=st.data())
def test_truncated_tuples_are_rejected(crypto, items, data):
    encoded = crypto.tup(*items)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(CryptoError):
        crypto.untup(encoded[:cut], len(items))


@FAST
@given(value=st.binary(max_size=80), n=st.integers(0, 5))
def test_untup_of_random_bytes_raises_only_crypto_error(crypto, value, n):
    for split in (lambda v: crypto.untup(v, n), crypto.untup_any):
        try:
            items = split(value)
        except CryptoError:
            continue
        assert crypto.tup(*items) == value, "only canonical encodings may parse"


def test_untup_of_non_bytes_is_a_crypto_error(crypto):
    for value in (None, "text", 5, ("a",)):
        with pytest.raises(CryptoError):
            crypto.untup(value, 1)


@FAST
@given(a=blobs, b=blobs)
def test_tuples_are_unambiguous_and_same_is_equality(crypto, a, b):
    assume(a and b)
    assert not crypto.same(crypto.tup(a, b), crypto.tup(a + b))
    assert crypto.hash(a, b) != crypto.hash(a + b, b"")
    assert crypto.same(a, a) and crypto.same(a, b) == (a == b)


# --- hashing, kdf, dh ------------------------------------------------------------------

@FAST
@given(secret=blobs, label=labels, context=st.lists(blobs, max_size=3))
def test_kdf_is_32_bytes_and_label_separated(crypto, secret, label, context):
    key = crypto.kdf(secret, label, *context)
    assert len(key) == 32 and key == crypto.kdf(secret, label, *context)
    assert key != crypto.kdf(secret, label + "x", *context)


@FAST
@given(a=labels, b=labels)
def test_dh_agrees(crypto, a, b):
    ska, skb = crypto.fresh(a, "dh"), crypto.fresh(b + "/peer", "dh")
    assert crypto.dh(ska, crypto.dh_pub(skb)) == crypto.dh(skb, crypto.dh_pub(ska))


def test_dh_rejects_bad_public_keys(crypto):
    sk = crypto.fresh("a", "dh")
    for pub in (b"", b"\x01" * 31, bytes(32)):  # bytes(32) is a low-order point
        with pytest.raises(CryptoError):
            crypto.dh(sk, pub)


# --- AEAD -------------------------------------------------------------------------------

@FAST
@given(pt=blobs, ad=blobs, bit=st.integers(0, 10**6))
def test_aead_round_trip_and_tamper(crypto, pt, ad, bit):
    key = crypto.fresh("k", "key")
    sealed = crypto.aead_seal(key, pt, ad)
    assert crypto.aead_open(key, sealed, ad) == pt
    with pytest.raises(CryptoError):
        crypto.aead_open(key, flip(sealed, bit), ad)
    with pytest.raises(CryptoError):
        crypto.aead_open(key, sealed, ad + b"x")
    with pytest.raises(CryptoError):
        crypto.aead_open(crypto.fresh("other", "key"), sealed, ad)
    with pytest.raises(CryptoError):
        crypto.aead_open(key, sealed[:27], ad)


def test_aead_nonces_are_a_deterministic_sequence():
    a, b = ConcreteCrypto(5), ConcreteCrypto(5)
    key = a.fresh("k", "key")
    first = [a.aead_seal(key, b"m", b"") for _ in range(3)]
    assert first == [b.aead_seal(key, b"m", b"") for _ in range(3)], "same seed, same sequence"
    assert len({c[:12] for c in first}) == 3, "nonces never repeat within an instance"


def test_aead_rejects_wrong_key_sizes(crypto):
    with pytest.raises(CryptoError):
        crypto.aead_seal(b"k" * 16, b"m", b"")


# --- HPKE -------------------------------------------------------------------------------

@FAST
@given(pt=blobs, info=blobs, bit=st.integers(0, 10**6))
def test_hpke_round_trip_with_shared_exporter(crypto, pt, info, bit):
    sk = crypto.fresh("gateway", "hpke")
    sealed, exporter = crypto.hpke_seal(crypto.hpke_pub(sk), info, pt, "client/eph")
    opened, exporter2 = crypto.hpke_open(sk, info, sealed)
    assert opened == pt and exporter == exporter2 and len(exporter) == 32
    with pytest.raises(CryptoError):
        crypto.hpke_open(sk, info, flip(sealed, bit))
    with pytest.raises(CryptoError):
        crypto.hpke_open(sk, info + b"x", sealed)
    with pytest.raises(CryptoError):
        crypto.hpke_open(crypto.fresh("not-the-gateway", "hpke"), info, sealed)
    with pytest.raises(CryptoError):
        crypto.hpke_open(sk, info, sealed[:47])


def test_hpke_is_deterministic_in_the_ephemeral_label():
    a, b = ConcreteCrypto(9), ConcreteCrypto(9)
    pub = a.hpke_pub(a.fresh("gw", "hpke"))
    assert a.hpke_seal(pub, b"i", b"m", "e1") == b.hpke_seal(pub, b"i", b"m", "e1")
    assert a.hpke_seal(pub, b"i", b"m", "e1")[0] != a.hpke_seal(pub, b"i", b"m", "e2")[0]


@FAST
@given(garbage=st.binary(max_size=100))
def test_hpke_open_of_garbage_raises_only_crypto_error(crypto, garbage):
    with pytest.raises(CryptoError):
        crypto.hpke_open(crypto.fresh("gateway", "hpke"), b"", garbage)


# --- signatures -----------------------------------------------------------------------

@FAST
@given(message=blobs, bit=st.integers(0, 10**6))
def test_sign_verify_and_tamper(crypto, message, bit):
    sk = crypto.fresh("ledger", "sig")
    pub = crypto.sig_pub(sk)
    signature = crypto.sign(sk, message)
    assert crypto.verify(pub, message, signature)
    assert crypto.sign(sk, message) == signature, "RFC 6979 signatures are deterministic"
    assert not crypto.verify(pub, message, flip(signature, bit))
    assert not crypto.verify(pub, message + b"x", signature)
    assert not crypto.verify(crypto.sig_pub(crypto.fresh("auditor", "sig")), message, signature)


@FAST
@given(pub=st.binary(max_size=100), signature=st.binary(max_size=120))
def test_verify_never_raises(crypto, pub, signature):
    assert crypto.verify(pub, b"m", signature) is False
    assert crypto.verify(crypto.sig_pub(crypto.fresh("s", "sig")), b"m", signature) is False


# --- credentials -------------------------------------------------------------------------

@pytest.fixture(scope="module", params=SCHEMES)
def issuer(request):
    backend = ConcreteCrypto(seed=1, credential_scheme=request.param)
    sk = backend.fresh("acs", "cred")
    return backend, sk, backend.cred_pub(sk)


@SLOW
@given(token=st.binary(min_size=1, max_size=40), blind_label=labels, bit=st.integers(0, 10**6))
def test_credential_issue_finalize_verify(issuer, token, blind_label, bit):
    backend, sk, pub = issuer
    blind = backend.fresh(blind_label, "blind")
    evaluated = backend.cred_eval(sk, backend.cred_blind(pub, token, blind))
    credential = backend.cred_finalize(pub, token, blind, evaluated)
    assert backend.cred_verify(sk, token, credential)
    assert not backend.cred_verify(sk, token + b"x", credential), "bound to the token"
    assert not backend.cred_verify(sk, token, flip(credential, bit))
    with pytest.raises(CryptoError):
        backend.cred_finalize(pub, token, blind, flip(evaluated, bit))


def test_credential_from_another_issuer_key_is_rejected(issuer):
    backend, sk, pub = issuer
    other = backend.fresh("rogue-acs", "cred")
    for label in ("b1", "b2", "b3", "b4"):
        token, blind = label.encode(), backend.fresh(label, "blind")
        with pytest.raises(CryptoError):  # at evaluation (RSA: out of range) or finalize
            evaluated = backend.cred_eval(other, backend.cred_blind(pub, token, blind))
            backend.cred_finalize(pub, token, blind, evaluated)


@SLOW
@given(token=st.binary(min_size=1, max_size=40))
def test_unblinded_is_computable_from_the_token_alone(issuer, token):
    """With credential-blinding off (blind = b"unblinded") the issuer sees a value anyone
    can recompute from the token, so it links issuance to redemption; a fresh blind hides it."""
    backend, sk, pub = issuer
    onlooker = ConcreteCrypto(seed=99, credential_scheme=backend.credential_scheme)
    unblinded = backend.cred_blind(pub, token, b"unblinded")
    assert onlooker.cred_blind(pub, token, b"unblinded") == unblinded
    if backend.credential_scheme == "voprf":  # blind 1: the blinded element is H(token)
        assert unblinded == voprf_p384.serialize(voprf_p384.hash_to_group(token))
    blinded = backend.cred_blind(pub, token, backend.fresh("b1", "blind"))
    assert blinded != unblinded
    assert blinded != backend.cred_blind(pub, token, backend.fresh("b2", "blind"))
    credential = backend.cred_finalize(pub, token, b"unblinded", backend.cred_eval(sk, unblinded))
    assert backend.cred_verify(sk, token, credential), "issuance still works without blinding"


@FAST
@given(garbage=st.binary(max_size=600))
def test_credential_parsers_raise_only_crypto_error(issuer, garbage):
    backend, sk, pub = issuer
    try:  # the issuer evaluates any well-formed element (an RSA signer signs anything)
        assert isinstance(backend.cred_eval(sk, garbage), bytes)
    except CryptoError:
        pass
    with pytest.raises(CryptoError):
        backend.cred_finalize(pub, b"t", b"unblinded", garbage)
    assert backend.cred_verify(sk, b"t", garbage) is False


# --- Merkle trees ------------------------------------------------------------------------

@FAST
@given(leaves=st.lists(blobs, min_size=1, max_size=17), bit=st.integers(0, 10**6))
def test_merkle_every_index_verifies(crypto, leaves, bit):
    root = crypto.merkle_root(leaves)
    for index, leaf in enumerate(leaves):
        proof = crypto.merkle_proof(leaves, index)
        assert crypto.merkle_verify(root, leaf, proof), f"index {index} of {len(leaves)}"
        assert not crypto.merkle_verify(root, leaf + b"x", proof)
        assert not crypto.merkle_verify(flip(root, bit), leaf, proof)
        crypto.merkle_verify(root, leaf, flip(proof, bit))  # must not raise
        _, _, path = crypto.untup(proof, 3)
        if path != crypto.tup():  # a flipped audit-path hash never verifies
            tampered = crypto.tup(*crypto.untup(proof, 3)[:2], flip(path, 8 * 9 + bit % 256))
            assert not crypto.merkle_verify(root, leaf, tampered)


def test_merkle_follows_rfc9162_hashing(crypto):
    import hashlib
    h = lambda data: hashlib.sha256(data).digest()  # noqa: E731
    leaves = [b"a", b"b", b"c"]
    left = h(b"\x01" + h(b"\x00a") + h(b"\x00b"))
    assert crypto.merkle_root(leaves) == h(b"\x01" + left + h(b"\x00c"))
    assert crypto.merkle_root([]) == h(b"")


@FAST
@given(proof=st.binary(max_size=120))
def test_merkle_verify_never_raises(crypto, proof):
    assert crypto.merkle_verify(crypto.merkle_root([b"x"]), b"x", proof) in (True, False)


def test_merkle_proof_rejects_bad_indices(crypto):
    for index in (-1, 3):
        with pytest.raises(CryptoError):
            crypto.merkle_proof([b"a", b"b", b"c"], index)


# --- the model stand-in --------------------------------------------------------------------

messages = st.lists(st.text(alphabet="abcdefgh ijk.", min_size=8, max_size=60).map(str.encode),
                    max_size=5)


@FAST
@given(msgs=messages, feature=st.sampled_from([b"summary", b"writing-help"]))
def test_process_is_readable_deterministic_and_never_quotes_its_input(crypto, msgs, feature):
    payload = crypto.tup(*msgs)
    answer = crypto.process(feature, payload)
    assert answer == crypto.process(feature, payload)
    assert answer.startswith(b"Summary of " if feature == b"summary" else b"Suggested rewrite: ")
    assert answer.decode().isprintable()
    for message in msgs:
        assert message not in answer, "a response quoting the request would confuse leak checks"


def test_process_accepts_the_parties_feature_constants(crypto):
    payload = crypto.tup(b"first message here", b"second one")
    assert crypto.process(b"feature:summary", payload) == crypto.process(b"summary", payload)
    assert crypto.process(b"feature:writing-help", payload).startswith(b"Suggested rewrite: ")


def test_process_rejects_bad_input(crypto):
    with pytest.raises(CryptoError):
        crypto.process(b"translate", crypto.tup(b"hi"))
    with pytest.raises(CryptoError):
        crypto.process(b"summary", b"not a tuple")


# --- accounting --------------------------------------------------------------------------

def test_crypto_seconds_accumulates():
    backend = ConcreteCrypto(2)
    assert backend.crypto_seconds == 0.0
    key = backend.fresh("k", "key")
    backend.aead_seal(key, b"m", b"")
    after = backend.crypto_seconds
    assert after > 0.0
    backend.tup(b"a")  # encoding is not cryptography
    assert backend.crypto_seconds == after
