/*
 * test_detectors.c - what every registered detector must do, checked for
 * each one in the registry through the same calls the model makes:
 * rank planted outliers above inliers, train deterministically, round-trip
 * its bytes exactly, reject truncated or damaged bytes without a crash,
 * cope with tiny and duplicated data, and give finite scores to huge
 * inputs.  Detector-specific behaviour is tested in the detector's own
 * test file.
 */
#include "an_core.h"
#include "bytes.h"
#include "detector.h"
#include "metrics.h"
#include "params.h"
#include "prng.h"

#include "harness.h"
#include "model_check.h"

#define N_INLIERS 600
#define N_OUTLIERS 12
#define N_ROWS (N_INLIERS + N_OUTLIERS)
#define DIMS 4

static const an_detector_ops *current_ops;

/* Inliers from a correlated gaussian, outliers far from it; labels set. */
static double *
planted_data(uint8_t *labels)
{
	double	   *X = test_alloc(NULL, sizeof(double) * N_ROWS * DIMS);
	an_prng		r;

	an_prng_seed(&r, 2024);
	for (int i = 0; i < N_ROWS; i++)
	{
		double		z = an_prng_normal(&r);

		labels[i] = i >= N_INLIERS;
		for (int j = 0; j < DIMS; j++)
		{
			double		v = 0.7 * z + 0.3 * an_prng_normal(&r);

			X[i * DIMS + j] = labels[i] ? v + (j % 2 ? 6 : -6) : v;
		}
	}
	return X;
}

/* The default options of ops with the given seed. */
static an_params
defaults(const an_detector_ops *ops, uint64_t seed)
{
	an_params	p;

	an_params_defaults(&p, ops);
	p.common[AN_P_SEED] = (double) seed;
	return p;
}

/* The detector's own bytes for model. */
static unsigned char *
detector_bytes(an_ctx *ctx, const an_detector_ops *ops, const void *model, size_t *len)
{
	an_writer	w;

	an_writer_init(&w, ctx, 256);
	ops->write(model, &w);
	*len = w.len;
	return w.data;
}

/* Planted outliers outrank inliers; scores are finite. */
static void
test_ranking(void)
{
	an_ctx		ctx = new_ctx();
	uint8_t		labels[N_ROWS];
	double	   *X = planted_data(labels);
	double		scores[N_ROWS];
	an_params	p = defaults(current_ops, 7);
	void	   *model = NULL;
	an_metrics	mt;
	int			finite = 1;

	CHECK_STATUS(current_ops->fit(&ctx, &p, X, N_ROWS, DIMS, &model), AN_OK);
	if (model == NULL)
		return;
	for (int i = 0; i < N_ROWS; i++)
	{
		scores[i] = current_ops->score(model, X + i * DIMS);
		finite &= isfinite(scores[i]);
	}
	CHECK(finite, "a score is not finite");
	an_metrics_compute(&ctx, scores, labels, N_ROWS, 0, &mt);
	CHECK(mt.roc_auc > 0.95, "ROC AUC %.4f on planted outliers", mt.roc_auc);
}

/* The same seed gives the same bytes, in a layout the detector knows; reading them back gives
 * the same scores. */
static void
test_round_trip(void)
{
	an_ctx		ctx = new_ctx();
	uint8_t		labels[N_ROWS];
	double	   *X = planted_data(labels);
	an_params	p = defaults(current_ops, 11);
	void	   *a = NULL,
			   *b = NULL,
			   *back = NULL;
	unsigned char *ba,
			   *bb;
	size_t		la,
				lb;
	int			same = 1;

	CHECK_STATUS(current_ops->fit(&ctx, &p, X, N_ROWS, DIMS, &a), AN_OK);
	CHECK_STATUS(current_ops->fit(&ctx, &p, X, N_ROWS, DIMS, &b), AN_OK);
	if (a == NULL || b == NULL)
		return;
	ba = detector_bytes(&ctx, current_ops, a, &la);
	bb = detector_bytes(&ctx, current_ops, b, &lb);
	CHECK(la == lb && memcmp(ba, bb, la) == 0, "training is not deterministic");
	CHECK(an_detector_layout(current_ops, a) >= 1 &&
		  an_detector_layout(current_ops, a) <= current_ops->version,
		  "a fresh model's layout is %u", an_detector_layout(current_ops, a));
	CHECK_STATUS(read_model_layout(&ctx, current_ops, an_detector_layout(current_ops, a), ba, la,
								   DIMS, &back), AN_OK);
	if (back == NULL)
		return;
	for (int i = 0; i < N_ROWS; i++)
	{
		double		s1 = current_ops->score(a, X + i * DIMS);
		double		s2 = current_ops->score(back, X + i * DIMS);

		same &= memcmp(&s1, &s2, sizeof(double)) == 0;
	}
	CHECK(same, "scores differ after a round trip");
}

/* Truncated bytes are refused; damaged bytes never crash. */
static void
test_damaged_bytes(void)
{
	an_ctx		ctx = new_ctx();
	uint8_t		labels[N_ROWS];
	double	   *X = planted_data(labels);
	an_params	p = defaults(current_ops, 3);
	void	   *model = NULL;
	unsigned char *bytes,
			   *copy;
	size_t		len;
	int			refused = 1;
	uint16_t	layout;
	an_prng		r;
	double		probe[DIMS] = {0.5, -0.5, 2, -2};

	CHECK_STATUS(current_ops->fit(&ctx, &p, X, N_ROWS, DIMS, &model), AN_OK);
	if (model == NULL)
		return;
	bytes = detector_bytes(&ctx, current_ops, model, &len);
	layout = an_detector_layout(current_ops, model);
	copy = test_alloc(NULL, len);
	/* every prefix among the first 256 bytes, then 256 spread over the rest */
	for (size_t cut = 0; cut < len; cut += cut < 256 ? 1 : (len - 256) / 256 + 1)
	{
		void	   *m = NULL;

		memcpy(copy, bytes, cut);
		if (read_model_layout(&ctx, current_ops, layout, copy, cut, DIMS, &m) == AN_OK)
			refused = 0;
	}
	CHECK(refused, "a truncated model was accepted");
	/* wrong feature count */
	{
		void	   *m = NULL;

		if (read_model_layout(&ctx, current_ops, layout, bytes, len, DIMS + 1, &m) == AN_OK)
			(void) current_ops->score(m, (double[DIMS + 1]) {0});
	}
	/* random damage: whatever the reader says, scoring what it accepts is safe */
	an_prng_seed(&r, 99);
	for (int k = 0; k < 400; k++)
	{
		void	   *m = NULL;
		size_t		at = (size_t) an_prng_below(&r, len);

		memcpy(copy, bytes, len);
		copy[at] ^= (unsigned char) (1 + an_prng_below(&r, 255));
		if (k % 4 == 0 && at + 8 <= len)
			memset(copy + at, 0xFF, 8);
		if (read_model_layout(&ctx, current_ops, layout, copy, len, DIMS, &m) == AN_OK)
			(void) current_ops->score(m, probe);
	}
	CHECK(1, "damaged bytes survived");
}

/* Two rows, duplicated rows, and huge values. */
static void
test_edge_data(void)
{
	an_ctx		ctx = new_ctx();
	double		two[2 * DIMS] = {0, 1, 2, 3, 1, 2, 3, 5};
	double		dup[40 * DIMS];
	double		huge[DIMS] = {1e308, -1e308, 1e308, 5e-324};
	an_params	p = defaults(current_ops, 5);
	void	   *model = NULL;
	an_status	st;

	st = current_ops->fit(&ctx, &p, two, 2, DIMS, &model);
	if (st == AN_OK)
		CHECK(isfinite(current_ops->score(model, two)) &&
			  isfinite(current_ops->score(model, huge)), "two rows: score not finite");
	else
		CHECK(st == AN_ERR_DATA && ctx.message[0] && ctx.hint[0],
			  "two rows: status %d without a message and hint (%s / %s)", (int) st,
			  ctx.message, ctx.hint);
	for (int i = 0; i < 40; i++)
		for (int j = 0; j < DIMS; j++)
			dup[i * DIMS + j] = j == 0 ? i % 3 : (j == 1 ? 7 : i % 2);
	model = NULL;
	ctx.message[0] = ctx.hint[0] = '\0';
	st = current_ops->fit(&ctx, &p, dup, 40, DIMS, &model);
	if (st == AN_OK)
	{
		int			finite = 1;

		for (int i = 0; i < 40; i++)
			finite &= isfinite(current_ops->score(model, dup + i * DIMS));
		CHECK(finite && isfinite(current_ops->score(model, huge)),
			  "duplicated rows: score not finite");
	}
	else
		CHECK(st == AN_ERR_DATA && ctx.message[0] && ctx.hint[0],
			  "duplicated rows: status %d without a message and hint", (int) st);
}

/*
 * The version that added each option never decreases along the options and
 * is at most the detector's, so that a model of an older version stores a
 * prefix of them (an_params_stored).
 */
static void
test_option_versions(void)
{
	for (int i = 0; i < current_ops->n_params; i++)
		CHECK(current_ops->params[i].since <= current_ops->version &&
			  (i == 0 || current_ops->params[i].since >= current_ops->params[i - 1].since),
			  "option %s was added in version %u", current_ops->params[i].name,
			  current_ops->params[i].since);
}

int
main(void)
{
	static char name[128];

	for (uint16_t id = 1; id < 64; id++)
	{

		current_ops = an_detector_by_id(id);
		if (current_ops == NULL)
			continue;
		snprintf(name, sizeof(name), "%s: ranking", current_ops->name);
		run(name, test_ranking);
		snprintf(name, sizeof(name), "%s: round trip", current_ops->name);
		run(name, test_round_trip);
		snprintf(name, sizeof(name), "%s: damaged bytes", current_ops->name);
		run(name, test_damaged_bytes);
		snprintf(name, sizeof(name), "%s: edge data", current_ops->name);
		run(name, test_edge_data);
		snprintf(name, sizeof(name), "%s: option versions", current_ops->name);
		run(name, test_option_versions);
	}
	return finish();
}
