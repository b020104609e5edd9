"""Published test vectors, run through the code paths ConcreteCrypto uses.

- RFC 9180 Appendix A.1.1: HPKE base mode, DHKEM(X25519, HKDF-SHA256),
  HKDF-SHA256, AES-128-GCM (via pyhpke, as in ConcreteCrypto.hpke_seal/open).
- RFC 9474 Appendix A.1: RSABSSA-SHA384-PSS-Randomized (protocol.rsabssa).
- RFC 9497 Appendix A.4.2, VOPRF mode, P384-SHA384, Test Vector 1 (issuer side
  via the `voprf` package, client side via protocol.voprf_p384).

Values are pasted as the RFCs print them (wrapped hex); `_h` joins the lines.
"""
from __future__ import annotations

import pytest
import voprf
from cryptography.hazmat.primitives.asymmetric import rsa, x25519
from pyhpke.consts import Mode

from ppverify.protocol import concrete, rsabssa, voprf_p384


def _h(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


# --- RFC 9180 Appendix A.1.1 ------------------------------------------------------

HPKE = {
    "info": _h("4f6465206f6e2061204772656369616e2055726e"),
    "ikmE": _h("7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234"),
    "pkEm": _h("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431"),
    "skEm": _h("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736"),
    "ikmR": _h("6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037"),
    "pkRm": _h("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d"),
    "skRm": _h("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8"),
    "shared_secret": _h("fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc"),
    "key_schedule_context": _h("""
        00725611c9d98c07c03f60095cd32d400d8347d45ed67097bbad50fc56da742d07
        cb6cffde367bb0565ba28bb02c90744a20f5ef37f30523526106f637abb05449"""),
    "secret": _h("12fff91991e93b48de37e7daddb52981084bd8aa64289c3788471d9a9712f397"),
    "key": _h("4531685d41d65f03dc48f6b8302c05b0"),
    "base_nonce": _h("56d890e5accaaf011cff4b7d"),
    "exporter_secret": _h("45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8"),
    # A.1.1.1, sequence number 0
    "pt": _h("4265617574792069732074727574682c20747275746820626561757479"),
    "aad0": _h("436f756e742d30"),
    "ct0": _h("""f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a9
                 6d8770ac83d07bea87e13c512a"""),
    # A.1.1.2, exporter_context "" and L = 32
    "export_empty": _h("3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee"),
}


def test_hpke_rfc9180_key_derivation():
    kem = concrete._SUITE.kem
    for ikm, sk, pk in (("ikmE", "skEm", "pkEm"), ("ikmR", "skRm", "pkRm")):
        pair = kem.derive_key_pair(HPKE[ikm])
        assert pair.private_key.to_private_bytes() == HPKE[sk], f"DeriveKeyPair({ikm})"
        assert pair.public_key.to_public_bytes() == HPKE[pk], f"DeriveKeyPair({ikm})"
    # ConcreteCrypto's hpke_pub is plain X25519 public-key derivation.
    assert concrete.ConcreteCrypto().hpke_pub(HPKE["skRm"]) == HPKE["pkRm"]


def test_hpke_rfc9180_key_schedule():
    """Shared secret and the key schedule outputs (key, base_nonce, exporter_secret)."""
    suite, kem = concrete._SUITE, concrete._SUITE.kem
    eph = kem.derive_key_pair(HPKE["ikmE"])
    shared, enc = kem.encap(kem.deserialize_public_key(HPKE["pkRm"]), None, eph)
    assert enc == HPKE["pkEm"]
    assert shared == HPKE["shared_secret"]
    _, params = suite._key_schedule(Mode.BASE, shared, HPKE["info"], b"", b"")
    assert params.key == HPKE["key"]
    assert params.base_nonce == HPKE["base_nonce"]
    assert params.exporter_secret == HPKE["exporter_secret"]


def test_hpke_rfc9180_seal_open_export():
    """The sender/recipient helpers hpke_seal/hpke_open use, with the vector's skEm."""
    enc, sender = concrete.hpke_sender(HPKE["pkRm"], HPKE["info"], HPKE["skEm"])
    assert enc == HPKE["pkEm"]
    assert sender.seal(HPKE["pt"], HPKE["aad0"]) == HPKE["ct0"]
    assert sender.export(b"", 32) == HPKE["export_empty"]
    recipient = concrete.hpke_recipient(HPKE["skRm"], HPKE["info"], enc)
    assert recipient.open(HPKE["ct0"], HPKE["aad0"]) == HPKE["pt"]
    assert recipient.export(b"", 32) == HPKE["export_empty"]


# --- RFC 9474 Appendix A.1: RSABSSA-SHA384-PSS-Randomized -----------------------------
# Transcribed from apple/swift-crypto Tests/CryptoExtrasVectors/rfc9474.json (the RFC's
# Appendix A as JSON; field names as in the RFC). The key is RSA-4096.

RSA = {
    "p": _h("""
        e1f4d7a34802e27c7392a3cea32a262a34dc3691bd87f3f310dc75673488930559c120fd0410194fb8a0da55bd0b8122
        7e843fdca6692ae80e5a5d414116d4803fca7d8c30eaaae57e44a1816ebb5c5b0606c536246c7f11985d731684150b63
        c9a3ad9e41b04c0b5b27cb188a692c84696b742a80d3cd00ab891f2457443dadfeba6d6daf108602be26d7071803c671
        05a5426838e6889d77e8474b29244cefaf418e381b312048b457d73419213063c60ee7b0d81820165864fef93523c963
        5c22210956e53a8d96322493ffc58d845368e2416e078e5bcb5d2fd68ae6acfa54f9627c42e84a9d3f2774017e32ebca
        06308a12ecc290c7cd1156dcccfb2311"""),
    "q": _h("""
        c601a9caea66dc3835827b539db9df6f6f5ae77244692780cd334a006ab353c806426b60718c05245650821d39445d3a
        b591ed10a7339f15d83fe13f6a3dfb20b9452c6a9b42eaa62a68c970df3cadb2139f804ad8223d56108dfde30ba7d367
        e9b0a7a80c4fdba2fd9dde6661fc73fc2947569d2029f2870fc02d8325acf28c9afa19ecf962daa7916e21afad09eb62
        fe9f1cf91b77dc879b7974b490d3ebd2e95426057f35d0a3c9f45f79ac727ab81a519a8b9285932d9b2e5ccd347e59f3
        f32ad9ca359115e7da008ab7406707bd0e8e185a5ed8758b5ba266e8828f8d863ae133846304a2936ad7bc7c9803879d
        2fc4a28e69291d73dbd799f8bc238385"""),
    "n": _h("""
        aec4d69addc70b990ea66a5e70603b6fee27aafebd08f2d94cbe1250c556e047a928d635c3f45ee9b66d1bc628a03bac
        9b7c3f416fe20dabea8f3d7b4bbf7f963be335d2328d67e6c13ee4a8f955e05a3283720d3e1f139c38e43e0338ad058a
        9495c53377fc35be64d208f89b4aa721bf7f7d3fef837be2a80e0f8adf0bcd1eec5bb040443a2b2792fdca522a7472ae
        d74f31a1ebe1eebc1f408660a0543dfe2a850f106a617ec6685573702eaaa21a5640a5dcaf9b74e397fa3af18a2f1b7c
        03ba91a6336158de420d63188ee143866ee415735d155b7c2d854d795b7bc236cffd71542df34234221a0413e142d8c6
        1355cc44d45bda94204974557ac2704cd8b593f035a5724b1adf442e78c542cd4414fce6f1298182fb6d8e53cef1adfd
        2e90e1e4deec52999bdc6c29144e8d52a125232c8c6d75c706ea3cc06841c7bda33568c63a6c03817f722b50fcf89823
        7d788a4400869e44d90a3020923dc646388abcc914315215fcd1bae11b1c751fd52443aac8f601087d8d42737c18a3fa
        11ecd4131ecae017ae0a14acfc4ef85b83c19fed33cfd1cd629da2c4c09e222b398e18d822f77bb378dea3cb360b605e
        5aa58b20edc29d000a66bd177c682a17e7eb12a63ef7c2e4183e0d898f3d6bf567ba8ae84f84f1d23bf8b8e261c3729e
        2fa6d07b832e07cddd1d14f55325c6f924267957121902dc19b3b32948bdead5"""),
    "e": 0x010001,
    "d": _h("""
        0d43242aefe1fb2c13fbc66e20b678c4336d20b1808c558b6e62ad16a287077180b177e1f01b12f9c6cd6c52630257cc
        ef26a45135a990928773f3bd2fc01a313f1dac97a51cec71cb1fd7efc7adffdeb05f1fb04812c924ed7f4a8269925dad
        88bd7dcfbc4ef01020ebfc60cb3e04c54f981fdbd273e69a8a58b8ceb7c2d83fbcbd6f784d052201b88a9848186f2a45
        c0d2826870733e6fd9aa46983e0a6e82e35ca20a439c5ee7b502a9062e1066493bdadf8b49eb30d9558ed85abc7afb29
        b3c9bc644199654a4676681af4babcea4e6f71fe4565c9c1b85d9985b84ec1abf1a820a9bbebee0df1398aae2c85ab58
        0a9f13e7743afd3108eb32100b870648fa6bc17e8abac4d3c99246b1f0ea9f7f93a5dd5458c56d9f3f81ff2216b3c368
        0a13591673c43194d8e6fc93fc1e37ce2986bd628ac48088bc723d8fbe293861ca7a9f4a73e9fa63b1b6d0074f5dea2a
        624c5249ff3ad811b6255b299d6bc5451ba7477f19c5a0db690c3e6476398b1483d10314afd38bbaf6e2fbdbcd62c3ca
        9797a420ca6034ec0a83360a3ee2adf4b9d4ba29731d131b099a38d6a23cc463db754603211260e99d19affc902c915d
        7854554aabf608e3ac52c19b8aa26ae042249b17b2d29669b5c859103ee53ef9bdc73ba3c6b537d5c34b6d8f034671d7
        f3a8a6966cc4543df223565343154140fd7391c7e7be03e241f4ecfeb877a051"""),
    "msg": _h("8f3dc6fb8c4a02f4d6352edf0907822c1210a9b32f9bdda4c45a698c80023aa6b59f8cfec5fdbb36331372ebefedae7d"),
    "msg_prefix": _h("8417e699b219d583fb6216ae0c53ca0e9723442d02f1d1a34295527e7d929e8b"),
    "prepared_msg": _h("""
        8417e699b219d583fb6216ae0c53ca0e9723442d02f1d1a34295527e7d929e8b
        8f3dc6fb8c4a02f4d6352edf0907822c1210a9b32f9bdda4c45a698c80023aa6b59f8cfec5fdbb36331372ebefedae7d"""),
    "salt": _h("051722b35f458781397c3a671a7d3bd3096503940e4c4f1aaa269d60300ce449555cd7340100df9d46944c5356825abf"),
    "inv": _h("""
        80682c48982407b489d53d1261b19ec8627d02b8cda5336750b8cee332ae260de57b02d72609c1e0e9f28e2040fc65b6
        f02d56dbd6aa9af8fde656f70495dfb723ba01173d4707a12fddac628ca29f3e32340bd8f7ddb557cf819f6b01e445ad
        96f874ba235584ee71f6581f62d4f43bf03f910f6510deb85e8ef06c7f09d9794a008be7ff2529f0ebb69decef646387
        dc767b74939265fec0223aa6d84d2a8a1cc912d5ca25b4e144ab8f6ba054b54910176d5737a2cff011da431bd5f2a0d2
        d66b9e70b39f4b050e45c0d9c16f02deda9ddf2d00f3e4b01037d7029cd49c2d46a8e1fc2c0c17520af1f4b5e25ba396
        afc4cd60c494a4c426448b35b49635b337cfb08e7c22a39b256dd032c00adddafb51a627f99a0e1704170ac1f1912e49
        d9db10ec04c19c58f420212973e0cb329524223a6aa56c7937c5dffdb5d966b6cd4cbc26f3201dd25c80960a1a111b32
        947bb78973d269fac7f5186530930ed19f68507540eed9e1bab8b00f00d8ca09b3f099aae46180e04e3584bd7ca054df
        18a1504b89d1d1675d0966c4ae1407be325cdf623cf13ff13e4a28b594d59e3eadbadf6136eee7a59d6a444c9eb4e219
        8e8a974f27a39eb63af2c9af3870488b8adaad444674f512133ad80b9220e09158521614f1faadfe8505ef57b7df6813
        048603f0dd04f4280177a11380fbfc861dbcbd7418d62155248dad5fdec0991f"""),
    "blinded_msg": _h("""
        aa3ee045138d874669685ffaef962c7694a9450aa9b4fd6465db9b3b75a522bb921c4c0fdcdfae9667593255099cff51
        f5d3fd65e8ffb9d3b3036252a6b51b6edfb3f40382b2bbf34c0055e4cbcc422850e586d84f190cd449af11dc65545f5f
        e26fd89796eb87da4bda0c545f397cddfeeb56f06e28135ec74fd477949e7677f6f36cfae8fd5c1c5898b03b9c244cf6
        d1a4fb7ad1cb43aff5e80cb462fac541e72f67f0a50f1843d1759edfaae92d1a916d3f0efaf4d650db416c3bf8abdb54
        14a78cebc97de676723cb119e77aea489f2bbf530c440ebc5a75dccd3ebf5a412a5f346badd61bee588e5917bdcce9dc
        33c882e39826951b0b8276c6203971947072b726e935816056ff5cb11a71ca2946478584126bb877acdf87255f26e6cc
        a4e0878801307485d3b7bb89b289551a8b65a7a6b93db010423d1406e149c87731910306e5e410b41d4da3234624e74f
        92845183e323cf7eb244f212a695f8856c675fbc3a021ce649e22c6f0d053a9d238841cf3afdc2739f99672a419ae13c
        17f1f8a3bc302ec2e7b98e8c353898b7150ad8877ec841ea6e4b288064c254fefd0d049c3ad196bf7ffa535e74585d01
        20ce728036ed500942fbd5e6332c298f1ffebe9ff60c1e117b274cf0cb9d70c36ee4891528996ec1ed0b178e9f3c0c0e
        6120885f39e8ccaadbb20f3196378c07b1ff22d10049d3039a7a92fe7efdd95d"""),
    "blind_sig": _h("""
        3f4a79eacd4445fca628a310d41e12fcd813c4d43aa4ef2b81226953248d6d00adfee6b79cb88bfa1f99270369fd063c
        023e5ed546719b0b2d143dd1bca46b0e0e615fe5c63d95c5a6b873b8b50bc52487354e69c3dfbf416e7aca18d5842c89
        b676efdd38087008fa5a810161fcdec26f20ccf2f1e6ab0f9d2bb93e051cb9e86a9b28c5bb62fd5f5391379f887c0f70
        6a08bcc3b9e7506aaf02485d688198f5e22eefdf837b2dd919320b17482c5cc54271b4ccb41d267629b3f844fd63750b
        01f5276c79e33718bb561a152acb2eb36d8be75bce05c9d1b94eb609106f38226fb2e0f5cd5c5c39c59dda166862de49
        8b8d92f6bcb41af433d65a2ac23da87f39764cb64e79e74a8f4ce4dd567480d967cefac46b6e9c06434c371563583435
        7edd2ce6f105eea854ac126ccfa3de2aac5607565a4e5efaac5eed491c335f6fc97e6eb7e9cea3e12de38dfb315220c0
        a3f84536abb2fdd722813e083feda010391ac3d8fd1cd9212b5d94e634e69ebcc800c4d5c4c1091c64afc37acf563c7f
        c0a6e4c082bc55544f50a7971f3fb97d5853d72c3af34ffd5ce123998be5360d1059820c66a81e1ee6d9c1803b5b62af
        6bc877526df255b6d1d835d8c840bebbcd6cc0ee910f17da37caf8488afbc08397a1941fcc79e76a5888a95b3d5405e1
        3f737bea5c78d716a48eb9dc0aec8de39c4b45c6914ad4a8185969f70b1adf46"""),
    "sig": _h("""
        191e941c57510e22d29afad257de5ca436d2316221fe870c7cb75205a6c071c2735aed0bc24c37f3d5bd960ab97a829a
        508f966bbaed7a82645e65eadaf24ab5e6d9421392c5b15b7f9b640d34fec512846a3100b80f75ef51064602118c1a77
        d28d938f6efc22041d60159a518d3de7c4d840c9c68109672d743d299d8d2577ef60c19ab463c716b3fa75fa56f57353
        49d414a44df12bf0dd44aa3e10822a651ed4cb0eb6f47c9bd0ef14a034a7ac2451e30434d513eb22e68b7587a8de9b4e
        63a059d05c8b22c7c51e2cfee2d8bef511412e93c859a13726d87c57d1bc4c2e68ab121562f839c3a3d233e87ed63c69
        b7e57525367753fbebcc2a9805a2802659f5888b2c69115bf865559f10d906c09d048a0d71bfee4b33857393ec2b69e4
        51433496d02c9a7910abb954317720bbde9e69108eafc3e90bad3d5ca4066d7b1e49013fa04e948104a1dd82b12509ec
        b146e948c54bd8bfb5e6d18127cd1f7a93c3cf9f2d869d5a78878c03fe808a0d799e910be6f26d18db61c485b303631d
        3568368fc41986d08a95ea6ac0592240c19d7b22416b9c82ae6241e211dd5610d0baaa9823158f9c32b66318f5529491
        b7eeadcaa71898a63bac9d95f4aa548d5e97568d744fc429104e32edd9c87519892a198a30d333d427739ffb9607b092
        e910ae37771abf2adb9f63bc058bf58062ad456cb934679795bbdfcdfad5e0f2"""),
}


def _int(value: bytes) -> int:
    return int.from_bytes(value, "big")


@pytest.fixture(scope="module")
def rsa_vector_key() -> rsa.RSAPrivateKey:
    p, q, d, e = _int(RSA["p"]), _int(RSA["q"]), _int(RSA["d"]), RSA["e"]
    assert p * q == _int(RSA["n"]), "vector transcription: n != p*q"
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e, p * q))
    return numbers.private_key()


def test_rsabssa_rfc9474_pss_randomized(rsa_vector_key):
    variant, pk = rsabssa.PSS_RANDOMIZED, rsa_vector_key.public_key()
    input_msg = rsabssa.prepare(variant, RSA["msg"], RSA["msg_prefix"])
    assert input_msg == RSA["prepared_msg"]
    blinded = rsabssa.blind(pk, input_msg, RSA["salt"], _int(RSA["inv"]))
    assert blinded == RSA["blinded_msg"]
    assert rsabssa.blind_sign(rsa_vector_key, blinded) == RSA["blind_sig"]
    sig = rsabssa.finalize(variant, pk, input_msg, RSA["blind_sig"], _int(RSA["inv"]))
    assert sig == RSA["sig"]
    assert rsabssa.verify(variant, pk, input_msg, sig)
    assert not rsabssa.verify(variant, pk, RSA["msg"], sig), "the prefix is part of what is signed"


def test_rsabssa_rfc9474_finalize_rejects_a_bad_blind_signature(rsa_vector_key):
    bad = bytearray(RSA["blind_sig"])
    bad[-1] ^= 1
    with pytest.raises(rsabssa.BlindSignatureError):
        rsabssa.finalize(rsabssa.PSS_RANDOMIZED, rsa_vector_key.public_key(),
                         RSA["prepared_msg"], bytes(bad), _int(RSA["inv"]))


# --- RFC 9497 Appendix A.4.2: P384-SHA384, VOPRF mode, Test Vector 1 ---------------------

VOPRF = {
    "seed": _h("""a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a
                  3a3"""),
    "key_info": _h("74657374206b6579"),
    "skSm": _h("""051646b9e6e7a71ae27c1e1d0b87b4381db6d3595eeeb1adb41579adbf992
                  f4278f9016eafc944edaa2b43183581779d"""),
    "pkSm": _h("""031d689686c611991b55f1a1d8f4305ccd6cb719446f660a30db61b7aa87b
                  46acf59b7c0d4a9077b3da21c25dd482229a0"""),
    "input": _h("00"),
    "blind": _h("""504650f53df8f16f6861633388936ea23338fa65ec36e0290022b48eb562
                   889d89dbfa691d1cde91517fa222ed7ad364"""),
    "blinded": _h("""02d338c05cbecb82de13d6700f09cb61190543a7b7e2c6cd4fc
                     a56887e564ea82653b27fdad383995ea6d02cf26d0e24d9"""),
    "evaluated": _h("""02a7bba589b3e8672aa19e8fd258de2e6aae20101c8d7612
                       46de97a6b5ee9cf105febce4327a326255a3c604f63f600ef6"""),
    "proof": _h("""bfc6cf3859127f5fe25548859856d6b7fa1c7459f0ba5712a806fc091a30
                   00c42d8ba34ff45f32a52e40533efd2a03bc87f3bf4f9f58028297ccb9ccb18ae718
                   2bcd1ef239df77e3be65ef147f3acf8bc9cbfc5524b702263414f043e3b7ca2e"""),
    "output": _h("""3333230886b562ffb8329a8be08fea8025755372817ec969d114d1203d0
                    26b4a622beab60220bf19078bca35a529b35c"""),
}


def test_voprf_rfc9497_issuer_via_voprf_package():
    issuer = voprf.p384.Evaluator.from_seed(VOPRF["seed"], VOPRF["key_info"])
    assert issuer.public_key.serialize() == VOPRF["pkSm"], "DeriveKeyPair"
    evaluation = issuer.evaluate(voprf.p384.BlindedInput.deserialize(VOPRF["blinded"])).serialize()
    # The package serializes proof || element; the proof's randomness is its own.
    assert evaluation[voprf_p384.PROOF_LEN:] == VOPRF["evaluated"], "BlindEvaluate"
    assert issuer.evaluate_known_input(VOPRF["input"]) == VOPRF["output"], "Evaluate"
    # Its (freshly randomized) proof verifies under our client.
    assert voprf_p384.verify_proof(VOPRF["pkSm"], VOPRF["blinded"], VOPRF["evaluated"],
                                   evaluation[:voprf_p384.PROOF_LEN])


def test_voprf_rfc9497_client():
    assert voprf_p384.base_mult(_int(VOPRF["skSm"])) == VOPRF["pkSm"]
    blind = _int(VOPRF["blind"])
    assert voprf_p384.blind(VOPRF["input"], blind) == VOPRF["blinded"], "Blind"
    output = voprf_p384.finalize(VOPRF["input"], blind, VOPRF["blinded"], VOPRF["evaluated"],
                                 VOPRF["pkSm"], VOPRF["proof"])
    assert output == VOPRF["output"], "Finalize"


def test_voprf_rfc9497_client_rejects_a_bad_proof():
    proof = bytearray(VOPRF["proof"])
    proof[-1] ^= 1
    assert not voprf_p384.verify_proof(VOPRF["pkSm"], VOPRF["blinded"], VOPRF["evaluated"], bytes(proof))
    with pytest.raises(voprf_p384.OprfError):
        voprf_p384.finalize(VOPRF["input"], _int(VOPRF["blind"]), VOPRF["blinded"],
                            VOPRF["evaluated"], VOPRF["pkSm"], bytes(proof))


def test_p384_arithmetic_matches_cryptography():
    """Our scalar multiplication agrees with OpenSSL's on a few scalars."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    for k in (1, 2, 3, 0xDEADBEEF, voprf_p384.N - 1):
        expected = ec.derive_private_key(k, ec.SECP384R1()).public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        assert voprf_p384.base_mult(k) == expected, f"k = {k:#x}"


def test_x25519_is_plain_rfc7748():
    """hpke_pub/dh_pub are X25519 public keys (cross-check with cryptography)."""
    sk = HPKE["skEm"]
    expected = x25519.X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes_raw()
    assert concrete.ConcreteCrypto().dh_pub(sk) == expected == HPKE["pkEm"]
