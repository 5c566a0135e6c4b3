/*
 * ensemble.c - a weighted vote of other detectors, and `auto`, the default
 * algorithm: the same vote with members chosen by the accuracy benchmark.
 *
 * Each member is fitted on the same matrix with its default options.  The
 * scores of the training rows under each member are kept as quantiles, so
 * a member's score turns into a severity: its rank among the training
 * scores, from 0 to 1 (interpolated between quantiles; above the highest
 * training score it keeps growing with the distance past it, measured in
 * the member's training score range, so the most extreme rows still rank).
 * The ensemble's score is the weighted mean of the members' severities
 * ("mean"), their maximum ("max"; weights then only pick members), or the
 * weighted mean of their tail surprises -log(1 - severity) ("tail"), which
 * lets one member's confident extreme outweigh mild disagreement (mapped
 * back to the severity scale, so that every rule shares one threshold).  Ranks
 * make members whose scores live on different scales comparable (Aggarwal and Sathe, "Theoretical Foundations
 * and Algorithms for Outlier Ensembles", SIGKDD Explorations 2015).
 */
#include "detector.h"
#include "explain.h"
#include "order_stats.h"
#include "prng.h"
#include "row_sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_MEMBERS 9
#define N_QUANTILES 1001
#define CALIBRATION_ROWS 20000

/*
 * auto version 2 fits its neighbour-based members on a uniform sample of at
 * most AUTO_REFERENCE_ROWS training rows with k = AUTO_NEIGHBOURS (version 1:
 * every row, k = 20).  A search among 1,024 points costs a fraction of one
 * among 100,000, and the k-th neighbour distance within a sample scores as
 * well or better (Aggarwal and Sathe, "Theoretical Foundations and
 * Algorithms for Outlier Ensembles", SIGKDD Explorations 2015, on
 * subsampling; Sugiyama and Borgwardt, "Rapid distance-based outlier
 * detection via sampling", NIPS 2013).  The members are still calibrated on
 * the scores of all rows.  Chosen on the twelve development datasets, among
 * samples of 512 and 1,024 rows and k of 10 and 20 (README, Accuracy).
 */
#define AUTO_REFERENCE_ROWS 1024
#define AUTO_NEIGHBOURS 10

/*
 * Without a contamination, a row is flagged when its combined severity
 * reaches the members' 99th training percentile: with "max", when at least
 * one member ranks it in its top 1%.
 */
#define AUTO_THRESHOLD 0.99

enum
{
	P_COMBINE = N_MEMBERS,
	P_COUNT
};

static const char *const combine_words[] = {"mean", "max", "tail", NULL};

/* The member weights, by detector name, then how they combine. */
#define MEMBER_WEIGHTS(iforest, lof, knn, ocsvm, hbos, ecod, copod, zscore, maha, combine) \
	{"iforest", iforest, 0, 100, 0, "weight of iforest"}, \
	{"lof", lof, 0, 100, 0, "weight of lof"}, \
	{"knn", knn, 0, 100, 0, "weight of knn"}, \
	{"ocsvm", ocsvm, 0, 100, 0, "weight of ocsvm"}, \
	{"hbos", hbos, 0, 100, 0, "weight of hbos"}, \
	{"ecod", ecod, 0, 100, 0, "weight of ecod"}, \
	{"copod", copod, 0, 100, 0, "weight of copod"}, \
	{"zscore", zscore, 0, 100, 0, "weight of zscore"}, \
	{"mahalanobis", maha, 0, 100, 0, "weight of mahalanobis"}, \
	{"combine", combine, 0, 2, 1, "how severities combine", combine_words}

static const an_param_spec ensemble_params[P_COUNT] = {
	MEMBER_WEIGHTS(1, 0, 1, 0, 0, 1, 0, 0, 1, 0),
};

/*
 * auto: the members and rule with the best mean ROC AUC over the twelve
 * development datasets among those tried (test/bench/accuracy_table.sh).
 * Version 1 also had iforest; with the sampled knn of version 2 iforest
 * added nothing on them (0.9378 with, 0.9385 without) and cost half the
 * scoring time.  A model keeps the weights it was trained with.
 */
static const an_param_spec auto_params[P_COUNT] = {
	MEMBER_WEIGHTS(0, 0, 1, 0, 0, 1, 0, 0, 1, 1),
};

typedef struct member
{
	const an_detector_ops *ops;
	uint16_t	version;		/* the member's layout, as fitted or read */
	double		weight;
	double	   *quantiles;		/* N_QUANTILES sorted training scores */
	void	   *model;
} member;

typedef struct ensemble
{
	uint32_t	n_members;
	uint32_t	combine;		/* index into combine_words */
	member	   *members;
} ensemble;

/* The severity of score s among a member's training quantiles q. */
static double
severity(const double *q, double s)
{
	size_t		lo = 0,
				len = N_QUANTILES;
	double		range = q[N_QUANTILES - 1] - q[0];

	if (!(s > q[0]))
		return 0.0;
	if (s >= q[N_QUANTILES - 1])
		return range > 0 ? 1.0 + fmin((s - q[N_QUANTILES - 1]) / range, 1e6) : 1.0;
	/*
	 * the last knot below s: q[lo] < s <= q[lo + 1]; a binary
	 * search without a branch on the data (a mispredicted branch per step
	 * cost more than the steps)
	 */
	while (len > 1)
	{
		size_t		half = len / 2;

		lo = q[lo + half] < s ? lo + half : lo;
		len -= half;
	}
	return ((double) lo + (s - q[lo]) / (q[lo + 1] - q[lo])) / (double) (N_QUANTILES - 1);
}

/* The training score quantiles of a fitted member on up to CALIBRATION_ROWS rows of X. */
static double *
member_quantiles(an_ctx *ctx, const member *mb, const double *X, size_t n, size_t d,
				 uint64_t seed)
{
	size_t		k = n < CALIBRATION_ROWS ? n : CALIBRATION_ROWS;
	double	   *scores = an_alloc(ctx, sizeof(double) * k);
	double	   *q = an_alloc(ctx, sizeof(double) * N_QUANTILES);
	an_prng		rng;

	an_prng_seed(&rng, seed ^ UINT64_C(0xE45E));
	for (size_t i = 0; i < k; i++)
	{
		/* every row when there are few, else a uniform sample with replacement */
		size_t		row = k == n ? i : (size_t) an_prng_below(&rng, n);

		scores[i] = mb->ops->score(mb->model, X + row * d);
		if (i % 4096 == 0)
			an_check_interrupts(ctx);
	}
	qsort(scores, k, sizeof(double), an_cmp_double);
	for (int i = 0; i < N_QUANTILES; i++)
		q[i] = an_sorted_quantile(scores, k, (double) i / (N_QUANTILES - 1));
	return q;
}

/* Whether a member is scored by distances to a reference sample. */
static int
is_neighbour_based(const an_detector_ops *ops)
{
	return ops == &an_knn_ops || ops == &an_lof_ops;
}

/*
 * Fit every member with a positive weight on X; neighbour-based members on
 * a sample of at most reference_rows rows with k = AUTO_NEIGHBOURS, unless
 * reference_rows is 0 (all rows, their default k).
 */
static an_status
ensemble_fit(an_ctx *ctx, const an_params *p, const double *X, size_t n,
			 size_t d, void **model, const an_param_spec *specs,
			 size_t reference_rows)
{
	ensemble   *e = an_alloc(ctx, sizeof(ensemble));

	e->members = an_alloc(ctx, sizeof(member) * N_MEMBERS);
	e->combine = (uint32_t) p->values[P_COMBINE];
	for (int i = 0; i < N_MEMBERS; i++)
	{
		member	   *mb = &e->members[e->n_members];
		an_params	mp;
		an_status	st;
		const double *R = X;
		size_t		rows = n;

		if (p->values[i] <= 0)
			continue;
		mb->ops = an_detector_by_name(specs[i].name);
		if (mb->ops == NULL)
			return an_fail(ctx, AN_ERR_PARAM, "Set its weight to 0.",
						   "ensemble member \"%s\" is not available", specs[i].name);
		mb->weight = p->values[i];
		an_params_defaults(&mp, mb->ops);
		memcpy(mp.common, p->common, sizeof(mp.common));
		if (reference_rows > 0 && is_neighbour_based(mb->ops))
		{
			R = an_sample_rows(ctx, X, n, d, reference_rows,
							   (uint64_t) p->common[AN_P_SEED] ^ UINT64_C(0x5AB1E), &rows);
			st = an_params_set(ctx, &mp, mb->ops, "k", AUTO_NEIGHBOURS);
			if (st != AN_OK)
				return st;
		}
		st = mb->ops->fit(ctx, &mp, R, rows, d, &mb->model);
		if (st != AN_OK)
			return an_set_hint(ctx, st, "ensemble member %s: %s", mb->ops->name,
							   ctx->hint[0] ? ctx->hint : "set its weight to 0");
		mb->version = an_detector_layout(mb->ops, mb->model);
		mb->quantiles = member_quantiles(ctx, mb, X, n, d, (uint64_t) p->common[AN_P_SEED]);
		e->n_members++;
	}
	if (e->n_members == 0)
		return an_fail(ctx, AN_ERR_PARAM,
					   "Give at least one member a positive weight, e.g. '{\"iforest\": 1}'.",
					   "ensemble has no members");
	*model = e;
	return AN_OK;
}

/* Fit the ensemble with the ensemble's weights. */
static an_status
ensemble_fit_named(an_ctx *ctx, const an_params *p, const double *X, size_t n,
				   size_t d, void **model)
{
	return ensemble_fit(ctx, p, X, n, d, model, ensemble_params, 0);
}

/*
 * How surprising a severity s is: -log of the fraction of training scores at
 * or above it, floored at the quantiles' resolution; past the highest
 * training score it keeps growing with s.
 */
static double
tail_surprise(double s)
{
	const double floor_fraction = 1.0 / (N_QUANTILES - 1);

	if (s <= 1.0)
		return -log(1.0 - s + floor_fraction);
	return -log(floor_fraction) + (s - 1.0) / floor_fraction;
}

/* The severity whose tail surprise is u: the inverse of tail_surprise. */
static double
tail_severity(double u)
{
	const double floor_fraction = 1.0 / (N_QUANTILES - 1);

	if (u <= -log(floor_fraction))
		return 1.0 + floor_fraction - exp(-u);
	return 1.0 + (u + log(floor_fraction)) * floor_fraction;
}

/* The members' severities combined: weighted mean, maximum, or tail mean. */
static double
ensemble_score(const void *model, const double *x)
{
	const ensemble *e = model;
	double		total = 0,
				weights = 0,
				best = 0;

	for (uint32_t i = 0; i < e->n_members; i++)
	{
		const member *mb = &e->members[i];
		double		s = severity(mb->quantiles, mb->ops->score(mb->model, x));

		if (e->combine == 2)
			s = tail_surprise(s);
		total += mb->weight * s;
		weights += mb->weight;
		if (s > best)
			best = s;
	}
	if (e->combine == 1)
		return best;
	return e->combine == 2 ? tail_severity(total / weights) : total / weights;
}

/*
 * Contribution of feature j: the members' explanations, each normalised to
 * shares summing to 1 and weighted by what the member adds to the combined
 * score (an_member_parts: its weighted term of the mean, of the mean tail
 * surprise for "tail", or its Shapley value for "max"), the weighted shares
 * scaled to sum to the ensemble's score.  For "mean" this splits the score
 * exactly among the members, and for "max" exactly among the members that
 * reach its levels (members that agree share it, rather than the one at the
 * maximum taking the whole row); within a member as its own explanation
 * does.  For "tail" the members split the mean surprise, which the score
 * maps back to the severity scale.
 */
static an_status
ensemble_explain(an_ctx *ctx, const void *model, const double *x, size_t d,
				 double *contrib)
{
	const ensemble *e = model;
	double	   *value = an_alloc(ctx, sizeof(double) * e->n_members);
	double	   *weight = an_alloc(ctx, sizeof(double) * e->n_members);
	double	   *part = an_alloc(ctx, sizeof(double) * e->n_members);
	double	   *member_contrib = an_alloc(ctx, sizeof(double) * d);
	double		parts = 0,
				score;

	for (uint32_t i = 0; i < e->n_members; i++)
	{
		const member *mb = &e->members[i];
		double		s = severity(mb->quantiles, mb->ops->score(mb->model, x));

		value[i] = e->combine == 2 ? tail_surprise(s) : s;
		/* a severity near 0 has a slightly negative surprise: no part */
		value[i] = value[i] > 0 ? value[i] : 0.0;
		weight[i] = mb->weight;
	}
	an_member_parts(e->n_members, value, weight, e->combine == 1, part);
	for (uint32_t i = 0; i < e->n_members; i++)
		parts += part[i];
	score = ensemble_score(model, x);
	for (uint32_t i = 0; i < e->n_members; i++)
	{
		const member *mb = &e->members[i];
		double		total = 0;
		an_status	st;

		if (!(part[i] > 0))
			continue;
		if (mb->ops->explain == NULL)
			return an_fail(ctx, AN_ERR_PARAM, NULL,
						   "ensemble member %s cannot explain its scores",
						   mb->ops->name);
		memset(member_contrib, 0, sizeof(double) * d);
		st = mb->ops->explain(ctx, mb->model, x, d, member_contrib);
		if (st != AN_OK)
			return st;
		/* as an_model_explain: a negative or non-finite contribution is 0 */
		for (size_t j = 0; j < d; j++)
		{
			double		c = member_contrib[j];

			member_contrib[j] = isfinite(c) && c > 0 ? c : 0.0;
			total += member_contrib[j];
		}
		for (size_t j = 0; j < d; j++)
			contrib[j] += part[i] / parts * score *
				(total > 0 ? member_contrib[j] / total : 1.0 / (double) d);
	}
	return AN_OK;
}

/* Write each member: id, layout version, weight, quantiles and its bytes. */
static void
ensemble_write(const void *model, an_writer *w)
{
	const ensemble *e = model;

	an_write_u32(w, e->n_members);
	an_write_u32(w, e->combine);
	for (uint32_t i = 0; i < e->n_members; i++)
	{
		const member *mb = &e->members[i];
		size_t		at;

		an_write_u16(w, mb->ops->id);
		an_write_u16(w, mb->version);
		an_write_f64(w, mb->weight);
		for (int q = 0; q < N_QUANTILES; q++)
			an_write_f64(w, mb->quantiles[q]);
		at = w->len;
		an_write_u32(w, 0);
		mb->ops->write(mb->model, w);
		an_patch_u32(w, at, (uint32_t) (w->len - at - 4));
	}
}

/*
 * Read and validate an ensemble over d features.  Both versions of auto
 * have this layout and score alike; version 2's neighbour members hold a
 * smaller reference sample.
 */
static an_status
ensemble_read(an_ctx *ctx, an_reader *r, uint16_t version, size_t d, void **model)
{
	ensemble   *e = an_alloc(ctx, sizeof(ensemble));

	if (version != 1 && version != 2)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "unknown ensemble layout version %u", version);
	e->n_members = an_read_u32(r);
	e->combine = an_read_u32(r);
	if (r->failed || e->n_members < 1 || e->n_members > N_MEMBERS || e->combine > 2)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "ensemble header is invalid");
	e->members = an_alloc(ctx, sizeof(member) * e->n_members);
	for (uint32_t i = 0; i < e->n_members; i++)
	{
		member	   *mb = &e->members[i];
		uint16_t	id = an_read_u16(r);
		uint16_t	member_version = an_read_u16(r);
		uint32_t	len;
		const unsigned char *bytes;
		an_reader	sub;
		an_status	st;

		mb->ops = an_detector_by_id(id);
		mb->version = member_version;
		mb->weight = an_read_f64(r);
		if (r->failed || mb->ops == NULL || mb->ops->read == ensemble_read ||
			!(mb->weight > 0 && mb->weight <= 100))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL, "ensemble member %u is invalid", i + 1);
		if (an_reader_left(r) < sizeof(double) * N_QUANTILES)
			return an_fail(ctx, AN_ERR_CORRUPT, NULL, "ensemble member %u is truncated", i + 1);
		mb->quantiles = an_alloc(ctx, sizeof(double) * N_QUANTILES);
		for (int q = 0; q < N_QUANTILES; q++)
		{
			mb->quantiles[q] = an_read_f64(r);
			if (!isfinite(mb->quantiles[q]) || (q > 0 && mb->quantiles[q] < mb->quantiles[q - 1]))
				return an_fail(ctx, AN_ERR_CORRUPT, NULL,
							   "ensemble member %u has invalid quantiles", i + 1);
		}
		len = an_read_u32(r);
		bytes = an_read_bytes(r, len);
		if (r->failed || bytes == NULL)
			return an_fail(ctx, AN_ERR_CORRUPT, NULL, "ensemble member %u is truncated", i + 1);
		an_reader_init(&sub, bytes, len);
		st = mb->ops->read(ctx, &sub, member_version, d, &mb->model);
		if (st != AN_OK)
			return st;
		if (an_reader_left(&sub) != 0)
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "ensemble member %u has trailing bytes", i + 1);
	}
	*model = e;
	return AN_OK;
}

/* Fit the ensemble with auto's weights, as auto's current version does. */
static an_status
auto_fit(an_ctx *ctx, const an_params *p, const double *X, size_t n, size_t d, void **model)
{
	return ensemble_fit(ctx, p, X, n, d, model, auto_params, AUTO_REFERENCE_ROWS);
}

const an_detector_ops an_ensemble_ops = {
	.name = "ensemble",
	.id = 10,
	.version = 1,
	.params = ensemble_params,
	.n_params = P_COUNT,
	.auto_threshold = AUTO_THRESHOLD,
	.fit = ensemble_fit_named,
	.score = ensemble_score,
	.explain = ensemble_explain,
	.write = ensemble_write,
	.read = ensemble_read,
};

/* version 1: neighbour members over every training row; 2: over a sample */
const an_detector_ops an_auto_ops = {
	.name = "auto",
	.id = 11,
	.version = 2,
	.params = auto_params,
	.n_params = P_COUNT,
	.auto_threshold = AUTO_THRESHOLD,
	.fit = auto_fit,
	.score = ensemble_score,
	.explain = ensemble_explain,
	.write = ensemble_write,
	.read = ensemble_read,
};
