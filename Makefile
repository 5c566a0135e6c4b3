# anomaly: PGXS build, tests and the README's two commands.

EXTENSION = anomaly
MODULE_big = anomaly

CORE_OBJS = src/core/an_core.o src/core/buckets.o src/core/bytes.o src/core/checksum.o \
	src/core/copod.o src/core/decimal.o src/core/detector.o src/core/drift.o src/core/ecdf.o src/core/ecod.o \
	src/core/ensemble.o src/core/explain.o src/core/fcforest.o src/core/fitstate.o src/core/hbos.o src/core/html.o src/core/iforest.o \
	src/core/knn.o src/core/linalg.o src/core/lof.o src/core/mahalanobis.o \
	src/core/metrics.o src/core/model.o src/core/neighbors.o src/core/ocsvm.o \
	src/core/order_stats.o src/core/params.o src/core/prng.o src/core/readable.o src/core/monitor_page.o src/core/report.o src/core/report_features.o \
	src/core/robust_scale.o src/core/row_sample.o src/core/sample.o src/core/segmented.o src/core/series.o \
	src/core/series_bytes.o src/core/series_season.o src/core/series_context.o src/core/series_sequence.o \
	src/core/zscore.o
GLUE_OBJS = src/anomaly.o src/options.o src/row_input.o src/numeric_cell.o src/row_map.o src/fit.o src/source.o \
	src/explain.o src/evaluate.o src/report.o src/monitor.o src/drift.o \
	src/model_cache.o src/model_name.o src/score.o src/bytea_models.o src/train.o src/sample_srf.o \
	src/segment_train.o src/segment_route.o src/deploy.o src/progress.o src/segment_scan.o src/segment_evaluate.o \
	src/value_text.o src/importance.o src/monitor_report.o \
	src/series_options.o src/series_point.o src/series_window.o src/series_state.o src/series_pending.o src/series_cache.o src/series_update.o src/series_clock.o src/series_monitor.o src/citus.o src/citus_names.o
OBJS = $(CORE_OBJS) $(GLUE_OBJS)

# The install script of 0.1.0 and the update scripts since: CREATE EXTENSION
# runs the same path as ALTER EXTENSION UPDATE, so a new install and an
# updated one are the same by construction.
DATA = src/anomaly--0.1.0.sql src/anomaly--0.1.0--0.2.0.sql src/anomaly--0.2.0--0.3.0.sql
EXTRA_CLEAN = $(patsubst %.c,%,$(wildcard test/unit/test_*.c)) \
	$(patsubst %.c,%.vg,$(wildcard test/unit/test_*.c)) test/fuzz/fuzz_model \
	test/fuzz/fuzz_state test/fuzz/fuzz_series test/fuzz/obj test/bench/detector_bench test/bench/neighbors_bench test/bench/segment_bench test/browser/example.html test/browser/monitor.html test/browser/out

REGRESS = setup sample fit fit_named citus_lookup train score detectors neighbors_approximate explain evaluate report monitor monitor_report drift permissions hostile errors bad_input corrupt parallel partitionwise segments lifecycle numeric_input series series_model series_update series_context series_range series_monitor series_time series_cache upgrade
REGRESS_OPTS = --inputdir=.

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src/core
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: every object depends on every header.
$(OBJS): $(wildcard src/*.h src/core/*.h)

CORE_SRCS = $(CORE_OBJS:.o=.c)

# Plain C unit tests of the core, without PostgreSQL: every test/unit/test_*.c.
UNIT_TESTS = $(patsubst %.c,%,$(wildcard test/unit/test_*.c))

test/unit/test_%: test/unit/test_%.c test/unit/*.h $(CORE_SRCS) src/core/*.h
	$(CC) -std=c99 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Wno-missing-field-initializers -Isrc/core \
		-fsanitize=address,undefined -fno-omit-frame-pointer \
		-o $@ $< $(CORE_SRCS) -lm

# Under ASan and UBSan, with LeakSanitizer on whatever ASAN_OPTIONS the caller exported.
unitcheck: $(UNIT_TESTS)
	@status=0; for t in $(UNIT_TESTS); do echo "$$t"; \
		ASAN_OPTIONS=detect_leaks=1 $$t || status=1; done; exit $$status

# The same unit tests built without sanitizers, run under valgrind memcheck
# (which cannot run ASan binaries); a definite leak is an error.
VALGRIND_TESTS = $(addsuffix .vg,$(UNIT_TESTS))

test/unit/test_%.vg: test/unit/test_%.c test/unit/*.h $(CORE_SRCS) src/core/*.h
	$(CC) -std=c99 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Wno-missing-field-initializers -Isrc/core \
		-o $@ $< $(CORE_SRCS) -lm

valgrindcheck: $(VALGRIND_TESTS)
	@status=0; for t in $(VALGRIND_TESTS); do echo "$$t"; \
		valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
		$$t || status=1; done; exit $$status

# TAP tests (test/t/*.pl, PostgreSQL::Test::Cluster) on PG_CONFIG's servers;
# TAP_TESTS picks some, PROVE_FLAGS=-v shows more.
tapcheck:
	PG_BIN=$(bindir) bash test/tap.sh

# The example report and monitoring page rendered in headless Chromium
# (installed when missing), their DOM checked for every section.
browsercheck: test/unit/test_report
	test/unit/test_report test/browser/example.html test/browser/monitor.html >/dev/null
	EXPECT="timeline confusion roc" bash test/browser/browser_test.sh \
		test/browser/example.html test/browser/out
	PAGE=monitor EXPECT="drift" bash test/browser/browser_test.sh \
		test/browser/monitor.html test/browser/out

# The README's screenshots of both pages, from a private server (docs/*.png).
screenshots:
	bash test/browser/screenshots.sh

# Accuracy and speed of one detector on the benchmark datasets.
test/bench/detector_bench: test/bench/detector_bench.c $(CORE_SRCS) src/core/*.h
	$(CC) -std=c99 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wno-missing-field-initializers -Isrc/core \
		-o $@ $< $(CORE_SRCS) -lm

# The k-d tree, lof and knn per row (test/bench/neighbors_sklearn.sh sets it beside scikit-learn).
test/bench/neighbors_bench: test/bench/neighbors_bench.c $(CORE_SRCS) src/core/*.h
	$(CC) -std=c99 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wno-missing-field-initializers -Isrc/core \
		-o $@ $< $(CORE_SRCS) -lm

# Training and serializing 1,000 segment models, as GROUP BY seg does.
test/bench/segment_bench: test/bench/segment_bench.c $(CORE_SRCS) src/core/*.h
	$(CC) -std=c99 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wno-missing-field-initializers -Isrc/core \
		-o $@ $< $(CORE_SRCS) -lm

# libFuzzer harnesses for the model reader and the aggregate state reader,
# linked with one instrumented build of the core.
FUZZ_CFLAGS = -std=c99 -D_GNU_SOURCE -O1 -g -Isrc/core \
	-fsanitize-coverage-ignorelist=test/fuzz/coverage_ignore.txt
FUZZ_CORE_OBJS = $(patsubst src/core/%.c,test/fuzz/obj/%.o,$(CORE_SRCS))

test/fuzz/obj/%.o: src/core/%.c src/core/*.h test/fuzz/coverage_ignore.txt
	@mkdir -p test/fuzz/obj
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

test/fuzz/fuzz_%: test/fuzz/fuzz_%.c test/fuzz/fuzz_arena.h $(FUZZ_CORE_OBJS)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_CORE_OBJS) -lm

fuzzcheck: test/fuzz/fuzz_model test/fuzz/fuzz_state test/fuzz/fuzz_series
	test/fuzz/run.sh

# pg_regress against an ASan and UBSan build of the extension, in a private
# copy of PostgreSQL whose server preloads the ASan runtime.
asancheck:
	bash test/asan/asan_regress.sh

# The README's fuzzing campaign: ten million runs of each harness, one core, niced.
fuzzlong: test/fuzz/fuzz_model test/fuzz/fuzz_state test/fuzz/fuzz_series
	FUZZ_RUNS=10000000 nice -n 19 test/fuzz/run.sh

# pg_regress, TAP and pg_cron on PostgreSQL 17 and 18 in cached Debian roots,
# and models dumped and restored across majors.
matrixcheck:
	bash test/matrix/matrix.sh

# The README's two commands.
demo:
	bash test/demo.sh

test:
	bash test/run_all.sh

.PHONY: unitcheck valgrindcheck asancheck tapcheck matrixcheck browsercheck screenshots fuzzcheck fuzzlong demo test
