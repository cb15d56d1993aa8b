"""Ranking metrics through ranx, and latency percentiles.

ranx computes each metric per query (its numbers are tested against trec_eval's); we ask it
for per-query values and average them ourselves for each subset (all questions, each
language), so that every figure in a report is the mean of per-query values that the
JSON output also lists.

Names: ``hit@k`` is ranx ``hit_rate@k`` (trec_eval ``success@k``: at least one relevant unit
in the top k), ``recall@k``, ``mrr@10`` (reciprocal rank of the first relevant unit within
10), ``ndcg@10`` (linear gains, log2 discount, as trec_eval), ``map@D`` (average precision
over the retrieved depth D, normalised by all relevant units).
"""
from __future__ import annotations

import warnings
from typing import Iterable, Sequence

import numpy as np

from eval.relevance import FILLER_PREFIX, Judged

EMPTY_RUN_ID = FILLER_PREFIX + "no-hits"

# ours -> ranx
_RANX_NAMES = {"hit": "hit_rate", "recall": "recall", "mrr": "mrr", "ndcg": "ndcg", "map": "map",
               "precision": "precision"}


def metric_names(ks: Sequence[int], depth: int) -> list[str]:
    names = [f"hit@{k}" for k in ks] + [f"recall@{k}" for k in ks]
    return names + ["mrr@10", "ndcg@10", f"map@{depth}"]


def _ranx_name(name: str) -> str:
    base, _, k = name.partition("@")
    return f"{_RANX_NAMES[base]}@{k}" if k else _RANX_NAMES[base]


def per_query(judged: Judged, names: Sequence[str]) -> dict[str, dict[str, float]]:
    """metric → query id → value, computed by ranx over the judged queries.

    ranx is given plain dicts (its ``Qrels``/``Run`` objects cost ~2 s of numba work per run;
    ``Judged.to_ranx`` builds them for those who want them, and a test checks both agree).
    With dicts ranx pairs the queries of qrels and run *by position*, and its key check
    compares them as sets, so the run dict is built here in the qrels' order.
    """
    if not judged.qrels:
        return {name: {} for name in names}
    from ranx import evaluate

    qids = list(judged.qrels)
    qrels = {q: dict(judged.qrels[q]) for q in qids}
    # an empty ranking crashes ranx's typed lists; one never-relevant entry scores the same
    run = {q: dict(judged.run.get(q) or [(EMPTY_RUN_ID, 0.0)]) for q in qids}
    ranx_names = [_ranx_name(n) for n in names]
    with warnings.catch_warnings():
        # ranx hashes ids to uint64 and casts them: harmless, equal ids stay equal
        warnings.filterwarnings("ignore", message=".*unsafe cast.*")
        warnings.filterwarnings("ignore", category=_numba_type_safety_warning())
        # ranx 0.3 returns a wrong key for a single metric with return_mean=False: ask for a
        # list of at least two names (a repeated name is computed once)
        scores = evaluate(qrels, run, ranx_names * 2 if len(ranx_names) == 1 else ranx_names,
                          return_mean=False)
    return {name: {q: float(v) for q, v in zip(qids, scores[_ranx_name(name)])} for name in names}


def _numba_type_safety_warning() -> type[Warning]:
    try:
        from numba.core.errors import NumbaTypeSafetyWarning
    except ImportError:  # pragma: no cover - numba moved it
        return UserWarning
    return NumbaTypeSafetyWarning


def mean_over(values: dict[str, float], qids: Iterable[str]) -> float | None:
    selected = [values[q] for q in qids if q in values]
    return float(np.mean(selected)) if selected else None


def latency_summary(seconds: Sequence[float]) -> dict:
    """p50/p95/mean/max in milliseconds (numpy's linear interpolation between ranks)."""
    if not seconds:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "mean_ms": None, "max_ms": None}
    ms = np.asarray(seconds, dtype=float) * 1000.0
    return {"n": int(ms.size), "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2), "mean_ms": round(float(ms.mean()), 2),
            "max_ms": round(float(ms.max()), 2)}
