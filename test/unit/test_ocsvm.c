/*
 * test_ocsvm.c - unit tests of the one-class SVM detector (src/core/ocsvm.c).
 *
 * Prints one line per failed check and finally "N passed, N failed"; exits
 * non-zero on failure (the checks and allocator are in harness.h).
 */
#include "harness.h"
#include "model_check.h"

#include "bytes.h"
#include "detector.h"
#include "metrics.h"
#include "params.h"
#include "prng.h"

static const an_detector_ops *ops = &an_ocsvm_ops;

/* Default ocsvm options with the given seed. */
static an_params
default_params(uint64_t seed)
{
	an_params	p;

	an_params_defaults(&p, ops);
	p.common[AN_P_SEED] = (double) seed;
	return p;
}

/* Set one option or abort. */
static void
set_option(an_ctx *ctx, an_params *p, const char *name, double value)
{
	if (an_params_set(ctx, p, ops, name, value) != AN_OK)
	{
		fprintf(stderr, "set_option %s: %s\n", name, ctx->message);
		abort();
	}
}

/*
 * n rows of d features: inliers N(0, 1) in every feature, with every
 * outlier_every-th row (if > 0) an outlier shifted to 6 in every feature;
 * labels (if not NULL) mark the outliers.
 */
static double *
gaussian_data(size_t n, size_t d, size_t outlier_every, uint64_t seed,
			  uint8_t *labels)
{
	double	   *X = test_alloc(NULL, sizeof(double) * n * d);
	an_prng		rng;

	an_prng_seed(&rng, seed);
	for (size_t i = 0; i < n; i++)
	{
		int			outlier = outlier_every > 0 && i % outlier_every == outlier_every - 1;

		for (size_t k = 0; k < d; k++)
			X[i * d + k] = (outlier ? 6.0 : 0.0) + an_prng_normal(&rng);
		if (labels)
			labels[i] = (uint8_t) outlier;
	}
	return X;
}

/* Fit or abort. */
static void *
fit_or_die(an_ctx *ctx, const an_params *p, const double *X, size_t n, size_t d)
{
	void	   *model = NULL;

	if (ops->fit(ctx, p, X, n, d, &model) != AN_OK)
	{
		fprintf(stderr, "fit: %s (%s)\n", ctx->message, ctx->hint);
		abort();
	}
	return model;
}

/* The model's bytes. */
static an_writer
model_bytes(an_ctx *ctx, const void *model)
{
	an_writer	w;

	an_writer_init(&w, ctx, 256);
	ops->write(model, &w);
	return w;
}

/* Overwrite the little-endian double at offset pos. */
static void
put_f64(unsigned char *b, size_t pos, double v)
{
	uint64_t	u;

	memcpy(&u, &v, 8);
	for (int i = 0; i < 8; i++)
		b[pos + i] = (unsigned char) (u >> (8 * i));
}

/* The little-endian double at offset pos. */
static double
get_f64(const unsigned char *b, size_t pos)
{
	uint64_t	u = 0;
	double		v;

	for (int i = 0; i < 8; i++)
		u |= (uint64_t) b[pos + i] << (8 * i);
	memcpy(&v, &u, 8);
	return v;
}

/* Overwrite the little-endian u32 at offset pos. */
static void
put_u32(unsigned char *b, size_t pos, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[pos + i] = (unsigned char) (v >> (8 * i));
}

/* The little-endian u32 at offset pos (the model's n_sv at 0). */
static uint32_t
get_u32(const unsigned char *b, size_t pos)
{
	return (uint32_t) b[pos] | (uint32_t) b[pos + 1] << 8 |
		(uint32_t) b[pos + 2] << 16 | (uint32_t) b[pos + 3] << 24;
}

/*
 * Explanations: a feature moved far out, however far (even 1e308, where
 * every kernel value underflows), is blamed most; an inlier explains too;
 * contributions stay finite.
 */
static void
test_explain(void)
{
	an_ctx		ctx = new_ctx();
	an_params	p = default_params(5);
	double	   *X = gaussian_data(400, 4, 0, 5, NULL);
	void	   *m = fit_or_die(&ctx, &p, X, 400, 4);
	const double far[] = {4, 10, 1e6, 1e308, -1e308};

	for (int f = 0; f < 4; f++)
		for (int k = 0; k < 5; k++)
		{
			double		x[4] = {0.3, -0.2, 0.1, 0.4};
			double		contrib[4] = {0};
			int			top = 0;

			x[f] = far[k];
			CHECK(ops->explain(&ctx, m, x, 4, contrib) == AN_OK, "explain: %s", ctx.message);
			for (int j = 0; j < 4; j++)
			{
				CHECK(isfinite(contrib[j]), "feature %d at %g: contribution %g", f, far[k],
					  contrib[j]);
				if (contrib[j] > contrib[top])
					top = j;
			}
			CHECK(top == f, "feature %d at %g: feature %d blamed most", f, far[k], top);
		}
}

/* The registry knows ocsvm by name and id; its options have their defaults. */
static void
test_registry(void)
{
	an_params	p = default_params(42);

	CHECK(an_detector_by_name("ocsvm") == ops, "ocsvm not found by name");
	CHECK(an_detector_by_id(4) == ops, "ocsvm not found by id 4");
	CHECK(isnan(ops->auto_threshold), "auto threshold %g", ops->auto_threshold);
	CHECK(ops->n_params == 5, "n_params %d", ops->n_params);
	CHECK(p.values[0] == 0.5 && p.values[1] == 0 && p.values[2] == 5000 &&
		  p.values[3] == 1e-3 && p.values[4] == 1000000,
		  "defaults %g %g %g %g %g", p.values[0], p.values[1], p.values[2],
		  p.values[3], p.values[4]);
}

/* Planted outliers score above the inliers: ROC AUC > 0.9; the boundary at 0. */
static void
test_accuracy(void)
{
	an_ctx		ctx = new_ctx();
	size_t		n = 1000,
				d = 4,
				above = 0;
	uint8_t    *labels = test_alloc(NULL, n);
	double	   *X = gaussian_data(n, d, 20, 7, labels);
	double	   *scores = test_alloc(NULL, sizeof(double) * n);
	an_params	p = default_params(42);
	an_metrics	met;
	void	   *model;

	model = fit_or_die(&ctx, &p, X, n, d);
	for (size_t i = 0; i < n; i++)
	{
		scores[i] = ops->score(model, X + i * d);
		CHECK(isfinite(scores[i]), "score %zu is %g", i, scores[i]);
	}
	an_metrics_compute(&ctx, scores, labels, n, 0.0, &met);
	CHECK(met.roc_auc > 0.9, "ROC AUC %g", met.roc_auc);

	/* nu bounds the fraction of training rows outside (score > 0) from above */
	set_option(&ctx, &p, "nu", 0.2);
	X = gaussian_data(n, d, 0, 8, NULL);
	model = fit_or_die(&ctx, &p, X, n, d);
	for (size_t i = 0; i < n; i++)
		above += ops->score(model, X + i * d) > 1e-6;
	CHECK(above <= 0.2 * n + 5 && above >= 0.1 * n,
		  "%zu of %zu rows outside with nu 0.2", above, n);
	CHECK(get_u32(model_bytes(&ctx, model).data, 0) >= 0.2 * n,
		  "fewer support vectors than nu * n");
	/* the centre of the data is inside, a far point outside */
	{
		double		centre[4] = {0, 0, 0, 0};
		double		far[4] = {8, -8, 8, -8};

		CHECK(ops->score(model, centre) < 0, "centre scores %g", ops->score(model, centre));
		CHECK(ops->score(model, far) > 0, "far point scores %g", ops->score(model, far));
	}
}

/* A model written then read gives bit-identical scores; scoring changes nothing. */
static void
test_round_trip(void)
{
	an_ctx		ctx = new_ctx();
	size_t		n = 300,
				d = 3;
	double	   *X = gaussian_data(n, d, 10, 11, NULL);
	an_params	p = default_params(5);
	void	   *model,
			   *back = NULL;
	an_writer	w,
				again;

	model = fit_or_die(&ctx, &p, X, n, d);
	w = model_bytes(&ctx, model);
	CHECK_STATUS(read_model(&ctx, ops, w.data, w.len, d, &back), AN_OK);
	if (back == NULL)
		return;
	for (size_t i = 0; i < n; i++)
	{
		double		a = ops->score(model, X + i * d);
		double		b = ops->score(back, X + i * d);

		CHECK(memcmp(&a, &b, sizeof(double)) == 0, "row %zu: %.17g vs %.17g", i, a, b);
	}
	again = model_bytes(&ctx, back);
	CHECK(again.len == w.len && memcmp(again.data, w.data, w.len) == 0,
		  "bytes differ after scoring and a round trip");
}

/* Every truncation and a set of damaged fields are rejected as corrupt. */
static void
test_corrupt(void)
{
	an_ctx		ctx = new_ctx();
	size_t		n = 60,
				d = 2;
	double	   *X = gaussian_data(n, d, 0, 13, NULL);
	an_params	p = default_params(1);
	void	   *model;
	an_writer	w;
	unsigned char *b;
	size_t		sv0 = 20 + 16 * d;	/* first support vector */
	size_t		coef0 = sv0 + 8 * d;	/* its coefficient */
	struct
	{
		const char *what;
		size_t		pos;
		int			is_u32;
		double		value;
	}			bad[] = {
		{"no support vector", 0, 1, 0},
		{"too many support vectors", 0, 1, 1e6},
		{"gamma 0", 4, 0, 0},
		{"gamma negative", 4, 0, -1},
		{"gamma NaN", 4, 0, NAN},
		{"gamma infinite", 4, 0, INFINITY},
		{"rho NaN", 12, 0, NAN},
		{"rho negative", 12, 0, -0.5},
		{"rho above 1", 12, 0, 2},
		{"centre infinite", 20, 0, -INFINITY},
		{"centre NaN", 20 + 16, 0, NAN},
		{"scale 0", 28, 0, 0},
		{"scale negative", 28, 0, -2},
		{"scale infinite", 28 + 16, 0, INFINITY},
		{"support vector NaN", sv0, 0, NAN},
		{"support vector huge", sv0 + 8, 0, 1e200},
		{"coefficient 0", coef0, 0, 0},
		{"coefficient negative", coef0, 0, -0.01},
		{"coefficient above 1", coef0, 0, 1.5},
		{"coefficient NaN", coef0, 0, NAN},
	};

	model = fit_or_die(&ctx, &p, X, n, d);
	w = model_bytes(&ctx, model);
	for (size_t len = 0; len < w.len; len++)
	{
		void	   *m = NULL;

		b = test_alloc(NULL, len + 1);
		memcpy(b, w.data, len);
		CHECK_STATUS(read_model(&ctx, ops, b, len, d, &m), AN_ERR_CORRUPT);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		void	   *m = NULL;
		an_status	st;

		b = test_alloc(NULL, w.len);
		memcpy(b, w.data, w.len);
		if (bad[i].is_u32)
			put_u32(b, bad[i].pos, (uint32_t) bad[i].value);
		else
			put_f64(b, bad[i].pos, bad[i].value);
		st = read_model(&ctx, ops, b, w.len, d, &m);
		CHECK(st == AN_ERR_CORRUPT, "%s: status %d", bad[i].what, (int) st);
	}
	/* coefficients that no longer sum to 1 */
	{
		void	   *m = NULL;

		b = test_alloc(NULL, w.len);
		memcpy(b, w.data, w.len);
		put_f64(b, coef0, get_f64(b, coef0) * 0.5);
		CHECK_STATUS(read_model(&ctx, ops, b, w.len, d, &m), AN_ERR_CORRUPT);
	}
	/* an unknown layout version, and a feature count out of range */
	{
		an_reader	r;
		void	   *m = NULL;

		an_reader_init(&r, w.data, w.len);
		CHECK_STATUS(ops->read(&ctx, &r, 2, d, &m), AN_ERR_CORRUPT);
		an_reader_init(&r, w.data, w.len);
		CHECK_STATUS(ops->read(&ctx, &r, 1, 0, &m), AN_ERR_CORRUPT);
		an_reader_init(&r, w.data, w.len);
		CHECK_STATUS(ops->read(&ctx, &r, 1, AN_MAX_COLUMNS + 1, &m), AN_ERR_CORRUPT);
	}
	/* random byte damage never crashes; what is accepted still scores finitely */
	{
		an_prng		rng;

		an_prng_seed(&rng, 99);
		for (int t = 0; t < 2000; t++)
		{
			void	   *m = NULL;

			b = test_alloc(NULL, w.len);
			memcpy(b, w.data, w.len);
			for (int k = 0; k < 3; k++)
				b[an_prng_below(&rng, w.len)] ^= (unsigned char) (1 + an_prng_below(&rng, 255));
			if (read_model(&ctx, ops, b, w.len, d, &m) == AN_OK)
			{
				double		x[2] = {1e308, -1e308};

				CHECK(isfinite(ops->score(m, x)), "damaged model %d scores non-finite", t);
			}
		}
	}
}

/* The same seed gives the same model; a subset of max_train rows is seeded. */
static void
test_determinism(void)
{
	an_ctx		ctx = new_ctx();
	size_t		n = 2000,
				d = 3;
	double	   *X = gaussian_data(n, d, 25, 17, NULL);
	an_params	p = default_params(3);
	an_writer	a,
				b,
				c;

	set_option(&ctx, &p, "max_train", 400);
	a = model_bytes(&ctx, fit_or_die(&ctx, &p, X, n, d));
	b = model_bytes(&ctx, fit_or_die(&ctx, &p, X, n, d));
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0, "same seed, different model");
	CHECK(get_u32(a.data, 0) <= 400 && get_u32(a.data, 0) >= 200,
		  "%u support vectors from 400 rows", get_u32(a.data, 0));
	set_option(&ctx, &p, "seed", 4);
	c = model_bytes(&ctx, fit_or_die(&ctx, &p, X, n, d));
	CHECK(c.len != a.len || memcmp(c.data, a.data, a.len) != 0,
		  "another seed drew the same subset");
}

/* Tiny, duplicated and constant data train without NaN; huge inputs score finitely. */
static void
test_tiny_and_huge(void)
{
	an_ctx		ctx = new_ctx();
	an_params	p = default_params(42);
	double		two[] = {1, 2, 3, 4};
	double		dup[] = {5, 5, 5, 5, 5, 5};
	double		constant_col[] = {1, 7, 2, 7, 3, 7, 4, 7, 5, 7};
	double		extreme[] = {-1e308, 1e308, 1e308, -1e308, 0, 0};
	double		probes[][2] = {{1e308, 1e308}, {-1e308, -1e308}, {1e308, -1e308},
	{0, 0}, {5, 5}, {1, 8}, {-1e-300, 4.9e-324}};
	struct
	{
		const char *what;
		double	   *X;
		size_t		n;
	}			cases[] = {
		{"2 rows", two, 2},
		{"3 duplicate rows", dup, 3},
		{"a constant column", constant_col, 5},
		{"extreme values", extreme, 3},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int nu_i = 0; nu_i < 3; nu_i++)
		{
			double		nus[] = {0.01, 0.5, 1.0};
			void	   *model = NULL;
			void	   *back = NULL;
			an_writer	w;

			set_option(&ctx, &p, "nu", nus[nu_i]);
			CHECK_STATUS(ops->fit(&ctx, &p, cases[c].X, cases[c].n, 2, &model), AN_OK);
			if (model == NULL)
				continue;
			w = model_bytes(&ctx, model);
			CHECK_STATUS(read_model(&ctx, ops, w.data, w.len, 2, &back), AN_OK);
			for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
			{
				double		s = ops->score(model, probes[i]);

				CHECK(isfinite(s), "%s, nu %g: score of probe %zu is %g",
					  cases[c].what, nus[nu_i], i, s);
				if (back)
					CHECK(s == ops->score(back, probes[i]), "%s: read-back score differs",
						  cases[c].what);
			}
		}
	/* a deviation in a column constant in training still raises the score */
	{
		void	   *model;
		double		usual[2] = {3, 7};
		double		odd[2] = {3, 9};

		set_option(&ctx, &p, "nu", 0.5);
		model = fit_or_die(&ctx, &p, constant_col, 5, 2);
		CHECK(ops->score(model, odd) > ops->score(model, usual),
			  "constant column ignored: %g vs %g", ops->score(model, odd),
			  ops->score(model, usual));
	}
}

/* An iteration limit of 1 still gives a usable model; a given gamma is kept. */
static void
test_options(void)
{
	an_ctx		ctx = new_ctx();
	size_t		n = 500,
				d = 2;
	double	   *X = gaussian_data(n, d, 0, 23, NULL);
	an_params	p = default_params(42);
	void	   *model;
	an_writer	w;

	set_option(&ctx, &p, "max_iter", 1);
	model = fit_or_die(&ctx, &p, X, n, d);
	for (size_t i = 0; i < n; i++)
		CHECK(isfinite(ops->score(model, X + i * d)), "row %zu not finite", i);
	p = default_params(42);
	set_option(&ctx, &p, "gamma", 0.25);
	set_option(&ctx, &p, "tol", 1e-6);
	w = model_bytes(&ctx, fit_or_die(&ctx, &p, X, n, d));
	CHECK(get_f64(w.data, 4) == 0.25, "gamma stored as %g", get_f64(w.data, 4));
	/* 'scale' on standardised data: 1 / (d * 1) */
	p = default_params(42);
	w = model_bytes(&ctx, fit_or_die(&ctx, &p, X, n, d));
	CHECK(fabs(get_f64(w.data, 4) - 0.5) < 1e-9, "gamma 'scale' is %g", get_f64(w.data, 4));
}

/* Bad options and unusable data fail with a hint. */
static void
test_errors(void)
{
	an_ctx		ctx = new_ctx();
	an_params	p = default_params(42);
	double		X[] = {1, 2, 3, 4};
	void	   *model = NULL;
	struct
	{
		const char *name;
		double		value;
	}			bad[] = {
		{"nu", 1.5}, {"nu", -0.1}, {"nu", NAN}, {"gamma", -1}, {"gamma", NAN},
		{"gamma", 1e7}, {"max_train", 1}, {"max_train", 100.5}, {"tol", 0},
		{"max_iter", 0},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		ctx.hint[0] = '\0';
		CHECK_STATUS(an_params_set(&ctx, &p, ops, bad[i].name, bad[i].value), AN_ERR_PARAM);
		CHECK(strstr(ctx.hint, bad[i].name) != NULL, "%s %g: hint \"%s\"",
			  bad[i].name, bad[i].value, ctx.hint);
	}
	/* nu = 0 passes the range check but has no solution */
	set_option(&ctx, &p, "nu", 0);
	CHECK_STATUS(ops->fit(&ctx, &p, X, 2, 2, &model), AN_ERR_PARAM);
	CHECK(strstr(ctx.hint, "nu must be greater than 0") != NULL, "hint \"%s\"", ctx.hint);
	p = default_params(42);
	p.values[1] = -1;
	CHECK_STATUS(ops->fit(&ctx, &p, X, 2, 2, &model), AN_ERR_PARAM);
	CHECK(strstr(ctx.hint, "gamma must be") != NULL, "hint \"%s\"", ctx.hint);
	p = default_params(42);
	CHECK_STATUS(ops->fit(&ctx, &p, X, 1, 2, &model), AN_ERR_DATA);
	CHECK(strstr(ctx.hint, "at least 2 rows") != NULL, "hint \"%s\"", ctx.hint);
}

int
main(void)
{
	run("registry", test_registry);
	run("accuracy", test_accuracy);
	run("round trip", test_round_trip);
	run("corrupt", test_corrupt);
	run("determinism", test_determinism);
	run("tiny and huge", test_tiny_and_huge);
	run("explain", test_explain);
	run("options", test_options);
	run("errors", test_errors);
	return finish();
}
