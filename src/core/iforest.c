/*
 * iforest.c - Isolation Forest (Liu, Ting and Zhou, "Isolation Forest",
 * ICDM 2008).
 *
 * Each tree is grown on a subsample of psi rows drawn without replacement,
 * splitting on a random non-constant feature at a uniform random value
 * between its minimum and maximum, down to ceil(log2 psi) levels.  A row's
 * score is 2^(-E[h(x)] / c(psi)), where h(x) is the depth at which it lands
 * plus c(leaf size), and c(n) is the average path length of an unsuccessful
 * search in a binary search tree of n items (the paper's equation 1).
 *
 * Trees are stored flat in pre-order: the left child of node i is i + 1 and
 * the right child has a larger index, so every walk strictly increases the
 * index and ends; the reader checks exactly this on untrusted bytes.
 *
 * In memory a node keeps its two children side by side and the comparison
 * picks one by index, so a step has no data-dependent branch (it would
 * mispredict half the time); a leaf's children are itself, so a walk that
 * reaches a leaf stays there.  Every walk then takes the same number of
 * steps, the forest's height, and the trees are walked a level at a time so
 * that the processor overlaps their memory loads.  The split features sit
 * in a parallel array of 16-bit indexes (AN_MAX_COLUMNS fits).  The bytes
 * keep the original form: a leaf is feature -1 with right child 0.  Only
 * explanations use the rows that reached each node: fitting records them,
 * and reading recovers a leaf's from its c(n) and sums them upwards.
 */
#include "detector.h"
#include "path_length.h"
#include "prng.h"

#include <math.h>
#include <string.h>

enum
{
	P_N_TREES = 0,
	P_SAMPLE_SIZE,
	P_MAX_DEPTH,
	P_COUNT
};

static const an_param_spec iforest_params[P_COUNT] = {
	{"n_trees", 100, 1, 10000, 1, "number of trees"},
	{"sample_size", 256, 2, 100000, 1, "rows per tree"},
	{"max_depth", 0, 0, 64, 1, "depth limit, 0 for ceil(log2(sample_size))"},
};

/*
 * The most nodes a forest may hold, n_trees * (2 * rows per tree - 1) at
 * worst: 537 MB of model bytes (16 a node), 738 MB while fitting (22 a node),
 * so that the model fits in a bytea and fitting never zeroes gigabytes
 * between two interrupt checks.
 */
#define MAX_NODES (UINT64_C(1) << 25)

/* Trees walked a level at a time when scoring. */
#define WALK_CHUNK 64

/* The serialized feature of a leaf. */
#define LEAF_FEATURE UINT32_MAX

#if AN_MAX_COLUMNS > UINT16_MAX
#error "iforest keeps feature indexes in 16 bits"
#endif

typedef struct inode
{
	double		value;			/* split value, or a leaf's path length */
	uint32_t	child[2];		/* left (i + 1) and right; a leaf's are itself */
} inode;

/* the largest n whose c(n) is tabulated */
#define C_TABLE_MAX 4096

typedef struct iforest
{
	uint32_t	n_trees;
	uint32_t	psi;			/* rows per tree actually used */
	uint32_t	max_depth;
	uint32_t	n_nodes;
	uint32_t	height;			/* depth of the deepest leaf */
	double		c_psi;			/* c(psi), the score's normaliser */
	uint32_t   *roots;
	inode	   *nodes;
	uint16_t   *feature;		/* per node: split feature, 0 for a leaf */
	uint32_t   *rows;			/* per node: subsample rows that reached it */
	uint32_t	c_max;			/* c_rows covers n in 0..c_max */
	double	   *c_rows;			/* c(n), for explanations */
} iforest;

/*
 * The rows of a leaf whose path-length adjustment is c: the n in [1, psi]
 * with c(n) nearest c (c is increasing, so a bisection finds it).
 */
static uint32_t
leaf_rows(double c, uint32_t psi)
{
	uint32_t	lo = 1,
				hi = psi > 1 ? psi : 1;

	if (c < 0.5)				/* c(1) = 0, c(2) = 1: most leaves */
		return 1;
	/* the smallest n with c(n) >= c, then the nearer of n - 1 and n */
	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (an_average_path_length(mid) < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 1 && c - an_average_path_length(lo - 1) < an_average_path_length(lo) - c)
		lo--;
	return lo;
}

typedef struct grow_state
{
	an_ctx	   *ctx;
	an_prng		rng;
	const double *X;
	size_t		d;
	uint32_t	max_depth;
	uint32_t   *feature_order;	/* scratch, d entries */
	inode	   *nodes;
	uint16_t   *feature;		/* per node, as in iforest */
	uint32_t   *rows;			/* per node, as in iforest */
	uint32_t	n_nodes;
	uint32_t	height;			/* depth of the deepest leaf so far */
} grow_state;

/*
 * Tabulate c(n) for n up to psi (at most C_TABLE_MAX), so that explaining
 * the usual forest takes no logarithm.
 */
static void
tabulate_c(an_ctx *ctx, iforest *m)
{
	m->c_max = m->psi < C_TABLE_MAX ? m->psi : C_TABLE_MAX;
	m->c_rows = an_alloc(ctx, sizeof(double) * ((size_t) m->c_max + 1));
	for (uint32_t n = 0; n <= m->c_max; n++)
		m->c_rows[n] = an_average_path_length(n);
}

/* c(rows of node i), from the table when it covers them. */
static inline double
node_c(const iforest *m, uint32_t i)
{
	return m->rows[i] <= m->c_max ? m->c_rows[m->rows[i]] : an_average_path_length(m->rows[i]);
}

/*
 * The minimum and maximum of feature f over rows idx[0..n) (n positive),
 * the first of equal values in idx order kept, as a plain scan keeps it.
 * Four running pairs break the chain of dependent comparisons; equal values
 * have equal bits except zeros of both signs, so a zero result is found
 * again by the plain scan.
 */
static void
feature_range(const grow_state *g, const uint32_t *idx, uint32_t n, uint32_t f,
			  double *lo_out, double *hi_out)
{
	const double *col = g->X + f;
	size_t		d = g->d;
	double		lo[4],
				hi[4];
	uint32_t	i = 0;

	for (int k = 0; k < 4; k++)
		lo[k] = hi[k] = col[(size_t) idx[0] * d];
	for (; i + 4 <= n; i += 4)
		for (int k = 0; k < 4; k++)
		{
			double		v = col[(size_t) idx[i + k] * d];

			lo[k] = v < lo[k] ? v : lo[k];
			hi[k] = v > hi[k] ? v : hi[k];
		}
	for (; i < n; i++)
	{
		double		v = col[(size_t) idx[i] * d];

		lo[0] = v < lo[0] ? v : lo[0];
		hi[0] = v > hi[0] ? v : hi[0];
	}
	for (int k = 1; k < 4; k++)
	{
		lo[0] = lo[k] < lo[0] ? lo[k] : lo[0];
		hi[0] = hi[k] > hi[0] ? hi[k] : hi[0];
	}
	if (lo[0] == 0 || hi[0] == 0)
	{
		lo[0] = hi[0] = col[(size_t) idx[0] * d];
		for (i = 1; i < n; i++)
		{
			double		v = col[(size_t) idx[i] * d];

			if (v < lo[0])
				lo[0] = v;
			if (v > hi[0])
				hi[0] = v;
		}
	}
	*lo_out = lo[0];
	*hi_out = hi[0];
}

/* Find a random non-constant feature over rows idx[0..n); -1 if none. */
static int
pick_feature(grow_state *g, const uint32_t *idx, uint32_t n,
			 double *lo_out, double *hi_out)
{
	uint32_t	left = (uint32_t) g->d;

	for (uint32_t i = 0; i < g->d; i++)
		g->feature_order[i] = i;
	while (left > 0)
	{
		uint32_t	k = (uint32_t) an_prng_below(&g->rng, left);
		uint32_t	f = g->feature_order[k];
		double		lo,
					hi;

		g->feature_order[k] = g->feature_order[--left];
		feature_range(g, idx, n, f, &lo, &hi);
		if (lo < hi)
		{
			*lo_out = lo;
			*hi_out = hi;
			return (int) f;
		}
	}
	return -1;
}

/* Grow the subtree over rows idx[0..n) at depth; returns its root index. */
static uint32_t
grow(grow_state *g, uint32_t *idx, uint32_t n, uint32_t depth)
{
	uint32_t	me = g->n_nodes++;
	inode	   *node = &g->nodes[me];
	double		lo = 0,
				hi = 0,
				split;
	int			f = -1;
	uint32_t	nl = 0;

	g->rows[me] = n;
	if (depth < g->max_depth && n > 1)
		f = pick_feature(g, idx, n, &lo, &hi);
	if (f < 0)
	{
		node->value = depth + an_average_path_length(n);
		node->child[0] = node->child[1] = me;
		if (depth > g->height)
			g->height = depth;
		return me;
	}
	/* a convex combination cannot overflow, unlike lo + u * (hi - lo) */
	{
		double		u = an_prng_uniform(&g->rng);

		split = lo * (1.0 - u) + hi * u;
	}
	/* lo < split <= hi keeps both children non-empty, bounding the tree */
	if (!(split > lo && split <= hi))
		split = hi;
	/*
	 * partition: rows below the split first, each moved to the front by a
	 * swap; masks rather than a branch (it would mispredict half the time)
	 */
	{
		const double *col = g->X + f;

		for (uint32_t i = 0; i < n; i++)
		{
			uint32_t	t = idx[i],
						u = idx[nl],
						below = col[(size_t) t * g->d] < split,
						swap = (t ^ u) & (0u - below);

			idx[i] = t ^ swap;
			idx[nl] = u ^ swap;
			nl += below;
		}
	}
	g->feature[me] = (uint16_t) f;
	node->value = split;
	node->child[0] = grow(g, idx, nl, depth + 1);
	node->child[1] = grow(g, idx + nl, n - nl, depth + 1);
	return me;
}

/*
 * Make room in m's node arrays for tree t of up to max_nodes nodes.  The
 * trees grown so far predict the size of the rest (with an eighth to
 * spare), so the arrays are rarely copied and stay near the forest's size
 * rather than every tree's bound, which is several times larger: a smaller
 * working set to zero and to fault in.
 */
static void
reserve_tree(grow_state *g, iforest *m, uint32_t t, uint32_t max_nodes, uint32_t *cap)
{
	uint64_t	bound = (uint64_t) max_nodes * m->n_trees;
	uint64_t	want;
	inode	   *nodes;
	uint16_t   *feature;
	uint32_t   *rows;

	if ((uint64_t) g->n_nodes + max_nodes <= *cap)
		return;
	want = t == 0 ? max_nodes
		: (uint64_t) g->n_nodes * m->n_trees / t * 9 / 8 + max_nodes;
	if (want < (uint64_t) g->n_nodes + max_nodes)
		want = (uint64_t) g->n_nodes + max_nodes;
	if (want > bound)
		want = bound;
	nodes = an_alloc(g->ctx, sizeof(inode) * want);
	feature = an_alloc(g->ctx, sizeof(uint16_t) * want);
	rows = an_alloc(g->ctx, sizeof(uint32_t) * want);
	if (g->n_nodes > 0)
	{
		memcpy(nodes, g->nodes, sizeof(inode) * g->n_nodes);
		memcpy(feature, g->feature, sizeof(uint16_t) * g->n_nodes);
		memcpy(rows, g->rows, sizeof(uint32_t) * g->n_nodes);
	}
	g->nodes = m->nodes = nodes;
	g->feature = m->feature = feature;
	g->rows = m->rows = rows;
	*cap = (uint32_t) want;
}

/* Fit a forest on X (n rows, d features). */
static an_status
iforest_fit(an_ctx *ctx, const an_params *p, const double *X, size_t n,
			size_t d, void **model)
{
	iforest    *m = an_alloc(ctx, sizeof(iforest));
	grow_state	g;
	uint32_t   *perm;
	uint32_t   *idx;
	uint32_t	max_nodes;
	uint32_t	cap = 0;

	if (n < 2)
		return an_fail(ctx, AN_ERR_DATA,
					   "Train on at least 2 rows.",
					   "iforest needs at least 2 rows, got %zu", n);
	m->n_trees = (uint32_t) p->values[P_N_TREES];
	m->psi = (uint32_t) (p->values[P_SAMPLE_SIZE] < (double) n ? p->values[P_SAMPLE_SIZE] : (double) n);
	m->max_depth = p->values[P_MAX_DEPTH] > 0 ? (uint32_t) p->values[P_MAX_DEPTH]
		: (uint32_t) ceil(log2((double) m->psi));
	if (m->max_depth < 1)
		m->max_depth = 1;
	m->c_psi = an_average_path_length(m->psi);
	max_nodes = 2 * m->psi - 1;
	if ((uint64_t) m->n_trees * max_nodes > MAX_NODES)
		return an_fail(ctx, AN_ERR_PARAM,
					   "Lower n_trees or sample_size: n_trees * (2 * sample_size - 1) must be at most 33554432.",
					   "iforest with %u trees of %u rows could hold %llu nodes, more than a model holds",
					   m->n_trees, m->psi, (unsigned long long) m->n_trees * max_nodes);
	m->roots = an_alloc(ctx, sizeof(uint32_t) * m->n_trees);

	memset(&g, 0, sizeof(g));
	g.ctx = ctx;
	an_prng_seed(&g.rng, (uint64_t) p->common[AN_P_SEED] ^ UINT64_C(0x1F0E57));
	g.X = X;
	g.d = d;
	g.max_depth = m->max_depth;
	g.feature_order = an_alloc(ctx, sizeof(uint32_t) * d);

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
			idx[i] = perm[i];
		}
		reserve_tree(&g, m, t, max_nodes, &cap);
		m->roots[t] = grow(&g, idx, m->psi, 0);
		an_check_interrupts(ctx);
	}
	m->n_nodes = g.n_nodes;
	m->height = g.height;
	tabulate_c(ctx, m);
	*model = m;
	return AN_OK;
}

/*
 * One step of a walk from node i: to a child, or a leaf stays put.  The
 * comparison indexes the pair of successors rather than choosing by a
 * branch, which would mispredict half the time (compilers tend to turn a
 * plain select back into one).
 */
static inline uint32_t
walk_step(const inode *nodes, const uint16_t *feature, const double *x, uint32_t i)
{
	return nodes[i].child[!(x[feature[i]] < nodes[i].value)];
}

/* 2^(-E[h(x)] / c(psi)); higher is more anomalous. */
static double
iforest_score(const void *model, const double *x)
{
	const iforest *m = model;
	const inode *nodes = m->nodes;
	const uint32_t *roots = m->roots;
	const uint16_t *feature = m->feature;
	double		total = 0.0;

	for (uint32_t t0 = 0; t0 < m->n_trees; t0 += WALK_CHUNK)
	{
		uint32_t	n = m->n_trees - t0 < WALK_CHUNK ? m->n_trees - t0 : WALK_CHUNK;
		uint32_t	at[WALK_CHUNK];

		memcpy(at, roots + t0, sizeof(uint32_t) * n);
		for (uint32_t s = 0; s < m->height; s++)
			for (uint32_t k = 0; k < n; k++)
				at[k] = walk_step(nodes, feature, x, at[k]);
		for (uint32_t k = 0; k < n; k++)
			total += nodes[at[k]].value;
	}
	return an_isolation_score(total, m->n_trees, m->c_psi);
}

/*
 * Each feature's part of the score: the path length it saved x, summed
 * along x's path in every tree.  Walking down, the expected path length of
 * a point in a node of n subsample rows at depth k is k + c(n) (the paper's
 * estimate, as at a leaf), so a split that sends x from a node of n rows to
 * a child of m rows changes x's expected path length by
 * 1 + c(m) - c(n): about -0.4 for an even split, close to +1 when x stays
 * with nearly all the rows, and strongly negative when x is cut off from
 * most of them.  These steps telescope from c(psi) at the root to x's path
 * length h_t(x) at its leaf, so crediting the negated step to the split's
 * feature and averaging over the trees decomposes exactly
 *
 *   sum_j contribution_j = c(psi) - E[h(x)] = c(psi) * log2(2 * score),
 *
 * a positive total exactly when the score exceeds 0.5.  This is the
 * path-based attribution of local DIFFI (Carletti, Terzi and Susto,
 * "Interpretable anomaly detection with DIFFI: depth-based feature
 * importance of Isolation Forest", Engineering Applications of Artificial
 * Intelligence 119, 2023), which credits every split on x's path with
 * 1/h_t(x) - 1/h_max, except that each split is weighted by how much it
 * isolated x, as Saabas's decomposition of tree predictions along the
 * decision path does ("Interpreting random forests", 2014), rather than all
 * alike: a split that left x among almost all the rows gets no credit.
 * (Local DIFFI's uniform credit blamed features merely used often on the
 * path: on the conformance data, a share of 0.33 for the shifted feature.)
 * A feature whose splits kept x with the crowd ends negative; the caller
 * clamps it.  The scoring walk is untouched.
 */
static an_status
iforest_explain(an_ctx *ctx, const void *model, const double *x, size_t d,
				double *contrib)
{
	const iforest *m = model;

	(void) ctx;
	(void) d;
	for (uint32_t t = 0; t < m->n_trees; t++)
	{
		uint32_t	i = m->roots[t];
		double		c_parent = node_c(m, i);

		while (m->nodes[i].child[0] != i)
		{
			uint16_t	f = m->feature[i];
			double		c_child;

			i = walk_step(m->nodes, m->feature, x, i);
			c_child = node_c(m, i);
			contrib[f] += (c_parent - c_child - 1.0) / m->n_trees;
			c_parent = c_child;
		}
	}
	return AN_OK;
}

/* Write the forest. */
static void
iforest_write(const void *model, an_writer *w)
{
	const iforest *m = model;
	unsigned char *p = an_write_space(w, 16 + 4 * (size_t) m->n_trees +
									  16 * (size_t) m->n_nodes);

	an_put_u32(p, m->n_trees);
	an_put_u32(p + 4, m->psi);
	an_put_u32(p + 8, m->max_depth);
	an_put_u32(p + 12, m->n_nodes);
	p += 16;
	for (uint32_t t = 0; t < m->n_trees; t++, p += 4)
		an_put_u32(p, m->roots[t]);
	for (uint32_t i = 0; i < m->n_nodes; i++, p += 16)
	{
		int			leaf = m->nodes[i].child[0] == i;

		an_put_f64(p, m->nodes[i].value);
		an_put_u32(p + 8, leaf ? LEAF_FEATURE : m->feature[i]);
		an_put_u32(p + 12, leaf ? 0 : m->nodes[i].child[1]);
	}
}

/*
 * Read and validate a forest over d features.  Leaves become the in-memory
 * form; a leaf deeper than max_depth is rejected, so every walk ends within
 * max_depth steps.
 */
static an_status
iforest_read(an_ctx *ctx, an_reader *r, uint16_t version, size_t d,
			 void **model)
{
	iforest    *m = an_alloc(ctx, sizeof(iforest));
	uint8_t    *depth;			/* per node: 1 + its depth, 0 if unreached */

	if (version != 1)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "unknown iforest layout version %u", version);
	m->n_trees = an_read_u32(r);
	m->psi = an_read_u32(r);
	m->max_depth = an_read_u32(r);
	m->n_nodes = an_read_u32(r);
	if (r->failed || m->n_trees < 1 || m->n_trees > 10000 ||
		m->psi < 1 || m->psi > 100000 || m->max_depth < 1 || m->max_depth > 64 ||
		m->n_nodes < m->n_trees || d < 1 || d > AN_MAX_COLUMNS ||
		(size_t) m->n_nodes > an_reader_left(r) / 16 ||
		(size_t) m->n_trees > an_reader_left(r) / 4)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "iforest header is invalid");
	m->c_psi = an_average_path_length(m->psi);
	m->roots = an_alloc(ctx, sizeof(uint32_t) * m->n_trees);
	m->nodes = an_alloc(ctx, sizeof(inode) * m->n_nodes);
	m->feature = an_alloc(ctx, sizeof(uint16_t) * m->n_nodes);
	m->rows = an_alloc(ctx, sizeof(uint32_t) * m->n_nodes);
	depth = an_alloc(ctx, m->n_nodes);
	for (uint32_t t = 0; t < m->n_trees; t++)
	{
		m->roots[t] = an_read_u32(r);
		if (m->roots[t] >= m->n_nodes)
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "iforest tree %u has an invalid root", t);
		depth[m->roots[t]] = 1;
	}
	for (uint32_t i = 0; i < m->n_nodes; i++)
	{
		inode	   *node = &m->nodes[i];
		uint32_t	feature,
					right;

		node->value = an_read_f64(r);
		feature = an_read_u32(r);
		right = an_read_u32(r);
		if (!isfinite(node->value))
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "iforest node %u has a non-finite value", i);
		if (feature == LEAF_FEATURE)
		{
			if (right != 0 || node->value < 0)
				return an_fail(ctx, AN_ERR_CORRUPT, NULL,
							   "iforest leaf %u is invalid", i);
			node->child[0] = node->child[1] = i;
			m->rows[i] = leaf_rows(node->value - (depth[i] > 0 ? depth[i] - 1 : 0), m->psi);
			/* parents come first in pre-order, so depth[i] is final */
			if (depth[i] > m->height + 1)
				m->height = depth[i] - 1u;
			continue;
		}
		if (feature >= d || i + 1 >= m->n_nodes || right <= i + 1 || right >= m->n_nodes)
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "iforest node %u points outside its tree", i);
		if (depth[i] > m->max_depth)
			return an_fail(ctx, AN_ERR_CORRUPT, NULL,
						   "iforest node %u is deeper than max_depth %u", i, m->max_depth);
		m->feature[i] = (uint16_t) feature;
		node->child[0] = i + 1;
		node->child[1] = right;
		if (depth[i] > 0)
		{
			if (depth[i + 1] < depth[i] + 1)
				depth[i + 1] = depth[i] + 1;
			if (depth[right] < depth[i] + 1)
				depth[right] = depth[i] + 1;
		}
	}
	if (r->failed)
		return an_fail(ctx, AN_ERR_CORRUPT, NULL, "iforest nodes are truncated");
	/* children come after their parent: a backward pass sums their rows */
	for (uint32_t i = m->n_nodes; i-- > 0;)
		if (m->nodes[i].child[0] != i)
		{
			uint64_t	sum = (uint64_t) m->rows[i + 1] + m->rows[m->nodes[i].child[1]];

			m->rows[i] = sum < UINT32_MAX ? (uint32_t) sum : UINT32_MAX;
		}
	tabulate_c(ctx, m);
	*model = m;
	return AN_OK;
}

const an_detector_ops an_iforest_ops = {
	.name = "iforest",
	.id = 1,
	.version = 1,
	.params = iforest_params,
	.n_params = P_COUNT,
	.auto_threshold = 0.5,
	.fit = iforest_fit,
	.score = iforest_score,
	.explain = iforest_explain,
	.write = iforest_write,
	.read = iforest_read,
};
