/*
 * order_stats.c - sorting order, quantiles, selection and medians (see
 * order_stats.h).
 */
#include "order_stats.h"

#include <math.h>

/* qsort comparator for doubles, ascending. */
int
an_cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* The q-quantile of sorted v[0..n), linearly interpolated. */
double
an_sorted_quantile(const double *v, size_t n, double q)
{
	double		pos = q * (double) (n - 1);
	size_t		i = (size_t) floor(pos);
	double		frac = pos - (double) i;
	double		gap;

	if (i + 1 >= n)
		return v[n - 1];
	gap = v[i + 1] - v[i];
	if (isfinite(gap))
		return v[i] + frac * gap;
	/* neighbours near -DBL_MAX and DBL_MAX: a convex combination cannot overflow */
	return v[i] * (1.0 - frac) + v[i + 1] * frac;
}

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
