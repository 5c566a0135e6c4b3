/*
 * univariate_bench.c - speed of score() of the per-feature detectors (hbos
 * with static and dynamic bins, ecod, copod) on 100000 rows of 8 features.
 *
 * The rows are standard normal deviates from a fixed seed, with one feature
 * in eight replaced by a small integer (a discrete feature, as often found
 * in tables); each detector is fitted on them with its default options and
 * then scores 100000 fresh rows from the same distribution.  Prints, per
 * detector, the median over 5 repeats of the nanoseconds per scored row.
 *
 * Build (it needs only these sources, not the whole registry):
 *   cc -std=c99 -D_GNU_SOURCE -O2 -Isrc/core -o test/bench/univariate_bench \
 *      test/bench/univariate_bench.c src/core/an_core.c src/core/bytes.c \
 *      src/core/params.c src/core/prng.c src/core/ecdf.c src/core/hbos.c \
 *      src/core/ecod.c src/core/copod.c -lm
 */
#include "detector.h"
#include "prng.h"
#include "bench_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROWS 100000
#define FEATURES 8
#define REPEATS 5

/* Seconds of this thread's CPU time (other load on the machine is not counted). */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* Fill rows x FEATURES values: normal deviates, the last feature discrete. */
static void
make_rows(double *X, size_t rows, uint64_t seed)
{
	an_prng		rng;

	an_prng_seed(&rng, seed);
	for (size_t i = 0; i < rows; i++)
		for (size_t j = 0; j < FEATURES; j++)
			X[i * FEATURES + j] = j == FEATURES - 1
				? (double) an_prng_below(&rng, 12) : an_prng_normal(&rng);
}

/* qsort order of doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Fit ops (with option name set to word, if given) and time its scores. */
static void
bench(const char *label, const an_detector_ops *ops, const char *option,
	  const char *word, const double *train, const double *test)
{
	an_ctx		ctx;
	an_params	p;
	void	   *model;
	double		times[REPEATS];
	double		sink = 0.0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.alloc = bench_alloc;
	an_params_defaults(&p, ops);
	if ((option && an_params_set_word(&ctx, &p, ops, option, word) != AN_OK) ||
		ops->fit(&ctx, &p, train, ROWS, FEATURES, &model) != AN_OK)
	{
		fprintf(stderr, "univariate_bench: %s: %s\n", label, ctx.message);
		exit(1);
	}
	for (int r = 0; r < REPEATS; r++)
	{
		double		start = now();

		for (size_t i = 0; i < ROWS; i++)
			sink += ops->score(model, test + i * FEATURES);
		times[r] = (now() - start) * 1e9 / ROWS;
	}
	qsort(times, REPEATS, sizeof(double), cmp_double);
	printf("%-14s %8.1f ns/row  (checksum %.6g)\n", label, times[REPEATS / 2], sink);
}

int
main(void)
{
	double	   *train = malloc(sizeof(double) * ROWS * FEATURES);
	double	   *test = malloc(sizeof(double) * ROWS * FEATURES);

	if (train == NULL || test == NULL)
		return 2;
	make_rows(train, ROWS, 20240601);
	make_rows(test, ROWS, 20240602);
	printf("score() of %d rows x %d features, median of %d repeats\n",
		   ROWS, FEATURES, REPEATS);
	bench("hbos static", &an_hbos_ops, NULL, NULL, train, test);
	bench("hbos dynamic", &an_hbos_ops, "bins", "dynamic", train, test);
	bench("ecod", &an_ecod_ops, NULL, NULL, train, test);
	bench("copod", &an_copod_ops, NULL, NULL, train, test);
	free(train);
	free(test);
	return 0;
}
