/*
 * row_sample.c - a uniform sample of rows without replacement (a partial
 * Fisher-Yates shuffle of the row numbers).
 */
#include "row_sample.h"
#include "prng.h"

#include <string.h>

/* A copy of m of the n rows of X drawn without replacement, or X when m >= n. */
const double *
an_sample_rows(an_ctx *ctx, const double *X, size_t n, size_t d, size_t m,
			   uint64_t seed, size_t *rows)
{
	double	   *S;
	size_t	   *order;
	an_prng		rng;

	if (m >= n)
	{
		*rows = n;
		return X;
	}
	*rows = m;
	S = an_alloc(ctx, sizeof(double) * m * d);
	order = an_alloc(ctx, sizeof(size_t) * n);
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	an_prng_seed(&rng, seed);
	for (size_t i = 0; i < m; i++)
	{
		size_t		j = i + (size_t) an_prng_below(&rng, n - i);
		size_t		t = order[i];

		order[i] = order[j];
		order[j] = t;
		memcpy(S + i * d, X + order[i] * d, sizeof(double) * d);
	}
	return S;
}
