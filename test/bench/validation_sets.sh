#!/usr/bin/env bash
# validation_sets.sh - build the validation collection: labelled public data
# shipped by Debian packages, turned into anomaly-detection sets by one rule
# fixed before any detector was run on them, in the format of the shared
# datasets (header f1..fd,is_anomaly, every column numeric).
#
#   bash test/bench/validation_sets.sh [DIR]     (default test/bench/validation-data)
#
# Sources (installed with apt-get when missing):
#   python3-sklearn's bundled sets: breast_cancer, wine, digits, iris
#   r-cran-mlbench: Glass, PimaIndiansDiabetes, Sonar, Vehicle, LetterRecognition
# Left out because the development datasets already hold them (breastw,
# ionosphere, satimage-2, vowels): mlbench's BreastCancer, Ionosphere,
# Satellite and Vowel.
#
# The rule, the same for every set:
#   - the anomaly class is the least frequent class (a tie goes to the class
#     that sorts first); every other class is normal and kept whole;
#   - anomalies are drawn without replacement from that class: 5% of the
#     resulting set, at least 10 and at most the class's size;
#   - the draw and the final row order use numpy's RandomState(14);
#   - every numeric column is a feature, rows with a missing value are dropped.
set -eu
cd "$(dirname "$0")/../.."
out=${1:-test/bench/validation-data}
mkdir -p "$out"

# Debian's python3, which sees python3-sklearn (a python3 earlier on PATH may not)
py=${PYTHON:-/usr/bin/python3}
need=()
"$py" -c 'import sklearn' 2>/dev/null || need+=(python3-sklearn)
[ -d /usr/lib/R/site-library/mlbench ] || need+=(r-cran-mlbench)
if [ ${#need[@]} -gt 0 ]; then
	echo "validation_sets: installing ${need[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi

raw=$(mktemp -d "${TMPDIR:-/tmp}/anomaly-validation-raw.XXXXXX")
trap 'rm -rf "$raw"' EXIT

# mlbench's data frames as CSV: numeric columns, then the class as text.
Rscript --vanilla - "$raw" <<'EOF' >/dev/null
library(mlbench)
dir <- commandArgs(trailingOnly = TRUE)[1]
sets <- list(glass = c("Glass", "Type"), pima = c("PimaIndiansDiabetes", "diabetes"),
             sonar = c("Sonar", "Class"), vehicle = c("Vehicle", "Class"),
             letter = c("LetterRecognition", "lettr"))
for (name in names(sets)) {
  e <- new.env()
  data(list = sets[[name]][1], package = "mlbench", envir = e)
  df <- get(sets[[name]][1], envir = e)
  cls <- as.character(df[[sets[[name]][2]]])
  num <- df[, sapply(df, is.numeric), drop = FALSE]
  num$class <- cls
  write.csv(num, file.path(dir, paste0(name, ".csv")), row.names = FALSE)
}
EOF

"$py" - "$raw" "$out" <<'EOF'
import csv, os, sys
import numpy as np
from sklearn import datasets

raw, out = sys.argv[1], sys.argv[2]
sets = {}
for name, loader in (("breast_cancer", datasets.load_breast_cancer), ("wine", datasets.load_wine),
                     ("digits", datasets.load_digits), ("iris", datasets.load_iris)):
    b = loader()
    sets["sk_" + name] = (np.asarray(b.data, dtype=float), [str(t) for t in b.target])
for name in ("glass", "pima", "sonar", "vehicle", "letter"):
    with open(os.path.join(raw, name + ".csv")) as f:
        rows = list(csv.reader(f))[1:]
    rows = [r for r in rows if "NA" not in r]
    sets["mlb_" + name] = (np.array([[float(v) for v in r[:-1]] for r in rows]), [r[-1] for r in rows])

def fmt(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))

for name, (X, y) in sorted(sets.items()):
    y = np.array(y)
    classes, counts = np.unique(y, return_counts=True)      # sorted classes
    anomaly = classes[np.argmin(counts)]                      # first of the least frequent
    normal = np.flatnonzero(y != anomaly)
    pool = np.flatnonzero(y == anomaly)
    want = min(len(pool), max(10, int(round(0.05 * len(normal) / 0.95))))
    rng = np.random.RandomState(14)
    picked = rng.choice(pool, size=want, replace=False)
    rows = np.concatenate([normal, picked])
    labels = np.concatenate([np.zeros(len(normal), int), np.ones(want, int)])
    order = rng.permutation(len(rows))
    with open(os.path.join(out, name + ".csv"), "w") as f:
        f.write(",".join("f%d" % (j + 1) for j in range(X.shape[1])) + ",is_anomaly\n")
        for i in order:
            f.write(",".join(fmt(v) for v in X[rows[i]]) + ",%d\n" % labels[i])
    print("%-16s rows %5d dims %3d anomaly class %-8s anomalies %4d (%.1f%%)"
          % (name, len(rows), X.shape[1], anomaly, want, 100.0 * want / len(rows)))
EOF
