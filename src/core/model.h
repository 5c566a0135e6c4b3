/*
 * model.h - a trained model: its features and their encoding, the
 * calibration of its training scores, and its detector; trained from an
 * anomaly_fit state, scored one vector at a time, and written to and read
 * from a validated, versioned byte format.
 *
 * Format (all integers little-endian):
 *   header  "ANOMODEL" magic, u16 format version, u16 algorithm id,
 *           u16 algorithm version, u16 reserved (0), u32 extension version,
 *           u32 total length, u32 CRC32C of every other byte of the model
 *   body    options, training row count, threshold, features (name, kind,
 *           imputation value, training range, mean, sd, category
 *           frequencies sorted by hash), calibration quantiles, then the
 *           detector's own bytes prefixed by their length.
 *
 * Format 2 adds the drift sketch (format 1 has none; both are read, only
 * format 2 is written):
 *   after the feature count: u32 sketch sample rows S, the training sample
 *           the sketch was computed on (0: the model has no sketch, as a
 *           format-1 model written again; then no feature has sketch bytes)
 *   after each feature's categories, when S > 0:
 *           u32 sample NULLs (at most S), then
 *           numeric:     u32 knot count K (0 to AN_DRIFT_KNOTS; 0 exactly
 *                        when every sample value is NULL), then K times
 *                        f64 knot value (finite, strictly increasing; not
 *                        bound to the training range, which comes from the
 *                        column statistics, not the sample) and u32 sample
 *                        values at most the knot (strictly increasing, at
 *                        least 1, the last equal to S - NULLs): the
 *                        training ECDF at the knots
 *           categorical: u32 sample rows of each known category (in hash
 *                        order), then u32 rows of categories not among them;
 *                        these and the NULLs sum to S
 */
#ifndef AN_MODEL_H
#define AN_MODEL_H

#include "an_core.h"
#include "detector.h"
#include "fitstate.h"

#define AN_MODEL_FORMAT 2
#define AN_DRIFT_KNOTS 101		/* ECDF knots at the percentiles 0..100 */
#define AN_MODEL_HEADER 28
#define AN_CALIBRATION_POINTS 1001
#define AN_CALIBRATION_ROWS 20000

typedef struct an_feature
{
	char		name[AN_NAME_MAX];
	uint8_t		kind;			/* an_kind */
	double		impute;			/* training median of the encoded value */
	double		lo;				/* training range of the encoded value */
	double		hi;
	double		mean;
	double		sd;
	uint32_t	n_cats;
	uint64_t   *cat_hash;		/* sorted ascending */
	double	   *cat_freq;		/* training frequency of each */
	/* drift sketch, on the training sample (when the model has one) */
	uint32_t	sample_nulls;	/* sample rows where the feature is NULL */
	uint32_t	n_knots;		/* numeric: ECDF knots */
	double	   *knot;			/* increasing sample values */
	uint32_t   *knot_count;		/* sample values <= each knot */
	uint32_t   *cat_count;		/* categorical: sample rows of each category */
	uint32_t	unseen_count;	/* sample rows of other categories */
} an_feature;

typedef struct an_model
{
	const an_detector_ops *ops;
	uint16_t	algo_version;
	an_params	params;
	int64_t		train_rows;
	double		threshold;
	uint32_t	n_features;
	an_feature *features;
	uint32_t	sample_rows;	/* rows of the drift sketch; 0: no sketch */
	uint32_t	n_calib;
	double	   *calib;			/* sorted quantiles of the training scores */
	void	   *detector;
} an_model;

/*
 * Train a model on a state.  Columns that are constant or all NULL are left
 * out; their names go to dropped (comma-separated, truncated to its size).
 */
an_status	an_model_train(an_ctx *ctx, const an_state *st, an_model **out,
						   char *dropped, size_t dropped_size);

/* Where a category hash is among feature f's categories; n_cats if unseen. */
uint32_t	an_feature_category_index(const an_feature *f, uint64_t hash);

/* The training frequency of a category hash in feature f; 0 if unseen. */
double		an_feature_encode_category(const an_feature *f, uint64_t hash);

/* Score an encoded vector; NaN entries are imputed in place first. */
double		an_model_score(const an_model *m, double *x);

/* The percentile (0-100) of score among the training scores. */
double		an_model_severity(const an_model *m, double score);

/* The CRC32C of a serialized model: every byte but the CRC field itself. */
uint32_t	an_model_checksum(const unsigned char *bytes, size_t len);

/* Serialize m into freshly allocated bytes. */
an_status	an_model_write(an_ctx *ctx, const an_model *m, unsigned char **bytes,
						   size_t *len);

/* Read and validate len untrusted bytes into a model. */
an_status	an_model_read(an_ctx *ctx, const void *bytes, size_t len, an_model **out);

/* The position of feature name in m, or -1. */
int			an_model_feature_index(const an_model *m, const char *name);

#endif
