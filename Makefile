# anomaly: PGXS build, tests and the README's two commands.

EXTENSION = anomaly
EXTVERSION = 0.1.0
MODULE_big = anomaly

CORE_OBJS = src/core/an_core.o src/core/bytes.o src/core/checksum.o \
	src/core/copod.o src/core/detector.o src/core/drift.o src/core/ecdf.o src/core/ecod.o \
	src/core/ensemble.o src/core/explain.o src/core/fitstate.o src/core/hbos.o src/core/iforest.o \
	src/core/knn.o src/core/linalg.o src/core/lof.o src/core/mahalanobis.o \
	src/core/metrics.o src/core/model.o src/core/neighbors.o src/core/ocsvm.o \
	src/core/order_stats.o src/core/params.o src/core/prng.o src/core/report.o \
	src/core/robust_scale.o src/core/sample.o src/core/zscore.o
GLUE_OBJS = src/anomaly.o src/options.o src/row_input.o src/row_map.o src/fit.o src/source.o \
	src/explain.o src/evaluate.o src/report.o src/monitor.o src/drift.o \
	src/model_cache.o src/score.o src/train.o src/sample_srf.o
OBJS = $(CORE_OBJS) $(GLUE_OBJS)

DATA_built = anomaly--$(EXTVERSION).sql
EXTRA_CLEAN = $(patsubst %.c,%,$(wildcard test/unit/test_*.c)) test/fuzz/fuzz_model \
	test/fuzz/fuzz_state test/fuzz/obj test/bench/detector_bench test/bench/segment_bench test/browser/example.html test/browser/out

REGRESS = setup sample fit train score detectors explain evaluate report monitor drift errors corrupt parallel partitionwise
REGRESS_OPTS = --inputdir=.

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src/core
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: every object depends on every header.
$(OBJS): $(wildcard src/*.h src/core/*.h)

anomaly--$(EXTVERSION).sql: src/anomaly.sql
	cp $< $@

CORE_SRCS = $(CORE_OBJS:.o=.c)

# Plain C unit tests of the core, without PostgreSQL: every test/unit/test_*.c.
UNIT_TESTS = $(patsubst %.c,%,$(wildcard test/unit/test_*.c))

test/unit/test_%: test/unit/test_%.c test/unit/harness.h $(CORE_SRCS) src/core/*.h
	$(CC) -std=c99 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Wno-missing-field-initializers -Isrc/core \
		-fsanitize=address,undefined -fno-omit-frame-pointer \
		-o $@ $< $(CORE_SRCS) -lm

unitcheck: $(UNIT_TESTS)
	@status=0; for t in $(UNIT_TESTS); do echo "$$t"; $$t || status=1; done; exit $$status

# The example report rendered in headless Chromium (installed when missing).
browsercheck: test/unit/test_report
	test/unit/test_report test/browser/example.html >/dev/null
	EXPECT="timeline confusion roc" bash test/browser/browser_test.sh \
		test/browser/example.html test/browser/out

# Accuracy and speed of one detector on the benchmark datasets.
test/bench/detector_bench: test/bench/detector_bench.c $(CORE_SRCS) src/core/*.h
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

fuzzcheck: test/fuzz/fuzz_model test/fuzz/fuzz_state
	test/fuzz/run.sh

# The README's fuzzing campaign: ten million runs of each harness, one core, niced.
fuzzlong: test/fuzz/fuzz_model test/fuzz/fuzz_state
	FUZZ_RUNS=10000000 nice -n 19 test/fuzz/run.sh

# The README's two commands.
demo:
	bash test/demo.sh

test:
	bash test/run_all.sh

.PHONY: unitcheck browsercheck fuzzcheck fuzzlong demo test
