/*
 * drift.h - data drift against a model's training sample: an accumulator
 * over the rows of a current data set, compared feature by feature with the
 * drift sketch the model stored at training time (model.h, format 2).
 *
 * Input contract of an_drift_add, one call per current row:
 *   x    the row encoded as an_model_score receives it (n_features values;
 *        NaN for NULL).  Numeric features are read from x: an infinity is
 *        clamped to the training range, as training encodes it.  x is not
 *        changed, so add the row before scoring it (scoring imputes NaNs).
 *   cat  n_features category hashes (0 for NULL), read for categorical
 *        features only; x is not read for them.  The hash is needed because
 *        the encoded frequency does not tell categories of equal training
 *        frequency apart.
 *
 * Per feature:
 *   psi  Population Stability Index, sum over buckets of
 *        (p_cur - p_train) ln(p_cur / p_train), each share raised to
 *        AN_DRIFT_EPSILON when below it (Siddiqi, Credit Risk Scorecards,
 *        2006; Yurdakul, Statistical Properties of Population Stability
 *        Index, 2018).  The buckets are shares of all rows: a NULL bucket,
 *        then for a numeric feature up to AN_DRIFT_PSI_BINS bins of about
 *        equal training mass cut at the training knots (ties never split,
 *        no bin empty in training); for a categorical feature one bucket
 *        per known category holding at least AN_DRIFT_MIN_CATEGORY of the
 *        training sample, and one pooling the rarer categories with those
 *        never seen in training.  Under no drift PSI is about
 *        (B - 1)(1/n_train + 1/n_cur) for B buckets (Yurdakul 2018): a few
 *        hundred current rows are needed before PSI means much.
 *   ks   numeric features: the two-sample Kolmogorov-Smirnov statistic on
 *        non-NULL values, evaluated at the training knots only (the
 *        training ECDF is stored there exactly).  It is a lower bound of the
 *        exact statistic, short by at most the training mass between two
 *        adjacent knots (about 1%).  NaN for categorical features.
 *   ks_critical  the asymptotic two-sample critical value at alpha = 0.01,
 *        c sqrt(1/n + 1/m) with c = sqrt(-ln(alpha / 2) / 2) = 1.628
 *        (Smirnov 1948; e.g. Hollander and Wolfe, Nonparametric
 *        Statistical Methods), for n non-NULL training sample values and
 *        m non-NULL current values.
 *   train_mean, current_mean  the mean of the non-NULL encoded values: for
 *        a numeric feature the training mean of every row the model was
 *        trained on, and the current one; for a categorical feature the
 *        mean training frequency of the rows' categories (0 for unseen) on
 *        the training sample and on the current rows, which falls when rare
 *        or new categories become common.
 *   drifted  psi >= AN_DRIFT_PSI_LIMIT (0.2, the usual rule of thumb for a
 *        significant shift) or ks > ks_critical; never without rows.
 * The overall entry: every row, the rows with any NULL, the largest psi and
 * ks, the current NULL share over rows, drifted if any feature is; the
 * other fields are NaN.
 */
#ifndef AN_DRIFT_H
#define AN_DRIFT_H

#include "an_core.h"
#include "model.h"

#define AN_DRIFT_PSI_BINS 10
#define AN_DRIFT_MIN_CATEGORY 0.05
#define AN_DRIFT_EPSILON 1e-4
#define AN_DRIFT_PSI_LIMIT 0.2

typedef struct an_drift an_drift;

typedef struct an_drift_stat
{
	uint64_t	rows;			/* current rows */
	uint64_t	nulls;			/* of them NULL (overall: NULL anywhere) */
	double		psi;
	double		ks;
	double		ks_critical;
	double		train_null_share;
	double		current_null_share;
	double		train_mean;
	double		current_mean;
	int			drifted;
} an_drift_stat;

/* Start comparing rows with model m; AN_ERR_PARAM if it has no sketch. */
an_status	an_drift_init(an_ctx *ctx, const an_model *m, an_drift **out);

/* Add one current row (see the input contract above); O(d log K). */
void		an_drift_add(an_drift *acc, const double *x, const uint64_t *cat);

/* The n_features + 1 results (the last is the overall one), allocated. */
void		an_drift_result(an_ctx *ctx, const an_drift *acc, an_drift_stat **out);

#endif
