/*
 * test_iforest.c - unit tests of the Isolation Forest detector's fast scorer
 * and its reader.
 *
 * The scorer walks an in-memory form of the trees that differs from the
 * serialized one, so every score is checked, bit for bit, against a plain
 * walk over the serialized bytes (the original definition): scores must
 * never change with the in-memory layout.
 */
#include "an_core.h"
#include "bytes.h"
#include "detector.h"
#include "params.h"
#include "prng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "model_check.h"

#define N_ROWS 600
#define N_DIMS 4
#define N_OUTLIERS 12

/* Gaussian rows with the first N_OUTLIERS shifted far away. */
static double *
make_data(uint64_t seed)
{
	double	   *X = test_alloc(NULL, sizeof(double) * N_ROWS * N_DIMS);
	an_prng		r;

	an_prng_seed(&r, seed);
	for (int i = 0; i < N_ROWS; i++)
		for (int j = 0; j < N_DIMS; j++)
			X[i * N_DIMS + j] = an_prng_normal(&r) + (i < N_OUTLIERS ? 6.0 : 0.0);
	return X;
}

/* Options for a forest; max_depth 0 means the default. */
static an_params
forest_params(an_ctx *ctx, double n_trees, double sample_size, double max_depth)
{
	an_params	p;

	an_params_defaults(&p, &an_iforest_ops);
	if (an_params_set(ctx, &p, &an_iforest_ops, "n_trees", n_trees) != AN_OK ||
		an_params_set(ctx, &p, &an_iforest_ops, "sample_size", sample_size) != AN_OK ||
		an_params_set(ctx, &p, &an_iforest_ops, "max_depth", max_depth) != AN_OK)
	{
		fprintf(stderr, "forest_params: %s\n", ctx->message);
		abort();
	}
	return p;
}

/* The detector's bytes of model. */
static unsigned char *
forest_bytes(an_ctx *ctx, const void *model, size_t *len)
{
	an_writer	w;

	an_writer_init(&w, ctx, 64);
	an_iforest_ops.write(model, &w);
	*len = w.len;
	return w.data;
}

/* The score of x by a plain walk over serialized trees (the reference). */
static double
reference_score(const unsigned char *bytes, size_t len, const double *x)
{
	an_reader	r;
	uint32_t	n_trees,
				psi,
				n_nodes;
	size_t		nodes_at;
	double		total = 0,
				c;

	an_reader_init(&r, bytes, len);
	n_trees = an_read_u32(&r);
	psi = an_read_u32(&r);
	(void) an_read_u32(&r);
	n_nodes = an_read_u32(&r);
	nodes_at = 16 + 4 * (size_t) n_trees;
	for (uint32_t t = 0; t < n_trees; t++)
	{
		uint32_t	i;

		r.pos = 16 + 4 * (size_t) t;
		i = an_read_u32(&r);
		for (;;)
		{
			double		value;
			uint32_t	feature,
						right;

			r.pos = nodes_at + 16 * (size_t) i;
			value = an_read_f64(&r);
			feature = an_read_u32(&r);
			right = an_read_u32(&r);
			if (feature == UINT32_MAX)
			{
				total += value;
				break;
			}
			i = x[feature] < value ? i + 1 : right;
			if (i >= n_nodes)
				abort();
		}
	}
	if (r.failed)
		abort();
	c = psi <= 1 ? 0 : psi <= 2 ? 1
		: 2.0 * (log(psi - 1.0) + 0.5772156649015329) - 2.0 * (psi - 1.0) / psi;
	return c <= 0 ? 0.5 : exp2(-(total / n_trees) / c);
}

/* Whether two doubles have the same bits. */
static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(double)) == 0;
}

/* Fitted and read-back forests score every row exactly as the reference. */
static void
test_matches_reference(void)
{
	static const double configs[][3] = {
		{100, 256, 0}, {1, 256, 0}, {63, 64, 0}, {64, 64, 0}, {65, 64, 0},
		{130, 32, 0}, {7, 2, 0}, {9, 600, 0}, {20, 256, 1}, {20, 256, 3}, {5, 600, 64},
	};
	an_ctx		ctx = new_ctx();
	double	   *X = make_data(7);
	double		extreme[][N_DIMS] = {
		{1e308, -1e308, 1e308, -1e308}, {-1e308, 1e308, -1e308, 1e308},
		{INFINITY, -INFINITY, 0, 0}, {NAN, NAN, 0.5, -0.5}, {0, 0, 0, 0},
	};

	for (size_t k = 0; k < sizeof(configs) / sizeof(configs[0]); k++)
	{
		an_params	p = forest_params(&ctx, configs[k][0], configs[k][1], configs[k][2]);
		void	   *fitted,
				   *back;
		unsigned char *bytes,
				   *again;
		size_t		len,
					len2;
		int			bad = 0;

		p.common[AN_P_SEED] = (double) (k + 1);
		CHECK_STATUS(an_iforest_ops.fit(&ctx, &p, X, N_ROWS, N_DIMS, &fitted), AN_OK);
		bytes = forest_bytes(&ctx, fitted, &len);
		CHECK_STATUS(read_model(&ctx, &an_iforest_ops, bytes, len, N_DIMS, &back), AN_OK);
		for (int i = 0; i < N_ROWS; i++)
		{
			double		want = reference_score(bytes, len, &X[i * N_DIMS]);

			if (!same_bits(an_iforest_ops.score(fitted, &X[i * N_DIMS]), want) ||
				!same_bits(an_iforest_ops.score(back, &X[i * N_DIMS]), want))
				bad++;
		}
		CHECK(bad == 0, "config %zu: %d rows score differently from the reference", k, bad);
		for (size_t e = 0; e < sizeof(extreme) / sizeof(extreme[0]); e++)
		{
			double		want = reference_score(bytes, len, extreme[e]);
			double		got = an_iforest_ops.score(back, extreme[e]);

			CHECK(same_bits(got, want) && isfinite(got),
				  "config %zu, extreme row %zu: %.17g, reference %.17g", k, e, got, want);
		}
		again = forest_bytes(&ctx, back, &len2);
		CHECK(len2 == len && memcmp(again, bytes, len) == 0,
			  "config %zu: write(read(bytes)) differs from bytes", k);
	}
}

/* Planted outliers score higher than inliers (ROC AUC by pair counting). */
static void
test_outliers_rank_first(void)
{
	an_ctx		ctx = new_ctx();
	double	   *X = make_data(11);
	an_params	p = forest_params(&ctx, 100, 256, 0);
	void	   *m;
	double		scores[N_ROWS];
	double		wins = 0;

	CHECK_STATUS(an_iforest_ops.fit(&ctx, &p, X, N_ROWS, N_DIMS, &m), AN_OK);
	for (int i = 0; i < N_ROWS; i++)
		scores[i] = an_iforest_ops.score(m, &X[i * N_DIMS]);
	for (int i = 0; i < N_OUTLIERS; i++)
		for (int j = N_OUTLIERS; j < N_ROWS; j++)
			wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
	CHECK(wins / (N_OUTLIERS * (N_ROWS - N_OUTLIERS)) > 0.9, "ROC AUC %g",
		  wins / (N_OUTLIERS * (N_ROWS - N_OUTLIERS)));
}

/*
 * The explanation decomposes the path length: contributions sum to
 * c(psi) * log2(2 * score), in the fitted forest and in one read back
 * (whose per-node row counts are recovered from the leaves); the shifted
 * outliers blame their shifted features, and a far value is blamed most.
 */
static void
test_explain(void)
{
	an_ctx		ctx = new_ctx();
	double	   *X = make_data(13);
	an_params	p = forest_params(&ctx, 100, 256, 0);
	void	   *fitted,
			   *back;
	unsigned char *bytes;
	size_t		len;
	double		c_psi = 2.0 * (log(255.0) + 0.5772156649015329) - 2.0 * 255.0 / 256.0;

	CHECK_STATUS(an_iforest_ops.fit(&ctx, &p, X, N_ROWS, N_DIMS, &fitted), AN_OK);
	bytes = forest_bytes(&ctx, fitted, &len);
	CHECK_STATUS(read_model(&ctx, &an_iforest_ops, bytes, len, N_DIMS, &back), AN_OK);
	for (int i = 0; i < N_ROWS; i += 7)
	{
		double		x[N_DIMS];

		memcpy(x, &X[i * N_DIMS], sizeof(x));
		if (i % 2)
			x[i % N_DIMS] = 1e308;
		for (int which = 0; which < 2; which++)
		{
			void	   *m = which ? back : fitted;
			double		contrib[N_DIMS] = {0};
			double		sum = 0;
			double		want = c_psi * log2(2.0 * an_iforest_ops.score(m, x));
			int			top = 0;

			CHECK_STATUS(an_iforest_ops.explain(&ctx, m, x, N_DIMS, contrib), AN_OK);
			for (int j = 0; j < N_DIMS; j++)
			{
				CHECK(isfinite(contrib[j]), "row %d: contribution %g", i, contrib[j]);
				sum += contrib[j];
				if (contrib[j] > contrib[top])
					top = j;
			}
			CHECK(fabs(sum - want) < 1e-9, "row %d (%s): contributions sum to %.17g, not %.17g",
				  i, which ? "read" : "fitted", sum, want);
			if (i % 2)
				CHECK(top == i % N_DIMS, "row %d: far feature %d, blamed %d", i, i % N_DIMS, top);
			else if (i < N_OUTLIERS)
				CHECK(sum > 0, "row %d: outlier's contributions sum to %g", i, sum);
		}
	}
}

/* Constant data gives single-leaf trees and the neutral score 0.5. */
static void
test_constant_rows(void)
{
	an_ctx		ctx = new_ctx();
	double		X[2 * 3] = {1, 2, 3, 1, 2, 3};
	double		x[3] = {1, 2, 3};
	double		far[3] = {1e308, -1e308, 0};
	an_params	p = forest_params(&ctx, 10, 256, 0);
	void	   *m;
	unsigned char *bytes;
	size_t		len;

	CHECK_STATUS(an_iforest_ops.fit(&ctx, &p, X, 2, 3, &m), AN_OK);
	bytes = forest_bytes(&ctx, m, &len);
	CHECK(an_iforest_ops.score(m, x) == 0.5, "score %.17g", an_iforest_ops.score(m, x));
	CHECK(same_bits(an_iforest_ops.score(m, far), reference_score(bytes, len, far)),
		  "far row differs from the reference");
}

/* A forest that could outgrow a model is refused before it allocates, at its exact bound. */
static void
test_size_bound(void)
{
	an_ctx		ctx = new_ctx();
	double	   *X = make_data(9);
	void	   *m;
	/* 2796 trees of 6000 rows could hold 2796 * 11999 = 33549204 <= 2^25 nodes; 2797 could not */
	double	   *rows = test_alloc(NULL, sizeof(double) * 6000 * N_DIMS);
	an_params	fits = forest_params(&ctx, 2796, 6000, 1);
	an_params	too_big = forest_params(&ctx, 2797, 6000, 1);
	an_params	small_source = forest_params(&ctx, 10000, 100000, 0);

	for (int i = 0; i < 6000; i++)
		memcpy(rows + i * N_DIMS, X + (i % N_ROWS) * N_DIMS, sizeof(double) * N_DIMS);
	CHECK_STATUS(an_iforest_ops.fit(&ctx, &too_big, rows, 6000, N_DIMS, &m), AN_ERR_PARAM);
	CHECK(strstr(ctx.message, "2797 trees of 6000 rows") != NULL, "message \"%s\"", ctx.message);
	CHECK(strstr(ctx.hint, "n_trees") != NULL, "hint \"%s\"", ctx.hint);
	/* depth 1 keeps the forest that fits small: its bound is checked, not its size */
	CHECK_STATUS(an_iforest_ops.fit(&ctx, &fits, rows, 6000, N_DIMS, &m), AN_OK);
	/* the bound counts the rows a tree really gets: a small source takes the largest options */
	CHECK_STATUS(an_iforest_ops.fit(&ctx, &small_source, X, N_ROWS, N_DIMS, &m), AN_OK);
}

/* Offset of node i's field (0 value, 8 feature, 12 right) in the bytes. */
static size_t
node_field(const unsigned char *bytes, uint32_t i, size_t field)
{
	uint32_t	n_trees;

	memcpy(&n_trees, bytes, 4);
	return 16 + 4 * (size_t) n_trees + 16 * (size_t) i + field;
}

/* Store a little-endian u32 (the tests run on little-endian machines). */
static void
put_u32(unsigned char *bytes, size_t at, uint32_t v)
{
	memcpy(bytes + at, &v, 4);
}

/* Damaged or non-canonical bytes are rejected, never crash. */
static void
test_reader_rejects(void)
{
	an_ctx		ctx = new_ctx();
	double	   *X = make_data(3);
	an_params	p = forest_params(&ctx, 3, 16, 0);
	void	   *m,
			   *back;
	unsigned char *bytes,
			   *bad;
	size_t		len;
	uint32_t	n_nodes,
				leaf = 0,
				inner = 0;

	CHECK_STATUS(an_iforest_ops.fit(&ctx, &p, X, N_ROWS, N_DIMS, &m), AN_OK);
	bytes = forest_bytes(&ctx, m, &len);
	memcpy(&n_nodes, bytes + 12, 4);
	for (uint32_t i = n_nodes; i-- > 0;)
	{
		uint32_t	f;

		memcpy(&f, bytes + node_field(bytes, i, 8), 4);
		if (f == UINT32_MAX)
			leaf = i;
		else
			inner = i;
	}
	CHECK(inner < leaf, "the first node is not a split");
	bad = test_alloc(NULL, len);

	for (size_t cut = 0; cut < len; cut++)
		CHECK_STATUS(read_model(&ctx, &an_iforest_ops, bytes, cut, N_DIMS, &back), AN_ERR_CORRUPT);

	/* a leaf's right child must be 0 */
	memcpy(bad, bytes, len);
	put_u32(bad, node_field(bad, leaf, 12), leaf);
	CHECK_STATUS(read_model(&ctx, &an_iforest_ops, bad, len, N_DIMS, &back), AN_ERR_CORRUPT);

	/* a leaf's feature is -1, not another negative value */
	memcpy(bad, bytes, len);
	put_u32(bad, node_field(bad, leaf, 8), UINT32_MAX - 1);
	CHECK_STATUS(read_model(&ctx, &an_iforest_ops, bad, len, N_DIMS, &back), AN_ERR_CORRUPT);

	/* a split on a feature the model does not have */
	memcpy(bad, bytes, len);
	put_u32(bad, node_field(bad, inner, 8), N_DIMS);
	CHECK_STATUS(read_model(&ctx, &an_iforest_ops, bad, len, N_DIMS, &back), AN_ERR_CORRUPT);

	/* a right child that does not lie ahead */
	memcpy(bad, bytes, len);
	put_u32(bad, node_field(bad, inner, 12), inner + 1);
	CHECK_STATUS(read_model(&ctx, &an_iforest_ops, bad, len, N_DIMS, &back), AN_ERR_CORRUPT);

	/* trees deeper than the header's max_depth */
	memcpy(bad, bytes, len);
	put_u32(bad, 8, 1);
	CHECK_STATUS(read_model(&ctx, &an_iforest_ops, bad, len, N_DIMS, &back), AN_ERR_CORRUPT);
	CHECK(strstr(ctx.message, "max_depth") != NULL, "message: %s", ctx.message);

	/* a leaf with a negative path length */
	memcpy(bad, bytes, len);
	{
		double		minus = -1;

		memcpy(bad + node_field(bad, leaf, 0), &minus, 8);
	}
	CHECK_STATUS(read_model(&ctx, &an_iforest_ops, bad, len, N_DIMS, &back), AN_ERR_CORRUPT);

	/* the bytes as written still read */
	CHECK_STATUS(read_model(&ctx, &an_iforest_ops, bytes, len, N_DIMS, &back), AN_OK);
}

int
main(void)
{
	run("matches_reference", test_matches_reference);
	run("outliers_rank_first", test_outliers_rank_first);
	run("constant_rows", test_constant_rows);
	run("explain", test_explain);
	run("reader_rejects", test_reader_rejects);
	run("size_bound", test_size_bound);
	return finish();
}
