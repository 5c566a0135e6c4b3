#!/usr/bin/env bash
# accuracy_table.sh - run every detector on the 12 development datasets and
# on the validation collection (test/bench/validation_sets.sh builds it;
# nothing was tuned on it), transductive: fit on all rows, score all rows,
# labels only for the metrics.  Prints markdown tables of ROC AUC, average
# precision and times for each collection, with how many development
# datasets reach ADBench's value minus 0.02.
#
#   bash test/bench/accuracy_table.sh [algorithm ...]
#
# ANOMALY_DATASETS names the folder of development CSVs (default
# ../shared/datasets); ANOMALY_VALIDATION the validation folder (default
# test/bench/validation-data, built when missing).  The raw per-dataset
# lines of each run are kept in $BENCH_OUT (default a temporary folder) as
# dev/<algorithm>.txt and validation/<algorithm>.txt.
set -eu
cd "$(dirname "$0")/../.."
make -s test/bench/detector_bench
algorithms=("$@")
if [ ${#algorithms[@]} -eq 0 ]; then
	algorithms=(iforest fcforest lof knn ocsvm hbos ecod copod zscore mahalanobis auto)
fi
out=${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/anomaly-accuracy.XXXXXX")}
validation=${ANOMALY_VALIDATION:-test/bench/validation-data}
validation_sets=sk_breast_cancer,sk_digits,sk_iris,sk_wine,mlb_glass,mlb_letter,mlb_pima,mlb_sonar,mlb_vehicle
[ -f "$validation/mlb_vehicle.csv" ] || bash test/bench/validation_sets.sh "$validation" >&2
mkdir -p "$out/dev" "$out/validation"
for a in "${algorithms[@]}"; do
	test/bench/detector_bench "$a" >"$out/dev/$a.txt"
	test/bench/detector_bench "$a" --data "$validation" --only "$validation_sets" >"$out/validation/$a.txt"
done

# ADBench (Han et al., NeurIPS 2022) Table D4 ROC AUC, for the comparison.
adbench='
iforest annthyroid 0.820 breastw 0.983 cardio 0.932 ionosphere 0.845 mammography 0.864 musk 1.000 pendigits 0.948 satimage-2 0.992 shuttle 0.996 smtp 0.897 thyroid 0.983 vowels 0.739
lof annthyroid 0.702 breastw 0.406 cardio 0.663 ionosphere 0.906 mammography 0.744 musk 0.412 pendigits 0.480 satimage-2 0.474 shuttle 0.571 smtp 0.718 thyroid 0.869 vowels 0.931
ocsvm annthyroid 0.572 breastw 0.803 cardio 0.939 ionosphere 0.759 mammography 0.850 musk 0.806 pendigits 0.938 satimage-2 0.974 shuttle 0.974 smtp 0.807 thyroid 0.879 vowels 0.616
hbos annthyroid 0.602 breastw 0.989 cardio 0.847 ionosphere 0.625 mammography 0.863 musk 1.000 pendigits 0.930 satimage-2 0.977 shuttle 0.986 smtp 0.705 thyroid 0.956 vowels 0.722
ecod annthyroid 0.780 breastw 0.992 cardio 0.944 ionosphere 0.756 mammography 0.907 musk 0.951 pendigits 0.912 satimage-2 0.971 shuttle 0.994 smtp 0.719 thyroid 0.978 vowels 0.458
copod annthyroid 0.768 breastw 0.997 cardio 0.923 ionosphere 0.793 mammography 0.907 musk 0.942 pendigits 0.907 satimage-2 0.972 shuttle 0.994 smtp 0.791 thyroid 0.943 vowels 0.531
knn annthyroid 0.717 breastw 0.970 cardio 0.766 ionosphere 0.883 mammography 0.845 musk 0.699 pendigits 0.730 satimage-2 0.926 shuttle 0.696 smtp 0.896 thyroid 0.959 vowels 0.973
'

# One collection's tables: table DIR TITLE
table() {
awk -v algos="${algorithms[*]}" -v dir="$1" -v title="$2" -v adbench="$adbench" '
BEGIN {
	n = split(algos, A, " ")
	nl = split(adbench, L, "\n")
	for (i = 1; i <= nl; i++) {
		m = split(L[i], F, " ")
		for (j = 2; j < m; j += 2) ref[F[1], F[j]] = F[j + 1]
	}
	for (a = 1; a <= n; a++) {
		file = dir "/" A[a] ".txt"
		while ((getline line < file) > 0) {
			split(line, F, " ")
			if (F[1] == "algorithm" || F[2] == "mean") continue
			if (F[5] == "error:") { auc[A[a], F[2]] = "err"; continue }
			ds[F[2]] = 1; rows[F[2]] = F[3]; dims[F[2]] = F[4]
			auc[A[a], F[2]] = F[5]; ap[A[a], F[2]] = F[6]
			fit[A[a], F[2]] = F[7]; sc[A[a], F[2]] = F[8]
		}
	}
	nd = 0
	for (d in ds) D[++nd] = d
	for (i = 1; i <= nd; i++) for (j = i + 1; j <= nd; j++) if (D[j] < D[i]) { t = D[i]; D[i] = D[j]; D[j] = t }

	for (t = 1; t <= 2; t++) {
		printf "\n%s, %s (transductive%s)\n\n", title, t == 1 ? "ROC AUC" : "Average precision", t == 1 && title == "development" ? "; ADBench - 0.02 met on the last line" : ""
		printf "| dataset |"; for (a = 1; a <= n; a++) printf " %s |", A[a]; printf "\n"
		printf "|---|"; for (a = 1; a <= n; a++) printf "---|"; printf "\n"
		for (a = 1; a <= n; a++) { sum[a] = 0; cnt[a] = 0; met[a] = 0; has[a] = 0 }
		for (i = 1; i <= nd; i++) {
			printf "| %s |", D[i]
			for (a = 1; a <= n; a++) {
				v = t == 1 ? auc[A[a], D[i]] : ap[A[a], D[i]]
				if (v == "" || v == "err") { printf " %s |", v == "" ? "-" : "error"; continue }
				mark = ""
				if (t == 1 && (A[a], D[i]) in ref) {
					has[a] = 1
					if (v + 0 >= ref[A[a], D[i]] - 0.02) met[a]++; else mark = "*"
				}
				printf " %.3f%s |", v, mark
				sum[a] += v; cnt[a]++
			}
			printf "\n"
		}
		printf "| **mean** |"; for (a = 1; a <= n; a++) printf " **%.3f** |", cnt[a] ? sum[a] / cnt[a] : 0; printf "\n"
		if (t == 1 && title == "development") {
			printf "| >= ADBench - 0.02 |"
			for (a = 1; a <= n; a++) if (has[a]) printf " %d/%d |", met[a], cnt[a]; else printf " - |"
			printf "\n"
		}
	}
	printf "\n%s: fit time (ms, includes calibration) and score time (ns/row, in the core)\n\n", title
	printf "| dataset | rows | dims |"; for (a = 1; a <= n; a++) printf " %s |", A[a]; printf "\n"
	printf "|---|---|---|"; for (a = 1; a <= n; a++) printf "---|"; printf "\n"
	for (i = 1; i <= nd; i++) {
		printf "| %s | %s | %s |", D[i], rows[D[i]], dims[D[i]]
		for (a = 1; a <= n; a++) printf " %s / %s |", fit[A[a], D[i]] == "" ? "-" : sprintf("%.0f", fit[A[a], D[i]]), sc[A[a], D[i]] == "" ? "-" : sc[A[a], D[i]]
		printf "\n"
	}
	printf "\n%sRaw output: %s\n", title == "development" ? "* below ADBench - 0.02.  " : "", dir
}'
}
table "$out/dev" development
table "$out/validation" validation
