/*
 * mahalanobis.c - the robust Mahalanobis distance, with location and scatter
 * from the Minimum Covariance Determinant estimator computed by FAST-MCD
 * (Rousseeuw and Van Driessen, "A fast algorithm for the minimum covariance
 * determinant estimator", Technometrics 41, 1999).
 *
 * The MCD is the mean and covariance of the h rows (of n) whose covariance
 * has the smallest determinant; h = (n + d + 1) / 2 by default.  FAST-MCD
 * searches for it with C-steps (the paper's theorem 1): from a mean T and
 * covariance S, keep the h rows of smallest Mahalanobis distance; their
 * covariance has a determinant no larger.  Starts are random (d + 1)-subsets,
 * enlarged by random rows while their covariance is singular; each gets two
 * C-steps and the 10 best are iterated to convergence.  For n >= 2 g rows
 * (g = max(300, 2 (d + 1)) rows per group) the paper's nested scheme runs:
 * k = min(5, n / g) disjoint random groups of g rows each get 500 / k starts
 * (h scaled to the group), their 10 best each go through two C-steps on the
 * merged k g rows, the 10 best of those get two C-steps on all n rows, and
 * the best of these is iterated to convergence.
 *
 * The raw MCD covariance is multiplied by the consistency factor
 * median_i d2(i) / chi2_r(0.5); then rows with d2 <= chi2_r(0.975) are kept
 * and their mean and covariance (denominator sum - 1) are the final, the
 * paper's reweighting step (r = d unless the raw covariance is singular, see
 * below).  A row's score is its squared distance (x - T)' S^-1 (x - T) from
 * these, chi-square(d) distributed for normal data.  Its textbook cut-off,
 * chi2_d(0.975), depends on d, which the detector's one automatic threshold
 * cannot express: that is NaN (derived from the training scores).
 *
 * Numerics: features are first standardised by their median and robust
 * spread (robust_scale.h; the distance is affine invariant, so this changes
 * nothing but conditioning).  Every covariance factored in the search and
 * the final one get a ridge, RIDGE times their mean diagonal plus
 * RIDGE_FLOOR, added to the diagonal, so a singular covariance (a feature
 * constant within the rows, or an exact linear combination of others) still
 * factors, and distances across the missing direction are very large but
 * finite.  The raw MCD covariance is the exception: when it is singular of
 * rank r < d (the paper's "exact fit": over h rows on a hyperplane, as when
 * a discrete feature takes one value in most rows) its distances ignore the
 * directions of zero variance (a generalised inverse, linalg.h) and use
 * chi2_r, so the reweighting takes in the rows that differ only there
 * instead of rejecting them all; the reweighted covariance is then nearly
 * always of full rank.  The only case refused is n <= d, where no covariance
 * can be estimated.
 */
#include "detector.h"
#include "linalg.h"
#include "prng.h"
#include "robust_scale.h"

#include <math.h>
#include <string.h>

#define N_STARTS 500			/* random starts (the paper's 500) */
#define MIN_STARTS 20			/* the fewest, however wide the data */
#define START_BUDGET 2e9		/* multiply-adds the starts may take */
#define N_BEST 10				/* solutions kept per stage (the paper's 10) */
#define GROUP_ROWS 300			/* rows per group in the nested scheme */
#define MAX_GROUPS 5
#define MAX_CSTEPS 100			/* C-steps to convergence, a safety cap */
#define CONVERGED 1e-6			/* converged: log det fell by less than this */
#define RIDGE 1e-6				/* ridge relative to the mean variance */
#define RIDGE_FLOOR 1e-12		/* absolute ridge, in robust variances */
#define SINGULAR_PIVOT 1e-12	/* a start's covariance counts as singular */
#define Z_MAX 1e100				/* standardised deviations are cut here */
#define D2_MAX 1e300			/* and squared distances here */

enum
{
	P_SUPPORT_FRACTION = 0,
	P_COUNT
};

static const an_param_spec mahalanobis_params[P_COUNT] = {
	{"support_fraction", 0, 0, 1, 0,
	"share of rows the MCD covers: 0 for (n + d + 1) / 2 rows, else from 0.5 to 1"},
};

typedef struct mahalanobis
{
	uint32_t	d;
	double	   *center;			/* the location, in the features' units */
	double	   *inv_spread;		/* 1 / the robust spread standardising each feature */
	double	   *inv_factor;		/* packed L^-1, L L' the standardised scatter */
} mahalanobis;

/* The working state of a FAST-MCD search over the standardised rows Z. */
typedef struct mcd
{
	an_ctx	   *ctx;
	an_prng		rng;
	const double *Z;
	size_t		n;
	size_t		d;
	double	   *mean;			/* d: the current location */
	double	   *cov;			/* packed: the current scatter */
	double	   *chol;			/* packed: its regularised Cholesky factor L */
	double	   *inv_diag;		/* d: 1 / the diagonal of L */
	double	   *inv_factor;		/* packed: L^-1 */
	double	   *dist;			/* n: squared distances of a stage's rows */
	double	   *scratch;		/* n: for selections */
	uint32_t   *perm;			/* n: for random draws */
	double	   *z;				/* d */
} mcd;

/* One solution: a subset of rows and the log determinant of its scatter. */
typedef struct solution
{
	uint32_t   *rows;
	size_t		len;
	double		logdet;
} solution;

/* The regularised lower incomplete gamma function P(a, x), by its series for
 * x < a + 1 and its continued fraction otherwise (Abramowitz and Stegun,
 * "Handbook of Mathematical Functions", 6.5.29 and 6.5.31). */
static double
gamma_p(double a, double x)
{
	double		log_front;

	if (x <= 0)
		return 0;
	log_front = -x + a * log(x) - lgamma(a);
	if (x < a + 1)
	{
		double		term = 1.0 / a,
					sum = term;

		for (int k = 1; k < 10000 && term > sum * 1e-16; k++)
		{
			term *= x / (a + k);
			sum += term;
		}
		return fmin(1.0, sum * exp(log_front));
	}
	else
	{
		/* modified Lentz evaluation of the continued fraction for Q(a, x) */
		double		b = x + 1 - a,
					c = 1e300,
					dd = 1.0 / b,
					h = dd;

		for (int k = 1; k < 10000; k++)
		{
			double		an = -k * (k - a),
						delta;

			b += 2;
			dd = an * dd + b;
			if (fabs(dd) < 1e-300)
				dd = 1e-300;
			c = b + an / c;
			if (fabs(c) < 1e-300)
				c = 1e-300;
			dd = 1.0 / dd;
			delta = dd * c;
			h *= delta;
			if (fabs(delta - 1) < 1e-16)
				break;
		}
		return fmax(0.0, 1.0 - exp(log_front) * h);
	}
}

/* The p quantile of the chi-square distribution with k degrees of freedom,
 * by bisection on its distribution function P(k / 2, q / 2). */
static double
chisq_quantile(double p, double k)
{
	double		lo = 0,
				hi = k + 10.0 * sqrt(2.0 * k) + 50.0;

	while (gamma_p(k / 2, hi / 2) < p)
		hi *= 2;
	for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++)
	{
		double		mid = lo * 0.5 + hi * 0.5;

		if (gamma_p(k / 2, mid / 2) < p)
			lo = mid;
		else
			hi = mid;
	}
	return lo * 0.5 + hi * 0.5;
}

/* Mean and scatter (denominator len) of the given rows into s->mean, s->cov. */
static void
subset_moments(mcd *s, const uint32_t *rows, size_t len)
{
	size_t		d = s->d,
				n_packed = d * (d + 1) / 2;
	double	   *mean = s->mean;
	double	   *cov = s->cov;
	double	   *z = s->z;

	memset(mean, 0, sizeof(double) * d);
	memset(cov, 0, sizeof(double) * n_packed);
	for (size_t r = 0; r < len; r++)
	{
		const double *row = s->Z + (size_t) rows[r] * d;

		for (size_t j = 0; j < d; j++)
			mean[j] += row[j];
	}
	for (size_t j = 0; j < d; j++)
		mean[j] /= (double) len;
	for (size_t r = 0; r < len; r++)
	{
		const double *row = s->Z + (size_t) rows[r] * d;
		double	   *cell = cov;

		for (size_t i = 0; i < d; i++)
			z[i] = row[i] - mean[i];
		for (size_t i = 0; i < d; i++)
		{
			double		zi = z[i];

			for (size_t j = 0; j <= i; j++)
				cell[j] += zi * z[j];
			cell += i + 1;
		}
	}
	for (size_t i = 0; i < n_packed; i++)
		cov[i] /= (double) len;
}

/* Factor s->cov plus its ridge into s->chol and s->inv_factor; returns the
 * log determinant. */
static double
factor_scatter(mcd *s)
{
	size_t		d = s->d;
	double		mean_var = 0,
				ridge;

	for (size_t i = 0; i < d; i++)
		mean_var += s->cov[an_packed_index(i, i)] / (double) d;
	ridge = RIDGE * mean_var + RIDGE_FLOOR;
	/* the ridge makes the matrix positive definite; rounding aside, one pass does */
	for (;;)
	{
		memcpy(s->chol, s->cov, sizeof(double) * d * (d + 1) / 2);
		for (size_t i = 0; i < d; i++)
			s->chol[an_packed_index(i, i)] += ridge;
		if (an_cholesky(s->chol, d, 0, s->inv_diag) == 0)
			break;
		ridge *= 100;
	}
	an_triangular_inverse(s->chol, s->inv_diag, d, s->inv_factor);
	return an_cholesky_logdet(s->inv_diag, d);
}

/* Squared distances of the given rows from s->mean under s->inv_factor. */
static void
distances(mcd *s, const uint32_t *rows, size_t m, double *out)
{
	size_t		d = s->d;

	for (size_t r = 0; r < m; r++)
	{
		const double *row = s->Z + (size_t) rows[r] * d;

		for (size_t j = 0; j < d; j++)
			s->z[j] = row[j] - s->mean[j];
		out[r] = an_packed_apply_sq(s->inv_factor, s->z, d);
	}
}

/* The h of the m rows with the smallest s->dist, in row order, into out. */
static void
smallest(mcd *s, const uint32_t *rows, size_t m, size_t h, uint32_t *out)
{
	double		cut;
	size_t		taken = 0;

	memcpy(s->scratch, s->dist, sizeof(double) * m);
	cut = an_select_kth(s->scratch, m, h - 1);
	for (size_t r = 0; r < m; r++)
		if (s->dist[r] < cut)
			out[taken++] = rows[r];
	for (size_t r = 0; r < m && taken < h; r++)
		if (s->dist[r] == cut)
			out[taken++] = rows[r];
}

/*
 * From the estimates of the len rows start, C-steps on the m rows: at most
 * max_steps, fewer once the log determinant falls by less than CONVERGED
 * (the paper iterates until it stops falling).  The final h rows
 * go to out (which may be start) and their log determinant is returned.
 */
static double
csteps(mcd *s, const uint32_t *start, size_t len, const uint32_t *rows,
	   size_t m, size_t h, int max_steps, uint32_t *out)
{
	double		logdet = INFINITY,
				previous = INFINITY;

	subset_moments(s, start, len);
	factor_scatter(s);
	for (int step = 0; step < max_steps; step++)
	{
		distances(s, rows, m, s->dist);
		smallest(s, rows, m, h, out);
		subset_moments(s, out, h);
		logdet = factor_scatter(s);
		if (!(logdet < previous - CONVERGED))
			break;
		previous = logdet;
	}
	return logdet;
}

/* A random (d + 1)-subset of the m rows, enlarged by random rows while its
 * scatter is singular (the paper's step 2a); returns its size.  The moments
 * are kept as running sums, so each enlargement costs O(d^2) plus a
 * factorisation. */
static size_t
random_start(mcd *s, const uint32_t *rows, size_t m, uint32_t *out)
{
	size_t		d = s->d,
				n_packed = d * (d + 1) / 2,
				len = 0;
	double	   *sum = s->z;
	double	   *sum_sq = s->chol;

	memset(sum, 0, sizeof(double) * d);
	memset(sum_sq, 0, sizeof(double) * n_packed);
	for (size_t i = 0; i < m; i++)
		s->perm[i] = (uint32_t) i;
	while (len < m)
	{
		size_t		j = len + (size_t) an_prng_below(&s->rng, m - len);
		uint32_t	t = s->perm[len];
		const double *row;
		double	   *cell = sum_sq;

		s->perm[len] = s->perm[j];
		s->perm[j] = t;
		out[len] = rows[s->perm[len]];
		row = s->Z + (size_t) out[len] * d;
		len++;
		for (size_t a = 0; a < d; a++)
		{
			sum[a] += row[a];
			for (size_t b = 0; b <= a; b++)
				*cell++ += row[a] * row[b];
		}
		if (len > d)
		{
			/* the scatter sum_sq / len - mean mean', factored without a ridge */
			for (size_t a = 0; a < d; a++)
				for (size_t b = 0; b <= a; b++)
					s->cov[an_packed_index(a, b)] =
						sum_sq[an_packed_index(a, b)] / (double) len -
						(sum[a] / (double) len) * (sum[b] / (double) len);
			if (an_cholesky(s->cov, d, SINGULAR_PIVOT, s->inv_diag) == 0)
				break;
		}
	}
	return len;
}

/* Offer a solution to the n_best kept ones (sorted by log determinant);
 * one with the same determinant as a kept one is taken for a duplicate. */
static void
keep_best(solution *best, int *n_kept, int n_best, const uint32_t *rows,
		  size_t len, double logdet)
{
	int			at = *n_kept;

	for (int i = 0; i < *n_kept; i++)
		if (best[i].logdet == logdet)
			return;
	if (at == n_best && !(logdet < best[n_best - 1].logdet))
		return;
	if (at == n_best)
		at--;
	else
		(*n_kept)++;
	/* shift worse solutions down, reusing the buffer of the one dropped */
	{
		uint32_t   *buffer = best[at].rows;

		while (at > 0 && logdet < best[at - 1].logdet)
		{
			best[at] = best[at - 1];
			at--;
		}
		best[at].rows = buffer;
	}
	memcpy(best[at].rows, rows, sizeof(uint32_t) * len);
	best[at].len = len;
	best[at].logdet = logdet;
}

/* n_best solutions with row buffers of cap rows each. */
static solution *
new_solutions(an_ctx *ctx, int n_best, size_t cap)
{
	solution   *best = an_alloc(ctx, sizeof(solution) * n_best);

	for (int i = 0; i < n_best; i++)
		best[i].rows = an_alloc(ctx, sizeof(uint32_t) * cap);
	return best;
}

/* Run n_starts random starts with two C-steps each on the m rows (h of
 * them), keeping the N_BEST in best. */
static void
search_group(mcd *s, const uint32_t *rows, size_t m, size_t h, int n_starts,
			 solution *best, int *n_kept, uint32_t *work)
{
	for (int t = 0; t < n_starts; t++)
	{
		size_t		len = random_start(s, rows, m, work);
		double		logdet = csteps(s, work, len, rows, m, h, 3, work);

		keep_best(best, n_kept, N_BEST, work, h, logdet);
		an_check_interrupts(s->ctx);
	}
}

/* Rows scaled from h of n to m rows, within [d + 1, m]. */
static size_t
scaled_h(size_t h, size_t n, size_t m, size_t d)
{
	size_t		k = (size_t) ceil((double) m * (double) h / (double) n);

	if (k < d + 1)
		k = d + 1;
	return k < m ? k : m;
}

/* The number of random starts on groups of m rows (h of them): 500, fewer
 * for wide data so that their three C-steps each stay within START_BUDGET
 * multiply-adds, but at least MIN_STARTS. */
static int
n_starts(size_t m, size_t h, size_t d)
{
	double		per_start = 3.0 * (double) (m + h) * (double) (d * (d + 1) / 2) +
		4.0 * (double) d * (double) d * (double) d / 6.0;
	double		fit = START_BUDGET / per_start;

	if (fit >= N_STARTS)
		return N_STARTS;
	return fit > MIN_STARTS ? (int) fit : MIN_STARTS;
}

/* FAST-MCD: the h rows (of all n) of smallest covariance determinant found. */
static void
fast_mcd(mcd *s, size_t h, uint32_t *out)
{
	size_t		n = s->n,
				d = s->d,
				g = GROUP_ROWS > 2 * (d + 1) ? GROUP_ROWS : 2 * (d + 1);
	size_t		k = n >= 2 * g ? n / g : 1;
	uint32_t   *all = an_alloc(s->ctx, sizeof(uint32_t) * n);
	uint32_t   *work = an_alloc(s->ctx, sizeof(uint32_t) * n);
	solution   *final;
	int			n_final = 0;

	for (size_t i = 0; i < n; i++)
		all[i] = (uint32_t) i;
	if (k == 1)
	{
		final = new_solutions(s->ctx, N_BEST, h);
		search_group(s, all, n, h, n_starts(n, h, d), final, &n_final, work);
	}
	else
	{
		size_t		merged_rows,
					h_group,
					h_merged;
		uint32_t   *merged;
		solution   *from_groups;
		int			n_from_groups = 0;

		if (k > MAX_GROUPS)
			k = MAX_GROUPS;
		merged_rows = k * g;
		h_group = scaled_h(h, n, g, d);
		h_merged = scaled_h(h, n, merged_rows, d);
		/* the groups: a random sample of k g rows, cut into k */
		merged = an_alloc(s->ctx, sizeof(uint32_t) * merged_rows);
		for (size_t i = 0; i < merged_rows; i++)
		{
			size_t		j = i + (size_t) an_prng_below(&s->rng, n - i);
			uint32_t	t = all[i];

			all[i] = all[j];
			all[j] = t;
			merged[i] = all[i];
		}
		from_groups = an_alloc(s->ctx, sizeof(solution) * N_BEST * k);
		for (size_t grp = 0; grp < k; grp++)
		{
			solution   *best = new_solutions(s->ctx, N_BEST, h_group);
			int			n_kept = 0;

			search_group(s, merged + grp * g, g, h_group,
						 (n_starts(g, h_group, d) + (int) k - 1) / (int) k,
						 best, &n_kept, work);
			for (int i = 0; i < n_kept; i++)
				from_groups[n_from_groups++] = best[i];
		}
		/* two C-steps of each on the merged rows, keeping the best */
		final = new_solutions(s->ctx, N_BEST, h > h_merged ? h : h_merged);
		for (int i = 0; i < n_from_groups; i++)
		{
			double		logdet = csteps(s, from_groups[i].rows, from_groups[i].len,
										merged, merged_rows, h_merged, 2, work);

			keep_best(final, &n_final, N_BEST, work, h_merged, logdet);
			an_check_interrupts(s->ctx);
		}
		for (size_t i = 0; i < n; i++)
			all[i] = (uint32_t) i;
	}
	/*
	 * the kept solutions on all rows: with one stage each is iterated to
	 * convergence; with groups each gets two C-steps and only the best of
	 * them is iterated to convergence (selective iteration once more, so
	 * large n costs about 20 passes plus those to converge, not 10 times
	 * those to converge)
	 */
	{
		solution   *top = new_solutions(s->ctx, 1, h);
		int			n_top = 0;

		for (int i = 0; i < n_final; i++)
		{
			double		logdet = csteps(s, final[i].rows, final[i].len, all, n, h,
										k == 1 ? MAX_CSTEPS : 2, work);

			keep_best(top, &n_top, 1, work, h, logdet);
			an_check_interrupts(s->ctx);
		}
		if (k == 1)
			memcpy(out, top[0].rows, sizeof(uint32_t) * h);
		else
			csteps(s, top[0].rows, h, all, n, h, MAX_CSTEPS, out);
	}
}

/* The MCD size h for n rows, d features and a support fraction (0: default). */
static size_t
support_rows(size_t n, size_t d, double fraction)
{
	size_t		h = fraction > 0 ? (size_t) ceil(fraction * (double) n)
		: (n + d + 1) / 2;

	if (h < d + 1)
		h = d + 1;
	return h < n ? h : n;
}

/* Fit the reweighted MCD location and scatter of X. */
static an_status
mahalanobis_fit(an_ctx *ctx, const an_params *p, const double *X, size_t n,
				size_t d, void **model)
{
	mahalanobis *m = an_alloc(ctx, sizeof(mahalanobis));
	double		fraction = p->values[P_SUPPORT_FRACTION];
	double	   *Z;
	double	   *median = an_alloc(ctx, sizeof(double) * d);
	uint32_t   *subset;
	size_t		h,
				rank,
				kept = 0;
	double		factor,
				cutoff;
	mcd			s;

	if (fraction != 0 && !(fraction >= 0.5 && fraction <= 1))
		return an_fail(ctx, AN_ERR_PARAM,
					   "support_fraction must be 0 (for (n + d + 1) / 2 rows) or from 0.5 to 1.",
					   "option \"support_fraction\" is %g, out of range", fraction);
	if (n <= d || d > AN_MAX_COLUMNS)
		return an_fail(ctx, AN_ERR_DATA,
					   "Train on more rows than columns (mahalanobis needs n > d): add rows or drop columns.",
					   "cannot estimate a %zu x %zu covariance from %zu rows", d, d, n);
	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	an_prng_seed(&s.rng, (uint64_t) p->common[AN_P_SEED] ^ UINT64_C(0x3C0FA5));
	s.n = n;
	s.d = d;
	s.mean = an_alloc(ctx, sizeof(double) * d);
	s.cov = an_alloc(ctx, sizeof(double) * d * (d + 1) / 2);
	s.chol = an_alloc(ctx, sizeof(double) * d * (d + 1) / 2);
	s.inv_diag = an_alloc(ctx, sizeof(double) * d);
	s.inv_factor = an_alloc(ctx, sizeof(double) * d * (d + 1) / 2);
	s.dist = an_alloc(ctx, sizeof(double) * n);
	s.scratch = an_alloc(ctx, sizeof(double) * n);
	s.perm = an_alloc(ctx, sizeof(uint32_t) * n);
	s.z = an_alloc(ctx, sizeof(double) * d);

	/* standardise by median and robust spread, cutting overflowing deviations */
	m->d = (uint32_t) d;
	m->inv_spread = an_alloc(ctx, sizeof(double) * d);
	Z = an_alloc(ctx, sizeof(double) * n * d);
	for (size_t j = 0; j < d; j++)
	{
		double		spread;

		an_robust_scale(X, n, d, j, s.scratch, &median[j], &spread);
		m->inv_spread[j] = 1.0 / spread;
		for (size_t i = 0; i < n; i++)
			Z[i * d + j] = fmax(-Z_MAX, fmin(Z_MAX, (X[i * d + j] - median[j]) * m->inv_spread[j]));
	}
	s.Z = Z;

	/* the raw MCD */
	h = support_rows(n, d, fraction);
	subset = an_alloc(ctx, sizeof(uint32_t) * n);
	if (h == n)
		for (size_t i = 0; i < n; i++)
			subset[i] = (uint32_t) i;
	else
		fast_mcd(&s, h, subset);
	subset_moments(&s, subset, h);
	/* raw distances blind to the directions in which the h rows do not vary */
	memcpy(s.chol, s.cov, sizeof(double) * d * (d + 1) / 2);
	rank = an_cholesky_semidefinite(s.chol, d, SINGULAR_PIVOT, s.inv_diag);
	an_triangular_inverse(s.chol, s.inv_diag, d, s.inv_factor);
	if (rank == 0)
	{
		/* the h rows are all equal: fall back on the ridge */
		factor_scatter(&s);
		rank = d;
	}
	for (size_t i = 0; i < n; i++)
		subset[i] = (uint32_t) i;
	distances(&s, subset, n, s.dist);

	/* consistency factor, then reweighting by the 0.975 chi-square cut-off */
	memcpy(s.scratch, s.dist, sizeof(double) * n);
	factor = an_median(s.scratch, n) / chisq_quantile(0.5, (double) rank);
	if (!(factor > 0) || !isfinite(factor))
		factor = 1;
	cutoff = chisq_quantile(0.975, (double) rank) * factor;
	for (size_t i = 0; i < n; i++)
		if (s.dist[i] <= cutoff)
			subset[kept++] = (uint32_t) i;
	/* kept >= 1: at least the rows up to the median distance pass the cut */
	subset_moments(&s, subset, kept);
	for (size_t i = 0; i < d * (d + 1) / 2; i++)
		s.cov[i] *= (double) kept / (double) (kept > 1 ? kept - 1 : 1);
	factor_scatter(&s);

	m->center = an_alloc(ctx, sizeof(double) * d);
	for (size_t j = 0; j < d; j++)
		m->center[j] = median[j] + s.mean[j] / m->inv_spread[j];
	m->inv_factor = s.inv_factor;
	*model = m;
	return AN_OK;
}

/* The standardised, cut deviation of x from the location, into z. */
static inline void
standardise(const mahalanobis *m, const double *x, double *z)
{
	for (uint32_t j = 0; j < m->d; j++)
	{
		/* an overflowing difference is infinite, and cut like any other */
		double		v = (x[j] - m->center[j]) * m->inv_spread[j];

		z[j] = v > Z_MAX ? Z_MAX : (v < -Z_MAX ? -Z_MAX : v);
	}
}

/* The squared robust Mahalanobis distance of x. */
static double
mahalanobis_score(const void *model, const double *x)
{
	const mahalanobis *m = model;
	double		z[AN_MAX_COLUMNS];
	double		d2;

	standardise(m, x, z);
	d2 = an_packed_apply_sq(m->inv_factor, z, m->d);
	return d2 < D2_MAX ? d2 : D2_MAX;
}

/*
 * Contribution of feature j: its reconstruction-based contribution, how much
 * the squared distance falls when x_j alone moves to the value minimising
 * it (its expectation given the other features): (P z)_j^2 / P_jj for the
 * inverse scatter P and the deviation z (Alcala and Qin, "Reconstruction-
 * based contribution for process monitoring", Automatica 45(7), 2009; the
 * conditional term T^2_{j.rest} of Mason, Tracy and Young, "Decomposition of
 * T^2 for multivariate control chart interpretation", J. Quality Technology
 * 27(2), 1995).  It is >= 0 and at most the score, and Alcala and Qin show
 * that it blames a large enough fault in one feature on that feature.  The
 * exact split sum_j z_j (P z)_j has negative terms whenever features
 * correlate, and the split along the Cholesky factor depends on the order of
 * the features, so neither is used; the contributions do not sum to the
 * score.
 */
static an_status
mahalanobis_explain(an_ctx *ctx, const void *model, const double *x, size_t d,
					double *contrib)
{
	const mahalanobis *m = model;
	double	   *z = an_alloc(ctx, sizeof(double) * 3 * d);
	double	   *pz = z + d;
	double	   *diag = z + 2 * d;

	standardise(m, x, z);
	an_packed_gram_apply(m->inv_factor, z, d, pz, diag);
	for (size_t j = 0; j < d; j++)
	{
		/* divided before squaring: |P z| may reach 1e100 times P's entries */
		double		t = pz[j] / sqrt(diag[j]);
		double		c = t * t;

		contrib[j] = c < D2_MAX ? c : D2_MAX;
	}
	return AN_OK;
}

/* Write the location, the standardisation and the inverse factor. */
static void
mahalanobis_write(const void *model, an_writer *w)
{
	const mahalanobis *m = model;
	size_t		d = m->d;

	for (size_t j = 0; j < d; j++)
	{
		an_write_f64(w, m->center[j]);
		an_write_f64(w, m->inv_spread[j]);
	}
	for (size_t i = 0; i < d * (d + 1) / 2; i++)
		an_write_f64(w, m->inv_factor[i]);
}

/* Read and validate a mahalanobis model over d features. */
static an_status
mahalanobis_read(an_ctx *ctx, an_reader *r, uint16_t version, size_t d,
				 void **model)
{
	mahalanobis *m = an_alloc(ctx, sizeof(mahalanobis));
	size_t		n_packed;

	if (version != 1)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "unknown mahalanobis layout version %u", version);
	if (d < 1 || d > AN_MAX_COLUMNS)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "mahalanobis model has %zu features", d);
	n_packed = d * (d + 1) / 2;
	if (an_reader_left(r) / 8 < 2 * d + n_packed)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "mahalanobis model is truncated for %zu features", d);
	m->d = (uint32_t) d;
	m->center = an_alloc(ctx, sizeof(double) * d);
	m->inv_spread = an_alloc(ctx, sizeof(double) * d);
	m->inv_factor = an_alloc(ctx, sizeof(double) * n_packed);
	for (size_t j = 0; j < d; j++)
	{
		m->center[j] = an_read_f64(r);
		m->inv_spread[j] = an_read_f64(r);
		if (!isfinite(m->center[j]) || !(m->inv_spread[j] > 0) ||
			!isfinite(m->inv_spread[j]))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "mahalanobis feature %zu has an invalid center or spread", j);
	}
	for (size_t i = 0; i < n_packed; i++)
	{
		m->inv_factor[i] = an_read_f64(r);
		if (!isfinite(m->inv_factor[i]))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "mahalanobis scatter has a non-finite entry");
	}
	/* a positive diagonal makes W' W, the inverse scatter, positive definite */
	for (size_t j = 0; j < d; j++)
		if (!(m->inv_factor[an_packed_index(j, j)] > 0))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "mahalanobis scatter is not positive definite");
	if (r->failed)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "mahalanobis model is truncated");
	*model = m;
	return AN_OK;
}

const an_detector_ops an_mahalanobis_ops = {
	.name = "mahalanobis",
	.id = 9,
	.version = 1,
	.params = mahalanobis_params,
	.n_params = P_COUNT,
	.auto_threshold = NAN,
	.fit = mahalanobis_fit,
	.score = mahalanobis_score,
	.explain = mahalanobis_explain,
	.write = mahalanobis_write,
	.read = mahalanobis_read,
};
