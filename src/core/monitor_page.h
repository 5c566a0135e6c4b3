/*
 * monitor_page.h - the monitoring page: one self-contained HTML page (the
 * report's style, inline SVG, no script) of what anomaly_monitor recorded:
 * each batch's anomaly share over time against the expected rate, a
 * feature-by-batch grid of the range check, the latest batches' figures,
 * every logged row's score over time with the threshold, and drift per
 * feature when a source was given.
 */
#ifndef AN_MONITOR_PAGE_H
#define AN_MONITOR_PAGE_H

#include "an_core.h"
#include "report.h"

/* One statement's batch, as anomaly_batches holds it. */
typedef struct an_monitor_batch
{
	double		at;				/* seconds since the Unix epoch */
	int64_t		rows;
	int64_t		anomalies;
	double		min_score;
	double		mean_score;
	double		max_score;
	const int64_t *out_of_range;	/* per feature of the page, rows outside the training range */
} an_monitor_batch;

/* One feature's drift between training and a source (anomaly_drift). */
typedef struct an_monitor_drift
{
	const char *feature;
	double		psi;
	double		ks;
	double		ks_critical;
	int			drifted;
} an_monitor_drift;

typedef struct an_monitor_page
{
	const char *title;			/* e.g. "fraud v3 (iforest)" */
	const char *generated_at;
	const char *since;			/* the history's start, as text */
	double		threshold;
	double		expected_rate;	/* the anomaly share expected of a batch, 0-1 */
	const char *expected_from;	/* how it was set, e.g. "contamination" */
	const char *const *features;	/* the range grid's rows */
	int			n_features;
	const an_monitor_batch *batches;	/* by time */
	int			n_batches;
	const an_report_point *events;	/* logged rows' scores, by time */
	int			n_events;
	int64_t		events_logged;	/* rows in anomaly_events since then, drawn or not */
	const an_monitor_drift *drift;	/* NULL: no source was given */
	int			n_drift;
	const char *drift_source;
} an_monitor_page;

/*
 * Whether a batch holds more anomalies than the expected rate explains:
 * more than rows * rate plus three binomial standard deviations.
 */
int			an_monitor_batch_alarming(const an_monitor_batch *b, double expected_rate);

/* Render p as a NUL-terminated HTML page allocated through ctx; strings escaped. */
char	   *an_monitor_page_html(an_ctx *ctx, const an_monitor_page *p);

#endif
