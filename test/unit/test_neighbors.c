/*
 * test_neighbors.c - unit tests of the k-d tree (neighbors.c) and of the
 * distance-based detectors built on it (lof.c, knn.c), no framework.
 *
 * Prints one line per failed check and finally "N passed, N failed"; exits
 * non-zero on any failure (see harness.h).
 */
#include "an_core.h"
#include "bytes.h"
#include "detector.h"
#include "neighbors.h"
#include "params.h"
#include "prng.h"

#include "harness.h"

/* ------------------------------------------------------------------ */
/* helpers */

/* Gaussian rows with a few planted far outliers; labels[i] = 1 for those. */
static double *
planted_data(an_ctx *ctx, size_t n, size_t d, size_t n_out, int *labels,
			 uint64_t seed)
{
	double	   *X = an_alloc(ctx, sizeof(double) * n * d);
	an_prng		rng;

	an_prng_seed(&rng, seed);
	for (size_t i = 0; i < n; i++)
	{
		labels[i] = i < n_out;
		for (size_t j = 0; j < d; j++)
			X[i * d + j] = labels[i] ? 6.0 + 4.0 * an_prng_uniform(&rng)
				: an_prng_normal(&rng);
	}
	return X;
}

/* ROC AUC of scores against 0/1 labels, by counting ordered pairs. */
static double
roc_auc(const double *scores, const int *labels, size_t n)
{
	double		wins = 0,
				pairs = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (labels[i] && !labels[j])
			{
				pairs++;
				wins += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
			}
	return pairs > 0 ? wins / pairs : 0.5;
}

/* Fit ops on X with options set by name (value NAN ends the list). */
static an_status
fit_with(an_ctx *ctx, const an_detector_ops *ops, const double *X, size_t n,
		 size_t d, void **model, const char *name, double value)
{
	an_params	p;

	an_params_defaults(&p, ops);
	if (name != NULL && an_params_set(ctx, &p, ops, name, value) != AN_OK)
		return AN_ERR_PARAM;
	return ops->fit(ctx, &p, X, n, d, model);
}

/* Serialize the detector part of a model. */
static an_writer
write_model(an_ctx *ctx, const an_detector_ops *ops, const void *model)
{
	an_writer	w;

	an_writer_init(&w, ctx, 256);
	ops->write(model, &w);
	return w;
}

/* ------------------------------------------------------------------ */
/* tests */

/*
 * The search returns exactly the brute-force neighbours, skip included:
 * the flat search of a small index (40 trials) and the tree's (10 trials
 * over more than AN_NN_FLAT_LEAVES leaves); k up to 64 keeps the best hits
 * both in a sorted list and in a heap.
 */
static void
test_tree_matches_brute(void)
{
	an_ctx		ctx = new_ctx();
	an_prng		rng;
	an_nn_hit	a[64],
				b[64];

	an_prng_seed(&rng, 7);
	for (int trial = 0; trial < 50; trial++)
	{
		size_t		n = trial < 40 ? 1 + (size_t) an_prng_below(&rng, 700) :
			AN_NN_FLAT_LEAVES * AN_NN_LEAF + 1 + (size_t) an_prng_below(&rng, 3000);
		size_t		d = 1 + (size_t) an_prng_below(&rng, 7);
		double	   *X = an_alloc(&ctx, sizeof(double) * n * d);
		double		q[8];
		an_nn_index *ix;
		int			mismatch = 0;

		/* a coarse grid makes many duplicates and ties */
		for (size_t i = 0; i < n * d; i++)
			X[i] = trial % 2 ? (double) an_prng_below(&rng, 4) : an_prng_normal(&rng);
		ix = an_nn_build(&ctx, X, n, d, trial % AN_NN_SCALINGS);
		for (int t = 0; t < 30; t++)
		{
			uint32_t	skip = t % 2 ? (uint32_t) an_prng_below(&rng, n) : (uint32_t) n;
			uint32_t	avail = (uint32_t) n - (skip < n);
			uint32_t	k;

			if (avail == 0)
				continue;
			k = 1 + (uint32_t) an_prng_below(&rng, avail < 64 ? avail : 64);
			if (t % 3 == 0)
				an_nn_point(ix, (uint32_t) an_prng_below(&rng, n), q);
			else
				for (size_t j = 0; j < d; j++)
					q[j] = 2.0 * an_prng_normal(&rng);
			an_nn_search(ix, q, k, skip, a);
			an_nn_search_brute(ix, q, k, skip, b);
			for (uint32_t j = 0; j < k; j++)
				if (a[j].pos != b[j].pos || a[j].dist2 != b[j].dist2 ||
					a[j].pos == skip || (j > 0 && a[j].dist2 < a[j - 1].dist2))
					mismatch = 1;
		}
		CHECK(!mismatch, "trial %d (n %zu, d %zu): tree differs from brute force",
			  trial, n, d);
	}
	free_all_blocks();
}

/*
 * The squared distance from q to the point at position pos, recomputed as
 * the search sums it: even and odd features apart, then added.
 */
static double
point_dist2(const an_nn_index *ix, const double *q, uint32_t pos)
{
	double		row[8];
	double		sum[2] = {0, 0};

	an_nn_point(ix, pos, row);
	for (uint32_t j = 0; j < ix->d; j++)
		sum[j % 2] += (q[j] - row[j]) * (q[j] - row[j]);
	return sum[0] + sum[1];
}

/*
 * The (1 + eps)-approximate search on seeded random rows, flat (n up to
 * 700) and by the tree (more than AN_NN_FLAT_LEAVES leaves): eps = 0 gives
 * exactly the exact search's neighbours and distances; eps > 0 gives k
 * distinct neighbours, skip left out, nearest first, each at its true
 * distance and within (1 + eps) of the true neighbour of the same rank (so
 * the k-th within (1 + eps) of the true k-th).  On the flat search and the
 * tree alike some query must come back with other neighbours at eps >= 1,
 * or the option would not be searching approximately at all.
 */
static void
test_approximate_search(void)
{
	static const double epsilons[] = {0, 0.25, 0.5, 1, 2, 5};
	an_ctx		ctx = new_ctx();
	an_prng		rng;
	an_nn_hit	a[64],
				b[64];

	an_prng_seed(&rng, 1998);
	for (int trial = 0; trial < 20; trial++)
	{
		int			tree = trial >= 12;
		size_t		n = tree ? AN_NN_FLAT_LEAVES * AN_NN_LEAF + 1 + (size_t) an_prng_below(&rng, 6000)
			: 30 + (size_t) an_prng_below(&rng, 700);
		size_t		d = 2 + (size_t) an_prng_below(&rng, 7);
		double	   *X = an_alloc(&ctx, sizeof(double) * n * d);
		double		q[8];
		an_nn_index *ix;
		int			exact_differs = 0,
					outside = 0,
					malformed = 0,
					approximated = 0;

		for (size_t i = 0; i < n * d; i++)
			X[i] = trial % 3 == 2 ? (double) an_prng_below(&rng, 5) : an_prng_normal(&rng);
		ix = an_nn_build(&ctx, X, n, d, AN_NN_SCALE_ROBUST);
		for (int t = 0; t < 40; t++)
		{
			uint32_t	skip = t % 2 ? (uint32_t) an_prng_below(&rng, n) : (uint32_t) n;
			uint32_t	k = 1 + (uint32_t) an_prng_below(&rng, 40);

			if (t % 4 == 0)
				an_nn_point(ix, (uint32_t) an_prng_below(&rng, n), q);
			else
				for (size_t j = 0; j < d; j++)
					q[j] = 1.5 * an_prng_normal(&rng);
			an_nn_search(ix, q, k, skip, b);
			for (size_t e = 0; e < sizeof(epsilons) / sizeof(epsilons[0]); e++)
			{
				double		eps = epsilons[e];
				int			same = 1;

				an_nn_search_approx(ix, q, k, skip, eps, a);
				for (uint32_t j = 0; j < k; j++)
				{
					same &= a[j].pos == b[j].pos && a[j].dist2 == b[j].dist2;
					if (a[j].pos >= ix->n || a[j].pos == skip ||
						a[j].dist2 != point_dist2(ix, q, a[j].pos) ||
						(j > 0 && a[j].dist2 < a[j - 1].dist2))
						malformed = 1;
					for (uint32_t i = 0; i < j; i++)
						malformed |= a[i].pos == a[j].pos;
					/* distances, not squares; a relative 1e-12 for rounding */
					if (sqrt(a[j].dist2) > (1 + eps) * sqrt(b[j].dist2) * (1 + 1e-12))
						outside = 1;
				}
				if (eps == 0)
					exact_differs |= !same;
				else if (eps >= 1)
					approximated |= !same;
			}
		}
		CHECK(!exact_differs, "trial %d (n %zu, d %zu): eps 0 differs from the exact search",
			  trial, n, d);
		CHECK(!malformed, "trial %d (n %zu, d %zu): a malformed approximate answer",
			  trial, n, d);
		CHECK(!outside, "trial %d (n %zu, d %zu): a neighbour beyond 1 + eps of the true one",
			  trial, n, d);
		if (trial % 3 != 2)
			CHECK(approximated, "trial %d (n %zu, d %zu): eps >= 1 never changed an answer",
				  trial, n, d);
	}
	free_all_blocks();
}

/*
 * The option "approximate": knn's k-th distance is at least the exact one
 * and at most 1 + eps times it; a model keeps eps through a round trip;
 * a model without eps is written in the version 1 layout (no eps), which
 * reads as exact, scores as the fresh model to the bit, and is written
 * again as the same version 1 bytes.
 */
static void
test_approximate_option(void)
{
	const an_detector_ops *ops_list[] = {&an_lof_ops, &an_knn_ops};
	an_ctx		ctx = new_ctx();
	size_t		n = 6000,
				d = 5;
	int		   *labels = an_alloc(&ctx, sizeof(int) * n);
	double	   *X = planted_data(&ctx, n, d, 60, labels, 77);
	an_prng		rng;

	an_prng_seed(&rng, 4);
	for (int o = 0; o < 2; o++)
	{
		const an_detector_ops *ops = ops_list[o];
		size_t		eps_at = o == 0 ? 4 : 8;
		void	   *fitted,
				   *exact,
				   *approx,
				   *back;
		an_writer	w,
					v1,
					again;
		an_reader	r;
		int			bounded = 1,
					same_back = 1,
					same_v1 = 1,
					differs = 0;

		CHECK_STATUS(fit_with(&ctx, ops, X, n, d, &fitted, NULL, 0), AN_OK);
		CHECK_STATUS(fit_with(&ctx, ops, X, n, d, &approx, "approximate", 1), AN_OK);
		w = write_model(&ctx, ops, approx);
		an_reader_init(&r, w.data, w.len);
		CHECK_STATUS(ops->read(&ctx, &r, ops->version, d, &back), AN_OK);
		/* without eps the model keeps the version 1 layout: the same bytes less eps */
		v1 = write_model(&ctx, ops, fitted);
		CHECK(an_detector_layout(ops, fitted) == 1 && an_detector_layout(ops, approx) == 2,
			  "%s: layouts %u without eps and %u with it", ops->name,
			  an_detector_layout(ops, fitted), an_detector_layout(ops, approx));
		CHECK(v1.len + 8 == w.len && memcmp(v1.data, w.data, eps_at) == 0 &&
			  memcmp(v1.data + eps_at, w.data + eps_at + 8, v1.len - eps_at) == 0,
			  "%s: the exact model is not the approximate one's bytes less eps", ops->name);
		an_reader_init(&r, v1.data, v1.len);
		CHECK_STATUS(ops->read(&ctx, &r, 1, d, &exact), AN_OK);
		again = write_model(&ctx, ops, exact);
		CHECK(again.len == v1.len && memcmp(again.data, v1.data, v1.len) == 0 &&
			  an_detector_layout(ops, exact) == 1,
			  "%s: a version 1 layout is not written again as itself", ops->name);
		for (int t = 0; t < 300; t++)
		{
			double		x[5];
			double		s_exact,
						s_approx;

			for (size_t j = 0; j < d; j++)
				x[j] = t % 10 == 0 ? 8 * an_prng_uniform(&rng) : an_prng_normal(&rng);
			s_exact = ops->score(exact, x);
			s_approx = ops->score(approx, x);
			same_back &= ops->score(back, x) == s_approx;
			same_v1 &= ops->score(fitted, x) == s_exact;
			differs |= s_approx != s_exact;
			/* knn: the k-th distance of a subset is no nearer, within 1 + eps */
			if (o == 1 && !(s_approx >= s_exact && s_approx <= 2 * s_exact * (1 + 1e-12)))
				bounded = 0;
		}
		CHECK(bounded, "%s: an approximate score outside [exact, (1 + eps) exact]", ops->name);
		CHECK(same_back, "%s: eps lost in a round trip", ops->name);
		CHECK(differs, "%s: approximate 1 never changed a score", ops->name);
		CHECK(same_v1, "%s: the version 1 model scores otherwise", ops->name);
	}
	free_all_blocks();
}

/* Robust scaling: median and IQR / 1.349; constant columns do not blow up. */
static void
test_scaling(void)
{
	an_ctx		ctx = new_ctx();
	double		X[5 * 2] = {1, 7, 2, 7, 3, 7, 4, 7, 100, 7};
	double		q[2];
	an_nn_index *ix = an_nn_build(&ctx, X, 5, 2, AN_NN_SCALE_ROBUST);

	CHECK(ix->center[0] == 3, "median %g", ix->center[0]);
	CHECK(fabs(ix->scale[0] - 2.0 / 1.3489795003921634) < 1e-12, "scale %g", ix->scale[0]);
	CHECK(ix->center[1] == 7 && ix->scale[1] == 1, "constant column %g %g",
		  ix->center[1], ix->scale[1]);
	an_nn_scale(ix, (double[2]) {1e308, -1e308}, q);
	CHECK(q[0] == AN_NN_LIMIT && q[1] == -AN_NN_LIMIT, "clamped %g %g", q[0], q[1]);
	ix = an_nn_build(&ctx, X, 5, 2, AN_NN_SCALE_MINMAX);
	CHECK(ix->center[0] == 1 && ix->scale[0] == 99, "minmax %g %g", ix->center[0], ix->scale[0]);
	ix = an_nn_build(&ctx, X, 5, 2, AN_NN_SCALE_STANDARD);
	CHECK(fabs(ix->center[0] - 22) < 1e-12 && ix->scale[1] == 1, "standard %g %g",
		  ix->center[0], ix->scale[1]);
	free_all_blocks();
}

/* LOF by the paper's definitions, straight from the scaled points. */
static double
lof_by_definition(const an_nn_index *ix, const double *q, uint32_t k)
{
	an_nn_hit	hits[32],
				inner[32],
				inner2[32];
	double		row[8],
				row2[8],
				reach = 0,
				density = 0;

	an_nn_search_brute(ix, q, k, ix->n, hits);
	for (uint32_t j = 0; j < k; j++)
	{
		uint32_t	o = hits[j].pos;
		double		o_reach = 0;

		an_nn_point(ix, o, row);
		an_nn_search_brute(ix, row, k, o, inner);
		reach += fmax(sqrt(inner[k - 1].dist2), sqrt(hits[j].dist2));
		for (uint32_t i = 0; i < k; i++)
		{
			an_nn_point(ix, inner[i].pos, row2);
			an_nn_search_brute(ix, row2, k, inner[i].pos, inner2);
			o_reach += fmax(sqrt(inner2[k - 1].dist2), sqrt(inner[i].dist2));
		}
		density += 1.0 / (o_reach / k + 1e-10);
	}
	return (density / k) * (reach / k + 1e-10);
}

/* LOF matches the definition; inliers near 1; outliers rank first. */
static void
test_lof_values(void)
{
	an_ctx		ctx = new_ctx();
	size_t		n = 300,
				d = 3;
	int			labels[300];
	double	   *X = planted_data(&ctx, n, d, 6, labels, 11);
	double		scores[300];
	void	   *model;
	an_nn_index *ix = an_nn_build(&ctx, X, n, d, AN_NN_SCALE_STANDARD);
	double		q[3];
	double		inlier_sum = 0;

	CHECK_STATUS(fit_with(&ctx, &an_lof_ops, X, n, d, &model, "k", 10), AN_OK);
	for (size_t i = 0; i < n; i++)
	{
		scores[i] = an_lof_ops.score(model, X + i * d);
		if (!labels[i])
			inlier_sum += scores[i];
	}
	for (size_t i = 0; i < n; i += 37)
	{
		an_nn_scale(ix, X + i * d, q);
		CHECK(fabs(scores[i] - lof_by_definition(ix, q, 10)) <= 1e-9 * scores[i],
			  "row %zu: lof %.17g, by definition %.17g", i, scores[i],
			  lof_by_definition(ix, q, 10));
	}
	CHECK(fabs(inlier_sum / (n - 6) - 1.0) < 0.15, "mean inlier lof %g",
		  inlier_sum / (n - 6));
	CHECK(roc_auc(scores, labels, n) > 0.9, "lof auc %g", roc_auc(scores, labels, n));
	CHECK(an_lof_ops.auto_threshold == 1.5, "lof auto threshold");
	free_all_blocks();
}

/* knn: each method ranks planted outliers first, and matches brute force. */
static void
test_knn_values(void)
{
	an_ctx		ctx = new_ctx();
	size_t		n = 400,
				d = 4;
	int			labels[400];
	double	   *X = planted_data(&ctx, n, d, 8, labels, 12);
	double		scores[400];
	const char *const words[] = {"largest", "mean", "median"};

	for (int method = 0; method < 3; method++)
	{
		an_params	p;
		void	   *model;
		an_nn_index *ix = an_nn_build(&ctx, X, n, d, AN_NN_SCALE_ROBUST);
		an_nn_hit	hits[6];
		double		q[4],
					want;

		an_params_defaults(&p, &an_knn_ops);
		CHECK_STATUS(an_params_set(&ctx, &p, &an_knn_ops, "k", 6), AN_OK);
		CHECK_STATUS(an_params_set_word(&ctx, &p, &an_knn_ops, "method", words[method]), AN_OK);
		CHECK_STATUS(an_knn_ops.fit(&ctx, &p, X, n, d, &model), AN_OK);
		for (size_t i = 0; i < n; i++)
			scores[i] = an_knn_ops.score(model, X + i * d);
		CHECK(roc_auc(scores, labels, n) > 0.9, "%s auc %g", words[method],
			  roc_auc(scores, labels, n));
		an_nn_scale(ix, X + 100 * d, q);
		an_nn_search_brute(ix, q, 6, ix->n, hits);
		want = method == 0 ? sqrt(hits[5].dist2)
			: method == 1 ? (sqrt(hits[0].dist2) + sqrt(hits[1].dist2) + sqrt(hits[2].dist2) +
							 sqrt(hits[3].dist2) + sqrt(hits[4].dist2) + sqrt(hits[5].dist2)) / 6
			: (sqrt(hits[2].dist2) + sqrt(hits[3].dist2)) / 2;
		CHECK(fabs(scores[100] - want) <= 1e-12 * want, "%s: %.17g, expected %.17g",
			  words[method], scores[100], want);
		/* an exact duplicate of the query is a neighbour at distance 0 */
		CHECK(hits[0].dist2 == 0, "self is the nearest neighbour");
	}
	CHECK(isnan(an_knn_ops.auto_threshold), "knn has no natural threshold");
	CHECK(an_knn_ops.params[0].def == 20 && an_lof_ops.params[0].def == 20, "k defaults");
	free_all_blocks();
}

/*
 * Explanations decompose exactly: knn's contributions sum to the mean
 * squared distance to the k neighbours, lof's to the score (less the
 * density times eps); a far value in one feature is blamed most; huge
 * inputs stay finite.
 */
static void
test_explain(void)
{
	an_ctx		ctx = new_ctx();
	size_t		n = 300,
				d = 3;
	int			labels[300];
	double	   *X = planted_data(&ctx, n, d, 6, labels, 13);
	an_nn_index *ix = an_nn_build(&ctx, X, n, d, AN_NN_SCALE_ROBUST);
	void	   *knn,
			   *lof;

	CHECK_STATUS(fit_with(&ctx, &an_knn_ops, X, n, d, &knn, "k", 10), AN_OK);
	CHECK_STATUS(fit_with(&ctx, &an_lof_ops, X, n, d, &lof, "k", 10), AN_OK);
	for (size_t i = 0; i < n; i += 11)
	{
		double		x[3] = {X[i * d], X[i * d + 1], X[i * d + 2]};
		double		ck[3] = {0},
					cl[3] = {0},
					q[3],
					want = 0,
					sum_k = 0,
					sum_l = 0,
					score;
		an_nn_hit	hits[10],
					own[10];
		int			own_are_typical = 1;

		if (i % 2)
			x[i % d] = i % 4 == 1 ? 1e308 : 50;
		score = an_lof_ops.score(lof, x);
		an_nn_scale(ix, x, q);
		/* explanations measure from the typical points (an_nn_search_typical) */
		an_nn_search_typical(ix, q, 10, hits);
		an_nn_search_brute(ix, q, 10, ix->n, own);
		for (int j = 0; j < 10; j++)
		{
			want += hits[j].dist2 / 10;
			own_are_typical &= hits[j].pos == own[j].pos;
		}
		CHECK_STATUS(an_knn_ops.explain(&ctx, knn, x, d, ck), AN_OK);
		CHECK_STATUS(an_lof_ops.explain(&ctx, lof, x, d, cl), AN_OK);
		for (size_t j = 0; j < d; j++)
		{
			CHECK(isfinite(ck[j]) && ck[j] >= 0 && isfinite(cl[j]) && cl[j] >= 0,
				  "row %zu: contributions %g, %g", i, ck[j], cl[j]);
			sum_k += ck[j];
			sum_l += cl[j];
			if (i % 2 && j != i % d)
				CHECK(ck[j] < ck[i % d] && cl[j] < cl[i % d],
					  "row %zu: far feature %zu not blamed most", i, i % d);
		}
		CHECK(fabs(sum_k - want) <= 1e-9 * want, "row %zu: knn sum %.17g, want %.17g",
			  i, sum_k, want);
		/* LOF's split is exact when its neighbours are the typical ones */
		CHECK(!own_are_typical || fabs(sum_l - score) <= 1e-9 * score + 1e-9, "row %zu: lof sum %.17g, score %.17g",
			  i, sum_l, score);
	}
	free_all_blocks();
}

/* Write, read back: identical scores; fitting twice: identical bytes. */
static void
test_round_trip(void)
{
	const an_detector_ops *ops_list[] = {&an_lof_ops, &an_knn_ops};

	for (int o = 0; o < 2; o++)
	{
		const an_detector_ops *ops = ops_list[o];
		an_ctx		ctx = new_ctx();
		size_t		n = 500,
					d = 5;
		int			labels[500];
		double	   *X = planted_data(&ctx, n, d, 5, labels, 21);
		void	   *model,
				   *again,
				   *back;
		an_writer	w,
					w2;
		an_reader	r;
		int			same = 1;

		CHECK_STATUS(fit_with(&ctx, ops, X, n, d, &model, NULL, 0), AN_OK);
		CHECK_STATUS(fit_with(&ctx, ops, X, n, d, &again, NULL, 0), AN_OK);
		w = write_model(&ctx, ops, model);
		w2 = write_model(&ctx, ops, again);
		CHECK(w.len == w2.len && memcmp(w.data, w2.data, w.len) == 0,
			  "%s: fitting twice gives different bytes", ops->name);
		an_reader_init(&r, w.data, w.len);
		CHECK_STATUS(ops->read(&ctx, &r, an_detector_layout(ops, model), d, &back), AN_OK);
		CHECK(r.pos == w.len, "%s: read %zu of %zu bytes", ops->name, r.pos, w.len);
		for (size_t i = 0; i < n; i++)
		{
			double		x[5];

			for (size_t j = 0; j < d; j++)
				x[j] = X[i * d + j] + (i % 3 ? 0.25 : 0);
			if (ops->score(model, x) != ops->score(back, x))
				same = 0;
		}
		CHECK(same, "%s: scores differ after a round trip", ops->name);
		free_all_blocks();
	}
}

/* Every truncation and a set of damaged fields read as AN_ERR_CORRUPT. */
static void
test_corrupt(void)
{
	const an_detector_ops *ops_list[] = {&an_lof_ops, &an_knn_ops};

	for (int o = 0; o < 2; o++)
	{
		const an_detector_ops *ops = ops_list[o];
		an_ctx		ctx = new_ctx();
		size_t		n = 40,
					d = 3;
		int			labels[40];
		double	   *X = planted_data(&ctx, n, d, 2, labels, 31);
		void	   *model,
				   *back;
		an_writer	w;
		an_reader	r;
		an_params	p;
		unsigned char *copy;
		size_t		eps_at = o == 0 ? 4 : 8;	/* after k, or k and method */
		size_t		header = eps_at + 8;
		size_t		scaling_at = header + 4;
		size_t		points_at = scaling_at + 16 * d;
		int			all_rejected = 1;
		struct
		{
			size_t		at;
			double		value;
			int			is_u32;
			const char *what;
		}			damage[] = {
			{0, 0, 1, "k 0"},
			{0, 1001, 1, "k 1001"},
			{0, 40, 1, "k = n"},
			{header, 0, 1, "n 0"},
			{header, 4000000000.0, 1, "n huge"},
			{header, 2, 1, "n below k"},
			{scaling_at, INFINITY, 0, "infinite center"},
			{scaling_at + 8, 0, 0, "zero scale"},
			{scaling_at + 8, NAN, 0, "NaN scale"},
			{scaling_at + 8, -1, 0, "negative scale"},
			{points_at, 1e200, 0, "point beyond the clamp"},
			{points_at + 8, NAN, 0, "NaN point"},
			{points_at + 40 * 24, -1, 0, "negative k-distance"},
			{points_at + 40 * 24 + 40 * 8, 0, 0, "zero density"},
			{points_at + 40 * 24 + 40 * 8, 1e11, 0, "density above 1/eps"},
			{eps_at, -0.5, 0, "negative approximate"},
			{eps_at, NAN, 0, "NaN approximate"},
			{eps_at, AN_NN_MAX_EPS * 2, 0, "approximate above its maximum"},
		};

		/* k 5 and an eps, so that the layout is version 2's, eps included */
		an_params_defaults(&p, ops);
		CHECK_STATUS(an_params_set(&ctx, &p, ops, "k", 5), AN_OK);
		CHECK_STATUS(an_params_set(&ctx, &p, ops, "approximate", 0.5), AN_OK);
		CHECK_STATUS(ops->fit(&ctx, &p, X, n, d, &model), AN_OK);
		w = write_model(&ctx, ops, model);
		copy = an_alloc(&ctx, w.len);
		for (size_t len = 0; len < w.len; len++)
		{
			memcpy(copy, w.data, len);
			an_reader_init(&r, copy, len);
			if (ops->read(&ctx, &r, ops->version, d, &back) != AN_ERR_CORRUPT)
				all_rejected = 0;
		}
		CHECK(all_rejected, "%s: a truncation was accepted", ops->name);
		an_reader_init(&r, w.data, w.len);
		CHECK_STATUS(ops->read(&ctx, &r, ops->version + 1, d, &back), AN_ERR_CORRUPT);
		for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++)
		{
			an_writer	patch;

			/* lof's densities do not exist in knn; knn's method is at 4 */
			if (o == 1 && damage[i].at >= points_at + 40 * 24)
				continue;
			memcpy(copy, w.data, w.len);
			an_writer_init(&patch, &ctx, 16);
			if (damage[i].is_u32)
				an_write_u32(&patch, (uint32_t) damage[i].value);
			else
				an_write_f64(&patch, damage[i].value);
			memcpy(copy + damage[i].at, patch.data, patch.len);
			an_reader_init(&r, copy, w.len);
			CHECK(ops->read(&ctx, &r, ops->version, d, &back) == AN_ERR_CORRUPT,
				  "%s: %s accepted", ops->name, damage[i].what);
		}
		if (o == 1)
		{
			memcpy(copy, w.data, w.len);
			copy[4] = 3;		/* method */
			an_reader_init(&r, copy, w.len);
			CHECK_STATUS(ops->read(&ctx, &r, ops->version, d, &back), AN_ERR_CORRUPT);
		}
		free_all_blocks();
	}
}

/* Tiny samples, duplicates, constant columns and huge values stay finite. */
static void
test_edge_cases(void)
{
	const an_detector_ops *ops_list[] = {&an_lof_ops, &an_knn_ops};

	for (int o = 0; o < 2; o++)
	{
		const an_detector_ops *ops = ops_list[o];
		an_ctx		ctx = new_ctx();
		double		two[2 * 2] = {1, 5, 2, 5};
		double		same[6 * 2] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
		double		huge[4 * 2] = {1e308, -1e308, -1e308, 1e308, 0, 0, 1, 1};
		double		probes[4][2] = {{1, 5}, {3, 3}, {1e308, 1e308}, {-1e308, 4}};
		void	   *model;
		int			finite = 1;

		CHECK_STATUS(fit_with(&ctx, ops, two, 2, 2, &model, "k", 1), AN_OK);
		for (int i = 0; i < 4; i++)
			finite &= isfinite(ops->score(model, probes[i]));
		CHECK_STATUS(fit_with(&ctx, ops, same, 6, 2, &model, "k", 3), AN_OK);
		for (int i = 0; i < 4; i++)
			finite &= isfinite(ops->score(model, probes[i]));
		/* a duplicate of every neighbour: lof 1 (1e10 * 1e-10), knn 0 */
		CHECK(fabs(ops->score(model, probes[1]) - (o == 0 ? 1.0 : 0.0)) < 1e-9,
			  "%s on duplicates: %g", ops->name, ops->score(model, probes[1]));
		CHECK_STATUS(fit_with(&ctx, ops, huge, 4, 2, &model, "k", 2), AN_OK);
		for (int i = 0; i < 4; i++)
			finite &= isfinite(ops->score(model, probes[i]));
		CHECK(finite, "%s: a score is not finite", ops->name);
		free_all_blocks();
	}
}

/* k must be below the number of rows; the hint gives the range. */
static void
test_errors(void)
{
	const an_detector_ops *ops_list[] = {&an_lof_ops, &an_knn_ops};

	for (int o = 0; o < 2; o++)
	{
		const an_detector_ops *ops = ops_list[o];
		an_ctx		ctx = new_ctx();
		double		X[5 * 1] = {1, 2, 3, 4, 5};
		void	   *model;
		an_params	p;

		CHECK_STATUS(fit_with(&ctx, ops, X, 5, 1, &model, "k", 5), AN_ERR_DATA);
		CHECK(strstr(ctx.hint, "from 1 to 4") != NULL, "hint: %s", ctx.hint);
		CHECK(strstr(ctx.message, ops->name) != NULL, "message: %s", ctx.message);
		CHECK_STATUS(fit_with(&ctx, ops, X, 5, 1, &model, NULL, 0), AN_ERR_DATA);
		CHECK_STATUS(fit_with(&ctx, ops, X, 5, 1, &model, "k", 4), AN_OK);
		an_params_defaults(&p, ops);
		CHECK_STATUS(an_params_set(&ctx, &p, ops, "k", 1001), AN_ERR_PARAM);
		CHECK_STATUS(an_params_set(&ctx, &p, ops, "k", 0), AN_ERR_PARAM);
		CHECK_STATUS(an_params_set_word(&ctx, &p, ops, "scaling", "minmax"), AN_OK);
		CHECK_STATUS(an_params_set_word(&ctx, &p, ops, "scaling", "zscore"), AN_ERR_PARAM);
		CHECK(strstr(ctx.hint, "\"robust\"") != NULL, "hint: %s", ctx.hint);
		free_all_blocks();
	}
}

int
main(void)
{
	run("tree_matches_brute", test_tree_matches_brute);
	run("approximate_search", test_approximate_search);
	run("approximate_option", test_approximate_option);
	run("scaling", test_scaling);
	run("lof_values", test_lof_values);
	run("knn_values", test_knn_values);
	run("explain", test_explain);
	run("round_trip", test_round_trip);
	run("corrupt", test_corrupt);
	run("edge_cases", test_edge_cases);
	run("errors", test_errors);
	return finish();
}
