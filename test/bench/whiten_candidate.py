#!/usr/bin/python3
# whiten_candidate.py - judge knn measured in the robustly whitened space (knn
# under the robust Mahalanobis metric) offline on both benchmark collections,
# alone and as a member of auto, before writing any of it in C (issue 14).
# Transductive, as accuracy_table.sh: fitted on all rows, scoring all rows;
# labels only for the metrics.
#
# Protocol, fixed before any candidate was run:
#   knn   auto version 2's neighbour member: distance to the 10th nearest row
#         of a uniform sample of 1,024 rows (numpy's sample, seeded), on the
#         rows robustly scaled (median, 1.4826 MAD) as the core scales them
#   wknn  the same sample and k on the same scaled rows, then whitened: each
#         row multiplied by L^-1, L L' = S + r I the Cholesky factor of the
#         robust covariance S of the scaled rows from scikit-learn's
#         MinCovDet (FAST-MCD with its reweighting step, Rousseeuw and Van
#         Driessen, Technometrics 41, 1999; random_state = the seed), ridge
#         r = 1e-6 times S's mean diagonal plus 1e-12, always added (the
#         mahalanobis member's rule, src/core/mahalanobis.c), so a singular S
#         still factors.  Euclidean distance after whitening is the robust
#         Mahalanobis distance between rows.
#   ecod, mahalanobis, fcforest: their scores from `detector_bench ALGORITHM
#         --dump DUMP/ALGORITHM` (the C code, its default seed 42)
#   Candidates, percentile ranks of all rows combined:
#   C1  max of wknn, ecod, mahalanobis (auto's members, knn replaced)
#   C2  wknn alone
#   C3  mean of wknn and mahalanobis
#   C4  max of knn, wknn, ecod, mahalanobis
#   C5  max of wknn, ecod, mahalanobis, fcforest
#   and for reference: auto version 2 from its dump, its members recombined
#   here (max of knn, ecod, mahalanobis), fcforest alone from its dump.
#   Seeds 1 and 2 (the knn sample and MinCovDet's random state); ROC AUC and
#   average precision means on each collection.  The choice is made on the
#   development means only: a candidate is adopted as auto version 3 only if,
#   with both seeds, its development mean is at least 0.942 (fcforest's, the
#   best single algorithm) and its validation mean at least 0.747 (auto
#   version 2's); validation means are reported as they come.
#
#   /usr/bin/python3 test/bench/whiten_candidate.py DEV_DIR VAL_DIR DUMP [SEED]
#
# The bars are the unrounded means of this run: fcforest's development mean
# (0.9423) and auto version 2's validation mean (0.7468); the script prints
# each candidate's unrounded means and whether it clears both with this seed.
# scikit-learn's FAST-MCD warns that a determinant increased on the sets of
# few distinct values (smtp); those RuntimeWarnings are silenced here.
import sys
import warnings

import numpy as np
from scipy.linalg import cholesky, solve_triangular
from sklearn.covariance import MinCovDet

from candidate_common import (DEV, dumped, mean_auc, rank, robust_mad, run, sampled_knn,
                              validation_names)

RIDGE = 1e-6
RIDGE_FLOOR = 1e-12


def whiten(Xs, seed):
    """Rows multiplied by the inverse Cholesky factor of their ridged MCD covariance."""
    S = MinCovDet(random_state=seed).fit(Xs).covariance_
    S = S + (RIDGE * np.mean(np.diag(S)) + RIDGE_FLOOR) * np.eye(len(S))
    L = cholesky(S, lower=True)
    return solve_triangular(L, Xs.T, lower=True).T


def candidates(name, X, dump, seed):
    """The five candidates and the references, on one set."""
    Xs = robust_mad(X)
    k = rank(sampled_knn(Xs, seed=seed))
    wk = rank(sampled_knn(whiten(Xs, seed), seed=seed))
    e, m, f = (rank(dumped(dump, alg, name)) for alg in ("ecod", "mahalanobis", "fcforest"))
    return {
        "auto v2 (dump)": dumped(dump, "auto", name),
        "max(knn,ecod,maha)": np.max([k, e, m], 0),
        "fcforest (dump)": f,
        "C1 max(wknn,ecod,maha)": np.max([wk, e, m], 0),
        "C2 wknn": wk,
        "C3 mean(wknn,maha)": np.mean([wk, m], 0),
        "C4 max(knn,wknn,ecod,maha)": np.max([k, wk, e, m], 0),
        "C5 max(wknn,ecod,maha,fcforest)": np.max([wk, e, m, f], 0),
    }


def verdict(res, val_dir):
    """Each candidate's unrounded means and whether it clears both bars."""
    val = validation_names(val_dir)
    dev_bar = mean_auc(res, DEV, "fcforest (dump)")
    val_bar = mean_auc(res, val, "auto v2 (dump)")
    print(f"\nbars: development >= {dev_bar:.4f} (fcforest), validation >= {val_bar:.4f} (auto v2)")
    for c in res[DEV[0]]:
        if c.startswith("C"):
            dev, v = mean_auc(res, DEV, c), mean_auc(res, val, c)
            ok = dev >= dev_bar and v >= val_bar
            print(f"{c}: development {dev:.4f} validation {v:.4f} -> {'clears' if ok else 'fails'}")


warnings.filterwarnings("ignore", category=RuntimeWarning, module="sklearn")
verdict(run(candidates), sys.argv[2])
