/*
 * report.h - the visual report: one self-contained HTML page (inline SVG
 * and CSS, no script, no external resource) drawn from figures the caller
 * gathers: a model summary, the score histogram with the threshold, score
 * against time, the top anomalies with their reasons, per-feature
 * out-of-range counts, for a segmented model a per-segment table, the
 * features' global importance with their distributions and a scatter of the
 * two leading ones, and, with labels, the confusion matrix and ROC curve.
 */
#ifndef AN_REPORT_H
#define AN_REPORT_H

#include "an_core.h"
#include "metrics.h"

typedef struct an_report_pair
{
	const char *key;
	const char *value;
} an_report_pair;

typedef struct an_report_bin
{
	double		low;
	double		high;
	int64_t		rows;
	int64_t		flagged;		/* rows at or above the threshold */
} an_report_bin;

typedef struct an_report_point
{
	double		t;				/* time, seconds since the Unix epoch */
	double		score;
} an_report_point;

typedef struct an_report_anomaly
{
	const char *key;			/* how the row is named, e.g. its primary key */
	double		score;
	double		severity;		/* percentile among training scores, 0-100 */
	const char *reason;			/* anomaly_reason's line */
} an_report_anomaly;

typedef struct an_report_range
{
	const char *feature;
	int64_t		out_of_range;	/* rows outside the training range, or unseen */
} an_report_range;

typedef struct an_report_segment
{
	const char *segment;		/* "col=value, ..." */
	const char *scored_by;		/* "segment" (its own model) or "global" */
	int64_t		rows;
	int64_t		flagged;		/* against the threshold of the model that scored it */
	double		threshold;
	double		roc_auc;		/* with labels; NaN when undefined */
} an_report_segment;

/* One bin of a feature's distribution: a number range or a category. */
typedef struct an_report_dist_bin
{
	const char *label;			/* the category; NULL for a number range */
	double		low;			/* a number range's edges */
	double		high;
	int64_t		flagged;		/* flagged rows in the bin */
	int64_t		normal;			/* the other rows */
} an_report_dist_bin;

/* What one feature explains, over all rows and the flagged ones. */
typedef struct an_report_feature
{
	const char *feature;
	double		flagged_share;	/* its mean share of the flagged rows' explanations; NaN when none */
	double		all_share;		/* its mean share over every row */
	int64_t		leads;			/* flagged rows whose explanation it leads */
	const char *flagged_value;	/* the flagged rows' mean or most common value, as text */
	const char *normal_value;	/* the other rows' */
	int			time_axis;		/* number ranges are seconds since the Unix epoch */
	const an_report_dist_bin *dist; /* ascending ranges, or categories by rows */
	int			n_dist;
} an_report_feature;

/* The two most important numeric features against each other. */
typedef struct an_report_scatter
{
	const char *x_feature;		/* NULL when there are no two numeric features */
	const char *y_feature;
	const double *x;
	const double *y;
	const uint8_t *flagged;
	int			n;
} an_report_scatter;

typedef struct an_report
{
	const char *title;			/* e.g. "fraud v3 (iforest)" */
	const char *generated_at;	/* a timestamp as text */
	const an_report_pair *summary;	/* model facts, in display order */
	int			n_summary;
	double		threshold;
	int64_t		rows;			/* rows scored */
	int64_t		flagged;
	const an_report_bin *bins;	/* ascending, contiguous */
	int			n_bins;
	const an_report_point *timeline;	/* by time; NULL without a time column */
	int			n_timeline;
	const char *time_column;
	const an_report_anomaly *top;	/* highest scores first */
	int			n_top;
	const an_report_range *ranges;	/* one per feature */
	int			n_ranges;
	/* segmented models only (segments != NULL): the segments shown, of n_all */
	const an_report_segment *segments;
	int			n_segments;
	int64_t		n_all_segments;
	/* global importance, most important first (n_features 0: no section) */
	const an_report_feature *features;
	int			n_features;
	const char *group;			/* the rows compared: "flagged" or a label's "labelled anomalies" */
	int64_t		group_rows;		/* rows in that group */
	an_report_scatter scatter;
	/* with labels only (has_labels != 0) */
	int			has_labels;
	an_metrics	metrics;		/* flags at the threshold against the labels */
	const double *roc_fpr;		/* the ROC curve, from (0,0) to (1,1) */
	const double *roc_tpr;
	int			n_roc;
} an_report;

/*
 * Render r as a NUL-terminated HTML page allocated through ctx; every
 * string from r is HTML-escaped.  NaN and infinite figures are drawn as
 * gaps or shown as "n/a", never as broken markup.
 */
char	   *an_report_html(an_ctx *ctx, const an_report *r);

#endif
