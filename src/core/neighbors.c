/*
 * neighbors.c - robust scaling and an exact k-d tree over the reference
 * sample (see neighbors.h for the design).
 */
#include "neighbors.h"
#include "order_stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* leaf_dist2 takes the slots of a leaf four at a time */
#if AN_NN_LEAF % 4 != 0
#error "AN_NN_LEAF must be a multiple of 4"
#endif

/* The interquartile range of a normal distribution, in standard deviations. */
#define NORMAL_IQR 1.3489795003921634

const char *const an_nn_scalings[AN_NN_SCALINGS + 1] = {
	"robust", "standard", "minmax", NULL
};

/* Mean of v[0..n), computed so that it cannot overflow. */
static double
safe_mean(const double *v, size_t n)
{
	double		mean = 0;

	for (size_t i = 0; i < n; i++)
		mean += v[i] / (double) n;
	return mean;
}

/* Standard deviation of v[0..n) around mean, or NaN if it overflows. */
static double
standard_deviation(const double *v, size_t n, double mean)
{
	double		sq = 0;

	for (size_t i = 0; i < n; i++)
	{
		/* halved so that the difference of two finite values stays finite */
		double		t = v[i] * 0.5 - mean * 0.5;

		sq += t * t / (double) n;
	}
	return isfinite(sq) ? 2.0 * sqrt(sq) : NAN;
}

/*
 * Set the index's center and scale of each feature.  robust: the median
 * and IQR / 1.349; standard: the mean and standard deviation; minmax: the
 * minimum and range.  A spread that is zero or overflows falls back to the
 * standard deviation, then to the half range, then to 1.
 */
static void
fit_scaling(an_ctx *ctx, an_nn_index *ix, const double *X, int scaling)
{
	size_t		n = ix->n,
				d = ix->d;
	double	   *column = an_alloc(ctx, sizeof(double) * n);

	for (size_t j = 0; j < d; j++)
	{
		double		spread,
					mean;

		for (size_t i = 0; i < n; i++)
			column[i] = X[i * d + j];
		qsort(column, n, sizeof(double), an_cmp_double);
		mean = safe_mean(column, n);
		/* halves keep the difference of two finite values finite */
		if (scaling == AN_NN_SCALE_STANDARD)
		{
			ix->center[j] = mean;
			spread = standard_deviation(column, n, mean);
		}
		else if (scaling == AN_NN_SCALE_MINMAX)
		{
			ix->center[j] = column[0];
			spread = (column[n - 1] * 0.5 - column[0] * 0.5) * 2.0;
		}
		else
		{
			ix->center[j] = an_sorted_quantile(column, n, 0.5);
			spread = (an_sorted_quantile(column, n, 0.75) * 0.5 -
					  an_sorted_quantile(column, n, 0.25) * 0.5) * (2.0 / NORMAL_IQR);
		}
		if (!(spread > 0 && isfinite(spread)))
			spread = standard_deviation(column, n, mean);
		if (!(spread > 0 && isfinite(spread)))
			spread = column[n - 1] * 0.5 - column[0] * 0.5;
		if (!(spread > 0 && isfinite(spread)))
			spread = 1.0;
		ix->scale[j] = spread;
		an_check_interrupts(ctx);
	}
}

/* Scale a raw row x into q (d values) as the index's points are. */
void
an_nn_scale(const an_nn_index *ix, const double *x, double *q)
{
	for (uint32_t j = 0; j < ix->d; j++)
	{
		double		v = (x[j] - ix->center[j]) / ix->scale[j];

		/* also catches an overflow to infinity */
		if (!(v <= AN_NN_LIMIT))
			v = AN_NN_LIMIT;
		else if (v < -AN_NN_LIMIT)
			v = -AN_NN_LIMIT;
		q[j] = v;
	}
}

/* The depth at which every leaf holds at most AN_NN_LEAF of n points. */
static uint32_t
tree_depth(uint64_t n)
{
	uint32_t	depth = 0;

	/* a node at depth t holds at most ceil(n / 2^t) points */
	while (((n + (UINT64_C(1) << depth) - 1) >> depth) > AN_NN_LEAF)
		depth++;
	return depth;
}

/* Scratch for building the tree. */
typedef struct build_state
{
	an_ctx	   *ctx;
	const double *P;			/* scaled points, in input order */
	size_t		d;
	uint32_t   *perm;			/* tree order -> input row */
	double	   *lo;				/* d per-feature minima */
	double	   *hi;				/* d per-feature maxima */
} build_state;

/* The feature over which rows perm[lo..hi) spread the widest. */
static uint32_t
widest_feature(build_state *b, uint32_t lo, uint32_t hi)
{
	size_t		d = b->d;
	uint32_t	best = 0;
	double		best_width = -1;

	memcpy(b->lo, b->P + (size_t) b->perm[lo] * d, sizeof(double) * d);
	memcpy(b->hi, b->lo, sizeof(double) * d);
	for (uint32_t i = lo + 1; i < hi; i++)
	{
		const double *p = b->P + (size_t) b->perm[i] * d;

		for (size_t j = 0; j < d; j++)
		{
			if (p[j] < b->lo[j])
				b->lo[j] = p[j];
			if (p[j] > b->hi[j])
				b->hi[j] = p[j];
		}
	}
	for (size_t j = 0; j < d; j++)
		if (b->hi[j] - b->lo[j] > best_width)
		{
			best_width = b->hi[j] - b->lo[j];
			best = (uint32_t) j;
		}
	return best;
}

/*
 * Reorder perm[lo..hi) so that position k holds the row whose feature f is
 * the k-th smallest, smaller ones before it and larger ones after (Hoare's
 * selection).
 */
static void
select_position(build_state *b, uint32_t f, uint32_t lo, uint32_t hi,
				uint32_t k)
{
	const double *P = b->P;
	uint32_t   *perm = b->perm;
	size_t		d = b->d;
	uint32_t	left = lo,
				right = hi - 1;

	while (left < right)
	{
		double		pivot = P[(size_t) perm[left + (right - left) / 2] * d + f];
		uint32_t	i = left,
					j = right;

		while (i <= j)
		{
			while (P[(size_t) perm[i] * d + f] < pivot)
				i++;
			while (P[(size_t) perm[j] * d + f] > pivot)
				j--;
			if (i <= j)
			{
				uint32_t	t = perm[i];

				perm[i] = perm[j];
				perm[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			right = j;
		else if (k >= i)
			left = i;
		else
			break;
	}
}

/* Split rows perm[lo..hi) at their middle position, levels times down. */
static void
split_node(build_state *b, uint32_t lo, uint32_t hi, uint32_t levels)
{
	uint32_t	mid = lo + (hi - lo) / 2;

	if (levels == 0)
		return;
	an_check_interrupts(b->ctx);
	select_position(b, widest_feature(b, lo, hi), lo, hi, mid);
	split_node(b, lo, mid, levels - 1);
	split_node(b, mid, hi, levels - 1);
}

/* The block of AN_NN_LEAF points of leaf node (feature j of point i at j * AN_NN_LEAF + i). */
static inline double *
leaf_block(const an_nn_index *ix, uint32_t node)
{
	size_t		first_leaf = ((size_t) 1 << ix->depth) - 1;

	return ix->points + (node - first_leaf) * AN_NN_LEAF * ix->d;
}

/*
 * Set the bounding box of node over rows [lo, hi) at level, and below; at
 * the leaves, also copy the rows into the leaf's block.
 */
static void
lay_out_node(an_nn_index *ix, const double *rows, uint32_t node, uint32_t lo,
			 uint32_t hi, uint32_t level)
{
	size_t		d = ix->d;
	double	   *box = ix->boxes + (size_t) node * 2 * d;

	if (level == ix->depth)
	{
		double	   *block = leaf_block(ix, node);

		if (ix->leaf_start != NULL)
			ix->leaf_start[node - (((size_t) 1 << ix->depth) - 1)] = lo;
		memcpy(box, rows + (size_t) lo * d, sizeof(double) * d);
		memcpy(box + d, box, sizeof(double) * d);
		for (uint32_t i = lo; i < hi; i++)
		{
			const double *p = rows + (size_t) i * d;

			for (size_t j = 0; j < d; j++)
			{
				if (p[j] < box[j])
					box[j] = p[j];
				if (p[j] > box[d + j])
					box[d + j] = p[j];
				block[j * AN_NN_LEAF + (i - lo)] = p[j];
			}
		}
		return;
	}
	{
		uint32_t	mid = lo + (hi - lo) / 2;
		const double *left = ix->boxes + (size_t) (2 * node + 1) * 2 * d;
		const double *right = left + 2 * d;

		lay_out_node(ix, rows, 2 * node + 1, lo, mid, level + 1);
		lay_out_node(ix, rows, 2 * node + 2, mid, hi, level + 1);
		for (size_t j = 0; j < d; j++)
		{
			box[j] = left[j] < right[j] ? left[j] : right[j];
			box[d + j] = left[d + j] > right[d + j] ? left[d + j] : right[d + j];
		}
	}
}

/* Fill the boxes and leaf blocks of ix from its rows in tree order. */
static void
lay_out(an_ctx *ctx, an_nn_index *ix, const double *rows)
{
	size_t		n_nodes = ((size_t) 2 << ix->depth) - 1;
	size_t		leaves = (size_t) 1 << ix->depth;

	ix->boxes = an_alloc(ctx, sizeof(double) * 2 * ix->d * n_nodes);
	/* leaves hold AN_NN_LEAF / 2 to AN_NN_LEAF points; blocks are padded */
	ix->points = an_alloc(ctx, sizeof(double) * AN_NN_LEAF * ix->d * leaves);
	ix->leaf_start = NULL;
	if (leaves <= AN_NN_FLAT_LEAVES)
		ix->leaf_start = an_alloc(ctx, sizeof(uint32_t) * (leaves + 1));
	lay_out_node(ix, rows, 0, 0, ix->n, 0);
	ix->leaf_lows = ix->leaf_highs = NULL;
	if (ix->leaf_start == NULL)
		return;
	ix->leaf_start[leaves] = ix->n;
	ix->leaf_lows = an_alloc(ctx, sizeof(double) * ix->d * leaves);
	ix->leaf_highs = an_alloc(ctx, sizeof(double) * ix->d * leaves);
	for (size_t l = 0; l < leaves; l++)
	{
		const double *box = ix->boxes + (leaves - 1 + l) * 2 * ix->d;

		for (size_t j = 0; j < ix->d; j++)
		{
			ix->leaf_lows[j * leaves + l] = box[j];
			ix->leaf_highs[j * leaves + l] = box[ix->d + j];
		}
	}
}

/*
 * Mark the typical points of ix (rows in tree order, row by row): within
 * AN_NN_TYPICAL robust standard deviations of the median in every feature.
 * Robust statistics, so that a few percent of anomalies among the
 * reference points neither move the median nor widen the spread much.
 */
static void
find_typical(an_ctx *ctx, an_nn_index *ix, const double *rows)
{
	size_t		n = ix->n,
				d = ix->d;
	double	   *column = an_alloc(ctx, sizeof(double) * n);
	double	   *lo = an_alloc(ctx, sizeof(double) * d);
	double	   *hi = an_alloc(ctx, sizeof(double) * d);

	for (size_t j = 0; j < d; j++)
	{
		double		median,
					spread,
					q1,
					q3,
					min = INFINITY,
					max = -INFINITY;

		for (size_t i = 0; i < n; i++)
		{
			column[i] = rows[i * d + j];
			min = fmin(min, column[i]);
			max = fmax(max, column[i]);
		}
		median = an_select_kth(column, n, n / 2);
		q1 = an_select_kth(column, n, n / 4);
		q3 = an_select_kth(column, n, (3 * n) / 4);
		spread = (q3 - q1) / NORMAL_IQR;
		if (!(spread > 0) || !isfinite(spread))
			spread = max / 2 - min / 2;
		lo[j] = spread > 0 && isfinite(spread) ? median - AN_NN_TYPICAL * spread : -INFINITY;
		hi[j] = spread > 0 && isfinite(spread) ? median + AN_NN_TYPICAL * spread : INFINITY;
	}
	ix->typical = an_alloc(ctx, sizeof(uint32_t) * n);
	ix->n_typical = 0;
	for (size_t i = 0; i < n; i++)
	{
		size_t		j = 0;

		while (j < d && rows[i * d + j] >= lo[j] && rows[i * d + j] <= hi[j])
			j++;
		if (j == d)
			ix->typical[ix->n_typical++] = (uint32_t) i;
	}
}

/* AN_OK if k neighbours can be found among n reference rows, k < n. */
an_status
an_nn_check_k(an_ctx *ctx, const char *detector, uint32_t k, size_t n)
{
	if ((size_t) k < n)
		return AN_OK;
	an_fail(ctx, AN_ERR_DATA, NULL,
			"%s with k = %u needs more than %u reference rows, got %zu",
			detector, k, k, n);
	return an_set_hint(ctx, AN_ERR_DATA,
					   "Set k from 1 to %zu (below the number of training rows), or train on more rows.",
					   n - 1);
}

/* Read the eps of layout version (0 before version 2) and check its range. */
an_status
an_nn_read_eps(an_ctx *ctx, an_reader *r, const char *detector,
			   uint16_t version, double *eps)
{
	*eps = version >= 2 ? an_read_f64(r) : 0;
	if (r->failed || !(*eps >= 0 && *eps <= AN_NN_MAX_EPS))
		return an_fail(ctx, AN_ERR_CORRUPT, NULL,
					   "%s approximate is invalid", detector);
	return AN_OK;
}

/* Build the index over X (n rows, d features) with a scaling of an_nn_scalings. */
an_nn_index *
an_nn_build(an_ctx *ctx, const double *X, size_t n, size_t d, int scaling)
{
	an_nn_index *ix = an_alloc(ctx, sizeof(an_nn_index));
	double	   *scaled = an_alloc(ctx, sizeof(double) * n * d);
	double	   *rows = an_alloc(ctx, sizeof(double) * n * d);
	build_state b;

	ix->n = (uint32_t) n;
	ix->d = (uint32_t) d;
	ix->depth = tree_depth(n);
	ix->center = an_alloc(ctx, sizeof(double) * d);
	ix->scale = an_alloc(ctx, sizeof(double) * d);
	fit_scaling(ctx, ix, X, scaling);
	for (size_t i = 0; i < n; i++)
		an_nn_scale(ix, X + i * d, scaled + i * d);

	b.ctx = ctx;
	b.P = scaled;
	b.d = d;
	b.perm = an_alloc(ctx, sizeof(uint32_t) * n);
	b.lo = an_alloc(ctx, sizeof(double) * d);
	b.hi = an_alloc(ctx, sizeof(double) * d);
	for (size_t i = 0; i < n; i++)
		b.perm[i] = (uint32_t) i;
	split_node(&b, 0, (uint32_t) n, ix->depth);

	for (size_t i = 0; i < n; i++)
		memcpy(rows + i * d, scaled + (size_t) b.perm[i] * d, sizeof(double) * d);
	lay_out(ctx, ix, rows);
	find_typical(ctx, ix, rows);
	return ix;
}

/*
 * The leaf block holding the point at position pos; its feature j is at
 * j * AN_NN_LEAF + *slot.
 */
static const double *
point_block(const an_nn_index *ix, uint32_t pos, uint32_t *slot)
{
	uint32_t	lo = 0,
				hi = ix->n,
				node = 0;

	for (uint32_t level = 0; level < ix->depth; level++)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (pos < mid)
		{
			hi = mid;
			node = 2 * node + 1;
		}
		else
		{
			lo = mid;
			node = 2 * node + 2;
		}
	}
	*slot = pos - lo;
	return leaf_block(ix, node);
}

/* Copy the scaled point at position pos into row (d values). */
void
an_nn_point(const an_nn_index *ix, uint32_t pos, double *row)
{
	uint32_t	slot;
	const double *block = point_block(ix, pos, &slot);

	for (uint32_t j = 0; j < ix->d; j++)
		row[j] = block[(size_t) j * AN_NN_LEAF + slot];
}

/* Split one distance over the features in proportion to their squares. */
void
an_nn_split_distance(const an_nn_index *ix, const double *a, uint32_t pos,
					 double dist2, double weight, double *contrib)
{
	uint32_t	slot;
	const double *block = point_block(ix, pos, &slot);

	if (!(dist2 > 0))
		return;
	for (uint32_t j = 0; j < ix->d; j++)
	{
		double		t = a[j] - block[(size_t) j * AN_NN_LEAF + slot];

		/* t * t <= dist2 up to rounding: the fraction cannot overflow */
		contrib[j] += weight * (t * t / dist2);
	}
}

/*
 * A few neighbours are kept in a sorted list rather than a heap: inserting
 * into ten or twenty costs fewer mispredicted branches than sifting, and the
 * list needs no sort at the end.
 */
#define SORTED_MAX_K 32

/*
 * A search in progress: the best k hits found so far, a sorted list (k at
 * most SORTED_MAX_K) or a max-heap, and the distance a candidate must not
 * exceed to enter.
 */
typedef struct search_state
{
	const an_nn_index *ix;
	const double *q;
	uint32_t	k;
	uint32_t	skip;
	uint32_t	count;
	an_nn_hit  *hits;			/* k entries: the list or the heap */
	double		limit;			/* INFINITY until k hits are held */
	double		shrink;			/* 1 / (1 + eps)^2: 1 for an exact search */
} search_state;

/* A search for the k nearest points to q, leaving out position skip. */
static search_state
new_search(const an_nn_index *ix, const double *q, uint32_t k, uint32_t skip,
		   an_nn_hit *hits)
{
	search_state s = {ix, q, k, skip, 0, hits, INFINITY, 1.0};

	return s;
}

/* Whether hit a ranks after hit b: farther, or as far at a later position. */
static inline int
ranks_after(double a_dist2, uint32_t a_pos, const an_nn_hit *b)
{
	return a_dist2 > b->dist2 || (a_dist2 == b->dist2 && a_pos > b->pos);
}

/* Move the hit at i down the heap of count hits to its place. */
static void
sift_down(an_nn_hit *heap, uint32_t count, uint32_t i)
{
	an_nn_hit	moving = heap[i];

	for (;;)
	{
		uint32_t	child = 2 * i + 1;

		if (child >= count)
			break;
		if (child + 1 < count &&
			ranks_after(heap[child + 1].dist2, heap[child + 1].pos, &heap[child]))
			child++;
		if (!ranks_after(heap[child].dist2, heap[child].pos, &moving))
			break;
		heap[i] = heap[child];
		i = child;
	}
	heap[i] = moving;
}

/* Offer a candidate point to the sorted list of the best k. */
static inline void
offer_sorted(search_state *s, double dist2, uint32_t pos)
{
	an_nn_hit  *list = s->hits;
	uint32_t	i;

	if (s->count < s->k)
		i = s->count++;
	else if (ranks_after(list[s->k - 1].dist2, list[s->k - 1].pos, &(an_nn_hit) {dist2, pos}))
		i = s->k - 1;
	else
		return;
	while (i > 0 && ranks_after(list[i - 1].dist2, list[i - 1].pos, &(an_nn_hit) {dist2, pos}))
	{
		list[i] = list[i - 1];
		i--;
	}
	list[i].dist2 = dist2;
	list[i].pos = pos;
	if (s->count == s->k)
		s->limit = list[s->k - 1].dist2;
}

/* Offer a candidate point to the heap of the best k. */
static inline void
offer_heap(search_state *s, double dist2, uint32_t pos)
{
	an_nn_hit  *heap = s->hits;

	if (s->count < s->k)
	{
		uint32_t	i = s->count++;

		/* sift up */
		while (i > 0 && ranks_after(dist2, pos, &heap[(i - 1) / 2]))
		{
			heap[i] = heap[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		heap[i].dist2 = dist2;
		heap[i].pos = pos;
	}
	else if (dist2 < heap[0].dist2 ||
			 (dist2 == heap[0].dist2 && pos < heap[0].pos))
	{
		heap[0].dist2 = dist2;
		heap[0].pos = pos;
		sift_down(heap, s->count, 0);
	}
	if (s->count == s->k)
		s->limit = heap[0].dist2;
}

/* Offer a candidate point to the best k. */
static inline void
offer(search_state *s, double dist2, uint32_t pos)
{
	if (s->k <= SORTED_MAX_K)
		offer_sorted(s, dist2, pos);
	else
		offer_heap(s, dist2, pos);
}

/* The squared distance that a candidate must not exceed to enter. */
static inline double
bound(const search_state *s)
{
	return s->limit;
}

/*
 * The squared distance that a box must not exceed to be opened: the bound
 * itself for an exact search (times 1, which changes no value), the bound
 * over (1 + eps)^2 for an approximate one (see an_nn_search_approx).
 */
static inline double
box_bound(const search_state *s)
{
	return s->limit * s->shrink;
}

/*
 * Squared distances from q to the AN_NN_LEAF slots of a leaf block into
 * dist2 (padding slots give meaningless values); returns the least of the
 * AN_NN_LEAF, padding included.  Even and odd features are summed apart,
 * then added, in the same order as box_dist2.  Four points at a time, so
 * that their eight sums stay in registers and the compiler computes two
 * points per instruction (sums kept in arrays went through memory at every
 * feature).
 */
static inline double
leaf_dist2(const double *q, const double *block, uint32_t d, double *dist2)
{
	/* the least distance so far of each of the four slots in a group */
	double		m0 = INFINITY,
				m1 = INFINITY,
				m2 = INFINITY,
				m3 = INFINITY;

	for (uint32_t i = 0; i < AN_NN_LEAF; i += 4)
	{
		const double *c = block + i;
		double		e0 = 0,
					e1 = 0,
					e2 = 0,
					e3 = 0,
					o0 = 0,
					o1 = 0,
					o2 = 0,
					o3 = 0;
		uint32_t	j;

		for (j = 0; j + 1 < d; j += 2, c += 2 * AN_NN_LEAF)
		{
			const double *c1 = c + AN_NN_LEAF;
			double		t0 = q[j] - c[0],
						t1 = q[j] - c[1],
						t2 = q[j] - c[2],
						t3 = q[j] - c[3],
						u0 = q[j + 1] - c1[0],
						u1 = q[j + 1] - c1[1],
						u2 = q[j + 1] - c1[2],
						u3 = q[j + 1] - c1[3];

			e0 += t0 * t0;
			e1 += t1 * t1;
			e2 += t2 * t2;
			e3 += t3 * t3;
			o0 += u0 * u0;
			o1 += u1 * u1;
			o2 += u2 * u2;
			o3 += u3 * u3;
		}
		if (j < d)
		{
			double		t0 = q[j] - c[0],
						t1 = q[j] - c[1],
						t2 = q[j] - c[2],
						t3 = q[j] - c[3];

			e0 += t0 * t0;
			e1 += t1 * t1;
			e2 += t2 * t2;
			e3 += t3 * t3;
		}
		e0 += o0;
		e1 += o1;
		e2 += o2;
		e3 += o3;
		dist2[i] = e0;
		dist2[i + 1] = e1;
		dist2[i + 2] = e2;
		dist2[i + 3] = e3;
		m0 = e0 < m0 ? e0 : m0;
		m1 = e1 < m1 ? e1 : m1;
		m2 = e2 < m2 ? e2 : m2;
		m3 = e3 < m3 ? e3 : m3;
	}
	m0 = m0 < m2 ? m0 : m2;
	m1 = m1 < m3 ? m1 : m3;
	return m0 < m1 ? m0 : m1;
}

/* How far v lies outside [lo, hi], 0 inside; without a branch. */
static inline double
box_gap(double v, double lo, double hi)
{
	double		below = lo - v;
	double		above = v - hi;
	double		t = below > above ? below : above;

	/* max(t, 0), exact since t is far below overflow */
	return (t + fabs(t)) * 0.5;
}

/*
 * Squared distance from q to a box.  Feature by feature it is at most the
 * distance of any point inside, also in rounded arithmetic, and it is summed
 * in the same order as leaf_dist2, so pruning on it is exact.
 */
static inline double
box_dist2(const double *q, const double *box, uint32_t d)
{
	double		even = 0,
				odd = 0;
	uint32_t	j;

	for (j = 0; j + 1 < d; j += 2)
	{
		double		t0 = box_gap(q[j], box[j], box[d + j]);
		double		t1 = box_gap(q[j + 1], box[j + 1], box[d + j + 1]);

		even += t0 * t0;
		odd += t1 * t1;
	}
	if (j < d)
		even += box_gap(q[j], box[j], box[d + j]) * box_gap(q[j], box[j], box[d + j]);
	return even + odd;
}

/* Offer the points of leaf node, over positions [lo, hi). */
static inline void
scan_leaf(search_state *s, uint32_t node, uint32_t lo, uint32_t hi)
{
	double		dist2[AN_NN_LEAF];
	uint32_t	candidate[AN_NN_LEAF];
	uint32_t	count = 0;
	double		limit = bound(s);

	/* most leaves hold no candidate: one test instead of one per point */
	if (leaf_dist2(s->q, leaf_block(s->ix, node), s->ix->d, dist2) > limit)
		return;
	/* the slots within the bound, listed without a branch per slot */
	for (uint32_t i = 0; i < hi - lo; i++)
	{
		candidate[count] = i;
		count += dist2[i] <= limit;
	}
	for (uint32_t c = 0; c < count; c++)
	{
		uint32_t	i = candidate[c];

		if (dist2[i] <= bound(s) && lo + i != s->skip)
			offer(s, dist2[i], lo + i);
	}
}

/* Search node over points [lo, hi) at level, nearer child first. */
static void
search_node(search_state *s, uint32_t node, uint32_t lo, uint32_t hi,
			uint32_t level)
{
	const an_nn_index *ix = s->ix;
	uint32_t	d = ix->d;
	uint32_t	mid = lo + (hi - lo) / 2;
	uint32_t	left = 2 * node + 1;
	double		dl,
				dr;

	if (level == ix->depth)
	{
		scan_leaf(s, node, lo, hi);
		return;
	}
	dl = box_dist2(s->q, ix->boxes + (size_t) left * 2 * d, d);
	dr = box_dist2(s->q, ix->boxes + (size_t) (left + 1) * 2 * d, d);
	/* a box as far as the bound may still hold a tie at a lower position */
	if (dl <= dr)
	{
		if (dl <= box_bound(s))
			search_node(s, left, lo, mid, level + 1);
		if (dr <= box_bound(s))
			search_node(s, left + 1, mid, hi, level + 1);
	}
	else
	{
		if (dr <= box_bound(s))
			search_node(s, left + 1, mid, hi, level + 1);
		if (dl <= box_bound(s))
			search_node(s, left, lo, mid, level + 1);
	}
}

/* Scan every leaf under node over points [lo, hi) at level, pruning none. */
static void
scan_all(search_state *s, uint32_t node, uint32_t lo, uint32_t hi,
		 uint32_t level)
{
	uint32_t	mid = lo + (hi - lo) / 2;

	if (level == s->ix->depth)
	{
		scan_leaf(s, node, lo, hi);
		return;
	}
	scan_all(s, 2 * node + 1, lo, mid, level + 1);
	scan_all(s, 2 * node + 2, mid, hi, level + 1);
}

/*
 * Squared distances from q to the boxes of the index's leaves (an even
 * number of them) into dist2, summed as box_dist2 sums them.  Two leaves
 * at a time, so that the compiler computes them side by side.
 */
static void
leaf_box_dist2(const an_nn_index *ix, const double *q, double *dist2)
{
	uint32_t	leaves = (uint32_t) 1 << ix->depth;

	for (uint32_t l = 0; l < leaves; l += 2)
	{
		const double *low = ix->leaf_lows + l;
		const double *high = ix->leaf_highs + l;
		double		even0 = 0,
					even1 = 0,
					odd0 = 0,
					odd1 = 0;
		uint32_t	j;

		for (j = 0; j + 1 < ix->d; j += 2, low += 2 * leaves, high += 2 * leaves)
		{
			double		t0 = box_gap(q[j], low[0], high[0]),
						t1 = box_gap(q[j], low[1], high[1]),
						u0 = box_gap(q[j + 1], low[leaves], high[leaves]),
						u1 = box_gap(q[j + 1], low[leaves + 1], high[leaves + 1]);

			even0 += t0 * t0;
			even1 += t1 * t1;
			odd0 += u0 * u0;
			odd1 += u1 * u1;
		}
		if (j < ix->d)
		{
			double		t0 = box_gap(q[j], low[0], high[0]),
						t1 = box_gap(q[j], low[1], high[1]);

			even0 += t0 * t0;
			even1 += t1 * t1;
		}
		dist2[l] = even0 + odd0;
		dist2[l + 1] = even1 + odd1;
	}
}

/*
 * With GCC on x86-64 Linux the flat search is compiled twice, for AVX2 and
 * for the baseline, and the loader picks the copy the processor can run
 * (function multiversioning): four distances per instruction instead of
 * two.  AVX2 without FMA, so every product and sum is rounded as in the
 * baseline copy and both give the same neighbours and distances.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define FLAT_SEARCH_TARGETS __attribute__((target_clones("avx2", "default"), flatten))
#else
#define FLAT_SEARCH_TARGETS
#endif

/*
 * Search a small index leaf by leaf: the leaf nearest to q first; then the
 * leaves within a quarter of the distance it bounds the k-th neighbour by,
 * so that the bound tightens before the farther leaves are tested (on
 * uniform rows of 8 features, 36 leaves of 64 scanned instead of 44); then
 * every other leaf not farther than the current k-th distance (over 1 + eps
 * for an approximate search: box_bound).
 */
FLAT_SEARCH_TARGETS static void
search_flat(search_state *s)
{
	const an_nn_index *ix = s->ix;
	uint32_t	leaves = (uint32_t) 1 << ix->depth;
	uint32_t	first_leaf = leaves - 1;
	uint32_t	nearest = 0;
	double		dist2[AN_NN_FLAT_LEAVES];
	double		near;

	if (leaves == 1)
	{
		scan_leaf(s, 0, 0, ix->n);
		return;
	}
	leaf_box_dist2(ix, s->q, dist2);
	for (uint32_t l = 1; l < leaves; l++)
		nearest = dist2[l] < dist2[nearest] ? l : nearest;
	scan_leaf(s, first_leaf + nearest, ix->leaf_start[nearest], ix->leaf_start[nearest + 1]);
	near = box_bound(s) * 0.25;
	for (uint32_t l = 0; l < leaves; l++)
		if (l != nearest && dist2[l] <= near)
			scan_leaf(s, first_leaf + l, ix->leaf_start[l], ix->leaf_start[l + 1]);
	for (uint32_t l = 0; l < leaves; l++)
		if (l != nearest && dist2[l] > near && dist2[l] <= box_bound(s))
			scan_leaf(s, first_leaf + l, ix->leaf_start[l], ix->leaf_start[l + 1]);
}

/* Sort the hits of a finished search in place, nearest first. */
static void
sort_hits(const search_state *s)
{
	an_nn_hit  *heap = s->hits;
	uint32_t	count = s->count;

	if (s->k <= SORTED_MAX_K)
		return;
	while (count > 1)
	{
		an_nn_hit	top = heap[0];

		heap[0] = heap[--count];
		heap[count] = top;
		sift_down(heap, count, 0);
	}
}

/* Run search s by the flat leaves or the tree, and sort its hits. */
static void
run_search(search_state *s)
{
	if (s->ix->leaf_start != NULL)
		search_flat(s);
	else
		search_node(s, 0, 0, s->ix->n, 0);
	sort_hits(s);
}

/* The k nearest points to the scaled query q, nearest first, into hits. */
void
an_nn_search(const an_nn_index *ix, const double *q, uint32_t k,
			 uint32_t skip, an_nn_hit *hits)
{
	search_state s = new_search(ix, q, k, skip, hits);

	run_search(&s);
}

/*
 * The (1 + eps)-approximate search of Arya, Mount, Netanyahu, Silverman and
 * Wu ("An optimal algorithm for approximate nearest neighbor searching in
 * fixed dimensions", JACM 1998): a box is opened only if its distance is at
 * most the current k-th distance r over (1 + eps).  A box left closed holds
 * no point nearer than r / (1 + eps), so when the search ends the i-th
 * returned distance is at most (1 + eps) times the true i-th.  In squares:
 * the box bound is r^2 / (1 + eps)^2; eps = 0 multiplies by 1 and is the
 * exact search.
 */
void
an_nn_search_approx(const an_nn_index *ix, const double *q, uint32_t k,
					uint32_t skip, double eps, an_nn_hit *hits)
{
	search_state s = new_search(ix, q, k, skip, hits);

	s.shrink = 1.0 / ((1.0 + eps) * (1.0 + eps));
	run_search(&s);
}

/* The same answer by scanning every point (for tests and the benchmark). */
void
an_nn_search_brute(const an_nn_index *ix, const double *q, uint32_t k,
				   uint32_t skip, an_nn_hit *hits)
{
	search_state s = new_search(ix, q, k, skip, hits);

	scan_all(&s, 0, 0, ix->n, 0);
	sort_hits(&s);
}

/* The k nearest typical points to q, nearest first (see neighbors.h). */
void
an_nn_search_typical(const an_nn_index *ix, const double *q, uint32_t k,
					 an_nn_hit *hits)
{
	search_state s = new_search(ix, q, k, ix->n, hits);

	if (ix->n_typical <= k)
	{
		an_nn_search(ix, q, k, ix->n, hits);
		return;
	}
	for (uint32_t t = 0; t < ix->n_typical; t++)
	{
		uint32_t	pos = ix->typical[t];
		uint32_t	slot;
		const double *block = point_block(ix, pos, &slot);
		double		dist2 = 0;

		for (uint32_t j = 0; j < ix->d && dist2 <= bound(&s); j++)
		{
			double		diff = q[j] - block[(size_t) j * AN_NN_LEAF + slot];

			dist2 += diff * diff;
		}
		if (dist2 <= bound(&s))
			offer(&s, dist2, pos);
	}
	sort_hits(&s);
}

/* Write the index: n, the scaling, and the points row by row in tree order. */
void
an_nn_write(const an_nn_index *ix, an_writer *w)
{
	double		row[AN_MAX_COLUMNS];

	an_write_u32(w, ix->n);
	for (uint32_t j = 0; j < ix->d; j++)
	{
		an_write_f64(w, ix->center[j]);
		an_write_f64(w, ix->scale[j]);
	}
	for (uint32_t i = 0; i < ix->n; i++)
	{
		an_nn_point(ix, i, row);
		for (uint32_t j = 0; j < ix->d; j++)
			an_write_f64(w, row[j]);
	}
}

/* Read and validate an index over d features; NULL and ctx set if corrupt. */
an_nn_index *
an_nn_read(an_ctx *ctx, an_reader *r, size_t d)
{
	an_nn_index *ix = an_alloc(ctx, sizeof(an_nn_index));
	double	   *rows;
	size_t		values;

	ix->n = an_read_u32(r);
	if (r->failed || d < 1 || d > AN_MAX_COLUMNS || ix->n < 1 ||
		(size_t) ix->n > an_reader_left(r) / 8 / d)
	{
		an_fail(ctx, AN_ERR_CORRUPT, NULL,
				"reference sample size is invalid");
		return NULL;
	}
	ix->d = (uint32_t) d;
	ix->depth = tree_depth(ix->n);
	ix->center = an_alloc(ctx, sizeof(double) * d);
	ix->scale = an_alloc(ctx, sizeof(double) * d);
	for (size_t j = 0; j < d; j++)
	{
		ix->center[j] = an_read_f64(r);
		ix->scale[j] = an_read_f64(r);
		if (!isfinite(ix->center[j]) || !(ix->scale[j] > 0) ||
			!isfinite(ix->scale[j]))
		{
			an_fail(ctx, AN_ERR_CORRUPT, NULL,
					"scaling of feature %zu is invalid", j + 1);
			return NULL;
		}
	}
	values = (size_t) ix->n * d;
	if (values > an_reader_left(r) / 8)
	{
		an_fail(ctx, AN_ERR_CORRUPT, NULL, "reference points are truncated");
		return NULL;
	}
	rows = an_alloc(ctx, sizeof(double) * values);
	for (size_t i = 0; i < values; i++)
	{
		rows[i] = an_read_f64(r);
		if (!(fabs(rows[i]) <= AN_NN_LIMIT))
		{
			an_fail(ctx, AN_ERR_CORRUPT, NULL,
					"reference point %zu has an invalid value", i / d + 1);
			return NULL;
		}
	}
	lay_out(ctx, ix, rows);
	find_typical(ctx, ix, rows);
	return ix;
}
