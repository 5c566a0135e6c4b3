#!/usr/bin/env bash
# test/bench/nab_bench.sh - the Numenta Anomaly Benchmark (NAB) on
# anomaly_ts_score: loads every NAB data file into PostgreSQL, scores all of
# them in ONE statement (the default anomaly_ts_score partitioned by file;
# the only option is NAB's learning period, its probationary period: the
# first 15 % of each file, at most 750 points, as NAB's getProbationPeriod
# (nab/util.py) has it),
# writes the scores in NAB's results format and runs NAB's own scorer, which
# prints the standard, reward_low_FP_rate and reward_low_FN_rate scores
# (null detector 0, perfect 100).  NAB_OPTIONS (a jsonb object, default {})
# is merged into the options of every file, the same for all of them, e.g.
# NAB_OPTIONS='{"method": "context"}'; NAB_TIMED=1 gives the rows' times too (for
# the "gap" rule).  NAB_RANGE=1 passes each file's minimum and maximum as the
# option "range" (methods auto and context), exactly what NAB's harness gives
# every detector (inputMin and inputMax in nab/detectors/base.py); not
# causal, so off by default.  A constant file (art_flatline) has no range to
# give (min = max): it learns one, a level a unit from its value, as CAD does.  NAB is looked for beside the repository
# (../shared/nab) unless NAB_DIR names it.  A benchmark, not a test.
#
#   bash test/bench/nab_bench.sh
#   NAB_OPTIONS='{"method": "context"}' bash test/bench/nab_bench.sh
#   NAB_TIMED=1 NAB_OPTIONS='{"gap": "fill"}' bash test/bench/nab_bench.sh
#   NAB_RANGE=1 NAB_OPTIONS='{"method": "context"}' bash test/bench/nab_bench.sh
#   NAB_HALVES=1 bash test/bench/nab_bench.sh     # and each half of the files apart
source "$(dirname "$0")/../lib.sh"

NAB=${NAB_DIR:-$REPO/../shared/nab}
NAME=${NAB_NAME:-anomaly}
[ -x "$NAB/score.sh" ] || { echo "NAB not found at $NAB (set NAB_DIR)" >&2; exit 1; }
NAB=$(cd "$NAB" && pwd)

# NAB's scorer runs on the system python3 with pandas and simplejson
ensure_packages python3-pandas python3-simplejson
PG_BIN=$(private_tree "$DEV_TREE")
build_install
start_cluster
work=$(mktemp -d)
trap 'rm -rf "$work"; stop_cluster' EXIT
chmod 777 "$work"

step "loading NAB's data files"
files=$(cd "$NAB/data" && find . -name '*.csv' | sed 's|^\./||' | sort)
{
    echo "SET client_min_messages = warning;"
    echo "DROP EXTENSION IF EXISTS anomaly CASCADE; CREATE EXTENSION anomaly;"
    echo "DROP TABLE IF EXISTS nab, nab_raw;"
    echo "CREATE TABLE nab (file text, ord int, ts text, value float8);"
    echo "CREATE TABLE nab_raw (id bigserial, ts text, value float8);"
    for f in $files; do
        echo "\\copy nab_raw (ts, value) FROM '$NAB/data/$f' CSV HEADER"
        echo "INSERT INTO nab SELECT '$f', row_number() OVER (ORDER BY id), ts, value FROM nab_raw;"
        echo "TRUNCATE nab_raw;"
    done
} | psql_q
psql_q -At -c "SELECT count(DISTINCT file) || ' files, ' || count(*) || ' rows' FROM nab"

step "scoring every file in one statement"
OPTIONS=${NAB_OPTIONS:-\{\}}
# NAB_TIMED=1 passes the rows' times too (for the "gap" option)
if [ "${NAB_TIMED:-0}" = 1 ]; then TIMES="ts::timestamptz, "; else TIMES=""; fi
# NAB_RANGE=1 adds each file's range as NAB's harness gives it
GIVEN=false; NOTE=""
if [ "${NAB_RANGE:-0}" = 1 ]; then GIVEN=true; NOTE=", with each file's range as \"range\""; fi
echo "options: $OPTIONS (and the learning period)${TIMES:+, with the times of the rows}$NOTE"
psql_q -v opts="$OPTIONS" -v times="$TIMES" -v given="$GIVEN" <<'SQL'
\timing on
CREATE TABLE nab_scores AS
  SELECT file, ord, ts, value,
         anomaly_ts_score(:times value, :'opts'::jsonb
                          || jsonb_build_object('learning', greatest(1, least(floor(0.15 * n), 750)::int))
                          || CASE WHEN :given AND hi > lo
                                  THEN jsonb_build_object('range', jsonb_build_array(lo, hi))
                                  ELSE '{}' END)
           OVER (PARTITION BY file ORDER BY ord) AS score
    FROM (SELECT *, count(*) OVER w AS n, min(value) OVER w AS lo, max(value) OVER w AS hi
            FROM nab WINDOW w AS (PARTITION BY file)) t;
SQL

step "writing NAB results and scoring them"
for f in $files; do
    dir=$work/results/$NAME/$(dirname "$f")
    mkdir -p "$dir"; chmod 777 "$dir"
    echo "\\copy (SELECT ts AS timestamp, value, coalesce(score, 0) AS anomaly_score, 0 AS label FROM nab_scores WHERE file = '$f' ORDER BY ord) TO '$dir/${NAME}_$(basename "$f")' CSV HEADER"
done | psql_q
"$NAB/score.sh" "$work/results" "$NAME"
# NAB_HALVES=1 also scores two halves of NAB's files apart, a check that a gain is not one
# half's: within each category, sorted by name, half A takes the 1st, 3rd, ... file, half B the
# 2nd, 4th, ...; each half is a corpus of its own for NAB's scorer (its labels, its null
# detector's baseline, the threshold optimized on it alone)
if [ "${NAB_HALVES:-0}" = 1 ]; then
    for half in A B; do
        h=$work/half$half
        mkdir -p "$h/labels" "$h/results/null" "$h/data" "$h/scored/$NAME"
        cp -r "$NAB/nab" "$NAB/config" "$NAB/score.sh" "$h/"
        /usr/bin/python3 - "$NAB" "$h" "$half" "$work/results/$NAME" "$NAME" <<'PY'
import csv, json, os, sys
nab, h, half, results, name = sys.argv[1:]
files = sorted(os.path.join(c, f) for c in os.listdir(nab + "/data")
               if os.path.isdir(os.path.join(nab, "data", c))
               for f in os.listdir(os.path.join(nab, "data", c)) if f.endswith(".csv"))
by_category = {}
for f in files:
    by_category.setdefault(os.path.dirname(f), []).append(f)
mine = [f for c in sorted(by_category) for i, f in enumerate(by_category[c]) if i % 2 == "AB".index(half)]
for labels in ("combined_windows.json", "combined_labels.json"):
    whole = json.load(open(os.path.join(nab, "labels", labels)))
    json.dump({f: whole[f] for f in mine}, open(os.path.join(h, "labels", labels), "w"))
for f in mine:
    os.makedirs(os.path.join(h, "data", os.path.dirname(f)), exist_ok=True)
    os.symlink(os.path.join(nab, "data", f), os.path.join(h, "data", f))
    out = os.path.join(h, "scored", name, os.path.dirname(f))
    os.makedirs(out, exist_ok=True)
    base = name + "_" + os.path.basename(f)
    os.symlink(os.path.join(results, os.path.dirname(f), base), os.path.join(out, base))
for profile in ("standard", "reward_low_FP_rate", "reward_low_FN_rate"):
    rows = list(csv.reader(open(os.path.join(nab, "results", "null", "null_%s_scores.csv" % profile))))
    body = [r for r in rows[1:] if r[2] in mine]
    total = rows[-1][:4] + [repr(sum(float(r[k]) for r in body)) for k in range(4, 10)]
    with open(os.path.join(h, "results", "null", "null_%s_scores.csv" % profile), "w", newline="") as o:
        csv.writer(o).writerows([rows[0]] + body + [total])
print("half %s: %d files" % (half, len(mine)))
PY
        "$h/score.sh" "$h/scored" "$NAME"
    done
fi
# NAB_KEEP=DIR keeps a copy of the results (DIR/NAME/...), e.g. to combine runs
if [ -n "${NAB_KEEP:-}" ]; then mkdir -p "$NAB_KEEP" && cp -r "$work/results/$NAME" "$NAB_KEEP/"; fi
