#!/usr/bin/env bash
# run.sh - run each libFuzzer harness over a copy of the seed corpus.  Used
# by `make fuzzcheck` (the short run of the test command) and `make fuzzlong`
# (the ten-million-run campaign), which build the harnesses first.
#
# By default each harness makes a fixed number of runs from a fixed random
# seed, so the result is the same on every machine and CI is repeatable.
# Exploring for new bugs is a longer, random run: set FUZZ_SECONDS.
#
#   FUZZ_RUNS      runs per harness in the repeatable mode (default 300000)
#   FUZZ_SECONDS   instead run each harness this long from a random seed
#   FUZZ_ONLY      model, state or series: run that harness alone
#   FUZZ_CORPUS    keep the corpora in this directory (DIR/model, DIR/state,
#                  seeded when new) instead of a temporary copy, so that a
#                  long campaign can be resumed and its corpus kept
#   FUZZ_KEEP=1    keep the temporary corpus directories
#
# Exits non-zero if any harness finds a crash, a leak, a timeout or an
# out-of-memory; the reproducer is kept and its path printed.  The seeds in
# seeds/ are made by `test/unit/test_core --seeds test/fuzz/seeds`.
set -u
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

here=$(cd "$(dirname "$0")" && pwd)
runs=${FUZZ_RUNS:-300000}
seconds=${FUZZ_SECONDS:-}
only=${FUZZ_ONLY:-model state series}
case $runs$seconds in
	'' | *[!0-9]*) echo "run.sh: FUZZ_RUNS and FUZZ_SECONDS must be whole numbers" >&2; exit 2 ;;
esac
case $only in
	model | state | series | "model state" | "model state series") ;;
	*) echo "run.sh: FUZZ_ONLY must be model, state or series" >&2; exit 2 ;;
esac
if [ -n "$seconds" ]; then
	budget=(-max_total_time="$seconds")
	what="${seconds}s, random seed"
else
	budget=(-runs="$runs" -seed=1)
	what="$runs runs, seed 1"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/anomaly-fuzz.XXXXXX")
status=0
keep=${FUZZ_KEEP:-0}

for name in $only; do
	bin=$here/fuzz_$name
	# a harness older than the core would fuzz the old reader: build it first
	if ! make -s -C "$here/../.." "test/fuzz/fuzz_$name" >/dev/null || [ ! -x "$bin" ]; then
		echo "fuzz_$name: could not be built (run make fuzzcheck)"
		status=1
		continue
	fi
	corpus=${FUZZ_CORPUS:+$FUZZ_CORPUS/$name}
	corpus=${corpus:-$work/corpus-$name}
	artifacts=$work/artifacts-$name
	log=$work/fuzz_$name.log
	mkdir -p "$corpus" "$artifacts"
	cp -n "$here/seeds/$name"/* "$corpus"/ 2>/dev/null
	seeds=$(ls "$corpus" | wc -l)

	started=$(date +%s)
	"$bin" "$corpus" \
		"${budget[@]}" -max_len=131072 -rss_limit_mb=2048 \
		-timeout=25 -print_final_stats=1 \
		-artifact_prefix="$artifacts/" >"$log" 2>&1
	rc=$?
	elapsed=$(($(date +%s) - started))

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(ls "$corpus" | wc -l)
	crashes=$(ls "$artifacts" | wc -l)

	ubsan=$(grep -c 'runtime error:' "$log")
	if [ $rc -eq 0 ] && [ "$crashes" -eq 0 ] && [ "$ubsan" -eq 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc)"
		status=1
		keep=1
	fi
	printf 'fuzz_%s: %s (%s): %s execs in %s s, %s exec/s, cov %s, ft %s, corpus %s -> %s, peak rss %s MB\n' \
		"$name" "$result" "$what" "${execs:-?}" "$elapsed" "${speed:-?}" "${cov:-?}" "${ft:-?}" \
		"$seeds" "$corp" "${rss:-?}"
	if [ "$result" != ok ]; then
		grep -E 'ERROR|SUMMARY|runtime error|^    #[0-9] |Test unit written' "$log" | head -20 | sed 's/^/    /'
		for a in "$artifacts"/*; do
			[ -e "$a" ] && echo "    reproducer: $a (run: $bin $a)"
		done
		echo "    log: $log"
	fi
done

if [ "$keep" = 1 ]; then
	echo "run.sh: kept $work"
else
	rm -rf "$work"
fi
exit $status
