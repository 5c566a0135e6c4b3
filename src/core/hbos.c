/*
 * hbos.c - HBOS, the Histogram-based Outlier Score (Goldstein and Dengel,
 * "Histogram-based Outlier Score (HBOS): A fast Unsupervised Anomaly
 * Detection Algorithm", KI-2012 poster and demo track).
 *
 * One histogram per feature; a row's score is the sum over features of
 * -log(height + alpha) of the bin its value falls in, the paper's
 * log(1 / height) with alpha keeping empty bins finite (as PyOD's alpha).
 *
 * bins = "static": n_bins bins of equal width over the training range.  The
 *   height is the density on the range rescaled to [0, 1], (count / n) *
 *   n_bins, which is what PyOD computes on min-max scaled data; it does not
 *   depend on the feature's units.
 * bins = "dynamic": the paper's variant, bins holding about n / n_bins
 *   sorted training values each (equal values never split, so there may be
 *   fewer bins), bounded halfway between neighbouring values; the height is
 *   count / width, scaled so that the highest bin is 1.
 *
 * A value beyond the training range by at most tol bin widths of the edge
 * bin counts in that bin (PyOD's tol); farther out it falls in an empty
 * bin, of height 0, and the feature adds -log(alpha), the most a feature
 * can add (PyOD gives it the histogram's lowest height instead, which is
 * often that of an empty bin too; with dynamic bins, which are never empty,
 * it would let a constant column ignore any new value).
 *
 * Fit is O(d n) for static bins and O(d n log n) for dynamic ones (a sort
 * per feature); the model is O(d n_bins); a score is one table look-up
 * (static) or one binary search over n_bins edges (dynamic) per feature.
 * The model keeps the counts; the heights and scores are derived from them
 * when fitting and again when reading, so both give identical scores.
 */
#include "detector.h"
#include "order_stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#define HBOS_MAX_BINS 1024

enum
{
	P_BINS = 0,
	P_N_BINS,
	P_ALPHA,
	P_TOL,
	P_COUNT
};

enum
{
	BINS_STATIC = 0,
	BINS_DYNAMIC
};

static const char *const bins_words[] = {"static", "dynamic", NULL};

static const an_param_spec hbos_params[P_COUNT] = {
	{"bins", BINS_STATIC, 0, 1, 1,
	"histogram bins: equal width (static) or equal count (dynamic)", bins_words},
	{"n_bins", 10, 2, HBOS_MAX_BINS, 1, "bins per feature", NULL},
	{"alpha", 0.1, 1e-12, 1, 0, "added to every bin height before the log", NULL},
	{"tol", 0.5, 0, 1, 0,
	"bin widths beyond the training range still counted in the edge bin", NULL},
};

typedef struct hbos_feature
{
	uint32_t	n_bins;
	double	   *edges;			/* static: {min, max}; dynamic: n_bins + 1 */
	uint32_t   *counts;			/* training values per bin */
	/* derived from the above */
	double		lo_in;			/* values in [lo_in, hi_in] fall in a bin */
	double		hi_in;
	double		half_lo;		/* static: min / 2 */
	double		scale;			/* static: bins per half unit */
	double	   *bin_score;		/* -log(height + alpha) */
	double		out_score;		/* -log(alpha): an empty bin's */
	double		min_score;		/* the lowest bin_score: the highest bin's */
} hbos_feature;

typedef struct hbos
{
	uint8_t		dynamic;
	uint32_t	d;
	uint32_t	n;				/* training rows */
	double		alpha;
	double		tol;
	hbos_feature *features;
} hbos;

/* Set the static mapping of values to bins from f's edges {min, max}. */
static void
static_mapping(hbos_feature *f)
{
	double		half_range = f->edges[1] * 0.5 - f->edges[0] * 0.5;

	f->half_lo = f->edges[0] * 0.5;
	f->scale = half_range > 0.0 ? (double) f->n_bins / half_range : 0.0;
	/* a range too narrow to divide is one bin */
	if (!isfinite(f->scale))
		f->scale = 0.0;
}

/* The static bin of x, a value in [lo_in, hi_in]. */
static inline uint32_t
static_bin(const hbos_feature *f, double x)
{
	double		t = (x * 0.5 - f->half_lo) * f->scale;

	if (!(t > 0.0))
		return 0;
	return t < (double) f->n_bins ? (uint32_t) t : f->n_bins - 1;
}

/* The dynamic bin of x: how many inner edges are <= x. */
static inline uint32_t
dynamic_bin(const hbos_feature *f, double x)
{
	const double *inner = f->edges + 1;
	const double *base = inner;
	uint32_t	len = f->n_bins - 1;

	if (len == 0)
		return 0;
	while (len > 1)
	{
		uint32_t	half = len / 2;

		/* an index sum, not a conditional, so compilers emit no branch */
		base += (size_t) (base[half] <= x) * half;
		len -= half;
	}
	return (uint32_t) (base - inner) + (*base <= x);
}

/*
 * Derive the look-up fields of f from its edges and counts: the mapping of
 * values to bins, the range counted in a bin and each bin's score.
 */
static void
derive_feature(an_ctx *ctx, const hbos *m, hbos_feature *f)
{
	uint32_t	k = f->n_bins;
	double		lo = f->edges[0];
	double		hi = f->edges[m->dynamic ? k : 1];
	double	   *log_height = an_alloc(ctx, sizeof(double) * k);
	double		top = -INFINITY;
	double		first_half,
				last_half;

	/* halves of widths cannot overflow */
	if (m->dynamic)
	{
		for (uint32_t b = 0; b < k; b++)
		{
			double		half_width = f->edges[b + 1] * 0.5 - f->edges[b] * 0.5;

			/* a single bin is a constant; a zero width (adjacent doubles) is DBL_MIN */
			log_height[b] = k == 1 ? 0.0 :
				log((double) f->counts[b]) - log(half_width > DBL_MIN ? half_width : DBL_MIN);
			top = log_height[b] > top ? log_height[b] : top;
		}
		for (uint32_t b = 0; b < k; b++)
			log_height[b] -= top;
		first_half = f->edges[1] * 0.5 - f->edges[0] * 0.5;
		last_half = f->edges[k] * 0.5 - f->edges[k - 1] * 0.5;
	}
	else
	{
		double		half_range = hi * 0.5 - lo * 0.5;

		static_mapping(f);
		for (uint32_t b = 0; b < k; b++)
			log_height[b] = log((double) f->counts[b] / (double) m->n * (double) k);
		first_half = last_half = half_range / (double) k;
	}
	f->lo_in = lo - 2.0 * m->tol * first_half;
	f->hi_in = hi + 2.0 * m->tol * last_half;
	f->bin_score = an_alloc(ctx, sizeof(double) * k);
	f->min_score = INFINITY;
	for (uint32_t b = 0; b < k; b++)
	{
		f->bin_score[b] = -log(exp(log_height[b]) + m->alpha);
		f->min_score = f->bin_score[b] < f->min_score ? f->bin_score[b] : f->min_score;
	}
	f->out_score = -log(m->alpha);
}

/* Count a static histogram of column x (stride apart) into f. */
static void
fit_static(an_ctx *ctx, const hbos *m, const double *x, size_t stride,
		   hbos_feature *f, uint32_t n_bins)
{
	double		lo = x[0],
				hi = x[0];

	for (size_t i = 1; i < m->n; i++)
	{
		lo = x[i * stride] < lo ? x[i * stride] : lo;
		hi = x[i * stride] > hi ? x[i * stride] : hi;
	}
	f->n_bins = n_bins;
	f->edges = an_alloc(ctx, sizeof(double) * 2);
	f->edges[0] = lo;
	f->edges[1] = hi;
	f->counts = an_alloc(ctx, sizeof(uint32_t) * n_bins);
	/* the mapping is the scoring one, so training values land where scored */
	static_mapping(f);
	for (size_t i = 0; i < m->n; i++)
		f->counts[static_bin(f, x[i * stride])]++;
}

/*
 * Cut sorted values s[0..n) into at most n_bins runs of about n / n_bins
 * values, never splitting equal values, into f's edges and counts.
 */
static void
fit_dynamic(an_ctx *ctx, const double *s, uint32_t n, hbos_feature *f,
			uint32_t n_bins)
{
	uint32_t	start = 0;

	f->edges = an_alloc(ctx, sizeof(double) * (n_bins + 1));
	f->counts = an_alloc(ctx, sizeof(uint32_t) * n_bins);
	f->n_bins = 0;
	f->edges[0] = s[0];
	for (uint32_t i = 1; i <= n_bins && start < n; i++)
	{
		uint32_t	end = i == n_bins ? n
			: (uint32_t) floor((double) i * n / n_bins + 0.5);

		if (end <= start)
			continue;
		while (end < n && s[end] == s[end - 1])
			end++;
		f->counts[f->n_bins++] = end - start;
		if (end < n)
		{
			/* halfway, but strictly above the bin's last value */
			double		mid = s[end - 1] * 0.5 + s[end] * 0.5;

			f->edges[f->n_bins] = mid > s[end - 1] ? mid : s[end];
		}
		else
			f->edges[f->n_bins] = s[n - 1];
		start = end;
	}
}

/* Fit one histogram per feature. */
static an_status
hbos_fit(an_ctx *ctx, const an_params *p, const double *X, size_t n,
		 size_t d, void **model)
{
	hbos	   *m = an_alloc(ctx, sizeof(hbos));
	uint32_t	n_bins = (uint32_t) p->values[P_N_BINS];
	double	   *scratch = NULL;

	if (n < 2)
		return an_fail(ctx, AN_ERR_DATA, "Train on at least 2 rows.",
					   "hbos needs at least 2 rows, got %zu", n);
	m->dynamic = p->values[P_BINS] == BINS_DYNAMIC;
	m->d = (uint32_t) d;
	m->n = (uint32_t) n;
	m->alpha = p->values[P_ALPHA];
	m->tol = p->values[P_TOL];
	m->features = an_alloc(ctx, sizeof(hbos_feature) * d);
	if (m->dynamic)
		scratch = an_alloc(ctx, sizeof(double) * n);
	for (size_t j = 0; j < d; j++)
	{
		hbos_feature *f = &m->features[j];

		if (m->dynamic)
		{
			for (size_t i = 0; i < n; i++)
				scratch[i] = X[i * d + j];
			qsort(scratch, n, sizeof(double), an_cmp_double);
			fit_dynamic(ctx, scratch, m->n, f, n_bins);
		}
		else
			fit_static(ctx, m, X + j, d, f, n_bins);
		derive_feature(ctx, m, f);
		an_check_interrupts(ctx);
	}
	*model = m;
	return AN_OK;
}

/* Sum over features of -log(height + alpha); higher is more anomalous. */
static double
hbos_score(const void *model, const double *x)
{
	const hbos *m = model;
	double		total = 0.0;

	for (uint32_t j = 0; j < m->d; j++)
	{
		const hbos_feature *f = &m->features[j];

		if (x[j] >= f->lo_in && x[j] <= f->hi_in)
			total += f->bin_score[m->dynamic ? dynamic_bin(f, x[j]) : static_bin(f, x[j])];
		else
			total += f->out_score;
	}
	return total;
}

/*
 * Contribution of feature j: its term of the score, -log(height + alpha),
 * less the lowest term it can have (that of its highest bin), so that it is
 * 0 in that bin and largest, -log(alpha) less the floor, out of range.
 * Heights may exceed 1 (a static bin holding more than n / n_bins rows), so
 * a term itself may be negative; subtracting each feature's floor instead
 * of clamping keeps the split exact: the contributions sum to the score
 * less a constant of the model.
 */
static an_status
hbos_explain(an_ctx *ctx, const void *model, const double *x, size_t d,
			 double *contrib)
{
	const hbos *m = model;

	(void) ctx;
	for (size_t j = 0; j < d; j++)
	{
		const hbos_feature *f = &m->features[j];

		if (x[j] >= f->lo_in && x[j] <= f->hi_in)
			contrib[j] = f->bin_score[m->dynamic ? dynamic_bin(f, x[j]) : static_bin(f, x[j])];
		else
			contrib[j] = f->out_score;
		contrib[j] -= f->min_score;
	}
	return AN_OK;
}

/* Write the kind of bins, n, alpha, tol and each feature's edges and counts. */
static void
hbos_write(const void *model, an_writer *w)
{
	const hbos *m = model;

	an_write_u8(w, m->dynamic);
	an_write_u32(w, m->n);
	an_write_f64(w, m->alpha);
	an_write_f64(w, m->tol);
	for (uint32_t j = 0; j < m->d; j++)
	{
		const hbos_feature *f = &m->features[j];
		uint32_t	n_edges = m->dynamic ? f->n_bins + 1 : 2;

		an_write_u32(w, f->n_bins);
		for (uint32_t b = 0; b < n_edges; b++)
			an_write_f64(w, f->edges[b]);
		for (uint32_t b = 0; b < f->n_bins; b++)
			an_write_u32(w, f->counts[b]);
	}
}

/* Read one feature's histogram; AN_ERR_CORRUPT if it is inconsistent. */
static an_status
read_feature(an_ctx *ctx, an_reader *r, const hbos *m, hbos_feature *f,
			 size_t j)
{
	uint32_t	n_edges;
	uint64_t	total = 0;

	f->n_bins = an_read_u32(r);
	n_edges = m->dynamic ? f->n_bins + 1 : 2;
	if (r->failed || f->n_bins < 1 || f->n_bins > HBOS_MAX_BINS ||
		(!m->dynamic && f->n_bins < 2) ||
		(size_t) n_edges * 8 + (size_t) f->n_bins * 4 > an_reader_left(r))
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "hbos feature %zu has an invalid bin count", j);
	f->edges = an_alloc(ctx, sizeof(double) * n_edges);
	f->counts = an_alloc(ctx, sizeof(uint32_t) * f->n_bins);
	for (uint32_t b = 0; b < n_edges; b++)
	{
		f->edges[b] = an_read_f64(r);
		/* a bin of zero width is possible but gets a finite height */
		if (!isfinite(f->edges[b]) || (b > 0 && f->edges[b] < f->edges[b - 1]))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "hbos feature %zu has invalid bin edges", j);
	}
	for (uint32_t b = 0; b < f->n_bins; b++)
	{
		f->counts[b] = an_read_u32(r);
		total += f->counts[b];
		if (m->dynamic && f->counts[b] == 0)
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "hbos feature %zu has an empty dynamic bin", j);
	}
	if (r->failed || total != m->n)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "hbos feature %zu counts %llu rows, not %u", j,
					   (unsigned long long) total, m->n);
	return AN_OK;
}

/* Read and validate the histograms of d features. */
static an_status
hbos_read(an_ctx *ctx, an_reader *r, uint16_t version, size_t d, void **model)
{
	hbos	   *m = an_alloc(ctx, sizeof(hbos));

	if (version != 1)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "unknown hbos layout version %u", version);
	m->dynamic = an_read_u8(r);
	m->n = an_read_u32(r);
	m->alpha = an_read_f64(r);
	m->tol = an_read_f64(r);
	/* each feature takes at least 4 + 16 + 4 bytes */
	if (r->failed || m->dynamic > 1 || m->n < 1 ||
		!(m->alpha >= hbos_params[P_ALPHA].min && m->alpha <= hbos_params[P_ALPHA].max) ||
		!(m->tol >= hbos_params[P_TOL].min && m->tol <= hbos_params[P_TOL].max) ||
		d < 1 || d > an_reader_left(r) / 24)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "hbos header is invalid");
	m->d = (uint32_t) d;
	m->features = an_alloc(ctx, sizeof(hbos_feature) * d);
	for (size_t j = 0; j < d; j++)
	{
		if (read_feature(ctx, r, m, &m->features[j], j) != AN_OK)
			return AN_ERR_CORRUPT;
		derive_feature(ctx, m, &m->features[j]);
	}
	*model = m;
	return AN_OK;
}

const an_detector_ops an_hbos_ops = {
	.name = "hbos",
	.id = 5,
	.version = 1,
	.params = hbos_params,
	.n_params = P_COUNT,
	.auto_threshold = NAN,
	.fit = hbos_fit,
	.score = hbos_score,
	.explain = hbos_explain,
	.write = hbos_write,
	.read = hbos_read,
};
