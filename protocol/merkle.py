"""Merkle trees of RFC 9162 section 2.1 over real bytes: the ledger's tree
hash, inclusion paths and their verification (the concrete backend's
`merkle_*` operations)."""
from __future__ import annotations

import hashlib
import hmac
from typing import Sequence


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split_point(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)  # largest power of two < n


def tree_hash(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = _split_point(len(leaves))
    return node_hash(tree_hash(leaves[:k]), tree_hash(leaves[k:]))


def inclusion_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of section 2.1.3.1, leaf side first."""
    if len(leaves) <= 1:
        return []
    k = _split_point(len(leaves))
    if m < k:
        return inclusion_path(m, leaves[:k]) + [tree_hash(leaves[k:])]
    return inclusion_path(m - k, leaves[k:]) + [tree_hash(leaves[:k])]


def verify_inclusion(root: bytes, leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bool:
    """Inclusion proof verification, section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash(leaf)
    for p in path:
        if sn == 0 or len(p) != 32:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(r, root)
