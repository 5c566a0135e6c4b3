/*
 * test_robust.c - unit tests of the robust-statistics detectors (zscore,
 * mahalanobis) and of what they share: robust_scale.h (median, robust
 * spread, selection) and linalg.h (Cholesky, triangular inverse).
 */
#include "an_core.h"
#include "bytes.h"
#include "detector.h"
#include "linalg.h"
#include "metrics.h"
#include "params.h"
#include "prng.h"
#include "robust_scale.h"

#include "harness.h"
#include "model_check.h"

#define N_INLIERS 600
#define N_OUTLIERS 12
#define N_ROWS (N_INLIERS + N_OUTLIERS)
#define DIMS 4

/* zscore with sum, zscore with max, mahalanobis */
#define N_VARIANTS 3

static const char *const variant_names[N_VARIANTS] = {
	"zscore sum", "zscore max", "mahalanobis"
};

/* The detector of variant v. */
static const an_detector_ops *
variant_ops(int v)
{
	return v < 2 ? &an_zscore_ops : &an_mahalanobis_ops;
}

/* The default options of variant v with the given seed. */
static an_params
variant_params(int v, double seed)
{
	an_params	p;
	an_ctx		ctx = new_ctx();

	an_params_defaults(&p, variant_ops(v));
	p.common[AN_P_SEED] = seed;
	if (v < 2 && an_params_set_word(&ctx, &p, &an_zscore_ops, "combine",
									v == 0 ? "sum" : "max") != AN_OK)
		CHECK(0, "cannot choose combine: %s", ctx.message);
	return p;
}

/* Gaussian inliers, outliers 6 units out on every feature; labels set. */
static double *
planted_data(uint8_t *labels, size_t n_in, size_t n_out)
{
	double	   *X = test_alloc(NULL, sizeof(double) * (n_in + n_out) * DIMS);
	an_prng		r;

	an_prng_seed(&r, 99);
	for (size_t i = 0; i < n_in + n_out; i++)
	{
		labels[i] = i >= n_in;
		for (int j = 0; j < DIMS; j++)
			X[i * DIMS + j] = an_prng_normal(&r) + (labels[i] ? (j % 2 ? 6 : -6) : 0);
	}
	return X;
}

/* Fit variant v on X; NULL (and a failed check) if fitting fails. */
static void *
fit_variant(an_ctx *ctx, int v, const double *X, size_t n, size_t d)
{
	an_params	p = variant_params(v, 42);
	void	   *model = NULL;
	an_status	st = variant_ops(v)->fit(ctx, &p, X, n, d, &model);

	CHECK(st == AN_OK, "%s fit: %s", variant_names[v], ctx->message);
	return st == AN_OK ? model : NULL;
}

/* A recorded copy of n bytes. */
static unsigned char *
dup_bytes(const unsigned char *src, size_t n)
{
	unsigned char *p = test_alloc(NULL, n ? n : 1);

	memcpy(p, src, n);
	return p;
}

/* The detector bytes of model. */
static unsigned char *
model_bytes(an_ctx *ctx, const an_detector_ops *ops, const void *model, size_t *len)
{
	an_writer	w;

	an_writer_init(&w, ctx, 64);
	ops->write(model, &w);
	*len = w.len;
	return w.data;
}

/* ROC AUC of model's scores on X against labels. */
static double
auc_of(an_ctx *ctx, const an_detector_ops *ops, const void *model,
	   const double *X, const uint8_t *labels, size_t n, size_t d)
{
	double	   *scores = test_alloc(NULL, sizeof(double) * n);
	an_metrics	m;

	for (size_t i = 0; i < n; i++)
		scores[i] = ops->score(model, X + i * d);
	an_metrics_compute(ctx, scores, labels, n, INFINITY, &m);
	return m.roc_auc;
}

/* ------------------------------------------------------------------ */
/* robust_scale.h and linalg.h */

/* Selection agrees with sorting, with and without ties. */
static void
test_select(void)
{
	an_prng		r;
	double		v[101],
				w[101];

	an_prng_seed(&r, 5);
	for (int trial = 0; trial < 200; trial++)
	{
		size_t		n = 1 + (size_t) an_prng_below(&r, 101);
		size_t		k = (size_t) an_prng_below(&r, n);
		int			below = 0,
					equal = 0;

		for (size_t i = 0; i < n; i++)
			v[i] = trial % 2 ? (double) an_prng_below(&r, 4) : an_prng_normal(&r);
		memcpy(w, v, sizeof(double) * n);
		{
			double		got = an_select_kth(w, n, k);

			for (size_t i = 0; i < n; i++)
			{
				below += v[i] < got;
				equal += v[i] == got;
			}
			CHECK((size_t) below <= k && (size_t) (below + equal) > k,
				  "trial %d: k=%zu of %zu, %d below, %d equal", trial, k, n, below, equal);
		}
	}
}

/* Median, MAD, the mean-deviation fallback and the tiny spread. */
static void
test_robust_scale(void)
{
	double		odd[] = {5, 1, 3, 100, 2};
	double		even[] = {4, 1, 3, 2};
	double		spiky[] = {0, 0, 0, 0, 0, 0, 4, 8};
	double		flat[] = {7, 7, 7};
	double		scratch[8],
				med,
				spread;

	an_robust_scale(odd, 5, 1, 0, scratch, &med, &spread);
	CHECK_NEAR(med, 3, 0);
	/* deviations 2 2 0 97 1: MAD 2 */
	CHECK_NEAR(spread, AN_MAD_TO_SD * 2, 1e-12);
	an_robust_scale(even, 4, 1, 0, scratch, &med, &spread);
	CHECK_NEAR(med, 2.5, 0);
	CHECK_NEAR(spread, AN_MAD_TO_SD * 1, 1e-12);
	/* MAD 0: 1.2533 times the mean absolute deviation 12 / 8 */
	an_robust_scale(spiky, 8, 1, 0, scratch, &med, &spread);
	CHECK_NEAR(med, 0, 0);
	CHECK_NEAR(spread, AN_MEAN_AD_TO_SD * 1.5, 1e-12);
	an_robust_scale(flat, 3, 1, 0, scratch, &med, &spread);
	CHECK_NEAR(spread, AN_TINY_SPREAD * 7, 1e-20);
	/* a column of the largest doubles: the spread stays finite */
	{
		double		huge[] = {-1.7e308, 1.7e308, -1.7e308, 1.7e308};

		an_robust_scale(huge, 4, 1, 0, scratch, &med, &spread);
		CHECK(isfinite(spread) && spread > 0 && isfinite(1.0 / spread),
			  "spread %g", spread);
	}
}

/* Cholesky of a known matrix, its inverse factor, and a semidefinite rank. */
static void
test_linalg(void)
{
	/* [[4, 2, 0], [2, 5, 3], [0, 3, 10]] = L L', L = [[2], [1, 2], [0, 1.5, sqrt(7.75)]] */
	double		a[6] = {4, 2, 5, 0, 3, 10};
	double		inv_diag[3],
				z[3] = {2, 3, 4};
	double		singular[6] = {1, 1, 1, 0, 0, 0};

	CHECK(an_cholesky(a, 3, 0, inv_diag) == 0, "factor");
	CHECK_NEAR(a[0], 2, 1e-15);
	CHECK_NEAR(a[1], 1, 1e-15);
	CHECK_NEAR(a[2], 2, 1e-15);
	CHECK_NEAR(a[4], 1.5, 1e-15);
	CHECK_NEAR(a[5], sqrt(7.75), 1e-15);
	CHECK_NEAR(an_cholesky_logdet(inv_diag, 3), log(4.0 * 4.0 * 7.75), 1e-12);
	/* W = L^-1: W L = I, and |W z|^2 = |y|^2 for L y = z */
	{
		double		w[6];
		double		y0 = 1,
					y1 = (3 - 1) / 2.0,
					y2 = (4 - 1.5 * y1) / sqrt(7.75);
		double		sq;

		an_triangular_inverse(a, inv_diag, 3, w);
		for (size_t i = 0; i < 3; i++)
			for (size_t j = 0; j <= i; j++)
			{
				double		e = 0;

				for (size_t k = j; k <= i; k++)
					e += w[an_packed_index(i, k)] * a[an_packed_index(k, j)];
				CHECK_NEAR(e, i == j ? 1.0 : 0.0, 1e-12);
			}
		sq = an_packed_apply_sq(w, z, 3);
		CHECK_NEAR(sq, y0 * y0 + y1 * y1 + y2 * y2, 1e-12);
		/* W' W z and diag(W' W), against the products written out */
		{
			double		pz[3],
						diag[3];

			an_packed_gram_apply(w, z, 3, pz, diag);
			for (size_t j = 0; j < 3; j++)
			{
				double		want = 0,
							want_diag = 0;

				for (size_t i = j; i < 3; i++)
				{
					double		wz = 0;

					for (size_t k = 0; k <= i; k++)
						wz += w[an_packed_index(i, k)] * z[k];
					want += w[an_packed_index(i, j)] * wz;
					want_diag += w[an_packed_index(i, j)] * w[an_packed_index(i, j)];
				}
				CHECK_NEAR(pz[j], want, 1e-12);
				CHECK_NEAR(diag[j], want_diag, 1e-12);
			}
		}
	}
	/* [[1, 1, 0], [1, 1, 0], [0, 0, 0]] has rank 1 */
	CHECK(an_cholesky(singular, 3, 1e-12, inv_diag) == -1, "singular refused");
	{
		double		again[6] = {1, 1, 1, 0, 0, 0};

		CHECK(an_cholesky_semidefinite(again, 3, 1e-12, inv_diag) == 1, "rank 1");
		CHECK(inv_diag[1] == 0 && inv_diag[2] == 0, "null directions zeroed");
	}
}

/* ------------------------------------------------------------------ */
/* the detectors */

/* Planted outliers score above inliers, for small and nested-scheme n. */
static void
test_planted_outliers(void)
{
	size_t		sizes[2][2] = {{N_INLIERS, N_OUTLIERS}, {3000, 60}};

	for (int s = 0; s < 2; s++)
	{
		size_t		n = sizes[s][0] + sizes[s][1];
		uint8_t    *labels = test_alloc(NULL, n);
		double	   *X = planted_data(labels, sizes[s][0], sizes[s][1]);

		for (int v = 0; v < N_VARIANTS; v++)
		{
			an_ctx		ctx = new_ctx();
			void	   *m = fit_variant(&ctx, v, X, n, DIMS);

			if (m)
			{
				double		auc = auc_of(&ctx, variant_ops(v), m, X, labels, n, DIMS);

				CHECK(auc > 0.9, "%s n=%zu: AUC %g", variant_names[v], n, auc);
			}
		}
	}
}

/* Outliers that break a correlation, with every feature ordinary on its own:
 * mahalanobis finds them. */
static void
test_correlated_outliers(void)
{
	an_ctx		ctx = new_ctx();
	size_t		n = 1000;
	double	   *X = test_alloc(NULL, sizeof(double) * n * 2);
	uint8_t    *labels = test_alloc(NULL, n);
	an_prng		r;
	void	   *m;

	an_prng_seed(&r, 11);
	for (size_t i = 0; i < n; i++)
	{
		double		u = an_prng_normal(&r);

		labels[i] = i >= 980;
		X[i * 2] = u;
		X[i * 2 + 1] = u + 0.05 * an_prng_normal(&r);
		if (labels[i])
		{
			/* (1.5, -1.5) or (-1.5, 1.5): off the line x2 = x1 */
			X[i * 2] = i % 2 ? 1.5 : -1.5;
			X[i * 2 + 1] = -X[i * 2];
		}
	}
	m = fit_variant(&ctx, 2, X, n, 2);
	if (m)
	{
		double		auc = auc_of(&ctx, &an_mahalanobis_ops, m, X, labels, n, 2);

		CHECK(auc > 0.99, "mahalanobis AUC %g on broken correlations", auc);
	}
}

/* Clean normal data: the reweighted MCD is consistent, about 2.5% of rows
 * pass the chi-square(d) 0.975 quantile and the median score is near its
 * 0.5 quantile. */
static void
test_consistency(void)
{
	an_ctx		ctx = new_ctx();
	size_t		n = 4000,
				d = 3;
	double	   *X = test_alloc(NULL, sizeof(double) * n * d);
	double	   *scores = test_alloc(NULL, sizeof(double) * n);
	an_prng		r;
	void	   *m;
	size_t		above = 0;

	an_prng_seed(&r, 12);
	for (size_t i = 0; i < n * d; i++)
		X[i] = 10 + 3 * an_prng_normal(&r);
	m = fit_variant(&ctx, 2, X, n, d);
	if (m == NULL)
		return;
	for (size_t i = 0; i < n; i++)
	{
		scores[i] = an_mahalanobis_ops.score(m, X + i * d);
		above += scores[i] > 9.348404;	/* chi2_3(0.975) */
	}
	CHECK(above > n / 100 && above < n / 20, "%zu of %zu above chi2_3(0.975)", above, n);
	CHECK_NEAR(an_median(scores, n), 2.365974, 0.3);
}

/* Written then read, a model gives bit-identical scores. */
static void
test_round_trip(void)
{
	uint8_t		labels[N_ROWS];
	double	   *X = planted_data(labels, N_INLIERS, N_OUTLIERS);

	for (int v = 0; v < N_VARIANTS; v++)
	{
		an_ctx		ctx = new_ctx();
		void	   *m = fit_variant(&ctx, v, X, N_ROWS, DIMS);
		void	   *back = NULL;
		size_t		len;
		unsigned char *bytes;
		int			same = 1;

		if (m == NULL)
			continue;
		bytes = model_bytes(&ctx, variant_ops(v), m, &len);
		CHECK_STATUS(read_model(&ctx, variant_ops(v), bytes, len, DIMS, &back), AN_OK);
		if (back == NULL)
			continue;
		for (int i = 0; i < N_ROWS; i++)
		{
			double		a = variant_ops(v)->score(m, X + i * DIMS);
			double		b = variant_ops(v)->score(back, X + i * DIMS);

			same &= memcmp(&a, &b, sizeof(double)) == 0;
		}
		CHECK(same, "%s: scores differ after a round trip", variant_names[v]);
	}
}

/* Every truncation of the bytes is refused as corrupt. */
static void
test_truncations(void)
{
	uint8_t		labels[N_ROWS];
	double	   *X = planted_data(labels, N_INLIERS, N_OUTLIERS);

	for (int v = 0; v < N_VARIANTS; v++)
	{
		an_ctx		ctx = new_ctx();
		void	   *m = fit_variant(&ctx, v, X, N_ROWS, DIMS);
		size_t		len;
		unsigned char *bytes;
		int			refused = 0;

		if (m == NULL)
			continue;
		bytes = model_bytes(&ctx, variant_ops(v), m, &len);
		for (size_t cut = 0; cut < len; cut++)
		{
			unsigned char *part = dup_bytes(bytes, cut);
			void	   *back = NULL;

			refused += read_model(&ctx, variant_ops(v), part, cut, DIMS, &back) == AN_ERR_CORRUPT;
		}
		CHECK(refused == (int) len, "%s: %d of %zu truncations refused",
			  variant_names[v], refused, len);
	}
}

/* Put the double v at byte offset at. */
static void
poke_f64(unsigned char *bytes, size_t at, double v)
{
	uint64_t	u;

	memcpy(&u, &v, 8);
	for (int i = 0; i < 8; i++)
		bytes[at + i] = (unsigned char) (u >> (8 * i));
}

/* Damaged fields are refused as corrupt. */
static void
test_corrupt_fields(void)
{
	uint8_t		labels[N_ROWS];
	double	   *X = planted_data(labels, N_INLIERS, N_OUTLIERS);
	an_ctx		ctx = new_ctx();
	void	   *z = fit_variant(&ctx, 0, X, N_ROWS, DIMS);
	void	   *mh = fit_variant(&ctx, 2, X, N_ROWS, DIMS);
	size_t		zlen,
				mlen;
	unsigned char *zbytes,
			   *mbytes;
	void	   *back;
	an_reader	r;
	/* zscore: u32 combine, then (median, 1 / spread) per feature */
	struct
	{
		size_t		at;
		double		v;
	}			zbad[] = {{4, NAN}, {4, INFINITY}, {12, 0}, {12, -1}, {12, INFINITY}, {12, NAN}, {12, 1e301}};
	/* mahalanobis: (center, 1 / spread) per feature, then the packed factor */
	struct
	{
		size_t		at;
		double		v;
	}			mbad[] = {{0, NAN}, {8, 0}, {8, -2}, {8, INFINITY},
		{16 * DIMS, 0}, {16 * DIMS, -1}, {16 * DIMS + 8, INFINITY}, {16 * DIMS + 8, NAN},
		{16 * DIMS + 16, -0.0}};

	if (z == NULL || mh == NULL)
		return;
	zbytes = model_bytes(&ctx, &an_zscore_ops, z, &zlen);
	mbytes = model_bytes(&ctx, &an_mahalanobis_ops, mh, &mlen);
	for (size_t i = 0; i < sizeof(zbad) / sizeof(zbad[0]); i++)
	{
		unsigned char *b = dup_bytes(zbytes, zlen);

		poke_f64(b, zbad[i].at, zbad[i].v);
		CHECK_STATUS(read_model(&ctx, &an_zscore_ops, b, zlen, DIMS, &back), AN_ERR_CORRUPT);
	}
	for (size_t i = 0; i < sizeof(mbad) / sizeof(mbad[0]); i++)
	{
		unsigned char *b = dup_bytes(mbytes, mlen);

		poke_f64(b, mbad[i].at, mbad[i].v);
		CHECK_STATUS(read_model(&ctx, &an_mahalanobis_ops, b, mlen, DIMS, &back), AN_ERR_CORRUPT);
	}
	/* an unknown combine rule */
	{
		unsigned char *b = dup_bytes(zbytes, zlen);

		b[0] = 2;
		CHECK_STATUS(read_model(&ctx, &an_zscore_ops, b, zlen, DIMS, &back), AN_ERR_CORRUPT);
		b[0] = 0;
		b[3] = 0x80;
		CHECK_STATUS(read_model(&ctx, &an_zscore_ops, b, zlen, DIMS, &back), AN_ERR_CORRUPT);
	}
	/* more features than the bytes hold, none, too many; an unknown layout */
	for (int v = 0; v < 2; v++)
	{
		const an_detector_ops *ops = v ? &an_mahalanobis_ops : &an_zscore_ops;
		unsigned char *b = v ? mbytes : zbytes;
		size_t		len = v ? mlen : zlen;

		CHECK_STATUS(read_model(&ctx, ops, b, len, DIMS + 1, &back), AN_ERR_CORRUPT);
		CHECK_STATUS(read_model(&ctx, ops, b, len, 0, &back), AN_ERR_CORRUPT);
		CHECK_STATUS(read_model(&ctx, ops, b, len, AN_MAX_COLUMNS + 1, &back), AN_ERR_CORRUPT);
		an_reader_init(&r, b, len);
		CHECK_STATUS(ops->read(&ctx, &r, 2, DIMS, &back), AN_ERR_CORRUPT);
	}
}

/* The same seed gives the same model bytes. */
static void
test_determinism(void)
{
	size_t		n = 2000;
	uint8_t    *labels = test_alloc(NULL, n);
	double	   *X = planted_data(labels, n - 40, 40);

	for (int v = 0; v < N_VARIANTS; v++)
	{
		an_ctx		ctx = new_ctx();
		void	   *a = fit_variant(&ctx, v, X, n, DIMS);
		void	   *b = fit_variant(&ctx, v, X, n, DIMS);
		size_t		alen,
					blen;
		unsigned char *abytes,
				   *bbytes;

		if (a == NULL || b == NULL)
			continue;
		abytes = model_bytes(&ctx, variant_ops(v), a, &alen);
		bbytes = model_bytes(&ctx, variant_ops(v), b, &blen);
		CHECK(alen == blen && memcmp(abytes, bbytes, alen) == 0,
			  "%s: two fits differ", variant_names[v]);
	}
}

/* The score of x under a fresh fit of variant v on X is finite; returns it. */
static double
finite_score(int v, const double *X, size_t n, size_t d, const double *x)
{
	an_ctx		ctx = new_ctx();
	void	   *m = fit_variant(&ctx, v, X, n, d);
	double		s;

	if (m == NULL)
		return NAN;
	s = variant_ops(v)->score(m, x);
	CHECK(isfinite(s) && s >= 0, "%s: score %g", variant_names[v], s);
	return s;
}

/* 2 rows, duplicated rows, a constant column, an exact linear combination. */
static void
test_tiny_and_degenerate(void)
{
	double		two[] = {1, 2};
	double		dup[] = {3, 4, 3, 4, 3, 4, 3, 4};
	double		constant[] = {1, 5, 2, 5, 3, 5, 4, 5, 2.5, 5, 1.5, 5};
	double		x[3] = {100, -100, 7};
	double		plain[2] = {2.5, 5};
	double		combo[60 * 3];
	an_prng		r;

	for (int v = 0; v < N_VARIANTS; v++)
	{
		finite_score(v, two, 2, 1, x);
		finite_score(v, dup, 4, 2, x);
		finite_score(v, dup, 4, 2, dup);
		/* a value off a constant column is far out, an ordinary row is not */
		CHECK(finite_score(v, constant, 6, 2, x) > 1e3, "%s: off a constant column",
			  variant_names[v]);
		CHECK(finite_score(v, constant, 6, 2, plain) < 10, "%s: ordinary row",
			  variant_names[v]);
	}
	/* the third column is the sum of the first two */
	an_prng_seed(&r, 3);
	for (int i = 0; i < 60; i++)
	{
		combo[i * 3] = an_prng_normal(&r);
		combo[i * 3 + 1] = an_prng_normal(&r);
		combo[i * 3 + 2] = combo[i * 3] + combo[i * 3 + 1];
	}
	{
		double		on[3] = {0.5, 0.5, 1.0},
					off[3] = {0.5, 0.5, -1.0};

		CHECK(finite_score(2, combo, 60, 3, off) > 100 * finite_score(2, combo, 60, 3, on),
			  "mahalanobis: breaking an exact linear relation is far out");
	}
}

/* Training and scoring rows near the largest doubles stay finite. */
static void
test_huge_values(void)
{
	double		X[] = {1e308, -1e308, -1e308, 1e308, 0, 0, 1, 2, -1.7e308, 5, 3, 1.7e308};
	double		probes[][2] = {{1e308, 1e308}, {-1.7e308, 1.7e308}, {0, 0}, {1e-308, -1e-308}};

	for (int v = 0; v < N_VARIANTS; v++)
		for (int p = 0; p < 4; p++)
			finite_score(v, X, 6, 2, probes[p]);
	/* and with ordinary training data */
	{
		uint8_t		labels[N_ROWS];
		double	   *Y = planted_data(labels, N_INLIERS, N_OUTLIERS);
		double		huge[DIMS] = {1e308, -1e308, 1.7e308, -1.7e308};

		for (int v = 0; v < N_VARIANTS; v++)
			finite_score(v, Y, N_ROWS, DIMS, huge);
	}
}

/*
 * Explanations: zscore's are the |z| that its sum adds up and whose
 * maximum is its score; mahalanobis's are the falls of the squared
 * distance when one feature moves to its best value (checked against that
 * quadratic in the feature); both blame a feature that alone is off, on
 * correlated data, and stay finite for the largest doubles.
 */
static void
test_explain(void)
{
	size_t		n = 1000;
	double	   *X = test_alloc(NULL, sizeof(double) * n * DIMS);
	an_prng		r;

	an_prng_seed(&r, 21);
	for (size_t i = 0; i < n; i++)
	{
		double		u = an_prng_normal(&r);

		for (int j = 0; j < DIMS; j++)
			X[i * DIMS + j] = 2 * j + u + 0.5 * an_prng_normal(&r);
	}
	for (int v = 0; v < N_VARIANTS; v++)
	{
		an_ctx		ctx = new_ctx();
		const an_detector_ops *ops = variant_ops(v);
		void	   *m = fit_variant(&ctx, v, X, n, DIMS);

		if (m == NULL)
			continue;
		for (size_t i = 0; i < 60; i++)
		{
			double		x[DIMS],
						c[DIMS] = {0},
						sum = 0,
						most = 0,
						score;
			int			off = (int) (i % DIMS);

			memcpy(x, X + i * DIMS, sizeof(x));
			/* every third row: one feature pushed 4 further from its centre 2 off */
			if (i % 3 == 0)
				x[off] += x[off] >= 2 * off ? 4 : -4;
			score = ops->score(m, x);
			CHECK_STATUS(ops->explain(&ctx, m, x, DIMS, c), AN_OK);
			for (int j = 0; j < DIMS; j++)
			{
				CHECK(c[j] >= 0 && isfinite(c[j]), "%s: contribution %g", variant_names[v], c[j]);
				sum += c[j];
				most = fmax(most, c[j]);
			}
			if (v == 0)
				CHECK_NEAR(sum, score, 1e-12 * fmax(1, score));
			else if (v == 1)
				CHECK(most == score, "zscore max: %.17g is not %.17g", most, score);
			else
				for (int j = 0; j < DIMS; j++)
				{
					/* d2 as x_j moves by u is q0 + b u + a u^2; its fall to the minimum is b^2 / 4a */
					double		y[DIMS],
								q1,
								q2,
								a,
								b;

					memcpy(y, x, sizeof(y));
					y[j] = x[j] + 1;
					q1 = ops->score(m, y);
					y[j] = x[j] - 1;
					q2 = ops->score(m, y);
					a = (q1 + q2 - 2 * score) / 2;
					b = (q1 - q2) / 2;
					CHECK(fabs(c[j] - b * b / (4 * a)) <= 1e-8 * fmax(1, score),
						  "mahalanobis: feature %d: %.12g, from the quadratic %.12g",
						  j, c[j], b * b / (4 * a));
				}
			if (i % 3 == 0)
				for (int j = 0; j < DIMS; j++)
					CHECK(j == off || c[j] < c[off], "%s row %zu: feature %d (%g) above %d (%g)",
						  variant_names[v], i, j, c[j], off, c[off]);
		}
		{
			double		huge[DIMS] = {1e308, -1e308, 1.7e308, -1.7e308},
						c[DIMS] = {0};

			CHECK_STATUS(ops->explain(&ctx, m, huge, DIMS, c), AN_OK);
			for (int j = 0; j < DIMS; j++)
				CHECK(c[j] >= 0 && isfinite(c[j]), "%s: huge: contribution %g",
					  variant_names[v], c[j]);
		}
	}
}

/* Each error path fails with its status and a hint. */
static void
test_errors(void)
{
	an_ctx		ctx = new_ctx();
	an_params	p;
	double		X[] = {1, 2, 3, 4, 5, 6};
	void	   *m = NULL;

	/* mahalanobis needs more rows than columns */
	an_params_defaults(&p, &an_mahalanobis_ops);
	CHECK_STATUS(an_mahalanobis_ops.fit(&ctx, &p, X, 2, 3, &m), AN_ERR_DATA);
	CHECK(strstr(ctx.hint, "more rows than columns") != NULL, "hint: %s", ctx.hint);
	CHECK_STATUS(an_mahalanobis_ops.fit(&ctx, &p, X, 3, 2, &m), AN_OK);
	/* support_fraction between 0 and 0.5 */
	CHECK_STATUS(an_params_set(&ctx, &p, &an_mahalanobis_ops, "support_fraction", 0.3), AN_OK);
	CHECK_STATUS(an_mahalanobis_ops.fit(&ctx, &p, X, 3, 2, &m), AN_ERR_PARAM);
	CHECK(strstr(ctx.hint, "from 0.5 to 1") != NULL, "hint: %s", ctx.hint);
	CHECK_STATUS(an_params_set(&ctx, &p, &an_mahalanobis_ops, "support_fraction", 1.5), AN_ERR_PARAM);
	CHECK_STATUS(an_params_set(&ctx, &p, &an_mahalanobis_ops, "support_fraction", 1), AN_OK);
	CHECK_STATUS(an_mahalanobis_ops.fit(&ctx, &p, X, 3, 2, &m), AN_OK);
	/* combine is a word */
	an_params_defaults(&p, &an_zscore_ops);
	CHECK_STATUS(an_params_set_word(&ctx, &p, &an_zscore_ops, "combine", "mean"), AN_ERR_PARAM);
	CHECK(strstr(ctx.hint, "\"sum\", \"max\"") != NULL, "hint: %s", ctx.hint);
	CHECK_STATUS(an_params_set(&ctx, &p, &an_zscore_ops, "combine", 2), AN_ERR_PARAM);
}

/* The max rule on one feature is Iglewicz and Hoaglin's |modified z|. */
static void
test_modified_z(void)
{
	an_ctx		ctx = new_ctx();
	double		X[] = {2.1, 2.4, 2.6, 2.8, 3.0, 3.1, 3.3, 3.5, 3.9, 12.0};
	double		x = 12.0;
	void	   *m = NULL;
	an_params	p = variant_params(1, 42);

	CHECK_STATUS(an_zscore_ops.fit(&ctx, &p, X, 10, 1, &m), AN_OK);
	if (m)
	{
		/* median 3.05, MAD 0.45: M = 0.6745 * 8.95 / 0.45 */
		CHECK_NEAR(an_zscore_ops.score(m, &x), 0.6745 * 8.95 / 0.45, 0.01);
	}
}

int
main(void)
{
	run("select", test_select);
	run("robust_scale", test_robust_scale);
	run("linalg", test_linalg);
	run("planted_outliers", test_planted_outliers);
	run("correlated_outliers", test_correlated_outliers);
	run("consistency", test_consistency);
	run("round_trip", test_round_trip);
	run("truncations", test_truncations);
	run("corrupt_fields", test_corrupt_fields);
	run("determinism", test_determinism);
	run("tiny_and_degenerate", test_tiny_and_degenerate);
	run("huge_values", test_huge_values);
	run("errors", test_errors);
	run("modified_z", test_modified_z);
	run("explain", test_explain);
	return finish();
}
