/*
 * explain.c - a model's per-feature explanation of one score, built on its
 * detector's contributions.
 */
#include "explain.h"

#include <math.h>
#include <stdlib.h>

/* The word for a direction: high, low, rare, missing or common. */
const char *
an_direction_name(an_direction dir)
{
	static const char *const words[] = {"high", "low", "rare", "missing", "common"};

	return dir <= AN_DIR_COMMON ? words[dir] : "unknown";
}

/* Whether an encoded value lies outside f's training range (or is unseen). */
int
an_feature_out_of_range(const an_feature *f, double x)
{
	if (isnan(x))
		return 0;
	if (f->kind == AN_KIND_CATEGORICAL)
		return x <= 0.0;		/* a category training never saw */
	return x < f->lo || x > f->hi;
}

/* qsort comparator: larger contribution first, then lower feature index. */
static int
cmp_attribution(const void *a, const void *b)
{
	const an_attribution *x = a;
	const an_attribution *y = b;

	if (x->contribution != y->contribution)
		return x->contribution > y->contribution ? -1 : 1;
	return (x->feature > y->feature) - (x->feature < y->feature);
}

/* Explain an encoded vector: one attribution per feature, largest first. */
an_status
an_model_explain(an_ctx *ctx, const an_model *m, double *x, an_attribution *out)
{
	uint32_t	d = m->n_features;
	double	   *contrib = an_alloc(ctx, sizeof(double) * d);
	double		total = 0;
	an_status	st;

	for (uint32_t j = 0; j < d; j++)
	{
		const an_feature *f = &m->features[j];

		out[j].feature = j;
		out[j].out_of_range = an_feature_out_of_range(f, x[j]);
		if (isnan(x[j]))
		{
			out[j].direction = AN_DIR_MISSING;
			x[j] = f->impute;
		}
		else if (f->kind == AN_KIND_CATEGORICAL)
			out[j].direction = x[j] * f->n_cats >= 1.0 ? AN_DIR_COMMON : AN_DIR_RARE;
		else
			out[j].direction = x[j] > f->impute ? AN_DIR_HIGH : AN_DIR_LOW;
	}
	st = m->ops->explain(ctx, m->detector, x, d, contrib);
	if (st != AN_OK)
		return st;
	for (uint32_t j = 0; j < d; j++)
	{
		double		c = contrib[j];

		out[j].contribution = (isfinite(c) && c > 0) ? c : 0.0;
		total += out[j].contribution;
	}
	for (uint32_t j = 0; j < d; j++)
		out[j].share = total > 0 ? out[j].contribution / total : 1.0 / d;
	qsort(out, d, sizeof(an_attribution), cmp_attribution);
	return AN_OK;
}

/*
 * What each member adds to a combined score.  For the maximum, the Shapley
 * value (Shapley, "A Value for n-person Games", 1953) of the game whose
 * worth of a coalition is its members' largest value (0 when empty): with
 * the values sorted v(1) <= ... <= v(m) and v(0) = 0, the step from v(i-1)
 * to v(i) is shared equally by the m - i + 1 members whose values reach it,
 * so members that agree share the row and a member that adds nothing over
 * the others gets only its share of the levels it does reach, instead of
 * the member at the maximum taking the whole row.  For the weighted mean,
 * each member's term w_i v_i / sum w is exactly what it adds.
 */
void
an_member_parts(size_t m, const double *value, const double *weight, int by_max,
				double *part)
{
	size_t		order[64];
	double		weights = 0,
				below = 0,
				level = 0;

	for (size_t i = 0; i < m; i++)
		weights += weight[i];
	if (!by_max || m > 64)
	{
		for (size_t i = 0; i < m; i++)
			part[i] = value[i] > 0 && weights > 0 ? weight[i] * value[i] / weights : 0.0;
		return;
	}
	/* the members by value, smallest first (an insertion sort: m is small) */
	for (size_t i = 0; i < m; i++)
	{
		size_t		at = i;

		while (at > 0 && value[order[at - 1]] > value[i])
		{
			order[at] = order[at - 1];
			at--;
		}
		order[at] = i;
	}
	for (size_t r = 0; r < m; r++)
	{
		double		v = value[order[r]] > 0 ? value[order[r]] : 0.0;

		/* the step from the previous level, shared by members r..m-1 */
		level += (v - below) / (double) (m - r);
		below = v;
		part[order[r]] = level;
	}
}
