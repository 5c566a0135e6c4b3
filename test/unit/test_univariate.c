/*
 * test_univariate.c - unit tests of the per-feature detectors (hbos, ecod,
 * copod) and of the compact empirical distribution they share (ecdf.h),
 * and of the explanations of these and of an ensemble of them.
 */
#include "an_core.h"
#include "bytes.h"
#include "detector.h"
#include "ecdf.h"
#include "metrics.h"
#include "params.h"
#include "prng.h"

#include "harness.h"
#include "model_check.h"

#define N_INLIERS 500
#define N_OUTLIERS 10
#define N_ROWS (N_INLIERS + N_OUTLIERS)
#define DIMS 4

/* hbos with static bins, hbos with dynamic bins, ecod, copod */
#define N_VARIANTS 4

static const char *const variant_names[N_VARIANTS] = {
	"hbos static", "hbos dynamic", "ecod", "copod"
};

/* The detector of variant v. */
static const an_detector_ops *
variant_ops(int v)
{
	return v < 2 ? &an_hbos_ops : v == 2 ? &an_ecod_ops : &an_copod_ops;
}

/* The default options of variant v. */
static an_params
variant_params(int v)
{
	an_params	p;
	an_ctx		ctx = new_ctx();

	an_params_defaults(&p, variant_ops(v));
	if (v == 1 && an_params_set_word(&ctx, &p, &an_hbos_ops, "bins", "dynamic") != AN_OK)
		CHECK(0, "cannot choose dynamic bins: %s", ctx.message);
	return p;
}

/* Gaussian inliers and outliers 6 units out on every feature; labels set. */
static double *
planted_data(uint8_t *labels)
{
	double	   *X = test_alloc(NULL, sizeof(double) * N_ROWS * DIMS);
	an_prng		r;

	an_prng_seed(&r, 99);
	for (int i = 0; i < N_ROWS; i++)
	{
		labels[i] = i >= N_INLIERS;
		for (int j = 0; j < DIMS; j++)
			X[i * DIMS + j] = an_prng_normal(&r) + (labels[i] ? (j % 2 ? 6 : -6) : 0);
	}
	return X;
}

/* Fit variant v on X; NULL (and a failed check) if fitting fails. */
static void *
fit_variant(an_ctx *ctx, int v, const double *X, size_t n, size_t d)
{
	an_params	p = variant_params(v);
	void	   *model = NULL;
	an_status	st = variant_ops(v)->fit(ctx, &p, X, n, d, &model);

	CHECK(st == AN_OK, "%s fit: %s", variant_names[v], ctx->message);
	return st == AN_OK ? model : NULL;
}

/* The detector bytes of model. */
static unsigned char *
model_bytes(an_ctx *ctx, const an_detector_ops *ops, const void *model, size_t *len)
{
	an_writer	w;

	an_writer_init(&w, ctx, 256);
	ops->write(model, &w);
	*len = w.len;
	return w.data;
}

/* Planted outliers outrank the inliers for every variant. */
static void
test_planted_outliers(void)
{
	uint8_t		labels[N_ROWS];
	double	   *X = planted_data(labels);

	for (int v = 0; v < N_VARIANTS; v++)
	{
		an_ctx		ctx = new_ctx();
		void	   *model = fit_variant(&ctx, v, X, N_ROWS, DIMS);
		double		scores[N_ROWS];
		an_metrics	mt;

		if (model == NULL)
			continue;
		for (int i = 0; i < N_ROWS; i++)
			scores[i] = variant_ops(v)->score(model, X + i * DIMS);
		an_metrics_compute(&ctx, scores, labels, N_ROWS, 0, &mt);
		CHECK(mt.roc_auc > 0.9, "%s: ROC AUC %.4f", variant_names[v], mt.roc_auc);
	}
}

/* Written then read, a model gives bit-identical scores; fits are repeatable. */
static void
test_round_trip_and_determinism(void)
{
	an_prng		r;
	size_t		n = 3000;
	double	   *X = test_alloc(NULL, sizeof(double) * n * DIMS);

	/* enough distinct values for the distributions to be approximated */
	an_prng_seed(&r, 5);
	for (size_t i = 0; i < n * DIMS; i++)
		X[i] = i % DIMS == 3 ? (double) an_prng_below(&r, 7) : an_prng_normal(&r) * 100;
	for (int v = 0; v < N_VARIANTS; v++)
	{
		an_ctx		ctx = new_ctx();
		const an_detector_ops *ops = variant_ops(v);
		void	   *a = fit_variant(&ctx, v, X, n, DIMS);
		void	   *b = fit_variant(&ctx, v, X, n, DIMS);
		void	   *back = NULL;
		size_t		len_a,
					len_b;
		unsigned char *bytes_a,
				   *bytes_b;
		int			same = 1;

		if (a == NULL || b == NULL)
			continue;
		bytes_a = model_bytes(&ctx, ops, a, &len_a);
		bytes_b = model_bytes(&ctx, ops, b, &len_b);
		CHECK(len_a == len_b && memcmp(bytes_a, bytes_b, len_a) == 0,
			  "%s: two fits give different bytes", variant_names[v]);
		CHECK_STATUS(read_model(&ctx, ops, bytes_a, len_a, DIMS, &back), AN_OK);
		if (back == NULL)
			continue;
		for (size_t i = 0; i < n; i++)
		{
			double		x[DIMS];
			double		sa,
						sb;

			/* training rows and points between and beyond them */
			for (int j = 0; j < DIMS; j++)
				x[j] = X[i * DIMS + j] * (i % 3 == 0 ? 1.0 : i % 3 == 1 ? 1.001 : 3.0);
			sa = ops->score(a, x);
			sb = ops->score(back, x);
			same &= memcmp(&sa, &sb, sizeof(double)) == 0 && isfinite(sa);
		}
		CHECK(same, "%s: scores differ after a round trip", variant_names[v]);
		CHECK(isnan(ops->auto_threshold), "%s: auto threshold is not NaN",
			  variant_names[v]);
	}
}

/* Every truncation of a model's bytes is rejected as corrupt. */
static void
test_truncations(void)
{
	uint8_t		labels[N_ROWS];
	double	   *X = planted_data(labels);

	for (int v = 0; v < N_VARIANTS; v++)
	{
		an_ctx		ctx = new_ctx();
		const an_detector_ops *ops = variant_ops(v);
		void	   *model = fit_variant(&ctx, v, X, N_ROWS, DIMS);
		size_t		len;
		unsigned char *bytes;
		int			all_rejected = 1;

		if (model == NULL)
			continue;
		bytes = model_bytes(&ctx, ops, model, &len);
		for (size_t cut = 0; cut < len; cut++)
		{
			void	   *back = NULL;

			all_rejected &= read_model(&ctx, ops, bytes, cut, DIMS, &back) == AN_ERR_CORRUPT;
		}
		CHECK(all_rejected, "%s: a truncation was accepted", variant_names[v]);
		/* a model read for more features than it has runs out of bytes */
		{
			void	   *back = NULL;

			CHECK_STATUS(read_model(&ctx, ops, bytes, len, DIMS + 1, &back), AN_ERR_CORRUPT);
			CHECK_STATUS(ops->read(&ctx, &(an_reader) {bytes, len, 0, 0}, 2, DIMS, &back),
						 AN_ERR_CORRUPT);
		}
	}
}

/* Put a little-endian value of size bytes at offset of a copy of bytes. */
static unsigned char *
patched(const unsigned char *bytes, size_t len, size_t offset, uint64_t value, int size)
{
	unsigned char *copy = test_alloc(NULL, len);

	memcpy(copy, bytes, len);
	for (int i = 0; i < size; i++)
		copy[offset + i] = (unsigned char) (value >> (8 * i));
	return copy;
}

/* The bits of a double. */
static uint64_t
bits_of(double x)
{
	uint64_t	b;

	memcpy(&b, &x, sizeof(b));
	return b;
}

/* Damaged fields of a model of variant v, one feature of 4 rows {1,2,2,3}. */
static void
check_damage(int v, size_t offset, uint64_t value, int size, const char *what)
{
	an_ctx		ctx = new_ctx();
	const an_detector_ops *ops = variant_ops(v);
	double		X[4] = {1, 2, 2, 3};
	void	   *model = fit_variant(&ctx, v, X, 4, 1);
	void	   *back = NULL;
	size_t		len;
	unsigned char *bytes;
	an_status	st;

	if (model == NULL)
		return;
	bytes = model_bytes(&ctx, ops, model, &len);
	CHECK(offset + (size_t) size <= len, "%s: offset %zu out of %zu bytes", what, offset, len);
	if (offset + (size_t) size > len)
		return;
	st = read_model(&ctx, ops, patched(bytes, len, offset, value, size), len, 1, &back);
	CHECK(st == AN_ERR_CORRUPT && ctx.message[0],
		  "%s %s: status %d, expected corrupt", variant_names[v], what, (int) st);
}

/* Damaged fields are rejected with AN_ERR_CORRUPT and a message. */
static void
test_damaged_fields(void)
{
	/*
	 * ecod: n u32 @0, m u32 @4, then knots of 16 bytes: value f64, n_le u32,
	 * n_ge u32; for {1,2,2,3}: (1,1,4) @8, (2,3,3) @24, (3,4,1) @40.
	 */
	check_damage(2, 0, 0, 4, "n 0");
	check_damage(2, 0, 2, 4, "n below the counts");
	check_damage(2, 0, UINT32_MAX, 4, "n huge");
	check_damage(2, 4, 0, 4, "no knot");
	check_damage(2, 4, AN_ECDF_MAX_KNOTS + 1, 4, "too many knots");
	check_damage(2, 4, 4, 4, "more knots than bytes");
	check_damage(2, 24, bits_of(NAN), 8, "NaN value");
	check_damage(2, 24, bits_of(INFINITY), 8, "infinite value");
	check_damage(2, 24, bits_of(0.5), 8, "decreasing value");
	check_damage(2, 24, bits_of(1.0), 8, "repeated value");
	check_damage(2, 32, 5, 4, "n_le above n");
	check_damage(2, 32, 1, 4, "n_le not increasing");
	check_damage(2, 36, 1, 4, "knot not counted on both sides");
	check_damage(2, 16, 2, 4, "first knot above values between");
	check_damage(2, 20, 3, 4, "first knot not the minimum");
	check_damage(2, 48, 3, 4, "last knot not the maximum");
	/* copod: the same after a skewness flag byte */
	check_damage(3, 0, 2, 1, "skewness flag");
	check_damage(3, 1, 0, 4, "n 0");
	check_damage(3, 25, bits_of(NAN), 8, "NaN value");

	/*
	 * hbos: dynamic u8 @0, n u32 @1, alpha f64 @5, tol f64 @13, then per
	 * feature n_bins u32 @21, static edges {min, max} @25 @33, counts @41..
	 */
	check_damage(0, 0, 2, 1, "kind of bins");
	check_damage(0, 1, 0, 4, "n 0");
	check_damage(0, 1, 5, 4, "n not the count total");
	check_damage(0, 5, bits_of(NAN), 8, "NaN alpha");
	check_damage(0, 5, bits_of(0.0), 8, "zero alpha");
	check_damage(0, 13, bits_of(2.0), 8, "tol above 1");
	check_damage(0, 21, 0, 4, "no bin");
	check_damage(0, 21, 1, 4, "one static bin");
	check_damage(0, 21, 100000, 4, "too many bins");
	check_damage(0, 25, bits_of(5.0), 8, "decreasing edges");
	check_damage(0, 33, bits_of(INFINITY), 8, "infinite edge");
	check_damage(0, 41, 7, 4, "counts above n");
	/* dynamic: a bin of no value, the total still right */
	{
		an_ctx		ctx = new_ctx();
		double		X[4] = {1, 2, 2, 3};
		void	   *model = fit_variant(&ctx, 1, X, 4, 1);
		size_t		len;
		unsigned char *bytes;
		uint32_t	k;
		void	   *back = NULL;

		if (model == NULL)
			return;
		bytes = model_bytes(&ctx, &an_hbos_ops, model, &len);
		memcpy(&k, bytes + 21, 4);
		/* move the first bin's count into the second: totals still match */
		{
			unsigned char *copy = patched(bytes, len, 21 + 4 + 8 * (k + 1), 0, 4);
			uint32_t	c1;

			memcpy(&c1, bytes + 21 + 4 + 8 * (k + 1) + 4, 4);
			copy = patched(copy, len, 21 + 4 + 8 * (k + 1) + 4, c1 + 1, 4);
			CHECK_STATUS(read_model(&ctx, &an_hbos_ops, copy, len, 1, &back), AN_ERR_CORRUPT);
		}
	}
}

/* The tails of {1, 2, 2, 3}: counts of the value itself plus one, over n + 1. */
static void
test_ecdf_exact_tails(void)
{
	an_ctx		ctx = new_ctx();
	double		x[4] = {3, 2, 1, 2};
	double		scratch[4];
	an_ecdf		e;
	double		l,
				r;

	an_ecdf_fit(&ctx, x, 4, 1, AN_ECDF_MAX_KNOTS, scratch, &e);
	CHECK(e.m == 3 && e.n == 4, "%u knots of %u values", e.m, e.n);
	an_ecdf_tails(&e, 2, &l, &r);
	CHECK_NEAR(l, -log(4.0 / 5.0), 1e-12);
	CHECK_NEAR(r, -log(4.0 / 5.0), 1e-12);
	an_ecdf_tails(&e, 1.5, &l, &r);
	CHECK_NEAR(l, -log(2.0 / 5.0), 1e-12);
	CHECK_NEAR(r, -log(4.0 / 5.0), 1e-12);
	an_ecdf_tails(&e, 1, &l, &r);
	CHECK_NEAR(l, -log(2.0 / 5.0), 1e-12);
	CHECK_NEAR(r, 0.0, 1e-12);
	an_ecdf_tails(&e, -1e308, &l, &r);
	CHECK_NEAR(l, log(5.0), 1e-12);
	CHECK_NEAR(r, 0.0, 1e-12);
	an_ecdf_tails(&e, 1e308, &l, &r);
	CHECK_NEAR(l, 0.0, 1e-12);
	CHECK_NEAR(r, log(5.0), 1e-12);
	/* -0 is 0 */
	x[0] = 0.0;
	an_ecdf_fit(&ctx, x, 4, 1, AN_ECDF_MAX_KNOTS, scratch, &e);
	an_ecdf_tails(&e, -0.0, &l, &r);
	CHECK_NEAR(l, -log(2.0 / 5.0), 1e-12);
}

/*
 * The floor of a form of the tails: at the median of {1, ..., 9}, and on a
 * distribution of few knots no swept value is below it and one comes close.
 */
static void
test_ecdf_floor(void)
{
	static const double forms[3][4] = {{1, 0, 0, 1}, {0, 1, 0.5, 0.5}, {1, 0, 0.5, 0.5}};
	an_ctx		ctx = new_ctx();
	double		x[5000];
	double		scratch[5000];
	an_ecdf		e;
	an_prng		r;

	for (int i = 0; i < 9; i++)
		x[i] = i + 1;
	an_ecdf_fit(&ctx, x, 9, 1, AN_ECDF_MAX_KNOTS, scratch, &e);
	for (int f = 0; f < 3; f++)
		CHECK_NEAR(an_ecdf_floor(&e, forms[f][0], forms[f][1], forms[f][2], forms[f][3]),
				   log(10.0 / 6.0), 1e-12);
	an_prng_seed(&r, 3);
	for (int i = 0; i < 5000; i++)
		x[i] = an_prng_normal(&r) + (i % 7 == 0 ? 3 * an_prng_normal(&r) : 0);
	an_ecdf_fit(&ctx, x, 5000, 1, 64, scratch, &e);
	for (int f = 0; f < 3; f++)
	{
		const double *k = forms[f];
		double		floor = an_ecdf_floor(&e, k[0], k[1], k[2], k[3]);
		double		least = INFINITY;

		/* a grid, and every knot: the tails count a knot's own value on both sides */
		for (uint32_t i = 0; i <= 200000 + e.m; i++)
		{
			double		l,
						rt;

			an_ecdf_tails(&e, i <= 200000 ? -2 + i * 2e-5 : e.knot[i - 200001].value, &l, &rt);
			least = fmin(least, fmax(k[0] * l + k[1] * rt, k[2] * l + k[3] * rt));
		}
		CHECK(floor <= least + 1e-12 && floor > least - 1e-4,
			  "form %d: floor %.9g, least swept %.9g", f, floor, least);
	}
}

/* With few knots: exact at knots, between the neighbours' limits elsewhere. */
static void
test_ecdf_approximation(void)
{
	an_ctx		ctx = new_ctx();
	size_t		n = 5000;
	double	   *x = test_alloc(NULL, sizeof(double) * n);
	double	   *scratch = test_alloc(NULL, sizeof(double) * n);
	an_ecdf		exact,
				approx;
	an_prng		r;
	double		worst = 0.0,
				bound,
				prev_left = INFINITY,
				prev_right = -1.0;
	int			monotone = 1;

	an_prng_seed(&r, 3);
	for (size_t i = 0; i < n; i++)
		x[i] = exp(an_prng_normal(&r));
	an_ecdf_fit(&ctx, x, n, 1, (uint32_t) n, scratch, &exact);
	an_ecdf_fit(&ctx, x, n, 1, 64, scratch, &approx);
	CHECK(exact.m == n, "exact distribution has %u knots", exact.m);
	CHECK(approx.m <= 64 && approx.m > 32, "approximate distribution has %u knots", approx.m);
	CHECK(approx.knot[0].value == exact.knot[0].value &&
		  approx.knot[approx.m - 1].value == exact.knot[n - 1].value,
		  "the extremes are not knots");
	/* the log-rank step bounds the error of either tail */
	bound = log((double) n / 2.0 + 1.0) / (64 / 2 - 1) + 1e-9;
	for (size_t i = 0; i < n; i++)
	{
		double		le,
					re,
					la,
					ra;

		an_ecdf_tails(&exact, exact.knot[i].value, &le, &re);
		an_ecdf_tails(&approx, exact.knot[i].value, &la, &ra);
		worst = fmax(worst, fmax(fabs(le - la), fabs(re - ra)));
		monotone &= la <= prev_left && ra >= prev_right;
		prev_left = la;
		prev_right = ra;
	}
	CHECK(worst <= bound, "approximation error %.4f above the bound %.4f", worst, bound);
	CHECK(monotone, "approximate tails are not monotone");
	for (uint32_t j = 0; j < approx.m; j++)
	{
		double		le,
					re,
					la,
					ra;

		an_ecdf_tails(&exact, approx.knot[j].value, &le, &re);
		an_ecdf_tails(&approx, approx.knot[j].value, &la, &ra);
		CHECK(le == la && re == ra, "knot %u is not exact", j);
	}
}

/* Static bins: heights as on the range scaled to [0, 1], tol, empty bins. */
static void
test_hbos_static_heights(void)
{
	an_ctx		ctx = new_ctx();
	/* 10 bins over [0, 10]: bin 0 holds 3 values, bin 9 one, bin 5 none */
	double		X[8] = {0, 0.5, 0.9, 2.5, 3.5, 4.5, 7.5, 10};
	void	   *model = fit_variant(&ctx, 0, X, 8, 1);
	double		x;

	if (model == NULL)
		return;
	x = 0.2;
	CHECK_NEAR(an_hbos_ops.score(model, &x), -log(3.0 / 8.0 * 10.0 + 0.1), 1e-12);
	x = 9.5;
	CHECK_NEAR(an_hbos_ops.score(model, &x), -log(1.0 / 8.0 * 10.0 + 0.1), 1e-12);
	x = 5.5;
	CHECK_NEAR(an_hbos_ops.score(model, &x), -log(0.1), 1e-12);
	/* within tol = 0.5 bin widths beyond the range: the edge bin */
	x = 10.4;
	CHECK_NEAR(an_hbos_ops.score(model, &x), -log(1.0 / 8.0 * 10.0 + 0.1), 1e-12);
	x = -0.4;
	CHECK_NEAR(an_hbos_ops.score(model, &x), -log(3.0 / 8.0 * 10.0 + 0.1), 1e-12);
	/* farther: an empty bin */
	x = 10.6;
	CHECK_NEAR(an_hbos_ops.score(model, &x), -log(0.1), 1e-12);
	x = -1e308;
	CHECK_NEAR(an_hbos_ops.score(model, &x), -log(0.1), 1e-12);
}

/* Dynamic bins keep equal values together and normalise the top height to 1. */
static void
test_hbos_dynamic_bins(void)
{
	an_ctx		ctx = new_ctx();
	an_params	p = variant_params(1);
	/* two bins wanted; the run of 2s cannot be split */
	double		X[6] = {1, 2, 2, 2, 2, 9};
	void	   *model = NULL;
	unsigned char *bytes;
	size_t		len;
	uint32_t	k;
	double		x;

	p.values[1] = 2;
	CHECK_STATUS(an_hbos_ops.fit(&ctx, &p, X, 6, 1, &model), AN_OK);
	if (model == NULL)
		return;
	bytes = model_bytes(&ctx, &an_hbos_ops, model, &len);
	memcpy(&k, bytes + 21, 4);
	CHECK(k == 2, "%u dynamic bins", k);
	/* bins [1, 5.5) with 5 values and [5.5, 9] with 1: densities 5/4.5, 1/3.5 */
	x = 2;
	CHECK_NEAR(an_hbos_ops.score(model, &x), -log(1.0 + 0.1), 1e-12);
	x = 8;
	CHECK_NEAR(an_hbos_ops.score(model, &x), -log((1.0 / 3.5) / (5.0 / 4.5) + 0.1), 1e-12);
	x = 100;
	CHECK_NEAR(an_hbos_ops.score(model, &x), -log(0.1), 1e-12);
}

/* COPOD takes the largest of the left, right and skew-corrected sums. */
static void
test_copod_sums(void)
{
	an_ctx		ctx = new_ctx();
	/* feature 0 skewed right (long right tail), feature 1 skewed left */
	double		X[10] = {0, 0, 1, -1, 2, -2, 3, -3, 50, -50};
	void	   *model = fit_variant(&ctx, 3, X, 5, 2);
	double		x[2] = {60, -60};
	double		l = log(6.0);

	if (model == NULL)
		return;
	/* right tail of feature 0 and left tail of feature 1: the skew sum */
	CHECK_NEAR(an_copod_ops.score(model, x), 2 * l, 1e-12);
	/* against the skew of both: left sum 0 + log 6, right sum log 6 + 0 */
	x[0] = -60;
	x[1] = 60;
	CHECK_NEAR(an_copod_ops.score(model, x), l, 1e-12);
	/* ecod takes each feature's larger tail either way */
	model = fit_variant(&ctx, 2, X, 5, 2);
	if (model != NULL)
		CHECK_NEAR(an_ecod_ops.score(model, x), 2 * l, 1e-12);
}

/* Two rows, duplicates, a constant column and huge values stay finite. */
static void
test_tiny_and_huge(void)
{
	double		two[4] = {1, 5, 2, 5};
	double		dup[6] = {3, 3, 3, 3, 3, 3};
	double		huge[6] = {-1e308, 1e308, 1e308, -1e308, 0, 5e-324};
	double		probes[][2] = {{1, 5}, {2, 5}, {1.5, 5}, {1e308, -1e308},
	{-1e308, 1e308}, {0, 0}, {5e-324, -5e-324}};

	for (int v = 0; v < N_VARIANTS; v++)
	{
		an_ctx		ctx = new_ctx();
		void	   *m_two = fit_variant(&ctx, v, two, 2, 2);
		void	   *m_dup = fit_variant(&ctx, v, dup, 3, 2);
		void	   *m_huge = fit_variant(&ctx, v, huge, 3, 2);
		int			finite = 1;
		double		same,
					other;

		if (m_two == NULL || m_dup == NULL || m_huge == NULL)
			continue;
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
			finite &= isfinite(variant_ops(v)->score(m_two, probes[i])) &&
				isfinite(variant_ops(v)->score(m_dup, probes[i])) &&
				isfinite(variant_ops(v)->score(m_huge, probes[i]));
		CHECK(finite, "%s: a score is not finite", variant_names[v]);
		/* a value a constant column never had scores higher */
		same = variant_ops(v)->score(m_dup, dup);
		other = variant_ops(v)->score(m_dup, probes[0]);
		CHECK(other > same, "%s: constant column: %g is not above %g",
			  variant_names[v], other, same);
	}
}

/* Contributions of x under a model of d features (at most DIMS). */
static void
explain_of(an_ctx *ctx, const an_detector_ops *ops, const void *model,
		   const double *x, size_t d, double *contrib)
{
	memset(contrib, 0, sizeof(double) * d);
	CHECK(ops->explain(ctx, model, x, d, contrib) == AN_OK, "%s explain: %s",
		  ops->name, ctx->message);
}

/* Gaussian inliers and outliers shift units out on feature 2 only. */
static double *
one_feature_data(double shift)
{
	double	   *X = test_alloc(NULL, sizeof(double) * N_ROWS * DIMS);
	an_prng		r;

	an_prng_seed(&r, 5);
	for (int i = 0; i < N_ROWS; i++)
		for (int j = 0; j < DIMS; j++)
			X[i * DIMS + j] = an_prng_normal(&r) + (i >= N_INLIERS && j == 2 ? shift : 0);
	return X;
}

/*
 * Each variant's contributions are non-negative and split its score
 * exactly: they sum to the score less one constant of the model, which a
 * feature at its most typical value reaches (contribution 0).  A value far
 * out on one feature is blamed on that feature.
 */
static void
test_explain_splits_score(void)
{
	uint8_t		labels[N_ROWS];
	double	   *X = planted_data(labels);

	for (int v = 0; v < N_VARIANTS; v++)
	{
		an_ctx		ctx = new_ctx();
		const an_detector_ops *ops = variant_ops(v);
		void	   *model = fit_variant(&ctx, v, X, N_ROWS, DIMS);
		double		offset = 0,
					least = INFINITY;
		int			ok = 1;

		if (model == NULL)
			continue;
		for (int i = 0; i < N_ROWS; i++)
		{
			double		c[DIMS],
						sum = 0;

			explain_of(&ctx, ops, model, X + i * DIMS, DIMS, c);
			for (int j = 0; j < DIMS; j++)
			{
				ok &= c[j] >= 0 && isfinite(c[j]);
				sum += c[j];
			}
			if (i == 0)
				offset = ops->score(model, X) - sum;
			CHECK(fabs(ops->score(model, X + i * DIMS) - sum - offset) < 1e-9,
				  "%s row %d: score %.12g, contributions %.12g, offset %.12g",
				  variant_names[v], i, ops->score(model, X + i * DIMS), sum, offset);
		}
		CHECK(ok, "%s: a contribution is negative or not finite", variant_names[v]);
		/*
		 * sweeping feature 1 over its range comes within a step of its least
		 * term, 0 (a tail's slope there is about 2 per unit, the step 0.002)
		 */
		for (int k = 0; k <= 4000; k++)
		{
			double		x[DIMS] = {0, -4 + k * 0.002, 0, 0},
						c[DIMS];

			explain_of(&ctx, ops, model, x, DIMS, c);
			least = fmin(least, c[1]);
		}
		CHECK(least < 0.005, "%s: least contribution %g", variant_names[v], least);
		/* far out on feature 3, also beyond the largest doubles */
		for (int k = 0; k < 2; k++)
		{
			double		x[DIMS] = {0.1, -0.2, 0.3, k ? 1e308 : 40},
						c[DIMS];

			explain_of(&ctx, ops, model, x, DIMS, c);
			CHECK(c[3] > c[0] && c[3] > c[1] && c[3] > c[2] && isfinite(c[3]),
				  "%s: far value not blamed: %g %g %g %g", variant_names[v],
				  c[0], c[1], c[2], c[3]);
		}
	}
}

/*
 * An ensemble of members that explain (hbos, ecod, copod, zscore,
 * mahalanobis): every combine rule blames the one shifted feature, and the
 * contributions sum to the ensemble's score.
 */
static void
test_ensemble_explain(void)
{
	static const char *const rules[] = {"mean", "max", "tail"};
	static const char *const off[] = {"iforest", "knn"};
	static const char *const on[] = {"hbos", "copod", "zscore"};
	double	   *X = one_feature_data(8);

	for (int rule = 0; rule < 3; rule++)
	{
		an_ctx		ctx = new_ctx();
		an_params	p;
		void	   *model = NULL;
		int			blamed = 0;

		an_params_defaults(&p, &an_ensemble_ops);
		for (int k = 0; k < 2; k++)
			CHECK_STATUS(an_params_set(&ctx, &p, &an_ensemble_ops, off[k], 0), AN_OK);
		for (int k = 0; k < 3; k++)
			CHECK_STATUS(an_params_set(&ctx, &p, &an_ensemble_ops, on[k], 1), AN_OK);
		CHECK_STATUS(an_params_set_word(&ctx, &p, &an_ensemble_ops, "combine", rules[rule]),
					 AN_OK);
		CHECK_STATUS(an_ensemble_ops.fit(&ctx, &p, X, N_ROWS, DIMS, &model), AN_OK);
		if (model == NULL)
			continue;
		for (int i = 0; i < N_ROWS; i++)
		{
			double		c[DIMS],
						sum = 0,
						score = an_ensemble_ops.score(model, X + i * DIMS);
			int			top = 0;

			explain_of(&ctx, &an_ensemble_ops, model, X + i * DIMS, DIMS, c);
			for (int j = 0; j < DIMS; j++)
			{
				CHECK(c[j] >= 0 && isfinite(c[j]), "%s: contribution %g", rules[rule], c[j]);
				sum += c[j];
				top = c[j] > c[top] ? j : top;
			}
			CHECK(fabs(sum - score) <= 1e-9 * fmax(1, score),
				  "%s row %d: contributions sum to %.12g, score %.12g", rules[rule], i, sum, score);
			blamed += i >= N_INLIERS && top == 2;
		}
		CHECK(blamed == N_OUTLIERS, "%s: %d of %d outliers blame feature 2", rules[rule],
			  blamed, N_OUTLIERS);
	}
}

/* Errors: too few rows, and options out of range, each with a hint. */
static void
test_errors(void)
{
	double		X[2] = {1, 2};

	for (int v = 0; v < N_VARIANTS; v++)
	{
		an_ctx		ctx = new_ctx();
		an_params	p = variant_params(v);
		void	   *model = NULL;

		CHECK_STATUS(variant_ops(v)->fit(&ctx, &p, X, 1, 2, &model), AN_ERR_DATA);
		CHECK(strstr(ctx.hint, "at least 2 rows") != NULL, "hint \"%s\"", ctx.hint);
	}
	{
		an_ctx		ctx = new_ctx();
		an_params	p;

		an_params_defaults(&p, &an_hbos_ops);
		CHECK_STATUS(an_params_set(&ctx, &p, &an_hbos_ops, "n_bins", 1), AN_ERR_PARAM);
		CHECK(strstr(ctx.hint, "from 2 to 1024") != NULL, "hint \"%s\"", ctx.hint);
		CHECK_STATUS(an_params_set(&ctx, &p, &an_hbos_ops, "alpha", 0), AN_ERR_PARAM);
		CHECK(strstr(ctx.hint, "alpha") != NULL, "hint \"%s\"", ctx.hint);
		CHECK_STATUS(an_params_set(&ctx, &p, &an_hbos_ops, "tol", 1.5), AN_ERR_PARAM);
		CHECK(strstr(ctx.hint, "tol") != NULL, "hint \"%s\"", ctx.hint);
		CHECK_STATUS(an_params_set_word(&ctx, &p, &an_hbos_ops, "bins", "auto"), AN_ERR_PARAM);
		CHECK(strstr(ctx.hint, "\"static\", \"dynamic\"") != NULL, "hint \"%s\"", ctx.hint);
		CHECK_STATUS(an_params_set(&ctx, &p, &an_ecod_ops, "n_bins", 10), AN_ERR_PARAM);
	}
}

/*
 * A member that cannot fit fails the ensemble with the member's own hint
 * behind the member's name: the ensemble's hint quotes the hint it replaces.
 */
static void
test_ensemble_member_error(void)
{
	double		X[2 * DIMS] = {0, 1, 2, 3, 1, 2, 3, 5};
	an_ctx		ctx = new_ctx();
	an_params	ep,
				kp;
	void	   *model = NULL;
	char		wanted[2 * AN_MSG_MAX];

	an_params_defaults(&ep, &an_ensemble_ops);
	CHECK_STATUS(an_params_set(&ctx, &ep, &an_ensemble_ops, "knn", 1), AN_OK);
	an_params_defaults(&kp, &an_knn_ops);
	memcpy(kp.common, ep.common, sizeof(kp.common));
	CHECK_STATUS(an_knn_ops.fit(&ctx, &kp, X, 2, DIMS, &model), AN_ERR_DATA);
	CHECK(ctx.hint[0] != '\0', "knn on 2 rows gave no hint");
	snprintf(wanted, sizeof(wanted), "ensemble member knn: %s", ctx.hint);
	wanted[AN_MSG_MAX - 1] = '\0';	/* as long as a hint can be */

	ctx = new_ctx();
	CHECK_STATUS(an_ensemble_ops.fit(&ctx, &ep, X, 2, DIMS, &model), AN_ERR_DATA);
	CHECK(strcmp(ctx.hint, wanted) == 0, "hint \"%s\", expected \"%s\"", ctx.hint, wanted);
}

int
main(void)
{
	run("planted outliers", test_planted_outliers);
	run("round trip and determinism", test_round_trip_and_determinism);
	run("truncations", test_truncations);
	run("damaged fields", test_damaged_fields);
	run("ecdf exact tails", test_ecdf_exact_tails);
	run("ecdf approximation", test_ecdf_approximation);
	run("ecdf floor", test_ecdf_floor);
	run("hbos static heights", test_hbos_static_heights);
	run("hbos dynamic bins", test_hbos_dynamic_bins);
	run("copod sums", test_copod_sums);
	run("tiny and huge", test_tiny_and_huge);
	run("explanations split the score", test_explain_splits_score);
	run("ensemble explanations", test_ensemble_explain);
	run("errors", test_errors);
	run("ensemble member error", test_ensemble_member_error);
	return finish();
}
