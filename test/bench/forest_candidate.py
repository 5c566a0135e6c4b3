#!/usr/bin/python3
# forest_candidate.py - judge guided-split and extended isolation forests
# offline on both benchmark collections, alone and as members of auto, before
# writing any of them in C (issue 14).  Transductive, as accuracy_table.sh:
# every forest is fitted on all rows and scores all rows; labels only for the
# metrics.  A forest's score is minus the mean path length (depth plus
# c(size) at a leaf, Liu, Ting and Zhou, ICDM 2008), which ranks rows as
# 2^(-E(h)/c(psi)) does.
#
# Candidates (fixed before any was run; psi rows a tree, depth limit
# ceil(log2 psi) unless said):
#   if        axis-parallel random splits, psi 256, 200 trees (Liu et al. 2008)
#   eif       Extended Isolation Forest, random-slope hyperplanes over every
#             column (normal N(0, I), intercept uniform in the node's box),
#             psi 256, 200 trees (Hariri, Kind and Brunner, IEEE TKDE 2021)
#   sci       SCiForest: hyperplanes over q = 2 random columns, coefficients
#             uniform in [-1, 1], tau = 10 tries a node, the split and
#             hyperplane of the highest averaged standard-deviation gain
#             1 - (sd_l + sd_r) / (2 sd); a row whose projection falls outside
#             the node's training range stops there; psi 256, 100 trees
#             (Liu, Ting and Zhou, "On detecting clustered anomalies using
#             SCiForest", ECML PKDD 2010)
#   pg1       pooled-gain axis splits: 3 random columns tried a node, the
#             split of the highest pooled gain 1 - (n_l sd_l + n_r sd_r) /
#             (n sd) (Cortes, "Revisiting randomized choices in isolation
#             forests", arXiv 2110.13402, 2021; isotree's
#             prob_pick_pooled_gain = 1, ndim = 1, ntry = 3), psi 256, 200 trees
#   pg1full   pg1 grown until every leaf holds one row (no depth limit)
#   pg3       pooled-gain hyperplanes over 3 random columns with N(0, 1)
#             coefficients, 3 tried a node (isotree's ndim = 3, ntry = 3),
#             psi 256, 200 trees
# Hyperplane forests see the columns robustly scaled (median, 1.4826 MAD) as
# the neighbour members do; axis-parallel splits do not depend on scale.
#
# Each forest is combined with auto version 2's members: knn over a uniform
# sample of 1,024 rows with k = 10 (recomputed here on the same scaling, seed
# 1), ecod and mahalanobis (their scores read from `detector_bench ALGORITHM
# --dump DUMP/ALGORITHM` on each collection), as percentile ranks: added as a
# fourth member (max and mean of ranks) and in place of each member (max).
# The choice is made on the development means only; validation is reported.
#
#   /usr/bin/python3 test/bench/forest_candidate.py DEV_DIR VAL_DIR DUMP [SEED]
import numpy as np

from candidate_common import dumped, rank, robust_mad, run, sampled_knn

EULER = 0.5772156649015329


def c_of(m):
    """Average path length of an unsuccessful search in a binary tree of m rows."""
    m = np.asarray(m, dtype=float)
    out = np.zeros_like(m)
    big = m > 2
    out[m == 2] = 1.0
    out[big] = 2 * (np.log(m[big] - 1) + EULER) - 2 * (m[big] - 1) / m[big]
    return out


def best_gain_split(p, pooled):
    """Best split of projections p by pooled or averaged sd gain: (gain, threshold)."""
    v = np.sort(p)
    m = len(v)
    sd = v.std()
    if sd <= 0:
        return -np.inf, None
    c1 = np.cumsum(v)
    c2 = np.cumsum(v * v)
    nl = np.arange(1, m)
    nr = m - nl
    sl = np.sqrt(np.maximum(c2[:-1] / nl - (c1[:-1] / nl) ** 2, 0))
    sr = np.sqrt(np.maximum((c2[-1] - c2[:-1]) / nr - ((c1[-1] - c1[:-1]) / nr) ** 2, 0))
    gain = 1 - ((nl * sl + nr * sr) / (m * sd) if pooled else (sl + sr) / (2 * sd))
    gain[v[:-1] == v[1:]] = -np.inf
    i = int(np.argmax(gain))
    return gain[i], (v[i] + v[i + 1]) / 2


class Forest:
    """An isolation forest of one split rule (see the header)."""

    def __init__(self, rule, psi=256, trees=200, full=False, seed=1):
        self.rule, self.psi, self.trees, self.full = rule, psi, trees, full
        self.rng = np.random.RandomState(seed)

    def direction(self, d):
        """Columns and coefficients of one random projection under the rule."""
        r = self.rng
        if self.rule in ("if", "pg1"):
            return np.array([r.randint(d)]), np.ones(1)
        if self.rule == "eif":
            return np.arange(d), r.normal(size=d)
        q = min(2 if self.rule == "sci" else 3, d)
        cols = r.choice(d, q, replace=False)
        coef = r.uniform(-1, 1, q) if self.rule == "sci" else r.normal(size=q)
        return cols, coef

    def split(self, X):
        """A node's split of rows X: (cols, coef, threshold, lo, hi) or None."""
        d = X.shape[1]
        if self.rule in ("if", "eif"):
            for _ in range(8):
                cols, coef = self.direction(d)
                p = X[:, cols] @ coef
                lo, hi = p.min(), p.max()
                if hi > lo:
                    if self.rule == "if":
                        t = self.rng.uniform(lo, hi)
                    else:  # EIF: intercept uniform in the node's bounding box
                        box = X[:, cols]
                        t = self.rng.uniform(box.min(0), box.max(0)) @ coef
                        t = min(max(t, lo), np.nextafter(hi, lo))
                    return cols, coef, t, lo, hi
            return None
        tries = 10 if self.rule == "sci" else 3
        best = (-np.inf, None)
        for _ in range(tries):
            cols, coef = self.direction(d)
            p = X[:, cols] @ coef
            g, t = best_gain_split(p, pooled=self.rule != "sci")
            if g > best[0]:
                best = (g, (cols, coef, t, p.min(), p.max()))
        return best[1]

    def build(self, X, depth, limit):
        """One tree over rows X as nested tuples."""
        if len(X) <= 1 or depth >= limit:
            return ("leaf", len(X))
        s = self.split(X)
        if s is None:
            return ("leaf", len(X))
        cols, coef, t, lo, hi = s
        left = X[:, cols] @ coef <= t
        return ("node", cols, coef, t, lo, hi,
                self.build(X[left], depth + 1, limit), self.build(X[~left], depth + 1, limit))

    def path(self, node, X, depth, out, idx):
        """Add each row's path length through node to out[idx]."""
        if node[0] == "leaf":
            out[idx] += depth + c_of(np.array([node[1]]))[0]
            return
        _, cols, coef, t, lo, hi, left, right = node
        p = X[idx][:, cols] @ coef
        if self.rule == "sci":
            outside = (p < lo) | (p > hi)
            out[idx[outside]] += depth
            idx, p = idx[~outside], p[~outside]
        go = p <= t
        if go.any():
            self.path(left, X, depth + 1, out, idx[go])
        if (~go).any():
            self.path(right, X, depth + 1, out, idx[~go])

    def score(self, X):
        """Minus the mean path length of every row (higher is more anomalous)."""
        n = len(X)
        psi = min(self.psi, n)
        limit = psi if self.full else int(np.ceil(np.log2(psi)))
        total = np.zeros(n)
        for _ in range(self.trees):
            tree = self.build(X[self.rng.choice(n, psi, replace=False)], 0, limit)
            self.path(tree, X, 0, total, np.arange(n))
        return -total / self.trees


CANDIDATES = {
    "if": dict(rule="if"),
    "eif": dict(rule="eif"),
    "sci": dict(rule="sci", trees=100),
    "pg1": dict(rule="pg1"),
    "pg1full": dict(rule="pg1", full=True),
    "pg3": dict(rule="pg3"),
}


def candidates(name, X, dump, seed):
    """Every forest alone and combined with auto's members, on one set."""
    Xs = robust_mad(X)
    k = rank(sampled_knn(Xs, seed=seed))
    e, m = (rank(dumped(dump, alg, name)) for alg in ("ecod", "mahalanobis"))
    cands = {"auto(dump)": dumped(dump, "auto", name), "auto(knn,ecod,maha)": np.max([k, e, m], 0)}
    for cname, kw in CANDIDATES.items():
        f = rank(Forest(seed=seed, **kw).score(X if kw["rule"] in ("if", "pg1") else Xs))
        cands[cname] = f
        cands[f"max(k,e,m,{cname})"] = np.max([k, e, m, f], 0)
        cands[f"mean(k,e,m,{cname})"] = np.mean([k, e, m, f], 0)
        cands[f"max({cname},e,m)"] = np.max([f, e, m], 0)
        cands[f"max(k,{cname},m)"] = np.max([k, f, m], 0)
        cands[f"max(k,e,{cname})"] = np.max([k, e, f], 0)
    return cands


run(candidates)
