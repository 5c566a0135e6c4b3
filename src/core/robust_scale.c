/*
 * robust_scale.c - median, robust spread and selection (see robust_scale.h).
 */
#include "robust_scale.h"

#include <math.h>

/* The k-th smallest (0-based) of v[0..n) by Hoare's quickselect; reorders v. */
double
an_select_kth(double *v, size_t n, size_t k)
{
	size_t		lo = 0,
				hi = n - 1;

	while (lo < hi)
	{
		double		pivot = v[lo + (hi - lo) / 2];
		size_t		i = lo,
					j = hi;

		/* afterwards v[lo..j] <= pivot <= v[i..hi] and j < i */
		for (;;)
		{
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i >= j)
				break;
			{
				double		t = v[i];

				v[i] = v[j];
				v[j] = t;
			}
			i++;
			j--;
		}
		if (i == j)
		{
			/* v[i] equals the pivot and is in its sorted place */
			if (k == i)
				return v[i];
			if (k < i)
				hi = i - 1;
			else
				lo = i + 1;
		}
		else if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

/* The median of v[0..n); reorders v. */
double
an_median(double *v, size_t n)
{
	size_t		k = n / 2;
	double		upper = an_select_kth(v, n, k);
	double		lower = upper;

	if (n % 2 == 1)
		return upper;
	/* after the selection v[0..k) holds the k smallest: the lower middle is their maximum */
	lower = v[0];
	for (size_t i = 1; i < k; i++)
		if (v[i] > lower)
			lower = v[i];
	return lower * 0.5 + upper * 0.5;
}

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
