# candidate_common.py - what the offline candidate scripts (forest_candidate.py,
# lscp_candidate.py, inne_candidate.py) share: the two collections, the
# members' dumped scores, the robust scaling and sampled knn of auto's
# neighbour member, percentile ranks and the table of means.
import glob
import os
import sys

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score, roc_auc_score

DEV = ("annthyroid breastw cardio ionosphere mammography musk pendigits satimage-2 "
       "shuttle smtp thyroid vowels").split()


def validation_names(val_dir):
    """The validation sets in val_dir, sorted."""
    return [os.path.basename(f)[:-4] for f in sorted(glob.glob(os.path.join(val_dir, "*.csv")))]


def datasets(dev_dir, val_dir):
    """Yield (name, features, labels) of every development then validation set."""
    for name in DEV + validation_names(val_dir):
        a = np.loadtxt(os.path.join(dev_dir if name in DEV else val_dir, name + ".csv"),
                       delimiter=",", skiprows=1)
        yield name, a[:, :-1], a[:, -1]


def dumped(dump, algorithm, name):
    """The scores `detector_bench ALGORITHM --dump DUMP/ALGORITHM` wrote for a set."""
    return np.loadtxt(os.path.join(dump, algorithm, name + ".txt"))[:, 0]


def robust_mad(X):
    """Centre each column on its median and divide by 1.4826 MAD (fallbacks as the core's)."""
    med = np.median(X, 0)
    s = 1.4826 * np.median(np.abs(X - med), 0)
    mad_mean = 1.2533 * np.mean(np.abs(X - med), 0)
    s = np.where(s > 1e-12, s, np.where(mad_mean > 1e-12, mad_mean, 1.0))
    return (X - med) / s


def knn_to(X, R, k):
    """Distance from every row of X to its k-th nearest row of R."""
    k = min(k, len(R))
    rr = (R * R).sum(1)
    out = np.empty(len(X))
    for s in range(0, len(X), 4096):
        B = X[s:s + 4096]
        D = np.maximum((B * B).sum(1)[:, None] + rr[None, :] - 2 * B @ R.T, 0)
        out[s:s + 4096] = np.sqrt(np.partition(D, k - 1, 1)[:, k - 1])
    return out


def sampled_knn(X, rows=1024, k=10, seed=1):
    """Distance to the k-th nearest row of a uniform sample of the rows (itself included)."""
    rng = np.random.RandomState(seed)
    return knn_to(X, X[rng.choice(len(X), min(rows, len(X)), replace=False)], k)


def rank(s):
    """Percentile ranks of scores."""
    return rankdata(s) / len(s)


def metrics(y, cands):
    """ROC AUC and average precision of each candidate's scores."""
    return {c: (roc_auc_score(y, v), average_precision_score(y, v)) for c, v in cands.items()}


def mean_auc(res, names, candidate):
    """A candidate's mean ROC AUC over the named sets, unrounded."""
    return float(np.mean([res[n][candidate][0] for n in names]))


def print_means(res, val_dir, title):
    """A markdown table of each candidate's mean ROC AUC and AP on both collections."""
    val = validation_names(val_dir)
    print(f"\n| candidate ({title}) | development AUC | AP | validation AUC | AP |")
    print("|---|---|---|---|---|")
    for c in res[DEV[0]]:
        mean = [np.mean([res[n][c][j] for n in names]) for names in (DEV, val) for j in (0, 1)]
        print(f"| {c} | " + " | ".join(f"{x:.3f}" for x in mean) + " |")


def run(candidates):
    """Score candidates(name, X, dump, seed), a dict of scores, on every set; print the means
    and return {set: {candidate: (ROC AUC, AP)}}.

    The command line is DEV_DIR VAL_DIR DUMP [SEED] (seed 1 by default)."""
    dev_dir, val_dir, dump = sys.argv[1:4]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    res = {}
    for name, X, y in datasets(dev_dir, val_dir):
        res[name] = metrics(y, candidates(name, X, dump, seed))
        print(name, " ".join(f"{c}={v[0]:.3f}" for c, v in res[name].items()), flush=True)
    print_means(res, val_dir, f"seed {seed}")
    return res
