/*
 * copod.c - COPOD (Li, Zhao, Botta, Ionescu and Hu, "COPOD: Copula-Based
 * Outlier Detection", ICDM 2020).
 *
 * Each feature's training values give an empirical distribution (ecdf.h),
 * the margins of the empirical copula.  A row's tail scores per feature are
 * -log P_left(x), -log P_right(x), and the skewness-corrected one: the left
 * tail where the feature's training skewness is negative, the right tail
 * otherwise.  The paper's Algorithm 1 takes the largest of the three sums
 * over features; we score as PyOD does (see copod_score).
 *
 * There are no options.  Fit is O(d n log n) (one sort per feature); the
 * model holds at most AN_ECDF_MAX_KNOTS knots and one flag per feature; a
 * score is d binary searches over at most that many knots.
 */
#include "detector.h"
#include "ecdf.h"

#include <math.h>

typedef struct copod
{
	uint32_t	d;
	an_ecdf    *features;
	uint8_t    *skewed_left;	/* 1 where the training skewness is < 0 */
	double	   *floor;			/* derived: each feature's least term */
} copod;

/*
 * Derive each feature's least term: the larger of the skewness-corrected
 * tail and the mean of the two tails, at the feature's most central value.
 */
static void
derive_floors(an_ctx *ctx, copod *m)
{
	m->floor = an_alloc(ctx, sizeof(double) * m->d);
	for (uint32_t f = 0; f < m->d; f++)
		m->floor[f] = m->skewed_left[f]
			? an_ecdf_floor(&m->features[f], 1, 0, 0.5, 0.5)
			: an_ecdf_floor(&m->features[f], 0, 1, 0.5, 0.5);
}

/*
 * Whether the sample skewness of x[0], x[stride], ... is negative.  The
 * values are first divided by their largest magnitude, which keeps every
 * power finite and does not change the sign.
 */
static int
skewed_left(const double *x, size_t n, size_t stride)
{
	double		scale = 0.0;
	double		mean = 0.0;
	double		m3 = 0.0;

	for (size_t i = 0; i < n; i++)
		scale = fabs(x[i * stride]) > scale ? fabs(x[i * stride]) : scale;
	if (scale == 0.0)
		return 0;
	for (size_t i = 0; i < n; i++)
		mean += x[i * stride] / scale;
	mean /= (double) n;
	for (size_t i = 0; i < n; i++)
	{
		double		dev = x[i * stride] / scale - mean;

		m3 += dev * dev * dev;
	}
	return m3 < 0.0;
}

/* Fit one empirical distribution and one skewness sign per feature. */
static an_status
copod_fit(an_ctx *ctx, const an_params *p, const double *X, size_t n,
		  size_t d, void **model)
{
	copod	   *m = an_alloc(ctx, sizeof(copod));
	double	   *scratch;

	(void) p;
	if (n < 2)
		return an_fail(ctx, AN_ERR_DATA, "Train on at least 2 rows.",
					   "copod needs at least 2 rows, got %zu", n);
	m->d = (uint32_t) d;
	m->features = an_alloc(ctx, sizeof(an_ecdf) * d);
	m->skewed_left = an_alloc(ctx, d);
	scratch = an_alloc(ctx, sizeof(double) * n);
	for (size_t f = 0; f < d; f++)
	{
		an_ecdf_fit(ctx, X + f, n, d, AN_ECDF_MAX_KNOTS, scratch, &m->features[f]);
		m->skewed_left[f] = (uint8_t) skewed_left(X + f, n, d);
		an_check_interrupts(ctx);
	}
	derive_floors(ctx, m);
	*model = m;
	return AN_OK;
}

/*
 * Per feature, the larger of the skewness-corrected tail score and the mean
 * of the two tails, summed over features.  This is the aggregation of PyOD's
 * COPOD, the version ADBench measured; the paper's largest of three sums
 * scored 0.03-0.15 lower on six of the twelve benchmark datasets.
 */
static double
copod_score(const void *model, const double *x)
{
	const copod *m = model;
	double		sum = 0.0;

	for (uint32_t f = 0; f < m->d; f++)
	{
		double		left,
					right,
					skew,
					mean;

		an_ecdf_tails(&m->features[f], x[f], &left, &right);
		skew = m->skewed_left[f] ? left : right;
		mean = (left + right) / 2;
		sum += skew > mean ? skew : mean;
	}
	return sum;
}

/*
 * Contribution of feature j: its term of the score, the larger of its
 * skewness-corrected tail score and the mean of its two tails, less the
 * least that term can be (about log 2, at the feature's median).  The terms
 * are the per-dimension outlier scores with which the paper explains a
 * detection (its "dimensional outlier graph"); without the floor every
 * feature, however typical its value, would take a share of about log 2.
 * The contributions sum to the score less a constant of the model.
 */
static an_status
copod_explain(an_ctx *ctx, const void *model, const double *x, size_t d,
			  double *contrib)
{
	const copod *m = model;

	(void) ctx;
	for (size_t f = 0; f < d; f++)
	{
		double		left,
					right,
					skew,
					mean,
					c;

		an_ecdf_tails(&m->features[f], x[f], &left, &right);
		skew = m->skewed_left[f] ? left : right;
		mean = (left + right) / 2;
		c = (skew > mean ? skew : mean) - m->floor[f];
		/* rounding may take a term a hair below its floor */
		contrib[f] = c > 0.0 ? c : 0.0;
	}
	return AN_OK;
}

/* Write every feature's skewness flag and distribution. */
static void
copod_write(const void *model, an_writer *w)
{
	const copod *m = model;

	for (uint32_t f = 0; f < m->d; f++)
	{
		an_write_u8(w, m->skewed_left[f]);
		an_ecdf_write(&m->features[f], w);
	}
}

/* Read and validate d skewness flags and distributions. */
static an_status
copod_read(an_ctx *ctx, an_reader *r, uint16_t version, size_t d, void **model)
{
	copod	   *m = an_alloc(ctx, sizeof(copod));

	if (version != 1)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "unknown copod layout version %u", version);
	/* each feature takes at least 25 bytes */
	if (d < 1 || d > an_reader_left(r) / 25)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "copod model is too short for %zu features", d);
	m->d = (uint32_t) d;
	m->features = an_alloc(ctx, sizeof(an_ecdf) * d);
	m->skewed_left = an_alloc(ctx, d);
	for (size_t f = 0; f < d; f++)
	{
		m->skewed_left[f] = an_read_u8(r);
		if (m->skewed_left[f] > 1)
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "copod skewness flag of feature %zu is invalid", f);
		if (an_ecdf_read(ctx, r, &m->features[f]) != AN_OK)
			return AN_ERR_CORRUPT;
	}
	derive_floors(ctx, m);
	*model = m;
	return AN_OK;
}

const an_detector_ops an_copod_ops = {
	.name = "copod",
	.id = 7,
	.version = 1,
	.params = NULL,
	.n_params = 0,
	.auto_threshold = NAN,
	.fit = copod_fit,
	.score = copod_score,
	.explain = copod_explain,
	.write = copod_write,
	.read = copod_read,
};
