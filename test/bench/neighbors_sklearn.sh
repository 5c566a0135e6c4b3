#!/usr/bin/env bash
# neighbors_sklearn.sh - lof and knn scoring per row against scikit-learn's
# LocalOutlierFactor(novelty=True) and NearestNeighbors on the same rows, in
# one run: test/bench/neighbors_bench draws N reference rows and Q queries of
# D features (a seeded mixture of gaussians, 1% uniform outliers), times the
# k-d tree search, lof and knn (k = K) and writes the rows out; Debian's
# python3 then fits scikit-learn on the same reference rows, robustly scaled
# as ours are (RobustScaler), and times score_samples and kneighbors on the
# queries.  Both sides: processor time per query row, median of 5 runs.
# Ours is also timed with option "approximate" = each eps of EPS (a
# comma-separated list, default 0.25,0.5,1,2), with the recall of that
# search, and each is printed as a ratio against scikit-learn's exact one.
#
#   bash test/bench/neighbors_sklearn.sh [N [D [K [Q [EPS]]]]]   (default 100000 8 20 2000)
set -eu
cd "$(dirname "$0")/../.."
n=${1:-100000} d=${2:-8} k=${3:-20} q=${4:-2000} eps=${5:-0.25,0.5,1,2}
py=${PYTHON:-/usr/bin/python3}
"$py" -c 'import sklearn' 2>/dev/null || {
	echo "neighbors_sklearn: installing python3-sklearn" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-sklearn >/dev/null
}
make -s test/bench/neighbors_bench
work=$(mktemp -d "${TMPDIR:-/tmp}/anomaly-neighbors.XXXXXX")
trap 'rm -rf "$work"' EXIT
test/bench/neighbors_bench "$n" "$d" "$k" "$q" "$work" "$eps" | tee "$work/ours.txt"
"$py" - "$work" "$k" <<'PY' | tee "$work/sklearn.txt"
import sys, time, statistics
import numpy as np
import sklearn
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors
from sklearn.preprocessing import RobustScaler

work, k = sys.argv[1], int(sys.argv[2])
X = np.loadtxt(work + "/reference.csv", delimiter=",", ndmin=2)
Q = np.loadtxt(work + "/queries.csv", delimiter=",", ndmin=2)
scaler = RobustScaler().fit(X)
Xs, Qs = scaler.transform(X), scaler.transform(Q)
lof = LocalOutlierFactor(n_neighbors=k, novelty=True).fit(Xs)
nn = NearestNeighbors(n_neighbors=k).fit(Xs)

def per_row(f):
    f()                                 # warm-up
    t = []
    for _ in range(5):
        t0 = time.process_time()
        f()
        t.append((time.process_time() - t0) / len(Qs) * 1e6)
    return statistics.median(t)

print("scikit-learn %s, algorithm %s" % (sklearn.__version__, nn._fit_method))
print("sklearn lof score_samples: %8.2f us/row" % per_row(lambda: lof.score_samples(Qs)))
print("sklearn kneighbors:        %8.2f us/row" % per_row(lambda: nn.kneighbors(Qs)))
PY
awk '
	FNR == NR && /^lof score, tree:/ { ours_lof = $4 }
	FNR == NR && /^knn score, tree:/ { ours_knn = $4 }
	FNR == NR && /^eps / {
		# eps E: search S us/row (Rx exact), lof L, knn K; recall C, k-th distance ratio T
		line = $0
		gsub(/[:;,]/, " ", line)
		split(line, f, " +")
		n_eps++
		eps_name[n_eps] = f[2]; eps_lof[n_eps] = f[9]; eps_knn[n_eps] = f[11]
		eps_recall[n_eps] = f[13]; eps_ratio[n_eps] = f[17]
	}
	FNR != NR && /^sklearn lof/ { sk_lof = $4 }
	FNR != NR && /^sklearn kneighbors/ { sk_knn = $3 }
	END {
		printf "\nlof: scikit-learn %.2f us/row, ours %.2f: %.1fx\n", sk_lof, ours_lof, sk_lof / ours_lof
		printf "knn: scikit-learn %.2f us/row, ours %.2f: %.1fx\n", sk_knn, ours_knn, sk_knn / ours_knn
		for (e = 1; e <= n_eps; e++)
			printf "approximate %s: lof %.2f us/row (%.1fx), knn %.2f (%.1fx); recall %s, k-th distance ratio %s\n",
				eps_name[e], eps_lof[e], sk_lof / eps_lof[e], eps_knn[e], sk_knn / eps_knn[e],
				eps_recall[e], eps_ratio[e]
	}' "$work/ours.txt" "$work/sklearn.txt"
