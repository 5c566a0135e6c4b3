/*
 * ocsvm.c - one-class support vector machine (Schölkopf, Platt,
 * Shawe-Taylor, Smola and Williamson, "Estimating the support of a
 * high-dimensional distribution", Neural Computation 13(7), 2001) with the
 * RBF kernel K(x, y) = exp(-gamma * ||x - y||^2).
 *
 * Features are standardised to mean 0 and standard deviation 1 over all the
 * training rows.  (ADBench min-max scales instead; but the range is set by
 * the two most extreme rows, often the anomalies themselves, which then
 * squeeze the inliers together, while the standard deviation depends on
 * every row.  On the benchmark datasets standardising is better on 11 of 12
 * and on the mean ROC AUC.)  A feature constant in training keeps its raw
 * units, shifted to 0, so that a later deviation in it still counts.  The
 * dual problem, in the scaling of LIBSVM (Chang and Lin),
 *
 *     minimise 0.5 a'Qa  subject to  0 <= a_i <= 1,  sum a_i = nu * l,
 *
 * is solved on at most max_train rows by sequential minimal optimisation
 * (Platt, "Fast training of support vector machines using sequential minimal
 * optimization", 1998) with the second-order working-set selection of Fan,
 * Chen and Lin, "Working set selection using second order information for
 * training support vector machines", JMLR 6, 2005 (their WSS 2 with all
 * labels +1).  Kernel columns are kept in a least-recently-used cache of
 * bounded size.
 *
 * The model keeps the support vectors (a_i > 0) with coefficients a_i /
 * (nu * l), which sum to 1, and rho in the same units.  The score is
 * rho - sum_i coef_i K(sv_i, x): the paper's decision function negated, so
 * higher is more anomalous and the boundary is at 0.  The boundary is not
 * the automatic threshold: about nu of the training rows lie outside it
 * (half of them at the default nu), so without a contamination the model's
 * upper-fence rule on the training scores applies instead.
 */
#include "detector.h"
#include "prng.h"

#include <math.h>
#include <string.h>

enum
{
	P_NU = 0,
	P_GAMMA,
	P_MAX_TRAIN,
	P_TOL,
	P_MAX_ITER,
	P_COUNT
};

static const an_param_spec ocsvm_params[P_COUNT] = {
	{"nu", 0.5, 0, 1, 0,
	"upper bound on the fraction of training rows outside the boundary, in (0, 1]", NULL},
	{"gamma", 0, 0, 1e6, 0,
	"RBF kernel width on standardised features; 0 means 'scale': 1 / (features * variance of the standardised training matrix)", NULL},
	{"max_train", 5000, 2, 1000000, 1,
	"rows the solver trains on (a random subset if there are more)", NULL},
	{"tol", 1e-3, 1e-9, 1, 0, "stopping tolerance of the solver", NULL},
	{"max_iter", 1000000, 1, 1e9, 1, "iteration limit of the solver", NULL},
};

/* Bytes of kernel columns the solver may cache. */
#define KERNEL_CACHE_BYTES ((size_t) 128 << 20)

/* Curvature used when two rows coincide (Fan, Chen and Lin, section 3). */
#define SMO_TAU 1e-12

/* Scaled feature values are clamped to this, so scores stay finite. */
#define SCALED_LIMIT 1e100

typedef struct ocsvm
{
	uint32_t	d;
	uint32_t	n_sv;
	double		gamma;
	double		rho;			/* in the units of coef, within [0, 1] */
	double	   *center;			/* per feature: training mean */
	double	   *inv_half_sd;	/* per feature: 2 / standard deviation, or 2 */
	double	   *sv;				/* n_sv rows of d scaled values */
	double	   *coef;			/* n_sv positive coefficients summing to 1 */
} ocsvm;

/* Standardise one value (halved first, so the difference cannot overflow), clamped. */
static inline double
scale_value(double x, double center, double inv_half_sd)
{
	double		v = (0.5 * x - 0.5 * center) * inv_half_sd;

	if (v > SCALED_LIMIT)
		return SCALED_LIMIT;
	if (v < -SCALED_LIMIT)
		return -SCALED_LIMIT;
	return v;
}

/* Squared Euclidean distance between two d-vectors. */
static inline double
squared_distance(const double *a, const double *b, size_t d)
{
	double		sum = 0.0;

	for (size_t k = 0; k < d; k++)
	{
		double		diff = a[k] - b[k];

		sum += diff * diff;
	}
	return sum;
}

/* Set each feature's mean and 2 / standard deviation over all n rows of X. */
static void
fit_scaling(ocsvm *m, const double *X, size_t n)
{
	size_t		d = m->d;

	for (size_t k = 0; k < d; k++)
	{
		double		peak = 0.0,
					mean = 0.0,
					var = 0.0,
					sd,
					inv;

		/* mean and variance of x / peak, which cannot overflow */
		for (size_t i = 0; i < n; i++)
			if (fabs(X[i * d + k]) > peak)
				peak = fabs(X[i * d + k]);
		if (peak > 0)
		{
			for (size_t i = 0; i < n; i++)
				mean += X[i * d + k] / peak;
			mean /= (double) n;
			for (size_t i = 0; i < n; i++)
			{
				double		dev = X[i * d + k] / peak - mean;

				var += dev * dev;
			}
			var /= (double) n;
		}
		sd = sqrt(var) * peak;
		inv = sd > 0 ? 2.0 / sd : 0.0;
		/* a constant (or subnormal-spread) feature keeps its raw units */
		if (!(inv > 0 && isfinite(inv)))
			inv = 2.0;
		m->center[k] = mean * peak;
		m->inv_half_sd[k] = inv;
	}
}

/* scikit-learn's gamma 'scale': 1 / (d * variance of all entries of Z). */
static double
scale_gamma(const double *Z, size_t count, size_t d)
{
	double		mean = 0.0,
				var = 0.0,
				gamma;

	for (size_t i = 0; i < count; i++)
		mean += Z[i];
	mean /= (double) count;
	for (size_t i = 0; i < count; i++)
		var += (Z[i] - mean) * (Z[i] - mean);
	var /= (double) count;
	gamma = var > 0 ? 1.0 / ((double) d * var) : 1.0;
	return isfinite(gamma) && gamma > 0 ? gamma : 1.0;
}

/*
 * The solver's state: the scaled training rows, the dual variables and
 * their gradient G = Qa, and an LRU cache of kernel columns (slots linked
 * from most to least recently used).
 */
typedef struct smo
{
	an_ctx	   *ctx;
	const double *Z;
	size_t		l;
	size_t		d;
	double		gamma;
	double	   *alpha;
	double	   *grad;
	float	   *store;			/* n_slots columns of l values */
	int32_t    *slot_of;		/* per row: its slot, or -1 */
	int32_t    *row_of;			/* per slot: its row */
	int32_t    *prev;
	int32_t    *next;
	int32_t		head;
	int32_t		tail;
	uint32_t	n_slots;
	uint32_t	n_used;
} smo;

/* Set up the column cache within KERNEL_CACHE_BYTES (at least 2 columns). */
static void
cache_init(smo *s)
{
	size_t		fit = KERNEL_CACHE_BYTES / (s->l * sizeof(float));

	if (fit < 2)
		fit = 2;
	if (fit > s->l)
		fit = s->l;
	s->n_slots = (uint32_t) fit;
	s->n_used = 0;
	s->head = s->tail = -1;
	s->store = an_alloc(s->ctx, sizeof(float) * s->l * fit);
	s->slot_of = an_alloc(s->ctx, sizeof(int32_t) * s->l);
	s->row_of = an_alloc(s->ctx, sizeof(int32_t) * fit);
	s->prev = an_alloc(s->ctx, sizeof(int32_t) * fit);
	s->next = an_alloc(s->ctx, sizeof(int32_t) * fit);
	for (size_t i = 0; i < s->l; i++)
		s->slot_of[i] = -1;
}

/* Take slot out of the recency list. */
static void
cache_unlink(smo *s, int32_t slot)
{
	if (s->prev[slot] >= 0)
		s->next[s->prev[slot]] = s->next[slot];
	else
		s->head = s->next[slot];
	if (s->next[slot] >= 0)
		s->prev[s->next[slot]] = s->prev[slot];
	else
		s->tail = s->prev[slot];
}

/* Put slot at the most recently used end of the list. */
static void
cache_push_front(smo *s, int32_t slot)
{
	s->prev[slot] = -1;
	s->next[slot] = s->head;
	if (s->head >= 0)
		s->prev[s->head] = slot;
	s->head = slot;
	if (s->tail < 0)
		s->tail = slot;
}

/* Kernel column of row i (K(z_t, z_i) for every t), from the cache or computed. */
static const float *
kernel_column(smo *s, size_t i)
{
	int32_t		slot = s->slot_of[i];
	float	   *col;
	const double *zi;

	if (slot >= 0)
	{
		cache_unlink(s, slot);
		cache_push_front(s, slot);
		return s->store + (size_t) slot * s->l;
	}
	if (s->n_used < s->n_slots)
		slot = (int32_t) s->n_used++;
	else
	{
		slot = s->tail;
		cache_unlink(s, slot);
		s->slot_of[s->row_of[slot]] = -1;
	}
	s->row_of[slot] = (int32_t) i;
	s->slot_of[i] = slot;
	cache_push_front(s, slot);
	col = s->store + (size_t) slot * s->l;
	zi = s->Z + i * s->d;
	/* the column is stored as float, so single-precision exp loses little */
	for (size_t t = 0; t < s->l; t++)
		col[t] = expf((float) (-s->gamma * squared_distance(s->Z + t * s->d, zi, s->d)));
	an_check_interrupts(s->ctx);
	return col;
}

/*
 * Solve the dual by SMO from the feasible start a = (1, ..., 1, frac, 0,
 * ..., 0) with sum nu * l.  With y_i = +1 the optimality gap is
 * max_{a_t < 1} -G_t - min_{a_t > 0} -G_t; stop when it is below tol or
 * after max_iter steps.
 */
static void
smo_solve(smo *s, double nu, double tol, uint64_t max_iter)
{
	size_t		l = s->l;
	double		total = nu * (double) l;
	size_t		full = (size_t) total;

	if (full > l)
		full = l;
	for (size_t i = 0; i < full; i++)
		s->alpha[i] = 1.0;
	if (full < l)
		s->alpha[full] = total - (double) full;
	for (size_t j = 0; j < l; j++)
		if (s->alpha[j] > 0)
		{
			const float *col = kernel_column(s, j);

			for (size_t t = 0; t < l; t++)
				s->grad[t] += s->alpha[j] * col[t];
		}

	for (uint64_t iter = 0; iter < max_iter; iter++)
	{
		double		gmax = -INFINITY,
					gmax_low = -INFINITY,
					best = INFINITY,
					curv,
					step,
					room;
		int64_t		i = -1,
					j = -1;
		const float *qi,
				   *qj;

		if (iter % 1024 == 1023)
			an_check_interrupts(s->ctx);
		/* i: the row in I_up = {a_t < 1} that most violates optimality */
		for (size_t t = 0; t < l; t++)
			if (s->alpha[t] < 1.0 && -s->grad[t] >= gmax)
			{
				gmax = -s->grad[t];
				i = (int64_t) t;
			}
		if (i < 0)
			break;
		qi = kernel_column(s, (size_t) i);
		/* j: in I_low = {a_t > 0}, the largest second-order decrease */
		for (size_t t = 0; t < l; t++)
			if (s->alpha[t] > 0)
			{
				double		b = gmax + s->grad[t];

				if (s->grad[t] > gmax_low)
					gmax_low = s->grad[t];
				if (b > 0)
				{
					double		a = 2.0 - 2.0 * (double) qi[t];
					double		gain;

					if (a <= 0)
						a = SMO_TAU;
					gain = -(b * b) / a;
					if (gain <= best)
					{
						best = gain;
						j = (int64_t) t;
					}
				}
			}
		/* the gap m - M is gmax + max_{I_low} G_t */
		if (j < 0 || gmax + gmax_low < tol)
			break;
		qj = kernel_column(s, (size_t) j);
		/* a_i += step, a_j -= step minimises along the feasible direction */
		curv = 2.0 - 2.0 * (double) qi[j];
		if (curv <= 0)
			curv = SMO_TAU;
		step = (s->grad[j] - s->grad[i]) / curv;
		room = 1.0 - s->alpha[i];
		if (step > room)
			step = room;
		if (step > s->alpha[j])
			step = s->alpha[j];
		/* land exactly on a bound when the step is clipped to it */
		s->alpha[i] = step == room ? 1.0 : s->alpha[i] + step;
		s->alpha[j] = step == s->alpha[j] ? 0.0 : s->alpha[j] - step;
		for (size_t t = 0; t < l; t++)
			s->grad[t] += step * ((double) qi[t] - (double) qj[t]);
	}
}

/*
 * rho from the optimality conditions: G_t = rho for 0 < a_t < 1, G_t <= rho
 * for a_t = 1, G_t >= rho for a_t = 0; the mean over free rows, else the
 * middle of the interval the bounded rows allow.
 */
static double
smo_rho(const smo *s)
{
	double		lower = -INFINITY,
				upper = INFINITY,
				sum_free = 0.0;
	size_t		n_free = 0;

	for (size_t t = 0; t < s->l; t++)
	{
		double		g = s->grad[t];

		if (s->alpha[t] >= 1.0)
			lower = g > lower ? g : lower;
		else if (s->alpha[t] <= 0.0)
			upper = g < upper ? g : upper;
		else
		{
			sum_free += g;
			n_free++;
		}
	}
	if (n_free > 0)
		return sum_free / (double) n_free;
	if (isinf(upper))
		return lower;
	if (isinf(lower))
		return upper;
	return 0.5 * (lower + upper);
}

/* Fit a one-class SVM on X (n rows, d features). */
static an_status
ocsvm_fit(an_ctx *ctx, const an_params *p, const double *X, size_t n,
		  size_t d, void **model)
{
	double		nu = p->values[P_NU];
	double		gamma = p->values[P_GAMMA];
	double		tol = p->values[P_TOL];
	size_t		l = (size_t) p->values[P_MAX_TRAIN];
	ocsvm	   *m;
	smo			s;
	double	   *Z;
	double		total;
	uint32_t	k;

	if (!(nu > 0 && nu <= 1))
		return an_fail(ctx, AN_ERR_PARAM,
					   "nu must be greater than 0 and at most 1 (the expected fraction of outliers; default 0.5).",
					   "ocsvm option \"nu\" is %g, out of range", nu);
	if (!(gamma >= 0 && isfinite(gamma)))
		return an_fail(ctx, AN_ERR_PARAM,
					   "gamma must be a positive number, or 0 for 'scale' (1 / (features * variance)).",
					   "ocsvm option \"gamma\" is %g, out of range", gamma);
	if (n < 2)
		return an_fail(ctx, AN_ERR_DATA, "Train on at least 2 rows.",
					   "ocsvm needs at least 2 rows, got %zu", n);
	if (d < 1 || d > AN_MAX_COLUMNS)
		return an_fail(ctx, AN_ERR_DATA, "Use from 1 to 1600 features.",
					   "ocsvm cannot train on %zu features", d);

	m = an_alloc(ctx, sizeof(ocsvm));
	m->d = (uint32_t) d;
	m->center = an_alloc(ctx, sizeof(double) * d);
	m->inv_half_sd = an_alloc(ctx, sizeof(double) * d);
	fit_scaling(m, X, n);

	/* the training rows: all of X, or a random subset of max_train rows */
	if (l > n)
		l = n;
	Z = an_alloc(ctx, sizeof(double) * l * d);
	{
		uint32_t   *perm = NULL;
		an_prng		rng;

		if (l < n)
		{
			perm = an_alloc(ctx, sizeof(uint32_t) * n);
			for (size_t i = 0; i < n; i++)
				perm[i] = (uint32_t) i;
			an_prng_seed(&rng, (uint64_t) p->common[AN_P_SEED] ^ UINT64_C(0x0C5F4));
			/* a partial Fisher-Yates shuffle draws l rows without replacement */
			for (size_t i = 0; i < l; i++)
			{
				size_t		j = i + (size_t) an_prng_below(&rng, n - i);
				uint32_t	t = perm[i];

				perm[i] = perm[j];
				perm[j] = t;
			}
		}
		for (size_t i = 0; i < l; i++)
		{
			const double *x = X + (perm ? (size_t) perm[i] : i) * d;

			for (size_t c = 0; c < d; c++)
				Z[i * d + c] = scale_value(x[c], m->center[c], m->inv_half_sd[c]);
		}
	}
	m->gamma = gamma > 0 ? gamma : scale_gamma(Z, l * d, d);

	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	s.Z = Z;
	s.l = l;
	s.d = d;
	s.gamma = m->gamma;
	s.alpha = an_alloc(ctx, sizeof(double) * l);
	s.grad = an_alloc(ctx, sizeof(double) * l);
	cache_init(&s);
	smo_solve(&s, nu, tol, (uint64_t) p->values[P_MAX_ITER]);

	/* keep the support vectors, coefficients normalised to sum to 1 */
	total = nu * (double) l;
	m->rho = smo_rho(&s) / total;
	if (!(m->rho >= 0))
		m->rho = 0;
	if (m->rho > 1)
		m->rho = 1;
	for (size_t i = 0; i < l; i++)
		if (s.alpha[i] > 0)
			m->n_sv++;
	m->sv = an_alloc(ctx, sizeof(double) * m->n_sv * d);
	m->coef = an_alloc(ctx, sizeof(double) * m->n_sv);
	k = 0;
	for (size_t i = 0; i < l; i++)
		if (s.alpha[i] > 0)
		{
			memcpy(m->sv + (size_t) k * d, Z + i * d, sizeof(double) * d);
			m->coef[k++] = s.alpha[i] / total;
		}
	*model = m;
	return AN_OK;
}

/* rho - sum_i coef_i K(sv_i, x); higher is more anomalous, 0 the boundary. */
static double
ocsvm_score(const void *model, const double *x)
{
	const ocsvm *m = model;
	double		z[AN_MAX_COLUMNS];
	double		sum = 0.0;
	size_t		d = m->d;

	for (size_t k = 0; k < d; k++)
		z[k] = scale_value(x[k], m->center[k], m->inv_half_sd[k]);
	for (uint32_t s = 0; s < m->n_sv; s++)
		sum += m->coef[s] * exp(-m->gamma * squared_distance(z, m->sv + (size_t) s * d, d));
	return m->rho - sum;
}

/*
 * Each feature's part of the score, by prediction difference (Robnik-Sikonja
 * and Kononenko, "Explaining classifications for individual instances",
 * IEEE TKDE 20(5), 2008): contribution j is how much L(x) = -log f(x),
 * f(x) = sum_i coef_i exp(-gamma D_i^2) (D_i the scaled distance to support
 * vector i), falls when feature j alone is set to its training mean, 0 in
 * the scaled space.  L is a decreasing transform of f, so it ranks as the
 * score does, but it does not saturate: far from every support vector the
 * score is flat at rho while L keeps growing like gamma D^2.  With
 * w = softmax(log coef_i - gamma D_i^2), the responsibilities of the support
 * vectors for x, the difference is exactly
 *
 *   L(x) - L(x, z_j = 0) = log sum_i w_i exp(gamma z_j (z_j - 2 sv_ij)),
 *
 * computed in log space throughout, so nothing underflows to zero weights
 * however far x is, and D_i^2 is never reduced by subtraction.  A negative
 * difference (the mean would be more unusual) is left for the caller to
 * clamp.
 */
static an_status
ocsvm_explain(an_ctx *ctx, const void *model, const double *x, size_t d,
			  double *contrib)
{
	const ocsvm *m = model;
	double	   *z = an_alloc(ctx, sizeof(double) * d);
	double	   *logw = an_alloc(ctx, sizeof(double) * m->n_sv);
	double		peak = -INFINITY,
				total = 0.0;

	for (size_t k = 0; k < d; k++)
		z[k] = scale_value(x[k], m->center[k], m->inv_half_sd[k]);
	/* log w_i = a_i - logsumexp(a), a_i = log coef_i - gamma D_i^2 */
	for (uint32_t s = 0; s < m->n_sv; s++)
	{
		logw[s] = log(m->coef[s]) - m->gamma * squared_distance(z, m->sv + (size_t) s * d, d);
		if (logw[s] > peak)
			peak = logw[s];
	}
	for (uint32_t s = 0; s < m->n_sv; s++)
		total += exp(logw[s] - peak);
	for (uint32_t s = 0; s < m->n_sv; s++)
		logw[s] -= peak + log(total);
	for (size_t k = 0; k < d; k++)
	{
		double		top = -INFINITY,
					sum = 0.0;

		for (uint32_t s = 0; s < m->n_sv; s++)
		{
			double		b = logw[s] + m->gamma * z[k] * (z[k] - 2.0 * m->sv[(size_t) s * d + k]);

			if (b > top)
				top = b;
		}
		for (uint32_t s = 0; s < m->n_sv; s++)
			sum += exp(logw[s] + m->gamma * z[k] * (z[k] - 2.0 * m->sv[(size_t) s * d + k]) - top);
		contrib[k] = top + log(sum);
	}
	return AN_OK;
}

/* Write the scaling, kernel width, rho and support vectors. */
static void
ocsvm_write(const void *model, an_writer *w)
{
	const ocsvm *m = model;

	an_write_u32(w, m->n_sv);
	an_write_f64(w, m->gamma);
	an_write_f64(w, m->rho);
	for (uint32_t k = 0; k < m->d; k++)
	{
		an_write_f64(w, m->center[k]);
		an_write_f64(w, m->inv_half_sd[k]);
	}
	for (uint32_t s = 0; s < m->n_sv; s++)
	{
		for (uint32_t k = 0; k < m->d; k++)
			an_write_f64(w, m->sv[(size_t) s * m->d + k]);
		an_write_f64(w, m->coef[s]);
	}
}

/* Read and validate a one-class SVM over d features. */
static an_status
ocsvm_read(an_ctx *ctx, an_reader *r, uint16_t version, size_t d,
		   void **model)
{
	ocsvm	   *m = an_alloc(ctx, sizeof(ocsvm));
	double		coef_sum = 0.0;

	if (version != 1)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "unknown ocsvm layout version %u", version);
	if (d < 1 || d > AN_MAX_COLUMNS)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "ocsvm model has %zu features", d);
	m->d = (uint32_t) d;
	m->n_sv = an_read_u32(r);
	m->gamma = an_read_f64(r);
	m->rho = an_read_f64(r);
	if (r->failed || m->n_sv < 1 ||
		(size_t) m->n_sv > an_reader_left(r) / (8 * (d + 1)) ||
		!(m->gamma > 0 && isfinite(m->gamma)) ||
		!(m->rho >= 0 && m->rho <= 1))
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "ocsvm header is invalid");
	m->center = an_alloc(ctx, sizeof(double) * d);
	m->inv_half_sd = an_alloc(ctx, sizeof(double) * d);
	for (size_t k = 0; k < d; k++)
	{
		m->center[k] = an_read_f64(r);
		m->inv_half_sd[k] = an_read_f64(r);
		if (!isfinite(m->center[k]) ||
			!(m->inv_half_sd[k] > 0 && isfinite(m->inv_half_sd[k])))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "ocsvm scaling of feature %zu is invalid", k);
	}
	m->sv = an_alloc(ctx, sizeof(double) * m->n_sv * d);
	m->coef = an_alloc(ctx, sizeof(double) * m->n_sv);
	for (uint32_t s = 0; s < m->n_sv; s++)
	{
		for (size_t k = 0; k < d; k++)
		{
			double		v = an_read_f64(r);

			if (!(v >= -SCALED_LIMIT && v <= SCALED_LIMIT))
				return an_fail(ctx, AN_ERR_CORRUPT, NULL,
							   "ocsvm support vector %u is invalid", s);
			m->sv[(size_t) s * d + k] = v;
		}
		m->coef[s] = an_read_f64(r);
		if (!(m->coef[s] > 0 && m->coef[s] <= 1))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "ocsvm coefficient %u is invalid", s);
		coef_sum += m->coef[s];
	}
	if (r->failed)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "ocsvm support vectors are truncated");
	if (fabs(coef_sum - 1.0) > 1e-6)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "ocsvm coefficients sum to %g, not 1", coef_sum);
	*model = m;
	return AN_OK;
}

const an_detector_ops an_ocsvm_ops = {
	.name = "ocsvm",
	.id = 4,
	.version = 1,
	.params = ocsvm_params,
	.n_params = P_COUNT,
	.auto_threshold = NAN,
	.fit = ocsvm_fit,
	.score = ocsvm_score,
	.explain = ocsvm_explain,
	.write = ocsvm_write,
	.read = ocsvm_read,
};
