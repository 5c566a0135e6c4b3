# anomaly: PGXS build, tests and the README's two commands.

EXTENSION = anomaly
EXTVERSION = 0.1.0
MODULE_big = anomaly

CORE_OBJS = src/core/an_core.o src/core/bytes.o src/core/checksum.o \
	src/core/detector.o src/core/fitstate.o src/core/iforest.o \
	src/core/metrics.o src/core/model.o src/core/params.o src/core/prng.o \
	src/core/sample.o
GLUE_OBJS = src/anomaly.o src/options.o src/row_input.o src/fit.o \
	src/model_cache.o src/score.o src/train.o src/sample_srf.o
OBJS = $(CORE_OBJS) $(GLUE_OBJS)

DATA_built = anomaly--$(EXTVERSION).sql
EXTRA_CLEAN = test/unit/test_core test/fuzz/fuzz_model test/fuzz/fuzz_state

REGRESS = setup sample fit train score errors corrupt parallel
REGRESS_OPTS = --inputdir=.

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src/core
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

anomaly--$(EXTVERSION).sql: src/anomaly.sql
	cp $< $@

CORE_SRCS = $(CORE_OBJS:.o=.c)

# Plain C unit tests of the core, without PostgreSQL.
test/unit/test_core: test/unit/test_core.c $(CORE_SRCS) src/core/*.h
	$(CC) -std=c99 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Isrc/core \
		-fsanitize=address,undefined -fno-omit-frame-pointer \
		-o $@ test/unit/test_core.c $(CORE_SRCS) -lm

unitcheck: test/unit/test_core
	test/unit/test_core

# libFuzzer harnesses for the model reader and the aggregate state reader.
test/fuzz/fuzz_%: test/fuzz/fuzz_%.c test/fuzz/fuzz_arena.h $(CORE_SRCS) src/core/*.h
	clang -std=c99 -D_GNU_SOURCE -O1 -g -Isrc/core \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(CORE_SRCS) -lm

fuzzcheck: test/fuzz/fuzz_model test/fuzz/fuzz_state
	test/fuzz/run.sh

# The README's two commands.
demo:
	bash test/demo.sh

test:
	bash test/run_all.sh

.PHONY: unitcheck fuzzcheck demo test
