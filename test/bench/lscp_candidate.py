#!/usr/bin/python3
# lscp_candidate.py - judge LSCP, locally selective combination (Zhao,
# Nasrullah, Hryniewicki and Li, "LSCP: Locally Selective Combination in
# Parallel Outlier Ensembles", SDM 2019), offline on both benchmark
# collections as a way for auto to combine detectors, before writing any C
# (issue 14).  Transductive: every row is scored against all the others.
#
# For each row, its local region is the rows that are among its 30 nearest
# neighbours (itself left out) in more than half of 20 random feature
# subspaces, each of between d/2 and d columns (the paper's section 3.2; the
# robustly scaled columns, median and 1.4826 MAD, as the neighbour members
# scale them); when no row qualifies, its 30 nearest neighbours over every
# column.  A pseudo ground truth is the mean (LSCP_A) or the max (LSCP_M)
# of the detectors' percentile ranks; the detector whose ranks over the
# region have the highest Pearson correlation with the pseudo truth there
# scores the row, by its rank.  Pools, fixed before any run:
#   members  auto version 2's: knn over a uniform sample of 1,024 rows with
#            k = 10 (recomputed here, seed 1), ecod, mahalanobis
#   six      the same and iforest, lof and knn over every row (k = 20)
# The scores other than the sampled knn are read from `detector_bench
# ALGORITHM --dump DUMP/ALGORITHM` on each collection.  The choice is made on
# the development means only; validation is reported.
#
#   /usr/bin/python3 test/bench/lscp_candidate.py DEV_DIR VAL_DIR DUMP [SEED]
import numpy as np
from sklearn.neighbors import NearestNeighbors

from candidate_common import dumped, rank, robust_mad, run, sampled_knn

REGION_K = 30
SUBSPACES = 20


def neighbours(X, cols, k):
    """Each row's k nearest other rows over columns cols."""
    nn = NearestNeighbors(n_neighbors=min(k + 1, len(X))).fit(X[:, cols])
    idx = nn.kneighbors(X[:, cols], return_distance=False)
    own = idx == np.arange(len(X))[:, None]
    # drop the row itself (or, among duplicates, the last neighbour)
    keep = np.where(own.any(1)[:, None], ~own, np.arange(idx.shape[1]) < idx.shape[1] - 1)
    return idx[keep].reshape(len(X), -1)


def local_regions(X, seed):
    """Each row's local region (an index array), as in LSCP's section 3.2."""
    rng = np.random.RandomState(seed)
    n, d = X.shape
    lists = []
    for _ in range(SUBSPACES):
        size = rng.randint(max(1, d // 2), d + 1)
        lists.append(neighbours(X, rng.choice(d, size, replace=False), REGION_K))
    stacked = np.concatenate(lists, 1)
    full = neighbours(X, np.arange(d), REGION_K)
    regions = []
    for i in range(n):
        u, c = np.unique(stacked[i], return_counts=True)
        r = u[c > SUBSPACES // 2]
        regions.append(r if len(r) >= 2 else full[i])
    return regions


def lscp(R, target, regions):
    """Each row scored by the detector (row of R) most correlated with target on its region."""
    out = np.empty(R.shape[1])
    for i, r in enumerate(regions):
        D = R[:, r] - R[:, r].mean(1, keepdims=True)
        t = target[r] - target[r].mean()
        denom = np.sqrt((D * D).sum(1) * (t * t).sum())
        corr = np.where(denom > 0, D @ t / np.where(denom > 0, denom, 1), -np.inf)
        out[i] = R[int(np.argmax(corr)), i]
    return out


def candidates(name, X, dump, seed):
    """max, mean, LSCP_A and LSCP_M over both pools, on one set."""
    Xs = robust_mad(X)
    d = {alg: rank(dumped(dump, alg, name))
         for alg in ("auto", "ecod", "mahalanobis", "iforest", "lof", "knn")}
    members = np.array([rank(sampled_knn(Xs, seed=seed)), d["ecod"], d["mahalanobis"]])
    six = np.vstack([members, [d["iforest"], d["lof"], d["knn"]]])
    regions = local_regions(Xs, seed)
    cands = {"auto(dump)": d["auto"]}
    for pool, R in (("members", members), ("six", six)):
        cands[f"max({pool})"] = R.max(0)
        cands[f"mean({pool})"] = R.mean(0)
        cands[f"lscp_a({pool})"] = lscp(R, R.mean(0), regions)
        cands[f"lscp_m({pool})"] = lscp(R, R.max(0), regions)
    return cands


run(candidates)
