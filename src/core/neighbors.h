/*
 * neighbors.h - the reference sample of the distance-based detectors (lof,
 * knn): its robust per-feature scaling and an exact k-nearest-neighbour
 * index over it.
 *
 * By default each feature is centred on its median and divided by a robust
 * spread (the interquartile range over 1.349, which is the standard
 * deviation for a normal distribution), falling back to the standard
 * deviation, the half range and then 1 when a feature has no spread; the
 * mean and standard deviation, or the minimum and range, can be chosen
 * instead.  Only the resulting centre and scale are stored.  Scaled values are clamped to
 * +-AN_NN_LIMIT so that a sum of squares over AN_MAX_COLUMNS features
 * stays finite.
 *
 * The index is a k-d tree (Bentley, "Multidimensional binary search trees
 * used for associative searching", CACM 1975) split at the median of the
 * widest feature down to leaves of at most AN_NN_LEAF points.  Splitting at
 * the middle position makes the shape a function of n alone, so only the
 * points are stored, row by row in tree order; bounding boxes and the leaf
 * blocks (each leaf's points laid out feature by feature, so that distances
 * to all of them are computed side by side) are rebuilt when a model is
 * read.  A search visits the nearer child first and prunes a box
 * farther than the current k-th distance, which keeps it exact whatever
 * order the points come in.  Ties are broken by position, so the tree and
 * brute force return the same neighbours.
 * The approximate search (an_nn_search_approx) opens only the boxes within
 * that distance over 1 + eps (Arya et al., JACM 1998), so each neighbour it
 * returns is at most 1 + eps times as far as the true one of its rank.
 *
 * A small index (at most AN_NN_FLAT_LEAVES leaves, as auto's sample of
 * 1,024 rows) is searched without descending the tree: the distances from
 * the query to every leaf's box are computed side by side, the nearest leaf
 * is scanned first and then every leaf whose box is not farther than the
 * current k-th distance.  The same boxes, the same leaf distances and the
 * same pruning rule as the tree's, so the same neighbours; the tree's
 * walk costs more than it prunes on so few leaves.
 */
#ifndef AN_NEIGHBORS_H
#define AN_NEIGHBORS_H

#include "an_core.h"
#include "bytes.h"

#define AN_NN_MAX_K 1000		/* largest k a search supports */
#define AN_NN_LEAF 16			/* most points in a leaf */
#define AN_NN_LIMIT 1e150		/* bound of a scaled value */
#define AN_NN_TYPICAL 3.0		/* see an_nn_search_typical */
#define AN_NN_FLAT_LEAVES 256	/* most leaves of an index searched flat */
#define AN_NN_MAX_EPS 100.0		/* largest eps of an approximate search */

/* How features are scaled; the words of the detectors' "scaling" option. */
enum
{
	AN_NN_SCALE_ROBUST = 0,
	AN_NN_SCALE_STANDARD,
	AN_NN_SCALE_MINMAX,
	AN_NN_SCALINGS
};
extern const char *const an_nn_scalings[AN_NN_SCALINGS + 1];

typedef struct an_nn_index
{
	uint32_t	n;				/* reference points */
	uint32_t	d;				/* features */
	uint32_t	depth;			/* every leaf is at this depth */
	double	   *center;			/* d medians */
	double	   *scale;			/* d spreads, each > 0 */
	/* n * d scaled values in tree order; each leaf's block feature by feature */
	double	   *points;
	double	   *boxes;			/* per node: d lows, then d highs */
	/* derived when built or read, never stored: see an_nn_search_typical */
	uint32_t	n_typical;
	uint32_t   *typical;		/* positions of the typical points */
	/* derived for an index of at most AN_NN_FLAT_LEAVES leaves, else NULL */
	double	   *leaf_lows;		/* feature j of leaf l's box at j * leaves + l */
	double	   *leaf_highs;		/* the same for the box's highs */
	uint32_t   *leaf_start;		/* first position of each leaf, then n */
} an_nn_index;

/* One neighbour: squared scaled distance and position in the index. */
typedef struct an_nn_hit
{
	double		dist2;
	uint32_t	pos;
} an_nn_hit;

/* AN_OK if k neighbours can be found among n reference rows, k < n. */
an_status	an_nn_check_k(an_ctx *ctx, const char *detector, uint32_t k,
						  size_t n);

/*
 * Read the eps of a model in layout version (2 stores it, 1 means 0) into
 * *eps; AN_ERR_CORRUPT, naming detector, unless it lies in [0, AN_NN_MAX_EPS].
 */
an_status	an_nn_read_eps(an_ctx *ctx, an_reader *r, const char *detector,
						   uint16_t version, double *eps);

/* Build the index over X (n rows, d features) with a scaling of an_nn_scalings. */
an_nn_index *an_nn_build(an_ctx *ctx, const double *X, size_t n, size_t d,
						 int scaling);

/* Copy the scaled point at position pos into row (d values). */
void		an_nn_point(const an_nn_index *ix, uint32_t pos, double *row);

/*
 * Split one distance over the features: add weight * (a_j - p_j)^2 / dist2
 * to contrib[j] for each feature j, where p is the scaled point at position
 * pos and dist2 its squared distance to a (which the added terms' fractions
 * sum to 1 of).  Nothing is added when dist2 is 0.
 */
void		an_nn_split_distance(const an_nn_index *ix, const double *a,
								 uint32_t pos, double dist2, double weight,
								 double *contrib);

/* Scale a raw row x into q (d values) as the index's points are. */
void		an_nn_scale(const an_nn_index *ix, const double *x, double *q);

/*
 * The k nearest points to the scaled query q, nearest first, into hits;
 * the point at position skip is left out (pass ix->n to keep all).
 * k must be at most AN_NN_MAX_K and leave enough points.
 */
void		an_nn_search(const an_nn_index *ix, const double *q, uint32_t k,
						 uint32_t skip, an_nn_hit *hits);

/*
 * The same search, (1 + eps)-approximate (eps >= 0): each returned
 * neighbour's distance is at most (1 + eps) times the true neighbour's of
 * the same rank, and far fewer boxes are opened.  eps = 0 is an_nn_search.
 */
void		an_nn_search_approx(const an_nn_index *ix, const double *q,
								uint32_t k, uint32_t skip, double eps,
								an_nn_hit *hits);

/* The same answer by scanning every point (for tests and the benchmark). */
void		an_nn_search_brute(const an_nn_index *ix, const double *q,
							   uint32_t k, uint32_t skip, an_nn_hit *hits);

/*
 * The k nearest typical points to q, nearest first, into hits: points
 * whose every feature lies within AN_NN_TYPICAL robust standard deviations
 * (the interquartile range over 1.349, else the half range) of the
 * reference points' median of that feature.  What normal looks like for an
 * explanation, when the anomalies are among the reference points and would
 * otherwise be each other's neighbours.  All points when fewer than k + 1
 * are typical.
 */
void		an_nn_search_typical(const an_nn_index *ix, const double *q,
								 uint32_t k, an_nn_hit *hits);

/* Write the index. */
void		an_nn_write(const an_nn_index *ix, an_writer *w);

/* Read and validate an index over d features; NULL and ctx set if corrupt. */
an_nn_index *an_nn_read(an_ctx *ctx, an_reader *r, size_t d);

#endif
