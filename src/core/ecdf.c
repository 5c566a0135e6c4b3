/*
 * ecdf.c - fitting, deriving, writing and reading the compact empirical
 * distribution described in ecdf.h.
 */
#include "ecdf.h"
#include "order_stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* qsort order of uint32 ranks. */
static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *) a;
	uint32_t	y = *(const uint32_t *) b;

	return (x > y) - (x < y);
}

/* -log((count + 1) / (n + 1)), the tail of count training values. */
static double
neg_log_tail(uint32_t count, uint32_t n)
{
	return log((double) n + 1.0) - log((double) count + 1.0);
}

/* Fill the query tables from the knots' values and counts. */
static void
derive_tables(an_ctx *ctx, an_ecdf *e)
{
	uint32_t	n = e->n;

	e->max_tail = neg_log_tail(0, n);
	e->key = an_alloc(ctx, sizeof(int64_t) * e->m);
	for (uint32_t j = 0; j < e->m; j++)
	{
		an_ecdf_knot *k = &e->knot[j];

		e->key[j] = an_ecdf_key(k->value);
		k->left = neg_log_tail(e->n_le[j], n);
		k->right = neg_log_tail(e->n_ge[j], n);
		k->left_below = neg_log_tail(n - e->n_ge[j], n);
		k->right_above = neg_log_tail(n - e->n_le[j], n);
		k->inv_half_gap = 0.0;
		if (j + 1 < e->m)
		{
			/* halves cannot overflow; a gap below 1/DBL_MAX is capped */
			double		half_gap = e->knot[j + 1].value * 0.5 - k->value * 0.5;

			k->inv_half_gap = half_gap > 1.0 / DBL_MAX ? 1.0 / half_gap : DBL_MAX;
		}
	}
}

/*
 * Sorted positions (0-based ranks) of the knots of n sorted values: ranks
 * spaced evenly in log(rank + 1) from each end up to the median, so the
 * first and last ranks are all kept.  Returns how many (at most max_knots).
 */
static uint32_t
knot_ranks(uint32_t n, uint32_t max_knots, uint32_t *ranks)
{
	uint32_t	per_side = max_knots / 2;
	double		step = log((double) n / 2.0 + 1.0) / (double) (per_side - 1);
	uint32_t	count = 0;

	for (uint32_t i = 0; i < per_side; i++)
	{
		double		r = floor(exp((double) i * step) + 0.5) - 1.0;
		uint32_t	rank = r < 0 ? 0 : r > (double) (n - 1) ? n - 1 : (uint32_t) r;

		ranks[count++] = rank;
		ranks[count++] = n - 1 - rank;
	}
	qsort(ranks, count, sizeof(uint32_t), cmp_u32);
	return count;
}

/* Fit the distribution of x[0], x[stride], ... with at most max_knots knots. */
void
an_ecdf_fit(an_ctx *ctx, const double *x, size_t n, size_t stride,
			uint32_t max_knots, double *scratch, an_ecdf *e)
{
	uint32_t	distinct = 0;
	uint32_t   *ranks = NULL;
	uint32_t	n_ranks = 0;
	uint32_t	next_rank = 0;

	for (size_t i = 0; i < n; i++)
		scratch[i] = x[i * stride];
	qsort(scratch, n, sizeof(double), an_cmp_double);
	for (size_t i = 0; i < n; i++)
		distinct += i == 0 || scratch[i] != scratch[i - 1];
	e->n = (uint32_t) n;
	if (distinct > max_knots)
	{
		ranks = an_alloc(ctx, sizeof(uint32_t) * max_knots);
		n_ranks = knot_ranks(e->n, max_knots, ranks);
	}
	e->m = 0;
	max_knots = distinct < max_knots ? distinct : max_knots;
	e->knot = an_alloc(ctx, sizeof(an_ecdf_knot) * max_knots);
	e->n_le = an_alloc(ctx, sizeof(uint32_t) * max_knots);
	e->n_ge = an_alloc(ctx, sizeof(uint32_t) * max_knots);
	/* walk the runs of equal values [start, end); keep those holding a rank */
	for (uint32_t start = 0, end; start < e->n; start = end)
	{
		for (end = start + 1; end < e->n && scratch[end] == scratch[start]; end++)
			;
		if (ranks != NULL)
		{
			if (next_rank >= n_ranks || ranks[next_rank] >= end)
				continue;
			while (next_rank < n_ranks && ranks[next_rank] < end)
				next_rank++;
		}
		e->knot[e->m].value = scratch[start] + 0.0;
		e->n_le[e->m] = end;
		e->n_ge[e->m] = e->n - start;
		e->m++;
	}
	derive_tables(ctx, e);
}

/* max(a l + b r, c l + d r) of the tails l and r. */
static double
larger_form(double l, double r, double a, double b, double c, double d)
{
	double		u = a * l + b * r;
	double		v = c * l + d * r;

	return u > v ? u : v;
}

/*
 * The least over x of max(a L + b R, c L + d R).  Beyond the knots and at
 * each knot the tails are constant; between two knots both are linear in x
 * (an_ecdf_tails), so the larger form is linear but where the two forms
 * cross, and its least value is at a gap's ends or at that crossing.
 */
double
an_ecdf_floor(const an_ecdf *e, double a, double b, double c, double d)
{
	double		least = larger_form(e->max_tail, 0.0, a, b, c, d);

	least = fmin(least, larger_form(0.0, e->max_tail, a, b, c, d));
	for (uint32_t j = 0; j < e->m; j++)
	{
		const an_ecdf_knot *k = &e->knot[j];

		least = fmin(least, larger_form(k->left, k->right, a, b, c, d));
		if (j + 1 < e->m)
		{
			const an_ecdf_knot *next = &e->knot[j + 1];
			/* the gap from (k->left, k->right_above) to (next->left_below, next->right) */
			double		dl = next->left_below - k->left;
			double		dr = next->right - k->right_above;
			/* the forms' difference, linear in t: gap0 + t * slope */
			double		gap0 = (a - c) * k->left + (b - d) * k->right_above;
			double		slope = (a - c) * dl + (b - d) * dr;

			least = fmin(least, larger_form(k->left, k->right_above, a, b, c, d));
			least = fmin(least, larger_form(next->left_below, next->right, a, b, c, d));
			if (slope != 0.0 && -gap0 / slope > 0.0 && -gap0 / slope < 1.0)
			{
				double		t = -gap0 / slope;

				least = fmin(least, larger_form(k->left + t * dl, k->right_above + t * dr,
												a, b, c, d));
			}
		}
	}
	return least;
}

/* Write the knots (values and counts; the tails are derived on reading). */
void
an_ecdf_write(const an_ecdf *e, an_writer *w)
{
	an_write_u32(w, e->n);
	an_write_u32(w, e->m);
	for (uint32_t j = 0; j < e->m; j++)
	{
		an_write_f64(w, e->knot[j].value);
		an_write_u32(w, e->n_le[j]);
		an_write_u32(w, e->n_ge[j]);
	}
}

/* Read and validate knots written by an_ecdf_write. */
an_status
an_ecdf_read(an_ctx *ctx, an_reader *r, an_ecdf *e)
{
	e->n = an_read_u32(r);
	e->m = an_read_u32(r);
	if (r->failed || e->n < 1 || e->n == UINT32_MAX ||
		e->m < 1 || e->m > AN_ECDF_MAX_KNOTS || e->m > e->n ||
		(size_t) e->m > an_reader_left(r) / 16)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "distribution header is invalid (%u values, %u knots)",
					   e->n, e->m);
	e->knot = an_alloc(ctx, sizeof(an_ecdf_knot) * e->m);
	e->n_le = an_alloc(ctx, sizeof(uint32_t) * e->m);
	e->n_ge = an_alloc(ctx, sizeof(uint32_t) * e->m);
	for (uint32_t j = 0; j < e->m; j++)
	{
		e->knot[j].value = an_read_f64(r);
		e->n_le[j] = an_read_u32(r);
		e->n_ge[j] = an_read_u32(r);
		/* each knot is a training value: counted on both sides of itself */
		if (!isfinite(e->knot[j].value) || e->n_le[j] > e->n || e->n_ge[j] > e->n ||
			(uint64_t) e->n_le[j] + e->n_ge[j] < (uint64_t) e->n + 1)
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "distribution knot %u is invalid", j);
		/* knots increase, and the values between two are counted once */
		if (j > 0 && (e->knot[j].value <= e->knot[j - 1].value ||
					  (uint64_t) e->n_le[j - 1] + e->n_ge[j] > e->n))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "distribution knot %u is out of order", j);
	}
	if (r->failed || e->n_ge[0] != e->n || e->n_le[e->m - 1] != e->n)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "distribution knots do not span the training values");
	derive_tables(ctx, e);
	return AN_OK;
}
