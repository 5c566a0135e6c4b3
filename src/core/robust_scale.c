/*
 * robust_scale.c - a column's median and robust spread (see robust_scale.h).
 */
#include "robust_scale.h"

#include <math.h>

/* The median and robust spread of column j of X. */
void
an_robust_scale(const double *X, size_t n, size_t d, size_t j,
				double *scratch, double *median, double *spread)
{
	double		med,
				s,
				half_mean = 0;

	for (size_t i = 0; i < n; i++)
		scratch[i] = X[i * d + j];
	med = an_median(scratch, n);
	/* half deviations: the difference of two halves of finite doubles is finite */
	for (size_t i = 0; i < n; i++)
	{
		scratch[i] = fabs(X[i * d + j] * 0.5 - med * 0.5);
		half_mean += scratch[i] / (double) n;
	}
	s = AN_MAD_TO_SD * 2.0 * an_median(scratch, n);
	if (!(s >= AN_SPREAD_MIN))
		s = AN_MEAN_AD_TO_SD * 2.0 * half_mean;
	if (!(s >= AN_SPREAD_MIN))
		s = AN_TINY_SPREAD * fmax(fabs(med), 1.0);
	if (!(s <= AN_SPREAD_MAX))
		s = AN_SPREAD_MAX;
	*median = med;
	*spread = s;
}
