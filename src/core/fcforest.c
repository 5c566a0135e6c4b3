/*
 * fcforest.c - fair-cut forest: an isolation forest whose splits are
 * hyperplanes chosen by pooled gain (Cortes, "Revisiting randomized choices
 * in isolation forests", arXiv 2110.13402, 2021; isotree calls it the
 * fair-cut forest).
 *
 * Columns are robustly scaled first (median and 1.4826 MAD, robust_scale.h,
 * as the neighbour detectors scale them).  Each tree is grown on psi rows
 * drawn without replacement, down to ceil(log2 psi) levels.  At a node,
 * ntry hyperplanes are tried, each over min(ndim, d) distinct random columns
 * with N(0, 1) coefficients: the node's rows are projected on it, sorted,
 * and every cut between two different neighbours is weighed by the pooled
 * gain of Cortes's paper,
 *
 *   gain = 1 - (n_l sd_l + n_r sd_r) / (n sd),
 *
 * the threshold being the midpoint of the best cut; the try of the highest
 * gain wins.  A node whose every try projects to one value is a leaf.  A
 * row goes left when its projection is at most the threshold.  The score is
 * Isolation Forest's 2^(-E[h(x)] / c(psi)) (Liu, Ting and Zhou, ICDM 2008),
 * h(x) being the depth of x's leaf plus c(leaf rows).
 *
 * Trees are stored flat in pre-order: the left child of node i is i + 1 and
 * the right child has a larger index, so every walk strictly increases the
 * index and ends; the reader checks exactly this on untrusted bytes.  In
 * the bytes a leaf's right child is 0 (no node points back to 0).
 *
 * Scoring scales x once and then walks as iforest.c does: in memory a node
 * keeps its two children side by side and the comparison picks one by
 * index, a leaf's children are itself (its coefficients are zero), and the
 * trees are walked a level at a time for the forest's height, so that a
 * step has no data-dependent branch and the trees' loads overlap.
 */
#include "detector.h"
#include "order_stats.h"
#include "path_length.h"
#include "prng.h"
#include "robust_scale.h"

#include <math.h>
#include <string.h>

enum
{
	P_N_TREES = 0,
	P_SAMPLE_SIZE,
	P_NTRY,
	P_NDIM,
	P_COUNT
};

static const an_param_spec fcforest_params[P_COUNT] = {
	{"n_trees", 200, 1, 10000, 1, "number of trees"},
	{"sample_size", 256, 2, 100000, 1, "rows per tree"},
	{"ntry", 3, 1, 100, 1, "hyperplanes tried at each node"},
	{"ndim", 3, 1, 64, 1, "columns in each hyperplane (at most the features)"},
};

/* The most nodes a forest may hold, as iforest's bound. */
#define MAX_NODES (UINT64_C(1) << 25)

/* Scaled values are cut here, so sums of squares of projections stay finite. */
#define SCALED_MAX 1e100

/* Trees walked a level at a time when scoring. */
#define WALK_CHUNK 64

#if AN_MAX_COLUMNS > UINT16_MAX
#error "fcforest keeps column indexes in 16 bits"
#endif

typedef struct fnode
{
	double		value;			/* threshold, or a leaf's path length */
	uint32_t	child[2];		/* left (i + 1) and right; a leaf's are itself */
} fnode;

typedef struct fcforest
{
	uint32_t	n_trees;
	uint32_t	psi;			/* rows per tree actually used */
	uint32_t	max_depth;
	uint32_t	q;				/* columns per hyperplane */
	uint32_t	d;
	uint32_t	n_nodes;
	uint32_t	height;			/* depth of the deepest leaf */
	double		c_psi;			/* c(psi), the score's normaliser */
	double	   *median;			/* per column */
	double	   *spread;			/* per column, robust_scale.h */
	uint32_t   *roots;
	fnode	   *nodes;
	uint32_t   *rows;			/* per node: subsample rows that reached it */
	uint16_t   *cols;			/* per node: q columns (zeros for a leaf) */
	double	   *coef;			/* per node: q coefficients (zeros for a leaf) */
} fcforest;

/* Scale x (d values) by the model's medians and spreads into z. */
static void
scale_row(const fcforest *m, const double *x, double *z)
{
	for (uint32_t j = 0; j < m->d; j++)
	{
		double		v = (x[j] - m->median[j]) / m->spread[j];

		/* comparisons, not fmin/fmax, so that a NaN stays NaN */
		if (v > SCALED_MAX)
			v = SCALED_MAX;
		else if (v < -SCALED_MAX)
			v = -SCALED_MAX;
		z[j] = v;
	}
}

/* The projection of scaled row z on node i's hyperplane. */
static inline double
project(const uint16_t *cols, const double *coef, uint32_t q, const double *z)
{
	double		p = 0.0;

	for (uint32_t k = 0; k < q; k++)
		p += coef[k] * z[cols[k]];
	return p;
}

typedef struct grow_state
{
	an_ctx	   *ctx;
	an_prng		rng;
	fcforest   *m;
	const double *Z;			/* the tree's scaled subsample, psi x d */
	uint32_t	ntry;
	uint32_t   *column_order;	/* scratch, d entries */
	double	   *sorted;			/* scratch, psi entries */
	double	   *left_m2;		/* scratch, psi entries */
	uint64_t   *sort_scratch;	/* scratch, 2 psi entries */
	uint32_t	cap;			/* nodes the arrays hold */
	uint16_t	try_cols[64];
	double		try_coef[64];
} grow_state;

/*
 * The best cut of the sorted projections v[0..n) by pooled gain; returns
 * the gain (-INFINITY if all are equal) and sets *threshold.  Sums of
 * squared deviations come from Welford's running update, forwards for the
 * left part and backwards for the right, which stays accurate where the
 * difference of raw sums of squares would cancel.  n sd is sqrt(n M2), so
 * the gain is 1 - (sqrt(n_l M2_l) + sqrt(n_r M2_r)) / sqrt(n M2).
 */
static double
best_cut(grow_state *g, const double *v, uint32_t n, double *threshold)
{
	double	   *left_m2 = g->left_m2;
	double		mean = 0,
				m2 = 0,
				total_m2,
				best = -INFINITY;

	for (uint32_t i = 0; i < n; i++)
	{
		double		delta = v[i] - mean;

		mean += delta / (i + 1);
		m2 += delta * (v[i] - mean);
		left_m2[i] = m2;		/* of v[0..i] */
	}
	total_m2 = m2;
	if (!(total_m2 > 0) || v[0] == v[n - 1])
		return -INFINITY;
	mean = m2 = 0;
	/* right part v[i + 1..n), built from the end; the cut is after v[i] */
	for (uint32_t i = n - 1; i-- > 0;)
	{
		double		x = v[i + 1],
					delta = x - mean;
		uint32_t	nr = n - 1 - i,
					nl = i + 1;

		mean += delta / nr;
		m2 += delta * (x - mean);
		if (v[i] < v[i + 1])
		{
			double		gain = 1.0 - (sqrt(nl * left_m2[i]) + sqrt(nr * m2)) /
				sqrt(n * total_m2);

			/* ties go to the lower cut, as a forward argmax keeps them */
			if (gain >= best)
			{
				double		t = v[i] * 0.5 + v[i + 1] * 0.5;

				best = gain;
				/* the midpoint may round onto a neighbour; never beyond v[i] */
				*threshold = t >= v[i] && t < v[i + 1] ? t : v[i];
			}
		}
	}
	return best;
}

/* Draw a hyperplane: q distinct random columns with N(0, 1) coefficients. */
static void
draw_hyperplane(grow_state *g)
{
	uint32_t	d = g->m->d,
				left = d;

	for (uint32_t j = 0; j < d; j++)
		g->column_order[j] = j;
	for (uint32_t k = 0; k < g->m->q; k++)
	{
		uint32_t	at = (uint32_t) an_prng_below(&g->rng, left);

		g->try_cols[k] = (uint16_t) g->column_order[at];
		g->column_order[at] = g->column_order[--left];
		g->try_coef[k] = an_prng_normal(&g->rng);
	}
}

/* Make room for one more node, doubling the arrays when full. */
static void
reserve_node(grow_state *g)
{
	fcforest   *m = g->m;
	uint32_t	q = m->q,
				cap;

	if (m->n_nodes < g->cap)
		return;
	cap = g->cap * 2;
	{
		fnode	   *nodes = an_alloc(g->ctx, sizeof(fnode) * cap);
		uint32_t   *rows = an_alloc(g->ctx, sizeof(uint32_t) * cap);
		uint16_t   *cols = an_alloc(g->ctx, sizeof(uint16_t) * cap * q);
		double	   *coef = an_alloc(g->ctx, sizeof(double) * cap * q);

		memcpy(nodes, m->nodes, sizeof(fnode) * m->n_nodes);
		memcpy(rows, m->rows, sizeof(uint32_t) * m->n_nodes);
		memcpy(cols, m->cols, sizeof(uint16_t) * m->n_nodes * q);
		memcpy(coef, m->coef, sizeof(double) * m->n_nodes * q);
		m->nodes = nodes;
		m->rows = rows;
		m->cols = cols;
		m->coef = coef;
	}
	g->cap = cap;
}

/*
 * Grow the subtree over subsample rows idx[0..n) (indexes into g->Z) at
 * depth; returns its root index.
 */
static uint32_t
grow(grow_state *g, uint32_t *idx, uint32_t n, uint32_t depth)
{
	fcforest   *m = g->m;
	uint32_t	q = m->q,
				d = m->d,
				me,
				nl = 0;
	double		best = -INFINITY,
				threshold = 0;

	reserve_node(g);
	me = m->n_nodes++;
	m->rows[me] = n;
	if (depth < m->max_depth && n > 1)
		for (uint32_t t = 0; t < g->ntry; t++)
		{
			double		cut = 0,
						gain;

			draw_hyperplane(g);
			for (uint32_t i = 0; i < n; i++)
				g->sorted[i] = project(g->try_cols, g->try_coef, q, g->Z + (size_t) idx[i] * d);
			an_sort_doubles(g->sorted, n, g->sort_scratch);
			gain = best_cut(g, g->sorted, n, &cut);
			if (gain > best)
			{
				best = gain;
				threshold = cut;
				memcpy(m->cols + (size_t) me * q, g->try_cols, sizeof(uint16_t) * q);
				memcpy(m->coef + (size_t) me * q, g->try_coef, sizeof(double) * q);
			}
		}
	if (best == -INFINITY)
	{
		memset(m->cols + (size_t) me * q, 0, sizeof(uint16_t) * q);
		memset(m->coef + (size_t) me * q, 0, sizeof(double) * q);
		m->nodes[me].value = depth + an_average_path_length(n);
		m->nodes[me].child[0] = m->nodes[me].child[1] = me;
		if (depth > m->height)
			m->height = depth;
		return me;
	}
	/* rows at or below the threshold first, in a stable order */
	{
		const uint16_t *cols = m->cols + (size_t) me * q;
		const double *coef = m->coef + (size_t) me * q;
		uint32_t   *right_rows = (uint32_t *) g->sort_scratch;
		uint32_t	nr = 0;

		for (uint32_t i = 0; i < n; i++)
		{
			if (project(cols, coef, q, g->Z + (size_t) idx[i] * d) <= threshold)
				idx[nl++] = idx[i];
			else
				right_rows[nr++] = idx[i];
		}
		memcpy(idx + nl, right_rows, sizeof(uint32_t) * nr);
	}
	{
		uint32_t	l = grow(g, idx, nl, depth + 1);
		uint32_t	r = grow(g, idx + nl, n - nl, depth + 1);

		/* grow may have moved the arrays: index them only now */
		m->nodes[me].value = threshold;
		m->nodes[me].child[0] = l;
		m->nodes[me].child[1] = r;
	}
	return me;
}

/* The medians and spreads of X's columns. */
static void
fit_scaling(an_ctx *ctx, fcforest *m, const double *X, size_t n)
{
	double	   *scratch = an_alloc(ctx, sizeof(double) * n);

	m->median = an_alloc(ctx, sizeof(double) * m->d);
	m->spread = an_alloc(ctx, sizeof(double) * m->d);
	for (uint32_t j = 0; j < m->d; j++)
		an_robust_scale(X, n, m->d, j, scratch, &m->median[j], &m->spread[j]);
}

/* Fit a fair-cut forest on X (n rows, d features). */
static an_status
fcforest_fit(an_ctx *ctx, const an_params *p, const double *X, size_t n,
			 size_t d, void **model)
{
	fcforest   *m = an_alloc(ctx, sizeof(fcforest));
	grow_state	g;
	uint32_t   *perm,
			   *idx;
	double	   *Z;
	uint32_t	max_nodes;

	if (n < 2)
		return an_fail(ctx, AN_ERR_DATA,
					   "Train on at least 2 rows.",
					   "fcforest needs at least 2 rows, got %zu", n);
	m->n_trees = (uint32_t) p->values[P_N_TREES];
	m->psi = (uint32_t) (p->values[P_SAMPLE_SIZE] < (double) n ? p->values[P_SAMPLE_SIZE] : (double) n);
	m->max_depth = (uint32_t) ceil(log2((double) m->psi));
	if (m->max_depth < 1)
		m->max_depth = 1;
	m->d = (uint32_t) d;
	m->q = p->values[P_NDIM] < (double) d ? (uint32_t) p->values[P_NDIM] : (uint32_t) d;
	m->c_psi = an_average_path_length(m->psi);
	max_nodes = 2 * m->psi - 1;
	if ((uint64_t) m->n_trees * max_nodes > MAX_NODES)
		return an_fail(ctx, AN_ERR_PARAM,
					   "Lower n_trees or sample_size: n_trees * (2 * sample_size - 1) must be at most 33554432.",
					   "fcforest with %u trees of %u rows could hold %llu nodes, more than a model holds",
					   m->n_trees, m->psi, (unsigned long long) m->n_trees * max_nodes);
	fit_scaling(ctx, m, X, n);
	m->roots = an_alloc(ctx, sizeof(uint32_t) * m->n_trees);

	memset(&g, 0, sizeof(g));
	g.ctx = ctx;
	g.m = m;
	an_prng_seed(&g.rng, (uint64_t) p->common[AN_P_SEED] ^ UINT64_C(0xFC0F0E57));
	g.ntry = (uint32_t) p->values[P_NTRY];
	g.column_order = an_alloc(ctx, sizeof(uint32_t) * d);
	g.sorted = an_alloc(ctx, sizeof(double) * m->psi);
	g.left_m2 = an_alloc(ctx, sizeof(double) * m->psi);
	g.sort_scratch = an_alloc(ctx, sizeof(uint64_t) * 2 * m->psi);
	/* room for one tree at first; reserve_node doubles it as trees are added */
	g.cap = max_nodes;
	m->nodes = an_alloc(ctx, sizeof(fnode) * g.cap);
	m->rows = an_alloc(ctx, sizeof(uint32_t) * g.cap);
	m->cols = an_alloc(ctx, sizeof(uint16_t) * g.cap * m->q);
	m->coef = an_alloc(ctx, sizeof(double) * g.cap * m->q);

	Z = an_alloc(ctx, sizeof(double) * m->psi * d);
	g.Z = Z;
	perm = an_alloc(ctx, sizeof(uint32_t) * n);
	idx = an_alloc(ctx, sizeof(uint32_t) * m->psi);
	for (size_t i = 0; i < n; i++)
		perm[i] = (uint32_t) i;
	for (uint32_t t = 0; t < m->n_trees; t++)
	{
		/* a partial Fisher-Yates shuffle draws psi rows without replacement */
		for (uint32_t i = 0; i < m->psi; i++)
		{
			size_t		j = i + (size_t) an_prng_below(&g.rng, n - i);
			uint32_t	tmp = perm[i];

			perm[i] = perm[j];
			perm[j] = tmp;
			scale_row(m, X + (size_t) perm[i] * d, Z + (size_t) i * d);
			idx[i] = i;
		}
		m->roots[t] = grow(&g, idx, m->psi, 0);
		an_check_interrupts(ctx);
	}
	*model = m;
	return AN_OK;
}

/*
 * One step of a walk from node i: to a child, or a leaf stays put.  The
 * comparison indexes the pair of children rather than choosing by a branch,
 * which would mispredict half the time; a NaN projection goes right.
 */
static inline uint32_t
walk_step(const fcforest *m, uint32_t q, const double *z, uint32_t i)
{
	double		p = project(m->cols + (size_t) i * q, m->coef + (size_t) i * q, q, z);

	return m->nodes[i].child[!(p <= m->nodes[i].value)];
}

/*
 * Walk trees at[0..n) down the forest's height.  Inlined with a constant q
 * (see walk), the projection's loop unrolls.
 */
static inline void
walk_trees(const fcforest *m, uint32_t q, const double *z, uint32_t *at, uint32_t n)
{
	for (uint32_t s = 0; s < m->height; s++)
		for (uint32_t k = 0; k < n; k++)
			at[k] = walk_step(m, q, z, at[k]);
}

/* walk_trees with the usual hyperplane sizes as constants. */
static void
walk(const fcforest *m, const double *z, uint32_t *at, uint32_t n)
{
	switch (m->q)
	{
		case 1:
			walk_trees(m, 1, z, at, n);
			break;
		case 2:
			walk_trees(m, 2, z, at, n);
			break;
		case 3:
			walk_trees(m, 3, z, at, n);
			break;
		default:
			walk_trees(m, m->q, z, at, n);
	}
}

/* 2^(-E[h(x)] / c(psi)); higher is more anomalous. */
static double
fcforest_score(const void *model, const double *x)
{
	const fcforest *m = model;
	double		z[AN_MAX_COLUMNS];
	double		total = 0.0;

	scale_row(m, x, z);
	for (uint32_t t0 = 0; t0 < m->n_trees; t0 += WALK_CHUNK)
	{
		uint32_t	n = m->n_trees - t0 < WALK_CHUNK ? m->n_trees - t0 : WALK_CHUNK;
		uint32_t	at[WALK_CHUNK];

		memcpy(at, m->roots + t0, sizeof(uint32_t) * n);
		walk(m, z, at, n);
		for (uint32_t k = 0; k < n; k++)
			total += m->nodes[at[k]].value;
	}
	return an_isolation_score(total, m->n_trees, m->c_psi);
}

/*
 * Each feature's part of the score, as iforest_explain credits it (the
 * path attribution of local DIFFI, Carletti, Terzi and Susto, Engineering
 * Applications of Artificial Intelligence 119, 2023, weighted by how much
 * each split isolated x): a split that sends x from a node of n rows to a
 * child of m rows saves x 1 + c(m) - c(n) ... negated, c(n) - c(m) - 1, of
 * expected path length.  A hyperplane split is shared among its columns in
 * proportion to |coefficient x scaled value|, each column's term of x's
 * projection measured from the medians (equally when all are zero).  The
 * steps telescope, so the contributions sum to c(psi) - E[h(x)] =
 * c(psi) log2(2 score), positive exactly when the score exceeds 0.5.
 */
static an_status
fcforest_explain(an_ctx *ctx, const void *model, const double *x, size_t d,
				 double *contrib)
{
	const fcforest *m = model;
	uint32_t	q = m->q;
	double	   *z = an_alloc(ctx, sizeof(double) * d);

	scale_row(m, x, z);
	for (uint32_t t = 0; t < m->n_trees; t++)
	{
		uint32_t	i = m->roots[t];
		double		c_parent = an_average_path_length(m->rows[i]);

		while (m->nodes[i].child[0] != i)
		{
			const uint16_t *cols = m->cols + (size_t) i * q;
			const double *coef = m->coef + (size_t) i * q;
			double		weight[64],
						sum = 0,
						c_child,
						step;

			for (uint32_t k = 0; k < q; k++)
			{
				weight[k] = fabs(coef[k] * z[cols[k]]);
				if (!isfinite(weight[k]))
					weight[k] = SCALED_MAX;
				sum += weight[k];
			}
			i = walk_step(m, q, z, i);
			c_child = an_average_path_length(m->rows[i]);
			step = (c_parent - c_child - 1.0) / m->n_trees;
			for (uint32_t k = 0; k < q; k++)
				contrib[cols[k]] += sum > 0 ? step * (weight[k] / sum) : step / q;
			c_parent = c_child;
		}
	}
	return AN_OK;
}

/* Write the forest: header, scaling, roots, then each node. */
static void
fcforest_write(const void *model, an_writer *w)
{
	const fcforest *m = model;
	size_t		size = 20 + 16 * (size_t) m->d + 4 * (size_t) m->n_trees;
	unsigned char *p;

	for (uint32_t i = 0; i < m->n_nodes; i++)
		size += 16 + (m->nodes[i].child[0] != i ? 10 * (size_t) m->q : 0);
	p = an_write_space(w, size);
	an_put_u32(p, m->n_trees);
	an_put_u32(p + 4, m->psi);
	an_put_u32(p + 8, m->max_depth);
	an_put_u32(p + 12, m->q);
	an_put_u32(p + 16, m->n_nodes);
	p += 20;
	for (uint32_t j = 0; j < m->d; j++, p += 16)
	{
		an_put_f64(p, m->median[j]);
		an_put_f64(p + 8, m->spread[j]);
	}
	for (uint32_t t = 0; t < m->n_trees; t++, p += 4)
		an_put_u32(p, m->roots[t]);
	for (uint32_t i = 0; i < m->n_nodes; i++)
	{
		int			leaf = m->nodes[i].child[0] == i;

		an_put_f64(p, m->nodes[i].value);
		an_put_u32(p + 8, leaf ? 0 : m->nodes[i].child[1]);
		an_put_u32(p + 12, m->rows[i]);
		p += 16;
		if (leaf)
			continue;
		for (uint32_t k = 0; k < m->q; k++, p += 10)
		{
			an_put_f64(p, m->coef[(size_t) i * m->q + k]);
			p[8] = (unsigned char) (m->cols[(size_t) i * m->q + k] & 0xFF);
			p[9] = (unsigned char) (m->cols[(size_t) i * m->q + k] >> 8);
		}
	}
}

/* Read the header and the scaling; the arrays are allocated for the nodes. */
static an_status
read_header(an_ctx *ctx, an_reader *r, size_t d, fcforest *m)
{
	m->n_trees = an_read_u32(r);
	m->psi = an_read_u32(r);
	m->max_depth = an_read_u32(r);
	m->q = an_read_u32(r);
	m->n_nodes = an_read_u32(r);
	m->d = (uint32_t) d;
	if (r->failed || m->n_trees < 1 || m->n_trees > 10000 ||
		m->psi < 1 || m->psi > 100000 || m->max_depth < 1 || m->max_depth > 64 ||
		d < 1 || d > AN_MAX_COLUMNS || m->q < 1 || m->q > 64 || m->q > d ||
		m->n_nodes < m->n_trees || (uint64_t) m->n_nodes > MAX_NODES ||
		(size_t) m->n_nodes > an_reader_left(r) / 16 ||
		(size_t) m->n_trees > an_reader_left(r) / 4 ||
		d > an_reader_left(r) / 16)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "fcforest header is invalid");
	m->c_psi = an_average_path_length(m->psi);
	m->median = an_alloc(ctx, sizeof(double) * d);
	m->spread = an_alloc(ctx, sizeof(double) * d);
	for (uint32_t j = 0; j < d; j++)
	{
		m->median[j] = an_read_f64(r);
		m->spread[j] = an_read_f64(r);
		if (!isfinite(m->median[j]) ||
			!(m->spread[j] >= AN_SPREAD_MIN && m->spread[j] <= AN_SPREAD_MAX))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "fcforest scaling of column %u is invalid", j);
	}
	return AN_OK;
}

/*
 * Read node i; its right child must lie after i + 1, inside the forest.
 * depth holds 1 + each node's greatest depth from a root (0 if no root
 * reaches it, so far); parents come first in pre-order, so node i's is
 * final and passes on to its children.  An inner node deeper than
 * max_depth is refused, so every walk ends within max_depth steps.
 */
static an_status
read_node(an_ctx *ctx, an_reader *r, fcforest *m, uint8_t *depth, uint32_t i)
{
	fnode	   *node = &m->nodes[i];
	uint32_t	q = m->q,
				right;

	node->value = an_read_f64(r);
	right = an_read_u32(r);
	m->rows[i] = an_read_u32(r);
	if (r->failed || !isfinite(node->value) || m->rows[i] < 1 || m->rows[i] > m->psi)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "fcforest node %u is invalid", i);
	if (right == 0)
	{
		if (node->value < 0)
			return an_fail(ctx, AN_ERR_CORRUPT, NULL, "fcforest leaf %u is invalid", i);
		node->child[0] = node->child[1] = i;
		if (depth[i] > m->height + 1)
			m->height = depth[i] - 1u;
		return AN_OK;
	}
	if (i + 1 >= m->n_nodes || right <= i + 1 || right >= m->n_nodes)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "fcforest node %u points outside its tree", i);
	if (depth[i] > m->max_depth)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "fcforest node %u is deeper than max_depth %u", i, m->max_depth);
	for (uint32_t k = 0; k < q; k++)
	{
		double		c = an_read_f64(r);
		uint16_t	col = an_read_u8(r);

		col |= (uint16_t) (an_read_u8(r) << 8);
		if (r->failed || !isfinite(c) || col >= m->d)
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "fcforest node %u has an invalid hyperplane", i);
		m->coef[(size_t) i * q + k] = c;
		m->cols[(size_t) i * q + k] = col;
	}
	node->child[0] = i + 1;
	node->child[1] = right;
	if (depth[i] > 0)
	{
		if (depth[i + 1] < depth[i] + 1)
			depth[i + 1] = depth[i] + 1;
		if (depth[right] < depth[i] + 1)
			depth[right] = depth[i] + 1;
	}
	return AN_OK;
}

/* Read and validate a forest over d features. */
static an_status
fcforest_read(an_ctx *ctx, an_reader *r, uint16_t version, size_t d,
			  void **model)
{
	fcforest   *m = an_alloc(ctx, sizeof(fcforest));
	uint8_t    *depth;
	an_status	st;

	if (version != 1)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "unknown fcforest layout version %u", version);
	st = read_header(ctx, r, d, m);
	if (st != AN_OK)
		return st;
	m->roots = an_alloc(ctx, sizeof(uint32_t) * m->n_trees);
	depth = an_alloc(ctx, m->n_nodes);
	for (uint32_t t = 0; t < m->n_trees; t++)
	{
		m->roots[t] = an_read_u32(r);
		if (m->roots[t] >= m->n_nodes)
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "fcforest tree %u has an invalid root", t);
		depth[m->roots[t]] = 1;
	}
	m->nodes = an_alloc(ctx, sizeof(fnode) * m->n_nodes);
	m->rows = an_alloc(ctx, sizeof(uint32_t) * m->n_nodes);
	m->cols = an_alloc(ctx, sizeof(uint16_t) * m->n_nodes * m->q);
	m->coef = an_alloc(ctx, sizeof(double) * m->n_nodes * m->q);
	for (uint32_t i = 0; i < m->n_nodes; i++)
	{
		st = read_node(ctx, r, m, depth, i);
		if (st != AN_OK)
			return st;
	}
	*model = m;
	return AN_OK;
}

const an_detector_ops an_fcforest_ops = {
	.name = "fcforest",
	.id = 12,
	.version = 1,
	.params = fcforest_params,
	.n_params = P_COUNT,
	.auto_threshold = 0.5,
	.fit = fcforest_fit,
	.score = fcforest_score,
	.explain = fcforest_explain,
	.write = fcforest_write,
	.read = fcforest_read,
};
