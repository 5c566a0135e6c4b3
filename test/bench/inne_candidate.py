#!/usr/bin/python3
# inne_candidate.py - score iNNE (Bandaragoda, Ting, Albrecht, Liu and Wells,
# "Isolation-based anomaly detection using nearest-neighbor ensembles",
# Computational Intelligence 2018) offline on both benchmark collections, alone
# and combined with the members auto already has, to judge it as a member of
# auto before writing it in C.  iNNE draws T samples of PSI rows; each sampled
# row c gets the radius r(c) of its nearest other sample row eta(c); a row x
# covered by some hypersphere takes the smallest covering one, c, and scores
# 1 - r(eta(c)) / r(c), an uncovered row scores 1; the score is the mean over
# the T samples.  Features are scaled as the neighbour members scale them
# (median, interquartile range / 1.349).  Combinations take the max or the
# mean of percentile ranks, as auto does; the members' scores are read from
# `detector_bench ALGORITHM --dump DUMP/ALGORITHM` files.
#
#   /usr/bin/python3 test/bench/inne_candidate.py DEV_DIR VAL_DIR DUMP [PSI] [T]
import sys

import numpy as np
from sklearn.metrics import roc_auc_score

from candidate_common import DEV, datasets, dumped, rank, validation_names


def robust(X):
    """Centre each column on its median and divide by its robust spread."""
    med = np.median(X, 0)
    q1, q3 = np.percentile(X, [25, 75], 0)
    s = (q3 - q1) / 1.349
    sd = X.std(0)
    s = np.where(s > 0, s, np.where(sd > 0, sd, 1.0))
    return (X - med) / s


def inne(X, t, psi, seed=1):
    """iNNE's isolation score of every row of X (seeded samples)."""
    rng = np.random.RandomState(seed)
    n = len(X)
    score = np.zeros(n)
    for _ in range(t):
        C = X[rng.choice(n, min(psi, n), replace=False)]
        D = ((C[:, None, :] - C[None, :, :]) ** 2).sum(-1)
        np.fill_diagonal(D, np.inf)
        nn = D.argmin(1)
        r = np.sqrt(D[np.arange(len(C)), nn])
        ratio = 1 - r[nn] / np.where(r > 0, r, 1)
        Q = np.sqrt(((X[:, None, :] - C[None, :, :]) ** 2).sum(-1))
        rr = np.where(Q <= r[None, :], r[None, :], np.inf)
        score += np.where(np.isfinite(rr.min(1)), ratio[rr.argmin(1)], 1.0)
    return score / t


def main():
    dev_dir, val_dir, dump = sys.argv[1:4]
    psi = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    t = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    val = validation_names(val_dir)
    res = {}
    for name, X, y in datasets(dev_dir, val_dir):
        si = inne(robust(X), t, psi)
        m = {alg: dumped(dump, alg, name) for alg in ("auto", "knn", "ecod", "mahalanobis")}
        cands = {
            "inne": si,
            "auto": m["auto"],
            "max(auto,inne)": np.maximum(rank(m["auto"]), rank(si)),
            "max(knn,ecod,maha,inne)": np.max([rank(m["knn"]), rank(m["ecod"]),
                                               rank(m["mahalanobis"]), rank(si)], 0),
            "mean(maha,inne)": (rank(m["mahalanobis"]) + rank(si)) / 2,
        }
        res[name] = {k: roc_auc_score(y, v) for k, v in cands.items()}
        print(name, " ".join(f"{k}={v:.3f}" for k, v in res[name].items()), flush=True)
    for group, names in (("development", DEV), ("validation", val)):
        print(group, " ".join(f"{k}={np.mean([res[n][k] for n in names]):.4f}"
                              for k in res[names[0]]))


main()
