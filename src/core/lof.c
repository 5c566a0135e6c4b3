/*
 * lof.c - Local Outlier Factor (Breunig, Kriegel, Ng and Sander, "LOF:
 * Identifying Density-Based Local Outliers", SIGMOD 2000).
 *
 * Fit keeps the scaled reference sample in a k-d tree (standardised by
 * default: robust scaling measured mean ROC AUC 0.600 against 0.661 on the
 * twelve benchmark datasets, hurt by columns full of ties) and
 * precomputes, for every reference point o, its k-distance (the distance to
 * its k-th nearest other reference point, the paper's definition 3) and its
 * local reachability density (definition 6):
 *
 *   lrd(o) = 1 / (mean over the k neighbours p of o of reach-dist(o, p) + eps)
 *   reach-dist(o, p) = max(k-distance(p), d(o, p))            (definition 5)
 *
 * leaving o itself out of its own neighbours, as the paper's training
 * definition does.  Scoring a new x takes its k nearest reference points
 * (an exact duplicate of x is a legitimate neighbour at distance 0) and
 * returns LOF(x) = mean(lrd(o)) / lrd(x) (definition 7), about 1 inside a
 * cluster and larger the sparser x is than its neighbours.
 *
 * Option "approximate" (eps, version 2) scores with the (1 + eps)-approximate
 * search (an_nn_search_approx): x's k neighbours, and so its reachability
 * distances, may be up to 1 + eps times farther than the true ones.  The
 * fit stays exact: every reference point's k-distance and lrd enter the
 * score of each x near it, so an error there would be paid on every score
 * rather than on one, and lof_explain, which repeats a fit search, still
 * finds what the fit found.  Training is paid once; scoring is the hot loop.
 * Version 1 models, and eps = 0, search exactly; a model without eps is
 * written in layout 1, byte for byte as before, so older releases read it.
 *
 * Exactly k neighbours are used (not the paper's tie-extended neighbourhood,
 * which is unbounded with duplicates), ties broken by position.  eps = 1e-10
 * (as scikit-learn adds) keeps lrd finite when k or more duplicates make
 * every reachability distance zero; lrd is then at most 1e10.
 */
#include "detector.h"
#include "neighbors.h"

#include <math.h>

#define LOF_EPS 1e-10
/* The largest distance between two clamped points over AN_MAX_COLUMNS. */
#define LOF_MAX_DIST 1e153

enum
{
	P_K = 0,
	P_SCALING,
	P_APPROXIMATE,
	P_COUNT
};

static const an_param_spec lof_params[P_COUNT] = {
	{"k", 20, 1, AN_NN_MAX_K, 1, "neighbours per point (MinPts)", NULL},
	{"scaling", AN_NN_SCALE_STANDARD, 0, AN_NN_SCALINGS - 1, 1,
	"how features are scaled", an_nn_scalings},
	{"approximate", 0, 0, AN_NN_MAX_EPS, 0,
	"eps of the (1 + eps)-approximate neighbour search, 0 for exact", NULL, 2},
};

typedef struct lof_model
{
	uint32_t	k;
	uint16_t	version;		/* the layout: 1 unless eps is set, or as read */
	double		eps;			/* of the scoring search; 0 is exact */
	an_nn_index *ix;
	double	   *kdist;			/* per reference point, in tree order */
	double	   *lrd;			/* per reference point, in tree order */
} lof_model;

/* Fit: the index, then every reference point's k-distance, then its lrd. */
static an_status
lof_fit(an_ctx *ctx, const an_params *p, const double *X, size_t n,
		size_t d, void **model)
{
	lof_model  *m = an_alloc(ctx, sizeof(lof_model));
	an_nn_hit  *hits;
	double	   *row;
	an_status	st;

	m->k = (uint32_t) p->values[P_K];
	m->version = p->values[P_APPROXIMATE] > 0 ? 2 : 1;
	m->eps = p->values[P_APPROXIMATE];
	st = an_nn_check_k(ctx, "lof", m->k, n);
	if (st != AN_OK)
		return st;
	m->ix = an_nn_build(ctx, X, n, d, (int) p->values[P_SCALING]);
	m->kdist = an_alloc(ctx, sizeof(double) * n);
	m->lrd = an_alloc(ctx, sizeof(double) * n);
	hits = an_alloc(ctx, sizeof(an_nn_hit) * m->k);
	row = an_alloc(ctx, sizeof(double) * d);
	/* the two passes search again rather than keep n * k neighbours */
	for (uint32_t i = 0; i < m->ix->n; i++)
	{
		an_nn_point(m->ix, i, row);
		an_nn_search(m->ix, row, m->k, i, hits);
		m->kdist[i] = sqrt(hits[m->k - 1].dist2);
		if (i % 1024 == 0)
			an_check_interrupts(ctx);
	}
	for (uint32_t i = 0; i < m->ix->n; i++)
	{
		double		reach = 0;

		an_nn_point(m->ix, i, row);
		an_nn_search(m->ix, row, m->k, i, hits);
		for (uint32_t j = 0; j < m->k; j++)
			reach += fmax(m->kdist[hits[j].pos], sqrt(hits[j].dist2));
		m->lrd[i] = 1.0 / (reach / m->k + LOF_EPS);
		if (i % 1024 == 0)
			an_check_interrupts(ctx);
	}
	*model = m;
	return AN_OK;
}

/* LOF(x) = mean lrd of x's k neighbours / lrd(x); allocates nothing. */
static double
lof_score(const void *model, const double *x)
{
	const lof_model *m = model;
	double		q[AN_MAX_COLUMNS];
	an_nn_hit	hits[AN_NN_MAX_K];
	double		reach = 0,
				density = 0;

	an_nn_scale(m->ix, x, q);
	an_nn_search_approx(m->ix, q, m->k, m->ix->n, m->eps, hits);
	for (uint32_t j = 0; j < m->k; j++)
	{
		reach += fmax(m->kdist[hits[j].pos], sqrt(hits[j].dist2));
		density += m->lrd[hits[j].pos];
	}
	return (density / m->k) * (reach / m->k + LOF_EPS);
}

/*
 * Each feature's part of the score.  LOF(x) = A * (R / k + eps), where A is
 * the mean lrd of x's k neighbours and R the sum of x's reachability
 * distances to them.  Each reachability distance is a Euclidean distance
 * between two points: to the neighbour o when d(x, o) >= k-distance(o),
 * otherwise between o and its own k-th neighbour.  That distance D splits
 * exactly over the features as D = sum_j D * dj^2 / D^2; split so and
 * weighted by A / k, the contributions sum to LOF(x) - A * eps.  Holding A
 * fixed, this credits each feature with its part of the distances that
 * make x's neighbourhood sparse, including the neighbours' own sparseness
 * when it bounds the reachability.
 */
static an_status
lof_explain(an_ctx *ctx, const void *model, const double *x, size_t d,
			double *contrib)
{
	const lof_model *m = model;
	double	   *q = an_alloc(ctx, sizeof(double) * d);
	double	   *row = an_alloc(ctx, sizeof(double) * d);
	an_nn_hit  *hits = an_alloc(ctx, sizeof(an_nn_hit) * m->k);
	an_nn_hit  *own = an_alloc(ctx, sizeof(an_nn_hit) * m->k);
	double		density = 0;

	an_nn_scale(m->ix, x, q);
	an_nn_search_typical(m->ix, q, m->k, hits);
	for (uint32_t i = 0; i < m->k; i++)
		density += m->lrd[hits[i].pos];
	for (uint32_t i = 0; i < m->k; i++)
	{
		uint32_t	o = hits[i].pos;
		double		dist = sqrt(hits[i].dist2);
		double		weight = (density / m->k) / m->k;

		if (dist >= m->kdist[o])
		{
			an_nn_split_distance(m->ix, q, o, hits[i].dist2, weight * dist, contrib);
			continue;
		}
		/* the same search that set k-distance(o) when fitting */
		an_nn_point(m->ix, o, row);
		an_nn_search(m->ix, row, m->k, o, own);
		an_nn_split_distance(m->ix, row, own[m->k - 1].pos, own[m->k - 1].dist2,
							 weight * m->kdist[o], contrib);
	}
	return AN_OK;
}

/* Write k, eps (layout 2 on), the sample, the k-distances and densities. */
static void
lof_write(const void *model, an_writer *w)
{
	const lof_model *m = model;

	an_write_u32(w, m->k);
	if (m->version >= 2)
		an_write_f64(w, m->eps);
	an_nn_write(m->ix, w);
	for (uint32_t i = 0; i < m->ix->n; i++)
		an_write_f64(w, m->kdist[i]);
	for (uint32_t i = 0; i < m->ix->n; i++)
		an_write_f64(w, m->lrd[i]);
}

/* Read and validate a LOF model over d features; version 1 has no eps. */
static an_status
lof_read(an_ctx *ctx, an_reader *r, uint16_t version, size_t d, void **model)
{
	lof_model  *m = an_alloc(ctx, sizeof(lof_model));
	uint32_t	n;

	if (version != 1 && version != 2)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "unknown lof layout version %u", version);
	m->k = an_read_u32(r);
	m->version = version;
	if (r->failed || m->k < 1 || m->k > AN_NN_MAX_K)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "lof k is invalid");
	if (an_nn_read_eps(ctx, r, "lof", version, &m->eps) != AN_OK)
		return AN_ERR_CORRUPT;
	m->ix = an_nn_read(ctx, r, d);
	if (m->ix == NULL)
		return AN_ERR_CORRUPT;
	n = m->ix->n;
	if (m->k >= n || (size_t) n > an_reader_left(r) / 16)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "lof densities are truncated or k is too large");
	m->kdist = an_alloc(ctx, sizeof(double) * n);
	m->lrd = an_alloc(ctx, sizeof(double) * n);
	for (uint32_t i = 0; i < n; i++)
	{
		m->kdist[i] = an_read_f64(r);
		if (!(m->kdist[i] >= 0 && m->kdist[i] <= LOF_MAX_DIST))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "lof k-distance %u is invalid", i + 1);
	}
	for (uint32_t i = 0; i < n; i++)
	{
		m->lrd[i] = an_read_f64(r);
		if (!(m->lrd[i] > 0 && m->lrd[i] <= 1.0 / LOF_EPS))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "lof density %u is invalid", i + 1);
	}
	*model = m;
	return AN_OK;
}

/* The layout m writes: 1, the one older releases read, unless eps is set. */
static uint16_t
lof_layout(const void *model)
{
	return ((const lof_model *) model)->version;
}

/*
 * auto_threshold 1.5: LOF is about 1 for a point as dense as its
 * neighbourhood (the paper's lemma 1 bounds it near 1 deep in a cluster);
 * 1.5 flags a point whose reachability distances are half again as long as
 * its neighbours' own, a common rule of thumb between the tight 1.2 and the
 * conservative 2.
 */
const an_detector_ops an_lof_ops = {
	.name = "lof",
	.id = 2,
	.version = 2,
	.params = lof_params,
	.n_params = P_COUNT,
	.auto_threshold = 1.5,
	.fit = lof_fit,
	.score = lof_score,
	.explain = lof_explain,
	.write = lof_write,
	.read = lof_read,
	.layout = lof_layout,
};
