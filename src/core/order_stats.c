/*
 * order_stats.c - sorting order, quantiles, selection and medians (see
 * order_stats.h).
 */
#include "order_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* qsort comparator for doubles, ascending. */
int
an_cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Whether v[0..n) holds a NaN or a negative zero. */
int
an_has_unordered(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isnan(v[i]) || (v[i] == 0 && signbit(v[i])))
			return 1;
	return 0;
}

#define SIGN_BIT UINT64_C(0x8000000000000000)

/*
 * The unsigned key of a non-NaN double that orders as the double does:
 * negative values have every bit flipped, others only the sign bit (Herf,
 * "Radix Tricks", 2001).
 */
static inline uint64_t
order_key(double v)
{
	uint64_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	return (bits & SIGN_BIT) ? ~bits : bits | SIGN_BIT;
}

/* The double whose order_key is key. */
static inline double
key_value(uint64_t key)
{
	uint64_t	bits = (key & SIGN_BIT) ? key & ~SIGN_BIT : ~key;
	double		v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

/*
 * Sort v[0..n) as qsort with an_cmp_double would.  Without NaN and
 * negative zero, values that compare equal have equal bits, so the sorted
 * array is unique: a least-significant-digit radix sort of the order keys
 * by bytes (Knuth, TAOCP vol. 3, 5.2.5) finds it, skipping the bytes that
 * all keys share.
 */
void
an_sort_doubles(double *v, size_t n, uint64_t *scratch)
{
	size_t		count[8][256];
	uint64_t   *src = scratch,
			   *dst = scratch + n;

	if (n < 2)
		return;
	if (an_has_unordered(v, n))
	{
		qsort(v, n, sizeof(double), an_cmp_double);
		return;
	}
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	key = order_key(v[i]);

		src[i] = key;
		for (int b = 0; b < 8; b++)
			count[b][(key >> (8 * b)) & 0xFF]++;
	}
	for (int b = 0; b < 8; b++)
	{
		size_t	   *c = count[b];
		size_t		sum = 0;
		uint64_t   *t;

		if (c[(src[0] >> (8 * b)) & 0xFF] == n)
			continue;
		for (int x = 0; x < 256; x++)
		{
			size_t		here = c[x];

			c[x] = sum;
			sum += here;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[(src[i] >> (8 * b)) & 0xFF]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = key_value(src[i]);
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
