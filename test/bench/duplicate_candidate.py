#!/usr/bin/python3
# duplicate_candidate.py - judge a duplicate-aware form of auto's neighbour
# member offline on both benchmark collections: the distance to the 10th
# nearest of 1,024 reference rows drawn uniformly from the DISTINCT rows (a
# row repeated many times counts once, so a clump of identical anomalies is no
# longer its own dense neighbourhood), or from all rows with the sample's
# repeats then dropped, against the uniform sample of all rows that auto
# version 2 draws.  Rows are robustly scaled as the member scales them; each
# form is scored alone and as auto's member (the max of percentile ranks with
# ecod and mahalanobis, read from `detector_bench ALGORITHM --dump
# DUMP/ALGORITHM` files, which must include auto, ecod and mahalanobis).
#
#   /usr/bin/python3 test/bench/duplicate_candidate.py DEV_DIR VAL_DIR DUMP [SEED]
import numpy as np

from candidate_common import dumped, knn_to, rank, robust_mad, run, sampled_knn


def candidates(name, X, dump, seed):
    """The three forms of the member, alone and in auto's max of ranks."""
    Z = robust_mad(X)
    distinct = np.unique(Z, axis=0)
    print(f"  {name}: {1 - len(distinct) / len(Z):.3f} of the rows repeat another", flush=True)
    uniform = sampled_knn(Z, 1024, 10, seed)
    rng = np.random.RandomState(seed)
    of_distinct = knn_to(Z, distinct[rng.choice(len(distinct), min(1024, len(distinct)), replace=False)], 10)
    rng = np.random.RandomState(seed)
    deduped = knn_to(Z, np.unique(Z[rng.choice(len(Z), min(1024, len(Z)), replace=False)], axis=0), 10)
    e, m = dumped(dump, "ecod", name), dumped(dump, "mahalanobis", name)

    def member(k):
        return np.max([rank(k), rank(e), rank(m)], 0)
    return {"auto version 2 (its dump)": dumped(dump, "auto", name),
            "knn, uniform sample": uniform, "knn, sample of distinct rows": of_distinct,
            "knn, sample's repeats dropped": deduped,
            "max: knn uniform, ecod, mahalanobis": member(uniform),
            "max: knn of distinct rows, ecod, mahalanobis": member(of_distinct),
            "max: knn repeats dropped, ecod, mahalanobis": member(deduped)}


if __name__ == "__main__":
    run(candidates)
