/*
 * knn.c - k-nearest-neighbour distance (Ramaswamy, Rastogi and Shim,
 * "Efficient Algorithms for Mining Outliers from Large Data Sets", SIGMOD
 * 2000): the score of x is its distance to its k-th nearest reference point.
 * Method "mean" averages the distances to all k neighbours instead (the
 * weight of Angiulli and Pizzuti, "Fast Outlier Detection in High
 * Dimensional Spaces", PKDD 2002, divided by k), and "median" takes their
 * median.
 *
 * Distances are Euclidean over the robustly scaled features of neighbors.h,
 * so the score is in units of about one standard deviation.  An exact
 * duplicate of x in the reference sample is a neighbour at distance 0.
 *
 * Option "approximate" (eps, version 2) scores with the (1 + eps)-approximate
 * search (an_nn_search_approx): each of the k distances is at most 1 + eps
 * times the true one.  Version 1 models, and eps = 0, search exactly; a
 * model without eps is written in layout 1, byte for byte as before, so
 * older releases read it.
 */
#include "detector.h"
#include "neighbors.h"

#include <math.h>

enum
{
	P_K = 0,
	P_METHOD,
	P_SCALING,
	P_APPROXIMATE,
	P_COUNT
};

enum
{
	METHOD_LARGEST = 0,
	METHOD_MEAN,
	METHOD_MEDIAN,
	METHOD_COUNT
};

static const char *const knn_methods[METHOD_COUNT + 1] = {
	"largest", "mean", "median", NULL
};

static const an_param_spec knn_params[P_COUNT] = {
	{"k", 20, 1, AN_NN_MAX_K, 1, "neighbours per point", NULL},
	{"method", METHOD_LARGEST, 0, METHOD_COUNT - 1, 1,
	"how the k distances combine", knn_methods},
	{"scaling", AN_NN_SCALE_ROBUST, 0, AN_NN_SCALINGS - 1, 1,
	"how features are scaled", an_nn_scalings},
	{"approximate", 0, 0, AN_NN_MAX_EPS, 0,
	"eps of the (1 + eps)-approximate neighbour search, 0 for exact", NULL, 2},
};

typedef struct knn_model
{
	uint32_t	k;
	uint32_t	method;
	uint16_t	version;		/* the layout: 1 unless eps is set, or as read */
	double		eps;			/* of the scoring search; 0 is exact */
	an_nn_index *ix;
} knn_model;

/* Fit: keep the scaled reference sample in a k-d tree. */
static an_status
knn_fit(an_ctx *ctx, const an_params *p, const double *X, size_t n,
		size_t d, void **model)
{
	knn_model  *m = an_alloc(ctx, sizeof(knn_model));
	an_status	st;

	m->k = (uint32_t) p->values[P_K];
	m->method = (uint32_t) p->values[P_METHOD];
	m->version = p->values[P_APPROXIMATE] > 0 ? 2 : 1;
	m->eps = p->values[P_APPROXIMATE];
	st = an_nn_check_k(ctx, "knn", m->k, n);
	if (st != AN_OK)
		return st;
	m->ix = an_nn_build(ctx, X, n, d, (int) p->values[P_SCALING]);
	*model = m;
	return AN_OK;
}

/* The k-th, mean or median neighbour distance of x; allocates nothing. */
static double
knn_score(const void *model, const double *x)
{
	const knn_model *m = model;
	double		q[AN_MAX_COLUMNS];
	an_nn_hit	hits[AN_NN_MAX_K];
	double		sum = 0;

	an_nn_scale(m->ix, x, q);
	an_nn_search_approx(m->ix, q, m->k, m->ix->n, m->eps, hits);
	switch (m->method)
	{
		case METHOD_MEAN:
			for (uint32_t j = 0; j < m->k; j++)
				sum += sqrt(hits[j].dist2);
			return sum / m->k;
		case METHOD_MEDIAN:
			if (m->k % 2 == 1)
				return sqrt(hits[m->k / 2].dist2);
			return (sqrt(hits[m->k / 2 - 1].dist2) + sqrt(hits[m->k / 2].dist2)) / 2;
		default:
			return sqrt(hits[m->k - 1].dist2);
	}
}

/*
 * Each feature's part of x's distance to normal rows: contribution j is the
 * mean over x's k nearest typical reference points (an_nn_search_typical,
 * in the scaled space) of (x_j - p_j)^2.  The squared Euclidean distance is
 * a sum over the features, so the contributions sum exactly to the mean
 * squared distance to those k points.  Typical points rather than x's own
 * neighbours: when the anomalies are among the training rows, an anomaly's
 * nearest neighbours are other anomalies that share its unusual value, and
 * the distance to them blames whatever else happens to differ (masking);
 * measured from normal rows, the distance the score grows with is the one
 * explained.  The mean over all k is steadier than one neighbour's
 * distance.  A typical x's typical neighbours are its own neighbours.
 */
static an_status
knn_explain(an_ctx *ctx, const void *model, const double *x, size_t d,
			double *contrib)
{
	const knn_model *m = model;
	double	   *q = an_alloc(ctx, sizeof(double) * d);
	an_nn_hit  *hits = an_alloc(ctx, sizeof(an_nn_hit) * m->k);

	an_nn_scale(m->ix, x, q);
	an_nn_search_typical(m->ix, q, m->k, hits);
	for (uint32_t i = 0; i < m->k; i++)
		an_nn_split_distance(m->ix, q, hits[i].pos, hits[i].dist2,
							 hits[i].dist2 / m->k, contrib);
	return AN_OK;
}

/* Write k, the method, eps (layout 2 on) and the reference sample. */
static void
knn_write(const void *model, an_writer *w)
{
	const knn_model *m = model;

	an_write_u32(w, m->k);
	an_write_u32(w, m->method);
	if (m->version >= 2)
		an_write_f64(w, m->eps);
	an_nn_write(m->ix, w);
}

/* Read and validate a knn model over d features; version 1 has no eps. */
static an_status
knn_read(an_ctx *ctx, an_reader *r, uint16_t version, size_t d, void **model)
{
	knn_model  *m = an_alloc(ctx, sizeof(knn_model));

	if (version != 1 && version != 2)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "unknown knn layout version %u", version);
	m->k = an_read_u32(r);
	m->method = an_read_u32(r);
	m->version = version;
	if (r->failed || m->k < 1 || m->k > AN_NN_MAX_K || m->method >= METHOD_COUNT)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "knn k or method is invalid");
	if (an_nn_read_eps(ctx, r, "knn", version, &m->eps) != AN_OK)
		return AN_ERR_CORRUPT;
	m->ix = an_nn_read(ctx, r, d);
	if (m->ix == NULL)
		return AN_ERR_CORRUPT;
	if (m->k >= m->ix->n)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "knn k is not below the reference sample size");
	*model = m;
	return AN_OK;
}

/* The layout m writes: 1, the one older releases read, unless eps is set. */
static uint16_t
knn_layout(const void *model)
{
	return ((const knn_model *) model)->version;
}

/* No natural threshold: distances depend on the data's scale and dimension. */
const an_detector_ops an_knn_ops = {
	.name = "knn",
	.id = 3,
	.version = 2,
	.params = knn_params,
	.n_params = P_COUNT,
	.auto_threshold = NAN,
	.fit = knn_fit,
	.score = knn_score,
	.explain = knn_explain,
	.write = knn_write,
	.read = knn_read,
	.layout = knn_layout,
};
