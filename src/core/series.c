/*
 * series.c - the series detector: a baseline, a band and a score per point.
 *
 * auto (the default) combines three causal parts:
 *  - a robust seasonal baseline: the median of the values one, two and three
 *    seasons back (a seasonal naive forecast made robust to a single past
 *    anomaly by the median; Hyndman and Athanasopoulos, "Forecasting:
 *    Principles and Practice", 3rd ed., section 5.2), or an exponentially
 *    weighted level (Brown's simple exponential smoothing) without a season;
 *  - the anomaly likelihood of Ahmad, Lavin, Purdy and Agha, "Unsupervised
 *    real-time anomaly detection for streaming data", Neurocomputing 262
 *    (2017): raw errors in [0, 1) are modelled by a normal distribution
 *    (here its moments weighted over a span of 1,024 averaged errors, where
 *    the paper keeps a window), the mean of the last few raw errors is
 *    judged against it,
 *    and the tail probability is put on their log scale, so a burst of
 *    unusual errors scores high while one noisy point does not;
 *  - a novelty rule after the same paper's NAB detector: a value outside
 *    the range seen so far (by more than 5 % of it) is an anomaly by itself;
 *  - the same log-scaled tail for the single point's error at half weight
 *    (POINT_SDS), so that a lone spike or dip, which the average dilutes,
 *    still scores.
 * After a score, lower scores within a third of the learning period are
 * halved (QUIET_FACTOR): one incident is reported once, as the alerting
 * rules of NAB's best detectors do, rather than at every row it lasts; a
 * novel value is not halved (an incident that reaches new extremes is
 * reported again, as the NAB detector's rule scores it whatever came
 * before).
 * auto's score is the mean of that score and the sequence part's
 * (series_sequence.c: which level followed which short run of levels,
 * scored as CAD OSE scores its contexts, raised to the novelty score for a
 * novel value too): the likelihood sees how far a value is from expected,
 * the sequence part whether the pattern it ends was ever seen.
 * The constants were chosen on NAB as README's Time series section says.
 * band scores the distance from the seasonal baseline in robust sds (z /
 * (2 band), so the band's edge is score 0.5); mad does the same against the
 * rolling median and MAD of a window (Hampel's identifier; Hampel, JASA 69,
 * 1974).  context takes its expectation and band from the seasonal baseline
 * and its score from the contextual anomaly detector of series_context.c,
 * raised to the novelty score when the value is novel by auto's rule (the
 * contexts see values through a quantizer fixed on the learning period, so
 * a value beyond anything seen so far needs the rule to be seen at all).
 */
#include "series_impl.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define NOVELTY_TOLERANCE 0.05
#define LIKELIHOOD_MIN_SD 1e-3
#define NOVELTY_SCORE 0.995
#define QUIET_FACTOR 0.5
#define RAW_SCALES 3.0
#define POINT_SDS 2.0

/* The defaults: auto, season detected, 100 points of learning. */
void
an_series_default_options(an_series_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->method = AN_SERIES_AUTO;
	opt->season = 0;
	opt->learning = 100;
	opt->sensitivity = 0.5;
	opt->band = 3.0;
	opt->suppress_k = 1;
	opt->suppress_n = 1;
	opt->margin = 0;
	opt->window = 60;
}

/* Check a given value range: finite, lo < hi with room for the levels
 * between them, and only with the methods that quantize (auto's sequence
 * part and context). */
static an_status
check_range(an_ctx *ctx, const an_series_options *opt)
{
	if (opt->method != AN_SERIES_CONTEXT && opt->method != AN_SERIES_AUTO)
		return an_fail(ctx, AN_ERR_PARAM, "Use method auto or context, or leave \"range\" out.",
					   "series option \"range\" is only used by methods auto and context");
	if (!isfinite(opt->range_lo) || !isfinite(opt->range_hi))
		return an_fail(ctx, AN_ERR_PARAM, "Give two finite numbers, such as [0, 100] for a percentage.",
					   "series option \"range\" must hold finite numbers, not [%g, %g]",
					   opt->range_lo, opt->range_hi);
	if (!(opt->range_lo < opt->range_hi))
		return an_fail(ctx, AN_ERR_PARAM, "Give the lowest value first, such as [0, 100].",
					   "series option \"range\" must be [lo, hi] with lo < hi, not [%g, %g]",
					   opt->range_lo, opt->range_hi);
	if (!(an_context_level_step(opt->range_lo, opt->range_hi) > 0))
		return an_fail(ctx, AN_ERR_PARAM, "Give a wider range, or leave \"range\" out to learn it.",
					   "range [%g, %g] is too narrow for the detector's levels",
					   opt->range_lo, opt->range_hi);
	return AN_OK;
}

/* Check options; a bad one fails with AN_ERR_PARAM and a hint. */
an_status
an_series_check_options(an_ctx *ctx, const an_series_options *opt)
{
	if (opt->method < AN_SERIES_AUTO || opt->method > AN_SERIES_CONTEXT)
		return an_fail(ctx, AN_ERR_PARAM, "Use auto, band, mad or context.",
					   "unknown series method %d", (int) opt->method);
	if (opt->season < -1 || opt->season > AN_SERIES_MAX_SEASON || opt->season == 1)
		return an_fail(ctx, AN_ERR_PARAM,
					   "Give a season of 2 to 1000 points, 0 to detect it, or \"none\".",
					   "season %d is out of range", opt->season);
	if (opt->learning < 1 || opt->learning > AN_SERIES_MAX_LEARNING)
		return an_fail(ctx, AN_ERR_PARAM, "Give a learning period of 1 to 100000000 points.",
					   "learning period %d is out of range", opt->learning);
	if (!(opt->sensitivity > 0 && opt->sensitivity < 1))
		return an_fail(ctx, AN_ERR_PARAM, "Give a sensitivity strictly between 0 and 1.",
					   "sensitivity %g is out of range", opt->sensitivity);
	if (!(opt->band > 0 && opt->band <= 100))
		return an_fail(ctx, AN_ERR_PARAM, "Give a band of more than 0 and at most 100 sds.",
					   "band %g is out of range", opt->band);
	if (opt->suppress_n < 1 || opt->suppress_n > 64 ||
		opt->suppress_k < 1 || opt->suppress_k > opt->suppress_n)
		return an_fail(ctx, AN_ERR_PARAM,
					   "Give suppression as k of n points with 1 <= k <= n <= 64.",
					   "suppression %d of %d is out of range", opt->suppress_k, opt->suppress_n);
	if (!(opt->margin >= 0 && isfinite(opt->margin)))
		return an_fail(ctx, AN_ERR_PARAM, "Give a margin of 0 or more.",
					   "margin %g is out of range", opt->margin);
	if (opt->window < 3 || opt->window > AN_SERIES_HISTORY)
		return an_fail(ctx, AN_ERR_PARAM, "Give a window of 3 to 2048 points.",
					   "window %d is out of range", opt->window);
	if (opt->has_range)
		return check_range(ctx, opt);
	return AN_OK;
}

/* A new detector in its initial state. */
an_status
an_series_create(an_ctx *ctx, const an_series_options *opt, an_series **out)
{
	an_series  *s;
	an_status	st = an_series_check_options(ctx, opt);

	if (st != AN_OK)
		return st;
	s = an_alloc(ctx, sizeof(an_series));
	s->ctx = ctx;
	s->opt = *opt;
	s->season = opt->season > 0 ? opt->season : 0;
	if (opt->method == AN_SERIES_CONTEXT)
		s->context = an_context_create(ctx, opt->learning);
	if (opt->has_range && opt->method == AN_SERIES_CONTEXT)
		an_context_fix_range(s->context, opt->range_lo, opt->range_hi);
	if (opt->has_range && opt->method == AN_SERIES_AUTO)
		an_sequence_fix_range(&s->seq, opt->range_lo, opt->range_hi);
	*out = s;
	return AN_OK;
}

/* A copy of s allocated through ctx, which the copy then uses. */
an_series *
an_series_copy(const an_series *s, an_ctx *ctx)
{
	an_series  *copy = an_alloc(ctx, sizeof(an_series));

	memcpy(copy, s, sizeof(an_series));
	copy->ctx = ctx;
	/* the context method's detector lives apart: copied too, not shared */
	if (s->context != NULL)
		copy->context = an_context_copy(s->context, ctx, s->opt.learning);
	return copy;
}

/* Points the state has taken in. */
uint64_t
an_series_count(const an_series *s)
{
	return s->n;
}

/* Season in use (0 when none). */
int
an_series_season(const an_series *s)
{
	return s->season;
}

/* The value k steps back (k >= 1, k <= min(n, H)). */
static double
back(const an_series *s, uint64_t k)
{
	return s->history[(s->n - k) % AN_SERIES_HISTORY];
}

/* The value a season before the next point, NaN without a season or
 * before a whole season has passed. */
static double
season_back(const an_series *s)
{
	return s->season > 0 && s->n >= (uint64_t) s->season ? back(s, (uint64_t) s->season) : NAN;
}

/* Median of a, b and c. */
static double
median3(double a, double b, double c)
{
	if (a > b)
	{
		double		t = a;

		a = b;
		b = t;
	}
	return c < a ? a : (c > b ? b : c);
}

/* The seasonal baseline of x[i] from x[0..i): the median of the values one,
 * two and three seasons back, or one season back while fewer are there. */
static double
seasonal_baseline(const double *x, int i, int p)
{
	if (i >= 3 * p)
		return median3(x[i - p], x[i - 2 * p], x[i - 3 * p]);
	return x[i - p];
}

/* The baseline for the next value: seasonal median or the smoothed level. */
static double
baseline(const an_series *s)
{
	uint64_t	p = (uint64_t) s->season;

	if (p == 0 || s->n < p)
		return s->level;
	if (s->n >= 3 * p)
		return median3(back(s, p), back(s, 2 * p), back(s, 3 * p));
	return back(s, p);
}

/* Sort a[0..n) ascending (insertion sort: windows are small). */
static void
sort_small(double *a, int n)
{
	for (int i = 1; i < n; i++)
	{
		double		v = a[i];
		int			j = i - 1;

		while (j >= 0 && a[j] > v)
		{
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = v;
	}
}

/* Median of a sorted a[0..n). */
static double
sorted_median(const double *a, int n)
{
	return n % 2 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
}

/* Rolling median and MAD of the last window values (mad method). */
static void
rolling_median_mad(const an_series *s, double *median, double *mad)
{
	double		w[AN_SERIES_HISTORY];
	int			m = (int) (s->n < (uint64_t) s->opt.window ? s->n : (uint64_t) s->opt.window);

	for (int k = 0; k < m; k++)
		w[k] = back(s, (uint64_t) k + 1);
	sort_small(w, m);
	*median = sorted_median(w, m);
	for (int k = 0; k < m; k++)
		w[k] = fabs(w[k] - *median);
	sort_small(w, m);
	*mad = sorted_median(w, m);
}

/* Standard normal upper tail probability Q(z). */
static double
normal_tail(double z)
{
	return 0.5 * erfc(z / sqrt(2.0));
}

/*
 * Take an averaged raw error into the likelihood's moments: its mean and the
 * mean of its square, weighted exponentially with a weight of 1 / min(n + 1,
 * AN_SERIES_ERRORS) for the n-th (the plain mean of the first ones, then a
 * span of AN_SERIES_ERRORS; West, "Updating mean and variance estimates",
 * CACM 22(9), 1979), so the state keeps two numbers, not a window.
 */
static void
push_error(an_series *s, double raw)
{
	uint64_t	span = s->n_errors + 1 < AN_SERIES_ERRORS ? s->n_errors + 1 : AN_SERIES_ERRORS;
	double		weight = 1.0 / (double) span;

	s->error_mean += weight * (raw - s->error_mean);
	s->error_meansq += weight * (raw * raw - s->error_meansq);
	s->n_errors++;
}

/*
 * Ahmad et al.'s log likelihood: the mean of the last AN_SERIES_SHORT raw
 * errors judged under a normal fitted to the earlier such means (their
 * weighted moments, before this one is added); the mean is then taken in.
 */
static double
likelihood_score(an_series *s, double raw)
{
	uint64_t	k = s->n_recent + 1 < AN_SERIES_SHORT ? s->n_recent + 1 : AN_SERIES_SHORT;
	double		mean,
				sd,
				recent = 0,
				tail;

	s->recent[s->n_recent++ % AN_SERIES_SHORT] = raw;
	for (uint64_t i = 0; i < k; i++)
		recent += s->recent[i];
	recent /= k;
	if (s->n_errors < 2)
	{
		push_error(s, recent);
		return 0;
	}
	mean = s->error_mean;
	sd = sqrt(fmax(s->error_meansq - mean * mean, 0));
	if (sd < LIKELIHOOD_MIN_SD)
		sd = LIKELIHOOD_MIN_SD;
	push_error(s, recent);
	if (recent <= mean)
		return 0;
	tail = normal_tail((recent - mean) / sd);
	/* their log scale: likelihood 1 - 1e-5 gives 0.5, 1 - 1e-10 gives 1 */
	return fmin(1.0, log(tail + 1e-10) / log(1e-10));
}

/* The raw error in [0, 1) of an absolute error against the error scale. */
static double
raw_error(const an_series *s, double error)
{
	double		floor = 1e-9 * fmax(1.0, fabs(s->max_seen - s->min_seen));

	return error <= floor ? 0 : 1 - exp(-error / (RAW_SCALES * fmax(s->scale, floor)));
}

/*
 * Once a season is found at the end of learning, the errors taken so far
 * (against the level) say nothing about the seasonal baseline: compute the
 * scale and the likelihood's moments again from the learning values x[0..m).
 */
static void
relearn_errors(an_series *s, const double *x, int m)
{
	int			p = s->season;
	double		sum = 0;

	if (m <= p)
		return;
	for (int i = p; i < m; i++)
		sum += fmin(fabs(x[i] - seasonal_baseline(x, i, p)), DBL_MAX);
	if (!isfinite(sum))
	{
		/* values near the largest double: the same mean without overflow */
		sum = 0;
		for (int i = p; i < m; i++)
			sum += fmin(fabs(x[i] - seasonal_baseline(x, i, p)), DBL_MAX) / (m - p);
		sum *= m - p;
	}
	s->scale = fmin(sum / (m - p), DBL_MAX);
	s->n_errors = 0;
	s->n_recent = 0;
	s->error_mean = 0;
	s->error_meansq = 0;
	for (int i = p; i < m; i++)
		(void) likelihood_score(s, raw_error(s, fabs(x[i] - seasonal_baseline(x, i, p))));
}

/*
 * The two-sided normal tail of one error in robust sds, on the same log scale
 * as the likelihood: what the average of recent errors dilutes, a single
 * spike or dip, still scores.
 */
static double
point_score(double error, double spread)
{
	double		z = spread > 0 ? error / spread : (error > 0 ? INFINITY : 0);

	return fmin(1.0, log(2 * normal_tail(z) + 1e-10) / log(1e-10));
}

/* Keep value in the ring and the level, range and scale up to date. */
static void
take_value(an_series *s, double value, double error)
{
	double		alpha = 1.0 / (double) (s->n < 20 ? s->n + 1 : 20);
	double		beta = 1.0 / (double) (s->n < 500 ? s->n + 1 : 500);

	s->history[s->n % AN_SERIES_HISTORY] = value;
	if (s->n == 0)
		s->level = value;
	else if (isfinite(value - s->level))
		s->level += alpha * (value - s->level);
	else						/* value - level overflows: weigh them instead */
		s->level = (1 - alpha) * s->level + alpha * value;
	s->scale = s->n == 0 ? 0 : s->scale + beta * (error - s->scale);
	if (s->n == 0 || value < s->min_seen)
		s->min_seen = value;
	if (s->n == 0 || value > s->max_seen)
		s->max_seen = value;
	s->n++;
	if (s->n == (uint64_t) s->opt.learning &&
		(s->opt.season == 0 || s->opt.method == AN_SERIES_AUTO))
	{
		double		x[AN_SERIES_HISTORY];
		int			m = (int) (s->n < AN_SERIES_HISTORY ? s->n : AN_SERIES_HISTORY);

		for (int k = 0; k < m; k++)
			x[m - 1 - k] = back(s, (uint64_t) k + 1);
		if (s->opt.season == 0)
		{
			s->season = an_series_detect_season(x, m, AN_SERIES_MAX_SEASON);
			if (s->opt.method != AN_SERIES_MAD && s->season > 0)
				relearn_errors(s, x, m);
		}
		if (s->opt.method == AN_SERIES_AUTO)
			an_sequence_learn(&s->seq, x, m, s->season);
	}
}


/* Whether value lies outside the range seen so far by the novelty tolerance. */
static int
is_novel(const an_series *s, double value)
{
	double		tol = NOVELTY_TOLERANCE * (s->max_seen - s->min_seen);

	return value > s->max_seen + tol || value < s->min_seen - tol;
}

/* Record whether this point breached; flag when k of the last n did. */
static int
suppressed_flag(an_series *s, int breach)
{
	uint64_t	mask = s->opt.suppress_n == 64 ? ~UINT64_C(0) :
		(UINT64_C(1) << s->opt.suppress_n) - 1;
	int			count = 0;

	s->breaches = ((s->breaches << 1) | (breach ? 1 : 0)) & mask;
	for (uint64_t b = s->breaches; b; b &= b - 1)
		count++;
	return count >= s->opt.suppress_k;
}

/* Advance over missing points, each taken as its expected value. */
void
an_series_fill(an_series *s, int missing)
{
	if (missing > AN_SERIES_HISTORY)
		missing = AN_SERIES_HISTORY;
	for (int i = 0; i < missing && s->n > 0; i++)
	{
		double		expected,
					mad;

		if (s->opt.method == AN_SERIES_MAD)
			rolling_median_mad(s, &expected, &mad);
		else
			expected = baseline(s);
		if (s->seq.ready)
			an_sequence_fill(&s->seq, expected, season_back(s));
		/* an error equal to the scale leaves the scale as it is */
		take_value(s, expected, s->scale);
	}
}

/*
 * The score at which a point breaches: 1 - sensitivity, and for context
 * 1 - sensitivity / 2, so that the default flags at CAD's threshold of 0.75
 * (its raw score is 0.5 whenever no context foresaw the value).
 */
static double
flag_threshold(const an_series *s)
{
	return s->opt.method == AN_SERIES_CONTEXT ? 1 - s->opt.sensitivity / 2 : 1 - s->opt.sensitivity;
}

/* Advance by one finite value and describe it. */
void
an_series_update(an_series *s, double value, an_series_point *out)
{
	double		expected,
				spread,
				error,
				score = 0;
	int			learning = s->n < (uint64_t) s->opt.learning;

	if (s->opt.method == AN_SERIES_MAD && s->n > 0)
	{
		double		mad;

		rolling_median_mad(s, &expected, &mad);
		spread = 1.4826 * mad;
	}
	else
	{
		expected = baseline(s);
		spread = 1.2533 * s->scale;	/* mean absolute error to sd, under normality */
	}
	memset(out, 0, sizeof(*out));
	out->expected = expected;
	out->lower = expected - s->opt.band * spread;
	out->upper = expected + s->opt.band * spread;
	out->learning = learning;
	if (!isfinite(value))
	{
		out->expected = s->n ? expected : NAN;
		return;
	}
	if (s->context)
		score = an_context_update(s->context, value);
	if (s->n == 0)
	{
		out->expected = out->lower = out->upper = value;
		take_value(s, value, 0);
		return;
	}
	error = fmin(fabs(value - expected), DBL_MAX);	/* finite even when it overflows */
	out->direction = value > expected ? 1 : (value < expected ? -1 : 0);
	if (s->opt.method == AN_SERIES_AUTO)
	{
		int			novel = !learning && is_novel(s, value);

		double		sequence = 0;

		score = fmax(likelihood_score(s, raw_error(s, error)),
					 point_score(error, POINT_SDS * spread));
		if (novel)
			score = fmax(score, NOVELTY_SCORE);
		if (s->n >= s->quiet_until)
			s->peak = 0;
		if (!learning && score > s->peak)
		{
			s->peak = score;
			s->quiet_until = s->n + 1 + (uint64_t) s->opt.learning / 3;
		}
		else if (!novel)
			score *= QUIET_FACTOR;
		if (s->seq.ready)
			sequence = an_sequence_update(&s->seq, value, season_back(s), s->n,
										  an_sequence_rest(s->opt.learning));
		if (novel)
			sequence = fmax(sequence, NOVELTY_SCORE);
		score = (score + sequence) / 2;
	}
	else if (s->opt.method == AN_SERIES_CONTEXT)
	{
		if (!learning && is_novel(s, value))
			score = fmax(score, NOVELTY_SCORE);
	}
	else
	{
		double		z = spread > 0 ? error / spread : (error > 0 ? INFINITY : 0);

		score = fmin(1.0, z / (2 * s->opt.band));
	}
	take_value(s, value, error);
	if (learning)
		score = 0;
	out->score = score;
	out->is_anomaly = suppressed_flag(s, score >= flag_threshold(s) && error > s->opt.margin);
}
