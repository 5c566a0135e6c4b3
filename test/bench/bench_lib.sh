# test/bench/bench_lib.sh - what the SQL benchmarks share: the median time of
# repeated runs of a statement in one session, and ratios.  Source it after
# test/lib.sh has started a cluster; R is the number of timed runs and SERIAL
# the settings each session starts with.

# timed LABEL SQL: the median (ms) of R timed runs of SQL after one warm-up.
timed() {
    local script="$SERIAL"$'\n\\o /dev/null\n' i
    for ((i = 0; i <= R; i++)); do
        ((i > 0)) && script+='\timing on'$'\n'
        script+="$2"$'\n'
        ((i > 0)) && script+='\timing off'$'\n'
    done
    psql_q <<<"$script" | awk '/^Time: /{ print $2 }' | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.1f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# median_ms: the median of the figures on stdin (microseconds, one a line), in ms.
median_ms() {
    sort -g | awk '{ v[NR] = $1 / 1000 } END { printf "%.1f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B: A / B with two decimals.
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
