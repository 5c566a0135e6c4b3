/*
 * drift.c - data drift of current rows against a model's drift sketch:
 * Population Stability Index and Kolmogorov-Smirnov statistic per feature.
 */
#include "drift.h"

#include <math.h>

/* c(alpha) of the two-sample KS test at alpha = 0.01: sqrt(-ln(0.005) / 2) */
#define KS_C_001 1.6276236307187293

typedef struct drift_feature
{
	uint64_t   *cell;			/* numeric: current values in each knot
								 * interval (the last above every knot);
								 * categorical: rows of each known category,
								 * then of unseen ones */
	uint64_t	nulls;
	double		mean;			/* of the non-NULL encoded values */
} drift_feature;

struct an_drift
{
	const an_model *m;
	uint64_t	rows;
	uint64_t	rows_with_null;
	drift_feature *feat;
};

/* Start comparing rows with model m; AN_ERR_PARAM if it has no sketch. */
an_status
an_drift_init(an_ctx *ctx, const an_model *m, an_drift **out)
{
	an_drift   *acc;

	if (m->sample_rows == 0)
		return an_fail(ctx, AN_ERR_PARAM,
					   "Retrain the model: models trained before drift detection store no training distribution.",
					   "model has no drift sketch");
	acc = an_alloc(ctx, sizeof(an_drift));
	acc->m = m;
	acc->feat = an_alloc(ctx, sizeof(drift_feature) * m->n_features);
	for (uint32_t j = 0; j < m->n_features; j++)
	{
		const an_feature *f = &m->features[j];
		uint32_t	cells = f->kind == AN_KIND_NUMERIC ? f->n_knots + 1 : f->n_cats + 1;

		acc->feat[j].cell = an_alloc(ctx, sizeof(uint64_t) * cells);
	}
	*out = acc;
	return AN_OK;
}

/* The first of knot[0..n) at least v, or n: the knot interval holding v. */
static uint32_t
knot_interval(const double *knot, uint32_t n, double v)
{
	uint32_t	lo = 0,
				hi = n;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (knot[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Add one current row (see the input contract in drift.h); O(d log K). */
void
an_drift_add(an_drift *acc, const double *x, const uint64_t *cat)
{
	const an_model *m = acc->m;
	int			any_null = 0;

	acc->rows++;
	for (uint32_t j = 0; j < m->n_features; j++)
	{
		const an_feature *f = &m->features[j];
		drift_feature *df = &acc->feat[j];
		double		v;
		uint64_t	n;

		if (f->kind == AN_KIND_NUMERIC)
		{
			if (isnan(x[j]))
			{
				df->nulls++;
				any_null = 1;
				continue;
			}
			v = isinf(x[j]) ? (x[j] > 0 ? f->hi : f->lo) : x[j];
			df->cell[knot_interval(f->knot, f->n_knots, v)]++;
		}
		else
		{
			uint32_t	at;

			if (cat[j] == 0)
			{
				df->nulls++;
				any_null = 1;
				continue;
			}
			at = an_feature_category_index(f, cat[j]);
			df->cell[at]++;
			v = at < f->n_cats ? f->cat_freq[at] : 0.0;
		}
		/* a running mean that cannot overflow near DBL_MAX */
		n = acc->rows - df->nulls;
		df->mean += v / (double) n - df->mean / (double) n;
	}
	if (any_null)
		acc->rows_with_null++;
}

/*
 * One bucket's PSI term (p_cur - p_train) ln(p_cur / p_train), shares below
 * AN_DRIFT_EPSILON raised to it (Siddiqi 2006; Yurdakul 2018).
 */
static double
psi_term(double p_train, double p_cur)
{
	double		t = p_train < AN_DRIFT_EPSILON ? AN_DRIFT_EPSILON : p_train;
	double		c = p_cur < AN_DRIFT_EPSILON ? AN_DRIFT_EPSILON : p_cur;

	return (c - t) * log(c / t);
}

/*
 * PSI and KS of a numeric feature.  PSI bins end at the first knot whose
 * training ECDF reaches each multiple of 1 / AN_DRIFT_PSI_BINS (never at the
 * last knot, so the bin above it is not empty in training); KS is the
 * largest ECDF distance at the knots (see drift.h).
 */
static void
numeric_result(const an_feature *f, const drift_feature *df, uint64_t rows,
			   uint32_t sample_rows, an_drift_stat *s)
{
	uint64_t	n_train = sample_rows - f->sample_nulls;
	uint64_t	n_cur = rows - df->nulls;
	uint64_t	cur = 0,
				cur_edge = 0,
				train_edge = 0;
	uint64_t	next = 1;		/* the next multiple of 1/B to reach */
	double		ks = 0;

	for (uint32_t k = 0; k < f->n_knots; k++)
	{
		uint64_t	below = f->knot_count[k];

		cur += df->cell[k];
		if (n_cur > 0)
		{
			double		d = fabs((double) below / (double) n_train -
								 (double) cur / (double) n_cur);

			if (d > ks)
				ks = d;
		}
		if (below < n_train && AN_DRIFT_PSI_BINS * below >= next * n_train)
		{
			s->psi += psi_term((double) (below - train_edge) / sample_rows,
							   (double) (cur - cur_edge) / rows);
			train_edge = below;
			cur_edge = cur;
			while (AN_DRIFT_PSI_BINS * below >= next * n_train)
				next++;
		}
	}
	s->psi += psi_term((double) (n_train - train_edge) / sample_rows,
					   (double) (n_cur - cur_edge) / rows);
	if (n_train > 0 && n_cur > 0)
	{
		s->ks = ks;
		s->ks_critical = KS_C_001 * sqrt(1.0 / (double) n_train + 1.0 / (double) n_cur);
	}
}

/*
 * PSI of a categorical feature: a bucket per known category with at least
 * AN_DRIFT_MIN_CATEGORY of the training sample, the rest pooled with the
 * unseen categories (Siddiqi 2006 asks at least 5% of the rows per bucket:
 * many thin buckets inflate PSI on small samples).
 */
static void
categorical_result(const an_feature *f, const drift_feature *df, uint64_t rows,
				   uint32_t sample_rows, an_drift_stat *s)
{
	double		n_train = (double) (sample_rows - f->sample_nulls);
	uint64_t	train_other = f->unseen_count;
	uint64_t	cur_other = df->cell[f->n_cats];

	for (uint32_t i = 0; i < f->n_cats; i++)
	{
		if (f->cat_count[i] > 0 && f->cat_count[i] >= AN_DRIFT_MIN_CATEGORY * n_train)
			s->psi += psi_term((double) f->cat_count[i] / sample_rows,
							   (double) df->cell[i] / rows);
		else
		{
			train_other += f->cat_count[i];
			cur_other += df->cell[i];
		}
	}
	s->psi += psi_term((double) train_other / sample_rows, (double) cur_other / rows);
}

/* The n_features + 1 results (the last is the overall one), allocated. */
void
an_drift_result(an_ctx *ctx, const an_drift *acc, an_drift_stat **out)
{
	const an_model *m = acc->m;
	an_drift_stat *res = an_alloc(ctx, sizeof(an_drift_stat) * (m->n_features + 1));
	an_drift_stat *all = &res[m->n_features];

	all->rows = acc->rows;
	all->nulls = acc->rows_with_null;
	all->psi = all->ks = all->ks_critical = NAN;
	all->train_null_share = all->train_mean = all->current_mean = NAN;
	all->current_null_share = acc->rows ? (double) acc->rows_with_null / acc->rows : NAN;
	for (uint32_t j = 0; j < m->n_features; j++)
	{
		const an_feature *f = &m->features[j];
		const drift_feature *df = &acc->feat[j];
		an_drift_stat *s = &res[j];

		s->rows = acc->rows;
		s->nulls = df->nulls;
		s->ks = s->ks_critical = NAN;
		s->train_null_share = (double) f->sample_nulls / m->sample_rows;
		s->train_mean = f->mean;
		s->current_mean = df->nulls < acc->rows ? df->mean : NAN;
		if (acc->rows == 0)
		{
			s->psi = s->current_null_share = NAN;
			continue;
		}
		s->current_null_share = (double) df->nulls / acc->rows;
		s->psi = psi_term(s->train_null_share, s->current_null_share);
		if (f->kind == AN_KIND_NUMERIC)
			numeric_result(f, df, acc->rows, m->sample_rows, s);
		else
			categorical_result(f, df, acc->rows, m->sample_rows, s);
		s->drifted = s->psi >= AN_DRIFT_PSI_LIMIT || s->ks > s->ks_critical;
		if (isnan(all->psi) || s->psi > all->psi)
			all->psi = s->psi;
		if (!isnan(s->ks) && (isnan(all->ks) || s->ks > all->ks))
			all->ks = s->ks;
		all->drifted |= s->drifted;
	}
	*out = res;
}
