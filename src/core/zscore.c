/*
 * zscore.c - robust z-scores: each feature's distance from its median in
 * units of its robust standard deviation (robust_scale.h: 1.4826 MAD, with
 * the mean absolute deviation and then a tiny spread as fallbacks), so
 * |z| = |x - median| / (1.4826 MAD) is the absolute modified z-score of
 * Iglewicz and Hoaglin, "How to Detect and Handle Outliers", ASQC 1993
 * (their 0.6745 (x - median) / MAD; 0.6745 = 1 / 1.4826).
 *
 * A row's score combines its features' |z|: their sum (the default: the
 * negative log-likelihood, up to constants, of independent Laplace features,
 * an additive score in the manner of HBOS), or their maximum, which flags a
 * row extreme in any one feature.  Iglewicz and Hoaglin's cut-off 3.5 is the
 * natural threshold of the maximum; the sum's null distribution depends on
 * d.  The automatic threshold is one number per detector, whatever the
 * options, so it is NaN (derived from the training scores) for both.
 */
#include "detector.h"
#include "robust_scale.h"

#include <math.h>

/* A |z| is cut here, so that even the sum over AN_MAX_COLUMNS is finite. */
#define Z_MAX 1e300

enum
{
	P_COMBINE = 0,
	P_COUNT
};

enum
{
	COMBINE_SUM = 0,
	COMBINE_MAX,
	COMBINE_COUNT
};

static const char *const combine_words[] = {"sum", "max", NULL};

static const an_param_spec zscore_params[P_COUNT] = {
	{"combine", COMBINE_SUM, 0, COMBINE_COUNT - 1, 1,
	"how the features' robust z-scores combine", combine_words},
};

typedef struct zscore
{
	uint32_t	combine;
	uint32_t	d;
	double	   *median;
	double	   *inv_spread;		/* 1 / (robust standard deviation) */
} zscore;

/* Fit each feature's median and robust spread. */
static an_status
zscore_fit(an_ctx *ctx, const an_params *p, const double *X, size_t n,
		   size_t d, void **model)
{
	zscore	   *m = an_alloc(ctx, sizeof(zscore));
	double	   *scratch;

	if (n < 2)
		return an_fail(ctx, AN_ERR_DATA, "Train on at least 2 rows.",
					   "zscore needs at least 2 rows, got %zu", n);
	m->combine = (uint32_t) p->values[P_COMBINE];
	m->d = (uint32_t) d;
	m->median = an_alloc(ctx, sizeof(double) * d);
	m->inv_spread = an_alloc(ctx, sizeof(double) * d);
	scratch = an_alloc(ctx, sizeof(double) * n);
	for (size_t j = 0; j < d; j++)
	{
		double		spread;

		an_robust_scale(X, n, d, j, scratch, &m->median[j], &spread);
		m->inv_spread[j] = 1.0 / spread;
		an_check_interrupts(ctx);
	}
	*model = m;
	return AN_OK;
}

/* Sum or maximum of |x - median| / spread over the features. */
static double
zscore_score(const void *model, const double *x)
{
	const zscore *m = model;
	const double *median = m->median;
	const double *inv_spread = m->inv_spread;
	double		total = 0;

	if (m->combine == COMBINE_SUM)
		for (uint32_t j = 0; j < m->d; j++)
		{
			/* x - median may overflow to infinity; the cut keeps it finite */
			double		z = fabs(x[j] - median[j]) * inv_spread[j];

			total += z < Z_MAX ? z : Z_MAX;
		}
	else
		for (uint32_t j = 0; j < m->d; j++)
		{
			double		z = fabs(x[j] - median[j]) * inv_spread[j];

			z = z < Z_MAX ? z : Z_MAX;
			total = z > total ? z : total;
		}
	return total;
}

/*
 * Contribution of feature j: its |z|, the term it adds to the score.  With
 * combine = sum the contributions sum to the score exactly; with max the
 * score is the largest of them, so the feature ranked first is the one that
 * set the score and the others show how close they came.
 */
static an_status
zscore_explain(an_ctx *ctx, const void *model, const double *x, size_t d,
			   double *contrib)
{
	const zscore *m = model;

	(void) ctx;
	for (size_t j = 0; j < d; j++)
	{
		double		z = fabs(x[j] - m->median[j]) * m->inv_spread[j];

		contrib[j] = z < Z_MAX ? z : Z_MAX;
	}
	return AN_OK;
}

/* Write the combine rule, the medians and the reciprocal spreads. */
static void
zscore_write(const void *model, an_writer *w)
{
	const zscore *m = model;

	an_write_u32(w, m->combine);
	for (uint32_t j = 0; j < m->d; j++)
	{
		an_write_f64(w, m->median[j]);
		an_write_f64(w, m->inv_spread[j]);
	}
}

/* Read and validate a zscore model over d features. */
static an_status
zscore_read(an_ctx *ctx, an_reader *r, uint16_t version, size_t d,
			void **model)
{
	zscore	   *m = an_alloc(ctx, sizeof(zscore));

	if (version != 1)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "unknown zscore layout version %u", version);
	m->combine = an_read_u32(r);
	if (r->failed || m->combine >= COMBINE_COUNT)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "zscore combine rule is invalid");
	if (d < 1 || d > AN_MAX_COLUMNS || an_reader_left(r) / 16 < d)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "zscore model is truncated for %zu features", d);
	m->d = (uint32_t) d;
	m->median = an_alloc(ctx, sizeof(double) * d);
	m->inv_spread = an_alloc(ctx, sizeof(double) * d);
	for (size_t j = 0; j < d; j++)
	{
		m->median[j] = an_read_f64(r);
		m->inv_spread[j] = an_read_f64(r);
		if (!isfinite(m->median[j]) || !(m->inv_spread[j] > 0) ||
			!(m->inv_spread[j] <= 1.0 / AN_SPREAD_MIN))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "zscore feature %zu has an invalid median or spread", j);
	}
	if (r->failed)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "zscore model is truncated");
	*model = m;
	return AN_OK;
}

const an_detector_ops an_zscore_ops = {
	.name = "zscore",
	.id = 8,
	.version = 1,
	.params = zscore_params,
	.n_params = P_COUNT,
	.auto_threshold = NAN,
	.fit = zscore_fit,
	.score = zscore_score,
	.explain = zscore_explain,
	.write = zscore_write,
	.read = zscore_read,
};
