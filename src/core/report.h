/*
 * report.h - the visual report: one self-contained HTML page (inline SVG
 * and CSS, no script, no external resource) drawn from figures the caller
 * gathers: a model summary, the score histogram with the threshold, score
 * against time, the top anomalies with their reasons, per-feature
 * out-of-range counts, for a segmented model a per-segment table and, with
 * labels, the confusion matrix and ROC curve.
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
