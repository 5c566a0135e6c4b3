/*
 * detector.h - the one interface every detector implements.
 *
 * A detector fits on a dense matrix of encoded, imputed, finite features
 * (n rows by d columns, row-major), scores one vector (higher is more
 * anomalous), explains a score as per-feature contributions, and writes
 * and reads its own part of the model bytes.
 * Adding an algorithm means one file implementing this and one line in
 * detector.c's registry.
 */
#ifndef AN_DETECTOR_H
#define AN_DETECTOR_H

#include "an_core.h"
#include "bytes.h"
#include "params.h"

typedef struct an_detector_ops
{
	const char *name;
	uint16_t	id;				/* stored in the model header; never reused */
	uint16_t	version;		/* bumped when its serialized layout changes */
	const an_param_spec *params;
	int			n_params;
	/* the threshold when contamination is "auto" */
	double		auto_threshold;
	an_status	(*fit) (an_ctx *ctx, const an_params *p, const double *X,
						size_t n, size_t d, void **model);
	double		(*score) (const void *model, const double *x);
	/*
	 * Why x scored as it did: a non-negative contribution per feature
	 * (contrib has d zeroed entries); larger means more to blame.
	 */
	an_status	(*explain) (an_ctx *ctx, const void *model, const double *x,
							size_t d, double *contrib);
	void		(*write) (const void *model, an_writer *w);
	an_status	(*read) (an_ctx *ctx, an_reader *r, uint16_t version,
						 size_t d, void **model);
	/*
	 * The layout a fitted or read model writes, when it may be older than
	 * version (a model without an option a later layout added keeps the
	 * layout older releases read); NULL: always version.
	 */
	uint16_t	(*layout) (const void *model);
} an_detector_ops;

/* The algorithm used when none is named. */
#define AN_DEFAULT_ALGORITHM "auto"

/* The layout version model, fitted or read by ops, writes. */
uint16_t	an_detector_layout(const an_detector_ops *ops, const void *model);

/* The detector named name, or NULL. */
const an_detector_ops *an_detector_by_name(const char *name);

/* The detector with id, or NULL. */
const an_detector_ops *an_detector_by_id(uint16_t id);

/* Comma-separated names of all detectors, for hints. */
const char *an_detector_names(void);

extern const an_detector_ops an_iforest_ops;
extern const an_detector_ops an_fcforest_ops;
extern const an_detector_ops an_lof_ops;
extern const an_detector_ops an_knn_ops;
extern const an_detector_ops an_ocsvm_ops;
extern const an_detector_ops an_hbos_ops;
extern const an_detector_ops an_ecod_ops;
extern const an_detector_ops an_copod_ops;
extern const an_detector_ops an_zscore_ops;
extern const an_detector_ops an_mahalanobis_ops;
extern const an_detector_ops an_ensemble_ops;
extern const an_detector_ops an_auto_ops;

#endif
