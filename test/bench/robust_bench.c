/*
 * robust_bench.c - how fast the robust-statistics detectors score: ns per
 * row of score() alone for zscore (both combine rules) and mahalanobis on
 * 100,000 rows of 8 features (fixed seed: correlated gaussian rows, 1% of
 * them shifted), the median of 5 repeats; fit times are printed too.
 *
 * Build and run from the repository root, with the sources of every object
 * in the Makefile's CORE_OBJS:
 *   cc -std=c99 -D_GNU_SOURCE -O2 -Isrc/core -o /tmp/robust_bench \
 *      test/bench/robust_bench.c CORE_SOURCES -lm && /tmp/robust_bench
 */
#include "an_core.h"
#include "detector.h"
#include "params.h"
#include "prng.h"
#include "bench_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROWS 100000
#define DIMS 8
#define REPEATS 5

/* Seconds on a monotonic clock. */
static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) t.tv_sec + (double) t.tv_nsec * 1e-9;
}

/* Compare doubles for qsort. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Fit ops with combine word (or none) on X and print fit and score times. */
static void
bench(const an_detector_ops *ops, const char *combine, const double *X)
{
	an_ctx		ctx;
	an_params	p;
	void	   *model;
	double		t0,
				fit_ms,
				ns[REPEATS],
				sink = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.alloc = bench_alloc;
	an_params_defaults(&p, ops);
	if (combine && an_params_set_word(&ctx, &p, ops, "combine", combine) != AN_OK)
	{
		fprintf(stderr, "robust_bench: %s\n", ctx.message);
		exit(2);
	}
	t0 = now();
	if (ops->fit(&ctx, &p, X, ROWS, DIMS, &model) != AN_OK)
	{
		fprintf(stderr, "robust_bench: %s: %s\n", ops->name, ctx.message);
		exit(2);
	}
	fit_ms = (now() - t0) * 1e3;
	for (int rep = 0; rep < REPEATS; rep++)
	{
		t0 = now();
		for (size_t i = 0; i < ROWS; i++)
			sink += ops->score(model, X + i * DIMS);
		ns[rep] = (now() - t0) * 1e9 / ROWS;
	}
	qsort(ns, REPEATS, sizeof(double), cmp_double);
	printf("%-12s %-8s fit %8.1f ms   score %6.1f ns/row (median of %d; checksum %.6g)\n",
		   ops->name, combine ? combine : "", fit_ms, ns[REPEATS / 2], REPEATS, sink);
}

int
main(void)
{
	double	   *X = malloc(sizeof(double) * ROWS * DIMS);
	an_prng		r;

	if (X == NULL)
		return 2;
	an_prng_seed(&r, 20240601);
	for (size_t i = 0; i < ROWS; i++)
	{
		double		common = an_prng_normal(&r);

		for (int j = 0; j < DIMS; j++)
			X[i * DIMS + j] = 10.0 * j + common + an_prng_normal(&r) +
				(i % 100 == 0 ? 6.0 : 0.0);
	}
	printf("%d rows x %d features\n", ROWS, DIMS);
	bench(&an_zscore_ops, "sum", X);
	bench(&an_zscore_ops, "max", X);
	bench(&an_mahalanobis_ops, NULL, X);
	free(X);
	return 0;
}
