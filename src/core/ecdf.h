/*
 * ecdf.h - a compact empirical distribution of one feature, queried for the
 * negative log of its two tail probabilities (used by ecod and copod).
 *
 * Tail probabilities count the queried value as one more sample, as if it
 * had been added to the n training values:
 *
 *     P_left(x)  = (#{X_i <= x} + 1) / (n + 1)
 *     P_right(x) = (#{X_i >= x} + 1) / (n + 1)
 *
 * Both lie in [1 / (n + 1), 1] for every x, inside or outside the training
 * range, with or without ties, so -log P lies in [0, log(n + 1)] and is
 * always finite.  (For a row that is itself a training row this counts it
 * twice; the shift is at most 1 / (n + 1) and ranks barely move.)
 *
 * The model keeps at most AN_ECDF_MAX_KNOTS knots per feature, whatever n.
 * A knot is a distinct training value with the exact counts of training
 * values <= it and >= it.  When the feature has no more distinct values than
 * that, every one is a knot and the distribution is exact.  Otherwise knots
 * sit at ranks spaced evenly in log(rank) from both ends towards the median
 * (so the most extreme values are all knots), and between two knots the
 * -log tails are interpolated linearly in x from their exact limits at the
 * two knots; the error of a tail is then at most the log-rank step,
 * log(n / 2 + 1) / (AN_ECDF_MAX_KNOTS / 2 - 1), about 0.085 for n = 100000.
 *
 * 256 knots is a measured trade: on the 12 benchmark datasets ecod's and
 * copod's ROC AUC stay within 0.001 of the exact distribution's (as with
 * 1024 or 4096 knots), while a score of 8 features takes about 80 ns
 * against about 100 ns with 1024 knots, the binary search being most of it.
 */
#ifndef AN_ECDF_H
#define AN_ECDF_H

#include "an_core.h"
#include "bytes.h"

#include <string.h>

#define AN_ECDF_MAX_KNOTS 256

typedef struct an_ecdf_knot
{
	double		value;			/* a distinct training value */
	double		left;			/* -log P_left at the knot */
	double		right;			/* -log P_right at the knot */
	double		left_below;		/* -log P_left just below the knot */
	double		right_above;	/* -log P_right just above the knot */
	double		inv_half_gap;	/* 1 / (next value / 2 - value / 2), at most
								 * DBL_MAX; 0 for the last knot */
} an_ecdf_knot;

typedef struct an_ecdf
{
	uint32_t	n;				/* training values */
	uint32_t	m;				/* knots, 1 .. AN_ECDF_MAX_KNOTS */
	double		max_tail;		/* log(n + 1): a tail beyond every value */
	int64_t    *key;			/* an_ecdf_key of each knot's value */
	uint32_t   *n_le;			/* training values <= knot value */
	uint32_t   *n_ge;			/* training values >= knot value */
	an_ecdf_knot *knot;			/* m knots, values increasing */
} an_ecdf;

/*
 * An integer with the order of the double x (-0 taken as +0): searching
 * integers is faster than searching doubles, the compare being cheaper.
 */
static inline int64_t
an_ecdf_key(double x)
{
	int64_t		bits;

	x += 0.0;
	memcpy(&bits, &x, sizeof(bits));
	/* negative doubles order backwards: flip all but the sign bit */
	return bits ^ (int64_t) ((uint64_t) (bits >> 63) >> 1);
}

/*
 * Fit the distribution of column values x[0], x[stride], ... (n finite
 * values, n >= 1) with at most max_knots knots (2 .. AN_ECDF_MAX_KNOTS);
 * scratch holds n doubles.
 */
void		an_ecdf_fit(an_ctx *ctx, const double *x, size_t n, size_t stride,
						uint32_t max_knots, double *scratch, an_ecdf *e);

/* Write the knots (values and counts; the tails are derived on reading). */
void		an_ecdf_write(const an_ecdf *e, an_writer *w);

/* Read and validate knots written by an_ecdf_write. */
an_status	an_ecdf_read(an_ctx *ctx, an_reader *r, an_ecdf *e);

/*
 * The least value over all x of max(a L + b R, c L + d R), with L and R the
 * tails -log P_left(x) and -log P_right(x): the lowest a per-feature term
 * built from the tails can be, which explanations subtract.
 */
double		an_ecdf_floor(const an_ecdf *e, double a, double b, double c,
						  double d);

/* Set *left and *right to -log P_left(x) and -log P_right(x). */
static inline void
an_ecdf_tails(const an_ecdf *e, double x, double *left, double *right)
{
	int64_t		k = an_ecdf_key(x);
	uint32_t	lo = 0;
	uint32_t	len = e->m;
	uint32_t	j;

	/* branch-free binary search: j = number of knots <= x */
	while (len > 1)
	{
		uint32_t	half = len / 2;

		lo = e->key[lo + half] <= k ? lo + half : lo;
		len -= half;
	}
	j = lo + (e->key[lo] <= k);
	if (j == 0)
	{
		*left = e->max_tail;
		*right = 0.0;
	}
	else if (e->key[j - 1] == k)
	{
		*left = e->knot[j - 1].left;
		*right = e->knot[j - 1].right;
	}
	else if (j == e->m)
	{
		*left = 0.0;
		*right = e->max_tail;
	}
	else
	{
		const an_ecdf_knot *a = &e->knot[j - 1];
		const an_ecdf_knot *b = &e->knot[j];
		double		t = (x * 0.5 - a->value * 0.5) * a->inv_half_gap;

		/* t is in [0, 1] but for the last bit of rounding */
		t = t < 1.0 ? t : 1.0;
		*left = a->left + t * (b->left_below - a->left);
		*right = a->right_above + t * (b->right - a->right_above);
	}
}

#endif
