/*
 * test_fcforest.c - unit tests of the fair-cut forest detector: a planted
 * outlier off the data's correlation scores highest, training is
 * deterministic for a seed, the bytes round-trip exactly, damaged bytes
 * are refused with a reason, explanations sum to the score's path-length
 * saving, and the options (ndim beyond the features, ntry, sample_size)
 * do what they say.
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

#define N_ROWS 800
#define DIMS 4
#define OUTLIER 0

static const an_detector_ops *const ops = &an_fcforest_ops;

/*
 * Rows along one strong correlation (every column about the same latent
 * value, uniform in [-2, 2]); row OUTLIER breaks it: each column lies inside its own range, but
 * far off the line, which no single column reveals.
 */
static double *
correlated_data(uint64_t seed)
{
	double	   *X = test_alloc(NULL, sizeof(double) * N_ROWS * DIMS);
	an_prng		r;

	an_prng_seed(&r, seed);
	for (int i = 0; i < N_ROWS; i++)
	{
		double		t = 4.0 * an_prng_uniform(&r) - 2.0;

		for (int j = 0; j < DIMS; j++)
			X[i * DIMS + j] = t + 0.05 * an_prng_normal(&r);
	}
	for (int j = 0; j < DIMS; j++)
		X[OUTLIER * DIMS + j] = j % 2 ? 1.0 : -1.0;
	return X;
}

/* Default options with seed and the named numbers set. */
static an_params
options(an_ctx *ctx, uint64_t seed, const char *name, double value)
{
	an_params	p;

	an_params_defaults(&p, ops);
	p.common[AN_P_SEED] = (double) seed;
	if (name && an_params_set(ctx, &p, ops, name, value) != AN_OK)
	{
		fprintf(stderr, "options: %s\n", ctx->message);
		abort();
	}
	return p;
}

/* The detector's bytes of model. */
static unsigned char *
forest_bytes(an_ctx *ctx, const void *model, size_t *len)
{
	an_writer	w;

	an_writer_init(&w, ctx, 256);
	ops->write(model, &w);
	*len = w.len;
	return w.data;
}

/* c(n) of Liu, Ting and Zhou, to check scores against path lengths. */
static double
c_of(double n)
{
	return n <= 1 ? 0 : n <= 2 ? 1
		: 2.0 * (log(n - 1.0) + 0.5772156649015329) - 2.0 * (n - 1.0) / n;
}

/* The registry knows fcforest by name and id 12; defaults as documented. */
static void
test_registry(void)
{
	an_params	p;

	an_params_defaults(&p, ops);
	CHECK(an_detector_by_name("fcforest") == ops, "fcforest not found by name");
	CHECK(an_detector_by_id(12) == ops, "fcforest not found by id 12");
	CHECK(ops->version == 1, "version %u", ops->version);
	CHECK(ops->n_params == 4, "n_params %d", ops->n_params);
	CHECK(p.values[0] == 200 && p.values[1] == 256 && p.values[2] == 3 && p.values[3] == 3,
		  "defaults %g %g %g %g", p.values[0], p.values[1], p.values[2], p.values[3]);
}

/*
 * The outlier off the correlation scores above every other row; iforest's
 * axis-parallel cuts, for comparison, rank it lower on the same rows.
 */
static void
test_planted_outlier(void)
{
	an_ctx		ctx = new_ctx();
	double	   *X = correlated_data(3);
	an_params	p = options(&ctx, 1, NULL, 0);
	an_params	pi;
	void	   *model = NULL,
			   *axis = NULL;
	int			above_fc = 0,
				above_if = 0;
	double		fc_out,
				if_out;

	CHECK_STATUS(ops->fit(&ctx, &p, X, N_ROWS, DIMS, &model), AN_OK);
	an_params_defaults(&pi, &an_iforest_ops);
	CHECK_STATUS(an_iforest_ops.fit(&ctx, &pi, X, N_ROWS, DIMS, &axis), AN_OK);
	fc_out = ops->score(model, X + OUTLIER * DIMS);
	if_out = an_iforest_ops.score(axis, X + OUTLIER * DIMS);
	for (int i = 0; i < N_ROWS; i++)
		if (i != OUTLIER)
		{
			above_fc += ops->score(model, X + i * DIMS) >= fc_out;
			above_if += an_iforest_ops.score(axis, X + i * DIMS) >= if_out;
		}
	CHECK(above_fc == 0, "%d rows score at least the outlier's %.4f", above_fc, fc_out);
	CHECK(fc_out > 0.6, "outlier score %.4f", fc_out);
	CHECK(above_if > above_fc, "iforest ranks %d rows above the outlier, fcforest %d",
		  above_if, above_fc);
}

/* The same seed gives the same bytes; another seed other bytes. */
static void
test_determinism(void)
{
	an_ctx		ctx = new_ctx();
	double	   *X = correlated_data(5);
	an_params	p1 = options(&ctx, 7, NULL, 0),
				p2 = options(&ctx, 8, NULL, 0);
	void	   *a = NULL,
			   *b = NULL,
			   *c = NULL;
	unsigned char *ba,
			   *bb,
			   *bc;
	size_t		la,
				lb,
				lc;

	CHECK_STATUS(ops->fit(&ctx, &p1, X, N_ROWS, DIMS, &a), AN_OK);
	CHECK_STATUS(ops->fit(&ctx, &p1, X, N_ROWS, DIMS, &b), AN_OK);
	CHECK_STATUS(ops->fit(&ctx, &p2, X, N_ROWS, DIMS, &c), AN_OK);
	ba = forest_bytes(&ctx, a, &la);
	bb = forest_bytes(&ctx, b, &lb);
	bc = forest_bytes(&ctx, c, &lc);
	CHECK(la == lb && memcmp(ba, bb, la) == 0, "seed 7 twice gave different bytes");
	CHECK(la != lc || memcmp(ba, bc, la) != 0, "seeds 7 and 8 gave the same bytes");
}

/*
 * Read-back bytes score every row (and odd inputs) bit for bit as the
 * fitted model, and write the same bytes again.
 */
static void
test_round_trip(void)
{
	an_ctx		ctx = new_ctx();
	double	   *X = correlated_data(9);
	an_params	p = options(&ctx, 2, NULL, 0);
	void	   *model = NULL,
			   *back = NULL;
	unsigned char *bytes,
			   *again;
	size_t		len,
				len2;
	int			same = 1;
	double		odd[][DIMS] = {
		{1e308, -1e308, 1e308, -1e308}, {INFINITY, -INFINITY, 0, 0},
		{NAN, NAN, 0.5, -0.5}, {0, 0, 0, 0},
	};

	CHECK_STATUS(ops->fit(&ctx, &p, X, N_ROWS, DIMS, &model), AN_OK);
	bytes = forest_bytes(&ctx, model, &len);
	CHECK_STATUS(read_model(&ctx, ops, bytes, len, DIMS, &back), AN_OK);
	if (back == NULL)
		return;
	for (int i = 0; i < N_ROWS; i++)
	{
		double		s1 = ops->score(model, X + i * DIMS),
					s2 = ops->score(back, X + i * DIMS);

		same &= memcmp(&s1, &s2, sizeof(double)) == 0 && s1 > 0 && s1 < 1;
	}
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
	{
		double		s1 = ops->score(model, odd[i]),
					s2 = ops->score(back, odd[i]);

		same &= memcmp(&s1, &s2, sizeof(double)) == 0 && isfinite(s1);
	}
	CHECK(same, "scores differ after a round trip, or are outside (0, 1)");
	again = forest_bytes(&ctx, back, &len2);
	CHECK(len == len2 && memcmp(bytes, again, len) == 0, "rewritten bytes differ");
}

/* Offsets in the bytes of a forest over DIMS features. */
#define AT_NTREES 0
#define AT_Q 12
#define AT_SPREAD0 (20 + 8)
#define AT_ROOTS (20 + 16 * DIMS)

/* Damage bytes at one place; the reader must refuse them, saying why. */
static void
check_refused(const unsigned char *bytes, size_t len, size_t at, const unsigned char *put,
			  size_t n, const char *why)
{
	an_ctx		ctx = new_ctx();
	unsigned char *copy = test_alloc(NULL, len);
	void	   *m = NULL;

	memcpy(copy, bytes, len);
	memcpy(copy + at, put, n);
	CHECK_STATUS(read_model(&ctx, ops, copy, len, DIMS, &m), AN_ERR_CORRUPT);
	CHECK(strstr(ctx.message, why) != NULL, "message \"%s\", expected \"%s\"", ctx.message, why);
}

/* Truncated or damaged bytes are refused; each field is checked. */
static void
test_damaged(void)
{
	an_ctx		ctx = new_ctx();
	double	   *X = correlated_data(11);
	an_params	p = options(&ctx, 4, "n_trees", 5);
	void	   *model = NULL;
	unsigned char *bytes;
	size_t		len,
				first_node,
				node;
	int			refused = 1;
	static const unsigned char zeros[8] = {0};
	static const unsigned char ones[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
	static const unsigned char nine[4] = {9, 0, 0, 0};
	unsigned char u32[4];

	CHECK_STATUS(ops->fit(&ctx, &p, X, N_ROWS, DIMS, &model), AN_OK);
	bytes = forest_bytes(&ctx, model, &len);
	for (size_t cut = 0; cut < len; cut += cut < 400 ? 1 : 97)
	{
		void	   *m = NULL;

		if (read_model(&ctx, ops, bytes, cut, DIMS, &m) == AN_OK)
			refused = 0;
	}
	CHECK(refused, "a truncated forest was accepted");
	{
		void	   *m = NULL;
		an_reader	r;

		an_reader_init(&r, bytes, len);
		CHECK_STATUS(ops->read(&ctx, &r, 2, DIMS, &m), AN_ERR_CORRUPT);
		CHECK_STATUS(read_model(&ctx, ops, bytes, len, DIMS - 1, &m), AN_ERR_CORRUPT);
	}
	check_refused(bytes, len, AT_NTREES, zeros, 4, "header is invalid");
	check_refused(bytes, len, AT_Q, nine, 4, "header is invalid");
	check_refused(bytes, len, AT_SPREAD0, zeros, 8, "scaling of column 0");
	check_refused(bytes, len, AT_SPREAD0 - 8, ones, 8, "scaling of column 0");
	check_refused(bytes, len, AT_ROOTS, ones, 4, "invalid root");
	/* the first tree's root is node 0, an inner node: its right child, then its hyperplane */
	first_node = AT_ROOTS + 4 * 5;
	an_put_u32(u32, 1);
	check_refused(bytes, len, first_node + 8, u32, 4, "points outside its tree");
	check_refused(bytes, len, first_node + 8, ones, 4, "points outside its tree");
	check_refused(bytes, len, first_node + 12, zeros, 4, "node 0 is invalid");
	check_refused(bytes, len, first_node, ones, 8, "node 0 is invalid");
	check_refused(bytes, len, first_node + 16, ones, 8, "invalid hyperplane");
	check_refused(bytes, len, first_node + 16 + 8, ones, 2, "invalid hyperplane");
	/* a leaf with a negative path length: find the first leaf */
	node = first_node;
	for (uint32_t i = 0;; i++)
	{
		uint32_t	right = (uint32_t) bytes[node + 8] | (uint32_t) bytes[node + 9] << 8 |
			(uint32_t) bytes[node + 10] << 16 | (uint32_t) bytes[node + 11] << 24;

		if (right == 0)
		{
			unsigned char neg[8];

			an_put_f64(neg, -1.0);
			check_refused(bytes, len, node, neg, 8, "leaf");
			break;
		}
		node += 16 + 10 * 3;
	}
}

/*
 * A row's contributions telescope to c(psi) - E[h(x)] = c(psi) log2(2 score)
 * (before the caller clamps them); the outlier's total is positive.
 */
static void
test_explain(void)
{
	an_ctx		ctx = new_ctx();
	double	   *X = correlated_data(13);
	an_params	p = options(&ctx, 3, NULL, 0);
	void	   *model = NULL;

	CHECK_STATUS(ops->fit(&ctx, &p, X, N_ROWS, DIMS, &model), AN_OK);
	for (int i = 0; i < 40; i++)
	{
		double		contrib[DIMS] = {0},
					total = 0,
					want = c_of(256) * log2(2 * ops->score(model, X + i * DIMS));

		CHECK_STATUS(ops->explain(&ctx, model, X + i * DIMS, DIMS, contrib), AN_OK);
		for (int j = 0; j < DIMS; j++)
			total += contrib[j];
		CHECK(fabs(total - want) < 1e-9, "row %d: contributions sum to %.12g, expected %.12g",
			  i, total, want);
		if (i == OUTLIER)
			CHECK(total > 1, "the outlier's contributions sum to %g", total);
	}
}

/*
 * ndim beyond the features is cut to them; ntry 1 still finds the outlier;
 * sample_size beyond the rows uses every row; one column works.
 */
static void
test_options(void)
{
	an_ctx		ctx = new_ctx();
	double	   *X = correlated_data(15);
	double		one[N_ROWS];
	an_params	p;
	void	   *model = NULL;
	unsigned char *bytes;
	size_t		len;

	p = options(&ctx, 1, "ndim", 64);
	CHECK_STATUS(ops->fit(&ctx, &p, X, N_ROWS, DIMS, &model), AN_OK);
	bytes = forest_bytes(&ctx, model, &len);
	CHECK(bytes[AT_Q] == DIMS, "ndim 64 over %d features stored as %u", DIMS, bytes[AT_Q]);
	p = options(&ctx, 1, "ntry", 1);
	CHECK_STATUS(ops->fit(&ctx, &p, X, N_ROWS, DIMS, &model), AN_OK);
	CHECK(ops->score(model, X) > ops->score(model, X + DIMS), "ntry 1 misses the outlier");
	p = options(&ctx, 1, "sample_size", 5000);
	CHECK_STATUS(ops->fit(&ctx, &p, X, N_ROWS, DIMS, &model), AN_OK);
	bytes = forest_bytes(&ctx, model, &len);
	CHECK(bytes[4] == (N_ROWS & 0xFF) && bytes[5] == (N_ROWS >> 8), "psi is not the row count");
	for (int i = 0; i < N_ROWS; i++)
		one[i] = i == 0 ? 40 : X[i * DIMS];
	p = options(&ctx, 1, NULL, 0);
	CHECK_STATUS(ops->fit(&ctx, &p, one, N_ROWS, 1, &model), AN_OK);
	CHECK(ops->score(model, one) > 0.7, "one column: outlier scores %g", ops->score(model, one));
	CHECK_STATUS(ops->fit(&ctx, &p, X, 1, DIMS, &model), AN_ERR_DATA);
	CHECK(strstr(ctx.hint, "at least 2 rows") != NULL, "hint \"%s\"", ctx.hint);
}

int
main(void)
{
	run("registry", test_registry);
	run("planted outlier", test_planted_outlier);
	run("determinism", test_determinism);
	run("round trip", test_round_trip);
	run("damaged bytes", test_damaged);
	run("explain", test_explain);
	run("options", test_options);
	return finish();
}
