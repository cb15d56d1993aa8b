"""Near-duplicate passages across documents (the same report filed twice, say).

Passages are compared as sets of word 3-shingles; two passages of different documents whose
Jaccard similarity is at least ``threshold`` are copies. Candidates come from MinHash with
LSH banding (so the work stays near-linear for large corpora) and are verified exactly.
Copies form groups (union-find); search shows the best-ranked copy of a group and lists
the others.
"""
from __future__ import annotations

import re
import zlib
from collections import defaultdict

import numpy as np

_WORD = re.compile(r"\w+")
_N_HASHES = 32
_BANDS = 8
_ROWS = _N_HASHES // _BANDS
_rng = np.random.default_rng(20220511)
_A = _rng.integers(1, 2**32 - 1, size=_N_HASHES, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**32 - 1, size=_N_HASHES, dtype=np.uint64)


def shingles(text: str, size: int = 3) -> set[int]:
    words = _WORD.findall(text.casefold())
    if len(words) < size:
        return {zlib.crc32(" ".join(words).encode())} if words else set()
    return {zlib.crc32(" ".join(words[i:i + size]).encode()) for i in range(len(words) - size + 1)}


def _minhash(shingle_set: set[int]) -> np.ndarray:
    values = np.fromiter(shingle_set, dtype=np.uint64, count=len(shingle_set))
    with np.errstate(over="ignore"):
        hashed = (values[:, None] * _A[None, :] + _B[None, :]) >> np.uint64(32)
    return hashed.min(axis=0)


def duplicate_groups(texts: list[str], document_ids: list[str],
                     threshold: float = 0.8) -> list[int]:
    """Group id for every passage: the index of the first passage of its group (itself if unique)."""
    sets = [shingles(t) for t in texts]
    buckets: dict[tuple, list[int]] = defaultdict(list)
    for index, shingle_set in enumerate(sets):
        if not shingle_set:
            continue
        signature = _minhash(shingle_set)
        for band in range(_BANDS):
            key = (band, signature[band * _ROWS:(band + 1) * _ROWS].tobytes())
            buckets[key].append(index)

    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    checked: set[tuple[int, int]] = set()
    for members in buckets.values():
        if len(members) < 2:
            continue
        for x, i in enumerate(members):
            for j in members[x + 1:]:
                if document_ids[i] == document_ids[j] or (i, j) in checked:
                    continue
                checked.add((i, j))
                a, b = sets[i], sets[j]
                if len(a & b) / len(a | b) >= threshold:
                    ri, rj = find(i), find(j)
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)
    return [find(i) for i in range(len(texts))]
