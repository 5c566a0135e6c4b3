/*
 * metrics.c - confusion counts, precision/recall/F1, ROC AUC (the
 * Mann-Whitney statistic with ties counted half) and average precision
 * (the step-wise area under the precision-recall curve, as scikit-learn's
 * average_precision_score, over tie groups).
 */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>

typedef struct scored
{
	double		score;
	uint8_t		label;
} scored;

/* qsort comparator: descending score. */
static int
cmp_desc(const void *a, const void *b)
{
	double		x = ((const scored *) a)->score;
	double		y = ((const scored *) b)->score;

	return (x < y) - (x > y);
}

/* A ratio that is 0 when the denominator is 0. */
static double
safe_ratio(double num, double den)
{
	return den > 0 ? num / den : 0.0;
}

/* Compute metrics of scores against labels (0/1) with flags at threshold. */
void
an_metrics_compute(an_ctx *ctx, const double *scores, const uint8_t *labels,
				   size_t n, double threshold, an_metrics *out)
{
	scored	   *s = an_alloc(ctx, sizeof(scored) * (n ? n : 1));
	double		neg_above = 0,	/* negatives ranked strictly above */
				auc_sum = 0,
				ap = 0,
				tp_cum = 0,
				seen = 0,
				prev_recall = 0;
	int64_t		top_tp = 0;

	*out = (an_metrics) {0};
	out->rows = (int64_t) n;
	for (size_t i = 0; i < n; i++)
	{
		int			flag = scores[i] >= threshold;

		s[i].score = scores[i];
		s[i].label = labels[i] ? 1 : 0;
		out->positives += s[i].label;
		if (flag && labels[i])
			out->tp++;
		else if (flag)
			out->fp++;
		else if (labels[i])
			out->fn++;
		else
			out->tn++;
	}
	out->precision = safe_ratio((double) out->tp, (double) (out->tp + out->fp));
	out->recall = safe_ratio((double) out->tp, (double) (out->tp + out->fn));
	out->f1 = safe_ratio(2 * out->precision * out->recall, out->precision + out->recall);
	qsort(s, n, sizeof(scored), cmp_desc);
	for (size_t i = 0; i < n;)
	{
		size_t		j = i;
		double		pos = 0,
					neg = 0;

		while (j < n && s[j].score == s[i].score)
		{
			if (s[j].label)
				pos++;
			else
				neg++;
			if ((int64_t) j < out->positives && s[j].label)
				top_tp++;
			j++;
		}
		/* each positive beats the negatives below it and ties half */
		auc_sum += pos * ((double) (n - out->positives) - neg_above - neg) + 0.5 * pos * neg;
		neg_above += neg;
		tp_cum += pos;
		seen += pos + neg;
		if (out->positives > 0)
		{
			double		recall = tp_cum / (double) out->positives;

			ap += (recall - prev_recall) * (tp_cum / seen);
			prev_recall = recall;
		}
		i = j;
		an_check_interrupts(ctx);
	}
	if (out->positives > 0 && out->positives < (int64_t) n)
		out->roc_auc = auc_sum / ((double) out->positives * (double) (n - out->positives));
	else
		out->roc_auc = NAN;
	out->average_precision = out->positives > 0 ? ap : NAN;
	out->precision_at_n = out->positives > 0 ? (double) top_tp / (double) out->positives : NAN;
}

/*
 * The ROC curve of scores against labels: (false positive rate, true
 * positive rate) after each group of tied scores, from (0,0) to (1,1),
 * thinned to at most max_points (>= 2).  Returns the number of points; 0
 * when only one class is present.
 */
int
an_roc_curve(an_ctx *ctx, const double *scores, const uint8_t *labels, size_t n,
			 int max_points, double **fpr, double **tpr)
{
	scored	   *s = an_alloc(ctx, sizeof(scored) * (n ? n : 1));
	double	   *x = an_alloc(ctx, sizeof(double) * (n + 1));
	double	   *y = an_alloc(ctx, sizeof(double) * (n + 1));
	double		pos = 0,
				neg = 0,
				tp = 0,
				fp = 0;
	size_t		groups = 0;
	size_t		step;
	int			kept = 0;

	for (size_t i = 0; i < n; i++)
	{
		s[i].score = scores[i];
		s[i].label = labels[i] ? 1 : 0;
		pos += s[i].label;
	}
	neg = (double) n - pos;
	if (pos == 0 || neg == 0 || max_points < 2)
		return 0;
	qsort(s, n, sizeof(scored), cmp_desc);
	x[groups] = y[groups] = 0;
	groups++;
	for (size_t i = 0; i < n;)
	{
		size_t		j = i;

		while (j < n && s[j].score == s[i].score)
		{
			tp += s[j].label;
			fp += !s[j].label;
			j++;
		}
		x[groups] = fp / neg;
		y[groups] = tp / pos;
		groups++;
		i = j;
		an_check_interrupts(ctx);
	}
	*fpr = an_alloc(ctx, sizeof(double) * max_points);
	*tpr = an_alloc(ctx, sizeof(double) * max_points);
	step = (groups - 1 + max_points - 2) / (size_t) (max_points - 1);
	if (step == 0)
		step = 1;
	for (size_t g = 0; g < groups; g += step)
	{
		(*fpr)[kept] = x[g];
		(*tpr)[kept] = y[g];
		kept++;
	}
	if ((*fpr)[kept - 1] != x[groups - 1] || (*tpr)[kept - 1] != y[groups - 1])
	{
		if (kept == max_points)
			kept--;
		(*fpr)[kept] = x[groups - 1];
		(*tpr)[kept] = y[groups - 1];
		kept++;
	}
	return kept;
}
