/*
 * neighbors_bench.c - speed of the exact k-d tree against brute force.
 *
 * Generates N reference rows of D features from a fixed-seed mixture of
 * gaussians (clusters of different spreads, a few correlated features),
 * fits lof and knn with k = K, and times, over Q fresh queries from the
 * same mixture plus 1% uniform outliers, the k-NN search by the tree and by
 * brute force and the full lof and knn scores.  Prints processor
 * microseconds per row, median of 5 repeats, and the brute / tree ratio;
 * checks both give the same neighbours.  With a fifth argument DIR it also
 * writes the rows to DIR/reference.csv and DIR/queries.csv, for
 * test/bench/neighbors_sklearn.sh to time scikit-learn on the same rows.
 *
 * A sixth argument lists values of eps, comma-separated (default
 * 0.25,0.5,1,2; "-" for none): for each, lof and knn are fitted with option
 * "approximate" = eps and timed in the same repeats, beside the
 * (1 + eps)-approximate search alone, whose recall is printed: the fraction
 * of the true k neighbours it returns and the mean ratio of its k-th
 * distance to the true one, over the queries.
 *
 * Build: make test/bench/neighbors_bench
 * Usage: neighbors_bench [N [D [K [Q [DIR [EPS,...]]]]]]   (default 100000 8 20 10000)
 */
#include "an_core.h"
#include "detector.h"
#include "neighbors.h"
#include "params.h"
#include "prng.h"
#include "bench_alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPEATS 5
#define MAX_EPS_VALUES 8
#define CLUSTERS 6

/* Fill one row from the mixture: a random cluster, then a gaussian around it. */
static void
mixture_row(an_prng *rng, const double *centers, const double *spreads,
			size_t d, double *row)
{
	size_t		c = (size_t) an_prng_below(rng, CLUSTERS);

	for (size_t j = 0; j < d; j++)
		row[j] = centers[c * d + j] + spreads[c] * an_prng_normal(rng);
	/* correlate the second feature with the first */
	if (d > 1)
		row[1] += 0.8 * (row[0] - centers[c * d]);
}

/* qsort comparator for doubles, ascending. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Write n rows of d values to path as CSV; exits on failure. */
static void
write_csv(const char *path, const double *X, size_t n, size_t d)
{
	FILE	   *f = fopen(path, "w");

	if (f == NULL)
	{
		fprintf(stderr, "neighbors_bench: cannot write %s\n", path);
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++)
			fprintf(f, "%.17g%c", X[i * d + j], j + 1 < d ? ',' : '\n');
	fclose(f);
}

/* Median of REPEATS timings. */
static double
median_of(double *t)
{
	qsort(t, REPEATS, sizeof(double), cmp_double);
	return t[REPEATS / 2];
}

/* Fit ops with k and option approximate = eps; exits on failure. */
static void *
fit_detector(an_ctx *ctx, const an_detector_ops *ops, const double *X,
			 size_t n, size_t d, uint32_t k, double eps)
{
	an_params	p;
	void	   *model;

	an_params_defaults(&p, ops);
	if (an_params_set(ctx, &p, ops, "k", k) != AN_OK ||
		an_params_set(ctx, &p, ops, "approximate", eps) != AN_OK ||
		ops->fit(ctx, &p, X, n, d, &model) != AN_OK)
	{
		fprintf(stderr, "fit failed: %s (%s)\n", ctx->message, ctx->hint);
		exit(1);
	}
	return model;
}

/* Parse a comma-separated list of eps values into eps; returns the count. */
static int
parse_eps(const char *list, double *eps)
{
	int			count = 0;
	char	   *end;

	if (strcmp(list, "-") == 0)
		return 0;
	while (*list && count < MAX_EPS_VALUES)
	{
		eps[count] = strtod(list, &end);
		if (end == list || !(eps[count] >= 0 && eps[count] <= AN_NN_MAX_EPS))
		{
			fprintf(stderr, "neighbors_bench: bad eps list at \"%s\"\n", list);
			exit(2);
		}
		count++;
		list = *end == ',' ? end + 1 : end;
	}
	return count;
}

/*
 * Recall of the eps-approximate search against the exact one over the nq
 * scaled queries: the mean fraction of the true k neighbours returned, and
 * the mean ratio of the returned k-th distance to the true k-th.
 */
static void
measure_recall(const an_nn_index *ix, const double *scaled, size_t nq,
			   uint32_t k, double eps, an_nn_hit *exact, an_nn_hit *approx,
			   double *recall, double *ratio)
{
	double		found = 0,
				ratios = 0;
	size_t		d = ix->d;

	for (size_t i = 0; i < nq; i++)
	{
		an_nn_search(ix, scaled + i * d, k, ix->n, exact);
		an_nn_search_approx(ix, scaled + i * d, k, ix->n, eps, approx);
		for (uint32_t a = 0; a < k; a++)
			for (uint32_t b = 0; b < k; b++)
				if (approx[a].pos == exact[b].pos)
				{
					found++;
					break;
				}
		ratios += exact[k - 1].dist2 > 0 ?
			sqrt(approx[k - 1].dist2 / exact[k - 1].dist2) : 1.0;
	}
	*recall = found / ((double) nq * k);
	*ratio = ratios / (double) nq;
}

int
main(int argc, char **argv)
{
	size_t		n = argc > 1 ? (size_t) atol(argv[1]) : 100000;
	size_t		d = argc > 2 ? (size_t) atol(argv[2]) : 8;
	uint32_t	k = argc > 3 ? (uint32_t) atol(argv[3]) : 20;
	size_t		nq = argc > 4 ? (size_t) atol(argv[4]) : 10000;
	const char *dir = argc > 5 && strcmp(argv[5], "-") != 0 ? argv[5] : NULL;
	double		eps[MAX_EPS_VALUES];
	int			n_eps;
	an_ctx		ctx = {bench_alloc, NULL, NULL, NULL, "", ""};
	an_prng		rng;
	double	   *X = bench_alloc(NULL, sizeof(double) * n * d);
	double	   *Q = bench_alloc(NULL, sizeof(double) * nq * d);
	double	   *scaled = bench_alloc(NULL, sizeof(double) * nq * d);
	double		centers[CLUSTERS * 64];
	double		spreads[CLUSTERS];
	an_nn_hit  *hits = bench_alloc(NULL, sizeof(an_nn_hit) * k);
	an_nn_hit  *hits2 = bench_alloc(NULL, sizeof(an_nn_hit) * k);
	double		t_tree[REPEATS],
				t_brute[REPEATS],
				t_lof[REPEATS],
				t_knn[REPEATS];
	double		t_approx[MAX_EPS_VALUES][REPEATS],
				t_lof_approx[MAX_EPS_VALUES][REPEATS],
				t_knn_approx[MAX_EPS_VALUES][REPEATS];
	void	   *lof_approx[MAX_EPS_VALUES],
			   *knn_approx[MAX_EPS_VALUES];
	double		sink = 0,
				t0;
	void	   *model,
			   *knn_model;
	const an_nn_index *ix;
	size_t		mismatches = 0;

	if (n < 2 || d < 1 || d > 64 || k < 1 || k >= n || k > AN_NN_MAX_K || nq < 1)
	{
		fprintf(stderr, "usage: neighbors_bench [N [D(1-64) [K [Q [DIR [EPS,...]]]]]]\n");
		return 2;
	}
	n_eps = parse_eps(argc > 6 ? argv[6] : "0.25,0.5,1,2", eps);
	an_prng_seed(&rng, 20240601);
	for (size_t c = 0; c < CLUSTERS; c++)
	{
		for (size_t j = 0; j < d; j++)
			centers[c * d + j] = 10.0 * an_prng_uniform(&rng);
		spreads[c] = 0.3 + 1.5 * an_prng_uniform(&rng);
	}
	for (size_t i = 0; i < n; i++)
		mixture_row(&rng, centers, spreads, d, X + i * d);
	for (size_t i = 0; i < nq; i++)
	{
		if (i % 100 == 0)
			for (size_t j = 0; j < d; j++)
				Q[i * d + j] = -5.0 + 20.0 * an_prng_uniform(&rng);
		else
			mixture_row(&rng, centers, spreads, d, Q + i * d);
	}

	if (dir != NULL)
	{
		char		path[4096];

		snprintf(path, sizeof(path), "%s/reference.csv", dir);
		write_csv(path, X, n, d);
		snprintf(path, sizeof(path), "%s/queries.csv", dir);
		write_csv(path, Q, nq, d);
	}
	t0 = cpu_seconds();
	model = fit_detector(&ctx, &an_lof_ops, X, n, d, k, 0);
	printf("reference %zu x %zu, k = %u, %zu queries; lof fit %.2f s\n",
		   n, d, k, nq, cpu_seconds() - t0);
	knn_model = fit_detector(&ctx, &an_knn_ops, X, n, d, k, 0);
	for (int e = 0; e < n_eps; e++)
	{
		lof_approx[e] = fit_detector(&ctx, &an_lof_ops, X, n, d, k, eps[e]);
		knn_approx[e] = fit_detector(&ctx, &an_knn_ops, X, n, d, k, eps[e]);
	}
	/* the same deterministic index the lof model holds */
	ix = an_nn_build(&ctx, X, n, d, AN_NN_SCALE_ROBUST);
	for (size_t i = 0; i < nq; i++)
		an_nn_scale(ix, Q + i * d, scaled + i * d);

	for (int r = 0; r < REPEATS; r++)
	{
		t0 = cpu_seconds();
		for (size_t i = 0; i < nq; i++)
		{
			an_nn_search(ix, scaled + i * d, k, ix->n, hits);
			sink += hits[k - 1].dist2;
		}
		t_tree[r] = (cpu_seconds() - t0) / nq * 1e6;
		t0 = cpu_seconds();
		for (size_t i = 0; i < nq; i++)
			sink += an_lof_ops.score(model, Q + i * d);
		t_lof[r] = (cpu_seconds() - t0) / nq * 1e6;
		t0 = cpu_seconds();
		for (size_t i = 0; i < nq; i++)
			sink += an_knn_ops.score(knn_model, Q + i * d);
		t_knn[r] = (cpu_seconds() - t0) / nq * 1e6;
		for (int e = 0; e < n_eps; e++)
		{
			t0 = cpu_seconds();
			for (size_t i = 0; i < nq; i++)
			{
				an_nn_search_approx(ix, scaled + i * d, k, ix->n, eps[e], hits);
				sink += hits[k - 1].dist2;
			}
			t_approx[e][r] = (cpu_seconds() - t0) / nq * 1e6;
			t0 = cpu_seconds();
			for (size_t i = 0; i < nq; i++)
				sink += an_lof_ops.score(lof_approx[e], Q + i * d);
			t_lof_approx[e][r] = (cpu_seconds() - t0) / nq * 1e6;
			t0 = cpu_seconds();
			for (size_t i = 0; i < nq; i++)
				sink += an_knn_ops.score(knn_approx[e], Q + i * d);
			t_knn_approx[e][r] = (cpu_seconds() - t0) / nq * 1e6;
		}
		t0 = cpu_seconds();
		for (size_t i = 0; i < nq; i++)
		{
			an_nn_search_brute(ix, scaled + i * d, k, ix->n, hits2);
			sink += hits2[k - 1].dist2;
		}
		t_brute[r] = (cpu_seconds() - t0) / nq * 1e6;
	}
	for (size_t i = 0; i < nq; i++)
	{
		an_nn_search(ix, scaled + i * d, k, ix->n, hits);
		an_nn_search_brute(ix, scaled + i * d, k, ix->n, hits2);
		for (uint32_t j = 0; j < k; j++)
			if (hits[j].pos != hits2[j].pos || hits[j].dist2 != hits2[j].dist2)
			{
				mismatches++;
				break;
			}
	}
	{
		double		tree = median_of(t_tree),
					lof = median_of(t_lof),
					brute = median_of(t_brute),
					knn = median_of(t_knn);

		printf("k-NN search, tree:   %8.2f us/row\n", tree);
		printf("lof score, tree:     %8.2f us/row\n", lof);
		printf("knn score, tree:     %8.2f us/row\n", knn);
		printf("k-NN search, brute:  %8.2f us/row\n", brute);
		printf("brute / tree:        %8.1fx\n", brute / tree);
		for (int e = 0; e < n_eps; e++)
		{
			double		recall,
						ratio;

			measure_recall(ix, scaled, nq, k, eps[e], hits, hits2, &recall, &ratio);
			printf("eps %g: search %.2f us/row (%.1fx exact), lof %.2f, knn %.2f; "
				   "recall %.4f, k-th distance ratio %.4f\n",
				   eps[e], median_of(t_approx[e]), tree / median_of(t_approx[e]),
				   median_of(t_lof_approx[e]), median_of(t_knn_approx[e]), recall, ratio);
		}
		printf("queries whose neighbours differ: %zu (checksum %g)\n",
			   mismatches, sink);
	}
	return mismatches != 0;
}
