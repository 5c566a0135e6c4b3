/*
 * metrics.h - how good a detector is against ground truth.
 */
#ifndef AN_METRICS_H
#define AN_METRICS_H

#include "an_core.h"

typedef struct an_metrics
{
	int64_t		rows;
	int64_t		positives;
	int64_t		tp,
				fp,
				tn,
				fn;
	double		precision;
	double		recall;
	double		f1;
	double		roc_auc;			/* NaN when only one class is present */
	double		average_precision;
	double		precision_at_n;		/* precision among the top n, n = positives */
} an_metrics;

/* Compute metrics of scores against labels (0/1) with flags at threshold. */
void		an_metrics_compute(an_ctx *ctx, const double *scores, const uint8_t *labels,
							   size_t n, double threshold, an_metrics *out);

/*
 * The ROC curve: (false positive rate, true positive rate) after each
 * group of tied scores, from (0,0) to (1,1), thinned to at most max_points
 * (>= 2).  Returns the number of points; 0 when one class only.
 */
int			an_roc_curve(an_ctx *ctx, const double *scores, const uint8_t *labels,
						 size_t n, int max_points, double **fpr, double **tpr);

#endif
